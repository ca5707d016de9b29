/*
 * List, map, bit and HLL functions inside expressions (aerowire/exp_cdt.h),
 * select/modify by path, and the expression ops (aw_op_exp_read/write):
 *   - every builder against the bytes the official C client's as_exp_*
 *     macros produce for the same call (the GOLDEN table below was printed by
 *     a program linked with the official client's libaerospike, built from
 *     aerospike-client-c; each row names the macro it came from);
 *   - ill-typed calls refused by aw_exp_compile naming the node, and bad
 *     flags refused by the op encoder.
 * (The captured operates with expression ops are rebuilt whole in test_exp.c.)
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
#include "aerowire/ops_hll.h"
#include "proto/buf.h"
#include "proto/msg.h"
#include "proto/msgpack.h"
#include "proto/reply.h"
#include "proto/request.h"
#include "support/capture_inputs.h"
#include "support/testutil.h"

#define B aw_exp_builder *b

/* ---- the goldens --------------------------------------------------------- */

static const aw_ctx_item LIST_CTX_ITEMS[] = {{AW_CTX_LIST_INDEX, {.type = AW_INT, .u.i = 1}}};
static const aw_ctx LIST_CTX = {LIST_CTX_ITEMS, 1};
static aw_ctx_item map_ctx_items[1];
static aw_ctx map_ctx = {map_ctx_items, 1};
static aw_ctx_item path_items[2];
static aw_ctx path_ctx = {path_items, 2};
static aw_ctx_item filter_items[1];
static aw_ctx filter_ctx = {filter_items, 1};
static aw_exp *filter_exp, *mod_exp;

static const aw_list_policy LPOL = {AW_LIST_ORDERED, AW_LIST_WRITE_ADD_UNIQUE | AW_LIST_WRITE_NO_FAIL};
static const aw_map_policy MPOL = {AW_MAP_KEY_ORDERED, AW_MAP_WRITE_CREATE_ONLY, AW_MAP_MODE_PUT};

static aw_exp_node *L(B) { return aw_exp_bin_list(b, "l"); }
static aw_exp_node *M(B) { return aw_exp_bin_map(b, "m"); }
static aw_exp_node *BB(B) { return aw_exp_bin_blob(b, "b"); }
static aw_exp_node *HB(B) { return aw_exp_bin_hll(b, "h"); }
static aw_exp_node *HL(B) { return aw_exp_bin_list(b, "hl"); }
static aw_exp_node *I(B, int64_t v) { return aw_exp_int(b, v); }
static aw_exp_node *S(B, const char *s) { return aw_exp_str(b, s); }
/* [7, 8], quoted as C7.5 quotes an as_list. */
static aw_exp_node *VALS(B) {
    static const aw_value items[2] = {{.type = AW_INT, .u.i = 7}, {.type = AW_INT, .u.i = 8}};
    aw_value list = aw_value_list((aw_value *)items, 2);
    return aw_exp_value(b, &list);
}
static aw_exp_node *ZMAP(B) { /* {"z": 26} */
    aw_value kv[2] = {aw_value_str("z"), aw_value_int(26)};
    aw_value map = aw_value_map(kv, 1);
    return aw_exp_value(b, &map);
}
static const uint8_t BLOB[2] = {0xf0, 0x0f};
static aw_exp_node *BLOB2(B) { return aw_exp_blob(b, BLOB, 2); }
static aw_exp_node *BLOB1(B) { return aw_exp_blob(b, BLOB, 1); }

#define INV AW_RETURN_INVERTED
#define GOLD(name, expr) static aw_exp_node *name(B) { return (expr); }

