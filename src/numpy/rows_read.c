/*
 * aw_batch_read_into / _async: a batch source of READ rows naming the
 * plan's bins (only they travel), and the plan's decoder as the sink.
 *
 * Duplicate keys: each position is a row of its own in the request, so
 * each gets its own answer, decoded into its own row (the same record
 * twice, read twice).
 */
#include <string.h>
#include <time.h>

#include "proto/keys_many.h"
#include "proto/mem.h"
#include "proto/request.h"
#include "row_plan.h"
#include "rows_job.h"

/* Rows whose digests are made together (a multiple of the lanes' 16). */
#define IDS_CHUNK 128

typedef struct read_job {
    aw_rows_job job;        /* first: the job handed out */
    aw_row_plan *plan;
    const aw_key *keys;     /* NULL for a read of ids: */
    /* the integer user keys of one set; each row's key is `one` with its
     * id and digest written in. The digests are made a chunk at a time as
     * the rows are placed (in order, but for retries): no buffer of n. */
    const int64_t *ids;
    size_t set_len;
    size_t chunk_at; /* digests[k] is row chunk_at + k's; SIZE_MAX: none yet */
    uint8_t digests[IDS_CHUNK][AW_DIGEST_SIZE];
    aw_key one;
    aw_req_opts opts;
    aw_rows_sink_ctx out;
} read_job;

static const aw_key *read_key(void *ctx, size_t i) {
    read_job *c = ctx;
    if (c->keys)
        return &c->keys[i];
    size_t at = i - i % IDS_CHUNK; /* never SIZE_MAX: IDS_CHUNK is even */
    if (at != c->chunk_at) {
        size_t n = c->job.src.n;
        c->chunk_at = at;
        size_t m = n - c->chunk_at < IDS_CHUNK ? n - c->chunk_at : IDS_CHUNK;
        aw_int_key_digests(c->one.set, c->set_len, c->ids + c->chunk_at, m, c->digests);
    }
    c->one.user_key.u.i = c->ids[i];
    memcpy(c->one.digest, c->digests[i - c->chunk_at], AW_DIGEST_SIZE);
    return &c->one;
}

static int read_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    (void)err;
    read_job *c = ctx;
    row->key = read_key(c, i);
    row->kind = AW_BATCH_READ;
    row->bins = c->plan->bin_names;
    row->n_bins = c->plan->n;
    row->ops = NULL;
    row->n_ops = 0;
    row->opts = &c->opts;
    return AW_OK;
}

static bool read_writes(void *ctx, size_t i) {
    (void)ctx;
    (void)i;
    return false;
}

static void read_job_free(aw_rows_job *job) {
    read_job *c = (read_job *)job;
    aw_row_plan_free(c->plan);
    aw_free(c);
}

static uint64_t unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec;
}

/* A job of n rows with everything but its keys; *out NULL on error. */
static int read_job_begin(const char *what, const aw_batch_policy *policy, size_t n,
                          const char *const *bins, size_t n_bins, const aw_dtype *dt, void *rows,
                          size_t rows_size, aw_row_meta *meta, int32_t *codes, read_job **out,
                          aw_error *err) {
    *out = NULL;
    if (!dt)
        return aw_error_set(err, AW_ERR_PARAM, "%s: NULL dtype", what);
    size_t itemsize = aw_dtype_itemsize(dt);
    int rc = aw_rows_check_buffer(what, rows, rows_size, n, itemsize, err);
    if (rc != AW_OK)
        return rc;
    read_job *c = aw_calloc(1, sizeof *c);
    if (!c)
        return aw_error_set(err, AW_ERR_NOMEM, "%s: out of memory", what);
    rc = aw_row_plan_new(dt, bins, n_bins, &c->plan, err);
    if (rc != AW_OK) {
        aw_free(c);
        return rc;
    }
    c->opts = aw_req_opts_default();
    if (policy)
        c->opts.read_mode_ap_all = policy->base.read_mode_ap_all;
    c->out.plan = c->plan;
    c->out.rows = rows;
    c->out.meta = meta;
    c->out.codes = codes;
    c->out.now = unix_now(); /* one clock read per batch */
    c->job.src.n = n;
    c->job.src.row = read_row;
    c->job.src.uniform = true; /* every row: the plan's names, the same options */
    c->job.src.key = read_key;
    c->job.src.writes = read_writes;
    c->job.src.ctx = c;
    c->job.sink.row = aw_rows_sink_row;
    c->job.sink.ctx = &c->out;
    c->job.free_fn = read_job_free;
    c->job.name = what;
    *out = c;
    return AW_OK;
}

