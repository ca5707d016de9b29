/*
 * Bit op builders and their specs (arguments and allowed write flags as the
 * server's particle_blob.c op tables take them, packed in the order of the
 * official C client 7.5).
 */
#include "aerowire/ops_bit.h"
#include "op_spec.h"

/* Write flags each modify op accepts. */
#define CU_NF (AW_BIT_WRITE_CREATE_ONLY | AW_BIT_WRITE_UPDATE_ONLY | AW_BIT_WRITE_NO_FAIL)
#define U_NF_P (AW_BIT_WRITE_UPDATE_ONLY | AW_BIT_WRITE_NO_FAIL | AW_BIT_WRITE_PARTIAL)
#define U_NF (AW_BIT_WRITE_UPDATE_ONLY | AW_BIT_WRITE_NO_FAIL)

#define BYTES_OP(code, name)                                                                       \
    {code, name, 1, 4, 4, U_NF_P, {ARG_OFFSET, ARG_SIZE, ARG_BYTES, ARG_WRITE_FLAGS},              \
     {"bit_offset", "bit_size", "value", "flags"}}
#define SHIFT_OP(code, name)                                                                       \
    {code, name, 1, 4, 4, U_NF_P, {ARG_OFFSET, ARG_SIZE, ARG_SIZE, ARG_WRITE_FLAGS},               \
     {"bit_offset", "bit_size", "shift", "flags"}}
#define MATH_OP(code, name)                                                                        \
    {code, name, 1, 5, 5, U_NF,                                                                    \
     {ARG_OFFSET, ARG_BIT_SIZE_INT, ARG_INT_AS_UINT, ARG_WRITE_FLAGS, ARG_MATH_FLAGS},             \
     {"bit_offset", "bit_size", "value", "flags", "overflow action"}}
#define RANGE_READ(code, name)                                                                     \
    {code, name, 0, 2, 2, 0, {ARG_OFFSET, ARG_SIZE}, {"bit_offset", "bit_size"}}
#define SCAN_READ(code, name)                                                                      \
    {code, name, 0, 3, 3, 0, {ARG_OFFSET, ARG_SIZE, ARG_BOOL}, {"bit_offset", "bit_size", "value"}}

static const op_spec BIT_SPECS[] = {
    {AW_BIT_OP_RESIZE, "RESIZE", 1, 3, 3, CU_NF, {ARG_SIZE, ARG_WRITE_FLAGS, ARG_RESIZE_FLAGS},
     {"byte_size", "flags", "resize flags"}},
    {AW_BIT_OP_INSERT, "INSERT", 1, 3, 3, CU_NF, {ARG_OFFSET, ARG_BYTES, ARG_WRITE_FLAGS},
     {"byte_offset", "value", "flags"}},
    {AW_BIT_OP_REMOVE, "REMOVE", 1, 3, 3, U_NF_P, {ARG_OFFSET, ARG_SIZE, ARG_WRITE_FLAGS},
     {"byte_offset", "byte_size", "flags"}},
    BYTES_OP(AW_BIT_OP_SET, "SET"),
    BYTES_OP(AW_BIT_OP_OR, "OR"),
    BYTES_OP(AW_BIT_OP_XOR, "XOR"),
    BYTES_OP(AW_BIT_OP_AND, "AND"),
    {AW_BIT_OP_NOT, "NOT", 1, 3, 3, U_NF_P, {ARG_OFFSET, ARG_SIZE, ARG_WRITE_FLAGS},
     {"bit_offset", "bit_size", "flags"}},
    SHIFT_OP(AW_BIT_OP_LSHIFT, "LSHIFT"),
    SHIFT_OP(AW_BIT_OP_RSHIFT, "RSHIFT"),
    MATH_OP(AW_BIT_OP_ADD, "ADD"),
    MATH_OP(AW_BIT_OP_SUBTRACT, "SUBTRACT"),
    {AW_BIT_OP_SET_INT, "SET_INT", 1, 4, 4, U_NF,
     {ARG_OFFSET, ARG_BIT_SIZE_INT, ARG_INT, ARG_WRITE_FLAGS},
     {"bit_offset", "bit_size", "value", "flags"}},
    RANGE_READ(AW_BIT_OP_GET, "GET"),
    RANGE_READ(AW_BIT_OP_COUNT, "COUNT"),
    SCAN_READ(AW_BIT_OP_LSCAN, "LSCAN"),
    SCAN_READ(AW_BIT_OP_RSCAN, "RSCAN"),
    {AW_BIT_OP_GET_INT, "GET_INT", 0, 2, 3, 0, {ARG_OFFSET, ARG_BIT_SIZE_INT, ARG_SIGNED},
     {"bit_offset", "bit_size", "signed flag"}},
};

