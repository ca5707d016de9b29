/*
 * QueryStream: a scan or query into rows, chunk by chunk, for sets bigger
 * than memory (Client._query_stream; aerowire's Query.chunks iterates it).
 *
 * aw_query_into delivers chunks to a callback until the scan ends, so it
 * runs on a thread of its own (a plain pthread: it never touches Python),
 * which hands each full chunk over a bounded queue and waits while the
 * queue is full: the scan goes no faster than the consumer, and memory
 * stays at most DEPTH chunks queued, one being filled and the ones the
 * consumer still holds. Each chunk is a fresh malloc'ed block whose
 * ownership passes to the consumer (a RowBuffer numpy views, no copy).
 * close() (also on early exit from a for loop, and on dealloc) sets `stop`:
 * the producer's next chunk callback returns false, which stops every
 * node's stream, and close() joins the thread; no thread outlives the
 * stream. The cursor and the client are held until then.
 *
 * The cursor counts a chunk's records as delivered once the chunk is full,
 * before the consumer takes it. So each chunk carries the cursor's bytes as
 * they were right after it, and a close that drops chunks the consumer
 * never took puts the cursor back to the last chunk taken: resuming it
 * reads exactly the records the consumer did not get.
 */
#include "pyaw_query.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH 2

typedef struct chunk {
    void *rows;
    aw_row_meta *meta;
    int32_t *codes;
    size_t n;
    uint8_t *cursor_after;      /* the cursor's bytes after this chunk, or NULL */
    size_t cursor_len;
} chunk;

typedef struct StreamObject {
    PyObject_HEAD
    pyaw_client *owner;         /* held; busy counted while the thread may run */
    PyObject *cursor_o;
    pyaw_query_args a;
    aw_dtype *dt;
    aw_partition_status *cursor;
    size_t chunk_rows, itemsize;

    pthread_t thread;
    int started, joined, closing;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    chunk queue[DEPTH];         /* full chunks, oldest at head */
    size_t head, count;
    int stop, finished;
    int rc;
    aw_error err;
    chunk filling;              /* the producer's current buffer */
    int dropped;                /* the producer stopped with a chunk not queued */
    uint8_t *taken;             /* the cursor's bytes after the last chunk taken */
    size_t taken_len;
} StreamObject;

static void chunk_free(chunk *c) {
    free(c->rows);
    free(c->meta);
    free(c->codes);
    aw_free(c->cursor_after);
    memset(c, 0, sizeof *c);
}

static int chunk_alloc(StreamObject *s, chunk *c) {
    c->rows = malloc(s->chunk_rows * s->itemsize);
    c->meta = malloc(s->chunk_rows * sizeof *c->meta);
    c->codes = malloc(s->chunk_rows * sizeof *c->codes);
    c->n = 0;
    if (c->rows && c->meta && c->codes)
        return 0;
    chunk_free(c);
    return -1;
}

static void point(aw_rows_buffer *buf, chunk *c, size_t rows) {
    buf->rows = c->rows;
    buf->meta = c->meta;
    buf->codes = c->codes;
    buf->capacity = rows;
}

/* Producer side: queue the filled chunk, wait for room, start a new one. */
static bool on_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    StreamObject *s = udata;
    if (n == 0)
        return true;
    if (s->cursor &&
        aw_partition_status_write(s->cursor, &s->filling.cursor_after, &s->filling.cursor_len,
                                  &s->err) != AW_OK)
        return false;
    pthread_mutex_lock(&s->mu);
    while (s->count == DEPTH && !s->stop)
        pthread_cond_wait(&s->cv, &s->mu);
    if (s->stop) {
        s->dropped = 1;
        pthread_mutex_unlock(&s->mu);
        return false;
    }
    s->filling.n = n;
    s->queue[(s->head + s->count) % DEPTH] = s->filling;
    s->count++;
    memset(&s->filling, 0, sizeof s->filling);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (chunk_alloc(s, &s->filling) < 0) {
        aw_error_set(&s->err, AW_ERR_NOMEM, "no memory for a chunk of %zu rows", s->chunk_rows);
        return false;
    }
    point(buf, &s->filling, s->chunk_rows);
    return true;
}

static void *producer(void *arg) {
    StreamObject *s = arg;
    aw_rows_buffer buf;
    aw_error err;
    int rc;
    point(&buf, &s->filling, s->chunk_rows);
    rc = aw_query_into(s->owner->client, &s->a.pol, &s->a.q, s->cursor, s->dt, &buf, on_chunk, s,
                       &err);
    pthread_mutex_lock(&s->mu);
    if (s->err.code != AW_OK)
        rc = s->err.code; /* on_chunk's failure, not the abort it caused */
    else
        s->err = err;
    s->rc = rc;
    s->finished = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Stops the producer and joins it; frees what it held. Idempotent. */
static void stream_close_impl(StreamObject *s) {
    if (s->closing)
        return; /* another thread is closing it */
    s->closing = 1;
    if (s->started && !s->joined) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        Py_BEGIN_ALLOW_THREADS
        pthread_join(s->thread, NULL);
        Py_END_ALLOW_THREADS
        s->joined = 1;
    }
    if (s->started)
        pthread_mutex_lock(&s->mu); /* a next() on another thread may be popping */
    if ((s->count || s->dropped) && s->taken) {
        aw_partition_status *back;
        if (aw_partition_status_read(s->taken, s->taken_len, &back, NULL) == AW_OK)
            pyaw_pstatus_swap(s->cursor_o, back);
    }
    while (s->count) {
        chunk_free(&s->queue[s->head]);
        s->head = (s->head + 1) % DEPTH;
        s->count--;
    }
    if (s->started)
        pthread_mutex_unlock(&s->mu);
    chunk_free(&s->filling);
    aw_free(s->taken);
    s->taken = NULL;
    aw_dtype_free(s->dt);
    s->dt = NULL;
    if (s->owner) {
        s->owner->busy--;
        Py_CLEAR(s->owner);
        pyaw_pstatus_release(s->cursor_o);
        Py_CLEAR(s->cursor_o);
        pyaw_query_args_free(&s->a);
    }
}

