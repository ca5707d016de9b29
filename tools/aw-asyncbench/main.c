/*
 * aw-asyncbench — async throughput and client CPU per command on one
 * libevent loop.
 *
 *   aw-asyncbench [-h HOST:PORT] [-n INFLIGHT=64] [-t SECONDS=5] [-w get|put|mix]
 *                 [-k KEYS=10000] [-c CONNS] [-d DEPTH] [-b BIN_BYTES=100]
 *
 * Without -h it starts aw-testd (next to this program) on free ports, pinned
 * to the last CPU, and pins itself to CPU 0, so client and server do not
 * share a core. Writes KEYS records first, then keeps INFLIGHT commands in
 * flight for SECONDS and prints commands/s and the client's CPU time (user +
 * sys, getrusage, whole process incl. the tend thread) per command.
 */
#include <errno.h>
#include <stddef.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "aerowire/adapters/libevent.h"
#include "aerowire/aerowire.h"
#include "aerowire/async.h"
#include "aerowire/client.h"

typedef struct bench {
    aw_loop *loop;
    aw_key *keys;
    uint32_t n_keys;
    uint32_t next;
    int workload; /* 0 get, 1 put, 2 mix */
    char *payload;
    size_t payload_len;
    bool loading;  /* one pass of puts over the keys, then stop */
    bool stop;
    uint64_t done, errors, inflight;
    int first_error;
    char first_msg[AW_ERROR_MSG_SIZE];
} bench;

/* Counts aerowire's allocations (aw_set_allocator), to show what the hot
 * path allocates per command. */
static atomic_ulong n_allocs;
static void *count_malloc(size_t n, void *ctx) {
    (void)ctx;
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return malloc(n);
}
static void *count_realloc(void *p, size_t n, void *ctx) {
    (void)ctx;
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    return realloc(p, n);
}
static void count_free(void *p, void *ctx) {
    (void)ctx;
    free(p);
}

static void submit_one(bench *b);

static void note_error(bench *b, const aw_error *err) {
    if (!b->errors++) {
        b->first_error = err->code;
        snprintf(b->first_msg, sizeof b->first_msg, "%s", err->message);
    }
}

static void finished(bench *b) {
    b->inflight--;
    b->done++;
    if (b->loading && b->next >= b->n_keys)
        b->stop = true;
    if (!b->stop)
        submit_one(b);
    else if (b->inflight == 0)
        aw_loop_close(b->loop);
}

static void on_record(const aw_error *err, aw_record *rec, void *udata) {
    (void)rec;
    bench *b = udata;
    if (err)
        note_error(b, err);
    finished(b);
}

static void on_status(const aw_error *err, void *udata) {
    bench *b = udata;
    if (err)
        note_error(b, err);
    finished(b);
}

