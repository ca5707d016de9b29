/*
 * QueryRun: a scan or query of an AsyncClient, run by aerowire's async
 * engine on the running asyncio loop (aw_query_foreach_async,
 * aw_query_into_async), with no thread of its own. aerowire._async_query
 * drives it; its modes:
 *
 *  RUN_LIST     every record into one list (results())
 *  RUN_FOREACH  a Python callback per record (foreach(); False stops)
 *  RUN_ROWS     every record into one growing block of rows (results(_dtype))
 *  RUN_RECORDS  records queued for an async iterator (records())
 *  RUN_CHUNKS   chunks of rows queued for an async iterator (chunks())
 *
 * Back-pressure (the iterators): when `window` items are queued the
 * callback answers AW_QUERY_PAUSE, so the engine reads no socket until
 * take() has brought the queue down to window / 2 and resumed it.
 *
 * Lifetime: the engine holds a reference to the run from the start until
 * its done callback, which comes exactly once, on the loop (also when the
 * client closes: CLIENT_CLOSING). Everything the engine borrows (the
 * statement, the policy's filter, the cursor, the row buffers) belongs to
 * the run and is released only there: a consumer that stops awaiting, is
 * cancelled or aborts frees nothing early.
 *
 * The cursor: results() put it back as it was on entry when they fail
 * (nothing reached Python, so the same call can be made again); foreach()
 * keeps what the callback got; chunks() put it back, when the consumer
 * closes the iterator early, to right after the last chunk it took (each
 * chunk carries the cursor's bytes as they were after it, as the sync
 * chunks() do); records() count what is queued (at most `window` records
 * ahead of the consumer; window 1 is exact).
 */
#include "pyaw_async.h"
#include "pyaw_query.h"

#include <stdlib.h>
#include <string.h>

#include "loop_hooks.h"

enum run_mode { RUN_LIST, RUN_FOREACH, RUN_ROWS, RUN_RECORDS, RUN_CHUNKS };

typedef struct RunObject {
    PyObject_HEAD
    PyObject *owner;         /* the AsyncClient, held until done */
    PyObject *create_future; /* the loop's; held */
    aw_query_handle *handle; /* valid while running */
    int running;             /* submitted, done not yet come */
    enum run_mode mode;
    pyaw_query_args a;
    int have_args;
    PyObject *cursor_o;      /* the PartitionStatus (or None) */
    aw_partition_status *cursor; /* in use while held: until done, or for chunks()
                                  * until the consumer took them all or closed */
    int cursor_held;
    PyObject *restore;       /* bytes the cursor is put back to at the end, or NULL */
    aw_dtype *dt;
    size_t itemsize, chunk_rows;
    pyaw_grow grow;          /* RUN_ROWS, or RUN_CHUNKS' block being filled */
    aw_rows_buffer buf;      /* the engine's pointer to it, read until done */
    PyObject *queue;         /* list: Records, or (rows, meta, codes, n) chunks */
    Py_ssize_t head;         /* queue[head:] not yet taken */
    size_t window;           /* queued items that pause the engine; 0 = never */
    PyObject *callback;      /* RUN_FOREACH */
    PyObject *taken;         /* RUN_CHUNKS: cursor bytes after the last chunk taken */
    PyObject *waiter;        /* the Future a consumer awaits, or NULL */
    PyObject *error;         /* the exception it ended with (or will) */
    int stop_ok;             /* a STOP that is a normal end (foreach said False) */
    int closed;              /* the consumer closed it (abort) */
    int finished;            /* done came */
} RunObject;

static PyObject *str_done;

static int future_done(PyObject *f) {
    PyObject *r = PyObject_CallMethodNoArgs(f, str_done);
    int d = r ? PyObject_IsTrue(r) : 1;
    if (!r)
        PyErr_Clear();
    Py_XDECREF(r);
    return d;
}

/* Wakes the consumer awaiting the run, if any. */
static void wake(RunObject *r) {
    PyObject *w = r->waiter;
    if (!w)
        return;
    r->waiter = NULL;
    if (!future_done(w))
        pyaw_future_settle(w, (Py_INCREF(Py_None), Py_None), 0);
    Py_DECREF(w);
}

/* The run ends with the exception being raised (the first one counts);
 * the engine is told to stop. */
