#!/usr/bin/python3
"""Times the Python client against the C library doing the same work.

    PYTHONPATH=build/python /usr/bin/python3 python/bench/bench.py [-h HOST:PORT] [-t SECONDS]
                                                     [-w get,put,batch,async] [--array-keys]
                                                     [--no-load] [--pairs N]

Without -h it starts build/bin/aw-testd (or $AW_BIN/aw-testd) on a free port. Each
workload runs the Python side, then the C tool that does the same on the same
records, and prints both with their difference or ratio:

  get, put  sync, one thread, random keys of 10,000 (int bin + 100-char str bin):
            client CPU us per call against `aw-bench -z 1 -w RU,100` (RU,0 for put);
            the difference is the Python layer's cost per call. The keys come
            from a list shuffled before timing. --pairs N takes N alternating
            pairs of runs and prints the median difference.
  batch     batch_read of 10,000 keys x 5 numeric bins (aw-colbench's workload a,
            loaded by it) with _dtype: CPU us per record against aw-colbench's
            columnar (aw_batch_read_into) median, and against batch_read into
            Records (dicts). Like with like: both sides make their keys per
            call, digests included (C from ints, Python from the list of
            10,000 (ns, set, int) tuples), both take the median of 3 rounds,
            and both load the records in their own process first (aw-colbench
            with aw_batch_write_from, Python with batch_write_numpy of the
            same rows): the load frees a buffer of over 1 MB, which raises
            glibc's heap trim threshold, so neither returns the batch's
            buffers to the system and faults them back in on every call
            (--no-load skips Python's, to see that cost). Python reads int
            keys of one namespace and set as ids (aw_batch_read_ids_into, no
            aw_key per key); --array-keys adds batch_read of a numpy array of
            the user keys (namespace=, set_name=), and aw-colbench's
            columnar-ids (aw_batch_read_ids_into from C). --pairs N then takes
            N rotating single rounds of C, _dtype, dicts and the array, and
            prints the medians of each pair's ratios.
  async     AsyncClient, 64 tasks, RU,50: ops/s and CPU us per op, against
            `aw-bench -a -c 64 -w RU,50`.
  thread    the same with the other design, for comparison: the engine on a
            private libevent thread (bench/thread_engine.c, compiled here
            against the extension's convert.o, keys.o and policy.o: `make
            python` first), Futures
            completed through an eventfd the asyncio loop watches.

CPU is the process's (user + sys, every thread: the tend thread too), as the C
tools count it. Figures need a quiet machine; a busy one makes them noise.
"""
import argparse
import asyncio
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

import aerowire

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("AW_BIN", os.path.join(ROOT, "build", "bin"))
KEYS = 10000
SET = "testset"  # aw-bench's
SENSOR_DTYPE = np.dtype([("_key", "<i8"), ("temperature", "<f8"), ("humidity", "<i4"),
                         ("pressure", "<f4"), ("status", "<i2"), ("count", "<i8")], align=True)


def tool(name, *args):
    cmd = [os.path.join(BIN, name), *args]
    print("  $", name, " ".join(args), flush=True)
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def aw_bench(host, seconds, *args):
    out = tool("aw-bench", "-h", host, "-k", str(KEYS), "-o", "I,S100", "-t", str(seconds),
               "--json", *args)
    return json.loads(out)


def cpu_timed(fn):
    """(result, wall seconds, CPU seconds) of fn()."""
    c0, w0 = time.process_time(), time.perf_counter()
    r = fn()
    return r, time.perf_counter() - w0, time.process_time() - c0


def report(name, py_us, c_us, unit="call"):
    print(f"  {name}: Python {py_us:.2f} us CPU/{unit}, C {c_us:.2f}: "
          f"{py_us - c_us:+.2f} us ({py_us / c_us:.2f}x)")


