/*
 * Batch reads: rows as Records (Client._batch_get), or straight into the
 * caller's numpy arrays (Client._batch_read_into), and KeyIndex, the key ->
 * row lookup of a batch (aw_key_index).
 *
 * numpy is reached through the buffer protocol only: the extension needs no
 * numpy headers or ABI (it builds and imports without numpy, and works
 * with any numpy version), and aw_batch_read_into only needs a writable
 * contiguous buffer. The dtype travels as numpy's own descr text, parsed
 * by aw_dtype_parse, and its itemsize is checked against numpy's.
 */
#include "pyaw.h"

#include <string.h>

int pyaw_batch_policy_from_py(PyObject *dict, enum pyaw_policy_kind kind, aw_batch_policy *bp,
                              pyaw_conv *c) {
    *bp = aw_batch_policy_default();
    return pyaw_cmd_policy_from_py(dict, &bp->base, kind, &bp->base, c);
}

PyObject *pyaw_batch_rows_to_py(const aw_batch_result *res, const aw_key *keys, PyObject *keys_t,
                                size_t n) {
    PyObject *result = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; result && i < n; i++) {
        PyObject *given = PyTuple_GET_ITEM(keys_t, (Py_ssize_t)i);
        PyObject *rec = NULL;
        if (res[i].code == AW_OK) {
            rec = pyaw_record_to_py(&res[i].rec, &keys[i], given);
        } else {
            PyObject *k = pyaw_key_to_py(&keys[i], given);
            Py_INCREF(Py_None);
            Py_INCREF(Py_None);
            rec = pyaw_record3(k, Py_None, Py_None);
        }
        PyObject *row = rec ? Py_BuildValue("(iNO)", res[i].code, rec,
                                            res[i].in_doubt ? Py_True : Py_False)
                            : NULL;
        if (!row)
            Py_CLEAR(result);
        else
            PyList_SET_ITEM(result, (Py_ssize_t)i, row);
    }
    return result;
}

/* A batch's bin names and policy, after its keys. */
static int batch_args_rest(PyObject *bins, PyObject *policy, enum pyaw_policy_kind kind,
                           pyaw_batch_args *b) {
    if ((bins != Py_None &&
         pyaw_bin_names_from_py(bins, &b->names, &b->n_names, &b->conv) < 0) ||
        pyaw_batch_policy_from_py(policy, kind, &b->bp, &b->conv) < 0)
        return -1;
    if (!b->n_names)
        b->names = NULL; /* an empty list reads every bin */
    return 0;
}

int pyaw_batch_args_from_py(PyObject *keys, PyObject *bins, PyObject *policy,
                            enum pyaw_policy_kind kind, bool keys_tuple, pyaw_batch_args *b) {
    memset(b, 0, sizeof *b);
    if (pyaw_conv_init(&b->conv) < 0 ||
        pyaw_keys_from_py(keys, &b->keys, &b->n, keys_tuple ? &b->keys_t : NULL, &b->conv) < 0)
        return -1;
    return batch_args_rest(bins, policy, kind, b);
}

int pyaw_batch_args_from_array(PyObject *keys, int key_kind, const char *ns, const char *set,
                               PyObject *bins, PyObject *policy, enum pyaw_policy_kind kind,
                               pyaw_batch_args *b) {
    memset(b, 0, sizeof *b);
    if (pyaw_conv_init(&b->conv) < 0 ||
        pyaw_keys_from_array(keys, key_kind, ns, set, &b->keys, &b->n, &b->conv) < 0)
        return -1;
    return batch_args_rest(bins, policy, kind, b);
}

int pyaw_batch_get_from_py(PyObject *args, PyObject *kwds, pyaw_batch_rows_args *b) {
    static char *kwlist[] = {"keys", "bins", "policy", NULL};
    PyObject *keys_o, *bins_o = Py_None, *policy_o = Py_None;
    memset(b, 0, sizeof *b);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OO:_batch_get", kwlist, &keys_o, &bins_o,
                                     &policy_o) ||
        pyaw_batch_args_from_py(keys_o, bins_o, policy_o, PYAW_POLICY_READ, true, &b->a) < 0 ||
        !(b->res = pyaw_conv_alloc(&b->a.conv, b->a.n * sizeof *b->res)))
        return -1;
    return 0;
}

