/* `namespaces` and `sets` answers (set_info.h). */
#include "set_info.h"

#include <string.h>

#include "info.h"
#include "mem.h"

/* Room for one more item of size `size` in *items (cap doubling). */
static bool grow(void **items, size_t n, size_t *cap, size_t size) {
    if (n < *cap)
        return true;
    size_t want = *cap ? 2 * *cap : 8;
    void *p = aw_realloc(*items, want * size);
    if (!p)
        return false;
    *items = p;
    *cap = want;
    return true;
}

static bool copy_name(char *dst, size_t cap, const char *v, size_t n) {
    if (n == 0 || n >= cap)
        return false;
    memcpy(dst, v, n);
    dst[n] = '\0';
    return true;
}

int aw_namespaces_parse(const char *v, size_t len, aw_ns_list *list, aw_error *err) {
    int rc = aw_info_error_value(v, len, err);
    if (rc != AW_OK)
        return rc;
    size_t pos = 0;
    while (pos < len) {
        const char *name = v + pos;
        const char *semi = memchr(name, ';', len - pos);
        size_t n = semi ? (size_t)(semi - name) : len - pos;
        pos += n + 1;
        if (n == 0)
            continue;
        aw_namespace_name one;
        if (!copy_name(one.name, sizeof one.name, name, n))
            return aw_error_set(err, AW_ERR_PROTO, "namespaces: '%.*s' is no namespace name",
                                (int)(n > 60 ? 60 : n), name);
        bool seen = false;
        for (size_t i = 0; i < list->n && !seen; i++)
            seen = strcmp(list->items[i].name, one.name) == 0;
        if (seen)
            continue;
        if (!grow((void **)&list->items, list->n, &list->cap, sizeof one))
            return aw_error_set(err, AW_ERR_NOMEM, "out of memory for the namespaces");
        list->items[list->n++] = one;
    }
    return AW_OK;
}

/* The keys of a sets entry with a number, and where it goes. */
typedef enum { SUM, MAX, FIRST } merge_rule;

static const struct {
    const char *key;
    size_t offset;
    size_t width;   /* 4 or 8 */
    merge_rule rule;
} NUMBERS[] = {
    {"objects", offsetof(aw_set_info, objects), 8, SUM},
    {"tombstones", offsetof(aw_set_info, tombstones), 8, SUM},
    {"data_used_bytes", offsetof(aw_set_info, data_used_bytes), 8, SUM},
    {"memory_data_bytes", offsetof(aw_set_info, data_used_bytes), 8, SUM},  /* before 7.0 */
    {"device_data_bytes", offsetof(aw_set_info, data_used_bytes), 8, SUM},  /* before 7.0 */
    {"truncate_lut", offsetof(aw_set_info, truncate_lut), 8, MAX},
    {"sindexes", offsetof(aw_set_info, sindexes), 4, FIRST},
    {"default-ttl", offsetof(aw_set_info, default_ttl), 4, FIRST},
    {"stop-writes-count", offsetof(aw_set_info, stop_writes_count), 8, FIRST},
    {"stop-writes-size", offsetof(aw_set_info, stop_writes_size), 8, FIRST},
};

static const struct {
    const char *key;
    size_t offset;
    bool any;       /* true on some node (state), else the first node's (configuration) */
} FLAGS[] = {
    {"index_populating", offsetof(aw_set_info, index_populating), true},
    {"truncating", offsetof(aw_set_info, truncating), true},
    {"disable-eviction", offsetof(aw_set_info, disable_eviction), false},
    {"enable-index", offsetof(aw_set_info, enable_index), false},
};

static void add_number(aw_set_info *s, size_t k, uint64_t x, bool first_node) {
    unsigned char *at = (unsigned char *)s + NUMBERS[k].offset;
    uint64_t old = 0;
    if (NUMBERS[k].width == 4) {
        uint32_t o;
        memcpy(&o, at, 4);
        old = o;
    } else {
        memcpy(&old, at, 8);
    }
    uint64_t v = NUMBERS[k].rule == SUM   ? old + x
                 : NUMBERS[k].rule == MAX ? (x > old ? x : old)
                 : first_node             ? x
                                          : old;
    if (NUMBERS[k].width == 4) {
        uint32_t w = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
        memcpy(at, &w, 4);
    } else {
        memcpy(at, &v, 8);
    }
}

/* One entry e[0..len) merged into list. */
static int parse_set(const char *e, size_t len, aw_set_list *list, aw_error *err) {
    const char *ns, *name;
    size_t ns_len, name_len;
    aw_set_info key;
    memset(&key, 0, sizeof key);
    if (!aw_info_item(e, len, ':', "ns", &ns, &ns_len) ||
        !aw_info_item(e, len, ':', "set", &name, &name_len) ||
        !copy_name(key.ns, sizeof key.ns, ns, ns_len) ||
        !copy_name(key.name, sizeof key.name, name, name_len))
        return aw_error_set(err, AW_ERR_PROTO, "sets: no ns and set name in '%.60s'", e);
    aw_set_info *s = NULL;
    for (size_t i = 0; i < list->n && !s; i++)
        if (strcmp(list->items[i].ns, key.ns) == 0 && strcmp(list->items[i].name, key.name) == 0)
            s = &list->items[i];
    if (!s) {
        if (!grow((void **)&list->items, list->n, &list->cap, sizeof key))
            return aw_error_set(err, AW_ERR_NOMEM, "out of memory for the sets");
        s = &list->items[list->n++];
        *s = key;
    }
    bool first_node = s->nodes++ == 0;
    for (size_t k = 0; k < sizeof NUMBERS / sizeof NUMBERS[0]; k++) {
        const char *v;
        size_t n;
        uint64_t x;
        if (!aw_info_item(e, len, ':', NUMBERS[k].key, &v, &n))
            continue;
        if (!aw_info_u64(v, n, &x))
            return aw_error_set(err, AW_ERR_PROTO, "sets: %s of %s/%s is '%.*s', not a count",
                                NUMBERS[k].key, s->ns, s->name, (int)(n > 30 ? 30 : n), v);
        add_number(s, k, x, first_node);
    }
    for (size_t k = 0; k < sizeof FLAGS / sizeof FLAGS[0]; k++) {
        const char *v;
        size_t n;
        if (!aw_info_item(e, len, ':', FLAGS[k].key, &v, &n))
            continue;
        bool on = n == 4 && memcmp(v, "true", 4) == 0;
        bool *at = (bool *)((unsigned char *)s + FLAGS[k].offset);
        if (FLAGS[k].any)
            *at = *at || on;
        else if (first_node)
            *at = on;
    }
    return AW_OK;
}

int aw_sets_parse(const char *v, size_t len, aw_set_list *list, bool *known, aw_error *err) {
    *known = true;
    int rc = aw_info_error_value(v, len, err);
    if (rc != AW_OK)
        return rc;
    const char *t;
    size_t tn;
    if (aw_info_item(v, len, ';', "ns_type", &t, &tn) && tn == 7 && memcmp(t, "unknown", 7) == 0) {
        *known = false;
        return AW_OK;
    }
    size_t pos = 0;
    while (pos < len) {
        const char *e = v + pos;
        const char *semi = memchr(e, ';', len - pos);
        size_t n = semi ? (size_t)(semi - e) : len - pos;
        pos += n + 1;
        if (n > 0 && (rc = parse_set(e, n, list, err)) != AW_OK)
            return rc;
    }
    return AW_OK;
}
