/*
 * aw-testd: expressions and CDT contexts in the text sindex-list shows
 * without b64=true (S8.1.2 exp.c as_exp_display and its display_* per op,
 * cdt.c cdt_msgpack_ctx_to_dynbuf, msgpack_in.c msgpack_display). Values
 * are shown by kind and size, not content ("<string#3>"); bin names in
 * full.
 */
#include "exp_display.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aerowire/value.h"
#include "exp_internal.h"
#include "proto/msgpack.h"

/* msgpack_type, numbered as the server's (display_msgpack prints the
 * number of a kind it does not show). */
enum {
    MT_ERROR, MT_NIL, MT_FALSE, MT_TRUE, MT_NEGINT, MT_INT, MT_STRING, MT_LIST, MT_MAP,
    MT_BYTES, MT_DOUBLE, MT_GEOJSON, MT_EXT, MT_WILDCARD, MT_INF,
};

/* as_bytes types: a str/bin payload's first byte. */
#define BYTES_STRING 3
#define BYTES_BLOB 4
#define BYTES_HLL 18
#define BYTES_GEOJSON 23
/* The ext type and values of the comparison wildcard and infinity. */
#define CMP_EXT_TYPE 0xff
#define CMP_WILDCARD 0
#define CMP_INF 1

static void putf(aw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(aw_buf *b, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        aw_buf_put(b, tmp, (size_t)n);
        return;
    }
    uint8_t *p = aw_buf_grow(b, (size_t)n + 1); /* a long bin name or float */
    if (!p)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len--; /* the NUL */
}

typedef struct mp {
    const uint8_t *p;
    size_t len, at;
} mp;

static uint64_t load_be(const uint8_t *p, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static bool has(const mp *m, size_t n) { return m->len - m->at >= n; }

/* A str/bin header at the cursor: its size and the payload's length. */
static bool bytes_header(const mp *m, unsigned *hdr, uint32_t *n) {
    if (!has(m, 1))
        return false;
    uint8_t t = m->p[m->at];
    unsigned w = (t & 0xe0) == 0xa0 ? 0 : t == 0xc4 || t == 0xd9 ? 1 : t == 0xc5 || t == 0xda ? 2
               : t == 0xc6 || t == 0xdb ? 4 : 9;
    if (w == 9 || !has(m, 1 + w))
        return false;
    *hdr = 1 + w;
    *n = w ? (uint32_t)load_be(m->p + m->at + 1, w) : t & 0x1f;
    return has(m, *hdr + *n);
}

/* msgpack_peek_type. */
static int peek(const mp *m) {
    if (!has(m, 1))
        return MT_ERROR;
    uint8_t t = m->p[m->at];
    const uint8_t *q = m->p + m->at + 1;
    unsigned hdr;
    uint32_t n;
    if (bytes_header(m, &hdr, &n)) {
        uint8_t type = n ? m->p[m->at + hdr] : 0;
        return !n ? MT_BYTES : type == BYTES_STRING ? MT_STRING
             : type == BYTES_GEOJSON ? MT_GEOJSON : MT_BYTES;
    }
    if (t == 0xc0)
        return MT_NIL;
    if (t == 0xc2 || t == 0xc3)
        return t == 0xc2 ? MT_FALSE : MT_TRUE;
    if (t < 0x80 || (t >= 0xcc && t <= 0xcf))
        return MT_INT;
    if (t >= 0xe0)
        return MT_NEGINT;
    if (t >= 0xd0 && t <= 0xd3)
        return has(m, 2) && (*q & 0x80) ? MT_NEGINT : MT_INT;
    if (t == 0xca || t == 0xcb)
        return MT_DOUBLE;
    if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd)
        return MT_LIST;
    if ((t & 0xf0) == 0x80 || t == 0xde || t == 0xdf)
        return MT_MAP;
    if (t == 0xd4 || (t == 0xc7 && has(m, 2) && q[0] == 1)) {
        const uint8_t *e = t == 0xd4 ? q : q + 1;
        if (has(m, (size_t)(e - (m->p + m->at)) + 2) && e[0] == CMP_EXT_TYPE &&
            (e[1] == CMP_WILDCARD || e[1] == CMP_INF))
            return e[1] == CMP_WILDCARD ? MT_WILDCARD : MT_INF;
        return t == 0xd4 ? MT_ERROR : MT_EXT;
    }
    if ((t >= 0xd5 && t <= 0xd8) || t == 0xc7 || t == 0xc8 || t == 0xc9)
        return MT_EXT;
    return MT_ERROR;
}

