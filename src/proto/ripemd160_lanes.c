/*
 * Sixteen RIPEMD-160 compressions side by side (see ripemd160_lanes.h).
 * The lanes are GCC/Clang vector types: the compiler turns them into
 * AVX-512 (one register, rotates and three-input logic in one instruction
 * each), AVX2 (two registers) or the baseline's SSE2 (four), chosen once at
 * run time from what the CPU has. Elsewhere the generic build serves.
 */
#include "ripemd160_lanes.h"

#include <string.h>

#include "ripemd160_tables.h"

typedef uint32_t lane_vec __attribute__((vector_size(AW_RIPEMD160_LANES * 4)));

#define H0 0x67452301u
#define H1 0xefcdab89u
#define H2 0x98badcfeu
#define H3 0x10325476u
#define H4 0xc3d2e1f0u

#define VROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

/* A round on vectors of words, a lane per message. */
#define LANE_ROUND(first, FL, KL, FR, KR) AW_RMD_TWO_LINE_ROUND(lane_vec, VROL, first, FL, KL, FR, KR)

typedef void (*lanes_fn)(const uint32_t words[16][AW_RIPEMD160_LANES],
                         uint32_t digest[5][AW_RIPEMD160_LANES]);

#define LANES_NAME lanes_generic
#define LANES_TARGET
#include "ripemd160_lanes_body.h"
#undef LANES_NAME
#undef LANES_TARGET

#if defined(__GNUC__) && defined(__x86_64__)
#define LANES_X86 1
#define LANES_NAME lanes_avx2
#define LANES_TARGET __attribute__((target("avx2")))
#include "ripemd160_lanes_body.h"
#undef LANES_NAME
#undef LANES_TARGET
#define LANES_NAME lanes_avx512
#define LANES_TARGET __attribute__((target("avx512f")))
#include "ripemd160_lanes_body.h"
#undef LANES_NAME
#undef LANES_TARGET
#endif

typedef struct lanes_impl {
    const char *name;
    lanes_fn fn;
} lanes_impl;

/* Best first. */
static const lanes_impl impls[] = {
#ifdef LANES_X86
    {"avx512", lanes_avx512},
    {"avx2", lanes_avx2},
#endif
    {"generic", lanes_generic},
};

static bool cpu_runs(const char *name) {
#ifdef LANES_X86
    __builtin_cpu_init();
    if (strcmp(name, "avx512") == 0)
        return __builtin_cpu_supports("avx512f");
    if (strcmp(name, "avx2") == 0)
        return __builtin_cpu_supports("avx2");
#endif
    return strcmp(name, "generic") == 0;
}

/* The chosen implementation; chosen on first use by any thread (each
 * would choose the same, so the race is harmless). */
static const lanes_impl *chosen;

static const lanes_impl *impl(void) {
    const lanes_impl *c = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (c)
        return c;
    c = &impls[sizeof impls / sizeof impls[0] - 1];
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++)
        if (cpu_runs(impls[i].name)) {
            c = &impls[i];
            break;
        }
    __atomic_store_n(&chosen, c, __ATOMIC_RELEASE);
    return c;
}

const char *aw_ripemd160_lanes_impl(void) { return impl()->name; }

bool aw_ripemd160_lanes_use(const char *name) {
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++)
        if (strcmp(impls[i].name, name) == 0 && cpu_runs(name)) {
            __atomic_store_n(&chosen, &impls[i], __ATOMIC_RELEASE);
            return true;
        }
    return false;
}

static inline uint32_t load_le32(const uint8_t *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t v;
    memcpy(&v, p, sizeof v); /* one load */
    return v;
#else
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
#endif
}

static inline uint64_t load_le64(const uint8_t *p) {
    return (uint64_t)load_le32(p) | ((uint64_t)load_le32(p + 4) << 32);
}

static inline void store_le32(uint8_t *p, uint32_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, sizeof v);
#else
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
#endif
}

void aw_ripemd160_many_init(aw_ripemd160_many *m) {
    m->used = 0;
    m->prefixed = false;
}

/* Hashes the waiting lanes and writes their digests. */
static void run_lanes(aw_ripemd160_many *m) {
    if (!m->prefixed) /* lanes past `used` hold stale or no words: give them zeros */
        for (int w = 0; w < 16; w++)
            for (unsigned lane = m->used; lane < AW_RIPEMD160_LANES; lane++)
                m->words[w][lane] = 0;
    uint32_t digest[5][AW_RIPEMD160_LANES];
    impl()->fn((const uint32_t(*)[AW_RIPEMD160_LANES])m->words, digest);
    for (unsigned lane = 0; lane < m->used; lane++)
        for (int i = 0; i < 5; i++)
            store_le32(m->out[lane] + 4 * i, digest[i][lane]);
    m->used = 0;
}

/* The padded one-block message (set, ptype, key) into b: len bytes of
 * message, 0x80, zeros, the length in bits. A NULL key is key_len zeros
 * (a prefix's block, each key's bytes written in later). */
