/* The scan/query engines' shared rules (query_plan.h). */
#include "query_plan.h"

#include <string.h>
#include <time.h>

#include "client_impl.h"
#include "proto/mem.h"
#include "proto/particle.h"
#include "proto/pstatus.h"
#include "proto/reply.h"
#include "query_exec.h"
#include "trace.h"

int aw_query_check(const aw_query_policy *pol, const aw_query *q, aw_error *err) {
    if ((unsigned)pol->expected_duration > AW_QUERY_LONG_RELAX_AP)
        return aw_error_set(err, AW_ERR_PARAM, "expected_duration %d is unknown",
                            (int)pol->expected_duration);
    /* Refuse what the encoder refuses before anything is sent. */
    aw_partition_info probe = {0};
    aw_partition_info *one = &probe;
    aw_scanq_req check = {.q = q, .filter = pol->base.filter, .parts = &one, .n_parts = 1,
                          .no_bins = !pol->include_bin_data, .duration = pol->expected_duration};
    aw_buf scratch;
    aw_buf_init(&scratch);
    int rc = aw_req_scanq(&scratch, &check, err);
    aw_buf_free(&scratch);
    return rc;
}

int aw_query_encode_node(aw_buf *out, const aw_query_policy *pol, const aw_query *q,
                         aw_partition_info **parts, size_t n, uint64_t max, aw_error *err) {
    aw_scanq_req req = {
        .q = q,
        .task_id = aw_query_task_id(),
        .socket_timeout_ms = pol->base.socket_timeout_ms,
        .total_timeout_ms = pol->base.total_timeout_ms,
        .records_per_second = pol->records_per_second,
        .max_records = max,
        .no_bins = !pol->include_bin_data,
        .duration = pol->expected_duration,
        .filter = pol->base.filter,
        .parts = parts,
        .n_parts = n,
    };
    return aw_req_scanq(out, &req, err);
}

bool aw_query_retryable(int rc) {
    switch (rc) {
    case AW_ERR_CLUSTER: case AW_ERR_INVALID_NODE: case AW_ERR_CONNECTION:
    case AW_ERR_NO_RESPONSE: case AW_ERR_TIMEOUT: case AW_ERR_INDEX_NOT_FOUND:
    case AW_ERR_INDEX_NOT_READABLE: case AW_ERR_MAX_ERROR_RATE:
    case AW_ERR_NO_MORE_CONNECTIONS: case AW_ERR_PROTO:
        return true;
    default:
        return false;
    }
}

aw_node *aw_query_part_node(const aw_partition_table *t, const uint8_t *replica, uint32_t pid) {
    aw_node *node = NULL;
    for (uint8_t k = 0; k < t->n_replicas && !node; k++) {
        node = t->owners[(replica[pid] + k) % t->n_replicas][pid];
        if (node && !aw_node_is_active(node))
            node = NULL;
    }
    return node;
}

uint64_t aw_query_share(uint64_t max_left, size_t n_nodes, size_t i, bool *check_max) {
    *check_max = max_left && max_left < n_nodes;
    if (!max_left)
        return 0;
    if (*check_max)
        return 1;
    return max_left / n_nodes + (i < max_left % n_nodes ? 1 : 0);
}

void aw_query_retry_parts(aw_partition_info *const *parts, size_t n, uint8_t *replica) {
    for (size_t i = 0; i < n; i++)
        if (!parts[i]->done) {
            parts[i]->retry = true;
            replica[parts[i]->id]++;
        }
}

void aw_query_part_unavailable(aw_partition_status *ps, uint8_t *replica, uint32_t pid) {
    aw_partition_info *p = aw_pstatus_part(ps, pid);
    if (p && !p->done) {
        p->retry = true;
        replica[pid]++;
    }
}

int aw_query_group(const aw_partition_table *t, aw_partition_status *ps, const uint8_t *replica,
                   bool all, int (*add)(void *ctx, aw_node *node, aw_partition_info *p,
                                        aw_error *err),
                   void (*orphan)(void *ctx, const aw_error *e), void *ctx, aw_error *err) {
    for (uint32_t i = 0; i < ps->count; i++) {
        aw_partition_info *p = &ps->parts[i];
        if (p->done || !(all || p->retry))
            continue;
        aw_node *node = aw_query_part_node(t, replica, p->id);
        if (!node) {
            p->retry = true;
            aw_error e;
            aw_error_set(&e, AW_ERR_INVALID_NODE, "no node holds partition %u", p->id);
            orphan(ctx, &e);
            continue;
        }
        int rc = add(ctx, node, p, err);
        if (rc != AW_OK)
            return rc;
        p->retry = false;
    }
    return AW_OK;
}

