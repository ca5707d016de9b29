/* aw-testd's in-memory record store (see store.h). */
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aerowire/record.h"
#include "proto/buf.h"
#include "proto/particle.h"
#include "sindex.h"

static uint32_t wall_now(void) {
    return (uint32_t)((int64_t)time(NULL) - (int64_t)AW_CITRUSLEAF_EPOCH);
}

uint32_t td_store_now(const td_store *s) {
    return (uint32_t)((s->clock_frozen ? s->clock_frozen_at : wall_now()) + s->clock_offset);
}

uint64_t td_store_now_ms(const td_store *s) {
    uint64_t ms;
    if (s->clock_frozen) {
        ms = (uint64_t)s->clock_frozen_at * 1000;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ms = ((uint64_t)ts.tv_sec - AW_CITRUSLEAF_EPOCH) * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    }
    return ms + (uint64_t)(s->clock_offset * 1000);
}

void td_store_clock(td_store *s, uint32_t advance, int freeze) {
    s->clock_offset += advance;
    if (freeze > 0 && !s->clock_frozen) {
        s->clock_frozen = true;
        s->clock_frozen_at = wall_now();
    } else if (freeze == 0 && s->clock_frozen) {
        /* Run on from the time it stood at. */
        s->clock_offset += (int64_t)s->clock_frozen_at - (int64_t)wall_now();
        s->clock_frozen = false;
    }
}

static int ns_init(td_namespace *ns, const char *name, size_t len, uint32_t default_ttl) {
    memset(ns, 0, sizeof *ns);
    if (len == 0 || len > AW_NAMESPACE_MAX)
        return -1;
    memcpy(ns->name, name, len);
    ns->default_ttl = default_ttl;
    ns->n_buckets = AW_PARTITIONS;
    ns->buckets = calloc(ns->n_buckets, sizeof *ns->buckets);
    return ns->buckets ? 0 : -1;
}

int td_store_init(td_store *s, const char *ns_list, uint32_t default_ttl, uint32_t max_record_size) {
    memset(s, 0, sizeof *s);
    s->max_record_size = max_record_size;
    size_t n = 1;
    for (const char *p = ns_list; *p; p++)
        n += *p == ',';
    s->ns = calloc(n, sizeof *s->ns);
    if (!s->ns)
        return -1;
    const char *p = ns_list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (ns_init(&s->ns[s->n_ns], p, len, default_ttl) != 0) {
            td_store_free(s);
            return -1;
        }
        s->n_ns++;
        p += len + (comma != NULL);
    }
    return s->n_ns ? 0 : -1;
}

void td_record_release(td_record *r) {
    td_record_clear_bins(r);
    free(r->bins);
    free(r->key);
    r->bins = NULL;
    r->cap_bins = 0;
    r->key = NULL;
    r->key_len = 0;
    r->key_ptype = 0;
}

void td_store_free(td_store *s) {
    for (size_t i = 0; i < s->n_ns; i++) {
        td_namespace *ns = &s->ns[i];
        for (size_t b = 0; b < ns->n_buckets; b++) {
            td_record *r = ns->buckets[b];
            while (r) {
                td_record *next = r->next;
                td_record_release(r);
                free(r);
                r = next;
            }
        }
        free(ns->buckets);
        if (ns->sindexes)
            td_sindex_set_free(ns->sindexes);
        free(ns->sindexes);
    }
    free(s->ns);
    memset(s, 0, sizeof *s);
}

td_namespace *td_store_ns(td_store *s, const char *name, size_t len) {
    for (size_t i = 0; i < s->n_ns; i++)
        if (strlen(s->ns[i].name) == len && memcmp(s->ns[i].name, name, len) == 0)
            return &s->ns[i];
    return NULL;
}

/* A table of n buckets (4096 times a power of two) keeps each partition's
 * records in buckets of their own, n / 4096 of them from pid * n / 4096, so
 * a walk of some partitions reads only theirs. Digests are uniform: their
 * bytes 8..15 make a fine hash within the partition. */
static size_t bucket_in(size_t n, const uint8_t *digest) {
    size_t per_pid = n / AW_PARTITIONS;
    uint64_t h;
    memcpy(&h, digest + 8, sizeof h);
    return aw_partition_id(digest) * per_pid + (size_t)(h & (per_pid - 1));
}

static size_t bucket_of(const td_namespace *ns, const uint8_t *digest) {
    return bucket_in(ns->n_buckets, digest);
}

