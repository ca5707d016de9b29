/* aw-testd: running a bin op (list/map, bit) on a value instead of a
 * record's bin, for expression CALLs (cdt.c td_cdt_eval, bit.c td_bit_eval). */
#ifndef TD_VALUE_OP_H
#define TD_VALUE_OP_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/value.h"
#include "proto/arena.h"

/* Applies the op (`op_type` AW_OP_CDT_READ / _MODIFY / AW_OP_BIT_READ /
 * _MODIFY, value = the msgpack op) to *v as to a bin holding it (AW_NIL: no
 * such bin). A modify op leaves the changed value in *v (AW_NIL when the op
 * left no bin); *result = what the op returns. Returns the engine's code. */
int td_value_op_eval(aw_value *v, const uint8_t *op, size_t len, uint8_t op_type,
                     aw_value *result, aw_arena *arena);

#endif
