/*
 * List and map functions inside expressions (CALL, op 127, system CDT;
 * wire-protocol.md §5.4.4). The op array inside the call is the one the
 * aw_cdt_* builders make for the plain op (code, return type, policy
 * arguments, context, their checks), with expression nodes where the plain
 * op has values; only map put/put_items/increment send their policy
 * differently (§5.4.4) and say so below.
 */
#include <stdio.h>
#include <string.h>

#include "aerowire/exp.h"
#include "cdt.h"
#include "exp_impl.h"
#include "msgpack.h"

#define ANY AW_EXP_ANY
#define MAX_CALL_ARGS 8

/* The element type a selection returns (C7.5 as_exp_get_list_type /
 * as_exp_get_map_type): NULL fault when rt and value_type agree. */
static uint8_t read_result(uint32_t rt, aw_exp_type value_type, bool multi, bool is_map,
                           const char **fault) {
    uint8_t t;
    switch (rt & ~AW_RETURN_INVERTED) {
    case AW_RETURN_INDEX:
    case AW_RETURN_REVERSE_INDEX:
    case AW_RETURN_RANK:
    case AW_RETURN_REVERSE_RANK: t = multi ? AW_EXP_LIST : AW_EXP_INT; break;
    case AW_RETURN_COUNT: t = AW_EXP_INT; break;
    case AW_RETURN_KEY:
        if (!is_map) {
            *fault = "return type KEY is for maps only";
            return ANY;
        }
        /* fallthrough */
    case AW_RETURN_VALUE:
        if (multi)
            t = AW_EXP_LIST;
        else if (value_type > AW_EXP_HLL) {
            *fault = "a VALUE or KEY return needs the element's value_type";
            return ANY;
        } else
            t = (uint8_t)value_type;
        break;
    case AW_RETURN_KEY_VALUE:
    case AW_RETURN_UNORDERED_MAP:
    case AW_RETURN_ORDERED_MAP:
        if (!is_map) {
            *fault = "map return types (KEY_VALUE, *_MAP) are for maps only";
            return ANY;
        }
        t = AW_EXP_MAP;
        break;
    case AW_RETURN_EXISTS: t = AW_EXP_BOOL; break;
    default:
        *fault = "a read needs a return type other than NONE (and one the server knows)";
        return ANY;
    }
    if (value_type != ANY && value_type != t) {
        *fault = "value_type does not match what the return type returns";
        return ANY;
    }
    return t;
}

/* The container the path starts in: the bin's type. */
static uint8_t top_type(const aw_ctx *ctx, bool is_map) {
    if (!ctx || ctx->n == 0 || !ctx->items)
        return is_map ? AW_EXP_MAP : AW_EXP_LIST;
    uint16_t family = ctx->items[0].id & 0x30;
    return family == 0x10 ? AW_EXP_LIST : family == 0x20 ? AW_EXP_MAP : ANY;
}

/* Copies the encoded context into the node (the caller's ctx need not
 * outlive it); a bad context becomes the node's fault. */
static void keep_ctx(aw_exp_builder *b, aw_exp_node *n, const aw_ctx *ctx, uint16_t create,
                     bool bare, char *fault, size_t fault_size) {
    aw_error e;
    aw_buf buf;
    aw_buf_init(&buf);
    int rc = aw_cdt_check_ctx(ctx, &e);
    if (rc == AW_OK)
        rc = bare ? aw_cdt_put_ctx_items(&buf, ctx, create, &e)
                  : aw_cdt_put_ctx(&buf, ctx, create, &e);
    if (rc == AW_OK && !aw_buf_ok(&buf))
        rc = aw_error_set(&e, AW_ERR_NOMEM, "out of memory");
    if (rc == AW_OK) {
        n->bytes = aw_exp_keep(b, buf.data, buf.len);
        n->len = (uint32_t)buf.len;
        n->ctx_inline = bare;
    } else if (rc == AW_ERR_NOMEM) {
        aw_exp_refuse(b, rc, "%s: out of memory for the context", n->label);
    } else if (!fault[0]) {
        snprintf(fault, fault_size, "%s", e.message);
    }
    aw_buf_free(&buf);
}

/* What a CDT call is made of besides its op array. */
typedef struct call_shape {
    const char *label;
    uint8_t system;
    uint8_t result;
    uint8_t bin_type;
} call_shape;

/* The CALL node for op (a plain CDT op from the aw_cdt_* builders): its
 * arguments first..first+n-1 are replaced by exprs (of types want), the
 * others (return type, policy) are sent as the op has them. */
