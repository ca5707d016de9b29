/*
 * aw-testd: select and modify by path (CDT op 0xfe), walking the bin's
 * decoded value as the server's cdt.c cdt_select_list / cdt_select_map
 * walk its msgpack.
 *
 * Each path level picks children of the containers reached so far (by
 * index, rank, key, value, key list, or every child an expression passes,
 * optionally ANDed with a second expression); the children picked at the
 * last level are the leaves. A select answers the matching tree (every
 * picked child kept in its place, scalars met above the last level
 * included), or a list of the leaves' values, keys or both. A modify
 * (apply) replaces each leaf by its expression's value, or removes it
 * (result_remove); an ordered list it went through is sorted again.
 *
 * Expressions see the loop variables of their level (a list element's
 * index and value, a map entry's key and value) and no record.
 */
#include "cdt_path.h"

#include <string.h>

#include "aerowire/error.h"
#include "cdt.h"
#include "cdt_ctx.h"
#include "cdt_list.h"
#include "cdt_map.h"
#include "cdt_path_internal.h"
#include "proto/msgpack.h"
#include "proto/particle.h"

/* A growing array of values in the arena. */
typedef struct vals {
    aw_value *v;
    uint32_t n, cap;
} vals;

typedef struct walk {
    path_parse *pp;
    aw_arena *a;
    vals leaves; /* the leaf select types' answer */
} walk;

static int push(vals *out, const aw_value *v, aw_arena *a) {
    if (out->n == out->cap) {
        uint32_t cap = out->cap ? 2 * out->cap : 8;
        aw_value *nv = aw_arena_alloc(a, cap * sizeof *nv);
        if (!nv)
            return AW_ERR_SERVER_FULL;
        if (out->n)
            memcpy(nv, out->v, out->n * sizeof *nv);
        out->v = nv;
        out->cap = cap;
    }
    out->v[out->n++] = *v;
    return AW_OK;
}

static bool is_cdt(const aw_value *v) { return v->type == AW_LIST || v->type == AW_MAP; }
static bool no_fail(const walk *w) { return (w->pp->flags & PATH_NO_FAIL) != 0; }
static bool is_leaf(const walk *w, uint32_t level) { return level + 1 == w->pp->n_levels; }

/* Tri-state of as_exp_matches_metadata: a boolean's value, false for any
 * other type, unknown when the expression is. */
typedef enum { T_FALSE, T_TRUE, T_UNK } tri;

static int matches(const td_exp *e, const td_exp_loop *loop, aw_arena *a, tri *t) {
    aw_value r;
    bool unk, remove;
    int rc = td_exp_eval_path(e, loop, &r, &unk, &remove, a);
    if (rc != AW_OK)
        return rc;
    *t = unk ? T_UNK : (!remove && r.type == AW_BOOL && r.u.b) ? T_TRUE : T_FALSE;
    return AW_OK;
}

/* cdt_select_modify: the leaf replaced by the modify expression's value
 * (*keep false: removed). Unknown is 1 (AS_ERR_UNKNOWN), or with NO_FAIL
 * the leaf as it was. */
static int modify_leaf(walk *w, const td_exp_loop *loop, aw_value *leaf, bool *keep) {
    aw_value r;
    bool unk, remove;
    *keep = true;
    int rc = td_exp_eval_path(w->pp->modify, loop, &r, &unk, &remove, w->a);
    if (rc != AW_OK)
        return rc;
    if (unk)
        return no_fail(w) ? AW_OK : AW_ERR_SERVER;
    if (remove) {
        *keep = false;
        return AW_OK;
    }
    /* The server stores a wildcard or infinity inside a value it is given;
     * aw-testd keeps no such values. */
    if (!td_cdt_storable(&r))
        return AW_ERR_UNSUPPORTED_FEATURE;
    *leaf = r;
    return AW_OK;
}

static int walk_level(walk *w, const aw_value *c, uint32_t level, bool tail, aw_value *out);

/* include_list_entry / include_map_entry for one picked child. `slot` is
 * the child's value in the container being built (TREE, APPLY), `key` the
 * map key (NULL in a list), `tail` whether it ends the bin's bytes (see
 * walk_list). *keep false: the child is dropped (APPLY's remove). */
