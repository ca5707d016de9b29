/*
 * aw-testd answers the list, HLL and mixed-op commands of the official C
 * client's CDT capture (tests/data/official-c-client-cdt.json, CE 8.1.2.0)
 * as the real server did: each section is replayed in capture order and
 * every reply compared byte for byte with the real one (the void time, a
 * clock reading, aside). What aw-testd does not serve must be refused with
 * 16 and nothing else; those commands are named below, so serving one more
 * (or losing one) shows up here.
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
#include "proto/msgpack.h"
#include "proto/particle.h"
#include "proto/request.h"
#include "support/capture_replay.h"
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

/* The list commands of the capture aw-testd refuses with 16 (docs/testd.md
 * "What it refuses"). Every other list command of the capture must get the
 * real server's reply. */
static const char *const REFUSED[] = {
    NULL, /* none in this capture */
};

/* Replays the capture from `first` to `last`: each reply must be the real
 * one, or 16 for a command listed in `refused` (tu_replay_capture). */
static tu_replay_counts replay_refusing(const char *first, const char *last,
                                        const char *const *refused) {
    tu_replay_counts n =
        tu_replay_capture(server.ports[0], "official-c-client-cdt.json", first, last, refused);
    printf("  %s .. %s: %zu as the real server, %zu refused with 16, %zu not compared after "
           "a refusal, %zu wrong\n",
           first, last, n.matched, n.refused, n.skipped, n.wrong);
    assert_int_equal(n.wrong, 0);
    assert_true(n.matched > 0);
    return n;
}

static void replay(const char *first, const char *last) { replay_refusing(first, last, REFUSED); }

/* The whole list section of the capture: records la, ls, lo, lr, the mixed
 * and tuple lists, the type errors and missing bins. */
static void test_list_commands_as_captured(void **state) {
    (void)state;
    replay("list_append_creates_record", "list_get_record_le");
}

/* The HLL section of the capture, in its order: init, add (index and
 * minhash bits, CREATE_ONLY, NO_FAIL, UPDATE_ONLY), describe, set_union
 * (creating, mixed bits, ALLOW_FOLD), refresh_count, fold, get_count,
 * get_union, union, intersect counts and similarity (0.2222..., and the NaN
 * of minhash sketches with nothing in common: the server's own arithmetic
 * followed step for step gives its doubles bit for bit, so no tolerance),
 * the error cases (4 bit counts out of range, 6, 12, 17, 26) and the bins
 * read back whole as particle type 18. */
static void test_hll_commands_as_captured(void **state) {
    (void)state;
    tu_replay_counts n = tu_replay_capture(server.ports[0], "official-c-client-cdt.json",
                                           "hll_init_index_8", "hll_get_record_3", NULL);
    assert_int_equal(n.wrong, 0);
    assert_int_equal(n.matched, 36);
}

/* The commands that mix every kind of op, HLL ones among them, on one
 * record: respond-all, read-all rules, an error in a later op. */
static void test_mixed_commands_as_captured(void **state) {
    (void)state;
    tu_replay_counts n = tu_replay_capture(server.ports[0], "official-c-client-cdt.json",
                                           "combo_put", "combo_get_record", NULL);
    assert_int_equal(n.wrong, 0);
    assert_int_equal(n.matched, 9);
}

/* The context commands of the capture whose last op is a map op aw-testd
 * does not serve yet (on a key-ordered map, map create / set-type): 16. */
static const char *const CTX_REFUSED[] = {
    "ctx1_list_index_negative_map_read",         /* get_by_key in a key-ordered map */
    "ctx_create_on_read_op",                     /* size of a key-value-ordered map */
    "ctx_map_create_nested",                     /* map create (set-type) */
    "ctx_map_create_existing_nested",            /* map create (set-type) */
    "ctx_map_set_policy_nested_persist_dropped", /* map set-type */
    NULL,
};