static aw_exp_node *cdt_call(aw_exp_builder *b, const call_shape *sh, const aw_op *op,
                             unsigned first, aw_exp_node *const *exprs, const uint8_t *want,
                             unsigned n, aw_exp_node *bin, const char *fault) {
    if (!b)
        return NULL;
    unsigned total = op->n_args > first + n ? op->n_args : first + n;
    if (total + 1 > MAX_CALL_ARGS)
        return aw_exp_refuse(b, AW_ERR_PARAM, "%s: too many arguments", sh->label);
    aw_exp_node *args[MAX_CALL_ARGS];
    uint8_t types[MAX_CALL_ARGS];
    for (unsigned i = 0; i < total; i++) {
        if (i >= first && i < first + n) {
            if (!exprs[i - first])
                return aw_exp_refuse(b, AW_ERR_PARAM, "%s: argument %u is NULL", sh->label,
                                     i - first + 1);
            args[i] = exprs[i - first];
            types[i] = want[i - first];
        } else {
            args[i] = aw_exp_int(b, op->args[i].u.i);
            types[i] = EXP_WANT_LITERAL;
        }
    }
    if (!bin)
        return aw_exp_refuse(b, AW_ERR_PARAM, "%s: bin is NULL", sh->label);
    args[total] = bin;
    aw_exp_node *c = aw_exp_call_node(b, AW_EXPOP_CALL, args, total + 1);
    if (!c)
        return NULL;
    c->label = sh->label;
    c->system = sh->system;
    c->type = sh->result;
    c->bin_type = sh->bin_type;
    c->cdt_op = op->cdt_code;
    if (!(c->want = aw_exp_keep(b, types, total)))
        return NULL;
    char why[AW_ERROR_MSG_SIZE] = "";
    if (op->fault) /* the plain op's own check is the more precise */
        snprintf(why, sizeof why, "%s (0x%llx)", op->fault, (unsigned long long)op->fault_value);
    else if (fault)
        snprintf(why, sizeof why, "%s", fault);
    if (op->ctx)
        keep_ctx(b, c, op->ctx, op->ctx_create, false, why, sizeof why);
    if (why[0] && !(c->fault = aw_exp_keep(b, why, strlen(why) + 1)))
        return NULL;
    return c;
}

static bool is_map_code(uint16_t code) { return code >= AW_MAP_SET_TYPE; }

/* A selection [code, rt, exprs...]: aw_cdt_select makes and checks rt. */
static aw_exp_node *select_call(aw_exp_builder *b, const char *label, const aw_ctx *ctx,
                                uint16_t code, uint32_t rt, aw_exp_type value_type, bool multi,
                                aw_exp_node *const *exprs, const uint8_t *want, unsigned n,
                                aw_exp_node *bin) {
    bool is_map = is_map_code(code);
    const char *fault = NULL;
    call_shape sh = {label, AW_EXP_SYS_CDT, read_result(rt, value_type, multi, is_map, &fault),
                     top_type(ctx, is_map)};
    aw_op op = aw_cdt_select(NULL, ctx, code, rt, NULL, 0);
    return cdt_call(b, &sh, &op, 1, exprs, want, n, bin, fault);
}

/* The multi-element selections (a list of what rt selects). */
static aw_exp_node *select_multi(aw_exp_builder *b, const char *label, const aw_ctx *ctx,
                                 uint16_t code, uint32_t rt, aw_exp_node *const *exprs,
                                 const uint8_t *want, unsigned n, aw_exp_node *bin) {
    return select_call(b, label, ctx, code, rt, ANY, true, exprs, want, n, bin);
}

/* A modify: the result is the top container (C7.5 as_exp_get_ctx_type). */
static call_shape modify_shape(const char *label, const aw_ctx *ctx, bool is_map) {
    uint8_t top = top_type(ctx, is_map);
    call_shape sh = {label, AW_EXP_SYS_CDT | AW_EXP_SYS_MODIFY_LOCAL,
                     top == ANY ? AW_EXP_MAP : top, top};
    return sh;
}

