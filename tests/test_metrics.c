/*
 * Metrics, logs, tracing and the user agent, against aw-testd:
 *   - the latency histograms count exactly the commands issued, by type;
 *   - errors are counted by result code;
 *   - the Prometheus text parses back (a small parser here) to the same counts;
 *   - the trace hook's begin and end pair once per command, timeouts included;
 *   - the log callback hears node leave and join on a 3-node kill / revive;
 *   - aw-testd's `user-agents` reports the agent the client sent;
 *   - async, batch, scan and info commands land in their types' histograms,
 *     and the periodic export runs with a snapshot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <cmocka.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "aerowire/adapters/libevent.h"
#include "aerowire/aerowire.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

/* The test's server; stopped by the teardown too when a test fails early. */
static tu_testd srv;

static int stop_server(void **state) {
    if (srv.pid > 0)
        tu_testd_stop(&srv);
    return 0;
}

static aw_client *connect_to(const tu_testd *t, aw_config *cfg) {
    char hosts[64];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%u", t->ports[0]);
    cfg->hosts = hosts;
    aw_client *c = NULL;
    aw_error err;
    tu_check(aw_client_new(&c, cfg, &err), &err, "aw_client_new");
    return c;
}

static aw_config base_config(void) {
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.metrics_enabled = true;
    cfg.tend_interval_ms = 50;
    return cfg;
}

/* The value of the sample `name{labels...}` whose label text contains every
 * one of want (each like `type="read"`), summed over the matching lines. */
static double prom_sum(const char *text, const char *name, const char *want1, const char *want2) {
    double sum = 0;
    size_t nl = strlen(name);
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && (p[nl] == '{' || p[nl] == ' ')) {
            char line[512];
            snprintf(line, sizeof line, "%.*s", (int)len, p);
            char *sp = strrchr(line, ' ');
            assert_non_null(sp);
            *sp = '\0';
            if ((!want1 || strstr(line, want1)) && (!want2 || strstr(line, want2)))
                sum += strtod(sp + 1, NULL);
        }
        p += len + (end ? 1 : 0);
    }
    return sum;
}