GOLD(list_size_ctx, aw_exp_list_size(b, &LIST_CTX, L(b)))
GOLD(list_get_by_value, aw_exp_list_get_by_value(b, NULL, AW_RETURN_INDEX, I(b, 7), L(b)))
GOLD(list_get_by_value_range, aw_exp_list_get_by_value_range(b, NULL, AW_RETURN_VALUE, I(b, 1), aw_exp_inf(b), L(b)))
GOLD(list_get_by_value_list, aw_exp_list_get_by_value_list(b, NULL, AW_RETURN_COUNT | INV, VALS(b), L(b)))
GOLD(list_rel_to_end, aw_exp_list_get_by_value_rel_rank_range_to_end(b, NULL, AW_RETURN_VALUE, I(b, 5), I(b, -1), L(b)))
GOLD(list_rel, aw_exp_list_get_by_value_rel_rank_range(b, NULL, AW_RETURN_RANK, I(b, 5), I(b, 0), I(b, 2), L(b)))
GOLD(list_get_by_index, aw_exp_list_get_by_index(b, &LIST_CTX, AW_RETURN_VALUE, AW_EXP_STR, I(b, 0), L(b)))
GOLD(list_index_to_end, aw_exp_list_get_by_index_range_to_end(b, NULL, AW_RETURN_VALUE, I(b, 1), L(b)))
GOLD(list_index_range, aw_exp_list_get_by_index_range(b, NULL, AW_RETURN_EXISTS, I(b, 1), I(b, 2), L(b)))
GOLD(list_get_by_rank, aw_exp_list_get_by_rank(b, NULL, AW_RETURN_VALUE, AW_EXP_INT, I(b, -1), L(b)))
GOLD(list_rank_to_end, aw_exp_list_get_by_rank_range_to_end(b, NULL, AW_RETURN_VALUE, I(b, 1), L(b)))
GOLD(list_rank_range, aw_exp_list_get_by_rank_range(b, NULL, AW_RETURN_REVERSE_RANK, I(b, 0), I(b, 3), L(b)))
GOLD(list_append_pol, aw_exp_list_append(b, NULL, &LPOL, I(b, 1), L(b)))
GOLD(list_append_items, aw_exp_list_append_items(b, &LIST_CTX, NULL, VALS(b), L(b)))
GOLD(list_insert_pol, aw_exp_list_insert(b, NULL, &LPOL, I(b, 0), S(b, "x"), L(b)))
GOLD(list_insert_items, aw_exp_list_insert_items(b, NULL, NULL, I(b, 1), VALS(b), L(b)))
GOLD(list_increment_pol, aw_exp_list_increment(b, NULL, &LPOL, I(b, 0), I(b, 5), L(b)))
GOLD(list_set, aw_exp_list_set(b, NULL, NULL, I(b, 2), I(b, 9), L(b)))
GOLD(list_clear, aw_exp_list_clear(b, NULL, L(b)))
GOLD(list_sort, aw_exp_list_sort(b, NULL, AW_LIST_SORT_DESCENDING, L(b)))
GOLD(list_rm_value, aw_exp_list_remove_by_value(b, NULL, AW_RETURN_NONE, I(b, 7), L(b)))
GOLD(list_rm_value_list, aw_exp_list_remove_by_value_list(b, NULL, AW_RETURN_NONE | INV, VALS(b), L(b)))
GOLD(list_rm_value_range, aw_exp_list_remove_by_value_range(b, NULL, AW_RETURN_NONE, aw_exp_nil(b), I(b, 10), L(b)))
GOLD(list_rm_rel_to_end, aw_exp_list_remove_by_value_rel_rank_range_to_end(b, NULL, AW_RETURN_NONE, I(b, 5), I(b, 1), L(b)))
GOLD(list_rm_rel, aw_exp_list_remove_by_value_rel_rank_range(b, NULL, AW_RETURN_NONE, I(b, 5), I(b, 1), I(b, 2), L(b)))
GOLD(list_rm_index, aw_exp_list_remove_by_index(b, &LIST_CTX, I(b, 0), L(b)))
GOLD(list_rm_index_to_end, aw_exp_list_remove_by_index_range_to_end(b, NULL, AW_RETURN_NONE, I(b, 2), L(b)))
GOLD(list_rm_index_range, aw_exp_list_remove_by_index_range(b, NULL, AW_RETURN_NONE, I(b, 0), I(b, 2), L(b)))
GOLD(list_rm_rank, aw_exp_list_remove_by_rank(b, NULL, I(b, 0), L(b)))
GOLD(list_rm_rank_to_end, aw_exp_list_remove_by_rank_range_to_end(b, NULL, AW_RETURN_NONE, I(b, -2), L(b)))
GOLD(list_rm_rank_range, aw_exp_list_remove_by_rank_range(b, NULL, AW_RETURN_NONE, I(b, 0), I(b, 1), L(b)))

