/*
 * The sync API against aw-testd: every command and policy with its success
 * and error codes on one node; routing, fail-over, moved partitions, node
 * loss and return on three; timeouts and bad replies from the fault
 * injectors; the pool limit; many threads at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "client/client_impl.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

static tu_testd srv;
static aw_client *client;

/* --- helpers ---------------------------------------------------------------- */

static aw_key key_of(const char *name) { return tu_key("test", "sync", name); }

/* The i-th key whose partition prefers node `node` of n. */
static aw_key key_on(int node, int n, int i, const char *tag) {
    return tu_key_on("test", "sync", node, n, i, tag);
}

/* The suite's config: tends every 100 ms, connects within 1 s. */
static aw_config test_config(void) {
    aw_config cfg = tu_client_config(&srv, 100);
    cfg.connect_timeout_ms = 1000;
    return cfg;
}

static int start(int nodes) {
    if (tu_testd_start_nodes(&srv, nodes, NULL) != 0)
        return -1;
    aw_config cfg = test_config();
    return tu_client_setup(&client, &cfg);
}
static int start_one(void **state) { return start(1); }
static int start_three(void **state) {
    if (start(3) != 0)
        return -1;
    return tu_wait_nodes(client, 3, 3000) == 3 ? 0 : -1;
}
static int stop(void **state) {
    aw_client_close(client);
    client = NULL;
    return tu_testd_stop_group(&srv);
}

/* Clears a node's fault and waits for two tend rounds, so the tend thread
 * has seen the node answer again (faults apply to its info replies too,
 * and a node failing several tends in a row is dropped). */
static void settle(int node) {
    tu_testd_clear_fault(&srv, node);
    assert_true(tu_wait_tends(client, 2, 3000));
    assert_int_equal(tu_wait_nodes(client, (size_t)srv.n_nodes, 3000), srv.n_nodes);
}

/* After a fault test, whatever happened: no node keeps a fault. */
static int clear_faults(void **state) {
    tu_testd_clear_faults(&srv);
    return 0;
}

/* --- arguments ------------------------------------------------------------------ */

