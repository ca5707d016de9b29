/*
 * Batch writes: rows of a numpy structured array written straight from its
 * buffer (Client._batch_write_from, over aw_batch_write_from), and mixed
 * per-row writes, operates and removes with per-row results
 * (Client._batch_rows, over aw_batch_operate).
 *
 * The op dicts are the official Python client's ({"op": OPERATOR_*, "bin":
 * name, "val": value}); this file converts the plain ones (read, write,
 * incr, append, prepend, touch, delete).
 */
#include "pyaw_ops.h"

#include <string.h>

/* ---- rows of a numpy array ---- */

PyObject *pyaw_batch_write_from(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"data", "n", "namespace", "set", "descr", "align", "itemsize",
                             "key_field", "policy", "codes", "in_doubt", "gens", NULL};
    PyObject *data_o, *policy_o, *codes_o, *in_doubt_o, *gens_o;
    Py_ssize_t n, itemsize;
    const char *ns, *set, *descr, *key_field;
    int align;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Onzzspnz" "OOOO:_batch_write_from", kwlist,
                                     &data_o, &n, &ns, &set, &descr, &align, &itemsize,
                                     &key_field, &policy_o, &codes_o, &in_doubt_o, &gens_o))
        return NULL;
    if (!ns)
        return PyErr_Format(PyExc_TypeError, "namespace must be a str, not None");
    if (n < 0)
        return PyErr_Format(PyExc_ValueError, "n must be >= 0");
    aw_batch_policy bp;
    aw_dtype *dt = NULL;
    Py_buffer data = {0}, codes = {0}, in_doubt = {0}, gens = {0};
    PyObject *result = NULL;
    aw_client *c;
    if (pyaw_batch_policy_from_py(policy_o, PYAW_POLICY_WRITE, &bp, NULL) < 0 ||
        pyaw_dtype_parse(descr, align ? AW_DTYPE_ALIGN : 0, itemsize, &dt) < 0)
        goto out;
    /* Held until the call returns: the array cannot be resized or freed
     * while the GIL is released. */
    if (PyObject_GetBuffer(data_o, &data, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "data must be a C-contiguous buffer (%s given)",
                     Py_TYPE(data_o)->tp_name);
        goto out;
    }
    if (pyaw_writable_buffer(codes_o, &codes, (size_t)n * sizeof(int32_t), "codes") < 0 ||
        pyaw_writable_buffer(in_doubt_o, &in_doubt, (size_t)n * sizeof(bool), "in_doubt") < 0 ||
        pyaw_writable_buffer(gens_o, &gens, (size_t)n * sizeof(uint32_t), "gens") < 0 ||
        !(c = pyaw_client_enter(self)))
        goto out;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_batch_write_from(c, &bp, data.buf, (size_t)data.len, (size_t)n, dt, ns, set,
                             key_field, codes.buf, in_doubt.buf, gens.buf, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc != AW_OK) {
        if (rc == AW_ERR_PARAM || rc == AW_ERR_BAD_NAME)
            PyErr_Format(PyExc_ValueError, "%s", err.message);
        else if (rc == AW_ERR_UNSUPPORTED)
            PyErr_Format(PyExc_TypeError, "%s", err.message);
        else
            pyaw_raise(&err);
        goto out;
    }
    Py_INCREF(Py_None);
    result = Py_None;
out:
    PyBuffer_Release(&data);
    PyBuffer_Release(&codes);
    PyBuffer_Release(&in_doubt);
    PyBuffer_Release(&gens);
    aw_dtype_free(dt);
    return result;
}

/* ---- op dicts ---- */

/* The item `name` of an op dict (borrowed; kept alive by c), or NULL. */
static PyObject *op_item(PyObject *d, const char *name, pyaw_conv *c) {
    PyObject *v = PyDict_GetItemString(d, name);
    if (v && PyList_Append(c->keep, v) < 0)
        return NULL;
    return v;
}

static int op_bin(PyObject *d, long code, int optional, const char **bin, pyaw_conv *c) {
    PyObject *b = op_item(d, "bin", c);
    *bin = NULL;
    if (!b || b == Py_None) {
        if (optional)
            return 0;
        PyErr_Format(PyExc_ValueError, "op %ld needs a \"bin\": %R", code, d);
        return -1;
    }
    return pyaw_bin_name(b, bin);
}