/* The captured request `label` sent to aw-testd; *real = the real
 * server's reply frame (malloc'd). */
static int send_captured(const char *label, tu_reply *ours, uint8_t **real, size_t *real_len) {
    json_t *c = tu_capture_command("official-c-client-cdt.json", label);
    size_t len;
    uint8_t *req = tu_hex_decode(json_string_value(json_object_get(c, "request_hex")), &len);
    aw_buf b;
    aw_buf_init(&b);
    aw_buf_put(&b, req, len);
    free(req);
    *real = tu_hex_decode(json_string_value(json_array_get(json_object_get(c, "reply_hex"), 0)),
                          real_len);
    return tu_exec_free(server.ports[0], &b, ours);
}

/* Bin `name` of a reply frame as msgpack bytes (len 0: not there). */
static const uint8_t *frame_bin(const uint8_t *frame, size_t len, const char *name,
                                uint32_t *bin_len) {
    aw_msg_view m;
    size_t used;
    aw_op_view op;
    *bin_len = 0;
    assert_int_equal(aw_msg_parse(frame + 8, len - 8, &m, &used, NULL), AW_OK);
    aw_msg_iter it = aw_msg_ops(&m);
    while (aw_msg_next_op(&it, &op))
        if (op.name_len == strlen(name) && memcmp(op.name, name, op.name_len) == 0) {
            *bin_len = op.value_len;
            return op.value;
        }
    return NULL;
}

/* The record cc after the commands the replay above sends but cannot
 * compare (the refused map create leaves cc without "z"): the list creates
 * under a map key gave "y" an ordered list (flag 0xe2), "w" an unordered one
 * (0xa2), "v" an ordered one with its persist index dropped, and bins p and
 * q are as the real server's last get of cc shows; only "z" (map create)
 * and b's order (map set-type) differ. A write into a scalar is 12. */
static void check_cc_after_map_create(void) {
    tu_reply ours;
    uint8_t *real;
    size_t real_len;
    assert_int_equal(send_captured("ctx_get_record_cc_3", &ours, &real, &real_len), AW_OK);
    uint32_t a_len, b_len;
    for (const char *const *bin = (const char *const[]){"p", "q", NULL}; *bin; bin++) {
        const uint8_t *x = frame_bin(ours.frame, ours.len, *bin, &a_len);
        const uint8_t *y = frame_bin(real, real_len, *bin, &b_len);
        assert_true(x && y && a_len == b_len && memcmp(x, y, a_len) == 0);
    }
    aw_arena arena;
    aw_arena_init(&arena, 0);
    aw_value got, want;
    size_t used;
    const uint8_t *x = frame_bin(ours.frame, ours.len, "n", &a_len);
    const uint8_t *y = frame_bin(real, real_len, "n", &b_len);
    assert_int_equal(aw_msgpack_read(x, a_len, &got, &arena, &used, NULL), AW_OK);
    assert_int_equal(aw_msgpack_read(y, b_len, &want, &arena, &used, NULL), AW_OK);
    assert_int_equal(got.len + 1, want.len); /* no "z" */
    size_t compared = 0;
    for (uint32_t i = 0; i < want.len; i++) {
        const aw_value *k = &want.u.items[2 * i];
        if (k->len == 1 && (k->u.str[0] == 'z' || k->u.str[0] == 'b'))
            continue;
        uint32_t j = 0;
        while (j < got.len && !aw_value_equal(&got.u.items[2 * j], k))
            j++;
        assert_true(j < got.len);
        aw_buf e1, e2;
        aw_buf_init(&e1);
        aw_buf_init(&e2);
        assert_int_equal(aw_msgpack_write(&e1, &got.u.items[2 * j + 1], NULL), AW_OK);
        assert_int_equal(aw_msgpack_write(&e2, &want.u.items[2 * i + 1], NULL), AW_OK);
        if (e1.len != e2.len || memcmp(e1.data, e2.data, e1.len) != 0)
            fail_msg("n.%.*s: %s, real server %s", (int)k->len, k->u.str,
                     tu_hex_encode(e1.data, e1.len), tu_hex_encode(e2.data, e2.len));
        aw_buf_free(&e1);
        aw_buf_free(&e2);
        compared++;
    }
    assert_int_equal(compared, 4); /* a, v, w, y */
    aw_arena_free(&arena);
    tu_reply_free(&ours);
    free(real);
    int code = send_captured("ctx_write_into_scalar_element", &ours, &real, &real_len);
    assert_int_equal(code, real[8 + 5]); /* 12 */
    tu_reply_free(&ours);
    free(real);
}

