/*
 * aw-testd expressions: evaluation (exp.c rt_eval and the eval_* of each
 * op), quirks included: "unknown" (a missing bin, a value of the wrong type,
 * an integer division by zero) travels up through comparisons and
 * arithmetic; and() is false as soon as one argument is false and unknown
 * only when none is; or() likewise with true; exclusive() is unknown as
 * soon as one argument is; integers wrap; shift counts are taken modulo 64
 * (the shift instruction of the machines the server runs on).
 */
#include "exp_internal.h"

#include <math.h>
#include <string.h>

#include "aerowire/error.h"
#include "cdt_list.h"
#include "exp_geo.h"
#include "proto/msgpack.h"

static void set_unknown(exp_val *out) {
    out->unk = true;
    out->v = aw_value_nil();
}

/* Evaluates kid i of n. */
static int kid(exp_rt *rt, const exp_node *n, uint32_t i, exp_val *out) {
    return td_exp_eval_node(rt, n->kids[i], out);
}

static bool unordered_map(const aw_value *v) {
    return v->type == AW_MAP && v->len > 0 && !(v->subtype & 0x01);
}

static bool is_container(const aw_value *v) { return v->type == AW_LIST || v->type == AW_MAP; }

/* msgpack_in.c msgpack_cmp_internal: both values walked in step, element
 * by element, until the first difference (a wildcard ends it as equal);
 * *unordered when a map without key order was met on the way (its
 * cmp_parse_container sets has_unordered_map, and cmp_msgpack then answers
 * unknown). */
static int msgpack_order(const aw_value *x, const aw_value *y, bool *unordered, bool *wild) {
    if (unordered_map(x) || unordered_map(y))
        *unordered = true;
    if ((x->type == AW_NIL && x->subtype == AW_MP_NIL_WILDCARD) ||
        (y->type == AW_NIL && y->subtype == AW_MP_NIL_WILDCARD)) {
        *wild = true;
        return 0;
    }
    if (!is_container(x) || x->type != y->type)
        return td_list_value_cmp(x, y); /* type order, or two scalars */
    if (x->type == AW_MAP && x->len != y->len)
        return x->len < y->len ? -1 : 1; /* maps: size first */
    uint32_t nx = x->type == AW_MAP ? 2 * x->len : x->len;
    uint32_t ny = y->type == AW_MAP ? 2 * y->len : y->len;
    for (uint32_t i = 0; i < nx && i < ny; i++) {
        int c = msgpack_order(&x->u.items[i], &y->u.items[i], unordered, wild);
        if (c || *wild)
            return c;
    }
    return nx < ny ? -1 : nx > ny;
}

static bool cmp_result(uint8_t code, int c) {
    switch (code) {
    case X_EQ: return c == 0;
    case X_NE: return c != 0;
    case X_GT: return c > 0;
    case X_GE: return c >= 0;
    case X_LT: return c < 0;
    default: return c <= 0;
    }
}

/* eval_compare: both sides have the same result type (checked at build). */
static int eval_compare(exp_rt *rt, const exp_node *n, exp_val *out) {
    exp_val a, b;
    int rc = kid(rt, n, 0, &a);
    if (rc != AW_OK || a.unk) {
        *out = a;
        return rc;
    }
    if ((rc = kid(rt, n, 1, &b)) != AW_OK || b.unk) {
        *out = b;
        return rc;
    }
    out->unk = false;
    const aw_value *x = &a.v, *y = &b.v;
    switch (n->kids[0]->type == XT_END ? AW_LIST : x->type) { /* ext values: msgpack order */
    case AW_NIL:
        out->v = aw_value_bool(n->code == X_EQ || n->code == X_GE || n->code == X_LE);
        return AW_OK;
    case AW_BOOL:
        out->v = aw_value_bool(cmp_result(n->code, (int)x->u.b - (int)y->u.b));
        return AW_OK;
    case AW_INT:
        out->v = aw_value_bool(cmp_result(n->code, x->u.i < y->u.i ? -1 : x->u.i > y->u.i));
        return AW_OK;
    case AW_FLOAT: { /* NaN: every comparison but != is false, as C's */
        bool r;
        switch (n->code) {
        case X_EQ: r = x->u.f == y->u.f; break;
        case X_NE: r = x->u.f != y->u.f; break;
        case X_GT: r = x->u.f > y->u.f; break;
        case X_GE: r = x->u.f >= y->u.f; break;
        case X_LT: r = x->u.f < y->u.f; break;
        default: r = x->u.f <= y->u.f; break;
        }
        out->v = aw_value_bool(r);
        return AW_OK;
    }
    case AW_STR:
    case AW_BLOB: { /* cmp_bytes: memcmp, then the shorter first */
        uint32_t m = x->len < y->len ? x->len : y->len;
        int c = m ? memcmp(x->u.bytes, y->u.bytes, m) : 0;
        if (c == 0 && x->len != y->len)
            c = x->len < y->len ? -1 : 1;
        out->v = aw_value_bool(cmp_result(n->code, c));
        return AW_OK;
    }
    default: { /* lists and maps: msgpack order (cmp_msgpack) */
        bool unordered = false, wild = false;
        int c = msgpack_order(x, y, &unordered, &wild);
        if (unordered)
            out->unk = true; /* "illegal comparison of structure containing unordered map" */
        else
            out->v = aw_value_bool(cmp_result(n->code, c));
        return AW_OK;
    }
    }
}

