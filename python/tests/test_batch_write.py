"""batch_write_numpy (rows of a structured array written from its buffer) and
batch_write / batch_operate / batch_remove (per-row results)."""
import threading

import numpy as np
import pytest

import aerowire
from aerowire import exception as ex

SET = "py-bw"

# Every bin-bound kind aw_batch_write_from takes: ints of each width and
# signedness, floats (f2 too), bool, S and V bytes, sub-arrays (a big-endian
# one too), and big-endian scalars.
BINS = [("i1", "i1"), ("i2", "<i2"), ("i4", "<i4"), ("i8", "<i8"), ("u1", "u1"), ("u2", "<u2"),
        ("u4", "<u4"), ("u8", "<u8"), ("f2", "<f2"), ("f4", "<f4"), ("f8", "<f8"), ("b", "?"),
        ("s", "S6"), ("v", "V5"), ("sub", "<i4", (3,)), ("subbe", ">u2", (2, 2)),
        ("be", ">i8"), ("bef", ">f4")]


def random_rows(dt, n, seed):
    """n rows of dt with random bytes in every field (S fields NUL-free, as a
    bin string ends at the first NUL; floats finite, so rows compare)."""
    rng = np.random.default_rng(seed)
    rows = np.frombuffer(rng.integers(0, 256, n * dt.itemsize, dtype=np.uint8).tobytes(),
                         dtype=dt).copy()
    for name in dt.names:
        f = dt.fields[name][0]
        if f.kind == "S":
            rows[name] = [bytes(rng.integers(0x41, 0x5b, f.itemsize, dtype=np.uint8))
                          for _ in range(n)]
        elif f.kind == "f":
            rows[name] = rng.normal(0, 1e3, rows[name].shape).astype(f.base)
        elif f.kind == "b":
            rows[name] = rng.integers(0, 2, n).astype(bool)
    rows["i8"][:2] = [-2**63, 2**63 - 1]
    rows["u8"][:2] = [2**64 - 1, 2**63]
    return rows


@pytest.mark.parametrize("align", [False, True])
def test_numpy_round_trip_every_kind(client, align):
    dt = np.dtype([("_key", "<i8")] + BINS, align=align)
    bins_dt = np.dtype(BINS, align=align)
    n = 64
    rows = random_rows(dt, n, seed=1 + align)
    rows["_key"] = np.arange(n) + 1000 * align
    res = client.batch_write_numpy(rows, "test", SET, dt)
    assert list(res.result_codes) == [0] * n
    assert res.result_codes.dtype == np.int32 and res.in_doubt.dtype == np.bool_
    assert not res.in_doubt.any()
    back = client.batch_read([("test", SET, int(k)) for k in rows["_key"]], _dtype=bins_dt)
    assert list(back.result_codes) == [0] * n
    expect = np.zeros(n, bins_dt)
    for name in bins_dt.names:
        expect[name] = rows[name]
    assert back.batch_records.tobytes() == expect.tobytes()
    # The key field starts with "_": it is no bin.
    assert "_key" not in client.get(("test", SET, int(rows["_key"][0]))).bins


@pytest.mark.parametrize("kind,user_keys", [
    ("<i4", [-5, 7]), ("<u8", [2**63 - 1, 3]), ("S8", ["ab", "k-2"]), ("V4", [b"\0\1\2\3", b"abcd"]),
])
def test_key_kinds(client, kind, user_keys):
    dt = np.dtype([("_key", kind), ("x", "<i8")])
    raw = [k.encode() if isinstance(k, str) else k for k in user_keys]
    rows = np.array(list(zip(raw, [10, 20])), dtype=dt)
    res = client.batch_write_numpy(rows, "test", SET + kind[-2:], dt)
    assert list(res.result_codes) == [0, 0]
    for i, uk in enumerate(user_keys):
        key = ("test", SET + kind[-2:], uk)
        assert client.get(key).bins == {"x": 10 * (i + 1)}
        assert res[i].key == client.exists(key)[0]  # same user key and digest