/* Every command with a context (records cx and cc, the error cases) and the
 * bit op with one, replayed from the nested put on: each the real server's
 * reply but the map ops refused above. */
static void test_context_commands_as_captured(void **state) {
    (void)state;
    tu_replay_counts n = replay_refusing("ctx_put_nested", "ctx_write_into_scalar_element",
                                         CTX_REFUSED);
    /* 49 commands; today 39 as the real server, 3 refused (the others
     * listed come after a refused write) and 7 skipped: the commands on
     * record cc after the map create, which check_cc_after_map_create
     * covers until the map ops are served. */
    assert_int_equal(n.matched + n.refused + n.skipped, 49);
    assert_true(n.matched >= 39);
    if (n.skipped > 0)
        check_cc_after_map_create();
    /* A bit op with a context: 4, on record be as the capture left it. */
    n = replay_refusing("bit_put_scalar_bins", "bit_get_with_ctx", NULL);
    assert_int_equal(n.matched, 4);
}

/* Sends one op on bin `bin` of key "edges" and returns the result code;
 * *out = the op's result as msgpack (an integer result as a msgpack int). */
static int op_call(aw_op op, const char *bin, aw_buf *out) {
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, "test", "replay", "edges", &err), AW_OK);
    aw_buf req;
    aw_buf_init(&req);
    assert_int_equal(aw_req_operate(&req, &k, &op, 1, NULL, &err), AW_OK);
    tu_reply r;
    int rc = tu_exec_free(server.ports[0], &req, &r);
    aw_buf_init(out);
    const aw_op_view *v = rc == 0 ? tu_reply_op(&r, bin) : NULL;
    if (v && v->particle == AW_PT_INTEGER) {
        aw_value i = aw_value_int((int64_t)aw_load_u64be(v->value));
        assert_int_equal(aw_msgpack_write(out, &i, NULL), AW_OK);
    } else if (v) {
        aw_buf_put(out, v->value, v->value_len);
    }
    tu_reply_free(&r);
    return rc;
}

static int list_call(const char *bin, aw_op_type type, uint16_t code, const aw_value *args,
                     uint8_t n, aw_buf *out) {
    return op_call(aw_op_cdt(type, bin, code, args, n), bin, out);
}

static void expect_result(const char *bin, aw_op_type type, uint16_t code, const aw_value *args, uint8_t n,
                          const aw_value *want) {
    aw_buf got, exp;
    assert_int_equal(list_call(bin, type, code, args, n, &got), AW_OK);
    aw_buf_init(&exp);
    assert_int_equal(aw_msgpack_write(&exp, want, NULL), AW_OK);
    if (got.len != exp.len || memcmp(got.data, exp.data, exp.len) != 0)
        fail_msg("list code %u: result %s, want %s", code, tu_hex_encode(got.data, got.len),
                 tu_hex_encode(exp.data, exp.len));
    aw_buf_free(&got);
    aw_buf_free(&exp);
}

static void expect_code(const char *bin, aw_op_type type, uint16_t code, const aw_value *args, uint8_t n,
                        int want) {
    aw_buf got;
    int rc = list_call(bin, type, code, args, n, &got);
    aw_buf_free(&got);
    if (rc != want)
        fail_msg("list code %u: result code %d, want %d", code, rc, want);
}

