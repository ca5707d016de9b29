/*
 * aerowire/numpy.h — records as rows of a numpy-style structured dtype.
 *
 * A dtype describes one row: named fields at byte offsets, each a number
 * (i1..i8, u1..u8, f2/f4/f8), fixed bytes (S<n>, V<n>) or a sub-array of
 * numbers with a shape. Offsets and itemsize are exactly numpy's (packed,
 * or numpy's align=True layout). Rows are plain memory the caller owns: a
 * numpy array's buffer, a C struct array, an mmap.
 *
 * Batch reads decode each record straight from the network buffer into its
 * row (rows + index * itemsize): no record objects, no per-value allocation.
 * Scans and queries do the same into the caller's row chunks (aw_scan_into,
 * aw_query_into) or a streamed .npy file (aw_query_to_npy).
 * Batch writes build requests straight from the rows.
 *
 * Field <-> bin rules (batch reads):
 *  - int bin -> integer field: two's-complement truncation to the width
 *    (numpy's astype); unsigned fields take the same bits.
 *  - float bin -> float field: rounded to the field's precision (f2 =
 *    IEEE half, round to nearest even, overflow to inf).
 *  - int bin -> float field: converted as (double)v then to the width.
 *  - float bin -> integer field: truncated toward zero and saturated to the
 *    field's range; NaN gives 0.
 *  - bool bin -> numeric field: 0 or 1.
 *  - string or blob bin -> S/V field: copied, truncated or zero-padded.
 *  - blob bin -> numeric sub-array: the bytes copied raw (little-endian
 *    fields); a size mismatch copies what fits and zeroes the rest. The
 *    blob's elements are little-endian: a big-endian sub-array gets each
 *    element byte-swapped.
 *  - any bin -> bool field (b1): numpy's astype(bool): 1 when not zero
 *    (NaN too).
 *  - anything else (a map into f8, a string into i4, a list...): the field
 *    is zeroed and the row's code is AW_ERR_FIELD_TYPE (error.h; the other fields
 *    are still filled).
 *  - a missing bin zeroes its field; a missing record zeroes the whole
 *    row, its meta, and sets code 2 (AW_ERR_RECORD_NOT_FOUND).
 * Fields whose names start with '_' are never read from bins.
 */
#ifndef AEROWIRE_NUMPY_H
#define AEROWIRE_NUMPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "export.h"
#include "query.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- Dtypes ------------------------------------------------------------------- */

typedef struct aw_dtype aw_dtype;

#define AW_DTYPE_MAX_NDIM 8

/* What one field is. kind: 'i' signed, 'u' unsigned, 'f' float, 'S' bytes,
 * 'V' void (raw bytes), 'b' bool, 'c' complex (width 8 or 16: two floats;
 * only in AW_DTYPE_ARRAY dtypes). */
typedef struct aw_dtype_field {
    const char *name;       /* valid while the dtype lives */
    char kind;
    uint32_t width;         /* bytes of one element (S/V: the whole length) */
    bool big_endian;        /* as declared ('>'); rows are always read and
                             * written in the declared order */
    uint32_t ndim;          /* 0 for a scalar */
    uint32_t shape[AW_DTYPE_MAX_NDIM];
    size_t count;           /* elements: product of shape (1 for a scalar) */
    size_t offset;          /* byte offset in the row */
    size_t size;            /* bytes: width * count */
} aw_dtype_field;

/* Parses numpy's notations:
 *  - a descr list: "[('_key','<i4'),('temperature','<f8'),('name','|S32'),
 *    ('emb','<f4',(128,))]" (also with double quotes, and numpy's
 *    ('', '|V4') padding entries);
 *  - the comma form: "i4,f8,S8" (fields named f0, f1, ... as numpy does);
 *  - a single type: "<f8" (one field named f0).
 * Type codes: b1 ? i1 i2 i4 i8 u1 u2 u4 u8 f2 f4 f8 e f d b B h H i I l L q Q
 * S<n> a<n> V<n>, with optional < > = | byte order. Unicode (U), objects (O),
 * datetimes and nested structs are refused with AW_ERR_UNSUPPORTED naming
 * the field. align = numpy's align=True (each field at a multiple of its
 * alignment, itemsize padded to the largest). */
