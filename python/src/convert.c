/*
 * Python objects <-> aerowire keys, bins and values.
 *
 * Python -> aerowire borrows the bytes of str and bytes objects (kept alive
 * in the conversion's `keep` list while the command runs without the GIL);
 * a bytearray, which another thread could resize, is copied into bytes
 * first. Unsupported types are a TypeError and out-of-range values a
 * ValueError, each naming what was wrong, before anything is sent.
 */
#include "pyaw.h"

#include <string.h>

/* Containers nest at most this deep (aerowire's own limit). */
#define PYAW_MAX_DEPTH 64

int pyaw_conv_init(pyaw_conv *c) {
    memset(c, 0, sizeof *c);
    return 0;
}

void pyaw_conv_free(pyaw_conv *c) {
    for (size_t i = 0; i < c->n_allocs; i++)
        PyMem_Free(c->allocs[i]);
    PyMem_Free(c->allocs);
    pyaw_keys_release(c);
    for (unsigned i = 0; i < c->n_few; i++)
        Py_DECREF(c->few[i]);
    Py_XDECREF(c->keep);
    memset(c, 0, sizeof *c);
}

int pyaw_keep(pyaw_conv *c, PyObject *o) {
    if (c->n_few < PYAW_CONV_FEW) {
        Py_INCREF(o);
        c->few[c->n_few++] = o;
        return 0;
    }
    if (!c->keep && !(c->keep = PyList_New(0)))
        return -1;
    return PyList_Append(c->keep, o);
}

void *pyaw_conv_alloc(pyaw_conv *c, size_t size) {
    if (c->n_allocs == c->cap_allocs) {
        size_t cap = c->cap_allocs ? 2 * c->cap_allocs : 8;
        void **grown = PyMem_Realloc(c->allocs, cap * sizeof *grown);
        if (!grown) {
            PyErr_NoMemory();
            return NULL;
        }
        c->allocs = grown;
        c->cap_allocs = cap;
    }
    void *p = PyMem_Calloc(1, size ? size : 1);
    if (!p) {
        PyErr_NoMemory();
        return NULL;
    }
    c->allocs[c->n_allocs++] = p;
    return p;
}

/* Takes a new reference (NULL passes through) and hands it to c, which
 * keeps it alive until pyaw_conv_free: a snapshot of a container's items,
 * which the caller may change once the GIL is released. */
static PyObject *kept(pyaw_conv *c, PyObject *o) {
    if (!o || pyaw_keep(c, o) < 0) {
        Py_XDECREF(o);
        return NULL;
    }
    Py_DECREF(o);
    return o;
}

/* A str's UTF-8 bytes, NUL-free (they are passed on as C strings). */
static const char *utf8_name(PyObject *s, Py_ssize_t *len, const char *what) {
    const char *p = PyUnicode_AsUTF8AndSize(s, len);
    if (p && (Py_ssize_t)strlen(p) != *len) {
        PyErr_Format(PyExc_ValueError, "%s %R contains a NUL character", what, s);
        return NULL;
    }
    return p;
}

/* Bytes of a bytes or bytearray object, held alive in c. */
static int blob_bytes(PyObject *o, pyaw_conv *c, const char **p, Py_ssize_t *len) {
    PyObject *b = kept(c, PyBytes_Check(o) ? (Py_INCREF(o), o) : PyBytes_FromObject(o));
    if (!b)
        return -1;
    *p = PyBytes_AS_STRING(b);
    *len = PyBytes_GET_SIZE(b);
    return 0;
}

static int int64_from_py(PyObject *o, int64_t *out, const char *what) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        PyErr_Format(PyExc_ValueError, "%s %R does not fit a signed 64-bit integer", what, o);
        return -1;
    }
    if (v == -1 && PyErr_Occurred())
        return -1;
    *out = v;
    return 0;
}