static int eval_regex(exp_rt *rt, const exp_node *n, exp_val *out) {
    exp_val s;
    int rc = kid(rt, n, 0, &s);
    if (rc != AW_OK || s.unk) {
        *out = s;
        return rc;
    }
    /* The subject is copied up to its end as a C string (cf_strndup). */
    char *text = aw_arena_strndup(rt->arena, s.v.u.str, s.v.len);
    if (!text)
        return AW_ERR_SERVER_FULL;
    out->unk = false;
    out->v = aw_value_bool(regexec(n->re, text, 0, NULL, 0) == 0);
    return AW_OK;
}

static int eval_geo(exp_rt *rt, const exp_node *n, exp_val *out) {
    exp_val a, b;
    int rc = kid(rt, n, 0, &a);
    if (rc != AW_OK || a.unk) {
        *out = a;
        return rc;
    }
    if ((rc = kid(rt, n, 1, &b)) != AW_OK || b.unk) {
        *out = b;
        return rc;
    }
    td_geo *ga = aw_arena_alloc(rt->arena, sizeof *ga), *gb = aw_arena_alloc(rt->arena, sizeof *gb);
    if (!ga || !gb)
        return AW_ERR_SERVER_FULL;
    if (td_geo_parse(a.v.u.str, a.v.len, ga) != TD_GEO_OK ||
        td_geo_parse(b.v.u.str, b.v.len, gb) != TD_GEO_OK)
        return AW_ERR_UNSUPPORTED_FEATURE;
    out->unk = false;
    /* as_geojson_match: a point within a region, a region containing a
     * point; point and point, region and region never match. */
    bool a_point = ga->kind == TD_GEO_POINT, b_point = gb->kind == TD_GEO_POINT;
    int within = 0;
    if (a_point && !b_point)
        within = td_geo_region_contains(gb, td_geo_cell_id(ga->lng, ga->lat));
    else if (!a_point && b_point)
        within = td_geo_region_contains(ga, td_geo_cell_id(gb->lng, gb->lat));
    if (within < 0)
        return AW_ERR_UNSUPPORTED_FEATURE; /* on an edge: S2's exact answer not modelled */
    out->v = aw_value_bool(within == 1);
    return AW_OK;
}

/* and / or: a deciding argument ends it; otherwise unknown if any was. */
static int eval_and_or(exp_rt *rt, const exp_node *n, exp_val *out) {
    bool decide = n->code == X_OR; /* the value that ends the evaluation */
    bool any_unk = false;
    for (uint32_t i = 0; i < n->n_kids; i++) {
        exp_val a;
        int rc = kid(rt, n, i, &a);
        if (rc != AW_OK)
            return rc;
        if (a.unk) {
            any_unk = true;
            continue;
        }
        if (a.v.u.b == decide) {
            out->unk = false;
            out->v = aw_value_bool(decide);
            return AW_OK;
        }
    }
    if (any_unk)
        set_unknown(out);
    else
        *out = (exp_val){.v = aw_value_bool(!decide)};
    return AW_OK;
}

