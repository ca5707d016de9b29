/*
 * aw-testd: filter expressions (field 43) and expression ops (op types 7
 * and 8), evaluated with the real server's semantics (as/src/base/exp.c,
 * expop.c). docs/testd.md lists what is evaluated and what is refused.
 */
#ifndef TD_EXP_H
#define TD_EXP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/value.h"
#include "proto/arena.h"
#include "proto/msg.h"
#include "store.h"

typedef struct td_exp td_exp;

/* The builtin (loop) variables of a path expression (cdt.c cdt_select_*:
 * a list element's index and value, a map entry's key and value); NULL for
 * one the level does not set, which reads as unknown. */
typedef struct td_exp_loop {
    const aw_value *key;
    const aw_value *value;
    const aw_value *index;
} td_exp_loop;

/* What an expression reads besides its own bytes. */
typedef struct td_exp_ctx {
    const td_store *store;  /* the clock (since_update, ttl) */
    const td_record *rec;   /* the bins (a write's working copy) */
    const td_record *meta;  /* the index entry: set, digest, stored key, last-update
                               and void time (during a write's ops: the new ones) */
    uint64_t stored_size;   /* as_record_stored_size: before the command */
    /* A path expression (select / modify by path) has loop variables and no
     * record (store, rec and meta NULL); anything else has none, and reads
     * them as unknown (exp.c rt_init_builtin_vars without a vars table). */
    const td_exp_loop *loop;
} td_exp_ctx;

/* The size the server reports for a stored record: its flat size in
 * 16-byte blocks (storage/flat.h N_RBLOCKS_TO_SIZE); 16 for a record being
 * created, which has no blocks yet (n_rblocks 0 reads as one block). */
uint64_t td_exp_stored_size(const td_record *stored);

/* Builds (parses and type-checks, exp.c build_internal) an expression.
 * Returns AW_OK with *out, AW_ERR_REQUEST_INVALID (4) for what the server
 * refuses to build, AW_ERR_UNSUPPORTED_FEATURE (16) for what aw-testd does
 * not evaluate, or AW_ERR_SERVER_FULL when out of memory. Everything lives
 * in `arena`; td_exp_free releases the rest (compiled regexes). */
int td_exp_build(const uint8_t *p, size_t len, aw_arena *arena, td_exp **out);
/* The same for an expression of a select / modify by path (a context
 * item's filter, a modify expression), where result_remove is served. */
int td_exp_build_path(const uint8_t *p, size_t len, aw_arena *arena, td_exp **out);
void td_exp_free(td_exp *e);

/* Evaluates e against ctx. *unknown = the server's "unknown" (the
 * expression failed to evaluate: a missing bin, a wrong type, ...);
 * otherwise *result is the value (AW_NIL, AW_BOOL, AW_INT, ...; storage in
 * `arena`). Returns AW_OK, 16 for what aw-testd cannot evaluate (a
 * container op it does not serve, ...), or AW_ERR_SERVER_FULL. */
int td_exp_eval(const td_exp *e, const td_exp_ctx *ctx, aw_value *result, bool *unknown,
                aw_arena *arena);
/* td_exp_eval of a path expression: *remove when it is result_remove. */
int td_exp_eval_path(const td_exp *e, const td_exp_loop *loop, aw_value *result, bool *unknown,
                     bool *remove, aw_arena *arena);

/* A filter (field 43) against a record: AW_OK when it is true,
 * AW_FILTERED_OUT when false or unknown (exp.c as_exp_matches_record),
 * 4 when it does not build or is not boolean (check_filter_exp), 16. */
int td_exp_filter(const uint8_t *p, size_t len, const td_exp_ctx *ctx);

/* Whether a filter builds and is boolean: AW_OK, 4 or 16 (a batch's own
 * filter is built once, before its rows: batch.c as_batch_queue_task). */
int td_exp_filter_check(const uint8_t *p, size_t len);

/* Expression read op (7): *result = the value to answer under the op's name
 * (AW_NIL: no bin). Returns AW_OK or the server's code (expop.c
 * as_exp_read_tr: 4 malformed, 26 failed to evaluate without EVAL_NO_FAIL). */
int td_exp_read_op(const aw_op_view *op, const td_exp_ctx *ctx, aw_value *result,
                   aw_arena *arena);

/* Expression modify op (8) on the working record w (expop.c
 * as_exp_modify_tr): sets or deletes the op's bin. Returns AW_OK or the
 * server's code (4, 6 bin exists, 17 bin not found, 26). */
int td_exp_modify_op(td_record *w, const aw_op_view *op, const td_exp_ctx *ctx);

#endif
