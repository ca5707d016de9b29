/*
 * aw-testd: map ops that select entries by key, key interval, key list,
 * key-relative index range, value, value interval, value list,
 * value-relative rank range, index, index range, rank and rank range (get
 * and remove), on unordered and key-ordered maps.
 *
 * Each op follows the code path the real server takes for it (particle_map.c
 * packed_map_get_remove_by_*: the same selection is answered by a run of
 * indexes, a mask walked in stored order or a list of entries in key or
 * rank order, depending on the op, the map's order and the return type),
 * because the order of a result's elements and a few answers (EXISTS with
 * INVERTED, RANK of a whole-map selection) differ between those paths. A
 * map's index is its key order; its rank order is by value, ties by key
 * (packed_map_compare_values). Values compare as td_list_value_cmp.
 */
#include "cdt_map.h"

#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"

/* Return types (proto.h result_type_t) and the INVERTED flag. */
#define RT_INVERTED 0x10000
enum {
    RT_NONE = 0, RT_INDEX = 1, RT_REVERSE_INDEX = 2, RT_RANK = 3, RT_REVERSE_RANK = 4,
    RT_COUNT = 5, RT_KEY = 6, RT_VALUE = 7, RT_KEY_VALUE = 8, RT_INDEX_RANGE = 9,
    RT_REVERSE_INDEX_RANGE = 10, RT_RANK_RANGE = 11, RT_REVERSE_RANK_RANGE = 12,
    RT_EXISTS = 13, RT_UNORDERED_MAP = 16, RT_ORDERED_MAP = 17,
};
/* An empty key or value list with INVERTED and a return type of keys,
 * values or entries: CE 8.1.2.0 crashes on it (packed_map_get_remove_all
 * reads an offset index that was never set up), so there is no answer to
 * copy. */
#define EMPTY_LIST_INVERTED_ELEMENTS AW_ERR_UNSUPPORTED_FEATURE

/* The ext of a KEY_VALUE result map (cdt-bit-hll.md 2.1). */
#define MAP_PRESERVE_ORDER 0x08

/* One select op on one map. */
typedef struct msel {
    aw_value *map;
    uint32_t n;
    int64_t rt; /* the return type, INVERTED aside */
    bool inverted, multi, modify;
    uint32_t *key_order;  /* stored positions in key order */
    uint32_t *rank_order; /* stored positions in rank order */
    uint32_t *key_index;  /* stored position -> index */
    uint32_t *rank;       /* stored position -> rank */
    uint8_t *mask;        /* stored position -> selected */
    bool *changed;
    aw_value *res;
    aw_arena *a;
} msel;

static bool is_map_rt(int64_t rt) {
    return rt == RT_KEY_VALUE || rt == RT_UNORDERED_MAP || rt == RT_ORDERED_MAP;
}
static bool is_elements(int64_t rt) { return rt == RT_KEY || rt == RT_VALUE || is_map_rt(rt); }
static bool is_index(int64_t rt) { return rt == RT_INDEX || rt == RT_REVERSE_INDEX; }
static bool is_rank(int64_t rt) { return rt == RT_RANK || rt == RT_REVERSE_RANK; }
static bool is_rev(int64_t rt) { return rt == RT_REVERSE_INDEX || rt == RT_REVERSE_RANK; }
static bool is_index_range(int64_t rt) {
    return rt == RT_INDEX_RANGE || rt == RT_REVERSE_INDEX_RANGE;
}
static bool is_rank_range(int64_t rt) {
    return rt == RT_RANK_RANGE || rt == RT_REVERSE_RANK_RANGE;
}

static const aw_value *key_at(const msel *s, uint32_t pos) { return &s->map->u.items[2 * pos]; }
static const aw_value *value_at(const msel *s, uint32_t pos) {
    return &s->map->u.items[2 * pos + 1];
}

/* packed_map_compare_values: by value, ties by key. */
static int rank_cmp(const msel *s, uint32_t x, uint32_t y) {
    int c = td_list_value_cmp(value_at(s, x), value_at(s, y));
    return c ? c : td_list_value_cmp(key_at(s, x), key_at(s, y));
}

static int key_cmp(const msel *s, uint32_t x, uint32_t y) {
    return td_list_value_cmp(key_at(s, x), key_at(s, y));
}

uint32_t td_map_entry_at(const aw_value *map, uint32_t place, bool by_rank) {
    msel s = {.map = (aw_value *)map, .n = map->len};
    int (*cmp)(const msel *, uint32_t, uint32_t) = by_rank ? rank_cmp : key_cmp;
    for (uint32_t i = 0; i < s.n; i++) {
        uint32_t before = 0;
        for (uint32_t j = 0; j < s.n; j++)
            before += cmp(&s, j, i) < 0;
        if (before == place)
            return i;
    }
    return 0; /* keys are unique, so both orders are total: not reached */
}

