/*
 * The sync scan/query engine: one round asks every node for its partitions
 * of the cursor (all at once from the calling thread, with poll()), feeds
 * each stream to the codec's reader and each record to a sink; rounds repeat
 * for the partitions that must be asked again.
 */
#ifndef AW_CLIENT_QUERY_EXEC_H
#define AW_CLIENT_QUERY_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/query.h"
#include "proto/msg.h"
#include "proto/scanq.h"

/* Gets every record the engine keeps (after the cursor has it). A non-zero
 * return stops every stream and becomes the result; AW_ERR_NOMEM and
 * AW_ERR_PROTO say the sink could not take the record, which the cursor
 * then forgets (a later call asks for it again). */
typedef int (*aw_query_sink_fn)(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta);

struct aw_tspan;

/* span (may be NULL or off) counts the run's node requests, rounds and
 * records delivered. */
int aw_query_exec(aw_client *client, const aw_query_policy *pol, const aw_query *q,
                  aw_partition_status *ps, aw_query_sink_fn sink, void *sink_ctx,
                  struct aw_tspan *span, aw_error *err);

/* aw_query_foreach's checks (policy, and what the encoder refuses: nothing
 * is sent then), then aw_query_exec over the cursor (NULL: every partition
 * once): the public sync calls over a sink of their own. Once the checks
 * passed, *span is begun as the public call `name`; the caller ends it with
 * the call's final code (aw_tspan_end: harmless when it was never begun). */
int aw_query_run(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                 aw_partition_status *cursor, aw_query_sink_fn sink, void *sink_ctx,
                 struct aw_tspan *span, const char *name, aw_error *err);

/* A random task id (never 0: the server would pick its own). */
uint64_t aw_query_task_id(void);

#endif
