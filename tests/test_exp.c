/*
 * The expression builder (aerowire/exp.h) and filters on single-record
 * commands, against official-c-client-scan-query.json (C client 7.5 <-> a
 * real CE 8.1.2.0): every expression the capture's requests carry (filter
 * field 43, index expression field 24, the expression inside EXP_READ and
 * EXP_MODIFY ops) is rebuilt with the builder and compared byte for byte,
 * and the filtered get/exists/put/delete frames and the operates made of
 * expression ops (through aw_op_exp_read/write) are rebuilt whole (the
 * capture's 1000 ms timeout is the only header value set to match); their
 * replies decode to the values the server meant.
 * Then: the base64 form, ill-typed trees refused with the node named, the
 * server's FILTERED_OUT reply surfaced as code 27, and a client against
 * aw-testd, which refuses field 43 with 16 (it does not evaluate filters).
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
#include "aerowire/batch.h"
#include "aerowire/exp.h"
#include "client/client_impl.h"
#include "proto/batch.h"
#include "proto/buf.h"
#include "proto/reply.h"
#include "proto/request.h"
#include "support/capture_inputs.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

#define CAPTURE "official-c-client-scan-query.json"

/* ---- the capture ---------------------------------------------------------- */

static json_t *sq_entry(const char *section, const char *label) {
    json_t *list = json_object_get(tu_capture(CAPTURE), section);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "label")), label) == 0)
            return e;
    }
    fail_msg("no %s entry '%s' in %s", section, label, CAPTURE);
    return NULL;
}

static const char *request_hex(const char *label) {
    return json_string_value(json_object_get(sq_entry("commands", label), "request_hex"));
}

/* A request frame split into its fields and ops (read by hand here, not by
 * the codec, so the test does not trust what it checks). */
typedef struct frame_view {
    uint8_t *bytes;
    size_t len;
    size_t ops_at;
    unsigned n_fields, n_ops;
} frame_view;

static frame_view frame_of(const char *label) {
    frame_view f = {0};
    f.bytes = tu_hex_decode(request_hex(label), &f.len);
    assert_non_null(f.bytes);
    assert_true(f.len >= 30);
    f.n_fields = (unsigned)(f.bytes[26] << 8 | f.bytes[27]);
    f.n_ops = (unsigned)(f.bytes[28] << 8 | f.bytes[29]);
    size_t at = 30;
    for (unsigned i = 0; i < f.n_fields; i++) {
        assert_true(at + 4 <= f.len);
        at += 4 + aw_load_u32be(f.bytes + at);
    }
    f.ops_at = at;
    return f;
}

/* Field `type` of the frame as hex (fails when absent). */
static char *field_hex(const char *label, uint8_t type) {
    frame_view f = frame_of(label);
    size_t at = 30;
    for (unsigned i = 0; i < f.n_fields; i++) {
        uint32_t sz = aw_load_u32be(f.bytes + at);
        if (f.bytes[at + 4] == type) {
            char *hex = tu_hex_encode(f.bytes + at + 5, sz - 1);
            free(f.bytes);
            return hex;
        }
        at += 4 + sz;
    }
    free(f.bytes);
    fail_msg("%s: no field %u", label, type);
    return NULL;
}

/* ---- building ------------------------------------------------------------- */

static aw_exp *compile_ok(aw_exp_builder *b, aw_exp_node *root, const char *what) {
    aw_exp *e = NULL;
    aw_error err;
    int rc = aw_exp_compile(b, root, &e, &err);
    if (rc != AW_OK)
        fail_msg("%s: compile failed: %d %s", what, rc, err.message);
    return e;
}

static void assert_exp_hex(const char *what, const aw_exp *e, const char *want_hex) {
    size_t len;
    const uint8_t *p = aw_exp_bytes(e, &len);
    assert_hex_equal(what, p, len, want_hex);
}

#define B aw_exp_builder *b

static aw_exp_node *i_eq(B, int64_t v) { return aw_exp_eq(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, v)); }
static aw_exp_node *i_eq_5(B) { return i_eq(b, 5); }
static aw_exp_node *i_eq_6(B) { return i_eq(b, 6); }
static aw_exp_node *i_eq_7(B) { return i_eq(b, 7); }

static aw_exp_node *and_or_not_key(B) {
    return aw_exp_and(b, aw_exp_ge(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 1)),
                      aw_exp_or(b, aw_exp_eq(b, aw_exp_bin_str(b, "s"), aw_exp_str(b, "s009")),
                                aw_exp_lt(b, aw_exp_bin_float(b, "f"), aw_exp_float(b, 0.0))),
                      aw_exp_not(b, aw_exp_eq(b, aw_exp_key(b, AW_EXP_INT), aw_exp_int(b, 8))));
}

static aw_exp_node *regex_setname_keyexist_bintype(B) {
    return aw_exp_and(
        b, aw_exp_regex(b, AW_EXP_REGEX_ICASE, "^S00[0-9]$", aw_exp_bin_str(b, "s")),
        aw_exp_eq(b, aw_exp_set_name(b), aw_exp_str(b, "sq")), aw_exp_key_exists(b),
        aw_exp_eq(b, aw_exp_bin_type(b, "l"), aw_exp_int(b, AW_LIST)), aw_exp_bin_exists(b, "m"),
        aw_exp_ge(b, aw_exp_digest_modulo(b, 3), aw_exp_int(b, 0)));
}

static aw_exp_node *in_list_789(B) {
    aw_value items[3] = {aw_value_int(7), aw_value_int(8), aw_value_int(9)};
    aw_value list = aw_value_list(items, 3);
    return aw_exp_in_list(b, aw_exp_bin_int(b, "i"), aw_exp_value(b, &list));
}

static aw_exp_node *bin_int_i(B) { return aw_exp_bin_int(b, "i"); }

static aw_exp_node *wrong_bin_type(B) {
    return aw_exp_eq(b, aw_exp_bin_str(b, "i"), aw_exp_str(b, "x"));
}

static aw_exp_node *geo_within_circle(B) {
    return aw_exp_geo_compare(
        b, aw_exp_bin_geo(b, "g"),
        aw_exp_geo(b, "{\"type\":\"AeroCircle\",\"coordinates\":[[-122.0,37.0],3000.0]}"));
}

static aw_exp_node *i_gt_150(B) { return aw_exp_gt(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 150)); }
static aw_exp_node *f_gt_50(B) {
    return aw_exp_gt(b, aw_exp_bin_float(b, "f"), aw_exp_float(b, 50.0));
}
static aw_exp_node *i_lt_3(B) { return aw_exp_lt(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 3)); }
static aw_exp_node *i_lt_100(B) { return aw_exp_lt(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 100)); }
static aw_exp_node *i_even(B) {
    return aw_exp_eq(b, aw_exp_mod(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 2)), aw_exp_int(b, 0));
}
static aw_exp_node *u1_v2(B) {
    return aw_exp_and(b, aw_exp_eq(b, aw_exp_bin_int(b, "u"), aw_exp_int(b, 1)),
                      aw_exp_eq(b, aw_exp_bin_int(b, "v"), aw_exp_int(b, 2)));
}
static aw_exp_node *i_times_2(B) { return aw_exp_mul(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 2)); }

typedef aw_exp_node *(*build_fn)(aw_exp_builder *);

/* Every request of the capture that carries a filter (field 43) or an
 * index expression (field 24). */
static const struct {
    const char *label;
    uint8_t field;
    build_fn build;
} FIELD_CASES[] = {
    {"get_filter_true", 43, i_eq_5},
    {"get_filter_false", 43, i_eq_6},
    {"exists_filter_false", 43, i_eq_6},
    {"get_filter_and_or_not_key", 43, and_or_not_key},
    {"get_filter_regex_setname_keyexist_bintype", 43, regex_setname_keyexist_bintype},
    {"get_filter_in_list", 43, in_list_789},
    {"get_filter_not_boolean", 43, bin_int_i},
    {"get_filter_wrong_bin_type", 43, wrong_bin_type},
    {"put_filter_true", 43, i_eq_6},
    {"put_filter_false", 43, i_eq_7},
    {"delete_filter_false", 43, i_eq_7},
    {"get_filter_geo_within_circle", 43, geo_within_circle},
    {"batch_read_filter_i_even", 43, i_even},
    {"scan_filter_exp_i_gt_150", 43, i_gt_150},
    {"query_i_range_90_110_filter_f_gt_50", 43, f_gt_50},
    {"query_noindex_read_ops_filter_i_lt_3", 43, i_lt_3},
    {"scan_check_u1_v2", 43, u1_v2},
    {"query_background_ops_i_lt_100", 43, i_lt_100},
    {"query_exp_i_x2_range_10_14", 24, i_times_2},
};
#define N_FIELD_CASES (sizeof FIELD_CASES / sizeof FIELD_CASES[0])

