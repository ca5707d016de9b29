/*
 * The partition cursor (aerowire/query.h's aw_partition_status): its
 * layout, and the bookkeeping a scan/query round does on it. Pure data: the
 * client decides which node asks which partitions and feeds back what the
 * streams said.
 */
#ifndef AW_PROTO_PSTATUS_H
#define AW_PROTO_PSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/query.h"

struct aw_partition_status {
    uint32_t begin;               /* first partition id covered */
    uint32_t count;               /* partitions covered: parts[0 .. count) */
    aw_partition_info parts[];    /* parts[i].id == begin + i */
};

/* Partition `id`'s entry, or NULL when the cursor does not cover it. */
aw_partition_info *aw_pstatus_part(aw_partition_status *ps, uint32_t id);

/* A record arrived: its partition resumes after it from now on. Records of
 * partitions the cursor does not cover are ignored (false). */
bool aw_pstatus_on_record(aw_partition_status *ps, const uint8_t digest[AW_DIGEST_SIZE],
                          int64_t bval);

/* A node's stream over parts[0..n) ended. `complete` (LAST 0 and fewer
 * records than the node was allowed) marks every one of them done except
 * those flagged retry (unavailable on that node); otherwise they stay to do,
 * resuming after their digest. */
void aw_pstatus_node_end(aw_partition_info *const *parts, size_t n, bool complete);

#endif
