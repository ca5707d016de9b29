/*
 * The batch engine under faults injected by aw-testd on 3 nodes, sync and
 * async, with a counting source and sink (every row reaches the sink exactly
 * once, done() runs once after the last row): a node killed mid-batch (its
 * reads retried to the replica; its writes reported in doubt, or retried
 * when they never left), replies delayed past socket and total timeouts
 * (those rows time out, the others succeed, the call returns in time),
 * garbage, truncated, oversized and cut-off replies (those rows fail, the
 * others succeed, nothing hangs; with failover they all succeed), a moved
 * partition (rows follow the new map), and the loop or the client closed
 * mid-batch (every unanswered row gets CLIENT_CLOSING, done() once).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/event.h>

#include "aerowire/adapters/libevent.h"
#include "aerowire/aerowire.h"
#include "aerowire/async.h"
#include "aerowire/batch.h"
#include "client/batch_exec.h"
#include "client/client_impl.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

#define NODES 3

static tu_testd srv;
static aw_client *client;
static struct event_base *base;
static aw_loop *loop;
static int outstanding;

/* --- rows: a counting source and sink ------------------------------------------------ */

typedef struct rows {
    size_t n;
    aw_key *keys;
    int *node;            /* master of each key with every node up */
    aw_op *wop;           /* write rows: b = index */
    bool write;
    uint8_t *calls;
    int *codes;
    bool *doubt;
    size_t seen;
    int done_calls, done_code;
    size_t at_done;
    aw_loop *close_loop;  /* closes this loop from the first row's sink call */
} rows;

static int r_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    rows *r = ctx;
    row->key = &r->keys[i];
    if (r->write) {
        row->kind = AW_BATCH_OPERATE;
        row->ops = &r->wop[i];
        row->n_ops = 1;
    } else {
        row->kind = AW_BATCH_READ;
    }
    return AW_OK;
}
static const aw_key *r_key(void *ctx, size_t i) { return &((rows *)ctx)->keys[i]; }
static bool r_writes(void *ctx, size_t i) { return ((rows *)ctx)->write; }
static void r_sink(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                   const aw_error *err) {
    rows *r = ctx;
    assert_true(i < r->n);
    r->calls[i]++;
    r->codes[i] = result;
    r->doubt[i] = in_doubt;
    r->seen++;
    if (result < 0)
        assert_true(m == NULL && err && err->code == result && err->in_doubt == in_doubt);
    if (r->close_loop) {
        aw_loop_close(r->close_loop); /* from inside a callback: takes effect after it */
        r->close_loop = NULL;
    }
}
static void r_done(void *ctx, const aw_error *err) {
    rows *r = ctx;
    r->done_calls++;
    r->done_code = err ? err->code : AW_OK;
    r->at_done = r->seen;
    outstanding--;
}

/* n keys "<tag>-j" spread over the nodes as their partitions fall. */
static void rows_make(rows *r, size_t n, const char *tag, bool write) {
    memset(r, 0, sizeof *r);
    r->n = n;
    r->write = write;
    r->keys = calloc(n, sizeof *r->keys);
    r->node = calloc(n, sizeof *r->node);
    r->wop = calloc(n, sizeof *r->wop);
    r->calls = calloc(n, 1);
    r->codes = calloc(n, sizeof *r->codes);
    r->doubt = calloc(n, sizeof *r->doubt);
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s-%zu", tag, i);
        r->keys[i] = tu_key("test", "bf", name);
        r->node[i] = (int)(aw_partition_id(r->keys[i].digest) % NODES);
        r->wop[i] = aw_op_write("b", aw_value_int((int64_t)i));
    }
}

static void rows_reset(rows *r) {
    memset(r->calls, 0, r->n);
    memset(r->codes, 0, r->n * sizeof *r->codes);
    memset(r->doubt, 0, r->n * sizeof *r->doubt);
    r->seen = 0;
    r->done_calls = 0;
    r->at_done = 0;
    r->done_code = 0;
}

static void rows_free(rows *r) {
    free(r->keys);
    free(r->node);
    free(r->wop);
    free(r->calls);
    free(r->codes);
    free(r->doubt);
}

