/*
 * Node lifetime (reference counted, slot numbered) and the per-node sync
 * connection pool: a LIFO stack of idle sockets under a mutex, with waiters
 * on a condition variable that runs on the monotonic clock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cluster_internal.h"
#include "proto/mem.h"

void aw_node_count_open(aw_node *n) {
    atomic_fetch_add_explicit(&n->cluster->counters.conns_opened, 1, memory_order_relaxed);
    aw_mblock_conn_opened(n->m);
}

void aw_node_close_sock(aw_node *n, aw_sock *s, aw_close_reason why) {
    if (s->fd < 0)
        return;
    aw_sock_close(s);
    atomic_fetch_add_explicit(&n->cluster->counters.conns_closed, 1, memory_order_relaxed);
    aw_mblock_conn_closed(n->m, why);
}

int aw_cluster_connect(aw_cluster *c, const aw_sockaddr *addr, const char *tls_name,
                       uint64_t deadline_ms, aw_sock *s, aw_error *err) {
    *s = aw_sock_none();
    int rc = aw_net_connect(addr, deadline_ms, &s->fd, err);
    if (rc != AW_OK || !c->tls)
        return rc;
    char where[64];
    aw_net_addr_str(addr, where, sizeof where);
    rc = aw_tls_attach(c->tls, s, tls_name, err);
    if (rc == AW_OK)
        rc = aw_tls_handshake_until(s, where, tls_name, deadline_ms, err);
    if (rc != AW_OK)
        aw_sock_close(s);
    return rc;
}

aw_node *aw_node_new(aw_cluster *c, const char *name, const aw_host *host, const aw_sockaddr *addr,
                     uint32_t features, aw_sock tend, aw_error *err) {
    aw_node *n = aw_calloc(1, sizeof *n);
    uint32_t max = c->cfg.max_conns_per_node; /* defaults filled in by aw_cluster_new */
    if (n) {
        n->pool_socks = aw_calloc(max, sizeof *n->pool_socks);
        n->pool_idle_since = aw_calloc(max, sizeof *n->pool_idle_since);
    }
    if (!n || !n->pool_socks || !n->pool_idle_since || !aw_cluster_slot_take(c, &n->slot)) {
        if (n) {
            aw_free(n->pool_socks);
            aw_free(n->pool_idle_since);
            aw_free(n);
        }
        aw_error_set(err, AW_ERR_NOMEM, "no memory for node %s", name);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->pool_cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&n->pool_lock, NULL);
    aw_session_init(&n->session);

    atomic_init(&n->refs, 1);
    snprintf(n->name, sizeof n->name, "%s", name);
    n->host = *host;
    n->addr = *addr;
    aw_net_addr_str(addr, n->addr_str, sizeof n->addr_str);
    n->features = features;
    atomic_init(&n->active, true);
    atomic_init(&n->errors, 0);
    atomic_init(&n->max_errors, c->cfg.max_error_rate);
    atomic_init(&n->probe_ms, 0);
    atomic_init(&n->window_ms, aw_now_ms());
    n->pool_max = max;
    n->tend_sock = tend;
    n->partition_gen = -2;
    n->peers_gen = -2;
    n->cluster = c;
    n->ua_pending = true;
    n->m = aw_cluster_mblock_attach(c, n);
    if (!n->m) /* still counted, in the client's totals */
        n->m = aw_cluster_unrouted(c);
    aw_cluster_mem_retain(c);
    return n;
}

void aw_node_connect_done(aw_node *n, uint64_t started_ns) {
    aw_hist_add(&n->m->phase[AW_MP_CONNECT], aw_metrics_now_ns() - started_ns);
}

bool aw_node_take_probe(aw_node *n) {
    uint64_t now = aw_now_ms();
    uint64_t last = atomic_load_explicit(&n->probe_ms, memory_order_relaxed);
    if (now < last + AW_NODE_PROBE_MS)
        return false;
    /* One of the threads racing here wins the probe. */
    return atomic_compare_exchange_strong_explicit(&n->probe_ms, &last, now,
                                                   memory_order_relaxed, memory_order_relaxed);
}

void aw_node_recovered(aw_node *n) {
    /* Back at its full threshold too: halved ones (from the windows of the
     * outage) would trip again on the first few stragglers of the outage
     * (connections it left half-open) and keep the node flapping. */
    atomic_store_explicit(&n->max_errors, n->cluster->cfg.max_error_rate, memory_order_relaxed);
    atomic_store_explicit(&n->errors, 0, memory_order_relaxed);
}

