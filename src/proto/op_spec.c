/* Checking and encoding bit and HLL ops from their specs; see op_spec.h. */
#include <string.h>

#include "msgpack.h"
#include "op_spec.h"

/* Flags the server knows for these ops. */
#define WF_CREATE_ONLY 1
#define WF_UPDATE_ONLY 2
#define RESIZE_FLAGS_ALL 7 /* FROM_FRONT | GROW_ONLY | SHRINK_ONLY */
#define RESIZE_GROW_SHRINK 6
#define MATH_SIGNED 1
#define MATH_SATURATE 2
#define MATH_WRAP 4
#define HLL_INDEX_MIN 4
#define HLL_INDEX_MAX 16
#define HLL_MINHASH_MIN 4
#define HLL_MINHASH_MAX 51
#define HLL_BITS_SUM_MAX 64
#define HLL_HEADER_BYTES 11

static const op_spec *find_spec(const op_family *fam, uint16_t code) {
    for (size_t i = 0; i < fam->n_specs; i++)
        if (fam->specs[i].code == code)
            return &fam->specs[i];
    return NULL;
}

static const aw_value *arg_at(const aw_op *op, unsigned i) {
    return i < AW_OP_MAX_ARGS ? &op->args[i] : &op->value;
}

aw_op aw_op_spec_build(const op_family *fam, const char *bin, uint16_t code, const aw_value *args,
                       uint8_t n) {
    aw_op op;
    memset(&op, 0, sizeof op);
    const op_spec *s = find_spec(fam, code);
    op.type = s && s->modify ? fam->modify_type : fam->read_type;
    op.cdt_code = code;
    op.bin = bin;
    op.n_args = n;
    for (uint8_t i = 0; i < n && i < OP_SPEC_MAX_ARGS; i++)
        *(aw_value *)arg_at(&op, i) = args[i];
    return op;
}

/* Where an argument error is reported from. */
typedef struct arg_ctx {
    const op_family *fam;
    const op_spec *spec;
    const aw_op *op;
    unsigned i;
} arg_ctx;

/* "BIT SET bin 'b': value ..." (no bin part for an expression's op). */
#define ARG_FAIL(c, fmt, ...)                                                                      \
    aw_error_set(err, AW_ERR_PARAM, "%s %s%s%s%s: %s " fmt, (c)->fam->name, (c)->spec->name,      \
                 (c)->op->bin ? " bin '" : "", (c)->op->bin ? (c)->op->bin : "",                   \
                 (c)->op->bin ? "'" : "", (c)->spec->arg_names[(c)->i], __VA_ARGS__)

static int want_int(const arg_ctx *c, const aw_value *v, int64_t lo, int64_t hi, aw_error *err) {
    if (v->type != AW_INT)
        return ARG_FAIL(c, "must be an integer (got type %u)", v->type);
    if (v->u.i < lo || v->u.i > hi)
        return ARG_FAIL(c, "%lld is out of range %lld..%lld", (long long)v->u.i, (long long)lo,
                        (long long)hi);
    return AW_OK;
}

static int check_write_flags(const arg_ctx *c, int64_t f, aw_error *err) {
    if (f & ~(int64_t)c->spec->allowed_flags)
        return ARG_FAIL(c, "0x%llx has flags this op does not take (allowed: 0x%x)",
                        (unsigned long long)f, c->spec->allowed_flags);
    if ((f & WF_CREATE_ONLY) && (f & WF_UPDATE_ONLY))
        return ARG_FAIL(c, "0x%llx asks for both CREATE_ONLY and UPDATE_ONLY",
                        (unsigned long long)f);
    return AW_OK;
}

static int check_hll_list(const arg_ctx *c, const aw_value *v, aw_error *err) {
    if (v->type != AW_LIST || (v->len && !v->u.items))
        return ARG_FAIL(c, "must be a list of HLL values (got type %u)", v->type);
    if (v->len == 0)
        return ARG_FAIL(c, "%s", "is empty");
    for (uint32_t k = 0; k < v->len; k++) {
        const aw_value *h = &v->u.items[k];
        if (h->type != AW_BLOB || h->subtype != AW_PARTICLE_HLL)
            return ARG_FAIL(c, "item %u is not an HLL value (type %u/%u; see aw_value_hll)", k,
                            h->type, h->subtype);
        if (h->len < HLL_HEADER_BYTES || !h->u.bytes)
            return ARG_FAIL(c, "item %u has %u bytes, shorter than an HLL header", k, h->len);
    }
    return AW_OK;
}

