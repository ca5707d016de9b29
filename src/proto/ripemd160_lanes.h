/*
 * Many RIPEMD-160 digests at once: record digests of short keys are each
 * one 64-byte block, and a batch of keys hashes sixteen of them side by
 * side in vector registers (one message per 32-bit lane) instead of one
 * after another. Each line of the compression is a chain of 80 dependent
 * steps, so one message leaves most of a core idle; sixteen fill it.
 *
 * Internal to the library; nothing here is exported.
 */
#ifndef AW_PROTO_RIPEMD160_LANES_H
#define AW_PROTO_RIPEMD160_LANES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ripemd160.h"

#define AW_RIPEMD160_LANES 16

/* Record digests of many (set, particle type, key) messages: add each,
 * then finish. A message that fits one block waits for a lane and its
 * digest is written when sixteen are gathered (or at finish); a longer one
 * is hashed at once. `out` must stay valid until then; the message bytes
 * are copied when added.
 *
 * Keys that share their set, particle type and length go faster through
 * aw_ripemd160_many_prefix then aw_ripemd160_many_add_key: the block
 * around them is laid out once, and each key writes only its own words. */
typedef struct aw_ripemd160_many {
    uint32_t words[16][AW_RIPEMD160_LANES]; /* message word w of each lane */
    uint8_t *out[AW_RIPEMD160_LANES];
    unsigned used;
    bool prefixed;                          /* every lane holds tmpl around its key */
    unsigned key_off, key_len;
    uint8_t tmpl[AW_RIPEMD160_BLOCK];       /* the padded block, zeros for the key */
} aw_ripemd160_many;

void aw_ripemd160_many_init(aw_ripemd160_many *m);
/* set and key may be NULL when their lengths are 0. */
void aw_ripemd160_many_add(aw_ripemd160_many *m, const void *set, size_t set_len, uint8_t ptype,
                           const void *key, size_t key_len, uint8_t out[AW_RIPEMD160_SIZE]);
/* Sets the common prefix for aw_ripemd160_many_add_key: false when such
 * messages do not fit one block (then add each with aw_ripemd160_many_add). */
bool aw_ripemd160_many_prefix(aw_ripemd160_many *m, const void *set, size_t set_len,
                              uint8_t ptype, size_t key_len);
/* A key of the prefix's length. */
void aw_ripemd160_many_add_key(aw_ripemd160_many *m, const void *key,
                               uint8_t out[AW_RIPEMD160_SIZE]);
/* Writes the digests still waiting. m can be used again after. */
void aw_ripemd160_many_finish(aw_ripemd160_many *m);

/* For tests and benchmarks: the implementation in use ("avx512", "avx2" or
 * "generic"), and a way to choose one; false when this CPU cannot run it. */
const char *aw_ripemd160_lanes_impl(void);
bool aw_ripemd160_lanes_use(const char *name);

#endif
