/* aw-testd's secondary indexes (see sindex.h). */
#include "sindex.h"

#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "exp.h"
#include "exp_geo.h"
#include "proto/arena.h"
#include "proto/msgpack.h"
#include "proto/particle.h"

/* The CDT context types an index context may use that aw-testd follows
 * (cdt.c AS_CDT_CTX_INDEX | LIST / MAP, AS_CDT_CTX_KEY | MAP). */
#define CTX_LIST_INDEX 0x10
#define CTX_MAP_INDEX 0x20
#define CTX_MAP_KEY 0x22

td_sindex *td_sindex_find(const td_sindex_set *s, const char *name) {
    for (size_t i = 0; i < TD_MAX_SINDEXES; i++)
        if (s->slot[i] && strcmp(s->slot[i]->name, name) == 0)
            return s->slot[i];
    return NULL;
}

void td_sindex_set_free(td_sindex_set *s) {
    for (size_t i = 0; i < TD_MAX_SINDEXES; i++) {
        td_sindex *si = s->slot[i];
        if (!si)
            continue;
        free(si->ctx_b64);
        free(si->exp_b64);
        free(si->ctx);
        free(si->exp);
        free(si->smd_key);
        free(si);
        s->slot[i] = NULL;
    }
}

static bool same_value(const aw_value *a, const aw_value *b) {
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case AW_INT:
        return a->u.i == b->u.i;
    case AW_STR:
    case AW_BLOB:
        return a->len == b->len && memcmp(a->u.bytes, b->u.bytes, a->len) == 0;
    default:
        return false;
    }
}

/* One step of the context (cdt.c cdt_context_read): a list index or a map
 * index (negative from the end) or a map key. false when the step finds
 * nothing (the record gives no key); *unserved for a step aw-testd does not
 * follow. */
static bool ctx_step(aw_value *v, int64_t type, const aw_value *arg, bool *unserved) {
    if (type == CTX_LIST_INDEX || type == CTX_MAP_INDEX) {
        bool list = type == CTX_LIST_INDEX;
        if (v->type != (list ? AW_LIST : AW_MAP) || arg->type != AW_INT)
            return false;
        int64_t n = v->len, i = arg->u.i < 0 ? arg->u.i + n : arg->u.i;
        if (i < 0 || i >= n)
            return false;
        /* Map index order is key order: unordered maps would need sorting. */
        if (!list) {
            *unserved = true;
            return false;
        }
        *v = v->u.items[i];
        return true;
    }
    if (type == CTX_MAP_KEY) {
        if (v->type != AW_MAP)
            return false;
        for (uint32_t k = 0; k < v->len; k++)
            if (same_value(&v->u.items[2 * k], arg)) {
                *v = v->u.items[2 * k + 1];
                return true;
            }
        return false;
    }
    *unserved = true;
    return false;
}

/* The value an index reads from a record: the expression's result, or the
 * bin (through the context). false when there is none. */
static int source_value(const td_sindex *si, const td_store *store, const td_record *rec,
                        aw_value *v, aw_arena *a, bool *found) {
    *found = false;
    if (si->exp) {
        td_exp *e;
        int rc = td_exp_build(si->exp, si->exp_len, a, &e);
        if (rc != AW_OK)
            return rc == AW_ERR_REQUEST_INVALID ? AW_ERR_UNSUPPORTED_FEATURE : rc;
        td_exp_ctx ex = {.store = store, .rec = rec, .meta = rec,
                         .stored_size = td_exp_stored_size(rec)};
        bool unknown;
        rc = td_exp_eval(e, &ex, v, &unknown, a);
        td_exp_free(e);
        *found = rc == AW_OK && !unknown;
        return rc;
    }
    td_bin *b = td_bin_find((td_record *)rec, si->bin, strlen(si->bin));
    if (!b)
        return AW_OK;
    if (aw_particle_read(b->ptype, b->data, b->len, v, a, NULL) != AW_OK)
        return AW_OK; /* not a value an index reads */
    if (si->ctx) {
        aw_value ctx;
        if (aw_msgpack_read(si->ctx, si->ctx_len, &ctx, a, NULL, NULL) != AW_OK ||
            ctx.type != AW_LIST)
            return AW_ERR_UNSUPPORTED_FEATURE;
        bool unserved = false;
        for (uint32_t i = 0; i + 1 < ctx.len; i += 2) {
            if (ctx.u.items[i].type != AW_INT)
                return AW_ERR_UNSUPPORTED_FEATURE;
            if (!ctx_step(v, ctx.u.items[i].u.i, &ctx.u.items[i + 1], &unserved))
                return unserved ? AW_ERR_UNSUPPORTED_FEATURE : AW_OK;
        }
    }
    *found = true;
    return AW_OK;
}

/* A value of the index's key type as a key; false for any other value. */
static int as_key(const td_sindex *si, const aw_value *v, td_sindex_key *k, bool *ok) {
    *ok = false;
    memset(k, 0, sizeof *k);
    switch (si->ktype) {
    case AW_PT_INTEGER:
        if (v->type == AW_INT)
            k->i = v->u.i, *ok = true;
        return AW_OK;
    case AW_PT_STRING:
    case AW_PT_BLOB:
        if (v->type == (si->ktype == AW_PT_STRING ? AW_STR : AW_BLOB))
            k->bytes = v->u.bytes, k->len = v->len, *ok = true;
        return AW_OK;
    case AW_PT_GEOJSON: {
        if (v->type != AW_GEOJSON)
            return AW_OK;
        td_geo g;
        /* Stored GeoJSON is a point (regions are refused on write); an
         * expression's region would need S2's region coverer. */
        if (td_geo_parse(v->u.str, v->len, &g) != TD_GEO_OK || g.kind != TD_GEO_POINT)
            return AW_ERR_UNSUPPORTED_FEATURE;
        k->i = (int64_t)td_geo_cell_id(g.lng, g.lat);
        *ok = true;
        return AW_OK;
    }
    default:
        return AW_OK;
    }
}

