/*
 * aerowire.Client: the sync client. Every command converts its Python
 * arguments first (with the GIL), runs the aerowire call with the GIL
 * released, then builds the Python result. `busy` counts the threads inside
 * a command so close() cannot free the client under them.
 */
#include "pyaw.h"
#include "pyaw_ops.h"
#include "pyaw_query.h"

#include <stddef.h>
#include <string.h>

typedef pyaw_client ClientObject;

/* ---- configuration ---- */

static int config_u32(PyObject *v, const char *name, uint32_t *out) {
    unsigned long long x = PyLong_Check(v) ? PyLong_AsUnsignedLongLong(v) : (unsigned long long)-1;
    if (PyErr_Occurred() || x > 0xFFFFFFFFull) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "config %s must be an int in 0..4294967295, not %R",
                     name, v);
        return -1;
    }
    *out = (uint32_t)x;
    return 0;
}

/* The config's integer keys: the official clients' names (the C client's
 * for the async ones; pipeline_depth is aerowire's own). */
static const struct {
    const char *name;
    size_t offset;
} U32_KEYS[] = {
    {"connect_timeout", offsetof(aw_config, connect_timeout_ms)},
    {"tend_interval", offsetof(aw_config, tend_interval_ms)},
    {"max_conns_per_node", offsetof(aw_config, max_conns_per_node)},
    {"async_max_conns_per_node", offsetof(aw_config, async_max_conns_per_node)},
    {"pipeline_depth", offsetof(aw_config, pipeline_depth)},
    {"max_error_rate", offsetof(aw_config, max_error_rate)},
    {"error_rate_window", offsetof(aw_config, error_rate_window)},
};

static uint32_t *config_u32_field(aw_config *cfg, const char *name) {
    for (size_t i = 0; i < sizeof U32_KEYS / sizeof U32_KEYS[0]; i++)
        if (strcmp(name, U32_KEYS[i].name) == 0)
            return (uint32_t *)((char *)cfg + U32_KEYS[i].offset);
    return NULL;
}

static char *dup_str(const char *s, size_t n) {
    char *d = PyMem_Malloc(n + 1);
    if (!d) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* [("host", port), ...] -> "host:port,[v6]:port" */
static char *hosts_string(PyObject *hosts) {
    if (!PyList_Check(hosts) && !PyTuple_Check(hosts))
        return PyErr_Format(PyExc_TypeError, "config hosts must be a list of (host, port) tuples"),
               NULL;
    PyObject *parts = PyList_New(0);
    PyObject *seq = PySequence_Tuple(hosts);
    for (Py_ssize_t i = 0; parts && seq && i < PyTuple_GET_SIZE(seq); i++) {
        PyObject *h = PyTuple_GET_ITEM(seq, i);
        const char *name = NULL, *tls_name = NULL;
        unsigned int port = 0;
        if (!PyTuple_Check(h) || !PyArg_ParseTuple(h, "sI|z", &name, &port, &tls_name) ||
            port == 0 || port > 65535) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError,
                         "config host %R is not a (host, port 1..65535[, tls_name]) tuple", h);
            Py_CLEAR(parts);
            break;
        }
        /* (addr, port, tls_name): "addr:tls-name:port", aerowire/tls.h's form. */
        PyObject *part =
            tls_name  ? (strchr(name, ':') ? PyUnicode_FromFormat("[%s]:%s:%u", name, tls_name, port)
                                           : PyUnicode_FromFormat("%s:%s:%u", name, tls_name, port))
            : strchr(name, ':') ? PyUnicode_FromFormat("[%s]:%u", name, port)
                                : PyUnicode_FromFormat("%s:%u", name, port);
        if (!part || PyList_Append(parts, part) < 0)
            Py_CLEAR(parts);
        Py_XDECREF(part);
    }
    Py_XDECREF(seq);
    if (!parts)
        return NULL;
    if (PyList_GET_SIZE(parts) == 0) {
        Py_DECREF(parts);
        return PyErr_Format(PyExc_ValueError, "config hosts is empty"), NULL;
    }
    PyObject *comma = PyUnicode_FromString(",");
    PyObject *joined = comma ? PyUnicode_Join(comma, parts) : NULL;
    Py_XDECREF(comma);
    Py_DECREF(parts);
    Py_ssize_t n;
    const char *s = joined ? PyUnicode_AsUTF8AndSize(joined, &n) : NULL;
    char *out = s ? dup_str(s, (size_t)n) : NULL;
    Py_XDECREF(joined);
    return out;
}

