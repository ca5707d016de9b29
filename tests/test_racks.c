/*
 * Rack awareness. aw-testd with three nodes on racks 1, 1 and 2
 * (--racks 1,1,2) answers `rack-ids`, `racks` and `rebalance-generation` as
 * an Enterprise server would and keeps every partition's two copies on
 * different racks, so node 2 (alone on rack 2) holds a copy of every
 * partition. A rack-aware client on rack 2 reading with
 * AW_REPLICA_PREFER_RACK must then send every read to node 2 (counted by
 * testd-stats), one preferring racks 5 then 1 none to it, and once node 2
 * dies the reads go to the others. Against nodes without racks (aw-testd
 * as CE, refusing rack-ids) PREFER_RACK reads go where SEQUENCE would. With AEROSPIKE_HOSTS naming a real
 * multi-node cluster whose nodes have a rack-id (Enterprise), the reads of a
 * client on the first node's rack land on that rack's nodes (per-node
 * client_read_success); skipped otherwise (CE refuses rack-ids).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/client.h"
#include "proto/info.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

#define N_KEYS 60

static tu_testd server;

static int start_server(void **state) {
    (void)state;
    const char *args[] = {"--namespaces", "test", "--racks", "1,1,2", NULL};
    return tu_testd_start_nodes(&server, 3, args);
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&server);
}

static char *info_value(uint16_t port, const char *name) {
    char req[128];
    snprintf(req, sizeof req, "%s\n", name);
    char *body = tu_info(port, req);
    assert_non_null(body);
    const char *v;
    size_t vl;
    char *out = NULL;
    if (aw_info_find(body, strlen(body), name, &v, &vl)) {
        out = malloc(vl + 1);
        memcpy(out, v, vl);
        out[vl] = '\0';
    }
    free(body);
    assert_non_null(out);
    return out;
}

static void testd_answers_racks(void **state) {
    (void)state;
    const char *want_ids[] = {"test:1", "test:1", "test:2"};
    for (int n = 0; n < 3; n++) {
        char *v = info_value(server.ports[n], "rack-ids");
        assert_string_equal(v, want_ids[n]);
        free(v);
        v = info_value(server.ports[n], "rebalance-generation");
        assert_true(atoi(v) >= 1);
        free(v);
    }
    char want[128];
    char ids[3][20];
    for (int n = 0; n < 3; n++) {
        char *v = info_value(server.ports[n], "node");
        snprintf(ids[n], sizeof ids[n], "%s", v);
        free(v);
    }
    const char *lo = strcmp(ids[0], ids[1]) < 0 ? ids[0] : ids[1];
    const char *hi = lo == ids[0] ? ids[1] : ids[0];
    snprintf(want, sizeof want, "ns=test:rack_1=%s,%s:rack_2=%s", lo, hi, ids[2]);
    char *v = info_value(server.ports[1], "racks");
    assert_string_equal(v, want);
    free(v);
    snprintf(want, sizeof want, "rack_1=%s,%s:rack_2=%s", lo, hi, ids[2]);
    v = info_value(server.ports[0], "racks:namespace=test");
    assert_string_equal(v, want);
    free(v);

    /* Every partition has its two copies on two racks: one on node 2
     * (without racks, node 2 holds only two thirds of them). */
    char *r = info_value(server.ports[2], "replicas");
    aw_replicas_ns ns[1];
    size_t n_ns = 0;
    aw_error err;
    assert_int_equal(aw_info_parse_replicas(r, strlen(r), ns, 1, &n_ns, &err), AW_OK);
    for (uint32_t p = 0; p < 4096; p++)
        if (aw_replicas_owns(&ns[0], 0, p) == aw_replicas_owns(&ns[0], 1, p))
            fail_msg("partition %u: node 2 holds %s copy", p,
                     aw_replicas_owns(&ns[0], 0, p) ? "both" : "no");
    free(r);
}

static aw_client *rack_client(const int32_t *racks, size_t n_racks, aw_replica_policy replica) {
    aw_config cfg = tu_client_config(&server, 50);
    cfg.rack_aware = true;
    cfg.rack_ids = racks;
    cfg.n_rack_ids = n_racks;
    cfg.read_policy.replica = replica;
    return tu_client_new(&cfg);
}

