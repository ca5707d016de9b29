"""AsyncClient's scans and queries (run by the engine on the asyncio loop,
with back-pressure, cancellation, the cursor and close) and its whole
arrays (sync calls on worker threads), against a one-node and a three-node
aw-testd (or AEROSPIKE_HOSTS)."""
import asyncio
import gc
import os
import threading

import numpy as np
import pytest

import aerowire
from aerowire import exception as ex, predicates as p

from conftest import _start_testd
from test_scan_query import DT, N, fill, set_name  # noqa: F401 - a fixture

# Nothing the engine's callbacks do may end as an unraisable error.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="module", params=["1node", "3nodes"])
def cluster(request, server):
    """(sync client, seed): the suite's server, then a three-node aw-testd."""
    if request.param == "1node":
        with aerowire.client({"hosts": [server]}).connect() as c:
            yield c, server
        return
    if os.environ.get("AEROSPIKE_HOSTS"):
        pytest.skip("the three-node cluster is aw-testd's")
    proc, addr = _start_testd(3)
    with aerowire.client({"hosts": [addr]}).connect() as c:
        yield c, addr
    proc.terminate()
    assert proc.wait(timeout=10) == 0


@pytest.fixture(scope="module")
def cl(cluster):  # noqa: F811 - test_scan_query's set_name uses it
    return cluster[0]


@pytest.fixture
def connect(cluster):
    """connect() -> an AsyncClient (not connected) on cl's cluster."""
    return lambda: aerowire.AsyncClient({"hosts": [cluster[1]]})


async def until(cond, limit=2000):
    """Lets the loop run until cond() holds (at most `limit` iterations)."""
    for _ in range(limit):
        if cond():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition never held")


def test_results_records_rows_and_foreach(cl, connect, set_name):
    want = fill(cl, set_name)

    async def main():
        async with connect() as c:
            records = await c.scan("test", set_name).results()
            assert {r.key[2]: r.bins for r in records} == want
            rows = await c.scan("test", set_name).results(_dtype=DT)
            sync = cl.scan("test", set_name).results(_dtype=DT)
            assert sorted(rows.records.tolist()) == sorted(sync.records.tolist())
            assert list(rows.result_codes) == [0] * N and (rows.meta["gen"] == 1).all()
            picked = await c.scan("test", set_name).select("a").results(
                policy={"expressions": "$.a < 10"})
            assert sorted(r.bins["a"] for r in picked) == list(range(10))
            seen = []
            await c.scan("test", set_name).foreach(lambda r: seen.append(r) or len(seen) < 7)
            assert len(seen) == 7
            with pytest.raises(ZeroDivisionError):
                await c.scan("test", set_name).foreach(lambda r: 1 / 0)
            # Pages over one cursor, as the sync paginate().
            pages = c.scan("test", set_name).paginate()
            pages.max_records = 50
            paged = []
            while not pages.is_done():
                page = await pages.results()
                assert len(page) <= 50
                paged += page
            assert sorted(r.key[2] for r in paged) == list(range(N))
            assert c._pending() == 0

    run(main())


def test_query_with_a_predicate(cl, connect, set_name):
    fill(cl, set_name)
    name = f"pyaq_{set_name}"[:60]
    cl.index_integer_create("test", set_name, "a", name)
    try:
        async def main():
            async with connect() as c:
                q = c.query("test", set_name).where(p.between("a", 10, 19))
                assert sorted(r.bins["a"] for r in await q.results()) == list(range(10, 20))
                with pytest.raises(ex.IndexNotFound):
                    await c.query("test", set_name).where(p.equals("s", "v1")).results()
                with pytest.raises(TypeError):
                    c.scan("test", set_name).where(p.equals("a", 1))

        run(main())
    finally:
        cl.index_remove("test", name)


def test_records_iterator_pauses_the_engine(cl, connect, set_name):
    fill(cl, set_name)

    async def main():
        async with connect() as c:
            it = c.scan("test", set_name).records(window=4)
            got = [await it.__anext__()]
            run_ = it._run
            # The engine stops reading once 4 records wait for the consumer,
            # and goes on only once they are down to 2.
            await until(lambda: run_.paused or not run_.running)
            assert run_.running and run_.paused and run_.queued in (3, 4)
            for _ in range(5):
                while run_.queued > 2:
                    assert run_.paused
                    got.append(await it.__anext__())
                assert not run_.paused
                # Down to 2: resumed, it fills up to 4 again and pauses.
                await until(lambda: run_.queued >= 4 or not run_.running)
                assert run_.queued == 4 and run_.paused
            got += [r async for r in it]
            assert sorted(r.key[2] for r in got) == list(range(N))
            assert not run_.running and c._pending() == 0

    run(main())


