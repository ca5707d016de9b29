/*
 * aw-testd's select and modify by path (CDT op 0xfe) and the loop variables
 * of their expressions. No capture holds these: every case states the
 * answer a real CE 8.1.2.0 server gave to the same request (result code,
 * reply bytes, the record afterwards), and the requests are built with the
 * client's aw_op_select_by_path / aw_op_modify_by_path, so the bytes are
 * what an application sends. scripts/testd-path-diff checks many random
 * ones against a real server as well.
 *
 * With AW_PATH_REAL_PORT set (e.g. 3000), the same cases run against the
 * real server on 127.0.0.1 at that port instead, which is how their answers
 * were checked; the cases marked aw-testd only (what aw-testd refuses with
 * 16 because the server crashes or answers garbage) are then skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "proto/request.h"
#include "support/testd_proc.h"
#include "support/testd_req.h"
#include "support/testutil.h"

static tu_testd server;
static uint16_t real_port; /* nonzero: the cases run against a real server */

static int setup(void **state) {
    (void)state;
    const char *real = getenv("AW_PATH_REAL_PORT");
    if (real && *real) {
        real_port = (uint16_t)atoi(real);
        return 0;
    }
    const char *args[] = {"--namespaces", "test", NULL};
    return tu_testd_start(&server, args);
}

static int teardown(void **state) {
    (void)state;
    return real_port ? 0 : tu_testd_stop_group(&server);
}

static uint16_t port(void) { return real_port ? real_port : server.ports[0]; }

static aw_key key_of(const char *s) {
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, "test", "twpath-suite", s, &err), AW_OK);
    return k;
}

/* Runs ops on k; the reply in *r. */
static int operate(const aw_key *k, const aw_op *ops, size_t n, tu_reply *r) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_operate(&req, k, ops, n, NULL, &err), AW_OK);
    return tu_exec_free(port(), &req, r);
}

/* k written afresh with list bin "p" = [1, 20, 5, 30], map bin "m" =
 * {"a": 1, "b": 2, "c": 3}, nested map bin "n" = {"x": [1, 15, {"y": 7}],
 * "z": [20]} and int bin "i" = 5: generation 1. */
static void fresh(const aw_key *k) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    tu_reply r;
    assert_int_equal(aw_req_delete(&req, k, NULL, &err), AW_OK);
    tu_exec_free(port(), &req, &r);
    tu_reply_free(&r);
    static aw_value p[4], m[6], y[2], x[3], z[1], n[4];
    p[0] = aw_value_int(1), p[1] = aw_value_int(20), p[2] = aw_value_int(5), p[3] = aw_value_int(30);
    m[0] = aw_value_str("a"), m[1] = aw_value_int(1), m[2] = aw_value_str("b");
    m[3] = aw_value_int(2), m[4] = aw_value_str("c"), m[5] = aw_value_int(3);
    y[0] = aw_value_str("y"), y[1] = aw_value_int(7);
    x[0] = aw_value_int(1), x[1] = aw_value_int(15), x[2] = aw_value_map(y, 1);
    z[0] = aw_value_int(20);
    n[0] = aw_value_str("x"), n[1] = aw_value_list(x, 3), n[2] = aw_value_str("z");
    n[3] = aw_value_list(z, 1);
    aw_bin bins[] = {{"p", aw_value_list(p, 4)},
                     {"m", aw_value_map(m, 3)},
                     {"n", aw_value_map(n, 2)},
                     {"i", aw_value_int(5)}};
    aw_buf_init(&req);
    assert_int_equal(aw_req_write(&req, k, bins, 4, NULL, &err), AW_OK);
    assert_int_equal(tu_exec_free(port(), &req, &r), 0);
    tu_reply_free(&r);
}

