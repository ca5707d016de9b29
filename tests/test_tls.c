/*
 * The client's TLS, twice: against a stack we did not write, stunnel
 * (Debian's stunnel4) in front of aw-testd's plain ports, and against
 * aw-testd terminating TLS itself (--tls-port), with certificates made by
 * the openssl command at run time (a CA, a server certificate with SANs, a
 * client certificate, an expired one, another CA). One node: sync commands,
 * a batch, a scan, async commands pipelined on one connection, mutual TLS,
 * the certificate checks (bad CA, wrong TLS name, expired, blacklisted) and
 * the wrong-port mixes, each a clear AW_ERR_TLS (or refusal) within the
 * connect timeout. Three nodes: the client finds the peers through
 * peers-tls-std and reaches all of them over TLS. With --security: the
 * login after the handshake, sync, async and admin. The client's
 * configuration refusals and the certificate changing under a running
 * client (a restarted stunnel) run against stunnel only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/event.h>

#include "aerowire/adapters/libevent.h"
#include "aerowire/aerowire.h"
#include "support/awrun.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"
#include "support/tls_proxy.h"

#define CONNECT_MS 500

static char certs[64];
static tu_testd srv;
static tu_stunnel tls;       /* srv.pem in front of node 0 */
static tu_stunnel mutual;    /* srv.pem, client certificate required */
static tu_stunnel expired;   /* old.pem */
static tu_testd own_mutual;  /* aw-testd's own TLS: client certificate required */
static tu_testd own_expired; /* aw-testd's own TLS with old.pem */
static char path_buf[8][160];

/* Where the tests find TLS: the stunnels, or aw-testd's own listeners. */
typedef struct tls_target {
    bool own;              /* aw-testd terminates TLS itself */
    uint16_t port;         /* srv.pem, in front of (or on) srv's node 0 */
    uint16_t mutual_port;  /* srv.pem, client certificate required */
    uint16_t expired_port; /* old.pem */
    uint16_t plain_port;   /* srv's node 0 without TLS */
} tls_target;
static tls_target T;

static const char *cert_path(int slot, const char *name) {
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", certs, name);
    return path_buf[slot];
}

/* A TLS config trusting the test CA, seeded at port with TLS name `name`. */
static aw_config tls_config(char *hosts, size_t cap, const char *name, uint16_t port) {
    aw_config cfg;
    aw_config_init(&cfg);
    if (name)
        snprintf(hosts, cap, "127.0.0.1:%s:%u", name, port);
    else
        snprintf(hosts, cap, "127.0.0.1:%u", port);
    cfg.hosts = hosts;
    cfg.connect_timeout_ms = CONNECT_MS;
    cfg.tend_interval_ms = 100;
    cfg.tls.enable = true;
    cfg.tls.cafile = cert_path(0, "ca.pem");
    return cfg;
}

static int stunnel_teardown(void **state) {
    (void)state;
    tu_stunnel_stop(&tls);
    tu_stunnel_stop(&mutual);
    tu_stunnel_stop(&expired);
    return tu_testd_stop_group(&srv);
}

static int stunnel_setup(void **state) {
    (void)state;
    uint16_t p = tu_free_port();
    char ports[16];
    snprintf(ports, sizeof ports, "%u", p);
    const char *args[] = {"--tls-ports", ports, "--tls-name", "aw-node", NULL};
    if (tu_testd_start(&srv, args) != 0)
        return -1;
    if (tu_stunnel_start(&tls, certs, "srv", p, srv.ports[0], false) != 0 ||
        tu_stunnel_start(&mutual, certs, "srv", tu_free_port(), srv.ports[0], true) != 0 ||
        tu_stunnel_start(&expired, certs, "old", tu_free_port(), srv.ports[0], false) != 0) {
        stunnel_teardown(state);
        return -1;
    }
    T = (tls_target){false, tls.port, mutual.port, expired.port, srv.ports[0]};
    return 0;
}

/* aw-testd with its own TLS listener (--tls-port 0) serving dir/<cert>,
 * and the extra arguments (NULL-terminated). */