static int include(walk *w, uint32_t level, const td_exp_loop *loop, const aw_value *key,
                   aw_value *slot, bool tail, bool *keep) {
    unsigned type = w->pp->type;
    bool leaf = is_leaf(w, level);
    *keep = true;
    if (!leaf && is_cdt(slot)) {
        aw_value sub;
        int rc = walk_level(w, slot, level + 1, tail, &sub);
        if (rc == AW_OK && (type == PATH_TREE || type == PATH_APPLY))
            *slot = sub;
        return rc;
    }
    if (!leaf)
        return AW_OK; /* a scalar above the leaves: only the tree keeps it */
    if (type == PATH_APPLY)
        return modify_leaf(w, loop, slot, keep);
    int rc = AW_OK;
    if (key && (type & PATH_LEAF_KEY))
        rc = push(&w->leaves, key, w->a);
    if (rc == AW_OK && (type & PATH_LEAF_VALUE))
        rc = push(&w->leaves, slot, w->a);
    return rc;
}

/* The element of an unordered list (values) or a map (entry values, step
 * 2) at value rank `rank`. Among equal values the server's quickselect
 * (cdt.c order_index_select) picks one aw-testd does not model: 16. */
static int at_rank(const aw_value *items, uint32_t n, uint32_t step, uint32_t rank,
                   uint32_t *at) {
    for (uint32_t i = 0; i < n; i++) {
        uint32_t less = 0, equal = 0;
        for (uint32_t j = 0; j < n; j++) {
            int c = td_list_value_cmp(&items[step * j], &items[step * i]);
            less += c < 0;
            equal += c == 0;
        }
        if (rank >= less && rank < less + equal) {
            *at = i;
            return equal > 1 ? AW_ERR_UNSUPPORTED_FEATURE : AW_OK;
        }
    }
    return AW_ERR_SERVER; /* not reached: some element has every rank */
}

/* The map entry at key index `index` (every map indexes by key order). */
static uint32_t at_key_index(const aw_value *m, uint32_t index) {
    uint32_t at = 0;
    at_rank(m->u.items, m->len, 2, index, &at); /* keys are unique */
    return at;
}

/* Whether a picked child passes the level's AND expression (none: yes). */
static int and_passes(const path_level *l, const td_exp_loop *loop, aw_arena *a, tri *t) {
    *t = T_TRUE;
    return l->and_exp ? matches(l->and_exp, loop, a, t) : AW_OK;
}

/* Jumps: by rank in a list, and by index or rank in a map, the server sets its
 * cursor past the picked child to the end of the bin's bytes, not of the
 * container (cdt_select_list / cdt_select_map: content_sz = buf_sz -
 * start_off). That is right only when the container ends the bin (`tail`);
 * elsewhere whatever it reads next is past the end, and CE 8.1.2.0 answers
 * 1 or 4 by what comes next. Not modelled: 16. */

/* ---- lists (cdt_select_list) ---- */

static int list_test(walk *w, const path_level *l, const aw_value *e, const td_exp_loop *loop,
                     tri *t) {
    switch (l->type & 0x0f) {
    case PATH_EXP:
        *t = T_TRUE;
        return l->exp ? matches(l->exp, loop, w->a, t) : AW_OK;
    case PATH_VALUE:
        *t = td_list_value_cmp(e, &l->value) == 0 ? T_TRUE : T_FALSE;
        return AW_OK;
    default: /* a key or key list in a list */
        *t = T_UNK;
        return AW_OK;
    }
}

