/*
 * Opening and reading arrays: the header alone for open; a version's
 * chunks (or its inline data) for reads, following the header to a newer
 * version when the one being read disappears under a concurrent put.
 */
#include <stdio.h>
#include <string.h>

#include "numpy/array_internal.h"
#include "proto/mem.h"

static const aw_policy *read_policy(const aw_array_ref *ref) {
    return ref->has_policy ? &ref->policy : NULL;
}

/* The header record: every bin but the data (open), or also the data. */
static int header_get(aw_client *client, const aw_policy *policy, const aw_key *key,
                      bool with_data, aw_record *rec, aw_error *err) {
    static const char *const bins[] = {AW_ARR_FMT,     AW_ARR_DESCR, AW_ARR_SHAPE, AW_ARR_NBYTES,
                                       AW_ARR_CHUNK,   AW_ARR_NCHUNKS, AW_ARR_VER, AW_ARR_CRC,
                                       AW_ARR_COMP,    AW_ARR_ATTRS, AW_ARR_DATA,  AW_ARR_Z};
    size_t n = with_data ? 12 : 10;
    int rc = aw_get(client, policy, key, bins, n, rec, err);
    if (rc == AW_ERR_RECORD_NOT_FOUND)
        aw_error_set(err, rc, "no array at this key");
    return rc;
}

int aw_array_open(aw_client *client, const aw_policy *policy, const aw_key *key,
                  aw_array_ref **out, aw_error *err) {
    aw_error_reset(err);
    if (out)
        *out = NULL;
    if (!client || !key || !out)
        return aw_error_set(err, AW_ERR_PARAM, "array_open: NULL %s",
                            !client ? "client" : !key ? "key" : "out");
    if (aw_arr_no_filter(client, policy, false, "array_open", err) != AW_OK)
        return AW_ERR_PARAM;
    aw_array_ref *ref = aw_calloc(1, sizeof *ref);
    if (!ref)
        return aw_error_set(err, AW_ERR_NOMEM, "array_open: out of memory");
    /* The digest is all reads need; the caller's key bytes are not kept. */
    int rc = aw_key_init_digest(&ref->key, key->ns, key->set, key->digest, err);
    if (rc == AW_OK && policy) {
        ref->policy = *policy;
        ref->policy.send_key = false;
        ref->has_policy = true;
    }
    if (rc == AW_OK)
        rc = header_get(client, read_policy(ref), &ref->key, false, &ref->rec, err);
    if (rc == AW_OK)
        rc = aw_arr_ref_fill(ref, err);
    if (rc != AW_OK) {
        aw_array_ref_free(ref);
        return rc;
    }
    *out = ref;
    return AW_OK;
}

/* --- Versions ------------------------------------------------------------------------ */

void aw_arr_snap_init(aw_arr_snap *s, const aw_array_ref *ref) {
    memset(s, 0, sizeof *s);
    s->h = &ref->hdr;
}

void aw_arr_snap_free(aw_arr_snap *s) { aw_record_free(&s->rec); }

/* Moves the snapshot to the version rec describes (taking rec), when it
 * has the ref's shape and dtype and holds together. */
static int snap_move(const aw_array_ref *ref, aw_arr_snap *s, aw_record *rec,
                     const aw_arr_hdr *h, aw_error *err) {
    const aw_arr_hdr *r = &ref->hdr;
    bool same = strcmp(h->descr, r->descr) == 0 && h->ndim == r->ndim && h->nbytes == r->nbytes &&
                memcmp(h->shape, r->shape, r->ndim * sizeof r->shape[0]) == 0;
    if (!same)
        return aw_error_set(err, AW_ERR_RECORD_GENERATION,
                            "the array was replaced by one of another shape or dtype since it was "
                            "opened; open it again");
    if (++s->moves > AW_ARR_READ_TRIES)
        return aw_error_set(err, AW_ERR_RECORD_GENERATION,
                            "the array kept changing while it was read (%u versions)", s->moves);
    aw_dtype *dt;
    int rc = aw_arr_hdr_layout(h, &dt, err);
    if (rc != AW_OK)
        return rc;
    aw_dtype_free(dt);
    aw_record_free(&s->rec);
    s->rec = *rec; /* the values h points at live in the record's arena */
    memset(rec, 0, sizeof *rec);
    s->own = *h;
    s->h = &s->own;
    return AW_OK;
}

/* The header again: the version it names now, or why there is none. */
static int header_now(aw_client *client, const aw_array_ref *ref, bool with_data,
                      aw_record *rec, aw_arr_hdr *h, aw_error *err) {
    int rc = header_get(client, read_policy(ref), &ref->key, with_data, rec, err);
    if (rc == AW_OK)
        rc = aw_arr_hdr_decode(rec, h, err);
    if (rc == AW_ERR_RECORD_NOT_FOUND || (rc == AW_OK && !h->has_version))
        rc = aw_error_set(err, AW_ERR_RECORD_NOT_FOUND, "the array was deleted while being read");
    return rc;
}