/* Cases the capture does not hold, as the server's source decides them
 * (as/src/base/particle_list.c, cdt.c at the CE 8.1 tag). */
static void test_list_edges_from_server_source(void **state) {
    (void)state;
    aw_value three[] = {aw_value_int(3), aw_value_int(1), aw_value_int(2)};
    aw_value put[] = {aw_value_list(three, 3)};
    aw_value size = aw_value_int(3);
    expect_result("l", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put, 1, &size);

    /* Rank-range return types on a by-index op: ordered lists only (26). */
    aw_value rank_range[] = {aw_value_int(AW_RETURN_RANK_RANGE), aw_value_int(0),
                             aw_value_int(2)};
    expect_code("l", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX_RANGE, rank_range, 3,
                AW_ERR_OP_NOT_APPLICABLE);
    /* INVERTED on a single-result op (26), KEY on a list (26). */
    aw_value inverted_one[] = {aw_value_int(AW_RETURN_VALUE | AW_RETURN_INVERTED),
                               aw_value_int(0)};
    expect_code("l", AW_OP_CDT_READ, AW_LIST_GET_BY_RANK, inverted_one, 2, AW_ERR_OP_NOT_APPLICABLE);
    aw_value key_rt[] = {aw_value_int(AW_RETURN_KEY), aw_value_int(0)};
    expect_code("l", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX, key_rt, 2, AW_ERR_OP_NOT_APPLICABLE);

    /* A run starting far below the list (calc_index_count_multi): empty. */
    aw_value far_below[] = {aw_value_int(AW_RETURN_COUNT), aw_value_int(INT64_MIN),
                            aw_value_int(5)};
    aw_value zero = aw_value_int(0);
    expect_result("l", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX_RANGE, far_below, 3, &zero);
    /* A relative rank far above (calc_rel_index_count): an empty list. */
    aw_value far_above[] = {aw_value_int(AW_RETURN_VALUE), aw_value_int(2),
                            aw_value_int(INT64_MAX)};
    aw_value empty = aw_value_list(NULL, 0);
    expect_result("l", AW_OP_CDT_READ, AW_LIST_GET_BY_VALUE_REL_RANK_RANGE, far_above, 3, &empty);
    /* RANK_RANGE of a rank run: [first rank, count] clipped to the list
     * (result_data_set_range). */
    aw_value ranks[] = {aw_value_int(AW_RETURN_RANK_RANGE), aw_value_int(1), aw_value_int(5)};
    aw_value one_two[] = {aw_value_int(1), aw_value_int(2)};
    aw_value run = aw_value_list(one_two, 2);
    expect_result("l", AW_OP_CDT_READ, AW_LIST_GET_BY_RANK_RANGE, ranks, 3, &run);

    /* Remove everything outside [2, 3): 3 and 1, in index order; 2 stays. */
    aw_value outside[] = {aw_value_int(AW_RETURN_VALUE | AW_RETURN_INVERTED), aw_value_int(2),
                          aw_value_int(3)};
    aw_value three_one[] = {aw_value_int(3), aw_value_int(1)};
    aw_value removed = aw_value_list(three_one, 2);
    expect_result("l", AW_OP_CDT_MODIFY, AW_LIST_REMOVE_BY_VALUE_INTERVAL, outside, 3, &removed);
    aw_value all[] = {aw_value_int(AW_RETURN_VALUE), aw_value_int(0)};
    aw_value two[] = {aw_value_int(2)};
    aw_value left = aw_value_list(two, 1);
    expect_result("l", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX_RANGE, all, 2, &left);
}

/* Ordered lists where the capture has no case (particle_list.c
 * packed_list_add_items_ordered, packed_list_replace_ordered, list_insert,
 * packed_list_get_remove_by_index_range). */
