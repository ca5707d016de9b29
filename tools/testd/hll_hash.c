/*
 * aw-testd: what an element added to an HLL does to it, as
 * as/src/base/particle_hll.c does it (hll_parse_elements, hmh_hash,
 * hmh_add, hmh_may_contain).
 *
 * An element is hashed as its msgpack bytes — a string with its particle
 * type byte 03 — once the server has put them in their shortest form
 * (cf/src/msgpack_in.c msgpack_compactify), with MurmurHash3 x64-128, seed
 * 0 (modules/common cf_hash_math.h murmurHash3_x64_128). The first 64-bit
 * word gives the register (its low ib bits) and the minhash (its next mb
 * bits); the second's trailing zero count + 1 is the HLL value.
 */
#include "hll_sketch.h"

#include "proto/msgpack.h"

static uint64_t load_be(const uint8_t *p, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static uint64_t load_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

static const uint64_t C1 = 0x87c37b91114253d5ull, C2 = 0x4cf5ad432745937full;

static uint64_t mix_k1(uint64_t k1) { return rotl(k1 * C1, 31) * C2; }
static uint64_t mix_k2(uint64_t k2) { return rotl(k2 * C2, 33) * C1; }

/* MurmurHash3_x64_128, seed 0: out[0] = h1, out[1] = h2. */
static void murmur3_x64_128(const uint8_t *data, size_t len, uint64_t out[2]) {
    uint64_t h1 = 0, h2 = 0;
    size_t nblocks = len / 16;
    for (size_t i = 0; i < nblocks; i++) {
        h1 ^= mix_k1(load_le64(data + 16 * i));
        h1 = rotl(h1, 27) + h2;
        h1 = h1 * 5 + 0x52dce729;
        h2 ^= mix_k2(load_le64(data + 16 * i + 8));
        h2 = rotl(h2, 31) + h1;
        h2 = h2 * 5 + 0x38495ab5;
    }
    const uint8_t *tail = data + nblocks * 16;
    size_t rest = len & 15;
    uint64_t k1 = 0, k2 = 0;
    for (size_t i = rest; i > 8; i--)
        k2 ^= (uint64_t)tail[i - 1] << (8 * (i - 9));
    for (size_t i = rest < 8 ? rest : 8; i > 0; i--)
        k1 ^= (uint64_t)tail[i - 1] << (8 * (i - 1));
    if (rest > 8)
        h2 ^= mix_k2(k2);
    if (rest > 0)
        h1 ^= mix_k1(k1);
    h1 ^= len;
    h2 ^= len;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    out[0] = h1;
    out[1] = h2;
}

void td_hll_hash(const uint8_t *h, const uint8_t *element, size_t len, uint32_t *reg,
                 uint64_t *value) {
    uint64_t hash[2];
    murmur3_x64_128(element, len, hash);
    unsigned ib = td_hll_index_bits(h), mb = td_hll_minhash_bits(h);
    *reg = (uint32_t)(hash[0] & ((1u << ib) - 1));
    uint64_t minhash = (hash[0] >> ib) & ((1ull << mb) - 1);
    /* cf_lsb64: 64 for 0, so the value may be 65, which a 6-bit register
     * cannot hold (set_register cuts it; the comparison does not). */
    uint8_t hll_value = (uint8_t)((hash[1] ? (unsigned)__builtin_ctzll(hash[1]) : 64u) + 1);
    *value = ((uint64_t)hll_value << mb) | minhash;
}

bool td_hll_add(uint8_t *h, const uint8_t *element, size_t len) {
    uint32_t reg;
    uint64_t value;
    td_hll_hash(h, element, len, &reg, &value);
    if (td_hll_register(h, reg) >= value)
        return false;
    td_hll_set_register(h, reg, value);
    td_hll_set_cache(h, 0);
    return true;
}

bool td_hll_may_contain(const uint8_t *h, const uint8_t *element, size_t len) {
    uint32_t reg;
    uint64_t value;
    td_hll_hash(h, element, len, &reg, &value);
    return value <= td_hll_register(h, reg);
}

/* as_pack_ext_header: fixext for 1, 2, 4, 8 and 16 bytes, else ext 8/16/32. */
static void put_ext_header(aw_buf *out, uint32_t size, uint8_t type) {
    switch (size) {
    case 1: aw_buf_u8(out, 0xd4); break;
    case 2: aw_buf_u8(out, 0xd5); break;
    case 4: aw_buf_u8(out, 0xd6); break;
    case 8: aw_buf_u8(out, 0xd7); break;
    case 16: aw_buf_u8(out, 0xd8); break;
    default: {
        uint8_t hdr[5];
        unsigned w = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
        hdr[0] = w == 1 ? 0xc7 : w == 2 ? 0xc8 : 0xc9;
        for (unsigned i = 0; i < w; i++)
            hdr[1 + i] = (uint8_t)(size >> (8 * (w - 1 - i)));
        aw_buf_put(out, hdr, 1 + w);
        break;
    }
    }
    aw_buf_u8(out, type);
}

bool td_hll_compact_element(const uint8_t *e, aw_buf *out) {
    uint8_t b = e[0];
    /* Integers (cc-cf unsigned, d0-d3 signed): msgpack_parse calls one not
     * compact when a shorter form holds it; it is packed again smallest. */
    if (b >= 0xcc && b <= 0xd3) {
        unsigned w = 1u << (b & 3), bits = 8 * w;
        uint64_t v = load_be(e + 1, w);
        if (b <= 0xcf) {
            if (v > (w == 1 ? 0x7full : (1ull << (bits / 2)) - 1))
                return false;
            aw_mp_put_uint(out, v);
            return true;
        }
        if (!(v >> (bits - 1))) { /* a signed header on a non-negative value */
            aw_mp_put_uint(out, v);
            return true;
        }
        uint64_t all = ~0ull >> (64 - bits);
        if (v < (w == 1 ? 0xe0ull : all & (~0ull << (bits / 2))))
            return false;
        aw_mp_put_int(out, (int64_t)(v | ~all));
        return true;
    }
    /* str and bin: shorter lengths than the header can say are packed with
     * the smallest str header. msgpack_parse sets a bin header not compact,
     * then overwrites that with the str rule, so a bin header counts as
     * compact exactly when a str one of its size would. */
    unsigned lw = (b == 0xc4 || b == 0xd9) ? 1 : (b == 0xc5 || b == 0xda) ? 2
                : (b == 0xc6 || b == 0xdb) ? 4 : 0;
    if (lw) {
        uint32_t n = (uint32_t)load_be(e + 1, lw);
        if (n > (lw == 1 ? 0x1fu : lw == 2 ? 0xffu : 0xffffu))
            return false;
        aw_mp_put_str_header(out, n);
        aw_buf_put(out, e + 1 + lw, n);
        return true;
    }
    /* ext 8/16/32 whose size a shorter header holds (ext 8: a fixext size). */
    unsigned ew = b == 0xc7 ? 1 : b == 0xc8 ? 2 : b == 0xc9 ? 4 : 0;
    if (ew) {
        uint32_t n = (uint32_t)load_be(e + 1, ew);
        bool shorter = ew == 1 ? (n != 0 && n <= 16 && (n & (n - 1)) == 0)
                               : n <= (ew == 2 ? 0xffu : 0xffffu);
        if (!shorter)
            return false;
        put_ext_header(out, n, e[1 + ew]);
        aw_buf_put(out, e + 2 + ew, n);
        return true;
    }
    return false;
}
