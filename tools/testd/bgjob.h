/*
 * aw-testd's background ops jobs (S8.1.2 query/query.c ops_bg_query_job):
 * a scan or query request with info2 WRITE and write ops, applied to every
 * record it finds on the partitions this node is master of, each as an
 * internal write; and the jobs a node ran, as query-show lists them.
 */
#ifndef TD_BGJOB_H
#define TD_BGJOB_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/msg.h"
#include "store.h"

typedef struct td_job {
    struct td_job *next;
    uint64_t trid;
    char ns[AW_NAMESPACE_MAX + 1];
    char set[AW_SET_MAX + 1];
    char sindex[64];        /* "" for a job without a where clause */
    uint32_t rps;
    uint64_t throttled, filtered_meta, filtered_bins, succeeded, failed;
    uint64_t start_ms, done_ms;
    char from[64];          /* the client, "address+port" */
} td_job;

/* A node's finished jobs, newest first (the server keeps them for
 * query-show until they age out; aw-testd keeps the last TD_JOBS_KEPT). */
#define TD_JOBS_KEPT 100
typedef struct td_jobs {
    td_job *head;
    uint64_t next_trid;     /* for requests without a task id */
} td_jobs;

void td_jobs_free(td_jobs *jobs);

/* Runs the job of m (a request with info2 WRITE and no UDF) and appends
 * the answer: LAST 0 once its writes are done, or one plain message with
 * the code of a request refused before it starts. `masters[pid]`: the node
 * is the partition's master (as_partition_reserve_write). jobs may be NULL
 * (not recorded); from names the client. */
void td_bgjob_handle(td_store *store, const bool *masters, td_jobs *jobs, const char *from,
                     const aw_msg_view *m, aw_buf *out, uint64_t *counters);

/* query-show[:id=N] (query_manager.c as_query_manager_get_job_info): the
 * job's line, or every job's; ERROR:2:job not found for an unknown id
 * (jobs_info.c). */
void td_jobs_show(const td_jobs *jobs, const td_store *store, const char *params, size_t len,
                  aw_buf *b);

#endif
