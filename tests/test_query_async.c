/*
 * The async scan/query API (aw_query_foreach_async, aw_scan_into_async) on
 * libevent against aw-testd of 1 and 3 nodes: every record once (checked by
 * content), cursor pages, back-pressure (a consumer that pauses: the client
 * reads not one byte while paused), abort from inside the callback and from
 * outside (connections mid-stream are closed, never pooled; the cursor
 * resumes), the loop closed mid-scan (done once, CLIENT_CLOSING), a node
 * killed mid-scan (its unfinished partitions go to their replicas: nothing
 * lost, nothing twice), the total timeout, and the caller's errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "aerowire/adapters/libevent.h"
#include "aerowire/aerowire.h"
#include "aerowire/numpy.h"
#include "aerowire/query.h"
#include "client/loop.h"
#include "support/client_fixture.h"
#include "support/count_alloc.h"
#include "support/testd_proc.h"

#define N_RECS 6000
#define PAD 2000 /* bytes per record: ~12 MB in all, more than socket buffers hold */
static const char *NS = "test";
static char SET[32] = "qasync";
static const char *real_hosts; /* the second run: a real server */
static aw_query scan_q;        /* the set's scan: lives as long as the runs */

static tu_testd srv;
static int n_nodes;
static aw_client *client;
static struct event_base *base;
static aw_loop *loop;

/* --- the data ------------------------------------------------------------------ */

static uint8_t pad_byte(int i, int j) { return (uint8_t)(i * 131 + j * 7); }

static int load(void) {
    aw_policy p = aw_policy_write();
    p.send_key = true;
    static uint8_t pad[PAD];
    for (int i = 0; i < N_RECS; i++) {
        char name[32];
        snprintf(name, sizeof name, "k%d", i);
        aw_key k;
        if (aw_key_init_str(&k, NS, SET, name, NULL) != AW_OK)
            return -1;
        for (int j = 0; j < PAD; j++)
            pad[j] = pad_byte(i, j);
        aw_bin bins[2] = {{"i", aw_value_int(i)}, {"pad", aw_value_blob(pad, PAD)}};
        aw_error err;
        if (aw_put(client, &p, &k, bins, 2, &err) != AW_OK) {
            fprintf(stderr, "put: %s\n", err.message);
            return -1;
        }
    }
    return 0;
}

/* A client config for the server under test. */
static aw_config suite_config(void) {
    if (!real_hosts)
        return tu_client_config(&srv, 100);
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = real_hosts;
    return cfg;
}

static int setup(int nodes) {
    n_nodes = nodes;
    scan_q = (aw_query){.ns = NS, .set = SET};
    if (!real_hosts && tu_testd_start_nodes(&srv, nodes, NULL) != 0)
        return -1;
    aw_config cfg = suite_config();
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    if (!real_hosts && tu_wait_nodes(client, (size_t)nodes, 3000) != (size_t)nodes)
        return -1;
    if (tu_libevent_open(client, &base, &loop) != 0)
        return -1;
    return load();
}

static int setup1(void **state) { return setup(1); }
static int setup3(void **state) { return setup(3); }

static int teardown(void **state) {
    if (real_hosts)
        aw_truncate(client, NS, SET, 0, 0, NULL); /* our own set only */
    tu_libevent_close(&client, &base, &loop);
    return real_hosts ? 0 : tu_testd_stop_group(&srv);
}

/* --- what a run saw ------------------------------------------------------------ */

typedef struct run {
    uint8_t seen[N_RECS];
    int records;
    int done_calls;
    int done_code;
    char done_msg[AW_ERROR_MSG_SIZE];
    bool in_submit;         /* done must not come inside the submitting call */
    int after_end;          /* records delivered after the run was told to stop */
    bool stopped;
    /* what the callback does */
    int pause_every;        /* pause after every this many records (0: never) */
    int stop_at;            /* return STOP at this record (0: never) */
    int abort_at;           /* call aw_query_abort at this record, then CONTINUE */
    int close_at;           /* close the loop (or client) at this record */
    aw_loop *close_loop;
    aw_client *close_client;
    aw_query_handle *h;
    /* pauses */
    int pauses;
    bool paused;
    uint64_t bytes_at_pause;
    int records_at_pause;
    int read_while_paused;  /* pauses during which the loop read bytes */
    void (*on_pause)(struct run *r);
} run;

