/* aw-testd's background ops jobs (see bgjob.h). */
#include "bgjob.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "exec.h"
#include "exp.h"
#include "proto/arena.h"
#include "proto/frame.h"
#include "query.h"

/* namespace background-query-max-rps (default 10000). */
#define BACKGROUND_MAX_RPS 10000

typedef struct bg_req {
    td_namespace *ns;
    char set[AW_SET_MAX + 1];
    bool is_query;
    td_query query;
    uint32_t rps;
    const uint8_t *filter;
    uint32_t filter_len;
    uint64_t trid;
} bg_req;

void td_jobs_free(td_jobs *jobs) {
    while (jobs->head) {
        td_job *next = jobs->head->next;
        free(jobs->head);
        jobs->head = next;
    }
}

/* as_namespace_get_set_id: aw-testd keeps no set table, so a set is known
 * when a live record holds it or an index names it (sindex-create makes
 * the set on the server). */
static bool set_known(td_namespace *ns, const char *set, uint32_t now) {
    for (size_t i = 0; ns->sindexes && i < TD_MAX_SINDEXES; i++)
        if (ns->sindexes->slot[i] && strcmp(ns->sindexes->slot[i]->set, set) == 0)
            return true;
    for (size_t b = 0; b < ns->n_buckets; b++)
        for (td_record *r = ns->buckets[b]; r; r = r->next)
            if (strcmp(r->set, set) == 0 && (r->void_time == 0 || r->void_time > now))
                return true;
    return false;
}

/* ops_bg_query_get_ops: write ops only, at least one (info1 READ or a read
 * op is 4); an expression op must parse. */
static int check_ops(const aw_msg_view *m) {
    if ((m->h.info1 & AW_INFO1_READ) || m->h.n_ops == 0)
        return AW_ERR_REQUEST_INVALID;
    aw_op_view op;
    aw_msg_iter it = aw_msg_ops(m);
    while (aw_msg_next_op(&it, &op))
        if (td_exec_projection_check(&op) == AW_OK)
            return AW_ERR_REQUEST_INVALID; /* a read op (good name, read type) */
    return AW_OK;
}

/* ops_bg_query_job_start, up to the start of the job. */
static int start(td_store *store, const aw_msg_view *m, bg_req *q) {
    aw_field_view f;
    if (!aw_msg_find_field(m, AW_FIELD_NAMESPACE, &f))
        return AW_ERR_NAMESPACE_NOT_FOUND;
    q->ns = td_store_ns(store, (const char *)f.data, f.len);
    if (!q->ns)
        return AW_ERR_NAMESPACE_NOT_FOUND;
    if (m->h.info1 & AW_INFO1_SHORT_QUERY)
        return AW_ERR_REQUEST_INVALID; /* "ops-bg queries can't be 'short' queries" */
    if (aw_msg_find_field(m, AW_FIELD_SET, &f)) {
        if (f.len > AW_SET_MAX)
            return AW_ERR_REQUEST_INVALID;
        memcpy(q->set, f.data, f.len);
        q->set[f.len] = '\0';
    }
    q->is_query = aw_msg_find_field(m, AW_FIELD_INDEX_RANGE, &f);
    int rc;
    if (q->is_query && (rc = td_query_range(m, &q->query)) != AW_OK)
        return rc;
    if (aw_msg_find_field(m, AW_FIELD_RPS, &f)) {
        if (f.len != 4)
            return AW_ERR_REQUEST_INVALID;
        q->rps = aw_load_u32be(f.data);
    }
    if (aw_msg_find_field(m, AW_FIELD_INDEX_NAME, &f) &&
        (aw_msg_find_field(m, AW_FIELD_INDEX_EXPRESSION, &f) || f.len == 0 ||
         f.len >= TD_SINDEX_NAME_MAX))
        return AW_ERR_REQUEST_INVALID; /* get_query_si_name */
    if (q->set[0] && !set_known(q->ns, q->set, td_store_now(store)))
        return AW_ERR_RECORD_NOT_FOUND; /* 2: a set the namespace does not have */
    if (q->rps > BACKGROUND_MAX_RPS)
        return AW_ERR_REQUEST_INVALID; /* validate_background_query_rps */
    if (q->rps == 0)
        q->rps = BACKGROUND_MAX_RPS;
    if (q->is_query &&
        (rc = td_query_find_index(m, q->ns, q->set, (uint32_t)strlen(q->set), &q->query)) != AW_OK)
        return rc;
    if (aw_msg_find_field(m, AW_FIELD_FILTER, &f)) {
        if ((rc = td_exp_filter_check(f.data, f.len)) != AW_OK)
            return rc;
        q->filter = f.data;
        q->filter_len = f.len;
    }
    if ((rc = check_ops(m)) != AW_OK)
        return rc;
    if (aw_msg_find_field(m, AW_FIELD_TASK_ID, &f) && f.len == 8)
        q->trid = aw_load_u64be(f.data);
    return AW_OK;
}

