/*
 * Table-driven checking and encoding of the bit and HLL ops: each op code has
 * a spec naming its arguments and what each may hold, so one encoder checks
 * and writes `[code, args...]` for both families.
 *
 * Where the arguments live in an aw_op built by ops_bit.c / ops_hll.c:
 * cdt_code = the op code, n_args = how many wire arguments follow it, and
 * argument i is args[i] for i < AW_OP_MAX_ARGS, then `value` (bit ADD and
 * SUBTRACT have five).
 */
#ifndef AW_PROTO_OP_SPEC_H
#define AW_PROTO_OP_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "buf.h"
#include "exp_impl.h"

#define OP_SPEC_MAX_ARGS (AW_OP_MAX_ARGS + 1)

typedef enum arg_kind {
    ARG_OFFSET,       /* int32: bit or byte offset, negative = from the end */
    ARG_SIZE,         /* uint32: byte size, bit size or shift */
    ARG_BIT_SIZE_INT, /* integer field size, 1..64 */
    ARG_BYTES,        /* blob, sent with particle type 4; must cover the bit size before it */
    ARG_INT,          /* int64 */
    ARG_INT_AS_UINT,  /* int64 sent as the uint64 of the same bits (bit ADD/SUBTRACT operand) */
    ARG_BOOL,
    ARG_WRITE_FLAGS,  /* policy write flags, limited to the spec's allowed set */
    ARG_RESIZE_FLAGS, /* bit RESIZE flags */
    ARG_MATH_FLAGS,   /* bit ADD/SUBTRACT: overflow action | signed */
    ARG_SIGNED,       /* bit GET_INT: 1 signed, 0 (or absent) unsigned */
    ARG_INDEX_BITS,   /* HLL index bit count: -1 or 4..16 */
    ARG_INDEX_BITS_REQUIRED, /* 4..16 */
    ARG_MINHASH_BITS, /* HLL minhash bit count: -1, 0 or 4..51 */
    ARG_ELEMENTS,     /* list of scalars to add to an HLL */
    ARG_HLLS,         /* non-empty list of HLL values, sent with particle type 18 */
} arg_kind;

typedef struct op_spec {
    uint16_t code;
    const char *name;
    uint8_t modify;        /* 1: the modify op type, 0: the read one */
    uint8_t n_required;    /* arguments always present */
    uint8_t n_max;         /* with the optional ones */
    uint8_t allowed_flags; /* ARG_WRITE_FLAGS: bits the server accepts for this op */
    uint8_t kinds[OP_SPEC_MAX_ARGS];
    const char *arg_names[OP_SPEC_MAX_ARGS];
} op_spec;

/* A family of specs and its op types. */
typedef struct op_family {
    const char *name; /* "BIT", "HLL" */
    uint8_t read_type, modify_type;
    const op_spec *specs;
    size_t n_specs;
} op_family;

/* An op of the family with its wire arguments from args (n of them). */
aw_op aw_op_spec_build(const op_family *fam, const char *bin, uint16_t code, const aw_value *args,
                       uint8_t n);

/* Checks op against its spec and appends its msgpack [code, args...]. Returns
 * AW_OK or AW_ERR_PARAM naming the op, the bin and the argument (b may then
 * hold a partial value: the caller rolls it back). */
int aw_op_spec_write(aw_buf *b, const op_family *fam, const aw_op *op, aw_error *err);

/* For a bit or HLL function inside an expression: the op's arguments are
 * those of the op itself, some of them expressions. Fills want[i] with the
 * expression type argument i must have, or EXP_WANT_LITERAL for the ones
 * the builder writes (flags, bit counts), which are checked from args[i] as
 * the op encoder checks them. AW_ERR_PARAM naming the op and argument. */
int aw_op_spec_exp_args(const op_family *fam, uint16_t code, const aw_value *args, unsigned n,
                        uint8_t *want, aw_error *err);

/* The bit and HLL families (ops_bit.c, ops_hll.c). */
extern const op_family aw_bit_family;
extern const op_family aw_hll_family;

/* Checks op and appends its msgpack value, as aw_op_spec_write. */
int aw_buf_bit_op(aw_buf *b, const aw_op *op, aw_error *err);
/* Expression ops built by aw_op_exp_read / aw_op_exp_write (ops_exp.c). */
int aw_buf_exp_op(aw_buf *b, const aw_op *op, aw_error *err);
/* The value of select / modify by path: [0xfe, ctx, flags(, expression)]. */
int aw_cdt_put_path_op(aw_buf *b, const aw_op *op, aw_error *err);
int aw_buf_hll_op(aw_buf *b, const aw_op *op, aw_error *err);

#endif