void aw_node_add_error(aw_node *n) {
    const aw_cluster_config *cfg = &n->cluster->cfg;
    uint64_t span = (uint64_t)cfg->error_rate_window * cfg->tend_interval_ms;
    uint64_t now = aw_now_ms(), began = atomic_load_explicit(&n->window_ms, memory_order_relaxed);
    /* One of the threads racing past the window's end ends it. */
    if (span && now >= began + span &&
        atomic_compare_exchange_strong_explicit(&n->window_ms, &began, now, memory_order_relaxed,
                                                memory_order_relaxed))
        aw_node_error_window_end(n, cfg->max_error_rate);
    atomic_fetch_add_explicit(&n->errors, 1, memory_order_relaxed);
}

void aw_node_error_window_end(aw_node *n, uint32_t cap) {
    atomic_store_explicit(&n->window_ms, aw_now_ms(), memory_order_relaxed);
    unsigned errors = atomic_exchange_explicit(&n->errors, 0, memory_order_relaxed);
    unsigned max = atomic_load_explicit(&n->max_errors, memory_order_relaxed);
    if (cap == 0)
        max = 0;
    else if (max && errors > max)
        max = max >= 4 ? max / 2 : 1;
    else
        max = max == 0 || max > cap / 2 ? cap : max * 2;
    atomic_store_explicit(&n->max_errors, max, memory_order_relaxed);
}

void aw_node_retain(aw_node *n) { atomic_fetch_add_explicit(&n->refs, 1, memory_order_relaxed); }

void aw_node_release(aw_node *n) {
    if (!n || atomic_fetch_sub_explicit(&n->refs, 1, memory_order_acq_rel) != 1)
        return;
    aw_cluster *c = n->cluster;
    for (uint32_t i = 0; i < n->pool_n_idle; i++)
        aw_node_close_sock(n, &n->pool_socks[i], AW_CLOSE_SHUTDOWN);
    aw_node_close_sock(n, &n->tend_sock, AW_CLOSE_SHUTDOWN);
    aw_cluster_mblock_detach(c, n);
    pthread_mutex_destroy(&n->pool_lock);
    aw_session_destroy(&n->session);
    pthread_cond_destroy(&n->pool_cond);
    aw_free(n->pool_socks);
    aw_free(n->pool_idle_since);
    uint32_t slot = n->slot;
    aw_free(n);
    /* The slot is free for a new node only now that this one is gone. */
    aw_cluster_slot_give(c, slot);
    aw_cluster_mem_release(c);
}

void aw_node_deactivate(aw_node *n) {
    aw_sock socks[64];
    atomic_store_explicit(&n->active, false, memory_order_release);
    pthread_mutex_lock(&n->pool_lock);
    pthread_cond_broadcast(&n->pool_cond);
    for (;;) {
        uint32_t k = 0;
        while (n->pool_n_idle > 0 && k < 64) {
            socks[k++] = n->pool_socks[--n->pool_n_idle];
            n->pool_n_open--;
        }
        pthread_mutex_unlock(&n->pool_lock);
        for (uint32_t i = 0; i < k; i++)
            aw_node_close_sock(n, &socks[i], AW_CLOSE_NODE_LEFT);
        if (k < 64)
            return;
        pthread_mutex_lock(&n->pool_lock);
    }
}

void aw_node_pool_reap(aw_node *n, uint32_t idle_ms, uint64_t now_ms, uint32_t keep) {
    aw_sock socks[64];
    uint32_t k = 0;
    pthread_mutex_lock(&n->pool_lock);
    /* The stack's bottom holds the longest idle; keep the rest in order. */
    uint32_t old = 0;
    while (old < n->pool_n_idle && old < 64 && n->pool_idle_since[old] + idle_ms < now_ms &&
           n->pool_n_open - old > keep)
        socks[k++] = n->pool_socks[old++];
    if (old > 0) {
        n->pool_n_idle -= old;
        n->pool_n_open -= old;
        memmove(n->pool_socks, n->pool_socks + old, n->pool_n_idle * sizeof *n->pool_socks);
        memmove(n->pool_idle_since, n->pool_idle_since + old,
                n->pool_n_idle * sizeof *n->pool_idle_since);
        pthread_cond_broadcast(&n->pool_cond); /* room to open fresh ones */
    }
    pthread_mutex_unlock(&n->pool_lock);
    for (uint32_t i = 0; i < k; i++)
        aw_node_close_sock(n, &socks[i], AW_CLOSE_IDLE);
}

static int inactive_error(const aw_node *n, aw_error *err) {
    return aw_error_set(err, AW_ERR_INVALID_NODE, "node %s (%s) has left the cluster", n->name,
                        n->addr_str);
}

