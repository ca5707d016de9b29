/*
 * aw-testd: the info protocol — what a real node answers to the commands
 * clients and tools send, plus the testd-* control commands.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "proto/frame.h"

#define FEATURES                                                                                   \
    "batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;float;geo;"        \
    "sindex-exists;peers;pipelining;pquery;pscans;query-show;relaxed-sc;replicas;replicas-all;"   \
    "replicas-master;replicas-max;truncate-namespace;udf"
#define BUILD "8.1.1.2"

static void put_str(aw_buf *b, const char *s) { aw_buf_put(b, s, strlen(s)); }

static void put_fmt(aw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_fmt(aw_buf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        aw_buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_base64(aw_buf *b, const uint8_t *p, size_t n) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t *o = aw_buf_grow(b, (n + 2) / 3 * 4);
    if (!o)
        return;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *o++ = (uint8_t)A[(v >> 18) & 63];
        *o++ = (uint8_t)A[(v >> 12) & 63];
        *o++ = (uint8_t)(i + 1 < n ? A[(v >> 6) & 63] : '=');
        *o++ = (uint8_t)(i + 2 < n ? A[v & 63] : '=');
    }
}

/* The node's ownership bitmap for replica column r. */
static void bitmap(const td_node *n, int r, uint8_t out[512]) {
    memset(out, 0, 512);
    for (uint32_t p = 0; p < 4096; p++)
        if (n->srv->owner[p][r] == n->index)
            out[p >> 3] |= (uint8_t)(0x80u >> (p & 7));
}

static void put_replicas(td_node *n, aw_buf *b, bool regime, bool count, int columns) {
    td_server *s = n->srv;
    uint8_t bits[512];
    for (size_t i = 0; i < s->store.n_ns; i++) {
        if (i)
            put_str(b, ";");
        put_fmt(b, "%s:", s->store.ns[i].name);
        if (regime)
            put_str(b, "0,");
        if (count)
            put_fmt(b, "%d,", columns);
        for (int r = 0; r < columns; r++) {
            if (r)
                put_str(b, ",");
            bitmap(n, r, bits);
            put_base64(b, bits, sizeof bits);
        }
    }
}

static void put_host(const td_server *s, aw_buf *b, uint16_t port) {
    if (port == 3000)
        put_str(b, s->bind_addr);
    else
        put_fmt(b, "%s:%u", s->bind_addr, port);
}

static void put_peers(td_node *n, aw_buf *b, bool alt) {
    td_server *s = n->srv;
    put_fmt(b, "%u,3000,[", s->peers_gen);
    bool first = true;
    for (int i = 0; i < s->n_nodes && !alt; i++) {
        const td_node *p = &s->nodes[i];
        if (p == n || !p->alive)
            continue;
        put_fmt(b, "%s[%s,,[", first ? "" : ",", p->id);
        put_host(s, b, p->port);
        put_str(b, "]]");
        first = false;
    }
    put_str(b, "]");
}

static int live_nodes(const td_server *s) {
    int k = 0;
    for (int i = 0; i < s->n_nodes; i++)
        k += s->nodes[i].alive;
    return k;
}

static void put_statistics(td_node *n, aw_buf *b) {
    td_server *s = n->srv;
    uint64_t objects = 0;
    for (size_t i = 0; i < s->store.n_ns; i++)
        objects += s->store.ns[i].n_records;
    uint64_t conns = n->conns_opened - n->conns_closed;
    put_fmt(b,
            "cluster_size=%d;cluster_name=%s;uptime=%ld;objects=%" PRIu64
            ";client_connections=%" PRIu64 ";client_connections_opened=%" PRIu64
            ";client_connections_closed=%" PRIu64 ";client_read_success=%" PRIu64
            ";client_write_success=%" PRIu64 ";client_delete_success=%" PRIu64
            ";client_errors=%" PRIu64 ";batch_index_initiate=%" PRIu64,
            live_nodes(s), s->cluster_name, (long)(time(NULL) - s->started), objects, conns,
            n->conns_opened, n->conns_closed, s->stats[TD_STAT_READS], s->stats[TD_STAT_WRITES],
            s->stats[TD_STAT_DELETES], s->stats[TD_STAT_ERRORS], s->batches);
}