static bool skip(mp *m) {
    size_t used;
    if (aw_msgpack_skip(m->p + m->at, m->len - m->at, &used, NULL) != AW_OK)
        return false;
    m->at += used;
    return true;
}

/* msgpack_get_int64: any integer encoding. */
static bool get_int(mp *m, int64_t *v) {
    uint8_t t = m->p[m->at];
    if (t < 0x80 || t >= 0xe0) {
        *v = t < 0x80 ? t : (int8_t)t;
        m->at++;
        return true;
    }
    if (t < 0xcc || t > 0xd3 || (t > 0xcf && t < 0xd0))
        return false;
    bool sign = t >= 0xd0;
    unsigned w = 1u << ((t - (sign ? 0xd0 : 0xcc)) & 3);
    if (!has(m, 1 + w))
        return false;
    uint64_t u = load_be(m->p + m->at + 1, w);
    if (sign && w < 8 && (u >> (8 * w - 1)))
        u |= ~0ull << (8 * w); /* sign-extend */
    *v = (int64_t)u;
    m->at += 1 + w;
    return true;
}

static bool get_double(mp *m, double *v) {
    uint8_t t = m->p[m->at];
    unsigned w = t == 0xca ? 4 : 8;
    if (!has(m, 1 + w))
        return false;
    uint64_t u = load_be(m->p + m->at + 1, w);
    if (w == 4) {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, 4);
        *v = f;
    } else {
        memcpy(v, &u, 8);
    }
    m->at += 1 + w;
    return true;
}

/* A list's or map's count (its header read). */
static bool get_count(mp *m, bool map, uint32_t *n) {
    uint8_t t = m->p[m->at];
    unsigned w = (t & 0xf0) == (map ? 0x80 : 0x90) ? 0 : t == (map ? 0xde : 0xdc) ? 2
               : t == (map ? 0xdf : 0xdd) ? 4 : 9;
    if (w == 9 || !has(m, 1 + w))
        return false;
    *n = w ? (uint32_t)load_be(m->p + m->at + 1, w) : t & 0x0f;
    m->at += 1 + w;
    return true;
}

/* A str/bin: its payload (type byte first), *n bytes. */
static const uint8_t *get_bytes(mp *m, uint32_t *n) {
    unsigned hdr;
    if (!bytes_header(m, &hdr, n))
        return NULL;
    const uint8_t *d = m->p + m->at + hdr;
    m->at += hdr + *n;
    return d;
}

/* An ext's payload size (msgpack_get_ext). */
static bool get_ext_size(mp *m, uint32_t *size) {
    uint8_t t = m->p[m->at];
    if (t >= 0xd4 && t <= 0xd8)
        *size = 1u << (t - 0xd4);
    else if (has(m, 1 + (t == 0xc7 ? 1 : t == 0xc8 ? 2 : 4)))
        *size = (uint32_t)load_be(m->p + m->at + 1, t == 0xc7 ? 1 : t == 0xc8 ? 2 : 4);
    else
        return false;
    return skip(m);
}

