/* Msgpack with Aerospike's conventions (msgpack.h, wire-protocol.md §6). */
#include "msgpack.h"

#include <string.h>

/* ---- Writers ----------------------------------------------------------- */

/* One tag byte followed by a w-byte big-endian value, appended at once so a
 * failed grow never leaves half an item. */
static void put_tagged(aw_buf *b, uint8_t tag, uint64_t v, unsigned w) {
    uint8_t *p = aw_buf_grow(b, 1 + w);
    if (!p)
        return;
    p[0] = tag;
    for (unsigned i = 0; i < w; i++)
        p[1 + i] = (uint8_t)(v >> (8 * (w - 1 - i)));
}

void aw_mp_put_nil(aw_buf *b) { aw_buf_u8(b, 0xc0); }

void aw_mp_put_bool(aw_buf *b, bool v) { aw_buf_u8(b, v ? 0xc3 : 0xc2); }

void aw_mp_put_uint(aw_buf *b, uint64_t v) {
    if (v < 0x80)
        aw_buf_u8(b, (uint8_t)v);
    else if (v <= 0xff)
        put_tagged(b, 0xcc, v, 1);
    else if (v <= 0xffff)
        put_tagged(b, 0xcd, v, 2);
    else if (v <= 0xffffffffu)
        put_tagged(b, 0xce, v, 4);
    else
        put_tagged(b, 0xcf, v, 8);
}

void aw_mp_put_int(aw_buf *b, int64_t v) {
    if (v >= 0)
        aw_mp_put_uint(b, (uint64_t)v);
    else if (v >= -32)
        aw_buf_u8(b, (uint8_t)v); /* negative fixint e0-ff */
    else if (v >= INT8_MIN)
        put_tagged(b, 0xd0, (uint64_t)v, 1);
    else if (v >= INT16_MIN)
        put_tagged(b, 0xd1, (uint64_t)v, 2);
    else if (v >= INT32_MIN)
        put_tagged(b, 0xd2, (uint64_t)v, 4);
    else
        put_tagged(b, 0xd3, (uint64_t)v, 8);
}

void aw_mp_put_double(aw_buf *b, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_tagged(b, 0xcb, bits, 8);
}

void aw_mp_put_array_header(aw_buf *b, uint32_t n) {
    if (n < 16)
        aw_buf_u8(b, (uint8_t)(0x90 | n));
    else if (n <= 0xffff)
        put_tagged(b, 0xdc, n, 2);
    else
        put_tagged(b, 0xdd, n, 4);
}

void aw_mp_put_map_header(aw_buf *b, uint32_t n) {
    if (n < 16)
        aw_buf_u8(b, (uint8_t)(0x80 | n));
    else if (n <= 0xffff)
        put_tagged(b, 0xde, n, 2);
    else
        put_tagged(b, 0xdf, n, 4);
}

void aw_mp_put_str_header(aw_buf *b, uint32_t n) {
    if (n < 32)
        aw_buf_u8(b, (uint8_t)(0xa0 | n));
    else if (n <= 0xff)
        put_tagged(b, 0xd9, n, 1);
    else if (n <= 0xffff)
        put_tagged(b, 0xda, n, 2);
    else
        put_tagged(b, 0xdb, n, 4);
}

void aw_mp_put_particle_bytes(aw_buf *b, uint8_t ptype, const void *p, uint32_t len) {
    if (len == UINT32_MAX) { /* len + 1 would not fit the header: fail sticky */
        b->oom = true;
        return;
    }
    aw_mp_put_str_header(b, len + 1);
    aw_buf_u8(b, ptype);
    aw_buf_put(b, p, len);
}

void aw_mp_put_raw_str(aw_buf *b, const char *s, uint32_t len) {
    aw_mp_put_str_header(b, len);
    aw_buf_put(b, s, len);
}

void aw_mp_put_order_ext(aw_buf *b, uint8_t flags) {
    static const uint8_t marker[2] = {0xc7, 0x00};
    aw_buf_put(b, marker, 2);
    aw_buf_u8(b, flags);
}

void aw_mp_put_wildcard(aw_buf *b) {
    static const uint8_t w[3] = {0xd4, 0xff, 0x00};
    aw_buf_put(b, w, 3);
}

void aw_mp_put_infinity(aw_buf *b) {
    static const uint8_t w[3] = {0xd4, 0xff, 0x01};
    aw_buf_put(b, w, 3);
}

/* ---- Value encoder and sizer ------------------------------------------ */

static size_t uint_size(uint64_t v) {
    return v < 0x80 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}