static int config_policies(ClientObject *self, PyObject *pol) {
    if (!PyDict_Check(pol)) {
        PyErr_SetString(PyExc_TypeError, "config policies must be a dict");
        return -1;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(pol, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : "";
        if (strcmp(name, "read") == 0) {
            if (pyaw_policy_from_py(v, &self->cfg.read_policy, PYAW_POLICY_READ,
                                    &self->cfg.read_policy) < 0)
                return -1;
        } else if (strcmp(name, "write") == 0) {
            if (pyaw_policy_from_py(v, &self->cfg.write_policy, PYAW_POLICY_WRITE,
                                    &self->cfg.write_policy) < 0)
                return -1;
        } else if (strcmp(name, "auth_mode") == 0) {
            if (pyaw_config_auth_mode(self, v) < 0)
                return -1;
        } else {
            PyErr_Format(PyExc_ValueError,
                         "unknown config policies key %R (read, write, auth_mode known)", k);
            return -1;
        }
    }
    return 0;
}

static int config_apply(ClientObject *self, PyObject *config) {
    if (!PyDict_Check(config)) {
        PyErr_Format(PyExc_TypeError, "config must be a dict, not %s", Py_TYPE(config)->tp_name);
        return -1;
    }
    aw_config_init(&self->cfg);
    self->cfg.read_policy = aw_policy_read();
    self->cfg.write_policy = aw_policy_write();
    PyObject *hosts = PyDict_GetItemString(config, "hosts");
    if (!hosts) {
        PyErr_SetString(PyExc_ValueError, "config needs hosts: [(host, port), ...]");
        return -1;
    }
    if (!(self->hosts = hosts_string(hosts)))
        return -1;
    self->cfg.hosts = self->hosts;
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(config, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : "";
        int rc = 0;
        uint32_t *u32;
        if (strcmp(name, "hosts") == 0)
            continue;
        if (strcmp(name, "cluster_name") == 0) {
            Py_ssize_t n;
            const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8AndSize(v, &n) : NULL;
            if (!s) {
                PyErr_SetString(PyExc_TypeError, "config cluster_name must be a str");
                return -1;
            }
            if (!(self->cluster_name = dup_str(s, (size_t)n)))
                return -1;
            self->cfg.cluster_name = self->cluster_name;
        } else if (strcmp(name, "policies") == 0) {
            rc = config_policies(self, v);
        } else if (strcmp(name, "tls") == 0) {
            rc = pyaw_config_tls(self, v);
        } else if (strcmp(name, "user") == 0) {
            rc = pyaw_config_str(self, v, "user", &self->cfg.user);
        } else if (strcmp(name, "password") == 0) {
            rc = pyaw_config_str(self, v, "password", &self->cfg.password);
        } else if ((u32 = config_u32_field(&self->cfg, name))) {
            rc = config_u32(v, name, u32);
        } else {
            PyErr_Format(PyExc_ValueError, "unknown config key %R", k);
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int client_init(ClientObject *self, PyObject *args, PyObject *kwds) {
    PyObject *config;
    static char *kwlist[] = {"config", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:Client", kwlist, &config))
        return -1;
    if (self->client || self->hosts) {
        PyErr_SetString(PyExc_RuntimeError, "Client.__init__ called twice");
        return -1;
    }
    return config_apply(self, config);
}

static void client_dealloc(ClientObject *self) {
    if (self->client) {
        Py_BEGIN_ALLOW_THREADS
        aw_client_close(self->client);
        Py_END_ALLOW_THREADS
    }
    PyMem_Free(self->hosts);
    PyMem_Free(self->cluster_name);
    Py_XDECREF(self->keep);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

aw_client *pyaw_client_enter(ClientObject *self) {
    if (!self->client)
        return pyaw_raise_code(AW_ERR_CLIENT, "client is not connected (call connect())"), NULL;
    self->busy++;
    return self->client;
}

static PyObject *client_connect(ClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"username", "password", NULL};
    PyObject *user = Py_None, *password = Py_None;
    if (args && !PyArg_ParseTupleAndKeywords(args, kwds, "|OO:connect", kwlist, &user, &password))
        return NULL;
    if (!self->hosts)
        return PyErr_Format(PyExc_RuntimeError, "Client was not initialised"), NULL;
    /* connect(username, password), as the official client: the config's
     * user and password for this and later connections. */
    if (user != Py_None && (pyaw_config_str(self, user, "user", &self->cfg.user) < 0 ||
                            pyaw_config_str(self, password, "password", &self->cfg.password) < 0))
        return NULL;
    if (!self->client) {
        aw_error err;
        aw_client *c = NULL;
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = aw_client_new(&c, &self->cfg, &err);
        Py_END_ALLOW_THREADS
        if (rc != AW_OK)
            return pyaw_raise(&err);
        if (self->client) { /* another thread connected while this one waited */
            Py_BEGIN_ALLOW_THREADS
            aw_client_close(c);
            Py_END_ALLOW_THREADS
        } else {
            self->client = c;
        }
    }
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *client_close(ClientObject *self, PyObject *unused) {
    if (self->busy)
        return pyaw_raise_code(AW_ERR_CLIENT, "close() while other threads run commands");
    aw_client *c = self->client;
    self->client = NULL;
    if (c) {
        Py_BEGIN_ALLOW_THREADS
        aw_client_close(c);
        Py_END_ALLOW_THREADS
    }
    Py_RETURN_NONE;
}

static PyObject *client_is_connected(ClientObject *self, PyObject *unused) {
    return PyBool_FromLong(self->client != NULL);
}

static PyObject *client_enter(ClientObject *self, PyObject *unused) {
    return client_connect(self, NULL, NULL);
}

static PyObject *client_exit(ClientObject *self, PyObject *args) {
    return client_close(self, NULL);
}

/* ---- commands ---- */

/* What every key command converts first: the key, and the policy over the
 * client's default of its kind. 0, or -1 with an exception set. */
static int prepare(ClientObject *self, pyaw_conv *conv, PyObject *key_o, aw_key *key,
                   PyObject *policy_o, enum pyaw_policy_kind kind, aw_policy *pol) {
    const aw_policy *base =
        kind == PYAW_POLICY_READ ? &self->cfg.read_policy : &self->cfg.write_policy;
    if (pyaw_key_from_py(key_o, key, conv) < 0)
        return -1;
    return pyaw_cmd_policy_from_py(policy_o, base, kind, pol, conv);
}

/* Reads the record of key (all bins, or `names`). */
static PyObject *read_record(ClientObject *self, PyObject *key_o, PyObject *names_o,
                             PyObject *policy_o) {
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key key;
    aw_policy pol;
    const char **names = NULL;
    size_t n_names = 0;
    PyObject *result = NULL;
    aw_client *c;
    if ((names_o && pyaw_bin_names_from_py(names_o, &names, &n_names, &conv) < 0) ||
        prepare(self, &conv, key_o, &key, policy_o, PYAW_POLICY_READ, &pol) < 0 ||
        !(c = pyaw_client_enter(self)))
        goto out;
    aw_record rec = {0};
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = names_o ? aw_get(c, &pol, &key, n_names ? names : NULL, n_names, &rec, &err)
                 : aw_get(c, &pol, &key, NULL, 0, &rec, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    result = rc == AW_OK ? pyaw_record_to_py(&rec, &key, key_o) : pyaw_raise(&err);
    aw_record_free(&rec);
out:
    pyaw_conv_free(&conv);
    return result;
}

static PyObject *client_get(ClientObject *self, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames) {
    static const char *const names[] = {"key", "policy"};
    PyObject *a[2];
    if (pyaw_fast_args(args, nargs, kwnames, names, 2, 1, a, "get") < 0)
        return NULL;
    return read_record(self, a[0], NULL, a[1]);
}

static PyObject *client_select(ClientObject *self, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames) {
    static const char *const names[] = {"key", "bins", "policy"};
    PyObject *a[3];
    if (pyaw_fast_args(args, nargs, kwnames, names, 3, 2, a, "select") < 0)
        return NULL;
    return read_record(self, a[0], a[1], a[2]);
}

static PyObject *client_exists(ClientObject *self, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames) {
    static const char *const names[] = {"key", "policy"};
    PyObject *a[2];
    if (pyaw_fast_args(args, nargs, kwnames, names, 2, 1, a, "exists") < 0)
        return NULL;
    PyObject *key_o = a[0], *policy = a[1];
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key key;
    aw_policy pol;
    PyObject *result = NULL;
    aw_client *c;
    if (prepare(self, &conv, key_o, &key, policy, PYAW_POLICY_READ, &pol) < 0 ||
        !(c = pyaw_client_enter(self)))
        goto out;
    aw_record rec = {0};
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_get_header(c, &pol, &key, &rec, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc == AW_OK || rc == AW_ERR_RECORD_NOT_FOUND) {
        PyObject *meta = rc == AW_OK ? pyaw_meta_to_py(&rec) : (Py_INCREF(Py_None), Py_None);
        PyObject *k = meta ? pyaw_key_to_py(&key, key_o) : NULL;
        result = k ? PyTuple_Pack(2, k, meta) : NULL;
        Py_XDECREF(k);
        Py_XDECREF(meta);
    } else {
        pyaw_raise(&err);
    }
    aw_record_free(&rec);
out:
    pyaw_conv_free(&conv);
    return result;
}

enum write_cmd { CMD_PUT, CMD_REMOVE, CMD_TOUCH };

/* put, remove and touch: a key, maybe bins, meta and a write policy. */
static PyObject *write_record(ClientObject *self, enum write_cmd cmd, PyObject *key_o,
                              PyObject *bins_o, PyObject *ttl_o, PyObject *meta,
                              PyObject *policy) {
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key key;
    aw_policy pol;
    aw_bin *bins = NULL;
    size_t n_bins = 0;
    PyObject *result = NULL;
    aw_client *c;
    /* The policy's ttl and gen first, then meta's and touch's val over them. */
    if (prepare(self, &conv, key_o, &key, policy, PYAW_POLICY_WRITE, &pol) < 0 ||
        (bins_o && pyaw_bins_from_py(bins_o, &bins, &n_bins, &conv) < 0) ||
        pyaw_meta_apply(meta, &pol) < 0 || (ttl_o && pyaw_ttl_apply(ttl_o, &pol) < 0) ||
        !(c = pyaw_client_enter(self)))
        goto out;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = cmd == CMD_PUT      ? aw_put(c, &pol, &key, bins, n_bins, &err)
         : cmd == CMD_REMOVE ? aw_delete(c, &pol, &key, &err)
                             : aw_touch(c, &pol, &key, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc == AW_OK) {
        Py_INCREF(Py_None);
        result = Py_None;
    } else {
        pyaw_raise(&err);
    }
out:
    pyaw_conv_free(&conv);
    return result;
}

static PyObject *client_put(ClientObject *self, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames) {
    static const char *const names[] = {"key", "bins", "meta", "policy"};
    PyObject *a[4];
    if (pyaw_fast_args(args, nargs, kwnames, names, 4, 2, a, "put") < 0)
        return NULL;
    return write_record(self, CMD_PUT, a[0], a[1], NULL, a[2], a[3]);
}

static PyObject *client_remove(ClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "meta", "policy", NULL};
    PyObject *key, *meta = NULL, *policy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OO:remove", kwlist, &key, &meta, &policy))
        return NULL;
    return write_record(self, CMD_REMOVE, key, NULL, NULL, meta, policy);
}

static PyObject *client_touch(ClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "val", "meta", "policy", NULL};
    PyObject *key, *val = NULL, *meta = NULL, *policy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OOO:touch", kwlist, &key, &val, &meta,
                                     &policy))
        return NULL;
    return write_record(self, CMD_TOUCH, key, NULL, val, meta, policy);
}

static PyObject *client_info(ClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"command", "node", "timeout", NULL};
    const char *command, *node = NULL;
    unsigned int timeout = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "s|zI:info", kwlist, &command, &node, &timeout))
        return NULL;
    aw_client *c = pyaw_client_enter(self);
    if (!c)
        return NULL;
    char *reply = NULL;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_info(c, node, command, timeout, &reply, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc != AW_OK)
        return pyaw_raise(&err);
    PyObject *s = PyUnicode_DecodeUTF8(reply, (Py_ssize_t)strlen(reply), "surrogateescape");
    aw_free(reply);
    return s;
}