def bench_sync(client, host, seconds, write, pairs=1):
    keys = [("test", SET, k) for k in range(1, KEYS + 1)]
    bins = {"testbin": 7, "testbin_2": "x" * 100}
    # The keys in a random order, drawn before timing: aw-bench draws each
    # key with a few instructions of C, where random.randrange in the loop
    # would charge the Python client with a microsecond of the harness.
    rnd = random.Random(1)
    order = [keys[rnd.randrange(KEYS)] for _ in range(100_000)]
    put, get = client.put, client.get

    def loop():
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            if write:
                for k in order[n % len(order):][:1000]:
                    put(k, bins)
            else:
                for k in order[n % len(order):][:1000]:
                    get(k)
            n += 1000
        return n

    name = "put" if write else "get"
    diffs = []
    for i in range(pairs):
        # Alternate which side goes first, so that a drifting machine load
        # weighs on both alike.
        for side in ("py", "c") if i % 2 == 0 else ("c", "py"):
            if side == "py":
                n, wall, cpu = cpu_timed(loop)
                py_us = cpu / n * 1e6
                print(f"sync {name}: {n / wall:,.0f} calls/s, {wall / n * 1e6:.2f} us wall/call")
            else:
                c = aw_bench(host, seconds, "-z", "1", "-w", "RU,0" if write else "RU,100")
                print(f"  aw-bench: {c['tps']:,.0f} calls/s")
        report(f"sync {name}", py_us, c["cpu_us_per_op"])
        diffs.append(py_us - c["cpu_us_per_op"])
    if pairs > 1:
        print(f"  sync {name}: median of {pairs} pairs {statistics.median(diffs):+.2f} us CPU/call "
              f"over C (pairs {min(diffs):+.2f} .. {max(diffs):+.2f})")


