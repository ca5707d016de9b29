/*
 * Racks (rack-aware clients, §10.3 step 6): which rack each node is on per
 * namespace, from its `rack-ids` answer, and the lookup the router uses.
 * Pure: no sockets, no locks.
 */
#ifndef AW_CLUSTER_RACKS_H
#define AW_CLUSTER_RACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster.h"

/* One "ns:rack" item of a node's `rack-ids` answer. */
typedef struct aw_ns_rack {
    char ns[AW_NAMESPACE_MAX + 1];
    int32_t rack;
} aw_ns_rack;

/* Parses `rack-ids` ("ns1:rack1;ns2:rack2", as the official C client reads
 * it) into a new array (*out, aw_free; NULL when empty) of *n entries.
 * AW_ERR_PROTO naming the item for a namespace of 0 or more than 31 bytes
 * or a rack that is not a decimal integer. */
int aw_racks_parse(const char *v, size_t len, aw_ns_rack **out, size_t *n, aw_error *err);

/* One node's racks, as the tend last read them. */
typedef struct aw_racks_source {
    aw_node *node;
    const aw_ns_rack *racks;
    size_t n_racks;
} aw_racks_source;

/* Gives each table the racks of the nodes serving its namespace
 * (table->racks, freed by aw_pmap_free). */
int aw_racks_attach(aw_partition_table **tables, size_t n_tables, const aw_racks_source *src,
                    size_t n_src, aw_error *err);

/* True when the table knows node to be on rack. */
bool aw_racks_node_on(const aw_partition_table *t, const aw_node *node, int32_t rack);

#endif
