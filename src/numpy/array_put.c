/*
 * aw_array_put: the write protocol (docs/arrays.md).
 *
 *  1. read the header: its generation, current version, pending versions;
 *  2. (chunked) record the intent: aw_pend += (new version, chunk count),
 *     with a generation check; from here on a crash leaves chunks the next
 *     put or delete finds and removes;
 *  3. (chunked) write every chunk under the new version, in batches;
 *  4. switch: replace the whole header (new version, CRCs, attributes,
 *     inline data, aw_pend = what is left to remove) with a generation
 *     check — the moment readers move to the new version;
 *  5. remove the old version's chunks and the stale pending ones, then
 *     clear aw_pend (generation check again; a failure only leaves work
 *     for the next writer).
 * A put that loses a generation check removes its own chunks; one whose
 * switch is in doubt removes nothing (its version may be the current one).
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "numpy/array_internal.h"
#include "proto/mem.h"

typedef struct put_args {
    const aw_key *key;
    const uint8_t *data;
    uint64_t nbytes;
    const aw_dtype *dtype;
    const uint64_t *shape;
    uint32_t ndim;
    const aw_array_attr *attrs;
    size_t n_attrs;
    aw_array_opts o;          /* defaults filled in */
    uint32_t n_chunks;
} put_args;

static int check_args(aw_client *client, const aw_key *key, const void *data, size_t nbytes,
                      const aw_dtype *dtype, const uint64_t *shape, uint32_t ndim,
                      const aw_array_attr *attrs, size_t n_attrs, const aw_array_opts *opts,
                      put_args *a, aw_error *err) {
    if (!client || !key || !dtype)
        return aw_error_set(err, AW_ERR_PARAM, "array_put: NULL %s",
                            !client ? "client" : !key ? "key" : "dtype");
    if (ndim > AW_ARRAY_MAX_NDIM)
        return aw_error_set(err, AW_ERR_PARAM, "array_put: %u dimensions, at most %d", ndim,
                            AW_ARRAY_MAX_NDIM);
    if (ndim && !shape)
        return aw_error_set(err, AW_ERR_PARAM, "array_put: shape is NULL for %u dimensions", ndim);
    if (nbytes && !data)
        return aw_error_set(err, AW_ERR_PARAM, "array_put: data is NULL for %zu bytes", nbytes);
    memset(a, 0, sizeof *a);
    if (opts)
        a->o = *opts;
    if (a->o.chunk_bytes == 0)
        a->o.chunk_bytes = AW_ARRAY_DEFAULT_CHUNK;
    if (a->o.chunk_bytes < AW_ARRAY_MIN_CHUNK || a->o.chunk_bytes > AW_ARRAY_MAX_CHUNK)
        return aw_error_set(err, AW_ERR_PARAM, "array_put: chunk_bytes %u is outside [%u, %u]",
                            a->o.chunk_bytes, AW_ARRAY_MIN_CHUNK, AW_ARRAY_MAX_CHUNK);
    if (a->o.compress_level < 0 || a->o.compress_level > 9)
        return aw_error_set(err, AW_ERR_PARAM, "array_put: compress_level %d is outside [0, 9]",
                            a->o.compress_level);
    if (a->o.compress_level == 0)
        a->o.compress_level = 1; /* speed first: chunks compress on the calling thread */
    if (a->o.batch_bytes == 0)
        a->o.batch_bytes = AW_ARRAY_BATCH_BYTES;

    size_t itemsize = aw_dtype_itemsize(dtype);
    if (itemsize == 0)
        return aw_error_set(err, AW_ERR_PARAM, "array_put: the dtype has itemsize 0");
    /* Elements; the non-zero dimensions must multiply within the limit
     * too, so a row's size is always representable. */
    uint64_t count = 1;
    bool zero = false;
    for (uint32_t k = 0; k < ndim; k++) {
        if (shape[k] == 0) {
            zero = true;
            continue;
        }
        if (shape[k] > AW_ARRAY_MAX_ELEMENTS || count * shape[k] > AW_ARRAY_MAX_ELEMENTS)
            return aw_error_set(err, AW_ERR_PARAM,
                                "array_put: the shape has more than 2^31 (%llu) elements",
                                (unsigned long long)AW_ARRAY_MAX_ELEMENTS);
        count *= shape[k];
    }
    if (zero)
        count = 0;
    uint64_t want = count * itemsize;
    if (want != nbytes)
        return aw_error_set(err, AW_ERR_PARAM,
                            "array_put: data is %zu bytes; %llu elements of %zu bytes need %llu",
                            nbytes, (unsigned long long)count, itemsize, (unsigned long long)want);
    uint64_t n_chunks = aw_arr_n_chunks_for(nbytes, a->o.chunk_bytes);
    if (n_chunks > AW_ARRAY_MAX_CHUNKS)
        return aw_error_set(err, AW_ERR_PARAM,
                            "array_put: %zu bytes in chunks of %u make %llu chunks, at most %u; "
                            "raise chunk_bytes",
                            nbytes, a->o.chunk_bytes, (unsigned long long)n_chunks,
                            AW_ARRAY_MAX_CHUNKS);
    int rc = aw_arr_attrs_check(attrs, n_attrs, err);
    if (rc != AW_OK)
        return rc;
    a->key = key;
    a->data = data;
    a->nbytes = nbytes;
    a->dtype = dtype;
    a->shape = shape;
    a->ndim = ndim;
    a->attrs = attrs;
    a->n_attrs = n_attrs;
    a->n_chunks = (uint32_t)n_chunks;
    return AW_OK;
}

