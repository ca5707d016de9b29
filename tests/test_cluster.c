/*
 * The cluster layer against aw-testd: seeding, peers discovery, partition
 * tables, node removal and return, the sync pool, info, and views that
 * outlive the cluster. Plus the partition-table merge rules on their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "cluster/cluster.h"
#include "cluster/partition_map.h"
#include "proto/info.h"
#include "proto/mem.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

/* --- helpers ------------------------------------------------------------------- */

static aw_host seed_host;

static aw_cluster_config quick_config(uint16_t port) {
    snprintf(seed_host.name, sizeof seed_host.name, "127.0.0.1");
    seed_host.port = port;
    return (aw_cluster_config){
        .seeds = &seed_host,
        .n_seeds = 1,
        .connect_timeout_ms = 300,
        .tend_interval_ms = 50,
        .max_conns_per_node = 4,
        .fail_if_not_connected = true,
    };
}

static aw_cluster *new_cluster(const aw_cluster_config *cfg) {
    aw_cluster *c = NULL;
    aw_error err;
    int rc = aw_cluster_new(&c, cfg, &err);
    if (rc != AW_OK)
        fail_msg("aw_cluster_new: %s (%d)", err.message, rc);
    return c;
}

/* Servers a failed test left running (copies: the test's frame is gone
 * after a failed assertion); the group's teardown stops them. */
static tu_testd running[16];

static void start_testd(tu_testd *t, const char *const *args) {
    if (tu_testd_start(t, args) != 0)
        fail_msg("cannot start aw-testd (AW_BIN=%s)", getenv("AW_BIN") ? getenv("AW_BIN") : "");
    for (size_t i = 0; i < 16; i++)
        if (running[i].pid <= 0) {
            running[i] = *t;
            break;
        }
}

static int stop_testd(tu_testd *t) {
    for (size_t i = 0; i < 16; i++)
        if (running[i].pid == t->pid)
            running[i].pid = 0;
    return tu_testd_stop(t);
}

static int stop_leftovers(void **state) {
    (void)state;
    for (size_t i = 0; i < 16; i++)
        if (running[i].pid > 0)
            tu_testd_stop(&running[i]);
    return 0;
}

/* The value of one info name from the server, asked directly (malloc'd). */
static char *server_value(uint16_t port, const char *name) {
    char req[128];
    snprintf(req, sizeof req, "%s\n", name);
    char *body = tu_info(port, req);
    assert_non_null(body);
    const char *v;
    size_t len;
    assert_true(aw_info_find(body, strlen(body), name, &v, &len));
    char *out = strndup(v, len);
    free(body);
    return out;
}

/* A loopback port nothing listens on (bound, read, released). */
static uint16_t free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

typedef bool (*view_check)(const aw_cluster_view *v, void *arg);

typedef struct view_wait {
    aw_cluster *c;
    view_check check;
    void *arg;
} view_wait;

static bool view_holds(void *arg) {
    view_wait *w = arg;
    aw_cluster_view *v = aw_cluster_view_acquire(w->c);
    bool ok = w->check(v, w->arg);
    aw_cluster_view_release(v);
    return ok;
}

/* Whether check holds for the published view within timeout_ms. */
static bool wait_for_view(aw_cluster *c, view_check check, void *arg, uint32_t timeout_ms) {
    view_wait w = {c, check, arg};
    return tu_wait_until(view_holds, &w, (int)timeout_ms);
}

typedef struct count_wait {
    atomic_uint_fast64_t *counter;
    uint64_t want;
} count_wait;

static bool count_reached(void *arg) {
    count_wait *w = arg;
    return atomic_load(w->counter) >= w->want;
}

/* Whether one of the cluster's counters reaches want within ms. */
static bool wait_count(atomic_uint_fast64_t *counter, uint64_t want, int ms) {
    count_wait w = {counter, want};
    return tu_wait_until(count_reached, &w, ms);
}

static bool has_n_nodes(const aw_cluster_view *v, void *arg) {
    return v->n_nodes == *(size_t *)arg;
}

/* testd's ownership rule with every node alive: p's master is node p % n,
 * its replica node (p + 1) % n. */
static void assert_testd_layout(const aw_partition_table *t, char names[][AW_NODE_NAME_MAX + 1],
                                int n) {
    assert_int_equal(t->n_replicas, n > 1 ? 2 : 1);
    for (uint32_t p = 0; p < AW_PARTITIONS; p++) {
        assert_non_null(t->owners[0][p]);
        assert_string_equal(t->owners[0][p]->name, names[p % (uint32_t)n]);
        if (n > 1) {
            assert_non_null(t->owners[1][p]);
            assert_string_equal(t->owners[1][p]->name, names[(p + 1) % (uint32_t)n]);
        }
    }
}

static void node_names(const tu_testd *t, char names[][AW_NODE_NAME_MAX + 1]) {
    for (int i = 0; i < t->n_nodes; i++) {
        char *id = server_value(t->ports[i], "node");
        snprintf(names[i], AW_NODE_NAME_MAX + 1, "%s", id);
        free(id);
    }
}

/* Starts aw-testd with args (see start_testd), fills names with its nodes'
 * names when names is not NULL, and returns quick_config for its first node. */
static aw_cluster_config start_config(tu_testd *t, const char *const *args,
                                      char names[][AW_NODE_NAME_MAX + 1]) {
    start_testd(t, args);
    if (names)
        node_names(t, names);
    return quick_config(t->ports[0]);
}

/* Frees the cluster, then stops its server, which must exit cleanly. */
static void free_cluster_and_stop(aw_cluster *c, tu_testd *t) {
    aw_cluster_free(c);
    assert_int_equal(stop_testd(t), 0);
}