/* The reply's op i holds the msgpack `hex`. */
static void expect_op(const tu_reply *r, uint16_t i, const char *name, const char *hex) {
    assert_true(i < r->n_ops);
    const aw_op_view *op = &r->ops[i];
    assert_int_equal(op->name_len, strlen(name));
    assert_memory_equal(op->name, name, op->name_len);
    char *got = tu_hex_encode(op->value, op->value_len);
    if (strcmp(got, hex) != 0)
        fail_msg("op %u (%s): %s, want %s", i, name, got, hex);
    free(got);
}

/* Reads bin `name` of k: code 0, the generation and its msgpack `hex`. */
static void expect_bin(const aw_key *k, const char *name, uint32_t gen, const char *hex) {
    aw_op rd = aw_op_read(name);
    tu_reply r;
    assert_int_equal(operate(k, &rd, 1, &r), 0);
    assert_int_equal(r.gen, gen);
    expect_op(&r, 0, name, hex);
    tu_reply_free(&r);
}

static aw_exp *compile(aw_exp_node *(*fn)(aw_exp_builder *)) {
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = NULL;
    aw_error err;
    assert_int_equal(aw_exp_compile(b, fn(b), &e, &err), AW_OK);
    aw_exp_builder_free(b);
    return e;
}

#define LOOP_INT(b) aw_exp_loopvar((b), AW_EXP_INT, AW_EXP_LOOPVAR_VALUE)
#define EXP_FN(name, body) \
    static aw_exp_node *name(aw_exp_builder *b) { return (body); }
EXP_FN(x_gt10, aw_exp_gt(b, LOOP_INT(b), aw_exp_int(b, 10)))
EXP_FN(x_plus1, aw_exp_add(b, LOOP_INT(b), aw_exp_int(b, 1)))
EXP_FN(x_neg, aw_exp_sub(b, aw_exp_int(b, 0), LOOP_INT(b)))
EXP_FN(x_remove, aw_exp_remove_result(b))
EXP_FN(x_index, aw_exp_loopvar(b, AW_EXP_INT, AW_EXP_LOOPVAR_INDEX))
EXP_FN(x_key_is_b, aw_exp_eq(b, aw_exp_loopvar(b, AW_EXP_STR, AW_EXP_LOOPVAR_KEY),
                             aw_exp_str(b, "b")))
EXP_FN(x_str_value, aw_exp_loopvar(b, AW_EXP_STR, AW_EXP_LOOPVAR_VALUE))
EXP_FN(x_bin_gt1, aw_exp_gt(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 1)))
EXP_FN(x_three, aw_exp_int(b, 3))
EXP_FN(x_digest, aw_exp_eq(b, aw_exp_digest_modulo(b, 3), aw_exp_int(b, 0)))
/* Removes what is over 10, keeps the rest: the server refuses to build it
 * (exp.c build_cond: the branches' types differ). */
EXP_FN(x_remove_big, aw_exp_cond(b, aw_exp_gt(b, LOOP_INT(b), aw_exp_int(b, 10)),
                                 aw_exp_remove_result(b), LOOP_INT(b)))

/* Every select type on a filtered list and a map picked by keys.
 * CE 8.1.2.0: [20, 30] both as values and as the matching tree; {"a": 1,
 * "c": 3} as values [1, 3], keys ["a", "c"], key-value pairs and tree. */
static void test_select_types(void **state) {
    (void)state;
    aw_key k = key_of("types");
    fresh(&k);
    aw_exp *gt10 = compile(x_gt10);
    aw_ctx_item big_i = aw_ctx_all_children_with_filter(gt10);
    aw_value ac[2] = {aw_value_str("a"), aw_value_str("c")};
    aw_ctx_item some_i = aw_ctx_map_keys_in(aw_value_list(ac, 2));
    aw_ctx big = {&big_i, 1}, some = {&some_i, 1};
    aw_op ops[] = {
        aw_op_select_by_path("p", &big, AW_PATH_SELECT_VALUE),
        aw_op_select_by_path("p", &big, AW_PATH_SELECT_MATCHING_TREE),
        aw_op_select_by_path("m", &some, AW_PATH_SELECT_VALUE),
        aw_op_select_by_path("m", &some, AW_PATH_SELECT_MAP_KEY),
        aw_op_select_by_path("m", &some, AW_PATH_SELECT_MAP_KEY_VALUE),
        aw_op_select_by_path("m", &some, AW_PATH_SELECT_MATCHING_TREE),
    };
    tu_reply r;
    assert_int_equal(operate(&k, ops, 6, &r), 0);
    assert_int_equal(r.gen, 1);
    expect_op(&r, 0, "p", "92141e");
    expect_op(&r, 1, "p", "92141e");
    expect_op(&r, 2, "m", "920103");
    expect_op(&r, 3, "m", "92a20361a20363");
    expect_op(&r, 4, "m", "94a2036101a2036303");
    expect_op(&r, 5, "m", "82a2036101a2036303");
    tu_reply_free(&r);
    aw_exp_free(gt10);
}

