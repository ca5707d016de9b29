/* The dtype object: builder, numpy's layout, lookups and descr (see numpy.h
 * and dtype_internal.h). */
#include <stdio.h>
#include <string.h>

#include "numpy/dtype_internal.h"
#include "proto/buf.h"
#include "proto/mem.h"

/* --- Name lookup: open addressing over field indexes (+1; 0 = empty) ----------- */

typedef struct name_table {
    uint32_t *slots;
    size_t cap; /* power of two, or 0 */
} name_table;

/* The name table lives after the struct in a side allocation keyed by the
 * dtype; kept out of the public struct layout on purpose. */
typedef struct aw_dtype_full {
    struct aw_dtype dt;
    name_table names;
} aw_dtype_full;

static uint64_t name_hash(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static const aw_dtype_field *names_find(const aw_dtype_full *d, const char *name) {
    if (d->names.cap == 0)
        return NULL;
    size_t mask = d->names.cap - 1;
    for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        uint32_t s = d->names.slots[i];
        if (s == 0)
            return NULL;
        const aw_dtype_field *f = &d->dt.fields[s - 1];
        if (strcmp(f->name, name) == 0)
            return f;
    }
}

static void names_insert(name_table *t, const char *name, uint32_t index1) {
    size_t mask = t->cap - 1;
    size_t i = name_hash(name) & mask;
    while (t->slots[i] != 0)
        i = (i + 1) & mask;
    t->slots[i] = index1;
}

/* Makes room for one more name (load <= 1/2); false on OOM (table unchanged). */
static bool names_reserve(aw_dtype_full *d) {
    size_t want = d->dt.n_fields + 1;
    if (want * 2 <= d->names.cap)
        return true;
    size_t cap = d->names.cap ? d->names.cap * 2 : 16;
    while (cap < want * 2)
        cap *= 2;
    uint32_t *slots = aw_calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    name_table t = {slots, cap};
    for (size_t k = 0; k < d->dt.n_fields; k++)
        names_insert(&t, d->dt.fields[k].name, (uint32_t)(k + 1));
    aw_free(d->names.slots);
    d->names = t;
    return true;
}

/* --- The object ------------------------------------------------------------------------ */

int aw_dtype_new_flags(aw_dtype **out, unsigned flags, aw_error *err) {
    if (!out)
        return aw_error_set(err, AW_ERR_PARAM, "aw_dtype_new: out is NULL");
    *out = NULL;
    if (flags & ~(AW_DTYPE_ALIGN | AW_DTYPE_ARRAY))
        return aw_error_set(err, AW_ERR_PARAM, "dtype: unknown flags 0x%x", flags);
    aw_dtype_full *d = aw_calloc(1, sizeof *d);
    if (!d)
        return aw_error_set(err, AW_ERR_NOMEM, "dtype: out of memory");
    d->dt.align = (flags & AW_DTYPE_ALIGN) != 0;
    d->dt.array = (flags & AW_DTYPE_ARRAY) != 0;
    d->dt.max_align = 1;
    *out = &d->dt;
    return AW_OK;
}

int aw_dtype_new(aw_dtype **out, bool align, aw_error *err) {
    return aw_dtype_new_flags(out, align ? AW_DTYPE_ALIGN : 0, err);
}

unsigned aw_dtype_flags(const aw_dtype *dt) {
    if (!dt)
        return 0;
    return (dt->align ? AW_DTYPE_ALIGN : 0) | (dt->array ? AW_DTYPE_ARRAY : 0);
}

void aw_dtype_free(aw_dtype *dt) {
    if (!dt)
        return;
    aw_dtype_full *d = (aw_dtype_full *)dt;
    for (size_t k = 0; k < dt->n_fields; k++)
        aw_free((char *)dt->fields[k].name);
    aw_free(dt->fields);
    aw_free(d->names.slots);
    aw_free(d);
}

size_t aw_dtype_itemsize(const aw_dtype *dt) { return dt ? dt->itemsize : 0; }

size_t aw_dtype_n_fields(const aw_dtype *dt) { return dt ? dt->n_fields : 0; }

const aw_dtype_field *aw_dtype_field_at(const aw_dtype *dt, size_t i) {
    if (!dt || i >= dt->n_fields)
        return NULL;
    return &dt->fields[i];
}

const aw_dtype_field *aw_dtype_find(const aw_dtype *dt, const char *name) {
    if (!dt || !name)
        return NULL;
    return names_find((const aw_dtype_full *)dt, name);
}

/* --- Adding fields ---------------------------------------------------------------------- */

