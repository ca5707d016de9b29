/*
 * aw-testd: map storage, order and writes (set-type, put, put-items, the
 * legacy add and replace codes, increment, decrement, clear, size), as the
 * real server's particle_map.c keeps them. The selections by key, value,
 * index and rank are cdt_map_select.c.
 *
 * A map is stored as the server stores it (what a read returns): sorted by
 * key (but a map written whole out of key order, docs/testd.md), behind an
 * ext marker for the key-ordered (flag 1) and key-value-ordered (3) ones. Unordered maps differ from key-ordered ones
 * in the code paths the server's selections take (cdt_map_select.c). Keys
 * compare as every msgpack value does (td_list_value_cmp).
 */
#include "cdt_map.h"

#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "proto/particle.h"

/* Map write flags (proto.h as_cdt_map_modify_flags). */
#define MAP_CREATE_ONLY 0x01 /* NO_OVERWRITE */
#define MAP_UPDATE_ONLY 0x02 /* NO_CREATE */
#define MAP_NO_FAIL 0x04
#define MAP_PARTIAL 0x08
#define MAP_FLAGS_KNOWN 0x0f

/* cdt.c cdt_check_flags: the map flags the server takes. */
#define MAP_FLAGS_VALID (TD_MAP_KV_ORDERED | TD_MAP_ATTR_PERSIST)

static aw_value *entries_alloc(aw_arena *a, size_t n) {
    return aw_arena_alloc(a, (n ? n : 1) * sizeof(aw_value));
}

/* memcpy of n values, where src may be NULL when n is 0. */
static void copy_values(aw_value *dst, const aw_value *src, size_t n) {
    if (n)
        memcpy(dst, src, n * sizeof *dst);
}

/* The optional int argument i (absent: dflt); false when it is not an int. */
static bool opt_int(const cdt_call *c, uint32_t i, int64_t dflt, int64_t *out) {
    *out = dflt;
    return i >= c->n_args || td_cdt_arg_int(c, i, out);
}

static int sort_by_key(aw_value *map, aw_arena *a);

bool td_map_key_ok(const aw_value *k) {
    return k->type == AW_INT || k->type == AW_STR ||
           (k->type == AW_BLOB && k->subtype == AW_PARTICLE_BLOB);
}

bool td_map_k_ordered(const aw_value *map) { return map->subtype != 0; }

int64_t td_map_find(const aw_value *map, const aw_value *key) {
    for (uint32_t i = 0; i < map->len; i++)
        if (td_list_value_cmp(&map->u.items[2 * i], key) == 0)
            return i;
    return -1;
}

int td_map_stored_flags(int64_t flags, uint8_t *out) {
    switch (flags) {
    case 0: case TD_MAP_KEY_ORDERED: case TD_MAP_KV_ORDERED:
        break;
    case TD_MAP_KEY_ORDERED | TD_MAP_ATTR_PERSIST:
        /* A persisted offset index: invisible (cdt.c
         * cdt_strip_indexes_from_particle), it changes no answer. */
        flags = TD_MAP_KEY_ORDERED;
        break;
    default:
        /* A persisted value index (0x13) takes code paths aw-testd does
         * not model; so do value order without key order (2, 0x12) and the
         * flag alone (0x10), which the server keeps, answers as key-ordered
         * (particle_map.c is_k_ordered) and strips from every read. */
        return AW_ERR_UNSUPPORTED_FEATURE;
    }
    *out = (uint8_t)flags;
    return AW_OK;
}

bool td_map_flags_served(uint8_t flags) {
    uint8_t stored;
    return td_map_stored_flags(flags, &stored) == AW_OK && stored == flags;
}

/* particle_map.c cdt_context_use_static_map_if_notinuse: the order a map
 * op's attributes give a bin it creates. Flags the server does not take,
 * and the persist-index flag alone, make an unordered map
 * (map_flags_to_static_ix). */
static int create_map(aw_value *map, int64_t attr, bool created) {
    if (!created)
        return AW_OK;
    attr = (uint8_t)attr; /* the server takes the low byte */
    if ((attr & ~(int64_t)MAP_FLAGS_VALID) || attr == TD_MAP_ATTR_PERSIST)
        attr = 0;
    return td_map_stored_flags(attr, &map->subtype);
}

int td_map_sort_nested(aw_value *v, aw_arena *a) {
    if (v->type != AW_LIST && v->type != AW_MAP)
        return AW_OK;
    uint32_t n = v->type == AW_MAP ? 2 * v->len : v->len;
    for (uint32_t i = 0; i < n; i++)
        if (td_map_sort_nested(&v->u.items[i], a) != AW_OK)
            return AW_ERR_SERVER_FULL;
    return v->type == AW_MAP && v->subtype == 0 ? sort_by_key(v, a) : AW_OK;
}

