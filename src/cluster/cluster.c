/*
 * The cluster object: configuration, node slots, published views, the tend
 * thread's life, and info requests on the sync pool. One tend round itself
 * is in tend.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cluster_internal.h"
#include "partition_map.h"
#include "racks.h"
#include "proto/errno_text.h"
#include "proto/frame.h"
#include "proto/mem.h"

/* The official client's defaults for fields left at 0. */
#define DEFAULT_CONNECT_TIMEOUT_MS 1000
#define DEFAULT_TEND_INTERVAL_MS 1000
#define DEFAULT_MAX_CONNS 100

/* --- memory and slots ------------------------------------------------------- */

void aw_cluster_mem_retain(aw_cluster *c) {
    atomic_fetch_add_explicit(&c->mem_refs, 1, memory_order_relaxed);
}

void aw_cluster_mem_release(aw_cluster *c) {
    if (atomic_fetch_sub_explicit(&c->mem_refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&c->slot_lock);
    pthread_mutex_destroy(&c->metrics_lock);
    while (c->mblocks) {
        aw_mblock *b = c->mblocks;
        c->mblocks = b->next;
        aw_free(b);
    }
    aw_free(c->user_agent_b64);
    pthread_mutex_destroy(&c->view_lock);
    pthread_mutex_destroy(&c->tend_lock);
    pthread_cond_destroy(&c->tend_cond);
    if (c->login)
        aw_login_creds_destroy(c->login);
    aw_free(c->slot_used);
    /* Here, not in aw_cluster_free: sessions of nodes still held use it. */
    aw_tls_ctx_free(c->tls);
    aw_free(c);
}

bool aw_cluster_slot_take(aw_cluster *c, uint32_t *slot) {
    pthread_mutex_lock(&c->slot_lock);
    uint32_t i = 0;
    while (i < c->slot_cap && c->slot_used[i])
        i++;
    if (i == c->slot_cap) {
        uint32_t cap = c->slot_cap ? c->slot_cap * 2 : 16;
        bool *grown = aw_realloc(c->slot_used, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&c->slot_lock);
            return false;
        }
        memset(grown + c->slot_cap, 0, (cap - c->slot_cap) * sizeof *grown);
        c->slot_used = grown;
        c->slot_cap = cap;
    }
    c->slot_used[i] = true;
    pthread_mutex_unlock(&c->slot_lock);
    *slot = i;
    return true;
}

void aw_cluster_slot_give(aw_cluster *c, uint32_t slot) {
    pthread_mutex_lock(&c->slot_lock);
    if (slot < c->slot_cap)
        c->slot_used[slot] = false;
    pthread_mutex_unlock(&c->slot_lock);
}

/* --- views -------------------------------------------------------------------- */

static void view_free(aw_cluster_view *v) {
    for (size_t i = 0; i < v->n_nodes; i++)
        aw_node_release(v->nodes[i]);
    aw_free(v->nodes);
    aw_pmap_free(v->tables, v->n_tables);
    aw_free(v->rack_ids);
    aw_free(v);
}

void aw_cluster_view_release(aw_cluster_view *v) {
    if (v && atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1)
        view_free(v);
}

aw_cluster_view *aw_cluster_view_acquire(aw_cluster *c) {
    pthread_mutex_lock(&c->view_lock);
    aw_cluster_view *v = c->view;
    atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&c->view_lock);
    return v;
}

uint64_t aw_cluster_view_version(const aw_cluster *c) {
    return atomic_load_explicit(&c->view_version, memory_order_acquire);
}

/* Swaps v in as the current view and drops the cluster's hold on the old one. */
static void view_swap(aw_cluster *c, aw_cluster_view *v) {
    pthread_mutex_lock(&c->view_lock);
    aw_cluster_view *old = c->view;
    v->version = atomic_load_explicit(&c->view_version, memory_order_relaxed) + 1;
    c->view = v;
    atomic_store_explicit(&c->view_version, v->version, memory_order_release);
    pthread_mutex_unlock(&c->view_lock);
    aw_cluster_view_release(old);
}

