/*
 * Scans, queries, secondary indexes, truncate and background jobs against
 * the server AEROSPIKE_HOSTS names (a real Aerospike server; aw-testd once
 * it serves them). Skipped when AEROSPIKE_HOSTS is unset.
 *
 * Everything happens in namespace AEROSPIKE_NS (default "test"), in a set
 * and under index names of this run's own ("qc<pid>..."); the set is
 * truncated and the indexes dropped at the end. No other set or index is
 * touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aerowire/aerowire.h"

static aw_client *client;
static const char *ns = "test";
static char set[32], set_t[40], idx_i[48], idx_l[48];

static void expect_ok(int rc, const aw_error *err, const char *what) {
    if (rc != AW_OK)
        fail_msg("%s: rc %d: %s", what, rc, err->message);
}

static bool listed(const char *name, aw_index_info *out) {
    aw_index_info *list;
    size_t n;
    aw_error err;
    expect_ok(aw_index_list(client, ns, &list, &n, &err), &err, "index list");
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].name, name) == 0) {
            found = true;
            if (out)
                *out = list[i];
        }
    aw_free(list);
    return found;
}

static void test_index_admin(void **state) {
    (void)state;
    aw_error err;
    aw_index_spec s = {.ns = ns, .set = set, .name = idx_i, .bin = "i", .type = AW_INDEX_NUMERIC};
    expect_ok(aw_index_create(client, &s, 0, &err), &err, "create");
    expect_ok(aw_index_wait(client, ns, idx_i, 50, 10000, &err), &err, "wait");
    aw_index_info info;
    assert_true(listed(idx_i, &info));
    assert_string_equal(info.set, set);
    assert_string_equal(info.bin, "i");
    assert_int_equal(info.type, AW_INDEX_NUMERIC);
    assert_int_equal(info.collection, AW_INDEX_DEFAULT);
    assert_true(info.readable);
    /* the same definition again is fine; the name with another is 200 */
    expect_ok(aw_index_create(client, &s, 0, &err), &err, "create again");
    aw_index_spec other = s;
    other.bin = "s";
    other.type = AW_INDEX_STRING;
    assert_int_equal(aw_index_create(client, &other, 0, &err), AW_ERR_INDEX_FOUND);
    assert_non_null(strstr(err.message, "already exists"));
    /* a list index */
    aw_index_spec ls = {.ns = ns, .set = set, .name = idx_l, .bin = "l",
                        .type = AW_INDEX_NUMERIC, .collection = AW_INDEX_LIST};
    expect_ok(aw_index_create(client, &ls, 0, &err), &err, "create list");
    expect_ok(aw_index_wait(client, ns, idx_l, 50, 10000, &err), &err, "wait list");
    assert_true(listed(idx_l, &info));
    assert_int_equal(info.collection, AW_INDEX_LIST);
    /* an unknown index: waiting is 201, dropping is fine */
    char unknown[64];
    snprintf(unknown, sizeof unknown, "%s_none", idx_i);
    assert_int_equal(aw_index_wait(client, ns, unknown, 50, 1000, &err), AW_ERR_INDEX_NOT_FOUND);
    expect_ok(aw_index_drop(client, ns, unknown, 0, &err), &err, "drop unknown");
    /* a bad parameter is the server's 4 */
    aw_index_spec bad = s;
    bad.name = unknown;
    bad.type = AW_INDEX_GEO2DSPHERE;
    bad.collection = AW_INDEX_MAPKEYS;
    bad.bin = "i";
    int rc = aw_index_create(client, &bad, 0, &err);
    if (rc == AW_OK)
        aw_index_drop(client, ns, unknown, 0, NULL);
}

