/*
 * The async API on libevent against aw-testd: every command with its success
 * and error codes on one node, records' generation and TTL, pipelining,
 * commands submitted from callbacks, closing loops and clients with commands
 * in flight (also from inside a callback), two loops on two threads sharing
 * a client, the pool policies; routing to the master on three nodes.
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
#include "aerowire/aerowire.h"
#include "aerowire/async.h"
#include "client/client_impl.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

static tu_testd srv;
static aw_client *client;
static struct event_base *base;
static aw_loop *loop;
static int outstanding; /* callbacks still due on the main thread's loop */

/* --- helpers ------------------------------------------------------------------- */

static aw_key key_of(const char *name) { return tu_key("test", "async", name); }

/* The i-th key whose partition's master is node `node` of n. */
static aw_key key_on(int node, int n, int i, const char *tag) {
    return tu_key_on("test", "async", node, n, i, tag);
}

/* The suite's config: tends every 100 ms. */
static aw_config test_config(void) { return tu_client_config(&srv, 100); }

/* Runs the main base until every due callback came, or fails after 5 s. */
static void run(void) { tu_run_until(base, &outstanding, 5000); }

/* What a callback saw. */
typedef struct res {
    int calls;
    int code;
    bool in_doubt;
    bool exists;
    bool has_rec;
    aw_record rec;
    char msg[AW_ERROR_MSG_SIZE];
    int *counter; /* decremented per call; &outstanding by default */
} res;

static void res_init(res *r) {
    memset(r, 0, sizeof *r);
    r->counter = &outstanding;
}

static void res_free(res *r) { aw_record_free(&r->rec); }

static void saw(res *r, const aw_error *err) {
    r->calls++;
    (*r->counter)--;
    r->code = err ? err->code : AW_OK;
    r->in_doubt = err ? err->in_doubt : false;
    if (err) {
        assert_int_not_equal(err->code, AW_OK);
        assert_true(err->message[0] != '\0');
        snprintf(r->msg, sizeof r->msg, "%s", err->message);
    }
}

static void cb_status(const aw_error *err, void *ud) { saw(ud, err); }

static void cb_record(const aw_error *err, aw_record *rec, void *ud) {
    res *r = ud;
    saw(r, err);
    if (err) {
        assert_null(rec);
        return;
    }
    assert_non_null(rec);
    aw_record_free(&r->rec);
    aw_record_move(&r->rec, rec);
    assert_int_equal(rec->n_bins, 0); /* moved out: the source is empty */
    r->has_rec = true;
}

static void cb_exists(const aw_error *err, bool ex, void *ud) {
    res *r = ud;
    saw(r, err);
    r->exists = ex;
}

static void submitted(int rc, const aw_error *err) {
    if (rc != AW_OK)
        fail_msg("submit: %s (%d): %s", aw_status_name(rc), rc, err->message);
    outstanding++;
}

/* Each runs one command to completion on the main loop and returns its code. */
static int put_(const aw_policy *p, const aw_key *k, const aw_bin *b, size_t n, res *r) {
    aw_error err;
    res_init(r);
    submitted(aw_put_async(loop, p, k, b, n, cb_status, r, &err), &err);
    run();
    assert_int_equal(r->calls, 1);
    return r->code;
}
static int get_(const aw_policy *p, const aw_key *k, const char *const *names, size_t n, res *r) {
    aw_error err;
    res_init(r);
    submitted(aw_get_async(loop, p, k, names, n, cb_record, r, &err), &err);
    run();
    assert_int_equal(r->calls, 1);
    return r->code;
}
static int header_(const aw_key *k, res *r) {
    aw_error err;
    res_init(r);
    submitted(aw_get_header_async(loop, NULL, k, cb_record, r, &err), &err);
    run();
    assert_int_equal(r->calls, 1);
    return r->code;
}
static int exists_(const aw_key *k, res *r) {
    aw_error err;
    res_init(r);
    submitted(aw_exists_async(loop, NULL, k, cb_exists, r, &err), &err);
    run();
    assert_int_equal(r->calls, 1);
    return r->code;
}
static int delete_(const aw_policy *p, const aw_key *k, res *r) {
    aw_error err;
    res_init(r);
    submitted(aw_delete_async(loop, p, k, cb_status, r, &err), &err);
    run();
    assert_int_equal(r->calls, 1);
    return r->code;
}
static int touch_(const aw_policy *p, const aw_key *k, res *r) {
    aw_error err;
    res_init(r);
    submitted(aw_touch_async(loop, p, k, cb_status, r, &err), &err);
    run();
    assert_int_equal(r->calls, 1);
    return r->code;
}
static int operate_(const aw_policy *p, const aw_key *k, const aw_op *ops, size_t n, res *r) {
    aw_error err;
    res_init(r);
    submitted(aw_operate_async(loop, p, k, ops, n, cb_record, r, &err), &err);
    run();
    assert_int_equal(r->calls, 1);
    return r->code;
}

/* Fails unless expr (a command run into res r) gave AW_OK. */
#define OK(expr, r) tu_check_msg((expr), (r)->msg, #expr)

/* --- setup -------------------------------------------------------------------------- */

static int start(int nodes) {
    const char *args[] = {"--max-record-size", "8388608", NULL};
    if (tu_testd_start_nodes(&srv, nodes, args) != 0)
        return -1;
    aw_config cfg = test_config();
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    if (tu_libevent_open(client, &base, &loop) != 0)
        return -1;
    return tu_wait_nodes(client, (size_t)nodes, 3000) == (size_t)nodes ? 0 : -1;
}
static int start_one(void **state) { return start(1); }
static int start_three(void **state) { return start(3); }
static int stop(void **state) {
    aw_loop_close(loop);
    tu_libevent_close(&client, &base, &loop);
    return tu_testd_stop_group(&srv);
}

