/*
 * The header record: its bins decoded and checked (what open trusts), the
 * writer's view of it (current version, versions pending removal), and
 * the ops that write a whole header.
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "numpy/array_internal.h"
#include "numpy/pylit.h"
#include "proto/mem.h"

static int corrupt(aw_error *err, const char *bin, const char *what) {
    return aw_error_set(err, AW_ERR_ARRAY_CORRUPT, "array header: bin %s %s", bin, what);
}

/* An integer bin in [lo, hi]; *present false when absent. */
static int get_int(const aw_record *rec, const char *bin, int64_t lo, int64_t hi, bool required,
                   int64_t *out, bool *present, aw_error *err) {
    const aw_value *v = aw_record_get(rec, bin);
    if (present)
        *present = v != NULL;
    if (!v && !required)
        return AW_OK;
    if (!v || v->type != AW_INT)
        return corrupt(err, bin, "is missing or not an integer");
    if (v->u.i < lo || v->u.i > hi) {
        char what[96];
        snprintf(what, sizeof what, "is %lld, outside [%lld, %lld]", (long long)v->u.i,
                 (long long)lo, (long long)hi);
        return corrupt(err, bin, what);
    }
    *out = v->u.i;
    return AW_OK;
}

/* aw_fmt: AW_ERR_PARAM when absent (not an array), UNSUPPORTED when newer. */
static int check_fmt(const aw_record *rec, uint32_t *fmt, aw_error *err) {
    const aw_value *v = aw_record_get(rec, AW_ARR_FMT);
    if (!v)
        return aw_error_set(err, AW_ERR_PARAM,
                            "the record at this key is not an array (it has no bin aw_fmt)");
    if (v->type != AW_INT || v->u.i < 1)
        return corrupt(err, AW_ARR_FMT, "is not a positive integer");
    if (v->u.i > AW_ARRAY_FORMAT)
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            "array format %lld is newer than this client's (%d)",
                            (long long)v->u.i, AW_ARRAY_FORMAT);
    *fmt = (uint32_t)v->u.i;
    return AW_OK;
}

static bool plain_string(const aw_value *v) {
    return v && v->type == AW_STR && v->len > 0 && strlen(v->u.str) == v->len;
}

int aw_arr_hdr_decode(const aw_record *rec, aw_arr_hdr *h, aw_error *err) {
    memset(h, 0, sizeof *h);
    int rc = check_fmt(rec, &h->fmt, err);
    if (rc != AW_OK)
        return rc;
    const aw_value *v = aw_record_get(rec, AW_ARR_VER);
    if (!v)
        return AW_OK; /* a placeholder or a tombstone: no array yet */
    if (v->type != AW_INT || v->u.i == 0)
        return corrupt(err, AW_ARR_VER, "is not a non-zero integer");
    h->has_version = true;
    h->version = (uint64_t)v->u.i;

    v = aw_record_get(rec, AW_ARR_DESCR);
    if (!plain_string(v))
        return corrupt(err, AW_ARR_DESCR, "is missing or not a string");
    h->descr = v->u.str;

    v = aw_record_get(rec, AW_ARR_SHAPE);
    if (!v || v->type != AW_LIST)
        return corrupt(err, AW_ARR_SHAPE, "is missing or not a list");
    if (v->len > AW_ARRAY_MAX_NDIM)
        return corrupt(err, AW_ARR_SHAPE, "has more than 32 dimensions");
    for (uint32_t k = 0; k < v->len; k++) {
        const aw_value *d = &v->u.items[k];
        if (d->type != AW_INT || d->u.i < 0)
            return corrupt(err, AW_ARR_SHAPE, "holds something other than a non-negative integer");
        h->shape[k] = (uint64_t)d->u.i;
    }
    h->ndim = v->len;

    int64_t x;
    bool present;
    if ((rc = get_int(rec, AW_ARR_NBYTES, 0, INT64_MAX, true, &x, NULL, err)) != AW_OK)
        return rc;
    h->nbytes = (uint64_t)x;
    if ((rc = get_int(rec, AW_ARR_CHUNK, AW_ARRAY_MIN_CHUNK, AW_ARRAY_MAX_CHUNK, true, &x, NULL,
                      err)) != AW_OK)
        return rc;
    h->chunk_bytes = (uint32_t)x;
    if ((rc = get_int(rec, AW_ARR_NCHUNKS, 0, AW_ARRAY_MAX_CHUNKS, true, &x, NULL, err)) != AW_OK)
        return rc;
    h->n_chunks = (uint32_t)x;
    if ((rc = get_int(rec, AW_ARR_COMP, 0, 1, false, &x, &present, err)) != AW_OK)
        return rc;
    h->compressed = present && x == 1;

    v = aw_record_get(rec, AW_ARR_CRC);
    if (!v || v->type != AW_BLOB || v->len != 4 * ((size_t)h->n_chunks + 1))
        return corrupt(err, AW_ARR_CRC, "is missing or not 4 bytes per chunk and 4 more");
    h->crc = v->u.bytes;

    v = aw_record_get(rec, AW_ARR_ATTRS);
    if (v) {
        if (v->type != AW_MAP)
            return corrupt(err, AW_ARR_ATTRS, "is not a map");
        for (uint32_t k = 0; k < v->len; k++)
            if (!plain_string(&v->u.items[2 * k]))
                return corrupt(err, AW_ARR_ATTRS, "has a name that is not a string");
        h->attrs = v;
    }

    v = aw_record_get(rec, AW_ARR_DATA);
    if (v) {
        if (v->type != AW_BLOB)
            return corrupt(err, AW_ARR_DATA, "is not a blob");
        h->data = v;
    }
    if ((rc = get_int(rec, AW_ARR_Z, 0, 1, false, &x, &present, err)) != AW_OK)
        return rc;
    h->data_z = present && x == 1;
    return AW_OK;
}

