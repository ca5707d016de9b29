/* libFuzzer target: a scan/query reply stream decoded into dtype rows by
 * the chunk sink of aw_scan_into / aw_query_into (src/numpy/rows_query.c):
 * the stream reader, the engine's cursor bookkeeping, then each record into
 * the next row, with its '_key' and '_digest' fields, meta and codes, and
 * each full chunk handed to a callback that may swap buffers or stop.
 *
 * Input layout: batch_stream.h's, where the u16 "n_rows" gives the two
 * buffers' capacities (high byte: the first, low byte: the one the callback
 * swaps to; each 1 + value % 16 rows) and the flag byte's high bits pick:
 * bit 3 the second dtype, bit 4 no meta, bit 5 no codes, bit 6 swap buffers
 * after each chunk, bit 7 stop after the second chunk.
 *
 * Each buffer is its own exact-size allocation, so a row written past it is
 * caught. Every chunk must hold `capacity` rows except the one handed over
 * at the end, no chunk may come after a stop, every row's code must be one a
 * row can have, every byte no field covers must be zero, and the rows handed
 * over must be the records the cursor took.
 */
#include <stdlib.h>
#include <string.h>

#include "aerowire/numpy.h"
#include "batch_stream.h"
#include "numpy/rows_query.h"
#include "proto/pstatus.h"
#include "proto/scanq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field names of the captured streams' bins (i, s, f, g, l, m), keys of
 * both types, and padding (aligned) so that gaps exist. */
#define DTYPE_A                                                                             \
    "[('_key','<i8'),('_digest','|V20'),('i','<i4'),('s','|S5'),('f','<f8'),('g','|S16'),"   \
    "('l','<i2',(3,)),('m','|b1')]"
#define DTYPE_B "[('_digest','|u1',(20,)),('_key','|S8'),('i','>f4'),('s','|V4'),('f','|i1')]"

static aw_dtype *dtype(bool second) {
    static aw_dtype *dt[2];
    if (!dt[second] && aw_dtype_parse(second ? DTYPE_B : DTYPE_A, !second, &dt[second], NULL))
        abort();
    return dt[second];
}

typedef struct buffer {
    uint8_t *rows;
    aw_row_meta *meta;
    int32_t *codes;
    size_t capacity;
} buffer;

typedef struct harness {
    aw_rows_query rq;
    aw_partition_status *ps;
    buffer bufs[2];
    const aw_dtype *dt;
    uint8_t flags;
    uint64_t taken;      /* records the cursor took and the sink got */
    uint64_t handed;     /* rows handed to the callback */
    unsigned chunks;
    bool stopped, ended;
} harness;

/* Whether byte `at` of a row lies in a '_' field (written by the sink, not
 * the plan, so the plan's gaps include it). */
static bool in_key_field(const harness *h, uint32_t at) {
    const aw_plan_field *f[2] = {&h->rq.digest_f, &h->rq.key_f};
    bool has[2] = {h->rq.has_digest, h->rq.has_key};
    for (int i = 0; i < 2; i++)
        if (has[i] && at >= f[i]->offset && at < f[i]->offset + f[i]->size)
            return true;
    return false;
}

static void check_rows(const harness *h, const aw_rows_buffer *buf, size_t n) {
    const aw_row_plan *p = h->rq.plan;
    for (size_t r = 0; r < n; r++) {
        if (buf->codes) {
            int32_t c = buf->codes[r];
            if (c != 0 && c != AW_ERR_FIELD_TYPE && c != AW_ERR_PROTO)
                abort();
        }
        const uint8_t *row = (const uint8_t *)buf->rows + r * p->itemsize;
        for (uint32_t g = 0; g < p->n_gaps; g++)
            for (uint32_t b = 0; b < p->gaps[g].len; b++) {
                uint32_t at = p->gaps[g].offset + b;
                if (row[at] != 0 && !in_key_field(h, at))
                    abort();
            }
    }
}