static int eval_exclusive(exp_rt *rt, const exp_node *n, exp_val *out) {
    bool seen_true = false;
    for (uint32_t i = 0; i < n->n_kids; i++) {
        exp_val a;
        int rc = kid(rt, n, i, &a);
        if (rc != AW_OK || a.unk) {
            *out = a;
            return rc;
        }
        if (a.v.u.b) {
            if (seen_true) {
                *out = (exp_val){.v = aw_value_bool(false)};
                return AW_OK;
            }
            seen_true = true;
        }
    }
    *out = (exp_val){.v = aw_value_bool(seen_true)};
    return AW_OK;
}

static int64_t wrap_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t wrap_sub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t wrap_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }

/* add, sub, mul, min, max, int_and/or/xor: fold the arguments left to
 * right; the first unknown ends it. */
static int eval_fold(exp_rt *rt, const exp_node *n, exp_val *out) {
    int rc = kid(rt, n, 0, out);
    if (rc != AW_OK || out->unk)
        return rc;
    bool is_float = out->v.type == AW_FLOAT;
    if (n->n_kids == 1 && n->code == X_SUB) { /* eval_sub: one argument negates */
        if (is_float)
            out->v.u.f = 0.0 - out->v.u.f;
        else
            out->v.u.i = wrap_sub(0, out->v.u.i);
        return AW_OK;
    }
    for (uint32_t i = 1; i < n->n_kids; i++) {
        exp_val a;
        if ((rc = kid(rt, n, i, &a)) != AW_OK || a.unk) {
            *out = a;
            return rc;
        }
        double *f = &out->v.u.f, g = a.v.u.f;
        int64_t *x = &out->v.u.i, y = a.v.u.i;
        switch (n->code) {
        case X_ADD: if (is_float) *f += g; else *x = wrap_add(*x, y); break;
        case X_SUB: if (is_float) *f -= g; else *x = wrap_sub(*x, y); break;
        case X_MUL: if (is_float) *f *= g; else *x = wrap_mul(*x, y); break;
        case X_MIN: if (is_float) { if (*f > g) *f = g; } else if (*x > y) *x = y; break;
        case X_MAX: if (is_float) { if (*f < g) *f = g; } else if (*x < y) *x = y; break;
        case X_INT_AND: *x &= y; break;
        case X_INT_OR: *x |= y; break;
        default: *x ^= y; break; /* X_INT_XOR */
        }
    }
    return AW_OK;
}

/* eval_div: the first argument divided by the product of the others (one
 * argument: 1 / it). An integer division by zero is unknown. */
static int eval_div(exp_rt *rt, const exp_node *n, exp_val *out) {
    int rc = kid(rt, n, 0, out);
    if (rc != AW_OK || out->unk)
        return rc;
    bool is_float = out->v.type == AW_FLOAT;
    double dprod = 1.0;
    int64_t iprod = 1;
    for (uint32_t i = 1; i < n->n_kids; i++) {
        exp_val a;
        if ((rc = kid(rt, n, i, &a)) != AW_OK || a.unk) {
            *out = a;
            return rc;
        }
        if (is_float)
            dprod *= a.v.u.f;
        else
            iprod = wrap_mul(iprod, a.v.u.i);
    }
    if (is_float) {
        if (n->n_kids == 1) {
            dprod = out->v.u.f;
            out->v.u.f = 1.0;
        }
        out->v.u.f /= dprod;
        return AW_OK;
    }
    if (n->n_kids == 1) {
        iprod = out->v.u.i;
        out->v.u.i = 1;
    }
    if (iprod == 0) {
        set_unknown(out);
        return AW_OK;
    }
    if (iprod == -1 && out->v.u.i == INT64_MIN)
        return AW_ERR_UNSUPPORTED_FEATURE; /* the server's division traps: no answer to copy */
    out->v.u.i /= iprod;
    return AW_OK;
}

