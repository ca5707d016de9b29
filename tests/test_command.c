/*
 * What sync and async commands share (src/client/command.c): policies onto
 * the wire (checked against the official client's captured requests),
 * replies into results (against the real server's captured replies), node
 * choice per replica policy, and which failures earn another attempt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "client/client_impl.h"
#include "proto/msg.h"
#include "support/capture_inputs.h"
#include "support/testutil.h"

/* ---- encoding: policies onto the wire ------------------------------------ */

static aw_cmd_kind kind_of(cmd_kind k) {
    switch (k) {
    case K_GET: return AW_CMD_GET;
    case K_EXISTS: return AW_CMD_EXISTS;
    case K_PUT: return AW_CMD_PUT;
    case K_TOUCH: return AW_CMD_TOUCH;
    case K_DELETE: return AW_CMD_DELETE;
    case K_OPERATE: return AW_CMD_OPERATE;
    }
    fail_msg("unknown kind");
    return AW_CMD_GET;
}

static void encode_with_policy(const capture_case *c, aw_buf *out) {
    capture_inputs in;
    capture_inputs_load(c->label, c->kind, &in);
    aw_cmd_args a = {.kind = kind_of(c->kind), .key = &in.key};
    if (c->kind == K_GET) {
        a.bin_names = in.n_names ? in.names : NULL;
        a.n = in.n_names;
    } else if (c->kind == K_PUT) {
        a.bins = in.bins;
        a.n = in.n_bins;
    } else if (c->kind == K_OPERATE) {
        a.ops = in.ops;
        a.n = in.n_ops;
    }
    /* The client's defaults, changed only where the capture's inputs say:
     * exactly what an application would do. */
    aw_policy p = aw_cmd_is_write(&a) ? aw_policy_write() : aw_policy_read();
    p.send_key = in.send_key;
    p.exists = in.exists;
    p.gen = in.gen;
    p.generation = in.generation;
    p.ttl = in.ttl;
    aw_error err;
    int rc = aw_cmd_encode(out, &a, &p, &err);
    capture_inputs_free(&in);
    if (rc != AW_OK)
        fail_msg("%s: %d %s", c->label, rc, err.message);
}

/* Default policies (1000 ms total, 30000 ms socket) put the same bytes on
 * the wire as the official client with its defaults. */
static void test_captured_requests_from_default_policies(void **state) {
    (void)state;
    aw_buf out;
    aw_buf_init(&out);
    for (size_t i = 0; i < CAPTURE_N_CASES; i++) {
        aw_buf_reset(&out);
        encode_with_policy(&CAPTURE_CASES[i], &out);
        const char *want =
            json_string_value(json_object_get(tu_command(CAPTURE_CASES[i].label), "request_hex"));
        assert_hex_equal(CAPTURE_CASES[i].label, out.data, out.len, want);
    }
    aw_buf_free(&out);
}

static uint32_t wire_timeout(uint32_t total, uint32_t sock) {
    aw_key key;
    assert_int_equal(aw_key_init_str(&key, "test", "demo", "k", NULL), AW_OK);
    aw_cmd_args a = {.kind = AW_CMD_GET, .key = &key};
    aw_policy p = aw_policy_read();
    p.total_timeout_ms = total;
    p.socket_timeout_ms = sock;
    aw_buf out;
    aw_buf_init(&out);
    assert_int_equal(aw_cmd_encode(&out, &a, &p, NULL), AW_OK);
    uint32_t t = aw_load_u32be(out.data + 8 + 14);
    aw_buf_free(&out);
    return t;
}

/* The server is told to give up when the client would: the socket timeout
 * when it is the shorter, else the total. */
static void test_server_timeout_on_the_wire(void **state) {
    (void)state;
    assert_int_equal(wire_timeout(1000, 30000), 1000);
    assert_int_equal(wire_timeout(1000, 200), 200);
    assert_int_equal(wire_timeout(500, 0), 500);
    assert_int_equal(wire_timeout(0, 2000), 2000);
    assert_int_equal(wire_timeout(0, 0), 0);
    assert_int_equal(wire_timeout(700, 700), 700);
}

/* A policy's TTL goes only on writes: on a read the same header field is
 * the read-touch percent, so a write policy reused for a get must not
 * touch the record. */