/* msgpack_display: one value as the context text shows it. */
static bool show_ctx_value(mp *m, aw_buf *b) {
    int type = peek(m);
    uint32_t n;
    int64_t i;
    double d;
    const uint8_t *p;
    switch (type) {
    case MT_NIL: case MT_FALSE: case MT_TRUE: case MT_WILDCARD: case MT_INF:
        putf(b, "%s", type == MT_NIL ? "nil" : type == MT_FALSE ? "false"
                      : type == MT_TRUE ? "true" : type == MT_WILDCARD ? "*" : "inf");
        return skip(m);
    case MT_NEGINT: case MT_INT:
        if (!get_int(m, &i))
            return false;
        putf(b, "%" PRId64, i);
        return true;
    case MT_STRING: case MT_GEOJSON:
        if (!get_bytes(m, &n))
            return false;
        putf(b, "<%s#%u>", type == MT_STRING ? "string" : "geojson", n - 1);
        return true;
    case MT_LIST: case MT_MAP: {
        size_t at = m->at;
        if (!get_count(m, type == MT_MAP, &n))
            return false;
        m->at = at;
        putf(b, "<%s#%u>", type == MT_MAP ? "map" : "list", n);
        return skip(m);
    }
    case MT_BYTES:
        if (!(p = get_bytes(m, &n)))
            return false;
        if (n == 0)
            putf(b, "<blob#_>");
        else if (p[0] != BYTES_BLOB)
            putf(b, "<blob%u#%u>", p[0], n - 1);
        else
            putf(b, "<blob#%u>", n - 1);
        return true;
    case MT_DOUBLE:
        if (!get_double(m, &d))
            return false;
        putf(b, "%f", d);
        return true;
    case MT_EXT:
        if (!get_ext_size(m, &n))
            return false;
        putf(b, "<ext#%u>", n);
        return true;
    default:
        return false;
    }
}

/* cdt_msgpack_ctx_to_dynbuf, with its error marks. */
static bool show_ctx(mp *m, aw_buf *b) {
    static const char *const names[] = {"index", "rank", "key", "value", "exp", NULL, NULL, NULL,
                                        "index_list", "rank_list", "key_list", "value_list"};
    putf(b, "[");
    uint32_t n;
    if (!has(m, 1) || !get_count(m, false, &n)) {
        putf(b, "(ctx-error-list-hdr)]");
        return false;
    }
    if (n & 1) {
        putf(b, "(ctx-error-list-ele-count %u)]", n);
        return false;
    }
    for (uint32_t i = 0; i < n / 2; i++) {
        int64_t type;
        if (!has(m, 1) || !get_int(m, &type)) {
            putf(b, "(ctx-error-type-not-int)]");
            return false;
        }
        unsigned base = (unsigned)type & 0x0f;
        if (base >= sizeof names / sizeof names[0] || !names[base]) {
            putf(b, "(ctx-error-invalid-type)]");
            return false;
        }
        putf(b, "%s%s%s(", i ? ", " : "",
                      type & 0x10 ? "list_" : type & 0x20 ? "map_" : "", names[base]);
        if (!has(m, 1) || !show_ctx_value(m, b)) {
            putf(b, "(ctx-error-display)]");
            return false;
        }
        putf(b, ")");
    }
    putf(b, "]");
    return true;
}

bool td_ctx_display(const uint8_t *ctx, size_t len, aw_buf *b) {
    mp m = {ctx, len, 0};
    return show_ctx(&m, b);
}

/* display_msgpack: a CALL's parameter. */
static void show_param(mp *m, aw_buf *b) {
    int type = peek(m);
    int64_t i;
    double d;
    uint32_t n;
    const uint8_t *p;
    switch (type) {
    case MT_NIL: case MT_FALSE: case MT_TRUE:
        putf(b, "%s", type == MT_NIL ? "nil" : type == MT_FALSE ? "false" : "true");
        skip(m);
        return;
    case MT_NEGINT: case MT_INT:
        if (get_int(m, &i))
            putf(b, "%" PRId64, i);
        return;
    case MT_DOUBLE:
        if (get_double(m, &d))
            putf(b, "%f", d);
        return;
    case MT_STRING: case MT_GEOJSON:
        if (get_bytes(m, &n))
            putf(b, "<%s#%u>", type == MT_STRING ? "string" : "geojson", n - 1);
        return;
    case MT_BYTES:
        if (!(p = get_bytes(m, &n)))
            return;
        if (n == 0)
            putf(b, "<blob#_>");
        else
            putf(b, "<%s#%u>", p[0] == BYTES_HLL ? "hll" : "blob", n - 1);
        return;
    default:
        putf(b, "<msgpack/%d>", type);
        if (!skip(m))
            m->at = m->len;
        return;
    }
}

