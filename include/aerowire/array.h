/*
 * aerowire/array.h — whole N-dimensional arrays stored under one key.
 *
 * An array is its .npy bytes: a dtype (any numeric, bool, complex, fixed
 * bytes S/V or structured dtype; objects and unicode are refused), a shape
 * of 0 to AW_ARRAY_MAX_NDIM dimensions, and prod(shape) * itemsize bytes of
 * data in C order. Attributes (name -> value, like HDF5's) travel with it.
 *
 * Storage (docs/arrays.md has the details):
 *  - a header record at the caller's key with bins named "aw_*": format,
 *    dtype descr, shape, byte size, chunk size and count, the current
 *    version, one CRC-32 per chunk and one of the whole array, compression,
 *    attributes — and, for an array of at most chunk_bytes bytes, the data
 *    itself (aw_data): one record, no chunks;
 *  - otherwise chunk records of chunk_bytes bytes each (the last one
 *    shorter), in the same namespace and set, whose keys are blobs of
 *    (array digest, version, chunk index): see aw_array_chunk_key. Each
 *    carries its array's digest, version and index, so a reader checks it
 *    got the chunk it asked for.
 *
 * All or nothing, for readers: a put writes its chunks under a fresh random
 * version, then switches the header to that version with a generation
 * check, then deletes the previous version's chunks. A reader that opened
 * the old header either reads the old chunks (still there) or finds one
 * gone, re-reads the header and reads the new version instead: it never
 * gets a mix. Every chunk is checked against its CRC; a damaged or missing
 * chunk is an error (AW_ERR_ARRAY_CORRUPT) naming it, never data.
 *
 * The calls are blocking, built on the sync commands and the batch engine
 * (chunks go to their nodes in batches, all nodes at once, with retries as
 * aw_batch_policy_default()'s). They are safe from any number of threads.
 *
 * Policies: `policy` (NULL = the client's default write or read policy)
 * applies to each command a call sends: each single-record command on the
 * header, and each batch of chunks, which holds at most batch_bytes of
 * chunk data (a put's opts, AW_ARRAY_BATCH_BYTES for reads) — so a
 * timeout bounds one bounded piece of work, not the whole array. Its TTL
 * applies to the header and to every chunk, commit_level and
 * durable_delete to every write and delete; exists, gen, generation and
 * send_key are the scheme's own (the header's key is sent when send_key is
 * set; chunks never carry theirs).
 *
 * Errors, besides the client's own (see client.h): AW_ERR_PARAM for bad
 * arguments, with the numbers in the message; AW_ERR_RECORD_NOT_FOUND when
 * no array is stored at the key; AW_ERR_RECORD_GENERATION when another
 * writer changed the array during a put or delete (nothing of the losing
 * call is visible) or the array changed shape or dtype under an open ref;
 * AW_ERR_ARRAY_CORRUPT for a missing chunk, a chunk failing its CRC or
 * not decompressing, or an inconsistent header; AW_ERR_UNSUPPORTED for a
 * format newer than this client's.
 */
#ifndef AEROWIRE_ARRAY_H
#define AEROWIRE_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "export.h"
#include "numpy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AW_ARRAY_FORMAT 1                       /* the layout this client writes */
#define AW_ARRAY_MAX_NDIM AW_NPY_MAX_NDIM      /* 32 */
#define AW_ARRAY_MAX_ELEMENTS (1ull << 31)      /* more elements are refused */
/* Chunk size: half the server's default 1 MiB record limit, so a chunk,
 * its five bins and zlib's worst-case growth always fit, while per-record
 * costs (a 64-byte index entry, ~100 bytes of request and reply) stay
 * under 0.1% of the bytes moved. */
#define AW_ARRAY_DEFAULT_CHUNK (512u * 1024u)
#define AW_ARRAY_MIN_CHUNK 64u
#define AW_ARRAY_MAX_CHUNK (8u * 1024u * 1024u) /* the server's largest record limit */
/* Chunks per array: their CRCs (4 bytes each) live in the header record. */
#define AW_ARRAY_MAX_CHUNKS (1u << 17)
/* Chunk bytes per batch command (and the memory aw_array_read_npy uses). */
#define AW_ARRAY_BATCH_BYTES (16u * 1024u * 1024u)
#define AW_ARRAY_CHUNK_KEY_SIZE 32              /* digest 20 + version 8 + index 4 */

/* One attribute: a name (any non-empty UTF-8 string) and a value of any
 * type but nil (ints, floats, bools, strings, blobs, lists, maps). Both
 * are borrowed for the call. */
