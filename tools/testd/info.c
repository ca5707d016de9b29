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
#include <sys/utsname.h>

#include "aerowire/record.h"
#include "info_param.h"
#include "internal.h"
#include "proto/base64.h"
#include "proto/frame.h"
#include "sindex.h"

/* Only what aw-testd serves, in the real server's order (docs/testd.md says
 * why each is here and why the real server's others are not). */
#define FEATURES                                                                                   \
    "batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;float;sindex-exists;peers;"      \
    "pipelining;pquery;pscans;query-show;replicas;replicas-all;replicas-master;truncate-namespace"
/* The server version aw-testd's answers were checked against. */
#define BUILD "8.1.2.0"

void td_info_put(aw_buf *b, const char *s) { aw_buf_put(b, s, strlen(s)); }

void td_info_putf(aw_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    /* One byte more for vsnprintf's NUL, dropped again after. */
    uint8_t *p = n > 0 ? aw_buf_grow(b, (size_t)n + 1) : NULL;
    if (!p)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len--;
}

static void put_base64(aw_buf *b, const uint8_t *p, size_t n) {
    uint8_t *o = aw_buf_grow(b, AW_BASE64_LEN(n));
    if (o)
        aw_base64_encode_to((char *)o, p, n);
}

/* `release` (8.1.1+; clients of 8.1.1 servers ask it instead of `edition`):
 * the real server's keys but os and sha, which describe a package aw-testd
 * is not; arch is the machine's own. */
static void put_release(aw_buf *b) {
    struct utsname u;
    td_info_put(b, "edition=Aerospike Community Edition;version=" BUILD);
    if (uname(&u) == 0)
        td_info_putf(b, ";arch=%s", u.machine);
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
            td_info_put(b, ";");
        td_info_putf(b, "%s:", s->store.ns[i].name);
        if (regime)
            td_info_put(b, "0,");
        if (count)
            td_info_putf(b, "%d,", columns);
        for (int r = 0; r < columns; r++) {
            if (r)
                td_info_put(b, ",");
            bitmap(n, r, bits);
            put_base64(b, bits, sizeof bits);
        }
    }
}

static void put_host(const td_server *s, aw_buf *b, uint16_t port) {
    if (port == 3000)
        td_info_put(b, s->bind_addr);
    else
        td_info_putf(b, "%s:%u", s->bind_addr, port);
}

/* With tls, the nodes' TLS ports (their own or the proxies' in front of
 * them) and TLS name. */
static void put_peers(td_node *n, aw_buf *b, bool alt, bool tls) {
    td_server *s = n->srv;
    td_info_putf(b, "%u,3000,[", s->peers_gen);
    bool first = true;
    for (int i = 0; i < s->n_nodes && !alt; i++) {
        const td_node *p = &s->nodes[i];
        if (p == n || !p->alive)
            continue;
        td_info_putf(b, "%s[%s,%s,[", first ? "" : ",", p->id,
                     tls && s->cfg.tls_name ? s->cfg.tls_name : "");
        put_host(s, b, tls ? td_server_tls_port(s, i) : p->port);
        td_info_put(b, "]]");
        first = false;
    }
    td_info_put(b, "]");
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
    td_info_putf(b,
            "cluster_size=%d;cluster_name=%s;uptime=%ld;objects=%" PRIu64
            ";client_connections=%" PRIu64 ";client_connections_opened=%" PRIu64
            ";client_connections_closed=%" PRIu64 ";client_read_success=%" PRIu64
            ";client_write_success=%" PRIu64 ";client_delete_success=%" PRIu64
            ";client_errors=%" PRIu64 ";batch_index_initiate=%" PRIu64,
            live_nodes(s), s->cluster_name, (long)(time(NULL) - s->started), objects, conns,
            n->conns_opened, n->conns_closed, s->stats[TD_STAT_READS], s->stats[TD_STAT_WRITES],
            s->stats[TD_STAT_DELETES], s->stats[TD_STAT_ERRORS], s->batches);
}

/* nsup-period: aw-testd expires a record the moment its void time passes
 * (checked on every access), which is what a client sees of a server whose
 * nsup runs; 60 is the recorded server's period. */
#define NSUP_PERIOD 60

