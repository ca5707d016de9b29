"""Fixtures: a fresh aw-testd per test session (build/bin/aw-testd, or
$AW_BIN/aw-testd; AW_TESTD_NODES nodes, 1 unless set) and a client connected
to it. AEROSPIKE_HOSTS ("host:port") points the suite at another server
instead."""
import os
import re
import subprocess
import time

import pytest

import aerowire

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _start_testd(nodes=1):
    binary = os.path.join(os.environ.get("AW_BIN", os.path.join(ROOT, "build", "bin")), "aw-testd")
    proc = subprocess.Popen([binary, "--port", "0", "--nodes", str(nodes)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # "aw-testd ready 127.0.0.1:P[,127.0.0.1:Q...]"
    if not line.startswith("aw-testd ready "):
        proc.kill()
        raise RuntimeError(f"aw-testd did not start: {line!r}")
    host, port = line.split()[2].split(",")[0].rsplit(":", 1)
    return proc, (host, int(port))


# The sets of namespace test the suite and the docs' examples write to.
SUITE_SET_PREFIXES = ("py", "docs", "demo")
SUITE_SETS = {"sensors", "readings", "arrays", "by-id", "s", "a"}


def _truncate_suite_sets(addr):
    """A server that keeps its records between runs (a real one) still has
    the last run's: generations go on counting, records a test expects
    missing exist. The suite's sets are emptied first, as a fresh aw-testd
    starts empty. Only those: the server may hold other data."""
    with aerowire.client({"hosts": [addr]}) as c:
        names = set(re.findall(r"(?:^|[:;])set=([^:;]+)", c.info("sets/test")))
        for name in sorted(names):
            if name.startswith(SUITE_SET_PREFIXES) or name in SUITE_SETS:
                c.truncate("test", name, 0)
    time.sleep(0.05)  # writes from now on are later than the truncation


@pytest.fixture(scope="session")
def server():
    """(host, port) of the server the suite runs against."""
    given = os.environ.get("AEROSPIKE_HOSTS")
    if given:
        host, _, port = given.split(",")[0].rpartition(":")
        _truncate_suite_sets((host, int(port)))
        yield (host, int(port))
        return
    proc, addr = _start_testd(int(os.environ.get("AW_TESTD_NODES", "1")))
    yield addr
    proc.terminate()
    assert proc.wait(timeout=10) == 0, "aw-testd did not exit cleanly"


@pytest.fixture(scope="session")
def config(server):
    return {"hosts": [server]}


@pytest.fixture(scope="session")
def client(config):
    c = aerowire.client(config).connect()
    yield c
    c.close()


@pytest.fixture
def key(request):
    """A key of its own for each test (named after it)."""
    return ("test", "py", request.node.name)
