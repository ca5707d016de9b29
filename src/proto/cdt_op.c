/*
 * What the list and map builders share: the op itself, the selection shapes,
 * bad-argument records, and context paths (cdt-bit-hll.md §4.2, §4.3, §8).
 */
#include <string.h>

#include "cdt.h"
#include "msgpack.h"

/* List codes 16..31 and map codes 96..127 only read. */
static bool is_read_code(uint16_t code) {
    return (code >= 16 && code < 32) || (code >= 96 && code < 128);
}

aw_op aw_cdt_op_make(const char *bin, const aw_ctx *ctx, uint16_t code, const aw_value *args,
                uint8_t n) {
    aw_op op = aw_op_cdt(is_read_code(code) ? AW_OP_CDT_READ : AW_OP_CDT_MODIFY, bin, code, args,
                         n);
    op.ctx = ctx;
    return op;
}

void aw_cdt_fault(aw_op *op, const char *what, uint64_t value) {
    if (op->fault)
        return;
    op->fault = what;
    op->fault_value = value;
}

/* Known return types: 0..13, 16, 17, optionally INVERTED. */
bool aw_cdt_return_type_ok(uint32_t rt) {
    uint32_t t = rt & ~AW_RETURN_INVERTED;
    return t <= AW_RETURN_EXISTS || t == AW_RETURN_UNORDERED_MAP || t == AW_RETURN_ORDERED_MAP;
}

aw_op aw_cdt_select(const char *bin, const aw_ctx *ctx, uint16_t code, uint32_t rt,
                    const aw_value *args, uint8_t n) {
    aw_value all[AW_OP_MAX_ARGS];
    all[0] = aw_value_int(rt);
    for (uint8_t i = 0; i < n && i + 1 < AW_OP_MAX_ARGS; i++)
        all[i + 1] = args[i];
    aw_op op = aw_cdt_op_make(bin, ctx, code, all, (uint8_t)(n + 1));
    if (!aw_cdt_return_type_ok(rt))
        aw_cdt_fault(&op, "unknown return type", rt);
    return op;
}

aw_op aw_cdt_sel_int(const char *bin, const aw_ctx *ctx, uint16_t code, int64_t i, uint32_t rt) {
    aw_value a = aw_value_int(i);
    return aw_cdt_select(bin, ctx, code, rt, &a, 1);
}

/* Counts travel as unsigned; above INT64_MAX they are refused. */
static aw_value count_value(aw_op *op, uint64_t count) {
    if (count > INT64_MAX)
        aw_cdt_fault(op, "count above INT64_MAX", count);
    return aw_value_int((int64_t)count);
}

aw_op aw_cdt_sel_range(const char *bin, const aw_ctx *ctx, uint16_t code, int64_t i,
                       uint64_t count, uint32_t rt) {
    aw_value a[2] = {aw_value_int(i), aw_value_nil()};
    aw_op op = aw_cdt_select(bin, ctx, code, rt, a, 2);
    op.args[2] = count_value(&op, count);
    return op;
}

aw_op aw_cdt_sel_value(const char *bin, const aw_ctx *ctx, uint16_t code, aw_value v,
                       uint32_t rt) {
    return aw_cdt_select(bin, ctx, code, rt, &v, 1);
}

/* begin NULL is sent as nil (the smallest value); end NULL is not sent. */
aw_op aw_cdt_sel_interval(const char *bin, const aw_ctx *ctx, uint16_t code,
                          const aw_value *begin, const aw_value *end, uint32_t rt) {
    aw_value a[2] = {begin ? *begin : aw_value_nil(), end ? *end : aw_value_nil()};
    return aw_cdt_select(bin, ctx, code, rt, a, end ? 2 : 1);
}

aw_op aw_cdt_sel_rel(const char *bin, const aw_ctx *ctx, uint16_t code, aw_value v, int64_t i,
                     uint64_t count, uint32_t rt) {
    aw_value a[3] = {v, aw_value_int(i), aw_value_nil()};
    aw_op op = aw_cdt_select(bin, ctx, code, rt, a, 3);
    op.args[3] = count_value(&op, count);
    return op;
}

