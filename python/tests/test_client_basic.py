"""The sync client: connect/close, put/get/select/exists/remove/touch/info."""
import pytest

import aerowire
from aerowire import exception as ex


def test_connect_close_and_context_manager(config):
    c = aerowire.client(config)
    assert isinstance(c, aerowire.Client)
    assert not c.is_connected()
    assert c.connect() is c
    assert c.is_connected()
    c.close()
    assert not c.is_connected()
    c.close()  # twice is harmless
    with aerowire.client(config) as c2:
        assert c2.is_connected()
        c2.put(("test", "py", "cm"), {"a": 1})
    assert not c2.is_connected()


def test_command_before_connect_raises():
    c = aerowire.client({"hosts": [("127.0.0.1", 1)]})
    with pytest.raises(ex.ClientError, match="not connected"):
        c.get(("test", "py", "x"))


def test_connect_to_nothing_raises_aerospike_error():
    c = aerowire.client({"hosts": [("127.0.0.1", 1)], "connect_timeout": 200})
    with pytest.raises(aerowire.AerospikeError) as e:
        c.connect()
    assert e.value.code < 0
    assert e.value.message


def test_put_get_record_shape(client, key):
    client.put(key, {"i": 42, "s": "hello"})
    rec = client.get(key)
    assert isinstance(rec, aerowire.Record)
    k, meta, bins = rec
    assert k[:3] == key
    assert isinstance(k[3], bytes) and len(k[3]) == 20
    assert isinstance(meta, aerowire.Meta)
    assert meta.gen >= 1 and rec.meta is meta
    assert bins == {"i": 42, "s": "hello"}


def test_generation_counts_writes(client, key):
    client.put(key, {"a": 1})
    g = client.get(key).meta.gen
    client.put(key, {"a": 2})
    assert client.get(key).meta.gen == g + 1


def test_get_missing_raises_record_not_found(client):
    with pytest.raises(ex.RecordNotFound) as e:
        client.get(("test", "py", "never-written"))
    assert e.value.code == 2
    assert not e.value.in_doubt
    assert isinstance(e.value, aerowire.AerospikeError)


def test_select_returns_named_bins_only(client, key):
    client.put(key, {"a": 1, "b": 2, "c": 3})
    assert client.select(key, ["a", "c"]).bins == {"a": 1, "c": 3}
    assert client.select(key, ("b",)).bins == {"b": 2}


def test_exists(client, key):
    k, meta = client.exists(key)
    assert meta is None and k[:3] == key
    client.put(key, {"a": 1})
    k, meta = client.exists(key)
    assert meta.gen == client.get(key).meta.gen


def test_remove(client, key):
    client.put(key, {"a": 1})
    client.remove(key)
    assert client.exists(key)[1] is None
    with pytest.raises(ex.RecordNotFound):
        client.remove(key)


def test_touch_bumps_generation_and_sets_ttl(client, key):
    client.put(key, {"a": 1})
    g = client.get(key).meta.gen
    client.touch(key, 1000)
    meta = client.get(key).meta
    assert meta.gen == g + 1
    assert 990 <= meta.ttl <= 1000
    with pytest.raises(ex.RecordNotFound):
        client.touch(("test", "py", "touch-missing"))


def test_ttl_in_meta_and_policy(client, key):
    client.put(key, {"a": 1}, meta={"ttl": 500})
    assert 490 <= client.get(key).meta.ttl <= 500
    client.put(key, {"a": 1}, policy={"ttl": 700})
    assert 690 <= client.get(key).meta.ttl <= 700
    client.put(key, {"a": 1}, meta={"ttl": aerowire.TTL_NEVER_EXPIRE})
    assert client.get(key).meta.ttl == 0xFFFFFFFF


def test_info(client):
    assert "namespaces\t" in client.info("namespaces")
    assert "test" in client.info("namespaces").split("\t", 1)[1]
    with pytest.raises(aerowire.AerospikeError):
        client.info("namespaces", node="no-such-node")


def test_concurrent_connect_and_shared_commands(config):
    import os
    import threading

    def os_threads():
        return len(os.listdir("/proc/self/task"))

    before = os_threads()
    c = aerowire.client(config)
    barrier = threading.Barrier(4)

    def go():
        barrier.wait()
        c.connect()
        c.put(("test", "py", "concurrent-connect"), {"a": 1})

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.get(("test", "py", "concurrent-connect")).bins == {"a": 1}
    c.close()
    assert not c.is_connected()
    # One client was kept: the others' tend threads are gone with them. A
    # joined Python thread's OS thread may still be exiting (threading's join
    # returns before the thread's last steps), so wait for the count to
    # settle rather than read it once.
    import time
    deadline = time.monotonic() + 5
    while os_threads() != before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert os_threads() == before
