/*
 * Batch-index requests (field 41) and the batch reply stream.
 */
#ifndef AW_PROTO_BATCH_H
#define AW_PROTO_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/key.h"
#include "aerowire/ops.h"
#include "buf.h"
#include "msg.h"
#include "request.h"

/* Parent flags byte of the batch field. */
#define AW_BATCH_ALLOW_INLINE 0x01
#define AW_BATCH_ALLOW_INLINE_SSD 0x02
#define AW_BATCH_RESPOND_ALL_KEYS 0x04
#define AW_BATCH_REPORT_ERROR_RECORD 0x08
#define AW_BATCH_FLAGS_DEFAULT 0x0d /* what the official client sends */

/* Row type byte. */
#define AW_BATCH_ROW_REPEAT 0x01
#define AW_BATCH_ROW_INFO 0x02
#define AW_BATCH_ROW_GEN 0x04
#define AW_BATCH_ROW_TTL 0x08
#define AW_BATCH_ROW_INFO4 0x10

typedef enum aw_batch_kind {
    AW_BATCH_READ = 0,    /* all bins (bins NULL) or named bins */
    AW_BATCH_EXISTS,      /* header only */
    AW_BATCH_OPERATE,     /* ops (reads and/or writes) */
    AW_BATCH_DELETE,
} aw_batch_kind;

typedef struct aw_batch_row {
    uint32_t index;             /* the caller's position; replies carry it back */
    const aw_key *key;
    uint8_t kind;               /* aw_batch_kind */
    const char *const *bins;    /* READ: named bins, or NULL for all */
    uint32_t n_bins;
    const aw_op *ops;           /* OPERATE */
    uint32_t n_ops;
    const aw_req_opts *opts;    /* per-row policy; NULL = defaults */
} aw_batch_row;

typedef struct aw_batch_opts {
    uint32_t timeout_ms;        /* header transaction_ttl */
    uint8_t flags;              /* parent flags; 0 means AW_BATCH_FLAGS_DEFAULT */
    bool no_repeat;             /* never emit REPEAT rows */
    bool compress_response;
    const aw_exp *filter;       /* the batch's filter (field 43, before field 41); NULL = none */
} aw_batch_opts;

/* Streaming encoder: begin, add rows, end. Memory stays bounded by what the
 * caller adds; end patches the row count and every size. */
typedef struct aw_batch_writer {
    aw_buf *out;
    size_t frame_at;            /* offset of the proto header in out */
    size_t count_at;            /* offset of the row count */
    uint32_t n_rows;
    bool prev_sent_key;
    bool no_repeat;
    /* REPEAT is decided on bytes, not on the caller's pointers (which may be
     * reused between rows): the previous full row's encoding after its
     * index and digest is out->data[prev_at .. prev_at + prev_len). */
    size_t prev_at;
    size_t prev_len;
    /* Set after aw_batch_begin by a caller whose rows all have the same
     * kind, bin names and options (only keys differ): REPEAT is then
     * decided on the namespace and set alone. */
    bool uniform;
    /* Set by such a caller before each aw_batch_add: nonzero when it knows
     * the row's namespace and set to be those of every row it gave the
     * same tag (in this writer); a row with its previous full row's tag
     * then repeats it without comparing names. 0: compare them. */
    uint32_t names_tag;
    uint32_t prev_tag; /* the previous full row's */
    bool prev_repeatable; /* it may be repeated (no key sent, no filter, not an operate) */
} aw_batch_writer;

int aw_batch_begin(aw_batch_writer *w, aw_buf *out, const aw_batch_opts *o, aw_error *err);
/* Appends one row (REPEAT when it matches the previous full row). */
int aw_batch_add(aw_batch_writer *w, const aw_batch_row *row, aw_error *err);
/* Finishes the frame; AW_ERR_PARAM when no row was added. */
int aw_batch_end(aw_batch_writer *w, aw_error *err);

/* For a uniform writer's caller: whether a row whose names carry
 * names_tag (see above) repeats the previous full row, so that
 * aw_batch_add_repeat can add it from its index and digest alone, without
 * the row itself (which aw_batch_add would turn into the same bytes). */
static inline bool aw_batch_can_repeat(const aw_batch_writer *w, uint32_t names_tag) {
    return w->uniform && !w->no_repeat && w->prev_len && w->prev_repeatable && names_tag &&
           names_tag == w->prev_tag;
}
/* Adds a REPEAT row: index, digest, the REPEAT marker. AW_ERR_NOMEM. */
int aw_batch_add_repeat(aw_batch_writer *w, uint32_t index, const uint8_t digest[AW_DIGEST_SIZE],
                        aw_error *err);
/* Convenience: the whole request in one call. */
int aw_req_batch(aw_buf *out, const aw_batch_row *rows, size_t n, const aw_batch_opts *o,
                 aw_error *err);

/* Reply stream reader. Feed it each type-3 frame body (after inflating type
 * 4 frames); it calls on_row for every row message (validated: index <
 * n_rows) and stops at the LAST message. */
typedef int (*aw_batch_row_fn)(void *ctx, uint32_t index, const aw_msg_view *row);

typedef struct aw_batch_reader {
    uint32_t n_rows;      /* rows requested; an index >= n_rows is a protocol error */
    uint32_t rows_seen;
    bool done;            /* the LAST message arrived, or on_row ended the stream */
    int last_result;      /* result code carried by LAST (or set by on_row with done) */
} aw_batch_reader;

static inline void aw_batch_reader_init(aw_batch_reader *r, uint32_t n_rows) {
    r->n_rows = n_rows;
    r->rows_seen = 0;
    r->done = false;
    r->last_result = 0;
}
/* Returns AW_OK, AW_ERR_PROTO (malformed message, index out of range, bytes
 * after LAST), or the non-zero value on_row returned (which stops the feed).
 * on_row may also end the stream by setting done (and last_result): a
 * message that refuses the whole request; bytes after it are AW_ERR_PROTO. */
int aw_batch_reader_feed(aw_batch_reader *r, const uint8_t *body, size_t len, aw_batch_row_fn on_row,
                         void *ctx, aw_error *err);

#endif
