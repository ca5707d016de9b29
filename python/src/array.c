/*
 * Whole arrays (aerowire/array.h): Client._array_put, _array_open,
 * _array_delete, and ArrayHandle, the open aw_array_ref that
 * aerowire.ArrayRef reads through. The numpy side (dtypes, the arrays
 * themselves, slicing, the mmap cache file) is Python (aerowire/_array.py);
 * data moves through the buffer protocol, with the GIL released for every
 * network wait.
 */
#include "pyaw.h"

#include <string.h>

typedef struct ArrayHandleObject {
    PyObject_HEAD
    aw_array_ref *ref;
    pyaw_client *client; /* kept alive while the ref is open */
    long busy;           /* threads reading through the ref (close() refuses then) */
} ArrayHandleObject;

/* Raises err, with a RuntimeWarning instead when it is a warning on
 * success (the array layer's "old chunks left behind"). */
static int warn_or_raise(int rc, const aw_error *err) {
    if (rc != AW_OK) {
        pyaw_raise(err);
        return -1;
    }
    if (err->message[0])
        return PyErr_WarnEx(PyExc_RuntimeWarning, err->message, 1);
    return 0;
}

static int shape_from_py(PyObject *shape_o, uint64_t *shape, uint32_t *ndim) {
    PyObject *t = PySequence_Tuple(shape_o);
    if (!t)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    int rc = 0;
    if (n > AW_ARRAY_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "an array has at most %d dimensions, not %zd",
                     AW_ARRAY_MAX_NDIM, n);
        rc = -1;
    }
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        shape[i] = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, i));
        if (PyErr_Occurred())
            rc = -1;
    }
    *ndim = (uint32_t)n;
    Py_DECREF(t);
    return rc;
}

static int attrs_from_py(PyObject *dict, aw_array_attr **attrs, size_t *n, pyaw_conv *c) {
    *attrs = NULL;
    *n = 0;
    if (dict == Py_None)
        return 0;
    if (!PyDict_Check(dict)) {
        PyErr_Format(PyExc_TypeError, "attrs must be a dict, not %s", Py_TYPE(dict)->tp_name);
        return -1;
    }
    PyObject *pairs = PyDict_Items(dict);
    if (!pairs || pyaw_keep(c, pairs) < 0) {
        Py_XDECREF(pairs);
        return -1;
    }
    Py_DECREF(pairs);
    Py_ssize_t len = PyList_GET_SIZE(pairs);
    aw_array_attr *a = pyaw_conv_alloc(c, (size_t)len * sizeof *a);
    if (!a)
        return -1;
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *name = PyTuple_GET_ITEM(PyList_GET_ITEM(pairs, i), 0);
        PyObject *value = PyTuple_GET_ITEM(PyList_GET_ITEM(pairs, i), 1);
        Py_ssize_t nlen;
        if (!PyUnicode_Check(name) || !(a[i].name = PyUnicode_AsUTF8AndSize(name, &nlen)) ||
            nlen == 0 || strlen(a[i].name) != (size_t)nlen) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "attribute name %R must be a non-empty str", name);
            return -1;
        }
        if (value == Py_None) {
            PyErr_Format(PyExc_ValueError, "attribute %R is None (attributes need a value)",
                         name);
            return -1;
        }
        if (pyaw_value_from_py(value, &a[i].value, c, 1) < 0)
            return -1;
    }
    *attrs = a;
    *n = (size_t)len;
    return 0;
}

