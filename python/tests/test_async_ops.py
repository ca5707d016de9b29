"""AsyncClient's commands past get/put: expression filters, operate and
operate_ordered, batch_read's filtered rows, the batch writes (each result
compared with the sync Client's), batch_write_numpy's array held read-only
until its command completes, and the async config keys."""
import asyncio
import os

import numpy as np
import pytest

import aerowire
from aerowire import exception as ex
from aerowire import exp, list_operations as lo, map_operations as mo, operations as op
from fresh_key import key  # noqa: F401 - a fixture
from test_async import _growth_async, run
from test_errors import own_server  # noqa: F401 - a fixture

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


def test_filter_on_single_record_commands(config, key):  # noqa: F811
    adult = {"expressions": exp.parse("$.age >= 18")}
    child = {"expressions": exp.GT(exp.IntBin("age"), 99).compile()}

    async def main():
        async with aerowire.AsyncClient(config) as c:
            await c.put(key, {"age": 40, "name": "ann"})
            assert (await c.get(key, adult)).bins["age"] == 40
            assert (await c.select(key, ["name"], adult)).bins == {"name": "ann"}
            for call in (lambda p: c.get(key, p), lambda p: c.select(key, ["age"], p),
                         lambda p: c.exists(key, p), lambda p: c.put(key, {"x": 1}, policy=p),
                         lambda p: c.touch(key, policy=p), lambda p: c.remove(key, policy=p),
                         lambda p: c.operate(key, [op.read("age")], policy=p)):
                with pytest.raises(ex.FilteredOut) as e:
                    await call(child)
                assert e.value.code == 27
            assert (await c.get(key)).bins == {"age": 40, "name": "ann"}  # nothing written
            await c.put(key, {"x": 2}, policy=adult)
            assert (await c.get(key)).bins["x"] == 2
            with pytest.raises(TypeError, match="policy expressions must be"):
                c.get(key, {"expressions": "$.age > 1"})
            await c.remove(key, policy=adult)
            assert (await c.exists(key))[1] is None

    run(main())


def test_operate_and_operate_ordered_match_the_sync_client(client, config):
    keys = [("test", "py-async-ops", "sync"), ("test", "py-async-ops", "async")]
    ops = [
        op.increment("n", 2),
        op.read("n"),
        lo.list_get_by_rank_range("scores", -2, aerowire.LIST_RETURN_VALUE),
        mo.map_put("prefs", "lang", "en", {"map_order": aerowire.MAP_KEY_ORDERED}),
        op.touch(600),
    ]
    ordered = [lo.list_size("scores"), lo.list_pop("scores", 0), op.read("n")]
    for k in keys:
        client.put(k, {"n": 1, "scores": [70, 95, 80]})
    want = client.operate(keys[0], ops)
    want_ordered = client.operate_ordered(keys[0], ordered)

    async def main():
        async with aerowire.AsyncClient(config) as c:
            got = await c.operate(keys[1], ops)
            got_ordered = await c.operate_ordered(keys[1], ordered)
            # Generation checks, meta and the ops' own errors as operate has them.
            with pytest.raises(ex.RecordGenerationError):
                await c.operate(keys[1], [op.write("a", 1)], meta={"gen": 1},
                                policy={"gen": aerowire.POLICY_GEN_EQ})
            with pytest.raises(ValueError, match="op 0 .write.: bin name"):
                c.operate(keys[1], [op.write("a-bin-name-too-long", 1)])
            with pytest.raises(ex.RecordNotFound):
                await c.operate(("test", "py-async-ops", "none"), [op.read("n")])
            with pytest.raises(ex.BinIncompatibleType):
                await c.operate(keys[1], [lo.list_append("n", 1)])
            return got, got_ordered

    got, got_ordered = run(main())
    assert got.bins == want.bins == {"n": 3, "scores": [80, 95], "prefs": 1}
    assert got.key[:3] == keys[1] and got.meta.gen == want.meta.gen == 2
    assert 0 < got.meta.ttl <= 600  # the touch op's ttl
    assert got_ordered.bins == want_ordered.bins == [("scores", 3), ("scores", 70), ("n", 3)]
    assert got_ordered.meta == want_ordered.meta
    assert client.get(keys[1]).bins == client.get(keys[0]).bins