int aw_arr_read_piece(aw_client *client, const aw_array_ref *ref, aw_arr_snap *s, uint64_t lo,
                      uint64_t hi, uint8_t *out, bool *moved, aw_error *err) {
    *moved = false;
    aw_record rec;
    aw_arr_hdr h;
    int rc;
    if (s->h->n_chunks == 0) {
        /* Inline: the data comes with the header it belongs to. */
        rc = header_now(client, ref, true, &rec, &h, err);
        if (rc == AW_OK && h.version == s->h->version)
            rc = aw_arr_inline_take(h.data, h.data_z, s->h->nbytes,
                                    aw_arr_hdr_crc(s->h, 0), lo, hi - lo, out, err);
        else if (rc == AW_OK && (rc = snap_move(ref, s, &rec, &h, err)) == AW_OK)
            *moved = true;
        aw_record_free(&rec);
        return rc;
    }
    bool missing;
    rc = aw_arr_read_chunks(client, read_policy(ref), &ref->key, s->h, lo, hi, out, &missing, err);
    if (rc == AW_OK || !missing)
        return rc;
    /* A chunk is gone: deleted with its version by a later put? */
    aw_error saved = err ? *err : (aw_error){0};
    rc = header_now(client, ref, false, &rec, &h, err);
    if (rc == AW_OK && h.version == s->h->version) {
        if (err)
            *err = saved;
        rc = saved.code ? saved.code : AW_ERR_ARRAY_CORRUPT;
    } else if (rc == AW_OK && (rc = snap_move(ref, s, &rec, &h, err)) == AW_OK) {
        *moved = true;
    }
    aw_record_free(&rec);
    return rc;
}

/* Array bytes [lo, hi) into out, zeroed on failure. */
static int read_range(aw_client *client, const aw_array_ref *ref, uint64_t lo, uint64_t hi,
                      uint8_t *out, aw_error *err) {
    aw_arr_snap s;
    aw_arr_snap_init(&s, ref);
    bool moved;
    int rc;
    do
        rc = aw_arr_read_piece(client, ref, &s, lo, hi, out, &moved, err);
    while (rc == AW_OK && moved);
    aw_arr_snap_free(&s);
    if (rc != AW_OK && hi > lo)
        memset(out, 0, (size_t)(hi - lo));
    else if (rc == AW_OK)
        aw_error_reset(err);
    return rc;
}

int aw_array_read(aw_client *client, const aw_array_ref *ref, void *buf, size_t buf_size,
                  aw_error *err) {
    aw_error_reset(err);
    if (!client || !ref)
        return aw_error_set(err, AW_ERR_PARAM, "array_read: NULL %s", client ? "ref" : "client");
    uint64_t need = ref->hdr.nbytes;
    if (need > buf_size)
        return aw_error_set(err, AW_ERR_PARAM,
                            "array_read: the buffer holds %zu bytes, the array needs %llu",
                            buf_size, (unsigned long long)need);
    if (need && !buf)
        return aw_error_set(err, AW_ERR_PARAM, "array_read: buf is NULL");
    return read_range(client, ref, 0, need, buf, err);
}

int aw_array_read_rows(aw_client *client, const aw_array_ref *ref, uint64_t i, uint64_t j,
                       void *buf, size_t buf_size, aw_error *err) {
    aw_error_reset(err);
    if (!client || !ref)
        return aw_error_set(err, AW_ERR_PARAM, "array_read_rows: NULL %s",
                            client ? "ref" : "client");
    if (ref->hdr.ndim == 0)
        return aw_error_set(err, AW_ERR_PARAM, "array_read_rows: a 0-d array has no rows");
    uint64_t rows = ref->hdr.shape[0];
    if (i > j || j > rows)
        return aw_error_set(err, AW_ERR_PARAM,
                            "array_read_rows: rows [%llu, %llu) are not within the array's %llu",
                            (unsigned long long)i, (unsigned long long)j,
                            (unsigned long long)rows);
    uint64_t need = (j - i) * ref->row_bytes;
    if (need > buf_size)
        return aw_error_set(err, AW_ERR_PARAM,
                            "array_read_rows: the buffer holds %zu bytes, %llu rows of %llu need "
                            "%llu",
                            buf_size, (unsigned long long)(j - i),
                            (unsigned long long)ref->row_bytes, (unsigned long long)need);
    if (need && !buf)
        return aw_error_set(err, AW_ERR_PARAM, "array_read_rows: buf is NULL");
    if (need == 0)
        return AW_OK;
    return read_range(client, ref, i * ref->row_bytes, j * ref->row_bytes, buf, err);
}

int aw_array_get(aw_client *client, const aw_policy *policy, const aw_key *key,
                 aw_array_ref **ref, void **data, aw_error *err) {
    if (data)
        *data = NULL;
    if (!data)
        return aw_error_set(err, AW_ERR_PARAM, "array_get: data is NULL");
    int rc = aw_array_open(client, policy, key, ref, err);
    if (rc != AW_OK)
        return rc;
    size_t n = (size_t)aw_array_nbytes(*ref);
    void *buf = aw_malloc(n ? n : 1);
    if (!buf)
        rc = aw_error_set(err, AW_ERR_NOMEM, "array_get: out of memory for %zu bytes", n);
    else
        rc = aw_array_read(client, *ref, buf, n, err);
    if (rc != AW_OK) {
        aw_free(buf);
        aw_array_ref_free(*ref);
        *ref = NULL;
        return rc;
    }
    *data = buf;
    return AW_OK;
}