/* Waits until n more tend rounds than now have run (fails the test at the
 * caller's line after 3 s); wakes the tender first (aw_cluster_tend_now)
 * when wake is set. A round counts once its housekeeping is done. */
#define wait_tends(c, n, wake) wait_tends_at(__FILE__, __LINE__, (c), (n), (wake))
static void wait_tends_at(const char *file, int line, aw_cluster *c, uint64_t n, bool wake) {
    aw_cluster_counters *cnt = aw_cluster_counters_of(c);
    count_wait w = {&cnt->tends, atomic_load(&cnt->tends) + n};
    if (wake)
        aw_cluster_tend_now(c);
    tu_wait_for_at(file, line, count_reached, &w, 3000, "tend rounds");
}

/* A connection from n's pool (or a new one), within 500 ms and without
 * waiting for a free place; fails the test when there is none. */
static int lend(aw_node *n) {
    aw_sock s;
    aw_error err;
    tu_check(aw_node_conn_get(n, aw_now_ms() + 500, false, &s, &err), &err, "aw_node_conn_get");
    return s.fd;
}

/* Returns a plain connection lent by lend() to n's pool. */
static void give(aw_node *n, int fd, bool reusable) {
    aw_sock s = aw_sock_plain(fd);
    aw_node_conn_put(n, &s, reusable);
}

/* aw_node_conn_get with the socket alone. */
static int conn_get_fd(aw_node *n, uint64_t deadline_ms, bool wait, int *fd, aw_error *err) {
    aw_sock s;
    int rc = aw_node_conn_get(n, deadline_ms, wait, &s, err);
    *fd = s.fd;
    return rc;
}

/* The node of v at 127.0.0.1:port (asserted present). */
static aw_node *node_at(aw_cluster_view *v, uint16_t port) {
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    aw_node *n = aw_view_find_node(v, addr);
    assert_non_null(n);
    return n;
}

/* --- partition tables on their own ------------------------------------------------ */

static void claim(aw_replicas_ns *r, unsigned col, uint32_t p) {
    r->bitmap[col][p >> 3] |= (uint8_t)(0x80u >> (p & 7));
}

static aw_replicas_ns ns_map(const char *ns, uint32_t regime, uint8_t cols) {
    aw_replicas_ns r;
    memset(&r, 0, sizeof r);
    snprintf(r.ns, sizeof r.ns, "%s", ns);
    r.regime = regime;
    r.n_replicas = cols;
    r.n_repl_sent = cols;
    return r;
}

static void test_pmap_merge_rules(void **state) {
    (void)state;
    aw_node a, b, c; /* identities only: the builder never reads them */
    aw_replicas_ns ma = ns_map("test", 0, 2), mb = ns_map("test", 0, 2), mc = ns_map("test", 5, 1);
    claim(&ma, 0, 1);
    claim(&ma, 1, 2);
    claim(&mb, 0, 2);
    claim(&mb, 1, 1);
    claim(&ma, 0, 3); /* a tie on partition 3: b's later answer must win */
    claim(&mb, 0, 3);
    claim(&mc, 0, 4); /* a higher regime wins whatever the order */
    claim(&ma, 0, 4);
    aw_pmap_source src[] = {{&c, &mc, 1, 1}, {&b, &mb, 1, 3}, {&a, &ma, 1, 2}};
    aw_partition_table **t;
    size_t n;
    aw_error err;
    assert_int_equal(aw_pmap_build(src, 3, &t, &n, &err), AW_OK);
    assert_int_equal(n, 1);
    assert_string_equal(t[0]->ns, "test");
    assert_int_equal(t[0]->n_replicas, 2);
    assert_true(t[0]->strong_consistency);
    assert_ptr_equal(t[0]->owners[0][1], &a);
    assert_ptr_equal(t[0]->owners[1][1], &b);
    assert_ptr_equal(t[0]->owners[0][2], &b);
    assert_ptr_equal(t[0]->owners[1][2], &a);
    assert_ptr_equal(t[0]->owners[0][3], &b);
    assert_ptr_equal(t[0]->owners[0][4], &c);
    assert_null(t[0]->owners[0][0]);
    assert_true(aw_pmap_mentions(t, n, &c));
    aw_pmap_free(t, n);

    /* Rebuilt without a's claim on partition 1: nobody holds it any more. */
    memset(ma.bitmap, 0, sizeof ma.bitmap);
    assert_int_equal(aw_pmap_build(src, 3, &t, &n, &err), AW_OK);
    assert_null(t[0]->owners[0][1]);
    assert_false(aw_pmap_mentions(t, n, &a));
    aw_pmap_free(t, n);
}

static void test_pmap_parse_rejects_garbage(void **state) {
    (void)state;
    aw_replicas_ns *maps;
    size_t n;
    aw_error err;
    const char *bad = "test:0,1,not-base64";
    assert_int_equal(aw_pmap_parse(bad, strlen(bad), &maps, &n, &err), AW_ERR_PROTO);
    assert_null(maps);
    assert_int_equal(n, 0);
    assert_int_equal(aw_pmap_parse("", 0, &maps, &n, &err), AW_OK);
    assert_int_equal(n, 0);
}

/* --- one node ------------------------------------------------------------------- */

