/*
 * aw_query_into / aw_scan_into: the sync scan engine (client/query_exec.c)
 * with a sink that decodes each record, with the batch path's row plan,
 * straight from the socket buffer into the next row of the caller's chunk,
 * and hands the chunk over the moment it is full: the record that filled
 * it is the last one the cursor has, so a callback that stops leaves the
 * cursor exactly after the chunk.
 */
#include "rows_query.h"

#include <string.h>
#include <time.h>

#include "aerowire/record.h"
#include "client/query_async.h"
#include "client/query_exec.h"
#include "client/trace.h"
#include "proto/mem.h"
#include "proto/particle.h"
#include "row_conv.h"

static uint64_t unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec;
}

static int check_chunk_buffer(const aw_rows_buffer *buf, size_t itemsize, aw_error *err) {
    if (!buf || !buf->rows || buf->capacity == 0)
        return aw_error_set(err, AW_ERR_PARAM, "query_into: %s",
                            !buf ? "NULL buffer" : !buf->rows ? "the buffer's rows are NULL"
                                                              : "the buffer's capacity is 0");
    if (buf->capacity > SIZE_MAX / itemsize)
        return aw_error_set(err, AW_ERR_PARAM, "query_into: %zu rows of %zu bytes overflow",
                            buf->capacity, itemsize);
    return AW_OK;
}

/* The '_digest' or '_key' field of dt, compiled like a bin field. */
static int key_field(const aw_dtype *dt, const char *name, aw_plan_field *pf, bool *has,
                     aw_error *err) {
    const aw_dtype_field *f = aw_dtype_find(dt, name);
    *has = f != NULL;
    if (!f)
        return AW_OK;
    int rc = aw_row_plan_field(pf, f, err);
    if (rc != AW_OK)
        return rc;
    if (name[1] == 'd' && pf->kind != AW_FK_BYTES &&
        !(pf->kind == AW_FK_ARRAY && pf->width == 1 && pf->dt_kind != 'b'))
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            "dtype field '_digest': must hold 20 bytes (S20, V20 or a u1/i1 "
                            "sub-array), not kind '%c'",
                            pf->dt_kind);
    return AW_OK;
}

static int init(aw_rows_query *r, const aw_query *q, const aw_dtype *dt, aw_rows_buffer *buf,
                bool has_cb, void *udata, aw_error *err) {
    memset(r, 0, sizeof *r);
    if (!q || !dt || !has_cb)
        return aw_error_set(err, AW_ERR_PARAM, "query_into: NULL %s",
                            !q ? "query" : !dt ? "dtype" : "callback");
    int rc = check_chunk_buffer(buf, aw_dtype_itemsize(dt), err);
    if (rc == AW_OK)
        rc = aw_row_plan_new(dt, q->bins, q->bins ? q->n_bins : 0, &r->plan, err);
    if (rc == AW_OK)
        rc = key_field(dt, "_digest", &r->digest_f, &r->has_digest, err);
    if (rc == AW_OK)
        rc = key_field(dt, "_key", &r->key_f, &r->has_key, err);
    if (rc != AW_OK) {
        aw_rows_query_clear(r);
        return rc;
    }
    /* Only the dtype's bins travel, unless the statement names its own. */
    r->q = *q;
    if (!q->bins && !q->ops) {
        r->q.bins = r->plan->bin_names;
        r->q.n_bins = r->plan->n;
    }
    r->buf = buf;
    r->udata = udata;
    return AW_OK;
}

int aw_rows_query_init(aw_rows_query *r, const aw_query *q, const aw_dtype *dt,
                       aw_rows_buffer *buf, aw_rows_chunk_cb cb, void *udata, aw_error *err) {
    int rc = init(r, q, dt, buf, cb != NULL, udata, err);
    r->cb = cb;
    return rc;
}

int aw_rows_query_init_async(aw_rows_query *r, const aw_query *q, const aw_dtype *dt,
                             aw_rows_buffer *buf, aw_rows_chunk_async_cb acb, void *udata,
                             aw_error *err) {
    int rc = init(r, q, dt, buf, acb != NULL, udata, err);
    r->acb = acb;
    return rc;
}

void aw_rows_query_clear(aw_rows_query *r) {
    aw_row_plan_free(r->plan);
    r->plan = NULL;
}

/* Hands the filled rows to the callback; the next record starts the
 * buffer the callback leaves in *buf. */
