/*
 * Policy dicts with the official Aerospike Python client's key names (and
 * its constants' values) into aw_policy. A key that does not apply to the
 * command, or that aerowire does not know, is a ValueError naming it: a
 * misspelt policy must not be silently ignored.
 */
#include "pyaw.h"
#include "pyaw_ops.h"

#include <string.h>

typedef enum field {
    F_TOTAL_TIMEOUT,
    F_SOCKET_TIMEOUT,
    F_MAX_RETRIES,
    F_SLEEP_BETWEEN_RETRIES,
    F_KEY,
    F_REPLICA,
    F_READ_MODE_AP,
    F_EXISTS,
    F_GEN,
    F_GENERATION,
    F_TTL,
    F_COMMIT_LEVEL,
    F_DURABLE_DELETE,
    F_EXPRESSIONS,
} field;

typedef struct field_name {
    const char *name;
    field f;
    int write_only;
} field_name;

static const field_name FIELDS[] = {
    {"total_timeout", F_TOTAL_TIMEOUT, 0},
    {"socket_timeout", F_SOCKET_TIMEOUT, 0},
    {"max_retries", F_MAX_RETRIES, 0},
    {"sleep_between_retries", F_SLEEP_BETWEEN_RETRIES, 0},
    {"key", F_KEY, 0},
    {"replica", F_REPLICA, 0},
    {"read_mode_ap", F_READ_MODE_AP, 0},
    {"exists", F_EXISTS, 1},
    {"gen", F_GEN, 1},
    {"generation", F_GENERATION, 1},
    {"ttl", F_TTL, 1},
    {"commit_level", F_COMMIT_LEVEL, 1},
    {"durable_delete", F_DURABLE_DELETE, 1},
    {"expressions", F_EXPRESSIONS, 0},
};
#define N_FIELDS (sizeof FIELDS / sizeof FIELDS[0])

/* An int in lo..hi, or a ValueError naming the key. */
static int int_in(PyObject *v, const char *name, long long lo, long long hi, long long *out) {
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError, "policy %s must be an int, not %s", name,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (overflow || x < lo || x > hi) {
        PyErr_Format(PyExc_ValueError, "policy %s is %R (%lld to %lld allowed)", name, v, lo,
                     hi);
        return -1;
    }
    *out = x;
    return 0;
}

int pyaw_policy_int(PyObject *v, const char *name, long long lo, long long hi, long long *out) {
    return int_in(v, name, lo, hi, out);
}

int pyaw_ttl_apply(PyObject *ttl, aw_policy *p) {
    long long x;
    if (int_in(ttl, "ttl", -3, 0xFFFFFFFDll, &x) < 0)
        return -1;
    if (x == -1)
        p->ttl = AW_TTL_NEVER_EXPIRE;
    else if (x == -2)
        p->ttl = AW_TTL_DONT_UPDATE;
    else if (x >= 0)
        p->ttl = (uint32_t)x;
    /* -3: the policy's own TTL stays. */
    return 0;
}

/* The official client's POLICY_EXISTS_* values in aerowire's terms. */
static const aw_exists_policy EXISTS_MAP[] = {
    AW_EXISTS_UPDATE,       /* IGNORE */
    AW_EXISTS_CREATE_ONLY,  /* CREATE */
    AW_EXISTS_UPDATE_ONLY,  /* UPDATE */
    AW_EXISTS_REPLACE_ONLY, /* REPLACE */
    AW_EXISTS_REPLACE,      /* CREATE_OR_REPLACE */
};

/* The filter: an aerowire.exp.Expression, kept alive by c (None: none).
 * Policies converted without a conversion (the config's defaults) take
 * none: nothing would keep the expression alive. */
static int filter_apply(PyObject *v, aw_policy *p, pyaw_conv *c) {
    if (v == Py_None) {
        p->filter = NULL;
        return 0;
    }
    if (!c) {
        PyErr_SetString(PyExc_ValueError,
                        "policy expressions are taken by a command's policy, not by defaults");
        return -1;
    }
    return pyaw_exp_from_py(v, &p->filter, c, "policy expressions");
}

