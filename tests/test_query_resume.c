/*
 * Scans and queries that survive a failing cluster, checked by content.
 * A three-node aw-testd (partition p: master node p % 3, replica
 * (p + 1) % 3) holds N records of known contents; the scan and the index
 * query (a range on `w`), each through aw_query_foreach and into rows
 * (aw_query_into; without a where clause that is aw_scan_into), run while:
 *  - a node dies in the middle of its stream (testd-kill from the callback,
 *    drop-after cutting the stream inside its second frame so the cut is
 *    mid-stream however much the sockets had buffered): the call finishes
 *    through the replicas, or, with no retries, fails and its cursor, written
 *    to bytes and read back by a new client, delivers the rest;
 *  - partitions change master in the middle (testd-move from the callback
 *    while nodes stream one at a time, so a node is asked for partitions it
 *    no longer holds);
 *  - a query or scan in max_records pages, the cursor round-tripped through
 *    bytes between pages, while partitions move and a node dies between
 *    pages; and in pages of 2 from three nodes;
 *  - a node answers garbled, truncated or oversized frames;
 *  - each allocation of the calling thread fails in turn.
 * Every time: every record the scan selects is delivered exactly once (so
 * none twice within a partition), with its key, digest and bins.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/aerowire.h"
#include "aerowire/alloc.h"
#include "aerowire/numpy.h"
#include "aerowire/query.h"
#include "support/client_fixture.h"
#include "support/rows_load.h"
#include "support/testd_proc.h"

#define NODES 3
#define NS "test"
#define SET "qresume"
#define INDEX "qresume_w"
#define N 12000
#define PAD 300
/* The index query: w in QLO..999, about nine records in ten. */
#define QLO 100
/* Each node streams some 1.7 MB (1.5 MB for the query) in frames of about
 * 1 MiB: a cut here falls in the second frame, after the first one's
 * records were delivered. */
#define CUT "drop-after=1300000"

static tu_testd srv;
static aw_client *client; /* each test's own: fresh connections and map */
static uint8_t digests[N][AW_DIGEST_SIZE];

static int64_t w_of(int i) { return (int64_t)i * 7919 % 1000; }

static void pad_of(int i, char *out) {
    for (int j = 0; j < PAD; j++)
        out[j] = (char)('a' + (i + j) % 26);
}

typedef enum mode { SCAN_RECORDS, SCAN_ROWS, QUERY_RECORDS, QUERY_ROWS } mode;
static const char *const mode_name[] = {"scan foreach", "scan into rows", "query foreach",
                                        "query into rows"};

static bool is_query(mode m) { return m == QUERY_RECORDS || m == QUERY_ROWS; }

/* --- one run's deliveries, and the faults it sets off ------------------------- */

typedef struct run {
    mode m;
    uint32_t n_partitions;      /* the cursor's: partitions 0 .. n_partitions - 1 */
    uint8_t seen[N];
    uint64_t delivered;
    /* A fault set off by the first record of a partition mastered by
     * `trigger_node` (-1: none): kill that node, or move partitions. */
    int trigger_node;
    bool kill, move, fired;
    /* Records of the trigger node's partitions delivered in the first
     * round (the client's retry count still `retries0`) and after. */
    uint64_t retries0, first_round, later_rounds;
} run;

static run R;

static void run_reset(mode m) {
    memset(&R, 0, sizeof R);
    R.m = m;
    R.n_partitions = AW_PARTITIONS;
    R.trigger_node = -1;
}

/* Record i is one the run asks for. */
static bool selected(int i) {
    return (!is_query(R.m) || w_of(i) >= QLO) && aw_partition_id(digests[i]) < R.n_partitions;
}

static uint64_t retries_now(void) { return tu_stats(client).retries; }

static bool moved[AW_PARTITIONS]; /* pinned elsewhere: the teardown puts them back */

static void move_partition(uint32_t pid, uint32_t master, uint32_t replica) {
    tu_testd_ctl(&srv, 0, "testd-move:partition=%u;master=%u;replica=%u", pid, master, replica);
    moved[pid] = true;
}

