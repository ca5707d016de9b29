/*
 * Bit and HLL op dicts (aerowire.bitwise_operations, hll_operations) into
 * aw_op. The builders borrow byte values and lists: they live in the
 * conversion (pyaw_conv) until the command returns.
 */
#include "pyaw_ops.h"


/* The official client's OP_BIT_* codes. */
enum {
    BIT_RESIZE = 2000, BIT_INSERT, BIT_REMOVE, BIT_SET, BIT_OR, BIT_XOR, BIT_AND, BIT_NOT,
    BIT_LSHIFT, BIT_RSHIFT, BIT_ADD, BIT_SUBTRACT, BIT_GET_INT, BIT_SET_INT, BIT_GET, BIT_COUNT,
    BIT_LSCAN, BIT_RSCAN,
};

/* An int field that must fit [lo, hi]. */
static int ranged(const pyaw_opdict *o, const char *key, int64_t lo, int64_t hi, int64_t *out) {
    if (pyaw_op_int(o, key, out) < 0)
        return -1;
    if (*out < lo || *out > hi)
        return pyaw_op_error(o, PyExc_ValueError, "'%s' is %lld (%lld to %lld allowed)", key,
                             (long long)*out, (long long)lo, (long long)hi);
    return 0;
}

static int flags_field(const pyaw_opdict *o, const char *key, unsigned *out) {
    int64_t f = 0;
    int rc = pyaw_op_int_opt(o, key, &f);
    if (rc < 0)
        return -1;
    if (f < 0 || f > 0xffff)
        return pyaw_op_error(o, PyExc_ValueError, "'%s' is %lld", key, (long long)f);
    *out = (unsigned)f;
    return 0;
}

/* The bytes of `value` (bytes or bytearray), held by c. */
static int bytes_field(const pyaw_opdict *o, const void **p, size_t *n, pyaw_conv *c) {
    aw_value v;
    if (pyaw_op_value(o, "value", &v, c) < 0)
        return -1;
    if (v.type != AW_BLOB)
        return pyaw_op_error(o, PyExc_TypeError, "'value' must be bytes");
    *p = v.u.bytes;
    *n = v.len;
    return 0;
}

int pyaw_bit_op_from_py(const pyaw_opdict *o, aw_op *op, pyaw_conv *c) {
    if (o->code < PYAW_OP_BIT_FIRST || o->code > PYAW_OP_BIT_LAST)
        return 1;
    const char *bin;
    unsigned flags = 0;
    int64_t off = 0, size = 0, x = 0;
    const void *p = NULL;
    size_t n = 0;
    bool sign = false;
    long code = o->code;
    if (pyaw_op_bin(o, &bin) < 0 || flags_field(o, "flags", &flags) < 0)
        return -1;
    /* Every op but RESIZE has an offset; all but RESIZE and INSERT a size. */
    if (code != BIT_RESIZE && ranged(o, "offset", INT32_MIN, INT32_MAX, &off) < 0)
        return -1;
    if (code != BIT_INSERT && ranged(o, "size", 0, UINT32_MAX, &size) < 0)
        return -1;
    int32_t o32 = (int32_t)off;
    uint32_t s32 = (uint32_t)size;
    switch (code) {
    case BIT_INSERT: case BIT_SET: case BIT_OR: case BIT_XOR: case BIT_AND:
        if (bytes_field(o, &p, &n, c) < 0)
            return -1;
        break;
    case BIT_LSHIFT: case BIT_RSHIFT:
        if (ranged(o, "shift", 0, UINT32_MAX, &x) < 0)
            return -1;
        break;
    case BIT_ADD: case BIT_SUBTRACT: case BIT_SET_INT:
        if (pyaw_op_int(o, "value", &x) < 0)
            return -1;
        /* fall through */
    case BIT_GET_INT:
        if (pyaw_op_bool(o, "sign", &sign) < 0)
            return -1;
        break;
    case BIT_LSCAN: case BIT_RSCAN:
        if (pyaw_op_bool(o, "value", &sign) < 0) /* the bit looked for */
            return -1;
        break;
    default:
        break;
    }
    unsigned aux = 0; /* RESIZE's resize flags, ADD/SUBTRACT's overflow action */
    if ((code == BIT_RESIZE && flags_field(o, "resize_flags", &aux) < 0) ||
        ((code == BIT_ADD || code == BIT_SUBTRACT) && flags_field(o, "action", &aux) < 0))
        return -1;
    switch (code) {
    case BIT_RESIZE: *op = aw_op_bit_resize(bin, flags, s32, aux); break;
    case BIT_INSERT: *op = aw_op_bit_insert(bin, flags, o32, p, n); break;
    case BIT_REMOVE: *op = aw_op_bit_remove(bin, flags, o32, s32); break;
    case BIT_SET: *op = aw_op_bit_set(bin, flags, o32, s32, p, n); break;
    case BIT_OR: *op = aw_op_bit_or(bin, flags, o32, s32, p, n); break;
    case BIT_XOR: *op = aw_op_bit_xor(bin, flags, o32, s32, p, n); break;
    case BIT_AND: *op = aw_op_bit_and(bin, flags, o32, s32, p, n); break;
    case BIT_NOT: *op = aw_op_bit_not(bin, flags, o32, s32); break;
    case BIT_LSHIFT: *op = aw_op_bit_lshift(bin, flags, o32, s32, (uint32_t)x); break;
    case BIT_RSHIFT: *op = aw_op_bit_rshift(bin, flags, o32, s32, (uint32_t)x); break;
    case BIT_ADD: *op = aw_op_bit_add(bin, flags, o32, s32, x, sign, aux); break;
    case BIT_SUBTRACT: *op = aw_op_bit_subtract(bin, flags, o32, s32, x, sign, aux); break;
    case BIT_SET_INT: *op = aw_op_bit_set_int(bin, flags, o32, s32, x); break;
    case BIT_GET_INT: *op = aw_op_bit_get_int(bin, o32, s32, sign); break;
    case BIT_GET: *op = aw_op_bit_get(bin, o32, s32); break;
    case BIT_COUNT: *op = aw_op_bit_count(bin, o32, s32); break;
    case BIT_LSCAN: *op = aw_op_bit_lscan(bin, o32, s32, sign); break;
    default: *op = aw_op_bit_rscan(bin, o32, s32, sign); break;
    }
    return 0;
}

