/*
 * aw-bench — asbench's workloads on aerowire: throughput, latency and the
 * client's CPU per command, against a real cluster (-h) or, by default, an
 * aw-testd it starts itself. docs/bench.md has the flags, the output and
 * the JSON.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "aerowire/aerowire.h"
#include "args.h"
#include "bench.h"
#include "load.h"
#include "pin.h"
#include "metrics_out.h"
#include "report.h"
#include "run.h"
#include "spawn.h"

/* --allocs: aerowire's allocator, counting (relaxed: a tally, not a lock). */
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

static void client_config(const bench_args *a, const char *hosts, aw_config *cfg) {
    aw_config_init(cfg);
    cfg->hosts = hosts;
    cfg->tls = a->tls;
    if (a->connect_timeout_ms)
        cfg->connect_timeout_ms = a->connect_timeout_ms;
    if (a->tend_interval_ms)
        cfg->tend_interval_ms = a->tend_interval_ms;
    if (a->max_error_rate_given)
        cfg->max_error_rate = a->max_error_rate;
    if (a->error_rate_window)
        cfg->error_rate_window = a->error_rate_window;
    if (a->max_socket_idle_s)
        cfg->idle_timeout_ms = a->max_socket_idle_s * 1000;
    if (a->max_conns_per_node)
        cfg->max_conns_per_node = a->max_conns_per_node;
    /* asbench's limit is over all event loops; aerowire's is per loop. */
    if (a->async_max_conns_per_node) {
        uint32_t per = a->async_max_conns_per_node / a->event_loops;
        cfg->async_max_conns_per_node = per ? per : 1;
    }
    if (a->pipeline_depth > 0)
        cfg->pipeline_depth = (uint32_t)a->pipeline_depth;
    cfg->metrics_enabled = a->metrics_file != NULL;
    cfg->min_conns_per_node = a->min_conns_per_node;
    if (a->async_min_conns_per_node) {
        uint32_t per = a->async_min_conns_per_node / a->event_loops;
        cfg->async_min_conns_per_node = per ? per : 1;
    }
    /* As asbench: rack-aware exactly when reads prefer the rack. */
    cfg->rack_aware = a->replica == AW_REPLICA_PREFER_RACK;
    cfg->rack_id = (int32_t)a->rack_id;
    bl_login_config(&a->login, cfg);
}

int main(int argc, char **argv) {
    static bench_args a;
    int rc = args_parse(&a, argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    /* SIGINT and SIGTERM are taken by the reporter (sigtimedwait); every
     * thread started from here on inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1); /* a worker's "done" (run.c) */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    FILE *human = a.json ? stderr : stdout;

    run_result r = {0};
    if (a.count_allocs) {
        /* Before any other aerowire call, as aw_set_allocator requires. */
        static const aw_allocator counting = {count_malloc, count_realloc, count_free, NULL};
        aw_set_allocator(&counting);
        r.allocs_counted = true;
    }
    if (args_compile_filter(&a) != 0)
        return 2;
    char spawned[256];
    pid_t server = 0;
    if (!a.hosts_arg && !a.port_given) {
        char why[512];
        r.server_cpu = bl_server_cpu();
        server = td_spawn_on(r.server_cpu, spawned, sizeof spawned, why, sizeof why);
        if (server <= 0) {
            fprintf(stderr, "aw-bench: no -h given and aw-testd could not be started: %s\n", why);
            args_free(&a);
            return 1;
        }
        int left = bl_pin_away_from(r.server_cpu);
        fprintf(stderr,
                "aw-bench: no -h given; started aw-testd on %s (pinned to cpu %d, %s; "
                "stopped at exit)\n",
                spawned, r.server_cpu, left ? "client on the other cpus" : "shared with the client");
        r.host = spawned;
        r.embedded = true;
    } else {
        r.host = a.hosts;
    }

    aw_config cfg;
    client_config(&a, r.host, &cfg);
    aw_client *client = NULL;
    aw_error err;
    if (aw_client_new(&client, &cfg, &err) != AW_OK) {
        fprintf(stderr, "aw-bench: cannot connect to %s: %s\n", r.host, err.message);
        td_spawn_stop(server);
        args_free(&a);
        return 1;
    }
    static bench b;
    worker_stats *total = stats_new();
    int code = 1;
    if (!total) {
        fprintf(stderr, "aw-bench: out of memory\n");
        goto out;
    }
    if (bench_init(&b, &a, client, &err) != AW_OK) {
        fprintf(stderr, "aw-bench: %s\n", err.message);
        goto out;
    }
    if (r.embedded && a.wl.kind != WL_INSERT) {
        int lr = load_keys(&b, &sigs);
        if (lr != 0) {
            code = lr > 0 ? 130 : 1;
            goto out;
        }
    }
    rp_header(human, &b, &r);
    aw_metrics *metrics0 = a.metrics_file ? mo_start(client) : NULL;
    if (a.metrics_file && !metrics0)
        goto out;
    unsigned long allocs0 = atomic_load(&n_allocs);
    int ran = run_workload(&b, human, &sigs, &r, total);
    if (ran == 0 && a.metrics_file && !r.abandoned && mo_write(client, metrics0, a.metrics_file) != 0)
        ran = -1;
    aw_metrics_free(metrics0);
    if (ran != 0)
        goto out;
    r.allocs = atomic_load(&n_allocs) - allocs0;
    if (a.json)
        rp_json(stdout, &b, total, &r);
    else
        rp_summary(human, &b, total, &r);
    /* A command type none of whose commands succeeded (reads refused for
     * their filter, say) makes the run a failure, not a figure. */
    bool type_failed = false;
    for (int t = 0; t < OP_TYPES; t++)
        if (rp_all_failed(&b, total, (op_type)t)) {
            type_failed = true;
            fprintf(stderr, "aw-bench: every %s failed (first error: %s, code %d: %s)\n",
                    op_names[t], aw_status_name(b.first_code), b.first_code, b.first_msg);
        }
    code = r.interrupted ? 130 : type_failed ? 1 : 0;
    if (r.abandoned) {
        /* Workers are still blocked in commands: nothing of theirs can be
         * freed; stop the server and leave. */
        fflush(NULL);
        td_spawn_stop(server);
        _exit(code);
    }
out:
    run_free_workers(&b);
    aw_client_close(client);
    if (b.a)
        bench_free(&b);
    free(total);
    td_spawn_stop(server);
    args_free(&a);
    return code;
}
