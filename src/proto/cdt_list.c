/*
 * List ops with contexts and policies: argument order as the official C
 * client sends them (cdt-bit-hll.md §6).
 */
#include "cdt.h"

/* Order is used only when the op creates the list. */
static void check_order(aw_op *op, unsigned order) {
    if (order != AW_LIST_UNORDERED && order != AW_LIST_ORDERED)
        aw_cdt_fault(op, "list order is not UNORDERED (0) or ORDERED (1)", order);
}

void aw_cdt_list_policy_check(aw_op *op, const aw_list_policy *pol) {
    check_order(op, pol->order);
    if (pol->flags & ~0x0fu)
        aw_cdt_fault(op, "list write flags beyond ADD_UNIQUE|INSERT_BOUNDED|NO_FAIL|PARTIAL",
                     pol->flags);
}

/* [code, v] or, with a policy, [code, v, order, flags] (APPEND, APPEND_ITEMS). */
static aw_op add(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol, uint16_t code,
                 aw_value v) {
    aw_value a[3] = {v, aw_value_int(pol ? pol->order : 0), aw_value_int(pol ? pol->flags : 0)};
    aw_op op = aw_cdt_op_make(bin, ctx, code, a, pol ? 3 : 1);
    if (pol)
        aw_cdt_list_policy_check(&op, pol);
    return op;
}

/* [code, index, v] or [code, index, v, flags]: the order is not sent
 * (INSERT, INSERT_ITEMS, SET). */
static aw_op at_index(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                      uint16_t code, int64_t index, aw_value v) {
    aw_value a[3] = {aw_value_int(index), v, aw_value_int(pol ? pol->flags : 0)};
    aw_op op = aw_cdt_op_make(bin, ctx, code, a, pol ? 3 : 2);
    if (pol)
        aw_cdt_list_policy_check(&op, pol);
    return op;
}

static aw_op index_count(const char *bin, const aw_ctx *ctx, uint16_t code, int64_t index,
                         const uint64_t *count) {
    aw_value a[2] = {aw_value_int(index), aw_value_int(count ? (int64_t)*count : 0)};
    aw_op op = aw_cdt_op_make(bin, ctx, code, a, count ? 2 : 1);
    if (count && *count > INT64_MAX)
        aw_cdt_fault(&op, "count above INT64_MAX", *count);
    return op;
}

aw_op aw_cdt_list_append(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                     aw_value value) {
    return add(bin, ctx, pol, AW_LIST_APPEND, value);
}
aw_op aw_cdt_list_append_items(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                           aw_value list) {
    return add(bin, ctx, pol, AW_LIST_APPEND_ITEMS, list);
}
aw_op aw_cdt_list_insert(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol, int64_t index,
                     aw_value value) {
    return at_index(bin, ctx, pol, AW_LIST_INSERT, index, value);
}
aw_op aw_cdt_list_insert_items(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                           int64_t index, aw_value list) {
    return at_index(bin, ctx, pol, AW_LIST_INSERT_ITEMS, index, list);
}
aw_op aw_cdt_list_set(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol, int64_t index,
                  aw_value value) {
    return at_index(bin, ctx, pol, AW_LIST_SET, index, value);
}

/* [12, index, delta] or [12, index, delta, order, flags]. */
aw_op aw_cdt_list_increment(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                        int64_t index, aw_value delta) {
    aw_value a[4] = {aw_value_int(index), delta.type == AW_NIL ? aw_value_int(1) : delta,
                     aw_value_int(pol ? pol->order : 0), aw_value_int(pol ? pol->flags : 0)};
    aw_op op = aw_cdt_op_make(bin, ctx, AW_LIST_INCREMENT, a, pol ? 4 : 2);
    if (pol)
        aw_cdt_list_policy_check(&op, pol);
    return op;
}

