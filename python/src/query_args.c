/*
 * A scan or query statement and its policy from Python: the predicate
 * tuples aerowire.predicates builds into aw_index_filter, and the query
 * policy keys (the official Python client's names) into aw_query_policy.
 */
#include "pyaw_query.h"

#include <string.h>

/* ---- predicates ---- */

static int64_t int_arg(PyObject *v, const char *what, int *bad) {
    if (!PyLong_Check(v) || PyBool_Check(v)) {
        PyErr_Format(PyExc_TypeError, "predicate %s must be an int, not %s", what,
                     Py_TYPE(v)->tp_name);
        *bad = 1;
        return 0;
    }
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow) {
        PyErr_Format(PyExc_ValueError, "predicate %s %R does not fit a signed 64-bit integer",
                     what, v);
        *bad = 1;
    } else if (x == -1 && PyErr_Occurred()) {
        *bad = 1;
    }
    return x;
}

static double float_arg(PyObject *v, const char *what, int *bad) {
    if (!PyLong_Check(v) && !PyFloat_Check(v)) {
        PyErr_Format(PyExc_TypeError, "predicate %s must be a number, not %s", what,
                     Py_TYPE(v)->tp_name);
        *bad = 1;
        return 0;
    }
    double x = PyFloat_AsDouble(v);
    if (x == -1.0 && PyErr_Occurred())
        *bad = 1;
    return x;
}

/* An equality or contains value: int, str or bytes into f (kind, begin/end
 * or bytes). */
static int scalar_into(PyObject *v, aw_index_filter *f, pyaw_conv *c) {
    int bad = 0;
    if (PyLong_Check(v) && !PyBool_Check(v)) {
        f->kind = AW_FILTER_INT_RANGE;
        f->begin = f->end = int_arg(v, "value", &bad);
        return bad ? -1 : 0;
    }
    if (PyUnicode_Check(v) || PyBytes_Check(v)) {
        Py_ssize_t len;
        const char *p = PyUnicode_Check(v) ? PyUnicode_AsUTF8AndSize(v, &len)
                                           : (len = PyBytes_GET_SIZE(v), PyBytes_AS_STRING(v));
        if (!p || pyaw_keep(c, v) < 0)
            return -1;
        f->kind = PyUnicode_Check(v) ? AW_FILTER_STR_EQUAL : AW_FILTER_BLOB_EQUAL;
        f->bytes = p;
        f->len = (size_t)len;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "predicate value must be an int, str or bytes, not %s",
                 Py_TYPE(v)->tp_name);
    return -1;
}

/* GeoJSON text (a str) into f->bytes. */
static int geojson_into(PyObject *v, aw_index_filter *f, pyaw_conv *c) {
    Py_ssize_t len;
    const char *p = PyUnicode_Check(v) ? PyUnicode_AsUTF8AndSize(v, &len) : NULL;
    if (!p) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "predicate GeoJSON must be a str, not %s",
                         Py_TYPE(v)->tp_name);
        return -1;
    }
    if (pyaw_keep(c, v) < 0)
        return -1;
    f->bytes = p;
    f->len = (size_t)len;
    return 0;
}

