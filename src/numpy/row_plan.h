/*
 * Row plans: a dtype compiled once per batch call into what decoding a
 * reply row (or encoding a write row) needs per bin-bound field: the bin
 * name, where the field sits in the row, its kind, width, count and byte
 * order, and for reads one converter per particle class, picked from a
 * small table (particle class x field kind) at compile time.
 *
 * Decoding a reply row walks its ops once; for each op it finds the field
 * (bins arrive in the same order row after row: the plan remembers, for
 * each field, which field followed it last time and tries that first, then
 * falls back to a hash lookup) and converts straight from the op's value
 * bytes into rows + index * itemsize + offset. Nothing is allocated per row
 * or per value.
 *
 * Conversions are numpy.h's rules. Where numpy.h is silent, this layer
 * decides (and tests) the following:
 *  - a bool field (b1) takes numpy's astype(bool) of the bin: an int or
 *    float bin gives 1 when it is not zero (NaN too), a bool bin its value;
 *  - an int bin into a float field is (double)v, then rounded once to the
 *    field's width (f2 from the double directly, ties to even);
 *  - a numeric sub-array's blob holds little-endian elements; a big-endian
 *    sub-array field gets each element byte-swapped (a short last element
 *    is zero-filled as if little-endian, then swapped);
 *  - S and V fields, also with a shape, take a string or blob's bytes over
 *    their whole size;
 *  - a NULL particle is a missing bin (field zeroed, no error);
 *  - a particle of the wrong size (an integer that is not 8 bytes...)
 *    zeroes the field and the row's code is AW_ERR_PROTO;
 *  - language blobs (Java, C#, Python, Ruby, PHP, Erlang) and HLL are
 *    blobs; GeoJSON, lists, maps and vectors are "anything else".
 * A plan is used by one batch at a time (it learns the bin order as it
 * decodes); it holds copies of the names, so the dtype may go away once the
 * plan is built.
 */
#ifndef AW_NUMPY_ROW_PLAN_H
#define AW_NUMPY_ROW_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/key.h"
#include "aerowire/numpy.h"
#include "proto/msg.h"

/* Particle classes: what a converter is chosen by. */
enum {
    AW_PC_NULL = 0, /* no value: the bin is missing */
    AW_PC_INT,
    AW_PC_FLOAT,
    AW_PC_BOOL,
    AW_PC_STR,
    AW_PC_BLOB,     /* blob, language blobs, HLL */
    AW_PC_OTHER,    /* lists, maps, GeoJSON, vectors, unknown types */
    AW_PC_N
};

/* Field kinds of a plan. */
enum {
    AW_FK_INT = 0,  /* i1..i8: signed */
    AW_FK_UINT,     /* u1..u8 */
    AW_FK_FLOAT,    /* f2, f4, f8 */
    AW_FK_BOOL,     /* b1 */
    AW_FK_BYTES,    /* S<n>, V<n> (with a shape: the whole field) */
    AW_FK_ARRAY,    /* numeric (or bool) sub-array: raw bytes of a blob */
};

typedef struct aw_plan_field aw_plan_field;

/* What a field's fast path stores, in the host's order: an integer's low
 * 1, 2, 4 or 8 bytes, or a double as f4 (rounded) or f8. */
enum { AW_FAST_NONE = 0, AW_FAST_X1, AW_FAST_X2, AW_FAST_X4, AW_FAST_X8, AW_FAST_F4 };

/* Writes the whole field at dst (f->size bytes) from a particle's value
 * bytes; returns AW_OK, AW_ERR_FIELD_TYPE or AW_ERR_PROTO (the field is
 * then zeroed). */
typedef int (*aw_conv_fn)(uint8_t *dst, const aw_plan_field *f, const uint8_t *v, uint32_t len);

