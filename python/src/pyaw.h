/*
 * The aerowire extension's shared declarations: conversions between Python
 * objects and aerowire keys, values and policies, and the error mapping.
 */
#ifndef PYAW_H
#define PYAW_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <aerowire/aerowire.h>

/* What one conversion of Python arguments needs freed or kept alive: the
 * aw_value arrays it allocated, and the Python objects whose bytes the
 * aw_values borrow (held so another thread cannot free them while the
 * command runs without the GIL). */
#define PYAW_CONV_FEW 6
typedef struct pyaw_conv {
    /* Objects kept alive until pyaw_conv_free: the first few inline (a
     * single-record command keeps one or two), the rest in a list made
     * when needed. */
    PyObject *few[PYAW_CONV_FEW];
    unsigned n_few;
    PyObject *keep;
    void **allocs;
    size_t n_allocs, cap_allocs;
    aw_key *keys; /* a batch's key array (keys.c), given back when freed */
    size_t keys_cap;
} pyaw_conv;

int pyaw_conv_init(pyaw_conv *c);
void pyaw_conv_free(pyaw_conv *c);
/* Zeroed memory freed with the conversion; NULL with MemoryError set. */
void *pyaw_conv_alloc(pyaw_conv *c, size_t size);
/* Keeps a new reference to o until pyaw_conv_free; -1 with MemoryError. */
int pyaw_keep(pyaw_conv *c, PyObject *o);
/* The arguments of a METH_FASTCALL | METH_KEYWORDS method, by position or
 * keyword, into out[0..n_names) (NULL when not given); the first
 * `required` must be given. 0, or -1 with TypeError as CPython words it. */
int pyaw_fast_args(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                   const char *const *names, int n_names, int required, PyObject **out,
                   const char *fname);
/* A bin name as str (new reference), from a small cache of recent names. */
PyObject *pyaw_bin_name_to_py(const char *name);

/* Each returns 0, or -1 with a Python exception set. */
int pyaw_key_from_py(PyObject *tuple, aw_key *key, pyaw_conv *c);
/* A list or tuple of keys; *keys_tuple is a tuple of them (borrowed from c),
 * keys_tuple NULL when the caller needs none (keys.c). */
int pyaw_keys_from_py(PyObject *seq, aw_key **keys, size_t *n, PyObject **keys_tuple,
                      pyaw_conv *c);
/* An uninitialised array of n keys owned by c (one per conversion): the
 * array a batch before it gave back when big enough, else a new one; NULL
 * with MemoryError set (keys.c). */
aw_key *pyaw_keys_alloc(pyaw_conv *c, size_t n);
/* Gives c's key array back for the next batch (pyaw_conv_free calls it). */
void pyaw_keys_release(pyaw_conv *c);
/* The keys of a 1-d C-contiguous buffer of user keys (kind 'i': int64, 'S':
 * string keys up to the first NUL, 'V': blob keys) in namespace ns and set
 * set (NULL: none), each with its digest, into a key array of c
 * (keys_array.c); -1 raised: ValueError for a bad name or buffer. */
int pyaw_keys_from_array(PyObject *array, int kind, const char *ns, const char *set,
                         aw_key **keys, size_t *n, pyaw_conv *c);
/* Room for n ids in c's key array (see pyaw_keys_alloc); NULL raised. */
int64_t *pyaw_ids_alloc(pyaw_conv *c, size_t n);
/* A batch's keys as ids when they are all of one namespace and set (the
 * first key's str objects) with int user keys: 1 with *ids (c's) and the
 * names, 0 when they are not (nothing raised: take pyaw_keys_from_py), -1
 * raised (a bad first key). */
int pyaw_ids_from_py(PyObject *seq, int64_t **ids, size_t *n, char ns[AW_NAMESPACE_MAX + 1],
                     char set[AW_SET_MAX + 1], pyaw_conv *c);
/* The ids of a 1-d C-contiguous int64 buffer of user keys in namespace ns
 * and set (NULL: none), copied into c; -1 raised as pyaw_keys_from_array. */
int pyaw_ids_from_array(PyObject *array, const char *ns, const char *set, int64_t **ids,
                        size_t *n, char ns_out[AW_NAMESPACE_MAX + 1],
                        char set_out[AW_SET_MAX + 1], pyaw_conv *c);
/* A tuple of the items of a list or tuple argument, kept by c; NULL with a
 * TypeError saying what it should have been ("bins must be a list or tuple
 * of bin names", `what` "bins"; "keys must be a list or tuple of key
 * tuples"). */
PyObject *pyaw_items_of(PyObject *seq, const char *what, pyaw_conv *c);
int pyaw_bins_from_py(PyObject *dict, aw_bin **bins, size_t *n_bins, pyaw_conv *c);
int pyaw_value_from_py(PyObject *o, aw_value *out, pyaw_conv *c, int depth);
/* A bin name: a str of 1 to 15 UTF-8 bytes, borrowed. */
int pyaw_bin_name(PyObject *name, const char **out);
/* A list of bin names: NULL-terminated char pointers borrowed from the strs. */
int pyaw_bin_names_from_py(PyObject *seq, const char ***names, size_t *n, pyaw_conv *c);

