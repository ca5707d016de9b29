/* aw_query_foreach: the public call over the
 * scan/query engine (query_exec.c) and the codec. */
#include <string.h>
#include <time.h>

#include "aerowire/query.h"
#include "client_impl.h"
#include "cluster/net.h"
#include "proto/frame.h"
#include "proto/mem.h"
#include "proto/particle.h"
#include "proto/pstatus.h"
#include "proto/reply.h"
#include "query_exec.h"
#include "query_plan.h"
#include "trace.h"

typedef struct deliver {
    aw_query_record_cb cb;
    void *udata;
    const char *ns;
} deliver;

static int deliver_record(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    deliver *d = ctx;
    aw_error e;
    aw_key k;
    aw_record rec;
    int rc = aw_query_record_of(m, meta, d->ns, &k, &rec, &e);
    if (rc != AW_OK)
        return rc;
    bool more = d->cb(&k, &rec, d->udata);
    aw_record_free(&rec);
    return more ? 0 : AW_ERR_CLIENT_ABORT;
}

int aw_query_run(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                 aw_partition_status *cursor, aw_query_sink_fn sink, void *sink_ctx,
                 aw_tspan *span, const char *name, aw_error *err) {
    span->on = false;
    aw_query_policy def = aw_query_policy_default();
    const aw_query_policy *pol = policy ? policy : &def;
    int rc = aw_query_check(pol, q, err);
    if (rc != AW_OK)
        return rc;
    aw_tspan_begin(span, client, AW_MT_QUERY, name, q->ns, q->set, false, 0, 0);
    aw_partition_status *own = NULL;
    if (!cursor) {
        aw_partition_filter all = aw_partition_filter_all();
        if ((rc = aw_partition_status_new(&all, &own, err)) != AW_OK)
            return rc;
        cursor = own;
    }
    rc = aw_query_exec(client, pol, q, cursor, sink, sink_ctx, span, err);
    aw_partition_status_free(own);
    return rc;
}

int aw_query_foreach(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                     aw_partition_status *cursor, aw_query_record_cb cb, void *udata,
                     aw_error *err) {
    if (!client || !q || !cb)
        return aw_error_set(err, AW_ERR_PARAM, "aw_query_foreach: %s is NULL",
                            !client ? "client" : !q ? "query" : "callback");
    deliver d = {cb, udata, q->ns};
    aw_tspan span;
    int rc = aw_query_run(client, policy, q, cursor, deliver_record, &d, &span, "query_foreach",
                          err);
    aw_tspan_end(&span, rc, 0);
    return rc;
}
