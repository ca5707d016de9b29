/*
 * aerowire/info.h — what the cluster holds, from the nodes' info answers:
 * its namespaces and, per namespace, its sets with their counts and limits
 * (the server's `namespaces` and `sets/NS`). Secondary indexes are listed by
 * aw_index_list (query.h).
 */
#ifndef AEROWIRE_INFO_H
#define AEROWIRE_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "error.h"
#include "export.h"
#include "key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aw_namespace_name {
    char name[AW_NAMESPACE_MAX + 1];
} aw_namespace_name;

/* Every namespace some node serves (each node's `namespaces`, in the order
 * the nodes name them, each once): *out is allocated (aw_free), *n entries.
 * A node that does not answer fails the call with its code. */
AW_API int aw_namespaces(aw_client *client, aw_namespace_name **out, size_t *n, aw_error *err);

/* One set as the nodes' `sets/NS` describe it. Counts are summed over the
 * nodes, so a record counts once per copy (replication factor times, as
 * the server counts replicas on the node holding them); the configuration
 * is the first node's. */
typedef struct aw_set_info {
    char ns[AW_NAMESPACE_MAX + 1];
    char name[AW_SET_MAX + 1];
    uint64_t objects;
    uint64_t tombstones;
    uint64_t data_used_bytes;       /* data_used_bytes, or before 7.0 memory + device bytes */
    uint64_t truncate_lut;          /* the last truncate's cut-off, ms since 2010-01-01; 0: none (the latest of the nodes') */
    uint32_t sindexes;              /* indexes on the set */
    uint32_t nodes;                 /* nodes that listed the set */
    uint32_t default_ttl;           /* seconds; 0: the namespace's */
    uint64_t stop_writes_count;     /* 0: no limit */
    uint64_t stop_writes_size;      /* bytes; 0: no limit */
    bool index_populating;          /* on some node */
    bool truncating;                /* on some node */
    bool disable_eviction;
    bool enable_index;              /* the set index (not a secondary index) */
} aw_set_info;

/* The sets of namespace ns (NULL: of every namespace), as every node lists
 * them (`sets/NS`, `sets`), in the order the first node gives them:
 * *out is allocated (aw_free), *n entries. AW_ERR_NAMESPACE_NOT_FOUND when
 * no node knows ns; AW_ERR_PROTO for an answer that does not parse. */
AW_API int aw_sets(aw_client *client, const char *ns, aw_set_info **out, size_t *n,
                   aw_error *err);

#ifdef __cplusplus
}
#endif

#endif
