/*
 * The sync scan/query engine's failure paths against aw-testd (3 nodes; a
 * partition p's master is node p % 3): a node that never answers (socket
 * timeout, then the total timeout), one that drops the connection, and a
 * partition that no node holds. Each scan asks one partition (master node
 * p % 3, replica (p + 1) % 3), so only those two nodes are involved; the
 * requests each received show how many rounds ran and where (a retry goes
 * to the next replica). These hold whether aw-testd serves scans or refuses
 * them: the faults strike first, or the assertion allows both answers.
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
#include "support/client_fixture.h"
#include "support/testd_proc.h"

#define NODES 3

static tu_testd srv;
static aw_client *client;

static int start(void **state) {
    if (tu_testd_start_nodes(&srv, NODES, NULL) != 0)
        return -1;
    aw_config cfg = tu_client_config(&srv, 100);
    cfg.max_error_rate = 0; /* every request goes out, faults or not */
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    return tu_wait_nodes(client, NODES, 3000) == NODES ? 0 : -1;
}

static int stop(void **state) {
    aw_client_close(client);
    return tu_testd_stop_group(&srv);
}

static int heal(void **state) {
    tu_testd_clear_faults(&srv);
    return 0;
}

static bool never(const aw_key *key, aw_record *rec, void *udata) {
    (void)key;
    (void)rec;
    ++*(int *)udata;
    return true;
}

static uint64_t commands_of(int node) {
    uint64_t commands = 0, held = 0;
    assert_true(tu_testd_stats(&srv, (node + 1) % NODES, node, &commands, &held));
    return commands;
}

/* Scans partition pid (mastered by node pid % 3) under policy p. */
static int scan_partition(uint32_t pid, const aw_query_policy *p, aw_partition_status **ps,
                          aw_error *err) {
    aw_partition_filter f = aw_partition_filter_id(pid);
    assert_int_equal(aw_partition_status_new(&f, ps, NULL), AW_OK);
    aw_query q = {.ns = "test", .set = "qf"};
    int records = 0;
    int rc = aw_query_foreach(client, p, &q, *ps, never, &records, err);
    assert_int_equal(records, 0);
    return rc;
}

/* The partition stays to do, flagged for the next call to ask again. */
static void expect_left_to_retry(const aw_partition_status *ps, uint32_t pid) {
    aw_partition_info pi;
    assert_int_equal(aw_partition_status_get(ps, pid, &pi, NULL), AW_OK);
    assert_false(pi.done);
    assert_true(pi.retry);
    assert_false(aw_partition_status_done(ps));
}

/* Silent nodes: each round ends at the socket timeout and asks again, the
 * master and the replica in turn, max_retries times; then the call fails
 * with the timeout. */
static void test_socket_timeout_retried(void **state) {
    (void)state;
    tu_testd_fault(&srv, 0, "blackhole=1");
    tu_testd_fault(&srv, 1, "blackhole=1");
    uint64_t before = commands_of(0), before1 = commands_of(1);
    aw_client_stats s0 = tu_stats(client);
    aw_query_policy p = aw_query_policy_default();
    p.base.socket_timeout_ms = 100;
    p.base.max_retries = 2;
    aw_partition_status *ps;
    aw_error err;
    uint64_t t0 = tu_now_ms();
    assert_int_equal(scan_partition(3, &p, &ps, &err), AW_ERR_TIMEOUT);
    uint64_t took = tu_now_ms() - t0;
    assert_true(took >= 300 && took < 3000);
    assert_int_equal(commands_of(0) - before, 2);
    assert_int_equal(commands_of(1) - before1, 1);
    assert_int_equal(tu_stats(client).retries - s0.retries, 2);
    expect_left_to_retry(ps, 3);
    aw_partition_status_free(ps);
}

/* The master is silent: the retry goes to the replica at once, without
 * waiting for the map to change, and whatever the replica answers ends it
 * (records, or aw-testd's 16 while it does not serve scans). */