/* as_exp_matches_metadata: the filter on the record without its bins;
 * only a definite false skips the record there (filtered-meta). */
static bool filtered_by_meta(const bg_req *q, const td_store *store, const td_record *rec) {
    if (!q->filter)
        return false;
    td_record meta = *rec;
    meta.n_bins = 0;
    meta.bins = NULL;
    aw_arena arena;
    aw_arena_init(&arena, 0);
    td_exp *e;
    bool is_false = false;
    if (td_exp_build(q->filter, q->filter_len, &arena, &e) == AW_OK) {
        td_exp_ctx ex = {.store = store, .rec = &meta, .meta = &meta,
                         .stored_size = td_exp_stored_size(rec)};
        aw_value v;
        bool unknown;
        is_false = td_exp_eval(e, &ex, &v, &unknown, &arena) == AW_OK && !unknown &&
                   v.type == AW_BOOL && !v.u.b;
        td_exp_free(e);
    }
    aw_arena_free(&arena);
    return is_false;
}

/* The internal write of one record (as_transaction_init_iops with the
 * message as_msg_create_internal makes): namespace and digest, info2 WRITE
 * (+ durable delete), info3 UPDATE_ONLY (+ replace only), the request's
 * TTL and ops, and its filter. The server's internal write carries no set
 * and skips the set check; this one names the record's own set, which
 * passes it. */
static int write_one(td_store *store, const aw_msg_view *m, const bg_req *q, const td_record *rec,
                     uint64_t *counters) {
    aw_buf b;
    aw_buf_init(&b);
    aw_buf_grow(&b, AW_MSG_HEADER_SIZE);
    uint16_t n_fields = 3;
    aw_buf_field(&b, AW_FIELD_NAMESPACE, q->ns->name, (uint32_t)strlen(q->ns->name));
    aw_buf_field(&b, AW_FIELD_SET, rec->set, (uint32_t)strlen(rec->set));
    aw_buf_field(&b, AW_FIELD_DIGEST, rec->digest, AW_DIGEST_SIZE);
    if (q->filter) {
        aw_buf_field(&b, AW_FIELD_FILTER, q->filter, q->filter_len);
        n_fields++;
    }
    aw_buf_put(&b, m->ops, (size_t)(m->end - m->ops));
    aw_msg_header h = {
        .info2 = (uint8_t)(AW_INFO2_WRITE | (m->h.info2 & AW_INFO2_DURABLE_DELETE)),
        .info3 = (uint8_t)(AW_INFO3_UPDATE_ONLY | (m->h.info3 & AW_INFO3_REPLACE_ONLY)),
        .record_ttl = m->h.record_ttl, .n_fields = n_fields, .n_ops = m->h.n_ops};
    int rc = AW_ERR_SERVER_FULL;
    aw_msg_view w;
    if (aw_buf_ok(&b)) {
        aw_msg_header_write(b.data, &h);
        if (aw_msg_parse(b.data, b.len, &w, NULL, NULL) == AW_OK) {
            td_exec_ctx cx = {.store = store, .counters = counters};
            aw_buf reply;
            aw_buf_init(&reply);
            rc = td_exec(&cx, &w, NULL, &reply);
            aw_buf_free(&reply);
        }
    }
    aw_buf_free(&b);
    return rc;
}

