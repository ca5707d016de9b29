/*
 * Many keys' digests in one call (aw_keys_digest, aw_keys_init_int): the
 * digests go through ripemd160_lanes.c sixteen at a time, which is where a
 * batch of keys made per call spends most of its client time otherwise.
 */
#include "aerowire/key.h"

#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "keys_many.h"
#include "particle.h"
#include "ripemd160_lanes.h"
#include "short_eq.h"

/* The length of k's set, and whether it is last_set (last_len bytes): one
 * inline comparison of that name and its NUL, the usual case, instead of
 * strnlen and memcmp (a shorter set differs at its own NUL, so nothing
 * past it decides). */
static size_t set_of(const aw_key *k, const char *last_set, size_t last_len, bool *same) {
    *same = last_set && aw_short_eq(k->set, last_set, last_len + 1);
    return *same ? last_len : strnlen(k->set, sizeof k->set);
}

int aw_keys_digest(aw_key *keys, size_t n, aw_error *err) {
    if (!keys && n)
        return aw_error_set(err, AW_ERR_PARAM, "keys: NULL array of %zu keys", n);
    aw_ripemd160_many many;
    aw_ripemd160_many_init(&many);
    /* What the messages of the previous key and this one share when only
     * their key bytes differ: the set, the particle type and the key's
     * length. Plain variables, not a struct: a struct's fields stored one
     * by one and compared as one wide load stall the loop (the load waits
     * for both stores to reach the cache). */
    const char *last_set = NULL; /* inside the previous key */
    size_t last_set_len = 0;
    unsigned last_ptype = 0;
    uint32_t last_key_len = 0;
    bool prefixed = false; /* the lanes hold the previous key's prefix */
    int rc = AW_OK;
    for (size_t i = 0; i < n; i++) {
        aw_key *k = &keys[i];
        if (k->user_key.type == AW_NIL)
            continue; /* made from a digest: nothing to compute */
        uint8_t int_bytes[8];
        const void *bytes;
        aw_error why;
        bool same_set;
        size_t set_len = set_of(k, last_set, last_set_len, &same_set);
        uint8_t ptype;
        uint32_t key_len;
        if (k->user_key.type == AW_INT) { /* the usual key, without the call */
            aw_store_u64be(int_bytes, (uint64_t)k->user_key.u.i);
            ptype = AW_PT_INTEGER;
            key_len = 8;
            bytes = int_bytes;
        } else if ((rc = aw_user_key_particle(&k->user_key, &ptype, &bytes, &key_len, int_bytes,
                                              &why)) != AW_OK) {
            aw_error_set(err, rc, "key %zu: %s", i, why.message);
            break;
        }
        /* Keys like the one before them (one set, one key type and length:
         * the usual batch) share a prefix laid out once; others are added
         * whole. The message is copied into its lane here; only the
         * digest's place must wait. */
        if (same_set && ptype == last_ptype && key_len == last_key_len &&
            (prefixed ||
             (prefixed = aw_ripemd160_many_prefix(&many, k->set, set_len, ptype, key_len)))) {
            aw_ripemd160_many_add_key(&many, bytes, k->digest);
        } else {
            prefixed = false; /* adding a whole message ends the prefix */
            aw_ripemd160_many_add(&many, k->set, set_len, ptype, bytes, key_len, k->digest);
        }
        last_set = k->set;
        last_set_len = set_len;
        last_ptype = ptype;
        last_key_len = key_len;
    }
    aw_ripemd160_many_finish(&many);
    return rc;
}

/* Digests of one set's integer keys, queued to the lanes: every message
 * is the set, the integer type byte and 8 big-endian bytes, so the block
 * is laid out once and each key writes its 8 bytes, with none of
 * aw_keys_digest's per-key checks of shape (a set too long for one block:
 * each key's message whole). */
typedef struct int_keys {
    aw_ripemd160_many many;
    const char *set;
    size_t set_len;
    bool lanes; /* the prefix is laid out */
} int_keys;

static void int_keys_begin(int_keys *q, const char *set, size_t set_len) {
    aw_ripemd160_many_init(&q->many);
    q->set = set;
    q->set_len = set_len;
    q->lanes = aw_ripemd160_many_prefix(&q->many, set, set_len, AW_PT_INTEGER, 8);
}

static void int_keys_add(int_keys *q, int64_t id, uint8_t out[AW_DIGEST_SIZE]) {
    uint8_t be[8];
    aw_store_u64be(be, (uint64_t)id);
    if (q->lanes)
        aw_ripemd160_many_add_key(&q->many, be, out);
    else
        aw_ripemd160_many_add(&q->many, q->set, q->set_len, AW_PT_INTEGER, be, 8, out);
}

int aw_keys_init_int(aw_key *keys, size_t n, const char *ns, const char *set,
                     const int64_t *values, aw_error *err) {
    if ((!keys || !values) && n)
        return aw_error_set(err, AW_ERR_PARAM, "keys: NULL %s for %zu keys",
                            keys ? "values" : "key array", n);
    if (n == 0)
        return AW_OK;
    /* The names are checked once, on the first key, and copied to the rest. */
    int rc = aw_key_init_int(&keys[0], ns, set, values[0], err);
    if (rc != AW_OK)
        return rc;
    /* The names zero-padded to their arrays' size, copied whole: a copy of
     * a fixed size is a few vector moves, one of a measured length a call. */
    size_t set_len = strlen(keys[0].set);
    char ns_pad[sizeof keys->ns] = {0}, set_pad[sizeof keys->set] = {0};
    memcpy(ns_pad, keys[0].ns, strlen(keys[0].ns));
    memcpy(set_pad, keys[0].set, set_len);
    int_keys q;
    int_keys_begin(&q, keys[0].set, set_len);
    /* One walk: each key is made and queued for its digest while in cache. */
    for (size_t i = 1; i < n; i++) {
        memcpy(keys[i].ns, ns_pad, sizeof ns_pad);
        memcpy(keys[i].set, set_pad, sizeof set_pad);
        keys[i].user_key = aw_value_int(values[i]);
        int_keys_add(&q, values[i], keys[i].digest);
    }
    aw_ripemd160_many_finish(&q.many);
    return AW_OK;
}

void aw_int_key_digests(const char *set, size_t set_len, const int64_t *ids, size_t n,
                        uint8_t (*out)[AW_DIGEST_SIZE]) {
    int_keys q;
    int_keys_begin(&q, set, set_len);
    for (size_t i = 0; i < n; i++)
        int_keys_add(&q, ids[i], out[i]);
    aw_ripemd160_many_finish(&q.many);
}