/* Two levels: every value of the map, then the elements over 10 of each.
 * The {"y": 7} under "x" is not an int: its filter is unknown, which is
 * PARAMETER (4) unless NO_FAIL makes it false. CE 8.1.2.0: 4; with NO_FAIL
 * values [15, 20] and the tree {"x": [15], "z": [20]}. */
static void test_two_levels_and_no_fail(void **state) {
    (void)state;
    aw_key k = key_of("levels");
    fresh(&k);
    aw_exp *gt10 = compile(x_gt10);
    aw_ctx_item items[2] = {aw_ctx_all_children(), aw_ctx_all_children_with_filter(gt10)};
    aw_ctx path = {items, 2};
    tu_reply r;
    aw_op strict = aw_op_select_by_path("n", &path, AW_PATH_SELECT_VALUE);
    assert_int_equal(operate(&k, &strict, 1, &r), AW_ERR_REQUEST_INVALID);
    tu_reply_free(&r);
    aw_op ops[] = {
        aw_op_select_by_path("n", &path, AW_PATH_SELECT_VALUE | AW_PATH_NO_FAIL),
        aw_op_select_by_path("n", &path, AW_PATH_SELECT_MATCHING_TREE | AW_PATH_NO_FAIL),
    };
    assert_int_equal(operate(&k, ops, 2, &r), 0);
    expect_op(&r, 0, "n", "920f14");
    expect_op(&r, 1, "n", "82a20378910fa2037a9114");
    tu_reply_free(&r);
    aw_exp_free(gt10);
}

/* Loop variables: a map key in a filter (CE 8.1.2.0: [2]); a list index as
 * the new value (the list becomes [0, 1, 2, 3]). */
static void test_loop_variables(void **state) {
    (void)state;
    aw_key k = key_of("loopvars");
    fresh(&k);
    aw_exp *key_is_b = compile(x_key_is_b), *index = compile(x_index);
    aw_ctx_item b_i = aw_ctx_all_children_with_filter(key_is_b), all_i = aw_ctx_all_children();
    aw_ctx b_only = {&b_i, 1}, all = {&all_i, 1};
    aw_op ops[] = {
        aw_op_select_by_path("m", &b_only, AW_PATH_SELECT_VALUE),
        aw_op_modify_by_path("p", &all, index, 0),
    };
    tu_reply r;
    assert_int_equal(operate(&k, ops, 2, &r), 0);
    expect_op(&r, 0, "m", "9102");
    tu_reply_free(&r);
    expect_bin(&k, "p", 2, "9400010203");
    aw_exp_free(key_is_b);
    aw_exp_free(index);
}

/* Modify by path: +1 on what is over 10 (CE 8.1.2.0: [1, 21, 5, 31]), then
 * result_remove on the same (the list is [1, 5]), then result_remove on the
 * nested map's list elements over 10 ({"x": [1, {"y": 7}], "z": []}: NO_FAIL
 * keeps the map the filter cannot read). A cond choosing between
 * result_remove and a value does not build: 4. */
