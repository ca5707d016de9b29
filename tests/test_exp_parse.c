/*
 * The expression text syntax (aw_exp_parse, docs/expressions.md "Text
 * syntax"): the issue's examples; every filter, index expression and
 * expression-op expression of official-c-client-scan-query.json written as
 * text and compared byte for byte with what the official C client sent;
 * constructs the capture lacks compared with the same tree built with the
 * builder; precedence; and every error with its column.
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
#include "aerowire/exp.h"
#include "proto/exp_parse.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "support/awrun.h"
#include "support/capture_inputs.h"
#include "support/testutil.h"

#define CAPTURE "official-c-client-scan-query.json"

/* ---- helpers ------------------------------------------------------------------ */

static aw_exp *parse_ok(const char *text) {
    aw_exp *e = NULL;
    aw_error err;
    int rc = aw_exp_parse(text, &e, &err);
    if (rc != AW_OK)
        fail_msg("'%s': %d %s", text, rc, err.message);
    return e;
}

static char *hex_of(const aw_exp *e) {
    size_t n;
    const uint8_t *p = aw_exp_bytes(e, &n);
    return tu_hex_encode(p, n);
}

/* text parses to exactly want_hex. */
static void expect_parse_hex(const char *text, const char *want_hex) {
    aw_exp *e = parse_ok(text);
    size_t n;
    const uint8_t *p = aw_exp_bytes(e, &n);
    assert_hex_equal(text, p, n, want_hex);
    aw_exp_free(e);
}

/* text fails with exactly this message (code AW_ERR_PARAM). */
static void expect_error(const char *text, const char *want) {
    aw_exp *e = NULL;
    aw_error err;
    int rc = aw_exp_parse(text, &e, &err);
    if (rc == AW_OK)
        fail_msg("'%s' parsed; expected: %s", text, want);
    assert_null(e);
    assert_int_equal(rc, AW_ERR_PARAM);
    if (strcmp(err.message, want) != 0)
        fail_msg("'%s':\n  got  %s\n  want %s", text, err.message, want);
}

/* The captured request frame of label, parsed (the caller frees *raw). */
static aw_msg_view captured_msg(const char *label, uint8_t **raw) {
    const char *hex = json_string_value(
        json_object_get(tu_capture_command(CAPTURE, label), "request_hex"));
    size_t len, used;
    *raw = tu_hex_decode(hex, &len);
    assert_non_null(*raw);
    aw_msg_view m;
    assert_int_equal(aw_msg_parse(*raw + AW_PROTO_HEADER_SIZE, len - AW_PROTO_HEADER_SIZE, &m,
                                  &used, NULL),
                     AW_OK);
    return m;
}

/* The expression a captured request carried: field 43 (filter) or 24
 * (index expression), or the expression inside expression op `op` (its
 * value is [expression, flags]). Lowercase hex, malloc'd. */
static char *captured_exp_hex(const char *label, uint8_t field, const char *op) {
    uint8_t *raw;
    aw_msg_view m = captured_msg(label, &raw);
    char *hex = NULL;
    if (!op) {
        aw_field_view f;
        assert_true(aw_msg_find_field(&m, field, &f));
        hex = tu_hex_encode(f.data, f.len);
    } else {
        aw_msg_iter it = aw_msg_ops(&m);
        aw_op_view o;
        while (!hex && aw_msg_next_op(&it, &o))
            if ((o.op == 7 || o.op == 8) && o.name_len == strlen(op) &&
                memcmp(o.name, op, o.name_len) == 0) {
                /* 92 <expression> <flags: one positive fixint> */
                assert_int_equal(o.value[0], 0x92);
                hex = tu_hex_encode(o.value + 1, o.value_len - 2);
            }
    }
    free(raw);
    if (!hex)
        fail_msg("%s: no %s %s", label, op ? "op" : "field", op ? op : "");
    return hex;
}

/* ---- the issue's expressions ------------------------------------------------------ */

static void test_issue_examples(void **state) {
    (void)state;
    /* bin_int(i) > 150 and bin_float(f) > 50.0 are captured filters. */
    char *want = captured_exp_hex("scan_filter_exp_i_gt_150", 43, NULL);
    expect_parse_hex("$.i > 150", want);
    free(want);
    want = captured_exp_hex("query_i_range_90_110_filter_f_gt_50", 43, NULL);
    expect_parse_hex("$.f > 50.0", want);
    free(want);

    /* [gt, [bin, int, "a"], 5] */
    expect_parse_hex("$.a > 5", "9303935102a16105");
    /* [and, [gt, bin_int a, 5], [eq, [bin, str, "s"], "x" (particle 3)]] */
    expect_parse_hex("$.a > 5 and $.s == \"x\"",
                     "93109303935102a16105930193510" "3a173a20378");
    /* [not, [le, [bin, float, "f"], 1.5]] */
    expect_parse_hex("not ($.f <= 1.5)", "92129306935107a166cb3ff8000000000000");
    /* [lt, [last_update], 1700000000000000000 (uint64)] */
    expect_parse_hex("last_update() < 1700000000000000000", "93059142cf17979cfe362a0000");
}

