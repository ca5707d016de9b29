/*
 * aw-bench's key space and random numbers. Keys are integers start ..
 * start + count - 1 in one namespace and set, as asbench's. By default each
 * command makes its keys from the integer with aw_key_init_int, digest and
 * all, as an application (and asbench, through the official client) does,
 * so the client CPU per command includes it. With --precomputed-digests the
 * digests are computed once up front into a table (at most KS_TABLE_MAX
 * keys) and each command copies its key's: the figures then leave out
 * RIPEMD-160, and the output says so.
 */
#ifndef AW_BENCH_KEYS_H
#define AW_BENCH_KEYS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "aerowire/key.h"

#define KS_TABLE_MAX (16u << 20) /* 16 Mi keys: 320 MiB of digests */

typedef struct keyspace {
    uint64_t start, count;
    aw_key tmpl;                   /* namespace and set filled in */
    uint8_t (*digests)[AW_DIGEST_SIZE]; /* --precomputed-digests only, else NULL */
} keyspace;

/* Checks the names (AW_ERR_BAD_NAME with a message); with `precompute`,
 * fills the digest table (count at most KS_TABLE_MAX). */
int ks_init(keyspace *ks, const char *ns, const char *set, uint64_t start, uint64_t count,
            bool precompute, aw_error *err);
void ks_free(keyspace *ks);

/* The user key of index i (0-based) of the space. */
static inline int64_t ks_user_key(const keyspace *ks, uint64_t i) {
    return (int64_t)(ks->start + i);
}

/* Makes *key the key of index i of the space: user key start + i, from
 * aw_key_init_int (or with the table's digest, the same key). */
static inline void ks_key(const keyspace *ks, uint64_t i, aw_key *key) {
    if (ks->digests) {
        /* ns and set come from the template once (ks_key_prepare). */
        key->user_key = aw_value_int(ks_user_key(ks, i));
        memcpy(key->digest, ks->digests[i], AW_DIGEST_SIZE);
    } else {
        aw_key_init_int(key, ks->tmpl.ns, ks->tmpl.set, ks_user_key(ks, i), NULL);
    }
}
/* Starts loading key i's digest into the cache: a random key's digest is
 * a cache miss, worth hiding behind the command before it. */
static inline void ks_prefetch(const keyspace *ks, uint64_t i) {
    if (ks->digests)
        __builtin_prefetch(ks->digests[i]);
}
/* Gives a key the space's namespace and set, once, before ks_key. */
static inline void ks_key_prepare(const keyspace *ks, aw_key *key) { *key = ks->tmpl; }

/* Random number generator state; one per thread. */
typedef struct rng {
    uint64_t s;
} rng;

static inline void rng_seed(rng *r, uint64_t seed) { r->s = seed * 0x9E3779B97F4A7C15ull + 1; }
/* splitmix64: fast, and good enough to pick keys and ops. */
static inline uint64_t rng_next(rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* Uniform in [0, n) without a division. */
static inline uint64_t rng_below(rng *r, uint64_t n) {
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}
/* Uniform in [0, 1). */
static inline double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

#endif
