/*
 * aw-testd: the result codes (and the generation and void time that come
 * with them) the real server gives in cases the captures do not show, read
 * from the server's source (aerospike-server 8.1: as/src/transaction/
 * write.c, delete*.c, read.c, rw_utils*.c, as/src/base/particle*.c). The
 * table in docs/testd.md says where each comes from.
 */
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
#include "proto/msg.h"
#include "proto/particle.h"
#include "proto/request.h"
#include "support/testd_proc.h"
#include "support/testd_req.h"
#include "support/testutil.h"

static tu_testd server;

static int start_server(void **state) {
    (void)state;
    const char *args[] = {"--namespaces", "test", NULL};
    return tu_testd_start(&server, args);
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&server);
}

static uint16_t port(void) { return server.ports[0]; }

static aw_key key_of(const char *s) {
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, "test", "demo", s, &err), AW_OK);
    return k;
}

static int send_req(aw_buf *req, tu_reply *r) { return tu_exec_free(port(), req, r); }

static int put(const aw_key *k, const aw_bin *bins, size_t n, const aw_req_opts *o, tu_reply *r) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_write(&req, k, bins, n, o, &err), AW_OK);
    return send_req(&req, r);
}

static int operate(const aw_key *k, const aw_op *ops, size_t n, const aw_req_opts *o,
                   tu_reply *r) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_operate(&req, k, ops, n, o, &err), AW_OK);
    return send_req(&req, r);
}

static int del(const aw_key *k, const aw_req_opts *o, tu_reply *r) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_delete(&req, k, o, &err), AW_OK);
    return send_req(&req, r);
}

static int touch(const aw_key *k, const aw_req_opts *o, tu_reply *r) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_touch(&req, k, o, &err), AW_OK);
    return send_req(&req, r);
}

static int get_bins(const aw_key *k, const char *const *bins, size_t n, tu_reply *r) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_read(&req, k, bins, n, NULL, &err), AW_OK);
    return send_req(&req, r);
}

static int raw(const aw_key *k, uint8_t info1, uint8_t info2, uint8_t info3, const tu_raw_op *ops,
               size_t n, tu_reply *r) {
    aw_buf req;
    aw_buf_init(&req);
    tu_raw_request(&req, k, false, info1, info2, info3, 0, 0, ops, n);
    return send_req(&req, r);
}

/* Code of a header read of k (2 when the record is not there). */
static int exists_code(const aw_key *k) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_read_header(&req, k, NULL, &err), AW_OK);
    tu_reply r;
    int code = send_req(&req, &r);
    tu_reply_free(&r);
    return code;
}

/* Creates k with int bin "i" = 1 and string bin "s" = "abc" (generation 1). */
static void make_record(const aw_key *k) {
    aw_bin bins[] = {{"i", aw_value_int(1)}, {"s", aw_value_str("abc")}};
    tu_reply r;
    assert_int_equal(put(k, bins, 2, NULL, &r), 0);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
}

/* A write whose bins all end up deleted: on a record that did not exist it
 * finds nothing to delete (write_master_apply: NOT_FOUND); on one that did it
 * deletes the record and answers OK with no generation or void time
 * (clear_delete_response_metadata). */