static void check_record(run *r, const aw_key *key, aw_record *rec) {
    assert_int_equal(key->user_key.type, AW_STR);
    int i = atoi(key->user_key.u.str + 1);
    assert_true(i >= 0 && i < N_RECS);
    const aw_value *iv = aw_record_get(rec, "i");
    const aw_value *pv = aw_record_get(rec, "pad");
    assert_non_null(iv);
    assert_non_null(pv);
    assert_int_equal(iv->u.i, i);
    assert_int_equal(pv->len, PAD);
    for (int j = 0; j < PAD; j += 97)
        assert_int_equal(pv->u.bytes[j], pad_byte(i, j));
    r->seen[i]++;
}

static aw_query_flow on_record(const aw_key *key, aw_record *rec, void *udata) {
    run *r = udata;
    if (r->stopped || r->paused)
        r->after_end++;
    check_record(r, key, rec);
    r->records++;
    if (r->records == r->close_at) {
        if (r->close_client)
            aw_client_close(r->close_client);
        else
            aw_loop_close(r->close_loop);
        r->stopped = true;
    }
    if (r->records == r->abort_at) {
        aw_query_abort(r->h);
        r->stopped = true;
    }
    if (r->records == r->stop_at) {
        r->stopped = true;
        return AW_QUERY_STOP;
    }
    if (r->pause_every && r->records % r->pause_every == 0) {
        r->paused = true;
        r->pauses++;
        r->records_at_pause = r->records;
        r->bytes_at_pause = loop->bytes_in;
        if (r->on_pause)
            r->on_pause(r);
        return AW_QUERY_PAUSE;
    }
    return AW_QUERY_CONTINUE;
}

static void on_done(const aw_error *err, void *udata) {
    run *r = udata;
    assert_false(r->in_submit);
    r->done_calls++;
    r->done_code = err ? err->code : AW_OK;
    if (err)
        snprintf(r->done_msg, sizeof r->done_msg, "%s", err->message);
}

/* Starts a run of the set over cursor ps. */
static void start(run *r, const aw_query_policy *p, aw_partition_status *ps) {
    aw_error err;
    r->in_submit = true;
    r->done_calls = 0;
    r->stopped = false;
    int rc = aw_query_foreach_async(loop, p, &scan_q, ps, on_record, on_done, r, &r->h, &err);
    r->in_submit = false;
    tu_check(rc, &err, "aw_query_foreach_async");
}

/* Runs the base until the run's done came (fails after ms). */
static void wait_done(run *r, int ms) {
    uint64_t end = tu_now_ms() + (uint64_t)ms;
    while (r->done_calls == 0 && tu_now_ms() < end)
        event_base_loop(base, EVLOOP_ONCE);
    if (r->done_calls == 0)
        fail_msg("no done after %d ms (%d records)", ms, r->records);
}

/* Every record exactly once. */
static void expect_all_once(const run *r) {
    for (int i = 0; i < N_RECS; i++)
        if (r->seen[i] != 1)
            fail_msg("record %d seen %d times", i, r->seen[i]);
    assert_int_equal(r->records, N_RECS);
}

static aw_partition_status *new_cursor(void) {
    aw_partition_filter all = aw_partition_filter_all();
    aw_partition_status *ps;
    assert_int_equal(aw_partition_status_new(&all, &ps, NULL), AW_OK);
    return ps;
}

/* --- tests ------------------------------------------------------------------------ */

static void test_every_record_once(void **state) {
    run *r = calloc(1, sizeof *r);
    start(r, NULL, NULL);
    assert_int_equal(r->done_calls, 0);
    wait_done(r, 10000);
    if (r->done_code != AW_OK)
        fail_msg("done: %s", r->done_msg);
    expect_all_once(r);
    /* done exactly once: nothing more comes */
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(r->done_calls, 1);
    free(r);
}