def test_key_field_named_otherwise_is_a_bin(client):
    dt = np.dtype([("id", "<i8"), ("x", "<f4")])
    rows = np.array([(70001, 1.5), (70002, 2.5)], dtype=dt)
    res = client.batch_write_numpy(rows, "test", SET, dt, key_field="id")
    assert list(res.result_codes) == [0, 0]
    assert client.get(("test", SET, 70002)).bins == {"id": 70002, "x": 2.5}


def test_records_meta_and_generations(client):
    dt = np.dtype([("_key", "<i8"), ("x", "<i8")])
    rows = np.array([(80001, 1), (80002, 2)], dtype=dt)
    client.remove(("test", SET, 80002)) if client.exists(("test", SET, 80002))[1] else None
    first = client.batch_write_numpy(rows, "test", SET, dt)
    again = client.batch_write_numpy(rows, "test", SET, dt)
    assert list(again.generations) == [g + 1 for g in first.generations]
    rec = again[1]
    assert isinstance(rec, aerowire.Record) and rec.bins == {}
    assert rec.meta.gen == client.get(("test", SET, 80002)).meta.gen
    assert rec.key[:3] == ("test", SET, 80002) and len(rec.key[3]) == 20
    assert again[-1] == again[1] and [r.key for r in again[0:2]] == [again[0].key, rec.key]
    assert len(again) == 2
    with pytest.raises(IndexError):
        again[2]


def test_ttl_field_per_row(client):
    dt = np.dtype([("_key", "<i8"), ("x", "<i8"), ("_ttl", "<i4")])
    rows = np.array([(81001, 1, 100), (81002, 2, 5000), (81003, 3, -1)], dtype=dt)
    res = client.batch_write_numpy(rows, "test", SET, dt)
    assert list(res.result_codes) == [0, 0, 0]
    ttls = [client.get(("test", SET, k)).meta.ttl for k in (81001, 81002, 81003)]
    assert 90 <= ttls[0] <= 100 and 4990 <= ttls[1] <= 5000 and ttls[2] == 4294967295
    assert "_ttl" not in client.get(("test", SET, 81001)).bins


def test_per_row_failures(client):
    dt = np.dtype([("_key", "<i8"), ("s", "S1200000")])
    rows = np.zeros(3, dt)
    rows["_key"] = [82001, 82002, 82003]
    rows["s"] = [b"small", b"x" * 1200000, b"also small"]  # row 1 is over 1 MiB
    client.put(("test", SET, 82003), {"s": "there"})
    res = client.batch_write_numpy(rows, "test", SET, dt,
                                   policy={"exists": aerowire.POLICY_EXISTS_CREATE})
    assert list(res.result_codes) == [0, 13, 5]
    assert res[0].meta.gen == 1
    assert res[1].meta is None and res[1].bins is None and res[2].meta is None
    assert res.generations[1] == 0
    assert client.get(("test", SET, 82003)).bins == {"s": "there"}
    assert client.exists(("test", SET, 82002))[1] is None
    client.remove(("test", SET, 82001))


def test_empty_data(client):
    dt = np.dtype([("_key", "<i8"), ("x", "<i8")])
    res = client.batch_write_numpy(np.zeros(0, dt), "test", SET, dt)
    assert len(res) == 0 and res.result_codes.shape == (0,)


def test_read_only_data_is_written_and_stays_read_only(client):
    dt = np.dtype([("_key", "<i8"), ("x", "<i8")])
    rows = np.array([(83001, 5)], dtype=dt)
    rows.flags.writeable = False
    assert list(client.batch_write_numpy(rows, "test", SET, dt).result_codes) == [0]
    assert not rows.flags.writeable
    writable = np.array([(83002, 6)], dtype=dt)
    client.batch_write_numpy(writable, "test", SET, dt)
    assert writable.flags.writeable


