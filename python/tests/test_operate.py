"""Client.operate / operate_ordered: the plain ops, list and map ops with
contexts and policies, and the errors of bad op lists."""
import pytest

import aerowire
from aerowire import cdt_ctx as ctx
from aerowire import exception
from aerowire import list_operations as lo
from aerowire import map_operations as mo
from aerowire import operations as op
from fresh_key import key  # noqa: F401 - the test's key, with no record yet


def test_plain_ops(client, key):
    client.put(key, {"i": 1, "f": 1.5, "s": "b", "raw": b"\x01"})
    rec = client.operate(key, [op.increment("i", 41), op.increment("f", 1.0), op.append("s", "c"),
                               op.prepend("s", "a"), op.prepend("raw", b"\x00"),
                               op.write("new", [1, {"k": None}]), op.read("i"), op.read("f"),
                               op.read("s"), op.read("raw"), op.read("new")])
    assert rec.bins == {"i": 42, "f": 2.5, "s": "abc", "raw": b"\x00\x01",
                        "new": [1, {"k": None}]}
    assert rec.key[:3] == key and len(rec.key[3]) == 20
    assert rec.meta.gen == 2
    assert client.get(key).bins == {"i": 42, "f": 2.5, "s": "abc", "raw": b"\x00\x01",
                                    "new": [1, {"k": None}]}
    # read() without a bin reads every bin; write(None) deletes one.
    rec = client.operate(key, [op.write("f", None), op.read(None)])
    assert set(rec.bins) == {"i", "s", "raw", "new"}


def test_touch_and_delete(client, key):
    client.put(key, {"a": 1}, meta={"ttl": 1000})
    rec = client.operate(key, [op.touch(5000), op.read("a")])
    assert rec.meta.ttl > 1000 and rec.meta.ttl <= 5000
    assert rec.meta.gen == 2
    rec = client.operate(key, [op.touch(), op.read("a")], meta={"ttl": 777})
    assert 700 < rec.meta.ttl <= 777
    client.operate(key, [op.delete()])
    assert client.exists(key)[1] is None


def test_operate_ordered(client, key):
    client.put(key, {"l": [3, 1, 2]})
    rec = client.operate_ordered(key, [lo.list_size("l"), lo.list_append("l", 7),
                                       op.write("w", 1), lo.list_get("l", -1), op.read("w")])
    assert rec.bins == [("l", 3), ("l", 4), ("w", None), ("l", 7), ("w", 1)]
    # operate keeps the last result of a bin
    rec = client.operate(key, [lo.list_size("l"), lo.list_get("l", 0)])
    assert rec.bins == {"l": 3}


