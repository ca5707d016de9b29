/*
 * aw-testd expressions: building (parsing and type-checking) the msgpack an
 * expression arrives as, once per command, into a tree (exp_internal.h).
 *
 * The checks are the server's (as/src/base/exp.c build_count_sz, build_next
 * and the build_* of each op): the wrong number of arguments, arguments of
 * the wrong result type, a malformed literal, a let variable used before it
 * is defined, ... make the server refuse to build the expression, and every
 * such refusal is PARAMETER (4). What aw-testd does not evaluate (geo shapes
 * other than points and AeroCircles, result_remove outside a path, builtin
 * variables of the types 10 and 11, bare ext values) is 16, but only once the whole expression has been read, so
 * an expression the server would refuse still gets 4.
 */
#include "exp_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "exp_geo.h"
#include "proto/msgpack.h"

#define MAX_DEPTH 256 /* deeper nesting is refused (16): the server recurses */
/* build_internal refuses an expression whose compiled form reaches 1 MiB
 * (EXP_MAX_SIZE); no op takes more than about 350 bytes there (op_call), so
 * up to this many nodes are surely below it. More are refused (16) rather
 * than guessed. */
#define MAX_NODES 2900
/* parse_op_call: a CALL's op splits into at most this many pieces, and CE
 * 8.1.2.0 aborts (cf_assert) on more: no answer to copy, refused (16). */
#define CALL_MAX_VEC_IDX 18

typedef struct scope_var {
    const uint8_t *name;
    uint32_t len;
    uint32_t slot;
    int type; /* -1 while its value is being built */
} scope_var;

typedef struct builder {
    const uint8_t *p, *end;
    aw_arena *arena;
    td_exp *exp;
    bool refuse;        /* something aw-testd does not evaluate was seen */
    bool path;          /* a path expression: result_remove is served */
    bool too_deep;
    bool oom;
    uint32_t depth;
    uint32_t n_nodes;
    scope_var *vars;    /* the let variables in scope, innermost last */
    uint32_t n_vars, cap_vars;
    uint32_t next_slot;
} builder;

/* ---- msgpack reading (cf/src/msgpack_in.c semantics) ---- */

static bool has(const builder *b, size_t n) { return (size_t)(b->end - b->p) >= n; }

static uint64_t load_be(const uint8_t *p, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* A list header: true and *n. */
static bool peek_list(const builder *b, uint32_t *n, unsigned *hdr) {
    if (!has(b, 1))
        return false;
    uint8_t t = b->p[0];
    if ((t & 0xf0) == 0x90) {
        *n = t & 0x0f;
        *hdr = 1;
        return true;
    }
    if (t == 0xdc && has(b, 3)) {
        *n = (uint32_t)load_be(b->p + 1, 2);
        *hdr = 3;
        return true;
    }
    if (t == 0xdd && has(b, 5)) {
        *n = (uint32_t)load_be(b->p + 1, 4);
        *hdr = 5;
        return true;
    }
    return false;
}

static bool get_list(builder *b, uint32_t *n) {
    unsigned hdr;
    if (!peek_list(b, n, &hdr))
        return false;
    b->p += hdr;
    return true;
}

/* msgpack_get_uint64 / msgpack_get_int64: any integer encoding (negative
 * ones as their two's complement). */
static bool get_int(builder *b, int64_t *v) {
    if (!has(b, 1))
        return false;
    uint8_t t = b->p[0];
    unsigned n;
    if (t < 0x80 || t >= 0xe0) {
        *v = (int8_t)t;
        if (t < 0x80)
            *v = t;
        b->p++;
        return true;
    }
    switch (t) {
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        n = 1u << (t - 0xcc);
        if (!has(b, 1 + n))
            return false;
        *v = (int64_t)load_be(b->p + 1, n);
        break;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        n = 1u << (t - 0xd0);
        if (!has(b, 1 + n))
            return false;
        uint64_t u = load_be(b->p + 1, n);
        if (n < 8 && (u >> (8 * n - 1)))
            u |= ~0ull << (8 * n); /* sign-extend */
        *v = (int64_t)u;
        break;
    }
    default:
        return false;
    }
    b->p += 1 + n;
    return true;
}