/* $.l.size() is list_size (and $.m.map().size() map_size) once the method
 * table has its "size" entry (exp_parse_emit.c METHODS); the bytes are
 * those of the captured list_size(l) / map_size(m) expression ops. */
static void test_size_method(void **state) {
    (void)state;
    if (!ps_find_method("size", 4)) {
        expect_error("$.l.size() > 2", "at 5: unknown method '.size()'");
        skip();
    }
    char *lsize = captured_exp_hex("operate_exp_read_cdt_cond_let_arith", 0, "lsize");
    char *msize = captured_exp_hex("operate_exp_read_cdt_cond_let_arith", 0, "msize");
    char want[512];
    snprintf(want, sizeof want, "9303%s02", lsize);
    expect_parse_hex("$.l.size() > 2", want);
    expect_parse_hex("$.l.list().size() > 2", want);
    snprintf(want, sizeof want, "9303%s02", msize);
    expect_parse_hex("$.m.map().size() > 2", want);
    free(lsize);
    free(msize);
}

/* ---- the capture, as text ------------------------------------------------------------ */

static const struct {
    const char *label;
    uint8_t field;    /* 43 filter, 24 index expression; 0: the op below */
    const char *op;
    const char *text;
} CAPTURED[] = {
    {"get_filter_true", 43, NULL, "$.i == 5"},
    {"get_filter_false", 43, NULL, "$.i == 6"},
    {"exists_filter_false", 43, NULL, "$.i == 6"},
    {"get_filter_and_or_not_key", 43, NULL,
     "$.i >= 1 && ($.s == \"s009\" || $.f < 0.0) && !(key_int() == 8)"},
    {"get_filter_regex_setname_keyexist_bintype", 43, NULL,
     "regex($.s, \"^S00[0-9]$\", \"i\") and set_name() == 'sq' and key_exists() and "
     "bin_type(\"l\") == 20 and bin_exists(\"m\") and digest_modulo(3) >= 0"},
    {"get_filter_in_list", 43, NULL, "$.i in [7, 8, 9]"},
    {"get_filter_not_boolean", 43, NULL, "$.i.int()"},
    {"get_filter_wrong_bin_type", 43, NULL, "$.i == \"x\""},
    {"put_filter_true", 43, NULL, "$.i == 6"},
    {"put_filter_false", 43, NULL, "bin_int(\"i\") == 7"},
    {"delete_filter_false", 43, NULL, "eq($.i, 7)"},
    {"get_filter_geo_within_circle", 43, NULL,
     "geo_compare($.g, geo('{\"type\":\"AeroCircle\",\"coordinates\":[[-122.0,37.0],3000.0]}'))"},
    {"batch_read_filter_i_even", 43, NULL, "$.i % 2 == 0"},
    {"scan_filter_exp_i_gt_150", 43, NULL, "$.i > 150"},
    {"query_i_range_90_110_filter_f_gt_50", 43, NULL, "$.f > 50.0"},
    {"query_noindex_read_ops_filter_i_lt_3", 43, NULL, "$.i < 3"},
    {"scan_check_u1_v2", 43, NULL, "$.u == 1 and $.v == 2"},
    {"query_background_ops_i_lt_100", 43, NULL, "$.i < 100"},
    {"query_exp_i_x2_range_10_14", 24, NULL, "$.i * 2"},
    {"operate_exp_read_write", 0, "calc", "$.i * 2 + 1"},
    {"operate_exp_read_write", 0, "w", "$.i + 100"},
    {"operate_exp_write_nil_allow_delete", 0, "w", "nil"},
    {"operate_exp_read_missing_bin", 0, "x", "$.nosuchbin.int()"},
    {"operate_exp_read_metadata", 0, "lut", "last_update()"},
    {"operate_exp_read_metadata", 0, "since", "since_update()"},
    {"operate_exp_read_metadata", 0, "void", "void_time()"},
    {"operate_exp_read_metadata", 0, "ttl", "ttl()"},
    {"operate_exp_read_metadata", 0, "set", "set_name()"},
    {"operate_exp_read_metadata", 0, "dmod3", "digest_modulo(3)"},
    {"operate_exp_read_metadata", 0, "rsize", "record_size()"},
    {"operate_exp_read_metadata", 0, "kex", "key_exists()"},
    {"operate_exp_read_metadata", 0, "key", "key_int()"},
    {"operate_exp_read_metadata", 0, "tomb", "is_tombstone()"},
    {"operate_exp_read_metadata", 0, "btype", "bin_type(\"s\")"},
    {"operate_exp_read_device_size", 0, "dsize", "device_size()"},
    {"operate_exp_read_memory_size", 0, "msize", "memory_size()"},
    {"operate_exp_read_cdt_cond_let_arith", 0, "cond",
     "let(x = $.i * 2, cond(x > 100, \"big\", x > 10, \"mid\", \"small\"))"},
    {"operate_exp_read_cdt_cond_let_arith", 0, "arith",
     "to_int(pow($.f, 2.0) + to_float($.i % 5) + abs(-1.5) + floor(2.7) + ceil(0.2))"},
    {"operate_exp_read_cdt_cond_let_arith", 0, "bits",
     "($.i & 0xff) | (1 << 8) | (3 ^ 1) | int_count(7)"},
    {"operate_exp_read_cdt_cond_let_arith", 0, "minmax", "max($.i, 20, -3) - min($.i, 20) - 7 / 2"},
    {"operate_exp_read_exclusive_intbits_log", 0, "excl", "exclusive($.i == 12, $.i == 13)"},
    {"operate_exp_read_exclusive_intbits_log", 0, "ibits",
     "~0 + (256 >>> 4) + (-16 >> 2) + int_lscan(0x10, true) + int_rscan(0x10, true)"},
    {"operate_exp_read_exclusive_intbits_log", 0, "log", "log(1024.0, 2.0)"},
    {"operate_exp_read_exclusive_intbits_log", 0, "kstr", "key_str() == \"x\""},
    {"operate_exp_read_map_keys_values", 0, "mkeys", "map_keys($.m)"},
    {"operate_exp_read_map_keys_values", 0, "mvals", "map_values($.m)"},
    {"query_i_range_0_2_read_ops", 0, "i10", "$.i * 10"},
};

