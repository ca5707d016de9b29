/*
 * The client object: seed-list parsing, configuration checks, connecting to
 * aw-testd (1 and 3 nodes), failing to connect, cluster-name checks, info
 * requests and the counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "client/client_impl.h"
#include "client/hosts.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

/* --- helpers ---------------------------------------------------------------- */

/* The server of the running test; the teardown stops it even after a failure. */
static tu_testd t;

static int stop_testd(void **state) {
    (void)state;
    int rc = t.pid > 0 ? tu_testd_stop(&t) : 0;
    memset(&t, 0, sizeof t);
    return rc == 0 ? 0 : -1;
}

/* A config for these seeds: short timers so the suite stays fast. */
static aw_config test_config(const char *hosts) {
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    cfg.tend_interval_ms = 50;
    cfg.connect_timeout_ms = 500;
    return cfg;
}

/* A loopback port nothing listens on (bound, then closed). */
static uint16_t dead_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* --- seed-list parsing ---------------------------------------------------------- */

static void expect_hosts(const char *s, size_t n, const char *const *names, const uint16_t *ports) {
    aw_host *h = NULL;
    size_t k = 0;
    aw_error err;
    int rc = aw_hosts_parse(s, 3000, &h, &k, &err);
    if (rc != AW_OK)
        fail_msg("'%s': %s", s, err.message);
    assert_int_equal(k, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(h[i].name, names[i]);
        assert_int_equal(h[i].port, ports[i]);
    }
    aw_free(h);
}

static void expect_bad_hosts(const char *s, int code);

static void test_hosts_good(void **state) {
    (void)state;
    expect_hosts("a", 1, (const char *[]){"a"}, (uint16_t[]){3000});
    expect_hosts("127.0.0.1:3100", 1, (const char *[]){"127.0.0.1"}, (uint16_t[]){3100});
    expect_hosts("a:1,b:65535,c", 3, (const char *[]){"a", "b", "c"},
                 (uint16_t[]){1, 65535, 3000});
    expect_hosts("  a , b:5 ", 2, (const char *[]){"a", "b"}, (uint16_t[]){3000, 5});
    expect_hosts("[::1]:3100", 1, (const char *[]){"::1"}, (uint16_t[]){3100});
    expect_hosts("[::1]", 1, (const char *[]){"::1"}, (uint16_t[]){3000});
    expect_hosts("::1", 1, (const char *[]){"::1"}, (uint16_t[]){3000});
    expect_hosts("[fe80::1:2]:7,host.example.com:8", 2,
                 (const char *[]){"fe80::1:2", "host.example.com"}, (uint16_t[]){7, 8});
}

/* The official clients' TLS form: host:tls-name:port, [addr]:tls-name:port. */
static void expect_tls_host(const char *s, const char *name, const char *tls_name,
                            uint16_t port) {
    aw_host *h = NULL;
    size_t k = 0;
    aw_error err;
    if (aw_hosts_parse(s, 3000, &h, &k, &err) != AW_OK)
        fail_msg("'%s': %s", s, err.message);
    assert_int_equal(k, 1);
    assert_string_equal(h[0].name, name);
    assert_string_equal(h[0].tls_name, tls_name);
    assert_int_equal(h[0].port, port);
    aw_free(h);
}

static void test_hosts_tls_name(void **state) {
    (void)state;
    expect_tls_host("10.0.0.1:node-a.example.com:4333", "10.0.0.1", "node-a.example.com", 4333);
    expect_tls_host("[fe80::1]:node-a:4333", "fe80::1", "node-a", 4333);
    expect_tls_host("db.example.com:4333", "db.example.com", "", 4333);
    /* Two ':' around a "::" are an IPv6 address, not a TLS name. */
    expect_tls_host("a::3000", "a::3000", "", 3000);
    expect_tls_host("::1", "::1", "", 3000);
    expect_bad_hosts("a:b:", AW_ERR_INVALID_HOST);
    expect_bad_hosts("a:b:x", AW_ERR_INVALID_HOST);
    expect_bad_hosts("[::1]::3000", AW_ERR_INVALID_HOST); /* empty TLS name */
}

