/*
 * Single-record request encoders (src/proto/request.c, ops.c) against the
 * real captures: every single-record request the official C client sent in
 * official-c-client-vs-asd.json is rebuilt from its `inputs` and compared
 * byte for byte. All captures used a 1000 ms total timeout, which is the
 * only header field we must set to match (transaction_ttl).
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
#include "proto/buf.h"
#include "proto/msg.h"
#include "proto/request.h"
#include "support/capture_inputs.h"
#include "support/testutil.h"

/* ---- helpers ----------------------------------------------------------- */

static void encode_capture(const capture_case *c, aw_buf *out) {
    capture_inputs in;
    capture_inputs_load(c->label, c->kind, &in);
    aw_req_opts o = aw_req_opts_default();
    o.timeout_ms = CAPTURE_TIMEOUT_MS;
    o.send_key = in.send_key;
    o.exists = (uint8_t)in.exists;
    o.gen_policy = (uint8_t)in.gen;
    o.generation = in.generation;
    o.ttl = in.ttl;
    aw_error err;
    int rc = AW_OK;
    switch (c->kind) {
    case K_GET:
        rc = aw_req_read(out, &in.key, in.n_names ? in.names : NULL, in.n_names, &o, &err);
        break;
    case K_EXISTS: rc = aw_req_read_header(out, &in.key, &o, &err); break;
    case K_PUT: rc = aw_req_write(out, &in.key, in.bins, in.n_bins, &o, &err); break;
    case K_TOUCH: rc = aw_req_touch(out, &in.key, &o, &err); break;
    case K_DELETE: rc = aw_req_delete(out, &in.key, &o, &err); break;
    case K_OPERATE: rc = aw_req_operate(out, &in.key, in.ops, in.n_ops, &o, &err); break;
    }
    capture_inputs_free(&in);
    if (rc != AW_OK)
        fail_msg("%s: encoder failed: %d %s", c->label, rc, err.message);
}

/* ---- the captures ------------------------------------------------------ */

static void test_captured_single_record_requests(void **state) {
    (void)state;
    aw_buf out;
    aw_buf_init(&out);
    for (size_t i = 0; i < CAPTURE_N_CASES; i++) {
        aw_buf_reset(&out);
        encode_capture(&CAPTURE_CASES[i], &out);
        json_t *cmd = tu_command(CAPTURE_CASES[i].label);
        assert_hex_equal(CAPTURE_CASES[i].label, out.data, out.len,
                         json_string_value(json_object_get(cmd, "request_hex")));
    }
    aw_buf_free(&out);
}

/* The 100 sensor rows: set "sensors", integer keys sent with the request,
 * five bins of four particle types. */
static void test_captured_sensor_rows(void **state) {
    (void)state;
    aw_buf out;
    aw_buf_init(&out);
    for (int r = 0; r < 100; r++) {
        char label[64];
        snprintf(label, sizeof label, "put_sensor_row_%d", r);
        capture_case c = {label, K_PUT};
        aw_buf_reset(&out);
        encode_capture(&c, &out);
        assert_hex_equal(label, out.data, out.len,
                         json_string_value(json_object_get(tu_command(label), "request_hex")));
    }
    aw_buf_free(&out);
}

/* Every captured command is either covered above or a batch request
 * (tests/test_batch_request.c): nothing is silently skipped. */
static void test_every_capture_is_covered(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture("official-c-client-vs-asd.json"), "commands");
    size_t i;
    json_t *c;
    size_t covered = 0;
    json_array_foreach(cmds, i, c) {
        const char *label = json_string_value(json_object_get(c, "label"));
        bool known = strncmp(label, "batch_", 6) == 0 || strncmp(label, "put_sensor_row_", 15) == 0;
        for (size_t k = 0; !known && k < CAPTURE_N_CASES; k++)
            known = strcmp(CAPTURE_CASES[k].label, label) == 0;
        if (!known)
            fail_msg("captured command %s has no encoder test", label);
        covered++;
    }
    assert_true(covered >= CAPTURE_N_CASES + 100);
}

/* ---- single ops (wire-protocol.md §5, §6.2) ---------------------------- */

