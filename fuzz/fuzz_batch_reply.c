/* libFuzzer target: the batch reply stream with a record-building sink.
 *
 * Input layout: batch_stream.h.
 */
#include <stdlib.h>
#include <string.h>

#include "aerowire/record.h"
#include "batch_stream.h"
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
    fuzz_stream in;
    if (!fuzz_stream_parse(data, size, &in))
        return 0;
    sink s = {in.n_rows, 0, 0};
    fuzz_stream_feed(&in, on_row, &s, &s.rows);
    return 0;
}