/* Pages of max_records over one cursor, one node at a time too. */
static void test_cursor_pages(void **state) {
    run *r = calloc(1, sizeof *r);
    aw_partition_status *ps = new_cursor();
    aw_query_policy p = aw_query_policy_default();
    p.max_records = 1000;
    p.max_concurrent_nodes = 1;
    int pages = 0;
    while (!aw_partition_status_done(ps)) {
        int before = r->records;
        start(r, &p, ps);
        wait_done(r, 10000);
        if (r->done_code != AW_OK)
            fail_msg("page %d: %s", pages, r->done_msg);
        assert_true(r->records - before <= 1000);
        assert_true(++pages <= N_RECS / 1000 + 3);
    }
    expect_all_once(r);
    assert_true(pages >= N_RECS / 1000);
    aw_partition_status_free(ps);
    free(r);
}

/* Back-pressure: while paused, not a byte is read from any socket and no
 * record is delivered (a timer resumes after 30 ms), and memory stays far
 * below the set's size (every allocation counted). */
static void resume_cb(evutil_socket_t fd, short what, void *arg) {
    run *r = arg;
    assert_true(aw_query_paused(r->h));
    if (loop->bytes_in != r->bytes_at_pause)
        r->read_while_paused++;
    assert_int_equal(r->records, r->records_at_pause);
    r->paused = false;
    aw_query_resume(r->h);
    assert_int_equal(r->records, r->records_at_pause); /* no record inside resume */
}

static void resume_later(run *r) {
    struct timeval tv = {0, 30000};
    event_base_once(base, -1, EV_TIMEOUT, resume_cb, r, &tv);
}

static void test_pause_resume(void **state) {
    run *r = calloc(1, sizeof *r);
    r->pause_every = 700;
    r->on_pause = resume_later;
    long long before = tu_count_alloc_live();
    tu_count_alloc_peak_reset();
    start(r, NULL, NULL);
    wait_done(r, 20000);
    long long peak = tu_count_alloc_peak() - before;
    if (r->done_code != AW_OK)
        fail_msg("done: %s", r->done_msg);
    expect_all_once(r);
    assert_int_equal(r->pauses, N_RECS / 700);
    /* A slow consumer costs the read buffers (about a reply frame per node),
     * not the set: 12 MB of records, a few MB held at most. */
    if (peak > 4 * 1024 * 1024)
        fail_msg("peak %lld bytes held for a %d-byte set", peak, N_RECS * PAD);
    assert_int_equal(r->read_while_paused, 0);
    assert_int_equal(r->after_end, 0);
    free(r);
}

/* The columnar path pauses per chunk the same way. */
typedef struct rows_run {
    int64_t rows[256];
    aw_rows_buffer buf;
    uint8_t seen[N_RECS];
    int n, chunks, done_calls, done_code;
    bool paused;
    uint64_t bytes_at_pause;
    int read_while_paused, delivered_while_paused;
    aw_query_handle *h;
} rows_run;

static void rows_resume_cb(evutil_socket_t fd, short what, void *arg) {
    rows_run *rr = arg;
    if (loop->bytes_in != rr->bytes_at_pause)
        rr->read_while_paused++;
    rr->paused = false;
    aw_query_resume(rr->h);
}

static aw_query_flow on_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    rows_run *rr = udata;
    if (rr->paused)
        rr->delivered_while_paused++;
    const int64_t *v = buf->rows;
    for (size_t k = 0; k < n; k++) {
        assert_true(v[k] >= 0 && v[k] < N_RECS);
        rr->seen[v[k]]++;
    }
    rr->n += (int)n;
    /* the last, partial chunk comes right before done: its answer is moot */
    if (++rr->chunks % 4 || n < buf->capacity)
        return AW_QUERY_CONTINUE;
    rr->paused = true;
    rr->bytes_at_pause = loop->bytes_in;
    struct timeval tv = {0, 20000};
    event_base_once(base, -1, EV_TIMEOUT, rows_resume_cb, rr, &tv);
    return AW_QUERY_PAUSE;
}

static void on_rows_done(const aw_error *err, void *udata) {
    rows_run *rr = udata;
    rr->done_calls++;
    rr->done_code = err ? err->code : AW_OK;
}