def test_data_refuses_writes_while_the_batch_runs(client):
    """Another thread cannot change the rows while the C call reads them
    without the GIL: its writes through the array are refused meanwhile."""
    dt = np.dtype([("_key", "<i8"), ("x", "<f8")])
    rows = np.zeros(100_000, dt)
    rows["_key"] = np.arange(100_000) + 10**6
    done = threading.Event()
    refused = 0

    def writer():
        nonlocal refused
        while not done.is_set():
            try:
                rows["x"][0] = 0.0
            except ValueError:
                refused += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        res = client.batch_write_numpy(rows, "test", SET + "-big", dt,
                                       policy={"total_timeout": 20000})
    finally:
        done.set()
        t.join()
    assert (res.result_codes == 0).all()
    assert refused > 0
    assert rows.flags.writeable


GOOD = np.dtype([("_key", "<i8"), ("x", "<i8")])


@pytest.mark.parametrize("make,dtype,kw,exc,msg", [
    (lambda: np.zeros(4, GOOD)[::2], GOOD, {}, ValueError, "C-contiguous"),
    (lambda: np.zeros(2, GOOD), [("_key", "<i8"), ("x", "<i4")], {}, ValueError, "is not _dtype"),
    (lambda: np.zeros((2, 2), GOOD), GOOD, {}, ValueError, "1-d"),
    (lambda: [(1, 2)], GOOD, {}, TypeError, "ndarray"),
    (lambda: np.zeros(2, GOOD), GOOD, {"key_field": "id"}, ValueError, "key field 'id' is not in"),
    (lambda: np.zeros(2, [("_key", "<f8")]), [("_key", "<f8")], {}, ValueError, "'_key'"),
    (lambda: np.zeros(2, [("_key", "<i8"), ("_ttl", "<f4")]), [("_key", "<i8"), ("_ttl", "<f4")],
     {}, ValueError, "'_ttl'"),
    (lambda: np.zeros(2, [("_key", "<i8"), ("b" * 16, "<i8")]),
     [("_key", "<i8"), ("b" * 16, "<i8")], {}, ValueError, "'bbbbbbbbbbbbbbbb' is 16 bytes"),
    (lambda: np.zeros(2, [("_key", "<i8"), ("o", "O")]), [("_key", "<i8"), ("o", "O")], {},
     TypeError, "field 'o'"),
    (lambda: np.zeros(2, [("_key", "<i8"), ("u", "U3")]), [("_key", "<i8"), ("u", "U3")], {},
     TypeError, "field 'u'"),
    (lambda: np.zeros(2, [("_key", "<i8"), ("c", "c8")]), [("_key", "<i8"), ("c", "c8")], {},
     TypeError, "field 'c'"),
    (lambda: np.zeros(2, GOOD), GOOD, {"policy": {"nope": 1}}, ValueError, "nope"),
])
def test_numpy_bad_input(client, make, dtype, kw, exc, msg):
    with pytest.raises(exc, match=msg):
        client.batch_write_numpy(make(), "test", SET + "-bad", dtype, **kw)


def test_numpy_bad_namespace_sends_nothing(client):
    rows = np.array([(84001, 1)], dtype=GOOD)
    with pytest.raises(ValueError, match="namespace"):
        client.batch_write_numpy(rows, "n" * 40, SET, GOOD)
    with pytest.raises(TypeError):
        client.batch_write_numpy(rows, None, SET, GOOD)
    assert client.exists(("test", SET, 84001))[1] is None


# ---- batch_write / batch_operate / batch_remove ----

def incr(bin_name, by):
    return {"op": aerowire.OPERATOR_INCR, "bin": bin_name, "val": by}


def read(bin_name=None):
    return {"op": aerowire.OPERATOR_READ, "bin": bin_name}


