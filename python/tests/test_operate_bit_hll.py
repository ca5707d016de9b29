"""Bit and HLL ops through Client.operate: results checked against what
the ops do to the bytes, blobs and HLLs read back as bytes."""
import pytest

import aerowire
from aerowire import bitwise_operations as bo
from aerowire import exception
from aerowire import hll_operations as ho
from aerowire import operations as op
from fresh_key import key  # noqa: F401 - the test's key, with no record yet


def results(client, key, ops):
    return [v for _, v in client.operate_ordered(key, ops).bins]


def test_bit_modify_and_read(client, key):
    client.put(key, {"b": bytes([0b10100000, 0x00, 0xFF])})
    assert results(client, key, [
        bo.bit_get("b", 0, 24), bo.bit_count("b", 0, 24), bo.bit_lscan("b", 8, 16, True),
        bo.bit_rscan("b", 0, 8, True), bo.bit_get_int("b", 0, 8, False),
        bo.bit_get_int("b", 0, 8, True),
    ]) == [bytes([0xA0, 0x00, 0xFF]), 10, 8, 2, 0xA0, 0xA0 - 256]
    client.operate(key, [
        bo.bit_set("b", 8, 8, 1, b"\x0f\xff"),        # only value_byte_size bytes taken
        bo.bit_or("b", 0, 8, 1, b"\x01"),
        bo.bit_xor("b", 16, 8, 1, b"\x0f"),
        bo.bit_and("b", 16, 8, 1, b"\x3c"),
        bo.bit_not("b", 0, 4),
    ])
    assert client.get(key).bins["b"] == bytes([0x51, 0x0F, 0x30])
    client.operate(key, [bo.bit_lshift("b", 0, 8, 1), bo.bit_rshift("b", 8, 8, 4)])
    assert client.get(key).bins["b"] == bytes([0xA2, 0x00, 0x30])
    client.operate(key, [bo.bit_add("b", 16, 8, 0x10, False, aerowire.BIT_OVERFLOW_FAIL),
                         bo.bit_subtract("b", 8, 8, 1, False, aerowire.BIT_OVERFLOW_WRAP),
                         bo.bit_set_int("b", 0, 8, 7)])
    assert client.get(key).bins["b"] == bytes([0x07, 0xFF, 0x40])
    with pytest.raises(exception.OpNotApplicable):
        client.operate(key, [bo.bit_add("b", 16, 8, 0xF0, False, aerowire.BIT_OVERFLOW_FAIL)])
    client.operate(key, [bo.bit_add("b", 16, 8, 0xF0, False, aerowire.BIT_OVERFLOW_SATURATE)])
    assert client.get(key).bins["b"][2] == 0xFF


def test_bit_resize_insert_remove(client, key):
    client.operate(key, [bo.bit_resize("b", 2)])      # creates the bin
    assert client.get(key).bins["b"] == b"\x00\x00"
    client.operate(key, [bo.bit_insert("b", 1, 2, b"\xab\xcd\xef"),
                         bo.bit_resize("b", 5, resize_flags=aerowire.BIT_RESIZE_FROM_FRONT)])
    assert client.get(key).bins["b"] == b"\x00\x00\xab\xcd\x00"
    client.operate(key, [bo.bit_remove("b", 0, 2)])
    assert client.get(key).bins["b"] == b"\xab\xcd\x00"
    only_new = {"bit_write_flags": aerowire.BIT_WRITE_CREATE_ONLY}
    with pytest.raises(exception.BinExistsError) as e:
        client.operate(key, [bo.bit_resize("b", 8, policy=only_new)])
    assert e.value.code == 6
    with pytest.raises(exception.BinNotFound) as e:
        client.operate(key, [bo.bit_not("nope", 0, 8, {"bit_write_flags":
                                                       aerowire.BIT_WRITE_UPDATE_ONLY})])
    assert e.value.code == 17
    quiet = {"bit_write_flags": aerowire.BIT_WRITE_CREATE_ONLY | aerowire.BIT_WRITE_NO_FAIL}
    client.operate(key, [bo.bit_resize("b", 8, policy=quiet)])
    assert client.get(key).bins["b"] == b"\xab\xcd\x00"


def test_bit_bad_arguments(client, key):
    with pytest.raises(ValueError, match="value_byte_size 3 does not fit"):
        bo.bit_set("b", 0, 8, 3, b"\x01")
    with pytest.raises(TypeError, match="value must be bytes"):
        bo.bit_or("b", 0, 8, 1, "x")
    with pytest.raises(ValueError, match=r"op 0 \(bit_get\): 'offset' is 4294967296"):
        client.operate(key, [bo.bit_get("b", 2**32, 8)])
    with pytest.raises(ValueError, match="unknown bit policy key"):
        bo.bit_not("b", 0, 8, policy={"flags": 1})
    client.put(key, {"b": b"\x00"})
    with pytest.raises(exception.ParamError, match="GET_INT bin .b.: bit_size 65"):
        client.operate(key, [bo.bit_get_int("b", 0, 65, False)])


def test_hll(client, key):
    r = results(client, key, [
        ho.hll_init("h", 10, 0),
        ho.hll_add("h", ["a", "b", "c", 1, 2, b"x"]),
        ho.hll_add("h", ["a", "b"]),
        ho.hll_get_count("h"),
        ho.hll_describe("h"),
    ])
    assert r == [None, 6, 0, 6, [10, 0]]
    h1 = client.get(key).bins["h"]
    assert isinstance(h1, bytes) and len(h1) > 100
    client.operate(key, [ho.hll_add("g", ["c", "d", "e", "f"], 10)])
    h2 = client.get(key).bins["g"]
    r = results(client, key, [
        ho.hll_get_union_count("h", [h2]),
        ho.hll_get_intersect_count("h", [h2]),
        ho.hll_get_similarity("h", [h2]),
        ho.hll_get_union("h", [h2]),
        ho.hll_refresh_count("h"),
    ])
    assert r[0] == 9 and r[1] == 1 and abs(r[2] - 1 / 9) < 0.02
    assert isinstance(r[3], bytes) and r[4] == 6
    client.operate(key, [ho.hll_set_union("h", [h2])])
    assert results(client, key, [ho.hll_get_count("h")]) == [9]
    client.operate(key, [ho.hll_fold("h", 6)])
    assert results(client, key, [ho.hll_describe("h")]) == [[6, 0]]
    with pytest.raises(exception.BinExistsError):
        client.operate(key, [ho.hll_init("h", 8, policy={"flags": aerowire.HLL_WRITE_CREATE_ONLY})])
    with pytest.raises(TypeError, match=r"op 0 \(hll_get_union\): 'hlls' item 0 is not an HLL"):
        client.operate(key, [ho.hll_get_union("h", ["text"])])
    with pytest.raises(ValueError, match="'index_bits' is 99"):
        client.operate(key, [ho.hll_init("h", 99)])
    with pytest.raises(exception.ParamError):     # 4..16 only: the encoder refuses 17
        client.operate(key, [ho.hll_init("h", 17)])


def test_mixed_families_in_one_operate(client, key):
    client.put(key, {"n": 1})
    rec = client.operate(key, [op.increment("n", 1), bo.bit_resize("b", 1),
                               ho.hll_add("h", ["x"], 8), op.read("n")])
    assert rec.bins == {"b": None, "h": 1, "n": 2}
