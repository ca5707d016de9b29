/*
 * aerowire.AsyncClient's C part: the commands of the sync Client, each
 * returning an asyncio Future of the running loop that the async engine
 * completes from that same loop (loop_hooks.c), with no thread of its own.
 *
 * The connection (cluster, tend thread) is a sync Client the AsyncClient
 * holds; each asyncio loop that runs commands gets its own aw_loop, attached
 * at its first command. A command's arguments (its key, bins, and for a
 * batch its keys and numpy buffers) are held by its `acall` until the
 * engine's callback, which runs exactly once: a Future cancelled meanwhile
 * just drops the result. Closing completes what is in flight with
 * ClientError (CLIENT_CLOSING).
 */
#include "pyaw_ops.h"

#include <structmember.h>
#include <string.h>

#include "loop_hooks.h"
#include "pyaw_async.h"

/* One asyncio loop's attachment. */
typedef struct aloop {
    PyObject *aio;           /* the asyncio loop */
    PyObject *create_future; /* its bound create_future */
    aw_loop *loop;
    struct aloop *next;
} aloop;

typedef struct AsyncClientObject {
    PyObject_HEAD
    pyaw_client *sync; /* the Client holding the connection */
    aloop *loops;
    aloop *last;       /* the loop of the previous command (the usual one) */
    int closed;        /* close() began: no new commands until connect() */
    /* A walk of `loops` that calls Python (which may let another thread's
     * loop run this client's code) is under way: no other walk may unlink. */
    int walking;
} AsyncClientObject;

static PyObject *get_running_loop; /* asyncio.get_running_loop */
static PyObject *str_set_result, *str_set_exception, *str_is_closed, *str_is_running;

/* ---- loops ---- */

static void aloop_close(aloop *l) {
    aw_loop_close(l->loop); /* completes its commands with CLIENT_CLOSING */
    Py_DECREF(l->aio);
    Py_DECREF(l->create_future);
    PyMem_Free(l);
}

static int call_bool(PyObject *o, PyObject *method) {
    PyObject *r = PyObject_CallMethodNoArgs(o, method);
    int b = r ? PyObject_IsTrue(r) : -1;
    Py_XDECREF(r);
    return b;
}

/* Closes the aw_loops of asyncio loops that were closed: nothing can run
 * their commands any more. */
static void sweep_closed(AsyncClientObject *self) {
    if (self->walking)
        return; /* another thread is at it */
    self->walking = 1;
    for (aloop **pp = &self->loops; *pp;) {
        aloop *l = *pp;
        int closed = call_bool(l->aio, str_is_closed);
        if (closed < 0)
            PyErr_Clear();
        if (closed == 1) {
            *pp = l->next;
            if (self->last == l)
                self->last = NULL;
            aloop_close(l);
        } else {
            pp = &l->next;
        }
    }
    self->walking = 0;
}

/* The attachment of the running asyncio loop (made at its first command),
 * or NULL with an exception set: no running loop, not connected, closed. */
static aloop *current(AsyncClientObject *self) {
    if (self->closed)
        return pyaw_raise_code(AW_ERR_CLIENT_CLOSING, "the AsyncClient was closed"), NULL;
    if (!self->sync->client)
        return pyaw_raise_code(AW_ERR_CLIENT, "client is not connected (await connect())"), NULL;
    PyObject *aio = PyObject_CallNoArgs(get_running_loop);
    if (!aio)
        return NULL;
    aloop *l = self->last;
    if (!l || l->aio != aio) {
        for (l = self->loops; l && l->aio != aio; l = l->next)
            ;
        if (!l) {
            sweep_closed(self);
            l = PyMem_Calloc(1, sizeof *l);
            if (!l || !(l->create_future = PyObject_GetAttrString(aio, "create_future")) ||
                pyaw_aio_attach(self->sync->client, aio, &l->loop) < 0) {
                if (!l)
                    PyErr_NoMemory();
                else
                    Py_XDECREF(l->create_future);
                PyMem_Free(l);
                Py_DECREF(aio);
                return NULL;
            }
            Py_INCREF(aio);
            l->aio = aio;
            l->next = self->loops;
            self->loops = l;
        }
        self->last = l;
    }
    Py_DECREF(aio);
    return l;
}

