/*
 * aw_loop_hooks over an asyncio event loop: aerowire's async engine driven
 * by the application's own loop, with no thread of its own. A socket is
 * watched with loop.add_reader / add_writer, a timer is a loop.call_later
 * handle and the deferred run a loop.call_soon. asyncio calls back into the
 * engine through AioEvent objects: small callables naming the C callback.
 *
 * The GIL: every hook runs with it held. The engine is entered only from
 * AsyncClient's methods and from AioEvent calls, both made by Python code;
 * AsyncClient closes its loops (with the GIL) before it closes the client,
 * so aw_client_close never reaches a hook from a thread without it.
 *
 * A hook cannot fail towards the engine: an asyncio error (the loop was
 * closed under us) is dropped, since the engine could do nothing with it;
 * the AsyncClient closes the aw_loop of a closed asyncio loop when it sees it.
 */
#include "pyaw.h"

#include "loop_hooks.h"

/* The loop's bound methods, looked up once per attachment. */
typedef struct aio_ctx {
    PyObject *add_reader, *remove_reader, *add_writer, *remove_writer;
    PyObject *call_later, *call_soon;
} aio_ctx;

/* What asyncio calls: one direction of an fd watcher, a timer or a deferred
 * call. The engine owns one reference; asyncio's handles hold others, so a
 * handle already queued when the engine frees the event finds the callbacks
 * cleared and does nothing. */
typedef struct aio_event {
    PyObject_HEAD
    aio_ctx *ctx;         /* NULL once the engine freed the event */
    aw_io_cb io_cb;       /* an fd watcher's direction, or... */
    aw_timer_cb timer_cb; /* ...a timer or deferred call */
    void *arg;
    int fd;
    short events;         /* AW_EV_READ or AW_EV_WRITE (a watcher) */
    PyObject *handle;     /* the pending asyncio handle (a timer or deferred call) */
} aio_event;

/* An fd watcher: a read and a write event, added to asyncio as asked. */
typedef struct aio_io {
    aio_event *rd, *wr;
    PyObject *fd;         /* the fd as an int object, for the loop's methods */
    short watching;
} aio_io;

static PyObject *str_cancel;

/* Engine callbacks running (on any thread: the count is under the GIL), and
 * what must wait until none is (pyaw_aio_release_later). */
static int depth;
static PyObject *deferred;

/* A hook's asyncio call failed: asyncio raises only when the loop is closed
 * (RuntimeError); anything else is reported as unraisable. */
static void call_failed(PyObject *fn) {
    if (PyErr_ExceptionMatches(PyExc_RuntimeError))
        PyErr_Clear();
    else
        PyErr_WriteUnraisable(fn);
}

static PyObject *call(PyObject *fn, PyObject *a, PyObject *b) {
    PyObject *args[2] = {a, b};
    PyObject *r = PyObject_Vectorcall(fn, args, b ? 2 : 1, NULL);
    if (!r)
        call_failed(fn);
    return r;
}

static void call_void(PyObject *fn, PyObject *a, PyObject *b) {
    Py_XDECREF(call(fn, a, b));
}

static void cancel_handle(aio_event *ev) {
    PyObject *h = ev->handle;
    if (!h)
        return;
    ev->handle = NULL;
    PyObject *r = PyObject_CallMethodNoArgs(h, str_cancel);
    if (!r)
        call_failed(h);
    Py_XDECREF(r);
    Py_DECREF(h);
}

/* ---- AioEvent: what asyncio calls ---- */

static PyObject *event_call(aio_event *ev, PyObject *args, PyObject *kwds) {
    depth++;
    if (ev->io_cb) {
        ev->io_cb(ev->fd, ev->events, ev->arg);
    } else if (ev->timer_cb) {
        Py_CLEAR(ev->handle); /* it is running: nothing to cancel any more */
        ev->timer_cb(ev->arg);
    }
    if (--depth == 0 && deferred) {
        PyObject *d = deferred;
        deferred = NULL;
        Py_DECREF(d);
    }
    /* The engine never leaves an exception set (completions deal with
     * theirs); should one be, it is not the loop's to handle. */
    if (PyErr_Occurred())
        PyErr_WriteUnraisable((PyObject *)ev);
    Py_RETURN_NONE;
}

static void event_dealloc(aio_event *ev) {
    Py_XDECREF(ev->handle);
    Py_TYPE(ev)->tp_free((PyObject *)ev);
}

static PyTypeObject AioEventType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire._aerowire.AioEvent",
    .tp_basicsize = sizeof(aio_event),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A socket, timer or deferred-call event of an AsyncClient's engine.",
    .tp_call = (ternaryfunc)event_call,
    .tp_dealloc = (destructor)event_dealloc,
};

static aio_event *event_new(aio_ctx *ctx, void *arg) {
    aio_event *ev = PyObject_New(aio_event, &AioEventType);
    if (!ev) {
        PyErr_Clear(); /* the engine sees NULL: no memory */
        return NULL;
    }
    ev->ctx = ctx;
    ev->io_cb = NULL;
    ev->timer_cb = NULL;
    ev->arg = arg;
    ev->fd = -1;
    ev->events = 0;
    ev->handle = NULL;
    return ev;
}

/* The engine is done with ev: late asyncio calls find nothing to run. */
static void event_release(aio_event *ev) {
    cancel_handle(ev);
    ev->io_cb = NULL;
    ev->timer_cb = NULL;
    ev->ctx = NULL;
    Py_DECREF(ev);
}