static int clear_faults(void **state) {
    tu_testd_clear_faults(&srv);
    return 0;
}

/* --- arguments ------------------------------------------------------------------------ */

/* Refused at submit: an error code, and the callback never runs. */
static void test_submit_errors(void **state) {
    aw_key k = key_of("args");
    aw_bin bin = {"b", aw_value_int(1)};
    aw_bin long_name = {"sixteen-bytes-xx", aw_value_int(1)};
    const char *names[] = {"sixteen-bytes-xx"};
    aw_op op = aw_op_incr("sixteen-bytes-xx", aw_value_int(1));
    aw_error err;
    res r;
    res_init(&r);
    uint64_t before = tu_stats(client).commands;
    assert_int_equal(aw_put_async(NULL, NULL, &k, &bin, 1, cb_status, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_put_async(loop, NULL, NULL, &bin, 1, cb_status, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_put_async(loop, NULL, &k, &bin, 1, NULL, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_put_async(loop, NULL, &k, NULL, 1, cb_status, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_get_async(loop, NULL, &k, NULL, 0, NULL, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_get_async(loop, NULL, &k, NULL, 2, cb_record, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_get_header_async(loop, NULL, NULL, cb_record, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_exists_async(loop, NULL, &k, NULL, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_delete_async(NULL, NULL, &k, cb_status, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_touch_async(loop, NULL, NULL, cb_status, &r, NULL), AW_ERR_PARAM);
    assert_int_equal(aw_operate_async(loop, NULL, &k, NULL, 1, cb_record, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_put_async(loop, NULL, &k, &long_name, 1, cb_status, &r, &err),
                     AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "sixteen-bytes-xx"));
    assert_int_equal(aw_get_async(loop, NULL, &k, names, 1, cb_record, &r, &err), AW_ERR_BAD_NAME);
    assert_int_equal(aw_operate_async(loop, NULL, &k, &op, 1, cb_record, &r, &err),
                     AW_ERR_BAD_NAME);
    aw_policy p = aw_policy_write();
    p.gen = (aw_gen_policy)9;
    assert_int_equal(aw_put_async(loop, &p, &k, &bin, 1, cb_status, &r, &err), AW_ERR_PARAM);
    assert_int_equal(aw_loop_pending(loop), 0);
    /* Nothing ran, now or later. */
    event_base_loop(base, EVLOOP_NONBLOCK);
    assert_int_equal(r.calls, 0);
    assert_int_equal(tu_stats(client).commands, before);
    assert_int_equal(aw_loop_pending(NULL), 0);
    aw_loop_close(NULL); /* harmless */
}

/* A namespace the cluster does not serve fails in the callback, never
 * inside the submit call. */
static void test_unknown_namespace(void **state) {
    aw_key k;
    aw_key_init_str(&k, "nosuchns", NULL, "x", NULL);
    aw_error err;
    res r;
    res_init(&r);
    submitted(aw_get_async(loop, NULL, &k, NULL, 0, cb_record, &r, &err), &err);
    assert_int_equal(r.calls, 0); /* not from inside the submit */
    assert_int_equal(aw_loop_pending(loop), 1);
    run();
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, AW_ERR_NAMESPACE_NOT_FOUND);
    assert_int_equal(aw_loop_pending(loop), 0);
}

/* --- commands ---------------------------------------------------------------------------- */

static void test_put_get(void **state) {
    aw_key k = key_of("put-get");
    uint8_t blob[] = {0, 1, 2, 0xff};
    aw_value items[] = {aw_value_int(1), aw_value_str("two"), aw_value_float(3.5)};
    aw_value kv[] = {aw_value_str("a"), aw_value_int(1), aw_value_str("b"), aw_value_list(items, 3)};
    aw_bin bins[] = {
        {"i", aw_value_int(-42)},     {"f", aw_value_float(2.25)},
        {"s", aw_value_str("hello")}, {"blob", aw_value_blob(blob, sizeof blob)},
        {"l", aw_value_list(items, 3)}, {"m", aw_value_map(kv, 2)},
    };
    size_t n = sizeof bins / sizeof *bins;
    aw_policy wp = aw_policy_write();
    wp.ttl = 1000;
    res r;
    OK(put_(&wp, &k, bins, n, &r), &r);
    OK(get_(NULL, &k, NULL, 0, &r), &r);
    assert_true(r.has_rec);
    assert_int_equal(r.rec.n_bins, n);
    assert_int_equal(r.rec.gen, 1);
    assert_true(r.rec.ttl >= 998 && r.rec.ttl <= 1000);
    for (size_t i = 0; i < n; i++) {
        const aw_value *v = aw_record_get(&r.rec, bins[i].name);
        if (!v || !aw_value_equal(v, &bins[i].value))
            fail_msg("bin %s did not round-trip", bins[i].name);
    }
    res_free(&r);

    /* Named bins: only those that exist come back. */
    const char *names[] = {"s", "i", "zz"};
    OK(get_(NULL, &k, names, 3, &r), &r);
    assert_int_equal(r.rec.n_bins, 2);
    assert_string_equal(aw_record_get(&r.rec, "s")->u.str, "hello");
    assert_int_equal(aw_record_get(&r.rec, "i")->u.i, -42);
    assert_null(aw_record_get(&r.rec, "f"));
    res_free(&r);

    /* Header: generation and TTL, no bins. */
    OK(put_(NULL, &k, bins, 1, &r), &r);
    OK(header_(&k, &r), &r);
    assert_int_equal(r.rec.n_bins, 0);
    assert_int_equal(r.rec.gen, 2);
    res_free(&r);
}

static void test_not_found_and_exists(void **state) {
    aw_key k = key_of("missing");
    res r;
    assert_int_equal(get_(NULL, &k, NULL, 0, &r), AW_ERR_RECORD_NOT_FOUND);
    assert_false(r.in_doubt);
    assert_false(r.has_rec);
    assert_int_equal(header_(&k, &r), AW_ERR_RECORD_NOT_FOUND);
    assert_int_equal(delete_(NULL, &k, &r), AW_ERR_RECORD_NOT_FOUND);
    assert_false(r.in_doubt); /* the server's answer is final */
    OK(exists_(&k, &r), &r);
    assert_false(r.exists);
    aw_bin bin = {"b", aw_value_int(1)};
    OK(put_(NULL, &k, &bin, 1, &r), &r);
    OK(exists_(&k, &r), &r);
    assert_true(r.exists);
    OK(delete_(NULL, &k, &r), &r);
    OK(exists_(&k, &r), &r);
    assert_false(r.exists);
    aw_policy p = aw_policy_write();
    p.durable_delete = true;
    OK(put_(NULL, &k, &bin, 1, &r), &r);
    /* Enterprise-only: the community server refuses it and keeps the record */
    assert_int_equal(delete_(&p, &k, &r), AW_ERR_ENTERPRISE_ONLY);
    OK(exists_(&k, &r), &r);
    assert_true(r.exists);
}

static void test_write_policies(void **state) {
    aw_key k = key_of("policies");
    aw_key missing = key_of("policies-missing");
    aw_bin bin = {"b", aw_value_int(1)};
    aw_policy p = aw_policy_write();
    res r;
    p.exists = AW_EXISTS_CREATE_ONLY;
    OK(put_(&p, &k, &bin, 1, &r), &r);
    assert_int_equal(put_(&p, &k, &bin, 1, &r), AW_ERR_RECORD_EXISTS);
    assert_false(r.in_doubt);
    p.exists = AW_EXISTS_UPDATE_ONLY;
    assert_int_equal(put_(&p, &missing, &bin, 1, &r), AW_ERR_RECORD_NOT_FOUND);
    OK(put_(&p, &k, &bin, 1, &r), &r);
    p.exists = AW_EXISTS_REPLACE_ONLY;
    assert_int_equal(put_(&p, &missing, &bin, 1, &r), AW_ERR_RECORD_NOT_FOUND);
    OK(put_(&p, &k, &bin, 1, &r), &r);

    /* Generation: k is at 3 now. */
    OK(header_(&k, &r), &r);
    uint32_t gen = r.rec.gen;
    assert_int_equal(gen, 3);
    res_free(&r);
    p = aw_policy_write();
    p.gen = AW_GEN_EQ;
    p.generation = gen + 5;
    assert_int_equal(put_(&p, &k, &bin, 1, &r), AW_ERR_RECORD_GENERATION);
    p.generation = gen;
    OK(put_(&p, &k, &bin, 1, &r), &r);
    /* GT: only a generation above the record's is accepted (it is at gen + 1). */
    p.gen = AW_GEN_GT;
    p.generation = gen;
    assert_int_equal(put_(&p, &k, &bin, 1, &r), AW_ERR_RECORD_GENERATION);
    p.generation = gen + 10;
    OK(put_(&p, &k, &bin, 1, &r), &r);

    /* send_key: a different user key with the same digest is refused. */
    aw_key sk = key_of("sendkey");
    p = aw_policy_write();
    p.send_key = true;
    OK(put_(&p, &sk, &bin, 1, &r), &r);
    aw_key other = sk;
    other.user_key = aw_value_str("not-the-same");
    assert_int_equal(put_(&p, &other, &bin, 1, &r), AW_ERR_RECORD_KEY_MISMATCH);
    OK(put_(&p, &sk, &bin, 1, &r), &r);
}

static void test_touch_ttl(void **state) {
    aw_key k = key_of("touch");
    aw_bin bin = {"b", aw_value_int(1)};
    aw_policy p = aw_policy_write();
    p.ttl = 100;
    res r;
    OK(put_(&p, &k, &bin, 1, &r), &r);
    OK(header_(&k, &r), &r);
    assert_true(r.rec.ttl >= 98 && r.rec.ttl <= 100);
    res_free(&r);
    p.ttl = 5000;
    OK(touch_(&p, &k, &r), &r);
    OK(get_(NULL, &k, NULL, 0, &r), &r);
    assert_int_equal(r.rec.gen, 2);
    assert_true(r.rec.ttl > 4990 && r.rec.ttl <= 5000);
    assert_int_equal(aw_record_get(&r.rec, "b")->u.i, 1);
    res_free(&r);
    p.ttl = AW_TTL_NEVER_EXPIRE;
    OK(touch_(&p, &k, &r), &r);
    OK(header_(&k, &r), &r);
    assert_int_equal(r.rec.ttl, AW_TTL_NEVER_EXPIRE);
    res_free(&r);
    aw_key missing = key_of("touch-missing");
    assert_int_equal(touch_(&p, &missing, &r), AW_ERR_RECORD_NOT_FOUND);
}

static void test_operate(void **state) {
    aw_key k = key_of("operate");
    aw_bin bins[] = {{"i", aw_value_int(5)}, {"s", aw_value_str("mid")}};
    res r;
    OK(put_(NULL, &k, bins, 2, &r), &r);
    aw_op ops[] = {
        aw_op_incr("i", aw_value_int(3)),     aw_op_append("s", aw_value_str(">")),
        aw_op_prepend("s", aw_value_str("<")), aw_op_read("i"),
        aw_op_read("s"),
    };
    OK(operate_(NULL, &k, ops, 5, &r), &r);
    assert_int_equal(aw_record_get(&r.rec, "i")->u.i, 8);
    assert_string_equal(aw_record_get(&r.rec, "s")->u.str, "<mid>");
    assert_int_equal(r.rec.gen, 2);
    res_free(&r);

    aw_op cdt[] = {
        aw_op_list_append("l", aw_value_int(10)),
        aw_op_list_append("l", aw_value_int(20)),
        aw_op_map_put("m", aw_value_str("x"), aw_value_int(1)),
        aw_op_map_put("m", aw_value_str("y"), aw_value_int(2)),
    };
    OK(operate_(NULL, &k, cdt, 4, &r), &r);
    res_free(&r);
    aw_op reads[] = {
        aw_op_list_get("l", 1),
        aw_op_list_size("l"),
        aw_op_map_get_by_key("m", aw_value_str("y"), AW_RETURN_VALUE),
    };
    aw_policy p = aw_policy_read();
    p.respond_all_ops = true;
    OK(operate_(&p, &k, reads, 3, &r), &r);
    assert_int_equal(r.rec.n_bins, 3);
    assert_int_equal(r.rec.bins[0].value.u.i, 20);
    assert_int_equal(r.rec.bins[1].value.u.i, 2);
    assert_int_equal(r.rec.bins[2].value.u.i, 2);
    res_free(&r);

    aw_op bad = aw_op_incr("s", aw_value_int(1));
    assert_int_equal(operate_(NULL, &k, &bad, 1, &r), AW_ERR_BIN_INCOMPATIBLE_TYPE);
    aw_op del = aw_op_delete();
    OK(operate_(NULL, &k, &del, 1, &r), &r);
    OK(exists_(&k, &r), &r);
    assert_false(r.exists);
}

/* --- pipelining and the engine ----------------------------------------------------------- */

static char *stat_of(uint16_t port, const char *name, char *out, size_t cap) {
    char *s = tu_info(port, "statistics\n");
    assert_non_null(s);
    char *p = strstr(s, name);
    assert_non_null(p);
    p += strlen(name) + 1;
    size_t n = strcspn(p, ";\n");
    snprintf(out, cap, "%.*s", (int)n, p);
    free(s);
    return out;
}

/* 1000 gets in flight from one loop: at most async_max_conns_per_node
 * connections, every reply matched to its command. */
static void test_pipelining(void **state) {
    enum { N = 1000 };
    aw_bin bin = {"v", aw_value_int(0)};
    static res rs[N];
    aw_key keys[20];
    res r;
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof name, "pipe-%d", i);
        keys[i] = key_of(name);
        bin.value = aw_value_int(i);
        OK(put_(NULL, &keys[i], &bin, 1, &r), &r);
    }
    /* A loop of its own, so it starts with no connections. */
    aw_config cfg = test_config();
    cfg.async_max_conns_per_node = 4;
    cfg.pipeline_depth = 64;
    aw_client *c = tu_client_new(&cfg);
    struct event_base *b = event_base_new();
    aw_loop *l;
    aw_error err;
    assert_int_equal(aw_libevent_attach(c, b, &l, &err), AW_OK);
    char before[32], after[32];
    stat_of(srv.ports[0], "client_connections_opened", before, sizeof before);
    aw_client_stats st0 = tu_stats(c);
    int due = 0;
    for (int i = 0; i < N; i++) {
        res_init(&rs[i]);
        rs[i].counter = &due;
        assert_int_equal(aw_get_async(l, NULL, &keys[i % 20], NULL, 0, cb_record, &rs[i], &err),
                         AW_OK);
        due++;
    }
    assert_int_equal(aw_loop_pending(l), N);
    tu_run_until(b, &due, 5000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rs[i].calls, 1);
        assert_int_equal(rs[i].code, AW_OK);
        assert_int_equal(aw_record_get(&rs[i].rec, "v")->u.i, i % 20);
        res_free(&rs[i]);
    }
    aw_client_stats st1 = tu_stats(c);
    /* Tending keeps its own connection; the loop opened at most 4. */
    assert_true(st1.conns_opened - st0.conns_opened <= 4);
    stat_of(srv.ports[0], "client_connections_opened", after, sizeof after);
    assert_true(atol(after) - atol(before) <= 4 + 2);
    assert_int_equal(st1.commands - st0.commands, N);
    assert_int_equal(aw_loop_pending(l), 0);
    aw_loop_close(l);
    aw_client_close(c);
    event_base_free(b);
}

/* Replies far bigger than the 64 KiB read buffer, several in one pipeline,
 * and a request bigger than the socket buffer. */
static void test_big_records(void **state) {
    size_t big = 3u << 20;
    uint8_t *blob = malloc(big);
    for (size_t i = 0; i < big; i++)
        blob[i] = (uint8_t)(i * 7 + (i >> 12));
    aw_key k = key_of("big");
    aw_bin bin = {"blob", aw_value_blob(blob, big)};
    res r;
    OK(put_(NULL, &k, &bin, 1, &r), &r);
    enum { N = 6 };
    static res rs[N];
    int due = 0;
    aw_error err;
    aw_key small = key_of("big-neighbour");
    aw_bin sb = {"s", aw_value_int(5)};
    OK(put_(NULL, &small, &sb, 1, &r), &r);
    for (int i = 0; i < N; i++) {
        res_init(&rs[i]);
        rs[i].counter = &due;
        assert_int_equal(aw_get_async(loop, NULL, i % 2 ? &small : &k, NULL, 0, cb_record, &rs[i],
                                      &err),
                         AW_OK);
        due++;
    }
    tu_run_until(base, &due, 10000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rs[i].code, AW_OK);
        if (i % 2) {
            assert_int_equal(aw_record_get(&rs[i].rec, "s")->u.i, 5);
        } else {
            const aw_value *v = aw_record_get(&rs[i].rec, "blob");
            assert_non_null(v);
            assert_int_equal(v->len, big);
            assert_memory_equal(v->u.bytes, blob, big);
        }
        res_free(&rs[i]);
    }
    /* Over the server's limit: its error, and the connection carries on. */
    size_t huge = 9u << 20;
    uint8_t *hb = calloc(1, huge);
    aw_bin hbin = {"blob", aw_value_blob(hb, huge)};
    /* 9 MiB each way takes longer than the default second under
     * ThreadSanitizer (make tsan): the answer is what is checked. */
    aw_policy slow = aw_policy_write();
    slow.total_timeout_ms = 20000;
    assert_int_equal(put_(&slow, &k, &hbin, 1, &r), AW_ERR_RECORD_TOO_BIG);
    free(hb);
    OK(get_(NULL, &small, NULL, 0, &r), &r);
    res_free(&r);
    free(blob);
}

/* Connections idle longer than idle_timeout_ms are closed by housekeeping. */
static void test_idle_reaping(void **state) {
    aw_config cfg = test_config();
    cfg.idle_timeout_ms = 150;
    aw_client *c = tu_client_new(&cfg);
    struct event_base *b = event_base_new();
    aw_loop *l;
    aw_error err;
    assert_int_equal(aw_libevent_attach(c, b, &l, &err), AW_OK);
    aw_key k = key_of("idle");
    res r;
    res_init(&r);
    int due = 1;
    r.counter = &due;
    assert_int_equal(aw_exists_async(l, NULL, &k, cb_exists, &r, &err), AW_OK);
    tu_run_until(b, &due, 3000);
    aw_client_stats st0 = tu_stats(c);
    uint64_t end = tu_now_ms() + 500;
    while (tu_now_ms() < end)
        event_base_loop(b, EVLOOP_ONCE);
    aw_client_stats st1 = tu_stats(c);
    assert_true(st1.conns_closed > st0.conns_closed);
    /* and a new one is opened when needed */
    res_init(&r);
    due = 1;
    r.counter = &due;
    assert_int_equal(aw_exists_async(l, NULL, &k, cb_exists, &r, &err), AW_OK);
    tu_run_until(b, &due, 3000);
    assert_int_equal(r.code, AW_OK);
    assert_true(tu_stats(c).conns_opened > st1.conns_opened);
    aw_client_close(c);
    event_base_free(b);
}

/* Commands submitted from callbacks: a chain and a fan-out. */
typedef struct chain {
    aw_loop *loop;
    aw_key key;
    int left, calls, fan, errors;
    int *counter;
} chain;

static void chain_cb(const aw_error *err, aw_record *rec, void *ud) {
    chain *ch = ud;
    ch->calls++;
    (*ch->counter)--;
    if (err)
        ch->errors++;
    if (ch->left > 0) {
        ch->left--;
        aw_error e;
        /* Two per callback while fanning out, then one. */
        int n = ch->fan-- > 0 ? 2 : 1;
        for (int i = 0; i < n; i++) {
            assert_int_equal(aw_get_async(ch->loop, NULL, &ch->key, NULL, 0, chain_cb, ch, &e),
                             AW_OK);
            (*ch->counter)++;
        }
    }
}

static void test_submit_from_callbacks(void **state) {
    chain ch = {.loop = loop, .key = key_of("chain"), .left = 200, .fan = 5, .counter = &outstanding};
    aw_error err;
    assert_int_equal(aw_get_async(loop, NULL, &ch.key, NULL, 0, chain_cb, &ch, &err), AW_OK);
    outstanding++;
    run();
    /* 1 first + 200 callbacks that submitted, 5 of them two each. */
    assert_int_equal(ch.calls, 1 + 200 + 5);
    assert_int_equal(ch.errors, ch.calls); /* not found, every one of them */
    assert_int_equal(aw_loop_pending(loop), 0);
}

/* --- closing ------------------------------------------------------------------------------ */

/* A loop of its own on the main client. */
static aw_loop *side_loop(struct event_base **b) {
    *b = event_base_new();
    aw_loop *l;
    aw_error err;
    assert_int_equal(aw_libevent_attach(client, *b, &l, &err), AW_OK);
    return l;
}

static void test_loop_close_in_flight(void **state) {
    enum { N = 100 };
    static res rs[N];
    int due = 0;
    aw_error err;
    aw_bin bin = {"b", aw_value_int(1)};
    uint64_t before = tu_stats(client).commands;

    /* Queued, nothing sent yet: each callback once, from aw_loop_close. */
    struct event_base *b;
    aw_loop *l = side_loop(&b);
    for (int i = 0; i < N; i++) {
        res_init(&rs[i]);
        rs[i].counter = &due;
        aw_key k = key_of("close-queued");
        assert_int_equal(aw_put_async(l, NULL, &k, &bin, 1, cb_status, &rs[i], &err), AW_OK);
        due++;
    }
    aw_loop_close(l);
    assert_int_equal(due, 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rs[i].calls, 1);
        assert_int_equal(rs[i].code, AW_ERR_CLIENT_CLOSING);
        assert_false(rs[i].in_doubt); /* never sent */
    }
    assert_int_equal(tu_stats(client).commands - before, N);
    event_base_loop(b, EVLOOP_NONBLOCK); /* nothing of the loop is left on the base */
    event_base_free(b);

    /* Sent and waiting for (delayed) replies: writes are then in doubt. */
    tu_testd_fault(&srv, 0, "delay=2000");
    l = side_loop(&b);
    for (int i = 0; i < N; i++) {
        res_init(&rs[i]);
        rs[i].counter = &due;
        aw_key k = key_of("close-sent");
        if (i % 2)
            assert_int_equal(aw_put_async(l, NULL, &k, &bin, 1, cb_status, &rs[i], &err), AW_OK);
        else
            assert_int_equal(aw_get_async(l, NULL, &k, NULL, 0, cb_record, &rs[i], &err), AW_OK);
        due++;
    }
    uint64_t end = tu_now_ms() + 100;
    while (tu_now_ms() < end)
        event_base_loop(b, EVLOOP_NONBLOCK);
    assert_int_equal(due, N); /* nothing answered */
    aw_loop_close(l);
    tu_testd_clear_fault(&srv, 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rs[i].calls, 1);
        assert_int_equal(rs[i].code, AW_ERR_CLIENT_CLOSING);
        assert_int_equal(rs[i].in_doubt, i % 2 == 1);
    }
    event_base_free(b);
}

/* aw_loop_close from inside a callback: the others complete with
 * CLIENT_CLOSING once the callback returns; submits fail from then on. */
typedef struct closer {
    aw_loop *loop;
    int calls, closing, ok, submit_rc;
} closer;

static void closer_cb(const aw_error *err, aw_record *rec, void *ud) {
    closer *c = ud;
    c->calls++;
    if (!err) {
        c->ok++;
        if (c->ok == 1) {
            aw_loop_close(c->loop);
            aw_loop_close(c->loop); /* twice is harmless */
            aw_error e;
            aw_key k = key_of("after-close");
            c->submit_rc = aw_get_async(c->loop, NULL, &k, NULL, 0, closer_cb, c, &e);
            assert_int_equal(aw_loop_pending(c->loop) > 0, true);
        }
    } else if (err->code == AW_ERR_CLIENT_CLOSING) {
        c->closing++;
    }
}

static void test_loop_close_in_callback(void **state) {
    aw_key k = key_of("closer");
    aw_bin bin = {"b", aw_value_int(1)};
    res r;
    OK(put_(NULL, &k, &bin, 1, &r), &r);
    struct event_base *b;
    aw_loop *l = side_loop(&b);
    closer c = {.loop = l};
    aw_error err;
    /* The first reply closes the loop; the other gets are delayed behind it
     * on other connections or still queued. */
    for (int i = 0; i < 50; i++)
        assert_int_equal(aw_get_async(l, NULL, &k, NULL, 0, closer_cb, &c, &err), AW_OK);
    uint64_t end = tu_now_ms() + 3000;
    while (c.calls < 50 && tu_now_ms() < end)
        event_base_loop(b, EVLOOP_ONCE);
    assert_int_equal(c.calls, 50);
    assert_int_equal(c.ok + c.closing, 50);
    assert_true(c.ok >= 1);
    assert_int_equal(c.submit_rc, AW_ERR_CLIENT_CLOSING);
    /* The loop is gone: dispatch has nothing left to wait for. */
    assert_int_equal(event_base_dispatch(b), 1);
    event_base_free(b);
}

/* aw_client_close with commands in flight, and from inside a callback. */
typedef struct cc_state {
    aw_client *client;
    int calls, ok, closing, other;
    bool close_in_cb;
} cc_state;

static void cc_cb(const aw_error *err, aw_record *rec, void *ud) {
    cc_state *s = ud;
    s->calls++;
    if (!err)
        s->ok++;
    else if (err->code == AW_ERR_CLIENT_CLOSING)
        s->closing++;
    else
        s->other++;
    if (s->close_in_cb && s->calls == 1) {
        aw_client_close(s->client);
        assert_true(s->client->close_pending);
    }
}

static void test_client_close(void **state) {
    aw_config cfg = test_config();
    aw_error err;
    aw_key k = key_of("client-close");

    /* Two loops, commands queued on both, then aw_client_close. */
    cc_state s = {0};
    s.client = tu_client_new(&cfg);
    struct event_base *b1 = event_base_new(), *b2 = event_base_new();
    aw_loop *l1, *l2;
    assert_int_equal(aw_libevent_attach(s.client, b1, &l1, &err), AW_OK);
    assert_int_equal(aw_libevent_attach(s.client, b2, &l2, &err), AW_OK);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(aw_get_async(l1, NULL, &k, NULL, 0, cc_cb, &s, &err), AW_OK);
        assert_int_equal(aw_get_async(l2, NULL, &k, NULL, 0, cc_cb, &s, &err), AW_OK);
    }
    /* Let l1's go out on the wire. */
    tu_testd_fault(&srv, 0, "delay=1000");
    uint64_t end = tu_now_ms() + 100;
    while (tu_now_ms() < end)
        event_base_loop(b1, EVLOOP_NONBLOCK);
    aw_client_close(s.client);
    tu_testd_clear_fault(&srv, 0);
    assert_int_equal(s.calls, 40);
    assert_int_equal(s.closing, 40);
    assert_int_equal(event_base_dispatch(b1), 1);
    assert_int_equal(event_base_dispatch(b2), 1);
    event_base_free(b1);
    event_base_free(b2);

    /* From inside a callback: the close happens when it returns. */
    cc_state t = {0};
    t.client = tu_client_new(&cfg);
    t.close_in_cb = true;
    b1 = event_base_new();
    assert_int_equal(aw_libevent_attach(t.client, b1, &l1, &err), AW_OK);
    for (int i = 0; i < 30; i++)
        assert_int_equal(aw_get_async(l1, NULL, &k, NULL, 0, cc_cb, &t, &err), AW_OK);
    end = tu_now_ms() + 3000;
    while (t.calls < 30 && tu_now_ms() < end)
        event_base_loop(b1, EVLOOP_ONCE);
    assert_int_equal(t.calls, 30);
    assert_true(t.ok + t.other >= 1);
    assert_int_equal(t.ok + t.other + t.closing, 30);
    assert_int_equal(event_base_dispatch(b1), 1);
    event_base_free(b1);
}

/* Two threads, each running its own base and loop, one client. */
typedef struct worker {
    int id, n, ok, calls;
    int due;
    aw_loop *loop;
    aw_key keys[8];
} worker;

static void worker_cb(const aw_error *err, aw_record *rec, void *ud) {
    worker *w = ud;
    w->calls++;
    w->due--;
    if (!err && aw_record_get(rec, "w")->u.i == w->id)
        w->ok++;
    if (w->n > 0) {
        w->n--;
        aw_error e;
        if (aw_get_async(w->loop, NULL, &w->keys[w->n % 8], NULL, 0, worker_cb, w, &e) == AW_OK)
            w->due++;
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    struct event_base *b = event_base_new();
    aw_error err;
    if (aw_libevent_attach(client, b, &w->loop, &err) != AW_OK)
        return NULL;
    for (int i = 0; i < 32; i++) {
        w->n--;
        if (aw_get_async(w->loop, NULL, &w->keys[i % 8], NULL, 0, worker_cb, w, &err) == AW_OK)
            w->due++;
    }
    uint64_t end = tu_now_ms() + 10000;
    while (w->due > 0 && tu_now_ms() < end)
        event_base_loop(b, EVLOOP_ONCE);
    aw_loop_close(w->loop);
    event_base_free(b);
    return NULL;
}

static void test_two_threads(void **state) {
    worker w[2];
    res r;
    memset(w, 0, sizeof w);
    for (int t = 0; t < 2; t++) {
        w[t].id = t;
        w[t].n = 5000;
        for (int i = 0; i < 8; i++) {
            char name[32];
            snprintf(name, sizeof name, "thread-%d-%d", t, i);
            w[t].keys[i] = key_of(name);
            aw_bin bin = {"w", aw_value_int(t)};
            OK(put_(NULL, &w[t].keys[i], &bin, 1, &r), &r);
        }
    }
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&th[t], NULL, worker_main, &w[t]), 0);
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < 2; t++) {
        assert_int_equal(w[t].calls, 5000);
        assert_int_equal(w[t].ok, 5000);
    }
}

