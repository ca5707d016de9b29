/*
 * aerowire/client.h — the client: configuration, policies, and the blocking
 * (sync) single-record commands.
 *
 * An aw_client tends the cluster on its own thread from aw_client_new until
 * aw_client_close: it learns the nodes from the seeds and their peers, keeps
 * one partition map per namespace, and drops and re-adds nodes as they leave
 * and come back. Nothing the application does (or fails to do) is needed for
 * that.
 *
 * The sync commands below block the calling thread (never longer than the
 * policy's total timeout) and are safe from any number of threads at once.
 * The async commands, which run on the application's own event loop, are in
 * aerowire/async.h; both kinds may be used on one client.
 *
 * Errors: every function returns AW_OK (0) or an aw_status code, and fills
 * `err` (which may be NULL) with the code, a message and, for writes, the
 * in-doubt flag (the write may have been applied although it failed). A
 * write is in doubt when its request went out more than once, or once and
 * it then timed out (either side) or failed on the client's side
 * (connection lost, garbage reply); any other server answer to a write
 * sent once is final and not in doubt.
 */
#ifndef AEROWIRE_CLIENT_H
#define AEROWIRE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "exp.h"
#include "export.h"
#include "key.h"
#include "metrics.h"
#include "ops.h"
#include "policy.h"
#include "record.h"
#include "tls.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aw_client aw_client;

/* Which node of a partition's replica list a command goes to. */
typedef enum aw_replica_policy {
    AW_REPLICA_SEQUENCE = 0, /* master first; each retry moves to the next replica */
    AW_REPLICA_MASTER,       /* always the master */
    AW_REPLICA_ANY,          /* reads rotate over the replicas; writes go to the master */
    /* Reads go to a replica on the client's rack (aw_config rack_ids, in
     * that order of preference) when the partition has one, else as
     * SEQUENCE; a retry moves to the next candidate. Writes as SEQUENCE.
     * Needs aw_config.rack_aware. */
    AW_REPLICA_PREFER_RACK,
} aw_replica_policy;

/* What a command does when its node's pool has no free connection. */
typedef enum aw_pool_policy {
    AW_POOL_WAIT = 0, /* wait for one, within the command's total timeout */
    AW_POOL_FAIL,     /* fail at once with AW_ERR_NO_MORE_CONNECTIONS */
} aw_pool_policy;

/*
 * Everything a command can be told. Start from aw_policy_read() or
 * aw_policy_write() (or the client's defaults, passed as NULL) and change
 * fields. Fields that do not apply to a command are ignored by it.
 */
typedef struct aw_policy {
    /* Time */
    uint32_t total_timeout_ms;      /* the whole command, retries included; 0 = no limit */
    /* One attempt with no reply progress; 0 = none. Sync commands bound
     * the whole attempt by it (pool wait, connect, send, whole reply). A
     * socket timeout is retried; the total timeout is final. */
    uint32_t socket_timeout_ms;
    uint32_t max_retries;           /* attempts after the first */
    /* Pause before each retry; skipped when it would end past the total
     * deadline (the retry then gets what time is left). */
    uint32_t sleep_between_retries_ms;
    /* Routing */
    aw_replica_policy replica;
    aw_pool_policy pool;
    /* Writes */
    aw_exists_policy exists;
    aw_gen_policy gen;
    uint32_t generation;            /* expected generation for AW_GEN_EQ / AW_GEN_GT */
    uint32_t ttl;                   /* seconds, or an AW_TTL_* constant */
    aw_commit_level commit_level;
    bool send_key;                  /* store the user key with the record */
    bool durable_delete;
    /* Reads and operate */
    bool respond_all_ops;           /* operate: one result per op, in op order */
    bool read_mode_ap_all;
    /* Filter expression (aerowire/exp.h) for get, exists, put, delete, touch
     * and operate: the command acts only when it is true for the record,
     * else fails with AW_FILTERED_OUT (27). Must be of bool type (AW_ERR_PARAM
     * otherwise). Borrowed: it must outlive every command using this policy.
     * Batch commands do not take one yet (AW_ERR_UNSUPPORTED). */
    const aw_exp *filter;
    /* Compression (the official client's policy.compress): a request over
     * 128 bytes goes as a zlib type-4 frame, and get, operate and batch ask
     * for a compressed reply, which an Enterprise server sends (aerowire
     * inflates it). A Community server refuses compressed requests (25,
     * AW_ERR_ENTERPRISE_ONLY) and ignores the reply bit. Single-record and
     * batch commands. */
    bool compress;
} aw_policy;

/* Defaults: total 1000 ms, socket 30000 ms, reads retried twice (writes
 * never), SEQUENCE replica, wait for a connection, no checks, namespace TTL. */
AW_API aw_policy aw_policy_read(void);
AW_API aw_policy aw_policy_write(void);

/* Client configuration. Initialise with aw_config_init, then set `hosts`.
 * A zero in connect_timeout_ms, tend_interval_ms, max_conns_per_node,
 * async_max_conns_per_node, pipeline_depth, idle_timeout_ms or
 * error_rate_window means that field's default (so a zeroed config works). */
