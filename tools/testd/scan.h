/*
 * aw-testd's scans: a type-3 request without a DIGEST field that is not a
 * batch is a scan or query (S8.1.2 as_transaction_is_query), answered with a
 * stream of record messages, PARTITION_DONE messages for the partitions this
 * node does not serve, and a LAST message.
 */
#ifndef TD_SCAN_H
#define TD_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "bgjob.h"
#include "proto/buf.h"
#include "proto/msg.h"
#include "store.h"

typedef struct td_scan_env {
    td_store *store;
    /* serves[pid]: this node holds a full copy of the partition (master or
     * replica), what as_partition_reserve_query asks; the others are
     * answered PARTITION_DONE 11. */
    const bool *serves;
    uint64_t *counters; /* optional td_stat slots */
    /* Background jobs: masters[pid], the node is the partition's master
     * (NULL: every partition); the node's job list for query-show (NULL:
     * not recorded); the client's address. */
    const bool *masters;
    td_jobs *jobs;
    const char *from;
} td_scan_env;

/* A scan/query being answered, a step at a time. */
typedef struct td_scan_job td_scan_job;

/* Starts answering one scan/query request. A request refused before the
 * job gets its one plain message (with the code) in out, a background ops
 * job (info2 WRITE) runs there at once (bgjob.h) and its answer goes to
 * out: NULL then. Otherwise the job, whose answer td_scan_step gives. */
td_scan_job *td_scan_start(const td_scan_env *env, const aw_msg_view *m, aw_buf *out);

/* Appends the next whole type-3 frames of the stream to out, about a
 * frame's worth (the server's ~1 MiB), the LAST message at the end. Returns
 * true while more remain. The job reads the store afresh at each step. */
bool td_scan_step(td_scan_job *j, aw_buf *out);
void td_scan_job_free(td_scan_job *j);

/* The whole answer at once: td_scan_start, then every step. */
void td_scan_handle(const td_scan_env *env, const aw_msg_view *m, aw_buf *out);

#endif
