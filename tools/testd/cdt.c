/*
 * aw-testd: list and map operations on bins stored as msgpack.
 *
 * The bin is decoded into values (in a per-op arena), changed, and encoded
 * back. The ops served follow the real server (as/src/base/particle_list.c,
 * particle_map.c, cdt.c). Lists, unordered and ordered: every op code
 * (the selections by index, rank and value are cdt_list_select.c, the
 * ordered writes cdt_list_ordered.c); maps, unordered: puts (with write
 * flags and the legacy add/replace codes), increments, removes, sizes and
 * gets by key/index. Everything else the server knows (the other map codes,
 * contexts, ordered maps, unordered lists with a persisted index, map rank
 * return types) is refused with UNSUPPORTED_FEATURE rather than answered
 * wrongly; codes the server does not know are PARAMETER, as it answers
 * them. docs/testd.md lists both.
 */
#include "cdt.h"
#include "cdt_list.h"

#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "proto/msgpack.h"
#include "proto/particle.h"
#include "value_op.h"

static int int_arg(const cdt_call *c, uint32_t i, int64_t *out) {
    if (i >= c->n_args || c->args[i].type != AW_INT)
        return AW_ERR_REQUEST_INVALID;
    *out = c->args[i].u.i;
    return AW_OK;
}

static aw_value *items_alloc(aw_arena *a, size_t n) {
    return aw_arena_alloc(a, (n ? n : 1) * sizeof(aw_value));
}

/* memcpy of n items, where src may be NULL when n is 0. */
static void copy_items(aw_value *dst, const aw_value *src, size_t n) {
    if (n)
        memcpy(dst, src, n * sizeof *dst);
}

/* Inserting far past the end would pad with millions of nils: refuse. */
#define MAX_PAD 100000

/* Gives the list its own copy of its items before changing them in place
 * (decoded items may be shared with a result already handed out). */
static bool own_items(aw_value *list, aw_arena *a) {
    aw_value *items = items_alloc(a, list->len);
    if (!items)
        return false;
    copy_items(items, list->u.items, list->len);
    list->u.items = items;
    return true;
}

/* Resolves a possibly negative index against n; false when out of range. */
static bool resolve_index(int64_t index, uint32_t n, uint32_t *out) {
    if (index < 0)
        index += n;
    if (index < 0 || index >= (int64_t)n)
        return false;
    *out = (uint32_t)index;
    return true;
}

static int list_insert(aw_value *list, int64_t index, const aw_value *vals, uint32_t n_vals,
                       aw_arena *a) {
    uint32_t n = list->len;
    if (index < 0)
        index += n;
    if (index < 0 || index > (int64_t)n + MAX_PAD)
        return AW_ERR_OP_NOT_APPLICABLE;
    uint32_t at = (uint32_t)index;
    uint32_t pad = at > n ? at - n : 0; /* inserting past the end pads with nil */
    aw_value *items = items_alloc(a, (size_t)n + pad + n_vals);
    if (!items)
        return AW_ERR_SERVER_FULL;
    uint32_t head = at < n ? at : n;
    copy_items(items, list->u.items, head);
    for (uint32_t i = 0; i < pad; i++)
        items[head + i] = aw_value_nil();
    copy_items(items + head + pad, vals, n_vals);
    if (n > head)
        copy_items(items + head + pad + n_vals, list->u.items + head, n - head);
    list->u.items = items;
    list->len = n + pad + n_vals;
    return AW_OK;
}

/* List write flags (proto.h as_cdt_list_modify_flags). */
#define LIST_ADD_UNIQUE 0x01
#define LIST_INSERT_BOUNDED 0x02
#define LIST_NO_FAIL 0x04
#define LIST_PARTIAL 0x08 /* only counts together with NO_FAIL */
#define LIST_FLAGS_KNOWN 0x0f

static bool no_fail(int64_t flags) { return (flags & LIST_NO_FAIL) != 0; }
static bool do_partial(int64_t flags) {
    return (flags & (LIST_NO_FAIL | LIST_PARTIAL)) == (LIST_NO_FAIL | LIST_PARTIAL);
}

/* A refused write: with NO_FAIL a successful no-op, else `code`. */
static int refused(int64_t flags, int code) { return no_fail(flags) ? AW_OK : code; }