/* A removal [code, rt, exprs...]: the result is the container, rt NONE. */
static aw_exp_node *remove_call(aw_exp_builder *b, const char *label, const aw_ctx *ctx,
                                uint16_t code, uint32_t rt, aw_exp_node *const *exprs,
                                const uint8_t *want, unsigned n, aw_exp_node *bin) {
    call_shape sh = modify_shape(label, ctx, is_map_code(code));
    aw_op op = aw_cdt_select(NULL, ctx, code, rt, NULL, 0);
    const char *fault = (rt & ~AW_RETURN_INVERTED) != AW_RETURN_NONE
                            ? "a remove expression returns the container: rt must be "
                              "AW_RETURN_NONE (| AW_RETURN_INVERTED)"
                            : NULL;
    return cdt_call(b, &sh, &op, 1, exprs, want, n, bin, fault);
}

/* Argument types. */
static const uint8_t W_INT[] = {AW_EXP_INT};
static const uint8_t W_INT_INT[] = {AW_EXP_INT, AW_EXP_INT};
static const uint8_t W_ANY[] = {ANY};
static const uint8_t W_ANY_ANY[] = {ANY, ANY};
static const uint8_t W_LIST[] = {AW_EXP_LIST};
static const uint8_t W_ANY_INT[] = {ANY, AW_EXP_INT};
static const uint8_t W_ANY_INT_INT[] = {ANY, AW_EXP_INT, AW_EXP_INT};
static const uint8_t W_INT_ANY[] = {AW_EXP_INT, ANY};
static const uint8_t W_INT_LIST[] = {AW_EXP_INT, AW_EXP_LIST};
static const uint8_t W_MAP[] = {AW_EXP_MAP};

#define ARGS(...) ((aw_exp_node *const[]){__VA_ARGS__})

/* [begin, end): end NULL is not sent. */
#define RANGE_ARGS(begin, end) ARGS(begin, end), W_ANY_ANY, (end) ? 2u : 1u

/* ---- sizes ----------------------------------------------------------------- */

static aw_exp_node *size_call(aw_exp_builder *b, const char *label, const aw_ctx *ctx,
                              uint16_t code, aw_exp_node *bin) {
    bool is_map = is_map_code(code);
    call_shape sh = {label, AW_EXP_SYS_CDT, AW_EXP_INT, top_type(ctx, is_map)};
    aw_op op = is_map ? aw_cdt_map_size(NULL, ctx) : aw_cdt_list_size(NULL, ctx);
    return cdt_call(b, &sh, &op, 0, NULL, NULL, 0, bin, NULL);
}

aw_exp_node *aw_exp_list_size(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *bin) {
    return size_call(b, "list_size", ctx, AW_LIST_SIZE, bin);
}
aw_exp_node *aw_exp_map_size(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *bin) {
    return size_call(b, "map_size", ctx, AW_MAP_SIZE, bin);
}

/* ---- selections (lists and maps share the shapes) -------------------------- */

#define SEL_ONE(fn, label, code, what)                                                            \
    aw_exp_node *fn(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt, aw_exp_type value_type,   \
                    aw_exp_node *what, aw_exp_node *bin) {                                        \
        return select_call(b, label, ctx, code, rt, value_type, false, ARGS(what), W_INT, 1,     \
                           bin);                                                                  \
    }
/* The shapes reads (select_multi) and removals (remove_call) share: `call`
 * is one of the two. */
#define BY_RANGE(fn, call, label, code, what)                                                     \
    aw_exp_node *fn(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt, aw_exp_node *what,        \
                    aw_exp_node *count, aw_exp_node *bin) {                                       \
        return call(b, label, ctx, code, rt, ARGS(what, count), W_INT_INT, 2, bin);              \
    }
#define BY_TO_END(fn, call, label, code, what)                                                    \
    aw_exp_node *fn(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt, aw_exp_node *what,        \
                    aw_exp_node *bin) {                                                           \
        return call(b, label, ctx, code, rt, ARGS(what), W_INT, 1, bin);                         \
    }
#define BY_VALUE(fn, call, label, code, what, want)                                               \
    aw_exp_node *fn(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt, aw_exp_node *what,        \
                    aw_exp_node *bin) {                                                           \
        return call(b, label, ctx, code, rt, ARGS(what), want, 1, bin);                          \
    }
#define BY_INTERVAL(fn, call, label, code)                                                        \
    aw_exp_node *fn(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt, aw_exp_node *begin,       \
                    aw_exp_node *end, aw_exp_node *bin) {                                         \
        return call(b, label, ctx, code, rt, RANGE_ARGS(begin, end), bin);                       \
    }
#define BY_REL(fn, call, label, code)                                                             \
    aw_exp_node *fn(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt, aw_exp_node *value,       \
                    aw_exp_node *i, aw_exp_node *count, aw_exp_node *bin) {                       \
        return call(b, label, ctx, code, rt, ARGS(value, i, count), W_ANY_INT_INT, 3, bin);      \
    }
