/* aw-testd: HyperLogLog bins (particle type 18) and the HLL ops (op types
 * 15 and 16), as as/src/base/particle_hll.c serves them. */
#ifndef TD_HLL_H
#define TD_HLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/value.h"
#include "proto/arena.h"
#include "proto/msg.h"
#include "store.h"

/* Applies an HLL op (value = msgpack [code, args...]) to its bin in w: a
 * modify op (16) creates or changes the bin; a read op (15) of a missing
 * bin answers AW_NIL without looking at the op (rw_utils.c). *result is the
 * op's result (AW_NIL when it has none), allocated in arena. Returns AW_OK
 * (also for what NO_FAIL turns into a no-op) or the server's code: 4 a
 * malformed op or bit counts out of range, 6 CREATE_ONLY on an existing
 * bin, 12 a bin that is not an HLL, 17 a missing bin the op cannot create,
 * 26 bit counts the op cannot work with. */
int td_hll_apply(td_record *w, const aw_op_view *op, bool modify, aw_value *result,
                 aw_arena *arena);

/* The same on a value, for HLL expressions (the server's
 * as_bin_hll_modify_exp / as_bin_hll_read_exp run the same code): *hll is
 * the HLL (an AW_BLOB of subtype 18) or AW_NIL for none; any other value is
 * "a bin of another type" (12). op[0..len) is the op's msgpack array. A
 * modify op that changes the HLL points *hll at the new one (in arena); its
 * own result (ADD's and REFRESH_COUNT's count) goes to *result. A read of
 * AW_NIL answers AW_NIL, as for a missing bin (the server itself never reads
 * a nil HLL from an expression: it asserts the bin is live). */
int td_hll_eval(aw_value *hll, const uint8_t *op, size_t len, bool modify, aw_value *result,
                aw_arena *arena);

/* Whether an HLL particle a client writes is one the server takes
 * (hll_from_wire: flags 0, bit counts in range, the size they give);
 * otherwise the server answers 4 and stores nothing. */
bool td_hll_particle_ok(const uint8_t *p, uint32_t len);

#endif
