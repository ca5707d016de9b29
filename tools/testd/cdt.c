/*
 * aw-testd: list and map operations on bins stored as msgpack.
 *
 * The bin is decoded into values (in a per-op arena), changed, and encoded
 * back. Enough of the real server's list/map semantics for clients to test
 * against: appends, inserts, sets, pops, removes, sizes, gets and ranges for
 * lists; puts, increments, removes, sizes and gets by key/index for maps.
 */
#include "cdt.h"

#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "proto/msgpack.h"
#include "proto/particle.h"

typedef struct cdt_call {
    int64_t code;
    aw_value *args;
    uint32_t n_args;
} cdt_call;

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

static void list_remove_at(aw_value *list, uint32_t at) {
    memmove(list->u.items + at, list->u.items + at + 1,
            (list->len - at - 1) * sizeof(aw_value));
    list->len--;
}

static int list_op(aw_value *list, const cdt_call *c, bool *changed, aw_value *res, aw_arena *a) {
    int64_t index = 0, count = 0;
    uint32_t at;
    switch (c->code) {
    case AW_LIST_APPEND:
    case AW_LIST_APPEND_ITEMS: {
        if (c->n_args < 1)
            return AW_ERR_REQUEST_INVALID;
        const aw_value *v = &c->args[0];
        if (c->code == AW_LIST_APPEND_ITEMS && v->type != AW_LIST)
            return AW_ERR_REQUEST_INVALID;
        int rc = c->code == AW_LIST_APPEND ? list_insert(list, list->len, v, 1, a)
                                           : list_insert(list, list->len, v->u.items, v->len, a);
        if (rc != AW_OK)
            return rc;
        *changed = true;
        *res = aw_value_int(list->len);
        return AW_OK;
    }
    case AW_LIST_INSERT:
    case AW_LIST_INSERT_ITEMS: {
        if (int_arg(c, 0, &index) || c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        const aw_value *v = &c->args[1];
        if (c->code == AW_LIST_INSERT_ITEMS && v->type != AW_LIST)
            return AW_ERR_REQUEST_INVALID;
        int rc = c->code == AW_LIST_INSERT ? list_insert(list, index, v, 1, a)
                                           : list_insert(list, index, v->u.items, v->len, a);
        if (rc != AW_OK)
            return rc;
        *changed = true;
        *res = aw_value_int(list->len);
        return AW_OK;
    }
    case AW_LIST_SET:
        if (int_arg(c, 0, &index) || c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        if (index >= (int64_t)list->len || index < -(int64_t)list->len) {
            if (index < 0)
                return AW_ERR_OP_NOT_APPLICABLE;
            int rc = list_insert(list, index, &c->args[1], 1, a);
            *changed = rc == AW_OK;
            return rc;
        }
        if (!resolve_index(index, list->len, &at) || !own_items(list, a))
            return AW_ERR_SERVER_FULL;
        list->u.items[at] = c->args[1];
        *changed = true;
        return AW_OK;
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
        count = (int64_t)list->len;
        if (c->n_args >= 2 && int_arg(c, 1, &count))
            return AW_ERR_REQUEST_INVALID;
        if (index < 0)
            index += list->len;
        if (index < 0)
            index = 0;
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
    default:
        return AW_ERR_REQUEST_INVALID;
    }
}

static int64_t map_find(const aw_value *map, const aw_value *key) {
    for (uint32_t i = 0; i < map->len; i++)
        if (aw_value_equal(&map->u.items[2 * i], key))
            return i;
    return -1;
}

/* What a map read returns for one entry under a return type. */
static int map_result(const aw_value *map, int64_t found, int64_t rtype, aw_value *res,
                      aw_arena *a) {
    switch (rtype & 0xffff) {
    case AW_RETURN_NONE:
        *res = aw_value_nil();
        return AW_OK;
    case AW_RETURN_VALUE:
        *res = found < 0 ? aw_value_nil() : map->u.items[2 * found + 1];
        return AW_OK;
    case AW_RETURN_KEY:
        *res = found < 0 ? aw_value_nil() : map->u.items[2 * found];
        return AW_OK;
    case AW_RETURN_COUNT:
        *res = aw_value_int(found < 0 ? 0 : 1);
        return AW_OK;
    case AW_RETURN_EXISTS:
        *res = aw_value_bool(found >= 0);
        return AW_OK;
    case AW_RETURN_INDEX:
        *res = found < 0 ? aw_value_nil() : aw_value_int(found);
        return AW_OK;
    case AW_RETURN_KEY_VALUE: {
        aw_value *kv = items_alloc(a, 2);
        if (!kv)
            return AW_ERR_SERVER_FULL;
        if (found < 0) {
            *res = aw_value_map(kv, 0);
        } else {
            kv[0] = map->u.items[2 * found];
            kv[1] = map->u.items[2 * found + 1];
            *res = aw_value_map(kv, 1);
        }
        return AW_OK;
    }
    default:
        return AW_ERR_REQUEST_INVALID;
    }
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

static bool map_key_ok(const aw_value *k) {
    return k->type == AW_INT || k->type == AW_STR || k->type == AW_BLOB || k->type == AW_FLOAT;
}

static int map_op(aw_value *map, const cdt_call *c, bool *changed, aw_value *res, aw_arena *a) {
    int64_t rtype = 0, index = 0;
    switch (c->code) {
    case AW_MAP_PUT:
        if (c->n_args < 2 || !map_key_ok(&c->args[0]))
            return AW_ERR_REQUEST_INVALID;
        if (map_put(map, &c->args[0], &c->args[1], a) != AW_OK)
            return AW_ERR_SERVER_FULL;
        *changed = true;
        *res = aw_value_int(map->len);
        return AW_OK;
    case AW_MAP_PUT_ITEMS:
        if (c->n_args < 1 || c->args[0].type != AW_MAP)
            return AW_ERR_REQUEST_INVALID;
        for (uint32_t i = 0; i < c->args[0].len; i++) {
            const aw_value *kv = &c->args[0].u.items[2 * i];
            if (!map_key_ok(kv))
                return AW_ERR_REQUEST_INVALID;
            if (map_put(map, kv, kv + 1, a) != AW_OK)
                return AW_ERR_SERVER_FULL;
        }
        *changed = true;
        *res = aw_value_int(map->len);
        return AW_OK;
    case AW_MAP_INCREMENT: {
        if (c->n_args < 2 || !map_key_ok(&c->args[0]))
            return AW_ERR_REQUEST_INVALID;
        const aw_value *by = &c->args[1];
        int64_t i = map_find(map, &c->args[0]);
        aw_value sum;
        if (i < 0) {
            sum = *by;
        } else {
            const aw_value *cur = &map->u.items[2 * i + 1];
            if (cur->type == AW_INT && by->type == AW_INT)
                sum = aw_value_int((int64_t)((uint64_t)cur->u.i + (uint64_t)by->u.i));
            else if (cur->type == AW_FLOAT && by->type == AW_FLOAT)
                sum = aw_value_float(cur->u.f + by->u.f);
            else
                return AW_ERR_BIN_INCOMPATIBLE_TYPE;
        }
        if (sum.type != AW_INT && sum.type != AW_FLOAT)
            return AW_ERR_REQUEST_INVALID;
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
            return map_result(map, -1, rtype, res, a);
        return map_result(map, at, rtype, res, a);
    }
    default:
        return AW_ERR_REQUEST_INVALID;
    }
}

static int decode_call(const aw_op_view *op, cdt_call *c, aw_arena *a) {
    aw_value v;
    size_t used;
    if (op->particle != AW_PT_BLOB ||
        aw_msgpack_read(op->value, op->value_len, &v, a, &used, NULL) != AW_OK ||
        used != op->value_len || v.type != AW_LIST || v.len < 1 || v.u.items[0].type != AW_INT)
        return AW_ERR_REQUEST_INVALID;
    if (v.u.items[0].u.i == 0xff)
        return AW_ERR_UNSUPPORTED_FEATURE; /* context paths (nested CDTs) are not served */
    c->code = v.u.items[0].u.i;
    c->args = v.u.items + 1;
    c->n_args = v.len - 1;
    return AW_OK;
}

static bool is_list_code(int64_t code) { return code >= 0 && code < 64; }

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
    } else {
        if (!modify)
            return AW_OK; /* reading a missing bin returns nothing */
        coll = list ? aw_value_list(NULL, 0) : aw_value_map(NULL, 0);
    }
    bool changed = false;
    rc = list ? list_op(&coll, &c, &changed, result, arena) : map_op(&coll, &c, &changed, result, arena);
    if (rc != AW_OK)
        return rc;
    if (changed && !modify)
        return AW_ERR_REQUEST_INVALID; /* a modify code sent as a read op */
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