static void test_captured_filter_fields(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIELD_CASES; i++) {
        aw_exp_builder *b = aw_exp_builder_new();
        aw_exp *e = compile_ok(b, FIELD_CASES[i].build(b), FIELD_CASES[i].label);
        char *want = field_hex(FIELD_CASES[i].label, FIELD_CASES[i].field);
        assert_exp_hex(FIELD_CASES[i].label, e, want);
        free(want);
        aw_exp_free(e);
        aw_exp_builder_free(b);
    }
}

/* No captured request with a filter or index expression is left out. */
static void test_every_captured_filter_is_rebuilt(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture(CAPTURE), "commands");
    size_t i;
    json_t *c;
    json_array_foreach(cmds, i, c) {
        const char *label = json_string_value(json_object_get(c, "label"));
        char base[96];
        snprintf(base, sizeof base, "%s", label);
        char *hash = strchr(base, '#'); /* retries of one call carry the same filter */
        if (hash)
            *hash = '\0';
        frame_view f = frame_of(label);
        size_t at = 30;
        for (unsigned k = 0; k < f.n_fields; k++) {
            uint8_t type = f.bytes[at + 4];
            if (type == 43 || type == 24) {
                bool found = false;
                for (size_t j = 0; j < N_FIELD_CASES; j++)
                    found |= strcmp(FIELD_CASES[j].label, base) == 0;
                if (!found)
                    fail_msg("%s carries field %u but no case rebuilds it", label, type);
            }
            at += 4 + aw_load_u32be(f.bytes + at);
        }
        free(f.bytes);
    }
}

/* ---- whole filtered single-record frames ---------------------------------- */

static void encode_filtered(const char *label, aw_buf *out) {
    json_t *in = json_object_get(sq_entry("commands", label), "inputs");
    aw_key key;
    assert_int_equal(aw_key_init_int(&key, "test", "sq",
                                     json_integer_value(json_object_get(in, "key")), NULL),
                     AW_OK);
    aw_exp_builder *b = aw_exp_builder_new();
    build_fn fn = NULL;
    for (size_t i = 0; i < N_FIELD_CASES; i++)
        if (strcmp(FIELD_CASES[i].label, label) == 0)
            fn = FIELD_CASES[i].build;
    assert_non_null(fn);
    aw_exp *e = compile_ok(b, fn(b), label);
    aw_req_opts o = aw_req_opts_default();
    o.timeout_ms = CAPTURE_TIMEOUT_MS;
    o.filter = e;
    aw_error err;
    int rc;
    if (strncmp(label, "get_", 4) == 0) {
        rc = aw_req_read(out, &key, NULL, 0, &o, &err);
    } else if (strncmp(label, "exists_", 7) == 0) {
        rc = aw_req_read_header(out, &key, &o, &err);
    } else if (strncmp(label, "put_", 4) == 0) {
        aw_bin bin = {"p", aw_value_int(1)}; /* inputs: {"p": 1} */
        rc = aw_req_write(out, &key, &bin, 1, &o, &err);
    } else {
        rc = aw_req_delete(out, &key, &o, &err);
    }
    if (rc != AW_OK)
        fail_msg("%s: encoder failed: %d %s", label, rc, err.message);
    aw_exp_free(e);
    aw_exp_builder_free(b);
}

static void test_captured_filtered_frames(void **state) {
    (void)state;
    static const char *const LABELS[] = {
        "get_filter_true",           "get_filter_false",
        "exists_filter_false",       "get_filter_and_or_not_key",
        "get_filter_regex_setname_keyexist_bintype", "get_filter_in_list",
        "get_filter_wrong_bin_type", "put_filter_true",
        "put_filter_false",          "delete_filter_false",
        "get_filter_geo_within_circle",
    };
    aw_buf out;
    aw_buf_init(&out);
    for (size_t i = 0; i < sizeof LABELS / sizeof LABELS[0]; i++) {
        aw_buf_reset(&out);
        encode_filtered(LABELS[i], &out);
        assert_hex_equal(LABELS[i], out.data, out.len, request_hex(LABELS[i]));
    }
    aw_buf_free(&out);
}

/* The server answered get_filter_not_boolean with 4; the client refuses it
 * before sending. */
static void test_non_bool_filter_refused(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = compile_ok(b, bin_int_i(b), "bin_int");
    assert_int_equal(aw_exp_result_type(e), AW_EXP_INT);
    aw_key key;
    aw_key_init_int(&key, "test", "sq", 9, NULL);
    aw_req_opts o = aw_req_opts_default();
    o.filter = e;
    aw_buf out;
    aw_buf_init(&out);
    aw_error err;
    assert_int_equal(aw_req_read(&out, &key, NULL, 0, &o, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "filter expression is int"));
    assert_int_equal(out.len, 0);
    aw_policy p = aw_policy_read();
    p.filter = e;
    aw_cmd_args a = {.kind = AW_CMD_GET, .key = &key};
    assert_int_equal(aw_cmd_encode(&out, &a, &p, &err), AW_ERR_PARAM);
    aw_buf_free(&out);
    aw_exp_free(e);
    aw_exp_builder_free(b);
}

/* The client's policy reaches the wire: aw_cmd_encode with policy.filter
 * gives the captured frame for every single-record command kind. */
static void test_policy_filter_reaches_every_command(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = compile_ok(b, i_eq_7(b), "i == 7");
    aw_key key;
    aw_key_init_int(&key, "test", "sq", 6, NULL);
    aw_bin bin = {"p", aw_value_int(1)};
    aw_op ops[1] = {aw_op_read("p")};
    const aw_cmd_args cases[] = {
        {.kind = AW_CMD_GET, .key = &key},      {.kind = AW_CMD_GET_HEADER, .key = &key},
        {.kind = AW_CMD_EXISTS, .key = &key},   {.kind = AW_CMD_DELETE, .key = &key},
        {.kind = AW_CMD_TOUCH, .key = &key},    {.kind = AW_CMD_PUT, .key = &key, .bins = &bin, .n = 1},
        {.kind = AW_CMD_OPERATE, .key = &key, .ops = ops, .n = 1},
    };
    char *want = field_hex("delete_filter_false", 43);
    aw_buf out;
    aw_buf_init(&out);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aw_policy p = cases[i].kind == AW_CMD_GET || cases[i].kind == AW_CMD_GET_HEADER ||
                              cases[i].kind == AW_CMD_EXISTS || cases[i].kind == AW_CMD_OPERATE
                          ? aw_policy_read()
                          : aw_policy_write();
        p.total_timeout_ms = CAPTURE_TIMEOUT_MS;
        p.socket_timeout_ms = 0;
        p.filter = e;
        aw_error err;
        aw_buf_reset(&out);
        assert_int_equal(aw_cmd_encode(&out, &cases[i], &p, &err), AW_OK);
        /* n_fields: namespace, set, digest, filter; the filter last. */
        assert_int_equal(out.data[27], 4);
        size_t at = 30;
        for (int k = 0; k < 3; k++)
            at += 4 + aw_load_u32be(out.data + at);
        assert_int_equal(out.data[at + 4], 43);
        char *got = tu_hex_encode(out.data + at + 5, aw_load_u32be(out.data + at) - 1);
        assert_string_equal(got, want);
        free(got);
        if (cases[i].kind == AW_CMD_DELETE)
            assert_hex_equal("aw_cmd_encode delete", out.data, out.len,
                             request_hex("delete_filter_false"));
    }
    free(want);
    aw_buf_free(&out);
    aw_exp_free(e);
    aw_exp_builder_free(b);
}

