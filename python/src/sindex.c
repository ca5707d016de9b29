/*
 * Secondary indexes, truncate and background jobs (query.h's info
 * commands and aw_query_background) for aerowire.Client.
 */
#include "pyaw_ops.h"
#include "pyaw_query.h"

#include <string.h>

/* An admin call on the connected client, without the GIL: fn(client,
 * arg, err). 0, or -1 with the call's error raised. */
typedef int (*admin_fn)(aw_client *c, void *arg, aw_error *err);

static int run_admin(pyaw_client *self, admin_fn fn, void *arg) {
    aw_client *c = pyaw_client_enter(self);
    if (!c)
        return -1;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = fn(c, arg, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    return rc == AW_OK ? 0 : (pyaw_raise(&err), -1);
}

typedef struct create_args {
    aw_index_spec spec;
    unsigned int timeout;
} create_args;

static int create_and_wait(aw_client *c, void *arg, aw_error *err) {
    create_args *a = arg;
    int rc = aw_index_create(c, &a->spec, a->timeout, err);
    return rc == AW_OK ? aw_index_wait(c, a->spec.ns, a->spec.name, 0, a->timeout, err) : rc;
}

/* _index_create(ns, set, bin, name, type, collection, timeout_ms): creates
 * the index and waits until every node has loaded it. */
PyObject *pyaw_index_create(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"ns", "set", "bin", "name", "type", "collection", "timeout", NULL};
    create_args a = {{0}, 0};
    int type, collection;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "szssii|I:_index_create", kwlist, &a.spec.ns,
                                     &a.spec.set, &a.spec.bin, &a.spec.name, &type, &collection,
                                     &a.timeout))
        return NULL;
    if (type < AW_INDEX_NUMERIC || type > AW_INDEX_GEO2DSPHERE)
        return PyErr_Format(PyExc_ValueError, "index data type %d is not INDEX_NUMERIC, "
                            "INDEX_STRING, INDEX_BLOB or INDEX_GEO2DSPHERE", type);
    if (collection < AW_INDEX_DEFAULT || collection > AW_INDEX_MAPVALUES)
        return PyErr_Format(PyExc_ValueError, "index collection %d is not INDEX_TYPE_DEFAULT, "
                            "_LIST, _MAPKEYS or _MAPVALUES", collection);
    a.spec.type = (aw_index_type)type;
    a.spec.collection = (aw_index_collection)collection;
    if (run_admin(self, create_and_wait, &a) < 0)
        return NULL;
    Py_RETURN_NONE;
}

typedef struct named_args {
    const char *ns, *name;
    unsigned int timeout;
} named_args;

static int drop(aw_client *c, void *arg, aw_error *err) {
    named_args *a = arg;
    return aw_index_drop(c, a->ns, a->name, a->timeout, err);
}

PyObject *pyaw_index_remove(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"ns", "name", "timeout", NULL};
    named_args a = {NULL, NULL, 0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ss|I:_index_remove", kwlist, &a.ns, &a.name,
                                     &a.timeout))
        return NULL;
    if (run_admin(self, drop, &a) < 0)
        return NULL;
    Py_RETURN_NONE;
}

typedef struct list_args {
    const char *ns;
    aw_index_info *info;
    size_t n;
} list_args;

static int list(aw_client *c, void *arg, aw_error *err) {
    list_args *a = arg;
    return aw_index_list(c, a->ns, &a->info, &a->n, err);
}

/* _index_list(ns=None) -> [(ns, name, set or None, bin or None, type,
 * collection, readable)]. */
PyObject *pyaw_index_list(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"ns", NULL};
    list_args a = {NULL, NULL, 0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|z:_index_list", kwlist, &a.ns) ||
        run_admin(self, list, &a) < 0)
        return NULL;
    PyObject *rows = PyList_New((Py_ssize_t)a.n);
    for (size_t i = 0; rows && i < a.n; i++) {
        const aw_index_info *x = &a.info[i];
        PyObject *row = Py_BuildValue("(sszziiO)", x->ns, x->name, x->set[0] ? x->set : NULL,
                                      x->bin[0] ? x->bin : NULL, (int)x->type,
                                      (int)x->collection, x->readable ? Py_True : Py_False);
        if (!row)
            Py_CLEAR(rows);
        else
            PyList_SET_ITEM(rows, (Py_ssize_t)i, row);
    }
    aw_free(a.info);
    return rows;
}

typedef struct truncate_args {
    const char *ns, *set;
    unsigned long long nanos;
    unsigned int timeout;
} truncate_args;

