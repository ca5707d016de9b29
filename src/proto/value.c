/* The value model: constructors, deep copy, free, equality (aerowire/value.h). */
#include "aerowire/value.h"

#include <string.h>

#include "aerowire/error.h"
#include "mem.h"
#include "msgpack.h" /* AW_MSGPACK_MAX_DEPTH: deeper values cannot travel anyway */

aw_value aw_value_str(const char *s) {
    return s ? aw_value_strn(s, strlen(s)) : aw_value_strn("", 0);
}

aw_value aw_value_geojson(const char *json) {
    aw_value v = aw_value_str(json);
    v.type = AW_GEOJSON;
    return v;
}

static bool is_coll(const aw_value *v) { return v->type == AW_LIST || v->type == AW_MAP; }
static bool is_bytes(const aw_value *v) {
    return v->type == AW_STR || v->type == AW_GEOJSON || v->type == AW_BLOB;
}
/* Item slots: a map keeps key and value side by side. */
static size_t item_count(const aw_value *v) {
    return (size_t)v->len * (v->type == AW_MAP ? 2 : 1);
}

static int coll_alloc(aw_value *out, uint8_t type, size_t n, size_t slots) {
    *out = aw_value_nil();
    if (n > AW_VALUE_MAX_LEN)
        return AW_ERR_PARAM;
    aw_value *items = NULL;
    if (slots) {
        items = aw_calloc(slots, sizeof *items); /* zero bytes = nil items */
        if (!items)
            return AW_ERR_NOMEM;
    }
    out->type = type;
    out->owned = 1;
    out->len = (uint32_t)n;
    out->u.items = items;
    return AW_OK;
}

int aw_value_list_alloc(aw_value *out, size_t n) { return coll_alloc(out, AW_LIST, n, n); }

int aw_value_map_alloc(aw_value *out, size_t n_entries) {
    return coll_alloc(out, AW_MAP, n_entries, n_entries * 2); /* n_entries checked first */
}

/* Owned copy of n bytes with a NUL after them (so copied text is a C string). */
static int bytes_dup(aw_value *out, uint8_t type, uint8_t subtype, const void *p, size_t n) {
    *out = aw_value_nil();
    if (n > AW_VALUE_MAX_LEN || (n && !p))
        return AW_ERR_PARAM;
    char *copy = aw_malloc(n + 1);
    if (!copy)
        return AW_ERR_NOMEM;
    if (n)
        memcpy(copy, p, n);
    copy[n] = '\0';
    out->type = type;
    out->subtype = subtype;
    out->owned = 1;
    out->len = (uint32_t)n;
    out->u.str = copy;
    return AW_OK;
}

int aw_value_str_dup(aw_value *out, const char *s, size_t n) {
    return bytes_dup(out, AW_STR, 0, s, n);
}

int aw_value_blob_dup(aw_value *out, const void *p, size_t n) {
    return bytes_dup(out, AW_BLOB, AW_PARTICLE_BLOB, p, n);
}

static int dup_value(aw_value *out, const aw_value *src, int depth) {
    switch (src->type) {
    case AW_NIL:
    case AW_INT:
    case AW_FLOAT:
    case AW_BOOL:
        *out = *src;
        out->owned = 0;
        return AW_OK;
    case AW_STR:
    case AW_GEOJSON:
    case AW_BLOB:
        return bytes_dup(out, src->type, src->subtype, src->u.bytes, src->len);
    case AW_LIST:
    case AW_MAP:
        break;
    default:
        *out = aw_value_nil();
        return AW_ERR_PARAM;
    }
    *out = aw_value_nil();
    if (depth >= AW_MSGPACK_MAX_DEPTH || (src->len && !src->u.items))
        return AW_ERR_PARAM; /* too deep (or a cycle), or a broken value */
    aw_value copy;
    size_t slots = item_count(src);
    int rc = coll_alloc(&copy, src->type, src->len, slots);
    if (rc)
        return rc;
    copy.subtype = src->subtype;
    for (size_t i = 0; i < slots; i++) {
        rc = dup_value(&copy.u.items[i], &src->u.items[i], depth + 1);
        if (rc) {
            aw_value_free(&copy); /* the items not yet copied are nil */
            return rc;
        }
    }
    *out = copy;
    return AW_OK;
}