/* ---- expressions inside the captured expression ops ---------------------- */

static aw_exp_node *calc(B) {
    return aw_exp_add(b, aw_exp_mul(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 2)), aw_exp_int(b, 1));
}
static aw_exp_node *i_plus_100(B) { return aw_exp_add(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 100)); }
static aw_exp_node *nil_value(B) { return aw_exp_nil(b); }
static aw_exp_node *nosuchbin(B) { return aw_exp_bin_int(b, "nosuchbin"); }
static aw_exp_node *dmod3(B) { return aw_exp_digest_modulo(b, 3); }
static aw_exp_node *key_int(B) { return aw_exp_key(b, AW_EXP_INT); }
static aw_exp_node *btype_s(B) { return aw_exp_bin_type(b, "s"); }
static aw_exp_node *i_times_10(B) { return aw_exp_mul(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 10)); }

static aw_exp_node *let_cond(B) {
    return aw_exp_let(
        b, aw_exp_def(b, "x", aw_exp_mul(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 2))),
        aw_exp_cond(b, aw_exp_gt(b, aw_exp_var(b, "x"), aw_exp_int(b, 100)), aw_exp_str(b, "big"),
                    aw_exp_gt(b, aw_exp_var(b, "x"), aw_exp_int(b, 10)), aw_exp_str(b, "mid"),
                    aw_exp_str(b, "small")));
}

static aw_exp_node *arith(B) {
    return aw_exp_to_int(
        b, aw_exp_add(b, aw_exp_pow(b, aw_exp_bin_float(b, "f"), aw_exp_float(b, 2.0)),
                      aw_exp_to_float(b, aw_exp_mod(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 5))),
                      aw_exp_abs(b, aw_exp_float(b, -1.5)), aw_exp_floor(b, aw_exp_float(b, 2.7)),
                      aw_exp_ceil(b, aw_exp_float(b, 0.2))));
}

static aw_exp_node *bits(B) {
    return aw_exp_int_or(b, aw_exp_int_and(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 0xff)),
                         aw_exp_int_lshift(b, aw_exp_int(b, 1), aw_exp_int(b, 8)),
                         aw_exp_int_xor(b, aw_exp_int(b, 3), aw_exp_int(b, 1)),
                         aw_exp_int_count(b, aw_exp_int(b, 7)));
}

static aw_exp_node *minmax(B) {
    return aw_exp_sub(
        b, aw_exp_max(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 20), aw_exp_int(b, -3)),
        aw_exp_min(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 20)),
        aw_exp_div(b, aw_exp_int(b, 7), aw_exp_int(b, 2)));
}

static aw_exp_node *excl(B) {
    return aw_exp_exclusive(b, i_eq(b, 12), i_eq(b, 13));
}

static aw_exp_node *ibits(B) {
    return aw_exp_add(b, aw_exp_int_not(b, aw_exp_int(b, 0)),
                      aw_exp_int_rshift(b, aw_exp_int(b, 256), aw_exp_int(b, 4)),
                      aw_exp_int_arshift(b, aw_exp_int(b, -16), aw_exp_int(b, 2)),
                      aw_exp_int_lscan(b, aw_exp_int(b, 0x10), aw_exp_bool(b, true)),
                      aw_exp_int_rscan(b, aw_exp_int(b, 0x10), aw_exp_bool(b, true)));
}

static aw_exp_node *log2_1024(B) { return aw_exp_log(b, aw_exp_float(b, 1024.0), aw_exp_float(b, 2.0)); }
static aw_exp_node *kstr(B) { return aw_exp_eq(b, aw_exp_key(b, AW_EXP_STR), aw_exp_str(b, "x")); }
static aw_exp_node *mkeys(B) { return aw_exp_map_keys(b, aw_exp_bin_map(b, "m")); }
static aw_exp_node *mvals(B) { return aw_exp_map_values(b, aw_exp_bin_map(b, "m")); }

/* The list and map CALLs (op 127) of operate_exp_read_cdt_cond_let_arith. */
static aw_exp_node *lsize(B) { return aw_exp_list_size(b, NULL, aw_exp_bin_list(b, "l")); }
static aw_exp_node *msize_m(B) { return aw_exp_map_size(b, NULL, aw_exp_bin_map(b, "m")); }
static aw_exp_node *mget(B) {
    return aw_exp_map_get_by_key(b, NULL, AW_RETURN_VALUE, AW_EXP_INT, aw_exp_str(b, "b"),
                                 aw_exp_bin_map(b, "m"));
}
static aw_exp_node *llast(B) {
    return aw_exp_list_get_by_index(b, NULL, AW_RETURN_VALUE, AW_EXP_INT, aw_exp_int(b, -1),
                                    aw_exp_bin_list(b, "l"));
}
static aw_exp_node *lcnt(B) {
    return aw_exp_list_get_by_value_range(b, NULL, AW_RETURN_COUNT, aw_exp_int(b, 13),
                                          aw_exp_int(b, 100), aw_exp_bin_list(b, "l"));
}
static aw_exp_node *lmod(B) {
    return aw_exp_list_append(b, NULL, NULL, aw_exp_int(b, 99), aw_exp_bin_list(b, "l"));
}
static aw_exp_node *mmod(B) {
    return aw_exp_map_put(b, NULL, NULL, aw_exp_str(b, "c"), aw_exp_int(b, 3),
                          aw_exp_bin_map(b, "m"));
}

#define META(fn_name, ctor) \
    static aw_exp_node *fn_name(B) { return ctor(b); }
META(lut, aw_exp_last_update)
META(since, aw_exp_since_update)
META(void_t, aw_exp_void_time)
META(ttl_, aw_exp_ttl)
META(set_, aw_exp_set_name)
META(rsize, aw_exp_record_size)
META(kex, aw_exp_key_exists)
META(tomb, aw_exp_is_tombstone)
META(dsize, aw_exp_device_size)
META(msize, aw_exp_memory_size)

/* (command, op name) -> the expression inside that op's value. */
static const struct {
    const char *label;
    const char *op;
    build_fn build;
} OP_CASES[] = {
    {"operate_exp_read_write", "calc", calc},
    {"operate_exp_read_write", "w", i_plus_100},
    {"operate_exp_write_create_only_exists", "w", i_plus_100},
    {"operate_exp_write_create_only_no_fail", "w", i_plus_100},
    {"operate_exp_write_nil_allow_delete", "w", nil_value},
    {"operate_exp_read_missing_bin", "x", nosuchbin},
    {"operate_exp_read_missing_bin_eval_no_fail", "x", nosuchbin},
    {"operate_exp_read_metadata", "lut", lut},
    {"operate_exp_read_metadata", "since", since},
    {"operate_exp_read_metadata", "void", void_t},
    {"operate_exp_read_metadata", "ttl", ttl_},
    {"operate_exp_read_metadata", "set", set_},
    {"operate_exp_read_metadata", "dmod3", dmod3},
    {"operate_exp_read_metadata", "rsize", rsize},
    {"operate_exp_read_metadata", "kex", kex},
    {"operate_exp_read_metadata", "key", key_int},
    {"operate_exp_read_metadata", "tomb", tomb},
    {"operate_exp_read_metadata", "btype", btype_s},
    {"operate_exp_read_device_size", "dsize", dsize},
    {"operate_exp_read_memory_size", "msize", msize},
    {"operate_exp_read_cdt_cond_let_arith", "lsize", lsize},
    {"operate_exp_read_cdt_cond_let_arith", "mget", mget},
    {"operate_exp_read_cdt_cond_let_arith", "llast", llast},
    {"operate_exp_read_cdt_cond_let_arith", "msize", msize_m},
    {"operate_exp_read_cdt_cond_let_arith", "lcnt", lcnt},
    {"operate_exp_read_cdt_cond_let_arith", "lmod", lmod},
    {"operate_exp_read_cdt_cond_let_arith", "mmod", mmod},
    {"operate_exp_read_cdt_cond_let_arith", "cond", let_cond},
    {"operate_exp_read_cdt_cond_let_arith", "arith", arith},
    {"operate_exp_read_cdt_cond_let_arith", "bits", bits},
    {"operate_exp_read_cdt_cond_let_arith", "minmax", minmax},
    {"operate_exp_read_exclusive_intbits_log", "excl", excl},
    {"operate_exp_read_exclusive_intbits_log", "ibits", ibits},
    {"operate_exp_read_exclusive_intbits_log", "log", log2_1024},
    {"operate_exp_read_exclusive_intbits_log", "kstr", kstr},
    {"operate_exp_read_map_keys_values", "mkeys", mkeys},
    {"operate_exp_read_map_keys_values", "mvals", mvals},
    {"query_i_range_0_2_read_ops", "i10", i_times_10},
    {"query_noindex_read_ops_filter_i_lt_3", "i10", i_times_10},
};
#define N_OP_CASES (sizeof OP_CASES / sizeof OP_CASES[0])