static void put_namespace(td_node *n, aw_buf *b, const char *name, size_t len) {
    td_server *s = n->srv;
    td_namespace *ns = td_store_ns(&s->store, name, len);
    if (!ns) {
        put_str(b, "type=unknown");
        return;
    }
    put_fmt(b,
            "ns_cluster_size=%d;effective_replication_factor=%d;objects=%" PRIu64
            ";replication-factor=%d;default-ttl=%u;max-record-size=%u;strong-consistency=false;"
            "storage-engine=memory;nsup-period=%d",
            live_nodes(s), s->replication, ns->n_records, s->replication, ns->default_ttl,
            s->store.max_record_size, 60);
}

/* Value of `key=` in a `name:k=v;k=v` command, as an integer; def if absent. */
static long param(const char *cmd, size_t len, const char *key, long def) {
    size_t klen = strlen(key);
    const char *p = memchr(cmd, ':', len);
    while (p && p < cmd + len) {
        p++;
        if ((size_t)(cmd + len - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=')
            return strtol(p + klen + 1, NULL, 10);
        p = memchr(p, ';', (size_t)(cmd + len - p));
    }
    return def;
}

static void control(td_node *n, aw_buf *b, const char *cmd, size_t len, const char *name) {
    td_server *s = n->srv;
    int node = (int)param(cmd, len, "node", -1);
    int rc = -1;
    if (strcmp(name, "testd-kill") == 0) {
        rc = param(cmd, len, "unnoticed", 0) == 1 ? td_node_kill_unnoticed(s, node)
                                                  : td_node_kill(s, node);
    } else if (strcmp(name, "testd-revive") == 0) {
        rc = td_node_revive(s, node);
    } else if (strcmp(name, "testd-fault") == 0) {
        td_fault f = {0};
        f.delay_ms = (uint32_t)param(cmd, len, "delay", 0);
        f.drop_after = param(cmd, len, "drop-after", -1);
        f.truncate = param(cmd, len, "truncate", 0) != 0;
        f.garbage = param(cmd, len, "garbage", 0) != 0;
        f.oversize = param(cmd, len, "oversize", 0) != 0;
        f.refuse = param(cmd, len, "refuse", 0) != 0;
        f.blackhole = param(cmd, len, "blackhole", 0) != 0;
        f.hold = param(cmd, len, "hold", 0) != 0;
        rc = td_node_set_fault(s, node, &f);
    } else if (strcmp(name, "testd-stats") == 0) {
        uint64_t commands, held;
        if (td_node_stats(s, node, &commands, &held) == 0) {
            put_fmt(b, "commands=%" PRIu64 ";held=%" PRIu64, commands, held);
            return;
        }
    } else if (strcmp(name, "testd-move") == 0) {
        uint32_t pid = (uint32_t)param(cmd, len, "partition", -1);
        rc = param(cmd, len, "orphan", 0) == 1
                 ? td_partition_orphan(s, pid)
                 : td_partition_move(s, pid, (int)param(cmd, len, "master", -1),
                                     (int)param(cmd, len, "replica", -1));
    } else if (strcmp(name, "testd-clock") == 0) {
        /* testd-clock:advance=S;freeze=1|0 moves the server's clock S
         * seconds on (TTLs and expiry follow it) and stops it or lets it run;
         * the answer is the server's time, in seconds since 2010-01-01 (the
         * epoch of void times). */
        long advance = param(cmd, len, "advance", 0);
        long freeze = param(cmd, len, "freeze", -1);
        if (advance < 0 || advance > 0x7fffffffL || freeze < -1 || freeze > 1) {
            put_str(b, "ERROR:4:bad node or argument");
            return;
        }
        td_store_clock(&s->store, (uint32_t)advance, (int)freeze);
        put_fmt(b, "%u", td_store_now(&s->store));
        return;
    } else if (strcmp(name, "testd-nodes") == 0) {
        for (int i = 0; i < s->n_nodes; i++)
            put_fmt(b, "%s%d:%s:%u:%s", i ? ";" : "", i, s->nodes[i].id, s->nodes[i].port,
                    s->nodes[i].alive ? "alive" : "dead");
        return;
    }
    put_str(b, rc == 0 ? "ok" : "ERROR:4:bad node or argument");
}

/* One command line; appends its value. */
static void answer(td_node *n, aw_buf *b, const char *cmd, size_t len) {
    td_server *s = n->srv;
    char name[64];
    size_t nl = 0;
    while (nl < len && nl < sizeof name - 1 && cmd[nl] != ':' && cmd[nl] != '/')
        name[nl] = cmd[nl], nl++;
    name[nl] = '\0';
    bool has_args = nl < len;

    if (strcmp(name, "node") == 0)
        put_str(b, n->id);
    else if (strcmp(name, "build") == 0)
        put_str(b, BUILD);
    else if (strcmp(name, "version") == 0)
        put_str(b, "Aerospike Community Edition build " BUILD " (aw-testd)");
    else if (strcmp(name, "edition") == 0)
        put_str(b, "Aerospike Community Edition");
    else if (strcmp(name, "compatibility-id") == 0)
        put_str(b, "15");
    else if (strcmp(name, "features") == 0)
        put_str(b, FEATURES);
    else if (strcmp(name, "cluster-name") == 0)
        put_str(b, s->cluster_name);
    else if (strcmp(name, "partitions") == 0)
        put_str(b, "4096");
    else if (strcmp(name, "partition-generation") == 0)
        put_fmt(b, "%u", n->partition_gen);
    else if (strcmp(name, "peers-generation") == 0)
        put_fmt(b, "%u", s->peers_gen);
    else if (strcmp(name, "replicas") == 0)
        put_replicas(n, b, true, true, s->replication);
    else if (strcmp(name, "replicas-all") == 0)
        put_replicas(n, b, false, true, s->replication);
    else if (strcmp(name, "replicas-master") == 0)
        put_replicas(n, b, false, false, 1);
    else if (strcmp(name, "peers-clear-std") == 0)
        put_peers(n, b, false);
    else if (strcmp(name, "peers-clear-alt") == 0)
        put_peers(n, b, true);
    else if (strcmp(name, "service-clear-std") == 0)
        put_fmt(b, "%s:%u", s->bind_addr, n->port);
    else if (strcmp(name, "service-clear-alt") == 0)
        ;
    else if (strcmp(name, "namespaces") == 0)
        for (size_t i = 0; i < s->store.n_ns; i++)
            put_fmt(b, "%s%s", i ? ";" : "", s->store.ns[i].name);
    else if (strcmp(name, "namespace") == 0 && has_args && cmd[nl] == '/')
        put_namespace(n, b, cmd + nl + 1, len - nl - 1);
    else if (strcmp(name, "statistics") == 0)
        put_statistics(n, b);
    else if (strcmp(name, "user-agent-set") == 0)
        put_str(b, "ok");
    else if (strncmp(name, "peers-tls-", 10) == 0 || strncmp(name, "service-tls-", 12) == 0 ||
             strcmp(name, "racks") == 0 || strcmp(name, "rack-ids") == 0)
        put_str(b, "ERROR:25:enterprise only");
    else if (strncmp(name, "testd-", 6) == 0)
        control(n, b, cmd, len, name);
    else
        put_str(b, "ERROR:4:unrecognized command");
}

static const char *DEFAULT_SET[] = {"features", "node", "edition", "build", "version",
                                    "statistics", "partition-generation"};

void td_handle_info(td_node *node, const uint8_t *body, size_t len, aw_buf *out) {
    size_t at = aw_proto_header_begin(out);
    const char *p = (const char *)body;
    if (len == 0) {
        /* An empty request gets the server's default summary. */
        for (size_t i = 0; i < sizeof DEFAULT_SET / sizeof *DEFAULT_SET; i++) {
            put_str(out, DEFAULT_SET[i]);
            put_str(out, "\t");
            answer(node, out, DEFAULT_SET[i], strlen(DEFAULT_SET[i]));
            put_str(out, "\n");
        }
    }
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (p + i)) : len - i;
        if (l > 0) {
            aw_buf_put(out, p + i, l);
            put_str(out, "\t");
            answer(node, out, p + i, l);
            put_str(out, "\n");
        }
        i += l + 1;
    }
    aw_proto_header_patch(out, at, AW_PROTO_INFO);
}
