/*
 * From the parsed tree to builder nodes: the function and method tables
 * (each name is one builder constructor) and the pass that gives every
 * $.bin whose type was not written the type its context expects: the other
 * side of a comparison, the other operands of arithmetic, the argument type
 * of a function, bool under and/or/not. Type mistakes the tree shows are
 * reported here with their column; the compiler checks the rest.
 */
#include <string.h>

#include "exp_impl.h"
#include "exp_parse.h"

#define ANY AW_EXP_ANY

#define F0(n, f) {n, FK_CALL0, 0, 0, {.f0 = f}}
#define F1(n, op, f) {n, FK_CALL1, op, 0, {.f1 = f}}
#define F2(n, op, f) {n, FK_CALL2, op, 0, {.f2 = f}}
#define FN(n, op, f) {n, FK_CALLN, op, 0, {.fn = f}}
#define FBIN(n, t) {n, FK_BIN, AW_EXPOP_BIN, t, {.f0 = NULL}}
#define FKEY(n, t) {n, FK_KEY, AW_EXPOP_KEY, t, {.f0 = NULL}}

static const pfunc FUNCS[] = {
    /* record metadata */
    F0("last_update", aw_exp_last_update), F0("since_update", aw_exp_since_update),
    F0("void_time", aw_exp_void_time), F0("ttl", aw_exp_ttl), F0("set_name", aw_exp_set_name),
    F0("key_exists", aw_exp_key_exists), F0("is_tombstone", aw_exp_is_tombstone),
    F0("record_size", aw_exp_record_size), F0("device_size", aw_exp_device_size),
    F0("memory_size", aw_exp_memory_size), F0("unknown", aw_exp_unknown),
    {"digest_modulo", FK_DIGEST, AW_EXPOP_DIGEST_MODULO, AW_EXP_INT, {.f0 = NULL}},
    FKEY("key_int", AW_EXP_INT), FKEY("key_str", AW_EXP_STR), FKEY("key_blob", AW_EXP_BLOB),
    /* bins by name */
    FBIN("bin_int", AW_EXP_INT), FBIN("bin_float", AW_EXP_FLOAT), FBIN("bin_str", AW_EXP_STR),
    FBIN("bin_blob", AW_EXP_BLOB), FBIN("bin_bool", AW_EXP_BOOL), FBIN("bin_list", AW_EXP_LIST),
    FBIN("bin_map", AW_EXP_MAP), FBIN("bin_geo", AW_EXP_GEO), FBIN("bin_hll", AW_EXP_HLL),
    {"bin_type", FK_BIN_NAMED, AW_EXPOP_BIN_TYPE, AW_EXP_INT, {.named = aw_exp_bin_type}},
    {"bin_exists", FK_BIN_NAMED, AW_EXPOP_NE, AW_EXP_BOOL, {.named = aw_exp_bin_exists}},
    {"geo", FK_GEO, 0, AW_EXP_GEO, {.f0 = NULL}},
    /* comparisons and logic (the operators are these too) */
    F2("eq", AW_EXPOP_EQ, aw_exp_eq), F2("ne", AW_EXPOP_NE, aw_exp_ne),
    F2("gt", AW_EXPOP_GT, aw_exp_gt), F2("ge", AW_EXPOP_GE, aw_exp_ge),
    F2("lt", AW_EXPOP_LT, aw_exp_lt), F2("le", AW_EXPOP_LE, aw_exp_le),
    {"regex", FK_REGEX, AW_EXPOP_REGEX, AW_EXP_BOOL, {.f0 = NULL}},
    F2("geo_compare", AW_EXPOP_GEO, aw_exp_geo_compare),
    F2("in_list", AW_EXPOP_IN_LIST, aw_exp_in_list),
    F1("not", AW_EXPOP_NOT, aw_exp_not), FN("and", AW_EXPOP_AND, aw_exp_and_n),
    FN("or", AW_EXPOP_OR, aw_exp_or_n), FN("exclusive", AW_EXPOP_EXCLUSIVE, aw_exp_exclusive_n),
    /* arithmetic */
    FN("add", AW_EXPOP_ADD, aw_exp_add_n), FN("sub", AW_EXPOP_SUB, aw_exp_sub_n),
    FN("mul", AW_EXPOP_MUL, aw_exp_mul_n), FN("div", AW_EXPOP_DIV, aw_exp_div_n),
    FN("min", AW_EXPOP_MIN, aw_exp_min_n), FN("max", AW_EXPOP_MAX, aw_exp_max_n),
    F2("pow", AW_EXPOP_POW, aw_exp_pow), F2("log", AW_EXPOP_LOG, aw_exp_log),
    F2("mod", AW_EXPOP_MOD, aw_exp_mod), F1("abs", AW_EXPOP_ABS, aw_exp_abs),
    F1("floor", AW_EXPOP_FLOOR, aw_exp_floor), F1("ceil", AW_EXPOP_CEIL, aw_exp_ceil),
    F1("to_int", AW_EXPOP_TO_INT, aw_exp_to_int),
    F1("to_float", AW_EXPOP_TO_FLOAT, aw_exp_to_float),
    /* integer bits */
    FN("int_and", AW_EXPOP_INT_AND, aw_exp_int_and_n),
    FN("int_or", AW_EXPOP_INT_OR, aw_exp_int_or_n),
    FN("int_xor", AW_EXPOP_INT_XOR, aw_exp_int_xor_n),
    F1("int_not", AW_EXPOP_INT_NOT, aw_exp_int_not),
    F2("int_lshift", AW_EXPOP_INT_LSHIFT, aw_exp_int_lshift),
    F2("int_rshift", AW_EXPOP_INT_RSHIFT, aw_exp_int_rshift),
    F2("int_arshift", AW_EXPOP_INT_ARSHIFT, aw_exp_int_arshift),
    F1("int_count", AW_EXPOP_INT_COUNT, aw_exp_int_count),
    F2("int_lscan", AW_EXPOP_INT_LSCAN, aw_exp_int_lscan),
    F2("int_rscan", AW_EXPOP_INT_RSCAN, aw_exp_int_rscan),
    /* maps */
    F1("map_keys", AW_EXPOP_MAP_KEYS, aw_exp_map_keys),
    F1("map_values", AW_EXPOP_MAP_VALUES, aw_exp_map_values),
    /* control */
    FN("cond", AW_EXPOP_COND, aw_exp_cond_n),
    {"let", FK_LET, AW_EXPOP_LET, ANY, {.f0 = NULL}},
};