/* Pool policies with one connection and no pipelining: FAIL refuses what
 * does not fit, WAIT queues it. */
static void test_pool_policies(void **state) {
    aw_config cfg = test_config();
    cfg.async_max_conns_per_node = 1;
    cfg.pipeline_depth = 1;
    aw_client *c = tu_client_new(&cfg);
    struct event_base *b = event_base_new();
    aw_loop *l;
    aw_error err;
    assert_int_equal(aw_libevent_attach(c, b, &l, &err), AW_OK);
    aw_key k = key_of("pool");
    static res rs[20];
    int due = 0;
    aw_policy p = aw_policy_read();
    p.pool = AW_POOL_FAIL;
    p.max_retries = 0;
    for (int i = 0; i < 10; i++) {
        res_init(&rs[i]);
        rs[i].counter = &due;
        assert_int_equal(aw_exists_async(l, &p, &k, cb_exists, &rs[i], &err), AW_OK);
        due++;
    }
    tu_run_until(b, &due, 3000);
    int ok = 0, busy = 0;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(rs[i].calls, 1);
        ok += rs[i].code == AW_OK;
        busy += rs[i].code == AW_ERR_NO_MORE_CONNECTIONS;
    }
    assert_int_equal(ok, 1);
    assert_int_equal(busy, 9);

    p.pool = AW_POOL_WAIT;
    for (int i = 0; i < 20; i++) {
        res_init(&rs[i]);
        rs[i].counter = &due;
        assert_int_equal(aw_exists_async(l, &p, &k, cb_exists, &rs[i], &err), AW_OK);
        due++;
    }
    tu_run_until(b, &due, 3000);
    for (int i = 0; i < 20; i++)
        assert_int_equal(rs[i].code, AW_OK);
    assert_true(tu_stats(c).conns_opened <= 2); /* tend's + this loop's one */
    aw_client_close(c); /* closes the loop too */
    event_base_free(b);
}