static void test_captured_expressions_as_text(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CAPTURED / sizeof CAPTURED[0]; i++) {
        char *want = captured_exp_hex(CAPTURED[i].label, CAPTURED[i].field, CAPTURED[i].op);
        expect_parse_hex(CAPTURED[i].text, want);
        free(want);
    }
}

/* sindex_create_exp_i_x2 sent exp=<base64 of bin_int(i) * 2>. */
static void test_base64_of_text(void **state) {
    (void)state;
    aw_exp *e = parse_ok("$.i * 2");
    char *text = NULL;
    assert_int_equal(aw_exp_to_base64(e, &text, NULL), AW_OK);
    const char *req = NULL;
    json_t *list = json_object_get(tu_capture(CAPTURE), "info_direct");
    size_t k;
    json_t *x;
    json_array_foreach(list, k, x) {
        if (strcmp(json_string_value(json_object_get(x, "label")), "sindex_create_exp_i_x2") == 0)
            req = json_string_value(json_object_get(x, "request"));
    }
    assert_non_null(req);
    char want[80];
    assert_non_null(strstr(req, "exp="));
    snprintf(want, sizeof want, "exp=%s;", text);
    assert_non_null(strstr(req, want));
    aw_free(text);
    aw_exp_free(e);
}

/* ---- constructs the capture lacks, against the builder ------------------------------ */

#define B aw_exp_builder *b
typedef aw_exp_node *(*build_fn)(aw_exp_builder *);

