/*
 * Expression node constructors. Each copies what it is given into the
 * builder's arena; a bad argument is kept as the builder's first error and
 * the constructor returns NULL, which every later constructor passes on.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aerowire/key.h"
#include "exp_impl.h"
#include "mem.h"
#include "msgpack.h"

aw_exp_builder *aw_exp_builder_new(void) {
    aw_exp_builder *b = aw_calloc(1, sizeof *b);
    if (b)
        aw_arena_init(&b->arena, 0);
    return b;
}

void aw_exp_builder_free(aw_exp_builder *b) {
    if (!b)
        return;
    aw_arena_free(&b->arena);
    aw_free(b);
}

aw_exp_node *aw_exp_refuse(aw_exp_builder *b, int code, const char *fmt, ...) {
    if (b->failed)
        return NULL;
    b->failed = true;
    va_list ap;
    va_start(ap, fmt);
    char msg[AW_ERROR_MSG_SIZE];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    aw_error_set(&b->first_error, code, "%s", msg);
    return NULL;
}

#define refuse aw_exp_refuse

void *aw_exp_keep(aw_exp_builder *b, const void *p, size_t n) {
    void *copy = aw_arena_alloc(&b->arena, n ? n : 1);
    if (!copy) {
        refuse(b, AW_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (n)
        memcpy(copy, p, n);
    return copy;
}

static aw_exp_node *node(aw_exp_builder *b, exp_node_kind kind, uint8_t op, const char *what) {
    if (!b)
        return NULL;
    aw_exp_node *n = aw_arena_alloc(&b->arena, sizeof *n);
    if (!n)
        return refuse(b, AW_ERR_NOMEM, "%s: out of memory", what);
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->op = op;
    n->type = AW_EXP_ANY;
    return n;
}

/* Copies the argument pointers; a NULL one fails the node (its own failure
 * was recorded already, or the caller passed NULL, which is recorded now). */
static aw_exp_node *call(aw_exp_builder *b, uint8_t op, aw_exp_node *const *args, size_t n) {
    if (!b)
        return NULL;
    const exp_op_info *info = aw_exp_op_info(op);
    const char *what = info ? info->name : "?";
    if (n && !args)
        return refuse(b, AW_ERR_PARAM, "%s: %zu arguments but the array is NULL", what, n);
    if (n > UINT32_MAX / sizeof(aw_exp_node *))
        return refuse(b, AW_ERR_PARAM, "%s: %zu arguments", what, n);
    for (size_t i = 0; i < n; i++)
        if (!args[i])
            return refuse(b, AW_ERR_PARAM, "%s: argument %zu is NULL", what, i + 1);
    aw_exp_node *c = node(b, EXP_CALL, op, what);
    if (!c)
        return NULL;
    if (n) {
        c->args = aw_arena_alloc(&b->arena, n * sizeof *c->args);
        if (!c->args)
            return refuse(b, AW_ERR_NOMEM, "%s: out of memory", what);
        memcpy(c->args, args, n * sizeof *c->args);
    }
    c->n_args = (uint32_t)n;
    return c;
}

aw_exp_node *aw_exp_call_node(aw_exp_builder *b, uint8_t op, aw_exp_node *const *args, size_t n) {
    return call(b, op, args, n);
}

static aw_exp_node *call1(aw_exp_builder *b, uint8_t op, aw_exp_node *a) {
    return call(b, op, &a, 1);
}

static aw_exp_node *call2(aw_exp_builder *b, uint8_t op, aw_exp_node *l, aw_exp_node *r) {
    aw_exp_node *args[2] = {l, r};
    return call(b, op, args, 2);
}

/* Keeps a NUL-terminated copy of name in the node. */
static bool set_name(aw_exp_builder *b, aw_exp_node *n, const char *name, size_t len) {
    char *copy = aw_arena_strndup(&b->arena, name, len);
    if (!copy) {
        refuse(b, AW_ERR_NOMEM, "out of memory for a name");
        return false;
    }
    n->name = copy;
    n->name_len = (uint32_t)len;
    return true;
}