#define BY_REL_TO_END(fn, call, label, code)                                                      \
    aw_exp_node *fn(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt, aw_exp_node *value,       \
                    aw_exp_node *i, aw_exp_node *bin) {                                           \
        return call(b, label, ctx, code, rt, ARGS(value, i), W_ANY_INT, 2, bin);                 \
    }
#define SEL_RANGE(fn, label, code, what) BY_RANGE(fn, select_multi, label, code, what)
#define SEL_TO_END(fn, label, code, what) BY_TO_END(fn, select_multi, label, code, what)
#define SEL_VALUE(fn, label, code, what, want) BY_VALUE(fn, select_multi, label, code, what, want)
#define SEL_INTERVAL(fn, label, code) BY_INTERVAL(fn, select_multi, label, code)
#define SEL_REL(fn, label, code) BY_REL(fn, select_multi, label, code)
#define SEL_REL_TO_END(fn, label, code) BY_REL_TO_END(fn, select_multi, label, code)

SEL_ONE(aw_exp_list_get_by_index, "list_get_by_index", AW_LIST_GET_BY_INDEX, index)
SEL_RANGE(aw_exp_list_get_by_index_range, "list_get_by_index_range", AW_LIST_GET_BY_INDEX_RANGE,
          index)
SEL_TO_END(aw_exp_list_get_by_index_range_to_end, "list_get_by_index_range_to_end",
           AW_LIST_GET_BY_INDEX_RANGE, index)
SEL_ONE(aw_exp_list_get_by_rank, "list_get_by_rank", AW_LIST_GET_BY_RANK, rank)
SEL_RANGE(aw_exp_list_get_by_rank_range, "list_get_by_rank_range", AW_LIST_GET_BY_RANK_RANGE, rank)
SEL_TO_END(aw_exp_list_get_by_rank_range_to_end, "list_get_by_rank_range_to_end",
           AW_LIST_GET_BY_RANK_RANGE, rank)
SEL_VALUE(aw_exp_list_get_by_value, "list_get_by_value", AW_LIST_GET_ALL_BY_VALUE, value, W_ANY)
SEL_VALUE(aw_exp_list_get_by_value_list, "list_get_by_value_list", AW_LIST_GET_BY_VALUE_LIST,
          values, W_LIST)
SEL_INTERVAL(aw_exp_list_get_by_value_range, "list_get_by_value_range",
             AW_LIST_GET_BY_VALUE_INTERVAL)
SEL_REL(aw_exp_list_get_by_value_rel_rank_range, "list_get_by_value_rel_rank_range",
        AW_LIST_GET_BY_VALUE_REL_RANK_RANGE)
SEL_REL_TO_END(aw_exp_list_get_by_value_rel_rank_range_to_end,
               "list_get_by_value_rel_rank_range_to_end", AW_LIST_GET_BY_VALUE_REL_RANK_RANGE)

aw_exp_node *aw_exp_map_get_by_key(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                   aw_exp_type value_type, aw_exp_node *key, aw_exp_node *bin) {
    return select_call(b, "map_get_by_key", ctx, AW_MAP_GET_BY_KEY, rt, value_type, false,
                       ARGS(key), W_ANY, 1, bin);
}
SEL_INTERVAL(aw_exp_map_get_by_key_range, "map_get_by_key_range", AW_MAP_GET_BY_KEY_INTERVAL)
SEL_VALUE(aw_exp_map_get_by_key_list, "map_get_by_key_list", AW_MAP_GET_BY_KEY_LIST, keys, W_LIST)
SEL_REL(aw_exp_map_get_by_key_rel_index_range, "map_get_by_key_rel_index_range",
        AW_MAP_GET_BY_KEY_REL_INDEX_RANGE)
SEL_REL_TO_END(aw_exp_map_get_by_key_rel_index_range_to_end,
               "map_get_by_key_rel_index_range_to_end", AW_MAP_GET_BY_KEY_REL_INDEX_RANGE)
SEL_VALUE(aw_exp_map_get_by_value, "map_get_by_value", AW_MAP_GET_ALL_BY_VALUE, value, W_ANY)
SEL_VALUE(aw_exp_map_get_by_value_list, "map_get_by_value_list", AW_MAP_GET_BY_VALUE_LIST, values,
          W_LIST)
SEL_INTERVAL(aw_exp_map_get_by_value_range, "map_get_by_value_range",
             AW_MAP_GET_BY_VALUE_INTERVAL)