/* Two-argument ops whose first unknown argument ends them. */
static int eval_pair(exp_rt *rt, const exp_node *n, exp_val *out) {
    exp_val b;
    int rc = kid(rt, n, 0, out);
    if (rc != AW_OK || out->unk)
        return rc;
    if ((rc = kid(rt, n, 1, &b)) != AW_OK)
        return rc;
    if (b.unk) {
        *out = b;
        return AW_OK;
    }
    int64_t *x = &out->v.u.i, y = b.v.u.i;
    switch (n->code) {
    case X_POW: out->v.u.f = pow(out->v.u.f, b.v.u.f); break;
    case X_LOG: out->v.u.f = log(out->v.u.f) / log(b.v.u.f); break;
    case X_MOD:
        if (y == 0) {
            set_unknown(out);
            return AW_OK;
        }
        if (y == -1 && *x == INT64_MIN)
            return AW_ERR_UNSUPPORTED_FEATURE; /* traps on the server */
        *x %= y;
        break;
    case X_INT_LSHIFT: *x = (int64_t)((uint64_t)*x << (y & 63)); break;
    case X_INT_RSHIFT: *x = (int64_t)((uint64_t)*x >> (y & 63)); break;
    case X_INT_ARSHIFT: *x >>= (y & 63); break;
    case X_INT_LSCAN:
    case X_INT_RSCAN: {
        uint64_t u = b.v.u.b ? (uint64_t)*x : ~(uint64_t)*x;
        if (n->code == X_INT_LSCAN)
            *x = u ? __builtin_clzll(u) : -1; /* cf_msb64: 64 -> -1 */
        else
            *x = 63 - (u ? __builtin_ctzll(u) : 64); /* cf_lsb64 */
        break;
    }
    }
    return AW_OK;
}

/* The server's (int64_t) of a double, as the x86-64 conversion gives it:
 * NaN and values out of range are INT64_MIN. */
static int64_t to_int(double d) {
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)d;
}

static int eval_one(exp_rt *rt, const exp_node *n, exp_val *out) {
    int rc = kid(rt, n, 0, out);
    if (rc != AW_OK || out->unk)
        return rc;
    aw_value *v = &out->v;
    switch (n->code) {
    case X_NOT: v->u.b = !v->u.b; break;
    case X_ABS:
        if (v->type == AW_FLOAT)
            v->u.f = fabs(v->u.f);
        else if (v->u.i < 0)
            v->u.i = wrap_sub(0, v->u.i); /* labs(INT64_MIN) stays INT64_MIN */
        break;
    case X_FLOOR: v->u.f = floor(v->u.f); break;
    case X_CEIL: v->u.f = ceil(v->u.f); break;
    case X_TO_INT: *v = aw_value_int(to_int(v->u.f)); break;
    case X_TO_FLOAT: *v = aw_value_float((double)v->u.i); break;
    case X_INT_NOT: v->u.i = ~v->u.i; break;
    default: v->u.i = __builtin_popcountll((uint64_t)v->u.i); break; /* X_INT_COUNT */
    }
    return AW_OK;
}

/* eval_cond: the value of the first true condition, else the default; an
 * unknown condition makes the whole cond unknown. */
static int eval_cond(exp_rt *rt, const exp_node *n, exp_val *out) {
    for (uint32_t i = 0; i + 1 < n->n_kids; i += 2) {
        int rc = kid(rt, n, i, out);
        if (rc != AW_OK || out->unk)
            return rc;
        if (out->v.u.b)
            return kid(rt, n, i + 1, out);
    }
    return kid(rt, n, n->n_kids - 1, out);
}

/* eval_let: every definition is evaluated, in order, before the body. */
static int eval_let(exp_rt *rt, const exp_node *n, exp_val *out) {
    uint32_t n_defs = n->n_kids - 1;
    for (uint32_t i = 0; i < n_defs; i++) {
        int rc = kid(rt, n, i, &rt->vars[n->num + i]);
        if (rc != AW_OK)
            return rc;
    }
    return kid(rt, n, n_defs, out);
}

/* The value a loop variable may hold as `type` (exp.c rt_is_type after
 * rt_init_builtin_vars: strings, blobs and HLLs by their particle type). */
static bool loopvar_is(const aw_value *v, uint8_t type) {
    switch (type) {
    case XT_NIL: return v->type == AW_NIL && v->subtype == 0;
    case XT_BOOL: return v->type == AW_BOOL;
    case XT_INT: return v->type == AW_INT;
    case XT_STR: return v->type == AW_STR;
    case XT_LIST: return v->type == AW_LIST;
    case XT_MAP: return v->type == AW_MAP;
    case XT_BLOB: return v->type == AW_BLOB && v->subtype == AW_PARTICLE_BLOB;
    case XT_FLOAT: return v->type == AW_FLOAT;
    case XT_GEO: return v->type == AW_GEOJSON;
    case XT_HLL: return v->type == AW_BLOB && v->subtype == AW_PARTICLE_HLL;
    default: return false;
    }
}

/* eval_var_builtin: the loop variable when the level sets it and it is of
 * the type asked for, else unknown (outside a path, always unknown). */