def test_list_ops(client, key):
    client.put(key, {"l": [5, 1, 4]})
    R = aerowire.LIST_RETURN_VALUE

    def one(o):
        return client.operate_ordered(key, [o]).bins[0][1]

    assert one(lo.list_append_items("l", [2, 3])) == 5
    assert one(lo.list_insert("l", 0, 0)) == 6
    assert one(lo.list_insert_items("l", 1, [9, 9])) == 8
    assert client.get(key).bins["l"] == [0, 9, 9, 5, 1, 4, 2, 3]
    assert one(lo.list_set("l", 1, 8)) is None
    assert one(lo.list_increment("l", 2, 10)) == 19
    assert one(lo.list_get_range("l", 1, 2)) == [8, 19]
    assert one(lo.list_get_range("l", 6, None)) == [2, 3]
    assert one(lo.list_pop("l", 0)) == 0
    assert one(lo.list_pop_range("l", 0, 2)) == [8, 19]
    assert one(lo.list_remove("l", 0)) == 1
    assert client.get(key).bins["l"] == [1, 4, 2, 3]
    assert one(lo.list_get_by_index("l", 1, R)) == 4
    assert one(lo.list_get_by_index_range("l", 1, R, 2)) == [4, 2]
    assert one(lo.list_get_by_index_range("l", 1, R, 1, inverted=True)) == [1, 2, 3]
    assert one(lo.list_get_by_rank("l", 0, R)) == 1
    assert one(lo.list_get_by_rank_range("l", 2, aerowire.LIST_RETURN_INDEX)) == [1, 3]
    assert one(lo.list_get_by_value("l", 4, aerowire.LIST_RETURN_INDEX)) == [1]
    assert one(lo.list_get_by_value_list("l", [2, 3], aerowire.LIST_RETURN_COUNT)) == 2
    assert one(lo.list_get_by_value_range("l", R, 2, 4)) == [2, 3]
    assert one(lo.list_get_by_value_range("l", R, None, 2)) == [1]
    assert one(lo.list_get_by_value_rank_range_relative("l", 2, 1, R)) == [3, 4]  # rank order
    assert one(lo.list_get_by_value_rank_range_relative("l", 2, 0, R, 1)) == [2]
    assert one(lo.list_get_by_value("l", 4, aerowire.LIST_RETURN_EXISTS)) is True
    assert one(lo.list_remove_by_value("l", 4, R)) == [4]
    assert one(lo.list_remove_by_index("l", 0, R)) == 1
    assert client.get(key).bins["l"] == [2, 3]
    client.put(key, {"l": [1, 2, 3, 4, 5, 6, 7, 8]})
    assert one(lo.list_remove_by_index_range("l", 6, aerowire.LIST_RETURN_COUNT)) == 2
    assert one(lo.list_remove_by_rank("l", 0, R)) == 1
    assert one(lo.list_remove_by_rank_range("l", 0, R, 1)) == [2]
    assert one(lo.list_remove_by_value_list("l", [3, 9], R)) == [3]
    assert one(lo.list_remove_by_value_range("l", R, 5, 6)) == [5]
    assert one(lo.list_remove_by_value_rank_range_relative("l", 4, 1, R)) == [6]
    assert client.get(key).bins["l"] == [4]
    client.put(key, {"l": [3, 1, 3, 2]})
    client.operate(key, [lo.list_sort("l", aerowire.LIST_SORT_DROP_DUPLICATES)])
    assert client.get(key).bins["l"] == [1, 2, 3]
    client.operate(key, [lo.list_trim("l", 1, 1)])
    assert client.get(key).bins["l"] == [2]
    client.operate(key, [lo.list_clear("l")])
    assert client.get(key).bins["l"] == []
    client.operate(key, [lo.list_set_order("l", aerowire.LIST_ORDERED),
                         lo.list_append_items("l", [5, 3, 4])])
    assert client.get(key).bins["l"] == [3, 4, 5]


def test_list_policy(client, key):
    client.put(key, {"l": [1, 2]})
    unique = {"write_flags": aerowire.LIST_WRITE_ADD_UNIQUE}
    with pytest.raises(exception.ElementExistsError) as e:
        client.operate(key, [lo.list_append("l", 2, unique)])
    assert e.value.code == 24
    quiet = {"write_flags": aerowire.LIST_WRITE_ADD_UNIQUE | aerowire.LIST_WRITE_NO_FAIL}
    assert client.operate(key, [lo.list_append("l", 2, quiet)]).bins == {"l": 2}
    ordered = {"list_order": aerowire.LIST_ORDERED}
    client.operate(key, [lo.list_append_items("o", [3, 1, 2], ordered)])
    assert client.get(key).bins["o"] == [1, 2, 3]
    with pytest.raises(ValueError, match="write_flag"):
        lo.list_append("l", 1, {"write_flag": 1})