int aw_value_dup(aw_value *out, const aw_value *src) {
    aw_value copy; /* out may be src */
    int rc = dup_value(&copy, src, 0);
    *out = copy;
    return rc;
}

static bool owns_items(const aw_value *v) { return v->owned && is_coll(v); }

static void free_storage(aw_value *v) {
    if (v->owned && (is_bytes(v) || is_coll(v)))
        aw_free((void *)v->u.bytes);
}

/*
 * Frees an owned tree without recursion (a user may nest owned lists as deep
 * as memory allows) and without allocating. Item arrays are emptied from the
 * end. Descending into a child array, its slot 0 becomes the link back to the
 * parent (array, items left, whether the parent has a link slot itself), and
 * the item that was in slot 0 moves into the parent's slot, to be freed when
 * the walk comes back there.
 */
void aw_value_free(aw_value *v) {
    if (!v)
        return;
    if (!owns_items(v) || item_count(v) == 0) {
        free_storage(v);
        *v = aw_value_nil();
        return;
    }
    aw_value *cur = v->u.items;
    uint64_t n = item_count(v); /* slots of cur still to free: [floor, n) */
    uint8_t floor = 0;          /* 1 when cur[0] is a link */
    *v = aw_value_nil();
    for (;;) {
        if (n > floor) {
            aw_value *it = &cur[n - 1];
            if (owns_items(it) && item_count(it) > 0) {
                aw_value *child = it->u.items;
                uint64_t child_n = item_count(it);
                *it = child[0];
                child[0] = aw_value_nil();
                child[0].subtype = floor;
                child[0].reserved = (uint8_t)(n >> 32); /* n < 2^33 (2 * AW_VALUE_MAX_LEN) */
                child[0].len = (uint32_t)n;
                child[0].u.items = cur;
                cur = child;
                n = child_n;
                floor = 1;
                continue;
            }
            free_storage(it);
            n--;
            continue;
        }
        if (!floor) {
            aw_free(cur);
            return;
        }
        aw_value link = cur[0];
        aw_free(cur);
        cur = link.u.items;
        n = (uint64_t)link.reserved << 32 | link.len;
        floor = link.subtype;
    }
}

static bool equal_at(const aw_value *a, const aw_value *b, int depth) {
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case AW_NIL:
        return a->subtype == b->subtype;
    case AW_INT:
        return a->u.i == b->u.i;
    case AW_FLOAT:
        return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    case AW_BOOL:
        return !a->u.b == !b->u.b;
    case AW_BLOB:
    case AW_STR:
    case AW_GEOJSON:
        if (a->len != b->len || (a->type == AW_BLOB && a->subtype != b->subtype))
            return false;
        return a->len == 0 || memcmp(a->u.bytes, b->u.bytes, a->len) == 0;
    case AW_LIST:
    case AW_MAP:
        break;
    default:
        return false;
    }
    if (a->len != b->len || a->subtype != b->subtype)
        return false;
    if (depth >= AW_MSGPACK_MAX_DEPTH)
        return false; /* no such value can be encoded; also stops cycles */
    size_t slots = item_count(a);
    for (size_t i = 0; i < slots; i++)
        if (!equal_at(&a->u.items[i], &b->u.items[i], depth + 1))
            return false;
    return true;
}

bool aw_value_equal(const aw_value *a, const aw_value *b) {
    if (!a || !b)
        return a == b;
    return equal_at(a, b, 0);
}

const aw_value *aw_map_get_str(const aw_value *map, const char *key) {
    if (!map || !key || map->type != AW_MAP || !map->u.items)
        return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < map->len; i++) {
        const aw_value *k = &map->u.items[2 * (size_t)i];
        if (k->type == AW_STR && k->len == n && (n == 0 || memcmp(k->u.str, key, n) == 0))
            return &map->u.items[2 * (size_t)i + 1];
    }
    return NULL;
}
