/* aw_namespaces / aw_sets (aerowire/info.h): the parser on the 8.1.2.0
 * server's answers (one node, two merged, an older server's byte counts,
 * ns_type=unknown, errors and malformed values), then the calls against a
 * three-node aw-testd (replication 2: every record counted twice over the
 * nodes, each node's share as the partition map says) and, under
 * AEROSPIKE_HOSTS, against that server, in sets of this suite's own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "proto/set_info.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

/* One entry of a real 8.1.2.0 `sets/test` answer, as it came. */
#define REAL_ENTRY(set, objects, bytes, lut, sindexes)                                       \
    "ns=test:set=" set ":objects=" objects ":tombstones=0:data_used_bytes=" bytes              \
    ":truncate_lut=" lut ":sindexes=" sindexes ":index_populating=false:truncating=false:"    \
    "default-read-touch-ttl-pct=0:default-ttl=0:disable-eviction=false:enable-index=false:"   \
    "stop-writes-count=0:stop-writes-size=0;"

static int parse(const char *v, aw_set_list *list, bool *known, aw_error *err) {
    return aw_sets_parse(v, strlen(v), list, known, err);
}

static const aw_set_info *find(const aw_set_list *l, const char *name) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

static void test_parse_real_answers(void **state) {
    aw_set_list l = {0};
    bool known;
    aw_error err;
    const char *node1 = REAL_ENTRY("aw_cli_scan", "20", "1280", "0", "0")
        REAL_ENTRY("aw_cli_q", "0", "0", "534315519562", "2");
    tu_check(parse(node1, &l, &known, &err), &err, "node 1");
    assert_true(known);
    assert_int_equal(l.n, 2);
    const aw_set_info *s = &l.items[0];
    assert_string_equal(s->ns, "test");
    assert_string_equal(s->name, "aw_cli_scan");
    assert_int_equal(s->objects, 20);
    assert_int_equal(s->data_used_bytes, 1280);
    assert_int_equal(s->nodes, 1);
    assert_int_equal(l.items[1].truncate_lut, 534315519562ull);
    assert_int_equal(l.items[1].sindexes, 2);
    /* A second node: counts added, the latest cut-off, a set only it has. */
    const char *node2 = "ns=test:set=aw_cli_q:objects=3:tombstones=1:data_used_bytes=192:"
                        "truncate_lut=534315519999:sindexes=2:index_populating=true:"
                        "truncating=false:default-ttl=0:disable-eviction=false:"
                        "enable-index=true:stop-writes-count=1000:stop-writes-size=0;"
                        REAL_ENTRY("other", "4", "256", "0", "0");
    tu_check(parse(node2, &l, &known, &err), &err, "node 2");
    assert_int_equal(l.n, 3);
    s = find(&l, "aw_cli_q");
    assert_int_equal(s->objects, 3);
    assert_int_equal(s->tombstones, 1);
    assert_int_equal(s->data_used_bytes, 192);
    assert_int_equal(s->truncate_lut, 534315519999ull);
    assert_int_equal(s->nodes, 2);
    assert_true(s->index_populating);   /* state: on some node */
    assert_false(s->enable_index);      /* configuration: the first node's */
    assert_int_equal(s->stop_writes_count, 0);
    assert_int_equal(find(&l, "other")->objects, 4);
    /* A server before 7.0: memory and device bytes. */
    tu_check(parse("ns=bar:set=old:objects=2:memory_data_bytes=100:device_data_bytes=28:"
                   "stop-writes-count=7:disable-eviction=true;",
                   &l, &known, &err),
             &err, "old server");
    s = find(&l, "old");
    assert_int_equal(s->data_used_bytes, 128);
    assert_int_equal(s->stop_writes_count, 7);
    assert_true(s->disable_eviction);
    aw_free(l.items);

    /* A node without the namespace; an empty answer (no sets). */
    memset(&l, 0, sizeof l);
    tu_check(parse("ns_type=unknown", &l, &known, &err), &err, "unknown");
    assert_false(known);
    tu_check(parse("", &l, &known, &err), &err, "empty");
    assert_true(known);
    assert_int_equal(l.n, 0);
    /* Errors: the server's code, and what does not parse. */
    assert_int_equal(parse("ERROR:4:not served", &l, &known, &err), 4);
    assert_int_equal(parse("ns=test:objects=1;", &l, &known, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "no ns and set name"));
    assert_int_equal(parse("ns=test:set=a:objects=x1;", &l, &known, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "objects of test/a is 'x1'"));
    char longname[200] = "ns=test:set=";
    memset(longname + strlen(longname), 'a', 64);
    assert_int_equal(parse(longname, &l, &known, &err), AW_ERR_PROTO);
    aw_free(l.items);
}

static void test_parse_namespaces(void **state) {
    aw_ns_list l = {0};
    aw_error err;
    tu_check(aw_namespaces_parse("test;bar", 8, &l, &err), &err, "node 1");
    tu_check(aw_namespaces_parse("bar;third;", 10, &l, &err), &err, "node 2");
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].name, "test");
    assert_string_equal(l.items[1].name, "bar");
    assert_string_equal(l.items[2].name, "third");
    const char *too_long = "a_namespace_name_of_32_bytes_xyz";
    assert_int_equal(aw_namespaces_parse(too_long, strlen(too_long), &l, &err), AW_ERR_PROTO);
    aw_free(l.items);
}

/* --- against a server ----------------------------------------------------------- */

static tu_testd srv;
static aw_client *client;
static const char *real_hosts;
static char SET_A[32], SET_B[32];