GOLD(map_size_ctx, aw_exp_map_size(b, &map_ctx, M(b)))
GOLD(map_key_range, aw_exp_map_get_by_key_range(b, NULL, AW_RETURN_KEY_VALUE, S(b, "a"), S(b, "c"), M(b)))
GOLD(map_key_list, aw_exp_map_get_by_key_list(b, NULL, AW_RETURN_KEY, VALS(b), M(b)))
GOLD(map_key_rel_to_end, aw_exp_map_get_by_key_rel_index_range_to_end(b, NULL, AW_RETURN_COUNT, S(b, "b"), I(b, 0), M(b)))
GOLD(map_key_rel, aw_exp_map_get_by_key_rel_index_range(b, NULL, AW_RETURN_ORDERED_MAP, S(b, "b"), I(b, 0), I(b, 1), M(b)))
GOLD(map_get_by_value, aw_exp_map_get_by_value(b, NULL, AW_RETURN_KEY, I(b, 24), M(b)))
GOLD(map_value_range, aw_exp_map_get_by_value_range(b, NULL, AW_RETURN_UNORDERED_MAP, I(b, 10), I(b, 20), M(b)))
GOLD(map_value_list, aw_exp_map_get_by_value_list(b, NULL, AW_RETURN_VALUE, VALS(b), M(b)))
GOLD(map_value_rel_to_end, aw_exp_map_get_by_value_rel_rank_range_to_end(b, NULL, AW_RETURN_KEY, I(b, 12), I(b, 0), M(b)))
GOLD(map_value_rel, aw_exp_map_get_by_value_rel_rank_range(b, NULL, AW_RETURN_INDEX, I(b, 12), I(b, 0), I(b, 1), M(b)))
GOLD(map_get_by_index, aw_exp_map_get_by_index(b, &map_ctx, AW_RETURN_KEY, AW_EXP_STR, I(b, 0), M(b)))
GOLD(map_index_to_end, aw_exp_map_get_by_index_range_to_end(b, NULL, AW_RETURN_VALUE, I(b, 1), M(b)))
GOLD(map_index_range, aw_exp_map_get_by_index_range(b, NULL, AW_RETURN_KEY_VALUE, I(b, 0), I(b, 2), M(b)))
GOLD(map_get_by_rank, aw_exp_map_get_by_rank(b, NULL, AW_RETURN_VALUE, AW_EXP_INT, I(b, -1), M(b)))
GOLD(map_rank_to_end, aw_exp_map_get_by_rank_range_to_end(b, NULL, AW_RETURN_KEY, I(b, 1), M(b)))
GOLD(map_rank_range, aw_exp_map_get_by_rank_range(b, NULL, AW_RETURN_RANK, I(b, 0), I(b, 2), M(b)))
GOLD(map_put_pol, aw_exp_map_put(b, NULL, &MPOL, S(b, "d"), I(b, 4), M(b)))
GOLD(map_put_items_pol, aw_exp_map_put_items(b, NULL, &MPOL, ZMAP(b), M(b)))
GOLD(map_put_items, aw_exp_map_put_items(b, &map_ctx, NULL, ZMAP(b), M(b)))
GOLD(map_increment_pol, aw_exp_map_increment(b, NULL, &MPOL, S(b, "a"), I(b, 1), M(b)))
GOLD(map_increment, aw_exp_map_increment(b, NULL, NULL, S(b, "a"), I(b, 1), M(b)))
GOLD(map_clear, aw_exp_map_clear(b, NULL, M(b)))
GOLD(map_rm_key, aw_exp_map_remove_by_key(b, NULL, S(b, "a"), M(b)))
GOLD(map_rm_key_list, aw_exp_map_remove_by_key_list(b, NULL, AW_RETURN_NONE, VALS(b), M(b)))
GOLD(map_rm_key_range, aw_exp_map_remove_by_key_range(b, NULL, AW_RETURN_NONE, S(b, "a"), S(b, "b"), M(b)))
GOLD(map_rm_key_rel_to_end, aw_exp_map_remove_by_key_rel_index_range_to_end(b, NULL, AW_RETURN_NONE, S(b, "a"), I(b, 1), M(b)))
GOLD(map_rm_key_rel, aw_exp_map_remove_by_key_rel_index_range(b, NULL, AW_RETURN_NONE, S(b, "a"), I(b, 1), I(b, 1), M(b)))
GOLD(map_rm_value, aw_exp_map_remove_by_value(b, NULL, AW_RETURN_NONE, I(b, 12), M(b)))
GOLD(map_rm_value_list, aw_exp_map_remove_by_value_list(b, NULL, AW_RETURN_NONE, VALS(b), M(b)))
GOLD(map_rm_value_range, aw_exp_map_remove_by_value_range(b, NULL, AW_RETURN_NONE, I(b, 0), I(b, 13), M(b)))
GOLD(map_rm_value_rel_to_end, aw_exp_map_remove_by_value_rel_rank_range_to_end(b, NULL, AW_RETURN_NONE, I(b, 12), I(b, 1), M(b)))
GOLD(map_rm_value_rel, aw_exp_map_remove_by_value_rel_rank_range(b, NULL, AW_RETURN_NONE, I(b, 12), I(b, 1), I(b, 1), M(b)))
GOLD(map_rm_index, aw_exp_map_remove_by_index(b, &map_ctx, I(b, 0), M(b)))
GOLD(map_rm_index_to_end, aw_exp_map_remove_by_index_range_to_end(b, NULL, AW_RETURN_NONE, I(b, 1), M(b)))
GOLD(map_rm_index_range, aw_exp_map_remove_by_index_range(b, NULL, AW_RETURN_NONE, I(b, 0), I(b, 1), M(b)))
GOLD(map_rm_rank, aw_exp_map_remove_by_rank(b, NULL, I(b, 0), M(b)))
GOLD(map_rm_rank_to_end, aw_exp_map_remove_by_rank_range_to_end(b, NULL, AW_RETURN_NONE, I(b, 1), M(b)))
GOLD(map_rm_rank_range, aw_exp_map_remove_by_rank_range(b, NULL, AW_RETURN_NONE, I(b, 0), I(b, 1), M(b)))

GOLD(bit_resize, aw_exp_bit_resize(b, AW_BIT_WRITE_UPDATE_ONLY, I(b, 4), AW_BIT_RESIZE_FROM_FRONT, BB(b)))
GOLD(bit_insert, aw_exp_bit_insert(b, 0, I(b, 1), BLOB2(b), BB(b)))
GOLD(bit_remove, aw_exp_bit_remove(b, 0, I(b, 0), I(b, 1), BB(b)))
GOLD(bit_set, aw_exp_bit_set(b, AW_BIT_WRITE_UPDATE_ONLY, I(b, 0), I(b, 16), BLOB2(b), BB(b)))
GOLD(bit_or, aw_exp_bit_or(b, 0, I(b, 0), I(b, 8), BLOB1(b), BB(b)))
GOLD(bit_xor, aw_exp_bit_xor(b, 0, I(b, 0), I(b, 8), BLOB1(b), BB(b)))
GOLD(bit_and, aw_exp_bit_and(b, 0, I(b, 0), I(b, 8), BLOB1(b), BB(b)))
GOLD(bit_not, aw_exp_bit_not(b, 0, I(b, 0), I(b, 8), BB(b)))
GOLD(bit_lshift, aw_exp_bit_lshift(b, 0, I(b, 0), I(b, 8), I(b, 3), BB(b)))
GOLD(bit_rshift, aw_exp_bit_rshift(b, 0, I(b, 0), I(b, 8), I(b, 3), BB(b)))
GOLD(bit_add, aw_exp_bit_add(b, 0, I(b, 0), I(b, 8), I(b, 1), false, AW_BIT_OVERFLOW_WRAP, BB(b)))
GOLD(bit_add_signed, aw_exp_bit_add(b, 0, I(b, 0), I(b, 8), I(b, 1), true, AW_BIT_OVERFLOW_SATURATE, BB(b)))
GOLD(bit_subtract, aw_exp_bit_subtract(b, 0, I(b, 0), I(b, 8), I(b, 1), false, AW_BIT_OVERFLOW_FAIL, BB(b)))
GOLD(bit_set_int, aw_exp_bit_set_int(b, 0, I(b, 8), I(b, 8), I(b, 255), BB(b)))
GOLD(bit_get, aw_exp_bit_get(b, I(b, 0), I(b, 8), BB(b)))
GOLD(bit_count, aw_exp_bit_count(b, I(b, 0), I(b, 16), BB(b)))
GOLD(bit_lscan, aw_exp_bit_lscan(b, I(b, 0), I(b, 16), aw_exp_bool(b, true), BB(b)))
GOLD(bit_rscan, aw_exp_bit_rscan(b, I(b, 0), I(b, 16), aw_exp_bool(b, false), BB(b)))
GOLD(bit_get_int_signed, aw_exp_bit_get_int(b, I(b, 0), I(b, 8), true, BB(b)))
GOLD(bit_get_int, aw_exp_bit_get_int(b, I(b, 0), I(b, 8), false, BB(b)))

