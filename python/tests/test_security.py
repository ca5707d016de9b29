"""TLS and login from Python: the config's "tls" dict (the official client's
keys), hosts as (addr, port, tls_name), "user"/"password" and
connect(username, password), policies auth_mode, and the admin commands.
Login runs against `aw-testd --security` (users in memory, admin/admin);
TLS through stunnel in front of it (a TLS stack we did not write), with
certificates made here by the openssl command, as tests/test_tls.c does."""
import asyncio
import os
import shutil
import socket
import subprocess
import time

import pytest

import aerowire
from aerowire import exception as ex

from conftest import ROOT

pytestmark = pytest.mark.skipif(bool(os.environ.get("AEROSPIKE_HOSTS")),
                                reason="aw-testd --security and stunnel are the suite's own")

ADMIN = {"user": "admin", "password": "admin"}  # aw-testd's, as a real server's: user-admin only
# A user for data and admin commands, made by the fixtures.
DATA = {"user": "py-data", "password": "data-pass"}


def add_data_user(hosts):
    with aerowire.client({"hosts": hosts, **ADMIN}).connect() as admin:
        admin.admin_create_user(DATA["user"], DATA["password"], ["read-write", "user-admin"])


def start_testd(*args):
    binary = os.path.join(os.environ.get("AW_BIN", os.path.join(ROOT, "build", "bin")), "aw-testd")
    proc = subprocess.Popen([binary, "--port", "0", *args], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("aw-testd ready "):
        proc.kill()
        raise RuntimeError(f"aw-testd did not start: {line!r}")
    return proc, int(line.split()[2].split(",")[0].rsplit(":", 1)[1])


def stop(proc):
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def secure():
    """aw-testd --security: (host, port)."""
    proc, port = start_testd("--security")
    try:
        add_data_user([("127.0.0.1", port)])
        yield ("127.0.0.1", port)
    finally:
        stop(proc)


# ---- config ----

def test_unsupported_tls_keys_and_auth_modes_are_param_errors():
    for key, value in (("log_session_info", True), ("for_login_only", True),
                       ("max_socket_idle", 5), ("cafiel", "x")):
        with pytest.raises(ex.ParamError) as e:
            aerowire.client({"hosts": [("127.0.0.1", 3000)], "tls": {"enable": True, key: value}})
        assert key in str(e.value) and e.value.code == -2
    with pytest.raises(ex.ParamError) as e:
        aerowire.client({"hosts": [("h", 1)],
                         "policies": {"auth_mode": aerowire.AUTH_EXTERNAL_INSECURE}})
    assert "TLS" in str(e.value)
    with pytest.raises(ex.ParamError):
        aerowire.client({"hosts": [("h", 1)], "policies": {"auth_mode": 7}})
    with pytest.raises(TypeError):
        aerowire.client({"hosts": [("h", 1)], "tls": {"enable": "yes"}})
    with pytest.raises(TypeError):
        aerowire.client({"hosts": [("h", 1)], "user": 5})
    with pytest.raises(ValueError):
        aerowire.client({"hosts": [("h", 1, "name", "extra")]})
    # Every supported key is taken.
    aerowire.client({"hosts": [("h", 1, "tls-name")], "user": "u", "password": "p",
                     "policies": {"auth_mode": aerowire.AUTH_PKI},
                     "tls": {"enable": True, "cafile": "c", "capath": "d", "protocols": "TLSv1.2",
                             "cipher_suite": "HIGH", "cert_blacklist": "b", "certfile": "f",
                             "keyfile": "k", "keyfile_pw": "pw", "crl_check": False,
                             "crl_check_all": False}})


# ---- login ----

def test_login_through_config_and_connect(secure):
    key = ("test", "py-sec", "login")
    with aerowire.client({"hosts": [secure], **DATA}).connect() as c:
        c.put(key, {"a": 1})
    c = aerowire.client({"hosts": [secure]})
    c.connect(DATA["user"], DATA["password"])
    assert c.get(key).bins == {"a": 1}
    c.close()
    with pytest.raises(ex.InvalidCredential) as e:
        aerowire.client({"hosts": [secure], "user": "admin", "password": "wrong"}).connect()
    assert e.value.code == 65
    with pytest.raises(ex.AerospikeError):  # no login at all: the server refuses
        with aerowire.client({"hosts": [secure]}).connect() as anonymous:
            anonymous.get(key)


def test_admin_commands_and_roles(secure):
    with aerowire.client({"hosts": [secure], **DATA}).connect() as admin:
        for user in ("py-rw", "py-r"):
            try:
                admin.admin_drop_user(user)
            except ex.InvalidUser:
                pass
        admin.admin_create_user("py-rw", "rw-pass", ["read-write"])
        admin.admin_create_user("py-r", "r-pass", ["read"], policy={"timeout": 2000})
        assert admin.admin_query_user("py-rw") == ["read-write"]
        assert admin.admin_query_user_info("py-r")["roles"] == ["read"]
        users = admin.admin_query_users()
        assert users["py-r"] == ["read"] and "admin" in users
        with pytest.raises(ex.UserAlreadyExists):
            admin.admin_create_user("py-r", "x", ["read"])
        admin.admin_grant_roles("py-r", ["sys-admin"])
        assert sorted(admin.admin_query_user("py-r")) == ["read", "sys-admin"]
        admin.admin_revoke_roles("py-r", ["sys-admin"])
        assert admin.admin_query_user("py-r") == ["read"]
        roles = admin.admin_query_roles()
        assert roles["read-write"]["privileges"][0]["code"] == aerowire.PRIV_READ_WRITE
        with pytest.raises(ValueError):
            admin.admin_create_user("py-x", "p", ["read"], policy={"timout": 5})
        with pytest.raises(TypeError):
            admin.admin_grant_roles("py-r", [5])

        key = ("test", "py-sec", "roles")
        admin.put(key, {"a": 1})
        with aerowire.client({"hosts": [secure], "user": "py-r", "password": "r-pass"}) as r:
            assert r.get(key).bins == {"a": 1}
            with pytest.raises(ex.RoleViolation) as e:
                r.put(key, {"a": 2})
            assert e.value.code == 81
            r.admin_change_password("py-r", "r-pass-2")
        with pytest.raises(ex.InvalidCredential):
            aerowire.client({"hosts": [secure], "user": "py-r", "password": "r-pass"}).connect()
        admin.admin_set_password("py-r", "r-pass-3")
        with aerowire.client({"hosts": [secure]}).connect("py-r", "r-pass-3") as r:
            assert r.get(key).bins == {"a": 1}
        admin.admin_drop_user("py-r")
        admin.admin_drop_user("py-rw")
        assert "py-r" not in admin.admin_query_users()


def test_async_client_logs_in(secure):
    async def main():
        async with aerowire.AsyncClient({"hosts": [secure], **DATA}) as c:
            key = ("test", "py-sec", "async")
            await c.put(key, {"a": 3})
            assert (await c.get(key)).bins == {"a": 3}
            assert "admin" in await c.admin_query_users()
        c2 = aerowire.AsyncClient({"hosts": [secure]})
        await c2.connect(DATA["user"], DATA["password"])
        assert (await c2.get(("test", "py-sec", "async"))).bins == {"a": 3}
        await c2.close()

    asyncio.run(asyncio.wait_for(main(), 60))


# ---- TLS through stunnel ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certs(d):
    key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    san = "-addext subjectAltName=DNS:aw-node,IP:127.0.0.1"
    for step in (
            f"openssl req -x509 {key} -keyout ca.key -out ca.pem -days 2 -subj /CN=aw-test-ca",
            f"openssl req -x509 {key} -keyout other.key -out other.pem -days 2 -subj /CN=aw-other",
            f"openssl req -x509 {key} -keyout srv.key -out srv.pem -days 2 -subj /CN=aw-node "
            f"-CA ca.pem -CAkey ca.key {san}",
            f"openssl req -x509 {key} -keyout cli.key -out cli.pem -days 2 -subj /CN=aw-client "
            "-CA ca.pem -CAkey ca.key"):
        subprocess.run(step, shell=True, cwd=d, check=True, capture_output=True)


def start_stunnel(d, accept, target, verify_client=False):
    conf = os.path.join(d, f"stunnel-{accept}.conf")
    with open(conf, "w") as f:
        f.write(f"foreground = yes\npid =\nsyslog = no\noutput = {d}/stunnel-{accept}.log\n"
                f"[aw]\naccept = 127.0.0.1:{accept}\nconnect = 127.0.0.1:{target}\n"
                f"cert = {d}/srv.pem\nkey = {d}/srv.key\n")
        if verify_client:
            f.write(f"verifyChain = yes\nCAfile = {d}/ca.pem\n")
    proc = subprocess.Popen([shutil.which("stunnel4") or shutil.which("stunnel"), conf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # ready when its port accepts
        assert proc.poll() is None, "stunnel exited"
        try:
            socket.create_connection(("127.0.0.1", accept), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.01)
    proc.kill()
    raise RuntimeError("stunnel did not start")


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """aw-testd --security behind stunnel: (certs dir, port, mutual-TLS port)."""
    if not (shutil.which("stunnel4") or shutil.which("stunnel")) or not shutil.which("openssl"):
        pytest.skip("stunnel (Debian stunnel4) or openssl is missing: scripts/install-deps")
    d = str(tmp_path_factory.mktemp("tls"))
    make_certs(d)
    port, mutual = free_port(), free_port()
    testd, target = start_testd("--security", "--tls-ports", str(port), "--tls-name", "aw-node")
    tunnels = []
    try:
        tunnels.append(start_stunnel(d, port, target))
        tunnels.append(start_stunnel(d, mutual, target, verify_client=True))
        add_data_user([("127.0.0.1", target)])
        yield d, port, mutual
    finally:
        for t in tunnels:
            t.terminate()
            t.wait(timeout=10)
        stop(testd)


def tls_config(d, port, name="aw-node", **tls):
    return {"hosts": [("127.0.0.1", port, name)], **DATA,
            "tls": {"enable": True, "cafile": f"{d}/ca.pem", **tls}}


def test_tls_with_login(tls):
    d, port, _ = tls
    key = ("test", "py-tls", "k")
    with aerowire.client(tls_config(d, port, protocols="TLSv1.2 +TLSv1.3")).connect() as c:
        c.put(key, {"a": 1})
        assert c.get(key).bins == {"a": 1}
        assert "admin" in c.admin_query_users()

    async def main():
        async with aerowire.AsyncClient(tls_config(d, port)) as c:
            await asyncio.gather(*(c.put(("test", "py-tls", i), {"i": i}) for i in range(50)))
            recs = await c.scan("test", "py-tls").results()
            assert sorted(r.bins.get("i", -1) for r in recs)[1:] == list(range(50))

    asyncio.run(asyncio.wait_for(main(), 60))


def test_tls_refusals(tls):
    d, port, _ = tls
    with pytest.raises(ex.AerospikeError) as e:  # the certificate names aw-node
        aerowire.client(tls_config(d, port, name="wrong-name")).connect()
    assert "wrong-name" in str(e.value) or e.value.code == -9
    with pytest.raises(ex.AerospikeError):  # a CA that did not sign it
        aerowire.client(tls_config(d, port, cafile=f"{d}/other.pem")).connect()
    with pytest.raises(ex.TLSError):  # a CA file that is not there
        aerowire.client(tls_config(d, port, cafile=f"{d}/missing.pem")).connect()
    with pytest.raises(ex.AerospikeError):  # plaintext to the TLS port
        aerowire.client({"hosts": [("127.0.0.1", port)], **ADMIN,
                         "connect_timeout": 500}).connect()


def test_mutual_tls_certfile_and_keyfile(tls):
    d, _, mutual = tls
    with pytest.raises(ex.AerospikeError):  # stunnel asks for a client certificate
        with aerowire.client(tls_config(d, mutual)).connect() as c:
            c.get(("test", "py-tls", "m"))
    cfg = tls_config(d, mutual, certfile=f"{d}/cli.pem", keyfile=f"{d}/cli.key")
    with aerowire.client(cfg).connect() as c:
        c.put(("test", "py-tls", "m"), {"m": 1})
        assert c.get(("test", "py-tls", "m")).bins == {"m": 1}