AW_API int aw_dtype_parse(const char *spec, bool align, aw_dtype **out, aw_error *err);

/* Flags of aw_dtype_parse_flags and aw_dtype_new_flags. */
#define AW_DTYPE_ALIGN 0x1u /* numpy's align=True (the `align` argument above) */
/* The dtype of a whole array stored with aerowire/array.h, whose fields
 * never become bins: complex types are accepted (c8 c16 F D complex64
 * complex128 complex csingle cdouble; kind 'c', aligned like their float
 * parts, as numpy does) and field names may be longer than 15 bytes. The
 * row layer (aw_batch_read_into, aw_batch_write_from) refuses such a
 * dtype's complex fields (AW_ERR_UNSUPPORTED) and long names
 * (AW_ERR_BAD_NAME), naming the field: a complex number has no bin type. */
#define AW_DTYPE_ARRAY 0x2u
/* aw_dtype_parse with flags (AW_ERR_PARAM for unknown bits). Without
 * AW_DTYPE_ARRAY, complex types are AW_ERR_UNSUPPORTED as above. */
AW_API int aw_dtype_parse_flags(const char *spec, unsigned flags, aw_dtype **out, aw_error *err);

/* Builder: start empty, add fields in order, then use it. type is a type
 * code as above ("<f4", "S32"); shape NULL/ndim 0 for a scalar. Refuses
 * duplicate names, empty names, names over 15 bytes when they would be bins
 * (names starting with '_' may be longer), and unsupported types. */
AW_API int aw_dtype_new(aw_dtype **out, bool align, aw_error *err);
AW_API int aw_dtype_new_flags(aw_dtype **out, unsigned flags, aw_error *err);
/* The flags the dtype was made with (AW_DTYPE_ALIGN, AW_DTYPE_ARRAY). */
AW_API unsigned aw_dtype_flags(const aw_dtype *dt);
AW_API int aw_dtype_add(aw_dtype *dt, const char *name, const char *type, const uint32_t *shape,
                        uint32_t ndim, aw_error *err);

AW_API size_t aw_dtype_itemsize(const aw_dtype *dt);
AW_API size_t aw_dtype_n_fields(const aw_dtype *dt);
/* Field i (0-based), or NULL past the end. */
AW_API const aw_dtype_field *aw_dtype_field_at(const aw_dtype *dt, size_t i);
/* The field named `name`, or NULL. */
AW_API const aw_dtype_field *aw_dtype_find(const aw_dtype *dt, const char *name);
/* numpy's descr for this dtype (what .npy headers and dtype.descr show),
 * e.g. "[('a', '<i4'), ('b', '<f8')]", gaps as ('', '|Vn'); a single
 * unnamed scalar type gives its quoted typestr, "'<f8'", as a .npy header
 * holds it. aw_dtype_parse reads it back. Allocated, aw_free it; NULL on
 * OOM. */
AW_API char *aw_dtype_descr(const aw_dtype *dt);
AW_API void aw_dtype_free(aw_dtype *dt);

/* --- Batch read into rows -------------------------------------------------------- */

typedef struct aw_row_meta {
    uint32_t gen;
    uint32_t ttl;           /* seconds; AW_TTL_NEVER_EXPIRE when it never expires */
} aw_row_meta;

/* Reads keys[0..n) into rows[0..n) of dtype dt. Only the bins named by the
 * dtype's fields (not starting with '_') travel, unless bins/n_bins names
 * them explicitly (fields absent from it stay zero). rows_size is the
 * buffer's length in bytes and must hold n * itemsize. meta (n entries) and
 * codes (n entries) may be NULL. Row i is written only by key i's answer;
 * nothing outside rows[0..n*itemsize) is touched. The same key at several
 * positions is read once per position, each into its own row. n == 0 is
 * AW_OK with nothing touched. dt may be freed once the call returns (the
 * async one too); keys, rows, meta and codes must live until it ends. */
