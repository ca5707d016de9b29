/*
 * Bit and HLL op builders (src/proto/ops_bit.c, ops_hll.c, op_spec.c)
 * against official-c-client-cdt.json: every captured command with a bit or
 * HLL op is rebuilt from its `inputs` and compared byte for byte (the
 * timeout is the captures' 1000 ms), or, where the official client sent
 * something the server refused as ill-formed (4), our encoder must refuse it
 * first. The captured replies are decoded and checked against the values the
 * server's semantics give (docs/cdt-bit-hll.md §10-11 of the shared docs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/aerowire.h"
#include "proto/buf.h"
#include "proto/reply.h"
#include "proto/request.h"
#include "support/capture_bit_hll.h"
#include "support/capture_inputs.h"
#include "support/testutil.h"

#define CDT_CAPTURE "official-c-client-cdt.json"
#define MAX_OPS 16

static json_t *cdt_command(const char *label) { return tu_capture_command(CDT_CAPTURE, label); }

static bool is(const char *what, const char *name) { return strcmp(what, name) == 0; }

static int64_t num(json_t *o, const char *field) {
    json_t *j = json_object_get(o, field);
    if (!json_is_integer(j))
        fail_msg("op field %s is not an integer", field);
    return json_integer_value(j);
}

/* The other ops of the mixed commands (combo_*), with the builders ops.h has. */
static bool other_op_from(json_t *o, const char *what, const char *bin, tu_op_storage *st, aw_op *op) {
    json_t *v = json_object_get(o, "value");
    if (is(what, "list_append")) {
        *op = aw_op_list_append(bin, aw_value_int(json_integer_value(v)));
    } else if (is(what, "map_put")) {
        *op = aw_op_map_put(bin, aw_value_str(json_string_value(json_object_get(o, "key"))),
                            aw_value_int(json_integer_value(v)));
    } else if (is(what, "map_get_by_key")) {
        *op = aw_op_map_get_by_key(bin, aw_value_str(json_string_value(json_object_get(o, "key"))),
                                   (aw_cdt_return)num(o, "return_type_value"));
    } else if (is(what, "list_get_by_rank")) {
        aw_value args[2] = {aw_value_int(num(o, "return_type_value")),
                            aw_value_int(num(o, "rank"))};
        *op = aw_op_cdt(AW_OP_CDT_READ, bin, AW_LIST_GET_BY_RANK, args, 2);
    } else if (is(what, "add_write")) {
        *op = aw_op_write(bin, aw_value_str(json_string_value(v)));
    } else if (is(what, "add_read")) {
        *op = aw_op_read(bin);
    } else if (is(what, "add_read_all")) {
        *op = aw_op_read(NULL);
    } else {
        return false;
    }
    (void)st;
    return true;
}

static bool is_bit_or_hll(const char *what) {
    return strncmp(what, "bit_", 4) == 0 || strncmp(what, "hll_", 4) == 0;
}

/* Does the captured command use a bit or HLL op? */
static bool has_bit_hll_op(json_t *cmd) {
    json_t *ops = json_object_get(json_object_get(cmd, "inputs"), "ops");
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o) {
        if (is_bit_or_hll(json_string_value(json_object_get(o, "op"))))
            return true;
    }
    return false;
}

/* Builds the ops of a command; returns how many. */
static size_t ops_from(json_t *cmd, tu_op_storage *st, aw_op *ops) {
    json_t *jops = json_object_get(json_object_get(cmd, "inputs"), "ops");
    size_t n = 0, i;
    json_t *o;
    json_array_foreach(jops, i, o) {
        const char *what = json_string_value(json_object_get(o, "op"));
        const char *bin = json_string_value(json_object_get(o, "bin"));
        assert_true(n < MAX_OPS);
        if (!tu_bit_op_from(o, what, bin, st, &ops[n]) && !tu_hll_op_from(o, what, bin, st, &ops[n]) &&
            !other_op_from(o, what, bin, st, &ops[n]))
            fail_msg("%s: unknown op %s", json_string_value(json_object_get(cmd, "label")), what);
        n++;
    }
    return n;
}

