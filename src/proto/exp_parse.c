/*
 * The expression text's grammar (docs/expressions.md "Text syntax"): a
 * recursive-descent parser from tokens to a tree of pnodes, then
 * exp_parse_emit.c turns the tree into builder nodes. Precedence, lowest
 * first: or ||, and &&, not !, comparisons and `in` (not chained), |, ^, &,
 * << >> >>>, + -, * / %, unary - ~, .method(), then values.
 */
#include <string.h>

#include "aerowire/key.h"
#include "exp_impl.h"
#include "exp_parse.h"
#include "mem.h"

/* Nesting of expressions in expressions (parentheses, arguments, prefix
 * operators, list items): far below what the stack allows, and below the
 * compiler's own limit. */
#define MAX_NESTING 128

/* A growing array of nodes in the arena (old copies stay until the end). */
typedef struct plist {
    pnode **v;
    uint32_t n, cap;
} plist;

static bool plist_add(parser *p, plist *l, pnode *x) {
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        pnode **v = cap < l->cap ? NULL : aw_arena_alloc(p->arena, cap * sizeof *v);
        if (!v)
            return ps_nomem(p, p->tok.col);
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return true;
}

static pnode *new_node(parser *p, pnode_kind kind, uint32_t col) {
    pnode *n = aw_arena_alloc(p->arena, sizeof *n);
    if (!n) {
        ps_nomem(p, col);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->col = col;
    n->type = AW_EXP_ANY;
    return n;
}

static pnode *new_call(parser *p, const pfunc *fn, const char *spelled, uint32_t col,
                       pnode **args, uint32_t n_args) {
    pnode *n = new_node(p, PN_CALL, col);
    if (!n)
        return NULL;
    n->fn = fn;
    n->spelled = spelled;
    n->args = args;
    n->n_args = n_args;
    n->type = ps_call_type(n);
    return n;
}

static pnode *call_of(parser *p, const char *func, const char *spelled, uint32_t col,
                      pnode **args, uint32_t n_args) {
    return new_call(p, ps_op_func(func), spelled, col, args, n_args);
}

static pnode *call1_of(parser *p, const char *func, const char *spelled, uint32_t col, pnode *a) {
    pnode **args = aw_arena_alloc(p->arena, sizeof *args);
    if (!args) {
        ps_nomem(p, col);
        return NULL;
    }
    args[0] = a;
    return call_of(p, func, spelled, col, args, 1);
}

static pnode *call2_of(parser *p, const char *func, const char *spelled, uint32_t col, pnode *a,
                       pnode *b) {
    pnode **args = aw_arena_alloc(p->arena, 2 * sizeof *args);
    if (!args) {
        ps_nomem(p, col);
        return NULL;
    }
    args[0] = a;
    args[1] = b;
    return call_of(p, func, spelled, col, args, 2);
}

static bool is_word(const token *t, const char *word) {
    return t->kind == TK_IDENT && t->len == strlen(word) && memcmp(t->text, word, t->len) == 0;
}

static bool is_keyword(const token *t) {
    static const char *const WORDS[] = {"and", "or", "not", "in", "true", "false", "nil"};
    for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++)
        if (is_word(t, WORDS[i]))
            return true;
    return false;
}

/* "after '>'", "after '>', found ')'" or "found ')'", for "expected X ...". */
static bool fail_expected(parser *p, const char *what) {
    char b1[PS_DESC_SIZE], b2[PS_DESC_SIZE];
    const char *found = ps_tok_desc(&p->tok, b1);
    if (p->prev.kind == TK_END)
        return p->tok.kind == TK_END ? ps_fail(p, p->tok.col, "the expression is empty")
                                     : ps_fail(p, p->tok.col, "expected %s, found %s", what, found);
    const char *after = ps_tok_desc(&p->prev, b2);
    if (p->tok.kind == TK_END)
        return ps_fail(p, p->tok.col, "expected %s after %s", what, after);
    return ps_fail(p, p->tok.col, "expected %s after %s, found %s", what, after, found);
}

static bool expect(parser *p, tok_kind kind, const char *what) {
    if (p->tok.kind != kind)
        return fail_expected(p, what);
    return ps_next(p);
}

static bool enter(parser *p) {
    if (++p->depth > MAX_NESTING)
        return ps_fail(p, p->tok.col, "nested deeper than %d", MAX_NESTING);
    return true;
}

