/*
 * aw-testd: list ops that select elements by index, rank or value
 * (get/remove by index, rank, value, value list, value interval, value and
 * relative rank; get-range, pop-range, remove-range and trim), on unordered lists.
 *
 * The selection, the removal and the result follow the real server's
 * particle_list.c (packed_list_get_remove_by_index_range, _by_value_interval,
 * _by_rank_range, _all_by_value_list, _by_rel_rank_range, packed_list_trim)
 * and cdt.c (calc_index_count, result_data_set_*), quirks included: the
 * order of a result's elements (index order or rank order), which return
 * types each selector takes (the others are OP_NOT_APPLICABLE), INVERTED.
 */
#include "cdt_list.h"

#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "proto/msgpack.h"

/* Return types (proto.h result_type_t) and the INVERTED flag. */
#define RT_INVERTED 0x10000
enum {
    RT_NONE = 0, RT_INDEX = 1, RT_REVERSE_INDEX = 2, RT_RANK = 3, RT_REVERSE_RANK = 4,
    RT_COUNT = 5, RT_VALUE = 7, RT_INDEX_RANGE = 9, RT_REVERSE_INDEX_RANGE = 10,
    RT_RANK_RANGE = 11, RT_REVERSE_RANK_RANGE = 12, RT_EXISTS = 13,
};

/* msgpack_in.h msgpack_type: the order of types in a comparison. */
static int type_order(const aw_value *v) {
    switch (v->type) {
    case AW_NIL: return v->subtype == AW_MP_NIL_INFINITY ? 14 : v->subtype ? 13 : 1;
    case AW_BOOL: return v->u.b ? 3 : 2;
    case AW_INT: return 5;
    case AW_STR: return 6;
    case AW_LIST: return 7;
    case AW_MAP: return 8;
    case AW_BLOB: return 9;
    case AW_FLOAT: return 10;
    case AW_GEOJSON: return 11;
    default: return 12;
    }
}

static int sign(int64_t d) { return d < 0 ? -1 : d > 0; }

static int bytes_cmp(const void *x, uint32_t nx, const void *y, uint32_t ny) {
    uint32_t n = nx < ny ? nx : ny;
    int c = n ? memcmp(x, y, n) : 0;
    return c ? sign(c) : nx < ny ? -1 : nx > ny;
}

/* *wild: a wildcard was met, which makes the whole comparison equal. */
static int cmp(const aw_value *x, const aw_value *y, bool *wild) {
    int tx = type_order(x), ty = type_order(y);
    if (tx == 13 || ty == 13) {
        *wild = true;
        return 0;
    }
    if (tx != ty)
        return tx < ty ? -1 : 1;
    switch (x->type) {
    case AW_INT: return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
    case AW_FLOAT: return x->u.f < y->u.f ? -1 : x->u.f > y->u.f;
    case AW_STR: return bytes_cmp(x->u.str, x->len, y->u.str, y->len);
    case AW_GEOJSON: return bytes_cmp(x->u.str, x->len, y->u.str, y->len);
    case AW_BLOB: /* the particle type byte leads the compared bytes */
        if (x->subtype != y->subtype)
            return x->subtype < y->subtype ? -1 : 1;
        return bytes_cmp(x->u.bytes, x->len, y->u.bytes, y->len);
    case AW_LIST: {
        uint32_t n = x->len < y->len ? x->len : y->len;
        for (uint32_t i = 0; i < n; i++) {
            int c = cmp(&x->u.items[i], &y->u.items[i], wild);
            if (c || *wild)
                return c;
        }
        return x->len < y->len ? -1 : x->len > y->len;
    }
    case AW_MAP: /* size first, then entry by entry in stored order */
        if (x->len != y->len)
            return x->len < y->len ? -1 : 1;
        for (uint32_t i = 0; i < 2 * x->len; i++) {
            int c = cmp(&x->u.items[i], &y->u.items[i], wild);
            if (c || *wild)
                return c;
        }
        return 0;
    default: return 0;
    }
}

int td_list_value_cmp(const aw_value *x, const aw_value *y) {
    bool wild = false;
    return cmp(x, y, &wild);
}

/* The server's rank of a value in the list: how many elements are less. */
uint32_t td_list_rank(const aw_value *list, const aw_value *v) {
    uint32_t r = 0;
    for (uint32_t i = 0; i < list->len; i++)
        if (td_list_value_cmp(&list->u.items[i], v) < 0)
            r++;
    return r;
}

static bool ordered(const aw_value *list) { return (list->subtype & TD_LIST_ORDERED) != 0; }

/* The elements an op selects, in index order, and how to report them. */
typedef struct selection {
    const aw_value *list;
    uint8_t *mask; /* 1: selected (removed by a remove op) */
    uint32_t count;
    int64_t rt;    /* return type without INVERTED */
    bool multi;    /* a list result (range ops) or one value */
    aw_arena *a;
} selection;