static int own_start(tu_testd *t, const char *cert, const char *const *extra) {
    char pem[100], key[100];
    snprintf(pem, sizeof pem, "%s/%s.pem", certs, cert);
    snprintf(key, sizeof key, "%s/%s.key", certs, cert);
    const char *args[16] = {"--tls-port", "0", "--tls-cert", pem, "--tls-key", key,
                            "--tls-name", "aw-node"};
    int n = 8;
    for (int i = 0; extra && extra[i] && n < 15; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    return tu_testd_start(t, args);
}

static int own_teardown(void **state) {
    (void)state;
    int rc = tu_testd_stop_group(&srv);
    rc |= tu_testd_stop_group(&own_mutual);
    rc |= tu_testd_stop_group(&own_expired);
    return rc;
}

static int own_setup(void **state) {
    const char *ca[] = {"--tls-cafile", cert_path(6, "ca.pem"), NULL};
    if (own_start(&srv, "srv", NULL) != 0 || own_start(&own_mutual, "srv", ca) != 0 ||
        own_start(&own_expired, "old", NULL) != 0) {
        own_teardown(state);
        return -1;
    }
    T = (tls_target){true, srv.tls_ports[0], own_mutual.tls_ports[0], own_expired.tls_ports[0],
                     srv.ports[0]};
    return 0;
}

/* aw_client_new's code; the message stays in err. */
static int try_client(const aw_config *cfg, aw_error *err) {
    aw_client *c = NULL;
    int rc = aw_client_new(&c, cfg, err);
    aw_client_close(c);
    return rc;
}

static void expect_msg(const aw_error *err, const char *part) {
    if (!strstr(err->message, part))
        fail_msg("message '%s' lacks '%s'", err->message, part);
}

static aw_key key_of(const char *name) { return tu_key("test", "tls", name); }

/* --- over TLS --------------------------------------------------------------------- */

static void test_sync_commands(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.port);
    aw_client *c = tu_client_new(&cfg);
    aw_error err;
    for (int i = 0; i < 50; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%d", i);
        aw_key k = key_of(name);
        aw_bin b = {"v", aw_value_int(i)};
        tu_check(aw_put(c, NULL, &k, &b, 1, &err), &err, "put");
    }
    aw_key k = key_of("k7");
    aw_record rec = {0};
    tu_check(aw_get(c, NULL, &k, NULL, 0, &rec, &err), &err, "get");
    assert_int_equal(aw_record_get(&rec, "v")->u.i, 7);
    aw_record_free(&rec);
    bool ex = false;
    tu_check(aw_exists(c, NULL, &k, &ex, &err), &err, "exists");
    assert_true(ex);
    char *reply = NULL;
    tu_check(aw_info(c, NULL, "node", 0, &reply, &err), &err, "info");
    assert_non_null(reply);
    aw_free(reply);

    /* A batch over the same TLS connections. */
    aw_key keys[50];
    char names[50][16];
    for (int i = 0; i < 50; i++) {
        snprintf(names[i], sizeof names[i], "k%d", i);
        keys[i] = key_of(names[i]);
    }
    aw_batch_result res[50];
    tu_check(aw_batch_get(c, NULL, keys, 50, NULL, 0, false, res, &err), &err, "batch");
    for (int i = 0; i < 50; i++) {
        assert_int_equal(res[i].code, AW_OK);
        assert_int_equal(aw_record_get(&res[i].rec, "v")->u.i, i);
    }
    aw_batch_results_free(res, 50);
    aw_client_close(c);
}

static bool count_record(const aw_key *key, aw_record *rec, void *udata) {
    (void)key;
    (void)rec;
    (*(int *)udata)++;
    return true;
}

static void test_scan(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.port);
    aw_client *c = tu_client_new(&cfg);
    aw_error err;
    /* Big records, so the stream spans many TLS records per read. */
    static char blob[20000];
    memset(blob, 'x', sizeof blob);
    for (int i = 0; i < 300; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        aw_key k = tu_key("test", "tlsscan", name);
        aw_bin b = {"b", aw_value_strn(blob, sizeof blob)};
        tu_check(aw_put(c, NULL, &k, &b, 1, &err), &err, "put");
    }
    aw_query q = {.ns = "test", .set = "tlsscan"};
    int n = 0;
    tu_check(aw_query_foreach(c, NULL, &q, NULL, count_record, &n, &err), &err, "scan");
    assert_int_equal(n, 300);
    aw_client_close(c);
}

/* A client with a loop on its own libevent base. */
typedef struct async_env {
    aw_client *c;
    struct event_base *b;
    aw_loop *l;
} async_env;

static async_env async_open(const aw_config *cfg) {
    async_env env = {tu_client_new(cfg), event_base_new(), NULL};
    aw_error err;
    assert_non_null(env.b);
    if (aw_libevent_attach(env.c, env.b, &env.l, &err) != AW_OK)
        fail_msg("aw_libevent_attach: %s", err.message);
    return env;
}

static void async_close(async_env *env) {
    aw_client_close(env->c); /* closes the loop too */
    event_base_free(env->b);
}

typedef struct done {
    int *due;
    int code;
    int64_t v;
} done;

static void on_get(const aw_error *err, aw_record *rec, void *ud) {
    done *d = ud;
    d->code = err ? err->code : AW_OK;
    if (rec && aw_record_get(rec, "v"))
        d->v = aw_record_get(rec, "v")->u.i;
    (*d->due)--;
}

static void on_status(const aw_error *err, void *ud) {
    done *d = ud;
    d->code = err ? err->code : AW_OK;
    (*d->due)--;
}

static void test_async_pipelined(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.port);
    cfg.async_max_conns_per_node = 1; /* every command on one connection */
    cfg.pipeline_depth = 16;
    async_env env = async_open(&cfg);
    aw_client *c = env.c;
    struct event_base *b = env.b;
    aw_loop *l = env.l;
    aw_error err;
    uint64_t opened = tu_stats(c).conns_opened;
    enum { N = 400 };
    static done d[N];
    static aw_key keys[N];
    static char names[N][16];
    int due = 0;
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "a%d", i);
        keys[i] = key_of(names[i]);
        aw_bin bin = {"v", aw_value_int(i * 3)};
        d[i] = (done){&due, -100, -1};
        assert_int_equal(aw_put_async(l, NULL, &keys[i], &bin, 1, on_status, &d[i], &err), AW_OK);
        due++;
    }
    tu_run_until(b, &due, 10000);
    for (int i = 0; i < N; i++)
        assert_int_equal(d[i].code, AW_OK);
    for (int i = 0; i < N; i++) {
        d[i] = (done){&due, -100, -1};
        assert_int_equal(aw_get_async(l, NULL, &keys[i], NULL, 0, on_get, &d[i], &err), AW_OK);
        due++;
    }
    tu_run_until(b, &due, 10000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(d[i].code, AW_OK);
        assert_int_equal(d[i].v, i * 3);
    }
    /* One TLS connection carried all of them, many requests in flight. */
    assert_int_equal(tu_stats(c).conns_opened - opened, 1);
    async_close(&env);
}

/* Replies just over one TLS record (16384 bytes): the server (stunnel or
 * aw-testd) sends a full record and a small one back to back, and OpenSSL
 * reads both off the socket at once (read-ahead). The small one then sits
 * decrypted-to-be in the session, where neither poll() nor the loop sees
 * it: a reader that stopped after the first record would wait for it until
 * the timeout. */