/* How the client logs in to a server with security on (docs/security.md). */
typedef enum aw_auth_mode {
    AW_AUTH_INTERNAL = 0, /* user and password, the password sent bcrypt-hashed */
    AW_AUTH_EXTERNAL,     /* LDAP: the clear password too, so only over TLS */
    AW_AUTH_PKI,          /* the TLS client certificate names the user; no password */
} aw_auth_mode;

typedef struct aw_config {
    /* Seeds: "host[:port][,host[:port]...]", IPv6 as "[addr]:port" (a bare
     * IPv6 address, with no brackets, is taken whole); port 3000 when left
     * out; spaces around entries are ignored. With TLS an entry may name
     * the server certificate's TLS name: "host:tls-name:port",
     * "[addr]:tls-name:port" (aerowire/tls.h). Copied by aw_client_new. */
    const char *hosts;
    /* When set, nodes answering another `cluster-name` are refused. Copied. */
    const char *cluster_name;
    uint32_t connect_timeout_ms;     /* one connection attempt (default 1000) */
    uint32_t tend_interval_ms;       /* cluster refresh period (default 1000) */
    bool fail_if_not_connected;      /* aw_client_new fails when no seed answers (default true) */
    /* Connections per node used by the sync API (all threads share them). */
    uint32_t max_conns_per_node;     /* default 100 */
    /* Connections per node per event loop (async). */
    uint32_t async_max_conns_per_node; /* default 16 */
    /* Requests written ahead of their replies on one async connection when
     * the node advertises `pipelining`; 1 = no pipelining. Default 16. */
    uint32_t pipeline_depth;
    /* Pooled connections idle longer are closed by the tend (sync) and each
     * loop's housekeeping (async), but never below the minimums below: the
     * official client's max_socket_idle (default 55000). */
    uint32_t idle_timeout_ms;
    /* Connections opened per node before traffic and kept open (the
     * official min_conns_per_node): sync ones by the tend (the first round
     * in aw_client_new, then every round for nodes short of them), async
     * ones per event loop by its housekeeping and by aw_loop_warm_up.
     * 0 = none; more than the matching maximum is AW_ERR_PARAM. */
    uint32_t min_conns_per_node;
    uint32_t async_min_conns_per_node;
    /* A node that sees more than max_error_rate connection errors and
     * timeouts within error_rate_window tends is backed off: commands to it
     * fail with AW_ERR_MAX_ERROR_RATE (but for one probe per 100 ms) until it
     * answers again or the window ends (docs/client.md). 0 = never. */
    uint32_t max_error_rate;         /* default 100 */
    uint32_t error_rate_window;      /* tends (default 1) */
    /* TLS (aerowire/tls.h); off when zeroed. */
    aw_tls_config tls;
    /* Rack awareness: the tend also asks each node `rebalance-generation`
     * and, when it moves, `rack-ids` (which rack each node is on per
     * namespace; an Enterprise server answers it, CE refuses it and then
     * no node has a known rack), for AW_REPLICA_PREFER_RACK. The client's
     * racks: rack_ids[0..n_rack_ids) in order of preference (copied), or
     * rack_id alone when n_rack_ids is 0. */
    bool rack_aware;
    int32_t rack_id;
    const int32_t *rack_ids;
    size_t n_rack_ids;
    /* Login (Enterprise servers with security on): with a user set (or in
     * PKI mode) every new connection logs in, or authenticates with the
     * session token of the node's last login. NULL user = no login. Both
     * strings are copied (each at most 63 bytes). A server without security
     * is used as it is. */
    const char *user;
    const char *password;
    aw_auth_mode auth_mode;          /* default AW_AUTH_INTERNAL */
    /* Defaults for commands called with a NULL policy. */
    aw_policy read_policy;
    aw_policy write_policy;
    /* Metrics, tracing, user agent (aerowire/metrics.h, docs/metrics.md). */
    bool metrics_enabled;            /* latency histograms and counters (default off) */
    /* When set, called on the tend thread with a snapshot every
     * metrics_interval_ms (0 = every tend round). */
    aw_metrics_cb metrics_cb;
    void *metrics_udata;
    uint32_t metrics_interval_ms;
    /* Command tracing: copied; NULL = none. */
    const aw_trace_callbacks *trace;
    void *trace_udata;
    /* Application id sent in the user agent ("1,aerowire-VERSION,app_id",
     * base64, as `user-agent-set` on each new tend connection); at most 47
     * bytes, no ','; NULL = "not-set" as in the official clients. Copied. */
    const char *app_id;
} aw_config;

AW_API void aw_config_init(aw_config *cfg);

/* Creates a client and starts tending. With fail_if_not_connected it returns
 * only once a seed has answered and the partition maps are known, or fails
 * (AW_ERR_CONNECTION / AW_ERR_INVALID_HOST / AW_ERR_CLUSTER naming the seeds
 * it tried). Without it, commands fail with AW_ERR_INVALID_NODE until a node
 * is found. AW_ERR_PARAM for a NULL out, cfg or cfg->hosts, or a policy
 * enum out of range; AW_ERR_INVALID_HOST naming the entry for a seed list
 * that does not parse (empty, empty entry, port not 1..65535, unclosed
 * bracket). *out is set only on success. */