/* The partitions node `from` masters among the first `count`, moved to
 * master `(p + 2) % 3`, replica `(p + 1) % 3`: `from` holds no copy. */
static void move_away(int from, int count) {
    for (uint32_t p = (uint32_t)from, k = 0; k < (uint32_t)count; p += NODES, k++)
        move_partition(p, (p + 2) % NODES, (p + 1) % NODES);
}

/* What happens when the trigger node's first record arrives. */
static void fire(void) {
    R.fired = true;
    if (R.kill)
        tu_testd_ctl(&srv, (R.trigger_node + 1) % NODES, "testd-kill:node=%d", R.trigger_node);
    if (R.move) /* the nodes not streamed yet: 2 is last (streams go 0, 1, 2) */
        move_away(2, 60);
}

/* One delivered record, checked against what was written. */
static void deliver(int64_t key, const uint8_t *digest, int64_t v, int64_t w, const char *pad,
                    size_t pad_len) {
    if (key < 0 || key >= N)
        fail_msg("%s: a record with key %lld, not one of the set's", mode_name[R.m],
                 (long long)key);
    int i = (int)key;
    uint32_t pid = aw_partition_id(digests[i]);
    if (R.seen[i]++)
        fail_msg("%s: record %d delivered twice (partition %u)", mode_name[R.m], i, pid);
    if (!selected(i))
        fail_msg("%s: record %d (w %lld, partition %u) is not one it asked for", mode_name[R.m],
                 i, (long long)w_of(i), pid);
    assert_memory_equal(digest, digests[i], AW_DIGEST_SIZE);
    assert_int_equal(v, i);
    assert_int_equal(w, w_of(i));
    char want[PAD];
    pad_of(i, want);
    assert_int_equal(pad_len, PAD);
    assert_memory_equal(pad, want, PAD);
    R.delivered++;
    if ((int)(pid % NODES) != R.trigger_node)
        return;
    if (retries_now() == R.retries0)
        R.first_round++;
    else
        R.later_rounds++;
    if (!R.fired)
        fire();
}

static bool on_record(const aw_key *key, aw_record *rec, void *udata) {
    (void)udata;
    assert_int_equal(key->user_key.type, AW_INT);
    const aw_value *v = aw_record_get(rec, "v"), *w = aw_record_get(rec, "w"),
                   *pad = aw_record_get(rec, "pad");
    assert_non_null(v);
    assert_non_null(w);
    assert_non_null(pad);
    assert_int_equal(v->type, AW_INT);
    assert_int_equal(w->type, AW_INT);
    assert_int_equal(pad->type, AW_STR);
    deliver(key->user_key.u.i, key->digest, v->u.i, w->u.i, pad->u.str, pad->len);
    return true;
}

/* Rows: _key i8 @0, _digest V20 @8, v i8 @28, w i8 @36, pad S300 @44. */
#define ROW_DTYPE "[('_key','<i8'),('_digest','|V20'),('v','<i8'),('w','<i8'),('pad','|S300')]"
#define ITEM (44 + PAD)
#define CHUNK 333
static aw_dtype *row_dt;
static uint8_t chunk_rows[CHUNK * ITEM];
static int32_t chunk_codes[CHUNK];

static int64_t i64_at(const uint8_t *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static bool on_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    (void)udata;
    for (size_t r = 0; r < n; r++) {
        const uint8_t *row = (const uint8_t *)buf->rows + r * ITEM;
        assert_int_equal(buf->codes[r], 0);
        deliver(i64_at(row), row + 8, i64_at(row + 28), i64_at(row + 36), (const char *)row + 44,
                strnlen((const char *)row + 44, PAD));
    }
    return true;
}

static aw_index_filter where;

/* One call of the run's mode over the cursor. */
static int run_call(aw_client *c, const aw_query_policy *p, aw_partition_status *ps,
                    aw_error *err) {
    aw_query q = {.ns = NS, .set = SET, .where = is_query(R.m) ? &where : NULL};
    if (R.m == SCAN_RECORDS || R.m == QUERY_RECORDS)
        return aw_query_foreach(c, p, &q, ps, on_record, NULL, err);
    aw_rows_buffer buf = {chunk_rows, CHUNK, NULL, chunk_codes};
    return aw_query_into(c, p, &q, ps, row_dt, &buf, on_chunk, NULL, err);
}

