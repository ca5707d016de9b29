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

int pyaw_write_from_py(PyObject *args, PyObject *kwds, pyaw_write_from *w) {
    static char *kwlist[] = {"data", "n", "namespace", "set", "descr", "align", "itemsize",
                             "key_field", "policy", "codes", "in_doubt", "gens", NULL};
    PyObject *data_o, *policy_o, *codes_o, *in_doubt_o, *gens_o;
    Py_ssize_t n, itemsize;
    const char *descr;
    int align;
    memset(w, 0, sizeof *w);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Onzzspnz" "OOOO:_batch_write_from", kwlist,
                                     &data_o, &n, &w->ns, &w->set, &descr, &align, &itemsize,
                                     &w->key_field, &policy_o, &codes_o, &in_doubt_o, &gens_o))
        return -1;
    if (!w->ns)
        return PyErr_Format(PyExc_TypeError, "namespace must be a str, not None"), -1;
    if (n < 0)
        return PyErr_Format(PyExc_ValueError, "n must be >= 0"), -1;
    w->n = (size_t)n;
    if (pyaw_conv_init(&w->conv) < 0 ||
        pyaw_batch_policy_from_py(policy_o, PYAW_POLICY_WRITE, &w->bp, &w->conv) < 0 ||
        pyaw_dtype_parse(descr, align ? AW_DTYPE_ALIGN : 0, itemsize, &w->dt) < 0)
        return -1;
    /* Held until released: the array cannot be resized or freed while the
     * command reads it. */
    if (PyObject_GetBuffer(data_o, &w->data, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "data must be a C-contiguous buffer (%s given)",
                     Py_TYPE(data_o)->tp_name);
        return -1;
    }
    if (pyaw_writable_buffer(codes_o, &w->codes, w->n * sizeof(int32_t), "codes") < 0 ||
        pyaw_writable_buffer(in_doubt_o, &w->in_doubt, w->n * sizeof(bool), "in_doubt") < 0 ||
        pyaw_writable_buffer(gens_o, &w->gens, w->n * sizeof(uint32_t), "gens") < 0)
        return -1;
    return 0;
}

void pyaw_write_from_release(pyaw_write_from *w) {
    /* A Py_buffer never filled has obj NULL: releasing it does nothing. */
    PyBuffer_Release(&w->data);
    PyBuffer_Release(&w->codes);
    PyBuffer_Release(&w->in_doubt);
    PyBuffer_Release(&w->gens);
    aw_dtype_free(w->dt);
    w->dt = NULL;
    pyaw_conv_free(&w->conv);
}

PyObject *pyaw_write_from_raise(const aw_error *err) {
    if (err->code == AW_ERR_PARAM || err->code == AW_ERR_BAD_NAME)
        return PyErr_Format(PyExc_ValueError, "%s", err->message);
    if (err->code == AW_ERR_UNSUPPORTED)
        return PyErr_Format(PyExc_TypeError, "%s", err->message);
    return pyaw_raise(err);
}

PyObject *pyaw_batch_write_from(pyaw_client *self, PyObject *args, PyObject *kwds) {
    pyaw_write_from w;
    PyObject *result = NULL;
    aw_client *c;
    if (pyaw_write_from_py(args, kwds, &w) < 0 || !(c = pyaw_client_enter(self)))
        goto out;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_batch_write_from(c, &w.bp, w.data.buf, (size_t)w.data.len, w.n, w.dt, w.ns, w.set,
                             w.key_field, w.codes.buf, w.in_doubt.buf, w.gens.buf, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc != AW_OK)
        pyaw_write_from_raise(&err);
    else
        result = (Py_INCREF(Py_None), Py_None);
out:
    pyaw_write_from_release(&w);
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
        if (!items || pyaw_keep(c, items) < 0) {
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

int pyaw_batch_rows_from_py(PyObject *args, PyObject *kwds, pyaw_batch_rows_args *b) {
    static char *kwlist[] = {"kind", "keys", "rows", "policy", NULL};
    const char *kind;
    PyObject *keys_o, *rows_o, *policy_o = Py_None;
    memset(b, 0, sizeof *b);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "sOO|O:_batch_rows", kwlist, &kind, &keys_o,
                                     &rows_o, &policy_o) ||
        pyaw_batch_args_from_py(keys_o, Py_None, policy_o, PYAW_POLICY_WRITE, true, &b->a) < 0)
        return -1;
    pyaw_conv *c = &b->a.conv;
    size_t n = b->a.n;
    if (!(b->rows = pyaw_conv_alloc(c, n * sizeof *b->rows)) ||
        batch_rows(kind, rows_o, b->a.keys, n, &b->a.bp.base, b->rows, c) < 0 ||
        !(b->res = pyaw_conv_alloc(c, n * sizeof *b->res)))
        return -1;
    return 0;
}

PyObject *pyaw_batch_rows(pyaw_client *self, PyObject *args, PyObject *kwds) {
    pyaw_batch_rows_args b;
    PyObject *result = NULL;
    aw_client *c;
    if (pyaw_batch_rows_from_py(args, kwds, &b) < 0 || !(c = pyaw_client_enter(self)))
        goto out;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_batch_operate(c, &b.a.bp, b.rows, b.a.n, b.res, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    result = rc == AW_OK ? pyaw_batch_rows_result(&b) : pyaw_raise(&err);
out:
    pyaw_batch_rows_release(&b);
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
