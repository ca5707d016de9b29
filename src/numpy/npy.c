/*
 * .npy files (numpy's lib/format, NEP 1): 1-d arrays of a dtype (the rows
 * of aw_npy_read / aw_npy_write), and C-order arrays of any shape for the
 * array layer (aw_npy_read_header / _read_array / _write_array).
 *
 * Writing: byte for byte what numpy.save writes for the same array: the
 * oldest version that fits (1.0; 2.0 when the header needs more than 65535
 * bytes; 3.0 when a field name is not latin-1), the header dict with sorted
 * keys and numpy's spare room for the shape, padded with spaces and a '\n'
 * so that the data starts at a multiple of 64. A single unnamed scalar
 * dtype ("<f8") is written as a plain array ('descr': '<f8'), anything else
 * as a structured one (a descr list, every gap spelled as ('', '|Vn')).
 * The file is written under a temporary name in the same directory, synced,
 * then renamed over the target: a failed write never leaves a partial file.
 *
 * Reading: versions 1.0, 2.0 and 3.0; a strict parser of the header's
 * Python literal (keys in any order, exactly descr, fortran_order, shape);
 * shape (n,) gives n rows, shape () (a 0-d array) one row; everything else
 * is refused with a message saying what. The data must be exactly
 * n * itemsize bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "numpy/dtype_internal.h"
#include "numpy/npy_internal.h"
#include "numpy/pylit.h"
#include "proto/arena.h"
#include "proto/errno_text.h"
#include "proto/mem.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_GROWTH_AXIS_MAX_DIGITS 21 /* numpy's spare room for the shape's digits */

/* --- Header: writing ---------------------------------------------------------------- */

/* The header text as latin-1 when every code point fits, into out; false
 * when one does not (the header must then be version 3.0, UTF-8). */
static bool to_latin1(const char *s, size_t len, aw_buf *out) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = aw_utf8_valid_seq(u + i, len - i, &cp);
        if (k == 0 || cp > 0xff)
            return false;
        uint8_t c = (uint8_t)cp;
        aw_buf_put(out, &c, 1);
        i += k;
    }
    return true;
}

static void put_le(aw_buf *b, uint32_t v, size_t n) {
    for (size_t k = 0; k < n; k++) {
        uint8_t c = (uint8_t)(v >> (8 * k));
        aw_buf_put(b, &c, 1);
    }
}

/* Python's repr of the shape tuple: "()", "(5,)", "(2, 3)". */
static void put_shape(aw_buf *b, const uint64_t *shape, uint32_t ndim) {
    char tmp[32];
    aw_buf_put(b, "(", 1);
    for (uint32_t k = 0; k < ndim; k++) {
        int l = snprintf(tmp, sizeof tmp, "%s%llu", k ? ", " : "", (unsigned long long)shape[k]);
        aw_buf_put(b, tmp, (size_t)l);
    }
    if (ndim == 1)
        aw_buf_put(b, ",", 1);
    aw_buf_put(b, ")", 1);
}

int aw_npy_write_header(aw_buf *b, const aw_dtype *dt, size_t n, aw_error *err) {
    uint64_t shape[1] = {n};
    return aw_npy_write_header_shape(b, dt, shape, 1, err);
}