static aw_query_flow fail_now(RunObject *r) {
    if (!r->error) {
        PyObject *type, *tb;
        PyErr_Fetch(&type, &r->error, &tb);
        PyErr_NormalizeException(&type, &r->error, &tb);
        if (r->error && tb)
            PyException_SetTraceback(r->error, tb);
        Py_XDECREF(type);
        Py_XDECREF(tb);
    }
    PyErr_Clear();
    return AW_QUERY_STOP;
}

static aw_query_flow queued(RunObject *r, PyObject *item) {
    if (!item)
        return fail_now(r);
    if (r->closed) { /* aborted: the last chunk still comes, for nobody */
        Py_DECREF(item);
        return AW_QUERY_STOP;
    }
    int rc = PyList_Append(r->queue, item);
    Py_DECREF(item);
    if (rc < 0)
        return fail_now(r);
    if (r->mode == RUN_LIST || r->mode == RUN_ROWS)
        return AW_QUERY_CONTINUE; /* the whole result comes at the end */
    wake(r);
    if (r->window && (size_t)(PyList_GET_SIZE(r->queue) - r->head) >= r->window)
        return AW_QUERY_PAUSE;
    return AW_QUERY_CONTINUE;
}

static aw_query_flow on_record(const aw_key *key, aw_record *rec, void *udata) {
    RunObject *r = udata;
    PyObject *record = pyaw_scanned_record(key, rec);
    if (r->mode != RUN_FOREACH)
        return queued(r, record);
    if (!record)
        return fail_now(r);
    PyObject *res = PyObject_CallOneArg(r->callback, record);
    Py_DECREF(record);
    if (!res)
        return fail_now(r);
    int stop = res == Py_False;
    Py_DECREF(res);
    r->stop_ok |= stop;
    return stop ? AW_QUERY_STOP : AW_QUERY_CONTINUE;
}

/* ---- rows ---- */

static aw_query_flow on_rows(aw_rows_buffer *buf, size_t n, void *udata) {
    RunObject *r = udata;
    return pyaw_grow_chunk(&r->grow, buf, n) ? AW_QUERY_CONTINUE : AW_QUERY_STOP;
}

/* A fresh chunk block of chunk_rows rows into r->grow and *buf. */
static int chunk_block(RunObject *r, aw_rows_buffer *buf, aw_error *err) {
    return pyaw_grow_start(&r->grow, r->itemsize, r->chunk_rows, buf, err);
}

static aw_query_flow on_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    RunObject *r = udata;
    if (n == 0)
        return AW_QUERY_CONTINUE;
    PyObject *after = NULL;
    if (r->cursor) {
        if (!(after = pyaw_pstatus_bytes(r->cursor)))
            return fail_now(r);
    } else {
        Py_INCREF(Py_None);
        after = Py_None;
    }
    r->grow.n = n;
    PyObject *rows = pyaw_grow_result(&r->grow); /* the block is the chunk's now */
    PyObject *item = rows ? Py_BuildValue("(NN)", rows, after) : (Py_DECREF(after), NULL);
    aw_error err;
    if (item && chunk_block(r, buf, &err) != AW_OK) {
        Py_DECREF(item);
        pyaw_raise(&err);
        return fail_now(r);
    }
    return queued(r, item);
}

/* ---- the end ---- */

static void put_back(RunObject *r, PyObject *bytes) {
    aw_partition_status *back;
    if (bytes && PyBytes_Check(bytes) &&
        aw_partition_status_read((const uint8_t *)PyBytes_AS_STRING(bytes),
                                 (size_t)PyBytes_GET_SIZE(bytes), &back, NULL) == AW_OK)
        pyaw_pstatus_swap(r->cursor_o, back);
}

/* Lets go of the cursor, put back where asked: results() that failed or
 * were cancelled to where it was on entry, chunks() closed early to right
 * after the last chunk taken. */
static void end_cursor(RunObject *r) {
    if (!r->cursor_held)
        return;
    r->cursor_held = 0;
    if (r->cursor && r->mode == RUN_CHUNKS && r->closed)
        put_back(r, r->taken);
    else if (r->cursor && (r->error || r->closed) && r->restore &&
             (r->mode == RUN_LIST || r->mode == RUN_ROWS))
        put_back(r, r->restore);
    r->cursor = NULL;
    pyaw_pstatus_release(r->cursor_o);
}