/* (kind, bin, index_type, args tuple), as aerowire.predicates makes it. */
static int predicate_from_py(PyObject *p, aw_index_filter *f, pyaw_conv *c) {
    const char *kind;
    PyObject *bin_o, *args;
    int collection;
    if (!PyTuple_Check(p) || !PyArg_ParseTuple(p, "sOiO!", &kind, &bin_o, &collection,
                                               &PyTuple_Type, &args)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "where() takes a predicate of aerowire.predicates, not %R", p);
        return -1;
    }
    memset(f, 0, sizeof *f);
    const char **names;
    size_t n_names;
    PyObject *one = PyTuple_Pack(1, bin_o);
    int rc = one ? pyaw_bin_names_from_py(one, &names, &n_names, c) : -1;
    Py_XDECREF(one);
    if (rc < 0)
        return -1;
    f->bin = names[0];
    if (collection < AW_INDEX_DEFAULT || collection > AW_INDEX_MAPVALUES) {
        PyErr_Format(PyExc_ValueError,
                     "predicate index type %d is not INDEX_TYPE_DEFAULT, _LIST, _MAPKEYS or "
                     "_MAPVALUES", collection);
        return -1;
    }
    f->collection = (aw_index_collection)collection;
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    PyObject *a0 = n > 0 ? PyTuple_GET_ITEM(args, 0) : NULL;
    PyObject *a1 = n > 1 ? PyTuple_GET_ITEM(args, 1) : NULL;
    PyObject *a2 = n > 2 ? PyTuple_GET_ITEM(args, 2) : NULL;
    int bad = 0;
    if (strcmp(kind, "equals") == 0 && n == 1) {
        return scalar_into(a0, f, c);
    } else if (strcmp(kind, "range") == 0 && n == 2) {
        f->kind = AW_FILTER_INT_RANGE;
        f->begin = int_arg(a0, "min", &bad);
        f->end = bad ? 0 : int_arg(a1, "max", &bad);
        if (!bad && f->begin > f->end) {
            PyErr_Format(PyExc_ValueError, "predicate range %lld..%lld is empty",
                         (long long)f->begin, (long long)f->end);
            return -1;
        }
        return bad ? -1 : 0;
    } else if (strcmp(kind, "geo_within") == 0 && n == 1) {
        f->kind = AW_FILTER_GEO_WITHIN;
        return geojson_into(a0, f, c);
    } else if (strcmp(kind, "geo_contains") == 0 && n == 1) {
        f->kind = AW_FILTER_GEO_CONTAINS;
        return geojson_into(a0, f, c);
    } else if (strcmp(kind, "geo_within_radius") == 0 && n == 3) {
        f->kind = AW_FILTER_GEO_WITHIN_RADIUS;
        f->lng = float_arg(a0, "longitude", &bad);
        f->lat = bad ? 0 : float_arg(a1, "latitude", &bad);
        f->radius_m = bad ? 0 : float_arg(a2, "radius", &bad);
        if (!bad && !(f->radius_m >= 0)) {
            PyErr_Format(PyExc_ValueError, "predicate radius %R must be >= 0 metres", a2);
            return -1;
        }
        return bad ? -1 : 0;
    }
    PyErr_Format(PyExc_ValueError, "unknown predicate %R", p);
    return -1;
}

/* ---- policy ---- */

/* expressions / filter_exp: an expression in aerowire's text syntax (a str,
 * e.g. "$.a > 5": docs/expressions.md), or compiled (anything bytes()
 * takes: bytes, an aerowire.exp Expression), which aerowire reads back
 * through its base64 form. */
static int filter_exp(PyObject *v, const char *name, aw_exp **out) {
    aw_error err;
    if (PyUnicode_Check(v)) {
        const char *s = PyUnicode_AsUTF8(v);
        if (!s)
            return -1;
        if (aw_exp_parse(s, out, &err) != AW_OK) {
            PyErr_Format(PyExc_ValueError, "query policy %s %R: %s", name, v, err.message);
            return -1;
        }
        return 0;
    }
    /* bytes(5) would be five zero bytes: a number is no expression. */
    PyObject *raw = PyLong_Check(v) || PyFloat_Check(v) ? NULL : PyObject_Bytes(v);
    if (!raw) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "query policy %s must be a str (text syntax) or a "
                     "compiled expression, not %s", name, Py_TYPE(v)->tp_name);
        return -1;
    }
    PyObject *mod = PyImport_ImportModule("binascii");
    PyObject *fn = mod ? PyObject_GetAttrString(mod, "b2a_base64") : NULL;
    PyObject *pos = PyTuple_Pack(1, raw);
    PyObject *kw = Py_BuildValue("{s:O}", "newline", Py_False);
    PyObject *b64 = fn && pos && kw ? PyObject_Call(fn, pos, kw) : NULL;
    Py_XDECREF(mod);
    Py_XDECREF(fn);
    Py_XDECREF(pos);
    Py_XDECREF(kw);
    Py_DECREF(raw);
    if (!b64)
        return -1;
    int rc = 0;
    if (aw_exp_from_base64(PyBytes_AS_STRING(b64), out, &err) != AW_OK) {
        PyErr_Format(PyExc_ValueError, "query policy %s: %s", name, err.message);
        rc = -1;
    }
    Py_DECREF(b64);
    return rc;
}