/* Stored positions sorted by cmp (insertion sort: maps are small), and the
 * inverse (position -> place). */
static void sort_positions(const msel *s, int (*cmp)(const msel *, uint32_t, uint32_t),
                           uint32_t *order, uint32_t *place) {
    for (uint32_t i = 0; i < s->n; i++) {
        uint32_t j = i;
        for (; j > 0 && cmp(s, order[j - 1], i) > 0; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (uint32_t i = 0; i < s->n; i++)
        place[order[i]] = i;
}

static int msel_init(msel *s, aw_value *map, int64_t rtype, bool multi, bool modify,
                     bool *changed, aw_value *res, aw_arena *a) {
    *s = (msel){.map = map, .n = map->len, .rt = rtype & 0xffff,
                .inverted = (rtype & RT_INVERTED) != 0, .multi = multi, .modify = modify,
                .changed = changed, .res = res, .a = a};
    size_t n = s->n ? s->n : 1;
    s->key_order = aw_arena_alloc(a, 4 * n * sizeof(uint32_t));
    s->mask = aw_arena_alloc(a, n);
    if (!s->key_order || !s->mask)
        return AW_ERR_SERVER_FULL;
    s->rank_order = s->key_order + n;
    s->key_index = s->rank_order + n;
    s->rank = s->key_index + n;
    memset(s->mask, 0, n);
    sort_positions(s, key_cmp, s->key_order, s->key_index);
    sort_positions(s, rank_cmp, s->rank_order, s->rank);
    return AW_OK;
}

/* How many keys (values) are less than v: where v is, or would be, in key
 * (value) order. */
static uint32_t keys_below(const msel *s, const aw_value *v) {
    uint32_t below = 0;
    for (uint32_t i = 0; i < s->n; i++)
        below += td_list_value_cmp(key_at(s, i), v) < 0;
    return below;
}

static uint32_t values_below(const msel *s, const aw_value *v) {
    uint32_t below = 0;
    for (uint32_t i = 0; i < s->n; i++)
        below += td_list_value_cmp(value_at(s, i), v) < 0;
    return below;
}

static aw_value *new_items(const msel *s, uint32_t n) {
    return aw_arena_alloc(s->a, (n ? n : 1) * sizeof(aw_value));
}

static int int_pair(msel *s, int64_t x, int64_t y) {
    aw_value *two = new_items(s, 2);
    if (!two)
        return AW_ERR_SERVER_FULL;
    two[0] = aw_value_int(x);
    two[1] = aw_value_int(y);
    *s->res = aw_value_list(two, 2);
    return AW_OK;
}

static int empty_map(msel *s) {
    *s->res = aw_value_map(NULL, 0);
    s->res->subtype = s->rt == RT_KEY_VALUE ? MAP_PRESERVE_ORDER
                      : s->rt == RT_ORDERED_MAP ? TD_MAP_KEY_ORDERED
                                                : 0;
    return AW_OK;
}

/* cdt.c result_data_set_not_found: nothing selected. */
static int not_found(msel *s, int64_t index) {
    switch (s->rt) {
    case RT_NONE: return AW_OK;
    case RT_INDEX_RANGE: case RT_REVERSE_INDEX_RANGE: case RT_RANK_RANGE:
    case RT_REVERSE_RANK_RANGE:
        return int_pair(s, index, 0);
    case RT_INDEX: case RT_REVERSE_INDEX: case RT_RANK: case RT_REVERSE_RANK:
        *s->res = s->multi ? aw_value_list(NULL, 0) : aw_value_int(-1);
        return AW_OK;
    case RT_COUNT: *s->res = aw_value_int(0); return AW_OK;
    case RT_EXISTS: *s->res = aw_value_bool(false); return AW_OK;
    case RT_KEY: case RT_VALUE:
        if (s->multi)
            *s->res = aw_value_list(NULL, 0);
        return AW_OK;
    case RT_KEY_VALUE: case RT_UNORDERED_MAP: case RT_ORDERED_MAP: return empty_map(s);
    default: return AW_ERR_OP_NOT_APPLICABLE;
    }
}

/* particle_map.c result_data_set_key_not_found / _value_not_found. */
static int key_not_found(msel *s, int64_t index) {
    return is_rank_range(s->rt) ? AW_ERR_OP_NOT_APPLICABLE : not_found(s, index);
}
static int value_not_found(msel *s, int64_t rank) {
    return is_index_range(s->rt) ? AW_ERR_OP_NOT_APPLICABLE : not_found(s, rank);
}

/* cdt.c result_data_set_index_rank_count: the run [start, start+count) of
 * indexes or ranks (inverted: the runs around it). EXISTS|INVERTED is true
 * when the run is empty, as the server answers it. */
static int index_rank_count(msel *s, uint32_t start, uint32_t count, bool inverted) {
    uint32_t n = s->n, k = 0;
    switch (s->rt) {
    case RT_NONE: return AW_OK;
    case RT_COUNT: *s->res = aw_value_int(inverted ? n - count : count); return AW_OK;
    case RT_EXISTS: *s->res = aw_value_bool(inverted ? count == 0 : count != 0); return AW_OK;
    case RT_INDEX: case RT_REVERSE_INDEX: case RT_RANK: case RT_REVERSE_RANK: {
        bool rev = is_rev(s->rt);
        if (!s->multi) {
            *s->res = aw_value_int(count == 0 ? -1 : rev ? (int64_t)n - start - 1 : start);
            return AW_OK;
        }
        aw_value *items = new_items(s, n);
        if (!items)
            return AW_ERR_SERVER_FULL;
        if (inverted) {
            td_cdt_add_run(items, &k, 0, start, n, rev);
            td_cdt_add_run(items, &k, start + count, n - start - count, n, rev);
        } else {
            td_cdt_add_run(items, &k, start, count, n, rev);
        }
        *s->res = aw_value_list(items, k);
        return AW_OK;
    }
    default: return AW_ERR_OP_NOT_APPLICABLE;
    }
}

/* cdt.c result_data_set_range: index_rank_count, or the range types as
 * [start, count] (not with INVERTED). */
static int set_range(msel *s, uint32_t start, uint32_t count, bool inverted) {
    switch (s->rt) {
    case RT_REVERSE_INDEX_RANGE: case RT_REVERSE_RANK_RANGE:
        start = s->n - start - count;
        /* fall through */
    case RT_INDEX_RANGE: case RT_RANK_RANGE:
        if (inverted)
            return AW_ERR_OP_NOT_APPLICABLE;
        return int_pair(s, start, count);
    default:
        return index_rank_count(s, start, count, inverted);
    }
}

/* The stored positions the mask selects, in stored order; *k = how many. */
static uint32_t *mask_positions(const msel *s, uint32_t *k) {
    uint32_t *pos = aw_arena_alloc(s->a, (s->n ? s->n : 1) * sizeof *pos);
    *k = 0;
    for (uint32_t i = 0; pos && i < s->n; i++)
        if (s->mask[i])
            pos[(*k)++] = i;
    return pos;
}

/* The KEY, VALUE or map result of the entries at pos[0..k), in that order
 * (particle_map.c packed_map_build_ele_result_by_*). A single op answers
 * the first key or value. sort: an ORDERED_MAP of an unordered map is
 * sorted by key (the mask and index-range builders do that, the builder by
 * element list does not). */
static int elements(msel *s, const uint32_t *pos, uint32_t k, bool sort) {
    if (!pos)
        return AW_ERR_SERVER_FULL;
    if (!is_map_rt(s->rt)) {
        bool key = s->rt == RT_KEY;
        if (!s->multi) {
            if (k)
                *s->res = key ? *key_at(s, pos[0]) : *value_at(s, pos[0]);
            return AW_OK;
        }
        aw_value *items = new_items(s, k);
        if (!items)
            return AW_ERR_SERVER_FULL;
        for (uint32_t i = 0; i < k; i++)
            items[i] = key ? *key_at(s, pos[i]) : *value_at(s, pos[i]);
        *s->res = aw_value_list(items, k);
        return AW_OK;
    }
    aw_value *items = new_items(s, 2 * k);
    if (!items)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t at = i;
        if (sort && s->rt == RT_ORDERED_MAP && !td_map_k_ordered(s->map))
            for (; at > 0 && td_list_value_cmp(&items[2 * (at - 1)], key_at(s, pos[i])) > 0; at--) {
                items[2 * at] = items[2 * (at - 1)];
                items[2 * at + 1] = items[2 * (at - 1) + 1];
            }
        items[2 * at] = *key_at(s, pos[i]);
        items[2 * at + 1] = *value_at(s, pos[i]);
    }
    empty_map(s);
    s->res->len = k;
    s->res->u.items = items;
    return AW_OK;
}

/* The index (rank) of each entry at pos[0..k), in that order; a single op
 * answers the first. */
static int places(msel *s, const uint32_t *pos, uint32_t k, const uint32_t *place) {
    if (!pos)
        return AW_ERR_SERVER_FULL;
    bool rev = is_rev(s->rt);
    aw_value *items = new_items(s, k);
    if (!items)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < k; i++)
        items[i] = aw_value_int(rev ? (int64_t)s->n - place[pos[i]] - 1 : place[pos[i]]);
    if (!s->multi)
        *s->res = k ? items[0] : aw_value_int(-1);
    else
        *s->res = aw_value_list(items, k);
    return AW_OK;
}