static void test_scan_into_async_pauses(void **state) {
    rows_run *rr = calloc(1, sizeof *rr);
    aw_dtype *dt;
    aw_error err;
    tu_check(aw_dtype_parse("[('i','<i8')]", false, &dt, &err), &err, "dtype");
    rr->buf = (aw_rows_buffer){.rows = rr->rows, .capacity = 256};
    tu_check(aw_scan_into_async(loop, NULL, NS, SET, NULL, dt, &rr->buf, on_chunk,
                                on_rows_done, rr, &rr->h, &err),
             &err, "aw_scan_into_async");
    aw_dtype_free(dt); /* compiled: may go */
    uint64_t end = tu_now_ms() + 20000;
    while (rr->done_calls == 0 && tu_now_ms() < end)
        event_base_loop(base, EVLOOP_ONCE);
    assert_int_equal(rr->done_calls, 1);
    assert_int_equal(rr->done_code, AW_OK);
    assert_int_equal(rr->n, N_RECS);
    for (int i = 0; i < N_RECS; i++)
        assert_int_equal(rr->seen[i], 1);
    assert_true(rr->chunks >= N_RECS / 256);
    assert_int_equal(rr->read_while_paused, 0);
    assert_int_equal(rr->delivered_while_paused, 0);
    free(rr);
}

/* STOP from the callback, aw_query_abort from inside it and from a timer
 * while paused: done once with CLIENT_ABORT, no record after, the streams'
 * connections closed (not pooled), and the cursor resumes the rest. */
static void abort_later_cb(evutil_socket_t fd, short what, void *arg) {
    run *r = arg;
    r->stopped = true;
    aw_query_abort(r->h);
    assert_int_equal(r->done_calls, 0); /* done comes from the loop */
    aw_query_abort(r->h);               /* a second abort changes nothing */
}

static void abort_later(run *r) {
    if (r->pauses == 2) {
        struct timeval tv = {0, 10000};
        event_base_once(base, -1, EV_TIMEOUT, abort_later_cb, r, &tv);
    } else {
        resume_later(r);
    }
}

static void stop_then_resume(int how) {
    run *r = calloc(1, sizeof *r);
    aw_partition_status *ps = new_cursor();
    aw_client_stats s0 = tu_stats(client);
    if (how == 0) {
        r->stop_at = 1500;
    } else if (how == 1) {
        r->abort_at = 1500;
    } else {
        r->pause_every = 800;
        r->on_pause = abort_later;
    }
    start(r, NULL, ps);
    wait_done(r, 10000);
    assert_int_equal(r->done_code, AW_ERR_CLIENT_ABORT);
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(r->done_calls, 1);
    assert_int_equal(r->after_end, 0);
    assert_int_equal(r->records, how == 2 ? 1600 : 1500);
    assert_false(aw_partition_status_done(ps));
    /* Every stream was cut mid-way: its connection closed. */
    assert_true(tu_stats(client).conns_closed - s0.conns_closed >= 1);
    /* The rest, from the cursor, on the same loop's pool. */
    r->stop_at = r->abort_at = r->pause_every = 0;
    start(r, NULL, ps);
    wait_done(r, 10000);
    if (r->done_code != AW_OK)
        fail_msg("resumed run: %s", r->done_msg);
    expect_all_once(r);
    assert_true(aw_partition_status_done(ps));
    aw_partition_status_free(ps);
    free(r);
}

static void test_stop_from_callback(void **state) { stop_then_resume(0); }
static void test_abort_inside_callback(void **state) { stop_then_resume(1); }
static void test_abort_from_outside(void **state) { stop_then_resume(2); }

/* The loop closed mid-scan (from inside the record callback, and while
 * paused): done once with CLIENT_CLOSING, no record after. */
static void close_mid_scan(bool while_paused) {
    run *r = calloc(1, sizeof *r);
    struct event_base *b2 = event_base_new();
    aw_loop *l2;
    aw_error err;
    tu_check(aw_libevent_attach(client, b2, &l2, &err), &err, "attach");
    if (while_paused)
        r->pause_every = 1000;
    else
        r->close_at = 1000;
    r->close_loop = l2;
    r->in_submit = true;
    tu_check(aw_query_foreach_async(l2, NULL, &scan_q, NULL, on_record, on_done, r, &r->h, &err), &err,
             "aw_query_foreach_async");
    r->in_submit = false;
    uint64_t end = tu_now_ms() + 10000;
    while (r->done_calls == 0 && !r->paused && tu_now_ms() < end)
        event_base_loop(b2, EVLOOP_ONCE);
    if (while_paused) {
        assert_true(r->paused);
        assert_int_equal(r->done_calls, 0);
        aw_loop_close(l2); /* outside any callback: done comes inside it */
    }
    assert_int_equal(r->done_calls, 1);
    assert_int_equal(r->done_code, AW_ERR_CLIENT_CLOSING);
    assert_int_equal(r->records, 1000);
    assert_int_equal(r->after_end, 0);
    event_base_loop(b2, EVLOOP_NONBLOCK);
    assert_int_equal(r->done_calls, 1);
    event_base_free(b2);
    free(r);
}

