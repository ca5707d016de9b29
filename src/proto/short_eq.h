/*
 * Equality of short byte runs (names: namespaces, sets, bins), inline.
 *
 * A batch compares a name or two for every key or row. A call to memcmp or
 * strncmp costs more than the comparison itself at these lengths; a few
 * overlapping word loads do not.
 */
#ifndef AW_PROTO_SHORT_EQ_H
#define AW_PROTO_SHORT_EQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Whether a[0..n) equals b[0..n). Reads no byte outside [0, n) of either,
 * so a name at the very end of a reply can be compared in place. */
static inline bool aw_short_eq(const void *a, const void *b, size_t n) {
    const uint8_t *x = a, *y = b;
    if (n >= 8) {
        uint64_t u, v, d = 0;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&u, x + i, 8);
            memcpy(&v, y + i, 8);
            d |= u ^ v;
        }
        memcpy(&u, x + n - 8, 8); /* the last word, overlapping the one before */
        memcpy(&v, y + n - 8, 8);
        return (d | (u ^ v)) == 0;
    }
    if (n >= 4) {
        uint32_t u0, v0, u1, v1;
        memcpy(&u0, x, 4);
        memcpy(&v0, y, 4);
        memcpy(&u1, x + n - 4, 4);
        memcpy(&v1, y + n - 4, 4);
        return ((u0 ^ v0) | (u1 ^ v1)) == 0;
    }
    if (n == 0)
        return true;
    return x[0] == y[0] && x[n / 2] == y[n / 2] && x[n - 1] == y[n - 1];
}

/* Whether the C string s (in an array of at least len + 1 bytes) is the
 * len-byte name `name`: equal bytes, then s's NUL right after them. */
static inline bool aw_short_is(const char *s, const void *name, size_t len) {
    return aw_short_eq(s, name, len) && s[len] == '\0';
}

#endif
