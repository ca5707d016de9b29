/*
 * Arrays to and from .npy files: put_npy maps the file and stores its
 * data as it lies there; read_npy streams an array into a new file through
 * one bounded buffer, starting the data again if the array's version moves
 * under it (so the file never mixes two versions).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "numpy/array_internal.h"
#include "numpy/npy_internal.h"
#include "proto/buf.h"
#include "proto/mem.h"

int aw_array_put_npy(aw_client *client, const aw_policy *policy, const aw_key *key,
                     const char *path, const aw_array_attr *attrs, size_t n_attrs,
                     const aw_array_opts *opts, aw_error *err) {
    aw_error_reset(err);
    if (!path)
        return aw_error_set(err, AW_ERR_PARAM, "array_put_npy: path is NULL");
    aw_npy_header h;
    int rc = aw_npy_read_header(path, &h, err);
    if (rc != AW_OK)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        aw_npy_header_clear(&h);
        return aw_npy_io_error(err, "open", path, errno);
    }
    /* The file as it is now must still be what its header said. */
    struct stat st;
    void *map = NULL;
    size_t map_len = 0;
    void *copy = NULL;
    const uint8_t *data = NULL;
    if (fstat(fd, &st) != 0) {
        rc = aw_npy_io_error(err, "stat", path, errno);
    } else if (!S_ISREG(st.st_mode)) {
        /* Not mappable (a pipe): read it whole. */
        aw_npy_header_clear(&h);
        rc = aw_npy_read_array(path, &h, &copy, err);
        data = copy;
    } else if ((uint64_t)st.st_size != h.data_offset + h.nbytes) {
        rc = aw_error_set(err, AW_ERR_PARAM, "array_put_npy: '%s' changed while it was read",
                          path);
    } else if (h.nbytes > 0) {
        map_len = (size_t)st.st_size;
        map = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            map = NULL;
            rc = aw_npy_io_error(err, "map", path, errno);
        } else {
            data = (const uint8_t *)map + h.data_offset;
        }
    }
    close(fd);
    if (rc == AW_OK)
        rc = aw_array_put(client, policy, key, data, (size_t)h.nbytes, h.dtype, h.shape, h.ndim,
                          attrs, n_attrs, opts, err);
    if (map)
        munmap(map, map_len);
    aw_free(copy);
    aw_npy_header_clear(&h);
    return rc;
}

/* --- Export ----------------------------------------------------------------------------- */

/* Array bytes [lo, hi) into the file after its header, in pieces of at
 * most one buffer. */
static int stream(aw_client *client, const aw_array_ref *ref, aw_npy_file *f, uint64_t data_at,
                  uint64_t lo, uint64_t hi, aw_error *err) {
    const aw_arr_hdr *h = &ref->hdr;
    /* Whole chunks per piece, so no chunk is fetched twice. */
    uint64_t piece = h->n_chunks ? (uint64_t)h->chunk_bytes : h->nbytes;
    if (h->n_chunks && AW_ARRAY_BATCH_BYTES > h->chunk_bytes)
        piece = (AW_ARRAY_BATCH_BYTES / h->chunk_bytes) * (uint64_t)h->chunk_bytes;
    if (piece > hi - lo)
        piece = hi - lo;
    uint8_t *buf = aw_malloc(piece ? (size_t)piece : 1);
    if (!buf)
        return aw_error_set(err, AW_ERR_NOMEM, "array_read_npy: out of memory");
    aw_arr_snap s;
    aw_arr_snap_init(&s, ref);
    int rc = AW_OK;
    bool moved = true;
    while (rc == AW_OK && moved) {
        moved = false;
        rc = aw_npy_file_truncate(f, data_at, err);
        /* Pieces end on chunk boundaries of the array (the first may
         * start inside one). */
        for (uint64_t at = lo; rc == AW_OK && at < hi;) {
            uint64_t end = h->n_chunks ? (at / piece + 1) * piece : hi;
            if (end > hi)
                end = hi;
            rc = aw_arr_read_piece(client, ref, &s, at, end, buf, &moved, err);
            if (rc != AW_OK || moved)
                break;
            rc = aw_npy_file_write(f, buf, (size_t)(end - at), err);
            at = end;
        }
    }
    aw_arr_snap_free(&s);
    aw_free(buf);
    return rc;
}

static int export_npy(aw_client *client, const aw_array_ref *ref, const uint64_t *shape,
                      uint32_t ndim, uint64_t lo, uint64_t hi, const char *path, aw_error *err) {
    aw_buf head;
    aw_buf_init(&head);
    int rc = aw_npy_write_header_shape(&head, ref->dtype, shape, ndim, err);
    aw_npy_file f;
    if (rc == AW_OK)
        rc = aw_npy_file_create(&f, path, err);
    if (rc != AW_OK) {
        aw_buf_free(&head);
        return rc;
    }
    rc = aw_npy_file_write(&f, head.data, head.len, err);
    if (rc == AW_OK)
        rc = stream(client, ref, &f, head.len, lo, hi, err);
    if (rc == AW_OK)
        rc = aw_npy_file_commit(&f, err);
    else
        aw_npy_file_abort(&f);
    if (rc == AW_OK) {
        aw_error_reset(err);
        aw_npy_header_warn(&head, err);
    }
    aw_buf_free(&head);
    return rc;
}

int aw_array_read_npy(aw_client *client, const aw_array_ref *ref, const char *path,
                      aw_error *err) {
    aw_error_reset(err);
    if (!client || !ref || !path)
        return aw_error_set(err, AW_ERR_PARAM, "array_read_npy: NULL %s",
                            !client ? "client" : !ref ? "ref" : "path");
    return export_npy(client, ref, ref->hdr.shape, ref->hdr.ndim, 0, ref->hdr.nbytes, path, err);
}

int aw_array_read_rows_npy(aw_client *client, const aw_array_ref *ref, uint64_t i, uint64_t j,
                           const char *path, aw_error *err) {
    aw_error_reset(err);
    if (!client || !ref || !path)
        return aw_error_set(err, AW_ERR_PARAM, "array_read_rows_npy: NULL %s",
                            !client ? "client" : !ref ? "ref" : "path");
    if (ref->hdr.ndim == 0)
        return aw_error_set(err, AW_ERR_PARAM, "array_read_rows_npy: a 0-d array has no rows");
    if (i > j || j > ref->hdr.shape[0])
        return aw_error_set(err, AW_ERR_PARAM,
                            "array_read_rows_npy: rows [%llu, %llu) are not within the array's "
                            "%llu",
                            (unsigned long long)i, (unsigned long long)j,
                            (unsigned long long)ref->hdr.shape[0]);
    uint64_t shape[AW_ARRAY_MAX_NDIM];
    memcpy(shape, ref->hdr.shape, ref->hdr.ndim * sizeof shape[0]);
    shape[0] = j - i;
    return export_npy(client, ref, shape, ref->hdr.ndim, i * ref->row_bytes, j * ref->row_bytes,
                      path, err);
}