int aw_npy_write_header_shape(aw_buf *b, const aw_dtype *dt, const uint64_t *shape, uint32_t ndim,
                              aw_error *err) {
    char *descr = aw_dtype_descr(dt);
    if (!descr)
        return aw_error_set(err, AW_ERR_NOMEM, ".npy: out of memory");
    aw_buf text;
    aw_buf_init(&text);
    aw_buf_put(&text, "{'descr': ", 10);
    aw_buf_put(&text, descr, strlen(descr));
    aw_free(descr);
    aw_buf_put(&text, ", 'fortran_order': False, 'shape': ", 35);
    put_shape(&text, shape, ndim);
    aw_buf_put(&text, ", }", 3);
    if (ndim > 0) {
        /* numpy's spare room to grow the first axis in place. */
        char digits[24];
        int d = snprintf(digits, sizeof digits, "%llu", (unsigned long long)shape[0]);
        for (int k = d; k < NPY_GROWTH_AXIS_MAX_DIGITS; k++)
            aw_buf_put(&text, " ", 1);
    }
    aw_buf latin;
    aw_buf_init(&latin);
    int major = 3;
    const aw_buf *hdr = &text;
    if (aw_buf_ok(&text) && to_latin1((const char *)text.data, text.len, &latin)) {
        major = 1;
        hdr = &latin;
    }
    if (!aw_buf_ok(&text) || !aw_buf_ok(&latin)) {
        aw_buf_free(&text);
        aw_buf_free(&latin);
        return aw_error_set(err, AW_ERR_NOMEM, ".npy: out of memory");
    }
    /* numpy: hlen = len(header) + 1; pad = 64 - (magic + len field + hlen) % 64. */
    size_t hlen = hdr->len + 1;
    size_t lenf = major == 1 ? 2 : 4;
    size_t pad = NPY_ALIGN - ((NPY_MAGIC_LEN + 2 + lenf + hlen) % NPY_ALIGN);
    if (major == 1 && hlen + pad > 65535) {
        major = 2;
        lenf = 4;
        pad = NPY_ALIGN - ((NPY_MAGIC_LEN + 2 + lenf + hlen) % NPY_ALIGN);
    }
    if (hlen + pad > UINT32_MAX) {
        aw_buf_free(&text);
        aw_buf_free(&latin);
        return aw_error_set(err, AW_ERR_PARAM, ".npy: header of %zu bytes is too large", hlen);
    }
    aw_buf_put(b, NPY_MAGIC, NPY_MAGIC_LEN);
    uint8_t ver[2] = {(uint8_t)major, 0};
    aw_buf_put(b, ver, 2);
    put_le(b, (uint32_t)(hlen + pad), lenf);
    aw_buf_put(b, hdr->data, hdr->len);
    uint8_t *sp = aw_buf_grow(b, pad);
    if (sp)
        memset(sp, ' ', pad);
    aw_buf_put(b, "\n", 1);
    aw_buf_free(&text);
    aw_buf_free(&latin);
    if (!aw_buf_ok(b))
        return aw_error_set(err, AW_ERR_NOMEM, ".npy: out of memory");
    return AW_OK;
}

/* --- Header: reading ------------------------------------------------------------------ */

static const aw_pylit *dict_get(const aw_pylit *d, const char *key, const aw_pylit **dup) {
    const aw_pylit *found = NULL;
    for (const aw_pylit *k = d->first; k; k = k->next->next) {
        if (k->type == AW_PY_STR && strcmp(k->s, key) == 0 && k->len == strlen(key)) {
            if (found)
                *dup = k;
            found = k->next;
        }
    }
    return found;
}

