/*
 * aerowire.PartitionStatus: the cursor of a scan or query (aw_partition_status).
 * A query driving it marks it in use, so a second scan (or to_bytes on
 * another thread) cannot see it half-updated.
 */
#include "pyaw_query.h"

typedef struct PStatusObject {
    PyObject_HEAD
    aw_partition_status *ps;
    int in_use;
} PStatusObject;

static int pstatus_init(PStatusObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"begin", "count", "digest", NULL};
    unsigned int begin = 0, count = 4096;
    Py_buffer digest = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|IIy*:PartitionStatus", kwlist, &begin, &count,
                                     &digest))
        return -1;
    if (self->in_use) {
        PyBuffer_Release(&digest);
        PyErr_SetString(PyExc_RuntimeError, "PartitionStatus is in use by a scan");
        return -1;
    }
    aw_partition_filter f;
    if (digest.obj) {
        if (digest.len != AW_DIGEST_SIZE) {
            PyErr_Format(PyExc_ValueError, "digest is %zd bytes, not %d", digest.len,
                         AW_DIGEST_SIZE);
            PyBuffer_Release(&digest);
            return -1;
        }
        f = aw_partition_filter_after(digest.buf);
        PyBuffer_Release(&digest);
    } else {
        f = aw_partition_filter_range(begin, count);
    }
    aw_partition_status *ps;
    aw_error err;
    if (aw_partition_status_new(&f, &ps, &err) != AW_OK) {
        PyErr_Format(PyExc_ValueError, "partition filter: %s", err.message);
        return -1;
    }
    aw_partition_status_free(self->ps);
    self->ps = ps;
    return 0;
}

static void pstatus_dealloc(PStatusObject *self) {
    aw_partition_status_free(self->ps);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The cursor, or NULL with an exception (not initialised, in use). */
static aw_partition_status *usable(PStatusObject *self) {
    if (!self->ps)
        return PyErr_SetString(PyExc_RuntimeError, "PartitionStatus was not initialised"), NULL;
    if (self->in_use)
        return PyErr_SetString(PyExc_RuntimeError, "PartitionStatus is in use by a scan"), NULL;
    return self->ps;
}

int pyaw_pstatus_acquire(PyObject *o, aw_partition_status **out) {
    *out = NULL;
    if (o == Py_None)
        return 0;
    if (!PyObject_TypeCheck(o, &pyaw_PartitionStatusType)) {
        PyErr_Format(PyExc_TypeError, "partition status must be an aerowire.PartitionStatus, "
                     "not %s", Py_TYPE(o)->tp_name);
        return -1;
    }
    PStatusObject *self = (PStatusObject *)o;
    if (!(*out = usable(self)))
        return -1;
    self->in_use = 1;
    return 0;
}

void pyaw_pstatus_release(PyObject *o) {
    if (o && o != Py_None)
        ((PStatusObject *)o)->in_use = 0;
}

void pyaw_pstatus_swap(PyObject *o, aw_partition_status *ps) {
    PStatusObject *self = (PStatusObject *)o;
    aw_partition_status_free(self->ps);
    self->ps = ps;
}

PyObject *pyaw_pstatus_bytes(aw_partition_status *ps) {
    uint8_t *bytes;
    size_t len;
    aw_error err;
    if (aw_partition_status_write(ps, &bytes, &len, &err) != AW_OK)
        return pyaw_raise(&err);
    PyObject *b = PyBytes_FromStringAndSize((const char *)bytes, (Py_ssize_t)len);
    aw_free(bytes);
    return b;
}

static PyObject *pstatus_to_bytes(PStatusObject *self, PyObject *unused) {
    aw_partition_status *ps = usable(self);
    return ps ? pyaw_pstatus_bytes(ps) : NULL;
}

static PyObject *pstatus_from_bytes(PyTypeObject *type, PyObject *arg) {
    Py_buffer b;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0)
        return NULL;
    aw_partition_status *ps;
    aw_error err;
    int rc = aw_partition_status_read(b.buf, (size_t)b.len, &ps, &err);
    PyBuffer_Release(&b);
    if (rc != AW_OK)
        return PyErr_Format(PyExc_ValueError, "not a partition status: %s", err.message);
    PStatusObject *self = (PStatusObject *)type->tp_alloc(type, 0);
    if (!self) {
        aw_partition_status_free(ps);
        return NULL;
    }
    self->ps = ps;
    return (PyObject *)self;
}

static PyObject *pstatus_is_done(PStatusObject *self, PyObject *unused) {
    aw_partition_status *ps = usable(self);
    return ps ? PyBool_FromLong(aw_partition_status_done(ps)) : NULL;
}

static Py_ssize_t pstatus_len(PStatusObject *self) {
    aw_partition_status *ps = usable(self);
    return ps ? (Py_ssize_t)aw_partition_status_count(ps) : -1;
}

static PyObject *pstatus_get(PStatusObject *self, PyObject *arg) {
    aw_partition_status *ps = usable(self);
    unsigned long id = ps ? PyLong_AsUnsignedLong(arg) : 0;
    if (!ps || (id == (unsigned long)-1 && PyErr_Occurred()))
        return NULL;
    aw_partition_info info;
    aw_error err;
    if (id > 0xFFFFFFFFul || aw_partition_status_get(ps, (uint32_t)id, &info, &err) != AW_OK)
        return PyErr_Format(PyExc_KeyError, "partition %lu is not in this cursor", id);
    PyObject *digest = info.has_digest
                           ? PyBytes_FromStringAndSize((const char *)info.digest, AW_DIGEST_SIZE)
                           : (Py_INCREF(Py_None), Py_None);
    return digest ? Py_BuildValue("(IOLNO)", info.id, info.done ? Py_True : Py_False,
                                  (long long)info.bval, digest,
                                  info.retry ? Py_True : Py_False)
                  : NULL;
}

static PyMethodDef pstatus_methods[] = {
    {"to_bytes", (PyCFunction)pstatus_to_bytes, METH_NOARGS,
     "to_bytes() -> bytes: the cursor, versioned and checksummed (from_bytes reads it back)."},
    {"from_bytes", (PyCFunction)pstatus_from_bytes, METH_O | METH_CLASS,
     "from_bytes(data) -> PartitionStatus; ValueError for bytes that are not a whole cursor."},
    {"is_done", (PyCFunction)pstatus_is_done, METH_NOARGS,
     "is_done() -> bool: every partition read to its end."},
    {"get", (PyCFunction)pstatus_get, METH_O,
     "get(partition_id) -> (id, done, bval, digest or None, retry): one partition's progress."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods pstatus_seq = {.sq_length = (lenfunc)pstatus_len};

PyTypeObject pyaw_PartitionStatusType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aerowire.PartitionStatus",
    .tp_basicsize = sizeof(PStatusObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "PartitionStatus(begin=0, count=4096, digest=None): the progress of a scan or "
              "query over partitions begin..begin+count-1 (or, with digest, the digest's "
              "partition after that record), none done yet. Pass it as the policy's "
              "partition_filter {'partition_status': ps} to resume.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)pstatus_init,
    .tp_dealloc = (destructor)pstatus_dealloc,
    .tp_methods = pstatus_methods,
    .tp_as_sequence = &pstatus_seq,
};
