/*
 * The generic batch API (aerowire/batch.h): batch get, exists and mixed
 * operations, sync and async, each a source and a sink over the batch
 * engine (batch_exec.h).
 *
 * Rows are independent: each row gets its own result, whatever the others
 * did. Duplicate keys in one batch are not merged: every row is sent and
 * answered on its own (two reads of one key both get the record; two writes
 * to one key are each applied, as separate transactions of that key's node,
 * in the order it runs them).
 */
#include <string.h>
#include <time.h>

#include "batch_exec.h"
#include "client_impl.h"
#include "loop.h"
#include "policy_check.h"
#include "proto/mem.h"
#include "proto/reply.h"

aw_batch_policy aw_batch_policy_default(void) {
    aw_batch_policy b;
    memset(&b, 0, sizeof b);
    b.base = aw_policy_read();
    b.max_rows_per_request = 5000;
    b.allow_inline = true;
    return b;
}

void aw_batch_results_free(aw_batch_result *results, size_t n) {
    if (!results)
        return;
    for (size_t i = 0; i < n; i++)
        aw_record_free(&results[i].rec);
}

/* --- Shared pieces -------------------------------------------------------------- */

static uint64_t unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec;
}

static void row_opts(const aw_policy *p, bool read, aw_req_opts *o) {
    *o = aw_cmd_row_opts(p, read);
}

/* One row's answer into an aw_batch_result. With bins false only the
 * header (generation, TTL) is kept. */
static void fill_result(aw_batch_result *res, int result, bool in_doubt, const aw_msg_view *m,
                        bool bins, uint64_t now) {
    res->code = result;
    res->in_doubt = in_doubt;
    if (result != AW_OK || !m)
        return;
    if (bins && m->h.n_ops) {
        aw_error e;
        int rc = aw_record_from_msg(m, NULL, &res->rec, &e);
        if (rc != AW_OK) {
            res->code = rc;
            return;
        }
    } else {
        res->rec.gen = m->h.generation;
        res->rec.void_time = m->h.record_ttl;
    }
    res->rec.ttl = aw_void_time_to_ttl(res->rec.void_time, now);
}

static const aw_policy *base_of(const aw_batch_policy *p, aw_batch_policy *def) {
    if (p)
        return &p->base;
    *def = aw_batch_policy_default();
    return &def->base;
}

/* When the call as a whole fails (nothing could be attempted), every row
 * says so too, so a caller that only looks at the rows is not misled. */
static void fail_results(aw_batch_result *res, size_t n, int rc) {
    for (size_t i = 0; res && i < n; i++)
        res[i].code = rc;
}

/* The async calls' context: freed after the user's callback. */
typedef struct async_tail {
    aw_batch_cb cb;
    void *udata;
} async_tail;

/* --- Batch get ------------------------------------------------------------------------ */

typedef struct get_ctx {
    const aw_key *keys;
    const char *const *bins;
    uint32_t n_bins;
    bool header_only;
    aw_req_opts ro;
    aw_batch_result *results;
    uint64_t now;
    async_tail tail;
} get_ctx;

static int get_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    (void)err;
    get_ctx *g = ctx;
    row->key = &g->keys[i];
    row->kind = g->header_only ? AW_BATCH_EXISTS : AW_BATCH_READ;
    if (!g->header_only) {
        row->bins = g->bins;
        row->n_bins = g->n_bins;
    }
    row->opts = &g->ro;
    return AW_OK;
}
static const aw_key *get_key(void *ctx, size_t i) { return &((get_ctx *)ctx)->keys[i]; }
static bool no_write(void *ctx, size_t i) {
    (void)ctx;
    (void)i;
    return false;
}
static void get_sink(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                     const aw_error *err) {
    (void)err;
    get_ctx *g = ctx;
    fill_result(&g->results[i], result, in_doubt, m, !g->header_only, g->now);
}

static int get_prepare(get_ctx *g, const aw_batch_policy *policy, const aw_key *keys, size_t n,
                       const char *const *bins, size_t n_bins, bool header_only,
                       aw_batch_result *results, aw_error *err) {
    if (n && (!keys || !results))
        return aw_error_set(err, AW_ERR_PARAM, "batch get: %s is NULL", keys ? "results" : "keys");
    if (!header_only && n_bins && !bins)
        return aw_error_set(err, AW_ERR_PARAM, "batch get: %zu bins but bins is NULL", n_bins);
    if (n_bins > UINT32_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "batch get: %zu bins is too many", n_bins);
    aw_batch_policy def;
    const aw_policy *b = base_of(policy, &def);
    memset(g, 0, sizeof *g);
    g->keys = keys;
    g->bins = n_bins ? bins : NULL;
    g->n_bins = (uint32_t)n_bins;
    g->header_only = header_only;
    row_opts(b, true, &g->ro);
    g->results = results;
    g->now = unix_now();
    if (n)
        memset(results, 0, n * sizeof *results);
    return AW_OK;
}