static aw_value *alloc_items(aw_arena *a, uint32_t n) {
    return aw_arena_alloc(a, (n ? n : 1) * sizeof(aw_value));
}

static int64_t maybe_rev(int64_t i, uint32_t n, bool rev) { return rev ? (int64_t)n - i - 1 : i; }

static int int_pair(int64_t x, int64_t y, aw_value *res, aw_arena *a) {
    aw_value *two = alloc_items(a, 2);
    if (!two)
        return AW_ERR_SERVER_FULL;
    two[0] = aw_value_int(x);
    two[1] = aw_value_int(y);
    *res = aw_value_list(two, 2);
    return AW_OK;
}

/* cdt.c cdt_container_builder_add_int_range: the run [start, start+count);
 * reversed, the same run counted from the end, still ascending. */
void td_cdt_add_run(aw_value *items, uint32_t *k, uint32_t start, uint32_t count, uint32_t n,
                    bool rev) {
    uint32_t first = rev ? n - start - count : start;
    for (uint32_t i = 0; i < count; i++)
        items[(*k)++] = aw_value_int(first + i);
}

/* cdt.c result_data_set_index_rank_count / result_data_set_range: the
 * selected elements are the run [start, start+count) of indexes or ranks
 * (inverted: everything outside it). */
static int run_result(int64_t rt, bool inverted, bool multi, uint32_t start, uint32_t count,
                      uint32_t n, aw_value *res, aw_arena *a) {
    bool rev = rt == RT_REVERSE_INDEX || rt == RT_REVERSE_RANK;
    switch (rt) {
    case RT_NONE: return AW_OK;
    case RT_COUNT: *res = aw_value_int(inverted ? n - count : count); return AW_OK;
    case RT_EXISTS: *res = aw_value_bool(inverted ? count == 0 : count != 0); return AW_OK;
    case RT_INDEX: case RT_REVERSE_INDEX: case RT_RANK: case RT_REVERSE_RANK: {
        if (!multi) {
            *res = aw_value_int(count == 0 ? -1 : maybe_rev(start, n, rev));
            return AW_OK;
        }
        uint32_t m = inverted ? n - count : count, k = 0;
        aw_value *items = alloc_items(a, m);
        if (!items)
            return AW_ERR_SERVER_FULL;
        if (inverted) {
            td_cdt_add_run(items, &k, 0, start, n, rev);
            td_cdt_add_run(items, &k, start + count, n - start - count, n, rev);
        } else {
            td_cdt_add_run(items, &k, start, count, n, rev);
        }
        *res = aw_value_list(items, k);
        return AW_OK;
    }
    case RT_INDEX_RANGE: case RT_RANK_RANGE: case RT_REVERSE_INDEX_RANGE:
    case RT_REVERSE_RANK_RANGE:
        if (inverted)
            return AW_ERR_OP_NOT_APPLICABLE;
        if (rt == RT_REVERSE_INDEX_RANGE || rt == RT_REVERSE_RANK_RANGE)
            start = n - start - count;
        return int_pair(start, count, res, a);
    default: return AW_ERR_OP_NOT_APPLICABLE;
    }
}

/* The selected indexes (rev: counted from the end), in index order; single:
 * the first. */
static int mask_indexes(const selection *s, aw_value *res) {
    uint32_t n = s->list->len, k = 0;
    bool rev = s->rt == RT_REVERSE_INDEX || s->rt == RT_REVERSE_RANK;
    aw_value *items = alloc_items(s->a, s->count);
    if (!items)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < n; i++)
        if (s->mask[i])
            items[k++] = aw_value_int(maybe_rev(i, n, rev));
    if (!s->multi)
        *res = k ? items[0] : aw_value_int(-1);
    else
        *res = aw_value_list(items, k);
    return AW_OK;
}

/* The ranks of the selected elements, in index order
 * (packed_list_builder_add_ranks_by_range). */
static int mask_ranks(const selection *s, aw_value *res) {
    uint32_t n = s->list->len, k = 0;
    bool rev = s->rt == RT_REVERSE_RANK;
    aw_value *items = alloc_items(s->a, s->count);
    if (!items)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < n; i++)
        if (s->mask[i])
            items[k++] = aw_value_int(maybe_rev(td_list_rank(s->list, &s->list->u.items[i]), n, rev));
    if (!s->multi)
        *res = k ? items[0] : aw_value_int(-1);
    else
        *res = aw_value_list(items, k);
    return AW_OK;
}

/* The selected values in index order; single: the value (none: nothing). */
static int mask_values(const selection *s, aw_value *res) {
    uint32_t k = 0;
    aw_value *items = alloc_items(s->a, s->count);
    if (!items)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < s->list->len; i++)
        if (s->mask[i])
            items[k++] = s->list->u.items[i];
    if (!s->multi) {
        if (k)
            *res = items[0];
    } else {
        *res = aw_value_list(items, k);
    }
    return AW_OK;
}