static void test_null_args(void **state) {
    aw_key k = key_of("null-args");
    aw_bin bin = {"b", aw_value_int(1)};
    aw_record rec;
    aw_error err;
    bool ex;
    aw_op op = aw_op_read("b");
    assert_int_equal(aw_put(NULL, NULL, &k, &bin, 1, &err), AW_ERR_PARAM);
    assert_int_equal(aw_put(client, NULL, NULL, &bin, 1, &err), AW_ERR_PARAM);
    assert_int_equal(aw_put(client, NULL, &k, NULL, 1, &err), AW_ERR_PARAM);
    assert_int_equal(aw_put(client, NULL, &k, &bin, 0, &err), AW_ERR_PARAM);
    assert_int_equal(aw_get(client, NULL, &k, NULL, 0, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_get(NULL, NULL, &k, NULL, 0, &rec, &err), AW_ERR_PARAM);
    assert_int_equal(rec.n_bins, 0); /* empty after a failure, safe to free */
    aw_record_free(&rec);
    assert_int_equal(aw_get(client, NULL, &k, NULL, 2, &rec, &err), AW_ERR_PARAM);
    aw_record_free(&rec);
    assert_int_equal(aw_get_header(client, NULL, &k, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_exists(client, NULL, &k, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_exists(client, NULL, NULL, &ex, &err), AW_ERR_PARAM);
    assert_int_equal(aw_delete(client, NULL, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_touch(NULL, NULL, &k, &err), AW_ERR_PARAM);
    assert_int_equal(aw_operate(client, NULL, &k, NULL, 1, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_operate(client, NULL, &k, &op, 0, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_put(client, NULL, NULL, &bin, 1, NULL), AW_ERR_PARAM); /* NULL err */
    aw_policy p = aw_policy_write();
    p.gen = (aw_gen_policy)7;
    assert_int_equal(aw_put(client, &p, &k, &bin, 1, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "gen"));
    /* A digest-only key cannot be sent with its user key. */
    aw_key d;
    aw_key_init_digest(&d, "test", "sync", k.digest, NULL);
    p = aw_policy_write();
    p.send_key = true;
    assert_int_equal(aw_put(client, &p, &d, &bin, 1, &err), AW_ERR_PARAM);
}

/* Refused before anything is sent: the command counter does not move. */
static void test_bad_bin_name(void **state) {
    aw_key k = key_of("bad-name");
    aw_error err;
    uint64_t before = tu_stats(client).commands;
    aw_bin bin = {"sixteen-bytes-xx", aw_value_int(1)};
    assert_int_equal(aw_put(client, NULL, &k, &bin, 1, &err), AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "sixteen-bytes-xx"));
    const char *names[] = {"sixteen-bytes-xx"};
    aw_record rec;
    assert_int_equal(aw_get(client, NULL, &k, names, 1, &rec, &err), AW_ERR_BAD_NAME);
    aw_record_free(&rec);
    aw_op op = aw_op_incr("sixteen-bytes-xx", aw_value_int(1));
    assert_int_equal(aw_operate(client, NULL, &k, &op, 1, NULL, &err), AW_ERR_BAD_NAME);
    assert_int_equal(tu_stats(client).commands, before);
    bool ex = true;
    tu_check(aw_exists(client, NULL, &k, &ex, &err), &err, "exists");
    assert_false(ex);
}

static void test_unknown_namespace(void **state) {
    aw_key k;
    aw_key_init_str(&k, "nosuchns", "s", "k", NULL);
    aw_error err;
    aw_record rec;
    uint64_t t0 = aw_now_ms();
    assert_int_equal(aw_get(client, NULL, &k, NULL, 0, &rec, &err), AW_ERR_NAMESPACE_NOT_FOUND);
    assert_true(aw_now_ms() - t0 < 500); /* from routing: no retries, nothing sent */
    assert_non_null(strstr(err.message, "nosuchns"));
    assert_false(err.in_doubt);
    aw_bin bin = {"b", aw_value_int(1)};
    assert_int_equal(aw_put(client, NULL, &k, &bin, 1, &err), AW_ERR_NAMESPACE_NOT_FOUND);
    assert_false(err.in_doubt);
}

/* --- values ----------------------------------------------------------------------- */

static void test_put_get_all_types(void **state) {
    aw_key k = key_of("types");
    aw_error err;
    uint8_t blob[] = {0, 1, 2, 0xff};
    aw_value items[] = {aw_value_int(1), aw_value_str("two"), aw_value_float(3.5)};
    aw_value kv[] = {aw_value_str("a"), aw_value_int(1), aw_value_str("b"), aw_value_list(items, 3)};
    aw_bin bins[] = {
        {"i", aw_value_int(-42)},          {"f", aw_value_float(2.25)},
        {"s", aw_value_str("hello")},      {"blob", aw_value_blob(blob, sizeof blob)},
        {"t", aw_value_bool(true)},        {"l", aw_value_list(items, 3)},
        {"m", aw_value_map(kv, 2)},        {"empty", aw_value_str("")},
        {"big", aw_value_int(INT64_MAX)},
    };
    size_t n = sizeof bins / sizeof *bins;
    tu_check(aw_put(client, NULL, &k, bins, n, &err), &err, "put");
    aw_record rec;
    tu_check(aw_get(client, NULL, &k, NULL, 0, &rec, &err), &err, "get");
    assert_int_equal(rec.n_bins, n);
    assert_int_equal(rec.gen, 1);
    for (size_t i = 0; i < n; i++) {
        const aw_value *v = aw_record_get(&rec, bins[i].name);
        if (!v || !aw_value_equal(v, &bins[i].value))
            fail_msg("bin %s did not round-trip", bins[i].name);
    }
    aw_record_free(&rec);

    /* A nil value removes its bin; the others stay. */
    aw_bin rm[] = {{"s", aw_value_nil()}, {"i", aw_value_int(7)}};
    tu_check(aw_put(client, NULL, &k, rm, 2, &err), &err, "put nil");
    tu_check(aw_get(client, NULL, &k, NULL, 0, &rec, &err), &err, "get");
    assert_int_equal(rec.n_bins, n - 1);
    assert_null(aw_record_get(&rec, "s"));
    assert_int_equal(aw_record_get(&rec, "i")->u.i, 7);
    assert_int_equal(rec.gen, 2);
    aw_record_free(&rec);
}

static void test_named_bins_and_header(void **state) {
    aw_key k = key_of("named");
    aw_error err;
    aw_bin bins[] = {{"a", aw_value_int(1)}, {"b", aw_value_int(2)}, {"c", aw_value_int(3)}};
    aw_policy wp = aw_policy_write();
    wp.ttl = 1000;
    tu_check(aw_put(client, &wp, &k, bins, 3, &err), &err, "put");
    aw_record rec;
    const char *names[] = {"c", "a", "zz"};
    tu_check(aw_get(client, NULL, &k, names, 3, &rec, &err), &err, "get named");
    assert_int_equal(rec.n_bins, 2);
    assert_int_equal(aw_record_get(&rec, "a")->u.i, 1);
    assert_int_equal(aw_record_get(&rec, "c")->u.i, 3);
    assert_null(aw_record_get(&rec, "b"));
    aw_record_free(&rec);

    tu_check(aw_get_header(client, NULL, &k, &rec, &err), &err, "header");
    assert_int_equal(rec.n_bins, 0);
    assert_int_equal(rec.gen, 1);
    assert_true(rec.ttl >= 998 && rec.ttl <= 1000);
    aw_record_free(&rec);

    aw_key missing = key_of("named-missing");
    assert_int_equal(aw_get(client, NULL, &missing, NULL, 0, &rec, &err), AW_ERR_RECORD_NOT_FOUND);
    assert_int_equal(err.code, AW_ERR_RECORD_NOT_FOUND);
    assert_false(err.in_doubt);
    assert_int_equal(rec.n_bins, 0);
    aw_record_free(&rec);
    assert_int_equal(aw_get_header(client, NULL, &missing, &rec, &err), AW_ERR_RECORD_NOT_FOUND);
    aw_record_free(&rec);
}

static void test_exists_delete(void **state) {
    aw_key k = key_of("exists");
    aw_error err;
    bool ex = true;
    tu_check(aw_exists(client, NULL, &k, &ex, &err), &err, "exists");
    assert_false(ex);
    aw_bin bin = {"b", aw_value_int(1)};
    tu_check(aw_put(client, NULL, &k, &bin, 1, &err), &err, "put");
    tu_check(aw_exists(client, NULL, &k, &ex, &err), &err, "exists");
    assert_true(ex);
    tu_check(aw_delete(client, NULL, &k, &err), &err, "delete");
    tu_check(aw_exists(client, NULL, &k, &ex, &err), &err, "exists");
    assert_false(ex);
    assert_int_equal(aw_delete(client, NULL, &k, &err), AW_ERR_RECORD_NOT_FOUND);
    assert_false(err.in_doubt); /* the server's answer is final, not in doubt */

    /* Durable deletes are Enterprise-only: a community server (aw-testd
     * follows CE 8.1) refuses them and keeps the record. */
    tu_check(aw_put(client, NULL, &k, &bin, 1, &err), &err, "put");
    aw_policy p = aw_policy_write();
    p.durable_delete = true;
    assert_int_equal(aw_delete(client, &p, &k, &err), AW_ERR_ENTERPRISE_ONLY);
    assert_false(err.in_doubt);
    tu_check(aw_exists(client, NULL, &k, &ex, &err), &err, "exists");
    assert_true(ex);
}

static void test_touch(void **state) {
    aw_key k = key_of("touch");
    aw_error err;
    aw_policy p = aw_policy_write();
    p.ttl = 100;
    aw_bin bin = {"b", aw_value_int(1)};
    tu_check(aw_put(client, &p, &k, &bin, 1, &err), &err, "put");
    p.ttl = 5000;
    tu_check(aw_touch(client, &p, &k, &err), &err, "touch");
    aw_record rec;
    tu_check(aw_get_header(client, NULL, &k, &rec, &err), &err, "header");
    assert_int_equal(rec.gen, 2);
    assert_true(rec.ttl > 4990 && rec.ttl <= 5000);
    aw_record_free(&rec);
    aw_key missing = key_of("touch-missing");
    assert_int_equal(aw_touch(client, &p, &missing, &err), AW_ERR_RECORD_NOT_FOUND);
}

static void test_exists_policies(void **state) {
    aw_key k = key_of("policies");
    aw_key missing = key_of("policies-missing");
    aw_error err;
    aw_bin two[] = {{"a", aw_value_int(1)}, {"b", aw_value_int(2)}};
    aw_bin one[] = {{"c", aw_value_int(3)}};
    aw_policy p = aw_policy_write();
    p.exists = AW_EXISTS_CREATE_ONLY;
    tu_check(aw_put(client, &p, &k, two, 2, &err), &err, "create");
    assert_int_equal(aw_put(client, &p, &k, two, 2, &err), AW_ERR_RECORD_EXISTS);
    assert_false(err.in_doubt);
    p.exists = AW_EXISTS_UPDATE_ONLY;
    assert_int_equal(aw_put(client, &p, &missing, one, 1, &err), AW_ERR_RECORD_NOT_FOUND);
    tu_check(aw_put(client, &p, &k, one, 1, &err), &err, "update only");
    p.exists = AW_EXISTS_REPLACE_ONLY;
    assert_int_equal(aw_put(client, &p, &missing, one, 1, &err), AW_ERR_RECORD_NOT_FOUND);
    aw_record rec;
    tu_check(aw_get(client, NULL, &k, NULL, 0, &rec, &err), &err, "get");
    assert_int_equal(rec.n_bins, 3); /* update merged */
    aw_record_free(&rec);
    p.exists = AW_EXISTS_REPLACE;
    tu_check(aw_put(client, &p, &k, one, 1, &err), &err, "replace");
    tu_check(aw_get(client, NULL, &k, NULL, 0, &rec, &err), &err, "get");
    assert_int_equal(rec.n_bins, 1); /* replace dropped a and b */
    assert_non_null(aw_record_get(&rec, "c"));
    aw_record_free(&rec);
    p.exists = AW_EXISTS_REPLACE_ONLY;
    tu_check(aw_put(client, &p, &k, two, 2, &err), &err, "replace only");
    tu_check(aw_get(client, NULL, &k, NULL, 0, &rec, &err), &err, "get");
    assert_int_equal(rec.n_bins, 2);
    assert_null(aw_record_get(&rec, "c"));
    aw_record_free(&rec);
}

static void test_generation(void **state) {
    aw_key k = key_of("gen");
    aw_error err;
    aw_bin bin = {"b", aw_value_int(1)};
    tu_check(aw_put(client, NULL, &k, &bin, 1, &err), &err, "put");
    tu_check(aw_put(client, NULL, &k, &bin, 1, &err), &err, "put"); /* gen 2 */
    aw_policy p = aw_policy_write();
    p.gen = AW_GEN_EQ;
    p.generation = 1;
    assert_int_equal(aw_put(client, &p, &k, &bin, 1, &err), AW_ERR_RECORD_GENERATION);
    assert_false(err.in_doubt);
    assert_int_equal(aw_delete(client, &p, &k, &err), AW_ERR_RECORD_GENERATION);
    p.generation = 2;
    tu_check(aw_put(client, &p, &k, &bin, 1, &err), &err, "gen eq"); /* gen 3 */
    p.gen = AW_GEN_GT;
    p.generation = 3;
    assert_int_equal(aw_put(client, &p, &k, &bin, 1, &err), AW_ERR_RECORD_GENERATION);
    p.generation = 4;
    tu_check(aw_put(client, &p, &k, &bin, 1, &err), &err, "gen gt");
    aw_record rec;
    tu_check(aw_get_header(client, NULL, &k, &rec, &err), &err, "header");
    assert_int_equal(rec.gen, 4);
    aw_record_free(&rec);
}

/* send_key stores the user key; another user key with the same digest is
 * then refused by the server. */
static void test_send_key(void **state) {
    aw_key k = key_of("sendkey");
    aw_error err;
    aw_policy p = aw_policy_write();
    p.send_key = true;
    aw_bin bin = {"b", aw_value_int(1)};
    tu_check(aw_put(client, &p, &k, &bin, 1, &err), &err, "put with key");
    aw_key other = k;
    other.user_key = aw_value_str("not-the-same");
    assert_int_equal(aw_put(client, &p, &other, &bin, 1, &err), AW_ERR_RECORD_KEY_MISMATCH);
    tu_check(aw_put(client, &p, &k, &bin, 1, &err), &err, "same key again");
}

/* --- operate ----------------------------------------------------------------------- */

static void test_operate_scalars(void **state) {
    aw_key k = key_of("op-scalar");
    aw_error err;
    aw_bin bins[] = {{"i", aw_value_int(5)}, {"f", aw_value_float(1.5)}, {"s", aw_value_str("mid")}};
    tu_check(aw_put(client, NULL, &k, bins, 3, &err), &err, "put");
    aw_op ops[] = {
        aw_op_incr("i", aw_value_int(3)),       aw_op_incr("f", aw_value_float(0.25)),
        aw_op_append("s", aw_value_str(">")),   aw_op_prepend("s", aw_value_str("<")),
        aw_op_read("i"),                        aw_op_read("f"),
        aw_op_read("s"),
    };
    aw_record rec;
    tu_check(aw_operate(client, NULL, &k, ops, 7, &rec, &err), &err, "operate");
    assert_int_equal(aw_record_get(&rec, "i")->u.i, 8);
    assert_true(aw_record_get(&rec, "f")->u.f == 1.75);
    assert_string_equal(aw_record_get(&rec, "s")->u.str, "<mid>");
    assert_int_equal(rec.gen, 2);
    aw_record_free(&rec);

    /* Reads only: uses the read policy and writes nothing. */
    aw_op rd = aw_op_read(NULL);
    tu_check(aw_operate(client, NULL, &k, &rd, 1, &rec, &err), &err, "read all");
    assert_int_equal(rec.n_bins, 3);
    assert_int_equal(rec.gen, 2);
    aw_record_free(&rec);

    /* Touch through operate; rec NULL is allowed. */
    aw_policy p = aw_policy_write();
    p.ttl = 777;
    aw_op touch = aw_op_touch();
    tu_check(aw_operate(client, &p, &k, &touch, 1, NULL, &err), &err, "touch op");
    tu_check(aw_get_header(client, NULL, &k, &rec, &err), &err, "header");
    assert_true(rec.ttl > 770 && rec.ttl <= 777);
    assert_int_equal(rec.gen, 3);
    aw_record_free(&rec);

    /* Incrementing a string is the server's error. */
    aw_op bad = aw_op_incr("s", aw_value_int(1));
    assert_int_equal(aw_operate(client, NULL, &k, &bad, 1, NULL, &err),
                     AW_ERR_BIN_INCOMPATIBLE_TYPE);

    aw_op del = aw_op_delete();
    tu_check(aw_operate(client, NULL, &k, &del, 1, NULL, &err), &err, "delete op");
    bool ex = true;
    tu_check(aw_exists(client, NULL, &k, &ex, &err), &err, "exists");
    assert_false(ex);
}

static void test_operate_cdt(void **state) {
    aw_key k = key_of("op-cdt");
    aw_error err;
    aw_op ops[] = {
        aw_op_list_append("l", aw_value_int(10)),
        aw_op_list_append("l", aw_value_int(20)),
        aw_op_list_append("l", aw_value_int(30)),
        aw_op_map_put("m", aw_value_str("x"), aw_value_int(1)),
        aw_op_map_put("m", aw_value_str("y"), aw_value_int(2)),
    };
    tu_check(aw_operate(client, NULL, &k, ops, 5, NULL, &err), &err, "build");
    aw_op reads[] = {
        aw_op_list_get("l", 1),
        aw_op_list_size("l"),
        aw_op_list_get_range("l", 1, 2),
        aw_op_map_get_by_key("m", aw_value_str("y"), AW_RETURN_VALUE),
        aw_op_map_size("m"),
    };
    aw_policy p = aw_policy_read();
    p.respond_all_ops = true;
    aw_record rec;
    tu_check(aw_operate(client, &p, &k, reads, 5, &rec, &err), &err, "reads");
    /* One result per op, in op order; several share a bin name. */
    assert_int_equal(rec.n_bins, 5);
    assert_int_equal(rec.bins[0].value.u.i, 20);
    assert_int_equal(rec.bins[1].value.u.i, 3);
    assert_int_equal(rec.bins[2].value.type, AW_LIST);
    assert_int_equal(rec.bins[2].value.len, 2);
    assert_int_equal(rec.bins[2].value.u.items[0].u.i, 20);
    assert_int_equal(rec.bins[2].value.u.items[1].u.i, 30);
    assert_int_equal(rec.bins[3].value.u.i, 2);
    assert_int_equal(rec.bins[4].value.u.i, 2);
    aw_record_free(&rec);

    /* respond_all_ops with a write: the append's result (new size) too. */
    aw_op mixed[] = {aw_op_list_append("l", aw_value_int(40)), aw_op_list_size("l")};
    aw_policy wp = aw_policy_write();
    wp.respond_all_ops = true;
    tu_check(aw_operate(client, &wp, &k, mixed, 2, &rec, &err), &err, "mixed");
    assert_int_equal(rec.n_bins, 2);
    assert_int_equal(rec.bins[0].value.u.i, 4);
    assert_int_equal(rec.bins[1].value.u.i, 4);
    aw_record_free(&rec);
}

/* The server's clock moved past a record's TTL: it is gone. (Last in its
 * group: the server's clock stays ahead.) */
static void test_ttl_expiry(void **state) {
    aw_key k = key_of("expiry");
    aw_error err;
    aw_policy p = aw_policy_write();
    p.ttl = 10;
    aw_bin bin = {"b", aw_value_int(1)};
    tu_check(aw_put(client, &p, &k, &bin, 1, &err), &err, "put");
    p.ttl = AW_TTL_NEVER_EXPIRE;
    aw_key forever = key_of("expiry-never");
    tu_check(aw_put(client, &p, &forever, &bin, 1, &err), &err, "put");
    aw_record rec;
    tu_check(aw_get_header(client, NULL, &forever, &rec, &err), &err, "header");
    assert_int_equal(rec.ttl, AW_TTL_NEVER_EXPIRE);
    assert_int_equal(rec.void_time, 0);
    aw_record_free(&rec);
    assert_true(tu_testd_clock(srv.ports[0], "advance=11") != 0);
    assert_int_equal(aw_get(client, NULL, &k, NULL, 0, &rec, &err), AW_ERR_RECORD_NOT_FOUND);
    aw_record_free(&rec);
    tu_check(aw_get(client, NULL, &forever, NULL, 0, &rec, &err), &err, "never expires");
    aw_record_free(&rec);
}

/* --- faults on one node -------------------------------------------------------------- */

static void test_timeouts(void **state) {
    aw_key k = key_of("timeout");
    aw_error err;
    aw_bin bin = {"b", aw_value_int(1)};
    tu_check(aw_put(client, NULL, &k, &bin, 1, &err), &err, "put");
    aw_client_stats st0 = tu_stats(client);
    tu_testd_fault(&srv, 0, "delay=400");
    aw_record rec;

    /* Total timeout, no socket timeout. */
    aw_policy p = aw_policy_read();
    p.total_timeout_ms = 100;
    p.socket_timeout_ms = 0;
    uint64_t t0 = aw_now_ms();
    assert_int_equal(aw_get(client, &p, &k, NULL, 0, &rec, &err), AW_ERR_TIMEOUT);
    uint64_t took = aw_now_ms() - t0;
    assert_true(took >= 90 && took < 900); /* loosely: a busy box */
    aw_record_free(&rec);

    /* Socket timeouts, retried: 1 + 3 attempts of ~40 ms each. */
    p.total_timeout_ms = 2000;
    p.socket_timeout_ms = 40;
    p.max_retries = 3;
    t0 = aw_now_ms();
    assert_int_equal(aw_get(client, &p, &k, NULL, 0, &rec, &err), AW_ERR_TIMEOUT);
    took = aw_now_ms() - t0;
    assert_true(took >= 150 && took < 1000);
    aw_record_free(&rec);

    /* The total deadline cuts the retries short. */
    p.total_timeout_ms = 150;
    p.max_retries = 100;
    p.sleep_between_retries_ms = 5;
    t0 = aw_now_ms();
    assert_int_equal(aw_get(client, &p, &k, NULL, 0, &rec, &err), AW_ERR_TIMEOUT);
    took = aw_now_ms() - t0;
    assert_true(took >= 140 && took < 900);
    assert_non_null(strstr(err.message, "total timeout"));
    aw_record_free(&rec);

    /* A write that timed out may have been applied. */
    aw_policy wp = aw_policy_write();
    wp.total_timeout_ms = 100;
    assert_int_equal(aw_put(client, &wp, &k, &bin, 1, &err), AW_ERR_TIMEOUT);
    assert_true(err.in_doubt);
    settle(0);

    aw_client_stats st = tu_stats(client);
    assert_int_equal(st.timeouts - st0.timeouts, 4);
    assert_true(st.retries - st0.retries >= 3 + 2);
    tu_check(aw_get(client, NULL, &k, NULL, 0, &rec, &err), &err, "get after");
    aw_record_free(&rec);
}

/* Bad replies: an error every time, quickly; the next command works. */
static void test_bad_replies(void **state) {
    aw_key k = key_of("bad-replies");
    aw_error err;
    aw_bin bin = {"b", aw_value_int(1)};
    tu_check(aw_put(client, NULL, &k, &bin, 1, &err), &err, "put");
    struct {
        const char *fault;
        int want;
    } cases[] = {
        {"garbage=1", AW_ERR_PROTO},
        {"oversize=1", AW_ERR_PROTO},
        {"truncate=1", AW_ERR_PROTO},
        {"drop-after=0", AW_ERR_NO_RESPONSE},
        {"drop-after=12", AW_ERR_NO_RESPONSE},
        {"blackhole=1", AW_ERR_TIMEOUT},
    };
    aw_policy p = aw_policy_read();
    p.total_timeout_ms = 300;
    p.socket_timeout_ms = 100;
    p.max_retries = 1;
    aw_policy wp = aw_policy_write();
    wp.total_timeout_ms = 300;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_testd_fault(&srv, 0, cases[i].fault);
        aw_record rec;
        uint64_t t0 = aw_now_ms();
        int rc = aw_get(client, &p, &k, NULL, 0, &rec, &err);
        if (rc != cases[i].want)
            fail_msg("%s: got %s: %s", cases[i].fault, aw_status_name(rc), err.message);
        assert_true(aw_now_ms() - t0 < 1500);
        assert_int_equal(rec.n_bins, 0);
        assert_false(err.in_doubt); /* a read is never in doubt */
        aw_record_free(&rec);
        /* The node applied the write, then its reply went wrong. */
        rc = aw_put(client, &wp, &k, &bin, 1, &err);
        assert_int_equal(rc, cases[i].want);
        assert_true(err.in_doubt);
        settle(0);
        tu_check(aw_get(client, NULL, &k, NULL, 0, &rec, &err), &err, cases[i].fault);
        assert_int_equal(aw_record_get(&rec, "b")->u.i, 1);
        aw_record_free(&rec);
    }
}

/* max_conns_per_node 1, with the one connection held elsewhere. */
typedef struct holder {
    aw_node *node;
    int fd;
    int hold_ms;
} holder;

static void *give_back_later(void *arg) {
    holder *h = arg;
    tu_sleep_ms(h->hold_ms); /* the test: a connection busy elsewhere for a while */
    aw_sock s = aw_sock_plain(h->fd);
    aw_node_conn_put(h->node, &s, true);
    return NULL;
}

static void test_pool_limit(void **state) {
    aw_config cfg = test_config();
    cfg.max_conns_per_node = 1;
    aw_client *c;
    aw_error err;
    tu_check(aw_client_new(&c, &cfg, &err), &err, "client");
    aw_cluster_view *v = aw_cluster_view_acquire(c->cluster);
    assert_int_equal(v->n_nodes, 1);
    holder h = {v->nodes[0], -1, 150};
    aw_sock held;
    tu_check(aw_node_conn_get(h.node, aw_now_ms() + 1000, false, &held, &err), &err, "hold");
    h.fd = held.fd;

    aw_key k = key_of("pool");
    aw_policy p = aw_policy_read();
    p.pool = AW_POOL_FAIL;
    p.max_retries = 0;
    bool ex;
    assert_int_equal(aw_exists(c, &p, &k, &ex, &err), AW_ERR_NO_MORE_CONNECTIONS);
    /* Waiting, bounded by the total timeout. */
    p.pool = AW_POOL_WAIT;
    p.total_timeout_ms = 60;
    uint64_t t0 = aw_now_ms();
    assert_int_equal(aw_exists(c, &p, &k, &ex, &err), AW_ERR_TIMEOUT);
    assert_true(aw_now_ms() - t0 < 900);
    /* Waiting for a holder on another thread that gives it back. */
    pthread_t th;
    pthread_create(&th, NULL, give_back_later, &h);
    p.total_timeout_ms = 2000;
    tu_check(aw_exists(c, &p, &k, &ex, &err), &err, "waited for the connection");
    pthread_join(th, NULL);
    aw_cluster_view_release(v);
    aw_client_close(c);
}

/* --- many threads ------------------------------------------------------------------- */

#define THREADS 8
#define ROUNDS 2000

typedef struct worker {
    int id;
    int failures;
    char first_failure[200];
} worker;

static void *work(void *arg) {
    worker *w = arg;
    aw_error err;
    char name[32];
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(name, sizeof name, "mt-%d-%d", w->id, i % 64);
        aw_key k = key_of(name);
        aw_bin bins[] = {{"t", aw_value_int(w->id)}, {"i", aw_value_int(i)}};
        int rc = aw_put(client, NULL, &k, bins, 2, &err);
        aw_record rec;
        if (rc == AW_OK)
            rc = aw_get(client, NULL, &k, NULL, 0, &rec, &err);
        if (rc == AW_OK) {
            const aw_value *t = aw_record_get(&rec, "t"), *iv = aw_record_get(&rec, "i");
            if (!t || !iv || t->u.i != w->id || iv->u.i != i) {
                rc = -1;
                snprintf(err.message, sizeof err.message, "wrong record for %s", name);
            }
            aw_record_free(&rec);
        }
        if (rc != AW_OK && w->failures++ == 0)
            snprintf(w->first_failure, sizeof w->first_failure, "%d: %s", rc, err.message);
    }
    return NULL;
}

static void test_many_threads(void **state) {
    aw_client_stats st0 = tu_stats(client);
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.id = i};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++)
        if (w[i].failures)
            fail_msg("thread %d: %d failures, first %s", i, w[i].failures, w[i].first_failure);
    aw_client_stats st = tu_stats(client);
    assert_int_equal(st.commands - st0.commands, THREADS * ROUNDS * 2);
    assert_int_equal(st.retries - st0.retries, 0);
}

/* --- three nodes --------------------------------------------------------------------- */

/* With every other node answering garbage, a command with no retries
 * succeeds exactly when it went to the partition's master. */
static void test_routes_to_master(void **state) {
    aw_error err;
    aw_policy p = aw_policy_read(); /* SEQUENCE: the first attempt goes to the master */
    p.max_retries = 0;
    aw_policy wp = aw_policy_write();
    wp.replica = AW_REPLICA_ANY; /* writes under ANY still go to the master */
    aw_bin bin = {"b", aw_value_int(1)};
    for (int good = 0; good < 3; good++) {
        for (int n = 0; n < 3; n++)
            if (n != good)
                tu_testd_fault(&srv, n, "garbage=1");
        for (int i = 0; i < 60; i++) {
            int master = i % 3;
            aw_key k = key_on(master, 3, i / 3, "route");
            bool ex;
            int rc = aw_exists(client, &p, &k, &ex, &err);
            if ((master == good) != (rc == AW_OK))
                fail_msg("read of a key on node %d, node %d good: %s", master, good, err.message);
            rc = aw_put(client, &wp, &k, &bin, 1, &err);
            if ((master == good) != (rc == AW_OK))
                fail_msg("write of a key on node %d, node %d good: %s", master, good, err.message);
        }
        for (int n = 0; n < 3; n++)
            if (n != good)
                settle(n);
    }
}

/* A read whose master answers garbage is retried on the replica. */
static void test_read_retries_to_replica(void **state) {
    aw_error err;
    aw_bin bin = {"b", aw_value_int(5)};
    aw_key keys[10];
    for (int i = 0; i < 10; i++) {
        keys[i] = key_on(1, 3, i, "replica");
        tu_check(aw_put(client, NULL, &keys[i], &bin, 1, &err), &err, "put");
    }
    uint64_t retries = tu_stats(client).retries;
    tu_testd_fault(&srv, 1, "garbage=1");
    for (int i = 0; i < 10; i++) {
        aw_record rec;
        tu_check(aw_get(client, NULL, &keys[i], NULL, 0, &rec, &err), &err, "get via the replica");
        assert_int_equal(aw_record_get(&rec, "b")->u.i, 5);
        aw_record_free(&rec);
    }
    /* MASTER policy does not move on. */
    aw_policy p = aw_policy_read();
    p.replica = AW_REPLICA_MASTER;
    bool ex;
    assert_int_equal(aw_exists(client, &p, &keys[0], &ex, &err), AW_ERR_PROTO);
    settle(1);
    assert_int_equal(tu_stats(client).retries - retries, 10 + 2);
}

static void test_moved_partition(void **state) {
    aw_error err;
    aw_key k = key_on(0, 3, 0, "moved");
    uint32_t pid = aw_partition_id(k.digest);
    uint64_t maps = tu_stats(client).map_updates;
    tu_testd_ctl(&srv, 0, "testd-move:partition=%u;master=2;replica=1", pid);
    assert_true(tu_wait_map_update(client, maps, 3000));
    assert_true(tu_wait_tends(client, 2, 3000)); /* a whole round after the move: every node's new generation seen */
    tu_testd_fault(&srv, 0, "garbage=1");
    tu_testd_fault(&srv, 1, "garbage=1");
    aw_policy p = aw_policy_read();
    p.replica = AW_REPLICA_MASTER;
    p.max_retries = 0;
    bool ex;
    int rc = aw_exists(client, &p, &k, &ex, &err);
    settle(0);
    settle(1);
    tu_check(rc, &err, "exists on the new master");
}

typedef struct writer {
    atomic_bool stop;
    atomic_int ok;
    int in_doubt, not_sent, wrong;
    char wrong_msg[200];
} writer;

/* Writes with no retries to keys mastered by node 1 while it dies. */
static void *write_loop(void *arg) {
    writer *w = arg;
    aw_bin bin = {"b", aw_value_int(1)};
    aw_policy p = aw_policy_write();
    p.total_timeout_ms = 300;
    for (int i = 0; !atomic_load(&w->stop); i++) {
        aw_key k = key_on(1, 3, i % 20, "kill");
        aw_error err;
        int rc = aw_put(client, &p, &k, &bin, 1, &err);
        if (rc == AW_OK)
            atomic_fetch_add(&w->ok, 1);
        else if (err.in_doubt)
            w->in_doubt++;
        else if (rc == AW_ERR_CONNECTION || rc == AW_ERR_INVALID_NODE ||
                 rc == AW_ERR_MAX_ERROR_RATE)
            w->not_sent++; /* refused before the request went out (the refused
                            * connects back the dead node off at once) */
        else if (w->wrong++ == 0)
            snprintf(w->wrong_msg, sizeof w->wrong_msg, "%s: %s", aw_status_name(rc), err.message);
    }
    return NULL;
}

typedef struct writes_past {
    writer *w;
    int before;
} writes_past;

static bool writes_reached(void *arg) {
    writes_past *p = arg;
    return atomic_load(&p->w->ok) > p->before;
}

static void test_node_killed_and_revived(void **state) {
    aw_error err;
    aw_bin bin = {"b", aw_value_int(9)};
    aw_key keys[20];
    for (int i = 0; i < 20; i++) {
        keys[i] = key_on(1, 3, i, "kill");
        tu_check(aw_put(client, NULL, &keys[i], &bin, 1, &err), &err, "put");
    }
    aw_client_stats st0 = tu_stats(client);
    writer w = {0};
    pthread_t th;
    pthread_create(&th, NULL, write_loop, &w);
    writes_past ok = {&w, 0};
    tu_wait_for(writes_reached, &ok, 3000, "a write before the kill");
    tu_testd_ctl(&srv, 0, "testd-kill:node=1");
    /* Reads fail over to the replica at once. */
    int read_failures = 0;
    for (int i = 0; i < 20; i++) {
        aw_record rec;
        if (aw_get(client, NULL, &keys[i], NULL, 0, &rec, &err) != AW_OK && read_failures++ == 0)
            fprintf(stderr, "read after kill: %s\n", err.message);
        aw_record_free(&rec);
    }
    size_t nodes = tu_wait_nodes(client, 2, 3000);
    /* Writes succeed again once the map has no node 1. */
    ok.before = atomic_load(&w.ok);
    bool wrote_after = tu_wait_until(writes_reached, &ok, 3000);
    atomic_store(&w.stop, true);
    pthread_join(th, NULL); /* before any assert: the thread uses the client */
    assert_int_equal(read_failures, 0);
    assert_int_equal(nodes, 2);
    assert_true(wrote_after);
    if (w.wrong)
        fail_msg("%d writes failed without in_doubt: %s", w.wrong, w.wrong_msg);
    assert_true(atomic_load(&w.ok) > 0);

    /* With the node gone, writes go to the new master. */
    for (int i = 0; i < 20; i++)
        tu_check(aw_put(client, NULL, &keys[i], &bin, 1, &err), &err, "write after drop");
    aw_client_stats st = tu_stats(client);
    assert_true(st.nodes_removed - st0.nodes_removed >= 1);

    tu_testd_ctl(&srv, 0, "testd-revive:node=1");
    assert_int_equal(tu_wait_nodes(client, 3, 3000), 3);
    assert_true(tu_stats(client).nodes_added - st0.nodes_added >= 1);
    for (int i = 0; i < 20; i++) /* the maps follow the revived node */
        assert_true(tu_wait_master(client, &srv, &keys[i], 1, 3000));
    aw_policy p = aw_policy_read();
    p.replica = AW_REPLICA_MASTER;
    p.max_retries = 0;
    for (int i = 0; i < 20; i++) {
        bool ex;
        tu_check(aw_exists(client, &p, &keys[i], &ex, &err), &err, "read after revive");
        assert_true(ex);
    }
}

int main(void) {
    const struct CMUnitTest one[] = {
        cmocka_unit_test(test_null_args),
        cmocka_unit_test(test_bad_bin_name),
        cmocka_unit_test(test_unknown_namespace),
        cmocka_unit_test(test_put_get_all_types),
        cmocka_unit_test(test_named_bins_and_header),
        cmocka_unit_test(test_exists_delete),
        cmocka_unit_test(test_touch),
        cmocka_unit_test(test_exists_policies),
        cmocka_unit_test(test_generation),
        cmocka_unit_test(test_send_key),
        cmocka_unit_test(test_operate_scalars),
        cmocka_unit_test(test_operate_cdt),
        cmocka_unit_test_teardown(test_timeouts, clear_faults),
        cmocka_unit_test_teardown(test_bad_replies, clear_faults),
        cmocka_unit_test(test_pool_limit),
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_ttl_expiry),
    };
    const struct CMUnitTest three[] = {
        cmocka_unit_test_teardown(test_routes_to_master, clear_faults),
        cmocka_unit_test_teardown(test_read_retries_to_replica, clear_faults),
        cmocka_unit_test_teardown(test_moved_partition, clear_faults),
        cmocka_unit_test(test_node_killed_and_revived),
    };
    int failed = cmocka_run_group_tests_name("sync_one_node", one, start_one, stop);
    failed += cmocka_run_group_tests_name("sync_three_nodes", three, start_three, stop);
    return failed || tu_testd_stop_failed;
}
