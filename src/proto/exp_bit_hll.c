/*
 * Bit and HLL functions inside expressions (CALL, op 127, systems 1 and 2).
 * The op array is the plain op's, argument for argument (the specs of
 * ops_bit.c / ops_hll.c say which argument is what); offsets, sizes, values
 * and element lists are expressions, flags and bit counts literals the
 * builder checks as the op encoder does.
 */
#include <string.h>

#include "aerowire/exp.h"
#include "aerowire/ops_hll.h"
#include "exp_impl.h"
#include "op_spec.h"

#define MAX_ARGS (OP_SPEC_MAX_ARGS + 1)

/* One argument: an expression, or (expr NULL) a literal. */
typedef struct call_arg {
    aw_exp_node *expr;
    int64_t literal;
} call_arg;

#define E(x) ((call_arg){(x), 0})
#define L(v) ((call_arg){NULL, (int64_t)(v)})

static aw_exp_node *spec_call(aw_exp_builder *b, const op_family *fam, const char *label,
                              uint16_t code, bool modify, uint8_t result, const call_arg *a,
                              unsigned n, aw_exp_node *bin) {
    if (!b)
        return NULL;
    aw_value lits[MAX_ARGS] = {{0}};
    aw_exp_node *args[MAX_ARGS];
    uint8_t want[MAX_ARGS];
    for (unsigned i = 0; i < n; i++)
        lits[i] = aw_value_int(a[i].literal);
    aw_error e;
    int rc = aw_op_spec_exp_args(fam, code, lits, n, want, &e);
    for (unsigned i = 0; i < n; i++) {
        if (want[i] == EXP_WANT_LITERAL || rc != AW_OK) {
            args[i] = a[i].expr ? a[i].expr : aw_exp_int(b, a[i].literal);
            continue;
        }
        if (!a[i].expr)
            return aw_exp_refuse(b, AW_ERR_PARAM, "%s: argument %u is NULL", label, i + 1);
        args[i] = a[i].expr;
    }
    if (!bin)
        return aw_exp_refuse(b, AW_ERR_PARAM, "%s: bin is NULL", label);
    args[n] = bin;
    aw_exp_node *c = aw_exp_call_node(b, AW_EXPOP_CALL, args, n + 1);
    if (!c)
        return NULL;
    bool bits = fam == &aw_bit_family;
    c->label = label;
    c->system = (uint8_t)((bits ? AW_EXP_SYS_BITS : AW_EXP_SYS_HLL) |
                          (modify ? AW_EXP_SYS_MODIFY_LOCAL : 0));
    c->type = result;
    c->bin_type = bits ? AW_EXP_BLOB : AW_EXP_HLL;
    c->cdt_op = code;
    if (rc != AW_OK) {
        c->fault = aw_exp_keep(b, e.message, strlen(e.message) + 1);
        memset(want, EXP_WANT_LITERAL, n);
    }
    c->want = aw_exp_keep(b, want, n ? n : 1);
    return c->want ? c : NULL;
}

#define BITS_MOD(label, code, ...)                                                                \
    spec_call(b, &aw_bit_family, label, code, true, AW_EXP_BLOB,                                   \
              (const call_arg[]){__VA_ARGS__},                                                     \
              sizeof((const call_arg[]){__VA_ARGS__}) / sizeof(call_arg), bin)
#define BITS_READ(label, code, result, ...)                                                       \
    spec_call(b, &aw_bit_family, label, code, false, result, (const call_arg[]){__VA_ARGS__},    \
              sizeof((const call_arg[]){__VA_ARGS__}) / sizeof(call_arg), bin)

/* ---- bits ------------------------------------------------------------------------ */