int pyaw_value_from_py(PyObject *o, aw_value *out, pyaw_conv *c, int depth) {
    if (depth > PYAW_MAX_DEPTH) {
        PyErr_Format(PyExc_ValueError, "value nests lists and dicts deeper than %d levels",
                     PYAW_MAX_DEPTH);
        return -1;
    }
    if (o == Py_None) {
        *out = aw_value_nil();
    } else if (PyBool_Check(o)) {
        *out = aw_value_bool(o == Py_True);
    } else if (PyLong_Check(o)) {
        int64_t i;
        if (int64_from_py(o, &i, "integer") < 0)
            return -1;
        *out = aw_value_int(i);
    } else if (PyFloat_Check(o)) {
        *out = aw_value_float(PyFloat_AS_DOUBLE(o));
    } else if (PyUnicode_Check(o)) {
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(o, &len);
        if (!s || pyaw_keep(c, o) < 0)
            return -1;
        if (PyObject_TypeCheck(o, (PyTypeObject *)pyaw_GeoJSON)) {
            *out = aw_value_geojson(s);
            out->len = (uint32_t)len;
        } else {
            *out = aw_value_strn(s, (size_t)len);
        }
    } else if (PyBytes_Check(o) || PyByteArray_Check(o)) {
        const char *p;
        Py_ssize_t len;
        if (blob_bytes(o, c, &p, &len) < 0)
            return -1;
        *out = aw_value_blob(p, (size_t)len);
    } else if (PyList_Check(o)) {
        PyObject *items = kept(c, PySequence_Tuple(o));
        if (!items)
            return -1;
        Py_ssize_t n = PyTuple_GET_SIZE(items);
        aw_value *vals = pyaw_conv_alloc(c, (size_t)n * sizeof *vals);
        if (!vals)
            return -1;
        for (Py_ssize_t i = 0; i < n; i++)
            if (pyaw_value_from_py(PyTuple_GET_ITEM(items, i), &vals[i], c, depth + 1) < 0)
                return -1;
        *out = aw_value_list(vals, (size_t)n);
    } else if (PyDict_Check(o)) {
        PyObject *pairs = kept(c, PyDict_Items(o));
        if (!pairs)
            return -1;
        Py_ssize_t n = PyList_GET_SIZE(pairs);
        aw_value *kv = pyaw_conv_alloc(c, 2 * (size_t)n * sizeof *kv);
        if (!kv)
            return -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *pair = PyList_GET_ITEM(pairs, i);
            if (pyaw_value_from_py(PyTuple_GET_ITEM(pair, 0), &kv[2 * i], c, depth + 1) < 0 ||
                pyaw_value_from_py(PyTuple_GET_ITEM(pair, 1), &kv[2 * i + 1], c, depth + 1) < 0)
                return -1;
        }
        *out = aw_value_map(kv, (size_t)n);
    } else {
        PyErr_Format(PyExc_TypeError,
                     "unsupported value type %s (int, float, str, bytes, bytearray, bool, "
                     "None, list and dict are)",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    return 0;
}

int pyaw_bin_name(PyObject *name, const char **out) {
    if (!PyUnicode_Check(name)) {
        PyErr_Format(PyExc_TypeError, "bin name must be a str, not %s", Py_TYPE(name)->tp_name);
        return -1;
    }
    Py_ssize_t len;
    const char *s = utf8_name(name, &len, "bin name");
    if (!s)
        return -1;
    if (len == 0 || len > AW_BIN_NAME_MAX) {
        PyErr_Format(PyExc_ValueError, "bin name %R is %zd bytes (1 to %d allowed)", name, len,
                     AW_BIN_NAME_MAX);
        return -1;
    }
    *out = s;
    return 0;
}

int pyaw_bins_from_py(PyObject *dict, aw_bin **bins, size_t *n_bins, pyaw_conv *c) {
    if (!PyDict_Check(dict)) {
        PyErr_Format(PyExc_TypeError, "bins must be a dict, not %s", Py_TYPE(dict)->tp_name);
        return -1;
    }
    PyObject *pairs = kept(c, PyDict_Items(dict));
    if (!pairs)
        return -1;
    Py_ssize_t n = PyList_GET_SIZE(pairs);
    aw_bin *b = pyaw_conv_alloc(c, (size_t)n * sizeof *b);
    if (!b)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = PyList_GET_ITEM(pairs, i);
        if (pyaw_bin_name(PyTuple_GET_ITEM(pair, 0), &b[i].name) < 0 ||
            pyaw_value_from_py(PyTuple_GET_ITEM(pair, 1), &b[i].value, c, 1) < 0)
            return -1;
    }
    *bins = b;
    *n_bins = (size_t)n;
    return 0;
}

