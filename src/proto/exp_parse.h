/*
 * Inside the expression text parser (aw_exp_parse): tokens, the syntax
 * tree the grammar builds, and the tables of functions and methods that
 * map names to builder constructors. docs/expressions.md "Text syntax"
 * is the language; this header is how the three files share it:
 * exp_parse_lex.c (text -> tokens), exp_parse.c (tokens -> tree) and
 * exp_parse_emit.c (tree -> builder nodes, choosing the bins' types).
 */
#ifndef AW_PROTO_EXP_PARSE_H
#define AW_PROTO_EXP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/exp.h"
#include "aerowire/ops.h"
#include "arena.h"

/* ---- tokens ---------------------------------------------------------------- */

typedef enum tok_kind {
    TK_END,
    TK_INT,     /* decimal or 0x hex digits; u holds the magnitude */
    TK_FLOAT,
    TK_STR,     /* "..." or '...', escapes decoded into text/len */
    TK_BLOB,    /* x"00ff": the bytes in text/len */
    TK_IDENT,   /* names, and the words and, or, not, in, true, false, nil */
    TK_BIN,     /* $.name or $."name": the name in text/len */
    TK_LPAREN, TK_RPAREN, TK_LBRACK, TK_RBRACK, TK_LBRACE, TK_RBRACE,
    TK_COMMA, TK_COLON, TK_DOT, TK_ASSIGN,
    TK_EQ, TK_NE, TK_GT, TK_GE, TK_LT, TK_LE,
    TK_ANDAND, TK_OROR, TK_BANG,
    TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT,
    TK_AMP, TK_PIPE, TK_CARET, TK_TILDE, TK_SHL, TK_SHR, TK_USHR,
} tok_kind;

typedef struct token {
    tok_kind kind;
    uint32_t col;        /* 1-based byte column of its first character */
    const char *text;    /* TK_IDENT: into the source; TK_STR/BLOB/BIN: decoded copy */
    size_t len;
    uint64_t u;          /* TK_INT magnitude */
    bool hex;            /* TK_INT written in hex (any 64-bit pattern) */
    double f;            /* TK_FLOAT */
} token;

/* The parser's state: the source, the current token, the first error. */
typedef struct parser {
    const char *src;
    size_t pos;          /* where the next token starts */
    token tok;           /* the current token */
    token prev;          /* the one before it (TK_END at the start), for messages */
    aw_arena *arena;     /* tree nodes and decoded strings */
    aw_exp_builder *b;
    aw_error *err;
    bool failed;
    int code;            /* the first error's code */
    unsigned depth;      /* nesting, bounded so no text can exhaust the stack */
    struct scope_var *scope; /* let variables visible here, innermost first */
} parser;

