/* numpy's dtype notations: type codes, the comma form, descr lists. */
#include <stdio.h>
#include <string.h>

#include "numpy/dtype_internal.h"
#include "proto/arena.h"
#include "proto/mem.h"

/* --- One type code -------------------------------------------------------------------- */

typedef struct type_name {
    const char *name;
    char kind;
    uint32_t width;
} type_name;

/* numpy's type names (accepted without a byte-order prefix, as numpy does). */
static const type_name TYPE_NAMES[] = {
    {"bool", 'b', 1},    {"int8", 'i', 1},    {"int16", 'i', 2},    {"int32", 'i', 4},
    {"int64", 'i', 8},   {"uint8", 'u', 1},   {"uint16", 'u', 2},   {"uint32", 'u', 4},
    {"uint64", 'u', 8},  {"float16", 'f', 2}, {"float32", 'f', 4},  {"float64", 'f', 8},
    {"int", 'i', 8},     {"float", 'f', 8},   {"half", 'f', 2},     {"single", 'f', 4},
    {"double", 'f', 8},  {"byte", 'i', 1},    {"ubyte", 'u', 1},    {"short", 'i', 2},
    {"ushort", 'u', 2},  {"intc", 'i', 4},    {"uintc", 'u', 4},    {"longlong", 'i', 8},
    {"ulonglong", 'u', 8}, {"intp", 'i', 8},  {"uintp", 'u', 8},
};

/* Names numpy knows that we refuse, with the reason. */
static const struct {
    const char *prefix;
    const char *what;
} UNSUPPORTED_NAMES[] = {
    {"str", "unicode"},          {"unicode", "unicode"},      {"object", "object"},
    {"complex", "complex"},      {"longdouble", "long double"}, {"float128", "long double"},
    {"datetime64", "datetime"},  {"timedelta64", "timedelta"},
};