void pyaw_batch_rows_release(pyaw_batch_rows_args *b) {
    if (b->res)
        aw_batch_results_free(b->res, b->a.n);
    pyaw_conv_free(&b->a.conv);
}

PyObject *pyaw_batch_rows_result(const pyaw_batch_rows_args *b) {
    return pyaw_batch_rows_to_py(b->res, b->a.keys, b->a.keys_t, b->a.n);
}

PyObject *pyaw_batch_get(pyaw_client *self, PyObject *args, PyObject *kwds) {
    pyaw_batch_rows_args b;
    PyObject *result = NULL;
    aw_client *c;
    if (pyaw_batch_get_from_py(args, kwds, &b) < 0 || !(c = pyaw_client_enter(self)))
        goto out;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_batch_get(c, &b.a.bp, b.a.keys, b.a.n, b.a.names, b.a.n_names, false, b.res, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    result = rc == AW_OK ? pyaw_batch_rows_result(&b) : pyaw_raise(&err);
out:
    pyaw_batch_rows_release(&b);
    return result;
}

int pyaw_dtype_parse(const char *descr, unsigned flags, Py_ssize_t itemsize, aw_dtype **dt) {
    aw_error err;
    if (aw_dtype_parse_flags(descr, flags, dt, &err) != AW_OK) {
        PyErr_Format(err.code == AW_ERR_UNSUPPORTED ? PyExc_TypeError : PyExc_ValueError,
                     "dtype: %s", err.message);
        return -1;
    }
    if ((Py_ssize_t)aw_dtype_itemsize(*dt) != itemsize) {
        PyErr_Format(PyExc_ValueError, "dtype %s: itemsize %zu here, %zd in numpy", descr,
                     aw_dtype_itemsize(*dt), itemsize);
        aw_dtype_free(*dt);
        *dt = NULL;
        return -1;
    }
    return 0;
}

int pyaw_writable_buffer(PyObject *o, Py_buffer *view, size_t need, const char *what) {
    if (PyObject_GetBuffer(o, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s must be a writable, C-contiguous buffer (%s given)",
                     what, Py_TYPE(o)->tp_name);
        return -1;
    }
    if ((size_t)view->len < need) {
        PyErr_Format(PyExc_ValueError, "%s holds %zd bytes, %zu needed", what, view->len, need);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Integer keys of one namespace and set, in an array (ns given) or a list
 * of tuples, as ids (aw_batch_read_ids_into: no key made for each): 1 in
 * a, 0 when the keys are not such (a left empty), -1 raised. */
static int batch_ids_from_py(PyObject *keys, const char *ns, const char *set, int key_kind,
                             pyaw_batch_args *a) {
    memset(a, 0, sizeof *a);
    if (ns && key_kind != 'i')
        return 0;
    if (pyaw_conv_init(&a->conv) < 0)
        return -1;
    int rc = ns ? (pyaw_ids_from_array(keys, ns, set, &a->ids, &a->n, a->ids_ns, a->ids_set,
                                       &a->conv) < 0
                       ? -1
                       : 1)
                : pyaw_ids_from_py(keys, &a->ids, &a->n, a->ids_ns, a->ids_set, &a->conv);
    if (rc == 0)
        pyaw_conv_free(&a->conv); /* the keys' way begins anew */
    return rc;
}

int pyaw_batch_into_from_py(PyObject *args, PyObject *kwds, pyaw_batch_into *b) {
    static char *kwlist[] = {"keys", "bins", "policy", "descr", "align", "itemsize",
                             "rows", "meta", "codes", "namespace", "set_name", "key_kind", NULL};
    PyObject *keys_o, *bins_o, *policy_o, *rows_o, *meta_o, *codes_o;
    const char *descr, *ns = NULL, *set = NULL;
    int align, key_kind = 'i';
    Py_ssize_t itemsize;
    memset(b, 0, sizeof *b);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOspnOOO|zzC:_batch_read_into", kwlist,
                                     &keys_o, &bins_o, &policy_o, &descr, &align, &itemsize,
                                     &rows_o, &meta_o, &codes_o, &ns, &set, &key_kind))
        return -1;
    /* With a namespace, keys is a numpy array of user keys (key_kind). */
    int ids = batch_ids_from_py(keys_o, ns, set, key_kind, &b->a);
    if (ids < 0 || (ids > 0 && batch_args_rest(bins_o, policy_o, PYAW_POLICY_READ, &b->a) < 0))
        return -1;
    if (ids == 0 &&
        (ns ? pyaw_batch_args_from_array(keys_o, key_kind, ns, set, bins_o, policy_o,
                                         PYAW_POLICY_READ, &b->a) < 0
            : pyaw_batch_args_from_py(keys_o, bins_o, policy_o, PYAW_POLICY_READ, false,
                                      &b->a) < 0))
        return -1;
    if (pyaw_dtype_parse(descr, align ? AW_DTYPE_ALIGN : 0, itemsize, &b->dt) < 0)
        return -1;
    size_t n = b->a.n;
    if (pyaw_writable_buffer(rows_o, &b->rows, n * (size_t)itemsize, "rows") < 0 ||
        pyaw_writable_buffer(meta_o, &b->meta, n * sizeof(aw_row_meta), "meta") < 0 ||
        pyaw_writable_buffer(codes_o, &b->codes, n * sizeof(int32_t), "codes") < 0)
        return -1;
    return 0;
}

void pyaw_batch_into_release(pyaw_batch_into *b) {
    /* A Py_buffer never filled has obj NULL: releasing it does nothing. */
    PyBuffer_Release(&b->rows);
    PyBuffer_Release(&b->meta);
    PyBuffer_Release(&b->codes);
    aw_dtype_free(b->dt);
    b->dt = NULL;
    pyaw_conv_free(&b->a.conv);
}

PyObject *pyaw_batch_read_into(pyaw_client *self, PyObject *args, PyObject *kwds) {
    pyaw_batch_into b;
    PyObject *result = NULL;
    aw_client *c;
    if (pyaw_batch_into_from_py(args, kwds, &b) < 0 || !(c = pyaw_client_enter(self)))
        goto out;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = b.a.ids ? aw_batch_read_ids_into(c, &b.a.bp, b.a.ids_ns, b.a.ids_set, b.a.ids, b.a.n,
                                          b.a.names, b.a.n_names, b.dt, b.rows.buf,
                                          (size_t)b.rows.len, b.meta.buf, b.codes.buf, &err)
                 : aw_batch_read_into(c, &b.a.bp, b.a.keys, b.a.n, b.a.names, b.a.n_names, b.dt,
                                      b.rows.buf, (size_t)b.rows.len, b.meta.buf, b.codes.buf,
                                      &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc != AW_OK) {
        pyaw_raise(&err);
        goto out;
    }
    Py_INCREF(Py_None);
    result = Py_None;
out:
    pyaw_batch_into_release(&b);
    return result;
}

/* ---- KeyIndex ---- */

typedef struct KeyIndexObject {
    PyObject_HEAD
    aw_key_index *idx;
} KeyIndexObject;

static int key_index_init(KeyIndexObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"keys", NULL};
    PyObject *keys_o;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:KeyIndex", kwlist, &keys_o))
        return -1;
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return -1;
    aw_key *keys;
    size_t n;
    int rc = -1;
    aw_error err;
    if (pyaw_keys_from_py(keys_o, &keys, &n, NULL, &conv) == 0) {
        aw_key_index *idx;
        if (aw_key_index_new(keys, n, &idx, &err) == AW_OK) {
            aw_key_index_free(self->idx);
            self->idx = idx;
            rc = 0;
        } else {
            pyaw_raise(&err);
        }
    }
    pyaw_conv_free(&conv);
    return rc;
}

static void key_index_dealloc(KeyIndexObject *self) {
    aw_key_index_free(self->idx);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *key_index_find(KeyIndexObject *self, PyObject *key_o) {
    if (!self->idx)
        return PyErr_Format(PyExc_RuntimeError, "KeyIndex was not initialised");
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key key;
    PyObject *result = NULL;
    if (pyaw_key_from_py(key_o, &key, &conv) == 0)
        result = PyLong_FromLongLong(aw_key_index_find(self->idx, &key));
    pyaw_conv_free(&conv);
    return result;
}

static PyMethodDef key_index_methods[] = {
    {"find", (PyCFunction)key_index_find, METH_O,
     "find(key) -> int: the key's row in the batch, -1 when it is not in it."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject pyaw_KeyIndexType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire._aerowire.KeyIndex",
    .tp_basicsize = sizeof(KeyIndexObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "KeyIndex(keys): finds a key's row among a batch's keys (by digest and namespace).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)key_index_init,
    .tp_dealloc = (destructor)key_index_dealloc,
    .tp_methods = key_index_methods,
};
