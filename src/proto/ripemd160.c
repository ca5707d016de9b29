/*
 * RIPEMD-160 from its specification: a 64-byte block is read as 16
 * little-endian words and run through two parallel lines of 80 steps (five
 * rounds of 16, each with its own boolean function, constant, word order and
 * rotations); the lines' results are folded into the five chaining words.
 * Padding is MD4's: 0x80, zeros to 56 mod 64, the bit length little-endian.
 * Words are assembled byte by byte, so the code reads unaligned input and
 * gives the same answer on any host byte order.
 */
#include "ripemd160.h"

#include <string.h>

static inline uint32_t rol(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static inline uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline void store_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* The five boolean functions; the left line uses them in order f1..f5, the
 * right line in reverse. */
static inline uint32_t f1(uint32_t x, uint32_t y, uint32_t z) { return x ^ y ^ z; }
static inline uint32_t f2(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | (~x & z); }
static inline uint32_t f3(uint32_t x, uint32_t y, uint32_t z) { return (x | ~y) ^ z; }
static inline uint32_t f4(uint32_t x, uint32_t y, uint32_t z) { return (x & z) | (y & ~z); }
static inline uint32_t f5(uint32_t x, uint32_t y, uint32_t z) { return x ^ (y | ~z); }

/* Which message word each step reads, left line then right line. */
static const uint8_t word_left[80] = {
    0, 1, 2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
    7, 4, 13, 1,  10, 6,  15, 3,  12, 0,  9,  5,  2,  14, 11, 8,
    3, 10, 14, 4, 9,  15, 8,  1,  2,  7,  0,  6,  13, 11, 5,  12,
    1, 9, 11, 10, 0,  8,  12, 4,  13, 3,  7,  15, 14, 5,  6,  2,
    4, 0, 5,  9,  7,  12, 2,  10, 14, 1,  3,  8,  11, 6,  15, 13,
};
static const uint8_t word_right[80] = {
    5,  14, 7,  0, 9, 2,  11, 4,  13, 6,  15, 8,  1,  10, 3,  12,
    6,  11, 3,  7, 0, 13, 5,  10, 14, 15, 8,  12, 4,  9,  1,  2,
    15, 5,  1,  3, 7, 14, 6,  9,  11, 8,  12, 2,  10, 0,  4,  13,
    8,  6,  4,  1, 3, 11, 15, 0,  5,  12, 2,  13, 9,  7,  10, 14,
    12, 15, 10, 4, 1, 5,  8,  7,  6,  2,  13, 14, 0,  3,  9,  11,
};

/* Each step's left rotation, left line then right line. */
static const uint8_t shift_left[80] = {
    11, 14, 15, 12, 5,  8,  7,  9,  11, 13, 14, 15, 6,  7,  9,  8,
    7,  6,  8,  13, 11, 9,  7,  15, 7,  12, 15, 9,  11, 7,  13, 12,
    11, 13, 6,  7,  14, 9,  13, 15, 14, 8,  13, 6,  5,  12, 7,  5,
    11, 12, 14, 15, 14, 15, 9,  8,  9,  14, 5,  6,  8,  6,  5,  12,
    9,  15, 5,  11, 6,  8,  13, 12, 5,  12, 13, 14, 11, 8,  5,  6,
};
static const uint8_t shift_right[80] = {
    8,  9,  9,  11, 13, 15, 15, 5,  7,  7,  8,  11, 14, 14, 12, 6,
    9,  13, 15, 7,  12, 8,  9,  11, 7,  7,  12, 7,  6,  15, 13, 11,
    9,  7,  15, 11, 8,  6,  6,  14, 12, 13, 5,  14, 13, 13, 7,  5,
    15, 5,  8,  11, 14, 14, 6,  14, 6,  9,  12, 9,  12, 5,  15, 8,
    8,  5,  12, 9,  12, 5,  14, 6,  8,  13, 6,  5,  15, 13, 11, 11,
};

/* One step of each line for the 16 steps of a round: the left line with
 * function FL and constant KL, the right line with FR and KR. Unrolled, the
 * word indices and rotations become constants (about a fifth faster). */
#define TWO_LINE_ROUND(first, FL, KL, FR, KR)                                                  \
    _Pragma("GCC unroll 16")                                                                   \
    for (int j = (first); j < (first) + 16; j++) {                                             \
        uint32_t t = rol(al + FL(bl, cl, dl) + x[word_left[j]] + (KL), shift_left[j]) + el;    \
        al = el, el = dl, dl = rol(cl, 10), cl = bl, bl = t;                                   \
        t = rol(ar + FR(br, cr, dr) + x[word_right[j]] + (KR), shift_right[j]) + er;           \
        ar = er, er = dr, dr = rol(cr, 10), cr = br, br = t;                                   \
    }

static void compress(uint32_t h[5], const uint8_t block[AW_RIPEMD160_BLOCK]) {
    uint32_t x[16];
    for (int i = 0; i < 16; i++)
        x[i] = load_le32(block + 4 * i);
    uint32_t al = h[0], bl = h[1], cl = h[2], dl = h[3], el = h[4];
    uint32_t ar = al, br = bl, cr = cl, dr = dl, er = el;
    TWO_LINE_ROUND(0, f1, 0x00000000u, f5, 0x50a28be6u)
    TWO_LINE_ROUND(16, f2, 0x5a827999u, f4, 0x5c4dd124u)
    TWO_LINE_ROUND(32, f3, 0x6ed9eba1u, f3, 0x6d703ef3u)
    TWO_LINE_ROUND(48, f4, 0x8f1bbcdcu, f2, 0x7a6d76e9u)
    TWO_LINE_ROUND(64, f5, 0xa953fd4eu, f1, 0x00000000u)
    uint32_t t = h[1] + cl + dr;
    h[1] = h[2] + dl + er;
    h[2] = h[3] + el + ar;
    h[3] = h[4] + al + br;
    h[4] = h[0] + bl + cr;
    h[0] = t;
}

void aw_ripemd160_init(aw_ripemd160 *ctx) {
    ctx->h[0] = 0x67452301u;
    ctx->h[1] = 0xefcdab89u;
    ctx->h[2] = 0x98badcfeu;
    ctx->h[3] = 0x10325476u;
    ctx->h[4] = 0xc3d2e1f0u;
    ctx->total = 0;
}

void aw_ripemd160_update(aw_ripemd160 *ctx, const void *data, size_t len) {
    const uint8_t *p = data;
    size_t used = (size_t)(ctx->total % AW_RIPEMD160_BLOCK);
    ctx->total += len;
    if (used) {
        size_t take = AW_RIPEMD160_BLOCK - used;
        if (len < take) {
            if (len)
                memcpy(ctx->block + used, p, len);
            return;
        }
        memcpy(ctx->block + used, p, take);
        compress(ctx->h, ctx->block);
        p += take;
        len -= take;
    }
    for (; len >= AW_RIPEMD160_BLOCK; p += AW_RIPEMD160_BLOCK, len -= AW_RIPEMD160_BLOCK)
        compress(ctx->h, p);
    if (len)
        memcpy(ctx->block, p, len);
}

void aw_ripemd160_final(aw_ripemd160 *ctx, uint8_t out[AW_RIPEMD160_SIZE]) {
    size_t used = (size_t)(ctx->total % AW_RIPEMD160_BLOCK);
    uint64_t bits = ctx->total << 3;
    ctx->block[used++] = 0x80;
    if (used > AW_RIPEMD160_BLOCK - 8) { /* no room for the length: one more block */
        memset(ctx->block + used, 0, AW_RIPEMD160_BLOCK - used);
        compress(ctx->h, ctx->block);
        used = 0;
    }
    memset(ctx->block + used, 0, AW_RIPEMD160_BLOCK - 8 - used);
    store_le32(ctx->block + 56, (uint32_t)bits);
    store_le32(ctx->block + 60, (uint32_t)(bits >> 32));
    compress(ctx->h, ctx->block);
    for (int i = 0; i < 5; i++)
        store_le32(out + 4 * i, ctx->h[i]);
}

void aw_ripemd160_key(const void *set, size_t set_len, uint8_t ptype, const void *key,
                      size_t key_len, uint8_t out[AW_RIPEMD160_SIZE]) {
    aw_ripemd160 ctx;
    aw_ripemd160_init(&ctx);
    aw_ripemd160_update(&ctx, set, set_len);
    aw_ripemd160_update(&ctx, &ptype, 1);
    aw_ripemd160_update(&ctx, key, key_len);
    aw_ripemd160_final(&ctx, out);
}
