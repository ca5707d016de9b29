/*
 * Batch-index request writer (wire-protocol.md §8.1): one frame with field 41
 * holding the row count, the parent flags and the rows, streamed row by row.
 * A batch filter goes as field 43 before field 41; a row's own filter as a
 * field of its row after the set (C7.5's order), overriding the batch's.
 *
 * REPEAT rows are chosen by comparing encodings: a row repeats the previous
 * full row when everything after its index and digest would be the same
 * bytes. That is exactly "same namespace, set, kind, bins/ops and policy",
 * and it holds no pointer into the caller's rows, which may be reused
 * between calls. Rows without ops (reads, exists, deletes: the bulk of big
 * batches) are compared against the previous body in place, without being
 * written out; operate rows are written in full and cut back to the
 * 1-byte marker when they match.
 */
#include "batch.h"

#include <string.h>

#include "frame.h"
#include "msg.h"
#include "particle.h"
#include "short_eq.h"

static const aw_req_opts DEFAULT_OPTS;

#define ROW_PREFIX (4 + AW_DIGEST_SIZE) /* index + digest */
#define MAX_OPS 0xFFFFu

/* The single-record checks, with the row named in the message. */
static int check_row_key(const aw_key *key, bool send_key, uint32_t index, aw_error *err) {
    aw_error e;
    int rc = aw_check_key(key, send_key, &e);
    if (rc != AW_OK)
        aw_error_set(err, rc, "batch row %u: %s", index, e.message);
    return rc;
}

/* The header part of a row: type byte, info bytes, [gen], ttl, counts. */
typedef struct row_head {
    uint8_t type;
    uint8_t info1, info2, info3;
    uint16_t gen;
    uint32_t ttl;
    uint16_t n_ops;
    const aw_exp *filter;
} row_head;

static int plan_row(const aw_batch_row *row, const aw_req_opts *o, row_head *rh, aw_error *err) {
    memset(rh, 0, sizeof *rh);
    if (o->filter) {
        aw_error e;
        if (aw_check_filter(o->filter, &e) != AW_OK)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %u: %s", row->index, e.message);
        rh->filter = o->filter;
    }
    uint8_t ap = o->read_mode_ap_all ? AW_INFO1_READ_MODE_AP_ALL : 0;
    bool gen_check = o->gen_policy == AW_GEN_EQ || o->gen_policy == AW_GEN_GT;
    if (gen_check && o->generation > 0xFFFF)
        return aw_error_set(err, AW_ERR_PARAM,
                            "batch row %u: generation %u does not fit the row's 16 bits",
                            row->index, o->generation);
    uint16_t gen = gen_check ? (uint16_t)o->generation : 0;

    switch (row->kind) {
    case AW_BATCH_READ: {
        bool named = row->bins && row->n_bins;
        if (row->n_bins > MAX_OPS)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %u: %u bins (at most %u)",
                                row->index, row->n_bins, MAX_OPS);
        if (row->n_bins && !row->bins)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %u: %u bins but no names",
                                row->index, row->n_bins);
        for (uint32_t i = 0; named && i < row->n_bins; i++) {
            int rc = aw_check_bin_name(row->bins[i], err);
            if (rc != AW_OK)
                return rc;
        }
        rh->type = AW_BATCH_ROW_INFO | AW_BATCH_ROW_TTL;
        rh->info1 = AW_INFO1_READ | (named ? 0 : AW_INFO1_GET_ALL) | ap;
        rh->ttl = o->ttl; /* read-touch-TTL percent */
        rh->n_ops = named ? (uint16_t)row->n_bins : 0;
        return AW_OK;
    }
    case AW_BATCH_EXISTS:
        rh->type = AW_BATCH_ROW_INFO | AW_BATCH_ROW_TTL;
        rh->info1 = AW_INFO1_READ | AW_INFO1_GET_NOBINDATA | ap;
        rh->ttl = o->ttl;
        return AW_OK;
    case AW_BATCH_OPERATE: {
        if (!row->ops || row->n_ops == 0)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %u: operate without ops",
                                row->index);
        if (row->n_ops > MAX_OPS)
            return aw_error_set(err, AW_ERR_PARAM, "batch row %u: %u ops (at most %u)",
                                row->index, row->n_ops, MAX_OPS);
        uint8_t i1 = 0, i2 = 0;
        bool writes;
        aw_ops_info(row->ops, row->n_ops, &i1, &i2, &writes);
        rh->n_ops = (uint16_t)row->n_ops;
        rh->ttl = o->ttl;
        if (!writes) {
            /* A read row: C7.5 sends info2 = 0 here, RESPOND_ALL_OPS or not. */
            rh->type = AW_BATCH_ROW_INFO | AW_BATCH_ROW_TTL;
            rh->info1 = i1 | ap;
            return AW_OK;
        }
        /* Write rows always want one result per op, except with GET_ALL. */
        rh->type = AW_BATCH_ROW_INFO | AW_BATCH_ROW_GEN | AW_BATCH_ROW_TTL;
        rh->info1 = i1;
        rh->info2 = AW_INFO2_WRITE;
        if (!(i1 & AW_INFO1_GET_ALL))
            rh->info2 |= AW_INFO2_RESPOND_ALL_OPS;
        aw_write_info(o, &rh->info2, &rh->info3);
        rh->gen = gen;
        return AW_OK;
    }
    case AW_BATCH_DELETE: {
        aw_req_opts d = *o;
        d.exists = AW_EXISTS_UPDATE; /* no existence policy on a delete */
        rh->type = AW_BATCH_ROW_INFO | AW_BATCH_ROW_GEN | AW_BATCH_ROW_TTL;
        rh->info2 = AW_INFO2_WRITE | AW_INFO2_DELETE | AW_INFO2_RESPOND_ALL_OPS;
        aw_write_info(&d, &rh->info2, &rh->info3);
        rh->gen = gen;
        rh->ttl = 0;
        return AW_OK;
    }
    default:
        return aw_error_set(err, AW_ERR_PARAM, "batch row %u: unknown kind %u", row->index,
                            row->kind);
    }
}

