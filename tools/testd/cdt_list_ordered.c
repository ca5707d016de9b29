/*
 * aw-testd: the write ops of ordered lists (list flag 0x01: kept sorted in
 * the server's value order). As particle_list.c does it: append and
 * append-items insert each value after the values equal to it
 * (packed_list_add_ordered, packed_list_add_items_ordered), increment
 * moves the changed element to its new place (packed_list_replace_ordered),
 * set-type sorts a list it makes ordered (list_set_flags), and sort only
 * drops duplicates (list_sort).
 */
#include "cdt_list.h"

#include <string.h>

#include "aerowire/error.h"

/* List write flags (proto.h as_cdt_list_modify_flags). */
#define ADD_UNIQUE 0x01
#define NO_FAIL 0x04
#define PARTIAL 0x08

static bool no_fail(int64_t flags) { return (flags & NO_FAIL) != 0; }
static bool partial(int64_t flags) { return (flags & (NO_FAIL | PARTIAL)) == (NO_FAIL | PARTIAL); }

/* How many elements are <= v: where v goes after its equals. */
static uint32_t upper_bound(const aw_value *list, const aw_value *v) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < list->len; i++)
        if (td_list_value_cmp(&list->u.items[i], v) <= 0)
            n++;
    return n;
}

/* A copy of the list's items with room for `extra` more. */
static aw_value *copy_with_room(const aw_value *list, uint32_t extra, aw_arena *a) {
    size_t n = (size_t)list->len + extra;
    aw_value *items = aw_arena_alloc(a, (n ? n : 1) * sizeof *items);
    if (items && list->len)
        memcpy(items, list->u.items, list->len * sizeof *items);
    return items;
}

static void insert_at(aw_value *items, uint32_t *len, uint32_t at, const aw_value *v) {
    memmove(items + at + 1, items + at, (*len - at) * sizeof *items);
    items[at] = *v;
    (*len)++;
}

