/*
 * aw-testd cluster mode: three nodes on consecutive ports, replication
 * factor 2, answering as the real 3-node cluster of real-3-node-cluster.json.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "proto/info.h"
#include "proto/msg.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

static tu_testd server;

static int start_three(void **state) {
    (void)state;
    const char *args[] = {"--nodes", "3", "--namespaces", "test", NULL};
    return tu_testd_start(&server, args);
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&server);
}

static char *info_value(int node, const char *name) {
    char req[128];
    snprintf(req, sizeof req, "%s\n", name);
    char *body = tu_info(server.ports[node], req);
    if (!body)
        return NULL;
    const char *v;
    size_t vl;
    char *out = NULL;
    if (aw_info_find(body, strlen(body), name, &v, &vl)) {
        out = malloc(vl + 1);
        memcpy(out, v, vl);
        out[vl] = '\0';
    }
    free(body);
    return out;
}

/* Counts, per partition, masters and replicas over the live nodes. */
static void ownership(int nodes_mask, int masters[4096], int replicas[4096], int master_of[4096]) {
    memset(masters, 0, 4096 * sizeof(int));
    memset(replicas, 0, 4096 * sizeof(int));
    for (int n = 0; n < server.n_nodes; n++) {
        if (!(nodes_mask & (1 << n)))
            continue;
        char *v = info_value(n, "replicas");
        assert_non_null(v);
        aw_replicas_ns ns[2];
        size_t n_ns = 0;
        aw_error err;
        if (aw_info_parse_replicas(v, strlen(v), ns, 2, &n_ns, &err) != AW_OK)
            fail_msg("node %d replicas: %s", n, err.message);
        assert_int_equal(n_ns, 1);
        assert_string_equal(ns[0].ns, "test");
        assert_int_equal(ns[0].n_repl_sent, 2);
        for (uint32_t p = 0; p < 4096; p++) {
            if (aw_replicas_owns(&ns[0], 0, p)) {
                masters[p]++;
                master_of[p] = n;
            }
            if (aw_replicas_owns(&ns[0], 1, p))
                replicas[p]++;
        }
        free(v);
    }
}

static void test_one_master_one_replica(void **state) {
    (void)state;
    int masters[4096], replicas[4096], master_of[4096];
    ownership(7, masters, replicas, master_of);
    int per_node[3] = {0};
    for (int p = 0; p < 4096; p++) {
        assert_int_equal(masters[p], 1);
        assert_int_equal(replicas[p], 1);
        per_node[master_of[p]]++;
    }
    /* Balanced, as a real cluster is within a few percent. */
    for (int n = 0; n < 3; n++)
        assert_in_range(per_node[n], 1300, 1400);
}

/* Each node lists the two others, as the real cluster's peers-clear-std does. */
static void test_peers(void **state) {
    (void)state;
    for (int n = 0; n < 3; n++) {
        char *v = info_value(n, "peers-clear-std");
        aw_peer peers[4];
        aw_peers p = {.peers = peers, .cap = 4};
        aw_error err;
        if (aw_info_parse_peers(v, strlen(v), &p, &err) != AW_OK)
            fail_msg("peers of node %d: %s (%s)", n, err.message, v);
        assert_int_equal(p.n_peers, 2);
        int seen = 0;
        for (size_t i = 0; i < 2; i++) {
            assert_int_equal(peers[i].n_hosts, 1);
            assert_string_equal(peers[i].hosts[0].name, "127.0.0.1");
            for (int o = 0; o < 3; o++)
                if (o != n && peers[i].hosts[0].port == server.ports[o])
                    seen |= 1 << o;
        }
        assert_int_equal(seen, 7 & ~(1 << n));
        free(v);
        char *alt = info_value(n, "peers-clear-alt");
        assert_non_null(strstr(alt, ",3000,[]"));
        free(alt);
    }
}

/* The same get sent to master, replica and the third node gets the same
 * reply (the real cluster proxies; see same_get_to_each_node). */
static void test_same_get_to_each_node(void **state) {
    (void)state;
    size_t len;
    uint8_t *put = tu_hex_decode(json_string_value(json_object_get(tu_command("put_scalars"), "request_hex")), &len);
    int fd = tu_connect(server.ports[0]);
    assert_int_equal(tu_send(fd, put, len), 0);
    size_t rl;
    uint8_t *r = tu_recv_frame(fd, &rl, 0);
    assert_non_null(r);
    assert_int_equal(r[13], 0);
    free(r);
    close(fd);
    free(put);

    json_t *gets = json_object_get(tu_capture("real-3-node-cluster.json"), "same_get_to_each_node");
    size_t i;
    json_t *g;
    json_array_foreach(gets, i, g) {
        size_t ql, el;
        uint8_t *q = tu_hex_decode(json_string_value(json_object_get(g, "request_hex")), &ql);
        uint8_t *e = tu_hex_decode(json_string_value(json_object_get(g, "reply_hex")), &el);
        fd = tu_connect(server.ports[i]);
        assert_int_equal(tu_send(fd, q, ql), 0);
        r = tu_recv_frame(fd, &rl, 0);
        assert_non_null(r);
        assert_int_equal(rl, el);
        assert_memory_equal(r, e, el); /* void time 0 here: byte-identical */
        free(r);
        free(q);
        free(e);
        close(fd);
    }
}