static aw_exp_node *named(aw_exp_builder *b, uint8_t op, const char *what, const char *name) {
    if (!b)
        return NULL;
    if (!name)
        return refuse(b, AW_ERR_PARAM, "%s: name is NULL", what);
    size_t len = strlen(name);
    if (len == 0 || len > AW_BIN_NAME_MAX)
        return refuse(b, AW_ERR_BAD_NAME, "%s: bin name '%.20s' must be 1 to %d bytes", what,
                      name, AW_BIN_NAME_MAX);
    aw_exp_node *n = node(b, EXP_CALL, op, what);
    return n && set_name(b, n, name, len) ? n : NULL;
}

/* Variable names as the server accepts them (S8.1.2 build_let). */
static bool var_name_ok(const char *s) {
    if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (const char *p = s + 1; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return false;
    return true;
}

/* ---- literals ---------------------------------------------------------- */

aw_exp_node *aw_exp_int(aw_exp_builder *b, int64_t v) {
    aw_exp_node *n = node(b, EXP_INT, 0, "int");
    if (n) {
        n->type = AW_EXP_INT;
        n->i = v;
    }
    return n;
}

aw_exp_node *aw_exp_float(aw_exp_builder *b, double v) {
    aw_exp_node *n = node(b, EXP_FLOAT, 0, "float");
    if (n) {
        n->type = AW_EXP_FLOAT;
        n->f = v;
    }
    return n;
}

aw_exp_node *aw_exp_bool(aw_exp_builder *b, bool v) {
    aw_exp_node *n = node(b, EXP_BOOL, 0, "bool");
    if (n) {
        n->type = AW_EXP_BOOL;
        n->i = v;
    }
    return n;
}

aw_exp_node *aw_exp_nil(aw_exp_builder *b) {
    aw_exp_node *n = node(b, EXP_NIL, 0, "nil");
    if (n)
        n->type = AW_EXP_NIL;
    return n;
}

static aw_exp_node *bytes_lit(aw_exp_builder *b, const char *what, uint8_t type, uint8_t ptype,
                              const void *p, size_t len) {
    if (!b)
        return NULL;
    if (len && !p)
        return refuse(b, AW_ERR_PARAM, "%s: NULL with length %zu", what, len);
    if (len >= AW_EXP_MAX_SIZE)
        return refuse(b, AW_ERR_PARAM, "%s: %zu bytes is over the expression size limit", what,
                      len);
    aw_exp_node *n = node(b, EXP_BYTES, 0, what);
    if (!n)
        return NULL;
    uint8_t *copy = aw_arena_alloc(&b->arena, len ? len : 1);
    if (!copy)
        return refuse(b, AW_ERR_NOMEM, "%s: out of memory", what);
    if (len)
        memcpy(copy, p, len);
    n->type = type;
    n->ptype = ptype;
    n->bytes = copy;
    n->len = (uint32_t)len;
    return n;
}

aw_exp_node *aw_exp_str(aw_exp_builder *b, const char *s) {
    if (b && !s)
        return refuse(b, AW_ERR_PARAM, "str: NULL string");
    return aw_exp_strn(b, s, s ? strlen(s) : 0);
}

aw_exp_node *aw_exp_strn(aw_exp_builder *b, const char *s, size_t len) {
    return bytes_lit(b, "str", AW_EXP_STR, AW_STR, s, len);
}

aw_exp_node *aw_exp_blob(aw_exp_builder *b, const void *p, size_t len) {
    return bytes_lit(b, "blob", AW_EXP_BLOB, AW_PARTICLE_BLOB, p, len);
}

aw_exp_node *aw_exp_geo(aw_exp_builder *b, const char *geojson) {
    if (b && !geojson)
        return refuse(b, AW_ERR_PARAM, "geo: NULL GeoJSON text");
    return bytes_lit(b, "geo", AW_EXP_GEO, AW_GEOJSON, geojson, geojson ? strlen(geojson) : 0);
}

/* Lists travel quoted ([126, list]); maps as they are. */
static aw_exp_node *collection(aw_exp_builder *b, const aw_value *v) {
    const char *what = v->type == AW_LIST ? "list" : "map";
    aw_buf buf;
    aw_buf_init(&buf);
    if (v->type == AW_LIST) {
        aw_mp_put_array_header(&buf, 2);
        aw_mp_put_uint(&buf, AW_EXPOP_QUOTE);
    }
    aw_error e;
    int rc = aw_msgpack_write(&buf, v, &e);
    if (rc == AW_OK && !aw_buf_ok(&buf))
        rc = aw_error_set(&e, AW_ERR_NOMEM, "out of memory");
    aw_exp_node *n = NULL;
    if (rc != AW_OK)
        refuse(b, rc, "%s: %s", what, e.message);
    else if ((n = bytes_lit(b, what, v->type == AW_LIST ? AW_EXP_LIST : AW_EXP_MAP, 0, buf.data,
                            buf.len)))
        n->kind = EXP_RAW;
    aw_buf_free(&buf);
    return n;
}

aw_exp_node *aw_exp_value(aw_exp_builder *b, const aw_value *v) {
    if (!b)
        return NULL;
    if (!v)
        return refuse(b, AW_ERR_PARAM, "value: NULL");
    switch (v->type) {
    case AW_NIL: return aw_exp_nil(b);
    case AW_INT: return aw_exp_int(b, v->u.i);
    case AW_FLOAT: return aw_exp_float(b, v->u.f);
    case AW_BOOL: return aw_exp_bool(b, v->u.b);
    case AW_STR: return aw_exp_strn(b, v->u.str, v->len);
    case AW_GEOJSON: return bytes_lit(b, "geo", AW_EXP_GEO, AW_GEOJSON, v->u.str, v->len);
    case AW_BLOB:
        if (v->subtype != AW_PARTICLE_BLOB)
            return refuse(b, AW_ERR_PARAM, "value: blob of particle type %d (only 4 compares "
                          "in expressions)", v->subtype);
        return aw_exp_blob(b, v->u.bytes, v->len);
    case AW_LIST:
    case AW_MAP: return collection(b, v);
    }
    return refuse(b, AW_ERR_PARAM, "value: unknown type %d", v->type);
}

aw_exp_node *aw_exp_unknown(aw_exp_builder *b) { return call(b, AW_EXPOP_UNKNOWN, NULL, 0); }

/* ---- bins and metadata ------------------------------------------------- */

static bool wire_type(aw_exp_type t) { return (unsigned)t <= AW_EXP_HLL; }

aw_exp_node *aw_exp_bin(aw_exp_builder *b, aw_exp_type type, const char *name) {
    if (b && !wire_type(type))
        return refuse(b, AW_ERR_PARAM, "bin: type %d is not an aw_exp_type", (int)type);
    aw_exp_node *n = named(b, AW_EXPOP_BIN, "bin", name);
    if (n)
        n->type = (uint8_t)type;
    return n;
}

aw_exp_node *aw_exp_bin_type(aw_exp_builder *b, const char *name) {
    return named(b, AW_EXPOP_BIN_TYPE, "bin_type", name);
}

aw_exp_node *aw_exp_bin_exists(aw_exp_builder *b, const char *name) {
    return aw_exp_ne(b, aw_exp_bin_type(b, name), aw_exp_int(b, 0));
}

aw_exp_node *aw_exp_key(aw_exp_builder *b, aw_exp_type type) {
    if (b && type != AW_EXP_INT && type != AW_EXP_STR && type != AW_EXP_BLOB)
        return refuse(b, AW_ERR_PARAM, "key: type %s; a key is int, str or blob",
                      aw_exp_type_name(type));
    aw_exp_node *n = call(b, AW_EXPOP_KEY, NULL, 0);
    if (n)
        n->type = (uint8_t)type;
    return n;
}

aw_exp_node *aw_exp_key_exists(aw_exp_builder *b) { return call(b, AW_EXPOP_KEY_EXISTS, NULL, 0); }
aw_exp_node *aw_exp_set_name(aw_exp_builder *b) { return call(b, AW_EXPOP_SET_NAME, NULL, 0); }
aw_exp_node *aw_exp_record_size(aw_exp_builder *b) { return call(b, AW_EXPOP_RECORD_SIZE, NULL, 0); }
aw_exp_node *aw_exp_device_size(aw_exp_builder *b) { return call(b, AW_EXPOP_DEVICE_SIZE, NULL, 0); }
aw_exp_node *aw_exp_memory_size(aw_exp_builder *b) { return call(b, AW_EXPOP_MEMORY_SIZE, NULL, 0); }
aw_exp_node *aw_exp_last_update(aw_exp_builder *b) { return call(b, AW_EXPOP_LAST_UPDATE, NULL, 0); }
aw_exp_node *aw_exp_since_update(aw_exp_builder *b) {
    return call(b, AW_EXPOP_SINCE_UPDATE, NULL, 0);
}
aw_exp_node *aw_exp_void_time(aw_exp_builder *b) { return call(b, AW_EXPOP_VOID_TIME, NULL, 0); }
aw_exp_node *aw_exp_ttl(aw_exp_builder *b) { return call(b, AW_EXPOP_TTL, NULL, 0); }
aw_exp_node *aw_exp_is_tombstone(aw_exp_builder *b) {
    return call(b, AW_EXPOP_IS_TOMBSTONE, NULL, 0);
}

aw_exp_node *aw_exp_digest_modulo(aw_exp_builder *b, int64_t mod) {
    if (b && mod == 0)
        return refuse(b, AW_ERR_PARAM, "digest_modulo: modulus 0");
    aw_exp_node *n = call(b, AW_EXPOP_DIGEST_MODULO, NULL, 0);
    if (n)
        n->i = mod;
    return n;
}

/* ---- comparisons and logic -------------------------------------------- */

aw_exp_node *aw_exp_eq(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r) {
    return call2(b, AW_EXPOP_EQ, l, r);
}
aw_exp_node *aw_exp_ne(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r) {
    return call2(b, AW_EXPOP_NE, l, r);
}
aw_exp_node *aw_exp_gt(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r) {
    return call2(b, AW_EXPOP_GT, l, r);
}
aw_exp_node *aw_exp_ge(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r) {
    return call2(b, AW_EXPOP_GE, l, r);
}
aw_exp_node *aw_exp_lt(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r) {
    return call2(b, AW_EXPOP_LT, l, r);
}
aw_exp_node *aw_exp_le(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r) {
    return call2(b, AW_EXPOP_LE, l, r);
}

aw_exp_node *aw_exp_regex(aw_exp_builder *b, int flags, const char *regex, aw_exp_node *str) {
    if (!b)
        return NULL;
    if (!regex)
        return refuse(b, AW_ERR_PARAM, "regex: pattern is NULL");
    if (flags & ~(AW_EXP_REGEX_EXTENDED | AW_EXP_REGEX_ICASE | AW_EXP_REGEX_NEWLINE))
        return refuse(b, AW_ERR_PARAM, "regex: flags 0x%x (EXTENDED, ICASE, NEWLINE only)",
                      (unsigned)flags);
    aw_exp_node *n = call1(b, AW_EXPOP_REGEX, str);
    if (!n || !set_name(b, n, regex, strlen(regex)))
        return NULL;
    n->i = flags;
    return n;
}

aw_exp_node *aw_exp_geo_compare(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r) {
    return call2(b, AW_EXPOP_GEO, l, r);
}
aw_exp_node *aw_exp_in_list(aw_exp_builder *b, aw_exp_node *value, aw_exp_node *list) {
    return call2(b, AW_EXPOP_IN_LIST, value, list);
}
aw_exp_node *aw_exp_not(aw_exp_builder *b, aw_exp_node *e) { return call1(b, AW_EXPOP_NOT, e); }
aw_exp_node *aw_exp_and_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n) {
    return call(b, AW_EXPOP_AND, args, n);
}
aw_exp_node *aw_exp_or_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n) {
    return call(b, AW_EXPOP_OR, args, n);
}
aw_exp_node *aw_exp_exclusive_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n) {
    return call(b, AW_EXPOP_EXCLUSIVE, args, n);
}

