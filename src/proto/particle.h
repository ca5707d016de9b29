/*
 * Particles: bin values as they travel in ops and in the KEY field.
 */
#ifndef AW_PROTO_PARTICLE_H
#define AW_PROTO_PARTICLE_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/value.h"
#include "arena.h"
#include "buf.h"

/* Particle type numbers (the wire's). */
enum {
    AW_PT_NULL = 0, AW_PT_INTEGER = 1, AW_PT_FLOAT = 2, AW_PT_STRING = 3, AW_PT_BLOB = 4,
    AW_PT_JAVA_BLOB = 7, AW_PT_CSHARP_BLOB = 8, AW_PT_PYTHON_BLOB = 9, AW_PT_RUBY_BLOB = 10,
    AW_PT_PHP_BLOB = 11, AW_PT_ERLANG_BLOB = 12, AW_PT_VECTOR = 16, AW_PT_BOOL = 17,
    AW_PT_HLL = 18, AW_PT_MAP = 19, AW_PT_LIST = 20, AW_PT_GEOJSON = 23,
};

/* A user key (AW_INT, AW_STR or AW_BLOB) as the particle type and bytes the
 * digest hashes and the KEY field carries; integers are written big-endian
 * into int_buf. AW_ERR_PARAM for any other type or a bad length. */
int aw_user_key_particle(const aw_value *v, uint8_t *ptype, const void **bytes, uint32_t *len,
                         uint8_t int_buf[8], aw_error *err);

/* The particle type a value travels as: the type tag, or a blob's subtype. */
uint8_t aw_particle_type(const aw_value *v);

/* Appends the value's particle bytes (8-byte BE int/double, raw string or blob
 * bytes, 1-byte bool, msgpack for lists/maps, flags+ncells+json for GeoJSON,
 * nothing for nil). Returns AW_OK, AW_ERR_PARAM (unknown type; a blob whose
 * subtype is another type's particle number: 0-3, 17, 19, 20, 23; a wildcard or
 * infinity nil; what aw_msgpack_write refuses) or AW_ERR_NOMEM. */
int aw_particle_write(aw_buf *b, const aw_value *v, aw_error *err);

/* Exact byte size aw_particle_write will append; lists/maps are measured with
 * aw_msgpack_size (no allocation). Returns (size_t)-1 where write would fail
 * with AW_ERR_PARAM. */
size_t aw_particle_size(const aw_value *v);

/* Decodes particle bytes of type ptype into out; storage from the arena
 * (text NUL-terminated, blobs too). Unknown particle types decode as AW_BLOB
 * with subtype = ptype. Returns AW_OK, AW_ERR_PROTO (INTEGER/FLOAT not 8
 * bytes, BOOL not 1, NULL with bytes, GeoJSON cells beyond the bytes, bad or
 * trailing msgpack, a LIST particle that is not a msgpack array or a MAP one
 * that is not a map, the arena's limit reached) or AW_ERR_NOMEM. On error
 * *out is nil. */
int aw_particle_read(uint8_t ptype, const uint8_t *p, size_t len, aw_value *out, aw_arena *a,
                     aw_error *err);

#endif
