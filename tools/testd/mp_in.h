/*
 * aw-testd: reading op arguments (msgpack) the way the server's
 * cf/src/msgpack_in.c reads them, for the bit and HLL ops, which take their
 * arguments one by one off the op's bytes.
 *
 * Each reader takes one value at the cursor and moves past it; it returns
 * false (or NULL) when the value is not of a kind it reads or runs past the
 * bytes, and the op is then malformed. Nothing is read outside p[0..len).
 */
#ifndef TD_MP_IN_H
#define TD_MP_IN_H

#include <stdbool.h>
#include <stdint.h>

typedef struct td_mp {
    const uint8_t *p;
    uint32_t len, at;
} td_mp;

/* msgpack_get_list_ele_count: an array header (9x, dc, dd). */
bool td_mp_list(td_mp *c, uint32_t *n);

/* msgpack_get_uint64: any integer; a negative one as its two's complement
 * (so (int64_t)*v is msgpack_get_int64's answer). */
bool td_mp_uint(td_mp *c, uint64_t *v);

/* msgpack_get_bool: *v is 0 or 1. */
bool td_mp_bool(td_mp *c, uint64_t *v);

/* msgpack_get_bin: the payload of a str or bin (a0-bf, c4-c6, d9-db), whose
 * first byte is the particle type; *n counts it. */
const uint8_t *td_mp_bytes(td_mp *c, uint32_t *n);

/* msgpack_peek_type is LIST or MAP (9x, dc, dd, 8x, de, df). */
bool td_mp_at_container(const td_mp *c);

/* One whole value that is not a list or map (msgpack_sz of a scalar or an
 * ext): its bytes, *n of them; NULL for a reserved or truncated one. */
const uint8_t *td_mp_scalar(td_mp *c, uint32_t *n);

#endif
