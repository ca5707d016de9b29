/*
 * aw-testd: scans (see scan.h), as S8.1.2 as/src/query/query.c runs a basic
 * query job without a where clause.
 *
 * The request is checked in the order basic_query_job_start checks it, so a
 * request that breaks two rules gets the code the server would give. The job
 * then visits the requested partitions this node serves, each from its
 * largest digest down (after the resume digest when one was sent), and
 * answers the others PARTITION_DONE 11; a query (a where clause, query.c)
 * visits its index's hits instead. A filter expression (field 43) drops the
 * records it does not match before they count towards max_records. UDF
 * jobs and aggregations (Lua) are refused with UNSUPPORTED_FEATURE (16)
 * before the job starts, never ignored; an expression aw-testd cannot
 * evaluate ends the job with 16 in its LAST message. Background ops jobs
 * are bgjob.c's.
 */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "aerowire/key.h"
#include "aerowire/ops.h"
#include "exec.h"
#include "exp.h"
#include "proto/frame.h"
#include "query.h"

/* A job thread sends its buffer once it passes 1 MiB (query.c
 * basic_query_job_reduce_cb); aw-testd cuts its frames at the same size. */
#define FRAME_TARGET (1024 * 1024)
/* AS_SET_NAME_MAX_SIZE and INAME_MAX_SZ: names must be shorter. */
#define SET_NAME_MAX_SIZE 64
#define INDEX_NAME_MAX_SIZE 64

typedef struct pid_req {
    bool requested;
    bool has_resume;
    uint8_t digest[AW_DIGEST_SIZE]; /* resume: a scan sends digests below it */
    int64_t bval;                   /* a query resumes after (bval, digest) */
} pid_req;

typedef struct scan_req {
    td_namespace *ns;
    const char *set;     /* NULL or set_len 0: the whole namespace */
    uint32_t set_len;
    pid_req *pids;       /* AW_PARTITIONS entries; NULL when no partition was asked for */
    uint64_t max_records; /* 0: no limit */
    bool no_bins;
    bool is_short;
    bool has_ops;        /* projection ops: records answer what they return */
    const uint8_t *filter; /* filter expression (field 43); NULL when none */
    uint32_t filter_len;
    bool is_query;       /* a where clause (INDEX_RANGE): records come from its index */
    td_query query;
} scan_req;

static int64_t load_i64le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static bool has_field(const aw_msg_view *m, uint8_t type) {
    aw_field_view f;
    return aw_msg_find_field(m, type, &f);
}

/* A field that must be `size` bytes when present. */
static bool sized_or_absent(const aw_msg_view *m, uint8_t type, uint32_t size) {
    aw_field_view f;
    return !aw_msg_find_field(m, type, &f) || f.len == size;
}

/* query.c get_query_set: an empty set field is the whole namespace. */
static bool parse_set(const aw_msg_view *m, scan_req *q) {
    aw_field_view f;
    if (!aw_msg_find_field(m, AW_FIELD_SET, &f) || f.len == 0)
        return true;
    if (f.len >= SET_NAME_MAX_SIZE)
        return false;
    q->set = (const char *)f.data;
    q->set_len = f.len;
    return true;
}

/* query.c get_query_pids: PID_ARRAY (u16 LE each) and DIGEST_ARRAY (resume
 * points), no partition twice, none empty or over 4096 entries; a query's
 * digests need a BVAL_ARRAY of the same length, and a BVAL_ARRAY needs
 * digests. Returns AW_OK, AW_ERR_REQUEST_INVALID, or AW_ERR_SERVER_FULL when
 * out of memory. */
