/*
 * .npy internals: the header codec, usable on memory (for the fuzz targets
 * and for callers that already hold a file's bytes), and the atomic file
 * writer the whole-file calls and the array layer's streaming export share.
 */
#ifndef AW_NUMPY_NPY_INTERNAL_H
#define AW_NUMPY_NPY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/numpy.h"
#include "proto/buf.h"

/* numpy.load refuses headers longer than this unless given max_header_size
 * (or allow_pickle=True). */
#define AW_NPY_NUMPY_MAX_HEADER 10000

/* Header modes: the row files of aw_npy_read (1-d or 0-d, dtypes as
 * aw_dtype_parse takes them), or AW_NPY_ND: any shape up to
 * AW_NPY_MAX_NDIM, dtypes parsed with AW_DTYPE_ARRAY. */
#define AW_NPY_ND 0x1u

/* Parses the magic, version, header length and header dict at data[0..len)
 * (only the prefix and header need be there) into h (h->dtype is the
 * caller's on success: aw_npy_header_clear). */
int aw_npy_parse_header_mode(const uint8_t *data, size_t len, unsigned mode, aw_npy_header *h,
                             aw_error *err);

/* The same for row files: *dt, *n rows and where the data starts. */
int aw_npy_parse_header(const uint8_t *data, size_t len, aw_dtype **dt, size_t *n,
                        size_t *data_offset, aw_error *err);

/* Reads a whole .npy image from memory: the rows are copied into a new
 * allocation (aw_free). The data must be exactly n * itemsize bytes. */
int aw_npy_read_mem(const void *data, size_t len, aw_dtype **dt, void **rows, size_t *n,
                    aw_error *err);

/* Appends the magic, version, length and header (padded so the data starts
 * at a multiple of 64) for n rows of dt: byte for byte what numpy.save
 * writes for the same array. */
int aw_npy_write_header(aw_buf *b, const aw_dtype *dt, size_t n, aw_error *err);
/* The same for any shape (C order): what numpy.save writes for it. */
int aw_npy_write_header_shape(aw_buf *b, const aw_dtype *dt, const uint64_t *shape, uint32_t ndim,
                              aw_error *err);
/* Puts numpy.load's max_header_size warning for head (a written header)
 * into err->message when it applies (err->code stays 0). */
void aw_npy_header_warn(const aw_buf *head, aw_error *err);

/* "<op> '<path>': <system reason>" as AW_ERR_CLIENT. */
int aw_npy_io_error(aw_error *err, const char *op, const char *path, int e);

/* A file written under a temporary name beside path, then synced and
 * renamed over it: a failed write never leaves a partial file. Errors are
 * AW_ERR_CLIENT naming the file and the system's reason. After create,
 * exactly one of commit and abort must follow (commit cleans up on its
 * own failure). path is borrowed until then. */
typedef struct aw_npy_file {
    int fd;
    char *tmp;
    const char *path;
} aw_npy_file;
int aw_npy_file_create(aw_npy_file *f, const char *path, aw_error *err);
int aw_npy_file_write(aw_npy_file *f, const void *p, size_t len, aw_error *err);
/* Cuts the file at `at` and continues writing from there. */
int aw_npy_file_truncate(aw_npy_file *f, uint64_t at, aw_error *err);
/* Overwrites len bytes at offset `at` (a header fixed up at the end);
 * the write position stays where it was. */
int aw_npy_file_pwrite(aw_npy_file *f, const void *p, size_t len, uint64_t at, aw_error *err);
int aw_npy_file_commit(aw_npy_file *f, aw_error *err);
void aw_npy_file_abort(aw_npy_file *f);

#endif
