/*
 * aw-testd: query-show, the background ops jobs a node ran (see bgjob.h),
 * as query_manager.c and query_job.c list them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bgjob.h"
#include "info_param.h"

/* CF_SOCKET_TIMEOUT: what query-show reports for a background job's
 * socket. */
#define SOCKET_TIMEOUT_MS 10000

/* query_job.c as_query_job_info + ops_bg_query_job_info. */
static void show_one(const td_job *j, const td_store *store, aw_buf *b) {
    uint64_t now = td_store_now_ms(store);
    td_info_putf(b, "trid=%" PRIu64 ":ns=%s", j->trid, j->ns);
    if (j->set[0])
        td_info_putf(b, ":set=%s", j->set);
    if (j->sindex[0])
        td_info_putf(b, ":sindex-name=%s", j->sindex);
    td_info_putf(b,
                 ":rps=%u:active-threads=0:status=done(ok):job-progress=100.00:run-time=%" PRIu64
                 ":time-since-done=%" PRIu64 ":recs-throttled=%" PRIu64
                 ":recs-filtered-meta=%" PRIu64 ":recs-filtered-bins=%" PRIu64
                 ":recs-succeeded=%" PRIu64 ":recs-failed=%" PRIu64
                 ":from=%s:job-type=background-ops:net-io-bytes=30:socket-timeout=%u:ops-active=0",
                 j->rps, j->done_ms - j->start_ms, now - j->done_ms, j->throttled,
                 j->filtered_meta, j->filtered_bins, j->succeeded, j->failed, j->from,
                 SOCKET_TIMEOUT_MS);
}

void td_jobs_show(const td_jobs *jobs, const td_store *store, const char *params, size_t len,
                  aw_buf *b) {
    char id[1 + 24 + 1];
    param_result r = td_info_param_get(params, len, "id", id, sizeof id);
    if (r == PARAM_NOT_FOUND)
        r = td_info_param_get(params, len, "trid", id, sizeof id);
    if (!td_info_param_usable(b, "id", id, r, false)) {
        if (r != PARAM_NOT_FOUND)
            return;
        size_t at = b->len;
        for (const td_job *j = jobs->head; j; j = j->next) {
            show_one(j, store, b);
            td_info_put(b, ";");
        }
        if (b->len > at)
            b->len--; /* cf_dyn_buf_chomp */
        return;
    }
    char *end;
    uint64_t trid = strtoull(id, &end, 0);
    if (*end != '\0' || trid == 0) {
        td_info_put(b, "ERROR:4:bad id");
        return;
    }
    for (const td_job *j = jobs->head; j; j = j->next)
        if (j->trid == trid) {
            show_one(j, store, b);
            return;
        }
    td_info_put(b, "ERROR:2:job not found");
}