def test_batch_write_bins_and_ops(client):
    keys = [("test", SET, f"w{i}") for i in range(3)]
    client.put(keys[1], {"n": 10})
    res = client.batch_write(keys, [
        {"a": 1, "s": "x", "l": [1, {"k": b"v"}]},
        [incr("n", 5), read("n")],
        [{"op": aerowire.OPERATOR_WRITE, "bin": "t", "val": "hi"},
         {"op": aerowire.OPERATOR_APPEND, "bin": "t", "val": "!"},
         {"op": aerowire.OPERATOR_PREPEND, "bin": "t", "val": ">"}, read()],
    ])
    assert isinstance(res, aerowire.BatchRecords) and res.result == 0 and len(res) == 3
    assert [r.result for r in res] == [0, 0, 0]
    assert all(isinstance(r, aerowire.BatchRecord) and not r.in_doubt for r in res)
    assert res[1].record.bins == {"n": 15}
    assert res[2].record.bins == {"t": ">hi!"}
    assert res[0].key[:3] == keys[0] and res[0].record.meta.gen == 1
    assert client.get(keys[0]).bins == {"a": 1, "s": "x", "l": [1, {"k": b"v"}]}
    assert res[1].record.meta.gen == client.get(keys[1]).meta.gen


def test_batch_operate_same_ops_every_key(client):
    keys = [("test", SET, f"o{i}") for i in range(4)]
    client.batch_remove(keys)
    client.put(keys[0], {"n": 1})
    res = client.batch_operate(keys, [incr("n", 2), read("n")])
    assert [r.record.bins["n"] for r in res] == [3, 2, 2, 2]
    upd = client.batch_operate(keys + [("test", SET, "o-none")], [incr("n", 1)],
                               policy={"exists": aerowire.POLICY_EXISTS_UPDATE})
    assert [r.result for r in upd] == [0, 0, 0, 0, 2]
    assert upd.result == 2 and upd[4].record is None
    touched = client.batch_operate(keys[:1], [{"op": aerowire.OPERATOR_TOUCH}],
                                   policy={"ttl": 777})
    assert touched.result == 0 and 770 <= client.get(keys[0]).meta.ttl <= 777
    deleted = client.batch_operate(keys[:2], [{"op": aerowire.OPERATOR_DELETE}])
    assert deleted.result == 0 and client.exists(keys[0])[1] is None


def test_batch_remove(client):
    keys = [("test", SET, "r1"), ("test", SET, "r-missing"), ("test", SET, "r2")]
    client.put(keys[0], {"x": 1})
    client.put(keys[2], {"x": 2})
    res = client.batch_remove(keys)
    assert [r.result for r in res] == [0, 2, 0]
    assert res.result == 2 and res[1].record is None and res[1].key[:3] == keys[1]
    assert client.exists(keys[0])[1] is None and client.exists(keys[2])[1] is None


def test_batch_write_policy_ttl_and_create(client):
    keys = [("test", SET, "p1"), ("test", SET, "p2")]
    client.batch_remove(keys)
    client.put(keys[1], {"x": 0})
    res = client.batch_write(keys, [{"x": 1}, {"x": 2}],
                             policy={"ttl": 1234, "exists": aerowire.POLICY_EXISTS_CREATE})
    assert [r.result for r in res] == [0, 5]
    assert 1200 <= client.get(keys[0]).meta.ttl <= 1234
    assert client.get(keys[1]).bins == {"x": 0}


