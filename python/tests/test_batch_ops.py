"""batch_write / batch_operate with operate's ops (every family, touch's TTL,
the same errors as operate), and a policy's expressions on every batch
command: a filtered-out row answers code 27, the others run."""
import numpy as np
import pytest

import aerowire
from aerowire import bitwise_operations as bo
from aerowire import cdt_ctx as ctx
from aerowire import exp
from aerowire import expression_operations as eo
from aerowire import hll_operations as ho
from aerowire import list_operations as lo
from aerowire import map_operations as mo
from aerowire import operations as op

SET = "py-bops"


def fresh(client, keys):
    client.batch_remove(keys)
    return keys


def test_batch_operate_every_op_family(client):
    keys = fresh(client, [("test", SET, f"fam{i}") for i in range(3)])
    for i, k in enumerate(keys):
        client.put(k, {"n": i, "l": [3, 1, 2], "m": {"a": i}, "bits": b"\x00",
                       "doc": {"tags": ["x"]}})
    res = client.batch_operate(keys, [
        lo.list_append("l", 9),
        lo.list_get_by_rank("l", -1, aerowire.LIST_RETURN_VALUE),
        mo.map_increment("m", "a", 10),
        bo.bit_set("bits", 0, 8, 1, b"\xf0"),
        bo.bit_count("bits", 0, 8),
        ho.hll_add("h", ["a", "b", "a"], 8),
        eo.expression_read("twice", exp.parse("$.n * 2")),
        lo.list_append("doc", "y", ctx=[ctx.cdt_ctx_map_key("tags")]),
    ])
    assert res.result == 0
    for i, r in enumerate(res):
        assert r.record.bins == {"l": 9, "m": 10 + i, "bits": 4, "h": 2, "twice": 2 * i,
                                 "doc": 2}
        stored = client.get(keys[i]).bins
        assert isinstance(stored.pop("h"), bytes)
        assert stored == {"n": i, "l": [3, 1, 2, 9], "m": {"a": 10 + i}, "bits": b"\xf0",
                          "doc": {"tags": ["x", "y"]}}
    counts = client.batch_operate(keys, [ho.hll_get_count("h")])
    assert [r.record.bins["h"] for r in counts] == [2, 2, 2]


def test_batch_write_rows_of_builder_ops(client):
    keys = fresh(client, [("test", SET, f"rows{i}") for i in range(3)])
    client.put(keys[0], {"a": 1}, meta={"ttl": 100})
    res = client.batch_write(keys, [
        [op.touch(5000), op.read("a")],
        {"a": 2},
        [lo.list_append_items("l", [1, 2]), mo.map_put("m", "k", "v")],
    ], policy={"ttl": 300})
    assert [r.result for r in res] == [0, 0, 0]
    assert res[0].record.bins == {"a": 1} and res[2].record.bins == {"l": 2, "m": 1}
    # The touch op's TTL is its row's; the policy's the others'.
    assert 4900 <= client.get(keys[0]).meta.ttl <= 5000
    assert 200 <= client.get(keys[1]).meta.ttl <= 300
    assert client.get(keys[2]).bins == {"l": [1, 2], "m": {"k": "v"}}
    touched = client.batch_operate(keys[1:], [op.touch(7000)])
    assert touched.result == 0
    assert all(6900 <= client.get(k).meta.ttl <= 7000 for k in keys[1:])


def test_official_touch_dict_val_is_the_ttl(client):
    keys = fresh(client, [("test", SET, f"tv{i}") for i in range(2)])
    for k in keys:
        client.put(k, {"a": 1}, meta={"ttl": 100})
    touch = {"op": aerowire.OPERATOR_TOUCH, "val": 4000}
    client.operate(keys[0], [touch])
    assert 3900 <= client.get(keys[0]).meta.ttl <= 4000
    assert client.batch_operate(keys[1:], [touch]).result == 0
    assert 3900 <= client.get(keys[1]).meta.ttl <= 4000


