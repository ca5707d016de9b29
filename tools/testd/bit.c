/*
 * aw-testd: bit operations on BLOB bins, as the real server does them
 * (as/src/base/particle_blob.c: bits_modify, bits_read and their op tables).
 *
 * The op is parsed first (any fault: PARAMETER), then the bin is checked
 * (exists / type / may be created, with the write flags), then the range
 * (byte-wise for resize, insert and remove, bit-wise for the rest), and only
 * then is anything changed. The server works byte-wise with shifts; aw-testd
 * works bit by bit on the same ranges, which gives the same bytes.
 *
 * Where the server's result is not what its code intends, the server's is
 * kept: RSCAN looks at the bits before the range inside its first byte too,
 * so a match there answers a negative position. Where the server's code
 * reads or writes past its buffers (an empty bytes argument; a PARTIAL
 * OR/XOR/AND/shift starting past the blob's first byte, whose size it
 * miscounts: a left shift by a multiple of 8 there crashes CE 8.1.2.0),
 * aw-testd refuses the empty argument with PARAMETER and clips the PARTIAL
 * range at the blob's end, as the server intends.
 */
#include "bit.h"

#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "mp_in.h"
#include "proto/particle.h"
#include "value_op.h"

#define PROTO_SIZE_MAX (128u * 1024 * 1024) /* proto.h: the largest blob a bit op may make */

/* Op codes (proto.h as_bits_op_type). */
enum {
    BIT_RESIZE, BIT_INSERT, BIT_REMOVE, BIT_SET, BIT_OR, BIT_XOR, BIT_AND, BIT_NOT, BIT_LSHIFT,
    BIT_RSHIFT, BIT_ADD, BIT_SUBTRACT, BIT_SET_INT, BIT_MODIFY_END
};
enum { BIT_GET = 50, BIT_COUNT, BIT_LSCAN, BIT_RSCAN, BIT_GET_INT, BIT_READ_END };

/* Write flags, resize flags and integer flags (proto.h). */
#define FLAG_CREATE_ONLY 1u
#define FLAG_UPDATE_ONLY 2u
#define FLAG_NO_FAIL 4u
#define FLAG_PARTIAL 8u
#define RESIZE_FROM_FRONT 1u
#define RESIZE_GROW_ONLY 2u
#define RESIZE_SHRINK_ONLY 4u
#define INT_SIGNED 1u
#define INT_SATURATE 2u
#define INT_WRAP 4u

/* The argument parsers of the server's op tables (bits_parse_*). */
typedef enum arg_kind {
    ARG_BYTE_OFFSET, ARG_OFFSET, ARG_INT_SIZE, ARG_BYTE_SIZE, ARG_BYTE_SIZE_0, ARG_SIZE, ARG_BOOL,
    ARG_N_BITS, ARG_INT_VALUE, ARG_BUF, ARG_FLAGS, ARG_RESIZE_FLAGS, ARG_ARITH_FLAGS,
    ARG_GET_INT_FLAGS
} arg_kind;

/* How the op's range is checked against the blob (bits_prepare_*_op). */
typedef enum range_kind { RANGE_RESIZE, RANGE_INSERT, RANGE_REMOVE, RANGE_MODIFY, RANGE_INSIDE } range_kind;

typedef struct op_def {
    uint8_t range;
    uint8_t allowed_flags;
    uint8_t min_args, max_args;
    uint8_t args[5];
} op_def;

#define WRITE_FLAGS_CREATE (FLAG_CREATE_ONLY | FLAG_UPDATE_ONLY | FLAG_NO_FAIL)
#define WRITE_FLAGS_PARTIAL (FLAG_UPDATE_ONLY | FLAG_NO_FAIL | FLAG_PARTIAL)
#define WRITE_FLAGS_INT (FLAG_UPDATE_ONLY | FLAG_NO_FAIL)
#define BUF_OP {RANGE_MODIFY, WRITE_FLAGS_PARTIAL, 3, 4, {ARG_OFFSET, ARG_SIZE, ARG_BUF, ARG_FLAGS}}
#define SHIFT_OP {RANGE_MODIFY, WRITE_FLAGS_PARTIAL, 3, 4, {ARG_OFFSET, ARG_SIZE, ARG_N_BITS, ARG_FLAGS}}
#define ARITH_OP                                                                                   \
    {RANGE_INSIDE, WRITE_FLAGS_INT, 3, 5,                                                          \
     {ARG_OFFSET, ARG_INT_SIZE, ARG_INT_VALUE, ARG_FLAGS, ARG_ARITH_FLAGS}}