int pyaw_async_loop(PyObject *client, aw_loop **loop, PyObject **create_future) {
    if (!PyObject_TypeCheck(client, &pyaw_AsyncClientType)) {
        PyErr_SetString(PyExc_TypeError, "not an AsyncClient");
        return -1;
    }
    aloop *l = current((AsyncClientObject *)client);
    if (!l)
        return -1;
    *loop = l->loop;
    *create_future = l->create_future;
    return 0;
}

/* ---- one command in flight ---- */

enum acall_kind {
    AC_RECORD,     /* a Record (get, select, operate) */
    AC_ORDERED,    /* operate_ordered's Record */
    AC_EXISTS,
    AC_STATUS,
    AC_BATCH_GET,  /* batch_read's per-row results */
    AC_BATCH_ROWS, /* a batch write's per-row results */
    AC_BATCH_INTO,
    AC_WRITE_FROM,
};

typedef struct acall {
    PyObject *future;
    enum acall_kind kind;
    union {
        struct {           /* a single-record command */
            pyaw_conv conv;
            aw_key key;
            PyObject *given; /* the key as given (held by conv) */
        } one;
        pyaw_batch_rows_args rows; /* AC_BATCH_GET: rows NULL */
        pyaw_batch_into into;
        pyaw_write_from wf;
    } u;
} acall;

static acall *acall_new(aloop *l, enum acall_kind kind) {
    acall *a = PyMem_Calloc(1, sizeof *a);
    if (!a)
        return PyErr_NoMemory(), NULL;
    a->kind = kind;
    if (!(a->future = PyObject_CallNoArgs(l->create_future))) {
        PyMem_Free(a);
        return NULL;
    }
    return a;
}

static void acall_free(acall *a) {
    switch (a->kind) {
    case AC_BATCH_GET:
    case AC_BATCH_ROWS:
        pyaw_batch_rows_release(&a->u.rows);
        break;
    case AC_BATCH_INTO:
        pyaw_batch_into_release(&a->u.into);
        break;
    case AC_WRITE_FROM:
        pyaw_write_from_release(&a->u.wf);
        break;
    default:
        pyaw_conv_free(&a->u.one.conv);
    }
    Py_DECREF(a->future);
    PyMem_Free(a);
}

void pyaw_future_settle(PyObject *future, PyObject *value, int is_error) {
    if (!value) {
        PyObject *type, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        Py_XDECREF(type);
        Py_XDECREF(tb);
        is_error = 1;
        if (!value) { /* nothing was raised: cannot happen, but never hang */
            Py_INCREF(Py_None);
            value = Py_None;
            is_error = 0;
        }
    }
    PyObject *r = PyObject_CallMethodOneArg(future, is_error ? str_set_exception : str_set_result,
                                            value);
    if (!r)
        PyErr_Clear();
    Py_XDECREF(r);
    Py_DECREF(value);
}

/* Completes the call's Future (pyaw_future_settle), then frees the call. */
static void settle(acall *a, PyObject *value, int is_error) {
    pyaw_future_settle(a->future, value, is_error);
    acall_free(a);
}

static void settle_error(acall *a, const aw_error *err) {
    PyObject *exc = pyaw_exception(err);
    settle(a, exc, 1);
}

static void on_record(const aw_error *err, aw_record *rec, void *udata) {
    acall *a = udata;
    if (a->kind == AC_EXISTS) {
        if (err && err->code != AW_ERR_RECORD_NOT_FOUND) {
            settle_error(a, err);
            return;
        }
        PyObject *meta = err ? (Py_INCREF(Py_None), Py_None) : pyaw_meta_to_py(rec);
        PyObject *k = meta ? pyaw_key_to_py(&a->u.one.key, a->u.one.given) : NULL;
        settle(a, k ? PyTuple_Pack(2, k, meta) : NULL, 0);
        Py_XDECREF(k);
        Py_XDECREF(meta);
        return;
    }
    if (err)
        settle_error(a, err);
    else
        settle(a,
               pyaw_operate_result_to_py(rec, &a->u.one.key, a->u.one.given,
                                         a->kind == AC_ORDERED),
               0);
}

