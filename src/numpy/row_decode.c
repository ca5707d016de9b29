/*
 * Decoding reply rows into dtype rows: the converters (particle class x
 * field kind, width and byte order, each a small function chosen once per
 * plan), the per-row op walk, and the read sink.
 */
#include <string.h>

#include "aerowire/record.h"
#include "half.h"
#include "proto/buf.h"
#include "proto/particle.h"
#include "proto/short_eq.h"
#include "row_conv.h"
#include "row_plan.h"

/* ---- particle classes --------------------------------------------------- */

#define PC_OTHER_X16 AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER, \
    AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER, \
    AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER, AW_PC_OTHER

const uint8_t aw_particle_class[256] = {
    [AW_PT_NULL] = AW_PC_NULL, [AW_PT_INTEGER] = AW_PC_INT, [AW_PT_FLOAT] = AW_PC_FLOAT,
    [AW_PT_STRING] = AW_PC_STR, [AW_PT_BLOB] = AW_PC_BLOB, [5] = AW_PC_OTHER,
    [6] = AW_PC_OTHER, [AW_PT_JAVA_BLOB] = AW_PC_BLOB, [AW_PT_CSHARP_BLOB] = AW_PC_BLOB,
    [AW_PT_PYTHON_BLOB] = AW_PC_BLOB, [AW_PT_RUBY_BLOB] = AW_PC_BLOB,
    [AW_PT_PHP_BLOB] = AW_PC_BLOB, [AW_PT_ERLANG_BLOB] = AW_PC_BLOB, [13] = AW_PC_OTHER,
    [14] = AW_PC_OTHER, [15] = AW_PC_OTHER, [AW_PT_VECTOR] = AW_PC_OTHER,
    [AW_PT_BOOL] = AW_PC_BOOL, [AW_PT_HLL] = AW_PC_BLOB, [AW_PT_MAP] = AW_PC_OTHER,
    [AW_PT_LIST] = AW_PC_OTHER, [21] = AW_PC_OTHER, [22] = AW_PC_OTHER,
    [AW_PT_GEOJSON] = AW_PC_OTHER, [24] = AW_PC_OTHER, [25] = AW_PC_OTHER,
    [26] = AW_PC_OTHER, [27] = AW_PC_OTHER, [28] = AW_PC_OTHER, [29] = AW_PC_OTHER,
    [30] = AW_PC_OTHER, [31] = AW_PC_OTHER,
    [32] = PC_OTHER_X16, [48] = PC_OTHER_X16, [64] = PC_OTHER_X16, [80] = PC_OTHER_X16,
    [96] = PC_OTHER_X16, [112] = PC_OTHER_X16, [128] = PC_OTHER_X16, [144] = PC_OTHER_X16,
    [160] = PC_OTHER_X16, [176] = PC_OTHER_X16, [192] = PC_OTHER_X16, [208] = PC_OTHER_X16,
    [224] = PC_OTHER_X16, [240] = PC_OTHER_X16,
};

/* ---- stores: an element in the field's order ------------------------------ */

static inline void st1(uint8_t *d, uint64_t x, bool sw) {
    (void)sw;
    d[0] = (uint8_t)x;
}
static inline void st2(uint8_t *d, uint64_t x, bool sw) {
    uint16_t t = (uint16_t)x;
    if (sw)
        t = __builtin_bswap16(t);
    memcpy(d, &t, 2);
}
static inline void st4(uint8_t *d, uint64_t x, bool sw) {
    uint32_t t = (uint32_t)x;
    if (sw)
        t = __builtin_bswap32(t);
    memcpy(d, &t, 4);
}
static inline void st8(uint8_t *d, uint64_t x, bool sw) {
    if (sw)
        x = __builtin_bswap64(x);
    memcpy(d, &x, 8);
}
static inline void stf2(uint8_t *d, double x, bool sw) { st2(d, aw_double_to_half(x), sw); }
static inline void stf4(uint8_t *d, double x, bool sw) {
    float f = (float)x; /* round to nearest even, overflow to inf */
    uint32_t u;
    memcpy(&u, &f, 4);
    st4(d, u, sw);
}
static inline void stf8(uint8_t *d, double x, bool sw) {
    uint64_t u;
    memcpy(&u, &x, 8);
    st8(d, u, sw);
}

