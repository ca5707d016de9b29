/* aw-testd's in-memory record store (see store.h). */
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aerowire/record.h"

uint32_t td_now(void) {
    return (uint32_t)((uint64_t)time(NULL) - AW_CITRUSLEAF_EPOCH);
}

static int ns_init(td_namespace *ns, const char *name, size_t len, uint32_t default_ttl) {
    memset(ns, 0, sizeof *ns);
    if (len == 0 || len > AW_NAMESPACE_MAX)
        return -1;
    memcpy(ns->name, name, len);
    ns->default_ttl = default_ttl;
    ns->n_buckets = 1024;
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

/* Digests are uniform: their bytes 8..15 make a fine hash. */
static size_t bucket_of(const td_namespace *ns, const uint8_t *digest) {
    uint64_t h;
    memcpy(&h, digest + 8, sizeof h);
    return (size_t)(h & (ns->n_buckets - 1));
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
            uint64_t h;
            memcpy(&h, r->digest + 8, sizeof h);
            size_t j = (size_t)(h & (n - 1));
            r->next = b[j];
            b[j] = r;
            r = next;
        }
    }
    free(ns->buckets);
    ns->buckets = b;
    ns->n_buckets = n;
}

td_record *td_record_get(td_namespace *ns, const uint8_t *digest) {
    td_record *r = ns->buckets[bucket_of(ns, digest)];
    while (r && memcmp(r->digest, digest, AW_DIGEST_SIZE) != 0)
        r = r->next;
    if (r && r->void_time && r->void_time <= td_now()) {
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

void td_record_remove(td_namespace *ns, const uint8_t *digest) {
    td_record **pp = &ns->buckets[bucket_of(ns, digest)];
    while (*pp && memcmp((*pp)->digest, digest, AW_DIGEST_SIZE) != 0)
        pp = &(*pp)->next;
    td_record *r = *pp;
    if (!r)
        return;
    *pp = r->next;
    td_record_release(r);
    free(r);
    ns->n_records--;
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
    /* Keep bin order stable, as the server returns bins in insertion order. */
    size_t at = (size_t)(b - r->bins);
    memmove(b, b + 1, (r->n_bins - at - 1) * sizeof *b);
    r->n_bins--;
}

void td_record_clear_bins(td_record *r) {
    for (uint32_t i = 0; i < r->n_bins; i++)
        free(r->bins[i].data);
    r->n_bins = 0;
}

size_t td_record_size(const td_record *r) {
    size_t n = 64 + r->key_len; /* a fixed header, as the server's flat record has */
    for (uint32_t i = 0; i < r->n_bins; i++)
        n += 4 + r->bins[i].name_len + r->bins[i].len;
    return n;
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