static void test_truncate_own_set(void **state) {
    (void)state;
    aw_error err;
    aw_key k;
    aw_key_init_int(&k, ns, set_t, 999999, &err);
    aw_bin b = {"i", aw_value_int(1)};
    expect_ok(aw_put(client, NULL, &k, &b, 1, &err), &err, "put");
    expect_ok(aw_truncate(client, ns, set_t, 0, 0, &err), &err, "truncate");
    /* a cut-off in the future is the server's 4 */
    assert_int_equal(aw_truncate(client, ns, set, 4102444800ull * 1000000000ull, 0, &err),
                     AW_ERR_REQUEST_INVALID);
}

static void test_job_status_unknown(void **state) {
    (void)state;
    aw_error err;
    aw_job_info info;
    expect_ok(aw_job_status(client, 987654321123ull, &info, &err), &err, "job status");
    assert_int_equal(info.state, AW_JOB_NOT_FOUND);
    expect_ok(aw_job_wait(client, 987654321123ull, 10, 1000, &err), &err, "job wait");
}


/* ---- scans and queries ---------------------------------------------------------
 * N records keyed 0..N-1 (stored with the key): i = k, s = "s<k>", l = [k, k+1]. */
#define N 300

typedef struct seen {
    int count[N];
    size_t total;
    size_t stop_after;      /* return false at this record (0 = never) */
    int64_t sum_i;
    uint32_t bins_max;
} seen;

static bool on_rec(const aw_key *key, aw_record *rec, void *udata) {
    seen *s = udata;
    assert_int_equal(key->user_key.type, AW_INT);
    int64_t k = key->user_key.u.i;
    assert_true(k >= 0 && k < N);
    assert_string_equal(key->set, set);
    s->count[k]++;
    s->total++;
    const aw_value *i = aw_record_get(rec, "i");
    if (i) {
        assert_int_equal(i->type, AW_INT);
        s->sum_i += i->u.i;
    }
    if (rec->n_bins > s->bins_max)
        s->bins_max = rec->n_bins;
    return !(s->stop_after && s->total == s->stop_after);
}

static void expect_each_once(const seen *s, int64_t lo, int64_t hi) {
    for (int64_t k = 0; k < N; k++)
        if (s->count[k] != (k >= lo && k <= hi ? 1 : 0))
            fail_msg("key %lld seen %d times", (long long)k, s->count[k]);
}

static int setup_records(void **state) {
    (void)state;
    aw_error err;
    aw_policy wp = aw_policy_write();
    wp.send_key = true;
    for (int64_t k = 0; k < N; k++) {
        aw_key key;
        aw_key_init_int(&key, ns, set, k, &err);
        char str[24]; /* "s" and any int64 */
        snprintf(str, sizeof str, "s%lld", (long long)k);
        aw_value items[2] = {aw_value_int(k), aw_value_int(k + 1)};
        aw_bin bins[3] = {{"i", aw_value_int(k)}, {"s", aw_value_str(str)},
                          {"l", aw_value_list(items, 2)}};
        if (aw_put(client, &wp, &key, bins, 3, &err) != AW_OK) {
            fprintf(stderr, "put: %s\n", err.message);
            return -1;
        }
    }
    return 0;
}

static aw_query scan_of_set(void) {
    aw_query q = {.ns = ns, .set = set};
    return q;
}