/* A namespace's configuration as cfg_info.c cfg_get_namespace prints it for
 * the recorded 8.1.2.0 server (in-memory, nsup-period 60): every key, in its
 * order. aw-testd sets default-ttl, max-record-size and replication-factor
 * from its own options; the other keys are the recorded server's values
 * (docs/testd.md says which of them aw-testd's behaviour follows). */
static void put_ns_config(const td_server *s, const td_namespace *ns, aw_buf *b) {
    td_info_putf(b,
    "active-rack=0;allow-ttl-without-nsup=false;apply-ttl-reductions=true;auto-revive=false;"
    "background-query-max-rps=10000;conflict-resolution-policy=generation;"
    "conflict-resolve-writes=false;default-read-touch-ttl-pct=0;default-ttl=%u;"
    "disable-cold-start-eviction=false;disable-mrt-writes=false;disable-write-dup-res=false;"
    "disallow-expunge=false;disallow-null-setname=false;enable-benchmarks-batch-sub=false;"
    "enable-benchmarks-ops-sub=false;enable-benchmarks-read=false;"
    "enable-benchmarks-udf=false;enable-benchmarks-udf-sub=false;"
    "enable-benchmarks-write=false;enable-hist-proxy=false;evict-hist-buckets=10000;"
    "evict-indexes-memory-pct=0;evict-tenths-pct=5;force-long-queries=false;"
    "ignore-migrate-fill-delay=false;index-stage-size=1073741824;indexes-memory-budget=0;"
    "inline-short-queries=false;max-record-size=%u;migrate-order=5;"
    "migrate-retransmit-ms=5000;migrate-skip-unreadable=false;migrate-sleep=1;mrt-duration=0;"
    "nsup-hist-period=3600;nsup-period=%d;nsup-threads=1;partition-tree-sprigs=256;"
    "prefer-uniform-balance=false;rack-id=0;read-consistency-level-override=off;"
    "reject-non-xdr-writes=false;reject-xdr-writes=false;replication-factor=%d;"
    "sindex-stage-size=1073741824;single-query-threads=4;stop-writes-sys-memory-pct=90;"
    "strong-consistency=false;strong-consistency-allow-expunge=false;"
    "tomb-raider-eligible-age=86400;tomb-raider-period=86400;tomb-raider-unmark-threads=0;"
    "transaction-pending-limit=20;truncate-threads=4;write-commit-level-override=off;"
    "xdr-bin-tombstone-ttl=86400;xdr-tomb-raider-period=120;xdr-tomb-raider-threads=1;"
    "geo2dsphere-within.strict=true;geo2dsphere-within.min-level=1;"
    "geo2dsphere-within.max-level=20;geo2dsphere-within.max-cells=12;"
    "geo2dsphere-within.level-mod=1;geo2dsphere-within.earth-radius-meters=6371000;"
    "index-type=mem;sindex-type=mem;storage-engine=memory;storage-engine.stripe[0]=stripe-0;"
    "storage-engine.stripe[1]=stripe-1;storage-engine.stripe[2]=stripe-2;"
    "storage-engine.stripe[3]=stripe-3;storage-engine.stripe[4]=stripe-4;"
    "storage-engine.stripe[5]=stripe-5;storage-engine.stripe[6]=stripe-6;"
    "storage-engine.stripe[7]=stripe-7;storage-engine.commit-to-device=false;"
    "storage-engine.compression=none;storage-engine.compression-acceleration=0;"
    "storage-engine.compression-level=0;storage-engine.data-size=2147483648;"
    "storage-engine.defrag-lwm-pct=50;storage-engine.defrag-queue-min=0;"
    "storage-engine.defrag-sleep=1000;storage-engine.defrag-startup-minimum=0;"
    "storage-engine.direct-files=false;storage-engine.disable-odsync=false;"
    "storage-engine.enable-benchmarks-storage=false;storage-engine.encryption-key-file=null;"
    "storage-engine.encryption-old-key-file=null;storage-engine.evict-used-pct=0;"
    "storage-engine.filesize=0;storage-engine.flush-max-ms=1000;"
    "storage-engine.max-write-cache=67108864;storage-engine.stop-writes-avail-pct=5;"
    "storage-engine.stop-writes-used-pct=70;storage-engine.tomb-raider-sleep=1000",
            ns->default_ttl, s->store.max_record_size, NSUP_PERIOD, s->replication);
}

