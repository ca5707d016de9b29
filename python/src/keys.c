/*
 * A batch's list of key tuples into aw_keys.
 *
 * Most batches name one namespace and set, usually the very same str
 * objects in every tuple. A str is immutable, so a key whose namespace and
 * set are the objects of a key already converted in this list has names
 * that were checked then: it copies that key's names and converts only its
 * user key. Anything else (new names, a digest key, a bytearray, a value
 * out of range) takes pyaw_key_from_py, which checks everything and raises
 * the error naming what is wrong.
 */
#include "pyaw.h"

#include <stdbool.h>
#include <string.h>

/* The names of the last key converted the full way: as objects, and as
 * the key holds them. */
typedef struct names_seen {
    PyObject *ns, *set; /* borrowed: the list's tuples hold them */
    /* The key's names zero-padded to the arrays' size, copied whole into
     * each key (a fixed-size copy is a few vector moves, not a call). */
    char ns_pad[AW_NAMESPACE_MAX + 1];
    char set_pad[AW_SET_MAX + 1];
} names_seen;

/* The user key of a (ns, set, user_key) tuple whose names are `seen`'s:
 * 1 converted into *key (all but its digest), 0 when it needs the full
 * conversion. A str or bytes user key is borrowed (*borrowed set): the
 * tuple must outlive the key. */
static int key_with_seen_names(PyObject *t, aw_key *key, const names_seen *seen,
                               bool *borrowed) {
    if (!PyTuple_CheckExact(t) || PyTuple_GET_SIZE(t) != 3 ||
        PyTuple_GET_ITEM(t, 0) != seen->ns || PyTuple_GET_ITEM(t, 1) != seen->set)
        return 0;
    PyObject *uk = PyTuple_GET_ITEM(t, 2);
    if (PyLong_CheckExact(uk)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(uk, &overflow);
        if (overflow || (v == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return 0;
        }
        key->user_key = aw_value_int(v);
    } else if (PyUnicode_CheckExact(uk)) {
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(uk, &len);
        if (!s || len > AW_VALUE_MAX_LEN) {
            PyErr_Clear();
            return 0;
        }
        key->user_key = aw_value_strn(s, (size_t)len);
        *borrowed = true;
    } else if (PyBytes_CheckExact(uk)) {
        if (PyBytes_GET_SIZE(uk) > AW_VALUE_MAX_LEN)
            return 0;
        key->user_key = aw_value_blob(PyBytes_AS_STRING(uk), (size_t)PyBytes_GET_SIZE(uk));
        *borrowed = true;
    } else {
        return 0;
    }
    memcpy(key->ns, seen->ns_pad, sizeof key->ns);
    memcpy(key->set, seen->set_pad, sizeof key->set);
    return 1; /* its digest comes with the others' (keys_fill) */
}

/* Keys converted before their digests are computed: enough for the lanes
 * to run full, few enough (18 KB) that the digests find the keys still in
 * the first-level cache, instead of a second walk over the whole array. */
#define DIGEST_CHUNK 128

/* items[0..len) into out; *borrowed when a key borrows from its tuple (the
 * full conversion keeps what it borrows in c itself). Runs no Python code,
 * so a list being converted cannot change under it. */
static int keys_fill(PyObject *const *items, Py_ssize_t len, aw_key *out, pyaw_conv *c,
                     bool *borrowed) {
    names_seen seen;
    seen.ns = NULL;
    Py_ssize_t undigested = 0; /* out[undigested..i) wait for their digests */
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *t = items[i];
        if (!(seen.ns && key_with_seen_names(t, &out[i], &seen, borrowed))) {
            if (pyaw_key_from_py(t, &out[i], c) < 0)
                return -1;
            seen.ns = PyTuple_GET_ITEM(t, 0);
            seen.set = PyTuple_GET_ITEM(t, 1);
            memset(seen.ns_pad, 0, sizeof seen.ns_pad);
            memset(seen.set_pad, 0, sizeof seen.set_pad);
            memcpy(seen.ns_pad, out[i].ns, strlen(out[i].ns));
            memcpy(seen.set_pad, out[i].set, strlen(out[i].set));
        }
        /* The digests sixteen at a time (the keys converted the full way
         * already have theirs; computing them again costs little). */
        if (i + 1 - undigested == DIGEST_CHUNK || i + 1 == len) {
            aw_error err;
            if (aw_keys_digest(out + undigested, (size_t)(i + 1 - undigested), &err) != AW_OK) {
                PyErr_Format(PyExc_ValueError, "invalid key: %s", err.message);
                return -1;
            }
            undigested = i + 1;
        }
    }
    return 0;
}

/* One key array kept from one batch to the next, taken and given back with
 * the GIL held. A 10,000-key batch's array is 1.4 MB: made new for every
 * call it comes as fresh pages from the system (glibc gives a freed heap
 * top back), and faulting them in cost more than the batch's client work
 * beyond C's. Arrays over SPARE_MAX_BYTES are not kept. */