/* Releases what the engine borrowed (the cursor too, unless chunks are
 * still queued for the consumer). */
static void release_engine_args(RunObject *r) {
    if (r->mode != RUN_CHUNKS || !r->queue || r->head == PyList_GET_SIZE(r->queue))
        end_cursor(r);
    if (r->have_args) {
        pyaw_query_args_free(&r->a);
        r->have_args = 0;
    }
    aw_dtype_free(r->dt);
    r->dt = NULL;
}

static void on_done(const aw_error *err, void *udata) {
    RunObject *r = udata;
    r->running = 0;
    r->finished = 1;
    r->handle = NULL;
    int ok = !err || (err->code == AW_ERR_CLIENT_ABORT && r->stop_ok);
    if (r->mode == RUN_ROWS) {
        aw_error e;
        if (err)
            e = *err;
        if (pyaw_grow_end(&r->grow, ok ? AW_OK : e.code, &e) != AW_OK)
            ok = 0, err = &e;
        if (ok && !r->error) {
            PyObject *rows = pyaw_grow_result(&r->grow);
            if (!rows || PyList_Append(r->queue, rows) < 0)
                fail_now(r);
            Py_XDECREF(rows);
        }
    }
    if (!ok && !r->error && !(r->closed && err->code == AW_ERR_CLIENT_ABORT) &&
        !(r->error = pyaw_exception(err)))
        fail_now(r); /* the exception could not be made: keep what was raised */
    if (PyErr_Occurred())
        PyErr_Clear();
    pyaw_grow_free(&r->grow);
    release_engine_args(r);
    wake(r);
    /* The engine's reference, and through the run the client's: dropped
     * once no engine callback is on the stack. */
    pyaw_aio_release_later((PyObject *)r);
}

/* ---- starting ---- */

static int start(RunObject *r, aw_loop *loop, aw_error *err) {
    aw_query_policy *pol = &r->a.pol;
    aw_query *q = &r->a.q;
    if (r->mode == RUN_ROWS || r->mode == RUN_CHUNKS) {
        int rc = r->mode == RUN_ROWS
                     ? pyaw_grow_start(&r->grow, r->itemsize,
                                       pyaw_grow_first_rows(pol->max_records), &r->buf, err)
                     : chunk_block(r, &r->buf, err);
        if (rc != AW_OK)
            return rc;
        return aw_query_into_async(loop, pol, q, r->cursor, r->dt, &r->buf,
                                   r->mode == RUN_ROWS ? on_rows : on_chunk, on_done, r,
                                   &r->handle, err);
    }
    return aw_query_foreach_async(loop, pol, q, r->cursor, on_record, on_done, r, &r->handle,
                                  err);
}

