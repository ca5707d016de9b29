/*
 * The array layer's insides (aerowire/array.h; docs/arrays.md): bin names,
 * the header record's codec, the ref, chunk keys and the chunk batches.
 *
 *   array_header.c  header bins <-> aw_arr_hdr, checks, the writer's view
 *   array_chunk.c   chunk keys, a chunk's bins in and out (verify + CRC)
 *   array_batch.c   chunk batches on the engine: write, read, delete
 *   array_put.c     the put protocol (intent, chunks, switch, clean up)
 *   array_gc.c      removing versions listed in aw_pend; delete
 *   array_read.c    open, read, read_rows, get, with version retries
 *   array_file.c    .npy in and out: put_npy, read_npy
 *   array_ref.c     the ref's accessors
 *   array_common.c  versions, policies, messages
 */
#ifndef AW_NUMPY_ARRAY_INTERNAL_H
#define AW_NUMPY_ARRAY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/array.h"
#include "aerowire/batch.h"
#include "proto/msg.h"

/* Header bins. */
#define AW_ARR_FMT "aw_fmt"       /* int: format version */
#define AW_ARR_DESCR "aw_descr"   /* str: the dtype's .npy descr */
#define AW_ARR_SHAPE "aw_shape"   /* list of ints */
#define AW_ARR_NBYTES "aw_nbytes" /* int */
#define AW_ARR_CHUNK "aw_chunk"   /* int: bytes per chunk */
#define AW_ARR_NCHUNKS "aw_nchunks" /* int: 0 = inline */
#define AW_ARR_VER "aw_ver"       /* int: the version whose chunks are current */
#define AW_ARR_CRC "aw_crc"       /* blob: u32 LE per chunk, then the whole array's */
#define AW_ARR_COMP "aw_comp"     /* int: 1 = chunks were written with zlib */
#define AW_ARR_ATTRS "aw_attrs"   /* map: str -> value */
#define AW_ARR_PEND "aw_pend"     /* list: version, n_chunks, version, n_chunks... */
/* Bins of both: the inline payload / a chunk's bytes, and whether they are
 * zlib-compressed. */
#define AW_ARR_DATA "aw_data"
#define AW_ARR_Z "aw_z"
/* Chunk bins (with aw_ver, aw_data, aw_z). */
#define AW_ARR_OF "aw_of"         /* blob: the array key's digest */
#define AW_ARR_IDX "aw_idx"       /* int: chunk index */

#define AW_ARR_READ_TRIES 4       /* header versions a read follows */
#define AW_ARR_BATCH_MAX_CHUNKS 4096u /* keys held per batch command */

/* What a header record says (pointers into the record it came from). */
typedef struct aw_arr_hdr {
    uint32_t fmt;
    bool has_version;         /* false: a put or delete is half done */
    uint64_t version;
    const char *descr;
    uint32_t ndim;
    uint64_t shape[AW_ARRAY_MAX_NDIM];
    uint64_t nbytes;
    uint32_t chunk_bytes;
    uint32_t n_chunks;
    bool compressed;
    const uint8_t *crc;       /* 4 * (n_chunks + 1) bytes */
    const aw_value *attrs;    /* a map, or NULL */
    const aw_value *data;     /* the inline blob, when it was read */
    bool data_z;
} aw_arr_hdr;

/* Decodes and checks a header record's bins (not the dtype: see
 * aw_arr_hdr_layout). AW_ERR_PARAM when the record is not an array (no
 * aw_fmt), AW_ERR_UNSUPPORTED for a newer format, AW_ERR_ARRAY_CORRUPT
 * naming the bad bin. A record without aw_ver gives has_version false and
 * nothing else checked. */
int aw_arr_hdr_decode(const aw_record *rec, aw_arr_hdr *h, aw_error *err);

