/*
 * The expression text's tokens: numbers, strings, names, $.bins and
 * operators. Every byte is either part of a token, white space, or an
 * error naming its column.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/key.h"
#include "exp_parse.h"

static bool fail_v(parser *p, int code, uint32_t col, const char *fmt, va_list ap) {
    if (p->failed)
        return false;
    p->failed = true;
    p->code = code;
    char msg[AW_ERROR_MSG_SIZE];
    vsnprintf(msg, sizeof msg, fmt, ap);
    aw_error_set(p->err, code, "at %u: %s", col, msg);
    return false;
}

bool ps_fail(parser *p, uint32_t col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_v(p, AW_ERR_PARAM, col, fmt, ap);
    va_end(ap);
    return false;
}

bool ps_fail_code(parser *p, int code, uint32_t col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_v(p, code, col, fmt, ap);
    va_end(ap);
    return false;
}

const char *ps_tok_name(const token *t) {
    switch (t->kind) {
    case TK_END: return "the end";
    case TK_INT: return "an integer";
    case TK_FLOAT: return "a float";
    case TK_STR: return "a string";
    case TK_BLOB: return "a blob";
    case TK_IDENT: return "a name";
    case TK_BIN: return "a bin";
    case TK_LPAREN: return "'('";
    case TK_RPAREN: return "')'";
    case TK_LBRACK: return "'['";
    case TK_RBRACK: return "']'";
    case TK_LBRACE: return "'{'";
    case TK_RBRACE: return "'}'";
    case TK_COMMA: return "','";
    case TK_COLON: return "':'";
    case TK_DOT: return "'.'";
    case TK_ASSIGN: return "'='";
    case TK_EQ: return "'=='";
    case TK_NE: return "'!='";
    case TK_GT: return "'>'";
    case TK_GE: return "'>='";
    case TK_LT: return "'<'";
    case TK_LE: return "'<='";
    case TK_ANDAND: return "'&&'";
    case TK_OROR: return "'||'";
    case TK_BANG: return "'!'";
    case TK_PLUS: return "'+'";
    case TK_MINUS: return "'-'";
    case TK_STAR: return "'*'";
    case TK_SLASH: return "'/'";
    case TK_PERCENT: return "'%'";
    case TK_AMP: return "'&'";
    case TK_PIPE: return "'|'";
    case TK_CARET: return "'^'";
    case TK_TILDE: return "'~'";
    case TK_SHL: return "'<<'";
    case TK_SHR: return "'>>'";
    case TK_USHR: return "'>>>'";
    }
    return "?";
}

const char *ps_tok_desc(const token *t, char buf[PS_DESC_SIZE]) {
    if (t->kind != TK_IDENT)
        return ps_tok_name(t);
    snprintf(buf, PS_DESC_SIZE, "'%.*s'", (int)(t->len > 32 ? 32 : t->len), t->text);
    return buf;
}

static bool ident_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

static int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The quoted text starting at p->src[start] (its quote character), escapes
 * decoded into an arena copy; p->pos ends after the closing quote. */
static bool lex_string(parser *p, size_t start, token *t) {
    const char *s = p->src;
    char quote = s[start];
    size_t i = start + 1, n = 0;
    /* The decoded text is never longer than the source. */
    size_t end = i;
    while (s[end] && s[end] != quote)
        end += s[end] == '\\' && s[end + 1] ? 2 : 1;
    if (!s[end])
        return ps_fail(p, (uint32_t)start + 1, "string not closed (expected %c)", quote);
    char *out = aw_arena_alloc(p->arena, end - i + 1);
    if (!out)
        return ps_nomem(p, (uint32_t)start + 1);
    while (i < end) {
        char c = s[i++];
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        uint32_t esc_col = (uint32_t)i;
        c = s[i++];
        switch (c) {
        case '\\': case '"': case '\'': case '/': out[n++] = c; break;
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case '0': out[n++] = '\0'; break;
        case 'x': {
            int hi = i < end ? hex_value(s[i]) : -1;
            int lo = i + 1 < end ? hex_value(s[i + 1]) : -1;
            if (hi < 0 || lo < 0)
                return ps_fail(p, esc_col, "\\x needs two hex digits");
            out[n++] = (char)(hi << 4 | lo);
            i += 2;
            break;
        }
        default:
            return ps_fail(p, esc_col, "unknown escape '\\%c' (known: \\\\ \\\" \\' \\n \\t \\r "
                           "\\0 \\xHH)", isprint((unsigned char)c) ? c : '?');
        }
    }
    out[n] = '\0';
    t->text = out;
    t->len = n;
    p->pos = end + 1;
    return true;
}