static int mask_elements(msel *s) {
    uint32_t k;
    uint32_t *pos = mask_positions(s, &k);
    return elements(s, pos, k, true);
}

static int mask_places(msel *s, const uint32_t *place) {
    uint32_t k;
    uint32_t *pos = mask_positions(s, &k);
    return places(s, pos, k, place);
}

/* The stored positions start..start+count (inverted: the others), in
 * stored order (packed_map_build_ele_result_by_idx_range). */
static int stored_range_elements(msel *s, uint32_t start, uint32_t count, bool inverted) {
    uint32_t *pos = aw_arena_alloc(s->a, (s->n ? s->n : 1) * sizeof *pos), k = 0;
    for (uint32_t i = 0; pos && i < s->n; i++)
        if ((i >= start && i - start < count) != inverted)
            pos[k++] = i;
    return elements(s, pos, k, true);
}

/* Takes the selected entries out of the map (remove ops). */
static int remove_selected(msel *s) {
    if (!s->modify)
        return AW_OK;
    aw_value *items = new_items(s, 2 * s->n);
    if (!items)
        return AW_ERR_SERVER_FULL;
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->n; i++)
        if (!s->mask[i]) {
            items[2 * k] = *key_at(s, i);
            items[2 * k + 1] = *value_at(s, i);
            k++;
        }
    *s->changed = true;
    s->map->u.items = items;
    s->map->len = k;
    return AW_OK;
}