/* namespace/<ns>: statistics, then the configuration (as info.c
 * info_get_namespace_info). Truncation here is immediate, so never pending. */
static void put_namespace(td_node *n, aw_buf *b, const char *name, size_t len) {
    td_server *s = n->srv;
    td_namespace *ns = td_store_ns(&s->store, name, len);
    if (!ns) {
        td_info_put(b, "type=unknown");
        return;
    }
    td_info_putf(b,
            "ns_cluster_size=%d;effective_replication_factor=%d;objects=%" PRIu64
            ";truncate_lut=%" PRIu64 ";truncating=false;",
            live_nodes(s), s->replication, ns->n_records, ns->truncate_lut_ms);
    put_ns_config(s, ns, b);
}

param_result td_info_param_get(const char *params, size_t len, const char *key, char *out,
                              size_t cap) {
    size_t klen = strlen(key);
    const char *p = params, *end = params + len;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq && (size_t)(eq - p) == klen && memcmp(p, key, klen) == 0) {
            size_t vlen = (size_t)(stop - eq - 1);
            if (vlen >= cap)
                return PARAM_TOO_LONG;
            memcpy(out, eq + 1, vlen);
            out[vlen] = '\0';
            return PARAM_OK;
        }
        p = stop + 1;
    }
    return PARAM_NOT_FOUND;
}

bool td_info_param_usable(aw_buf *b, const char *key, const char *value, param_result r,
                         bool required) {
    if (r == PARAM_OK && value[0] != '\0')
        return true;
    if (r == PARAM_NOT_FOUND && !required)
        return false;
    int code = strcmp(key, "namespace") == 0 ? AW_ERR_NAMESPACE_NOT_FOUND : AW_ERR_REQUEST_INVALID;
    td_info_putf(b, r == PARAM_NOT_FOUND  ? "ERROR:%d:missing '%s'"
               : r == PARAM_OK       ? "ERROR:%d:missing '%s' value"
                                     : "ERROR:%d:'%s' value too long",
            code, key);
    return false;
}

/* Buffer sizes of the server's parameters (AS_ID_NAMESPACE_SZ,
 * AS_SET_NAME_MAX_SIZE, the lut's 24 chars, the context's 1024). */
#define NS_PARAM_CAP 32
#define SET_PARAM_CAP 64
#define LUT_PARAM_CAP 24
#define CONTEXT_PARAM_CAP 1024
#define UTC_NS_AT_EPOCH ((uint64_t)AW_CITRUSLEAF_EPOCH * 1000000000u)

/* truncate:namespace=NS;set=SET[;lut=NANOS] and truncate-namespace:namespace=
 * NS[;lut=NANOS] (thr_info.c cmd_truncate, cmd_truncate_namespace;
 * truncate.c as_truncate_cmd). The lut is UTC nanoseconds, read as C reads
 * a constant (decimal, 0x hex, 0 octal); absent means now. The real server
 * accepts a namespace it does not have ("ok", and nothing happens), and so
 * does aw-testd. */
static void truncate_cmd(td_node *n, aw_buf *b, const char *params, size_t len, bool whole_ns) {
    td_store *st = &n->srv->store;
    char ns_name[NS_PARAM_CAP], set[SET_PARAM_CAP], lut[LUT_PARAM_CAP];
    if (!td_info_param_usable(b, "namespace", ns_name,
                      td_info_param_get(params, len, "namespace", ns_name, sizeof ns_name), true))
        return;
    if (!whole_ns) {
        if (!td_info_param_usable(b, "set", set, td_info_param_get(params, len, "set", set, sizeof set), true))
            return;
    } else if (td_info_param_get(params, len, "set", set, 1) != PARAM_NOT_FOUND) {
        td_info_put(b, "ERROR:4:unexpected set name"); /* did the client mean truncate? */
        return;
    }
    param_result lr = td_info_param_get(params, len, "lut", lut, sizeof lut);
    uint64_t lut_ms = 0; /* now */
    if (td_info_param_usable(b, "lut", lut, lr, false)) {
        uint64_t utc_ns = strtoull(lut, NULL, 0);
        lut_ms = utc_ns > UTC_NS_AT_EPOCH ? (utc_ns - UTC_NS_AT_EPOCH) / 1000000 : 0;
        if (lut_ms == 0) {
            td_info_put(b, "ERROR:4:would truncate to 0");
            return;
        }
        if (lut_ms > td_store_now_ms(st)) {
            td_info_put(b, "ERROR:4:would truncate in the future");
            return;
        }
    } else if (lr != PARAM_NOT_FOUND) {
        return; /* param_usable wrote the error */
    }
    td_namespace *ns = td_store_ns(st, ns_name, strlen(ns_name));
    if (ns)
        td_store_truncate(st, ns, whole_ns ? NULL : set, lut_ms);
    td_info_put(b, "ok");
}