/* ---- arithmetic and bits ------------------------------------------------ */

#define VARIADIC(fn, op)                                                              \
    aw_exp_node *fn(aw_exp_builder *b, aw_exp_node *const *args, size_t n) {          \
        return call(b, op, args, n);                                                  \
    }
#define UNARY(fn, op) \
    aw_exp_node *fn(aw_exp_builder *b, aw_exp_node *e) { return call1(b, op, e); }
#define BINARY(fn, op)                                                                \
    aw_exp_node *fn(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r) {              \
        return call2(b, op, l, r);                                                    \
    }

VARIADIC(aw_exp_add_n, AW_EXPOP_ADD)
VARIADIC(aw_exp_sub_n, AW_EXPOP_SUB)
VARIADIC(aw_exp_mul_n, AW_EXPOP_MUL)
VARIADIC(aw_exp_div_n, AW_EXPOP_DIV)
VARIADIC(aw_exp_min_n, AW_EXPOP_MIN)
VARIADIC(aw_exp_max_n, AW_EXPOP_MAX)
VARIADIC(aw_exp_int_and_n, AW_EXPOP_INT_AND)
VARIADIC(aw_exp_int_or_n, AW_EXPOP_INT_OR)
VARIADIC(aw_exp_int_xor_n, AW_EXPOP_INT_XOR)
VARIADIC(aw_exp_cond_n, AW_EXPOP_COND)
VARIADIC(aw_exp_let_n, AW_EXPOP_LET)
BINARY(aw_exp_pow, AW_EXPOP_POW)
BINARY(aw_exp_log, AW_EXPOP_LOG)
BINARY(aw_exp_mod, AW_EXPOP_MOD)
BINARY(aw_exp_int_lshift, AW_EXPOP_INT_LSHIFT)
BINARY(aw_exp_int_rshift, AW_EXPOP_INT_RSHIFT)
BINARY(aw_exp_int_arshift, AW_EXPOP_INT_ARSHIFT)
BINARY(aw_exp_int_lscan, AW_EXPOP_INT_LSCAN)
BINARY(aw_exp_int_rscan, AW_EXPOP_INT_RSCAN)
UNARY(aw_exp_abs, AW_EXPOP_ABS)
UNARY(aw_exp_floor, AW_EXPOP_FLOOR)
UNARY(aw_exp_ceil, AW_EXPOP_CEIL)
UNARY(aw_exp_to_int, AW_EXPOP_TO_INT)
UNARY(aw_exp_to_float, AW_EXPOP_TO_FLOAT)
UNARY(aw_exp_int_not, AW_EXPOP_INT_NOT)
UNARY(aw_exp_int_count, AW_EXPOP_INT_COUNT)
UNARY(aw_exp_map_keys, AW_EXPOP_MAP_KEYS)
UNARY(aw_exp_map_values, AW_EXPOP_MAP_VALUES)

