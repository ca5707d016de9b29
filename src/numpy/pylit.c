/* The Python literal parser of dtype descrs and .npy headers (see pylit.h). */
#include "pylit.h"

#include <stdio.h>
#include <string.h>

typedef struct pl_ctx {
    const char *t;
    size_t len;
    size_t pos;
    bool latin1;
    const char *what;
    aw_arena *arena;
    aw_error *err;
} pl_ctx;

size_t aw_utf8_put(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

size_t aw_utf8_valid_seq(const unsigned char *s, size_t len, uint32_t *cp) {
    if (len == 0)
        return 0;
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

static int pl_fail(pl_ctx *c, size_t at, const char *msg) {
    return aw_error_set(c->err, AW_ERR_PARAM, "%s: %s at offset %zu", c->what, msg, at);
}

static int pl_nomem(pl_ctx *c) {
    return aw_error_set(c->err, AW_ERR_NOMEM, "%s: out of memory", c->what);
}

static void pl_skip_ws(pl_ctx *c) {
    while (c->pos < c->len) {
        char ch = c->t[c->pos];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v')
            c->pos++;
        else
            break;
    }
}

static aw_pylit *pl_node(pl_ctx *c, aw_pylit_type type, size_t pos) {
    aw_pylit *n = aw_arena_alloc(c->arena, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->type = type;
    n->pos = pos;
    return n;
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int pl_string(pl_ctx *c, aw_pylit **out) {
    size_t start = c->pos;
    char q = c->t[c->pos];
    /* Find the closing quote first, to size the output. */
    size_t i = start + 1;
    for (;;) {
        if (i >= c->len)
            return pl_fail(c, start, "unterminated string");
        char ch = c->t[i];
        if (ch == q)
            break;
        if (ch == '\n' || ch == '\r')
            return pl_fail(c, i, "newline in string");
        if (ch == '\\') {
            if (i + 1 >= c->len)
                return pl_fail(c, start, "unterminated string");
            i += 2;
            continue;
        }
        i++;
    }
    size_t end = i; /* the closing quote */
    size_t span = end - start - 1;
    aw_pylit *n = pl_node(c, AW_PY_STR, start);
    char *buf = n ? aw_arena_alloc(c->arena, span * 2 + 1) : NULL;
    if (!buf)
        return pl_nomem(c);
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)c->t;
    for (i = start + 1; i < end;) {
        unsigned char ch = u[i];
        if (ch != '\\') {
            if (ch < 0x80) {
                buf[o++] = (char)ch;
                i++;
            } else if (c->latin1) {
                o += aw_utf8_put(ch, buf + o);
                i++;
            } else {
                uint32_t cp;
                size_t k = aw_utf8_valid_seq(u + i, end - i, &cp);
                if (k == 0)
                    return pl_fail(c, i, "invalid UTF-8 in string");
                memcpy(buf + o, u + i, k);
                o += k;
                i += k;
            }
            continue;
        }
        size_t esc = i;
        char e = c->t[i + 1];
        i += 2;
        uint32_t cp;
        int digits = 0;
        switch (e) {
        case '\n':
            continue;
        case '\\':
        case '\'':
        case '"':
            buf[o++] = e;
            continue;
        case 'a':
            buf[o++] = '\a';
            continue;
        case 'b':
            buf[o++] = '\b';
            continue;
        case 'f':
            buf[o++] = '\f';
            continue;
        case 'n':
            buf[o++] = '\n';
            continue;
        case 'r':
            buf[o++] = '\r';
            continue;
        case 't':
            buf[o++] = '\t';
            continue;
        case 'v':
            buf[o++] = '\v';
            continue;
        case 'x':
            digits = 2;
            break;
        case 'u':
            digits = 4;
            break;
        case 'U':
            digits = 8;
            break;
        case 'N':
            return pl_fail(c, esc, "\\N{...} escapes are not supported");
        default:
            if (e >= '0' && e <= '7') {
                cp = (uint32_t)(e - '0');
                for (int k = 0; k < 2 && i < end && c->t[i] >= '0' && c->t[i] <= '7'; k++)
                    cp = cp * 8 + (uint32_t)(c->t[i++] - '0');
                o += aw_utf8_put(cp, buf + o);
                continue;
            }
            /* Python keeps an unknown escape as it is. */
            buf[o++] = '\\';
            i--;
            continue;
        }
        cp = 0;
        for (int k = 0; k < digits; k++) {
            int h = i < end ? hexval(c->t[i]) : -1;
            if (h < 0)
                return pl_fail(c, esc, "truncated \\x, \\u or \\U escape");
            cp = cp * 16 + (uint32_t)h;
            i++;
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return pl_fail(c, esc, "escape is not a valid code point");
        o += aw_utf8_put(cp, buf + o);
    }
    buf[o] = '\0';
    n->s = buf;
    n->len = o;
    c->pos = end + 1;
    *out = n;
    return AW_OK;
}

static int pl_int(pl_ctx *c, aw_pylit **out) {
    size_t start = c->pos;
    bool neg = false;
    if (c->t[c->pos] == '-' || c->t[c->pos] == '+') {
        neg = c->t[c->pos] == '-';
        c->pos++;
        pl_skip_ws(c);
    }
    if (c->pos >= c->len || c->t[c->pos] < '0' || c->t[c->pos] > '9')
        return pl_fail(c, start, "expected a number");
    uint64_t v = 0;
    while (c->pos < c->len && c->t[c->pos] >= '0' && c->t[c->pos] <= '9') {
        unsigned d = (unsigned)(c->t[c->pos] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return pl_fail(c, start, "integer too large");
        v = v * 10 + d;
        c->pos++;
    }
    /* Python 2 wrote long integers with an L suffix (numpy tolerates it). */
    if (c->pos < c->len && (c->t[c->pos] == 'L' || c->t[c->pos] == 'l'))
        c->pos++;
    if (c->pos < c->len) {
        char ch = c->t[c->pos];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '.')
            return pl_fail(c, c->pos, "malformed number");
    }
    aw_pylit *n = pl_node(c, AW_PY_INT, start);
    if (!n)
        return pl_nomem(c);
    n->i = neg ? -(int64_t)v : (int64_t)v;
    *out = n;
    return AW_OK;
}

static int pl_value(pl_ctx *c, int depth, aw_pylit **out);

/* A tuple, list or dict (or a parenthesized value), the opener at c->pos. */
static int pl_container(pl_ctx *c, int depth, aw_pylit **out) {
    size_t start = c->pos;
    char open = c->t[c->pos];
    char close = open == '(' ? ')' : open == '[' ? ']' : '}';
    aw_pylit_type type = open == '(' ? AW_PY_TUPLE : open == '[' ? AW_PY_LIST : AW_PY_DICT;
    if (depth >= AW_PYLIT_MAX_DEPTH)
        return pl_fail(c, start, "nesting too deep");
    aw_pylit *n = pl_node(c, type, start);
    if (!n)
        return pl_nomem(c);
    aw_pylit **tail = &n->first;
    bool comma = false; /* a comma seen: a parenthesized value is a tuple */
    c->pos++;
    for (;;) {
        pl_skip_ws(c);
        if (c->pos >= c->len)
            return pl_fail(c, start, type == AW_PY_DICT ? "unterminated dict"
                                     : type == AW_PY_LIST ? "unterminated list"
                                                          : "unterminated tuple");
        if (c->t[c->pos] == close) {
            c->pos++;
            break;
        }
        aw_pylit *item;
        int rc = pl_value(c, depth + 1, &item);
        if (rc != AW_OK)
            return rc;
        *tail = item;
        tail = &item->next;
        n->n++;
        if (type == AW_PY_DICT) {
            if (c->pos >= c->len || c->t[c->pos] != ':')
                return pl_fail(c, c->pos, "expected ':' in dict");
            c->pos++;
            rc = pl_value(c, depth + 1, &item);
            if (rc != AW_OK)
                return rc;
            *tail = item;
            tail = &item->next;
            n->n++;
        }
        if (c->pos < c->len && c->t[c->pos] == ',') {
            c->pos++;
            comma = true;
            continue;
        }
        if (c->pos < c->len && c->t[c->pos] == close) {
            c->pos++;
            break;
        }
        if (c->pos >= c->len)
            continue; /* reported as unterminated above */
        char msg[32];
        snprintf(msg, sizeof msg, "expected ',' or '%c'", close);
        return pl_fail(c, c->pos, msg);
    }
    if (type == AW_PY_TUPLE && n->n == 1 && !comma) {
        /* (x) is x, not a tuple. */
        n->first->next = NULL;
        *out = n->first;
        return AW_OK;
    }
    *out = n;
    return AW_OK;
}

static bool pl_word(pl_ctx *c, const char *w) {
    size_t l = strlen(w);
    if (c->len - c->pos < l || memcmp(c->t + c->pos, w, l) != 0)
        return false;
    if (c->pos + l < c->len) {
        char ch = c->t[c->pos + l];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '_')
            return false;
    }
    return true;
}

static int pl_value(pl_ctx *c, int depth, aw_pylit **out) {
    pl_skip_ws(c);
    if (c->pos >= c->len)
        return pl_fail(c, c->pos, "unexpected end, expected a value");
    char ch = c->t[c->pos];
    int rc;
    if (ch == '\'' || ch == '"') {
        rc = pl_string(c, out);
    } else if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+') {
        rc = pl_int(c, out);
    } else if (ch == '(' || ch == '[' || ch == '{') {
        rc = pl_container(c, depth, out);
    } else {
        static const char *const words[] = {"True", "False", "None"};
        size_t w;
        for (w = 0; w < 3 && !pl_word(c, words[w]); w++)
            ;
        if (w == 3)
            return pl_fail(c, c->pos, "unexpected character, expected a value");
        aw_pylit *n = pl_node(c, w == 2 ? AW_PY_NONE : AW_PY_BOOL, c->pos);
        if (!n)
            return pl_nomem(c);
        n->i = w == 0;
        c->pos += strlen(words[w]);
        *out = n;
        rc = AW_OK;
    }
    if (rc == AW_OK)
        pl_skip_ws(c);
    return rc;
}

int aw_pylit_parse(const char *text, size_t len, size_t *pos, bool latin1, const char *what,
                   aw_arena *arena, aw_pylit **out, aw_error *err) {
    pl_ctx c = {text, len, *pos, latin1, what, arena, err};
    int rc = pl_value(&c, 0, out);
    if (rc == AW_OK)
        *pos = c.pos;
    return rc;
}