static void check_once(const rows *r) {
    for (size_t i = 0; i < r->n; i++)
        if (r->calls[i] != 1)
            fail_msg("row %zu reached the sink %d times", i, r->calls[i]);
}

static aw_batch_source source_of(rows *r) { return (aw_batch_source){r->n, r_row, r_key, r_writes, r, false}; }
static aw_batch_sink sink_of(rows *r) { return (aw_batch_sink){r_sink, r}; }

/* Runs the batch sync or async to its end (async: done() once, after every row). */
static void run_rows(bool async, rows *r, const aw_batch_policy *p, int ms) {
    rows_reset(r);
    aw_batch_source src = source_of(r);
    aw_batch_sink sink = sink_of(r);
    aw_error err;
    if (!async) {
        tu_check(aw_batch_exec(client, p, &src, &sink, "batch", &err), &err, "batch");
    } else {
        tu_check(aw_batch_exec_async(loop, p, &src, &sink, "batch", r_done, r, &err), &err,
                 "batch");
        assert_int_equal(r->seen, 0);
        outstanding++;
        tu_run_until(base, &outstanding, ms);
        assert_int_equal(r->done_calls, 1);
        assert_int_equal(r->at_done, r->n);
    }
    check_once(r);
}

/* Writes every row's record (b = index) and checks it went through. */
static void populate(rows *r) {
    bool w = r->write;
    r->write = true;
    aw_batch_policy p = aw_batch_policy_default();
    p.base.total_timeout_ms = 5000;
    run_rows(false, r, &p, 0);
    for (size_t i = 0; i < r->n; i++)
        if (r->codes[i] != AW_OK)
            fail_msg("populate row %zu: %s", i, aw_status_name(r->codes[i]));
    r->write = w;
}

static aw_batch_policy policy(aw_replica_policy rep, uint32_t sock, uint32_t total,
                              uint32_t retries) {
    aw_batch_policy p = aw_batch_policy_default();
    p.base.replica = rep;
    p.base.socket_timeout_ms = sock;
    p.base.total_timeout_ms = total;
    p.base.max_retries = retries;
    return p;
}

/* --- setup ----------------------------------------------------------------------------- */

static int start(void **state) {
    if (tu_testd_start_nodes(&srv, NODES, NULL) != 0)
        return -1;
    aw_config cfg = tu_client_config(&srv, 100);
    cfg.max_error_rate = 0; /* every request goes out, faults or not */
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    if (tu_libevent_open(client, &base, &loop) != 0)
        return -1;
    return tu_wait_nodes(client, NODES, 3000) == NODES ? 0 : -1;
}
static int stop(void **state) {
    tu_libevent_close(&client, &base, &loop);
    return tu_testd_stop_group(&srv);
}
/* After each test: no faults, every node up and known. */
static int heal(void **state) {
    tu_testd_clear_faults(&srv);
    free(tu_testd_send(&srv, 0, "testd-revive:node=1"));
    tu_wait_nodes(client, NODES, 3000);
    return 0;
}

/* --- a node killed mid-batch -------------------------------------------------------------- */

typedef struct killer {
    pthread_t t;
    int delay_ms, node;
} killer;

static void *kill_later(void *arg) {
    killer *k = arg;
    tu_sleep_ms(k->delay_ms);
    free(tu_testd_send(&srv, (k->node + 1) % NODES, "testd-kill:node=%d", k->node));
    return NULL;
}

/* Runs r with node 1 delayed, killing it 150 ms in (its requests are then
 * on the wire, unanswered). */
static void run_with_kill(bool async, rows *r, const aw_batch_policy *p) {
    tu_testd_fault(&srv, 1, "delay=400");
    killer k = {.delay_ms = 150, .node = 1};
    assert_int_equal(pthread_create(&k.t, NULL, kill_later, &k), 0);
    run_rows(async, r, p, 8000);
    pthread_join(k.t, NULL);
}