static uint32_t count_equal(const aw_value *list, const aw_value *v, int64_t skip_at) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < list->len; i++)
        if ((int64_t)i != skip_at && aw_value_equal(&list->u.items[i], v))
            n++;
    return n;
}

/* particle_list.c packed_list_insert: insert or append vals at index under
 * the write flags. The bounds check comes first, then ADD_UNIQUE: a value
 * already in the list is ELEMENT_EXISTS, one repeated inside the items is
 * OP_NOT_APPLICABLE; NO_FAIL makes either a no-op and NO_FAIL|PARTIAL skips
 * just the refused items. *res = the size afterwards. */
static int list_add(aw_value *list, int64_t index, const aw_value *vals, uint32_t n_vals,
                    int64_t flags, aw_value *res, bool *changed, aw_arena *a) {
    uint32_t n = list->len;
    *res = aw_value_int(n);
    int64_t at = index < 0 ? index + n : index;
    if (index > INT32_MAX || at < 0)
        return AW_ERR_OP_NOT_APPLICABLE;
    if ((flags & LIST_INSERT_BOUNDED) && at > (int64_t)n)
        return refused(flags, AW_ERR_OP_NOT_APPLICABLE);
    const aw_value *add = vals;
    uint32_t n_add = n_vals;
    if ((flags & LIST_ADD_UNIQUE) && n_vals > 0) {
        aw_value *kept = items_alloc(a, n_vals);
        if (!kept)
            return AW_ERR_SERVER_FULL;
        n_add = 0;
        for (uint32_t i = 0; i < n_vals; i++) {
            if (count_equal(list, &vals[i], -1) > 0) {
                if (do_partial(flags))
                    continue;
                return refused(flags, AW_ERR_FAIL_ELEMENT_EXISTS);
            }
            bool repeated = false;
            for (uint32_t j = 0; j < i && !repeated; j++)
                repeated = aw_value_equal(&vals[j], &vals[i]);
            if (repeated) {
                if (!no_fail(flags))
                    return AW_ERR_OP_NOT_APPLICABLE;
                if (!do_partial(flags))
                    return AW_OK;
                continue;
            }
            kept[n_add++] = vals[i];
        }
        if (n_add == 0)
            return refused(flags, AW_ERR_FAIL_ELEMENT_EXISTS);
        add = kept;
    }
    int rc = list_insert(list, at, add, n_add, a);
    if (rc != AW_OK)
        return rc;
    *changed = true;
    *res = aw_value_int(list->len);
    return AW_OK;
}

/* particle_list.c list_set: past the end it inserts (with padding); inside
 * the list ADD_UNIQUE refuses a value found at another index. No result. */
static int list_set(aw_value *list, int64_t index, const aw_value *v, int64_t flags,
                    bool *changed, aw_arena *a) {
    aw_value ignored;
    if (index >= (int64_t)list->len)
        return list_add(list, index, v, 1, flags, &ignored, changed, a);
    uint32_t at;
    if (!resolve_index(index, list->len, &at))
        return AW_ERR_OP_NOT_APPLICABLE;
    if ((flags & LIST_ADD_UNIQUE) && count_equal(list, v, at) > 0)
        return refused(flags, AW_ERR_FAIL_ELEMENT_EXISTS);
    if (!own_items(list, a))
        return AW_ERR_SERVER_FULL;
    list->u.items[at] = *v;
    *changed = true;
    return AW_OK;
}

static void list_remove_at(aw_value *list, uint32_t at) {
    memmove(list->u.items + at, list->u.items + at + 1,
            (list->len - at - 1) * sizeof(aw_value));
    list->len--;
}

/* The optional int argument i (absent: dflt); false when it is not an int. */
static bool opt_int_arg(const cdt_call *c, uint32_t i, int64_t dflt, int64_t *out) {
    *out = dflt;
    return i >= c->n_args || int_arg(c, i, out) == AW_OK;
}

/* A value the op would store must not hold a wildcard or infinity
 * (cdt.c cdt_process_state_get_params: PARAMETER). */
static bool storable(const aw_value *v) {
    if (v->type == AW_NIL)
        return v->subtype == 0;
    if (v->type == AW_LIST || v->type == AW_MAP) {
        uint32_t n = v->type == AW_MAP ? 2 * v->len : v->len;
        for (uint32_t i = 0; i < n; i++)
            if (!storable(&v->u.items[i]))
                return false;
    }
    return true;
}