static void on_status(const aw_error *err, void *udata) {
    acall *a = udata;
    if (err)
        settle_error(a, err);
    else
        settle(a, (Py_INCREF(Py_None), Py_None), 0);
}

static void on_batch(const aw_error *err, void *udata) {
    acall *a = udata;
    if (err)
        settle_error(a, err);
    else if (a->kind == AC_BATCH_GET || a->kind == AC_BATCH_ROWS)
        settle(a, pyaw_batch_rows_result(&a->u.rows), 0);
    else
        settle(a, (Py_INCREF(Py_None), Py_None), 0);
}

/* After an aw_*_async call: its Future when it was accepted (the callback
 * will come), else the error raised and the call freed. */
static PyObject *submitted(acall *a, int rc, const aw_error *err) {
    if (rc != AW_OK) {
        acall_free(a);
        return pyaw_raise(err);
    }
    Py_INCREF(a->future);
    return a->future;
}

/* ---- single-record commands ---- */

enum one_cmd { CMD_GET, CMD_EXISTS, CMD_PUT, CMD_REMOVE, CMD_TOUCH, CMD_OPERATE,
               CMD_OPERATE_ORDERED };

typedef struct one_args {
    PyObject *key, *names, *bins, *ttl, *meta, *policy, *ops;
} one_args;

/* The command's policy (its expressions kept alive by conv), as the sync
 * command makes it: operate's by operate's rule (and its ops into conv),
 * the others' over the client's read or write default, then a write's meta
 * and touch's ttl. */
static int one_policy(const aw_config *cfg, enum one_cmd cmd, const one_args *in,
                      aw_policy *pol, aw_op **ops, size_t *n_ops, pyaw_conv *conv) {
    if (cmd == CMD_OPERATE || cmd == CMD_OPERATE_ORDERED)
        return pyaw_operate_from_py(cfg, in->ops, in->meta, in->policy,
                                    cmd == CMD_OPERATE_ORDERED, ops, n_ops, pol, conv);
    int is_write = cmd == CMD_PUT || cmd == CMD_REMOVE || cmd == CMD_TOUCH;
    if (pyaw_cmd_policy_from_py(in->policy, is_write ? &cfg->write_policy : &cfg->read_policy,
                                is_write ? PYAW_POLICY_WRITE : PYAW_POLICY_READ, pol, conv) < 0 ||
        (is_write && pyaw_meta_apply(in->meta, pol) < 0) ||
        (in->ttl && pyaw_ttl_apply(in->ttl, pol) < 0))
        return -1;
    return 0;
}

