/*
 * aerowire/ops_bit.h — bit operations on blob bins (operate op types 12/13).
 *
 * Each builder returns an aw_op that borrows its bin name and byte values
 * (nothing is copied or allocated): keep them alive until the request is
 * encoded. Arguments are checked when the request is encoded, which refuses
 * anything the server would refuse as ill-formed (AW_ERR_PARAM naming the op,
 * the bin and the argument): flags outside the op's allowed set, an integer
 * field of 0 or more than 64 bits, a value shorter than bit_size, NULL bytes.
 *
 * Bit 0 is the most significant bit of byte 0. Offsets may be negative:
 * counted from the end of the blob (-8 = the last byte).
 */
#ifndef AEROWIRE_OPS_BIT_H
#define AEROWIRE_OPS_BIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bit policy write flags (the `flags` argument of every modify builder). */
enum {
    AW_BIT_WRITE_DEFAULT = 0,
    AW_BIT_WRITE_CREATE_ONLY = 1, /* RESIZE, INSERT: fail with 6 if the bin exists */
    AW_BIT_WRITE_UPDATE_ONLY = 2, /* fail with 17 if the bin is missing */
    AW_BIT_WRITE_NO_FAIL = 4,     /* a refused op becomes a no-op */
    AW_BIT_WRITE_PARTIAL = 8,     /* REMOVE, SET..RSHIFT: act on the part inside the blob */
};

/* RESIZE flags. */
enum {
    AW_BIT_RESIZE_DEFAULT = 0,     /* grow or shrink at the end */
    AW_BIT_RESIZE_FROM_FRONT = 1,
    AW_BIT_RESIZE_GROW_ONLY = 2,
    AW_BIT_RESIZE_SHRINK_ONLY = 4,
};

/* What ADD/SUBTRACT do on overflow or underflow. */
typedef enum aw_bit_overflow {
    AW_BIT_OVERFLOW_FAIL = 0,     /* the command fails with 26 */
    AW_BIT_OVERFLOW_SATURATE = 2, /* clamp to the field's min or max */
    AW_BIT_OVERFLOW_WRAP = 4,     /* modulo 2^bit_size */
} aw_bit_overflow;

/* Wire op codes (the first element of the op's msgpack array). */
enum {
    AW_BIT_OP_RESIZE = 0, AW_BIT_OP_INSERT = 1, AW_BIT_OP_REMOVE = 2, AW_BIT_OP_SET = 3,
    AW_BIT_OP_OR = 4, AW_BIT_OP_XOR = 5, AW_BIT_OP_AND = 6, AW_BIT_OP_NOT = 7,
    AW_BIT_OP_LSHIFT = 8, AW_BIT_OP_RSHIFT = 9, AW_BIT_OP_ADD = 10, AW_BIT_OP_SUBTRACT = 11,
    AW_BIT_OP_SET_INT = 12, AW_BIT_OP_GET = 50, AW_BIT_OP_COUNT = 51, AW_BIT_OP_LSCAN = 52,
    AW_BIT_OP_RSCAN = 53, AW_BIT_OP_GET_INT = 54,
};

/* Modify ops: no result (nil when results are returned per op). Only RESIZE
 * and INSERT create a missing bin. */
AW_API aw_op aw_op_bit_resize(const char *bin, unsigned flags, uint32_t byte_size,
                              unsigned resize_flags);
AW_API aw_op aw_op_bit_insert(const char *bin, unsigned flags, int32_t byte_offset,
                              const void *bytes, size_t n);
AW_API aw_op aw_op_bit_remove(const char *bin, unsigned flags, int32_t byte_offset,
                              uint32_t byte_size);
/* SET/OR/XOR/AND take the first bit_size bits of `bytes` (n * 8 >= bit_size). */
AW_API aw_op aw_op_bit_set(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                           const void *bytes, size_t n);
AW_API aw_op aw_op_bit_or(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                          const void *bytes, size_t n);
AW_API aw_op aw_op_bit_xor(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                           const void *bytes, size_t n);
AW_API aw_op aw_op_bit_and(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                           const void *bytes, size_t n);
AW_API aw_op aw_op_bit_not(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size);
AW_API aw_op aw_op_bit_lshift(const char *bin, unsigned flags, int32_t bit_offset,
                              uint32_t bit_size, uint32_t shift);
AW_API aw_op aw_op_bit_rshift(const char *bin, unsigned flags, int32_t bit_offset,
                              uint32_t bit_size, uint32_t shift);
/* Integer fields are 1..64 bits, big-endian. ADD/SUBTRACT take `value`
 * modulo 2^bit_size; SET_INT stores it truncated to bit_size bits. */
AW_API aw_op aw_op_bit_add(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                           int64_t value, bool is_signed, aw_bit_overflow action);
AW_API aw_op aw_op_bit_subtract(const char *bin, unsigned flags, int32_t bit_offset,
                                uint32_t bit_size, int64_t value, bool is_signed,
                                aw_bit_overflow action);
AW_API aw_op aw_op_bit_set_int(const char *bin, unsigned flags, int32_t bit_offset,
                               uint32_t bit_size, int64_t value);

/* Read ops. GET: a blob of ceil(bit_size / 8) bytes, the bits left-aligned.
 * COUNT: the number of 1 bits. LSCAN/RSCAN: the position of the first/last
 * bit equal to `value`, relative to bit_offset, or -1. GET_INT: the field as
 * an unsigned or (is_signed) two's complement integer. A missing bin gives
 * nil. */
AW_API aw_op aw_op_bit_get(const char *bin, int32_t bit_offset, uint32_t bit_size);
AW_API aw_op aw_op_bit_count(const char *bin, int32_t bit_offset, uint32_t bit_size);
AW_API aw_op aw_op_bit_lscan(const char *bin, int32_t bit_offset, uint32_t bit_size, bool value);
AW_API aw_op aw_op_bit_rscan(const char *bin, int32_t bit_offset, uint32_t bit_size, bool value);
AW_API aw_op aw_op_bit_get_int(const char *bin, int32_t bit_offset, uint32_t bit_size,
                               bool is_signed);

#ifdef __cplusplus
}
#endif
#endif
