/* aw-testd: the bit operations on BLOB bins (op types 12 and 13). */
#ifndef TD_BIT_H
#define TD_BIT_H

#include <stdbool.h>
#include <stddef.h>

#include "aerowire/value.h"
#include "proto/arena.h"
#include "proto/msg.h"
#include "store.h"

/* Applies a bit modify op (value = msgpack [code, args...]) to its bin in w.
 * Returns AW_OK (also for what a NO_FAIL policy turns into a no-op) or the
 * server's code: 4 malformed, 6 bin exists, 12 not a blob, 17 no such bin,
 * 26 outside the blob or an overflow refused. */
int td_bit_modify(td_record *w, const aw_op_view *op);

/* Applies a bit read op to its bin in rec. *result is AW_NIL when the bin is
 * missing, else a BLOB (get; bytes in arena) or an INTEGER. Returns AW_OK or
 * the server's code, as td_bit_modify. */
int td_bit_read(td_record *rec, const aw_op_view *op, aw_value *result, aw_arena *arena);

/* The same ops on a value instead of a bin (expression CALLs): `blob` is
 * the BLOB (AW_NIL: none, as a missing bin), `op` the msgpack [code,
 * args...]. A modify op changes *blob; a read op sets *result. */
int td_bit_eval(aw_value *blob, const uint8_t *op, size_t len, bool modify, aw_value *result,
                aw_arena *arena);

#endif