/* list.c list_result_data_set_not_found: nothing selected. */
static int not_found(int64_t rt, bool multi, uint32_t index, aw_value *res, aw_arena *a) {
    switch (rt) {
    case RT_NONE: return AW_OK;
    case RT_INDEX_RANGE: case RT_REVERSE_INDEX_RANGE: case RT_RANK_RANGE:
    case RT_REVERSE_RANK_RANGE:
        return int_pair(index, 0, res, a);
    case RT_INDEX: case RT_REVERSE_INDEX: case RT_RANK: case RT_REVERSE_RANK:
        *res = multi ? aw_value_list(NULL, 0) : aw_value_int(-1);
        return AW_OK;
    case RT_COUNT: *res = aw_value_int(0); return AW_OK;
    case RT_EXISTS: *res = aw_value_bool(false); return AW_OK;
    case RT_VALUE:
        if (multi)
            *res = aw_value_list(NULL, 0);
        return AW_OK;
    default: return AW_ERR_OP_NOT_APPLICABLE;
    }
}

/* Takes the selected elements out of the list (in the arena). */
static int remove_selected(aw_value *list, const uint8_t *mask, aw_arena *a) {
    aw_value *items = alloc_items(a, list->len);
    if (!items)
        return AW_ERR_SERVER_FULL;
    uint32_t k = 0;
    for (uint32_t i = 0; i < list->len; i++)
        if (!mask[i])
            items[k++] = list->u.items[i];
    list->u.items = items;
    list->len = k;
    return AW_OK;
}

static selection new_selection(const aw_value *list, int64_t rt, bool multi, aw_arena *a) {
    selection s = {.list = list, .rt = rt, .multi = multi, .a = a};
    s.mask = aw_arena_alloc(a, list->len ? list->len : 1);
    if (s.mask)
        memset(s.mask, 0, list->len ? list->len : 1);
    return s;
}

/* cdt.c calc_index_count: the absolute run an index and count cover; false
 * when a single index is out of range. */
bool td_cdt_invert_run(uint32_t n, uint32_t *at, uint32_t *cnt) {
    if (*cnt == 0) {
        *at = 0;
        *cnt = n;
    } else if (*at == 0) {
        *at = *cnt;
        *cnt = n - *cnt;
    } else if (*at + *cnt >= n) {
        *cnt = *at;
        *at = 0;
    } else {
        return true;
    }
    return false;
}

bool td_cdt_index_count(int64_t index, uint64_t count, uint32_t n, bool multi, uint32_t *at,
                        uint32_t *cnt) {
    if (index >= (int64_t)n) {
        if (!multi)
            return false;
        *at = n;
        *cnt = 0;
        return true;
    }
    if (index < 0)
        index += n;
    if (index < 0) {
        if (!multi)
            return false;
        uint64_t over = 0 - (uint64_t)index; /* no overflow at INT64_MIN */
        *cnt = over < count ? (uint32_t)(count - over > n ? n : count - over) : 0;
        *at = 0;
        return true;
    }
    *at = (uint32_t)index;
    *cnt = count >= (uint64_t)n - *at ? n - *at : (uint32_t)count;
    return true;
}

/* packed_list_get_remove_by_index_range (and packed_list_trim, which an
 * INVERTED middle run becomes). */
static int by_index_range(aw_value *list, int64_t rtype, bool multi, bool modify, int64_t index,
                          uint64_t count, bool *changed, aw_value *res, aw_arena *a) {
    uint32_t n = list->len, at, cnt;
    int64_t rt = rtype & ~RT_INVERTED;
    bool inverted = (rtype & RT_INVERTED) != 0;
    if (!td_cdt_index_count(index, count, n, multi, &at, &cnt))
        return AW_ERR_OP_NOT_APPLICABLE;
    bool trim = false;
    if (inverted) {
        if (!multi || (rt >= RT_INDEX_RANGE && rt <= RT_REVERSE_RANK_RANGE))
            return AW_ERR_OP_NOT_APPLICABLE;
        trim = td_cdt_invert_run(n, &at, &cnt); /* a trim keeps [at, at+cnt) */
    }
    if (cnt == 0 && !trim)
        return not_found(rt, multi, at, res, a);
    selection s = new_selection(list, rt, multi, a);
    if (!s.mask)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < n; i++)
        s.mask[i] = (i >= at && i - at < cnt) != trim;
    s.count = trim ? n - cnt : cnt;
    int rc;
    switch (rt) {
    case RT_NONE: rc = AW_OK; break;
    case RT_COUNT: *res = aw_value_int(s.count); rc = AW_OK; break;
    case RT_EXISTS: *res = aw_value_bool(s.count != 0); rc = AW_OK; break;
    case RT_INDEX: case RT_REVERSE_INDEX:
        rc = run_result(rt, trim, multi, at, cnt, n, res, a);
        break;
    case RT_RANK: case RT_REVERSE_RANK:
        /* Taking every element reports ranks 0..n-1 in index order,
         * whatever the values (result_data_set_index_rank_count); in an
         * ordered list ranks are indexes. */
        if (ordered(list))
            rc = run_result(rt, trim, multi, at, cnt, n, res, a);
        else if (s.count == n && !trim)
            rc = run_result(rt, false, multi, 0, n, n, res, a);
        else
            rc = mask_ranks(&s, res);
        break;
    case RT_VALUE: rc = mask_values(&s, res); break;
    case RT_INDEX_RANGE: case RT_REVERSE_INDEX_RANGE:
        rc = run_result(rt, false, multi, at, cnt, n, res, a);
        break;
    case RT_RANK_RANGE: case RT_REVERSE_RANK_RANGE: /* ordered lists only */
        rc = ordered(list) ? run_result(rt, false, multi, at, cnt, n, res, a)
                           : AW_ERR_OP_NOT_APPLICABLE;
        break;
    default: rc = AW_ERR_OP_NOT_APPLICABLE; break;
    }
    if (rc != AW_OK || !modify)
        return rc;
    *changed = true;
    return remove_selected(list, s.mask, a);
}