AW_API int aw_batch_read_into(aw_client *client, const aw_batch_policy *policy, const aw_key *keys,
                              size_t n, const char *const *bins, size_t n_bins, const aw_dtype *dt,
                              void *rows, size_t rows_size, aw_row_meta *meta, int32_t *codes,
                              aw_error *err);
AW_API int aw_batch_read_into_async(aw_loop *loop, const aw_batch_policy *policy,
                                    const aw_key *keys, size_t n, const char *const *bins,
                                    size_t n_bins, const aw_dtype *dt, void *rows, size_t rows_size,
                                    aw_row_meta *meta, int32_t *codes, aw_batch_cb cb, void *udata,
                                    aw_error *err);

/* aw_batch_read_into for n records of one namespace and set whose user keys
 * are the integers ids[0..n) (ns and set as aw_key_init_int takes them; set
 * NULL: none), with no aw_key made for each: the keys' digests are made
 * from their ids sixteen at a time as the batch is placed, and live only in
 * its requests. Rows, meta, codes and duplicates as there.
 * ids must live until the call ends (the async one: until its callback). */
AW_API int aw_batch_read_ids_into(aw_client *client, const aw_batch_policy *policy,
                                  const char *ns, const char *set, const int64_t *ids, size_t n,
                                  const char *const *bins, size_t n_bins, const aw_dtype *dt,
                                  void *rows, size_t rows_size, aw_row_meta *meta,
                                  int32_t *codes, aw_error *err);
AW_API int aw_batch_read_ids_into_async(aw_loop *loop, const aw_batch_policy *policy,
                                        const char *ns, const char *set, const int64_t *ids,
                                        size_t n, const char *const *bins, size_t n_bins,
                                        const aw_dtype *dt, void *rows, size_t rows_size,
                                        aw_row_meta *meta, int32_t *codes, aw_batch_cb cb,
                                        void *udata, aw_error *err);

/* --- Scans and queries into rows -------------------------------------------------
 * A scan or query (query.h) decoded record by record from the socket buffer
 * into the rows of a buffer the caller owns, with the batch rules above:
 * the dtype's bin-bound fields are the bins asked for (unless q->bins names
 * them, as aw_batch_read_into's bins filter; q->ops projections are sent as
 * they are and their results decoded by bin name), a missing bin zeroes
 * its field, a bin of the wrong type zeroes the field and sets the row's
 * code to AW_ERR_FIELD_TYPE. Two '_' fields are filled from the record's
 * key rather than a bin, when the dtype has them:
 *  - `_digest`: the 20-byte digest, as a blob (an S or V field, or a u1/i1
 *    sub-array; other kinds are AW_ERR_UNSUPPORTED);
 *  - `_key`: the user key when the record was stored with it (zero when
 *    not), as a bin of its type: an integer key into a numeric field, a
 *    string or blob key into an S/V field; a key of another type sets the
 *    row's code to AW_ERR_FIELD_TYPE.
 * Memory does not grow with the set: besides the caller's chunk, aerowire
 * holds a reply buffer per node streaming (up to one reply frame, which the
 * server cuts at about 1 MiB; max_concurrent_nodes bounds how many at
 * once) and the cursor. Rows are written into
 * buf->rows until it holds buf->capacity rows, then the chunk callback gets
 * it; the next record goes to row 0 of whatever buffer *buf describes when
 * the callback returns (it may point buf at a new buffer), so the callback
 * must be done with the rows, or swap them, before it returns. */

/* The caller's buffer: capacity rows of the dtype's itemsize, and meta and
 * codes of capacity entries each (either may be NULL). */