SEL_REL(aw_exp_map_get_by_value_rel_rank_range, "map_get_by_value_rel_rank_range",
        AW_MAP_GET_BY_VALUE_REL_RANK_RANGE)
SEL_REL_TO_END(aw_exp_map_get_by_value_rel_rank_range_to_end,
               "map_get_by_value_rel_rank_range_to_end", AW_MAP_GET_BY_VALUE_REL_RANK_RANGE)
SEL_ONE(aw_exp_map_get_by_index, "map_get_by_index", AW_MAP_GET_BY_INDEX, index)
SEL_RANGE(aw_exp_map_get_by_index_range, "map_get_by_index_range", AW_MAP_GET_BY_INDEX_RANGE,
          index)
SEL_TO_END(aw_exp_map_get_by_index_range_to_end, "map_get_by_index_range_to_end",
           AW_MAP_GET_BY_INDEX_RANGE, index)
SEL_ONE(aw_exp_map_get_by_rank, "map_get_by_rank", AW_MAP_GET_BY_RANK, rank)
SEL_RANGE(aw_exp_map_get_by_rank_range, "map_get_by_rank_range", AW_MAP_GET_BY_RANK_RANGE, rank)
SEL_TO_END(aw_exp_map_get_by_rank_range_to_end, "map_get_by_rank_range_to_end",
           AW_MAP_GET_BY_RANK_RANGE, rank)

/* ---- removals --------------------------------------------------------------- */

#define REM_ONE(fn, label, code, what)                                                            \
    aw_exp_node *fn(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *what, aw_exp_node *bin) { \
        return remove_call(b, label, ctx, code, AW_RETURN_NONE, ARGS(what), W_INT, 1, bin);      \
    }
#define REM_RANGE(fn, label, code, what) BY_RANGE(fn, remove_call, label, code, what)
#define REM_TO_END(fn, label, code, what) BY_TO_END(fn, remove_call, label, code, what)
#define REM_VALUE(fn, label, code, what, want) BY_VALUE(fn, remove_call, label, code, what, want)
#define REM_INTERVAL(fn, label, code) BY_INTERVAL(fn, remove_call, label, code)
#define REM_REL(fn, label, code) BY_REL(fn, remove_call, label, code)
#define REM_REL_TO_END(fn, label, code) BY_REL_TO_END(fn, remove_call, label, code)

REM_ONE(aw_exp_list_remove_by_index, "list_remove_by_index", AW_LIST_REMOVE_BY_INDEX, index)
REM_RANGE(aw_exp_list_remove_by_index_range, "list_remove_by_index_range",
          AW_LIST_REMOVE_BY_INDEX_RANGE, index)
REM_TO_END(aw_exp_list_remove_by_index_range_to_end, "list_remove_by_index_range_to_end",
           AW_LIST_REMOVE_BY_INDEX_RANGE, index)
REM_ONE(aw_exp_list_remove_by_rank, "list_remove_by_rank", AW_LIST_REMOVE_BY_RANK, rank)
REM_RANGE(aw_exp_list_remove_by_rank_range, "list_remove_by_rank_range",
          AW_LIST_REMOVE_BY_RANK_RANGE, rank)
REM_TO_END(aw_exp_list_remove_by_rank_range_to_end, "list_remove_by_rank_range_to_end",
           AW_LIST_REMOVE_BY_RANK_RANGE, rank)
REM_VALUE(aw_exp_list_remove_by_value, "list_remove_by_value", AW_LIST_REMOVE_ALL_BY_VALUE, value,
          W_ANY)
REM_VALUE(aw_exp_list_remove_by_value_list, "list_remove_by_value_list",
          AW_LIST_REMOVE_BY_VALUE_LIST, values, W_LIST)
REM_INTERVAL(aw_exp_list_remove_by_value_range, "list_remove_by_value_range",
             AW_LIST_REMOVE_BY_VALUE_INTERVAL)
REM_REL(aw_exp_list_remove_by_value_rel_rank_range, "list_remove_by_value_rel_rank_range",
        AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE)
REM_REL_TO_END(aw_exp_list_remove_by_value_rel_rank_range_to_end,
               "list_remove_by_value_rel_rank_range_to_end",
               AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE)

