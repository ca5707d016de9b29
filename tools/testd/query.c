/* aw-testd's secondary-index queries (see query.h). */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "proto/particle.h"

/* sindex.h MAX_STRING_KSIZE, MAX_BLOB_KSIZE, MAX_GEOJSON_KSIZE. */
#define MAX_BYTES_KSIZE 2048
#define MAX_GEOJSON_KSIZE (1024 * 1024)

static uint32_t load_u32be(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* cf_hash_math.h cf_wyhash64 (wyhash final version 3, the server's seed):
 * the bval of a string or blob key (sindex.h as_sindex_string_to_bval). */
static uint64_t wymix(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t wyr8(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t wyr4(const uint8_t *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

static uint64_t wyhash64(const uint8_t *p, size_t len) {
    static const uint64_t secret[4] = {0xa0761d6478bd642full, 0xe7037ed1a0b428dbull,
                                       0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull};
    uint64_t seed = 0x29FBB14cc886full ^ secret[0];
    uint64_t a, b;
    if (len <= 16) {
        if (len >= 4) {
            a = wyr4(p) << 32 | wyr4(p + ((len >> 3) << 2));
            b = wyr4(p + len - 4) << 32 | wyr4(p + len - 4 - ((len >> 3) << 2));
        } else if (len > 0) {
            a = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = len;
        if (i > 48) {
            uint64_t see1 = seed, see2 = seed;
            do {
                seed = wymix(wyr8(p) ^ secret[1], wyr8(p + 8) ^ seed);
                see1 = wymix(wyr8(p + 16) ^ secret[2], wyr8(p + 24) ^ see1);
                see2 = wymix(wyr8(p + 32) ^ secret[3], wyr8(p + 40) ^ see2);
                p += 48;
                i -= 48;
            } while (i > 48);
            seed ^= see1 ^ see2;
        }
        while (i > 16) {
            seed = wymix(wyr8(p) ^ secret[1], wyr8(p + 8) ^ seed);
            i -= 16;
            p += 16;
        }
        a = wyr8(p + i - 16);
        b = wyr8(p + i - 8);
    }
    return wymix(secret[1] ^ len, wymix(a ^ secret[1], b ^ seed));
}

/* range_from_msg_integer / _string / _blob / _geojson. */
static int parse_value(uint8_t ktype, const uint8_t *p, uint32_t len, td_query *q) {
    if (ktype == AW_PT_INTEGER) {
        if (len < 24 || load_u32be(p) != 8 || load_u32be(p + 12) != 8)
            return AW_ERR_REQUEST_INVALID;
        q->start = (int64_t)aw_load_u64be(p + 4);
        q->end = (int64_t)aw_load_u64be(p + 16);
        if (q->start > q->end)
            return AW_ERR_REQUEST_INVALID;
        q->de_dup = q->start != q->end; /* isrange; the index type decides later */
        return AW_OK;
    }
    if (len < 4)
        return AW_ERR_REQUEST_INVALID;
    uint32_t n = load_u32be(p);
    bool geo = ktype == AW_PT_GEOJSON;
    if ((geo ? n == 0 || n >= MAX_GEOJSON_KSIZE : n >= MAX_BYTES_KSIZE) || len - 4 < n)
        return AW_ERR_REQUEST_INVALID;
    q->value = p + 4; /* only the begin value is read: the end repeats it */
    q->value_len = n;
    if (!geo) {
        q->start = q->end = (int64_t)wyhash64(p + 4, n);
        return AW_OK;
    }
    /* A region finds the points inside it, a point the regions holding it. */
    if (td_geo_parse((const char *)p + 4, n, &q->region) != TD_GEO_OK)
        return AW_ERR_UNSUPPORTED_FEATURE; /* GeoJSON aw-testd's reader does not take */
    q->geo = true;
    q->geo_within = q->region.kind != TD_GEO_POINT;
    q->de_dup = true; /* geo ranges are ranges */
    return AW_OK;
}

int td_query_range(const aw_msg_view *m, td_query *q) {
    memset(q, 0, sizeof *q);
    aw_field_view f;
    if (!aw_msg_find_field(m, AW_FIELD_INDEX_RANGE, &f))
        return AW_OK;
    const uint8_t *p = f.data;
    uint32_t len = f.len;
    if (len < 2 || p[0] != 1)
        return AW_ERR_REQUEST_INVALID;
    uint8_t bin_len = p[1];
    p += 2, len -= 2;
    bool named = aw_msg_find_field(m, AW_FIELD_INDEX_NAME, &f);
    bool by_exp = aw_msg_find_field(m, AW_FIELD_INDEX_EXPRESSION, &f);
    if ((bin_len == 0) != (named || by_exp) || bin_len > AW_BIN_NAME_MAX || len < bin_len + 1u)
        return AW_ERR_REQUEST_INVALID;
    p += bin_len, len -= bin_len;
    uint8_t ktype = p[0];
    if (ktype != AW_PT_INTEGER && ktype != AW_PT_STRING && ktype != AW_PT_BLOB &&
        ktype != AW_PT_GEOJSON)
        return AW_ERR_REQUEST_INVALID;
    q->ktype = ktype;
    int rc = parse_value(ktype, p + 1, len - 1, q);
    if (rc != AW_OK)
        return rc;
    /* get_index_type_field, get_index_expression_field,
     * get_index_context_field. */
    if (aw_msg_find_field(m, AW_FIELD_INDEX_TYPE, &f) && f.len == 0)
        return AW_ERR_REQUEST_INVALID;
    if (by_exp && (named || f.len == 0))
        return AW_ERR_REQUEST_INVALID;
    if (aw_msg_find_field(m, AW_FIELD_INDEX_CONTEXT, &f) && (named || by_exp || f.len == 0))
        return AW_ERR_REQUEST_INVALID;
    return AW_OK;
}

static bool same_bytes(const uint8_t *a, size_t an, const aw_field_view *f, bool has) {
    if (!has)
        return a == NULL;
    return a != NULL && an == f->len && memcmp(a, f->data, an) == 0;
}

/* sindex.c as_si_by_defn: bin, key type, index type, expression and
 * context all the query's, in the set given (NULL: a set-less index). */
static const td_sindex *by_definition(const td_sindex_set *s, const aw_msg_view *m,
                                      const char *set, uint32_t set_len) {
    aw_field_view range, itype_f, exp, ctx;
    aw_msg_find_field(m, AW_FIELD_INDEX_RANGE, &range);
    uint8_t bin_len = range.data[1];
    const char *bin = (const char *)range.data + 2;
    uint8_t ktype = range.data[2 + bin_len];
    uint8_t itype = aw_msg_find_field(m, AW_FIELD_INDEX_TYPE, &itype_f) ? itype_f.data[0] : 0;
    bool has_exp = aw_msg_find_field(m, AW_FIELD_INDEX_EXPRESSION, &exp);
    bool has_ctx = aw_msg_find_field(m, AW_FIELD_INDEX_CONTEXT, &ctx);
    for (size_t i = 0; i < TD_MAX_SINDEXES; i++) {
        const td_sindex *si = s->slot[i];
        if (si && strlen(si->set) == set_len && memcmp(si->set, set, set_len) == 0 &&
            strlen(si->bin) == bin_len && memcmp(si->bin, bin, bin_len) == 0 &&
            si->ktype == ktype && (uint8_t)si->itype == itype &&
            same_bytes(si->exp, si->exp_len, &exp, has_exp) &&
            same_bytes(si->ctx, si->ctx_len, &ctx, has_ctx))
            return si;
    }
    return NULL;
}

int td_query_find_index(const aw_msg_view *m, td_namespace *ns, const char *set, uint32_t set_len,
                        td_query *q) {
    aw_field_view f;
    const td_sindex_set *s = ns->sindexes;
    if (!s)
        return AW_ERR_INDEX_NOT_FOUND;
    if (aw_msg_find_field(m, AW_FIELD_INDEX_NAME, &f)) {
        char name[TD_SINDEX_NAME_MAX];
        snprintf(name, sizeof name, "%.*s", (int)f.len, (const char *)f.data);
        q->si = td_sindex_find(s, name);
    } else {
        q->si = by_definition(s, m, set, set_len);
        if (!q->si && set_len)
            q->si = by_definition(s, m, "", 0);
    }
    if (!q->si)
        return AW_ERR_INDEX_NOT_FOUND;
    q->de_dup = q->de_dup && q->si->itype != TD_SI_DEFAULT;
    return AW_OK;
}

/* Whether a key is in the query's range; -1 when aw-testd cannot tell. */
static int key_matches(const td_query *q, const td_sindex_key *k) {
    if (q->geo) {
        if (!q->geo_within)
            return 0; /* stored GeoJSON is points: no region holds the point */
        return td_geo_region_contains(&q->region, (uint64_t)k->i);
    }
    if (k->bytes)
        return k->len == q->value_len && memcmp(k->bytes, q->value, k->len) == 0;
    return k->i >= q->start && k->i <= q->end;
}

static uint8_t stub(const uint8_t *d) { return (uint8_t)((d[1] & 0xF0) | (d[2] >> 4)); }

static int tree_cmp(bool geo, int64_t b1, const uint8_t *d1, int64_t b2, const uint8_t *d2) {
    if (b1 != b2)
        return geo ? ((uint64_t)b1 < (uint64_t)b2 ? -1 : 1) : (b1 < b2 ? -1 : 1);
    if (stub(d1) != stub(d2))
        return stub(d1) < stub(d2) ? -1 : 1;
    return memcmp(d1, d2, AW_DIGEST_SIZE);
}

static int hit_cmp(const void *a, const void *b, void *geo) {
    const td_query_hit *x = a, *y = b;
    uint32_t px = aw_partition_id(x->rec->digest), py = aw_partition_id(y->rec->digest);
    if (px != py)
        return px < py ? -1 : 1;
    return tree_cmp(*(const bool *)geo, x->bval, x->rec->digest, y->bval, y->rec->digest);
}

bool td_query_after(const td_query *q, const td_query_hit *h, int64_t bval,
                    const uint8_t digest[AW_DIGEST_SIZE]) {
    return tree_cmp(q->geo, h->bval, h->rec->digest, bval, digest) > 0;
}

long td_query_hits(const td_query *q, const td_store *store, td_record *const *recs, long n,
                   bool (*skip)(const td_query_hit *h, void *ctx), void *skip_ctx,
                   td_query_hit **out) {
    td_query_hit *hits = NULL;
    size_t count = 0, cap = 0;
    *out = NULL;
    /* A value of another type than a named index's: the server walks the
     * tree with that value's bval and its re-check (record_matches_query)
     * or the bvals themselves find nothing. */
    if (q->ktype != q->si->ktype)
        return 0;
    for (long r = 0; r < n; r++) {
        td_sindex_key *keys;
        size_t nk;
        void *hold;
        int rc = td_sindex_keys(q->si, store, recs[r], &keys, &nk, &hold);
        if (rc != AW_OK) {
            free(hits);
            return rc == AW_ERR_UNSUPPORTED_FEATURE ? -AW_ERR_UNSUPPORTED_FEATURE : -1;
        }
        bool found = false;
        for (size_t i = 0; i < nk; i++) {
            int match = key_matches(q, &keys[i]);
            if (match < 0) {
                free(keys);
                free(hold);
                free(hits);
                return -AW_ERR_UNSUPPORTED_FEATURE;
            }
            if (!match)
                continue;
            int64_t bval = keys[i].bytes ? (int64_t)wyhash64(keys[i].bytes, keys[i].len)
                                         : keys[i].i;
            if (skip && skip(&(td_query_hit){recs[r], bval}, skip_ctx))
                continue;
            /* A record is found once per key; a range over a collection
             * index sends it once, at its first key in tree order. */
            if (found && q->de_dup) {
                td_query_hit *last = &hits[count - 1];
                if (tree_cmp(q->geo, bval, recs[r]->digest, last->bval, last->rec->digest) < 0)
                    last->bval = bval;
                continue;
            }
            if (count == cap) {
                size_t c = cap ? cap * 2 : 64;
                td_query_hit *grown = realloc(hits, c * sizeof *grown);
                if (!grown) {
                    free(keys);
                    free(hold);
                    free(hits);
                    return -1;
                }
                hits = grown;
                cap = c;
            }
            hits[count++] = (td_query_hit){recs[r], bval};
            found = true;
        }
        free(keys);
        free(hold);
    }
    bool geo = q->geo;
    if (count > 1)
        qsort_r(hits, count, sizeof *hits, hit_cmp, &geo);
    *out = hits;
    return (long)count;
}