static int op_val(PyObject *d, long code, aw_value *val, pyaw_conv *c) {
    PyObject *v = op_item(d, "val", c);
    if (!v) {
        PyErr_Format(PyExc_ValueError, "op %ld needs a \"val\": %R", code, d);
        return -1;
    }
    return pyaw_value_from_py(v, val, c, 1);
}

/* One op dict into *op (values borrowed from objects c keeps). */
static int op_from_py(PyObject *d, aw_op *op, pyaw_conv *c) {
    if (!PyDict_Check(d)) {
        PyErr_Format(PyExc_TypeError, "an op must be a dict {\"op\": ..., \"bin\": ..., "
                     "\"val\": ...}, not %s", Py_TYPE(d)->tp_name);
        return -1;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(d, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if (!name || (strcmp(name, "op") && strcmp(name, "bin") && strcmp(name, "val"))) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "op dict key %R is not supported (op, bin, val)", k);
            return -1;
        }
    }
    PyObject *code_o = PyDict_GetItemString(d, "op");
    long code = code_o && PyLong_Check(code_o) ? PyLong_AsLong(code_o) : -1;
    if (code == -1 && PyErr_Occurred())
        PyErr_Clear();
    const char *bin;
    aw_value val;
    switch (code) {
    case PYAW_OPERATOR_READ:
        if (op_bin(d, code, 1, &bin, c) < 0)
            return -1;
        *op = aw_op_read(bin);
        return 0;
    case PYAW_OPERATOR_WRITE:
    case PYAW_OPERATOR_INCR:
    case PYAW_OPERATOR_APPEND:
    case PYAW_OPERATOR_PREPEND:
        if (op_bin(d, code, 0, &bin, c) < 0 || op_val(d, code, &val, c) < 0)
            return -1;
        *op = code == PYAW_OPERATOR_WRITE    ? aw_op_write(bin, val)
              : code == PYAW_OPERATOR_INCR   ? aw_op_incr(bin, val)
              : code == PYAW_OPERATOR_APPEND ? aw_op_append(bin, val)
                                     : aw_op_prepend(bin, val);
        return 0;
    case PYAW_OPERATOR_TOUCH:
        *op = aw_op_touch();
        return 0;
    case PYAW_OPERATOR_DELETE:
        *op = aw_op_delete();
        return 0;
    default:
        PyErr_Format(PyExc_ValueError,
                     "op %R is not one batch_write, batch_operate take (OPERATOR_READ, "
                     "_WRITE, _INCR, _APPEND, _PREPEND, _TOUCH, _DELETE)",
                     code_o ? code_o : Py_None);
        return -1;
    }
}

/* A list or tuple of op dicts into ops (allocated by c). */
static int ops_from_py(PyObject *seq, const aw_op **ops, size_t *n, pyaw_conv *c) {
    if (!PyList_Check(seq) && !PyTuple_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "ops must be a list of op dicts, not %s",
                     Py_TYPE(seq)->tp_name);
        return -1;
    }
    PyObject *items = PySequence_Tuple(seq);
    if (!items || PyList_Append(c->keep, items) < 0) {
        Py_XDECREF(items);
        return -1;
    }
    Py_DECREF(items);
    Py_ssize_t len = PyTuple_GET_SIZE(items);
    if (len == 0) {
        PyErr_SetString(PyExc_ValueError, "ops is empty");
        return -1;
    }
    aw_op *out = pyaw_conv_alloc(c, (size_t)len * sizeof *out);
    if (!out)
        return -1;
    for (Py_ssize_t i = 0; i < len; i++)
        if (op_from_py(PyTuple_GET_ITEM(items, i), &out[i], c) < 0)
            return -1;
    *ops = out;
    *n = (size_t)len;
    return 0;
}

/* ---- mixed rows ---- */

/* Row i of batch_write: a bins dict (a write) or a list of op dicts (an
 * operate). */
static int write_row(PyObject *r, aw_batch_op *row, pyaw_conv *c) {
    if (PyDict_Check(r)) {
        aw_bin *bins;
        if (pyaw_bins_from_py(r, &bins, &row->n_bins, c) < 0)
            return -1;
        row->kind = AW_BATCH_OP_WRITE;
        row->write_bins = bins;
        return 0;
    }
    if (PyList_Check(r) || PyTuple_Check(r)) {
        row->kind = AW_BATCH_OP_OPERATE;
        return ops_from_py(r, &row->ops, &row->n_ops, c);
    }
    PyErr_Format(PyExc_TypeError, "a batch_write row must be a bins dict or a list of op dicts, "
                 "not %s", Py_TYPE(r)->tp_name);
    return -1;
}