static void expect_bad_hosts(const char *s, int code) {
    aw_host *h = (aw_host *)0x1;
    size_t k = 77;
    aw_error err;
    int rc = aw_hosts_parse(s, 3000, &h, &k, &err);
    if (rc != code)
        fail_msg("'%s': got %d (%s), want %d", s ? s : "(null)", rc, err.message, code);
    assert_int_equal(err.code, code);
    assert_true(err.message[0] != '\0');
    assert_ptr_equal(h, (aw_host *)0x1); /* untouched */
    assert_int_equal(k, 77);
}

static void test_hosts_bad(void **state) {
    (void)state;
    const char *bad[] = {"", " ", "a,", ",a", "a,,b", "a:", "a:0", "a:65536", "a:12x", "a:-1",
                         "a: 1", "[::1", "[::1]x", "[::1]:", "[]:3000", ":3000", "a]:1", "[a]b]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_bad_hosts(bad[i], AW_ERR_INVALID_HOST);
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    expect_bad_hosts(longname, AW_ERR_INVALID_HOST);
    expect_bad_hosts(NULL, AW_ERR_PARAM);

    aw_error err;
    aw_host *h;
    size_t k;
    assert_int_equal(aw_hosts_parse("a:99999", 3000, &h, &k, &err), AW_ERR_INVALID_HOST);
    assert_non_null(strstr(err.message, "a:99999")); /* names the entry */
}

/* --- aw_client_new argument and configuration checks ---------------------------- */

static void test_new_bad_args(void **state) {
    (void)state;
    aw_config cfg = test_config("127.0.0.1:1");
    aw_client *c = (aw_client *)0x1;
    aw_error err;
    assert_int_equal(aw_client_new(NULL, &cfg, &err), AW_ERR_PARAM);
    assert_int_equal(aw_client_new(&c, NULL, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "cfg"));
    assert_int_equal(aw_client_new(&c, NULL, NULL), AW_ERR_PARAM); /* NULL err is fine */
    cfg.hosts = NULL;
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "hosts"));
    cfg.hosts = "";
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_ERR_INVALID_HOST);
    cfg.hosts = "127.0.0.1:70000";
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_ERR_INVALID_HOST);
    assert_non_null(strstr(err.message, "70000"));
    cfg.hosts = "127.0.0.1:3000";
    cfg.read_policy.replica = (aw_replica_policy)9;
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "replica"));
    cfg.read_policy = aw_policy_read();
    cfg.write_policy.exists = (aw_exists_policy)42;
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_ERR_PARAM);
    assert_ptr_equal(c, (aw_client *)0x1); /* *out set only on success */
}

static void test_close_null(void **state) {
    (void)state;
    aw_client_close(NULL);
    aw_client_stats st;
    aw_client_get_stats(NULL, &st);
    assert_int_equal(st.commands, 0);
    assert_int_equal(aw_client_nodes(NULL, NULL, 0), 0);
}

static void test_dead_port(void **state) {
    (void)state;
    char hosts[64];
    uint16_t port = dead_port();
    snprintf(hosts, sizeof hosts, "127.0.0.1:%u", port);
    aw_config cfg = test_config(hosts);
    aw_client *c = NULL;
    aw_error err;
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_ERR_CONNECTION);
    assert_null(c);
    char want[32];
    snprintf(want, sizeof want, "%u", port);
    if (!strstr(err.message, want))
        fail_msg("message does not name the seed: %s", err.message);
}

static void test_unresolvable_host(void **state) {
    (void)state;
    aw_config cfg = test_config("no-such-host.invalid:3000");
    aw_client *c = NULL;
    aw_error err;
    int rc = aw_client_new(&c, &cfg, &err);
    assert_true(rc == AW_ERR_INVALID_HOST || rc == AW_ERR_CONNECTION);
    assert_non_null(strstr(err.message, "no-such-host.invalid"));
}

/* Not connected yet is fine when asked; commands then fail quickly. */
static void test_not_connected_allowed(void **state) {
    (void)state;
    char hosts[64];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%u", dead_port());
    aw_config cfg = test_config(hosts);
    cfg.fail_if_not_connected = false;
    aw_client *c = tu_client_new(&cfg);
    aw_error err;
    assert_int_equal(aw_client_nodes(c, NULL, 0), 0);
    aw_key key;
    aw_key_init_str(&key, "test", "s", "k", NULL);
    aw_record rec;
    aw_policy p = aw_policy_read();
    p.total_timeout_ms = 200;
    p.sleep_between_retries_ms = 10;
    uint64_t t0 = aw_now_ms();
    int rc = aw_get(c, &p, &key, NULL, 0, &rec, &err);
    assert_true(aw_now_ms() - t0 < 1000);
    assert_int_equal(rc, AW_ERR_INVALID_NODE);
    aw_record_free(&rec);
    char *reply = NULL;
    assert_int_equal(aw_info(c, NULL, "node", 100, &reply, &err), AW_ERR_INVALID_NODE);
    assert_null(reply);
    aw_client_close(c);
}