static void test_modify_and_remove(void **state) {
    (void)state;
    aw_key k = key_of("modify");
    fresh(&k);
    aw_exp *gt10 = compile(x_gt10), *plus1 = compile(x_plus1), *rm = compile(x_remove),
           *rm_big = compile(x_remove_big);
    aw_ctx_item big_i = aw_ctx_all_children_with_filter(gt10);
    aw_ctx big = {&big_i, 1};
    aw_ctx_item two[2] = {aw_ctx_all_children(), aw_ctx_all_children_with_filter(gt10)};
    aw_ctx nested = {two, 2};
    tu_reply r;
    aw_op add = aw_op_modify_by_path("p", &big, plus1, 0);
    assert_int_equal(operate(&k, &add, 1, &r), 0);
    assert_int_equal(r.n_ops, 0); /* no result */
    tu_reply_free(&r);
    expect_bin(&k, "p", 2, "940115051f");
    aw_op del = aw_op_modify_by_path("p", &big, rm, 0);
    assert_int_equal(operate(&k, &del, 1, &r), 0);
    tu_reply_free(&r);
    expect_bin(&k, "p", 3, "920105");
    aw_op del_nested = aw_op_modify_by_path("n", &nested, rm, AW_PATH_NO_FAIL);
    assert_int_equal(operate(&k, &del_nested, 1, &r), 0);
    tu_reply_free(&r);
    aw_op mixed = aw_op_modify_by_path("n", &nested, rm_big, AW_PATH_NO_FAIL);
    assert_int_equal(operate(&k, &mixed, 1, &r), AW_ERR_REQUEST_INVALID);
    tu_reply_free(&r);
    expect_bin(&k, "n", 4, "82a20378920181a2037907a2037a90");
    aw_exp_free(gt10);
    aw_exp_free(plus1);
    aw_exp_free(rm);
    aw_exp_free(rm_big);
}

/* A modify expression that is unknown (a string read of an int): 1
 * (AS_ERR_UNKNOWN) and nothing changes; with NO_FAIL every element stays
 * as it was, and the record is written (generation 2). CE 8.1.2.0. */
static void test_modify_unknown(void **state) {
    (void)state;
    aw_key k = key_of("unknown");
    fresh(&k);
    aw_exp *str = compile(x_str_value);
    aw_ctx_item all_i = aw_ctx_all_children();
    aw_ctx all = {&all_i, 1};
    tu_reply r;
    aw_op strict = aw_op_modify_by_path("p", &all, str, 0);
    assert_int_equal(operate(&k, &strict, 1, &r), AW_ERR_SERVER);
    tu_reply_free(&r);
    expect_bin(&k, "p", 1, "940114051e");
    aw_op lenient = aw_op_modify_by_path("p", &all, str, AW_PATH_NO_FAIL);
    assert_int_equal(operate(&k, &lenient, 1, &r), 0);
    tu_reply_free(&r);
    expect_bin(&k, "p", 2, "940114051e");
    aw_exp_free(str);
}

/* An ordered list is sorted again after its elements change: 0 - v of
 * [1, 5, 20, 30] is [-30, -20, -5, -1] (CE 8.1.2.0, cdt.c
 * list_buf_check_and_order); the list stays ordered. */
static void test_ordered_list_resorted(void **state) {
    (void)state;
    aw_key k = key_of("ordered");
    fresh(&k);
    aw_exp *neg = compile(x_neg);
    aw_ctx_item all_i = aw_ctx_all_children();
    aw_ctx all = {&all_i, 1};
    aw_op ops[] = {aw_cdt_list_set_order("p", NULL, AW_LIST_ORDERED),
                   aw_op_modify_by_path("p", &all, neg, 0)};
    tu_reply r;
    assert_int_equal(operate(&k, ops, 2, &r), 0);
    tu_reply_free(&r);
    expect_bin(&k, "p", 2, "95c70001e2ecfbff");
    aw_exp_free(neg);
}

/* What the server refuses (CE 8.1.2.0): keys asked of a list (12, or
 * nothing with NO_FAIL), a filter that is not an expression of a list (4),
 * a bin read in a filter (unknown: 4, nothing with NO_FAIL), a path op on
 * an int bin (12), a modify on a missing bin (12); a select on a missing
 * bin answers nothing. Generation 1 throughout: nothing was written. */
