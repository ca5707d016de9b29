#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "aerowire/adapters/libevent.h"

#include "client_fixture.h"
#include "client/client_impl.h"
#include "proto/info.h"

void tu_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

uint64_t tu_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool tu_wait_until(bool (*cond)(void *arg), void *arg, int ms) {
    uint64_t deadline = tu_now_ms() + (uint64_t)ms;
    while (!cond(arg)) {
        if (tu_now_ms() >= deadline)
            return cond(arg);
        tu_sleep_ms(2);
    }
    return true;
}

void tu_fail_at(const char *file, int line, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("ERROR: %s\n", msg);
    _fail(file, line);
    abort(); /* _fail does not return inside a test */
}

void tu_wait_for_at(const char *file, int line, bool (*cond)(void *arg), void *arg, int ms,
                    const char *what) {
    if (!tu_wait_until(cond, arg, ms))
        tu_fail_at(file, line, "timed out after %d ms waiting for %s", ms, what);
}

void tu_check_at(const char *file, int line, int rc, const char *msg, const char *what) {
    if (rc != AW_OK)
        tu_fail_at(file, line, "%s: %s (%d): %s", what, aw_status_name(rc), rc, msg);
}

/* --- testd control commands ------------------------------------------------------ */

static char *send_v(const tu_testd *t, int via, char *cmd, size_t cap, const char *fmt,
                    va_list ap) {
    vsnprintf(cmd, cap - 1, fmt, ap);
    strcat(cmd, "\n");
    return tu_info(t->ports[via], cmd);
}