PyObject *pyaw_array_put(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "descr", "align", "itemsize", "shape", "data", "attrs",
                             "chunk_bytes", "compress", "policy", NULL};
    PyObject *key_o, *shape_o, *data_o, *attrs_o, *policy_o;
    const char *descr;
    int align, compress;
    Py_ssize_t itemsize;
    unsigned int chunk_bytes;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OspnOOOIpO:_array_put", kwlist, &key_o, &descr,
                                     &align, &itemsize, &shape_o, &data_o, &attrs_o,
                                     &chunk_bytes, &compress, &policy_o))
        return NULL;
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key key;
    aw_policy pol;
    aw_dtype *dt = NULL;
    aw_array_attr *attrs;
    size_t n_attrs;
    uint64_t shape[AW_ARRAY_MAX_NDIM];
    uint32_t ndim;
    Py_buffer data = {0};
    PyObject *result = NULL;
    aw_client *c;
    if (pyaw_key_from_py(key_o, &key, &conv) < 0 ||
        pyaw_policy_from_py(policy_o, &self->cfg.write_policy, PYAW_POLICY_WRITE, &pol) < 0 ||
        shape_from_py(shape_o, shape, &ndim) < 0 ||
        attrs_from_py(attrs_o, &attrs, &n_attrs, &conv) < 0 ||
        pyaw_dtype_parse(descr, AW_DTYPE_ARRAY | (align ? AW_DTYPE_ALIGN : 0), itemsize, &dt) < 0)
        goto out;
    /* Held (not copied) until the put returns. */
    if (PyObject_GetBuffer(data_o, &data, PyBUF_C_CONTIGUOUS) < 0)
        goto out;
    if (!(c = pyaw_client_enter(self)))
        goto out;
    aw_array_opts opts = {.chunk_bytes = chunk_bytes, .compress = compress != 0};
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_array_put(c, &pol, &key, data.buf, (size_t)data.len, dt, shape, ndim, attrs, n_attrs,
                      &opts, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc == AW_ERR_PARAM) {
        PyErr_Format(PyExc_ValueError, "put_array: %s", err.message);
    } else if (warn_or_raise(rc, &err) == 0) {
        Py_INCREF(Py_None);
        result = Py_None;
    }
out:
    PyBuffer_Release(&data);
    aw_dtype_free(dt);
    pyaw_conv_free(&conv);
    return result;
}

PyObject *pyaw_array_delete(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "policy", NULL};
    PyObject *key_o, *policy_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:delete_array", kwlist, &key_o, &policy_o))
        return NULL;
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key key;
    aw_policy pol;
    PyObject *result = NULL;
    aw_client *c;
    if (pyaw_key_from_py(key_o, &key, &conv) < 0 ||
        pyaw_policy_from_py(policy_o, &self->cfg.write_policy, PYAW_POLICY_WRITE, &pol) < 0 ||
        !(c = pyaw_client_enter(self)))
        goto out;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_array_delete(c, &pol, &key, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (warn_or_raise(rc, &err) == 0) {
        Py_INCREF(Py_None);
        result = Py_None;
    }
out:
    pyaw_conv_free(&conv);
    return result;
}

PyObject *pyaw_array_open(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "policy", NULL};
    PyObject *key_o, *policy_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:_array_open", kwlist, &key_o, &policy_o))
        return NULL;
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key key;
    aw_policy pol;
    ArrayHandleObject *h = NULL;
    aw_client *c;
    if (pyaw_key_from_py(key_o, &key, &conv) < 0 ||
        pyaw_policy_from_py(policy_o, &self->cfg.read_policy, PYAW_POLICY_READ, &pol) < 0 ||
        !(h = PyObject_New(ArrayHandleObject, &pyaw_ArrayHandleType)))
        goto out;
    h->ref = NULL;
    h->busy = 0;
    Py_INCREF(self);
    h->client = self;
    if (!(c = pyaw_client_enter(self))) {
        Py_CLEAR(h);
        goto out;
    }
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_array_open(c, &pol, &key, &h->ref, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc != AW_OK) {
        pyaw_raise(&err);
        Py_CLEAR(h);
    }
out:
    pyaw_conv_free(&conv);
    return (PyObject *)h;
}

/* ---- ArrayHandle ---- */

static void handle_dealloc(ArrayHandleObject *self) {
    aw_array_ref_free(self->ref);
    Py_XDECREF(self->client);
    PyObject_Free(self);
}

static int handle_enter(ArrayHandleObject *self, aw_client **c) {
    if (!self->ref) {
        PyErr_SetString(PyExc_ValueError, "the array ref is closed");
        return -1;
    }
    if (!(*c = pyaw_client_enter(self->client)))
        return -1;
    self->busy++;
    return 0;
}

static void handle_leave(ArrayHandleObject *self) {
    self->busy--;
    self->client->busy--;
}