/* A custom adapter (libevent's, counted): every watcher, timer and deferred
 * call created is freed, and detach comes once, after all other hooks. */
static struct hook_counts {
    int io_new, io_free, timer_new, timer_free, defer_new, defer_free, detach, after_detach;
} hc;

static void *h_io_new(void *ctx, int fd, aw_io_cb cb, void *arg) {
    hc.io_new++;
    hc.after_detach += hc.detach;
    return aw_libevent_io_new(ctx, fd, cb, arg);
}
static void h_io_free(void *io) {
    hc.io_free++;
    hc.after_detach += hc.detach;
    aw_libevent_io_free(io);
}
static void *h_timer_new(void *ctx, aw_timer_cb cb, void *arg) {
    hc.timer_new++;
    return aw_libevent_timer_new(ctx, cb, arg);
}
static void h_timer_free(void *t) {
    hc.timer_free++;
    hc.after_detach += hc.detach;
    aw_libevent_timer_free(t);
}
static void *h_defer_new(void *ctx, aw_timer_cb cb, void *arg) {
    hc.defer_new++;
    return aw_libevent_timer_new(ctx, cb, arg);
}
static void h_defer_free(void *t) {
    hc.defer_free++;
    hc.after_detach += hc.detach;
    aw_libevent_timer_free(t);
}
static void h_detach(void *ctx) {
    hc.detach++;
    free(ctx);
}

