/*
 * aw-testd: CDT ops with a context, [0xff, [type, value, ...], [code, args]].
 *
 * As the server's cdt.c cdt_context_dig does it, each context item selects
 * an element of the container reached so far (list index, rank or value;
 * map index, rank, key or value); the op then runs on the last element with
 * the plain op's code (cdt.c td_cdt_op_on) and the changed element is
 * written back into each parent, the bin last. Values are decoded into the
 * op's arena and may be shared, so every parent on the path gets a new item
 * array rather than a change in place.
 *
 * Create flags on a list index or map key item (0x40, 0x80, 0xc0, cdt.c
 * cdt_context_fill_create) make a missing element, and every container
 * under it, with the order and nil padding the flags give; the element the
 * last item selects is made by the op itself.
 */
#include "cdt_ctx.h"

#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "cdt_map.h"
#include "proto/msgpack.h"
#include "proto/particle.h"

/* Context item type ids (proto.h AS_CDT_CTX_*). */
#define CTX_BASE_MASK 0x0f /* index 0, rank 1, key 2, value 3 */
#define CTX_LIST 0x10
#define CTX_MAP 0x20
#define CTX_TYPE_MASK 0x3f
#define CTX_CREATE_MASK 0x1c0
#define CTX_CREATE_UNORDERED 0x40
#define CTX_CREATE_UNBOUND 0x80 /* lists: nil padding up to the index */
#define CTX_CREATE_ORDERED 0xc0 /* lists: ordered; maps: key-value ordered */
#define CTX_CREATE_K_ORDERED 0x80
#define CTX_CREATE_PERSIST 0x100
enum { BY_INDEX = 0, BY_RANK = 1, BY_KEY = 2, BY_VALUE = 3 };

/* A nil padding longer than this is refused rather than built. */
#define MAX_CTX_PAD 100000

typedef struct ctx_item {
    uint64_t type;
    const aw_value *value;
} ctx_item;

/* One step of the path: the container and the slot of the element taken
 * from it (a list index, or a map entry number in stored order). */
typedef struct ctx_level {
    aw_value coll;
    uint32_t at;
} ctx_level;

/* How the dig ended at one item: found, to be made, not there (26), a case
 * the server's answer to is not known (16), or to be made in a way aw-testd
 * does not serve (16; a read is 26, as reads create nothing). */
typedef enum { FOUND, CREATE, FAIL, UNSERVED, CREATE_UNSERVED } ctx_step;

static aw_value *new_items(aw_arena *a, size_t n) {
    return aw_arena_alloc(a, (n ? n : 1) * sizeof(aw_value));
}

static uint16_t create_flags(const ctx_item *it) { return (uint16_t)(it->type & CTX_CREATE_MASK); }

/* cdt.c cdt_context_dig: create flags count unless they are only PERSIST. */
static bool create_on(const ctx_item *it) {
    return (create_flags(it) & ~CTX_CREATE_PERSIST) != 0;
}

/* cdt.c cdt_context_ctx_create_type_check: an item of neither kind (the
 * "auto" types) may not carry create flags. */
static bool type_ok(const ctx_item *it) {
    uint64_t base = it->type & CTX_BASE_MASK;
    bool kind = (it->type & (CTX_LIST | CTX_MAP)) != 0;
    return base <= BY_VALUE && (kind || create_flags(it) == 0);
}

/* ---- one context item on an existing container ---- */

/* particle_list.c list_subcontext_by_index: an index outside the list makes
 * a new element with create flags when it is at the end (-1 of an empty
 * list), anywhere past it for an ordered list (appended) or with nil
 * padding (0x80) up to it; *pad = the nils to add. */
