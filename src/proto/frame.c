/* The 8-byte proto header and compressed (type 4) frames. */
#include "frame.h"

#include <string.h>
#include <zlib.h>

#include "mem.h"

#define SIZE_MASK 0xFFFFFFFFFFFFull /* 48-bit size on the wire */

/* zlib's memory goes through aerowire's allocator so failing-allocator tests
 * reach it too. calloc: older zlib reads parts of its window before writing
 * them (harmless for the output, but sanitizers complain). */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    (void)opaque;
    return aw_calloc(items, size);
}
static void z_free(voidpf opaque, voidpf p) {
    (void)opaque;
    aw_free(p);
}

void aw_proto_header_write(uint8_t out[AW_PROTO_HEADER_SIZE], uint8_t type, uint64_t size) {
    aw_store_u64be(out, ((uint64_t)AW_PROTO_VERSION << 56) | ((uint64_t)type << 48) |
                            (size & SIZE_MASK));
}

size_t aw_proto_header_begin(aw_buf *b) {
    size_t at = b->len;
    uint8_t *p = aw_buf_grow(b, AW_PROTO_HEADER_SIZE);
    if (p)
        memset(p, 0, AW_PROTO_HEADER_SIZE);
    return at;
}

void aw_proto_header_patch(aw_buf *b, size_t at, uint8_t type) {
    /* After a failed grow the placeholder may not exist: nothing to patch. */
    if (!aw_buf_ok(b) || b->len < at + AW_PROTO_HEADER_SIZE)
        return;
    aw_proto_header_write(b->data + at, type, b->len - at - AW_PROTO_HEADER_SIZE);
}

int aw_proto_header_read(const uint8_t *p, size_t len, uint64_t max_size, aw_proto_header *h,
                         aw_error *err) {
    if (!p || !h || len < AW_PROTO_HEADER_SIZE)
        return aw_error_set(err, AW_ERR_PARAM, "proto header needs %d bytes, got %zu",
                            AW_PROTO_HEADER_SIZE, p ? len : 0);
    uint64_t v = aw_load_u64be(p);
    uint8_t version = (uint8_t)(v >> 56);
    uint8_t type = (uint8_t)(v >> 48);
    uint64_t size = v & SIZE_MASK;
    uint64_t max = max_size ? max_size : AW_PROTO_SIZE_MAX;
    if (version != AW_PROTO_VERSION)
        return aw_error_set(err, AW_ERR_PROTO, "proto version %u, expected %d", version,
                            AW_PROTO_VERSION);
    if (type < AW_PROTO_INFO || type > AW_PROTO_COMPRESSED)
        return aw_error_set(err, AW_ERR_PROTO, "proto type %u is not 1..4", type);
    if (size > max)
        return aw_error_set(err, AW_ERR_PROTO, "proto size %llu exceeds the limit %llu",
                            (unsigned long long)size, (unsigned long long)max);
    h->version = version;
    h->type = type;
    h->size = size;
    return AW_OK;
}

int aw_frame_compress(aw_buf *out, const uint8_t *frame, size_t len, aw_error *err) {
    if (!out || !frame || len < AW_PROTO_HEADER_SIZE)
        return aw_error_set(err, AW_ERR_PARAM, "compress: need a complete frame");
    if (aw_load_u64be(frame) >> 48 != ((AW_PROTO_VERSION << 8) | AW_PROTO_MSG) ||
        (aw_load_u64be(frame) & SIZE_MASK) != len - AW_PROTO_HEADER_SIZE)
        return aw_error_set(err, AW_ERR_PARAM, "compress: not a complete v2 type-3 frame");
    if (len > AW_PROTO_SIZE_MAX + (size_t)AW_PROTO_HEADER_SIZE)
        return aw_error_set(err, AW_ERR_PARAM, "compress: frame of %zu bytes is too large", len);

    /* deflateInit with the defaults is exactly what compress2() does; it is
     * spelled out only to route zlib's memory through aw_malloc. */
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = z_alloc;
    zs.zfree = z_free;
    int zrc = deflateInit(&zs, Z_BEST_SPEED);
    if (zrc != Z_OK)
        return aw_error_set(err, zrc == Z_MEM_ERROR ? AW_ERR_NOMEM : AW_ERR_CLIENT,
                            "compress: deflateInit failed (%d)", zrc);

    size_t start = out->len;
    bool start_oom = out->oom;
    size_t bound = deflateBound(&zs, (uLong)len);
    uint8_t *p = aw_buf_grow(out, 2 * AW_PROTO_HEADER_SIZE + bound);
    if (!p) {
        deflateEnd(&zs);
        out->oom = start_oom;
        return aw_error_set(err, AW_ERR_NOMEM, "compress: no memory for %zu bytes", bound);
    }
    zs.next_in = (Bytef *)frame; /* zlib's API is not const-correct */
    zs.avail_in = (uInt)len;
    zs.next_out = p + 2 * AW_PROTO_HEADER_SIZE;
    zs.avail_out = (uInt)bound;
    zrc = deflate(&zs, Z_FINISH);
    size_t zlen = zs.total_out;
    deflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        out->len = start;
        return aw_error_set(err, zrc == Z_MEM_ERROR ? AW_ERR_NOMEM : AW_ERR_CLIENT,
                            "compress: deflate failed (%d)", zrc);
    }
    aw_proto_header_write(p, AW_PROTO_COMPRESSED, AW_PROTO_HEADER_SIZE + zlen);
    aw_store_u64be(p + AW_PROTO_HEADER_SIZE, len);
    out->len = start + 2 * AW_PROTO_HEADER_SIZE + zlen;
    return AW_OK;
}

