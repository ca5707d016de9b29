/*
 * Op dicts into aw_op: the field readers every family shares, the plain
 * ops (read, write, increment, append, prepend, touch, delete), the
 * expression ops and the path ops; list/map, bit and HLL ops go to their
 * own files. A bad op is a TypeError or ValueError naming the op, its place
 * in the list and the field, raised before anything is sent.
 */
#include "pyaw_ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pyaw_op_error(const pyaw_opdict *o, PyObject *exc_type, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    PyErr_Format(exc_type, "op %zd (%s): %s", o->at, o->name, msg);
    return -1;
}

PyObject *pyaw_op_field(const pyaw_opdict *o, const char *key) {
    PyObject *v = PyDict_GetItemString(o->d, key);
    return v == Py_None ? NULL : v;
}

/* The field, or a ValueError saying it is missing. */
static PyObject *required(const pyaw_opdict *o, const char *key) {
    PyObject *v = pyaw_op_field(o, key);
    if (!v)
        pyaw_op_error(o, PyExc_ValueError, "'%s' is missing", key);
    return v;
}

/* Re-raises the pending exception with the op named in front. */
static int name_op_in_error(const pyaw_opdict *o) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject *s = value ? PyObject_Str(value) : NULL;
    const char *text = s ? PyUnicode_AsUTF8(s) : NULL;
    pyaw_op_error(o, type, "%s", text ? text : "bad argument");
    Py_XDECREF(s);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return -1;
}

int pyaw_op_bin(const pyaw_opdict *o, const char **bin) {
    PyObject *v = required(o, "bin");
    if (!v)
        return -1;
    return pyaw_bin_name(v, bin) < 0 ? name_op_in_error(o) : 0;
}

/* The Expression of field `key`, kept alive by c. */
static int op_exp(const pyaw_opdict *o, const char *key, const aw_exp **exp, pyaw_conv *c) {
    PyObject *v = required(o, key);
    if (!v)
        return -1;
    return pyaw_exp_from_py(v, exp, c, "'exp'") < 0 ? name_op_in_error(o) : 0;
}

static int as_int(const pyaw_opdict *o, const char *key, PyObject *v, int64_t *out) {
    if (!PyLong_Check(v))
        return pyaw_op_error(o, PyExc_TypeError, "'%s' must be an int, not %s", key,
                             Py_TYPE(v)->tp_name);
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow)
        return pyaw_op_error(o, PyExc_ValueError, "'%s' does not fit a signed 64-bit integer",
                             key);
    if (x == -1 && PyErr_Occurred())
        return -1;
    *out = x;
    return 0;
}

int pyaw_op_int(const pyaw_opdict *o, const char *key, int64_t *out) {
    PyObject *v = required(o, key);
    return v ? as_int(o, key, v, out) : -1;
}

int pyaw_op_int_opt(const pyaw_opdict *o, const char *key, int64_t *out) {
    PyObject *v = pyaw_op_field(o, key);
    return v ? as_int(o, key, v, out) : 1;
}

int pyaw_op_uint(const pyaw_opdict *o, const char *key, uint64_t max, uint64_t *out) {
    int64_t x;
    if (pyaw_op_int(o, key, &x) < 0)
        return -1;
    if (x < 0 || (uint64_t)x > max)
        return pyaw_op_error(o, PyExc_ValueError, "'%s' is %lld (0 to %llu allowed)", key,
                             (long long)x, (unsigned long long)max);
    *out = (uint64_t)x;
    return 0;
}

int pyaw_op_bool(const pyaw_opdict *o, const char *key, bool *out) {
    PyObject *v = pyaw_op_field(o, key);
    int b = v ? PyObject_IsTrue(v) : 0;
    if (b < 0)
        return -1;
    *out = b;
    return 0;
}

int pyaw_op_value(const pyaw_opdict *o, const char *key, aw_value *out, pyaw_conv *c) {
    PyObject *v = PyDict_GetItemString(o->d, key);
    if (!v)
        return pyaw_op_error(o, PyExc_ValueError, "'%s' is missing", key);
    return pyaw_value_from_py(v, out, c, 1);
}

/* ---- plain, expression and path ops ---- */

/* The keys of a plain op dict, NULL-terminated: anything else (a ctx, a
 * policy) belongs to another op, and would otherwise be dropped unseen.
 * touch's TTL is "ttl" (aerowire.operations.touch) or "val" (the official
 * client's). */