static int parse_pids(const aw_msg_view *m, scan_req *q, bool is_query) {
    aw_field_view pf, df, bf;
    bool has_pids = aw_msg_find_field(m, AW_FIELD_PID_ARRAY, &pf);
    bool has_digests = aw_msg_find_field(m, AW_FIELD_DIGEST_ARRAY, &df);
    bool has_bvals = aw_msg_find_field(m, AW_FIELD_BVAL_ARRAY, &bf);
    if (!has_pids && !has_digests)
        return AW_OK;
    q->pids = calloc(AW_PARTITIONS, sizeof *q->pids);
    if (!q->pids)
        return AW_ERR_SERVER_FULL;
    if (has_pids) {
        uint32_t n = pf.len / 2;
        if (n == 0 || n > AW_PARTITIONS)
            return AW_ERR_REQUEST_INVALID;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t pid = (uint32_t)pf.data[2 * i] | (uint32_t)pf.data[2 * i + 1] << 8;
            if (pid >= AW_PARTITIONS || q->pids[pid].requested)
                return AW_ERR_REQUEST_INVALID;
            q->pids[pid].requested = true;
        }
    }
    if (has_digests) {
        uint32_t n = df.len / AW_DIGEST_SIZE;
        if (n == 0 || n > AW_PARTITIONS)
            return AW_ERR_REQUEST_INVALID;
        if (is_query && (!has_bvals || bf.len / 8 != n))
            return AW_ERR_REQUEST_INVALID;
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *d = df.data + (size_t)i * AW_DIGEST_SIZE;
            pid_req *p = &q->pids[aw_partition_id(d)];
            if (p->requested)
                return AW_ERR_REQUEST_INVALID;
            p->requested = p->has_resume = true;
            memcpy(p->digest, d, AW_DIGEST_SIZE);
            if (is_query) /* BVAL_ARRAY: i64 LE per digest */
                p->bval = load_i64le(bf.data + (size_t)i * 8);
        }
    } else if (has_bvals) {
        return AW_ERR_REQUEST_INVALID;
    }
    return AW_OK;
}

/* query.c basic_query_get_ops: projection ops must all be reads with good
 * bin names (4); the deprecated bin list (field 40) aw-testd does not serve. */
static int check_ops(const aw_msg_view *m, scan_req *q) {
    bool binlist = has_field(m, AW_FIELD_QUERY_BINLIST);
    if (binlist && m->h.n_ops > 0)
        return AW_ERR_REQUEST_INVALID;
    if (binlist)
        return AW_ERR_UNSUPPORTED_FEATURE;
    aw_op_view op;
    aw_msg_iter it = aw_msg_ops(m);
    while (aw_msg_next_op(&it, &op))
        if (td_exec_projection_check(&op) != AW_OK)
            return AW_ERR_REQUEST_INVALID;
    q->has_ops = m->h.n_ops > 0;
    return AW_OK;
}

/* query.c get_query_filter_exp: a filter that does not build or is not
 * boolean is PARAMETER (4); one aw-testd cannot build is 16. */
static int check_filter(const aw_msg_view *m, scan_req *q) {
    aw_field_view f;
    if (!aw_msg_find_field(m, AW_FIELD_FILTER, &f))
        return AW_OK;
    q->filter = f.data;
    q->filter_len = f.len;
    return td_exp_filter_check(f.data, f.len);
}