enum qfield {
    Q_TOTAL_TIMEOUT, Q_SOCKET_TIMEOUT, Q_MAX_RETRIES, Q_SLEEP_BETWEEN_RETRIES, Q_MAX_RECORDS,
    Q_RECORDS_PER_SECOND, Q_INCLUDE_BIN_DATA, Q_SHORT_QUERY, Q_EXPECTED_DURATION,
    Q_MAX_CONCURRENT_NODES, Q_FILTER_EXP,
};

static const struct {
    const char *name;
    enum qfield f;
} QFIELDS[] = {
    {"total_timeout", Q_TOTAL_TIMEOUT},
    {"socket_timeout", Q_SOCKET_TIMEOUT},
    {"max_retries", Q_MAX_RETRIES},
    {"sleep_between_retries", Q_SLEEP_BETWEEN_RETRIES},
    {"max_records", Q_MAX_RECORDS},
    {"records_per_second", Q_RECORDS_PER_SECOND},
    {"include_bin_data", Q_INCLUDE_BIN_DATA},
    {"short_query", Q_SHORT_QUERY},
    {"expected_duration", Q_EXPECTED_DURATION},
    {"max_concurrent_nodes", Q_MAX_CONCURRENT_NODES},
    {"expressions", Q_FILTER_EXP},
    {"filter_exp", Q_FILTER_EXP},
};
#define N_QFIELDS (sizeof QFIELDS / sizeof QFIELDS[0])

static int apply_query_key(enum qfield f, const char *name, PyObject *v, pyaw_query_args *a) {
    aw_query_policy *p = &a->pol;
    long long x;
    const long long U32 = 0xFFFFFFFFll;
    if (f == Q_FILTER_EXP) {
        aw_exp_free(a->filter);
        a->filter = NULL;
        if (v == Py_None)
            return 0;
        if (filter_exp(v, name, &a->filter) < 0)
            return -1;
        p->base.filter = a->filter;
        return 0;
    }
    if (f == Q_INCLUDE_BIN_DATA || f == Q_SHORT_QUERY) {
        int b = PyObject_IsTrue(v);
        if (b < 0)
            return -1;
        if (f == Q_INCLUDE_BIN_DATA)
            p->include_bin_data = b;
        else
            p->expected_duration = b ? AW_QUERY_SHORT : AW_QUERY_LONG;
        return 0;
    }
    long long hi = f == Q_MAX_RECORDS ? INT64_MAX : f == Q_EXPECTED_DURATION ? 2 : U32;
    if (pyaw_policy_int(v, name, 0, hi, &x) < 0)
        return -1;
    switch (f) {
    case Q_TOTAL_TIMEOUT: p->base.total_timeout_ms = (uint32_t)x; break;
    case Q_SOCKET_TIMEOUT: p->base.socket_timeout_ms = (uint32_t)x; break;
    case Q_MAX_RETRIES: p->base.max_retries = (uint32_t)x; break;
    case Q_SLEEP_BETWEEN_RETRIES: p->base.sleep_between_retries_ms = (uint32_t)x; break;
    case Q_MAX_RECORDS: p->max_records = (uint64_t)x; break;
    case Q_RECORDS_PER_SECOND: p->records_per_second = (uint32_t)x; break;
    case Q_EXPECTED_DURATION: p->expected_duration = (aw_query_duration)x; break;
    case Q_MAX_CONCURRENT_NODES: p->max_concurrent_nodes = (uint32_t)x; break;
    default: break;
    }
    return 0;
}

