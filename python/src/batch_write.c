/*
 * Batch writes: rows of a numpy structured array written straight from its
 * buffer (Client._batch_write_from, over aw_batch_write_from), and mixed
 * per-row writes, operates and removes with per-row results
 * (Client._batch_rows, over aw_batch_operate).
 *
 * The op dicts are operate's (pyaw_ops_from_py): every op family works in a
 * batch as in operate, with the same errors.
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
    pyaw_conv conv; /* keeps the policy's expressions alive */
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_batch_policy bp;
    aw_dtype *dt = NULL;
    Py_buffer data = {0}, codes = {0}, in_doubt = {0}, gens = {0};
    PyObject *result = NULL;
    aw_client *c;
    if (pyaw_batch_policy_from_py(policy_o, PYAW_POLICY_WRITE, &bp, &conv) < 0 ||
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
    pyaw_conv_free(&conv);
    return result;
}

/* ---- mixed rows ---- */

/* The ops of an operate row. A touch op with a ttl gives the row its own
 * policy: the batch's with that TTL (as operate applies it over the
 * policy's). */
static int operate_row(PyObject *list, const aw_policy *base, aw_batch_op *row, pyaw_conv *c) {
    aw_op *ops;
    PyObject *ttl;
    if (pyaw_ops_from_py(list, &ops, &row->n_ops, &ttl, c) < 0)
        return -1;
    row->kind = AW_BATCH_OP_OPERATE;
    row->ops = ops;
    if (!ttl)
        return 0;
    aw_policy *p = pyaw_conv_alloc(c, sizeof *p);
    if (!p)
        return -1;
    *p = *base;
    row->policy = p;
    return pyaw_ttl_apply(ttl, p);
}

/* Row i of batch_write: a bins dict (a write) or a list of op dicts (an
 * operate). */
static int write_row(PyObject *r, const aw_policy *base, aw_batch_op *row, pyaw_conv *c) {
    if (PyDict_Check(r)) {
        aw_bin *bins;
        if (pyaw_bins_from_py(r, &bins, &row->n_bins, c) < 0)
            return -1;
        row->kind = AW_BATCH_OP_WRITE;
        row->write_bins = bins;
        return 0;
    }
    if (PyList_Check(r) || PyTuple_Check(r))
        return operate_row(r, base, row, c);
    PyErr_Format(PyExc_TypeError, "a batch_write row must be a bins dict or a list of op dicts, "
                 "not %s", Py_TYPE(r)->tp_name);
    return -1;
}

/* The aw_batch_op rows of kind ("write": rows_o holds a row per key;
 * "operate": the ops of every key; "remove"), over the batch's policy. */
static int batch_rows(const char *kind, PyObject *rows_o, const aw_key *keys, size_t n,
                      const aw_policy *base, aw_batch_op *rows, pyaw_conv *c) {
    aw_batch_op every = {.kind = AW_BATCH_OP_DELETE};
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
        if (operate_row(rows_o, base, &every, c) < 0)
            return -1;
    } else if (strcmp(kind, "remove") != 0) {
        PyErr_Format(PyExc_ValueError, "unknown batch kind %s", kind);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (items) {
            if (write_row(PyTuple_GET_ITEM(items, (Py_ssize_t)i), base, &rows[i], c) < 0)
                return -1;
        } else {
            rows[i] = every;
        }
        rows[i].key = &keys[i];
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
        pyaw_batch_policy_from_py(policy_o, PYAW_POLICY_WRITE, &bp, &conv) < 0 ||
        !(rows = pyaw_conv_alloc(&conv, n * sizeof *rows)) ||
        batch_rows(kind, rows_o, keys, n, &bp.base, rows, &conv) < 0 ||
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