static void stream_dealloc(StreamObject *s) {
    stream_close_impl(s);
    if (s->started) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    }
    Py_TYPE(s)->tp_free((PyObject *)s);
}

PyObject *pyaw_query_stream(pyaw_client *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"spec", "policy", "cursor", "descr", "align", "itemsize",
                             "chunk_rows", NULL};
    PyObject *spec, *policy, *cursor_o;
    const char *descr;
    int align;
    Py_ssize_t itemsize, chunk_rows;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOspnn:_query_stream", kwlist,
                                     &PyTuple_Type, &spec, &policy, &cursor_o, &descr, &align,
                                     &itemsize, &chunk_rows))
        return NULL;
    if (chunk_rows < 1 || (size_t)chunk_rows > SIZE_MAX / 2 / (size_t)(itemsize ? itemsize : 1))
        return PyErr_Format(PyExc_ValueError, "chunk_rows must be at least 1, not %zd",
                            chunk_rows);
    StreamObject *s = PyObject_New(StreamObject, &pyaw_QueryStreamType);
    if (!s)
        return NULL;
    memset((char *)s + sizeof(PyObject), 0, sizeof *s - sizeof(PyObject));
    s->chunk_rows = (size_t)chunk_rows;
    s->itemsize = (size_t)itemsize;
    if (pyaw_dtype_parse(descr, align ? AW_DTYPE_ALIGN : 0, itemsize, &s->dt) < 0 ||
        pyaw_query_args_init(&s->a, spec, policy, NULL) < 0)
        goto fail;
    if (!pyaw_client_enter(self)) {
        pyaw_query_args_free(&s->a);
        goto fail;
    }
    /* From here on close() releases what the stream holds. */
    Py_INCREF(self);
    s->owner = self;
    if (pyaw_pstatus_acquire(cursor_o, &s->cursor) < 0)
        goto fail;
    Py_INCREF(cursor_o);
    s->cursor_o = cursor_o;
    aw_error err;
    if (s->cursor &&
        aw_partition_status_write(s->cursor, &s->taken, &s->taken_len, &err) != AW_OK) {
        pyaw_raise(&err);
        goto fail;
    }
    if (chunk_alloc(s, &s->filling) < 0) {
        PyErr_NoMemory();
        goto fail;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->started = 1;
    if (pthread_create(&s->thread, NULL, producer, s) != 0) {
        s->joined = 1; /* nothing to join */
        PyErr_SetString(PyExc_RuntimeError, "cannot start the scan's thread");
        goto fail;
    }
    return (PyObject *)s;
fail:
    Py_DECREF(s); /* dealloc releases what was taken */
    return NULL;
}

/* next() -> (rows, meta, codes, n) RowBuffers of the next chunk, or None
 * when the scan is over; raises the scan's error after its last rows. */
static PyObject *stream_next(StreamObject *s, PyObject *unused) {
    if (!s->owner)
        Py_RETURN_NONE; /* closed */
    chunk c = {0};
    int have;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&s->mu);
    while (s->count == 0 && !s->finished)
        pthread_cond_wait(&s->cv, &s->mu);
    have = s->count > 0;
    if (have) {
        c = s->queue[s->head];
        if (c.cursor_after) {
            aw_free(s->taken);
            s->taken = c.cursor_after;
            s->taken_len = c.cursor_len;
            c.cursor_after = NULL;
        }
        s->head = (s->head + 1) % DEPTH;
        s->count--;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    Py_END_ALLOW_THREADS
    if (have)
        return Py_BuildValue("(NNNn)", pyaw_rowbuf_adopt(c.rows, c.n * s->itemsize),
                             pyaw_rowbuf_adopt(c.meta, c.n * sizeof *c.meta),
                             pyaw_rowbuf_adopt(c.codes, c.n * sizeof *c.codes), (Py_ssize_t)c.n);
    int rc = s->rc;
    aw_error err = s->err;
    stream_close_impl(s);
    if (rc != AW_OK)
        return pyaw_raise(&err);
    Py_RETURN_NONE;
}

static PyObject *stream_close(StreamObject *s, PyObject *unused) {
    stream_close_impl(s);
    Py_RETURN_NONE;
}

static PyMethodDef stream_methods[] = {
    {"next", (PyCFunction)stream_next, METH_NOARGS,
     "next() -> (rows, meta, codes, n) or None at the end."},
    {"close", (PyCFunction)stream_close, METH_NOARGS,
     "close(): stops the scan on every node and joins its thread."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject pyaw_QueryStreamType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire._aerowire.QueryStream",
    .tp_basicsize = sizeof(StreamObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A scan or query into row chunks, run on a thread of its own.",
    .tp_dealloc = (destructor)stream_dealloc,
    .tp_methods = stream_methods,
};