static pnode *parse_expr(parser *p);
static pnode *parse_not(parser *p);
static pnode *parse_unary(parser *p);

/* ---- values -------------------------------------------------------------------------- */

static pnode *literal(parser *p, uint32_t col, aw_exp_node *built, uint8_t type) {
    if (!built) {
        ps_fail_code(p, p->b->first_error.code, col, "%s", p->b->first_error.message);
        return NULL;
    }
    pnode *n = new_node(p, PN_LIT, col);
    if (n) {
        n->built = built;
        n->type = type;
    }
    return n;
}

/* The current TK_INT with the sign before it; false when out of range. */
static bool int_value(parser *p, bool negative, uint32_t col, int64_t *out) {
    uint64_t u = p->tok.u;
    if (p->tok.hex) {
        *out = (int64_t)(negative ? 0 - u : u); /* a bit pattern */
        return true;
    }
    if (u > (uint64_t)INT64_MAX + (negative ? 1 : 0))
        return ps_fail(p, col, "integer %s%llu is out of the 64-bit range", negative ? "-" : "",
                       (unsigned long long)u);
    *out = negative ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

static bool grow_values(parser *p, aw_value **v, uint32_t *cap, uint32_t n, uint32_t per) {
    if (n + per <= *cap)
        return true;
    uint32_t c = *cap ? *cap * 2 : 8;
    aw_value *nv = c < *cap ? NULL : aw_arena_alloc(p->arena, (size_t)c * sizeof *nv);
    if (!nv)
        return ps_nomem(p, p->tok.col);
    if (n)
        memcpy(nv, *v, n * sizeof *nv);
    *v = nv;
    *cap = c;
    return true;
}

static uint8_t exp_type_of_value(const aw_value *v) {
    switch (v->type) {
    case AW_NIL: return AW_EXP_NIL;
    case AW_INT: return AW_EXP_INT;
    case AW_FLOAT: return AW_EXP_FLOAT;
    case AW_STR: return AW_EXP_STR;
    case AW_BLOB: return AW_EXP_BLOB;
    case AW_BOOL: return AW_EXP_BOOL;
    case AW_LIST: return AW_EXP_LIST;
    case AW_MAP: return AW_EXP_MAP;
    default: return AW_EXP_ANY;
    }
}

/* A constant inside a list or map literal: the values' strings borrow the
 * parser's arena, which outlives the builder's copy. */
static bool parse_const(parser *p, aw_value *out) {
    if (!enter(p))
        return false;
    token *t = &p->tok;
    bool ok = true;
    uint32_t col = t->col;
    if (t->kind == TK_MINUS) {
        if (!ps_next(p))
            return false;
        if (t->kind == TK_INT) {
            int64_t v = 0;
            ok = int_value(p, true, col, &v);
            *out = aw_value_int(v);
        } else if (t->kind == TK_FLOAT) {
            *out = aw_value_float(-t->f);
        } else {
            ok = fail_expected(p, "a number");
        }
    } else if (t->kind == TK_INT) {
        int64_t v = 0;
        ok = int_value(p, false, col, &v);
        *out = aw_value_int(v);
    } else if (t->kind == TK_FLOAT) {
        *out = aw_value_float(t->f);
    } else if (t->kind == TK_STR) {
        *out = aw_value_strn(t->text, t->len);
    } else if (t->kind == TK_BLOB) {
        *out = aw_value_blob(t->text, t->len);
    } else if (is_word(t, "true") || is_word(t, "false")) {
        *out = aw_value_bool(is_word(t, "true"));
    } else if (is_word(t, "nil")) {
        *out = aw_value_nil();
    } else if (t->kind == TK_LBRACK || t->kind == TK_LBRACE) {
        bool is_map = t->kind == TK_LBRACE;
        tok_kind close = is_map ? TK_RBRACE : TK_RBRACK;
        aw_value *items = NULL;
        uint32_t n = 0, cap = 0, per = is_map ? 2 : 1;
        ok = ps_next(p);
        while (ok && t->kind != close) {
            if (n && !(ok = expect(p, TK_COMMA, is_map ? "',' or '}'" : "',' or ']'")))
                break;
            ok = grow_values(p, &items, &cap, n, per) && parse_const(p, &items[n]);
            if (ok && is_map)
                ok = expect(p, TK_COLON, "':'") && parse_const(p, &items[n + 1]);
            n += per;
        }
        if (!ok)
            return false;
        *out = is_map ? aw_value_map(items, n / 2) : aw_value_list(items, n);
    } else {
        ok = fail_expected(p, "a constant (a list or map literal holds only constants)");
    }
    p->depth--;
    return ok && ps_next(p);
}

/* [ ... ] or { ... } as one literal node; a list's node remembers its items' type. */
static pnode *parse_collection(parser *p) {
    uint32_t col = p->tok.col;
    aw_value v;
    if (!parse_const(p, &v))
        return NULL;
    pnode *n = literal(p, col, aw_exp_value(p->b, &v), exp_type_of_value(&v));
    if (n && v.type == AW_LIST) {
        n->i = AW_EXP_ANY;
        for (uint32_t k = 0; k < v.len; k++) {
            uint8_t t = exp_type_of_value(&v.u.items[k]);
            n->i = k == 0 ? t : n->i == t ? n->i : AW_EXP_ANY;
        }
    }
    return n;
}

/* ---- functions ---------------------------------------------------------------------- */

/* The one string argument of bin_int("a"), bin_exists("a"), geo("..."). */
static bool string_arg(parser *p, const pfunc *fn, pnode *n) {
    if (p->tok.kind != TK_STR)
        return fail_expected(p, fn->kind == FK_GEO ? "GeoJSON text in a string"
                                                   : "the bin's name as a string");
    n->name = p->tok.text;
    n->name_len = p->tok.len;
    if (fn->kind == FK_GEO && memchr(n->name, '\0', n->name_len))
        return ps_fail(p, p->tok.col, "GeoJSON text cannot hold a NUL byte");
    if (fn->kind != FK_GEO && (n->name_len == 0 || n->name_len > AW_BIN_NAME_MAX ||
                               memchr(n->name, '\0', n->name_len)))
        return ps_fail(p, p->tok.col, "bin name '%.20s' must be 1 to %d bytes, without NUL",
                       n->name, AW_BIN_NAME_MAX);
    return ps_next(p);
}

/* regex(STR, "pattern"[, "flags"]): flags letters e (extended), i (ignore
 * case), n (newline-sensitive). */
static bool regex_args(parser *p, pnode *n, plist *args) {
    pnode *subject = parse_expr(p);
    if (!subject || !plist_add(p, args, subject) || !expect(p, TK_COMMA, "',' and the pattern"))
        return false;
    if (p->tok.kind != TK_STR)
        return fail_expected(p, "the pattern as a string");
    if (memchr(p->tok.text, '\0', p->tok.len))
        return ps_fail(p, p->tok.col, "a pattern cannot hold a NUL byte");
    n->name = p->tok.text;
    n->name_len = p->tok.len;
    if (!ps_next(p))
        return false;
    if (p->tok.kind != TK_COMMA)
        return true;
    if (!ps_next(p))
        return false;
    if (p->tok.kind != TK_STR)
        return fail_expected(p, "the flags as a string (\"i\", \"e\", \"n\")");
    for (size_t k = 0; k < p->tok.len; k++) {
        char c = p->tok.text[k];
        n->i |= c == 'e' ? AW_EXP_REGEX_EXTENDED : c == 'i' ? AW_EXP_REGEX_ICASE
                : c == 'n' ? AW_EXP_REGEX_NEWLINE : 0;
        if (c != 'e' && c != 'i' && c != 'n')
            return ps_fail(p, p->tok.col, "regex flag '%c' is not e (extended), i (ignore case) "
                           "or n (newline)", c);
    }
    return ps_next(p);
}

/* let(name = value, ..., body): each name is visible after its definition. */
static bool let_args(parser *p, plist *args) {
    scope_var *outer = p->scope;
    bool ok = true;
    for (;;) {
        token *t = &p->tok;
        bool is_def = false;
        if (t->kind == TK_IDENT) { /* name '=' (not '=='): look one token ahead */
            size_t keep = p->pos;
            const char *s = p->src + keep;
            while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                s++;
            is_def = s[0] == '=' && s[1] != '=';
        }
        if (!is_def) {
            if (args->n == 0) {
                ok = fail_expected(p, "a definition (name = value)");
                break;
            }
            pnode *body = parse_expr(p);
            ok = body && plist_add(p, args, body);
            if (ok && p->tok.kind == TK_COMMA)
                ok = ps_fail(p, p->tok.col, "let's body must be its last argument");
            break;
        }
        if (is_keyword(t)) {
            char b[PS_DESC_SIZE];
            ok = ps_fail(p, t->col, "%s is a keyword, not a variable name", ps_tok_desc(t, b));
            break;
        }
        pnode *def = new_node(p, PN_DEF, t->col);
        scope_var *var = aw_arena_alloc(p->arena, sizeof *var);
        if (!def || !var) {
            ok = ps_nomem(p, t->col);
            break;
        }
        def->name = aw_arena_strndup(p->arena, t->text, t->len);
        def->name_len = t->len;
        pnode *value = NULL;
        ok = def->name && ps_next(p) && ps_next(p) && (value = parse_expr(p)) &&
             plist_add(p, args, def);
        if (!ok) {
            if (!p->failed)
                ps_nomem(p, def->col);
            break;
        }
        def->args = aw_arena_alloc(p->arena, sizeof *def->args);
        if (!def->args) {
            ok = ps_nomem(p, def->col);
            break;
        }
        def->args[0] = value;
        def->n_args = 1;
        def->type = value->type;
        var->name = def->name;
        var->value = value;
        var->next = p->scope;
        p->scope = var;
        if (!(ok = expect(p, TK_COMMA, "',' and let's body")))
            break;
    }
    p->scope = outer;
    return ok;
}

static bool check_arity(parser *p, const pfunc *fn, uint32_t col, uint32_t n) {
    unsigned min = 0, max = 255;
    switch (fn->kind) {
    case FK_CALL0: case FK_KEY: max = 0; break;
    case FK_CALL1: min = max = 1; break;
    case FK_CALL2: min = max = 2; break;
    case FK_CALLN: {
        const exp_op_info *info = aw_exp_op_info(fn->op);
        min = info->min;
        max = info->max;
        break;
    }
    default: return true; /* checked while reading the arguments */
    }
    if (n >= min && (max == 255 || n <= max))
        return true;
    if (min == max)
        return ps_fail(p, col, "%s takes %u argument%s, not %u", fn->name, min,
                       min == 1 ? "" : "s", n);
    return ps_fail(p, col, "%s takes %s %u arguments, not %u", fn->name,
                   n < min ? "at least" : "at most", n < min ? min : max, n);
}

/* name( ... ): the current token is '('. */
static pnode *parse_call(parser *p, const token *name) {
    uint32_t col = name->col;
    const pfunc *fn = ps_find_func(name->text, name->len);
    if (!fn) {
        ps_fail(p, col, "unknown function '%.*s'", (int)(name->len > 32 ? 32 : name->len),
                name->text);
        return NULL;
    }
    pnode *n = new_node(p, PN_CALL, col);
    if (!n || !ps_next(p))
        return NULL;
    plist args = {0};
    bool ok = true;
    switch (fn->kind) {
    case FK_BIN: case FK_BIN_NAMED: case FK_GEO: ok = string_arg(p, fn, n); break;
    case FK_DIGEST:
        if (p->tok.kind != TK_INT)
            ok = fail_expected(p, "the modulus (an integer)");
        else
            ok = int_value(p, false, p->tok.col, &n->i) && ps_next(p);
        break;
    case FK_REGEX: ok = regex_args(p, n, &args); break;
    case FK_LET: ok = let_args(p, &args); break;
    default:
        while (ok && p->tok.kind != TK_RPAREN) {
            if (args.n && !(ok = expect(p, TK_COMMA, "',' or ')'")))
                break;
            pnode *a = parse_expr(p);
            ok = a && plist_add(p, &args, a);
        }
        break;
    }
    if (!ok || !expect(p, TK_RPAREN, "')'") || !check_arity(p, fn, col, args.n))
        return NULL;
    n->fn = fn;
    n->spelled = fn->name;
    n->args = args.v;
    n->n_args = args.n;
    n->type = ps_call_type(n);
    return n;
}

static pnode *parse_name(parser *p) {
    token name = p->tok, before = p->prev;
    if (!ps_next(p))
        return NULL;
    if (p->tok.kind == TK_LPAREN && !is_word(&name, "true") && !is_word(&name, "false") &&
        !is_word(&name, "nil"))
        return parse_call(p, &name);
    if (is_word(&name, "true") || is_word(&name, "false"))
        return literal(p, name.col, aw_exp_bool(p->b, is_word(&name, "true")), AW_EXP_BOOL);
    if (is_word(&name, "nil"))
        return literal(p, name.col, aw_exp_nil(p->b), AW_EXP_NIL);
    if (is_keyword(&name)) {
        p->tok = name; /* name the keyword itself, after what came before it */
        p->prev = before;
        fail_expected(p, "a value");
        return NULL;
    }
    for (const scope_var *v = p->scope; v; v = v->next)
        if (strlen(v->name) == name.len && memcmp(v->name, name.text, name.len) == 0) {
            pnode *n = new_node(p, PN_VAR, name.col);
            if (n) {
                n->name = v->name;
                n->name_len = name.len;
                n->def = v->value;
                n->type = v->value->type;
            }
            return n;
        }
    ps_fail(p, name.col, "unknown name '%.*s' (a bin is $.%.*s, a function needs (), a "
            "variable needs an enclosing let)", (int)(name.len > 32 ? 32 : name.len), name.text,
            (int)(name.len > 32 ? 32 : name.len), name.text);
    return NULL;
}

static pnode *parse_primary(parser *p) {
    token *t = &p->tok;
    uint32_t col = t->col;
    pnode *n = NULL;
    switch (t->kind) {
    case TK_INT: {
        int64_t v = 0;
        if (!int_value(p, false, col, &v))
            return NULL;
        n = literal(p, col, aw_exp_int(p->b, v), AW_EXP_INT);
        break;
    }
    case TK_FLOAT: n = literal(p, col, aw_exp_float(p->b, t->f), AW_EXP_FLOAT); break;
    case TK_STR: n = literal(p, col, aw_exp_strn(p->b, t->text, t->len), AW_EXP_STR); break;
    case TK_BLOB: n = literal(p, col, aw_exp_blob(p->b, t->text, t->len), AW_EXP_BLOB); break;
    case TK_BIN:
        if ((n = new_node(p, PN_BIN, col))) {
            n->name = t->text;
            n->name_len = t->len;
        }
        break;
    case TK_LBRACK: case TK_LBRACE: return parse_collection(p);
    case TK_IDENT: return parse_name(p);
    case TK_LPAREN:
        if (!ps_next(p) || !(n = parse_expr(p)))
            return NULL;
        if (p->tok.kind != TK_RPAREN) {
            fail_expected(p, "')'");
            return NULL;
        }
        break;
    default: fail_expected(p, "a value"); return NULL;
    }
    return n && ps_next(p) ? n : NULL;
}

/* receiver.method() ... */
static pnode *parse_methods(parser *p, pnode *recv) {
    while (recv && p->tok.kind == TK_DOT) {
        if (!ps_next(p))
            return NULL;
        if (p->tok.kind != TK_IDENT) {
            fail_expected(p, "a method name");
            return NULL;
        }
        token name = p->tok;
        const pmethod *m = ps_find_method(name.text, name.len);
        if (!m) {
            ps_fail(p, name.col, "unknown method '.%.*s()'", (int)(name.len > 32 ? 32 : name.len),
                    name.text);
            return NULL;
        }
        if (!ps_next(p) || !expect(p, TK_LPAREN, "'('") || !expect(p, TK_RPAREN, "')'"))
            return NULL;
        if (m->kind == MK_BIN_TYPE) {
            if (recv->kind != PN_BIN || recv->type != AW_EXP_ANY) {
                ps_fail(p, name.col, ".%s() gives a bin its type ($.a.%s()); it cannot follow %s",
                        m->name, m->name, recv->kind == PN_BIN ? "another type" : "this value");
                return NULL;
            }
            recv->type = m->type;
            continue;
        }
        pnode *n = new_node(p, PN_METHOD, name.col);
        pnode **args = aw_arena_alloc(p->arena, sizeof *args);
        if (!n || !args) {
            ps_nomem(p, name.col);
            return NULL;
        }
        args[0] = recv;
        n->method = m;
        n->args = args;
        n->n_args = 1;
        n->type = m->type;
        recv = n;
    }
    return recv;
}

/* - and ~ before a value; a minus before a number makes a negative literal. */
static pnode *parse_unary(parser *p) {
    token *t = &p->tok;
    uint32_t col = t->col;
    if (t->kind != TK_MINUS && t->kind != TK_TILDE)
        return parse_methods(p, parse_primary(p));
    bool minus = t->kind == TK_MINUS;
    if (!enter(p) || !ps_next(p))
        return NULL;
    pnode *n;
    if (minus && t->kind == TK_INT) {
        int64_t v = 0;
        n = int_value(p, true, col, &v) ? literal(p, col, aw_exp_int(p->b, v), AW_EXP_INT) : NULL;
        n = n && ps_next(p) ? parse_methods(p, n) : NULL;
    } else if (minus && t->kind == TK_FLOAT) {
        n = literal(p, col, aw_exp_float(p->b, -t->f), AW_EXP_FLOAT);
        n = n && ps_next(p) ? parse_methods(p, n) : NULL;
    } else {
        pnode *operand = parse_unary(p);
        /* sub with one argument negates it (the server's rule). */
        n = operand ? call1_of(p, minus ? "sub" : "int_not", minus ? "'-'" : "'~'", col, operand)
                    : NULL;
    }
    p->depth--;
    return n;
}

/* ---- binary operators ------------------------------------------------------------------ */

typedef struct binop {
    tok_kind tok;
    const char *func;
    bool flatten; /* a chain of it is one call: a + b + c is add(a, b, c) */
} binop;

typedef struct level {
    binop ops[3];
    unsigned n;
} level;

/* Tightest last; below the last is parse_unary. */
static const level LEVELS[] = {
    {{{TK_PIPE, "int_or", true}}, 1},
    {{{TK_CARET, "int_xor", true}}, 1},
    {{{TK_AMP, "int_and", true}}, 1},
    {{{TK_SHL, "int_lshift", false}, {TK_SHR, "int_arshift", false},
      {TK_USHR, "int_rshift", false}}, 3},
    {{{TK_PLUS, "add", true}, {TK_MINUS, "sub", true}}, 2},
    {{{TK_STAR, "mul", true}, {TK_SLASH, "div", true}, {TK_PERCENT, "mod", false}}, 3},
};
#define N_LEVELS (sizeof LEVELS / sizeof LEVELS[0])

static const binop *level_op(unsigned lv, tok_kind k) {
    for (unsigned i = 0; i < LEVELS[lv].n; i++)
        if (LEVELS[lv].ops[i].tok == k)
            return &LEVELS[lv].ops[i];
    return NULL;
}

/* operands joined by op, as one call (or nested pairs when op does not flatten). */
static pnode *finish_chain(parser *p, const binop *op, const char *spelled, uint32_t col,
                           plist *operands) {
    return call_of(p, op->func, spelled, col, operands->v, operands->n);
}

static pnode *parse_level(parser *p, unsigned lv) {
    if (lv == N_LEVELS)
        return parse_unary(p);
    pnode *left = parse_level(p, lv + 1);
    const binop *op;
    while (left && (op = level_op(lv, p->tok.kind))) {
        const char *spelled = ps_tok_name(&p->tok);
        uint32_t col = p->tok.col;
        plist operands = {0};
        if (!plist_add(p, &operands, left))
            return NULL;
        do {
            if (!ps_next(p))
                return NULL;
            pnode *right = parse_level(p, lv + 1);
            if (!right || !plist_add(p, &operands, right))
                return NULL;
        } while (op->flatten && p->tok.kind == op->tok);
        left = finish_chain(p, op, spelled, col, &operands);
    }
    return left;
}

static const struct {
    tok_kind tok;
    const char *func;
} COMPARISONS[] = {
    {TK_EQ, "eq"}, {TK_NE, "ne"}, {TK_GT, "gt"}, {TK_GE, "ge"}, {TK_LT, "lt"}, {TK_LE, "le"},
};

static const char *comparison(const token *t) {
    for (size_t i = 0; i < sizeof COMPARISONS / sizeof COMPARISONS[0]; i++)
        if (COMPARISONS[i].tok == t->kind)
            return COMPARISONS[i].func;
    return is_word(t, "in") ? "in_list" : NULL;
}

static pnode *parse_comparison(parser *p) {
    pnode *left = parse_level(p, 0);
    const char *func = left ? comparison(&p->tok) : NULL;
    if (!func)
        return left;
    char spelled_buf[PS_DESC_SIZE];
    const char *spelled = ps_tok_desc(&p->tok, spelled_buf);
    if (spelled == spelled_buf)
        spelled = "in";
    uint32_t col = p->tok.col;
    if (!ps_next(p))
        return NULL;
    pnode *right = parse_level(p, 0);
    if (!right)
        return NULL;
    if (comparison(&p->tok)) {
        ps_fail(p, p->tok.col, "comparisons do not chain: write a < b and b < c");
        return NULL;
    }
    return call2_of(p, func, spelled, col, left, right);
}

static pnode *parse_not(parser *p) {
    token *t = &p->tok;
    if (t->kind != TK_BANG && !is_word(t, "not"))
        return parse_comparison(p);
    const char *spelled = t->kind == TK_BANG ? "'!'" : "not";
    uint32_t col = t->col;
    if (!enter(p) || !ps_next(p))
        return NULL;
    pnode *operand = parse_not(p);
    p->depth--;
    return operand ? call1_of(p, "not", spelled, col, operand) : NULL;
}

/* and / or: a chain of one is one call with all the operands. */
static pnode *parse_logic(parser *p, const char *word, tok_kind sym, const char *func,
                          pnode *(*operand)(parser *)) {
    pnode *left = operand(p);
    if (!left || (!is_word(&p->tok, word) && p->tok.kind != sym))
        return left;
    uint32_t col = p->tok.col;
    const char *spelled = p->tok.kind == sym ? ps_tok_name(&p->tok) : word;
    plist operands = {0};
    if (!plist_add(p, &operands, left))
        return NULL;
    while (is_word(&p->tok, word) || p->tok.kind == sym) {
        if (!ps_next(p))
            return NULL;
        pnode *right = operand(p);
        if (!right || !plist_add(p, &operands, right))
            return NULL;
    }
    return call_of(p, func, spelled, col, operands.v, operands.n);
}

static pnode *parse_and(parser *p) { return parse_logic(p, "and", TK_ANDAND, "and", parse_not); }

static pnode *parse_expr(parser *p) {
    if (!enter(p))
        return NULL;
    pnode *n = parse_logic(p, "or", TK_OROR, "or", parse_and);
    p->depth--;
    return n;
}

/* ---- entry points ----------------------------------------------------------------------- */

int aw_exp_parse_node(aw_exp_builder *b, const char *text, aw_exp_node **root, aw_error *err) {
    if (!b || !text || !root)
        return aw_error_set(err, AW_ERR_PARAM, "exp parse: NULL %s",
                            !b ? "builder" : !text ? "text" : "root");
    if (b->failed) {
        if (err)
            *err = b->first_error;
        return b->first_error.code;
    }
    if (strlen(text) >= AW_EXP_MAX_SIZE)
        return aw_error_set(err, AW_ERR_PARAM, "exp parse: text of %zu bytes is over the %u-byte "
                            "expression limit", strlen(text), AW_EXP_MAX_SIZE);
    aw_arena arena;
    aw_arena_init(&arena, 0);
    parser p = {.src = text, .arena = &arena, .b = b, .err = err};
    p.prev.kind = TK_END;
    aw_exp_node *out = NULL;
    pnode *tree = ps_next(&p) ? parse_expr(&p) : NULL;
    if (tree && p.tok.kind != TK_END) {
        char buf[PS_DESC_SIZE];
        ps_fail(&p, p.tok.col, "unexpected %s after a complete expression",
                ps_tok_desc(&p.tok, buf));
    } else if (tree) {
        /* The whole is a filter's bool unless it says otherwise. */
        out = ps_emit(&p, tree, AW_EXP_BOOL);
    }
    aw_arena_free(&arena);
    if (!out) {
        /* A constructor's refusal was reported with its column; the builder
         * goes on as it was (the nodes made stay until it is freed). */
        b->failed = false;
        return p.code;
    }
    *root = out;
    aw_error_reset(err);
    return AW_OK;
}

int aw_exp_parse(const char *text, aw_exp **out, aw_error *err) {
    if (!out)
        return aw_error_set(err, AW_ERR_PARAM, "exp parse: NULL out");
    aw_exp_builder *b = aw_exp_builder_new();
    if (!b)
        return aw_error_set(err, AW_ERR_NOMEM, "exp parse: out of memory");
    aw_exp_node *root;
    int rc = aw_exp_parse_node(b, text, &root, err);
    if (rc == AW_OK)
        rc = aw_exp_compile(b, root, out, err);
    aw_exp_builder_free(b);
    return rc;
}