GOLD(hll_init_mh, aw_exp_hll_init(b, AW_HLL_WRITE_CREATE_ONLY, 8, 4, HB(b)))
GOLD(hll_add_mh, aw_exp_hll_add(b, 0, VALS(b), 8, 4, HB(b)))
GOLD(hll_add, aw_exp_hll_add(b, 0, VALS(b), 8, AW_HLL_BITS_UNSET, HB(b)))
GOLD(hll_update, aw_exp_hll_add(b, 0, VALS(b), AW_HLL_BITS_UNSET, AW_HLL_BITS_UNSET, HB(b)))
GOLD(hll_get_count, aw_exp_hll_get_count(b, HB(b)))
GOLD(hll_get_union, aw_exp_hll_get_union(b, HL(b), HB(b)))
GOLD(hll_get_union_count, aw_exp_hll_get_union_count(b, HL(b), HB(b)))
GOLD(hll_get_intersect_count, aw_exp_hll_get_intersect_count(b, HL(b), HB(b)))
GOLD(hll_get_similarity, aw_exp_hll_get_similarity(b, HL(b), HB(b)))
GOLD(hll_describe, aw_exp_hll_describe(b, HB(b)))
GOLD(hll_may_contain, aw_exp_hll_may_contain(b, VALS(b), HB(b)))

/* loopvar(value) + 1 and loopvar(value) > 10, the modify and filter
 * expressions of the path goldens. */
static aw_exp_node *value_plus_1(B) {
    return aw_exp_add(b, aw_exp_loopvar(b, AW_EXP_INT, AW_EXP_LOOPVAR_VALUE), I(b, 1));
}
static aw_exp_node *value_gt_10(B) {
    return aw_exp_gt(b, aw_exp_loopvar(b, AW_EXP_INT, AW_EXP_LOOPVAR_VALUE), I(b, 10));
}
GOLD(select_by_path, aw_exp_select_by_path(b, &path_ctx, AW_EXP_LIST, AW_PATH_SELECT_VALUE, M(b)))
GOLD(modify_by_path, aw_exp_modify_by_path(b, &filter_ctx, AW_EXP_LIST, value_plus_1(b), AW_PATH_NO_FAIL, L(b)))
GOLD(loopvar_index, aw_exp_loopvar(b, AW_EXP_INT, AW_EXP_LOOPVAR_INDEX))
GOLD(remove_result, aw_exp_remove_result(b))

typedef aw_exp_node *(*build_fn)(aw_exp_builder *);