/* Calls `each` for every EXP_READ/EXP_MODIFY op of the frame with its name
 * and the expression's bytes (the op value is [expression, flags]). */
static void each_exp_op(const char *label, void (*each)(const char *label, const char *op,
                                                        const uint8_t *p, size_t n)) {
    frame_view f = frame_of(label);
    size_t at = f.ops_at;
    for (unsigned i = 0; i < f.n_ops; i++) {
        uint32_t sz = aw_load_u32be(f.bytes + at);
        uint8_t type = f.bytes[at + 4], name_len = f.bytes[at + 7];
        if (type == 7 || type == 8) {
            char name[16] = {0};
            memcpy(name, f.bytes + at + 8, name_len);
            const uint8_t *v = f.bytes + at + 8 + name_len;
            size_t vlen = sz - 4 - name_len;
            /* 92 <expression> <flags, one positive fixint> */
            assert_int_equal(v[0], 0x92);
            assert_true(v[vlen - 1] < 0x80);
            each(label, name, v + 1, vlen - 2);
        }
        at += 4 + sz;
    }
    free(f.bytes);
}

static int n_checked;

static void check_op(const char *label, const char *op, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < N_OP_CASES; i++) {
        if (strcmp(OP_CASES[i].label, label) != 0 || strcmp(OP_CASES[i].op, op) != 0)
            continue;
        aw_exp_builder *b = aw_exp_builder_new();
        char what[128];
        snprintf(what, sizeof what, "%s op %s", label, op);
        aw_exp *e = compile_ok(b, OP_CASES[i].build(b), what);
        char *want = tu_hex_encode(p, n);
        assert_exp_hex(what, e, want);
        free(want);
        aw_exp_free(e);
        aw_exp_builder_free(b);
        n_checked++;
        return;
    }
    fail_msg("%s: expression op '%s' has no case", label, op);
}

static void test_captured_expression_ops(void **state) {
    (void)state;
    n_checked = 0;
    json_t *cmds = json_object_get(tu_capture(CAPTURE), "commands");
    size_t i;
    json_t *c;
    json_array_foreach(cmds, i, c) {
        const char *label = json_string_value(json_object_get(c, "label"));
        if (strchr(label, '#'))
            continue;
        each_exp_op(label, check_op);
    }
    assert_int_equal(n_checked, (int)N_OP_CASES);
}

/* ---- whole operates with expression ops, through aw_op_exp_read/write ----- */

static build_fn op_case(const char *label, const char *op) {
    for (size_t i = 0; i < N_OP_CASES; i++)
        if (strcmp(OP_CASES[i].label, label) == 0 && strcmp(OP_CASES[i].op, op) == 0)
            return OP_CASES[i].build;
    fail_msg("%s: no case for op %s", label, op);
    return NULL;
}

/* One expression op of a captured operate: its name, flags, and kind. */
typedef struct exp_op_in {
    const char *name;
    unsigned flags;
    bool write;
} exp_op_in;

static const struct {
    const char *label;
    int64_t key;
    exp_op_in ops[11];
    size_t n;
    const char *read_bin; /* a plain read after the expression ops, or NULL */
} EXP_FRAMES[] = {
    {"operate_exp_read_write", 10, {{"calc", 0, false}, {"w", 0, true}}, 2, "w"},
    {"operate_exp_write_create_only_no_fail", 10,
     {{"w", AW_EXP_WRITE_CREATE_ONLY | AW_EXP_WRITE_POLICY_NO_FAIL, true}}, 1, NULL},
    {"operate_exp_write_create_only_exists", 10, {{"w", AW_EXP_WRITE_CREATE_ONLY, true}}, 1, NULL},
    {"operate_exp_write_nil_allow_delete", 10, {{"w", AW_EXP_WRITE_ALLOW_DELETE, true}}, 1, NULL},
    {"operate_exp_read_missing_bin", 10, {{"x", 0, false}}, 1, NULL},
    {"operate_exp_read_missing_bin_eval_no_fail", 10, {{"x", AW_EXP_READ_EVAL_NO_FAIL, false}}, 1,
     NULL},
    {"operate_exp_read_cdt_cond_let_arith", 12,
     {{"lsize", 0, false}, {"mget", 0, false}, {"llast", 0, false}, {"msize", 0, false},
      {"lcnt", 0, false}, {"cond", 0, false}, {"arith", 0, false}, {"bits", 0, false},
      {"minmax", 0, false}, {"lmod", 0, false}, {"mmod", 0, false}},
     11, NULL},
};
#define N_EXP_FRAMES (sizeof EXP_FRAMES / sizeof EXP_FRAMES[0])

static void test_captured_frames_with_exp_ops(void **state) {
    (void)state;
    for (size_t f = 0; f < N_EXP_FRAMES; f++) {
        const char *label = EXP_FRAMES[f].label;
        aw_exp *exps[11];
        aw_op ops[12];
        size_t n = 0;
        aw_exp_builder *b = aw_exp_builder_new();
        for (size_t i = 0; i < EXP_FRAMES[f].n; i++) {
            const exp_op_in *in = &EXP_FRAMES[f].ops[i];
            exps[i] = compile_ok(b, op_case(label, in->name)(b), in->name);
            ops[n++] = in->write ? aw_op_exp_write(in->name, exps[i], in->flags)
                                 : aw_op_exp_read(in->name, exps[i], in->flags);
        }
        aw_exp_builder_free(b);
        if (EXP_FRAMES[f].read_bin)
            ops[n++] = aw_op_read(EXP_FRAMES[f].read_bin);
        aw_key key;
        assert_int_equal(aw_key_init_int(&key, "test", "sq", EXP_FRAMES[f].key, NULL), AW_OK);
        aw_req_opts o = aw_req_opts_default();
        o.timeout_ms = CAPTURE_TIMEOUT_MS;
        aw_buf out;
        aw_buf_init(&out);
        aw_error err;
        if (aw_req_operate(&out, &key, ops, n, &o, &err) != AW_OK)
            fail_msg("%s: %s", label, err.message);
        assert_hex_equal(label, out.data, out.len, request_hex(label));
        aw_buf_free(&out);
        for (size_t i = 0; i < EXP_FRAMES[f].n; i++)
            aw_exp_free(exps[i]);
    }
}

/* The captured reply of `label`: its result code, the record in rec. */
static int sq_reply(const char *label, aw_record *rec) {
    size_t len;
    uint8_t *frame = tu_hex_decode(json_string_value(json_array_get(
                                       json_object_get(sq_entry("commands", label), "reply_hex"), 0)),
                                   &len);
    int result = -1;
    assert_int_equal(aw_reply_parse_record(frame + 8, len - 8, NULL, &result, rec, NULL), AW_OK);
    free(frame);
    return result;
}

static const aw_value *result_of(const aw_record *rec, const char *name) {
    const aw_value *v = aw_record_get(rec, name);
    if (!v)
        fail_msg("no result '%s'", name);
    return v;
}

static void assert_int_result(const aw_record *rec, const char *name, int64_t want) {
    const aw_value *v = result_of(rec, name);
    assert_int_equal(v->type, AW_INT);
    assert_int_equal(v->u.i, want);
}

