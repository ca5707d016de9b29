/*
 * The tracing hook (aw_config.trace) spans every command an application
 * issues, against aw-testd:
 *   - each command family, sync and async (batches and their columnar
 *     forms, scans and queries with theirs, background jobs, info, index
 *     admin, truncate, job status), gives exactly one begin and one end,
 *     with its name, type, namespace, status and counts (keys, records,
 *     failed rows, node requests, the node asked); calls built on other
 *     calls (index admin on info, aw_scan_into on aw_query_into) are one
 *     span, not several; a call refused for its arguments is not traced;
 *   - an async call's span ends before its callback runs;
 *   - failures end once with their code: unknown namespace, total timeouts
 *     (aw-testd's delay fault), a paused async scan aborted, and async
 *     batches and scans the client's close completes (aw-testd holding
 *     the replies); begins equal ends at close.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "aerowire/aerowire.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

#define NS "test"
#define SET "trace"
#define NODES 3

static tu_testd srv;

static int stop_server(void **state) {
    (void)state;
    if (srv.pid > 0)
        tu_testd_stop(&srv);
    return 0;
}

/* --- the recording tracer ----------------------------------------------------- */

typedef struct span_rec {
    aw_trace_info begin;        /* as begin saw it (strings copied below) */
    aw_trace_info end;
    char command[32], ns[32], set[64], node[20];
    int ends;
} span_rec;

typedef struct tracer {
    span_rec spans[64];
    int begins, ends;
} tracer;

static tracer tr;

static void *on_begin(const aw_trace_info *ti, void *udata) {
    tracer *t = udata;
    assert_true(t->begins < 64);
    span_rec *s = &t->spans[t->begins++];
    memset(s, 0, sizeof *s);
    s->begin = *ti;
    snprintf(s->command, sizeof s->command, "%s", ti->command);
    snprintf(s->ns, sizeof s->ns, "%s", ti->ns ? ti->ns : "");
    snprintf(s->set, sizeof s->set, "%s", ti->set ? ti->set : "");
    return s;
}

static void on_end(void *span, const aw_trace_info *ti, void *udata) {
    tracer *t = udata;
    span_rec *s = span;
    assert_true(s >= t->spans && s < t->spans + t->begins);
    s->ends++;
    t->ends++;
    s->end = *ti;
    snprintf(s->node, sizeof s->node, "%s", ti->node);
    /* What begin saw stays true at the end. */
    assert_string_equal(ti->command, s->command);
    assert_int_equal(ti->type, s->begin.type);
    assert_int_equal(ti->start_ns, s->begin.start_ns);
    assert_int_equal(ti->n_keys, s->begin.n_keys);
    assert_true(ti->end_ns >= ti->start_ns);
}

static const aw_trace_callbacks HOOKS = {.begin = on_begin, .end = on_end};

/* The one span named `command`: begun and ended exactly once. */
static span_rec *span_of(const char *command) {
    span_rec *found = NULL;
    for (int i = 0; i < tr.begins; i++) {
        if (strcmp(tr.spans[i].command, command) != 0)
            continue;
        if (found)
            fail_msg("two spans named %s", command);
        found = &tr.spans[i];
    }
    if (!found)
        fail_msg("no span named %s", command);
    assert_int_equal(found->ends, 1);
    return found;
}

static void expect_span(const char *command, aw_metrics_type type, bool async, int status,
                        const char *ns) {
    span_rec *s = span_of(command);
    assert_int_equal(s->begin.type, type);
    assert_int_equal(s->begin.async, async);
    assert_int_equal(s->end.status, status);
    assert_string_equal(s->ns, ns);
}

static aw_client *traced_client(int nodes) {
    aw_config cfg = tu_client_config(&srv, 50);
    cfg.trace = &HOOKS;
    cfg.trace_udata = &tr;
    aw_client *c = tu_client_new(&cfg);
    assert_int_equal(tu_wait_nodes(c, (size_t)nodes, 5000), nodes);
    return c;
}