def median_rounds(fn, seconds, rounds=3):
    """(CPU us per record, records/s, page faults per call) of fn() (KEYS
    records a call): the median of `rounds` rounds of seconds/rounds each,
    as aw-colbench takes its own."""
    per_round = []
    for _ in range(rounds):
        def run():
            n, end = 0, time.perf_counter() + seconds / rounds
            while time.perf_counter() < end:
                fn()
                n += KEYS
            return n
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        n, wall, cpu = cpu_timed(run)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        per_round.append((cpu / n * 1e6, n / wall, faults / (n / KEYS)))
    return sorted(per_round)[rounds // 2]


def sensor_rows():
    """aw-colbench's workload a as it writes it (sensor_bins in its main.c)."""
    i = np.arange(KEYS)
    rows = np.zeros(KEYS, SENSOR_DTYPE)
    rows["_key"] = i
    rows["temperature"] = 20.0 + (i % 100) / 8
    rows["humidity"] = i % 90
    rows["pressure"] = 1013.25 - (i % 50)
    rows["status"] = i % 3
    rows["count"] = i * 1000003
    return rows


def colbench_round(host, seconds, rounds, paths="c"):
    """aw-colbench's workload a: {path: (CPU us per record, records/s)}, the
    medians of its rounds (c: aw_batch_read_into, i: aw_batch_read_ids_into)."""
    out = tool("aw-colbench", "-h", host, "-t", str(max(seconds, 0.5)), "-r", str(rounds),
               "-w", "a", "-m", paths)
    got = {}
    for name, key in (("columnar", "c"), ("columnar-ids", "i")):
        m = re.search(r"^\s*" + name + r"\s+\S+\s+(\S+)\s+\S+\s+\S+\s+(\S+)", out, re.M)
        if m:
            got[key] = (float(m.group(2)), float(m.group(1)))
    return got


def bench_batch(client, host, seconds, array_keys=False, load=True, pairs=1):
    print(f"batch: {KEYS:,} keys x 5 numeric bins per call (aw-colbench workload a), keys made "
          f"per call on both sides; load average {os.getloadavg()[0]:.2f}")
    paths = "ci" if array_keys else "c"
    c = colbench_round(host, seconds, 3, paths)
    c_us, c_rate = c["c"]
    print(f"  C aw_batch_read_into: {c_us:.3f} us CPU/record, {c_rate:,.0f} records/s "
          "(median of 3 rounds)")
    if "i" in c:
        print(f"  C aw_batch_read_ids_into: {c['i'][0]:.3f} us CPU/record, {c['i'][1]:,.0f} "
              "records/s (median of 3 rounds)")
    rows = sensor_rows()
    if load:
        print("  $ python: client.batch_write_numpy(rows, 'test', 'colbench', SENSOR_DTYPE), "
              "the load aw-colbench also runs in its process")
        assert (client.batch_write_numpy(rows, "test", "colbench", SENSOR_DTYPE).result_codes
                == 0).all()
    keys = [("test", "colbench", i) for i in range(KEYS)]
    res = client.batch_read(keys, _dtype=SENSOR_DTYPE)
    assert (res.result_codes == 0).all(), "aw-colbench did not load workload a"
    rows["_key"] = 0  # not a bin: read as zero
    assert res.batch_records.tobytes() == rows.tobytes(), "the rows read are not workload a's"
    ids = np.arange(KEYS, dtype=np.int64)

    def read_dtype():
        client.batch_read(keys, _dtype=SENSOR_DTYPE)

    def read_dicts():
        client.batch_read(keys)

    def read_array():
        client.batch_read(ids, namespace="test", set_name="colbench", _dtype=SENSOR_DTYPE)

    print(f"  $ python: client.batch_read(keys, _dtype=SENSOR_DTYPE), keys a list of {KEYS:,} "
          "('test', 'colbench', i) tuples")
    py_us, py_rate, py_faults = median_rounds(read_dtype, seconds)
    print(f"  Python batch_read _dtype: {py_us:.3f} us CPU/record, {py_rate:,.0f} records/s, "
          f"{py_faults:.0f} page faults a call")
    report("batch_read _dtype vs aw_batch_read_into", py_us, c_us, "record")
    print("  $ python: client.batch_read(keys), the same list")
    dict_us, dict_rate, _ = median_rounds(read_dicts, seconds)
    print(f"  batch_read into Records (dicts): {dict_us:.3f} us CPU/record, {dict_rate:,.0f} "
          f"records/s: _dtype uses {dict_us / py_us:.1f}x less")
    if array_keys:
        print("  $ python: client.batch_read(np.arange(10000), namespace='test', "
              "set_name='colbench', _dtype=SENSOR_DTYPE)")
        arr_us, arr_rate, _ = median_rounds(read_array, seconds)
        print(f"  batch_read of a numpy array of user keys: {arr_us:.3f} us CPU/record, "
              f"{arr_rate:,.0f} records/s ({arr_us / c_us:.2f}x C)")
    if pairs > 1:
        # One round of each, in an order that rotates, pair after pair: the
        # ratios of each pair, measured minutes apart at most, then their
        # medians (a drifting machine load weighs on every side alike).
        print(f"  {pairs} pairs of single rounds ({seconds / 3:.2f} s each), order rotating:")
        sides = ["c", "dtype", "dicts"] + (["array"] if array_keys else [])
        ratios = {"dtype/C": [], "dicts/dtype": [], "array/C": []}
        for i in range(pairs):
            got = {}
            for side in sides[i % len(sides):] + sides[:i % len(sides)]:
                if side == "c":
                    got[side] = colbench_round(host, seconds / 3, 1)["c"][0]
                else:
                    fn = {"dtype": read_dtype, "dicts": read_dicts, "array": read_array}[side]
                    got[side] = median_rounds(fn, seconds / 3, rounds=1)[0]
            ratios["dtype/C"].append(got["dtype"] / got["c"])
            ratios["dicts/dtype"].append(got["dicts"] / got["dtype"])
            if array_keys:
                ratios["array/C"].append(got["array"] / got["c"])
            print("    " + ", ".join(f"{k} {v:.3f}" for k, v in got.items()) + " us CPU/record")
        for name, v in ratios.items():
            if v:
                print(f"  {name}: median of {pairs} pairs {statistics.median(v):.2f}x "
                      f"(pairs {min(v):.2f} .. {max(v):.2f})")
    print(f"  load after: {os.getloadavg()[0]:.2f}")


def host_tuple(host):
    name, port = host.rsplit(":", 1)
    return (name.strip("[]"), int(port))


async def ru50(client, seconds, tasks):
    """Commands completed by `tasks` tasks doing RU,50 for `seconds`."""
    keys = [("test", SET, k) for k in range(1, KEYS + 1)]
    bins = {"testbin": 7, "testbin_2": "x" * 100}
    done = [0]
    end = time.perf_counter() + seconds

    async def worker(seed):
        rnd = random.Random(seed)
        n = 0
        while time.perf_counter() < end:
            k = keys[rnd.randrange(KEYS)]
            if rnd.random() < 0.5:
                await client.get(k)
            else:
                await client.put(k, bins)
            n += 1
        done[0] += n

    await asyncio.gather(*(worker(i) for i in range(tasks)))
    return done[0]


def bench_async(host, seconds, tasks=64):
    async def main():
        async with aerowire.AsyncClient({"hosts": [host_tuple(host)]}) as c:
            await ru50(c, 0.2, tasks)  # connections opened
            return await ru50(c, seconds, tasks)

    n, wall, cpu = cpu_timed(lambda: asyncio.run(main()))
    print(f"AsyncClient RU,50, {tasks} tasks: {n / wall:,.0f} ops/s")
    c = aw_bench(host, seconds, "-a", "-c", str(tasks), "-w", "RU,50")
    print(f"  aw-bench -a -c {tasks}: {c['tps']:,.0f} ops/s")
    report("async RU,50", cpu / n * 1e6, c["cpu_us_per_op"], "op")


def thread_engine():
    """bench/thread_engine.c built (when older than its inputs) and imported."""
    import sysconfig
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(ROOT, "build", "python-bench")
    objs = os.path.join(ROOT, "build", "python-build",
                        f"temp.{sysconfig.get_platform()}-cpython-"
                        f"{sys.version_info[0]}{sys.version_info[1]}", "src")
    inputs = [os.path.join(here, "thread_engine.c"), os.path.join(objs, "convert.o"),
              os.path.join(objs, "keys.o"), os.path.join(objs, "policy.o"),
              os.path.join(ROOT, "build", "libaerowire.a")]
    target = os.path.join(out_dir, "aw_thread_engine" + sysconfig.get_config_var("EXT_SUFFIX"))
    if not os.path.exists(target) or os.path.getmtime(target) < max(map(os.path.getmtime, inputs)):
        os.makedirs(out_dir, exist_ok=True)
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-std=c11", "-D_GNU_SOURCE",
                        "-I" + os.path.join(ROOT, "python", "src"),
                        "-I" + os.path.join(ROOT, "include"),
                        "-I" + sysconfig.get_paths()["include"], *inputs,
                        "-levent", "-lssl", "-lcrypto", "-lz", "-lcrypt", "-lpthread", "-o", target],
                       check=True)
    sys.path.insert(0, out_dir)
    import aw_thread_engine
    return aw_thread_engine


