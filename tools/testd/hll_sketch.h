/*
 * aw-testd: the HyperLogLog-MinHash value as the server keeps it
 * (as/src/base/particle_hll.c hll_t), shared by the hll*.c files.
 *
 * An HLL is 11 header bytes — flags (0), index bits ib, minhash bits mb,
 * the cached count (u64 in the server's native little-endian order, 0 =
 * not cached) — then 2^ib registers of 6 + mb bits each, packed from the
 * most significant bit of the first register byte on. A register holds
 * (the 6-bit HLL value << mb) | the minhash bits.
 *
 * The functions take the HLL's bytes; they trust its header (checked with
 * td_hll_bits_ok and td_hll_size by whoever took it from a client).
 */
#ifndef TD_HLL_SKETCH_H
#define TD_HLL_SKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

#define TD_HLL_HEADER_SIZE 11
#define TD_HLL_VALUE_BITS 6 /* HLL_BITS */
#define TD_HLL_MIN_INDEX_BITS 4
#define TD_HLL_MAX_INDEX_BITS 16
#define TD_HLL_MIN_MINHASH_BITS 4
#define TD_HLL_MAX_MINHASH_BITS (64 - TD_HLL_VALUE_BITS - 7)
#define TD_HLL_MAX_COMBINED_BITS 64

static inline unsigned td_hll_index_bits(const uint8_t *h) { return h[1]; }
static inline unsigned td_hll_minhash_bits(const uint8_t *h) { return h[2]; }
static inline uint32_t td_hll_n_registers(const uint8_t *h) { return 1u << h[1]; }

/* validate_n_index_bits, validate_n_minhash_bits (0 or 4..51) and
 * validate_n_combined_bits (both, and ib + mb <= 64). */
bool td_hll_index_bits_ok(uint64_t ib);
bool td_hll_minhash_bits_ok(uint64_t mb);
bool td_hll_bits_ok(uint64_t ib, uint64_t mb);

/* hmh_required_sz: header plus ceil((6 + mb) * 2^ib / 8) register bytes. */
uint32_t td_hll_size(unsigned ib, unsigned mb);

/* hmh_init: an empty HLL (no count cached) in td_hll_size(ib, mb) bytes. */
void td_hll_init(uint8_t *h, unsigned ib, unsigned mb);

uint64_t td_hll_cache(const uint8_t *h);
void td_hll_set_cache(uint8_t *h, uint64_t count);

/* get_register / set_register: register r's 6 + mb bits; a value stored
 * is cut to them, as the server's shifts cut it. */
uint64_t td_hll_register(const uint8_t *h, uint32_t r);
void td_hll_set_register(uint8_t *h, uint32_t r, uint64_t value);

/* unpack_register_hll_val: the 6-bit HLL value of a register of h. */
static inline unsigned td_hll_register_value(const uint8_t *h, uint64_t reg) {
    return (uint8_t)(reg >> td_hll_minhash_bits(h));
}

/* hmh_compatible_template: the bits a union of n HLLs has, the smallest ib
 * and the common mb (0 unless all share it). */
void td_hll_template(uint32_t n, const uint8_t *const *hlls, unsigned *ib, unsigned *mb);

/* hmh_union: registers of `from` (ib >= to's) folded into `to`, each
 * register the larger of the two (whole registers when `to` has minhash
 * bits, HLL values only when it has none). */
void td_hll_union(uint8_t *to, const uint8_t *from);

/* hmh_intersect_one: each register of `to` kept where `from`'s equals it,
 * else zeroed (from's registers visited in order, folded onto to's). */
void td_hll_intersect(uint8_t *to, const uint8_t *from);

/* hmh_n_used_registers: registers that are not 0. */
uint32_t td_hll_used_registers(const uint8_t *h);

/* hmh_has_data: whether any of the first 2^ib register BYTES is non-zero
 * (the server looks no further, although with minhash bits the registers
 * take more bytes). */
bool td_hll_has_data(const uint8_t *h);

/* hll_hash.c. The bytes the server hashes for an element sent as e, one
 * whole msgpack value that is not a list or map (msgpack_compactify): an
 * integer, str/bin or ext header not in its shortest form is rewritten so
 * (a bin header as a str one). Writes them to out and returns true, or
 * returns false when e is hashed as it is. */
bool td_hll_compact_element(const uint8_t *e, aw_buf *out);
/* hmh_hash: the register and value an element's (compacted) bytes give in h. */
void td_hll_hash(const uint8_t *h, const uint8_t *element, size_t len, uint32_t *reg,
                 uint64_t *value);
/* hmh_add: raises the element's register; true when it did (the cached
 * count is then dropped). */
bool td_hll_add(uint8_t *h, const uint8_t *element, size_t len);
/* hmh_may_contain: the element's register is at least its value. */
bool td_hll_may_contain(const uint8_t *h, const uint8_t *element, size_t len);

/* hll_estimate.c. `scratch` holds td_hll_size(ib, mb) bytes for the
 * largest ib and the largest mb among the HLLs. */
uint64_t td_hll_count(const uint8_t *h);
uint64_t td_hll_union_count(uint32_t n, const uint8_t *const *hlls, uint8_t *scratch);
uint64_t td_hll_intersect_count(uint32_t n, const uint8_t *const *hlls, uint8_t *scratch);
double td_hll_similarity(uint32_t n, const uint8_t *const *hlls, uint8_t *scratch);

#endif