static int check_header(const aw_pylit *d, unsigned mode, aw_npy_header *h, aw_error *err) {
    const char *what = ".npy header";
    if (d->type != AW_PY_DICT)
        return aw_error_set(err, AW_ERR_PARAM, "%s: not a dict", what);
    static const char *const keys[] = {"descr", "fortran_order", "shape"};
    for (const aw_pylit *k = d->first; k; k = k->next->next) {
        bool known = false;
        if (k->type == AW_PY_STR)
            for (size_t i = 0; i < 3; i++)
                known |= strcmp(k->s, keys[i]) == 0 && k->len == strlen(keys[i]);
        if (!known) {
            if (k->type == AW_PY_STR)
                return aw_error_set(err, AW_ERR_PARAM, "%s: unexpected key '%.40s' (offset %zu)",
                                    what, k->s, k->pos);
            return aw_error_set(err, AW_ERR_PARAM, "%s: keys must be strings (offset %zu)", what,
                                k->pos);
        }
    }
    const aw_pylit *v[3];
    for (size_t i = 0; i < 3; i++) {
        const aw_pylit *dup = NULL;
        v[i] = dict_get(d, keys[i], &dup);
        if (!v[i])
            return aw_error_set(err, AW_ERR_PARAM, "%s: no '%s' key", what, keys[i]);
        if (dup)
            return aw_error_set(err, AW_ERR_PARAM, "%s: duplicate key '%s' (offset %zu)", what,
                                keys[i], dup->pos);
    }
    const aw_pylit *descr = v[0], *fortran = v[1], *shape = v[2];
    if (fortran->type != AW_PY_BOOL)
        return aw_error_set(err, AW_ERR_PARAM, "%s: fortran_order is not True or False (offset %zu)",
                            what, fortran->pos);
    if (fortran->i)
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            "%s: Fortran-order arrays are not supported", what);
    if (shape->type != AW_PY_TUPLE)
        return aw_error_set(err, AW_ERR_PARAM, "%s: shape is not a tuple (offset %zu)", what,
                            shape->pos);
    for (const aw_pylit *s = shape->first; s; s = s->next)
        if (s->type != AW_PY_INT || s->i < 0)
            return aw_error_set(err, AW_ERR_PARAM,
                                "%s: shape holds something other than a non-negative integer "
                                "(offset %zu)",
                                what, s->pos);
    if (!(mode & AW_NPY_ND) && shape->n > 1)
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            "%s: the array has %zu dimensions; only 1-d arrays (rows) are read",
                            what, shape->n);
    if (shape->n > AW_NPY_MAX_NDIM)
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            "%s: the array has %zu dimensions; at most %d are supported", what,
                            shape->n, AW_NPY_MAX_NDIM);
    /* Elements, saturating: a 0 anywhere makes it 0, overflow is caught below. */
    uint64_t count = 1;
    bool over = false;
    h->ndim = 0;
    for (const aw_pylit *s = shape->first; s; s = s->next) {
        uint64_t dim = (uint64_t)s->i;
        h->shape[h->ndim++] = dim;
        if (dim == 0)
            count = 0, over = false;
        else if (count != 0 && count > UINT64_MAX / dim)
            over = true;
        else if (count != 0)
            count *= dim;
    }
    if (over || count > SIZE_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "%s: too many elements", what);
    int rc = aw_dtype_from_lit(descr, (mode & AW_NPY_ND) ? AW_DTYPE_ARRAY : 0, what, &h->dtype,
                               err);
    if (rc != AW_OK)
        return rc;
    size_t itemsize = aw_dtype_itemsize(h->dtype);
    if (itemsize && count > SIZE_MAX / itemsize) {
        aw_dtype_free(h->dtype);
        h->dtype = NULL;
        return aw_error_set(err, AW_ERR_PARAM, "%s: %llu elements of %zu bytes overflow", what,
                            (unsigned long long)count, itemsize);
    }
    h->count = count;
    h->nbytes = count * itemsize;
    return AW_OK;
}

/* The prefix: magic, version, header length. *hstart = where the header
 * starts, *hlen its length, *latin1 its encoding. */
