/*
 * The batch sources and sinks behind aw_batch_read_into and
 * aw_batch_write_from, as objects of their own: the public calls run them
 * on the batch engine, tests drive them directly (encode a source's rows
 * with the batch writer, feed replies to a sink) with no server.
 *
 * A job checks every argument when it is made (the public calls' errors
 * are these) and holds everything the batch needs but the caller's arrays,
 * which must outlive it. Freeing NULL is harmless.
 */
#ifndef AW_NUMPY_ROWS_JOB_H
#define AW_NUMPY_ROWS_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/numpy.h"
#include "client/batch_exec.h"

typedef struct aw_rows_job {
    aw_batch_source src;
    aw_batch_sink sink;
    const char *name;       /* the public call, for the trace hook */
    aw_batch_cb cb;         /* async: the caller's callback */
    void *udata;
    void (*free_fn)(struct aw_rows_job *job);
} aw_rows_job;

/* A read job: READ rows of keys[0..n) naming the plan's bins; the sink
 * decodes into rows (see aw_batch_read_into for the checks). */
int aw_rows_read_job_new(const aw_batch_policy *policy, const aw_key *keys, size_t n,
                         const char *const *bins, size_t n_bins, const aw_dtype *dt, void *rows,
                         size_t rows_size, aw_row_meta *meta, int32_t *codes, aw_rows_job **out,
                         aw_error *err);

/* The same for the integer user keys ids[0..n) of one namespace and set
 * (aw_batch_read_ids_into): their digests are made as the rows are placed. */
int aw_rows_read_ids_job_new(const aw_batch_policy *policy, const char *ns, const char *set,
                             const int64_t *ids, size_t n, const char *const *bins,
                             size_t n_bins, const aw_dtype *dt, void *rows, size_t rows_size,
                             aw_row_meta *meta, int32_t *codes, aw_rows_job **out,
                             aw_error *err);

/* A write job: one OPERATE row of write ops per row (see
 * aw_batch_write_from); keys are built, digests included, when the job is
 * made. */
int aw_rows_write_job_new(const aw_batch_policy *policy, const void *rows, size_t rows_size,
                          size_t n, const aw_dtype *dt, const char *ns, const char *set,
                          const char *key_field, int32_t *codes, bool *in_doubt, uint32_t *gens,
                          aw_rows_job **out, aw_error *err);

/* The caller's row buffer: n rows of itemsize bytes need rows (when n > 0)
 * and rows_size >= n * itemsize, without overflow. `fn` names the public
 * call in the message. */
int aw_rows_check_buffer(const char *fn, const void *rows, size_t rows_size, size_t n,
                         size_t itemsize, aw_error *err);

static inline void aw_rows_job_free(aw_rows_job *job) {
    if (job)
        job->free_fn(job);
}

/* Runs a job on the engine (sync), or starts it on a loop (async: the job
 * is freed and then job->cb called once, from the loop); the job belongs
 * to these from the call on, whatever they return. */
int aw_rows_job_run(aw_client *client, const aw_batch_policy *policy, aw_rows_job *job,
                    aw_error *err);
int aw_rows_job_start(aw_loop *loop, const aw_batch_policy *policy, aw_rows_job *job,
                      aw_batch_cb cb, void *udata, aw_error *err);

#endif