static void test_single_node(void **state) {
    (void)state;
    tu_testd t;
    aw_cluster_config cfg = start_config(&t, NULL, NULL);
    aw_cluster *c = new_cluster(&cfg);

    aw_cluster_view *v = aw_cluster_view_acquire(c);
    assert_int_equal(v->n_nodes, 1);
    assert_true(v->version >= 2);
    assert_int_equal(aw_cluster_view_version(c), v->version);
    aw_node *n = v->nodes[0];
    char *id = server_value(t.ports[0], "node");
    assert_string_equal(n->name, id);
    assert_true(aw_node_is_active(n));
    assert_true(n->features & AW_FEATURE_PIPELINING);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", t.ports[0]);
    assert_string_equal(n->addr_str, addr);
    assert_ptr_equal(aw_view_find_node(v, id), n);
    assert_ptr_equal(aw_view_find_node(v, addr), n);
    assert_null(aw_view_find_node(v, "nope"));
    free(id);

    assert_int_equal(v->n_tables, 2);
    assert_null(aw_view_table(v, "nope"));
    const char *names[] = {"test", "bar"};
    for (int i = 0; i < 2; i++) {
        const aw_partition_table *tab = aw_view_table(v, names[i]);
        assert_non_null(tab);
        assert_int_equal(tab->n_replicas, 1);
        assert_false(tab->strong_consistency);
        for (uint32_t p = 0; p < AW_PARTITIONS; p++)
            assert_ptr_equal(tab->owners[0][p], n);
    }
    aw_cluster_view_release(v);

    /* Nothing changes on the server: tending goes on without new views. */
    uint64_t version = aw_cluster_view_version(c);
    aw_cluster_counters *cnt = aw_cluster_counters_of(c);
    wait_tends(c, 4, false);
    assert_int_equal(aw_cluster_view_version(c), version);
    assert_int_equal(atomic_load(&cnt->nodes_added), 1);
    assert_int_equal(atomic_load(&cnt->map_updates), 1);
    assert_int_equal(aw_cluster_config_of(c)->tend_interval_ms, 50);

    free_cluster_and_stop(c, &t);
}

/* --- three nodes --------------------------------------------------------------------- */

static const char *const THREE[] = {"--nodes", "3", NULL};

static void test_three_nodes_discovered(void **state) {
    (void)state;
    tu_testd t;
    char names[3][AW_NODE_NAME_MAX + 1];
    aw_cluster_config cfg = start_config(&t, THREE, names); /* only the first node as seed */
    aw_cluster *c = new_cluster(&cfg);

    /* All three are known when aw_cluster_new returns. */
    aw_cluster_view *v = aw_cluster_view_acquire(c);
    assert_int_equal(v->n_nodes, 3);
    uint32_t slots = 0;
    for (int i = 0; i < 3; i++) {
        aw_node *n = aw_view_find_node(v, names[i]);
        assert_non_null(n);
        char addr[64];
        snprintf(addr, sizeof addr, "127.0.0.1:%u", t.ports[i]);
        assert_string_equal(n->addr_str, addr);
        assert_true(n->slot < 3);
        slots |= 1u << n->slot;
    }
    assert_int_equal(slots, 7); /* small and unique */
    assert_int_equal(v->n_tables, 2);
    assert_testd_layout(aw_view_table(v, "test"), names, 3);
    assert_testd_layout(aw_view_table(v, "bar"), names, 3);

    /* And against one node's own answer: partition 1975's master. */
    char *reps = server_value(t.ports[1], "replicas");
    aw_replicas_ns ns[2];
    size_t n_ns;
    aw_error err;
    assert_int_equal(aw_info_parse_replicas(reps, strlen(reps), ns, 2, &n_ns, &err), AW_OK);
    free(reps);
    const aw_partition_table *tab = aw_view_table(v, ns[0].ns);
    for (uint32_t p = 1970; p < 1980; p++)
        assert_int_equal(aw_replicas_owns(&ns[0], 0, p),
                         tab->owners[0][p] == aw_view_find_node(v, names[1]));
    aw_cluster_view_release(v);

    free_cluster_and_stop(c, &t);
}

typedef struct removal {
    const char *gone;                       /* node that must be absent */
    char (*names)[AW_NODE_NAME_MAX + 1];
} removal;

/* `gone` absent, and every partition's master and replica among the others. */
static bool removed_and_remapped(const aw_cluster_view *v, void *arg) {
    const removal *r = arg;
    if (v->n_nodes != 2 || aw_view_find_node(v, r->gone))
        return false;
    for (size_t i = 0; i < v->n_tables; i++)
        for (uint32_t p = 0; p < AW_PARTITIONS; p++) {
            const aw_node *m = v->tables[i]->owners[0][p], *s = v->tables[i]->owners[1][p];
            if (!m || !s || m == s || !aw_view_find_node(v, m->name) ||
                !aw_view_find_node(v, s->name))
                return false;
        }
    return true;
}

static bool back_to_three(const aw_cluster_view *v, void *arg) {
    const removal *r = arg;
    const aw_node *n = aw_view_find_node(v, r->gone);
    if (v->n_nodes != 3 || !n || !aw_node_is_active(n))
        return false;
    const aw_partition_table *t = aw_view_table(v, "test");
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        if (!t->owners[0][p] || strcmp(t->owners[0][p]->name, r->names[p % 3]) != 0)
            return false;
    return true;
}