/* query.c as_query + basic_query_job_start, up to the start of the job. */
static int start(const td_scan_env *env, const aw_msg_view *m, scan_req *q) {
    aw_field_view f;
    if (!aw_msg_find_field(m, AW_FIELD_NAMESPACE, &f)) /* thr_tsvc.c */
        return AW_ERR_NAMESPACE_NOT_FOUND;
    q->ns = td_store_ns(env->store, (const char *)f.data, f.len);
    if (!q->ns)
        return AW_ERR_NAMESPACE_NOT_FOUND;
    /* get_query_type: UDF jobs and aggregations run Lua, which aw-testd
     * does not have (background ops jobs are bgjob.c's). */
    if (has_field(m, AW_FIELD_UDF_PACKAGE))
        return AW_ERR_UNSUPPORTED_FEATURE;
    if (!(m->h.info3 & AW_INFO3_PARTITION_DONE))
        return AW_ERR_UNSUPPORTED_FEATURE; /* "basic query expects ... pid-done-ok" */
    q->is_short = (m->h.info1 & AW_INFO1_SHORT_QUERY) != 0;
    q->is_query = has_field(m, AW_FIELD_INDEX_RANGE);
    if (!parse_set(m, q))
        return AW_ERR_REQUEST_INVALID;
    int rc = parse_pids(m, q, q->is_query);
    if (rc != AW_OK)
        return rc;
    if (q->is_query && (rc = td_query_range(m, &q->query)) != AW_OK)
        return rc; /* get_query_range_and_def */
    if (has_field(m, AW_FIELD_RPS) && (q->is_short || !sized_or_absent(m, AW_FIELD_RPS, 4)))
        return AW_ERR_REQUEST_INVALID; /* get_query_rps; the rate is accepted, not applied */
    if (aw_msg_find_field(m, AW_FIELD_INDEX_NAME, &f) &&
        (has_field(m, AW_FIELD_INDEX_EXPRESSION) || f.len == 0 || f.len >= INDEX_NAME_MAX_SIZE))
        return AW_ERR_REQUEST_INVALID; /* get_query_si_name */
    if (!q->pids)
        return AW_ERR_UNSUPPORTED_FEATURE; /* "missing pids and digests fields" */
    if (q->is_query && (rc = td_query_find_index(m, q->ns, q->set, q->set_len, &q->query)) != AW_OK)
        return rc; /* find_sindex: 201 */
    if (!sized_or_absent(m, AW_FIELD_SOCKET_TIMEOUT, 4))
        return AW_ERR_REQUEST_INVALID;
    q->no_bins = (m->h.info1 & AW_INFO1_GET_NOBINDATA) != 0;
    if (aw_msg_find_field(m, AW_FIELD_MAX_RECORDS, &f)) {
        if (f.len != 8)
            return AW_ERR_REQUEST_INVALID;
        q->max_records = aw_load_u64be(f.data);
    }
    if (!q->no_bins && (rc = check_ops(m, q)) != AW_OK)
        return rc;
    return check_filter(m, q);
}

/* A KEY field: the stored key's particle type, then its bytes. */
static void put_key_field(aw_buf *out, const td_record *rec) {
    aw_buf_u32be(out, 1 + 1 + rec->key_len);
    aw_buf_u8(out, AW_FIELD_KEY);
    aw_buf_u8(out, rec->key_ptype);
    aw_buf_put(out, rec->key, rec->key_len);
}

/* One record message (proto.c as_msg_make_response_bufbuilder, or
 * query.c apply_ops_make_response with projection ops): fields namespace,
 * digest, set (when the record has one), key (when stored); all bins, none,
 * or what the ops return. A record the ops return nothing for (or fail on)
 * is not sent. Returns AW_OK, or 16 / AW_ERR_SERVER_FULL when aw-testd
 * could not apply the ops, which ends the job. */
static int put_record(aw_buf *out, const td_scan_env *env, const scan_req *q,
                      const aw_msg_view *m, td_record *rec, const int64_t *bval) {
    size_t at = out->len;
    aw_msg_header h = {0};
    h.info1 = q->no_bins ? AW_INFO1_GET_NOBINDATA : 0;
    h.generation = rec->gen;
    h.record_ttl = rec->void_time;
    h.n_fields = 2;
    aw_buf_grow(out, AW_MSG_HEADER_SIZE);
    aw_buf_field(out, AW_FIELD_NAMESPACE, q->ns->name, (uint32_t)strlen(q->ns->name));
    aw_buf_field(out, AW_FIELD_DIGEST, rec->digest, AW_DIGEST_SIZE);
    size_t set_len = strlen(rec->set);
    if (set_len) {
        aw_buf_field(out, AW_FIELD_SET, rec->set, (uint32_t)set_len);
        h.n_fields++;
    }
    if (rec->key_ptype) {
        put_key_field(out, rec);
        h.n_fields++;
    }
    if (bval) { /* a query's: the bval the index found the record by, i64 LE */
        uint8_t v[8];
        for (int i = 0; i < 8; i++)
            v[i] = (uint8_t)((uint64_t)*bval >> (8 * i));
        aw_buf_field(out, AW_FIELD_BVAL_ARRAY, v, sizeof v);
        h.n_fields++;
    }
    if (q->has_ops) {
        int rc = td_exec_project(env->store, rec, m, out, &h.n_ops);
        if (rc != AW_OK || h.n_ops == 0) {
            out->len = at;
            return rc == AW_ERR_UNSUPPORTED_FEATURE || rc == AW_ERR_SERVER_FULL ? rc : AW_OK;
        }
    } else if (!q->no_bins) {
        for (uint32_t i = 0; i < rec->n_bins; i++) {
            const td_bin *b = &rec->bins[i];
            aw_buf_op_header(out, AW_OP_READ, b->ptype, b->name, b->name_len, b->len);
            aw_buf_put(out, b->data, b->len);
        }
        h.n_ops = (uint16_t)rec->n_bins;
    }
    if (!aw_buf_ok(out))
        return AW_ERR_SERVER_FULL;
    aw_msg_header_write(out->data + at, &h);
    return AW_OK;
}