static int check_name(const aw_dtype_full *d, const char *name, aw_error *err) {
    if (!name)
        return aw_error_set(err, AW_ERR_PARAM, "dtype: field name is NULL");
    size_t len = strlen(name);
    if (len == 0)
        return aw_error_set(err, AW_ERR_BAD_NAME, "dtype: empty field name (field %zu)",
                            d->dt.n_fields);
    const unsigned char *u = (const unsigned char *)name;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = aw_utf8_valid_seq(u + i, len - i, &cp);
        if (k == 0)
            return aw_error_set(err, AW_ERR_BAD_NAME,
                                "dtype: name of field %zu is not valid UTF-8", d->dt.n_fields);
        if (cp < 0x20 || cp == 0x7f)
            return aw_error_set(err, AW_ERR_BAD_NAME,
                                "dtype: name of field %zu has a control character",
                                d->dt.n_fields);
        i += k;
    }
    if (!d->dt.array && name[0] != '_' && len > AW_DTYPE_BIN_NAME_MAX)
        return aw_error_set(err, AW_ERR_BAD_NAME,
                            "dtype: field '%s' is %zu bytes, bin names have at most %d "
                            "(start it with '_' if it is not a bin)",
                            name, len, AW_DTYPE_BIN_NAME_MAX);
    if (names_find(d, name))
        return aw_error_set(err, AW_ERR_PARAM, "dtype: duplicate field name '%s'", name);
    return AW_OK;
}

static size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

static void update_itemsize(aw_dtype *dt) {
    dt->itemsize = dt->align ? round_up(dt->end, dt->max_align) : dt->end;
}

int aw_dtype_add_typed(aw_dtype *dt, const char *name, const aw_dtype_type *t,
                       const uint32_t *shape, uint32_t ndim, aw_error *err) {
    aw_dtype_full *d = (aw_dtype_full *)dt;
    int rc = check_name(d, name, err);
    if (rc != AW_OK)
        return rc;
    if (ndim > AW_DTYPE_MAX_NDIM)
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            "dtype: field '%s' has %u dimensions, at most %d are supported",
                            name, ndim, AW_DTYPE_MAX_NDIM);
    if (ndim > 0 && !shape)
        return aw_error_set(err, AW_ERR_PARAM, "dtype: field '%s': shape is NULL", name);
    size_t count = 1;
    for (uint32_t k = 0; k < ndim; k++) {
        if (shape[k] > AW_DTYPE_MAX_SIZE || (shape[k] && count > AW_DTYPE_MAX_SIZE / shape[k]))
            return aw_error_set(err, AW_ERR_PARAM, "dtype: field '%s' is too large", name);
        count *= shape[k];
    }
    if (t->width && count > AW_DTYPE_MAX_SIZE / t->width)
        return aw_error_set(err, AW_ERR_PARAM, "dtype: field '%s' is too large", name);
    size_t size = (size_t)t->width * count;
    size_t align = (t->kind == 'S' || t->kind == 'V' || t->width == 0) ? 1 : t->width;
    if (t->kind == 'c')
        align = t->width / 2; /* numpy aligns a complex like its parts */
    size_t offset = dt->align ? round_up(dt->end, align) : dt->end;
    size_t max_align = align > dt->max_align ? align : dt->max_align;
    if (offset > AW_DTYPE_MAX_SIZE || size > AW_DTYPE_MAX_SIZE - offset ||
        (dt->align && round_up(offset + size, max_align) > AW_DTYPE_MAX_SIZE))
        return aw_error_set(err, AW_ERR_PARAM,
                            "dtype: field '%s' takes the itemsize past %zu bytes", name,
                            AW_DTYPE_MAX_SIZE);
    if (dt->n_fields >= UINT32_MAX - 1)
        return aw_error_set(err, AW_ERR_PARAM, "dtype: too many fields");
    if (dt->n_fields == dt->cap) {
        size_t cap = dt->cap ? dt->cap * 2 : 8;
        aw_dtype_field *f = aw_realloc(dt->fields, cap * sizeof *f);
        if (!f)
            return aw_error_set(err, AW_ERR_NOMEM, "dtype: out of memory");
        dt->fields = f;
        dt->cap = cap;
    }
    char *copy = aw_strndup(name, strlen(name));
    if (!copy || !names_reserve(d)) {
        aw_free(copy);
        return aw_error_set(err, AW_ERR_NOMEM, "dtype: out of memory");
    }
    aw_dtype_field *f = &dt->fields[dt->n_fields];
    memset(f, 0, sizeof *f);
    f->name = copy;
    f->kind = t->kind;
    f->width = t->width;
    f->big_endian = t->big_endian;
    f->ndim = ndim;
    for (uint32_t k = 0; k < ndim; k++)
        f->shape[k] = shape[k];
    f->count = count;
    f->offset = offset;
    f->size = size;
    dt->n_fields++;
    names_insert(&d->names, copy, (uint32_t)dt->n_fields);
    dt->end = offset + size;
    dt->max_align = max_align;
    update_itemsize(dt);
    return AW_OK;
}

