/*
 * aw-testd: list and map operations on bins stored as msgpack.
 *
 * The bin is decoded into values (in a per-op arena), changed, and encoded
 * back. The ops served follow the real server (as/src/base/particle_list.c,
 * particle_map.c, cdt.c). Lists, unordered and ordered: every op code
 * (the selections by index, rank and value are cdt_list_select.c, the
 * ordered writes cdt_list_ordered.c); maps, unordered and ordered: every
 * op code (cdt_map.c, cdt_map_select.c); any of those on a list or map
 * nested in the bin through a context path (cdt_ctx.c); select and modify
 * by path (cdt_path.c). Everything else the server knows (unordered lists
 * and value-ordered maps with a persisted index) is refused with UNSUPPORTED_FEATURE rather
 * than answered wrongly; codes the server does not know are PARAMETER, as it
 * answers them. docs/testd.md lists both.
 */
#include "cdt.h"
#include "cdt_ctx.h"
#include "cdt_list.h"
#include "cdt_map.h"
#include "cdt_path.h"
#include "mp_in.h"

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
 * the write flags. No items is a no-op, whatever the index; then the bounds
 * check, then ADD_UNIQUE: a value already in the list is ELEMENT_EXISTS,
 * one repeated inside the items is OP_NOT_APPLICABLE; NO_FAIL makes either
 * a no-op and NO_FAIL|PARTIAL skips just the refused items. *res = the size
 * afterwards. */