static int walk_list(walk *w, const aw_value *list, uint32_t level, bool tail, aw_value *out) {
    const path_level *l = &w->pp->levels[level];
    unsigned type = w->pp->type;
    bool ordered = (list->subtype & TD_LIST_ORDERED) != 0;
    *out = *list; /* an empty one, as it is (an ordered one keeps its flag) */
    if (list->len == 0 && !ordered)
        return AW_OK;
    if (is_leaf(w, level) && (type & PATH_LEAF_KEY))
        return no_fail(w) ? AW_OK : AW_ERR_BIN_INCOMPATIBLE_TYPE; /* no keys in a list */
    if (list->len == 0)
        return AW_OK;
    if ((l->type & 0x30) != 0 && (l->type & 0x30) != 0x10)
        return AW_ERR_REQUEST_INVALID; /* a map item */
    uint32_t n = list->len;
    aw_value *items = aw_arena_alloc(w->a, n * sizeof *items);
    if (!items)
        return AW_ERR_SERVER_FULL;
    memcpy(items, list->u.items, n * sizeof *items);
    bool *picked = aw_arena_alloc(w->a, n * sizeof *picked);
    if (!picked)
        return AW_ERR_SERVER_FULL;
    memset(picked, 0, n * sizeof *picked);
    bool *kept = aw_arena_alloc(w->a, n * sizeof *kept);
    if (!kept)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < n; i++)
        kept[i] = true;
    uint32_t base = l->type & 0x0f, first = 0, last = n;
    if (base == PATH_INDEX || base == PATH_RANK) {
        uint32_t at = 0;
        if (!td_cdt_resolve_index(l->index, n, &at)) {
            last = 0; /* out of range: nothing */
        } else if (base == PATH_RANK && !ordered) {
            int rc = at_rank(list->u.items, n, 1, at, &at);
            if (rc != AW_OK)
                return rc;
        }
        first = at;
        last = last ? at + 1 : 0;
    }
    for (uint32_t i = first; i < last; i++) {
        aw_value index = aw_value_int(i);
        td_exp_loop loop = {.value = &list->u.items[i], .index = &index};
        tri t = T_TRUE;
        int rc = AW_OK;
        if (base != PATH_INDEX && base != PATH_RANK)
            rc = list_test(w, l, &list->u.items[i], &loop, &t);
        if (rc == AW_OK && t == T_TRUE)
            rc = and_passes(l, &loop, w->a, &t);
        if (rc != AW_OK)
            return rc;
        /* An unknown by index or rank just leaves the child out. */
        if (t == T_UNK && base != PATH_INDEX && base != PATH_RANK && !no_fail(w))
            return AW_ERR_REQUEST_INVALID;
        if (t != T_TRUE)
            continue;
        picked[i] = true;
        /* A child ends the bin when the list does and it is its last, or
         * the list jumps to the end after it anyway (by rank). */
        bool child_tail = tail && (base == PATH_RANK || i + 1 == n);
        rc = include(w, level, &loop, NULL, &items[i], child_tail, &kept[i]);
        if (rc != AW_OK)
            return rc;
    }
    if (base == PATH_RANK && last > first && !tail) /* the jump past the end */
        return AW_ERR_UNSUPPORTED_FEATURE;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (type == PATH_TREE ? picked[i] : kept[i])
            items[k++] = items[i];
    *out = aw_value_list(items, k);
    if (type == PATH_APPLY) {
        out->subtype = list->subtype;
        if (ordered) /* list_buf_check_and_order: changed elements move */
            for (uint32_t i = 1; i < k; i++)
                for (uint32_t j = i; j > 0 && td_list_value_cmp(&items[j - 1], &items[j]) > 0;
                     j--) {
                    aw_value tmp = items[j];
                    items[j] = items[j - 1];
                    items[j - 1] = tmp;
                }
    }
    return AW_OK;
}

/* ---- maps (cdt_select_map) ---- */

/* A key list item: the list it must be (list_buf_init_allidx), in order
 * when it says it is ordered. */
static bool key_list_ok(const aw_value *keys) {
    if (keys->type != AW_LIST)
        return false;
    if (keys->subtype & TD_LIST_ORDERED)
        for (uint32_t i = 1; i < keys->len; i++)
            if (td_list_value_cmp(&keys->u.items[i - 1], &keys->u.items[i]) > 0)
                return false;
    return true;
}

static tri in_key_list(const aw_value *keys, const aw_value *key) {
    for (uint32_t i = 0; i < keys->len; i++)
        if (td_list_value_cmp(&keys->u.items[i], key) == 0)
            return T_TRUE;
    return T_FALSE;
}

static int map_test(walk *w, const path_level *l, const aw_value *k, const aw_value *v,
                    const td_exp_loop *loop, tri *t) {
    switch (l->type & 0x0f) {
    case PATH_EXP:
        *t = T_TRUE;
        return l->exp ? matches(l->exp, loop, w->a, t) : AW_OK;
    case PATH_KEY:
        *t = td_list_value_cmp(k, &l->value) == 0 ? T_TRUE : T_FALSE;
        return AW_OK;
    case PATH_VALUE:
        *t = td_list_value_cmp(v, &l->value) == 0 ? T_TRUE : T_FALSE;
        return AW_OK;
    default: /* PATH_KEY_LIST */
        *t = in_key_list(&l->value, k);
        return AW_OK;
    }
}