static ctx_step list_by_index(const aw_value *list, const ctx_item *it, uint32_t *at,
                              uint32_t *pad) {
    if (it->value->type != AW_INT)
        return FAIL;
    int64_t index = it->value->u.i;
    uint32_t n = list->len;
    *pad = 0;
    if (td_cdt_resolve_index(index, n, at))
        return FOUND;
    if (!create_on(it))
        return FAIL;
    *at = n;
    if ((n == 0 && index == -1) || index == (int64_t)n)
        return CREATE;
    bool ordered = (list->subtype & TD_LIST_ORDERED) != 0;
    if (!ordered && create_flags(it) != CTX_CREATE_UNBOUND)
        return FAIL;
    /* Below -1 the server goes on to cdt_context_fill_create, which stops
     * CE 8.1.2.0 ("invalid context index"): no answer to copy. */
    if (index < -1)
        return CREATE_UNSERVED;
    if (!ordered)
        *pad = (uint32_t)((uint64_t)index - n);
    return CREATE;
}

static ctx_step select_in_list(const aw_value *list, const ctx_item *it, uint32_t *at,
                               uint32_t *pad, aw_arena *a) {
    bool ordered = (list->subtype & TD_LIST_ORDERED) != 0;
    switch (it->type & CTX_BASE_MASK) {
    case BY_RANK: /* particle_list.c list_subcontext_by_rank */
        if (ordered) { /* ranks are indexes, create flags included */
            ctx_step s = list_by_index(list, it, at, pad);
            /* But cdt_context_fill_create then reads a rank item's value as
             * the next item's type: not served. */
            return s == CREATE ? CREATE_UNSERVED : s;
        }
        if (it->value->type != AW_INT || !td_cdt_resolve_index(it->value->u.i, list->len, at))
            return FAIL;
        *at = td_list_index_at_rank(list, *at, a);
        return *at == UINT32_MAX ? FAIL : FOUND;
    case BY_VALUE: /* list_subcontext_by_value: the first equal in index order */
        for (uint32_t i = 0; i < list->len; i++)
            if (td_list_value_cmp(&list->u.items[i], it->value) == 0) {
                *at = i;
                return FOUND;
            }
        return FAIL;
    case BY_KEY: /* list_subcontext_by_key: "not supported" */
        return FAIL;
    default:
        return list_by_index(list, it, at, pad);
    }
}

static ctx_step select_in_map(const aw_value *map, const ctx_item *it, uint32_t *at) {
    uint32_t pos;
    switch (it->type & CTX_BASE_MASK) {
    case BY_INDEX:
    case BY_RANK:
        if (it->value->type != AW_INT || !td_cdt_resolve_index(it->value->u.i, map->len, &pos))
            return FAIL;
        *at = td_map_entry_at(map, pos, (it->type & CTX_BASE_MASK) == BY_RANK);
        return FOUND;
    case BY_VALUE: /* map_subcontext_by_value: the first equal in stored order */
        for (uint32_t i = 0; i < map->len; i++)
            if (td_list_value_cmp(&map->u.items[2 * i + 1], it->value) == 0) {
                *at = i;
                return FOUND;
            }
        return FAIL;
    default: /* BY_KEY, map_subcontext_by_key */
        if (!td_cdt_storable(it->value))
            return UNSERVED; /* a wildcard key: how the server matches it is not known */
        int64_t found = td_map_find(map, it->value);
        if (found >= 0) {
            *at = (uint32_t)found;
            return FOUND;
        }
        if (!create_on(it))
            return FAIL;
        return td_map_key_ok(it->value) ? CREATE : CREATE_UNSERVED;
    }
}

/* ---- creating what is missing (cdt.c cdt_context_fill_create) ---- */

/* cdt.c cdt_context_ctx_type_create_sz: whether an item can build the
 * container it indexes (only a map key, or a list index of -1 or more; an
 * index above 0 needs padding or an ordered list). `top`: the item makes
 * the bin, where PERSIST may stand in for an order. AW_OK, 26, or 16 for
 * what the server would build but aw-testd does not. */
