/*
 * aw-syncbench — blocking (sync API) get throughput and client CPU per get.
 *
 *   aw-syncbench [-h HOSTS] [-t THREADS] [-s SECONDS] [-k KEYS] [-w WARMUP_S]
 *
 * Writes KEYS records (an int bin and a 100-byte string bin), then runs
 * THREADS threads doing aw_get of random keys, one at a time each, for
 * SECONDS. Prints gets/s and the process's CPU time (user + sys, from
 * getrusage) per get. HOSTS defaults to $AEROSPIKE_HOSTS, else
 * 127.0.0.1:3000. For a fair CPU figure run the server on another core:
 *
 *   taskset -c 1 aw-testd --port 0 &        # prints its port
 *   taskset -c 0 aw-syncbench -h 127.0.0.1:PORT -t 1
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "aerowire/aerowire.h"
#include "aerowire/client.h"

typedef struct bench {
    aw_client *client;
    int keys;
    atomic_bool stop;
    atomic_bool counting;
} bench;

typedef struct worker {
    bench *b;
    unsigned seed;
    uint64_t gets, errors;
    char first_error[200];
    pthread_t th;
} worker;

static void make_key(aw_key *k, int i) {
    char name[32];
    snprintf(name, sizeof name, "bench-%d", i);
    aw_key_init_str(k, "test", "bench", name, NULL);
}

static void *run(void *arg) {
    worker *w = arg;
    bench *b = w->b;
    aw_key *keys = malloc((size_t)b->keys * sizeof *keys); /* digests up front, as an app would */
    for (int i = 0; i < b->keys; i++)
        make_key(&keys[i], i);
    while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
        aw_record rec;
        aw_error err;
        int rc = aw_get(b->client, NULL, &keys[rand_r(&w->seed) % (unsigned)b->keys], NULL, 0,
                        &rec, &err);
        aw_record_free(&rec);
        if (atomic_load_explicit(&b->counting, memory_order_relaxed)) {
            w->gets++;
            if (rc != AW_OK && w->errors++ == 0)
                snprintf(w->first_error, sizeof w->first_error, "%s: %s", aw_status_name(rc),
                         err.message);
        }
    }
    free(keys);
    return NULL;
}

int main(int argc, char **argv) {
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    int threads = 1, keys = 1000;
    double seconds = 5, warmup = 1;
    int opt;
    while ((opt = getopt(argc, argv, "h:t:s:k:w:")) != -1) {
        switch (opt) {
        case 'h': hosts = optarg; break;
        case 't': threads = atoi(optarg); break;
        case 's': seconds = atof(optarg); break;
        case 'k': keys = atoi(optarg); break;
        case 'w': warmup = atof(optarg); break;
        default:
            fprintf(stderr, "usage: aw-syncbench [-h HOSTS] [-t THREADS] [-s SECONDS] [-k KEYS] "
                            "[-w WARMUP_S]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 256 || keys < 1 || seconds <= 0)
        return 2;

    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts && hosts[0] ? hosts : "127.0.0.1:3000";
    bench b = {.keys = keys};
    aw_error err;
    if (aw_client_new(&b.client, &cfg, &err) != AW_OK) {
        fprintf(stderr, "connect %s: %s\n", cfg.hosts, err.message);
        return 1;
    }
    char text[101];
    memset(text, 'x', 100);
    text[100] = '\0';
    for (int i = 0; i < keys; i++) {
        aw_key k;
        make_key(&k, i);
        aw_bin bins[] = {{"i", aw_value_int(i)}, {"s", aw_value_str(text)}};
        if (aw_put(b.client, NULL, &k, bins, 2, &err) != AW_OK) {
            fprintf(stderr, "put: %s\n", err.message);
            aw_client_close(b.client);
            return 1;
        }
    }

    worker *w = calloc((size_t)threads, sizeof *w);
    for (int i = 0; i < threads; i++) {
        w[i].b = &b;
        w[i].seed = (unsigned)i * 7919u + 1;
        pthread_create(&w[i].th, NULL, run, &w[i]);
    }
    struct timespec ws = {(time_t)warmup, (long)((warmup - (double)(time_t)warmup) * 1e9)};
    nanosleep(&ws, NULL);
    double t0 = td_now_s(), c0 = td_cpu_s();
    atomic_store(&b.counting, true);
    struct timespec rs = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&rs, NULL);
    atomic_store(&b.counting, false);
    double t1 = td_now_s(), c1 = td_cpu_s();
    atomic_store(&b.stop, true);
    uint64_t gets = 0, errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].th, NULL);
        gets += w[i].gets;
        errors += w[i].errors;
        if (w[i].errors)
            fprintf(stderr, "thread %d: %llu errors, first %s\n", i,
                    (unsigned long long)w[i].errors, w[i].first_error);
    }
    free(w);
    aw_client_close(b.client);

    double el = t1 - t0;
    printf("threads %d  gets %llu  errors %llu  %.0f gets/s  %.2f us/get latency  "
           "%.2f us client CPU/get\n",
           threads, (unsigned long long)gets, (unsigned long long)errors, (double)gets / el,
           el * 1e6 * threads / (double)(gets ? gets : 1), (c1 - c0) * 1e6 / (double)(gets ? gets : 1));
    return errors ? 1 : 0;
}