static void test_kill_and_revive(void **state) {
    (void)state;
    tu_testd t;
    char names[3][AW_NODE_NAME_MAX + 1];
    aw_cluster_config cfg = start_config(&t, THREE, names);
    aw_cluster *c = new_cluster(&cfg);

    aw_cluster_view *before = aw_cluster_view_acquire(c);
    aw_node *victim = aw_view_find_node(before, names[1]);
    assert_non_null(victim);
    char *reply;
    aw_error err;
    assert_int_equal(aw_cluster_info(c, victim, "node", 0, &reply, &err), AW_OK);
    aw_free(reply); /* leaves a pooled connection the kill will close */

    uint64_t killed_at = aw_now_ms();
    tu_testd_ctl(&t, 0, "testd-kill:node=1");
    removal r = {names[1], names};
    assert_true(wait_for_view(c, removed_and_remapped, &r, 2000));
    /* Removed in the round that first saw it fail, not after 5 failures. */
    assert_true(aw_now_ms() - killed_at < 1000);
    assert_false(aw_node_is_active(victim));
    assert_int_equal(atomic_load(&aw_cluster_counters_of(c)->nodes_removed), 1);

    /* A command holding the old view fails cleanly on the dead node. */
    int rc = aw_cluster_info(c, victim, "node", aw_now_ms() + 300, &reply, &err);
    assert_int_equal(rc, AW_ERR_INVALID_NODE);
    assert_null(reply);
    assert_non_null(strstr(err.message, names[1]));
    int fd;
    assert_int_equal(conn_get_fd(victim, aw_now_ms() + 100, true, &fd, &err),
                     AW_ERR_INVALID_NODE);
    aw_cluster_view_release(before); /* the last hold on the removed node */

    tu_testd_ctl(&t, 0, "testd-revive:node=1");
    assert_true(wait_for_view(c, back_to_three, &r, 2000));
    aw_cluster_view *after = aw_cluster_view_acquire(c);
    assert_testd_layout(aw_view_table(after, "test"), names, 3);
    assert_testd_layout(aw_view_table(after, "bar"), names, 3);
    aw_cluster_view_release(after);
    assert_int_equal(atomic_load(&aw_cluster_counters_of(c)->nodes_added), 4);

    free_cluster_and_stop(c, &t);
}

/* With a long interval, only aw_cluster_tend_now makes the removal quick. */
static void test_tend_now_wakes_the_tender(void **state) {
    (void)state;
    tu_testd t;
    char names[3][AW_NODE_NAME_MAX + 1];
    aw_cluster_config cfg = start_config(&t, THREE, names);
    cfg.tend_interval_ms = 60000;
    aw_cluster *c = new_cluster(&cfg);
    tu_testd_ctl(&t, 0, "testd-kill:node=2");
    removal r = {names[2], names};
    assert_false(wait_for_view(c, removed_and_remapped, &r, 150));
    aw_cluster_tend_now(c);
    assert_true(wait_for_view(c, removed_and_remapped, &r, 1000));
    uint64_t t0 = aw_now_ms();
    aw_cluster_free(c); /* wakes the sleeping thread at once too */
    assert_true(aw_now_ms() - t0 < 500);
    assert_int_equal(stop_testd(&t), 0);
}

typedef struct moved {
    uint32_t pid;
    const char *master, *replica;
} moved;

static bool partition_moved(const aw_cluster_view *v, void *arg) {
    const moved *m = arg;
    const aw_partition_table *t = aw_view_table(v, "test");
    return t && t->owners[0][m->pid] && t->owners[1][m->pid] &&
           strcmp(t->owners[0][m->pid]->name, m->master) == 0 &&
           strcmp(t->owners[1][m->pid]->name, m->replica) == 0;
}

static void test_move_partition(void **state) {
    (void)state;
    tu_testd t;
    char names[3][AW_NODE_NAME_MAX + 1];
    aw_cluster_config cfg = start_config(&t, THREE, names);
    aw_cluster *c = new_cluster(&cfg);
    /* Partition 7 starts on 7 % 3 = 1 (replica 2). */
    moved m = {7, names[1], names[2]};
    aw_cluster_view *v = aw_cluster_view_acquire(c);
    assert_true(partition_moved(v, &m));
    uint64_t version = v->version;
    aw_cluster_view_release(v);

    tu_testd_ctl(&t, 2, "testd-move:partition=7;master=0;replica=1");
    m = (moved){7, names[0], names[1]};
    assert_true(wait_for_view(c, partition_moved, &m, 2000));
    assert_true(aw_cluster_view_version(c) > version);
    /* Node 1 no longer claims 7 as master: nothing keeps pointing at it. */
    v = aw_cluster_view_acquire(c);
    const aw_partition_table *tab = aw_view_table(v, "test");
    assert_string_equal(tab->owners[0][8]->name, names[2]); /* neighbours untouched */
    aw_cluster_view_release(v);

    free_cluster_and_stop(c, &t);
}

/* A node sending garbage or stalling during tending is survived, and comes
 * back once it behaves. */
static void test_misbehaving_node(void **state) {
    (void)state;
    tu_testd t;
    char names[3][AW_NODE_NAME_MAX + 1];
    aw_cluster_config cfg = start_config(&t, THREE, names);
    cfg.connect_timeout_ms = 100;
    aw_cluster *c = new_cluster(&cfg);
    const char *faults[] = {"garbage=1", "truncate=1", "oversize=1", "blackhole=1",
                            "drop-after=10"};
    for (size_t i = 0; i < sizeof faults / sizeof *faults; i++) {
        tu_testd_ctl(&t, 0, "testd-fault:node=1;%s", faults[i]);
        wait_tends(c, 4, false);
        /* Still listed by its peers: kept, as the official client does. */
        size_t three = 3;
        assert_true(wait_for_view(c, has_n_nodes, &three, 10));
    }
    tu_testd_ctl(&t, 0, "testd-fault:node=1");
    /* Force a map change so the healed node must answer `replicas` again. */
    tu_testd_ctl(&t, 0, "testd-move:partition=9;master=1;replica=2");
    moved m = {9, names[1], names[2]};
    assert_true(wait_for_view(c, partition_moved, &m, 2000));
    free_cluster_and_stop(c, &t);
}

