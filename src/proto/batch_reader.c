/* The batch reply stream (wire-protocol.md §8.2): row messages carrying their
 * batch index in transaction_ttl, in any order, then one LAST message. */
#include "batch.h"

/* Re-reports a parser error with where in the body it happened. */
static int at_offset(aw_error *err, int rc, size_t off, const aw_error *inner) {
    return aw_error_set(err, rc, "batch reply, message at byte %zu: %s", off, inner->message);
}

int aw_batch_reader_feed(aw_batch_reader *r, const uint8_t *body, size_t len, aw_batch_row_fn on_row,
                         void *ctx, aw_error *err) {
    if (r->done)
        return aw_error_set(err, AW_ERR_PROTO, "batch reply: %zu-byte frame after the LAST message",
                            len);
    /* Zero-length frames are legal filler in a stream; the official client skips them. */
    size_t off = 0;
    while (off < len) {
        aw_msg_view m;
        size_t used;
        aw_error inner; /* set by a failing parse, read only then */
        int rc = aw_msg_parse(body + off, len - off, &m, &used, &inner);
        if (rc != AW_OK)
            return at_offset(err, rc, off, &inner);

        if (m.h.info3 & AW_INFO3_LAST) {
            r->done = true;
            r->last_result = m.h.result_code;
            if (used != len - off)
                return aw_error_set(err, AW_ERR_PROTO,
                                    "batch reply: %zu bytes after the LAST message at byte %zu",
                                    len - off - used, off);
            return AW_OK;
        }

        uint32_t index = m.h.transaction_ttl;
        if (index >= r->n_rows)
            return aw_error_set(err, AW_ERR_PROTO,
                                "batch reply, message at byte %zu: row index %u out of range "
                                "(%u rows requested)",
                                off, index, r->n_rows);
        r->rows_seen++;
        off += used;
        if (on_row) {
            rc = on_row(ctx, index, &m);
            if (rc != 0)
                return rc;
            if (r->done) /* the row's reader ended the stream (a refusal) */
                return off == len ? AW_OK
                                  : aw_error_set(err, AW_ERR_PROTO,
                                                 "batch reply: %zu bytes after the refusal at "
                                                 "byte %zu",
                                                 len - off, off - used);
        }
    }
    return AW_OK;
}