/* particle_list.c cdt_context_use_static_list_if_notinuse: the list type a
 * modify op's create flags give a bin it creates (flags it does not know
 * make an unordered list). */
static int create_list(aw_value *list, int64_t order, bool created) {
    if (!created)
        return AW_OK;
    if (order & ~(int64_t)(TD_LIST_ORDERED | TD_LIST_PERSIST_INDEX))
        order = 0;
    int rc = td_list_drop_persist(&order);
    if (rc == AW_OK)
        list->subtype = (uint8_t)order;
    return rc;
}

static bool is_ordered(const aw_value *list) { return (list->subtype & TD_LIST_ORDERED) != 0; }

/* particle_list.c list_increment: [index, delta, order, flags]. The index
 * is checked first (26), then the delta (int, double or nil for 1, else
 * PARAMETER) and the element (int or double, else PARAMETER); past the end
 * the delta itself is set, padding with nils, under the write flags
 * (cdt.c cdt_calc_delta_*); an ordered list is not padded (26).
 * *res = the new value. */
/* cur + by as the server's cdt.c cdt_calc_delta_add does it (list and map
 * increment): the stored type wins, a double delta on an integer is
 * truncated, integers wrap. False when cur is not a number. */
static bool delta_add(const aw_value *cur, const aw_value *by, aw_value *sum) {
    if (cur->type == AW_INT)
        *sum = aw_value_int((int64_t)((uint64_t)cur->u.i +
                                      (uint64_t)(by->type == AW_INT ? by->u.i : (int64_t)by->u.f)));
    else if (cur->type == AW_FLOAT)
        *sum = aw_value_float(cur->u.f + (by->type == AW_INT ? (double)by->u.i : by->u.f));
    else
        return false;
    return true;
}

static int list_increment(aw_value *list, const cdt_call *c, bool created, bool *changed,
                          aw_value *res, aw_arena *a) {
    int64_t index, order = 0, flags = 0;
    if (int_arg(c, 0, &index) || !opt_int_arg(c, 2, 0, &order) || !opt_int_arg(c, 3, 0, &flags))
        return AW_ERR_REQUEST_INVALID;
    if (flags & ~LIST_FLAGS_KNOWN)
        return AW_ERR_UNSUPPORTED_FEATURE;
    int rc = create_list(list, order, created);
    if (rc != AW_OK)
        return rc;
    uint32_t n = list->len;
    int64_t at = index < 0 ? index + n : index;
    if (index > INT32_MAX || at < 0)
        return AW_ERR_OP_NOT_APPLICABLE;
    aw_value one = aw_value_int(1);
    const aw_value *by = c->n_args >= 2 && c->args[1].type != AW_NIL ? &c->args[1] : &one;
    if (by->type != AW_INT && by->type != AW_FLOAT)
        return AW_ERR_REQUEST_INVALID;
    aw_value sum = *by;
    if (at < (int64_t)n) {
        if (!delta_add(&list->u.items[at], by, &sum))
            return AW_ERR_REQUEST_INVALID;
    }
    *res = sum;
    if (is_ordered(list)) /* the new value moves to its place */
        return td_list_replace_ordered(list, (uint32_t)at, &sum, flags, changed, a);
    return list_set(list, at, &sum, flags, changed, a);
}

/* `created`: the op is about to create the bin (its order policy then
 * matters). */
