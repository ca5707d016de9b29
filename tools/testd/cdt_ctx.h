/* aw-testd: CDT ops with a context, the op value [0xff, [type, value, ...],
 * [code, args...]] that reaches a list or map nested in the bin
 * (cdt_ctx.c), and the pieces of a plain CDT op (cdt.c) it reuses. */
#ifndef TD_CDT_CTX_H
#define TD_CDT_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/value.h"
#include "cdt_list.h"
#include "proto/arena.h"
#include "proto/msg.h"
#include "store.h"

/* The wrapper op codes (cdt.c AS_CDT_OP_CONTEXT_EVAL, AS_CDT_OP_SELECT). */
#define TD_CDT_CONTEXT_EVAL 0xff
#define TD_CDT_SELECT 0xfe

/* Applies the op inside `wrapped` (the decoded op value, first item 0xff)
 * to the container its context selects in bin op->name of w, as the
 * server's cdt.c cdt_process_state_context_eval does; changed containers
 * are written back into their parents and the bin. Same contract as
 * td_cdt_apply. */
int td_cdt_ctx_apply(td_record *w, const aw_op_view *op, const aw_value *wrapped, bool modify,
                     aw_value *result, aw_arena *arena);

/* cdt.c: the op [code, args...] as a call; 4 for what the server cannot
 * parse, 16 for a code aw-testd does not serve. */
int td_cdt_call_of(const aw_value *v, cdt_call *c);

/* cdt.c: list op codes are below 64, map op codes from 64. */
bool td_cdt_is_list_code(int64_t code);

/* cdt.c: an index (negative from the end) resolved against n elements,
 * false when out of range. (td_cdt_storable is in cdt_list.h, td_map_key_ok
 * in cdt_map.h.) */
bool td_cdt_resolve_index(int64_t index, uint32_t n, uint32_t *out);

/* cdt.c: a read code in a modify op or a modify code in a read op (the
 * server answers PARAMETER). */
bool td_cdt_wrong_op_type(int64_t code, bool modify);

/* cdt.c: ops that only take away; a no-op where there is nothing. */
bool td_cdt_removes_only(int64_t code);

/* cdt.c: the call applied to a list (list code) or map (map code);
 * `created`: the op makes this container (its order arguments then count).
 * Containers aw-testd does not serve (ordered maps) are 16. */
int td_cdt_op_on(aw_value *coll, const cdt_call *c, bool created, bool *changed, aw_value *res,
                 aw_arena *a);

/* cdt.c: coll (a list or map) stored as bin op->name of w. */
int td_cdt_store(td_record *w, const aw_op_view *op, const aw_value *coll);

#endif
