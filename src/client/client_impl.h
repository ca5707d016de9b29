/*
 * The client's insides, shared by the sync API (sync.c), the async engine
 * (loop.c, conn.c, async_cmd.c) and the client object (client.c).
 */
#ifndef AW_CLIENT_IMPL_H
#define AW_CLIENT_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "aerowire/async.h"
#include "aerowire/client.h"
#include "cluster/cluster.h"
#include "proto/request.h"

struct aw_client {
    aw_cluster *cluster;
    aw_config cfg;                /* string fields point at the copies below */
    char *hosts_copy;
    char *cluster_name_copy;

    pthread_mutex_t loops_lock;   /* guards the list of attached loops */
    /* Batch requests kept between calls with their buffers (batch_plan.c):
     * a batch of 10,000 keys needs over a megabyte of them, which glibc
     * would give back to the system and fault in again on every call. */
    pthread_mutex_t spare_lock;
    struct aw_breq *spare_reqs;
    size_t spare_bytes;
    aw_loop *loops;               /* intrusive list through aw_loop.next_in_client */
    bool close_pending;           /* aw_client_close called inside a callback */

    bool metrics_on;              /* cfg.metrics_enabled */
    bool tracing;                 /* trace has a begin or an end */
    aw_trace_callbacks trace;     /* copy of *cfg.trace */
    uint64_t metrics_due_ms;      /* tend thread: next metrics_cb */

    atomic_uint_fast64_t commands;
    atomic_uint_fast64_t retries;
    atomic_uint_fast64_t timeouts;
};

/* --- client.c --------------------------------------------------------------- */
/* The policy to use: `given`, or the client's read/write default. */
const aw_policy *aw_client_policy(const aw_client *c, const aw_policy *given, bool is_write);
/* Frees the client for real (after loops are closed). */
void aw_client_destroy(aw_client *c);

/* --- info_api.c ------------------------------------------------------------------ */
struct aw_tspan;
/* aw_info and aw_info_all without a span of their own (for the calls built
 * on them, which are traced as themselves): arguments as the public calls',
 * not NULL; every node asked counts as a request of span (NULL: none). */
int aw_info_ask(aw_client *client, const char *node, const char *request, uint32_t timeout_ms,
                char **reply, struct aw_tspan *span, aw_error *err);
int aw_info_ask_all(aw_client *client, const char *request, uint32_t timeout_ms,
                    aw_info_each_cb each, void *udata, struct aw_tspan *span, aw_error *err);

/* --- admin_api.c ----------------------------------------------------------------- */
/* The auth mode fits the rest of the config: external and PKI need TLS. */
int aw_auth_check_config(const aw_config *cfg, aw_error *err);

/* --- loop.c (async engine) ------------------------------------------------------ */
/* Closes every loop still attached (aw_client_close). */
void aw_client_close_loops(aw_client *c);
/* True when the calling thread is inside one of this client's completion
 * callbacks (then a close must be deferred until it returns). */
bool aw_client_in_callback(const aw_client *c);

/* --- command.c: what sync and async commands share ---------------------------- */
typedef enum aw_cmd_kind {
    AW_CMD_PUT,
    AW_CMD_GET,
    AW_CMD_GET_HEADER,
    AW_CMD_EXISTS,
    AW_CMD_DELETE,
    AW_CMD_TOUCH,
    AW_CMD_OPERATE,
} aw_cmd_kind;

/* A command's inputs, borrowed from the caller for the duration of the call. */
typedef struct aw_cmd_args {
    aw_cmd_kind kind;
    const aw_key *key;
    const aw_bin *bins;           /* PUT */
    const char *const *bin_names; /* GET (NULL = all bins) */
    size_t n;                     /* bins, bin_names or ops */
    const aw_op *ops;             /* OPERATE */
} aw_cmd_args;

/* The metrics type and trace name of a single-record command. */
aw_metrics_type aw_cmd_metrics_type(aw_cmd_kind kind);
const char *aw_cmd_name(aw_cmd_kind kind);

/* --- metrics_api.c ------------------------------------------------------------ */
/* Tend-thread hook: runs cfg.metrics_cb when due. */
void aw_client_on_tend(aw_cluster *cluster, void *client);
/* Builds the base64 user agent for cfg.app_id (aw_free it); AW_ERR_PARAM for
 * a bad app_id. */
int aw_client_user_agent(const char *app_id, char **b64, aw_error *err);

/* Whether the command writes (operate: when any op writes). */
bool aw_cmd_is_write(const aw_cmd_args *a);

/* The wire options of a policy for one batch row (no timeout: the batch
 * header carries it). Reads keep only read_mode_ap_all. */
aw_req_opts aw_cmd_row_opts(const aw_policy *p, bool read);

/* Checks the inputs and appends one request frame to out (out is restored
 * on error). The server-side timeout on the wire comes from the policy:
 * socket timeout when 0 < socket < total, else total. */
int aw_cmd_encode(aw_buf *out, const aw_cmd_args *a, const aw_policy *p, aw_error *err);

/* Interprets one reply body (the bytes after the type-3 header) for a
 * command kind: the server's code becomes the return value and err (with a
 * message naming the key's namespace); EXISTS turns KEY_NOT_FOUND into AW_OK
 * with *exists false; GET/GET_HEADER/OPERATE decode into rec when it is not
 * NULL (rec->ttl filled from void_time). Malformed bytes: AW_ERR_PROTO. */
int aw_cmd_parse_reply(aw_cmd_kind kind, const uint8_t *body, size_t len, aw_record *rec,
                       bool *exists, aw_error *err);

/* Picks the node for a command from the partition's replica list: index
 * `seq` mod the replicas present (skipping missing and inactive nodes).
 * MASTER policy, and writes under ANY, always use index 0. Callers start
 * at seq 0 (ANY reads: aw_cmd_first_seq) and add 1 on each retry for reads,
 * and for writes under SEQUENCE only after an error other than a timeout
 * (aw_cmd_next_seq). AW_ERR_NAMESPACE_NOT_FOUND when the view has no such
 * namespace, AW_ERR_INVALID_NODE when no node holds the partition. The
 * node is not retained: it lives as long as the view. */
aw_node *aw_cmd_route(const aw_cluster_view *v, const aw_key *key, const aw_policy *p,
                      bool is_write, uint32_t seq, aw_error *err);
/* The same with key's namespace table already looked up (aw_view_table;
 * NULL: not served): a batch looks it up once for keys of one namespace. */
aw_node *aw_cmd_route_in(const aw_cluster_view *v, const aw_partition_table *t, const aw_key *key,
                         const aw_policy *p, bool is_write, uint32_t seq, aw_error *err);
uint32_t aw_cmd_first_seq(const aw_policy *p, bool is_write);
uint32_t aw_cmd_next_seq(uint32_t seq, const aw_policy *p, bool is_write, int last_status);

/* compress.c: the frame at b[at..len) replaced by its type-4 form when it
 * is over the official client's threshold (AW_COMPRESS_THRESHOLD = 128,
 * as_command.h); smaller frames stay as they are. */
#define AW_COMPRESS_THRESHOLD 128
int aw_cmd_compress_frame(aw_buf *b, size_t at, aw_error *err);

/* Whether an attempt that failed on the client's side with `status` may be
 * tried again (network errors, socket timeouts, no connection, node backed
 * off, garbage from the server). Server answers are final: never call this
 * with a result code the server sent. A write whose request may have
 * reached the server gets in_doubt on its final error. */
bool aw_cmd_retryable(int status);

#endif