static void write_keys(aw_client *c, aw_key *keys) {
    for (int i = 0; i < N_KEYS; i++) {
        char name[32];
        snprintf(name, sizeof name, "rack-%d", i);
        keys[i] = tu_key("test", "racks", name);
        aw_bin b = {"i", aw_value_int(i)};
        aw_error err;
        tu_check(aw_put(c, NULL, &keys[i], &b, 1, &err), &err, "put");
    }
}

/* Reads every key and returns how many commands each node received. */
static void read_counting(aw_client *c, const aw_key *keys, uint64_t per_node[3]) {
    uint64_t before[3], after[3], held;
    for (int n = 0; n < 3; n++)
        before[n] = 0;
    for (int n = 0; n < 3; n++)
        if (!tu_testd_stats(&server, 0, n, &before[n], &held))
            fail_msg("testd-stats of node %d", n);
    for (int i = 0; i < N_KEYS; i++) {
        aw_record rec;
        aw_error err;
        tu_check(aw_get(c, NULL, &keys[i], NULL, 0, &rec, &err), &err, "get");
        aw_record_free(&rec);
    }
    for (int n = 0; n < 3; n++) {
        if (!tu_testd_stats(&server, 0, n, &after[n], &held))
            fail_msg("testd-stats of node %d", n);
        per_node[n] = after[n] - before[n];
    }
}

static void prefer_rack_reads_on_own_rack(void **state) {
    (void)state;
    int32_t rack2 = 2;
    aw_client *c = rack_client(&rack2, 1, AW_REPLICA_PREFER_RACK);
    aw_key keys[N_KEYS];
    write_keys(c, keys);
    uint64_t n[3];
    read_counting(c, keys, n);
    print_message("PREFER_RACK rack 2: node0 %" PRIu64 " node1 %" PRIu64 " node2 %" PRIu64 "\n",
                  n[0], n[1], n[2]);
    assert_int_equal(n[2], N_KEYS);
    assert_int_equal(n[0] + n[1], 0);

    /* SEQUENCE reads masters: node 2 only for its own. */
    aw_client_close(c);
    c = rack_client(&rack2, 1, AW_REPLICA_SEQUENCE);
    read_counting(c, keys, n);
    assert_true(n[2] < N_KEYS);
    assert_int_equal(n[0] + n[1] + n[2], N_KEYS);
    aw_client_close(c);
}

static void rack_list_in_order(void **state) {
    (void)state;
    /* No node is on rack 5; rack 1 is next: every read stays off node 2. */
    int32_t racks[] = {5, 1};
    aw_client *c = rack_client(racks, 2, AW_REPLICA_PREFER_RACK);
    aw_key keys[N_KEYS];
    write_keys(c, keys);
    uint64_t n[3];
    read_counting(c, keys, n);
    assert_int_equal(n[2], 0);
    assert_int_equal(n[0] + n[1], N_KEYS);
    aw_client_close(c);
}

static bool two_nodes(void *arg) { return aw_client_nodes(arg, NULL, 0) == 2; }
static bool three_nodes(void *arg) { return aw_client_nodes(arg, NULL, 0) == 3; }

static void falls_back_when_rack_node_dies(void **state) {
    (void)state;
    int32_t rack2 = 2;
    aw_client *c = rack_client(&rack2, 1, AW_REPLICA_PREFER_RACK);
    aw_key keys[N_KEYS];
    write_keys(c, keys);
    tu_testd_ctl(&server, 0, "testd-kill:node=2");
    tu_wait_for(two_nodes, c, 5000, "the client to drop node 2");
    uint64_t n[3];
    read_counting(c, keys, n);
    assert_int_equal(n[0] + n[1], N_KEYS);
    tu_testd_ctl(&server, 0, "testd-revive:node=2");
    tu_wait_for(three_nodes, c, 5000, "the client to see node 2 again");
    aw_client_close(c);
}

/* --- a server without racks (CE refuses rack-ids) ------------------------------- */

static int start_plain(void **state) {
    (void)state;
    const char *args[] = {"--namespaces", "test", NULL};
    return tu_testd_start_nodes(&server, 3, args);
}

/* The tend takes `ERROR:25:enterprise only` for no racks: the client starts,
 * keeps its nodes, and PREFER_RACK reads go where SEQUENCE sends them. */