#define HEAD_MAX 16

/* The fixed part of a row body: type, info bytes, [gen], ttl, counts. */
static size_t head_bytes(const row_head *rh, bool send_key, uint8_t out[HEAD_MAX]) {
    size_t n = 0;
    out[n++] = rh->type;
    out[n++] = rh->info1;
    out[n++] = rh->info2;
    out[n++] = rh->info3;
    if (rh->type & AW_BATCH_ROW_GEN) {
        aw_store_u16be(out + n, rh->gen);
        n += 2;
    }
    aw_store_u32be(out + n, rh->ttl);
    aw_store_u16be(out + n + 4, (uint16_t)(2 + (send_key ? 1 : 0) + (rh->filter ? 1 : 0)));
    aw_store_u16be(out + n + 6, rh->n_ops);
    return n + 8;
}

static void put_filter_field(aw_buf *b, const aw_exp *filter) {
    size_t len;
    const uint8_t *bytes = aw_exp_bytes(filter, &len);
    aw_buf_field(b, AW_FIELD_FILTER, bytes, (uint32_t)len);
}

/* Everything after the index and digest of a full row. */
static int put_row_body(aw_buf *b, const aw_batch_row *row, const aw_req_opts *o,
                        const row_head *rh, aw_error *err) {
    const aw_key *key = row->key;
    uint8_t head[HEAD_MAX];
    aw_buf_put(b, head, head_bytes(rh, o->send_key, head));
    /* The namespace must come first: the server assumes it. */
    aw_buf_field(b, AW_FIELD_NAMESPACE, key->ns, (uint32_t)strlen(key->ns));
    aw_buf_field(b, AW_FIELD_SET, key->set, (uint32_t)strnlen(key->set, sizeof key->set));
    if (rh->filter)
        put_filter_field(b, rh->filter);
    if (o->send_key) {
        int rc = aw_buf_key_field(b, key, err);
        if (rc != AW_OK)
            return rc;
    }
    if (row->kind == AW_BATCH_READ) {
        for (uint32_t i = 0; i < rh->n_ops; i++)
            aw_buf_op_header(b, AW_OP_READ, AW_PT_NULL, row->bins[i],
                             (uint8_t)strlen(row->bins[i]), 0);
    } else if (row->kind == AW_BATCH_OPERATE) {
        for (uint32_t i = 0; i < row->n_ops; i++) {
            int rc = aw_buf_op(b, &row->ops[i], err);
            if (rc != AW_OK)
                return rc;
        }
    }
    return aw_buf_ok(b) ? AW_OK : aw_error_set(err, AW_ERR_NOMEM, "out of memory in batch row");
}

