/*
 * Latency histograms for aw-bench: fixed log-linear buckets over
 * nanoseconds, HDR-like. Below 64 ns every value has its own bucket; above,
 * each power of two is cut into 32 equal buckets, so a bucket is at most
 * 1/32 (3.1%) of its values wide and its midpoint is within 1.6% of any
 * value in it. Values of 2^37 ns (137 s) and more share the last bucket.
 *
 * One writer per histogram: bh_record is called by the thread that owns the
 * histogram only, with relaxed atomic loads and stores (plain moves on
 * x86, no locked instructions). Any thread may read it at any time
 * (bh_add, bh_sub, bh_percentile), seeing each counter whole; a reader
 * racing a writer may see a sum that is a few values behind the counts,
 * which a per-second report does not mind.
 */
#ifndef AW_BENCH_HIST_H
#define AW_BENCH_HIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BH_SUB_BITS 5
#define BH_SUB (1u << BH_SUB_BITS)
#define BH_MAX_EXP 37
/* Buckets: 64 exact ones, then BH_SUB per power of two from 2^6 to 2^36. */
#define BH_BUCKETS ((BH_MAX_EXP - BH_SUB_BITS + 1) * BH_SUB)

typedef struct bh_hist {
    _Atomic uint64_t counts[BH_BUCKETS];
    _Atomic uint64_t n;
    _Atomic uint64_t sum_ns;
    _Atomic uint64_t max_ns;
} bh_hist;

/* Bucket of a value (values past the range go to the last bucket). */
static inline size_t bh_index(uint64_t ns) {
    if (ns < 2 * BH_SUB)
        return (size_t)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns);
    if (e >= BH_MAX_EXP)
        return BH_BUCKETS - 1;
    return (size_t)((e - BH_SUB_BITS + 1) * BH_SUB + ((ns >> (e - BH_SUB_BITS)) - BH_SUB));
}

/* Only the owning thread calls this. */
static inline void bh_record(bh_hist *h, uint64_t ns) {
    _Atomic uint64_t *c = &h->counts[bh_index(ns)];
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&h->n, atomic_load_explicit(&h->n, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&h->sum_ns,
                          atomic_load_explicit(&h->sum_ns, memory_order_relaxed) + ns,
                          memory_order_relaxed);
    if (ns > atomic_load_explicit(&h->max_ns, memory_order_relaxed))
        atomic_store_explicit(&h->max_ns, ns, memory_order_relaxed);
}

void bh_clear(bh_hist *h);
/* Lowest value of bucket i, and one past its highest. */
uint64_t bh_bucket_low(size_t i);
uint64_t bh_bucket_high(size_t i);
/* dst += src (max: the larger). dst must not be written by anyone else. */
void bh_add(bh_hist *dst, const bh_hist *src);
/* dst = now - before, for the values recorded between two snapshots of the
 * same histograms (max: now's, since a maximum cannot be subtracted). */
void bh_sub(bh_hist *dst, const bh_hist *now, const bh_hist *before);
/* The value at percentile p (0..100): the midpoint of the bucket holding
 * the value of rank ceil(p/100 * n), never above the recorded maximum.
 * 0 for an empty histogram. */
uint64_t bh_percentile(const bh_hist *h, double p);
/* Mean in ns (0 when empty). */
double bh_mean(const bh_hist *h);

/* Prints the histogram as rows of 1-2-5 microsecond ranges (from the first
 * to the last non-empty one): range, count, percentage and a bar of up to
 * bar_width '#'. Each fine bucket counts in the row holding its midpoint. */
void bh_print(const bh_hist *h, FILE *f, const char *indent, int bar_width);

#endif