static void pad_block(uint8_t b[AW_RIPEMD160_BLOCK], const void *set, size_t set_len,
                      uint8_t ptype, const void *key, size_t key_len) {
    size_t len = set_len + 1 + key_len;
    memset(b, 0, AW_RIPEMD160_BLOCK); /* fixed size: a couple of stores, not a call */
    if (set_len)
        memcpy(b, set, set_len);
    b[set_len] = ptype;
    if (key_len && key)
        memcpy(b + set_len + 1, key, key_len);
    b[len] = 0x80;
    uint64_t bits = (uint64_t)len << 3;
    store_le32(b + 56, (uint32_t)bits);
    store_le32(b + 60, (uint32_t)(bits >> 32));
}

/* Room in one block: the message, 0x80 and the 8-byte length. */
static bool one_block(size_t set_len, size_t key_len) {
    return set_len + 1 + key_len <= AW_RIPEMD160_BLOCK - 9;
}

void aw_ripemd160_many_add(aw_ripemd160_many *m, const void *set, size_t set_len, uint8_t ptype,
                           const void *key, size_t key_len, uint8_t out[AW_RIPEMD160_SIZE]) {
    if (!one_block(set_len, key_len)) {
        aw_ripemd160_key(set, set_len, ptype, key, key_len, out);
        return;
    }
    if (m->prefixed) { /* the lanes' words are the prefix's: from here each lane is whole */
        aw_ripemd160_many_finish(m);
        m->prefixed = false;
    }
    uint8_t b[AW_RIPEMD160_BLOCK];
    pad_block(b, set, set_len, ptype, key, key_len);
    unsigned lane = m->used;
    for (int w = 0; w < 16; w++)
        m->words[w][lane] = load_le32(b + 4 * w);
    m->out[m->used++] = out;
    if (m->used == AW_RIPEMD160_LANES)
        run_lanes(m);
}

bool aw_ripemd160_many_prefix(aw_ripemd160_many *m, const void *set, size_t set_len,
                              uint8_t ptype, size_t key_len) {
    aw_ripemd160_many_finish(m);
    m->prefixed = false;
    if (!one_block(set_len, key_len))
        return false;
    pad_block(m->tmpl, set, set_len, ptype, NULL, key_len);
    m->key_off = (unsigned)(set_len + 1);
    m->key_len = (unsigned)key_len;
    for (int w = 0; w < 16; w++) {
        uint32_t v = load_le32(m->tmpl + 4 * w);
        for (unsigned lane = 0; lane < AW_RIPEMD160_LANES; lane++)
            m->words[w][lane] = v;
    }
    m->prefixed = true;
    return true;
}

void aw_ripemd160_many_add_key(aw_ripemd160_many *m, const void *key,
                               uint8_t out[AW_RIPEMD160_SIZE]) {
    /* Only the words the key touches differ from the prefix's: at most
     * three for an integer key, laid out in a 16-byte window. */
    unsigned w0 = m->key_off / 4, w1 = (m->key_off + m->key_len) / 4;
    unsigned lane = m->used;
    if (m->key_len == 8 && w0 <= 12) {
        /* The 16-byte window as two 64-bit halves in registers, the key
         * shifted into the zeros the template has for it. Not through a
         * byte buffer: loading words that straddle the key's store from
         * one stalls until the store lands (several per key). */
        unsigned sh = 8 * (m->key_off % 4);
        uint64_t k = load_le64(key);
        uint64_t lo = load_le64(m->tmpl + 4 * w0) | (k << sh);
        uint64_t hi = load_le64(m->tmpl + 4 * w0 + 8) | (sh ? k >> (64 - sh) : 0);
        m->words[w0][lane] = (uint32_t)lo;
        m->words[w0 + 1][lane] = (uint32_t)(lo >> 32);
        m->words[w0 + 2][lane] = (uint32_t)hi; /* the key ends by then: 3 + 8 < 12 */
    } else if (m->key_len <= 8 && w0 <= 12) {
        uint8_t win[16];
        memcpy(win, m->tmpl + 4 * w0, sizeof win);
        if (m->key_len)
            memcpy(win + m->key_off % 4, key, m->key_len);
        for (unsigned w = w0; w <= w1; w++)
            m->words[w][lane] = load_le32(win + 4 * (w - w0));
    } else {
        uint8_t b[AW_RIPEMD160_BLOCK];
        memcpy(b, m->tmpl, sizeof b);
        memcpy(b + m->key_off, key, m->key_len);
        for (unsigned w = w0; w <= w1; w++)
            m->words[w][lane] = load_le32(b + 4 * w);
    }
    m->out[m->used++] = out;
    if (m->used == AW_RIPEMD160_LANES)
        run_lanes(m);
}

void aw_ripemd160_many_finish(aw_ripemd160_many *m) {
    /* A few stragglers cost less one by one than a whole run of lanes. */
    if (m->used > 2) {
        run_lanes(m);
        return;
    }
    for (unsigned lane = 0; lane < m->used; lane++) {
        uint8_t b[AW_RIPEMD160_BLOCK];
        for (int w = 0; w < 16; w++)
            store_le32(b + 4 * w, m->words[w][lane]);
        aw_ripemd160 ctx;
        aw_ripemd160_init(&ctx);
        uint64_t bits = (uint64_t)load_le32(b + 56);
        aw_ripemd160_update(&ctx, b, (size_t)(bits >> 3));
        aw_ripemd160_final(&ctx, m->out[lane]);
    }
    m->used = 0;
}