/* A traced client of a new aw-testd of `nodes` nodes, and keys[0..n)
 * spread over the nodes' masters, the first `stored` of them stored with
 * v = i; the tracer counts from after those puts (one span each). */
static aw_client *traced_with_keys(int nodes, aw_key *keys, int n, int stored) {
    int rc = nodes == 1 ? tu_testd_start(&srv, NULL) : tu_testd_start_nodes(&srv, nodes, NULL);
    assert_int_equal(rc, 0);
    memset(&tr, 0, sizeof tr);
    aw_client *c = traced_client(nodes);
    aw_error err;
    for (int i = 0; i < n; i++) {
        keys[i] = tu_key_on(NS, SET, i % nodes, nodes, i / nodes, "tk");
        aw_bin b = {.name = "v", .value = aw_value_int(i)};
        if (i < stored)
            tu_check(aw_put(c, NULL, &keys[i], &b, 1, &err), &err, "put");
    }
    assert_int_equal(tr.begins, stored);
    assert_int_equal(tr.ends, stored);
    memset(&tr, 0, sizeof tr);
    return c;
}

static aw_dtype *v_dtype(void) {
    aw_dtype *dt = NULL;
    aw_error err;
    tu_check(aw_dtype_parse("[('v','<i8')]", false, &dt, &err), &err, "dtype");
    return dt;
}

static bool count_record(const aw_key *key, aw_record *rec, void *udata) {
    (void)key;
    (void)rec;
    (*(int *)udata)++;
    return true;
}

static bool take_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    (void)buf;
    *(size_t *)udata += n;
    return true;
}

/* --- sync: one span per call, with its counts ---------------------------------- */

static void sync_batches(aw_client *c, const aw_key keys[6], const aw_dtype *dt) {
    aw_error err;
    aw_batch_result res[6];
    tu_check(aw_batch_get(c, NULL, keys, 6, NULL, 0, false, res, &err), &err, "batch get");
    aw_batch_results_free(res, 6);
    expect_span("batch_get", AW_MT_BATCH, false, AW_OK, NS);
    span_rec *s = span_of("batch_get");
    assert_string_equal(s->set, SET);
    assert_int_equal(s->begin.n_keys, 6);
    assert_int_equal(s->end.n_records, 5); /* the sixth is not found: not a failure */
    assert_int_equal(s->end.n_failed, 0);
    assert_int_equal(s->end.n_requests, NODES);
    assert_int_equal(s->end.attempts, 1);
    assert_true(s->node[0] != '\0');

    bool exists[6];
    tu_check(aw_batch_exists(c, NULL, keys, 6, exists, NULL, &err), &err, "batch exists");
    expect_span("batch_exists", AW_MT_BATCH, false, AW_OK, NS);
    assert_int_equal(span_of("batch_exists")->end.n_records, 5);

    /* A row in a namespace no node serves fails alone: the call is AW_OK. */
    aw_key nowhere = tu_key("nope", SET, "x");
    aw_batch_op ops[2] = {{.kind = AW_BATCH_OP_READ, .key = &keys[0]},
                          {.kind = AW_BATCH_OP_READ, .key = &nowhere}};
    tu_check(aw_batch_operate(c, NULL, ops, 2, res, &err), &err, "batch operate");
    assert_int_equal(res[1].code, AW_ERR_NAMESPACE_NOT_FOUND);
    aw_batch_results_free(res, 2);
    s = span_of("batch_operate");
    assert_int_equal(s->end.status, AW_OK);
    assert_int_equal(s->begin.n_keys, 2);
    assert_int_equal(s->end.n_records, 1);
    assert_int_equal(s->end.n_failed, 1);
    assert_int_equal(s->end.n_requests, 1);

    int64_t v[6];
    int32_t codes[6];
    tu_check(aw_batch_read_into(c, NULL, keys, 6, NULL, 0, dt, v, sizeof v, NULL, codes, &err),
             &err, "read into");
    expect_span("batch_read_into", AW_MT_BATCH, false, AW_OK, NS);
    assert_int_equal(span_of("batch_read_into")->end.n_records, 5);

    aw_dtype *wdt = NULL;
    tu_check(aw_dtype_parse("[('_key','<i8'),('w','<i8')]", false, &wdt, &err), &err, "dtype");
    int64_t rows[3][2] = {{1, 10}, {2, 20}, {3, 30}};
    tu_check(aw_batch_write_from(c, NULL, rows, sizeof rows, 3, wdt, NS, "trace_w", "_key", codes,
                                 NULL, NULL, &err),
             &err, "write from");
    aw_dtype_free(wdt);
    s = span_of("batch_write_from");
    assert_string_equal(s->set, "trace_w");
    assert_int_equal(s->begin.n_keys, 3);
    assert_int_equal(s->end.n_records, 3);

    /* Refused for its arguments: no span. */
    int before = tr.begins;
    assert_int_equal(aw_batch_get(c, NULL, NULL, 3, NULL, 0, false, res, &err), AW_ERR_PARAM);
    assert_int_equal(tr.begins, before);
}