static void test_loop_close_in_callback(void **state) { close_mid_scan(false); }

/* The client closed from the record callback: the same, done once with
 * CLIENT_CLOSING, no record after. */
static void test_client_close_in_callback(void **state) {
    run *r = calloc(1, sizeof *r);
    aw_config cfg = suite_config();
    aw_client *c2 = tu_client_new(&cfg);
    struct event_base *b2 = event_base_new();
    aw_loop *l2;
    aw_error err;
    tu_check(aw_libevent_attach(c2, b2, &l2, &err), &err, "attach");
    r->close_at = 1000;
    r->close_client = c2;
    tu_check(aw_query_foreach_async(l2, NULL, &scan_q, NULL, on_record, on_done, r, &r->h, &err),
             &err, "aw_query_foreach_async");
    uint64_t end = tu_now_ms() + 10000;
    while (r->done_calls == 0 && tu_now_ms() < end)
        event_base_loop(b2, EVLOOP_ONCE);
    assert_int_equal(r->done_calls, 1);
    assert_int_equal(r->done_code, AW_ERR_CLIENT_CLOSING);
    assert_int_equal(r->records, 1000);
    assert_int_equal(r->after_end, 0);
    event_base_free(b2);
    free(r);
}
static void test_loop_close_while_paused(void **state) { close_mid_scan(true); }

/* A node killed mid-scan (3 nodes): node 1 holds its replies (hold=1),
 * the other nodes stream, the consumer pauses, node 1 is killed (its held
 * replies dropped, its connections closed) and delivery resumes: node 1's
 * partitions are asked of their replicas in the next round, every record
 * once. */
static void kill_then_resume_cb(evutil_socket_t fd, short what, void *arg) {
    run *r = arg;
    tu_testd_ctl(&srv, 0, "testd-kill:node=1");
    r->paused = false;
    aw_query_resume(r->h);
}

static void kill_on_first_pause(run *r) {
    struct timeval tv = {0, r->pauses == 1 ? 10000 : 1000};
    event_base_once(base, -1, EV_TIMEOUT, r->pauses == 1 ? kill_then_resume_cb : resume_cb, r,
                    &tv);
}

/* Runs a scan of the set with node 1's fault `fault` set: every record
 * once, and at least one round more than the first. */
static void expect_retried_all_once(const char *fault, int pause_every,
                                    void (*on_pause)(run *r)) {
    run *r = calloc(1, sizeof *r);
    tu_testd_fault(&srv, 1, fault);
    aw_client_stats s0 = tu_stats(client);
    aw_query_policy p = aw_query_policy_default();
    p.base.sleep_between_retries_ms = 50;
    r->pause_every = pause_every;
    r->on_pause = on_pause;
    start(r, &p, NULL);
    wait_done(r, 20000);
    if (r->done_code != AW_OK)
        fail_msg("done: %s", r->done_msg);
    expect_all_once(r);
    /* node 1's stream was cut: a second round asked its partitions again */
    assert_true(tu_stats(client).retries - s0.retries >= 1);
    free(r);
}

static void test_node_killed_mid_scan(void **state) {
    expect_retried_all_once("hold=1", 300, kill_on_first_pause);
}

/* A node that drops its connection after 1 MB of its stream: the records
 * it delivered stay delivered, its partitions resume after them on their
 * replicas. */
static void test_node_drops_mid_stream(void **state) {
    expect_retried_all_once("drop-after=1000000", 0, NULL);
}

static int revive(void **state) {
    free(tu_testd_send(&srv, 0, "testd-revive:node=1"));
    tu_testd_clear_faults(&srv);
    return tu_wait_nodes(client, 3, 5000) == 3 ? 0 : -1;
}