/* Every record the run selects was delivered once (deliver saw to "not
 * twice"). */
static void expect_all_once(void) {
    uint64_t want = 0;
    for (int i = 0; i < N; i++) {
        if (!selected(i))
            continue;
        want++;
        if (R.seen[i] != 1)
            fail_msg("%s: record %d (partition %u) delivered %d times", mode_name[R.m], i,
                     aw_partition_id(digests[i]), R.seen[i]);
    }
    assert_int_equal(R.delivered, want);
}

/* The cursor as another process gets it: written to bytes, freed, read. */
static aw_partition_status *round_trip(aw_partition_status *ps) {
    uint8_t *bytes;
    size_t len;
    aw_error err;
    tu_check(aw_partition_status_write(ps, &bytes, &len, &err), &err, "cursor write");
    aw_partition_status_free(ps);
    aw_partition_status *back;
    tu_check(aw_partition_status_read(bytes, len, &back, &err), &err, "cursor read");
    aw_free(bytes);
    return back;
}

static aw_partition_status *new_cursor(void) {
    aw_partition_filter f = aw_partition_filter_range(0, R.n_partitions);
    aw_partition_status *ps;
    aw_error err;
    tu_check(aw_partition_status_new(&f, &ps, &err), &err, "cursor");
    return ps;
}

static aw_client *connect_client(size_t nodes) {
    aw_config cfg = tu_client_config(&srv, 50);
    cfg.max_error_rate = 0;
    aw_client *c = tu_client_new(&cfg);
    assert_int_equal(tu_wait_nodes(c, nodes, 5000), nodes);
    return c;
}

/* --- setup ----------------------------------------------------------------------- */

static int write_set(aw_client *c) {
    aw_dtype *dt;
    aw_error err;
    if (aw_dtype_parse("[('_key','<i8'),('v','<i8'),('w','<i8'),('pad','|S300')]", false, &dt,
                       &err) != AW_OK)
        return -1;
    enum { PER = 2000, ITEM_W = 24 + PAD };
    uint8_t *rows = malloc((size_t)PER * ITEM_W);
    aw_batch_policy bp = aw_batch_policy_default();
    bp.base.send_key = true;
    bp.base.total_timeout_ms = 0; /* each attempt bounded by its socket timeout */
    char msg[200];
    int rc = 0;
    for (int at = 0; at < N && rc == 0; at += PER) {
        for (int k = 0; k < PER; k++) {
            int64_t i = at + k, w = w_of((int)i);
            uint8_t *r = rows + (size_t)k * ITEM_W;
            memcpy(r, &i, 8);
            memcpy(r + 8, &i, 8);
            memcpy(r + 16, &w, 8);
            pad_of((int)i, (char *)r + 24);
        }
        rc = tu_load_rows(c, &bp, rows, PER, dt, NS, SET, msg, sizeof msg);
    }
    if (rc)
        fprintf(stderr, "write: %s\n", msg);
    free(rows);
    aw_dtype_free(dt);
    return rc;
}

static int group_setup(void **state) {
    if (tu_testd_start_nodes(&srv, NODES, NULL) != 0)
        return -1;
    aw_config cfg = tu_client_config(&srv, 50);
    aw_client *c;
    if (tu_client_setup(&c, &cfg) != 0 || tu_wait_nodes(c, NODES, 3000) != NODES)
        return -1;
    for (int i = 0; i < N; i++) {
        aw_key k;
        if (aw_key_init_int(&k, NS, SET, i, NULL) != AW_OK)
            return -1;
        memcpy(digests[i], k.digest, AW_DIGEST_SIZE);
    }
    aw_error err;
    aw_index_spec spec = {.ns = NS, .set = SET, .name = INDEX, .bin = "w",
                          .type = AW_INDEX_NUMERIC};
    int rc = write_set(c);
    if (rc == 0 && (aw_index_create(c, &spec, 0, &err) != AW_OK ||
                    aw_index_wait(c, NS, INDEX, 50, 10000, &err) != AW_OK)) {
        fprintf(stderr, "index: %s\n", err.message);
        rc = -1;
    }
    aw_client_close(c);
    where = aw_filter_range("w", QLO, 999);
    if (rc == 0 && aw_dtype_parse(ROW_DTYPE, false, &row_dt, &err) != AW_OK)
        rc = -1;
    return rc;
}