/* get-config:context=namespace;id=NS (cfg_info.c
 * as_cfg_info_cmd_get_config_with_params; `namespace=` is the current name
 * of `id=`). The other contexts (service, network, security, xdr) and the
 * bare get-config describe a real server's process, which aw-testd does not
 * have: refused with 4. */
static void get_config(td_node *n, aw_buf *b, const char *params, size_t len) {
    char context[CONTEXT_PARAM_CAP], ns_name[CONTEXT_PARAM_CAP];
    if (len == 0) {
        td_info_put(b, "ERROR:4:not served by aw-testd");
        return;
    }
    if (!td_info_param_usable(b, "context", context,
                      td_info_param_get(params, len, "context", context, sizeof context), true))
        return;
    if (strcmp(context, "namespace") != 0) {
        bool real = strcmp(context, "service") == 0 || strcmp(context, "network") == 0 ||
                    strcmp(context, "security") == 0 || strcmp(context, "xdr") == 0;
        td_info_put(b, real ? "ERROR:4:not served by aw-testd" : "ERROR:4:invalid context");
        return;
    }
    param_result r = td_info_param_get(params, len, "namespace", ns_name, sizeof ns_name);
    if (r == PARAM_NOT_FOUND)
        r = td_info_param_get(params, len, "id", ns_name, sizeof ns_name);
    if (!td_info_param_usable(b, "namespace", ns_name, r, true))
        return;
    td_namespace *ns = td_store_ns(&n->srv->store, ns_name, strlen(ns_name));
    if (!ns) {
        td_info_put(b, "ERROR:20:namespace not found on node");
        return;
    }
    put_ns_config(n->srv, ns, b);
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
            td_info_putf(b, "commands=%" PRIu64 ";held=%" PRIu64 ";compressed-in=%" PRIu64
                            ";compressed-out=%" PRIu64,
                         commands, held, s->nodes[node].compressed_in,
                         s->nodes[node].compressed_out);
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
            td_info_put(b, "ERROR:4:bad node or argument");
            return;
        }
        td_store_clock(&s->store, (uint32_t)advance, (int)freeze);
        td_info_putf(b, "%u", td_store_now(&s->store));
        return;
    } else if (strcmp(name, "testd-security") == 0) {
        if (s->sec)
            td_security_control(s->sec, cmd, len, b);
        else
            td_info_put(b, "ERROR:52:security is off (aw-testd --security)");
        return;
    } else if (strcmp(name, "testd-nodes") == 0) {
        for (int i = 0; i < s->n_nodes; i++)
            td_info_putf(b, "%s%d:%s:%u:%s", i ? ";" : "", i, s->nodes[i].id, s->nodes[i].port,
                    s->nodes[i].alive ? "alive" : "dead");
        return;
    }
    td_info_put(b, rc == 0 ? "ok" : "ERROR:4:bad node or argument");
}

/* One command line; appends its value. */
/* The 8.1.2.0 server's info commands (as/src/base/thr_info.c, the command
 * table) that aw-testd does not answer. A community-edition server refuses
 * the enterprise-only ones with 25; the others it serves, so aw-testd says it
 * does not (4, the code of an info command the server cannot answer) rather
 * than calling a real command unrecognized. */
static const char *const ENTERPRISE_NAMES[] = {
    "alumni-tls-alt", "alumni-tls-std", "feature-key", "masking", "masking-show", "peers-tls-alt",
    "peers-tls-std", "quiesce", "quiesce-undo", "revive", "roster",
    "roster-set", "service-tls-alt", "service-tls-std", "xdr-dc-state", "xdr-get-filter",
    "xdr-set-filter", NULL};