/* query.c basic_query_filter_meta + read_and_filter_bins: AW_OK when the
 * record passes the filter (or there is none), AW_FILTERED_OUT, or 16 /
 * AW_ERR_SERVER_FULL. */
static int filter(const td_scan_env *env, const scan_req *q, const td_record *rec) {
    if (!q->filter)
        return AW_OK;
    td_exp_ctx ex = {.store = env->store, .rec = rec, .meta = rec,
                     .stored_size = td_exp_stored_size(rec)};
    return td_exp_filter(q->filter, q->filter_len, &ex);
}

static void put_control(aw_buf *out, uint8_t info3, int code, uint32_t generation) {
    aw_msg_header h = {0};
    h.info3 = info3;
    h.result_code = (uint8_t)code;
    h.generation = generation;
    aw_buf_msg_header(out, &h);
}

static bool set_matches(const scan_req *q, const td_record *rec) {
    return q->set_len == 0 ||
           (strlen(rec->set) == q->set_len && memcmp(rec->set, q->set, q->set_len) == 0);
}

/* A query's resume point: its partition's (bval, digest), exclusive. */
static bool before_resume(const td_query_hit *h, void *ctx) {
    const scan_req *q = ctx;
    const pid_req *p = &q->pids[aw_partition_id(h->rec->digest)];
    return p->has_resume && !td_query_after(&q->query, h, p->bval, p->digest);
}

/*
 * A running job. The store changes between steps (other connections write,
 * delete, drop indexes), so no record is held from one step to the next:
 * each step walks the store for the next few partitions (a window) and
 * sends their records, and the job keeps only where it is. Records go in
 * frames of about FRAME_TARGET; the frame being filled stays in the job
 * until it is full, so the frames are cut where the whole reply's were.
 */
struct td_scan_job {
    td_store *store;
    uint8_t *body;                  /* the request, copied: m points into it */
    aw_msg_view m;
    scan_req q;
    bool serves[AW_PARTITIONS];
    uint32_t next_pid;              /* the first partition not visited yet */
    uint32_t window;                /* partitions a walk of the store takes */
    uint64_t count;                 /* records that passed every filter */
    uint64_t walked_bytes;          /* output of the partitions visited */
    uint32_t walked_pids;
    int end_code;
    bool stop;                      /* max_records reached or the job failed */
    bool done;                      /* LAST sent */
    aw_buf frame;                   /* the frame being filled (header first) */
};

/* Whether the query's index still exists (a dropped index's tree stops
 * giving records: sindex_tree.c query_collect_cb checks si->dropped). */
static bool index_alive(const scan_req *q) {
    const td_sindex_set *set = q->ns->sindexes;
    for (size_t i = 0; set && i < TD_MAX_SINDEXES; i++)
        if (set->slot[i] == q->query.si)
            return true;
    return false;
}

/* Ends the frame being filled into out and starts the next. */
static void cut_frame(td_scan_job *j, aw_buf *out) {
    aw_proto_header_patch(&j->frame, 0, AW_PROTO_MSG);
    aw_buf_put(out, j->frame.data, j->frame.len);
    aw_buf_reset(&j->frame);
    aw_proto_header_begin(&j->frame);
}