/* Where a new key goes. Key-ordered: its place in key order. Unordered
 * (particle_map.c packed_map_find_key_maybe_unordered): before the first
 * larger key while the keys scanned so far are in increasing order, else
 * at the end. (The server sorts every map it stores, and so does aw-testd,
 * so its unordered maps are in key order too.) */
uint32_t td_map_insert_position(const aw_value *map, const aw_value *key) {
    const aw_value *items = map->u.items;
    for (uint32_t i = 0; i < map->len; i++) {
        if (i > 0 && td_list_value_cmp(&items[2 * (i - 1)], &items[2 * i]) > 0)
            return map->len; /* the order is broken (unordered maps only) */
        if (td_list_value_cmp(key, &items[2 * i]) < 0)
            return i;
    }
    return map->len;
}

/* Sets key to val: in place when the key is there, else inserted at its
 * position. */
static int map_set(aw_value *map, const aw_value *key, const aw_value *val, aw_arena *a) {
    int64_t i = td_map_find(map, key);
    aw_value *items = entries_alloc(a, 2 * ((size_t)map->len + (i < 0)));
    if (!items)
        return AW_ERR_SERVER_FULL;
    if (i >= 0) {
        copy_values(items, map->u.items, 2 * (size_t)map->len);
        items[2 * i + 1] = *val;
    } else {
        uint32_t at = td_map_insert_position(map, key);
        copy_values(items, map->u.items, 2 * (size_t)at);
        items[2 * at] = *key;
        items[2 * at + 1] = *val;
        copy_values(items + 2 * at + 2, map->u.items + 2 * at, 2 * (size_t)(map->len - at));
        map->len++;
    }
    map->u.items = items;
    return AW_OK;
}

/* The map's entries sorted by key (insertion sort: maps are small). */
static int sort_by_key(aw_value *map, aw_arena *a) {
    aw_value *items = entries_alloc(a, 2 * (size_t)map->len);
    if (!items)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < map->len; i++) {
        uint32_t j = i;
        for (; j > 0 && td_list_value_cmp(&items[2 * (j - 1)], &map->u.items[2 * i]) > 0; j--) {
            items[2 * j] = items[2 * (j - 1)];
            items[2 * j + 1] = items[2 * (j - 1) + 1];
        }
        items[2 * j] = map->u.items[2 * i];
        items[2 * j + 1] = map->u.items[2 * i + 1];
    }
    map->u.items = items;
    return AW_OK;
}

typedef struct put_control {
    bool overwrite, create, no_fail, partial;
} put_control;

static put_control put_control_of(int64_t flags) {
    return (put_control){.overwrite = !(flags & MAP_CREATE_ONLY),
                         .create = !(flags & MAP_UPDATE_ONLY),
                         .no_fail = (flags & MAP_NO_FAIL) != 0,
                         .partial = (flags & MAP_PARTIAL) != 0};
}

/* ELEMENT_EXISTS / ELEMENT_NOT_FOUND when the control refuses putting key,
 * else AW_OK. */
static int put_refusal(const aw_value *map, const aw_value *key, const put_control *ctl) {
    bool exists = td_map_find(map, key) >= 0;
    if (exists && !ctl->overwrite)
        return AW_ERR_FAIL_ELEMENT_EXISTS;
    if (!exists && !ctl->create)
        return AW_ERR_FAIL_ELEMENT_NOT_FOUND;
    return AW_OK;
}

/* particle_map.c map_add: one key under the control; a refused key is
 * an error, or with NO_FAIL a no-op. *res = the size afterwards. */
static int map_put_one(aw_value *map, const aw_value *key, const aw_value *val,
                       const put_control *ctl, bool *changed, aw_value *res, aw_arena *a) {
    if (!td_map_key_ok(key) || !td_cdt_storable(val))
        return AW_ERR_REQUEST_INVALID;
    *res = aw_value_int(map->len);
    int rc = put_refusal(map, key, ctl);
    if (rc != AW_OK)
        return ctl->no_fail ? AW_OK : rc;
    aw_value stored = *val;
    if (td_map_sort_nested(&stored, a) != AW_OK || map_set(map, key, &stored, a) != AW_OK)
        return AW_ERR_SERVER_FULL;
    *changed = true;
    *res = aw_value_int(map->len);
    return AW_OK;
}

/* particle_map.c map_add_items / map_add_items_ordered: the items are
 * checked in key order; the first refused one fails the op (NO_FAIL: the
 * whole op is a no-op; NO_FAIL|PARTIAL: just that item is skipped). An
 * empty map takes every item unchecked unless the control forbids creating,
 * as the server's shortcut for an empty map does. The server merges the
 * items into the map in key order (packed_map_convert_to_iko), so an
 * unordered map it writes comes out sorted by key. */