static void check_kill_reads(bool async) {
    rows r;
    rows_make(&r, 3000, async ? "kr-a" : "kr-s", false);
    populate(&r);
    aw_client_stats st0 = tu_stats(client);
    aw_batch_policy p = policy(AW_REPLICA_SEQUENCE, 0, 5000, 2);
    p.max_rows_per_request = 250;
    run_with_kill(async, &r, &p);
    for (size_t i = 0; i < r.n; i++)
        if (r.codes[i] != AW_OK)
            fail_msg("row %zu (node %d): %s", i, r.node[i], aw_status_name(r.codes[i]));
    assert_true(tu_stats(client).retries > st0.retries); /* node 1's rows went to the replica */
    rows_free(&r);
}
static void test_kill_reads(void **state) { check_kill_reads(false); }
static void test_kill_reads_async(void **state) { check_kill_reads(true); }

static void check_kill_writes(bool async) {
    rows r;
    rows_make(&r, 900, async ? "kw-a" : "kw-s", true);
    aw_batch_policy p = policy(AW_REPLICA_SEQUENCE, 0, 5000, 2);
    p.max_rows_per_request = 100;
    run_with_kill(async, &r, &p);
    int doubt = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (r.codes[i] == AW_OK) {
            assert_false(r.doubt[i]);
            continue;
        }
        /* Sent, then the node died: in doubt, never retried elsewhere. */
        if (r.node[i] != 1 || r.codes[i] >= 0 || !r.doubt[i])
            fail_msg("row %zu (node %d): %s, in doubt %d", i, r.node[i],
                     aw_status_name(r.codes[i]), r.doubt[i]);
        doubt++;
    }
    assert_true(doubt > 0);
    /* Node 1 is dead now: writes to it never leave (connection refused) and
     * are retried on the replica, cleanly. */
    run_rows(async, &r, &p, 8000);
    for (size_t i = 0; i < r.n; i++)
        if (r.codes[i] != AW_OK || r.doubt[i])
            fail_msg("after the kill, row %zu (node %d): %s, in doubt %d", i, r.node[i],
                     aw_status_name(r.codes[i]), r.doubt[i]);
    rows_free(&r);
}
static void test_kill_writes(void **state) { check_kill_writes(false); }
static void test_kill_writes_async(void **state) { check_kill_writes(true); }

/* --- timeouts ----------------------------------------------------------------------------- */

static void check_timeouts(bool async) {
    rows r;
    rows_make(&r, 600, async ? "to-a" : "to-s", false);
    populate(&r);
    tu_testd_fault(&srv, 0, "delay=600");
    /* Socket timeout: two attempts of 100 ms on the master, then the row fails. */
    aw_client_stats st0 = tu_stats(client);
    aw_batch_policy p = policy(AW_REPLICA_MASTER, 100, 1500, 1);
    uint64_t t0 = tu_now_ms();
    run_rows(async, &r, &p, 3000);
    uint64_t took = tu_now_ms() - t0;
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.codes[i], r.node[i] == 0 ? AW_ERR_TIMEOUT : AW_OK);
    if (took < 180 || took > 900)
        fail_msg("socket timeouts took %llu ms (want ~200)", (unsigned long long)took);
    aw_client_stats st1 = tu_stats(client);
    assert_int_equal(st1.timeouts - st0.timeouts, 2); /* node 0's request, twice */
    assert_int_equal(st1.retries - st0.retries, 1);

    /* Total timeout: one attempt, no socket timeout. */
    p = policy(AW_REPLICA_MASTER, 0, 250, 2);
    t0 = tu_now_ms();
    run_rows(async, &r, &p, 3000);
    took = tu_now_ms() - t0;
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.codes[i], r.node[i] == 0 ? AW_ERR_TIMEOUT : AW_OK);
    if (took < 240 || took > 900)
        fail_msg("total timeout took %llu ms (want ~250)", (unsigned long long)took);

    /* With SEQUENCE the socket timeout moves node 0's rows to their replica,
     * after the pause between retries. */
    p = policy(AW_REPLICA_SEQUENCE, 100, 1500, 2);
    p.base.sleep_between_retries_ms = 80;
    t0 = tu_now_ms();
    run_rows(async, &r, &p, 3000);
    took = tu_now_ms() - t0;
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.codes[i], AW_OK);
    if (took < 175 || took > 900)
        fail_msg("failover took %llu ms (want ~180)", (unsigned long long)took);
    rows_free(&r);
}
static void test_timeouts(void **state) { check_timeouts(false); }
static void test_timeouts_async(void **state) { check_timeouts(true); }

