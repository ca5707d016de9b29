/*
 * Scans, queries, indexes and jobs: what the query files of the extension
 * share (query_args.c converts a statement and its policy, pstatus.c is the
 * PartitionStatus cursor, rowbuf.c the buffers rows are decoded into).
 */
#ifndef PYAW_QUERY_H
#define PYAW_QUERY_H

#include "pyaw.h"

#include <aerowire/numpy.h>

/* A statement and its policy, converted from Python: everything aerowire's
 * calls borrow stays alive (conv, filter) until pyaw_query_args_free. */
typedef struct pyaw_query_args {
    aw_query q;
    aw_index_filter where;
    aw_query_policy pol;
    aw_exp *filter;          /* policy filter_exp, owned */
    pyaw_conv conv;
} pyaw_query_args;

/* spec: (namespace, set or None, bins or None, predicate or None), as
 * aerowire._query builds it; policy: None or a dict of query policy keys.
 * `extra` (may be NULL) gets a new dict of the policy's keys that are not
 * query keys (for a background job's write policy); without it they are a
 * ValueError. 0, or -1 with an exception set (args then freed). */
int pyaw_query_args_init(pyaw_query_args *a, PyObject *spec, PyObject *policy, PyObject **extra);
void pyaw_query_args_free(pyaw_query_args *a);

/* A policy value that must be an int in lo..hi (TypeError / ValueError
 * naming the key otherwise; policy.c). */
int pyaw_policy_int(PyObject *v, const char *name, long long lo, long long hi, long long *out);

/* The cursor of a PartitionStatus object (None -> *out NULL), marked in use
 * until pyaw_pstatus_release: two scans cannot drive one cursor at once. */
extern PyTypeObject pyaw_PartitionStatusType;
int pyaw_pstatus_acquire(PyObject *o, aw_partition_status **out);
void pyaw_pstatus_release(PyObject *o);
/* Replaces the object's cursor with ps (taking it; the old one is freed). */
void pyaw_pstatus_swap(PyObject *o, aw_partition_status *ps);
/* ps's byte form (aw_partition_status_write) as a bytes object; NULL with
 * the exception set. */
PyObject *pyaw_pstatus_bytes(aw_partition_status *ps);

/* A buffer of rows (meta, codes) malloc'ed without the GIL, handed to
 * Python without a copy: the object owns ptr and exposes it writable
 * through the buffer protocol (numpy.frombuffer). */
extern PyTypeObject pyaw_RowBufferType;
PyObject *pyaw_rowbuf_adopt(void *ptr, size_t len);

/* One growing allocation of rows, meta and codes that a scan decodes into
 * (rowbuf.c): when the chunk in use is full the three grow to twice their
 * rows with realloc (for large blocks glibc moves pages with mremap rather
 * than copying them), and the next chunk is the new upper half. numpy then
 * views the final block as is. Nothing here needs the GIL but the result. */
typedef struct pyaw_grow {
    size_t itemsize, cap, n;
    unsigned char *rows;
    aw_row_meta *meta;
    int32_t *codes;
    int nomem;
} pyaw_grow;
/* A first block of `first` rows and *buf on it. */
int pyaw_grow_start(pyaw_grow *g, size_t itemsize, size_t first, aw_rows_buffer *buf,
                    aw_error *err);
/* A scan's first block: max_records rows when fewer than 4096, else 4096. */
size_t pyaw_grow_first_rows(uint64_t max_records);
/* A chunk callback's work: false when out of memory (stop the scan). */
bool pyaw_grow_chunk(pyaw_grow *g, aw_rows_buffer *buf, size_t n);
/* The scan's outcome rc, made NOMEM by a failed growth; on AW_OK the block
 * shrinks to its rows, on failure it is freed. */
int pyaw_grow_end(pyaw_grow *g, int rc, aw_error *err);
void pyaw_grow_free(pyaw_grow *g);
/* (rows, meta, codes, n) RowBuffers adopting the block. */
PyObject *pyaw_grow_result(pyaw_grow *g);

/* Record(key, meta, bins) of a scanned record: the key as the server sent
 * it (namespace, set, user key or None, digest). */
PyObject *pyaw_scanned_record(const aw_key *key, const aw_record *rec);

/* Client methods (query.c, query_stream.c, sindex.c). */
PyObject *pyaw_query_records(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_query_rows(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_query_stream(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_query_background(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_index_create(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_index_remove(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_index_list(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_truncate(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_job_info(pyaw_client *self, PyObject *args, PyObject *kwds);
PyObject *pyaw_job_wait(pyaw_client *self, PyObject *args, PyObject *kwds);

extern PyTypeObject pyaw_QueryStreamType;

#endif
