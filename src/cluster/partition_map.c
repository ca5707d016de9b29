/*
 * Partition tables, rebuilt from every node's latest bitmaps each time any
 * of them changes: patching the previous table would leave a partition
 * pointing at a node that stopped claiming it.
 */
#include "partition_map.h"

#include <stdlib.h>
#include <string.h>

#include "proto/mem.h"

int aw_pmap_parse(const char *v, size_t len, aw_replicas_ns **out, size_t *n, aw_error *err) {
    *out = NULL;
    *n = 0;
    aw_replicas_ns *tmp = aw_calloc(AW_PMAP_MAX_NAMESPACES, sizeof *tmp);
    if (!tmp)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory to parse a partition map");
    size_t k = 0;
    int rc = aw_info_parse_replicas(v, len, tmp, AW_PMAP_MAX_NAMESPACES, &k, err);
    if (rc == AW_OK && k > 0) {
        *out = aw_malloc(k * sizeof **out);
        if (*out) {
            memcpy(*out, tmp, k * sizeof **out);
            *n = k;
        } else {
            rc = aw_error_set(err, AW_ERR_NOMEM, "no memory for a partition map");
        }
    }
    aw_free(tmp);
    return rc;
}

void aw_pmap_free(aw_partition_table **tables, size_t n_tables) {
    for (size_t i = 0; i < n_tables; i++) {
        aw_free(tables[i]->racks);
        aw_free(tables[i]);
    }
    aw_free(tables);
}

/* Sources in the order their answers were accepted (stable for equal seq). */
static int by_seq(const void *a, const void *b) {
    const aw_pmap_source *x = *(const aw_pmap_source *const *)a;
    const aw_pmap_source *y = *(const aw_pmap_source *const *)b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x < y ? -1 : x > y;
}

static aw_partition_table *find_table(aw_partition_table **t, size_t n, const char *ns) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i]->ns, ns) == 0)
            return t[i];
    return NULL;
}

/* Applies one node's claims for one namespace; regimes[p] is the highest
 * regime applied so far for partition p. */
static void apply_claims(aw_partition_table *t, uint32_t *regimes, aw_node *node,
                         const aw_replicas_ns *r) {
    if (r->n_replicas > t->n_replicas)
        t->n_replicas = r->n_replicas;
    if (r->regime != 0)
        t->strong_consistency = true;
    for (uint32_t p = 0; p < AW_PARTITIONS; p++) {
        if (r->regime < regimes[p])
            continue;
        bool claimed = false;
        for (unsigned col = 0; col < r->n_replicas; col++) {
            if (aw_replicas_owns(r, col, p)) {
                t->owners[col][p] = node;
                claimed = true;
            }
        }
        if (claimed && r->regime > regimes[p])
            regimes[p] = r->regime;
    }
}

int aw_pmap_build(const aw_pmap_source *src, size_t n_src, aw_partition_table ***tables,
                  size_t *n_tables, aw_error *err) {
    *tables = NULL;
    *n_tables = 0;
    size_t cap = 0;
    for (size_t i = 0; i < n_src; i++)
        cap += src[i].n_maps;
    const aw_pmap_source **order = aw_calloc(n_src ? n_src : 1, sizeof *order);
    aw_partition_table **t = aw_calloc(cap ? cap : 1, sizeof *t);
    uint32_t *regimes = aw_calloc(cap ? cap : 1, AW_PARTITIONS * sizeof *regimes);
    if (!order || !t || !regimes) {
        aw_free(order);
        aw_free(t);
        aw_free(regimes);
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for partition tables");
    }
    for (size_t i = 0; i < n_src; i++)
        order[i] = &src[i];
    qsort(order, n_src, sizeof *order, by_seq);

    size_t n = 0;
    int rc = AW_OK;
    for (size_t i = 0; i < n_src && rc == AW_OK; i++) {
        for (size_t j = 0; j < order[i]->n_maps; j++) {
            const aw_replicas_ns *r = &order[i]->maps[j];
            aw_partition_table *tab = find_table(t, n, r->ns);
            if (!tab) {
                tab = aw_calloc(1, sizeof *tab);
                if (!tab) {
                    rc = aw_error_set(err, AW_ERR_NOMEM, "no memory for partition tables");
                    break;
                }
                memcpy(tab->ns, r->ns, sizeof tab->ns);
                tab->n_replicas = 1;
                t[n++] = tab;
            }
            size_t idx = 0;
            while (t[idx] != tab)
                idx++;
            apply_claims(tab, regimes + idx * AW_PARTITIONS, order[i]->node, r);
        }
    }
    aw_free(order);
    aw_free(regimes);
    if (rc != AW_OK) {
        aw_pmap_free(t, n);
        return rc;
    }
    *tables = t;
    *n_tables = n;
    return AW_OK;
}

bool aw_pmap_mentions(aw_partition_table *const *tables, size_t n_tables, const aw_node *node) {
    for (size_t i = 0; i < n_tables; i++)
        for (unsigned r = 0; r < tables[i]->n_replicas; r++)
            for (uint32_t p = 0; p < AW_PARTITIONS; p++)
                if (tables[i]->owners[r][p] == node)
                    return true;
    return false;
}