/* Sorts n values in place (insertion sort: equal values stay in order). */
static void sort_values(aw_value *v, uint32_t n, int dir) {
    for (uint32_t i = 1; i < n; i++) {
        aw_value x = v[i];
        uint32_t j = i;
        for (; j > 0 && dir * td_list_value_cmp(&v[j - 1], &x) > 0; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

int td_list_add_ordered(aw_value *list, const aw_value *vals, uint32_t n_vals, bool items,
                        int64_t flags, bool *changed, aw_value *res, aw_arena *a) {
    *res = aw_value_int(list->len);
    if (n_vals == 0)
        return AW_OK;
    bool unique = (flags & ADD_UNIQUE) != 0;
    aw_value *sorted = aw_arena_alloc(a, n_vals * sizeof *sorted);
    aw_value *out = copy_with_room(list, n_vals, a);
    if (!sorted || !out)
        return AW_ERR_SERVER_FULL;
    memcpy(sorted, vals, n_vals * sizeof *sorted);
    uint32_t n_add = n_vals;
    if (items) {
        sort_values(sorted, n_vals, 1);
        if (unique) { /* order_index_sorted_mark_dup_eles over the items */
            uint32_t k = 1;
            for (uint32_t i = 1; i < n_vals; i++)
                if (td_list_value_cmp(&sorted[k - 1], &sorted[i]) != 0)
                    sorted[k++] = sorted[i];
            if (k != n_vals) {
                if (!no_fail(flags))
                    return AW_ERR_OP_NOT_APPLICABLE;
                if (!partial(flags))
                    return AW_OK;
            }
            n_add = k;
        }
    }
    /* Every value finds its place in the list as it was; equal places keep
     * the values' sorted order. */
    uint32_t len = list->len, added = 0;
    for (uint32_t i = 0; i < n_add; i++) {
        uint32_t at = upper_bound(list, &sorted[i]);
        bool found = at > 0 && td_list_value_cmp(&list->u.items[at - 1], &sorted[i]) == 0;
        if (unique && found) {
            if (items && partial(flags))
                continue;
            return no_fail(flags) ? AW_OK : AW_ERR_FAIL_ELEMENT_EXISTS;
        }
        insert_at(out, &len, at + added, &sorted[i]);
        added++;
    }
    if (added == 0)
        return AW_OK;
    list->u.items = out;
    list->len = len;
    *changed = true;
    *res = aw_value_int(len);
    return AW_OK;
}

int td_list_replace_ordered(aw_value *list, uint32_t index, const aw_value *v, int64_t flags,
                            bool *changed, aw_arena *a) {
    uint32_t n = list->len;
    if (index > n)
        return AW_ERR_OP_NOT_APPLICABLE; /* no padding in an ordered list */
    uint32_t rank = td_list_rank(list, v);
    bool found = rank < n && td_list_value_cmp(&list->u.items[rank], v) == 0;
    if ((flags & ADD_UNIQUE) && found) {
        if (rank == index)
            return AW_OK; /* replacing a value by itself */
        return no_fail(flags) ? AW_OK : AW_ERR_FAIL_ELEMENT_EXISTS;
    }
    aw_value *out = copy_with_room(list, 1, a);
    if (!out)
        return AW_ERR_SERVER_FULL;
    /* v goes before the element at `rank` of the list as it was, and the
     * element at `index` goes. */
    uint32_t k = 0;
    for (uint32_t i = 0; i <= n; i++) {
        if (i == rank)
            out[k++] = *v;
        if (i < n && i != index)
            out[k++] = list->u.items[i];
    }
    list->u.items = out;
    list->len = k;
    *changed = true;
    return AW_OK;
}

int td_list_sort(aw_value *list, int64_t flags, bool *changed, aw_arena *a) {
    if (list->len <= 1)
        return AW_OK;
    aw_value *v = copy_with_room(list, 0, a);
    if (!v)
        return AW_ERR_SERVER_FULL;
    bool ordered = (list->subtype & TD_LIST_ORDERED) != 0;
    if (!ordered) /* an ordered list stays as it is, descending or not */
        sort_values(v, list->len, flags & TD_SORT_DESCENDING ? -1 : 1);
    uint32_t len = list->len;
    if (flags & TD_SORT_DROP_DUPLICATES) {
        /* cdt.c order_index_sorted_mark_dup_eles expects ascending order:
         * descending with distinct values is PARAMETER. */
        uint32_t k = 1;
        for (uint32_t i = 1; i < len; i++) {
            int order = td_list_value_cmp(&v[i - 1], &v[i]);
            if (order > 0)
                return AW_ERR_REQUEST_INVALID;
            if (order < 0)
                v[k++] = v[i];
        }
        len = k;
    }
    list->u.items = v;
    list->len = len;
    *changed = true;
    return AW_OK;
}

int td_list_drop_persist(int64_t *type) {
    if (!(*type & TD_LIST_PERSIST_INDEX))
        return AW_OK;
    if (!(*type & TD_LIST_ORDERED))
        return AW_ERR_UNSUPPORTED_FEATURE; /* unordered: crashes CE 8.1.2.0, no answer to copy */
    *type &= ~(int64_t)TD_LIST_PERSIST_INDEX;
    return AW_OK;
}

int td_list_set_type(aw_value *list, int64_t type, bool *changed, aw_arena *a) {
    if (type & ~(int64_t)(TD_LIST_ORDERED | TD_LIST_PERSIST_INDEX))
        return AW_ERR_OP_NOT_APPLICABLE; /* cdt_check_flags */
    int rc = td_list_drop_persist(&type);
    if (rc != AW_OK)
        return rc;
    *changed = true; /* a missing bin becomes an empty list, even when flags match */
    if (type == list->subtype)
        return AW_OK;
    if (type & TD_LIST_ORDERED) {
        aw_value *v = copy_with_room(list, 0, a);
        if (!v)
            return AW_ERR_SERVER_FULL;
        sort_values(v, list->len, 1);
        list->u.items = v;
    }
    list->subtype = (uint8_t)type;
    return AW_OK;
}