/* ---- let / def / var ---------------------------------------------------- */

aw_exp_node *aw_exp_def(aw_exp_builder *b, const char *name, aw_exp_node *value) {
    if (!b)
        return NULL;
    if (!var_name_ok(name))
        return refuse(b, AW_ERR_PARAM,
                      "def: variable name '%.20s' must start with a letter or '_' and hold "
                      "only letters, digits and '_'", name ? name : "(null)");
    if (!value)
        return refuse(b, AW_ERR_PARAM, "def '%.20s': value is NULL", name);
    aw_exp_node *n = node(b, EXP_DEF, 0, "def");
    if (!n || !set_name(b, n, name, strlen(name)))
        return NULL;
    n->args = aw_arena_alloc(&b->arena, sizeof *n->args);
    if (!n->args)
        return refuse(b, AW_ERR_NOMEM, "def: out of memory");
    n->args[0] = value;
    n->n_args = 1;
    return n;
}

aw_exp_node *aw_exp_var(aw_exp_builder *b, const char *name) {
    if (!b)
        return NULL;
    if (!var_name_ok(name))
        return refuse(b, AW_ERR_PARAM,
                      "var: variable name '%.20s' must start with a letter or '_' and hold "
                      "only letters, digits and '_'", name ? name : "(null)");
    aw_exp_node *n = call(b, AW_EXPOP_VAR, NULL, 0);
    return n && set_name(b, n, name, strlen(name)) ? n : NULL;
}