static int check_creatable(const ctx_item *it, bool top) {
    uint16_t cr = create_flags(it);
    if (!type_ok(it) || (!top && (cr & CTX_CREATE_PERSIST)))
        return AW_ERR_OP_NOT_APPLICABLE;
    switch (it->type & CTX_TYPE_MASK) {
    case CTX_MAP | BY_KEY:
        if (!td_cdt_storable(it->value))
            return AW_ERR_OP_NOT_APPLICABLE;
        return td_map_key_ok(it->value) ? AW_OK : AW_ERR_UNSUPPORTED_FEATURE;
    case CTX_LIST | BY_INDEX: {
        if (it->value->type != AW_INT || it->value->u.i < -1)
            return AW_ERR_OP_NOT_APPLICABLE;
        int64_t index = it->value->u.i;
        uint16_t order = cr & ~CTX_CREATE_PERSIST;
        if (order == CTX_CREATE_UNBOUND)
            return index > MAX_CTX_PAD ? AW_ERR_UNSUPPORTED_FEATURE : AW_OK;
        if (order == CTX_CREATE_ORDERED || (cr & CTX_CREATE_PERSIST))
            return AW_OK;
        return index > 0 ? AW_ERR_OP_NOT_APPLICABLE : AW_OK;
    }
    default:
        return AW_ERR_OP_NOT_APPLICABLE;
    }
}

/* The container item `it` indexes, made new around `child`: a one-key map
 * (order from the flags), or a list of `child` after the index's nils
 * (0x80) or ordered (0xc0). `top`: it is the bin, where PERSIST is kept
 * only where it changes nothing a client sees (an ordered list's or a
 * map's index; an unordered list's is 16, it crashes CE 8.1.2.0). */
static int wrap_new(const ctx_item *it, const aw_value *child, bool top, aw_value *out,
                    aw_arena *a) {
    uint16_t cr = create_flags(it), order = cr & ~CTX_CREATE_PERSIST;
    if ((it->type & CTX_TYPE_MASK) == (CTX_MAP | BY_KEY)) {
        aw_value *kv = new_items(a, 2);
        if (!kv)
            return AW_ERR_SERVER_FULL;
        kv[0] = *it->value;
        kv[1] = *child;
        *out = aw_value_map(kv, 1);
        out->subtype = order == CTX_CREATE_K_ORDERED ? TD_MAP_KEY_ORDERED
                       : order == CTX_CREATE_ORDERED ? TD_MAP_KV_ORDERED
                                                     : 0;
        return AW_OK;
    }
    if (top && (cr & CTX_CREATE_PERSIST) && order != CTX_CREATE_ORDERED)
        return AW_ERR_UNSUPPORTED_FEATURE;
    uint32_t pad = order == CTX_CREATE_UNBOUND && it->value->u.i > 0 ? (uint32_t)it->value->u.i : 0;
    aw_value *items = new_items(a, (size_t)pad + 1);
    if (!items)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < pad; i++)
        items[i] = aw_value_nil();
    items[pad] = *child;
    *out = aw_value_list(items, pad + 1);
    out->subtype = order == CTX_CREATE_ORDERED ? TD_LIST_ORDERED : 0;
    return AW_OK;
}

/* `child` added to the existing container where the item found nothing: a
 * new key in its place, or a list element at the end after `pad` nils (an
 * ordered list takes it where it sorts, cdt_context_unwind_list). */
static int insert_new(aw_value *coll, const ctx_item *it, uint32_t pad, const aw_value *child,
                      aw_arena *a) {
    if (coll->type == AW_LIST && (coll->subtype & TD_LIST_ORDERED)) {
        bool changed = false;
        return td_list_replace_ordered(coll, coll->len, child, 0, &changed, a);
    }
    uint32_t step = coll->type == AW_MAP ? 2 : 1, n = coll->len;
    uint32_t at = coll->type == AW_MAP ? td_map_insert_position(coll, it->value) : n;
    aw_value *items = new_items(a, (size_t)step * (n + pad + 1));
    if (!items)
        return AW_ERR_SERVER_FULL;
    if (n)
        memcpy(items, coll->u.items, (size_t)step * n * sizeof *items);
    memmove(items + step * (at + pad + 1), items + step * at,
            (size_t)step * (n - at) * sizeof *items);
    for (uint32_t i = 0; i < pad; i++)
        items[at + i] = aw_value_nil();
    if (step == 2) {
        items[2 * at] = *it->value;
        items[2 * at + 1] = *child;
    } else {
        items[at + pad] = *child;
    }
    coll->u.items = items;
    coll->len = n + pad + 1;
    return AW_OK;
}