static int setup(void **state) {
    aw_config cfg;
    if (real_hosts) {
        aw_config_init(&cfg);
        cfg.hosts = real_hosts;
        return tu_client_setup(&client, &cfg);
    }
    if (tu_testd_start_nodes(&srv, 3, NULL) != 0)
        return -1;
    cfg = tu_client_config(&srv, 100);
    return tu_client_setup(&client, &cfg) != 0 || tu_wait_nodes(client, 3, 3000) != 3 ? -1 : 0;
}

static int teardown(void **state) {
    aw_error err;
    aw_truncate(client, "test", SET_A, 0, 0, &err);
    aw_truncate(client, "test", SET_B, 0, 0, &err);
    aw_client_close(client);
    return real_hosts ? 0 : tu_testd_stop(&srv);
}

static void put_records(const char *set, int n) {
    aw_error err;
    for (int i = 0; i < n; i++) {
        aw_key k;
        tu_check(aw_key_init_int(&k, "test", set, i, &err), &err, "key");
        aw_bin bin = {"v", aw_value_int(i)};
        tu_check(aw_put(client, NULL, &k, &bin, 1, &err), &err, "put");
    }
}

/* The namespace's replication factor, as a node tells it. */
static uint64_t replication(void) {
    char *reply = NULL;
    aw_error err;
    tu_check(aw_info(client, NULL, "namespace/test\n", 0, &reply, &err), &err, "namespace/test");
    const char *rf = strstr(reply, "effective_replication_factor=");
    assert_non_null(rf);
    uint64_t n = strtoull(rf + strlen("effective_replication_factor="), NULL, 10);
    aw_free(reply);
    return n;
}

static void test_namespaces(void **state) {
    aw_namespace_name *names;
    size_t n;
    aw_error err;
    tu_check(aw_namespaces(client, &names, &n, &err), &err, "aw_namespaces");
    bool has_test = false;
    for (size_t i = 0; i < n; i++)
        has_test |= strcmp(names[i].name, "test") == 0;
    assert_true(has_test);
    if (!real_hosts) { /* aw-testd's defaults */
        assert_int_equal(n, 2);
        assert_string_equal(names[1].name, "bar");
    }
    aw_free(names);
    assert_int_equal(aw_namespaces(NULL, &names, &n, &err), AW_ERR_PARAM);
}

/* Every node's copies of a set's records add up to records x replication
 * factor; a set of the other namespace is not there; ns NULL lists both. */
static void test_sets(void **state) {
    put_records(SET_A, 40);
    put_records(SET_B, 7);
    aw_set_info *sets;
    size_t n;
    aw_error err;
    tu_check(aw_sets(client, "test", &sets, &n, &err), &err, "aw_sets");
    uint64_t rf = replication();
    const aw_set_info *a = NULL, *b = NULL;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(sets[i].ns, "test");
        if (strcmp(sets[i].name, SET_A) == 0)
            a = &sets[i];
        if (strcmp(sets[i].name, SET_B) == 0)
            b = &sets[i];
    }
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->objects, 40 * rf);
    assert_int_equal(b->objects, 7 * rf);
    assert_int_equal(a->tombstones, 0);
    assert_int_equal(a->nodes, aw_client_nodes(client, NULL, 0));
    assert_int_equal(a->stop_writes_count, 0);
    aw_free(sets);
    tu_check(aw_sets(client, NULL, &sets, &n, &err), &err, "aw_sets every namespace");
    size_t seen = 0;
    for (size_t i = 0; i < n; i++)
        seen += strcmp(sets[i].name, SET_A) == 0 && sets[i].objects == 40 * rf;
    assert_int_equal(seen, 1);
    aw_free(sets);
    /* refusals */
    assert_int_equal(aw_sets(client, "no_such_ns", &sets, &n, &err), AW_ERR_NAMESPACE_NOT_FOUND);
    assert_non_null(strstr(err.message, "no node has namespace no_such_ns"));
    assert_int_equal(aw_sets(client, "te:st", &sets, &n, &err), AW_ERR_PARAM);
    assert_int_equal(aw_sets(client, "", &sets, &n, &err), AW_ERR_PARAM);
    assert_int_equal(aw_sets(client, "test", NULL, &n, &err), AW_ERR_PARAM);
}

int main(void) {
    const struct CMUnitTest parsing[] = {
        cmocka_unit_test(test_parse_real_answers),
        cmocka_unit_test(test_parse_namespaces),
    };
    const struct CMUnitTest calls[] = {
        cmocka_unit_test(test_namespaces),
        cmocka_unit_test(test_sets),
    };
    snprintf(SET_A, sizeof SET_A, "is%ld_a", (long)getpid());
    snprintf(SET_B, sizeof SET_B, "is%ld_b", (long)getpid());
    int failed = cmocka_run_group_tests_name("info_sets (parser)", parsing, NULL, NULL);
    failed += cmocka_run_group_tests_name("info_sets (aw-testd)", calls, setup, teardown);
    real_hosts = getenv("AEROSPIKE_HOSTS");
    if (!real_hosts || !*real_hosts) {
        printf("test_info_sets: AEROSPIKE_HOSTS is not set; the real-server run is skipped\n");
        return failed;
    }
    snprintf(SET_A, sizeof SET_A, "is%ld_ra", (long)getpid());
    snprintf(SET_B, sizeof SET_B, "is%ld_rb", (long)getpid());
    return failed + cmocka_run_group_tests_name("info_sets (AEROSPIKE_HOSTS)", calls, setup,
                                                teardown);
}