static PyObject *submit_one(AsyncClientObject *self, enum one_cmd cmd, const one_args *in) {
    aloop *l = current(self);
    if (!l)
        return NULL;
    enum acall_kind kind = cmd == CMD_GET || cmd == CMD_OPERATE ? AC_RECORD
                           : cmd == CMD_OPERATE_ORDERED        ? AC_ORDERED
                           : cmd == CMD_EXISTS                 ? AC_EXISTS
                                                               : AC_STATUS;
    acall *a = acall_new(l, kind);
    if (!a)
        return NULL;
    pyaw_conv *conv = &a->u.one.conv;
    aw_key *key = &a->u.one.key;
    aw_policy pol;
    const char **names = NULL;
    size_t n_names = 0;
    aw_bin *bins = NULL;
    size_t n_bins = 0;
    aw_op *ops = NULL;
    size_t n_ops = 0;
    if (pyaw_conv_init(conv) < 0 || pyaw_key_from_py(in->key, key, conv) < 0 ||
        one_policy(&self->sync->cfg, cmd, in, &pol, &ops, &n_ops, conv) < 0 ||
        (in->names && pyaw_bin_names_from_py(in->names, &names, &n_names, conv) < 0) ||
        (in->bins && pyaw_bins_from_py(in->bins, &bins, &n_bins, conv) < 0) ||
        pyaw_keep(conv, in->key) < 0) {
        acall_free(a);
        return NULL;
    }
    a->u.one.given = in->key;
    aw_error err;
    int rc = AW_OK;
    switch (cmd) {
    case CMD_GET:
        rc = aw_get_async(l->loop, &pol, key, n_names ? names : NULL, n_names, on_record, a, &err);
        break;
    case CMD_EXISTS:
        rc = aw_get_header_async(l->loop, &pol, key, on_record, a, &err);
        break;
    case CMD_PUT:
        rc = aw_put_async(l->loop, &pol, key, bins, n_bins, on_status, a, &err);
        break;
    case CMD_REMOVE:
        rc = aw_delete_async(l->loop, &pol, key, on_status, a, &err);
        break;
    case CMD_TOUCH:
        rc = aw_touch_async(l->loop, &pol, key, on_status, a, &err);
        break;
    case CMD_OPERATE:
    case CMD_OPERATE_ORDERED:
        rc = aw_operate_async(l->loop, &pol, key, ops, n_ops, on_record, a, &err);
        break;
    }
    return submitted(a, rc, &err);
}

static PyObject *async_get(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "policy", NULL};
    one_args in = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:get", kwlist, &in.key, &in.policy))
        return NULL;
    return submit_one(self, CMD_GET, &in);
}

static PyObject *async_select(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "bins", "policy", NULL};
    one_args in = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|O:select", kwlist, &in.key, &in.names,
                                     &in.policy))
        return NULL;
    return submit_one(self, CMD_GET, &in);
}

static PyObject *async_exists(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "policy", NULL};
    one_args in = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:exists", kwlist, &in.key, &in.policy))
        return NULL;
    return submit_one(self, CMD_EXISTS, &in);
}

static PyObject *async_put(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "bins", "meta", "policy", NULL};
    one_args in = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|OO:put", kwlist, &in.key, &in.bins,
                                     &in.meta, &in.policy))
        return NULL;
    return submit_one(self, CMD_PUT, &in);
}

static PyObject *async_remove(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "meta", "policy", NULL};
    one_args in = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OO:remove", kwlist, &in.key, &in.meta,
                                     &in.policy))
        return NULL;
    return submit_one(self, CMD_REMOVE, &in);
}

static PyObject *async_touch(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"key", "val", "meta", "policy", NULL};
    one_args in = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OOO:touch", kwlist, &in.key, &in.ttl,
                                     &in.meta, &in.policy))
        return NULL;
    return submit_one(self, CMD_TOUCH, &in);
}

static PyObject *operate_cmd(AsyncClientObject *self, PyObject *args, PyObject *kwds,
                             enum one_cmd cmd) {
    static char *kwlist[] = {"key", "list", "meta", "policy", NULL};
    one_args in = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds,
                                     cmd == CMD_OPERATE ? "OO|OO:operate" : "OO|OO:operate_ordered",
                                     kwlist, &in.key, &in.ops, &in.meta, &in.policy))
        return NULL;
    return submit_one(self, cmd, &in);
}

static PyObject *async_operate(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    return operate_cmd(self, args, kwds, CMD_OPERATE);
}

static PyObject *async_operate_ordered(AsyncClientObject *self, PyObject *args,
                                       PyObject *kwds) {
    return operate_cmd(self, args, kwds, CMD_OPERATE_ORDERED);
}

/* ---- batches ---- */

/* A batch command of kind on the running loop, its arguments converted
 * into the call (which holds them until the callback); NULL raised. */