static void test_counts_by_type_and_code(void **state) {
    assert_int_equal(tu_testd_start(&srv, NULL), 0);
    aw_config cfg = base_config();
    aw_client *c = connect_to(&srv, &cfg);
    aw_error err;
    aw_key k;
    aw_key_init_str(&k, "test", "metrics", "k1", NULL);
    aw_bin bin = {.name = "b", .value = aw_value_int(1)};
    for (int i = 0; i < 7; i++)
        tu_check(aw_put(c, NULL, &k, &bin, 1, &err), &err, "put");
    aw_record rec;
    for (int i = 0; i < 5; i++) {
        tu_check(aw_get(c, NULL, &k, NULL, 0, &rec, &err), &err, "get");
        aw_record_free(&rec);
    }
    aw_key missing;
    aw_key_init_str(&missing, "test", "metrics", "missing", NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(aw_delete(c, NULL, &missing, &err), AW_ERR_RECORD_NOT_FOUND);
    /* A client-side code: garbage replies, retried (twice, the read default) and failed. */
    tu_testd_fault(&srv, 0, "garbage=1");
    assert_int_equal(aw_exists(c, NULL, &k, &(bool){false}, &err), AW_ERR_PROTO);
    tu_testd_clear_fault(&srv, 0);

    aw_metrics *m = NULL;
    tu_check(aw_metrics_snapshot(c, &m, &err), &err, "snapshot");
    assert_true(m->enabled);
    assert_int_equal(m->total.latency[AW_MT_WRITE].count, 10);
    assert_int_equal(m->total.latency[AW_MT_READ].count, 6);
    assert_int_equal(m->total.latency[AW_MT_OPERATE].count, 0);
    assert_int_equal(m->total.errors[AW_ERR_RECORD_NOT_FOUND + AW_METRICS_ERR_BIAS], 3);
    assert_int_equal(m->total.errors[AW_ERR_PROTO + AW_METRICS_ERR_BIAS], 1);
    assert_int_equal(m->total.retries, 2);
    assert_int_equal(m->total.in_doubt, 0);
    assert_int_equal(m->n_nodes, 1);
    assert_int_equal(m->nodes[0].latency[AW_MT_READ].count, 6);
    assert_int_equal(m->nodes[0].phase[AW_MP_SEND].count, 18); /* 15 + 3 attempts */
    assert_true(m->nodes[0].bytes_sent > 0 && m->nodes[0].bytes_received > 0);
    assert_true(m->nodes[0].conns_opened >= 2); /* the tend's and a command's */
    assert_int_equal(m->nodes[0].conns_in_use, 0);
    /* Each garbage reply closed its connection; nothing else did. */
    assert_int_equal(m->nodes[0].conns_closed[AW_CLOSE_ERROR], 3);
    assert_int_equal(m->nodes[0].conns_open,
                     (int64_t)m->nodes[0].conns_opened - 3 - m->nodes[0].conns_closed[AW_CLOSE_IDLE]);

    /* The same figures through the Prometheus text. */
    size_t need = aw_metrics_prometheus(c, NULL, 0);
    char *text = malloc(need + 1);
    assert_int_equal(aw_metrics_prometheus(c, text, need + 1), need);
    assert_true(prom_sum(text, "aerowire_command_duration_seconds_count", "type=\"write\"", NULL) ==
                10);
    assert_true(prom_sum(text, "aerowire_command_duration_seconds_bucket", "type=\"read\"",
                         "le=\"+Inf\"") == 6);
    assert_true(prom_sum(text, "aerowire_command_errors_total", "code=\"-19\"", NULL) == 1);
    assert_true(prom_sum(text, "aerowire_retries_total", NULL, NULL) == 2);
    assert_true(prom_sum(text, "aerowire_command_errors_total", "code=\"2\"", NULL) == 3);
    assert_non_null(strstr(text, "# TYPE aerowire_command_duration_seconds histogram\n"));
    free(text);
    aw_metrics_free(m);
    aw_client_close(c);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

static void test_disabled_counts_nothing(void **state) {
    assert_int_equal(tu_testd_start(&srv, NULL), 0);
    aw_config cfg = base_config();
    cfg.metrics_enabled = false;
    aw_client *c = connect_to(&srv, &cfg);
    aw_error err;
    aw_key k;
    aw_key_init_str(&k, "test", "metrics", "k1", NULL);
    aw_bin bin = {.name = "b", .value = aw_value_int(1)};
    tu_check(aw_put(c, NULL, &k, &bin, 1, &err), &err, "put");
    aw_metrics *m = NULL;
    tu_check(aw_metrics_snapshot(c, &m, &err), &err, "snapshot");
    assert_false(m->enabled);
    assert_int_equal(m->total.latency[AW_MT_WRITE].count, 0);
    aw_metrics_free(m);
    aw_client_close(c);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

typedef struct trace_log {
    int begins, ends, timeouts;
    int open; /* begun, not ended */
} trace_log;

static void *on_begin(const aw_trace_info *ti, void *udata) {
    trace_log *t = udata;
    t->begins++;
    t->open++;
    return t;
}

static void on_end(void *span, const aw_trace_info *ti, void *udata) {
    trace_log *t = udata;
    assert_ptr_equal(span, t);
    t->ends++;
    t->open--;
    if (ti->status == AW_ERR_TIMEOUT)
        t->timeouts++;
    assert_true(ti->end_ns >= ti->start_ns);
    assert_string_equal(ti->ns, "test");
}

static void on_log_retry(aw_log_level level, const char *msg, void *udata) {
    if (strstr(msg, "retry"))
        (*(int *)udata)++;
}

static void test_trace_pairs_including_timeouts(void **state) {
    assert_int_equal(tu_testd_start(&srv, NULL), 0);
    trace_log t = {0};
    aw_trace_callbacks cbs = {.begin = on_begin, .end = on_end};
    aw_config cfg = base_config();
    cfg.trace = &cbs;
    cfg.trace_udata = &t;
    aw_client *c = connect_to(&srv, &cfg);
    aw_error err;
    aw_key k;
    aw_key_init_str(&k, "test", "metrics", "k2", NULL);
    aw_bin bin = {.name = "b", .value = aw_value_int(1)};
    tu_check(aw_put(c, NULL, &k, &bin, 1, &err), &err, "put");
    tu_testd_fault(&srv, 0, "delay=300");
    aw_policy p = aw_policy_read();
    p.total_timeout_ms = 100;
    p.socket_timeout_ms = 50;
    aw_record rec;
    int retries_logged = 0;
    aw_set_log_callback(AW_LOG_DEBUG, on_log_retry, &retries_logged);
    assert_int_equal(aw_get(c, &p, &k, NULL, 0, &rec, &err), AW_ERR_TIMEOUT);
    aw_set_log_callback(AW_LOG_DEBUG, NULL, NULL);
    aw_record_free(&rec);
    /* A write sent once that timed out is in doubt. */
    aw_policy wp = aw_policy_write();
    wp.total_timeout_ms = 100;
    assert_int_equal(aw_put(c, &wp, &k, &bin, 1, &err), AW_ERR_TIMEOUT);
    assert_true(err.in_doubt);
    tu_testd_clear_fault(&srv, 0);
    assert_true(retries_logged >= 1); /* socket timeout 50 ms, total 100: one retry at least */
    assert_int_equal(t.begins, 3);
    assert_int_equal(t.ends, 3);
    assert_int_equal(t.open, 0);
    assert_int_equal(t.timeouts, 2);
    aw_metrics *m = NULL;
    tu_check(aw_metrics_snapshot(c, &m, &err), &err, "snapshot");
    assert_true(m->total.timeouts >= 2);
    assert_int_equal(m->total.errors[AW_ERR_TIMEOUT + AW_METRICS_ERR_BIAS], 2);
    assert_int_equal(m->total.in_doubt, 1);
    aw_metrics_free(m);
    aw_client_close(c);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

/* Counts the log lines that mention user-agent-set. */
static void on_log_user_agent(aw_log_level level, const char *msg, void *udata) {
    (void)level;
    if (strstr(msg, "user-agent-set"))
        atomic_fetch_add((atomic_int *)udata, 1);
}

static void test_user_agent_reported(void **state) {
    assert_int_equal(tu_testd_start(&srv, NULL), 0);
    aw_config cfg = base_config();
    cfg.app_id = "metrics-test";
    static atomic_int ua_lines;
    atomic_store(&ua_lines, 0);
    aw_set_log_callback(AW_LOG_WARN, on_log_user_agent, &ua_lines);
    aw_client *c = connect_to(&srv, &cfg);
    /* The server's answer ("user-agent-set:value=B64\tok", named by the
     * whole command) is read as the success it is: the agent is not sent
     * again, nor is a refusal logged, on the rounds that follow. */
    assert_true(tu_wait_tends(c, 3, 5000));
    aw_set_log_callback(AW_LOG_WARN, NULL, NULL);
    assert_int_equal(atomic_load(&ua_lines), 0);
    char *ua = tu_info(srv.ports[0], "user-agents");
    assert_non_null(ua);
    /* base64("1,aerowire-" AEROWIRE_VERSION ",metrics-test"), by OpenSSL's encoder */
    char agent[64], expect[96];
    snprintf(agent, sizeof agent, "1,aerowire-%s,metrics-test", AEROWIRE_VERSION);
    EVP_EncodeBlock((unsigned char *)expect, (const unsigned char *)agent, (int)strlen(agent));
    char want[160];
    snprintf(want, sizeof want, "user-agent=%s:count=1;", expect);
    if (!strstr(ua, want))
        fail_msg("user-agents answered \"%s\", expected it to hold %s", ua, want);
    free(ua);
    aw_client_close(c);
    /* An app id that does not fit the server's 64 bytes is refused. */
    aw_config bad = base_config();
    bad.app_id = "a-very-long-application-identifier-that-goes-on-and-on";
    char hosts[64];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%u", srv.ports[0]);
    bad.hosts = hosts;
    aw_error err;
    assert_int_equal(aw_client_new(&c, &bad, &err), AW_ERR_PARAM);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

typedef struct log_seen {
    int joined, left;
} log_seen;

static void on_log(aw_log_level level, const char *msg, void *udata) {
    log_seen *s = udata;
    if (strstr(msg, "joined the cluster"))
        s->joined++;
    if (strstr(msg, "left the cluster"))
        s->left++;
}

typedef struct wait_arg {
    log_seen *seen;
    int joined, left;
} wait_arg;

static bool seen_enough(void *arg) {
    wait_arg *w = arg;
    aw_set_log_callback(AW_LOG_INFO, on_log, w->seen); /* a barrier for the counts */
    return w->seen->joined >= w->joined && w->seen->left >= w->left;
}

static void test_log_hears_leave_and_join(void **state) {
    const char *three[] = {"--nodes", "3", NULL};
    assert_int_equal(tu_testd_start(&srv, three), 0);
    log_seen seen = {0};
    aw_set_log_callback(AW_LOG_INFO, on_log, &seen);
    aw_config cfg = base_config();
    aw_client *c = connect_to(&srv, &cfg);
    wait_arg w = {&seen, 3, 0};
    tu_wait_for(seen_enough, &w, 5000, "3 nodes joining");
    tu_testd_ctl(&srv, 0, "testd-kill:node=1");
    w.left = 1;
    tu_wait_for(seen_enough, &w, 5000, "node 1 leaving");
    /* The killed node: out of the cluster, its connections all closed. */
    aw_metrics *m = NULL;
    aw_error err;
    tu_check(aw_metrics_snapshot(c, &m, &err), &err, "snapshot");
    assert_int_equal(m->n_nodes, 3);
    int down = 0;
    for (size_t i = 0; i < m->n_nodes; i++) {
        const aw_metrics_node *n = &m->nodes[i];
        uint64_t closed = 0;
        for (int r = 0; r < AW_CLOSE_COUNT; r++)
            closed += n->conns_closed[r];
        if (n->active)
            continue;
        down++;
        assert_int_equal(n->conns_open, 0);
        assert_int_equal(closed, n->conns_opened);
        assert_true(closed >= 1);
    }
    assert_int_equal(down, 1);
    assert_int_equal(m->nodes_removed, 1);
    aw_metrics_free(m);
    tu_testd_ctl(&srv, 0, "testd-revive:node=1");
    w.joined = 4;
    tu_wait_for(seen_enough, &w, 5000, "node 1 joining again");
    aw_set_log_callback(AW_LOG_INFO, NULL, NULL);
    tu_check(aw_metrics_snapshot(c, &m, &err), &err, "snapshot");
    assert_int_equal(m->n_nodes, 3); /* node 1 is back in its old block */
    for (size_t i = 0; i < m->n_nodes; i++)
        assert_true(m->nodes[i].active);
    aw_metrics_free(m);
    aw_client_close(c);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

typedef struct async_run {
    struct event_base *base;
    int pending, ok;
} async_run;

static void on_status(const aw_error *err, void *udata) {
    async_run *a = udata;
    a->ok += err == NULL;
    if (--a->pending == 0)
        event_base_loopbreak(a->base);
}

static void on_record(const aw_error *err, aw_record *rec, void *udata) {
    on_status(err, udata);
}

static void on_batch(const aw_error *err, void *udata) { on_status(err, udata); }

static aw_query_flow on_scan_record(const aw_key *key, aw_record *rec, void *udata) {
    return AW_QUERY_CONTINUE;
}

static bool count_record(const aw_key *key, aw_record *rec, void *udata) {
    (*(int *)udata)++;
    return true;
}

typedef struct export_seen {
    int calls;
    uint64_t writes;
} export_seen;

static void on_export(const aw_metrics *m, void *udata) {
    export_seen *e = udata;
    __atomic_add_fetch(&e->calls, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&e->writes, m->total.latency[AW_MT_WRITE].count, __ATOMIC_SEQ_CST);
}

static bool exported_write(void *arg) {
    export_seen *e = arg;
    return __atomic_load_n(&e->writes, __ATOMIC_SEQ_CST) == 4;
}

static void test_async_batch_scan_info_and_export(void **state) {
    assert_int_equal(tu_testd_start(&srv, NULL), 0);
    export_seen exp = {0};
    aw_config cfg = base_config();
    cfg.metrics_cb = on_export;
    cfg.metrics_udata = &exp;
    aw_client *c = connect_to(&srv, &cfg);
    aw_error err;
    aw_key keys[4];
    char name[16];
    aw_bin bin = {.name = "b", .value = aw_value_int(7)};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "a%d", i);
        aw_key_init_str(&keys[i], "test", "metrics", name, NULL);
    }

    /* Async: 4 puts, then 4 gets and 2 async batches, then a scan. */
    async_run a = {.base = event_base_new()};
    aw_loop *loop = NULL;
    tu_check(aw_libevent_attach(c, a.base, &loop, &err), &err, "attach");
    a.pending = 4;
    for (int i = 0; i < 4; i++)
        tu_check(aw_put_async(loop, NULL, &keys[i], &bin, 1, on_status, &a, &err), &err, "put");
    event_base_dispatch(a.base);
    assert_int_equal(a.ok, 4);
    aw_batch_result res[2][4];
    memset(res, 0, sizeof res);
    a.pending = 6;
    for (int i = 0; i < 4; i++)
        tu_check(aw_get_async(loop, NULL, &keys[i], NULL, 0, on_record, &a, &err), &err, "get");
    for (int b = 0; b < 2; b++)
        tu_check(aw_batch_get_async(loop, NULL, keys, 4, NULL, 0, false, res[b], on_batch, &a,
                                    &err),
                 &err, "batch async");
    event_base_dispatch(a.base);
    assert_int_equal(a.ok, 10);
    aw_batch_results_free(res[0], 4);
    aw_batch_results_free(res[1], 4);
    a.pending = 1;
    aw_query q = {.ns = "test", .set = "metrics"};
    tu_check(aw_query_foreach_async(loop, NULL, &q, NULL, on_scan_record, on_batch, &a, NULL, &err),
             &err, "scan async");
    event_base_dispatch(a.base);
    assert_int_equal(a.ok, 11);
    aw_loop_close(loop);
    event_base_free(a.base);

    /* Sync: 3 batches, 1 scan, 2 info requests. */
    for (int b = 0; b < 3; b++) {
        tu_check(aw_batch_get(c, NULL, keys, 4, NULL, 0, false, res[0], &err), &err, "batch");
        aw_batch_results_free(res[0], 4);
    }
    int records = 0;
    tu_check(aw_query_foreach(c, NULL, &q, NULL, count_record, &records, &err), &err, "scan");
    assert_int_equal(records, 4);
    for (int i = 0; i < 2; i++) {
        char *reply = NULL;
        tu_check(aw_info(c, NULL, "build", 0, &reply, &err), &err, "info");
        aw_free(reply);
    }

    aw_metrics *m = NULL;
    tu_check(aw_metrics_snapshot(c, &m, &err), &err, "snapshot");
    assert_int_equal(m->total.latency[AW_MT_WRITE].count, 4);
    assert_int_equal(m->total.latency[AW_MT_READ].count, 4);
    assert_int_equal(m->total.latency[AW_MT_BATCH].count, 5); /* one node: one request each */
    assert_int_equal(m->total.latency[AW_MT_QUERY].count, 2); /* one node: async + sync */
    assert_int_equal(m->total.latency[AW_MT_INFO].count, 2);
    aw_metrics_free(m);
    /* The export ran on the tend thread and saw the writes. */
    tu_wait_for(exported_write, &exp, 3000, "an export counting the 4 writes");
    aw_client_close(c);
    assert_true(exp.calls >= 1);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

/* Async: begin at submission, end at completion, also for commands that
 * time out and for those the loop's close completes. */
static void test_trace_async(void **state) {
    assert_int_equal(tu_testd_start(&srv, NULL), 0);
    trace_log t = {0};
    aw_trace_callbacks cbs = {.begin = on_begin, .end = on_end};
    aw_config cfg = base_config();
    cfg.trace = &cbs;
    cfg.trace_udata = &t;
    aw_client *c = connect_to(&srv, &cfg);
    aw_error err;
    aw_key k;
    aw_key_init_str(&k, "test", "metrics", "k3", NULL);
    async_run a = {.base = event_base_new()};
    aw_loop *loop = NULL;
    tu_check(aw_libevent_attach(c, a.base, &loop, &err), &err, "attach");
    tu_testd_fault(&srv, 0, "delay=300");
    aw_policy p = aw_policy_read();
    p.total_timeout_ms = 100;
    a.pending = 3;
    for (int i = 0; i < 3; i++)
        tu_check(aw_get_async(loop, &p, &k, NULL, 0, on_record, &a, &err), &err, "get");
    event_base_dispatch(a.base);
    assert_int_equal(t.timeouts, 3);
    /* Two more left in flight when the loop closes. */
    p.total_timeout_ms = 0;
    for (int i = 0; i < 2; i++)
        tu_check(aw_get_async(loop, &p, &k, NULL, 0, on_record, &a, &err), &err, "get");
    assert_int_equal(t.open, 2);
    aw_loop_close(loop);
    event_base_free(a.base);
    tu_testd_clear_fault(&srv, 0);
    assert_int_equal(t.begins, 5);
    assert_int_equal(t.ends, 5);
    assert_int_equal(t.open, 0);
    aw_client_close(c);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_counts_by_type_and_code, stop_server),
        cmocka_unit_test_teardown(test_disabled_counts_nothing, stop_server),
        cmocka_unit_test_teardown(test_trace_pairs_including_timeouts, stop_server),
        cmocka_unit_test_teardown(test_trace_async, stop_server),
        cmocka_unit_test_teardown(test_user_agent_reported, stop_server),
        cmocka_unit_test_teardown(test_log_hears_leave_and_join, stop_server),
        cmocka_unit_test_teardown(test_async_batch_scan_info_and_export, stop_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
