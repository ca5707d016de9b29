/*
 * aw-testd: map storage and writes (put, put-items, the legacy add and
 * replace codes, increment, clear, size) on unordered maps, as the real
 * server's particle_map.c does them; the selections by key and index are
 * cdt_map_select.c.
 */
#include "cdt_map.h"

#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "proto/particle.h"

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

/* Map keys compare by type (integer < string < blob), then by value; the
 * bytes of strings and blobs by memcmp, the shorter first on a tie
 * (msgpack_in.c msgpack_cmp). Only those types can be keys. */
static int key_rank(const aw_value *k) { return k->type == AW_INT ? 0 : k->type == AW_STR ? 1 : 2; }

int td_map_key_cmp(const aw_value *x, const aw_value *y) {
    int rx = key_rank(x), ry = key_rank(y);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    if (x->type == AW_INT)
        return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
    const void *px = x->type == AW_STR ? (const void *)x->u.str : x->u.bytes;
    const void *py = y->type == AW_STR ? (const void *)y->u.str : y->u.bytes;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(px, py, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* particle_map.c map_is_key: integer, string or plain blob (a double, list,
 * map, bool or nil key is PARAMETER). */
bool td_map_key_ok(const aw_value *k) {
    return k->type == AW_INT || k->type == AW_STR ||
           (k->type == AW_BLOB && k->subtype == AW_PARTICLE_BLOB);
}


int64_t td_map_find(const aw_value *map, const aw_value *key) {
    for (uint32_t i = 0; i < map->len; i++)
        if (aw_value_equal(&map->u.items[2 * i], key))
            return i;
    return -1;
}

static int map_put(aw_value *map, const aw_value *key, const aw_value *val, aw_arena *a) {
    int64_t i = td_map_find(map, key);
    aw_value *items = entries_alloc(a, 2 * ((size_t)map->len + (i < 0)));
    if (!items)
        return AW_ERR_SERVER_FULL;
    copy_values(items, map->u.items, 2 * (size_t)map->len);
    if (i < 0) {
        items[2 * map->len] = *key;
        items[2 * map->len + 1] = *val;
        map->len++;
    } else {
        items[2 * i + 1] = *val;
    }
    map->u.items = items;
    return AW_OK;
}

/* Map write flags (proto.h as_cdt_map_modify_flags) and what they allow
 * (particle_map.c map_add_control). */
#define MAP_CREATE_ONLY 0x01 /* NO_OVERWRITE */
#define MAP_UPDATE_ONLY 0x02 /* NO_CREATE */
#define MAP_NO_FAIL 0x04
#define MAP_PARTIAL 0x08
#define MAP_FLAGS_KNOWN 0x0f

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
    if (map_put(map, key, val, a) != AW_OK)
        return AW_ERR_SERVER_FULL;
    *changed = true;
    *res = aw_value_int(map->len);
    return AW_OK;
}

/* particle_map.c map_add_items / map_add_items_ordered: the items are
 * checked in key order; the first refused one fails the op (NO_FAIL: the
 * whole op is a no-op; NO_FAIL|PARTIAL: just that item is skipped). An
 * empty map takes every item unchecked unless the control forbids creating,
 * as the server's shortcut for an empty map does. */
static int map_put_items(aw_value *map, const aw_value *items, const put_control *ctl,
                         bool *changed, aw_value *res, aw_arena *a) {
    if (items->type != AW_MAP)
        return AW_ERR_REQUEST_INVALID;
    *res = aw_value_int(map->len);
    for (uint32_t i = 0; i < items->len; i++)
        if (!td_map_key_ok(&items->u.items[2 * i]) || !td_cdt_storable(&items->u.items[2 * i + 1]))
            return AW_ERR_REQUEST_INVALID;
    if (items->len == 0)
        return AW_OK;
    bool empty_shortcut = map->len == 0;
    if (empty_shortcut && !ctl->create) {
        if (!ctl->no_fail)
            return AW_ERR_FAIL_ELEMENT_NOT_FOUND;
        if (!ctl->partial)
            return AW_OK;
    }
    aw_value *skip = entries_alloc(a, items->len); /* .type 1 = skip item i */
    if (!skip)
        return AW_ERR_SERVER_FULL;
    memset(skip, 0, items->len * sizeof *skip);
    /* Visit the items in key order: repeatedly the smallest not yet seen. */
    for (uint32_t visited = 0; visited < items->len && !empty_shortcut; visited++) {
        int64_t next = -1;
        for (uint32_t i = 0; i < items->len; i++) {
            if (skip[i].subtype)
                continue;
            if (next < 0 || td_map_key_cmp(&items->u.items[2 * i], &items->u.items[2 * next]) < 0)
                next = i;
        }
        skip[next].subtype = 1; /* seen */
        int rc = put_refusal(map, &items->u.items[2 * next], ctl);
        if (rc == AW_OK)
            continue;
        if (!ctl->no_fail)
            return rc;
        if (!ctl->partial)
            return AW_OK;
        skip[next].type = 1;
    }
    for (uint32_t i = 0; i < items->len; i++) {
        if (skip[i].type)
            continue;
        if (map_put(map, &items->u.items[2 * i], &items->u.items[2 * i + 1], a) != AW_OK)
            return AW_ERR_SERVER_FULL;
        *changed = true;
    }
    *res = aw_value_int(map->len);
    return AW_OK;
}

/* `created`: the op is about to create the bin (its order attributes then
 * matter). `exists`: the bin was there. */
int td_map_op(aw_value *map, const cdt_call *c, bool created, bool *changed, aw_value *res,
              aw_arena *a) {
    int64_t attr = 0, flags = 0;
    uint32_t i_attr;
    switch (c->code) {
    case AW_MAP_ADD: case AW_MAP_ADD_ITEMS: case AW_MAP_PUT: case AW_MAP_PUT_ITEMS:
    case AW_MAP_INCREMENT:
        i_attr = c->code == AW_MAP_ADD_ITEMS || c->code == AW_MAP_PUT_ITEMS ? 1 : 2;
        if (!opt_int(c, i_attr, 0, &attr) ||
            ((c->code == AW_MAP_PUT || c->code == AW_MAP_PUT_ITEMS) &&
             !opt_int(c, i_attr + 1, 0, &flags)))
            return AW_ERR_REQUEST_INVALID;
        if ((created && (attr & ~TD_MAP_ATTR_PERSIST)) || (flags & ~MAP_FLAGS_KNOWN))
            return AW_ERR_UNSUPPORTED_FEATURE; /* ordered maps are not served */
        break;
    default:
        break;
    }
    put_control ctl = put_control_of(flags);
    switch (c->code) {
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
        if (c->code == AW_MAP_REPLACE_ITEMS && created)
            return AW_ERR_FAIL_ELEMENT_NOT_FOUND; /* replace-items never creates the bin */
        if (c->code != AW_MAP_PUT_ITEMS)
            ctl = put_control_of(c->code == AW_MAP_ADD_ITEMS ? MAP_CREATE_ONLY : MAP_UPDATE_ONLY);
        return map_put_items(map, &c->args[0], &ctl, changed, res, a);
    case AW_MAP_INCREMENT: {
        if (c->n_args < 1 || !td_map_key_ok(&c->args[0]))
            return AW_ERR_REQUEST_INVALID;
        aw_value one = aw_value_int(1);
        const aw_value *by = c->n_args >= 2 && c->args[1].type != AW_NIL ? &c->args[1] : &one;
        if (by->type != AW_INT && by->type != AW_FLOAT)
            return AW_ERR_REQUEST_INVALID;
        int64_t i = td_map_find(map, &c->args[0]);
        aw_value sum = *by;
        if (i >= 0) {
            if (!td_cdt_delta_add(&map->u.items[2 * i + 1], by, &sum))
                return AW_ERR_REQUEST_INVALID;
        }
        if (map_put(map, &c->args[0], &sum, a) != AW_OK)
            return AW_ERR_SERVER_FULL;
        *changed = true;
        *res = sum;
        return AW_OK;
    }
    case AW_MAP_CLEAR:
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
