/*
 * A growable output buffer and big-endian load/store helpers.
 *
 * aw_buf is sticky on failure: once a grow fails, `oom` stays set and every
 * later append is a no-op, so encoders append freely and check once at the end
 * (aw_buf_ok). Memory goes through aw_malloc/aw_realloc.
 */
#ifndef AW_PROTO_BUF_H
#define AW_PROTO_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct aw_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool oom;
} aw_buf;

void aw_buf_init(aw_buf *b);
void aw_buf_free(aw_buf *b);
/* Keeps the memory, forgets the contents and any OOM state. */
static inline void aw_buf_reset(aw_buf *b) {
    b->len = 0;
    b->oom = false;
}
/* Ensures room for `extra` more bytes; false (and oom set) on failure. */
bool aw_buf_reserve_slow(aw_buf *b, size_t extra);
static inline bool aw_buf_reserve(aw_buf *b, size_t extra) {
    if (b->oom)
        return false;
    if (b->cap - b->len >= extra)
        return true;
    return aw_buf_reserve_slow(b, extra);
}
static inline bool aw_buf_ok(const aw_buf *b) { return !b->oom; }

/* Appends n uninitialised bytes and returns where they start (NULL on OOM). */
static inline uint8_t *aw_buf_grow(aw_buf *b, size_t n) {
    if (!aw_buf_reserve(b, n))
        return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static inline void aw_store_u16be(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void aw_store_u32be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void aw_store_u64be(uint8_t *p, uint64_t v) {
    aw_store_u32be(p, (uint32_t)(v >> 32));
    aw_store_u32be(p + 4, (uint32_t)v);
}
static inline uint16_t aw_load_u16be(const uint8_t *p) {
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t aw_load_u32be(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t aw_load_u64be(const uint8_t *p) {
    return ((uint64_t)aw_load_u32be(p) << 32) | aw_load_u32be(p + 4);
}
static inline uint64_t aw_load_u48be(const uint8_t *p) {
    return ((uint64_t)aw_load_u16be(p) << 32) | aw_load_u32be(p + 2);
}

static inline void aw_buf_put(aw_buf *b, const void *src, size_t n) {
    uint8_t *p = aw_buf_grow(b, n);
    if (p && n)
        memcpy(p, src, n);
}
static inline void aw_buf_u8(aw_buf *b, uint8_t v) {
    uint8_t *p = aw_buf_grow(b, 1);
    if (p)
        p[0] = v;
}
static inline void aw_buf_u16be(aw_buf *b, uint16_t v) {
    uint8_t *p = aw_buf_grow(b, 2);
    if (p)
        aw_store_u16be(p, v);
}
static inline void aw_buf_u32be(aw_buf *b, uint32_t v) {
    uint8_t *p = aw_buf_grow(b, 4);
    if (p)
        aw_store_u32be(p, v);
}
static inline void aw_buf_u64be(aw_buf *b, uint64_t v) {
    uint8_t *p = aw_buf_grow(b, 8);
    if (p)
        aw_store_u64be(p, v);
}

#endif