static int list_add(aw_value *list, int64_t index, const aw_value *vals, uint32_t n_vals,
                    int64_t flags, aw_value *res, bool *changed, aw_arena *a) {
    uint32_t n = list->len;
    *res = aw_value_int(n);
    if (n_vals == 0) /* no items: a no-op before the index is even looked at */
        return AW_OK;
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
bool td_cdt_storable(const aw_value *v) {
    if (v->type == AW_NIL)
        return v->subtype == 0;
    if (v->type == AW_LIST || v->type == AW_MAP) {
        uint32_t n = v->type == AW_MAP ? 2 * v->len : v->len;
        for (uint32_t i = 0; i < n; i++)
            if (!td_cdt_storable(&v->u.items[i]))
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
bool td_cdt_delta_add(const aw_value *cur, const aw_value *by, aw_value *sum) {
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
        if (!td_cdt_delta_add(&list->u.items[at], by, &sum))
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
    int64_t index = 0, order = 0, flags = 0;
    uint32_t at;
    switch (c->code) {
    case AW_LIST_APPEND:
    case AW_LIST_APPEND_ITEMS: {
        if (c->n_args < 1 || !opt_int_arg(c, 1, 0, &order) || !opt_int_arg(c, 2, 0, &flags))
            return AW_ERR_REQUEST_INVALID;
        aw_value *v = &c->args[0];
        if ((c->code == AW_LIST_APPEND_ITEMS && v->type != AW_LIST) || !td_cdt_storable(v))
            return AW_ERR_REQUEST_INVALID;
        if (td_map_sort_nested(v, a) != AW_OK) /* stored as the server rewrites it */
            return AW_ERR_SERVER_FULL;
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
        aw_value *v = &c->args[1];
        if ((c->code == AW_LIST_INSERT_ITEMS && v->type != AW_LIST) || !td_cdt_storable(v))
            return AW_ERR_REQUEST_INVALID;
        if (td_map_sort_nested(v, a) != AW_OK)
            return AW_ERR_SERVER_FULL;
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
            !td_cdt_storable(&c->args[1]))
            return AW_ERR_REQUEST_INVALID;
        if (td_map_sort_nested(&c->args[1], a) != AW_OK)
            return AW_ERR_SERVER_FULL;
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

/* The op codes the server knows (cdt.c cdt_op_table) but aw-testd does not
 * serve; a code the server does not know at all is PARAMETER. */
static bool code_served(int64_t code) {
    switch (code) {
    case AW_LIST_APPEND: case AW_LIST_APPEND_ITEMS: case AW_LIST_INSERT:
    case AW_LIST_INSERT_ITEMS: case AW_LIST_POP: case AW_LIST_REMOVE: case AW_LIST_SET:
    case AW_LIST_CLEAR: case AW_LIST_SIZE: case AW_LIST_GET: case AW_LIST_GET_RANGE:
    case AW_LIST_INCREMENT: case AW_LIST_SORT: case AW_LIST_SET_TYPE:
        return true;
    default: /* every map code the server knows (code_known) */
        return td_list_select_code(code) || code >= AW_MAP_SET_TYPE;
    }
}

static bool code_known(int64_t code) {
    return (code >= 0 && code <= 13) || (code >= 16 && code <= 27) || (code >= 32 && code <= 40) ||
           (code >= 64 && code <= 70) || (code >= 73 && code <= 79) || (code >= 81 && code <= 89) ||
           (code >= 96 && code <= 100) || (code >= 102 && code <= 110);
}

/* The op value as msgpack: an array whose first item is an integer (the op
 * code, or 0xff for a context wrapper). */
static int decode_value(const aw_op_view *op, aw_value *v, aw_arena *a) {
    size_t used;
    if (op->particle != AW_PT_BLOB ||
        aw_msgpack_read(op->value, op->value_len, v, a, &used, NULL) != AW_OK ||
        used != op->value_len || v->type != AW_LIST || v->len < 1 || v->u.items[0].type != AW_INT)
        return AW_ERR_REQUEST_INVALID;
    return AW_OK;
}

/* [0xfe, ...]: select / modify by path (cdt_path.c). */
static bool is_path_op(const aw_op_view *op) {
    td_mp c = {.p = op->value, .len = op->value_len};
    uint32_t n;
    uint64_t code;
    return op->particle == AW_PT_BLOB && td_mp_list(&c, &n) && n > 0 && td_mp_uint(&c, &code) &&
           code == TD_CDT_SELECT;
}

int td_cdt_call_of(const aw_value *v, cdt_call *c) {
    if (v->type != AW_LIST || v->len < 1 || v->u.items[0].type != AW_INT)
        return AW_ERR_REQUEST_INVALID;
    c->code = v->u.items[0].u.i;
    c->args = v->u.items + 1;
    c->n_args = v->len - 1;
    /* Select/modify by path (0xfe) as a context's op: not served
     * (cdt_path.c serves it on a bin). */
    if (c->code == TD_CDT_SELECT)
        return AW_ERR_UNSUPPORTED_FEATURE;
    if (!code_known(c->code))
        return AW_ERR_REQUEST_INVALID;
    if (!code_served(c->code))
        return AW_ERR_UNSUPPORTED_FEATURE;
    return AW_OK;
}

bool td_cdt_is_list_code(int64_t code) { return code >= 0 && code < 64; }

/* The codes of the server's modify tables (particle_list.c / particle_map.c
 * cdt_process_state_packed_*_modify_optype); the others are reads. The op
 * type picks the table, so a code sent with the other one is PARAMETER. */
static bool is_modify_code(int64_t code) {
    return code <= AW_LIST_SORT ||
           (code >= AW_LIST_REMOVE_BY_INDEX && code <= AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE) ||
           (code >= AW_MAP_SET_TYPE && code <= AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE);
}

bool td_cdt_wrong_op_type(int64_t code, bool modify) { return modify != is_modify_code(code); }

bool td_cdt_resolve_index(int64_t index, uint32_t n, uint32_t *out) {
    return resolve_index(index, n, out);
}

/* Modify ops that only take away: on a missing bin they are no-ops with no
 * result (particle_list.c / particle_map.c: "no-op" when the bin is not in
 * use), so a command of nothing else finds no record to change. */
bool td_cdt_removes_only(int64_t code) {
    return code == AW_LIST_POP || code == AW_LIST_REMOVE || code == AW_LIST_CLEAR ||
           code == AW_LIST_POP_RANGE || code == AW_LIST_REMOVE_RANGE || code == AW_LIST_TRIM ||
           (code >= AW_LIST_REMOVE_BY_INDEX && code <= AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE) ||
           code == AW_MAP_CLEAR ||
           (code >= AW_MAP_REMOVE_BY_KEY && code <= AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE);
}

int td_cdt_op_on(aw_value *coll, const cdt_call *c, bool created, bool *changed, aw_value *res,
                 aw_arena *a) {
    bool list = td_cdt_is_list_code(c->code);
    if (!created && (list ? coll->subtype & ~TD_LIST_ORDERED : !td_map_flags_served(coll->subtype)))
        return AW_ERR_UNSUPPORTED_FEATURE; /* indexed lists and maps: not served */
    return list ? list_op(coll, c, created, changed, res, a)
                : td_map_op(coll, c, created, changed, res, a);
}

int td_cdt_store(td_record *w, const aw_op_view *op, const aw_value *coll) {
    aw_buf enc;
    aw_buf_init(&enc);
    int rc = aw_msgpack_write(&enc, coll, NULL);
    if (rc == AW_OK && aw_buf_ok(&enc))
        rc = td_bin_set(w, op->name, op->name_len,
                        coll->type == AW_LIST ? AW_PT_LIST : AW_PT_MAP, enc.data,
                        (uint32_t)enc.len)
                 ? AW_ERR_SERVER_FULL
                 : AW_OK;
    else
        rc = AW_ERR_SERVER;
    aw_buf_free(&enc);
    return rc;
}

int td_cdt_apply(td_record *w, const aw_op_view *op, bool modify, aw_value *result,
                 aw_arena *arena) {
    *result = aw_value_nil();
    if (op->name_len == 0)
        return AW_ERR_BIN_NAME;
    if (is_path_op(op)) /* read as it comes: its expressions stay bytes */
        return td_cdt_path_apply(w, op, modify, result, arena);
    aw_value v;
    int rc = decode_value(op, &v, arena);
    if (rc != AW_OK)
        return rc;
    if (v.u.items[0].u.i == TD_CDT_CONTEXT_EVAL) /* a path into nested containers */
        return td_cdt_ctx_apply(w, op, &v, modify, result, arena);
    cdt_call c;
    rc = td_cdt_call_of(&v, &c);
    if (rc != AW_OK)
        return rc;
    bool list = td_cdt_is_list_code(c.code);
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
    }
    /* The server's modify path knows only the modify codes and its read
     * path only the read codes (particle_list.c / particle_map.c
     * *_modify_optype, *_read_optype: PARAMETER); a read of a missing bin
     * runs nothing. Seen on CE 8.1.2.0. */
    if ((modify || b) && td_cdt_wrong_op_type(c.code, modify))
        return AW_ERR_REQUEST_INVALID;
    if (!b) {
        if (c.code == AW_LIST_SORT)
            return AW_ERR_BIN_INCOMPATIBLE_TYPE; /* list_sort: the bin must be there */
        if (!modify || td_cdt_removes_only(c.code))
            return AW_OK; /* reading a missing bin returns nothing */
        coll = list ? aw_value_list(NULL, 0) : aw_value_map(NULL, 0);
    }
    bool changed = false;
    rc = td_cdt_op_on(&coll, &c, b == NULL, &changed, result, arena);
    if (rc != AW_OK)
        return rc;
    /* A modify op on a missing bin makes it an empty list or map first, and
     * a NO_FAIL op that then adds nothing leaves it there (particle_list.c
     * cdt_context_use_static_list_if_notinuse, particle_map.c
     * cdt_context_map_handle_possible_noop; a real 8.1.2.0 keeps [] after a
     * refused ADD_UNIQUE|NO_FAIL append_items on a missing bin). */
    if (!b)
        changed = true;
    if (!changed)
        return AW_OK;
    return td_cdt_store(w, op, &coll);
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
