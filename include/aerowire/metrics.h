/*
 * aerowire/metrics.h — what a client measures, and the hooks an application
 * uses to see it: metrics (snapshot, Prometheus text, a periodic callback),
 * a log callback, and a command tracing hook. docs/metrics.md has the names.
 *
 * Metrics are collected only when aw_config.metrics_enabled is set (off by
 * default, as in the official clients); the counters of aw_client_get_stats
 * are always kept. Collection takes no lock on the command path: every
 * figure is a relaxed atomic in the node's own block.
 */
#ifndef AEROWIRE_METRICS_H
#define AEROWIRE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aw_client aw_client;

/* Command types, the `type` label. */
typedef enum aw_metrics_type {
    AW_MT_READ = 0, /* get, get_header, exists */
    AW_MT_WRITE,    /* put, delete, touch */
    AW_MT_OPERATE,
    AW_MT_BATCH,    /* one per node request of a batch */
    AW_MT_QUERY,    /* one per node request of a scan or query */
    AW_MT_INFO,     /* aw_info / aw_info_all (one per node asked) */
    AW_MT_COUNT
} aw_metrics_type;

/* Where a sync attempt's time goes (the `phase` label). Async commands
 * record CONNECT only: their sends and replies are shared by a pipeline. */
typedef enum aw_metrics_phase {
    AW_MP_CONN_WAIT = 0, /* taking a connection from the pool (incl. waiting for one) */
    AW_MP_CONNECT,       /* opening one (TCP, and TLS/login where configured) */
    AW_MP_SEND,
    AW_MP_REPLY_WAIT,    /* request sent until the whole reply is read */
    AW_MP_DECODE,
    AW_MP_COUNT
} aw_metrics_phase;

/* Why a connection was closed (the `reason` label). */
typedef enum aw_close_reason {
    AW_CLOSE_ERROR = 0, /* socket error, timeout, garbage: never reused */
    AW_CLOSE_IDLE,      /* idle longer than idle_timeout_ms, or closed by the server while idle */
    AW_CLOSE_NODE_LEFT, /* its node left the cluster */
    AW_CLOSE_SHUTDOWN,  /* client or loop closed, pool full */
    AW_CLOSE_COUNT
} aw_close_reason;

/* Latency buckets: bucket i counts durations <= 2^(i+4) microseconds
 * (16 us .. ~33.5 s); the last one is +Inf. */
#define AW_METRICS_BUCKETS 23
/* Upper bound of bucket i in seconds (+Inf for the last). */
AW_API double aw_metrics_bucket_le(unsigned i);

typedef struct aw_histogram {
    uint64_t bucket[AW_METRICS_BUCKETS]; /* per bucket, not cumulative */
    uint64_t count;                      /* sum of bucket[] */
    uint64_t sum_ns;
} aw_histogram;

/* Result codes -64..255 are counted, by code + AW_METRICS_ERR_BIAS. */
#define AW_METRICS_ERR_BIAS 64
#define AW_METRICS_ERR_CODES 320

typedef struct aw_metrics_node {
    char node[20];                       /* node id; "" for the client-wide totals */
    char addr[64];                       /* "host:port" */
    bool active;                         /* a member of the cluster now */
    aw_histogram latency[AW_MT_COUNT];   /* whole commands, retries included */
    aw_histogram phase[AW_MP_COUNT];
    uint64_t errors[AW_METRICS_ERR_CODES]; /* commands that ended with each code != 0 */
    uint64_t timeouts;                   /* attempts that timed out (socket or total) */
    uint64_t retries;                    /* attempts after the first */
    uint64_t in_doubt;                   /* writes that ended in doubt */
    uint64_t bytes_sent, bytes_received;
    uint64_t conns_opened;
    uint64_t conns_closed[AW_CLOSE_COUNT];
    int64_t conns_open;                  /* sync pool + async, now */
    int64_t conns_in_use;                /* sync connections lent to a command, now */
    int64_t conns_in_pool;               /* idle sync connections, now */
} aw_metrics_node;

typedef struct aw_metrics {
    aw_metrics_node total;     /* every node ever seen, plus commands that found none */
    size_t n_nodes;
    aw_metrics_node *nodes;    /* every node seen since aw_client_new, members or not */
    uint64_t tends;
    uint64_t partition_map_updates;
    uint64_t nodes_added, nodes_removed;
    bool enabled;              /* aw_config.metrics_enabled */
} aw_metrics;

/* A copy of everything now, allocated for the caller: release it with
 * aw_metrics_free. AW_ERR_PARAM for NULL arguments, AW_ERR_NOMEM. Works
 * with metrics off too (then only connection, tend and node counts move). */