static int key_cmp(const td_sindex_key *a, const td_sindex_key *b) {
    if (!a->bytes)
        return a->i < b->i ? -1 : a->i > b->i;
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->bytes, b->bytes, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int key_qsort_cmp(const void *a, const void *b) { return key_cmp(a, b); }

/* Sorts and drops repeats: a record holds a key once. */
static size_t unique(td_sindex_key *k, size_t n) {
    if (n < 2)
        return n;
    qsort(k, n, sizeof *k, key_qsort_cmp);
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (key_cmp(&k[i], &k[m - 1]) != 0)
            k[m++] = k[i];
    return m;
}

/* Copies the key bytes out of the arena into one block the caller frees. */
static int detach(td_sindex_key *k, size_t n, void **hold) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += k[i].len;
    *hold = NULL;
    if (total == 0)
        return AW_OK;
    uint8_t *p = malloc(total);
    if (!p)
        return AW_ERR_SERVER_FULL;
    *hold = p;
    for (size_t i = 0; i < n; i++)
        if (k[i].bytes) {
            memcpy(p, k[i].bytes, k[i].len);
            k[i].bytes = p;
            p += k[i].len;
        }
    return AW_OK;
}

int td_sindex_keys(const td_sindex *si, const td_store *store, const td_record *rec,
                   td_sindex_key **keys, size_t *n, void **hold) {
    *keys = NULL;
    *n = 0;
    *hold = NULL;
    if (si->set[0] && strcmp(si->set, rec->set) != 0)
        return AW_OK;
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value v;
    bool found;
    int rc = source_value(si, store, rec, &v, &a, &found);
    const aw_value *items = &v;
    size_t count = found ? 1 : 0, step = 1;
    if (rc == AW_OK && found && si->itype != TD_SI_DEFAULT) {
        bool list = si->itype == TD_SI_LIST;
        if (v.type != (list ? AW_LIST : AW_MAP)) {
            count = 0;
        } else {
            items = list ? v.u.items : v.u.items + (si->itype == TD_SI_MAPVALUES);
            count = v.len;
            step = list ? 1 : 2;
        }
    }
    td_sindex_key *k = rc == AW_OK && count ? malloc(count * sizeof *k) : NULL;
    if (rc == AW_OK && count && !k)
        rc = AW_ERR_SERVER_FULL;
    size_t m = 0;
    for (size_t i = 0; rc == AW_OK && i < count; i++) {
        bool ok;
        rc = as_key(si, &items[i * step], &k[m], &ok);
        m += ok;
    }
    if (rc == AW_OK) {
        m = unique(k, m);
        rc = detach(k, m, hold);
    }
    aw_arena_free(&a);
    if (rc != AW_OK) {
        free(k);
        return rc;
    }
    *keys = k;
    *n = m;
    return AW_OK;
}

static uint64_t round_fraction(uint64_t n, uint64_t d) {
    return d == 0 ? 0 : (uint64_t)((double)n / (double)d + 0.5); /* sindex_tree.c */
}

/* keys_per_bval and keys_per_rec (sindex_tree.c, from HyperLogLog estimates
 * of the distinct bvals and records, exact for the small sets aw-testd
 * holds): the keys are collected, then the distinct ones counted. */
int td_sindex_stats_of(const td_sindex *si, const td_store *store, td_namespace *ns,
                       td_sindex_stats *out) {
    memset(out, 0, sizeof *out);
    static bool all[AW_PARTITIONS];
    for (size_t p = 0; p < AW_PARTITIONS; p++)
        all[p] = true;
    td_record **recs;
    long n = td_store_partition_walk(ns, all, td_store_now(store), NULL, &recs);
    if (n < 0)
        return AW_ERR_SERVER_FULL;
    td_sindex_key *every = NULL;
    void **holds = calloc((size_t)n + 1, sizeof *holds);
    size_t total = 0, cap = 0, n_recs = 0;
    int rc = holds ? AW_OK : AW_ERR_SERVER_FULL;
    for (long r = 0; rc == AW_OK && r < n; r++) {
        td_sindex_key *k;
        size_t m;
        rc = td_sindex_keys(si, store, recs[r], &k, &m, &holds[r]);
        if (rc != AW_OK)
            break;
        if (total + m > cap) {
            size_t c = (total + m) * 2;
            td_sindex_key *grown = realloc(every, c * sizeof *grown);
            if (!grown) {
                free(k);
                rc = AW_ERR_SERVER_FULL;
                break;
            }
            every = grown;
            cap = c;
        }
        if (m)
            memcpy(every + total, k, m * sizeof *k);
        total += m;
        n_recs += m > 0;
        free(k);
    }
    if (rc == AW_OK) {
        out->entries = total;
        out->per_bval = round_fraction(total, unique(every, total));
        out->per_rec = round_fraction(total, n_recs);
    }
    for (long r = 0; holds && r < n; r++)
        free(holds[r]);
    free(holds);
    free(every);
    free(recs);
    return rc;
}
