/* asbench's object spec for aw-bench; see objspec.h. */
#include "objspec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A value of S or B longer than this is a typo, not a benchmark. */
#define OS_MAX_LEN (1u << 20)

static int fail(char *why, size_t cap, const char *fmt, const char *at) {
    snprintf(why, cap, fmt, at);
    return -1;
}

int os_parse(obj_spec *spec, const char *text, const char *base, char *why, size_t why_cap) {
    memset(spec, 0, sizeof *spec);
    const char *p = text;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            return fail(why, why_cap, "empty bin in object spec \"%s\"", text);
        /* asbench's "N*" repeats the bin that follows N times. */
        unsigned long mult = 1;
        if (isdigit((unsigned char)*p)) {
            char *end;
            errno = 0;
            mult = strtoul(p, &end, 10);
            while (*end == ' ')
                end++;
            if (*end != '*')
                return fail(why, why_cap,
                            "constant bins are not supported by aw-bench (at \"%s\")", p);
            if (errno || mult == 0 || mult > OS_MAX_BINS)
                return fail(why, why_cap, "bad multiplier at \"%s\"", p);
            p = end + 1;
            while (*p == ' ')
                p++;
        }
        bin_spec b = {0};
        const char *at = p;
        switch (*p) {
        case 'b':
            b.kind = BS_BOOL;
            p++;
            break;
        case 'D':
            b.kind = BS_DOUBLE;
            p++;
            break;
        case 'I':
            b.kind = BS_INT;
            b.size = 4;
            p++;
            if (*p >= '1' && *p <= '8')
                b.size = (uint32_t)(*p++ - '0');
            break;
        case 'S':
        case 'B': {
            b.kind = *p == 'S' ? BS_STR : BS_BYTES;
            char *end;
            errno = 0;
            unsigned long len = strtoul(p + 1, &end, 10);
            if (end == p + 1 || !isdigit((unsigned char)p[1]))
                return fail(why, why_cap, "expected a length after \"%.1s\"", p);
            if (errno || len == 0 || len > OS_MAX_LEN)
                return fail(why, why_cap, "length out of range (1..1048576) at \"%s\"", p);
            b.size = (uint32_t)len;
            p = end;
            break;
        }
        case '[':
        case '{':
            return fail(why, why_cap, "lists and maps are not supported by aw-bench (at \"%s\")",
                        at);
        default:
            return fail(why, why_cap,
                        "unknown bin type at \"%s\" (aw-bench takes I, I1..I8, S<n>, B<n>, D, b)",
                        at);
        }
        while (*p == ' ')
            p++;
        if (*p && *p != ',')
            return fail(why, why_cap, "unexpected text at \"%s\"", p);
        for (unsigned long k = 0; k < mult; k++) {
            if (spec->n == OS_MAX_BINS)
                return fail(why, why_cap, "more than 64 bins in \"%s\"", text);
            bin_spec *s = &spec->bins[spec->n];
            *s = b;
            int len = spec->n == 0
                          ? snprintf(s->name, sizeof s->name, "%s", base)
                          : snprintf(s->name, sizeof s->name, "%s_%zu", base, spec->n + 1);
            if (len <= 0 || (size_t)len >= sizeof s->name)
                return fail(why, why_cap,
                            "bin names from base \"%s\" would be longer than 15 bytes", base);
            if (b.kind == BS_STR || b.kind == BS_BYTES)
                spec->value_bytes += b.size;
            spec->n++;
        }
        if (!*p)
            return 0;
        p++;
    }
}

void os_format(const obj_spec *spec, char *out, size_t cap) {
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < spec->n && at < cap; i++) {
        const bin_spec *b = &spec->bins[i];
        const char *sep = i ? "," : "";
        int n = 0;
        switch (b->kind) {
        case BS_INT: n = snprintf(out + at, cap - at, "%sI%u", sep, b->size); break;
        case BS_STR: n = snprintf(out + at, cap - at, "%sS%u", sep, b->size); break;
        case BS_BYTES: n = snprintf(out + at, cap - at, "%sB%u", sep, b->size); break;
        case BS_DOUBLE: n = snprintf(out + at, cap - at, "%sD", sep); break;
        case BS_BOOL: n = snprintf(out + at, cap - at, "%sb", sep); break;
        }
        if (n < 0)
            break;
        at += (size_t)n;
    }
}

/* asbench's ranges: I1 0..255, In 2^(8(n-1)) .. 2^(8n)-1 (I8 wraps past
 * INT64_MAX, as its unsigned values do in a signed bin). */
