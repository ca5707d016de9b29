/*
 * List and map op dicts (aerowire.list_operations, map_operations) into
 * aw_op through the aw_cdt_* builders, and cdt_ctx paths into aw_ctx.
 *
 * A table maps each op code to its builder and the shape of its arguments;
 * an op whose count is None takes the builder's *_to_end / *_from form.
 * The encoder checks what the builders do not (return types, flags, path
 * items) and answers AW_ERR_PARAM (ParamError) naming the op.
 */
#include "pyaw_ops.h"


/* ---- contexts ---- */

/* The official client's context ids, and aerowire's path items. */
enum {
    CTX_LIST_INDEX_CREATE = 0x14,
    CTX_MAP_KEY_CREATE = 0x24,
};

static int ctx_item(const pyaw_opdict *o, PyObject *t, Py_ssize_t at, aw_ctx_item *item,
                    pyaw_conv *c) {
    Py_ssize_t n = PyTuple_Check(t) ? PyTuple_GET_SIZE(t) : 0;
    long id = n >= 2 && PyLong_Check(PyTuple_GET_ITEM(t, 0))
                  ? PyLong_AsLong(PyTuple_GET_ITEM(t, 0)) : -1;
    if (id < 0 || (n != 2 && n != 4)) {
        PyErr_Clear();
        return pyaw_op_error(o, PyExc_TypeError,
                             "ctx item %zd is not a context (made by aerowire.cdt_ctx)", at);
    }
    PyObject *v = PyTuple_GET_ITEM(t, 1);
    aw_value value = aw_value_nil();
    int64_t i = 0;
    long order = n == 4 ? PyLong_AsLong(PyTuple_GET_ITEM(t, 2)) : 0;
    int pad = n == 4 ? PyObject_IsTrue(PyTuple_GET_ITEM(t, 3)) : 0;
    if ((order == -1 || pad < 0) && PyErr_Occurred())
        return -1;
    const aw_exp *exp = NULL;
    switch (id) {
    case AW_CTX_LIST_INDEX: case AW_CTX_LIST_RANK: case AW_CTX_MAP_INDEX:
    case AW_CTX_MAP_RANK: case CTX_LIST_INDEX_CREATE:
        if (!PyLong_Check(v) || PyBool_Check(v))
            return pyaw_op_error(o, PyExc_TypeError, "ctx item %zd needs an int index or rank",
                                 at);
        if (pyaw_value_from_py(v, &value, c, 1) < 0)
            return -1;
        i = value.u.i;
        *item = id == AW_CTX_LIST_INDEX  ? aw_ctx_list_index(i)
                : id == AW_CTX_LIST_RANK ? aw_ctx_list_rank(i)
                : id == AW_CTX_MAP_INDEX ? aw_ctx_map_index(i)
                : id == AW_CTX_MAP_RANK  ? aw_ctx_map_rank(i)
                                         : aw_ctx_list_index_create(i, (aw_list_order)order, pad);
        return 0;
    case AW_CTX_LIST_VALUE: case AW_CTX_MAP_KEY: case AW_CTX_MAP_VALUE: case CTX_MAP_KEY_CREATE:
    case AW_CTX_MAP_KEYS_IN:
        if (pyaw_value_from_py(v, &value, c, 1) < 0)
            return -1;
        if (id == AW_CTX_MAP_KEYS_IN && value.type != AW_LIST)
            return pyaw_op_error(o, PyExc_TypeError, "ctx item %zd needs a list of keys", at);
        *item = id == AW_CTX_LIST_VALUE  ? aw_ctx_list_value(value)
                : id == AW_CTX_MAP_KEY   ? aw_ctx_map_key(value)
                : id == AW_CTX_MAP_VALUE ? aw_ctx_map_value(value)
                : id == AW_CTX_MAP_KEYS_IN ? aw_ctx_map_keys_in(value)
                                           : aw_ctx_map_key_create(value, (aw_map_order)order);
        return 0;
    case AW_CTX_EXP:
        if (v == Py_None) {
            *item = aw_ctx_all_children();
            return 0;
        }
        /* fall through */
    case AW_CTX_AND_EXP:
        if (pyaw_exp_from_py(v, &exp, c, "a ctx filter") < 0)
            return -1;
        *item = id == AW_CTX_EXP ? aw_ctx_all_children_with_filter(exp) : aw_ctx_and_filter(exp);
        return 0;
    default:
        return pyaw_op_error(o, PyExc_ValueError, "ctx item %zd has an unknown type 0x%lx", at,
                             id);
    }
}

