/* Running a rows job on the batch engine, sync or on a loop. */
#include "rows_job.h"
#include <stdint.h>

int aw_rows_check_buffer(const char *fn, const void *rows, size_t rows_size, size_t n,
                         size_t itemsize, aw_error *err) {
    if (n == 0)
        return AW_OK;
    if (!rows)
        return aw_error_set(err, AW_ERR_PARAM, "%s: NULL rows", fn);
    if (itemsize && n > SIZE_MAX / itemsize)
        return aw_error_set(err, AW_ERR_PARAM, "%s: %zu rows of %zu bytes overflow a size_t", fn,
                            n, itemsize);
    if (rows_size < n * itemsize)
        return aw_error_set(err, AW_ERR_PARAM,
                            "%s: rows holds %zu bytes, %zu rows of %zu bytes need %zu", fn,
                            rows_size, n, itemsize, n * itemsize);
    return AW_OK;
}

int aw_rows_job_run(aw_client *client, const aw_batch_policy *policy, aw_rows_job *job,
                    aw_error *err) {
    int rc = aw_batch_exec(client, policy, &job->src, &job->sink, job->name, err);
    aw_rows_job_free(job);
    return rc;
}

static void job_done(void *ctx, const aw_error *err) {
    aw_rows_job *job = ctx;
    aw_batch_cb cb = job->cb;
    void *udata = job->udata;
    aw_rows_job_free(job); /* before the callback: it may free what the job points at */
    cb(err, udata);
}

int aw_rows_job_start(aw_loop *loop, const aw_batch_policy *policy, aw_rows_job *job,
                      aw_batch_cb cb, void *udata, aw_error *err) {
    job->cb = cb;
    job->udata = udata;
    /* n == 0 goes through the engine too: the callback still runs once, on
     * the loop, never inside this call. */
    int rc = aw_batch_exec_async(loop, policy, &job->src, &job->sink, job->name, job_done,
                                 job, err);
    if (rc != AW_OK)
        aw_rows_job_free(job);
    return rc;
}
