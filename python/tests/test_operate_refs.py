"""operate under load: threads sharing a client and expressions, and no
memory growth over many calls of every op family and of refused ops."""
import threading

import pytest

from aerowire import bitwise_operations as bo
from aerowire import cdt_ctx as ctx
from aerowire import exception, exp
from aerowire import expression_operations as eo
from aerowire import hll_operations as ho
from aerowire import list_operations as lo
from aerowire import map_operations as mo
from aerowire import operations as op
from test_threads_refs import _steady
from fresh_key import key  # noqa: F401 - the test's key, with no record yet


def test_eight_threads_operate_with_shared_expressions(client):
    flt = {"expressions": exp.parse("$.n >= 0")}
    doubled = exp.parse("$.n * 2")
    errors = []

    def work(t):
        key = ("test", "py-op-threads", t)
        try:
            client.put(key, {"n": 0, "l": []})
            for i in range(200):
                rec = client.operate(key, [op.increment("n", 1), lo.list_append("l", i),
                                           eo.expression_read("d", doubled), op.read("n")],
                                     policy=flt)
                assert rec.bins["n"] == i + 1 and rec.bins["d"] == 2 * (i + 1)
            assert client.get(key).bins["l"] == list(range(200))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


def test_no_memory_growth_over_operates(client, key):
    client.put(key, {"n": 1, "l": [1, 2, 3], "m": {"a": {"b": 1}}, "b": b"\x00" * 8})
    client.operate(key, [ho.hll_init("h", 8)])
    flt = {"expressions": exp.parse("$.n > 0")}
    ops = [op.increment("n", 1), op.read("n"), lo.list_get_range("l", 0, 2),
           mo.map_get_by_key("m", "b", 7, ctx=[ctx.cdt_ctx_map_key("a")]),
           mo.map_get_by_index_range("m", 0, None, 8), bo.bit_get("b", 0, 16),
           ho.hll_add("h", ["x", "y"]), ho.hll_describe("h"),
           eo.expression_read("e", exp.parse("$.n + 1"))]
    _steady(lambda: client.operate(key, ops, policy=flt), 5000)
    _steady(lambda: client.operate_ordered(key, ops), 2000)


def test_no_memory_growth_over_refused_ops(client, key):
    client.put(key, {"n": 1})
    bad = [lo.list_size("l", ctx=[ctx.cdt_ctx_list_index("x")])]
    filtered = {"expressions": exp.parse("$.n > 5")}

    def errors():
        with pytest.raises(TypeError):
            client.operate(key, bad)
        with pytest.raises(exception.FilteredOut):
            client.operate(key, [op.read("n")], policy=filtered)
        with pytest.raises(ValueError):
            exp.parse("$.n >")

    _steady(errors, 3000)