static PyMethodDef client_methods[] = {
    {"connect", (PyCFunction)(void (*)(void))client_connect, METH_VARARGS | METH_KEYWORDS,
     "connect(username=None, password=None) -> self: finds the cluster (raises when no seed "
     "answers), logging in as username when given (else as the config's user)."},
    {"close", (PyCFunction)client_close, METH_NOARGS, "close(): releases the connections."},
    {"is_connected", (PyCFunction)client_is_connected, METH_NOARGS, "is_connected() -> bool"},
    {"admin_create_user", (PyCFunction)(void (*)(void))pyaw_admin_create_user, METH_VARARGS | METH_KEYWORDS,
     "admin_create_user(username, password, roles, policy=None): a new user with those roles."},
    {"admin_drop_user", (PyCFunction)(void (*)(void))pyaw_admin_drop_user, METH_VARARGS | METH_KEYWORDS,
     "admin_drop_user(username, policy=None)."},
    {"admin_set_password", (PyCFunction)(void (*)(void))pyaw_admin_set_password, METH_VARARGS | METH_KEYWORDS,
     "admin_set_password(username, password, policy=None): an administrator sets a user's password."},
    {"admin_change_password", (PyCFunction)(void (*)(void))pyaw_admin_change_password, METH_VARARGS | METH_KEYWORDS,
     "admin_change_password(username, password, policy=None): a user changes their own password (later connections log in with it)."},
    {"admin_grant_roles", (PyCFunction)(void (*)(void))pyaw_admin_grant_roles, METH_VARARGS | METH_KEYWORDS,
     "admin_grant_roles(username, roles, policy=None)."},
    {"admin_revoke_roles", (PyCFunction)(void (*)(void))pyaw_admin_revoke_roles, METH_VARARGS | METH_KEYWORDS,
     "admin_revoke_roles(username, roles, policy=None)."},
    {"admin_create_role", (PyCFunction)(void (*)(void))pyaw_admin_create_role, METH_VARARGS | METH_KEYWORDS,
     "admin_create_role(role, privileges, policy=None): privileges a list of {'code': PRIV_*, 'ns', 'set'}."},
    {"admin_drop_role", (PyCFunction)(void (*)(void))pyaw_admin_drop_role, METH_VARARGS | METH_KEYWORDS,
     "admin_drop_role(role, policy=None)."},
    {"_admin_query", (PyCFunction)(void (*)(void))pyaw_admin_query, METH_VARARGS | METH_KEYWORDS,
     "_admin_query(kind, name, policy) -> {name: info} of users ('user') or roles ('role')."},
    {"__enter__", (PyCFunction)client_enter, METH_NOARGS, "Connects (if not yet) and returns self."},
    {"__exit__", (PyCFunction)client_exit, METH_VARARGS, "Closes the client."},
    {"get", (PyCFunction)(void (*)(void))client_get, METH_FASTCALL | METH_KEYWORDS,
     "get(key, policy=None) -> Record: all bins; raises RecordNotFound."},
    {"select", (PyCFunction)(void (*)(void))client_select, METH_FASTCALL | METH_KEYWORDS,
     "select(key, bins, policy=None) -> Record: the named bins only."},
    {"exists", (PyCFunction)(void (*)(void))client_exists, METH_FASTCALL | METH_KEYWORDS,
     "exists(key, policy=None) -> (key, Meta or None)."},
    {"put", (PyCFunction)(void (*)(void))client_put, METH_FASTCALL | METH_KEYWORDS,
     "put(key, bins, meta=None, policy=None): writes bins (a None value removes the bin)."},
    {"remove", (PyCFunction)(void (*)(void))client_remove, METH_VARARGS | METH_KEYWORDS,
     "remove(key, meta=None, policy=None): deletes the record; raises RecordNotFound."},
    {"touch", (PyCFunction)(void (*)(void))client_touch, METH_VARARGS | METH_KEYWORDS,
     "touch(key, val=None, meta=None, policy=None): resets the TTL (val seconds) and bumps "
     "the generation."},
    {"info", (PyCFunction)(void (*)(void))client_info, METH_VARARGS | METH_KEYWORDS,
     "info(command, node=None, timeout=0) -> str: the reply text of one node "
     "(any node when node is None)."},
    {"_batch_get", (PyCFunction)(void (*)(void))pyaw_batch_get, METH_VARARGS | METH_KEYWORDS,
     "_batch_get(keys, bins, policy) -> list of (code, Record or None): batch_read's rows."},
    {"_batch_read_into", (PyCFunction)(void (*)(void))pyaw_batch_read_into,
     METH_VARARGS | METH_KEYWORDS,
     "_batch_read_into(keys, bins, policy, descr, align, rows, meta, codes): fills the "
     "writable buffers (batch_read with _dtype)."},
    {"_batch_write_from", (PyCFunction)(void (*)(void))pyaw_batch_write_from,
     METH_VARARGS | METH_KEYWORDS,
     "_batch_write_from(data, n, namespace, set, descr, align, itemsize, key_field, policy, "
     "codes, in_doubt, gens): writes n rows of a structured array (batch_write_numpy)."},
    {"_batch_rows", (PyCFunction)(void (*)(void))pyaw_batch_rows, METH_VARARGS | METH_KEYWORDS,
     "_batch_rows(kind, keys, rows, policy) -> list of (code, Record, in_doubt): batch_write "
     "(kind 'write'), batch_operate ('operate'), batch_remove ('remove')."},
    {"_array_put", (PyCFunction)(void (*)(void))pyaw_array_put, METH_VARARGS | METH_KEYWORDS,
     "_array_put(key, descr, align, itemsize, shape, data, attrs, chunk_bytes, compress, "
     "policy): put_array's C call."},
    {"_array_open", (PyCFunction)(void (*)(void))pyaw_array_open, METH_VARARGS | METH_KEYWORDS,
     "_array_open(key, policy=None) -> ArrayHandle: reads the array's header record."},
    {"delete_array", (PyCFunction)(void (*)(void))pyaw_array_delete,
     METH_VARARGS | METH_KEYWORDS,
     "delete_array(key, policy=None): removes the array stored at key (its header and "
     "chunks); raises RecordNotFound when there is none."},
    {"operate", (PyCFunction)(void (*)(void))pyaw_operate, METH_VARARGS | METH_KEYWORDS,
     "operate(key, list, meta=None, policy=None) -> Record: applies the ops (dicts made by "
     "aerowire.operations, list_operations, ...) atomically; bins holds their results."},
    {"operate_ordered", (PyCFunction)(void (*)(void))pyaw_operate_ordered,
     METH_VARARGS | METH_KEYWORDS,
     "operate_ordered(key, list, meta=None, policy=None) -> Record whose bins is a list of "
     "(name, value), one per op result, in op order."},
    /* scans, queries, indexes, jobs (query.c, query_stream.c, sindex.c) */
    {"_query_records", (PyCFunction)(void (*)(void))pyaw_query_records,
     METH_VARARGS | METH_KEYWORDS,
     "_query_records(spec, policy, cursor, callback) -> list of Records (callback None) or None."},
    {"_query_rows", (PyCFunction)(void (*)(void))pyaw_query_rows, METH_VARARGS | METH_KEYWORDS,
     "_query_rows(spec, policy, cursor, descr, align, itemsize) -> (rows, meta, codes, n)."},
    {"_query_stream", (PyCFunction)(void (*)(void))pyaw_query_stream,
     METH_VARARGS | METH_KEYWORDS,
     "_query_stream(spec, policy, cursor, descr, align, itemsize, chunk_rows) -> QueryStream."},
    {"_query_background", (PyCFunction)(void (*)(void))pyaw_query_background,
     METH_VARARGS | METH_KEYWORDS, "_query_background(spec, policy, ops, job_id=0) -> job id."},
    {"_index_create", (PyCFunction)(void (*)(void))pyaw_index_create,
     METH_VARARGS | METH_KEYWORDS,
     "_index_create(ns, set, bin, name, type, collection, timeout=0): creates and waits."},
    {"_index_remove", (PyCFunction)(void (*)(void))pyaw_index_remove,
     METH_VARARGS | METH_KEYWORDS, "_index_remove(ns, name, timeout=0)"},
    {"_index_list", (PyCFunction)(void (*)(void))pyaw_index_list, METH_VARARGS | METH_KEYWORDS,
     "_index_list(ns=None) -> [(ns, name, set, bin, type, collection, readable)]"},
    {"_truncate", (PyCFunction)(void (*)(void))pyaw_truncate, METH_VARARGS | METH_KEYWORDS,
     "_truncate(ns, set, nanos=0, timeout=0)"},
    {"_job_info", (PyCFunction)(void (*)(void))pyaw_job_info, METH_VARARGS | METH_KEYWORDS,
     "_job_info(job_id) -> (state, progress_pct, records_succeeded, records_failed)"},
    {"_job_wait", (PyCFunction)(void (*)(void))pyaw_job_wait, METH_VARARGS | METH_KEYWORDS,
     "_job_wait(job_id, timeout=0, interval=0)"},
    {NULL, NULL, 0, NULL},
};

PyTypeObject pyaw_ClientType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire._aerowire.Client",
    .tp_basicsize = sizeof(ClientObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Client(config): an Aerospike client; call connect() before commands.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)client_init,
    .tp_dealloc = (destructor)client_dealloc,
    .tp_methods = client_methods,
};