static void test_record_tails(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.port);
    cfg.async_max_conns_per_node = 1;
    async_env env = async_open(&cfg);
    aw_client *c = env.c;
    struct event_base *b = env.b;
    aw_loop *l = env.l;
    aw_error err;
    enum { N = 24 };
    static char blob[16384 + 400];
    memset(blob, 'y', sizeof blob);
    static aw_key keys[N];
    static char names[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "tail%d", i);
        keys[i] = tu_key("test", "tlstail", names[i]);
        aw_bin bin = {"b", aw_value_blob((const uint8_t *)blob, 16384 - 100 + (uint32_t)i * 16)};
        tu_check(aw_put(c, NULL, &keys[i], &bin, 1, &err), &err, "put");
    }
    aw_policy p = aw_policy_read();
    p.total_timeout_ms = 3000;
    p.max_retries = 0;
    /* One at a time: each reply alone on the connection. */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            int due = 1;
            done d = {&due, -100, -1};
            assert_int_equal(aw_get_async(l, &p, &keys[i], NULL, 0, on_get, &d, &err), AW_OK);
            tu_run_until(b, &due, 10000);
            assert_int_equal(d.code, AW_OK);
        }
    }
    /* The sync batch and scan engines read the same way. */
    aw_batch_policy bp = aw_batch_policy_default();
    bp.base.total_timeout_ms = 3000;
    bp.base.max_retries = 0;
    bp.max_rows_per_request = 1; /* one reply per record */
    aw_batch_result res[N];
    for (int round = 0; round < 3; round++) {
        tu_check(aw_batch_get(c, &bp, keys, N, NULL, 0, false, res, &err), &err, "batch");
        for (int i = 0; i < N; i++)
            assert_int_equal(res[i].code, AW_OK);
        aw_batch_results_free(res, N);
    }
    aw_query_policy qp = aw_query_policy_default();
    qp.base.total_timeout_ms = 3000;
    qp.base.max_retries = 0;
    aw_query q = {.ns = "test", .set = "tlstail"};
    for (int round = 0; round < 3; round++) {
        int n = 0;
        tu_check(aw_query_foreach(c, &qp, &q, NULL, count_record, &n, &err), &err, "scan");
        assert_int_equal(n, N);
    }
    async_close(&env);
}

static void test_mutual_tls(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.mutual_port);
    aw_error err;
    /* Without a client certificate the server ends the handshake. (With
     * TLS 1.3 it says so only after the client's handshake is done, and its
     * alert can lose the race with the reset of the closing socket: TLS 1.2
     * makes the refusal part of the handshake.) */
    cfg.tls.protocols = "TLSv1.2";
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "127.0.0.1");
    cfg.tls.protocols = NULL;

    cfg.tls.certfile = cert_path(1, "cli.pem");
    cfg.tls.keyfile = cert_path(2, "cli.key");
    aw_client *c = tu_client_new(&cfg);
    aw_key k = key_of("mutual");
    aw_bin b = {"v", aw_value_int(5)};
    tu_check(aw_put(c, NULL, &k, &b, 1, &err), &err, "put");
    aw_client_close(c);
}

/* --- PKI login (aw-testd's own TLS: it sees the client certificate) ---------------- */

static tu_testd pki;  /* aw-testd --security --tls-cafile: mutual TLS */
static void expect_put_get(aw_client *c, const char *name, bool may_write);

static int pki_setup(void **state) {
    (void)state;
    const char *args[] = {"--security", "--tls-cafile", cert_path(6, "ca.pem"), NULL};
    return own_start(&pki, "srv", args);
}

static int pki_teardown(void **state) {
    (void)state;
    return tu_testd_stop(&pki) == 0 ? 0 : -1;
}

/* A client of pki with the client certificate (CN aw-client); its code. */
static int pki_connect(aw_client **out, aw_auth_mode mode, const char *user,
                       const char *password, aw_error *err) {
    static char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", pki.tls_ports[0]);
    cfg.tls.certfile = cert_path(1, "cli.pem");
    cfg.tls.keyfile = cert_path(2, "cli.key");
    cfg.auth_mode = mode;
    cfg.user = user;
    cfg.password = password;
    *out = NULL;
    return aw_client_new(out, &cfg, err);
}

/* A PKI login sends no user and no password: the server takes the user
 * from the client certificate's Common Name. Unknown until the
 * administrator creates user "aw-client"; then its sync and async commands
 * (new connections authenticate with the session's token alone) run with
 * that user's roles: read-write, then, recreated, read only. */
static void test_pki_login(void **state) {
    (void)state;
    aw_client *c = NULL, *admin = NULL;
    aw_error err;
    assert_int_equal(pki_connect(&c, AW_AUTH_PKI, NULL, NULL, &err), AW_INVALID_USER);
    expect_msg(&err, "INVALID_USER");
    if (pki_connect(&admin, AW_AUTH_INTERNAL, "admin", "admin", &err) != AW_OK)
        fail_msg("admin login: %s", err.message);
    static const char *const rw[] = {"read-write"}, *const r[] = {"read"};
    tu_check(aw_create_user(admin, NULL, "aw-client", "unused", rw, 1, &err), &err,
             "create aw-client");
    if (pki_connect(&c, AW_AUTH_PKI, NULL, NULL, &err) != AW_OK)
        fail_msg("PKI login: %s", err.message);
    expect_put_get(c, "pki", true);
    aw_client_close(c);
    tu_check(aw_drop_user(admin, NULL, "aw-client", &err), &err, "drop aw-client");
    tu_check(aw_create_user(admin, NULL, "aw-client", "unused", r, 1, &err), &err,
             "create aw-client read-only");
    if (pki_connect(&c, AW_AUTH_PKI, NULL, NULL, &err) != AW_OK)
        fail_msg("PKI login: %s", err.message);
    expect_put_get(c, "pki", false);
    aw_client_close(c);
    aw_client_close(admin);
}