#define SCAN_OP {RANGE_INSIDE, 0, 3, 3, {ARG_OFFSET, ARG_SIZE, ARG_BOOL}}

static const op_def modify_defs[BIT_MODIFY_END] = {
    [BIT_RESIZE] = {RANGE_RESIZE, WRITE_FLAGS_CREATE, 1, 3,
                    {ARG_BYTE_SIZE_0, ARG_FLAGS, ARG_RESIZE_FLAGS}},
    [BIT_INSERT] = {RANGE_INSERT, WRITE_FLAGS_CREATE, 2, 3, {ARG_BYTE_OFFSET, ARG_BUF, ARG_FLAGS}},
    [BIT_REMOVE] = {RANGE_REMOVE, WRITE_FLAGS_PARTIAL, 2, 3,
                    {ARG_BYTE_OFFSET, ARG_BYTE_SIZE, ARG_FLAGS}},
    [BIT_SET] = BUF_OP, [BIT_OR] = BUF_OP, [BIT_XOR] = BUF_OP, [BIT_AND] = BUF_OP,
    [BIT_NOT] = {RANGE_MODIFY, WRITE_FLAGS_PARTIAL, 2, 3, {ARG_OFFSET, ARG_SIZE, ARG_FLAGS}},
    [BIT_LSHIFT] = SHIFT_OP, [BIT_RSHIFT] = SHIFT_OP,
    [BIT_ADD] = ARITH_OP, [BIT_SUBTRACT] = ARITH_OP,
    [BIT_SET_INT] = {RANGE_INSIDE, WRITE_FLAGS_INT, 3, 4,
                     {ARG_OFFSET, ARG_INT_SIZE, ARG_INT_VALUE, ARG_FLAGS}},
};

static const op_def read_defs[BIT_READ_END - BIT_GET] = {
    [BIT_GET - BIT_GET] = {RANGE_INSIDE, 0, 2, 2, {ARG_OFFSET, ARG_SIZE}},
    [BIT_COUNT - BIT_GET] = {RANGE_INSIDE, 0, 2, 2, {ARG_OFFSET, ARG_SIZE}},
    [BIT_LSCAN - BIT_GET] = SCAN_OP,
    [BIT_RSCAN - BIT_GET] = SCAN_OP,
    [BIT_GET_INT - BIT_GET] = {RANGE_INSIDE, 0, 2, 3, {ARG_OFFSET, ARG_INT_SIZE, ARG_GET_INT_FLAGS}},
};

typedef struct bit_op {
    unsigned code;
    const op_def *def;
    int64_t offset;    /* in bits; negative counts from the end */
    uint32_t size;     /* in bits */
    uint64_t value;
    const uint8_t *buf;
    uint64_t subflags;
    uint64_t flags;
} bit_op;

/* ---- parsing (bits_state_init, bits_parse_op and the arg parsers) ---- */

/* False for a bit outside `allowed`, or for every bit of `exclusive` set. */
static bool flags_ok(uint64_t v, uint64_t allowed, uint64_t exclusive) {
    return (v & ~allowed) == 0 && !(exclusive && (v & exclusive) == exclusive);
}