static int hand_over(aw_rows_query *r) {
    size_t n = r->fill;
    r->fill = 0;
    r->rows_done += n;
    aw_query_flow flow = r->acb ? r->acb(r->buf, n, r->udata)
                                : r->cb(r->buf, n, r->udata) ? AW_QUERY_CONTINUE : AW_QUERY_STOP;
    if (flow != AW_QUERY_CONTINUE && flow != AW_QUERY_PAUSE)
        return aw_error_set(&r->err, AW_ERR_CLIENT_ABORT,
                            "query_into: the chunk callback stopped the scan");
    if (check_chunk_buffer(r->buf, r->plan->itemsize, &r->err) != AW_OK)
        return r->err.code;
    return flow == AW_QUERY_PAUSE ? AW_QUERY_SINK_PAUSE : 0;
}

/* The key's particle (type byte, then the value) into a '_' field. */
static int put_particle(uint8_t *row, const aw_plan_field *f, uint8_t type, const uint8_t *v,
                        uint32_t len) {
    return f->conv[aw_particle_class[type]](row + f->offset, f, v, len);
}

int aw_rows_query_sink(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    aw_rows_query *r = ctx;
    if (r->err.code) /* stopped: the engine sends no more, but never write past it */
        return r->err.code;
    if (r->fill == 0)
        r->now = unix_now(); /* one clock read per chunk */
    size_t i = r->fill;
    uint8_t *row = (uint8_t *)r->buf->rows + i * r->plan->itemsize;
    int code = aw_row_plan_decode(r->plan, row, m);
    int rc;
    if (r->has_digest) {
        rc = put_particle(row, &r->digest_f, AW_PT_BLOB, meta->digest, AW_DIGEST_SIZE);
        code = code ? code : rc;
    }
    if (r->has_key && meta->key && meta->key_len >= 1) {
        rc = put_particle(row, &r->key_f, meta->key[0], meta->key + 1, meta->key_len - 1);
        code = code ? code : rc;
    }
    if (r->buf->meta) {
        r->buf->meta[i].gen = m->h.generation;
        r->buf->meta[i].ttl = aw_void_time_to_ttl(m->h.record_ttl, r->now);
    }
    if (r->buf->codes)
        r->buf->codes[i] = code;
    r->fill++;
    return r->fill == r->buf->capacity ? hand_over(r) : 0;
}

int aw_rows_query_finish(aw_rows_query *r, int rc, aw_error *err) {
    if (rc != AW_OK && rc == r->err.code) /* our own stop: our own message */
        *err = r->err;
    if (r->fill > 0) { /* the last chunk: its records are in the cursor */
        r->rows_done += r->fill;
        if (r->acb)
            (void)r->acb(r->buf, r->fill, r->udata);
        else
            (void)r->cb(r->buf, r->fill, r->udata);
        r->fill = 0;
    }
    return rc;
}

/* aw_query_into and aw_scan_into, traced as the call `name`. */
static int query_into(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                      aw_partition_status *cursor, const aw_dtype *dt, aw_rows_buffer *buf,
                      aw_rows_chunk_cb cb, void *udata, const char *name, aw_error *err) {
    aw_error local;
    if (!err)
        err = &local;
    aw_error_reset(err);
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "query_into: NULL client");
    aw_rows_query r;
    int rc = aw_rows_query_init(&r, q, dt, buf, cb, udata, err);
    if (rc != AW_OK)
        return rc;
    aw_tspan span;
    rc = aw_query_run(client, policy, &r.q, cursor, aw_rows_query_sink, &r, &span, name, err);
    rc = aw_rows_query_finish(&r, rc, err);
    aw_tspan_end(&span, rc, 0);
    aw_rows_query_clear(&r);
    return rc;
}

int aw_query_into(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                  aw_partition_status *cursor, const aw_dtype *dt, aw_rows_buffer *buf,
                  aw_rows_chunk_cb cb, void *udata, aw_error *err) {
    return query_into(client, policy, q, cursor, dt, buf, cb, udata, "query_into", err);
}

int aw_scan_into(aw_client *client, const aw_query_policy *policy, const char *ns,
                 const char *set, aw_partition_status *cursor, const aw_dtype *dt,
                 aw_rows_buffer *buf, aw_rows_chunk_cb cb, void *udata, aw_error *err) {
    aw_query q = {.ns = ns, .set = set};
    return query_into(client, policy, &q, cursor, dt, buf, cb, udata, "scan_into", err);
}