static void test_write_leaving_no_bins(void **state) {
    (void)state;
    tu_reply r;
    aw_key fresh = key_of("nobins-new");
    aw_bin nil[] = {{"a", aw_value_nil()}, {"b", aw_value_nil()}};
    assert_int_equal(put(&fresh, nil, 2, NULL, &r), 2);
    assert_int_equal(r.gen, 0);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&fresh), 2);

    aw_key k = key_of("nobins-last");
    make_record(&k);
    aw_bin del_i[] = {{"i", aw_value_nil()}};
    assert_int_equal(put(&k, del_i, 1, NULL, &r), 0);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
    aw_bin del_s[] = {{"s", aw_value_nil()}};
    assert_int_equal(put(&k, del_s, 1, NULL, &r), 0);
    assert_int_equal(r.gen, 0);
    assert_int_equal(r.void_time, 0);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 2);

    /* operate delete-all: the same two answers. */
    aw_op wipe = aw_op_delete();
    assert_int_equal(operate(&fresh, &wipe, 1, NULL, &r), 2);
    tu_reply_free(&r);
    make_record(&k);
    assert_int_equal(operate(&k, &wipe, 1, NULL, &r), 0);
    assert_int_equal(r.gen, 0);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 2);

    /* Delete-all then a write in the same operate leaves a record. */
    make_record(&k);
    aw_op redo[] = {aw_op_delete(),
                    aw_op_write("n", aw_value_int(7))};
    assert_int_equal(operate(&k, redo, 2, NULL, &r), 0);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
    assert_int_equal(get_bins(&k, NULL, 0, &r), 0);
    assert_int_equal(r.n_ops, 1);
    assert_non_null(tu_reply_op(&r, "n"));
    tu_reply_free(&r);
}

/* Generation checks on a missing record compare with generation 0
 * (generation_check against the fresh record): EQ 0 and GT n>0 create it. */
static void test_generation_on_missing(void **state) {
    (void)state;
    tu_reply r;
    aw_bin bins[] = {{"a", aw_value_int(1)}};
    aw_req_opts o = aw_req_opts_default();

    aw_key k1 = key_of("gen-eq-5");
    o.gen_policy = AW_GEN_EQ;
    o.generation = 5;
    assert_int_equal(put(&k1, bins, 1, &o, &r), 3);
    assert_int_equal(r.gen, 0);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k1), 2);
    o.generation = 0;
    assert_int_equal(put(&k1, bins, 1, &o, &r), 0);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);

    aw_key k2 = key_of("gen-gt");
    o.gen_policy = AW_GEN_GT;
    o.generation = 0;
    assert_int_equal(put(&k2, bins, 1, &o, &r), 3);
    tu_reply_free(&r);
    o.generation = 1;
    assert_int_equal(put(&k2, bins, 1, &o, &r), 0);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
    /* On an existing record a failed check answers its generation. */
    o.generation = 1;
    assert_int_equal(put(&k2, bins, 1, &o, &r), 3);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
}

/* A touch must find its record (a touch op makes the write must-not-create,
 * checked before the generation). */
static void test_touch_missing(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("touch-missing");
    assert_int_equal(touch(&k, NULL, &r), 2);
    tu_reply_free(&r);
    aw_req_opts o = aw_req_opts_default();
    o.gen_policy = AW_GEN_EQ;
    o.generation = 7;
    assert_int_equal(touch(&k, &o, &r), 2);
    tu_reply_free(&r);
    /* Touch inside an operate with a write: still must exist. */
    aw_op ops[] = {aw_op_write("a", aw_value_int(1)), aw_op_touch()};
    assert_int_equal(operate(&k, ops, 2, NULL, &r), 2);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 2);
}

/* Existence policies: update-only and replace-only need the record,
 * create-only must not find it (answering the record's generation). */
