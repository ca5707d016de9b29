/*
 * Map ops with contexts and policies: op codes and argument order as the
 * official C client sends them (cdt-bit-hll.md §7).
 */
#include "cdt.h"

/* aw_map_order, optionally | AW_MAP_PERSIST_INDEX. */
static void check_order(aw_op *op, unsigned order) {
    unsigned o = order & ~(unsigned)AW_MAP_PERSIST_INDEX;
    if (order > 0xff ||
        (o != AW_MAP_UNORDERED && o != AW_MAP_KEY_ORDERED && o != AW_MAP_KEY_VALUE_ORDERED))
        aw_cdt_fault(op, "map order is not UNORDERED, KEY_ORDERED or KEY_VALUE_ORDERED "
                         "(| PERSIST_INDEX)", order);
}

void aw_cdt_map_policy_check(aw_op *op, const aw_map_policy *pol) {
    check_order(op, pol->order);
    if (pol->flags & ~0x0fu)
        aw_cdt_fault(op, "map write flags beyond CREATE_ONLY|UPDATE_ONLY|NO_FAIL|PARTIAL",
                     pol->flags);
    if (pol->mode > AW_MAP_MODE_UPDATE_ONLY)
        aw_cdt_fault(op, "unknown map write mode", pol->mode);
    else if (pol->mode != AW_MAP_MODE_PUT && pol->flags)
        aw_cdt_fault(op, "a legacy map write mode does not combine with write flags", pol->flags);
}

/* Ops that only use the order: refuse what they would ignore. */
static void check_order_only(aw_op *op, const aw_map_policy *pol) {
    aw_cdt_map_policy_check(op, pol);
    if (pol->flags || pol->mode != AW_MAP_MODE_PUT)
        aw_cdt_fault(op, "this map op takes the policy's order only, not write flags or a mode",
                     (uint64_t)pol->flags << 8 | pol->mode);
}

/* PUT / PUT_ITEMS and their legacy forms. The items are (k, v) or (map):
 * no policy [code, items, 0]; flags 0 [code, items, order]; flags
 * [code, items, order, flags]; CREATE_ONLY [add_code, items, order];
 * UPDATE_ONLY [replace_code, items]. */
static aw_op put(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol, const aw_value *items,
                 uint8_t n, uint16_t put_code, uint16_t add_code, uint16_t replace_code) {
    aw_value a[AW_OP_MAX_ARGS];
    uint8_t k = 0;
    for (; k < n; k++)
        a[k] = items[k];
    uint16_t code = put_code;
    if (!pol) {
        a[k++] = aw_value_int(0);
    } else if (pol->mode == AW_MAP_MODE_UPDATE_ONLY) {
        code = replace_code;
    } else {
        code = pol->mode == AW_MAP_MODE_CREATE_ONLY ? add_code : put_code;
        a[k++] = aw_value_int(pol->order);
        if (pol->flags && pol->mode == AW_MAP_MODE_PUT)
            a[k++] = aw_value_int(pol->flags);
    }
    aw_op op = aw_cdt_op_make(bin, ctx, code, a, k);
    if (pol)
        aw_cdt_map_policy_check(&op, pol);
    return op;
}

aw_op aw_cdt_map_put(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol, aw_value key,
                 aw_value value) {
    aw_value kv[2] = {key, value};
    return put(bin, ctx, pol, kv, 2, AW_MAP_PUT, AW_MAP_ADD, AW_MAP_REPLACE);
}
aw_op aw_cdt_map_put_items(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol,
                       aw_value map) {
    return put(bin, ctx, pol, &map, 1, AW_MAP_PUT_ITEMS, AW_MAP_ADD_ITEMS, AW_MAP_REPLACE_ITEMS);
}

/* [code, key, delta|nil, order]. */
static aw_op add_delta(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol,
                       uint16_t code, aw_value key, aw_value delta) {
    aw_value a[3] = {key, delta, aw_value_int(pol ? pol->order : 0)};
    aw_op op = aw_cdt_op_make(bin, ctx, code, a, 3);
    if (pol)
        check_order_only(&op, pol);
    return op;
}

aw_op aw_cdt_map_increment(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol, aw_value key,
                       aw_value delta) {
    return add_delta(bin, ctx, pol, AW_MAP_INCREMENT, key, delta);
}
aw_op aw_cdt_map_decrement(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol, aw_value key,
                       aw_value delta) {
    return add_delta(bin, ctx, pol, AW_MAP_DECREMENT, key, delta);
}
aw_op aw_cdt_map_clear(const char *bin, const aw_ctx *ctx) {
    return aw_cdt_op_make(bin, ctx, AW_MAP_CLEAR, NULL, 0);
}
aw_op aw_cdt_map_size(const char *bin, const aw_ctx *ctx) {
    return aw_cdt_op_make(bin, ctx, AW_MAP_SIZE, NULL, 0);
}

