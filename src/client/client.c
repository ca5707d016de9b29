/*
 * The client object: configuration checks and copies, the cluster, close,
 * and the introspection calls.
 */
#include <string.h>

#include "client_impl.h"
#include "batch_plan.h"
#include "hosts.h"
#include "policy_check.h"
#include "proto/mem.h"

/* Zero means "the default" for sizes and periods, so a config built by hand
 * (or partly filled) still gets working values; see aw_config in client.h. */
static void fill_defaults(aw_config *c) {
    aw_config d;
    aw_config_init(&d);
    if (c->connect_timeout_ms == 0)
        c->connect_timeout_ms = d.connect_timeout_ms;
    if (c->tend_interval_ms == 0)
        c->tend_interval_ms = d.tend_interval_ms;
    if (c->max_conns_per_node == 0)
        c->max_conns_per_node = d.max_conns_per_node;
    if (c->async_max_conns_per_node == 0)
        c->async_max_conns_per_node = d.async_max_conns_per_node;
    if (c->pipeline_depth == 0)
        c->pipeline_depth = d.pipeline_depth;
    if (c->idle_timeout_ms == 0)
        c->idle_timeout_ms = d.idle_timeout_ms;
    if (c->error_rate_window == 0)
        c->error_rate_window = d.error_rate_window;
}

static int copy_config(aw_client *c, const aw_config *cfg, aw_error *err) {
    if (cfg->n_rack_ids && !cfg->rack_ids)
        return aw_error_set(err, AW_ERR_PARAM, "config: n_rack_ids is %zu but rack_ids is NULL",
                            cfg->n_rack_ids);
    int rc = aw_policy_check(&cfg->read_policy, "config read_policy", err);
    if (rc == AW_OK)
        rc = aw_policy_check(&cfg->write_policy, "config write_policy", err);
    if (rc != AW_OK)
        return rc;
    c->cfg = *cfg;
    fill_defaults(&c->cfg);
    if (c->cfg.min_conns_per_node > c->cfg.max_conns_per_node ||
        c->cfg.async_min_conns_per_node > c->cfg.async_max_conns_per_node)
        return aw_error_set(err, AW_ERR_PARAM,
                            "config: min_conns_per_node %u / async_min_conns_per_node %u over "
                            "the maximum %u / %u",
                            c->cfg.min_conns_per_node, c->cfg.async_min_conns_per_node,
                            c->cfg.max_conns_per_node, c->cfg.async_max_conns_per_node);
    c->hosts_copy = aw_strndup(cfg->hosts, strlen(cfg->hosts));
    if (cfg->cluster_name && cfg->cluster_name[0])
        c->cluster_name_copy = aw_strndup(cfg->cluster_name, strlen(cfg->cluster_name));
    if (!c->hosts_copy || (cfg->cluster_name && cfg->cluster_name[0] && !c->cluster_name_copy))
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory copying the configuration");
    c->cfg.hosts = c->hosts_copy;
    c->cfg.cluster_name = c->cluster_name_copy;
    /* Borrowed pointers are not kept: what they say is copied here. */
    c->cfg.app_id = NULL;
    c->cfg.trace = NULL;
    c->metrics_on = cfg->metrics_enabled;
    if (cfg->trace) {
        c->trace = *cfg->trace;
        c->tracing = c->trace.begin || c->trace.end;
    }
    c->cfg.user = c->cfg.password = NULL; /* the cluster keeps the credentials */
    return aw_auth_check_config(cfg, err);
}

static int start_cluster(aw_client *c, const aw_config *cfg, aw_error *err) {
    aw_host *seeds = NULL;
    size_t n_seeds = 0;
    char *agent = NULL;
    int rc = aw_client_user_agent(cfg->app_id, &agent, err);
    if (rc != AW_OK)
        return rc;
    rc = aw_hosts_parse(c->cfg.hosts, AW_DEFAULT_PORT, &seeds, &n_seeds, err);
    if (rc != AW_OK) {
        aw_free(agent);
        return rc;
    }
    aw_cluster_config cc = {
        .seeds = seeds,
        .n_seeds = n_seeds,
        .cluster_name = c->cfg.cluster_name,
        .connect_timeout_ms = c->cfg.connect_timeout_ms,
        .tend_interval_ms = c->cfg.tend_interval_ms,
        .max_conns_per_node = c->cfg.max_conns_per_node,
        .min_conns_per_node = c->cfg.min_conns_per_node,
        .idle_timeout_ms = c->cfg.idle_timeout_ms,
        .max_error_rate = c->cfg.max_error_rate,
        .error_rate_window = c->cfg.error_rate_window,
        .fail_if_not_connected = c->cfg.fail_if_not_connected,
        .tls = &c->cfg.tls,
        .user_agent_b64 = agent,
        .on_tend = c->cfg.metrics_cb ? aw_client_on_tend : NULL,
        .on_tend_udata = c,
        .rack_aware = c->cfg.rack_aware,
        /* rack_id alone is a list of one */
        .rack_ids = c->cfg.n_rack_ids ? c->cfg.rack_ids : &c->cfg.rack_id,
        .n_rack_ids = c->cfg.n_rack_ids ? c->cfg.n_rack_ids : 1,
        .auth_mode = (int)cfg->auth_mode,
        .user = cfg->user,
        .password = cfg->password,
    };
    rc = aw_cluster_new(&c->cluster, &cc, err);
    aw_free(seeds); /* the cluster keeps its own copies */
    aw_free(agent);
    /* The TLS context is built; the caller's strings are not kept. */
    c->cfg.tls = (aw_tls_config){.enable = c->cfg.tls.enable};
    return rc;
}