aw_op aw_cdt_sel_rel_to_end(const char *bin, const aw_ctx *ctx, uint16_t code, aw_value v,
                            int64_t i, uint32_t rt) {
    aw_value a[2] = {v, aw_value_int(i)};
    return aw_cdt_select(bin, ctx, code, rt, a, 2);
}

/* ---- context items ------------------------------------------------------ */

static aw_ctx_item item(uint16_t id, aw_value v) {
    aw_ctx_item it;
    memset(&it, 0, sizeof it);
    it.id = id;
    it.value = v;
    return it;
}

aw_ctx_item aw_ctx_list_index(int64_t index) {
    return item(AW_CTX_LIST_INDEX, aw_value_int(index));
}
aw_ctx_item aw_ctx_list_rank(int64_t rank) { return item(AW_CTX_LIST_RANK, aw_value_int(rank)); }
aw_ctx_item aw_ctx_list_value(aw_value value) { return item(AW_CTX_LIST_VALUE, value); }
aw_ctx_item aw_ctx_map_index(int64_t index) { return item(AW_CTX_MAP_INDEX, aw_value_int(index)); }
aw_ctx_item aw_ctx_map_rank(int64_t rank) { return item(AW_CTX_MAP_RANK, aw_value_int(rank)); }
aw_ctx_item aw_ctx_map_key(aw_value key) { return item(AW_CTX_MAP_KEY, key); }
aw_ctx_item aw_ctx_map_value(aw_value value) { return item(AW_CTX_MAP_VALUE, value); }
aw_ctx_item aw_ctx_map_keys_in(aw_value keys) { return item(AW_CTX_MAP_KEYS_IN, keys); }

aw_ctx_item aw_ctx_exp_bytes(const uint8_t *bytes, size_t len) {
    aw_value v = aw_value_blob(bytes, len);
    v.subtype = AW_BLOB_RAW_MSGPACK;
    return item(AW_CTX_EXP, v);
}

/* The expression `true` (c3): every child passes. */
aw_ctx_item aw_ctx_all_children(void) {
    static const uint8_t TRUE_EXP[1] = {0xc3};
    return aw_ctx_exp_bytes(TRUE_EXP, sizeof TRUE_EXP);
}

uint16_t aw_ctx_list_create_flag(aw_list_order order, bool pad) {
    if (order == AW_LIST_ORDERED)
        return AW_CTX_CREATE_LIST_ORDERED;
    if (order == AW_LIST_UNORDERED)
        return pad ? AW_CTX_CREATE_LIST_UNORDERED_PAD : AW_CTX_CREATE_LIST_UNORDERED;
    return 0;
}

uint16_t aw_ctx_map_create_flag(aw_map_order order) {
    switch (order) {
    case AW_MAP_UNORDERED: return AW_CTX_CREATE_MAP_UNORDERED;
    case AW_MAP_KEY_ORDERED: return AW_CTX_CREATE_MAP_KEY_ORDERED;
    case AW_MAP_KEY_VALUE_ORDERED: return AW_CTX_CREATE_MAP_KEY_VALUE_ORDERED;
    default: return 0;
    }
}

aw_ctx_item aw_ctx_list_index_create(int64_t index, aw_list_order order, bool pad) {
    uint16_t flag = aw_ctx_list_create_flag(order, pad);
    return item(flag ? (uint16_t)(AW_CTX_LIST_INDEX | flag) : AW_CTX_INVALID, aw_value_int(index));
}

aw_ctx_item aw_ctx_map_key_create(aw_value key, aw_map_order order) {
    uint16_t flag = aw_ctx_map_create_flag(order);
    return item(flag ? (uint16_t)(AW_CTX_MAP_KEY | flag) : AW_CTX_INVALID, key);
}

/* ---- context paths ------------------------------------------------------ */