static int apply(field f, const char *name, PyObject *v, aw_policy *p, pyaw_conv *c) {
    long long x;
    const long long U32 = 0xFFFFFFFFll;
    if (f == F_EXPRESSIONS)
        return filter_apply(v, p, c);
    if (f == F_TTL)
        return pyaw_ttl_apply(v, p);
    if (f == F_DURABLE_DELETE) {
        int b = PyObject_IsTrue(v);
        if (b < 0)
            return -1;
        p->durable_delete = b;
        return 0;
    }
    long long hi = f == F_KEY || f == F_READ_MODE_AP || f == F_COMMIT_LEVEL ? 1
                   : f == F_REPLICA || f == F_GEN                          ? 2
                   : f == F_EXISTS                                         ? 4
                                                                           : U32;
    if (int_in(v, name, 0, hi, &x) < 0)
        return -1;
    switch (f) {
    case F_TOTAL_TIMEOUT: p->total_timeout_ms = (uint32_t)x; break;
    case F_SOCKET_TIMEOUT: p->socket_timeout_ms = (uint32_t)x; break;
    case F_MAX_RETRIES: p->max_retries = (uint32_t)x; break;
    case F_SLEEP_BETWEEN_RETRIES: p->sleep_between_retries_ms = (uint32_t)x; break;
    case F_KEY: p->send_key = x == 1; break;
    case F_REPLICA: p->replica = (aw_replica_policy)x; break;
    case F_READ_MODE_AP: p->read_mode_ap_all = x == 1; break;
    case F_EXISTS: p->exists = EXISTS_MAP[x]; break;
    case F_GEN: p->gen = (aw_gen_policy)x; break;
    case F_GENERATION: p->generation = (uint32_t)x; break;
    case F_COMMIT_LEVEL: p->commit_level = (aw_commit_level)x; break;
    default: break;
    }
    return 0;
}

static const field_name *find(const char *name, enum pyaw_policy_kind kind) {
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strcmp(FIELDS[i].name, name) == 0)
            return FIELDS[i].write_only && kind == PYAW_POLICY_READ ? NULL : &FIELDS[i];
    return NULL;
}

/* A ValueError listing every key of dict that `known` refuses. */
static int unknown_keys(PyObject *dict, const char *what, enum pyaw_policy_kind kind) {
    PyObject *bad = PyList_New(0);
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (bad && PyDict_Next(dict, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if ((!name || !find(name, kind)) && PyList_Append(bad, k) < 0)
            Py_CLEAR(bad);
    }
    PyErr_Clear();
    if (bad && PyList_GET_SIZE(bad) > 0)
        PyErr_Format(PyExc_ValueError, "unknown %s policy key(s) %R", what, bad);
    Py_XDECREF(bad);
    return PyErr_Occurred() ? -1 : 0;
}

int pyaw_policy_from_py(PyObject *dict, const aw_policy *base, enum pyaw_policy_kind kind,
                        aw_policy *out) {
    return pyaw_cmd_policy_from_py(dict, base, kind, out, NULL);
}

int pyaw_cmd_policy_from_py(PyObject *dict, const aw_policy *base, enum pyaw_policy_kind kind,
                            aw_policy *out, pyaw_conv *c) {
    *out = *base;
    if (!dict || dict == Py_None)
        return 0;
    if (!PyDict_Check(dict)) {
        PyErr_Format(PyExc_TypeError, "policy must be a dict, not %s", Py_TYPE(dict)->tp_name);
        return -1;
    }
    const char *what = kind == PYAW_POLICY_READ ? "read" : "write";
    if (unknown_keys(dict, what, kind) < 0)
        return -1;
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(dict, &pos, &k, &v)) {
        const char *name = PyUnicode_AsUTF8(k);
        if (apply(find(name, kind)->f, name, v, out, c) < 0)
            return -1;
    }
    return 0;
}

int pyaw_meta_apply(PyObject *meta, aw_policy *p) {
    if (!meta || meta == Py_None)
        return 0;
    if (!PyDict_Check(meta)) {
        PyErr_Format(PyExc_TypeError, "meta must be a dict, not %s", Py_TYPE(meta)->tp_name);
        return -1;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(meta, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if (name && strcmp(name, "ttl") == 0) {
            if (pyaw_ttl_apply(v, p) < 0)
                return -1;
        } else if (name && strcmp(name, "gen") == 0) {
            if (apply(F_GENERATION, "gen", v, p, NULL) < 0)
                return -1;
        } else {
            PyErr_Format(PyExc_ValueError, "unknown meta key %R (ttl and gen are known)", k);
            return -1;
        }
    }
    return 0;
}
