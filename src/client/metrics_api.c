/*
 * The metrics API: snapshots, the Prometheus text (exposition format 0.0.4),
 * the periodic export from the tend thread, and the user agent's text.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aerowire/aerowire.h"
#include "client_impl.h"
#include "cluster/log.h"
#include "proto/base64.h"
#include "proto/mem.h"

/* The cluster is passed apart from the client: during aw_client_new's first
 * tend, client->cluster is not set yet. */
static int snapshot(aw_cluster *cl, bool enabled, aw_metrics **out, aw_error *err) {
    *out = NULL;
    aw_metrics *m = aw_calloc(1, sizeof *m);
    if (!m)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a metrics snapshot");
    int rc = aw_cluster_metrics_read(cl, m, err);
    if (rc != AW_OK) {
        aw_free(m);
        return rc;
    }
    m->enabled = enabled;
    *out = m;
    return AW_OK;
}

int aw_metrics_snapshot(aw_client *client, aw_metrics **out, aw_error *err) {
    if (!client || !out)
        return aw_error_set(err, AW_ERR_PARAM, "aw_metrics_snapshot: %s is NULL",
                            client ? "out" : "client");
    return snapshot(client->cluster, client->metrics_on, out, err);
}

void aw_metrics_free(aw_metrics *m) {
    if (!m)
        return;
    aw_free(m->nodes);
    aw_free(m);
}

/* --- Prometheus text ------------------------------------------------------------ */

typedef struct out {
    char *buf;
    size_t cap, len; /* len counts everything, also what did not fit */
} out;