static void test_ttl_only_on_writes(void **state) {
    (void)state;
    aw_key key;
    assert_int_equal(aw_key_init_str(&key, "test", "demo", "k", NULL), AW_OK);
    aw_policy p = aw_policy_write();
    p.ttl = 3600;
    aw_buf out;
    aw_buf_init(&out);
    aw_cmd_args get = {.kind = AW_CMD_GET, .key = &key};
    assert_int_equal(aw_cmd_encode(&out, &get, &p, NULL), AW_OK);
    assert_int_equal(aw_load_u32be(out.data + 8 + 10), 0);
    aw_buf_reset(&out);
    aw_cmd_args touch = {.kind = AW_CMD_TOUCH, .key = &key};
    assert_int_equal(aw_cmd_encode(&out, &touch, &p, NULL), AW_OK);
    assert_int_equal(aw_load_u32be(out.data + 8 + 10), 3600);
    aw_buf_free(&out);
    aw_req_opts r = aw_cmd_row_opts(&p, true), w = aw_cmd_row_opts(&p, false);
    assert_int_equal(r.ttl, 0);
    assert_int_equal(w.ttl, 3600);
    assert_int_equal(w.timeout_ms, 0); /* batch rows: the batch header carries it */
}

static void test_is_write(void **state) {
    (void)state;
    aw_key key;
    assert_int_equal(aw_key_init_str(&key, "test", "demo", "k", NULL), AW_OK);
    aw_op reads[2] = {aw_op_read("a"), aw_op_list_size("l")};
    aw_op mixed[2] = {aw_op_read("a"), aw_op_incr("n", aw_value_int(1))};
    aw_cmd_args a = {.kind = AW_CMD_OPERATE, .key = &key, .ops = reads, .n = 2};
    assert_false(aw_cmd_is_write(&a));
    a.ops = mixed;
    assert_true(aw_cmd_is_write(&a));
    a.kind = AW_CMD_GET;
    assert_false(aw_cmd_is_write(&a));
    a.kind = AW_CMD_EXISTS;
    assert_false(aw_cmd_is_write(&a));
    a.kind = AW_CMD_DELETE;
    assert_true(aw_cmd_is_write(&a));
    a.kind = AW_CMD_TOUCH;
    assert_true(aw_cmd_is_write(&a));
    a.kind = AW_CMD_PUT;
    assert_true(aw_cmd_is_write(&a));
}

/* Caller errors are reported before anything would be sent. */
static void test_encode_refuses_bad_input(void **state) {
    (void)state;
    aw_key key;
    assert_int_equal(aw_key_init_str(&key, "test", "demo", "k", NULL), AW_OK);
    aw_bin bin = {"sixteen_bytes_xx", aw_value_int(1)};
    aw_cmd_args a = {.kind = AW_CMD_PUT, .key = &key, .bins = &bin, .n = 1};
    aw_policy p = aw_policy_write();
    aw_buf out;
    aw_buf_init(&out);
    aw_error err;
    assert_int_equal(aw_cmd_encode(&out, &a, &p, &err), AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "sixteen_bytes_xx"));
    assert_int_equal(out.len, 0);
    assert_int_equal(aw_cmd_encode(&out, &a, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_cmd_encode(&out, NULL, &p, &err), AW_ERR_PARAM);
    a.key = NULL;
    assert_int_equal(aw_cmd_encode(&out, &a, &p, &err), AW_ERR_PARAM);
    aw_buf_free(&out);
}

/* ---- replies: the real server's answers ------------------------------------- */

static int parse_captured(const char *label, aw_cmd_kind kind, aw_record *rec, bool *exists,
                          aw_error *err) {
    size_t len;
    uint8_t *body = tu_reply_body(label, 0, &len);
    int rc = aw_cmd_parse_reply(kind, body, len, rec, exists, err);
    free(body);
    return rc;
}

static void test_replies_become_results(void **state) {
    (void)state;
    aw_record rec = {0};
    aw_error err;
    bool exists = false;

    assert_int_equal(parse_captured("get_all", AW_CMD_GET, &rec, NULL, &err), AW_OK);
    assert_int_equal(err.code, AW_OK);
    assert_int_equal(rec.n_bins, 3);
    const aw_value *i = aw_record_get(&rec, "i");
    assert_non_null(i);
    assert_int_equal(i->u.i, 42);
    assert_int_equal(rec.gen, 1);
    /* the namespace's default TTL is 0 (never) on the recording server */
    assert_int_equal(rec.void_time, 0);
    assert_int_equal(rec.ttl, AW_TTL_NEVER_EXPIRE);
    aw_record_free(&rec);

    assert_int_equal(parse_captured("get_missing", AW_CMD_GET, &rec, NULL, &err),
                     AW_ERR_RECORD_NOT_FOUND);
    assert_int_equal(err.code, AW_ERR_RECORD_NOT_FOUND);
    assert_true(strlen(err.message) > 0);
    assert_int_equal(rec.n_bins, 0);

    /* exists: a missing record is an answer, not an error */
    assert_int_equal(parse_captured("exists_missing", AW_CMD_EXISTS, NULL, &exists, &err), AW_OK);
    assert_false(exists);
    assert_int_equal(parse_captured("exists_header", AW_CMD_EXISTS, NULL, &exists, &err), AW_OK);
    assert_true(exists);
    /* but get-header of a missing record is KEY_NOT_FOUND */
    assert_int_equal(parse_captured("exists_missing", AW_CMD_GET_HEADER, &rec, NULL, &err),
                     AW_ERR_RECORD_NOT_FOUND);

    assert_int_equal(parse_captured("put_create_only_exists", AW_CMD_PUT, NULL, NULL, &err),
                     AW_ERR_RECORD_EXISTS);
    assert_int_equal(parse_captured("put_gen_eq_wrong", AW_CMD_PUT, NULL, NULL, &err),
                     AW_ERR_RECORD_GENERATION);
    assert_int_equal(parse_captured("put_scalars", AW_CMD_PUT, NULL, NULL, &err), AW_OK);

    /* a TTL is computed from the void time */
    assert_int_equal(parse_captured("put_ttl_3600", AW_CMD_PUT, NULL, NULL, &err), AW_OK);
}

