/*
 * Compiling a dtype into a row plan: the bin-bound fields (optionally
 * filtered), their converters, a name hash, and the bytes no field covers.
 */
#include "row_plan.h"

#include <stdlib.h>
#include <string.h>

#include "proto/mem.h"
#include "row_conv.h"

#define MAX_PLAN_FIELDS 0xFFFFu /* a READ row carries at most 65535 bin names */

static uint32_t name_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 16777619u;
    }
    return h;
}

static bool is_bin_field(const aw_dtype_field *f) { return f->name && f->name[0] != '_'; }

void aw_row_plan_free(aw_row_plan *p) {
    if (!p)
        return;
    aw_free(p->fields);
    aw_free(p->bin_names);
    aw_free(p->hash);
    aw_free(p->succ);
    aw_free(p->gaps);
    aw_free(p);
}

const aw_plan_field *aw_row_plan_find(const aw_row_plan *p, const char *name, size_t len) {
    if (len > AW_BIN_NAME_MAX)
        return NULL;
    for (uint32_t h = name_hash(name, len) & p->hash_mask;; h = (h + 1) & p->hash_mask) {
        uint32_t slot = p->hash[h];
        if (slot == 0)
            return NULL;
        const aw_plan_field *f = &p->fields[slot - 1];
        if (f->name_len == len && memcmp(f->name, name, len) == 0)
            return f;
    }
}

int aw_row_plan_field(aw_plan_field *pf, const aw_dtype_field *f, aw_error *err) {
    memset(pf, 0, sizeof *pf);
    size_t nl = strlen(f->name);
    if (nl == 0 || nl > AW_BIN_NAME_MAX)
        return aw_error_set(err, AW_ERR_BAD_NAME,
                            "dtype field '%s': a bin name must be 1 to %d bytes (this one is %zu)",
                            f->name, AW_BIN_NAME_MAX, nl);
    if (f->offset > UINT32_MAX || f->size > UINT32_MAX || f->count > UINT32_MAX)
        return aw_error_set(err, AW_ERR_UNSUPPORTED, "dtype field '%s': too large", f->name);
    memcpy(pf->name, f->name, nl + 1);
    pf->name_len = (uint8_t)nl;
    pf->offset = (uint32_t)f->offset;
    pf->size = (uint32_t)f->size;
    pf->count = (uint32_t)f->count;
    pf->big_endian = f->big_endian;
    pf->width = (uint8_t)(f->width > 255 ? 255 : f->width);
    pf->dt_field = f;
    pf->dt_kind = f->kind;
    bool numeric_width = false;
    switch (f->kind) {
    case 'i':
    case 'u':
        pf->kind = f->kind == 'i' ? AW_FK_INT : AW_FK_UINT;
        numeric_width = f->width == 1 || f->width == 2 || f->width == 4 || f->width == 8;
        break;
    case 'f':
        pf->kind = AW_FK_FLOAT;
        numeric_width = f->width == 2 || f->width == 4 || f->width == 8;
        break;
    case 'b':
        pf->kind = AW_FK_BOOL;
        numeric_width = f->width == 1;
        break;
    case 'S':
    case 'V':
        pf->kind = AW_FK_BYTES;
        numeric_width = true;
        break;
    default:
        return aw_error_set(err, AW_ERR_UNSUPPORTED, "dtype field '%s': kind '%c' is not supported",
                            f->name, f->kind ? f->kind : '?');
    }
    if (!numeric_width)
        return aw_error_set(err, AW_ERR_UNSUPPORTED,
                            "dtype field '%s': kind '%c' of %u bytes is not supported", f->name,
                            f->kind, f->width);
    if (pf->kind != AW_FK_BYTES && f->ndim > 0)
        pf->kind = AW_FK_ARRAY;
    for (int pc = 0; pc < AW_PC_N; pc++)
        pf->conv[pc] = aw_row_conv_pick(pf, pc);
    aw_row_fast_pick(pf);
    return AW_OK;
}

