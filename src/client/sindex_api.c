/* Secondary indexes, truncate and job status: info commands to one node
 * (definitions spread through the cluster) or to every node (states). */
#include <string.h>

#include "aerowire/query.h"
#include "client_impl.h"
#include "cluster/net.h"
#include "proto/info.h"
#include "proto/mem.h"
#include "proto/sindex_info.h"
#include "trace.h"

/* The value of a one-line info reply (after the echoed name's tab). */
static const char *reply_value(const char *reply, size_t *len) {
    const char *tab = strchr(reply, '\t');
    const char *v = tab ? tab + 1 : reply + strlen(reply);
    *len = strcspn(v, "\n");
    return v;
}

/* `ok`, or the server's `ERROR:<code>:<msg>` as that code. */
static int expect_ok(const char *what, const char *reply, aw_error *err) {
    size_t n;
    const char *v = reply_value(reply, &n);
    if (n == 2 && memcmp(v, "ok", 2) == 0)
        return AW_OK;
    int code;
    const char *msg;
    size_t msg_len;
    if (aw_info_value_error(v, n, &code, &msg, &msg_len))
        return aw_error_set(err, code, "%s: %.*s", what, (int)(msg_len > 100 ? 100 : msg_len),
                            msg);
    return aw_error_set(err, AW_ERR_SERVER, "%s: unexpected answer '%.60s'", what, v);
}

/* Sends the command built in b to one node and checks for `ok`: one call
 * for the trace hook, `name` on ns and set. */
static int one_node_ok(aw_client *client, const char *what, aw_buf *b, uint32_t timeout_ms,
                       const char *name, const char *ns, const char *set, aw_error *err) {
    aw_tspan span;
    aw_tspan_begin(&span, client, AW_MT_INFO, name, ns, set, false, 0, 0);
    char *reply = NULL;
    int rc = aw_info_ask(client, NULL, (const char *)b->data, timeout_ms, &reply, &span, err);
    if (rc == AW_OK)
        rc = expect_ok(what, reply, err);
    aw_tspan_end(&span, rc, 0);
    aw_free(reply);
    aw_buf_free(b);
    return rc;
}

int aw_index_create(aw_client *client, const aw_index_spec *spec, uint32_t timeout_ms,
                    aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "client is NULL");
    aw_buf b;
    aw_buf_init(&b);
    int rc = aw_sindex_create_cmd(&b, spec, err);
    if (rc != AW_OK) {
        aw_buf_free(&b);
        return rc;
    }
    return one_node_ok(client, "sindex-create", &b, timeout_ms, "index_create", spec->ns,
                       spec->set, err);
}

int aw_index_drop(aw_client *client, const char *ns, const char *name, uint32_t timeout_ms,
                  aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "client is NULL");
    aw_buf b;
    aw_buf_init(&b);
    int rc = aw_sindex_named_cmd(&b, "sindex-delete", ns, name, err);
    if (rc != AW_OK) {
        aw_buf_free(&b);
        return rc;
    }
    return one_node_ok(client, "sindex-delete", &b, timeout_ms, "index_drop", ns, NULL, err);
}

int aw_truncate(aw_client *client, const char *ns, const char *set, uint64_t before_unix_ns,
                uint32_t timeout_ms, aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "client is NULL");
    aw_buf b;
    aw_buf_init(&b);
    int rc = aw_truncate_cmd(&b, ns, set, before_unix_ns, err);
    if (rc != AW_OK) {
        aw_buf_free(&b);
        return rc;
    }
    return one_node_ok(client, "truncate", &b, timeout_ms, "truncate", ns, set, err);
}

int aw_index_list(aw_client *client, const char *ns, aw_index_info **out, size_t *n,
                  aw_error *err) {
    if (!client || !out || !n)
        return aw_error_set(err, AW_ERR_PARAM, "aw_index_list: %s is NULL",
                            !client ? "client" : !out ? "out" : "n");
    aw_buf b;
    aw_buf_init(&b);
    int rc = aw_sindex_list_cmd(&b, ns, err);
    char *reply = NULL;
    aw_tspan span = {.on = false};
    if (rc == AW_OK) {
        aw_tspan_begin(&span, client, AW_MT_INFO, "index_list", ns, NULL, false, 0, 0);
        rc = aw_info_ask(client, NULL, (const char *)b.data, 0, &reply, &span, err);
    }
    if (rc == AW_OK) {
        size_t len;
        const char *v = reply_value(reply, &len);
        rc = aw_sindex_list_parse(v, len, out, n, err);
    }
    aw_tspan_end(&span, rc, 0);
    aw_free(reply);
    aw_buf_free(&b);
    return rc;
}

/* --- Asking every node ----------------------------------------------------------- */

/* Each node's value goes to parse(ctx, value); the first failure (a node
 * that did not answer, or a parse error) is the result. */
typedef int (*node_value_fn)(void *ctx, const char *v, size_t len, aw_error *err);

typedef struct all_nodes {
    node_value_fn parse;
    void *ctx;
    int rc;
    aw_error err;
} all_nodes;