char *tu_testd_send(const tu_testd *t, int via, const char *fmt, ...) {
    char cmd[256];
    va_list ap;
    va_start(ap, fmt);
    char *r = send_v(t, via, cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return r;
}

void tu_testd_ctl_at(const char *file, int line, const tu_testd *t, int via, const char *fmt,
                     ...) {
    char cmd[256];
    va_list ap;
    va_start(ap, fmt);
    char *r = send_v(t, via, cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    /* The reply is "<cmd>\t<value>\n": the command echoed as the name. */
    cmd[strcspn(cmd, "\n")] = '\0';
    const char *value = NULL;
    size_t len = 0;
    bool ok = r && aw_info_find(r, strlen(r), cmd, &value, &len) && len == 2 &&
              memcmp(value, "ok", 2) == 0;
    if (!ok) {
        char reply[512];
        snprintf(reply, sizeof reply, "%s", r ? r : "(no reply)");
        reply[strcspn(reply, "\n")] = '\0';
        free(r);
        tu_fail_at(file, line, "%s -> %s", cmd, reply);
    }
    free(r);
}

void tu_testd_fault_at(const char *file, int line, const tu_testd *t, int node, const char *what) {
    int via = (node + 1) % t->n_nodes;
    if (what)
        tu_testd_ctl_at(file, line, t, via, "testd-fault:node=%d;%s", node, what);
    else
        tu_testd_ctl_at(file, line, t, via, "testd-fault:node=%d", node);
}

bool tu_testd_stats(const tu_testd *t, int via, int node, uint64_t *commands, uint64_t *held) {
    char *r = tu_testd_send(t, via, "testd-stats:node=%d", node);
    const char *tab = r ? strchr(r, '\t') : NULL;
    unsigned long long c, h;
    bool ok = tab && sscanf(tab + 1, "commands=%llu;held=%llu", &c, &h) == 2;
    if (ok)
        *commands = c, *held = h;
    free(r);
    return ok;
}

void tu_testd_clear_faults(const tu_testd *t) {
    for (int n = 0; n < t->n_nodes; n++)
        free(tu_testd_send(t, (n + 1) % t->n_nodes, "testd-fault:node=%d", n));
}

int tu_testd_start_nodes(tu_testd *t, int nodes, const char *const *extra_args) {
    char n[12];
    snprintf(n, sizeof n, "%d", nodes);
    const char *args[32] = {"--nodes", n};
    size_t k = 2;
    for (size_t i = 0; extra_args && extra_args[i] && k < 31; i++)
        args[k++] = extra_args[i];
    args[k] = NULL;
    return tu_testd_start(t, args);
}

/* --- keys -------------------------------------------------------------------------- */

aw_key tu_key(const char *ns, const char *set, const char *name) {
    aw_key k;
    aw_error err;
    if (aw_key_init_str(&k, ns, set, name, &err) != AW_OK)
        fail_msg("key %s/%s/%s: %s", ns, set ? set : "", name, err.message);
    return k;
}

aw_key tu_key_on(const char *ns, const char *set, int node, int n_nodes, int i, const char *tag) {
    char name[64];
    for (int j = 0;; j++) {
        snprintf(name, sizeof name, "%s-%d", tag, j);
        aw_key k = tu_key(ns, set, name);
        if ((int)(aw_partition_id(k.digest) % (uint32_t)n_nodes) == node && i-- == 0)
            return k;
    }
}

/* --- clients ------------------------------------------------------------------------ */

const char *tu_testd_hosts(const tu_testd *t) {
    static char hosts[16 * sizeof "127.0.0.1:65535,"];
    size_t n = 0;
    hosts[0] = '\0';
    for (int i = 0; i < t->n_nodes; i++)
        n += (size_t)snprintf(hosts + n, sizeof hosts - n, "%s127.0.0.1:%u", i ? "," : "",
                              t->ports[i]);
    return hosts;
}

aw_config tu_client_config(const tu_testd *t, uint32_t tend_interval_ms) {
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = tu_testd_hosts(t);
    if (tend_interval_ms)
        cfg.tend_interval_ms = tend_interval_ms;
    return cfg;
}

aw_client *tu_client_new_at(const char *file, int line, const aw_config *cfg) {
    aw_client *c = NULL;
    aw_error err;
    if (aw_client_new(&c, cfg, &err) != AW_OK)
        tu_fail_at(file, line, "aw_client_new: %s", err.message);
    return c;
}

int tu_client_setup(aw_client **out, const aw_config *cfg) {
    aw_error err;
    if (aw_client_new(out, cfg, &err) != AW_OK) {
        fprintf(stderr, "aw_client_new: %s\n", err.message);
        return -1;
    }
    return 0;
}

aw_client_stats tu_stats(aw_client *c) {
    aw_client_stats st;
    aw_client_get_stats(c, &st);
    return st;
}

typedef struct nodes_seen {
    aw_client *c;
    size_t want, n;
} nodes_seen;

static bool sees_nodes(void *arg) {
    nodes_seen *s = arg;
    s->n = aw_client_nodes(s->c, NULL, 0);
    return s->n == s->want;
}

size_t tu_wait_nodes(aw_client *c, size_t want, int ms) {
    nodes_seen s = {c, want, 0};
    tu_wait_until(sees_nodes, &s, ms);
    return s.n;
}

typedef struct tends_seen {
    aw_client *c;
    uint64_t want;
} tends_seen;

static bool tends_reached(void *arg) {
    tends_seen *s = arg;
    return tu_stats(s->c).tends >= s->want;
}

bool tu_wait_tends(aw_client *c, uint64_t n, int ms) {
    tends_seen s = {c, tu_stats(c).tends + n};
    return tu_wait_until(tends_reached, &s, ms);
}

typedef struct map_seen {
    aw_client *c;
    uint64_t before;
} map_seen;

static bool map_updated(void *arg) {
    map_seen *s = arg;
    return tu_stats(s->c).map_updates > s->before;
}

bool tu_wait_map_update(aw_client *c, uint64_t before, int ms) {
    map_seen s = {c, before};
    return tu_wait_until(map_updated, &s, ms);
}

typedef struct master_seen {
    aw_client *c;
    const aw_key *key;
    char want[32]; /* "" for no node */
} master_seen;

static bool routes_to(void *arg) {
    master_seen *m = arg;
    aw_cluster_view *v = aw_cluster_view_acquire(m->c->cluster);
    aw_policy pol = aw_policy_write();
    aw_node *n = aw_cmd_route(v, m->key, &pol, true, 0, NULL);
    bool there = n ? strcmp(n->addr_str, m->want) == 0 : m->want[0] == '\0';
    aw_cluster_view_release(v);
    return there;
}

bool tu_wait_master(aw_client *c, const tu_testd *t, const aw_key *key, int node, int ms) {
    master_seen m = {c, key, ""};
    if (node >= 0)
        snprintf(m.want, sizeof m.want, "127.0.0.1:%u", t->ports[node]);
    return tu_wait_until(routes_to, &m, ms);
}

/* --- libevent ------------------------------------------------------------------------ */

int tu_libevent_open(aw_client *c, struct event_base **base, aw_loop **loop) {
    aw_error err;
    *base = event_base_new();
    return *base && aw_libevent_attach(c, *base, loop, &err) == AW_OK ? 0 : -1;
}

void tu_libevent_close(aw_client **c, struct event_base **base, aw_loop **loop) {
    aw_client_close(*c);
    if (*base)
        event_base_free(*base);
    *c = NULL;
    *base = NULL;
    *loop = NULL;
}

void tu_run_until_at(const char *file, int line, struct event_base *b, int *count, int ms) {
    uint64_t end = tu_now_ms() + (uint64_t)ms;
    while (*count > 0 && tu_now_ms() < end)
        event_base_loop(b, EVLOOP_ONCE);
    if (*count > 0)
        tu_fail_at(file, line, "%d callbacks still due after %d ms", *count, ms);
}