static void invert_mask(msel *s) {
    for (uint32_t i = 0; i < s->n; i++)
        s->mask[i] = !s->mask[i];
}

/* Marks the positions order[start..start+count) (inverted: the others). */
static uint32_t mark_run(msel *s, const uint32_t *order, uint32_t start, uint32_t count,
                         bool inverted) {
    for (uint32_t i = 0; i < count; i++)
        s->mask[order[start + i]] = 1;
    if (inverted)
        invert_mask(s);
    return inverted ? s->n - count : count;
}

/* Ends an op whose result is built: removes the selection (remove ops). */
static int finish(msel *s, int rc) { return rc != AW_OK ? rc : remove_selected(s); }

/* packed_map_get_remove_all: every entry. INDEX and RANK are 0..n-1 (the
 * actual ranks are not looked at), elements in stored order. */
static int select_all(msel *s) {
    memset(s->mask, 1, s->n);
    int rc;
    switch (s->rt) {
    case RT_INDEX: case RT_REVERSE_INDEX: case RT_RANK: case RT_REVERSE_RANK:
        if (!s->multi) {
            *s->res = aw_value_int(0);
            rc = AW_OK;
            break;
        }
        rc = index_rank_count(s, 0, s->n, false);
        break;
    case RT_INDEX_RANGE: case RT_REVERSE_INDEX_RANGE: case RT_RANK_RANGE:
    case RT_REVERSE_RANK_RANGE:
        rc = int_pair(s, 0, s->n);
        break;
    default:
        rc = is_elements(s->rt) ? stored_range_elements(s, 0, s->n, false)
                                : index_rank_count(s, 0, s->n, false);
    }
    return finish(s, rc);
}

/* packed_map_trim_ordered: a key-ordered map keeps [index, index+count)
 * and the rest is selected (INVERTED middle run). */
static int trim_ordered(msel *s, uint32_t index, uint32_t count) {
    uint32_t rm = mark_run(s, s->key_order, index, count, true);
    int rc;
    switch (s->rt) {
    case RT_NONE: rc = AW_OK; break;
    case RT_COUNT: *s->res = aw_value_int(rm); rc = AW_OK; break;
    case RT_EXISTS: *s->res = aw_value_bool(rm != 0); rc = AW_OK; break;
    case RT_INDEX: case RT_REVERSE_INDEX: rc = index_rank_count(s, index, count, true); break;
    case RT_RANK: case RT_REVERSE_RANK: rc = mask_places(s, s->rank); break;
    default:
        rc = is_elements(s->rt) ? stored_range_elements(s, index, count, true)
                                : AW_ERR_OP_NOT_APPLICABLE;
    }
    return finish(s, rc);
}

