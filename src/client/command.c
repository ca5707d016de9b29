/*
 * What every single-record command does the same way, sync or async:
 * policy -> wire options, encoding, reply interpretation, routing, and
 * which failures are worth another attempt.
 */
#include <stdatomic.h>
#include <time.h>

#include "client_impl.h"
#include "cluster/racks.h"
#include "proto/reply.h"
#include "proto/request.h"

aw_req_opts aw_cmd_row_opts(const aw_policy *p, bool read) {
    aw_req_opts o = aw_req_opts_default();
    o.read_mode_ap_all = p->read_mode_ap_all;
    if (read)
        return o; /* a read's record_ttl would be the read-touch percent */
    o.ttl = p->ttl;
    o.generation = p->generation;
    o.exists = (uint8_t)p->exists;
    o.gen_policy = (uint8_t)p->gen;
    o.commit_level = (uint8_t)p->commit_level;
    o.send_key = p->send_key;
    o.durable_delete = p->durable_delete;
    return o;
}

static aw_req_opts req_opts_from(const aw_policy *p, bool read) {
    aw_req_opts o = aw_cmd_row_opts(p, read);
    uint32_t total = p->total_timeout_ms, sock = p->socket_timeout_ms;
    /* The server gives up at the same moment the client would. */
    o.timeout_ms = (sock > 0 && (total == 0 || sock < total)) ? sock : total;
    o.respond_all_ops = p->respond_all_ops;
    o.filter = p->filter;
    o.compress_response = p->compress; /* get and operate only: request.c */
    return o;
}

bool aw_cmd_is_write(const aw_cmd_args *a) {
    switch (a->kind) {
    case AW_CMD_PUT:
    case AW_CMD_DELETE:
    case AW_CMD_TOUCH:
        return true;
    case AW_CMD_OPERATE: {
        uint8_t i1, i2;
        bool writes = false;
        aw_ops_info(a->ops, a->n, &i1, &i2, &writes);
        return writes;
    }
    default:
        return false;
    }
}

static int encode(aw_buf *out, const aw_cmd_args *a, const aw_policy *p, aw_error *err) {
    aw_req_opts o = req_opts_from(p, !aw_cmd_is_write(a));
    switch (a->kind) {
    case AW_CMD_PUT:
        return aw_req_write(out, a->key, a->bins, a->n, &o, err);
    case AW_CMD_GET:
        return aw_req_read(out, a->key, a->bin_names, a->n, &o, err);
    case AW_CMD_GET_HEADER:
    case AW_CMD_EXISTS:
        return aw_req_read_header(out, a->key, &o, err);
    case AW_CMD_DELETE:
        return aw_req_delete(out, a->key, &o, err);
    case AW_CMD_TOUCH:
        return aw_req_touch(out, a->key, &o, err);
    case AW_CMD_OPERATE:
        return aw_req_operate(out, a->key, a->ops, a->n, &o, err);
    }
    return aw_error_set(err, AW_ERR_PARAM, "unknown command kind %d", (int)a->kind);
}

int aw_cmd_encode(aw_buf *out, const aw_cmd_args *a, const aw_policy *p, aw_error *err) {
    if (!a || !p)
        return aw_error_set(err, AW_ERR_PARAM, "NULL command or policy");
    size_t at = out->len;
    int rc = encode(out, a, p, err);
    if (rc == AW_OK && p->compress && (rc = aw_cmd_compress_frame(out, at, err)) != AW_OK)
        out->len = at;
    return rc;
}

int aw_cmd_parse_reply(aw_cmd_kind kind, const uint8_t *body, size_t len, aw_record *rec,
                       bool *exists, aw_error *err) {
    bool wants_record = kind == AW_CMD_GET || kind == AW_CMD_GET_HEADER || kind == AW_CMD_OPERATE;
    int result = 0;
    int rc = aw_reply_parse_record(body, len, NULL, &result, wants_record ? rec : NULL, err);
    if (rc != AW_OK)
        return rc;
    if (kind == AW_CMD_EXISTS) {
        if (result == AW_OK || result == AW_ERR_RECORD_NOT_FOUND) {
            if (exists)
                *exists = result == AW_OK;
            aw_error_reset(err);
            return AW_OK;
        }
    }
    if (result != AW_OK)
        return aw_error_set(err, result, "%s", aw_strerror(result));
    if (wants_record && rec) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        rec->ttl = aw_void_time_to_ttl(rec->void_time, (uint64_t)ts.tv_sec);
    }
    aw_error_reset(err);
    return AW_OK;
}

static bool usable(const aw_node *n) { return n && aw_node_is_active(n); }