aw_exp_node *aw_exp_map_remove_by_key(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *key,
                                      aw_exp_node *bin) {
    return remove_call(b, "map_remove_by_key", ctx, AW_MAP_REMOVE_BY_KEY, AW_RETURN_NONE,
                       ARGS(key), W_ANY, 1, bin);
}
REM_VALUE(aw_exp_map_remove_by_key_list, "map_remove_by_key_list", AW_MAP_REMOVE_BY_KEY_LIST, keys,
          W_LIST)
REM_INTERVAL(aw_exp_map_remove_by_key_range, "map_remove_by_key_range",
             AW_MAP_REMOVE_BY_KEY_INTERVAL)
REM_REL(aw_exp_map_remove_by_key_rel_index_range, "map_remove_by_key_rel_index_range",
        AW_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE)
REM_REL_TO_END(aw_exp_map_remove_by_key_rel_index_range_to_end,
               "map_remove_by_key_rel_index_range_to_end", AW_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE)
REM_VALUE(aw_exp_map_remove_by_value, "map_remove_by_value", AW_MAP_REMOVE_ALL_BY_VALUE, value,
          W_ANY)
REM_VALUE(aw_exp_map_remove_by_value_list, "map_remove_by_value_list",
          AW_MAP_REMOVE_BY_VALUE_LIST, values, W_LIST)
REM_INTERVAL(aw_exp_map_remove_by_value_range, "map_remove_by_value_range",
             AW_MAP_REMOVE_BY_VALUE_INTERVAL)
REM_REL(aw_exp_map_remove_by_value_rel_rank_range, "map_remove_by_value_rel_rank_range",
        AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE)
REM_REL_TO_END(aw_exp_map_remove_by_value_rel_rank_range_to_end,
               "map_remove_by_value_rel_rank_range_to_end", AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE)
REM_ONE(aw_exp_map_remove_by_index, "map_remove_by_index", AW_MAP_REMOVE_BY_INDEX, index)
REM_RANGE(aw_exp_map_remove_by_index_range, "map_remove_by_index_range",
          AW_MAP_REMOVE_BY_INDEX_RANGE, index)
REM_TO_END(aw_exp_map_remove_by_index_range_to_end, "map_remove_by_index_range_to_end",
           AW_MAP_REMOVE_BY_INDEX_RANGE, index)
REM_ONE(aw_exp_map_remove_by_rank, "map_remove_by_rank", AW_MAP_REMOVE_BY_RANK, rank)
REM_RANGE(aw_exp_map_remove_by_rank_range, "map_remove_by_rank_range", AW_MAP_REMOVE_BY_RANK_RANGE,
          rank)
REM_TO_END(aw_exp_map_remove_by_rank_range_to_end, "map_remove_by_rank_range_to_end",
           AW_MAP_REMOVE_BY_RANK_RANGE, rank)

/* ---- list modifies: the plain builders' op arrays ---------------------------- */

static const aw_value NIL_VALUE = {0};

#define LIST_MOD(label, op_expr, exprs, want, n, bin)                                             \
    do {                                                                                           \
        call_shape sh = modify_shape(label, ctx, false);                                           \
        aw_op op = op_expr;                                                                        \
        return cdt_call(b, &sh, &op, 0, exprs, want, n, bin, NULL);                                \
    } while (0)