__attribute__((format(printf, 2, 3))) static void put(out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static const char *const TYPE_NAMES[AW_MT_COUNT] = {"read", "write", "operate",
                                                    "batch", "query", "info"};
static const char *const PHASE_NAMES[AW_MP_COUNT] = {"conn_wait", "connect", "send",
                                                     "reply_wait", "decode"};
static const char *const CLOSE_NAMES[AW_CLOSE_COUNT] = {"error", "idle", "node_left",
                                                        "shutdown"};

static void header(out *o, const char *name, const char *type, const char *help) {
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Node ids and addresses are hex and host:port: nothing to escape. */
static void histogram(out *o, const char *name, const aw_metrics_node *n, const char *label,
                      const char *value, const aw_histogram *h) {
    uint64_t cum = 0;
    for (unsigned i = 0; i < AW_METRICS_BUCKETS; i++) {
        cum += h->bucket[i];
        if (i + 1 < AW_METRICS_BUCKETS)
            put(o, "%s_bucket{node=\"%s\",%s=\"%s\",le=\"%.9g\"} %" PRIu64 "\n", name, n->node,
                label, value, aw_metrics_bucket_le(i), cum);
        else
            put(o, "%s_bucket{node=\"%s\",%s=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name, n->node,
                label, value, cum);
    }
    put(o, "%s_sum{node=\"%s\",%s=\"%s\"} %.9f\n", name, n->node, label, value,
        (double)h->sum_ns / 1e9);
    put(o, "%s_count{node=\"%s\",%s=\"%s\"} %" PRIu64 "\n", name, n->node, label, value, cum);
}

typedef uint64_t (*node_u64)(const aw_metrics_node *n);
#define FIELD_GETTER(f)                                                                            \
    static uint64_t get_##f(const aw_metrics_node *n) { return (uint64_t)n->f; }
FIELD_GETTER(timeouts)
FIELD_GETTER(retries)
FIELD_GETTER(in_doubt)
FIELD_GETTER(bytes_sent)
FIELD_GETTER(bytes_received)
FIELD_GETTER(conns_opened)
FIELD_GETTER(conns_open)
FIELD_GETTER(conns_in_use)
FIELD_GETTER(conns_in_pool)

static void per_node(out *o, const aw_metrics *m, const char *name, const char *type,
                     const char *help, node_u64 get) {
    header(o, name, type, help);
    for (size_t i = 0; i < m->n_nodes; i++)
        put(o, "%s{node=\"%s\"} %" PRIu64 "\n", name, m->nodes[i].node, get(&m->nodes[i]));
}

static void nodes_section(out *o, const aw_metrics *m) {
    const char *lat = "aerowire_command_duration_seconds";
    header(o, lat, "histogram", "Whole commands, retries included, by node of the last attempt.");
    for (size_t i = 0; i < m->n_nodes; i++)
        for (unsigned t = 0; t < AW_MT_COUNT; t++)
            histogram(o, lat, &m->nodes[i], "type", TYPE_NAMES[t], &m->nodes[i].latency[t]);
    const char *ph = "aerowire_command_phase_seconds";
    header(o, ph, "histogram", "Where sync attempts spend their time; connect also async.");
    for (size_t i = 0; i < m->n_nodes; i++)
        for (unsigned p = 0; p < AW_MP_COUNT; p++)
            histogram(o, ph, &m->nodes[i], "phase", PHASE_NAMES[p], &m->nodes[i].phase[p]);
    header(o, "aerowire_command_errors_total", "counter", "Commands that ended with a result code.");
    for (size_t i = 0; i < m->n_nodes; i++)
        for (int c = 0; c < AW_METRICS_ERR_CODES; c++)
            if (m->nodes[i].errors[c])
                put(o, "aerowire_command_errors_total{node=\"%s\",code=\"%d\"} %" PRIu64 "\n",
                    m->nodes[i].node, c - AW_METRICS_ERR_BIAS, m->nodes[i].errors[c]);
    per_node(o, m, "aerowire_timeouts_total", "counter", "Attempts that timed out.", get_timeouts);
    per_node(o, m, "aerowire_retries_total", "counter", "Attempts after the first.", get_retries);
    per_node(o, m, "aerowire_in_doubt_total", "counter", "Writes that ended in doubt.",
             get_in_doubt);
    per_node(o, m, "aerowire_sent_bytes_total", "counter", "Request bytes sent.", get_bytes_sent);
    per_node(o, m, "aerowire_received_bytes_total", "counter", "Reply bytes received.",
             get_bytes_received);
    per_node(o, m, "aerowire_connections_opened_total", "counter", "Connections opened.",
             get_conns_opened);
    header(o, "aerowire_connections_closed_total", "counter", "Connections closed, by reason.");
    for (size_t i = 0; i < m->n_nodes; i++)
        for (unsigned r = 0; r < AW_CLOSE_COUNT; r++)
            put(o, "aerowire_connections_closed_total{node=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
                m->nodes[i].node, CLOSE_NAMES[r], m->nodes[i].conns_closed[r]);
    per_node(o, m, "aerowire_connections_open", "gauge", "Connections open now.", get_conns_open);
    per_node(o, m, "aerowire_connections_in_use", "gauge", "Sync connections lent out now.",
             get_conns_in_use);
    per_node(o, m, "aerowire_connections_in_pool", "gauge", "Idle sync connections now.",
             get_conns_in_pool);
    header(o, "aerowire_node_up", "gauge", "1 while the node is a member of the cluster.");
    for (size_t i = 0; i < m->n_nodes; i++)
        put(o, "aerowire_node_up{node=\"%s\",address=\"%s\"} %d\n", m->nodes[i].node,
            m->nodes[i].addr, m->nodes[i].active ? 1 : 0);
}

size_t aw_metrics_format_prometheus(const aw_metrics *m, char *buf, size_t len) {
    out o = {.buf = buf, .cap = len};
    if (buf && len)
        buf[0] = '\0';
    if (!m)
        return 0;
    nodes_section(&o, m);
    header(&o, "aerowire_tends_total", "counter", "Cluster tend rounds.");
    put(&o, "aerowire_tends_total %" PRIu64 "\n", m->tends);
    header(&o, "aerowire_partition_map_updates_total", "counter", "Partition maps read.");
    put(&o, "aerowire_partition_map_updates_total %" PRIu64 "\n", m->partition_map_updates);
    header(&o, "aerowire_nodes_added_total", "counter", "Nodes that joined.");
    put(&o, "aerowire_nodes_added_total %" PRIu64 "\n", m->nodes_added);
    header(&o, "aerowire_nodes_removed_total", "counter", "Nodes that left.");
    put(&o, "aerowire_nodes_removed_total %" PRIu64 "\n", m->nodes_removed);
    header(&o, "aerowire_unrouted_commands_total", "counter", "Commands that found no node.");
    uint64_t unrouted = 0, routed = 0;
    for (unsigned t = 0; t < AW_MT_COUNT; t++) {
        unrouted += m->total.latency[t].count;
        for (size_t i = 0; i < m->n_nodes; i++)
            routed += m->nodes[i].latency[t].count;
    }
    put(&o, "aerowire_unrouted_commands_total %" PRIu64 "\n", unrouted - routed);
    return o.len;
}

size_t aw_metrics_prometheus(aw_client *client, char *buf, size_t len) {
    aw_metrics *m = NULL;
    if (buf && len)
        buf[0] = '\0';
    if (aw_metrics_snapshot(client, &m, NULL) != AW_OK)
        return 0;
    size_t n = aw_metrics_format_prometheus(m, buf, len);
    aw_metrics_free(m);
    return n;
}

/* --- Periodic export, user agent ------------------------------------------------- */

void aw_client_on_tend(aw_cluster *cluster, void *arg) {
    aw_client *c = arg;
    uint64_t now = aw_now_ms();
    if (!c->cfg.metrics_cb || now < c->metrics_due_ms)
        return;
    c->metrics_due_ms = now + c->cfg.metrics_interval_ms;
    aw_metrics *m = NULL;
    aw_error e;
    if (snapshot(cluster, c->metrics_on, &m, &e) != AW_OK) {
        aw_log(AW_LOG_WARN, "metrics export skipped: %s", e.message);
        return;
    }
    c->cfg.metrics_cb(m, c->cfg.metrics_udata);
    aw_metrics_free(m);
}

/* The server takes at most 64 decoded bytes (thr_info.c, cmd_user_agent_set). */
#define USER_AGENT_MAX 64

int aw_client_user_agent(const char *app_id, char **b64, aw_error *err) {
    char agent[USER_AGENT_MAX + 1];
    const char *id = app_id && app_id[0] ? app_id : "not-set";
    if (strchr(id, ','))
        return aw_error_set(err, AW_ERR_PARAM, "app_id \"%s\" contains a ','", id);
    int n = snprintf(agent, sizeof agent, "1,aerowire-%s,%s", AEROWIRE_VERSION, id);
    if (n < 0 || n > USER_AGENT_MAX)
        return aw_error_set(err, AW_ERR_PARAM,
                            "app_id \"%s\" is too long: the user agent takes %d bytes at most", id,
                            USER_AGENT_MAX);
    *b64 = aw_base64_encode((const uint8_t *)agent, (size_t)n);
    return *b64 ? AW_OK : aw_error_set(err, AW_ERR_NOMEM, "no memory for the user agent");
}