struct aw_plan_field {
    aw_conv_fn conv[AW_PC_N];
    uint32_t offset;        /* in the row */
    uint32_t size;          /* bytes: width * count */
    uint32_t count;         /* elements */
    uint8_t kind;           /* AW_FK_* */
    uint8_t width;          /* of one element (S/V: their length, capped at 255: unused) */
    bool big_endian;
    char dt_kind;           /* the dtype's kind: i u f b S V */
    uint8_t name_len;
    char name[AW_BIN_NAME_MAX + 1]; /* NUL-terminated */
    /* The usual value inline, without a converter's call (row_decode.c):
     * an 8-byte particle of type fast_pt stored as `fast` says. */
    uint8_t fast;           /* AW_FAST_*; AW_FAST_NONE: always the converters */
    uint8_t fast_pt;
    const aw_dtype_field *dt_field; /* the dtype's: only while compiling (the
                                     * dtype may go once the plan is built) */
};

typedef struct aw_row_plan {
    size_t itemsize;
    uint32_t n;             /* bin-bound fields in the plan */
    aw_plan_field *fields;  /* n, in request order (dtype order, or the filter's) */
    const char **bin_names; /* n, pointing at fields[i].name: a READ row's bins */
    /* Name lookup: open addressing over field index + 1 (0 = empty). */
    uint32_t *hash;
    uint32_t hash_mask;
    /* succ[j]: the field that followed field j in the last row decoded
     * (succ[n]: the first field); a guess, always checked. */
    uint32_t *succ;
    /* Zeroing: the whole row before decoding (zero_first), or only what
     * was not written: unwritten fields and the gaps (padding, '_' fields
     * and fields outside the filter), listed in gaps. */
    bool zero_first;
    uint32_t n_gaps;
    struct aw_plan_gap { uint32_t offset, len; } *gaps;
} aw_row_plan;

/* Compiles dt's bin-bound fields (names not starting with '_'), or just
 * the ones bins[0..n_bins) names (n_bins 0: all of them). AW_ERR_PARAM: NULL
 * dt, bins NULL with n_bins > 0, a filter name that is not a field of dt or
 * is a '_' field (the message names it), no bin-bound field at all (or more
 * than 65535); AW_ERR_BAD_NAME: a bin name over 15 bytes or empty;
 * AW_ERR_UNSUPPORTED: a field kind or width no converter handles (named);
 * AW_ERR_NOMEM. */
int aw_row_plan_new(const aw_dtype *dt, const char *const *bins, size_t n_bins,
                    aw_row_plan **out, aw_error *err);
void aw_row_plan_free(aw_row_plan *p);

/* Fills one plan field (converters included) from a dtype field, or fails
 * naming it (the checks of aw_row_plan_new). The scan path uses it for the
 * '_key' and '_digest' fields, which take the record's key as a particle. */
int aw_row_plan_field(aw_plan_field *pf, const aw_dtype_field *f, aw_error *err);

/* The plan field for a bin name (not NUL-terminated), or NULL. */
const aw_plan_field *aw_row_plan_find(const aw_row_plan *p, const char *name, size_t len);

/* Decodes one reply row's ops (the server's result was 0) into row, which
 * is itemsize bytes: every byte of it is written (fields not in the reply
 * and padding become zero). Returns AW_OK, or the first conversion failure
 * (AW_ERR_FIELD_TYPE, AW_ERR_PROTO); the other fields are still filled. */
int aw_row_plan_decode(aw_row_plan *p, uint8_t *row, const aw_msg_view *m);

/* The batch sink of aw_batch_read_into: one per call. */
typedef struct aw_rows_sink_ctx {
    aw_row_plan *plan;
    uint8_t *rows;
    aw_row_meta *meta;      /* may be NULL */
    int32_t *codes;         /* may be NULL */
    uint64_t now;           /* Unix seconds, read once per batch: meta ttl */
} aw_rows_sink_ctx;

/* aw_batch_sink.row: result 0 with a message decodes into row i (code 0,
 * or AW_ERR_FIELD_TYPE / AW_ERR_PROTO when a field could not be filled),
 * gen and ttl into meta[i]; anything else zeroes row i and meta[i] and
 * puts the code in codes[i] (2 for a missing record; a message-less 0,
 * which the engine never sends, becomes AW_ERR_CLIENT). */
void aw_rows_sink_row(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *msg,
                      const aw_error *err);

/* --- Shared with the write path ------------------------------------------------ */

/* Bytes of an element of a plan field in the host's order need swapping to
 * reach the field's declared order. */
bool aw_plan_field_swaps(const aw_plan_field *f);

#endif