/* --- refusals ---------------------------------------------------------------------- */

static void test_bad_ca(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.port);
    cfg.tls.cafile = cert_path(0, "other.pem");
    aw_error err;
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "certificate verify failed");
    expect_msg(&err, "local issuer");
}

static void test_wrong_tls_name(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "not-the-node", T.port);
    aw_error err;
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "not-the-node");
    expect_msg(&err, "hostname mismatch");
    /* Without a TLS name the seed's host is checked: 127.0.0.1 is a SAN. */
    cfg = tls_config(hosts, sizeof hosts, NULL, T.port);
    assert_int_equal(try_client(&cfg, &err), AW_OK);
}

static void test_expired_certificate(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.expired_port);
    aw_error err;
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "certificate has expired");
}

static void test_blacklisted_certificate(void **state) {
    (void)state;
    char serial[100], line[200];
    assert_int_equal(tu_tls_serial(cert_path(3, "srv.pem"), serial, sizeof serial), 0);
    const char *list = cert_path(4, "blacklist");
    FILE *f = fopen(list, "w");
    assert_non_null(f);
    snprintf(line, sizeof line, "# revoked\n%s /CN=aw-test-ca\n", serial);
    fputs(line, f);
    fclose(f);
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.port);
    cfg.tls.cert_blacklist = list;
    aw_error err;
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "certificate revoked");
    /* Another issuer's certificate with that serial is not this one. */
    f = fopen(list, "w");
    assert_non_null(f);
    snprintf(line, sizeof line, "%s /CN=someone-else\n", serial);
    fputs(line, f);
    fclose(f);
    assert_int_equal(try_client(&cfg, &err), AW_OK);
    cfg.tls.cert_blacklist = cert_path(5, "no-such-file");
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "no-such-file");
}

static void test_config_refused(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.port);
    aw_error err;
    cfg.tls.protocols = "SSLv3";
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "SSLv3");
    cfg.tls.protocols = "TLSv1.2 TLSv1.3";
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "overrides");
    cfg.tls.protocols = "TLSv1.2 +TLSv1.3";
    assert_int_equal(try_client(&cfg, &err), AW_OK);
    cfg.tls.protocols = "all -TLSv1 -TLSv1.1";
    assert_int_equal(try_client(&cfg, &err), AW_OK);
    cfg.tls.protocols = NULL;
    cfg.tls.cipher_suite = "NO-SUCH-CIPHER";
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "NO-SUCH-CIPHER");
    cfg.tls.cipher_suite = NULL;
    cfg.tls.cafile = cert_path(0, "missing-ca.pem");
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    expect_msg(&err, "missing-ca.pem");
    cfg.tls.cafile = cert_path(0, "ca.pem");
    cfg.tls.certfile = cert_path(1, "cli.pem");
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS); /* no key */
    expect_msg(&err, "keyfile");
}

/* Both directions of the wrong port: a clear error within the connect
 * timeout, never a hang. */
static void test_wrong_port_kinds(void **state) {
    (void)state;
    char hosts[128];
    aw_error err;
    /* TLS to aw-testd's plain port: the server waits for a frame that the
     * ClientHello never completes; the handshake deadline ends it. */
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.plain_port);
    uint64_t t0 = tu_now_ms();
    assert_int_equal(try_client(&cfg, &err), AW_ERR_TLS);
    assert_true(tu_now_ms() - t0 < 3 * CONNECT_MS);
    expect_msg(&err, "TLS handshake");

    /* Plain TCP to the TLS port: stunnel (or aw-testd) drops the connection. */
    cfg = tls_config(hosts, sizeof hosts, NULL, T.port);
    cfg.tls.enable = false;
    t0 = tu_now_ms();
    int rc = try_client(&cfg, &err);
    assert_true(rc == AW_ERR_CONNECTION || rc == AW_ERR_TLS);
    assert_true(tu_now_ms() - t0 < 3 * CONNECT_MS);
    expect_msg(&err, "TLS port");
}

/* The server's certificate changes under a running client: new sync and
 * async connections fail their handshake with AW_ERR_TLS. */
static tu_stunnel later;

static int later_teardown(void **state) {
    (void)state;
    tu_stunnel_stop(&later);
    return 0;
}

/* Restarts st on its port with the expired certificate: new handshakes fail. */
static void serve_expired(tu_stunnel *st) {
    uint16_t port = st->port;
    tu_stunnel_stop(st);
    assert_int_equal(tu_stunnel_start(st, certs, "old", port, srv.ports[0], false), 0);
}

static void test_handshake_fails_later(void **state) {
    (void)state;
    tu_stunnel *st = &later;
    assert_int_equal(tu_stunnel_start(st, certs, "srv", tu_free_port(), srv.ports[0], false), 0);
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", st->port);
    cfg.max_conns_per_node = 1;
    async_env env = async_open(&cfg);
    aw_client *c = env.c;
    struct event_base *b = env.b;
    aw_loop *l = env.l;
    aw_error err;
    serve_expired(st);

    aw_key k = key_of("later");
    int due = 1;
    done d = {&due, -100, -1};
    assert_int_equal(aw_get_async(l, NULL, &k, NULL, 0, on_get, &d, &err), AW_OK);
    tu_run_until(b, &due, 3000);
    assert_int_equal(d.code, AW_ERR_TLS);

    aw_policy p = aw_policy_read();
    p.max_retries = 0;
    aw_record rec = {0};
    /* The pooled sync connection (if the tend left one) went with the old
     * stunnel; the next one must shake hands again and fails. */
    int rc = aw_get(c, &p, &k, NULL, 0, &rec, &err);
    if (rc != AW_ERR_TLS)
        rc = aw_get(c, &p, &k, NULL, 0, &rec, &err);
    assert_int_equal(rc, AW_ERR_TLS);
    expect_msg(&err, "certificate has expired");
    aw_record_free(&rec);
    async_close(&env);
    tu_stunnel_stop(st);
}