/* [64, order]: the persist index is dropped under a ctx (top level only). */
static aw_op set_type(const char *bin, const aw_ctx *ctx, unsigned order, uint16_t create) {
    unsigned sent = ctx ? order & ~(unsigned)AW_MAP_PERSIST_INDEX : order;
    aw_value a = aw_value_int(sent & 0xffu);
    aw_op op = aw_cdt_op_make(bin, ctx, AW_MAP_SET_TYPE, &a, 1);
    op.ctx_create = ctx ? create : 0;
    check_order(&op, order);
    return op;
}

aw_op aw_cdt_map_set_policy(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol) {
    if (!pol) {
        aw_op op = set_type(bin, ctx, 0, 0);
        aw_cdt_fault(&op, "map_set_policy needs a policy", 0);
        return op;
    }
    aw_op op = set_type(bin, ctx, pol->order, 0);
    check_order_only(&op, pol);
    return op;
}
aw_op aw_cdt_map_create(const char *bin, const aw_ctx *ctx, aw_map_order order) {
    return set_type(bin, ctx, (unsigned)order, aw_ctx_map_create_flag(order));
}
aw_op aw_cdt_map_create_all(const char *bin, const aw_ctx *ctx, aw_map_order order,
                        bool persist_index) {
    unsigned o = (unsigned)order | (persist_index ? AW_MAP_PERSIST_INDEX : 0u);
    return set_type(bin, ctx, o, aw_ctx_map_create_flag(order));
}

/* ---- selections ---------------------------------------------------------- */

aw_op aw_cdt_map_get_by_key(const char *bin, const aw_ctx *ctx, aw_value key, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_MAP_GET_BY_KEY, key, rt);
}
aw_op aw_cdt_map_get_by_key_list(const char *bin, const aw_ctx *ctx, aw_value keys, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_MAP_GET_BY_KEY_LIST, keys, rt);
}
aw_op aw_cdt_map_get_by_key_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                              const aw_value *end, uint32_t rt) {
    return aw_cdt_sel_interval(bin, ctx, AW_MAP_GET_BY_KEY_INTERVAL, begin, end, rt);
}
aw_op aw_cdt_map_get_by_key_rel_index_range(const char *bin, const aw_ctx *ctx, aw_value key,
                                        int64_t index, uint64_t count, uint32_t rt) {
    return aw_cdt_sel_rel(bin, ctx, AW_MAP_GET_BY_KEY_REL_INDEX_RANGE, key, index, count, rt);
}
aw_op aw_cdt_map_get_by_key_rel_index_range_to_end(const char *bin, const aw_ctx *ctx, aw_value key,
                                               int64_t index, uint32_t rt) {
    return aw_cdt_sel_rel_to_end(bin, ctx, AW_MAP_GET_BY_KEY_REL_INDEX_RANGE, key, index, rt);
}
aw_op aw_cdt_map_get_by_value(const char *bin, const aw_ctx *ctx, aw_value value, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_MAP_GET_ALL_BY_VALUE, value, rt);
}
aw_op aw_cdt_map_get_by_value_list(const char *bin, const aw_ctx *ctx, aw_value values, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_MAP_GET_BY_VALUE_LIST, values, rt);
}
aw_op aw_cdt_map_get_by_value_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                                const aw_value *end, uint32_t rt) {
    return aw_cdt_sel_interval(bin, ctx, AW_MAP_GET_BY_VALUE_INTERVAL, begin, end, rt);
}
aw_op aw_cdt_map_get_by_value_rel_rank_range(const char *bin, const aw_ctx *ctx, aw_value value,
                                         int64_t rank, uint64_t count, uint32_t rt) {
    return aw_cdt_sel_rel(bin, ctx, AW_MAP_GET_BY_VALUE_REL_RANK_RANGE, value, rank, count, rt);
}
aw_op aw_cdt_map_get_by_value_rel_rank_range_to_end(const char *bin, const aw_ctx *ctx,
                                                aw_value value, int64_t rank, uint32_t rt) {
    return aw_cdt_sel_rel_to_end(bin, ctx, AW_MAP_GET_BY_VALUE_REL_RANK_RANGE, value, rank, rt);
}
aw_op aw_cdt_map_get_by_index(const char *bin, const aw_ctx *ctx, int64_t index, uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_MAP_GET_BY_INDEX, index, rt);
}
aw_op aw_cdt_map_get_by_index_range(const char *bin, const aw_ctx *ctx, int64_t index, uint64_t count,
                                uint32_t rt) {
    return aw_cdt_sel_range(bin, ctx, AW_MAP_GET_BY_INDEX_RANGE, index, count, rt);
}
aw_op aw_cdt_map_get_by_index_range_to_end(const char *bin, const aw_ctx *ctx, int64_t index,
                                       uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_MAP_GET_BY_INDEX_RANGE, index, rt);
}
aw_op aw_cdt_map_get_by_rank(const char *bin, const aw_ctx *ctx, int64_t rank, uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_MAP_GET_BY_RANK, rank, rt);
}
aw_op aw_cdt_map_get_by_rank_range(const char *bin, const aw_ctx *ctx, int64_t rank, uint64_t count,
                               uint32_t rt) {
    return aw_cdt_sel_range(bin, ctx, AW_MAP_GET_BY_RANK_RANGE, rank, count, rt);
}
aw_op aw_cdt_map_get_by_rank_range_to_end(const char *bin, const aw_ctx *ctx, int64_t rank,
                                      uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_MAP_GET_BY_RANK_RANGE, rank, rt);
}

