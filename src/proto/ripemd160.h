/*
 * RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996): the hash behind record
 * digests. Our own so a digest costs one compression and no library dispatch.
 * Internal to the library; nothing here is exported.
 */
#ifndef AW_PROTO_RIPEMD160_H
#define AW_PROTO_RIPEMD160_H

#include <stddef.h>
#include <stdint.h>

#define AW_RIPEMD160_SIZE 20
#define AW_RIPEMD160_BLOCK 64

typedef struct aw_ripemd160 {
    uint32_t h[5];
    uint64_t total;                  /* bytes hashed so far */
    uint8_t block[AW_RIPEMD160_BLOCK]; /* the partial block; total % 64 bytes of it are used */
} aw_ripemd160;

void aw_ripemd160_init(aw_ripemd160 *ctx);
/* Adds len bytes; data may be NULL when len is 0. */
void aw_ripemd160_update(aw_ripemd160 *ctx, const void *data, size_t len);
/* Writes the digest. ctx must be initialised again before reuse. */
void aw_ripemd160_final(aw_ripemd160 *ctx, uint8_t out[AW_RIPEMD160_SIZE]);

/* The record digest's input in one call: set bytes, the particle type byte,
 * then the key bytes, hashed in place (nothing is copied to the heap). set and
 * key may be NULL when their lengths are 0. */
void aw_ripemd160_key(const void *set, size_t set_len, uint8_t ptype, const void *key,
                      size_t key_len, uint8_t out[AW_RIPEMD160_SIZE]);

#endif
