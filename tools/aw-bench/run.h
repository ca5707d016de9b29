/*
 * One run of the workload: start the workers, print a line per second (and
 * the insert's progress), stop at the deadline (-t), when every worker is
 * done (--count, the end of an insert) or on SIGINT/SIGTERM, wait for what
 * is in flight, and add up the figures.
 */
#ifndef AW_BENCH_RUN_H
#define AW_BENCH_RUN_H

#include <signal.h>
#include <stdio.h>

#include "bench.h"
#include "report.h"

/* sigs (SIGINT, SIGTERM, and SIGUSR1 for the workers' "done") must be
 * blocked in the calling thread; the workers inherit that and the signals
 * are taken here with sigtimedwait.
 * A second signal, or commands still in flight long after their timeouts,
 * ends the wait without them (r->abandoned: the workers are left running,
 * so the caller must not free what they use).
 * Fills r's times and flags and total. 0, or -1 when no worker could start
 * (message printed). */
int run_workload(bench *b, FILE *human, const sigset_t *sigs, run_result *r,
                 worker_stats *total);
/* Frees the workers (not after an abandoned run). */
void run_free_workers(bench *b);

#endif
