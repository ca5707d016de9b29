/* Particles: bin values on the wire (particle.h, wire-protocol.md §5.3). */
#include "particle.h"

#include <string.h>

#include "msgpack.h"

/* GeoJSON particles start with flags (1 byte) and a u16 cell count. */
#define GEO_HEADER 3

uint8_t aw_particle_type(const aw_value *v) {
    /* The value tags are the particle numbers; blobs carry theirs in subtype. */
    return v->type == AW_BLOB ? v->subtype : v->type;
}

/* Blob subtypes that would travel as another type's particle number and so
 * be misread by the server (0 would even delete the bin). */
static bool blob_subtype_ok(uint8_t t) {
    switch (t) {
    case AW_PT_NULL: case AW_PT_INTEGER: case AW_PT_FLOAT: case AW_PT_STRING:
    case AW_PT_BOOL: case AW_PT_MAP: case AW_PT_LIST: case AW_PT_GEOJSON:
        return false;
    default:
        return true;
    }
}

/* Why a scalar cannot be written as a particle, or NULL. */
static const char *bad_scalar(const aw_value *v) {
    switch (v->type) {
    case AW_NIL:
        return v->subtype ? "wildcard/infinity only exist inside msgpack" : NULL;
    case AW_INT:
    case AW_FLOAT:
    case AW_BOOL:
        return NULL;
    case AW_BLOB:
        if (!blob_subtype_ok(v->subtype))
            return "blob subtype is another type's particle number";
        /* fall through */
    case AW_STR:
    case AW_GEOJSON:
        if (v->len > AW_VALUE_MAX_LEN)
            return "longer than AW_VALUE_MAX_LEN";
        return v->len && !v->u.bytes ? "NULL data" : NULL;
    default:
        return "unknown value type";
    }
}

int aw_particle_write(aw_buf *b, const aw_value *v, aw_error *err) {
    if (v->type == AW_LIST || v->type == AW_MAP)
        return aw_msgpack_write(b, v, err);
    const char *why = bad_scalar(v);
    if (why)
        return aw_error_set(err, AW_ERR_PARAM, "particle: %s (type %u, subtype %u)", why,
                            v->type, v->subtype);
    uint64_t bits;
    switch (v->type) {
    case AW_NIL:
        break;
    case AW_INT:
        aw_buf_u64be(b, (uint64_t)v->u.i);
        break;
    case AW_FLOAT:
        memcpy(&bits, &v->u.f, sizeof bits);
        aw_buf_u64be(b, bits);
        break;
    case AW_BOOL:
        aw_buf_u8(b, v->u.b ? 1 : 0);
        break;
    case AW_GEOJSON: {
        static const uint8_t head[GEO_HEADER] = {0, 0, 0}; /* flags 0, no cells */
        aw_buf_put(b, head, GEO_HEADER);
        aw_buf_put(b, v->u.str, v->len);
        break;
    }
    default: /* AW_STR, AW_BLOB: the raw bytes */
        aw_buf_put(b, v->u.bytes, v->len);
        break;
    }
    if (!aw_buf_ok(b))
        return aw_error_set(err, AW_ERR_NOMEM, "particle: out of memory");
    return AW_OK;
}

size_t aw_particle_size(const aw_value *v) {
    if (v->type == AW_LIST || v->type == AW_MAP)
        return aw_msgpack_size(v); /* measured without encoding */
    if (bad_scalar(v))
        return (size_t)-1;
    switch (v->type) {
    case AW_NIL:
        return 0;
    case AW_INT:
    case AW_FLOAT:
        return 8;
    case AW_BOOL:
        return 1;
    case AW_GEOJSON:
        return GEO_HEADER + (size_t)v->len;
    default:
        return v->len;
    }
}