static int64_t random_int(uint32_t size, rng *r) {
    if (size == 1)
        return (int64_t)rng_below(r, 256);
    uint64_t lo = 1ull << (8 * (size - 1));
    uint64_t span = size == 8 ? (uint64_t)0 - lo : (1ull << (8 * size)) - lo;
    return (int64_t)(lo + rng_below(r, span));
}

void os_values_randomize(const obj_spec *spec, obj_values *v, rng *r) {
    uint8_t *at = v->buf;
    for (size_t i = 0; i < spec->n; i++) {
        const bin_spec *b = &spec->bins[i];
        aw_bin *bin = &v->bins[i];
        bin->name = b->name;
        switch (b->kind) {
        case BS_INT:
            bin->value = aw_value_int(random_int(b->size, r));
            break;
        case BS_DOUBLE:
            bin->value = aw_value_float(rng_unit(r) * 1e6);
            break;
        case BS_BOOL:
            bin->value = aw_value_bool(rng_next(r) & 1);
            break;
        case BS_STR:
            for (uint32_t k = 0; k < b->size; k++)
                at[k] = (uint8_t)('a' + rng_below(r, 26));
            bin->value = aw_value_strn((const char *)at, b->size);
            at += b->size;
            break;
        case BS_BYTES:
            for (uint32_t k = 0; k < b->size; k += 8) {
                uint64_t x = rng_next(r);
                memcpy(at + k, &x, b->size - k < 8 ? b->size - k : 8);
            }
            bin->value = aw_value_blob(at, b->size);
            at += b->size;
            break;
        }
    }
}

int os_values_new(const obj_spec *spec, obj_values *v, rng *r) {
    v->bins = calloc(spec->n ? spec->n : 1, sizeof *v->bins);
    v->buf = malloc(spec->value_bytes ? spec->value_bytes : 1);
    if (!v->bins || !v->buf) {
        os_values_free(v);
        return -1;
    }
    os_values_randomize(spec, v, r);
    return 0;
}

void os_values_free(obj_values *v) {
    free(v->bins);
    free(v->buf);
    v->bins = NULL;
    v->buf = NULL;
}

static const char *field_type(const bin_spec *b, char *tmp, size_t cap) {
    switch (b->kind) {
    case BS_INT:
        return b->size == 1 ? "u1" : b->size == 2 ? "<u2" : b->size <= 4 ? "<u4"
               : b->size < 8 ? "<i8" : "<u8";
    case BS_DOUBLE:
        return "<f8";
    case BS_BOOL:
        return "b1";
    case BS_STR:
        snprintf(tmp, cap, "S%u", b->size);
        return tmp;
    case BS_BYTES:
        snprintf(tmp, cap, "V%u", b->size);
        return tmp;
    }
    return "";
}

int os_dtype(const obj_spec *spec, aw_dtype **out, aw_error *err) {
    aw_dtype *dt;
    int rc = aw_dtype_new(&dt, false, err);
    if (rc != AW_OK)
        return rc;
    rc = aw_dtype_add(dt, "_key", "<i8", NULL, 0, err);
    for (size_t i = 0; rc == AW_OK && i < spec->n; i++) {
        char tmp[24];
        rc = aw_dtype_add(dt, spec->bins[i].name, field_type(&spec->bins[i], tmp, sizeof tmp),
                          NULL, 0, err);
    }
    if (rc != AW_OK) {
        aw_dtype_free(dt);
        return rc;
    }
    *out = dt;
    return AW_OK;
}

/* Little-endian fields: store the low `width` bytes of x in order. */
static void put_le(uint8_t *p, uint64_t x, uint32_t width) {
    for (uint32_t k = 0; k < width; k++)
        p[k] = (uint8_t)(x >> (8 * k));
}

void os_fill_row(const obj_spec *spec, const aw_dtype *dt, const obj_values *v, void *row,
                 int64_t key) {
    uint8_t *r = row;
    put_le(r + aw_dtype_field_at(dt, 0)->offset, (uint64_t)key, 8);
    for (size_t i = 0; i < spec->n; i++) {
        const aw_dtype_field *f = aw_dtype_field_at(dt, i + 1);
        const aw_value *val = &v->bins[i].value;
        uint8_t *p = r + f->offset;
        switch (spec->bins[i].kind) {
        case BS_INT:
            put_le(p, (uint64_t)val->u.i, f->width);
            break;
        case BS_DOUBLE: {
            uint64_t bits;
            memcpy(&bits, &val->u.f, 8);
            put_le(p, bits, 8);
            break;
        }
        case BS_BOOL:
            *p = val->u.b ? 1 : 0;
            break;
        case BS_STR:
        case BS_BYTES:
            memcpy(p, val->u.bytes, val->len);
            break;
        }
    }
}

void os_row_key(void *row, int64_t key) { put_le(row, (uint64_t)key, 8); }