/* --- against a live aw-testd --------------------------------------------------------- */

static void test_one_node(void **state) {
    (void)state;
    assert_int_equal(tu_testd_start(&t, NULL), 0);
    aw_config cfg = test_config(tu_testd_hosts(&t));
    aw_client *c = tu_client_new(&cfg);
    aw_error err;
    char ids[4][20];
    assert_int_equal(aw_client_nodes(c, ids, 4), 1);
    assert_true(strlen(ids[0]) > 0);

    /* info: by id, by address, any node; an unknown node. */
    char *reply = NULL;
    if (aw_info(c, ids[0], "node", 1000, &reply, &err) != AW_OK)
        fail_msg("%s", err.message);
    char want[64];
    snprintf(want, sizeof want, "node\t%s\n", ids[0]);
    assert_string_equal(reply, want);
    aw_free(reply);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", t.ports[0]);
    assert_int_equal(aw_info(c, addr, "node", 1000, &reply, &err), AW_OK);
    assert_string_equal(reply, want);
    aw_free(reply);
    assert_int_equal(aw_info(c, NULL, "namespaces\nbuild", 0, &reply, &err), AW_OK);
    assert_non_null(strstr(reply, "namespaces\ttest"));
    assert_non_null(strstr(reply, "build\t"));
    aw_free(reply);
    reply = (char *)0x1;
    assert_int_equal(aw_info(c, "BADBADBAD", "node", 1000, &reply, &err), AW_ERR_INVALID_NODE);
    assert_non_null(strstr(err.message, "BADBADBAD"));
    assert_null(reply);
    assert_int_equal(aw_info(c, NULL, NULL, 1000, &reply, &err), AW_ERR_PARAM);
    assert_int_equal(aw_info(NULL, NULL, "node", 1000, &reply, &err), AW_ERR_PARAM);

    /* Counters: a few commands, a few tends. */
    aw_key key;
    aw_key_init_str(&key, "test", "s", "stats", NULL);
    aw_bin bin = {"i", aw_value_int(1)};
    for (int i = 0; i < 5; i++)
        assert_int_equal(aw_put(c, NULL, &key, &bin, 1, &err), AW_OK);
    bool ex;
    assert_int_equal(aw_exists(c, NULL, &key, &ex, &err), AW_OK);
    tu_sleep_ms(120);
    aw_client_stats st;
    aw_client_get_stats(c, &st);
    assert_int_equal(st.commands, 6);
    assert_int_equal(st.retries, 0);
    assert_int_equal(st.timeouts, 0);
    assert_true(st.conns_opened >= 1);
    assert_true(st.tends >= 2);
    assert_true(st.map_updates >= 1);
    assert_int_equal(st.nodes_added, 1);
    assert_int_equal(st.nodes_removed, 0);
    aw_client_close(c);
}

typedef struct info_seen {
    int calls;
    int ok;
    char ids[3][20];
} info_seen;

static void on_info(const char *node, int status, const char *reply, void *udata) {
    info_seen *s = udata;
    if (s->calls < 3)
        snprintf(s->ids[s->calls], 20, "%s", node);
    s->calls++;
    char want[64];
    snprintf(want, sizeof want, "node\t%s\n", node);
    if (status == AW_OK && reply && strcmp(reply, want) == 0)
        s->ok++;
}

static void test_three_nodes(void **state) {
    (void)state;
    const char *args[] = {"--nodes", "3", NULL};
    assert_int_equal(tu_testd_start(&t, args), 0);
    /* One seed is enough: the others come from its peers list. */
    char hosts[64];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%u", t.ports[1]);
    aw_config cfg = test_config(hosts);
    aw_client *c = tu_client_new(&cfg);
    assert_int_equal(tu_wait_nodes(c, 3, 2000), 3);
    char ids[3][20];
    assert_int_equal(aw_client_nodes(c, ids, 2), 3); /* the count, even past cap */

    info_seen seen = {0};
    aw_error err;
    if (aw_info_all(c, "node", 1000, on_info, &seen, &err) != AW_OK)
        fail_msg("%s", err.message);
    assert_int_equal(seen.calls, 3);
    assert_int_equal(seen.ok, 3);
    assert_string_not_equal(seen.ids[0], seen.ids[1]);
    assert_string_not_equal(seen.ids[1], seen.ids[2]);
    assert_int_equal(aw_info_all(c, "node", 1000, NULL, NULL, &err), AW_ERR_PARAM);

    aw_client_stats st;
    aw_client_get_stats(c, &st);
    assert_int_equal(st.nodes_added, 3);
    aw_client_close(c);
}