static int check_elements(const arg_ctx *c, const aw_value *v, aw_error *err) {
    if (v->type != AW_LIST || (v->len && !v->u.items))
        return ARG_FAIL(c, "must be a list (got type %u)", v->type);
    for (uint32_t k = 0; k < v->len; k++) {
        uint8_t t = v->u.items[k].type;
        if (t == AW_LIST || t == AW_MAP)
            return ARG_FAIL(c, "item %u is a %s; HLL elements are scalars", k,
                            t == AW_LIST ? "list" : "map");
    }
    return AW_OK;
}

/* What the previous arguments said, for the checks that span two. */
typedef struct arg_memory {
    int64_t bit_size;    /* last ARG_SIZE / ARG_BIT_SIZE_INT, -1 none */
    int64_t index_bits;  /* -1 unset */
    int64_t minhash_bits;
} arg_memory;

static int check_arg(const arg_ctx *c, const aw_value *v, arg_memory *m, aw_error *err) {
    int rc;
    switch ((arg_kind)c->spec->kinds[c->i]) {
    case ARG_OFFSET: return want_int(c, v, INT32_MIN, INT32_MAX, err);
    case ARG_SIZE:
        if ((rc = want_int(c, v, 0, UINT32_MAX, err)) == AW_OK)
            m->bit_size = v->u.i;
        return rc;
    case ARG_BIT_SIZE_INT: return want_int(c, v, 1, 64, err);
    case ARG_BYTES:
        if (v->type != AW_BLOB)
            return ARG_FAIL(c, "must be a blob (got type %u)", v->type);
        if (v->len == 0 || !v->u.bytes)
            return ARG_FAIL(c, "%s", "is empty, NULL or over AW_VALUE_MAX_LEN bytes");
        if (m->bit_size >= 0 && (uint64_t)v->len * 8 < (uint64_t)m->bit_size)
            return ARG_FAIL(c, "has %u bytes, fewer than bit_size %lld needs", v->len,
                            (long long)m->bit_size);
        return AW_OK;
    case ARG_INT:
    case ARG_INT_AS_UINT: return want_int(c, v, INT64_MIN, INT64_MAX, err);
    case ARG_BOOL:
        return v->type == AW_BOOL ? AW_OK : ARG_FAIL(c, "must be a bool (got type %u)", v->type);
    case ARG_WRITE_FLAGS:
        if ((rc = want_int(c, v, 0, UINT8_MAX, err)) != AW_OK)
            return rc;
        return check_write_flags(c, v->u.i, err);
    case ARG_RESIZE_FLAGS:
        if ((rc = want_int(c, v, 0, RESIZE_FLAGS_ALL, err)) != AW_OK)
            return rc;
        if ((v->u.i & RESIZE_GROW_SHRINK) == RESIZE_GROW_SHRINK)
            return ARG_FAIL(c, "0x%llx asks for both GROW_ONLY and SHRINK_ONLY",
                            (unsigned long long)v->u.i);
        return AW_OK;
    case ARG_MATH_FLAGS:
        if ((rc = want_int(c, v, 0, MATH_SIGNED | MATH_SATURATE | MATH_WRAP, err)) != AW_OK)
            return rc;
        if ((v->u.i & (MATH_SATURATE | MATH_WRAP)) == (MATH_SATURATE | MATH_WRAP))
            return ARG_FAIL(c, "0x%llx is both SATURATE and WRAP", (unsigned long long)v->u.i);
        return AW_OK;
    case ARG_SIGNED: return want_int(c, v, 0, 1, err);
    case ARG_INDEX_BITS:
        if (v->type == AW_INT && v->u.i == -1)
            return AW_OK;
        /* fall through */
    case ARG_INDEX_BITS_REQUIRED:
        if ((rc = want_int(c, v, HLL_INDEX_MIN, HLL_INDEX_MAX, err)) == AW_OK)
            m->index_bits = v->u.i;
        return rc;
    case ARG_MINHASH_BITS:
        if (v->type == AW_INT && (v->u.i == -1 || v->u.i == 0))
            return AW_OK;
        if ((rc = want_int(c, v, HLL_MINHASH_MIN, HLL_MINHASH_MAX, err)) != AW_OK)
            return rc;
        m->minhash_bits = v->u.i;
        if (m->index_bits > 0 && m->index_bits + v->u.i > HLL_BITS_SUM_MAX)
            return ARG_FAIL(c, "%lld with index bits %lld is more than %d bits in all",
                            (long long)v->u.i, (long long)m->index_bits, HLL_BITS_SUM_MAX);
        return AW_OK;
    case ARG_ELEMENTS: return check_elements(c, v, err);
    case ARG_HLLS: return check_hll_list(c, v, err);
    }
    return ARG_FAIL(c, "has an unknown kind %u", c->spec->kinds[c->i]);
}

