/* Scan/query request encoder (wire-protocol.md §9.2), field for field in
 * the official C client's order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/exp.h"
#include "cdt.h"
#include "frame.h"
#include "msgpack.h"
#include "particle.h"
#include "scanq.h"

/* UDF_OP values */
#define UDF_OP_BACKGROUND 2

/* Offsets inside the 22-byte message header. */
#define HDR_N_FIELDS 18
#define HDR_N_OPS 20

static int check_name(const char *what, const char *s, size_t max, bool required,
                      aw_error *err) {
    size_t n = s ? strnlen(s, max + 1) : 0;
    if (required && n == 0)
        return aw_error_set(err, s ? AW_ERR_BAD_NAME : AW_ERR_PARAM, "%s is %s", what,
                            s ? "empty" : "NULL");
    if (n > max)
        return aw_error_set(err, AW_ERR_BAD_NAME, "%s '%.40s' is over %zu bytes", what, s, max);
    return AW_OK;
}

static int check_where(const aw_index_filter *w, aw_error *err) {
    int rc;
    if (w->kind < AW_FILTER_INT_RANGE || w->kind > AW_FILTER_GEO_WITHIN_RADIUS)
        return aw_error_set(err, AW_ERR_PARAM, "index filter: unknown kind %d", (int)w->kind);
    if ((unsigned)w->collection > AW_INDEX_MAPVALUES)
        return aw_error_set(err, AW_ERR_PARAM, "index filter: unknown collection %d",
                            (int)w->collection);
    if (w->index_name && w->exp)
        return aw_error_set(err, AW_ERR_PARAM,
                            "index filter: an index name or an expression, not both");
    if ((w->index_name || w->exp) && w->bin && w->bin[0])
        return aw_error_set(err, AW_ERR_PARAM,
                            "index filter: a bin together with an index %s",
                            w->exp ? "expression" : "name");
    if (w->ctx && (w->index_name || w->exp))
        return aw_error_set(err, AW_ERR_PARAM,
                            "index filter: a context goes with a bin, not with an index %s",
                            w->exp ? "expression" : "name");
    if (!w->index_name && !w->exp &&
        (rc = check_name("index filter bin", w->bin, AW_BIN_NAME_MAX, true, err)) != AW_OK)
        return rc;
    if (w->index_name && (rc = check_name("index name", w->index_name, 255, true, err)) != AW_OK)
        return rc;
    if (w->ctx && (rc = aw_cdt_check_ctx(w->ctx, err)) != AW_OK)
        return rc;
    bool has_bytes = w->kind != AW_FILTER_INT_RANGE && w->kind != AW_FILTER_GEO_WITHIN_RADIUS;
    if (has_bytes && !w->bytes && w->len)
        return aw_error_set(err, AW_ERR_PARAM, "index filter: value is NULL");
    if (has_bytes && w->len > AW_VALUE_MAX_LEN)
        return aw_error_set(err, AW_ERR_PARAM, "index filter: value of %zu bytes", w->len);
    return AW_OK;
}

/* Shortest text that reads back as v, always with a '.' or an exponent
 * (JSON numbers, as the official clients' literal circles have them). */
static int put_json_number(char *out, size_t cap, double v) {
    char tmp[40];
    if (fabs(v) < 1e15 && v == floor(v))
        return snprintf(out, cap, "%.1f", v);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    size_t n = strlen(tmp);
    if (!strpbrk(tmp, ".eE") && n + 2 < sizeof tmp)
        memcpy(tmp + n, ".0", 3);
    return snprintf(out, cap, "%s", tmp);
}