static void test_errors(void **state) {
    (void)state;
    aw_key k = key_of("errors");
    fresh(&k);
    aw_exp *three = compile(x_three), *bin = compile(x_bin_gt1), *plus1 = compile(x_plus1);
    aw_ctx_item all_i = aw_ctx_all_children(), three_i = aw_ctx_all_children_with_filter(three),
                bin_i = aw_ctx_all_children_with_filter(bin);
    aw_ctx all = {&all_i, 1}, by_three = {&three_i, 1}, by_bin = {&bin_i, 1};
    struct {
        aw_op op;
        int code;
        const char *hex; /* the reply op, NULL for none */
    } cases[] = {
        {aw_op_select_by_path("p", &all, AW_PATH_SELECT_MAP_KEY), AW_ERR_BIN_INCOMPATIBLE_TYPE, NULL},
        {aw_op_select_by_path("p", &all, AW_PATH_SELECT_MAP_KEY | AW_PATH_NO_FAIL), 0, "90"},
        {aw_op_select_by_path("p", &by_three, AW_PATH_SELECT_VALUE), AW_ERR_REQUEST_INVALID, NULL},
        {aw_op_select_by_path("p", &by_bin, AW_PATH_SELECT_VALUE), AW_ERR_REQUEST_INVALID, NULL},
        {aw_op_select_by_path("p", &by_bin, AW_PATH_SELECT_VALUE | AW_PATH_NO_FAIL), 0, "90"},
        {aw_op_select_by_path("i", &all, AW_PATH_SELECT_VALUE), AW_ERR_BIN_INCOMPATIBLE_TYPE, NULL},
        {aw_op_modify_by_path("nope", &all, plus1, 0), AW_ERR_BIN_INCOMPATIBLE_TYPE, NULL},
        {aw_op_select_by_path("nope", &all, AW_PATH_SELECT_VALUE), 0, NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        tu_reply r;
        int code = operate(&k, &cases[c].op, 1, &r);
        if (code != cases[c].code)
            fail_msg("case %zu: code %d, want %d", c, code, cases[c].code);
        if (cases[c].hex)
            expect_op(&r, 0, "p", cases[c].hex); /* every case with a reply reads "p" */
        else
            assert_int_equal(r.n_ops, 0);
        tu_reply_free(&r);
    }
    expect_bin(&k, "p", 1, "940114051e");
    aw_exp_free(three);
    aw_exp_free(bin);
    aw_exp_free(plus1);
}

/* The same inside expressions (a CALL of op 0xfe, exp.c parse_op_call
 * takes it whole): select by path of the list bin, and a modify by path
 * of it (a changed copy; the bin stays). CE 8.1.2.0: [20, 30] and
 * [1, 21, 5, 31], bin "p" unchanged. */
static aw_ctx_item big_item;
static aw_exp *gt10_exp;
static aw_exp_node *x_select_big(aw_exp_builder *b) {
    aw_ctx path = {&big_item, 1};
    return aw_exp_select_by_path(b, &path, AW_EXP_LIST, AW_PATH_SELECT_VALUE,
                                 aw_exp_bin_list(b, "p"));
}
static aw_exp_node *x_modify_big(aw_exp_builder *b) {
    aw_ctx path = {&big_item, 1};
    return aw_exp_modify_by_path(b, &path, AW_EXP_LIST, x_plus1(b), 0, aw_exp_bin_list(b, "p"));
}

static void test_paths_in_expressions(void **state) {
    (void)state;
    aw_key k = key_of("in-exp");
    fresh(&k);
    gt10_exp = compile(x_gt10);
    big_item = aw_ctx_all_children_with_filter(gt10_exp);
    aw_exp *sel = compile(x_select_big), *mod = compile(x_modify_big);
    aw_op ops[] = {aw_op_exp_read("s", sel, 0), aw_op_exp_read("t", mod, 0)};
    tu_reply r;
    assert_int_equal(operate(&k, ops, 2, &r), 0);
    expect_op(&r, 0, "s", "92141e");
    expect_op(&r, 1, "t", "940115051f");
    tu_reply_free(&r);
    expect_bin(&k, "p", 1, "940114051e");
    aw_exp_free(sel);
    aw_exp_free(mod);
    aw_exp_free(gt10_exp);
}

/* Outside a path the loop variables are unknown (exp.c
 * rt_init_builtin_vars: no table of them): a filter of one is 27
 * FILTERED_OUT, an expression read of one 26, or nil with EVAL_NO_FAIL.
 * CE 8.1.2.0. */
static void test_loop_variables_outside_a_path(void **state) {
    (void)state;
    aw_key k = key_of("outside");
    fresh(&k);
    aw_exp *gt10 = compile(x_gt10), *index = compile(x_index);
    aw_op rd = aw_op_read("i");
    aw_req_opts o = {.filter = gt10};
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_operate(&req, &k, &rd, 1, &o, &err), AW_OK);
    tu_reply r;
    assert_int_equal(tu_exec_free(port(), &req, &r), AW_FILTERED_OUT);
    tu_reply_free(&r);
    aw_op strict = aw_op_exp_read("x", index, 0);
    assert_int_equal(operate(&k, &strict, 1, &r), AW_ERR_OP_NOT_APPLICABLE);
    tu_reply_free(&r);
    aw_op lenient = aw_op_exp_read("x", index, AW_EXP_READ_EVAL_NO_FAIL);
    assert_int_equal(operate(&k, &lenient, 1, &r), 0);
    assert_int_equal(r.n_ops, 1); /* the client asks for every op's result: a nil */
    assert_int_equal(r.ops[0].particle, 0);
    assert_int_equal(r.ops[0].value_len, 0);
    tu_reply_free(&r);
    aw_exp_free(gt10);
    aw_exp_free(index);
}