static void test_custom_hooks(void **state) {
    memset(&hc, 0, sizeof hc);
    aw_libevent_ctx *ctx = calloc(1, sizeof *ctx);
    ctx->base = base;
    aw_loop_hooks h = {
        .ctx = ctx,
        .io_new = h_io_new,
        .io_update = aw_libevent_io_update,
        .io_free = h_io_free,
        .timer_new = h_timer_new,
        .timer_start = aw_libevent_timer_start,
        .timer_stop = aw_libevent_timer_stop,
        .timer_free = h_timer_free,
        .defer_new = h_defer_new,
        .defer_schedule = aw_libevent_defer_schedule,
        .defer_free = h_defer_free,
        .detach = h_detach,
    };
    aw_loop *l;
    aw_error err;
    aw_loop_hooks bad = h;
    bad.io_update = NULL;
    assert_int_equal(aw_loop_new(client, &bad, &l, &err), AW_ERR_PARAM);
    assert_int_equal(aw_loop_new(client, &h, &l, &err), AW_OK);
    static res rs[40];
    int due = 0;
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "hooks-%d", i);
        aw_key k = key_of(name);
        res_init(&rs[i]);
        rs[i].counter = &due;
        assert_int_equal(aw_exists_async(l, NULL, &k, cb_exists, &rs[i], &err), AW_OK);
        due++;
    }
    tu_run_until(base, &due, 3000);
    assert_true(hc.io_new >= 1);
    aw_loop_close(l);
    assert_int_equal(hc.detach, 1);
    assert_int_equal(hc.after_detach, 0);
    assert_int_equal(hc.io_new, hc.io_free);
    assert_int_equal(hc.timer_new, hc.timer_free);
    assert_int_equal(hc.defer_new, 1);
    assert_int_equal(hc.defer_free, 1);
}

