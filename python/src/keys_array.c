/*
 * A batch's keys from a numpy array of user keys and one namespace and set:
 * batch_read(array, namespace=..., set_name=..., _dtype=...). The Python
 * side hands the array normalised (aerowire/_numpy.py key_array): kind 'i'
 * native int64, 'S' string keys (up to the first NUL, as batch_write_numpy
 * reads an S key field), 'V' blob keys, C-contiguous. The names are
 * checked once; each key is then its user key, and the digests are made
 * together.
 */
#include "pyaw.h"

#include <stdint.h>
#include <string.h>

/* The user key of element p of kind ('i', 'S' or 'V') and itemsize. */
static aw_value array_user_key(int kind, const char *p, size_t itemsize) {
    if (kind == 'i') {
        int64_t v;
        memcpy(&v, p, sizeof v);
        return aw_value_int(v);
    }
    if (kind == 'S')
        return aw_value_strn(p, strnlen(p, itemsize));
    return aw_value_blob(p, itemsize);
}

/* A buffer of n elements of kind in *view, or -1 raised. */
static int key_buffer(PyObject *array, int kind, Py_buffer *view) {
    if (kind != 'i' && kind != 'S' && kind != 'V') {
        PyErr_Format(PyExc_ValueError, "key_kind must be 'i', 'S' or 'V', not '%c'", kind);
        return -1;
    }
    if (PyObject_GetBuffer(array, view, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "keys must be a C-contiguous buffer, not %s",
                     Py_TYPE(array)->tp_name);
        return -1;
    }
    if (view->ndim != 1 || (kind == 'i' && view->itemsize != 8)) {
        PyErr_Format(PyExc_ValueError,
                     "keys must be a 1-d buffer, of int64 for kind 'i' (%d-d, %zd bytes an "
                     "item given)", view->ndim, view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* The names checked into *names (a key of them), then the buffer of the
 * keys; -1 raised. */
static int open_keys(PyObject *array, int kind, const char *ns, const char *set, aw_key *names,
                     Py_buffer *view) {
    aw_error err;
    if (aw_key_init_int(names, ns, set, 0, &err) != AW_OK) {
        PyErr_Format(PyExc_ValueError, "invalid key: %s", err.message);
        return -1;
    }
    return key_buffer(array, kind, view);
}

int pyaw_ids_from_array(PyObject *array, const char *ns, const char *set, int64_t **ids,
                        size_t *n, char ns_out[AW_NAMESPACE_MAX + 1],
                        char set_out[AW_SET_MAX + 1], pyaw_conv *c) {
    aw_key names;
    Py_buffer view;
    if (open_keys(array, 'i', ns, set, &names, &view) < 0)
        return -1;
    /* A copy the conversion owns: no other thread can change or free it
     * while the batch runs without the GIL. */
    size_t count = (size_t)view.shape[0];
    int64_t *out = pyaw_ids_alloc(c, count);
    if (out && count)
        memcpy(out, view.buf, count * sizeof *out);
    PyBuffer_Release(&view);
    if (!out)
        return -1;
    memcpy(ns_out, names.ns, sizeof names.ns);
    memcpy(set_out, names.set, sizeof names.set);
    *ids = out;
    *n = count;
    return 0;
}

int pyaw_keys_from_array(PyObject *array, int kind, const char *ns, const char *set,
                         aw_key **keys, size_t *n, pyaw_conv *c) {
    aw_key names;
    Py_buffer view;
    if (open_keys(array, kind, ns, set, &names, &view) < 0)
        return -1;
    aw_error err;
    size_t count = (size_t)view.shape[0], itemsize = (size_t)view.itemsize;
    /* S and V keys borrow their bytes: a copy the conversion owns, which no
     * other thread can change or free while the batch runs. */
    const char *data = view.buf;
    if (kind != 'i') {
        char *copy = pyaw_conv_alloc(c, count * itemsize);
        if (copy && count)
            memcpy(copy, view.buf, count * itemsize);
        data = copy;
    }
    aw_key *out = data ? pyaw_keys_alloc(c, count) : NULL;
    int rc = AW_OK;
    if (out) {
        size_t ns_len = strlen(names.ns), set_len = strlen(names.set);
        for (size_t i = 0; i < count; i++) {
            aw_key *k = &out[i];
            memcpy(k->ns, names.ns, ns_len + 1);
            memcpy(k->set, names.set, set_len + 1);
            k->user_key = array_user_key(kind, data + i * itemsize, itemsize);
        }
        /* The digests sixteen at a time (aw_keys_digest names a bad key). */
        rc = aw_keys_digest(out, count, &err);
    }
    if (rc != AW_OK) {
        PyErr_Format(PyExc_ValueError, "invalid %s", err.message);
        out = NULL;
    }
    PyBuffer_Release(&view);
    if (!out)
        return -1;
    *keys = out;
    *n = count;
    return 0;
}