static int map_put_items(aw_value *map, const aw_value *items, const put_control *ctl,
                         bool *changed, aw_value *res, aw_arena *a) {
    if (items->type != AW_MAP)
        return AW_ERR_REQUEST_INVALID;
    *res = aw_value_int(map->len);
    for (uint32_t i = 0; i < items->len; i++)
        if (!td_cdt_storable(&items->u.items[2 * i]) || !td_cdt_storable(&items->u.items[2 * i + 1]))
            return AW_ERR_REQUEST_INVALID;
    if (items->len == 0)
        return AW_OK;
    aw_value sorted = *items;
    if (sort_by_key(&sorted, a) != AW_OK)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 1; i < sorted.len; i++) /* the server does not model this: no answer */
        if (td_list_value_cmp(&sorted.u.items[2 * (i - 1)], &sorted.u.items[2 * i]) == 0)
            return AW_ERR_UNSUPPORTED_FEATURE;
    bool empty_shortcut = map->len == 0;
    if (empty_shortcut && !ctl->create) {
        if (!ctl->no_fail)
            return AW_ERR_FAIL_ELEMENT_NOT_FOUND;
        if (!ctl->partial)
            return AW_OK;
    }
    uint8_t *skip = aw_arena_alloc(a, sorted.len);
    if (!skip)
        return AW_ERR_SERVER_FULL;
    memset(skip, 0, sorted.len);
    for (uint32_t i = 0; i < sorted.len && !empty_shortcut; i++) {
        int rc = put_refusal(map, &sorted.u.items[2 * i], ctl);
        if (rc == AW_OK)
            continue;
        if (!ctl->no_fail)
            return rc;
        if (!ctl->partial)
            return AW_OK;
        skip[i] = 1;
    }
    if (!td_map_k_ordered(map) && sort_by_key(map, a) != AW_OK)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < sorted.len; i++) {
        if (skip[i])
            continue;
        if (td_map_sort_nested(&sorted.u.items[2 * i + 1], a) != AW_OK ||
            map_set(map, &sorted.u.items[2 * i], &sorted.u.items[2 * i + 1], a) != AW_OK)
            return AW_ERR_SERVER_FULL;
        *changed = true;
    }
    *res = aw_value_int(map->len);
    return AW_OK;
}

/* particle_map.c map_increment: [key, delta, attr]. The delta (int, double,
 * or nil / absent for 1) is checked first, then the stored value (int or
 * double), then the key (map_add); the stored type wins (cdt.c
 * cdt_calc_delta_add). A missing key is set to the delta. *res = the new
 * value. */
static int map_increment(aw_value *map, const cdt_call *c, bool decrement, bool *changed,
                         aw_value *res, aw_arena *a) {
    if (c->n_args < 1)
        return AW_ERR_REQUEST_INVALID;
    aw_value by = aw_value_int(1);
    if (c->n_args >= 2 && c->args[1].type != AW_NIL) {
        by = c->args[1];
        if (by.type != AW_INT && by.type != AW_FLOAT)
            return AW_ERR_REQUEST_INVALID;
    }
    if (decrement)
        by = by.type == AW_INT ? aw_value_int((int64_t)(0 - (uint64_t)by.u.i))
                               : aw_value_float(-by.u.f);
    int64_t i = td_map_find(map, &c->args[0]);
    aw_value sum = by;
    if (i >= 0 && !td_cdt_delta_add(&map->u.items[2 * i + 1], &by, &sum))
        return AW_ERR_REQUEST_INVALID;
    if (!td_map_key_ok(&c->args[0]))
        return AW_ERR_REQUEST_INVALID;
    if (map_set(map, &c->args[0], &sum, a) != AW_OK)
        return AW_ERR_SERVER_FULL;
    *changed = true;
    *res = sum;
    return AW_OK;
}

/* particle_map.c map_set_flags: a map made key-ordered is sorted; one made
 * unordered keeps its order. A missing bin becomes an empty map. */
static int map_set_type(aw_value *map, int64_t flags, bool *changed, aw_arena *a) {
    if (flags & ~(int64_t)MAP_FLAGS_VALID)
        return AW_ERR_OP_NOT_APPLICABLE; /* cdt_check_flags */
    uint8_t stored;
    int rc = td_map_stored_flags(flags, &stored);
    if (rc != AW_OK)
        return rc;
    if (stored && !td_map_k_ordered(map) && sort_by_key(map, a) != AW_OK)
        return AW_ERR_SERVER_FULL;
    map->subtype = stored;
    *changed = true;
    return AW_OK;
}

/* cdt.c cdt_op_table / cdt_process_state_get_params: how many arguments a
 * map code takes, fewest and most; outside that is PARAMETER. Clear and
 * size take none and are not checked. */