static size_t int_size(int64_t v) {
    if (v >= 0)
        return uint_size((uint64_t)v);
    return v >= -32 ? 1 : v >= INT8_MIN ? 2 : v >= INT16_MIN ? 3 : v >= INT32_MIN ? 5 : 9;
}
static size_t coll_header_size(uint32_t n) { return n < 16 ? 1 : n <= 0xffff ? 3 : 5; }
static size_t str_header_size(uint32_t n) {
    return n < 32 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5;
}

/* Why a value cannot be encoded, or NULL. Shared by the writer and the sizer
 * so both refuse exactly the same values. */
static const char *unencodable(const aw_value *v, int depth) {
    switch (v->type) {
    case AW_NIL:
        return v->subtype <= AW_MP_NIL_INFINITY ? NULL : "nil with an unknown subtype";
    case AW_INT:
    case AW_FLOAT:
    case AW_BOOL:
        return NULL;
    case AW_BLOB:
        if (v->subtype == AW_STR || v->subtype == AW_GEOJSON)
            return "blob subtype 3 or 23 would decode as text";
        /* fall through */
    case AW_STR:
    case AW_GEOJSON:
        if (v->len > AW_VALUE_MAX_LEN)
            return "string or blob longer than AW_VALUE_MAX_LEN";
        return v->len && !v->u.bytes ? "string or blob with NULL data" : NULL;
    case AW_LIST:
    case AW_MAP:
        if (depth >= AW_MSGPACK_MAX_DEPTH)
            return "lists/maps nested deeper than AW_MSGPACK_MAX_DEPTH";
        if (v->len > AW_VALUE_MAX_LEN)
            return "list or map longer than AW_VALUE_MAX_LEN";
        return v->len && !v->u.items ? "list or map with NULL items" : NULL;
    default:
        return "unknown value type";
    }
}

static int write_value(aw_buf *b, const aw_value *v, int depth, aw_error *err) {
    const char *why = unencodable(v, depth);
    if (why)
        return aw_error_set(err, AW_ERR_PARAM, "msgpack encode: %s (type %u, depth %d)", why,
                            v->type, depth);
    switch (v->type) {
    case AW_NIL:
        if (v->subtype == AW_MP_NIL_WILDCARD)
            aw_mp_put_wildcard(b);
        else if (v->subtype == AW_MP_NIL_INFINITY)
            aw_mp_put_infinity(b);
        else
            aw_mp_put_nil(b);
        return AW_OK;
    case AW_INT:
        aw_mp_put_int(b, v->u.i);
        return AW_OK;
    case AW_FLOAT:
        aw_mp_put_double(b, v->u.f);
        return AW_OK;
    case AW_BOOL:
        aw_mp_put_bool(b, v->u.b);
        return AW_OK;
    case AW_STR:
    case AW_GEOJSON:
        aw_mp_put_particle_bytes(b, v->type, v->u.str, v->len);
        return AW_OK;
    case AW_BLOB:
        aw_mp_put_particle_bytes(b, v->subtype, v->u.bytes, v->len);
        return AW_OK;
    default: /* AW_LIST, AW_MAP (unencodable() let nothing else through) */
        break;
    }
    bool is_map = v->type == AW_MAP;
    uint32_t n = v->len + (v->subtype ? 1 : 0); /* len <= AW_VALUE_MAX_LEN: no overflow */
    if (is_map)
        aw_mp_put_map_header(b, n);
    else
        aw_mp_put_array_header(b, n);
    if (v->subtype) {
        aw_mp_put_order_ext(b, v->subtype);
        if (is_map)
            aw_mp_put_nil(b); /* the marker key's value */
    }
    size_t items = (size_t)v->len * (is_map ? 2 : 1);
    for (size_t i = 0; i < items; i++) {
        if (b->oom)
            return AW_ERR_NOMEM;
        int rc = write_value(b, &v->u.items[i], depth + 1, err);
        if (rc)
            return rc;
    }
    return AW_OK;
}

int aw_msgpack_write(aw_buf *b, const aw_value *v, aw_error *err) {
    size_t start = b->len;
    int rc = write_value(b, v, 0, err);
    if (rc == AW_OK && !aw_buf_ok(b))
        rc = AW_ERR_NOMEM;
    if (rc == AW_ERR_NOMEM)
        aw_error_set(err, AW_ERR_NOMEM, "msgpack encode: out of memory");
    if (rc && b->len >= start)
        b->len = start;
    return rc;
}