def test_map_ops(client, key):
    M = aerowire.MAP_RETURN_VALUE

    def one(o):
        return client.operate_ordered(key, [o]).bins[0][1]

    client.put(key, {"m": {"b": 2, "a": 1}})
    kv = {"map_order": aerowire.MAP_KEY_ORDERED}
    assert one(mo.map_put("m", "c", 3, kv)) == 3
    assert one(mo.map_put_items("m", {"e": 5, "d": 4})) == 5
    assert one(mo.map_increment("m", "a", 10)) == 11
    assert one(mo.map_decrement("m", "b", 1)) == 1
    assert one(mo.map_size("m")) == 5
    assert one(mo.map_get_by_key("m", "c", M)) == 3
    assert one(mo.map_get_by_key_list("m", ["a", "e"], aerowire.MAP_RETURN_KEY)) == ["a", "e"]
    assert one(mo.map_get_by_key_range("m", "b", "d", aerowire.MAP_RETURN_KEY_VALUE)) == \
        {"b": 1, "c": 3}
    assert one(mo.map_get_by_value("m", 4, aerowire.MAP_RETURN_KEY)) == ["d"]
    assert one(mo.map_get_by_value_list("m", [1, 5], aerowire.MAP_RETURN_COUNT)) == 2
    assert one(mo.map_get_by_value_range("m", 3, 6, aerowire.MAP_RETURN_KEY)) == ["c", "d", "e"]
    assert one(mo.map_get_by_index("m", 0, aerowire.MAP_RETURN_KEY)) == "a"
    assert one(mo.map_get_by_index_range("m", 3, None, aerowire.MAP_RETURN_KEY)) == ["d", "e"]
    assert one(mo.map_get_by_rank("m", 0, aerowire.MAP_RETURN_KEY)) == "b"
    assert one(mo.map_get_by_rank_range("m", 0, 2, aerowire.MAP_RETURN_KEY,
                                        inverted=True)) == ["d", "e", "a"]  # rank order
    assert one(mo.map_get_by_value_rank_range_relative("m", 4, 1, aerowire.MAP_RETURN_KEY)) == \
        ["e", "a"]
    assert one(mo.map_get_by_key_index_range_relative("m", "c", -1, aerowire.MAP_RETURN_KEY,
                                                      2)) == ["b", "c"]
    # KEY_VALUE results are dicts in the server's (index) order.
    full = one(mo.map_get_by_index_range("m", 0, None, aerowire.MAP_RETURN_KEY_VALUE))
    assert list(full.items()) == [("a", 11), ("b", 1), ("c", 3), ("d", 4), ("e", 5)]
    assert one(mo.map_remove_by_key("m", "a", M)) == 11
    assert one(mo.map_remove_by_key_list("m", ["b"], M)) == [1]
    assert one(mo.map_remove_by_value("m", 3, aerowire.MAP_RETURN_KEY)) == ["c"]
    client.put(key, {"m": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8}})
    assert one(mo.map_remove_by_key_range("m", "g", None, aerowire.MAP_RETURN_COUNT)) == 2
    assert one(mo.map_remove_by_value_list("m", [6], aerowire.MAP_RETURN_KEY)) == ["f"]
    assert one(mo.map_remove_by_value_range("m", 5, 6, aerowire.MAP_RETURN_KEY)) == ["e"]
    assert one(mo.map_remove_by_index("m", 0, aerowire.MAP_RETURN_KEY)) in ("a", "b", "c", "d")
    assert one(mo.map_remove_by_rank_range("m", 0, 1, aerowire.MAP_RETURN_COUNT)) == 1
    assert one(mo.map_size("m")) == 2
    assert one(mo.map_remove_by_rank("m", 0, aerowire.MAP_RETURN_COUNT)) == 1
    client.put(key, {"m": {"a": 1, "b": 2, "c": 3}})
    assert one(mo.map_remove_by_index_range("m", 1, None, aerowire.MAP_RETURN_KEY)) in (
        ["b", "c"], ["c", "b"], ["a", "c"], ["a", "b"], ["b", "a"], ["c", "a"])
    client.put(key, {"m": {"a": 1, "b": 2, "c": 3}})
    assert one(mo.map_remove_by_value_rank_range_relative("m", 2, 0, aerowire.MAP_RETURN_VALUE,
                                                          1)) == [2]
    assert one(mo.map_remove_by_key_index_range_relative("m", "a", 0, aerowire.MAP_RETURN_COUNT)
               ) == 2
    client.operate(key, [mo.map_clear("m")])
    assert client.get(key).bins["m"] == {}