/* Whether the NUL-terminated s (at most max bytes) is exactly the len
 * bytes at b, which are a name this writer copied from a C string and so
 * hold no NUL. strncmp stops at s's end, so a shorter s is never read
 * past; equal through len, s has no NUL before len and s[len] can be
 * read. One call instead of strnlen and memcmp, for every name of every
 * row. */
static inline bool same_name(const uint8_t *b, size_t len, const char *s, size_t max) {
    return len <= max && strncmp((const char *)b, s, len) == 0 && s[len] == '\0';
}

/* Whether the field at *p is of `type` and holds the name s, a key's
 * namespace or set (an array of max + 1 bytes, so comparing it word by
 * word reads nothing outside it); moves *p past it. */
static bool match_field(const uint8_t **p, const uint8_t *end, uint8_t type, const char *s,
                        size_t max) {
    const uint8_t *f = *p;
    if (end - f < 5 || f[4] != type)
        return false;
    uint32_t size = aw_load_u32be(f);
    size_t len = size ? size - 1 : 0;
    if (size == 0 || (size_t)(end - f) < 5 + len || len > max || !aw_short_is(s, f + 5, len))
        return false;
    *p = f + 5 + len;
    return true;
}

/* The fast path: whether a row without ops or key would encode to exactly
 * the previous full row's body, read in place. A match also proves the
 * row's names valid (the previous row's were checked), so it needs no
 * checks of its own beyond plan_row's. */
static bool repeats_prev(const aw_batch_writer *w, const aw_batch_row *row,
                         const aw_req_opts *o) {
    if (w->no_repeat || !w->prev_len || w->prev_sent_key || o->send_key || !row->key ||
        row->kind == AW_BATCH_OPERATE || o->filter)
        return false;
    row_head rh;
    if (row->kind == AW_BATCH_READ && row->n_bins && !row->bins)
        return false; /* the full path reports it */
    if (w->uniform) {
        /* Same kind, names and options as the previous full row: only its
         * namespace and set, after its head, can differ. */
        if (w->names_tag && w->names_tag == w->prev_tag)
            return true;
        const uint8_t *p = w->out->data + w->prev_at, *end = p + w->prev_len;
        size_t head_len = (p[0] & AW_BATCH_ROW_GEN) ? 14 : 12; /* as head_bytes lays it out */
        if ((size_t)(end - p) < head_len)
            return false;
        p += head_len;
        return match_field(&p, end, AW_FIELD_NAMESPACE, row->key->ns, sizeof row->key->ns - 1) &&
               match_field(&p, end, AW_FIELD_SET, row->key->set, sizeof row->key->set - 1);
    }
    /* Names are compared below instead of checked. A row plan_row refuses
     * takes the full path, which reports it. */
    aw_batch_row unnamed = *row;
    unnamed.bins = NULL;
    unnamed.n_bins = 0;
    if (plan_row(&unnamed, o, &rh, NULL) != AW_OK)
        return false;
    bool named = row->kind == AW_BATCH_READ && row->bins && row->n_bins;
    if (named) {
        if (row->n_bins > MAX_OPS)
            return false;
        rh.info1 &= (uint8_t)~AW_INFO1_GET_ALL;
        rh.n_ops = (uint16_t)row->n_bins;
    }
    const uint8_t *p = w->out->data + w->prev_at, *end = p + w->prev_len;
    uint8_t head[HEAD_MAX];
    size_t head_len = head_bytes(&rh, false, head);
    if ((size_t)(end - p) < head_len || memcmp(p, head, head_len) != 0)
        return false;
    p += head_len;
    const aw_key *key = row->key;
    if (!match_field(&p, end, AW_FIELD_NAMESPACE, key->ns, sizeof key->ns - 1) ||
        !match_field(&p, end, AW_FIELD_SET, key->set, sizeof key->set - 1))
        return false;
    for (uint32_t i = 0; named && i < row->n_bins; i++) {
        const char *name = row->bins[i];
        if (!name || end - p < 8)
            return false;
        size_t len = p[7];
        if ((size_t)(end - p) < 8 + len || aw_load_u32be(p) != 4 + len || p[4] != AW_OP_READ ||
            p[5] != AW_PT_NULL || p[6] != 0 || !same_name(p + 8, len, name, AW_BIN_NAME_MAX))
            return false;
        p += 8 + len;
    }
    return p == end;
}