/* Every allocation from the Nth on fails: aw_cluster_new either succeeds
 * (with what it could learn) or fails with AW_ERR_NOMEM and a message, never
 * leaks (ASan) and never sets *out on failure. */
static void test_new_out_of_memory(void **state) {
    (void)state;
    tu_testd t;
    aw_cluster_config cfg = start_config(&t, THREE, NULL);
    cfg.tend_interval_ms = 60000; /* the tend thread must not allocate meanwhile */
    long n;
    int failures = 0;
    for (n = 1; n < 2000; n++) {
        aw_cluster *c = (aw_cluster *)1;
        aw_error err;
        aw_error_reset(&err);
        tu_failalloc_on(n);
        int rc = aw_cluster_new(&c, &cfg, &err);
        long used = tu_failalloc_count();
        tu_failalloc_off();
        if (rc == AW_OK) {
            aw_cluster_view *v = aw_cluster_view_acquire(c);
            if (used < n) {
                /* Nothing failed: the whole cluster is there. */
                assert_int_equal(v->n_nodes, 3);
                assert_int_equal(v->n_tables, 2);
            }
            aw_cluster_view_release(v);
            aw_cluster_free(c);
            if (used < n)
                break;
            continue;
        }
        failures++;
        assert_null(c);
        if (rc != AW_ERR_NOMEM || err.code != rc || err.message[0] == '\0')
            fail_msg("allocation %ld: returned %s, err %s '%s'", n, aw_status_name(rc),
                     aw_status_name(err.code), err.message);
    }
    assert_true(n < 2000);
    assert_true(failures > 5);
    assert_int_equal(stop_testd(&t), 0);
}

/* --- seeds that do not answer ------------------------------------------------------------ */

static void test_unreachable_seed_fails(void **state) {
    (void)state;
    uint16_t port = free_port();
    aw_cluster_config cfg = quick_config(port);
    aw_cluster *c = (aw_cluster *)1;
    aw_error err;
    assert_int_equal(aw_cluster_new(&c, &cfg, &err), AW_ERR_CONNECTION);
    assert_null(c);
    assert_int_equal(err.code, AW_ERR_CONNECTION);
    char expect[64];
    snprintf(expect, sizeof expect, "127.0.0.1:%u (connection refused)", port);
    if (!strstr(err.message, expect))
        fail_msg("message '%s' lacks '%s'", err.message, expect);
    assert_non_null(strstr(err.message, "no seed answered"));

    /* Two seeds: both named. */
    aw_host two[2] = {{.name = "127.0.0.1", .port = port},
                      {.name = "127.0.0.1", .port = free_port()}};
    cfg.seeds = two;
    cfg.n_seeds = 2;
    assert_int_equal(aw_cluster_new(&c, &cfg, &err), AW_ERR_CONNECTION);
    char second[32];
    snprintf(second, sizeof second, "127.0.0.1:%u (", two[1].port);
    assert_non_null(strstr(err.message, second));

    cfg.n_seeds = 0;
    assert_int_equal(aw_cluster_new(&c, &cfg, &err), AW_ERR_PARAM);
}

static void test_cluster_name(void **state) {
    (void)state;
    tu_testd t;
    const char *args[] = {"--cluster-name", "blue", NULL};
    aw_cluster_config cfg = start_config(&t, args, NULL);
    cfg.cluster_name = "green";
    aw_cluster *c = NULL;
    aw_error err;
    assert_int_equal(aw_cluster_new(&c, &cfg, &err), AW_ERR_CLUSTER);
    assert_null(c);
    if (!strstr(err.message, "'blue'") || !strstr(err.message, "'green'"))
        fail_msg("message: %s", err.message);

    cfg.cluster_name = "blue";
    c = new_cluster(&cfg);
    aw_cluster_view *v = aw_cluster_view_acquire(c);
    assert_int_equal(v->n_nodes, 1);
    aw_cluster_view_release(v);
    free_cluster_and_stop(c, &t);
}

static void test_late_server_found(void **state) {
    (void)state;
    uint16_t port = free_port();
    aw_cluster_config cfg = quick_config(port);
    cfg.fail_if_not_connected = false;
    aw_cluster *c = new_cluster(&cfg);
    aw_cluster_view *v = aw_cluster_view_acquire(c);
    assert_int_equal(v->n_nodes, 0);
    assert_int_equal(v->n_tables, 0);
    assert_null(aw_view_table(v, "test"));
    aw_cluster_view_release(v);

    tu_testd t;
    char p[8];
    snprintf(p, sizeof p, "%u", port);
    const char *args[] = {"--port", p, NULL};
    start_testd(&t, args);
    assert_int_equal(t.ports[0], port);
    size_t one = 1;
    assert_true(wait_for_view(c, has_n_nodes, &one, 2000));
    v = aw_cluster_view_acquire(c);
    assert_non_null(aw_view_table(v, "test"));
    assert_ptr_equal(aw_view_table(v, "test")->owners[0][0], v->nodes[0]);
    aw_cluster_view_release(v);

    /* The only node going away: dropped after 5 failed tends, then found again. */
    assert_int_equal(stop_testd(&t), 0);
    size_t none = 0;
    assert_true(wait_for_view(c, has_n_nodes, &none, 2000));
    start_testd(&t, args);
    assert_true(wait_for_view(c, has_n_nodes, &one, 2000));
    free_cluster_and_stop(c, &t);
}

/* --- the sync pool ---------------------------------------------------------------------- */