static int write_arg(aw_buf *b, arg_kind kind, const aw_value *v, aw_error *err) {
    switch (kind) {
    case ARG_BYTES: aw_mp_put_particle_bytes(b, AW_PARTICLE_BLOB, v->u.bytes, v->len); break;
    case ARG_INT_AS_UINT: aw_mp_put_uint(b, (uint64_t)v->u.i); break;
    case ARG_BOOL: aw_mp_put_bool(b, v->u.b); break;
    case ARG_ELEMENTS: return aw_msgpack_write(b, v, err);
    case ARG_HLLS:
        aw_mp_put_array_header(b, v->len);
        for (uint32_t k = 0; k < v->len; k++)
            aw_mp_put_particle_bytes(b, AW_PARTICLE_HLL, v->u.items[k].u.bytes,
                                     v->u.items[k].len);
        break;
    default: aw_mp_put_int(b, v->u.i); break; /* every other kind is an integer */
    }
    return AW_OK;
}

int aw_op_spec_write(aw_buf *b, const op_family *fam, const aw_op *op, aw_error *err) {
    const op_spec *s = find_spec(fam, op->cdt_code);
    const char *bin = op->bin ? op->bin : "";
    if (!s)
        return aw_error_set(err, AW_ERR_PARAM, "%s bin '%s': unknown %s op code %u", fam->name,
                            bin, fam->name, op->cdt_code);
    uint8_t want_type = s->modify ? fam->modify_type : fam->read_type;
    if (op->type != want_type)
        return aw_error_set(err, AW_ERR_PARAM, "%s %s bin '%s': is a %s op, sent as op type %u",
                            fam->name, s->name, bin, s->modify ? "modify" : "read", op->type);
    if (op->n_args < s->n_required || op->n_args > s->n_max)
        return aw_error_set(err, AW_ERR_PARAM, "%s %s bin '%s': %u arguments (takes %u..%u)",
                            fam->name, s->name, bin, op->n_args, s->n_required, s->n_max);
    arg_memory m = {-1, -1, -1};
    aw_mp_put_array_header(b, 1u + op->n_args);
    aw_mp_put_uint(b, op->cdt_code);
    for (unsigned i = 0; i < op->n_args; i++) {
        arg_ctx c = {fam, s, op, i};
        const aw_value *v = arg_at(op, i);
        int rc = check_arg(&c, v, &m, err);
        if (rc != AW_OK)
            return rc;
        if ((rc = write_arg(b, (arg_kind)s->kinds[i], v, err)) != AW_OK) {
            if (!err)
                return rc;
            char inner[AW_ERROR_MSG_SIZE];
            memcpy(inner, err->message, sizeof inner);
            return aw_error_set(err, rc, "%s %s bin '%s': %s: %s", fam->name, s->name, bin,
                                s->arg_names[i], inner);
        }
    }
    return AW_OK;
}

/* The expression type an argument of this kind is, inside an expression;
 * EXP_WANT_LITERAL for the flags and bit counts the builder writes itself. */
static uint8_t exp_type_of(arg_kind kind) {
    switch (kind) {
    case ARG_OFFSET:
    case ARG_SIZE:
    case ARG_BIT_SIZE_INT:
    case ARG_INT:
    case ARG_INT_AS_UINT: return AW_EXP_INT;
    case ARG_BYTES: return AW_EXP_BLOB;
    case ARG_BOOL: return AW_EXP_BOOL;
    case ARG_ELEMENTS:
    case ARG_HLLS: return AW_EXP_LIST;
    default: return EXP_WANT_LITERAL;
    }
}

int aw_op_spec_exp_args(const op_family *fam, uint16_t code, const aw_value *args, unsigned n,
                        uint8_t *want, aw_error *err) {
    const op_spec *s = find_spec(fam, code);
    if (!s)
        return aw_error_set(err, AW_ERR_PARAM, "unknown %s op code %u", fam->name, code);
    if (n < s->n_required || n > s->n_max)
        return aw_error_set(err, AW_ERR_PARAM, "%s %s: %u arguments (takes %u..%u)", fam->name,
                            s->name, n, s->n_required, s->n_max);
    aw_op none;
    memset(&none, 0, sizeof none);
    arg_memory m = {-1, -1, -1};
    for (unsigned i = 0; i < n; i++) {
        want[i] = exp_type_of((arg_kind)s->kinds[i]);
        if (want[i] != EXP_WANT_LITERAL)
            continue;
        arg_ctx c = {fam, s, &none, i};
        int rc = check_arg(&c, &args[i], &m, err);
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}