/* packed_list_find_rank_range_by_value_interval_ordered: the run of
 * indexes (= ranks) of an ordered list holding [start, end), or the value
 * start (single_value: its first match unless multi). */
static void ordered_value_run(const aw_value *list, const aw_value *start, const aw_value *end,
                              bool single_value, bool multi, uint32_t *from, uint32_t *count) {
    uint32_t n = list->len, lo = td_list_rank(list, start);
    *from = lo;
    if (single_value) {
        uint32_t hi = lo;
        while (hi < n && td_list_value_cmp(&list->u.items[hi], start) == 0)
            hi++;
        *count = hi == lo ? 0 : multi ? hi - lo : 1;
    } else if (!end) {
        *count = n - lo;
    } else if (td_list_value_cmp(start, end) >= 0) {
        *count = 0;
    } else {
        *count = td_list_rank(list, end) - lo;
    }
}

static bool is_rank_range(int64_t rt) { return rt == RT_RANK_RANGE || rt == RT_REVERSE_RANK_RANGE; }

/* packed_list_get_remove_by_value_interval (unordered): [start, end), end
 * NULL for "to the largest value"; `single_value` for the by-value codes
 * (start == end), where a single result takes the first match. A RANK
 * answer is the run of ranks from the number of elements below start. */
static int by_value_interval(aw_value *list, int64_t rtype, bool multi, bool modify,
                             const aw_value *start, const aw_value *end, bool single_value,
                             bool *changed, aw_value *res, aw_arena *a) {
    int64_t rt = rtype & ~RT_INVERTED;
    bool inverted = (rtype & RT_INVERTED) != 0;
    if (inverted && !multi)
        return AW_ERR_OP_NOT_APPLICABLE;
    if (ordered(list)) {
        uint32_t from, count;
        ordered_value_run(list, start, end, single_value, multi, &from, &count);
        if (count == 0 && !multi)
            return not_found(rt, false, 0, res, a);
        return by_index_range(list, rtype, multi, modify, from, count, changed, res, a);
    }
    uint32_t n = list->len, rank = 0, first = 0;
    selection s = new_selection(list, rt, multi, a);
    if (!s.mask)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < n; i++) {
        const aw_value *v = &list->u.items[i];
        int c = td_list_value_cmp(v, start);
        bool take;
        if (c < 0) {
            rank++;
            take = inverted;
        } else if (!single_value) {
            bool below_end = end ? td_list_value_cmp(v, end) < 0 : true;
            take = below_end != inverted;
        } else if (c == 0) {
            take = multi ? !inverted : s.count == 0;
        } else {
            take = inverted && multi;
        }
        if (take) {
            if (s.count == 0)
                first = i;
            s.mask[i] = 1;
            s.count++;
        }
    }
    int rc;
    switch (rt) {
    case RT_NONE: case RT_COUNT: case RT_EXISTS: case RT_RANK: case RT_REVERSE_RANK:
    case RT_RANK_RANGE: case RT_REVERSE_RANK_RANGE:
        rc = run_result(rt, inverted, multi, rank, inverted ? n - s.count : s.count, n, res, a);
        break;
    case RT_INDEX: case RT_REVERSE_INDEX:
        rc = multi ? mask_indexes(&s, res) : run_result(rt, false, false, first, s.count, n, res, a);
        break;
    case RT_VALUE: rc = mask_values(&s, res); break;
    default: rc = AW_ERR_OP_NOT_APPLICABLE; break;
    }
    if (rc != AW_OK || !modify || s.count == 0)
        return rc;
    *changed = true;
    return remove_selected(list, s.mask, a);
}

