/*
 * The alternative to AsyncClient's design, for bench.py only (not part of
 * the package): aerowire's async engine on a private libevent thread, and
 * asyncio Futures completed from there thread-safely. Only get and put.
 *
 * Commands are converted on the asyncio thread (with the GIL) and queued;
 * an eventfd wakes the libevent thread, which submits them. Completions
 * (the record moved out) are queued back, and a second eventfd, watched by
 * the asyncio loop with add_reader, has the asyncio thread resolve their
 * Futures. The libevent thread never takes the GIL: this is the cheapest
 * form of the design (call_soon_threadsafe per completion would need the
 * GIL there for every one).
 *
 * Built by bench.py against the extension's convert.o and policy.o.
 */
#include "pyaw.h"
#include "pyaw_ops.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <aerowire/adapters/libevent.h>

PyObject *pyaw_Record, *pyaw_Meta, *pyaw_GeoJSON; /* what convert.o uses (module.c's, there) */
static PyObject *make_exception;    /* aerowire.exception._make */

/* policy.o's filter conversion (exp.c's, there): the bench sends no filter. */
int pyaw_exp_from_py(PyObject *o, const aw_exp **out, pyaw_conv *c, const char *what) {
    PyErr_Format(PyExc_ValueError, "%s: not in the bench's thread engine", what);
    return -1;
}
static PyObject *str_set_result, *str_set_exception;

struct Engine;

typedef struct tcmd {
    struct tcmd *next;
    struct Engine *engine;
    int is_put;
    aw_key key;
    aw_bin *bins;
    size_t n_bins;
    aw_policy pol;
    pyaw_conv conv; /* touched on the asyncio thread only */
    PyObject *future, *given;
    int rc;
    aw_error err;
    aw_record rec;
} tcmd;

typedef struct {
    tcmd *head, *tail;
} tqueue;

/* Appends; true when the queue was empty (the other side needs a wake-up). */
static int tq_push(tqueue *q, tcmd *c) {
    c->next = NULL;
    int was_empty = !q->head;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
    return was_empty;
}

typedef struct Engine {
    PyObject_HEAD
    aw_client *client; /* its own: this module has its own copy of libaerowire */
    struct event_base *base;
    aw_loop *loop;
    struct event *sub_ev;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    tqueue sub, done;
    int sub_fd, done_fd;
    int stop;
    PyObject *create_future;
    aw_policy read_pol, write_pol;
} Engine;

static void wake(int fd) {
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof one);
    (void)r;
}

static void drain(int fd) {
    uint64_t n;
    ssize_t r = read(fd, &n, sizeof n);
    (void)r;
}

/* ---- the libevent thread ---- */

static void finish(Engine *e, tcmd *c) {
    pthread_mutex_lock(&e->mu);
    int was_empty = tq_push(&e->done, c);
    pthread_mutex_unlock(&e->mu);
    if (was_empty)
        wake(e->done_fd);
}

static void on_record(const aw_error *err, aw_record *rec, void *udata) {
    tcmd *c = udata;
    Engine *e = c->engine;
    c->rc = err ? err->code : AW_OK;
    if (err)
        c->err = *err;
    else
        aw_record_move(&c->rec, rec);
    finish(e, c);
}

static void on_status(const aw_error *err, void *udata) { on_record(err, NULL, udata); }

static void on_submissions(evutil_socket_t fd, short what, void *arg) {
    Engine *e = arg;
    drain(e->sub_fd);
    pthread_mutex_lock(&e->mu);
    tcmd *c = e->sub.head;
    e->sub.head = e->sub.tail = NULL;
    int stop = e->stop;
    pthread_mutex_unlock(&e->mu);
    while (c) {
        tcmd *next = c->next;
        int rc = c->is_put ? aw_put_async(e->loop, &c->pol, &c->key, c->bins, c->n_bins,
                                          on_status, c, &c->err)
                           : aw_get_async(e->loop, &c->pol, &c->key, NULL, 0, on_record, c,
                                          &c->err);
        if (rc != AW_OK) {
            c->rc = rc;
            finish(e, c);
        }
        c = next;
    }
    if (stop) {
        aw_loop_close(e->loop); /* completes what is in flight */
        e->loop = NULL;
        event_del(e->sub_ev);
    }
}

static void *thread_main(void *arg) {
    Engine *e = arg;
    event_base_dispatch(e->base);
    return NULL;
}

/* ---- the asyncio side ---- */

static PyObject *engine_on_done(Engine *e, PyObject *unused) {
    drain(e->done_fd);
    pthread_mutex_lock(&e->mu);
    tcmd *c = e->done.head;
    e->done.head = e->done.tail = NULL;
    pthread_mutex_unlock(&e->mu);
    while (c) {
        tcmd *next = c->next;
        PyObject *v, *method = str_set_result;
        if (c->rc != AW_OK) {
            v = PyObject_CallFunction(make_exception, "isO", c->rc, c->err.message, Py_False);
            method = str_set_exception;
        } else if (c->is_put) {
            v = Py_NewRef(Py_None);
        } else {
            v = pyaw_record_to_py(&c->rec, &c->key, c->given);
        }
        PyObject *r = v ? PyObject_CallMethodOneArg(c->future, method, v) : NULL;
        if (!r)
            PyErr_Clear();
        Py_XDECREF(r);
        Py_XDECREF(v);
        aw_record_free(&c->rec);
        pyaw_conv_free(&c->conv);
        Py_DECREF(c->future);
        PyMem_RawFree(c);
        c = next;
    }
    Py_RETURN_NONE;
}

