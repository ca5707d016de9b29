/* IEEE half <-> float/double, bit by bit (no compiler _Float16 needed). */
#include "half.h"

#include <string.h>

uint16_t aw_double_to_half(double d) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    uint16_t sign = (uint16_t)((bits >> 48) & 0x8000u);
    uint32_t e = (uint32_t)(bits >> 52) & 0x7ffu;
    uint64_t m = bits & 0xfffffffffffffull;

    if (e == 0x7ff) {
        if (m == 0)
            return sign | 0x7c00u; /* inf */
        /* NaN: the top payload bits, kept non-zero (numpy's rule). */
        uint16_t payload = (uint16_t)(m >> 42);
        return sign | 0x7c00u | (payload ? payload : 1u);
    }
    int E = (int)e - 1023;
    if (E >= 16) /* |d| >= 65536: beyond the largest half (65504) and its rounding edge */
        return sign | 0x7c00u;
    if (E >= -14) {
        /* Normal half: keep 10 of the 52 mantissa bits, round to nearest even.
         * A carry out of the mantissa bumps the exponent (to inf past 65504). */
        uint32_t h = ((uint32_t)(E + 15) << 10) | (uint32_t)(m >> 42);
        uint64_t rest = m & ((1ull << 42) - 1);
        const uint64_t halfway = 1ull << 41;
        if (rest > halfway || (rest == halfway && (h & 1)))
            h++;
        return sign | (uint16_t)h;
    }
    /* Subnormal half (or zero): units of 2^-24. d = M * 2^(E-52) with the
     * implicit bit, so M >> (28 - E) units. */
    if (e == 0 || E < -25)
        return sign; /* below 2^-25: rounds to zero */
    uint64_t M = m | (1ull << 52);
    unsigned s = (unsigned)(28 - E); /* 43..53 */
    uint32_t h = (uint32_t)(M >> s);
    uint64_t rest = M & ((1ull << s) - 1);
    uint64_t halfway = 1ull << (s - 1);
    if (rest > halfway || (rest == halfway && (h & 1)))
        h++; /* may become 0x400, the smallest normal: still right */
    return sign | (uint16_t)h;
}

float aw_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu;
    uint32_t m = h & 0x3ffu;
    uint32_t bits;
    if (e == 0x1f) {
        bits = sign | 0x7f800000u | (m << 13); /* inf or NaN (payload kept) */
    } else if (e != 0) {
        bits = sign | ((e + 112) << 23) | (m << 13);
    } else if (m == 0) {
        bits = sign;
    } else {
        /* Subnormal half: normalise into a float. */
        uint32_t shift = 0;
        while (!(m & 0x400u)) {
            m <<= 1;
            shift++;
        }
        m &= 0x3ffu;
        bits = sign | ((113 - shift) << 23) | (m << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}