static void eval_loopvar(exp_rt *rt, const exp_node *n, exp_val *out) {
    const td_exp_loop *loop = rt->ctx->loop;
    const aw_value *v = !loop        ? NULL
                        : n->num == 0 ? loop->key
                        : n->num == 1 ? loop->value
                                      : loop->index;
    if (v && loopvar_is(v, n->type))
        out->v = *v;
    else
        set_unknown(out);
}

int td_exp_eval_node(exp_rt *rt, const exp_node *n, exp_val *out) {
    *out = (exp_val){0};
    switch (n->code) {
    case X_VALUE: out->v = n->lit; return AW_OK;
    case X_UNK: set_unknown(out); return AW_OK;
    case X_EQ: case X_NE: case X_GT: case X_GE: case X_LT: case X_LE:
        return eval_compare(rt, n, out);
    case X_REGEX: return eval_regex(rt, n, out);
    case X_GEO: return eval_geo(rt, n, out);
    case X_IN_LIST: return td_exp_eval_in_list(rt, n, out);
    case X_AND: case X_OR: return eval_and_or(rt, n, out);
    case X_EXCLUSIVE: return eval_exclusive(rt, n, out);
    case X_ADD: case X_SUB: case X_MUL: case X_MIN: case X_MAX: case X_INT_AND: case X_INT_OR:
    case X_INT_XOR:
        return eval_fold(rt, n, out);
    case X_DIV: return eval_div(rt, n, out);
    case X_POW: case X_LOG: case X_MOD: case X_INT_LSHIFT: case X_INT_RSHIFT:
    case X_INT_ARSHIFT: case X_INT_LSCAN: case X_INT_RSCAN:
        return eval_pair(rt, n, out);
    case X_NOT: case X_ABS: case X_FLOOR: case X_CEIL: case X_TO_INT: case X_TO_FLOAT:
    case X_INT_NOT: case X_INT_COUNT:
        return eval_one(rt, n, out);
    case X_COND: return eval_cond(rt, n, out);
    case X_LET: return eval_let(rt, n, out);
    case X_VAR: *out = rt->vars[n->num]; return AW_OK;
    case X_CALL: return td_exp_eval_call(rt, n, out);
    case X_MAP_KEYS: case X_MAP_VALUES: return td_exp_eval_map_kv(rt, n, out);
    case X_VAR_BUILTIN: eval_loopvar(rt, n, out); return AW_OK;
    case X_RESULT_REMOVE: out->remove = true; return AW_OK;
    default: return td_exp_eval_record(rt, n, out);
    }
}

static int eval_root(const td_exp *e, const td_exp_ctx *ctx, exp_val *v, aw_arena *arena) {
    exp_val vars_small[8];
    exp_val *vars = vars_small;
    if (e->n_vars > 8 && !(vars = aw_arena_alloc(arena, e->n_vars * sizeof *vars)))
        return AW_ERR_SERVER_FULL;
    exp_rt rt = {.ctx = ctx, .arena = arena, .vars = vars};
    return td_exp_eval_node(&rt, e->root, v);
}

int td_exp_eval(const td_exp *e, const td_exp_ctx *ctx, aw_value *result, bool *unknown,
                aw_arena *arena) {
    exp_val v;
    int rc = eval_root(e, ctx, &v, arena);
    *unknown = v.unk;
    *result = v.v;
    return rc;
}

int td_exp_eval_path(const td_exp *e, const td_exp_loop *loop, aw_value *result, bool *unknown,
                     bool *remove, aw_arena *arena) {
    td_exp_ctx ctx = {.loop = loop};
    exp_val v;
    int rc = eval_root(e, &ctx, &v, arena);
    *unknown = v.unk;
    *remove = v.remove;
    *result = v.v;
    return rc;
}

uint8_t td_exp_particle_type(uint8_t type) {
    static const uint8_t pt[XT_INPUT_END] = {
        [XT_NIL] = AW_NIL, [XT_BOOL] = AW_BOOL, [XT_INT] = AW_INT, [XT_STR] = AW_STR,
        [XT_LIST] = AW_LIST, [XT_MAP] = AW_MAP, [XT_BLOB] = AW_PARTICLE_BLOB,
        [XT_FLOAT] = AW_FLOAT, [XT_GEO] = AW_GEOJSON, [XT_HLL] = AW_PARTICLE_HLL,
    };
    return type < XT_INPUT_END ? pt[type] : 0xff;
}