static void run(td_store *store, const bool *masters, const aw_msg_view *m, const bg_req *q,
                td_job *job, uint64_t *counters) {
    bool want[AW_PARTITIONS];
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        want[p] = masters == NULL || masters[p];
    td_record **recs;
    long n = td_store_partition_walk(q->ns, want, td_store_now(store), NULL, &recs);
    td_query_hit *hits = NULL;
    if (n > 0 && q->is_query)
        n = td_query_hits(&q->query, store, recs, n, NULL, NULL, &hits);
    /* The digests first: the writes change the records the walk found. */
    uint8_t (*digests)[AW_DIGEST_SIZE] = n > 0 ? malloc((size_t)n * AW_DIGEST_SIZE) : NULL;
    long todo = 0;
    for (long i = 0; digests && i < n; i++) {
        td_record *rec = hits ? hits[i].rec : recs[i];
        if (q->set[0] && strcmp(rec->set, q->set) != 0)
            continue;
        if (filtered_by_meta(q, store, rec)) {
            job->filtered_meta++;
            continue;
        }
        memcpy(digests[todo++], rec->digest, AW_DIGEST_SIZE);
    }
    job->failed += n > 0 && !digests ? (uint64_t)n : 0;
    free(hits);
    free(recs);
    for (long i = 0; i < todo; i++) {
        td_record *rec = td_record_get(q->ns, digests[i], td_store_now(store));
        if (!rec)
            continue; /* "record deleted after generating tr" */
        job->throttled++;
        int rc = write_one(store, m, q, rec, counters);
        if (rc == AW_OK)
            job->succeeded++;
        else if (rc == AW_FILTERED_OUT)
            job->filtered_bins++;
        else if (rc != AW_ERR_RECORD_NOT_FOUND)
            job->failed++;
    }
    free(digests);
}

static void remember(td_jobs *jobs, td_job *job) {
    job->next = jobs->head;
    jobs->head = job;
    size_t kept = 1;
    for (td_job *j = job; j->next; j = j->next)
        if (++kept == TD_JOBS_KEPT) {
            td_jobs_free(&(td_jobs){.head = j->next});
            j->next = NULL;
            break;
        }
}

static void reply(aw_buf *out, uint8_t info3, int code) {
    size_t at = aw_proto_header_begin(out);
    aw_msg_header h = {.info3 = info3, .result_code = (uint8_t)code};
    aw_buf_msg_header(out, &h);
    aw_proto_header_patch(out, at, AW_PROTO_MSG);
}

void td_bgjob_handle(td_store *store, const bool *masters, td_jobs *jobs, const char *from,
                     const aw_msg_view *m, aw_buf *out, uint64_t *counters) {
    bg_req q;
    memset(&q, 0, sizeof q);
    int rc = start(store, m, &q);
    td_job *job = rc == AW_OK ? calloc(1, sizeof *job) : NULL;
    if (rc == AW_OK && !job)
        rc = AW_ERR_SERVER_FULL;
    if (rc != AW_OK) {
        reply(out, 0, rc); /* refused before the job: a plain message */
        return;
    }
    /* A task id of 0 asks the server for one. */
    job->trid = q.trid ? q.trid : (jobs ? ++jobs->next_trid : 1) + 0x7a770000u;
    snprintf(job->ns, sizeof job->ns, "%s", q.ns->name);
    snprintf(job->set, sizeof job->set, "%s", q.set);
    if (q.is_query)
        snprintf(job->sindex, sizeof job->sindex, "%s", q.query.si->name);
    job->rps = q.rps;
    snprintf(job->from, sizeof job->from, "%s", from ? from : "");
    job->start_ms = td_store_now_ms(store);
    run(store, masters, m, &q, job, counters);
    job->done_ms = td_store_now_ms(store);
    if (jobs)
        remember(jobs, job);
    else
        free(job);
    reply(out, AW_INFO3_LAST, AW_OK); /* as_msg_send_fin once the job started */
}