static int parse_prefix(const uint8_t *p, size_t len, size_t *hstart, size_t *hlen, bool *latin1,
                        aw_error *err) {
    if (len < NPY_MAGIC_LEN || memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return aw_error_set(err, AW_ERR_PARAM, ".npy: not a .npy file (bad magic)");
    if (len < NPY_MAGIC_LEN + 2)
        return aw_error_set(err, AW_ERR_PARAM, ".npy: truncated before the version");
    int major = p[6], minor = p[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            ".npy: format version %d.%d is not supported (1.0, 2.0, 3.0 are)",
                            major, minor);
    size_t lenf = major == 1 ? 2 : 4;
    if (len < NPY_MAGIC_LEN + 2 + lenf)
        return aw_error_set(err, AW_ERR_PARAM, ".npy: truncated before the header length");
    const uint8_t *l = p + NPY_MAGIC_LEN + 2;
    *hlen = major == 1 ? (size_t)(l[0] | (l[1] << 8))
                       : (size_t)((uint32_t)l[0] | ((uint32_t)l[1] << 8) |
                                  ((uint32_t)l[2] << 16) | ((uint32_t)l[3] << 24));
    *hstart = NPY_MAGIC_LEN + 2 + lenf;
    *latin1 = major != 3;
    return AW_OK;
}

static int parse_header_text(const uint8_t *h, size_t hlen, bool latin1, unsigned mode,
                             aw_npy_header *out, aw_error *err) {
    aw_arena arena;
    aw_arena_init(&arena, 0);
    aw_pylit *d;
    size_t pos = 0;
    int rc = aw_pylit_parse((const char *)h, hlen, &pos, latin1, ".npy header", &arena, &d, err);
    if (rc == AW_OK && pos != hlen)
        rc = aw_error_set(err, AW_ERR_PARAM, ".npy header: unexpected text after the dict at offset %zu",
                          pos);
    if (rc == AW_OK)
        rc = check_header(d, mode, out, err);
    aw_arena_free(&arena);
    return rc;
}

/* A 1-d (or 0-d) header's row count. */
static size_t header_rows(const aw_npy_header *h) { return h->ndim == 0 ? 1 : (size_t)h->shape[0]; }

int aw_npy_parse_header_mode(const uint8_t *data, size_t len, unsigned mode, aw_npy_header *h,
                             aw_error *err) {
    memset(h, 0, sizeof *h);
    size_t hstart, hlen;
    bool latin1;
    int rc = parse_prefix(data, len, &hstart, &hlen, &latin1, err);
    if (rc != AW_OK)
        return rc;
    if (hlen > len - hstart)
        return aw_error_set(err, AW_ERR_PARAM, ".npy: truncated header (%zu of %zu bytes)",
                            len - hstart, hlen);
    rc = parse_header_text(data + hstart, hlen, latin1, mode, h, err);
    if (rc == AW_OK)
        h->data_offset = hstart + hlen;
    return rc;
}

int aw_npy_parse_header(const uint8_t *data, size_t len, aw_dtype **dt, size_t *n,
                        size_t *data_offset, aw_error *err) {
    aw_npy_header h;
    int rc = aw_npy_parse_header_mode(data, len, 0, &h, err);
    *dt = h.dtype;
    if (rc == AW_OK) {
        *n = header_rows(&h);
        *data_offset = (size_t)h.data_offset;
    }
    return rc;
}

static int size_mismatch(size_t have, size_t want, size_t n, size_t itemsize, const char *noun,
                         aw_error *err) {
    if (have < want)
        return aw_error_set(err, AW_ERR_PARAM,
                            ".npy: truncated data: %zu bytes, the header says %zu %s of %zu "
                            "bytes (%zu)",
                            have, n, noun, itemsize, want);
    return aw_error_set(err, AW_ERR_PARAM,
                        ".npy: %zu bytes after the data (%zu %s of %zu bytes); refusing "
                        "trailing bytes",
                        have - want, n, noun, itemsize);
}

int aw_npy_read_mem(const void *data, size_t len, aw_dtype **dt, void **rows, size_t *n,
                    aw_error *err) {
    *dt = NULL;
    *rows = NULL;
    *n = 0;
    aw_dtype *d;
    size_t count, off;
    int rc = aw_npy_parse_header(data, len, &d, &count, &off, err);
    if (rc != AW_OK)
        return rc;
    size_t itemsize = aw_dtype_itemsize(d);
    size_t want = count * itemsize;
    if (len - off != want) {
        aw_dtype_free(d);
        return size_mismatch(len - off, want, count, itemsize, "rows", err);
    }
    void *r = aw_malloc(want);
    if (!r) {
        aw_dtype_free(d);
        return aw_error_set(err, AW_ERR_NOMEM, ".npy: out of memory for %zu bytes of rows", want);
    }
    if (want)
        memcpy(r, (const uint8_t *)data + off, want);
    *dt = d;
    *rows = r;
    *n = count;
    return AW_OK;
}

/* --- Files ----------------------------------------------------------------------------- */

int aw_npy_io_error(aw_error *err, const char *op, const char *path, int e) {
    return aw_error_set(err, AW_ERR_CLIENT, "%s '%s': %s", op, path, aw_errno_str(e));
}

/* Reads up to want bytes; *got tells how many (fewer only at end of file). */
static int read_full(int fd, void *buf, size_t want, size_t *got, const char *path,
                     aw_error *err) {
    size_t have = 0;
    while (have < want) {
        size_t chunk = want - have > (1u << 30) ? (1u << 30) : want - have;
        ssize_t r = read(fd, (uint8_t *)buf + have, chunk);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return aw_npy_io_error(err, "read", path, errno);
        }
        if (r == 0)
            break;
        have += (size_t)r;
    }
    *got = have;
    return AW_OK;
}