PyObject *pyaw_items_of(PyObject *seq, const char *what, pyaw_conv *c) {
    if (!PyList_Check(seq) && !PyTuple_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "%s must be a list or tuple of %s, not %s", what,
                     what[0] == 'b' ? "bin names" : "key tuples", Py_TYPE(seq)->tp_name);
        return NULL;
    }
    return kept(c, PySequence_Tuple(seq));
}

int pyaw_bin_names_from_py(PyObject *seq, const char ***names, size_t *n, pyaw_conv *c) {
    PyObject *items = pyaw_items_of(seq, "bins", c);
    if (!items)
        return -1;
    Py_ssize_t len = PyTuple_GET_SIZE(items);
    const char **out = pyaw_conv_alloc(c, (size_t)(len + 1) * sizeof *out);
    if (!out)
        return -1;
    for (Py_ssize_t i = 0; i < len; i++)
        if (pyaw_bin_name(PyTuple_GET_ITEM(items, i), &out[i]) < 0)
            return -1;
    *names = out;
    *n = (size_t)len;
    return 0;
}

/* Raises the ValueError for a key aerowire refused. */
static int key_error(const aw_error *err) {
    PyErr_Format(PyExc_ValueError, "invalid key: %s", err->message);
    return -1;
}

int pyaw_key_from_py(PyObject *t, aw_key *key, pyaw_conv *c) {
    Py_ssize_t n = PyTuple_Check(t) ? PyTuple_GET_SIZE(t) : 0;
    if (n != 3 && n != 4) {
        PyErr_Format(PyExc_TypeError,
                     "key must be a tuple (namespace, set, user_key) or "
                     "(namespace, set, None, digest), not %R", t);
        return -1;
    }
    PyObject *ns_o = PyTuple_GET_ITEM(t, 0), *set_o = PyTuple_GET_ITEM(t, 1);
    PyObject *uk = PyTuple_GET_ITEM(t, 2);
    if (!PyUnicode_Check(ns_o)) {
        PyErr_Format(PyExc_TypeError, "key namespace must be a str, not %s",
                     Py_TYPE(ns_o)->tp_name);
        return -1;
    }
    if (set_o != Py_None && !PyUnicode_Check(set_o)) {
        PyErr_Format(PyExc_TypeError, "key set must be a str or None, not %s",
                     Py_TYPE(set_o)->tp_name);
        return -1;
    }
    Py_ssize_t len;
    const char *ns = utf8_name(ns_o, &len, "namespace");
    const char *set = set_o == Py_None ? NULL : utf8_name(set_o, &len, "set");
    if (!ns || (set_o != Py_None && !set))
        return -1;
    aw_error err;
    int rc;
    if (uk == Py_None) {
        PyObject *d = n == 4 ? PyTuple_GET_ITEM(t, 3) : Py_None;
        if (!PyBytes_Check(d) && !PyByteArray_Check(d)) {
            PyErr_SetString(PyExc_TypeError,
                            "a key without a user key needs its digest: "
                            "(namespace, set, None, digest) with 20 bytes");
            return -1;
        }
        const char *p;
        if (blob_bytes(d, c, &p, &len) < 0)
            return -1;
        if (len != AW_DIGEST_SIZE) {
            PyErr_Format(PyExc_ValueError, "key digest is %zd bytes, not %d", len,
                         AW_DIGEST_SIZE);
            return -1;
        }
        rc = aw_key_init_digest(key, ns, set, (const uint8_t *)p, &err);
    } else if (PyLong_Check(uk) && !PyBool_Check(uk)) {
        int64_t i;
        if (int64_from_py(uk, &i, "user key") < 0)
            return -1;
        rc = aw_key_init_int(key, ns, set, i, &err);
    } else if (PyUnicode_Check(uk)) {
        const char *s = PyUnicode_AsUTF8AndSize(uk, &len);
        if (!s || pyaw_keep(c, uk) < 0)
            return -1;
        rc = aw_key_init_strn(key, ns, set, s, (size_t)len, &err);
    } else if (PyBytes_Check(uk) || PyByteArray_Check(uk)) {
        const char *p;
        if (blob_bytes(uk, c, &p, &len) < 0)
            return -1;
        rc = aw_key_init_blob(key, ns, set, p, (size_t)len, &err);
    } else {
        PyErr_Format(PyExc_TypeError, "user key must be an int, str, bytes or None, not %s",
                     Py_TYPE(uk)->tp_name);
        return -1;
    }
    return rc == AW_OK ? 0 : key_error(&err);
}