int pyaw_ctx_from_py(const pyaw_opdict *o, PyObject *list, const aw_ctx **ctx, pyaw_conv *c) {
    *ctx = NULL;
    if (!list)
        return 0;
    if (!PyList_Check(list) && !PyTuple_Check(list))
        return pyaw_op_error(o, PyExc_TypeError, "'ctx' must be a list of cdt_ctx items, not %s",
                             Py_TYPE(list)->tp_name);
    Py_ssize_t n = PySequence_Size(list);
    if (n == 0)
        return 0;
    if (n > AW_CTX_MAX_ITEMS)
        return pyaw_op_error(o, PyExc_ValueError, "'ctx' has %zd items (at most %d)", n,
                             AW_CTX_MAX_ITEMS);
    aw_ctx *path = pyaw_conv_alloc(c, sizeof *path);
    aw_ctx_item *items = path ? pyaw_conv_alloc(c, (size_t)n * sizeof *items) : NULL;
    if (!items)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PySequence_GetItem(list, i);
        int rc = t ? ctx_item(o, t, i, &items[i], c) : -1;
        /* The tuple's objects stay alive in the op dict's copy held by c:
         * keep the tuple itself too (the list may change). */
        if (t && pyaw_keep(c, t) < 0)
            rc = -1;
        Py_XDECREF(t);
        if (rc < 0)
            return -1;
    }
    path->items = items;
    path->n = (uint32_t)n;
    *ctx = path;
    return 0;
}

/* ---- policies: (order, flags) and (order, flags, mode) tuples ---- */

static int small_ints(const pyaw_opdict *o, PyObject *t, Py_ssize_t n, uint8_t *out) {
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != n)
        return pyaw_op_error(o, PyExc_TypeError, "'policy' is not a %s policy",
                             n == 2 ? "list" : "map");
    for (Py_ssize_t i = 0; i < n; i++) {
        long x = PyLong_AsLong(PyTuple_GET_ITEM(t, i));
        if (x == -1 && PyErr_Occurred())
            return -1;
        if (x < 0 || x > 0xff)
            return pyaw_op_error(o, PyExc_ValueError, "policy value %ld out of range", x);
        out[i] = (uint8_t)x;
    }
    return 0;
}

static int list_policy(const pyaw_opdict *o, aw_list_policy *pol, const aw_list_policy **out) {
    PyObject *t = pyaw_op_field(o, "policy");
    uint8_t v[2];
    *out = NULL;
    if (!t)
        return 0;
    if (small_ints(o, t, 2, v) < 0)
        return -1;
    pol->order = v[0];
    pol->flags = v[1];
    *out = pol;
    return 0;
}

static int map_policy(const pyaw_opdict *o, aw_map_policy *pol, const aw_map_policy **out) {
    PyObject *t = pyaw_op_field(o, "policy");
    uint8_t v[3];
    *out = NULL;
    if (!t)
        return 0;
    if (small_ints(o, t, 3, v) < 0)
        return -1;
    pol->order = v[0];
    pol->flags = v[1];
    pol->mode = v[2];
    *out = pol;
    return 0;
}

/* ---- the table ---- */

typedef const char *B;
typedef const aw_ctx *C;
typedef aw_op (*fn_bin)(B, C);
typedef aw_op (*fn_i)(B, C, int64_t);
typedef aw_op (*fn_in)(B, C, int64_t, uint64_t);
typedef aw_op (*fn_irt)(B, C, int64_t, uint32_t);
typedef aw_op (*fn_inrt)(B, C, int64_t, uint64_t, uint32_t);
typedef aw_op (*fn_vrt)(B, C, aw_value, uint32_t);
typedef aw_op (*fn_range)(B, C, const aw_value *, const aw_value *, uint32_t);
typedef aw_op (*fn_virt)(B, C, aw_value, int64_t, uint32_t);
typedef aw_op (*fn_vinrt)(B, C, aw_value, int64_t, uint64_t, uint32_t);
typedef aw_op (*fn_lpv)(B, C, const aw_list_policy *, aw_value);
typedef aw_op (*fn_lpiv)(B, C, const aw_list_policy *, int64_t, aw_value);
typedef aw_op (*fn_mpv)(B, C, const aw_map_policy *, aw_value);
typedef aw_op (*fn_mpkv)(B, C, const aw_map_policy *, aw_value, aw_value);

