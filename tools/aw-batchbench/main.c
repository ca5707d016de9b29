/*
 * aw-batchbench — batch get throughput and client CPU per record, sync and
 * async.
 *
 *   aw-batchbench [-h HOST:PORT] [-t SECONDS=5] [-b BATCH=100] [-k KEYS=10000]
 *                 [-n INFLIGHT=8] [-m sync|async|both] [-s records|count]
 *
 * Without -h it starts aw-testd (next to this program) on free ports, pinned
 * to the last CPU, and pins itself to CPU 0. Writes KEYS one-bin records
 * (integer bin "b") with batch writes, then for SECONDS each:
 *   sync   aw_batch_get of BATCH consecutive keys in a loop (one thread);
 *   async  INFLIGHT aw_batch_get_async batches of BATCH keys kept in flight
 *          on one libevent loop.
 * With -s count the batches run through aw_batch_exec(_async) with a sink
 * that only counts rows, which shows the engine's own cost without building
 * aw_record values. Prints records/s and the client's CPU time (user + sys,
 * getrusage, whole process incl. the tend thread) per record.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "aerowire/adapters/libevent.h"
#include "aerowire/aerowire.h"
#include "aerowire/async.h"
#include "aerowire/batch.h"
#include "client/batch_exec.h"

/* --- the benchmark's state -------------------------------------------------------- */

typedef struct slot slot;

typedef struct bench {
    aw_client *client;
    aw_loop *loop;
    aw_key *keys;
    uint32_t n_keys, batch;
    uint32_t next;              /* first key of the next batch */
    bool count_only;            /* -s count */
    bool stop;
    uint64_t records, errors, batches;
    int inflight;
    int first_error;
    aw_batch_policy pol;
    slot *slots;
} bench;

/* One batch in flight: its results (or counters) and its key window. */
struct slot {
    bench *b;
    aw_batch_result *res;
    const aw_key *keys;
    uint64_t rows_ok;
    aw_batch_source src;
    aw_batch_sink sink;
};

static const aw_key *window(bench *b) {
    if (b->next + b->batch > b->n_keys)
        b->next = 0;
    const aw_key *k = &b->keys[b->next];
    b->next += b->batch;
    return k;
}

static void note(bench *b, int code) {
    if (code != AW_OK) {
        if (!b->errors++)
            b->first_error = code;
    } else {
        b->records++;
    }
}

/* The counting source and sink (-s count). */
static int c_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    (void)err;
    slot *s = ctx;
    row->key = &s->keys[i];
    row->kind = AW_BATCH_READ;
    return AW_OK;
}
static const aw_key *c_key(void *ctx, size_t i) { return &((slot *)ctx)->keys[i]; }
static bool c_writes(void *ctx, size_t i) {
    (void)ctx;
    (void)i;
    return false;
}
static void c_sink(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                   const aw_error *err) {
    (void)i;
    (void)in_doubt;
    (void)m;
    (void)err;
    note(((slot *)ctx)->b, result);
}

/* --- sync ------------------------------------------------------------------------- */

static void run_sync(bench *b, double seconds) {
    slot *s = &b->slots[0];
    double end = td_now_s() + seconds;
    aw_error err;
    while (td_now_s() < end) {
        s->keys = window(b);
        int rc;
        if (b->count_only) {
            s->src = (aw_batch_source){b->batch, c_row, c_key, c_writes, s};
            s->sink = (aw_batch_sink){c_sink, s};
            rc = aw_batch_exec(b->client, &b->pol, &s->src, &s->sink, &err);
        } else {
            rc = aw_batch_get(b->client, &b->pol, s->keys, b->batch, NULL, 0, false, s->res, &err);
            if (rc == AW_OK) {
                for (uint32_t i = 0; i < b->batch; i++)
                    note(b, s->res[i].code);
                aw_batch_results_free(s->res, b->batch);
            }
        }
        if (rc != AW_OK) {
            fprintf(stderr, "batch: %s\n", err.message);
            exit(1);
        }
        b->batches++;
    }
}

/* --- async ------------------------------------------------------------------------ */