/* msgpack_get_bin: the payload of a str or bin, whatever its first byte. */
static const uint8_t *get_bytes(builder *b, uint32_t *len) {
    if (!has(b, 1))
        return NULL;
    uint8_t t = b->p[0];
    unsigned hdr;
    if ((t & 0xe0) == 0xa0) {
        *len = t & 0x1f;
        hdr = 1;
    } else if ((t == 0xc4 || t == 0xd9) && has(b, 2)) {
        *len = b->p[1];
        hdr = 2;
    } else if ((t == 0xc5 || t == 0xda) && has(b, 3)) {
        *len = (uint32_t)load_be(b->p + 1, 2);
        hdr = 3;
    } else if ((t == 0xc6 || t == 0xdb) && has(b, 5)) {
        *len = (uint32_t)load_be(b->p + 1, 4);
        hdr = 5;
    } else {
        return NULL;
    }
    if (!has(b, hdr + (size_t)*len))
        return NULL;
    const uint8_t *data = b->p + hdr;
    b->p += hdr + *len;
    return data;
}

/* One whole element: its bytes, or NULL when malformed. */
static const uint8_t *get_element(builder *b, uint32_t *len) {
    size_t used;
    if (aw_msgpack_skip(b->p, (size_t)(b->end - b->p), &used, NULL) != AW_OK)
        return NULL;
    const uint8_t *start = b->p;
    b->p += used;
    *len = (uint32_t)used;
    return start;
}

static bool is_bytes_header(uint8_t t) {
    return (t & 0xe0) == 0xa0 || (t >= 0xc4 && t <= 0xc6) || (t >= 0xd9 && t <= 0xdb);
}

/* ---- tree building ---- */

/* Decodes a list or map literal. The server hands such a literal on as the
 * bytes it came in (a result, a bin an expression writes), where aw-testd
 * hands on its decoded value re-encoded: a literal that would not come back
 * byte for byte (msgpack not in its shortest form, an ext it does not
 * decode) is not evaluated. */
static void decode_container(builder *b, exp_node *n) {
    size_t used;
    aw_buf again;
    aw_buf_init(&again);
    if (aw_msgpack_read(n->raw, n->raw_len, &n->lit, b->arena, &used, NULL) != AW_OK ||
        aw_msgpack_write(&again, &n->lit, NULL) != AW_OK || !aw_buf_ok(&again) ||
        again.len != n->raw_len || memcmp(again.data, n->raw, n->raw_len) != 0)
        b->refuse = true;
    aw_buf_free(&again);
}