/* Reads exactly want bytes into a buffer grown as they arrive (so a bogus
 * length in a short file never allocates more than about twice the file). */
static int read_grow(int fd, size_t want, uint8_t **out, size_t *got, const char *path,
                     aw_error *err) {
    uint8_t *buf = NULL;
    size_t have = 0, cap = 0;
    for (;;) {
        if (have == want)
            break;
        size_t next = cap ? cap * 2 : 65536;
        if (next > want)
            next = want;
        uint8_t *nb = aw_realloc(buf, next);
        if (!nb) {
            aw_free(buf);
            return aw_error_set(err, AW_ERR_NOMEM, ".npy: out of memory");
        }
        buf = nb;
        cap = next;
        size_t g;
        int rc = read_full(fd, buf + have, cap - have, &g, path, err);
        if (rc != AW_OK) {
            aw_free(buf);
            return rc;
        }
        have += g;
        if (have < cap)
            break; /* end of file */
    }
    *out = buf;
    *got = have;
    return AW_OK;
}

/* Reads the prefix and the header from fd into h; *pre data bytes were
 * read with the prefix (only for a header under 2 bytes) and sit at
 * prefix + h->data_offset. */
static int read_header_fd(int fd, const char *path, unsigned mode, aw_npy_header *h,
                          uint8_t prefix[12], size_t *pre, aw_error *err) {
    memset(h, 0, sizeof *h);
    size_t got;
    int rc = read_full(fd, prefix, 12, &got, path, err);
    if (rc != AW_OK)
        return rc;
    size_t hstart, hlen;
    bool latin1;
    rc = parse_prefix(prefix, got, &hstart, &hlen, &latin1, err);
    if (rc != AW_OK)
        return rc;
    /* The bytes of the prefix read past the length field start the header. */
    size_t extra = got - hstart;
    uint8_t *hdr = NULL;
    size_t hgot = 0;
    if (hlen > extra) {
        rc = read_grow(fd, hlen - extra, &hdr, &hgot, path, err);
        if (rc != AW_OK)
            return rc;
    }
    size_t htotal = extra + hgot;
    if (htotal < hlen) {
        aw_free(hdr);
        return aw_error_set(err, AW_ERR_PARAM, ".npy: truncated header (%zu of %zu bytes)", htotal,
                            hlen);
    }
    /* The header bytes, in one piece (extra may hold up to 2 bytes of it,
     * or more than the header when the header is tiny). */
    uint8_t *text = aw_malloc(hlen ? hlen : 1);
    if (!text) {
        aw_free(hdr);
        return aw_error_set(err, AW_ERR_NOMEM, ".npy: out of memory");
    }
    size_t from_prefix = extra < hlen ? extra : hlen;
    memcpy(text, prefix + hstart, from_prefix);
    if (hlen > from_prefix)
        memcpy(text + from_prefix, hdr, hlen - from_prefix);
    aw_free(hdr);
    rc = parse_header_text(text, hlen, latin1, mode, h, err);
    aw_free(text);
    if (rc != AW_OK)
        return rc;
    h->data_offset = hstart + hlen;
    *pre = extra > hlen ? extra - hlen : 0;
    return AW_OK;
}

