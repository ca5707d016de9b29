/*
 * The batch engine and the generic batch API against aw-testd, sync and
 * async: batch get (all bins, named bins, header only) with present and
 * missing keys, row order across 3 nodes, exists, mixed read / write /
 * delete / operate rows with per-row results (a row failing with GENERATION
 * or BIN_TYPE while the others succeed), duplicate keys (each row gets its
 * own answer), n = 0 and NULL arguments, a bad bin name or a NULL key in one
 * row, 100,000 keys split into requests of 1,000 rows, aw_batch_exec with a
 * counting source and sink (each row exactly once, done once, never inside
 * the submit call), the request bytes the engine puts on the wire
 * against the official client's capture, and the requests a client keeps
 * from one batch to the next.
 */
/* aw_bplan_trace: this program links a batch_plan.o built with the hook
 * (see the Makefile); the library has none. */
#define AW_TEST_HOOKS
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
#include "aerowire/async.h"
#include "aerowire/batch.h"
#include "client/batch_exec.h"
#include "client/batch_plan.h"
#include "client/client_impl.h"
#include "support/capture_inputs.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

static tu_testd srv;
static aw_client *client;
static struct event_base *base;
static aw_loop *loop;
static int n_nodes;
static int outstanding;

/* --- helpers ----------------------------------------------------------------------- */

static aw_key key_n(const char *tag, int i) {
    char name[64];
    snprintf(name, sizeof name, "%s-%d", tag, i);
    return tu_key("test", "batch", name);
}

static void put_row(const aw_key *k, int i) {
    char s[32];
    snprintf(s, sizeof s, "v%d", i);
    aw_bin bins[] = {{"a", aw_value_int(i)}, {"s", aw_value_str(s)}, {"c", aw_value_int(i * 10)}};
    aw_error err;
    tu_check(aw_put(client, NULL, k, bins, 3, &err), &err, "put");
}

static void del(const aw_key *k) {
    aw_error err;
    int rc = aw_delete(client, NULL, k, &err);
    if (rc != AW_OK && rc != AW_ERR_RECORD_NOT_FOUND)
        fail_msg("delete: %s", err.message);
}

static int64_t int_bin(const aw_record *r, const char *name) {
    const aw_value *v = aw_record_get(r, name);
    if (!v || v->type != AW_INT)
        fail_msg("bin %s missing or not an integer", name);
    return v->u.i;
}

typedef struct acb {
    int calls;
    int code;
} acb;

static void on_batch(const aw_error *err, void *ud) {
    acb *a = ud;
    a->calls++;
    a->code = err ? err->code : AW_OK;
    outstanding--;
}

/* Runs the loop until the batch submitted with rc called back. */
static void wait_async(int rc, const aw_error *err, acb *a, int ms) {
    if (rc != AW_OK)
        fail_msg("async submit: %s (%d): %s", aw_status_name(rc), rc, err->message);
    assert_int_equal(a->calls, 0); /* never inside the submit call */
    outstanding++;
    tu_run_until(base, &outstanding, ms);
    assert_int_equal(a->calls, 1);
}

static int get_(bool async, const aw_batch_policy *p, const aw_key *keys, size_t n,
                const char *const *bins, size_t nb, bool header, aw_batch_result *res) {
    aw_error err;
    if (!async) {
        int rc = aw_batch_get(client, p, keys, n, bins, nb, header, res, &err);
        if (rc != AW_OK)
            fail_msg("batch get: %s", err.message);
        return rc;
    }
    acb a = {0};
    wait_async(aw_batch_get_async(loop, p, keys, n, bins, nb, header, res, on_batch, &a, &err),
               &err, &a, 15000);
    return a.code;
}

static int exists_(bool async, const aw_key *keys, size_t n, bool *ex, int32_t *codes) {
    aw_error err;
    if (!async) {
        int rc = aw_batch_exists(client, NULL, keys, n, ex, codes, &err);
        if (rc != AW_OK)
            fail_msg("batch exists: %s", err.message);
        return rc;
    }
    acb a = {0};
    wait_async(aw_batch_exists_async(loop, NULL, keys, n, ex, codes, on_batch, &a, &err), &err,
               &a, 5000);
    return a.code;
}

static int operate_(bool async, const aw_batch_policy *p, const aw_batch_op *ops, size_t n,
                    aw_batch_result *res) {
    aw_error err;
    if (!async) {
        int rc = aw_batch_operate(client, p, ops, n, res, &err);
        if (rc != AW_OK)
            fail_msg("batch operate: %s", err.message);
        return rc;
    }
    acb a = {0};
    wait_async(aw_batch_operate_async(loop, p, ops, n, res, on_batch, &a, &err), &err, &a, 15000);
    return a.code;
}

/* --- setup -------------------------------------------------------------------------- */

static int start(int nodes) {
    n_nodes = nodes;
    if (tu_testd_start_nodes(&srv, nodes, NULL) != 0)
        return -1;
    aw_config cfg = tu_client_config(&srv, 100);
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    if (tu_libevent_open(client, &base, &loop) != 0)
        return -1;
    return tu_wait_nodes(client, (size_t)nodes, 3000) == (size_t)nodes ? 0 : -1;
}
static int start_one(void **state) { return start(1); }
static int start_three(void **state) { return start(3); }
static int stop(void **state) {
    tu_libevent_close(&client, &base, &loop);
    return tu_testd_stop_group(&srv);
}