static int group_teardown(void **state) {
    aw_dtype_free(row_dt);
    return tu_testd_stop_group(&srv);
}

static int test_setup(void **state) {
    aw_config cfg = tu_client_config(&srv, 50);
    cfg.max_error_rate = 0; /* every request goes out, faults or not */
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    return tu_wait_nodes(client, NODES, 5000) == NODES ? 0 : -1;
}

/* Every node alive, faults off, every partition where testd's rule puts it. */
static int test_teardown(void **state) {
    aw_client_close(client);
    client = NULL;
    for (int n = 0; n < NODES; n++)
        free(tu_testd_send(&srv, (n + 1) % NODES, "testd-revive:node=%d", n));
    tu_testd_clear_faults(&srv);
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        if (moved[p]) {
            free(tu_testd_send(&srv, 0, "testd-move:partition=%u;master=%u;replica=%u", p,
                               p % NODES, (p + 1) % NODES));
            moved[p] = false;
        }
    return 0;
}

/* --- a node dies mid-stream ---------------------------------------------------- */

/* Node 1 dies after its first frame: its partitions are asked again, of
 * the nodes that took them, after the last record each one gave. */
static void kill_mid_stream(mode m) {
    run_reset(m);
    R.trigger_node = 1;
    R.kill = true;
    tu_testd_fault(&srv, 1, CUT);
    R.retries0 = retries_now();
    aw_error err;
    aw_query_policy p = aw_query_policy_default();
    tu_check(run_call(client, &p, NULL, &err), &err, mode_name[m]);
    assert_true(R.fired);
    expect_all_once();
    /* cut mid-stream: its records came from it, then from the others */
    assert_true(R.first_round > 0);
    assert_true(R.later_rounds > 0);
}

static void test_kill_scan_records(void **s) { kill_mid_stream(SCAN_RECORDS); }
static void test_kill_scan_rows(void **s) { kill_mid_stream(SCAN_ROWS); }
static void test_kill_query_records(void **s) { kill_mid_stream(QUERY_RECORDS); }
static void test_kill_query_rows(void **s) { kill_mid_stream(QUERY_ROWS); }

/* Without retries the call fails when node 1 dies; its cursor, as another
 * process would read it, and a new client deliver the rest. */
static void kill_then_resume(mode m) {
    run_reset(m);
    R.trigger_node = 1;
    R.kill = true;
    tu_testd_fault(&srv, 1, CUT);
    aw_partition_status *ps = new_cursor();
    aw_error err;
    aw_query_policy p = aw_query_policy_default();
    p.base.max_retries = 0;
    int rc = run_call(client, &p, ps, &err);
    if (rc != AW_ERR_NO_RESPONSE && rc != AW_ERR_CONNECTION)
        fail_msg("%s: %d (%s), not the dead node's error", mode_name[m], rc, err.message);
    assert_true(R.fired);
    assert_false(aw_partition_status_done(ps));
    uint64_t first = R.delivered;
    assert_true(first > 0);
    ps = round_trip(ps);
    aw_client *other = connect_client(NODES - 1);
    tu_check(run_call(other, &p, ps, &err), &err, "resume");
    assert_true(aw_partition_status_done(ps));
    assert_true(R.delivered > first);
    expect_all_once();
    aw_partition_status_free(ps);
    aw_client_close(other);
}

static void test_kill_resume_scan_records(void **s) { kill_then_resume(SCAN_RECORDS); }
static void test_kill_resume_scan_rows(void **s) { kill_then_resume(SCAN_ROWS); }
static void test_kill_resume_query_records(void **s) { kill_then_resume(QUERY_RECORDS); }
static void test_kill_resume_query_rows(void **s) { kill_then_resume(QUERY_ROWS); }