/* packed_map_get_remove_by_index_range. */
static int by_index_range(msel *s, int64_t index, uint64_t count) {
    uint32_t at, cnt, n = s->n;
    if (!td_cdt_index_count(index, count, n, s->multi, &at, &cnt) || is_rank_range(s->rt))
        return AW_ERR_OP_NOT_APPLICABLE;
    bool inverted = false;
    if (s->inverted) {
        if (!s->multi)
            return AW_ERR_OP_NOT_APPLICABLE;
        inverted = td_cdt_invert_run(n, &at, &cnt);
        if (inverted && td_map_k_ordered(s->map))
            return trim_ordered(s, at, cnt);
    }
    if (cnt == 0)
        return key_not_found(s, at);
    if (cnt == n)
        return select_all(s);
    mark_run(s, s->key_order, at, cnt, inverted);
    int rc;
    if (td_map_k_ordered(s->map)) { /* stored order is key order */
        if (is_elements(s->rt))
            rc = stored_range_elements(s, at, cnt, false);
        else if (is_rank(s->rt))
            rc = places(s, s->key_order + at, cnt, s->rank);
        else
            rc = set_range(s, at, cnt, false);
    } else if (is_rank(s->rt)) {
        rc = inverted ? mask_places(s, s->rank) : places(s, s->key_order + at, cnt, s->rank);
    } else if (is_elements(s->rt)) {
        rc = inverted ? mask_elements(s) : elements(s, s->key_order + at, cnt, false);
    } else {
        rc = set_range(s, at, cnt, inverted);
    }
    return finish(s, rc);
}

/* packed_map_get_remove_by_rank_range (no value index: a heap by rank,
 * whose entries come out in rank order). */
static int by_rank_range(msel *s, int64_t rank, uint64_t count) {
    uint32_t at, cnt, n = s->n;
    if (!td_cdt_index_count(rank, count, n, s->multi, &at, &cnt) || is_index_range(s->rt))
        return AW_ERR_OP_NOT_APPLICABLE;
    bool inverted = false;
    if (s->inverted) {
        if (!s->multi)
            return AW_ERR_OP_NOT_APPLICABLE;
        inverted = td_cdt_invert_run(n, &at, &cnt);
    }
    if (cnt == 0)
        return value_not_found(s, at);
    uint32_t rm = mark_run(s, s->rank_order, at, cnt, inverted);
    bool by_mask = inverted || s->rt == RT_ORDERED_MAP;
    int rc;
    if (is_index(s->rt))
        rc = inverted ? mask_places(s, s->key_index)
                      : places(s, s->rank_order + at, cnt, s->key_index);
    else if (is_elements(s->rt))
        rc = by_mask ? mask_elements(s) : elements(s, s->rank_order + at, cnt, false);
    else if (is_rank_range(s->rt))
        rc = set_range(s, at, rm, inverted);
    else
        rc = index_rank_count(s, at, cnt, inverted);
    return finish(s, rc);
}

/* packed_map_get_remove_by_key_interval: [start, end) (end NULL: to the
 * largest key), or the key start alone (single_key). */
static int by_key_interval(msel *s, const aw_value *start, const aw_value *end,
                           bool single_key) {
    if (is_rank_range(s->rt))
        return AW_ERR_OP_NOT_APPLICABLE;
    uint32_t index = keys_below(s, start), count = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        const aw_value *k = key_at(s, i);
        bool in = single_key ? td_list_value_cmp(k, start) == 0
                             : td_list_value_cmp(k, start) >= 0 &&
                                   (!end || td_list_value_cmp(k, end) < 0);
        s->mask[i] = in;
        count += in;
    }
    if (td_map_k_ordered(s->map)) {
        if (count == 0 && !s->multi)
            return key_not_found(s, -1);
        memset(s->mask, 0, s->n);
        return by_index_range(s, index, count);
    }
    if (s->inverted && !s->multi)
        return AW_ERR_OP_NOT_APPLICABLE;
    int rc;
    if (single_key) { /* packed_map_build_result_by_key */
        if (count == 0)
            return key_not_found(s, -1);
        uint32_t pos = 0;
        while (!s->mask[pos])
            pos++;
        uint32_t idx = s->key_index[pos];
        switch (s->rt) {
        case RT_NONE: rc = AW_OK; break;
        case RT_INDEX_RANGE: rc = int_pair(s, idx, 1); break;
        case RT_REVERSE_INDEX_RANGE: rc = int_pair(s, s->n - idx - 1, 1); break;
        case RT_COUNT: *s->res = aw_value_int(1); rc = AW_OK; break;
        case RT_EXISTS: *s->res = aw_value_bool(true); rc = AW_OK; break;
        case RT_INDEX: case RT_REVERSE_INDEX: rc = places(s, &pos, 1, s->key_index); break;
        case RT_RANK: case RT_REVERSE_RANK: rc = places(s, &pos, 1, s->rank); break;
        default:
            rc = is_elements(s->rt) ? elements(s, &pos, 1, false) : AW_ERR_OP_NOT_APPLICABLE;
        }
        return finish(s, rc);
    }
    if (s->inverted)
        invert_mask(s);
    if (is_elements(s->rt))
        rc = mask_elements(s);
    else if (is_rank(s->rt))
        rc = mask_places(s, s->rank);
    else
        rc = set_range(s, index, count, s->inverted);
    return finish(s, rc);
}