static acall *batch_call(AsyncClientObject *self, enum acall_kind kind, PyObject *args,
                         PyObject *kwds, aloop **loop) {
    aloop *l = current(self);
    acall *a = l ? acall_new(l, kind) : NULL;
    if (!a)
        return NULL;
    int rc = kind == AC_BATCH_GET    ? pyaw_batch_get_from_py(args, kwds, &a->u.rows)
             : kind == AC_BATCH_ROWS ? pyaw_batch_rows_from_py(args, kwds, &a->u.rows)
             : kind == AC_BATCH_INTO ? pyaw_batch_into_from_py(args, kwds, &a->u.into)
                                     : pyaw_write_from_py(args, kwds, &a->u.wf);
    if (rc < 0) {
        acall_free(a);
        return NULL;
    }
    *loop = l;
    return a;
}

static PyObject *async_batch_get(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    aloop *l;
    acall *a = batch_call(self, AC_BATCH_GET, args, kwds, &l);
    if (!a)
        return NULL;
    pyaw_batch_args *b = &a->u.rows.a;
    aw_error err;
    int rc = aw_batch_get_async(l->loop, &b->bp, b->keys, b->n, b->names, b->n_names, false,
                                a->u.rows.res, on_batch, a, &err);
    return submitted(a, rc, &err);
}

static PyObject *async_batch_read_into(AsyncClientObject *self, PyObject *args,
                                       PyObject *kwds) {
    aloop *l;
    acall *a = batch_call(self, AC_BATCH_INTO, args, kwds, &l);
    if (!a)
        return NULL;
    pyaw_batch_into *b = &a->u.into;
    aw_error err;
    int rc = b->a.ids ? aw_batch_read_ids_into_async(l->loop, &b->a.bp, b->a.ids_ns, b->a.ids_set,
                                                     b->a.ids, b->a.n, b->a.names, b->a.n_names,
                                                     b->dt, b->rows.buf, (size_t)b->rows.len,
                                                     b->meta.buf, b->codes.buf, on_batch, a, &err)
                      : aw_batch_read_into_async(l->loop, &b->a.bp, b->a.keys, b->a.n,
                                                 b->a.names, b->a.n_names, b->dt, b->rows.buf,
                                                 (size_t)b->rows.len, b->meta.buf, b->codes.buf,
                                                 on_batch, a, &err);
    /* The dtype is read at submission; the buffers stay held until the callback. */
    aw_dtype_free(b->dt);
    b->dt = NULL;
    return submitted(a, rc, &err);
}

static PyObject *async_batch_rows(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    aloop *l;
    acall *a = batch_call(self, AC_BATCH_ROWS, args, kwds, &l);
    if (!a)
        return NULL;
    pyaw_batch_rows_args *r = &a->u.rows;
    aw_error err;
    int rc = aw_batch_operate_async(l->loop, &r->a.bp, r->rows, r->a.n, r->res, on_batch, a,
                                    &err);
    return submitted(a, rc, &err);
}

static PyObject *async_batch_write_from(AsyncClientObject *self, PyObject *args,
                                        PyObject *kwds) {
    aloop *l;
    acall *a = batch_call(self, AC_WRITE_FROM, args, kwds, &l);
    if (!a)
        return NULL;
    pyaw_write_from *w = &a->u.wf;
    aw_error err;
    int rc = aw_batch_write_from_async(l->loop, &w->bp, w->data.buf, (size_t)w->data.len, w->n,
                                       w->dt, w->ns, w->set, w->key_field, w->codes.buf,
                                       w->in_doubt.buf, w->gens.buf, on_batch, a, &err);
    if (rc != AW_OK) {
        acall_free(a);
        return pyaw_write_from_raise(&err);
    }
    return submitted(a, rc, &err);
}

/* ---- lifetime ---- */

