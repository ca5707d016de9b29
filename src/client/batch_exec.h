/*
 * The batch engine: takes n rows from a source, groups them by node,
 * encodes bounded per-node requests, runs them (sync: all nodes at once
 * from the calling thread; async: on a loop), and hands every row's answer
 * to a sink. The public batch calls (batch_api.c) and the columnar layer
 * (src/numpy) are sources and sinks over this one engine, so there is one
 * batch parser and one way of routing, splitting and retrying.
 */
#ifndef AW_CLIENT_BATCH_EXEC_H
#define AW_CLIENT_BATCH_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/batch.h"
#include "proto/batch.h"
#include "proto/msg.h"

/* Where rows come from. The engine asks for rows by index, in any order
 * and possibly more than once (a retry re-encodes a failed node's rows). */
typedef struct aw_batch_source {
    size_t n;
    /* Fills *row for index i (row->index is set by the engine). What it
     * points to must stay valid until the next call of row(). A non-zero
     * return fails that row only, with that code and err's message. */
    int (*row)(void *ctx, size_t i, aw_batch_row *row, aw_error *err);
    /* The key of row i, for routing (must not need row() first). It may
     * point to storage the source reuses (rows_write builds each key into
     * one struct): the engine uses it only until its next call of key() or
     * row(). */
    const aw_key *(*key)(void *ctx, size_t i);
    /* Whether row i writes (routing to the master, retry safety). */
    bool (*writes)(void *ctx, size_t i);
    void *ctx;
    /* Every row's kind, bin names and options are the same (row() fills
     * the same values for each); only the key differs. A row then repeats
     * the one before it in its request when their namespace and set
     * match, with nothing else compared (aw_batch_writer.uniform), and
     * such a row is written from its key alone, without calling row()
     * (which must then have nothing else to do). */
    bool uniform;
} aw_batch_source;

/* Where answers go. Called exactly once per row, on the thread running the
 * batch: with the server's result and its message (ops) when the server
 * answered, or with msg NULL and a client code (timeout, connection lost,
 * no node, encoding error...) when it did not. msg and what it points to
 * are valid only during the call (they point into the read buffer).
 * Also with msg NULL (and err): rows the server left unanswered when it
 * ended their request with an error in its LAST message (a whole-batch
 * error such as 152 BATCH_QUEUES_FULL) get that server code. Result 0
 * always comes with msg. */
typedef struct aw_batch_sink {
    void (*row)(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *msg,
                const aw_error *err);
    void *ctx;
} aw_batch_sink;

/* Runs the batch to completion on the calling thread. Returns AW_OK once
 * every row went to the sink, or an error without calling the sink at all
 * when nothing could be attempted (NULL arguments, n == 0 is AW_OK with no
 * calls, client closing). `name` is the command the trace hook sees: the
 * call is one span from its start (once the plan accepted the policy) to
 * its return. */
int aw_batch_exec(aw_client *client, const aw_batch_policy *policy, const aw_batch_source *src,
                  const aw_batch_sink *sink, const char *name, aw_error *err);

/* The same on a loop: every sink call and then done() happen on the loop's
 * thread, never inside this call. On AW_OK done() runs exactly once (the
 * span ends just before it); on an error it never runs, the sink is never
 * called and nothing is traced. */
int aw_batch_exec_async(aw_loop *loop, const aw_batch_policy *policy, const aw_batch_source *src,
                        const aw_batch_sink *sink, const char *name,
                        void (*done)(void *ctx, const aw_error *err), void *done_ctx,
                        aw_error *err);

#endif
