/* aw-testd: select and modify by path (CDT op 0xfe), cdt_path.c. */
#ifndef TD_CDT_PATH_H
#define TD_CDT_PATH_H

#include <stdbool.h>

#include "aerowire/value.h"
#include "proto/arena.h"
#include "proto/msg.h"
#include "store.h"

/* Runs [0xfe, path, flags(, modify expression)] (the op's msgpack) on its
 * bin in w, as the server's cdt.c cdt_process_state_select: a read answers
 * the selection in *result; a modify with the apply flag rewrites the bin.
 * AW_OK or the server's code (4, 12, 1 for a modify expression that fails
 * without NO_FAIL), 16 for what aw-testd does not answer. */
int td_cdt_path_apply(td_record *w, const aw_op_view *op, bool modify, aw_value *result,
                      aw_arena *arena);

#endif
