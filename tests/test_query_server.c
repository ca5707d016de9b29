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
static char set[32], idx_i[48], idx_l[48];

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
    aw_key_init_int(&k, ns, set, 999999, &err);
    aw_bin b = {"i", aw_value_int(1)};
    expect_ok(aw_put(client, NULL, &k, &b, 1, &err), &err, "put");
    expect_ok(aw_truncate(client, ns, set, 0, 0, &err), &err, "truncate");
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

static int teardown(void **state) {
    (void)state;
    aw_index_drop(client, ns, idx_i, 0, NULL);
    aw_index_drop(client, ns, idx_l, 0, NULL);
    aw_truncate(client, ns, set, 0, 0, NULL);
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
    };
    int failed = cmocka_run_group_tests(tests, NULL, teardown);
    aw_client_close(client);
    return failed;
}
