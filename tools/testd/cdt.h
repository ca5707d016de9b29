/* aw-testd: the list and map (CDT) operations it serves. */
#ifndef TD_CDT_H
#define TD_CDT_H

#include <stdbool.h>

#include "aerowire/value.h"
#include "proto/arena.h"
#include "proto/msg.h"
#include "store.h"

/* Applies a CDT op (value = msgpack [code, args...]) to its bin in w.
 * *result is what the op returns (AW_NIL when nothing), allocated in arena.
 * Returns AW_OK or a server result code (12 wrong bin type, 4 bad op,
 * 26 index out of range, ...). */
int td_cdt_apply(td_record *w, const aw_op_view *op, bool modify, aw_value *result,
                 aw_arena *arena);

/* Sets a bin to a LIST or MAP particle a write op sends whole, as the
 * server stores it (every unordered map sorted by key): AW_OK, 1
 * (AW_ERR_SERVER) for what the server rejects, 16 for what it would store
 * rewritten otherwise (ordered containers holding a NaN or GeoJSON, non-compact
 * msgpack) — cdt_particle.c says which is which; nothing set on an error. */
int td_cdt_bin_from_client(td_record *w, const char *name, size_t name_len, uint8_t ptype,
                           const uint8_t *p, uint32_t len);

/* The same ops on a value instead of a bin (expression CALLs): `container`
 * is the list or map (AW_NIL: none, as a missing bin), `op` the msgpack
 * [code, args...]. A modify op changes *container; *result is what the op
 * returns. Codes as td_cdt_apply. */
int td_cdt_eval(aw_value *container, const uint8_t *op, size_t len, bool modify,
                aw_value *result, aw_arena *arena);

#endif