const op_family aw_bit_family = {"BIT", AW_OP_BIT_READ, AW_OP_BIT_MODIFY, BIT_SPECS,
                                     sizeof BIT_SPECS / sizeof BIT_SPECS[0]};

int aw_buf_bit_op(aw_buf *b, const aw_op *op, aw_error *err) {
    return aw_op_spec_write(b, &aw_bit_family, op, err);
}

static aw_op bit(const char *bin, uint16_t code, const aw_value *args, uint8_t n) {
    return aw_op_spec_build(&aw_bit_family, bin, code, args, n);
}

/* Borrowed bytes; NULL stays NULL and an oversized length becomes 0, both
 * refused by the encoder naming the argument. */
static aw_value bytes_value(const void *p, size_t n) {
    return aw_value_blob(p, n > AW_VALUE_MAX_LEN ? 0 : n);
}

aw_op aw_op_bit_resize(const char *bin, unsigned flags, uint32_t byte_size,
                       unsigned resize_flags) {
    aw_value a[] = {aw_value_int(byte_size), aw_value_int(flags), aw_value_int(resize_flags)};
    return bit(bin, AW_BIT_OP_RESIZE, a, 3);
}

aw_op aw_op_bit_insert(const char *bin, unsigned flags, int32_t byte_offset, const void *bytes,
                       size_t n) {
    aw_value a[] = {aw_value_int(byte_offset), bytes_value(bytes, n), aw_value_int(flags)};
    return bit(bin, AW_BIT_OP_INSERT, a, 3);
}

aw_op aw_op_bit_remove(const char *bin, unsigned flags, int32_t byte_offset, uint32_t byte_size) {
    aw_value a[] = {aw_value_int(byte_offset), aw_value_int(byte_size), aw_value_int(flags)};
    return bit(bin, AW_BIT_OP_REMOVE, a, 3);
}

static aw_op bytes_op(const char *bin, uint16_t code, unsigned flags, int32_t bit_offset,
                      uint32_t bit_size, const void *bytes, size_t n) {
    aw_value a[] = {aw_value_int(bit_offset), aw_value_int(bit_size), bytes_value(bytes, n),
                    aw_value_int(flags)};
    return bit(bin, code, a, 4);
}

aw_op aw_op_bit_set(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                    const void *bytes, size_t n) {
    return bytes_op(bin, AW_BIT_OP_SET, flags, bit_offset, bit_size, bytes, n);
}
aw_op aw_op_bit_or(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                   const void *bytes, size_t n) {
    return bytes_op(bin, AW_BIT_OP_OR, flags, bit_offset, bit_size, bytes, n);
}
aw_op aw_op_bit_xor(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                    const void *bytes, size_t n) {
    return bytes_op(bin, AW_BIT_OP_XOR, flags, bit_offset, bit_size, bytes, n);
}
aw_op aw_op_bit_and(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                    const void *bytes, size_t n) {
    return bytes_op(bin, AW_BIT_OP_AND, flags, bit_offset, bit_size, bytes, n);
}

aw_op aw_op_bit_not(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size) {
    aw_value a[] = {aw_value_int(bit_offset), aw_value_int(bit_size), aw_value_int(flags)};
    return bit(bin, AW_BIT_OP_NOT, a, 3);
}