static bool parse_arg(td_mp *c, arg_kind kind, bit_op *o) {
    uint64_t v;
    if (kind == ARG_BOOL)
        return td_mp_bool(c, &o->value);
    if (kind == ARG_BUF) {
        uint32_t n;
        const uint8_t *p = td_mp_bytes(c, &n);
        /* The first byte is the blob's particle type, ignored; an empty
         * argument the server misreads (see the top): refused. */
        if (!p || n <= 1)
            return false;
        uint64_t bits = (uint64_t)(n - 1) * 8;
        if (o->size == 0)
            o->size = (uint32_t)bits;
        else if (bits < o->size)
            return false;
        o->buf = p + 1;
        return true;
    }
    if (!td_mp_uint(c, &v))
        return false;
    int64_t s = (int64_t)v;
    switch (kind) {
    case ARG_BYTE_OFFSET:
        if (s > (int64_t)PROTO_SIZE_MAX || s < -(int64_t)PROTO_SIZE_MAX)
            return false;
        o->offset = s * 8;
        return true;
    case ARG_OFFSET:
        if (s > (int64_t)PROTO_SIZE_MAX * 8 || s < -(int64_t)PROTO_SIZE_MAX * 8)
            return false;
        o->offset = s;
        return true;
    case ARG_INT_SIZE:
        if (v == 0 || v > 64)
            return false;
        o->size = (uint32_t)v;
        return true;
    case ARG_BYTE_SIZE:
    case ARG_BYTE_SIZE_0:
        if ((v == 0 && kind == ARG_BYTE_SIZE) || v > PROTO_SIZE_MAX)
            return false;
        o->size = (uint32_t)v * 8;
        return true;
    case ARG_SIZE:
        if (v == 0 || v > (uint64_t)PROTO_SIZE_MAX * 8)
            return false;
        o->size = (uint32_t)v;
        return true;
    case ARG_N_BITS:
        o->value = v;
        return v <= (uint64_t)PROTO_SIZE_MAX * 8;
    case ARG_INT_VALUE:
        o->value = v;
        return true;
    case ARG_FLAGS:
        o->flags = v;
        return flags_ok(v, o->def->allowed_flags, FLAG_CREATE_ONLY | FLAG_UPDATE_ONLY);
    case ARG_RESIZE_FLAGS:
        o->subflags = v;
        return flags_ok(v, RESIZE_FROM_FRONT | RESIZE_GROW_ONLY | RESIZE_SHRINK_ONLY,
                           RESIZE_GROW_ONLY | RESIZE_SHRINK_ONLY);
    case ARG_ARITH_FLAGS:
        o->subflags = v;
        return flags_ok(v, INT_SIGNED | INT_SATURATE | INT_WRAP, INT_SATURATE | INT_WRAP);
    case ARG_GET_INT_FLAGS:
        o->subflags = v;
        return flags_ok(v, INT_SIGNED, 0);
    default:
        return false;
    }
}

/* False for anything the server answers PARAMETER while parsing. */
static bool parse_op(const aw_op_view *op, bool is_read, bit_op *o) {
    memset(o, 0, sizeof *o);
    td_mp c = {op->value, op->value_len, 0};
    uint32_t n;
    uint64_t code;
    if (!td_mp_list(&c, &n) || n == 0 || !td_mp_uint(&c, &code))
        return false;
    if (is_read && code >= BIT_GET && code < BIT_READ_END)
        o->def = &read_defs[code - BIT_GET];
    else if (!is_read && code < BIT_MODIFY_END)
        o->def = &modify_defs[code];
    else
        return false; /* a context wrapper (0xff) lands here too */
    o->code = (unsigned)code;
    uint32_t n_args = n - 1;
    if (n_args < o->def->min_args || n_args > o->def->max_args)
        return false;
    for (uint32_t i = 0; i < n_args; i++)
        if (!parse_arg(&c, (arg_kind)o->def->args[i], o))
            return false;
    return true;
}

/* ---- range checks (bits_prepare_op and the bits_prepare_*_op) ---- */

/* What the op does to the blob: bytes [cut, cut + cut_len) go (or come, for
 * growth), or bits [bit, bit + n_bits) are worked on in place. */
typedef struct plan {
    uint32_t old_size, new_size;
    uint32_t cut, cut_len; /* bytes removed, or inserted at cut */
    bool front;            /* resize: at the front rather than the end */
    uint32_t pad;          /* zero bytes before an insert past the end */
    uint64_t bit;          /* first bit of an in-place op */
    uint32_t n_bits;
} plan;

/* The server's refusal or, under NO_FAIL, a silent no-op. */
static int refuse(const bit_op *o, int code) { return (o->flags & FLAG_NO_FAIL) ? AW_OK : code; }

#define GO 1 /* prepare: the op changes or reads something */

