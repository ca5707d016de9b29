"""A batch's key list: keys sharing their namespace and set objects take a
shorter conversion (keys.c), which must give the digests, names and errors
of the full one."""
import numpy as np
import pytest

import aerowire
from aerowire import _aerowire

SET = "py-batch-keys"


def _fresh(s):
    """An equal str that is another object."""
    return "".join(list(s))


def _key_errors(key):
    """The (type, message) a single-key conversion raises for key."""
    try:
        _aerowire._key(key)
    except (TypeError, ValueError) as e:
        return type(e), str(e)
    raise AssertionError(f"{key!r} converts")


def test_shared_and_changing_names_give_the_single_key_digests(client):
    ns, st, other = "test", SET, SET + "-other"
    digest = _aerowire._key((ns, st, "by-digest"))[3]
    keys = [(ns, st, 1), (ns, st, -2**63), (ns, st, 2**63 - 1), (ns, st, "s"), (ns, st, ""),
            (ns, st, "snow\u2603"), (ns, st, b"\x00b"), (ns, st, b""), (ns, st, bytearray(b"ba")),
            (ns, other, 1), (ns, other, "s"), (ns, st, 1), (ns, None, 1), (ns, None, "s"),
            (_fresh(ns), _fresh(st), 1), (ns, st, None, digest), (ns, st, 7), (ns, "\u00e9t\u00e9", 7),
            (ns, st, True.__int__()), ("test", "a" * 63, 3), (ns, st, 3)]
    recs = client.batch_read(keys)
    for k, r in zip(keys, recs):
        want = _aerowire._key(k)
        assert r.key[:2] == want[:2] and r.key[3] == want[3], k
    assert recs[0].key[3] == recs[11].key[3] and recs[0].key[3] != recs[9].key[3]
    assert recs[0].key[3] != recs[12].key[3] and recs[15].key[3] == digest
    index = _aerowire.KeyIndex(keys)
    assert [index.find(k) for k in keys[:4]] == [0, 1, 2, 3]


class _Int(int):
    pass


@pytest.mark.parametrize("bad", [True, 2**63, -2**63 - 1, 1.5, None, object(), ["l"]])
def test_bad_user_key_after_good_keys_raises_as_alone(client, bad):
    ns, st = "test", SET
    bad_key = (ns, st, bad)
    kind, message = _key_errors(bad_key)
    for keys in ([(ns, st, 1), bad_key], [(ns, st, "a"), (ns, st, 2), bad_key, (ns, st, 3)]):
        with pytest.raises(kind) as e:
            client.batch_read(keys)
        assert str(e.value) == message
        with pytest.raises(kind) as e:
            client.batch_read(keys, _dtype=[("i", "<i8")])
        assert str(e.value) == message


def test_bad_names_after_good_keys_raise_as_alone(client):
    ns, st = "test", SET
    for bad_key in [(ns, "x" * 64, 1), (ns, st + "\0", 1), ("n" * 32, st, 1), (b"test", st, 1),
                    (ns, 5, 1), (ns, st), (ns, st, 1, 2, 3), [ns, st, 1]]:
        kind, message = _key_errors(bad_key)
        with pytest.raises(kind) as e:
            client.batch_read([(ns, st, 1), (ns, st, 2), bad_key])
        assert str(e.value) == message


def test_int_subclass_key_reads_as_its_value(client):
    client.put(("test", SET, 41), {"v": 1})
    recs = client.batch_read([("test", SET, 40), ("test", SET, _Int(41))])
    assert recs[1].bins == {"v": 1} and recs[0].bins is None


def test_repeated_batches_of_changing_sizes(client):
    """The key array one batch gives back serves the next only when big
    enough: batches growing, shrinking and nested in threads read right."""
    import threading

    st = SET + "-sizes"
    for i in range(0, 300, 3):
        client.put(("test", st, i), {"i": i})

    def check(n):
        keys = [("test", st, i) for i in range(n)]
        res = client.batch_read(keys, _dtype=[("i", "<i8")])
        assert list(res.batch_records["i"]) == [i if i % 3 == 0 else 0 for i in range(n)]
        assert list(res.result_codes) == [0 if i % 3 == 0 else 2 for i in range(n)]

    for n in (10, 300, 1, 0, 299, 50):
        check(n)
    errors = []

    def worker(seed):
        try:
            for n in (seed * 7 % 300, 300, seed):
                check(n)
        except AssertionError as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# ---- keys as a numpy array of user keys ----