static void test_garbage_reply_is_proto_error(void **state) {
    (void)state;
    uint8_t junk[30];
    memset(junk, 0xEE, sizeof junk);
    aw_record rec = {0};
    aw_error err;
    bool exists = true;
    assert_int_equal(aw_cmd_parse_reply(AW_CMD_GET, junk, sizeof junk, &rec, NULL, &err),
                     AW_ERR_PROTO);
    assert_int_equal(aw_cmd_parse_reply(AW_CMD_EXISTS, junk, 5, NULL, &exists, &err),
                     AW_ERR_PROTO);
    assert_int_equal(rec.n_bins, 0);
}

/* ---- routing ---------------------------------------------------------------- */

typedef struct fake_cluster {
    aw_node nodes[3];
    aw_partition_table table;
    aw_partition_table *tables[1];
    aw_cluster_view view;
    aw_key key;
    uint32_t pid;
} fake_cluster;

/* Partition of the key: master node 0, replicas node 1 then node 2. */
static fake_cluster *fake_new(void) {
    fake_cluster *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (int i = 0; i < 3; i++) {
        snprintf(f->nodes[i].name, sizeof f->nodes[i].name, "N%d", i);
        atomic_store(&f->nodes[i].active, true);
    }
    snprintf(f->table.ns, sizeof f->table.ns, "test");
    f->table.n_replicas = 3;
    assert_int_equal(aw_key_init_str(&f->key, "test", "demo", "route-me", NULL), AW_OK);
    f->pid = aw_partition_id(f->key.digest);
    for (int r = 0; r < 3; r++)
        f->table.owners[r][f->pid] = &f->nodes[r];
    f->tables[0] = &f->table;
    f->view.n_tables = 1;
    f->view.tables = f->tables;
    return f;
}

static const aw_node *route(fake_cluster *f, aw_replica_policy rp, bool write, uint32_t seq,
                            aw_error *err) {
    aw_policy p = write ? aw_policy_write() : aw_policy_read();
    p.replica = rp;
    return aw_cmd_route(&f->view, &f->key, &p, write, seq, err);
}

static void test_route_by_replica_policy(void **state) {
    (void)state;
    fake_cluster *f = fake_new();
    aw_error err;
    /* sequence: the master, then each replica in turn */
    assert_ptr_equal(route(f, AW_REPLICA_SEQUENCE, false, 0, &err), &f->nodes[0]);
    assert_ptr_equal(route(f, AW_REPLICA_SEQUENCE, false, 1, &err), &f->nodes[1]);
    assert_ptr_equal(route(f, AW_REPLICA_SEQUENCE, false, 2, &err), &f->nodes[2]);
    assert_ptr_equal(route(f, AW_REPLICA_SEQUENCE, false, 3, &err), &f->nodes[0]);
    /* master: always the master */
    assert_ptr_equal(route(f, AW_REPLICA_MASTER, false, 1, &err), &f->nodes[0]);
    assert_ptr_equal(route(f, AW_REPLICA_MASTER, true, 2, &err), &f->nodes[0]);
    /* any: reads rotate, writes stay on the master */
    assert_ptr_equal(route(f, AW_REPLICA_ANY, false, 1, &err), &f->nodes[1]);
    assert_ptr_equal(route(f, AW_REPLICA_ANY, true, 1, &err), &f->nodes[0]);

    /* an inactive master is skipped, except under MASTER */
    atomic_store(&f->nodes[0].active, false);
    assert_ptr_equal(route(f, AW_REPLICA_SEQUENCE, false, 0, &err), &f->nodes[1]);
    assert_null(route(f, AW_REPLICA_MASTER, false, 0, &err));
    assert_int_equal(err.code, AW_ERR_INVALID_NODE);
    /* a missing replica is skipped too */
    f->table.owners[1][f->pid] = NULL;
    assert_ptr_equal(route(f, AW_REPLICA_SEQUENCE, false, 1, &err), &f->nodes[2]);
    atomic_store(&f->nodes[2].active, false);
    assert_null(route(f, AW_REPLICA_SEQUENCE, false, 0, &err));
    assert_int_equal(err.code, AW_ERR_INVALID_NODE);
    assert_non_null(strstr(err.message, "test"));

    /* another namespace is not served */
    assert_int_equal(aw_key_init_str(&f->key, "nope", "demo", "route-me", NULL), AW_OK);
    assert_null(route(f, AW_REPLICA_SEQUENCE, false, 0, &err));
    assert_int_equal(err.code, AW_ERR_NAMESPACE_NOT_FOUND);
    assert_non_null(strstr(err.message, "nope"));
    free(f);
}