/* 1 to go on, AW_OK for a no-op, or the server's code. */
static int prepare(bit_op *o, bool live, uint32_t old_size, plan *pl) {
    memset(pl, 0, sizeof *pl);
    pl->old_size = old_size;
    if (o->offset < 0) {
        if (!live || (uint64_t)-o->offset > (uint64_t)old_size * 8)
            return AW_ERR_REQUEST_INVALID;
        o->offset += (int64_t)old_size * 8;
    }
    uint32_t byte_off = (uint32_t)(o->offset / 8);
    uint32_t op_size = (uint32_t)((o->offset % 8 + o->size + 7) / 8);
    pl->bit = (uint64_t)o->offset;
    pl->n_bits = o->size;
    pl->new_size = old_size;
    switch (o->def->range) {
    case RANGE_RESIZE:
        if (op_size == old_size)
            return AW_OK;
        if (op_size < old_size && (o->subflags & RESIZE_GROW_ONLY))
            return refuse(o, AW_ERR_REQUEST_INVALID);
        if (op_size > old_size && (o->subflags & RESIZE_SHRINK_ONLY))
            return refuse(o, AW_ERR_REQUEST_INVALID);
        pl->new_size = op_size;
        pl->cut_len = op_size < old_size ? old_size - op_size : op_size - old_size;
        pl->front = (o->subflags & RESIZE_FROM_FRONT) != 0;
        break;
    case RANGE_INSERT:
        pl->pad = byte_off > old_size ? byte_off - old_size : 0;
        pl->cut = byte_off > old_size ? old_size : byte_off;
        pl->cut_len = op_size;
        pl->new_size = old_size + pl->pad + op_size;
        break;
    case RANGE_REMOVE:
        if (byte_off >= old_size)
            return refuse(o, AW_ERR_REQUEST_INVALID);
        if ((uint64_t)byte_off + op_size > old_size) {
            if (!(o->flags & FLAG_PARTIAL))
                return refuse(o, AW_ERR_REQUEST_INVALID);
            op_size = old_size - byte_off;
        }
        pl->cut = byte_off;
        pl->cut_len = op_size;
        pl->new_size = old_size - op_size;
        break;
    case RANGE_MODIFY:
    case RANGE_INSIDE:
        if (byte_off >= old_size)
            return refuse(o, AW_ERR_OP_NOT_APPLICABLE);
        if ((uint64_t)byte_off + op_size > old_size) {
            if (o->def->range != RANGE_MODIFY || !(o->flags & FLAG_PARTIAL))
                return refuse(o, AW_ERR_OP_NOT_APPLICABLE);
            pl->n_bits = (uint32_t)((uint64_t)old_size * 8 - pl->bit); /* to the end */
        }
        break;
    default:
        return AW_ERR_REQUEST_INVALID;
    }
    if (pl->new_size >= PROTO_SIZE_MAX)
        return AW_ERR_REQUEST_INVALID;
    return GO;
}

/* ---- bits; bit 0 is the high bit of byte 0 ---- */

static bool bit_get(const uint8_t *p, uint64_t i) { return (p[i >> 3] >> (7 - (i & 7))) & 1; }

static void bit_put(uint8_t *p, uint64_t i, bool v) {
    uint8_t m = (uint8_t)(0x80u >> (i & 7));
    p[i >> 3] = v ? (uint8_t)(p[i >> 3] | m) : (uint8_t)(p[i >> 3] & ~m);
}

static uint64_t field_load(const uint8_t *p, uint64_t at, uint32_t n) {
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v = v << 1 | bit_get(p, at + i);
    return v;
}

static void field_store(uint8_t *p, uint64_t at, uint32_t n, uint64_t v) {
    for (uint32_t i = 0; i < n; i++)
        bit_put(p, at + i, (v >> (n - 1 - i)) & 1);
}

static int64_t sign_extend(uint64_t v, uint32_t n) {
    unsigned lead = 64 - n;
    return (int64_t)(v << lead) >> lead;
}

/* handle_signed_overflow: false to fail, else *result saturated as asked. */
static bool signed_overflow(uint32_t n, bool saturate, uint64_t load, uint64_t value,
                            uint64_t *result) {
    uint64_t mask = ~0ull >> (64 - n);
    int64_t r = sign_extend(*result, n), l = sign_extend(load, n), v = sign_extend(value, n);
    if (l < 0 && v < 0 && r > 0) {
        if (!saturate)
            return false;
        *result = (mask >> (n - 1)) << (n - 1); /* the most negative */
    } else if (l > 0 && v > 0 && r < 0) {
        if (!saturate)
            return false;
        *result = mask >> 1; /* the most positive */
    }
    return true;
}

