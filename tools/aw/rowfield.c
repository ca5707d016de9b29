/* Key, _gen and _ttl fields of rows; see rowfield.h. */
#include "rowfield.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool cli_is_int_field(const aw_dtype_field *f) {
    return (f->kind == 'i' || f->kind == 'u') && f->ndim == 0;
}

bool cli_key_field_ok(const aw_dtype_field *f, char why[CLI_WHY_SIZE]) {
    if (cli_is_int_field(f) || ((f->kind == 'S' || f->kind == 'V') && f->ndim == 0))
        return true;
    snprintf(why, CLI_WHY_SIZE,
             "key field '%s' must be an integer, S (string) or V (bytes) scalar field", f->name);
    return false;
}

void cli_row_put_int(const aw_dtype_field *f, uint8_t *row, int64_t v) {
    uint8_t *p = row + f->offset;
    uint64_t u = (uint64_t)v;
    for (uint32_t i = 0; i < f->width; i++) {
        uint32_t at = f->big_endian ? f->width - 1 - i : i;
        p[at] = (uint8_t)(u >> (8 * i));
    }
}

static int64_t get_int(const aw_dtype_field *f, const uint8_t *row) {
    const uint8_t *p = row + f->offset;
    uint64_t u = 0;
    for (uint32_t i = 0; i < f->width; i++) {
        uint32_t at = f->big_endian ? f->width - 1 - i : i;
        u |= (uint64_t)p[at] << (8 * i);
    }
    /* Sign-extend narrow signed fields. */
    if (f->kind == 'i' && f->width < 8 && (u >> (8 * f->width - 1)) & 1)
        u |= ~(uint64_t)0 << (8 * f->width);
    return (int64_t)u;
}

static bool int_fits(const aw_dtype_field *f, int64_t v) {
    if (f->width >= 8)
        return f->kind == 'i' || v >= 0;
    int bits = 8 * (int)f->width;
    if (f->kind == 'u')
        return v >= 0 && v < ((int64_t)1 << bits);
    return v >= -((int64_t)1 << (bits - 1)) && v < ((int64_t)1 << (bits - 1));
}

static bool put_bytes(const aw_dtype_field *f, uint8_t *row, const void *p, size_t n,
                      const char *what, char why[CLI_WHY_SIZE]) {
    if (n > f->size) {
        snprintf(why, CLI_WHY_SIZE, "%s key of %zu bytes does not fit key field '%s' (%zu bytes)",
                 what, n, f->name, f->size);
        return false;
    }
    if (row) {
        memcpy(row + f->offset, p, n);
        memset(row + f->offset + n, 0, f->size - n);
    }
    return true;
}

bool cli_row_put_key(const aw_dtype_field *f, uint8_t *row, const aw_key *key,
                     char why[CLI_WHY_SIZE]) {
    const aw_value *k = &key->user_key;
    if (cli_is_int_field(f)) {
        if (k->type != AW_INT) {
            snprintf(why, CLI_WHY_SIZE, "key field '%s' holds integers; a %s key does not go in it",
                     f->name, k->type == AW_STR ? "string" : k->type == AW_BLOB ? "bytes" : "digest");
            return false;
        }
        if (!int_fits(f, k->u.i)) {
            snprintf(why, CLI_WHY_SIZE, "key %" PRId64 " does not fit key field '%s' (%c%u)",
                     k->u.i, f->name, f->kind, f->width);
            return false;
        }
        if (row)
            cli_row_put_int(f, row, k->u.i);
        return true;
    }
    switch (k->type) {
    case AW_INT: {
        if (f->kind != 'S') {
            snprintf(why, CLI_WHY_SIZE, "an integer key needs an integer or S key field, not "
                     "V field '%s'", f->name);
            return false;
        }
        char text[24];
        int n = snprintf(text, sizeof text, "%" PRId64, k->u.i);
        return put_bytes(f, row, text, (size_t)n, "integer", why);
    }
    case AW_STR:
        return put_bytes(f, row, k->u.str, k->len, "string", why);
    case AW_BLOB:
        return put_bytes(f, row, k->u.bytes, k->len, "bytes", why);
    default:
        return put_bytes(f, row, key->digest, AW_DIGEST_SIZE, "digest", why);
    }
}

aw_value cli_row_key(const aw_dtype_field *f, const uint8_t *row) {
    if (cli_is_int_field(f))
        return aw_value_int(get_int(f, row));
    const char *p = (const char *)row + f->offset;
    if (f->kind == 'S')
        return aw_value_strn(p, strnlen(p, f->size));
    return aw_value_blob(p, f->size);
}