/* Checks that a regular file holds exactly the data the header says. */
static int check_file_size(int fd, const aw_npy_header *h, const char *noun, aw_error *err) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return AW_OK; /* a pipe: checked as it is read */
    uint64_t have = (uint64_t)st.st_size > h->data_offset ? (uint64_t)st.st_size - h->data_offset
                                                          : 0;
    if (have != h->nbytes)
        return size_mismatch((size_t)have, (size_t)h->nbytes, (size_t)h->count,
                             aw_dtype_itemsize(h->dtype), noun, err);
    return AW_OK;
}

static int read_fd(int fd, const char *path, unsigned mode, aw_npy_header *h, void **data,
                   aw_error *err) {
    const char *noun = (mode & AW_NPY_ND) ? "elements" : "rows";
    uint8_t prefix[12];
    size_t pre;
    int rc = read_header_fd(fd, path, mode, h, prefix, &pre, err);
    if (rc == AW_OK)
        rc = check_file_size(fd, h, noun, err);
    if (rc != AW_OK) {
        aw_npy_header_clear(h);
        return rc;
    }
    size_t itemsize = aw_dtype_itemsize(h->dtype);
    size_t count = (size_t)h->count, want = (size_t)h->nbytes;
    uint8_t *r = aw_malloc(want ? want : 1);
    if (!r) {
        aw_npy_header_clear(h);
        return aw_error_set(err, AW_ERR_NOMEM, ".npy: out of memory for %zu bytes of data", want);
    }
    size_t take = pre < want ? pre : want;
    memcpy(r, prefix + h->data_offset, take);
    size_t dgot = 0;
    rc = want > take ? read_full(fd, r + take, want - take, &dgot, path, err) : AW_OK;
    if (rc == AW_OK && take + dgot < want)
        rc = size_mismatch(take + dgot, want, count, itemsize, noun, err);
    if (rc == AW_OK) {
        /* Nothing may follow the data (a regular file was checked above). */
        uint8_t one[64];
        rc = pre > take ? AW_OK : read_full(fd, one, sizeof one, &dgot, path, err);
        if (rc == AW_OK && (pre > take || dgot > 0))
            rc = aw_error_set(err, AW_ERR_PARAM,
                              ".npy: bytes after the data (%zu %s of %zu bytes); refusing "
                              "trailing bytes",
                              count, noun, itemsize);
    }
    if (rc != AW_OK) {
        aw_free(r);
        aw_npy_header_clear(h);
        return rc;
    }
    *data = r;
    return AW_OK;
}

int aw_npy_read(const char *path, aw_dtype **dt, void **rows, size_t *n, aw_error *err) {
    if (!dt || !rows || !n)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_read: dt, rows and n must not be NULL");
    *dt = NULL;
    *rows = NULL;
    *n = 0;
    if (!path)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_read: path is NULL");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return aw_npy_io_error(err, "open", path, errno);
    aw_npy_header h;
    int rc = read_fd(fd, path, 0, &h, rows, err);
    close(fd);
    if (rc == AW_OK) {
        *dt = h.dtype;
        *n = header_rows(&h);
        aw_error_reset(err);
    }
    return rc;
}

