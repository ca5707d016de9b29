/* aw_query_foreach_async: the async engine (query_async.c) with a sink that
 * hands each record to the application's callback. */
#include "aerowire/query.h"
#include "client_impl.h"
#include "proto/mem.h"
#include "query_async.h"
#include "query_plan.h"

typedef struct adeliver {
    aw_query_async_record_cb cb;
    aw_query_done_cb done;
    void *udata;
    const char *ns;
} adeliver;

static int deliver_record(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    adeliver *d = ctx;
    aw_error e;
    aw_key k;
    aw_record rec;
    int rc = aw_query_record_of(m, meta, d->ns, &k, &rec, &e);
    if (rc != AW_OK)
        return rc;
    aw_query_flow flow = d->cb(&k, &rec, d->udata);
    aw_record_free(&rec);
    switch (flow) {
    case AW_QUERY_CONTINUE: return 0;
    case AW_QUERY_PAUSE: return AW_QUERY_SINK_PAUSE;
    default: return AW_ERR_CLIENT_ABORT;
    }
}

static void deliver_end(void *ctx, const aw_error *err) {
    adeliver *d = ctx;
    d->done(err, d->udata);
    aw_free(d);
}

int aw_query_foreach_async(aw_loop *loop, const aw_query_policy *policy, const aw_query *q,
                           aw_partition_status *cursor, aw_query_async_record_cb cb,
                           aw_query_done_cb done, void *udata, aw_query_handle **handle,
                           aw_error *err) {
    if (!loop || !q || !cb || !done)
        return aw_error_set(err, AW_ERR_PARAM, "aw_query_foreach_async: %s is NULL",
                            !loop ? "loop" : !q ? "query" : !cb ? "callback" : "done callback");
    adeliver *d = aw_malloc(sizeof *d);
    if (!d)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the scan/query");
    *d = (adeliver){cb, done, udata, q->ns};
    int rc = aw_query_exec_async(loop, policy, q, cursor, deliver_record, d, deliver_end, d,
                                 handle, "query_foreach", err);
    if (rc != AW_OK)
        aw_free(d);
    return rc;
}