/* Killing a node moves its partitions to the others, bumps generations,
 * drops it from peers; reviving it brings it back. */
static void test_kill_and_revive(void **state) {
    (void)state;
    char *gen_before = info_value(0, "partition-generation");
    char *peers_gen_before = info_value(0, "peers-generation");
    char *ok = info_value(0, "testd-kill:node=2");
    assert_string_equal(ok, "ok");
    free(ok);
    assert_true(tu_connect(server.ports[2]) < 0);

    int masters[4096], replicas[4096], master_of[4096];
    ownership(3, masters, replicas, master_of);
    for (int p = 0; p < 4096; p++) {
        assert_int_equal(masters[p], 1);
        assert_int_equal(replicas[p], 1);
    }
    char *gen_after = info_value(0, "partition-generation");
    assert_string_not_equal(gen_before, gen_after);
    char *peers_gen_after = info_value(0, "peers-generation");
    assert_string_not_equal(peers_gen_before, peers_gen_after);
    char *peers = info_value(0, "peers-clear-std");
    char port2[16];
    snprintf(port2, sizeof port2, ":%u]", server.ports[2]);
    assert_null(strstr(peers, port2));
    free(peers);

    ok = info_value(1, "testd-revive:node=2");
    assert_string_equal(ok, "ok");
    free(ok);
    int fd = tu_connect(server.ports[2]);
    assert_true(fd >= 0);
    close(fd);
    ownership(7, masters, replicas, master_of);
    for (int p = 0; p < 4096; p++)
        assert_int_equal(masters[p] + replicas[p], 2);
    free(gen_before);
    free(gen_after);
    free(peers_gen_before);
    free(peers_gen_after);
}

/* A node told to kill itself answers the command on the connection that
 * carried it, then closes it (the command's own connection is one of the
 * node's); the other nodes revive it. */
static void test_kill_self(void **state) {
    (void)state;
    int fd = tu_connect(server.ports[1]);
    assert_true(fd >= 0);
    const char cmd[] = "testd-kill:node=1\n";
    uint8_t h[8] = {2, 1, 0, 0, 0, 0, 0, (uint8_t)(sizeof cmd - 1)};
    assert_int_equal(tu_send(fd, h, 8), 0);
    assert_int_equal(tu_send(fd, cmd, sizeof cmd - 1), 0);
    size_t len;
    uint8_t *r = tu_recv_frame(fd, &len, 2000);
    assert_non_null(r);
    assert_non_null(strstr((char *)r + 8, "testd-kill:node=1\tok"));
    free(r);
    char b;
    assert_int_equal(recv(fd, &b, 1, 0), 0); /* then EOF */
    close(fd);
    assert_true(tu_connect(server.ports[1]) < 0);
    char *nodes = info_value(0, "testd-nodes");
    assert_non_null(strstr(nodes, ":dead"));
    free(nodes);
    char *ok = info_value(2, "testd-revive:node=1");
    assert_string_equal(ok, "ok");
    free(ok);
    int masters[4096], replicas[4096], master_of[4096];
    ownership(7, masters, replicas, master_of);
    for (int p = 0; p < 4096; p++) {
        assert_int_equal(masters[p], 1);
        assert_int_equal(replicas[p], 1);
    }
}

static void test_move_partition(void **state) {
    (void)state;
    int masters[4096], replicas[4096], master_of[4096];
    ownership(7, masters, replicas, master_of);
    int from = master_of[1975];
    int to = (from + 1) % 3;
    int rep = (from + 2) % 3;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "testd-move:partition=1975;master=%d;replica=%d", to, rep);
    char *ok = info_value(0, cmd);
    assert_string_equal(ok, "ok");
    free(ok);
    ownership(7, masters, replicas, master_of);
    assert_int_equal(master_of[1975], to);
    assert_int_equal(masters[1975], 1);
    assert_int_equal(replicas[1975], 1);
    /* Bad arguments are refused, not obeyed. */
    char *bad = info_value(0, "testd-move:partition=5000;master=0");
    assert_non_null(strstr(bad, "ERROR"));
    free(bad);
    bad = info_value(0, "testd-kill:node=9");
    assert_non_null(strstr(bad, "ERROR"));
    free(bad);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_master_one_replica),
        cmocka_unit_test(test_peers),
        cmocka_unit_test(test_same_get_to_each_node),
        cmocka_unit_test(test_kill_and_revive),
        cmocka_unit_test(test_kill_self),
        cmocka_unit_test(test_move_partition),
    };
    int failed = cmocka_run_group_tests_name("testd_cluster", tests, start_three, stop_server);
    return failed || tu_testd_stop_failed;
}