int aw_npy_read_array(const char *path, aw_npy_header *h, void **data, aw_error *err) {
    if (!h || !data)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_read_array: h and data must not be NULL");
    memset(h, 0, sizeof *h);
    *data = NULL;
    if (!path)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_read_array: path is NULL");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return aw_npy_io_error(err, "open", path, errno);
    int rc = read_fd(fd, path, AW_NPY_ND, h, data, err);
    close(fd);
    if (rc == AW_OK)
        aw_error_reset(err);
    return rc;
}

int aw_npy_read_header(const char *path, aw_npy_header *h, aw_error *err) {
    if (!h)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_read_header: h is NULL");
    memset(h, 0, sizeof *h);
    if (!path)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_read_header: path is NULL");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return aw_npy_io_error(err, "open", path, errno);
    uint8_t prefix[12];
    size_t pre;
    int rc = read_header_fd(fd, path, AW_NPY_ND, h, prefix, &pre, err);
    if (rc == AW_OK)
        rc = check_file_size(fd, h, "elements", err);
    close(fd);
    if (rc != AW_OK)
        aw_npy_header_clear(h);
    else
        aw_error_reset(err);
    return rc;
}

void aw_npy_header_clear(aw_npy_header *h) {
    if (!h)
        return;
    aw_dtype_free(h->dtype);
    memset(h, 0, sizeof *h);
}