/* --- three nodes ----------------------------------------------------------------------------- */

/* Each key goes to its partition's master: with node i answering garbage,
 * exactly the keys mastered by i fail (MASTER policy, no retries). */
static void test_routes_to_master(void **state) {
    res r;
    aw_bin bin = {"b", aw_value_int(1)};
    aw_key keys[3][5];
    for (int n = 0; n < 3; n++)
        for (int i = 0; i < 5; i++) {
            keys[n][i] = key_on(n, 3, i, "route");
            OK(put_(NULL, &keys[n][i], &bin, 1, &r), &r);
        }
    aw_policy p = aw_policy_read();
    p.replica = AW_REPLICA_MASTER;
    p.max_retries = 0;
    for (int bad = 0; bad < 3; bad++) {
        tu_testd_fault(&srv, bad, "garbage=1");
        for (int n = 0; n < 3; n++)
            for (int i = 0; i < 5; i++) {
                int rc = get_(&p, &keys[n][i], NULL, 0, &r);
                res_free(&r);
                if (n == bad)
                    assert_int_equal(rc, AW_ERR_PROTO);
                else
                    assert_int_equal(rc, AW_OK);
            }
        tu_testd_clear_fault(&srv, bad);
    }
    /* SEQUENCE reads retry on the replica and succeed. */
    tu_testd_fault(&srv, 0, "garbage=1");
    p = aw_policy_read();
    for (int i = 0; i < 5; i++) {
        OK(get_(&p, &keys[0][i], NULL, 0, &r), &r);
        res_free(&r);
    }
    tu_testd_clear_fault(&srv, 0);
}

int main(void) {
    const struct CMUnitTest one[] = {
        cmocka_unit_test(test_submit_errors),
        cmocka_unit_test(test_unknown_namespace),
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_not_found_and_exists),
        cmocka_unit_test(test_write_policies),
        cmocka_unit_test(test_touch_ttl),
        cmocka_unit_test(test_operate),
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_big_records),
        cmocka_unit_test(test_idle_reaping),
        cmocka_unit_test(test_submit_from_callbacks),
        cmocka_unit_test_teardown(test_loop_close_in_flight, clear_faults),
        cmocka_unit_test(test_loop_close_in_callback),
        cmocka_unit_test_teardown(test_client_close, clear_faults),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_pool_policies),
        cmocka_unit_test(test_custom_hooks),
    };
    const struct CMUnitTest three[] = {
        cmocka_unit_test_teardown(test_routes_to_master, clear_faults),
    };
    int failed = cmocka_run_group_tests_name("async, one node", one, start_one, stop);
    failed += cmocka_run_group_tests_name("async, three nodes", three, start_three, stop);
    return failed || tu_testd_stop_failed;
}