/* Encodes a captured operate; returns the encoder's code (err filled). */
static int encode_cmd(json_t *cmd, aw_buf *out, aw_error *err) {
    json_t *in = json_object_get(cmd, "inputs");
    aw_key key;
    assert_int_equal(aw_key_init_str(&key, json_string_value(json_object_get(in, "ns")),
                                     json_string_value(json_object_get(in, "set")),
                                     json_string_value(json_object_get(in, "key")), NULL),
                     AW_OK);
    aw_req_opts o = aw_req_opts_default();
    o.timeout_ms = CAPTURE_TIMEOUT_MS;
    o.respond_all_ops =
        json_is_true(json_object_get(json_object_get(in, "policy"), "respond_all_ops"));
    tu_op_storage st = {0};
    aw_op ops[MAX_OPS];
    size_t n = ops_from(cmd, &st, ops);
    int rc = aw_req_operate(out, &key, ops, n, &o, err);
    tu_op_storage_free(&st);
    return rc;
}

/* Captured requests the server refused as ill-formed (4) and our encoder
 * refuses before sending, with the words its message must contain. */
static const struct {
    const char *label;
    const char *message;
} REFUSED[] = {
    {"bit_add_size_65", "bit_size 65 is out of range 1..64"},
    {"bit_get_int_size_65", "bit_size 65 is out of range 1..64"},
    {"bit_set_value_too_short", "has 1 bytes, fewer than bit_size 16 needs"},
    {"hll_init_index_bits_too_small", "index_bits 3 is out of range 4..16"},
    {"hll_init_index_bits_too_big", "index_bits 17 is out of range 4..16"},
    {"hll_init_bits_sum_too_big", "minhash_bits 49 with index bits 16 is more than 64"},
};

static const char *refusal_of(const char *label) {
    for (size_t i = 0; i < sizeof REFUSED / sizeof REFUSED[0]; i++)
        if (strcmp(REFUSED[i].label, label) == 0)
            return REFUSED[i].message;
    return NULL;
}

/* Bit/HLL ops with a context: the server refuses those (4, the bit parser
 * reads the context marker as an op code) and the builders take none. */
static bool has_ctx(json_t *cmd) {
    json_t *ops = json_object_get(json_object_get(cmd, "inputs"), "ops");
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o) {
        if (json_object_get(o, "ctx"))
            return true;
    }
    return false;
}

static void test_every_captured_bit_hll_request(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture(CDT_CAPTURE), "commands");
    size_t i, matched = 0, refused = 0, with_ctx = 0, total = 0;
    json_t *cmd;
    aw_buf out;
    aw_buf_init(&out);
    json_array_foreach(cmds, i, cmd) {
        if (!has_bit_hll_op(cmd))
            continue;
        total++;
        const char *label = json_string_value(json_object_get(cmd, "label"));
        if (has_ctx(cmd)) {
            assert_int_equal(json_integer_value(json_object_get(cmd, "client_status")), 4);
            with_ctx++;
            continue;
        }
        aw_buf_reset(&out);
        aw_error err;
        int rc = encode_cmd(cmd, &out, &err);
        const char *refusal = refusal_of(label);
        if (refusal) {
            if (rc != AW_ERR_PARAM || !strstr(err.message, refusal))
                fail_msg("%s: want a refusal with \"%s\", got %d %s", label, refusal, rc,
                         rc ? err.message : "");
            assert_int_equal(out.len, 0);
            assert_int_equal(json_integer_value(json_object_get(cmd, "client_status")), 4);
            refused++;
            continue;
        }
        if (rc != AW_OK)
            fail_msg("%s: encoder failed: %d %s", label, rc, err.message);
        assert_hex_equal(label, out.data, out.len,
                         json_string_value(json_object_get(cmd, "request_hex")));
        matched++;
    }
    aw_buf_free(&out);
    printf("bit/HLL captures: %zu commands, %zu byte for byte, %zu refused before sending, "
           "%zu with a context (not built)\n",
           total, matched, refused, with_ctx);
    assert_int_equal(total, 82);
    assert_int_equal(matched + refused + with_ctx, total);
    assert_int_equal(refused, sizeof REFUSED / sizeof REFUSED[0]);
}