AW_API int aw_metrics_snapshot(aw_client *client, aw_metrics **out, aw_error *err);
AW_API void aw_metrics_free(aw_metrics *m);

/* The Prometheus text exposition format 0.0.4 of a snapshot (or of the
 * client's current metrics), written into buf (NUL-terminated, cut at len
 * - 1 bytes). Returns the length of the whole text, as snprintf does: when
 * it is >= len, call again with a bigger buffer. 0 for a NULL client or
 * snapshot failure. */
AW_API size_t aw_metrics_prometheus(aw_client *client, char *buf, size_t len);
AW_API size_t aw_metrics_format_prometheus(const aw_metrics *m, char *buf, size_t len);

/* Periodic export (aw_config.metrics_cb): called on the client's tend
 * thread every metrics_interval_ms (rounded up to the tend interval) with a
 * snapshot that is freed when the callback returns. Keep it short: tending
 * waits for it. */
typedef void (*aw_metrics_cb)(const aw_metrics *m, void *udata);

/* --- Log ---------------------------------------------------------------------
 * One process-wide sink, as the official C client's as_log: aerowire
 * prints nothing by default. Messages at `level` or more severe go to fn,
 * from whichever thread saw the event (the tend thread, an event loop, a
 * sync caller), one line without a newline. fn NULL turns logging off.
 * Thread-safe; a message being delivered while the sink changes may still
 * reach the old one. */
typedef enum aw_log_level {
    AW_LOG_ERROR = 0,
    AW_LOG_WARN,
    AW_LOG_INFO,
    AW_LOG_DEBUG,
    AW_LOG_TRACE,
} aw_log_level;
typedef void (*aw_log_cb)(aw_log_level level, const char *msg, void *udata);
AW_API void aw_set_log_callback(aw_log_level level, aw_log_cb fn, void *udata);

/* --- Tracing -----------------------------------------------------------------
 * Per client (aw_config.trace): one span per command the application issues.
 * begin runs once the call's arguments were accepted (a call refused with
 * AW_ERR_PARAM or AW_ERR_BAD_NAME is not traced), end exactly once when it
 * completes, whatever the outcome (server errors, timeouts, an abort, the
 * loop's or client's close). The value begin returns is passed to end.
 *
 * What is a command (the `command` names, docs/metrics.md has the table):
 * every single-record call; every batch call (aw_batch_*, the columnar
 * aw_batch_read_into / aw_batch_write_from, sync and async: one span
 * however many node requests and retries it takes); every scan and query
 * (aw_query_foreach, aw_query_into, aw_scan_into, aw_query_to_npy, their
 * async forms, background jobs); info calls (aw_info, aw_info_all,
 * aw_namespaces, aw_sets), index admin, truncate and job status. An array
 * call (array.h) is not one span: each command it runs (the header's
 * operate or get, each batch of chunks) is its own.
 *
 * Both run on the command's thread (the caller's for sync, the loop's for
 * async; async ends come before the command's callback); neither may call
 * back into the client. Not set: no cost beyond one pointer test.
 *
 * The library allocates every aw_trace_info it passes: fields are only
 * ever added at the end (start_ns..attempts as of 0.1; n_keys and after
 * since per-call tracing), so a callback built against an older header
 * reads a valid prefix. */
typedef struct aw_trace_info {
    aw_metrics_type type;
    const char *command;       /* "get", "batch_get", "query_foreach", "info", ... */
    const char *ns;            /* the namespace; batches: the first row's; NULL when none */
    const char *set;           /* NULL or "" when none */
    bool async;
    uint64_t start_ns;         /* CLOCK_MONOTONIC */
    /* end only: */
    uint64_t end_ns;
    int status;                /* AW_OK or the call's final code */
    const char *node;          /* id of the last node asked; "" when none was */
    uint32_t attempts;         /* single record: attempts; batch: 1 + the most
                                  retries a row took; scan/query: rounds */
    /* Since per-call tracing (begin and end): */
    uint64_t n_keys;           /* batch: rows asked; 0 otherwise */
    /* end only: */
    uint64_t n_records;        /* batch: rows that ended AW_OK; scan/query:
                                  records delivered; single record: 1 when it
                                  ended AW_OK; info: 0 */
    uint64_t n_failed;         /* batch: rows that ended with a code other than
                                  AW_OK and RECORD_NOT_FOUND; else 0 */
    uint32_t n_requests;       /* requests sent to nodes (batch: per node request,
                                  retries included; scan: per node and round;
                                  info: nodes asked; single record: attempts) */
} aw_trace_info;

typedef struct aw_trace_callbacks {
    void *(*begin)(const aw_trace_info *info, void *udata);
    void (*end)(void *span, const aw_trace_info *info, void *udata);
} aw_trace_callbacks;

#ifdef __cplusplus
}
#endif
#endif