/* The checks that need the dtype: descr parses (AW_DTYPE_ARRAY), itemsize
 * > 0, elements <= AW_ARRAY_MAX_ELEMENTS, nbytes = elements * itemsize,
 * the chunk count fits nbytes, and the chunk CRCs combine into the whole
 * array's. *dt is the caller's on success. AW_ERR_ARRAY_CORRUPT. */
int aw_arr_hdr_layout(const aw_arr_hdr *h, aw_dtype **dt, aw_error *err);

/* CRC i (0..n_chunks; n_chunks is the whole array's). */
static inline uint32_t aw_arr_hdr_crc(const aw_arr_hdr *h, uint32_t i) {
    const uint8_t *p = h->crc + 4 * (size_t)i;
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* Bytes of chunk i of an array of nbytes in chunks of cb. */
static inline uint32_t aw_arr_chunk_len(uint64_t nbytes, uint32_t cb, uint32_t i) {
    uint64_t start = (uint64_t)i * cb;
    uint64_t left = nbytes - start;
    return left < cb ? (uint32_t)left : cb;
}

/* The chunk count of nbytes (0: inline, when it fits one chunk). */
static inline uint64_t aw_arr_n_chunks_for(uint64_t nbytes, uint32_t cb) {
    return nbytes <= cb ? 0 : (nbytes + cb - 1) / cb;
}

/* A version some chunks may exist under (aw_pend). */
typedef struct aw_arr_pend {
    uint64_t version;
    uint32_t n_chunks;
} aw_arr_pend;

/* What a writer needs of the header: read with aw_arr_state_read. */
#define AW_ARR_MAX_PEND 64
typedef struct aw_arr_state {
    bool exists;              /* a record is at the key */
    uint32_t gen;             /* its generation (0 when none) */
    bool has_version;
    uint64_t version;         /* the current version and its chunks */
    uint32_t n_chunks;
    size_t n_pend;
    aw_arr_pend pend[AW_ARR_MAX_PEND];
} aw_arr_state;

/* Decodes a record read with AW_ARR_STATE_BINS (or NULL: no record).
 * AW_ERR_PARAM when the record is not an array, AW_ERR_UNSUPPORTED for a
 * newer format. Malformed pend entries are dropped (nothing can clean
 * them), versions beyond AW_ARR_MAX_PEND too. */
int aw_arr_state_decode(const aw_record *rec, aw_arr_state *s, aw_error *err);
int aw_arr_state_read(aw_client *client, const aw_policy *policy, const aw_key *key,
                      aw_arr_state *s, aw_error *err);
/* Every version whose chunks may exist at this state: the pending ones and
 * the current one (when chunked), into out; their count. */
size_t aw_arr_state_versions(const aw_arr_state *s, aw_arr_pend out[AW_ARR_MAX_PEND + 1]);

/* The ops writing a whole header (aw_arr_hdr_ops_build): what a put
 * switches the header to. Values borrow from the caller's arguments and
 * from this struct. */
typedef struct aw_arr_hdr_out {
    const char *descr;
    const uint64_t *shape;
    uint32_t ndim;
    uint64_t nbytes;
    uint32_t chunk_bytes;
    uint32_t n_chunks;
    uint64_t version;
    bool compressed;
    const uint8_t *crc;       /* 4 * (n_chunks + 1) */
    const aw_array_attr *attrs;
    size_t n_attrs;
    const void *data;         /* inline payload (n_chunks 0), stored bytes */
    uint32_t data_len;
    bool data_z;
    const aw_arr_pend *pend;  /* versions left to remove */
    size_t n_pend;
} aw_arr_hdr_out;

#define AW_ARR_HDR_MAX_OPS 16
typedef struct aw_arr_hdr_ops {
    aw_op ops[AW_ARR_HDR_MAX_OPS];
    size_t n;
    aw_value shape_items[AW_ARRAY_MAX_NDIM];
    aw_value *attr_items;     /* 2 * n_attrs (allocated) */
    aw_value *pend_items;     /* 2 * n_pend (allocated) */
} aw_arr_hdr_ops;
int aw_arr_hdr_ops_build(const aw_arr_hdr_out *o, aw_arr_hdr_ops *ops, aw_error *err);
void aw_arr_hdr_ops_free(aw_arr_hdr_ops *ops);
/* The aw_pend write op alone (n 0: removes the bin); items has 2 * n. */
aw_op aw_arr_pend_op(const aw_arr_pend *pend, size_t n, aw_value *items);

/* Checks attributes: names non-empty, unique, valid UTF-8 with no NUL;
 * values not nil. AW_ERR_PARAM naming the attribute. */
int aw_arr_attrs_check(const aw_array_attr *attrs, size_t n, aw_error *err);

/* --- The ref ------------------------------------------------------------------------ */

struct aw_array_ref {
    aw_key key;               /* digest only (no borrowed user key) */
    aw_policy policy;         /* reads: the policy given to open, send_key off */
    bool has_policy;          /* false: the client's defaults */
    aw_record rec;            /* the header record: owns what hdr points at */
    aw_arr_hdr hdr;
    aw_dtype *dtype;
    uint64_t size;
    uint64_t row_bytes;
    uint32_t gen;
};

/* Decodes a header record into a ref's parts (hdr, dtype, size, row
 * bytes); the record stays the caller's (the ref takes it on success). */
int aw_arr_ref_fill(aw_array_ref *ref, aw_error *err);

/* --- Chunks ------------------------------------------------------------------------- */

/* The blob user key of a chunk (array.h's aw_array_chunk_key, unchecked). */
void aw_arr_chunk_blob(const uint8_t digest[AW_DIGEST_SIZE], uint64_t version, uint32_t index,
                       uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE]);