/* The official client's OP_HLL_* codes. */
enum {
    HLL_ADD = 2100, HLL_DESCRIBE, HLL_FOLD, HLL_GET_COUNT, HLL_GET_INTERSECT_COUNT,
    HLL_GET_SIMILARITY, HLL_GET_UNION, HLL_GET_UNION_COUNT, HLL_INIT, HLL_REFRESH_COUNT,
    HLL_SET_UNION,
};

/* A bit count: None is "not given" (-1). */
static int bits_field(const pyaw_opdict *o, const char *key, int *out) {
    int64_t b = AW_HLL_BITS_UNSET;
    if (pyaw_op_int_opt(o, key, &b) < 0)
        return -1;
    if (b < -1 || b > 64)
        return pyaw_op_error(o, PyExc_ValueError, "'%s' is %lld", key, (long long)b);
    *out = (int)b;
    return 0;
}

/* A list field; with `hll`, every item a bytes value sent as an HLL. */
static int list_field(const pyaw_opdict *o, const char *key, bool hll, aw_value *out,
                      pyaw_conv *c) {
    if (pyaw_op_value(o, key, out, c) < 0)
        return -1;
    if (out->type != AW_LIST)
        return pyaw_op_error(o, PyExc_TypeError, "'%s' must be a list", key);
    for (uint32_t i = 0; hll && i < out->len; i++) {
        aw_value *item = (aw_value *)&out->u.items[i];
        if (item->type != AW_BLOB)
            return pyaw_op_error(o, PyExc_TypeError,
                                 "'%s' item %u is not an HLL (bytes read from an HLL bin)", key,
                                 i);
        item->subtype = AW_PARTICLE_HLL;
    }
    return 0;
}

int pyaw_hll_op_from_py(const pyaw_opdict *o, aw_op *op, pyaw_conv *c) {
    if (o->code < PYAW_OP_HLL_FIRST || o->code > PYAW_OP_HLL_LAST)
        return 1;
    const char *bin;
    unsigned flags = 0;
    int ib = AW_HLL_BITS_UNSET, mb = AW_HLL_BITS_UNSET;
    aw_value list;
    if (pyaw_op_bin(o, &bin) < 0 || flags_field(o, "flags", &flags) < 0 ||
        bits_field(o, "index_bits", &ib) < 0 || bits_field(o, "mh_bits", &mb) < 0)
        return -1;
    switch (o->code) {
    case HLL_ADD:
        if (list_field(o, "values", false, &list, c) < 0)
            return -1;
        *op = aw_op_hll_add(bin, flags, list, ib, mb);
        return 0;
    case HLL_INIT: *op = aw_op_hll_init(bin, flags, ib, mb); return 0;
    case HLL_FOLD: *op = aw_op_hll_fold(bin, ib); return 0;
    case HLL_DESCRIBE: *op = aw_op_hll_describe(bin); return 0;
    case HLL_GET_COUNT: *op = aw_op_hll_get_count(bin); return 0;
    case HLL_REFRESH_COUNT: *op = aw_op_hll_refresh_count(bin); return 0;
    case HLL_SET_UNION: case HLL_GET_UNION: case HLL_GET_UNION_COUNT:
    case HLL_GET_INTERSECT_COUNT: case HLL_GET_SIMILARITY:
        if (list_field(o, "hlls", true, &list, c) < 0)
            return -1;
        *op = o->code == HLL_SET_UNION         ? aw_op_hll_set_union(bin, flags, list)
              : o->code == HLL_GET_UNION       ? aw_op_hll_get_union(bin, list)
              : o->code == HLL_GET_UNION_COUNT ? aw_op_hll_get_union_count(bin, list)
              : o->code == HLL_GET_SIMILARITY  ? aw_op_hll_get_similarity(bin, list)
                                               : aw_op_hll_get_intersect_count(bin, list);
        return 0;
    default:
        return pyaw_op_error(o, PyExc_ValueError, "not supported by aerowire");
    }
}
