/*
 * aw-testd answers the list and map commands of the official C client's CDT
 * capture (tests/data/official-c-client-cdt.json, CE 8.1.2.0) as the real
 * server did: the list and map sections are replayed in capture order on a
 * fresh aw-testd and every reply compared byte for byte with the real one
 * (the void time, a clock reading, aside). What aw-testd does not serve must be refused with
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
    /* HLL ops (aw-testd refuses them) next to list, map and bit ops. */
    "combo_all_kinds_respond_all_ops",
    "combo_cdt_modify_then_read_all_rejected",
    NULL,
};

/* Replays the capture from `first` to `last`: each reply must be the real
 * one, or 16 for a command listed in REFUSED (tu_replay_capture); then the
 * counts must be the ones given, so a command that stops being answered as
 * the real server did (or starts to be) shows. */
static void replay(const char *first, const char *last, size_t matched, size_t refused,
                   size_t skipped) {
    tu_replay_counts n =
        tu_replay_capture(server.ports[0], "official-c-client-cdt.json", first, last, REFUSED);
    printf("  %s .. %s: %zu as the real server, %zu refused with 16, %zu not compared after "
           "a refusal, %zu wrong\n",
           first, last, n.matched, n.refused, n.skipped, n.wrong);
    assert_int_equal(n.wrong, 0);
    assert_int_equal(n.matched, matched);
    assert_int_equal(n.refused, refused);
    assert_int_equal(n.skipped, skipped);
}

/* The whole list section of the capture: records la, ls, lo, lr, the mixed
 * and tuple lists, the type errors and missing bins. */
static void test_list_commands_as_captured(void **state) {
    (void)state;
    replay("list_append_creates_record", "list_get_record_le", 215, 0, 0);
}

/* The whole map section of the capture (none of it has a context): puts
 * with every write flag and the legacy codes, key types, increments,
 * set-type and create (key-ordered, key-value-ordered, persist index),
 * every get/remove-by op with every return type and INVERTED on the
 * unordered map mr, reads of the key-ordered and key-value-ordered mk, the
 * errors. Then the mixed commands and the ordered maps written whole: the
 * two mixed commands with HLL ops are refused, which leaves record co
 * unlike the real one (the four commands after them on co, with list and
 * map ops, are not compared); the four on record op are. */
static void test_map_commands_as_captured(void **state) {
    (void)state;
    replay("map_put_creates_record", "map_get_by_index_range_return_type_10", 242, 0, 0);
    replay("combo_put", "delete_co", 7, 1, 6);
}

/* Sends one list op on bin `bin` of key "edges" and returns the result code;
 * *out = the op's result as msgpack (an integer result as a msgpack int). */
static int list_call(const char *bin, aw_op_type type, uint16_t code, const aw_value *args, uint8_t n,
                     aw_buf *out) {
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, "test", "replay", "edges", &err), AW_OK);
    aw_op op = aw_op_cdt(type, bin, code, args, n);
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_commands_as_captured),
        cmocka_unit_test(test_map_commands_as_captured),
        cmocka_unit_test(test_list_edges_from_server_source),
        cmocka_unit_test(test_ordered_list_edges_from_server_source),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