int aw_dtype_add_pad(aw_dtype *dt, size_t n, aw_error *err) {
    if (n > AW_DTYPE_MAX_SIZE - dt->end ||
        (dt->align && round_up(dt->end + n, dt->max_align) > AW_DTYPE_MAX_SIZE))
        return aw_error_set(err, AW_ERR_PARAM, "dtype: padding takes the itemsize past %zu bytes",
                            AW_DTYPE_MAX_SIZE);
    dt->end += n;
    update_itemsize(dt);
    return AW_OK;
}

int aw_dtype_add(aw_dtype *dt, const char *name, const char *type, const uint32_t *shape,
                 uint32_t ndim, aw_error *err) {
    if (!dt)
        return aw_error_set(err, AW_ERR_PARAM, "aw_dtype_add: dtype is NULL");
    if (!name)
        return aw_error_set(err, AW_ERR_PARAM, "aw_dtype_add: field name is NULL");
    if (!type)
        return aw_error_set(err, AW_ERR_PARAM, "aw_dtype_add: type of field '%s' is NULL", name);
    aw_dtype_type t;
    int rc = aw_dtype_type_parse(type, strlen(type), name, dt->array, &t, err);
    if (rc != AW_OK)
        return rc;
    return aw_dtype_add_typed(dt, name, &t, shape, ndim, err);
}

/* --- descr ------------------------------------------------------------------------------- */

size_t aw_dtype_typestr(const aw_dtype_field *f, char out[24]) {
    char order;
    if (f->kind == 'S' || f->kind == 'V' || f->width <= 1)
        order = '|';
    else
        order = f->big_endian ? '>' : '<';
    return (size_t)snprintf(out, 24, "%c%c%u", order, f->kind, f->width);
}

bool aw_dtype_names_ascii(const aw_dtype *dt) {
    for (size_t k = 0; k < dt->n_fields; k++)
        for (const unsigned char *p = (const unsigned char *)dt->fields[k].name; *p; p++)
            if (*p >= 0x80)
                return false;
    return true;
}

/* Python's repr of a str: single quotes unless the text has a ' and no ". */
static void put_pyrepr(aw_buf *b, const char *s) {
    char q = (strchr(s, '\'') && !strchr(s, '"')) ? '"' : '\'';
    aw_buf_put(b, &q, 1);
    for (; *s; s++) {
        if (*s == '\\' || *s == q)
            aw_buf_put(b, "\\", 1);
        aw_buf_put(b, s, 1);
    }
    aw_buf_put(b, &q, 1);
}

static void put_str(aw_buf *b, const char *s) { aw_buf_put(b, s, strlen(s)); }

static void put_pad(aw_buf *b, size_t n, bool *first) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s('', '|V%zu')", *first ? "" : ", ", n);
    put_str(b, tmp);
    *first = false;
}

char *aw_dtype_descr(const aw_dtype *dt) {
    if (!dt)
        return NULL;
    aw_buf b;
    aw_buf_init(&b);
    char ts[24];
    if (dt->plain && dt->n_fields == 1) {
        aw_buf_put(&b, "'", 1);
        aw_buf_put(&b, ts, aw_dtype_typestr(&dt->fields[0], ts));
        aw_buf_put(&b, "'", 1);
    } else {
        aw_buf_put(&b, "[", 1);
        size_t offset = 0;
        bool first = true;
        for (size_t k = 0; k < dt->n_fields; k++) {
            const aw_dtype_field *f = &dt->fields[k];
            if (f->offset > offset)
                put_pad(&b, f->offset - offset, &first);
            if (!first)
                put_str(&b, ", ");
            first = false;
            aw_buf_put(&b, "(", 1);
            put_pyrepr(&b, f->name);
            put_str(&b, ", '");
            aw_buf_put(&b, ts, aw_dtype_typestr(f, ts));
            aw_buf_put(&b, "'", 1);
            if (f->ndim > 0) {
                put_str(&b, ", (");
                for (uint32_t d = 0; d < f->ndim; d++) {
                    char tmp[16];
                    snprintf(tmp, sizeof tmp, "%s%u", d ? ", " : "", f->shape[d]);
                    put_str(&b, tmp);
                }
                put_str(&b, f->ndim == 1 ? ",)" : ")");
            }
            aw_buf_put(&b, ")", 1);
            offset = f->offset + f->size;
        }
        if (dt->itemsize > offset)
            put_pad(&b, dt->itemsize - offset, &first);
        aw_buf_put(&b, "]", 1);
    }
    aw_buf_put(&b, "", 1); /* the NUL */
    if (!aw_buf_ok(&b)) {
        aw_buf_free(&b);
        return NULL;
    }
    return (char *)b.data; /* aw_buf memory comes from aw_malloc/aw_realloc */
}