typedef struct aw_rows_buffer {
    void *rows;
    size_t capacity;        /* rows; at least 1 */
    aw_row_meta *meta;      /* gen and ttl per row, or NULL */
    int32_t *codes;         /* 0, AW_ERR_FIELD_TYPE or AW_ERR_PROTO per row, or NULL */
} aw_rows_buffer;

/* A chunk: buf's rows[0..n) (and meta, codes) hold the n records just
 * delivered, in arrival order. n is capacity except for the last chunk,
 * handed over when the scan ends, whatever its outcome (its records are in
 * the cursor). Return true to go on, after changing *buf to hand over the
 * next buffer if wanted (rows NULL or capacity 0 there stops the scan with
 * AW_ERR_PARAM); false stops every stream: the call returns
 * AW_ERR_CLIENT_ABORT and the cursor resumes after the chunk's last row
 * (false on the last chunk changes nothing: the scan was over). */
typedef bool (*aw_rows_chunk_cb)(aw_rows_buffer *buf, size_t n, void *udata);

/* Runs q (as aw_query_foreach: cursor NULL = every partition once; the
 * same outcomes) into rows of dt, chunk by chunk. Errors before anything
 * is sent: AW_ERR_PARAM (NULL client, query, dtype, buffer or callback, an
 * empty buffer, a q->bins name that is not a bin field of dt),
 * AW_ERR_UNSUPPORTED (a field kind no converter takes, a `_digest` that is
 * not bytes), AW_ERR_BAD_NAME, and aw_query_foreach's. dt may be freed
 * once the call returns. */
AW_API int aw_query_into(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                         aw_partition_status *cursor, const aw_dtype *dt, aw_rows_buffer *buf,
                         aw_rows_chunk_cb cb, void *udata, aw_error *err);
/* aw_query_into of a scan of ns/set (set NULL: the whole namespace), the
 * dtype's bin fields. */
AW_API int aw_scan_into(aw_client *client, const aw_query_policy *policy, const char *ns,
                        const char *set, aw_partition_status *cursor, const aw_dtype *dt,
                        aw_rows_buffer *buf, aw_rows_chunk_cb cb, void *udata, aw_error *err);

/* The async forms (query.h's async section: the loop, pause, resume, abort,
 * the lifetime of q and the cursor, the done callback). The chunk callback
 * says AW_QUERY_CONTINUE, AW_QUERY_PAUSE (no more rows until
 * aw_query_resume; the next ones go to the buffer *buf then describes) or
 * AW_QUERY_STOP (done gets AW_ERR_CLIENT_ABORT); the last, partial chunk
 * comes right before done, whatever the outcome (its answer is ignored).
 * The caller's buffers must stay valid until done. Errors as aw_query_into
 * (done is not called then) and aw_query_foreach_async's. */
typedef aw_query_flow (*aw_rows_chunk_async_cb)(aw_rows_buffer *buf, size_t n, void *udata);
AW_API int aw_query_into_async(aw_loop *loop, const aw_query_policy *policy, const aw_query *q,
                               aw_partition_status *cursor, const aw_dtype *dt,
                               aw_rows_buffer *buf, aw_rows_chunk_async_cb cb,
                               aw_query_done_cb done, void *udata, aw_query_handle **handle,
                               aw_error *err);
AW_API int aw_scan_into_async(aw_loop *loop, const aw_query_policy *policy, const char *ns,
                              const char *set, aw_partition_status *cursor, const aw_dtype *dt,
                              aw_rows_buffer *buf, aw_rows_chunk_async_cb cb,
                              aw_query_done_cb done, void *udata, aw_query_handle **handle,
                              aw_error *err);

