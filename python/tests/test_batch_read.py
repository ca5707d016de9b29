"""batch_read: rows as Records, or straight into numpy arrays."""
import numpy as np
import pytest

import aerowire
from aerowire import exception as ex

SET = "py-batch"


@pytest.fixture(scope="module")
def stored(client):
    """Records 0..99 of SET (odd ones have no `s` bin); 100..104 are never written."""
    for i in range(100):
        bins = {"i": i * 3 - 50, "f": i / 4, "b": i % 2 == 0, "big": 2**40 + i}
        if i % 2 == 0:
            bins["s"] = f"name-{i}"
        client.put(("test", SET, i), bins, meta={"ttl": 1000 + i})
    return list(range(100))


def test_records_in_key_order_with_missing(client, stored):
    keys = [("test", SET, i) for i in (5, 102, 0, 5)]
    recs = client.batch_read(keys)
    assert [r.key[:3] for r in recs] == keys
    assert recs[0].bins == client.get(keys[0]).bins
    assert recs[1].meta is None and recs[1].bins is None
    assert recs[3] == recs[0]


def test_named_bins(client, stored):
    recs = client.batch_read([("test", SET, 2), ("test", SET, 3)], ["s", "i"])
    assert recs[0].bins == {"s": "name-2", "i": -44}
    assert recs[1].bins == {"i": -41}


def test_numpy_rows_equal_gets(client, stored):
    dt = np.dtype([("i", "<i8"), ("f", "<f8"), ("b", "?"), ("s", "S8"), ("big", "<i8")])
    keys = [("test", SET, i) for i in range(100)] + [("test", SET, 103)]
    res = client.batch_read(keys, _dtype=dt)
    assert isinstance(res, aerowire.NumpyBatchRecords)
    rows = res.batch_records
    assert rows.dtype == dt and rows.shape == (101,)
    expect = np.zeros(101, dtype=dt)
    for i in range(100):
        bins = client.get(keys[i]).bins
        expect[i] = (bins["i"], bins["f"], bins["b"], bins.get("s", "").encode()[:8], bins["big"])
    assert rows.tobytes() == expect.tobytes()
    assert res.result_codes.dtype == np.int32
    assert list(res.result_codes) == [0] * 100 + [2]
    assert res.meta.dtype.names == ("gen", "ttl")
    assert res.meta["gen"][:100].min() >= 1 and tuple(res.meta[100]) == (0, 0)
    assert 1000 <= res.meta["ttl"][7] <= 1007
    assert len(res) == 101


def test_numpy_get_by_user_key_and_key(client, stored):
    dt = np.dtype([("i", "<i4"), ("f", "<f4")])
    keys = [("test", SET, i) for i in (9, 4, 7)]
    res = client.batch_read(keys, _dtype=dt)
    assert res.get(4)["i"] == 4 * 3 - 50
    assert res.get(("test", SET, 7))["f"] == np.float32(7 / 4)
    assert res.index(9) == 0
    with pytest.raises(KeyError):
        res.get(8)


def test_numpy_aligned_dtype_and_subarray(client, key):
    client.put(key, {"a": 1, "v": bytes(range(8)), "x": 2.5})
    dt = np.dtype([("a", "u1"), ("x", "<f8"), ("v", "<u2", (4,))], align=True)
    res = client.batch_read([key], _dtype=dt)
    row = res.batch_records[0]
    assert row["a"] == 1 and row["x"] == 2.5
    assert list(row["v"]) == list(np.frombuffer(bytes(range(8)), "<u2"))


def test_numpy_field_type_mismatch_row_code(client, key):
    client.put(key, {"a": "text", "b": 7})
    res = client.batch_read([key], _dtype=[("a", "<i8"), ("b", "<i8")])
    assert res.result_codes[0] == -22  # AW_ERR_FIELD_TYPE: a is zeroed, b filled
    assert tuple(res.batch_records[0]) == (0, 7)


@pytest.mark.parametrize("dt,msg", [
    ([("o", "O")], "field 'o'"),
    ([("u", "U4")], "field 'u'"),
    ([("c", "c16")], "field 'c'"),
    ([("n", [("x", "i4")])], "field 'n'"),
    ("<f8", "structured dtype"),
    ([("b" * 16, "i4")], "dtype"),
])
def test_numpy_bad_dtypes(client, dt, msg):
    with pytest.raises((TypeError, ValueError), match=msg):
        client.batch_read([("test", SET, 1)], _dtype=dt)


def test_numpy_empty_batch(client):
    res = client.batch_read([], _dtype=[("i", "<i8")])
    assert len(res) == 0 and res.result_codes.shape == (0,)


def test_batch_bad_input(client):
    with pytest.raises(TypeError, match="keys must be a list"):
        client.batch_read("abc")
    with pytest.raises(TypeError, match="key must be a tuple"):
        client.batch_read([("test", SET, 1), "k"])
    with pytest.raises(ValueError, match="unknown read policy key"):
        client.batch_read([("test", SET, 1)], policy={"nope": 1})


def test_read_into_refuses_read_only_and_short_buffers(client):
    keys = [("test", SET, 1)]
    ro = np.zeros(1, dtype=[("i", "<i8")])
    ro.flags.writeable = False
    meta = np.zeros(1, dtype=[("gen", "=u4"), ("ttl", "=u4")])
    codes = np.zeros(1, dtype=np.int32)
    args = (keys, None, None, "[('i', '<i8')]", False, 8)
    with pytest.raises(ValueError, match="rows must be a writable"):
        client._batch_read_into(*args, ro, meta, codes)
    with pytest.raises(ValueError, match="codes holds 0 bytes, 4 needed"):
        client._batch_read_into(*args, np.zeros(1, dtype=[("i", "<i8")]), meta, codes[:0])
    with pytest.raises(ValueError, match="itemsize"):
        client._batch_read_into(keys, None, None, "[('i', '<i8')]", False, 16,
                                np.zeros(2, "<i8"), meta, codes)




def test_three_nodes_batch_equals_gets():
    from conftest import _start_testd
    proc, addr = _start_testd(nodes=3)
    try:
        with aerowire.client({"hosts": [addr]}) as c:
            keys = [("test", SET, i) for i in range(300)]
            for i, k in enumerate(keys[:290]):
                c.put(k, {"i": i, "f": i / 8})
            recs = c.batch_read(keys)
            assert [r.bins for r in recs[:290]] == [c.get(k).bins for k in keys[:290]]
            assert all(r.meta is None for r in recs[290:])
            res = c.batch_read(keys, _dtype=[("i", "<i8"), ("f", "<f4")])
            assert list(res.batch_records["i"][:290]) == list(range(290))
            assert list(res.batch_records["f"][:290]) == [np.float32(i / 8) for i in range(290)]
            assert list(res.result_codes) == [0] * 290 + [2] * 10
            assert len(c.info("testd-nodes").split(";")) == 3
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