/* receiver.name(): a bin's type, or a CDT read (one entry naming the list
 * and the map constructor). */
static const pmethod METHODS[] = {
    {"int", MK_BIN_TYPE, AW_EXP_INT, NULL, NULL},
    {"float", MK_BIN_TYPE, AW_EXP_FLOAT, NULL, NULL},
    {"str", MK_BIN_TYPE, AW_EXP_STR, NULL, NULL},
    {"bool", MK_BIN_TYPE, AW_EXP_BOOL, NULL, NULL},
    {"blob", MK_BIN_TYPE, AW_EXP_BLOB, NULL, NULL},
    {"list", MK_BIN_TYPE, AW_EXP_LIST, NULL, NULL},
    {"map", MK_BIN_TYPE, AW_EXP_MAP, NULL, NULL},
    {"geo", MK_BIN_TYPE, AW_EXP_GEO, NULL, NULL},
    {"hll", MK_BIN_TYPE, AW_EXP_HLL, NULL, NULL},
    {"size", MK_CDT, AW_EXP_INT, aw_exp_list_size, aw_exp_map_size},
};

static bool name_is(const char *name, const char *text, size_t len) {
    return strlen(name) == len && memcmp(name, text, len) == 0;
}

const pfunc *ps_find_func(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof FUNCS / sizeof FUNCS[0]; i++)
        if (name_is(FUNCS[i].name, name, len))
            return &FUNCS[i];
    return NULL;
}

const pmethod *ps_find_method(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++)
        if (name_is(METHODS[i].name, name, len))
            return &METHODS[i];
    return NULL;
}

const pfunc *ps_op_func(const char *builder_name) {
    return ps_find_func(builder_name, strlen(builder_name));
}

/* The first known type among args[from], args[from + step], ... */
static uint8_t first_known(const pnode *n, uint32_t from, uint32_t step) {
    for (uint32_t i = from; i < n->n_args; i += step)
        if (n->args[i]->type != ANY)
            return n->args[i]->type;
    return ANY;
}