int aw_geo_circle_json(double lng, double lat, double radius_m, char *out, size_t cap,
                       aw_error *err) {
    if (!isfinite(lng) || !isfinite(lat) || !isfinite(radius_m) || radius_m < 0)
        return aw_error_set(err, AW_ERR_PARAM,
                            "geo radius filter: (%g, %g) radius %g is not a finite point and "
                            "radius >= 0", lng, lat, radius_m);
    char a[48], b[48], c[48];
    put_json_number(a, sizeof a, lng);
    put_json_number(b, sizeof b, lat);
    put_json_number(c, sizeof c, radius_m);
    int n = snprintf(out, cap, "{\"type\":\"AeroCircle\",\"coordinates\":[[%s,%s],%s]}", a, b, c);
    if (n < 0 || (size_t)n >= cap)
        return aw_error_set(err, AW_ERR_PARAM, "geo radius filter: circle text too long");
    return AW_OK;
}

static void put_range_value(aw_buf *b, const void *p, size_t len) {
    aw_buf_u32be(b, (uint32_t)len);
    aw_buf_put(b, p, len);
}

/* INDEX_TYPE, INDEX_RANGE, INDEX_CONTEXT, INDEX_NAME, INDEX_EXPRESSION. */
static int put_where(aw_buf *out, const aw_index_filter *w, uint16_t *n_fields, aw_error *err) {
    if (w->collection != AW_INDEX_DEFAULT) {
        uint8_t t = (uint8_t)w->collection;
        aw_buf_field(out, AW_FIELD_INDEX_TYPE, &t, 1);
        ++*n_fields;
    }
    char circle[160];
    const void *bytes = w->bytes;
    size_t len = w->len;
    uint8_t ptype;
    switch (w->kind) {
    case AW_FILTER_INT_RANGE: ptype = AW_PT_INTEGER; break;
    case AW_FILTER_STR_EQUAL: ptype = AW_PT_STRING; break;
    case AW_FILTER_BLOB_EQUAL: ptype = AW_PT_BLOB; break;
    case AW_FILTER_GEO_WITHIN_RADIUS: {
        int rc = aw_geo_circle_json(w->lng, w->lat, w->radius_m, circle, sizeof circle, err);
        if (rc != AW_OK)
            return rc;
        bytes = circle;
        len = strlen(circle);
        ptype = AW_PT_GEOJSON;
        break;
    }
    default: ptype = AW_PT_GEOJSON; break;
    }
    size_t bin_len = w->bin && !w->index_name && !w->exp ? strlen(w->bin) : 0;
    size_t value_len = ptype == AW_PT_INTEGER ? 8 : len;
    /* count, bin name, key type, then begin and end, each length-prefixed */
    size_t field_len = 1 + 1 + bin_len + 1 + 2 * (4 + value_len);
    aw_buf_u32be(out, (uint32_t)field_len + 1);
    aw_buf_u8(out, AW_FIELD_INDEX_RANGE);
    aw_buf_u8(out, 1);
    aw_buf_u8(out, (uint8_t)bin_len);
    aw_buf_put(out, w->bin, bin_len);
    aw_buf_u8(out, ptype);
    if (ptype == AW_PT_INTEGER) {
        uint8_t v[8];
        aw_store_u64be(v, (uint64_t)w->begin);
        put_range_value(out, v, 8);
        aw_store_u64be(v, (uint64_t)w->end);
        put_range_value(out, v, 8);
    } else { /* equality: the official client sends the value as begin and end */
        put_range_value(out, bytes, len);
        put_range_value(out, bytes, len);
    }
    ++*n_fields;
    if (w->ctx) {
        size_t at = out->len;
        aw_buf_u32be(out, 0);
        aw_buf_u8(out, AW_FIELD_INDEX_CONTEXT);
        int rc = aw_cdt_put_ctx_items(out, w->ctx, 0, err);
        if (rc != AW_OK)
            return rc;
        if (aw_buf_ok(out))
            aw_store_u32be(out->data + at, (uint32_t)(out->len - at - 4));
        ++*n_fields;
    }
    if (w->index_name) {
        aw_buf_field(out, AW_FIELD_INDEX_NAME, w->index_name, (uint32_t)strlen(w->index_name));
        ++*n_fields;
    }
    if (w->exp) {
        size_t n;
        const uint8_t *e = aw_exp_bytes(w->exp, &n);
        aw_buf_field(out, AW_FIELD_INDEX_EXPRESSION, e, (uint32_t)n);
        ++*n_fields;
    }
    return AW_OK;
}

