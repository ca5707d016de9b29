/*
 * RowBuffer: memory the scan filled without the GIL (malloc'ed, so no
 * Python allocator is touched off the GIL), given to numpy without a copy:
 * numpy.frombuffer(buf, dtype) views it writable and keeps the RowBuffer
 * alive as the array's base, which frees it when the last view goes.
 */
#include "pyaw_query.h"

#include <stdlib.h>
#include <string.h>

typedef struct RowBufferObject {
    PyObject_HEAD
    void *ptr;
    Py_ssize_t len;
} RowBufferObject;

PyObject *pyaw_rowbuf_adopt(void *ptr, size_t len) {
    RowBufferObject *self = PyObject_New(RowBufferObject, &pyaw_RowBufferType);
    if (!self) {
        free(ptr);
        return NULL;
    }
    self->ptr = ptr;
    self->len = (Py_ssize_t)len;
    return (PyObject *)self;
}

static void rowbuf_dealloc(RowBufferObject *self) {
    free(self->ptr);
    PyObject_Free(self);
}

static int rowbuf_getbuffer(RowBufferObject *self, Py_buffer *view, int flags) {
    /* An empty buffer still needs a non-NULL pointer for the protocol. */
    static char empty;
    return PyBuffer_FillInfo(view, (PyObject *)self, self->ptr ? self->ptr : &empty, self->len,
                             0, flags);
}

static Py_ssize_t rowbuf_len(RowBufferObject *self) {
    return self->len;
}

static PyBufferProcs rowbuf_as_buffer = {.bf_getbuffer = (getbufferproc)rowbuf_getbuffer};
static PySequenceMethods rowbuf_seq = {.sq_length = (lenfunc)rowbuf_len};

PyTypeObject pyaw_RowBufferType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire._aerowire.RowBuffer",
    .tp_basicsize = sizeof(RowBufferObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Rows a scan decoded (numpy.frombuffer views them without a copy).",
    .tp_dealloc = (destructor)rowbuf_dealloc,
    .tp_as_buffer = &rowbuf_as_buffer,
    .tp_as_sequence = &rowbuf_seq,
};

/* ---- one growing block of rows (pyaw_grow) ---- */

static int grow_to(pyaw_grow *g, size_t cap) {
    void *rows = realloc(g->rows, cap * g->itemsize);
    if (rows)
        g->rows = rows;
    void *meta = rows ? realloc(g->meta, cap * sizeof *g->meta) : NULL;
    if (meta)
        g->meta = meta;
    void *codes = meta ? realloc(g->codes, cap * sizeof *g->codes) : NULL;
    if (!codes)
        return -1;
    g->codes = codes;
    g->cap = cap;
    return 0;
}

static void grow_point(pyaw_grow *g, aw_rows_buffer *buf) {
    buf->rows = g->rows + g->n * g->itemsize;
    buf->meta = g->meta + g->n;
    buf->codes = g->codes + g->n;
    buf->capacity = g->cap - g->n;
}

size_t pyaw_grow_first_rows(uint64_t max_records) {
    return max_records && max_records < 4096 ? (size_t)max_records : 4096;
}

int pyaw_grow_start(pyaw_grow *g, size_t itemsize, size_t first, aw_rows_buffer *buf,
                    aw_error *err) {
    memset(g, 0, sizeof *g);
    g->itemsize = itemsize;
    if (grow_to(g, first) < 0) {
        pyaw_grow_free(g);
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for %zu rows", first);
    }
    grow_point(g, buf);
    return AW_OK;
}

bool pyaw_grow_chunk(pyaw_grow *g, aw_rows_buffer *buf, size_t n) {
    g->n += n;
    if (g->n < g->cap)
        return true; /* the last chunk: the scan is over */
    if (grow_to(g, 2 * g->cap) < 0) {
        g->nomem = 1;
        return false;
    }
    grow_point(g, buf);
    return true;
}

int pyaw_grow_end(pyaw_grow *g, int rc, aw_error *err) {
    if (g->nomem)
        rc = aw_error_set(err, AW_ERR_NOMEM, "no memory for %zu rows", 2 * g->cap);
    else if (rc == AW_OK && g->n && g->n < g->cap)
        grow_to(g, g->n); /* give back the unused tail (a shrink cannot fail) */
    if (rc != AW_OK)
        pyaw_grow_free(g);
    return rc;
}

void pyaw_grow_free(pyaw_grow *g) {
    free(g->rows);
    free(g->meta);
    free(g->codes);
    g->rows = NULL;
    g->meta = NULL;
    g->codes = NULL;
}

PyObject *pyaw_grow_result(pyaw_grow *g) {
    size_t n = g->n;
    PyObject *r = Py_BuildValue("(NNNn)", pyaw_rowbuf_adopt(g->rows, n * g->itemsize),
                                pyaw_rowbuf_adopt(g->meta, n * sizeof *g->meta),
                                pyaw_rowbuf_adopt(g->codes, n * sizeof *g->codes), (Py_ssize_t)n);
    g->rows = NULL; /* adopted (or freed by a failed adopt) */
    g->meta = NULL;
    g->codes = NULL;
    return r;
}