int aw_query_group_add(aw_partition_info ***parts, size_t *n, size_t *cap, aw_partition_info *p,
                       aw_error *err) {
    if (*n == *cap) {
        size_t grown_cap = *cap ? 2 * *cap : 256;
        aw_partition_info **grown = aw_realloc(*parts, grown_cap * sizeof *grown);
        if (!grown)
            return aw_error_set(err, AW_ERR_NOMEM, "out of memory for the scan's partitions");
        *parts = grown;
        *cap = grown_cap;
    }
    (*parts)[(*n)++] = p;
    return AW_OK;
}

static bool any_retry(const aw_partition_status *ps) {
    for (uint32_t i = 0; i < ps->count; i++)
        if (ps->parts[i].retry && !ps->parts[i].done)
            return true;
    return false;
}

int aw_query_round_end(const aw_query_policy *pol, const aw_partition_status *ps, uint32_t round,
                       uint64_t deadline, uint64_t kept, uint64_t *max_left, int last_rc,
                       const aw_error *last_err, aw_error *err) {
    if (*max_left) {
        *max_left = kept >= *max_left ? 0 : *max_left - kept;
        if (*max_left == 0)
            return AW_OK; /* the page is full */
    }
    if (!any_retry(ps))
        return AW_OK;
    if (round >= pol->base.max_retries) {
        if (err)
            *err = *last_err;
        return last_rc ? last_rc : AW_ERR_CLIENT;
    }
    if (deadline && aw_now_ms() + pol->base.sleep_between_retries_ms >= deadline)
        return aw_error_set(err, AW_ERR_TIMEOUT, "scan/query total timeout after %u rounds",
                            round + 1);
    return AW_QUERY_AGAIN;
}

/* The record message's key: namespace, set, digest, and the stored user key. */
static int key_of(const aw_scanq_meta *m, const char *ns, aw_key *k, aw_error *err) {
    memset(k, 0, sizeof *k);
    if (m->ns_len > AW_NAMESPACE_MAX || m->set_len > AW_SET_MAX)
        return aw_error_set(err, AW_ERR_PROTO, "scan/query record: namespace or set too long");
    if (m->ns)
        memcpy(k->ns, m->ns, m->ns_len);
    else
        strcpy(k->ns, ns);
    if (m->set)
        memcpy(k->set, m->set, m->set_len);
    memcpy(k->digest, m->digest, AW_DIGEST_SIZE);
    k->user_key = aw_value_nil();
    if (!m->key || m->key_len < 1)
        return AW_OK;
    const uint8_t *v = m->key + 1;
    size_t n = m->key_len - 1;
    switch (m->key[0]) {
    case AW_PT_INTEGER:
        if (n != 8)
            return aw_error_set(err, AW_ERR_PROTO, "scan/query record: integer key of %zu bytes",
                                n);
        k->user_key = aw_value_int((int64_t)aw_load_u64be(v));
        break;
    case AW_PT_STRING: k->user_key = aw_value_strn((const char *)v, n); break;
    case AW_PT_BLOB: k->user_key = aw_value_blob(v, n); break;
    default: break; /* a key type the client does not know: digest only */
    }
    return AW_OK;
}

int aw_query_record_of(const aw_msg_view *m, const aw_scanq_meta *meta, const char *ns,
                       aw_key *key, aw_record *rec, aw_error *err) {
    int rc = key_of(meta, ns, key, err);
    if (rc == AW_OK)
        rc = aw_record_from_msg(m, NULL, rec, err);
    if (rc != AW_OK)
        return rc;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rec->ttl = aw_void_time_to_ttl(rec->void_time, (uint64_t)ts.tv_sec);
    return AW_OK;
}

int aw_query_take_record(aw_partition_status *ps, aw_query_sink_fn sink, void *sink_ctx,
                         const aw_msg_view *m, const aw_scanq_meta *meta, uint64_t *node_count,
                         uint64_t *kept, aw_tspan *span) {
    aw_partition_info *p = aw_pstatus_part(ps, aw_partition_id(meta->digest));
    if (!p)
        return 0;
    aw_partition_info before = *p;
    aw_pstatus_on_record(ps, meta->digest, meta->bval);
    /* Counted before the sink runs: its callback may end the run (abort). */
    ++*node_count;
    ++*kept;
    int rc = sink(sink_ctx, m, meta);
    if (rc == AW_ERR_NOMEM || rc == AW_ERR_PROTO) {
        *p = before; /* not delivered: resume before it */
        --*node_count;
        --*kept;
    } else if (span && span->on) {
        span->info.n_records++;
    }
    return rc;
}