static bool all_digits(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Complex numbers have no bin type; whole arrays take them. */
#define COMPLEX_HINT " (whole arrays take it: AW_DTYPE_ARRAY)"

static int unsupported(const char *field, const char *what, const char *s, size_t len,
                       const char *hint, aw_error *err) {
    return aw_error_set(err, AW_ERR_UNSUPPORTED, "dtype: field '%s': %s type '%.*s' is not supported%s",
                        field, what, (int)(len > 40 ? 40 : len), s, hint);
}

/* Complex type names, taken only by array dtypes. */
static const type_name COMPLEX_NAMES[] = {
    {"complex64", 'c', 8}, {"complex128", 'c', 16}, {"complex", 'c', 16},
    {"csingle", 'c', 8},   {"cdouble", 'c', 16},
};

static bool lookup_name(const type_name *names, size_t n, const char *s, size_t len,
                        aw_dtype_type *t) {
    for (size_t k = 0; k < n; k++) {
        if (strlen(names[k].name) == len && memcmp(names[k].name, s, len) == 0) {
            t->kind = names[k].kind;
            t->width = names[k].width;
            t->big_endian = false;
            return true;
        }
    }
    return false;
}

int aw_dtype_type_parse(const char *s, size_t len, const char *field, bool complex_ok,
                        aw_dtype_type *t, aw_error *err) {
    const char *full = s;
    size_t full_len = len;
    int shown = (int)(len > 40 ? 40 : len);
#define UNKNOWN()                                                                                  \
    aw_error_set(err, AW_ERR_PARAM, "dtype: field '%s': unknown type '%.*s'", field, shown, full)
    if (memchr(s, '\0', len))
        return UNKNOWN();
    char order = 0;
    if (len > 0 && strchr("<>=|", s[0])) {
        order = s[0];
        s++;
        len--;
    }
    if (len == 0)
        return aw_error_set(err, AW_ERR_PARAM, "dtype: field '%s': empty type '%.*s'", field, shown,
                            full);
    if (!order) {
        if (lookup_name(TYPE_NAMES, sizeof TYPE_NAMES / sizeof TYPE_NAMES[0], s, len, t))
            return AW_OK;
        if (complex_ok &&
            lookup_name(COMPLEX_NAMES, sizeof COMPLEX_NAMES / sizeof COMPLEX_NAMES[0], s, len, t))
            return AW_OK;
        if (len == 10 && memcmp(s, "complex256", 10) == 0)
            return unsupported(field, "long double", full, full_len, "", err);
        for (size_t k = 0; k < sizeof UNSUPPORTED_NAMES / sizeof UNSUPPORTED_NAMES[0]; k++) {
            size_t pl = strlen(UNSUPPORTED_NAMES[k].prefix);
            if (len >= pl && memcmp(UNSUPPORTED_NAMES[k].prefix, s, pl) == 0 &&
                (len == pl || s[pl] == '[' || all_digits(s + pl, len - pl)))
                return unsupported(field, UNSUPPORTED_NAMES[k].what, full, full_len,
                                   strcmp(UNSUPPORTED_NAMES[k].what, "complex") == 0 ? COMPLEX_HINT
                                                                                     : "",
                                   err);
        }
    }
    char code = s[0];
    const char *digits = s + 1;
    size_t nd = len - 1;
    /* Kinds numpy has and we refuse. */
    switch (code) {
    case 'U':
    case 'w':
        if (all_digits(digits, nd))
            return unsupported(field, "unicode", full, full_len, " (use S<n> bytes)", err);
        return UNKNOWN();
    case 'O':
        if (all_digits(digits, nd))
            return unsupported(field, "object", full, full_len, "", err);
        return UNKNOWN();
    case 'M':
    case 'm': {
        size_t k = 0;
        while (k < nd && digits[k] >= '0' && digits[k] <= '9')
            k++;
        if (k == nd || (digits[k] == '[' && digits[nd - 1] == ']'))
            return unsupported(field, code == 'M' ? "datetime" : "timedelta", full, full_len, "",
                               err);
        return UNKNOWN();
    }
    case 'F':
    case 'D':
    case 'G':
        if (nd != 0)
            return UNKNOWN();
        if (code == 'G')
            return unsupported(field, "long double", full, full_len, "", err);
        if (!complex_ok)
            return unsupported(field, "complex", full, full_len, COMPLEX_HINT, err);
        break;
    case 'g':
        if (nd == 0)
            return unsupported(field, "long double", full, full_len, "", err);
        return UNKNOWN();
    default:
        break;
    }
    if (!all_digits(digits, nd))
        return UNKNOWN();
    uint64_t num = 0;
    for (size_t k = 0; k < nd; k++) {
        num = num * 10 + (uint64_t)(digits[k] - '0');
        if (num > AW_DTYPE_MAX_SIZE)
            return aw_error_set(err, AW_ERR_PARAM, "dtype: field '%s': type '%.*s' is too large",
                                field, shown, full);
    }
    bool has = nd > 0;
    char kind = 0;
    uint32_t width = 0;
    switch (code) {
    case '?':
        if (!has)
            kind = 'b', width = 1;
        break;
    case 'b':
        if (!has)
            kind = 'i', width = 1;
        else if (num == 1)
            kind = 'b', width = 1;
        break;
    case 'B':
        if (!has)
            kind = 'u', width = 1;
        break;
    case 'h':
    case 'H':
        if (!has)
            kind = code == 'h' ? 'i' : 'u', width = 2;
        break;
    case 'I':
        if (!has)
            kind = 'u', width = 4;
        break;
    case 'l':
    case 'q':
    case 'p':
        if (!has)
            kind = 'i', width = 8;
        break;
    case 'L':
    case 'Q':
    case 'P':
        if (!has)
            kind = 'u', width = 8;
        break;
    case 'i':
    case 'u':
        if (!has && code == 'i')
            kind = 'i', width = 4;
        else if (has && (num == 1 || num == 2 || num == 4 || num == 8))
            kind = code, width = (uint32_t)num;
        break;
    case 'f':
        if (!has)
            kind = 'f', width = 4;
        else if (num == 2 || num == 4 || num == 8)
            kind = 'f', width = (uint32_t)num;
        else if (num == 10 || num == 12 || num == 16)
            return unsupported(field, "long double", full, full_len, "", err);
        break;
    case 'e':
        if (!has)
            kind = 'f', width = 2;
        break;
    case 'd':
        if (!has)
            kind = 'f', width = 8;
        break;
    case 'F':
    case 'D':
        kind = 'c', width = code == 'F' ? 8 : 16;
        break;
    case 'c':
        if (!has)
            kind = 'S', width = 1;
        else if (num == 32)
            return unsupported(field, "long double", full, full_len, "", err);
        else if ((num == 8 || num == 16) && !complex_ok)
            return unsupported(field, "complex", full, full_len, COMPLEX_HINT, err);
        else if (num == 8 || num == 16)
            kind = 'c', width = (uint32_t)num;
        break;
    case 'S':
    case 'a':
    case 'V':
        kind = code == 'V' ? 'V' : 'S';
        width = (uint32_t)num;
        break;
    default:
        break;
    }
    if (!kind)
        return UNKNOWN();
#undef UNKNOWN
    t->kind = kind;
    t->width = width;
    t->big_endian = order == '>' && width > 1 && kind != 'S' && kind != 'V';
    return AW_OK;
}

/* --- Shapes ------------------------------------------------------------------------------ */

/* A shape literal: an int n (n,), or a tuple of ints. numpy 1.x reads a
 * bare 1 as a scalar (deprecated), and so do we. */
static int shape_from_lit(const aw_pylit *v, const char *field, const char *what,
                          uint32_t shape[AW_DTYPE_MAX_NDIM], uint32_t *ndim, aw_error *err) {
    *ndim = 0;
    if (v->type == AW_PY_INT) {
        if (v->i < 0 || v->i > (int64_t)AW_DTYPE_MAX_SIZE)
            return aw_error_set(err, AW_ERR_PARAM, "%s: field '%s': bad dimension %lld", what,
                                field, (long long)v->i);
        if (v->i != 1) {
            shape[0] = (uint32_t)v->i;
            *ndim = 1;
        }
        return AW_OK;
    }
    if (v->type != AW_PY_TUPLE)
        return aw_error_set(err, AW_ERR_PARAM,
                            "%s: field '%s': the shape must be a tuple of integers (offset %zu)",
                            what, field, v->pos);
    if (v->n > AW_DTYPE_MAX_NDIM)
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            "%s: field '%s' has %zu dimensions, at most %d are supported", what,
                            field, v->n, AW_DTYPE_MAX_NDIM);
    for (const aw_pylit *d = v->first; d; d = d->next) {
        if (d->type != AW_PY_INT)
            return aw_error_set(err, AW_ERR_PARAM,
                                "%s: field '%s': the shape must be a tuple of integers (offset %zu)",
                                what, field, d->pos);
        if (d->i < 0 || d->i > (int64_t)AW_DTYPE_MAX_SIZE)
            return aw_error_set(err, AW_ERR_PARAM, "%s: field '%s': bad dimension %lld", what,
                                field, (long long)d->i);
        shape[(*ndim)++] = (uint32_t)d->i;
    }
    return AW_OK;
}