def bench_thread(host, seconds, tasks=64):
    mod = thread_engine()

    async def main():
        loop = asyncio.get_running_loop()
        eng = mod.Engine(host, loop)
        loop.add_reader(eng.done_fd, eng.on_done)
        try:
            await ru50(eng, 0.2, tasks)
            return await ru50(eng, seconds, tasks)
        finally:
            eng.stop()
            eng.on_done()
            loop.remove_reader(eng.done_fd)

    n, wall, cpu = cpu_timed(lambda: asyncio.run(main()))
    print(f"libevent thread + eventfd RU,50, {tasks} tasks: {n / wall:,.0f} ops/s, "
          f"{cpu / n * 1e6:.2f} us CPU/op")


def main():
    ap = argparse.ArgumentParser(add_help=False, description=__doc__.split("\n")[0])
    ap.add_argument("-h", "--host", help="HOST:PORT of a server (default: start aw-testd)")
    ap.add_argument("-t", "--seconds", type=float, default=3.0, help="per measurement (3)")
    ap.add_argument("-w", "--workloads", default="get,put,batch,async,thread")
    ap.add_argument("--pairs", type=int, default=1,
                    help="get, put: alternating Python and C runs, and their median difference;"
                         " batch: rotating single rounds of C, _dtype, dicts (and the array),"
                         " and the medians of each pair's ratios")
    ap.add_argument("--array-keys", action="store_true",
                    help="batch also reads a numpy array of user keys")
    ap.add_argument("--no-load", action="store_true",
                    help="batch: no load in this process (records from aw-colbench's)")
    ap.add_argument("--help", action="help")
    args = ap.parse_args()
    proc = None
    host = args.host
    if not host:
        proc = subprocess.Popen([os.path.join(BIN, "aw-testd"), "--port", "0"],
                                stdout=subprocess.PIPE, text=True)
        host = proc.stdout.readline().split()[2].split(",")[0]
    try:
        seconds = args.seconds
        print(f"bench.py: host {host}, {seconds} s per measurement, Python {sys.version.split()[0]}")
        work = args.workloads.split(",")
        tool("aw-bench", "-h", host, "-w", "I", "-k", str(KEYS), "-o", "I,S100")
        with aerowire.client({"hosts": [host_tuple(host)]}) as client:
            if "get" in work:
                bench_sync(client, host, seconds, write=False, pairs=args.pairs)
            if "put" in work:
                bench_sync(client, host, seconds, write=True, pairs=args.pairs)
            if "batch" in work:
                bench_batch(client, host, seconds, args.array_keys, not args.no_load,
                            args.pairs)
        if "async" in work:
            bench_async(host, seconds)
        if "thread" in work:
            bench_thread(host, seconds)
    finally:
        if proc:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