int aw_batch_begin(aw_batch_writer *w, aw_buf *out, const aw_batch_opts *o, aw_error *err) {
    if (!w || !out)
        return aw_error_set(err, AW_ERR_PARAM, "batch: NULL writer or buffer");
    if (!aw_buf_ok(out))
        return aw_error_set(err, AW_ERR_NOMEM, "batch: output buffer is out of memory");
    static const aw_batch_opts defaults;
    if (!o)
        o = &defaults;
    aw_error fe;
    if (aw_check_filter(o->filter, &fe) != AW_OK)
        return aw_error_set(err, AW_ERR_PARAM, "batch: %s", fe.message);
    memset(w, 0, sizeof *w);
    w->out = out;
    w->no_repeat = o->no_repeat;
    w->frame_at = aw_proto_header_begin(out);

    aw_msg_header h = {0};
    h.info1 = AW_INFO1_BATCH | (o->compress_response ? AW_INFO1_COMPRESS_RESPONSE : 0);
    h.transaction_ttl = o->timeout_ms;
    h.n_fields = o->filter ? 2 : 1;
    aw_buf_msg_header(out, &h);
    if (o->filter) /* before field 41, as C7.5 sends it */
        put_filter_field(out, o->filter);
    /* Field 41 header; its size and the row count are patched by end. */
    aw_buf_u32be(out, 0);
    aw_buf_u8(out, AW_FIELD_BATCH_INDEX);
    w->count_at = out->len;
    aw_buf_u32be(out, 0);
    aw_buf_u8(out, o->flags ? o->flags : AW_BATCH_FLAGS_DEFAULT);
    if (!aw_buf_ok(out)) {
        out->len = w->frame_at;
        out->oom = false;
        return aw_error_set(err, AW_ERR_NOMEM, "batch: out of memory");
    }
    return AW_OK;
}