/* Argument shapes: which dict keys the op takes, in the builder's order. */
enum shape {
    BIN,      /* (bin, ctx) */
    I,        /* index */
    IN,       /* index, count (None: bin_i's *_from form) */
    IRT,      /* index or rank, rt */
    INRT,     /* index or rank, count (None: *_to_end), rt */
    VRT,      /* val, rt */
    RANGE,    /* begin, end (None: open), rt */
    VINRT,    /* val, index or rank, count (None: *_to_end), rt */
    LPV,      /* list policy, val */
    LPIV,     /* list policy, index, val */
    MPV,      /* map policy, val */
    MPKV,     /* map policy, key, val */
    SORT, SET_ORDER, LIST_CREATE, MAP_SET_POLICY, MAP_CREATE,
};

typedef struct cdt_spec {
    int code;
    enum shape shape;
    fn_bin bin;
    fn_i i;
    fn_in in;
    fn_irt irt;
    fn_inrt inrt;
    fn_vrt vrt;
    fn_range range;
    fn_virt virt;
    fn_vinrt vinrt;
    fn_lpv lpv;
    fn_lpiv lpiv;
    fn_mpv mpv;
    fn_mpkv mpkv;
} cdt_spec;

#define X_IRT(code, f) {code, IRT, .irt = f}
#define X_INRT(code, f) {code, INRT, .inrt = f, .irt = f##_to_end}
#define X_VRT(code, f) {code, VRT, .vrt = f}
#define X_RANGE(code, f) {code, RANGE, .range = f}
#define X_VINRT(code, f) {code, VINRT, .vinrt = f, .virt = f##_to_end}