static int walk_map(walk *w, const aw_value *map, uint32_t level, bool tail, aw_value *out) {
    const path_level *l = &w->pp->levels[level];
    unsigned type = w->pp->type;
    *out = *map; /* an empty one, as it is */
    if (map->len == 0)
        return AW_OK;
    if ((l->type & 0xf0) != 0 && (l->type & 0xf0) != 0x20)
        return AW_ERR_REQUEST_INVALID; /* a list item, or create flags */
    uint32_t n = map->len, base = l->type & 0x0f, first = 0, last = n;
    if (base == PATH_KEY_LIST && !key_list_ok(&l->value))
        return AW_ERR_REQUEST_INVALID; /* "invalid key list", "key list not ordered" */
    aw_value *items = aw_arena_alloc(w->a, 2 * n * sizeof *items);
    bool *picked = aw_arena_alloc(w->a, n * sizeof *picked);
    bool *kept = aw_arena_alloc(w->a, n * sizeof *kept);
    if (!items || !picked || !kept)
        return AW_ERR_SERVER_FULL;
    memcpy(items, map->u.items, 2 * n * sizeof *items);
    memset(picked, 0, n * sizeof *picked);
    for (uint32_t i = 0; i < n; i++)
        kept[i] = true;
    if (base == PATH_INDEX || base == PATH_RANK) {
        uint32_t at = 0;
        if (!td_cdt_resolve_index(l->index, n, &at)) {
            last = 0;
        } else if (base == PATH_INDEX) {
            at = at_key_index(map, at);
        } else {
            int rc = at_rank(map->u.items + 1, n, 2, at, &at);
            if (rc != AW_OK)
                return rc;
        }
        first = at;
        last = last ? at + 1 : 0;
    }
    bool found = false; /* by key: the first equal key ends the search */
    for (uint32_t i = first; i < last && !found; i++) {
        const aw_value *k = &map->u.items[2 * i], *v = &map->u.items[2 * i + 1];
        td_exp_loop loop = {.key = k, .value = v};
        tri t = T_TRUE;
        int rc = AW_OK;
        if (base != PATH_INDEX && base != PATH_RANK)
            rc = map_test(w, l, k, v, &loop, &t);
        found = base == PATH_KEY && t == T_TRUE;
        if (rc == AW_OK && t == T_TRUE)
            rc = and_passes(l, &loop, w->a, &t);
        if (rc != AW_OK)
            return rc;
        if (t == T_UNK && base != PATH_INDEX && base != PATH_RANK && !no_fail(w))
            return AW_ERR_REQUEST_INVALID;
        if (t != T_TRUE)
            continue;
        /* By index or rank, the server reads the entry after its AND
         * expression has moved the key and value cursors past it
         * (cdt_select_map does not reset them there): CE 8.1.2.0 answers
         * the value as the key and bytes beyond it. Not copied. */
        if (l->and_exp && (base == PATH_INDEX || base == PATH_RANK))
            return AW_ERR_UNSUPPORTED_FEATURE;
        picked[i] = true;
        bool jumps = base == PATH_INDEX || base == PATH_RANK;
        rc = include(w, level, &loop, k, &items[2 * i + 1], tail && (jumps || i + 1 == n),
                     &kept[i]);
        if (rc != AW_OK)
            return rc;
    }
    if ((base == PATH_INDEX || base == PATH_RANK) && last > first && !tail)
        return AW_ERR_UNSUPPORTED_FEATURE;
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (type == PATH_TREE ? picked[i] : kept[i]) {
            items[2 * m] = items[2 * i];
            items[2 * m + 1] = items[2 * i + 1];
            m++;
        }
    *out = aw_value_map(items, m);
    if (type == PATH_APPLY)
        out->subtype = map->subtype;
    return AW_OK;
}

static int walk_level(walk *w, const aw_value *c, uint32_t level, bool tail, aw_value *out) {
    return c->type == AW_LIST ? walk_list(w, c, level, tail, out)
                              : walk_map(w, c, level, tail, out);
}

/* ---- the op ---- */

int td_cdt_path_apply(td_record *rec, const aw_op_view *op, bool modify, aw_value *result,
                      aw_arena *arena) {
    *result = aw_value_nil();
    td_bin *b = td_bin_find(rec, op->name, op->name_len);
    if (!b) /* a read finds nothing; a modify has no list or map to change */
        return modify ? AW_ERR_BIN_INCOMPATIBLE_TYPE : AW_OK;
    if (b->ptype != AW_PT_LIST && b->ptype != AW_PT_MAP)
        return AW_ERR_BIN_INCOMPATIBLE_TYPE;
    path_parse pp = {.arena = arena};
    int rc = op->particle == AW_PT_BLOB
                 ? td_path_parse(op->value, op->value_len, modify, &pp)
                 : AW_ERR_REQUEST_INVALID;
    aw_value bin, out;
    size_t used;
    if (rc == AW_OK && aw_msgpack_read(b->data, b->len, &bin, arena, &used, NULL) != AW_OK)
        rc = AW_ERR_SERVER;
    walk w = {.pp = &pp, .a = arena};
    if (rc == AW_OK)
        rc = walk_level(&w, &bin, 0, true, &out);
    td_path_parse_free(&pp);
    if (rc != AW_OK)
        return rc;
    if (pp.type == PATH_APPLY)
        return td_cdt_store(rec, op, &out);
    if (pp.type == PATH_TREE)
        *result = out;
    else
        *result = aw_value_list(w.leaves.v, w.leaves.n);
    return AW_OK;
}