aw_exp_node *aw_exp_bit_resize(aw_exp_builder *b, unsigned flags, aw_exp_node *byte_size,
                               unsigned resize_flags, aw_exp_node *bin) {
    return BITS_MOD("bit_resize", AW_BIT_OP_RESIZE, E(byte_size), L(flags), L(resize_flags));
}
aw_exp_node *aw_exp_bit_insert(aw_exp_builder *b, unsigned flags, aw_exp_node *byte_offset,
                               aw_exp_node *value, aw_exp_node *bin) {
    return BITS_MOD("bit_insert", AW_BIT_OP_INSERT, E(byte_offset), E(value), L(flags));
}
aw_exp_node *aw_exp_bit_remove(aw_exp_builder *b, unsigned flags, aw_exp_node *byte_offset,
                               aw_exp_node *byte_size, aw_exp_node *bin) {
    return BITS_MOD("bit_remove", AW_BIT_OP_REMOVE, E(byte_offset), E(byte_size), L(flags));
}

#define BYTES_MOD(fn, label, code)                                                                \
    aw_exp_node *fn(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,                   \
                    aw_exp_node *bit_size, aw_exp_node *value, aw_exp_node *bin) {                \
        return BITS_MOD(label, code, E(bit_offset), E(bit_size), E(value), L(flags));             \
    }
BYTES_MOD(aw_exp_bit_set, "bit_set", AW_BIT_OP_SET)
BYTES_MOD(aw_exp_bit_or, "bit_or", AW_BIT_OP_OR)
BYTES_MOD(aw_exp_bit_xor, "bit_xor", AW_BIT_OP_XOR)
BYTES_MOD(aw_exp_bit_and, "bit_and", AW_BIT_OP_AND)
BYTES_MOD(aw_exp_bit_lshift, "bit_lshift", AW_BIT_OP_LSHIFT)
BYTES_MOD(aw_exp_bit_rshift, "bit_rshift", AW_BIT_OP_RSHIFT)
BYTES_MOD(aw_exp_bit_set_int, "bit_set_int", AW_BIT_OP_SET_INT)

aw_exp_node *aw_exp_bit_not(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                            aw_exp_node *bit_size, aw_exp_node *bin) {
    return BITS_MOD("bit_not", AW_BIT_OP_NOT, E(bit_offset), E(bit_size), L(flags));
}

/* The server's flag word: the overflow action, bit 0 = signed (an unknown
 * action is sent as is and refused by the spec check). */
static int64_t math_flags(bool is_signed, aw_bit_overflow action) {
    return (int64_t)action | (is_signed ? 1 : 0);
}

aw_exp_node *aw_exp_bit_add(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                            aw_exp_node *bit_size, aw_exp_node *value, bool is_signed,
                            aw_bit_overflow action, aw_exp_node *bin) {
    return BITS_MOD("bit_add", AW_BIT_OP_ADD, E(bit_offset), E(bit_size), E(value), L(flags),
                    L(math_flags(is_signed, action)));
}
aw_exp_node *aw_exp_bit_subtract(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                 aw_exp_node *bit_size, aw_exp_node *value, bool is_signed,
                                 aw_bit_overflow action, aw_exp_node *bin) {
    return BITS_MOD("bit_subtract", AW_BIT_OP_SUBTRACT, E(bit_offset), E(bit_size), E(value),
                    L(flags), L(math_flags(is_signed, action)));
}

aw_exp_node *aw_exp_bit_get(aw_exp_builder *b, aw_exp_node *bit_offset, aw_exp_node *bit_size,
                            aw_exp_node *bin) {
    return BITS_READ("bit_get", AW_BIT_OP_GET, AW_EXP_BLOB, E(bit_offset), E(bit_size));
}
aw_exp_node *aw_exp_bit_count(aw_exp_builder *b, aw_exp_node *bit_offset, aw_exp_node *bit_size,
                              aw_exp_node *bin) {
    return BITS_READ("bit_count", AW_BIT_OP_COUNT, AW_EXP_INT, E(bit_offset), E(bit_size));
}
aw_exp_node *aw_exp_bit_lscan(aw_exp_builder *b, aw_exp_node *bit_offset, aw_exp_node *bit_size,
                              aw_exp_node *value, aw_exp_node *bin) {
    return BITS_READ("bit_lscan", AW_BIT_OP_LSCAN, AW_EXP_INT, E(bit_offset), E(bit_size),
                     E(value));
}
aw_exp_node *aw_exp_bit_rscan(aw_exp_builder *b, aw_exp_node *bit_offset, aw_exp_node *bit_size,
                              aw_exp_node *value, aw_exp_node *bin) {
    return BITS_READ("bit_rscan", AW_BIT_OP_RSCAN, AW_EXP_INT, E(bit_offset), E(bit_size),
                     E(value));
}
/* C7.5 sends the signed flag in expressions either way (0 or 1); the plain
 * op sends it only when signed. */
