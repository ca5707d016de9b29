/* aw-testd: the map ops (cdt_map.c: storage, order and writes;
 * cdt_map_select.c: the selections by key and index), shared with cdt.c. */
#ifndef TD_CDT_MAP_H
#define TD_CDT_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/value.h"
#include "cdt_list.h"
#include "proto/arena.h"

/* Map order attributes: only unordered maps are served; persist-index
 * (0x10) on an unordered map changes nothing a client sees. */
#define TD_MAP_ATTR_PERSIST 0x10

/* -1, 0, 1: map keys by type (integer < string < blob), then by value. */
int td_map_key_cmp(const aw_value *x, const aw_value *y);

/* particle_map.c map_is_key: integer, string or plain blob. */
bool td_map_key_ok(const aw_value *k);

/* The stored entry whose key equals key, or -1. */
int64_t td_map_find(const aw_value *map, const aw_value *key);

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