ROW_DT = np.dtype([("v", "<i8"), ("s", "S6")])


def _write(client, set_name, key_dt, raw_keys):
    """batch_write_numpy rows whose key field holds raw_keys; returns them."""
    dt = np.dtype([("_key", key_dt), ("v", "<i8"), ("s", "S6")])
    data = np.zeros(len(raw_keys), dt)
    data["_key"] = raw_keys
    data["v"] = np.arange(len(raw_keys)) * 7 - 3
    data["s"] = [f"r{i}".encode() for i in range(len(raw_keys))]
    assert (client.batch_write_numpy(data, "test", set_name, dt).result_codes == 0).all()
    return data


KEY_KINDS = [
    ("i1", [-128, 0, 127]), (">i2", [-300, 1, 300]), ("<i4", [-2**31, 5, 2**31 - 1]),
    (">i8", [-2**63, 2**40, 2**63 - 1]), ("u1", [0, 200, 255]), (">u2", [1, 2, 65535]),
    ("<u4", [0, 7, 2**32 - 1]), ("<u8", [2**64 - 1, 2**63, 9]),
    ("S6", [b"a", b"caf\xc3\xa9", b"sixsix"]), ("V3", [b"\0\1\2", b"abc", b"\xff\0\0"]),
]


@pytest.mark.parametrize("key_dt,raw", KEY_KINDS, ids=[k for k, _ in KEY_KINDS])
def test_array_keys_read_what_batch_write_numpy_wrote(client, key_dt, raw):
    set_name = f"{SET}-{key_dt.strip('<>')}"
    data = _write(client, set_name, key_dt, raw)
    keys = np.concatenate([data["_key"], data["_key"][:1]])
    res = client.batch_read(keys, namespace="test", set_name=set_name, _dtype=ROW_DT)
    want = np.zeros(len(keys), ROW_DT)
    want["v"] = list(data["v"]) + [data["v"][0]]
    want["s"] = list(data["s"]) + [data["s"][0]]
    assert res.batch_records.tobytes() == want.tobytes()
    assert list(res.result_codes) == [0, 0, 0, 0]
    # The tuple path reads the same rows, meta and codes.
    # (An unsigned key above 2**63 is its two's complement, as written.)
    plain = keys.astype("<i8") if keys.dtype.kind == "u" else keys
    tuples = [("test", set_name, _written_user_key(k)) for k in plain]
    same = client.batch_read(tuples, _dtype=ROW_DT)
    assert same.batch_records.tobytes() == res.batch_records.tobytes()
    assert same.meta.tobytes() == res.meta.tobytes()
    assert (same.result_codes == res.result_codes).all()
    # A row by its user key (an element of the array, or the value) or key tuple.
    assert res.index(keys[1]) == 1 and res.index(tuples[2]) == 2
    assert res.get(tuples[1][2])["v"] == data["v"][1]
    if keys.dtype.kind in "iu":
        assert res.index(int(keys[1])) == 1  # a plain int, an unsigned one above 2**63 too
    if keys.dtype.kind == "S":
        assert res.index(bytes(keys[1])) == 1
    with pytest.raises(KeyError):
        res.index(raw[1] + (b"?" if isinstance(raw[1], bytes) else 1))
    with pytest.raises(TypeError, match="user key must be an int, str, bytes or None"):
        res.index(1.5)  # as for key tuples


def _written_user_key(v):
    """The user key batch_write_numpy wrote for key field value v."""
    return aerowire._numpy.user_key(v)


def test_array_keys_strided_missing_and_no_set(client):
    client.put(("test", None, 990001), {"v": 5, "s": "x"})
    table = np.zeros(4, [("pad", "S3"), ("_key", "<i8")])
    table["_key"] = [990001, 990002, 990001, 990003]
    keys = table["_key"]
    assert not keys.flags.c_contiguous
    res = client.batch_read(keys, namespace="test", set_name=None, _dtype=ROW_DT)
    assert list(res.result_codes) == [0, 2, 0, 2]
    assert list(res.batch_records["v"]) == [5, 0, 5, 0]
    assert res.get(990001)["s"] == b"x" and res.index(np.int64(990003)) == 3
    with pytest.raises(KeyError):
        res.get(990004)


