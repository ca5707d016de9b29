/*
 * Msgpack as Aerospike uses it for LIST and MAP particles and CDT arguments.
 *
 * Strings and blobs inside msgpack carry Aerospike's particle-type byte as
 * the first payload byte (str family header, n = len + 1). Decoders take
 * (pointer, length), never read outside it, refuse nesting deeper than
 * AW_MSGPACK_MAX_DEPTH, and check every count against the bytes left before
 * allocating (each element needs at least one byte).
 */
#ifndef AW_PROTO_MSGPACK_H
#define AW_PROTO_MSGPACK_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/value.h"
#include "arena.h"
#include "buf.h"

#define AW_MSGPACK_MAX_DEPTH 64

/* Primitive writers (append to b; failures are sticky in b->oom). */
void aw_mp_put_nil(aw_buf *b);
void aw_mp_put_bool(aw_buf *b, bool v);
void aw_mp_put_int(aw_buf *b, int64_t v);      /* smallest encoding */
void aw_mp_put_uint(aw_buf *b, uint64_t v);
void aw_mp_put_double(aw_buf *b, double v);    /* always cb + 8 bytes */
void aw_mp_put_array_header(aw_buf *b, uint32_t n);
void aw_mp_put_map_header(aw_buf *b, uint32_t n);
/* str-family header for n payload bytes (no particle prefix added). */
void aw_mp_put_str_header(aw_buf *b, uint32_t n);
/* A string/blob with Aerospike's particle prefix: header(len+1), ptype, bytes. */
void aw_mp_put_particle_bytes(aw_buf *b, uint8_t ptype, const void *p, uint32_t len);
/* A plain msgpack string (no particle prefix), e.g. bin names in expressions. */
void aw_mp_put_raw_str(aw_buf *b, const char *s, uint32_t len);
/* The ordered-collection ext marker c7 00 <flags>. */
void aw_mp_put_order_ext(aw_buf *b, uint8_t flags);

/* CDT special comparison values (fixext1, ext type 0xff). They decode as
 * AW_NIL with one of these subtypes, and aw_msgpack_write writes such a nil
 * back as the same three bytes. A plain nil has subtype 0. */
#define AW_MP_NIL_WILDCARD 1 /* d4 ff 00 */
#define AW_MP_NIL_INFINITY 2 /* d4 ff 01 */
void aw_mp_put_wildcard(aw_buf *b);
void aw_mp_put_infinity(aw_buf *b);

/* Encodes any value as msgpack (lists/maps recursively, with order-flag ext
 * when subtype != 0). Returns AW_OK, AW_ERR_PARAM (nesting deeper than
 * AW_MSGPACK_MAX_DEPTH containers, unknown type, a blob whose subtype is 3 or
 * 23 (it would decode as a string/GeoJSON), a length over AW_VALUE_MAX_LEN;
 * message says which) or AW_ERR_NOMEM. On error b->len is restored to what it
 * was before the call. */
int aw_msgpack_write(aw_buf *b, const aw_value *v, aw_error *err);

/* Bytes aw_msgpack_write would append for v, computed without allocating;
 * (size_t)-1 when it would fail with AW_ERR_PARAM. */
size_t aw_msgpack_size(const aw_value *v);

/* Decodes one msgpack value at p[0..len) into out; everything allocated
 * (strings, blobs, items) comes from the arena and is NUL-terminated where it
 * is text. *consumed = bytes used. Returns AW_OK, AW_ERR_PROTO (truncated,
 * bad tag, more than AW_MSGPACK_MAX_DEPTH nested containers, count beyond the
 * bytes left, an ext other than the ones below, the arena's limit reached) or
 * AW_ERR_NOMEM. On error *out is nil, *consumed 0, and whatever was already
 * allocated stays in the arena until it is freed.
 *
 * Decoding rules:
 *  - str (a0-bf, d9-db) and bin (c4-c6) payloads are treated alike, as the
 *    Aerospike clients do: first byte 3 -> AW_STR, 23 -> AW_GEOJSON, any other
 *    -> AW_BLOB with subtype = that byte; an empty payload -> empty AW_STR.
 *  - ca float32 widens to double; cf u64 above INT64_MAX wraps to negative
 *    (the wire's integers are int64).
 *  - A list's first element / a map's first key that is an ext whose type is
 *    not 0xff is the order marker: its type goes to subtype and it (and, for
 *    a map, its value) is dropped from the items.
 *  - d4 ff 00 / d4 ff 01 -> AW_NIL with subtype AW_MP_NIL_WILDCARD/INFINITY.
 *  - Any other ext -> AW_ERR_PROTO. */
int aw_msgpack_read(const uint8_t *p, size_t len, aw_value *out, aw_arena *a, size_t *consumed,
                    aw_error *err);

/* Bytes taken by the msgpack value at p[0..len), without decoding it.
 * Returns AW_OK or AW_ERR_PROTO. Iterative: depth is not limited by the stack. */
int aw_msgpack_skip(const uint8_t *p, size_t len, size_t *consumed, aw_error *err);

#endif