/* op_table's names, by op code. */
static const char *op_name(uint8_t code) {
    switch (code) {
    case X_UNK: return "unknown";
    case X_EQ: return "eq";
    case X_NE: return "ne";
    case X_GT: return "gt";
    case X_GE: return "ge";
    case X_LT: return "lt";
    case X_LE: return "le";
    case X_REGEX: return "cmp_regex";
    case X_GEO: return "cmp_geo";
    case X_IN_LIST: return "in_list";
    case X_AND: return "and";
    case X_OR: return "or";
    case X_NOT: return "not";
    case X_EXCLUSIVE: return "exclusive";
    case X_ADD: return "add";
    case X_SUB: return "sub";
    case X_MUL: return "mul";
    case X_DIV: return "div";
    case X_POW: return "pow";
    case X_LOG: return "log";
    case X_MOD: return "mod";
    case X_ABS: return "abs";
    case X_FLOOR: return "floor";
    case X_CEIL: return "ceil";
    case X_TO_INT: return "to_int";
    case X_TO_FLOAT: return "to_float";
    case X_INT_AND: return "int_and";
    case X_INT_OR: return "int_or";
    case X_INT_XOR: return "int_xor";
    case X_INT_NOT: return "int_not";
    case X_INT_LSHIFT: return "int_lshift";
    case X_INT_RSHIFT: return "int_rshift";
    case X_INT_ARSHIFT: return "int_arshift";
    case X_INT_COUNT: return "int_count";
    case X_INT_LSCAN: return "int_lscan";
    case X_INT_RSCAN: return "int_rscan";
    case X_MIN: return "min";
    case X_MAX: return "max";
    case X_DIGEST_MOD: return "digest_modulo";
    case X_DEVICE_SIZE: return "device_size";
    case X_LAST_UPDATE: return "last_update";
    case X_SINCE_UPDATE: return "since_update";
    case X_VOID_TIME: return "void_time";
    case X_TTL: return "ttl";
    case X_SET_NAME: return "set_name";
    case X_KEY_EXISTS: return "key_exists";
    case X_IS_TOMBSTONE: return "is_tombstone";
    case X_MEMORY_SIZE: return "memory_size";
    case X_RECORD_SIZE: return "record_size";
    case X_KEY: return "key";
    case X_BIN: return "bin";
    case X_BIN_TYPE: return "bin_type";
    case X_RESULT_REMOVE: return "result_remove";
    case X_MAP_KEYS: return "map_keys";
    case X_MAP_VALUES: return "map_values";
    case X_VAR_BUILTIN: return "var_builtin";
    case X_COND: return "cond";
    case X_VAR: return "var";
    case X_LET: return "let";
    default: return "call";
    }
}

/* result_type_str. */
static const char *type_name(int64_t t) {
    static const char *const names[] = {"nil", "bool", "int", "str", "list", "map", "blob",
                                        "float", "geojson", "hll", "result_remove"};
    return t >= 0 && t <= 10 ? names[t] : "";
}

/* cdt_exp_display_names (cdt.c), by AS_CDT_OP code. */
static const char *cdt_name(uint64_t op) {
    static const char *const list[] = {
        [1] = "list_append", [2] = "list_append_items", [3] = "list_insert",
        [4] = "list_insert_items", [9] = "list_set", [11] = "list_clear",
        [12] = "list_increment", [13] = "list_sort", [16] = "list_size",
        [19] = "list_get_by_index", [20] = "list_get_by_value", [21] = "list_get_by_rank",
        [23] = "list_get_by_value_list", [24] = "list_get_by_index_range",
        [25] = "list_get_by_value_range", [26] = "list_get_by_rank_range",
        [27] = "list_get_by_rel_rank_range", [32] = "list_remove_by_index",
        [34] = "list_remove_by_rank", [35] = "list_remove_by_value",
        [36] = "list_remove_by_value_list", [37] = "list_remove_by_index_range",
        [38] = "list_remove_by_value_range", [39] = "list_remove_by_rank_range",
        [40] = "list_remove_by_rel_rank_range", [67] = "map_put", [68] = "map_put_items",
        [73] = "map_increment", [75] = "map_clear", [76] = "map_remove_by_key",
        [77] = "map_remove_by_index", [79] = "map_remove_by_rank",
        [81] = "map_remove_by_key_list", [82] = "map_remove_by_value",
        [83] = "map_remove_by_value_list", [84] = "map_remove_by_key_range",
        [85] = "map_remove_by_index_range", [86] = "map_remove_by_value_range",
        [87] = "map_remove_by_rank_range", [88] = "map_remove_by_rel_index_range",
        [89] = "map_remove_by_rel_rank_range", [96] = "map_size", [97] = "map_get_by_key",
        [98] = "map_get_by_index", [100] = "map_get_by_rank", [102] = "map_get_by_value",
        [103] = "map_get_by_key_range", [104] = "map_get_by_index_range",
        [105] = "map_get_by_value_range", [106] = "map_get_by_rank_range",
        [107] = "map_get_by_key_list", [108] = "map_get_by_value_list",
        [109] = "map_get_by_rel_index_range", [110] = "map_get_by_rel_rank_range",
    };
    if (op == 0xfe)
        return "select";
    return op < sizeof list / sizeof list[0] && list[op] ? list[op] : "INVALID_CDT_OP";
}