int aw_arr_hdr_layout(const aw_arr_hdr *h, aw_dtype **dt, aw_error *err) {
    *dt = NULL;
    aw_dtype *d;
    aw_error e;
    if (aw_dtype_parse_flags(h->descr, AW_DTYPE_ARRAY, &d, &e) != AW_OK)
        return aw_error_set(err, AW_ERR_ARRAY_CORRUPT, "array header: bin aw_descr: %.100s",
                            e.message);
    int rc = AW_OK;
    size_t itemsize = aw_dtype_itemsize(d);
    uint64_t size = 1;
    bool zero = false, over = false;
    for (uint32_t k = 0; k < h->ndim; k++) {
        if (h->shape[k] == 0)
            zero = true;
        else if (h->shape[k] > AW_ARRAY_MAX_ELEMENTS || size * h->shape[k] > AW_ARRAY_MAX_ELEMENTS)
            over = true;
        else
            size *= h->shape[k];
    }
    if (zero)
        size = 0; /* the other dimensions still count (rows must fit) */
    if (itemsize == 0) {
        rc = corrupt(err, AW_ARR_DESCR, "is a dtype of itemsize 0");
    } else if (over) {
        rc = corrupt(err, AW_ARR_SHAPE, "has dimensions whose product passes 2^31");
    } else if (h->nbytes != size * itemsize) {
        rc = aw_error_set(err, AW_ERR_ARRAY_CORRUPT,
                          "array header: aw_nbytes is %llu, its shape and dtype make %llu",
                          (unsigned long long)h->nbytes,
                          (unsigned long long)(size * itemsize));
    } else if (h->n_chunks != 0 &&
               h->n_chunks != (h->nbytes + h->chunk_bytes - 1) / h->chunk_bytes) {
        rc = aw_error_set(err, AW_ERR_ARRAY_CORRUPT,
                          "array header: %u chunks of %u bytes cannot hold %llu bytes",
                          h->n_chunks, h->chunk_bytes, (unsigned long long)h->nbytes);
    } else if (h->n_chunks == 0 && h->nbytes > h->chunk_bytes) {
        rc = corrupt(err, AW_ARR_NCHUNKS, "is 0 for more bytes than one chunk (inline) holds");
    } else if (h->n_chunks > 0) {
        /* The chunk CRCs must make the whole array's: the list is intact. */
        uLong op = crc32_combine_gen((z_off_t)h->chunk_bytes);
        uLong c = aw_arr_hdr_crc(h, 0);
        for (uint32_t i = 1; i < h->n_chunks; i++) {
            uint32_t len = aw_arr_chunk_len(h->nbytes, h->chunk_bytes, i);
            uLong ci = aw_arr_hdr_crc(h, i);
            c = len == h->chunk_bytes ? crc32_combine_op(c, ci, op)
                                      : crc32_combine(c, ci, (z_off_t)len);
        }
        if ((uint32_t)c != aw_arr_hdr_crc(h, h->n_chunks))
            rc = corrupt(err, AW_ARR_CRC, "does not add up: the chunk CRCs do not make the "
                                          "whole array's");
    }
    if (rc != AW_OK) {
        aw_dtype_free(d);
        return rc;
    }
    *dt = d;
    return AW_OK;
}