static void test_exists_policies(void **state) {
    (void)state;
    tu_reply r;
    aw_bin bins[] = {{"a", aw_value_int(1)}};
    aw_req_opts o = aw_req_opts_default();
    aw_key k = key_of("exists-policies");
    o.exists = AW_EXISTS_UPDATE_ONLY;
    assert_int_equal(put(&k, bins, 1, &o, &r), 2);
    tu_reply_free(&r);
    o.exists = AW_EXISTS_REPLACE_ONLY;
    assert_int_equal(put(&k, bins, 1, &o, &r), 2);
    assert_int_equal(r.gen, 0);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 2);

    make_record(&k);
    o.exists = AW_EXISTS_CREATE_ONLY;
    assert_int_equal(put(&k, bins, 1, &o, &r), 5);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
    /* Replace-only on the record replaces all its bins. */
    o.exists = AW_EXISTS_REPLACE_ONLY;
    assert_int_equal(put(&k, bins, 1, &o, &r), 0);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
    assert_int_equal(get_bins(&k, NULL, 0, &r), 0);
    assert_int_equal(r.n_ops, 1);
    tu_reply_free(&r);
    /* A replace may not delete a bin or modify one (write_master_policies). */
    aw_bin nil[] = {{"a", aw_value_nil()}};
    o.exists = AW_EXISTS_REPLACE;
    assert_int_equal(put(&k, nil, 1, &o, &r), 4);
    assert_int_equal(r.gen, 0);
    tu_reply_free(&r);
    aw_op inc = aw_op_incr("a", aw_value_int(1));
    assert_int_equal(operate(&k, &inc, 1, &o, &r), 4);
    tu_reply_free(&r);
    o.exists = AW_EXISTS_REPLACE_ONLY;
    assert_int_equal(touch(&k, &o, &r), 4);
    tu_reply_free(&r);
    aw_op wipe = aw_op_delete();
    assert_int_equal(operate(&k, &wipe, 1, &o, &r), 4);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 0);
}

/* Delete replies carry no generation or void time, even a failed
 * generation check (send_delete_response); the record stays. */
static void test_delete_generation_mismatch(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("delete-gen");
    make_record(&k);
    aw_req_opts o = aw_req_opts_default();
    o.gen_policy = AW_GEN_EQ;
    o.generation = 9;
    assert_int_equal(del(&k, &o, &r), 3);
    assert_int_equal(r.gen, 0);
    assert_int_equal(r.void_time, 0);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 0);
    o.generation = 1;
    assert_int_equal(del(&k, &o, &r), 0);
    tu_reply_free(&r);
    assert_int_equal(del(&k, NULL, &r), 2);
    tu_reply_free(&r);
}

/* Durable deletes are Enterprise-only: CE refuses a durable delete before
 * looking the record up (delete.c as_delete_start), and a durable write that
 * would delete the record once it found one (write.c; both through
 * rw_utils_ce.c validate_delete_durability). A durable write that keeps bins
 * is an ordinary write. Seen on CE 8.1.2.0 too. */
static void test_durable_delete_is_enterprise_only(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("durable");
    aw_key missing = key_of("durable-missing");
    aw_req_opts o = aw_req_opts_default();
    o.durable_delete = true;
    assert_int_equal(del(&missing, &o, &r), AW_ERR_ENTERPRISE_ONLY);
    tu_reply_free(&r);
    make_record(&k);
    assert_int_equal(del(&k, &o, &r), AW_ERR_ENTERPRISE_ONLY);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 0);
    aw_bin keep = {"i", aw_value_int(2)};
    assert_int_equal(put(&k, &keep, 1, &o, &r), 0);
    tu_reply_free(&r);
    aw_bin drop[] = {{"i", aw_value_nil()}, {"s", aw_value_nil()}};
    assert_int_equal(put(&k, drop, 2, &o, &r), AW_ERR_ENTERPRISE_ONLY);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 0);
    assert_int_equal(put(&missing, drop, 2, &o, &r), AW_ERR_RECORD_NOT_FOUND);
    tu_reply_free(&r);
}

/* Reading named bins the record does not have: OK, no bins, the record's
 * generation (process_bin_read_op skips them). */
static void test_read_missing_bins(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("read-missing-bins");
    make_record(&k);
    const char *names[] = {"nope", "none"};
    assert_int_equal(get_bins(&k, names, 2, &r), 0);
    assert_int_equal(r.n_ops, 0);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
    const char *some[] = {"nope", "s"};
    assert_int_equal(get_bins(&k, some, 2, &r), 0);
    assert_int_equal(r.n_ops, 1);
    assert_non_null(tu_reply_op(&r, "s"));
    tu_reply_free(&r);
}

/* incr and append on a bin of the wrong type: INCOMPATIBLE_TYPE (the
 * particle's incr/concat functions), the record unchanged. */
