/*
 * The dtype of a _dtype call: numpy's descr text, parsed by aerowire and
 * checked against numpy's itemsize.
 */
#include "pyaw_query.h"

int pyaw_dtype_parse(const char *descr, unsigned flags, Py_ssize_t itemsize, aw_dtype **dt) {
    aw_error err;
    if (aw_dtype_parse_flags(descr, flags, dt, &err) != AW_OK) {
        PyErr_Format(err.code == AW_ERR_UNSUPPORTED ? PyExc_TypeError : PyExc_ValueError,
                     "dtype: %s", err.message);
        return -1;
    }
    if ((Py_ssize_t)aw_dtype_itemsize(*dt) != itemsize) {
        PyErr_Format(PyExc_ValueError, "dtype %s: itemsize %zu here, %zd in numpy", descr,
                     aw_dtype_itemsize(*dt), itemsize);
        aw_dtype_free(*dt);
        *dt = NULL;
        return -1;
    }
    return 0;
}