/* --- The comma form ---------------------------------------------------------------------- */

/* "i4, (2,3)f8, S8": fields f0, f1... A single scalar item is a plain dtype. */
static int parse_comma(const char *s, size_t len, unsigned flags, const char *what,
                       aw_dtype **out, aw_error *err) {
    aw_dtype *dt = NULL;
    aw_arena arena;
    aw_arena_init(&arena, 0);
    int rc = aw_dtype_new_flags(&dt, flags, err);
    if (rc != AW_OK)
        return rc;
    size_t pos = 0, index = 0;
    bool single_scalar = false;
    for (;;) {
        /* The item: up to a comma outside parentheses. */
        size_t start = pos;
        int depth = 0;
        while (pos < len && (s[pos] != ',' || depth > 0)) {
            if (s[pos] == '(')
                depth++;
            else if (s[pos] == ')' && depth > 0)
                depth--;
            pos++;
        }
        size_t b = start, e = pos;
        while (b < e && strchr(" \t\n\r", s[b]))
            b++;
        while (e > b && strchr(" \t\n\r", s[e - 1]))
            e--;
        bool last = pos >= len;
        if (b == e) {
            if (last && index > 0)
                break; /* a trailing comma */
            rc = aw_error_set(err, AW_ERR_PARAM, "%s: empty type at offset %zu", what, b);
            goto fail;
        }
        char name[24];
        snprintf(name, sizeof name, "f%zu", index);
        /* [order] [repeat] [order] code */
        size_t p = b;
        char order = 0;
        if (strchr("<>=|", s[p])) {
            order = s[p];
            p++;
        }
        uint32_t shape[AW_DTYPE_MAX_NDIM];
        uint32_t ndim = 0;
        bool repeat = false;
        if (p < e && s[p] == '(') {
            aw_pylit *v;
            size_t q = p;
            rc = aw_pylit_parse(s, e, &q, false, what, &arena, &v, err);
            if (rc != AW_OK)
                goto fail;
            rc = shape_from_lit(v, name, what, shape, &ndim, err);
            if (rc != AW_OK)
                goto fail;
            p = q;
            repeat = true;
        } else if (p < e && s[p] >= '0' && s[p] <= '9') {
            uint64_t n = 0;
            size_t q = p;
            while (q < e && s[q] >= '0' && s[q] <= '9') {
                n = n * 10 + (uint64_t)(s[q] - '0');
                if (n > AW_DTYPE_MAX_SIZE) {
                    rc = aw_error_set(err, AW_ERR_PARAM, "%s: repeat count too large at offset %zu",
                                      what, p);
                    goto fail;
                }
                q++;
            }
            if (q < e) { /* digits then a type: a repeat count */
                if (n != 1) {
                    shape[0] = (uint32_t)n;
                    ndim = 1;
                }
                p = q;
                repeat = true;
            }
        }
        if (p < e && strchr("<>=|", s[p])) {
            if (order && order != s[p]) {
                rc = aw_error_set(err, AW_ERR_PARAM,
                                  "%s: inconsistent byte order in '%.*s' at offset %zu", what,
                                  (int)(e - b > 40 ? 40 : e - b), s + b, b);
                goto fail;
            }
            order = s[p];
            p++;
        }
        char code[64];
        if (e - p > sizeof code - 2) {
            rc = aw_error_set(err, AW_ERR_PARAM, "%s: field '%s': unknown type at offset %zu", what,
                              name, p);
            goto fail;
        }
        size_t cl = 0;
        if (order)
            code[cl++] = order;
        memcpy(code + cl, s + p, e - p);
        cl += e - p;
        code[cl] = '\0';
        aw_dtype_type t;
        rc = aw_dtype_type_parse(code, cl, name, dt->array, &t, err);
        if (rc != AW_OK)
            goto fail;
        rc = aw_dtype_add_typed(dt, name, &t, shape, ndim, err);
        if (rc != AW_OK)
            goto fail;
        if (index == 0)
            single_scalar = !repeat || ndim == 0;
        index++;
        if (last)
            break;
        pos++; /* the comma */
    }
    dt->plain = index == 1 && single_scalar;
    aw_arena_free(&arena);
    *out = dt;
    return AW_OK;
fail:
    aw_arena_free(&arena);
    aw_dtype_free(dt);
    return rc;
}

