/*
 * asbench's object spec (-o): the bins each record gets, e.g. "I,S16,B128".
 * aw-bench takes the scalar forms: I / I1..I8 (an integer whose size in
 * bytes is the digit; I = I4), S<n> (n letters a-z), B<n> (n random bytes),
 * D (a double) and b (a boolean). Bins are named as asbench names them:
 * the base name (-b, "testbin"), then base_2, base_3, ...
 *
 * The same spec gives the dtype of the columnar modes: a '_key' <i8 field
 * (the integer key, never read back from a bin) and one field per bin (I1
 * u1, I2 u2, I3/I4 u4, I5..I7 <i8, I8 <u8, D <f8, S<n> S<n>, B<n> V<n>,
 * b b1), packed.
 */
#ifndef AW_BENCH_OBJSPEC_H
#define AW_BENCH_OBJSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/numpy.h"
#include "aerowire/record.h"
#include "keys.h"

typedef enum bs_kind { BS_INT, BS_STR, BS_BYTES, BS_DOUBLE, BS_BOOL } bs_kind;

typedef struct bin_spec {
    bs_kind kind;
    uint32_t size;              /* I: bytes 1..8; S, B: length */
    char name[AW_BIN_NAME_MAX + 1];
} bin_spec;

#define OS_MAX_BINS 64

typedef struct obj_spec {
    bin_spec bins[OS_MAX_BINS];
    size_t n;
    size_t value_bytes;         /* room the S and B values need */
} obj_spec;

/* Parses text with bin names from base. On failure returns -1 with a
 * message in why. */
int os_parse(obj_spec *spec, const char *text, const char *base, char *why, size_t why_cap);
/* The spec back as text ("I4,S16"). */
void os_format(const obj_spec *spec, char *out, size_t cap);

/* One record's bins, with their own storage for strings and bytes. */
typedef struct obj_values {
    aw_bin *bins;
    uint8_t *buf;
} obj_values;

/* Allocates and fills values with random contents. 0 or -1 (no memory). */
int os_values_new(const obj_spec *spec, obj_values *v, rng *r);
/* New random contents in place (asbench's -R). */
void os_values_randomize(const obj_spec *spec, obj_values *v, rng *r);
void os_values_free(obj_values *v);

/* The columnar dtype described above. */
int os_dtype(const obj_spec *spec, aw_dtype **out, aw_error *err);
/* Writes one row of that dtype: key in '_key', values in the bin fields. */
void os_fill_row(const obj_spec *spec, const aw_dtype *dt, const obj_values *v, void *row,
                 int64_t key);
/* Writes only the '_key' field (the first, at offset 0). */
void os_row_key(void *row, int64_t key);

#endif