/* x"00ff": hex digits in quotes, decoded to bytes. */
static bool lex_blob(parser *p, size_t start, token *t) {
    if (!lex_string(p, start + 1, t))
        return false;
    if (t->len % 2)
        return ps_fail(p, (uint32_t)start + 1, "a blob x\"...\" needs an even number of hex digits");
    char *out = (char *)t->text; /* our arena copy: decoded in place */
    for (size_t k = 0; k < t->len; k += 2) {
        int hi = hex_value(out[k]), lo = hex_value(out[k + 1]);
        if (hi < 0 || lo < 0)
            return ps_fail(p, (uint32_t)start + 1, "a blob x\"...\" holds only hex digits");
        out[k / 2] = (char)(hi << 4 | lo);
    }
    t->len /= 2;
    return true;
}

/* Decimal or 0x hex integer, or a float (digits with '.' or an exponent). */
static bool lex_number(parser *p, size_t start, token *t) {
    const char *s = p->src;
    size_t i = start;
    uint32_t col = (uint32_t)start + 1;
    if (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        i += 2;
        uint64_t v = 0;
        size_t digits = 0;
        for (; hex_value(s[i]) >= 0; i++, digits++) {
            if (digits == 16)
                return ps_fail(p, col, "hex integer longer than 16 digits (64 bits)");
            v = v << 4 | (uint64_t)hex_value(s[i]);
        }
        if (!digits)
            return ps_fail(p, col, "expected hex digits after '0x'");
        if (ident_char(s[i]))
            return ps_fail(p, (uint32_t)i + 1, "unexpected '%c' in a hex integer", s[i]);
        t->kind = TK_INT;
        t->u = v;
        t->hex = true;
        p->pos = i;
        return true;
    }
    while (isdigit((unsigned char)s[i]))
        i++;
    bool is_float = false;
    if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
        is_float = true;
        for (i++; isdigit((unsigned char)s[i]);)
            i++;
    }
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (!isdigit((unsigned char)s[j]))
            return ps_fail(p, (uint32_t)i + 1, "expected digits in the exponent");
        while (isdigit((unsigned char)s[j]))
            j++;
        i = j;
        is_float = true;
    }
    if (ident_char(s[i]))
        return ps_fail(p, (uint32_t)i + 1, "unexpected '%c' in a number", s[i]);
    p->pos = i;
    if (is_float) {
        char buf[128];
        if (i - start >= sizeof buf)
            return ps_fail(p, col, "float literal longer than %zu characters", sizeof buf - 1);
        memcpy(buf, s + start, i - start);
        buf[i - start] = '\0';
        errno = 0;
        double d = strtod(buf, NULL);
        if (errno == ERANGE && isinf(d))
            return ps_fail(p, col, "float %s is out of a double's range", buf);
        t->kind = TK_FLOAT;
        t->f = d;
        return true;
    }
    uint64_t v = 0;
    for (size_t k = start; k < i; k++) {
        unsigned d = (unsigned)(s[k] - '0');
        /* Magnitudes up to 2^63 (INT64_MIN after a minus); the parser checks the sign. */
        if (v > ((uint64_t)1 << 63) / 10 || v * 10 + d > ((uint64_t)1 << 63))
            return ps_fail(p, col, "integer %.*s is out of the 64-bit range", (int)(i - start),
                           s + start);
        v = v * 10 + d;
    }
    t->kind = TK_INT;
    t->u = v;
    t->hex = false;
    return true;
}