/* `child` replaces the element at slot `at` of the container; in an
 * ordered list it moves to where it now sorts (cdt_context_unwind_list). */
static int replace_at(aw_value *coll, uint32_t at, const aw_value *child, aw_arena *a) {
    if (coll->type == AW_LIST && (coll->subtype & TD_LIST_ORDERED)) {
        bool changed = false;
        return td_list_replace_ordered(coll, at, child, 0, &changed, a);
    }
    uint32_t n = coll->type == AW_MAP ? 2 * coll->len : coll->len;
    aw_value *items = new_items(a, n);
    if (!items)
        return AW_ERR_SERVER_FULL;
    memcpy(items, coll->u.items, n * sizeof *items);
    items[coll->type == AW_MAP ? 2 * at + 1 : at] = *child;
    coll->u.items = items;
    return AW_OK;
}

/* ---- the op ---- */

typedef struct ctx_path {
    ctx_item *items;
    uint32_t n;
    ctx_level *levels; /* levels[i]: the container item i selects in */
    int32_t create_at; /* the item where creation starts, -1 for none */
    uint32_t pad;      /* nils before the element created at create_at */
    aw_value target;   /* the element the last item selects */
} ctx_path;

/* cdt.c cdt_context_dig over the items; `bin` NULL when the bin is missing
 * (a modify op then needs create flags from the first item). */
static int dig(ctx_path *p, const aw_value *bin, bool modify, aw_arena *a) {
    p->create_at = -1;
    p->pad = 0;
    aw_value cur = bin ? *bin : aw_value_nil();
    uint32_t i = 0;
    for (; i < p->n; i++) {
        const ctx_item *it = &p->items[i];
        if (!type_ok(it))
            return AW_ERR_OP_NOT_APPLICABLE;
        if (!bin) {
            if (!create_on(it))
                return AW_ERR_OP_NOT_APPLICABLE; /* nothing to dig in, nothing to make */
            int rc = check_creatable(it, true);
            if (rc != AW_OK)
                return rc;
            p->create_at = 0;
            break;
        }
        if (cur.type != AW_LIST && cur.type != AW_MAP)
            return AW_ERR_OP_NOT_APPLICABLE; /* a scalar on the way */
        if (it->type & (cur.type == AW_LIST ? CTX_MAP : CTX_LIST))
            return AW_ERR_OP_NOT_APPLICABLE; /* an item of the other kind */
        uint32_t at = UINT32_MAX, pad = 0;
        ctx_step s = cur.type == AW_LIST ? select_in_list(&cur, it, &at, &pad, a)
                                         : select_in_map(&cur, it, &at);
        if (s == FAIL || (s == CREATE_UNSERVED && !modify))
            return AW_ERR_OP_NOT_APPLICABLE;
        if (s == UNSERVED || s == CREATE_UNSERVED)
            return AW_ERR_UNSUPPORTED_FEATURE;
        p->levels[i] = (ctx_level){.coll = cur, .at = at};
        if (s == CREATE) {
            if (pad > MAX_CTX_PAD)
                return AW_ERR_UNSUPPORTED_FEATURE;
            p->create_at = (int32_t)i;
            p->pad = pad;
            break;
        }
        cur = cur.type == AW_LIST ? cur.u.items[at] : cur.u.items[2 * at + 1];
    }
    p->target = cur;
    if (p->create_at < 0)
        return AW_OK;
    if (!modify)
        return AW_ERR_OP_NOT_APPLICABLE; /* a read creates nothing */
    for (uint32_t j = (uint32_t)p->create_at + 1; j < p->n; j++) {
        int rc = check_creatable(&p->items[j], false);
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}

/* The changed target written back up the path into a new bin value. */
static int unwind(const ctx_path *p, bool bin_missing, aw_value *coll, aw_arena *a) {
    aw_value child = *coll;
    int32_t j = (int32_t)p->n - 1;
    int rc = AW_OK;
    if (p->create_at >= 0) {
        for (; j > p->create_at && rc == AW_OK; j--)
            rc = wrap_new(&p->items[j], &child, false, &child, a);
        if (rc != AW_OK)
            return rc;
        if (bin_missing) {
            rc = wrap_new(&p->items[0], &child, true, &child, a);
        } else {
            aw_value parent = p->levels[j].coll;
            rc = insert_new(&parent, &p->items[j], p->pad, &child, a);
            child = parent;
        }
        j--;
    }
    for (; j >= 0 && rc == AW_OK; j--) {
        aw_value parent = p->levels[j].coll;
        rc = replace_at(&parent, p->levels[j].at, &child, a);
        child = parent;
    }
    *coll = child;
    return rc;
}

static int parse_items(const aw_value *ctx, ctx_path *p, aw_arena *a) {
    if (ctx->type != AW_LIST || ctx->len == 0 || (ctx->len & 1))
        return AW_ERR_REQUEST_INVALID; /* cdt_context_dig: bad param count */
    p->n = ctx->len / 2;
    p->items = aw_arena_alloc(a, p->n * sizeof *p->items);
    p->levels = aw_arena_alloc(a, p->n * sizeof *p->levels);
    if (!p->items || !p->levels)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < p->n; i++) {
        const aw_value *t = &ctx->u.items[2 * i];
        if (t->type != AW_INT || t->u.i < 0)
            return AW_ERR_REQUEST_INVALID; /* the type must be an unsigned int */
        p->items[i] = (ctx_item){.type = (uint64_t)t->u.i, .value = &ctx->u.items[2 * i + 1]};
    }
    return AW_OK;
}