int aw_rows_read_job_new(const aw_batch_policy *policy, const aw_key *keys, size_t n,
                         const char *const *bins, size_t n_bins, const aw_dtype *dt, void *rows,
                         size_t rows_size, aw_row_meta *meta, int32_t *codes, aw_rows_job **out,
                         aw_error *err) {
    *out = NULL;
    if (n > 0 && !keys && dt)
        return aw_error_set(err, AW_ERR_PARAM, "batch_read_into: NULL keys");
    read_job *c;
    int rc = read_job_begin("batch_read_into", policy, n, bins, n_bins, dt, rows, rows_size,
                            meta, codes, &c, err);
    if (rc != AW_OK)
        return rc;
    c->keys = keys;
    *out = &c->job;
    return AW_OK;
}

int aw_rows_read_ids_job_new(const aw_batch_policy *policy, const char *ns, const char *set,
                             const int64_t *ids, size_t n, const char *const *bins,
                             size_t n_bins, const aw_dtype *dt, void *rows, size_t rows_size,
                             aw_row_meta *meta, int32_t *codes, aw_rows_job **out,
                             aw_error *err) {
    *out = NULL;
    aw_key one;
    aw_error why;
    int rc = aw_key_init_int(&one, ns, set, 0, &why); /* checks the names */
    if (rc != AW_OK)
        return aw_error_set(err, rc, "batch_read_ids_into: %s", why.message);
    if (n > 0 && !ids)
        return aw_error_set(err, AW_ERR_PARAM, "batch_read_ids_into: NULL ids");
    read_job *c;
    rc = read_job_begin("batch_read_ids_into", policy, n, bins, n_bins, dt, rows, rows_size,
                        meta, codes, &c, err);
    if (rc != AW_OK)
        return rc;
    c->one = one;
    c->ids = ids;
    c->set_len = strlen(one.set);
    c->chunk_at = SIZE_MAX;
    *out = &c->job;
    return AW_OK;
}

int aw_batch_read_into(aw_client *client, const aw_batch_policy *policy, const aw_key *keys,
                       size_t n, const char *const *bins, size_t n_bins, const aw_dtype *dt,
                       void *rows, size_t rows_size, aw_row_meta *meta, int32_t *codes,
                       aw_error *err) {
    aw_error_reset(err);
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "batch_read_into: NULL client");
    aw_rows_job *job;
    int rc = aw_rows_read_job_new(policy, keys, n, bins, n_bins, dt, rows, rows_size, meta, codes,
                                  &job, err);
    if (rc != AW_OK)
        return rc;
    return aw_rows_job_run(client, policy, job, err);
}

int aw_batch_read_into_async(aw_loop *loop, const aw_batch_policy *policy, const aw_key *keys,
                             size_t n, const char *const *bins, size_t n_bins,
                             const aw_dtype *dt, void *rows, size_t rows_size, aw_row_meta *meta,
                             int32_t *codes, aw_batch_cb cb, void *udata, aw_error *err) {
    aw_error_reset(err);
    if (!loop || !cb)
        return aw_error_set(err, AW_ERR_PARAM, "batch_read_into_async: NULL loop or callback");
    aw_rows_job *job;
    int rc = aw_rows_read_job_new(policy, keys, n, bins, n_bins, dt, rows, rows_size, meta, codes,
                                  &job, err);
    if (rc != AW_OK)
        return rc;
    return aw_rows_job_start(loop, policy, job, cb, udata, err);
}

int aw_batch_read_ids_into(aw_client *client, const aw_batch_policy *policy, const char *ns,
                           const char *set, const int64_t *ids, size_t n,
                           const char *const *bins, size_t n_bins, const aw_dtype *dt,
                           void *rows, size_t rows_size, aw_row_meta *meta, int32_t *codes,
                           aw_error *err) {
    aw_error_reset(err);
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "batch_read_ids_into: NULL client");
    aw_rows_job *job;
    int rc = aw_rows_read_ids_job_new(policy, ns, set, ids, n, bins, n_bins, dt, rows, rows_size,
                                      meta, codes, &job, err);
    if (rc != AW_OK)
        return rc;
    return aw_rows_job_run(client, policy, job, err);
}

int aw_batch_read_ids_into_async(aw_loop *loop, const aw_batch_policy *policy, const char *ns,
                                 const char *set, const int64_t *ids, size_t n,
                                 const char *const *bins, size_t n_bins, const aw_dtype *dt,
                                 void *rows, size_t rows_size, aw_row_meta *meta,
                                 int32_t *codes, aw_batch_cb cb, void *udata, aw_error *err) {
    aw_error_reset(err);
    if (!loop || !cb)
        return aw_error_set(err, AW_ERR_PARAM,
                            "batch_read_ids_into_async: NULL loop or callback");
    aw_rows_job *job;
    int rc = aw_rows_read_ids_job_new(policy, ns, set, ids, n, bins, n_bins, dt, rows, rows_size,
                                      meta, codes, &job, err);
    if (rc != AW_OK)
        return rc;
    return aw_rows_job_start(loop, policy, job, cb, udata, err);
}