static tu_testd pool_server;
static aw_cluster *pool_cluster;

static int pool_setup(void **state) {
    (void)state;
    const char *args[] = {"--nodes", "2", NULL};
    if (tu_testd_start(&pool_server, args) != 0)
        return -1;
    aw_cluster_config cfg = quick_config(pool_server.ports[0]);
    cfg.max_conns_per_node = 2;
    cfg.tend_interval_ms = 60000; /* no tending behind the tests' backs */
    aw_error err;
    return aw_cluster_new(&pool_cluster, &cfg, &err) == AW_OK ? 0 : -1;
}

static int pool_teardown(void **state) {
    (void)state;
    aw_cluster_free(pool_cluster);
    return tu_testd_stop_group(&pool_server);
}

static aw_node *pool_node(aw_cluster_view **v) {
    *v = aw_cluster_view_acquire(pool_cluster);
    return node_at(*v, pool_server.ports[0]);
}

/* Asks `node` on fd directly: the socket really talks to the server. */
static void assert_fd_works(int fd, const aw_node *n) {
    uint8_t req[] = {2, 1, 0, 0, 0, 0, 0, 5, 'n', 'o', 'd', 'e', '\n'};
    aw_error err;
    aw_sock s = aw_sock_plain(fd);
    assert_int_equal(aw_net_send_all(&s, req, sizeof req, aw_now_ms() + 500, &err), AW_OK);
    aw_buf body;
    aw_buf_init(&body);
    assert_int_equal(aw_net_recv_frame(&s, 1, 0, &body, aw_now_ms() + 500, &err), AW_OK);
    char expect[64];
    snprintf(expect, sizeof expect, "node\t%s\n", n->name);
    assert_int_equal(body.len, strlen(expect));
    assert_memory_equal(body.data, expect, body.len);
    aw_buf_free(&body);
}

static void test_pool_reuse_and_limits(void **state) {
    (void)state;
    aw_cluster_view *v;
    aw_node *n = pool_node(&v);
    int a = lend(n);
    assert_fd_works(a, n);
    give(n, a, true);
    int x = lend(n);
    assert_int_equal(x, a); /* the idle one back, not a new one */
    int b = lend(n);
    assert_int_not_equal(a, b);

    aw_error err;
    /* At the maximum: fail fast, or wait until the deadline. */
    assert_int_equal(conn_get_fd(n, aw_now_ms() + 500, false, &x, &err),
                     AW_ERR_NO_MORE_CONNECTIONS);
    assert_int_equal(x, -1);
    assert_non_null(strstr(err.message, n->name));
    uint64_t t0 = aw_now_ms();
    assert_int_equal(conn_get_fd(n, t0 + 100, true, &x, &err), AW_ERR_TIMEOUT);
    uint64_t waited = aw_now_ms() - t0;
    assert_in_range(waited, 95, 600);

    /* A socket given back as not reusable frees a place for a new one. */
    aw_cluster_counters *cnt = aw_cluster_counters_of(pool_cluster);
    uint64_t closed = atomic_load(&cnt->conns_closed);
    give(n, b, false);
    assert_int_equal(atomic_load(&cnt->conns_closed), closed + 1);
    b = lend(n);
    assert_fd_works(b, n);
    give(n, a, true);
    give(n, b, true);
    aw_cluster_view_release(v);
}

typedef struct giver {
    aw_node *n;
    int fd;
} giver;

static void *give_back_later(void *arg) {
    giver *g = arg;
    usleep(50000); /* the test: the socket is busy elsewhere for 50 ms */
    give(g->n, g->fd, true);
    return NULL;
}

static void test_pool_wait_gets_returned_socket(void **state) {
    (void)state;
    aw_cluster_view *v;
    aw_node *n = pool_node(&v);
    int a = lend(n);
    int b = lend(n);
    giver g = {n, a};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, give_back_later, &g), 0);
    uint64_t t0 = aw_now_ms();
    int x;
    aw_error err;
    assert_int_equal(conn_get_fd(n, t0 + 2000, true, &x, &err), AW_OK);
    assert_true(aw_now_ms() - t0 >= 40);
    assert_true(aw_now_ms() - t0 < 1000);
    assert_int_equal(x, a);
    pthread_join(th, NULL);
    give(n, x, true);
    give(n, b, true);
    aw_cluster_view_release(v);
}

/* Whether the peer closed both sockets of fds[2] (poll sees the FIN; the
 * sockets stay unread). */
static bool peer_closed(void *arg) {
    const int *fds = arg;
    struct pollfd p[2] = {{fds[0], POLLRDHUP, 0}, {fds[1], POLLRDHUP, 0}};
    return poll(p, 2, 0) == 2 && p[0].revents & POLLRDHUP && p[1].revents & POLLRDHUP;
}

/* The server closes every connection of node 0 (kill), then listens again:
 * the pooled socket is found dead when lent and replaced by a fresh one. */
static void test_pool_replaces_closed_idle_socket(void **state) {
    (void)state;
    aw_cluster_view *v;
    aw_node *n = pool_node(&v);
    int a = lend(n);
    int b = lend(n);
    give(n, b, true);
    give(n, a, true);
    tu_testd_ctl(&pool_server, 1, "testd-kill:node=0");
    tu_testd_ctl(&pool_server, 1, "testd-revive:node=0");
    int idle[2] = {a, b};
    tu_wait_for(peer_closed, idle, 2000, "the server's FIN on both idle sockets");
    aw_cluster_counters *cnt = aw_cluster_counters_of(pool_cluster);
    uint64_t opened = atomic_load(&cnt->conns_opened), closed = atomic_load(&cnt->conns_closed);
    int x = lend(n);
    assert_fd_works(x, n);
    /* Both idle sockets were dead: both closed, one new one opened. */
    assert_int_equal(atomic_load(&cnt->conns_closed), closed + 2);
    assert_int_equal(atomic_load(&cnt->conns_opened), opened + 1);
    give(n, x, true);
    aw_cluster_view_release(v);
}