/* The total timeout, with a node that never answers. */
static void test_total_timeout(void **state) {
    run *r = calloc(1, sizeof *r);
    tu_testd_fault(&srv, 2, "blackhole=1");
    aw_query_policy p = aw_query_policy_default();
    p.base.total_timeout_ms = 300;
    p.base.socket_timeout_ms = 0;
    uint64_t t0 = tu_now_ms();
    start(r, &p, NULL);
    wait_done(r, 5000);
    uint64_t took = tu_now_ms() - t0;
    assert_int_equal(r->done_code, AW_ERR_TIMEOUT);
    assert_true(took >= 300 && took < 3000);
    free(r);
}

/* Socket timeouts: the silent node's partitions go to their replicas. */
static void test_socket_timeout_retried(void **state) {
    run *r = calloc(1, sizeof *r);
    tu_testd_fault(&srv, 2, "blackhole=1");
    aw_query_policy p = aw_query_policy_default();
    p.base.socket_timeout_ms = 200;
    start(r, &p, NULL);
    wait_done(r, 10000);
    if (r->done_code != AW_OK)
        fail_msg("done: %s", r->done_msg);
    expect_all_once(r);
    free(r);
}

static void test_caller_errors(void **state) {
    const aw_query q = scan_q;
    aw_query bad = {.ns = NS, .set = "a-set-name-that-is-far-far-far-too-long-for-the-server-to-take-0123456789"};
    run *r = calloc(1, sizeof *r);
    aw_error err;
    assert_int_equal(aw_query_foreach_async(NULL, NULL, &q, NULL, on_record, on_done, r, NULL, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_query_foreach_async(loop, NULL, NULL, NULL, on_record, on_done, r, NULL, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_query_foreach_async(loop, NULL, &q, NULL, NULL, on_done, r, NULL, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_query_foreach_async(loop, NULL, &q, NULL, on_record, NULL, r, NULL, &err),
                     AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "done"));
    assert_int_equal(aw_query_foreach_async(loop, NULL, &bad, NULL, on_record, on_done, r, NULL, &err),
                     AW_ERR_BAD_NAME);
    aw_query_policy p = aw_query_policy_default();
    p.expected_duration = (aw_query_duration)9;
    assert_int_equal(aw_query_foreach_async(loop, &p, &q, NULL, on_record, on_done, r, NULL, &err),
                     AW_ERR_PARAM);
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(r->done_calls, 0);
    free(r);
}

int main(void) {
    tu_count_alloc_install();
    const struct CMUnitTest one[] = {
        cmocka_unit_test(test_caller_errors),
        cmocka_unit_test(test_every_record_once),
        cmocka_unit_test(test_cursor_pages),
        cmocka_unit_test(test_pause_resume),
        cmocka_unit_test(test_scan_into_async_pauses),
        cmocka_unit_test(test_stop_from_callback),
        cmocka_unit_test(test_abort_inside_callback),
        cmocka_unit_test(test_abort_from_outside),
        cmocka_unit_test(test_loop_close_in_callback),
        cmocka_unit_test(test_loop_close_while_paused),
        cmocka_unit_test(test_client_close_in_callback),
    };
    const struct CMUnitTest three[] = {
        cmocka_unit_test(test_every_record_once),
        cmocka_unit_test(test_cursor_pages),
        cmocka_unit_test(test_pause_resume),
        cmocka_unit_test(test_abort_from_outside),
        cmocka_unit_test_teardown(test_node_drops_mid_stream, revive),
        cmocka_unit_test_teardown(test_node_killed_mid_scan, revive),
        cmocka_unit_test_teardown(test_total_timeout, revive),
        cmocka_unit_test_teardown(test_socket_timeout_retried, revive),
    };
    int failed = cmocka_run_group_tests_name("one node", one, setup1, teardown);
    failed += cmocka_run_group_tests_name("three nodes", three, setup3, teardown);
    real_hosts = getenv("AEROSPIKE_HOSTS");
    if (!real_hosts || !*real_hosts) {
        printf("test_query_async: AEROSPIKE_HOSTS is not set; the real-server run is skipped\n");
        return failed || tu_testd_stop_failed;
    }
    if (getenv("AEROSPIKE_NS"))
        NS = getenv("AEROSPIKE_NS");
    snprintf(SET, sizeof SET, "qa%ld", (long)getpid());
    failed += cmocka_run_group_tests_name("AEROSPIKE_HOSTS", one, setup1, teardown);
    return failed || tu_testd_stop_failed;
}