/* packed_map_get_remove_by_value_interval (no value index): [start, end)
 * (end NULL: to the largest value), or the value start (single_value; a
 * single op takes the first match in stored order). */
static int by_value_interval(msel *s, const aw_value *start, const aw_value *end,
                             bool single_value) {
    if (is_index_range(s->rt) || (s->inverted && !s->multi))
        return AW_ERR_OP_NOT_APPLICABLE;
    if (s->n == 0)
        return value_not_found(s, -1);
    uint32_t rank = values_below(s, start), count = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        const aw_value *v = value_at(s, i);
        bool in = single_value ? td_list_value_cmp(v, start) == 0
                               : td_list_value_cmp(v, start) >= 0 &&
                                     (!end || td_list_value_cmp(v, end) < 0);
        if (in && !s->multi && count > 0)
            in = false;
        s->mask[i] = in;
        count += in;
    }
    if (count == 0) {
        if (s->inverted) {
            s->inverted = false;
            return select_all(s);
        }
        return value_not_found(s, rank);
    }
    if (s->inverted)
        invert_mask(s);
    int rc;
    if (is_elements(s->rt))
        rc = mask_elements(s);
    else if (is_index(s->rt))
        rc = mask_places(s, s->key_index);
    else
        rc = set_range(s, rank, count, s->inverted);
    return finish(s, rc);
}

/* cdt.c result_data_set_by_itemlist_irc: per item (in the order given) the
 * run [below, below+equal) of indexes or ranks, element by element; with
 * INVERTED, the runs between the items' runs in value order. An item given
 * twice has its run once, at its last place in value order
 * (offset_index_find_items counts a match for the last equal item). */
