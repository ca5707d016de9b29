/*
 * The Client config's security keys, with the official Python client's
 * names: "tls" (a dict onto aw_tls_config, include/aerowire/tls.h), "user"
 * and "password", and the policies' "auth_mode". What our C layer does not
 * support is a ParamError naming the key, never silently ignored.
 */
#include "pyaw.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* A str config value kept alive (its UTF-8 bytes) until the client goes;
 * None leaves *out NULL. */
int pyaw_config_str(pyaw_client *self, PyObject *v, const char *name, const char **out) {
    if (v == Py_None) {
        *out = NULL;
        return 0;
    }
    if (!PyUnicode_Check(v)) {
        PyErr_Format(PyExc_TypeError, "config %s must be a str, not %s", name,
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    PyObject *b = PyUnicode_AsUTF8String(v);
    if (!b)
        return -1;
    if ((size_t)PyBytes_GET_SIZE(b) != strlen(PyBytes_AS_STRING(b))) {
        Py_DECREF(b);
        PyErr_Format(PyExc_ValueError, "config %s holds a NUL character", name);
        return -1;
    }
    if (!self->keep && !(self->keep = PyList_New(0))) {
        Py_DECREF(b);
        return -1;
    }
    int rc = PyList_Append(self->keep, b);
    Py_DECREF(b);
    if (rc < 0)
        return -1;
    *out = PyBytes_AS_STRING(b);
    return 0;
}

/* The official client's TLS keys that aw_tls_config has (keyfile_pw is its
 * name for the key's password). */
static const struct {
    const char *name;
    size_t offset;
} TLS_STRINGS[] = {
    {"cafile", offsetof(aw_tls_config, cafile)},
    {"capath", offsetof(aw_tls_config, capath)},
    {"protocols", offsetof(aw_tls_config, protocols)},
    {"cipher_suite", offsetof(aw_tls_config, cipher_suite)},
    {"cert_blacklist", offsetof(aw_tls_config, cert_blacklist)},
    {"certfile", offsetof(aw_tls_config, certfile)},
    {"keyfile", offsetof(aw_tls_config, keyfile)},
    {"keyfile_pw", offsetof(aw_tls_config, keyfile_password)},
};

static const struct {
    const char *name;
    size_t offset;
} TLS_BOOLS[] = {
    {"enable", offsetof(aw_tls_config, enable)},
    {"crl_check", offsetof(aw_tls_config, crl_check)},
    {"crl_check_all", offsetof(aw_tls_config, crl_check_all)},
};

static int tls_key(pyaw_client *self, aw_tls_config *tls, const char *name, PyObject *v) {
    for (size_t i = 0; i < sizeof TLS_STRINGS / sizeof TLS_STRINGS[0]; i++)
        if (strcmp(name, TLS_STRINGS[i].name) == 0) {
            char key[32];
            snprintf(key, sizeof key, "tls %s", name);
            return pyaw_config_str(self, v, key,
                                   (const char **)((char *)tls + TLS_STRINGS[i].offset));
        }
    for (size_t i = 0; i < sizeof TLS_BOOLS / sizeof TLS_BOOLS[0]; i++)
        if (strcmp(name, TLS_BOOLS[i].name) == 0) {
            if (!PyBool_Check(v)) {
                PyErr_Format(PyExc_TypeError, "config tls %s must be a bool, not %s", name,
                             Py_TYPE(v)->tp_name);
                return -1;
            }
            *(bool *)((char *)tls + TLS_BOOLS[i].offset) = v == Py_True;
            return 0;
        }
    char msg[200];
    snprintf(msg, sizeof msg,
             "config tls '%s' is not supported by aerowire (it takes enable, cafile, capath, "
             "protocols, cipher_suite, cert_blacklist, certfile, keyfile, keyfile_pw, crl_check, "
             "crl_check_all)",
             name);
    pyaw_raise_code(AW_ERR_PARAM, msg);
    return -1;
}

int pyaw_config_tls(pyaw_client *self, PyObject *tls) {
    if (!PyDict_Check(tls)) {
        PyErr_Format(PyExc_TypeError, "config tls must be a dict, not %s",
                     Py_TYPE(tls)->tp_name);
        return -1;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(tls, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if (!name) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "config tls keys must be str, not %R", k);
            return -1;
        }
        if (tls_key(self, &self->cfg.tls, name, v) < 0)
            return -1;
    }
    return 0;
}

/* The official client's AUTH_* values: INTERNAL 0, EXTERNAL 1,
 * EXTERNAL_INSECURE 2 (LDAP without TLS, which aerowire refuses), PKI 3. */
int pyaw_config_auth_mode(pyaw_client *self, PyObject *v) {
    long mode = PyLong_Check(v) ? PyLong_AsLong(v) : -1;
    if (PyErr_Occurred())
        PyErr_Clear();
    switch (mode) {
    case 0:
        self->cfg.auth_mode = AW_AUTH_INTERNAL;
        return 0;
    case 1:
        self->cfg.auth_mode = AW_AUTH_EXTERNAL;
        return 0;
    case 3:
        self->cfg.auth_mode = AW_AUTH_PKI;
        return 0;
    case 2:
        pyaw_raise_code(AW_ERR_PARAM, "config policies auth_mode AUTH_EXTERNAL_INSECURE is not "
                                      "supported: aerowire sends a clear password only over TLS "
                                      "(AUTH_EXTERNAL with tls enabled)");
        return -1;
    default: {
        PyObject *r = PyObject_Repr(v);
        const char *s = r ? PyUnicode_AsUTF8(r) : "?";
        char msg[160];
        snprintf(msg, sizeof msg,
                 "config policies auth_mode %s is not AUTH_INTERNAL, AUTH_EXTERNAL or AUTH_PKI",
                 s ? s : "?");
        Py_XDECREF(r);
        PyErr_Clear();
        pyaw_raise_code(AW_ERR_PARAM, msg);
        return -1;
    }
    }
}