/* The total deadline passes with most requests not yet sent (small
 * requests, every node slow): every row times out once, in time. */
static void check_deadline_unsent(bool async) {
    rows r;
    rows_make(&r, 3000, async ? "du-a" : "du-s", false);
    for (int i = 0; i < NODES; i++)
        tu_testd_fault(&srv, i, "delay=500");
    aw_batch_policy p = policy(AW_REPLICA_SEQUENCE, 0, 300, 2);
    p.max_rows_per_request = 50;
    uint64_t t0 = tu_now_ms();
    run_rows(async, &r, &p, 3000);
    uint64_t took = tu_now_ms() - t0;
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.codes[i], AW_ERR_TIMEOUT);
    if (took < 290 || took > 1000)
        fail_msg("took %llu ms (want ~300)", (unsigned long long)took);
    rows_free(&r);
}
static void test_deadline_unsent(void **state) { check_deadline_unsent(false); }
static void test_deadline_unsent_async(void **state) { check_deadline_unsent(true); }

/* --- bad replies ---------------------------------------------------------------------------- */

static void check_bad_replies(bool async) {
    static const char *faults[] = {"garbage=1", "oversize=1", "truncate=1", "drop-after=100"};
    rows r;
    rows_make(&r, 600, async ? "br-a" : "br-s", false);
    populate(&r);
    for (size_t f = 0; f < sizeof faults / sizeof *faults; f++) {
        tu_testd_fault(&srv, 0, faults[f]);
        aw_batch_policy p = policy(AW_REPLICA_MASTER, 300, 2000, 0);
        run_rows(async, &r, &p, 4000);
        int failed = 0;
        for (size_t i = 0; i < r.n; i++) {
            int c = r.codes[i];
            if (r.node[i] != 0 || c == AW_OK) {
                if (c != AW_OK)
                    fail_msg("%s: row %zu (node %d): %s", faults[f], i, r.node[i],
                             aw_status_name(c));
                continue;
            }
            if (c != AW_ERR_PROTO && c != AW_ERR_NO_RESPONSE && c != AW_ERR_TIMEOUT)
                fail_msg("%s: row %zu: %s", faults[f], i, aw_status_name(c));
            failed++;
        }
        if (failed == 0)
            fail_msg("%s: no row of node 0 failed", faults[f]);
        /* With failover every row gets its record from the replica. */
        p = policy(AW_REPLICA_SEQUENCE, 300, 3000, 2);
        run_rows(async, &r, &p, 4000);
        for (size_t i = 0; i < r.n; i++)
            if (r.codes[i] != AW_OK)
                fail_msg("%s with failover: row %zu: %s", faults[f], i,
                         aw_status_name(r.codes[i]));
        tu_testd_clear_fault(&srv, 0);
    }
    rows_free(&r);
}
static void test_bad_replies(void **state) { check_bad_replies(false); }
static void test_bad_replies_async(void **state) { check_bad_replies(true); }

/* --- a moved partition -------------------------------------------------------------------- */

static bool wait_master(const aw_key *key, int node, int ms) {
    return tu_wait_master(client, &srv, key, node, ms);
}

static void check_moved(bool async) {
    rows r;
    rows_make(&r, 300, async ? "mv-a" : "mv-s", false);
    populate(&r);
    size_t first = 0;
    while (r.node[first] != 0)
        first++;
    uint32_t pid = aw_partition_id(r.keys[first].digest);
    aw_client_stats st0 = tu_stats(client);
    tu_testd_ctl(&srv, 1, "testd-move:partition=%u;master=2;replica=1", pid);
    assert_true(tu_wait_map_update(client, st0.map_updates, 3000));
    assert_true(wait_master(&r.keys[first], 2, 3000));
    /* The old master answers garbage: only the rows it still owns fail. */
    tu_testd_fault(&srv, 0, "garbage=1");
    aw_batch_policy p = policy(AW_REPLICA_MASTER, 500, 2000, 0);
    run_rows(async, &r, &p, 4000);
    for (size_t i = 0; i < r.n; i++) {
        bool moved = aw_partition_id(r.keys[i].digest) == pid;
        int want = r.node[i] == 0 && !moved ? AW_ERR_PROTO : AW_OK;
        if (r.codes[i] != want)
            fail_msg("row %zu (node %d, moved %d): %s", i, r.node[i], moved,
                     aw_status_name(r.codes[i]));
    }
    tu_testd_clear_fault(&srv, 0);
    tu_testd_ctl(&srv, 1, "testd-move:partition=%u;master=0;replica=1", pid);
    rows_free(&r);
}
static void test_moved(void **state) { check_moved(false); }
static void test_moved_async(void **state) { check_moved(true); }