static void point_at(aw_rows_buffer *buf, const buffer *b, uint8_t flags) {
    buf->rows = b->rows;
    buf->capacity = b->capacity;
    buf->meta = flags & 16 ? NULL : b->meta;
    buf->codes = flags & 32 ? NULL : b->codes;
}

static bool on_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    harness *h = udata;
    if (h->stopped || n == 0 || n > buf->capacity || (n < buf->capacity && !h->ended))
        abort();
    check_rows(h, buf, n);
    h->handed += n;
    h->chunks++;
    if (h->flags & 64)
        point_at(buf, &h->bufs[h->chunks % 2], h->flags);
    if ((h->flags & 128) && h->chunks == 2 && !h->ended) { /* the last one's answer is not asked */
        h->stopped = true;
        return false;
    }
    return true;
}

/* The engine's order (query_exec.c on_record): the cursor, then the sink. */
static int on_record(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    harness *h = ctx;
    if (h->stopped)
        abort(); /* the sink's stop ends the feed */
    if (!aw_pstatus_on_record(h->ps, meta->digest, meta->bval))
        return 0;
    h->taken++;
    return aw_rows_query_sink(&h->rq, m, meta);
}

static int on_pdone(void *ctx, uint32_t pid, int result) { return 0; }

static void buffer_new(buffer *b, size_t capacity, size_t itemsize) {
    b->capacity = capacity;
    b->rows = malloc(capacity * itemsize);
    b->meta = malloc(capacity * sizeof *b->meta);
    b->codes = malloc(capacity * sizeof *b->codes);
    if (!b->rows || !b->meta || !b->codes)
        abort();
    memset(b->rows, 0xA5, capacity * itemsize);
}

static void buffer_free(buffer *b) {
    free(b->rows);
    free(b->meta);
    free(b->codes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_stream in;
    if (!fuzz_stream_parse(data, size, &in))
        return 0;
    harness h;
    memset(&h, 0, sizeof h);
    h.flags = in.flags;
    h.dt = dtype(in.flags & 8);
    size_t item = aw_dtype_itemsize(h.dt);
    buffer_new(&h.bufs[0], 1 + (in.n_rows >> 8) % 16, item);
    buffer_new(&h.bufs[1], 1 + (in.n_rows & 0xff) % 16, item);
    aw_rows_buffer buf;
    point_at(&buf, &h.bufs[0], h.flags);
    aw_query q = {.ns = "test", .set = "sq"};
    aw_partition_filter all = aw_partition_filter_all();
    if (aw_rows_query_init(&h.rq, &q, h.dt, &buf, on_chunk, &h, NULL) != AW_OK ||
        aw_partition_status_new(&all, &h.ps, NULL) != AW_OK)
        abort();

    aw_scanq_sink sink = {&h, on_record, on_pdone};
    aw_scanq_reader r;
    aw_scanq_reader_init(&r);
    int rc = AW_OK;
    size_t off = 0;
    for (size_t i = 0; i <= in.k && rc == AW_OK && !r.done; i++) {
        size_t left = in.len - off;
        size_t n = (i < in.k && in.cuts[i] < left) ? in.cuts[i] : left;
        uint8_t *body = malloc(n ? n : 1); /* its own allocation: overreads are caught */
        if (!body)
            abort();
        memcpy(body, in.data + off, n);
        rc = aw_scanq_reader_feed(&r, body, n, &sink, NULL);
        free(body);
        off += n;
    }
    h.ended = true;
    aw_error err;
    aw_error_reset(&err);
    int out = aw_rows_query_finish(&h.rq, rc, &err);
    if (out != rc || (h.stopped && out != AW_ERR_CLIENT_ABORT))
        abort();
    if (h.handed != h.taken)
        abort(); /* every record the cursor has is in a handed-over row */
    aw_rows_query_clear(&h.rq);
    aw_partition_status_free(h.ps);
    buffer_free(&h.bufs[0]);
    buffer_free(&h.bufs[1]);
    return 0;
}