static int put_udf(aw_buf *out, const aw_scanq_udf *u, uint16_t *n_fields, aw_error *err) {
    uint8_t op = UDF_OP_BACKGROUND;
    aw_buf_field(out, AW_FIELD_UDF_OP, &op, 1);
    aw_buf_field(out, AW_FIELD_UDF_PACKAGE, u->module, (uint32_t)strlen(u->module));
    aw_buf_field(out, AW_FIELD_UDF_FUNCTION, u->function, (uint32_t)strlen(u->function));
    size_t at = out->len;
    aw_buf_u32be(out, 0);
    aw_buf_u8(out, AW_FIELD_UDF_ARGLIST);
    aw_value args = aw_value_list((aw_value *)u->args, u->n_args);
    int rc = aw_msgpack_write(out, &args, err);
    if (rc != AW_OK)
        return rc;
    if (aw_buf_ok(out))
        aw_store_u32be(out->data + at, (uint32_t)(out->len - at - 4));
    *n_fields += 4;
    return AW_OK;
}

/* PID_ARRAY (u16 LE), DIGEST_ARRAY, BVAL_ARRAY (i64 LE; queries only). */
static void put_partitions(aw_buf *out, const aw_scanq_req *r, uint16_t *n_fields) {
    size_t n_full = 0, n_partial = 0;
    for (size_t i = 0; i < r->n_parts; i++)
        r->parts[i]->has_digest ? n_partial++ : n_full++;
    if (n_full) {
        aw_buf_u32be(out, (uint32_t)(2 * n_full + 1));
        aw_buf_u8(out, AW_FIELD_PID_ARRAY);
        for (size_t i = 0; i < r->n_parts; i++)
            if (!r->parts[i]->has_digest) {
                aw_buf_u8(out, (uint8_t)r->parts[i]->id);
                aw_buf_u8(out, (uint8_t)(r->parts[i]->id >> 8));
            }
        ++*n_fields;
    }
    if (!n_partial)
        return;
    aw_buf_u32be(out, (uint32_t)(AW_DIGEST_SIZE * n_partial + 1));
    aw_buf_u8(out, AW_FIELD_DIGEST_ARRAY);
    for (size_t i = 0; i < r->n_parts; i++)
        if (r->parts[i]->has_digest)
            aw_buf_put(out, r->parts[i]->digest, AW_DIGEST_SIZE);
    ++*n_fields;
    if (!r->q->where)
        return;
    aw_buf_u32be(out, (uint32_t)(8 * n_partial + 1));
    aw_buf_u8(out, AW_FIELD_BVAL_ARRAY);
    for (size_t i = 0; i < r->n_parts; i++)
        if (r->parts[i]->has_digest) {
            uint64_t v = (uint64_t)r->parts[i]->bval;
            for (int k = 0; k < 8; k++)
                aw_buf_u8(out, (uint8_t)(v >> (8 * k)));
        }
    ++*n_fields;
}