/* --- batch get ------------------------------------------------------------------------ */

static void check_get(bool async) {
    enum { N = 30 };
    aw_key keys[N];
    const char *tag = async ? "get-a" : "get-s";
    for (int i = 0; i < N; i++) {
        keys[i] = key_n(tag, i);
        if (i % 3 == 2)
            del(&keys[i]);
        else
            put_row(&keys[i], i);
    }
    aw_batch_result res[N];

    /* all bins */
    assert_int_equal(get_(async, NULL, keys, N, NULL, 0, false, res), AW_OK);
    for (int i = 0; i < N; i++) {
        if (i % 3 == 2) {
            assert_int_equal(res[i].code, AW_ERR_RECORD_NOT_FOUND);
            assert_int_equal(res[i].rec.n_bins, 0);
            continue;
        }
        assert_int_equal(res[i].code, AW_OK);
        assert_false(res[i].in_doubt);
        assert_int_equal(res[i].rec.n_bins, 3);
        assert_int_equal(int_bin(&res[i].rec, "a"), i);
        assert_int_equal(int_bin(&res[i].rec, "c"), i * 10);
        char s[32];
        snprintf(s, sizeof s, "v%d", i);
        const aw_value *v = aw_record_get(&res[i].rec, "s");
        assert_non_null(v);
        assert_int_equal(v->len, strlen(s));
        assert_memory_equal(v->u.str, s, v->len);
        assert_true(res[i].rec.gen >= 1);
        assert_int_equal(res[i].rec.ttl, AW_TTL_NEVER_EXPIRE);
    }
    aw_batch_results_free(res, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(res[i].rec.n_bins, 0);

    /* named bins */
    const char *names[] = {"c", "nope"};
    assert_int_equal(get_(async, NULL, keys, N, names, 2, false, res), AW_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(res[i].code, i % 3 == 2 ? AW_ERR_RECORD_NOT_FOUND : AW_OK);
        if (i % 3 == 2)
            continue;
        assert_int_equal(res[i].rec.n_bins, 1);
        assert_int_equal(int_bin(&res[i].rec, "c"), i * 10);
    }
    aw_batch_results_free(res, N);

    /* header only */
    assert_int_equal(get_(async, NULL, keys, N, names, 2, true, res), AW_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(res[i].code, i % 3 == 2 ? AW_ERR_RECORD_NOT_FOUND : AW_OK);
        assert_int_equal(res[i].rec.n_bins, 0);
        if (i % 3 != 2) {
            assert_true(res[i].rec.gen >= 1);
            assert_int_equal(res[i].rec.ttl, AW_TTL_NEVER_EXPIRE);
        }
    }
    aw_batch_results_free(res, N);
}
static void test_get(void **state) { check_get(false); }
static void test_get_async(void **state) { check_get(true); }

/* Rows on every node of three come back at their own positions, one
 * request per node. */
static void check_order(bool async) {
    enum { N = 300 };
    static aw_key keys[N];
    static aw_batch_result res[N];
    for (int i = 0; i < N; i++) {
        keys[i] = key_n(async ? "order-a" : "order-s", i);
        put_row(&keys[i], i);
    }
    uint64_t before = tu_stats(client).commands;
    assert_int_equal(get_(async, NULL, keys, N, NULL, 0, false, res), AW_OK);
    assert_int_equal(tu_stats(client).commands - before, (uint64_t)n_nodes);
    int per_node[3] = {0};
    for (int i = 0; i < N; i++) {
        assert_int_equal(res[i].code, AW_OK);
        assert_int_equal(int_bin(&res[i].rec, "a"), i);
        per_node[aw_partition_id(keys[i].digest) % 3]++;
    }
    for (int j = 0; j < 3; j++)
        assert_true(per_node[j] > 50);
    aw_batch_results_free(res, N);
}
static void test_order(void **state) { check_order(false); }
static void test_order_async(void **state) { check_order(true); }

/* --- exists ---------------------------------------------------------------------------- */

static void check_exists(bool async) {
    enum { N = 12 };
    aw_key keys[N];
    for (int i = 0; i < N; i++) {
        keys[i] = key_n(async ? "ex-a" : "ex-s", i);
        if (i % 2)
            put_row(&keys[i], i);
        else
            del(&keys[i]);
    }
    bool ex[N];
    int32_t codes[N];
    memset(codes, 0x55, sizeof codes);
    assert_int_equal(exists_(async, keys, N, ex, codes), AW_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(ex[i], i % 2 == 1);
        assert_int_equal(codes[i], AW_OK);
    }
    /* codes may be NULL */
    assert_int_equal(exists_(async, keys, N, ex, NULL), AW_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(ex[i], i % 2 == 1);
}
static void test_exists(void **state) { check_exists(false); }
static void test_exists_async(void **state) { check_exists(true); }

/* --- operate ------------------------------------------------------------------------------ */

static void check_operate(bool async) {
    const char *t = async ? "op-a" : "op-s";
    aw_key a = key_n(t, 0), b = key_n(t, 1), c = key_n(t, 2), d = key_n(t, 3), e = key_n(t, 4),
           f = key_n(t, 5);
    put_row(&a, 1);
    del(&b);
    put_row(&c, 3);
    put_row(&d, 4);
    put_row(&e, 5);
    del(&f);

    aw_bin wb[] = {{"w", aw_value_int(7)}, {"x", aw_value_str("seven")}};
    aw_op incr_read[] = {aw_op_incr("a", aw_value_int(5)), aw_op_read("a")};
    aw_op incr_str[] = {aw_op_incr("s", aw_value_int(1))};
    aw_policy wrong_gen = aw_policy_write();
    wrong_gen.gen = AW_GEN_EQ;
    wrong_gen.generation = 999;
    const char *only_c[] = {"c"};
    aw_batch_op ops[] = {
        {.kind = AW_BATCH_OP_READ, .key = &a},
        {.kind = AW_BATCH_OP_WRITE, .key = &b, .write_bins = wb, .n_bins = 2},
        {.kind = AW_BATCH_OP_DELETE, .key = &e},
        {.kind = AW_BATCH_OP_OPERATE, .key = &a, .ops = incr_read, .n_ops = 2},
        {.kind = AW_BATCH_OP_WRITE, .key = &c, .write_bins = wb, .n_bins = 1, .policy = &wrong_gen},
        {.kind = AW_BATCH_OP_OPERATE, .key = &d, .ops = incr_str, .n_ops = 1},
        {.kind = AW_BATCH_OP_DELETE, .key = &f},
        {.kind = AW_BATCH_OP_READ, .key = &c, .bins = only_c, .n_bins = 1},
    };
    enum { N = sizeof ops / sizeof *ops };
    aw_batch_result res[N];
    assert_int_equal(operate_(async, NULL, ops, N, res), AW_OK);

    assert_int_equal(res[0].code, AW_OK);
    assert_int_equal(int_bin(&res[0].rec, "a"), 1);
    assert_int_equal(res[1].code, AW_OK);
    assert_int_equal(res[1].rec.gen, 1);
    assert_int_equal(res[1].rec.n_bins, 0); /* a write row keeps the header only */
    assert_int_equal(res[2].code, AW_OK);
    assert_int_equal(res[3].code, AW_OK);
    assert_int_equal(int_bin(&res[3].rec, "a"), 6); /* the read after the incr */
    assert_int_equal(res[4].code, AW_ERR_RECORD_GENERATION);
    assert_int_equal(res[5].code, AW_ERR_BIN_INCOMPATIBLE_TYPE);
    assert_int_equal(res[6].code, AW_ERR_RECORD_NOT_FOUND);
    assert_int_equal(res[7].code, AW_OK);
    assert_int_equal(res[7].rec.n_bins, 1);
    assert_int_equal(int_bin(&res[7].rec, "c"), 30);
    for (int i = 0; i < N; i++)
        assert_false(res[i].in_doubt);
    aw_batch_results_free(res, N);

    /* What the rows did. */
    aw_record r = {0};
    aw_error err;
    tu_check(aw_get(client, NULL, &b, NULL, 0, &r, &err), &err, "get b");
    assert_int_equal(int_bin(&r, "w"), 7);
    aw_record_free(&r);
    assert_int_equal(aw_get(client, NULL, &e, NULL, 0, &r, &err), AW_ERR_RECORD_NOT_FOUND);
    tu_check(aw_get(client, NULL, &c, NULL, 0, &r, &err), &err, "get c");
    assert_null(aw_record_get(&r, "w")); /* the generation check stopped it */
    aw_record_free(&r);
    tu_check(aw_get(client, NULL, &a, NULL, 0, &r, &err), &err, "get a");
    assert_int_equal(int_bin(&r, "a"), 6);
    aw_record_free(&r);
}
static void test_operate(void **state) { check_operate(false); }
static void test_operate_async(void **state) { check_operate(true); }

/* Duplicate keys: every row is its own read or write (see batch_api.c). */
static void check_duplicates(bool async) {
    aw_key x = key_n(async ? "dup-a" : "dup-s", 0), y = key_n(async ? "dup-a" : "dup-s", 1);
    put_row(&x, 10);
    put_row(&y, 20);
    aw_key keys[] = {x, x, y, x};
    aw_batch_result res[4];
    assert_int_equal(get_(async, NULL, keys, 4, NULL, 0, false, res), AW_OK);
    int64_t want[] = {10, 10, 20, 10};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(res[i].code, AW_OK);
        assert_int_equal(int_bin(&res[i].rec, "a"), want[i]);
    }
    aw_batch_results_free(res, 4);

    aw_op inc = aw_op_incr("a", aw_value_int(1));
    aw_batch_op ops[3];
    for (int i = 0; i < 3; i++)
        ops[i] = (aw_batch_op){.kind = AW_BATCH_OP_OPERATE, .key = &x, .ops = &inc, .n_ops = 1};
    assert_int_equal(operate_(async, NULL, ops, 3, res), AW_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(res[i].code, AW_OK);
    aw_batch_results_free(res, 3);
    aw_record r = {0};
    aw_error err;
    tu_check(aw_get(client, NULL, &x, NULL, 0, &r, &err), &err, "get");
    assert_int_equal(int_bin(&r, "a"), 13);
    aw_record_free(&r);
}
static void test_duplicates(void **state) { check_duplicates(false); }
static void test_duplicates_async(void **state) { check_duplicates(true); }

/* --- arguments ----------------------------------------------------------------------------- */

static void test_args(void **state) {
    aw_key k = key_n("args", 0);
    aw_batch_result res[1];
    bool ex[1];
    aw_batch_op op = {.kind = AW_BATCH_OP_READ, .key = &k};
    aw_error err;
    uint64_t before = tu_stats(client).commands;
    /* n = 0: nothing to do, whatever the pointers */
    assert_int_equal(aw_batch_get(client, NULL, NULL, 0, NULL, 0, false, NULL, &err), AW_OK);
    assert_int_equal(aw_batch_exists(client, NULL, NULL, 0, NULL, NULL, &err), AW_OK);
    assert_int_equal(aw_batch_operate(client, NULL, NULL, 0, NULL, &err), AW_OK);
    /* NULLs */
    assert_int_equal(aw_batch_get(NULL, NULL, &k, 1, NULL, 0, false, res, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_get(client, NULL, NULL, 1, NULL, 0, false, res, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_get(client, NULL, &k, 1, NULL, 0, false, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_get(client, NULL, &k, 1, NULL, 2, false, res, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_exists(client, NULL, &k, 1, NULL, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_exists(NULL, NULL, &k, 1, ex, NULL, NULL), AW_ERR_PARAM);
    assert_int_equal(aw_batch_operate(client, NULL, NULL, 1, res, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_operate(client, NULL, &op, 1, NULL, &err), AW_ERR_PARAM);
    aw_batch_policy bad = aw_batch_policy_default();
    bad.base.replica = (aw_replica_policy)7;
    res[0].code = 12345;
    assert_int_equal(aw_batch_get(client, &bad, &k, 1, NULL, 0, false, res, &err), AW_ERR_PARAM);
    assert_int_equal(res[0].code, AW_ERR_PARAM); /* the rows say so too */
    assert_int_equal(aw_batch_exec(NULL, NULL, NULL, NULL, "batch", &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_exec(client, NULL, NULL, NULL, "batch", &err), AW_ERR_PARAM);
    /* async */
    acb a = {0};
    assert_int_equal(aw_batch_get_async(NULL, NULL, &k, 1, NULL, 0, false, res, on_batch, &a, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_batch_get_async(loop, NULL, &k, 1, NULL, 0, false, res, NULL, &a, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_batch_exists_async(loop, NULL, NULL, 1, ex, NULL, on_batch, &a, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_batch_operate_async(loop, NULL, &op, 1, NULL, on_batch, &a, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_loop_pending(loop), 0);
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(a.calls, 0);
    assert_int_equal(tu_stats(client).commands, before);
    /* async n = 0: the callback still comes, once, from the loop */
    wait_async(aw_batch_get_async(loop, NULL, NULL, 0, NULL, 0, false, NULL, on_batch, &a, &err),
               &err, &a, 2000);
    assert_int_equal(a.code, AW_OK);
    a.calls = 0;
    wait_async(aw_batch_operate_async(loop, NULL, NULL, 0, NULL, on_batch, &a, &err), &err, &a,
               2000);
    assert_int_equal(aw_loop_pending(loop), 0);
    assert_int_equal(tu_stats(client).commands, before);

    /* No cluster at all: nothing can be attempted. */
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = "127.0.0.1:1";
    cfg.fail_if_not_connected = false;
    aw_client *none = tu_client_new(&cfg);
    int32_t codes[1] = {7};
    assert_int_equal(aw_batch_get(none, NULL, &k, 1, NULL, 0, false, res, &err),
                     AW_ERR_INVALID_NODE);
    assert_int_equal(res[0].code, AW_ERR_INVALID_NODE);
    assert_int_equal(aw_batch_exists(none, NULL, &k, 1, ex, codes, &err), AW_ERR_INVALID_NODE);
    assert_int_equal(codes[0], AW_ERR_INVALID_NODE);
    assert_false(ex[0]);
    aw_client_close(none);
}

/* A bad bin name or key fails its own row only. */
static void check_bad_row(bool async) {
    enum { N = 6 };
    aw_key keys[N];
    for (int i = 0; i < N; i++) {
        keys[i] = key_n(async ? "bad-a" : "bad-s", i);
        put_row(&keys[i], i);
    }
    const char *long_name[] = {"sixteen-bytes-xx"};
    aw_batch_result res[N];
    /* batch get with a bad name: every row says so, the call is fine */
    assert_int_equal(get_(async, NULL, keys, N, long_name, 1, false, res), AW_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(res[i].code, AW_ERR_BAD_NAME);

    aw_key no_ns;
    memset(&no_ns, 0, sizeof no_ns);
    aw_bin bad_bin = {"sixteen-bytes-xx", aw_value_int(1)};
    aw_batch_op ops[N];
    for (int i = 0; i < N; i++)
        ops[i] = (aw_batch_op){.kind = AW_BATCH_OP_READ, .key = &keys[i]};
    ops[1].bins = long_name;
    ops[1].n_bins = 1;
    ops[2].key = NULL;
    ops[3].key = &no_ns;
    ops[4] = (aw_batch_op){.kind = AW_BATCH_OP_WRITE, .key = &keys[4], .write_bins = &bad_bin,
                           .n_bins = 1};
    uint64_t before = tu_stats(client).commands;
    assert_int_equal(operate_(async, NULL, ops, N, res), AW_OK);
    assert_int_equal(res[0].code, AW_OK);
    assert_int_equal(res[1].code, AW_ERR_BAD_NAME);
    assert_int_equal(res[2].code, AW_ERR_PARAM);
    assert_int_equal(res[3].code, AW_ERR_BAD_NAME);
    assert_int_equal(res[4].code, AW_ERR_BAD_NAME);
    assert_int_equal(res[5].code, AW_OK);
    assert_int_equal(int_bin(&res[5].rec, "a"), 5);
    assert_true(tu_stats(client).commands - before <= (uint64_t)n_nodes);
    aw_batch_results_free(res, N);
}
static void test_bad_row(void **state) { check_bad_row(false); }

/* Each row's names are its own: a batch remembers the last names it
 * checked, and a row whose names only look like them (a prefix, a longer
 * name, no NUL in the array) is checked and fails alone, while a row with
 * other bytes after its names' NULs is still the same key. */
static void test_names_between_rows(void **state) {
    (void)state;
    enum { N = 9 };
    aw_key good = key_n("names", 1);
    put_row(&good, 1);
    aw_key keys[N];
    for (int i = 0; i < N; i++)
        keys[i] = good;
    strcpy(keys[1].ns, "tes");
    strcpy(keys[2].ns, "testx");
    memset(keys[3].ns, 'x', sizeof keys[3].ns); /* over 31 bytes: no NUL */
    keys[4] = tu_key("test", "batc", "names-1"); /* a prefix of the set: another record */
    memset(keys[5].set, 'y', sizeof keys[5].set);
    memset(keys[6].ns + 5, 0x5a, sizeof keys[6].ns - 5); /* "test", NUL, other bytes */
    memset(keys[6].set + 6, 0xa5, sizeof keys[6].set - 6);
    strcpy(keys[7].ns, "bar");
    aw_batch_result res[N];
    assert_int_equal(get_(false, NULL, keys, N, NULL, 0, false, res), AW_OK);
    const int want[N] = {AW_OK, AW_ERR_NAMESPACE_NOT_FOUND, AW_ERR_NAMESPACE_NOT_FOUND,
                         AW_ERR_BAD_NAME, AW_ERR_RECORD_NOT_FOUND, AW_ERR_BAD_NAME,
                         AW_OK, AW_ERR_RECORD_NOT_FOUND, AW_OK};
    for (int i = 0; i < N; i++) {
        if (res[i].code != want[i])
            fail_msg("row %d: code %d, expected %d", i, res[i].code, want[i]);
        if (want[i] == AW_OK)
            assert_int_equal(int_bin(&res[i].rec, "a"), 1);
    }
    aw_batch_results_free(res, N);
}
static void test_bad_row_async(void **state) { check_bad_row(true); }

/* --- 100,000 keys ---------------------------------------------------------------------- */

enum { BIG = 100000 };
static aw_key *big_keys;

static void check_big(bool async) {
    aw_batch_policy p = aw_batch_policy_default();
    p.max_rows_per_request = 1000;
    p.base.total_timeout_ms = 20000;
    aw_batch_result *res = calloc(BIG, sizeof *res);
    assert_non_null(res);
    if (!big_keys) {
        big_keys = calloc(BIG, sizeof *big_keys);
        aw_bin *bins = calloc(BIG, sizeof *bins);
        aw_batch_op *ops = calloc(BIG, sizeof *ops);
        assert_true(big_keys && bins && ops);
        for (int i = 0; i < BIG; i++) {
            char name[32];
            snprintf(name, sizeof name, "big-%d", i);
            aw_error err;
            assert_int_equal(aw_key_init_str(&big_keys[i], "test", "big", name, &err), AW_OK);
            bins[i] = (aw_bin){"i", aw_value_int(i)};
            ops[i] = (aw_batch_op){.kind = AW_BATCH_OP_WRITE, .key = &big_keys[i],
                                   .write_bins = &bins[i], .n_bins = 1};
        }
        uint64_t before = tu_stats(client).commands;
        assert_int_equal(operate_(async, &p, ops, BIG, res), AW_OK);
        for (int i = 0; i < BIG; i++)
            if (res[i].code != AW_OK)
                fail_msg("write row %d: %s", i, aw_status_name(res[i].code));
        assert_true(tu_stats(client).commands - before >= BIG / 1000);
        aw_batch_results_free(res, BIG);
        free(bins);
        free(ops);
    }
    uint64_t before = tu_stats(client).commands;
    assert_int_equal(get_(async, &p, big_keys, BIG, NULL, 0, false, res), AW_OK);
    uint64_t reqs = tu_stats(client).commands - before;
    print_message("%d keys on %d node(s): %llu requests\n", BIG, n_nodes, (unsigned long long)reqs);
    /* each node's share split into requests of at most 1000 rows (a node
     * that would otherwise idle gets a request before it is full) */
    assert_true(reqs >= BIG / 1000 && reqs <= BIG / 250);
    for (int i = 0; i < BIG; i++) {
        if (res[i].code != AW_OK || res[i].rec.n_bins != 1 || int_bin(&res[i].rec, "i") != i)
            fail_msg("row %d: code %d", i, res[i].code);
    }
    aw_batch_results_free(res, BIG);
    free(res);
}
static void test_big(void **state) { check_big(false); }
static void test_big_async(void **state) { check_big(true); }

/* The client keeps a finished batch's requests, buffers and all, for its
 * next batch (batch_plan.c spare_give/spare_take), within 8 MB: the next
 * batch of the same size takes the very same requests and buffers back
 * instead of allocating (and faulting in) new ones. */
static bool spare_has(const aw_breq *r, const aw_breq *want) {
    for (; r; r = r->next_free)
        if (r == want)
            return true;
    return false;
}

static size_t spare_sum(const aw_client *c, size_t *count) {
    size_t sum = 0;
    *count = 0;
    for (const aw_breq *r = c->spare_reqs; r; r = r->next_free, (*count)++)
        sum += r->buf.cap + r->in.cap;
    return sum;
}

static void test_requests_kept(void **state) {
    (void)state;
    assert_non_null(big_keys); /* test_big made and wrote them */
    enum { N = 20000 };
    aw_batch_result *res = calloc(N, sizeof *res);
    assert_non_null(res);
    aw_batch_policy p = aw_batch_policy_default();
    p.base.total_timeout_ms = 20000;
    assert_int_equal(get_(false, &p, big_keys, N, NULL, 0, false, res), AW_OK);
    aw_batch_results_free(res, N);
    size_t count;
    size_t kept = spare_sum(client, &count);
    assert_true(count >= 1);
    assert_int_equal(kept, client->spare_bytes);
    assert_true(kept <= (8u << 20));
    /* Each node's reply is over 100 KB: their read buffers are kept. */
    const aw_breq *seen[8];
    size_t n_seen = 0, big_bufs = 0;
    for (const aw_breq *r = client->spare_reqs; r && n_seen < 8; r = r->next_free) {
        seen[n_seen++] = r;
        big_bufs += r->in.cap >= 100000;
    }
    assert_true(big_bufs >= 1);

    assert_int_equal(get_(false, &p, big_keys, N, NULL, 0, false, res), AW_OK);
    for (int i = 0; i < N; i++)
        if (res[i].code != AW_OK || int_bin(&res[i].rec, "i") != i)
            fail_msg("row %d: code %d", i, res[i].code);
    aw_batch_results_free(res, N);
    /* The same requests came back (a node's share may differ by a few
     * rows from the last time, so a buffer may have grown in place or
     * moved; the requests, with whatever they hold, are the ones kept). */
    for (size_t i = 0; i < n_seen; i++)
        assert_true(spare_has(client->spare_reqs, seen[i]));
    assert_int_equal(spare_sum(client, &count), client->spare_bytes);
    assert_true(client->spare_bytes <= (8u << 20));

    /* A batch too big for the cap keeps what fits and frees the rest. */
    aw_batch_result *all = calloc(BIG, sizeof *all);
    assert_non_null(all);
    assert_int_equal(get_(false, &p, big_keys, BIG, NULL, 0, false, all), AW_OK);
    aw_batch_results_free(all, BIG);
    free(all);
    assert_int_equal(spare_sum(client, &count), client->spare_bytes);
    assert_true(client->spare_bytes <= (8u << 20));
    free(res);
}
static int free_big(void **state) {
    free(big_keys);
    big_keys = NULL;
    return 0;
}

/* --- aw_batch_exec with a counting source and sink ------------------------------------ */

typedef struct counting {
    size_t n;
    aw_key *keys;
    int *calls;
    int *codes;
    size_t rows_seen;
    int done_calls;
    size_t rows_at_done;
    int done_code;
} counting;

static int c_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    counting *c = ctx;
    if (i % 97 == 3)
        return aw_error_set(err, AW_ERR_UNSUPPORTED, "row %zu cannot be encoded", i);
    row->key = &c->keys[i];
    row->kind = AW_BATCH_READ;
    return AW_OK;
}
static const aw_key *c_key(void *ctx, size_t i) {
    counting *c = ctx;
    return i % 101 == 50 ? NULL : &c->keys[i];
}
static bool c_writes(void *ctx, size_t i) { return false; }
static void c_sink(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                   const aw_error *err) {
    counting *c = ctx;
    assert_true(i < c->n);
    c->calls[i]++;
    c->codes[i] = result;
    c->rows_seen++;
    assert_false(in_doubt);
    if (result == AW_OK)
        assert_non_null(m); /* the server's answer comes with its message */
    if (!m) /* a client code, or a whole-batch code from LAST */
        assert_true(result != AW_OK && err && err->code == result && err->message[0]);
}
static void c_done(void *ctx, const aw_error *err) {
    counting *c = ctx;
    c->done_calls++;
    c->rows_at_done = c->rows_seen;
    c->done_code = err ? err->code : AW_OK;
    outstanding--;
}

static void check_exec(bool async) {
    enum { N = 2000 };
    counting c = {.n = N};
    c.keys = calloc(N, sizeof *c.keys);
    c.calls = calloc(N, sizeof *c.calls);
    c.codes = calloc(N, sizeof *c.codes);
    for (int i = 0; i < N; i++) {
        c.keys[i] = key_n(async ? "exec-a" : "exec-s", i);
        if (i % 2 == 0 && i < 200)
            put_row(&c.keys[i], i);
    }
    aw_batch_source src = {N, c_row, c_key, c_writes, &c, false};
    aw_batch_sink sink = {c_sink, &c};
    aw_batch_policy p = aw_batch_policy_default();
    p.max_rows_per_request = 128;
    aw_error err;
    if (async) {
        assert_int_equal(aw_batch_exec_async(loop, &p, &src, &sink, "batch", c_done, &c, &err),
                         AW_OK);
        assert_int_equal(c.rows_seen, 0);
        assert_int_equal(c.done_calls, 0);
        outstanding++;
        tu_run_until(base, &outstanding, 10000);
        assert_int_equal(c.done_calls, 1);
        assert_int_equal(c.rows_at_done, N);
        assert_int_equal(c.done_code, AW_OK);
        /* nothing more, ever */
        event_base_loop(base, EVLOOP_NONBLOCK);
        assert_int_equal(c.done_calls, 1);
        assert_int_equal(aw_loop_pending(loop), 0);
    } else {
        assert_int_equal(aw_batch_exec(client, &p, &src, &sink, "batch", &err), AW_OK);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(c.calls[i], 1);
        int want = i % 101 == 50   ? AW_ERR_PARAM
                   : i % 97 == 3   ? AW_ERR_UNSUPPORTED
                   : i % 2 == 0 && i < 200 ? AW_OK
                                           : AW_ERR_RECORD_NOT_FOUND;
        if (c.codes[i] != want)
            fail_msg("row %d: code %d, want %d", i, c.codes[i], want);
    }
    free(c.keys);
    free(c.calls);
    free(c.codes);
}
static void test_exec(void **state) { check_exec(false); }
static void test_exec_async(void **state) { check_exec(true); }

/* --- the plan's reply checks, fed by hand ------------------------------------------------- */

static int p_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    counting *c = ctx;
    row->key = &c->keys[i];
    row->kind = AW_BATCH_READ;
    return AW_OK;
}
static const aw_key *p_key(void *ctx, size_t i) { return &((counting *)ctx)->keys[i]; }

/* One reply message: a row (index, result) or LAST (last = true). */
static void msg(aw_buf *b, uint32_t index, int result, bool last) {
    aw_msg_header h = {0};
    h.result_code = (uint8_t)result;
    h.transaction_ttl = last ? 0 : index;
    h.info3 = last ? AW_INFO3_LAST : 0;
    h.generation = 1;
    aw_buf_msg_header(b, &h);
}

static int feed(aw_bplan *p, aw_breq *r, aw_buf *b) {
    aw_error err;
    int rc = aw_bplan_feed(p, r, b->data, b->len, &err);
    aw_buf_reset(b);
    return rc;
}

/* Rows answered twice, rows of another request, indexes past n, LAST with
 * a code and LAST leaving rows unanswered: what the engine makes of each,
 * on a plan whose requests are fed by hand (nothing is sent). */
static void test_plan_replies(void **state) {
    enum { N = 10 };
    counting c = {.n = N};
    aw_key keys[N];
    int calls[N] = {0}, codes[N];
    c.keys = keys;
    c.calls = calls;
    c.codes = codes;
    for (int i = 0; i < N; i++)
        keys[i] = key_n("plan", i);
    aw_batch_source src = {N, p_row, p_key, c_writes, &c, false};
    aw_batch_sink sink = {c_sink, &c};
    aw_batch_policy pol = aw_batch_policy_default();
    aw_bplan p;
    aw_error err;
    uint64_t now = aw_now_ms();
    assert_int_equal(aw_bplan_init(&p, client, &pol, &src, &sink, now, &err), AW_OK);
    aw_bplan_fill(&p, now);
    aw_breq *r = aw_bplan_next(&p);
    assert_non_null(r);
    assert_int_equal(r->n_rows, N);
    assert_null(aw_bplan_next(&p)); /* one node, one request in flight */
    aw_buf b;
    aw_buf_init(&b);

    /* two rows, then one of them again */
    msg(&b, 0, AW_OK, false);
    msg(&b, 1, AW_ERR_RECORD_NOT_FOUND, false);
    assert_int_equal(feed(&p, r, &b), 0);
    assert_int_equal(calls[0] + calls[1], 2);
    assert_int_equal(codes[1], AW_ERR_RECORD_NOT_FOUND);
    msg(&b, 0, AW_OK, false);
    assert_int_equal(feed(&p, r, &b), AW_ERR_PROTO);
    assert_int_equal(calls[0], 1);
    /* the connection is dropped: the 8 unanswered reads wait for attempt 1 */
    aw_error_set(&err, AW_ERR_PROTO, "garbage");
    aw_bplan_failed(&p, r, AW_ERR_PROTO, &err, now);
    assert_int_equal(p.n_retry, N - 2);
    aw_bplan_fill(&p, now);
    r = aw_bplan_next(&p);
    assert_non_null(r);
    assert_int_equal(r->n_rows, N - 2);
    assert_int_equal(r->attempt, 1);

    /* a row of the earlier request, an index past n */
    msg(&b, 1, AW_OK, false);
    assert_int_equal(feed(&p, r, &b), AW_ERR_PROTO);
    msg(&b, N, AW_OK, false);
    assert_int_equal(feed(&p, r, &b), AW_ERR_PROTO);
    /* LAST with code 0 and rows left: they are retried (attempt 2) */
    msg(&b, 2, AW_OK, false);
    msg(&b, 0, AW_OK, true);
    assert_int_equal(feed(&p, r, &b), 1);
    aw_bplan_done(&p, r, now);
    assert_int_equal(p.n_retry, N - 3);
    aw_bplan_fill(&p, now);
    r = aw_bplan_next(&p);
    assert_int_equal(r->attempt, 2);
    /* bytes after LAST */
    msg(&b, 0, AW_OK, true);
    msg(&b, 3, AW_OK, false);
    assert_int_equal(feed(&p, r, &b), AW_ERR_PROTO);
    aw_bplan_failed(&p, r, AW_ERR_PROTO, &err, now); /* retries used up: reported */
    for (int i = 3; i < N; i++)
        assert_int_equal(codes[i], AW_ERR_PROTO);
    assert_true(aw_bplan_finished(&p));
    for (int i = 0; i < N; i++)
        assert_int_equal(calls[i], 1);

    /* LAST carrying the server's code answers the rows left with it */
    aw_bplan_free(&p);
    memset(calls, 0, sizeof calls);
    assert_int_equal(aw_bplan_init(&p, client, &pol, &src, &sink, now, &err), AW_OK);
    aw_bplan_fill(&p, now);
    r = aw_bplan_next(&p);
    msg(&b, 4, AW_OK, false);
    msg(&b, 0, AW_ERR_BATCH_QUEUES_FULL, true);
    assert_int_equal(feed(&p, r, &b), 1);
    aw_bplan_done(&p, r, now);
    assert_true(aw_bplan_finished(&p));
    for (int i = 0; i < N; i++) {
        assert_int_equal(calls[i], 1);
        assert_int_equal(codes[i], i == 4 ? AW_OK : AW_ERR_BATCH_QUEUES_FULL);
    }
    aw_bplan_free(&p);
    aw_buf_free(&b);
}

/* --- the bytes on the wire ------------------------------------------------------------------ */

static aw_buf traced;
static int n_traced;
static void trace(void *ctx, const uint8_t *frame, size_t len) {
    (void)ctx;
    n_traced++;
    aw_buf_reset(&traced);
    aw_buf_put(&traced, frame, len);
}

/* A batch get of the captured keys (integer keys 95..104 of test/sensors,
 * all bins, total timeout 1000 ms) puts on the wire exactly the request the
 * official client sent, which test_batch_request.c rebuilds with the codec. */
static void check_wire(bool async) {
    aw_key keys[10];
    aw_error err;
    for (int i = 0; i < 10; i++)
        assert_int_equal(aw_key_init_int(&keys[i], "test", "sensors", 95 + i, &err), AW_OK);
    aw_buf_init(&traced);
    n_traced = 0;
    aw_bplan_trace = trace;
    aw_batch_result res[10];
    aw_batch_policy p = aw_batch_policy_default();
    assert_int_equal(p.base.total_timeout_ms, CAPTURE_TIMEOUT_MS);
    get_(async, &p, keys, 10, NULL, 0, false, res);
    aw_bplan_trace = NULL;
    aw_batch_results_free(res, 10);
    assert_int_equal(n_traced, 1);
    const char *hex =
        json_string_value(json_object_get(tu_command("batch_get_all_bins"), "request_hex"));
    assert_non_null(hex);
    assert_hex_equal("batch_get_all_bins", traced.data, traced.len, hex);
    aw_buf_free(&traced);
}
static void test_wire(void **state) { check_wire(false); }
static void test_wire_async(void **state) { check_wire(true); }

int main(void) {
    const struct CMUnitTest one[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_names_between_rows),
        cmocka_unit_test(test_wire),
        cmocka_unit_test(test_wire_async),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_get_async),
        cmocka_unit_test(test_exists),
        cmocka_unit_test(test_exists_async),
        cmocka_unit_test(test_operate),
        cmocka_unit_test(test_operate_async),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_duplicates_async),
        cmocka_unit_test(test_bad_row),
        cmocka_unit_test(test_bad_row_async),
        cmocka_unit_test(test_exec),
        cmocka_unit_test(test_exec_async),
        cmocka_unit_test(test_plan_replies),
    };
    const struct CMUnitTest three[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_order_async),
        cmocka_unit_test(test_operate),
        cmocka_unit_test(test_exec_async),
        cmocka_unit_test(test_big),
        cmocka_unit_test(test_requests_kept),
        cmocka_unit_test_teardown(test_big_async, free_big),
    };
    int rc = cmocka_run_group_tests_name("batch, one node", one, start_one, stop);
    rc |= cmocka_run_group_tests_name("batch, three nodes", three, start_three, stop);
    return rc || tu_testd_stop_failed;
}
