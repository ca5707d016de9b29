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

/* Encodes any value as msgpack (lists/maps recursively, with order-flag ext
 * when subtype != 0). Returns AW_OK, AW_ERR_PARAM (nesting too deep, unknown
 * type; message says which) or AW_ERR_NOMEM. */
int aw_msgpack_write(aw_buf *b, const aw_value *v, aw_error *err);

/* Decodes one msgpack value at p[0..len) into out; everything allocated
 * (strings, blobs, items) comes from the arena and is NUL-terminated where it
 * is text. *consumed = bytes used. Returns AW_OK, AW_ERR_PROTO (truncated,
 * bad tag, too deep, count beyond the bytes left) or AW_ERR_NOMEM. */
int aw_msgpack_read(const uint8_t *p, size_t len, aw_value *out, aw_arena *a, size_t *consumed,
                    aw_error *err);

/* Bytes taken by the msgpack value at p[0..len), without decoding it.
 * Returns AW_OK or AW_ERR_PROTO. Iterative: depth is not limited by the stack. */
int aw_msgpack_skip(const uint8_t *p, size_t len, size_t *consumed, aw_error *err);

#endif