static void test_ordered_list_edges_from_server_source(void **state) {
    (void)state;
    aw_value vals[] = {aw_value_int(5), aw_value_int(1), aw_value_int(3)};
    aw_value create[] = {aw_value_list(vals, 3), aw_value_int(AW_LIST_ORDERED)};
    aw_value size = aw_value_int(3);
    expect_result("o", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, create, 2, &size);
    aw_value all[] = {aw_value_int(AW_RETURN_VALUE), aw_value_int(0)};
    aw_value sorted_vals[] = {aw_value_int(1), aw_value_int(3), aw_value_int(5)};
    aw_value sorted = aw_value_list(sorted_vals, 3);
    expect_result("o", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX_RANGE, all, 2, &sorted);

    /* No index past the end, no insert by index in an ordered list. */
    aw_value past_end[] = {aw_value_int(5), aw_value_int(1)};
    expect_code("o", AW_OP_CDT_MODIFY, AW_LIST_INCREMENT, past_end, 2, AW_ERR_OP_NOT_APPLICABLE);
    aw_value ins[] = {aw_value_int(0), aw_value_list(vals, 1)};
    expect_code("o", AW_OP_CDT_MODIFY, AW_LIST_INSERT_ITEMS, ins, 2, AW_ERR_OP_NOT_APPLICABLE);

    /* ADD_UNIQUE|NO_FAIL|PARTIAL: a value given twice is added once. */
    aw_value fours[] = {aw_value_int(4), aw_value_int(4)};
    aw_value unique[] = {aw_value_list(fours, 2), aw_value_int(AW_LIST_ORDERED),
                         aw_value_int(AW_LIST_WRITE_ADD_UNIQUE | AW_LIST_WRITE_NO_FAIL |
                                      AW_LIST_WRITE_PARTIAL)};
    aw_value four = aw_value_int(4);
    expect_result("o", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, unique, 3, &four);

    /* Ranks are indexes: a rank run's RANK_RANGE is served (26 unordered). */
    aw_value ranks[] = {aw_value_int(AW_RETURN_RANK_RANGE), aw_value_int(1), aw_value_int(2)};
    aw_value one_two[] = {aw_value_int(1), aw_value_int(2)};
    aw_value run = aw_value_list(one_two, 2);
    expect_result("o", AW_OP_CDT_READ, AW_LIST_GET_BY_RANK_RANGE, ranks, 3, &run);
}

/* The op value [0xff, ctx, [code, args...]] as the two arguments of code
 * 0xff: ctx items (type, value, ...) and the op. */
typedef struct ctx_op {
    aw_value wrap[2];
    aw_value inner[4];
} ctx_op;

static const aw_value *with_ctx(ctx_op *o, aw_value *ctx, size_t n_ctx, uint16_t code,
                                const aw_value *args, uint8_t n) {
    o->inner[0] = aw_value_int(code);
    for (uint8_t i = 0; i < n; i++)
        o->inner[1 + i] = args[i];
    o->wrap[0] = aw_value_list(ctx, n_ctx);
    o->wrap[1] = aw_value_list(o->inner, 1 + n);
    return o->wrap;
}

#define CTX(...) (aw_value[]){__VA_ARGS__}, sizeof((aw_value[]){__VA_ARGS__}) / sizeof(aw_value)
#define I aw_value_int
#define S aw_value_str
enum { CTX_OP = 0xff };

/* Contexts where the capture has no case, as the server's source decides
 * them (as/src/base/cdt.c cdt_context_dig, cdt_context_ctx_type_create_sz;
 * particle_list.c list_subcontext_by_*, cdt_context_unwind_list;
 * particle_map.c map_subcontext_by_*); every answer but the two refusals
 * was also seen on CE 8.1.2.0. Never send those two to a real server: the
 * index -9 one stops CE 8.1.2.0. */