/* Writes what q delivers (over the cursor, as aw_query_into) to a .npy file
 * numpy.load reads as a 1-d array of dt, streaming: one chunk of
 * chunk_rows rows (0: as many as fit in 1 MiB) in memory, the rows appended
 * to a temporary file beside path, the header's row count set at the end,
 * then synced and renamed onto path: byte for byte what numpy.save writes
 * for those rows (numpy's header keeps spare room for the count's digits,
 * so the final header fits where the first one was). *n_rows
 * (may be NULL) gets the rows written. Any failure leaves no file under path
 * (nor the temporary) and the cursor as it was on entry, so the same call
 * can be made again: the scan's errors, AW_ERR_FIELD_TYPE / AW_ERR_PROTO
 * for a record a field could not take (a file must not hold a silent
 * zero; the message names the row), and I/O errors (AW_ERR_CLIENT with the
 * path and the system's reason). */
AW_API int aw_query_to_npy(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                           aw_partition_status *cursor, const aw_dtype *dt, const char *path,
                           size_t chunk_rows, uint64_t *n_rows, aw_error *err);

/* Told the rows written to the file so far; false stops the scan. */
typedef bool (*aw_npy_progress_cb)(uint64_t rows, void *udata);

/* How aw_query_to_npy_opts writes. Zeroed (or NULL) means aw_query_to_npy's
 * defaults. */
typedef struct aw_query_npy_opts {
    size_t chunk_rows;              /* rows per chunk; 0: as many as fit in 1 MiB */
    /* Called on the calling thread after each full chunk is appended, and
     * once more when the scan has ended (rows = the final count), before
     * the file is completed; NULL: none. False stops every stream: the call
     * returns AW_ERR_CLIENT_ABORT, as any failure leaving no file and the
     * cursor as it was on entry. A stop is seen at the next chunk, so
     * smaller chunks answer sooner. */
    aw_npy_progress_cb progress;
    void *udata;
} aw_query_npy_opts;

/* aw_query_to_npy with opts: a progress callback that can stop it. */
AW_API int aw_query_to_npy_opts(aw_client *client, const aw_query_policy *policy,
                                const aw_query *q, aw_partition_status *cursor,
                                const aw_dtype *dt, const char *path,
                                const aw_query_npy_opts *opts, uint64_t *n_rows, aw_error *err);

/* --- Batch write from rows ------------------------------------------------------ */

/* Writes each row as one record of ns/set. The key is the field named
 * key_field (NULL = "_key"): integer fields give integer keys, S fields
 * string keys (up to the first NUL), V fields blob keys. Every field whose
 * name does not start with '_' is written as a bin (so the key is a bin
 * too only when its name has no '_'). A field named "_ttl" (integer) gives
 * the row's TTL; otherwise policy->base.ttl. Per-row outcomes go to codes,
 * in_doubt and gens (n entries each; each may be NULL; gens gets the
 * record's generation after the write, 0 when it failed).
 * Bins: integer fields as integers (a u8 above INT64_MAX as its two's
 * complement, read back as the same bits), floats as doubles, b1 as bools,
 * S fields as strings up to the first NUL, V fields and sub-arrays as
 * blobs of their raw bytes (sub-array elements little-endian). _ttl is
 * taken as the server does: 0 the namespace's TTL, -1 never expire, -2
 * keep the record's. The same key in several rows: each row is written,
 * in an order the server chooses, and has its own outcome. */
AW_API int aw_batch_write_from(aw_client *client, const aw_batch_policy *policy, const void *rows,
                               size_t rows_size, size_t n, const aw_dtype *dt, const char *ns,
                               const char *set, const char *key_field, int32_t *codes,
                               bool *in_doubt, uint32_t *gens, aw_error *err);
AW_API int aw_batch_write_from_async(aw_loop *loop, const aw_batch_policy *policy, const void *rows,
                                     size_t rows_size, size_t n, const aw_dtype *dt, const char *ns,
                                     const char *set, const char *key_field, int32_t *codes,
                                     bool *in_doubt, uint32_t *gens, aw_batch_cb cb, void *udata,
                                     aw_error *err);

/* --- Finding a key's row --------------------------------------------------------- */

