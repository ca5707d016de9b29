/*
 * aerowire/ops_hll.h — HyperLogLog operations (operate op types 15/16).
 *
 * Builders borrow the bin name and the lists they are given (nothing is
 * copied or allocated); keep them alive until the request is encoded. The
 * encoder refuses, with AW_ERR_PARAM naming the op, bin and argument, what
 * the server would refuse as ill-formed: an index bit count outside 4..16, a
 * minhash bit count other than 0 or 4..51, the two summing to more than 64,
 * flags outside the op's allowed set, lists or maps as elements, HLL lists
 * that are empty or hold something other than HLL values.
 *
 * Bit counts of -1 mean "not given": the bin's own on an existing HLL (and
 * minhash 0 when the op creates one; the index bit count is then required,
 * the server answers 26 without it).
 */
#ifndef AEROWIRE_OPS_HLL_H
#define AEROWIRE_OPS_HLL_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "ops.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* HLL policy write flags (the `flags` argument of INIT, ADD, SET_UNION). */
enum {
    AW_HLL_WRITE_DEFAULT = 0,
    AW_HLL_WRITE_CREATE_ONLY = 1, /* fail with 6 if the bin exists */
    AW_HLL_WRITE_UPDATE_ONLY = 2, /* INIT, SET_UNION: fail with 17 if the bin is missing */
    AW_HLL_WRITE_NO_FAIL = 4,     /* a refused op becomes a no-op */
    AW_HLL_WRITE_ALLOW_FOLD = 8,  /* SET_UNION: fold to the smaller index bit count */
};

/* Wire op codes. */
enum {
    AW_HLL_OP_INIT = 0, AW_HLL_OP_ADD = 1, AW_HLL_OP_SET_UNION = 2, AW_HLL_OP_REFRESH_COUNT = 3,
    AW_HLL_OP_FOLD = 4, AW_HLL_OP_GET_COUNT = 50, AW_HLL_OP_GET_UNION = 51,
    AW_HLL_OP_GET_UNION_COUNT = 52, AW_HLL_OP_GET_INTERSECT_COUNT = 53,
    AW_HLL_OP_GET_SIMILARITY = 54, AW_HLL_OP_DESCRIBE = 55, AW_HLL_OP_MAY_CONTAIN = 56,
};

#define AW_HLL_BITS_UNSET (-1)

/* Borrowed HLL value (particle type 18) over n bytes, e.g. one kept from an
 * earlier reply. HLL values read from a record already have this type. */
static inline aw_value aw_value_hll(const void *p, size_t n) {
    aw_value v = aw_value_blob(p, n);
    v.subtype = AW_PARTICLE_HLL;
    return v;
}

/* Modify ops. INIT creates or empties the HLL; no result. ADD adds the
 * elements of `list` (an AW_LIST of scalars) and returns how many of them
 * changed the HLL. SET_UNION merges the HLLs of `hlls` (an AW_LIST of HLL
 * values) into the bin; no result. REFRESH_COUNT returns the count and caches
 * it in the bin. FOLD lowers the index bit count (HLLs without minhash bits
 * only); no result. */
AW_API aw_op aw_op_hll_init(const char *bin, unsigned flags, int index_bits, int minhash_bits);
AW_API aw_op aw_op_hll_add(const char *bin, unsigned flags, aw_value list, int index_bits,
                           int minhash_bits);
AW_API aw_op aw_op_hll_set_union(const char *bin, unsigned flags, aw_value hlls);
AW_API aw_op aw_op_hll_refresh_count(const char *bin);
AW_API aw_op aw_op_hll_fold(const char *bin, int index_bits);

/* Read ops. GET_COUNT, GET_UNION_COUNT, GET_INTERSECT_COUNT: integers;
 * GET_UNION: an HLL value; GET_SIMILARITY: a float (0..1); DESCRIBE: a list
 * [index_bits, minhash_bits]. A missing bin gives nil. */
AW_API aw_op aw_op_hll_get_count(const char *bin);
AW_API aw_op aw_op_hll_get_union(const char *bin, aw_value hlls);
AW_API aw_op aw_op_hll_get_union_count(const char *bin, aw_value hlls);
AW_API aw_op aw_op_hll_get_intersect_count(const char *bin, aw_value hlls);
AW_API aw_op aw_op_hll_get_similarity(const char *bin, aw_value hlls);
AW_API aw_op aw_op_hll_describe(const char *bin);

#ifdef __cplusplus
}
#endif
#endif
