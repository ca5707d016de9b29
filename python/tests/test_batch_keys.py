"""A batch's key list: keys sharing their namespace and set objects take a
shorter conversion (keys.c), which must give the digests, names and errors
of the full one."""
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