/* An async scan paused after every record: the pause stops the reads with
 * the rest of the stream possibly taken off the socket by the TLS session
 * already (read-ahead), where no event reports it. Resume must read it, or
 * the stream stalls until the socket timeout. */
typedef struct paused_scan {
    struct event_base *b;
    aw_query_handle *h;
    int due, records, code;
} paused_scan;

static void resume_now(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    paused_scan *p = arg;
    aw_query_resume(p->h);
}

static aw_query_flow pause_each(const aw_key *key, aw_record *rec, void *ud) {
    (void)key;
    (void)rec;
    paused_scan *p = ud;
    p->records++;
    struct timeval tv = {0, 1000};
    event_base_once(p->b, -1, EV_TIMEOUT, resume_now, p, &tv);
    return AW_QUERY_PAUSE;
}

static void on_scan_done(const aw_error *err, void *ud) {
    paused_scan *p = ud;
    p->code = err ? err->code : AW_OK;
    if (err)
        print_message("scan: %s\n", err->message);
    p->due--;
}

static void test_async_scan_paused(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", T.port);
    async_env env = async_open(&cfg);
    aw_error err;
    /* Two keys of one partition: its scan streams both records and the end,
     * just over one TLS record (16384 bytes) for some blob sizes, so a small
     * last record comes with a full one (see test_record_tails). */
    static char names[2][16];
    aw_key keys[2];
    uint32_t seen[4096];
    memset(seen, 0xff, sizeof seen);
    int found = 0;
    for (uint32_t i = 0; i < 100000 && !found; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", i);
        aw_key k = tu_key("test", "tlspause", name);
        uint32_t part = aw_partition_id(k.digest);
        if (seen[part] != UINT32_MAX) {
            snprintf(names[0], sizeof names[0], "p%u", seen[part]);
            snprintf(names[1], sizeof names[1], "%s", name);
            found = 1;
        }
        seen[part] = i;
    }
    assert_true(found);
    keys[0] = tu_key("test", "tlspause", names[0]);
    keys[1] = tu_key("test", "tlspause", names[1]);
    aw_query_policy qp = aw_query_policy_default();
    qp.base.socket_timeout_ms = 1500;
    qp.base.total_timeout_ms = 5000;
    qp.base.max_retries = 0;
    aw_query q = {.ns = "test", .set = "tlspause"};
    aw_partition_filter pf = aw_partition_filter_id(aw_partition_id(keys[0].digest));
    static char blob[8400];
    memset(blob, 'p', sizeof blob);
    for (uint32_t size = 8000; size < sizeof blob; size += 24) {
        for (int i = 0; i < 2; i++) {
            aw_bin bin = {"b", aw_value_blob((const uint8_t *)blob, size)};
            tu_check(aw_put(env.c, NULL, &keys[i], &bin, 1, &err), &err, "put");
        }
        aw_partition_status *ps = NULL;
        tu_check(aw_partition_status_new(&pf, &ps, &err), &err, "cursor");
        paused_scan p = {env.b, NULL, 1, 0, -100};
        uint64_t t0 = tu_now_ms();
        tu_check(aw_query_foreach_async(env.l, &qp, &q, ps, pause_each, on_scan_done, &p, &p.h,
                                        &err),
                 &err, "aw_query_foreach_async");
        tu_run_until(env.b, &p.due, 10000);
        aw_partition_status_free(ps);
        if (p.code != AW_OK)
            fail_msg("blob of %u bytes: code %d after %llu ms", size, p.code,
                     (unsigned long long)(tu_now_ms() - t0));
        assert_int_equal(p.records, 2);
        /* No wait for a socket timeout on the way. */
        assert_true(tu_now_ms() - t0 < qp.base.socket_timeout_ms);
    }
    async_close(&env);
}

/* --- with metrics and warm-up ------------------------------------------------------ */

typedef struct warm {
    aw_client *c;
    int *due;
    int code;
    uint64_t opened, connects; /* the node's counts when the warm-up reported */
} warm;

static aw_metrics_node node_metrics(aw_client *c) {
    aw_metrics *m = NULL;
    aw_error err;
    tu_check(aw_metrics_snapshot(c, &m, &err), &err, "snapshot");
    aw_metrics_node n = m->total;
    aw_metrics_free(m);
    return n;
}

static void on_warm(const aw_error *err, void *ud) {
    warm *w = ud;
    w->code = err ? err->code : AW_OK;
    aw_metrics_node n = node_metrics(w->c);
    w->opened = n.conns_opened;
    w->connects = n.phase[AW_MP_CONNECT].count;
    (*w->due)--;
}

/* The connect phase ends after the handshake, and a warm-up reports its
 * connections only once they are through it: when the warm-up calls back,
 * each connection it opened has its connect phase recorded. A handshake
 * that fails records none (sync or async) and its async connection is
 * counted closed on error. */
