/*
 * The two ways aw-bench issues commands: sync threads (-z), one command at
 * a time each, or event loops (-a, -W), each a thread with its own libevent
 * base and aw_loop keeping its share of -c commands in flight. Each worker
 * ends with worker_finished once it has nothing left to issue (b->stop
 * seen, insert range or --count done) and nothing in flight.
 */
#ifndef AW_BENCH_RUNNERS_H
#define AW_BENCH_RUNNERS_H

#include "cmd.h"

/* Thread bodies; arg is the worker. */
void *run_sync_worker(void *arg);
void *run_async_worker(void *arg);

/* Notes the worker's end time, decrements b->running and wakes the
 * reporter (SIGUSR1, which every thread blocks and the reporter waits
 * for), so a run that ends on its own is not timed to the next tick. */
void worker_finished(worker *w);

#endif
