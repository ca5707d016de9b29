/*
 * aerowire/key.h — record keys, digests and partition ids.
 *
 * A key names a record: namespace, optional set, and either a user key
 * (integer, string or blob) or a ready 20-byte digest. The digest
 * RIPEMD-160(set || particle type || key bytes) is computed once, when the key
 * is initialised. The namespace and set are copied into the key; a string or
 * blob user key is BORROWED and must stay alive as long as the key is used
 * with send-key (the digest itself never needs it again).
 */
#ifndef AEROWIRE_KEY_H
#define AEROWIRE_KEY_H

#include <stdint.h>

#include "error.h"
#include "export.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AW_NAMESPACE_MAX 31 /* bytes, without the NUL */
#define AW_SET_MAX 63
#define AW_BIN_NAME_MAX 15
#define AW_DIGEST_SIZE 20
#define AW_PARTITIONS 4096

typedef struct aw_key {
    char ns[AW_NAMESPACE_MAX + 1];
    char set[AW_SET_MAX + 1];       /* "" = no set */
    aw_value user_key;              /* AW_NIL when built from a digest */
    uint8_t digest[AW_DIGEST_SIZE];
} aw_key;

/* Each returns AW_OK, or AW_ERR_PARAM (NULL key/ns/value) or AW_ERR_BAD_NAME
 * (empty namespace, namespace over 31 bytes, set over 63 bytes), with a
 * message naming the offending name. set may be NULL for "no set". */
AW_API int aw_key_init_int(aw_key *key, const char *ns, const char *set, int64_t value,
                           aw_error *err);
AW_API int aw_key_init_str(aw_key *key, const char *ns, const char *set, const char *value,
                           aw_error *err);
AW_API int aw_key_init_strn(aw_key *key, const char *ns, const char *set, const char *value,
                            size_t len, aw_error *err);
AW_API int aw_key_init_blob(aw_key *key, const char *ns, const char *set, const void *value,
                            size_t len, aw_error *err);
/* A key from a digest only: such a key cannot be sent with send-key. */
AW_API int aw_key_init_digest(aw_key *key, const char *ns, const char *set,
                              const uint8_t digest[AW_DIGEST_SIZE], aw_error *err);
/* Any user-key value (AW_INT, AW_STR or AW_BLOB); other types are AW_ERR_PARAM. */
AW_API int aw_key_init_value(aw_key *key, const char *ns, const char *set, const aw_value *value,
                             aw_error *err);

/* The digest of (set, user key) without building a key. set may be NULL.
 * Returns AW_OK or AW_ERR_PARAM (NULL value or output, NULL set with a
 * nonzero set_len, unsupported key type or over-long key). */
AW_API int aw_digest_compute(const char *set, size_t set_len, const aw_value *user_key,
                             uint8_t out[AW_DIGEST_SIZE], aw_error *err);

/* Many keys at once, for batches built from arrays. The digests are
 * hashed sixteen at a time in vector registers (AVX-512, AVX2 or SSE2, as
 * the CPU has), which costs a fraction of one aw_key_init_* per key.
 *
 * aw_keys_init_int: keys[i] as aw_key_init_int(&keys[i], ns, set,
 * values[i]) makes it; the names are checked once.
 *
 * aw_keys_digest: each key's digest from its set and user_key, for keys
 * whose ns, set and user_key the caller filled in (say, names copied from
 * one key made with aw_key_init_*). Keys with an AW_NIL user key (made
 * from a digest) keep their digest. The user keys are borrowed, as
 * aw_key_init_value borrows them.
 *
 * Both return AW_OK, or AW_ERR_PARAM / AW_ERR_BAD_NAME as the one-key
 * functions do, naming the first bad key; the keys before it are done. */
AW_API int aw_keys_init_int(aw_key *keys, size_t n, const char *ns, const char *set,
                            const int64_t *values, aw_error *err);
AW_API int aw_keys_digest(aw_key *keys, size_t n, aw_error *err);

/* Partition id (0..4095): the low 12 bits of the digest's first two bytes, little-endian. */
static inline uint32_t aw_partition_id(const uint8_t digest[AW_DIGEST_SIZE]) {
    return ((uint32_t)digest[0] | ((uint32_t)digest[1] << 8)) & (AW_PARTITIONS - 1);
}

#ifdef __cplusplus
}
#endif
#endif