PyObject *pyaw_async_query_run(PyObject *client, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"spec",  "policy", "cursor",   "mode",       "callback", "window",
                             "descr", "align",  "itemsize", "chunk_rows", NULL};
    PyObject *spec, *policy, *cursor_o, *callback = Py_None;
    int mode, align = 0;
    Py_ssize_t window = 0, itemsize = 0, chunk_rows = 0;
    const char *descr = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOi|Onzpnn:_query_run", kwlist,
                                     &PyTuple_Type, &spec, &policy, &cursor_o, &mode, &callback,
                                     &window, &descr, &align, &itemsize, &chunk_rows))
        return NULL;
    if (mode < RUN_LIST || mode > RUN_CHUNKS)
        return PyErr_Format(PyExc_ValueError, "unknown run mode %d", mode);
    if (mode == RUN_FOREACH && !PyCallable_Check(callback))
        return PyErr_Format(PyExc_TypeError, "callback must be callable, not %s",
                            Py_TYPE(callback)->tp_name);
    if (window < 0)
        return PyErr_Format(PyExc_ValueError, "window must be at least 1, not %zd", window);
    int rows_mode = mode == RUN_ROWS || mode == RUN_CHUNKS;
    if (rows_mode && (!descr || itemsize < 1))
        return PyErr_Format(PyExc_TypeError, "a rows run needs descr and itemsize");
    if (mode == RUN_CHUNKS &&
        (chunk_rows < 1 || (size_t)chunk_rows > SIZE_MAX / 2 / (size_t)itemsize))
        return PyErr_Format(PyExc_ValueError, "chunk_rows must be at least 1, not %zd",
                            chunk_rows);
    aw_loop *loop;
    PyObject *create_future;
    if (pyaw_async_loop(client, &loop, &create_future) < 0)
        return NULL;
    RunObject *r = PyObject_New(RunObject, &pyaw_QueryRunType);
    if (!r)
        return NULL;
    memset((char *)r + sizeof(PyObject), 0, sizeof *r - sizeof(PyObject));
    r->mode = (enum run_mode)mode;
    r->window = (size_t)window;
    r->itemsize = (size_t)itemsize;
    r->chunk_rows = (size_t)chunk_rows;
    Py_INCREF(client);
    r->owner = client;
    Py_INCREF(create_future);
    r->create_future = create_future;
    if (!(r->queue = PyList_New(0)))
        goto fail;
    if (mode == RUN_FOREACH) {
        Py_INCREF(callback);
        r->callback = callback;
    }
    if (rows_mode && pyaw_dtype_parse(descr, align ? AW_DTYPE_ALIGN : 0, itemsize, &r->dt) < 0)
        goto fail;
    if (pyaw_query_args_init(&r->a, spec, policy, NULL) < 0)
        goto fail;
    r->have_args = 1;
    if (pyaw_pstatus_acquire(cursor_o, &r->cursor) < 0)
        goto fail;
    Py_INCREF(cursor_o);
    r->cursor_o = cursor_o;
    r->cursor_held = 1;
    if (r->cursor && (mode == RUN_LIST || mode == RUN_ROWS || mode == RUN_CHUNKS)) {
        if (!(r->restore = pyaw_pstatus_bytes(r->cursor)))
            goto fail;
        Py_INCREF(r->restore);
        r->taken = r->restore;
    }
    aw_error err;
    if (start(r, loop, &err) != AW_OK) {
        pyaw_grow_free(&r->grow);
        pyaw_raise(&err);
        goto fail;
    }
    r->running = 1;
    Py_INCREF(r); /* the engine's, until on_done */
    return (PyObject *)r;
fail:
    Py_DECREF(r); /* dealloc releases what was taken */
    return NULL;
}

/* ---- the consumer's side ---- */

/* take() -> the next queued item (a Record, or a chunk (rows, after) for
 * RUN_CHUNKS), resuming the engine once the queue is down to window / 2;
 * None when nothing is queued yet; StopAsyncIteration at the end, or the
 * run's exception once every item was taken. */
static PyObject *run_take(RunObject *r, PyObject *unused) {
    Py_ssize_t n = PyList_GET_SIZE(r->queue);
    if (r->head < n) {
        PyObject *item = PyList_GET_ITEM(r->queue, r->head);
        Py_INCREF(item);
        if (++r->head == n) {
            if (PyList_SetSlice(r->queue, 0, n, NULL) < 0) {
                Py_DECREF(item);
                return NULL;
            }
            r->head = 0;
        }
        if (r->mode == RUN_CHUNKS) {
            Py_XSETREF(r->taken, PyTuple_GET_ITEM(item, 1));
            Py_INCREF(r->taken);
        }
        if (r->running && r->handle && aw_query_paused(r->handle) &&
            (size_t)(PyList_GET_SIZE(r->queue) - r->head) <= r->window / 2)
            aw_query_resume(r->handle);
        return item;
    }
    if (!r->finished)
        Py_RETURN_NONE;
    end_cursor(r); /* chunks(): all taken */
    if (r->error) {
        PyErr_SetObject((PyObject *)Py_TYPE(r->error), r->error);
        return NULL;
    }
    PyErr_SetNone(PyExc_StopAsyncIteration);
    return NULL;
}

/* wait() -> a Future done when an item is queued (iterators) or the run
 * has ended. */
static PyObject *run_wait(RunObject *r, PyObject *unused) {
    PyObject *f = PyObject_CallNoArgs(r->create_future);
    if (!f)
        return NULL;
    int ready = r->finished || ((r->mode == RUN_RECORDS || r->mode == RUN_CHUNKS) &&
                                r->head < PyList_GET_SIZE(r->queue));
    if (ready) {
        pyaw_future_settle(f, (Py_INCREF(Py_None), Py_None), 0);
    } else {
        Py_XSETREF(r->waiter, f);
        Py_INCREF(f);
    }
    return f;
}