/* A lookup from key (by digest, so int, string and blob keys and digests all
 * work) to its position in the keys array, like aerospike-py's
 * NumpyBatchRecords.get(key). With duplicate keys, the first position. */
typedef struct aw_key_index aw_key_index;
AW_API int aw_key_index_new(const aw_key *keys, size_t n, aw_key_index **out, aw_error *err);
/* Keys match when their digests and namespaces do. The index copies what
 * it needs: keys may go after aw_key_index_new. */
/* The row of key, or -1 when it is not in the batch. */
AW_API int64_t aw_key_index_find(const aw_key_index *idx, const aw_key *key);
AW_API void aw_key_index_free(aw_key_index *idx);

/* --- .npy files -------------------------------------------------------------------- */

/* Writes a 1-d array of n rows (format 1.0, or 2.0 when the header needs
 * more than 65535 bytes, 3.0 when a name is not latin-1: byte for byte
 * what numpy.save writes) that numpy.load reads back as the same dtype.
 * Atomic: written to a temporary file beside path, synced, renamed.
 * I/O errors are AW_ERR_CLIENT with the path and the system's reason. On
 * success err->message is empty, or a warning (code still AW_OK) when the
 * header exceeds numpy.load's default max_header_size (10000). */
AW_API int aw_npy_write(const char *path, const aw_dtype *dt, const void *rows, size_t n,
                        aw_error *err);
/* Reads a .npy file of a structured or plain dtype: *dt, *rows (allocated,
 * aw_free) and *n. Refuses bad magic, unknown versions, malformed headers,
 * Fortran order, object or unicode dtypes, more than one dimension, and a
 * data size that does not match, each with AW_ERR_PARAM or
 * AW_ERR_UNSUPPORTED and a message saying which (field names as for
 * aw_dtype_add; I/O errors AW_ERR_CLIENT). A 0-d array (shape ()) is one
 * row. */
AW_API int aw_npy_read(const char *path, aw_dtype **dt, void **rows, size_t *n, aw_error *err);

/* --- .npy files of any shape (the whole arrays of aerowire/array.h) ------------- */

#define AW_NPY_MAX_NDIM 32 /* numpy 1.x's NPY_MAXDIMS */

/* What a .npy header says about an N-d, C-order array. */
typedef struct aw_npy_header {
    aw_dtype *dtype;        /* owned (aw_npy_header_clear); parsed with AW_DTYPE_ARRAY */
    uint32_t ndim;          /* 0 for a 0-d array (one element) */
    uint64_t shape[AW_NPY_MAX_NDIM];
    uint64_t count;         /* elements: the product of shape */
    uint64_t nbytes;        /* data bytes: count * itemsize */
    uint64_t data_offset;   /* where the data starts in the file */
} aw_npy_header;

/* Reads a .npy file's header (any shape up to AW_NPY_MAX_NDIM dimensions,
 * any dtype AW_DTYPE_ARRAY takes: complex too) and checks that a regular
 * file holds exactly nbytes of data after it. Refusals as aw_npy_read's
 * (Fortran order, objects, unicode, bad sizes), I/O errors AW_ERR_CLIENT.
 * *h is zeroed on failure. */
AW_API int aw_npy_read_header(const char *path, aw_npy_header *h, aw_error *err);
/* The same, and the data: *data is allocated (aw_free; never NULL on
 * success, even for 0 bytes). */
AW_API int aw_npy_read_array(const char *path, aw_npy_header *h, void **data, aw_error *err);
/* Frees h->dtype and zeroes h. NULL is harmless. */
AW_API void aw_npy_header_clear(aw_npy_header *h);
/* Writes an N-d C-order array (shape[0..ndim), data of prod(shape) *
 * itemsize bytes) as numpy.save would, atomically like aw_npy_write (and
 * with its header warning). */
AW_API int aw_npy_write_array(const char *path, const aw_dtype *dt, const uint64_t *shape,
                              uint32_t ndim, const void *data, aw_error *err);

#ifdef __cplusplus
}
#endif
#endif
