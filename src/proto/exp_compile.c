/*
 * Compiling a builder's tree: one walk that checks each node as the server
 * will (arity, argument types, bound variables) and writes its msgpack.
 * The first problem stops the walk with a message naming the node by its
 * path from the root ("and.2.eq": the eq that is the and's 2nd argument).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exp_impl.h"
#include "mem.h"
#include "msgpack.h"

#define MAX_DEPTH 256 /* nesting; also bounds the recursion */
#define MAX_VARS 64   /* let definitions in scope at once */
#define PATH_SIZE 96

typedef struct compiler {
    aw_buf out;
    aw_error *err;
    int rc;
    unsigned depth;
    char path[PATH_SIZE];
    struct {
        const char *name;
        uint8_t type;
    } vars[MAX_VARS];
    unsigned n_vars;
} compiler;

__attribute__((format(printf, 2, 3))) static int bad(compiler *c, const char *fmt, ...) {
    char msg[AW_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->rc = aw_error_set(c->err, AW_ERR_PARAM, "expression node %s: %s", c->path, msg);
    return -1;
}

static bool compatible(unsigned a, unsigned b) { return a == b || a == AW_EXP_ANY || b == AW_EXP_ANY; }

static const char *tname(unsigned t) { return aw_exp_type_name(t); }

static int emit(compiler *c, const aw_exp_node *n);

/* How a node is named in error paths: its builder's name, or its op's. */
static const char *node_name(const aw_exp_node *n) {
    if (n->label)
        return n->label;
    if (n->kind == EXP_CALL) {
        const exp_op_info *info = aw_exp_op_info(n->op);
        return info ? info->name : "?";
    }
    return n->kind == EXP_DEF ? "def" : "value";
}

/* Emits argument i of the node whose path is c->path, with the path
 * extended by ".<i+1>.<name>" while it is inside. */
static int emit_arg_as(compiler *c, const aw_exp_node *n, uint32_t i, uint32_t shown) {
    size_t keep = strlen(c->path);
    const aw_exp_node *a = n->args[i];
    snprintf(c->path + keep, PATH_SIZE - keep, ".%u.%s", shown, node_name(a));
    int t = emit(c, a);
    c->path[keep] = '\0';
    return t;
}

static int emit_arg(compiler *c, const aw_exp_node *n, uint32_t i) {
    return emit_arg_as(c, n, i, i + 1);
}

static void put_header(compiler *c, uint32_t n_items, uint8_t op) {
    aw_mp_put_array_header(&c->out, n_items);
    aw_mp_put_uint(&c->out, op);
}

static int check_arity(compiler *c, const aw_exp_node *n, const exp_op_info *info) {
    if (n->n_args < info->min)
        return bad(c, "needs %s%u argument%s, has %u", info->max == info->min ? "" : "at least ",
                   info->min, info->min == 1 ? "" : "s", n->n_args);
    if (info->max != 255 && n->n_args > info->max)
        return bad(c, "takes %s%u argument%s, has %u", info->max == info->min ? "" : "at most ",
                   info->max, info->max == 1 ? "" : "s", n->n_args);
    return 0;
}

static int emit_generic(compiler *c, const aw_exp_node *n, const exp_op_info *info) {
    if (check_arity(c, n, info) < 0)
        return -1;
    put_header(c, 1 + n->n_args, n->op);
    unsigned same = AW_EXP_ANY;
    for (uint32_t i = 0; i < n->n_args; i++) {
        int t = emit_arg(c, n, i);
        if (t < 0)
            return -1;
        switch (info->rule) {
        case RULE_TYPED: {
            unsigned want = i == 0 ? info->arg0 : info->argn;
            if (!compatible((unsigned)t, want))
                return bad(c, "argument %u is %s, must be %s", i + 1, tname((unsigned)t),
                           tname(want));
            break;
        }
        case RULE_SAME_NUM:
            if (!compatible((unsigned)t, AW_EXP_INT) && !compatible((unsigned)t, AW_EXP_FLOAT))
                return bad(c, "argument %u is %s, must be int or float", i + 1,
                           tname((unsigned)t));
            /* fallthrough */
        case RULE_COMPARE:
            if (!compatible((unsigned)t, same))
                return bad(c, "argument %u is %s, argument 1 is %s (must be one type)", i + 1,
                           tname((unsigned)t), tname(same));
            if (t == AW_EXP_GEO || t == AW_EXP_HLL)
                if (info->rule == RULE_COMPARE)
                    return bad(c, "%s values do not compare with %s (geo: use geo_compare)",
                               tname((unsigned)t), info->name);
            if (same == AW_EXP_ANY)
                same = (unsigned)t;
            break;
        }
    }
    if (info->rule == RULE_SAME_NUM)
        return (int)same;
    return info->result;
}

static int emit_cond(compiler *c, const aw_exp_node *n) {
    if (n->n_args < 3 || n->n_args % 2 == 0)
        return bad(c, "needs condition/value pairs and a default (an odd count >= 3), has %u",
                   n->n_args);
    put_header(c, 1 + n->n_args, n->op);
    unsigned result = AW_EXP_ANY;
    for (uint32_t i = 0; i < n->n_args; i++) {
        int t = emit_arg(c, n, i);
        if (t < 0)
            return -1;
        bool is_condition = i % 2 == 0 && i + 1 < n->n_args;
        if (is_condition) {
            if (!compatible((unsigned)t, AW_EXP_BOOL))
                return bad(c, "condition (argument %u) is %s, must be bool", i + 1,
                           tname((unsigned)t));
        } else {
            if (!compatible((unsigned)t, result))
                return bad(c, "value (argument %u) is %s, earlier values are %s", i + 1,
                           tname((unsigned)t), tname(result));
            if (result == AW_EXP_ANY)
                result = (unsigned)t;
        }
    }
    return (int)result;
}

/* [125, name1, e1, ..., body]: definitions come into scope one by one. */
static int emit_let(compiler *c, const aw_exp_node *n) {
    if (n->n_args < 2)
        return bad(c, "needs at least one def and a body, has %u argument%s", n->n_args,
                   n->n_args == 1 ? "" : "s");
    unsigned scope = c->n_vars;
    put_header(c, 1 + 2 * (n->n_args - 1) + 1, n->op);
    int t = -1;
    for (uint32_t i = 0; i < n->n_args; i++) {
        bool last = i + 1 == n->n_args;
        const aw_exp_node *a = n->args[i];
        if (!last && a->kind != EXP_DEF) {
            c->n_vars = scope;
            return bad(c, "argument %u is not a def (all but the last must be)", i + 1);
        }
        if (last && a->kind == EXP_DEF) {
            c->n_vars = scope;
            return bad(c, "the last argument must be the body, not a def");
        }
        if (last) {
            t = emit_arg(c, n, i);
        } else { /* the def's name, then its value one level down */
            size_t keep = strlen(c->path);
            snprintf(c->path + keep, PATH_SIZE - keep, ".%u.def", i + 1);
            aw_mp_put_raw_str(&c->out, a->name, a->name_len);
            t = emit_arg(c, a, 0);
            c->path[keep] = '\0';
        }
        if (t < 0) {
            c->n_vars = scope;
            return -1;
        }
        if (!last) {
            if (c->n_vars == MAX_VARS) {
                c->n_vars = scope;
                return bad(c, "more than %d variables in scope", MAX_VARS);
            }
            c->vars[c->n_vars].name = a->name;
            c->vars[c->n_vars].type = (uint8_t)t;
            c->n_vars++;
        }
    }
    c->n_vars = scope;
    return t;
}

static int emit_var(compiler *c, const aw_exp_node *n) {
    put_header(c, 2, n->op);
    aw_mp_put_raw_str(&c->out, n->name, n->name_len);
    for (unsigned i = c->n_vars; i-- > 0;)
        if (strcmp(c->vars[i].name, n->name) == 0)
            return c->vars[i].type;
    return bad(c, "variable '%s' is not defined by an enclosing let", n->name);
}

/* [127, result type, system, <context head>[code, args...], bin]: the
 * arguments the builder wrote (return type, policy) go as they are, the
 * others are checked against the types the function takes. */
static int emit_cdt_call(compiler *c, const aw_exp_node *n) {
    put_header(c, 5, n->op);
    aw_mp_put_uint(&c->out, n->type);
    aw_mp_put_uint(&c->out, n->system);
    if (n->fault)
        return bad(c, "%s", n->fault);
    uint32_t n_op_args = n->n_args - 1;
    if (n->len && !n->ctx_inline)
        aw_buf_put(&c->out, n->bytes, n->len);
    aw_mp_put_array_header(&c->out, 1 + n_op_args + (n->ctx_inline ? 1u : 0u));
    aw_mp_put_uint(&c->out, n->cdt_op);
    if (n->ctx_inline)
        aw_buf_put(&c->out, n->bytes, n->len);
    uint32_t shown = 0; /* arguments are numbered as the builder takes them */
    for (uint32_t i = 0; i < n_op_args; i++) {
        unsigned want = n->want[i];
        if (want == EXP_WANT_LITERAL) {
            emit(c, n->args[i]); /* an int the builder made: cannot fail */
            continue;
        }
        int t = emit_arg_as(c, n, i, ++shown);
        if (t < 0)
            return -1;
        if (!compatible((unsigned)t, want))
            return bad(c, "argument %u is %s, must be %s", shown, tname((unsigned)t),
                       tname(want));
    }
    int t = emit_arg_as(c, n, n_op_args, ++shown);
    if (t < 0)
        return -1;
    if (n->bin_type == AW_EXP_ANY && t != AW_EXP_ANY && t != AW_EXP_LIST && t != AW_EXP_MAP)
        return bad(c, "the bin (argument %u) is %s, must be a list or map", shown,
                   tname((unsigned)t));
    if (!compatible((unsigned)t, n->bin_type))
        return bad(c, "the bin (argument %u) is %s, must be %s", shown, tname((unsigned)t),
                   tname(n->bin_type));
    return n->type;
}

static int emit_call(compiler *c, const aw_exp_node *n) {
    const exp_op_info *info = aw_exp_op_info(n->op);
    if (!info)
        return bad(c, "op %u is unknown", n->op);
    switch (n->op) {
    case AW_EXPOP_BIN:
        put_header(c, 3, n->op);
        aw_mp_put_uint(&c->out, n->type);
        aw_mp_put_raw_str(&c->out, n->name, n->name_len);
        return n->type;
    case AW_EXPOP_BIN_TYPE:
        put_header(c, 2, n->op);
        aw_mp_put_raw_str(&c->out, n->name, n->name_len);
        return AW_EXP_INT;
    case AW_EXPOP_KEY:
        put_header(c, 2, n->op);
        aw_mp_put_uint(&c->out, n->type);
        return n->type;
    case AW_EXPOP_DIGEST_MODULO:
        put_header(c, 2, n->op);
        aw_mp_put_int(&c->out, n->i);
        return AW_EXP_INT;
    case AW_EXPOP_REGEX: {
        put_header(c, 4, n->op);
        aw_mp_put_int(&c->out, n->i);
        aw_mp_put_raw_str(&c->out, n->name, n->name_len);
        int t = emit_arg(c, n, 0);
        if (t < 0)
            return -1;
        if (!compatible((unsigned)t, AW_EXP_STR))
            return bad(c, "matches a str, not %s", tname((unsigned)t));
        return AW_EXP_BOOL;
    }
    case AW_EXPOP_CALL: return emit_cdt_call(c, n);
    case AW_EXPOP_VAR_BUILTIN:
        put_header(c, 3, n->op);
        aw_mp_put_uint(&c->out, n->type);
        aw_mp_put_int(&c->out, n->i);
        return n->type;
    case AW_EXPOP_COND: return emit_cond(c, n);
    case AW_EXPOP_LET: return emit_let(c, n);
    case AW_EXPOP_VAR: return emit_var(c, n);
    default: return emit_generic(c, n, info);
    }
}

static int emit(compiler *c, const aw_exp_node *n) {
    if (++c->depth > MAX_DEPTH) {
        c->depth--;
        return bad(c, "nested deeper than %d", MAX_DEPTH);
    }
    int t = -1;
    switch ((exp_node_kind)n->kind) {
    case EXP_CALL: t = emit_call(c, n); break;
    case EXP_INT: aw_mp_put_int(&c->out, n->i); t = AW_EXP_INT; break;
    case EXP_FLOAT: aw_mp_put_double(&c->out, n->f); t = AW_EXP_FLOAT; break;
    case EXP_BOOL: aw_mp_put_bool(&c->out, n->i != 0); t = AW_EXP_BOOL; break;
    case EXP_NIL: aw_mp_put_nil(&c->out); t = AW_EXP_NIL; break;
    case EXP_BYTES:
        aw_mp_put_particle_bytes(&c->out, n->ptype, n->bytes, n->len);
        t = n->type;
        break;
    case EXP_RAW: aw_buf_put(&c->out, n->bytes, n->len); t = n->type; break;
    case EXP_DEF: t = bad(c, "a def is only valid as a non-last argument of let"); break;
    }
    c->depth--;
    return t;
}

int aw_exp_compile(aw_exp_builder *b, const aw_exp_node *root, aw_exp **out, aw_error *err) {
    if (!b || !out)
        return aw_error_set(err, AW_ERR_PARAM, "exp compile: NULL %s", b ? "out" : "builder");
    if (b->failed) {
        if (err)
            *err = b->first_error;
        return b->first_error.code;
    }
    if (!root)
        return aw_error_set(err, AW_ERR_PARAM, "exp compile: root node is NULL");
    compiler c = {.err = err, .rc = AW_OK};
    aw_buf_init(&c.out);
    snprintf(c.path, sizeof c.path, "%s", node_name(root));
    int t = emit(&c, root);
    int rc = c.rc;
    if (t >= 0 && !aw_buf_ok(&c.out))
        rc = aw_error_set(err, AW_ERR_NOMEM, "exp compile: out of memory");
    else if (t >= 0 && c.out.len >= AW_EXP_MAX_SIZE)
        rc = aw_error_set(err, AW_ERR_PARAM,
                          "exp compile: %zu bytes reaches the server's %u-byte limit", c.out.len,
                          AW_EXP_MAX_SIZE);
    if (t >= 0 && rc == AW_OK) {
        *out = aw_exp_new(c.out.data, c.out.len, (uint8_t)t);
        if (!*out)
            rc = aw_error_set(err, AW_ERR_NOMEM, "exp compile: out of memory");
    }
    aw_buf_free(&c.out);
    if (rc == AW_OK)
        aw_error_reset(err);
    return rc;
}

aw_exp *aw_exp_new(const uint8_t *bytes, size_t len, uint8_t type) {
    aw_exp *e = aw_malloc(sizeof *e + len);
    if (!e)
        return NULL;
    e->len = len;
    e->type = type;
    memcpy(e->bytes, bytes, len);
    return e;
}

void aw_exp_free(aw_exp *exp) { aw_free(exp); }

const uint8_t *aw_exp_bytes(const aw_exp *exp, size_t *len) {
    if (len)
        *len = exp ? exp->len : 0;
    return exp ? exp->bytes : NULL;
}

aw_exp_type aw_exp_result_type(const aw_exp *exp) {
    return exp ? (aw_exp_type)exp->type : AW_EXP_ANY;
}