/* bits_modify_op_add / _subtract: false when the overflow must fail. */
static bool arith(const bit_op *o, uint64_t load, uint64_t *result) {
    uint32_t n = o->size;
    uint64_t mask = ~0ull >> (64 - n);
    uint64_t value = o->value & mask;
    bool add = o->code == BIT_ADD;
    bool saturate = (o->subflags & INT_SATURATE) != 0;
    *result = (add ? load + value : load - value) & mask;
    if (o->subflags & INT_WRAP)
        return true;
    if (o->subflags & INT_SIGNED)
        return signed_overflow(n, saturate, load, add ? value : (uint64_t)-(int64_t)value, result);
    if (add ? *result < load : *result > load) {
        if (!saturate)
            return false;
        *result = add ? mask : 0;
    }
    return true;
}

/* Changes bits [at, at + n) of `to` (a copy of `from`); false when an
 * add/subtract overflow must fail. */
static bool modify_bits(const bit_op *o, uint8_t *to, const uint8_t *from, uint64_t at,
                        uint32_t n) {
    uint64_t s = o->value;
    switch (o->code) {
    case BIT_SET: case BIT_OR: case BIT_XOR: case BIT_AND:
        for (uint32_t i = 0; i < n; i++) {
            bool a = bit_get(from, at + i), b = bit_get(o->buf, i);
            bool r = o->code == BIT_SET ? b : o->code == BIT_OR ? (a | b) : o->code == BIT_XOR ? (a ^ b) : (a & b);
            bit_put(to, at + i, r);
        }
        return true;
    case BIT_NOT:
        for (uint32_t i = 0; i < n; i++)
            bit_put(to, at + i, !bit_get(from, at + i));
        return true;
    case BIT_LSHIFT:
        for (uint32_t i = 0; i < n; i++)
            bit_put(to, at + i, i + s < n && bit_get(from, at + i + s));
        return true;
    case BIT_RSHIFT:
        for (uint32_t i = 0; i < n; i++)
            bit_put(to, at + i, i >= s && bit_get(from, at + i - s));
        return true;
    case BIT_SET_INT:
        field_store(to, at, n, o->value & (~0ull >> (64 - n)));
        return true;
    case BIT_ADD:
    case BIT_SUBTRACT: {
        uint64_t result;
        if (!arith(o, field_load(from, at, n), &result))
            return false;
        field_store(to, at, n, result);
        return true;
    }
    default:
        return false;
    }
}

/* The new blob bytes (malloc'd, at least 1 byte) or NULL on OOM; *failed
 * when an add/subtract overflow refuses. */
static uint8_t *build(const bit_op *o, const plan *pl, const uint8_t *old, bool *failed) {
    uint8_t *to = calloc(pl->new_size ? pl->new_size : 1, 1);
    if (!to)
        return NULL;
    switch (o->def->range) {
    case RANGE_RESIZE:
        if (pl->new_size < pl->old_size) /* cut_len bytes go, at the front or the end */
            memcpy(to, old + (pl->front ? pl->cut_len : 0), pl->new_size);
        else if (pl->old_size) /* cut_len zero bytes come, at the front or the end */
            memcpy(to + (pl->front ? pl->cut_len : 0), old, pl->old_size);
        break;
    case RANGE_INSERT:
        if (pl->cut)
            memcpy(to, old, pl->cut);
        memcpy(to + pl->cut + pl->pad, o->buf, pl->cut_len);
        if (pl->old_size > pl->cut)
            memcpy(to + pl->cut + pl->pad + pl->cut_len, old + pl->cut, pl->old_size - pl->cut);
        break;
    case RANGE_REMOVE:
        memcpy(to, old, pl->cut);
        memcpy(to + pl->cut, old + pl->cut + pl->cut_len, pl->old_size - pl->cut - pl->cut_len);
        break;
    default:
        memcpy(to, old, pl->old_size);
        if (!modify_bits(o, to, old, pl->bit, pl->n_bits)) {
            free(to);
            *failed = true;
            return NULL;
        }
        break;
    }
    return to;
}