static bool args_fit(const cdt_call *c) {
    uint32_t lo = 2, hi = 2; /* the selections by one key, value, index or rank, and lists */
    switch (c->code) {
    case AW_MAP_CLEAR: case AW_MAP_SIZE: return true;
    case AW_MAP_SET_TYPE: case AW_MAP_REPLACE_ITEMS: lo = hi = 1; break;
    case AW_MAP_ADD: hi = 3; break;
    case AW_MAP_ADD_ITEMS: lo = 1; break;
    case AW_MAP_PUT: hi = 4; break;
    case AW_MAP_PUT_ITEMS: case AW_MAP_INCREMENT: case AW_MAP_DECREMENT: lo = 1; hi = 3; break;
    case AW_MAP_REMOVE_BY_KEY_INTERVAL: case AW_MAP_REMOVE_BY_INDEX_RANGE:
    case AW_MAP_REMOVE_BY_VALUE_INTERVAL: case AW_MAP_REMOVE_BY_RANK_RANGE:
    case AW_MAP_GET_BY_KEY_INTERVAL: case AW_MAP_GET_BY_INDEX_RANGE:
    case AW_MAP_GET_BY_VALUE_INTERVAL: case AW_MAP_GET_BY_RANK_RANGE:
        hi = 3;
        break;
    case AW_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE: case AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE:
    case AW_MAP_GET_BY_KEY_REL_INDEX_RANGE: case AW_MAP_GET_BY_VALUE_REL_RANK_RANGE:
        lo = 3;
        hi = 4;
        break;
    default: break;
    }
    return c->n_args >= lo && c->n_args <= hi;
}

int td_map_op(aw_value *map, const cdt_call *c, bool created, bool *changed, aw_value *res,
              aw_arena *a) {
    int64_t attr = 0, flags = 0;
    uint32_t i_attr;
    if (c->code == AW_MAP_REPLACE_ITEMS && created)
        return AW_ERR_FAIL_ELEMENT_NOT_FOUND; /* replace-items never creates the bin */
    if (!args_fit(c))
        return AW_ERR_REQUEST_INVALID;
    switch (c->code) {
    case AW_MAP_ADD: case AW_MAP_ADD_ITEMS: case AW_MAP_PUT: case AW_MAP_PUT_ITEMS:
    case AW_MAP_INCREMENT: case AW_MAP_DECREMENT: {
        i_attr = c->code == AW_MAP_ADD_ITEMS || c->code == AW_MAP_PUT_ITEMS ? 1 : 2;
        if (!opt_int(c, i_attr, 0, &attr) ||
            ((c->code == AW_MAP_PUT || c->code == AW_MAP_PUT_ITEMS) &&
             !opt_int(c, i_attr + 1, 0, &flags)))
            return AW_ERR_REQUEST_INVALID;
        if (flags & ~MAP_FLAGS_KNOWN)
            return AW_ERR_UNSUPPORTED_FEATURE;
        int rc = create_map(map, attr, created);
        if (rc != AW_OK)
            return rc;
        break;
    }
    default:
        break;
    }
    put_control ctl = put_control_of(flags);
    switch (c->code) {
    case AW_MAP_SET_TYPE:
        if (!td_cdt_arg_int(c, 0, &flags))
            return AW_ERR_REQUEST_INVALID;
        return map_set_type(map, (uint8_t)flags, changed, a); /* map_set_flags: a byte */
    case AW_MAP_ADD:
    case AW_MAP_REPLACE:
    case AW_MAP_PUT:
        if (c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        if (c->code != AW_MAP_PUT)
            ctl = put_control_of(c->code == AW_MAP_ADD ? MAP_CREATE_ONLY : MAP_UPDATE_ONLY);
        return map_put_one(map, &c->args[0], &c->args[1], &ctl, changed, res, a);
    case AW_MAP_ADD_ITEMS:
    case AW_MAP_REPLACE_ITEMS:
    case AW_MAP_PUT_ITEMS:
        if (c->n_args < 1)
            return AW_ERR_REQUEST_INVALID;
        if (c->code != AW_MAP_PUT_ITEMS)
            ctl = put_control_of(c->code == AW_MAP_ADD_ITEMS ? MAP_CREATE_ONLY : MAP_UPDATE_ONLY);
        return map_put_items(map, &c->args[0], &ctl, changed, res, a);
    case AW_MAP_INCREMENT:
    case AW_MAP_DECREMENT:
        return map_increment(map, c, c->code == AW_MAP_DECREMENT, changed, res, a);
    case AW_MAP_CLEAR: /* the map keeps its order */
        map->len = 0;
        *changed = true;
        return AW_OK;
    case AW_MAP_SIZE:
        *res = aw_value_int(map->len);
        return AW_OK;
    default:
        if (td_map_select_code(c->code))
            return td_map_select(map, c, changed, res, a);
        return AW_ERR_REQUEST_INVALID;
    }
}
