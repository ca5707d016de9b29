/*
 * asbench's workloads (-w) as aw-bench runs them:
 *   I          linear insert: every key of the key space once, in order;
 *   RU[,R]     random keys, R% reads and the rest updates (default 50);
 *   RR[,R]     the same with replaces instead of updates;
 *   RUD[,R,W]  R% reads, W% updates, the rest deletes (default 40,40).
 * Batch sizes (--batch-read-size, --batch-write-size) turn reads or writes
 * into batches; that is the runner's business, not the workload's.
 */
#ifndef AW_BENCH_WORKLOAD_H
#define AW_BENCH_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "keys.h"

/* What one command does; also the rows of the statistics. */
typedef enum op_type {
    OP_READ = 0,
    OP_WRITE,
    OP_DELETE,
    OP_BATCH_READ,
    OP_BATCH_WRITE,
    OP_TYPES
} op_type;

/* Short names as printed and as JSON keys: read, write, delete,
 * batch_read, batch_write. */
extern const char *const op_names[OP_TYPES];

typedef enum wl_kind { WL_INSERT, WL_RU, WL_RR, WL_RUD } wl_kind;

typedef struct workload {
    wl_kind kind;
    double read_pct, write_pct; /* RUD: deletes are the rest */
    double insert_pct;          /* I,P: the first P% of the keys (old asbench form) */
    char text[32];              /* as given, for the reports */
} workload;

/* Parses -w. -1 with a message in why when it is not one of the above. */
int wl_parse(workload *wl, const char *text, char *why, size_t why_cap);

/* The next single-record command of a random workload: OP_READ, OP_WRITE or
 * OP_DELETE (insert workloads always write). */
static inline op_type wl_pick(const workload *wl, rng *r) {
    if (wl->kind == WL_INSERT)
        return OP_WRITE;
    double x = rng_unit(r) * 100.0;
    if (x < wl->read_pct)
        return OP_READ;
    if (wl->kind != WL_RUD || x < wl->read_pct + wl->write_pct)
        return OP_WRITE;
    return OP_DELETE;
}

#endif
