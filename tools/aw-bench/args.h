/*
 * aw-bench's command line: asbench's flags with asbench's meanings (see
 * docs/bench.md for the table), plus a few of aerowire's own.
 */
#ifndef AW_BENCH_ARGS_H
#define AW_BENCH_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/client.h"
#include "aerowire/exp.h"
#include "login.h"
#include "objspec.h"
#include "workload.h"

typedef enum batch_mode { BM_RECORDS = 0, BM_COLUMNAR } batch_mode;

typedef struct bench_args {
    /* Where: hosts as given with -h (NULL: start the embedded aw-testd,
     * unless -p was given, which means 127.0.0.1:PORT) and the seed list
     * built from them with -p's port for entries without one. */
    const char *hosts_arg;
    char hosts[1024];
    aw_tls_config tls;           /* --tls-* */
    uint16_t port;
    bool port_given;
    const char *ns, *set, *bin_base;
    uint64_t start_key, keys;
    bool keys_given;
    obj_spec spec;
    char spec_text[256];
    workload wl;
    /* How long: seconds (0 = no limit) and/or commands (0 = no limit). */
    double duration;
    bool duration_given;
    uint64_t count;
    /* How: async loops with commands in flight, or sync threads. */
    bool async;
    uint32_t async_max_commands, event_loops, threads;
    uint32_t batch_read_size, batch_write_size; /* 0 = single-record commands */
    batch_mode batch_mode;
    /* Policies (asbench's defaults). */
    uint32_t read_timeout_ms, write_timeout_ms;           /* total; -T sets both */
    uint32_t read_socket_timeout_ms, write_socket_timeout_ms;
    uint32_t max_retries, sleep_between_retries_ms;
    uint32_t ttl;
    aw_replica_policy replica;
    bool read_mode_all;
    aw_commit_level commit_level;
    bool durable_delete, send_key, random_values;
    bool compress;                /* --compress: policy.compress on every command */
    /* --filter: the reads' filter expression, as given and compiled (NULL:
     * none; args_compile_filter, args_free). Writes and deletes are not
     * filtered. */
    const char *filter_text;
    aw_exp *filter;
    /* Client config (0 = aerowire's default). */
    uint32_t connect_timeout_ms, tend_interval_ms, max_error_rate, error_rate_window;
    bool max_error_rate_given;
    uint32_t max_socket_idle_s, max_conns_per_node, async_max_conns_per_node;
    uint32_t min_conns_per_node, async_min_conns_per_node; /* asbench's; async over all loops */
    uint32_t rack_id;             /* --rack-id, with --replica prefer-rack */
    bool rack_id_given;
    int32_t pipeline_depth;   /* -1 = aerowire's default */
    const char *metrics_file;  /* --metrics: NULL = metrics off */
    uint32_t error_backoff_ms; /* most a slot pauses after instant failures (backoff.h) */
    /* Output. */
    bool json, debug;
    bool count_allocs;        /* --allocs: aerowire's allocations per command */
    bool precomputed_digests; /* key digests from a table made before the run */
    bl_login login;           /* -U, -P, --auth */
} bench_args;

/* Parses argv. Returns 0 to run, 1 when --help or --version was printed
 * (exit 0), 2 after printing a usage error on stderr (exit 2). */
int args_parse(bench_args *a, int argc, char **argv);
/* Compiles --filter's text into a->filter (after the allocator is set, as
 * aerowire asks). 0, or 2 after printing a usage error. */
int args_compile_filter(bench_args *a);
/* Frees the compiled filter. */
void args_free(bench_args *a);

#endif