def test_batch_read_answers_filtered_rows(config, client):
    keys = [("test", "py-async-exp", i) for i in range(4)]
    for i, k in enumerate(keys):
        client.put(k, {"v": i})
    even = {"expressions": exp.parse("$.v % 2 == 0")}
    all_keys = keys + [("test", "py-async-exp", "none")]
    want = client.batch_read(all_keys, policy=even)

    async def main():
        async with aerowire.AsyncClient(config) as c:
            return await c.batch_read(all_keys, policy=even)

    got = run(main())
    assert isinstance(got, aerowire.RecordList)
    assert got.result_codes == want.result_codes == [0, 27, 0, 27, 2]
    assert [r.bins for r in got] == [r.bins for r in want] == [{"v": 0}, None, {"v": 2}, None,
                                                              None]


def test_batch_writes_match_the_sync_client(client, config):
    def keys(who):
        return [("test", "py-async-bw", f"{who}{i}") for i in range(3)]

    incr = {"op": aerowire.OPERATOR_INCR, "bin": "visits", "val": 1}
    read = {"op": aerowire.OPERATOR_READ, "bin": "visits"}
    frequent = {"expressions": exp.parse("$.visits >= 2")}

    def steps(c, ks):
        return [
            lambda: c.batch_write(ks[:2], [{"name": "Ada", "visits": 1}, [incr, read]]),
            lambda: c.batch_operate(ks, [incr, read, lo.list_append("log", "seen")]),
            lambda: c.batch_operate(ks, [op.touch(600), read], policy=frequent),
            lambda: c.batch_remove(ks + [("test", "py-async-bw", "none")]),
        ]

    for k in keys("s") + keys("a"):
        client.put(k, {"visits": 0})
        client.remove(k)
    want = [s() for s in steps(client, keys("s"))]

    async def main():
        async with aerowire.AsyncClient(config) as c:
            return [await s() for s in steps(c, keys("a"))]

    got = run(main())

    def shape(res):
        return res.result, [(r.key[:2], r.result, r.in_doubt,
                             r.record and (r.record.meta.gen, r.record.bins)) for r in res]

    assert [shape(g) for g in got] == [shape(w) for w in want]
    assert [r.result for r in got[2]] == [0, 0, 27]
    assert [r.result for r in got[3]] == [0, 0, 0, 2] and got[3].result == 2
    assert [r.key[2] for r in got[1]] == ["a0", "a1", "a2"]


def test_batch_write_numpy(config, client):
    dt = np.dtype([("_key", "<i8"), ("temp", "<f8"), ("name", "S8"), ("_ttl", "<i4")])
    data = np.array([(i, 20.5 + i, b"s%d" % i, 3600) for i in range(100)], dtype=dt)
    keys = [("test", "py-async-np", i) for i in range(100)]
    client.put(keys[7], {"old": 1})
    create = {"exists": aerowire.POLICY_EXISTS_CREATE}

    async def main():
        async with aerowire.AsyncClient(config) as c:
            res = await c.batch_write_numpy(data, "test", "py-async-np", dt, policy=create)
            assert data.flags.writeable
            with pytest.raises(ValueError, match="key field 'nope' is not in"):
                await c.batch_write_numpy(data, "test", "py-async-np", dt, key_field="nope")
            assert data.flags.writeable
            return res

    res = run(main())
    assert list(res.result_codes) == [0] * 7 + [5] + [0] * 92
    assert not res.in_doubt.any() and res.generations[0] == 1 and res.generations[7] == 0
    assert res[3].key[:3] == keys[3] and res[3].meta.gen == 1 and res[7].meta is None
    back = client.batch_read(keys, _dtype=[("temp", "<f8"), ("name", "S8")])
    assert back.batch_records["temp"][99] == 119.5 and back.batch_records["name"][3] == b"s3"
    assert 0 < client.get(keys[0]).meta.ttl <= 3600


