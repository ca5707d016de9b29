/*
 * aw_query_into_async / aw_scan_into_async: aw_query_into's sink
 * (rows_query.c) on the async engine (client/query_async.c). The sink's
 * state lives until the engine's end, which hands over the last chunk,
 * then calls the caller's done.
 */
#include "rows_query.h"

#include "client/query_async.h"
#include "proto/mem.h"

typedef struct rows_async {
    aw_rows_query r;            /* r.q is the statement the engine reads */
    aw_query_done_cb done;
    void *udata;
} rows_async;

static void rows_end(void *ctx, const aw_error *err) {
    rows_async *a = ctx;
    aw_error e;
    int rc = err ? err->code : AW_OK;
    if (err)
        e = *err;
    rc = aw_rows_query_finish(&a->r, rc, &e);
    a->done(rc == AW_OK ? NULL : &e, a->udata);
    aw_rows_query_clear(&a->r);
    aw_free(a);
}

/* aw_query_into_async and aw_scan_into_async, traced as the call `name`. */
static int query_into_async(aw_loop *loop, const aw_query_policy *policy, const aw_query *q,
                            aw_partition_status *cursor, const aw_dtype *dt, aw_rows_buffer *buf,
                            aw_rows_chunk_async_cb cb, aw_query_done_cb done, void *udata,
                            aw_query_handle **handle, const char *name, aw_error *err) {
    if (!loop || !done)
        return aw_error_set(err, AW_ERR_PARAM, "query_into_async: NULL %s",
                            !loop ? "loop" : "done callback");
    rows_async *a = aw_calloc(1, sizeof *a);
    if (!a)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the scan/query");
    int rc = aw_rows_query_init_async(&a->r, q, dt, buf, cb, udata, err);
    if (rc == AW_OK) {
        a->done = done;
        a->udata = udata;
        rc = aw_query_exec_async(loop, policy, &a->r.q, cursor, aw_rows_query_sink, &a->r,
                                 rows_end, a, handle, name, err);
        if (rc != AW_OK)
            aw_rows_query_clear(&a->r);
    }
    if (rc != AW_OK)
        aw_free(a);
    return rc;
}

int aw_scan_into_async(aw_loop *loop, const aw_query_policy *policy, const char *ns,
                       const char *set, aw_partition_status *cursor, const aw_dtype *dt,
                       aw_rows_buffer *buf, aw_rows_chunk_async_cb cb, aw_query_done_cb done,
                       void *udata, aw_query_handle **handle, aw_error *err) {
    aw_query q = {.ns = ns, .set = set};
    return query_into_async(loop, policy, &q, cursor, dt, buf, cb, done, udata, handle,
                            "scan_into", err);
}

int aw_query_into_async(aw_loop *loop, const aw_query_policy *policy, const aw_query *q,
                        aw_partition_status *cursor, const aw_dtype *dt, aw_rows_buffer *buf,
                        aw_rows_chunk_async_cb cb, aw_query_done_cb done, void *udata,
                        aw_query_handle **handle, aw_error *err) {
    return query_into_async(loop, policy, q, cursor, dt, buf, cb, done, udata, handle,
                            "query_into", err);
}