static void test_metrics_and_warm_up(void **state) {
    (void)state;
    tu_stunnel *st = &later;
    assert_int_equal(tu_stunnel_start(st, certs, "srv", tu_free_port(), srv.ports[0], false), 0);
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", st->port);
    cfg.metrics_enabled = true;
    cfg.async_max_conns_per_node = 4;
    async_env env = async_open(&cfg);
    aw_client *c = env.c;
    aw_error err;
    aw_metrics_node before = node_metrics(c);
    int due = 1;
    warm w = {c, &due, -100, 0, 0};
    assert_int_equal(aw_loop_warm_up(env.l, 3, on_warm, &w, &err), AW_OK);
    tu_run_until(env.b, &due, 5000);
    assert_int_equal(w.code, AW_OK);
    assert_int_equal(w.opened - before.conns_opened, 3);
    assert_int_equal(w.connects - before.phase[AW_MP_CONNECT].count, 3);
    /* The warmed connections carry the first commands: none opened. */
    enum { N = 3 };
    static done d[N];
    static aw_key keys[N];
    static char names[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "warm%d", i);
        keys[i] = key_of(names[i]);
        d[i] = (done){&due, -100, -1};
        assert_int_equal(aw_get_async(env.l, NULL, &keys[i], NULL, 0, on_get, &d[i], &err), AW_OK);
        due++;
    }
    tu_run_until(env.b, &due, 5000);
    for (int i = 0; i < N; i++)
        assert_int_equal(d[i].code, AW_ERR_RECORD_NOT_FOUND);
    aw_metrics_node up = node_metrics(c);
    assert_int_equal(up.conns_opened, w.opened);

    serve_expired(st); /* new handshakes fail from here on */
    aw_metrics_node stale = node_metrics(c);
    aw_key k = key_of("phased");
    due = 1;
    done one = {&due, -100, -1};
    aw_policy p = aw_policy_read();
    p.max_retries = 0;
    /* Its connections went with the old stunnel; this one opens another. */
    int rc = AW_OK;
    for (int tries = 0; tries < 2 && one.code != AW_ERR_TLS; tries++) {
        due = 1;
        one = (done){&due, -100, -1};
        assert_int_equal(aw_get_async(env.l, &p, &k, NULL, 0, on_get, &one, &err), AW_OK);
        tu_run_until(env.b, &due, 3000);
    }
    assert_int_equal(one.code, AW_ERR_TLS);
    aw_record rec = {0};
    for (int tries = 0; tries < 2 && rc != AW_ERR_TLS; tries++)
        rc = aw_get(c, &p, &k, NULL, 0, &rec, &err);
    assert_int_equal(rc, AW_ERR_TLS);
    aw_record_free(&rec);
    aw_metrics_node failed = node_metrics(c);
    assert_int_equal(failed.phase[AW_MP_CONNECT].count, stale.phase[AW_MP_CONNECT].count);
    assert_true(failed.conns_opened > stale.conns_opened);
    assert_true(failed.conns_closed[AW_CLOSE_ERROR] > stale.conns_closed[AW_CLOSE_ERROR]);
    async_close(&env);
    tu_stunnel_stop(st);
}

/* --- the tools -------------------------------------------------------------------- */

/* aw and aw-bench with asbench's TLS flags and the host:tls-name:port form. */
static void test_tools_flags(void **state) {
    (void)state;
    char host[64], bad_host[64];
    snprintf(host, sizeof host, "127.0.0.1:aw-node:%u", T.port);
    snprintf(bad_host, sizeof bad_host, "127.0.0.1:someone-else:%u", T.port);
    const char *ca = cert_path(0, "ca.pem");
    tu_run r = tu_run_aw(NULL, (const char *const[]){"-h", host, "--tls-enable", "--tls-cafile", ca,
                                                     "put", "test", "tls", "cli", "a=7", NULL});
    expect_status(r, 0);
    tu_run_free(&r);
    r = tu_run_aw(NULL, (const char *const[]){"-h", host, "--tls-enable", "--tls-cafile", ca,
                                              "--json", "get", "test", "tls", "cli", NULL});
    expect_status(r, 0);
    expect_contains(r.out, "\"bins\":{\"a\":7}");
    tu_run_free(&r);
    r = tu_run_aw(NULL, (const char *const[]){"-h", bad_host, "--tls-enable", "--tls-cafile", ca,
                                              "get", "test", "tls", "cli", NULL});
    expect_status(r, 5);
    expect_contains(r.err, "hostname mismatch");
    tu_run_free(&r);

    char bench[4096];
    const char *bin = getenv("AW_BIN");
    snprintf(bench, sizeof bench, "%s/aw-bench", bin && bin[0] ? bin : "build/bin");
    r = tu_run_prog(bench, NULL,
                    (const char *const[]){"-h", host, "--tls-enable", "--tls-cafile", ca,
                                          "--tls-protocols", "TLSv1.3", "-s", "tlsbench", "-k",
                                          "200", "-a", "-w", "RU,50", "-t", "1", "--json", NULL});
    expect_status(r, 0);
    tu_run_free(&r);
    /* Not a flag aw-bench takes yet: named in the refusal. */
    r = tu_run_prog(bench, NULL,
                    (const char *const[]){"-h", host, "--tls-enable", "--tls-login-only", NULL});
    expect_status(r, 2);
    expect_contains(r.err, "--tls-login-only");
    tu_run_free(&r);
}

/* --- three nodes -------------------------------------------------------------------- */

static tu_testd t3;
static tu_stunnel st3[3];
static uint16_t tp[3];

/* Three nodes, each behind its own stunnel or with its own TLS port; torn
 * down even after a failure (the processes would otherwise outlive the
 * suite). */