PyObject *pyaw_key_to_py(const aw_key *key, PyObject *given) {
    /* The user key as given (a bytearray as bytes), the digest as bytes.
     * The names are the given str objects when they are plain str (the
     * key was made from their text), else new ones. */
    PyObject *ns_o = PyTuple_GET_ITEM(given, 0), *set_o = PyTuple_GET_ITEM(given, 1);
    PyObject *uk = PyTuple_GET_ITEM(given, 2);
    PyObject *t = PyTuple_New(4);
    if (!t)
        return NULL;
    PyObject *ns = PyUnicode_CheckExact(ns_o) ? (Py_INCREF(ns_o), ns_o)
                                              : PyUnicode_FromString(key->ns);
    PyObject *set = !key->set[0]                ? (Py_INCREF(Py_None), Py_None)
                    : PyUnicode_CheckExact(set_o) ? (Py_INCREF(set_o), set_o)
                                                  : PyUnicode_FromString(key->set);
    PyObject *ukey = PyByteArray_Check(uk) ? PyBytes_FromObject(uk) : (Py_INCREF(uk), uk);
    PyObject *digest = PyBytes_FromStringAndSize((const char *)key->digest, AW_DIGEST_SIZE);
    PyTuple_SET_ITEM(t, 0, ns);
    PyTuple_SET_ITEM(t, 1, set);
    PyTuple_SET_ITEM(t, 2, ukey);
    PyTuple_SET_ITEM(t, 3, digest);
    if (!ns || !set || !ukey || !digest)
        Py_CLEAR(t); /* frees what was made */
    return t;
}

/* Bin names become str objects for every record read; a small cache keeps
 * the last few so that a record's dict gets the same (hashed) objects
 * instead of new ones. Guarded by the GIL. */
#define NAME_CACHE_SIZE 64
static struct {
    char name[AW_BIN_NAME_MAX + 1];
    PyObject *str;
} name_cache[NAME_CACHE_SIZE];

PyObject *pyaw_bin_name_to_py(const char *name) {
    size_t len = strnlen(name, AW_BIN_NAME_MAX + 1);
    if (len > AW_BIN_NAME_MAX)
        return PyUnicode_FromString(name);
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    unsigned slot = h % NAME_CACHE_SIZE;
    if (name_cache[slot].str && memcmp(name_cache[slot].name, name, len + 1) == 0) {
        Py_INCREF(name_cache[slot].str);
        return name_cache[slot].str;
    }
    PyObject *s = PyUnicode_DecodeUTF8(name, (Py_ssize_t)len, NULL);
    if (!s)
        return NULL;
    Py_XSETREF(name_cache[slot].str, (Py_INCREF(s), s));
    memcpy(name_cache[slot].name, name, len + 1);
    return s;
}

