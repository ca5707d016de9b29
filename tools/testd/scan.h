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

/* Answers one scan/query request, appending whole type-3 frames to out: the
 * stream, or one plain message with the code of a request refused before it
 * starts. A background ops job (info2 WRITE) runs there (bgjob.h). */
void td_scan_handle(const td_scan_env *env, const aw_msg_view *m, aw_buf *out);

#endif
