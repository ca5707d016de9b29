/*
 * aw-bench's workers and their commands. A worker is a sync thread (one
 * command at a time) or an event loop (its share of -c commands in
 * flight); each command slot owns the buffers its command needs until it
 * completes (keys, bin values, batch results or rows), so async commands
 * never share memory.
 *
 * A command's life: cmd_next picks what to do and prepares the buffers,
 * the runner issues it (cmd_run_sync, or the async submit in
 * run_async.c), cmd_done counts the outcome in the worker's stats.
 */
#ifndef AW_BENCH_CMD_H
#define AW_BENCH_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "objspec.h"

struct event_base;
struct event;

typedef struct cmd {
    worker *w;
    op_type type;
    uint64_t t0;              /* ns, when it was issued */
    uint32_t n;               /* rows of a batch */
    aw_key key;               /* single-record commands */
    aw_key *keys;             /* batches: room for the largest batch size */
    aw_batch_result *res;     /* records mode */
    aw_batch_op *ops;         /* records mode batch writes */
    uint8_t *rows;            /* columnar mode: batch reads land here */
    uint8_t *wrows;           /* columnar mode: batch writes come from here */
    int32_t *codes;           /* columnar mode */
    obj_values vals;          /* the bins this slot writes */
    bool rows_stale;          /* wrows must be refilled from vals */
    uint32_t backoff_ms;      /* pause after its last instant failure (backoff.h) */
    struct event *pause_ev;   /* async: fires when the pause is over */
} cmd;

struct worker {
    bench *b;
    size_t idx;
    pthread_t th;
    bool started;
    uint64_t t_end;           /* ns, when it finished */
    rng r;
    worker_stats *st;
    uint64_t next, end;       /* insert: key indexes still to write */
    uint64_t quota;           /* --count: commands left to issue */
    uint64_t next_key;        /* random workloads: the next single key, prefetched */
    bool limited;
    /* Async workers. */
    struct event_base *base;
    aw_loop *loop;
    size_t inflight;
    size_t n_cmds;
    cmd *cmds;
};

/* A worker with n_cmds command slots (its part of the key range and of
 * --count are set from idx of n). NULL when out of memory. */
worker *worker_new(bench *b, size_t idx, size_t n, size_t n_cmds);
void worker_free(worker *w);

/* Picks the worker's next command into c and prepares it; false when the
 * worker has nothing more to issue (stop, insert range done, quota spent). */
bool cmd_next(cmd *c);
/* Runs c with the sync API; returns the call's code. */
int cmd_run_sync(cmd *c, aw_error *err);
/* Counts c's outcome: rc is the call's code (batches: rows are read from
 * c's results). Releases batch records. */
void cmd_done(cmd *c, int rc, const aw_error *err);

#endif