/* Opens a new pooled connection; the caller has already counted it in pool_n_open. */
static int open_conn(aw_node *n, uint64_t deadline_ms, aw_sock *s, aw_error *err) {
    uint64_t dl = aw_now_ms() + n->cluster->cfg.connect_timeout_ms;
    if (deadline_ms && deadline_ms < dl)
        dl = deadline_ms;
    /* The connect phase covers the TLS handshake and the login too. */
    uint64_t t0 = aw_metrics_now_ns();
    int rc = aw_cluster_connect(n->cluster, &n->addr, aw_node_tls_name(n), dl, s, err);
    if (rc != AW_OK)
        return rc;
    aw_node_count_open(n);
    rc = aw_login_sync(aw_cluster_login(n->cluster), &n->session, s, dl, n->addr_str, err);
    if (rc != AW_OK) {
        aw_node_close_sock(n, s, AW_CLOSE_ERROR);
        return rc;
    }
    aw_node_connect_done(n, t0);
    return AW_OK;
}

/* Through open_conn, as a command's sockets are opened. */
void aw_node_pool_fill(aw_node *n, uint32_t min) {
    if (min > n->pool_max)
        min = n->pool_max;
    for (;;) {
        pthread_mutex_lock(&n->pool_lock);
        if (!aw_node_is_active(n) || n->pool_n_open >= min) {
            pthread_mutex_unlock(&n->pool_lock);
            return;
        }
        n->pool_n_open++;
        pthread_mutex_unlock(&n->pool_lock);
        aw_sock s;
        aw_error e;
        if (open_conn(n, 0, &s, &e) != AW_OK) {
            pthread_mutex_lock(&n->pool_lock);
            n->pool_n_open--;
            pthread_mutex_unlock(&n->pool_lock);
            aw_node_add_error(n);
            return; /* the next round tries again */
        }
        aw_node_conn_put(n, &s, true);
    }
}

/* Waits on pool_cond (held) until deadline_ms; false when it passed. */
static bool pool_wait(aw_node *n, uint64_t deadline_ms) {
    if (deadline_ms == 0) {
        pthread_cond_wait(&n->pool_cond, &n->pool_lock);
        return true;
    }
    if (aw_now_ms() >= deadline_ms)
        return false;
    struct timespec ts = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};
    return pthread_cond_timedwait(&n->pool_cond, &n->pool_lock, &ts) != ETIMEDOUT ||
           aw_now_ms() < deadline_ms;
}

int aw_node_conn_get(aw_node *n, uint64_t deadline_ms, bool wait, aw_sock *out, aw_error *err) {
    *out = aw_sock_none();
    pthread_mutex_lock(&n->pool_lock);
    for (;;) {
        if (!aw_node_is_active(n)) {
            pthread_mutex_unlock(&n->pool_lock);
            return inactive_error(n, err);
        }
        if (n->pool_n_idle > 0) {
            aw_sock s = n->pool_socks[--n->pool_n_idle];
            pthread_mutex_unlock(&n->pool_lock);
            if (aw_net_idle_ok(&s)) {
                *out = s;
                return AW_OK;
            }
            /* Closed by the server (or holding stray bytes) while idle. */
            aw_node_close_sock(n, &s, AW_CLOSE_IDLE);
            pthread_mutex_lock(&n->pool_lock);
            n->pool_n_open--;
            continue;
        }
        if (n->pool_n_open < n->pool_max) {
            n->pool_n_open++;
            pthread_mutex_unlock(&n->pool_lock);
            int rc = open_conn(n, deadline_ms, out, err);
            if (rc != AW_OK) {
                pthread_mutex_lock(&n->pool_lock);
                n->pool_n_open--;
                pthread_cond_signal(&n->pool_cond); /* a waiter may try instead */
                pthread_mutex_unlock(&n->pool_lock);
            }
            return rc;
        }
        if (!wait) {
            pthread_mutex_unlock(&n->pool_lock);
            return aw_error_set(err, AW_ERR_NO_MORE_CONNECTIONS,
                                "all %u connections to node %s (%s) are in use", n->pool_max,
                                n->name, n->addr_str);
        }
        if (!pool_wait(n, deadline_ms)) {
            pthread_mutex_unlock(&n->pool_lock);
            return aw_error_set(err, AW_ERR_TIMEOUT,
                                "timed out waiting for a free connection to node %s (%s), "
                                "all %u in use",
                                n->name, n->addr_str, n->pool_max);
        }
    }
}

void aw_node_conn_put(aw_node *n, aw_sock *s, bool reusable) {
    if (s->fd < 0)
        return;
    pthread_mutex_lock(&n->pool_lock);
    if (reusable && aw_node_is_active(n) && n->pool_n_idle < n->pool_max) {
        n->pool_idle_since[n->pool_n_idle] = aw_now_ms();
        n->pool_socks[n->pool_n_idle++] = *s;
        *s = aw_sock_none();
    } else {
        n->pool_n_open--;
    }
    pthread_cond_signal(&n->pool_cond);
    pthread_mutex_unlock(&n->pool_lock);
    aw_node_close_sock(n, s,
                       !reusable                ? AW_CLOSE_ERROR
                       : aw_node_is_active(n)   ? AW_CLOSE_SHUTDOWN
                                                : AW_CLOSE_NODE_LEFT);
}
