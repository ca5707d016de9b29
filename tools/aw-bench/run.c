/* Running the workload and ticking the report; see run.h. */
#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "progress.h"
#include "runners.h"

#define SEC 1000000000ull

/* Writes done so far by an insert: answered or failed. */
static uint64_t inserted(const worker_stats *s) {
    const op_stats *w = &s->op[OP_WRITE], *bw = &s->op[OP_BATCH_WRITE];
    return st_get(&w->ops) + st_get(&w->errors) + st_get(&w->timeouts) + st_get(&bw->records) +
           st_get(&bw->errors) + st_get(&bw->timeouts);
}

void worker_finished(worker *w) {
    w->t_end = bl_now_ns();
    if (atomic_fetch_sub(&w->b->running, 1) == 1)
        kill(getpid(), SIGUSR1);
}

static void collect(const bench *b, worker_stats *out) {
    stats_zero(out);
    for (size_t i = 0; i < b->n_workers; i++)
        stats_add(out, b->workers[i]->st);
}

static int start_workers(bench *b) {
    const bench_args *a = b->a;
    size_t n = a->async ? a->event_loops : a->threads;
    b->workers = calloc(n, sizeof *b->workers);
    if (!b->workers)
        return -1;
    for (size_t i = 0; i < n; i++) {
        /* -c is over all loops, as in asbench. */
        size_t cmds = a->async ? a->async_max_commands / n + (i < a->async_max_commands % n) : 1;
        b->workers[i] = worker_new(b, i, n, cmds);
        if (!b->workers[i]) {
            fprintf(stderr, "aw-bench: out of memory for worker %zu\n", i);
            return -1;
        }
        b->n_workers = i + 1;
    }
    atomic_store(&b->running, (int)n);
    for (size_t i = 0; i < n; i++) {
        worker *w = b->workers[i];
        int rc = pthread_create(&w->th, NULL, a->async ? run_async_worker : run_sync_worker, w);
        if (rc != 0) {
            fprintf(stderr, "aw-bench: cannot start thread %zu: %s\n", i, strerror(rc));
            /* The ones started finish what they have in flight and stop. */
            atomic_store(&b->stop, true);
            atomic_fetch_sub(&b->running, (int)(n - i));
            return i ? 0 : -1;
        }
        w->started = true;
    }
    return 0;
}

void run_free_workers(bench *b) {
    for (size_t i = 0; i < b->n_workers; i++)
        worker_free(b->workers[i]);
    free(b->workers);
    b->workers = NULL;
    b->n_workers = 0;
}

/* Longest a command can take once stopped: its total timeout over every
 * attempt, plus slack; 0 when commands have no time limit. */
static uint64_t grace_ns(const bench_args *a) {
    uint64_t t = a->read_timeout_ms > a->write_timeout_ms ? a->read_timeout_ms
                                                          : a->write_timeout_ms;
    if (t == 0)
        return 0;
    return (t * (a->max_retries + 1ull) + 5000ull) * 1000000ull;
}

int run_workload(bench *b, FILE *human, const sigset_t *sigs, run_result *r,
                 worker_stats *total) {
    const bench_args *a = b->a;
    worker_stats *prev = stats_new(), *cur = stats_new(), *delta = stats_new();
    int ret = -1;
    if (!prev || !cur || !delta) {
        fprintf(stderr, "aw-bench: out of memory\n");
        goto out;
    }
    progress pg;
    bool insert = a->wl.kind == WL_INSERT;
    if (insert)
        pg_init(&pg, "insert", b->insert_keys);

    uint64_t t0 = bl_now_ns();
    double c0 = bl_cpu_s();
    if (start_workers(b) != 0)
        goto out;
    uint64_t stop_at = a->duration > 0 ? t0 + (uint64_t)(a->duration * 1e9) : UINT64_MAX;
    uint64_t next_tick = t0 + SEC, last_tick = t0, stopped_at = 0, grace = grace_ns(a);
    uint64_t next_bar = t0;
    for (;;) {
        uint64_t now = bl_now_ns();
        bool done = atomic_load(&b->running) == 0;
        if (!done && !stopped_at && now >= stop_at) {
            atomic_store(&b->stop, true);
            stopped_at = now;
        }
        if (!done && now >= next_tick) {
            collect(b, cur);
            stats_sub(delta, cur, prev);
            if (insert)
                pg_hide(&pg);
            rp_line(human, b, (double)(next_tick - t0) / 1e9, (double)(now - last_tick) / 1e9,
                    delta);
            worker_stats *t = prev;
            prev = cur;
            cur = t;
            last_tick = now;
            next_tick += SEC;
            if (next_tick <= now) /* a late wake-up: no burst of lines */
                next_tick = now + SEC;
            next_bar = now;
        }
        if (insert && (done || now >= next_bar)) {
            collect(b, cur);
            pg_update(&pg, inserted(cur));
            next_bar = now + SEC / 5;
        }
        if (done)
            break;
        if (stopped_at && grace && now - stopped_at > grace) {
            fprintf(stderr, "aw-bench: commands still in flight %.0f s after the stop; "
                            "reporting without them\n", (double)(now - stopped_at) / 1e9);
            r->abandoned = true;
            break;
        }
        /* Sleep until the next thing to do, 100 ms at most (workers that
         * finish on their own are noticed that way). */
        uint64_t wake = now + SEC / 10;
        if (next_tick < wake)
            wake = next_tick;
        if (!stopped_at && stop_at < wake)
            wake = stop_at;
        if (insert && next_bar < wake)
            wake = next_bar;
        uint64_t d = wake > now ? wake - now : 0;
        struct timespec ts = {(time_t)(d / SEC), (long)(d % SEC)};
        int sig = sigtimedwait(sigs, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            if (!stopped_at) {
                atomic_store(&b->stop, true);
                stopped_at = bl_now_ns();
                r->interrupted = true;
            } else {
                fprintf(stderr, "aw-bench: second signal; reporting without the commands "
                                "still in flight\n");
                r->abandoned = true;
                break;
            }
        }
    }
    r->cpu_s = bl_cpu_s() - c0;
    uint64_t t1 = bl_now_ns();
    if (!r->abandoned) {
        /* The run ends with the last answer, not when the reporter woke. */
        t1 = t0;
        for (size_t i = 0; i < b->n_workers; i++) {
            worker *w = b->workers[i];
            if (w->started)
                pthread_join(w->th, NULL);
            if (w->t_end > t1)
                t1 = w->t_end;
        }
    }
    r->seconds = (double)(t1 - t0) / 1e9;
    if (insert)
        pg_end(&pg);
    collect(b, total);
    /* The last stretch, when it is long enough for a rate to mean something. */
    stats_sub(delta, total, prev);
    if (t1 - last_tick >= SEC / 5 && rp_ops(b, delta) + rp_records(b, delta) > 0)
        rp_line(human, b, (double)(t1 - t0) / 1e9, (double)(t1 - last_tick) / 1e9, delta);
    ret = 0;
out:
    free(prev);
    free(cur);
    free(delta);
    return ret;
}
