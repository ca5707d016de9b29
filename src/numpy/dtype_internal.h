/*
 * The dtype object and the internals shared by the dtype parser, the .npy
 * reader/writer and the row plans.
 *
 * Layout rules (numpy's): fields are placed in order; packed, each field
 * starts where the previous one ended; aligned (align=True), each field
 * starts at a multiple of its element's alignment (its width for numbers,
 * half of it for complex, 1 for S and V, a sub-array aligning like its
 * element) and the itemsize is rounded up to the largest alignment.
 * Padding entries of a descr (('', '|Vn')) take bytes but are not fields.
 * Fields are kept in offset order; gaps between them are padding.
 */
#ifndef AW_NUMPY_DTYPE_INTERNAL_H
#define AW_NUMPY_DTYPE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/numpy.h"
#include "numpy/pylit.h"

/* numpy's limit on an itemsize (a C int); ours on every size and offset. */
#define AW_DTYPE_MAX_SIZE ((size_t)INT32_MAX)
/* Bin names travel in at most 15 bytes. */
#define AW_DTYPE_BIN_NAME_MAX 15

struct aw_dtype {
    bool align;            /* numpy's align=True layout */
    bool array;            /* AW_DTYPE_ARRAY: complex allowed, names not bins */
    bool plain;            /* one unnamed scalar ("<f8"): descr is the bare typestr */
    size_t end;            /* bytes used by fields and padding so far */
    size_t max_align;      /* largest field alignment (1 when none) */
    size_t itemsize;
    size_t n_fields;
    size_t cap;
    aw_dtype_field *fields; /* names owned (aw_malloc'd) */
};

/* One parsed type code. */
typedef struct aw_dtype_type {
    char kind;             /* i u f b c S V */
    uint32_t width;
    bool big_endian;
} aw_dtype_type;

/* Parses one type code (s[0..len)), e.g. "<f8", "|S32", "i", "float64".
 * field names the field in error messages. AW_ERR_PARAM for what numpy
 * would not understand either, AW_ERR_UNSUPPORTED for U, O, datetimes,
 * long double, and complex unless complex_ok (then c8 and c16, kind 'c'). */
int aw_dtype_type_parse(const char *s, size_t len, const char *field, bool complex_ok,
                        aw_dtype_type *t, aw_error *err);

/* Appends a field (name already validated or about to be: this validates
 * it too). On failure dt is unchanged. */
int aw_dtype_add_typed(aw_dtype *dt, const char *name, const aw_dtype_type *t,
                       const uint32_t *shape, uint32_t ndim, aw_error *err);
/* Appends n bytes of padding (an ('', '|Vn') descr entry). */
int aw_dtype_add_pad(aw_dtype *dt, size_t n, aw_error *err);

/* Builds a dtype from a parsed descr: a string (a type or the comma form)
 * or a list of (name, type[, shape]) tuples. flags as aw_dtype_parse_flags's;
 * what names the text for messages. */
int aw_dtype_from_lit(const aw_pylit *descr, unsigned flags, const char *what, aw_dtype **out,
                      aw_error *err);

/* numpy's typestr of a field's element ("<f8", "|i1", "|S32"); returns
 * its length. */
size_t aw_dtype_typestr(const aw_dtype_field *f, char out[24]);

/* True when every byte of the dtype's names is ASCII. */
bool aw_dtype_names_ascii(const aw_dtype *dt);

#endif