static void expect_op(const aw_op *op, const char *want_hex) {
    aw_buf b;
    aw_buf_init(&b);
    aw_error err;
    int rc = aw_buf_op(&b, op, &err);
    if (rc != AW_OK)
        fail_msg("aw_buf_op failed: %s", err.message);
    assert_hex_equal("op", b.data, b.len, want_hex);
    aw_buf_free(&b);
}

static void test_op_encodings(void **state) {
    (void)state;
    aw_op op = aw_op_touch();
    expect_op(&op, "00000004 0b 00 00 00");
    op = aw_op_delete();
    expect_op(&op, "00000004 0e 00 00 00");
    op = aw_op_read(NULL); /* read all: no name */
    expect_op(&op, "00000004 01 00 00 00");
    op = aw_op_read("ab");
    expect_op(&op, "00000006 01 00 00 02 6162");
    op = aw_op_write("x", aw_value_nil()); /* nil deletes the bin: particle 0, no value */
    expect_op(&op, "00000005 02 00 00 01 78");
    op = aw_op_write("t", aw_value_bool(true));
    expect_op(&op, "00000006 02 11 00 01 74 01");
    op = aw_op_incr("f", aw_value_float(3.5));
    expect_op(&op, "0000000d 05 02 00 01 66 400c000000000000");
    op = aw_op_prepend("s", aw_value_blob("\x01\x02", 2));
    expect_op(&op, "00000007 0a 04 00 01 73 0102");

    /* CDT values of §6.2, byte for byte with the captures. */
    op = aw_op_list_append("l", aw_value_int(10));
    expect_op(&op, "00000008 04 04 00 01 6c 92010a");
    op = aw_op_list_size("l");
    expect_op(&op, "00000007 03 04 00 01 6c 9110");
    op = aw_op_list_get_range("l", 0, 2);
    expect_op(&op, "00000009 03 04 00 01 6c 93120002");
    op = aw_op_map_put("m", aw_value_str("z"), aw_value_int(26));
    expect_op(&op, "0000000c 04 04 00 01 6d 9443a2037a1a00");
    op = aw_op_map_get_by_key("m", aw_value_str("x"), AW_RETURN_VALUE);
    expect_op(&op, "0000000b 03 04 00 01 6d 936107a20378");

    /* The other constructors: code and argument order. */
    op = aw_op_list_get_range_from("l", -1);
    expect_op(&op, "00000008 03 04 00 01 6c 9212ff");
    op = aw_op_list_insert("l", 1, aw_value_int(5));
    expect_op(&op, "00000009 04 04 00 01 6c 93030105");
    op = aw_op_list_pop("l", 0);
    expect_op(&op, "00000008 04 04 00 01 6c 920500");
    op = aw_op_list_clear("l");
    expect_op(&op, "00000007 04 04 00 01 6c 910b");
    op = aw_op_map_size("m");
    expect_op(&op, "00000007 03 04 00 01 6d 9160");
    op = aw_op_map_increment("m", aw_value_str("k"), aw_value_int(2));
    expect_op(&op, "0000000c 04 04 00 01 6d 9449a2036b0200");
    op = aw_op_map_remove_by_key("m", aw_value_str("k"), AW_RETURN_NONE);
    expect_op(&op, "0000000b 04 04 00 01 6d 934c00a2036b");
    op = aw_op_map_get_by_index("m", 0, AW_RETURN_KEY_VALUE);
    expect_op(&op, "00000009 03 04 00 01 6d 93620800");
    aw_value args[2] = {aw_value_int(1), aw_value_int(2)};
    op = aw_op_cdt(AW_OP_CDT_MODIFY, "l", AW_LIST_TRIM, args, 2);
    expect_op(&op, "00000009 04 04 00 01 6c 930a0102");
}

/* ---- info bits and policies (§7, §13) ---------------------------------- */

/* Checks the frame header and hands back the parsed message (points into *b). */
static aw_msg_view parse_frame(const aw_buf *b) {
    assert_true(b->len >= 8 + 22);
    assert_int_equal(b->data[0], 2);
    assert_int_equal(b->data[1], 3);
    assert_int_equal(aw_load_u48be(b->data + 2), b->len - 8);
    aw_msg_view m;
    size_t used;
    assert_int_equal(aw_msg_parse(b->data + 8, b->len - 8, &m, &used, NULL), AW_OK);
    assert_int_equal(used, b->len - 8);
    return m;
}