static void test_incompatible_types(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("types");
    make_record(&k);
    aw_op ops[] = {aw_op_incr("s", aw_value_int(1))};
    assert_int_equal(operate(&k, ops, 1, NULL, &r), 12);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
    ops[0] = aw_op_incr("i", aw_value_float(1.5));
    assert_int_equal(operate(&k, ops, 1, NULL, &r), 12);
    tu_reply_free(&r);
    ops[0] = aw_op_append("i", aw_value_str("x"));
    assert_int_equal(operate(&k, ops, 1, NULL, &r), 12);
    tu_reply_free(&r);
    ops[0] = aw_op_prepend("i", aw_value_str("x"));
    assert_int_equal(operate(&k, ops, 1, NULL, &r), 12);
    tu_reply_free(&r);
    ops[0] = aw_op_append("s", aw_value_blob("x", 1));
    assert_int_equal(operate(&k, ops, 1, NULL, &r), 12);
    tu_reply_free(&r);
    /* An incr whose value is a string, on the integer bin: the integer's
     * incr refuses the type (12); on a missing bin it creates the bin from
     * the value, as every modify op does. */
    uint8_t s3[] = {'x', 'y', 'z'};
    tu_raw_op incr_str = {AW_OP_INCR, AW_PT_STRING, "i", 1, s3, 3};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &incr_str, 1, &r), 12);
    tu_reply_free(&r);
    incr_str.name = "t";
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &incr_str, 1, &r), 0);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
    const char *t[] = {"t"};
    assert_int_equal(get_bins(&k, t, 1, &r), 0);
    assert_int_equal(r.ops[0].particle, AW_PT_STRING);
    assert_int_equal(r.ops[0].value_len, 3);
    tu_reply_free(&r);
    /* A NULL particle is not a value at all: PARAMETER. */
    tu_raw_op incr_nil = {AW_OP_INCR, AW_PT_NULL, "i", 1, NULL, 0};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &incr_nil, 1, &r), 4);
    tu_reply_free(&r);
    /* The failed ops changed nothing. */
    const char *is[] = {"i", "s"};
    assert_int_equal(get_bins(&k, is, 2, &r), 0);
    assert_int_equal(r.gen, 2);
    assert_int_equal(aw_load_u64be(tu_reply_op(&r, "i")->value), 1);
    assert_int_equal(tu_reply_op(&r, "s")->value_len, 3);
    tu_reply_free(&r);
}

/* Values as the server reads them from a client: integers in 1, 2, 4 or 8
 * bytes (zero-extended; read back as 8), bools 0 or 1 only, a NULL particle
 * only as a bin delete; append of any type onto a missing bin creates it. */
static void test_client_values(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("values");
    uint8_t four[4] = {0, 0, 1, 2};
    tu_raw_op w4 = {AW_OP_WRITE, AW_PT_INTEGER, "n", 1, four, 4};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &w4, 1, &r), 0);
    tu_reply_free(&r);
    const char *n[] = {"n"};
    assert_int_equal(get_bins(&k, n, 1, &r), 0);
    assert_int_equal(r.ops[0].particle, AW_PT_INTEGER);
    assert_int_equal(r.ops[0].value_len, 8);
    assert_int_equal(aw_load_u64be(r.ops[0].value), 258);
    tu_reply_free(&r);
    uint8_t three[3] = {0, 0, 1};
    tu_raw_op w3 = {AW_OP_WRITE, AW_PT_INTEGER, "n", 1, three, 3};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &w3, 1, &r), 4);
    tu_reply_free(&r);
    uint8_t two = 2;
    tu_raw_op wb = {AW_OP_WRITE, AW_PT_BOOL, "b", 1, &two, 1};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &wb, 1, &r), 4);
    tu_reply_free(&r);
    tu_raw_op wbad = {AW_OP_WRITE, 5, "x", 1, four, 4}; /* type 5 does not exist */
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &wbad, 1, &r), 4);
    tu_reply_free(&r);
    /* An integer appended onto a missing bin creates an integer bin. */
    uint8_t eight[8] = {0, 0, 0, 0, 0, 0, 0, 9};
    tu_raw_op app = {AW_OP_APPEND, AW_PT_INTEGER, "m", 1, eight, 8};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &app, 1, &r), 0);
    tu_reply_free(&r);
    const char *m[] = {"m"};
    assert_int_equal(get_bins(&k, m, 1, &r), 0);
    assert_int_equal(r.ops[0].particle, AW_PT_INTEGER);
    assert_int_equal(aw_load_u64be(r.ops[0].value), 9);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
    /* ... but not onto the integer bin now there. */
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &app, 1, &r), 12);
    tu_reply_free(&r);
}