static int cmp_gap(const void *a, const void *b) {
    const struct aw_plan_gap *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The complement of the plan's fields in [0, itemsize). */
static int compute_gaps(aw_row_plan *p) {
    struct aw_plan_gap *spans = aw_calloc(p->n + 1, sizeof *spans);
    p->gaps = aw_calloc(p->n + 1, sizeof *p->gaps);
    if (!spans || !p->gaps) {
        aw_free(spans);
        return AW_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < p->n; i++) {
        spans[i].offset = p->fields[i].offset;
        spans[i].len = p->fields[i].size;
    }
    qsort(spans, p->n, sizeof *spans, cmp_gap);
    size_t at = 0;
    for (uint32_t i = 0; i < p->n; i++) {
        if (spans[i].offset > at)
            p->gaps[p->n_gaps++] = (struct aw_plan_gap){(uint32_t)at, (uint32_t)(spans[i].offset - at)};
        size_t end = (size_t)spans[i].offset + spans[i].len;
        if (end > at)
            at = end;
    }
    if (p->itemsize > at)
        p->gaps[p->n_gaps++] = (struct aw_plan_gap){(uint32_t)at, (uint32_t)(p->itemsize - at)};
    aw_free(spans);
    return AW_OK;
}

/* Whether decoding zeroes the whole row first rather than only what it did
 * not write. Measured (2026-11, decode alone, with an aw-colbench -z flag
 * that forced either mode and has since gone: a benchmark must not set a
 * library internal): 40-byte
 * rows of 5 numbers, 0.038 us/row zeroing first against 0.042 tracking;
 * 520-byte rows of one 128-float blob, 0.024 against 0.025 (noise). So:
 * zero first for small rows; for big ones, where zeroing first writes each
 * byte twice, zero only what the reply did not fill. */
static bool choose_zero_first(const aw_row_plan *p) {
    if (p->n > 64)
        return true; /* the written set is a 64-bit mask */
    return p->itemsize < 256;
}

int aw_row_plan_new(const aw_dtype *dt, const char *const *bins, size_t n_bins,
                    aw_row_plan **out, aw_error *err) {
    if (!dt || !out)
        return aw_error_set(err, AW_ERR_PARAM, "row plan: NULL dtype or output");
    if (n_bins && !bins)
        return aw_error_set(err, AW_ERR_PARAM, "bins filter: %zu names but a NULL array", n_bins);
    *out = NULL;
    size_t nf = aw_dtype_n_fields(dt);
    size_t cap = n_bins ? n_bins : nf;
    if (cap > MAX_PLAN_FIELDS)
        cap = MAX_PLAN_FIELDS + 1; /* enough to notice "too many" */

    aw_row_plan *p = aw_calloc(1, sizeof *p);
    if (!p)
        return aw_error_set(err, AW_ERR_NOMEM, "row plan: out of memory");
    p->itemsize = aw_dtype_itemsize(dt);
    p->fields = aw_calloc(cap ? cap : 1, sizeof *p->fields);
    if (!p->fields)
        goto nomem;

    int rc = AW_OK;
    if (n_bins) {
        for (size_t b = 0; b < n_bins; b++) {
            const char *name = bins[b];
            if (!name) {
                rc = aw_error_set(err, AW_ERR_PARAM, "bins filter: name %zu is NULL", b);
                goto fail;
            }
            const aw_dtype_field *f = aw_dtype_find(dt, name);
            if (!f) {
                rc = aw_error_set(err, AW_ERR_PARAM, "bins filter: '%s' is not a field of the dtype",
                                  name);
                goto fail;
            }
            if (!is_bin_field(f)) {
                rc = aw_error_set(err, AW_ERR_PARAM,
                                  "bins filter: field '%s' is never read from a bin (its name "
                                  "starts with '_')",
                                  name);
                goto fail;
            }
            bool dup = false;
            for (uint32_t k = 0; k < p->n && !dup; k++)
                dup = p->fields[k].dt_field == f;
            if (dup)
                continue; /* named twice: asked for once */
            if (p->n == MAX_PLAN_FIELDS) {
                rc = aw_error_set(err, AW_ERR_PARAM, "bins filter: more than %u bins",
                                  MAX_PLAN_FIELDS);
                goto fail;
            }
            if ((rc = aw_row_plan_field(&p->fields[p->n], f, err)) != AW_OK)
                goto fail;
            p->n++;
        }
    } else {
        for (size_t i = 0; i < nf; i++) {
            const aw_dtype_field *f = aw_dtype_field_at(dt, i);
            if (!f || !is_bin_field(f))
                continue;
            if (p->n == MAX_PLAN_FIELDS) {
                rc = aw_error_set(err, AW_ERR_PARAM, "dtype: more than %u bin fields",
                                  MAX_PLAN_FIELDS);
                goto fail;
            }
            if ((rc = aw_row_plan_field(&p->fields[p->n], f, err)) != AW_OK)
                goto fail;
            p->n++;
        }
        if (p->n == 0) {
            rc = aw_error_set(err, AW_ERR_PARAM,
                              "dtype has no bin field (every field name starts with '_')");
            goto fail;
        }
    }

    uint32_t hsize = 4;
    while (hsize < 2 * p->n)
        hsize <<= 1;
    p->hash_mask = hsize - 1;
    p->hash = aw_calloc(hsize, sizeof *p->hash);
    p->bin_names = aw_calloc(p->n, sizeof *p->bin_names);
    p->succ = aw_calloc((size_t)p->n + 1, sizeof *p->succ);
    if (!p->hash || !p->bin_names || !p->succ)
        goto nomem;
    for (uint32_t i = 0; i < p->n; i++) {
        const aw_plan_field *f = &p->fields[i];
        uint32_t h = name_hash(f->name, f->name_len) & p->hash_mask;
        while (p->hash[h])
            h = (h + 1) & p->hash_mask;
        p->hash[h] = i + 1;
        p->bin_names[i] = f->name;
        p->succ[i] = i + 1; /* the request's order until a reply says otherwise */
    }
    p->succ[p->n] = 0;
    if (compute_gaps(p) != AW_OK)
        goto nomem;
    p->zero_first = choose_zero_first(p);
    *out = p;
    return AW_OK;

nomem:
    rc = aw_error_set(err, AW_ERR_NOMEM, "row plan: out of memory");
fail:
    aw_row_plan_free(p);
    return rc;
}