/* The members' racks into v's tables, and the client's rack list. */
static int publish_racks(aw_cluster *c, aw_cluster_view *v, aw_error *err) {
    size_t n = c->cfg.n_rack_ids;
    v->rack_ids = aw_malloc((n ? n : 1) * sizeof *v->rack_ids);
    aw_racks_source *src = aw_calloc(c->n_members ? c->n_members : 1, sizeof *src);
    if (!v->rack_ids || !src) {
        aw_free(src);
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for rack tables");
    }
    if (n)
        memcpy(v->rack_ids, c->cfg.rack_ids, n * sizeof *v->rack_ids);
    v->n_rack_ids = n;
    for (size_t i = 0; i < c->n_members; i++)
        src[i] = (aw_racks_source){c->members[i].node, c->members[i].racks,
                                   c->members[i].n_racks};
    int rc = aw_racks_attach(v->tables, v->n_tables, src, c->n_members, err);
    aw_free(src);
    return rc;
}

int aw_cluster_publish(aw_cluster *c, aw_error *err) {
    aw_cluster_view *v = aw_calloc(1, sizeof *v);
    aw_pmap_source *src = aw_calloc(c->n_members ? c->n_members : 1, sizeof *src);
    if (v)
        v->nodes = aw_calloc(c->n_members ? c->n_members : 1, sizeof *v->nodes);
    if (!v || !v->nodes || !src) {
        if (v)
            aw_free(v->nodes);
        aw_free(v);
        aw_free(src);
        c->republish = true;
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a cluster view");
    }
    size_t n_src = 0;
    for (size_t i = 0; i < c->n_members; i++) {
        const aw_member *m = &c->members[i];
        if (m->n_maps)
            src[n_src++] = (aw_pmap_source){m->node, m->maps, m->n_maps, m->map_seq};
    }
    int rc = aw_pmap_build(src, n_src, &v->tables, &v->n_tables, err);
    aw_free(src);
    if (rc == AW_OK && c->cfg.rack_aware)
        rc = publish_racks(c, v, err);
    if (rc != AW_OK) {
        aw_pmap_free(v->tables, v->n_tables);
        aw_free(v->rack_ids);
        aw_free(v->nodes);
        aw_free(v);
        c->republish = true;
        return rc;
    }
    for (size_t i = 0; i < c->n_members; i++) {
        v->nodes[i] = c->members[i].node;
        aw_node_retain(v->nodes[i]);
    }
    v->n_nodes = c->n_members;
    atomic_init(&v->refs, 1);
    c->republish = false;
    view_swap(c, v);
    return AW_OK;
}

const aw_partition_table *aw_view_table(const aw_cluster_view *v, const char *ns) {
    for (size_t i = 0; i < v->n_tables; i++)
        if (strcmp(v->tables[i]->ns, ns) == 0)
            return v->tables[i];
    return NULL;
}

aw_node *aw_view_find_node(const aw_cluster_view *v, const char *name_or_addr) {
    for (size_t i = 0; i < v->n_nodes; i++)
        if (strcmp(v->nodes[i]->name, name_or_addr) == 0 ||
            strcmp(v->nodes[i]->addr_str, name_or_addr) == 0)
            return v->nodes[i];
    return NULL;
}

/* --- the tend thread ------------------------------------------------------------ */

static void *tend_main(void *arg) {
    aw_cluster *c = arg;
    pthread_mutex_lock(&c->tend_lock);
    while (!c->stop) {
        uint64_t due = aw_now_ms() + c->cfg.tend_interval_ms;
        struct timespec ts = {(time_t)(due / 1000), (long)(due % 1000) * 1000000L};
        while (!c->stop && !c->wake && aw_now_ms() < due)
            pthread_cond_timedwait(&c->tend_cond, &c->tend_lock, &ts);
        if (c->stop)
            break;
        c->wake = false;
        pthread_mutex_unlock(&c->tend_lock);
        aw_cluster_tend_round(c, NULL);
        pthread_mutex_lock(&c->tend_lock);
    }
    pthread_mutex_unlock(&c->tend_lock);
    return NULL;
}

void aw_cluster_tend_now(aw_cluster *c) {
    pthread_mutex_lock(&c->tend_lock);
    c->wake = true;
    pthread_cond_signal(&c->tend_cond);
    pthread_mutex_unlock(&c->tend_lock);
}

/* --- life ------------------------------------------------------------------------ */