static void test_context_edges_from_server_source(void **state) {
    (void)state;
    ctx_op o;
    aw_value first[] = {I(3), I(1), I(2)};
    aw_value k_one[] = {I(1)};
    aw_value kv[] = {S("k"), aw_value_list(k_one, 1)};
    aw_value nested[] = {aw_value_list(first, 3), I(5), aw_value_map(kv, 1)};
    aw_value put[] = {aw_value_list(nested, 3)};
    aw_value three = I(3), one = I(1), zero = I(0);
    expect_result("c", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put, 1, &three);

    /* Types without a list or map bit select by their low nibble in
     * either kind of container (cdt_context_dig). */
    expect_result("c", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x00), I(0)), AW_LIST_SIZE, NULL, 0), 2, &three);
    expect_result("c", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x10), I(2), I(0x02), S("k")), AW_LIST_SIZE, NULL, 0), 2,
                  &one);
    /* A scalar on the way (not at the end, that is 12) is 26; an odd item
     * count is PARAMETER. */
    expect_code("c", AW_OP_CDT_READ, CTX_OP,
                with_ctx(&o, CTX(I(0x10), I(1), I(0x10), I(0)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_OP_NOT_APPLICABLE);
    expect_code("c", AW_OP_CDT_READ, CTX_OP, with_ctx(&o, CTX(I(0x10)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_REQUEST_INVALID);
    /* A context into a bin that is no list or map: PARAMETER, not 12. */
    aw_buf out;
    assert_int_equal(op_call(aw_op_write("i", I(1)), "i", &out), AW_OK);
    aw_buf_free(&out);
    expect_code("i", AW_OP_CDT_READ, CTX_OP,
                with_ctx(&o, CTX(I(0x10), I(0)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_REQUEST_INVALID);

    /* Rank in an unordered list: [[2], [0], [1]], rank 0 is index 1. */
    aw_value two_l[] = {I(2)}, zero_l[] = {I(0)}, one_l[] = {I(1)};
    aw_value ranked[] = {aw_value_list(two_l, 1), aw_value_list(zero_l, 1),
                         aw_value_list(one_l, 1)};
    aw_value put_ranked[] = {aw_value_list(ranked, 3)};
    expect_result("r", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put_ranked, 1, &three);
    aw_value seven[] = {I(7)};
    aw_value two = I(2);
    expect_result("r", AW_OP_CDT_MODIFY, CTX_OP,
                  with_ctx(&o, CTX(I(0x11), I(0)), AW_LIST_APPEND, seven, 1), 2, &two);
    aw_value zero_seven[] = {I(0), I(7)};
    aw_value after_rank[] = {aw_value_list(two_l, 1), aw_value_list(zero_seven, 2),
                             aw_value_list(one_l, 1)};
    aw_value want = aw_value_list(after_rank, 3);
    aw_value from0[] = {I(0)};
    expect_result("r", AW_OP_CDT_READ, AW_LIST_GET_RANGE, from0, 1, &want);

    /* An element of an ordered list that a context op changes moves to
     * where it now sorts; one a create flag adds past the end of an
     * ordered list goes there too (cdt_context_unwind_list,
     * list_subcontext_by_index). */
    aw_value five_l[] = {I(5)}, nine_l[] = {I(9)};
    aw_value sorted[] = {aw_value_list(five_l, 1), aw_value_list(one_l, 1),
                         aw_value_list(nine_l, 1)};
    aw_value put_sorted[] = {aw_value_list(sorted, 3), I(AW_LIST_ORDERED)};
    expect_result("o2", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put_sorted, 2, &three);
    aw_value by_ten[] = {I(0), I(10)};
    aw_value eleven = I(11);
    expect_result("o2", AW_OP_CDT_MODIFY, CTX_OP,
                  with_ctx(&o, CTX(I(0x10), I(0)), AW_LIST_INCREMENT, by_ten, 2), 2, &eleven);
    aw_value zero_v[] = {I(0)};
    expect_result("o2", AW_OP_CDT_MODIFY, CTX_OP,
                  with_ctx(&o, CTX(I(0x10 | 0xc0), I(10)), AW_LIST_APPEND, zero_v, 1), 2, &one);
    aw_value eleven_l[] = {I(11)};
    aw_value moved[] = {aw_value_list(zero_l, 1), aw_value_list(five_l, 1),
                        aw_value_list(nine_l, 1), aw_value_list(eleven_l, 1)};
    want = aw_value_list(moved, 4);
    expect_result("o2", AW_OP_CDT_READ, AW_LIST_GET_RANGE, from0, 1, &want);

    /* Creating in an ordered list from an index below -1, or from a rank
     * item, takes the server into cdt_context_fill_create with what it
     * cannot handle (CE 8.1.2.0 stopped on the first): refused, but 26 for
     * a read, which creates nothing. */
    expect_code("o2", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x10 | 0xc0), I(-9)), AW_LIST_APPEND, zero_v, 1), 2,
                AW_ERR_UNSUPPORTED_FEATURE);
    expect_code("o2", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x11 | 0x40), I(4)), AW_LIST_APPEND, zero_v, 1), 2,
                AW_ERR_UNSUPPORTED_FEATURE);
    expect_code("o2", AW_OP_CDT_READ, CTX_OP,
                with_ctx(&o, CTX(I(0x10 | 0xc0), I(-9)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_OP_NOT_APPLICABLE);
    expect_result("o2", AW_OP_CDT_READ, AW_LIST_GET_RANGE, from0, 1, &want);

    /* Map index is key order, map rank value order (map_subcontext_by_*). */
    aw_value put_b[] = {S("b"), aw_value_list(one_l, 1)};
    aw_value put_a[] = {S("a"), aw_value_list(two_l, 1)};
    aw_value put_c[] = {S("c"), aw_value_list(zero_l, 1)};
    expect_result("m", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_b, 2, &one);
    expect_result("m", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_a, 2, &two);
    expect_result("m", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_c, 2, &three);
    expect_result("m", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x20), I(0)), AW_LIST_GET, from0, 1), 2, &two);
    expect_result("m", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x21), I(0)), AW_LIST_GET, from0, 1), 2, &zero);
    expect_result("m", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x21), I(-2)), AW_LIST_GET, from0, 1), 2, &one);

    /* Once a create flag triggers, every later item must be able to make
     * its container: a list rank cannot (26), nor may a later item ask for
     * a persisted index (26). A read creates nothing (26), and an op that
     * only takes away is a no-op that makes nothing. */
    expect_code("m", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("zz"), I(0x11), I(0)), AW_LIST_APPEND, seven,
                         1),
                2, AW_ERR_OP_NOT_APPLICABLE);
    expect_code("m", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("zz"), I(0x10 | 0x140), I(0)), AW_LIST_APPEND,
                         seven, 1),
                2, AW_ERR_OP_NOT_APPLICABLE);
    expect_code("m", AW_OP_CDT_READ, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("zz")), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_OP_NOT_APPLICABLE);
    expect_code("m", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("zz")), AW_LIST_POP, from0, 1), 2, AW_OK);
    expect_result("m", AW_OP_CDT_READ, AW_MAP_SIZE, NULL, 0, &three);

    /* A key a context creates in an unordered map whose keys are in order
     * goes before the first larger one (packed_map_find_key_maybe_unordered). */
    aw_value put_a1[] = {S("a"), I(1)}, put_c3[] = {S("c"), I(3)};
    expect_result("m2", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_a1, 2, &one);
    expect_result("m2", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_c3, 2, &two);
    expect_result("m2", AW_OP_CDT_MODIFY, CTX_OP,
                  with_ctx(&o, CTX(I(0x22 | 0x40), S("b")), AW_LIST_APPEND, k_one, 1), 2, &one);
    aw_value abc[] = {S("a"), I(1), S("b"), aw_value_list(k_one, 1), S("c"), I(3)};
    want = aw_value_map(abc, 3);
    aw_buf got, exp;
    assert_int_equal(op_call(aw_op_read("m2"), "m2", &got), AW_OK);
    aw_buf_init(&exp);
    assert_int_equal(aw_msgpack_write(&exp, &want, NULL), AW_OK);
    assert_int_equal(got.len, exp.len);
    assert_memory_equal(got.data, exp.data, exp.len);
    aw_buf_free(&got);
    aw_buf_free(&exp);
}