static int async_init(AsyncClientObject *self, PyObject *args, PyObject *kwds) {
    PyObject *config;
    static char *kwlist[] = {"config", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:AsyncClient", kwlist, &config))
        return -1;
    if (self->sync) {
        PyErr_SetString(PyExc_RuntimeError, "AsyncClient.__init__ called twice");
        return -1;
    }
    if (!get_running_loop) {
        PyObject *asyncio = PyImport_ImportModule("asyncio");
        get_running_loop = asyncio ? PyObject_GetAttrString(asyncio, "get_running_loop") : NULL;
        Py_XDECREF(asyncio);
        if (!get_running_loop)
            return -1;
    }
    /* aerowire.Client (the Python class over the C type): the commands
     * run on worker threads are its methods. */
    PyObject *mod = PyImport_ImportModule("aerowire._client");
    PyObject *cls = mod ? PyObject_GetAttrString(mod, "Client") : NULL;
    Py_XDECREF(mod);
    if (!cls)
        return -1;
    PyObject *sync = PyObject_CallOneArg(cls, config);
    Py_DECREF(cls);
    if (sync && !PyObject_TypeCheck(sync, &pyaw_ClientType)) {
        Py_DECREF(sync);
        PyErr_SetString(PyExc_TypeError, "aerowire._client.Client is not a Client");
        return -1;
    }
    self->sync = (pyaw_client *)sync;
    return self->sync ? 0 : -1;
}

/* Closes every loop's attachment: their commands complete with
 * CLIENT_CLOSING. Refused while one of those loops runs in another thread
 * (its engine may only be touched from there). */
static int close_loops(AsyncClientObject *self, int force) {
    PyObject *here = NULL;
    if (self->walking && !force)
        return pyaw_raise_code(AW_ERR_CLIENT, "close() while another thread attaches a loop"),
               -1;
    if (!force) {
        here = PyObject_CallNoArgs(get_running_loop);
        if (!here)
            PyErr_Clear();
        /* No other thread unlinks loops meanwhile (new ones go on the head). */
        self->walking = 1;
        int running = 0;
        for (aloop *l = self->loops; l && running == 0; l = l->next)
            if (l->aio != here)
                running = call_bool(l->aio, str_is_running);
        self->walking = 0;
        Py_XDECREF(here);
        if (running != 0) {
            if (running > 0)
                pyaw_raise_code(AW_ERR_CLIENT,
                                "close() while another thread's event loop runs this "
                                "AsyncClient's commands: close it from that loop");
            return -1;
        }
    }
    self->closed = 1;
    self->last = NULL;
    while (self->loops) {
        aloop *l = self->loops;
        self->loops = l->next;
        aloop_close(l);
    }
    return 0;
}

static PyObject *async_close_loops(AsyncClientObject *self, PyObject *unused) {
    if (close_loops(self, 0) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *async_open(AsyncClientObject *self, PyObject *unused) {
    self->closed = 0;
    Py_RETURN_NONE;
}

static PyObject *async_pending(AsyncClientObject *self, PyObject *unused) {
    size_t n = 0;
    for (aloop *l = self->loops; l; l = l->next)
        n += aw_loop_pending(l->loop);
    return PyLong_FromSize_t(n);
}

static PyObject *async_n_loops(AsyncClientObject *self, PyObject *unused) {
    size_t n = 0;
    for (aloop *l = self->loops; l; l = l->next)
        n++;
    return PyLong_FromSize_t(n);
}

static void async_dealloc(AsyncClientObject *self) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    close_loops(self, 1); /* before the client: hooks need the GIL */
    PyErr_Restore(type, value, tb);
    if (self->sync)
        pyaw_aio_release_later((PyObject *)self->sync);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef async_methods[] = {
    {"get", (PyCFunction)(void (*)(void))async_get, METH_VARARGS | METH_KEYWORDS,
     "get(key, policy=None) -> Future[Record]: all bins; fails with RecordNotFound."},
    {"select", (PyCFunction)(void (*)(void))async_select, METH_VARARGS | METH_KEYWORDS,
     "select(key, bins, policy=None) -> Future[Record]: the named bins only."},
    {"exists", (PyCFunction)(void (*)(void))async_exists, METH_VARARGS | METH_KEYWORDS,
     "exists(key, policy=None) -> Future[(key, Meta or None)]."},
    {"put", (PyCFunction)(void (*)(void))async_put, METH_VARARGS | METH_KEYWORDS,
     "put(key, bins, meta=None, policy=None) -> Future[None]."},
    {"remove", (PyCFunction)(void (*)(void))async_remove, METH_VARARGS | METH_KEYWORDS,
     "remove(key, meta=None, policy=None) -> Future[None]; fails with RecordNotFound."},
    {"touch", (PyCFunction)(void (*)(void))async_touch, METH_VARARGS | METH_KEYWORDS,
     "touch(key, val=None, meta=None, policy=None) -> Future[None]."},
    {"operate", (PyCFunction)(void (*)(void))async_operate, METH_VARARGS | METH_KEYWORDS,
     "operate(key, list, meta=None, policy=None) -> Future[Record]: the ops applied atomically, "
     "the reading ops' results in bins."},
    {"operate_ordered", (PyCFunction)(void (*)(void))async_operate_ordered,
     METH_VARARGS | METH_KEYWORDS,
     "operate_ordered(key, list, meta=None, policy=None) -> Future[Record]: bins a list of "
     "(name, value), one per op in order."},
    {"_batch_get", (PyCFunction)(void (*)(void))async_batch_get, METH_VARARGS | METH_KEYWORDS,
     "_batch_get(keys, bins, policy) -> Future[list of (code, Record, in_doubt)]."},
    {"_batch_read_into", (PyCFunction)(void (*)(void))async_batch_read_into,
     METH_VARARGS | METH_KEYWORDS,
     "_batch_read_into(keys, bins, policy, descr, align, itemsize, rows, meta, codes) -> "
     "Future[None]: fills the buffers, held until it completes."},
    {"_batch_rows", (PyCFunction)(void (*)(void))async_batch_rows, METH_VARARGS | METH_KEYWORDS,
     "_batch_rows(kind, keys, rows, policy) -> Future[list of (code, Record, in_doubt)]: "
     "batch_write, batch_operate or batch_remove."},
    {"_batch_write_from", (PyCFunction)(void (*)(void))async_batch_write_from,
     METH_VARARGS | METH_KEYWORDS,
     "_batch_write_from(data, n, namespace, set, descr, align, itemsize, key_field, policy, "
     "codes, in_doubt, gens) -> Future[None]: writes the rows, the buffers held until it "
     "completes."},
    {"_query_run", (PyCFunction)(void (*)(void))pyaw_async_query_run,
     METH_VARARGS | METH_KEYWORDS,
     "_query_run(spec, policy, cursor, mode, ...) -> QueryRun: a scan or query started on the "
     "running loop (aerowire._async_query drives it)."},
    {"_close_loops", (PyCFunction)async_close_loops, METH_NOARGS,
     "_close_loops(): completes every command in flight with ClientError (CLIENT_CLOSING) and "
     "refuses new ones."},
    {"_open", (PyCFunction)async_open, METH_NOARGS,
     "_open(): accepts commands again (connect() after a close())."},
    {"_pending", (PyCFunction)async_pending, METH_NOARGS,
     "_pending() -> int: commands submitted and not yet completed, over all loops."},
    {"_n_loops", (PyCFunction)async_n_loops, METH_NOARGS,
     "_n_loops() -> int: the event loops attached."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef async_members[] = {
    {"_sync", T_OBJECT, offsetof(AsyncClientObject, sync), READONLY,
     "The Client holding the connection."},
    {NULL, 0, 0, 0, NULL},
};

PyTypeObject pyaw_AsyncClientType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire._aerowire.AsyncClient",
    .tp_basicsize = sizeof(AsyncClientObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "AsyncClient(config): the client's commands as asyncio Futures.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)async_init,
    .tp_dealloc = (destructor)async_dealloc,
    .tp_methods = async_methods,
    .tp_members = async_members,
};

int pyaw_async_ready(void) {
    if (!(str_set_result = PyUnicode_InternFromString("set_result")) ||
        !(str_set_exception = PyUnicode_InternFromString("set_exception")) ||
        !(str_is_closed = PyUnicode_InternFromString("is_closed")) ||
        !(str_is_running = PyUnicode_InternFromString("is_running")))
        return -1;
    if (pyaw_aio_ready() < 0)
        return -1;
    if (pyaw_query_run_ready() < 0)
        return -1;
    return PyType_Ready(&pyaw_AsyncClientType);
}