#define SPARE_MAX_BYTES ((size_t)16 << 20)
static aw_key *spare;
static size_t spare_cap;

aw_key *pyaw_keys_alloc(pyaw_conv *c, size_t n) {
    if (c->keys) {
        PyErr_SetString(PyExc_SystemError, "aerowire: a second key array in one conversion");
        return NULL;
    }
    if (spare && spare_cap >= n) {
        c->keys = spare;
        c->keys_cap = spare_cap;
        spare = NULL;
        return c->keys;
    }
    c->keys = PyMem_Malloc((n ? n : 1) * sizeof *c->keys);
    if (!c->keys)
        return (aw_key *)PyErr_NoMemory();
    c->keys_cap = n;
    return c->keys;
}

void pyaw_keys_release(pyaw_conv *c) {
    aw_key *keys = c->keys;
    size_t cap = c->keys_cap;
    c->keys = NULL;
    if (keys && cap * sizeof *keys <= SPARE_MAX_BYTES && (!spare || spare_cap < cap)) {
        PyMem_Free(spare);
        spare = keys;
        spare_cap = cap;
    } else {
        PyMem_Free(keys);
    }
}

int64_t *pyaw_ids_alloc(pyaw_conv *c, size_t n) {
    /* In the memory of the key array a batch keeps for the next one: the
     * ids of a batch that needs no keys take far less than its keys would. */
    size_t n_keys = (n * sizeof(int64_t) + sizeof(aw_key) - 1) / sizeof(aw_key);
    return (int64_t *)pyaw_keys_alloc(c, n_keys);
}

int pyaw_ids_from_py(PyObject *seq, int64_t **ids, size_t *n, char ns[AW_NAMESPACE_MAX + 1],
                     char set[AW_SET_MAX + 1], pyaw_conv *c) {
    if (!PyList_Check(seq) && !PyTuple_Check(seq))
        return 0;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    PyObject *const *items = PySequence_Fast_ITEMS(seq);
    if (len == 0 || !PyTuple_CheckExact(items[0]) || PyTuple_GET_SIZE(items[0]) != 3)
        return 0;
    PyObject *ns_o = PyTuple_GET_ITEM(items[0], 0), *set_o = PyTuple_GET_ITEM(items[0], 1);
    if (!PyLong_CheckExact(PyTuple_GET_ITEM(items[0], 2)))
        return 0;
    aw_key first; /* the first key the full way: its names are checked there */
    if (pyaw_key_from_py(items[0], &first, c) < 0)
        return -1;
    int64_t *out = pyaw_ids_alloc(c, (size_t)len);
    if (!out)
        return -1;
    /* Every key of the first one's namespace and set objects, an int64
     * user key; at the first that is not, the keys' way takes the list
     * (and names what is wrong with it, if anything). */
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *t = items[i];
        int overflow = 0;
        long long v;
        if (!PyTuple_CheckExact(t) || PyTuple_GET_SIZE(t) != 3 ||
            PyTuple_GET_ITEM(t, 0) != ns_o || PyTuple_GET_ITEM(t, 1) != set_o ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(t, 2)) ||
            ((v = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(t, 2), &overflow)) == -1 &&
             PyErr_Occurred()) ||
            overflow) {
            PyErr_Clear();
            pyaw_keys_release(c);
            return 0;
        }
        out[i] = v;
    }
    memcpy(ns, first.ns, AW_NAMESPACE_MAX + 1);
    memcpy(set, first.set, AW_SET_MAX + 1);
    *ids = out;
    *n = (size_t)len;
    return 1;
}

int pyaw_keys_from_py(PyObject *seq, aw_key **keys, size_t *n, PyObject **keys_tuple,
                      pyaw_conv *c) {
    if (!PyList_Check(seq) && !PyTuple_Check(seq)) {
        (void)pyaw_items_of(seq, "keys", c); /* raises its TypeError */
        return -1;
    }
    /* A caller that reads the keys back after the command gets a snapshot;
     * otherwise one is taken only when a key borrows a str or bytes user
     * key from its tuple (the list may change once the GIL is released):
     * none for integer keys. Nothing runs between the conversion and the
     * snapshot, so it holds the very tuples converted. */
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    aw_key *out = pyaw_keys_alloc(c, (size_t)len);
    bool borrowed = false;
    if (!out || keys_fill(PySequence_Fast_ITEMS(seq), len, out, c, &borrowed) < 0)
        return -1;
    PyObject *items = NULL;
    if ((keys_tuple || borrowed) && !(items = pyaw_items_of(seq, "keys", c)))
        return -1;
    *keys = out;
    *n = (size_t)len;
    if (keys_tuple)
        *keys_tuple = items;
    return 0;
}