/* Bin names of 16 bytes (or with a NUL) are BIN_NAME. A write checks them
 * before looking the record up (generation 0 in the reply); a read after
 * (a missing record answers 2, an existing one its generation). */
static void test_bin_name_too_long(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("bin-name");
    make_record(&k);
    int64_t one = 1;
    uint8_t v[8];
    aw_store_u64be(v, (uint64_t)one);
    tu_raw_op w16 = {AW_OP_WRITE, AW_PT_INTEGER, "abcdefghijklmnop", 16, v, 8};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &w16, 1, &r), 21);
    assert_int_equal(r.gen, 0);
    tu_reply_free(&r);
    tu_raw_op nul = {AW_OP_WRITE, AW_PT_INTEGER, "a\0b", 3, v, 8};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &nul, 1, &r), 21);
    tu_reply_free(&r);
    /* 15 bytes is fine. */
    tu_raw_op w15 = {AW_OP_WRITE, AW_PT_INTEGER, "abcdefghijklmno", 15, v, 8};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &w15, 1, &r), 0);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);

    tu_raw_op r16 = {AW_OP_READ, AW_PT_NULL, "abcdefghijklmnop", 16, NULL, 0};
    assert_int_equal(raw(&k, AW_INFO1_READ, 0, 0, &r16, 1, &r), 21);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
    aw_key missing = key_of("bin-name-missing");
    assert_int_equal(raw(&missing, AW_INFO1_READ, 0, 0, &r16, 1, &r), 2);
    tu_reply_free(&r);
}

/* Requests the server refuses before looking at the record: a write with no
 * ops, read ops in a request without the read bit, a read without ops. */
static void test_malformed_requests(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("malformed");
    make_record(&k);
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, NULL, 0, &r), 4);
    assert_int_equal(r.gen, 0);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 0); /* not taken for a delete */
    tu_raw_op rd = {AW_OP_READ, AW_PT_NULL, "i", 1, NULL, 0};
    assert_int_equal(raw(&k, 0, AW_INFO2_WRITE, 0, &rd, 1, &r), 4);
    tu_reply_free(&r);
    assert_int_equal(raw(&k, AW_INFO1_READ, 0, 0, NULL, 0, &r), 4);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
    /* GET_ALL on a write needs a read-all op, which may not come with
     * respond-all-ops. */
    uint8_t v[8] = {0};
    tu_raw_op wr = {AW_OP_WRITE, AW_PT_INTEGER, "i", 1, v, 8};
    assert_int_equal(raw(&k, AW_INFO1_READ | AW_INFO1_GET_ALL, AW_INFO2_WRITE, 0, &wr, 1, &r), 4);
    tu_reply_free(&r);
    tu_raw_op all[] = {{AW_OP_WRITE, AW_PT_INTEGER, "i", 1, v, 8},
                       {AW_OP_READ, AW_PT_NULL, NULL, 0, NULL, 0}};
    assert_int_equal(raw(&k, AW_INFO1_READ | AW_INFO1_GET_ALL,
                         AW_INFO2_WRITE | AW_INFO2_RESPOND_ALL_OPS, 0, all, 2, &r), 4);
    tu_reply_free(&r);
    assert_int_equal(raw(&k, AW_INFO1_READ | AW_INFO1_GET_ALL, AW_INFO2_WRITE, 0, all, 2, &r), 0);
    assert_int_equal(r.n_ops, 2); /* the whole record after the write */
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
}

