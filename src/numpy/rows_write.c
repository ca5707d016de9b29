/*
 * aw_batch_write_from / _async: a batch source that builds each row's
 * OPERATE row (one write op per bin-bound field) straight from the row's
 * memory, and a sink that keeps each row's code, in-doubt flag and
 * generation.
 *
 * Values are borrowed from the rows (strings, blobs) or carried in the
 * aw_value itself (numbers), so a row costs no allocation: the ops array
 * and the few bytes big-endian sub-arrays need are scratch held by the
 * call, rewritten for each row (the engine encodes a row before it asks
 * for the next).
 *
 * Field -> bin:
 *  - i/u of any width and byte order -> integer (u8 above INT64_MAX travels
 *    as its two's complement, and reads back into a u8 as the same bits);
 *  - f2/f4/f8 -> float (the double of the value; f2 exactly, through float);
 *  - b1 -> bool;
 *  - S<n> -> string, up to the first NUL (numpy's own reading of S); an S
 *    field with a shape, V<n> and numeric sub-arrays -> blob of the field's
 *    raw bytes, sub-array elements little-endian (a big-endian sub-array is
 *    swapped into scratch first).
 * Key: the key field's value; integer fields give integer keys, S string
 * keys (up to the first NUL), V blob keys (u8 keys above INT64_MAX become
 * their two's complement). The namespace and set are checked before
 * anything is sent; each row's key (and digest) is built when the engine
 * routes the row, into one key the job holds.
 */
#include <stdio.h>
#include <string.h>

#include "client/client_impl.h"
#include "half.h"
#include "proto/mem.h"
#include "proto/request.h"
#include "row_conv.h"
#include "row_plan.h"
#include "rows_job.h"

typedef struct write_ctx {
    aw_rows_job job;            /* first: the job handed out */
    aw_row_plan *plan;          /* every bin-bound field */
    const uint8_t *rows;
    size_t itemsize;
    aw_dtype_field kf;          /* copy of the key field (name not kept): the
                                 * job outlives nothing of the dtype */
    char ns[AW_NAMESPACE_MAX + 1];
    char set[AW_SET_MAX + 1];
    aw_key key;                 /* the key of row key_row (SIZE_MAX: none yet) */
    size_t key_row;
    aw_op *ops;                 /* plan->n, values rewritten per row */
    uint8_t *scratch;           /* big-endian sub-arrays, swapped to little-endian */
    uint32_t *scratch_at;       /* plan->n: offset in scratch (UINT32_MAX: not used) */
    aw_req_opts opts;           /* from policy->base */
    aw_req_opts row_opts;       /* opts with the row's _ttl */
    bool has_ttl;
    aw_dtype_field ttl;         /* copy of "_ttl" (name not kept) */
    int32_t *codes;
    bool *in_doubt;
    uint32_t *gens;
} write_ctx;

/* ---- reading a field of a row -------------------------------------------------- */

static inline uint64_t load_elem(const uint8_t *p, uint32_t w, bool big_endian) {
    uint64_t v = 0;
    if (big_endian) {
        for (uint32_t k = 0; k < w; k++)
            v = v << 8 | p[k];
    } else {
        for (uint32_t k = 0; k < w; k++)
            v |= (uint64_t)p[k] << (8 * k);
    }
    return v;
}

/* An integer field (scalar) as int64: sign- or zero-extended. */
static int64_t load_int(const uint8_t *p, char kind, uint32_t w, bool big_endian) {
    uint64_t v = load_elem(p, w, big_endian);
    if (kind == 'i' && w < 8) {
        uint64_t sign = 1ull << (8 * w - 1);
        v = (v ^ sign) - sign;
    }
    return (int64_t)v;
}