static int three_setup(void **state) {
    (void)state;
    if (T.own) {
        const char *args[] = {"--nodes", "3", NULL};
        if (own_start(&t3, "srv", args) != 0)
            return -1;
        memcpy(tp, t3.tls_ports, sizeof tp);
        return 0;
    }
    for (int i = 0; i < 3; i++) {
        do
            tp[i] = tu_free_port();
        while ((i > 0 && tp[i] == tp[0]) || (i > 1 && tp[i] == tp[1]));
    }
    char ports[64];
    snprintf(ports, sizeof ports, "%u,%u,%u", tp[0], tp[1], tp[2]);
    const char *args[] = {"--nodes", "3", "--tls-ports", ports, "--tls-name", "aw-node", NULL};
    if (tu_testd_start(&t3, args) != 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (tu_stunnel_start(&st3[i], certs, "srv", tp[i], t3.ports[i], false) != 0)
            return -1;
    return 0;
}

static int three_teardown(void **state) {
    (void)state;
    for (int i = 0; i < 3; i++)
        tu_stunnel_stop(&st3[i]);
    return tu_testd_stop(&t3) == 0 ? 0 : -1;
}

static void test_three_nodes(void **state) {
    (void)state;
    char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", tp[0]);
    aw_client *c = tu_client_new(&cfg);
    /* The peers come from peers-tls-std: their TLS ports, their TLS name. */
    assert_int_equal(tu_wait_nodes(c, 3, 3000), 3);
    char *reply = NULL;
    aw_error err;
    for (int i = 0; i < 3; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.0.1:%u", tp[i]);
        tu_check(aw_info(c, addr, "node", 0, &reply, &err), &err, addr);
        aw_free(reply);
    }
    aw_key keys[60];
    char names[60][16];
    for (int i = 0; i < 60; i++) {
        snprintf(names[i], sizeof names[i], "n%d", i);
        keys[i] = tu_key("test", "tls3", names[i]);
        aw_bin b = {"v", aw_value_int(i)};
        tu_check(aw_put(c, NULL, &keys[i], &b, 1, &err), &err, "put");
    }
    aw_batch_result res[60];
    tu_check(aw_batch_get(c, NULL, keys, 60, NULL, 0, false, res, &err), &err, "batch");
    for (int i = 0; i < 60; i++)
        assert_int_equal(aw_record_get(&res[i].rec, "v")->u.i, i);
    aw_batch_results_free(res, 60);
    aw_query q = {.ns = "test", .set = "tls3"};
    int n = 0;
    tu_check(aw_query_foreach(c, NULL, &q, NULL, count_record, &n, &err), &err, "scan");
    assert_int_equal(n, 60);
    aw_client_close(c);
}

/* --- login over TLS ------------------------------------------------------------------ */

static tu_testd sec;        /* aw-testd --security */
static tu_stunnel sec_tls;  /* srv.pem in front of it */
static uint16_t sec_port;   /* its TLS port (sec_tls's, or its own) */

static int sec_setup(void **state) {
    (void)state;
    if (T.own) {
        const char *args[] = {"--security", NULL};
        if (own_start(&sec, "srv", args) != 0)
            return -1;
        sec_port = sec.tls_ports[0];
        return 0;
    }
    uint16_t p = sec_port = tu_free_port();
    char ports[16];
    snprintf(ports, sizeof ports, "%u", p);
    const char *args[] = {"--security", "--tls-ports", ports, "--tls-name", "aw-node", NULL};
    if (tu_testd_start(&sec, args) != 0)
        return -1;
    return tu_stunnel_start(&sec_tls, certs, "srv", p, sec.ports[0], false);
}

static int sec_teardown(void **state) {
    (void)state;
    tu_stunnel_stop(&sec_tls);
    return tu_testd_stop(&sec) == 0 ? 0 : -1;
}

/* aw_client_new as user over TLS to the --security server; its code. */
static int sec_connect(aw_client **out, aw_auth_mode mode, const char *user, const char *password,
                       aw_error *err) {
    static char hosts[128];
    aw_config cfg = tls_config(hosts, sizeof hosts, "aw-node", sec_port);
    cfg.auth_mode = mode;
    cfg.user = user;
    cfg.password = password;
    *out = NULL;
    return aw_client_new(out, &cfg, err);
}

static aw_client *sec_client(aw_auth_mode mode, const char *user, const char *password) {
    aw_client *c = NULL;
    aw_error err;
    int rc = sec_connect(&c, mode, user, password, &err);
    if (rc != AW_OK)
        fail_msg("log in as %s over TLS: %s (%d)", user, err.message, rc);
    return c;
}

/* A sync put and get, then the same on a new event loop (its connections
 * are new: TLS handshake, then the LOGIN state); the four codes. */
static void put_get_both(aw_client *c, const char *name, int rc[4]) {
    aw_key k = key_of(name);
    aw_bin bin = {"v", aw_value_int(5)};
    aw_error err;
    aw_record rec = {0};
    rc[0] = aw_put(c, NULL, &k, &bin, 1, &err);
    rc[1] = aw_get(c, NULL, &k, NULL, 0, &rec, &err);
    aw_record_free(&rec);
    struct event_base *b = event_base_new();
    aw_loop *l = NULL;
    assert_non_null(b);
    if (aw_libevent_attach(c, b, &l, &err) != AW_OK)
        fail_msg("aw_libevent_attach: %s", err.message);
    int due = 1;
    done d = {&due, -100, -1};
    assert_int_equal(aw_put_async(l, NULL, &k, &bin, 1, on_status, &d, &err), AW_OK);
    tu_run_until(b, &due, 5000);
    rc[2] = d.code;
    due = 1;
    d = (done){&due, -100, -1};
    assert_int_equal(aw_get_async(l, NULL, &k, NULL, 0, on_get, &d, &err), AW_OK);
    tu_run_until(b, &due, 5000);
    rc[3] = d.code;
    aw_loop_close(l);
    event_base_free(b);
}

/* put_get_both, expecting the reads to pass and the writes to pass when
 * the user may write, else to get ROLE_VIOLATION. */
static void expect_put_get(aw_client *c, const char *name, bool may_write) {
    int rc[4];
    put_get_both(c, name, rc);
    int write_rc = may_write ? AW_OK : AW_ROLE_VIOLATION;
    assert_int_equal(rc[0], write_rc);
    assert_int_equal(rc[1], AW_OK);
    assert_int_equal(rc[2], write_rc);
    assert_int_equal(rc[3], AW_OK);
}

/* Login after the handshake, through the TLS session, on every kind of
 * connection: the administrator creates users over TLS (admin commands), a
 * read-write user's sync and async commands run, a read-only user's writes
 * are refused (the server knows who logged in on each connection), a wrong
 * password is the seed's INVALID_CREDENTIAL. External and PKI, refused
 * without TLS, now go out: external logs in (aw-testd checks the
 * credential), PKI's LOGIN without a user gets aw-testd's refusal. */
static void test_login_over_tls(void **state) {
    (void)state;
    aw_client *admin = sec_client(AW_AUTH_INTERNAL, "admin", "admin");
    static const char *const rw[] = {"read-write"}, *const r[] = {"read"};
    aw_error err;
    tu_check(aw_create_user(admin, NULL, "tls-rw", "rw-pass", rw, 1, &err), &err, "create tls-rw");
    tu_check(aw_create_user(admin, NULL, "tls-r", "r-pass", r, 1, &err), &err, "create tls-r");
    aw_client_close(admin);

    aw_client *c = sec_client(AW_AUTH_INTERNAL, "tls-rw", "rw-pass");
    expect_put_get(c, "login", true);
    aw_client_close(c);
    c = sec_client(AW_AUTH_INTERNAL, "tls-r", "r-pass");
    expect_put_get(c, "login", false);
    aw_client_close(c);
    assert_int_equal(sec_connect(&c, AW_AUTH_INTERNAL, "tls-rw", "wrong", &err),
                     AW_INVALID_CREDENTIAL);
    expect_msg(&err, "INVALID_CREDENTIAL");

    c = sec_client(AW_AUTH_EXTERNAL, "tls-rw", "rw-pass");
    expect_put_get(c, "external", true);
    aw_client_close(c);
    assert_int_equal(sec_connect(&c, AW_AUTH_PKI, NULL, NULL, &err), AW_INVALID_CREDENTIAL);
    expect_msg(&err, "INVALID_CREDENTIAL");

    /* aw and aw-bench with both flag sets. */
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:aw-node:%u", sec_port);
    const char *ca = cert_path(0, "ca.pem");
    tu_run run = tu_run_aw(NULL, (const char *const[]){"-h", host, "--tls-enable", "--tls-cafile", ca,
                                                       "-U", "tls-rw", "-Prw-pass", "put", "test",
                                                       "tls", "cli-login", "a=3", NULL});
    expect_status(run, 0);
    tu_run_free(&run);
    run = tu_run_aw(NULL, (const char *const[]){"-h", host, "--tls-enable", "--tls-cafile", ca,
                                                "-U", "tls-rw", "-Pwrong", "get", "test", "tls",
                                                "cli-login", NULL});
    expect_status(run, 4);
    expect_contains(run.err, "INVALID_CREDENTIAL");
    tu_run_free(&run);
    char bench[4096];
    const char *bin = getenv("AW_BIN");
    snprintf(bench, sizeof bench, "%s/aw-bench", bin && bin[0] ? bin : "build/bin");
    run = tu_run_prog(bench, NULL,
                      (const char *const[]){"-h", host, "--tls-enable", "--tls-cafile", ca, "-U",
                                            "tls-rw", "-Prw-pass", "-s", "tlslogin", "-k", "100",
                                            "-a", "-w", "RU,50", "--count", "200", "--json", NULL});
    expect_status(run, 0);
    expect_contains(run.out, "\"errors\": 0");
    tu_run_free(&run);
}

int main(void) {
    /* The client's paths, through either server. */
    const struct CMUnitTest both[] = {
        cmocka_unit_test(test_sync_commands),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_async_pipelined),
        cmocka_unit_test(test_record_tails),
        cmocka_unit_test(test_async_scan_paused),
        cmocka_unit_test(test_mutual_tls),
        cmocka_unit_test(test_bad_ca),
        cmocka_unit_test(test_wrong_tls_name),
        cmocka_unit_test(test_expired_certificate),
        cmocka_unit_test(test_blacklisted_certificate),
        cmocka_unit_test(test_wrong_port_kinds),
        cmocka_unit_test(test_tools_flags),
        cmocka_unit_test_setup_teardown(test_three_nodes, three_setup, three_teardown),
        cmocka_unit_test_setup_teardown(test_login_over_tls, sec_setup, sec_teardown),
    };
    /* The client's own refusals, and stunnel restarted under a running client. */
    const struct CMUnitTest stunnel_only[] = {
        cmocka_unit_test(test_config_refused),
        cmocka_unit_test_teardown(test_handshake_fails_later, later_teardown),
        cmocka_unit_test_teardown(test_metrics_and_warm_up, later_teardown),
    };
    if (tu_tls_make_certs(certs, sizeof certs) != 0)
        return 1;
    int failed = cmocka_run_group_tests_name("through stunnel", both, stunnel_setup, stunnel_teardown);
    failed += cmocka_run_group_tests_name("stunnel only", stunnel_only, stunnel_setup,
                                          stunnel_teardown);
    failed += cmocka_run_group_tests_name("aw-testd's own TLS", both, own_setup, own_teardown);
    const struct CMUnitTest own_only[] = {
        cmocka_unit_test_setup_teardown(test_pki_login, pki_setup, pki_teardown),
    };
    failed += cmocka_run_group_tests_name("aw-testd's own TLS only", own_only, NULL, NULL);
    tu_tls_remove_certs(certs);
    return failed || tu_testd_stop_failed;
}