static void test_retry_moves(void **state) {
    (void)state;
    aw_policy p = aw_policy_read();
    /* reads move on after every failure */
    assert_int_equal(aw_cmd_next_seq(0, &p, false, AW_ERR_TIMEOUT), 1);
    assert_int_equal(aw_cmd_next_seq(1, &p, false, AW_ERR_CONNECTION), 2);
    /* writes move on only when the failed attempt cannot still be running */
    p = aw_policy_write();
    assert_int_equal(aw_cmd_next_seq(0, &p, true, AW_ERR_TIMEOUT), 0);
    assert_int_equal(aw_cmd_next_seq(0, &p, true, AW_ERR_CONNECTION), 1);
    p.replica = AW_REPLICA_MASTER;
    assert_int_equal(aw_cmd_next_seq(0, &p, true, AW_ERR_CONNECTION), 0);

    /* ANY reads start at different replicas; everything else at the master */
    p = aw_policy_read();
    p.replica = AW_REPLICA_ANY;
    uint32_t a = aw_cmd_first_seq(&p, false), b = aw_cmd_first_seq(&p, false);
    assert_int_not_equal(a, b);
    assert_int_equal(aw_cmd_first_seq(&p, true), 0);
    p.replica = AW_REPLICA_SEQUENCE;
    assert_int_equal(aw_cmd_first_seq(&p, false), 0);
}

static void test_retryable(void **state) {
    (void)state;
    assert_true(aw_cmd_retryable(AW_ERR_CONNECTION));
    assert_true(aw_cmd_retryable(AW_ERR_NO_RESPONSE));
    assert_true(aw_cmd_retryable(AW_ERR_TIMEOUT));
    assert_true(aw_cmd_retryable(AW_ERR_NO_MORE_CONNECTIONS));
    assert_true(aw_cmd_retryable(AW_ERR_MAX_ERROR_RATE));
    assert_false(aw_cmd_retryable(AW_ERR_RECORD_NOT_FOUND));
    assert_false(aw_cmd_retryable(AW_ERR_RECORD_GENERATION));
    assert_false(aw_cmd_retryable(AW_ERR_PARAM));
    assert_false(aw_cmd_retryable(AW_ERR_BAD_NAME));
    assert_false(aw_cmd_retryable(AW_ERR_CLIENT_CLOSING));
}

static void test_policy_defaults(void **state) {
    (void)state;
    aw_policy r = aw_policy_read(), w = aw_policy_write();
    assert_int_equal(r.total_timeout_ms, 1000);
    assert_int_equal(r.socket_timeout_ms, 30000);
    assert_int_equal(r.max_retries, 2);
    assert_int_equal(w.max_retries, 0);
    assert_int_equal(r.replica, AW_REPLICA_SEQUENCE);
    assert_int_equal(w.exists, AW_EXISTS_UPDATE);
    aw_config c;
    aw_config_init(&c);
    assert_int_equal(c.tend_interval_ms, 1000);
    assert_int_equal(c.connect_timeout_ms, 1000);
    assert_true(c.fail_if_not_connected);
    assert_int_equal(c.read_policy.max_retries, 2);
    assert_int_equal(c.write_policy.max_retries, 0);
    aw_config_init(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captured_requests_from_default_policies),
        cmocka_unit_test(test_server_timeout_on_the_wire),
        cmocka_unit_test(test_ttl_only_on_writes),
        cmocka_unit_test(test_is_write),
        cmocka_unit_test(test_encode_refuses_bad_input),
        cmocka_unit_test(test_replies_become_results),
        cmocka_unit_test(test_garbage_reply_is_proto_error),
        cmocka_unit_test(test_route_by_replica_policy),
        cmocka_unit_test(test_retry_moves),
        cmocka_unit_test(test_retryable),
        cmocka_unit_test(test_policy_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