/* The set name is part of the record: a read or delete naming another set,
 * or a write naming none for a record in a set, is PARAMETER. */
static void test_set_mismatch(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("set-check");
    make_record(&k);
    aw_key other = k;
    strcpy(other.set, "elsewhere");
    aw_key none = k;
    none.set[0] = '\0';
    assert_int_equal(get_bins(&other, NULL, 0, &r), 4);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
    assert_int_equal(get_bins(&none, NULL, 0, &r), 0); /* a read may leave the set out */
    tu_reply_free(&r);
    assert_int_equal(del(&other, NULL, &r), 4);
    tu_reply_free(&r);
    aw_bin bins[] = {{"a", aw_value_int(1)}};
    assert_int_equal(put(&none, bins, 1, NULL, &r), 4);
    tu_reply_free(&r);
    assert_int_equal(exists_code(&k), 0);
}

/* A stored key (send-key) that differs from the one a read sends:
 * KEY_MISMATCH. */
static void test_read_key_mismatch(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("stored-key");
    aw_req_opts o = aw_req_opts_default();
    o.send_key = true;
    aw_bin bins[] = {{"a", aw_value_int(1)}};
    assert_int_equal(put(&k, bins, 1, &o, &r), 0);
    tu_reply_free(&r);
    /* Same digest, another user key. */
    aw_key liar = key_of("not-the-key");
    memcpy(liar.digest, k.digest, sizeof k.digest);
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_read(&req, &liar, NULL, 0, &o, &err), AW_OK);
    assert_int_equal(send_req(&req, &r), 19);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
    aw_buf_init(&req);
    assert_int_equal(aw_req_read(&req, &k, NULL, 0, &o, &err), AW_OK);
    assert_int_equal(send_req(&req, &r), 0);
    tu_reply_free(&r);
}

/* With respond-all-ops every op but touch gets an entry
 * (write_master_bin_ops_loop skips touch). */
static void test_respond_all_touch(void **state) {
    (void)state;
    tu_reply r;
    aw_key k = key_of("respond-all");
    make_record(&k);
    aw_op ops[] = {aw_op_touch(), aw_op_write("a", aw_value_int(2)),
                   aw_op_read("i")};
    aw_req_opts o = aw_req_opts_default();
    o.respond_all_ops = true;
    assert_int_equal(operate(&k, ops, 3, &o, &r), 0);
    assert_int_equal(r.n_ops, 2);
    assert_int_equal(r.ops[0].op, AW_OP_WRITE);
    assert_int_equal(r.ops[1].op, AW_OP_READ);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
}

/* List and map bins written whole, as a real CE 8.1.2.0 answered the same
 * bytes (sent through the official C client): msgpack it cannot take, a map
 * key given twice and an ordered list or key-ordered map out of order are 1
 * and nothing is stored (particle_list.c list_from_wire, particle_map.c
 * map_from_wire; an ordered list of lists and maps is ordered as the list
 * ops order it: those two cases sent by this client to CE 8.1.2.0); in-order ordered ones and plain ones are stored, a plain
 * map sorted by key as the server stores it (cdt.c cdt_untrusted_rewrite; CE
 * 8.1.2.0 reads it back so). What the server stores rewritten otherwise (an
 * order marker of 0, persist-index, which on an unordered list crashes that
 * server) aw-testd refuses with 16. */