static double load_float(const uint8_t *p, uint32_t w, bool big_endian) {
    uint64_t bits = load_elem(p, w, big_endian);
    if (w == 2)
        return aw_half_to_float((uint16_t)bits);
    if (w == 4) {
        uint32_t b = (uint32_t)bits;
        float f;
        memcpy(&f, &b, 4);
        return f;
    }
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

static aw_value field_value(write_ctx *c, uint32_t j, const uint8_t *row) {
    const aw_plan_field *f = &c->plan->fields[j];
    const uint8_t *p = row + f->offset;
    switch (f->kind) {
    case AW_FK_INT:
    case AW_FK_UINT:
        return aw_value_int(load_int(p, f->kind == AW_FK_INT ? 'i' : 'u', f->width, f->big_endian));
    case AW_FK_FLOAT:
        return aw_value_float(load_float(p, f->width, f->big_endian));
    case AW_FK_BOOL:
        return aw_value_bool(p[0] != 0);
    case AW_FK_BYTES:
        if (f->dt_kind == 'S' && f->count == 1)
            return aw_value_strn((const char *)p, strnlen((const char *)p, f->size));
        return aw_value_blob(p, f->size);
    default: /* AW_FK_ARRAY */
        if (c->scratch_at[j] != UINT32_MAX) {
            uint8_t *s = c->scratch + c->scratch_at[j];
            uint32_t w = f->width;
            for (uint32_t at = 0; at < f->size; at += w)
                for (uint32_t k = 0; k < w; k++)
                    s[at + k] = p[at + w - 1 - k];
            return aw_value_blob(s, f->size);
        }
        return aw_value_blob(p, f->size);
    }
}

/* The key of a row from the key field (checked by the caller). */
static int row_key(aw_key *key, const aw_dtype_field *kf, const uint8_t *row, const char *ns,
                   const char *set, aw_error *err) {
    const uint8_t *p = row + kf->offset;
    switch (kf->kind) {
    case 'S':
        return aw_key_init_strn(key, ns, set, (const char *)p, strnlen((const char *)p, kf->size),
                                err);
    case 'V':
        return aw_key_init_blob(key, ns, set, p, kf->size, err);
    default:
        return aw_key_init_int(key, ns, set, load_int(p, kf->kind, kf->width, kf->big_endian),
                               err);
    }
}

/* ---- the source ------------------------------------------------------------------ */

/* The key of row i, built (digest included) into the job's one key: the
 * engine routes a row with key(i) and encodes it with row(i) right after,
 * so one key is enough and nothing grows with n. */
static const aw_key *write_key(void *ctx, size_t i) {
    write_ctx *c = ctx;
    if (c->key_row != i) {
        c->key_row = SIZE_MAX;
        if (row_key(&c->key, &c->kf, c->rows + i * c->itemsize, c->ns, c->set, NULL) != AW_OK)
            return NULL; /* cannot happen: ns and set were checked */
        c->key_row = i;
    }
    return &c->key;
}

static int write_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    write_ctx *c = ctx;
    const uint8_t *r = c->rows + i * c->itemsize;
    for (uint32_t j = 0; j < c->plan->n; j++)
        c->ops[j].value = field_value(c, j, r);
    row->key = write_key(c, i);
    if (!row->key)
        return aw_error_set(err, AW_ERR_PARAM, "batch_write_from: row %zu: no key", i);
    row->kind = AW_BATCH_OPERATE;
    row->bins = NULL;
    row->n_bins = 0;
    row->ops = c->ops;
    row->n_ops = c->plan->n;
    row->opts = &c->opts;
    if (c->has_ttl) {
        c->row_opts = c->opts;
        /* -1 = never expire, -2 = keep the TTL, 0 = the namespace's: the
         * server's own u32 reading of these. */
        c->row_opts.ttl = (uint32_t)load_int(r + c->ttl.offset, c->ttl.kind, c->ttl.width,
                                             c->ttl.big_endian);
        row->opts = &c->row_opts;
    }
    return AW_OK;
}

static bool write_writes(void *ctx, size_t i) {
    (void)ctx;
    (void)i;
    return true;
}

static void write_sink_row(void *ctx, size_t i, int result, bool in_doubt,
                           const aw_msg_view *msg, const aw_error *err) {
    (void)err;
    write_ctx *c = ctx;
    int code = result == AW_OK && !msg ? AW_ERR_CLIENT : result;
    if (c->codes)
        c->codes[i] = code;
    if (c->in_doubt)
        c->in_doubt[i] = in_doubt;
    if (c->gens)
        c->gens[i] = code == AW_OK ? msg->h.generation : 0;
}

/* ---- setting up --------------------------------------------------------------------- */

static void write_job_free(aw_rows_job *job) {
    write_ctx *c = (write_ctx *)job;
    aw_row_plan_free(c->plan);
    aw_free(c->ops);
    aw_free(c->scratch);
    aw_free(c->scratch_at);
    aw_free(c);
}

static bool is_int_scalar(const aw_dtype_field *f) {
    return (f->kind == 'i' || f->kind == 'u') && f->ndim == 0;
}