static int check_req(const aw_scanq_req *r, aw_error *err) {
    const aw_query *q = r->q;
    if (!q)
        return aw_error_set(err, AW_ERR_PARAM, "query is NULL");
    int rc = check_name("namespace", q->ns, AW_NAMESPACE_MAX, true, err);
    if (rc == AW_OK)
        rc = check_name("set", q->set, AW_SET_MAX, false, err);
    if (rc == AW_OK)
        rc = aw_check_filter(r->filter, err);
    if (rc == AW_OK && q->where)
        rc = check_where(q->where, err);
    if (rc != AW_OK)
        return rc;
    if (q->n_bins && !q->bins)
        return aw_error_set(err, AW_ERR_PARAM, "query: %zu bins but bins is NULL", q->n_bins);
    if (q->n_ops && !q->ops)
        return aw_error_set(err, AW_ERR_PARAM, "query: %zu ops but ops is NULL", q->n_ops);
    if (q->n_bins + q->n_ops > UINT16_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "query: %zu bins and ops (at most %u)",
                            q->n_bins + q->n_ops, UINT16_MAX);
    if (q->n_bins && q->n_ops)
        return aw_error_set(err, AW_ERR_PARAM, "query: bins or ops, not both");
    for (size_t i = 0; i < q->n_bins; i++)
        if ((rc = aw_check_bin_name(q->bins[i], err)) != AW_OK)
            return rc;
    uint8_t info1 = 0, info2 = 0;
    bool writes = false;
    aw_ops_info(q->ops, q->n_ops, &info1, &info2, &writes);
    bool background = r->write || r->udf;
    if (background) {
        if (r->udf && q->n_ops)
            return aw_error_set(err, AW_ERR_PARAM, "background job: a UDF or write ops, not both");
        if (!r->udf && (!q->n_ops || (info1 & AW_INFO1_READ)))
            return aw_error_set(err, AW_ERR_PARAM,
                                "background job: needs write ops only (no read ops)");
        if (r->udf && (check_name("UDF module", r->udf->module, 127, true, err) ||
                       check_name("UDF function", r->udf->function, 127, true, err)))
            return err ? err->code : AW_ERR_PARAM;
        if (r->udf && r->udf->n_args && !r->udf->args)
            return aw_error_set(err, AW_ERR_PARAM, "UDF: %zu args but args is NULL",
                                r->udf->n_args);
        if (r->duration == AW_QUERY_SHORT)
            return aw_error_set(err, AW_ERR_PARAM, "a background job cannot be a short query");
    } else {
        if (writes)
            return aw_error_set(err, AW_ERR_PARAM,
                                "query: write ops need a background job (aw_query_background)");
        if (r->n_parts == 0 || !r->parts)
            return aw_error_set(err, AW_ERR_PARAM, "query: no partitions to ask");
        if (r->n_parts > AW_PARTITIONS)
            return aw_error_set(err, AW_ERR_PARAM, "query: %zu partitions", r->n_parts);
    }
    return AW_OK;
}

static void put_u32_field(aw_buf *out, uint8_t type, uint32_t v) {
    uint8_t b[4];
    aw_store_u32be(b, v);
    aw_buf_field(out, type, b, 4);
}

static void put_u64_field(aw_buf *out, uint8_t type, uint64_t v) {
    uint8_t b[8];
    aw_store_u64be(b, v);
    aw_buf_field(out, type, b, 8);
}

/* The message header's bits (§9.2.1): foreground read, or background write. */
static void header_bits(const aw_scanq_req *r, aw_msg_header *h) {
    const aw_query *q = r->q;
    h->header_sz = AW_MSG_HEADER_SIZE;
    h->transaction_ttl = r->total_timeout_ms;
    if (r->write || r->udf) {
        static const aw_req_opts none;
        const aw_req_opts *o = r->write ? r->write : &none;
        aw_req_opts wo = *o;
        wo.gen_policy = AW_GEN_IGNORE;
        h->info2 = AW_INFO2_WRITE;
        aw_write_info(&wo, &h->info2, &h->info3);
        h->record_ttl = o->ttl;
        return;
    }
    h->info1 = AW_INFO1_READ;
    if (r->no_bins)
        h->info1 |= AW_INFO1_GET_NOBINDATA;
    if (r->duration == AW_QUERY_SHORT)
        h->info1 |= AW_INFO1_SHORT_QUERY;
    else if (r->duration == AW_QUERY_LONG_RELAX_AP)
        h->info2 |= AW_INFO2_RELAX_AP_LONG_QUERY;
    /* Projection ops: one result per op unless one of them reads everything. */
    bool read_all = false;
    for (size_t i = 0; i < q->n_ops; i++)
        read_all |= q->ops[i].type == AW_OP_READ && !q->ops[i].bin;
    if (q->n_ops && !read_all)
        h->info2 |= AW_INFO2_RESPOND_ALL_OPS;
    h->info3 = AW_INFO3_PARTITION_DONE;
    h->record_ttl = 0xFFFFFFFFu;
}