static bool is_cond_value(const pnode *n, uint32_t i) { return i % 2 == 1 || i + 1 == n->n_args; }

uint8_t ps_call_type(const pnode *n) {
    const pfunc *fn = n->fn;
    switch (fn->kind) {
    case FK_BIN: case FK_KEY: case FK_BIN_NAMED: case FK_DIGEST: case FK_REGEX: case FK_GEO:
        return fn->type;
    case FK_LET: return n->n_args ? n->args[n->n_args - 1]->type : ANY;
    default: break;
    }
    const exp_op_info *info = aw_exp_op_info(fn->op);
    if (fn->op == AW_EXPOP_COND) {
        for (uint32_t i = 0; i < n->n_args; i++)
            if (is_cond_value(n, i) && n->args[i]->type != ANY)
                return n->args[i]->type;
        return ANY;
    }
    switch (info->rule) {
    case RULE_COMPARE: return AW_EXP_BOOL;
    case RULE_SAME_NUM: return first_known(n, 0, 1);
    default: return info->result;
    }
}

static aw_exp_node *built(parser *p, uint32_t col, aw_exp_node *node) {
    if (!node)
        ps_fail_code(p, p->b->first_error.code, col, "%s", p->b->first_error.message);
    return node;
}

static const char *tname(unsigned t) { return aw_exp_type_name(t); }

static bool numeric(unsigned t) { return t == AW_EXP_INT || t == AW_EXP_FLOAT; }

/* The type argument i of n should have (its hint), after checking what the
 * tree already shows; false after an error. */
static bool arg_hint(parser *p, const pnode *n, uint32_t i, uint8_t hint, uint8_t *out) {
    const exp_op_info *info = aw_exp_op_info(n->fn->op);
    const pnode *a = n->args[i];
    const char *what = n->spelled;
    if (n->fn->op == AW_EXPOP_COND) {
        if (!is_cond_value(n, i)) {
            *out = AW_EXP_BOOL;
        } else {
            *out = n->type != ANY ? n->type : hint;
            if (a->type != ANY && n->type != ANY && a->type != n->type)
                return ps_fail(p, a->col, "cond's values must be one type: this is %s, an "
                               "earlier one %s", tname(a->type), tname(n->type));
        }
        if (!is_cond_value(n, i) && a->type != ANY && a->type != AW_EXP_BOOL)
            return ps_fail(p, a->col, "a cond's condition must be bool, this is %s",
                           tname(a->type));
        return true;
    }
    if (n->fn->op == AW_EXPOP_IN_LIST && i == 0) {
        const pnode *list = n->args[1];
        if (list->type != ANY && list->type != AW_EXP_LIST)
            return ps_fail(p, list->col, "%s takes a list on its right, this is %s", what,
                           tname(list->type));
        /* A literal list of one type tells what its elements are. */
        *out = list->kind == PN_LIT && list->type == AW_EXP_LIST ? (uint8_t)list->i : ANY;
        return true;
    }
    switch (info->rule) {
    case RULE_COMPARE: {
        uint8_t l = n->args[0]->type, r = n->args[1]->type;
        if (l != ANY && r != ANY && l != r)
            return ps_fail(p, n->col, "%s compares %s with %s", what, tname(l), tname(r));
        *out = l != ANY ? l : r;
        return true;
    }
    case RULE_SAME_NUM:
        if (a->type != ANY && !numeric(a->type))
            return ps_fail(p, a->col, "%s takes int or float, this is %s", what, tname(a->type));
        if (a->type != ANY && n->type != ANY && a->type != n->type)
            return ps_fail(p, n->col, "%s mixes %s and %s (to_float() and to_int() convert)",
                           what, tname(n->type), tname(a->type));
        *out = n->type != ANY ? n->type : numeric(hint) ? hint : ANY;
        return true;
    default: {
        uint8_t want = i == 0 ? info->arg0 : info->argn;
        if (want != ANY && a->type != ANY && a->type != want)
            return ps_fail(p, a->col, "%s takes %s, this is %s", what, tname(want),
                           tname(a->type));
        *out = want;
        return true;
    }
    }
}