/* --- a node answers bytes that are not a stream ----------------------------------- */

/* Node 1's replies garbled, cut short inside a frame, or claiming a frame
 * of 2^47 bytes: its partitions are asked of their replicas instead, and
 * each record still arrives once. */
static void bad_bytes(mode m) {
    static const char *const faults[] = {"garbage=1", "truncate=1", "oversize=1"};
    for (int f = 0; f < 3; f++) {
        run_reset(m);
        tu_testd_fault(&srv, 1, faults[f]);
        uint64_t r0 = retries_now();
        aw_error err;
        aw_query_policy p = aw_query_policy_default();
        tu_check(run_call(client, &p, NULL, &err), &err, faults[f]);
        tu_testd_clear_fault(&srv, 1);
        expect_all_once();
        assert_true(retries_now() > r0);
    }
}

static void test_bad_bytes_scan_records(void **s) { bad_bytes(SCAN_RECORDS); }
static void test_bad_bytes_query_rows(void **s) { bad_bytes(QUERY_ROWS); }

/* --- partitions move mid-scan ---------------------------------------------------- */

/* Nodes stream one at a time (0, 1, 2); when node 0's first record
 * arrives, 60 of node 2's partitions move to nodes 0 and 1. Node 2, asked
 * for them by the round's map, answers them unavailable; the next round
 * asks their new owners. */
static void move_mid_scan(mode m) {
    run_reset(m);
    R.trigger_node = 0;
    R.move = true;
    R.retries0 = retries_now();
    aw_error err;
    aw_query_policy p = aw_query_policy_default();
    p.max_concurrent_nodes = 1;
    tu_check(run_call(client, &p, NULL, &err), &err, mode_name[m]);
    assert_true(R.fired);
    expect_all_once();
    assert_true(retries_now() > R.retries0);
}

static void test_move_scan_records(void **s) { move_mid_scan(SCAN_RECORDS); }
static void test_move_scan_rows(void **s) { move_mid_scan(SCAN_ROWS); }
static void test_move_query_records(void **s) { move_mid_scan(QUERY_RECORDS); }
static void test_move_query_rows(void **s) { move_mid_scan(QUERY_ROWS); }

/* --- pages ---------------------------------------------------------------------- */

/* Pages of 1000 records, the cursor through bytes between pages; after the
 * first page the half-read partitions of node 0 move away from it, after the
 * third node 1 dies. Each page resumes every partition after its last record,
 * wherever it now is. */
static void pages(mode m) {
    run_reset(m);
    aw_partition_status *ps = new_cursor();
    aw_query_policy p = aw_query_policy_default();
    p.max_records = 1000;
    aw_error err;
    int page = 0;
    uint64_t before = 0;
    while (!aw_partition_status_done(ps)) {
        assert_true(page < 40);
        tu_check(run_call(client, &p, ps, &err), &err, mode_name[m]);
        uint64_t got = R.delivered - before;
        before = R.delivered;
        if (!aw_partition_status_done(ps))
            assert_in_range(got, 1, 1000);
        page++;
        if (page == 1) {
            int n_moved = 0;
            for (uint32_t pid = 0; pid < AW_PARTITIONS; pid += NODES) {
                aw_partition_info pi;
                tu_check(aw_partition_status_get(ps, pid, &pi, &err), &err, "get");
                if (pi.has_digest && !pi.done) {
                    move_partition(pid, 1, 2);
                    n_moved++;
                }
            }
            assert_true(n_moved > 0);
        }
        if (page == 3)
            tu_testd_ctl(&srv, 0, "testd-kill:node=1");
        ps = round_trip(ps);
    }
    assert_true(page > 3);
    expect_all_once();
    aw_partition_status_free(ps);
}

static void test_pages_scan_records(void **s) { pages(SCAN_RECORDS); }
static void test_pages_scan_rows(void **s) { pages(SCAN_ROWS); }
static void test_pages_query_records(void **s) { pages(QUERY_RECORDS); }
static void test_pages_query_rows(void **s) { pages(QUERY_ROWS); }

