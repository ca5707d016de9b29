/* aw-testd: msgpack op arguments read as the server reads them (mp_in.h). */
#include "mp_in.h"

#include <stddef.h>

static bool has(const td_mp *c, uint64_t n) { return c->len - c->at >= n; }

static uint64_t load_be(const uint8_t *p, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

bool td_mp_list(td_mp *c, uint32_t *n) {
    if (!has(c, 1))
        return false;
    uint8_t b = c->p[c->at];
    unsigned w = b == 0xdc ? 2 : b == 0xdd ? 4 : 0;
    if (w == 0) {
        if ((b & 0xf0) != 0x90)
            return false;
        *n = b & 0x0f;
        c->at++;
        return true;
    }
    if (!has(c, 1 + w))
        return false;
    *n = (uint32_t)load_be(c->p + c->at + 1, w);
    c->at += 1 + w;
    return true;
}

bool td_mp_uint(td_mp *c, uint64_t *v) {
    if (!has(c, 1))
        return false;
    uint8_t b = c->p[c->at];
    if (b < 0x80 || b >= 0xe0) {
        *v = (uint64_t)(int64_t)(int8_t)b;
        if (b < 0x80)
            *v = b;
        c->at++;
        return true;
    }
    unsigned w;
    bool is_signed = b >= 0xd0 && b <= 0xd3;
    if (b >= 0xcc && b <= 0xcf)
        w = 1u << (b - 0xcc);
    else if (is_signed)
        w = 1u << (b - 0xd0);
    else
        return false;
    if (!has(c, 1 + w))
        return false;
    const uint8_t *p = c->p + c->at + 1;
    uint64_t x = load_be(p, w);
    if (is_signed && (p[0] & 0x80) && w < 8)
        x |= ~0ull << (8 * w);
    *v = x;
    c->at += 1 + w;
    return true;
}

bool td_mp_bool(td_mp *c, uint64_t *v) {
    if (!has(c, 1) || (c->p[c->at] != 0xc2 && c->p[c->at] != 0xc3))
        return false;
    *v = c->p[c->at++] & 1;
    return true;
}

const uint8_t *td_mp_bytes(td_mp *c, uint32_t *n) {
    if (!has(c, 1))
        return NULL;
    uint8_t b = c->p[c->at];
    unsigned w;
    switch (b) {
    case 0xc4: case 0xd9: w = 1; break;
    case 0xc5: case 0xda: w = 2; break;
    case 0xc6: case 0xdb: w = 4; break;
    default:
        if ((b & 0xe0) != 0xa0)
            return NULL;
        w = 0;
        break;
    }
    if (!has(c, 1 + w))
        return NULL;
    *n = w ? (uint32_t)load_be(c->p + c->at + 1, w) : (uint32_t)(b & 0x1f);
    c->at += 1 + w;
    if (!has(c, *n))
        return NULL;
    const uint8_t *p = c->p + c->at;
    c->at += *n;
    return p;
}

bool td_mp_at_container(const td_mp *c) {
    if (!has(c, 1))
        return false;
    uint8_t b = c->p[c->at];
    return (b & 0xe0) == 0x80 || (b >= 0xdc && b <= 0xdf);
}

/* Bytes after the type byte that give the payload's length (ext: the
 * length, not the ext's type byte), and the payload bytes that follow it
 * whatever the length says; -1 for a byte no value starts with. */
static int header_of(uint8_t b, unsigned *len_bytes, unsigned *fixed) {
    *len_bytes = 0;
    *fixed = 0;
    if (b < 0x80 || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 0;
    if ((b & 0xe0) == 0xa0) {
        *fixed = b & 0x1f;
        return 0;
    }
    switch (b) {
    case 0xcc: case 0xd0: *fixed = 1; return 0;
    case 0xcd: case 0xd1: *fixed = 2; return 0;
    case 0xca: case 0xce: case 0xd2: *fixed = 4; return 0;
    case 0xcb: case 0xcf: case 0xd3: *fixed = 8; return 0;
    case 0xc4: case 0xd9: *len_bytes = 1; return 0;
    case 0xc5: case 0xda: *len_bytes = 2; return 0;
    case 0xc6: case 0xdb: *len_bytes = 4; return 0;
    case 0xd4: *fixed = 2; return 0; /* ext type + data */
    case 0xd5: *fixed = 3; return 0;
    case 0xd6: *fixed = 5; return 0;
    case 0xd7: *fixed = 9; return 0;
    case 0xd8: *fixed = 17; return 0;
    case 0xc7: *len_bytes = 1; *fixed = 1; return 0;
    case 0xc8: *len_bytes = 2; *fixed = 1; return 0;
    case 0xc9: *len_bytes = 4; *fixed = 1; return 0;
    default: return -1; /* c1, and the containers */
    }
}

const uint8_t *td_mp_scalar(td_mp *c, uint32_t *n) {
    unsigned len_bytes, fixed;
    if (!has(c, 1) || header_of(c->p[c->at], &len_bytes, &fixed) != 0 || !has(c, 1 + len_bytes))
        return NULL;
    uint64_t size = 1 + len_bytes + fixed + load_be(c->p + c->at + 1, len_bytes);
    if (!has(c, size))
        return NULL;
    const uint8_t *p = c->p + c->at;
    *n = (uint32_t)size;
    c->at += (uint32_t)size;
    return p;
}
