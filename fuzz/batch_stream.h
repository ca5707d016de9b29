/*
 * The input layout the batch-stream fuzz targets share, so one input can
 * describe a multi-frame reply stream:
 *   u16 BE  n_rows requested
 *   u8      low 3 bits: number of cut points k (0..7); the higher bits are
 *           the target's own
 *   k x u16 BE  lengths of the first k bodies (clamped to what is left)
 *   rest    the stream, cut into k + 1 bodies
 */
#ifndef AW_FUZZ_BATCH_STREAM_H
#define AW_FUZZ_BATCH_STREAM_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/batch.h"

typedef struct fuzz_stream {
    uint32_t n_rows;
    uint8_t flags; /* the whole third byte */
    size_t k;
    size_t cuts[8];
    const uint8_t *data;
    size_t len;
} fuzz_stream;

static inline bool fuzz_stream_parse(const uint8_t *data, size_t size, fuzz_stream *s) {
    if (size < 3)
        return false;
    s->n_rows = (uint32_t)(data[0] << 8 | data[1]);
    s->flags = data[2];
    s->k = data[2] & 7;
    size_t off = 3;
    if (size - off < 2 * s->k)
        return false;
    for (size_t i = 0; i < s->k; i++)
        s->cuts[i] = (size_t)(data[off + 2 * i] << 8 | data[off + 2 * i + 1]);
    off += 2 * s->k;
    s->data = data + off;
    s->len = size - off;
    return true;
}

/* Feeds the k + 1 bodies to a reader for n_rows, each in its own exact-size
 * buffer so overreads are caught, until one is refused; aborts when the
 * reader's row count and the sink's (*rows) disagree. */
static inline void fuzz_stream_feed(const fuzz_stream *s, aw_batch_row_fn on_row, void *ctx,
                                    const uint32_t *rows) {
    aw_batch_reader r;
    aw_batch_reader_init(&r, s->n_rows);
    size_t off = 0;
    for (size_t i = 0; i <= s->k; i++) {
        size_t left = s->len - off;
        size_t n = (i < s->k && s->cuts[i] < left) ? s->cuts[i] : left;
        uint8_t *body = malloc(n ? n : 1);
        if (!body)
            abort();
        memcpy(body, s->data + off, n);
        aw_error err;
        int rc = aw_batch_reader_feed(&r, body, n, on_row, ctx, &err);
        free(body);
        off += n;
        if (rc != AW_OK)
            break;
        if (r.rows_seen != *rows)
            abort();
    }
}

#endif