/* $.name or $."any name". */
static bool lex_bin(parser *p, size_t start, token *t) {
    const char *s = p->src;
    uint32_t col = (uint32_t)start + 1;
    if (s[start + 1] != '.')
        return ps_fail(p, col, "expected '.' after '$' (a bin is $.name)");
    size_t i = start + 2;
    if (s[i] == '"' || s[i] == '\'') {
        if (!lex_string(p, i, t))
            return false;
        if (memchr(t->text, '\0', t->len))
            return ps_fail(p, col, "a bin name cannot hold a NUL byte");
    } else {
        size_t j = i;
        while (ident_char(s[j]))
            j++;
        if (j == i)
            return ps_fail(p, col, "expected a bin name after '$.' (letters, digits, '_'; "
                           "others quoted: $.\"my-bin\")");
        t->text = aw_arena_strndup(p->arena, s + i, j - i);
        if (!t->text)
            return ps_nomem(p, col);
        t->len = j - i;
        p->pos = j;
    }
    if (t->len == 0 || t->len > AW_BIN_NAME_MAX)
        return ps_fail(p, col, "bin name '%.20s' is %zu bytes; a bin name is 1 to %d", t->text,
                       t->len, AW_BIN_NAME_MAX);
    t->kind = TK_BIN;
    return true;
}

typedef struct punct {
    const char *text;
    tok_kind kind;
} punct;

/* Longest first, so ">>>" wins over ">>" and ">". */
static const punct PUNCT[] = {
    {">>>", TK_USHR}, {"==", TK_EQ}, {"!=", TK_NE}, {">=", TK_GE}, {"<=", TK_LE},
    {"&&", TK_ANDAND}, {"||", TK_OROR}, {"<<", TK_SHL}, {">>", TK_SHR},
    {"(", TK_LPAREN}, {")", TK_RPAREN}, {"[", TK_LBRACK}, {"]", TK_RBRACK},
    {"{", TK_LBRACE}, {"}", TK_RBRACE}, {",", TK_COMMA}, {":", TK_COLON}, {".", TK_DOT},
    {"=", TK_ASSIGN}, {">", TK_GT}, {"<", TK_LT}, {"!", TK_BANG}, {"+", TK_PLUS},
    {"-", TK_MINUS}, {"*", TK_STAR}, {"/", TK_SLASH}, {"%", TK_PERCENT}, {"&", TK_AMP},
    {"|", TK_PIPE}, {"^", TK_CARET}, {"~", TK_TILDE},
};

bool ps_next(parser *p) {
    if (p->failed)
        return false;
    const char *s = p->src;
    while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r')
        p->pos++;
    size_t start = p->pos;
    token *t = &p->tok;
    p->prev = *t;
    memset(t, 0, sizeof *t);
    t->col = (uint32_t)start + 1;
    char c = s[start];
    if (!c) {
        t->kind = TK_END;
        return true;
    }
    if (isdigit((unsigned char)c))
        return lex_number(p, start, t);
    if ((c == 'x' || c == 'X') && (s[start + 1] == '"' || s[start + 1] == '\'')) {
        t->kind = TK_BLOB;
        return lex_blob(p, start, t);
    }
    if (ident_start(c)) {
        size_t j = start;
        while (ident_char(s[j]))
            j++;
        t->kind = TK_IDENT;
        t->text = s + start;
        t->len = j - start;
        p->pos = j;
        return true;
    }
    if (c == '"' || c == '\'') {
        t->kind = TK_STR;
        return lex_string(p, start, t);
    }
    if (c == '$')
        return lex_bin(p, start, t);
    for (size_t k = 0; k < sizeof PUNCT / sizeof PUNCT[0]; k++) {
        size_t n = strlen(PUNCT[k].text);
        if (strncmp(s + start, PUNCT[k].text, n) == 0) {
            t->kind = PUNCT[k].kind;
            p->pos = start + n;
            return true;
        }
    }
    if (isprint((unsigned char)c))
        return ps_fail(p, t->col, "unexpected character '%c'", c);
    return ps_fail(p, t->col, "unexpected byte 0x%02x", (unsigned char)c);
}