int aw_client_new(aw_client **out, const aw_config *cfg, aw_error *err) {
    if (!out || !cfg)
        return aw_error_set(err, AW_ERR_PARAM, "aw_client_new: %s is NULL", out ? "cfg" : "out");
    if (!cfg->hosts)
        return aw_error_set(err, AW_ERR_PARAM, "aw_client_new: cfg->hosts is NULL");
    aw_client *c = aw_calloc(1, sizeof *c);
    if (!c)
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for the client");
    if (pthread_mutex_init(&c->loops_lock, NULL) != 0) {
        aw_free(c);
        return aw_error_set(err, AW_ERR_CLIENT, "cannot create the client's mutex");
    }
    if (pthread_mutex_init(&c->spare_lock, NULL) != 0) {
        pthread_mutex_destroy(&c->loops_lock);
        aw_free(c);
        return aw_error_set(err, AW_ERR_CLIENT, "cannot create the client's mutex");
    }
    atomic_init(&c->commands, 0);
    atomic_init(&c->retries, 0);
    atomic_init(&c->timeouts, 0);
    int rc = copy_config(c, cfg, err);
    if (rc == AW_OK)
        rc = start_cluster(c, cfg, err);
    if (rc != AW_OK) {
        aw_client_destroy(c);
        return rc;
    }
    aw_error_reset(err);
    *out = c;
    return AW_OK;
}

void aw_client_close(aw_client *client) {
    if (!client)
        return;
    if (aw_client_in_callback(client)) {
        /* Freeing now would pull the loop out from under the callback that
         * called us; the async engine finishes the close when it returns. */
        client->close_pending = true;
        return;
    }
    aw_client_close_loops(client);
    aw_client_destroy(client);
}

void aw_client_destroy(aw_client *c) {
    if (!c)
        return;
    aw_cluster_free(c->cluster);
    aw_free(c->hosts_copy);
    aw_free(c->cluster_name_copy);
    pthread_mutex_destroy(&c->loops_lock);
    aw_bplan_spares_free(c);
    pthread_mutex_destroy(&c->spare_lock);
    aw_free(c);
}

const aw_policy *aw_client_policy(const aw_client *c, const aw_policy *given, bool is_write) {
    if (given)
        return given;
    return is_write ? &c->cfg.write_policy : &c->cfg.read_policy;
}

size_t aw_client_nodes(aw_client *client, char (*ids)[20], size_t cap) {
    if (!client)
        return 0;
    aw_cluster_view *v = aw_cluster_view_acquire(client->cluster);
    size_t n = 0;
    for (size_t i = 0; i < v->n_nodes; i++) {
        const aw_node *node = v->nodes[i];
        if (!aw_node_is_active(node))
            continue;
        if (ids && n < cap) {
            memcpy(ids[n], node->name, sizeof ids[n] - 1);
            ids[n][sizeof ids[n] - 1] = '\0';
        }
        n++;
    }
    aw_cluster_view_release(v);
    return n;
}

static uint64_t load(atomic_uint_fast64_t *a) {
    return atomic_load_explicit(a, memory_order_relaxed);
}

void aw_client_get_stats(aw_client *client, aw_client_stats *out) {
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!client)
        return;
    out->commands = load(&client->commands);
    out->retries = load(&client->retries);
    out->timeouts = load(&client->timeouts);
    aw_cluster_counters *cc = aw_cluster_counters_of(client->cluster);
    out->conns_opened = load(&cc->conns_opened);
    out->conns_closed = load(&cc->conns_closed);
    out->tends = load(&cc->tends);
    out->map_updates = load(&cc->map_updates);
    out->nodes_added = load(&cc->nodes_added);
    out->nodes_removed = load(&cc->nodes_removed);
}