/* --- a partition no node holds ------------------------------------------------------------ */

typedef struct heir {
    pthread_t t;
    int delay_ms;
    uint32_t pid;
} heir;

/* Gives the partition back to the nodes that hold it by default (master p
 * mod 3, replica the next), where the other tests expect it. */
static void *give_heir_later(void *arg) {
    heir *h = arg;
    tu_sleep_ms(h->delay_ms);
    free(tu_testd_send(&srv, 0, "testd-move:partition=%u;master=%u;replica=%u", h->pid,
                       h->pid % NODES, (h->pid + 1) % NODES));
    return NULL;
}

/* The rows of a partition no node claims wait for the map: they succeed
 * once a node takes it within the total timeout (the others at once), and
 * fail with INVALID_NODE at the deadline when none does. */
static void check_orphan(bool async, bool heir_comes) {
    rows r;
    rows_make(&r, 300, async ? "or-a" : "or-s", false);
    populate(&r);
    uint32_t pid = aw_partition_id(r.keys[7].digest);
    aw_client_stats st0 = tu_stats(client);
    tu_testd_ctl(&srv, 0, "testd-move:partition=%u;orphan=1", pid);
    assert_true(tu_wait_map_update(client, st0.map_updates, 3000));
    assert_true(wait_master(&r.keys[7], -1, 3000));
    aw_error err;
    bool exists;
    assert_int_equal(aw_exists(client, NULL, &r.keys[7], &exists, &err), AW_ERR_INVALID_NODE);

    heir h = {.delay_ms = 300, .pid = pid};
    if (heir_comes)
        assert_int_equal(pthread_create(&h.t, NULL, give_heir_later, &h), 0);
    aw_batch_policy p = policy(AW_REPLICA_SEQUENCE, 0, 1500, 0);
    uint64_t t0 = tu_now_ms();
    run_rows(async, &r, &p, 5000);
    uint64_t took = tu_now_ms() - t0;
    if (heir_comes)
        pthread_join(h.t, NULL);
    size_t orphans = 0;
    for (size_t i = 0; i < r.n; i++) {
        bool orphan = aw_partition_id(r.keys[i].digest) == pid;
        orphans += orphan;
        int want = orphan && !heir_comes ? AW_ERR_INVALID_NODE : AW_OK;
        if (r.codes[i] != want)
            fail_msg("row %zu (orphan %d): %s", i, orphan, aw_status_name(r.codes[i]));
    }
    assert_true(orphans >= 1);
    /* They waited for the heir (tend every 100 ms), or for the deadline. */
    if (heir_comes)
        assert_true(took >= 300 && took < 1500);
    else
        assert_true(took >= 1500 && took < 2500);
    if (!heir_comes)
        give_heir_later(&(heir){.delay_ms = 0, .pid = pid});
    rows_free(&r);
}
static void test_orphan_partition(void **state) { check_orphan(false, true); }
static void test_orphan_partition_async(void **state) { check_orphan(true, true); }
static void test_orphan_partition_deadline(void **state) { check_orphan(false, false); }
static void test_orphan_partition_deadline_async(void **state) { check_orphan(true, false); }

/* --- closing mid-batch -------------------------------------------------------------------- */

/* Runs the main base for ms. */
static void run_for(int ms) {
    uint64_t end = tu_now_ms() + (uint64_t)ms;
    while (tu_now_ms() < end)
        event_base_loop(base, EVLOOP_NONBLOCK), tu_sleep_ms(1);
}

static void reattach(void) {
    aw_error err;
    assert_int_equal(aw_libevent_attach(client, base, &loop, &err), AW_OK);
}

/* Every row once: the answered ones OK, every other CLIENT_CLOSING; done
 * once, with CLIENT_CLOSING, after the last row. */