/* What a reader expects of one chunk and where its bytes go. */
typedef struct aw_arr_take {
    const aw_key *array_key;
    uint64_t version;
    uint32_t index, n_chunks;
    uint32_t len;             /* bytes once inflated */
    uint32_t crc;
    uint32_t skip, take;      /* bytes [skip, skip + take) of the chunk ... */
    uint8_t *out;             /* ... go here */
    uint8_t *scratch;         /* len bytes: needed when compressed and take < len */
} aw_arr_take;

/* Checks a chunk record's reply (its ops) against t: the chunk's own
 * aw_of, aw_ver and aw_idx, its length (after inflating), its CRC; then
 * copies the wanted bytes. AW_ERR_ARRAY_CORRUPT saying which check failed
 * ("chunk 17 of 256 fails its CRC"); t->out may then hold anything. */
int aw_arr_chunk_take(const aw_msg_view *m, const aw_arr_take *t, aw_error *err);

/* The same for inline data (a header's aw_data and aw_z). */
int aw_arr_inline_take(const aw_value *data, bool z, uint64_t nbytes, uint32_t crc,
                       uint64_t skip, uint64_t take, uint8_t *out, aw_error *err);

/* "chunk 17 of 256 (digest <the chunk record's digest in hex>)" for
 * messages. */
void aw_arr_chunk_name(const aw_key *array_key, uint64_t version, uint32_t index,
                       uint32_t n_chunks, char out[96]);

/* --- Chunk batches (array_batch.c) ------------------------------------------------- */

/* The batch policy for chunk commands from a single-record policy (given
 * or the client's): its timeouts, replica, TTL, commit level and durable
 * delete; retries at least the batch default's; no key sent, no
 * generation check. */
aw_batch_policy aw_arr_batch_policy(aw_client *client, const aw_policy *policy, bool write);

/* What to write: chunks [c0, c1) of version from data (nbytes in all). */
typedef struct aw_arr_write {
    const aw_key *array_key;
    uint64_t version;
    const uint8_t *data;
    uint64_t nbytes;
    uint32_t chunk_bytes;
    uint32_t n_chunks;
    bool compress;
    int level;
    uint32_t batch_bytes;
    const aw_policy *policy;  /* the put's (ttl, commit level) */
} aw_arr_write;
/* Writes every chunk, batch after batch. On failure: the first failed
 * chunk's code, "chunk 17 of 256: <reason>", in_doubt as the row's. */