aw_exp_node *aw_exp_bit_get_int(aw_exp_builder *b, aw_exp_node *bit_offset, aw_exp_node *bit_size,
                                bool is_signed, aw_exp_node *bin) {
    return BITS_READ("bit_get_int", AW_BIT_OP_GET_INT, AW_EXP_INT, E(bit_offset), E(bit_size),
                     L(is_signed ? 1 : 0));
}

/* ---- HLL --------------------------------------------------------------------------- */

static aw_exp_node *hll_call(aw_exp_builder *b, const char *label, uint16_t code, bool modify,
                             uint8_t result, const call_arg *a, unsigned n, aw_exp_node *bin) {
    return spec_call(b, &aw_hll_family, label, code, modify, result, a, n, bin);
}

aw_exp_node *aw_exp_hll_init(aw_exp_builder *b, unsigned flags, int index_bits, int minhash_bits,
                             aw_exp_node *bin) {
    const call_arg a[] = {L(index_bits), L(minhash_bits), L(flags)};
    return hll_call(b, "hll_init", AW_HLL_OP_INIT, true, AW_EXP_HLL, a, 3, bin);
}
aw_exp_node *aw_exp_hll_add(aw_exp_builder *b, unsigned flags, aw_exp_node *list, int index_bits,
                            int minhash_bits, aw_exp_node *bin) {
    const call_arg a[] = {E(list), L(index_bits), L(minhash_bits), L(flags)};
    return hll_call(b, "hll_add", AW_HLL_OP_ADD, true, AW_EXP_HLL, a, 4, bin);
}
aw_exp_node *aw_exp_hll_get_count(aw_exp_builder *b, aw_exp_node *bin) {
    return hll_call(b, "hll_get_count", AW_HLL_OP_GET_COUNT, false, AW_EXP_INT, NULL, 0, bin);
}
aw_exp_node *aw_exp_hll_describe(aw_exp_builder *b, aw_exp_node *bin) {
    return hll_call(b, "hll_describe", AW_HLL_OP_DESCRIBE, false, AW_EXP_LIST, NULL, 0, bin);
}

#define HLL_LIST_READ(fn, label, code, result, arg)                                              \
    aw_exp_node *fn(aw_exp_builder *b, aw_exp_node *arg, aw_exp_node *bin) {                     \
        const call_arg a[] = {E(arg)};                                                            \
        return hll_call(b, label, code, false, result, a, 1, bin);                                \
    }
HLL_LIST_READ(aw_exp_hll_get_union, "hll_get_union", AW_HLL_OP_GET_UNION, AW_EXP_HLL, hlls)
HLL_LIST_READ(aw_exp_hll_get_union_count, "hll_get_union_count", AW_HLL_OP_GET_UNION_COUNT,
              AW_EXP_INT, hlls)
HLL_LIST_READ(aw_exp_hll_get_intersect_count, "hll_get_intersect_count",
              AW_HLL_OP_GET_INTERSECT_COUNT, AW_EXP_INT, hlls)
HLL_LIST_READ(aw_exp_hll_get_similarity, "hll_get_similarity", AW_HLL_OP_GET_SIMILARITY,
              AW_EXP_FLOAT, hlls)
HLL_LIST_READ(aw_exp_hll_may_contain, "hll_may_contain", AW_HLL_OP_MAY_CONTAIN, AW_EXP_INT, list)