static void test_captured_exp_replies(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(sq_reply("operate_exp_read_write", &rec), 0);
    assert_int_result(&rec, "calc", 21); /* i = 10: 10 * 2 + 1 */
    /* "w" twice: the write's empty result, then the read's 110 */
    assert_int_equal(rec.n_bins, 3);
    assert_int_equal(rec.bins[1].value.type, AW_NIL);
    assert_int_equal(rec.bins[2].value.type, AW_INT);
    assert_int_equal(rec.bins[2].value.u.i, 110);
    aw_record_free(&rec);

    assert_int_equal(sq_reply("operate_exp_read_cdt_cond_let_arith", &rec), 0);
    assert_int_result(&rec, "lsize", 3);
    assert_int_result(&rec, "mget", 24);
    assert_int_result(&rec, "llast", 14);
    assert_int_result(&rec, "msize", 2);
    assert_int_result(&rec, "lcnt", 2);
    assert_int_result(&rec, "arith", 42);
    assert_int_result(&rec, "bits", 271);
    assert_int_result(&rec, "minmax", 5);
    const aw_value *v = result_of(&rec, "cond");
    assert_int_equal(v->type, AW_STR);
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->u.str, "mid", 3);
    v = result_of(&rec, "lmod"); /* the list with 99 appended; the bin is unchanged */
    assert_int_equal(v->type, AW_LIST);
    assert_int_equal(v->len, 4);
    static const int64_t LMOD[4] = {12, 13, 14, 99};
    for (int i = 0; i < 4; i++)
        assert_int_equal(v->u.items[i].u.i, LMOD[i]);
    v = result_of(&rec, "mmod"); /* {a: 12, b: 24, c: 3} */
    assert_int_equal(v->type, AW_MAP);
    assert_int_equal(v->len, 3);
    aw_value c = aw_value_str("c");
    assert_true(aw_value_equal(&v->u.items[4], &c));
    assert_int_equal(v->u.items[5].u.i, 3);
    aw_record_free(&rec);

    /* eval_no_fail: the unknown result is no value, not 26 */
    assert_int_equal(sq_reply("operate_exp_read_missing_bin_eval_no_fail", &rec), 0);
    assert_int_equal(result_of(&rec, "x")->type, AW_NIL);
    aw_record_free(&rec);
    assert_int_equal(sq_reply("operate_exp_read_missing_bin", &rec), 26);
    aw_record_free(&rec);
}

/* ---- base64 ----------------------------------------------------------------- */

