/*
 * RowBuffer: memory the scan filled without the GIL (malloc'ed, so no
 * Python allocator is touched off the GIL), given to numpy without a copy:
 * numpy.frombuffer(buf, dtype) views it writable and keeps the RowBuffer
 * alive as the array's base, which frees it when the last view goes.
 */
#include "pyaw_query.h"

#include <stdlib.h>

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
