/*
 * The async scan/query engine: query_exec.c's rounds on an application's
 * loop. Each node's request of a round is an async command with hooks
 * (async_cmd.h) on a connection of its own; its frames are fed to the
 * stream reader as they arrive and its records to a sink, which may pause
 * the whole run (every connection stops reading: conn.h) or stop it.
 */
#ifndef AW_CLIENT_QUERY_ASYNC_H
#define AW_CLIENT_QUERY_ASYNC_H

#include <limits.h>

#include "aerowire/query.h"
#include "query_exec.h"

/* A sink's answer (besides 0 = go on, or a code that stops): this record
 * is taken, deliver no more until aw_query_resume. */
#define AW_QUERY_SINK_PAUSE INT_MAX

/* The end of a run, exactly once, from the loop (err NULL on success). */
typedef void (*aw_query_end_fn)(void *ctx, const aw_error *err);

/* Checks as aw_query_run does, then starts q over cursor (NULL: every
 * partition once) on loop. The sink may return AW_QUERY_SINK_PAUSE, or
 * AW_ERR_CLIENT_ABORT / AW_ERR_NOMEM to stop every stream with that code
 * (any other code fails that node's attempt, as in the sync engine). On
 * AW_OK, end will be called once and *out (out may be NULL) is the run's
 * handle until then; the run is then one span for the trace hook, named
 * `name`, ended just before end() with its code. */
int aw_query_exec_async(aw_loop *loop, const aw_query_policy *policy, const aw_query *q,
                        aw_partition_status *cursor, aw_query_sink_fn sink, void *sink_ctx,
                        aw_query_end_fn end, void *end_ctx, aw_query_handle **out,
                        const char *name, aw_error *err);

#endif
