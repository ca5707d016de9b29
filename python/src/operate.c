/*
 * Client.operate and Client.operate_ordered: a list of op dicts applied to
 * one record atomically (aw_operate), converted once per call, the GIL
 * released while the command runs.
 *
 * operate returns Record(key, meta, bins) with bins a dict (a bin read by
 * several ops holds the last op's result); operate_ordered asks the server
 * for one result per op and returns bins as a list of (name, value), in op
 * order.
 */
#include "pyaw_ops.h"

/* Op types that only read: operate then starts from the read policy. */
static bool writes(const aw_op *ops, size_t n) {
    for (size_t i = 0; i < n; i++)
        switch (ops[i].type) {
        case AW_OP_READ: case AW_OP_CDT_READ: case AW_OP_EXP_READ: case AW_OP_BIT_READ:
        case AW_OP_HLL_READ:
            break;
        default:
            return true;
        }
    return false;
}

/* The record's results as (name, value) pairs in the order sent. */
static PyObject *ordered_bins(const aw_record *rec) {
    PyObject *list = PyList_New(rec->n_bins);
    for (uint32_t i = 0; list && i < rec->n_bins; i++) {
        PyObject *v = pyaw_value_to_py(&rec->bins[i].value, 1);
        PyObject *pair = v ? Py_BuildValue("(sN)", rec->bins[i].name, v) : NULL;
        if (!pair)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, pair);
    }
    return list;
}

int pyaw_operate_from_py(const aw_config *cfg, PyObject *ops_o, PyObject *meta,
                         PyObject *policy, bool ordered, aw_op **ops, size_t *n_ops,
                         aw_policy *pol, pyaw_conv *c) {
    PyObject *ttl;
    if (pyaw_ops_from_py(ops_o, ops, n_ops, &ttl, c) < 0)
        return -1;
    /* The operate policy takes both read and write keys. */
    const aw_policy *base = writes(*ops, *n_ops) ? &cfg->write_policy : &cfg->read_policy;
    /* The policy's ttl, then a touch op's, then meta's. */
    if (pyaw_cmd_policy_from_py(policy, base, PYAW_POLICY_WRITE, pol, c) < 0 ||
        (ttl && pyaw_ttl_apply(ttl, pol) < 0) || pyaw_meta_apply(meta, pol) < 0)
        return -1;
    pol->respond_all_ops = pol->respond_all_ops || ordered;
    return 0;
}

PyObject *pyaw_operate_result_to_py(const aw_record *rec, const aw_key *key, PyObject *given,
                                    bool ordered) {
    if (!ordered)
        return pyaw_record_to_py(rec, key, given);
    PyObject *bins = ordered_bins(rec);
    PyObject *k = bins ? pyaw_key_to_py(key, given) : NULL;
    PyObject *m = k ? pyaw_meta_to_py(rec) : NULL;
    if (m)
        return pyaw_record3(k, m, bins);
    Py_XDECREF(bins);
    Py_XDECREF(k);
    return NULL;
}

static PyObject *operate(pyaw_client *self, PyObject *args, PyObject *kwds, bool ordered) {
    static char *kwlist[] = {"key", "list", "meta", "policy", NULL};
    PyObject *key_o, *ops_o, *meta = NULL, *policy = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, ordered ? "OO|OO:operate_ordered"
                                                         : "OO|OO:operate",
                                     kwlist, &key_o, &ops_o, &meta, &policy))
        return NULL;
    pyaw_conv conv;
    if (pyaw_conv_init(&conv) < 0)
        return NULL;
    aw_key key;
    aw_policy pol;
    aw_op *ops = NULL;
    size_t n_ops = 0;
    PyObject *result = NULL;
    aw_client *c;
    if (pyaw_key_from_py(key_o, &key, &conv) < 0 ||
        pyaw_operate_from_py(&self->cfg, ops_o, meta, policy, ordered, &ops, &n_ops, &pol,
                             &conv) < 0 ||
        !(c = pyaw_client_enter(self)))
        goto out;
    aw_record rec = {0};
    aw_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = aw_operate(c, &pol, &key, ops, n_ops, &rec, &err);
    Py_END_ALLOW_THREADS
    self->busy--;
    if (rc != AW_OK)
        pyaw_raise(&err);
    else
        result = pyaw_operate_result_to_py(&rec, &key, key_o, ordered);
    aw_record_free(&rec);
out:
    pyaw_conv_free(&conv);
    return result;
}

PyObject *pyaw_operate(pyaw_client *self, PyObject *args, PyObject *kwds) {
    return operate(self, args, kwds, false);
}

PyObject *pyaw_operate_ordered(pyaw_client *self, PyObject *args, PyObject *kwds) {
    return operate(self, args, kwds, true);
}
