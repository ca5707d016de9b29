/* Reading batch-index requests (see batch_parse.h). */
#include "batch_parse.h"

#include <string.h>

#include "proto/batch.h"

#define ROW_MIN 25 /* index + digest + type byte */

int td_batch_req_open(td_batch_req_iter *it, const uint8_t *data, size_t len, aw_error *err) {
    memset(it, 0, sizeof *it);
    if (len < 5)
        return aw_error_set(err, AW_ERR_PROTO, "batch field of %zu bytes has no row count", len);
    it->n_rows = aw_load_u32be(data);
    it->flags = data[4];
    it->p = data + 5;
    it->end = data + len;
    if (it->n_rows == 0)
        return aw_error_set(err, AW_ERR_PROTO, "batch with 0 rows");
    if (it->n_rows > (len - 5) / ROW_MIN)
        return aw_error_set(err, AW_ERR_PROTO, "batch claims %u rows in %zu bytes", it->n_rows,
                            len - 5);
    return AW_OK;
}

static bool take(td_batch_req_iter *it, size_t n, const uint8_t **at) {
    if ((size_t)(it->end - it->p) < n)
        return false;
    *at = it->p;
    it->p += n;
    return true;
}

int td_batch_req_next(td_batch_req_iter *it, const uint8_t **digest, aw_msg_view *row,
                      aw_error *err) {
    if (it->next_row == it->n_rows)
        return 0;
    uint32_t row_no = it->next_row;
    const uint8_t *q;
    if (!take(it, ROW_MIN, &q))
        return aw_error_set(err, AW_ERR_PROTO, "batch row %u truncated", row_no);
    uint32_t index = aw_load_u32be(q);
    *digest = q + 4;
    uint8_t type = q[24];

    if (type & AW_BATCH_ROW_REPEAT) {
        if (!it->have_prev)
            return aw_error_set(err, AW_ERR_PROTO, "batch row %u repeats with no previous row",
                                row_no);
        if (it->prev_has_key)
            return aw_error_set(err, AW_ERR_PROTO, "batch row %u repeats a row that sent a key",
                                row_no);
        *row = it->prev;
        row->h.transaction_ttl = index;
        it->next_row++;
        return 1;
    }

    aw_msg_view v;
    memset(&v, 0, sizeof v);
    v.h.header_sz = AW_MSG_HEADER_SIZE;
    if (type & AW_BATCH_ROW_INFO) {
        if (!take(it, 3, &q))
            return aw_error_set(err, AW_ERR_PROTO, "batch row %u: info bytes truncated", row_no);
        v.h.info1 = q[0];
        v.h.info2 = q[1];
        v.h.info3 = q[2];
    } else {
        if (!take(it, 1, &q))
            return aw_error_set(err, AW_ERR_PROTO, "batch row %u: info1 truncated", row_no);
        v.h.info1 = q[0];
    }
    if (type & AW_BATCH_ROW_INFO4) {
        if (!take(it, 1, &q))
            return aw_error_set(err, AW_ERR_PROTO, "batch row %u: info4 truncated", row_no);
        v.h.info4 = q[0];
    }
    if (type & AW_BATCH_ROW_GEN) {
        if (!take(it, 2, &q))
            return aw_error_set(err, AW_ERR_PROTO, "batch row %u: generation truncated", row_no);
        v.h.generation = aw_load_u16be(q);
    }
    if (type & AW_BATCH_ROW_TTL) {
        if (!take(it, 4, &q))
            return aw_error_set(err, AW_ERR_PROTO, "batch row %u: ttl truncated", row_no);
        v.h.record_ttl = aw_load_u32be(q);
    }
    if (!take(it, 4, &q))
        return aw_error_set(err, AW_ERR_PROTO, "batch row %u: counts truncated", row_no);
    v.h.n_fields = aw_load_u16be(q);
    v.h.n_ops = aw_load_u16be(q + 2);
    size_t used = 0;
    int rc = aw_msg_parse_items(it->p, (size_t)(it->end - it->p), &v, &used, err);
    if (rc != AW_OK)
        return rc;
    it->p += used;
    v.h.transaction_ttl = index;

    aw_field_view f;
    it->prev = v;
    it->have_prev = true;
    it->prev_has_key = aw_msg_find_field(&v, AW_FIELD_KEY, &f);
    *row = v;
    it->next_row++;
    return 1;
}