/* aw-testd only: record metadata in a path expression makes CE 8.1.2.0
 * dereference the record it does not have (exp.c eval_meta_digest_mod:
 * rt->ctx->r) and crash, and a rank item on a list that does not end the
 * bin makes it read past the bin's end (cdt_select_list), answering 1 or 4
 * by what follows. aw-testd refuses both with 16 and changes nothing. */
static void test_refused(void **state) {
    (void)state;
    if (real_port)
        skip();
    aw_key k = key_of("refused");
    fresh(&k);
    aw_exp *digest = compile(x_digest), *plus1 = compile(x_plus1);
    aw_ctx_item meta_i = aw_ctx_all_children_with_filter(digest);
    aw_ctx meta = {&meta_i, 1};
    aw_ctx_item rank_path[2] = {aw_ctx_map_key(aw_value_str("x")), aw_ctx_list_rank(0)};
    aw_ctx rank = {rank_path, 2};
    aw_op ops[] = {
        aw_op_select_by_path("p", &meta, AW_PATH_SELECT_VALUE),
        aw_op_modify_by_path("p", &meta, plus1, 0),
        aw_op_select_by_path("n", &rank, AW_PATH_SELECT_VALUE),
    };
    for (size_t c = 0; c < sizeof ops / sizeof *ops; c++) {
        tu_reply r;
        int code = operate(&k, &ops[c], 1, &r);
        if (code != AW_ERR_UNSUPPORTED_FEATURE)
            fail_msg("case %zu: code %d, want 16", c, code);
        tu_reply_free(&r);
    }
    expect_bin(&k, "p", 1, "940114051e");
    aw_exp_free(digest);
    aw_exp_free(plus1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_types),
        cmocka_unit_test(test_two_levels_and_no_fail),
        cmocka_unit_test(test_loop_variables),
        cmocka_unit_test(test_modify_and_remove),
        cmocka_unit_test(test_modify_unknown),
        cmocka_unit_test(test_ordered_list_resorted),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_paths_in_expressions),
        cmocka_unit_test(test_loop_variables_outside_a_path),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