static aw_exp_node *emit_let(parser *p, const pnode *n, aw_exp_node **args, uint8_t hint) {
    for (uint32_t i = 0; i < n->n_args; i++) {
        const pnode *a = n->args[i];
        if (a->kind == PN_DEF) {
            aw_exp_node *v = ps_emit(p, a->args[0], ANY);
            if (!v || !(args[i] = built(p, a->col, aw_exp_def(p->b, a->name, v))))
                return NULL;
        } else if (!(args[i] = ps_emit(p, a, hint))) {
            return NULL;
        }
    }
    return built(p, n->col, aw_exp_let_n(p->b, args, n->n_args));
}

static aw_exp_node *emit_call(parser *p, const pnode *n, uint8_t hint) {
    const pfunc *fn = n->fn;
    aw_exp_builder *b = p->b;
    switch (fn->kind) {
    case FK_CALL0: return built(p, n->col, fn->u.f0(b));
    case FK_BIN: return built(p, n->col, aw_exp_bin(b, (aw_exp_type)fn->type, n->name));
    case FK_BIN_NAMED: return built(p, n->col, fn->u.named(b, n->name));
    case FK_KEY: return built(p, n->col, aw_exp_key(b, (aw_exp_type)fn->type));
    case FK_DIGEST: return built(p, n->col, aw_exp_digest_modulo(b, n->i));
    case FK_GEO: return built(p, n->col, aw_exp_geo(b, n->name));
    case FK_REGEX: {
        const pnode *s = n->args[0];
        if (s->type != ANY && s->type != AW_EXP_STR) {
            ps_fail(p, s->col, "regex matches a str, this is %s", tname(s->type));
            return NULL;
        }
        aw_exp_node *subject = ps_emit(p, s, AW_EXP_STR);
        return subject ? built(p, n->col, aw_exp_regex(b, (int)n->i, n->name, subject)) : NULL;
    }
    default: break;
    }
    aw_exp_node **args = aw_arena_alloc(p->arena, (n->n_args ? n->n_args : 1) * sizeof *args);
    if (!args) {
        ps_nomem(p, n->col);
        return NULL;
    }
    if (fn->kind == FK_LET)
        return emit_let(p, n, args, hint);
    for (uint32_t i = 0; i < n->n_args; i++) {
        uint8_t h = AW_EXP_ANY;
        if (!arg_hint(p, n, i, hint, &h) || !(args[i] = ps_emit(p, n->args[i], h)))
            return NULL;
    }
    switch (fn->kind) {
    case FK_CALL1: return built(p, n->col, fn->u.f1(b, args[0]));
    case FK_CALL2: return built(p, n->col, fn->u.f2(b, args[0], args[1]));
    default: return built(p, n->col, fn->u.fn(b, args, n->n_args));
    }
}

/* receiver.method() for a CDT read: the list or the map form, by the
 * receiver's type; a bin of unknown type is read as a list. */
static aw_exp_node *emit_cdt(parser *p, const pnode *n) {
    const pnode *recv = n->args[0];
    uint8_t t = recv->type == ANY ? AW_EXP_LIST : recv->type;
    if (t != AW_EXP_LIST && t != AW_EXP_MAP) {
        ps_fail(p, n->col, ".%s() reads a list or a map, this is %s", n->method->name, tname(t));
        return NULL;
    }
    aw_exp_node *r = ps_emit(p, recv, t);
    if (!r)
        return NULL;
    pcdt_fn f = t == AW_EXP_LIST ? n->method->list_fn : n->method->map_fn;
    return built(p, n->col, f(p->b, NULL, r));
}

aw_exp_node *ps_emit(parser *p, const pnode *n, uint8_t hint) {
    switch ((pnode_kind)n->kind) {
    case PN_LIT: return n->built;
    case PN_BIN: {
        uint8_t t = n->type != ANY ? n->type : hint;
        if (t == ANY || t == AW_EXP_NIL) {
            ps_fail(p, n->col, "cannot tell the type of $.%s: compare it with a typed value or "
                    "write $.%s.int() (.str(), .float(), ...)", n->name, n->name);
            return NULL;
        }
        return built(p, n->col, aw_exp_bin(p->b, (aw_exp_type)t, n->name));
    }
    case PN_VAR: return built(p, n->col, aw_exp_var(p->b, n->name));
    case PN_CALL: return emit_call(p, n, hint);
    case PN_METHOD: return emit_cdt(p, n);
    case PN_DEF: break;
    }
    ps_fail(p, n->col, "a definition is only valid inside let");
    return NULL;
}