int aw_batch_add(aw_batch_writer *w, const aw_batch_row *row, aw_error *err) {
    if (!w || !w->out || !row)
        return aw_error_set(err, AW_ERR_PARAM, "batch: NULL writer or row");
    aw_buf *b = w->out;
    if (!aw_buf_ok(b))
        return aw_error_set(err, AW_ERR_NOMEM, "batch: output buffer is out of memory");
    if (w->n_rows == UINT32_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "batch: too many rows");
    const aw_req_opts *o = row->opts ? row->opts : &DEFAULT_OPTS;
    if (repeats_prev(w, row, o))
        return aw_batch_add_repeat(w, row->index, row->key->digest, err);
    int rc = check_row_key(row->key, o->send_key, row->index, err);
    if (rc != AW_OK)
        return rc;
    row_head rh;
    if ((rc = plan_row(row, o, &rh, err)) != AW_OK)
        return rc;

    size_t row_at = b->len;
    aw_buf_u32be(b, row->index);
    aw_buf_put(b, row->key->digest, AW_DIGEST_SIZE);
    size_t body_at = b->len;
    rc = aw_buf_ok(b) ? put_row_body(b, row, o, &rh, err)
                      : aw_error_set(err, AW_ERR_NOMEM, "out of memory in batch row");
    if (rc != AW_OK) {
        b->len = row_at;
        b->oom = false;
        return rc;
    }

    size_t body_len = b->len - body_at;
    /* A row carrying a key must never be repeated (nor repeat another). */
    if (!w->no_repeat && w->prev_len && !w->prev_sent_key && !o->send_key &&
        body_len == w->prev_len && memcmp(b->data + body_at, b->data + w->prev_at, body_len) == 0) {
        b->data[body_at] = AW_BATCH_ROW_REPEAT;
        b->len = body_at + 1;
    } else {
        w->prev_at = body_at;
        w->prev_len = body_len;
        w->prev_sent_key = o->send_key;
        w->prev_tag = w->names_tag;
        /* what repeats_prev asks of every row before comparing */
        w->prev_repeatable = !o->send_key && !o->filter && row->kind != AW_BATCH_OPERATE;
    }
    w->n_rows++;
    return AW_OK;
}

int aw_batch_add_repeat(aw_batch_writer *w, uint32_t index, const uint8_t digest[AW_DIGEST_SIZE],
                        aw_error *err) {
    if (w->n_rows == UINT32_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "batch: too many rows");
    aw_buf *b = w->out;
    uint8_t *q = aw_buf_grow(b, 4 + AW_DIGEST_SIZE + 1);
    if (!q) {
        b->oom = false;
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory in batch row");
    }
    aw_store_u32be(q, index);
    memcpy(q + 4, digest, AW_DIGEST_SIZE);
    q[4 + AW_DIGEST_SIZE] = AW_BATCH_ROW_REPEAT;
    w->n_rows++;
    return AW_OK;
}

int aw_batch_end(aw_batch_writer *w, aw_error *err) {
    if (!w || !w->out)
        return aw_error_set(err, AW_ERR_PARAM, "batch: NULL writer");
    aw_buf *b = w->out;
    /* A failed end drops the whole frame: a batch without rows means nothing. */
    if (w->n_rows == 0) {
        b->len = w->frame_at;
        b->oom = false;
        return aw_error_set(err, AW_ERR_PARAM, "batch: no rows");
    }
    if (!aw_buf_ok(b)) {
        b->len = w->frame_at;
        b->oom = false;
        return aw_error_set(err, AW_ERR_NOMEM, "batch: out of memory");
    }
    size_t body = b->len - w->frame_at - AW_PROTO_HEADER_SIZE;
    if (body > AW_PROTO_SIZE_MAX) {
        b->len = w->frame_at;
        return aw_error_set(err, AW_ERR_PARAM,
                            "batch request of %zu bytes exceeds the %u-byte frame limit", body,
                            AW_PROTO_SIZE_MAX);
    }
    aw_store_u32be(b->data + w->count_at, w->n_rows);
    aw_store_u32be(b->data + w->count_at - 5, (uint32_t)(b->len - w->count_at + 1));
    aw_proto_header_patch(b, w->frame_at, AW_PROTO_MSG);
    return AW_OK;
}

int aw_req_batch(aw_buf *out, const aw_batch_row *rows, size_t n, const aw_batch_opts *o,
                 aw_error *err) {
    if (!out || (n && !rows))
        return aw_error_set(err, AW_ERR_PARAM, "batch: NULL buffer or rows");
    if (n > UINT32_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "batch: %zu rows is too many", n);
    aw_batch_writer w;
    int rc = aw_batch_begin(&w, out, o, err);
    if (rc != AW_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = aw_batch_add(&w, &rows[i], err)) != AW_OK) {
            out->len = w.frame_at;
            return rc;
        }
    }
    return aw_batch_end(&w, err);
}