/* PREFER_RACK reads: the partition's usable replicas ranked, those on the
 * client's racks first (in the order of its rack list, then replica
 * order), then the rest in replica order; attempt seq takes entry seq. So
 * a retry moves off the node that failed, as the official client avoids
 * the previous node. */
static aw_node *route_rack(const aw_cluster_view *v, const aw_partition_table *t, uint32_t pid,
                           unsigned n, uint32_t seq) {
    aw_node *ranked[AW_MAX_REPLICAS];
    bool taken[AW_MAX_REPLICAS] = {false};
    unsigned k = 0;
    for (size_t r = 0; r < v->n_rack_ids; r++)
        for (unsigned col = 0; col < n; col++) {
            aw_node *node = t->owners[col][pid];
            if (!taken[col] && usable(node) && aw_racks_node_on(t, node, v->rack_ids[r])) {
                taken[col] = true;
                ranked[k++] = node;
            }
        }
    for (unsigned col = 0; col < n; col++)
        if (!taken[col] && usable(t->owners[col][pid]))
            ranked[k++] = t->owners[col][pid];
    return k ? ranked[seq % k] : NULL;
}

aw_node *aw_cmd_route(const aw_cluster_view *v, const aw_key *key, const aw_policy *p,
                      bool is_write, uint32_t seq, aw_error *err) {
    return aw_cmd_route_in(v, aw_view_table(v, key->ns), key, p, is_write, seq, err);
}

aw_node *aw_cmd_route_in(const aw_cluster_view *v, const aw_partition_table *t, const aw_key *key,
                         const aw_policy *p, bool is_write, uint32_t seq, aw_error *err) {
    if (!t) {
        aw_error_set(err, AW_ERR_NAMESPACE_NOT_FOUND, "namespace '%s' is not served by the cluster",
                     key->ns);
        return NULL;
    }
    uint32_t pid = aw_partition_id(key->digest);
    unsigned n = t->n_replicas ? t->n_replicas : 1;
    bool master_only = p->replica == AW_REPLICA_MASTER || (is_write && p->replica == AW_REPLICA_ANY);
    aw_node *rack_node = NULL;
    if (p->replica == AW_REPLICA_PREFER_RACK && !is_write &&
        (rack_node = route_rack(v, t, pid, n, seq)))
        return rack_node;
    /* No division on the way (a batch routes every key): one replica has
     * nothing to choose from, and the walk wraps by comparison. */
    unsigned col = master_only || n == 1 ? 0 : seq % n;
    for (unsigned i = 0; i < n; i++) {
        aw_node *node = t->owners[col][pid];
        if (usable(node))
            return node;
        if (master_only)
            break;
        col = col + 1 == n ? 0 : col + 1;
    }
    aw_error_set(err, AW_ERR_INVALID_NODE, "no node holds partition %u of namespace '%s'", pid,
                 key->ns);
    return NULL;
}

uint32_t aw_cmd_first_seq(const aw_policy *p, bool is_write) {
    static atomic_uint rotor;
    if (p->replica == AW_REPLICA_ANY && !is_write)
        return atomic_fetch_add_explicit(&rotor, 1, memory_order_relaxed);
    return 0;
}

uint32_t aw_cmd_next_seq(uint32_t seq, const aw_policy *p, bool is_write, int last_status) {
    if (!is_write)
        return seq + 1;
    /* A write that timed out may still be running on the master: retrying it
     * elsewhere would race it, so only other failures move on. */
    if (p->replica == AW_REPLICA_SEQUENCE && last_status != AW_ERR_TIMEOUT)
        return seq + 1;
    return seq;
}

bool aw_cmd_retryable(int status) {
    switch (status) {
    case AW_ERR_CONNECTION:
    case AW_ERR_NO_RESPONSE:
    case AW_ERR_TIMEOUT:
    case AW_ERR_NO_MORE_CONNECTIONS:
    case AW_ERR_MAX_ERROR_RATE:
    case AW_ERR_INVALID_NODE:
    case AW_ERR_PROTO:
        return true;
    default:
        return false;
    }
}

aw_metrics_type aw_cmd_metrics_type(aw_cmd_kind kind) {
    switch (kind) {
    case AW_CMD_PUT:
    case AW_CMD_DELETE:
    case AW_CMD_TOUCH:
        return AW_MT_WRITE;
    case AW_CMD_OPERATE:
        return AW_MT_OPERATE;
    default:
        return AW_MT_READ;
    }
}

const char *aw_cmd_name(aw_cmd_kind kind) {
    static const char *const names[] = {"put",    "get",   "get_header", "exists",
                                        "delete", "touch", "operate"};
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}