aw_exp_node *aw_exp_list_append(aw_exp_builder *b, const aw_ctx *ctx, const aw_list_policy *pol,
                                aw_exp_node *value, aw_exp_node *bin) {
    LIST_MOD("list_append", aw_cdt_list_append(NULL, ctx, pol, NIL_VALUE), ARGS(value), W_ANY, 1,
             bin);
}
aw_exp_node *aw_exp_list_append_items(aw_exp_builder *b, const aw_ctx *ctx,
                                      const aw_list_policy *pol, aw_exp_node *list,
                                      aw_exp_node *bin) {
    LIST_MOD("list_append_items", aw_cdt_list_append_items(NULL, ctx, pol, NIL_VALUE), ARGS(list),
             W_LIST, 1, bin);
}
aw_exp_node *aw_exp_list_insert(aw_exp_builder *b, const aw_ctx *ctx, const aw_list_policy *pol,
                                aw_exp_node *index, aw_exp_node *value, aw_exp_node *bin) {
    LIST_MOD("list_insert", aw_cdt_list_insert(NULL, ctx, pol, 0, NIL_VALUE), ARGS(index, value),
             W_INT_ANY, 2, bin);
}
aw_exp_node *aw_exp_list_insert_items(aw_exp_builder *b, const aw_ctx *ctx,
                                      const aw_list_policy *pol, aw_exp_node *index,
                                      aw_exp_node *list, aw_exp_node *bin) {
    LIST_MOD("list_insert_items", aw_cdt_list_insert_items(NULL, ctx, pol, 0, NIL_VALUE),
             ARGS(index, list), W_INT_LIST, 2, bin);
}
aw_exp_node *aw_exp_list_increment(aw_exp_builder *b, const aw_ctx *ctx, const aw_list_policy *pol,
                                   aw_exp_node *index, aw_exp_node *delta, aw_exp_node *bin) {
    LIST_MOD("list_increment", aw_cdt_list_increment(NULL, ctx, pol, 0, aw_value_int(0)),
             ARGS(index, delta), W_INT_ANY, 2, bin);
}
aw_exp_node *aw_exp_list_set(aw_exp_builder *b, const aw_ctx *ctx, const aw_list_policy *pol,
                             aw_exp_node *index, aw_exp_node *value, aw_exp_node *bin) {
    LIST_MOD("list_set", aw_cdt_list_set(NULL, ctx, pol, 0, NIL_VALUE), ARGS(index, value),
             W_INT_ANY, 2, bin);
}
aw_exp_node *aw_exp_list_clear(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *bin) {
    LIST_MOD("list_clear", aw_cdt_list_clear(NULL, ctx), NULL, NULL, 0, bin);
}
aw_exp_node *aw_exp_list_sort(aw_exp_builder *b, const aw_ctx *ctx, unsigned sort_flags,
                              aw_exp_node *bin) {
    LIST_MOD("list_sort", aw_cdt_list_sort(NULL, ctx, sort_flags), NULL, NULL, 0, bin);
}

/* ---- map modifies --------------------------------------------------------------- */

aw_exp_node *aw_exp_map_clear(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *bin) {
    call_shape sh = modify_shape("map_clear", ctx, true);
    aw_op op = aw_cdt_map_clear(NULL, ctx);
    return cdt_call(b, &sh, &op, 0, NULL, NULL, 0, bin, NULL);
}

/* Unlike the plain ops (which send the order alone, or 0 without a policy),
 * C7.5 sends nothing without a policy and, with one, `order, flags` for put
 * and put_items and `flags` for increment (wire-protocol.md §5.4.4). */
static aw_exp_node *map_mod(aw_exp_builder *b, const char *label, const aw_ctx *ctx,
                            const aw_map_policy *pol, uint16_t code, bool send_order,
                            aw_exp_node *const *exprs, const uint8_t *want, unsigned n,
                            aw_exp_node *bin) {
    call_shape sh = modify_shape(label, ctx, true);
    aw_op op = aw_cdt_op_make(NULL, ctx, code, NULL, 0);
    op.n_args = (uint8_t)n;
    if (pol) {
        aw_cdt_map_policy_check(&op, pol);
        if (pol->mode != AW_MAP_MODE_PUT)
            aw_cdt_fault(&op, "expressions always put: use the CREATE_ONLY/UPDATE_ONLY flags, "
                              "not a legacy map write mode", pol->mode);
        if (send_order)
            op.args[op.n_args++] = aw_value_int(pol->order);
        op.args[op.n_args++] = aw_value_int(pol->flags);
    }
    return cdt_call(b, &sh, &op, 0, exprs, want, n, bin, NULL);
}

aw_exp_node *aw_exp_map_put(aw_exp_builder *b, const aw_ctx *ctx, const aw_map_policy *pol,
                            aw_exp_node *key, aw_exp_node *value, aw_exp_node *bin) {
    return map_mod(b, "map_put", ctx, pol, AW_MAP_PUT, true, ARGS(key, value), W_ANY_ANY, 2, bin);
}
aw_exp_node *aw_exp_map_put_items(aw_exp_builder *b, const aw_ctx *ctx, const aw_map_policy *pol,
                                  aw_exp_node *map, aw_exp_node *bin) {
    return map_mod(b, "map_put_items", ctx, pol, AW_MAP_PUT_ITEMS, true, ARGS(map), W_MAP, 1, bin);
}
aw_exp_node *aw_exp_map_increment(aw_exp_builder *b, const aw_ctx *ctx, const aw_map_policy *pol,
                                  aw_exp_node *key, aw_exp_node *delta, aw_exp_node *bin) {
    return map_mod(b, "map_increment", ctx, pol, AW_MAP_INCREMENT, false, ARGS(key, delta),
                   W_ANY_ANY, 2, bin);
}

/* ---- paths ------------------------------------------------------------------------ */