BAD_OPS = [
    [lo.list_get("l", "x")],
    [op.increment("n", 1), {"op": 99999, "bin": "a"}],
    [op.write("b" * 16, 1)],
    [{"op": aerowire.OPERATOR_READ, "bin": "a", "ctx": []}],
    [op.append("s", 5)],
    [eo.expression_read("x", "$.n")],
    ["read"],
]


@pytest.mark.parametrize("ops", BAD_OPS)
def test_batch_op_errors_are_operate_errors(client, ops):
    keys = fresh(client, [("test", SET, "bad0"), ("test", SET, "bad1")])
    with pytest.raises((TypeError, ValueError)) as by_operate:
        client.operate(keys[0], ops)
    for call in (lambda: client.batch_operate(keys, ops),
                 lambda: client.batch_write(keys, [{"a": 1}, ops])):
        with pytest.raises(type(by_operate.value)) as by_batch:
            call()
        assert str(by_batch.value) == str(by_operate.value)
    assert [client.exists(k)[1] for k in keys] == [None, None]


EVEN = {"expressions": exp.parse("$.v % 2 == 0")}


def put_v(client, keys):
    for i, k in enumerate(keys):
        client.put(k, {"v": i})


def test_filter_on_batch_operate_and_write(client):
    keys = fresh(client, [("test", SET, f"flt{i}") for i in range(4)])
    put_v(client, keys)
    res = client.batch_operate(keys, [op.increment("n", 1), op.read("n")], policy=EVEN)
    assert [r.result for r in res] == [0, 27, 0, 27] and res.result == 27
    assert [r.record and r.record.bins for r in res] == [{"n": 1}, None, {"n": 1}, None]
    assert not any(r.in_doubt for r in res)
    res = client.batch_write(keys, [{"w": 1}, {"w": 1}, [op.write("w", 2)], [op.delete()]],
                             policy=EVEN)
    assert [r.result for r in res] == [0, 27, 0, 27]
    assert [client.get(k).bins for k in keys] == [
        {"v": 0, "n": 1, "w": 1}, {"v": 1}, {"v": 2, "n": 1, "w": 2}, {"v": 3}]


def test_filter_on_batch_remove(client):
    keys = fresh(client, [("test", SET, f"frm{i}") for i in range(4)])
    put_v(client, keys)
    res = client.batch_remove(keys, policy=EVEN)
    assert [r.result for r in res] == [0, 27, 0, 27]
    assert [client.exists(k)[1] is not None for k in keys] == [False, True, False, True]


def test_filter_on_batch_write_numpy(client):
    keys = fresh(client, [("test", SET, i) for i in range(4)])
    put_v(client, keys)
    dt = np.dtype([("_key", "<i8"), ("v", "<i8")])
    data = np.array([(i, 100 + i) for i in range(4)], dtype=dt)
    res = client.batch_write_numpy(data, "test", SET, dt, policy=EVEN)
    assert list(res.result_codes) == [0, 27, 0, 27]
    assert list(res.generations) == [2, 0, 2, 0]
    assert [client.get(k).bins["v"] for k in keys] == [100, 1, 102, 3]


def test_no_memory_growth_over_batch_ops_and_filters(client):
    from test_threads_refs import _steady
    keys = fresh(client, [("test", SET + "-leak", i) for i in range(8)])
    put_v(client, keys)
    ops = [lo.list_append("l", 1), mo.map_put("m", "k", "v"), bo.bit_resize("b", 2),
           ho.hll_add("h", ["a"], 8), eo.expression_read("e", exp.parse("$.v + 1")),
           op.touch(600), op.read("v")]
    dt = np.dtype([("_key", "<i8"), ("v", "<i8")])
    data = np.array([(i, 2 * i) for i in range(8)], dtype=dt)

    def batches():
        client.batch_operate(keys, ops, policy=EVEN)
        client.batch_write(keys[:2], [ops, {"v": 0}], policy=EVEN)
        client.batch_write_numpy(data, "test", SET + "-leak", dt, policy=EVEN)
        client.batch_read(keys, policy=EVEN)
        client.batch_remove(keys[6:], policy=EVEN)
        with pytest.raises(TypeError):
            client.batch_operate(keys, [lo.list_get("l", "x")])

    _steady(batches, 1000)