static int copy_config(aw_cluster *c, const aw_cluster_config *cfg, aw_error *err) {
    c->cfg = *cfg;
    if (!c->cfg.connect_timeout_ms)
        c->cfg.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    if (!c->cfg.tend_interval_ms)
        c->cfg.tend_interval_ms = DEFAULT_TEND_INTERVAL_MS;
    if (!c->cfg.max_conns_per_node)
        c->cfg.max_conns_per_node = DEFAULT_MAX_CONNS;
    if (!c->cfg.error_rate_window)
        c->cfg.error_rate_window = 1;
    c->cfg.user_agent_b64 = NULL;
    if (cfg->user_agent_b64) {
        c->user_agent_b64 = aw_strndup(cfg->user_agent_b64, strlen(cfg->user_agent_b64));
        if (!c->user_agent_b64)
            return aw_error_set(err, AW_ERR_NOMEM, "no memory for the user agent");
        c->cfg.user_agent_b64 = c->user_agent_b64;
    }
    c->seeds = aw_calloc(cfg->n_seeds, sizeof *c->seeds);
    if (!c->seeds)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the seed list");
    memcpy(c->seeds, cfg->seeds, cfg->n_seeds * sizeof *c->seeds);
    c->cfg.seeds = c->seeds;
    c->cfg.cluster_name = NULL;
    if (cfg->cluster_name && cfg->cluster_name[0]) {
        c->cluster_name = aw_strndup(cfg->cluster_name, strlen(cfg->cluster_name));
        if (!c->cluster_name)
            return aw_error_set(err, AW_ERR_NOMEM, "no memory for the cluster name");
        c->cfg.cluster_name = c->cluster_name;
    }
    c->cfg.rack_ids = NULL;
    c->cfg.n_rack_ids = 0;
    if (cfg->rack_aware && cfg->n_rack_ids) {
        c->rack_ids = aw_malloc(cfg->n_rack_ids * sizeof *c->rack_ids);
        if (!c->rack_ids)
            return aw_error_set(err, AW_ERR_NOMEM, "no memory for the rack list");
        memcpy(c->rack_ids, cfg->rack_ids, cfg->n_rack_ids * sizeof *c->rack_ids);
        c->cfg.rack_ids = c->rack_ids;
        c->cfg.n_rack_ids = cfg->n_rack_ids;
    }
    c->cfg.user = c->cfg.password = NULL; /* kept in login_store only */
    if ((cfg->user && cfg->user[0]) || cfg->auth_mode == AW_LOGIN_PKI) {
        int rc = aw_login_creds_init(&c->login_store, cfg->auth_mode, cfg->user, cfg->password,
                                     err);
        if (rc != AW_OK)
            return rc;
        c->login = &c->login_store;
    } else if (cfg->password && cfg->password[0]) {
        return aw_error_set(err, AW_ERR_PARAM, "a password was given without a user");
    }
    c->cfg.tls = NULL; /* the caller's: only the context built from it is kept */
    if (cfg->tls && cfg->tls->enable)
        return aw_tls_ctx_new(cfg->tls, &c->tls, err);
    return AW_OK;
}

static aw_cluster *cluster_alloc(void) {
    aw_cluster *c = aw_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    atomic_init(&c->mem_refs, 1);
    atomic_init(&c->view_version, 0);
    atomic_init(&c->stopping, false);
    pthread_mutex_init(&c->slot_lock, NULL);
    pthread_mutex_init(&c->metrics_lock, NULL);
    pthread_mutex_init(&c->view_lock, NULL);
    pthread_mutex_init(&c->tend_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->tend_cond, &ca);
    pthread_condattr_destroy(&ca);
    return c;
}