def test_batch_write_numpy_array_read_only_until_the_command_completes(own_server):  # noqa: F811
    dt = np.dtype([("_key", "<i8"), ("v", "<i8")])
    data = np.array([(i, i * 10) for i in range(8)], dtype=dt)

    async def main():
        async with aerowire.AsyncClient({"hosts": [own_server]}) as c:
            await c.info("testd-fault:node=0;delay=300")
            task = asyncio.ensure_future(
                c.batch_write_numpy(data, "test", "py-async-ro", dt,
                                    policy={"total_timeout": 5000}))
            await asyncio.sleep(0.05)
            assert c._pending() == 1 and not data.flags.writeable
            with pytest.raises(ValueError, match="read-only"):
                data["v"][0] = -1
            task.cancel()
            await asyncio.wait([task])
            # The await was cancelled; the command still reads the array.
            assert task.cancelled() and c._pending() == 1 and not data.flags.writeable
            while c._pending():
                await asyncio.sleep(0.02)
            assert data.flags.writeable
            await c.info("testd-fault:node=0")
            rows = await c.batch_read([("test", "py-async-ro", i) for i in range(8)],
                                      _dtype=[("v", "<i8")])
            assert list(rows.batch_records["v"]) == [i * 10 for i in range(8)]

    run(main())


def _connections_opened(c):
    stats = dict(kv.split("=", 1) for kv in c._sync.info("statistics").strip().split(";"))
    return int(stats["client_connections_opened"])


def _twenty_slow_gets(addr, limits):
    """Connections opened and seconds taken by 20 gets at once against a
    node answering each after 100 ms."""
    async def main():
        async with aerowire.AsyncClient({"hosts": [addr], **limits}) as c:
            key = ("test", "py-async-conns", 1)
            await c.put(key, {"a": 1})
            await c.info("testd-fault:node=0;delay=100")
            before = _connections_opened(c)
            t0 = asyncio.get_running_loop().time()
            await asyncio.gather(*[c.get(key, {"total_timeout": 10000}) for _ in range(20)])
            elapsed = asyncio.get_running_loop().time() - t0
            opened = _connections_opened(c) - before
            await c.info("testd-fault:node=0")
            return opened, elapsed

    return run(main())


def test_async_max_conns_per_node(own_server):  # noqa: F811
    assert _twenty_slow_gets(own_server, {})[0] >= 10  # up to 16 by default
    assert _twenty_slow_gets(own_server, {"async_max_conns_per_node": 2})[0] <= 1  # + the put's


def test_pipeline_depth(own_server):  # noqa: F811
    # 2 connections, each carrying one request at a time: 10 rounds of 100 ms.
    limits = {"async_max_conns_per_node": 2, "pipeline_depth": 1}
    assert _twenty_slow_gets(own_server, limits)[1] >= 0.9


def test_async_config_values_checked(server):
    for name in ("async_max_conns_per_node", "pipeline_depth"):
        with pytest.raises(ValueError, match=f"config {name} must be an int"):
            aerowire.AsyncClient({"hosts": [server], name: -1})
        with pytest.raises(ValueError, match=f"config {name} must be an int"):
            aerowire.AsyncClient({"hosts": [server], name: 2**32})


def test_no_leak_in_operate_and_batch_commands(config):
    rounds = int(os.environ.get("AW_PY_ASYNC_LEAK_CALLS", "100000")) // 250

    async def main():
        async with aerowire.AsyncClient(config) as c:
            keys = [("test", "py-async-leak", i) for i in range(10)]
            dt = np.dtype([("_key", "<i8"), ("v", "<i8")])
            data = np.array([(i, i) for i in range(4)], dtype=dt)
            for k in keys:
                await c.put(k, {"n": 1, "l": [1, 2, 3]})
            ops = [op.increment("n", 1), op.read("n"), lo.list_get_by_rank("l", -1,
                                                                          aerowire.LIST_RETURN_VALUE)]
            none = {"expressions": exp.parse("$.n < 0")}

            async def round_():
                futs = [c.operate(k, ops) for k in keys[:5]]
                futs += [c.operate_ordered(k, ops) for k in keys[5:]]
                futs += [c.get(keys[0], none), c.batch_read(keys), c.batch_read(keys, policy=none),
                         c.batch_write(keys[:2], [{"v": 1}, ops]), c.batch_operate(keys, ops),
                         c.batch_remove([("test", "py-async-leak", "none")]),
                         c.batch_write_numpy(data, "test", "py-async-leak-np", dt)]
                res = await asyncio.gather(*futs, return_exceptions=True)
                assert isinstance(res[10], ex.FilteredOut), res[10]

            for _ in range(50):  # warm free lists, caches and connection pools
                await round_()
            traced, rss = await _growth_async(round_, rounds)
            assert traced < 64 * 1024, traced
            assert rss < 1024 * 1024, rss

    run(main(), timeout=600)