/* One CRC-32 per chunk of the uncompressed bytes, then the whole array's
 * (combined, not recomputed), little-endian. */
static uint8_t *make_crcs(const put_args *a) {
    uint32_t n = a->n_chunks;
    uint8_t *blob = aw_malloc(4 * ((size_t)n + 1));
    if (!blob)
        return NULL;
    uLong whole = crc32(0, NULL, 0);
    uint32_t cb = a->o.chunk_bytes;
    uint32_t parts = n ? n : 1;
    for (uint32_t i = 0; i < parts; i++) {
        uint32_t len = n ? aw_arr_chunk_len(a->nbytes, cb, i) : (uint32_t)a->nbytes;
        uLong c = crc32(0L, Z_NULL, 0);
        if (len)
            c = crc32(c, a->data + (uint64_t)i * cb, len);
        whole = i ? crc32_combine(whole, c, (z_off_t)len) : c;
        if (n) {
            uint8_t *p = blob + 4 * (size_t)i;
            p[0] = (uint8_t)c, p[1] = (uint8_t)(c >> 8), p[2] = (uint8_t)(c >> 16),
            p[3] = (uint8_t)(c >> 24);
        }
    }
    uint8_t *p = blob + 4 * (size_t)n;
    p[0] = (uint8_t)whole, p[1] = (uint8_t)(whole >> 8), p[2] = (uint8_t)(whole >> 16),
    p[3] = (uint8_t)(whole >> 24);
    return blob;
}

/* The header write with a generation check (or create-only when there is
 * no record); *gen_out gets the new generation. */
static int header_write(aw_client *client, const aw_policy *wp, const aw_key *key, bool exists,
                        uint32_t gen, aw_exists_policy when_exists, const aw_op *ops, size_t n,
                        uint32_t *gen_out, aw_error *err) {
    aw_policy p = *wp;
    if (exists) {
        p.exists = when_exists;
        p.gen = AW_GEN_EQ;
        p.generation = gen;
    } else {
        p.exists = AW_EXISTS_CREATE_ONLY;
        p.gen = AW_GEN_IGNORE;
    }
    aw_record rec;
    int rc = aw_operate(client, &p, key, ops, n, &rec, err);
    *gen_out = rec.gen;
    aw_record_free(&rec);
    return rc;
}

