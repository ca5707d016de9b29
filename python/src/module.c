/*
 * The aerowire._aerowire module: the Client type, and the links to the
 * pure-Python parts (Record and Meta NamedTuples, the exception classes).
 */
#include "pyaw.h"
#include "pyaw_ops.h"
#include "pyaw_query.h"

PyObject *pyaw_Record;
PyObject *pyaw_Meta;
PyObject *pyaw_GeoJSON;
PyObject *pyaw_make_exception;

PyObject *pyaw_raise_code(int code, const char *message) {
    PyObject *exc = PyObject_CallFunction(pyaw_make_exception, "isO", code, message, Py_False);
    if (exc) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

PyObject *pyaw_exception(const aw_error *err) {
    const char *msg = err->message[0] ? err->message : aw_strerror(err->code);
    return PyObject_CallFunction(pyaw_make_exception, "isO", err->code, msg,
                                 err->in_doubt ? Py_True : Py_False);
}

PyObject *pyaw_raise(const aw_error *err) {
    PyObject *exc = pyaw_exception(err);
    if (exc) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

static PyObject *import_attr(const char *module, const char *name) {
    PyObject *m = PyImport_ImportModule(module);
    if (!m)
        return NULL;
    PyObject *a = PyObject_GetAttrString(m, name);
    Py_DECREF(m);
    return a;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "aerowire._aerowire",
    "The aerowire C extension (use the aerowire package, not this module).", -1, NULL,
    NULL, NULL, NULL, NULL,
};

/* What pyaw_named_tuple builds: a tuple subclass whose instances are bare
 * tuples (no __dict__, no slots of their own). */
static bool plain_tuple_class(PyObject *o) {
    if (!PyType_Check(o))
        return false;
    PyTypeObject *t = (PyTypeObject *)o;
    return PyType_IsSubtype(t, &PyTuple_Type) && t->tp_basicsize == PyTuple_Type.tp_basicsize &&
           t->tp_itemsize == PyTuple_Type.tp_itemsize && t->tp_dictoffset == 0;
}

PyMODINIT_FUNC PyInit__aerowire(void) {
    if (!pyaw_Record) {
        pyaw_Record = import_attr("aerowire._types", "Record");
        pyaw_Meta = import_attr("aerowire._types", "Meta");
        pyaw_make_exception = import_attr("aerowire.exception", "_make");
        pyaw_GeoJSON = import_attr("aerowire._types", "GeoJSON");
        if (!pyaw_Record || !pyaw_Meta || !pyaw_make_exception || !pyaw_GeoJSON)
            return NULL;
        if (!plain_tuple_class(pyaw_Record) || !plain_tuple_class(pyaw_Meta))
            return PyErr_Format(PyExc_ImportError,
                                "aerowire._types: Record and Meta must be NamedTuples");
    }
    if (PyType_Ready(&pyaw_ClientType) < 0 || PyType_Ready(&pyaw_KeyIndexType) < 0 ||
        PyType_Ready(&pyaw_ArrayHandleType) < 0 || PyType_Ready(&pyaw_ExpressionType) < 0 ||
        pyaw_async_ready() < 0)
        return NULL;
    if (PyType_Ready(&pyaw_PartitionStatusType) < 0 || PyType_Ready(&pyaw_RowBufferType) < 0 ||
        PyType_Ready(&pyaw_QueryStreamType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    Py_INCREF(&pyaw_ClientType);
    Py_INCREF(&pyaw_KeyIndexType);
    Py_INCREF(&pyaw_ExpressionType);
    Py_INCREF(&pyaw_AsyncClientType);
    if (PyModule_AddObject(m, "Client", (PyObject *)&pyaw_ClientType) < 0 ||
        PyModule_AddObject(m, "KeyIndex", (PyObject *)&pyaw_KeyIndexType) < 0 ||
        PyModule_AddObject(m, "Expression", (PyObject *)&pyaw_ExpressionType) < 0 ||
        PyModule_AddObject(m, "AsyncClient", (PyObject *)&pyaw_AsyncClientType) < 0 ||
        PyModule_AddStringConstant(m, "__version__", AEROWIRE_VERSION) < 0 ||
        PyModule_AddFunctions(m, pyaw_batch_write_functions) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&pyaw_PartitionStatusType);
    if (PyModule_AddObject(m, "PartitionStatus", (PyObject *)&pyaw_PartitionStatusType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