static int truncate_set(aw_client *c, void *arg, aw_error *err) {
    truncate_args *a = arg;
    return aw_truncate(c, a->ns, a->set, a->nanos, a->timeout, err);
}

PyObject *pyaw_truncate(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"ns", "set", "nanos", "timeout", NULL};
    truncate_args a = {NULL, NULL, 0, 0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "sz|KI:truncate", kwlist, &a.ns, &a.set,
                                     &a.nanos, &a.timeout) ||
        run_admin(self, truncate_set, &a) < 0)
        return NULL;
    Py_RETURN_NONE;
}

typedef struct job_args {
    unsigned long long id;
    unsigned int timeout, interval;
    aw_job_info info;
} job_args;

static int job_status(aw_client *c, void *arg, aw_error *err) {
    job_args *a = arg;
    return aw_job_status(c, a->id, &a->info, err);
}

static int job_wait(aw_client *c, void *arg, aw_error *err) {
    job_args *a = arg;
    return aw_job_wait(c, a->id, a->interval, a->timeout, err);
}

/* _job_info(job_id) -> (state, progress_pct, records_succeeded, records_failed) */
PyObject *pyaw_job_info(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"job_id", NULL};
    job_args a = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "K:_job_info", kwlist, &a.id) ||
        run_admin(self, job_status, &a) < 0)
        return NULL;
    return Py_BuildValue("(iIKK)", (int)a.info.state, a.info.progress_pct,
                         (unsigned long long)a.info.records_succeeded,
                         (unsigned long long)a.info.records_failed);
}

PyObject *pyaw_job_wait(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"job_id", "timeout", "interval", NULL};
    job_args a = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "K|II:job_wait", kwlist, &a.id, &a.timeout,
                                     &a.interval) ||
        run_admin(self, job_wait, &a) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* A background job's ops: the op dicts of operate, through its converter.
 * A job only writes: a read op is refused here (the server would refuse
 * the whole job), and so is a touch with a ttl, which a job takes from
 * its policy's "ttl". */
static int bg_ops_from_py(PyObject *seq, aw_op **ops, size_t *n, pyaw_conv *c) {
    PyObject *touch_ttl;
    if (pyaw_ops_from_py(seq, ops, n, &touch_ttl, c) < 0)
        return -1;
    if (touch_ttl && !(PyLong_Check(touch_ttl) && PyLong_AsLong(touch_ttl) == 0)) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError,
                        "a background job's touch takes its ttl from the policy's 'ttl'");
        return -1;
    }
    for (size_t i = 0; i < *n; i++) {
        uint8_t t = (*ops)[i].type;
        if (t == AW_OP_READ || t == AW_OP_CDT_READ || t == AW_OP_EXP_READ ||
            t == AW_OP_BIT_READ || t == AW_OP_HLL_READ) {
            PyErr_Format(PyExc_ValueError,
                         "ops[%zu] reads, it is not a write op: a job only writes", i);
            return -1;
        }
    }
    return 0;
}

typedef struct job_start_args {
    pyaw_query_args *a;
    const aw_policy *write_policy;
    uint64_t id;
} job_start_args;

static int job_start(aw_client *c, void *arg, aw_error *err) {
    job_start_args *j = arg;
    return aw_query_background(c, &j->a->pol, j->write_policy, &j->a->q, &j->id, err);
}

/* _query_background(spec, policy, ops, job_id=0) -> job id. policy: query
 * keys and write keys (ttl, exists, durable_delete, ...) in one dict. */
PyObject *pyaw_query_background(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"spec", "policy", "ops", "job_id", NULL};
    PyObject *spec, *policy, *ops_o, *extra = NULL;
    unsigned long long job = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OO|K:_query_background", kwlist,
                                     &PyTuple_Type, &spec, &policy, &ops_o, &job))
        return NULL;
    pyaw_query_args a;
    if (pyaw_query_args_init(&a, spec, policy, &extra) < 0)
        return NULL;
    aw_policy wp;
    aw_op *ops;
    job_start_args j = {&a, &wp, job};
    PyObject *result = NULL;
    if (pyaw_policy_from_py(extra, &self->cfg.write_policy, PYAW_POLICY_WRITE, &wp) == 0 &&
        bg_ops_from_py(ops_o, &ops, &a.q.n_ops, &a.conv) == 0) {
        a.q.ops = ops;
        if (run_admin(self, job_start, &j) == 0)
            result = PyLong_FromUnsignedLongLong(j.id);
    }
    Py_XDECREF(extra);
    pyaw_query_args_free(&a);
    return result;
}