static void test_cluster_name(void **state) {
    (void)state;
    const char *args[] = {"--cluster-name", "alpha", NULL};
    assert_int_equal(tu_testd_start(&t, args), 0);
    aw_config cfg = test_config(tu_testd_hosts(&t));
    aw_client *c = NULL;
    aw_error err;
    cfg.cluster_name = "beta";
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_ERR_CLUSTER);
    assert_null(c);
    assert_non_null(strstr(err.message, "beta"));
    cfg.cluster_name = "alpha";
    c = tu_client_new(&cfg);
    assert_int_equal(aw_client_nodes(c, NULL, 0), 1);
    aw_client_close(c);
}

/* Zero sizes and periods in a hand-built config mean the defaults. */
static void test_zero_config_defaults(void **state) {
    (void)state;
    assert_int_equal(tu_testd_start(&t, NULL), 0);
    const char *hosts = tu_testd_hosts(&t);
    aw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.hosts = hosts;
    cfg.read_policy = aw_policy_read();
    cfg.write_policy = aw_policy_write();
    aw_client *c = tu_client_new(&cfg);
    assert_int_equal(c->cfg.connect_timeout_ms, 1000);
    assert_int_equal(c->cfg.tend_interval_ms, 1000);
    assert_int_equal(c->cfg.max_conns_per_node, 100);
    assert_int_equal(c->cfg.pipeline_depth, 16);
    assert_int_equal(c->cfg.idle_timeout_ms, 55000);
    assert_int_equal(c->cfg.max_error_rate, 0); /* 0 = never back off, as documented */
    /* The strings were copied. */
    assert_ptr_not_equal(c->cfg.hosts, hosts);
    assert_string_equal(c->cfg.hosts, hosts);
    aw_client_close(c);
}

/* Every allocation from the Nth on fails: aw_client_new fails cleanly (no
 * leak, no crash, *out untouched) until N is past what it needs. */
static void test_new_out_of_memory(void **state) {
    (void)state;
    assert_int_equal(tu_testd_start(&t, NULL), 0);
    aw_config cfg = test_config(tu_testd_hosts(&t));
    long n;
    int unexplained = 0;
    for (n = 1; n < 1000; n++) {
        aw_client *c = (aw_client *)0x1;
        aw_error err;
        aw_error_reset(&err);
        tu_failalloc_on(n);
        int rc = aw_client_new(&c, &cfg, &err);
        long used = tu_failalloc_count();
        if (rc == AW_OK)
            aw_client_close(c);
        tu_failalloc_off();
        if (rc == AW_OK && used < n)
            break; /* it needed fewer than n allocations: every point was tried */
        if (rc != AW_OK) {
            assert_ptr_equal(c, (aw_client *)0x1);
            if (err.code != rc || err.message[0] == '\0') {
                fprintf(stderr, "allocation %ld failed: returned %s, err says %s '%s'\n", n,
                        aw_status_name(rc), aw_status_name(err.code), err.message);
                unexplained++;
            }
        }
    }
    assert_true(n < 1000);
    assert_int_equal(unexplained, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts_good),
        cmocka_unit_test(test_hosts_bad),
        cmocka_unit_test(test_hosts_tls_name),
        cmocka_unit_test(test_new_bad_args),
        cmocka_unit_test(test_close_null),
        cmocka_unit_test(test_dead_port),
        cmocka_unit_test(test_unresolvable_host),
        cmocka_unit_test(test_not_connected_allowed),
        cmocka_unit_test_teardown(test_one_node, stop_testd),
        cmocka_unit_test_teardown(test_three_nodes, stop_testd),
        cmocka_unit_test_teardown(test_cluster_name, stop_testd),
        cmocka_unit_test_teardown(test_zero_config_defaults, stop_testd),
        cmocka_unit_test_teardown(test_new_out_of_memory, stop_testd),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