static int itemlist_runs(msel *s, const aw_value *items, uint32_t n_items, bool keys) {
    bool rev = is_rev(s->rt);
    /* Room for every run even when a wildcard item matches everything. */
    aw_value *out = new_items(s, (n_items + 1) * s->n);
    uint32_t *order = aw_arena_alloc(s->a, 2 * (n_items ? n_items : 1) * sizeof *order);
    if (!out || !order)
        return AW_ERR_SERVER_FULL;
    uint32_t *last = order + n_items; /* item -> counted */
    for (uint32_t i = 0; i < n_items; i++) { /* items by value, stable */
        uint32_t j = i;
        for (; j > 0 && td_list_value_cmp(&items[order[j - 1]], &items[i]) > 0; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (uint32_t p = 0; p < n_items; p++)
        last[order[p]] = p + 1 == n_items ||
                         td_list_value_cmp(&items[order[p]], &items[order[p + 1]]) != 0;
    uint32_t k = 0, prev = 0;
    for (uint32_t i = 0; i < n_items; i++) {
        uint32_t item = s->inverted ? order[i] : i;
        if (!last[item])
            continue;
        const aw_value *v = &items[item];
        uint32_t below = keys ? keys_below(s, v) : values_below(s, v), equal = 0;
        for (uint32_t e = 0; e < s->n; e++)
            equal += td_list_value_cmp(keys ? key_at(s, e) : value_at(s, e), v) == 0;
        if (equal == 0)
            continue;
        if (!s->inverted) {
            for (uint32_t r = below; r < below + equal; r++)
                td_cdt_add_run(out, &k, r, 1, s->n, rev);
        } else {
            if (below > prev)
                td_cdt_add_run(out, &k, prev, below - prev, s->n, rev);
            if (below + equal > prev)
                prev = below + equal;
        }
    }
    if (s->inverted)
        td_cdt_add_run(out, &k, prev, s->n - prev, s->n, rev);
    *s->res = aw_value_list(out, k);
    return AW_OK;
}

/* cdt.c result_data_set_by_irc: per item, in the order given, the run
 * [below, below+equal) of its matches, as one ascending run (an item given
 * twice has it twice). */
static int irc_runs(msel *s, const aw_value *items, uint32_t n_items, bool keys) {
    aw_value *out = new_items(s, n_items * s->n);
    uint32_t k = 0;
    if (!out)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < n_items; i++) {
        uint32_t below = keys ? keys_below(s, &items[i]) : values_below(s, &items[i]), equal = 0;
        for (uint32_t e = 0; e < s->n; e++)
            equal += td_list_value_cmp(keys ? key_at(s, e) : value_at(s, e), &items[i]) == 0;
        td_cdt_add_run(out, &k, below, equal, s->n, is_rev(s->rt));
    }
    *s->res = aw_value_list(out, k);
    return AW_OK;
}

/* Marks the entries whose key (value) equals one of the items; returns how
 * many are selected (inverted: the others). */
static uint32_t mark_items(msel *s, const aw_value *items, uint32_t n_items, bool keys) {
    uint32_t count = 0;
    for (uint32_t e = 0; e < s->n; e++) {
        bool in = false;
        for (uint32_t i = 0; i < n_items && !in; i++)
            in = td_list_value_cmp(keys ? key_at(s, e) : value_at(s, e), &items[i]) == 0;
        s->mask[e] = in != s->inverted;
        count += s->mask[e];
    }
    return count;
}

/* packed_map_get_remove_all_by_key_list (_ordered / _unordered). */
static int by_key_list(msel *s, const aw_value *list) {
    if (list->type != AW_LIST)
        return AW_ERR_REQUEST_INVALID;
    if (list->len == 0) {
        if (is_rank(s->rt) || is_rank_range(s->rt) || is_index_range(s->rt))
            return AW_ERR_OP_NOT_APPLICABLE;
        if (!s->inverted)
            return key_not_found(s, 0);
        if (is_elements(s->rt))
            return EMPTY_LIST_INVERTED_ELEMENTS;
        s->inverted = false;
        return select_all(s);
    }
    uint32_t count = mark_items(s, list->u.items, list->len, true);
    int rc;
    switch (s->rt) {
    case RT_NONE: rc = AW_OK; break;
    case RT_COUNT: *s->res = aw_value_int(count); rc = AW_OK; break;
    case RT_EXISTS: *s->res = aw_value_bool(count != 0); rc = AW_OK; break;
    case RT_INDEX: case RT_REVERSE_INDEX:
        if (!td_map_k_ordered(s->map))
            rc = itemlist_runs(s, list->u.items, list->len, true);
        else if (s->inverted) /* result_data_set_int_list_by_mask */
            rc = mask_places(s, s->key_index);
        else
            rc = irc_runs(s, list->u.items, list->len, true);
        break;
    default:
        rc = is_elements(s->rt) ? mask_elements(s) : AW_ERR_OP_NOT_APPLICABLE;
    }
    return finish(s, rc);
}

/* packed_map_get_remove_all_by_value_list (no value index). */
static int by_value_list(msel *s, const aw_value *list) {
    if (list->type != AW_LIST)
        return AW_ERR_REQUEST_INVALID;
    if (list->len == 0) {
        if (is_rank_range(s->rt) || is_index_range(s->rt))
            return AW_ERR_OP_NOT_APPLICABLE;
        if (!s->inverted)
            return not_found(s, 0);
        if (is_elements(s->rt))
            return EMPTY_LIST_INVERTED_ELEMENTS;
        s->inverted = false;
        return select_all(s);
    }
    uint32_t count = mark_items(s, list->u.items, list->len, false);
    /* A map of at most one entry has a "valid" value index (cdt.c
     * order_index_is_valid), so the server takes
     * packed_map_get_remove_all_by_value_list_ordered: runs per item. */
    bool indexed = s->n <= 1 && !s->inverted;
    int rc;
    switch (s->rt) {
    case RT_NONE: rc = AW_OK; break;
    case RT_COUNT: *s->res = aw_value_int(count); rc = AW_OK; break;
    case RT_EXISTS: *s->res = aw_value_bool(count != 0); rc = AW_OK; break;
    case RT_INDEX: case RT_REVERSE_INDEX:
        rc = indexed ? irc_runs(s, list->u.items, list->len, false)
                     : mask_places(s, s->key_index);
        break;
    case RT_RANK: case RT_REVERSE_RANK:
        if (indexed)
            rc = irc_runs(s, list->u.items, list->len, false);
        else if (s->n <= 1) /* inverted: packed_map_build_rank_result_by_mask */
            rc = mask_places(s, s->rank);
        else
            rc = itemlist_runs(s, list->u.items, list->len, false);
        break;
    default:
        rc = is_elements(s->rt) ? mask_elements(s) : AW_ERR_OP_NOT_APPLICABLE;
    }
    return finish(s, rc);
}

/* cdt.c calc_rel_index_count: the run from rel + index; a start below 0 is
 * clipped at 0 and shortens the count. */
static void rel_index_count(uint32_t rel, int64_t *index, uint64_t *count) {
    *index = *index > INT64_MAX - rel ? INT64_MAX : *index + rel;
    if (*index < 0) {
        uint64_t over = 0 - (uint64_t)*index;
        *count = *count > over ? *count - over : 0;
        *index = 0;
    }
}

static bool is_remove(int64_t code) {
    return code >= AW_MAP_REMOVE_BY_KEY && code <= AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE;
}

bool td_map_select_code(int64_t code) {
    return (code >= AW_MAP_REMOVE_BY_KEY && code <= AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE &&
            code != 80) ||
           (code >= AW_MAP_GET_BY_KEY && code <= AW_MAP_GET_BY_VALUE_REL_RANK_RANGE && code != 101);
}

/* Single ops select one entry; the others are multi. */
static bool is_single(int64_t code) {
    switch (code) {
    case AW_MAP_REMOVE_BY_KEY: case AW_MAP_GET_BY_KEY: case AW_MAP_REMOVE_BY_INDEX:
    case AW_MAP_GET_BY_INDEX: case AW_MAP_REMOVE_BY_VALUE: case AW_MAP_GET_BY_VALUE:
    case AW_MAP_REMOVE_BY_RANK: case AW_MAP_GET_BY_RANK:
        return true;
    default:
        return false;
    }
}

int td_map_select(aw_value *map, const cdt_call *c, bool *changed, aw_value *res, aw_arena *a) {
    int64_t rt, index = 0;
    uint64_t count = 1;
    if (!td_cdt_arg_int(c, 0, &rt) || c->n_args < 2)
        return AW_ERR_REQUEST_INVALID;
    msel s;
    if (msel_init(&s, map, rt, !is_single(c->code), is_remove(c->code), changed, res, a))
        return AW_ERR_SERVER_FULL;
    const aw_value *arg = &c->args[1];
    switch (c->code) {
    case AW_MAP_REMOVE_BY_KEY: case AW_MAP_GET_BY_KEY:
        return by_key_interval(&s, arg, arg, true);
    case AW_MAP_REMOVE_BY_VALUE: case AW_MAP_GET_BY_VALUE:
    case AW_MAP_REMOVE_ALL_BY_VALUE: case AW_MAP_GET_ALL_BY_VALUE:
        return by_value_interval(&s, arg, arg, true);
    case AW_MAP_REMOVE_BY_KEY_INTERVAL: case AW_MAP_GET_BY_KEY_INTERVAL:
        return by_key_interval(&s, arg, c->n_args >= 3 ? &c->args[2] : NULL, false);
    case AW_MAP_REMOVE_BY_VALUE_INTERVAL: case AW_MAP_GET_BY_VALUE_INTERVAL:
        return by_value_interval(&s, arg, c->n_args >= 3 ? &c->args[2] : NULL, false);
    case AW_MAP_REMOVE_BY_KEY_LIST: case AW_MAP_GET_BY_KEY_LIST:
        return by_key_list(&s, arg);
    case AW_MAP_REMOVE_BY_VALUE_LIST: case AW_MAP_GET_BY_VALUE_LIST:
        return by_value_list(&s, arg);
    case AW_MAP_REMOVE_BY_INDEX: case AW_MAP_GET_BY_INDEX:
    case AW_MAP_REMOVE_BY_RANK: case AW_MAP_GET_BY_RANK:
    case AW_MAP_REMOVE_BY_INDEX_RANGE: case AW_MAP_GET_BY_INDEX_RANGE:
    case AW_MAP_REMOVE_BY_RANK_RANGE: case AW_MAP_GET_BY_RANK_RANGE:
        if (!td_cdt_arg_int(c, 1, &index) || (!is_single(c->code) && !td_cdt_arg_count(c, 2, &count)))
            return AW_ERR_REQUEST_INVALID;
        if (c->code == AW_MAP_REMOVE_BY_INDEX || c->code == AW_MAP_GET_BY_INDEX ||
            c->code == AW_MAP_REMOVE_BY_INDEX_RANGE || c->code == AW_MAP_GET_BY_INDEX_RANGE)
            return by_index_range(&s, index, count);
        return by_rank_range(&s, index, count);
    case AW_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE: case AW_MAP_GET_BY_KEY_REL_INDEX_RANGE:
        if (!td_cdt_arg_int(c, 2, &index) || !td_cdt_arg_count(c, 3, &count))
            return AW_ERR_REQUEST_INVALID;
        rel_index_count(keys_below(&s, arg), &index, &count);
        return by_index_range(&s, index, count);
    case AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE: case AW_MAP_GET_BY_VALUE_REL_RANK_RANGE:
        if (!td_cdt_arg_int(c, 2, &index) || !td_cdt_arg_count(c, 3, &count))
            return AW_ERR_REQUEST_INVALID;
        rel_index_count(values_below(&s, arg), &index, &count);
        return by_rank_range(&s, index, count);
    default:
        return AW_ERR_REQUEST_INVALID;
    }
}