static void submit(slot *s);

static void finished(slot *s) {
    bench *b = s->b;
    b->inflight--;
    b->batches++;
    if (!b->stop)
        submit(s);
    else if (b->inflight == 0)
        aw_loop_close(b->loop);
}

static void on_batch(const aw_error *err, void *udata) {
    slot *s = udata;
    bench *b = s->b;
    if (err && !b->errors++)
        b->first_error = err->code;
    for (uint32_t i = 0; i < b->batch; i++)
        note(b, s->res[i].code);
    aw_batch_results_free(s->res, b->batch);
    finished(s);
}

static void on_count_done(void *ctx, const aw_error *err) {
    slot *s = ctx;
    if (err && !s->b->errors++)
        s->b->first_error = err->code;
    finished(s);
}

static void submit(slot *s) {
    bench *b = s->b;
    aw_error err;
    s->keys = window(b);
    int rc;
    if (b->count_only) {
        s->src = (aw_batch_source){b->batch, c_row, c_key, c_writes, s};
        s->sink = (aw_batch_sink){c_sink, s};
        rc = aw_batch_exec_async(b->loop, &b->pol, &s->src, &s->sink, on_count_done, s, &err);
    } else {
        rc = aw_batch_get_async(b->loop, &b->pol, s->keys, b->batch, NULL, 0, false, s->res,
                                on_batch, s, &err);
    }
    if (rc != AW_OK) {
        fprintf(stderr, "submit: %s\n", err.message);
        exit(1);
    }
    b->inflight++;
}

static void on_stop(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    bench *b = arg;
    b->stop = true;
    if (b->inflight == 0)
        aw_loop_close(b->loop);
}

static void run_async(bench *b, struct event_base *base, int inflight, double seconds) {
    aw_error err;
    if (aw_libevent_attach(b->client, base, &b->loop, &err) != AW_OK) {
        fprintf(stderr, "attach: %s\n", err.message);
        exit(1);
    }
    b->stop = false;
    for (int i = 0; i < inflight; i++)
        submit(&b->slots[i]);
    struct event *stop = evtimer_new(base, on_stop, b);
    struct timeval tv = {(time_t)seconds,
                         (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6)};
    evtimer_add(stop, &tv);
    event_base_dispatch(base);
    event_free(stop);
}

/* --- loading ---------------------------------------------------------------------- */

static void load(bench *b) {
    uint32_t chunk = 5000;
    aw_bin *bins = calloc(chunk, sizeof *bins);
    aw_batch_op *ops = calloc(chunk, sizeof *ops);
    aw_batch_result *res = calloc(chunk, sizeof *res);
    aw_batch_policy p = aw_batch_policy_default();
    p.base.total_timeout_ms = 10000;
    for (uint32_t at = 0; at < b->n_keys; at += chunk) {
        uint32_t n = b->n_keys - at < chunk ? b->n_keys - at : chunk;
        for (uint32_t i = 0; i < n; i++) {
            bins[i] = (aw_bin){"b", aw_value_int((int64_t)(at + i))};
            ops[i] = (aw_batch_op){.kind = AW_BATCH_OP_WRITE, .key = &b->keys[at + i],
                                   .write_bins = &bins[i], .n_bins = 1};
        }
        aw_error err;
        if (aw_batch_operate(b->client, &p, ops, n, res, &err) != AW_OK) {
            fprintf(stderr, "load: %s\n", err.message);
            exit(1);
        }
        for (uint32_t i = 0; i < n; i++) {
            if (res[i].code != AW_OK) {
                fprintf(stderr, "load row %u: %s\n", at + i, aw_status_name(res[i].code));
                exit(1);
            }
        }
        aw_batch_results_free(res, n);
    }
    free(bins);
    free(ops);
    free(res);
}

/* --- aw-testd --------------------------------------------------------------------- */