/* The aw_batch_op rows of kind ("write": rows_o holds a row per key;
 * "operate": the ops of every key; "remove"). */
static int batch_rows(const char *kind, PyObject *rows_o, const aw_key *keys, size_t n,
                      aw_batch_op *rows, pyaw_conv *c) {
    const aw_op *ops = NULL;
    size_t n_ops = 0;
    PyObject *items = NULL;
    if (strcmp(kind, "write") == 0) {
        if (!PyList_Check(rows_o) && !PyTuple_Check(rows_o)) {
            PyErr_Format(PyExc_TypeError, "rows must be a list (a bins dict or op list per key), "
                         "not %s", Py_TYPE(rows_o)->tp_name);
            return -1;
        }
        items = PySequence_Tuple(rows_o);
        if (!items || PyList_Append(c->keep, items) < 0) {
            Py_XDECREF(items);
            return -1;
        }
        Py_DECREF(items);
        if ((size_t)PyTuple_GET_SIZE(items) != n) {
            PyErr_Format(PyExc_ValueError, "%zd rows for %zu keys: one row per key",
                         PyTuple_GET_SIZE(items), n);
            return -1;
        }
    } else if (strcmp(kind, "operate") == 0) {
        if (ops_from_py(rows_o, &ops, &n_ops, c) < 0)
            return -1;
    } else if (strcmp(kind, "remove") != 0) {
        PyErr_Format(PyExc_ValueError, "unknown batch kind %s", kind);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].key = &keys[i];
        if (items) {
            if (write_row(PyTuple_GET_ITEM(items, (Py_ssize_t)i), &rows[i], c) < 0)
                return -1;
        } else if (ops) {
            rows[i].kind = AW_BATCH_OP_OPERATE;
            rows[i].ops = ops;
            rows[i].n_ops = n_ops;
        } else {
            rows[i].kind = AW_BATCH_OP_DELETE;
        }
    }
    return 0;
}

PyObject *pyaw_batch_rows(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"kind", "keys", "rows", "policy", NULL};
    const char *kind;
    PyObject *keys_o, *rows_o, *policy_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "sOO|O:_batch_rows", kwlist, &kind, &keys_o,
                                     &rows_o, &policy_o))
        return NULL;
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key *keys;
    size_t n = 0;
    PyObject *keys_t, *result = NULL;
    aw_batch_policy bp;
    aw_batch_op *rows;
    aw_batch_result *res = NULL;
    aw_client *c;
    if (pyaw_keys_from_py(keys_o, &keys, &n, &keys_t, &conv) < 0 ||
        pyaw_batch_policy_from_py(policy_o, PYAW_POLICY_WRITE, &bp, NULL) < 0 ||
        !(rows = pyaw_conv_alloc(&conv, n * sizeof *rows)) ||
        batch_rows(kind, rows_o, keys, n, rows, &conv) < 0 ||
        !(res = pyaw_conv_alloc(&conv, n * sizeof *res)) || !(c = pyaw_client_enter(self)))
        goto out;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_batch_operate(c, &bp, rows, n, res, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc != AW_OK)
        pyaw_raise(&err);
    else
        result = pyaw_batch_rows_to_py(res, keys, keys_t, n);
out:
    if (res)
        aw_batch_results_free(res, n);
    pyaw_conv_free(&conv);
    return result;
}

/* ---- _key: a key tuple with its digest ---- */

static PyObject *key_with_digest(PyObject *module, PyObject *key_o) {
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key key;
    PyObject *result = NULL;
    if (pyaw_key_from_py(key_o, &key, &conv) == 0)
        result = pyaw_key_to_py(&key, key_o);
    pyaw_conv_free(&conv);
    return result;
}

PyMethodDef pyaw_batch_write_functions[] = {
    {"_key", (PyCFunction)key_with_digest, METH_O,
     "_key(key) -> (namespace, set, user_key, digest): the key with its digest."},
    {NULL, NULL, 0, NULL},
};
