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
#include "ripemd160_tables.h"

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

/* A round on uint32_t words. */
#define TWO_LINE_ROUND(first, FL, KL, FR, KR)                                                  \
    AW_RMD_TWO_LINE_ROUND(uint32_t, rol, first, FL, KL, FR, KR)

static void compress(uint32_t h[5], const uint8_t block[AW_RIPEMD160_BLOCK]) {
    uint32_t x[16];
    for (int i = 0; i < 16; i++)
        x[i] = load_le32(block + 4 * i);
    uint32_t al = h[0], bl = h[1], cl = h[2], dl = h[3], el = h[4];
    uint32_t ar = al, br = bl, cr = cl, dr = dl, er = el;
    AW_RMD_ROUNDS(TWO_LINE_ROUND)
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