static const cdt_spec SPECS[] = {
    /* lists: the official client's OP_LIST_* codes */
    {1001, LPV, .lpv = aw_cdt_list_append},
    {1002, LPV, .lpv = aw_cdt_list_append_items},
    {1003, LPIV, .lpiv = aw_cdt_list_insert},
    {1004, LPIV, .lpiv = aw_cdt_list_insert_items},
    {1005, I, .i = aw_cdt_list_pop},
    {1006, IN, .in = aw_cdt_list_pop_range, .i = aw_cdt_list_pop_range_from},
    {1007, I, .i = aw_cdt_list_remove},
    {1008, IN, .in = aw_cdt_list_remove_range, .i = aw_cdt_list_remove_range_from},
    {1009, BIN, .bin = aw_cdt_list_clear},
    {1010, LPIV, .lpiv = aw_cdt_list_set},
    {1011, I, .i = aw_cdt_list_get},
    {1012, IN, .in = aw_cdt_list_get_range, .i = aw_cdt_list_get_range_from},
    {1013, IN, .in = aw_cdt_list_trim},
    {1014, BIN, .bin = aw_cdt_list_size},
    {1015, LPIV, .lpiv = aw_cdt_list_increment},
    X_IRT(1016, aw_cdt_list_get_by_index),
    X_INRT(1017, aw_cdt_list_get_by_index_range),
    X_IRT(1018, aw_cdt_list_get_by_rank),
    X_INRT(1019, aw_cdt_list_get_by_rank_range),
    X_VRT(1020, aw_cdt_list_get_by_value),
    X_VRT(1021, aw_cdt_list_get_by_value_list),
    X_RANGE(1022, aw_cdt_list_get_by_value_range),
    X_IRT(1023, aw_cdt_list_remove_by_index),
    X_INRT(1024, aw_cdt_list_remove_by_index_range),
    X_IRT(1025, aw_cdt_list_remove_by_rank),
    X_INRT(1026, aw_cdt_list_remove_by_rank_range),
    X_VRT(1027, aw_cdt_list_remove_by_value),
    X_VRT(1028, aw_cdt_list_remove_by_value_list),
    X_RANGE(1029, aw_cdt_list_remove_by_value_range),
    {1030, SET_ORDER},
    {1031, SORT},
    X_VINRT(1032, aw_cdt_list_remove_by_value_rel_rank_range),
    X_VINRT(1033, aw_cdt_list_get_by_value_rel_rank_range),
    {1041, LIST_CREATE},
    /* maps: OP_MAP_* */
    {1101, MAP_SET_POLICY},
    {1102, MPKV, .mpkv = aw_cdt_map_put},
    {1103, MPV, .mpv = aw_cdt_map_put_items},
    {1104, MPKV, .mpkv = aw_cdt_map_increment},
    {1105, MPKV, .mpkv = aw_cdt_map_decrement},
    {1106, BIN, .bin = aw_cdt_map_size},
    {1107, BIN, .bin = aw_cdt_map_clear},
    X_VRT(1108, aw_cdt_map_remove_by_key),
    X_VRT(1109, aw_cdt_map_remove_by_key_list),
    X_RANGE(1110, aw_cdt_map_remove_by_key_range),
    X_VRT(1111, aw_cdt_map_remove_by_value),
    X_VRT(1112, aw_cdt_map_remove_by_value_list),
    X_RANGE(1113, aw_cdt_map_remove_by_value_range),
    X_IRT(1114, aw_cdt_map_remove_by_index),
    X_INRT(1115, aw_cdt_map_remove_by_index_range),
    X_IRT(1116, aw_cdt_map_remove_by_rank),
    X_INRT(1117, aw_cdt_map_remove_by_rank_range),
    X_VRT(1118, aw_cdt_map_get_by_key),
    X_RANGE(1119, aw_cdt_map_get_by_key_range),
    X_VRT(1120, aw_cdt_map_get_by_value),
    X_RANGE(1121, aw_cdt_map_get_by_value_range),
    X_IRT(1122, aw_cdt_map_get_by_index),
    X_INRT(1123, aw_cdt_map_get_by_index_range),
    X_IRT(1124, aw_cdt_map_get_by_rank),
    X_INRT(1125, aw_cdt_map_get_by_rank_range),
    X_VRT(1126, aw_cdt_map_get_by_value_list),
    X_VRT(1127, aw_cdt_map_get_by_key_list),
    X_VINRT(1128, aw_cdt_map_remove_by_value_rel_rank_range),
    X_VINRT(1129, aw_cdt_map_remove_by_key_rel_index_range),
    X_VINRT(1130, aw_cdt_map_get_by_value_rel_rank_range),
    X_VINRT(1131, aw_cdt_map_get_by_key_rel_index_range),
    {1144, MAP_CREATE},
};
#define N_SPECS (sizeof SPECS / sizeof SPECS[0])

/* A range end: None (or missing) is open. */
static int range_end(const pyaw_opdict *o, const char *key, aw_value *v, const aw_value **out,
                     pyaw_conv *c) {
    PyObject *x = pyaw_op_field(o, key);
    *out = NULL;
    if (!x)
        return 0;
    if (pyaw_value_from_py(x, v, c, 1) < 0)
        return -1;
    *out = v;
    return 0;
}

/* The special shapes: sort, set_order, create, map_set_policy. */
static int special(const pyaw_opdict *o, const cdt_spec *s, B bin, C ctx, aw_op *op) {
    int64_t order = 0, flags = 0;
    bool pad = false, persist = false;
    if (pyaw_op_int_opt(o, "order", &order) < 0 || pyaw_op_int_opt(o, "flags", &flags) < 0 ||
        pyaw_op_bool(o, "pad", &pad) < 0 || pyaw_op_bool(o, "persist_index", &persist) < 0)
        return -1;
    if (order < 0 || order > 0xff || flags < 0 || flags > 0xff)
        return pyaw_op_error(o, PyExc_ValueError, "order %lld or flags %lld out of range",
                             (long long)order, (long long)flags);
    aw_map_policy mp;
    const aw_map_policy *mpp;
    switch (s->shape) {
    case SORT: *op = aw_cdt_list_sort(bin, ctx, (unsigned)flags); return 0;
    case SET_ORDER: *op = aw_cdt_list_set_order(bin, ctx, (aw_list_order)order); return 0;
    case LIST_CREATE:
        *op = aw_cdt_list_create_all(bin, ctx, (aw_list_order)order, pad, persist);
        return 0;
    case MAP_CREATE:
        *op = aw_cdt_map_create_all(bin, ctx, (aw_map_order)order, persist);
        return 0;
    default: /* MAP_SET_POLICY */
        if (map_policy(o, &mp, &mpp) < 0)
            return -1;
        if (!mpp)
            return pyaw_op_error(o, PyExc_ValueError, "'policy' is missing");
        *op = aw_cdt_map_set_policy(bin, ctx, mpp);
        return 0;
    }
}