/* Deflate cannot expand data by more than 1032:1 (a 258-byte match in two
 * 1-bit codes); a claim beyond that is a lie we need not allocate for. */
#define DEFLATE_MAX_RATIO 1032u

int aw_frame_decompress(const uint8_t *body, size_t len, uint64_t max_size, aw_buf *out,
                        aw_error *err) {
    if (!body || !out)
        return aw_error_set(err, AW_ERR_PARAM, "decompress: NULL body or output");
    aw_buf_reset(out);
    if (len < AW_PROTO_HEADER_SIZE)
        return aw_error_set(err, AW_ERR_PROTO, "compressed body of %zu bytes has no size", len);
    uint64_t claimed = aw_load_u64be(body);
    uint64_t max = max_size ? max_size : AW_PROTO_SIZE_MAX;
    /* max_size caps the inner frame's body, as aw_proto_header_read does. */
    if (claimed < AW_PROTO_HEADER_SIZE || claimed - AW_PROTO_HEADER_SIZE > max)
        return aw_error_set(err, AW_ERR_PROTO,
                            "compressed frame claims %llu bytes (limit %llu + header)",
                            (unsigned long long)claimed, (unsigned long long)max);
    size_t zlen = len - AW_PROTO_HEADER_SIZE;
    if (claimed / DEFLATE_MAX_RATIO > zlen)
        return aw_error_set(err, AW_ERR_PROTO,
                            "compressed frame claims %llu bytes from only %zu compressed",
                            (unsigned long long)claimed, zlen);
    if (zlen > UINT32_MAX)
        return aw_error_set(err, AW_ERR_PROTO, "compressed body too large");

    if (!aw_buf_reserve(out, (size_t)claimed)) {
        out->oom = false;
        return aw_error_set(err, AW_ERR_NOMEM, "decompress: no memory for %llu bytes",
                            (unsigned long long)claimed);
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = z_alloc;
    zs.zfree = z_free;
    int zrc = inflateInit(&zs);
    if (zrc != Z_OK)
        return aw_error_set(err, zrc == Z_MEM_ERROR ? AW_ERR_NOMEM : AW_ERR_CLIENT,
                            "decompress: inflateInit failed (%d)", zrc);
    zs.next_in = (Bytef *)body + AW_PROTO_HEADER_SIZE;
    zs.avail_in = (uInt)zlen;
    zs.next_out = out->data;
    zs.avail_out = (uInt)claimed; /* the bound: never inflate past the claim */
    zrc = inflate(&zs, Z_FINISH);
    size_t got = zs.total_out;
    size_t left_in = zs.avail_in;
    const char *zmsg = zs.msg; /* static text in zlib */
    inflateEnd(&zs);
    if (zrc == Z_MEM_ERROR)
        return aw_error_set(err, AW_ERR_NOMEM, "decompress: zlib out of memory");
    if (zrc == Z_DATA_ERROR)
        return aw_error_set(err, AW_ERR_PROTO, "compressed frame is corrupt (zlib: %s)",
                            zmsg ? zmsg : "data error");
    if (zrc != Z_STREAM_END) {
        if (left_in == 0)
            return aw_error_set(err, AW_ERR_PROTO, "compressed frame is truncated");
        return aw_error_set(err, AW_ERR_PROTO,
                            "compressed frame inflates beyond its claimed %llu bytes",
                            (unsigned long long)claimed);
    }
    if (got != claimed || left_in != 0)
        return aw_error_set(err, AW_ERR_PROTO,
                            "compressed frame inflated to %zu bytes (claimed %llu, %zu trailing)",
                            got, (unsigned long long)claimed, left_in);

    uint64_t h = aw_load_u64be(out->data);
    if ((h >> 56) != AW_PROTO_VERSION || ((h >> 48) & 0xff) != AW_PROTO_MSG ||
        (h & SIZE_MASK) + AW_PROTO_HEADER_SIZE != claimed)
        return aw_error_set(err, AW_ERR_PROTO,
                            "inflated frame is not a v2 type-3 frame of %llu bytes",
                            (unsigned long long)claimed);
    out->len = (size_t)claimed;
    return AW_OK;
}
