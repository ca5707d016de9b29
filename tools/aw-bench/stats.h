/*
 * aw-bench's counters: each worker (a sync thread or an event loop) owns
 * one worker_stats and is its only writer; the reporter sums them into
 * snapshots whenever it likes. No locks on the command path.
 *
 * Per op type:
 *   ops       commands that got an answer (single records: found or not;
 *             batches: calls that returned, whatever their rows said);
 *   records   batch rows answered (found or not); 0 for single records;
 *   misses    records not found (a subset of ops, or of records in batches);
 *   filtered  records the --filter expression rejected: the server answered
 *             FILTERED_OUT (27); a subset of ops, or of records in batches;
 *   errors    failed commands; for batches failed rows (a whole batch that
 *             failed counts all its rows);
 *   timeouts  as errors, for AW_ERR_TIMEOUT (not counted in errors);
 *   lat       latency of each answered command.
 */
#ifndef AW_BENCH_STATS_H
#define AW_BENCH_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "workload.h"

typedef struct op_stats {
    bh_hist lat;
    _Atomic uint64_t ops, records, misses, filtered, errors, timeouts;
} op_stats;

typedef struct worker_stats {
    op_stats op[OP_TYPES];
} worker_stats;

/* Single-writer increment (see hist.h). */
static inline void st_add(_Atomic uint64_t *c, uint64_t n) {
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}
static inline uint64_t st_get(const _Atomic uint64_t *c) {
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Zeroed stats (NULL when out of memory); free with free(). */
worker_stats *stats_new(void);
void stats_zero(worker_stats *s);
/* out += in. */
void stats_add(worker_stats *out, const worker_stats *in);
/* out = now - before (see bh_sub). */
void stats_sub(worker_stats *out, const worker_stats *now, const worker_stats *before);
void stats_copy(worker_stats *out, const worker_stats *in);

#endif