/* result() -> the whole result of RUN_LIST (the records) or RUN_ROWS
 * ((rows, meta, codes, n)); None for RUN_FOREACH; raises the run's error. */
static PyObject *run_result(RunObject *r, PyObject *unused) {
    if (!r->finished)
        return PyErr_Format(PyExc_RuntimeError, "the scan has not ended");
    if (r->error) {
        PyErr_SetObject((PyObject *)Py_TYPE(r->error), r->error);
        return NULL;
    }
    if (r->mode == RUN_LIST) {
        Py_INCREF(r->queue);
        return r->queue;
    }
    if (r->mode == RUN_ROWS && PyList_GET_SIZE(r->queue) == 1) {
        PyObject *rows = PyList_GET_ITEM(r->queue, 0);
        Py_INCREF(rows);
        return rows;
    }
    Py_RETURN_NONE;
}

/* abort(): stops every node's stream (the end comes from the loop, with
 * no error of its own); the queued items are dropped. Call it on the
 * loop's thread. */
static PyObject *run_abort(RunObject *r, PyObject *unused) {
    r->closed = 1;
    if (r->running && r->handle)
        aw_query_abort(r->handle);
    if (PyList_SetSlice(r->queue, r->head, PyList_GET_SIZE(r->queue), NULL) < 0)
        return NULL;
    if (r->finished)
        end_cursor(r); /* chunks() the consumer did not take go back */
    Py_RETURN_NONE;
}

static PyObject *run_get_running(RunObject *r, void *closure) {
    return PyBool_FromLong(r->running);
}

static PyObject *run_get_paused(RunObject *r, void *closure) {
    return PyBool_FromLong(r->running && r->handle && aw_query_paused(r->handle));
}

static PyObject *run_get_queued(RunObject *r, void *closure) {
    return PyLong_FromSsize_t(PyList_GET_SIZE(r->queue) - r->head);
}

static void run_dealloc(RunObject *r) {
    /* Never while running: the engine holds a reference until on_done. */
    pyaw_grow_free(&r->grow);
    r->closed = 1; /* dropped: chunks it still queued were never taken */
    end_cursor(r);
    release_engine_args(r);
    Py_XDECREF(r->cursor_o);
    Py_XDECREF(r->restore);
    Py_XDECREF(r->taken);
    Py_XDECREF(r->queue);
    Py_XDECREF(r->callback);
    Py_XDECREF(r->waiter);
    Py_XDECREF(r->error);
    Py_XDECREF(r->create_future);
    Py_XDECREF(r->owner);
    PyObject_Free(r);
}

static PyMethodDef run_methods[] = {
    {"take", (PyCFunction)run_take, METH_NOARGS,
     "take() -> the next queued item, None when none yet; StopAsyncIteration at the end."},
    {"wait", (PyCFunction)run_wait, METH_NOARGS,
     "wait() -> Future done when an item is queued or the run ended."},
    {"result", (PyCFunction)run_result, METH_NOARGS,
     "result() -> the whole result once ended (or its error)."},
    {"abort", (PyCFunction)run_abort, METH_NOARGS,
     "abort(): stops the scan on every node; the end comes from the loop."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef run_getset[] = {
    {"running", (getter)run_get_running, NULL, "Started and not yet ended.", NULL},
    {"paused", (getter)run_get_paused, NULL, "Delivery paused by back-pressure.", NULL},
    {"queued", (getter)run_get_queued, NULL, "Items queued and not taken.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject pyaw_QueryRunType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire._aerowire.QueryRun",
    .tp_basicsize = sizeof(RunObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A scan or query running on an AsyncClient's loop.",
    .tp_dealloc = (destructor)run_dealloc,
    .tp_methods = run_methods,
    .tp_getset = run_getset,
};

int pyaw_query_run_ready(void) {
    if (!str_done && !(str_done = PyUnicode_InternFromString("done")))
        return -1;
    return PyType_Ready(&pyaw_QueryRunType);
}
