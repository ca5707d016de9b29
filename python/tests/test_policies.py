"""Policy dicts with the official client's key names and constants, meta dicts."""
import pytest

import aerowire
from aerowire import exception as ex


def test_exists_create_fails_on_existing(client, key):
    pol = {"exists": aerowire.POLICY_EXISTS_CREATE}
    client.put(key, {"a": 1}, policy=pol)
    with pytest.raises(ex.RecordExistsError) as e:
        client.put(key, {"a": 2}, policy=pol)
    assert e.value.code == 5 and not e.value.in_doubt
    assert ex.RecordExists is ex.RecordExistsError
    assert client.get(key).bins == {"a": 1}


def test_exists_update_needs_the_record(client, key):
    with pytest.raises(ex.RecordNotFound):
        client.put(key, {"a": 1}, policy={"exists": aerowire.POLICY_EXISTS_UPDATE})
    client.put(key, {"a": 1})
    client.put(key, {"b": 2}, policy={"exists": aerowire.POLICY_EXISTS_UPDATE})
    assert client.get(key).bins == {"a": 1, "b": 2}


def test_exists_replace_and_create_or_replace(client, key):
    with pytest.raises(ex.RecordNotFound):
        client.put(key, {"a": 1}, policy={"exists": aerowire.POLICY_EXISTS_REPLACE})
    client.put(key, {"a": 1, "b": 1},
               policy={"exists": aerowire.POLICY_EXISTS_CREATE_OR_REPLACE})
    client.put(key, {"c": 1}, policy={"exists": aerowire.POLICY_EXISTS_REPLACE})
    assert client.get(key).bins == {"c": 1}
    client.put(key, {"d": 1}, policy={"exists": aerowire.POLICY_EXISTS_CREATE_OR_REPLACE})
    assert client.get(key).bins == {"d": 1}


def test_generation_eq(client, key):
    client.put(key, {"a": 1})
    gen = client.get(key).meta.gen
    pol = {"gen": aerowire.POLICY_GEN_EQ}
    with pytest.raises(ex.RecordGenerationError) as e:
        client.put(key, {"a": 2}, meta={"gen": gen + 1}, policy=pol)
    assert e.value.code == 3
    client.put(key, {"a": 3}, meta={"gen": gen}, policy=pol)
    assert client.get(key).bins == {"a": 3}
    with pytest.raises(ex.RecordGenerationError):
        client.remove(key, meta={"gen": gen}, policy=pol)
    client.remove(key, policy={"gen": aerowire.POLICY_GEN_EQ, "generation": gen + 1})
    assert client.exists(key)[1] is None


def test_generation_gt(client, key):
    client.put(key, {"a": 1})
    gen = client.get(key).meta.gen
    pol = {"gen": aerowire.POLICY_GEN_GT}
    with pytest.raises(ex.RecordGenerationError):
        client.put(key, {"a": 2}, meta={"gen": gen}, policy=pol)
    client.put(key, {"a": 2}, meta={"gen": gen + 5}, policy=pol)


def test_read_policy_keys_accepted(client, key):
    client.put(key, {"a": 1}, policy={"key": aerowire.POLICY_KEY_SEND, "total_timeout": 2000,
                                      "socket_timeout": 1000, "max_retries": 0,
                                      "commit_level": aerowire.POLICY_COMMIT_LEVEL_MASTER,
                                      "durable_delete": False})
    pol = {"total_timeout": 2000, "socket_timeout": 0, "max_retries": 3,
           "sleep_between_retries": 1, "replica": aerowire.POLICY_REPLICA_MASTER,
           "read_mode_ap": 1, "key": aerowire.POLICY_KEY_DIGEST}
    assert client.get(key, pol).bins == {"a": 1}
    assert client.select(key, ["a"], policy=pol).bins == {"a": 1}
    assert client.exists(key, pol)[1] is not None