/* Records the first error as AW_ERR_PARAM "at COL: ..."; returns false. */
bool ps_fail(parser *p, uint32_t col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with another code (a builder's error, out of memory). */
bool ps_fail_code(parser *p, int code, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define ps_nomem(p, col) ps_fail_code((p), AW_ERR_NOMEM, (col), "out of memory")
/* Reads the next token into p->tok; false (error recorded) on bad text. */
bool ps_next(parser *p);
/* How a token is spelled in messages ("'>='", "the end", "a string"). */
const char *ps_tok_name(const token *t);
/* The same, but a name is quoted as written ("'and'"); buf may hold it. */
#define PS_DESC_SIZE 40
const char *ps_tok_desc(const token *t, char buf[PS_DESC_SIZE]);

/* ---- the tree ---------------------------------------------------------------- */

typedef struct pfunc pfunc;
typedef struct pmethod pmethod;

typedef enum pnode_kind {
    PN_LIT,    /* built already: `built` */
    PN_BIN,    /* $.name: type AW_EXP_ANY until its context tells */
    PN_CALL,   /* a function or operator: fn and args */
    PN_METHOD, /* receiver.method(): method, args[0] the receiver */
    PN_VAR,    /* a let variable: name and def (its value) */
    PN_DEF,    /* name = value inside let: args[0] */
} pnode_kind;

typedef struct pnode pnode;
struct pnode {
    uint8_t kind;        /* pnode_kind */
    uint8_t type;        /* what it evaluates to when known without context, else AW_EXP_ANY */
    uint32_t col;        /* where it starts, or its operator */
    const char *spelled; /* PN_CALL: the operator or function as written, for messages */
    const pfunc *fn;
    const pmethod *method;
    pnode **args;
    uint32_t n_args;
    const char *name;    /* bin, variable or def name (NUL-terminated); string argument */
    size_t name_len;
    int64_t i;           /* digest_modulo's N, regex flags; a list literal: its items'
                          * one type (AW_EXP_ANY when mixed) */
    const pnode *def;    /* PN_VAR: the definition's value */
    aw_exp_node *built;  /* PN_LIT */
};

/* A let variable in scope while its let's later arguments are parsed. */
typedef struct scope_var {
    const char *name;
    const pnode *value;
    struct scope_var *next;
} scope_var;

/* ---- functions and methods ------------------------------------------------------- */

typedef enum pfunc_kind {
    FK_CALL0,   /* f(b): metadata and unknown() */
    FK_CALL1,   /* f(b, x) */
    FK_CALL2,   /* f(b, x, y) */
    FK_CALLN,   /* f(b, args, n): variadic; and, add, cond, ... */
    FK_BIN,     /* bin_int("a") ...: a typed bin by its name */
    FK_BIN_NAMED, /* bin_type("a"), bin_exists("a") */
    FK_KEY,     /* key_int() ...: the stored key of one type */
    FK_DIGEST,  /* digest_modulo(N) */
    FK_REGEX,   /* regex(str, "pattern"[, "flags"]) */
    FK_LET,     /* let(name = value, ..., body) */
    FK_GEO,     /* geo("GeoJSON") */
} pfunc_kind;

struct pfunc {
    const char *name;
    uint8_t kind;        /* pfunc_kind */
    uint8_t op;          /* the call's op code (types and arity from exp_op_info) */
    uint8_t type;        /* FK_BIN / FK_KEY: the type read */
    union {
        aw_exp_node *(*f0)(aw_exp_builder *);
        aw_exp_node *(*f1)(aw_exp_builder *, aw_exp_node *);
        aw_exp_node *(*f2)(aw_exp_builder *, aw_exp_node *, aw_exp_node *);
        aw_exp_node *(*fn)(aw_exp_builder *, aw_exp_node *const *, size_t);
        aw_exp_node *(*named)(aw_exp_builder *, const char *);
    } u;
};

/* A CDT read on a list or a map (size, ...): one constructor for each. */
typedef aw_exp_node *(*pcdt_fn)(aw_exp_builder *, const aw_ctx *, aw_exp_node *);

typedef enum pmethod_kind {
    MK_BIN_TYPE, /* $.a.int(): the bin read as that type */
    MK_CDT,      /* x.size(): list_fn on a list, map_fn on a map (a bin of unknown type: list) */
} pmethod_kind;

struct pmethod {
    const char *name;
    uint8_t kind;        /* pmethod_kind */
    uint8_t type;        /* MK_BIN_TYPE: the type; MK_CDT: the result's */
    pcdt_fn list_fn, map_fn;
};

/* The entry of that name, or NULL. */
const pfunc *ps_find_func(const char *name, size_t len);
const pmethod *ps_find_method(const char *name, size_t len);
/* The operator entries the grammar uses ("gt" for '>', ...). */
const pfunc *ps_op_func(const char *builder_name);

/* The type a call has from its arguments' known types (AW_EXP_ANY when
 * they do not tell), set on the node when the parser makes it. */
uint8_t ps_call_type(const pnode *n);

/* Builds the tree under root into p->b, choosing each untyped bin's type
 * from its context (hint: the type the context expects). NULL after an
 * error recorded in p. */
aw_exp_node *ps_emit(parser *p, const pnode *root, uint8_t hint);

#endif