aw_op aw_cdt_list_pop(const char *bin, const aw_ctx *ctx, int64_t index) {
    return index_count(bin, ctx, AW_LIST_POP, index, NULL);
}
aw_op aw_cdt_list_pop_range(const char *bin, const aw_ctx *ctx, int64_t index, uint64_t count) {
    return index_count(bin, ctx, AW_LIST_POP_RANGE, index, &count);
}
aw_op aw_cdt_list_pop_range_from(const char *bin, const aw_ctx *ctx, int64_t index) {
    return index_count(bin, ctx, AW_LIST_POP_RANGE, index, NULL);
}
aw_op aw_cdt_list_remove(const char *bin, const aw_ctx *ctx, int64_t index) {
    return index_count(bin, ctx, AW_LIST_REMOVE, index, NULL);
}
aw_op aw_cdt_list_remove_range(const char *bin, const aw_ctx *ctx, int64_t index, uint64_t count) {
    return index_count(bin, ctx, AW_LIST_REMOVE_RANGE, index, &count);
}
aw_op aw_cdt_list_remove_range_from(const char *bin, const aw_ctx *ctx, int64_t index) {
    return index_count(bin, ctx, AW_LIST_REMOVE_RANGE, index, NULL);
}
aw_op aw_cdt_list_trim(const char *bin, const aw_ctx *ctx, int64_t index, uint64_t count) {
    return index_count(bin, ctx, AW_LIST_TRIM, index, &count);
}
aw_op aw_cdt_list_get(const char *bin, const aw_ctx *ctx, int64_t index) {
    return index_count(bin, ctx, AW_LIST_GET, index, NULL);
}
aw_op aw_cdt_list_get_range(const char *bin, const aw_ctx *ctx, int64_t index, uint64_t count) {
    return index_count(bin, ctx, AW_LIST_GET_RANGE, index, &count);
}
aw_op aw_cdt_list_get_range_from(const char *bin, const aw_ctx *ctx, int64_t index) {
    return index_count(bin, ctx, AW_LIST_GET_RANGE, index, NULL);
}
aw_op aw_cdt_list_clear(const char *bin, const aw_ctx *ctx) {
    return aw_cdt_op_make(bin, ctx, AW_LIST_CLEAR, NULL, 0);
}
aw_op aw_cdt_list_size(const char *bin, const aw_ctx *ctx) {
    return aw_cdt_op_make(bin, ctx, AW_LIST_SIZE, NULL, 0);
}

/* 3 (descending + drop duplicates) is sent: the server answers 4. */
aw_op aw_cdt_list_sort(const char *bin, const aw_ctx *ctx, unsigned sort_flags) {
    aw_value a = aw_value_int(sort_flags & 0xffu);
    aw_op op = aw_cdt_op_make(bin, ctx, AW_LIST_SORT, &a, 1);
    if (sort_flags & ~(unsigned)(AW_LIST_SORT_DESCENDING | AW_LIST_SORT_DROP_DUPLICATES))
        aw_cdt_fault(&op, "sort flags beyond DESCENDING|DROP_DUPLICATES", sort_flags);
    return op;
}

/* [0, order]; under a ctx the create flag rides on the last item. */
static aw_op set_type(const char *bin, const aw_ctx *ctx, aw_list_order order, uint16_t create,
                      bool persist) {
    aw_value a = aw_value_int((int64_t)((unsigned)order & 0xffu) | (persist ? 0x10 : 0));
    aw_op op = aw_cdt_op_make(bin, ctx, AW_LIST_SET_TYPE, &a, 1);
    op.ctx_create = ctx ? create : 0;
    check_order(&op, (unsigned)order);
    return op;
}

aw_op aw_cdt_list_set_order(const char *bin, const aw_ctx *ctx, aw_list_order order) {
    return set_type(bin, ctx, order, 0, false);
}
aw_op aw_cdt_list_create(const char *bin, const aw_ctx *ctx, aw_list_order order, bool pad) {
    return set_type(bin, ctx, order, aw_ctx_list_create_flag(order, pad), false);
}
aw_op aw_cdt_list_create_all(const char *bin, const aw_ctx *ctx, aw_list_order order, bool pad,
                         bool persist_index) {
    return set_type(bin, ctx, order, aw_ctx_list_create_flag(order, pad), persist_index && !ctx);
}

/* ---- selections ---------------------------------------------------------- */