static void submit_one(bench *b) {
    const aw_key *k = &b->keys[b->next++ % b->n_keys];
    aw_error err;
    int rc;
    bool put = b->workload == 1 || (b->workload == 2 && (b->next & 1));
    if (put) {
        aw_bin bin = {"b", aw_value_strn(b->payload, b->payload_len)};
        rc = aw_put_async(b->loop, NULL, k, &bin, 1, on_status, b, &err);
    } else {
        rc = aw_get_async(b->loop, NULL, k, NULL, 0, on_record, b, &err);
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

int main(int argc, char **argv) {
    const char *host = NULL;
    int inflight = 64, n_keys = 10000, bin_bytes = 100, conns = 0, depth = -1;
    double seconds = 5;
    const char *workload = "get";
    int opt;
    while ((opt = getopt(argc, argv, "h:n:t:w:k:c:d:b:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 'n': inflight = atoi(optarg); break;
        case 't': seconds = atof(optarg); break;
        case 'w': workload = optarg; break;
        case 'k': n_keys = atoi(optarg); break;
        case 'c': conns = atoi(optarg); break;
        case 'd': depth = atoi(optarg); break;
        case 'b': bin_bytes = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: aw-asyncbench [-h HOST:PORT] [-n INFLIGHT] [-t SECONDS] "
                            "[-w get|put|mix] [-k KEYS] [-c CONNS] [-d DEPTH] [-b BIN_BYTES]\n");
            return 2;
        }
    }
    if (inflight < 1 || n_keys < 1 || bin_bytes < 0)
        return 2;
    int wl = strcmp(workload, "put") == 0 ? 1 : strcmp(workload, "mix") == 0 ? 2 : 0;

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

    aw_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    aw_set_allocator(&counting);
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = host;
    if (conns > 0)
        cfg.async_max_conns_per_node = (uint32_t)conns;
    if (depth >= 0)
        cfg.pipeline_depth = (uint32_t)depth;
    cfg.read_policy.total_timeout_ms = 5000;
    cfg.write_policy.total_timeout_ms = 5000;
    aw_client *client;
    aw_error err;
    if (aw_client_new(&client, &cfg, &err) != AW_OK) {
        fprintf(stderr, "connect %s: %s\n", host, err.message);
        td_spawn_stop(testd);
        return 1;
    }

    bench b;
    memset(&b, 0, sizeof b);
    b.n_keys = (uint32_t)n_keys;
    b.keys = calloc((size_t)n_keys, sizeof *b.keys);
    b.payload_len = (size_t)bin_bytes;
    b.payload = malloc(b.payload_len + 1);
    memset(b.payload, 'x', b.payload_len);
    for (int i = 0; i < n_keys; i++) {
        char name[32];
        snprintf(name, sizeof name, "k%d", i);
        aw_key_init_str(&b.keys[i], "test", "bench", name, NULL);
    }
    struct event_base *base = event_base_new();

    /* Load every key once (puts), then measure on a fresh loop. */
    b.workload = 1;
    b.loading = true;
    if (aw_libevent_attach(client, base, &b.loop, &err) != AW_OK) {
        fprintf(stderr, "attach: %s\n", err.message);
        return 1;
    }
    for (int i = 0; i < inflight && i < n_keys; i++)
        submit_one(&b);
    event_base_dispatch(base);
    if (b.errors) {
        fprintf(stderr, "load: %llu errors, first %s: %s\n", (unsigned long long)b.errors,
                aw_status_name(b.first_error), b.first_msg);
    }

    aw_client_stats st0;
    aw_client_get_stats(client, &st0);
    memset(&b.loading, 0, sizeof b - offsetof(bench, loading));
    b.workload = wl;
    if (aw_libevent_attach(client, base, &b.loop, &err) != AW_OK)
        return 1;
    for (int i = 0; i < inflight; i++)
        submit_one(&b);
    struct event *stop = evtimer_new(base, on_stop, &b);
    struct timeval tv = {(time_t)seconds,
                         (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6)};
    evtimer_add(stop, &tv);
    double t0 = td_now_s(), c0 = td_cpu_s();
    unsigned long a0 = atomic_load(&n_allocs);
    event_base_dispatch(base);
    unsigned long a1 = atomic_load(&n_allocs);
    double t1 = td_now_s(), c1 = td_cpu_s();
    event_free(stop);
    aw_client_stats st1;
    aw_client_get_stats(client, &st1);

    double wall = t1 - t0, cpu = c1 - c0;
    printf("aw-asyncbench: %s, %d in flight, %.1f s, host %s, conns/node %u, pipeline %u\n",
           workload, inflight, wall, host, cfg.async_max_conns_per_node, cfg.pipeline_depth);
    printf("  commands   %llu (%llu errors)\n", (unsigned long long)b.done,
           (unsigned long long)b.errors);
    printf("  throughput %.0f commands/s\n", (double)b.done / wall);
    printf("  client cpu %.2f us/command (%.0f%% of one core)\n", cpu * 1e6 / (double)b.done,
           100.0 * cpu / wall);
    printf("  allocations %.3f per command (aerowire's allocator; tend thread included)\n",
           (double)(a1 - a0) / (double)b.done);
    printf("  connections opened %llu, retries %llu, timeouts %llu\n",
           (unsigned long long)(st1.conns_opened - st0.conns_opened),
           (unsigned long long)(st1.retries - st0.retries),
           (unsigned long long)(st1.timeouts - st0.timeouts));
    if (b.errors)
        printf("  first error %s: %s\n", aw_status_name(b.first_error), b.first_msg);

    aw_client_close(client);
    event_base_free(base);
    free(b.keys);
    free(b.payload);
    td_spawn_stop(testd);
    return b.errors ? 1 : 0;
}