static void test_info_round_trip(void **state) {
    (void)state;
    aw_cluster_view *v;
    aw_node *n = pool_node(&v);
    char *reply = NULL;
    aw_error err;
    assert_int_equal(aw_cluster_info(pool_cluster, n, "node\nbuild", aw_now_ms() + 500, &reply,
                                     &err),
                     AW_OK);
    char expect[128];
    snprintf(expect, sizeof expect, "node\t%s\nbuild\t8.1.2.0\n", n->name);
    assert_string_equal(reply, expect);
    aw_free(reply);
    assert_int_equal(aw_cluster_info(pool_cluster, n, "", 0, &reply, &err), AW_ERR_PARAM);
    assert_null(reply);
    aw_cluster_view_release(v);
}

/* The node is still a member (no tend ran), but its server is gone. */
static void test_info_to_killed_node(void **state) {
    (void)state;
    aw_cluster_view *v = aw_cluster_view_acquire(pool_cluster);
    aw_node *n = node_at(v, pool_server.ports[1]);
    tu_testd_ctl(&pool_server, 0, "testd-kill:node=1");
    char *reply = NULL;
    aw_error err;
    int rc = aw_cluster_info(pool_cluster, n, "node", aw_now_ms() + 300, &reply, &err);
    assert_int_equal(rc, AW_ERR_CONNECTION);
    assert_null(reply);
    assert_non_null(strstr(err.message, n->name));
    assert_non_null(strstr(err.message, "refused"));
    tu_testd_ctl(&pool_server, 0, "testd-revive:node=1");
    aw_cluster_view_release(v);
}

/* --- views and nodes outliving the cluster ------------------------------------------------ */

static void test_view_outlives_cluster(void **state) {
    (void)state;
    tu_testd t;
    aw_cluster_config cfg = start_config(&t, THREE, NULL);
    aw_cluster *c = new_cluster(&cfg);
    aw_cluster_view *v = aw_cluster_view_acquire(c);
    aw_node *held = v->nodes[1];
    aw_node_retain(held);
    int fd = lend(held);
    aw_cluster_free(c);

    assert_int_equal(v->n_nodes, 3);
    for (size_t i = 0; i < v->n_nodes; i++) {
        assert_true(strlen(v->nodes[i]->name) > 0);
        assert_false(aw_node_is_active(v->nodes[i]));
    }
    assert_non_null(aw_view_table(v, "test")->owners[0][100]);
    give(held, fd, true); /* closed, not pooled: the node is gone */
    aw_error err;
    assert_int_equal(conn_get_fd(held, aw_now_ms() + 100, true, &fd, &err),
                     AW_ERR_INVALID_NODE);
    aw_cluster_view_release(v);
    aw_node_release(held); /* the very last reference, after the cluster */
    assert_int_equal(stop_testd(&t), 0);
}

/* Idle pooled sockets older than idle_timeout_ms are closed by the tender. */
static void test_idle_sockets_reaped(void **state) {
    (void)state;
    tu_testd t;
    aw_cluster_config cfg = start_config(&t, NULL, NULL);
    cfg.idle_timeout_ms = 600;
    cfg.tend_interval_ms = 20;
    aw_cluster *c = new_cluster(&cfg);
    aw_cluster_view *v = aw_cluster_view_acquire(c);
    aw_node *n = v->nodes[0];
    aw_cluster_counters *cnt = aw_cluster_counters_of(c);
    int a = lend(n);
    int b = lend(n);
    uint64_t closed = atomic_load(&cnt->conns_closed);
    give(n, a, true);
    /* The test itself: b goes back 300 ms after a, half the idle timeout,
     * so both sit in the pool together and a must be reaped alone first. */
    usleep(300000);
    give(n, b, true);
    pthread_mutex_lock(&n->pool_lock);
    int both_idle = n->pool_n_idle;
    pthread_mutex_unlock(&n->pool_lock);
    assert_int_equal(both_idle, 2);
    assert_int_equal(atomic_load(&cnt->conns_closed), closed);
    wait_count(&cnt->conns_closed, closed + 1, 1000);
    assert_int_equal(atomic_load(&cnt->conns_closed), closed + 1);
    pthread_mutex_lock(&n->pool_lock);
    assert_int_equal(n->pool_n_idle, 1);
    assert_int_equal(n->pool_socks[0].fd, b);
    pthread_mutex_unlock(&n->pool_lock);
    wait_count(&cnt->conns_closed, closed + 2, 1000);
    assert_int_equal(atomic_load(&cnt->conns_closed), closed + 2);
    aw_cluster_view_release(v);
    free_cluster_and_stop(c, &t);
}

/* Readers route while the tender keeps swapping views in (run under TSan). */
typedef struct reader {
    aw_cluster *c;
    atomic_bool *stop;
    uint64_t views;
} reader;

static void *read_views(void *arg) {
    reader *r = arg;
    uint32_t p = 0;
    while (!atomic_load(r->stop)) {
        aw_cluster_view *v = aw_cluster_view_acquire(r->c);
        const aw_partition_table *t = aw_view_table(v, "test");
        if (t) {
            p = (p + 97) % AW_PARTITIONS;
            aw_node *n = t->owners[0][p];
            if (n && n->name[0] == '\0')
                fail_msg("a node without a name");
            if (n && aw_node_is_active(n))
                aw_node_add_error(n);
        }
        r->views++;
        aw_cluster_view_release(v);
    }
    return NULL;
}