/* ---- the captured replies ------------------------------------------------ */

/* Decodes the captured reply of `label` into rec; returns the server's code. */
static int reply_of(const char *label, aw_record *rec) {
    json_t *frames = json_object_get(cdt_command(label), "reply_hex");
    assert_int_equal(json_array_size(frames), 1);
    size_t n;
    uint8_t *frame = tu_hex_decode(json_string_value(json_array_get(frames, 0)), &n);
    assert_true(n >= 8);
    uint8_t *body = malloc(n - 8); /* exactly the body, so ASan sees overreads */
    memcpy(body, frame + 8, n - 8);
    free(frame);
    int result = -1;
    aw_error err;
    memset(rec, 0, sizeof *rec);
    if (aw_reply_parse_record(body, n - 8, NULL, &result, rec, &err) != AW_OK)
        fail_msg("%s: reply does not decode: %s", label, err.message);
    free(body);
    return result;
}

/* Result i of the reply (one per op: the C client forces respond-all ops). */
static const aw_value *result_at(const aw_record *rec, uint32_t i, const char *bin) {
    assert_true(i < rec->n_bins);
    assert_string_equal(rec->bins[i].name, bin);
    return &rec->bins[i].value;
}

static void assert_int_result(const char *label, uint32_t i, const char *bin, int64_t want) {
    aw_record rec;
    assert_int_equal(reply_of(label, &rec), 0);
    const aw_value *v = result_at(&rec, i, bin);
    if (v->type != AW_INT || v->u.i != want)
        fail_msg("%s result %u: want %lld, got type %u value %lld", label, i, (long long)want,
                 v->type, (long long)v->u.i);
    aw_record_free(&rec);
}

static void assert_blob_result(const char *label, uint32_t i, const char *bin, uint8_t subtype,
                               const char *want_hex) {
    aw_record rec;
    assert_int_equal(reply_of(label, &rec), 0);
    const aw_value *v = result_at(&rec, i, bin);
    assert_int_equal(v->type, AW_BLOB);
    assert_int_equal(v->subtype, subtype);
    assert_hex_equal(label, v->u.bytes, v->len, want_hex);
    aw_record_free(&rec);
}

static void assert_nil_result(const char *label, uint32_t i, const char *bin) {
    aw_record rec;
    assert_int_equal(reply_of(label, &rec), 0);
    assert_int_equal(result_at(&rec, i, bin)->type, AW_NIL);
    aw_record_free(&rec);
}

/* Values from the server's semantics (shared docs cdt-bit-hll.md §10.2). */
static void test_bit_replies(void **state) {
    (void)state;
    /* modify ops answer nil; GET the bits, left-aligned */
    assert_nil_result("bit_set_byte_get", 0, "b");
    assert_blob_result("bit_set_byte_get", 1, "b", AW_PARTICLE_BLOB, "ff000000");
    /* SET(12, 8, x'0ff0') writes 0x0f into bits 12..19 of ff 00 00 00 */
    assert_blob_result("bit_set_unaligned", 1, "b", AW_PARTICLE_BLOB, "ff00f000");
    /* 0xc8 as unsigned and as two's complement */
    assert_int_result("bit_set_int_get_int_signed", 1, "b", 200);
    assert_int_result("bit_set_int_get_int_signed", 2, "b", -56);
    assert_int_result("bit_set_int_unaligned_negative", 1, "b", -2);
    assert_int_result("bit_set_int_unaligned_negative", 2, "b", 65534);
    /* ADD/SUBTRACT with each overflow action */
    assert_int_result("bit_add", 2, "b", 260);
    assert_int_result("bit_add_overflow_saturate", 2, "b", 255);
    assert_int_result("bit_add_overflow_wrap", 2, "b", 4);
    assert_int_result("bit_add_signed_saturate", 2, "b", 127);
    assert_int_result("bit_subtract_saturate_wrap", 2, "b", 0);
    assert_int_result("bit_subtract_saturate_wrap", 5, "b", 251);
    assert_int_result("bit_subtract_signed_saturate", 2, "b", -128);
    /* scans of a zero byte find no 1 bit */
    assert_int_result("bit_scan_not_found", 2, "b", -1);
    assert_int_result("bit_scan_not_found", 3, "b", -1);
    /* GET(3, 9) of fb 01 ... */
    assert_blob_result("bit_get_negative_and_unaligned", 2, "b", AW_PARTICLE_BLOB, "d800");
    assert_nil_result("bit_get_missing_bin", 0, "nobin");
    /* failures are the reply's code, with no ops */
    aw_record rec;
    assert_int_equal(reply_of("bit_add_overflow_fail", &rec), 26);
    assert_int_equal(rec.n_bins, 0);
    assert_int_equal(reply_of("bit_set_missing_bin", &rec), 17);
    assert_int_equal(reply_of("bit_resize_create_only_exists", &rec), 6);
    assert_int_equal(reply_of("bit_set_on_string_bin", &rec), 12);
}