/* cdt.c order_heap_*: the server picks a rank run with a heap (a min heap
 * when the run is nearer the bottom, else a max heap) and reports the
 * run's values in the order the heap leaves them, which is descending for
 * a min heap. Emulated step for step, so results and the choice among
 * equal values are the server's. */
typedef struct heap {
    const aw_value *list;
    uint32_t *h;
    uint32_t filled;
    int want; /* -1: min heap, 1: max heap */
} heap;

static int heap_cmp(const heap *hp, uint32_t x, uint32_t y) {
    return td_list_value_cmp(&hp->list->u.items[hp->h[x]], &hp->list->u.items[hp->h[y]]);
}

static void heapify(heap *hp, uint32_t at) {
    for (;;) {
        uint32_t c1 = 2 * at + 1, c2 = 2 * at + 2, child;
        if (c1 >= hp->filled)
            return;
        if (c2 >= hp->filled) {
            child = c1;
        } else {
            int c = heap_cmp(hp, c1, c2);
            child = c == hp->want || c == 0 ? c1 : c2;
        }
        if (heap_cmp(hp, child, at) != hp->want)
            return;
        uint32_t t = hp->h[at];
        hp->h[at] = hp->h[child];
        hp->h[child] = t;
        at = child;
    }
}

/* order_heap_init_build_by_range_temp: returns the heap array; the run
 * [at, at+cnt) of ranks is at (*first)[0..cnt). */
static uint32_t *heap_select(const aw_value *list, uint32_t at, uint32_t cnt, uint32_t *first,
                             aw_arena *a) {
    uint32_t n = list->len, tail = n - at - cnt;
    heap hp = {.list = list, .filled = n, .want = at <= tail ? -1 : 1};
    uint32_t pops = cnt + (at <= tail ? at : tail);
    hp.h = aw_arena_alloc(a, (n ? n : 1) * sizeof *hp.h);
    if (!hp.h)
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        hp.h[i] = i;
    for (int64_t i = (int64_t)n / 2 - 1; i >= 0; i--)
        heapify(&hp, (uint32_t)i);
    uint32_t end = n - 1;
    for (uint32_t i = 0; i < pops; i++) {
        uint32_t top = hp.h[0];
        hp.h[0] = hp.h[--hp.filled];
        heapify(&hp, 0);
        hp.h[end--] = top;
    }
    *first = hp.filled;
    return hp.h;
}

uint32_t td_list_index_at_rank(const aw_value *list, uint32_t rank, aw_arena *a) {
    uint32_t first = 0;
    uint32_t *h = heap_select(list, rank, 1, &first, a);
    return h ? h[first] : UINT32_MAX;
}

/* packed_list_get_remove_by_rank_range (unordered). */
static int by_rank_range(aw_value *list, int64_t rtype, bool multi, bool modify, int64_t rank,
                         uint64_t count, bool *changed, aw_value *res, aw_arena *a) {
    int64_t rt = rtype & ~RT_INVERTED;
    bool inverted = (rtype & RT_INVERTED) != 0;
    if (inverted && !multi)
        return AW_ERR_OP_NOT_APPLICABLE;
    if (ordered(list)) /* ranks are indexes */
        return by_index_range(list, rtype, multi, modify, rank, count, changed, res, a);
    uint32_t n = list->len, at, cnt;
    if (!td_cdt_index_count(rank, count, n, multi, &at, &cnt))
        return AW_ERR_OP_NOT_APPLICABLE;
    uint32_t removed = inverted ? n - cnt : cnt;
    if (removed == 0)
        return not_found(rt, multi, at, res, a);
    if (inverted && is_rank_range(rt))
        return AW_ERR_OP_NOT_APPLICABLE;
    uint32_t first = 0;
    uint32_t *h = heap_select(list, at, cnt, &first, a);
    selection s = new_selection(list, rt, multi, a);
    if (!h || !s.mask)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < cnt; i++)
        s.mask[h[first + i]] = 1;
    for (uint32_t i = 0; inverted && i < n; i++)
        s.mask[i] = !s.mask[i];
    s.count = removed;
    int rc = AW_OK;
    switch (rt) {
    case RT_NONE: case RT_COUNT: case RT_EXISTS: case RT_RANK: case RT_REVERSE_RANK:
    case RT_RANK_RANGE: case RT_REVERSE_RANK_RANGE:
        rc = run_result(rt, inverted, multi, at, cnt, n, res, a);
        break;
    case RT_INDEX: case RT_REVERSE_INDEX: rc = mask_indexes(&s, res); break;
    case RT_VALUE:
        if (inverted) {
            rc = mask_values(&s, res);
        } else if (!multi) {
            *res = list->u.items[h[first]];
        } else { /* in the heap's order */
            aw_value *items = alloc_items(a, cnt);
            if (!items)
                return AW_ERR_SERVER_FULL;
            for (uint32_t i = 0; i < cnt; i++)
                items[i] = list->u.items[h[first + i]];
            *res = aw_value_list(items, cnt);
        }
        break;
    default: rc = AW_ERR_OP_NOT_APPLICABLE; break;
    }
    if (rc != AW_OK || !modify)
        return rc;
    *changed = true;
    return remove_selected(list, s.mask, a);
}