int td_bit_modify(td_record *w, const aw_op_view *op) {
    if (op->particle != AW_PT_BLOB)
        return AW_ERR_BIN_INCOMPATIBLE_TYPE; /* as_bin_bits_modify_tr */
    bit_op o;
    if (!parse_op(op, false, &o))
        return AW_ERR_REQUEST_INVALID;
    td_bin *b = td_bin_find(w, op->name, op->name_len);
    if (b) {
        if (o.flags & FLAG_CREATE_ONLY)
            return refuse(&o, AW_ERR_BIN_EXISTS);
        if (b->ptype != AW_PT_BLOB)
            return AW_ERR_BIN_INCOMPATIBLE_TYPE;
    } else if ((o.code != BIT_INSERT && o.code != BIT_RESIZE) || (o.flags & FLAG_UPDATE_ONLY)) {
        return refuse(&o, AW_ERR_BIN_NOT_FOUND);
    }
    plan pl;
    int rc = prepare(&o, b != NULL, b ? b->len : 0, &pl);
    if (rc != GO)
        return rc;
    bool failed = false;
    uint8_t *blob = build(&o, &pl, b ? b->data : NULL, &failed);
    if (!blob)
        return failed ? refuse(&o, AW_ERR_OP_NOT_APPLICABLE) : AW_ERR_SERVER_FULL;
    if (b) {
        free(b->data);
        b->data = blob;
        b->len = pl.new_size;
        return AW_OK;
    }
    rc = td_bin_set(w, op->name, op->name_len, AW_PT_BLOB, blob, pl.new_size) ? AW_ERR_SERVER_FULL
                                                                              : AW_OK;
    free(blob);
    return rc;
}

/* bits_read_op_rscan looks back into the range's first byte as far as its
 * first bit, so a match before the range answers a negative position. */
static int64_t rscan(const uint8_t *p, uint64_t at, uint32_t n, bool v) {
    uint64_t first = at & ~7ull;
    for (uint64_t i = at + n; i > first; i--)
        if (bit_get(p, i - 1) == v)
            return (int64_t)(i - 1) - (int64_t)at;
    return -1;
}

int td_bit_read(td_record *rec, const aw_op_view *op, aw_value *result, aw_arena *arena) {
    *result = aw_value_nil();
    td_bin *b = td_bin_find(rec, op->name, op->name_len);
    if (!b)
        return AW_OK; /* rw_utils.c: no bin, no result (NULL under respond-all) */
    if (op->particle != AW_PT_BLOB)
        return AW_ERR_BIN_INCOMPATIBLE_TYPE;
    bit_op o;
    if (!parse_op(op, true, &o))
        return AW_ERR_REQUEST_INVALID;
    if (b->ptype != AW_PT_BLOB)
        return AW_ERR_BIN_INCOMPATIBLE_TYPE;
    plan pl;
    int rc = prepare(&o, true, b->len, &pl);
    if (rc != GO)
        return rc;
    uint64_t at = pl.bit;
    uint32_t n = pl.n_bits;
    switch (o.code) {
    case BIT_GET: {
        uint32_t len = (n + 7) / 8;
        uint8_t *out = aw_arena_alloc(arena, len);
        if (!out)
            return AW_ERR_SERVER_FULL;
        memset(out, 0, len);
        for (uint32_t i = 0; i < n; i++)
            bit_put(out, i, bit_get(b->data, at + i));
        *result = aw_value_blob(out, len);
        return AW_OK;
    }
    case BIT_COUNT: {
        int64_t count = 0;
        for (uint32_t i = 0; i < n; i++)
            count += bit_get(b->data, at + i);
        *result = aw_value_int(count);
        return AW_OK;
    }
    case BIT_LSCAN: {
        int64_t found = -1;
        for (uint32_t i = 0; i < n && found < 0; i++)
            if (bit_get(b->data, at + i) == (o.value != 0))
                found = i;
        *result = aw_value_int(found);
        return AW_OK;
    }
    case BIT_RSCAN:
        *result = aw_value_int(rscan(b->data, at, n, o.value != 0));
        return AW_OK;
    default: { /* BIT_GET_INT */
        uint64_t v = field_load(b->data, at, n);
        *result = aw_value_int((o.subflags & INT_SIGNED) ? sign_extend(v, n) : (int64_t)v);
        return AW_OK;
    }
    }
}

/* Value-level entry for expression CALLs (see td_value_op_eval). */
int td_bit_eval(aw_value *blob, const uint8_t *op, size_t len, bool modify, aw_value *result,
                aw_arena *arena) {
    return td_value_op_eval(blob, op, len, modify ? AW_OP_BIT_MODIFY : AW_OP_BIT_READ, result,
                            arena);
}