int aw_arr_write_chunks(aw_client *client, const aw_arr_write *w, aw_error *err);

/* Deletes chunks [0, n) of version. A chunk already gone is fine. Returns
 * the first other failure. */
int aw_arr_delete_chunks(aw_client *client, const aw_policy *policy, const aw_key *array_key,
                         uint64_t version, uint32_t n_chunks, aw_error *err);

/* Reads the chunks holding array bytes [lo, hi) of h's version into out
 * (out[0] is byte lo), checking each, in batches of at most
 * AW_ARRAY_BATCH_BYTES. A chunk that is not there fails the call with
 * AW_ERR_ARRAY_CORRUPT naming it and sets *missing, so that the caller
 * can look for a newer version before reporting it. out may hold anything
 * after a failure. */
int aw_arr_read_chunks(aw_client *client, const aw_policy *policy, const aw_key *array_key,
                       const aw_arr_hdr *h, uint64_t lo, uint64_t hi, uint8_t *out,
                       bool *missing, aw_error *err);

/* --- Reading a version (array_read.c) ------------------------------------------------- */

/* The version a read is reading: the ref's own, or a newer one it moved
 * to (then owning the header record that describes it). */
typedef struct aw_arr_snap {
    const aw_arr_hdr *h;
    aw_arr_hdr own;
    aw_record rec;
    unsigned moves;
} aw_arr_snap;
void aw_arr_snap_init(aw_arr_snap *s, const aw_array_ref *ref);
void aw_arr_snap_free(aw_arr_snap *s);
/* Reads array bytes [lo, hi) of the snapshot's version into out. When a
 * chunk (or the inline data) of that version is gone because the header
 * moved on to a version of the ref's shape and dtype, the snapshot moves
 * to it, *moved is set and AW_OK returned with nothing read: the caller
 * starts again whatever it had read of the old version. Errors: the
 * header moved to another shape or dtype, or more than AW_ARR_READ_TRIES
 * times (AW_ERR_RECORD_GENERATION); the array deleted
 * (AW_ERR_RECORD_NOT_FOUND); a chunk missing from a current version or
 * damaged (AW_ERR_ARRAY_CORRUPT); anything the commands return. */
int aw_arr_read_piece(aw_client *client, const aw_array_ref *ref, aw_arr_snap *s, uint64_t lo,
                      uint64_t hi, uint8_t *out, bool *moved, aw_error *err);

/* --- Garbage (array_gc.c) ------------------------------------------------------------ */

/* Deletes the chunks of every listed version (but `keep`). Returns the
 * first failure; continues past it. */
int aw_arr_gc(aw_client *client, const aw_policy *policy, const aw_key *key,
              const aw_arr_pend *pend, size_t n, uint64_t keep, aw_error *err);

/* --- Shared helpers ------------------------------------------------------------------- */

/* A random non-zero 64-bit version. */
uint64_t aw_arr_random_version(void);
/* The write policy to use (given or the client's), as a copy. */
aw_policy aw_arr_write_policy(aw_client *client, const aw_policy *given);
/* AW_ERR_PARAM when the policy in effect (given, or the client's default)
 * carries a filter expression: an array spans a header and chunk records, so
 * a filter could pass some of them and not others. */
int aw_arr_no_filter(aw_client *client, const aw_policy *given, bool write, const char *what,
                     aw_error *err);
/* Rewrites a server's generation / exists failure as the scheme's
 * message ("another writer changed the array ..."); other errors pass. */
int aw_arr_conflict(int rc, aw_error *err, const char *what);
/* Puts "warning: <what>: <reason>" into err->message, code staying 0. */
void aw_arr_warn(aw_error *err, const char *what, const aw_error *why);

#endif