/* sindex_create_exp_i_x2 sent `exp=<base64 of bin_int(i) * 2>`. */
static void test_base64_matches_official_form(void **state) {
    (void)state;
    const char *req =
        json_string_value(json_object_get(sq_entry("info_direct", "sindex_create_exp_i_x2"),
                                          "request"));
    const char *at = strstr(req, "exp=");
    assert_non_null(at);
    at += 4;
    char want[64];
    size_t n = strcspn(at, ";\n");
    assert_true(n < sizeof want);
    memcpy(want, at, n);
    want[n] = '\0';

    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = compile_ok(b, i_times_2(b), "i*2");
    char *text = NULL;
    aw_error err;
    assert_int_equal(aw_exp_to_base64(e, &text, &err), AW_OK);
    assert_string_equal(text, want);

    aw_exp *back = NULL;
    assert_int_equal(aw_exp_from_base64(want, &back, &err), AW_OK);
    size_t l1, l2;
    const uint8_t *p1 = aw_exp_bytes(e, &l1), *p2 = aw_exp_bytes(back, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(p1, p2, l1);
    aw_free(text);
    aw_exp_free(back);
    aw_exp_free(e);
    aw_exp_builder_free(b);
}

/* Every captured filter survives to_base64 -> from_base64, all padding
 * lengths included, and a comparison read back is known to be bool. */
static void test_base64_round_trip(void **state) {
    (void)state;
    for (size_t i = 0; i < N_FIELD_CASES; i++) {
        aw_exp_builder *b = aw_exp_builder_new();
        aw_exp *e = compile_ok(b, FIELD_CASES[i].build(b), FIELD_CASES[i].label);
        char *text;
        aw_exp *back;
        aw_error err;
        assert_int_equal(aw_exp_to_base64(e, &text, &err), AW_OK);
        assert_int_equal(aw_exp_from_base64(text, &back, &err), AW_OK);
        size_t l1, l2;
        const uint8_t *p1 = aw_exp_bytes(e, &l1), *p2 = aw_exp_bytes(back, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(p1, p2, l1);
        if (aw_exp_result_type(e) == AW_EXP_BOOL)
            assert_int_equal(aw_exp_result_type(back), AW_EXP_BOOL);
        aw_free(text);
        aw_exp_free(back);
        aw_exp_free(e);
        aw_exp_builder_free(b);
    }
}

static void expect_b64_refused(const char *text, const char *why) {
    aw_exp *e = (aw_exp *)1;
    aw_error err;
    assert_int_equal(aw_exp_from_base64(text, &e, &err), AW_ERR_PARAM);
    if (!strstr(err.message, why))
        fail_msg("'%s': message '%s' does not say '%s'", text, err.message, why);
    assert_ptr_equal(e, (aw_exp *)1);
}

static void test_base64_refusals(void **state) {
    (void)state;
    expect_b64_refused("", "multiple of 4");
    expect_b64_refused("kxaTUQKhaQI", "multiple of 4");
    expect_b64_refused("kxa*UQKhaQI=", "bad character");
    expect_b64_refused("kx=TUQKhaQI=", "misplaced '='");
    expect_b64_refused("kxaTUQKh", "not a msgpack value");   /* truncated */
    expect_b64_refused("kxaTUQKhaQIA", "after the expression"); /* a trailing 00 */
    expect_b64_refused("kWM=", "op code 99 is unknown");     /* [99] */
    /* fuzz_exp: "6k==" read as x'ea' (-22) but writes back as "6g==". */
    expect_b64_refused("6k==", "non-zero bits under the padding");
    expect_b64_refused("kxaTUQKhaQJ=", "non-zero bits under the padding");
    expect_b64_refused("kA==", "does not start with an op code"); /* [] */
    expect_b64_refused("kaIDeA==", "does not start with an op code"); /* ["x"] */
}

/* ---- refusals naming the node --------------------------------------------- */

static void expect_refused(aw_exp_builder *b, aw_exp_node *root, int code, const char *msg) {
    aw_exp *e = (aw_exp *)1;
    aw_error err;
    assert_int_equal(aw_exp_compile(b, root, &e, &err), code);
    assert_int_equal(err.code, code);
    if (!strstr(err.message, msg))
        fail_msg("message '%s' does not say '%s'", err.message, msg);
    assert_ptr_equal(e, (aw_exp *)1);
}

static void test_ill_typed_refused(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp_node *i = aw_exp_bin_int(b, "i");
    aw_exp_node *f = aw_exp_bin_float(b, "f");
    aw_exp_node *one = aw_exp_int(b, 1);

    expect_refused(b, aw_exp_eq(b, i, aw_exp_float(b, 1.0)), AW_ERR_PARAM,
                   "expression node eq: argument 2 is float, argument 1 is int");
    expect_refused(b, aw_exp_not(b, aw_exp_and(b, aw_exp_gt(b, i, one), aw_exp_eq(b, f, one))),
                   AW_ERR_PARAM, "expression node not.1.and.2.eq: argument 2 is int");
    expect_refused(b, aw_exp_and(b, aw_exp_gt(b, i, one), i), AW_ERR_PARAM,
                   "and: argument 2 is int, must be bool");
    expect_refused(b, aw_exp_and(b, aw_exp_gt(b, i, one)), AW_ERR_PARAM,
                   "and: needs at least 2 arguments, has 1");
    expect_refused(b, aw_exp_add(b, i, f), AW_ERR_PARAM, "add: argument 2 is float");
    expect_refused(b, aw_exp_add(b, aw_exp_str(b, "x")), AW_ERR_PARAM,
                   "add: argument 1 is str, must be int or float");
    expect_refused(b, aw_exp_mod(b, f, aw_exp_float(b, 2.0)), AW_ERR_PARAM,
                   "mod: argument 1 is float, must be int");
    expect_refused(b, aw_exp_regex(b, 0, "a.*", i), AW_ERR_PARAM, "regex: matches a str, not int");
    expect_refused(b, aw_exp_eq(b, aw_exp_bin_geo(b, "g"), aw_exp_geo(b, "{}")), AW_ERR_PARAM,
                   "geo values do not compare with eq");
    expect_refused(b, aw_exp_in_list(b, i, one), AW_ERR_PARAM,
                   "in_list: argument 2 is int, must be list");
    expect_refused(b, aw_exp_int_lscan(b, i, one), AW_ERR_PARAM,
                   "int_lscan: argument 2 is int, must be bool");
    expect_refused(b, aw_exp_cond(b, aw_exp_gt(b, i, one), one, aw_exp_str(b, "x")),
                   AW_ERR_PARAM, "cond: value (argument 3) is str, earlier values are int");
    expect_refused(b, aw_exp_cond(b, i, one, one), AW_ERR_PARAM,
                   "cond: condition (argument 1) is int, must be bool");
    expect_refused(b, aw_exp_cond(b, aw_exp_gt(b, i, one), one), AW_ERR_PARAM,
                   "cond: needs condition/value pairs and a default");
    expect_refused(b, aw_exp_gt(b, aw_exp_var(b, "x"), one), AW_ERR_PARAM,
                   "gt.1.var: variable 'x' is not defined by an enclosing let");
    /* A def's own variable is not in scope inside its value. */
    expect_refused(b, aw_exp_let(b, aw_exp_def(b, "x", aw_exp_var(b, "x")), one), AW_ERR_PARAM,
                   "let.1.def.1.var: variable 'x' is not defined");
    expect_refused(b, aw_exp_let(b, aw_exp_def(b, "x", one)), AW_ERR_PARAM,
                   "let: needs at least one def and a body");
    expect_refused(b, aw_exp_let(b, one, one), AW_ERR_PARAM, "let: argument 1 is not a def");
    expect_refused(b, aw_exp_def(b, "x", one), AW_ERR_PARAM, "a def is only valid");
    /* A let's variable is typed by its value: x is float here. */
    expect_refused(b, aw_exp_let(b, aw_exp_def(b, "x", f), aw_exp_gt(b, aw_exp_var(b, "x"), one)),
                   AW_ERR_PARAM, "let.2.gt: argument 2 is int, argument 1 is float");
    expect_refused(b, aw_exp_to_int(b, i), AW_ERR_PARAM, "to_int: argument 1 is int, must be float");
    /* None of these failures poisons the builder: a good tree still compiles. */
    aw_exp *e = compile_ok(b, aw_exp_gt(b, i, one), "after refusals");
    assert_int_equal(aw_exp_result_type(e), AW_EXP_BOOL);
    aw_exp_free(e);
    aw_exp_builder_free(b);
}

/* A constructor's refusal is kept and reported by compile, whatever root is
 * compiled afterwards (the caller may have dropped the NULL on the floor). */
static void expect_builder_refused(aw_exp_node *(*make)(aw_exp_builder *), int code,
                                   const char *msg) {
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp_node *bad_node = make(b);
    assert_null(bad_node);
    /* a later good node does not clear the first error */
    expect_refused(b, aw_exp_eq(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 1)), code, msg);
    aw_exp_builder_free(b);
}

static aw_exp_node *long_bin(B) { return aw_exp_bin_int(b, "0123456789abcdef"); }
static aw_exp_node *empty_bin(B) { return aw_exp_bin_int(b, ""); }
static aw_exp_node *null_child(B) { return aw_exp_eq(b, NULL, aw_exp_int(b, 1)); }
static aw_exp_node *null_deep(B) { return aw_exp_not(b, aw_exp_and(b, aw_exp_bool(b, true), NULL)); }
static aw_exp_node *dmod0(B) { return aw_exp_digest_modulo(b, 0); }
static aw_exp_node *bad_var(B) { return aw_exp_var(b, "1x"); }
static aw_exp_node *bad_def(B) { return aw_exp_def(b, "a-b", aw_exp_int(b, 1)); }
static aw_exp_node *bad_key(B) { return aw_exp_key(b, AW_EXP_FLOAT); }
static aw_exp_node *bad_bin_type(B) { return aw_exp_bin(b, (aw_exp_type)42, "i"); }
static aw_exp_node *bad_regex_flags(B) { return aw_exp_regex(b, 8, "x", aw_exp_bin_str(b, "s")); }
static aw_exp_node *null_str(B) { return aw_exp_str(b, NULL); }
static aw_exp_node *hll_blob(B) {
    aw_value v = aw_value_blob("x", 1);
    v.subtype = AW_PARTICLE_HLL;
    return aw_exp_value(b, &v);
}

static void test_constructor_refusals(void **state) {
    (void)state;
    expect_builder_refused(long_bin, AW_ERR_BAD_NAME,
                           "bin: bin name '0123456789abcdef' must be 1 to 15 bytes");
    expect_builder_refused(empty_bin, AW_ERR_BAD_NAME, "bin: bin name '' must be 1 to 15 bytes");
    expect_builder_refused(null_child, AW_ERR_PARAM, "eq: argument 1 is NULL");
    expect_builder_refused(null_deep, AW_ERR_PARAM, "and: argument 2 is NULL");
    expect_builder_refused(dmod0, AW_ERR_PARAM, "digest_modulo: modulus 0");
    expect_builder_refused(bad_var, AW_ERR_PARAM, "var: variable name '1x' must start");
    expect_builder_refused(bad_def, AW_ERR_PARAM, "def: variable name 'a-b' must start");
    expect_builder_refused(bad_key, AW_ERR_PARAM, "key: type float; a key is int, str or blob");
    expect_builder_refused(bad_bin_type, AW_ERR_PARAM, "bin: type 42 is not an aw_exp_type");
    expect_builder_refused(bad_regex_flags, AW_ERR_PARAM, "regex: flags 0x8");
    expect_builder_refused(null_str, AW_ERR_PARAM, "str: NULL string");
    expect_builder_refused(hll_blob, AW_ERR_PARAM, "value: blob of particle type 18");
    /* NULL builder / root / out */
    aw_exp *e;
    aw_error err;
    assert_null(aw_exp_int(NULL, 1));
    assert_int_equal(aw_exp_compile(NULL, NULL, &e, &err), AW_ERR_PARAM);
    aw_exp_builder *b = aw_exp_builder_new();
    assert_int_equal(aw_exp_compile(b, NULL, &e, &err), AW_ERR_PARAM);
    assert_int_equal(aw_exp_compile(b, aw_exp_int(b, 1), NULL, &err), AW_ERR_PARAM);
    aw_exp_builder_free(b);
}

/* Out of memory anywhere in building or compiling is an error, never a
 * shorter expression. */
/* Out of memory anywhere (builder, nodes, a call's copied context, the
 * output) is AW_ERR_NOMEM, never another error or a partial expression. */
static void check_allocation_failures(build_fn build, const char *what) {
    aw_exp_builder *rb = aw_exp_builder_new();
    aw_exp *ref = compile_ok(rb, build(rb), what);
    aw_exp_builder_free(rb);
    size_t ref_len;
    const uint8_t *ref_bytes = aw_exp_bytes(ref, &ref_len);
    for (int n = 1; n < 200; n++) {
        tu_failalloc_on(n);
        aw_exp_builder *b = aw_exp_builder_new();
        aw_exp *e = NULL;
        aw_error err;
        int rc = b ? aw_exp_compile(b, build(b), &e, &err) : AW_ERR_NOMEM;
        tu_failalloc_off();
        aw_exp_builder_free(b);
        if (rc == AW_OK) { /* enough allocations succeeded: the whole expression */
            assert_true(n > 3); /* builder, nodes and output each failed first */
            size_t len;
            const uint8_t *p = aw_exp_bytes(e, &len);
            assert_int_equal(len, ref_len);
            assert_memory_equal(p, ref_bytes, len);
            aw_exp_free(e);
            aw_exp_free(ref);
            return;
        }
        if (rc != AW_ERR_NOMEM)
            fail_msg("%s, allocation %d failing: %d %s", what, n, rc, err.message);
    }
    fail_msg("%s never compiled", what);
}

/* A map read under the context map_key("k") (the context is copied). */
static aw_exp_node *map_read_in_ctx(B) {
    static const aw_ctx_item item = {AW_CTX_MAP_KEY, {.type = AW_STR, .len = 1, .u.str = "k"}};
    static const aw_ctx ctx = {&item, 1};
    return aw_exp_map_get_by_index(b, &ctx, AW_RETURN_KEY, AW_EXP_STR, aw_exp_int(b, 0),
                                   aw_exp_bin_map(b, "m"));
}

static void test_allocation_failures(void **state) {
    (void)state;
    check_allocation_failures(let_cond, "let/cond");
    check_allocation_failures(map_read_in_ctx, "map_get_by_index in a context");
}

/* A default-sized list literal and a map literal: the list is quoted. */
static void test_collection_literals(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_value kv[2] = {aw_value_str("a"), aw_value_int(1)};
    aw_value map = aw_value_map(kv, 1);
    aw_value items[2] = {aw_value_int(1), aw_value_str("a")};
    aw_value list = aw_value_list(items, 2);
    aw_exp *e = compile_ok(b, aw_exp_eq(b, aw_exp_bin_map(b, "m"), aw_exp_value(b, &map)), "map");
    assert_exp_hex("map literal", e, "93" "01" "935105a16d" "81a2036101");
    aw_exp_free(e);
    e = compile_ok(b, aw_exp_eq(b, aw_exp_bin_list(b, "l"), aw_exp_value(b, &list)), "list");
    assert_exp_hex("list literal", e, "93" "01" "935104a16c" "927e" "9201a20361");
    aw_exp_free(e);
    uint8_t blob[2] = {0xde, 0xad};
    e = compile_ok(b, aw_exp_eq(b, aw_exp_bin_blob(b, "b"), aw_exp_blob(b, blob, 2)), "blob");
    assert_exp_hex("blob literal", e, "93" "01" "935106a162" "a304dead");
    aw_exp_free(e);
    e = compile_ok(b, aw_exp_eq(b, aw_exp_bin_bool(b, "t"), aw_exp_bool(b, false)), "bool");
    assert_exp_hex("bool literal", e, "93" "01" "935101a174" "c2");
    aw_exp_free(e);
    aw_exp_builder_free(b);
}

/* The example of docs/expressions.md, as written there, and the bytes and
 * base64 the doc says it compiles to. */
static void test_doc_example(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp_node *root = aw_exp_and(b,
        aw_exp_gt(b, aw_exp_bin_int(b, "a"), aw_exp_int(b, 5)),
        aw_exp_lt(b, aw_exp_since_update(b), aw_exp_int(b, 3600 * 1000)));
    aw_exp *filter;
    aw_error err;
    int rc = aw_exp_compile(b, root, &filter, &err);
    aw_exp_builder_free(b);
    assert_int_equal(rc, AW_OK);
    assert_exp_hex("doc example", filter, "93109303935102a1610593059143ce0036ee80");
    char *text;
    assert_int_equal(aw_exp_to_base64(filter, &text, &err), AW_OK);
    assert_string_equal(text, "kxCTA5NRAqFhBZMFkUPOADbugA==");
    aw_free(text);
    aw_exp_free(filter);
}

/* ---- filters on batches --------------------------------------------------- */

/* batch_read_filter_i_even: keys 0..9 of test/sq, all bins, the batch's
 * filter as field 43 before field 41 (and no filter in the rows). */
static void encode_batch_i_even(aw_buf *out, aw_key keys[10], aw_exp *filter) {
    aw_batch_row rows[10];
    for (int i = 0; i < 10; i++) {
        assert_int_equal(aw_key_init_int(&keys[i], "test", "sq", i, NULL), AW_OK);
        rows[i] = (aw_batch_row){.index = (uint32_t)i, .key = &keys[i], .kind = AW_BATCH_READ};
    }
    aw_batch_opts bo = {.timeout_ms = CAPTURE_TIMEOUT_MS, .filter = filter};
    aw_error err;
    int rc = aw_req_batch(out, rows, 10, &bo, &err);
    if (rc != AW_OK)
        fail_msg("batch encoder failed: %d %s", rc, err.message);
}

static void test_captured_batch_filter_frame(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = compile_ok(b, i_even(b), "i_even");
    aw_key keys[10];
    aw_buf out;
    aw_buf_init(&out);
    encode_batch_i_even(&out, keys, e);
    assert_hex_equal("batch_read_filter_i_even", out.data, out.len,
                     request_hex("batch_read_filter_i_even"));
    aw_buf_free(&out);
    aw_exp_free(e);
    aw_exp_builder_free(b);
}

/* Field `type` of a row body (after index and digest), or NULL. */
static const uint8_t *row_field(const uint8_t *row, uint8_t type, uint32_t *len) {
    const uint8_t *p = row + 4 + AW_DIGEST_SIZE;
    uint8_t rt = *p;
    p += 4 + ((rt & AW_BATCH_ROW_GEN) ? 2 : 0) + 4;
    unsigned n_fields = (unsigned)(p[0] << 8 | p[1]);
    p += 4;
    for (unsigned i = 0; i < n_fields; i++) {
        uint32_t sz = aw_load_u32be(p);
        if (p[4] == type) {
            *len = sz - 1;
            return p + 5;
        }
        p += 4 + sz;
    }
    return NULL;
}

/* A row's own filter goes in the row after the set (C7.5's
 * as_batch_write_fields_all) and before the key; rows with the same filter
 * still repeat, a row with another filter does not. */
static void test_row_filters(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *even = compile_ok(b, i_even(b), "i_even");
    aw_exp *five = compile_ok(b, i_eq_5(b), "i == 5");
    aw_key keys[3];
    aw_batch_row rows[3];
    aw_req_opts o_even = aw_req_opts_default(), o_five = aw_req_opts_default();
    o_even.filter = even;
    o_five.filter = five;
    o_five.send_key = true;
    const aw_req_opts *opts[3] = {&o_even, &o_even, &o_five};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(aw_key_init_int(&keys[i], "test", "sq", i, NULL), AW_OK);
        rows[i] = (aw_batch_row){.index = (uint32_t)i, .key = &keys[i], .kind = AW_BATCH_READ,
                                 .opts = opts[i]};
    }
    aw_buf out;
    aw_buf_init(&out);
    aw_error err;
    assert_int_equal(aw_req_batch(&out, rows, 3, NULL, &err), AW_OK);
    const uint8_t *msg = out.data + 8;
    assert_int_equal(msg[18] << 8 | msg[19], 1); /* only field 41 in the header */
    const uint8_t *row0 = msg + 22 + 5 + 5;
    uint32_t len;
    const uint8_t *f = row_field(row0, AW_FIELD_FILTER, &len);
    assert_non_null(f);
    size_t want_len;
    const uint8_t *want = aw_exp_bytes(even, &want_len);
    assert_int_equal(len, want_len);
    assert_memory_equal(f, want, want_len);
    /* fields: ns, set, filter */
    const uint8_t *nf = row0 + 4 + AW_DIGEST_SIZE + 8;
    assert_int_equal(nf[0] << 8 | nf[1], 3);
    assert_int_equal(f[-1], AW_FIELD_FILTER);
    assert_int_equal(f - row0, 4 + AW_DIGEST_SIZE + 12 + 9 + 7 + 5);
    /* row 1 repeats row 0 */
    size_t row0_len = (size_t)(f + len - row0);
    const uint8_t *row1 = row0 + row0_len;
    assert_int_equal(row1[4 + AW_DIGEST_SIZE], AW_BATCH_ROW_REPEAT);
    /* row 2: its own filter, then its key: ns, set, filter, key */
    const uint8_t *row2 = row1 + 4 + AW_DIGEST_SIZE + 1;
    assert_int_equal(row2[4 + AW_DIGEST_SIZE], AW_BATCH_ROW_INFO | AW_BATCH_ROW_TTL);
    const uint8_t *f2 = row_field(row2, AW_FIELD_FILTER, &len);
    assert_non_null(f2);
    want = aw_exp_bytes(five, &want_len);
    assert_int_equal(len, want_len);
    assert_memory_equal(f2, want, want_len);
    assert_int_equal(f2[len + 4], AW_FIELD_KEY);

    /* a non-bool row filter is refused, naming the row */
    aw_exp *not_bool = compile_ok(b, aw_exp_bin_int(b, "i"), "bin_int");
    o_five.filter = not_bool;
    aw_buf_reset(&out);
    assert_int_equal(aw_req_batch(&out, rows, 3, NULL, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "batch row 2"));
    aw_batch_opts bo = {.filter = not_bool};
    o_five.filter = five;
    assert_int_equal(aw_req_batch(&out, rows, 3, &bo, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "a filter must be bool"));
    assert_int_equal(out.len, 0);

    aw_buf_free(&out);
    aw_exp_free(not_bool);
    aw_exp_free(five);
    aw_exp_free(even);
    aw_exp_builder_free(b);
}