def test_chunks_back_pressure_and_exact_resume(cl, connect, set_name):
    fill(cl, set_name)

    async def main():
        async with connect() as c:
            cursor = aerowire.PartitionStatus()
            pol = {"partition_filter": {"partition_status": cursor}}
            it = c.scan("test", set_name).chunks(DT, chunk_rows=5, policy=pol)
            first = await it.__anext__()
            assert len(first) == 5 and first.dtype == DT
            run_ = it._run
            await until(lambda: run_.paused or not run_.running)
            assert run_.paused and run_.queued == 2  # two chunks ahead, no more
            second = await it.__anext__()
            await it.aclose()
            await until(lambda: not run_.running)
            rest = (await c.scan("test", set_name).results(_dtype=DT, policy=pol)).records
            keys = list(first["_key"]) + list(second["_key"]) + list(rest["_key"])
            assert sorted(keys) == list(range(N)) and cursor.is_done()
            total = 0
            async with c.scan("test", set_name).chunks(DT, chunk_rows=16, with_meta=True) as it2:
                async for chunk in it2:
                    assert len(chunk) <= 16 and (chunk.meta["gen"] == 1).all()
                    total += len(chunk)
            assert total == N
            # An iterator dropped part way stops its scan.
            it3 = c.scan("test", set_name).chunks(DT, chunk_rows=3)
            await it3.__anext__()
            run3 = it3._run
            del it3
            gc.collect()
            await until(lambda: not run3.running)
            assert c._pending() == 0

    run(main())


def test_cancelled_results_stop_the_scan_and_keep_the_cursor(cl, connect, set_name):
    if os.environ.get("AEROSPIKE_HOSTS"):
        pytest.skip("needs aw-testd's fault injection")
    fill(cl, set_name)

    async def main():
        async with connect() as c:
            cursor = aerowire.PartitionStatus()
            entry = cursor.to_bytes()
            pol = {"partition_filter": {"partition_status": cursor}}
            cl.info("testd-fault:node=0;delay=300")  # node 0's replies come late
            try:
                task = asyncio.ensure_future(c.scan("test", set_name).results(policy=pol))
                await asyncio.sleep(0.1)
                assert not task.done()
                task.cancel()
            finally:
                cl.info("testd-fault:node=0")
            with pytest.raises(asyncio.CancelledError):
                await task
            await until(lambda: c._pending() == 0)
            # The run let go of the cursor, as it was: the same call resumes from the start.
            await until(lambda: cursor.to_bytes() == entry)
            records = await c.scan("test", set_name).results(
                policy={"partition_filter": {"partition_status": cursor}})
            assert sorted(r.key[2] for r in records) == list(range(N))

    run(main())


def test_close_with_a_paused_scan(cl, connect, set_name):
    fill(cl, set_name)

    async def main():
        c = await connect().connect()
        it = c.scan("test", set_name).chunks(DT, chunk_rows=4)
        got = [await it.__anext__()]
        run_ = it._run
        await until(lambda: run_.paused)
        await c.close()
        assert not run_.running and c._pending() == 0
        with pytest.raises(ex.ClientError) as e:
            async for chunk in it:  # what was queued, then the close
                got.append(chunk)
        assert e.value.code == -21 and len(got) == 3
        rit = c.scan  # a closed client refuses new scans
        with pytest.raises(ex.ClientError):
            rit("test", set_name).records()

    run(main())


def test_a_failed_results_puts_the_cursor_back(cl, connect, set_name):
    if os.environ.get("AEROSPIKE_HOSTS"):
        pytest.skip("needs aw-testd's fault injection")
    fill(cl, set_name)
    for i in range(N):  # more than one 1 MiB reply frame
        cl.put(("test", set_name, i), {"pad": b"x" * 12000})
    nodes = cl.info("testd-nodes").count(":alive")
    cursor = aerowire.PartitionStatus()
    pol = {"max_retries": 0, "partition_filter": {"partition_status": cursor}}
    entry = cursor.to_bytes()

    async def main():
        async with connect() as c:
            with pytest.raises(ex.AerospikeError):
                await c.scan("test", set_name).results(policy=pol)
            assert cursor.to_bytes() == entry
            with pytest.raises(ex.AerospikeError):
                await c.scan("test", set_name).results(policy=pol, _dtype=DT.descr + [("pad", "V4")])
            assert cursor.to_bytes() == entry

    cl.info(f"testd-fault:node=0;drop-after={1200000 if nodes == 1 else 300000}")
    try:
        run(main())
    finally:
        cl.info("testd-fault:node=0")