static void grow(td_namespace *ns) {
    size_t n = ns->n_buckets * 2;
    td_record **b = calloc(n, sizeof *b);
    if (!b)
        return; /* keep the old table: slower, still correct */
    for (size_t i = 0; i < ns->n_buckets; i++) {
        td_record *r = ns->buckets[i];
        while (r) {
            td_record *next = r->next;
            size_t j = bucket_in(n, r->digest);
            r->next = b[j];
            b[j] = r;
            r = next;
        }
    }
    free(ns->buckets);
    ns->buckets = b;
    ns->n_buckets = n;
}

td_record *td_record_get(td_namespace *ns, const uint8_t *digest, uint32_t now) {
    td_record *r = ns->buckets[bucket_of(ns, digest)];
    while (r && memcmp(r->digest, digest, AW_DIGEST_SIZE) != 0)
        r = r->next;
    if (r && r->void_time && r->void_time < now) {
        td_record_remove(ns, digest);
        return NULL;
    }
    return r;
}

td_record *td_record_create(td_namespace *ns, const uint8_t *digest) {
    if (ns->n_records >= ns->n_buckets)
        grow(ns);
    td_record *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    memcpy(r->digest, digest, AW_DIGEST_SIZE);
    size_t b = bucket_of(ns, digest);
    r->next = ns->buckets[b];
    ns->buckets[b] = r;
    ns->n_records++;
    return r;
}

/* Unlinks the record *pp points at from its chain and frees it. */
static void unlink_record(td_namespace *ns, td_record **pp) {
    td_record *r = *pp;
    *pp = r->next;
    td_record_release(r);
    free(r);
    ns->n_records--;
}

void td_record_remove(td_namespace *ns, const uint8_t *digest) {
    td_record **pp = &ns->buckets[bucket_of(ns, digest)];
    while (*pp && memcmp((*pp)->digest, digest, AW_DIGEST_SIZE) != 0)
        pp = &(*pp)->next;
    if (*pp)
        unlink_record(ns, pp);
}

/* Partition ascending, then digest descending. */
static int scan_order(const void *a, const void *b) {
    const td_record *x = *(td_record *const *)a, *y = *(td_record *const *)b;
    uint32_t px = aw_partition_id(x->digest), py = aw_partition_id(y->digest);
    if (px != py)
        return px < py ? -1 : 1;
    return -memcmp(x->digest, y->digest, AW_DIGEST_SIZE);
}

long td_store_partition_walk(td_namespace *ns, const bool want[AW_PARTITIONS], uint32_t now,
                             const char *set, td_record ***out) {
    *out = NULL;
    size_t n = 0, cap = 0;
    td_record **list = NULL;
    size_t per_pid = ns->n_buckets / AW_PARTITIONS;
    for (size_t b = 0; b < ns->n_buckets; b++) {
        if (!want[b / per_pid]) {
            b += per_pid - 1; /* the partition's other buckets too */
            continue;
        }
        for (td_record *r = ns->buckets[b]; r; r = r->next) {
            if (r->void_time && r->void_time < now)
                continue; /* expired (as_record_is_doomed) */
            if (set && strcmp(r->set, set) != 0)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                td_record **grown = realloc(list, cap * sizeof *grown);
                if (!grown) {
                    free(list);
                    return -1;
                }
                list = grown;
            }
            list[n++] = r;
        }
    }
    if (n > 1)
        qsort(list, n, sizeof *list, scan_order);
    *out = list;
    return (long)n;
}

uint64_t td_store_truncate(td_store *s, td_namespace *ns, const char *set, uint64_t lut_ms) {
    bool to_now = lut_ms == 0;
    if (!set) {
        uint64_t lut = to_now ? td_store_now_ms(s) : lut_ms;
        if (lut > ns->truncate_lut_ms)
            ns->truncate_lut_ms = lut;
    }
    uint64_t removed = 0;
    for (size_t b = 0; b < ns->n_buckets; b++) {
        td_record **pp = &ns->buckets[b];
        while (*pp) {
            td_record *r = *pp;
            bool hit = (!set || strcmp(r->set, set) == 0) && (to_now || r->last_update_ms < lut_ms);
            if (!hit) {
                pp = &r->next;
                continue;
            }
            unlink_record(ns, pp);
            removed++;
        }
    }
    return removed;
}

td_bin *td_bin_find(td_record *r, const char *name, size_t len) {
    for (uint32_t i = 0; i < r->n_bins; i++)
        if (r->bins[i].name_len == len && memcmp(r->bins[i].name, name, len) == 0)
            return &r->bins[i];
    return NULL;
}