static aw_exp_node *b_blob_map(B) {
    aw_value kv[4] = {aw_value_str("a"), aw_value_int(1), aw_value_int(2), aw_value_float(-0.5)};
    aw_value map = aw_value_map(kv, 2);
    return aw_exp_and(b, aw_exp_eq(b, aw_exp_bin_blob(b, "my-bin"), aw_exp_blob(b, "\x00\xff", 2)),
                      aw_exp_ne(b, aw_exp_value(b, &map), aw_exp_bin_map(b, "m")));
}
static aw_exp_node *b_nested_list(B) {
    aw_value inner[2] = {aw_value_str("x"), aw_value_nil()};
    aw_value items[4] = {aw_value_int(-1), aw_value_bool(true), aw_value_list(inner, 2),
                         aw_value_blob("\x01", 1)};
    aw_value list = aw_value_list(items, 4);
    return aw_exp_eq(b, aw_exp_bin_list(b, "l"), aw_exp_value(b, &list));
}
static aw_exp_node *b_escapes(B) {
    return aw_exp_eq(b, aw_exp_bin_str(b, "s"), aw_exp_strn(b, "a\"b\\c\n\t\r\0'/\x7f", 12));
}
static aw_exp_node *b_int_edges(B) {
    return aw_exp_and(b, aw_exp_gt(b, aw_exp_bin_int(b, "a"), aw_exp_int(b, INT64_MIN)),
                      aw_exp_lt(b, aw_exp_bin_int(b, "a"), aw_exp_int(b, INT64_MAX)),
                      aw_exp_ne(b, aw_exp_bin_int(b, "a"), aw_exp_int(b, -1)),
                      aw_exp_ne(b, aw_exp_bin_int(b, "b"), aw_exp_int(b, 0x7fffffffffffffff)));
}
static aw_exp_node *b_typed_forms(B) {
    return aw_exp_or(b, aw_exp_bin_bool(b, "t"), aw_exp_gt(b, aw_exp_bin_float(b, "f"),
                                                          aw_exp_bin_float(b, "g")),
                     aw_exp_eq(b, aw_exp_bin_str(b, "s"), aw_exp_bin_str(b, "u")),
                     aw_exp_geo_compare(b, aw_exp_bin_geo(b, "p"), aw_exp_bin_geo(b, "r")),
                     aw_exp_in_list(b, aw_exp_bin_hll(b, "h"), aw_exp_bin_list(b, "l")));
}
static aw_exp_node *b_negate_and_chains(B) {
    /* -$.a - 1 - 2 > ($.b + 1) + 2 */
    return aw_exp_gt(b,
                     aw_exp_sub(b, aw_exp_sub(b, aw_exp_bin_int(b, "a")), aw_exp_int(b, 1),
                                aw_exp_int(b, 2)),
                     aw_exp_add(b, aw_exp_add(b, aw_exp_bin_int(b, "b"), aw_exp_int(b, 1)),
                                aw_exp_int(b, 2)));
}
static aw_exp_node *b_float_arith(B) {
    /* $.x / 2.5 * $.y < min($.z, -3e-2) */
    return aw_exp_lt(b,
                     aw_exp_mul(b, aw_exp_div(b, aw_exp_bin_float(b, "x"), aw_exp_float(b, 2.5)),
                                aw_exp_bin_float(b, "y")),
                     aw_exp_min(b, aw_exp_bin_float(b, "z"), aw_exp_float(b, -3e-2)));
}
static aw_exp_node *b_cond_values(B) {
    return aw_exp_eq(b, aw_exp_cond(b, aw_exp_bin_bool(b, "c"), aw_exp_bin_str(b, "a"),
                                    aw_exp_str(b, "dflt")),
                     aw_exp_str(b, "x"));
}
static aw_exp_node *b_let_nested(B) {
    return aw_exp_let(b, aw_exp_def(b, "x", aw_exp_bin_int(b, "a")),
                      aw_exp_def(b, "y", aw_exp_mul(b, aw_exp_var(b, "x"), aw_exp_int(b, 2))),
                      aw_exp_let(b, aw_exp_def(b, "x", aw_exp_float(b, 1.0)),
                                 aw_exp_and(b, aw_exp_gt(b, aw_exp_var(b, "y"), aw_exp_int(b, 3)),
                                            aw_exp_lt(b, aw_exp_var(b, "x"), aw_exp_float(b, 2.0)))));
}
static aw_exp_node *b_key_and_regex(B) {
    return aw_exp_or(b, aw_exp_eq(b, aw_exp_key(b, AW_EXP_BLOB), aw_exp_blob(b, "\xab", 1)),
                     aw_exp_regex(b, AW_EXP_REGEX_EXTENDED | AW_EXP_REGEX_NEWLINE, "a|b",
                                  aw_exp_key(b, AW_EXP_STR)),
                     aw_exp_not(b, aw_exp_not(b, aw_exp_bool(b, false))));
}
static aw_exp_node *b_in_str_list(B) {
    aw_value items[2] = {aw_value_str("a"), aw_value_str("b")};
    aw_value list = aw_value_list(items, 2);
    return aw_exp_and(b, aw_exp_in_list(b, aw_exp_bin_str(b, "s"), aw_exp_value(b, &list)),
                      aw_exp_in_list(b, aw_exp_int(b, 3), aw_exp_bin_list(b, "l")));
}
static aw_exp_node *b_functions(B) {
    return aw_exp_and(
        b, aw_exp_gt(b, aw_exp_abs(b, aw_exp_bin_int(b, "a")), aw_exp_to_int(b, aw_exp_float(b, 1.5))),
        aw_exp_lt(b, aw_exp_int_count(b, aw_exp_int_not(b, aw_exp_bin_int(b, "a"))),
                  aw_exp_int_and(b, aw_exp_int(b, 3), aw_exp_int(b, 5), aw_exp_int(b, 7))),
        aw_exp_eq(b, aw_exp_unknown(b), aw_exp_int(b, 1)),
        aw_exp_ge(b, aw_exp_ceil(b, aw_exp_to_float(b, aw_exp_ttl(b))), aw_exp_float(b, 0.0)));
}

