/*
 * Filling the embedded server before a read workload: it starts empty, and
 * reads of keys nobody wrote measure nothing useful. Batch writes from rows
 * (aw_batch_write_from), so it takes a fraction of a second for the default
 * key space; not timed, not in the figures.
 */
#ifndef AW_BENCH_LOAD_H
#define AW_BENCH_LOAD_H

#include <signal.h>

#include "bench.h"

/* Writes every key of the space with the spec's bins. 0; 1 when a signal
 * in sigs arrived first; -1 on failure (message printed). */
int load_keys(bench *b, const sigset_t *sigs);

#endif