static void test_scan_everything(void **state) {
    (void)state;
    aw_error err;
    aw_query q = scan_of_set();
    seen *s = calloc(1, sizeof *s);
    expect_ok(aw_query_foreach(client, NULL, &q, NULL, on_rec, s, &err), &err, "scan");
    expect_each_once(s, 0, N - 1);
    assert_int_equal(s->sum_i, (int64_t)N * (N - 1) / 2);
    assert_int_equal(s->bins_max, 3);
    /* named bins, then none */
    const char *bins[] = {"i"};
    q.bins = bins;
    q.n_bins = 1;
    memset(s, 0, sizeof *s);
    expect_ok(aw_query_foreach(client, NULL, &q, NULL, on_rec, s, &err), &err, "scan bins");
    assert_int_equal(s->total, N);
    assert_int_equal(s->bins_max, 1);
    q.bins = NULL;
    q.n_bins = 0;
    aw_query_policy p = aw_query_policy_default();
    p.include_bin_data = false;
    memset(s, 0, sizeof *s);
    expect_ok(aw_query_foreach(client, &p, &q, NULL, on_rec, s, &err), &err, "scan no bins");
    expect_each_once(s, 0, N - 1);
    assert_int_equal(s->bins_max, 0);
    /* a filter expression */
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *lt = NULL;
    assert_int_equal(aw_exp_compile(b, aw_exp_lt(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 25)),
                                    &lt, NULL), AW_OK);
    aw_exp_builder_free(b);
    p = aw_query_policy_default();
    p.base.filter = lt;
    memset(s, 0, sizeof *s);
    expect_ok(aw_query_foreach(client, &p, &q, NULL, on_rec, s, &err), &err, "scan filter");
    expect_each_once(s, 0, 24);
    aw_exp_free(lt);
    /* one node at a time gives the same */
    p = aw_query_policy_default();
    p.max_concurrent_nodes = 1;
    memset(s, 0, sizeof *s);
    expect_ok(aw_query_foreach(client, &p, &q, NULL, on_rec, s, &err), &err, "scan serial");
    expect_each_once(s, 0, N - 1);
    free(s);
}

/* Pages of max_records through one cursor that is written to bytes and read
 * back between pages (as another process would): every record exactly once. */
static void test_pages_resume_through_bytes(void **state) {
    (void)state;
    aw_error err;
    aw_query q = scan_of_set();
    aw_partition_filter all = aw_partition_filter_all();
    aw_partition_status *ps;
    expect_ok(aw_partition_status_new(&all, &ps, &err), &err, "cursor");
    aw_query_policy p = aw_query_policy_default();
    p.max_records = 70;
    seen *s = calloc(1, sizeof *s);
    int pages = 0;
    while (!aw_partition_status_done(ps)) {
        size_t before = s->total;
        expect_ok(aw_query_foreach(client, &p, &q, ps, on_rec, s, &err), &err, "page");
        assert_true(s->total - before <= 70);
        uint8_t *bytes;
        size_t len;
        expect_ok(aw_partition_status_write(ps, &bytes, &len, &err), &err, "write");
        aw_partition_status_free(ps);
        expect_ok(aw_partition_status_read(bytes, len, &ps, &err), &err, "read");
        aw_free(bytes);
        assert_true(++pages <= N / 70 + 2);
    }
    expect_each_once(s, 0, N - 1);
    assert_true(pages >= N / 70);
    aw_partition_status_free(ps);
    free(s);
}

/* The callback stops the scan; the same cursor then delivers the rest. */
static void test_abort_then_resume(void **state) {
    (void)state;
    aw_error err;
    aw_query q = scan_of_set();
    aw_partition_filter all = aw_partition_filter_all();
    aw_partition_status *ps;
    expect_ok(aw_partition_status_new(&all, &ps, &err), &err, "cursor");
    seen *s = calloc(1, sizeof *s);
    s->stop_after = 40;
    assert_int_equal(aw_query_foreach(client, NULL, &q, ps, on_rec, s, &err),
                     AW_ERR_CLIENT_ABORT);
    assert_int_equal(s->total, 40);
    assert_false(aw_partition_status_done(ps));
    s->stop_after = 0;
    expect_ok(aw_query_foreach(client, NULL, &q, ps, on_rec, s, &err), &err, "resume");
    expect_each_once(s, 0, N - 1);
    assert_true(aw_partition_status_done(ps));
    aw_partition_status_free(ps);
    free(s);
}