static int check_item(const aw_ctx_item *it, uint32_t at, aw_error *err) {
    if (it->id == AW_CTX_INVALID)
        return aw_error_set(err, AW_ERR_PARAM,
                            "context item %u: made by a *_create constructor with an unknown order",
                            at);
    uint16_t base = (uint16_t)(it->id & ~AW_CTX_CREATE_MASK);
    uint8_t t = it->value.type;
    switch (base) {
    case AW_CTX_LIST_INDEX:
    case AW_CTX_LIST_RANK:
    case AW_CTX_MAP_INDEX:
    case AW_CTX_MAP_RANK:
        if (t != AW_INT)
            return aw_error_set(err, AW_ERR_PARAM,
                                "context item %u (type 0x%x): needs an integer (got type %u)", at,
                                it->id, t);
        return AW_OK;
    case AW_CTX_MAP_KEY:
        if (t != AW_INT && t != AW_STR && t != AW_BLOB)
            return aw_error_set(err, AW_ERR_PARAM,
                                "context item %u (map key): a key is an integer, string or blob "
                                "(got type %u)",
                                at, t);
        return AW_OK;
    case AW_CTX_LIST_VALUE:
    case AW_CTX_MAP_VALUE: return AW_OK; /* any value; the msgpack writer checks it */
    case AW_CTX_MAP_KEYS_IN:
        if (it->id != base || t != AW_LIST || (it->value.len && !it->value.u.items))
            return aw_error_set(err, AW_ERR_PARAM,
                                "context item %u (map keys in): needs a list of keys and no "
                                "create flags (got type %u, id 0x%x)", at, t, it->id);
        return AW_OK;
    case AW_CTX_EXP:
    case AW_CTX_AND_EXP:
        if (it->id != base || t != AW_BLOB || it->value.subtype != AW_BLOB_RAW_MSGPACK ||
            it->value.len == 0 || !it->value.u.bytes)
            return aw_error_set(err, AW_ERR_PARAM,
                                "context item %u (%s): make it with %s", at,
                                base == AW_CTX_EXP ? "all children" : "and filter",
                                base == AW_CTX_EXP
                                    ? "aw_ctx_all_children or aw_ctx_all_children_with_filter"
                                    : "aw_ctx_and_filter");
        return AW_OK;
    default:
        return aw_error_set(err, AW_ERR_PARAM,
                            "context item %u: type 0x%x is not a list index/rank/value, map "
                            "index/rank/key/value/keys-in or all-children item (create flags "
                            "0x40/0x80/0xc0 only)", at, it->id);
    }
}

int aw_cdt_check_ctx(const aw_ctx *ctx, aw_error *err) {
    if (!ctx)
        return AW_OK;
    if (ctx->n == 0 || !ctx->items)
        return aw_error_set(err, AW_ERR_PARAM, "context has no items (pass NULL for none)");
    if (ctx->n > AW_CTX_MAX_ITEMS)
        return aw_error_set(err, AW_ERR_PARAM, "context has %u items (at most %d)", ctx->n,
                            AW_CTX_MAX_ITEMS);
    for (uint32_t i = 0; i < ctx->n; i++) {
        int rc = check_item(&ctx->items[i], i + 1, err);
        if (rc != AW_OK)
            return rc;
        /* An AND narrows the item before it, which must be a selecting item
         * of its own (the server's select_stack_init answers 4 otherwise). */
        if (ctx->items[i].id == AW_CTX_AND_EXP &&
            (i == 0 || ctx->items[i - 1].id == AW_CTX_EXP ||
             ctx->items[i - 1].id == AW_CTX_AND_EXP))
            return aw_error_set(err, AW_ERR_PARAM,
                                "context item %u (and filter): must follow an index, rank, key, "
                                "value or map-keys-in item",
                                i + 1);
    }
    return AW_OK;
}

int aw_cdt_put_ctx_items(aw_buf *b, const aw_ctx *ctx, uint16_t create, aw_error *err) {
    aw_mp_put_array_header(b, 2 * ctx->n);
    for (uint32_t i = 0; i < ctx->n; i++) {
        const aw_ctx_item *it = &ctx->items[i];
        aw_mp_put_uint(b, i + 1 == ctx->n ? (uint16_t)(it->id | create) : it->id);
        if (it->id == AW_CTX_EXP || it->id == AW_CTX_AND_EXP) { /* already msgpack */
            aw_buf_put(b, it->value.u.bytes, it->value.len);
            continue;
        }
        int rc = aw_msgpack_write(b, &it->value, err);
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}

int aw_cdt_put_ctx(aw_buf *b, const aw_ctx *ctx, uint16_t create, aw_error *err) {
    aw_mp_put_array_header(b, 3);
    aw_mp_put_uint(b, 0xff);
    return aw_cdt_put_ctx_items(b, ctx, create, err);
}