/* New references, or NULL with an exception set. */
PyObject *pyaw_value_to_py(const aw_value *v, int depth);
PyObject *pyaw_key_to_py(const aw_key *key, PyObject *given);
PyObject *pyaw_meta_to_py(const aw_record *rec);
PyObject *pyaw_record_to_py(const aw_record *rec, const aw_key *key, PyObject *given);

/* Policies: `dict` (None or a dict) applied over `base`. Unknown keys are
 * a ValueError naming them. */
enum pyaw_policy_kind { PYAW_POLICY_READ, PYAW_POLICY_WRITE };
int pyaw_policy_from_py(PyObject *dict, const aw_policy *base, enum pyaw_policy_kind kind,
                        aw_policy *out);
/* The same for one command: its `expressions` (filter) is kept alive by c
 * (pyaw_policy_from_py refuses that key). */
int pyaw_cmd_policy_from_py(PyObject *dict, const aw_policy *base, enum pyaw_policy_kind kind,
                            aw_policy *out, pyaw_conv *c);
/* The `meta` argument of writes: {"ttl": ..., "gen": ...}. */
int pyaw_meta_apply(PyObject *meta, aw_policy *policy);
/* A TTL as the Python clients give it (-1 never, -2 don't update, -3 the
 * policy's) into policy->ttl. */
int pyaw_ttl_apply(PyObject *ttl, aw_policy *policy);

/* Raises the aerowire.exception class for err; returns NULL. */
PyObject *pyaw_raise(const aw_error *err);
/* Raises the class for code with a message; returns NULL. */
PyObject *pyaw_raise_code(int code, const char *message);

/* An instance of NamedTuple class cls (a tuple subclass without __dict__,
 * checked at import) holding items[0..n): new references, taken (also on
 * failure; a NULL one fails it, for chained conversions). Made as
 * tuple.__new__ makes a subclass's instance (tuple_subtype_new), without
 * calling the class's Python-level __new__: that cost an interpreter frame
 * per Record and per Meta. */
PyObject *pyaw_named_tuple(PyObject *cls, PyObject *const *items, Py_ssize_t n);
/* Record(key, meta, bins) from new references (taken; NULL fails). */
PyObject *pyaw_record3(PyObject *key, PyObject *meta, PyObject *bins);

/* Module state the conversions use (set at import). */
extern PyObject *pyaw_Record;
extern PyObject *pyaw_Meta;
extern PyObject *pyaw_GeoJSON;
extern PyObject *pyaw_make_exception;

extern PyTypeObject pyaw_ClientType;
extern PyTypeObject pyaw_KeyIndexType;

/* The client object's parts the batch commands use (client.c). */
typedef struct pyaw_client {
    PyObject_HEAD
    aw_client *client;
    aw_config cfg;
    char *hosts;        /* cfg.hosts, owned */
    char *cluster_name; /* cfg.cluster_name, owned */
    long busy;          /* threads inside a command (close() refuses then) */
    PyObject *keep;     /* the config's other strings (bytes), or NULL */
} pyaw_client;

/* The config's security keys (config_security.c): a str value kept alive
 * by the client into *out (None: NULL), the "tls" dict into cfg.tls, the
 * policies' auth_mode. 0, or -1 with an exception set (ParamError for what
 * aerowire does not support). */
int pyaw_config_str(pyaw_client *self, PyObject *v, const char *name, const char **out);
int pyaw_config_tls(pyaw_client *self, PyObject *tls);
int pyaw_config_auth_mode(pyaw_client *self, PyObject *v);

/* The connected client for one command (busy counted: the caller
 * decrements it when the call returns), or NULL with an exception set. */
aw_client *pyaw_client_enter(pyaw_client *self);