typedef struct aw_array_attr {
    const char *name;
    aw_value value;
} aw_array_attr;

/* How aw_array_put stores the array. Zeroed (or NULL) means the defaults. */
typedef struct aw_array_opts {
    /* Bytes of array data per chunk record (AW_ARRAY_MIN_CHUNK ..
     * AW_ARRAY_MAX_CHUNK; 0 = AW_ARRAY_DEFAULT_CHUNK). An array of at most
     * this many bytes is stored inline in its header record. Leave room
     * for ~200 bytes of bins (and, inline, the attributes) under the
     * server's record limit. */
    uint32_t chunk_bytes;
    /* zlib (deflate) per chunk; a chunk that does not shrink is stored raw. */
    bool compress;
    int compress_level;     /* 1 (fast) .. 9 (small); 0 = 1 */
    uint32_t batch_bytes;   /* chunk data per batch command; 0 = AW_ARRAY_BATCH_BYTES */
} aw_array_opts;

/* Stores an array at key, replacing the one there (all or nothing for
 * readers, as above). data holds nbytes = prod(shape[0..ndim)) * itemsize
 * bytes in C order (.npy layout); shape may be NULL when ndim is 0 (one
 * element). attrs may be NULL when n_attrs is 0. AW_ERR_PARAM for NULL
 * arguments, nbytes not matching the shape and dtype, more than
 * AW_ARRAY_MAX_ELEMENTS elements or AW_ARRAY_MAX_CHUNKS chunks, a dtype of
 * itemsize 0, bad chunk or compression options, an empty, duplicate or nil
 * attribute; AW_ERR_RECORD_EXISTS when the key holds a record that is not
 * an array (it is left alone); AW_ERR_RECORD_GENERATION when another put
 * or delete of the same key won the race (this put's chunks are removed).
 * When a chunk write fails (a node lost, a timeout) the call fails with
 * that row's code, "chunk 17 of 256: ...", and the array reads as before.
 * On AW_OK err->message may hold a warning (code 0): the previous
 * version's chunks could not all be removed; the next put or delete of the
 * key removes them. Thread-safe; data is only read. */
AW_API int aw_array_put(aw_client *client, const aw_policy *policy, const aw_key *key,
                        const void *data, size_t nbytes, const aw_dtype *dtype,
                        const uint64_t *shape, uint32_t ndim, const aw_array_attr *attrs,
                        size_t n_attrs, const aw_array_opts *opts, aw_error *err);

/* aw_array_put of a .npy file (any shape, C order; the file is mapped, not
 * copied). .npy errors as aw_npy_read_header's. */
AW_API int aw_array_put_npy(aw_client *client, const aw_policy *policy, const aw_key *key,
                            const char *path, const aw_array_attr *attrs, size_t n_attrs,
                            const aw_array_opts *opts, aw_error *err);

/* --- Opening: the metadata, from the header record alone ----------------------- */

typedef struct aw_array_ref aw_array_ref;

/* Reads the header record (only it; no chunk, no inline data) and returns
 * what it says in *out. policy (copied; NULL = the client's read default)
 * is what later reads through the ref use. AW_ERR_RECORD_NOT_FOUND when
 * no array is at key (also while a first put or a delete is half done);
 * AW_ERR_PARAM when the record there is not an array; AW_ERR_ARRAY_CORRUPT
 * for a header that does not hold together (naming the bin);
 * AW_ERR_UNSUPPORTED for a newer format. A ref never changes once open:
 * any number of threads may read through one ref at once. */
AW_API int aw_array_open(aw_client *client, const aw_policy *policy, const aw_key *key,
                         aw_array_ref **out, aw_error *err);
/* NULL is harmless. Pointers the accessors returned die with the ref. */
AW_API void aw_array_ref_free(aw_array_ref *ref);

AW_API uint32_t aw_array_ndim(const aw_array_ref *ref);
/* ndim dimensions (a valid pointer even for ndim 0). */
AW_API const uint64_t *aw_array_shape(const aw_array_ref *ref);
AW_API const aw_dtype *aw_array_dtype(const aw_array_ref *ref);
/* The dtype's .npy descr, as stored: "'<f4'", "[('a', '<i4'), ...]". */
AW_API const char *aw_array_descr(const aw_array_ref *ref);
AW_API uint64_t aw_array_size(const aw_array_ref *ref);   /* elements */
AW_API uint64_t aw_array_nbytes(const aw_array_ref *ref); /* data bytes */
/* Bytes of one row of the first axis: itemsize * prod(shape[1..]) (the
 * itemsize for a 0-d array). */