/* Pages of 2 records from 3 nodes (the engine lets each node send one and
 * drops what overflows the page) over 40 partitions. */
static void tiny_pages(mode m) {
    run_reset(m);
    R.n_partitions = 40;
    aw_partition_status *ps = new_cursor();
    aw_query_policy p = aw_query_policy_default();
    p.max_records = 2;
    aw_error err;
    int page = 0;
    while (!aw_partition_status_done(ps)) {
        assert_true(page++ < 400);
        uint64_t before = R.delivered;
        tu_check(run_call(client, &p, ps, &err), &err, mode_name[m]);
        assert_true(R.delivered - before <= 2);
    }
    assert_true(page > 40);
    expect_all_once();
    aw_partition_status_free(ps);
}

static void test_tiny_pages_scan(void **s) { tiny_pages(SCAN_RECORDS); }
static void test_tiny_pages_query(void **s) { tiny_pages(QUERY_ROWS); }

/* --- an allocation fails ---------------------------------------------------------- */

/* Fails the n-th allocation aerowire makes on this thread (n counted from
 * when it is armed), once; the tend thread's are left alone. */
static _Thread_local long alloc_armed, alloc_seen;
static _Thread_local bool alloc_failed;

static bool fail_now(void) {
    if (!alloc_armed || ++alloc_seen != alloc_armed)
        return false;
    alloc_failed = true;
    return true;
}
static void *nth_malloc(size_t size, void *ctx) { return fail_now() ? NULL : malloc(size); }
static void *nth_realloc(void *ptr, size_t size, void *ctx) {
    return fail_now() ? NULL : realloc(ptr, size);
}
static void plain_free(void *ptr, void *ctx) { free(ptr); }

/* Over 40 partitions, with the n-th allocation failing, n = 1, 2, ... until
 * a run meets no failure: whatever failed and wherever the call stopped,
 * resuming its cursor delivers the rest, each record once. */
static void alloc_failures(mode m) {
    for (long n = 1;; n++) {
        assert_true(n < 5000);
        run_reset(m);
        R.n_partitions = 40;
        aw_partition_status *ps = new_cursor();
        aw_query_policy p = aw_query_policy_default();
        aw_error err;
        alloc_seen = 0;
        alloc_failed = false;
        alloc_armed = n;
        int rc = run_call(client, &p, ps, &err);
        alloc_armed = 0;
        if (rc != AW_OK && rc != AW_ERR_NOMEM)
            fail_msg("%s, allocation %ld failing: %d (%s)", mode_name[m], n, rc, err.message);
        if (rc != AW_OK)
            tu_check(run_call(client, &p, ps, &err), &err, "resume");
        assert_true(aw_partition_status_done(ps));
        expect_all_once();
        aw_partition_status_free(ps);
        if (!alloc_failed)
            break;
    }
}

static void test_alloc_failures_records(void **s) { alloc_failures(SCAN_RECORDS); }
static void test_alloc_failures_rows(void **s) { alloc_failures(QUERY_ROWS); }

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void) {
    aw_allocator nth = {nth_malloc, nth_realloc, plain_free, NULL};
    aw_set_allocator(&nth);
    const struct CMUnitTest tests[] = {
        T(test_kill_scan_records),        T(test_kill_scan_rows),
        T(test_kill_query_records),       T(test_kill_query_rows),
        T(test_kill_resume_scan_records), T(test_kill_resume_scan_rows),
        T(test_kill_resume_query_records), T(test_kill_resume_query_rows),
        T(test_bad_bytes_scan_records),   T(test_bad_bytes_query_rows),
        T(test_move_scan_records),        T(test_move_scan_rows),
        T(test_move_query_records),       T(test_move_query_rows),
        T(test_pages_scan_records),       T(test_pages_scan_rows),
        T(test_pages_query_records),      T(test_pages_query_rows),
        T(test_tiny_pages_scan),          T(test_tiny_pages_query),
        T(test_alloc_failures_records),   T(test_alloc_failures_rows),
    };
    int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    return failed || tu_testd_stop_failed;
}
