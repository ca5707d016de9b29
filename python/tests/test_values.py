"""Keys and bin values round-trip exactly; bad input is a TypeError or ValueError."""
import math

import pytest

import aerowire

VALUES = [
    0, 1, -1, 2**63 - 1, -(2**63), 3.5, -0.0, math.inf, 1e-300, "", "héllo ✓", b"", b"\x00\xff",
    True, False, [], [1, "a", b"b", 2.5, None, True], {}, {"k": 1, 2: "v", b"b": [1, {"n": {}}]},
    [[[[1]]]],
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_value_round_trips(client, key, value):
    client.put(key, {"v": value})
    got = client.get(key).bins["v"]
    assert got == value
    assert type(got) is type(value)
    if isinstance(value, float):
        assert math.copysign(1, got) == math.copysign(1, value)


def test_nan_round_trips(client, key):
    client.put(key, {"v": math.nan})
    assert math.isnan(client.get(key).bins["v"])


def test_nested_types_exact(client, key):
    value = {"l": [True, 1, 1.0, "1", b"1"], "m": {1: [None]}}
    client.put(key, {"v": value})
    got = client.get(key).bins["v"]
    assert [type(x) for x in got["l"]] == [bool, int, float, str, bytes]
    assert got == value


def test_bytearray_is_stored_as_bytes(client, key):
    client.put(key, {"v": bytearray(b"xyz")})
    assert client.get(key).bins["v"] == b"xyz"


def test_none_value_removes_the_bin(client, key):
    client.put(key, {"a": 1, "b": 2})
    client.put(key, {"b": None})
    assert client.get(key).bins == {"a": 1}


def test_fifteen_byte_bin_name_works(client, key):
    client.put(key, {"b" * 15: 1})
    assert client.get(key).bins == {"b" * 15: 1}


@pytest.mark.parametrize("user_key", [7, -(2**63), "str-key", "", b"\x01\x02", b""], ids=repr)
def test_user_key_kinds(client, user_key):
    key = ("test", "py", user_key)
    client.put(key, {"uk": repr(user_key)})
    rec = client.get(key)
    assert rec.bins == {"uk": repr(user_key)}
    assert rec.key[:3] == key
    # The digest names the same record.
    assert client.get(("test", "py", None, rec.key[3])).bins == rec.bins


def test_digest_key_returns_digest_and_none(client, key):
    client.put(key, {"a": 1})
    digest = client.get(key).key[3]
    rec = client.get(("test", "py", None, bytearray(digest)))
    assert rec.key == ("test", "py", None, digest)


def test_key_without_set(client):
    key = ("test", None, "no-set")
    client.put(key, {"a": 1})
    rec = client.get(key)
    assert rec.key[:3] == key and rec.bins == {"a": 1}


def test_different_user_key_types_are_different_records(client):
    client.put(("test", "py", 5), {"t": "int"})
    client.put(("test", "py", "5"), {"t": "str"})
    assert client.get(("test", "py", 5)).bins == {"t": "int"}
    assert client.get(("test", "py", "5")).bins == {"t": "str"}


BAD_KEYS = [
    (("test", "py"), TypeError, "key must be a tuple"),
    (["test", "py", "k"], TypeError, "key must be a tuple"),
    ("test", TypeError, "key must be a tuple"),
    (("test", "py", "k", b"", 1), TypeError, "key must be a tuple"),
    ((1, "py", "k"), TypeError, "namespace must be a str"),
    (("test", 2, "k"), TypeError, "set must be a str or None"),
    (("test", "py", 1.5), TypeError, "user key must be"),
    (("test", "py", True), TypeError, "user key must be"),
    (("test", "py", 2**64), ValueError, "64-bit"),
    (("test", "py", None), TypeError, "needs its digest"),
    (("test", "py", None, b"short"), ValueError, "digest is 5 bytes"),
    (("", "py", "k"), ValueError, "invalid key"),
    (("n" * 32, "py", "k"), ValueError, "invalid key"),
    (("test", "s" * 64, "k"), ValueError, "invalid key"),
    (("te\0st", "py", "k"), ValueError, "NUL"),
]


@pytest.mark.parametrize("bad,exc,msg", BAD_KEYS, ids=lambda x: repr(x)[:30])
def test_bad_keys_refused(client, bad, exc, msg):
    for call in (lambda: client.get(bad), lambda: client.put(bad, {"a": 1}),
                 lambda: client.exists(bad), lambda: client.remove(bad), lambda: client.touch(bad)):
        with pytest.raises(exc, match=msg):
            call()


BAD_BINS = [
    ({"b" * 16: 1}, ValueError, "16 bytes"),
    ({"": 1}, ValueError, "0 bytes"),
    ({"é" * 8: 1}, ValueError, "16 bytes"),
    ({1: 1}, TypeError, "bin name must be a str"),
    ({"a": object()}, TypeError, "unsupported value type object"),
    ({"a": (1, 2)}, TypeError, "unsupported value type tuple"),
    ({"a": {1, 2}}, TypeError, "unsupported value type set"),
    ({"a": [1, [complex(1, 2)]]}, TypeError, "unsupported value type complex"),
    ({"a": 2**63}, ValueError, "64-bit"),
    ({"a": {"k": -(2**63) - 1}}, ValueError, "64-bit"),
]


@pytest.mark.parametrize("bins,exc,msg", BAD_BINS, ids=lambda x: repr(x)[:30])
def test_bad_bins_refused(client, key, bins, exc, msg):
    with pytest.raises(exc, match=msg):
        client.put(key, bins)
    assert client.exists(key)[1] is None  # nothing was sent


def test_bins_must_be_a_dict(client, key):
    with pytest.raises(TypeError, match="bins must be a dict"):
        client.put(key, [("a", 1)])
    with pytest.raises(TypeError, match="list or tuple of bin names"):
        client.select(key, "a")
    with pytest.raises(ValueError, match="17 bytes"):
        client.select(key, ["x" * 17])


def test_too_deep_nesting_refused(client, key):
    v = []
    for _ in range(100):
        v = [v]
    with pytest.raises(ValueError, match="deeper than 64"):
        client.put(key, {"a": v})


def test_recursive_list_refused_not_crash(client, key):
    v = []
    v.append(v)
    with pytest.raises(ValueError, match="deeper"):
        client.put(key, {"a": v})


def test_geojson_round_trip(client, key):
    point = aerowire.GeoJSON({"type": "Point", "coordinates": [13.4, 52.5]})
    client.put(key, {"loc": point, "text": point.dumps()})
    bins = client.get(key).bins
    assert type(bins["loc"]) is aerowire.GeoJSON and bins["loc"].loads() == point.loads()
    assert type(bins["text"]) is str  # a plain str stays a string bin
    # The server checks GeoJSON bins: text that is not GeoJSON is refused.
    with pytest.raises(aerowire.AerospikeError):
        client.put(key, {"loc": aerowire.GeoJSON("not json")})
