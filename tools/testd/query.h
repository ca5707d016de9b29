/*
 * aw-testd's secondary-index queries: the where clause of a scan/query
 * request (INDEX_RANGE and the fields that pick the index), the index it
 * names, and the records it finds in a partition in the order the server's
 * index tree gives them (S8.1.2 query/query.c, sindex/sindex_tree.c).
 */
#ifndef TD_QUERY_H
#define TD_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/key.h"
#include "exp_geo.h"
#include "proto/msg.h"
#include "sindex.h"
#include "store.h"

typedef struct td_query {
    const td_sindex *si;
    uint8_t ktype;         /* the query value's particle type */
    bool geo;              /* GeoJSON index: bvals compare unsigned */
    bool geo_within;       /* points inside `region` (else regions containing a point) */
    td_geo region;
    int64_t start, end;    /* integer range (inclusive); a string / blob's hash */
    const uint8_t *value;  /* string / blob equality: the bytes */
    uint32_t value_len;
    bool de_dup;           /* a range over a collection index: each record once */
} td_query;

/* query.c get_query_range_and_def then find_sindex: reads the where clause
 * of m and finds its index among ns's (by INDEX_NAME, else by definition:
 * the query's set first, then a set-less index). Returns AW_OK, 4 for a
 * malformed clause, 201 when no index matches, 16 for a region aw-testd
 * does not read (td_query_range: the clause; td_query_find_index: the
 * index, after the checks the server makes between the two). */
int td_query_range(const aw_msg_view *m, td_query *q);
int td_query_find_index(const aw_msg_view *m, td_namespace *ns, const char *set, uint32_t set_len,
                        td_query *q);

/* One record the query finds, under the bval it was found by. */
typedef struct td_query_hit {
    td_record *rec;
    int64_t bval;
} td_query_hit;

/* The hits among recs (a partition walk), sorted by partition, then as the
 * index tree holds them: bval (unsigned for geo), the digest's stub
 * (sindex_tree.h get_keyd_stub), the digest. A key `skip` rejects (a resume
 * point not passed yet) is not a hit; a record found by several keys of a
 * range over a collection index is a hit once, at its first key. *out is
 * malloc'd; returns the count, -1 when out of memory, or -16 when a
 * record's keys need what aw-testd cannot compute. */
long td_query_hits(const td_query *q, const td_store *store, td_record *const *recs, long n,
                   bool (*skip)(const td_query_hit *h, void *ctx), void *skip_ctx,
                   td_query_hit **out);

/* Whether a hit comes after a resume point (bval, digest) of its partition:
 * the tree's explicit start key is exclusive (sindex_tree.c btree_reduce). */
bool td_query_after(const td_query *q, const td_query_hit *h, int64_t bval,
                    const uint8_t digest[AW_DIGEST_SIZE]);

#endif