/* --- descr lists --------------------------------------------------------------------------- */

static int parse_list(const aw_pylit *list, unsigned flags, const char *what, aw_dtype **out,
                      aw_error *err) {
    aw_dtype *dt = NULL;
    int rc = aw_dtype_new_flags(&dt, flags, err);
    if (rc != AW_OK)
        return rc;
    size_t index = 0;
    for (const aw_pylit *e = list->first; e; e = e->next, index++) {
        if (e->type != AW_PY_TUPLE || (e->n != 2 && e->n != 3)) {
            rc = aw_error_set(err, AW_ERR_PARAM,
                              "%s: entry %zu is not a (name, type) or (name, type, shape) tuple "
                              "(offset %zu)",
                              what, index, e->pos);
            goto fail;
        }
        const aw_pylit *nv = e->first, *tv = nv->next, *sv = tv->next;
        if (nv->type == AW_PY_TUPLE) {
            rc = aw_error_set(err, AW_ERR_UNSUPPORTED,
                              "%s: entry %zu: field titles are not supported (offset %zu)", what,
                              index, nv->pos);
            goto fail;
        }
        if (nv->type != AW_PY_STR) {
            rc = aw_error_set(err, AW_ERR_PARAM,
                              "%s: entry %zu: the field name must be a string (offset %zu)", what,
                              index, nv->pos);
            goto fail;
        }
        char auto_name[24];
        const char *name = nv->s;
        if (strlen(nv->s) != nv->len) {
            rc = aw_error_set(err, AW_ERR_BAD_NAME, "%s: entry %zu: field name has a NUL (offset %zu)",
                              what, index, nv->pos);
            goto fail;
        }
        if (nv->len == 0) {
            snprintf(auto_name, sizeof auto_name, "f%zu", index); /* numpy's name */
            name = auto_name;
        }
        if (tv->type == AW_PY_LIST) {
            rc = aw_error_set(err, AW_ERR_UNSUPPORTED,
                              "%s: field '%s': nested structs are not supported", what, name);
            goto fail;
        }
        if (tv->type == AW_PY_TUPLE) {
            rc = aw_error_set(err, AW_ERR_UNSUPPORTED,
                              "%s: field '%s': a (type, shape) tuple as the type is not supported; "
                              "give the shape as the third item",
                              what, name);
            goto fail;
        }
        if (tv->type != AW_PY_STR) {
            rc = aw_error_set(err, AW_ERR_PARAM,
                              "%s: field '%s': the type must be a string (offset %zu)", what, name,
                              tv->pos);
            goto fail;
        }
        aw_dtype_type t;
        rc = aw_dtype_type_parse(tv->s, tv->len, name, dt->array, &t, err);
        if (rc != AW_OK)
            goto fail;
        uint32_t shape[AW_DTYPE_MAX_NDIM];
        uint32_t ndim = 0;
        if (sv) {
            rc = shape_from_lit(sv, name, what, shape, &ndim, err);
            if (rc != AW_OK)
                goto fail;
        }
        if (nv->len == 0 && t.kind == 'V') {
            /* numpy's padding entry: bytes, not a field. */
            uint64_t n = t.width;
            for (uint32_t k = 0; k < ndim; k++) {
                n *= shape[k];
                if (n > AW_DTYPE_MAX_SIZE) {
                    rc = aw_error_set(err, AW_ERR_PARAM, "%s: padding entry %zu is too large",
                                      what, index);
                    goto fail;
                }
            }
            rc = aw_dtype_add_pad(dt, (size_t)n, err);
        } else {
            rc = aw_dtype_add_typed(dt, name, &t, shape, ndim, err);
        }
        if (rc != AW_OK)
            goto fail;
    }
    *out = dt;
    return AW_OK;
fail:
    aw_dtype_free(dt);
    return rc;
}