/* aw_pend set to pend[0..n) with a generation check (best effort). */
static int pend_write(aw_client *client, const aw_policy *wp, const aw_key *key, uint32_t gen,
                      const aw_arr_pend *pend, size_t n, uint32_t ttl, aw_error *err) {
    aw_value items[2 * (AW_ARR_MAX_PEND + 1)];
    aw_op op = aw_arr_pend_op(pend, n, items);
    aw_policy p = *wp;
    p.ttl = ttl;
    uint32_t g;
    return header_write(client, &p, key, true, gen, AW_EXISTS_UPDATE, &op, 1, &g, err);
}

/* A failed put's own chunks go, and its entry in aw_pend with them. */
static void undo(aw_client *client, const aw_policy *wp, const put_args *a, uint64_t version,
                 uint32_t gen, const aw_arr_state *s) {
    aw_error e;
    if (aw_arr_delete_chunks(client, wp, a->key, version, a->n_chunks, &e) == AW_OK)
        pend_write(client, wp, a->key, gen, s->pend, s->n_pend, AW_TTL_DONT_UPDATE, &e);
}

static uint64_t fresh_version(const aw_arr_state *s) {
    for (;;) {
        uint64_t v = aw_arr_random_version();
        bool used = s->has_version && v == s->version;
        for (size_t k = 0; k < s->n_pend && !used; k++)
            used = s->pend[k].version == v;
        if (!used)
            return v;
    }
}

/* Steps 1-5 once the arguments are checked and the CRCs made. */
static int put_run(aw_client *client, const aw_policy *policy, const put_args *a,
                   const char *descr, const uint8_t *crcs, const uint8_t *inline_data,
                   uint32_t inline_len, bool inline_z, aw_error *err) {
    aw_policy wp = aw_arr_write_policy(client, policy);
    aw_arr_state s;
    int rc = aw_arr_state_read(client, policy, a->key, &s, err);
    if (rc == AW_ERR_PARAM)
        return aw_error_set(err, AW_ERR_RECORD_EXISTS,
                            "array_put: the key holds a record that is not an array (no bin "
                            "aw_fmt); delete it first");
    if (rc != AW_OK)
        return rc;
    uint64_t version = fresh_version(&s);
    uint32_t gen = s.gen;
    bool exists = s.exists;

    if (a->n_chunks > 0) {
        aw_arr_pend intent[AW_ARR_MAX_PEND + 1];
        memcpy(intent, s.pend, s.n_pend * sizeof *intent);
        intent[s.n_pend] = (aw_arr_pend){version, a->n_chunks};
        aw_value items[2 * (AW_ARR_MAX_PEND + 1)];
        aw_op ops[2] = {aw_op_write(AW_ARR_FMT, aw_value_int(AW_ARRAY_FORMAT)),
                        aw_arr_pend_op(intent, s.n_pend + 1, items)};
        uint32_t g;
        rc = header_write(client, &wp, a->key, exists, gen, AW_EXISTS_UPDATE, ops, 2, &g, err);
        if (rc != AW_OK)
            return aw_arr_conflict(rc, err, "array_put");
        gen = g;
        exists = true;
        aw_arr_write w = {a->key,  version,        a->data,        a->nbytes,     a->o.chunk_bytes,
                          a->n_chunks, a->o.compress, a->o.compress_level, a->o.batch_bytes, &wp};
        rc = aw_arr_write_chunks(client, &w, err);
        if (rc != AW_OK) {
            /* Nothing was switched: the array reads as before. */
            aw_error saved = err ? *err : (aw_error){0};
            undo(client, &wp, a, version, gen, &s);
            if (err) {
                *err = saved;
                err->in_doubt = false;
            }
            return rc;
        }
    }

    /* Step 4: what is left to remove is every pending version and the
     * replaced one. */
    aw_arr_pend garbage[AW_ARR_MAX_PEND + 1];
    size_t n_garbage = aw_arr_state_versions(&s, garbage);
    aw_arr_hdr_out out = {
        .descr = descr,
        .shape = a->shape,
        .ndim = a->ndim,
        .nbytes = a->nbytes,
        .chunk_bytes = a->o.chunk_bytes,
        .n_chunks = a->n_chunks,
        .version = version,
        .compressed = a->o.compress,
        .crc = crcs,
        .attrs = a->attrs,
        .n_attrs = a->n_attrs,
        .data = inline_data,
        .data_len = inline_len,
        .data_z = inline_z,
        .pend = garbage,
        .n_pend = n_garbage,
    };
    aw_arr_hdr_ops ops;
    uint32_t switched = 0;
    rc = aw_arr_hdr_ops_build(&out, &ops, err);
    if (rc == AW_OK)
        rc = header_write(client, &wp, a->key, exists, gen, AW_EXISTS_REPLACE, ops.ops, ops.n,
                          &switched, err);
    aw_arr_hdr_ops_free(&ops);
    if (rc != AW_OK) {
        if (err && err->in_doubt)
            return rc; /* the new version may be current: keep its chunks */
        if (a->n_chunks > 0 && rc != AW_ERR_NOMEM) {
            aw_error saved = err ? *err : (aw_error){0};
            undo(client, &wp, a, version, gen, &s);
            if (err)
                *err = saved;
        }
        return aw_arr_conflict(rc, err, "array_put");
    }

    /* Step 5. */
    aw_error_reset(err);
    if (n_garbage == 0)
        return AW_OK;
    aw_error e;
    rc = aw_arr_gc(client, &wp, a->key, garbage, n_garbage, version, &e);
    if (rc == AW_OK)
        rc = pend_write(client, &wp, a->key, switched, NULL, 0, AW_TTL_DONT_UPDATE, &e);
    if (rc != AW_OK && rc != AW_ERR_RECORD_GENERATION)
        aw_arr_warn(err, "old chunks left for the next put or delete of this key", &e);
    return AW_OK;
}

