"""AsyncClient: every command awaited on asyncio's own loop, 10,000 at once,
cancellation, close with commands in flight, buffers held until the
callback, several loops, a node killed under load, and no leak."""
import asyncio
import gc
import os
import sys
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import aerowire
from aerowire import exception as ex
from conftest import _start_testd
from test_errors import own_server  # noqa: F401 - a fixture
from test_threads_refs import _rss_bytes


# Nothing the engine's callbacks do may end as an unraisable error.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


def run(coro, timeout=60):
    """Runs coro on a fresh loop; a hang fails the test instead of the suite."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_every_command(config):
    async def main():
        async with aerowire.AsyncClient(config) as c:
            assert c.is_connected()
            key = ("test", "py-async", "every")
            assert await c.put(key, {"a": 1, "s": "x", "l": [1, {"m": b"\x00"}]},
                               meta={"ttl": 600}) is None
            rec = await c.get(key)
            assert rec.bins == {"a": 1, "s": "x", "l": [1, {"m": b"\x00"}]}
            assert rec.key[:3] == key and len(rec.key[3]) == 20
            assert rec.meta.gen == 1 and 0 < rec.meta.ttl <= 600
            assert (await c.select(key, ["a"])).bins == {"a": 1}
            k, meta = await c.exists(key)
            assert k == rec.key and meta == rec.meta
            await c.touch(key, 3600)
            assert (await c.get(key)).meta.gen == 2
            gen = 2
            with pytest.raises(ex.RecordGenerationError):
                await c.put(key, {"a": 2}, meta={"gen": gen + 1},
                            policy={"gen": aerowire.POLICY_GEN_EQ})
            with pytest.raises(ex.RecordExistsError):
                await c.put(key, {"a": 2}, policy={"exists": aerowire.POLICY_EXISTS_CREATE})
            assert await c.info("cluster-name") == c._sync.info("cluster-name")
            await c.remove(key)
            assert (await c.exists(key))[1] is None
            with pytest.raises(ex.RecordNotFound) as e:
                await c.get(key)
            assert e.value.code == 2
            with pytest.raises(ex.RecordNotFound):
                await c.remove(key)
            with pytest.raises(ex.RecordNotFound):
                await c.touch(key)
        assert not c.is_connected()
        async with c:  # connects again
            assert (await c.exists(("test", "py-async", "every")))[1] is None

    run(main())


def test_argument_mistakes_raise_at_the_call(config):
    async def main():
        async with aerowire.AsyncClient(config) as c:
            with pytest.raises(TypeError):
                c.put(("test", "py-async", 1), {"a": object()})
            with pytest.raises(ValueError):
                c.get(("test", "py-async", 1), {"total_timout": 5})
            with pytest.raises(ValueError):
                c.put(("test", "py-async", 1), {"a-bin-name-too-long": 1})
            with pytest.raises(TypeError):
                c.get("not a tuple")
            with pytest.raises(TypeError):
                await c.batch_read([("test", "py-async", 1)], _dtype=[("o", "O")])
            assert c._pending() == 0

    run(main())
    c = aerowire.AsyncClient(config)

    async def unconnected():
        with pytest.raises(ex.ClientError):
            c.get(("test", "py-async", 1))

    run(unconnected())
    c._sync.connect()
    with pytest.raises(RuntimeError):  # no running loop
        c.get(("test", "py-async", 1))
    run(c.close())


def test_batch_read_records_and_numpy(config):
    async def main():
        async with aerowire.AsyncClient(config) as c:
            keys = [("test", "py-async-batch", i) for i in range(50)]
            await asyncio.gather(*[c.put(k, {"i": i, "f": i / 2, "s": f"s{i}"})
                                   for i, k in enumerate(keys[:40])])
            recs = await c.batch_read(keys)
            assert [r.bins for r in recs[:40]] == [
                {"i": i, "f": i / 2, "s": f"s{i}"} for i in range(40)]
            assert all(r.meta is None and r.bins is None for r in recs[40:])
            assert [r.bins for r in await c.batch_read(keys[:3], ["i"])] == [
                {"i": 0}, {"i": 1}, {"i": 2}]
            dt = np.dtype([("i", "<i4"), ("f", "<f8"), ("s", "S4")])
            res = await c.batch_read(keys, _dtype=dt)
            rows = res.batch_records
            assert list(rows["i"][:40]) == list(range(40))
            assert list(rows["f"][:40]) == [i / 2 for i in range(40)]
            assert rows["s"][7] == b"s7"
            assert list(res.result_codes) == [0] * 40 + [2] * 10
            assert not rows[40:].tobytes().strip(b"\0")
            assert res.get(12)["i"] == 12 and res.meta["gen"][0] == 1

    run(main())


def test_gather_ten_thousand_commands(config):
    async def main():
        async with aerowire.AsyncClient(config) as c:
            keys = [("test", "py-async-10k", i) for i in range(10000)]
            assert await asyncio.gather(*[c.put(k, {"i": i, "s": str(i)})
                                          for i, k in enumerate(keys)]) == [None] * 10000
            recs = await asyncio.gather(*[c.get(k) for k in keys])
            assert [(r.key[2], r.bins) for r in recs] == [
                (i, {"i": i, "s": str(i)}) for i in range(10000)]
            assert c._pending() == 0

    run(main())


def test_cancelled_future_drops_its_result(own_server):  # noqa: F811
    async def main():
        async with aerowire.AsyncClient({"hosts": [own_server]}) as c:
            await c.put(("test", "py-async", "c0"), {"a": 0})
            await c.info("testd-fault:node=0;delay=300")
            pol = {"total_timeout": 5000}
            futs = [c.put(("test", "py-async", f"c{i}"), {"a": i}, policy=pol)
                    for i in range(1, 20)]
            gets = [asyncio.ensure_future(c.get(("test", "py-async", "c0"), pol))
                    for _ in range(20)]
            await asyncio.sleep(0.05)
            for f in futs + gets:
                f.cancel()
            assert c._pending() == 39  # cancelling does not stop the commands
            while c._pending():
                await asyncio.sleep(0.02)
            assert all(f.cancelled() for f in futs + gets)
            await c.info("testd-fault:node=0")
            # Each cancelled put still ran once; the engine goes on working.
            for i in range(1, 20):
                assert (await c.get(("test", "py-async", f"c{i}"))).bins == {"a": i}

    run(main())


def test_close_fails_commands_in_flight(own_server):  # noqa: F811
    async def main():
        c = await aerowire.AsyncClient({"hosts": [own_server]}).connect()
        await c.put(("test", "py-async", "close"), {"a": 1})
        await c.info("testd-fault:node=0;delay=2000")
        futs = [c.get(("test", "py-async", "close"), {"total_timeout": 10000})
                for _ in range(50)]
        futs.append(asyncio.ensure_future(
            c.batch_read([("test", "py-async", "close")] * 3, _dtype=[("a", "<i8")])))
        await asyncio.sleep(0.05)
        assert c._pending() == 51
        await c.close()
        results = await asyncio.gather(*futs, return_exceptions=True)
        assert all(isinstance(r, ex.ClientError) and r.code == -21 for r in results), results
        with pytest.raises(ex.ClientError) as e:
            c.get(("test", "py-async", "close"))
        assert e.value.code == -21

    run(main())


def test_numpy_buffers_held_until_the_callback(own_server):  # noqa: F811
    async def main():
        async with aerowire.AsyncClient({"hosts": [own_server]}) as c:
            keys = [("test", "py-async", f"hold{i}") for i in range(4)]
            for i, k in enumerate(keys):
                await c.put(k, {"a": i + 1})
            await c.info("testd-fault:node=0;delay=300")
            rows = bytearray(8 * 4)
            meta, codes = np.zeros(4, [("gen", "=u4"), ("ttl", "=u4")]), np.zeros(4, np.int32)
            watch = weakref.ref(meta)
            fut = c._batch_read_into(keys, None, None, "[('a', '<i8')]", False, 8,
                                     rows, meta, codes)
            del meta
            gc.collect()
            assert watch() is not None  # the command holds it
            with pytest.raises(BufferError):
                rows.extend(b"x")  # exported: cannot be resized under the decode
            fut.cancel()
            while c._pending():
                await asyncio.sleep(0.02)
            assert watch() is None
            rows.extend(b"x")
            assert np.frombuffer(rows[:32], "<i8").tolist() == [1, 2, 3, 4]
            assert codes.tolist() == [0, 0, 0, 0]
            await c.info("testd-fault:node=0")

    run(main())


def test_one_engine_per_event_loop(config):
    c = aerowire.AsyncClient(config)
    key = ("test", "py-async", "loops")

    async def first():
        await c.connect()
        await c.put(key, {"n": 1})
        return c._n_loops()

    async def again():
        return (await c.get(key)).bins, c._n_loops()

    assert run(first()) == 1
    # A later asyncio.run has a new loop: the closed one's engine is dropped.
    assert run(again()) == ({"n": 1}, 1)

    # Two threads, each running its own loop, share the client.
    out, errors = {}, []
    started = threading.Event()

    def thread_main(t):
        async def work():
            got = await asyncio.gather(*[c.get(key) for _ in range(200)])
            out[t] = {r.bins["n"] for r in got}
            if t == 0:  # the loop that stays running while the other thread closes
                started.set()
            await asyncio.sleep(0.3 if t == 0 else 0)

        try:
            run(work())
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=thread_main, args=(t,)) for t in range(2)]
    for th in threads:
        th.start()

    async def close_while_other_runs():
        started.wait(10)
        await asyncio.sleep(0)
        # Thread 0's loop runs: its engine may not be touched from here.
        with pytest.raises(ex.ClientError):
            c._close_loops()

    run(close_while_other_runs())
    for th in threads:
        th.join()
    assert errors == [] and out == {0: {1}, 1: {1}}
    run(c.close())


@pytest.mark.parametrize("nodes", [3])
def test_killed_node_under_load(nodes):
    proc, addr = _start_testd(nodes)
    try:
        async def main():
            async with aerowire.AsyncClient({"hosts": [addr], "tend_interval": 50}) as c:
                keys = [("test", "py-async-kill", i) for i in range(3000)]
                await asyncio.gather(*[c.put(k, {"i": i}) for i, k in enumerate(keys)])
                # Even readers never retry (their commands on the killed node
                # fail), odd ones retry on the replica.
                pols = [{"total_timeout": 2000, "max_retries": 0},
                        {"total_timeout": 2000, "max_retries": 3, "sleep_between_retries": 20}]
                counts = {(r, outcome): 0 for r in (0, 1) for outcome in ("ok", "failed")}

                async def reader(w):
                    for r in range(6):
                        for i in range(w, len(keys), 64):
                            try:
                                rec = await c.get(keys[i], pols[w % 2])
                                assert rec.bins == {"i": i}
                                counts[w % 2, "ok"] += 1
                            except aerowire.AerospikeError:
                                counts[w % 2, "failed"] += 1

                load = asyncio.gather(*[reader(w) for w in range(64)])
                await asyncio.sleep(0.1)
                await c.info("testd-kill:node=1")
                await asyncio.wait_for(load, 60)  # none hangs
                assert sum(counts.values()) == 6 * len(keys)
                assert counts[0, "failed"] > 0, counts  # the kill hit commands in flight
                assert counts[1, "failed"] == 0, counts  # ... which the retries survived
                # Once the cluster has the node gone, every key reads again (replicas).
                got = await asyncio.gather(*[c.get(k, pols[0]) for k in keys])
                assert [r.bins["i"] for r in got] == list(range(len(keys)))

        run(main(), timeout=120)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_no_leak_over_100000_calls(config):
    n = int(os.environ.get("AW_PY_ASYNC_LEAK_CALLS", "100000"))

    async def main():
        async with aerowire.AsyncClient(config) as c:
            key = ("test", "py-async", "leak")
            missing = ("test", "py-async", "leak-missing")
            await c.put(key, {"i": 1, "s": "abc" * 10, "l": [1, "x", {"m": b"y" * 40}]})
            bins = {"i": 2, "s": "abc" * 10}

            async def round_():
                # 100 commands per round: gets, puts, misses, a batch.
                futs = [c.get(key) for _ in range(60)] + [c.put(key, bins) for _ in range(30)]
                futs += [c.get(missing) for _ in range(9)]
                futs.append(c.batch_read([key, missing], _dtype=[("i", "<i8")]))
                res = await asyncio.gather(*futs, return_exceptions=True)
                assert all(isinstance(r, ex.RecordNotFound) for r in res[90:99])

            for _ in range(100):  # warm free lists, caches and connection pools
                await round_()
            # A leak of one object per command would be over 1 MB in the
            # second half (numpy's dtype handling alone wanders by ~16 KB);
            # of 16 bytes per command in C, 1.6 MB over 100,000.
            traced, rss = await _growth_async(round_, n // 100)
            assert traced < 64 * 1024, traced
            assert rss < 1024 * 1024, rss
            assert c._pending() == 0

    run(main(), timeout=600)


async def _growth_async(fn, n):
    """Growth in bytes over n awaits of fn(): of the Python heap over the
    second half (the first half's growth is what the last results keep
    alive, whatever n), and of the RSS over all (the C library's memory)."""
    gc.collect()
    tracemalloc.start()
    try:
        rss = _rss_bytes()
        for _ in range(n // 2):
            await fn()
        gc.collect()
        half = tracemalloc.get_traced_memory()[0]
        for _ in range(n - n // 2):
            await fn()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - half, _rss_bytes() - rss
    finally:
        tracemalloc.stop()


def test_refcounts_unchanged(config):
    async def main():
        async with aerowire.AsyncClient(config) as c:
            user_key = "arefs-" + "k" * 20
            k = ("test", "py-async", user_key)
            value = "v" * 100
            await c.put(k, {"a": value})
            before = (sys.getrefcount(user_key), sys.getrefcount(k), sys.getrefcount(value))
            for _ in range(300):
                await c.get(k)
                await c.exists(k)
                await c.put(k, {"a": value})
            after = (sys.getrefcount(user_key), sys.getrefcount(k), sys.getrefcount(value))
            assert after == before

    run(main())


class _CollectingLoop(asyncio.SelectorEventLoop):
    """A loop whose add_writer (the hook a new connection's first send uses)
    runs the garbage collector once when armed: code inside the engine."""

    armed = False

    def add_writer(self, fd, callback, *args):
        if self.armed:
            self.armed = False
            gc.collect()
        return super().add_writer(fd, callback, *args)


def test_client_collected_inside_its_engine(config):
    class Holder:
        pass

    async def main():
        loop = asyncio.get_running_loop()
        h = Holder()
        h.self = h  # a cycle: only the collector frees it
        h.client = await aerowire.AsyncClient(config).connect()
        fut = h.client.get(("test", "py-async", "collected"))
        del h
        loop.armed = True  # freed inside the hook that opens its connection
        result = await asyncio.gather(fut, return_exceptions=True)
        assert not loop.armed
        assert isinstance(result[0], ex.ClientError) and result[0].code == -21, result

    gc.disable()
    try:
        with asyncio.Runner(loop_factory=_CollectingLoop) as runner:
            runner.run(asyncio.wait_for(main(), 30))
    finally:
        gc.enable()