static void check_closed(const rows *r, bool some_ok) {
    check_once(r);
    assert_int_equal(r->done_calls, 1);
    assert_int_equal(r->done_code, AW_ERR_CLIENT_CLOSING);
    assert_int_equal(r->at_done, r->n);
    int ok = 0, closing = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->codes[i] == AW_OK)
            ok++;
        else if (r->codes[i] == AW_ERR_CLIENT_CLOSING)
            closing++;
        else
            fail_msg("row %zu: %s", i, aw_status_name(r->codes[i]));
        if (r->node[i] == 1)
            assert_int_equal(r->codes[i], AW_ERR_CLIENT_CLOSING);
    }
    assert_true(closing > 0);
    if (some_ok)
        assert_true(ok > 0);
}

static void test_close_loop(void **state) {
    rows r;
    rows_make(&r, 3000, "close", false);
    populate(&r);
    tu_testd_fault(&srv, 1, "delay=400");
    aw_batch_policy p = policy(AW_REPLICA_MASTER, 0, 5000, 0);
    p.max_rows_per_request = 200;
    aw_batch_source src = source_of(&r);
    aw_batch_sink sink = sink_of(&r);
    aw_error err;

    /* aw_loop_close between callbacks */
    rows_reset(&r);
    tu_check(aw_batch_exec_async(loop, &p, &src, &sink, "batch", r_done, &r, &err), &err, "batch");
    outstanding++;
    run_for(100);
    assert_true(r.seen > 0 && r.seen < r.n);
    aw_loop_close(loop);
    assert_int_equal(outstanding, 0);
    check_closed(&r, true);
    reattach();

    /* aw_loop_close from inside a sink call */
    rows_reset(&r);
    r.close_loop = loop;
    tu_check(aw_batch_exec_async(loop, &p, &src, &sink, "batch", r_done, &r, &err), &err, "batch");
    outstanding++;
    tu_run_until(base, &outstanding, 3000);
    check_closed(&r, false);
    reattach();

    /* aw_client_close: its loops close with it */
    aw_config cfg = tu_client_config(&srv, 100);
    aw_client *c2 = tu_client_new(&cfg);
    assert_int_equal(tu_wait_nodes(c2, NODES, 3000), NODES);
    aw_loop *l2;
    assert_int_equal(aw_libevent_attach(c2, base, &l2, &err), AW_OK);
    rows_reset(&r);
    tu_check(aw_batch_exec_async(l2, &p, &src, &sink, "batch", r_done, &r, &err), &err, "batch");
    outstanding++;
    run_for(100);
    aw_client_close(c2);
    assert_int_equal(outstanding, 0);
    check_closed(&r, true);
    /* The main loop still works. */
    tu_testd_clear_fault(&srv, 1);
    run_rows(true, &r, &p, 3000);
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.codes[i], AW_OK);
    rows_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_timeouts, heal),
        cmocka_unit_test_teardown(test_timeouts_async, heal),
        cmocka_unit_test_teardown(test_deadline_unsent, heal),
        cmocka_unit_test_teardown(test_deadline_unsent_async, heal),
        cmocka_unit_test_teardown(test_bad_replies, heal),
        cmocka_unit_test_teardown(test_bad_replies_async, heal),
        cmocka_unit_test_teardown(test_moved, heal),
        cmocka_unit_test_teardown(test_moved_async, heal),
        cmocka_unit_test_teardown(test_orphan_partition, heal),
        cmocka_unit_test_teardown(test_orphan_partition_async, heal),
        cmocka_unit_test_teardown(test_orphan_partition_deadline, heal),
        cmocka_unit_test_teardown(test_orphan_partition_deadline_async, heal),
        cmocka_unit_test_teardown(test_close_loop, heal),
        cmocka_unit_test_teardown(test_kill_reads, heal),
        cmocka_unit_test_teardown(test_kill_reads_async, heal),
        cmocka_unit_test_teardown(test_kill_writes, heal),
        cmocka_unit_test_teardown(test_kill_writes_async, heal),
    };
    int failed = cmocka_run_group_tests_name("batch faults, three nodes", tests, start, stop);
    return failed || tu_testd_stop_failed;
}