static void assert_describe(const char *label, uint32_t i, const char *bin, int64_t ib,
                            int64_t mb) {
    aw_record rec;
    assert_int_equal(reply_of(label, &rec), 0);
    const aw_value *v = result_at(&rec, i, bin);
    assert_int_equal(v->type, AW_LIST);
    assert_int_equal(v->len, 2);
    assert_int_equal(v->u.items[0].type, AW_INT);
    assert_int_equal(v->u.items[0].u.i, ib);
    assert_int_equal(v->u.items[1].u.i, mb);
    aw_record_free(&rec);
}

/* Values from the server's semantics (shared docs cdt-bit-hll.md §11). */
static void test_hll_replies(void **state) {
    (void)state;
    /* ADD answers how many elements changed a register */
    assert_int_result("hll_add_existing", 0, "h", 5);
    assert_int_result("hll_add_some_known", 0, "h", 1);
    assert_nil_result("hll_init_index_8", 0, "h");
    /* DESCRIBE: [index_bits, minhash_bits] */
    assert_describe("hll_set_union_allow_fold", 1, "h", 8, 0);
    assert_describe("hll_set_union_allow_fold_to_smaller", 1, "m", 8, 0);
    assert_describe("hll_fold", 1, "g", 6, 0);
    /* GET_UNION: an HLL value (particle 18) of ib 8, mb 0: 11 + 2^8 * 6 / 8 bytes */
    aw_record rec;
    assert_int_equal(reply_of("hll_union_intersect_similarity", &rec), 0);
    const aw_value *u = result_at(&rec, 0, "h");
    assert_int_equal(u->type, AW_BLOB);
    assert_int_equal(u->subtype, AW_PARTICLE_HLL);
    assert_int_equal(u->len, 203);
    assert_int_equal(u->u.bytes[1], 8);
    /* GET_SIMILARITY: a double, 0.2222... (2/9) */
    const aw_value *sim = result_at(&rec, 3, "h");
    assert_int_equal(sim->type, AW_FLOAT);
    assert_true(fabs(sim->u.f - 2.0 / 9.0) < 1e-9);
    aw_record_free(&rec);
    /* small minhash sketches: similarity NaN */
    assert_int_equal(reply_of("hll_minhash_intersect_similarity", &rec), 0);
    assert_int_equal(result_at(&rec, 1, "m")->type, AW_FLOAT);
    assert_true(isnan(result_at(&rec, 1, "m")->u.f));
    aw_record_free(&rec);
    assert_nil_result("hll_get_count_missing_bin", 0, "nobin");
    assert_int_equal(reply_of("hll_fold_to_larger", &rec), 26);
    assert_int_equal(reply_of("hll_add_on_blob_bin", &rec), 12);
}

/* ---- refusals ------------------------------------------------------------ */

/* Encodes one op; expects AW_ERR_PARAM with `words` in the message and the
 * buffer left as it was. */
static void expect_refused(aw_op op, const char *words) {
    aw_key key;
    assert_int_equal(aw_key_init_str(&key, "test", "cdt", "k", NULL), AW_OK);
    aw_buf out;
    aw_buf_init(&out);
    aw_error err;
    memset(&err, 0, sizeof err);
    int rc = aw_req_operate(&out, &key, &op, 1, NULL, &err);
    if (rc != AW_ERR_PARAM || !strstr(err.message, words))
        fail_msg("want AW_ERR_PARAM with \"%s\", got %d \"%s\"", words, rc, err.message);
    assert_int_equal(out.len, 0);
    aw_buf_free(&out);
}