/* label (the official macro it came from), builder, official bytes. */
static const struct {
    const char *label;
    build_fn build;
    const char *hex;
} GOLDEN[] = {
    {"list_size", list_size_ctx, "957f020093ccff9210019110935104a16c"},
    {"list_get_by_value", list_get_by_value, "957f040093160107935104a16c"},
    {"list_get_by_value_range", list_get_by_value_range, "957f040094190701d4ff01935104a16c"},
    {"list_get_by_value_list", list_get_by_value_list, "957f02009317ce00010005927e920708935104a16c"},
    {"list_get_by_rel_rank_range_to_end", list_rel_to_end, "957f0400941b0705ff935104a16c"},
    {"list_get_by_rel_rank_range", list_rel, "957f0400951b03050002935104a16c"},
    {"list_get_by_index", list_get_by_index, "957f030093ccff92100193130700935104a16c"},
    {"list_get_by_index_range_to_end", list_index_to_end, "957f040093180701935104a16c"},
    {"list_get_by_index_range", list_index_range, "957f010094180d0102935104a16c"},
    {"list_get_by_rank", list_get_by_rank, "957f0200931507ff935104a16c"},
    {"list_get_by_rank_range_to_end", list_rank_to_end, "957f0400931a0701935104a16c"},
    {"list_get_by_rank_range", list_rank_range, "957f0400941a040003935104a16c"},
    {"list_append", list_append_pol, "957f04409401010105935104a16c"},
    {"list_append_items", list_append_items, "957f044093ccff9210019202927e920708935104a16c"},
    {"list_insert", list_insert_pol, "957f0440940300a2037805935104a16c"},
    {"list_insert_items", list_insert_items, "957f0440930401927e920708935104a16c"},
    {"list_increment", list_increment_pol, "957f0440950c00050105935104a16c"},
    {"list_set", list_set, "957f044093090209935104a16c"},
    {"list_clear", list_clear, "957f0440910b935104a16c"},
    {"list_sort", list_sort, "957f0440920d01935104a16c"},
    {"list_remove_by_value", list_rm_value, "957f044093230007935104a16c"},
    {"list_remove_by_value_list", list_rm_value_list, "957f04409324ce00010000927e920708935104a16c"},
    {"list_remove_by_value_range", list_rm_value_range, "957f0440942600c00a935104a16c"},
    {"list_remove_by_rel_rank_range_to_end", list_rm_rel_to_end, "957f04409428000501935104a16c"},
    {"list_remove_by_rel_rank_range", list_rm_rel, "957f0440952800050102935104a16c"},
    {"list_remove_by_index", list_rm_index, "957f044093ccff92100193200000935104a16c"},
    {"list_remove_by_index_range_to_end", list_rm_index_to_end, "957f044093250002935104a16c"},
    {"list_remove_by_index_range", list_rm_index_range, "957f04409425000002935104a16c"},
    {"list_remove_by_rank", list_rm_rank, "957f044093220000935104a16c"},
    {"list_remove_by_rank_range_to_end", list_rm_rank_to_end, "957f0440932700fe935104a16c"},
    {"list_remove_by_rank_range", list_rm_rank_range, "957f04409427000001935104a16c"},
    {"map_size", map_size_ctx, "957f020093ccff9222a2036b9160935105a16d"},
    {"map_get_by_key_range", map_key_range, "957f0500946708a20361a20363935105a16d"},
    {"map_get_by_key_list", map_key_list, "957f0400936b06927e920708935105a16d"},
    {"map_get_by_key_rel_index_range_to_end", map_key_rel_to_end, "957f0200946d05a2036200935105a16d"},
    {"map_get_by_key_rel_index_range", map_key_rel, "957f0500956d11a203620001935105a16d"},
    {"map_get_by_value", map_get_by_value, "957f040093660618935105a16d"},
    {"map_get_by_value_range", map_value_range, "957f05009469100a14935105a16d"},
    {"map_get_by_value_list", map_value_list, "957f0400936c07927e920708935105a16d"},
    {"map_get_by_value_rel_rank_range_to_end", map_value_rel_to_end, "957f0400946e060c00935105a16d"},
    {"map_get_by_value_rel_rank_range", map_value_rel, "957f0400956e010c0001935105a16d"},
    {"map_get_by_index", map_get_by_index, "957f030093ccff9222a2036b93620600935105a16d"},
    {"map_get_by_index_range_to_end", map_index_to_end, "957f040093680701935105a16d"},
    {"map_get_by_index_range", map_index_range, "957f05009468080002935105a16d"},
    {"map_get_by_rank", map_get_by_rank, "957f0200936407ff935105a16d"},
    {"map_get_by_rank_range_to_end", map_rank_to_end, "957f0400936a0601935105a16d"},
    {"map_get_by_rank_range", map_rank_range, "957f0400946a030002935105a16d"},
    {"map_put", map_put_pol, "957f05409543a20364040101935105a16d"},
    {"map_put_items (policy)", map_put_items_pol, "957f0540944481a2037a1a0101935105a16d"},
    {"map_put_items", map_put_items, "957f054093ccff9222a2036b924481a2037a1a935105a16d"},
    {"map_increment (policy)", map_increment_pol, "957f05409449a203610101935105a16d"},
    {"map_increment", map_increment, "957f05409349a2036101935105a16d"},
    {"map_clear", map_clear, "957f0540914b935105a16d"},
    {"map_remove_by_key", map_rm_key, "957f0540934c00a20361935105a16d"},
    {"map_remove_by_key_list", map_rm_key_list, "957f0540935100927e920708935105a16d"},
    {"map_remove_by_key_range", map_rm_key_range, "957f0540945400a20361a20362935105a16d"},
    {"map_remove_by_key_rel_index_range_to_end", map_rm_key_rel_to_end, "957f0540945800a2036101935105a16d"},
    {"map_remove_by_key_rel_index_range", map_rm_key_rel, "957f0540955800a203610101935105a16d"},
    {"map_remove_by_value", map_rm_value, "957f05409352000c935105a16d"},
    {"map_remove_by_value_list", map_rm_value_list, "957f0540935300927e920708935105a16d"},
    {"map_remove_by_value_range", map_rm_value_range, "957f0540945600000d935105a16d"},
    {"map_remove_by_value_rel_rank_range_to_end", map_rm_value_rel_to_end, "957f05409459000c01935105a16d"},
    {"map_remove_by_value_rel_rank_range", map_rm_value_rel, "957f05409559000c0101935105a16d"},
    {"map_remove_by_index", map_rm_index, "957f054093ccff9222a2036b934d0000935105a16d"},
    {"map_remove_by_index_range_to_end", map_rm_index_to_end, "957f054093550001935105a16d"},
    {"map_remove_by_index_range", map_rm_index_range, "957f05409455000001935105a16d"},
    {"map_remove_by_rank", map_rm_rank, "957f0540934f0000935105a16d"},
    {"map_remove_by_rank_range_to_end", map_rm_rank_to_end, "957f054093570001935105a16d"},
    {"map_remove_by_rank_range", map_rm_rank_range, "957f05409457000001935105a16d"},
    {"bit_resize", bit_resize, "957f06419400040201935106a162"},
    {"bit_insert", bit_insert, "957f0641940101a304f00f00935106a162"},
    {"bit_remove", bit_remove, "957f06419402000100935106a162"},
    {"bit_set", bit_set, "957f064195030010a304f00f02935106a162"},
    {"bit_or", bit_or, "957f064195040008a204f000935106a162"},
    {"bit_xor", bit_xor, "957f064195050008a204f000935106a162"},
    {"bit_and", bit_and, "957f064195060008a204f000935106a162"},
    {"bit_not", bit_not, "957f06419407000800935106a162"},
    {"bit_lshift", bit_lshift, "957f0641950800080300935106a162"},
    {"bit_rshift", bit_rshift, "957f0641950900080300935106a162"},
    {"bit_add", bit_add, "957f0641960a0008010004935106a162"},
    {"bit_add_signed", bit_add_signed, "957f0641960a0008010003935106a162"},
    {"bit_subtract", bit_subtract, "957f0641960b0008010000935106a162"},
    {"bit_set_int", bit_set_int, "957f0641950c0808ccff00935106a162"},
    {"bit_get", bit_get, "957f060193320008935106a162"},
    {"bit_count", bit_count, "957f020193330010935106a162"},
    {"bit_lscan", bit_lscan, "957f020194340010c3935106a162"},
    {"bit_rscan", bit_rscan, "957f020194350010c2935106a162"},
    {"bit_get_int (signed)", bit_get_int_signed, "957f02019436000801935106a162"},
    {"bit_get_int", bit_get_int, "957f02019436000800935106a162"},
    {"hll_init_mh", hll_init_mh, "957f09429400080401935109a168"},
    {"hll_add_mh", hll_add_mh, "957f09429501927e920708080400935109a168"},
    {"hll_add", hll_add, "957f09429501927e92070808ff00935109a168"},
    {"hll_update", hll_update, "957f09429501927e920708ffff00935109a168"},
    {"hll_get_count", hll_get_count, "957f02029132935109a168"},
    {"hll_get_union", hll_get_union, "957f09029233935104a2686c935109a168"},
    {"hll_get_union_count", hll_get_union_count, "957f02029234935104a2686c935109a168"},
    {"hll_get_intersect_count", hll_get_intersect_count, "957f02029235935104a2686c935109a168"},
    {"hll_get_similarity", hll_get_similarity, "957f07029236935104a2686c935109a168"},
    {"hll_describe", hll_describe, "957f04029137935109a168"},
    {"hll_may_contain", hll_may_contain, "957f02029238927e920708935109a168"},
    {"select_by_path", select_by_path, "957f040093ccfe9404c322a603707269636501935105a16d"},
    {"modify_by_path", modify_by_path, "957f044094ccfe92049303937a02010a149314937a020101935104a16c"},
    {"loopvar_int", loopvar_index, "937a0202"},
    {"result_remove", remove_result, "9164"},
};
#define N_GOLDEN (sizeof GOLDEN / sizeof GOLDEN[0])