@pytest.mark.parametrize("call,exc,msg", [
    (lambda c, k: c.batch_write(k, [{"a": 1}]), ValueError, "1 rows for 2 keys"),
    (lambda c, k: c.batch_write(k, "ab"), TypeError, "rows must be a list"),
    (lambda c, k: c.batch_write(k, [{"a": 1}, 5]), TypeError, "bins dict or a list of op"),
    (lambda c, k: c.batch_write(k, [{"a": 1}, {"a": object()}]), TypeError, "object"),
    (lambda c, k: c.batch_write(k, [{"a": 1}, {"b" * 16: 1}]), ValueError, "16 bytes"),
    (lambda c, k: c.batch_operate(k, [{"op": 99, "bin": "a"}]), ValueError,
     "op 0: unknown op code 99"),
    (lambda c, k: c.batch_operate(k, [{"op": aerowire.OPERATOR_INCR, "bin": "a"}]), ValueError,
     "op 0 \\(increment\\): 'val' is missing"),
    (lambda c, k: c.batch_operate(k, [{"op": aerowire.OPERATOR_WRITE, "val": 1}]), ValueError,
     "op 0 \\(write\\): 'bin' is missing"),
    (lambda c, k: c.batch_operate(k, [{"op": aerowire.OPERATOR_READ, "bin": "a", "ctx": []}]),
     ValueError, "unknown key 'ctx'"),
    (lambda c, k: c.batch_operate(k, [{"op": aerowire.OPERATOR_WRITE, "bin": "c" * 16,
                                       "val": 1}]), ValueError, "16 bytes"),
    (lambda c, k: c.batch_operate(k, ["read"]), TypeError, "op 0 must be a dict"),
    (lambda c, k: c.batch_operate(k, []), ValueError, "ops is empty"),
    (lambda c, k: c.batch_operate(k, {"op": 1}), TypeError, "ops must be a list"),
    (lambda c, k: c.batch_remove("ab"), TypeError, "keys must be a list"),
    (lambda c, k: c.batch_remove([("test", SET)]), TypeError, "key must be a tuple"),
    (lambda c, k: c.batch_remove(k, policy={"ttl2": 1}), ValueError, "ttl2"),
])
def test_batch_rows_bad_input_sends_nothing(client, call, exc, msg):
    keys = [("test", SET, "bad1"), ("test", SET, "bad2")]
    client.put(keys[0], {"a": 0})
    with pytest.raises(exc, match=msg):
        call(client, keys)
    assert client.get(keys[0]).bins == {"a": 0}
    assert client.exists(keys[1])[1] is None


def test_batch_rows_timeout_row_codes():
    """A node that answers nothing: every row carries the timeout code and
    writes are in doubt, the call itself does not raise."""
    from conftest import _start_testd
    proc, addr = _start_testd(nodes=1)
    try:
        with aerowire.client({"hosts": [addr]}) as c:
            keys = [("test", SET, i) for i in range(3)]
            c.info("testd-fault:node=0;blackhole=1")
            res = c.batch_write(keys, [{"x": 1}] * 3,
                                policy={"total_timeout": 300, "max_retries": 0})
            assert [(r.result, r.in_doubt, r.record) for r in res] == [(9, True, None)] * 3
            assert res.result == 9
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_client_not_connected(config):
    c = aerowire.client(config)
    with pytest.raises(ex.ClientError, match="not connected"):
        c.batch_remove([("test", SET, 1)])
    with pytest.raises(ex.ClientError, match="not connected"):
        c.batch_write_numpy(np.zeros(1, GOOD), "test", SET, GOOD)


def test_no_memory_growth_over_batch_writes(client):
    from test_threads_refs import _steady
    dt = np.dtype([("_key", "<i8"), ("x", "<f8"), ("s", "S8")])
    rows = np.array([(i, i / 2, b"s%d" % i) for i in range(20)], dtype=dt)
    keys = [("test", SET + "-leak", i) for i in range(20)]
    ops = [incr("n", 1), read()]

    def from_numpy():
        client.batch_write_numpy(rows, "test", SET + "-leak", dt)[3]
        with pytest.raises(TypeError):
            client.batch_write_numpy(rows, "test", SET, [("_key", "<i8"), ("o", "O")])

    def by_row():
        client.batch_write(keys[:2], [{"a": "x" * 20, "l": [1, b"y"]}, ops])
        client.batch_operate(keys, ops)
        client.batch_remove(keys[18:])
        with pytest.raises(ValueError):
            client.batch_operate(keys, [{"op": 99}])

    # Separately: numpy's own caches add a few KB once, whatever the count.
    _steady(from_numpy, 2000)
    _steady(by_row, 2000)
