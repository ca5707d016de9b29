/*
 * aw_query_to_npy: aw_query_into with one chunk of its own whose callback
 * appends the rows to a temporary .npy file. The header is written first
 * for 0 rows: numpy keeps spare room for the count's digits in it, so the
 * header for the final count has the same length and is written over it at
 * the end, before the file is synced and renamed onto its name.
 */
#include <string.h>

#include "client/query_exec.h"
#include "client/trace.h"
#include "npy_internal.h"
#include "proto/mem.h"
#include "proto/pstatus.h"
#include "rows_query.h"

#define DEFAULT_CHUNK_BYTES (1u << 20)

typedef struct npy_out {
    aw_npy_file file;
    size_t itemsize;
    uint64_t rows;          /* written to the file */
    const aw_query_npy_opts *opts;
    int rc;                 /* the first failure of the chunk callback */
    aw_error err;
} npy_out;

/* Tells the caller's progress callback the rows so far; false when it said stop. */
static bool report(npy_out *o) {
    if (!o->opts->progress || o->opts->progress(o->rows, o->opts->udata))
        return true;
    o->rc = aw_error_set(&o->err, AW_ERR_CLIENT_ABORT,
                         "query_to_npy: stopped by the progress callback after %llu rows",
                         (unsigned long long)o->rows);
    return false;
}

static bool write_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    npy_out *o = udata;
    if (o->rc)
        return false;
    for (size_t i = 0; i < n; i++)
        if (buf->codes[i] != AW_OK) {
            o->rc = aw_error_set(&o->err, buf->codes[i],
                                 "query_to_npy: row %llu: a field could not take its bin (%s)",
                                 (unsigned long long)(o->rows + i), aw_strerror(buf->codes[i]));
            return false;
        }
    o->rc = aw_npy_file_write(&o->file, buf->rows, n * o->itemsize, &o->err);
    o->rows += n;
    /* The last, partial chunk is reported with the end. */
    return o->rc == AW_OK && (n < buf->capacity || report(o));
}

/* The cursor's partitions as they were, to put back when the file is not
 * kept: its records are then delivered again by the next call. */
static aw_partition_info *cursor_save(const aw_partition_status *ps) {
    aw_partition_info *copy = aw_malloc(ps->count * sizeof *copy);
    if (copy)
        memcpy(copy, ps->parts, ps->count * sizeof *copy);
    return copy;
}

int aw_query_to_npy_opts(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                         aw_partition_status *cursor, const aw_dtype *dt, const char *path,
                         const aw_query_npy_opts *opts, uint64_t *n_rows, aw_error *err) {
    static const aw_query_npy_opts defaults;
    if (!opts)
        opts = &defaults;
    size_t chunk_rows = opts->chunk_rows;
    aw_error local;
    if (!err)
        err = &local;
    aw_error_reset(err);
    if (n_rows)
        *n_rows = 0;
    if (!client || !q || !dt || !path)
        return aw_error_set(err, AW_ERR_PARAM, "query_to_npy: NULL %s",
                            !client ? "client" : !q ? "query" : !dt ? "dtype" : "path");
    size_t itemsize = aw_dtype_itemsize(dt);
    if (chunk_rows == 0)
        chunk_rows = DEFAULT_CHUNK_BYTES / itemsize ? DEFAULT_CHUNK_BYTES / itemsize : 1;
    if (chunk_rows > SIZE_MAX / itemsize / 2)
        return aw_error_set(err, AW_ERR_PARAM, "query_to_npy: %zu rows of %zu bytes overflow",
                            chunk_rows, itemsize);
    npy_out o;
    memset(&o, 0, sizeof o);
    o.itemsize = itemsize;
    o.opts = opts;
    aw_rows_buffer buf = {aw_malloc(chunk_rows * itemsize), chunk_rows, NULL,
                          aw_malloc(chunk_rows * sizeof(int32_t))};
    aw_partition_info *saved = cursor ? cursor_save(cursor) : NULL;
    aw_buf head;
    aw_buf_init(&head);
    aw_rows_query r;
    memset(&r, 0, sizeof r);
    aw_tspan span = {.on = false};
    int rc = AW_OK;
    if (!buf.rows || !buf.codes || (cursor && !saved))
        rc = aw_error_set(err, AW_ERR_NOMEM, "query_to_npy: out of memory for a chunk");
    if (rc == AW_OK)
        rc = aw_rows_query_init(&r, q, dt, &buf, write_chunk, &o, err);
    if (rc == AW_OK)
        rc = aw_npy_write_header(&head, dt, 0, err);
    bool created = false;
    if (rc == AW_OK && (rc = aw_npy_file_create(&o.file, path, err)) == AW_OK) {
        created = true;
        rc = aw_npy_file_write(&o.file, head.data, head.len, err);
    }
    if (rc == AW_OK) {
        rc = aw_query_run(client, policy, &r.q, cursor, aw_rows_query_sink, &r, &span,
                          "query_to_npy", err);
        rc = aw_rows_query_finish(&r, rc, err);
        if (rc == AW_OK && !o.rc)
            report(&o); /* the end: a last chance to say stop */
        if (o.rc) { /* the file's own failure, or the caller's stop, explains it */
            rc = o.rc;
            *err = o.err;
        }
    }
    if (rc == AW_OK) {
        size_t len = head.len;
        aw_buf_reset(&head);
        rc = aw_npy_write_header(&head, dt, (size_t)o.rows, err);
        if (rc == AW_OK && head.len != len) /* numpy's spare room makes this impossible */
            rc = aw_error_set(err, AW_ERR_CLIENT, "query_to_npy: the header changed length");
        if (rc == AW_OK)
            rc = aw_npy_file_pwrite(&o.file, head.data, head.len, 0, err);
    }
    if (created && rc == AW_OK) {
        rc = aw_npy_file_commit(&o.file, err);
        if (rc == AW_OK)
            aw_npy_header_warn(&head, err);
    } else if (created) {
        aw_npy_file_abort(&o.file);
    }
    if (rc != AW_OK && saved)
        memcpy(cursor->parts, saved, cursor->count * sizeof *saved);
    if (rc == AW_OK && n_rows)
        *n_rows = o.rows;
    aw_tspan_end(&span, rc, 0); /* the file's fate is the call's */
    aw_rows_query_clear(&r);
    aw_buf_free(&head);
    aw_free(saved);
    aw_free(buf.rows);
    aw_free(buf.codes);
    return rc;
}

int aw_query_to_npy(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                    aw_partition_status *cursor, const aw_dtype *dt, const char *path,
                    size_t chunk_rows, uint64_t *n_rows, aw_error *err) {
    aw_query_npy_opts opts = {.chunk_rows = chunk_rows};
    return aw_query_to_npy_opts(client, policy, q, cursor, dt, path, &opts, n_rows, err);
}