#define PATH_APPLY 4 /* the server's flag for "modify": set by modify_by_path only */

static aw_exp_node *path_call(aw_exp_builder *b, const char *label, const aw_ctx *ctx,
                              aw_exp_type type, unsigned flags, aw_exp_node *mod,
                              aw_exp_node *bin) {
    if (!b)
        return NULL;
    call_shape sh = {label, (uint8_t)(AW_EXP_SYS_CDT | (mod ? AW_EXP_SYS_MODIFY_LOCAL : 0)),
                     (uint8_t)type, ANY};
    const char *fault = NULL;
    if ((unsigned)type > AW_EXP_HLL)
        fault = "type must be an aw_exp_type the server knows";
    else if (!ctx)
        fault = "a path needs a context";
    else if (flags & ~(mod ? (unsigned)AW_PATH_NO_FAIL : 0x13u))
        fault = mod ? "modify flags beyond AW_PATH_NO_FAIL"
                    : "select flags beyond AW_PATH_SELECT_* | AW_PATH_NO_FAIL";
    aw_op op = aw_cdt_op_make(NULL, NULL, AW_CDT_SELECT_BY_PATH, NULL, 0);
    op.args[0] = aw_value_int((int64_t)(flags | (mod ? PATH_APPLY : 0)));
    op.n_args = 1;
    aw_exp_node *c = cdt_call(b, &sh, &op, 1, ARGS(mod), W_ANY, mod ? 1 : 0, bin, fault);
    if (c && ctx && !c->fault) {
        char why[AW_ERROR_MSG_SIZE] = "";
        keep_ctx(b, c, ctx, 0, true, why, sizeof why);
        if (why[0])
            c->fault = aw_exp_keep(b, why, strlen(why) + 1);
    }
    return c;
}

aw_exp_node *aw_exp_select_by_path(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_type type,
                                   unsigned flags, aw_exp_node *bin) {
    return path_call(b, "select_by_path", ctx, type, flags, NULL, bin);
}

aw_exp_node *aw_exp_modify_by_path(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_type type,
                                   aw_exp_node *mod, unsigned flags, aw_exp_node *bin) {
    if (b && !mod)
        return aw_exp_refuse(b, AW_ERR_PARAM, "modify_by_path: mod is NULL");
    return path_call(b, "modify_by_path", ctx, type, flags, mod, bin);
}

aw_exp_node *aw_exp_loopvar(aw_exp_builder *b, aw_exp_type type, unsigned id) {
    if (b && ((unsigned)type > AW_EXP_HLL || id > AW_EXP_LOOPVAR_INDEX ||
              (id == AW_EXP_LOOPVAR_INDEX && type != AW_EXP_INT)))
        return aw_exp_refuse(b, AW_ERR_PARAM,
                             "loopvar: id %u as %s (ids 0 key, 1 value, 2 index; an index is an "
                             "int)", id, aw_exp_type_name(type));
    aw_exp_node *n = aw_exp_call_node(b, AW_EXPOP_VAR_BUILTIN, NULL, 0);
    if (n) {
        n->type = (uint8_t)type;
        n->i = id;
    }
    return n;
}

aw_exp_node *aw_exp_remove_result(aw_exp_builder *b) {
    return aw_exp_call_node(b, AW_EXPOP_RESULT_REMOVE, NULL, 0);
}

aw_ctx_item aw_ctx_all_children_with_filter(const aw_exp *filter) {
    size_t len = 0;
    const uint8_t *p = aw_exp_bytes(filter, &len);
    return aw_ctx_exp_bytes(p, len); /* NULL filter: refused when the ctx is checked */
}

aw_ctx_item aw_ctx_and_filter(const aw_exp *filter) {
    aw_ctx_item it = aw_ctx_all_children_with_filter(filter);
    it.id = AW_CTX_AND_EXP;
    return it;
}

/* ---- wire literals ----------------------------------------------------------------- */

static aw_exp_node *ext_literal(aw_exp_builder *b, const char *what, uint8_t which) {
    const uint8_t bytes[3] = {0xd4, 0xff, which};
    aw_exp_node *n = aw_exp_blob(b, bytes, sizeof bytes);
    if (n) {
        n->kind = EXP_RAW;
        n->type = ANY;
        n->label = what;
    }
    return n;
}

aw_exp_node *aw_exp_wildcard(aw_exp_builder *b) { return ext_literal(b, "wildcard", 0); }
aw_exp_node *aw_exp_inf(aw_exp_builder *b) { return ext_literal(b, "inf", 1); }