static aw_exp *compile_ok(aw_exp_builder *b, aw_exp_node *root, const char *what) {
    aw_exp *e = NULL;
    aw_error err;
    int rc = aw_exp_compile(b, root, &e, &err);
    if (rc != AW_OK)
        fail_msg("%s: compile failed: %d %s", what, rc, err.message);
    return e;
}

static aw_exp *compile_fn(build_fn fn, const char *what) {
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = compile_ok(b, fn(b), what);
    aw_exp_builder_free(b);
    return e;
}

static int setup_paths(void **state) {
    (void)state;
    map_ctx_items[0] = aw_ctx_map_key(aw_value_str("k"));
    filter_exp = compile_fn(value_gt_10, "filter");
    mod_exp = compile_fn(value_plus_1, "mod");
    path_items[0] = aw_ctx_all_children();
    path_items[1] = aw_ctx_map_key(aw_value_str("price"));
    filter_items[0] = aw_ctx_all_children_with_filter(filter_exp);
    return 0;
}

static int teardown_paths(void **state) {
    (void)state;
    aw_exp_free(filter_exp);
    aw_exp_free(mod_exp);
    return 0;
}

static void test_official_client_bytes(void **state) {
    (void)state;
    for (size_t i = 0; i < N_GOLDEN; i++) {
        aw_exp *e = compile_fn(GOLDEN[i].build, GOLDEN[i].label);
        size_t len;
        const uint8_t *p = aw_exp_bytes(e, &len);
        assert_hex_equal(GOLDEN[i].label, p, len, GOLDEN[i].hex);
        /* the result type is the one sent (second element of the call) */
        if (p[0] == 0x95 && p[1] == 0x7f)
            assert_int_equal(aw_exp_result_type(e), p[2]);
        aw_exp_free(e);
    }
}

/* The path ops as C7.5's as_operations_select_by_path / modify_by_path
 * pack them (op value after the 8-byte op header and the name). */
static void test_path_ops(void **state) {
    (void)state;
    aw_op ops[2] = {
        aw_op_select_by_path("m", &path_ctx, AW_PATH_SELECT_MAP_KEY | AW_PATH_NO_FAIL),
        aw_op_modify_by_path("l", &filter_ctx, mod_exp, 0),
    };
    static const char *const WANT[2] = {"93ccfe9404c322a603707269636512",
                                        "94ccfe92049303937a02010a049314937a020101"};
    static const uint8_t TYPE[2] = {AW_OP_CDT_READ, AW_OP_CDT_MODIFY};
    for (int i = 0; i < 2; i++) {
        aw_buf b;
        aw_buf_init(&b);
        aw_error err;
        if (aw_buf_op(&b, &ops[i], &err) != AW_OK)
            fail_msg("path op %d: %s", i, err.message);
        assert_int_equal(b.data[4], TYPE[i]);
        assert_hex_equal(i ? "modify_by_path op" : "select_by_path op", b.data + 9, b.len - 9,
                         WANT[i]);
        aw_buf_free(&b);
    }
    /* any other op with code 0xfe goes as the caller built it */
    aw_value one = aw_value_int(1);
    aw_op generic = aw_op_cdt(AW_OP_CDT_MODIFY, "l", 0xfe, &one, 1);
    aw_buf g;
    aw_buf_init(&g);
    assert_int_equal(aw_buf_op(&g, &generic, NULL), AW_OK);
    assert_hex_equal("generic 0xfe op", g.data + 9, g.len - 9, "92ccfe01");
    aw_buf_free(&g);
    /* C7.5 never sends RESPOND_ALL_OPS for them (CDT_READ/MODIFY, not map ops) */
    uint8_t info1 = 0, info2 = 0;
    bool writes;
    aw_ops_info(ops, 2, &info1, &info2, &writes);
    assert_int_equal(info2 & AW_INFO2_RESPOND_ALL_OPS, 0);
}

/* The AND item (0x204, then the filter) narrows the item before it; first
 * in a path or after an all-children item it is refused before sending. */