static void test_written_list_map_particles(void **state) {
    (void)state;
    static const uint8_t truncated[] = {0x93, 0x01};
    static const uint8_t trailing[] = {0x92, 0x01, 0x02, 0xc0};
    static const uint8_t dup_keys[] = {0x83, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02};
    static const uint8_t nested_dup[] = {0x91, 0x82, 0x01, 0x00, 0x01, 0x01};
    static const uint8_t wildcard[] = {0x91, 0xd4, 0xff, 0x00};
    static const uint8_t ordered_down[] = {0x94, 0xc7, 0x00, 0x01, 0x03, 0x02, 0x01};
    static const uint8_t kordered_down[] = {0x83, 0xc7, 0x00, 0x01, 0xc0, 0x02, 0x00, 0x01, 0x00};
    static const uint8_t ordered_up[] = {0x94, 0xc7, 0x00, 0x01, 0x01, 0x02, 0x02};
    static const uint8_t kordered_up[] = {0x83, 0xc7, 0x00, 0x01, 0xc0, 0x01, 0x00, 0x02, 0x00};
    static const uint8_t plain_map[] = {0x82, 0x02, 0x00, 0x01, 0x00};
    /* ordered [[1], [2], {"a": 1}], and with [2] first */
    static const uint8_t ordered_nested[] = {0x94, 0xc7, 0x00, 0x01, 0x91, 0x01, 0x91, 0x02,
                                             0x81, 0xa2, 0x03, 0x61, 0x01};
    static const uint8_t ordered_nested_down[] = {0x94, 0xc7, 0x00, 0x01, 0x91, 0x02, 0x91, 0x01,
                                                  0x81, 0xa2, 0x03, 0x61, 0x01};
    static const uint8_t plain_map_sorted[] = {0x82, 0x01, 0x00, 0x02, 0x00};
    static const uint8_t persist[] = {0x93, 0xc7, 0x00, 0x10, 0x02, 0x01};
    static const uint8_t marker0[] = {0x82, 0xc7, 0x00, 0x00, 0xc0, 0x01, 0x00};
    struct {
        const char *what;
        uint8_t particle;
        const uint8_t *bytes;
        uint32_t len;
        int want;
        const uint8_t *stored; /* what a read returns; NULL: the bytes sent */
    } cases[] = {
        {"truncated list", AW_PT_LIST, truncated, sizeof truncated, 1, NULL},
        {"list with a byte after it", AW_PT_LIST, trailing, sizeof trailing, 1, NULL},
        {"list as a map particle", AW_PT_MAP, ordered_up + 4, 1, 1, NULL},
        {"map key twice", AW_PT_MAP, dup_keys, sizeof dup_keys, 1, NULL},
        {"nested map key twice", AW_PT_LIST, nested_dup, sizeof nested_dup, 1, NULL},
        {"wildcard value", AW_PT_LIST, wildcard, sizeof wildcard, 1, NULL},
        {"ordered list out of order", AW_PT_LIST, ordered_down, sizeof ordered_down, 1, NULL},
        {"key-ordered map out of order", AW_PT_MAP, kordered_down, sizeof kordered_down, 1, NULL},
        {"ordered list in order", AW_PT_LIST, ordered_up, sizeof ordered_up, 0, NULL},
        {"key-ordered map in order", AW_PT_MAP, kordered_up, sizeof kordered_up, 0, NULL},
        {"plain map", AW_PT_MAP, plain_map, sizeof plain_map, 0, plain_map_sorted},
        {"ordered list of containers in order", AW_PT_LIST, ordered_nested,
         sizeof ordered_nested, 0, NULL},
        {"ordered list of containers out of order", AW_PT_LIST, ordered_nested_down,
         sizeof ordered_nested_down, 1, NULL},
        {"persist-index list", AW_PT_LIST, persist, sizeof persist, 16, NULL},
        {"map with an order marker of 0", AW_PT_MAP, marker0, sizeof marker0, 16, NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char name[32];
        snprintf(name, sizeof name, "cdt%zu", c);
        aw_key k = key_of(name);
        tu_raw_op w = {AW_OP_WRITE, cases[c].particle, "c", 1, cases[c].bytes, cases[c].len};
        tu_reply r;
        int code = raw(&k, 0, AW_INFO2_WRITE, 0, &w, 1, &r);
        tu_reply_free(&r);
        if (code != cases[c].want)
            fail_msg("%s: result %d, want %d", cases[c].what, code, cases[c].want);
        const char *bin[] = {"c"};
        int got = get_bins(&k, bin, 1, &r);
        if (cases[c].want != 0) {
            assert_int_equal(got, 2); /* nothing stored */
        } else {
            /* Stored as the server stores it. */
            assert_int_equal(got, 0);
            assert_int_equal(r.ops[0].particle, cases[c].particle);
            assert_int_equal(r.ops[0].value_len, cases[c].len);
            assert_memory_equal(r.ops[0].value, cases[c].stored ? cases[c].stored : cases[c].bytes,
                                cases[c].len);
        }
        tu_reply_free(&r);
    }
}

/* A map put with UPDATE_ONLY|NO_FAIL on a missing record: the real CE
 * 8.1.2.0 answers 0 (the map's size, 0) and keeps a record with an empty
 * map, as the server first makes a missing bin an empty map (the official
 * C client's map_simple3 test; particle_map.c
 * cdt_context_map_handle_possible_noop). Without NO_FAIL it is 23 and
 * nothing is stored. */
static void test_map_noop_put_creates_empty_map(void **state) {
    (void)state;
    aw_value args[] = {aw_value_str("k"), aw_value_int(1), aw_value_int(0), aw_value_int(2 | 4)};
    struct {
        const char *key;
        uint8_t n_args;
        int64_t flags;
        int want;
    } cases[] = {{"noop-nofail", 4, 2 | 4, 0}, {"noop-fail", 4, 2, 23}};
    for (size_t c = 0; c < 2; c++) {
        aw_key k = key_of(cases[c].key);
        args[3] = aw_value_int(cases[c].flags);
        aw_op op = aw_op_cdt(AW_OP_CDT_MODIFY, "m", AW_MAP_PUT, args, cases[c].n_args);
        aw_buf req;
        aw_buf_init(&req);
        aw_error err;
        assert_int_equal(aw_req_operate(&req, &k, &op, 1, NULL, &err), AW_OK);
        tu_reply r;
        assert_int_equal(send_req(&req, &r), cases[c].want);
        tu_reply_free(&r);
        const char *bin[] = {"m"};
        int got = get_bins(&k, bin, 1, &r);
        if (cases[c].want == 0) {
            assert_int_equal(got, 0);
            assert_int_equal(r.gen, 1);
            assert_int_equal(r.ops[0].particle, AW_PT_MAP);
            assert_int_equal(r.ops[0].value_len, 1);
            assert_int_equal(r.ops[0].value[0], 0x80); /* {} */
        } else {
            assert_int_equal(got, 2);
        }
        tu_reply_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_leaving_no_bins),
        cmocka_unit_test(test_generation_on_missing),
        cmocka_unit_test(test_touch_missing),
        cmocka_unit_test(test_exists_policies),
        cmocka_unit_test(test_delete_generation_mismatch),
        cmocka_unit_test(test_durable_delete_is_enterprise_only),
        cmocka_unit_test(test_read_missing_bins),
        cmocka_unit_test(test_incompatible_types),
        cmocka_unit_test(test_client_values),
        cmocka_unit_test(test_bin_name_too_long),
        cmocka_unit_test(test_malformed_requests),
        cmocka_unit_test(test_set_mismatch),
        cmocka_unit_test(test_read_key_mismatch),
        cmocka_unit_test(test_respond_all_touch),
        cmocka_unit_test(test_written_list_map_particles),
        cmocka_unit_test(test_map_noop_put_creates_empty_map),
    };
    int failed = cmocka_run_group_tests_name("testd_codes", tests, start_server, stop_server);
    return failed || tu_testd_stop_failed;
}