int aw_array_put(aw_client *client, const aw_policy *policy, const aw_key *key, const void *data,
                 size_t nbytes, const aw_dtype *dtype, const uint64_t *shape, uint32_t ndim,
                 const aw_array_attr *attrs, size_t n_attrs, const aw_array_opts *opts,
                 aw_error *err) {
    aw_error_reset(err);
    put_args a;
    int rc = check_args(client, key, data, nbytes, dtype, shape, ndim, attrs, n_attrs, opts, &a,
                        err);
    if (rc == AW_OK)
        rc = aw_arr_no_filter(client, policy, true, "array_put", err);
    if (rc != AW_OK)
        return rc;
    char *descr = aw_dtype_descr(dtype);
    uint8_t *crcs = make_crcs(&a);
    uint8_t *zbuf = NULL;
    const uint8_t *inline_data = a.data;
    uint32_t inline_len = (uint32_t)a.nbytes;
    bool inline_z = false;
    if (descr && crcs && a.n_chunks == 0 && a.o.compress && a.nbytes > 0) {
        uLongf zlen = compressBound((uLong)a.nbytes);
        if ((zbuf = aw_malloc(zlen)) &&
            compress2(zbuf, &zlen, a.data, (uLong)a.nbytes, a.o.compress_level) == Z_OK &&
            zlen < a.nbytes) {
            inline_data = zbuf;
            inline_len = (uint32_t)zlen;
            inline_z = true;
        }
    }
    if (!descr || !crcs)
        rc = aw_error_set(err, AW_ERR_NOMEM, "array_put: out of memory");
    else
        rc = put_run(client, policy, &a, descr, crcs, inline_data, inline_len, inline_z, err);
    aw_free(zbuf);
    aw_free(crcs);
    aw_free(descr);
    return rc;
}