int pyaw_cdt_op_from_py(const pyaw_opdict *o, aw_op *op, pyaw_conv *c) {
    const cdt_spec *s = NULL;
    for (size_t k = 0; k < N_SPECS && !s; k++)
        if (SPECS[k].code == o->code)
            s = &SPECS[k];
    if (!s)
        return 1;
    B bin;
    C ctx;
    if (pyaw_op_bin(o, &bin) < 0 || pyaw_ctx_from_py(o, pyaw_op_field(o, "ctx"), &ctx, c) < 0)
        return -1;
    int64_t i = 0, rt = 0;
    uint64_t n = 0;
    int no_count = 1;
    aw_value v = aw_value_nil(), k = aw_value_nil(), begin, end;
    const aw_value *bp, *ep;
    /* The builders copy policies and range ends into the op's arguments. */
    aw_list_policy lp;
    aw_map_policy mp;
    const aw_list_policy *lpp;
    const aw_map_policy *mpp;
    switch (s->shape) {
    case I: case IN: case IRT: case INRT: case LPIV:
        if (pyaw_op_int(o, "index", &i) < 0)
            return -1;
        break;
    case VINRT:
        if (pyaw_op_int(o, "index", &i) < 0 || pyaw_op_value(o, "val", &v, c) < 0)
            return -1;
        break;
    default:
        break;
    }
    if (s->shape == IN || s->shape == INRT || s->shape == VINRT) {
        no_count = !pyaw_op_field(o, "count");
        if (!no_count && pyaw_op_uint(o, "count", UINT64_MAX, &n) < 0)
            return -1;
        if (no_count && s->shape == IN && !s->i)
            return pyaw_op_error(o, PyExc_ValueError, "'count' is missing");
    }
    if ((s->shape == IRT || s->shape == INRT || s->shape == VRT || s->shape == RANGE ||
         s->shape == VINRT) && pyaw_op_int(o, "rt", &rt) < 0)
        return -1;
    switch (s->shape) {
    case BIN: *op = s->bin(bin, ctx); return 0;
    case I: *op = s->i(bin, ctx, i); return 0;
    case IN: *op = no_count ? s->i(bin, ctx, i) : s->in(bin, ctx, i, n); return 0;
    case IRT: *op = s->irt(bin, ctx, i, (uint32_t)rt); return 0;
    case INRT:
        *op = no_count ? s->irt(bin, ctx, i, (uint32_t)rt)
                       : s->inrt(bin, ctx, i, n, (uint32_t)rt);
        return 0;
    case VRT:
        if (pyaw_op_value(o, "val", &v, c) < 0)
            return -1;
        *op = s->vrt(bin, ctx, v, (uint32_t)rt);
        return 0;
    case RANGE:
        if (range_end(o, "begin", &begin, &bp, c) < 0 || range_end(o, "end", &end, &ep, c) < 0)
            return -1;
        *op = s->range(bin, ctx, bp, ep, (uint32_t)rt);
        return 0;
    case VINRT:
        *op = no_count ? s->virt(bin, ctx, v, i, (uint32_t)rt)
                       : s->vinrt(bin, ctx, v, i, n, (uint32_t)rt);
        return 0;
    case LPV: case LPIV:
        if (list_policy(o, &lp, &lpp) < 0 || pyaw_op_value(o, "val", &v, c) < 0)
            return -1;
        *op = s->shape == LPV ? s->lpv(bin, ctx, lpp, v) : s->lpiv(bin, ctx, lpp, i, v);
        return 0;
    case MPV: case MPKV:
        if (map_policy(o, &mp, &mpp) < 0 || pyaw_op_value(o, "val", &v, c) < 0 ||
            (s->shape == MPKV && pyaw_op_value(o, "key", &k, c) < 0))
            return -1;
        *op = s->shape == MPV ? s->mpv(bin, ctx, mpp, v) : s->mpkv(bin, ctx, mpp, k, v);
        return 0;
    default:
        return special(o, s, bin, ctx, op);
    }
}
