/*
 * One chunk: its key, and its reply checked against what the header says
 * (the chunk's own identity bins, its length, its CRC) before any of its
 * bytes are handed on.
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "numpy/array_internal.h"
#include "proto/buf.h"
#include "proto/mem.h"
#include "proto/particle.h"

void aw_arr_chunk_blob(const uint8_t digest[AW_DIGEST_SIZE], uint64_t version, uint32_t index,
                       uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE]) {
    memcpy(blob, digest, AW_DIGEST_SIZE);
    aw_store_u64be(blob + AW_DIGEST_SIZE, version);
    aw_store_u32be(blob + AW_DIGEST_SIZE + 8, index);
}

int aw_array_chunk_key(const aw_key *array_key, uint64_t version, uint32_t index,
                       uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE], aw_key *out, aw_error *err) {
    if (!array_key || !blob || !out)
        return aw_error_set(err, AW_ERR_PARAM, "aw_array_chunk_key: NULL argument");
    aw_arr_chunk_blob(array_key->digest, version, index, blob);
    return aw_key_init_blob(out, array_key->ns, array_key->set, blob, AW_ARRAY_CHUNK_KEY_SIZE,
                            err);
}

void aw_arr_chunk_name(const aw_key *array_key, uint64_t version, uint32_t index,
                       uint32_t n_chunks, char out[96]) {
    /* The chunk record's own digest: what server tools show for it. */
    uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE];
    aw_key k;
    int n = snprintf(out, 96, "chunk %u of %u", index, n_chunks);
    if (aw_array_chunk_key(array_key, version, index, blob, &k, NULL) != AW_OK)
        return;
    n += snprintf(out + n, 96 - (size_t)n, " (digest ");
    for (int i = 0; i < AW_DIGEST_SIZE; i++)
        n += snprintf(out + n, 96 - (size_t)n, "%02x", k.digest[i]);
    snprintf(out + n, 96 - (size_t)n, ")");
}

static int bad(aw_error *err, const aw_arr_take *t, const char *fmt, const char *detail) {
    char name[96];
    aw_arr_chunk_name(t->array_key, t->version, t->index, t->n_chunks, name);
    return aw_error_set(err, AW_ERR_ARRAY_CORRUPT, fmt, name, detail);
}

/* An integer op's value (8 bytes big-endian on the wire). */
static bool op_int(const aw_op_view *op, int64_t *v) {
    if (op->particle != AW_PT_INTEGER || op->value_len != 8)
        return false;
    *v = (int64_t)aw_load_u64be(op->value);
    return true;
}

static bool named(const aw_op_view *op, const char *name) {
    size_t n = strlen(name);
    return op->name_len == n && memcmp(op->name, name, n) == 0;
}

/* Inflates src into out, which must come out exactly len bytes. */
static bool inflate_exact(const uint8_t *src, uint32_t src_len, uint8_t *out, uint32_t len) {
    uLongf got = len;
    uLong used = src_len;
    uint8_t one;
    int zr = uncompress2(len ? out : &one, &got, src, &used);
    return zr == Z_OK && got == len && used == src_len;
}