static void no_racks_reads_as_sequence(void **state) {
    (void)state;
    int32_t rack2 = 2;
    aw_client *c = rack_client(&rack2, 1, AW_REPLICA_PREFER_RACK);
    aw_key keys[N_KEYS];
    write_keys(c, keys);
    uint64_t rack[3], seq[3];
    read_counting(c, keys, rack);
    aw_client_close(c);
    c = rack_client(&rack2, 1, AW_REPLICA_SEQUENCE);
    read_counting(c, keys, seq);
    for (int n = 0; n < 3; n++)
        assert_int_equal(rack[n], seq[n]);
    aw_client_stats st;
    aw_client_get_stats(c, &st);
    assert_int_equal(st.nodes_removed, 0);
    aw_client_close(c);
}

/* --- a real cluster ------------------------------------------------------------ */

static uint64_t reads_of(aw_client *c, const char *node) {
    char *reply = NULL;
    aw_error err;
    tu_check(aw_info(c, node, "namespace/test", 0, &reply, &err), &err, "namespace/test");
    const char *p = strstr(reply, "client_read_success=");
    uint64_t v = p ? strtoull(p + strlen("client_read_success="), NULL, 10) : 0;
    aw_free(reply);
    return v;
}

static void real_cluster_prefer_rack(void **state) {
    (void)state;
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    if (!hosts || !*hosts)
        skip();
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    aw_client *probe = tu_client_new(&cfg);
    char ids[16][20];
    size_t n_nodes = aw_client_nodes(probe, ids, 16);
    if (n_nodes < 2) {
        aw_client_close(probe);
        skip(); /* one node: nothing to choose between */
    }
    int32_t rack[16] = {0};
    for (size_t i = 0; i < n_nodes; i++) {
        char *reply = NULL;
        aw_error err;
        tu_check(aw_info(probe, ids[i], "rack-ids", 0, &reply, &err), &err, "rack-ids");
        const char *p = strstr(reply, "test:");
        bool refused = strstr(reply, "ERROR") != NULL || !p;
        rack[i] = p ? (int32_t)atoi(p + 5) : 0;
        aw_free(reply);
        if (refused) {
            aw_client_close(probe);
            skip(); /* CE, or no rack-id on namespace test */
        }
    }
    aw_client_close(probe);

    cfg.rack_aware = true;
    cfg.rack_id = rack[0];
    cfg.read_policy.replica = AW_REPLICA_PREFER_RACK;
    aw_client *c = tu_client_new(&cfg);
    aw_key keys[N_KEYS];
    write_keys(c, keys);
    uint64_t before[16], on_rack = 0, off_rack = 0;
    for (size_t i = 0; i < n_nodes; i++)
        before[i] = reads_of(c, ids[i]);
    for (int i = 0; i < N_KEYS; i++) {
        aw_record rec;
        aw_error err;
        tu_check(aw_get(c, NULL, &keys[i], NULL, 0, &rec, &err), &err, "get");
        aw_record_free(&rec);
    }
    for (size_t i = 0; i < n_nodes; i++) {
        uint64_t d = reads_of(c, ids[i]) - before[i];
        if (rack[i] == rack[0])
            on_rack += d;
        else
            off_rack += d;
    }
    print_message("real cluster, rack %d: %" PRIu64 " reads on it, %" PRIu64 " elsewhere\n",
                  rack[0], on_rack, off_rack);
    /* Other clients may read meanwhile; ours alone would be all on rack
     * when replication puts a copy on every rack. */
    assert_true(on_rack >= N_KEYS / 2);
    for (int i = 0; i < N_KEYS; i++) {
        aw_error err;
        aw_delete(c, NULL, &keys[i], &err);
    }
    aw_client_close(c);
}

int main(void) {
    const struct CMUnitTest with_testd[] = {
        cmocka_unit_test(testd_answers_racks),
        cmocka_unit_test(prefer_rack_reads_on_own_rack),
        cmocka_unit_test(rack_list_in_order),
        cmocka_unit_test(falls_back_when_rack_node_dies),
    };
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(no_racks_reads_as_sequence),
    };
    const struct CMUnitTest real[] = {
        cmocka_unit_test(real_cluster_prefer_rack),
    };
    int failed = cmocka_run_group_tests_name("racks (aw-testd --racks 1,1,2)", with_testd,
                                             start_server, stop_server);
    failed += cmocka_run_group_tests_name("racks (aw-testd without racks, as CE)", plain,
                                          start_plain, stop_server);
    failed += cmocka_run_group_tests_name("racks (AEROSPIKE_HOSTS)", real, NULL, NULL);
    return failed || tu_testd_stop_failed;
}
