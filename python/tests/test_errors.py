"""The exception hierarchy and the codes it is picked by; timeouts and in-doubt writes."""
import os
import subprocess

import pytest

import aerowire
from aerowire import exception as ex
from conftest import _start_testd


@pytest.mark.parametrize("code,cls", [
    (2, ex.RecordNotFound), (3, ex.RecordGenerationError), (5, ex.RecordExistsError),
    (27, ex.FilteredOut), (9, ex.AerospikeTimeoutError), (11, ex.ClusterError),
    (-2, ex.ParamError), (1, ex.ServerError), (-1, ex.ClientError), (150, ex.ServerError),
    (200, ex.IndexFoundError), (201, ex.IndexNotFound), (213, ex.QueryError),
    (-99, ex.ClientError),
])
def test_class_for_code(code, cls):
    assert ex.class_for_code(code) is cls
    e = ex._make(code, "msg", True)
    assert type(e) is cls and e.code == code and e.message == "msg" and e.in_doubt
    assert isinstance(e, aerowire.AerospikeError)
    assert "code %d" % code in str(e)


def test_hierarchy():
    assert aerowire.AerospikeError is ex.AerospikeError
    assert issubclass(ex.RecordNotFound, ex.RecordError)
    assert issubclass(ex.RecordError, ex.ServerError)
    assert issubclass(ex.ParamError, ex.ClientError)
    assert ex.TimeoutError is ex.AerospikeTimeoutError


@pytest.fixture
def own_server():
    proc, addr = _start_testd()
    yield addr
    proc.terminate()
    proc.wait(timeout=10)


def test_timeout_and_in_doubt_write(own_server):
    with aerowire.client({"hosts": [own_server]}) as c:
        key = ("test", "py", "slow")
        c.put(key, {"a": 1})
        c.info("testd-fault:node=0;delay=400")
        with pytest.raises(ex.AerospikeTimeoutError) as e:
            c.get(key, {"total_timeout": 100, "max_retries": 0})
        assert e.value.code == 9 and not e.value.in_doubt
        with pytest.raises(ex.AerospikeTimeoutError) as e:
            c.put(key, {"a": 2}, policy={"total_timeout": 100})
        assert e.value.in_doubt
        c.info("testd-fault:node=0")
        assert c.get(key, {"total_timeout": 2000}).bins["a"] == 2


def test_batch_row_timeout_raises_and_numpy_row_code(own_server):
    with aerowire.client({"hosts": [own_server]}) as c:
        keys = [("test", "py", "b1"), ("test", "py", "b2")]
        c.put(keys[0], {"a": 1})
        c.info("testd-fault:node=0;delay=400")
        pol = {"total_timeout": 100, "max_retries": 0}
        with pytest.raises(ex.AerospikeTimeoutError) as e:
            c.batch_read(keys, policy=pol)
        assert e.value.code == 9
        res = c.batch_read(keys, policy=pol, _dtype=[("a", "<i8")])
        assert list(res.result_codes) == [9, 9]
        c.info("testd-fault:node=0")