static const struct {
    const char *text;
    build_fn build;
} BUILT[] = {
    {"$.\"my-bin\" == x'00FF' and {\"a\": 1, 2: -0.5} != $.m", b_blob_map},
    {"$.l == [-1, true, ['x', nil], x\"01\"]", b_nested_list},
    {"$.s == \"a\\\"b\\\\c\\n\\t\\r\\0\\'\\/\\x7f\"", b_escapes},
    {"$.a > -9223372036854775808 and $.a < 9223372036854775807 and $.a != -0x1 and "
     "$.b != 0x7FFFFFFFFFFFFFFF",
     b_int_edges},
    {"$.t or $.f.float() > $.g or $.s.str() == $.u or geo_compare($.p, $.r) or "
     "$.h.hll() in $.l",
     b_typed_forms},
    {"-$.a - 1 - 2 > ($.b + 1) + 2", b_negate_and_chains},
    {"$.x / 2.5 * $.y < min($.z, -3e-2)", b_float_arith},
    {"cond($.c, $.a, \"dflt\") == \"x\"", b_cond_values},
    {"let(x = $.a.int(), y = x * 2, let(x = 1.0, y > 3 && x < 2.0))", b_let_nested},
    {"key_blob() == x'ab' || regex(key_str(), 'a|b', \"en\") || not not false", b_key_and_regex},
    {"$.s in ['a', 'b'] and 3 in $.l", b_in_str_list},
    {"abs($.a) > to_int(1.5) and int_count(~$.a) < (3 & 5 & 7) and unknown() == 1 and "
     "ceil(to_float(ttl())) >= 0.0",
     b_functions},
};

static void test_same_bytes_as_builder(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof BUILT / sizeof BUILT[0]; i++) {
        aw_exp_builder *b = aw_exp_builder_new();
        aw_exp *built = NULL;
        aw_error err;
        if (aw_exp_compile(b, BUILT[i].build(b), &built, &err) != AW_OK)
            fail_msg("builder for '%s': %s", BUILT[i].text, err.message);
        char *want = hex_of(built);
        expect_parse_hex(BUILT[i].text, want);
        free(want);
        aw_exp_free(built);
        aw_exp_builder_free(b);
    }
}

/* ---- precedence: each text means its fully parenthesized form ------------------------- */

static void test_precedence(void **state) {
    (void)state;
    static const char *const SAME[][2] = {
        {"$.a or $.b and $.c", "$.a or ($.b and $.c)"},
        {"$.a || $.b && $.c || $.d", "$.a or ($.b and $.c) or $.d"},
        {"not $.a and $.b", "(not $.a) and $.b"},
        {"!$.a == $.b.bool()", "not ($.a == $.b.bool())"},
        {"not not $.a", "not (not $.a)"},
        {"$.a > 1 and $.b < 2", "($.a > 1) and ($.b < 2)"},
        {"$.a + 2 * 3 > 1", "($.a + (2 * 3)) > 1"},
        {"$.a - 2 - 3 == 1", "sub($.a, 2, 3) == 1"},
        {"$.a * 2 % 3 == 1", "($.a * 2) % 3 == 1"},
        {"$.a % 2 % 3 == 1", "($.a % 2) % 3 == 1"},
        {"$.a & 1 == 1", "($.a & 1) == 1"},
        {"$.a | 1 ^ 2 & 3 == 0", "($.a | (1 ^ (2 & 3))) == 0"},
        {"1 << 2 + 1 == $.a", "(1 << (2 + 1)) == $.a"},
        {"1 << 2 >> 1 == $.a", "(1 << 2) >> 1 == $.a"},
        {"-$.a * 2 > 0", "(-$.a) * 2 > 0"},
        {"- 2 * 3 == $.a", "(-2) * 3 == $.a"},
        {"~$.a + 1 == 0", "int_not($.a) + 1 == 0"},
        {"$.a in [1, 2] or $.b", "($.a in [1, 2]) or $.b"},
        {"$.a + 1 > $.b", "add($.a, 1) > $.b.int()"},
        {"  $.a\t>\n5  ", "$.a > 5"},
    };
    for (size_t i = 0; i < sizeof SAME / sizeof SAME[0]; i++) {
        aw_exp *e = parse_ok(SAME[i][1]);
        char *want = hex_of(e);
        expect_parse_hex(SAME[i][0], want);
        free(want);
        aw_exp_free(e);
    }
}