static int write_all(int fd, const uint8_t *p, size_t len) {
    while (len > 0) {
        size_t chunk = len > (1u << 30) ? (1u << 30) : len;
        ssize_t w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* --- Writing a file atomically: a temporary beside it, synced, renamed ---------- */

int aw_npy_file_create(aw_npy_file *f, const char *path, aw_error *err) {
    f->fd = -1;
    f->path = path;
    size_t tlen = strlen(path) + 48;
    f->tmp = aw_malloc(tlen);
    if (!f->tmp)
        return aw_error_set(err, AW_ERR_NOMEM, ".npy: out of memory");
    static unsigned long counter;
    int e = 0;
    for (int attempt = 0; attempt < 100 && f->fd < 0; attempt++) {
        unsigned long c = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        snprintf(f->tmp, tlen, "%s.tmp-%ld-%lu", path, (long)getpid(), c);
        f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        e = errno;
        if (f->fd < 0 && e != EEXIST)
            break;
    }
    if (f->fd < 0) {
        int rc = aw_npy_io_error(err, "create", f->tmp, e);
        aw_free(f->tmp);
        f->tmp = NULL;
        return rc;
    }
    return AW_OK;
}

int aw_npy_file_write(aw_npy_file *f, const void *p, size_t len, aw_error *err) {
    int e = write_all(f->fd, p, len);
    return e ? aw_npy_io_error(err, "write", f->tmp, e) : AW_OK;
}

int aw_npy_file_truncate(aw_npy_file *f, uint64_t at, aw_error *err) {
    if (ftruncate(f->fd, (off_t)at) != 0 || lseek(f->fd, (off_t)at, SEEK_SET) < 0)
        return aw_npy_io_error(err, "truncate", f->tmp, errno);
    return AW_OK;
}

int aw_npy_file_pwrite(aw_npy_file *f, const void *p, size_t len, uint64_t at, aw_error *err) {
    const uint8_t *b = p;
    while (len > 0) {
        ssize_t w = pwrite(f->fd, b, len, (off_t)at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return aw_npy_io_error(err, "write", f->tmp, errno);
        b += w;
        at += (uint64_t)w;
        len -= (size_t)w;
    }
    return AW_OK;
}

void aw_npy_file_abort(aw_npy_file *f) {
    if (f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp);
    }
    f->fd = -1;
    aw_free(f->tmp);
    f->tmp = NULL;
}

int aw_npy_file_commit(aw_npy_file *f, aw_error *err) {
    const char *op = NULL;
    int e = 0;
    if (fsync(f->fd) != 0)
        op = "sync", e = errno;
    if (close(f->fd) != 0 && !e)
        op = "close", e = errno;
    f->fd = -1;
    if (!e && rename(f->tmp, f->path) != 0)
        op = "rename onto", e = errno;
    if (e)
        unlink(f->tmp);
    aw_free(f->tmp);
    f->tmp = NULL;
    return e ? aw_npy_io_error(err, op, f->path, e) : AW_OK;
}

void aw_npy_header_warn(const aw_buf *head, aw_error *err) {
    size_t hlen = head->len - (head->data[6] == 1 ? 10 : 12);
    if (head->data[6] == 3) /* numpy counts characters */
        for (size_t k = 12; k < head->len; k++)
            hlen -= (head->data[k] & 0xc0) == 0x80;
    if (hlen > AW_NPY_NUMPY_MAX_HEADER && err)
        snprintf(err->message, sizeof err->message,
                 "warning: header of %zu bytes; numpy.load needs max_header_size=%zu "
                 "(or allow_pickle=True) to read it",
                 hlen, hlen);
}

/* The whole file: header, then data. */
static int write_file(const char *path, const aw_buf *head, const void *data, size_t len,
                      aw_error *err) {
    aw_npy_file f;
    int rc = aw_npy_file_create(&f, path, err);
    if (rc != AW_OK)
        return rc;
    rc = aw_npy_file_write(&f, head->data, head->len, err);
    if (rc == AW_OK)
        rc = aw_npy_file_write(&f, data, len, err);
    if (rc != AW_OK) {
        aw_npy_file_abort(&f);
        return rc;
    }
    rc = aw_npy_file_commit(&f, err);
    if (rc == AW_OK) {
        aw_error_reset(err);
        aw_npy_header_warn(head, err);
    }
    return rc;
}

int aw_npy_write(const char *path, const aw_dtype *dt, const void *rows, size_t n,
                 aw_error *err) {
    if (!path || !dt)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_write: %s is NULL", path ? "dtype" : "path");
    size_t itemsize = aw_dtype_itemsize(dt);
    if (itemsize && n > SIZE_MAX / itemsize)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_write: %zu rows of %zu bytes overflow", n,
                            itemsize);
    size_t data_len = n * itemsize;
    if (!rows && data_len)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_write: rows is NULL");
    aw_buf head;
    aw_buf_init(&head);
    int rc = aw_npy_write_header(&head, dt, n, err);
    if (rc == AW_OK)
        rc = write_file(path, &head, rows, data_len, err);
    aw_buf_free(&head);
    return rc;
}

int aw_npy_write_array(const char *path, const aw_dtype *dt, const uint64_t *shape,
                       uint32_t ndim, const void *data, aw_error *err) {
    if (!path || !dt)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_write_array: %s is NULL",
                            path ? "dtype" : "path");
    if (ndim > AW_NPY_MAX_NDIM)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_write_array: %u dimensions, at most %d",
                            ndim, AW_NPY_MAX_NDIM);
    if (ndim && !shape)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_write_array: shape is NULL");
    uint64_t count = 1;
    for (uint32_t k = 0; k < ndim; k++) {
        if (shape[k] && count > SIZE_MAX / shape[k])
            return aw_error_set(err, AW_ERR_PARAM, "aw_npy_write_array: the shape overflows");
        count *= shape[k];
    }
    size_t itemsize = aw_dtype_itemsize(dt);
    if (itemsize && count > SIZE_MAX / itemsize)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_write_array: the data size overflows");
    size_t data_len = (size_t)count * itemsize;
    if (!data && data_len)
        return aw_error_set(err, AW_ERR_PARAM, "aw_npy_write_array: data is NULL");
    aw_buf head;
    aw_buf_init(&head);
    int rc = aw_npy_write_header_shape(&head, dt, shape, ndim, err);
    if (rc == AW_OK)
        rc = write_file(path, &head, data, data_len, err);
    aw_buf_free(&head);
    return rc;
}