static void test_and_filter_item(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *yes = compile_ok(b, aw_exp_bool(b, true), "true");
    aw_value keys[2] = {aw_value_str("a"), aw_value_str("c")};
    aw_ctx_item items[2] = {aw_ctx_map_keys_in(aw_value_list(keys, 2)), aw_ctx_and_filter(yes)};
    aw_ctx ctx = {items, 2};
    aw_op op = aw_op_select_by_path("m", &ctx, AW_PATH_SELECT_VALUE);
    aw_buf buf;
    aw_buf_init(&buf);
    aw_error err;
    if (aw_buf_op(&buf, &op, &err) != AW_OK)
        fail_msg("and filter: %s", err.message);
    assert_hex_equal("keys in AND true", buf.data + 9, buf.len - 9,
                     "93ccfe942a92a20361a20363cd0204c301");
    aw_buf_free(&buf);
    aw_ctx_item bad[2][2] = {{aw_ctx_and_filter(yes), aw_ctx_map_key(aw_value_str("a"))},
                             {aw_ctx_all_children(), aw_ctx_and_filter(yes)}};
    for (int i = 0; i < 2; i++) {
        aw_ctx c = {bad[i], 2};
        aw_op o = aw_op_select_by_path("m", &c, AW_PATH_SELECT_VALUE);
        aw_buf_init(&buf);
        assert_int_equal(aw_buf_op(&buf, &o, &err), AW_ERR_PARAM);
        assert_non_null(strstr(err.message, "(and filter): must follow"));
        aw_buf_free(&buf);
    }
    aw_ctx_item none = aw_ctx_and_filter(NULL);
    aw_ctx c1 = {(aw_ctx_item[]){items[0], none}, 2};
    aw_op o = aw_op_select_by_path("m", &c1, AW_PATH_SELECT_VALUE);
    aw_buf_init(&buf);
    assert_int_equal(aw_buf_op(&buf, &o, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "make it with aw_ctx_and_filter"));
    aw_buf_free(&buf);
    aw_exp_free(yes);
    aw_exp_builder_free(b);
}

static void test_wildcard_and_context_items(void **state) {
    (void)state;
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = compile_ok(b, aw_exp_list_get_by_value(b, NULL, AW_RETURN_COUNT, aw_exp_wildcard(b),
                                                       L(b)),
                           "wildcard");
    size_t len;
    const uint8_t *p = aw_exp_bytes(e, &len);
    assert_hex_equal("wildcard", p, len, "957f02009316" "05d4ff00" "935104a16c");
    aw_exp_free(e);
    /* map keys in: the keys as a plain list */
    aw_value keys[2] = {aw_value_str("a"), aw_value_str("k")};
    aw_ctx_item it = aw_ctx_map_keys_in(aw_value_list(keys, 2));
    aw_ctx ctx = {&it, 1};
    e = compile_ok(b, aw_exp_select_by_path(b, &ctx, AW_EXP_LIST, AW_PATH_SELECT_VALUE, M(b)),
                   "keys in");
    p = aw_exp_bytes(e, &len);
    assert_hex_equal("keys in", p, len, "957f040093ccfe922a92a20361a2036b01935105a16d");
    aw_exp_free(e);
    aw_exp_builder_free(b);
}

/* ---- refusals ----------------------------------------------------------- */

static void expect_compile_error(build_fn fn, const char *words) {
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = NULL;
    aw_error err;
    int rc = aw_exp_compile(b, fn(b), &e, &err);
    if (rc != AW_ERR_PARAM || !strstr(err.message, words))
        fail_msg("want AW_ERR_PARAM with \"%s\", got %d \"%s\"", words, rc,
                 rc ? err.message : "");
    assert_null(e);
    aw_exp_builder_free(b);
}

GOLD(bad_index_type, aw_exp_list_get_by_index(b, NULL, AW_RETURN_VALUE, AW_EXP_INT, S(b, "0"), L(b)))
GOLD(bad_bin_type, aw_exp_and(b, aw_exp_bool(b, true),
                              aw_exp_eq(b, aw_exp_list_size(b, NULL, M(b)), I(b, 3))))
GOLD(bad_read_none, aw_exp_list_get_by_rank(b, NULL, AW_RETURN_NONE, AW_EXP_INT, I(b, 0), L(b)))
GOLD(bad_value_type, aw_exp_map_get_by_rank(b, NULL, AW_RETURN_COUNT, AW_EXP_STR, I(b, 0), M(b)))
GOLD(bad_value_missing, aw_exp_map_get_by_key(b, NULL, AW_RETURN_VALUE, AW_EXP_ANY, S(b, "a"), M(b)))
GOLD(bad_key_on_list, aw_exp_list_get_by_value(b, NULL, AW_RETURN_KEY_VALUE, I(b, 1), L(b)))
GOLD(bad_unknown_rt, aw_exp_list_get_by_value(b, NULL, 14, I(b, 1), L(b)))
GOLD(bad_remove_rt, aw_exp_list_remove_by_value(b, NULL, AW_RETURN_VALUE, I(b, 1), L(b)))
GOLD(bad_map_mode, aw_exp_map_put(b, NULL, &(aw_map_policy){0, 0, AW_MAP_MODE_UPDATE_ONLY}, S(b, "a"), I(b, 1), M(b)))
GOLD(bad_list_flags, aw_exp_list_append(b, NULL, &(aw_list_policy){0, 0x40}, I(b, 1), L(b)))
GOLD(bad_items_type, aw_exp_list_append_items(b, NULL, NULL, I(b, 1), L(b)))
GOLD(bad_ctx, aw_exp_list_size(b, &(aw_ctx){NULL, 0}, L(b)))
GOLD(bad_bit_flags, aw_exp_bit_resize(b, 8, I(b, 4), 0, BB(b)))
GOLD(bad_bit_value, aw_exp_bit_set(b, 0, I(b, 0), I(b, 8), I(b, 255), BB(b)))
GOLD(bad_bit_bin, aw_exp_bit_count(b, I(b, 0), I(b, 8), aw_exp_bin_str(b, "s")))
GOLD(bad_hll_bits, aw_exp_hll_init(b, 0, 17, 0, HB(b)))
GOLD(bad_hll_list, aw_exp_hll_get_union(b, HB(b), HB(b)))
GOLD(bad_path_flags, aw_exp_select_by_path(b, &path_ctx, AW_EXP_LIST, 4, M(b)))
GOLD(bad_path_no_ctx, aw_exp_select_by_path(b, NULL, AW_EXP_LIST, 0, M(b)))
GOLD(bad_loopvar, aw_exp_loopvar(b, AW_EXP_STR, AW_EXP_LOOPVAR_INDEX))
GOLD(null_arg, aw_exp_list_get_by_index(b, NULL, AW_RETURN_VALUE, AW_EXP_INT, NULL, L(b)))