/* ---- errors: each with its column ------------------------------------------------------- */

static const char *const ERRORS[][2] = {
    /* tokens */
    {"$.s == \"abc", "at 8: string not closed (expected \")"},
    {"\"\\q\"", "at 2: unknown escape '\\q' (known: \\\\ \\\" \\' \\n \\t \\r \\0 \\xHH)"},
    {"\"\\x4\"", "at 2: \\x needs two hex digits"},
    {"x\"0\"", "at 1: a blob x\"...\" needs an even number of hex digits"},
    {"x\"zz\"", "at 1: a blob x\"...\" holds only hex digits"},
    {"0x", "at 1: expected hex digits after '0x'"},
    {"0x11111111111111111", "at 1: hex integer longer than 16 digits (64 bits)"},
    {"0x1g", "at 4: unexpected 'g' in a hex integer"},
    {"12abc", "at 3: unexpected 'a' in a number"},
    {"1e+ > 2", "at 2: expected digits in the exponent"},
    {"1e999", "at 1: float 1e999 is out of a double's range"},
    {"9223372036854775808", "at 1: integer 9223372036854775808 is out of the 64-bit range"},
    {"-9223372036854775809", "at 2: integer 9223372036854775809 is out of the 64-bit range"},
    {"[-9223372036854775809]", "at 3: integer 9223372036854775809 is out of the 64-bit range"},
    {"$a", "at 1: expected '.' after '$' (a bin is $.name)"},
    {"$. == 1", "at 1: expected a bin name after '$.' (letters, digits, '_'; others quoted: "
                "$.\"my-bin\")"},
    {"$.abcdefghijklmnop", "at 1: bin name 'abcdefghijklmnop' is 16 bytes; a bin name is 1 to 15"},
    {"$.\"\"", "at 1: bin name '' is 0 bytes; a bin name is 1 to 15"},
    {"$.\"a\\0b\"", "at 1: a bin name cannot hold a NUL byte"},
    {"$.a == #", "at 8: unexpected character '#'"},
    {"\x01", "at 1: unexpected byte 0x01"},
    /* grammar */
    {"", "at 1: the expression is empty"},
    {"  \t", "at 4: the expression is empty"},
    {"$.a > ", "at 7: expected a value after '>'"},
    {"$.a >= )", "at 8: expected a value after '>=', found ')'"},
    {")", "at 1: expected a value, found ')'"},
    {"$.a > 5 )", "at 9: unexpected ')' after a complete expression"},
    {"(1 == 1", "at 8: expected ')' after an integer"},
    {"1 < 2 < 3", "at 7: comparisons do not chain: write a < b and b < c"},
    {"and", "at 1: expected a value, found 'and'"},
    {"1 + or", "at 5: expected a value after '+', found 'or'"},
    {"$.a > 5 and", "at 12: expected a value after 'and'"},
    {"foo(1)", "at 1: unknown function 'foo'"},
    {"bar", "at 1: unknown name 'bar' (a bin is $.bar, a function needs (), a variable needs an "
            "enclosing let)"},
    {"abs(1, 2)", "at 1: abs takes 1 argument, not 2"},
    {"pow(1.0)", "at 1: pow takes 2 arguments, not 1"},
    {"and($.a)", "at 1: and takes at least 2 arguments, not 1"},
    {"last_update(1)", "at 1: last_update takes 0 arguments, not 1"},
    {"abs(1,", "at 7: expected a value after ','"},
    {"max(1 2)", "at 7: expected ',' or ')' after an integer, found an integer"},
    {"bin_int(5)", "at 9: expected the bin's name as a string after '(', found an integer"},
    {"bin_int(\"abcdefghijklmnop\")", "at 9: bin name 'abcdefghijklmnop' must be 1 to 15 bytes, "
                                      "without NUL"},
    {"bin_exists('')", "at 12: bin name '' must be 1 to 15 bytes, without NUL"},
    {"digest_modulo(0) == 1", "at 1: digest_modulo: modulus 0"},
    {"digest_modulo(x)", "at 15: expected the modulus (an integer) after '(', found 'x'"},
    {"regex($.s)", "at 10: expected ',' and the pattern after a bin, found ')'"},
    {"regex($.s, 5)", "at 12: expected the pattern as a string after ',', found an integer"},
    {"regex($.s, \"a\", \"q\")", "at 17: regex flag 'q' is not e (extended), i (ignore case) or "
                                 "n (newline)"},
    {"regex($.s, \"a\\0\")", "at 12: a pattern cannot hold a NUL byte"},
    {"geo_compare($.g, geo(\"{}\\0\"))", "at 22: GeoJSON text cannot hold a NUL byte"},
    {"let(1)", "at 5: expected a definition (name = value) after '(', found an integer"},
    {"let(x = 1)", "at 10: expected ',' and let's body after an integer, found ')'"},
    {"let(x = 1, x, 2)", "at 13: let's body must be its last argument"},
    {"let(and = 1, 2)", "at 5: 'and' is a keyword, not a variable name"},
    {"let(x = x, 1)", "at 9: unknown name 'x' (a bin is $.x, a function needs (), a variable "
                      "needs an enclosing let)"},
    {"let(x = 1, x) == x", "at 18: unknown name 'x' (a bin is $.x, a function needs (), a "
                           "variable needs an enclosing let)"},
    {"$.a.int().float()", "at 11: .float() gives a bin its type ($.a.float()); it cannot follow "
                          "another type"},
    {"5.int()", "at 3: .int() gives a bin its type ($.a.int()); it cannot follow this value"},
    {"$.a.", "at 5: expected a method name after '.'"},
    {"$.a.nosuch()", "at 5: unknown method '.nosuch()'"},
    {"$.a.int(1)", "at 9: expected ')' after '(', found an integer"},
    {"[1, $.a]", "at 5: expected a constant (a list or map literal holds only constants) after "
                 "',', found a bin"},
    {"[1 2]", "at 4: expected ',' or ']' after an integer, found an integer"},
    {"{\"a\" 1}", "at 6: expected ':' after a string, found an integer"},
    {"{1: }", "at 5: expected a constant (a list or map literal holds only constants) after ':', "
              "found '}'"},
    {"nil(", "at 4: unexpected '(' after a complete expression"},
    /* types the tree shows */
    {"$.a > $.b", "at 1: cannot tell the type of $.a: compare it with a typed value or write "
                  "$.a.int() (.str(), .float(), ...)"},
    {"$.a == nil", "at 1: cannot tell the type of $.a: compare it with a typed value or write "
                   "$.a.int() (.str(), .float(), ...)"},
    {"let(x = $.a, x > 1)", "at 9: cannot tell the type of $.a: compare it with a typed value "
                            "or write $.a.int() (.str(), .float(), ...)"},
    {"$.a.int() > 1.5", "at 11: '>' compares int with float"},
    {"gt($.a.int(), 1.5)", "at 1: gt compares int with float"},
    {"$.a.int() + 1.5", "at 11: '+' mixes int and float (to_float() and to_int() convert)"},
    {"-\"x\"", "at 2: '-' takes int or float, this is str"},
    {"\"a\" + 1", "at 1: '+' takes int or float, this is str"},
    {"not 5", "at 5: not takes bool, this is int"},
    {"!5", "at 2: '!' takes bool, this is int"},
    {"$.a > 1 and 5", "at 13: and takes bool, this is int"},
    {"cond(1, 2, 3) == 2", "at 6: a cond's condition must be bool, this is int"},
    {"cond($.c, 1, \"x\") == 1", "at 14: cond's values must be one type: this is str, an "
                                 "earlier one int"},
    {"regex(5, \"a\")", "at 7: regex matches a str, this is int"},
    {"pow(2, 3.0) > 1.0", "at 5: pow takes float, this is int"},
    {"$.a in 5", "at 8: in takes a list on its right, this is int"},
    /* what only the compiler sees: its message names the node */
    {"$.g.geo() == $.h.geo()", "expression node eq: geo values do not compare with eq (geo: use "
                               "geo_compare)"},
};