/* ---- fd watchers ---- */

static void *io_new(void *ctx, int fd, aw_io_cb cb, void *arg) {
    aio_io *io = PyMem_Calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->fd = PyLong_FromLong(fd);
    io->rd = event_new(ctx, arg);
    io->wr = event_new(ctx, arg);
    if (!io->fd || !io->rd || !io->wr) {
        PyErr_Clear();
        Py_XDECREF(io->fd);
        Py_XDECREF(io->rd);
        Py_XDECREF(io->wr);
        PyMem_Free(io);
        return NULL;
    }
    io->rd->io_cb = io->wr->io_cb = cb;
    io->rd->fd = io->wr->fd = fd;
    io->rd->events = AW_EV_READ;
    io->wr->events = AW_EV_WRITE;
    return io;
}

static void io_update(void *p, short events) {
    aio_io *io = p;
    aio_ctx *ctx = io->rd->ctx;
    short add = (short)(events & ~io->watching), del = (short)(io->watching & ~events);
    io->watching = events;
    if (add & AW_EV_READ)
        call_void(ctx->add_reader, io->fd, (PyObject *)io->rd);
    if (add & AW_EV_WRITE)
        call_void(ctx->add_writer, io->fd, (PyObject *)io->wr);
    if (del & AW_EV_READ)
        call_void(ctx->remove_reader, io->fd, NULL);
    if (del & AW_EV_WRITE)
        call_void(ctx->remove_writer, io->fd, NULL);
}

static void io_free(void *p) {
    aio_io *io = p;
    io_update(io, 0); /* asyncio cancels a handle it has already queued */
    event_release(io->rd);
    event_release(io->wr);
    Py_DECREF(io->fd);
    PyMem_Free(io);
}

/* ---- timers and the deferred run ---- */

static void *timer_new(void *ctx, aw_timer_cb cb, void *arg) {
    aio_event *ev = event_new(ctx, arg);
    if (ev)
        ev->timer_cb = cb;
    return ev;
}

static void timer_start(void *p, uint32_t ms) {
    aio_event *ev = p;
    cancel_handle(ev);
    PyObject *delay = PyFloat_FromDouble(ms / 1000.0);
    if (!delay) {
        PyErr_Clear();
        return;
    }
    ev->handle = call(ev->ctx->call_later, delay, (PyObject *)ev);
    Py_DECREF(delay);
}

static void timer_stop(void *p) { cancel_handle(p); }

static void timer_free(void *p) { event_release(p); }

static void defer_schedule(void *p) {
    aio_event *ev = p;
    cancel_handle(ev); /* never pending here: the engine schedules once per run */
    ev->handle = call(ev->ctx->call_soon, (PyObject *)ev, NULL);
}

static void detach(void *p) {
    aio_ctx *ctx = p;
    Py_XDECREF(ctx->add_reader);
    Py_XDECREF(ctx->remove_reader);
    Py_XDECREF(ctx->add_writer);
    Py_XDECREF(ctx->remove_writer);
    Py_XDECREF(ctx->call_later);
    Py_XDECREF(ctx->call_soon);
    PyMem_Free(ctx);
}

void pyaw_aio_release_later(PyObject *o) {
    if (depth > 0) {
        if (!deferred)
            deferred = PyList_New(0);
        if (deferred && PyList_Append(deferred, o) == 0) {
            Py_DECREF(o);
            return;
        }
        /* No memory: keeping it alive for ever is the safe failure. */
        PyErr_Clear();
        return;
    }
    Py_DECREF(o);
}

int pyaw_aio_ready(void) {
    if (!str_cancel && !(str_cancel = PyUnicode_InternFromString("cancel")))
        return -1;
    return PyType_Ready(&AioEventType);
}

int pyaw_aio_attach(aw_client *client, PyObject *aio_loop, aw_loop **out) {
    aio_ctx *ctx = PyMem_Calloc(1, sizeof *ctx);
    if (!ctx) {
        PyErr_NoMemory();
        return -1;
    }
    if (!(ctx->add_reader = PyObject_GetAttrString(aio_loop, "add_reader")) ||
        !(ctx->remove_reader = PyObject_GetAttrString(aio_loop, "remove_reader")) ||
        !(ctx->add_writer = PyObject_GetAttrString(aio_loop, "add_writer")) ||
        !(ctx->remove_writer = PyObject_GetAttrString(aio_loop, "remove_writer")) ||
        !(ctx->call_later = PyObject_GetAttrString(aio_loop, "call_later")) ||
        !(ctx->call_soon = PyObject_GetAttrString(aio_loop, "call_soon"))) {
        detach(ctx);
        return -1;
    }
    aw_loop_hooks h = {
        .ctx = ctx,
        .io_new = io_new,
        .io_update = io_update,
        .io_free = io_free,
        .timer_new = timer_new,
        .timer_start = timer_start,
        .timer_stop = timer_stop,
        .timer_free = timer_free,
        .defer_new = timer_new, /* the same shape: an event without an fd */
        .defer_schedule = defer_schedule,
        .defer_free = timer_free,
        .detach = detach,
    };
    aw_error err;
    if (aw_loop_new(client, &h, out, &err) != AW_OK) {
        detach(ctx); /* not attached: detach is not called */
        pyaw_raise(&err);
        return -1;
    }
    return 0;
}
