/*
 * aw-testd: map ops that select entries (get and remove by key, get by
 * index) on unordered maps, with the single-entry results particle_map.c
 * and cdt.c (result_data_set_*) build for each return type.
 */
#include "cdt_map.h"

#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"

/* The position of entry i in key order: a map's index is its key order,
 * whatever order its entries are stored in. */
static uint32_t key_index(const aw_value *map, uint32_t i) {
    uint32_t smaller = 0;
    for (uint32_t j = 0; j < map->len; j++)
        if (td_map_key_cmp(&map->u.items[2 * j], &map->u.items[2 * i]) < 0)
            smaller++;
    return smaller;
}

/* The stored entry whose key has index `at` in key order. */
static uint32_t entry_at_key_index(const aw_value *map, uint32_t at) {
    for (uint32_t i = 0; i < map->len; i++)
        if (key_index(map, i) == at)
            return i;
    return 0; /* keys are unique: not reached */
}

/* Return types (proto.h result_type_t) and the INVERTED flag. */
#define RT_INVERTED 0x10000
enum {
    RT_NONE = 0, RT_INDEX = 1, RT_REVERSE_INDEX = 2, RT_RANK = 3, RT_REVERSE_RANK = 4,
    RT_COUNT = 5, RT_KEY = 6, RT_VALUE = 7, RT_KEY_VALUE = 8, RT_RANK_RANGE_LAST = 12,
    RT_EXISTS = 13, RT_UNORDERED_MAP = 16, RT_ORDERED_MAP = 17,
};
/* Map ext flags of result maps (cdt-bit-hll.md 2.1). */
#define MAP_KEY_ORDERED 0x01
#define MAP_PRESERVE_ORDER 0x08

/* A one-entry (or empty) result map carrying the order flags. */
static int entry_map(const aw_value *map, int64_t found, uint8_t order, aw_value *res,
                     aw_arena *a) {
    aw_value *kv = aw_arena_alloc(a, 2 * sizeof *kv);
    if (!kv)
        return AW_ERR_SERVER_FULL;
    uint32_t n = 0;
    if (found >= 0) {
        kv[0] = map->u.items[2 * found];
        kv[1] = map->u.items[2 * found + 1];
        n = 1;
    }
    *res = aw_value_map(kv, n);
    res->subtype = order;
    return AW_OK;
}

/* What a single-entry map op (get/remove by key or index) returns for the
 * stored entry `found` (-1: none) under a return type, as particle_map.c
 * and cdt.c result_data_set_* build it. INVERTED and the types the server
 * has no single-entry result for are OP_NOT_APPLICABLE; rank types, which
 * need the server's value ordering, are not served. */
static int map_result(const aw_value *map, int64_t found, int64_t rtype, aw_value *res,
                      aw_arena *a) {
    if (rtype & RT_INVERTED)
        return AW_ERR_OP_NOT_APPLICABLE;
    if (rtype < 0 || rtype > 0xffff)
        return AW_ERR_UNSUPPORTED_FEATURE;
    int64_t index = found < 0 ? -1 : (int64_t)key_index(map, (uint32_t)found);
    switch (rtype) {
    case RT_NONE:
        *res = aw_value_nil();
        return AW_OK;
    case RT_INDEX:
        *res = aw_value_int(index);
        return AW_OK;
    case RT_REVERSE_INDEX:
        *res = aw_value_int(found < 0 ? -1 : (int64_t)map->len - 1 - index);
        return AW_OK;
    case RT_COUNT:
        *res = aw_value_int(found < 0 ? 0 : 1);
        return AW_OK;
    case RT_KEY:
        *res = found < 0 ? aw_value_nil() : map->u.items[2 * found];
        return AW_OK;
    case RT_VALUE:
        *res = found < 0 ? aw_value_nil() : map->u.items[2 * found + 1];
        return AW_OK;
    case RT_EXISTS:
        *res = aw_value_bool(found >= 0);
        return AW_OK;
    case RT_KEY_VALUE:
        return entry_map(map, found, MAP_PRESERVE_ORDER, res, a);
    case RT_UNORDERED_MAP:
        return entry_map(map, found, 0, res, a);
    case RT_ORDERED_MAP:
        return entry_map(map, found, MAP_KEY_ORDERED, res, a);
    default:
        if (rtype >= RT_RANK && rtype <= RT_RANK_RANGE_LAST && rtype != RT_COUNT &&
            rtype != RT_KEY && rtype != RT_VALUE && rtype != RT_KEY_VALUE)
            return AW_ERR_UNSUPPORTED_FEATURE; /* rank and range types */
        return AW_ERR_OP_NOT_APPLICABLE;
    }
}

bool td_map_select_code(int64_t code) {
    return code == AW_MAP_REMOVE_BY_KEY || code == AW_MAP_GET_BY_KEY ||
           code == AW_MAP_GET_BY_INDEX;
}

int td_map_select(aw_value *map, const cdt_call *c, bool *changed, aw_value *res, aw_arena *a) {
    int64_t rtype = 0, index = 0;
    switch (c->code) {
    case AW_MAP_REMOVE_BY_KEY: {
        if (!td_cdt_arg_int(c, 0, &rtype) || c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        int64_t i = td_map_find(map, &c->args[1]);
        int rc = map_result(map, i, rtype, res, a);
        if (rc != AW_OK || i < 0)
            return rc;
        aw_value *items = aw_arena_alloc(a, 2 * (size_t)map->len * sizeof(aw_value) + 1);
        if (!items)
            return AW_ERR_SERVER_FULL;
        memcpy(items, map->u.items, 2 * (size_t)i * sizeof *items);
        memcpy(items + 2 * i, map->u.items + 2 * i + 2,
               2 * (size_t)(map->len - i - 1) * sizeof *items);
        map->u.items = items;
        map->len--;
        *changed = true;
        return AW_OK;
    }
    case AW_MAP_GET_BY_KEY:
        if (!td_cdt_arg_int(c, 0, &rtype) || c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        return map_result(map, td_map_find(map, &c->args[1]), rtype, res, a);
    case AW_MAP_GET_BY_INDEX: {
        if (!td_cdt_arg_int(c, 0, &rtype) || !td_cdt_arg_int(c, 1, &index))
            return AW_ERR_REQUEST_INVALID;
        if (index < 0)
            index += map->len;
        if (index < 0 || index >= (int64_t)map->len)
            return AW_ERR_OP_NOT_APPLICABLE; /* single selector out of range */
        return map_result(map, entry_at_key_index(map, (uint32_t)index), rtype, res, a);
    }
    default:
        return AW_ERR_REQUEST_INVALID;
    }
}