static aw_key demo_key(void) {
    aw_key key;
    assert_int_equal(aw_key_init_str(&key, "test", "demo", "k1", NULL), AW_OK);
    return key;
}

static void test_operate_info_bits(void **state) {
    (void)state;
    aw_key key = demo_key();
    aw_buf b;
    aw_buf_init(&b);
    aw_msg_view m;

    /* read-all op + write: READ|GET_ALL, WRITE */
    aw_op ops[3] = {aw_op_read(NULL), aw_op_write("a", aw_value_int(1))};
    assert_int_equal(aw_req_operate(&b, &key, ops, 2, NULL, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info1, AW_INFO1_READ | AW_INFO1_GET_ALL);
    assert_int_equal(m.h.info2, AW_INFO2_WRITE);

    /* map op without GET_ALL: RESPOND_ALL_OPS is set automatically */
    aw_buf_reset(&b);
    ops[0] = aw_op_map_size("m");
    assert_int_equal(aw_req_operate(&b, &key, ops, 1, NULL, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info1, AW_INFO1_READ);
    assert_int_equal(m.h.info2, AW_INFO2_RESPOND_ALL_OPS);

    /* ... but never together with GET_ALL, not even when asked for */
    aw_buf_reset(&b);
    ops[1] = aw_op_read(NULL);
    aw_req_opts o = aw_req_opts_default();
    o.respond_all_ops = true;
    assert_int_equal(aw_req_operate(&b, &key, ops, 2, &o, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info1, AW_INFO1_READ | AW_INFO1_GET_ALL);
    assert_int_equal(m.h.info2, 0);

    /* list ops alone: no RESPOND_ALL_OPS; the policy adds it */
    aw_buf_reset(&b);
    ops[0] = aw_op_list_append("l", aw_value_int(1));
    assert_int_equal(aw_req_operate(&b, &key, ops, 1, NULL, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info2, AW_INFO2_WRITE);
    aw_buf_reset(&b);
    assert_int_equal(aw_req_operate(&b, &key, ops, 1, &o, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info2, AW_INFO2_WRITE | AW_INFO2_RESPOND_ALL_OPS);

    /* expression, bit and HLL ops also want every result */
    static const uint8_t exp[] = {0x92, 0x01, 0x00};
    ops[0].type = AW_OP_EXP_READ;
    ops[0].cdt_code = 0xffff;
    ops[0].bin = "r";
    ops[0].value = aw_value_blob(exp, sizeof exp);
    aw_buf_reset(&b);
    assert_int_equal(aw_req_operate(&b, &key, ops, 1, NULL, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info1, AW_INFO1_READ);
    assert_int_equal(m.h.info2, AW_INFO2_RESPOND_ALL_OPS);
    aw_op_view ov;
    aw_msg_iter it = aw_msg_ops(&m);
    assert_true(aw_msg_next_op(&it, &ov));
    assert_int_equal(ov.op, AW_OP_EXP_READ);
    assert_int_equal(ov.particle, 4);
    assert_int_equal(ov.value_len, sizeof exp);
    assert_memory_equal(ov.value, exp, sizeof exp);

    /* touch and delete inside operate are writes */
    aw_buf_reset(&b);
    ops[0] = aw_op_touch();
    ops[1] = aw_op_delete();
    assert_int_equal(aw_req_operate(&b, &key, ops, 2, NULL, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info1, 0);
    assert_int_equal(m.h.info2, AW_INFO2_WRITE);
    aw_buf_free(&b);
}

static void test_policy_bits(void **state) {
    (void)state;
    aw_key key = demo_key();
    aw_buf b;
    aw_buf_init(&b);
    aw_msg_view m;
    aw_bin bin = {"a", aw_value_int(1)};
    aw_req_opts o = aw_req_opts_default();

    o.exists = AW_EXISTS_REPLACE;
    o.gen_policy = AW_GEN_GT;
    o.generation = 7;
    o.durable_delete = true;
    o.commit_level = AW_COMMIT_MASTER;
    o.ttl = AW_TTL_NEVER_EXPIRE;
    o.compress_response = true; /* C7.5 never sets it on a put */
    o.timeout_ms = 250;
    assert_int_equal(aw_req_write(&b, &key, &bin, 1, &o, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info1, 0);
    assert_int_equal(m.h.info2, AW_INFO2_WRITE | AW_INFO2_GENERATION_GT | AW_INFO2_DURABLE_DELETE);
    assert_int_equal(m.h.info3, AW_INFO3_CREATE_OR_REPLACE | AW_INFO3_COMMIT_MASTER);
    assert_int_equal(m.h.generation, 7);
    assert_int_equal(m.h.record_ttl, 0xFFFFFFFFu);
    assert_int_equal(m.h.transaction_ttl, 250);

    aw_buf_reset(&b);
    o = aw_req_opts_default();
    o.exists = AW_EXISTS_REPLACE_ONLY;
    o.generation = 9; /* no gen policy: not sent */
    assert_int_equal(aw_req_write(&b, &key, &bin, 1, &o, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info2, AW_INFO2_WRITE);
    assert_int_equal(m.h.info3, AW_INFO3_REPLACE_ONLY);
    assert_int_equal(m.h.generation, 0);

    /* reads: AP-all, compression, read-touch percent in record_ttl */
    aw_buf_reset(&b);
    o = aw_req_opts_default();
    o.read_mode_ap_all = true;
    o.compress_response = true;
    o.ttl = 80;
    assert_int_equal(aw_req_read(&b, &key, NULL, 0, &o, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info1, 0x03 | 0x40 | 0x80);
    assert_int_equal(m.h.record_ttl, 80);
    aw_buf_reset(&b);
    assert_int_equal(aw_req_read_header(&b, &key, &o, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info1, 0x21 | 0x40); /* no compression for exists */

    /* delete: generation and durability, never an exists bit, TTL 0 */
    aw_buf_reset(&b);
    o = aw_req_opts_default();
    o.exists = AW_EXISTS_CREATE_ONLY;
    o.gen_policy = AW_GEN_EQ;
    o.generation = 3;
    o.durable_delete = true;
    o.ttl = 100;
    assert_int_equal(aw_req_delete(&b, &key, &o, NULL), AW_OK);
    m = parse_frame(&b);
    assert_int_equal(m.h.info2, 0x01 | 0x02 | 0x04 | 0x10);
    assert_int_equal(m.h.info3, 0);
    assert_int_equal(m.h.generation, 3);
    assert_int_equal(m.h.record_ttl, 0);
    assert_int_equal(m.h.n_ops, 0);
    aw_buf_free(&b);
}

/* No set: the set field is still sent, empty (C7.5 does the same). */
static void test_empty_set_field_is_sent(void **state) {
    (void)state;
    aw_key key;
    assert_int_equal(aw_key_init_str(&key, "test", NULL, "k1", NULL), AW_OK);
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_req_read(&b, &key, NULL, 0, NULL, NULL), AW_OK);
    aw_msg_view m = parse_frame(&b);
    assert_int_equal(m.h.n_fields, 3);
    aw_field_view f;
    assert_true(aw_msg_find_field(&m, AW_FIELD_SET, &f));
    assert_int_equal(f.len, 0);
    assert_true(aw_msg_find_field(&m, AW_FIELD_DIGEST, &f));
    static const uint8_t d[] = {0x50, 0x14, 0x99, 0x55, 0x95, 0x9c, 0x2f, 0xef, 0x0a, 0x83,
                                0x61, 0x3a, 0xe8, 0x0c, 0x78, 0xbb, 0x9c, 0x96, 0xb2, 0x69};
    assert_memory_equal(f.data, d, 20);
    /* appending to a non-empty buffer keeps what was there */
    size_t first = b.len;
    assert_int_equal(aw_req_read_header(&b, &key, NULL, NULL), AW_OK);
    assert_int_equal(aw_load_u48be(b.data + first + 2), b.len - first - 8);
    aw_buf_free(&b);
}

/* ---- errors ------------------------------------------------------------ */

#define PREFIX "prefix!"

/* A buffer that already holds bytes, to check that errors leave them alone. */
static void prefilled(aw_buf *b) {
    aw_buf_init(b);
    aw_buf_put(b, PREFIX, strlen(PREFIX));
}
static void assert_untouched(const aw_buf *b) {
    assert_int_equal(b->len, strlen(PREFIX));
    assert_memory_equal(b->data, PREFIX, strlen(PREFIX));
    assert_true(aw_buf_ok(b));
}

static void test_bad_names(void **state) {
    (void)state;
    aw_key key = demo_key();
    aw_buf b;
    prefilled(&b);
    aw_error err;

    /* bin name of 16 bytes, in a put, after a good bin */
    aw_bin bins[2] = {{"ok", aw_value_int(1)}, {"sixteen_bytes_xx", aw_value_int(2)}};
    assert_int_equal(aw_req_write(&b, &key, bins, 2, NULL, &err), AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "sixteen_bytes_xx"));
    assert_untouched(&b);
    /* 15 bytes is fine */
    bins[1].name = "fifteen_bytes_x";
    assert_int_equal(aw_req_write(&b, &key, bins, 2, NULL, &err), AW_OK);
    aw_buf_free(&b);
    prefilled(&b);

    /* ... in a named read and in an operate */
    const char *names[] = {"a", "sixteen_bytes_xx"};
    assert_int_equal(aw_req_read(&b, &key, names, 2, NULL, &err), AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "sixteen_bytes_xx"));
    assert_untouched(&b);
    aw_op op = aw_op_list_size("sixteen_bytes_xx");
    assert_int_equal(aw_req_operate(&b, &key, &op, 1, NULL, &err), AW_ERR_BAD_NAME);
    assert_untouched(&b);

    /* namespace of 32 bytes, set of 64 (only reachable by filling the struct:
     * aw_key_init_* refuses them already) */
    aw_key bad = key;
    memset(bad.ns, 'n', sizeof bad.ns);
    assert_int_equal(aw_req_read(&b, &bad, NULL, 0, NULL, &err), AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "namespace"));
    assert_non_null(strstr(err.message, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"));
    assert_untouched(&b);
    bad = key;
    memset(bad.set, 's', sizeof bad.set);
    assert_int_equal(aw_req_write(&b, &bad, bins, 1, NULL, &err), AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "set"));
    assert_non_null(strstr(err.message, "ssssssssssssssss"));
    assert_untouched(&b);
    bad = key;
    bad.ns[0] = '\0';
    assert_int_equal(aw_req_delete(&b, &bad, NULL, &err), AW_ERR_BAD_NAME);
    assert_untouched(&b);
    aw_buf_free(&b);
}

static void test_bad_values(void **state) {
    (void)state;
    aw_key key = demo_key();
    aw_buf b;
    prefilled(&b);
    aw_error err;

    aw_op ops[2] = {aw_op_read("a"), aw_op_incr("counter", aw_value_str("one"))};
    assert_int_equal(aw_req_operate(&b, &key, ops, 2, NULL, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "INCR"));
    assert_non_null(strstr(err.message, "counter"));
    assert_untouched(&b);

    ops[1] = aw_op_append("text", aw_value_int(5));
    assert_int_equal(aw_req_operate(&b, &key, ops, 2, NULL, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "APPEND"));
    assert_non_null(strstr(err.message, "text"));
    assert_untouched(&b);

    ops[1] = aw_op_prepend("text", aw_value_float(1.0));
    assert_int_equal(aw_req_operate(&b, &key, ops, 2, NULL, &err), AW_ERR_PARAM);
    assert_untouched(&b);

    /* a write value whose storage is missing */
    aw_bin bin = {"v", aw_value_strn(NULL, 3)};
    assert_int_equal(aw_req_write(&b, &key, &bin, 1, NULL, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'v'"));
    assert_untouched(&b);

    /* too many CDT arguments, unknown op type, missing bin */
    aw_value args[5] = {aw_value_int(0), aw_value_int(0), aw_value_int(0), aw_value_int(0),
                        aw_value_int(0)};
    ops[1] = aw_op_cdt(AW_OP_CDT_READ, "l", AW_LIST_GET, args, 5);
    assert_int_equal(aw_req_operate(&b, &key, ops, 2, NULL, &err), AW_ERR_PARAM);
    assert_untouched(&b);
    ops[1] = aw_op_read("a");
    ops[1].type = 6;
    assert_int_equal(aw_req_operate(&b, &key, ops, 2, NULL, &err), AW_ERR_PARAM);
    assert_untouched(&b);
    ops[1] = aw_op_write(NULL, aw_value_int(1));
    assert_int_equal(aw_req_operate(&b, &key, ops, 2, NULL, &err), AW_ERR_PARAM);
    assert_untouched(&b);

    /* nothing to do */
    assert_int_equal(aw_req_operate(&b, &key, ops, 0, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_req_write(&b, &key, &bin, 0, NULL, &err), AW_ERR_PARAM);
    assert_untouched(&b);
    aw_buf_free(&b);
}

static void test_send_key_needs_user_key(void **state) {
    (void)state;
    aw_key key = demo_key();
    aw_key dkey;
    assert_int_equal(aw_key_init_digest(&dkey, "test", "demo", key.digest, NULL), AW_OK);
    aw_req_opts o = aw_req_opts_default();
    o.send_key = true;
    aw_buf b;
    prefilled(&b);
    aw_error err;
    aw_bin bin = {"a", aw_value_int(1)};
    assert_int_equal(aw_req_write(&b, &dkey, &bin, 1, &o, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "send_key"));
    assert_untouched(&b);
    assert_int_equal(aw_req_read(&b, &dkey, NULL, 0, &o, &err), AW_ERR_PARAM);
    assert_untouched(&b);
    /* without send_key the digest-only key encodes like the full key */
    assert_int_equal(aw_req_write(&b, &dkey, &bin, 1, NULL, &err), AW_OK);
    aw_buf full;
    aw_buf_init(&full);
    assert_int_equal(aw_req_write(&full, &key, &bin, 1, NULL, &err), AW_OK);
    assert_int_equal(b.len - strlen(PREFIX), full.len);
    assert_memory_equal(b.data + strlen(PREFIX), full.data, full.len);
    aw_buf_free(&full);
    aw_buf_free(&b);
}

/* Every allocation of a put fails in turn: NOMEM each time, nothing leaks
 * (ASan), and once allocations succeed the bytes are right. */
static void test_put_under_failing_allocator(void **state) {
    (void)state;
    aw_key key = demo_key();
    static uint8_t blob[3000];
    aw_value items[3] = {aw_value_int(1), aw_value_str("two"), aw_value_float(3.0)};
    aw_bin bins[3] = {{"b", aw_value_blob(blob, sizeof blob)},
                      {"l", aw_value_list(items, 3)},
                      {"s", aw_value_str("hello")}};
    aw_buf ref;
    aw_buf_init(&ref);
    assert_int_equal(aw_req_write(&ref, &key, bins, 3, NULL, NULL), AW_OK);

    long n_ok = 0;
    for (long fail_at = 1; fail_at < 100; fail_at++) {
        aw_buf b;
        aw_buf_init(&b);
        aw_error err;
        tu_failalloc_on(fail_at);
        int rc = aw_req_write(&b, &key, bins, 3, NULL, &err);
        long used = tu_failalloc_count();
        tu_failalloc_off();
        if (rc == AW_OK) {
            assert_true(used < fail_at);
            assert_int_equal(b.len, ref.len);
            assert_memory_equal(b.data, ref.data, ref.len);
            aw_buf_free(&b);
            n_ok = fail_at;
            break;
        }
        assert_int_equal(rc, AW_ERR_NOMEM);
        assert_int_equal(b.len, 0);
        aw_buf_free(&b);
    }
    assert_true(n_ok > 2); /* several allocations were exercised */
    aw_buf_free(&ref);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captured_single_record_requests),
        cmocka_unit_test(test_captured_sensor_rows),
        cmocka_unit_test(test_every_capture_is_covered),
        cmocka_unit_test(test_op_encodings),
        cmocka_unit_test(test_operate_info_bits),
        cmocka_unit_test(test_policy_bits),
        cmocka_unit_test(test_empty_set_field_is_sent),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_send_key_needs_user_key),
        cmocka_unit_test(test_put_under_failing_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