int aw_rows_write_job_new(const aw_batch_policy *policy, const void *rows, size_t rows_size,
                          size_t n, const aw_dtype *dt, const char *ns, const char *set,
                          const char *key_field, int32_t *codes, bool *in_doubt, uint32_t *gens,
                          aw_rows_job **out, aw_error *err) {
    *out = NULL;
    if (!dt || !ns)
        return aw_error_set(err, AW_ERR_PARAM, "batch_write_from: NULL dtype or namespace");
    size_t itemsize = aw_dtype_itemsize(dt);
    int rc = aw_rows_check_buffer("batch_write_from", rows, rows_size, n, itemsize, err);
    if (rc != AW_OK)
        return rc;
    if (!key_field)
        key_field = "_key";
    const aw_dtype_field *kf = aw_dtype_find(dt, key_field);
    if (!kf)
        return aw_error_set(err, AW_ERR_PARAM, "batch_write_from: key field '%s' is not in the dtype",
                            key_field);
    if (!is_int_scalar(kf) && !(kf->kind == 'S' || kf->kind == 'V'))
        return aw_error_set(err, AW_ERR_PARAM,
                            "batch_write_from: key field '%s' is of kind '%c'%s: a key must be an "
                            "integer, S or V field",
                            key_field, kf->kind, kf->ndim ? " with a shape" : "");
    const aw_dtype_field *ttl = aw_dtype_find(dt, "_ttl");
    if (ttl && !is_int_scalar(ttl))
        return aw_error_set(err, AW_ERR_PARAM,
                            "batch_write_from: field '_ttl' is of kind '%c'%s: it must be an "
                            "integer",
                            ttl->kind, ttl->ndim ? " with a shape" : "");
    write_ctx *c = aw_calloc(1, sizeof *c);
    if (!c)
        return aw_error_set(err, AW_ERR_NOMEM, "batch_write_from: out of memory");
    c->job.free_fn = write_job_free;
    c->job.name = "batch_write_from";
    rc = aw_row_plan_new(dt, NULL, 0, &c->plan, err);
    if (rc != AW_OK) {
        write_job_free(&c->job);
        return rc;
    }
    c->rows = rows;
    c->itemsize = itemsize;
    if (ttl) {
        c->has_ttl = true;
        c->ttl = *ttl;
        c->ttl.name = NULL;
    }
    c->codes = codes;
    c->in_doubt = in_doubt;
    c->gens = gens;
    /* No policy: the defaults' write fields, all zero (update, no
     * generation check, the namespace's TTL, no key stored). */
    static const aw_policy zero_policy;
    c->opts = aw_cmd_row_opts(policy ? &policy->base : &zero_policy, false);

    uint32_t nf = c->plan->n;
    c->ops = aw_calloc(nf, sizeof *c->ops);
    c->scratch_at = aw_calloc(nf, sizeof *c->scratch_at);
    if (!c->ops || !c->scratch_at)
        goto nomem;
    size_t scratch = 0;
    for (uint32_t j = 0; j < nf; j++) {
        const aw_plan_field *f = &c->plan->fields[j];
        c->ops[j] = aw_op_write(f->name, aw_value_nil());
        c->scratch_at[j] = UINT32_MAX;
        if (f->kind == AW_FK_ARRAY && aw_plan_field_swaps(f)) {
            c->scratch_at[j] = (uint32_t)scratch;
            scratch += f->size;
        }
    }
    if (scratch && !(c->scratch = aw_malloc(scratch)))
        goto nomem;
    /* The namespace and set, checked once (every key shares them). */
    {
        aw_error e;
        rc = aw_key_init_int(&c->key, ns, set, 0, &e);
        if (rc != AW_OK) {
            aw_error_set(err, rc, "batch_write_from: %s", e.message);
            write_job_free(&c->job);
            return rc;
        }
    }
    c->kf = *kf;
    c->kf.name = NULL;
    snprintf(c->ns, sizeof c->ns, "%s", ns);
    snprintf(c->set, sizeof c->set, "%s", set ? set : "");
    c->key_row = SIZE_MAX;
    c->job.src.n = n;
    c->job.src.row = write_row;
    c->job.src.key = write_key;
    c->job.src.writes = write_writes;
    c->job.src.ctx = c;
    c->job.sink.row = write_sink_row;
    c->job.sink.ctx = c;
    *out = &c->job;
    return AW_OK;

nomem:
    write_job_free(&c->job);
    return aw_error_set(err, AW_ERR_NOMEM, "batch_write_from: out of memory");
}

int aw_batch_write_from(aw_client *client, const aw_batch_policy *policy, const void *rows,
                        size_t rows_size, size_t n, const aw_dtype *dt, const char *ns,
                        const char *set, const char *key_field, int32_t *codes, bool *in_doubt,
                        uint32_t *gens, aw_error *err) {
    aw_error_reset(err);
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "batch_write_from: NULL client");
    aw_rows_job *job;
    int rc = aw_rows_write_job_new(policy, rows, rows_size, n, dt, ns, set, key_field, codes,
                                   in_doubt, gens, &job, err);
    if (rc != AW_OK)
        return rc;
    return aw_rows_job_run(client, policy, job, err);
}

int aw_batch_write_from_async(aw_loop *loop, const aw_batch_policy *policy, const void *rows,
                              size_t rows_size, size_t n, const aw_dtype *dt, const char *ns,
                              const char *set, const char *key_field, int32_t *codes,
                              bool *in_doubt, uint32_t *gens, aw_batch_cb cb, void *udata,
                              aw_error *err) {
    aw_error_reset(err);
    if (!loop || !cb)
        return aw_error_set(err, AW_ERR_PARAM, "batch_write_from_async: NULL loop or callback");
    aw_rows_job *job;
    int rc = aw_rows_write_job_new(policy, rows, rows_size, n, dt, ns, set, key_field, codes,
                                   in_doubt, gens, &job, err);
    if (rc != AW_OK)
        return rc;
    return aw_rows_job_start(loop, policy, job, cb, udata, err);
}