AW_API int aw_client_new(aw_client **out, const aw_config *cfg, aw_error *err);

/* Closes the client: every command still in flight on an attached event loop
 * completes once with AW_ERR_CLIENT_CLOSING, the tend thread stops, and all
 * memory and sockets are released. NULL is harmless.
 * Call it when no other thread is inside a sync command of this client and
 * no event loop attached to it is running on another thread (close those
 * loops first with aw_loop_close on their own threads). Called from inside
 * a completion callback, the close happens once that callback returns. */
AW_API void aw_client_close(aw_client *client);

/* --- Sync single-record commands ------------------------------------------
 * `policy` NULL means the client's default read or write policy. Keys and
 * bins are read during the call only. Caller errors are refused before
 * anything is sent: AW_ERR_PARAM (NULL client, key or result pointer, a
 * policy enum out of range), AW_ERR_BAD_NAME (a bin name over 15 bytes).
 * AW_ERR_NAMESPACE_NOT_FOUND when no node serves the key's namespace. */

/* Writes bins (an AW_NIL value removes that bin). */
AW_API int aw_put(aw_client *client, const aw_policy *policy, const aw_key *key, const aw_bin *bins,
                  size_t n_bins, aw_error *err);

/* Reads all bins (bins NULL, n_bins 0) or the named ones into *rec, which
 * the caller releases with aw_record_free (also after a failure: it is then
 * empty). AW_ERR_RECORD_NOT_FOUND when there is no such record. */
AW_API int aw_get(aw_client *client, const aw_policy *policy, const aw_key *key,
                  const char *const *bins, size_t n_bins, aw_record *rec, aw_error *err);

/* Generation and TTL only, no bins. */
AW_API int aw_get_header(aw_client *client, const aw_policy *policy, const aw_key *key,
                         aw_record *rec, aw_error *err);

/* *exists is set to whether the record exists; a missing record is AW_OK. */
AW_API int aw_exists(aw_client *client, const aw_policy *policy, const aw_key *key, bool *exists,
                     aw_error *err);

/* AW_ERR_RECORD_NOT_FOUND when there was nothing to delete. */
AW_API int aw_delete(aw_client *client, const aw_policy *policy, const aw_key *key, aw_error *err);

/* Resets the TTL (policy->ttl) and bumps the generation. */
AW_API int aw_touch(aw_client *client, const aw_policy *policy, const aw_key *key, aw_error *err);

/* Applies ops in order, atomically. Read ops' results land in *rec (NULL
 * allowed when there are none to keep). Uses the write policy when any op
 * writes and `policy` is NULL. */
AW_API int aw_operate(aw_client *client, const aw_policy *policy, const aw_key *key,
                      const aw_op *ops, size_t n_ops, aw_record *rec, aw_error *err);

/* --- Info ------------------------------------------------------------------
 * `request` holds one or more names separated by '\n'. The reply is the
 * server's text ("name\tvalue\n" per name), NUL-terminated, allocated with
 * the aerowire allocator; release it with aw_free. */

/* Asks one node: by node id (as `node` answers it), or by "host:port" of a
 * node in the cluster, or any node when `node` is NULL. timeout_ms 0 = the
 * config's connect_timeout_ms. *reply is NULL on failure;
 * AW_ERR_INVALID_NODE when no such node is in the cluster. */
AW_API int aw_info(aw_client *client, const char *node, const char *request, uint32_t timeout_ms,
                   char **reply, aw_error *err);

/* Asks every node; calls `each` once per node with its id and reply (valid
 * during the call; for a node that failed, `status` is the code and `reply`
 * the error message). Returns the first error, after asking all nodes;
 * AW_ERR_INVALID_NODE when the cluster has no node. */
typedef void (*aw_info_each_cb)(const char *node, int status, const char *reply, void *udata);
AW_API int aw_info_all(aw_client *client, const char *request, uint32_t timeout_ms,
                       aw_info_each_cb each, void *udata, aw_error *err);

/* Releases memory aerowire handed out (info replies). NULL is harmless. */
AW_API void aw_free(void *p);

/* --- Introspection ---------------------------------------------------------- */

/* Node ids currently in the cluster, copied into ids (up to cap); returns the
 * number of nodes (which may exceed cap). */
AW_API size_t aw_client_nodes(aw_client *client, char (*ids)[20], size_t cap);

/* Counters since aw_client_new, for tests and benchmarks. */
typedef struct aw_client_stats {
    uint64_t commands;       /* completed, sync and async */
    uint64_t retries;        /* attempts after the first */
    uint64_t timeouts;       /* commands that ended with AW_ERR_TIMEOUT */
    uint64_t conns_opened;
    uint64_t conns_closed;
    uint64_t tends;          /* tend rounds */
    uint64_t map_updates;    /* partition maps rebuilt */
    uint64_t nodes_added;
    uint64_t nodes_removed;
} aw_client_stats;
AW_API void aw_client_get_stats(aw_client *client, aw_client_stats *out);

#ifdef __cplusplus
}
#endif
#endif