static int list_op(aw_value *list, const cdt_call *c, bool created, bool *changed, aw_value *res,
                   aw_arena *a) {
    int64_t index = 0, count = 0, order = 0, flags = 0;
    uint32_t at;
    switch (c->code) {
    case AW_LIST_APPEND:
    case AW_LIST_APPEND_ITEMS: {
        if (c->n_args < 1 || !opt_int_arg(c, 1, 0, &order) || !opt_int_arg(c, 2, 0, &flags))
            return AW_ERR_REQUEST_INVALID;
        const aw_value *v = &c->args[0];
        if ((c->code == AW_LIST_APPEND_ITEMS && v->type != AW_LIST) || !storable(v))
            return AW_ERR_REQUEST_INVALID;
        if (flags & ~LIST_FLAGS_KNOWN)
            return AW_ERR_UNSUPPORTED_FEATURE;
        int rc = create_list(list, order, created);
        if (rc != AW_OK)
            return rc;
        if (is_ordered(list)) {
            bool items = c->code == AW_LIST_APPEND_ITEMS;
            return td_list_add_ordered(list, items ? v->u.items : v, items ? v->len : 1, items,
                                       flags, changed, res, a);
        }
        if (c->code == AW_LIST_APPEND)
            return list_add(list, list->len, v, 1, flags, res, changed, a);
        return list_add(list, list->len, v->u.items, v->len, flags, res, changed, a);
    }
    case AW_LIST_INSERT:
    case AW_LIST_INSERT_ITEMS: {
        if (int_arg(c, 0, &index) || c->n_args < 2 || !opt_int_arg(c, 2, 0, &flags))
            return AW_ERR_REQUEST_INVALID;
        const aw_value *v = &c->args[1];
        if ((c->code == AW_LIST_INSERT_ITEMS && v->type != AW_LIST) || !storable(v))
            return AW_ERR_REQUEST_INVALID;
        if (flags & ~LIST_FLAGS_KNOWN)
            return AW_ERR_UNSUPPORTED_FEATURE;
        if (is_ordered(list))
            return AW_ERR_OP_NOT_APPLICABLE; /* list_insert: no index in an ordered list */
        if (c->code == AW_LIST_INSERT)
            return list_add(list, index, v, 1, flags, res, changed, a);
        return list_add(list, index, v->u.items, v->len, flags, res, changed, a);
    }
    case AW_LIST_SET:
        if (int_arg(c, 0, &index) || c->n_args < 2 || !opt_int_arg(c, 2, 0, &flags) ||
            !storable(&c->args[1]))
            return AW_ERR_REQUEST_INVALID;
        if (flags & ~LIST_FLAGS_KNOWN)
            return AW_ERR_UNSUPPORTED_FEATURE;
        if (is_ordered(list))
            return AW_ERR_OP_NOT_APPLICABLE; /* list_set: no index in an ordered list */
        return list_set(list, index, &c->args[1], flags, changed, a);
    case AW_LIST_POP:
    case AW_LIST_REMOVE:
        if (int_arg(c, 0, &index))
            return AW_ERR_REQUEST_INVALID;
        if (!resolve_index(index, list->len, &at))
            return AW_ERR_OP_NOT_APPLICABLE;
        *res = c->code == AW_LIST_POP ? list->u.items[at] : aw_value_int(1);
        if (!own_items(list, a))
            return AW_ERR_SERVER_FULL;
        list_remove_at(list, at);
        *changed = true;
        return AW_OK;
    case AW_LIST_CLEAR:
        list->len = 0;
        *changed = true;
        return AW_OK;
    case AW_LIST_SIZE:
        *res = aw_value_int(list->len);
        return AW_OK;
    case AW_LIST_GET:
        if (int_arg(c, 0, &index))
            return AW_ERR_REQUEST_INVALID;
        if (!resolve_index(index, list->len, &at))
            return AW_ERR_OP_NOT_APPLICABLE;
        *res = list->u.items[at];
        return AW_OK;
    case AW_LIST_GET_RANGE: {
        if (int_arg(c, 0, &index))
            return AW_ERR_REQUEST_INVALID;
        count = UINT32_MAX; /* absent: to the end */
        if (c->n_args >= 2 && int_arg(c, 1, &count))
            return AW_ERR_REQUEST_INVALID;
        if (index < 0)
            index += list->len;
        if (index < 0) { /* cdt.c calc_index_count: only the part that overlaps */
            count += index;
            index = 0;
        }
        if (index > (int64_t)list->len)
            index = list->len;
        if (count < 0)
            count = 0;
        if (count > (int64_t)list->len)
            count = list->len;
        int64_t end = index + count;
        if (end > (int64_t)list->len)
            end = list->len;
        uint32_t n = index < end ? (uint32_t)(end - index) : 0;
        *res = aw_value_list(n ? list->u.items + index : NULL, n);
        return AW_OK;
    }
    case AW_LIST_INCREMENT:
        return list_increment(list, c, created, changed, res, a);
    case AW_LIST_SORT:
        if (!opt_int_arg(c, 0, 0, &flags))
            return AW_ERR_REQUEST_INVALID;
        return td_list_sort(list, flags, changed, a);
    case AW_LIST_SET_TYPE:
        if (int_arg(c, 0, &order))
            return AW_ERR_REQUEST_INVALID;
        return td_list_set_type(list, order, changed, a);
    default:
        if (td_list_select_code(c->code))
            return td_list_select(list, c, changed, res, a);
        return AW_ERR_REQUEST_INVALID;
    }
}