def test_unknown_policy_keys_named(client, key):
    with pytest.raises(ValueError, match=r"unknown read policy key\(s\) \['timeout', 'bogus'\]"):
        client.get(key, {"timeout": 5, "total_timeout": 10, "bogus": 1})
    # Write-only keys do not apply to reads.
    with pytest.raises(ValueError, match="unknown read policy key.*'exists'"):
        client.get(key, {"exists": aerowire.POLICY_EXISTS_CREATE})
    with pytest.raises(ValueError, match="unknown write policy key.*'read_timeout'"):
        client.put(key, {"a": 1}, policy={"read_timeout": 1})
    with pytest.raises(ValueError, match="unknown meta key 'gne'"):
        client.put(key, {"a": 1}, meta={"gne": 1})
    assert client.exists(key)[1] is None


@pytest.mark.parametrize("pol,exc,msg", [
    ({"total_timeout": -1}, ValueError, "total_timeout is -1"),
    ({"total_timeout": 2**32}, ValueError, "total_timeout"),
    ({"total_timeout": "1"}, TypeError, "total_timeout must be an int"),
    ({"key": 2}, ValueError, "policy key is 2"),
    ({"exists": 5}, ValueError, "exists is 5"),
    ({"gen": 3}, ValueError, "gen is 3"),
    ({"ttl": -4}, ValueError, "ttl is -4"),
    ({"ttl": 2**32}, ValueError, "ttl"),
    ({"ttl": 1.5}, TypeError, "ttl must be an int"),
], ids=repr)
def test_bad_policy_values(client, key, pol, exc, msg):
    with pytest.raises(exc, match=msg):
        client.put(key, {"a": 1}, policy=pol)


def test_policy_and_meta_must_be_dicts(client, key):
    with pytest.raises(TypeError, match="policy must be a dict"):
        client.get(key, [1])
    with pytest.raises(TypeError, match="meta must be a dict"):
        client.put(key, {"a": 1}, meta=5)


def test_ttl_constants(client, key):
    client.put(key, {"a": 1}, meta={"ttl": 300})
    client.put(key, {"a": 2}, meta={"ttl": aerowire.TTL_DONT_UPDATE})
    assert 290 <= client.get(key).meta.ttl <= 300
    client.put(key, {"a": 3}, meta={"ttl": aerowire.TTL_CLIENT_DEFAULT})
    # aw-testd's namespaces never expire by default.
    assert client.get(key).meta.ttl == 0xFFFFFFFF


def test_config_policies_are_the_defaults(config, key):
    cfg = dict(config, policies={"write": {"exists": aerowire.POLICY_EXISTS_CREATE},
                                 "read": {"total_timeout": 3000}})
    with aerowire.client(cfg) as c:
        c.put(key, {"a": 1})
        with pytest.raises(ex.RecordExistsError):
            c.put(key, {"a": 1})
        # A call's policy starts from the configured default.
        with pytest.raises(ex.RecordExistsError):
            c.put(key, {"a": 1}, policy={"total_timeout": 500})
        c.put(key, {"a": 2}, policy={"exists": aerowire.POLICY_EXISTS_IGNORE})


@pytest.mark.parametrize("cfg,exc,msg", [
    ({}, ValueError, "needs hosts"),
    ({"hosts": []}, ValueError, "hosts is empty"),
    ({"hosts": "127.0.0.1:3000"}, TypeError, "list of"),
    ({"hosts": [("h", 0)]}, ValueError, "port 1..65535"),
    ({"hosts": [("h",)]}, ValueError, "not a"),
    ({"hosts": [("h", 3000)], "usr": "x"}, ValueError, "unknown config key 'usr'"),
    ({"hosts": [("h", 3000)], "policies": {"scan": {}}}, ValueError, "policies key 'scan'"),
    ({"hosts": [("h", 3000)], "policies": {"read": {"x": 1}}}, ValueError, "'x'"),
    ({"hosts": [("h", 3000)], "connect_timeout": -5}, ValueError, "connect_timeout"),
    (["hosts"], TypeError, "config must be a dict"),
], ids=repr)
def test_bad_config(cfg, exc, msg):
    with pytest.raises(exc, match=msg):
        aerowire.client(cfg)