static void report(const char *what, bench *b, double wall, double cpu) {
    printf("  %-6s %8.0f records/s  %6.0f batches/s  client cpu %.3f us/record (%.0f%% of a "
           "core)  errors %llu%s%s\n",
           what, (double)b->records / wall, (double)b->batches / wall,
           cpu * 1e6 / (double)(b->records ? b->records : 1), 100.0 * cpu / wall,
           (unsigned long long)b->errors, b->errors ? ", first " : "",
           b->errors ? aw_status_name(b->first_error) : "");
}

int main(int argc, char **argv) {
    const char *host = NULL, *mode = "both", *sink = "records";
    int batch = 100, n_keys = 10000, inflight = 8;
    double seconds = 5;
    int opt;
    while ((opt = getopt(argc, argv, "h:t:b:k:n:m:s:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 't': seconds = atof(optarg); break;
        case 'b': batch = atoi(optarg); break;
        case 'k': n_keys = atoi(optarg); break;
        case 'n': inflight = atoi(optarg); break;
        case 'm': mode = optarg; break;
        case 's': sink = optarg; break;
        default:
            fprintf(stderr, "usage: aw-batchbench [-h HOST:PORT] [-t SECONDS] [-b BATCH] [-k KEYS] "
                            "[-n INFLIGHT] [-m sync|async|both] [-s records|count]\n");
            return 2;
        }
    }
    if (batch < 1 || n_keys < batch || inflight < 1 || seconds <= 0)
        return 2;

    char spawned[256];
    pid_t testd = 0;
    if (!host) {
        testd = td_spawn(spawned, sizeof spawned);
        if (testd <= 0) {
            fprintf(stderr, "cannot start aw-testd\n");
            return 1;
        }
        host = spawned;
        td_pin_to_cpu0();
    }

    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = host;
    bench b;
    memset(&b, 0, sizeof b);
    aw_error err;
    if (aw_client_new(&b.client, &cfg, &err) != AW_OK) {
        fprintf(stderr, "connect %s: %s\n", host, err.message);
        td_spawn_stop(testd);
        return 1;
    }
    b.n_keys = (uint32_t)n_keys;
    b.batch = (uint32_t)batch;
    b.count_only = strcmp(sink, "count") == 0;
    b.pol = aw_batch_policy_default();
    b.pol.base.total_timeout_ms = 5000;
    b.keys = calloc((size_t)n_keys, sizeof *b.keys);
    for (int i = 0; i < n_keys; i++) {
        char name[32];
        snprintf(name, sizeof name, "bb%d", i);
        aw_key_init_str(&b.keys[i], "test", "batchbench", name, NULL);
    }
    b.slots = calloc((size_t)inflight, sizeof *b.slots);
    for (int i = 0; i < inflight; i++) {
        b.slots[i].b = &b;
        b.slots[i].res = calloc((size_t)batch, sizeof *b.slots[i].res);
    }
    load(&b);

    printf("aw-batchbench: batches of %d keys (1-bin records), %s sink, %.1f s each, host %s%s\n",
           batch, b.count_only ? "counting" : "aw_record", seconds, host,
           testd > 0 ? " (aw-testd on the last cpu, client on cpu 0)" : "");
    bool ok = true;
    if (strcmp(mode, "async") != 0) {
        b.records = b.errors = b.batches = 0;
        double t0 = td_now_s(), c0 = td_cpu_s();
        run_sync(&b, seconds);
        report("sync", &b, td_now_s() - t0, td_cpu_s() - c0);
        ok = ok && !b.errors;
    }
    if (strcmp(mode, "sync") != 0) {
        struct event_base *base = event_base_new();
        b.records = b.errors = b.batches = 0;
        double t0 = td_now_s(), c0 = td_cpu_s();
        run_async(&b, base, inflight, seconds);
        char what[32];
        snprintf(what, sizeof what, "async");
        report(what, &b, td_now_s() - t0, td_cpu_s() - c0);
        printf("         (%d batches in flight)\n", inflight);
        ok = ok && !b.errors;
        event_base_free(base);
    }

    aw_client_close(b.client);
    for (int i = 0; i < inflight; i++)
        free(b.slots[i].res);
    free(b.slots);
    free(b.keys);
    td_spawn_stop(testd);
    return ok ? 0 : 1;
}