static exp_node *new_node(builder *b, uint8_t code, uint8_t type) {
    if (++b->n_nodes > MAX_NODES)
        b->refuse = true;
    exp_node *n = aw_arena_alloc(b->arena, sizeof *n);
    if (!n) {
        b->oom = true;
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->code = code;
    n->type = type;
    return n;
}

static exp_node *build_next(builder *b);

/* Builds `count` argument expressions into n->kids. */
static bool build_kids(builder *b, exp_node *n, uint32_t count) {
    n->kids = aw_arena_alloc(b->arena, (count ? count : 1) * sizeof *n->kids);
    if (!n->kids) {
        b->oom = true;
        return false;
    }
    n->n_kids = count;
    for (uint32_t i = 0; i < count; i++)
        if (!(n->kids[i] = build_next(b)))
            return false;
    return true;
}

static bool all_of_type(const exp_node *n, uint8_t type) {
    for (uint32_t i = 0; i < n->n_kids; i++)
        if (n->kids[i]->type != type)
            return false;
    return true;
}

/* A literal that is not a list (build_next's non-list branch,
 * build_count_sz's checks, build_value_*). */
static exp_node *build_value(builder *b) {
    exp_node *n = new_node(b, X_VALUE, XT_NIL);
    if (!n)
        return NULL;
    uint8_t t = b->p[0];
    if (is_bytes_header(t)) {
        uint32_t len;
        const uint8_t *d = get_bytes(b, &len);
        if (!d || len == 0)
            return NULL; /* an empty payload is "bytes" of no type: invalid blob */
        if (d[0] == AW_STR) {
            n->type = XT_STR;
            n->lit = aw_value_strn((const char *)d + 1, len - 1);
        } else if (d[0] == AW_GEOJSON) {
            n->type = XT_GEO;
            n->lit.type = AW_GEOJSON;
            n->lit.u.str = (const char *)d + 1;
            n->lit.len = len - 1;
            td_geo *g = aw_arena_alloc(b->arena, sizeof *g); /* large: not on the stack */
            if (!g) {
                b->oom = true;
                return NULL;
            }
            int rc = td_geo_parse(n->lit.u.str, n->lit.len, g);
            if (rc == TD_GEO_UNSUPPORTED)
                b->refuse = true;
            else if (rc != TD_GEO_OK)
                return NULL; /* build_value_geo: invalid geojson */
        } else if (d[0] == AW_PARTICLE_BLOB || d[0] == AW_PARTICLE_HLL) {
            n->type = d[0] == AW_PARTICLE_BLOB ? XT_BLOB : XT_HLL;
            n->lit = aw_value_blob(d + 1, len - 1);
            n->lit.subtype = d[0];
        } else {
            return NULL; /* build_count_sz: invalid blob type */
        }
        return n;
    }
    if (t == 0xc0) {
        b->p++;
        return n;
    }
    if (t == 0xc2 || t == 0xc3) {
        b->p++;
        n->type = XT_BOOL;
        n->lit = aw_value_bool(t == 0xc3);
        return n;
    }
    if (t == 0xca || t == 0xcb) {
        unsigned sz = t == 0xca ? 4 : 8;
        if (!has(b, 1 + sz))
            return NULL;
        uint64_t bits = load_be(b->p + 1, sz);
        double d;
        if (sz == 4) {
            uint32_t b32 = (uint32_t)bits;
            float f;
            memcpy(&f, &b32, 4);
            d = f;
        } else {
            memcpy(&d, &bits, 8);
        }
        b->p += 1 + sz;
        n->type = XT_FLOAT;
        n->lit = aw_value_float(d);
        return n;
    }
    int64_t i;
    if (get_int(b, &i)) {
        n->type = XT_INT;
        n->lit = aw_value_int(i);
        return n;
    }
    /* Maps are map values; anything else (ext, wildcard, infinity) has no
     * result type (TYPE_END): only a comparison of two such values and
     * in_list take it, anything else refuses it (4). aw-testd evaluates the
     * wildcard and infinity and no other ext. */
    const uint8_t *raw = get_element(b, &n->raw_len);
    if (!raw)
        return NULL;
    n->raw = raw;
    if ((t & 0xf0) == 0x80 || t == 0xde || t == 0xdf) {
        n->type = XT_MAP;
        decode_container(b, n);
        return n;
    }
    n->type = XT_END;
    size_t used;
    if (aw_msgpack_read(raw, n->raw_len, &n->lit, b->arena, &used, NULL) != AW_OK ||
        n->lit.type != AW_NIL || n->lit.subtype == 0)
        b->refuse = true;
    return n;
}

/* The client's regcomp flags are the server's (Linux glibc) values:
 * REG_EXTENDED 1, REG_ICASE 2, REG_NEWLINE 4, REG_NOSUB 8; glibc ignores
 * other bits. Mapped so a build on another C library reads them alike. */
static int regex_flags(int64_t wire) {
    return ((wire & 1) ? REG_EXTENDED : 0) | ((wire & 2) ? REG_ICASE : 0) |
           ((wire & 4) ? REG_NEWLINE : 0) | ((wire & 8) ? REG_NOSUB : 0);
}

static bool bin_name_ok(const uint8_t *name, uint32_t len) {
    return len < 16 && memchr(name, '\0', len) == NULL; /* as_bin_name_check */
}

static scope_var *find_var(builder *b, const uint8_t *name, uint32_t len) {
    for (uint32_t i = b->n_vars; i-- > 0;)
        if (b->vars[i].len == len && memcmp(b->vars[i].name, name, len) == 0)
            return &b->vars[i];
    return NULL;
}

static bool var_name_ok(const uint8_t *name, uint32_t len) {
    if (len == 0 || (name[0] != '_' && !isalpha(name[0])))
        return false;
    for (uint32_t i = 1; i < len; i++)
        if (name[i] != '_' && !isalnum(name[i]))
            return false;
    return true;
}

/* build_let: [125, name, exp, ..., exp]. */
static bool build_let(builder *b, exp_node *n, uint32_t args) {
    if (args < 3 || args % 2 == 0)
        return false;
    uint32_t n_defs = args / 2;
    uint32_t outer = b->n_vars;
    if (b->n_vars + n_defs > b->cap_vars) {
        uint32_t cap = (b->n_vars + n_defs) * 2;
        scope_var *v = aw_arena_alloc(b->arena, cap * sizeof *v);
        if (!v) {
            b->oom = true;
            return false;
        }
        if (b->n_vars)
            memcpy(v, b->vars, b->n_vars * sizeof *v);
        b->vars = v;
        b->cap_vars = cap;
    }
    n->kids = aw_arena_alloc(b->arena, (n_defs + 1) * sizeof *n->kids);
    if (!n->kids) {
        b->oom = true;
        return false;
    }
    n->n_kids = n_defs + 1;
    n->num = b->next_slot;
    for (uint32_t i = 0; i < n_defs; i++) {
        uint32_t len;
        const uint8_t *name = get_bytes(b, &len);
        if (!name || !var_name_ok(name, len) || find_var(b, name, len))
            return false;
        scope_var *v = &b->vars[b->n_vars++];
        v->name = name;
        v->len = len;
        v->slot = b->next_slot++;
        v->type = -1;
        if (!(n->kids[i] = build_next(b)))
            return false;
        v->type = n->kids[i]->type;
    }
    if (!(n->kids[n_defs] = build_next(b)))
        return false;
    n->type = n->kids[n_defs]->type;
    n->unk_code = n->kids[n_defs]->unk_code; /* build_let leaves the body's entry as its own */
    if (b->next_slot > b->exp->n_vars)
        b->exp->n_vars = b->next_slot;
    b->n_vars = outer;
    b->next_slot -= n_defs;
    return true;
}

/* build_cond: [123, cond, value, ..., default]. */
static bool build_cond(builder *b, exp_node *n, uint32_t args) {
    if (args < 3 || args % 2 == 0)
        return false;
    if (!build_kids(b, n, args))
        return false;
    int type = -1;
    for (uint32_t i = 0; i + 1 < args; i += 2) {
        if (n->kids[i]->type != XT_BOOL)
            return false;
        const exp_node *v = n->kids[i + 1];
        if (v->type == XT_END || n->kids[args - 1]->type == XT_END)
            b->refuse = true; /* build_cond takes TYPE_END for "no type yet": not modelled */
        if (v->unk_code)
            continue;
        if (type < 0)
            type = v->type;
        if (v->type != type)
            return false;
    }
    const exp_node *dflt = n->kids[args - 1];
    if (type < 0)
        type = dflt->type;
    else if (!dflt->unk_code && dflt->type != type)
        return false;
    n->type = (uint8_t)type;
    return true;
}

/* build_call + parse_op_call: [127, type, system, [op...], bin]. A list
 * among the op's parameters is an expression; anything else goes as it
 * came. */
static bool build_call(builder *b, exp_node *n, uint32_t args) {
    int64_t type, sys;
    if (args != 4 || !get_int(b, &type) || (uint64_t)type >= XT_INPUT_END || !get_int(b, &sys))
        return false;
    n->type = (uint8_t)type;
    n->num = type;
    n->sys = sys;
    uint32_t count;
    const uint8_t *start = b->p;
    int64_t code;
    if (!get_list(b, &count) || count == 0 || !get_int(b, &code))
        return false;
    if (code == 0xff) { /* context: [0xff, ctx, [op, params...]] */
        uint32_t skipped;
        if (count != 3 || !get_element(b, &skipped) || !get_list(b, &count) ||
            !get_int(b, &code))
            return false;
    } else if (code == 0xfe) { /* select: [0xfe, ctx, flags(, mod_exp)] */
        uint32_t skipped, dummy;
        int64_t flags;
        if (count < 3 || count > 4 || !peek_list(b, &dummy, &(unsigned){0}) ||
            !get_element(b, &skipped) || !get_int(b, &flags) ||
            (count == 4 && !get_element(b, &skipped)))
            return false;
        count = 1;
    }
    if (count > (size_t)(b->end - b->p) + 1)
        return false; /* more elements than bytes left */
    n->parts = aw_arena_alloc(b->arena, (2 * (size_t)count + 1) * sizeof *n->parts);
    if (!n->parts) {
        b->oom = true;
        return false;
    }
    exp_part *part = &n->parts[0];
    part->raw = start;
    part->raw_len = (uint32_t)(b->p - start);
    part->eval = NULL;
    n->n_parts = 1;
    uint32_t vec_idx = 0; /* parse_op_call's idx */
    for (uint32_t i = 1; i < count; i++) {
        if (!has(b, 1))
            return false;
        uint32_t dummy;
        unsigned hdr;
        if (peek_list(b, &dummy, &hdr)) {
            vec_idx += n->parts[n->n_parts - 1].raw_len != 0 ? 2 : 1;
            if (vec_idx >= CALL_MAX_VEC_IDX)
                b->refuse = true;
            exp_node *param = build_next(b);
            if (!param)
                return false;
            n->parts[n->n_parts++] = (exp_part){.eval = param};
            n->parts[n->n_parts++] = (exp_part){.raw = b->p, .raw_len = 0};
            continue;
        }
        uint32_t len;
        if (!get_element(b, &len))
            return false;
        n->parts[n->n_parts - 1].raw_len += len;
    }
    n->kids = aw_arena_alloc(b->arena, sizeof *n->kids);
    if (!n->kids || !(n->kids[0] = build_next(b))) {
        b->oom |= !n->kids;
        return false;
    }
    n->n_kids = 1;
    uint8_t bin_type = n->kids[0]->type;
    if (bin_type == XT_NIL)
        return true;
    switch (sys & ~(int64_t)XCALL_MODIFY_LOCAL) {
    case XCALL_CDT: return bin_type == XT_LIST || bin_type == XT_MAP;
    case XCALL_BITS: return bin_type == XT_BLOB;
    case XCALL_HLL: return bin_type == XT_HLL;
    default: return false;
    }
}

/* The number of arguments (after the op code) of the fixed-size ops, and
 * their result type; -1 for the ops built by their own function. */
typedef struct fixed_op {
    int8_t args;
    uint8_t type;
} fixed_op;

static bool fixed(int64_t code, fixed_op *f) {
    switch (code) {
    case X_UNK: *f = (fixed_op){0, XT_BOOL}; return true;
    case X_EQ: case X_NE: case X_GT: case X_GE: case X_LT: case X_LE: case X_GEO:
    case X_IN_LIST: *f = (fixed_op){2, XT_BOOL}; return true;
    case X_NOT: *f = (fixed_op){1, XT_BOOL}; return true;
    case X_POW: case X_LOG: *f = (fixed_op){2, XT_FLOAT}; return true;
    case X_MOD: *f = (fixed_op){2, XT_INT}; return true;
    case X_ABS: *f = (fixed_op){1, XT_NIL}; return true;
    case X_FLOOR: case X_CEIL: case X_TO_FLOAT: *f = (fixed_op){1, XT_FLOAT}; return true;
    case X_TO_INT: case X_INT_NOT: case X_INT_COUNT: *f = (fixed_op){1, XT_INT}; return true;
    case X_INT_LSHIFT: case X_INT_RSHIFT: case X_INT_ARSHIFT: case X_INT_LSCAN:
    case X_INT_RSCAN: *f = (fixed_op){2, XT_INT}; return true;
    case X_DEVICE_SIZE: case X_LAST_UPDATE: case X_SINCE_UPDATE: case X_VOID_TIME: case X_TTL:
    case X_MEMORY_SIZE: case X_RECORD_SIZE: *f = (fixed_op){0, XT_INT}; return true;
    case X_SET_NAME: *f = (fixed_op){0, XT_STR}; return true;
    case X_KEY_EXISTS: case X_IS_TOMBSTONE: *f = (fixed_op){0, XT_BOOL}; return true;
    case X_MAP_KEYS: case X_MAP_VALUES: *f = (fixed_op){1, XT_LIST}; return true;
    default: return false;
    }
}

/* The type checks of the fixed-size ops (build_compare, build_math_pow, ...). */
static bool check_fixed(builder *b, exp_node *n) {
    exp_node **k = n->kids;
    switch (n->code) {
    case X_EQ: case X_NE: case X_GT: case X_GE: case X_LT: case X_LE:
        if (k[0]->type != k[1]->type || k[0]->type == XT_GEO || k[0]->type == XT_HLL)
            return false;
        return true;
    case X_GEO: return k[0]->type == XT_GEO && k[1]->type == XT_GEO;
    case X_IN_LIST: return k[1]->type == XT_LIST;
    case X_NOT: return k[0]->type == XT_BOOL;
    case X_POW: case X_LOG: return all_of_type(n, XT_FLOAT);
    case X_MOD: case X_INT_LSHIFT: case X_INT_RSHIFT: case X_INT_ARSHIFT: return all_of_type(n, XT_INT);
    case X_ABS:
        n->type = k[0]->type;
        return n->type == XT_INT || n->type == XT_FLOAT;
    case X_FLOOR: case X_CEIL: case X_TO_INT: return k[0]->type == XT_FLOAT;
    case X_TO_FLOAT: case X_INT_NOT: case X_INT_COUNT: return k[0]->type == XT_INT;
    case X_INT_LSCAN: case X_INT_RSCAN: return k[0]->type == XT_INT && k[1]->type == XT_BOOL;
    default:
        (void)b;
        return true;
    }
}

/* A list: [op, args...] (build_next's list branch). */
static exp_node *build_op(builder *b) {
    uint32_t count;
    int64_t code;
    if (!get_list(b, &count) || count == 0 || !get_int(b, &code) || code < 0 || code > 127)
        return NULL;
    uint32_t args = count - 1;
    if (args > (size_t)(b->end - b->p))
        return NULL; /* more elements than bytes left: incomplete (build_internal) */
    exp_node *n = new_node(b, (uint8_t)code, XT_BOOL);
    if (!n)
        return NULL;
    fixed_op f;
    if (fixed(code, &f)) {
        if (args != (uint32_t)f.args || !build_kids(b, n, args))
            return NULL;
        n->type = f.type;
        n->unk_code = code == X_UNK;
        return check_fixed(b, n) ? n : NULL;
    }
    switch (code) {
    case X_REGEX: {
        int64_t flags;
        uint32_t len;
        const uint8_t *re;
        if (args != 3 || !get_int(b, &flags) || !(re = get_bytes(b, &len)) ||
            !build_kids(b, n, 1) || n->kids[0]->type != XT_STR)
            return NULL;
        char *pattern = aw_arena_strndup(b->arena, re, len); /* stops at a NUL, as C does */
        regex_t *rx = malloc(sizeof *rx);
        if (!pattern || !rx) {
            free(rx);
            b->oom = true;
            return NULL;
        }
        if (regcomp(rx, pattern, regex_flags(flags)) != 0) {
            free(rx);
            return NULL; /* build_cmp_regex: regex compile error */
        }
        regex_t **res = aw_arena_alloc(b->arena, (b->exp->n_res + 1) * sizeof *res);
        if (!res) {
            regfree(rx);
            free(rx);
            b->oom = true;
            return NULL;
        }
        if (b->exp->n_res)
            memcpy(res, b->exp->res, b->exp->n_res * sizeof *res);
        res[b->exp->n_res++] = rx;
        b->exp->res = res;
        n->re = rx;
        n->num = len;   /* shown as sindex-list does (exp_display.c) */
        n->sys = (int32_t)flags;
        return n;
    }
    case X_AND: case X_OR: case X_EXCLUSIVE:
        if (args < 2 || !build_kids(b, n, args) || !all_of_type(n, XT_BOOL))
            return NULL;
        return n;
    case X_ADD: case X_SUB: case X_MUL: case X_DIV: case X_MIN: case X_MAX:
        if (args < 1 || !build_kids(b, n, args))
            return NULL;
        n->type = n->kids[0]->type;
        if ((n->type != XT_INT && n->type != XT_FLOAT) || !all_of_type(n, n->type))
            return NULL;
        return n;
    case X_INT_AND: case X_INT_OR: case X_INT_XOR:
        n->type = XT_INT;
        if (args < 1 || !build_kids(b, n, args) || !all_of_type(n, XT_INT))
            return NULL;
        return n;
    case X_DIGEST_MOD: {
        n->type = XT_INT;
        if (args != 1 || !get_int(b, &n->num))
            return NULL;
        n->num = (int32_t)n->num; /* op->mod is an int32 */
        return n->num == 0 ? NULL : n;
    }
    case X_KEY:
        if (args != 1 || !get_int(b, &n->num) ||
            (n->num != XT_INT && n->num != XT_STR && n->num != XT_BLOB))
            return NULL;
        n->type = (uint8_t)n->num;
        return n;
    case X_BIN:
        if (args != 2 || !get_int(b, &n->num) || (uint64_t)n->num >= XT_INPUT_END ||
            !(n->name = get_bytes(b, &n->name_len)) || !bin_name_ok(n->name, n->name_len))
            return NULL;
        n->type = (uint8_t)n->num;
        return n;
    case X_BIN_TYPE:
        n->type = XT_INT;
        if (args != 1 || !(n->name = get_bytes(b, &n->name_len)) ||
            !bin_name_ok(n->name, n->name_len))
            return NULL;
        return n;
    case X_RESULT_REMOVE: /* build_default: no arguments */
        if (args != 0)
            return NULL;
        n->type = XT_REMOVE;
        b->refuse |= !b->path; /* what an op or filter does with it: not known */
        return n;
    case X_VAR_BUILTIN: { /* build_var_builtin: [122, type, id] */
        int64_t type, id;
        if (args != 2 || !get_int(b, &type) || !get_int(b, &id) || (uint64_t)type > XT_END ||
            (uint64_t)id > 2 || (id == 2 && type != XT_INT))
            return NULL; /* no such type or variable; the index is an int */
        b->refuse |= type >= XT_INPUT_END; /* the server's internal types: not modelled */
        n->type = (uint8_t)type;
        n->num = id;
        return n;
    }
    case X_COND:
        return build_cond(b, n, args) ? n : NULL;
    case X_VAR: {
        uint32_t len;
        const uint8_t *name;
        if (args != 1 || !(name = get_bytes(b, &len)))
            return NULL;
        scope_var *v = find_var(b, name, len);
        if (!v || v->type < 0 || v->type == XT_END)
            return NULL; /* undefined, used inside its own definition, of no type */
        n->num = v->slot;
        n->type = (uint8_t)v->type;
        return n;
    }
    case X_LET:
        return build_let(b, n, args) ? n : NULL;
    case X_QUOTE: {
        uint32_t dummy;
        unsigned hdr;
        if (args != 1 || !peek_list(b, &dummy, &hdr) || !(n->raw = get_element(b, &n->raw_len)))
            return NULL;
        n->code = X_VALUE;
        n->type = XT_LIST;
        decode_container(b, n);
        return n;
    }
    case X_CALL:
        return build_call(b, n, args) ? n : NULL;
    default:
        return NULL; /* build_count_sz: invalid op_code */
    }
}

static exp_node *build_next(builder *b) {
    if (!has(b, 1) || b->oom)
        return NULL;
    if (b->depth >= MAX_DEPTH) {
        b->too_deep = true;
        return NULL;
    }
    b->depth++;
    uint32_t count;
    unsigned hdr;
    exp_node *n = peek_list(b, &count, &hdr) ? build_op(b) : build_value(b);
    b->depth--;
    return n;
}

static int build(const uint8_t *p, size_t len, bool path, aw_arena *arena, td_exp **out) {
    *out = NULL;
    td_exp *e = aw_arena_alloc(arena, sizeof *e);
    if (!e)
        return AW_ERR_SERVER_FULL;
    memset(e, 0, sizeof *e);
    builder b = {.p = p, .end = p + len, .arena = arena, .exp = e, .path = path};
    e->root = build_next(&b);
    int rc = AW_OK;
    if (b.oom)
        rc = AW_ERR_SERVER_FULL;
    else if (b.too_deep)
        rc = AW_ERR_UNSUPPORTED_FEATURE;
    else if (!e->root || b.p != b.end || e->root->type == XT_END)
        rc = AW_ERR_REQUEST_INVALID; /* malformed, ill-typed, bytes after it, of no type */
    else if (b.refuse)
        rc = AW_ERR_UNSUPPORTED_FEATURE;
    if (rc != AW_OK) {
        td_exp_free(e);
        return rc;
    }
    *out = e;
    return AW_OK;
}

int td_exp_build(const uint8_t *p, size_t len, aw_arena *arena, td_exp **out) {
    return build(p, len, false, arena, out);
}

int td_exp_build_path(const uint8_t *p, size_t len, aw_arena *arena, td_exp **out) {
    return build(p, len, true, arena, out);
}

void td_exp_free(td_exp *e) {
    if (!e)
        return;
    for (uint32_t i = 0; i < e->n_res; i++) {
        regfree(e->res[i]);
        free(e->res[i]);
    }
    e->n_res = 0;
}