static void test_bit_refusals(void **state) {
    (void)state;
    uint8_t ff = 0xff;
    expect_refused(aw_op_bit_set("b", 0, 0, 8, NULL, 1), "BIT SET bin 'b': value is empty, NULL");
    expect_refused(aw_op_bit_or("b", 0, 0, 8, &ff, 0), "BIT OR bin 'b': value is empty");
    expect_refused(aw_op_bit_xor("b", 0, 0, 9, &ff, 1), "value has 1 bytes, fewer than bit_size 9");
    expect_refused(aw_op_bit_insert("b", 0, 0, NULL, 3),
                   "BIT INSERT bin 'b': value is empty, NULL");
    /* flags outside the op's set, and contradictory ones */
    expect_refused(aw_op_bit_resize("b", AW_BIT_WRITE_PARTIAL, 4, 0),
                   "RESIZE bin 'b': flags 0x8 has flags this op does not take");
    expect_refused(aw_op_bit_set("b", AW_BIT_WRITE_CREATE_ONLY, 0, 8, &ff, 1),
                   "SET bin 'b': flags 0x1 has flags this op does not take");
    expect_refused(aw_op_bit_add("b", AW_BIT_WRITE_PARTIAL, 0, 8, 1, false, AW_BIT_OVERFLOW_FAIL),
                   "ADD bin 'b': flags 0x8 has flags");
    expect_refused(aw_op_bit_resize("b", AW_BIT_WRITE_CREATE_ONLY | AW_BIT_WRITE_UPDATE_ONLY, 4, 0),
                   "both CREATE_ONLY and UPDATE_ONLY");
    expect_refused(aw_op_bit_resize("b", 0, 4, AW_BIT_RESIZE_GROW_ONLY | AW_BIT_RESIZE_SHRINK_ONLY),
                   "resize flags 0x6 asks for both GROW_ONLY and SHRINK_ONLY");
    expect_refused(aw_op_bit_resize("b", 0, 4, 8), "resize flags 8 is out of range 0..7");
    expect_refused(aw_op_bit_subtract("b", 0, 0, 8, 1, false, (aw_bit_overflow)6),
                   "SUBTRACT bin 'b': overflow action -1 is out of range");
    /* integer fields are 1..64 bits */
    expect_refused(aw_op_bit_set_int("b", 0, 0, 0, 1),
                   "SET_INT bin 'b': bit_size 0 is out of range 1..64");
    expect_refused(aw_op_bit_get_int("b", 0, 65, true),
                   "GET_INT bin 'b': bit_size 65 is out of range");
    /* ops built by hand: wrong op type, unknown code, argument count and kinds */
    aw_value args[5] = {aw_value_int(0), aw_value_int(8), aw_value_int(1), aw_value_int(0),
                        aw_value_int(0)};
    expect_refused(aw_op_cdt(AW_OP_BIT_READ, "b", AW_BIT_OP_SET_INT, args, 4),
                   "BIT SET_INT bin 'b': is a modify op, sent as op type 12");
    expect_refused(aw_op_cdt(AW_OP_BIT_READ, "b", 49, args, 2), "unknown BIT op code 49");
    expect_refused(aw_op_cdt(AW_OP_BIT_READ, "b", AW_BIT_OP_GET, args, 3),
                   "BIT GET bin 'b': 3 arguments (takes 2..2)");
    args[0] = aw_value_int((int64_t)INT32_MAX + 1);
    expect_refused(aw_op_cdt(AW_OP_BIT_READ, "b", AW_BIT_OP_GET, args, 2),
                   "bit_offset 2147483648 is out of range");
    args[0] = aw_value_str("x");
    expect_refused(aw_op_cdt(AW_OP_BIT_READ, "b", AW_BIT_OP_COUNT, args, 2),
                   "BIT COUNT bin 'b': bit_offset must be an integer");
    expect_refused(aw_op_bit_get(NULL, 0, 8), "BIT_READ needs a bin name");
}