static void get_source(get_ctx *g, size_t n, aw_batch_source *src, aw_batch_sink *sink) {
    *src = (aw_batch_source){n, get_row, get_key, no_write, g, true};
    *sink = (aw_batch_sink){get_sink, g};
}

int aw_batch_get(aw_client *client, const aw_batch_policy *policy, const aw_key *keys, size_t n,
                 const char *const *bins, size_t n_bins, bool header_only,
                 aw_batch_result *results, aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "batch get: client is NULL");
    get_ctx g;
    int rc = get_prepare(&g, policy, keys, n, bins, n_bins, header_only, results, err);
    if (rc != AW_OK)
        return rc;
    aw_batch_source src;
    aw_batch_sink sink;
    get_source(&g, n, &src, &sink);
    rc = aw_batch_exec(client, policy, &src, &sink, "batch_get", err);
    if (rc != AW_OK)
        fail_results(results, n, rc);
    return rc;
}

/* --- Batch exists ------------------------------------------------------------------------- */

typedef struct exists_ctx {
    const aw_key *keys;
    aw_req_opts ro;
    bool *exists;
    int32_t *codes;
    async_tail tail;
} exists_ctx;

static int exists_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    (void)err;
    exists_ctx *x = ctx;
    row->key = &x->keys[i];
    row->kind = AW_BATCH_EXISTS;
    row->opts = &x->ro;
    return AW_OK;
}
static const aw_key *exists_key(void *ctx, size_t i) { return &((exists_ctx *)ctx)->keys[i]; }
static void exists_sink(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                        const aw_error *err) {
    (void)in_doubt;
    (void)m;
    (void)err;
    exists_ctx *x = ctx;
    x->exists[i] = result == AW_OK;
    if (x->codes)
        x->codes[i] = result == AW_ERR_RECORD_NOT_FOUND ? AW_OK : result;
}

static int exists_prepare(exists_ctx *x, const aw_batch_policy *policy, const aw_key *keys,
                          size_t n, bool *exists, int32_t *codes, aw_error *err) {
    if (n && (!keys || !exists))
        return aw_error_set(err, AW_ERR_PARAM, "batch exists: %s is NULL",
                            keys ? "exists" : "keys");
    aw_batch_policy def;
    memset(x, 0, sizeof *x);
    x->keys = keys;
    row_opts(base_of(policy, &def), true, &x->ro);
    x->exists = exists;
    x->codes = codes;
    for (size_t i = 0; i < n; i++) {
        exists[i] = false;
        if (codes)
            codes[i] = 0;
    }
    return AW_OK;
}

static void exists_source(exists_ctx *x, size_t n, aw_batch_source *src, aw_batch_sink *sink) {
    *src = (aw_batch_source){n, exists_row, exists_key, no_write, x, true};
    *sink = (aw_batch_sink){exists_sink, x};
}

int aw_batch_exists(aw_client *client, const aw_batch_policy *policy, const aw_key *keys,
                    size_t n, bool *exists, int32_t *codes, aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "batch exists: client is NULL");
    exists_ctx x;
    int rc = exists_prepare(&x, policy, keys, n, exists, codes, err);
    if (rc != AW_OK)
        return rc;
    aw_batch_source src;
    aw_batch_sink sink;
    exists_source(&x, n, &src, &sink);
    rc = aw_batch_exec(client, policy, &src, &sink, "batch_exists", err);
    for (size_t i = 0; rc != AW_OK && codes && i < n; i++)
        codes[i] = rc;
    return rc;
}

/* --- Batch operate --------------------------------------------------------------------------- */

typedef struct op_ctx {
    const aw_batch_op *ops;
    aw_policy base;
    aw_req_opts ro;             /* the current row's (valid until the next row()) */
    aw_op *wops;                /* the current WRITE row's ops */
    size_t wcap;
    aw_batch_result *results;
    uint64_t now;
    async_tail tail;
} op_ctx;