static void test_ill_typed_calls_refused(void **state) {
    (void)state;
    expect_compile_error(bad_index_type, "node list_get_by_index: argument 1 is str, must be int");
    expect_compile_error(bad_bin_type,
                         "node and.2.eq.1.list_size: the bin (argument 1) is map, must be list");
    expect_compile_error(bad_read_none, "node list_get_by_rank: a read needs a return type");
    expect_compile_error(bad_value_type, "value_type does not match");
    expect_compile_error(bad_value_missing, "needs the element's value_type");
    expect_compile_error(bad_key_on_list, "for maps only");
    expect_compile_error(bad_unknown_rt, "unknown return type (0xe)");
    expect_compile_error(bad_remove_rt, "node list_remove_by_value: a remove expression returns");
    expect_compile_error(bad_map_mode, "node map_put: expressions always put");
    expect_compile_error(bad_list_flags, "list write flags beyond");
    expect_compile_error(bad_items_type, "node list_append_items: argument 1 is int, must be list");
    expect_compile_error(bad_ctx, "node list_size: context has no items");
    expect_compile_error(bad_bit_flags, "node bit_resize: BIT RESIZE: flags 0x8 has flags");
    expect_compile_error(bad_bit_value, "node bit_set: argument 3 is int, must be blob");
    expect_compile_error(bad_bit_bin, "node bit_count: the bin (argument 3) is str, must be blob");
    expect_compile_error(bad_hll_bits, "node hll_init: HLL INIT: index_bits 17 is out of range");
    expect_compile_error(bad_hll_list, "node hll_get_union: argument 1 is hll, must be list");
    expect_compile_error(bad_path_flags, "node select_by_path: select flags beyond");
    expect_compile_error(bad_path_no_ctx, "a path needs a context");
    expect_compile_error(bad_loopvar, "loopvar: id 2 as str");
    expect_compile_error(null_arg, "list_get_by_index: argument 1 is NULL");
}

/* ---- expression ops ----------------------------------------------------- */

static void expect_op_refused(aw_op op, const char *words) {
    aw_buf b;
    aw_buf_init(&b);
    aw_error err;
    int rc = aw_buf_op(&b, &op, &err);
    if (rc != AW_ERR_PARAM || !strstr(err.message, words))
        fail_msg("want AW_ERR_PARAM with \"%s\", got %d \"%s\"", words, rc, rc ? err.message : "");
    assert_int_equal(b.len, 0);
    aw_buf_free(&b);
}

static void test_exp_op_flags_refused(void **state) {
    (void)state;
    aw_exp *e = compile_fn(list_set, "list_set");
    expect_op_refused(aw_op_exp_read("r", e, AW_EXP_WRITE_CREATE_ONLY), "read flags beyond");
    expect_op_refused(aw_op_exp_write("w", e, 32), "write flags beyond");
    expect_op_refused(aw_op_exp_read("r", NULL, 0), "expression is NULL");
    expect_op_refused(aw_op_select_by_path("m", NULL, 0), "needs a context");
    expect_op_refused(aw_op_select_by_path("m", &path_ctx, 0x20), "select flags beyond");
    expect_op_refused(aw_op_modify_by_path("m", &path_ctx, e, AW_PATH_SELECT_VALUE),
                      "modify flags beyond");
    /* the raw-blob path: the caller's own [expression, flags] */
    size_t len;
    const uint8_t *p = aw_exp_bytes(e, &len);
    uint8_t raw[64];
    raw[0] = 0x92;
    memcpy(raw + 1, p, len);
    raw[1 + len] = 0x10;
    aw_op blob = {.type = AW_OP_EXP_READ, .bin = "r", .value = aw_value_blob(raw, len + 2)};
    aw_op built = aw_op_exp_read("r", e, AW_EXP_READ_EVAL_NO_FAIL);
    aw_buf x, y;
    aw_buf_init(&x);
    aw_buf_init(&y);
    assert_int_equal(aw_buf_op(&x, &blob, NULL), AW_OK);
    assert_int_equal(aw_buf_op(&y, &built, NULL), AW_OK);
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.data, y.data, x.len);
    aw_buf_free(&x);
    aw_buf_free(&y);
    aw_exp_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_official_client_bytes),
        cmocka_unit_test(test_path_ops),
        cmocka_unit_test(test_and_filter_item),
        cmocka_unit_test(test_wildcard_and_context_items),
        cmocka_unit_test(test_ill_typed_calls_refused),
        cmocka_unit_test(test_exp_op_flags_refused),
    };
    return cmocka_run_group_tests(tests, setup_paths, teardown_paths);
}