static void test_retry_goes_to_the_replica(void **state) {
    (void)state;
    tu_testd_fault(&srv, 0, "blackhole=1");
    uint64_t before = commands_of(0), before1 = commands_of(1);
    aw_query_policy p = aw_query_policy_default();
    p.base.socket_timeout_ms = 100;
    p.base.max_retries = 3;
    aw_partition_status *ps;
    aw_error err;
    int rc = scan_partition(9, &p, &ps, &err);
    assert_true(rc == AW_OK || rc == AW_ERR_UNSUPPORTED_FEATURE);
    assert_int_equal(commands_of(0) - before, 1);
    assert_int_equal(commands_of(1) - before1, 1);
    aw_partition_status_free(ps);
}

/* The total timeout ends it whatever max_retries says. */
static void test_total_timeout(void **state) {
    (void)state;
    tu_testd_fault(&srv, 0, "blackhole=1");
    aw_query_policy p = aw_query_policy_default();
    p.base.socket_timeout_ms = 0;
    p.base.total_timeout_ms = 250;
    p.base.max_retries = 100;
    aw_partition_status *ps;
    aw_error err;
    uint64_t t0 = tu_now_ms();
    assert_int_equal(scan_partition(6, &p, &ps, &err), AW_ERR_TIMEOUT);
    uint64_t took = tu_now_ms() - t0;
    assert_true(took >= 250 && took < 2000);
    assert_non_null(strstr(err.message, "total timeout"));
    assert_false(aw_partition_status_done(ps));
    aw_partition_status_free(ps);
}

/* A node that closes the connection before answering: retried, then the
 * connection error; no partition is marked done. */
static void test_dropped_connection_retried(void **state) {
    (void)state;
    tu_testd_fault(&srv, 1, "drop-after=0");
    tu_testd_fault(&srv, 2, "drop-after=0");
    uint64_t before = commands_of(1) + commands_of(2);
    aw_query_policy p = aw_query_policy_default();
    p.base.max_retries = 3;
    aw_partition_status *ps;
    aw_error err;
    int rc = scan_partition(4, &p, &ps, &err);
    assert_true(rc == AW_ERR_NO_RESPONSE || rc == AW_ERR_CONNECTION);
    assert_int_equal(commands_of(1) + commands_of(2) - before, 4);
    expect_left_to_retry(ps, 4);
    aw_partition_status_free(ps);
}

/* A partition no node holds: every round finds no node for it. */
static void test_orphan_partition(void **state) {
    (void)state;
    aw_client_stats s0 = tu_stats(client);
    tu_testd_ctl(&srv, 0, "testd-move:partition=5;orphan=1");
    assert_true(tu_wait_map_update(client, s0.map_updates, 3000));
    aw_key probe;
    /* wait until the client's map says so (a key of partition 5 routes nowhere) */
    for (int i = 0;; i++) {
        char name[32];
        snprintf(name, sizeof name, "k%d", i);
        probe = tu_key("test", "qf", name);
        if (aw_partition_id(probe.digest) == 5)
            break;
    }
    assert_true(tu_wait_master(client, &srv, &probe, -1, 3000));
    aw_query_policy p = aw_query_policy_default();
    p.base.max_retries = 1;
    aw_partition_status *ps;
    aw_error err;
    assert_int_equal(scan_partition(5, &p, &ps, &err), AW_ERR_INVALID_NODE);
    expect_left_to_retry(ps, 5);
    aw_partition_status_free(ps);
    tu_testd_ctl(&srv, 0, "testd-move:partition=5;master=2;replica=0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_socket_timeout_retried, heal),
        cmocka_unit_test_teardown(test_retry_goes_to_the_replica, heal),
        cmocka_unit_test_teardown(test_total_timeout, heal),
        cmocka_unit_test_teardown(test_dropped_connection_retried, heal),
        cmocka_unit_test_teardown(test_orphan_partition, heal),
    };
    int failed = cmocka_run_group_tests(tests, start, stop);
    return failed || tu_testd_stop_failed;
}