static void test_errors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++)
        expect_error(ERRORS[i][0], ERRORS[i][1]);
}

/* Nesting is bounded (no text can exhaust the stack), far above real use. */
static void test_nesting_limit(void **state) {
    (void)state;
    char text[1200];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        text[n++] = '(';
    n += (size_t)snprintf(text + n, sizeof text - n, "$.a > 1");
    for (int i = 0; i < 100; i++)
        text[n++] = ')';
    text[n] = '\0';
    expect_parse_hex(text, "9303935102a16101");
    memset(text, '(', 400);
    text[400] = '\0';
    expect_error(text, "at 129: nested deeper than 128");
    n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "not ");
    snprintf(text + n, sizeof text - n, "true");
    expect_error(text, "at 509: nested deeper than 128");
    memset(text, '-', 300);
    snprintf(text + 300, sizeof text - 300, "1");
    expect_error(text, "at 128: nested deeper than 128");
    memset(text, '[', 300);
    text[300] = '\0';
    expect_error(text, "at 128: nested deeper than 128");
}

/* ---- into a caller's builder --------------------------------------------------------------- */

static void test_parse_node(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp_node *part = NULL;
    aw_error err;
    assert_int_equal(aw_exp_parse_node(b, "$.a > 5", &part, &err), AW_OK);
    assert_non_null(part);
    /* docs/expressions.md: bin_int("a") > 5 && since_update() < 1 h */
    aw_exp_node *root =
        aw_exp_and(b, part, aw_exp_lt(b, aw_exp_since_update(b), aw_exp_int(b, 3600000)));
    aw_exp *e = NULL;
    assert_int_equal(aw_exp_compile(b, root, &e, &err), AW_OK);
    char *text = NULL;
    assert_int_equal(aw_exp_to_base64(e, &text, &err), AW_OK);
    assert_string_equal(text, "kxCTA5NRAqFhBZMFkUPOADbugA==");
    aw_free(text);
    aw_exp_free(e);
    e = parse_ok("$.a > 5 and since_update() < 3600000");
    assert_int_equal(aw_exp_to_base64(e, &text, &err), AW_OK);
    assert_string_equal(text, "kxCTA5NRAqFhBZMFkUPOADbugA==");
    aw_free(text);
    aw_exp_free(e);

    /* A parse error leaves the builder usable; *root untouched. */
    aw_exp_node *none = (aw_exp_node *)&err;
    assert_int_equal(aw_exp_parse_node(b, "$.a >", &none, &err), AW_ERR_PARAM);
    assert_ptr_equal(none, (aw_exp_node *)&err);
    assert_string_equal(err.message, "at 6: expected a value after '>'");
    assert_int_equal(aw_exp_compile(b, root, &e, &err), AW_OK);
    aw_exp_free(e);
    /* So does a constructor's refusal, reported with its column. */
    assert_int_equal(aw_exp_parse_node(b, "digest_modulo(0) == 1", &none, &err), AW_ERR_PARAM);
    assert_string_equal(err.message, "at 1: digest_modulo: modulus 0");
    assert_int_equal(aw_exp_compile(b, root, &e, &err), AW_OK);
    aw_exp_free(e);

    /* A builder that already failed gives its first error back. */
    assert_null(aw_exp_bin_int(b, ""));
    assert_int_equal(aw_exp_parse_node(b, "$.a > 5", &part, &err), AW_ERR_BAD_NAME);
    expect_contains(err.message, "bin name ''");
    aw_exp_builder_free(b);

    assert_int_equal(aw_exp_parse_node(NULL, "1", &part, &err), AW_ERR_PARAM);
    assert_string_equal(err.message, "exp parse: NULL builder");
    b = aw_exp_builder_new();
    assert_int_equal(aw_exp_parse_node(b, NULL, &part, &err), AW_ERR_PARAM);
    assert_string_equal(err.message, "exp parse: NULL text");
    assert_int_equal(aw_exp_parse_node(b, "1", NULL, &err), AW_ERR_PARAM);
    assert_string_equal(err.message, "exp parse: NULL root");
    aw_exp_builder_free(b);
    assert_int_equal(aw_exp_parse("1", NULL, &err), AW_ERR_PARAM);
    assert_string_equal(err.message, "exp parse: NULL out");
    /* err may be NULL */
    assert_int_equal(aw_exp_parse("$.a >", &e, NULL), AW_ERR_PARAM);
}

/* Out of memory anywhere fails cleanly (ASan/LSan check nothing leaks). */
static void test_allocation_failures(void **state) {
    (void)state;
    const char *text = "let(x = $.a.int(), cond(x in [1, 2, {\"k\": 'v'}], \"a\", x > 2, "
                       "\"b\", 'c')) == $.s";
    for (long n = 1;; n++) {
        aw_exp *e = NULL;
        aw_error err;
        tu_failalloc_on(n);
        int rc = aw_exp_parse(text, &e, &err);
        tu_failalloc_off();
        if (rc == AW_OK) {
            aw_exp_free(e);
            assert_true(n > 3);
            break;
        }
        assert_null(e);
        if (rc != AW_ERR_NOMEM)
            fail_msg("allocation %ld failing gave %d %s", n, rc, err.message);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_examples),
        cmocka_unit_test(test_size_method),
        cmocka_unit_test(test_captured_expressions_as_text),
        cmocka_unit_test(test_base64_of_text),
        cmocka_unit_test(test_same_bytes_as_builder),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_parse_node),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("exp_parse", tests, NULL, NULL);
}
