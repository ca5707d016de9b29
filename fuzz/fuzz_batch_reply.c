/* libFuzzer target: the batch reply stream with a record-building sink.
 *
 * Input layout (so one input can describe a multi-frame stream):
 *   u16 BE  n_rows requested
 *   u8      number of cut points k (low 3 bits: 0..7)
 *   k x u16 BE  lengths of the first k bodies (clamped to what is left)
 *   rest    the stream, cut into k + 1 bodies, each fed in its own buffer
 */
#include <stdlib.h>
#include <string.h>

#include "aerowire/record.h"
#include "proto/batch.h"
#include "proto/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct sink {
    uint32_t n_rows;
    uint32_t rows;
    uint64_t sum;
} sink;

static int on_row(void *ctx, uint32_t index, const aw_msg_view *m) {
    sink *s = ctx;
    if (index >= s->n_rows)
        abort(); /* the reader promised index < n_rows */
    aw_decode_limits lim = {64 * 1024};
    aw_record rec;
    int rc = aw_record_from_msg(m, &lim, &rec, NULL);
    if (rc == AW_OK)
        for (uint32_t i = 0; i < rec.n_bins; i++)
            s->sum += rec.bins[i].value.type + rec.bins[i].value.len + (uint8_t)rec.bins[i].name[0];
    aw_record_free(&rec);
    s->rows++;
    /* Abort the stream on some rows so the early-return path is exercised. */
    return (m->h.generation == 0xdead) ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3)
        return 0;
    sink s = {(uint32_t)(data[0] << 8 | data[1]), 0, 0};
    size_t k = data[2] & 7;
    size_t off = 3;
    if (size - off < 2 * k)
        return 0;
    size_t cuts[8];
    for (size_t i = 0; i < k; i++)
        cuts[i] = (size_t)(data[off + 2 * i] << 8 | data[off + 2 * i + 1]);
    off += 2 * k;

    aw_batch_reader r;
    aw_batch_reader_init(&r, s.n_rows);
    for (size_t i = 0; i <= k; i++) {
        size_t left = size - off;
        size_t n = (i < k && cuts[i] < left) ? cuts[i] : left;
        /* Each body in its own exact-size buffer so overreads are caught. */
        uint8_t *body = malloc(n ? n : 1);
        if (!body)
            return 0;
        memcpy(body, data + off, n);
        aw_error err;
        int rc = aw_batch_reader_feed(&r, body, n, on_row, &s, &err);
        free(body);
        off += n;
        if (rc != AW_OK)
            break;
        if (r.rows_seen != s.rows)
            abort();
    }
    return 0;
}