/* --- The writer's view ------------------------------------------------------------------ */

int aw_arr_state_decode(const aw_record *rec, aw_arr_state *s, aw_error *err) {
    memset(s, 0, sizeof *s);
    if (!rec)
        return AW_OK;
    s->exists = true;
    s->gen = rec->gen;
    uint32_t fmt;
    int rc = check_fmt(rec, &fmt, err);
    if (rc != AW_OK)
        return rc;
    const aw_value *v = aw_record_get(rec, AW_ARR_VER);
    if (v && v->type == AW_INT && v->u.i != 0) {
        s->has_version = true;
        s->version = (uint64_t)v->u.i;
        v = aw_record_get(rec, AW_ARR_NCHUNKS);
        if (v && v->type == AW_INT && v->u.i > 0 && v->u.i <= AW_ARRAY_MAX_CHUNKS)
            s->n_chunks = (uint32_t)v->u.i;
    }
    v = aw_record_get(rec, AW_ARR_PEND);
    if (v && v->type == AW_LIST) {
        for (uint32_t k = 0; k + 1 < v->len && s->n_pend < AW_ARR_MAX_PEND; k += 2) {
            const aw_value *ver = &v->u.items[k], *n = &v->u.items[k + 1];
            if (ver->type != AW_INT || ver->u.i == 0 || n->type != AW_INT || n->u.i < 0 ||
                n->u.i > AW_ARRAY_MAX_CHUNKS)
                continue;
            s->pend[s->n_pend].version = (uint64_t)ver->u.i;
            s->pend[s->n_pend].n_chunks = (uint32_t)n->u.i;
            s->n_pend++;
        }
    }
    return AW_OK;
}

size_t aw_arr_state_versions(const aw_arr_state *s, aw_arr_pend out[AW_ARR_MAX_PEND + 1]) {
    size_t n = 0;
    for (size_t k = 0; k < s->n_pend; k++)
        out[n++] = s->pend[k];
    if (s->has_version && s->n_chunks > 0)
        out[n++] = (aw_arr_pend){s->version, s->n_chunks};
    return n;
}

int aw_arr_state_read(aw_client *client, const aw_policy *policy, const aw_key *key,
                      aw_arr_state *s, aw_error *err) {
    static const char *const bins[] = {AW_ARR_FMT, AW_ARR_VER, AW_ARR_NCHUNKS, AW_ARR_PEND};
    aw_record rec;
    int rc = aw_get(client, policy, key, bins, 4, &rec, err);
    if (rc == AW_ERR_RECORD_NOT_FOUND) {
        aw_record_free(&rec);
        aw_error_reset(err);
        return aw_arr_state_decode(NULL, s, err);
    }
    if (rc == AW_OK)
        rc = aw_arr_state_decode(&rec, s, err);
    aw_record_free(&rec);
    return rc;
}

/* --- Writing a header -------------------------------------------------------------------- */

aw_op aw_arr_pend_op(const aw_arr_pend *pend, size_t n, aw_value *items) {
    if (n == 0)
        return aw_op_write(AW_ARR_PEND, aw_value_nil());
    for (size_t k = 0; k < n; k++) {
        items[2 * k] = aw_value_int((int64_t)pend[k].version);
        items[2 * k + 1] = aw_value_int(pend[k].n_chunks);
    }
    return aw_op_write(AW_ARR_PEND, aw_value_list(items, 2 * n));
}