static const char *const READ_KEYS[] = {"op", "name", "bin", NULL};
static const char *const VALUE_KEYS[] = {"op", "name", "bin", "val", NULL};
static const char *const TOUCH_KEYS[] = {"op", "name", "bin", "ttl", "val", NULL};

static bool is_one_of(const char *key, const char *const *keys) {
    for (; *keys; keys++)
        if (strcmp(key, *keys) == 0)
            return true;
    return false;
}

static int plain_keys(const pyaw_opdict *o, const char *const *known) {
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(o->d, &pos, &k, &v)) {
        const char *key = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if (key && is_one_of(key, known))
            continue;
        PyErr_Clear();
        char list[64] = "";
        for (const char *const *n = known; *n; n++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     n == known ? "" : ", ", *n);
        PyObject *r = PyObject_Repr(k);
        const char *shown = r ? PyUnicode_AsUTF8(r) : NULL;
        pyaw_op_error(o, PyExc_ValueError, "unknown key %s (%s are known)", shown ? shown : "?",
                      list);
        Py_XDECREF(r);
        return -1;
    }
    return 0;
}

static int plain_op(const pyaw_opdict *o, aw_op *op, pyaw_conv *c) {
    const char *bin = NULL;
    aw_value v;
    switch (o->code) {
    case PYAW_OPERATOR_READ:
        if (plain_keys(o, READ_KEYS) < 0 ||
            (pyaw_op_field(o, "bin") && pyaw_op_bin(o, &bin) < 0))
            return -1;
        *op = aw_op_read(bin); /* no bin: every bin */
        return 0;
    case PYAW_OPERATOR_TOUCH:
        if (plain_keys(o, TOUCH_KEYS) < 0)
            return -1;
        *op = aw_op_touch();
        return 0;
    case PYAW_OPERATOR_DELETE:
        if (plain_keys(o, READ_KEYS) < 0)
            return -1;
        *op = aw_op_delete();
        return 0;
    case PYAW_OPERATOR_WRITE:
    case PYAW_OPERATOR_INCR:
    case PYAW_OPERATOR_APPEND:
    case PYAW_OPERATOR_PREPEND:
        if (plain_keys(o, VALUE_KEYS) < 0)
            return -1;
        break;
    default:
        return 1;
    }
    if (pyaw_op_bin(o, &bin) < 0 || pyaw_op_value(o, "val", &v, c) < 0)
        return -1;
    if (o->code == PYAW_OPERATOR_WRITE) {
        *op = aw_op_write(bin, v);
        return 0;
    }
    if (o->code == PYAW_OPERATOR_INCR) {
        if (v.type != AW_INT && v.type != AW_FLOAT)
            return pyaw_op_error(o, PyExc_TypeError, "'val' must be an int or float");
        *op = aw_op_incr(bin, v);
        return 0;
    }
    if (v.type != AW_STR && v.type != AW_BLOB)
        return pyaw_op_error(o, PyExc_TypeError, "'val' must be a str or bytes");
    *op = o->code == PYAW_OPERATOR_APPEND ? aw_op_append(bin, v) : aw_op_prepend(bin, v);
    return 0;
}

static int exp_op(const pyaw_opdict *o, aw_op *op, pyaw_conv *c) {
    const char *bin;
    const aw_exp *exp;
    int64_t flags = 0;
    const aw_ctx *ctx = NULL;
    if (pyaw_op_bin(o, &bin) < 0 || op_exp(o, "exp", &exp, c) < 0 ||
        pyaw_op_int_opt(o, "flags", &flags) < 0)
        return -1;
    if (flags < 0 || flags > 0xff)
        return pyaw_op_error(o, PyExc_ValueError, "'flags' is %lld", (long long)flags);
    switch (o->code) {
    case PYAW_OP_EXPR_READ:
        *op = aw_op_exp_read(bin, exp, (unsigned)flags);
        return 0;
    case PYAW_OP_EXPR_WRITE:
        *op = aw_op_exp_write(bin, exp, (unsigned)flags);
        return 0;
    default: /* PYAW_OP_MODIFY_BY_PATH */
        if (pyaw_ctx_from_py(o, pyaw_op_field(o, "ctx"), &ctx, c) < 0)
            return -1;
        *op = aw_op_modify_by_path(bin, ctx, exp, (unsigned)flags);
        return 0;
    }
}