static int op_row_of_kind(op_ctx *o, size_t i, aw_batch_row *row, aw_error *err) {
    const aw_batch_op *b = &o->ops[i];
    const aw_policy *pol = b->policy ? b->policy : &o->base;
    if (b->policy) {
        int rc = aw_policy_check(b->policy, "batch row policy", err);
        if (rc != AW_OK)
            return rc;
    }
    row->key = b->key;
    row->opts = &o->ro;
    switch (b->kind) {
    case AW_BATCH_OP_READ:
        if (b->n_bins && !b->bins)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %zu: %zu bins but bins is NULL", i,
                                b->n_bins);
        if (b->n_bins > UINT32_MAX)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %zu: too many bins", i);
        row_opts(pol, true, &o->ro);
        row->kind = AW_BATCH_READ;
        row->bins = b->n_bins ? b->bins : NULL;
        row->n_bins = (uint32_t)b->n_bins;
        return AW_OK;
    case AW_BATCH_OP_WRITE:
        if (b->n_bins == 0)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %zu: write without bins", i);
        if (!b->write_bins)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %zu: %zu bins but write_bins is NULL",
                                i, b->n_bins);
        if (b->n_bins > 0xFFFF)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %zu: %zu bins (at most 65535)", i,
                                b->n_bins);
        if (b->n_bins > o->wcap) {
            aw_op *w = aw_realloc(o->wops, b->n_bins * sizeof *w);
            if (!w)
                return aw_error_set(err, AW_ERR_NOMEM, "batch row %zu: no memory for its ops", i);
            o->wops = w;
            o->wcap = b->n_bins;
        }
        for (size_t k = 0; k < b->n_bins; k++)
            o->wops[k] = aw_op_write(b->write_bins[k].name, b->write_bins[k].value);
        row_opts(pol, false, &o->ro);
        row->kind = AW_BATCH_OPERATE;
        row->ops = o->wops;
        row->n_ops = (uint32_t)b->n_bins;
        return AW_OK;
    case AW_BATCH_OP_DELETE:
        row_opts(pol, false, &o->ro);
        row->kind = AW_BATCH_DELETE;
        return AW_OK;
    case AW_BATCH_OP_OPERATE:
        if (b->n_ops && !b->ops)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %zu: %zu ops but ops is NULL", i,
                                b->n_ops);
        if (b->n_ops > UINT32_MAX)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %zu: too many ops", i);
        row_opts(pol, false, &o->ro);
        row->kind = AW_BATCH_OPERATE;
        row->ops = b->ops;
        row->n_ops = (uint32_t)b->n_ops;
        return AW_OK;
    }
    return aw_error_set(err, AW_ERR_PARAM, "batch row %zu: unknown kind %d", i, (int)b->kind);
}

static int op_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    op_ctx *o = ctx;
    int rc = op_row_of_kind(o, i, row, err);
    /* A row policy's filter goes in the row and overrides the batch's. */
    if (rc == AW_OK && o->ops[i].policy)
        o->ro.filter = o->ops[i].policy->filter;
    return rc;
}

static const aw_key *op_key(void *ctx, size_t i) { return ((op_ctx *)ctx)->ops[i].key; }

static bool op_writes(void *ctx, size_t i) {
    const aw_batch_op *b = &((op_ctx *)ctx)->ops[i];
    switch (b->kind) {
    case AW_BATCH_OP_WRITE:
    case AW_BATCH_OP_DELETE:
        return true;
    case AW_BATCH_OP_OPERATE: {
        if (!b->ops || !b->n_ops)
            return false;
        uint8_t i1, i2;
        bool w = false;
        aw_ops_info(b->ops, b->n_ops, &i1, &i2, &w);
        return w;
    }
    default:
        return false;
    }
}

static void op_sink(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                    const aw_error *err) {
    (void)err;
    op_ctx *o = ctx;
    aw_batch_op_kind k = o->ops[i].kind;
    bool bins = k == AW_BATCH_OP_READ || k == AW_BATCH_OP_OPERATE;
    fill_result(&o->results[i], result, in_doubt, m, bins, o->now);
}

static int op_prepare(op_ctx *o, const aw_batch_policy *policy, const aw_batch_op *ops, size_t n,
                      aw_batch_result *results, aw_error *err) {
    if (n && (!ops || !results))
        return aw_error_set(err, AW_ERR_PARAM, "batch operate: %s is NULL",
                            ops ? "results" : "ops");
    aw_batch_policy def;
    memset(o, 0, sizeof *o);
    o->ops = ops;
    o->base = *base_of(policy, &def);
    o->results = results;
    o->now = unix_now();
    if (n)
        memset(results, 0, n * sizeof *results);
    return AW_OK;
}

static void op_source(op_ctx *o, size_t n, aw_batch_source *src, aw_batch_sink *sink) {
    *src = (aw_batch_source){n, op_row, op_key, op_writes, o, false};
    *sink = (aw_batch_sink){op_sink, o};
}