int aw_arr_hdr_ops_build(const aw_arr_hdr_out *o, aw_arr_hdr_ops *ops, aw_error *err) {
    memset(ops, 0, sizeof *ops);
    if (o->n_attrs)
        ops->attr_items = aw_calloc(2 * o->n_attrs, sizeof *ops->attr_items);
    if (o->n_pend)
        ops->pend_items = aw_calloc(2 * o->n_pend, sizeof *ops->pend_items);
    if ((o->n_attrs && !ops->attr_items) || (o->n_pend && !ops->pend_items)) {
        aw_arr_hdr_ops_free(ops);
        return aw_error_set(err, AW_ERR_NOMEM, "array header: out of memory");
    }
    aw_op *op = ops->ops;
    size_t n = 0;
    op[n++] = aw_op_write(AW_ARR_FMT, aw_value_int(AW_ARRAY_FORMAT));
    op[n++] = aw_op_write(AW_ARR_DESCR, aw_value_str(o->descr));
    for (uint32_t k = 0; k < o->ndim; k++)
        ops->shape_items[k] = aw_value_int((int64_t)o->shape[k]);
    op[n++] = aw_op_write(AW_ARR_SHAPE, aw_value_list(ops->shape_items, o->ndim));
    op[n++] = aw_op_write(AW_ARR_NBYTES, aw_value_int((int64_t)o->nbytes));
    op[n++] = aw_op_write(AW_ARR_CHUNK, aw_value_int(o->chunk_bytes));
    op[n++] = aw_op_write(AW_ARR_NCHUNKS, aw_value_int(o->n_chunks));
    op[n++] = aw_op_write(AW_ARR_VER, aw_value_int((int64_t)o->version));
    op[n++] = aw_op_write(AW_ARR_CRC, aw_value_blob(o->crc, 4 * ((size_t)o->n_chunks + 1)));
    op[n++] = aw_op_write(AW_ARR_COMP, aw_value_int(o->compressed ? 1 : 0));
    if (o->n_attrs) {
        for (size_t k = 0; k < o->n_attrs; k++) {
            ops->attr_items[2 * k] = aw_value_str(o->attrs[k].name);
            ops->attr_items[2 * k + 1] = o->attrs[k].value;
        }
        op[n++] = aw_op_write(AW_ARR_ATTRS, aw_value_map(ops->attr_items, o->n_attrs));
    }
    if (o->n_chunks == 0) {
        op[n++] = aw_op_write(AW_ARR_DATA, aw_value_blob(o->data, o->data_len));
        op[n++] = aw_op_write(AW_ARR_Z, aw_value_int(o->data_z ? 1 : 0));
    }
    if (o->n_pend)
        op[n++] = aw_arr_pend_op(o->pend, o->n_pend, ops->pend_items);
    ops->n = n;
    return AW_OK;
}

void aw_arr_hdr_ops_free(aw_arr_hdr_ops *ops) {
    aw_free(ops->attr_items);
    aw_free(ops->pend_items);
    ops->attr_items = NULL;
    ops->pend_items = NULL;
}

int aw_arr_attrs_check(const aw_array_attr *attrs, size_t n, aw_error *err) {
    if (n && !attrs)
        return aw_error_set(err, AW_ERR_PARAM, "array: %zu attributes but attrs is NULL", n);
    if (n > 0xFFFF)
        return aw_error_set(err, AW_ERR_PARAM, "array: %zu attributes, at most 65535", n);
    for (size_t i = 0; i < n; i++) {
        const char *name = attrs[i].name;
        if (!name || !name[0])
            return aw_error_set(err, AW_ERR_PARAM, "array: attribute %zu has no name", i);
        size_t len = strlen(name);
        for (size_t k = 0; k < len;) {
            uint32_t cp;
            size_t step = aw_utf8_valid_seq((const unsigned char *)name + k, len - k, &cp);
            if (step == 0)
                return aw_error_set(err, AW_ERR_PARAM,
                                    "array: the name of attribute %zu is not valid UTF-8", i);
            k += step;
        }
        if (attrs[i].value.type == AW_NIL)
            return aw_error_set(err, AW_ERR_PARAM, "array: attribute '%.60s' is nil", name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(attrs[j].name, name) == 0)
                return aw_error_set(err, AW_ERR_PARAM, "array: attribute '%.60s' given twice",
                                    name);
    }
    return AW_OK;
}
