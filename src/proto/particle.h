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

/* The particle type a value travels as. */
uint8_t aw_particle_type(const aw_value *v);

/* Appends the value's particle bytes (8-byte BE int/double, raw string or blob
 * bytes, 1-byte bool, msgpack for lists/maps, flags+ncells+json for GeoJSON).
 * Returns AW_OK, AW_ERR_PARAM or AW_ERR_NOMEM. */
int aw_particle_write(aw_buf *b, const aw_value *v, aw_error *err);

/* Exact byte size aw_particle_write will append for scalars; for lists/maps
 * it encodes into scratch to measure. Returns (size_t)-1 on error. */
size_t aw_particle_size(const aw_value *v);

/* Decodes particle bytes of type ptype into out; storage from the arena
 * (text NUL-terminated). Unknown particle types decode as AW_BLOB with
 * subtype = ptype. Returns AW_OK, AW_ERR_PROTO (wrong length for the type,
 * bad msgpack) or AW_ERR_NOMEM. */
int aw_particle_read(uint8_t ptype, const uint8_t *p, size_t len, aw_value *out, aw_arena *a,
                     aw_error *err);

#endif
