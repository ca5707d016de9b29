/*
 * operate's Python side: op dicts (built by aerowire.operations,
 * list_operations, map_operations, bitwise_operations, hll_operations and
 * expression_operations) into aw_op arrays, and the Expression type.
 *
 * An op dict is {"op": CODE, "bin": name, ...}: CODE is one of the official
 * Python client's OPERATOR_* / OP_* numbers, the other keys the builder's
 * normalised arguments. Everything is converted once per call into memory
 * the conversion (pyaw_conv) owns; no C object outlives the call.
 */
#ifndef PYAW_OPS_H
#define PYAW_OPS_H

#include "pyaw.h"

/* The op codes (the official Python client's values). */
enum {
    PYAW_OPERATOR_READ = 0, PYAW_OPERATOR_WRITE = 1, PYAW_OPERATOR_INCR = 6,
    PYAW_OPERATOR_APPEND = 9, PYAW_OPERATOR_PREPEND = 10, PYAW_OPERATOR_TOUCH = 11,
    PYAW_OPERATOR_DELETE = 14,
    PYAW_OP_SELECT_BY_PATH = 3000, PYAW_OP_MODIFY_BY_PATH = 3001, /* aerowire's own */
    PYAW_OP_BIT_FIRST = 2000, PYAW_OP_BIT_LAST = 2017,
    PYAW_OP_HLL_FIRST = 2100, PYAW_OP_HLL_LAST = 2111,
    PYAW_OP_EXPR_READ = 2200, PYAW_OP_EXPR_WRITE = 2201,
};

/* One op dict being converted: its code, a name for messages, the dict. */
typedef struct pyaw_opdict {
    PyObject *d;
    long code;
    const char *name;
    Py_ssize_t at; /* its place in the op list */
} pyaw_opdict;

/* Fields of an op dict. Each returns 0, or -1 with a TypeError/ValueError
 * naming the op and the field. `*_opt` leave *out as is when the key is
 * missing or None and return 1. */
PyObject *pyaw_op_field(const pyaw_opdict *o, const char *key); /* borrowed, NULL: missing */
int pyaw_op_bin(const pyaw_opdict *o, const char **bin);
int pyaw_op_int(const pyaw_opdict *o, const char *key, int64_t *out);
int pyaw_op_int_opt(const pyaw_opdict *o, const char *key, int64_t *out);
int pyaw_op_uint(const pyaw_opdict *o, const char *key, uint64_t max, uint64_t *out);
int pyaw_op_value(const pyaw_opdict *o, const char *key, aw_value *out, pyaw_conv *c);
int pyaw_op_bool(const pyaw_opdict *o, const char *key, bool *out);
/* Raises "op NAME (#AT): MESSAGE" as a ValueError; returns -1. */
int pyaw_op_error(const pyaw_opdict *o, PyObject *exc_type, const char *fmt, ...);

/* The family converters: 0, or -1 with an exception set; 1 when the code
 * is not theirs. */
int pyaw_cdt_op_from_py(const pyaw_opdict *o, aw_op *op, pyaw_conv *c);
int pyaw_bit_op_from_py(const pyaw_opdict *o, aw_op *op, pyaw_conv *c);
int pyaw_hll_op_from_py(const pyaw_opdict *o, aw_op *op, pyaw_conv *c);
/* A list of cdt_ctx tuples into a path owned by c (*ctx NULL for None). */
int pyaw_ctx_from_py(const pyaw_opdict *o, PyObject *items, const aw_ctx **ctx, pyaw_conv *c);

/* A list of op dicts into ops owned by c. *touch_ttl: the ttl of a touch
 * op that has one (borrowed from c), else NULL. */
int pyaw_ops_from_py(PyObject *list, aw_op **ops, size_t *n, PyObject **touch_ttl,
                     pyaw_conv *c);

/* aerowire.exp.Expression: an immutable compiled expression. */
extern PyTypeObject pyaw_ExpressionType;
/* The aw_exp of an Expression, kept alive by c; a TypeError naming `what`
 * for anything else. */
int pyaw_exp_from_py(PyObject *o, const aw_exp **out, pyaw_conv *c, const char *what);

/* Client.operate and Client.operate_ordered (operate.c). */
PyObject *pyaw_operate(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_operate_ordered(pyaw_client *self, PyObject *args, PyObject *kwds);
/* operate's ops and policy, shared with AsyncClient: the ops into c; the
 * policy dict over cfg's write policy when an op writes, else its read
 * policy; then a touch op's ttl, then meta's; every op's result asked
 * for when ordered. 0, or -1 raised. */
int pyaw_operate_from_py(const aw_config *cfg, PyObject *ops_o, PyObject *meta,
                         PyObject *policy, bool ordered, aw_op **ops, size_t *n_ops,
                         aw_policy *pol, pyaw_conv *c);
/* operate's Record: bins a dict, or when ordered a list of (name, value)
 * in op order. A new reference, or NULL raised. */
PyObject *pyaw_operate_result_to_py(const aw_record *rec, const aw_key *key, PyObject *given,
                                    bool ordered);

#endif
