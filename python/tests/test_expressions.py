"""Expressions: aerowire.exp (text and builder classes), a policy's
"expressions" filter on every command kind, and expression ops."""
import pytest

import aerowire
from aerowire import exception, exp
from aerowire import expression_operations as eo
from aerowire import list_operations as lo
from aerowire import operations as op
from fresh_key import key  # noqa: F401 - the test's key, with no record yet


def test_parse_and_base64():
    e = exp.parse("$.a > 5 && since_update() < 3600000")
    assert e.base64() == "kxCTA5NRAqFhBZMFkUPOADbugA=="   # docs/expressions.md's bytes
    assert exp.from_base64(e.base64()) == e
    assert bytes(e)[:1] == b"\x93"
    assert hash(exp.parse("$.a > 5")) == hash(exp.parse("$.a>5"))
    with pytest.raises(ValueError, match="at 7: expected a value after '>'"):
        exp.parse("$.a > ")
    with pytest.raises(ValueError, match="not an expression's base64"):
        exp.from_base64("!!")
    with pytest.raises(TypeError, match="must be a str"):
        exp.parse(b"$.a > 1")
    with pytest.raises(TypeError):
        exp.Expression()


def test_builder_classes_compile_like_text():
    built = exp.And(exp.GT(exp.IntBin("a"), 5), exp.LT(exp.SinceUpdateTime(), 3600000))
    assert built.compile() == exp.parse("$.a > 5 && since_update() < 3600000")
    assert exp.Eq(exp.StrBin("s"), 'q"\n\\').compile() == exp.parse(r'$.s == "q\"\n\\"')
    assert exp.Eq(exp.BlobBin("b"), b"\x00\xff").compile() == exp.parse('$.b == x"00ff"')
    assert exp.Let(exp.Def("x", exp.Mul(exp.IntBin("i"), 2)),
                   exp.GT(exp.Var("x"), 10)).compile() == exp.parse("let(x = $.i * 2, x > 10)")
    assert exp.CmpRegex(aerowire.REGEX_ICASE, "^a", exp.StrBin("s")).compile() == \
        exp.parse('regex($.s, "^a", "i")')
    assert exp.Not(exp.BinExists("z")).compile() == exp.parse('not(bin_exists("z"))')
    with pytest.raises(ValueError, match="expression"):
        exp.GT(exp.IntBin("a"), 1.5).compile()      # int compared with float
    with pytest.raises(TypeError, match="unsupported expression value type"):
        exp.Eq(exp.IntBin("a"), object()).compile()


def test_filter_on_single_record_commands(client, key):
    client.put(key, {"age": 40, "name": "ann"})
    adult = {"expressions": exp.parse("$.age >= 18")}
    child = {"expressions": exp.GT(exp.IntBin("age"), 99).compile()}
    assert client.get(key, adult).bins["age"] == 40
    assert client.select(key, ["name"], adult).bins == {"name": "ann"}
    for call in (lambda p: client.get(key, p), lambda p: client.select(key, ["age"], p),
                 lambda p: client.exists(key, p), lambda p: client.put(key, {"x": 1}, policy=p),
                 lambda p: client.touch(key, policy=p), lambda p: client.remove(key, policy=p),
                 lambda p: client.operate(key, [op.read("age")], policy=p)):
        with pytest.raises(exception.FilteredOut) as e:
            call(child)
        assert e.value.code == 27
    assert client.get(key).bins == {"age": 40, "name": "ann"}      # nothing was written
    client.put(key, {"x": 2}, policy=adult)
    assert client.get(key).bins["x"] == 2
    rec = client.operate(key, [op.increment("age", 1), op.read("age")], policy=adult)
    assert rec.bins == {"age": 41}
    client.remove(key, policy={"expressions": None})
    assert client.exists(key)[1] is None


def test_filter_on_batch_read(client):
    keys = [("test", "py_exp_batch", i) for i in range(4)]
    for i, k in enumerate(keys):
        client.put(k, {"v": i})
    recs = client.batch_read(keys, policy={"expressions": exp.parse("$.v >= 0")})
    assert [r.bins["v"] for r in recs] == [0, 1, 2, 3]
    even = {"expressions": exp.parse("$.v % 2 == 0")}
    # A filtered row is answered, as a missing one is: meta and bins None,
    # its code 27 in result_codes.
    recs = client.batch_read(keys + [("test", "py_exp_batch", "none")], policy=even)
    assert [r.bins for r in recs] == [{"v": 0}, None, {"v": 2}, None, None]
    assert [r.meta is None for r in recs] == [False, True, False, True, True]
    assert [r.key[:3] for r in recs[:4]] == keys
    assert recs.result_codes == [0, 27, 0, 27, 2]
    rows = client.batch_read(keys, policy=even, _dtype=[("v", "<i8")])
    assert list(rows.result_codes) == [0, 27, 0, 27]
    assert list(rows.batch_records["v"]) == [0, 0, 2, 0]


def test_filter_policy_errors(client, key):
    with pytest.raises(TypeError, match="policy expressions must be an aerowire.exp.Expression"):
        client.get(key, {"expressions": "$.a > 1"})
    with pytest.raises(ValueError, match="not by defaults"):
        aerowire.client({"hosts": [("127.0.0.1", 3000)],
                         "policies": {"read": {"expressions": exp.parse("$.a > 1")}}})
    client.put(key, {"a": 1})
    with pytest.raises(exception.ParamError):       # a filter must be bool
        client.get(key, {"expressions": exp.parse("$.a.int() + 1")})


def test_expression_ops(client, key):
    client.put(key, {"a": 3, "b": 4, "l": [1, 2, 3]})
    rec = client.operate(key, [
        eo.expression_read("sum", exp.parse("$.a + $.b.int()")),
        eo.expression_read("big", exp.GT(exp.IntBin("b"), 3)),
        eo.expression_write("c", exp.parse("$.a * $.b.int()")),
        op.read("c"),
    ])
    assert rec.bins == {"sum": 7, "big": True, "c": 12}
    assert client.get(key).bins["c"] == 12
    with pytest.raises(exception.OpNotApplicable):
        client.operate(key, [eo.expression_read("x", exp.parse("$.nope.int() + 1"))])
    rec = client.operate(key, [eo.expression_read("x", exp.parse("$.nope.int() + 1"),
                                                  aerowire.EXP_READ_EVAL_NO_FAIL)])
    assert rec.bins == {"x": None}
    with pytest.raises(exception.BinExistsError):
        client.operate(key, [eo.expression_write("a", exp.parse("$.b.int()"),
                                                 aerowire.EXP_WRITE_CREATE_ONLY)])
    with pytest.raises(TypeError, match=r"op 0 \(expression_read\): 'exp' must be"):
        client.operate(key, [eo.expression_read("x", "$.a")])


def test_filtered_operate_with_list_ops(client, key):
    client.put(key, {"l": [1, 2], "tier": "gold"})
    gold = {"expressions": exp.parse('$.tier == "gold"')}
    silver = {"expressions": exp.parse('$.tier == "silver"')}
    assert client.operate(key, [lo.list_append("l", 3)], policy=gold).bins == {"l": 3}
    with pytest.raises(exception.FilteredOut):
        client.operate(key, [lo.list_append("l", 4)], policy=silver)
    assert client.get(key).bins["l"] == [1, 2, 3]