int aw_arr_chunk_take(const aw_msg_view *m, const aw_arr_take *t, aw_error *err) {
    aw_op_view data_op;
    const aw_op_view *data = NULL;
    int64_t ver = 0, idx = -1, z = 0;
    bool have_of = false, have_ver = false;
    aw_msg_iter it = aw_msg_ops(m);
    aw_op_view o;
    while (aw_msg_next_op(&it, &o)) {
        if (named(&o, AW_ARR_OF)) {
            have_of = (o.particle == AW_PT_BLOB && o.value_len == AW_DIGEST_SIZE &&
                       memcmp(o.value, t->array_key->digest, AW_DIGEST_SIZE) == 0);
        } else if (named(&o, AW_ARR_VER)) {
            have_ver = op_int(&o, &ver);
        } else if (named(&o, AW_ARR_IDX)) {
            if (!op_int(&o, &idx))
                idx = -1;
        } else if (named(&o, AW_ARR_Z)) {
            if (!op_int(&o, &z))
                z = -1;
        } else if (named(&o, AW_ARR_DATA)) {
            if (o.particle != AW_PT_BLOB)
                return bad(err, t, "%s: bin aw_data is not a blob%s", "");
            data_op = o;
            data = &data_op;
        }
    }
    if (!have_of || !have_ver || (uint64_t)ver != t->version || idx != (int64_t)t->index)
        return bad(err, t, "%s is not this array's chunk (bins aw_of, aw_ver, aw_idx)%s", "");
    if (!data)
        return bad(err, t, "%s has no bin aw_data%s", "");
    if (z != 0 && z != 1)
        return bad(err, t, "%s: bin aw_z is not 0 or 1%s", "");
    bool whole = t->skip == 0 && t->take == t->len;
    const uint8_t *bytes; /* the chunk's len bytes, once checked */
    if (z == 1 && !whole && !t->scratch)
        return bad(err, t, "%s is compressed, but the header says the array is not%s", "");
    if (z == 1) {
        uint8_t *dst = whole ? t->out : t->scratch;
        if (!inflate_exact(data->value, data->value_len, dst, t->len)) {
            char d[40];
            snprintf(d, sizeof d, " to %u bytes", t->len);
            return bad(err, t, "%s does not inflate%s", d);
        }
        bytes = dst;
    } else {
        if (data->value_len != t->len) {
            char d[64];
            snprintf(d, sizeof d, " (%u bytes, expected %u)", data->value_len, t->len);
            return bad(err, t, "%s has the wrong length%s", d);
        }
        bytes = data->value;
    }
    uint32_t crc = (uint32_t)crc32(0, bytes, t->len);
    if (crc != t->crc) {
        char d[64];
        snprintf(d, sizeof d, " (stored %08x, computed %08x)", t->crc, crc);
        return bad(err, t, "%s fails its CRC%s", d);
    }
    if (bytes != t->out && t->take)
        memcpy(t->out, bytes + t->skip, t->take);
    return AW_OK;
}

int aw_arr_inline_take(const aw_value *data, bool z, uint64_t nbytes, uint32_t crc,
                       uint64_t skip, uint64_t take, uint8_t *out, aw_error *err) {
    if (!data)
        return aw_error_set(err, AW_ERR_ARRAY_CORRUPT, "array header: no bin aw_data for an "
                                                       "inline array");
    uint8_t *scratch = NULL;
    const uint8_t *bytes = data->u.bytes;
    if (z) {
        bool whole = skip == 0 && take == nbytes;
        uint8_t *dst = out;
        if (!whole && !(dst = scratch = aw_malloc(nbytes ? nbytes : 1)))
            return aw_error_set(err, AW_ERR_NOMEM, "array: out of memory");
        if (!inflate_exact(data->u.bytes, data->len, dst, (uint32_t)nbytes)) {
            aw_free(scratch);
            return aw_error_set(err, AW_ERR_ARRAY_CORRUPT,
                                "array: the inline data does not inflate to %llu bytes",
                                (unsigned long long)nbytes);
        }
        bytes = dst;
    } else if (data->len != nbytes) {
        return aw_error_set(err, AW_ERR_ARRAY_CORRUPT,
                            "array: the inline data has %u bytes, expected %llu", data->len,
                            (unsigned long long)nbytes);
    }
    uint32_t got = (uint32_t)crc32(0, bytes, (uInt)nbytes);
    int rc = AW_OK;
    if (got != crc)
        rc = aw_error_set(err, AW_ERR_ARRAY_CORRUPT,
                          "array: the inline data fails its CRC (stored %08x, computed %08x)", crc,
                          got);
    else if (bytes != out && take)
        memcpy(out, bytes + skip, (size_t)take);
    aw_free(scratch);
    return rc;
}