int td_cdt_ctx_apply(td_record *w, const aw_op_view *op, const aw_value *wrapped, bool modify,
                     aw_value *result, aw_arena *arena) {
    if (wrapped->len != 3) /* cdt_process_state_context_eval: [ctx, op] */
        return AW_ERR_REQUEST_INVALID;
    td_bin *b = td_bin_find(w, op->name, op->name_len);
    if (!b && !modify)
        return AW_OK; /* reading a missing bin returns nothing */
    aw_value bin;
    if (b) {
        if (b->ptype != AW_PT_LIST && b->ptype != AW_PT_MAP)
            return AW_ERR_REQUEST_INVALID; /* cdt_context_dig: not a list or map */
        size_t used;
        if (aw_msgpack_read(b->data, b->len, &bin, arena, &used, NULL) != AW_OK)
            return AW_ERR_SERVER;
    }
    ctx_path p;
    int rc = parse_items(&wrapped->u.items[1], &p, arena);
    if (rc == AW_OK)
        rc = dig(&p, b ? &bin : NULL, modify, arena);
    if (rc != AW_OK)
        return rc;
    cdt_call c;
    rc = td_cdt_call_of(&wrapped->u.items[2], &c);
    if (rc != AW_OK)
        return rc;
    bool list = td_cdt_is_list_code(c.code);
    bool created = p.create_at >= 0;
    aw_value target = p.target;
    if (created) {
        if (td_cdt_removes_only(c.code))
            return AW_OK; /* nothing there to take away: no-op, nothing made */
        if (c.code == AW_LIST_SORT)
            return AW_ERR_UNSUPPORTED_FEATURE; /* sort of a list it makes: not served */
        target = list ? aw_value_list(NULL, 0) : aw_value_map(NULL, 0);
    } else if (target.type != (list ? AW_LIST : AW_MAP)) {
        return AW_ERR_BIN_INCOMPATIBLE_TYPE; /* the op's kind of container is not there */
    }
    if (td_cdt_wrong_op_type(c.code, modify))
        return AW_ERR_REQUEST_INVALID;
    bool changed = false;
    rc = td_cdt_op_on(&target, &c, created, &changed, result, arena);
    if (rc != AW_OK)
        return rc;
    if (created && !list)
        changed = true; /* a map op leaves the map it makes, as on a bin */
    if (!changed)
        return AW_OK;
    rc = unwind(&p, b == NULL, &target, arena);
    return rc == AW_OK ? td_cdt_store(w, op, &target) : rc;
}