int aw_cluster_new(aw_cluster **out, const aw_cluster_config *cfg, aw_error *err) {
    *out = NULL;
    if (!cfg || !cfg->seeds || cfg->n_seeds == 0)
        return aw_error_set(err, AW_ERR_PARAM, "no seed hosts given");
    aw_cluster *c = cluster_alloc();
    if (!c)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the cluster");
    int rc = copy_config(c, cfg, err);
    if (rc == AW_OK) {
        /* Readers always find a view, empty until a node answers. */
        c->view = aw_calloc(1, sizeof *c->view);
        if (!c->view) {
            rc = aw_error_set(err, AW_ERR_NOMEM, "no memory for the cluster view");
        } else {
            atomic_init(&c->view->refs, 1);
            c->view->version = 1;
            atomic_store(&c->view_version, 1);
        }
    }
    if (rc != AW_OK) {
        aw_cluster_free(c);
        return rc;
    }

    aw_error first;
    aw_error_reset(&first);
    aw_cluster_tend_round(c, &first);
    if (first.code == AW_ERR_NOMEM || (c->n_members == 0 && cfg->fail_if_not_connected)) {
        if (first.code == AW_OK)
            aw_error_set(&first, AW_ERR_CONNECTION, "no seed answered");
        if (err)
            *err = first;
        rc = first.code;
        aw_cluster_free(c);
        return rc;
    }

    int prc = pthread_create(&c->thread, NULL, tend_main, c);
    if (prc != 0) { /* pthread_create answers its error; errno is not set */
        aw_cluster_free(c);
        return aw_error_set(err, AW_ERR_CLIENT, "cannot start the tend thread: %s",
                            aw_errno_str(prc));
    }
    c->thread_started = true;
    *out = c;
    return AW_OK;
}

void aw_cluster_free(aw_cluster *c) {
    if (!c)
        return;
    if (c->thread_started) {
        pthread_mutex_lock(&c->tend_lock);
        c->stop = true;
        atomic_store(&c->stopping, true);
        pthread_cond_signal(&c->tend_cond);
        pthread_mutex_unlock(&c->tend_lock);
        pthread_join(c->thread, NULL);
    }
    /* Holders of nodes see them inactive from here on and let go. */
    for (size_t i = 0; i < c->n_members; i++) {
        aw_node *n = c->members[i].node;
        aw_node_deactivate(n);
        aw_free(c->members[i].maps);
        aw_free(c->members[i].racks);
        aw_node_release(n);
    }
    aw_free(c->members);
    pthread_mutex_lock(&c->view_lock);
    aw_cluster_view *v = c->view;
    c->view = NULL;
    pthread_mutex_unlock(&c->view_lock);
    aw_cluster_view_release(v);
    aw_free(c->seeds);
    aw_free(c->cluster_name);
    aw_free(c->rack_ids);
    c->rack_ids = NULL;
    c->cfg.rack_ids = NULL;
    c->seeds = NULL;
    c->cluster_name = NULL;
    c->cfg.seeds = NULL;
    c->cfg.cluster_name = NULL;
    aw_cluster_mem_release(c);
}

/* --- accessors and info ------------------------------------------------------------ */

aw_cluster_counters *aw_cluster_counters_of(aw_cluster *c) { return &c->counters; }

const aw_cluster_config *aw_cluster_config_of(const aw_cluster *c) { return &c->cfg; }

aw_tls_ctx *aw_cluster_tls(const aw_cluster *c) { return c->tls; }
aw_login_creds *aw_cluster_login(aw_cluster *c) { return c->login; }

/* Names the node in front of err's message, unless it already does. */
static int on_node(const aw_node *n, int rc, aw_error *err) {
    if (rc != AW_OK && err && !strstr(err->message, n->name)) {
        char msg[AW_ERROR_MSG_SIZE];
        snprintf(msg, sizeof msg, "%s", err->message);
        aw_error_set(err, rc, "info to node %s (%s): %s", n->name, n->addr_str, msg);
    }
    return rc;
}

int aw_cluster_info(aw_cluster *c, aw_node *n, const char *request, uint64_t deadline_ms,
                    char **reply, aw_error *err) {
    *reply = NULL;
    if (!request || !request[0])
        return aw_error_set(err, AW_ERR_PARAM, "empty info request");
    if (deadline_ms == 0)
        deadline_ms = aw_now_ms() + c->cfg.connect_timeout_ms;
    aw_sock s;
    int rc = aw_node_conn_get(n, deadline_ms, true, &s, err);
    if (rc != AW_OK)
        return on_node(n, rc, err);
    aw_buf body;
    aw_buf_init(&body);
    rc = aw_info_exchange(&s, request, AW_PROTO_SIZE_MAX, &body, deadline_ms, err);
    /* After a failure the stream may still carry the late reply: never reuse it. */
    aw_node_conn_put(n, &s, rc == AW_OK);
    if (rc == AW_OK) {
        *reply = aw_strndup(body.data ? (const char *)body.data : "", body.len);
        if (!*reply)
            rc = aw_error_set(err, AW_ERR_NOMEM, "no memory for the info reply");
    }
    aw_buf_free(&body);
    return on_node(n, rc, err);
}
