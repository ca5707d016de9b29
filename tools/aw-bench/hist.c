/* aw-bench's latency histograms; see hist.h. */
#include "hist.h"

#include <inttypes.h>
#include <string.h>

void bh_clear(bh_hist *h) {
    for (size_t i = 0; i < BH_BUCKETS; i++)
        atomic_store_explicit(&h->counts[i], 0, memory_order_relaxed);
    atomic_store_explicit(&h->n, 0, memory_order_relaxed);
    atomic_store_explicit(&h->sum_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&h->max_ns, 0, memory_order_relaxed);
}

uint64_t bh_bucket_low(size_t i) {
    if (i < 2 * BH_SUB)
        return i;
    size_t g = i / BH_SUB;
    return (uint64_t)(i % BH_SUB + BH_SUB) << (g - 1);
}

uint64_t bh_bucket_high(size_t i) {
    if (i < 2 * BH_SUB)
        return i + 1;
    size_t g = i / BH_SUB;
    return (uint64_t)(i % BH_SUB + BH_SUB + 1) << (g - 1);
}

static uint64_t ld(const _Atomic uint64_t *p) {
    return atomic_load_explicit(p, memory_order_relaxed);
}
static void st(_Atomic uint64_t *p, uint64_t v) {
    atomic_store_explicit(p, v, memory_order_relaxed);
}

void bh_add(bh_hist *dst, const bh_hist *src) {
    for (size_t i = 0; i < BH_BUCKETS; i++) {
        uint64_t c = ld(&src->counts[i]);
        if (c)
            st(&dst->counts[i], ld(&dst->counts[i]) + c);
    }
    st(&dst->n, ld(&dst->n) + ld(&src->n));
    st(&dst->sum_ns, ld(&dst->sum_ns) + ld(&src->sum_ns));
    if (ld(&src->max_ns) > ld(&dst->max_ns))
        st(&dst->max_ns, ld(&src->max_ns));
}

void bh_sub(bh_hist *dst, const bh_hist *now, const bh_hist *before) {
    uint64_t n = 0;
    for (size_t i = 0; i < BH_BUCKETS; i++) {
        uint64_t a = ld(&now->counts[i]), b = ld(&before->counts[i]);
        /* Snapshots are cumulative, so a < b only if `before` is not older. */
        uint64_t d = a > b ? a - b : 0;
        st(&dst->counts[i], d);
        n += d;
    }
    /* n from the buckets themselves, so percentiles see a consistent total. */
    st(&dst->n, n);
    uint64_t sa = ld(&now->sum_ns), sb = ld(&before->sum_ns);
    st(&dst->sum_ns, sa > sb ? sa - sb : 0);
    st(&dst->max_ns, ld(&now->max_ns));
}

uint64_t bh_percentile(const bh_hist *h, double p) {
    uint64_t n = 0;
    for (size_t i = 0; i < BH_BUCKETS; i++)
        n += ld(&h->counts[i]);
    if (n == 0)
        return 0;
    if (p < 0)
        p = 0;
    if (p > 100)
        p = 100;
    /* Rank of the value wanted, 1-based: ceil(p% of n), at least 1; a
     * rounding error (99.9% of 1000 = 999.0000000000001) is not a rank. */
    double r = p / 100.0 * (double)n;
    uint64_t rank = (uint64_t)r;
    if (r - (double)rank > 1e-9 * r)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    size_t i = 0;
    for (; i < BH_BUCKETS; i++) {
        seen += ld(&h->counts[i]);
        if (seen >= rank)
            break;
    }
    if (i == BH_BUCKETS)
        i = BH_BUCKETS - 1;
    uint64_t lo = bh_bucket_low(i), hi = bh_bucket_high(i);
    uint64_t v = lo + (hi - 1 - lo) / 2;
    uint64_t max = ld(&h->max_ns);
    if (max && v > max)
        v = max;
    return v;
}

double bh_mean(const bh_hist *h) {
    uint64_t n = ld(&h->n);
    return n ? (double)ld(&h->sum_ns) / (double)n : 0.0;
}

/* Row bounds in ns: 0, then 1-2-5 steps from 1 us to 500 s (the last row
 * is open-ended, and past the histogram's 137 s anyway). */
#define ROWS 28
static size_t row_bounds(uint64_t *b) {
    size_t n = 0;
    b[n++] = 0;
    for (uint64_t dec = 1000; n + 3 <= ROWS; dec *= 10) {
        b[n++] = dec;
        b[n++] = 2 * dec;
        b[n++] = 5 * dec;
    }
    return n;
}

static void print_us(FILE *f, uint64_t ns) {
    if (ns >= 1000000000 && ns % 1000000000 == 0)
        fprintf(f, "%5" PRIu64 "s ", ns / 1000000000);
    else if (ns >= 1000000 && ns % 1000000 == 0)
        fprintf(f, "%5" PRIu64 "ms", ns / 1000000);
    else
        fprintf(f, "%5" PRIu64 "us", ns / 1000);
}

void bh_print(const bh_hist *h, FILE *f, const char *indent, int bar_width) {
    uint64_t bounds[ROWS];
    size_t nb = row_bounds(bounds);
    uint64_t rows[ROWS];
    memset(rows, 0, sizeof rows);
    uint64_t total = 0;
    size_t r = 0;
    for (size_t i = 0; i < BH_BUCKETS; i++) {
        uint64_t c = ld(&h->counts[i]);
        if (!c)
            continue;
        uint64_t mid = bh_bucket_low(i) + (bh_bucket_high(i) - 1 - bh_bucket_low(i)) / 2;
        while (r + 1 < nb && mid >= bounds[r + 1])
            r++;
        /* Buckets come in increasing order, so rows only move forward. */
        rows[r] += c;
        total += c;
    }
    if (!total)
        return;
    size_t first = 0, last = nb - 1;
    while (!rows[first])
        first++;
    while (!rows[last])
        last--;
    uint64_t top = 0;
    for (size_t k = first; k <= last; k++)
        if (rows[k] > top)
            top = rows[k];
    for (size_t k = first; k <= last; k++) {
        fprintf(f, "%s[", indent);
        print_us(f, bounds[k]);
        fprintf(f, ", ");
        if (k + 1 < nb)
            print_us(f, bounds[k + 1]);
        else
            fprintf(f, "    ...");
        fprintf(f, ") %12" PRIu64 " %6.2f%% ", rows[k], 100.0 * (double)rows[k] / (double)total);
        int bar = (int)((double)rows[k] / (double)top * bar_width + 0.5);
        if (rows[k] && bar == 0)
            bar = 1;
        for (int j = 0; j < bar; j++)
            fputc('#', f);
        fputc('\n', f);
    }
}