static PyObject *handle_info(ArrayHandleObject *self, PyObject *unused) {
    if (!self->ref)
        return PyErr_Format(PyExc_ValueError, "the array ref is closed");
    const aw_array_ref *r = self->ref;
    uint32_t ndim = aw_array_ndim(r);
    PyObject *shape = PyTuple_New(ndim);
    for (uint32_t i = 0; shape && i < ndim; i++) {
        PyObject *d = PyLong_FromUnsignedLongLong(aw_array_shape(r)[i]);
        if (!d)
            Py_CLEAR(shape);
        else
            PyTuple_SET_ITEM(shape, i, d);
    }
    PyObject *attrs = shape ? PyDict_New() : NULL;
    for (size_t i = 0; attrs && i < aw_array_n_attrs(r); i++) {
        PyObject *v = pyaw_value_to_py(aw_array_attr_value(r, i), 1);
        if (!v || PyDict_SetItemString(attrs, aw_array_attr_name(r, i), v) < 0)
            Py_CLEAR(attrs);
        Py_XDECREF(v);
    }
    if (!attrs) {
        Py_XDECREF(shape);
        return NULL;
    }
    return Py_BuildValue("{s:s,s:N,s:K,s:K,s:K,s:I,s:I,s:O,s:K,s:I,s:N}", "descr",
                         aw_array_descr(r), "shape", shape, "size",
                         (unsigned long long)aw_array_size(r), "nbytes",
                         (unsigned long long)aw_array_nbytes(r), "row_bytes",
                         (unsigned long long)aw_array_row_bytes(r), "chunk_bytes",
                         aw_array_chunk_bytes(r), "n_chunks", aw_array_n_chunks(r),
                         "compressed", aw_array_compressed(r) ? Py_True : Py_False, "version",
                         (unsigned long long)aw_array_version(r), "generation",
                         aw_array_generation(r), "attrs", attrs);
}

/* read_into(buf) or read_into(buf, i, j): the whole array, or rows [i, j). */
static PyObject *handle_read_into(ArrayHandleObject *self, PyObject *args) {
    PyObject *buf_o;
    unsigned long long i = 0, j = 0;
    int rows = PyTuple_GET_SIZE(args) > 1;
    if (!PyArg_ParseTuple(args, "O|KK:read_into", &buf_o, &i, &j))
        return NULL;
    aw_client *c;
    if (handle_enter(self, &c) < 0)
        return NULL;
    uint64_t need = rows ? (j - i) * aw_array_row_bytes(self->ref) : aw_array_nbytes(self->ref);
    Py_buffer buf = {0};
    if (pyaw_writable_buffer(buf_o, &buf, rows && j < i ? 0 : need, "buffer") < 0) {
        handle_leave(self);
        return NULL;
    }
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = rows ? aw_array_read_rows(c, self->ref, i, j, buf.buf, (size_t)buf.len, &err)
              : aw_array_read(c, self->ref, buf.buf, (size_t)buf.len, &err);
    Py_END_ALLOW_THREADS
    handle_leave(self);
    PyBuffer_Release(&buf);
    if (rc == AW_ERR_PARAM)
        return PyErr_Format(PyExc_IndexError, "%s", err.message);
    if (rc != AW_OK)
        return pyaw_raise(&err);
    Py_RETURN_NONE;
}

static PyObject *handle_read_npy(ArrayHandleObject *self, PyObject *path_o) {
    PyObject *bytes;
    if (!PyUnicode_FSConverter(path_o, &bytes))
        return NULL;
    aw_client *c;
    if (handle_enter(self, &c) < 0) {
        Py_DECREF(bytes);
        return NULL;
    }
    const char *path = PyBytes_AS_STRING(bytes);
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_array_read_npy(c, self->ref, path, &err);
    Py_END_ALLOW_THREADS
    handle_leave(self);
    Py_DECREF(bytes);
    if (rc != AW_OK)
        return pyaw_raise(&err);
    Py_RETURN_NONE;
}

static PyObject *handle_close(ArrayHandleObject *self, PyObject *unused) {
    if (self->busy)
        return pyaw_raise_code(AW_ERR_CLIENT, "close() while other threads read the array");
    aw_array_ref_free(self->ref);
    self->ref = NULL;
    Py_RETURN_NONE;
}

static PyMethodDef handle_methods[] = {
    {"info", (PyCFunction)handle_info, METH_NOARGS,
     "info() -> dict: what the header says (descr, shape, size, nbytes, row_bytes, "
     "chunk_bytes, n_chunks, compressed, version, generation, attrs)."},
    {"read_into", (PyCFunction)handle_read_into, METH_VARARGS,
     "read_into(buffer[, i, j]): the whole array, or rows [i, j) of the first axis, into a "
     "writable buffer."},
    {"read_npy", (PyCFunction)handle_read_npy, METH_O,
     "read_npy(path): the whole array into a .npy file (written atomically)."},
    {"close", (PyCFunction)handle_close, METH_NOARGS, "close(): frees the ref."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject pyaw_ArrayHandleType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire._aerowire.ArrayHandle",
    .tp_basicsize = sizeof(ArrayHandleObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An open array (aw_array_ref); aerowire.ArrayRef reads through it.",
    .tp_dealloc = (destructor)handle_dealloc,
    .tp_methods = handle_methods,
};