/* as_bits_op_name / as_hll_op_name (the latter's fallback is the former's). */
static const char *bits_name(uint64_t op, bool modify) {
    static const char *const mod[] = {"bit_resize", "bit_insert", "bit_remove", "bit_set",
                                      "bit_or", "bit_xor", "bit_and", "bit_not", "bit_lshift",
                                      "bit_rshift", "bit_add", "bit_subtract", "bit_set_int"};
    static const char *const rd[] = {"bit_get", "bit_count", "bit_lscan", "bit_rscan",
                                     "bit_get_int"};
    if (modify)
        return op < 13 ? mod[op] : "INVALID_BITS_OP";
    return op >= 50 && op < 55 ? rd[op - 50] : "INVALID_BITS_OP";
}

static const char *hll_name(uint64_t op, bool modify) {
    static const char *const mod[] = {"hll_init", "hll_add", "hll_set_union",
                                      "hll_refresh_count", "hll_fold"};
    static const char *const rd[] = {"hll_get_count", "hll_get_union", "hll_get_union_count",
                                     "hll_get_intersect_count", "hll_get_similarity",
                                     "hll_describe", "hll_may_contain"};
    if (modify)
        return op < 5 ? mod[op] : "INVALID_BITS_OP";
    return op >= 50 && op < 57 ? rd[op - 50] : "INVALID_BITS_OP";
}

static void show(const exp_node *n, aw_buf *b);

static void show_params(mp *m, aw_buf *b) {
    while (m->at < m->len) {
        size_t at = m->at;
        show_param(m, b);
        if (m->at == at) /* unreadable: nothing more to show */
            return;
        putf(b, ", ");
    }
}

/* display_call: the op's name (and context), its parameters, the bin. */
static void show_call(const exp_node *n, aw_buf *b) {
    int64_t system = n->sys & ~(int64_t)XCALL_MODIFY_LOCAL;
    bool modify = system != n->sys;
    mp m = {n->parts[0].raw, n->parts[0].raw_len, 0};
    uint32_t count;
    int64_t op = 0;
    if (!get_count(&m, false, &count) || !has(&m, 1) || !get_int(&m, &op))
        return;
    if (system == XCALL_CDT && op == 0xff) {
        mp ctx = m;
        if (!skip(&m) || !get_count(&m, false, &count) || !has(&m, 1) || !get_int(&m, &op))
            return;
        putf(b, "%s(", cdt_name((uint64_t)op));
        show_ctx(&ctx, b);
        putf(b, ", ");
    } else if (system == XCALL_CDT && op == 0xfe) {
        putf(b, "select(");
        size_t at = m.at;
        if (!show_ctx(&m, b)) {
            m.at = at;
            skip(&m);
        }
        int64_t flags = 0;
        if (has(&m, 1))
            get_int(&m, &flags);
        if (count > 3) {
            size_t from = m.at;
            skip(&m);
            putf(b, ", 0x%x, <mod_exp/%zu>, ", (unsigned)flags, m.at - from);
        } else {
            putf(b, ", 0x%x, ", (unsigned)flags);
        }
    } else if (system == XCALL_CDT) {
        putf(b, "%s(NULL, ", cdt_name((uint64_t)op));
    } else {
        putf(b, "%s(", system == XCALL_BITS ? bits_name((uint64_t)op, modify)
                                                     : hll_name((uint64_t)op, modify));
    }
    show_params(&m, b);
    for (uint32_t i = 1; i < n->n_parts; i++) {
        if (n->parts[i].eval) {
            show(n->parts[i].eval, b);
            putf(b, ", ");
            continue;
        }
        mp rest = {n->parts[i].raw, n->parts[i].raw_len, 0};
        show_params(&rest, b);
    }
    show(n->kids[0], b);
    putf(b, ")");
}