/* A partition range and a single partition see exactly their records. */
static void test_partition_filters(void **state) {
    (void)state;
    aw_error err;
    aw_query q = scan_of_set();
    aw_partition_filter f = aw_partition_filter_range(0, 2048);
    aw_partition_status *ps;
    expect_ok(aw_partition_status_new(&f, &ps, &err), &err, "cursor");
    seen *s = calloc(1, sizeof *s);
    expect_ok(aw_query_foreach(client, NULL, &q, ps, on_rec, s, &err), &err, "range");
    for (int64_t k = 0; k < N; k++) {
        aw_key key;
        aw_key_init_int(&key, ns, set, k, &err);
        assert_int_equal(s->count[k], aw_partition_id(key.digest) < 2048 ? 1 : 0);
    }
    aw_partition_status_free(ps);
    /* after the digest of key 7: its partition, below that digest */
    aw_key k7;
    aw_key_init_int(&k7, ns, set, 7, &err);
    f = aw_partition_filter_after(k7.digest);
    expect_ok(aw_partition_status_new(&f, &ps, &err), &err, "cursor");
    memset(s, 0, sizeof *s);
    expect_ok(aw_query_foreach(client, NULL, &q, ps, on_rec, s, &err), &err, "after");
    assert_int_equal(s->count[7], 0);
    for (int64_t k = 0; k < N; k++) {
        aw_key key;
        aw_key_init_int(&key, ns, set, k, &err);
        bool want = aw_partition_id(key.digest) == aw_partition_id(k7.digest) &&
                    memcmp(key.digest, k7.digest, AW_DIGEST_SIZE) < 0;
        assert_int_equal(s->count[k], want ? 1 : 0);
    }
    aw_partition_status_free(ps);
    free(s);
}

static void test_index_queries(void **state) {
    (void)state;
    aw_error err;
    aw_index_spec si = {.ns = ns, .set = set, .name = idx_i, .bin = "i", .type = AW_INDEX_NUMERIC};
    aw_index_spec sl = {.ns = ns, .set = set, .name = idx_l, .bin = "l",
                        .type = AW_INDEX_NUMERIC, .collection = AW_INDEX_LIST};
    expect_ok(aw_index_create(client, &si, 0, &err), &err, "create i");
    expect_ok(aw_index_create(client, &sl, 0, &err), &err, "create l");
    expect_ok(aw_index_wait(client, ns, idx_i, 50, 10000, &err), &err, "wait i");
    expect_ok(aw_index_wait(client, ns, idx_l, 50, 10000, &err), &err, "wait l");
    aw_query q = scan_of_set();
    aw_index_filter w = aw_filter_range("i", 10, 19);
    q.where = &w;
    seen *s = calloc(1, sizeof *s);
    expect_ok(aw_query_foreach(client, NULL, &q, NULL, on_rec, s, &err), &err, "range");
    expect_each_once(s, 10, 19);
    w = aw_filter_contains_int("l", AW_INDEX_LIST, 50); /* [49, 50] and [50, 51] */
    memset(s, 0, sizeof *s);
    expect_ok(aw_query_foreach(client, NULL, &q, NULL, on_rec, s, &err), &err, "contains");
    expect_each_once(s, 49, 50);
    /* pages of a query resume by digest and bval */
    w = aw_filter_range("i", 100, 199);
    aw_partition_filter all = aw_partition_filter_all();
    aw_partition_status *ps;
    expect_ok(aw_partition_status_new(&all, &ps, &err), &err, "cursor");
    aw_query_policy p = aw_query_policy_default();
    p.max_records = 30;
    memset(s, 0, sizeof *s);
    for (int pages = 0; !aw_partition_status_done(ps); pages++) {
        assert_true(pages < 100 / 30 + 3);
        expect_ok(aw_query_foreach(client, &p, &q, ps, on_rec, s, &err), &err, "query page");
    }
    expect_each_once(s, 100, 199);
    aw_partition_status_free(ps);
    /* no index on s for an integer predicate: the server's 201, no retry */
    w = aw_filter_equal_int("s", 3);
    p = aw_query_policy_default();
    p.base.max_retries = 0;
    assert_int_equal(aw_query_foreach(client, &p, &q, NULL, on_rec, s, &err),
                     AW_ERR_INDEX_NOT_FOUND);
    /* a range the wrong way round: the server's 4 at once */
    w = aw_filter_range("i", 20, 10);
    assert_int_equal(aw_query_foreach(client, NULL, &q, NULL, on_rec, s, &err),
                     AW_ERR_REQUEST_INVALID);
    free(s);
}

