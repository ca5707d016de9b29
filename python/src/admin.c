/*
 * The Client's admin commands (include/aerowire/admin.h) with the official
 * Python client's names: users, roles and privileges on a server with
 * security on. Each runs on one node's sync connection with the GIL
 * released; its policy is {"timeout": ms} (the official admin policy).
 */
#include "pyaw.h"

#include <string.h>

/* The admin policy: the client's write default with `timeout` as its total
 * timeout (0 or none: admin.h's 60 s). */
static int admin_policy(PyObject *dict, aw_policy *pol, const aw_policy **out) {
    *out = NULL;
    if (!dict || dict == Py_None)
        return 0;
    if (!PyDict_Check(dict)) {
        PyErr_Format(PyExc_TypeError, "admin policy must be a dict, not %s",
                     Py_TYPE(dict)->tp_name);
        return -1;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    *pol = aw_policy_write();
    while (PyDict_Next(dict, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : "";
        unsigned long t = PyLong_Check(v) ? PyLong_AsUnsignedLong(v) : (unsigned long)-1;
        if (strcmp(name ? name : "", "timeout") != 0) {
            PyErr_Format(PyExc_ValueError, "unknown admin policy key %R (timeout is known)", k);
            return -1;
        }
        if (PyErr_Occurred() || t > 0xFFFFFFFFul) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "admin policy timeout must be an int in ms, not %R", v);
            return -1;
        }
        pol->total_timeout_ms = (uint32_t)t;
        if (t)
            *out = pol;
    }
    return 0;
}

/* A list of role names, borrowed from the strs (held by the list). */
static int role_names(PyObject *seq, const char ***out, size_t *n) {
    if (!PyList_Check(seq) && !PyTuple_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "roles must be a list of str, not %s",
                     Py_TYPE(seq)->tp_name);
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    const char **names = PyMem_Calloc((size_t)len + 1, sizeof *names);
    if (!names) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *r = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(r) || !(names[i] = PyUnicode_AsUTF8(r))) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "role %zd must be a str, not %s", i,
                         Py_TYPE(r)->tp_name);
            PyMem_Free(names);
            return -1;
        }
    }
    *out = names;
    *n = (size_t)len;
    return 0;
}

enum admin_cmd { CREATE_USER, DROP_USER, SET_PASSWORD, CHANGE_PASSWORD, GRANT_ROLES,
                 REVOKE_ROLES, DROP_ROLE };

static PyObject *run(pyaw_client *self, enum admin_cmd cmd, const char *name,
                     const char *password, PyObject *roles_o, PyObject *policy_o) {
    aw_policy pol;
    const aw_policy *p;
    const char **roles = NULL;
    size_t n_roles = 0;
    if (admin_policy(policy_o, &pol, &p) < 0 || (roles_o && role_names(roles_o, &roles, &n_roles) < 0))
        return NULL;
    aw_client *c = pyaw_client_enter(self);
    if (!c) {
        PyMem_Free(roles);
        return NULL;
    }
    aw_error err;
    int rc = AW_OK;
    Py_BEGIN_ALLOW_THREADS
    switch (cmd) {
    case CREATE_USER:
        rc = aw_create_user(c, p, name, password, roles, n_roles, &err);
        break;
    case DROP_USER:
        rc = aw_drop_user(c, p, name, &err);
        break;
    case SET_PASSWORD:
        rc = aw_set_password(c, p, name, password, &err);
        break;
    case CHANGE_PASSWORD:
        rc = aw_change_password(c, p, name, password, &err);
        break;
    case GRANT_ROLES:
        rc = aw_grant_roles(c, p, name, roles, n_roles, &err);
        break;
    case REVOKE_ROLES:
        rc = aw_revoke_roles(c, p, name, roles, n_roles, &err);
        break;
    case DROP_ROLE:
        rc = aw_drop_role(c, p, name, &err);
        break;
    }
    Py_END_ALLOW_THREADS
    self->busy--;
    PyMem_Free(roles);
    if (rc != AW_OK)
        return pyaw_raise(&err);
    Py_RETURN_NONE;
}