static void test_hll_refusals(void **state) {
    (void)state;
    expect_refused(aw_op_hll_init("h", 0, 3, -1),
                   "HLL INIT bin 'h': index_bits 3 is out of range 4..16");
    expect_refused(aw_op_hll_init("h", 0, 8, 3), "minhash_bits 3 is out of range 4..51");
    expect_refused(aw_op_hll_init("h", 0, 8, 52), "minhash_bits 52 is out of range 4..51");
    expect_refused(aw_op_hll_init("h", 0, 14, 51),
                   "minhash_bits 51 with index bits 14 is more than 64");
    expect_refused(aw_op_hll_init("h", AW_HLL_WRITE_ALLOW_FOLD, 8, 0),
                   "INIT bin 'h': flags 0x8 has flags");
    expect_refused(aw_op_hll_fold("h", -1),
                   "HLL FOLD bin 'h': index_bits -1 is out of range 4..16");
    aw_value elems[2] = {aw_value_str("a"), aw_value_list(NULL, 0)};
    expect_refused(aw_op_hll_add("h", 0, aw_value_list(elems, 2), 8, -1),
                   "HLL ADD bin 'h': list item 1 is a list; HLL elements are scalars");
    expect_refused(aw_op_hll_add("h", AW_HLL_WRITE_UPDATE_ONLY, aw_value_list(elems, 1), 8, -1),
                   "ADD bin 'h': flags 0x2 has flags this op does not take");
    expect_refused(aw_op_hll_add("h", 0, aw_value_int(1), 8, -1), "list must be a list");
    /* HLL lists: non-empty, HLL values only */
    expect_refused(aw_op_hll_get_union("h", aw_value_list(NULL, 0)),
                   "GET_UNION bin 'h': hlls is empty");
    uint8_t raw[203] = {0, 8, 0};
    aw_value hlls[2] = {aw_value_hll(raw, sizeof raw), aw_value_blob(raw, sizeof raw)};
    expect_refused(aw_op_hll_get_similarity("h", aw_value_list(hlls, 2)),
                   "hlls item 1 is not an HLL value");
    hlls[1] = aw_value_hll(raw, 5);
    expect_refused(aw_op_hll_set_union("h", 0, aw_value_list(hlls, 2)),
                   "item 1 has 5 bytes, shorter than an HLL header");
    expect_refused(aw_op_hll_set_union("h", 0x10, aw_value_list(hlls, 1)), "flags 0x10 has flags");
}

/* An HLL read of one value is [code, [hll]]: the list's item carries type 18
 * whatever the caller's blob came from. */
static void test_hll_list_encoding(void **state) {
    (void)state;
    uint8_t raw[11] = {0, 4, 0};
    aw_value one = aw_value_hll(raw, sizeof raw);
    aw_op op = aw_op_hll_get_union_count("h", aw_value_list(&one, 1));
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_buf_op(&b, &op, NULL), AW_OK);
    /* op header: size, type 15, particle 4 (blob), name length 1, "h" */
    assert_hex_equal("get_union_count", b.data, b.len,
                     "000000150f040001689234"
                     "91ac120004000000000000000000");
    aw_buf_free(&b);
}

/* A raw msgpack blob (no op code: the pre-builder way) is still sent as is. */
static void test_raw_bit_blob_still_sent(void **state) {
    (void)state;
    static const uint8_t get[] = {0x93, 0x32, 0x00, 0x08};
    aw_op op = aw_op_cdt(AW_OP_BIT_READ, "b", 0, NULL, 0);
    op.cdt_code = 0xffff;
    op.value = aw_value_blob(get, sizeof get);
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_buf_op(&b, &op, NULL), AW_OK);
    assert_hex_equal("raw", b.data, b.len, "000000090c0400016293320008");
    aw_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_captured_bit_hll_request),
        cmocka_unit_test(test_bit_replies),
        cmocka_unit_test(test_hll_replies),
        cmocka_unit_test(test_bit_refusals),
        cmocka_unit_test(test_hll_refusals),
        cmocka_unit_test(test_hll_list_encoding),
        cmocka_unit_test(test_raw_bit_blob_still_sent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