aw_op aw_cdt_list_get_by_index(const char *bin, const aw_ctx *ctx, int64_t index, uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_LIST_GET_BY_INDEX, index, rt);
}
aw_op aw_cdt_list_get_by_index_range(const char *bin, const aw_ctx *ctx, int64_t index,
                                 uint64_t count, uint32_t rt) {
    return aw_cdt_sel_range(bin, ctx, AW_LIST_GET_BY_INDEX_RANGE, index, count, rt);
}
aw_op aw_cdt_list_get_by_index_range_to_end(const char *bin, const aw_ctx *ctx, int64_t index,
                                        uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_LIST_GET_BY_INDEX_RANGE, index, rt);
}
aw_op aw_cdt_list_get_by_rank(const char *bin, const aw_ctx *ctx, int64_t rank, uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_LIST_GET_BY_RANK, rank, rt);
}
aw_op aw_cdt_list_get_by_rank_range(const char *bin, const aw_ctx *ctx, int64_t rank, uint64_t count,
                                uint32_t rt) {
    return aw_cdt_sel_range(bin, ctx, AW_LIST_GET_BY_RANK_RANGE, rank, count, rt);
}
aw_op aw_cdt_list_get_by_rank_range_to_end(const char *bin, const aw_ctx *ctx, int64_t rank,
                                       uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_LIST_GET_BY_RANK_RANGE, rank, rt);
}
aw_op aw_cdt_list_get_by_value(const char *bin, const aw_ctx *ctx, aw_value value, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_LIST_GET_ALL_BY_VALUE, value, rt);
}
aw_op aw_cdt_list_get_by_value_list(const char *bin, const aw_ctx *ctx, aw_value values, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_LIST_GET_BY_VALUE_LIST, values, rt);
}
aw_op aw_cdt_list_get_by_value_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                                 const aw_value *end, uint32_t rt) {
    return aw_cdt_sel_interval(bin, ctx, AW_LIST_GET_BY_VALUE_INTERVAL, begin, end, rt);
}
aw_op aw_cdt_list_get_by_value_rel_rank_range(const char *bin, const aw_ctx *ctx, aw_value value,
                                          int64_t rank, uint64_t count, uint32_t rt) {
    return aw_cdt_sel_rel(bin, ctx, AW_LIST_GET_BY_VALUE_REL_RANK_RANGE, value, rank, count, rt);
}
aw_op aw_cdt_list_get_by_value_rel_rank_range_to_end(const char *bin, const aw_ctx *ctx,
                                                 aw_value value, int64_t rank, uint32_t rt) {
    return aw_cdt_sel_rel_to_end(bin, ctx, AW_LIST_GET_BY_VALUE_REL_RANK_RANGE, value, rank, rt);
}

aw_op aw_cdt_list_remove_by_index(const char *bin, const aw_ctx *ctx, int64_t index, uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_LIST_REMOVE_BY_INDEX, index, rt);
}
aw_op aw_cdt_list_remove_by_index_range(const char *bin, const aw_ctx *ctx, int64_t index,
                                    uint64_t count, uint32_t rt) {
    return aw_cdt_sel_range(bin, ctx, AW_LIST_REMOVE_BY_INDEX_RANGE, index, count, rt);
}
aw_op aw_cdt_list_remove_by_index_range_to_end(const char *bin, const aw_ctx *ctx, int64_t index,
                                           uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_LIST_REMOVE_BY_INDEX_RANGE, index, rt);
}
aw_op aw_cdt_list_remove_by_rank(const char *bin, const aw_ctx *ctx, int64_t rank, uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_LIST_REMOVE_BY_RANK, rank, rt);
}
aw_op aw_cdt_list_remove_by_rank_range(const char *bin, const aw_ctx *ctx, int64_t rank,
                                   uint64_t count, uint32_t rt) {
    return aw_cdt_sel_range(bin, ctx, AW_LIST_REMOVE_BY_RANK_RANGE, rank, count, rt);
}
aw_op aw_cdt_list_remove_by_rank_range_to_end(const char *bin, const aw_ctx *ctx, int64_t rank,
                                          uint32_t rt) {
    return aw_cdt_sel_int(bin, ctx, AW_LIST_REMOVE_BY_RANK_RANGE, rank, rt);
}
aw_op aw_cdt_list_remove_by_value(const char *bin, const aw_ctx *ctx, aw_value value, uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_LIST_REMOVE_ALL_BY_VALUE, value, rt);
}
aw_op aw_cdt_list_remove_by_value_list(const char *bin, const aw_ctx *ctx, aw_value values,
                                   uint32_t rt) {
    return aw_cdt_sel_value(bin, ctx, AW_LIST_REMOVE_BY_VALUE_LIST, values, rt);
}
aw_op aw_cdt_list_remove_by_value_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                                    const aw_value *end, uint32_t rt) {
    return aw_cdt_sel_interval(bin, ctx, AW_LIST_REMOVE_BY_VALUE_INTERVAL, begin, end, rt);
}
aw_op aw_cdt_list_remove_by_value_rel_rank_range(const char *bin, const aw_ctx *ctx, aw_value value,
                                             int64_t rank, uint64_t count, uint32_t rt) {
    return aw_cdt_sel_rel(bin, ctx, AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE, value, rank, count,
                          rt);
}
aw_op aw_cdt_list_remove_by_value_rel_rank_range_to_end(const char *bin, const aw_ctx *ctx,
                                                    aw_value value, int64_t rank, uint32_t rt) {
    return aw_cdt_sel_rel_to_end(bin, ctx, AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE, value, rank,
                                 rt);
}