PyObject *pyaw_admin_create_user(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"username", "password", "roles", "policy", NULL};
    const char *user, *password;
    PyObject *roles, *policy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ssO|O:admin_create_user", kwlist, &user,
                                     &password, &roles, &policy))
        return NULL;
    return run(self, CREATE_USER, user, password, roles, policy);
}

static PyObject *name_only(pyaw_client *self, PyObject *args, PyObject *kwds, enum admin_cmd cmd,
                           const char *fmt, char *first) {
    char *kwlist[] = {first, "policy", NULL};
    const char *name;
    PyObject *policy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, fmt, kwlist, &name, &policy))
        return NULL;
    return run(self, cmd, name, NULL, NULL, policy);
}

PyObject *pyaw_admin_drop_user(pyaw_client *self, PyObject *args, PyObject *kwds) {
    return name_only(self, args, kwds, DROP_USER, "s|O:admin_drop_user", "username");
}

PyObject *pyaw_admin_drop_role(pyaw_client *self, PyObject *args, PyObject *kwds) {
    return name_only(self, args, kwds, DROP_ROLE, "s|O:admin_drop_role", "role");
}

static PyObject *password_cmd(pyaw_client *self, PyObject *args, PyObject *kwds,
                              enum admin_cmd cmd, const char *fmt) {
    static char *kwlist[] = {"username", "password", "policy", NULL};
    const char *user, *password;
    PyObject *policy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, fmt, kwlist, &user, &password, &policy))
        return NULL;
    return run(self, cmd, user, password, NULL, policy);
}

PyObject *pyaw_admin_set_password(pyaw_client *self, PyObject *args, PyObject *kwds) {
    return password_cmd(self, args, kwds, SET_PASSWORD, "ss|O:admin_set_password");
}

PyObject *pyaw_admin_change_password(pyaw_client *self, PyObject *args, PyObject *kwds) {
    return password_cmd(self, args, kwds, CHANGE_PASSWORD, "ss|O:admin_change_password");
}

static PyObject *roles_cmd(pyaw_client *self, PyObject *args, PyObject *kwds, enum admin_cmd cmd,
                           const char *fmt) {
    static char *kwlist[] = {"username", "roles", "policy", NULL};
    const char *user;
    PyObject *roles, *policy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, fmt, kwlist, &user, &roles, &policy))
        return NULL;
    return run(self, cmd, user, NULL, roles, policy);
}

PyObject *pyaw_admin_grant_roles(pyaw_client *self, PyObject *args, PyObject *kwds) {
    return roles_cmd(self, args, kwds, GRANT_ROLES, "sO|O:admin_grant_roles");
}

PyObject *pyaw_admin_revoke_roles(pyaw_client *self, PyObject *args, PyObject *kwds) {
    return roles_cmd(self, args, kwds, REVOKE_ROLES, "sO|O:admin_revoke_roles");
}

/* ---- roles with privileges ---- */

static int privileges_from_py(PyObject *seq, aw_privilege **out, size_t *n) {
    if (!PyList_Check(seq) && !PyTuple_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "privileges must be a list of dicts, not %s",
                     Py_TYPE(seq)->tp_name);
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    aw_privilege *privs = PyMem_Calloc((size_t)len + 1, sizeof *privs);
    if (!privs) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *d = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *code = PyDict_Check(d) ? PyDict_GetItemString(d, "code") : NULL;
        PyObject *ns = PyDict_Check(d) ? PyDict_GetItemString(d, "ns") : NULL;
        PyObject *set = PyDict_Check(d) ? PyDict_GetItemString(d, "set") : NULL;
        const char *ns_s = ns && PyUnicode_Check(ns) ? PyUnicode_AsUTF8(ns) : "";
        const char *set_s = set && PyUnicode_Check(set) ? PyUnicode_AsUTF8(set) : "";
        long c = code && PyLong_Check(code) ? PyLong_AsLong(code) : -1;
        if (c < 0 || !ns_s || !set_s || strlen(ns_s) >= AW_ADMIN_NAME_SIZE ||
            strlen(set_s) >= AW_ADMIN_NAME_SIZE) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError,
                         "privilege %zd must be {'code': PRIV_*, 'ns': str, 'set': str}, not %R",
                         i, d);
            PyMem_Free(privs);
            return -1;
        }
        privs[i].code = (aw_privilege_code)c;
        strcpy(privs[i].ns, ns_s);
        strcpy(privs[i].set, set_s);
    }
    *out = privs;
    *n = (size_t)len;
    return 0;
}