def test_map_policy_and_create(client, key):
    client.put(key, {"m": {"a": 1}})
    only_new = {"map_write_flags": aerowire.MAP_WRITE_FLAGS_CREATE_ONLY}
    with pytest.raises(exception.ElementExistsError):
        client.operate(key, [mo.map_put("m", "a", 2, only_new)])
    only_old = {"map_write_flags": aerowire.MAP_WRITE_FLAGS_UPDATE_ONLY}
    with pytest.raises(exception.ElementNotFoundError) as e:
        client.operate(key, [mo.map_put("m", "zz", 2, only_old)])
    assert e.value.code == 23
    client.operate(key, [mo.map_create("k", aerowire.MAP_KEY_ORDERED, False),
                         mo.map_put_items("k", {"z": 1, "y": 2, "x": 3})])
    assert list(client.get(key).bins["k"]) == ["x", "y", "z"]
    client.operate(key, [mo.map_set_policy("m", {"map_order": aerowire.MAP_KEY_ORDERED}),
                         mo.map_put_items("m", {"c": 3, "b": 2})])
    assert list(client.get(key).bins["m"]) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="map_ordr"):
        mo.map_put("m", "a", 1, {"map_ordr": 1})


def test_contexts(client, key):
    client.put(key, {"doc": {"users": [{"name": "a", "tags": ["x"]}, {"name": "b", "tags": []}],
                             "n": {"k": [5, 6]}}})
    users = [ctx.cdt_ctx_map_key("users")]
    second = users + [ctx.cdt_ctx_list_index(1)]
    rec = client.operate_ordered(key, [
        lo.list_size("doc", users),
        mo.map_get_by_key("doc", "name", aerowire.MAP_RETURN_VALUE, second),
        lo.list_append("doc", "y", ctx=second + [ctx.cdt_ctx_map_key("tags")]),
        lo.list_get_by_rank("doc", -1, aerowire.LIST_RETURN_VALUE,
                            [ctx.cdt_ctx_map_key("n"), ctx.cdt_ctx_map_key("k")]),
        mo.map_size("doc", users + [ctx.cdt_ctx_list_rank(0)]),
        lo.list_size("doc", users + [ctx.cdt_ctx_list_value({"name": "a", "tags": ["x"]}),
                                     ctx.cdt_ctx_map_key("tags")]),
        mo.map_get_by_key("doc", "k", aerowire.MAP_RETURN_VALUE,
                          [ctx.cdt_ctx_map_index(0)]),
        lo.list_size("doc", [ctx.cdt_ctx_map_key("n"), ctx.cdt_ctx_map_value([5, 6])]),
    ])
    assert [v for _, v in rec.bins] == [2, "b", 1, 6, 2, 1, [5, 6], 2]
    assert client.get(key).bins["doc"]["users"][1]["tags"] == ["y"]
    # *_create items make what is missing.
    client.operate(key, [
        lo.list_append("doc", 1, ctx=[ctx.cdt_ctx_map_key_create("new", aerowire.MAP_KEY_ORDERED),
                                      ctx.cdt_ctx_map_key_create("inner")]),
        mo.map_put("doc", "z", 0, ctx=[ctx.cdt_ctx_map_key("n"), ctx.cdt_ctx_map_key("k"),
                                       ctx.cdt_ctx_list_index_create(3, aerowire.LIST_UNORDERED,
                                                                     True)]),
    ])
    doc = client.get(key).bins["doc"]
    assert doc["new"] == {"inner": [1]}
    assert doc["n"]["k"] == [5, 6, None, {"z": 0}]
    # A create context with an unknown order is refused by the encoder.
    with pytest.raises(exception.ParamError):
        client.operate(key, [lo.list_size("doc", [ctx.cdt_ctx_list_index_create(0, 7)])])