/* A background job writes a bin on every record the index selects. */
static void test_background_ops(void **state) {
    (void)state;
    aw_error err;
    aw_query q = scan_of_set();
    aw_index_filter w = aw_filter_range("i", 0, 49);
    q.where = &w;
    aw_op op = aw_op_write("bg", aw_value_int(7));
    q.ops = &op;
    q.n_ops = 1;
    uint64_t id = 0;
    expect_ok(aw_query_background(client, NULL, NULL, &q, &id, &err), &err, "background");
    assert_true(id != 0);
    expect_ok(aw_job_wait(client, id, 20, 20000, &err), &err, "job wait");
    aw_job_info info;
    expect_ok(aw_job_status(client, id, &info, &err), &err, "job status");
    assert_int_equal(info.state, AW_JOB_DONE);
    assert_int_equal(info.records_succeeded, 50);
    /* read ops are refused before anything is sent */
    aw_op rd = aw_op_read("i");
    q.ops = &rd;
    assert_int_equal(aw_query_background(client, NULL, NULL, &q, &id, &err), AW_ERR_PARAM);
    /* the scan sees exactly those 50 with the bin */
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *has = NULL;
    assert_int_equal(aw_exp_compile(b, aw_exp_eq(b, aw_exp_bin_int(b, "bg"), aw_exp_int(b, 7)),
                                    &has, NULL), AW_OK);
    aw_exp_builder_free(b);
    aw_query all = scan_of_set();
    aw_query_policy p = aw_query_policy_default();
    p.base.filter = has;
    seen *s = calloc(1, sizeof *s);
    expect_ok(aw_query_foreach(client, &p, &all, NULL, on_rec, s, &err), &err, "scan bg");
    expect_each_once(s, 0, 49);
    aw_exp_free(has);
    free(s);
}

/* Whether a node's answer to `request` holds `token` as an item of its
 * ';'-separated list (or, with prefix, at the start of one). */
static bool info_has(const char *request, const char *token, bool prefix) {
    char *reply = NULL;
    aw_error err;
    expect_ok(aw_info(client, NULL, request, 0, &reply, &err), &err, request);
    bool has = false;
    size_t n = strlen(token);
    const char *v = strchr(reply, '\t');
    for (const char *p = v ? v + 1 : reply; p && *p && !has; p = strchr(p, ';'), p = p ? p + 1 : p)
        has = strncmp(p, token, n) == 0 && (prefix || p[n] == ';' || p[n] == '\n' || !p[n]);
    aw_free(reply);
    return has;
}

/* A background UDF job: refused with 16 by a server without Lua (aw-testd
 * lists no `udf` feature), nothing written; on a server that has the module
 * client_record_lists.lua registered (this test registers none), its
 * append(rec, bin, ...) runs on exactly the records the index selects. */
