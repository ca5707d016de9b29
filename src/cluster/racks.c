/* Racks per node and namespace, parsed from `rack-ids`, kept with each table. */
#include "racks.h"

#include <stdlib.h>
#include <string.h>

#include "proto/mem.h"

static int parse_item(const char *item, size_t len, aw_ns_rack *out, aw_error *err) {
    const char *colon = memchr(item, ':', len);
    size_t ns_len = colon ? (size_t)(colon - item) : 0;
    if (!colon || ns_len == 0 || ns_len > AW_NAMESPACE_MAX)
        return aw_error_set(err, AW_ERR_PROTO, "rack-ids: bad item '%.*s'", (int)len, item);
    int64_t rack;
    aw_error ignored;
    const char *digits = colon + 1;
    size_t n_digits = len - ns_len - 1;
    if (aw_info_parse_int(digits, n_digits, &rack, &ignored) != AW_OK || rack < INT32_MIN ||
        rack > INT32_MAX)
        return aw_error_set(err, AW_ERR_PROTO, "rack-ids: bad rack in '%.*s'", (int)len, item);
    memcpy(out->ns, item, ns_len);
    out->ns[ns_len] = '\0';
    out->rack = (int32_t)rack;
    return AW_OK;
}

int aw_racks_parse(const char *v, size_t len, aw_ns_rack **out, size_t *n, aw_error *err) {
    *out = NULL;
    *n = 0;
    while (len && (v[len - 1] == ';' || v[len - 1] == '\n'))
        len--;
    if (len == 0)
        return AW_OK;
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += v[i] == ';';
    aw_ns_rack *r = aw_calloc(cap, sizeof *r);
    if (!r)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a rack list");
    size_t k = 0;
    for (size_t at = 0; at < len;) {
        const char *semi = memchr(v + at, ';', len - at);
        size_t item_len = semi ? (size_t)(semi - (v + at)) : len - at;
        int rc = parse_item(v + at, item_len, &r[k++], err);
        if (rc != AW_OK) {
            aw_free(r);
            return rc;
        }
        at += item_len + 1;
    }
    *out = r;
    *n = k;
    return AW_OK;
}

int aw_racks_attach(aw_partition_table **tables, size_t n_tables, const aw_racks_source *src,
                    size_t n_src, aw_error *err) {
    for (size_t t = 0; t < n_tables; t++) {
        aw_partition_table *tab = tables[t];
        size_t n = 0;
        for (size_t i = 0; i < n_src; i++)
            for (size_t j = 0; j < src[i].n_racks; j++)
                n += strcmp(src[i].racks[j].ns, tab->ns) == 0;
        if (n == 0)
            continue;
        tab->racks = aw_calloc(n, sizeof *tab->racks);
        if (!tab->racks)
            return aw_error_set(err, AW_ERR_NOMEM, "no memory for rack tables");
        for (size_t i = 0; i < n_src; i++)
            for (size_t j = 0; j < src[i].n_racks; j++)
                if (strcmp(src[i].racks[j].ns, tab->ns) == 0)
                    tab->racks[tab->n_racks++] =
                        (aw_node_rack){.node = src[i].node, .rack = src[i].racks[j].rack};
    }
    return AW_OK;
}

bool aw_racks_node_on(const aw_partition_table *t, const aw_node *node, int32_t rack) {
    for (size_t i = 0; i < t->n_racks; i++)
        if (t->racks[i].node == node)
            return t->racks[i].rack == rack;
    return false;
}
