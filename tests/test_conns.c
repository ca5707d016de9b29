/*
 * Connections: min_conns_per_node opened in aw_client_new and kept by the
 * tend through idle reaping (which trims only what is above the minimum);
 * async_min_conns_per_node opened by aw_loop_warm_up (its callback once
 * they are up) and by the loop's housekeeping without it; a sync
 * connection that failed mid-command (socket timeout) is closed, never
 * handed to the next command. Counted by aw-testd (`statistics`
 * client_connections per node) and the client's own counters.
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
#include "aerowire/async.h"
#include "aerowire/client.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

static tu_testd server;

static int start_server(void **state) {
    (void)state;
    const char *args[] = {"--namespaces", "test", NULL};
    return tu_testd_start_nodes(&server, 2, args);
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&server);
}

/* Open client connections of node i, as aw-testd counts them. */
static long conns_of(int i) {
    char *body = tu_info(server.ports[i], "statistics\n");
    assert_non_null(body);
    const char *p = strstr(body, "client_connections=");
    assert_non_null(p);
    long v = strtol(p + strlen("client_connections="), NULL, 10);
    free(body);
    return v;
}

typedef struct want_conns {
    int node;
    long n;
} want_conns;

static bool has_conns(void *arg) {
    want_conns *w = arg;
    return conns_of(w->node) == w->n;
}

static void wait_conns(int node, long n, const char *what) {
    want_conns w = {node, n};
    tu_wait_for(has_conns, &w, 3000, what);
}

static void sync_minimum_opened_at_start(void **state) {
    (void)state;
    long before[2] = {conns_of(0), conns_of(1)};
    aw_config cfg = tu_client_config(&server, 50);
    cfg.min_conns_per_node = 4;
    aw_client *c = tu_client_new(&cfg);
    /* aw_client_new returns after the first tend, which opened them. */
    for (int i = 0; i < 2; i++)
        assert_int_equal(conns_of(i), before[i] + 1 + 4); /* the tend's own + 4 */
    aw_client_close(c);
    wait_conns(0, before[0], "node 0's connections to close");
    wait_conns(1, before[1], "node 1's connections to close");
}

typedef struct getter {
    aw_client *c;
    int rc;
} getter;

static void *get_loop(void *arg) {
    getter *g = arg;
    aw_key k = tu_key("test", "conns", "one");
    for (int i = 0; i < 4 && g->rc == AW_OK; i++) {
        aw_record rec;
        g->rc = aw_get(g->c, NULL, &k, NULL, 0, &rec, NULL);
        aw_record_free(&rec);
        if (g->rc == AW_ERR_RECORD_NOT_FOUND)
            g->rc = AW_OK;
    }
    return NULL;
}