/* packed_list_get_remove_by_rel_rank_range: ranks counted from the rank
 * value would have (cdt.c calc_rel_index_count). */
static int by_rel_rank_range(aw_value *list, int64_t rtype, bool modify, const aw_value *value,
                             int64_t rank, uint64_t count, bool *changed, aw_value *res,
                             aw_arena *a) {
    uint32_t rel = td_list_rank(list, value);
    rank = rank > INT64_MAX - rel ? INT64_MAX : rank + rel;
    if (rank < 0) {
        uint64_t over = 0 - (uint64_t)rank;
        count = count > over ? count - over : 0;
        rank = 0;
    }
    if (ordered(list))
        return by_index_range(list, rtype, true, modify, rank, count, changed, res, a);
    return by_rank_range(list, rtype, true, modify, rank, count, changed, res, a);
}

/* The positions of values' items in value order (equal ones by position). */
static uint32_t *sorted_values(const aw_value *values, aw_arena *a) {
    uint32_t n = values->len;
    uint32_t *order = aw_arena_alloc(a, (n ? n : 1) * sizeof *order);
    if (!order)
        return NULL;
    for (uint32_t i = 0; i < n; i++) { /* insertion sort: stable */
        uint32_t j = i;
        while (j > 0 && td_list_value_cmp(&values->u.items[order[j - 1]], &values->u.items[i]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    return order;
}

/* packed_list_get_remove_all_by_value_list_ordered: per value (in the
 * order given) the run of its matches; not inverted, INDEX/RANK and VALUE
 * answer run by run, so a value given twice is answered twice. */
static int by_value_list_ordered(aw_value *list, int64_t rtype, bool modify,
                                 const aw_value *values, bool *changed, aw_value *res,
                                 aw_arena *a) {
    int64_t rt = rtype & ~RT_INVERTED;
    bool inverted = (rtype & RT_INVERTED) != 0;
    uint32_t n = list->len, nv = values->len, total = 0;
    uint32_t *runs = aw_arena_alloc(a, 2 * nv * sizeof *runs);
    selection s = new_selection(list, rt, true, a);
    if (!runs || !s.mask)
        return AW_ERR_SERVER_FULL;
    for (uint32_t j = 0; j < nv; j++) {
        ordered_value_run(list, &values->u.items[j], &values->u.items[j], true, true,
                          &runs[2 * j], &runs[2 * j + 1]);
        total += runs[2 * j + 1];
        for (uint32_t i = 0; i < runs[2 * j + 1]; i++)
            s.mask[runs[2 * j] + i] = 1;
    }
    for (uint32_t i = 0; i < n; i++) {
        s.mask[i] = s.mask[i] != inverted;
        s.count += s.mask[i];
    }
    int rc = AW_OK;
    switch (rt) {
    case RT_NONE: break;
    case RT_COUNT: *res = aw_value_int(s.count); break;
    case RT_EXISTS: *res = aw_value_bool(s.count != 0); break;
    case RT_INDEX: case RT_REVERSE_INDEX: case RT_RANK: case RT_REVERSE_RANK:
    case RT_VALUE: {
        if (inverted) {
            rc = rt == RT_VALUE ? mask_values(&s, res) : mask_indexes(&s, res);
            break;
        }
        bool rev = rt == RT_REVERSE_INDEX || rt == RT_REVERSE_RANK;
        aw_value *items = alloc_items(a, total);
        if (!items)
            return AW_ERR_SERVER_FULL;
        uint32_t k = 0;
        for (uint32_t j = 0; j < nv; j++) {
            if (rt != RT_VALUE) {
                td_cdt_add_run(items, &k, runs[2 * j], runs[2 * j + 1], n, rev);
                continue;
            }
            for (uint32_t i = 0; i < runs[2 * j + 1]; i++)
                items[k++] = list->u.items[runs[2 * j] + i];
        }
        *res = aw_value_list(items, k);
        break;
    }
    default: rc = AW_ERR_OP_NOT_APPLICABLE; break;
    }
    if (rc != AW_OK || !modify || s.count == 0)
        return rc;
    *changed = true;
    return remove_selected(list, s.mask, a);
}

/* packed_list_get_remove_all_by_value_list (unordered): the elements equal
 * to one of the values. RANK answers, per value (in the order given), the
 * run of ranks of its matches; INVERTED, the runs between them. */
static int by_value_list(aw_value *list, int64_t rtype, bool modify, const aw_value *values,
                         bool *changed, aw_value *res, aw_arena *a) {
    int64_t rt = rtype & ~RT_INVERTED;
    bool inverted = (rtype & RT_INVERTED) != 0;
    if (rt >= RT_INDEX_RANGE && rt <= RT_REVERSE_RANK_RANGE)
        return AW_ERR_OP_NOT_APPLICABLE;
    if (values->type != AW_LIST)
        return AW_ERR_REQUEST_INVALID;
    uint32_t n = list->len, nv = values->len;
    if (nv == 0) {
        if (!inverted)
            return not_found(rt, true, 0, res, a);
        return by_index_range(list, rt, true, modify, 0, n, changed, res, a);
    }
    if (ordered(list))
        return by_value_list_ordered(list, rtype, modify, values, changed, res, a);
    selection s = new_selection(list, rt, true, a);
    if (!s.mask)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < n; i++) {
        bool found = false;
        for (uint32_t j = 0; j < nv && !found; j++)
            found = td_list_value_cmp(&list->u.items[i], &values->u.items[j]) == 0;
        if (found != inverted) {
            s.mask[i] = 1;
            s.count++;
        }
    }
    int rc = AW_OK;
    switch (rt) {
    case RT_NONE: break;
    case RT_COUNT: *res = aw_value_int(s.count); break;
    case RT_EXISTS: *res = aw_value_bool(s.count != 0); break;
    case RT_INDEX: case RT_REVERSE_INDEX: rc = mask_indexes(&s, res); break;
    case RT_VALUE: rc = mask_values(&s, res); break;
    case RT_RANK: case RT_REVERSE_RANK: {
        bool rev = rt == RT_REVERSE_RANK;
        aw_value *items = alloc_items(a, s.count);
        uint32_t *order = sorted_values(values, a);
        if (!items || !order)
            return AW_ERR_SERVER_FULL;
        uint32_t k = 0, prev = 0;
        for (uint32_t j = 0; j < nv; j++) {
            const aw_value *v = &values->u.items[inverted ? order[j] : j];
            uint32_t below = td_list_rank(list, v), equal = 0;
            for (uint32_t i = 0; i < n; i++)
                equal += td_list_value_cmp(&list->u.items[i], v) == 0;
            if (equal == 0)
                continue;
            if (!inverted) { /* rank by rank (result_data_set_by_itemlist_irc) */
                for (uint32_t r = below; r < below + equal; r++)
                    td_cdt_add_run(items, &k, r, 1, n, rev);
            } else {
                td_cdt_add_run(items, &k, prev, below - prev, n, rev);
                prev = below + equal;
            }
        }
        if (inverted)
            td_cdt_add_run(items, &k, prev, n - prev, n, rev);
        *res = aw_value_list(items, k);
        break;
    }
    default: rc = AW_ERR_OP_NOT_APPLICABLE; break;
    }
    if (rc != AW_OK || !modify || s.count == 0)
        return rc;
    *changed = true;
    return remove_selected(list, s.mask, a);
}

static bool is_remove(int64_t code) {
    return (code >= AW_LIST_REMOVE_BY_INDEX && code <= AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE) ||
           code == AW_LIST_POP_RANGE || code == AW_LIST_REMOVE_RANGE || code == AW_LIST_TRIM;
}

bool td_list_select_code(int64_t code) {
    switch (code) {
    case AW_LIST_POP_RANGE: case AW_LIST_REMOVE_RANGE: case AW_LIST_TRIM: case AW_LIST_GET_RANGE:
    case AW_LIST_GET_BY_INDEX: case AW_LIST_GET_BY_INDEX_RANGE:
    case AW_LIST_REMOVE_BY_INDEX: case AW_LIST_REMOVE_BY_INDEX_RANGE:
    case AW_LIST_GET_BY_VALUE: case AW_LIST_GET_ALL_BY_VALUE: case AW_LIST_GET_BY_VALUE_LIST:
    case AW_LIST_GET_BY_VALUE_INTERVAL: case AW_LIST_GET_BY_RANK: case AW_LIST_GET_BY_RANK_RANGE:
    case AW_LIST_GET_BY_VALUE_REL_RANK_RANGE:
    case AW_LIST_REMOVE_BY_VALUE: case AW_LIST_REMOVE_ALL_BY_VALUE:
    case AW_LIST_REMOVE_BY_VALUE_LIST: case AW_LIST_REMOVE_BY_VALUE_INTERVAL:
    case AW_LIST_REMOVE_BY_RANK: case AW_LIST_REMOVE_BY_RANK_RANGE:
    case AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE:
        return true;
    default:
        return false;
    }
}

bool td_cdt_arg_int(const cdt_call *c, uint32_t i, int64_t *out) {
    if (i >= c->n_args || c->args[i].type != AW_INT)
        return false;
    *out = c->args[i].u.i;
    return true;
}

bool td_cdt_arg_count(const cdt_call *c, uint32_t i, uint64_t *out) {
    *out = UINT32_MAX;
    int64_t v;
    if (i >= c->n_args)
        return true;
    if (!td_cdt_arg_int(c, i, &v))
        return false;
    *out = (uint64_t)v;
    return true;
}

int td_list_select(aw_value *list, const cdt_call *c, bool *changed, aw_value *res,
                   aw_arena *a) {
    int64_t rt = 0, index = 0;
    uint64_t count = 1;
    bool modify = is_remove(c->code);
    switch (c->code) {
    case AW_LIST_POP_RANGE:
    case AW_LIST_REMOVE_RANGE:
    case AW_LIST_TRIM:
    case AW_LIST_GET_RANGE:
        if (!td_cdt_arg_int(c, 0, &index) || !td_cdt_arg_count(c, 1, &count))
            return AW_ERR_REQUEST_INVALID;
        rt = c->code == AW_LIST_TRIM           ? RT_COUNT | RT_INVERTED
             : c->code == AW_LIST_REMOVE_RANGE ? RT_COUNT
                                               : RT_VALUE;
        return by_index_range(list, rt, true, c->code != AW_LIST_GET_RANGE, index, count,
                              changed, res, a);
    case AW_LIST_GET_BY_INDEX:
    case AW_LIST_REMOVE_BY_INDEX:
        if (!td_cdt_arg_int(c, 0, &rt) || !td_cdt_arg_int(c, 1, &index))
            return AW_ERR_REQUEST_INVALID;
        return by_index_range(list, rt, false, modify, index, 1, changed, res, a);
    case AW_LIST_GET_BY_INDEX_RANGE:
    case AW_LIST_REMOVE_BY_INDEX_RANGE:
        if (!td_cdt_arg_int(c, 0, &rt) || !td_cdt_arg_int(c, 1, &index) ||
            !td_cdt_arg_count(c, 2, &count))
            return AW_ERR_REQUEST_INVALID;
        return by_index_range(list, rt, true, modify, index, count, changed, res, a);
    case AW_LIST_GET_BY_VALUE: case AW_LIST_GET_ALL_BY_VALUE:
    case AW_LIST_REMOVE_BY_VALUE: case AW_LIST_REMOVE_ALL_BY_VALUE:
        if (!td_cdt_arg_int(c, 0, &rt) || c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        return by_value_interval(list, rt,
                                 c->code == AW_LIST_GET_ALL_BY_VALUE ||
                                     c->code == AW_LIST_REMOVE_ALL_BY_VALUE,
                                 modify, &c->args[1], &c->args[1], true, changed, res, a);
    case AW_LIST_GET_BY_VALUE_INTERVAL:
    case AW_LIST_REMOVE_BY_VALUE_INTERVAL:
        if (!td_cdt_arg_int(c, 0, &rt) || c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        return by_value_interval(list, rt, true, modify, &c->args[1],
                                 c->n_args >= 3 ? &c->args[2] : NULL, false, changed, res, a);
    case AW_LIST_GET_BY_RANK:
    case AW_LIST_REMOVE_BY_RANK:
        if (!td_cdt_arg_int(c, 0, &rt) || !td_cdt_arg_int(c, 1, &index))
            return AW_ERR_REQUEST_INVALID;
        return by_rank_range(list, rt, false, modify, index, 1, changed, res, a);
    case AW_LIST_GET_BY_RANK_RANGE:
    case AW_LIST_REMOVE_BY_RANK_RANGE:
        if (!td_cdt_arg_int(c, 0, &rt) || !td_cdt_arg_int(c, 1, &index) ||
            !td_cdt_arg_count(c, 2, &count))
            return AW_ERR_REQUEST_INVALID;
        return by_rank_range(list, rt, true, modify, index, count, changed, res, a);
    case AW_LIST_GET_BY_VALUE_REL_RANK_RANGE:
    case AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE:
        if (!td_cdt_arg_int(c, 0, &rt) || c->n_args < 2 || !td_cdt_arg_int(c, 2, &index) ||
            !td_cdt_arg_count(c, 3, &count))
            return AW_ERR_REQUEST_INVALID;
        return by_rel_rank_range(list, rt, modify, &c->args[1], index, count, changed, res, a);
    case AW_LIST_GET_BY_VALUE_LIST:
    case AW_LIST_REMOVE_BY_VALUE_LIST:
        if (!td_cdt_arg_int(c, 0, &rt) || c->n_args < 2)
            return AW_ERR_REQUEST_INVALID;
        return by_value_list(list, rt, modify, &c->args[1], changed, res, a);
    default:
        return AW_ERR_REQUEST_INVALID;
    }
}