PyObject *pyaw_value_to_py(const aw_value *v, int depth) {
    if (depth > PYAW_MAX_DEPTH)
        return PyErr_Format(PyExc_ValueError, "reply nests deeper than %d levels", PYAW_MAX_DEPTH);
    switch (v->type) {
    case AW_NIL:
        Py_RETURN_NONE;
    case AW_INT:
        return PyLong_FromLongLong(v->u.i);
    case AW_FLOAT:
        return PyFloat_FromDouble(v->u.f);
    case AW_BOOL:
        return PyBool_FromLong(v->u.b);
    case AW_STR:
        return PyUnicode_DecodeUTF8(v->u.str, v->len, "surrogateescape");
    case AW_GEOJSON:
        return PyObject_CallFunction(pyaw_GeoJSON, "s#", v->u.str, (Py_ssize_t)v->len);
    case AW_BLOB:
        return PyBytes_FromStringAndSize((const char *)v->u.bytes, v->len);
    case AW_LIST: {
        PyObject *l = PyList_New(v->len);
        for (uint32_t i = 0; l && i < v->len; i++) {
            PyObject *item = pyaw_value_to_py(&v->u.items[i], depth + 1);
            if (!item) {
                Py_CLEAR(l);
                break;
            }
            PyList_SET_ITEM(l, i, item);
        }
        return l;
    }
    case AW_MAP: {
        PyObject *d = PyDict_New();
        for (uint32_t i = 0; d && i < v->len; i++) {
            PyObject *k = pyaw_value_to_py(&v->u.items[2 * i], depth + 1);
            PyObject *val = k ? pyaw_value_to_py(&v->u.items[2 * i + 1], depth + 1) : NULL;
            if (!val || PyDict_SetItem(d, k, val) < 0)
                Py_CLEAR(d);
            Py_XDECREF(k);
            Py_XDECREF(val);
        }
        return d;
    }
    default:
        return PyErr_Format(PyExc_ValueError, "reply holds a value of unknown type %d", v->type);
    }
}

PyObject *pyaw_named_tuple(PyObject *cls, PyObject *const *items, Py_ssize_t n) {
    PyTypeObject *t = (PyTypeObject *)cls;
    PyObject *o = NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!items[i])
            goto fail;
    if (!(o = t->tp_alloc(t, n)))
        goto fail;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(o, i, items[i]);
    return o;
fail:
    for (Py_ssize_t i = 0; i < n; i++)
        Py_XDECREF(items[i]);
    return NULL;
}

PyObject *pyaw_meta_to_py(const aw_record *rec) {
    PyObject *items[2] = {PyLong_FromUnsignedLong((unsigned long)rec->gen),
                          PyLong_FromUnsignedLong((unsigned long)rec->ttl)};
    return pyaw_named_tuple(pyaw_Meta, items, 2);
}

PyObject *pyaw_record3(PyObject *key, PyObject *meta, PyObject *bins) {
    PyObject *items[3] = {key, meta, bins};
    return pyaw_named_tuple(pyaw_Record, items, 3);
}

PyObject *pyaw_record_to_py(const aw_record *rec, const aw_key *key, PyObject *given) {
    PyObject *bins = PyDict_New();
    for (uint32_t i = 0; bins && i < rec->n_bins; i++) {
        PyObject *v = pyaw_value_to_py(&rec->bins[i].value, 1);
        PyObject *name = v ? pyaw_bin_name_to_py(rec->bins[i].name) : NULL;
        if (!name || PyDict_SetItem(bins, name, v) < 0)
            Py_CLEAR(bins);
        Py_XDECREF(name);
        Py_XDECREF(v);
    }
    PyObject *k = bins ? pyaw_key_to_py(key, given) : NULL;
    PyObject *meta = k ? pyaw_meta_to_py(rec) : NULL;
    return pyaw_record3(k, meta, bins);
}