/* Map keys compare by type (integer < string < blob), then by value; the
 * bytes of strings and blobs by memcmp, the shorter first on a tie
 * (msgpack_in.c msgpack_cmp). Only those types can be keys. */
static int key_rank(const aw_value *k) { return k->type == AW_INT ? 0 : k->type == AW_STR ? 1 : 2; }

static int key_cmp(const aw_value *x, const aw_value *y) {
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
static bool map_key_ok(const aw_value *k) {
    return k->type == AW_INT || k->type == AW_STR ||
           (k->type == AW_BLOB && k->subtype == AW_PARTICLE_BLOB);
}

/* The position of entry i in key order: a map's index is its key order,
 * whatever order its entries are stored in. */
static uint32_t key_index(const aw_value *map, uint32_t i) {
    uint32_t smaller = 0;
    for (uint32_t j = 0; j < map->len; j++)
        if (key_cmp(&map->u.items[2 * j], &map->u.items[2 * i]) < 0)
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
    aw_value *kv = items_alloc(a, 2);
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

static int64_t map_find(const aw_value *map, const aw_value *key) {
    for (uint32_t i = 0; i < map->len; i++)
        if (aw_value_equal(&map->u.items[2 * i], key))
            return i;
    return -1;
}

static int map_put(aw_value *map, const aw_value *key, const aw_value *val, aw_arena *a) {
    int64_t i = map_find(map, key);
    aw_value *items = items_alloc(a, 2 * ((size_t)map->len + (i < 0)));
    if (!items)
        return AW_ERR_SERVER_FULL;
    copy_items(items, map->u.items, 2 * (size_t)map->len);
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
/* Map order attributes: only unordered maps are served; persist-index (0x10)
 * on an unordered map changes nothing a client sees. */
#define MAP_ATTR_PERSIST 0x10

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
    bool exists = map_find(map, key) >= 0;
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
    if (!map_key_ok(key) || !storable(val))
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
        if (!map_key_ok(&items->u.items[2 * i]) || !storable(&items->u.items[2 * i + 1]))
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
    aw_value *skip = items_alloc(a, items->len); /* .type 1 = skip item i */
    if (!skip)
        return AW_ERR_SERVER_FULL;
    memset(skip, 0, items->len * sizeof *skip);
    /* Visit the items in key order: repeatedly the smallest not yet seen. */
    for (uint32_t visited = 0; visited < items->len && !empty_shortcut; visited++) {
        int64_t next = -1;
        for (uint32_t i = 0; i < items->len; i++) {
            if (skip[i].subtype)
                continue;
            if (next < 0 || key_cmp(&items->u.items[2 * i], &items->u.items[2 * next]) < 0)
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
static int map_op(aw_value *map, const cdt_call *c, bool created, bool *changed, aw_value *res,
                  aw_arena *a) {
    int64_t rtype = 0, index = 0, attr = 0, flags = 0;
    uint32_t i_attr;
    switch (c->code) {
    case AW_MAP_ADD: case AW_MAP_ADD_ITEMS: case AW_MAP_PUT: case AW_MAP_PUT_ITEMS:
    case AW_MAP_INCREMENT:
        i_attr = c->code == AW_MAP_ADD_ITEMS || c->code == AW_MAP_PUT_ITEMS ? 1 : 2;
        if (!opt_int_arg(c, i_attr, 0, &attr) ||
            ((c->code == AW_MAP_PUT || c->code == AW_MAP_PUT_ITEMS) &&
             !opt_int_arg(c, i_attr + 1, 0, &flags)))
            return AW_ERR_REQUEST_INVALID;
        if ((created && (attr & ~MAP_ATTR_PERSIST)) || (flags & ~MAP_FLAGS_KNOWN))
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
        if (c->n_args < 1 || !map_key_ok(&c->args[0]))
            return AW_ERR_REQUEST_INVALID;
        aw_value one = aw_value_int(1);
        const aw_value *by = c->n_args >= 2 && c->args[1].type != AW_NIL ? &c->args[1] : &one;
        if (by->type != AW_INT && by->type != AW_FLOAT)
            return AW_ERR_REQUEST_INVALID;
        int64_t i = map_find(map, &c->args[0]);
        aw_value sum = *by;
        if (i >= 0) {
            if (!delta_add(&map->u.items[2 * i + 1], by, &sum))
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
    case AW_MAP_REMOVE_BY_KEY: {
        if (int_arg(c, 0, &rtype) || c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        int64_t i = map_find(map, &c->args[1]);
        int rc = map_result(map, i, rtype, res, a);
        if (rc != AW_OK || i < 0)
            return rc;
        aw_value *items = items_alloc(a, 2 * (size_t)map->len);
        if (!items)
            return AW_ERR_SERVER_FULL;
        copy_items(items, map->u.items, 2 * (size_t)i);
        copy_items(items + 2 * i, map->u.items + 2 * i + 2, 2 * (size_t)(map->len - i - 1));
        map->u.items = items;
        map->len--;
        *changed = true;
        return AW_OK;
    }
    case AW_MAP_SIZE:
        *res = aw_value_int(map->len);
        return AW_OK;
    case AW_MAP_GET_BY_KEY:
        if (int_arg(c, 0, &rtype) || c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        return map_result(map, map_find(map, &c->args[1]), rtype, res, a);
    case AW_MAP_GET_BY_INDEX: {
        if (int_arg(c, 0, &rtype) || int_arg(c, 1, &index))
            return AW_ERR_REQUEST_INVALID;
        uint32_t at;
        if (!resolve_index(index, map->len, &at))
            return AW_ERR_OP_NOT_APPLICABLE; /* single selector out of range */
        return map_result(map, entry_at_key_index(map, at), rtype, res, a);
    }
    default:
        return AW_ERR_REQUEST_INVALID;
    }
}

/* The op codes the server knows (cdt.c cdt_op_table) but aw-testd does not
 * serve; a code the server does not know at all is PARAMETER. */
static bool code_served(int64_t code) {
    switch (code) {
    case AW_LIST_APPEND: case AW_LIST_APPEND_ITEMS: case AW_LIST_INSERT:
    case AW_LIST_INSERT_ITEMS: case AW_LIST_POP: case AW_LIST_REMOVE: case AW_LIST_SET:
    case AW_LIST_CLEAR: case AW_LIST_SIZE: case AW_LIST_GET: case AW_LIST_GET_RANGE:
    case AW_LIST_INCREMENT: case AW_LIST_SORT: case AW_LIST_SET_TYPE:
    case AW_MAP_ADD: case AW_MAP_ADD_ITEMS: case AW_MAP_PUT: case AW_MAP_PUT_ITEMS:
    case AW_MAP_REPLACE: case AW_MAP_REPLACE_ITEMS: case AW_MAP_INCREMENT: case AW_MAP_CLEAR:
    case AW_MAP_REMOVE_BY_KEY: case AW_MAP_SIZE: case AW_MAP_GET_BY_KEY: case AW_MAP_GET_BY_INDEX:
        return true;
    default:
        return td_list_select_code(code);
    }
}

static bool code_known(int64_t code) {
    return (code >= 0 && code <= 13) || (code >= 16 && code <= 27) || (code >= 32 && code <= 40) ||
           (code >= 64 && code <= 70) || (code >= 73 && code <= 79) || (code >= 81 && code <= 89) ||
           (code >= 96 && code <= 100) || (code >= 102 && code <= 110);
}

static int decode_call(const aw_op_view *op, cdt_call *c, aw_arena *a) {
    aw_value v;
    size_t used;
    if (op->particle != AW_PT_BLOB ||
        aw_msgpack_read(op->value, op->value_len, &v, a, &used, NULL) != AW_OK ||
        used != op->value_len || v.type != AW_LIST || v.len < 1 || v.u.items[0].type != AW_INT)
        return AW_ERR_REQUEST_INVALID;
    /* Context paths (nested CDTs, 0xff) and select/modify by path (0xfe,
     * cdt.c AS_CDT_OP_SELECT) are not served. */
    if (v.u.items[0].u.i == 0xff || v.u.items[0].u.i == 0xfe)
        return AW_ERR_UNSUPPORTED_FEATURE;
    c->code = v.u.items[0].u.i;
    c->args = v.u.items + 1;
    c->n_args = v.len - 1;
    if (!code_known(c->code))
        return AW_ERR_REQUEST_INVALID;
    if (!code_served(c->code))
        return AW_ERR_UNSUPPORTED_FEATURE;
    return AW_OK;
}

static bool is_list_code(int64_t code) { return code >= 0 && code < 64; }

/* Modify ops that only take away: on a missing bin they are no-ops with no
 * result (particle_list.c / particle_map.c: "no-op" when the bin is not in
 * use), so a command of nothing else finds no record to change. */
static bool removes_only(int64_t code) {
    return code == AW_LIST_POP || code == AW_LIST_REMOVE || code == AW_LIST_CLEAR ||
           code == AW_LIST_POP_RANGE || code == AW_LIST_REMOVE_RANGE || code == AW_LIST_TRIM ||
           (code >= AW_LIST_REMOVE_BY_INDEX && code <= AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE) ||
           code == AW_MAP_CLEAR || code == AW_MAP_REMOVE_BY_KEY;
}

int td_cdt_apply(td_record *w, const aw_op_view *op, bool modify, aw_value *result,
                 aw_arena *arena) {
    *result = aw_value_nil();
    if (op->name_len == 0)
        return AW_ERR_BIN_NAME;
    cdt_call c;
    int rc = decode_call(op, &c, arena);
    if (rc != AW_OK)
        return rc;
    bool list = is_list_code(c.code);
    uint8_t want = list ? AW_PT_LIST : AW_PT_MAP;
    td_bin *b = td_bin_find(w, op->name, op->name_len);
    aw_value coll;
    if (b) {
        if (b->ptype != want)
            return AW_ERR_BIN_INCOMPATIBLE_TYPE;
        size_t used;
        if (aw_msgpack_read(b->data, b->len, &coll, arena, &used, NULL) != AW_OK ||
            coll.type != (list ? AW_LIST : AW_MAP))
            return AW_ERR_SERVER;
        if (list ? coll.subtype & ~TD_LIST_ORDERED : coll.subtype & ~MAP_ATTR_PERSIST)
            return AW_ERR_UNSUPPORTED_FEATURE; /* ordered maps, indexed lists: not served */
    } else {
        if (c.code == AW_LIST_SORT)
            return AW_ERR_BIN_INCOMPATIBLE_TYPE; /* list_sort: the bin must be there */
        if (!modify || removes_only(c.code))
            return AW_OK; /* reading a missing bin returns nothing */
        coll = list ? aw_value_list(NULL, 0) : aw_value_map(NULL, 0);
    }
    bool changed = false;
    rc = list ? list_op(&coll, &c, b == NULL, &changed, result, arena)
              : map_op(&coll, &c, b == NULL, &changed, result, arena);
    if (rc != AW_OK)
        return rc;
    if (changed && !modify)
        return AW_ERR_REQUEST_INVALID; /* a modify code sent as a read op */
    /* A map modify op on a missing bin makes it an empty map first, and a
     * NO_FAIL op that then adds nothing leaves that map (particle_map.c
     * cdt_context_map_handle_possible_noop). */
    if (!b && !list)
        changed = true;
    if (!changed)
        return AW_OK;
    aw_buf enc;
    aw_buf_init(&enc);
    rc = aw_msgpack_write(&enc, &coll, NULL);
    if (rc == AW_OK && aw_buf_ok(&enc))
        rc = td_bin_set(w, op->name, op->name_len, want, enc.data, (uint32_t)enc.len)
                 ? AW_ERR_SERVER_FULL
                 : AW_OK;
    else
        rc = AW_ERR_SERVER;
    aw_buf_free(&enc);
    return rc;
}

/* Value-level entry for expression CALLs: the value is put in a bin of a
 * scratch record, the op applied to it as to a record's bin, and the bin
 * read back. A read code in a modify call, or a modify code in a read call,
 * is PARAMETER (the server's cdt_packed_modify / cdt_packed_read take only
 * their own kind; the CE 8.1.2.0 server answered 4, and an expression
 * CALL unknown). */
int td_cdt_eval(aw_value *container, const uint8_t *op, size_t len, bool modify,
                aw_value *result, aw_arena *arena) {
    *result = aw_value_nil();
    int64_t code = -1;
    if (len >= 2 && (op[0] & 0xf0) == 0x90 && op[1] < 0x80)
        code = op[1]; /* [code, ...]: every CDT code but the context ones is a fixint */
    bool read_code = (code >= 16 && code <= 27) || (code >= 96 && code <= 110);
    if (code >= 0 && read_code == modify)
        return AW_ERR_REQUEST_INVALID;
    return td_value_op_eval(container, op, len, modify ? AW_OP_CDT_MODIFY : AW_OP_CDT_READ,
                            result, arena);
}
