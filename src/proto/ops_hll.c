/*
 * HLL op builders and their specs (arguments and allowed write flags as the
 * server's particle_hll.c op tables take them, packed in the order of the
 * official C client 7.5).
 */
#include "aerowire/ops_hll.h"
#include "op_spec.h"

#define INIT_FLAGS (AW_HLL_WRITE_CREATE_ONLY | AW_HLL_WRITE_UPDATE_ONLY | AW_HLL_WRITE_NO_FAIL)
#define ADD_FLAGS (AW_HLL_WRITE_CREATE_ONLY | AW_HLL_WRITE_NO_FAIL)
#define UNION_FLAGS (INIT_FLAGS | AW_HLL_WRITE_ALLOW_FOLD)

#define HLLS_READ(code, name) {code, name, 0, 1, 1, 0, {ARG_HLLS}, {"hlls"}}

static const op_spec HLL_SPECS[] = {
    {AW_HLL_OP_INIT, "INIT", 1, 3, 3, INIT_FLAGS,
     {ARG_INDEX_BITS, ARG_MINHASH_BITS, ARG_WRITE_FLAGS},
     {"index_bits", "minhash_bits", "flags"}},
    {AW_HLL_OP_ADD, "ADD", 1, 4, 4, ADD_FLAGS,
     {ARG_ELEMENTS, ARG_INDEX_BITS, ARG_MINHASH_BITS, ARG_WRITE_FLAGS},
     {"list", "index_bits", "minhash_bits", "flags"}},
    {AW_HLL_OP_SET_UNION, "SET_UNION", 1, 2, 2, UNION_FLAGS, {ARG_HLLS, ARG_WRITE_FLAGS},
     {"hlls", "flags"}},
    {AW_HLL_OP_REFRESH_COUNT, "REFRESH_COUNT", 1, 0, 0, 0, {0}, {NULL}},
    {AW_HLL_OP_FOLD, "FOLD", 1, 1, 1, 0, {ARG_INDEX_BITS_REQUIRED}, {"index_bits"}},
    {AW_HLL_OP_GET_COUNT, "GET_COUNT", 0, 0, 0, 0, {0}, {NULL}},
    HLLS_READ(AW_HLL_OP_GET_UNION, "GET_UNION"),
    HLLS_READ(AW_HLL_OP_GET_UNION_COUNT, "GET_UNION_COUNT"),
    HLLS_READ(AW_HLL_OP_GET_INTERSECT_COUNT, "GET_INTERSECT_COUNT"),
    HLLS_READ(AW_HLL_OP_GET_SIMILARITY, "GET_SIMILARITY"),
    {AW_HLL_OP_DESCRIBE, "DESCRIBE", 0, 0, 0, 0, {0}, {NULL}},
    {AW_HLL_OP_MAY_CONTAIN, "MAY_CONTAIN", 0, 1, 1, 0, {ARG_ELEMENTS}, {"list"}},
};

const op_family aw_hll_family = {"HLL", AW_OP_HLL_READ, AW_OP_HLL_MODIFY, HLL_SPECS,
                                     sizeof HLL_SPECS / sizeof HLL_SPECS[0]};

int aw_buf_hll_op(aw_buf *b, const aw_op *op, aw_error *err) {
    return aw_op_spec_write(b, &aw_hll_family, op, err);
}

static aw_op hll(const char *bin, uint16_t code, const aw_value *args, uint8_t n) {
    return aw_op_spec_build(&aw_hll_family, bin, code, args, n);
}

aw_op aw_op_hll_init(const char *bin, unsigned flags, int index_bits, int minhash_bits) {
    aw_value a[] = {aw_value_int(index_bits), aw_value_int(minhash_bits), aw_value_int(flags)};
    return hll(bin, AW_HLL_OP_INIT, a, 3);
}

aw_op aw_op_hll_add(const char *bin, unsigned flags, aw_value list, int index_bits,
                    int minhash_bits) {
    aw_value a[] = {list, aw_value_int(index_bits), aw_value_int(minhash_bits),
                    aw_value_int(flags)};
    return hll(bin, AW_HLL_OP_ADD, a, 4);
}

aw_op aw_op_hll_set_union(const char *bin, unsigned flags, aw_value hlls) {
    aw_value a[] = {hlls, aw_value_int(flags)};
    return hll(bin, AW_HLL_OP_SET_UNION, a, 2);
}

aw_op aw_op_hll_refresh_count(const char *bin) {
    return hll(bin, AW_HLL_OP_REFRESH_COUNT, NULL, 0);
}

aw_op aw_op_hll_fold(const char *bin, int index_bits) {
    aw_value a = aw_value_int(index_bits);
    return hll(bin, AW_HLL_OP_FOLD, &a, 1);
}

aw_op aw_op_hll_get_count(const char *bin) { return hll(bin, AW_HLL_OP_GET_COUNT, NULL, 0); }
aw_op aw_op_hll_get_union(const char *bin, aw_value hlls) {
    return hll(bin, AW_HLL_OP_GET_UNION, &hlls, 1);
}
aw_op aw_op_hll_get_union_count(const char *bin, aw_value hlls) {
    return hll(bin, AW_HLL_OP_GET_UNION_COUNT, &hlls, 1);
}
aw_op aw_op_hll_get_intersect_count(const char *bin, aw_value hlls) {
    return hll(bin, AW_HLL_OP_GET_INTERSECT_COUNT, &hlls, 1);
}
aw_op aw_op_hll_get_similarity(const char *bin, aw_value hlls) {
    return hll(bin, AW_HLL_OP_GET_SIMILARITY, &hlls, 1);
}
aw_op aw_op_hll_describe(const char *bin) { return hll(bin, AW_HLL_OP_DESCRIBE, NULL, 0); }