static PyObject *submit(Engine *e, PyObject *args, int is_put) {
    PyObject *key_o, *bins_o = NULL;
    if (!PyArg_ParseTuple(args, is_put ? "OO" : "O", &key_o, &bins_o))
        return NULL;
    tcmd *c = PyMem_RawCalloc(1, sizeof *c);
    if (!c)
        return PyErr_NoMemory();
    c->is_put = is_put;
    c->engine = e;
    c->pol = is_put ? e->write_pol : e->read_pol;
    if (pyaw_conv_init(&c->conv) < 0 || pyaw_key_from_py(key_o, &c->key, &c->conv) < 0 ||
        (bins_o && pyaw_bins_from_py(bins_o, &c->bins, &c->n_bins, &c->conv) < 0) ||
        PyList_Append(c->conv.keep, key_o) < 0 ||
        !(c->future = PyObject_CallNoArgs(e->create_future))) {
        pyaw_conv_free(&c->conv);
        PyMem_RawFree(c);
        return NULL;
    }
    c->given = key_o;
    pthread_mutex_lock(&e->mu);
    int was_empty = tq_push(&e->sub, c);
    pthread_mutex_unlock(&e->mu);
    if (was_empty)
        wake(e->sub_fd);
    return Py_NewRef(c->future);
}

static PyObject *engine_get(Engine *e, PyObject *args) { return submit(e, args, 0); }
static PyObject *engine_put(Engine *e, PyObject *args) { return submit(e, args, 1); }

/* Engine("host:port", loop): connects and starts the thread;
 * loop.add_reader(engine.done_fd, engine.on_done) is the caller's. */
static int engine_init(Engine *e, PyObject *args, PyObject *kwds) {
    const char *hosts;
    PyObject *aio;
    if (!PyArg_ParseTuple(args, "sO", &hosts, &aio))
        return -1;
    if (!(e->create_future = PyObject_GetAttrString(aio, "create_future")))
        return -1;
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_client_new(&e->client, &cfg, &err);
    Py_END_ALLOW_THREADS
    if (rc != AW_OK) {
        PyErr_SetString(PyExc_RuntimeError, err.message);
        return -1;
    }
    e->read_pol = aw_policy_read();
    e->write_pol = aw_policy_write();
    pthread_mutex_init(&e->mu, NULL);
    e->sub_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    e->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    e->base = event_base_new();
    if (e->sub_fd < 0 || e->done_fd < 0 || !e->base ||
        aw_libevent_attach(e->client, e->base, &e->loop, &err) != AW_OK) {
        PyErr_SetString(PyExc_RuntimeError, "cannot set up the libevent thread");
        return -1;
    }
    e->sub_ev = event_new(e->base, e->sub_fd, EV_READ | EV_PERSIST, on_submissions, e);
    event_add(e->sub_ev, NULL);
    if (pthread_create(&e->thread, NULL, thread_main, e) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "cannot start the libevent thread");
        return -1;
    }
    e->started = 1;
    return 0;
}

/* stop(): closes the loop on its thread and joins it. The caller then runs
 * on_done once more for what the close completed. */
static PyObject *engine_stop(Engine *e, PyObject *unused) {
    if (e->started) {
        pthread_mutex_lock(&e->mu);
        e->stop = 1;
        pthread_mutex_unlock(&e->mu);
        wake(e->sub_fd);
        Py_BEGIN_ALLOW_THREADS
        pthread_join(e->thread, NULL);
        Py_END_ALLOW_THREADS
        e->started = 0;
    }
    Py_RETURN_NONE;
}

static void engine_dealloc(Engine *e) {
    engine_stop(e, NULL);
    if (e->sub_ev)
        event_free(e->sub_ev);
    if (e->base)
        event_base_free(e->base);
    if (e->sub_fd > 0)
        close(e->sub_fd);
    if (e->done_fd > 0)
        close(e->done_fd);
    Py_XDECREF(e->create_future);
    aw_client_close(e->client);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static PyObject *engine_done_fd(Engine *e, void *unused) { return PyLong_FromLong(e->done_fd); }

static PyMethodDef engine_methods[] = {
    {"get", (PyCFunction)engine_get, METH_VARARGS, "get(key) -> Future[Record]"},
    {"put", (PyCFunction)engine_put, METH_VARARGS, "put(key, bins) -> Future[None]"},
    {"on_done", (PyCFunction)engine_on_done, METH_NOARGS, "resolves the completed Futures"},
    {"stop", (PyCFunction)engine_stop, METH_NOARGS, "closes the loop and joins the thread"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef engine_getset[] = {
    {"done_fd", (getter)engine_done_fd, NULL, "the completions' eventfd", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aw_thread_engine.Engine",
    .tp_basicsize = sizeof(Engine),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)engine_init,
    .tp_dealloc = (destructor)engine_dealloc,
    .tp_methods = engine_methods,
    .tp_getset = engine_getset,
};

static PyObject *make_exception;

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "aw_thread_engine", NULL, -1};

PyMODINIT_FUNC PyInit_aw_thread_engine(void) {
    PyObject *types = PyImport_ImportModule("aerowire._types");
    PyObject *exc = PyImport_ImportModule("aerowire.exception");
    if (!types || !exc)
        return NULL;
    pyaw_Record = PyObject_GetAttrString(types, "Record");
    pyaw_Meta = PyObject_GetAttrString(types, "Meta");
    pyaw_GeoJSON = PyObject_GetAttrString(types, "GeoJSON");
    make_exception = PyObject_GetAttrString(exc, "_make");
    str_set_result = PyUnicode_InternFromString("set_result");
    str_set_exception = PyUnicode_InternFromString("set_exception");
    if (!pyaw_Record || !pyaw_Meta || !pyaw_GeoJSON || !make_exception ||
        PyType_Ready(&EngineType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m && PyModule_AddObjectRef(m, "Engine", (PyObject *)&EngineType) < 0)
        Py_CLEAR(m);
    return m;
}
