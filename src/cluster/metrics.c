/* The metrics store's writers and reader; see metrics.h. */
#include <string.h>
#include <time.h>

#include "metrics.h"

uint64_t aw_metrics_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double aw_metrics_bucket_le(unsigned i) {
    if (i + 1 >= AW_METRICS_BUCKETS)
        return __builtin_inf();
    return (double)(1ull << (i + 4)) / 1e6;
}

/* Bucket i holds durations <= 2^(i+4) us: the bit length of (us - 1) picks it. */
static unsigned bucket_of(uint64_t ns) {
    uint64_t us = (ns + 999) / 1000;
    if (us <= 16)
        return 0;
    unsigned bits = 64 - (unsigned)__builtin_clzll(us - 1); /* us <= 2^bits */
    unsigned i = bits - 4;
    return i < AW_METRICS_BUCKETS - 1 ? i : AW_METRICS_BUCKETS - 1;
}

void aw_hist_add(aw_hist_atomic *h, uint64_t ns) {
    aw_mcount(&h->bucket[bucket_of(ns)], 1);
    aw_mcount(&h->sum_ns, ns);
}

void aw_mblock_command(aw_mblock *b, aw_metrics_type type, int rc, bool in_doubt, uint64_t ns) {
    aw_hist_add(&b->latency[type], ns);
    if (rc != 0) {
        int i = rc + AW_METRICS_ERR_BIAS;
        if (i >= 0 && i < AW_METRICS_ERR_CODES)
            aw_mcount(&b->errors[i], 1);
    }
    if (in_doubt)
        aw_mcount(&b->in_doubt, 1);
}

void aw_mblock_conn_opened(aw_mblock *b) {
    aw_mcount(&b->conns_opened, 1);
    atomic_fetch_add_explicit(&b->conns_open, 1, memory_order_relaxed);
}

void aw_mblock_conn_closed(aw_mblock *b, aw_close_reason why) {
    aw_mcount(&b->conns_closed[why], 1);
    atomic_fetch_sub_explicit(&b->conns_open, 1, memory_order_relaxed);
}

static uint64_t ld(const atomic_uint_fast64_t *a) {
    return atomic_load_explicit((atomic_uint_fast64_t *)a, memory_order_relaxed);
}

static void read_hist(const aw_hist_atomic *h, aw_histogram *out) {
    for (unsigned i = 0; i < AW_METRICS_BUCKETS; i++) {
        uint64_t v = ld(&h->bucket[i]);
        out->bucket[i] += v;
        out->count += v;
    }
    out->sum_ns += ld(&h->sum_ns);
}

void aw_mblock_read(const aw_mblock *b, aw_metrics_node *out, bool add) {
    if (!add) {
        memset(out, 0, sizeof *out);
        memcpy(out->node, b->name, sizeof out->node);
        memcpy(out->addr, b->addr, sizeof out->addr);
    }
    for (unsigned t = 0; t < AW_MT_COUNT; t++)
        read_hist(&b->latency[t], &out->latency[t]);
    for (unsigned p = 0; p < AW_MP_COUNT; p++)
        read_hist(&b->phase[p], &out->phase[p]);
    for (unsigned i = 0; i < AW_METRICS_ERR_CODES; i++)
        out->errors[i] += ld(&b->errors[i]);
    out->timeouts += ld(&b->timeouts);
    out->retries += ld(&b->retries);
    out->in_doubt += ld(&b->in_doubt);
    out->bytes_sent += ld(&b->bytes_sent);
    out->bytes_received += ld(&b->bytes_received);
    out->conns_opened += ld(&b->conns_opened);
    for (unsigned r = 0; r < AW_CLOSE_COUNT; r++)
        out->conns_closed[r] += ld(&b->conns_closed[r]);
    out->conns_open += atomic_load_explicit((atomic_int_fast64_t *)&b->conns_open,
                                            memory_order_relaxed);
}
