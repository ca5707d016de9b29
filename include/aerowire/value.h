/*
 * aerowire/value.h — the one value model used by keys, bins, ops and records.
 *
 * An aw_value is 16 bytes: a type tag, a length and a union. Its storage is
 * either borrowed (the caller keeps the bytes alive while the value is used)
 * or owned (`owned` = 1: allocated through aerowire's allocator and released
 * by aw_value_free).
 *
 * Ownership rules
 *  - aw_value_int/float/bool/nil need no storage.
 *  - aw_value_str/strn/blob/geojson/list/map BORROW: nothing is copied and
 *    aw_value_free does nothing to them.
 *  - aw_value_list_alloc/map_alloc/dup and the *_dup constructors return OWNED
 *    values. aw_value_free on an owned list or map frees every item (recursing
 *    into owned items) and then the item array.
 *  - Values decoded from a server reply belong to the record (or result) they
 *    came in and live exactly as long as it; never aw_value_free them.
 */
#ifndef AEROWIRE_VALUE_H
#define AEROWIRE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Type tags are the Aerospike particle types. */
typedef enum aw_type {
    AW_NIL = 0,
    AW_INT = 1,
    AW_FLOAT = 2,
    AW_STR = 3,
    AW_BLOB = 4,     /* subtype = the particle type: 4, 7..12 (language blobs), 18 (HLL) */
    AW_BOOL = 17,
    AW_MAP = 19,     /* subtype = map order flags (0 unordered, 1 key, 3 key-value) */
    AW_LIST = 20,    /* subtype = list order flags (0 unordered, 1 ordered) */
    AW_GEOJSON = 23,
} aw_type;

/* Particle types that are blobs by another name. */
#define AW_PARTICLE_BLOB 4
#define AW_PARTICLE_HLL 18

typedef struct aw_value aw_value;
struct aw_value {
    uint8_t type;     /* aw_type */
    uint8_t subtype;  /* see aw_type */
    uint8_t owned;    /* 1 when the storage below belongs to this value */
    uint8_t reserved;
    uint32_t len;     /* STR/GEOJSON/BLOB: bytes; LIST: items; MAP: entries */
    union {
        int64_t i;
        double f;
        bool b;
        const char *str;      /* STR, GEOJSON: len bytes (decoded ones are NUL-terminated) */
        const uint8_t *bytes; /* BLOB */
        aw_value *items;      /* LIST: len items; MAP: 2*len, key0, val0, key1, ... */
    } u;
};

/* Largest length a string, blob, list or map may have (fits the wire's u32). */
#define AW_VALUE_MAX_LEN 0xFFFFFFF0u

static inline aw_value aw_value_nil(void) {
    aw_value v = {0};
    return v;
}
static inline aw_value aw_value_int(int64_t i) {
    aw_value v = {0};
    v.type = AW_INT;
    v.u.i = i;
    return v;
}
static inline aw_value aw_value_float(double f) {
    aw_value v = {0};
    v.type = AW_FLOAT;
    v.u.f = f;
    return v;
}
static inline aw_value aw_value_bool(bool b) {
    aw_value v = {0};
    v.type = AW_BOOL;
    v.u.b = b;
    return v;
}
/* Borrowed string of n bytes (need not be NUL-terminated). */
static inline aw_value aw_value_strn(const char *s, size_t n) {
    aw_value v = {0};
    v.type = AW_STR;
    v.len = (uint32_t)n;
    v.u.str = s;
    return v;
}
/* Borrowed NUL-terminated string. */
AW_API aw_value aw_value_str(const char *s);
/* Borrowed GeoJSON text. */
AW_API aw_value aw_value_geojson(const char *json);
/* Borrowed blob of n bytes (particle type 4). */
static inline aw_value aw_value_blob(const void *p, size_t n) {
    aw_value v = {0};
    v.type = AW_BLOB;
    v.subtype = AW_PARTICLE_BLOB;
    v.len = (uint32_t)n;
    v.u.bytes = (const uint8_t *)p;
    return v;
}
/* Borrowed list over the caller's array of n items. */
static inline aw_value aw_value_list(aw_value *items, size_t n) {
    aw_value v = {0};
    v.type = AW_LIST;
    v.len = (uint32_t)n;
    v.u.items = items;
    return v;
}
/* Borrowed map over the caller's array of 2*n items (key, value, key, ...). */
static inline aw_value aw_value_map(aw_value *kv, size_t n_entries) {
    aw_value v = {0};
    v.type = AW_MAP;
    v.len = (uint32_t)n_entries;
    v.u.items = kv;
    return v;
}

/* Owned list of n nil items (fill them by index; items may be owned values,
 * which the list then owns). Returns 0, AW_ERR_NOMEM, or AW_ERR_PARAM when n
 * exceeds AW_VALUE_MAX_LEN. */
AW_API int aw_value_list_alloc(aw_value *out, size_t n);
/* Owned map of n entries, all nil (items[2*i] key, items[2*i+1] value). */
AW_API int aw_value_map_alloc(aw_value *out, size_t n_entries);
/* Owned copies. Return 0, AW_ERR_NOMEM, or AW_ERR_PARAM (length over
 * AW_VALUE_MAX_LEN, NULL bytes with a non-zero length, nesting deeper than 64
 * containers, an unknown type). */
AW_API int aw_value_str_dup(aw_value *out, const char *s, size_t n);
AW_API int aw_value_blob_dup(aw_value *out, const void *p, size_t n);
/* Deep, owned copy of any value. */
AW_API int aw_value_dup(aw_value *out, const aw_value *src);

/* Frees what v owns (see the rules above) and leaves v as nil. NULL is harmless. */
AW_API void aw_value_free(aw_value *v);

/* Deep equality. Floats compare by bit pattern (so NaN equals the same NaN
 * and -0.0 differs from 0.0): equality here means "decodes to the same bytes".
 * Maps compare entry by entry in order, not as sets; nil subtypes (the CDT
 * wildcard and infinity markers) are compared; nesting deeper than 64
 * containers compares unequal. */
AW_API bool aw_value_equal(const aw_value *a, const aw_value *b);

/* Map helpers for decoded or built maps (linear scan). */
AW_API const aw_value *aw_map_get_str(const aw_value *map, const char *key);

#ifdef __cplusplus
}
#endif
#endif