static int select_by_path_op(const pyaw_opdict *o, aw_op *op, pyaw_conv *c) {
    const char *bin;
    const aw_ctx *ctx = NULL;
    int64_t flags = 0;
    if (pyaw_op_bin(o, &bin) < 0 || pyaw_ctx_from_py(o, pyaw_op_field(o, "ctx"), &ctx, c) < 0 ||
        pyaw_op_int_opt(o, "flags", &flags) < 0)
        return -1;
    if (flags < 0 || flags > 0xff)
        return pyaw_op_error(o, PyExc_ValueError, "'flags' is %lld", (long long)flags);
    *op = aw_op_select_by_path(bin, ctx, (unsigned)flags);
    return 0;
}

/* The name of a plain op written as a bare dict (the builders add "name"). */
static const char *plain_name(long code) {
    switch (code) {
    case PYAW_OPERATOR_READ: return "read";
    case PYAW_OPERATOR_WRITE: return "write";
    case PYAW_OPERATOR_INCR: return "increment";
    case PYAW_OPERATOR_APPEND: return "append";
    case PYAW_OPERATOR_PREPEND: return "prepend";
    case PYAW_OPERATOR_TOUCH: return "touch";
    case PYAW_OPERATOR_DELETE: return "delete";
    default: return "?";
    }
}

static int op_from_py(pyaw_opdict *o, aw_op *op, pyaw_conv *c) {
    PyObject *code = PyDict_Check(o->d) ? PyDict_GetItemString(o->d, "op") : NULL;
    if (!code || !PyLong_Check(code)) {
        PyErr_Format(PyExc_TypeError,
                     "op %zd must be a dict with an int 'op' (made by aerowire.operations, "
                     "list_operations, ...), not %R", o->at, o->d);
        return -1;
    }
    o->code = PyLong_AsLong(code);
    if (o->code == -1 && PyErr_Occurred())
        return -1;
    PyObject *name = PyDict_GetItemString(o->d, "name");
    o->name = name && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : plain_name(o->code);
    if (!o->name)
        return -1;
    int rc;
    if ((rc = plain_op(o, op, c)) <= 0)
        return rc;
    if (o->code == PYAW_OP_EXPR_READ || o->code == PYAW_OP_EXPR_WRITE ||
        o->code == PYAW_OP_MODIFY_BY_PATH)
        return exp_op(o, op, c);
    if (o->code == PYAW_OP_SELECT_BY_PATH)
        return select_by_path_op(o, op, c);
    if ((rc = pyaw_cdt_op_from_py(o, op, c)) <= 0 || (rc = pyaw_bit_op_from_py(o, op, c)) <= 0 ||
        (rc = pyaw_hll_op_from_py(o, op, c)) <= 0)
        return rc;
    PyErr_Format(PyExc_ValueError, "op %zd: unknown op code %ld", o->at, o->code);
    return -1;
}

int pyaw_ops_from_py(PyObject *list, aw_op **ops, size_t *n, PyObject **touch_ttl,
                     pyaw_conv *c) {
    *touch_ttl = NULL;
    if (!PyList_Check(list) && !PyTuple_Check(list)) {
        PyErr_Format(PyExc_TypeError, "ops must be a list of op dicts, not %s",
                     Py_TYPE(list)->tp_name);
        return -1;
    }
    PyObject *items = PySequence_Tuple(list);
    if (!items || pyaw_keep(c, items) < 0) {
        Py_XDECREF(items);
        return -1;
    }
    Py_DECREF(items); /* c keeps it */
    Py_ssize_t len = PyTuple_GET_SIZE(items);
    if (len == 0) {
        PyErr_SetString(PyExc_ValueError, "ops is empty");
        return -1;
    }
    aw_op *out = pyaw_conv_alloc(c, (size_t)len * sizeof *out);
    if (!out)
        return -1;
    for (Py_ssize_t i = 0; i < len; i++) {
        pyaw_opdict o = {.d = PyTuple_GET_ITEM(items, i), .at = i};
        /* The op's fields are borrowed from its dict: keep a copy, which
         * another thread cannot change while the command runs. */
        if (PyDict_Check(o.d)) {
            PyObject *copy = PyDict_Copy(o.d);
            if (!copy || pyaw_keep(c, copy) < 0) {
                Py_XDECREF(copy);
                return -1;
            }
            Py_DECREF(copy);
            o.d = copy;
        }
        if (op_from_py(&o, &out[i], c) < 0)
            return -1;
        if (o.code == PYAW_OPERATOR_TOUCH) {
            PyObject *ttl = pyaw_op_field(&o, "ttl");
            if (ttl || (ttl = pyaw_op_field(&o, "val")))
                *touch_ttl = ttl;
        }
    }
    *ops = out;
    *n = (size_t)len;
    return 0;
}