/* A read code in a modify op and a modify code in a read op are PARAMETER
 * whatever they would do (particle_list.c / particle_map.c
 * cdt_process_state_packed_*_modify_optype and *_read_optype know only
 * their own codes), after the bin type check (12); a read op of a missing
 * bin runs nothing. Seen on CE 8.1.2.0. */
static void test_op_type_mismatch_is_parameter(void **state) {
    (void)state;
    ctx_op o;
    aw_value two_l[] = {I(2)};
    aw_value items[] = {I(1), aw_value_list(two_l, 1)};
    aw_value put[] = {aw_value_list(items, 2)};
    aw_value two = I(2), one = I(1);
    expect_result("w", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put, 1, &two);
    aw_value first[] = {I(AW_RETURN_VALUE), I(0)};
    aw_value far[] = {I(AW_RETURN_VALUE), I(5)};
    aw_value kv[] = {S("k"), I(1)};
    expect_code("w", AW_OP_CDT_MODIFY, AW_LIST_SIZE, NULL, 0, AW_ERR_REQUEST_INVALID);
    expect_code("w", AW_OP_CDT_MODIFY, AW_LIST_GET_BY_INDEX, first, 2, AW_ERR_REQUEST_INVALID);
    expect_code("w", AW_OP_CDT_READ, AW_LIST_REMOVE_BY_INDEX, far, 2, AW_ERR_REQUEST_INVALID);
    expect_code("w", AW_OP_CDT_MODIFY, AW_MAP_SIZE, NULL, 0, AW_ERR_BIN_INCOMPATIBLE_TYPE);
    expect_code("nobin", AW_OP_CDT_MODIFY, AW_LIST_SIZE, NULL, 0, AW_ERR_REQUEST_INVALID);
    expect_code("nobin", AW_OP_CDT_READ, AW_LIST_CLEAR, NULL, 0, AW_OK);
    expect_result("wm", AW_OP_CDT_MODIFY, AW_MAP_PUT, kv, 2, &one);
    expect_code("wm", AW_OP_CDT_MODIFY, AW_MAP_SIZE, NULL, 0, AW_ERR_REQUEST_INVALID);
    /* The same under a context, also where the context would create. */
    expect_code("w", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x10), I(1)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_REQUEST_INVALID);
    expect_code("w", AW_OP_CDT_READ, CTX_OP, with_ctx(&o, CTX(I(0x10), I(1)), AW_LIST_CLEAR, NULL, 0),
                2, AW_ERR_REQUEST_INVALID);
    expect_code("wm", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("new")), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_REQUEST_INVALID);
    aw_value whole[] = {I(0)};
    aw_value left = aw_value_list(items, 2);
    expect_result("w", AW_OP_CDT_READ, AW_LIST_GET_RANGE, whole, 1, &left);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_commands_as_captured),
        cmocka_unit_test(test_hll_commands_as_captured),
        cmocka_unit_test(test_mixed_commands_as_captured),
        cmocka_unit_test(test_context_commands_as_captured),
        cmocka_unit_test(test_list_edges_from_server_source),
        cmocka_unit_test(test_ordered_list_edges_from_server_source),
        cmocka_unit_test(test_context_edges_from_server_source),
        cmocka_unit_test(test_op_type_mismatch_is_parameter),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
