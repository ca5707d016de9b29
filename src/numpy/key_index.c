/*
 * Key -> row lookup (aw_key_index): open addressing with linear probing over
 * the keys' digests. A digest is already a cryptographic hash, so a few of
 * its bytes, lightly mixed (digests built by hand, e.g. counters, stay
 * spread), index the table directly. Two keys are the same record when
 * their digests and namespaces match (the set and user key are inside the
 * digest). With duplicates, the first position wins.
 *
 * Memory: the digests (20 bytes), a namespace id (2 bytes) per key, and a
 * table of 32-bit slots at most half full; no per-key allocation.
 */
#include <string.h>

#include "aerowire/key.h"
#include "aerowire/numpy.h"
#include "proto/mem.h"

#define KI_MAX_NS 65535

struct aw_key_index {
    size_t n;
    uint8_t (*digests)[AW_DIGEST_SIZE];
    uint16_t *ns_ids;
    char (*ns)[AW_NAMESPACE_MAX + 1]; /* distinct namespaces */
    size_t n_ns;
    uint32_t *slots; /* row + 1; 0 = empty */
    size_t mask;
};

static inline uint64_t ki_hash(const uint8_t *d) {
    uint64_t a, b;
    uint32_t c;
    memcpy(&a, d, 8);
    memcpy(&b, d + 8, 8);
    memcpy(&c, d + 16, 4);
    uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull) ^ c) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
}

/* The id of ns in idx->ns, or -1. */
static int ki_ns_id(const aw_key_index *idx, const char *ns) {
    for (size_t k = 0; k < idx->n_ns; k++)
        if (strcmp(idx->ns[k], ns) == 0)
            return (int)k;
    return -1;
}

void aw_key_index_free(aw_key_index *idx) {
    if (!idx)
        return;
    aw_free(idx->digests);
    aw_free(idx->ns_ids);
    aw_free(idx->ns);
    aw_free(idx->slots);
    aw_free(idx);
}

int aw_key_index_new(const aw_key *keys, size_t n, aw_key_index **out, aw_error *err) {
    if (!out)
        return aw_error_set(err, AW_ERR_PARAM, "aw_key_index_new: out is NULL");
    *out = NULL;
    if (!keys && n > 0)
        return aw_error_set(err, AW_ERR_PARAM, "aw_key_index_new: keys is NULL");
    if (n >= UINT32_MAX / 4)
        return aw_error_set(err, AW_ERR_PARAM, "aw_key_index_new: %zu keys is too many", n);
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    aw_key_index *idx = aw_calloc(1, sizeof *idx);
    if (!idx)
        return aw_error_set(err, AW_ERR_NOMEM, "key index: out of memory");
    idx->n = n;
    idx->mask = cap - 1;
    idx->digests = aw_malloc(n * sizeof *idx->digests);
    idx->ns_ids = aw_malloc(n * sizeof *idx->ns_ids);
    idx->slots = aw_calloc(cap, sizeof *idx->slots);
    if (!idx->digests || !idx->ns_ids || !idx->slots) {
        aw_key_index_free(idx);
        return aw_error_set(err, AW_ERR_NOMEM, "key index: out of memory");
    }
    size_t ns_cap = 0;
    int last = -1;
    for (size_t i = 0; i < n; i++) {
        const aw_key *k = &keys[i];
        if (memchr(k->ns, '\0', sizeof k->ns) == NULL) {
            aw_key_index_free(idx);
            return aw_error_set(err, AW_ERR_PARAM, "key index: key %zu has no valid namespace", i);
        }
        /* Batches rarely span namespaces: try the previous key's first. */
        int id = last >= 0 && strcmp(idx->ns[last], k->ns) == 0 ? last : ki_ns_id(idx, k->ns);
        if (id < 0) {
            if (idx->n_ns == KI_MAX_NS) {
                aw_key_index_free(idx);
                return aw_error_set(err, AW_ERR_PARAM, "key index: more than %d namespaces",
                                    KI_MAX_NS);
            }
            if (idx->n_ns == ns_cap) {
                size_t c = ns_cap ? ns_cap * 2 : 4;
                void *p = aw_realloc(idx->ns, c * sizeof *idx->ns);
                if (!p) {
                    aw_key_index_free(idx);
                    return aw_error_set(err, AW_ERR_NOMEM, "key index: out of memory");
                }
                idx->ns = p;
                ns_cap = c;
            }
            memcpy(idx->ns[idx->n_ns], k->ns, sizeof idx->ns[0]);
            id = (int)idx->n_ns++;
        }
        memcpy(idx->digests[i], k->digest, AW_DIGEST_SIZE);
        idx->ns_ids[i] = (uint16_t)id;
        last = id;
        for (size_t s = ki_hash(k->digest) & idx->mask;; s = (s + 1) & idx->mask) {
            uint32_t v = idx->slots[s];
            if (v == 0) {
                idx->slots[s] = (uint32_t)(i + 1);
                break;
            }
            if (idx->ns_ids[v - 1] == id && memcmp(idx->digests[v - 1], k->digest, AW_DIGEST_SIZE) == 0)
                break; /* a duplicate: the first position stays */
        }
    }
    *out = idx;
    return AW_OK;
}

int64_t aw_key_index_find(const aw_key_index *idx, const aw_key *key) {
    if (!idx || !key || idx->n == 0)
        return -1;
    if (memchr(key->ns, '\0', sizeof key->ns) == NULL)
        return -1;
    int id = ki_ns_id(idx, key->ns);
    if (id < 0)
        return -1;
    for (size_t s = ki_hash(key->digest) & idx->mask;; s = (s + 1) & idx->mask) {
        uint32_t v = idx->slots[s];
        if (v == 0)
            return -1;
        if (idx->ns_ids[v - 1] == id && memcmp(idx->digests[v - 1], key->digest, AW_DIGEST_SIZE) == 0)
            return (int64_t)(v - 1);
    }
}