static aw_op shift_op(const char *bin, uint16_t code, unsigned flags, int32_t bit_offset,
                      uint32_t bit_size, uint32_t shift) {
    aw_value a[] = {aw_value_int(bit_offset), aw_value_int(bit_size), aw_value_int(shift),
                    aw_value_int(flags)};
    return bit(bin, code, a, 4);
}

aw_op aw_op_bit_lshift(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                       uint32_t shift) {
    return shift_op(bin, AW_BIT_OP_LSHIFT, flags, bit_offset, bit_size, shift);
}
aw_op aw_op_bit_rshift(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                       uint32_t shift) {
    return shift_op(bin, AW_BIT_OP_RSHIFT, flags, bit_offset, bit_size, shift);
}

static aw_op math_op(const char *bin, uint16_t code, unsigned flags, int32_t bit_offset,
                     uint32_t bit_size, int64_t value, bool is_signed, aw_bit_overflow action) {
    /* the server's flag word: the overflow action, bit 0 = signed; an
     * unknown action becomes -1, which the encoder refuses */
    bool known = action == AW_BIT_OVERFLOW_FAIL || action == AW_BIT_OVERFLOW_SATURATE ||
                 action == AW_BIT_OVERFLOW_WRAP;
    int64_t math = known ? (int64_t)action | (is_signed ? 1 : 0) : -1;
    aw_value a[] = {aw_value_int(bit_offset), aw_value_int(bit_size), aw_value_int(value),
                    aw_value_int(flags), aw_value_int(math)};
    return bit(bin, code, a, 5);
}

aw_op aw_op_bit_add(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                    int64_t value, bool is_signed, aw_bit_overflow action) {
    return math_op(bin, AW_BIT_OP_ADD, flags, bit_offset, bit_size, value, is_signed, action);
}
aw_op aw_op_bit_subtract(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                         int64_t value, bool is_signed, aw_bit_overflow action) {
    return math_op(bin, AW_BIT_OP_SUBTRACT, flags, bit_offset, bit_size, value, is_signed,
                   action);
}

aw_op aw_op_bit_set_int(const char *bin, unsigned flags, int32_t bit_offset, uint32_t bit_size,
                        int64_t value) {
    aw_value a[] = {aw_value_int(bit_offset), aw_value_int(bit_size), aw_value_int(value),
                    aw_value_int(flags)};
    return bit(bin, AW_BIT_OP_SET_INT, a, 4);
}

static aw_op range_read(const char *bin, uint16_t code, int32_t bit_offset, uint32_t bit_size) {
    aw_value a[] = {aw_value_int(bit_offset), aw_value_int(bit_size)};
    return bit(bin, code, a, 2);
}

aw_op aw_op_bit_get(const char *bin, int32_t bit_offset, uint32_t bit_size) {
    return range_read(bin, AW_BIT_OP_GET, bit_offset, bit_size);
}
aw_op aw_op_bit_count(const char *bin, int32_t bit_offset, uint32_t bit_size) {
    return range_read(bin, AW_BIT_OP_COUNT, bit_offset, bit_size);
}

static aw_op scan_op(const char *bin, uint16_t code, int32_t bit_offset, uint32_t bit_size,
                     bool value) {
    aw_value a[] = {aw_value_int(bit_offset), aw_value_int(bit_size), aw_value_bool(value)};
    return bit(bin, code, a, 3);
}

aw_op aw_op_bit_lscan(const char *bin, int32_t bit_offset, uint32_t bit_size, bool value) {
    return scan_op(bin, AW_BIT_OP_LSCAN, bit_offset, bit_size, value);
}
aw_op aw_op_bit_rscan(const char *bin, int32_t bit_offset, uint32_t bit_size, bool value) {
    return scan_op(bin, AW_BIT_OP_RSCAN, bit_offset, bit_size, value);
}

aw_op aw_op_bit_get_int(const char *bin, int32_t bit_offset, uint32_t bit_size, bool is_signed) {
    /* C7.5 sends the signed flag (1) only when signed */
    aw_value a[] = {aw_value_int(bit_offset), aw_value_int(bit_size), aw_value_int(1)};
    return bit(bin, AW_BIT_OP_GET_INT, a, is_signed ? 3 : 2);
}