def test_array_keys_aligned_or_not_read_the_same(client):
    # An int64 array is copied as ids whatever its alignment (here a
    # contiguous view one byte into a buffer): the same rows.
    set_name = SET + "-align"
    data = _write(client, set_name, "<i8", list(range(-20, 21)))
    aligned = np.ascontiguousarray(data["_key"])
    raw = np.zeros(aligned.nbytes + 1, np.uint8)
    misaligned = raw[1:].view("<i8")
    misaligned[:] = aligned
    assert misaligned.ctypes.data % 8 != 0 and misaligned.flags.c_contiguous
    a = client.batch_read(aligned, namespace="test", set_name=set_name, _dtype=ROW_DT)
    b = client.batch_read(misaligned, namespace="test", set_name=set_name, _dtype=ROW_DT)
    assert (a.result_codes == 0).all() and (b.result_codes == 0).all()
    assert a.batch_records.tobytes() == b.batch_records.tobytes()
    assert list(a.batch_records["v"]) == list(data["v"])


def test_array_keys_with_bins_policy_and_empty(client):
    set_name = SET + "-opts"
    _write(client, set_name, "<i8", [1, 2])
    res = client.batch_read(np.array([2, 1]), ["s"], {"total_timeout": 1000},
                            namespace="test", set_name=set_name, _dtype=ROW_DT)
    assert list(res.batch_records["s"]) == [b"r1", b"r0"] and not res.batch_records["v"].any()
    empty = client.batch_read(np.zeros(0, "<i8"), namespace="test", set_name=set_name,
                              _dtype=ROW_DT)
    assert len(empty) == 0


@pytest.mark.parametrize("keys,exc,msg", [
    (np.zeros(2, "f8"), TypeError, "dtype float64: user keys must be integers, S"),
    (np.zeros(2, "?"), TypeError, "dtype bool"),
    (np.array(["a"]), TypeError, "dtype <U1"),
    (np.array([1], dtype=object), TypeError, "dtype object"),
    (np.zeros(2, "c8"), TypeError, "dtype complex64"),
    (np.zeros(2, "M8[s]"), TypeError, "dtype datetime64"),
    (np.zeros(2, [("a", "<i8")]), TypeError, r"dtype \[\('a', '<i8'\)\]"),
    (np.zeros((2, 2), "<i8"), ValueError, "keys array must be 1-d, not 2-d"),
    ([("test", SET, 1)], TypeError, "keys must be a numpy array of user keys, not list"),
])
def test_array_keys_refused(client, keys, exc, msg):
    with pytest.raises(exc, match=msg):
        client.batch_read(keys, namespace="test", set_name=SET, _dtype=ROW_DT)


def test_array_keys_argument_mistakes(client):
    with pytest.raises(TypeError, match="needs namespace="):
        client.batch_read(np.arange(3), _dtype=ROW_DT)
    with pytest.raises(TypeError, match="is read with _dtype"):
        client.batch_read(np.arange(3), namespace="test", set_name=SET)
    with pytest.raises(TypeError, match="namespace must be a str"):
        client.batch_read(np.arange(3), namespace=b"test", set_name=SET, _dtype=ROW_DT)
    with pytest.raises(ValueError, match="invalid key: namespace 'n{32}' is 32 bytes"):
        client.batch_read(np.arange(3), namespace="n" * 32, set_name=SET, _dtype=ROW_DT)
    with pytest.raises(ValueError, match="invalid key: set"):
        client.batch_read(np.arange(3), namespace="test", set_name="s" * 64, _dtype=ROW_DT)


def test_array_keys_checked_by_the_extension(client):
    """_batch_read_into itself refuses a buffer its key kind does not fit."""
    rows = np.zeros(2, ROW_DT)
    meta = np.zeros(2, [("gen", "=u4"), ("ttl", "=u4")])
    codes = np.zeros(2, np.int32)
    args = (None, None, str(ROW_DT.descr), False, ROW_DT.itemsize, rows, meta, codes, "test", SET)
    with pytest.raises(ValueError, match="int64 for kind 'i' .1-d, 4 bytes"):
        client._batch_read_into(np.zeros(2, "<i4"), *args, "i")
    with pytest.raises(ValueError, match="key_kind must be 'i', 'S' or 'V', not 'x'"):
        client._batch_read_into(np.zeros(2, "<i8"), *args, "x")
    with pytest.raises(TypeError, match="C-contiguous buffer, not list"):
        client._batch_read_into([1, 2], *args, "i")
    with pytest.raises(ValueError, match="rows holds"):
        client._batch_read_into(np.zeros(3, "<i8"), *args, "i")