int aw_batch_operate(aw_client *client, const aw_batch_policy *policy, const aw_batch_op *ops,
                     size_t n, aw_batch_result *results, aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "batch operate: client is NULL");
    op_ctx o;
    int rc = op_prepare(&o, policy, ops, n, results, err);
    if (rc != AW_OK)
        return rc;
    aw_batch_source src;
    aw_batch_sink sink;
    op_source(&o, n, &src, &sink);
    rc = aw_batch_exec(client, policy, &src, &sink, "batch_operate", err);
    aw_free(o.wops);
    if (rc != AW_OK)
        fail_results(results, n, rc);
    return rc;
}

/* --- Async ------------------------------------------------------------------------------------ */

/* The source and sink live with the context until done(). */
typedef struct async_get {
    get_ctx g;
    aw_batch_source src;
    aw_batch_sink sink;
} async_get;
typedef struct async_exists {
    exists_ctx x;
    aw_batch_source src;
    aw_batch_sink sink;
} async_exists;
typedef struct async_op {
    op_ctx o;
    aw_batch_source src;
    aw_batch_sink sink;
} async_op;

static void get_done(void *ctx, const aw_error *err) {
    async_get *a = ctx;
    async_tail t = a->g.tail;
    aw_free(a);
    t.cb(err, t.udata);
}
static void exists_done(void *ctx, const aw_error *err) {
    async_exists *a = ctx;
    async_tail t = a->x.tail;
    aw_free(a);
    t.cb(err, t.udata);
}
static void op_done(void *ctx, const aw_error *err) {
    async_op *a = ctx;
    async_tail t = a->o.tail;
    aw_free(a->o.wops);
    aw_free(a);
    t.cb(err, t.udata);
}

static int async_check(aw_loop *loop, aw_batch_cb cb, aw_error *err) {
    if (!loop)
        return aw_error_set(err, AW_ERR_PARAM, "batch: NULL loop");
    if (!cb)
        return aw_error_set(err, AW_ERR_PARAM, "batch: NULL callback");
    return AW_OK;
}

int aw_batch_get_async(aw_loop *loop, const aw_batch_policy *policy, const aw_key *keys, size_t n,
                       const char *const *bins, size_t n_bins, bool header_only,
                       aw_batch_result *results, aw_batch_cb cb, void *udata, aw_error *err) {
    int rc = async_check(loop, cb, err);
    if (rc != AW_OK)
        return rc;
    async_get *a = aw_calloc(1, sizeof *a);
    if (!a)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the batch");
    rc = get_prepare(&a->g, policy, keys, n, bins, n_bins, header_only, results, err);
    if (rc == AW_OK) {
        a->g.tail = (async_tail){cb, udata};
        get_source(&a->g, n, &a->src, &a->sink);
        rc = aw_batch_exec_async(loop, policy, &a->src, &a->sink, "batch_get", get_done, a, err);
        if (rc != AW_OK)
            fail_results(results, n, rc);
    }
    if (rc != AW_OK)
        aw_free(a);
    return rc;
}

int aw_batch_exists_async(aw_loop *loop, const aw_batch_policy *policy, const aw_key *keys,
                          size_t n, bool *exists, int32_t *codes, aw_batch_cb cb, void *udata,
                          aw_error *err) {
    int rc = async_check(loop, cb, err);
    if (rc != AW_OK)
        return rc;
    async_exists *a = aw_calloc(1, sizeof *a);
    if (!a)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the batch");
    rc = exists_prepare(&a->x, policy, keys, n, exists, codes, err);
    if (rc == AW_OK) {
        a->x.tail = (async_tail){cb, udata};
        exists_source(&a->x, n, &a->src, &a->sink);
        rc = aw_batch_exec_async(loop, policy, &a->src, &a->sink, "batch_exists",
                                 exists_done, a, err);
        for (size_t i = 0; rc != AW_OK && codes && i < n; i++)
            codes[i] = rc;
    }
    if (rc != AW_OK)
        aw_free(a);
    return rc;
}

int aw_batch_operate_async(aw_loop *loop, const aw_batch_policy *policy, const aw_batch_op *ops,
                           size_t n, aw_batch_result *results, aw_batch_cb cb, void *udata,
                           aw_error *err) {
    int rc = async_check(loop, cb, err);
    if (rc != AW_OK)
        return rc;
    async_op *a = aw_calloc(1, sizeof *a);
    if (!a)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the batch");
    rc = op_prepare(&a->o, policy, ops, n, results, err);
    if (rc == AW_OK) {
        a->o.tail = (async_tail){cb, udata};
        op_source(&a->o, n, &a->src, &a->sink);
        rc = aw_batch_exec_async(loop, policy, &a->src, &a->sink, "batch_operate", op_done, a, err);
        if (rc != AW_OK)
            fail_results(results, n, rc);
    }
    if (rc != AW_OK)
        aw_free(a);
    return rc;
}
