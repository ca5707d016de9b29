/*
 * Ops that carry an expression: EXP_READ / EXP_MODIFY (value [expression,
 * flags], wire-protocol.md §5.4.6) and select / modify by path (CDT op 0xfe,
 * [0xfe, context, flags(, expression)], cdt-bit-hll.md §4.2). The op refers
 * to the expression's bytes (a blob with subtype AW_BLOB_RAW_MSGPACK) and
 * keeps the flags in args[0]; the encoder writes both. An EXP op whose value
 * is an ordinary blob is the caller's own [expression, flags], sent as is.
 */
#include <string.h>

#include "aerowire/exp.h"
#include "cdt.h"
#include "msgpack.h"
#include "op_spec.h"

#define READ_FLAGS ((unsigned)AW_EXP_READ_EVAL_NO_FAIL)
#define WRITE_FLAGS                                                                                \
    ((unsigned)(AW_EXP_WRITE_CREATE_ONLY | AW_EXP_WRITE_UPDATE_ONLY | AW_EXP_WRITE_ALLOW_DELETE | \
                AW_EXP_WRITE_POLICY_NO_FAIL | AW_EXP_WRITE_EVAL_NO_FAIL))
#define PATH_APPLY 4
#define PATH_SELECT_FLAGS ((unsigned)(AW_PATH_SELECT_MAP_KEY_VALUE | AW_PATH_NO_FAIL))

static aw_value exp_value(const aw_exp *exp) {
    size_t len = 0;
    const uint8_t *p = aw_exp_bytes(exp, &len);
    aw_value v = aw_value_blob(p, len);
    v.subtype = AW_BLOB_RAW_MSGPACK;
    return v;
}

static aw_op exp_op(aw_op_type type, const char *bin, const aw_exp *exp, unsigned flags) {
    aw_op op;
    memset(&op, 0, sizeof op);
    op.type = (uint8_t)type;
    op.cdt_code = 0xffff; /* not a CDT op; the value's subtype marks it built */
    op.bin = bin;
    op.value = exp_value(exp);
    op.args[0] = aw_value_int(flags);
    op.n_args = 1;
    unsigned allowed = type == AW_OP_EXP_READ ? READ_FLAGS : WRITE_FLAGS;
    if (!exp)
        aw_cdt_fault(&op, "the expression is NULL", 0);
    else if (flags & ~allowed)
        aw_cdt_fault(&op, type == AW_OP_EXP_READ ? "expression read flags beyond EVAL_NO_FAIL"
                                                 : "expression write flags beyond CREATE_ONLY|"
                                                   "UPDATE_ONLY|ALLOW_DELETE|POLICY_NO_FAIL|"
                                                   "EVAL_NO_FAIL",
                     flags);
    return op;
}

aw_op aw_op_exp_read(const char *name, const aw_exp *exp, unsigned flags) {
    return exp_op(AW_OP_EXP_READ, name, exp, flags);
}

aw_op aw_op_exp_write(const char *bin, const aw_exp *exp, unsigned flags) {
    return exp_op(AW_OP_EXP_MODIFY, bin, exp, flags);
}

int aw_buf_exp_op(aw_buf *b, const aw_op *op, aw_error *err) {
    if (op->fault)
        return aw_error_set(err, AW_ERR_PARAM, "%s bin '%s': %s (0x%llx)",
                            op->type == AW_OP_EXP_READ ? "EXP_READ" : "EXP_MODIFY", op->bin,
                            op->fault, (unsigned long long)op->fault_value);
    aw_mp_put_array_header(b, 2);
    aw_buf_put(b, op->value.u.bytes, op->value.len);
    aw_mp_put_uint(b, (uint64_t)op->args[0].u.i);
    return AW_OK;
}

/* ---- select / modify by path -------------------------------------------------------- */

static aw_op path_op(aw_op_type type, const char *bin, const aw_ctx *ctx, unsigned flags) {
    aw_op op = aw_op_cdt(type, bin, AW_CDT_SELECT_BY_PATH, NULL, 0);
    op.ctx = ctx;
    op.ctx_create = AW_CDT_PATH_OP_MARK;
    op.args[0] = aw_value_int(flags);
    op.n_args = 1;
    if (!ctx)
        aw_cdt_fault(&op, "a path needs a context", 0);
    return op;
}

aw_op aw_op_select_by_path(const char *bin, const aw_ctx *ctx, unsigned flags) {
    aw_op op = path_op(AW_OP_CDT_READ, bin, ctx, flags);
    if (flags & ~PATH_SELECT_FLAGS)
        aw_cdt_fault(&op, "select flags beyond AW_PATH_SELECT_* | AW_PATH_NO_FAIL", flags);
    return op;
}

aw_op aw_op_modify_by_path(const char *bin, const aw_ctx *ctx, const aw_exp *mod,
                           unsigned flags) {
    aw_op op = path_op(AW_OP_CDT_MODIFY, bin, ctx, flags | PATH_APPLY);
    op.args[1] = exp_value(mod);
    op.n_args = 2;
    if (flags & ~(unsigned)AW_PATH_NO_FAIL)
        aw_cdt_fault(&op, "modify flags beyond AW_PATH_NO_FAIL", flags);
    if (!mod)
        aw_cdt_fault(&op, "the modify expression is NULL", 0);
    return op;
}

int aw_cdt_put_path_op(aw_buf *b, const aw_op *op, aw_error *err) {
    aw_mp_put_array_header(b, 2u + op->n_args);
    aw_mp_put_uint(b, AW_CDT_SELECT_BY_PATH);
    int rc = aw_cdt_put_ctx_items(b, op->ctx, 0, err);
    if (rc != AW_OK)
        return rc;
    aw_mp_put_uint(b, (uint64_t)op->args[0].u.i);
    if (op->n_args > 1)
        aw_buf_put(b, op->args[1].u.bytes, op->args[1].len);
    return AW_OK;
}