static const char *const UNSERVED_NAMES[] = {
    "admin-clear-std", "admin-tls-std", "alumni-clear-alt", "alumni-clear-std", "best-practices",
    "cluster-stable", "config-get", "config-set", "connection", "debug-record",
    "debug-record-meta", "digests", "dump-cluster", "dump-fabric", "dump-hb", "dump-hlc",
    "dump-migrates", "dump-rw", "dump-skew", "dump-wb-summary", "endpoints", "eviction-reset",
    "get-sl", "get-stats", "health-outliers", "health-stats", "help", "histogram",
    "index-pressure", "jem-stats", "latencies", "log", "log-message", "log-set", "logs", "mcast",
    "mesh", "name", "objects", "partition-info", "physical-devices", "query-abort",
    "query-abort-all", "recluster", "service",
    "services-alternate", "services-alumni-reset", "set-config", "set-log",
    /* "sindex" and "sindex/<ns>" (sindex/<ns>/<name> is served) */ "sindex", "smd-info",
    "smd-show", "status", "thread-traces", "tip", "tip-clear", "truncate-namespace-undo",
    "truncate-undo", "udf-clear-cache", "udf-get", "udf-list", "udf-put", "udf-remove", NULL};

static bool in_list(const char *name, const char *const *list) {
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return true;
    return false;
}

static bool b64_char(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '+' || ch == '/';
}

/* thr_info.c cmd_user_agent_set: once per connection, base64 of at most 64
 * bytes, kept for `user-agents`. */
static void user_agent_set(char *ua, aw_buf *b, const char *params, size_t len) {
    char v[TD_USER_AGENT_MAX];
    if (ua[0]) {
        td_info_put(b, "ERROR:4:already set");
        return;
    }
    param_result r = td_info_param_get(params, len, "value", v, sizeof v);
    if (!td_info_param_usable(b, "value", v, r, true))
        return;
    size_t n = strlen(v), pad = 0;
    bool ok = n > 0 && n % 4 == 0;
    for (size_t i = 0; ok && i < n; i++) {
        if (v[i] == '=' && i + 2 >= n)
            pad++;
        else if (!b64_char(v[i]) || pad)
            ok = false;
    }
    if (!ok || n / 4 * 3 - pad > 64) {
        td_info_put(b, "ERROR:4:'value' invalid base64");
        return;
    }
    memcpy(ua, v, n + 1);
    td_info_put(b, "ok");
}