def test_async_array_keys(config):
    import asyncio

    set_name = SET + "-async"

    async def main():
        async with aerowire.AsyncClient(config) as c:
            await asyncio.gather(*[c.put(("test", set_name, i), {"v": i}) for i in range(5)])
            res = await c.batch_read(np.arange(7, dtype="<u2"), namespace="test",
                                     set_name=set_name, _dtype=ROW_DT)
            assert list(res.batch_records["v"]) == [0, 1, 2, 3, 4, 0, 0]
            assert list(res.result_codes) == [0] * 5 + [2, 2]
            with pytest.raises(TypeError, match="dtype float32"):
                await c.batch_read(np.zeros(1, "f4"), namespace="test", _dtype=ROW_DT)

    asyncio.run(asyncio.wait_for(main(), 30))


def test_no_memory_growth_over_array_keys(client):
    from test_threads_refs import _growth

    set_name = SET + "-leaks"
    _write(client, set_name, "<i8", [1, 2, 3])
    def calls():
        ints, strs = np.arange(20, dtype="<u4"), np.array([b"k%d" % i for i in range(20)])
        for keys, probe in ((ints, 1), (strs, "k1"), (np.zeros(20, "V5"), b"\0" * 5)):
            client.batch_read(keys, namespace="test", set_name=set_name, _dtype=ROW_DT).get(probe)
        with pytest.raises(TypeError):
            client.batch_read(np.zeros(3, "f4"), namespace="test", _dtype=ROW_DT)
        with pytest.raises(ValueError):
            client.batch_read(np.arange(3), namespace="n" * 40, _dtype=ROW_DT)
        with pytest.raises(TypeError):
            client.batch_read([("test", set_name, 1), ("test", set_name, 1.5)], _dtype=ROW_DT)

    # numpy's own caches of small arrays move a few KB from run to run; a
    # leak of 50 bytes a call is 75 KB, a leaked key buffer 1.5 MB.
    traced, rss = _growth(calls, 1500)
    assert traced < 48 * 1024
    assert rss < 1024 * 1024


def test_key_list_as_ids_reads_what_keys_read(client):
    """A list of int keys of one namespace and set object is read as ids
    (aw_batch_read_ids_into, no aw_key each); equal names in other objects,
    a str key or a digest key among them take the keys' way. Each gives the
    same rows, meta and codes for the same records."""
    set_name = SET + "-ids"
    data = _write(client, set_name, "<i8", list(range(-5, 40)))
    ids = [int(k) for k in data["_key"]] + [10**6, 7, -5]  # one missing, two duplicates
    ns, st = "test", set_name
    as_ids = [(ns, st, k) for k in ids]
    as_keys = [(_fresh(ns), _fresh(st), k) for k in ids]  # other objects: the keys' way
    digest = _aerowire._key((ns, st, 7))[3]
    with_digest = as_ids[:-2] + [(ns, st, None, digest), (ns, st, -5)]
    a = client.batch_read(as_ids, _dtype=ROW_DT)
    b = client.batch_read(as_keys, _dtype=ROW_DT)
    c = client.batch_read(with_digest, _dtype=ROW_DT)
    d = client.batch_read(np.array(ids, "<i8"), namespace=ns, set_name=st, _dtype=ROW_DT)
    for r in (b, c, d):
        assert r.batch_records.tobytes() == a.batch_records.tobytes()
        assert r.result_codes.tobytes() == a.result_codes.tobytes()
        assert (r.meta["gen"] == a.meta["gen"]).all()
    assert list(a.result_codes) == [0] * len(data) + [2, 0, 0]
    assert a.get((ns, st, 7))["v"] == data["v"][12]
    # An int past int64 in an otherwise ids-shaped list: the keys' way says so.
    with pytest.raises(ValueError, match="does not fit a signed 64-bit integer"):
        client.batch_read(as_ids[:3] + [(ns, st, 2**63)], _dtype=ROW_DT)
    # A bad namespace in the first key is the same error either way.
    with pytest.raises(ValueError, match="namespace"):
        client.batch_read([("n" * 32, st, 1), ("n" * 32, st, 2)], _dtype=ROW_DT)
