/*
 * What aw-bench prints: the header, one line per second, the summary with a
 * latency histogram per op type, and the --json object (schema in
 * docs/bench.md).
 */
#ifndef AW_BENCH_REPORT_H
#define AW_BENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

/* Where the run went and how it ended, for the header, summary and JSON. */
typedef struct run_result {
    const char *host;       /* the seed list used */
    bool embedded;          /* aw-testd started by aw-bench */
    int server_cpu;         /* embedded: the CPU it is pinned to */
    double seconds;         /* from the first command to the last answer */
    double cpu_s;           /* this process's CPU over the same time */
    bool interrupted;       /* stopped by SIGINT / SIGTERM */
    bool abandoned;         /* gave up waiting for commands in flight */
    bool allocs_counted;    /* --allocs */
    uint64_t allocs;        /* aerowire's allocations during the run */
} run_result;

void rp_header(FILE *f, const bench *b, const run_result *r);
/* One line for the interval that ended t seconds into the run and lasted dt. */
void rp_line(FILE *f, const bench *b, double t, double dt, const worker_stats *d);
void rp_summary(FILE *f, const bench *b, const worker_stats *total, const run_result *r);
void rp_json(FILE *f, const bench *b, const worker_stats *total, const run_result *r);

/* Commands (all types) and records (single records + batch rows) in s. */
uint64_t rp_ops(const bench *b, const worker_stats *s);
uint64_t rp_records(const bench *b, const worker_stats *s);
/* Op type t was used and none of its commands got an answer, but some
 * failed (e.g. all refused by a server that lacks what they ask). */
bool rp_all_failed(const bench *b, const worker_stats *s, op_type t);

#endif