/* Visits partitions next_pid .. next_pid + window - 1, stopping after the
 * partition that completes a frame in this step (out had step_start
 * bytes): the next step walks the store again from the one after. */
static void visit_window(td_scan_job *j, aw_buf *out, size_t step_start) {
    scan_req *q = &j->q;
    bool want[AW_PARTITIONS] = {false};
    uint32_t end = j->next_pid + j->window;
    if (end > AW_PARTITIONS)
        end = AW_PARTITIONS;
    bool any = false;
    for (uint32_t p = j->next_pid; p < end; p++)
        any |= want[p] = q->pids[p].requested && j->serves[p];
    size_t before = j->frame.len + out->len;
    uint32_t first = j->next_pid;
    j->next_pid = end;
    if (!any || (q->is_query && !index_alive(q))) {
        j->walked_pids += end - first;
        return;
    }
    td_record **recs;
    char set[AW_SET_MAX + 1];
    bool one_set = q->set_len > 0 && q->set_len <= AW_SET_MAX;
    if (one_set)
        memcpy(set, q->set, q->set_len), set[q->set_len] = '\0';
    long n = td_store_partition_walk(q->ns, want, td_store_now(j->store), one_set ? set : NULL,
                                     &recs);
    if (n < 0) {
        j->end_code = AW_ERR_SERVER_FULL; /* abandoned: LAST carries the code */
        j->stop = true;
        return;
    }
    td_query_hit *hits = NULL;
    if (q->is_query && n > 0) {
        /* A query visits its index: the hits, in the tree's order. */
        n = td_query_hits(&q->query, j->store, recs, n, before_resume, q, &hits);
        if (n < 0) {
            j->end_code = n == -AW_ERR_UNSUPPORTED_FEATURE ? AW_ERR_UNSUPPORTED_FEATURE
                                                           : AW_ERR_SERVER_FULL;
            j->stop = true;
        }
    }
    for (long i = 0; i < n; i++) {
        td_record *rec = hits ? hits[i].rec : recs[i];
        uint32_t pid = aw_partition_id(rec->digest);
        if (i > 0 && pid != aw_partition_id((hits ? hits[i - 1].rec : recs[i - 1])->digest) &&
            out->len - step_start >= FRAME_TARGET) {
            j->next_pid = pid; /* a frame went out: the rest next step */
            break;
        }
        const pid_req *p = &q->pids[pid];
        if (!q->is_query && p->has_resume && memcmp(rec->digest, p->digest, AW_DIGEST_SIZE) >= 0)
            continue;
        if (!set_matches(q, rec))
            continue;
        td_scan_env env = {.store = j->store};
        int rc = filter(&env, q, rec);
        if (rc == AW_FILTERED_OUT)
            continue;
        /* sample-max counts the records that passed every filter. */
        if (rc == AW_OK && q->max_records && ++j->count > q->max_records) {
            j->stop = true;
            break;
        }
        if (rc == AW_OK)
            rc = put_record(&j->frame, &env, q, &j->m, rec, hits ? &hits[i].bval : NULL);
        if (rc != AW_OK) {
            j->end_code = rc; /* abandoned: LAST carries the code */
            j->stop = true;
            break;
        }
        if (j->frame.len > FRAME_TARGET + AW_PROTO_HEADER_SIZE)
            cut_frame(j, out);
    }
    free(hits);
    free(recs);
    j->walked_pids += j->next_pid - first;
    j->walked_bytes += j->frame.len + out->len - before;
}

/* The last frames: a short query's LAST ends its last data frame; a long
 * one's is a frame of its own (as_msg_send_fin_timeout after every thread
 * is done). */
static void finish(td_scan_job *j, aw_buf *out) {
    if (j->q.is_short) {
        put_control(&j->frame, AW_INFO3_LAST, j->end_code, 0);
        cut_frame(j, out);
    } else {
        if (j->frame.len > AW_PROTO_HEADER_SIZE)
            cut_frame(j, out);
        size_t at = aw_proto_header_begin(out);
        put_control(out, AW_INFO3_LAST, j->end_code, 0);
        aw_proto_header_patch(out, at, AW_PROTO_MSG);
    }
    j->done = true;
}