static void sync_scans(aw_client *c, const aw_dtype *dt) {
    aw_error err;
    aw_query q = {.ns = NS, .set = SET};
    int records = 0;
    tu_check(aw_query_foreach(c, NULL, &q, NULL, count_record, &records, &err), &err, "scan");
    assert_int_equal(records, 5);
    expect_span("query_foreach", AW_MT_QUERY, false, AW_OK, NS);
    span_rec *s = span_of("query_foreach");
    assert_string_equal(s->set, SET);
    assert_int_equal(s->end.n_records, 5);
    assert_int_equal(s->end.n_requests, NODES);
    assert_int_equal(s->end.attempts, 1);

    int64_t v[4];
    size_t got = 0;
    aw_rows_buffer buf = {v, 4, NULL, NULL};
    tu_check(aw_scan_into(c, NULL, NS, SET, NULL, dt, &buf, take_chunk, &got, &err), &err,
             "scan into");
    assert_int_equal(got, 5);
    expect_span("scan_into", AW_MT_QUERY, false, AW_OK, NS);
    assert_int_equal(span_of("scan_into")->end.n_records, 5);
    got = 0;
    tu_check(aw_query_into(c, NULL, &q, NULL, dt, &buf, take_chunk, &got, &err), &err,
             "query into");
    expect_span("query_into", AW_MT_QUERY, false, AW_OK, NS);

    char path[64];
    snprintf(path, sizeof path, "/tmp/aw_test_trace_%d.npy", (int)getpid());
    uint64_t n_rows = 0;
    tu_check(aw_query_to_npy(c, NULL, &q, NULL, dt, path, 2, &n_rows, &err), &err, "to npy");
    unlink(path);
    expect_span("query_to_npy", AW_MT_QUERY, false, AW_OK, NS);
    assert_int_equal(span_of("query_to_npy")->end.n_records, 5);

    /* A namespace no node serves: the call's own code. */
    aw_query nope = {.ns = "nope"};
    assert_int_equal(aw_query_foreach(c, NULL, &nope, NULL, count_record, &records, &err),
                     AW_ERR_NAMESPACE_NOT_FOUND);
    int before = tr.begins;
    assert_string_equal(tr.spans[before - 1].command, "query_foreach");
    assert_int_equal(tr.spans[before - 1].end.status, AW_ERR_NAMESPACE_NOT_FOUND);
    assert_int_equal(tr.spans[before - 1].ends, 1);
    assert_int_equal(aw_query_foreach(c, NULL, &q, NULL, NULL, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(tr.begins, before);
}

static void sync_jobs_and_info(aw_client *c) {
    aw_error err;
    aw_query q = {.ns = NS, .set = "trace_w"};
    aw_op op = aw_op_write("bg", aw_value_int(1));
    q.ops = &op;
    q.n_ops = 1;
    uint64_t job = 0;
    tu_check(aw_query_background(c, NULL, NULL, &q, &job, &err), &err, "background");
    expect_span("query_background", AW_MT_QUERY, false, AW_OK, NS);
    assert_int_equal(span_of("query_background")->end.n_requests, NODES);
    tu_check(aw_job_wait(c, job, 20, 5000, &err), &err, "job wait");
    expect_span("job_wait", AW_MT_INFO, false, AW_OK, "");
    assert_true(span_of("job_wait")->end.n_requests >= NODES);
    aw_job_info ji;
    tu_check(aw_job_status(c, job, &ji, &err), &err, "job status");
    expect_span("job_status", AW_MT_INFO, false, AW_OK, "");
    assert_int_equal(span_of("job_status")->end.n_requests, NODES);

    char *reply = NULL;
    tu_check(aw_info(c, NULL, "build", 0, &reply, &err), &err, "info");
    aw_free(reply);
    expect_span("info", AW_MT_INFO, false, AW_OK, "");
    assert_int_equal(span_of("info")->end.n_requests, 1);
    assert_true(span_of("info")->node[0] != '\0');
    aw_namespace_name *names = NULL;
    size_t n = 0;
    tu_check(aw_namespaces(c, &names, &n, &err), &err, "namespaces");
    aw_free(names);
    assert_int_equal(span_of("namespaces")->end.n_requests, NODES);
    aw_set_info *sets = NULL;
    assert_int_equal(aw_sets(c, "nope", &sets, &n, &err), AW_ERR_NAMESPACE_NOT_FOUND);
    expect_span("sets", AW_MT_INFO, false, AW_ERR_NAMESPACE_NOT_FOUND, "nope");

    aw_index_spec spec = {.ns = NS, .set = SET, .name = "trace_v", .bin = "v",
                          .type = AW_INDEX_NUMERIC};
    tu_check(aw_index_create(c, &spec, 0, &err), &err, "index create");
    expect_span("index_create", AW_MT_INFO, false, AW_OK, NS);
    assert_int_equal(span_of("index_create")->end.n_requests, 1);
    tu_check(aw_index_wait(c, NS, "trace_v", 20, 5000, &err), &err, "index wait");
    expect_span("index_wait", AW_MT_INFO, false, AW_OK, NS);
    aw_index_info *idx = NULL;
    tu_check(aw_index_list(c, NS, &idx, &n, &err), &err, "index list");
    aw_free(idx);
    expect_span("index_list", AW_MT_INFO, false, AW_OK, NS);
    tu_check(aw_index_drop(c, NS, "trace_v", 0, &err), &err, "index drop");
    expect_span("index_drop", AW_MT_INFO, false, AW_OK, NS);
    tu_check(aw_truncate(c, NS, "trace_w", 0, 0, &err), &err, "truncate");
    expect_span("truncate", AW_MT_INFO, false, AW_OK, NS);
    assert_string_equal(span_of("truncate")->set, "trace_w");
}

static void test_sync_calls_one_span_each(void **state) {
    (void)state;
    aw_key keys[6];
    aw_client *c = traced_with_keys(NODES, keys, 6, 5);
    aw_dtype *dt = v_dtype();
    sync_batches(c, keys, dt);
    sync_scans(c, dt);
    sync_jobs_and_info(c);
    aw_dtype_free(dt);
    /* 5 batches, 5 scans (one failed), 3 jobs, 3 info, 4 index, 1
     * truncate: nothing traced twice (index admin over info, job_wait over
     * job_status, scan_into over query_into). */
    assert_int_equal(tr.begins, 21);
    assert_int_equal(tr.ends, tr.begins);
    aw_client_close(c);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

/* --- async: the same spans, ended before the callback ------------------------------ */

typedef struct async_ctx {
    const char *command;        /* the span whose end must precede the callback */
    int *pending;
    int status;
} async_ctx;

static void check_ended(async_ctx *a, const aw_error *err) {
    span_rec *s = span_of(a->command); /* ended exactly once, already */
    a->status = err ? err->code : AW_OK;
    assert_int_equal(s->end.status, a->status);
    assert_true(s->begin.async);
    (*a->pending)--;
}

static void on_batch_done(const aw_error *err, void *udata) { check_ended(udata, err); }

static aw_query_flow on_record(const aw_key *key, aw_record *rec, void *udata) {
    (void)key;
    (void)rec;
    (void)udata;
    return AW_QUERY_CONTINUE;
}

static aw_query_flow on_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    (void)buf;
    (void)n;
    (void)udata;
    return AW_QUERY_CONTINUE;
}

static void test_async_calls_one_span_each(void **state) {
    (void)state;
    aw_key keys[6];
    aw_client *c = traced_with_keys(NODES, keys, 6, 5);
    aw_dtype *dt = v_dtype();
    struct event_base *base = NULL;
    aw_loop *loop = NULL;
    assert_int_equal(tu_libevent_open(c, &base, &loop), 0);
    aw_error err;
    int pending = 8;
    async_ctx a[8] = {{"batch_get", &pending, -1},       {"batch_exists", &pending, -1},
                      {"batch_operate", &pending, -1},   {"batch_read_into", &pending, -1},
                      {"batch_write_from", &pending, -1}, {"query_foreach", &pending, -1},
                      {"query_into", &pending, -1},      {"scan_into", &pending, -1}};
    aw_batch_result res[6], ores[1];
    bool exists[6];
    int64_t v[6], w1[4], w2[4], rows[2][2] = {{7, 70}, {8, 80}};
    aw_batch_op op = {.kind = AW_BATCH_OP_READ, .key = &keys[4]};
    aw_dtype *wdt = NULL;
    tu_check(aw_dtype_parse("[('_key','<i8'),('w','<i8')]", false, &wdt, &err), &err, "dtype");
    tu_check(aw_batch_get_async(loop, NULL, keys, 6, NULL, 0, false, res, on_batch_done, &a[0],
                                &err),
             &err, "batch get");
    tu_check(aw_batch_exists_async(loop, NULL, keys, 6, exists, NULL, on_batch_done, &a[1], &err),
             &err, "batch exists");
    tu_check(aw_batch_operate_async(loop, NULL, &op, 1, ores, on_batch_done, &a[2], &err), &err,
             "batch operate");
    tu_check(aw_batch_read_into_async(loop, NULL, keys, 4, NULL, 0, dt, v, sizeof v, NULL, NULL,
                                      on_batch_done, &a[3], &err),
             &err, "read into");
    tu_check(aw_batch_write_from_async(loop, NULL, rows, sizeof rows, 2, wdt, NS, "trace_w", "_key",
                                       NULL, NULL, NULL, on_batch_done, &a[4], &err),
             &err, "write from");
    aw_query q = {.ns = NS, .set = SET};
    tu_check(aw_query_foreach_async(loop, NULL, &q, NULL, on_record, on_batch_done, &a[5], NULL,
                                    &err),
             &err, "scan");
    aw_rows_buffer b1 = {w1, 4, NULL, NULL}, b2 = {w2, 4, NULL, NULL};
    tu_check(aw_query_into_async(loop, NULL, &q, NULL, dt, &b1, on_chunk, on_batch_done, &a[6],
                                 NULL, &err),
             &err, "query into");
    tu_check(aw_scan_into_async(loop, NULL, NS, SET, NULL, dt, &b2, on_chunk, on_batch_done, &a[7],
                                NULL, &err),
             &err, "scan into");
    assert_int_equal(tr.begins, 8); /* begun at the call */
    assert_int_equal(tr.ends, 0);   /* ended from the loop, never inside it */
    tu_run_until(base, &pending, 5000);
    for (int i = 0; i < 8; i++)
        assert_int_equal(a[i].status, AW_OK);
    aw_batch_results_free(res, 6);
    aw_batch_results_free(ores, 1);
    span_rec *s = span_of("batch_get");
    assert_int_equal(s->begin.n_keys, 6);
    assert_int_equal(s->end.n_records, 5);
    assert_int_equal(s->end.n_requests, NODES);
    assert_int_equal(span_of("batch_read_into")->end.n_records, 4);
    assert_int_equal(span_of("batch_write_from")->begin.n_keys, 2);
    assert_int_equal(span_of("batch_operate")->end.n_requests, 1);
    s = span_of("query_foreach");
    assert_int_equal(s->begin.type, AW_MT_QUERY);
    assert_string_equal(s->set, SET);
    assert_int_equal(s->end.n_requests, NODES);
    assert_int_equal(span_of("scan_into")->end.n_records, 5);
    assert_string_equal(span_of("scan_into")->set, SET);
    assert_int_equal(tr.ends, tr.begins);
    aw_dtype_free(wdt);
    aw_dtype_free(dt);
    tu_libevent_close(&c, &base, &loop);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

/* --- failures: each ends once, with its code --------------------------------------- */

static void test_timeouts_end_with_their_code(void **state) {
    (void)state;
    aw_key keys[3];
    aw_client *c = traced_with_keys(1, keys, 3, 3);
    aw_error err;
    tu_testd_fault(&srv, 0, "delay=400");

    /* A batch whose rows all time out still returns AW_OK: its rows say. */
    aw_batch_policy bp = aw_batch_policy_default();
    bp.base.total_timeout_ms = 100;
    aw_batch_result res[3];
    tu_check(aw_batch_get(c, &bp, keys, 3, NULL, 0, false, res, &err), &err, "batch");
    assert_int_equal(res[0].code, AW_ERR_TIMEOUT);
    aw_batch_results_free(res, 3);
    span_rec *s = span_of("batch_get");
    assert_int_equal(s->end.status, AW_OK);
    assert_int_equal(s->end.n_records, 0);
    assert_int_equal(s->end.n_failed, 3);

    aw_query_policy qp = aw_query_policy_default();
    qp.base.total_timeout_ms = 100;
    aw_query q = {.ns = NS, .set = SET};
    int records = 0;
    assert_int_equal(aw_query_foreach(c, &qp, &q, NULL, count_record, &records, &err),
                     AW_ERR_TIMEOUT);
    expect_span("query_foreach", AW_MT_QUERY, false, AW_ERR_TIMEOUT, NS);

    char *reply = NULL;
    int rc = aw_info(c, NULL, "build", 100, &reply, &err);
    assert_int_not_equal(rc, AW_OK);
    expect_span("info", AW_MT_INFO, false, rc, "");

    /* Async: the scan's total timeout. */
    struct event_base *base = NULL;
    aw_loop *loop = NULL;
    assert_int_equal(tu_libevent_open(c, &base, &loop), 0);
    int pending = 2;
    async_ctx a[2] = {{"query_into", &pending, -1}, {"batch_exists", &pending, -1}};
    aw_dtype *dt = v_dtype();
    int64_t v[4];
    aw_rows_buffer buf = {v, 4, NULL, NULL};
    tu_check(aw_query_into_async(loop, &qp, &q, NULL, dt, &buf, on_chunk, on_batch_done, &a[0],
                                 NULL, &err),
             &err, "query into");
    bool exists[3];
    tu_check(aw_batch_exists_async(loop, &bp, keys, 3, exists, NULL, on_batch_done, &a[1], &err),
             &err, "batch exists");
    tu_run_until(base, &pending, 5000);
    assert_int_equal(a[0].status, AW_ERR_TIMEOUT);
    assert_int_equal(span_of("batch_exists")->end.n_failed, 3);
    tu_testd_clear_fault(&srv, 0);
    aw_dtype_free(dt);
    assert_int_equal(tr.ends, tr.begins);
    tu_libevent_close(&c, &base, &loop);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

typedef struct pause_ctx {
    int records;
    int pending;                /* 1 until paused, then 1 until done */
    int status;
} pause_ctx;

static aw_query_flow pause_first(const aw_key *key, aw_record *rec, void *udata) {
    (void)key;
    (void)rec;
    pause_ctx *p = udata;
    p->records++;
    p->pending--;
    return AW_QUERY_PAUSE;
}

static void pause_done(const aw_error *err, void *udata) {
    pause_ctx *p = udata;
    span_of("query_foreach"); /* ended before this callback */
    p->status = err ? err->code : AW_OK;
    p->pending--;
}

static void on_closing(const aw_error *err, void *udata) {
    int *n = udata;
    assert_non_null(err);
    assert_int_equal(err->code, AW_ERR_CLIENT_CLOSING);
    (*n)++;
}

static void test_abort_and_close_end_once(void **state) {
    (void)state;
    aw_key keys[3];
    aw_client *c = traced_with_keys(1, keys, 3, 3);
    aw_error err;
    struct event_base *base = NULL;
    aw_loop *loop = NULL;
    assert_int_equal(tu_libevent_open(c, &base, &loop), 0);

    /* Paused after its first record, then aborted: one end, CLIENT_ABORT. */
    pause_ctx p = {.pending = 1, .status = -1};
    aw_query q = {.ns = NS, .set = SET};
    aw_query_handle *h = NULL;
    tu_check(aw_query_foreach_async(loop, NULL, &q, NULL, pause_first, pause_done, &p, &h, &err),
             &err, "scan");
    tu_run_until(base, &p.pending, 5000);
    assert_true(aw_query_paused(h));
    assert_int_equal(tr.ends, 0);
    p.pending = 1;
    aw_query_abort(h);
    tu_run_until(base, &p.pending, 5000);
    assert_int_equal(p.status, AW_ERR_CLIENT_ABORT);
    span_rec *s = span_of("query_foreach");
    assert_int_equal(s->end.status, AW_ERR_CLIENT_ABORT);
    assert_int_equal(s->end.n_records, 1);

    /* The server holds every reply: the client's close completes an async
     * batch and two async scans in flight. */
    tu_testd_fault(&srv, 0, "hold=1");
    memset(&tr, 0, sizeof tr);
    int closed = 0;
    aw_batch_result res[3];
    tu_check(aw_batch_get_async(loop, NULL, keys, 3, NULL, 0, false, res, on_closing, &closed,
                                &err),
             &err, "batch");
    tu_check(aw_query_foreach_async(loop, NULL, &q, NULL, on_record, on_closing, &closed, NULL,
                                    &err),
             &err, "scan");
    aw_dtype *dt = v_dtype();
    int64_t v[4];
    aw_rows_buffer buf = {v, 4, NULL, NULL};
    tu_check(aw_scan_into_async(loop, NULL, NS, SET, NULL, dt, &buf, on_chunk, on_closing,
                                &closed, NULL, &err),
             &err, "scan into");
    /* Let the requests go out (the held replies never come). */
    for (int i = 0; i < 20; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(tr.begins, 3);
    assert_int_equal(tr.ends, 0);
    aw_client_close(c);
    c = NULL;
    assert_int_equal(closed, 3);
    assert_int_equal(tr.ends, 3);
    expect_span("batch_get", AW_MT_BATCH, true, AW_ERR_CLIENT_CLOSING, NS);
    expect_span("query_foreach", AW_MT_QUERY, true, AW_ERR_CLIENT_CLOSING, NS);
    expect_span("scan_into", AW_MT_QUERY, true, AW_ERR_CLIENT_CLOSING, NS);
    aw_batch_results_free(res, 3);
    aw_dtype_free(dt);
    event_base_free(base);
    tu_testd_clear_fault(&srv, 0);
    assert_int_equal(tu_testd_stop(&srv), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sync_calls_one_span_each, stop_server),
        cmocka_unit_test_teardown(test_async_calls_one_span_each, stop_server),
        cmocka_unit_test_teardown(test_timeouts_end_with_their_code, stop_server),
        cmocka_unit_test_teardown(test_abort_and_close_end_once, stop_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