@pytest.mark.parametrize("bad, exc, text", [
    ([], ValueError, "ops is empty"),
    ("read", TypeError, "ops must be a list"),
    ([{"bin": "a"}], TypeError, "op 0 must be a dict with an int 'op'"),
    ([op.read("a"), ("op", 1)], TypeError, "op 1 must be a dict"),
    ([{"op": 99999, "bin": "a"}], ValueError, "unknown op code 99999"),
    ([op.write("a-bin-name-too-long", 1)], ValueError,
     r"op 0 \(write\): bin name 'a-bin-name-too-long' is 19 bytes"),
    ([op.write("", 1)], ValueError, "is 0 bytes"),
    ([op.write(5, 1)], TypeError, "bin name must be a str"),
    ([op.increment("i", "x")], TypeError, r"op 0 \(increment\): 'val' must be an int or float"),
    ([op.append("s", 1)], TypeError, "'val' must be a str or bytes"),
    ([op.write("a", object())], TypeError, "unsupported value type object"),
    ([lo.list_get("l", "0")], TypeError, r"op 0 \(list_get\): 'index' must be an int"),
    ([lo.list_get("l", 2**64)], ValueError, "does not fit a signed 64-bit"),
    ([lo.list_get_range("l", 0, -1)], ValueError, "'count' is -1"),
    ([lo.list_trim("l", 0, None)], ValueError, "'count' is missing"),
    ([lo.list_size("l", ctx=[("x",)])], TypeError, "ctx item 0 is not a context"),
    ([lo.list_size("l", ctx=[(0x77, 1)])], ValueError, "ctx item 0 has an unknown type 0x77"),
    ([lo.list_size("l", ctx=[ctx.cdt_ctx_list_index("a")])], TypeError, "needs an int index"),
    ([lo.list_size("l", ctx="abc")], TypeError, "'ctx' must be a list"),
    ([{"op": 1001, "bin": "l"}], ValueError, "'val' is missing"),
])
def test_bad_ops(client, key, bad, exc, text):
    with pytest.raises(exc, match=text):
        client.operate(key, bad)


def test_builder_argument_errors():
    with pytest.raises(TypeError, match="return_type must be an int"):
        lo.list_get_by_index("l", 0, "value")
    with pytest.raises(TypeError, match="list policy must be a dict"):
        lo.list_append("l", 1, policy=3)


def test_server_errors(client, key):
    with pytest.raises(exception.RecordNotFound):
        client.operate(key, [op.read("a")])
    client.put(key, {"s": "text", "l": [1]})
    with pytest.raises(exception.BinIncompatibleType) as e:
        client.operate(key, [op.increment("s", 1)])
    assert e.value.code == 12
    with pytest.raises(exception.OpNotApplicable) as e:
        client.operate(key, [lo.list_get("l", 5)])
    assert e.value.code == 26
    with pytest.raises(exception.RecordGenerationError):
        client.operate(key, [op.write("a", 1)], meta={"gen": 99},
                       policy={"gen": aerowire.POLICY_GEN_EQ})
    with pytest.raises(exception.RecordExistsError):
        client.operate(key, [op.write("a", 1)],
                       policy={"exists": aerowire.POLICY_EXISTS_CREATE})
    with pytest.raises(ValueError, match="unknown write policy key"):
        client.operate(key, [op.read("a")], policy={"bogus": 1})


def test_paths(client, key):
    client.put(key, {"m": {"a": {"x": 1, "y": 2}, "b": {"x": 3, "y": 4}, "c": {"x": 5}}})
    every_x = [ctx.cdt_ctx_all_children(), ctx.cdt_ctx_map_key("x")]
    rec = client.operate(key, [op.select_by_path("m", every_x, aerowire.EXP_PATH_SELECT_VALUE)])
    assert rec.bins == {"m": [1, 3, 5]}
    rec = client.operate(key, [op.select_by_path("m", [ctx.cdt_ctx_map_keys_in(["a", "c"])],
                                                 aerowire.EXP_PATH_SELECT_MAP_KEY)])
    assert rec.bins == {"m": ["a", "c"]}
    from aerowire import exp
    client.operate(key, [op.modify_by_path("m", every_x, exp.parse("0"), 0)])
    assert client.get(key).bins["m"] == {"a": {"x": 0, "y": 2}, "b": {"x": 0, "y": 4},
                                         "c": {"x": 0}}
    with pytest.raises(exception.OpNotApplicable):   # path items in an ordinary op
        client.operate(key, [mo.map_size("m", [ctx.cdt_ctx_all_children()])])
