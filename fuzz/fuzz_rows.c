/* libFuzzer target: the batch reply stream decoded into dtype rows (the
 * columnar sink of aw_batch_read_into).
 *
 * Input layout: batch_stream.h, and bit 3 of the cut byte picks the
 * plan's zeroing mode. The rows live in one exact-size
 * buffer, so a write outside them is caught; each row's code must be one a
 * row can have, and every byte no field covers must stay zero.
 */
#include <stdlib.h>
#include <string.h>

#include "aerowire/numpy.h"
#include "batch_stream.h"
#include "numpy/row_plan.h"
#include "proto/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every kind, short names (and the captures' sensor names) so mutations
 * hit them. */
#define DTYPE                                                                               \
    "[('_key','<i8'),('temperature','<f4'),('humidity','|i1'),('status','>u8'),"         \
    "('pressure','<f2'),('name','|S3'),('a','<i2'),('b','<u4'),('c','<f8'),('d','|b1'),"  \
    "('e','>f4',(4,)),('f','<i8',(3,)),('g','|V5'),('h','>i2')]"

static aw_dtype *dtype(void) {
    static aw_dtype *dt;
    if (!dt && aw_dtype_parse(DTYPE, true, &dt, NULL) != AW_OK)
        abort();
    return dt;
}

typedef struct sink {
    aw_rows_sink_ctx out;
    uint32_t n_rows;
    uint32_t rows;
} sink;

static int on_row(void *ctx, uint32_t index, const aw_msg_view *m) {
    sink *s = ctx;
    if (index >= s->n_rows)
        abort();
    aw_rows_sink_row(&s->out, index, m->h.result_code, false, m, NULL);
    int32_t code = s->out.codes[index];
    if (code != m->h.result_code &&
        !(m->h.result_code == 0 && (code == AW_ERR_FIELD_TYPE || code == AW_ERR_PROTO)))
        abort();
    const aw_row_plan *p = s->out.plan;
    const uint8_t *row = s->out.rows + (size_t)index * p->itemsize;
    for (uint32_t g = 0; g < p->n_gaps; g++)
        for (uint32_t b = 0; b < p->gaps[g].len; b++)
            if (row[p->gaps[g].offset + b] != 0)
                abort();
    s->rows++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_stream in;
    if (!fuzz_stream_parse(data, size, &in))
        return 0;
    uint32_t n_rows = in.n_rows;

    aw_row_plan *plan;
    if (aw_row_plan_new(dtype(), NULL, 0, &plan, NULL) != AW_OK)
        abort();
    plan->zero_first = (in.flags & 8) != 0;
    size_t n = n_rows ? n_rows : 1;
    uint8_t *rows = malloc(n * plan->itemsize);
    aw_row_meta *meta = malloc(n * sizeof *meta);
    int32_t *codes = malloc(n * sizeof *codes);
    if (!rows || !meta || !codes)
        abort();
    memset(rows, 0xA5, n * plan->itemsize);
    sink s = {{plan, rows, meta, codes, 1700000000}, n_rows, 0};

    fuzz_stream_feed(&in, on_row, &s, &s.rows);
    free(rows);
    free(meta);
    free(codes);
    aw_row_plan_free(plan);
    return 0;
}
