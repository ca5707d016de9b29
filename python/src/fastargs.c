/*
 * Arguments of METH_FASTCALL | METH_KEYWORDS methods: the hot single-record
 * calls (get, put, exists, select) take their arguments as an array, with
 * no args tuple or kwargs dict to build and no format string to parse:
 * about 300 instructions a call less than PyArg_ParseTupleAndKeywords.
 */
#include "pyaw.h"

int pyaw_fast_args(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                   const char *const *names, int n_names, int required, PyObject **out,
                   const char *fname) {
    for (int i = 0; i < n_names; i++)
        out[i] = NULL;
    if (nargs > n_names) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d arguments (%zd given)", fname,
                     n_names, nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        out[i] = args[i];
    Py_ssize_t n_kw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < n_kw; k++) {
        PyObject *kw = PyTuple_GET_ITEM(kwnames, k);
        int at = -1;
        for (int i = 0; i < n_names && at < 0; i++)
            if (PyUnicode_CompareWithASCIIString(kw, names[i]) == 0)
                at = i;
        if (at < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname,
                         kw);
            return -1;
        }
        if (out[at]) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fname,
                         names[at]);
            return -1;
        }
        out[at] = args[nargs + k];
    }
    for (int i = 0; i < required; i++)
        if (!out[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %d)", fname,
                         names[i], i + 1);
            return -1;
        }
    return 0;
}