static void sync_reaping_keeps_the_minimum(void **state) {
    (void)state;
    long before0 = conns_of(0), before1 = conns_of(1);
    aw_config cfg = tu_client_config(&server, 50);
    cfg.min_conns_per_node = 2;
    cfg.idle_timeout_ms = 150;
    cfg.read_policy.total_timeout_ms = 5000;
    aw_client *c = tu_client_new(&cfg);
    aw_key k = tu_key("test", "conns", "one");
    aw_error err;
    aw_bin b = {"i", aw_value_int(1)};
    tu_check(aw_put(c, NULL, &k, &b, 1, &err), &err, "put");
    /* Eight threads at once while every reply waits 60 ms: eight sockets
     * to the key's master. */
    for (int i = 0; i < 2; i++)
        tu_testd_fault(&server, i, "delay=60");
    pthread_t t[8];
    getter g[8];
    for (int i = 0; i < 8; i++) {
        g[i] = (getter){c, AW_OK};
        pthread_create(&t[i], NULL, get_loop, &g[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(g[i].rc, AW_OK);
    }
    for (int i = 0; i < 2; i++)
        tu_testd_clear_fault(&server, i);
    long peak = conns_of(0) + conns_of(1);
    assert_true(peak >= 2 * (1 + 2) + 4);
    /* Idle past 150 ms: trimmed to the minimum, not below. */
    wait_conns(0, before0 + 1 + 2, "node 0 trimmed to its minimum");
    wait_conns(1, before1 + 1 + 2, "node 1 trimmed to its minimum");
    /* Several more tends, the minimum idle past 150 ms: still the same
     * sockets (trimming only above the minimum, not closing and reopening). */
    aw_client_stats s0, s1;
    aw_client_get_stats(c, &s0);
    tu_sleep_ms(400);
    aw_client_get_stats(c, &s1);
    assert_int_equal(s1.conns_opened, s0.conns_opened);
    assert_int_equal(conns_of(0), before0 + 1 + 2);
    assert_int_equal(conns_of(1), before1 + 1 + 2);
    aw_client_close(c);
}

static void sync_failed_connection_not_reused(void **state) {
    (void)state;
    aw_config cfg = tu_client_config(&server, 60000); /* no tend meanwhile */
    cfg.read_policy.max_retries = 0;
    cfg.read_policy.replica = AW_REPLICA_MASTER;
    aw_client *c = tu_client_new(&cfg);
    aw_key k = tu_key("test", "conns", "two");
    aw_bin b = {"v", aw_value_int(42)};
    aw_error err;
    tu_check(aw_put(c, NULL, &k, &b, 1, &err), &err, "put");
    aw_record rec;
    tu_check(aw_get(c, NULL, &k, NULL, 0, &rec, &err), &err, "get");
    aw_record_free(&rec);
    aw_client_stats s0, s1, s2;
    aw_client_get_stats(c, &s0);

    /* The reply comes after the socket timeout: the attempt fails and its
     * socket (which will still receive that late reply) must go. */
    aw_policy slow = aw_policy_read();
    slow.max_retries = 0;
    slow.replica = AW_REPLICA_MASTER;
    slow.socket_timeout_ms = 50;
    slow.total_timeout_ms = 50;
    for (int i = 0; i < 2; i++)
        tu_testd_fault(&server, i, "delay=200");
    assert_int_equal(aw_get(c, &slow, &k, NULL, 0, &rec, &err), AW_ERR_TIMEOUT);
    aw_record_free(&rec);
    for (int i = 0; i < 2; i++)
        tu_testd_clear_fault(&server, i);
    aw_client_get_stats(c, &s1);
    assert_int_equal(s1.conns_closed, s0.conns_closed + 1);

    aw_bin b2 = {"v", aw_value_int(43)};
    tu_check(aw_put(c, NULL, &k, &b2, 1, &err), &err, "put 43");
    tu_check(aw_get(c, NULL, &k, NULL, 0, &rec, &err), &err, "get after the timeout");
    assert_int_equal(aw_record_get(&rec, "v")->u.i, 43);
    aw_record_free(&rec);
    aw_client_get_stats(c, &s2);
    assert_int_equal(s2.conns_opened, s1.conns_opened + 1); /* a new one, not the failed one */
    aw_client_close(c);
}

/* --- async --------------------------------------------------------------------- */

typedef struct warm_result {
    int pending;
    int code;
} warm_result;

static void on_warm(const aw_error *err, void *udata) {
    warm_result *w = udata;
    w->code = err ? err->code : AW_OK;
    w->pending--;
}

static void async_warm_up_opens_before_traffic(void **state) {
    (void)state;
    long before[2] = {conns_of(0), conns_of(1)};
    aw_config cfg = tu_client_config(&server, 60000);
    cfg.async_min_conns_per_node = 3;
    aw_client *c = tu_client_new(&cfg);
    struct event_base *base = event_base_new();
    aw_loop *loop;
    aw_error err;
    tu_check(aw_libevent_attach(c, base, &loop, &err), &err, "attach");
    warm_result w = {1, -1};
    tu_check(aw_loop_warm_up(loop, 0, on_warm, &w, &err), &err, "warm up");
    assert_int_equal(aw_loop_warm_up(loop, 0, on_warm, &w, &err), AW_ERR_PARAM);
    tu_run_until(base, &w.pending, 3000);
    assert_int_equal(w.code, AW_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(conns_of(i), before[i] + 1 + 3);
    /* Asked for more than the minimum: up to that many. */
    w = (warm_result){1, -1};
    tu_check(aw_loop_warm_up(loop, 5, on_warm, &w, &err), &err, "warm up to 5");
    tu_run_until(base, &w.pending, 3000);
    assert_int_equal(w.code, AW_OK);
    assert_int_equal(conns_of(0), before[0] + 1 + 5);
    aw_loop_close(loop);
    event_base_free(base);
    aw_client_close(c);
}

static void async_minimum_kept_by_housekeeping(void **state) {
    (void)state;
    long before = conns_of(1);
    aw_config cfg = tu_client_config(&server, 50); /* housekeeping every 50 ms */
    cfg.async_min_conns_per_node = 2;
    aw_client *c = tu_client_new(&cfg);
    struct event_base *base = event_base_new();
    aw_loop *loop;
    aw_error err;
    tu_check(aw_libevent_attach(c, base, &loop, &err), &err, "attach");
    uint64_t end = tu_now_ms() + 3000;
    while (conns_of(1) != before + 1 + 2 && tu_now_ms() < end)
        event_base_loop(base, EVLOOP_ONCE);
    assert_int_equal(conns_of(1), before + 1 + 2);
    aw_loop_close(loop);
    event_base_free(base);
    aw_client_close(c);
}

static void minimum_over_maximum_refused(void **state) {
    (void)state;
    aw_config cfg = tu_client_config(&server, 50);
    cfg.max_conns_per_node = 2;
    cfg.min_conns_per_node = 3;
    aw_client *c = NULL;
    aw_error err;
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_ERR_PARAM);
    assert_null(c);
    assert_non_null(strstr(err.message, "min_conns_per_node"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sync_minimum_opened_at_start),
        cmocka_unit_test(sync_reaping_keeps_the_minimum),
        cmocka_unit_test(sync_failed_connection_not_reused),
        cmocka_unit_test(async_warm_up_opens_before_traffic),
        cmocka_unit_test(async_minimum_kept_by_housekeeping),
        cmocka_unit_test(minimum_over_maximum_refused),
    };
    int failed = cmocka_run_group_tests_name("connections", tests, start_server, stop_server);
    return failed || tu_testd_stop_failed;
}