bool td_scan_step(td_scan_job *j, aw_buf *out) {
    if (j->done)
        return false;
    size_t start = out->len;
    while (!j->stop && j->next_pid < AW_PARTITIONS && out->len - start < FRAME_TARGET) {
        visit_window(j, out, start);
        /* The next window: about a frame's worth of partitions, by what the
         * visited ones gave. */
        uint64_t per_pid = j->walked_bytes / (j->walked_pids ? j->walked_pids : 1);
        uint64_t w = FRAME_TARGET / (per_pid ? per_pid : 1);
        j->window = w < 1 ? 1 : w > AW_PARTITIONS ? AW_PARTITIONS : (uint32_t)w;
    }
    if (!aw_buf_ok(&j->frame)) {
        j->end_code = AW_ERR_SERVER_FULL;
        j->stop = true;
        aw_buf_reset(&j->frame);
        aw_proto_header_begin(&j->frame);
    }
    if (j->stop || j->next_pid >= AW_PARTITIONS)
        finish(j, out);
    return !j->done;
}

void td_scan_job_free(td_scan_job *j) {
    if (!j)
        return;
    free(j->q.pids);
    free(j->body);
    aw_buf_free(&j->frame);
    free(j);
}

/* A job over a copy of the request (m points into the caller's buffer). */
static td_scan_job *job_new(const td_scan_env *env, const aw_msg_view *m) {
    td_scan_job *j = calloc(1, sizeof *j);
    const uint8_t *msg = m->fields - AW_MSG_HEADER_SIZE;
    size_t len = (size_t)(m->end - msg);
    if (j)
        j->body = malloc(len ? len : 1);
    size_t used;
    if (!j || !j->body || (memcpy(j->body, msg, len),
                           aw_msg_parse(j->body, len, &j->m, &used, NULL)) != AW_OK) {
        if (j)
            free(j->body);
        free(j);
        return NULL;
    }
    j->store = env->store;
    memcpy(j->serves, env->serves, sizeof j->serves);
    aw_buf_init(&j->frame);
    aw_proto_header_begin(&j->frame);
    return j;
}

td_scan_job *td_scan_start(const td_scan_env *env, const aw_msg_view *m, aw_buf *out) {
    if ((m->h.info2 & AW_INFO2_WRITE) && !has_field(m, AW_FIELD_UDF_PACKAGE) &&
        has_field(m, AW_FIELD_NAMESPACE)) {
        td_bgjob_handle(env->store, env->masters, env->jobs, env->from, m, out, env->counters);
        return NULL;
    }
    td_scan_job *j = job_new(env, m);
    int rc = j ? start(env, &j->m, &j->q) : AW_ERR_SERVER_FULL;
    if (rc != AW_OK) {
        /* Refused before the job: one plain message (not LAST). */
        size_t at = aw_proto_header_begin(out);
        td_reply_code(out, rc, 0);
        aw_proto_header_patch(out, at, AW_PROTO_MSG);
        td_scan_job_free(j);
        return NULL;
    }
    /* A first window of about a frame, guessing 100 bytes a record; the
     * next ones follow what the visited partitions gave. */
    uint64_t per_pid = (j->q.ns->n_records / AW_PARTITIONS + 1) * 100;
    uint64_t w = FRAME_TARGET / per_pid;
    j->window = w < 1 ? 1 : w > AW_PARTITIONS ? AW_PARTITIONS : (uint32_t)w;
    /* The partitions this node does not hold open the first frame. */
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        if (j->q.pids[p].requested && !j->serves[p])
            put_control(&j->frame, AW_INFO3_PARTITION_DONE, AW_ERR_CLUSTER, p);
    return j;
}

void td_scan_handle(const td_scan_env *env, const aw_msg_view *m, aw_buf *out) {
    td_scan_job *j = td_scan_start(env, m, out);
    while (j && td_scan_step(j, out))
        ;
    td_scan_job_free(j);
}
