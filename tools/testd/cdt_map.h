/* aw-testd: the map ops (cdt_map.c: storage, order and writes;
 * cdt_map_select.c: the selections by key, value, index and rank), shared
 * with cdt.c. */
#ifndef TD_CDT_MAP_H
#define TD_CDT_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/value.h"
#include "cdt_list.h"
#include "proto/arena.h"

/* Map flags (the order ext of a stored map, cdt-bit-hll.md 2.1). */
#define TD_MAP_KEY_ORDERED 0x01
#define TD_MAP_KV_ORDERED 0x03
#define TD_MAP_ATTR_PERSIST 0x10

/* particle_map.c map_is_key: integer, string or plain blob. */
bool td_map_key_ok(const aw_value *k);

/* Kept in key order (flag 1 or 3): particle_map.c is_k_ordered. */
bool td_map_k_ordered(const aw_value *map);

/* The stored entry whose key equals key, or -1. */
int64_t td_map_find(const aw_value *map, const aw_value *key);

/* Where a new key goes (particle_map.c packed_map_find_key_maybe_unordered):
 * its place in key order while the stored keys are in order, else the end. */
uint32_t td_map_insert_position(const aw_value *map, const aw_value *key);

/* cdt_map_select.c: the stored position of the entry at `place` (< len) in
 * key order, or with by_rank in rank order (by value, ties by key), as the
 * selections and the contexts (map_subcontext_by_index / _by_rank) count. */
uint32_t td_map_entry_at(const aw_value *map, uint32_t place, bool by_rank);

/* The flags a map of the given order flags is stored with (*out): a
 * persisted index on a key-ordered map is dropped, as no read shows it;
 * 16 for the orders aw-testd does not model (cdt_map.c says which). */
int td_map_stored_flags(int64_t flags, uint8_t *out);

/* True for the flags of a map aw-testd stores (0, 1, 3). */
bool td_map_flags_served(uint8_t flags);

/* Sorts by key every unordered map in v (v included, at any depth), as the
 * server rewrites a value it stores (cdt.c cdt_untrusted_rewrite). */
int td_map_sort_nested(aw_value *v, aw_arena *a);

/* Applies a map op (code >= 64) to the map. `created`: the op is about to
 * create the bin (its order attributes then matter). AW_OK or a server
 * result code. */
int td_map_op(aw_value *map, const cdt_call *c, bool created, bool *changed, aw_value *res,
              aw_arena *a);

/* cdt_map_select.c: true for the codes td_map_select serves. */
bool td_map_select_code(int64_t code);

/* Applies a select op (td_map_select_code): *res as the server builds it
 * for the return type, the map changed in place (*changed) for the remove
 * codes. */
int td_map_select(aw_value *map, const cdt_call *c, bool *changed, aw_value *res, aw_arena *a);

#endif