AW_API uint64_t aw_array_row_bytes(const aw_array_ref *ref);
AW_API uint32_t aw_array_chunk_bytes(const aw_array_ref *ref);
AW_API uint32_t aw_array_n_chunks(const aw_array_ref *ref); /* 0: inline in the header */
AW_API bool aw_array_compressed(const aw_array_ref *ref);
AW_API uint64_t aw_array_version(const aw_array_ref *ref);
AW_API uint32_t aw_array_format(const aw_array_ref *ref);
/* The header's generation when it was read. */
AW_API uint32_t aw_array_generation(const aw_array_ref *ref);
AW_API size_t aw_array_n_attrs(const aw_array_ref *ref);
/* Attribute i in stored order (by name: a server keeps the attribute map
 * sorted by key, not in the order the attributes were given), or NULL past
 * the end. */
AW_API const char *aw_array_attr_name(const aw_array_ref *ref, size_t i);
AW_API const aw_value *aw_array_attr_value(const aw_array_ref *ref, size_t i);
/* The attribute named name, or NULL. */
AW_API const aw_value *aw_array_attr_find(const aw_array_ref *ref, const char *name);

/* --- Loading --------------------------------------------------------------------- */

/* The whole array into buf (buf_size >= nbytes; only the first nbytes are
 * written). Reads the chunks of the ref's version, checking each one's
 * identity and CRC. When one is missing because a put or delete replaced
 * the array since the ref was opened, the header is read again and the
 * new version read instead (up to 4 times), as long as its shape and
 * dtype are the ref's; otherwise AW_ERR_RECORD_GENERATION ("changed shape
 * or dtype: open it again") or AW_ERR_RECORD_NOT_FOUND (deleted). On any
 * error the first nbytes of buf are zeroed: never partial or damaged data. */
AW_API int aw_array_read(aw_client *client, const aw_array_ref *ref, void *buf, size_t buf_size,
                         aw_error *err);
/* Rows [i, j) of the first axis (j - i rows of aw_array_row_bytes each)
 * into buf, fetching only the chunks that hold them, in one batch
 * command per AW_ARRAY_BATCH_BYTES of chunk data. i == j is AW_OK with
 * nothing read; j beyond the first axis, i > j, or a 0-d array (no rows)
 * are AW_ERR_PARAM. Checks, retries and errors as aw_array_read's (the
 * buffer's first (j - i) * row_bytes bytes zeroed on error). */
AW_API int aw_array_read_rows(aw_client *client, const aw_array_ref *ref, uint64_t i, uint64_t j,
                              void *buf, size_t buf_size, aw_error *err);
/* The whole array into a .npy file numpy.load reads (mmap_mode='r' too):
 * the array's own shape and dtype, data streamed through a buffer of at
 * most AW_ARRAY_BATCH_BYTES. Atomic like aw_npy_write: on any error the
 * file at path is left as it was. */
AW_API int aw_array_read_npy(aw_client *client, const aw_array_ref *ref, const char *path,
                             aw_error *err);
/* Rows [i, j) into a .npy file of shape (j - i, shape[1], ...). */
AW_API int aw_array_read_rows_npy(aw_client *client, const aw_array_ref *ref, uint64_t i,
                                  uint64_t j, const char *path, aw_error *err);
/* Open and read in one call: *ref and *data (aw_free; never NULL on
 * success) are the caller's; both NULL on failure. */
AW_API int aw_array_get(aw_client *client, const aw_policy *policy, const aw_key *key,
                        aw_array_ref **ref, void **data, aw_error *err);

/* --- Deleting -------------------------------------------------------------------- */

/* Removes the array: the header first (readers see "not found" at once),
 * then its chunks and any a crashed writer left. AW_ERR_RECORD_NOT_FOUND
 * when nothing is at key; AW_ERR_PARAM when the record there is not an
 * array (left alone); AW_ERR_RECORD_GENERATION when a put changed it at
 * the same moment. On AW_OK err->message may hold a warning, as for put. */
AW_API int aw_array_delete(aw_client *client, const aw_policy *policy, const aw_key *key,
                           aw_error *err);

/* --- The layout, for tools ---------------------------------------------------------- */

/* The key of chunk `index` of version `version` of the array at
 * array_key: same namespace and set, user key the blob
 * digest(20) || version (u64 big-endian) || index (u32 big-endian),
 * written into blob, which *out borrows (keep it alive while *out is
 * used). */
AW_API int aw_array_chunk_key(const aw_key *array_key, uint64_t version, uint32_t index,
                              uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE], aw_key *out, aw_error *err);

#ifdef __cplusplus
}
#endif
#endif
