/*
 * .npy internals: the header codec, usable on memory (for the fuzz target
 * and for callers that already hold a file's bytes).
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

/* Parses the magic, version, header length and header dict at data[0..len)
 * (only the prefix and header need be there): *dt, *n rows and where the
 * data starts. */
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

#endif
