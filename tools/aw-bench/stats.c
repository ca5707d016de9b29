/* aw-bench's counters; see stats.h. */
#include "stats.h"

#include <stdlib.h>

worker_stats *stats_new(void) {
    /* calloc gives zeroed atomics, which is their zero value. */
    return calloc(1, sizeof(worker_stats));
}

void stats_zero(worker_stats *s) {
    for (int t = 0; t < OP_TYPES; t++) {
        op_stats *o = &s->op[t];
        bh_clear(&o->lat);
        atomic_store_explicit(&o->ops, 0, memory_order_relaxed);
        atomic_store_explicit(&o->records, 0, memory_order_relaxed);
        atomic_store_explicit(&o->misses, 0, memory_order_relaxed);
        atomic_store_explicit(&o->filtered, 0, memory_order_relaxed);
        atomic_store_explicit(&o->errors, 0, memory_order_relaxed);
        atomic_store_explicit(&o->timeouts, 0, memory_order_relaxed);
    }
}

void stats_add(worker_stats *out, const worker_stats *in) {
    for (int t = 0; t < OP_TYPES; t++) {
        const op_stats *s = &in->op[t];
        op_stats *o = &out->op[t];
        bh_add(&o->lat, &s->lat);
        st_add(&o->ops, st_get(&s->ops));
        st_add(&o->records, st_get(&s->records));
        st_add(&o->misses, st_get(&s->misses));
        st_add(&o->filtered, st_get(&s->filtered));
        st_add(&o->errors, st_get(&s->errors));
        st_add(&o->timeouts, st_get(&s->timeouts));
    }
}

static uint64_t diff(const _Atomic uint64_t *a, const _Atomic uint64_t *b) {
    uint64_t x = st_get(a), y = st_get(b);
    return x > y ? x - y : 0;
}

void stats_sub(worker_stats *out, const worker_stats *now, const worker_stats *before) {
    for (int t = 0; t < OP_TYPES; t++) {
        const op_stats *a = &now->op[t], *b = &before->op[t];
        op_stats *o = &out->op[t];
        bh_sub(&o->lat, &a->lat, &b->lat);
        atomic_store_explicit(&o->ops, diff(&a->ops, &b->ops), memory_order_relaxed);
        atomic_store_explicit(&o->records, diff(&a->records, &b->records), memory_order_relaxed);
        atomic_store_explicit(&o->misses, diff(&a->misses, &b->misses), memory_order_relaxed);
        atomic_store_explicit(&o->filtered, diff(&a->filtered, &b->filtered),
                              memory_order_relaxed);
        atomic_store_explicit(&o->errors, diff(&a->errors, &b->errors), memory_order_relaxed);
        atomic_store_explicit(&o->timeouts, diff(&a->timeouts, &b->timeouts),
                              memory_order_relaxed);
    }
}

void stats_copy(worker_stats *out, const worker_stats *in) {
    stats_zero(out);
    stats_add(out, in);
}
