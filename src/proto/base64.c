/*
 * Standard base64 (RFC 4648, padded), both ways. The decoder is the one
 * every reader shares: the partition map's bitmaps, expression texts, and
 * aw-testd's sindex contexts and expressions.
 */
#include "base64.h"

#include "mem.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void aw_base64_encode_to(char *w, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *w++ = ALPHABET[v >> 18];
        *w++ = ALPHABET[(v >> 12) & 63];
        *w++ = i + 1 < n ? ALPHABET[(v >> 6) & 63] : '=';
        *w++ = i + 2 < n ? ALPHABET[v & 63] : '=';
    }
}

char *aw_base64_encode(const uint8_t *p, size_t n) {
    char *s = aw_malloc(AW_BASE64_LEN(n) + 1);
    if (!s)
        return NULL;
    aw_base64_encode_to(s, p, n);
    s[AW_BASE64_LEN(n)] = '\0';
    return s;
}

static int sextet(unsigned char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static bool fail(size_t at, const char *reason, size_t *bad, const char **why) {
    *bad = at;
    *why = reason;
    return false;
}

bool aw_base64_decode(const char *s, size_t len, bool strict, uint8_t *dst, size_t *n_out,
                      size_t *bad, const char **why) {
    if (len == 0 || len % 4)
        return fail(len, "length is not a positive multiple of 4", bad, why);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        int v[4];
        size_t pad = 0;
        for (size_t k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + k];
            /* '=' only at the end of the final quantum, never in its first two. */
            if (c == '=' && last && k >= 2) {
                pad++;
                v[k] = 0;
                continue;
            }
            v[k] = sextet(c);
            if (v[k] < 0 || pad)
                return fail(i + k,
                            pad ? "data after '='" : c == '=' ? "misplaced '='" : "bad character",
                            bad, why);
        }
        uint32_t q = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                     (uint32_t)v[3];
        if (strict && ((pad == 1 && (q & 0xff)) || (pad == 2 && (q & 0xffff))))
            return fail(i + 3 - pad, "non-zero bits under the padding", bad, why);
        for (size_t k = 0; k < 3 - pad; k++)
            dst[o++] = (uint8_t)(q >> (16 - 8 * k));
    }
    *n_out = o;
    return true;
}