int aw_dtype_from_lit(const aw_pylit *descr, unsigned flags, const char *what, aw_dtype **out,
                      aw_error *err) {
    if (descr->type == AW_PY_STR) {
        if (strlen(descr->s) != descr->len)
            return aw_error_set(err, AW_ERR_PARAM, "%s: the type string has a NUL", what);
        return parse_comma(descr->s, descr->len, flags, what, out, err);
    }
    if (descr->type == AW_PY_LIST)
        return parse_list(descr, flags, what, out, err);
    if (descr->type == AW_PY_DICT)
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            "%s: the dict form of a dtype is not supported; use a descr list",
                            what);
    return aw_error_set(err, AW_ERR_PARAM,
                        "%s: expected a type string or a list of fields (offset %zu)", what,
                        descr->pos);
}

int aw_dtype_parse(const char *spec, bool align, aw_dtype **out, aw_error *err) {
    return aw_dtype_parse_flags(spec, align ? AW_DTYPE_ALIGN : 0, out, err);
}

int aw_dtype_parse_flags(const char *spec, unsigned flags, aw_dtype **out, aw_error *err) {
    if (!out)
        return aw_error_set(err, AW_ERR_PARAM, "aw_dtype_parse: out is NULL");
    *out = NULL;
    if (!spec)
        return aw_error_set(err, AW_ERR_PARAM, "aw_dtype_parse: spec is NULL");
    if (flags & ~(AW_DTYPE_ALIGN | AW_DTYPE_ARRAY))
        return aw_error_set(err, AW_ERR_PARAM, "aw_dtype_parse: unknown flags 0x%x", flags);
    size_t len = strlen(spec), pos = 0;
    while (pos < len && strchr(" \t\n\r", spec[pos]))
        pos++;
    if (pos == len)
        return aw_error_set(err, AW_ERR_PARAM, "dtype: empty spec");
    char c = spec[pos];
    if (c != '[' && c != '\'' && c != '"' && c != '{')
        return parse_comma(spec, len, flags, "dtype", out, err);
    aw_arena arena;
    aw_arena_init(&arena, 0);
    aw_pylit *v;
    int rc = aw_pylit_parse(spec, len, &pos, false, "dtype", &arena, &v, err);
    if (rc == AW_OK && pos != len)
        rc = aw_error_set(err, AW_ERR_PARAM, "dtype: unexpected text after the dtype at offset %zu",
                          pos);
    if (rc == AW_OK)
        rc = aw_dtype_from_lit(v, flags, "dtype", out, err);
    aw_arena_free(&arena);
    return rc;
}
