/*
 * aw-testd's secondary indexes: the definitions a namespace holds (S8.1.2
 * sindex/sindex_manager.c keeps them in SMD, one list for the cluster) and
 * the keys a definition takes from a record. aw-testd keeps no index trees:
 * what an index holds is read off the live records when it is asked, so it
 * follows writes, deletes, expiry and truncate by construction.
 */
#ifndef TD_SINDEX_H
#define TD_SINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* sindex.h MAX_N_SINDEXES. */
#define TD_MAX_SINDEXES 256
/* INAME_MAX_SZ: names are shorter. */
#define TD_SINDEX_NAME_MAX 64

/* as_sindex_type, in the server's order (as_sindex_type_names). */
typedef enum td_sindex_itype {
    TD_SI_DEFAULT,
    TD_SI_LIST,
    TD_SI_MAPKEYS,
    TD_SI_MAPVALUES,
} td_sindex_itype;

typedef struct td_sindex {
    char name[TD_SINDEX_NAME_MAX];
    char set[AW_SET_MAX + 1];     /* "" for the whole namespace */
    char bin[AW_BIN_NAME_MAX + 1]; /* "" for an expression index */
    td_sindex_itype itype;
    uint8_t ktype;                /* AW_PT_INTEGER, _STRING, _BLOB or _GEOJSON */
    char *ctx_b64, *exp_b64;      /* as sent; NULL when absent */
    uint8_t *ctx, *exp;           /* decoded */
    size_t ctx_len, exp_len;
    char *smd_key;                /* the definition (sindex_manager.c build_smd_key) */
} td_sindex;

/* The namespace's indexes: slots of TD_MAX_SINDEXES, NULL when free. */
typedef struct td_sindex_set {
    td_sindex *slot[TD_MAX_SINDEXES];
} td_sindex_set;

td_sindex *td_sindex_find(const td_sindex_set *s, const char *name);
void td_sindex_set_free(td_sindex_set *s);

/* One key an index takes from a record: an integer (numeric), the bytes of
 * a string or blob, or a GeoJSON point's S2 cell id (in `i`). */
typedef struct td_sindex_key {
    int64_t i;
    const uint8_t *bytes; /* string / blob; NULL otherwise */
    uint32_t len;
} td_sindex_key;

/* The distinct keys index si takes from rec (none when the record is in
 * another set, lacks the bin or holds another type), as the server's
 * sindex.c builds them on a write. *keys is malloc'd, *n its count; the
 * bytes point into rec's bins or into *hold (malloc'd, free it too).
 * Returns AW_OK, 16 for what aw-testd cannot compute, AW_ERR_SERVER_FULL. */
int td_sindex_keys(const td_sindex *si, const td_store *store, const td_record *rec,
                   td_sindex_key **keys, size_t *n, void **hold);

/* sindex-stat's figures over the live records of ns. */
typedef struct td_sindex_stats {
    uint64_t entries, per_bval, per_rec;
} td_sindex_stats;
int td_sindex_stats_of(const td_sindex *si, const td_store *store, td_namespace *ns,
                       td_sindex_stats *out);

#endif