/* Saturating add: sizes beyond SIZE_MAX cannot be written anyway. */
static size_t add_sat(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

static size_t value_size(const aw_value *v, int depth) {
    if (unencodable(v, depth))
        return (size_t)-1;
    switch (v->type) {
    case AW_NIL:
        return v->subtype ? 3 : 1;
    case AW_INT:
        return int_size(v->u.i);
    case AW_FLOAT:
        return 9;
    case AW_BOOL:
        return 1;
    case AW_STR:
    case AW_GEOJSON:
    case AW_BLOB:
        return str_header_size(v->len + 1) + 1 + (size_t)v->len;
    default:
        break;
    }
    bool is_map = v->type == AW_MAP;
    size_t total = coll_header_size(v->len + (v->subtype ? 1 : 0));
    if (v->subtype)
        total += is_map ? 4 : 3;
    size_t items = (size_t)v->len * (is_map ? 2 : 1);
    for (size_t i = 0; i < items; i++) {
        size_t s = value_size(&v->u.items[i], depth + 1);
        if (s == (size_t)-1)
            return s;
        total = add_sat(total, s);
    }
    return total; /* SIZE_MAX (= failure) only for sizes no buffer could hold */
}

size_t aw_msgpack_size(const aw_value *v) { return value_size(v, 0); }

/* ---- Header parsing (shared by read and skip) --------------------------- */

enum { K_NIL, K_BOOL, K_UINT, K_INT, K_F32, K_F64, K_BYTES, K_ARRAY, K_MAP, K_EXT };

typedef struct mp_head {
    uint8_t kind;
    uint8_t ext_type; /* K_EXT */
    size_t size;      /* header bytes, including fixed-size scalar payloads */
    uint64_t n;       /* BYTES/EXT: payload bytes; ARRAY: items; MAP: entries;
                         BOOL/UINT/F32/F64: the raw value */
    int64_t i;        /* K_INT */
} mp_head;

static uint64_t load_be(const uint8_t *p, unsigned w) {
    uint64_t v = 0;
    for (unsigned k = 0; k < w; k++)
        v = v << 8 | p[k];
    return v;
}

/* Two's complement without relying on implementation-defined conversion. */
static int64_t to_i64(uint64_t u) {
    return u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

/* A w-byte two's complement value as int64. */
static int64_t sign_extend(uint64_t v, unsigned w) {
    if (w == 8)
        return to_i64(v);
    int64_t s = (int64_t)v;
    if (v >> (8 * w - 1))
        s -= (int64_t)1 << (8 * w);
    return s;
}

static int proto_err(aw_error *err, size_t pos, const char *what) {
    return aw_error_set(err, AW_ERR_PROTO, "msgpack: %s at offset %zu", what, pos);
}

/* Parses the item header at p[pos..len). Guarantees on success: the header
 * fits; BYTES/EXT payloads fit; an ARRAY/MAP's items (2 per map entry) are
 * no more than the bytes left, since every item takes at least one byte. */
static int head_parse(const uint8_t *p, size_t len, size_t pos, mp_head *h, aw_error *err) {
    size_t left = len - pos;
    if (left == 0)
        return proto_err(err, pos, "truncated (no item)");
    uint8_t t = p[pos];
    unsigned w = 0;      /* width of the length/value field after the tag */
    size_t extra = 0;    /* the ext type byte */
    memset(h, 0, sizeof *h);
    if (t <= 0x7f) {
        h->kind = K_UINT, h->n = t, h->size = 1;
        return AW_OK;
    }
    if (t >= 0xe0) {
        h->kind = K_INT, h->i = sign_extend(t, 1), h->size = 1;
        return AW_OK;
    }
    if (t <= 0x8f)
        h->kind = K_MAP, h->n = t & 0x0f;
    else if (t <= 0x9f)
        h->kind = K_ARRAY, h->n = t & 0x0f;
    else if (t <= 0xbf)
        h->kind = K_BYTES, h->n = t & 0x1f;
    else {
        switch (t) {
        case 0xc0: h->kind = K_NIL; break;
        case 0xc2: case 0xc3: h->kind = K_BOOL, h->n = t & 1; break;
        case 0xc4: case 0xc5: case 0xc6: h->kind = K_BYTES, w = 1u << (t - 0xc4); break;
        case 0xc7: case 0xc8: case 0xc9: h->kind = K_EXT, w = 1u << (t - 0xc7); break;
        case 0xca: h->kind = K_F32, w = 4; break;
        case 0xcb: h->kind = K_F64, w = 8; break;
        case 0xcc: case 0xcd: case 0xce: case 0xcf: h->kind = K_UINT, w = 1u << (t - 0xcc); break;
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: h->kind = K_INT, w = 1u << (t - 0xd0); break;
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
            h->kind = K_EXT, h->n = 1u << (t - 0xd4);
            break;
        case 0xd9: case 0xda: case 0xdb: h->kind = K_BYTES, w = 1u << (t - 0xd9); break;
        case 0xdc: case 0xdd: h->kind = K_ARRAY, w = 2u << (t - 0xdc); break;
        case 0xde: case 0xdf: h->kind = K_MAP, w = 2u << (t - 0xde); break;
        default: return proto_err(err, pos, "invalid tag 0xc1");
        }
    }
    /* The ext type byte follows the length (ext8/16/32) or the tag (fixext, w = 0). */
    if (h->kind == K_EXT)
        extra = 1;
    h->size = 1 + w + extra;
    if (left < h->size)
        return proto_err(err, pos, "truncated header");
    if (w) {
        uint64_t v = load_be(p + pos + 1, w);
        if (h->kind == K_INT)
            h->i = sign_extend(v, w);
        else
            h->n = v;
    }
    if (h->kind == K_EXT)
        h->ext_type = p[pos + 1 + w];
    left -= h->size;
    if ((h->kind == K_BYTES || h->kind == K_EXT) && h->n > left)
        return proto_err(err, pos, "payload longer than the bytes left");
    if (h->kind == K_ARRAY && h->n > left)
        return proto_err(err, pos, "array count beyond the bytes left");
    if (h->kind == K_MAP && h->n > left / 2)
        return proto_err(err, pos, "map count beyond the bytes left");
    return AW_OK;
}

/* ---- Skip (iterative: hostile nesting cannot exhaust the stack) --------- */

int aw_msgpack_skip(const uint8_t *p, size_t len, size_t *consumed, aw_error *err) {
    size_t pos = 0;
    uint64_t pending = 1; /* items still to pass; never more than bytes left */
    if (consumed)
        *consumed = 0;
    if (!p && len)
        return aw_error_set(err, AW_ERR_PARAM, "msgpack: NULL input");
    while (pending) {
        mp_head h;
        int rc = head_parse(p, len, pos, &h, err);
        if (rc)
            return rc;
        pending--;
        pos += h.size;
        if (h.kind == K_BYTES || h.kind == K_EXT)
            pos += (size_t)h.n;
        else if (h.kind == K_ARRAY || h.kind == K_MAP) {
            pending += h.kind == K_MAP ? 2 * h.n : h.n;
            if (pending > len - pos)
                return proto_err(err, pos, "item count beyond the bytes left");
        }
    }
    if (consumed)
        *consumed = pos;
    return AW_OK;
}

/* ---- Read ------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    size_t len;
    size_t pos;
    aw_arena *a;
    aw_error *err;
} reader;

/* Arena memory; tells a hit limit (hostile size: PROTO) from a failed malloc. */
static void *rd_alloc(reader *r, size_t size, int *rc) {
    void *m = aw_arena_alloc(r->a, size);
    if (m)
        return m;
    size_t rounded = size > SIZE_MAX - 7 ? SIZE_MAX : (size + 7) & ~(size_t)7;
    if (r->a->limit && (rounded > r->a->limit || r->a->used > r->a->limit - rounded))
        *rc = aw_error_set(r->err, AW_ERR_PROTO,
                           "msgpack: decoded value exceeds the %zu-byte limit at offset %zu",
                           r->a->limit, r->pos);
    else
        *rc = aw_error_set(r->err, AW_ERR_NOMEM, "msgpack: out of memory at offset %zu", r->pos);
    return NULL;
}

static int read_bytes(reader *r, const mp_head *h, aw_value *out) {
    const uint8_t *pl = r->p + r->pos + h->size;
    size_t n = (size_t)h->n;
    uint8_t ptype = n ? pl[0] : AW_STR;
    size_t body = n ? n - 1 : 0;
    if (body > AW_VALUE_MAX_LEN)
        return proto_err(r->err, r->pos, "string or blob longer than AW_VALUE_MAX_LEN");
    int rc;
    /* Blobs get a NUL too: harmless, and text and bytes share one path. */
    char *copy = rd_alloc(r, body + 1, &rc);
    if (!copy)
        return rc;
    if (body)
        memcpy(copy, pl + 1, body);
    copy[body] = '\0';
    *out = aw_value_nil();
    out->len = (uint32_t)body;
    if (ptype == AW_STR || ptype == AW_GEOJSON) {
        out->type = ptype;
        out->u.str = copy;
    } else {
        out->type = AW_BLOB;
        out->subtype = ptype;
        out->u.bytes = (const uint8_t *)copy;
    }
    r->pos += h->size + n;
    return AW_OK;
}

/* A fixext/ext item where a value is expected: only the special values. */
static int read_ext(reader *r, const mp_head *h, aw_value *out) {
    const uint8_t *pl = r->p + r->pos + h->size;
    if (h->ext_type != 0xff || h->n != 1 || pl[0] > 1)
        return aw_error_set(r->err, AW_ERR_PROTO,
                            "msgpack: unsupported ext (type %d, %llu bytes) at offset %zu",
                            (int)(int8_t)h->ext_type, (unsigned long long)h->n, r->pos);
    *out = aw_value_nil();
    out->subtype = pl[0] == 0 ? AW_MP_NIL_WILDCARD : AW_MP_NIL_INFINITY;
    r->pos += h->size + 1;
    return AW_OK;
}

static int read_value(reader *r, aw_value *out, int depth);

/* Consumes a leading order marker if there is one; returns its flags (0 if none). */
static int read_order_marker(reader *r, bool is_map, uint64_t *n, uint8_t *flags) {
    *flags = 0;
    if (*n == 0)
        return AW_OK;
    mp_head h;
    int rc = head_parse(r->p, r->len, r->pos, &h, r->err);
    if (rc)
        return rc;
    if (h.kind != K_EXT || h.ext_type == 0xff)
        return AW_OK;
    *flags = h.ext_type;
    r->pos += h.size + (size_t)h.n;
    (*n)--;
    if (is_map) { /* the marker's value (nil on the wire): skipped, whatever it is */
        size_t used;
        rc = aw_msgpack_skip(r->p + r->pos, r->len - r->pos, &used, r->err);
        if (rc)
            return rc;
        r->pos += used;
    }
    return AW_OK;
}

static int read_collection(reader *r, const mp_head *h, aw_value *out, int depth) {
    bool is_map = h->kind == K_MAP;
    if (depth >= AW_MSGPACK_MAX_DEPTH)
        return proto_err(r->err, r->pos, "lists/maps nested deeper than AW_MSGPACK_MAX_DEPTH");
    if (h->n > AW_VALUE_MAX_LEN)
        return proto_err(r->err, r->pos, "list or map longer than AW_VALUE_MAX_LEN");
    r->pos += h->size;
    uint64_t n = h->n;
    uint8_t flags;
    int rc = read_order_marker(r, is_map, &n, &flags);
    if (rc)
        return rc;
    /* head_parse bounded n by the bytes left, so this allocation is at most
     * 16 bytes per input byte. */
    size_t count = (size_t)n * (is_map ? 2 : 1);
    aw_value *items = NULL;
    if (count) {
        items = rd_alloc(r, count * sizeof *items, &rc);
        if (!items)
            return rc;
    }
    for (size_t i = 0; i < count; i++) {
        rc = read_value(r, &items[i], depth + 1);
        if (rc)
            return rc;
    }
    *out = aw_value_nil();
    out->type = is_map ? AW_MAP : AW_LIST;
    out->subtype = flags;
    out->len = (uint32_t)n;
    out->u.items = items;
    return AW_OK;
}

static int read_value(reader *r, aw_value *out, int depth) {
    mp_head h;
    int rc = head_parse(r->p, r->len, r->pos, &h, r->err);
    if (rc)
        return rc;
    switch (h.kind) {
    case K_BYTES:
        return read_bytes(r, &h, out);
    case K_EXT:
        return read_ext(r, &h, out);
    case K_ARRAY:
    case K_MAP:
        return read_collection(r, &h, out, depth);
    case K_NIL:
        *out = aw_value_nil();
        break;
    case K_BOOL:
        *out = aw_value_bool(h.n != 0);
        break;
    case K_UINT:
        *out = aw_value_int(to_i64(h.n));
        break;
    case K_INT:
        *out = aw_value_int(h.i);
        break;
    case K_F32: {
        uint32_t bits = (uint32_t)h.n;
        float f;
        memcpy(&f, &bits, sizeof f);
        *out = aw_value_float((double)f);
        break;
    }
    default: { /* K_F64 */
        double d;
        memcpy(&d, &h.n, sizeof d);
        *out = aw_value_float(d);
        break;
    }
    }
    r->pos += h.size;
    return AW_OK;
}

int aw_msgpack_read(const uint8_t *p, size_t len, aw_value *out, aw_arena *a, size_t *consumed,
                    aw_error *err) {
    *out = aw_value_nil();
    if (consumed)
        *consumed = 0;
    if (!p && len)
        return aw_error_set(err, AW_ERR_PARAM, "msgpack: NULL input");
    reader r = {p, len, 0, a, err};
    int rc = read_value(&r, out, 0);
    if (rc) {
        *out = aw_value_nil();
        return rc;
    }
    if (consumed)
        *consumed = r.pos;
    return AW_OK;
}