static inline double load_double(const uint8_t *v) {
    uint64_t u = aw_load_u64be(v);
    double x;
    memcpy(&x, &u, 8);
    return x;
}

/* float -> integer: toward zero, saturated to `bits`, NaN -> 0. */
static inline uint64_t sat_signed(double x, unsigned bits) {
    if (x != x)
        return 0;
    const double lim = (double)(1ull << (bits - 1)); /* exact: a power of two */
    if (x >= lim)
        return (1ull << (bits - 1)) - 1;
    if (x <= -lim)
        return ~0ull << (bits - 1);
    return (uint64_t)(int64_t)x;
}
static inline uint64_t sat_unsigned(double x, unsigned bits) {
    if (!(x > 0)) /* NaN, zero, negatives */
        return 0;
    const double lim = bits == 64 ? 18446744073709551616.0 : (double)(1ull << (bits & 63));
    if (x >= lim)
        return bits == 64 ? ~0ull : (1ull << (bits & 63)) - 1;
    return (uint64_t)x;
}

/* ---- converters ------------------------------------------------------------- */

static int zero_field(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {
    (void)v;
    (void)len;
    memset(d, 0, f->size);
    return AW_OK;
}
static int type_error(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {
    zero_field(d, f, v, len);
    return AW_ERR_FIELD_TYPE;
}
static int proto_error(uint8_t *d, const aw_plan_field *f) {
    memset(d, 0, f->size);
    return AW_ERR_PROTO;
}

/* Integer particle -> integer field of W bytes: the low bits. */
#define INT_TO_INT(W, SW, NAME)                                                                  \
    static int NAME(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {      \
        if (len != 8)                                                                          \
            return proto_error(d, f);                                                          \
        st##W(d, aw_load_u64be(v), SW);                                                        \
        return AW_OK;                                                                          \
    }
INT_TO_INT(1, false, int_to_x1)
INT_TO_INT(2, false, int_to_x2)
INT_TO_INT(4, false, int_to_x4)
INT_TO_INT(8, false, int_to_x8)
INT_TO_INT(2, true, int_to_x2s)
INT_TO_INT(4, true, int_to_x4s)
INT_TO_INT(8, true, int_to_x8s)

/* Integer particle -> float field: (double)v, then the width. */
#define INT_TO_FLT(FW, SW, NAME)                                                                 \
    static int NAME(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {      \
        if (len != 8)                                                                          \
            return proto_error(d, f);                                                          \
        stf##FW(d, (double)(int64_t)aw_load_u64be(v), SW);                                      \
        return AW_OK;                                                                          \
    }
INT_TO_FLT(2, false, int_to_f2)
INT_TO_FLT(4, false, int_to_f4)
INT_TO_FLT(8, false, int_to_f8)
INT_TO_FLT(2, true, int_to_f2s)
INT_TO_FLT(4, true, int_to_f4s)
INT_TO_FLT(8, true, int_to_f8s)

/* Float particle -> float field: rounded to the width. */
#define FLT_TO_FLT(FW, SW, NAME)                                                                 \
    static int NAME(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {      \
        if (len != 8)                                                                          \
            return proto_error(d, f);                                                          \
        stf##FW(d, load_double(v), SW);                                                        \
        return AW_OK;                                                                          \
    }
FLT_TO_FLT(2, false, flt_to_f2)
FLT_TO_FLT(4, false, flt_to_f4)
FLT_TO_FLT(2, true, flt_to_f2s)
FLT_TO_FLT(4, true, flt_to_f4s)

/* f8 from the wire's big-endian double: one byte swap (or none). */
static int flt_to_f8(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {
    if (len != 8)
        return proto_error(d, f);
    st8(d, aw_load_u64be(v), false);
    return AW_OK;
}
static int flt_to_f8s(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {
    if (len != 8)
        return proto_error(d, f);
    st8(d, aw_load_u64be(v), true);
    return AW_OK;
}

/* Float particle -> integer field: truncated, saturated, NaN -> 0. */
#define FLT_TO_INT(W, SIGNED, SW, NAME)                                                          \
    static int NAME(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {      \
        if (len != 8)                                                                          \
            return proto_error(d, f);                                                          \
        double x = load_double(v);                                                             \
        st##W(d, SIGNED ? sat_signed(x, 8 * W) : sat_unsigned(x, 8 * W), SW);                  \
        return AW_OK;                                                                          \
    }
FLT_TO_INT(1, true, false, flt_to_i1)
FLT_TO_INT(2, true, false, flt_to_i2)
FLT_TO_INT(4, true, false, flt_to_i4)
FLT_TO_INT(8, true, false, flt_to_i8)
FLT_TO_INT(2, true, true, flt_to_i2s)
FLT_TO_INT(4, true, true, flt_to_i4s)
FLT_TO_INT(8, true, true, flt_to_i8s)
FLT_TO_INT(1, false, false, flt_to_u1)
FLT_TO_INT(2, false, false, flt_to_u2)
FLT_TO_INT(4, false, false, flt_to_u4)
FLT_TO_INT(8, false, false, flt_to_u8)
FLT_TO_INT(2, false, true, flt_to_u2s)
FLT_TO_INT(4, false, true, flt_to_u4s)
FLT_TO_INT(8, false, true, flt_to_u8s)

/* Bool particle -> a number: 0 or 1 (1.0 for floats). */
#define BOOL_TO_INT(W, SW, NAME)                                                                 \
    static int NAME(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {      \
        if (len != 1)                                                                          \
            return proto_error(d, f);                                                          \
        st##W(d, v[0] != 0, SW);                                                               \
        return AW_OK;                                                                          \
    }
BOOL_TO_INT(1, false, bool_to_x1)
BOOL_TO_INT(2, false, bool_to_x2)
BOOL_TO_INT(4, false, bool_to_x4)
BOOL_TO_INT(8, false, bool_to_x8)
BOOL_TO_INT(2, true, bool_to_x2s)
BOOL_TO_INT(4, true, bool_to_x4s)
BOOL_TO_INT(8, true, bool_to_x8s)

#define BOOL_TO_FLT(FW, SW, NAME)                                                                \
    static int NAME(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {      \
        if (len != 1)                                                                          \
            return proto_error(d, f);                                                          \
        stf##FW(d, v[0] != 0 ? 1.0 : 0.0, SW);                                                 \
        return AW_OK;                                                                          \
    }
BOOL_TO_FLT(2, false, bool_to_f2)
BOOL_TO_FLT(4, false, bool_to_f4)
BOOL_TO_FLT(8, false, bool_to_f8)
BOOL_TO_FLT(2, true, bool_to_f2s)
BOOL_TO_FLT(4, true, bool_to_f4s)
BOOL_TO_FLT(8, true, bool_to_f8s)

/* Into a bool field: numpy's astype(bool). */
static int int_to_b1(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {
    if (len != 8)
        return proto_error(d, f);
    d[0] = aw_load_u64be(v) != 0;
    return AW_OK;
}
static int flt_to_b1(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {
    if (len != 8)
        return proto_error(d, f);
    d[0] = load_double(v) != 0.0; /* NaN != 0: true, as numpy */
    return AW_OK;
}

/* String or blob -> S/V: copied, truncated or zero-padded. */
static int to_bytes(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {
    uint32_t n = len < f->size ? len : f->size;
    memcpy(d, v, n);
    memset(d + n, 0, f->size - n);
    return AW_OK;
}

/* Blob -> numeric sub-array of little-endian elements: raw bytes. */
static int blob_to_array(uint8_t *d, const aw_plan_field *f, const uint8_t *v, uint32_t len) {
    return to_bytes(d, f, v, len);
}

/* Blob -> big-endian sub-array: each element swapped; a short last element
 * is zero-filled as a little-endian one, then swapped. */
static int blob_to_array_swapped(uint8_t *d, const aw_plan_field *f, const uint8_t *v,
                                 uint32_t len) {
    uint32_t w = f->width, n = len < f->size ? len : f->size;
    uint32_t whole = n / w * w;
    for (uint32_t at = 0; at < whole; at += w)
        for (uint32_t k = 0; k < w; k++)
            d[at + k] = v[at + w - 1 - k];
    memset(d + whole, 0, f->size - whole);
    for (uint32_t k = 0; k < n - whole; k++)
        d[whole + w - 1 - k] = v[whole + k];
    return AW_OK;
}

/* ---- the table ------------------------------------------------------------- */

aw_conv_fn aw_row_conv_pick(const aw_plan_field *f, int pc) {
    bool sw = f->big_endian != AW_HOST_BIG_ENDIAN;
    if (pc == AW_PC_NULL)
        return zero_field;
    switch (f->kind) {
    case AW_FK_INT:
    case AW_FK_UINT: {
        bool s = f->kind == AW_FK_INT;
        switch (pc) {
        case AW_PC_INT:
            switch (f->width) {
            case 1: return int_to_x1;
            case 2: return sw ? int_to_x2s : int_to_x2;
            case 4: return sw ? int_to_x4s : int_to_x4;
            default: return sw ? int_to_x8s : int_to_x8;
            }
        case AW_PC_FLOAT:
            switch (f->width) {
            case 1: return s ? flt_to_i1 : flt_to_u1;
            case 2: return s ? (sw ? flt_to_i2s : flt_to_i2) : (sw ? flt_to_u2s : flt_to_u2);
            case 4: return s ? (sw ? flt_to_i4s : flt_to_i4) : (sw ? flt_to_u4s : flt_to_u4);
            default: return s ? (sw ? flt_to_i8s : flt_to_i8) : (sw ? flt_to_u8s : flt_to_u8);
            }
        case AW_PC_BOOL:
            switch (f->width) {
            case 1: return bool_to_x1;
            case 2: return sw ? bool_to_x2s : bool_to_x2;
            case 4: return sw ? bool_to_x4s : bool_to_x4;
            default: return sw ? bool_to_x8s : bool_to_x8;
            }
        default: return type_error;
        }
    }
    case AW_FK_FLOAT:
        switch (pc) {
        case AW_PC_INT:
            return f->width == 2 ? (sw ? int_to_f2s : int_to_f2)
                 : f->width == 4 ? (sw ? int_to_f4s : int_to_f4)
                                 : (sw ? int_to_f8s : int_to_f8);
        case AW_PC_FLOAT:
            /* The wire's double is big-endian: an f8 field in big-endian
             * order takes its bytes as they are. */
            return f->width == 2 ? (sw ? flt_to_f2s : flt_to_f2)
                 : f->width == 4 ? (sw ? flt_to_f4s : flt_to_f4)
                                 : (sw ? flt_to_f8s : flt_to_f8);
        case AW_PC_BOOL:
            return f->width == 2 ? (sw ? bool_to_f2s : bool_to_f2)
                 : f->width == 4 ? (sw ? bool_to_f4s : bool_to_f4)
                                 : (sw ? bool_to_f8s : bool_to_f8);
        default: return type_error;
        }
    case AW_FK_BOOL:
        switch (pc) {
        case AW_PC_INT: return int_to_b1;
        case AW_PC_FLOAT: return flt_to_b1;
        case AW_PC_BOOL: return bool_to_x1;
        default: return type_error;
        }
    case AW_FK_BYTES:
        return pc == AW_PC_STR || pc == AW_PC_BLOB ? to_bytes : type_error;
    case AW_FK_ARRAY:
        if (pc != AW_PC_BLOB)
            return type_error;
        /* Blobs hold little-endian elements, whatever the host. */
        return f->big_endian && f->width > 1 ? blob_to_array_swapped : blob_to_array;
    default:
        return type_error;
    }
}

void aw_row_fast_pick(aw_plan_field *f) {
    f->fast = AW_FAST_NONE;
    f->fast_pt = AW_PT_NULL;
    if (aw_plan_field_swaps(f))
        return;
    if (f->kind == AW_FK_INT || f->kind == AW_FK_UINT) {
        f->fast_pt = AW_PT_INTEGER;
        f->fast = f->width == 1 ? AW_FAST_X1
                : f->width == 2 ? AW_FAST_X2
                : f->width == 4 ? AW_FAST_X4 : AW_FAST_X8;
    } else if (f->kind == AW_FK_FLOAT && (f->width == 4 || f->width == 8)) {
        f->fast_pt = AW_PT_FLOAT;
        f->fast = f->width == 4 ? AW_FAST_F4 : AW_FAST_X8; /* f8: the double's bits */
    }
}

/* The fast path's store: what the converter the plan picked for this
 * particle writes (int_to_x*, flt_to_f4, flt_to_f8), inline. */
static inline void fast_store(uint8_t *d, uint8_t fast, const uint8_t *v) {
    uint64_t x = aw_load_u64be(v);
    switch (fast) {
    case AW_FAST_X1: st1(d, x, false); break;
    case AW_FAST_X2: st2(d, x, false); break;
    case AW_FAST_X4: st4(d, x, false); break;
    case AW_FAST_F4: stf4(d, load_double(v), false); break;
    default: st8(d, x, false); break;
    }
}

bool aw_plan_field_swaps(const aw_plan_field *f) {
    if (f->kind == AW_FK_ARRAY)
        return f->big_endian && f->width > 1;
    if (f->kind == AW_FK_BYTES || f->width == 1)
        return false;
    return f->big_endian != AW_HOST_BIG_ENDIAN;
}

/* ---- one row ---------------------------------------------------------------- */

/* Inline: a call to memcmp for every field of every row costs more than
 * the comparison. Nothing is read past the name's nl bytes (the reply may
 * end right after them). */
static inline bool name_eq(const aw_plan_field *f, const char *name, uint8_t nl) {
    return f->name_len == nl && aw_short_eq(f->name, name, nl);
}

static inline uint32_t find_field(aw_row_plan *p, uint32_t prev, const char *name, uint8_t nl) {
    uint32_t guess = p->succ[prev];
    if (guess < p->n && name_eq(&p->fields[guess], name, nl))
        return guess;
    const aw_plan_field *f = aw_row_plan_find(p, name, nl);
    if (!f)
        return UINT32_MAX;
    uint32_t idx = (uint32_t)(f - p->fields);
    p->succ[prev] = idx; /* next time, try this one first */
    return idx;
}

int aw_row_plan_decode(aw_row_plan *p, uint8_t *row, const aw_msg_view *m) {
    /* The message was validated (aw_msg_parse): every op's size fits, so
     * the walk below needs no checks. */
    const uint8_t *op = m->ops;
    uint32_t left = m->h.n_ops;
    bool zero_first = p->zero_first;
    if (zero_first)
        memset(row, 0, p->itemsize);
    uint64_t written = 0;
    uint32_t prev = p->n;
    int code = AW_OK;
    for (; left; left--) {
        uint32_t sz = aw_load_u32be(op);
        uint8_t particle = op[5];
        uint8_t nl = op[7];
        const char *name = (const char *)op + 8;
        const uint8_t *value = op + 8 + nl;
        uint32_t vlen = sz - 4 - nl;
        op += 4 + (size_t)sz;

        uint32_t idx = find_field(p, prev, name, nl);
        if (idx == UINT32_MAX)
            continue; /* a bin the dtype does not ask for */
        prev = idx;
        const aw_plan_field *f = &p->fields[idx];
        if (particle == f->fast_pt && f->fast != AW_FAST_NONE && vlen == 8) {
            fast_store(row + f->offset, f->fast, value);
        } else {
            int rc = f->conv[aw_particle_class[particle]](row + f->offset, f, value, vlen);
            if (rc != AW_OK && code == AW_OK)
                code = rc;
        }
        written |= 1ull << (idx & 63);
    }
    if (!zero_first) {
        for (uint32_t i = 0; i < p->n; i++)
            if (!(written & (1ull << i)))
                memset(row + p->fields[i].offset, 0, p->fields[i].size);
        for (uint32_t g = 0; g < p->n_gaps; g++)
            memset(row + p->gaps[g].offset, 0, p->gaps[g].len);
    }
    return code;
}

/* ---- the read sink ------------------------------------------------------------ */

void aw_rows_sink_row(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *msg,
                      const aw_error *err) {
    (void)in_doubt;
    (void)err;
    aw_rows_sink_ctx *c = ctx;
    uint8_t *row = c->rows + i * c->plan->itemsize;
    int code;
    if (result == AW_OK && msg) {
        code = aw_row_plan_decode(c->plan, row, msg);
        if (c->meta) {
            c->meta[i].gen = msg->h.generation;
            c->meta[i].ttl = aw_void_time_to_ttl(msg->h.record_ttl, c->now);
        }
    } else {
        code = result != AW_OK ? result : AW_ERR_CLIENT;
        memset(row, 0, c->plan->itemsize);
        if (c->meta) {
            c->meta[i].gen = 0;
            c->meta[i].ttl = 0;
        }
    }
    if (c->codes)
        c->codes[i] = code;
}
