/*
 * Partition tables from the nodes' `replicas` answers (§10.4). Pure: no
 * sockets, no locks, so the merge rules are tested on their own.
 */
#ifndef AW_CLUSTER_PARTITION_MAP_H
#define AW_CLUSTER_PARTITION_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"

/* Namespaces one node may announce (the server allows 32). */
#define AW_PMAP_MAX_NAMESPACES 64

/* One node's last accepted `replicas` answer. */
typedef struct aw_pmap_source {
    aw_node *node;
    const aw_replicas_ns *maps;
    size_t n_maps;
    uint64_t seq;       /* order the answers were accepted in: later wins a tie */
} aw_pmap_source;

/* Parses a `replicas` value into a new array (*out, aw_free) of *n entries. */
int aw_pmap_parse(const char *v, size_t len, aw_replicas_ns **out, size_t *n, aw_error *err);

/* Builds one table per namespace any source serves, from scratch: a node's
 * claim on (partition, replica) applies only when its regime is at least
 * the partition's highest regime seen, and among equal regimes the claim
 * accepted last wins. A partition nobody claims stays NULL. *tables is a new
 * array (free with aw_pmap_free). */
int aw_pmap_build(const aw_pmap_source *src, size_t n_src, aw_partition_table ***tables,
                  size_t *n_tables, aw_error *err);
void aw_pmap_free(aw_partition_table **tables, size_t n_tables);

/* True when node is named anywhere in the tables. */
bool aw_pmap_mentions(aw_partition_table *const *tables, size_t n_tables, const aw_node *node);

#endif