/* Client._batch_get and Client._batch_read_into (batch.c). */
PyObject *pyaw_batch_get(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_batch_read_into(pyaw_client *self, PyObject *args, PyObject *kwds);
/* A batch policy: aerowire's batch defaults with the policy keys of `kind`
 * from dict over them, its expressions kept alive by c (batch.c). */
int pyaw_batch_policy_from_py(PyObject *dict, enum pyaw_policy_kind kind, aw_batch_policy *bp,
                              pyaw_conv *c);
/* numpy's descr text of a dtype (aw_dtype_parse_flags' flags) into *dt,
 * checked against numpy's itemsize; -1 raised: TypeError for a type with
 * no bin or array type, ValueError otherwise (batch.c). */
int pyaw_dtype_parse(const char *descr, unsigned flags, Py_ssize_t itemsize, aw_dtype **dt);
/* A writable C-contiguous buffer of at least `need` bytes in *view (release
 * it with PyBuffer_Release), or -1 with a ValueError naming `what` (batch.c). */
int pyaw_writable_buffer(PyObject *o, Py_buffer *view, size_t need, const char *what);
/* Per-row results as a list of (code, Record, in_doubt): the Record's meta
 * and bins None for a row that failed (batch.c). */
PyObject *pyaw_batch_rows_to_py(const aw_batch_result *res, const aw_key *keys, PyObject *keys_t,
                                size_t n);

/* Client._batch_write_from, Client._batch_rows and the module's _key
 * (batch_write.c). */
PyObject *pyaw_batch_write_from(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_batch_rows(pyaw_client *self, PyObject *args, PyObject *kwds);
extern PyMethodDef pyaw_batch_write_functions[];

/* Client._array_put, _array_open, _array_delete and the handle type they
 * open (array.c). */
PyObject *pyaw_array_put(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_array_open(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_array_delete(pyaw_client *self, PyObject *args, PyObject *kwds);
extern PyTypeObject pyaw_ArrayHandleType;

/* A batch read's converted arguments (batch.c), shared by the sync and
 * async commands. The caller frees conv (even after a failure). */
typedef struct pyaw_batch_args {
    pyaw_conv conv;
    aw_key *keys;
    size_t n;
    /* Instead of keys, for a read into rows: the integer user keys of one
     * namespace and set (aw_batch_read_ids_into), held by conv. */
    int64_t *ids;
    char ids_ns[AW_NAMESPACE_MAX + 1];
    char ids_set[AW_SET_MAX + 1];
    PyObject *keys_t; /* the keys as given, a tuple (held by conv), or NULL */
    const char **names;
    size_t n_names;
    aw_batch_policy bp;
} pyaw_batch_args;
/* The batch policy is of `kind`: read for batch reads, write for writes;
 * keys_tuple: the caller reads the keys as given back from keys_t after the
 * command (else keys_t may be NULL). */
int pyaw_batch_args_from_py(PyObject *keys, PyObject *bins, PyObject *policy,
                            enum pyaw_policy_kind kind, bool keys_tuple, pyaw_batch_args *b);
/* The same with the keys from a numpy array of user keys (see
 * pyaw_keys_from_array); keys_t is NULL then. */
int pyaw_batch_args_from_array(PyObject *keys, int key_kind, const char *ns, const char *set,
                               PyObject *bins, PyObject *policy, enum pyaw_policy_kind kind,
                               pyaw_batch_args *b);

/* _batch_read_into's arguments: the batch, the parsed dtype and the three
 * writable buffers (checked to hold n rows). Release it even after a
 * failure; it holds the buffers (so the arrays live) until then. */
typedef struct pyaw_batch_into {
    pyaw_batch_args a;
    aw_dtype *dt;
    Py_buffer rows, meta, codes;
} pyaw_batch_into;
int pyaw_batch_into_from_py(PyObject *args, PyObject *kwds, pyaw_batch_into *b);
void pyaw_batch_into_release(pyaw_batch_into *b);

/* A batch answered row by row (aw_batch_result), shared by the sync and
 * async commands: _batch_get's arguments (batch.c; rows NULL), or
 * _batch_rows' (batch_write.c: the keys and write policy, one aw_batch_op
 * per key of kind "write", "operate" or "remove"), and the results they
 * fill. Release it even after a failure. */
typedef struct pyaw_batch_rows_args {
    pyaw_batch_args a;
    aw_batch_op *rows;
    aw_batch_result *res;
} pyaw_batch_rows_args;
int pyaw_batch_get_from_py(PyObject *args, PyObject *kwds, pyaw_batch_rows_args *b);
int pyaw_batch_rows_from_py(PyObject *args, PyObject *kwds, pyaw_batch_rows_args *b);
void pyaw_batch_rows_release(pyaw_batch_rows_args *b);
/* Its results as pyaw_batch_rows_to_py's rows. */
PyObject *pyaw_batch_rows_result(const pyaw_batch_rows_args *b);

/* _batch_write_from's arguments (batch_write.c): the parsed dtype, the
 * array's buffer and the three result buffers, all held until released
 * (so the arrays live and cannot be resized); ns, set and key_field are
 * borrowed from the arguments (the command copies them when submitted). */
typedef struct pyaw_write_from {
    pyaw_conv conv; /* keeps the policy's expressions alive */
    aw_batch_policy bp;
    aw_dtype *dt;
    Py_buffer data, codes, in_doubt, gens;
    size_t n;
    const char *ns, *set, *key_field;
} pyaw_write_from;
int pyaw_write_from_py(PyObject *args, PyObject *kwds, pyaw_write_from *w);
void pyaw_write_from_release(pyaw_write_from *w);
/* Raises aw_batch_write_from's refusal of the array (a ValueError, or a
 * TypeError for a field type it cannot write) or its AerospikeError. */
PyObject *pyaw_write_from_raise(const aw_error *err);

/* The Client's admin commands (admin.c). */
PyObject *pyaw_admin_create_user(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_admin_drop_user(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_admin_set_password(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_admin_change_password(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_admin_grant_roles(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_admin_revoke_roles(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_admin_create_role(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_admin_drop_role(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_admin_query(pyaw_client *self, PyObject *args, PyObject *kwds);

/* The aerowire.exception instance for err (a new reference), or NULL. */
PyObject *pyaw_exception(const aw_error *err);

/* aerowire._aerowire.AsyncClient (async_client.c); module init readies it. */
extern PyTypeObject pyaw_AsyncClientType;
int pyaw_async_ready(void);

#endif