static int query_policy(PyObject *dict, pyaw_query_args *a, PyObject **extra) {
    a->pol = aw_query_policy_default();
    if (!dict || dict == Py_None)
        return extra ? ((*extra = PyDict_New()) ? 0 : -1) : 0;
    if (!PyDict_Check(dict)) {
        PyErr_Format(PyExc_TypeError, "policy must be a dict, not %s", Py_TYPE(dict)->tp_name);
        return -1;
    }
    PyObject *rest = PyDict_New(), *k, *v;
    Py_ssize_t pos = 0;
    while (rest && PyDict_Next(dict, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        size_t i = 0;
        while (name && i < N_QFIELDS && strcmp(QFIELDS[i].name, name) != 0)
            i++;
        if (name && i < N_QFIELDS) {
            if (apply_query_key(QFIELDS[i].f, name, v, a) < 0)
                Py_CLEAR(rest);
        } else if (PyDict_SetItem(rest, k, v) < 0) {
            Py_CLEAR(rest);
        }
    }
    if (!rest)
        return -1;
    if (extra) {
        *extra = rest;
        return 0;
    }
    if (PyDict_GET_SIZE(rest) > 0) {
        PyObject *keys = PyDict_Keys(rest);
        if (keys)
            PyErr_Format(PyExc_ValueError, "unknown query policy key(s) %R", keys);
        Py_XDECREF(keys);
        Py_DECREF(rest);
        return -1;
    }
    Py_DECREF(rest);
    return 0;
}

/* ---- the statement ---- */

static const char *name_arg(PyObject *o, const char *what, pyaw_conv *c) {
    Py_ssize_t len;
    const char *s = PyUnicode_Check(o) ? PyUnicode_AsUTF8AndSize(o, &len) : NULL;
    if (!s) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s must be a str, not %s", what, Py_TYPE(o)->tp_name);
        return NULL;
    }
    if ((Py_ssize_t)strlen(s) != len) {
        PyErr_Format(PyExc_ValueError, "%s %R contains a NUL character", what, o);
        return NULL;
    }
    return pyaw_keep(c, o) < 0 ? NULL : s;
}

int pyaw_query_args_init(pyaw_query_args *a, PyObject *spec, PyObject *policy, PyObject **extra) {
    memset(a, 0, sizeof *a);
    if (pyaw_conv_init(&a->conv) < 0)
        return -1;
    PyObject *ns_o, *set_o, *bins_o, *pred_o;
    if (!PyArg_ParseTuple(spec, "OOOO:query", &ns_o, &set_o, &bins_o, &pred_o))
        goto fail;
    if (!(a->q.ns = name_arg(ns_o, "namespace", &a->conv)))
        goto fail;
    if (set_o != Py_None && !(a->q.set = name_arg(set_o, "set", &a->conv)))
        goto fail;
    if (bins_o != Py_None) {
        const char **names;
        if (pyaw_bin_names_from_py(bins_o, &names, &a->q.n_bins, &a->conv) < 0)
            goto fail;
        a->q.bins = names;
    }
    if (pred_o != Py_None) {
        if (predicate_from_py(pred_o, &a->where, &a->conv) < 0)
            goto fail;
        a->q.where = &a->where;
    }
    if (query_policy(policy, a, extra) < 0)
        goto fail;
    /* select() with no bin names: metadata and keys only. */
    if (a->q.bins && a->q.n_bins == 0)
        a->pol.include_bin_data = false;
    return 0;
fail:
    pyaw_query_args_free(a);
    return -1;
}

void pyaw_query_args_free(pyaw_query_args *a) {
    aw_exp_free(a->filter);
    a->filter = NULL;
    pyaw_conv_free(&a->conv);
}

PyObject *pyaw_scanned_record(const aw_key *key, const aw_record *rec) {
    /* pyaw_record_to_py takes the user key from a "given" key tuple: here
     * the one the server sent (None when it was not stored). */
    PyObject *uk = key->user_key.type == AW_NIL ? (Py_INCREF(Py_None), Py_None)
                                                : pyaw_value_to_py(&key->user_key, 0);
    PyObject *given = uk ? PyTuple_Pack(3, Py_None, Py_None, uk) : NULL;
    Py_XDECREF(uk);
    PyObject *r = given ? pyaw_record_to_py(rec, key, given) : NULL;
    Py_XDECREF(given);
    return r;
}