int aw_req_scanq(aw_buf *out, const aw_scanq_req *r, aw_error *err) {
    if (!out || !r)
        return aw_error_set(err, AW_ERR_PARAM, "scan/query request: %s is NULL",
                            out ? "request" : "output buffer");
    int rc = check_req(r, err);
    if (rc != AW_OK)
        return rc;
    const aw_query *q = r->q;
    bool background = r->write || r->udf;
    size_t start = out->len;
    bool start_oom = out->oom;

    aw_msg_header h = {0};
    header_bits(r, &h);
    aw_proto_header_begin(out);
    size_t msg_at = out->len;
    aw_buf_msg_header(out, &h);
    uint16_t n_fields = 0, n_ops = 0;
    aw_buf_field(out, AW_FIELD_NAMESPACE, q->ns, (uint32_t)strlen(q->ns));
    n_fields++;
    if (q->set && q->set[0]) {
        aw_buf_field(out, AW_FIELD_SET, q->set, (uint32_t)strlen(q->set));
        n_fields++;
    }
    if (r->records_per_second) {
        put_u32_field(out, AW_FIELD_RPS, r->records_per_second);
        n_fields++;
    }
    put_u32_field(out, AW_FIELD_SOCKET_TIMEOUT, r->socket_timeout_ms);
    put_u64_field(out, AW_FIELD_TASK_ID, r->task_id);
    n_fields += 2;
    if (q->where && (rc = put_where(out, q->where, &n_fields, err)) != AW_OK)
        goto fail;
    if (r->udf && (rc = put_udf(out, r->udf, &n_fields, err)) != AW_OK)
        goto fail;
    if (r->filter) {
        size_t n;
        const uint8_t *e = aw_exp_bytes(r->filter, &n);
        aw_buf_field(out, AW_FIELD_FILTER, e, (uint32_t)n);
        n_fields++;
    }
    if (!background)
        put_partitions(out, r, &n_fields);
    if (!background && r->max_records) {
        put_u64_field(out, AW_FIELD_MAX_RECORDS, r->max_records);
        n_fields++;
    }
    if (q->n_ops) {
        for (size_t i = 0; i < q->n_ops; i++)
            if ((rc = aw_buf_op(out, &q->ops[i], err)) != AW_OK)
                goto fail;
        n_ops = (uint16_t)q->n_ops;
    } else if (!r->no_bins && !background) {
        for (size_t i = 0; i < q->n_bins; i++)
            aw_buf_op_header(out, AW_OP_READ, AW_PT_NULL, q->bins[i], (uint8_t)strlen(q->bins[i]),
                             0);
        n_ops = (uint16_t)q->n_bins;
    }
    if (!aw_buf_ok(out)) {
        rc = aw_error_set(err, AW_ERR_NOMEM, "out of memory building the scan/query request");
        goto fail;
    }
    if (out->len - start - AW_PROTO_HEADER_SIZE > AW_PROTO_SIZE_MAX) {
        rc = aw_error_set(err, AW_ERR_PARAM, "scan/query request over the frame limit");
        goto fail;
    }
    aw_store_u16be(out->data + msg_at + HDR_N_FIELDS, n_fields);
    aw_store_u16be(out->data + msg_at + HDR_N_OPS, n_ops);
    aw_proto_header_patch(out, start, AW_PROTO_MSG);
    return AW_OK;
fail:
    out->len = start;
    out->oom = start_oom;
    return rc;
}