static void on_node_reply(const char *node, int status, const char *reply, void *udata) {
    all_nodes *a = udata;
    if (a->rc != AW_OK)
        return;
    if (status != AW_OK) {
        a->rc = aw_error_set(&a->err, status, "%s", reply);
        return;
    }
    size_t len;
    const char *v = reply_value(reply, &len);
    a->rc = a->parse(a->ctx, v, len, &a->err);
}

static int ask_all(aw_client *client, const aw_buf *cmd, node_value_fn parse, void *ctx,
                   aw_tspan *span, aw_error *err) {
    all_nodes a = {parse, ctx, AW_OK, {0}};
    int rc = aw_info_ask_all(client, (const char *)cmd->data, 0, on_node_reply, &a, span, err);
    if (rc == AW_OK && a.rc != AW_OK) {
        rc = a.rc;
        if (err)
            *err = a.err;
    }
    return rc;
}

/* Sleeps interval_ms unless that passes the deadline (then AW_ERR_TIMEOUT). */
static int poll_pause(const char *what, uint64_t deadline, uint32_t interval_ms, aw_error *err) {
    if (deadline && aw_now_ms() + interval_ms > deadline)
        return aw_error_set(err, AW_ERR_TIMEOUT, "%s: still not done at the timeout", what);
    aw_sleep_ms(interval_ms);
    return AW_OK;
}

static int lowest_load(void *ctx, const char *v, size_t len, aw_error *err) {
    int *min_pct = ctx, pct;
    int rc = aw_sindex_stat_load_pct(v, len, &pct, err);
    if (rc == AW_OK && pct < *min_pct)
        *min_pct = pct;
    return rc;
}

int aw_index_wait(aw_client *client, const char *ns, const char *name, uint32_t interval_ms,
                  uint32_t timeout_ms, aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "client is NULL");
    aw_buf b;
    aw_buf_init(&b);
    int rc = aw_sindex_named_cmd(&b, "sindex-stat", ns, name, err);
    uint64_t deadline = timeout_ms ? aw_now_ms() + timeout_ms : 0;
    aw_tspan span = {.on = false};
    if (rc == AW_OK) /* every poll is a request of the one call */
        aw_tspan_begin(&span, client, AW_MT_INFO, "index_wait", ns, NULL, false, 0, 0);
    while (rc == AW_OK) {
        int min_pct = 100;
        rc = ask_all(client, &b, lowest_load, &min_pct, &span, err);
        if (rc != AW_OK || min_pct == 100)
            break;
        rc = poll_pause("aw_index_wait", deadline, interval_ms ? interval_ms : 500, err);
    }
    aw_tspan_end(&span, rc, 0);
    aw_buf_free(&b);
    return rc;
}

typedef struct job_poll {
    aw_job_info info;
    bool any_found, any_active;
} job_poll;

static int merge_job(void *ctx, const char *v, size_t len, aw_error *err) {
    job_poll *p = ctx;
    bool found, active;
    int rc = aw_job_show_parse(v, len, &found, &active, &p->info, err);
    p->any_found |= found;
    p->any_active |= active;
    return rc;
}

/* One poll of every node for the job's state, counted in span. */
static int job_status(aw_client *client, uint64_t job_id, aw_job_info *out, aw_tspan *span,
                      aw_error *err) {
    aw_buf b;
    aw_buf_init(&b);
    int rc = aw_job_show_cmd(&b, job_id, err);
    job_poll p = {.info = {.progress_pct = 100}};
    if (rc == AW_OK)
        rc = ask_all(client, &b, merge_job, &p, span, err);
    aw_buf_free(&b);
    if (rc != AW_OK)
        return rc;
    p.info.state = !p.any_found ? AW_JOB_NOT_FOUND
                   : p.any_active ? AW_JOB_IN_PROGRESS : AW_JOB_DONE;
    if (!p.any_found)
        p.info.progress_pct = 0;
    *out = p.info;
    return AW_OK;
}

int aw_job_status(aw_client *client, uint64_t job_id, aw_job_info *out, aw_error *err) {
    if (!client || !out)
        return aw_error_set(err, AW_ERR_PARAM, "aw_job_status: %s is NULL",
                            client ? "out" : "client");
    aw_tspan span;
    aw_tspan_begin(&span, client, AW_MT_INFO, "job_status", NULL, NULL, false, 0, 0);
    int rc = job_status(client, job_id, out, &span, err);
    aw_tspan_end(&span, rc, 0);
    return rc;
}

int aw_job_wait(aw_client *client, uint64_t job_id, uint32_t interval_ms, uint32_t timeout_ms,
                aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "aw_job_wait: client is NULL");
    uint64_t deadline = timeout_ms ? aw_now_ms() + timeout_ms : 0;
    aw_tspan span;
    aw_tspan_begin(&span, client, AW_MT_INFO, "job_wait", NULL, NULL, false, 0, 0);
    int rc;
    for (;;) {
        aw_job_info info;
        rc = job_status(client, job_id, &info, &span, err);
        if (rc != AW_OK || info.state != AW_JOB_IN_PROGRESS)
            break;
        if ((rc = poll_pause("aw_job_wait", deadline, interval_ms ? interval_ms : 1000, err)))
            break;
    }
    aw_tspan_end(&span, rc, 0);
    return rc;
}
