/*
 * aerowire.exp.Expression: a compiled, immutable filter or operation
 * expression (an aw_exp). Made from the text syntax (aw_exp_parse) or from
 * the official clients' base64 form; any number of commands and threads
 * may use one at once. A command keeps the object alive while it runs.
 */
#include "pyaw_ops.h"

#include <string.h>

typedef struct {
    PyObject_HEAD
    aw_exp *exp;
} ExpressionObject;

static PyObject *wrap(aw_exp *exp) {
    ExpressionObject *e = PyObject_New(ExpressionObject, &pyaw_ExpressionType);
    if (!e) {
        aw_exp_free(exp);
        return NULL;
    }
    e->exp = exp;
    return (PyObject *)e;
}

/* A str argument as NUL-free UTF-8. */
static const char *text_arg(PyObject *s, const char *what) {
    if (!PyUnicode_Check(s))
        return PyErr_Format(PyExc_TypeError, "%s must be a str, not %s", what,
                            Py_TYPE(s)->tp_name), NULL;
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    if (p && (Py_ssize_t)strlen(p) != n)
        return PyErr_Format(PyExc_ValueError, "%s contains a NUL character", what), NULL;
    return p;
}

/* Text or base64 into an Expression; a ValueError with aerowire's reason. */
static PyObject *make(PyObject *arg, int base64) {
    const char *text = text_arg(arg, base64 ? "base64 text" : "expression text");
    if (!text)
        return NULL;
    aw_exp *exp = NULL;
    aw_error err;
    int rc = base64 ? aw_exp_from_base64(text, &exp, &err) : aw_exp_parse(text, &exp, &err);
    if (rc != AW_OK)
        return PyErr_Format(PyExc_ValueError, "%s: %s",
                            base64 ? "not an expression's base64" : "expression", err.message);
    return wrap(exp);
}

static PyObject *exp_parse(PyObject *cls, PyObject *text) { return make(text, 0); }
static PyObject *exp_from_base64(PyObject *cls, PyObject *text) { return make(text, 1); }

static PyObject *exp_base64(ExpressionObject *self, PyObject *unused) {
    char *s = NULL;
    aw_error err;
    if (aw_exp_to_base64(self->exp, &s, &err) != AW_OK)
        return pyaw_raise(&err);
    PyObject *r = PyUnicode_FromString(s);
    aw_free(s);
    return r;
}

static PyObject *exp_bytes(ExpressionObject *self, PyObject *unused) {
    size_t n;
    const uint8_t *p = aw_exp_bytes(self->exp, &n);
    return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
}

static PyObject *exp_richcompare(PyObject *a, PyObject *b, int op) {
    if (!PyObject_TypeCheck(b, &pyaw_ExpressionType) || (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    size_t na, nb;
    const uint8_t *pa = aw_exp_bytes(((ExpressionObject *)a)->exp, &na);
    const uint8_t *pb = aw_exp_bytes(((ExpressionObject *)b)->exp, &nb);
    int eq = na == nb && memcmp(pa, pb, na) == 0;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t exp_hash(ExpressionObject *self) {
    PyObject *b = exp_bytes(self, NULL);
    Py_hash_t h = b ? PyObject_Hash(b) : -1;
    Py_XDECREF(b);
    return h;
}

static PyObject *exp_repr(ExpressionObject *self) {
    PyObject *b64 = exp_base64(self, NULL);
    PyObject *r = b64 ? PyUnicode_FromFormat("Expression.from_base64(%R)", b64) : NULL;
    Py_XDECREF(b64);
    return r;
}

static void exp_dealloc(ExpressionObject *self) {
    aw_exp_free(self->exp);
    PyObject_Free(self);
}

int pyaw_exp_from_py(PyObject *o, const aw_exp **out, pyaw_conv *c, const char *what) {
    if (!PyObject_TypeCheck(o, &pyaw_ExpressionType)) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be an aerowire.exp.Expression (aerowire.exp.parse(text), or "
                     ".compile() of a builder), not %s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (pyaw_keep(c, o) < 0)
        return -1;
    *out = ((ExpressionObject *)o)->exp;
    return 0;
}

static PyMethodDef exp_methods[] = {
    {"parse", (PyCFunction)exp_parse, METH_O | METH_CLASS,
     "parse(text) -> Expression: the text syntax (docs/expressions.md), e.g. '$.a > 5'; "
     "ValueError saying where the text is wrong."},
    {"from_base64", (PyCFunction)exp_from_base64, METH_O | METH_CLASS,
     "from_base64(text) -> Expression: the official clients' base64 form."},
    {"base64", (PyCFunction)exp_base64, METH_NOARGS, "base64() -> str: the official clients' form."},
    {"__bytes__", (PyCFunction)exp_bytes, METH_NOARGS, "The msgpack bytes sent to the server."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject pyaw_ExpressionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire.exp.Expression",
    .tp_basicsize = sizeof(ExpressionObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A compiled expression: Expression.parse(text) or Expression.from_base64(text).",
    .tp_dealloc = (destructor)exp_dealloc,
    .tp_repr = (reprfunc)exp_repr,
    .tp_hash = (hashfunc)exp_hash,
    .tp_richcompare = exp_richcompare,
    .tp_methods = exp_methods,
};
