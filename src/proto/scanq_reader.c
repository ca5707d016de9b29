/* The scan/query reply stream (wire-protocol.md §9.3): record messages,
 * PARTITION_DONE messages, and the end (LAST, or one plain error message),
 * across whatever frame boundaries the server chose. */
#include <string.h>

#include "aerowire/key.h"
#include "scanq.h"

static int bad(aw_error *err, const char *what) {
    return aw_error_set(err, AW_ERR_PROTO, "scan/query reply: %s", what);
}

/* The identity fields of a record message. */
static int read_meta(const aw_msg_view *m, aw_scanq_meta *meta, aw_error *err) {
    memset(meta, 0, sizeof *meta);
    const uint8_t *p = m->fields;
    for (uint16_t i = 0; i < m->h.n_fields; i++) {
        uint32_t sz = aw_load_u32be(p); /* validated by aw_msg_parse */
        uint8_t type = p[4];
        const uint8_t *data = p + 5;
        uint32_t len = sz - 1;
        switch (type) {
        case AW_FIELD_NAMESPACE: meta->ns = (const char *)data; meta->ns_len = len; break;
        case AW_FIELD_SET: meta->set = (const char *)data; meta->set_len = len; break;
        case AW_FIELD_KEY: meta->key = data; meta->key_len = len; break;
        case AW_FIELD_DIGEST:
            if (len != AW_DIGEST_SIZE)
                return bad(err, "a digest field that is not 20 bytes");
            meta->digest = data;
            break;
        case AW_FIELD_BVAL_ARRAY:
            if (len != 8)
                return bad(err, "a bval field that is not 8 bytes");
            uint64_t v = 0;
            for (int k = 0; k < 8; k++)
                v |= (uint64_t)data[k] << (8 * k);
            meta->has_bval = true;
            meta->bval = (int64_t)v;
            break;
        default: break;
        }
        p += 4 + sz;
    }
    if (!meta->digest)
        return bad(err, "a record without a digest");
    return AW_OK;
}

int aw_scanq_reader_feed(aw_scanq_reader *r, const uint8_t *body, size_t len,
                         const aw_scanq_sink *sink, aw_error *err) {
    size_t off = 0;
    return aw_scanq_reader_feed_at(r, body, len, &off, sink, err);
}

int aw_scanq_reader_feed_at(aw_scanq_reader *r, const uint8_t *body, size_t len, size_t *at,
                            const aw_scanq_sink *sink, aw_error *err) {
    size_t off = *at;
    while (off < len) {
        if (r->done)
            return bad(err, "bytes after the end of the stream");
        aw_msg_view m;
        size_t used;
        int rc = aw_msg_parse(body + off, len - off, &m, &used, err);
        if (rc != AW_OK)
            return rc;
        off += used;
        *at = off;
        if (m.h.info3 & AW_INFO3_LAST) {
            r->done = true;
            r->result = m.h.result_code;
            continue;
        }
        if (m.h.info3 & AW_INFO3_PARTITION_DONE) {
            if (m.h.generation >= AW_PARTITIONS)
                return bad(err, "PARTITION_DONE for a partition over 4095");
            /* Result 0 says nothing (the official client ignores it). */
            if (m.h.result_code && sink->on_partition_done &&
                (rc = sink->on_partition_done(sink->ctx, m.h.generation, m.h.result_code)))
                return rc;
            continue;
        }
        if (m.h.result_code) {
            /* Refused before it started: one plain message. NOT_FOUND
             * means nothing to return (as the official client reads it). */
            r->done = true;
            r->result = m.h.result_code == AW_ERR_RECORD_NOT_FOUND ? AW_OK : m.h.result_code;
            continue;
        }
        aw_scanq_meta meta;
        if ((rc = read_meta(&m, &meta, err)) != AW_OK)
            return rc;
        r->records++;
        if (sink->on_record && (rc = sink->on_record(sink->ctx, &m, &meta)))
            return rc;
    }
    return AW_OK;
}
