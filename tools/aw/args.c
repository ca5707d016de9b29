/* Keys and bin values from command-line text; see args.h and docs/cli.md. */
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonval.h"
#include "opts.h"
#include "proto/base64.h"

static bool fail(char why[CLI_WHY_SIZE], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(char why[CLI_WHY_SIZE], const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, CLI_WHY_SIZE, fmt, ap);
    va_end(ap);
    return false;
}

/* The text after `prefix` when text starts with it, else NULL. */
static char *after(char *text, const char *prefix) {
    size_t n = strlen(prefix);
    return strncmp(text, prefix, n) == 0 ? text + n : NULL;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool cli_hex_decode(char *text, size_t *len) {
    size_t n = strlen(text);
    if (n % 2)
        return false;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        /* The write index i/2 trails the read index, so decoding in place is safe. */
        text[i / 2] = (char)(hi << 4 | lo);
    }
    *len = n / 2;
    return true;
}

bool cli_b64_decode(char *text, size_t *len) {
    size_t n = strlen(text);
    while (n && text[n - 1] == '=')
        n--;
    if (strlen(text) - n > 2 || n % 4 == 1)
        return false;
    /* The codec's decoder takes padded text only: pad a copy. */
    size_t padded = (n + 3) / 4 * 4;
    char *p = malloc(padded + 1);
    if (!p)
        return false;
    memcpy(p, text, n);
    memset(p + n, '=', padded - n);
    size_t bad;
    const char *why;
    bool ok = n == 0 || aw_base64_decode(p, padded, false, (uint8_t *)text, len, &bad, &why);
    if (n == 0)
        *len = 0;
    free(p);
    return ok;
}

/* [-]digits: what plain text takes as an integer. */
static bool integer_text(const char *t) {
    const char *p = t[0] == '-' ? t + 1 : t;
    return *p && strspn(p, "0123456789") == strlen(p);
}

bool cli_key_parse(char *text, const char *ns, const char *set, aw_key *out,
                   char why[CLI_WHY_SIZE]) {
    aw_error err;
    int rc;
    char *rest;
    int64_t i;
    if ((rest = after(text, "int:"))) {
        if (!cli_parse_i64(rest, &i))
            return fail(why, "key '%.60s': not a 64-bit decimal integer", text);
        rc = aw_key_init_int(out, ns, set, i, &err);
    } else if ((rest = after(text, "str:"))) {
        rc = aw_key_init_str(out, ns, set, rest, &err);
    } else if ((rest = after(text, "hex:"))) {
        size_t n;
        if (!cli_hex_decode(rest, &n))
            return fail(why, "key 'hex:...': not an even number of hex digits");
        rc = aw_key_init_blob(out, ns, set, rest, n, &err);
    } else if ((rest = after(text, "digest:"))) {
        size_t n;
        if (strlen(rest) != 2 * AW_DIGEST_SIZE || !cli_hex_decode(rest, &n))
            return fail(why, "key '%.60s': a digest is %d hex digits", text, 2 * AW_DIGEST_SIZE);
        rc = aw_key_init_digest(out, ns, set, (const uint8_t *)rest, &err);
    } else if (integer_text(text)) {
        if (!cli_parse_i64(text, &i))
            return fail(why, "key %.40s is out of the 64-bit integer range (str:%.40s makes it a "
                        "string key)", text, text);
        rc = aw_key_init_int(out, ns, set, i, &err);
    } else {
        rc = aw_key_init_str(out, ns, set, text, &err);
    }
    if (rc != AW_OK)
        return fail(why, "%s", err.message);
    return true;
}

/* A plain float: [-]digits[.digits][e[+-]digits] or [-].digits..., not an
 * integer (those are ints) and not inf/nan/hex (those need float:). */