static void test_readers_race_the_tender(void **state) {
    (void)state;
    tu_testd t;
    aw_cluster_config cfg = start_config(&t, THREE, NULL);
    cfg.tend_interval_ms = 5;
    aw_cluster *c = new_cluster(&cfg);
    atomic_bool stop = false;
    reader r[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (reader){c, &stop, 0};
        assert_int_equal(pthread_create(&th[i], NULL, read_views, &r[i]), 0);
    }
    uint64_t version = aw_cluster_view_version(c);
    for (int i = 0; i < 10; i++) {
        tu_testd_ctl(&t, 0, "testd-move:partition=%d;master=%d;replica=%d", i * 11, i % 3,
                     (i + 1) % 3);
        if (i == 4)
            tu_testd_ctl(&t, 0, "testd-kill:node=2");
        if (i == 7)
            tu_testd_ctl(&t, 0, "testd-revive:node=2");
        wait_tends(c, 2, false); /* a whole round after the change: its view is in */
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(r[i].views > 0);
    }
    assert_true(aw_cluster_view_version(c) >= version + 5);
    free_cluster_and_stop(c, &t);
}

/* --- error-rate back-off -------------------------------------------------------------------- */

/* The official clients' circuit breaker: the count is checked live (a node
 * is backed off the moment it goes over, and back the moment a window ends
 * or it answers), the threshold halves after a window that went over and
 * doubles back after calm ones, and a backed-off node lets one probe
 * command through per AW_NODE_PROBE_MS. */
static void test_error_rate_backoff(void **state) {
    (void)state;
    tu_testd t;
    aw_cluster_config cfg = start_config(&t, NULL, NULL);
    cfg.max_error_rate = 3;
    cfg.error_rate_window = 1;
    cfg.tend_interval_ms = 60000;
    aw_cluster *c = new_cluster(&cfg);
    aw_cluster_view *v = aw_cluster_view_acquire(c);
    aw_node *n = v->nodes[0];
    for (int i = 0; i < 3; i++)
        aw_node_add_error(n);
    assert_false(aw_node_over_error_rate(n));
    aw_node_add_error(n);
    assert_true(aw_node_over_error_rate(n)); /* at once, not at the window's end */

    /* One probe per AW_NODE_PROBE_MS goes through; the rest are refused. */
    atomic_store(&n->probe_ms, 0);
    assert_false(aw_node_backed_off(n));
    assert_true(aw_node_backed_off(n));
    assert_true(aw_node_backed_off(n));

    /* The window ends: usable again, with the threshold halved (3 -> 1). */
    wait_tends(c, 1, true);
    assert_false(aw_node_over_error_rate(n));
    assert_int_equal(atomic_load(&n->max_errors), 1);

    /* Calm windows double the threshold back up to the configured rate. */
    wait_tends(c, 1, true);
    assert_int_equal(atomic_load(&n->max_errors), 2);
    wait_tends(c, 1, true);
    assert_int_equal(atomic_load(&n->max_errors), 3);
    wait_tends(c, 1, true);
    assert_int_equal(atomic_load(&n->max_errors), 3);

    /* Over again, then a window later over a halved threshold: a reply from
     * the node ends the back-off without waiting for the tend, and puts the
     * threshold back to the configured rate at once. */
    for (int i = 0; i < 4; i++)
        aw_node_add_error(n);
    wait_tends(c, 1, true);
    assert_int_equal(atomic_load(&n->max_errors), 1);
    aw_node_add_error(n);
    aw_node_add_error(n);
    assert_true(aw_node_over_error_rate(n));
    aw_node_answered(n);
    assert_false(aw_node_over_error_rate(n));
    assert_int_equal(atomic_load(&n->max_errors), 3);
    aw_cluster_view_release(v);
    free_cluster_and_stop(c, &t);
}

int main(void) {
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_pmap_merge_rules),
        cmocka_unit_test(test_pmap_parse_rejects_garbage),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_single_node),
        cmocka_unit_test(test_three_nodes_discovered),
        cmocka_unit_test(test_kill_and_revive),
        cmocka_unit_test(test_tend_now_wakes_the_tender),
        cmocka_unit_test(test_move_partition),
        cmocka_unit_test(test_misbehaving_node),
        cmocka_unit_test(test_new_out_of_memory),
        cmocka_unit_test(test_unreachable_seed_fails),
        cmocka_unit_test(test_cluster_name),
        cmocka_unit_test(test_late_server_found),
        cmocka_unit_test(test_view_outlives_cluster),
        cmocka_unit_test(test_error_rate_backoff),
        cmocka_unit_test(test_idle_sockets_reaped),
        cmocka_unit_test(test_readers_race_the_tender),
    };
    const struct CMUnitTest pool[] = {
        cmocka_unit_test(test_pool_reuse_and_limits),
        cmocka_unit_test(test_pool_wait_gets_returned_socket),
        cmocka_unit_test(test_pool_replaces_closed_idle_socket),
        cmocka_unit_test(test_info_round_trip),
        cmocka_unit_test(test_info_to_killed_node),
    };
    int failed = cmocka_run_group_tests_name("partition tables", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("cluster", live, NULL, stop_leftovers);
    failed += cmocka_run_group_tests_name("sync pool and info", pool, pool_setup, pool_teardown);
    return failed || tu_testd_stop_failed;
}