PyObject *pyaw_admin_create_role(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"role", "privileges", "policy", NULL};
    const char *role;
    PyObject *privs_o, *policy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "sO|O:admin_create_role", kwlist, &role,
                                     &privs_o, &policy))
        return NULL;
    aw_policy pol;
    const aw_policy *p;
    aw_privilege *privs;
    size_t n;
    if (admin_policy(policy, &pol, &p) < 0 || privileges_from_py(privs_o, &privs, &n) < 0)
        return NULL;
    aw_client *c = pyaw_client_enter(self);
    if (!c) {
        PyMem_Free(privs);
        return NULL;
    }
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_create_role(c, p, role, privs, n, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    PyMem_Free(privs);
    if (rc != AW_OK)
        return pyaw_raise(&err);
    Py_RETURN_NONE;
}

/* ---- queries ---- */

static PyObject *user_to_py(const aw_user_info *u) {
    PyObject *roles = PyList_New((Py_ssize_t)u->n_roles);
    for (size_t i = 0; roles && i < u->n_roles; i++) {
        PyObject *r = PyUnicode_FromString(u->roles[i]);
        if (!r) {
            Py_CLEAR(roles);
            break;
        }
        PyList_SET_ITEM(roles, (Py_ssize_t)i, r);
    }
    return roles ? Py_BuildValue("{s:N,s:I}", "roles", roles, "conns_in_use", u->conns_in_use)
                 : NULL;
}

static PyObject *role_to_py(const aw_role_info *r) {
    PyObject *privs = PyList_New((Py_ssize_t)r->n_privileges);
    for (size_t i = 0; privs && i < r->n_privileges; i++) {
        const aw_privilege *p = &r->privileges[i];
        PyObject *d = Py_BuildValue("{s:i,s:s,s:s}", "code", (int)p->code, "ns", p->ns, "set",
                                    p->set);
        if (!d) {
            Py_CLEAR(privs);
            break;
        }
        PyList_SET_ITEM(privs, (Py_ssize_t)i, d);
    }
    return privs ? Py_BuildValue("{s:N}", "privileges", privs) : NULL;
}

/* _admin_query(kind, name, policy) -> {name: info}: users ("user") or roles
 * ("role"), one (name given) or all (None). */
PyObject *pyaw_admin_query(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"kind", "name", "policy", NULL};
    const char *kind, *name = NULL;
    PyObject *policy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "sz|O:_admin_query", kwlist, &kind, &name,
                                     &policy))
        return NULL;
    int users = strcmp(kind, "user") == 0;
    aw_policy pol;
    const aw_policy *p;
    if (admin_policy(policy, &pol, &p) < 0)
        return NULL;
    aw_client *c = pyaw_client_enter(self);
    if (!c)
        return NULL;
    aw_user_info *us = NULL;
    aw_role_info *rs = NULL;
    size_t n = 0;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = users ? aw_query_users(c, p, name, &us, &n, &err)
               : aw_query_roles(c, p, name, &rs, &n, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc != AW_OK)
        return pyaw_raise(&err);
    PyObject *out = PyDict_New();
    for (size_t i = 0; out && i < n; i++) {
        PyObject *v = users ? user_to_py(&us[i]) : role_to_py(&rs[i]);
        if (!v || PyDict_SetItemString(out, users ? us[i].name : rs[i].name, v) < 0)
            Py_CLEAR(out);
        Py_XDECREF(v);
    }
    if (users)
        aw_users_free(us, n);
    else
        aw_roles_free(rs, n);
    return out;
}