static void answer(td_node *n, char *ua, aw_buf *b, const char *cmd, size_t len) {
    td_server *s = n->srv;
    char name[64];
    size_t nl = 0;
    while (nl < len && nl < sizeof name - 1 && cmd[nl] != ':' && cmd[nl] != '/')
        name[nl] = cmd[nl], nl++;
    name[nl] = '\0';
    bool has_args = nl < len;

    if (strcmp(name, "node") == 0)
        td_info_put(b, n->id);
    else if (strcmp(name, "build") == 0)
        td_info_put(b, BUILD);
    else if (strcmp(name, "version") == 0)
        td_info_put(b, "Aerospike Community Edition build " BUILD);
    else if (strcmp(name, "edition") == 0)
        td_info_put(b, "Aerospike Community Edition");
    else if (strcmp(name, "release") == 0)
        put_release(b);
    else if (strcmp(name, "compatibility-id") == 0)
        td_info_put(b, "15");
    else if (strcmp(name, "features") == 0)
        td_info_put(b, FEATURES);
    else if (strcmp(name, "cluster-name") == 0)
        td_info_put(b, s->cluster_name);
    else if (strcmp(name, "partitions") == 0)
        td_info_put(b, "4096");
    else if (strcmp(name, "partition-generation") == 0)
        td_info_putf(b, "%u", n->partition_gen);
    else if (strcmp(name, "rebalance-generation") == 0)
        td_info_putf(b, "%u", s->rebalance_gen);
    else if (strcmp(name, "rack-ids") == 0 || strcmp(name, "racks") == 0)
        td_racks_info(n, b, name, has_args ? cmd + nl + 1 : cmd + nl, has_args ? len - nl - 1 : 0);
    else if (strcmp(name, "peers-generation") == 0)
        td_info_putf(b, "%u", s->peers_gen);
    else if (strcmp(name, "replicas") == 0)
        put_replicas(n, b, true, true, s->replication);
    else if (strcmp(name, "replicas-all") == 0)
        put_replicas(n, b, false, true, s->replication);
    else if (strcmp(name, "replicas-master") == 0)
        put_replicas(n, b, false, false, 1);
    else if (strcmp(name, "peers-clear-std") == 0)
        put_peers(n, b, false, false);
    else if (strcmp(name, "peers-clear-alt") == 0)
        put_peers(n, b, true, false);
    else if (strcmp(name, "peers-tls-std") == 0 && td_server_tls_port(s, 0))
        put_peers(n, b, false, true);
    else if (strcmp(name, "service-tls-std") == 0 && td_server_tls_port(s, 0))
        td_info_putf(b, "%s:%u", s->bind_addr, td_server_tls_port(s, n->index));
    else if (strcmp(name, "service-clear-std") == 0)
        td_info_putf(b, "%s:%u", s->bind_addr, n->port);
    else if (strcmp(name, "service-clear-alt") == 0)
        ;
    else if (strcmp(name, "namespaces") == 0)
        for (size_t i = 0; i < s->store.n_ns; i++)
            td_info_putf(b, "%s%s", i ? ";" : "", s->store.ns[i].name);
    else if (strcmp(name, "namespace") == 0 && has_args && cmd[nl] == '/')
        put_namespace(n, b, cmd + nl + 1, len - nl - 1);
    else if (strcmp(name, "sets") == 0)
        td_sets_info(n, b, has_args ? cmd + nl + 1 : cmd + nl, has_args ? len - nl - 1 : 0);
    else if (strcmp(name, "statistics") == 0)
        put_statistics(n, b);
    else if (strcmp(name, "truncate") == 0 || strcmp(name, "truncate-namespace") == 0)
        truncate_cmd(n, b, has_args ? cmd + nl + 1 : cmd + nl, has_args ? len - nl - 1 : 0,
                     strcmp(name, "truncate-namespace") == 0);
    else if (strcmp(name, "get-config") == 0)
        get_config(n, b, has_args ? cmd + nl + 1 : cmd + nl, has_args ? len - nl - 1 : 0);
    else if (strcmp(name, "user-agent-set") == 0)
        user_agent_set(ua, b, has_args ? cmd + nl + 1 : cmd + nl, has_args ? len - nl - 1 : 0);
    else if (strcmp(name, "user-agents") == 0)
        td_node_user_agents(n, b);
    else if (strncmp(name, "testd-", 6) == 0)
        control(n, b, cmd, len, name);
    else if (strcmp(name, "query-show") == 0)
        td_jobs_show(&n->jobs, &s->store, has_args ? cmd + nl + 1 : cmd + nl,
                     has_args ? len - nl - 1 : 0, b);
    else if (td_sindex_info(&s->store, b, name, has_args ? cmd + nl + 1 : cmd + nl,
                            has_args ? len - nl - 1 : 0, has_args && cmd[nl] == '/'))
        ;
    else if (in_list(name, ENTERPRISE_NAMES))
        td_info_put(b, "ERROR:25:enterprise only");
    else if (in_list(name, UNSERVED_NAMES))
        td_info_put(b, "ERROR:4:not served by aw-testd");
    else
        td_info_put(b, "ERROR:4:unrecognized command");
}

static const char *DEFAULT_SET[] = {"features", "node", "edition", "build", "version",
                                    "statistics", "partition-generation"};

void td_handle_info(td_node *node, char *ua, const uint8_t *body, size_t len, aw_buf *out) {
    size_t at = aw_proto_header_begin(out);
    const char *p = (const char *)body;
    if (len == 0) {
        /* An empty request gets the server's default summary. */
        for (size_t i = 0; i < sizeof DEFAULT_SET / sizeof *DEFAULT_SET; i++) {
            td_info_put(out, DEFAULT_SET[i]);
            td_info_put(out, "\t");
            answer(node, ua, out, DEFAULT_SET[i], strlen(DEFAULT_SET[i]));
            td_info_put(out, "\n");
        }
    }
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (p + i)) : len - i;
        if (l > 0) {
            aw_buf_put(out, p + i, l);
            td_info_put(out, "\t");
            answer(node, ua, out, p + i, l);
            td_info_put(out, "\n");
        }
        i += l + 1;
    }
    aw_proto_header_patch(out, at, AW_PROTO_INFO);
}
