/* The scan/query engines' shared rules (query_plan.h). */
#include "query_plan.h"

#include <string.h>
#include <time.h>

#include "client_impl.h"
#include "proto/mem.h"
#include "proto/particle.h"
#include "proto/reply.h"

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