def test_arrays_on_worker_threads(cl, connect):
    key = ("test", "py-async-array", "a1")
    data = np.arange(20000, dtype="<f8").reshape(2000, 10)

    async def main():
        async with connect() as c:
            await c.put_array(key, data, attrs={"u": "mV"}, chunk_bytes=16384, compress=True)
            async with await c.open_array(key) as ref:
                assert ref.shape == (2000, 10) and ref.attrs == {"u": "mV"} and ref.n_chunks > 1
                assert ((await ref[100:300]) == data[100:300]).all()
                assert ((await ref[5]) == data[5]).all()
                assert ((await ref.load()) == data).all()
                mapped = await ref.load(mmap_mode="r")
                assert (mapped == data).all()
                with pytest.raises(TypeError):
                    np.asarray(ref)
            with pytest.raises(ValueError):
                ref.load()
            await c.delete_array(key)
            with pytest.raises(ex.RecordNotFound):
                await c.open_array(key)
            # A cancelled put still runs to its end, holding its array: close waits for it.
            other = np.ones((500, 100))
            task = asyncio.ensure_future(c.put_array(key, other, chunk_bytes=4096))
            await asyncio.sleep(0)
            task.cancel()
            del other
            gc.collect()
        assert not c._workers
        return task

    run(main())
    with cl.open_array(key) as ref:
        assert (ref.load() == 1).all()
    cl.delete_array(key)


def test_blocking_calls_on_worker_threads(cl, connect, set_name):
    fill(cl, set_name, 10)

    async def main():
        async with connect() as c:
            name = f"pyab_{set_name}"[:60]
            await c.index_integer_create("test", set_name, "a", name)
            assert name in [i["name"] for i in await c.index_list("test")]
            await c.index_remove("test", name)
            job = await c.scan("test", set_name).execute_background(
                ops=[{"op": aerowire.OPERATOR_INCR, "bin": "a", "val": 100}])
            await c.job_wait(job)
            assert (await c.job_info(job, aerowire.JOB_SCAN))["status"] == \
                aerowire.JOB_STATUS_COMPLETED
            assert sorted(r.bins["a"] for r in await c.scan("test", set_name).results()) == \
                list(range(100, 110))
            await c.truncate("test", set_name, 0)
        return threading.active_count()

    run(main())


def test_no_run_or_memory_left_over_many_scans(cl, connect, set_name):
    import tracemalloc
    fill(cl, set_name, 30)

    def live_runs():
        return sum(type(o).__name__ == "QueryRun" for o in gc.get_objects())

    async def rounds(c, n):
        for _ in range(n):
            await c.scan("test", set_name).results()
            await c.scan("test", set_name).results(_dtype=DT)
            async for _ in c.scan("test", set_name).records(window=4):
                pass
            async with c.scan("test", set_name).chunks(DT, chunk_rows=4) as it:
                await it.__anext__()  # closed early
            it = c.scan("test", set_name).records(window=2)
            await it.__anext__()
            del it  # dropped part way: aborted from the loop

    async def main():
        async with connect() as c:
            await rounds(c, 20)
            await until(lambda: c._pending() == 0)
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            await rounds(c, 200)
            await until(lambda: c._pending() == 0)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
            assert grown < 200_000, f"{grown} bytes more after 200 rounds"
            assert live_runs() == 0

    run(main(), timeout=120)


def test_a_scan_left_running_when_its_loop_ends(cl, connect, set_name):
    """asyncio.run() ends with a paused scan still open: the next loop's
    first command drops the closed loop's engine, which ends the scan with
    CLIENT_CLOSING; nothing of it stays alive."""
    fill(cl, set_name)
    c = connect()
    left = {}

    async def first():
        await c.connect()
        it = c.scan("test", set_name).chunks(DT, chunk_rows=5)
        await it.__anext__()
        left["it"], left["run"] = it, it._run

    async def second():
        assert left["run"].running  # its loop is gone; nothing ran it since
        await c.get(("test", set_name, 1))
        assert not left["run"].running and c._n_loops() == 1
        with pytest.raises(ex.ClientError) as e:
            async for _ in left["it"]:
                pass
        assert e.value.code == -21
        await c.close()

    asyncio.run(first())
    run(second())
    left.clear()
    gc.collect()
    assert sum(type(o).__name__ == "QueryRun" for o in gc.get_objects()) == 0