/* Arena copy with a NUL after it; a hit limit is the peer's fault (PROTO). */
static int copy_bytes(const uint8_t *p, size_t len, aw_arena *a, char **out, aw_error *err) {
    if (len > AW_VALUE_MAX_LEN)
        return aw_error_set(err, AW_ERR_PROTO, "particle: %zu bytes is over AW_VALUE_MAX_LEN",
                            len);
    *out = aw_arena_strndup(a, p, len);
    if (*out)
        return AW_OK;
    size_t rounded = (len + 1 + 7) & ~(size_t)7;
    if (a->limit && (rounded > a->limit || a->used > a->limit - rounded))
        return aw_error_set(err, AW_ERR_PROTO, "particle: %zu bytes exceed the %zu-byte limit",
                            len, a->limit);
    return aw_error_set(err, AW_ERR_NOMEM, "particle: out of memory");
}

static int read_collection(uint8_t ptype, const uint8_t *p, size_t len, aw_value *out,
                           aw_arena *a, aw_error *err) {
    size_t used;
    int rc = aw_msgpack_read(p, len, out, a, &used, err);
    if (rc)
        return rc;
    uint8_t want = ptype == AW_PT_LIST ? AW_LIST : AW_MAP;
    uint8_t got = out->type;
    if (got != want || used != len) {
        *out = aw_value_nil();
        if (used != len)
            return aw_error_set(err, AW_ERR_PROTO, "particle %u: %zu bytes after the msgpack value",
                                ptype, len - used);
        return aw_error_set(err, AW_ERR_PROTO, "particle %u holds msgpack of type %u", ptype, got);
    }
    return AW_OK;
}

int aw_particle_read(uint8_t ptype, const uint8_t *p, size_t len, aw_value *out, aw_arena *a,
                     aw_error *err) {
    *out = aw_value_nil();
    if (!p && len)
        return aw_error_set(err, AW_ERR_PARAM, "particle: NULL input");
    char *copy;
    int rc;
    switch (ptype) {
    case AW_PT_NULL:
        if (len)
            return aw_error_set(err, AW_ERR_PROTO, "particle NULL with %zu value bytes", len);
        return AW_OK;
    case AW_PT_INTEGER:
    case AW_PT_FLOAT:
        /* The server always sends 8 bytes; anything else means we lost framing. */
        if (len != 8)
            return aw_error_set(err, AW_ERR_PROTO, "particle %s must be 8 bytes, got %zu",
                                ptype == AW_PT_INTEGER ? "INTEGER" : "FLOAT", len);
        if (ptype == AW_PT_INTEGER) {
            uint64_t u = aw_load_u64be(p);
            out->u.i = u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
            out->type = AW_INT;
        } else {
            uint64_t bits = aw_load_u64be(p);
            memcpy(&out->u.f, &bits, sizeof bits);
            out->type = AW_FLOAT;
        }
        return AW_OK;
    case AW_PT_BOOL:
        if (len != 1)
            return aw_error_set(err, AW_ERR_PROTO, "particle BOOL must be 1 byte, got %zu", len);
        *out = aw_value_bool(p[0] != 0);
        return AW_OK;
    case AW_PT_LIST:
    case AW_PT_MAP:
        return read_collection(ptype, p, len, out, a, err);
    case AW_PT_GEOJSON: {
        if (len < GEO_HEADER)
            return aw_error_set(err, AW_ERR_PROTO, "particle GEOJSON of %zu bytes", len);
        size_t cells = (size_t)aw_load_u16be(p + 1) * 8; /* server-computed cell ids: skipped */
        if (cells > len - GEO_HEADER)
            return aw_error_set(err, AW_ERR_PROTO,
                                "particle GEOJSON: %zu cell bytes but %zu bytes left", cells,
                                len - GEO_HEADER);
        size_t skip = GEO_HEADER + cells;
        rc = copy_bytes(p + skip, len - skip, a, &copy, err);
        if (rc)
            return rc;
        out->type = AW_GEOJSON;
        out->len = (uint32_t)(len - skip);
        out->u.str = copy;
        return AW_OK;
    }
    default: /* STRING; BLOB and the language blobs, HLL, and unknown types */
        rc = copy_bytes(p, len, a, &copy, err);
        if (rc)
            return rc;
        out->len = (uint32_t)len;
        if (ptype == AW_PT_STRING) {
            out->type = AW_STR;
            out->u.str = copy;
        } else {
            out->type = AW_BLOB;
            out->subtype = ptype;
            out->u.bytes = (const uint8_t *)copy;
        }
        return AW_OK;
    }
}