/* display_value. */
static void show_value(const exp_node *n, aw_buf *b) {
    switch (n->type) {
    case XT_NIL: putf(b, "nil"); return;
    case XT_BOOL: putf(b, "%s", n->lit.u.b ? "true" : "false"); return;
    case XT_INT: putf(b, "%" PRId64, n->lit.u.i); return;
    case XT_FLOAT: putf(b, "%f", n->lit.u.f); return;
    case XT_STR: putf(b, "<string#%u>", n->lit.len); return;
    case XT_BLOB: putf(b, "<blob#%u>", n->lit.len); return;
    case XT_HLL: putf(b, "<hll#%u>", n->lit.len); return;
    case XT_GEO: putf(b, "<geojson#%u>", n->lit.len); return;
    default: break;
    }
    mp m = {n->raw, n->raw_len, 0};
    uint32_t count = UINT32_MAX;
    if (n->type == XT_LIST) {
        get_count(&m, false, &count);
        putf(b, "<list#%u>", count);
    } else if (n->type == XT_MAP && get_count(&m, true, &count)) {
        putf(b, "<map#%u>", count);
    } else {
        putf(b, "<ext#%u>", n->raw_len);
    }
}

static void show_kids(const exp_node *n, uint32_t from, aw_buf *b) {
    for (uint32_t i = from; i < n->n_kids; i++) {
        if (i > from)
            putf(b, ", ");
        show(n->kids[i], b);
    }
}

static void show(const exp_node *n, aw_buf *b) {
    switch (n->code) {
    case X_VALUE: show_value(n, b); return;
    case X_BIN:
        putf(b, "bin_%s(\"%.*s\")", type_name(n->num), (int)n->name_len,
                      (const char *)n->name);
        return;
    case X_BIN_TYPE:
        putf(b, "bin_type(\"%.*s\")", (int)n->name_len, (const char *)n->name);
        return;
    case X_DIGEST_MOD: putf(b, "digest_modulo(%u)", (unsigned)n->num); return;
    case X_VAR_BUILTIN: putf(b, "var_builtin(%u)", (unsigned)n->num); return;
    case X_VAR: putf(b, "var(\"var_%u\")", (unsigned)n->num); return;
    case X_REGEX:
        putf(b, "cmp_regex(<string#%u>, %u, ", (unsigned)n->num, (unsigned)n->sys);
        show(n->kids[0], b);
        putf(b, ")");
        return;
    case X_LET:
        putf(b, "let(");
        for (uint32_t i = 0; i + 1 < n->n_kids; i++) {
            putf(b, "def(var_%u, ", (unsigned)(n->num + i));
            show(n->kids[i], b);
            putf(b, "), ");
        }
        show(n->kids[n->n_kids - 1], b);
        putf(b, ")");
        return;
    case X_CALL: show_call(n, b); return;
    default: /* display_0_args, _1_arg, _2_args and the vargs: name(kids) */
        putf(b, "%s(", op_name(n->code));
        show_kids(n, 0, b);
        putf(b, ")");
        return;
    }
}

bool td_exp_display(const uint8_t *exp, size_t len, aw_buf *b) {
    aw_arena arena;
    aw_arena_init(&arena, 0);
    td_exp *e = NULL;
    bool ok = td_exp_build(exp, len, &arena, &e) == AW_OK;
    if (ok)
        show(e->root, b);
    td_exp_free(e);
    aw_arena_free(&arena);
    return ok;
}
