/*
 * Scans and queries run on the calling thread: as Records (a list, or a
 * Python callback per record; Client._query_records) or decoded into rows
 * of a numpy dtype (Client._query_rows). The GIL is released for the whole
 * aerowire call and re-acquired only to hand a record to Python; the rows
 * path never needs it until the call returns.
 */
#include "pyaw_query.h"

#include <stdlib.h>
#include <string.h>

/* What a call holds between its argument conversion and its result: the
 * converted statement, the cursor (marked in use) and the cursor's bytes
 * on entry, so a call that fails after delivering nothing to Python puts
 * it back and the same call can simply be made again. */
typedef struct run {
    pyaw_query_args a;
    PyObject *cursor_o;
    aw_partition_status *cursor;
    uint8_t *entry;
    size_t entry_len;
    aw_client *client;
} run;

static int run_start(pyaw_client *self, run *r, PyObject *spec, PyObject *policy,
                     PyObject *cursor_o, int keep_entry) {
    memset(r, 0, sizeof *r);
    if (pyaw_query_args_init(&r->a, spec, policy, NULL) < 0)
        return -1;
    if (pyaw_pstatus_acquire(cursor_o, &r->cursor) < 0) {
        pyaw_query_args_free(&r->a);
        return -1;
    }
    r->cursor_o = cursor_o;
    aw_error err;
    if (r->cursor && keep_entry &&
        aw_partition_status_write(r->cursor, &r->entry, &r->entry_len, &err) != AW_OK) {
        pyaw_raise(&err);
        goto fail;
    }
    if (!(r->client = pyaw_client_enter(self)))
        goto fail;
    return 0;
fail:
    aw_free(r->entry);
    pyaw_pstatus_release(cursor_o);
    pyaw_query_args_free(&r->a);
    return -1;
}

/* Ends the call; failed: put the cursor back as it was on entry. */
static void run_end(pyaw_client *self, run *r, int failed) {
    self->busy--;
    if (failed && r->entry) {
        aw_partition_status *back;
        if (aw_partition_status_read(r->entry, r->entry_len, &back, NULL) == AW_OK)
            pyaw_pstatus_swap(r->cursor_o, back);
    }
    aw_free(r->entry);
    pyaw_pstatus_release(r->cursor_o);
    pyaw_query_args_free(&r->a);
}

/* ---- records ---- */

typedef struct records_ctx {
    PyThreadState *ts;  /* the caller's, saved while aerowire runs */
    PyObject *callback; /* or NULL: append to list */
    PyObject *list;
    int stopped;        /* the callback returned False */
} records_ctx;

static bool on_record(const aw_key *key, aw_record *rec, void *udata) {
    records_ctx *x = udata;
    PyEval_RestoreThread(x->ts);
    PyObject *r = pyaw_scanned_record(key, rec);
    bool go = false;
    if (r && x->list) {
        /* No Python code runs for results(): let Ctrl-C stop the scan here. */
        go = PyList_Append(x->list, r) == 0 && PyErr_CheckSignals() == 0;
    } else if (r) {
        PyObject *res = PyObject_CallFunctionObjArgs(x->callback, r, NULL);
        go = res && res != Py_False;
        x->stopped = res == Py_False;
        Py_XDECREF(res);
    }
    Py_XDECREF(r);
    x->ts = PyEval_SaveThread();
    return go;
}

PyObject *pyaw_query_records(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"spec", "policy", "cursor", "callback", NULL};
    PyObject *spec, *policy = Py_None, *cursor_o = Py_None, *callback = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|OOO:_query_records", kwlist, &PyTuple_Type,
                                     &spec, &policy, &cursor_o, &callback))
        return NULL;
    if (callback != Py_None && !PyCallable_Check(callback))
        return PyErr_Format(PyExc_TypeError, "callback must be callable, not %s",
                            Py_TYPE(callback)->tp_name);
    records_ctx x = {NULL, callback == Py_None ? NULL : callback, NULL, 0};
    if (!x.callback && !(x.list = PyList_New(0)))
        return NULL;
    run r;
    if (run_start(self, &r, spec, policy, cursor_o, x.list != NULL) < 0) {
        Py_XDECREF(x.list);
        return NULL;
    }
    aw_error err;
    x.ts = PyEval_SaveThread();
    int rc = aw_query_foreach(r.client, &r.a.pol, &r.a.q, r.cursor, on_record, &x, &err);
    PyEval_RestoreThread(x.ts);
    int failed = PyErr_Occurred() || (rc != AW_OK && !(rc == AW_ERR_CLIENT_ABORT && x.stopped));
    run_end(self, &r, failed);
    if (failed) {
        Py_XDECREF(x.list);
        return PyErr_Occurred() ? NULL : pyaw_raise(&err);
    }
    if (x.list)
        return x.list;
    Py_RETURN_NONE;
}

/* ---- rows ---- */

static bool on_rows(aw_rows_buffer *buf, size_t n, void *udata) {
    return pyaw_grow_chunk(udata, buf, n);
}

PyObject *pyaw_query_rows(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"spec", "policy", "cursor", "descr", "align", "itemsize", NULL};
    PyObject *spec, *policy, *cursor_o;
    const char *descr;
    int align;
    Py_ssize_t itemsize;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOspn:_query_rows", kwlist, &PyTuple_Type,
                                     &spec, &policy, &cursor_o, &descr, &align, &itemsize))
        return NULL;
    aw_dtype *dt;
    if (pyaw_dtype_parse(descr, align ? AW_DTYPE_ALIGN : 0, itemsize, &dt) < 0)
        return NULL;
    run r;
    if (run_start(self, &r, spec, policy, cursor_o, 1) < 0) {
        aw_dtype_free(dt);
        return NULL;
    }
    pyaw_grow g;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    aw_rows_buffer buf;
    rc = pyaw_grow_start(&g, (size_t)itemsize, pyaw_grow_first_rows(r.a.pol.max_records), &buf,
                         &err);
    if (rc == AW_OK)
        rc = pyaw_grow_end(&g, aw_query_into(r.client, &r.a.pol, &r.a.q, r.cursor, dt, &buf,
                                             on_rows, &g, &err),
                           &err);
    Py_END_ALLOW_THREADS
    aw_dtype_free(dt);
    run_end(self, &r, rc != AW_OK);
    if (rc != AW_OK)
        return pyaw_raise(&err);
    return pyaw_grow_result(&g);
}
