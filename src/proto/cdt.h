/*
 * The core the list and map builders share (cdt_op.c): making a CDT op,
 * recording a bad argument for the encoder to report, and encoding and
 * checking a context path.
 */
#ifndef AW_PROTO_CDT_H
#define AW_PROTO_CDT_H

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "buf.h"

/* The op code of select/modify by path (cdt-bit-hll.md §4.2). */
#define AW_CDT_SELECT_BY_PATH 0xfe
/* ctx_create of an op made by aw_op_select_by_path / aw_op_modify_by_path:
 * its ctx is the path, written bare inside the op array (any other op with
 * code 0xfe is encoded as the caller gave it). */
#define AW_CDT_PATH_OP_MARK 0xffff
/* aw_value subtype of a blob that is msgpack already, written as it is: the
 * expression of an all-children context item or of modify by path. */
#define AW_BLOB_RAW_MSGPACK 0xfe
/* An all-children context item over an expression's bytes (borrowed). */
aw_ctx_item aw_ctx_exp_bytes(const uint8_t *bytes, size_t len);

/* A CDT op on bin (under ctx): read or modify follows from the code. */
aw_op aw_cdt_op_make(const char *bin, const aw_ctx *ctx, uint16_t code, const aw_value *args, uint8_t n);

/* Is rt a return type the server knows (optionally | AW_RETURN_INVERTED)? */
bool aw_cdt_return_type_ok(uint32_t rt);

/* Record a bad list or map write policy on op, as the modifying builders do. */
void aw_cdt_list_policy_check(aw_op *op, const aw_list_policy *pol);
void aw_cdt_map_policy_check(aw_op *op, const aw_map_policy *pol);

/* Records a bad argument on op (the first one wins); the encoder refuses the
 * op with "what (0xvalue)". */
void aw_cdt_fault(aw_op *op, const char *what, uint64_t value);

/* A selection [code, rt, args...]; rt is checked. */
aw_op aw_cdt_select(const char *bin, const aw_ctx *ctx, uint16_t code, uint32_t rt,
                    const aw_value *args, uint8_t n);
/* The selection shapes lists and maps share. */
aw_op aw_cdt_sel_int(const char *bin, const aw_ctx *ctx, uint16_t code, int64_t i, uint32_t rt);
aw_op aw_cdt_sel_range(const char *bin, const aw_ctx *ctx, uint16_t code, int64_t i,
                       uint64_t count, uint32_t rt);
aw_op aw_cdt_sel_value(const char *bin, const aw_ctx *ctx, uint16_t code, aw_value v, uint32_t rt);
aw_op aw_cdt_sel_interval(const char *bin, const aw_ctx *ctx, uint16_t code,
                          const aw_value *begin, const aw_value *end, uint32_t rt);
aw_op aw_cdt_sel_rel(const char *bin, const aw_ctx *ctx, uint16_t code, aw_value v, int64_t i,
                     uint64_t count, uint32_t rt);
aw_op aw_cdt_sel_rel_to_end(const char *bin, const aw_ctx *ctx, uint16_t code, aw_value v,
                            int64_t i, uint32_t rt);

/* The create flag a list or map of this order needs on a context item
 * (cdt-bit-hll.md §4.3); 0 for an unknown order. */
uint16_t aw_ctx_list_create_flag(aw_list_order order, bool pad);
uint16_t aw_ctx_map_create_flag(aw_map_order order);

/* Checks a context path: 1..AW_CTX_MAX_ITEMS known items with fitting values. */
int aw_cdt_check_ctx(const aw_ctx *ctx, aw_error *err);
/* Writes the bare context list [id, value, ...] (the last id | create); an
 * all-children item's expression goes in as it is. */
int aw_cdt_put_ctx_items(aw_buf *b, const aw_ctx *ctx, uint16_t create, aw_error *err);
/* Writes the context wrapper's head, [0xff, [id, value, ...], with
 * `create` OR-ed into the last item's id; the op array follows. */
int aw_cdt_put_ctx(aw_buf *b, const aw_ctx *ctx, uint16_t create, aw_error *err);

#endif