typedef struct row_codes {
    int code[10];
    uint32_t seen;
} row_codes;

static int note_row(void *ctx, uint32_t index, const aw_msg_view *m) {
    row_codes *c = ctx;
    c->code[index] = m->h.result_code;
    c->seen++;
    return 0;
}

/* The captured reply: rows whose record has i odd are answered 27 each,
 * the batch itself ends with 0. */
static void test_captured_batch_filter_reply(void **state) {
    (void)state;
    json_t *r = json_object_get(sq_entry("commands", "batch_read_filter_i_even"), "reply_hex");
    aw_batch_reader rd;
    aw_batch_reader_init(&rd, 10);
    row_codes c = {{0}, 0};
    for (size_t i = 0; i < json_array_size(r) && !rd.done; i++) {
        size_t n;
        uint8_t *frame = tu_hex_decode(json_string_value(json_array_get(r, i)), &n);
        aw_error err;
        int rc = aw_batch_reader_feed(&rd, frame + 8, n - 8, note_row, &c, &err);
        if (rc != AW_OK)
            fail_msg("reply frame %zu: %d %s", i, rc, err.message);
        free(frame);
    }
    assert_true(rd.done);
    assert_int_equal(rd.last_result, AW_OK);
    assert_int_equal(c.seen, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(c.code[i], i % 2 == 0 ? AW_OK : AW_FILTERED_OUT);
}

/* ---- replies and the client ------------------------------------------------ */

static uint8_t *reply_body(const char *label, size_t *len) {
    json_t *r = json_object_get(sq_entry("commands", label), "reply_hex");
    size_t n;
    uint8_t *frame = tu_hex_decode(json_string_value(json_array_get(r, 0)), &n);
    assert_true(n > 8);
    uint8_t *body = malloc(n - 8);
    memcpy(body, frame + 8, n - 8);
    free(frame);
    *len = n - 8;
    return body;
}

/* The server's 27 is the command's result for every kind, exists included
 * (a filtered-out record is not "missing"). */
static void test_filtered_out_replies(void **state) {
    (void)state;
    static const struct {
        const char *label;
        aw_cmd_kind kind;
    } CASES[] = {
        {"get_filter_false", AW_CMD_GET},
        {"get_filter_wrong_bin_type", AW_CMD_GET},
        {"exists_filter_false", AW_CMD_EXISTS},
        {"put_filter_false", AW_CMD_PUT},
        {"delete_filter_false", AW_CMD_DELETE},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        size_t len;
        uint8_t *body = reply_body(CASES[i].label, &len);
        aw_record rec = {0};
        bool exists = true;
        aw_error err;
        int rc = aw_cmd_parse_reply(CASES[i].kind, body, len, &rec, &exists, &err);
        assert_int_equal(rc, AW_FILTERED_OUT);
        assert_int_equal(err.code, AW_FILTERED_OUT);
        assert_string_equal(aw_status_name(err.code), "FILTERED_OUT");
        assert_int_equal(rec.n_bins, 0);
        aw_record_free(&rec);
        free(body);
    }
}

static tu_testd srv;

/* aw-testd evaluates filters as the server does: a true filter lets the
 * command through, a false one answers 27 — which proves the client sent
 * it (without the filter the get would succeed); a batch with a filter too. */
static int start_testd(void **state) { return tu_testd_start(&srv, NULL); }
static int stop_testd(void **state) { return tu_testd_stop(&srv); }

static void test_client_against_testd(void **state) {
    (void)state;
    aw_config cfg = tu_client_config(&srv, 100);
    aw_client *client = tu_client_new(&cfg);
    aw_key key = tu_key("test", "exp", "k1");
    aw_bin bin = {"i", aw_value_int(5)};
    aw_error err;
    assert_int_equal(aw_put(client, NULL, &key, &bin, 1, &err), AW_OK);

    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = compile_ok(b, i_eq_5(b), "i == 5");
    aw_exp *no = compile_ok(b, i_eq(b, 6), "i == 6");
    aw_policy rp = aw_policy_read();
    rp.filter = e;
    aw_record rec = {0};
    assert_int_equal(aw_get(client, &rp, &key, NULL, 0, &rec, &err), AW_OK);
    aw_record_free(&rec);
    rp.filter = no;
    assert_int_equal(aw_get(client, &rp, &key, NULL, 0, &rec, &err), AW_FILTERED_OUT);
    aw_record_free(&rec);
    bool exists;
    assert_int_equal(aw_exists(client, &rp, &key, &exists, &err), AW_FILTERED_OUT);
    aw_policy wp = aw_policy_write();
    wp.filter = no;
    assert_int_equal(aw_delete(client, &wp, &key, &err), AW_FILTERED_OUT);
    /* and the record is still there, unfiltered */
    assert_int_equal(aw_get(client, NULL, &key, NULL, 0, &rec, &err), AW_OK);
    aw_record_free(&rec);

    aw_batch_policy bp = aw_batch_policy_default();
    bp.base.filter = no;
    aw_batch_result res[1];
    memset(res, 0, sizeof res);
    int brc = aw_batch_get(client, &bp, &key, 1, NULL, 0, false, res, &err);
    assert_int_equal(res[0].code, AW_FILTERED_OUT);
    (void)brc;

    /* a non-bool filter never leaves the client */
    aw_exp *not_bool = compile_ok(b, aw_exp_bin_int(b, "i"), "bin_int");
    rp.filter = not_bool;
    assert_int_equal(aw_get(client, &rp, &key, NULL, 0, &rec, &err), AW_ERR_PARAM);
    aw_record_free(&rec);

    aw_exp_free(not_bool);
    aw_exp_free(no);
    aw_exp_free(e);
    aw_exp_builder_free(b);
    aw_client_close(client);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captured_filter_fields),
        cmocka_unit_test(test_every_captured_filter_is_rebuilt),
        cmocka_unit_test(test_captured_filtered_frames),
        cmocka_unit_test(test_non_bool_filter_refused),
        cmocka_unit_test(test_policy_filter_reaches_every_command),
        cmocka_unit_test(test_captured_expression_ops),
        cmocka_unit_test(test_captured_frames_with_exp_ops),
        cmocka_unit_test(test_captured_exp_replies),
        cmocka_unit_test(test_base64_matches_official_form),
        cmocka_unit_test(test_base64_round_trip),
        cmocka_unit_test(test_base64_refusals),
        cmocka_unit_test(test_ill_typed_refused),
        cmocka_unit_test(test_constructor_refusals),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_collection_literals),
        cmocka_unit_test(test_doc_example),
        cmocka_unit_test(test_filtered_out_replies),
        cmocka_unit_test(test_captured_batch_filter_frame),
        cmocka_unit_test(test_row_filters),
        cmocka_unit_test(test_captured_batch_filter_reply),
    };
    const struct CMUnitTest with_testd[] = {
        cmocka_unit_test(test_client_against_testd),
    };
    int failed = cmocka_run_group_tests_name("exp", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("exp_testd", with_testd, start_testd, stop_testd);
    return failed || tu_testd_stop_failed;
}
