/*
 * libFuzzer target for the dtype parser and the .npy reader. The first byte
 * picks the entry point (so seeds can aim at one): a dtype spec (packed or
 * aligned), a whole .npy image, or just a .npy header. Beyond "no crash",
 * it checks what each promises on success: a layout inside the itemsize, a
 * descr that parses back to the same layout, a header that round-trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/numpy.h"
#include "numpy/npy_internal.h"
#include "proto/buf.h"
#include "proto/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_error(int rc, const aw_error *err) {
    CHECK(rc == AW_ERR_PARAM || rc == AW_ERR_UNSUPPORTED || rc == AW_ERR_BAD_NAME ||
          rc == AW_ERR_NOMEM);
    CHECK(err->code == rc && err->message[0] != '\0');
}

/* Fields in order, inside the itemsize, findable by name. */
static void check_layout(const aw_dtype *dt) {
    size_t end = 0;
    for (size_t k = 0; k < aw_dtype_n_fields(dt); k++) {
        const aw_dtype_field *f = aw_dtype_field_at(dt, k);
        CHECK(f && f->name && f->name[0]);
        CHECK(f->offset >= end);
        CHECK(f->size == (size_t)f->width * f->count);
        CHECK(f->offset + f->size <= aw_dtype_itemsize(dt));
        CHECK(f->ndim <= AW_DTYPE_MAX_NDIM);
        CHECK(strchr("iufbSV", f->kind) != NULL);
        CHECK(aw_dtype_find(dt, f->name) == f);
        end = f->offset + f->size;
    }
    CHECK(aw_dtype_field_at(dt, aw_dtype_n_fields(dt)) == NULL);
}

/* The descr parses back (packed) into the same layout. */
static void check_descr(const aw_dtype *dt) {
    char *d = aw_dtype_descr(dt);
    CHECK(d != NULL);
    aw_dtype *back;
    aw_error err;
    CHECK(aw_dtype_parse(d, false, &back, &err) == AW_OK);
    CHECK(aw_dtype_itemsize(back) == aw_dtype_itemsize(dt));
    CHECK(aw_dtype_n_fields(back) == aw_dtype_n_fields(dt));
    for (size_t k = 0; k < aw_dtype_n_fields(dt); k++) {
        const aw_dtype_field *a = aw_dtype_field_at(dt, k), *b = aw_dtype_field_at(back, k);
        CHECK(strcmp(a->name, b->name) == 0 && a->offset == b->offset && a->kind == b->kind &&
              a->width == b->width && a->count == b->count && a->ndim == b->ndim &&
              a->big_endian == b->big_endian);
    }
    char *d2 = aw_dtype_descr(back);
    CHECK(d2 && strcmp(d, d2) == 0);
    aw_free(d2);
    aw_free(d);
    aw_dtype_free(back);
}

static void run_spec(const uint8_t *data, size_t size, bool align) {
    char *spec = malloc(size + 1);
    if (!spec)
        return;
    memcpy(spec, data, size);
    spec[size] = '\0';
    aw_dtype *dt;
    aw_error err;
    int rc = aw_dtype_parse(spec, align, &dt, &err);
    if (rc == AW_OK) {
        check_layout(dt);
        check_descr(dt);
        aw_dtype_free(dt);
    } else {
        check_error(rc, &err);
        CHECK(dt == NULL);
    }
    free(spec);
}

/* Our header for (dt, n) reads back as the same. */
static void check_header_round_trip(const aw_dtype *dt, size_t n) {
    aw_buf b;
    aw_buf_init(&b);
    aw_error err;
    CHECK(aw_npy_write_header(&b, dt, n, &err) == AW_OK);
    CHECK(b.len % 64 == 0 && b.data[b.len - 1] == '\n');
    aw_dtype *back;
    size_t n2, off;
    CHECK(aw_npy_parse_header(b.data, b.len, &back, &n2, &off, &err) == AW_OK);
    CHECK(n2 == n && off == b.len && aw_dtype_itemsize(back) == aw_dtype_itemsize(dt));
    char *d1 = aw_dtype_descr(dt), *d2 = aw_dtype_descr(back);
    CHECK(d1 && d2 && strcmp(d1, d2) == 0);
    aw_free(d1);
    aw_free(d2);
    aw_dtype_free(back);
    aw_buf_free(&b);
}

static void run_npy(const uint8_t *data, size_t size) {
    aw_dtype *dt;
    void *rows;
    size_t n;
    aw_error err;
    int rc = aw_npy_read_mem(data, size, &dt, &rows, &n, &err);
    if (rc != AW_OK) {
        check_error(rc, &err);
        CHECK(dt == NULL && rows == NULL && n == 0);
        return;
    }
    check_layout(dt);
    CHECK(n * aw_dtype_itemsize(dt) <= size);
    check_header_round_trip(dt, n);
    aw_free(rows);
    aw_dtype_free(dt);
}

static void run_header(const uint8_t *data, size_t size) {
    aw_dtype *dt;
    size_t n, off;
    aw_error err;
    int rc = aw_npy_parse_header(data, size, &dt, &n, &off, &err);
    if (rc != AW_OK) {
        check_error(rc, &err);
        CHECK(dt == NULL);
        return;
    }
    CHECK(off <= size);
    check_layout(dt);
    check_descr(dt);
    aw_dtype_free(dt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    switch (data[0] % 4) {
    case 0:
        run_spec(data + 1, size - 1, false);
        break;
    case 1:
        run_spec(data + 1, size - 1, true);
        break;
    case 2:
        run_npy(data + 1, size - 1);
        break;
    default:
        run_header(data + 1, size - 1);
        break;
    }
    return 0;
}