static bool looks_float(const char *t) {
    const char *p = t[0] == '-' ? t + 1 : t;
    size_t digits = 0;
    bool dot = false, exp = false;
    for (; isdigit((unsigned char)*p); p++)
        digits++;
    if (*p == '.') {
        dot = true;
        for (p++; isdigit((unsigned char)*p); p++)
            digits++;
    }
    if (digits && (*p == 'e' || *p == 'E')) {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        exp = true;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return digits && !*p && (dot || exp);
}

static bool parse_float(const char *t, double *out) {
    char *end;
    errno = 0;
    double d = strtod(t, &end);
    if (!*t || *end || (errno == ERANGE && isinf(d)))
        return false;
    *out = d;
    return true;
}

static bool parse_json_value(const char *text, const char *name, aw_value *out,
                             char why[CLI_WHY_SIZE]) {
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return fail(why, "%s: bad JSON at column %d: %s (str:... stores the text as a string)",
                    name, jerr.column, jerr.text);
    char jwhy[120];
    bool ok = cli_value_from_json(j, out, jwhy, sizeof jwhy);
    json_decref(j);
    return ok ? true : fail(why, "%s: %s", name, jwhy);
}

static bool owned_blob(const char *p, size_t n, aw_value *out) {
    return aw_value_blob_dup(out, p, n) == AW_OK;
}

bool cli_value_parse(char *t, const char *name, aw_value *out, char why[CLI_WHY_SIZE]) {
    char *rest;
    int64_t i;
    double d;
    size_t n;
    if ((rest = after(t, "int:"))) {
        if (!cli_parse_i64(rest, &i))
            return fail(why, "%s: '%.40s' is not a 64-bit decimal integer", name, rest);
        *out = aw_value_int(i);
    } else if ((rest = after(t, "float:"))) {
        if (!parse_float(rest, &d))
            return fail(why, "%s: '%.40s' is not a float", name, rest);
        *out = aw_value_float(d);
    } else if ((rest = after(t, "str:"))) {
        *out = aw_value_str(rest);
    } else if ((rest = after(t, "bool:"))) {
        if (strcmp(rest, "true") && strcmp(rest, "false") && strcmp(rest, "1") && strcmp(rest, "0"))
            return fail(why, "%s: a bool is true, false, 1 or 0, not '%.40s'", name, rest);
        *out = aw_value_bool(rest[0] == 't' || rest[0] == '1');
    } else if ((rest = after(t, "hex:"))) {
        if (!cli_hex_decode(rest, &n))
            return fail(why, "%s: hex: needs an even number of hex digits", name);
        if (!owned_blob(rest, n, out))
            return fail(why, "%s: out of memory", name);
    } else if ((rest = after(t, "b64:"))) {
        if (!cli_b64_decode(rest, &n))
            return fail(why, "%s: b64: needs standard base64 (A-Z a-z 0-9 + /)", name);
        if (!owned_blob(rest, n, out))
            return fail(why, "%s: out of memory", name);
    } else if ((rest = after(t, "json:"))) {
        return parse_json_value(rest, name, out, why);
    } else if ((rest = after(t, "geo:"))) {
        /* The server checks the GeoJSON; we only catch text that is not JSON at all. */
        json_error_t jerr;
        json_t *j = json_loads(rest, 0, &jerr);
        if (!j)
            return fail(why, "%s: geo: needs a GeoJSON object: %s", name, jerr.text);
        json_decref(j);
        *out = aw_value_geojson(rest);
    } else if (integer_text(t)) {
        /* Refused rather than stored as a string by surprise. */
        if (!cli_parse_i64(t, &i))
            return fail(why, "%s: %.40s is out of the 64-bit integer range (str:%.40s stores "
                        "it as a string)", name, t, t);
        *out = aw_value_int(i);
    } else if (looks_float(t)) {
        if (!parse_float(t, &d))
            return fail(why, "%s: '%.40s' is out of a double's range", name, t);
        *out = aw_value_float(d);
    } else if (t[0] == '[' || t[0] == '{') {
        return parse_json_value(t, name, out, why);
    } else {
        *out = aw_value_str(t);
    }
    return true;
}

bool cli_bin_parse(char *arg, cli_bin *out, char why[CLI_WHY_SIZE]) {
    memset(out, 0, sizeof *out);
    char *eq = strchr(arg, '=');
    if (!eq)
        return fail(why, "'%.60s' is not bin=value", arg);
    size_t name_len = (size_t)(eq - arg);
    if (name_len == 0)
        return fail(why, "'%.60s': empty bin name", arg);
    if (name_len > AW_BIN_NAME_MAX)
        return fail(why, "bin name '%.*s' is %zu bytes; Aerospike allows at most %d", (int)name_len,
                    arg, name_len, AW_BIN_NAME_MAX);
    memcpy(out->name, arg, name_len);
    out->name[name_len] = '\0';
    char label[AW_BIN_NAME_MAX + 8];
    snprintf(label, sizeof label, "bin '%s'", out->name);
    return cli_value_parse(eq + 1, label, &out->value, why);
}