int td_bin_set(td_record *r, const char *name, size_t len, uint8_t ptype, const uint8_t *data,
               uint32_t data_len) {
    if (len > AW_BIN_NAME_MAX)
        return -1;
    uint8_t *copy = malloc(data_len ? data_len : 1);
    if (!copy)
        return -1;
    if (data_len)
        memcpy(copy, data, data_len);
    td_bin *b = td_bin_find(r, name, len);
    if (!b) {
        if (r->n_bins == r->cap_bins) {
            uint32_t cap = r->cap_bins ? r->cap_bins * 2 : 4;
            td_bin *nb = realloc(r->bins, cap * sizeof *nb);
            if (!nb) {
                free(copy);
                return -1;
            }
            r->bins = nb;
            r->cap_bins = cap;
        }
        b = &r->bins[r->n_bins++];
        memset(b, 0, sizeof *b);
        memcpy(b->name, name, len);
        b->name_len = (uint8_t)len;
    } else {
        free(b->data);
    }
    b->ptype = ptype;
    b->len = data_len;
    b->data = copy;
    return 0;
}

void td_bin_delete(td_record *r, const char *name, size_t len) {
    td_bin *b = td_bin_find(r, name, len);
    if (!b)
        return;
    free(b->data);
    /* The server moves its last bin into the hole (datamodel.h as_bin_remove),
     * so a later read-all lists the bins in that order. */
    r->n_bins--;
    if (b != &r->bins[r->n_bins])
        *b = r->bins[r->n_bins];
}

void td_record_clear_bins(td_record *r) {
    for (uint32_t i = 0; i < r->n_bins; i++)
        free(r->bins[i].data);
    r->n_bins = 0;
}

/* Bytes of a "uintvar" (the server's cf/include/bits.h uintvar_size). */
static size_t uintvar_size(uint32_t v) {
    return v < (1u << 7) ? 1 : v < (1u << 14) ? 2 : v < (1u << 21) ? 3 : v < (1u << 28) ? 4 : 5;
}

/* A particle's flat size: type byte, then for integers a size byte and the
 * value in 1, 2, 4 or 8 bytes (by magnitude); floats 8 bytes; bools 1 byte;
 * everything else (strings, blobs, lists, maps, ...) a u32 size and the bytes. */
static size_t particle_flat_size(const td_bin *b) {
    switch (b->ptype) {
    case AW_PT_INTEGER: {
        uint64_t v = b->len == 8 ? aw_load_u64be(b->data) : 0;
        return 2 + (v > 0xFFFFFFFFu ? 8 : v > 0xFFFFu ? 4 : v > 0xFFu ? 2 : 1);
    }
    case AW_PT_FLOAT:
        return 1 + 8;
    case AW_PT_BOOL:
        return 1 + 1;
    default:
        return 1 + 4 + (size_t)b->len;
    }
}

size_t td_record_size(const td_record *r) {
    size_t n = 35; /* sizeof(as_flat_record) */
    if (r->void_time)
        n += 4;
    size_t set_len = strlen(r->set);
    if (set_len)
        n += 1 + set_len;
    if (r->key_ptype) {
        size_t key_size = 1 + (size_t)r->key_len; /* the KEY field: type byte + value */
        n += uintvar_size((uint32_t)key_size) + key_size;
    }
    if (r->n_bins)
        n += uintvar_size(r->n_bins);
    for (uint32_t i = 0; i < r->n_bins; i++)
        n += 1 + r->bins[i].name_len + particle_flat_size(&r->bins[i]);
    return n + 4; /* END_MARK_SZ */
}

int td_record_copy(td_record *dst, const td_record *src) {
    memset(dst, 0, sizeof *dst);
    memcpy(dst->digest, src->digest, AW_DIGEST_SIZE);
    memcpy(dst->set, src->set, sizeof dst->set);
    dst->gen = src->gen;
    dst->void_time = src->void_time;
    dst->key_ptype = src->key_ptype;
    if (src->key_len) {
        dst->key = malloc(src->key_len);
        if (!dst->key)
            return -1;
        memcpy(dst->key, src->key, src->key_len);
        dst->key_len = src->key_len;
    }
    for (uint32_t i = 0; i < src->n_bins; i++) {
        const td_bin *b = &src->bins[i];
        if (td_bin_set(dst, b->name, b->name_len, b->ptype, b->data, b->len) != 0) {
            td_record_release(dst);
            return -1;
        }
    }
    return 0;
}