static void test_background_udf(void **state) {
    (void)state;
    aw_error err;
    aw_query q = scan_of_set();
    aw_index_filter w = aw_filter_range("i", 50, 59);
    q.where = &w;
    aw_value args[2] = {aw_value_str("ul"), aw_value_int(7)};
    aw_udf_call udf = {"client_record_lists", "append", args, 2};
    uint64_t id = 0;
    bool has_lua = info_has("features", "udf", false);
    if (!has_lua) {
        assert_int_equal(aw_query_background_udf(client, NULL, NULL, &q, &udf, &id, &err),
                         AW_ERR_UNSUPPORTED_FEATURE);
        assert_int_equal(id, 0);
    } else if (!info_has("udf-list", "filename=client_record_lists.lua,", true)) {
        printf("test_background_udf: no client_record_lists.lua registered; UDF job not run\n");
        return;
    } else {
        expect_ok(aw_query_background_udf(client, NULL, NULL, &q, &udf, &id, &err), &err,
                  "background udf");
        assert_true(id != 0);
        expect_ok(aw_job_wait(client, id, 20, 20000, &err), &err, "udf job wait");
        aw_job_info info;
        expect_ok(aw_job_status(client, id, &info, &err), &err, "udf job status");
        assert_int_equal(info.state, AW_JOB_DONE);
        assert_int_equal(info.records_succeeded, 10);
    }
    for (int64_t k = 45; k < 65; k++) {
        aw_key key;
        aw_key_init_int(&key, ns, set, k, &err);
        aw_record rec;
        expect_ok(aw_get(client, NULL, &key, NULL, 0, &rec, &err), &err, "get");
        const aw_value *ul = aw_record_get(&rec, "ul");
        if (has_lua && k >= 50 && k <= 59) {
            assert_non_null(ul);
            assert_int_equal(ul->type, AW_LIST);
            assert_int_equal(ul->len, 1);
            assert_int_equal(ul->u.items[0].u.i, 7);
        } else {
            assert_null(ul);
        }
        aw_record_free(&rec);
    }
}

/* After truncate, scans soon find nothing: the cut-off reaches the nodes
 * through the cluster's metadata, so the scan is repeated until then. */
static void test_scan_after_truncate(void **state) {
    (void)state;
    aw_error err;
    expect_ok(aw_truncate(client, ns, set, 0, 0, &err), &err, "truncate");
    aw_query q = scan_of_set();
    seen *s = calloc(1, sizeof *s);
    for (int tries = 0;; tries++) {
        memset(s, 0, sizeof *s);
        expect_ok(aw_query_foreach(client, NULL, &q, NULL, on_rec, s, &err), &err, "scan");
        if (s->total == 0)
            break;
        assert_true(tries < 100); /* 5 s */
        usleep(50000);
    }
    free(s);
}

static int teardown(void **state) {
    (void)state;
    aw_index_drop(client, ns, idx_i, 0, NULL);
    aw_index_drop(client, ns, idx_l, 0, NULL);
    aw_truncate(client, ns, set, 0, 0, NULL);
    aw_truncate(client, ns, set_t, 0, 0, NULL);
    return 0;
}

int main(void) {
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    if (!hosts || !*hosts) {
        printf("test_query_server: AEROSPIKE_HOSTS is not set; skipped\n");
        return 0;
    }
    if (getenv("AEROSPIKE_NS"))
        ns = getenv("AEROSPIKE_NS");
    snprintf(set, sizeof set, "qc%ld", (long)getpid());
    snprintf(set_t, sizeof set_t, "%st", set);
    snprintf(idx_i, sizeof idx_i, "%s_i", set);
    snprintf(idx_l, sizeof idx_l, "%s_l", set);
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    aw_error err;
    if (aw_client_new(&client, &cfg, &err) != AW_OK) {
        fprintf(stderr, "cannot connect to %s: %s\n", hosts, err.message);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_admin),
        cmocka_unit_test(test_truncate_own_set),
        cmocka_unit_test(test_job_status_unknown),
        cmocka_unit_test_setup(test_scan_everything, setup_records),
        cmocka_unit_test(test_pages_resume_through_bytes),
        cmocka_unit_test(test_abort_then_resume),
        cmocka_unit_test(test_partition_filters),
        cmocka_unit_test(test_index_queries),
        cmocka_unit_test(test_background_ops),
        cmocka_unit_test(test_background_udf),
        cmocka_unit_test(test_scan_after_truncate),
    };
    int failed = cmocka_run_group_tests(tests, NULL, teardown);
    aw_client_close(client);
    return failed;
}
