/*
 * Digests of many keys without an aw_key for each (keys_many.c): the
 * integer keys of one set, as a batch read of ids needs them.
 */
#ifndef AW_PROTO_KEYS_MANY_H
#define AW_PROTO_KEYS_MANY_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/key.h"

/* out[i] = the digest of integer user key ids[i] in set (set_len bytes, at
 * most AW_SET_MAX; checked by the caller), sixteen at a time. */
void aw_int_key_digests(const char *set, size_t set_len, const int64_t *ids, size_t n,
                        uint8_t (*out)[AW_DIGEST_SIZE]);

#endif