aw_op aw_cdt_map_remove_by_key(const char *bin, const aw_ctx *ctx, aw_value key, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_MAP_REMOVE_BY_KEY, key, rt);
}
aw_op aw_cdt_map_remove_by_key_list(const char *bin, const aw_ctx *ctx, aw_value keys, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_MAP_REMOVE_BY_KEY_LIST, keys, rt);
}
aw_op aw_cdt_map_remove_by_key_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                                 const aw_value *end, uint32_t rt) {
    return aw_cdt_sel_interval(bin, ctx, AW_MAP_REMOVE_BY_KEY_INTERVAL, begin, end, rt);
}
aw_op aw_cdt_map_remove_by_key_rel_index_range(const char *bin, const aw_ctx *ctx, aw_value key,
                                           int64_t index, uint64_t count, uint32_t rt) {
    return aw_cdt_sel_rel(bin, ctx, AW_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE, key, index, count, rt);
}
aw_op aw_cdt_map_remove_by_key_rel_index_range_to_end(const char *bin, const aw_ctx *ctx,
                                                  aw_value key, int64_t index, uint32_t rt) {
    return aw_cdt_sel_rel_to_end(bin, ctx, AW_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE, key, index, rt);
}
aw_op aw_cdt_map_remove_by_value(const char *bin, const aw_ctx *ctx, aw_value value, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_MAP_REMOVE_ALL_BY_VALUE, value, rt);
}
aw_op aw_cdt_map_remove_by_value_list(const char *bin, const aw_ctx *ctx, aw_value values,
                                  uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_MAP_REMOVE_BY_VALUE_LIST, values, rt);
}
aw_op aw_cdt_map_remove_by_value_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                                   const aw_value *end, uint32_t rt) {
    return aw_cdt_sel_interval(bin, ctx, AW_MAP_REMOVE_BY_VALUE_INTERVAL, begin, end, rt);
}
aw_op aw_cdt_map_remove_by_value_rel_rank_range(const char *bin, const aw_ctx *ctx, aw_value value,
                                            int64_t rank, uint64_t count, uint32_t rt) {
    return aw_cdt_sel_rel(bin, ctx, AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE, value, rank, count, rt);
}
aw_op aw_cdt_map_remove_by_value_rel_rank_range_to_end(const char *bin, const aw_ctx *ctx,
                                                   aw_value value, int64_t rank, uint32_t rt) {
    return aw_cdt_sel_rel_to_end(bin, ctx, AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE, value, rank, rt);
}
aw_op aw_cdt_map_remove_by_index(const char *bin, const aw_ctx *ctx, int64_t index, uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_MAP_REMOVE_BY_INDEX, index, rt);
}
aw_op aw_cdt_map_remove_by_index_range(const char *bin, const aw_ctx *ctx, int64_t index,
                                   uint64_t count, uint32_t rt) {
    return aw_cdt_sel_range(bin, ctx, AW_MAP_REMOVE_BY_INDEX_RANGE, index, count, rt);
}
aw_op aw_cdt_map_remove_by_index_range_to_end(const char *bin, const aw_ctx *ctx, int64_t index,
                                          uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_MAP_REMOVE_BY_INDEX_RANGE, index, rt);
}
aw_op aw_cdt_map_remove_by_rank(const char *bin, const aw_ctx *ctx, int64_t rank, uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_MAP_REMOVE_BY_RANK, rank, rt);
}
aw_op aw_cdt_map_remove_by_rank_range(const char *bin, const aw_ctx *ctx, int64_t rank,
                                  uint64_t count, uint32_t rt) {
    return aw_cdt_sel_range(bin, ctx, AW_MAP_REMOVE_BY_RANK_RANGE, rank, count, rt);
}
aw_op aw_cdt_map_remove_by_rank_range_to_end(const char *bin, const aw_ctx *ctx, int64_t rank,
                                         uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_MAP_REMOVE_BY_RANK_RANGE, rank, rt);
}
