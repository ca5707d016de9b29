/*
 * aw-testd: the HLL value's layout and its registers (hll_sketch.h), as
 * as/src/base/particle_hll.c lays them out.
 */
#include "hll_sketch.h"

#include <string.h>

bool td_hll_index_bits_ok(uint64_t ib) {
    return ib >= TD_HLL_MIN_INDEX_BITS && ib <= TD_HLL_MAX_INDEX_BITS;
}

bool td_hll_minhash_bits_ok(uint64_t mb) {
    return mb == 0 || (mb >= TD_HLL_MIN_MINHASH_BITS && mb <= TD_HLL_MAX_MINHASH_BITS);
}

bool td_hll_bits_ok(uint64_t ib, uint64_t mb) {
    return td_hll_index_bits_ok(ib) && td_hll_minhash_bits_ok(mb) &&
           ib + mb <= TD_HLL_MAX_COMBINED_BITS;
}

static uint32_t registers_size(unsigned ib, unsigned mb) {
    return ((TD_HLL_VALUE_BITS + mb) * (1u << ib) + 7) / 8;
}

uint32_t td_hll_size(unsigned ib, unsigned mb) { return TD_HLL_HEADER_SIZE + registers_size(ib, mb); }

void td_hll_init(uint8_t *h, unsigned ib, unsigned mb) {
    h[0] = 0;
    h[1] = (uint8_t)ib;
    h[2] = (uint8_t)mb;
    td_hll_set_cache(h, 0);
    memset(h + TD_HLL_HEADER_SIZE, 0, registers_size(ib, mb));
}

uint64_t td_hll_cache(const uint8_t *h) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | h[3 + i];
    return v;
}

void td_hll_set_cache(uint8_t *h, uint64_t count) {
    for (int i = 0; i < 8; i++)
        h[3 + i] = (uint8_t)(count >> (8 * i));
}

/* The 8-byte big-endian window holding register r and where in it the
 * register starts: the window starts at the register's first byte, moved
 * back so as not to run past the registers' end (registers take at least 12
 * bytes). */
typedef struct window {
    uint32_t byte;  /* offset in the register bytes */
    uint32_t lead;  /* bits of the window before the register */
    uint32_t n_bits;
} window;

static window window_of(const uint8_t *h, uint32_t r) {
    window w;
    w.n_bits = TD_HLL_VALUE_BITS + td_hll_minhash_bits(h);
    uint32_t bit = w.n_bits * r;
    uint32_t last = (w.n_bits * td_hll_n_registers(h) + 7) / 8 - 8;
    w.byte = bit / 8;
    w.lead = bit % 8;
    if (w.byte > last) {
        w.lead += (w.byte - last) * 8;
        w.byte = last;
    }
    return w;
}

uint64_t td_hll_register(const uint8_t *h, uint32_t r) {
    window w = window_of(h, r);
    uint64_t v = aw_load_u64be(h + TD_HLL_HEADER_SIZE + w.byte);
    return (v >> (64 - w.lead - w.n_bits)) & ((1ull << w.n_bits) - 1);
}

void td_hll_set_register(uint8_t *h, uint32_t r, uint64_t value) {
    window w = window_of(h, r);
    uint8_t *p = h + TD_HLL_HEADER_SIZE + w.byte;
    uint64_t mask = (((1ull << w.n_bits) - 1) << (64 - w.n_bits)) >> w.lead;
    uint64_t bits = (value << (64 - w.n_bits)) >> w.lead;
    aw_store_u64be(p, (aw_load_u64be(p) & ~mask) | bits);
}

void td_hll_template(uint32_t n, const uint8_t *const *hlls, unsigned *ib, unsigned *mb) {
    *ib = td_hll_index_bits(hlls[0]);
    *mb = td_hll_minhash_bits(hlls[0]);
    for (uint32_t i = 1; i < n; i++) {
        if (*ib > td_hll_index_bits(hlls[i]))
            *ib = td_hll_index_bits(hlls[i]);
        if (*mb != 0 && *mb != td_hll_minhash_bits(hlls[i]))
            *mb = 0;
    }
}

void td_hll_union(uint8_t *to, const uint8_t *from) {
    uint32_t mask = td_hll_n_registers(to) - 1;
    bool whole = td_hll_minhash_bits(to) != 0; /* else hll_union: HLL values only */
    for (uint32_t r = 0; r < td_hll_n_registers(from); r++) {
        uint64_t v0 = td_hll_register(to, r & mask), v1 = td_hll_register(from, r);
        if (!whole) {
            v0 = td_hll_register_value(to, v0);
            v1 = td_hll_register_value(from, v1);
        }
        if (v0 < v1)
            td_hll_set_register(to, r & mask, v1);
    }
    if (whole)
        td_hll_set_cache(to, 0); /* hll_union leaves the cache alone */
}

void td_hll_intersect(uint8_t *to, const uint8_t *from) {
    uint32_t mask = td_hll_n_registers(to) - 1;
    for (uint32_t r = 0; r < td_hll_n_registers(from); r++) {
        uint64_t v0 = td_hll_register(to, r & mask), v1 = td_hll_register(from, r);
        td_hll_set_register(to, r & mask, v0 == v1 ? v0 : 0);
    }
}

uint32_t td_hll_used_registers(const uint8_t *h) {
    uint32_t count = 0;
    for (uint32_t r = 0; r < td_hll_n_registers(h); r++)
        count += td_hll_register(h, r) != 0;
    return count;
}

bool td_hll_has_data(const uint8_t *h) {
    const uint8_t *regs = h + TD_HLL_HEADER_SIZE;
    uint32_t n = td_hll_n_registers(h), size = registers_size(td_hll_index_bits(h), td_hll_minhash_bits(h));
    if (n > size)
        n = size; /* without minhash bits (never asked) the server would read past them */
    for (uint32_t i = 0; i < n; i++)
        if (regs[i] != 0)
            return true;
    return false;
}
