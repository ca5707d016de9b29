/* --where conditions; see where.h. */
#include "where.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "opts.h"
#include "print.h"

static bool fail(char why[CLI_WHY_SIZE], const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, CLI_WHY_SIZE, fmt, ap);
    va_end(ap);
    return false;
}

static char *skip_space(char *p) {
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

static void trim_end(char *p) {
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1]))
        p[--n] = '\0';
}

/* An int, string or bytes value as `aw put` types it; "..." is a JSON string
 * (spaces, quotes and digits kept as text). */
static bool parse_key_value(char *t, aw_value *out, char why[CLI_WHY_SIZE]) {
    if (!*t)
        return fail(why, "--where: a value is missing");
    if (t[0] == '"') {
        json_error_t jerr;
        json_t *j = json_loads(t, JSON_DECODE_ANY, &jerr);
        if (!json_is_string(j)) {
            json_decref(j);
            return fail(why, "--where: %s is not one JSON string", t);
        }
        int rc = aw_value_str_dup(out, json_string_value(j), json_string_length(j));
        json_decref(j);
        return rc == AW_OK || fail(why, "--where: out of memory");
    }
    if (!cli_value_parse(t, "--where", out, why))
        return false;
    if (out->type != AW_INT && out->type != AW_STR && out->type != AW_BLOB) {
        const char *type = cli_type_name(out);
        aw_value_free(out);
        *out = aw_value_nil();
        return fail(why, "--where: an index holds ints, strings or bytes, not a %s", type);
    }
    return true;
}

static bool parse_int(char *t, const char *what, int64_t *out, char why[CLI_WHY_SIZE]) {
    char *p = strncmp(t, "int:", 4) == 0 ? t + 4 : t;
    if (!cli_parse_i64(p, out))
        return fail(why, "--where: %s '%s' is not a 64-bit integer", what, t);
    return true;
}

/* LO and HI of "between LO and HI". */
static bool parse_range(char *rest, cli_where *w, char why[CLI_WHY_SIZE]) {
    char *and = NULL;
    for (char *p = rest; *p && !and; p++)
        if (isspace((unsigned char)*p) && strncasecmp(p + 1, "and", 3) == 0 &&
            isspace((unsigned char)p[4]))
            and = p;
    if (!and)
        return fail(why, "--where: between needs 'LO and HI'");
    char *hi = skip_space(and + 4);
    *and = '\0';
    trim_end(rest);
    if (!parse_int(rest, "LO", &w->lo, why) || !parse_int(hi, "HI", &w->hi, why))
        return false;
    if (w->lo > w->hi)
        return fail(why, "--where: between %lld and %lld is empty (LO > HI)", (long long)w->lo,
                    (long long)w->hi);
    return true;
}

static bool parse_region(char *rest, cli_where *w, char why[CLI_WHY_SIZE]) {
    if (strncmp(rest, "geo:", 4) == 0)
        rest += 4;
    json_error_t jerr;
    json_t *j = json_loads(rest, 0, &jerr);
    bool object = json_is_object(j);
    json_decref(j);
    if (!object)
        return fail(why, "--where: within needs a GeoJSON region (Polygon or AeroCircle)%s%s",
                    j ? "" : ": ", j ? "" : jerr.text);
    w->geojson = rest;
    return true;
}

bool cli_where_parse(const char *text, cli_where *w, char why[CLI_WHY_SIZE]) {
    memset(w, 0, sizeof *w);
    if (!(w->text = strdup(text)))
        return fail(why, "--where: out of memory");
    char *p = skip_space(w->text);
    size_t bin_len = 0;
    while (p[bin_len] && !isspace((unsigned char)p[bin_len]) && strncmp(p + bin_len, "==", 2))
        bin_len++;
    if (bin_len == 0 || bin_len > AW_BIN_NAME_MAX)
        return fail(why, "--where: start with a bin name (1 to %d bytes), as in 'age == 42'",
                    AW_BIN_NAME_MAX);
    memcpy(w->bin, p, bin_len);
    p = skip_space(p + bin_len);
    size_t op_len = strncmp(p, "==", 2) == 0 ? 2 : strcspn(p, " \t\n");
    static const struct {
        const char *word;
        cli_where_op op;
    } OPS[] = {{"==", CLI_WHERE_EQUAL}, {"between", CLI_WHERE_BETWEEN},
               {"contains", CLI_WHERE_CONTAINS}, {"within", CLI_WHERE_WITHIN}};
    size_t i = 0;
    while (i < sizeof OPS / sizeof OPS[0] &&
           !(strlen(OPS[i].word) == op_len && strncasecmp(p, OPS[i].word, op_len) == 0))
        i++;
    if (i == sizeof OPS / sizeof OPS[0])
        return fail(why, "--where: after '%s' comes ==, between, contains or within", w->bin);
    w->op = OPS[i].op;
    char *rest = skip_space(p + op_len);
    trim_end(rest);
    if (!*rest)
        return fail(why, "--where: nothing after '%s'", OPS[i].word);
    switch (w->op) {
    case CLI_WHERE_BETWEEN:
        return parse_range(rest, w, why);
    case CLI_WHERE_WITHIN:
        return parse_region(rest, w, why);
    default:
        return parse_key_value(rest, &w->value, why);
    }
}

void cli_where_free(cli_where *w) {
    aw_value_free(&w->value);
    free(w->text);
    w->text = NULL;
}

aw_index_filter cli_where_filter(const cli_where *w, aw_index_collection in) {
    aw_index_filter f;
    switch (w->op) {
    case CLI_WHERE_BETWEEN:
        return aw_filter_range(w->bin, w->lo, w->hi);
    case CLI_WHERE_WITHIN:
        return aw_filter_geo_within(w->bin, w->geojson);
    default:
        break;
    }
    const aw_value *v = &w->value;
    if (v->type == AW_INT)
        f = aw_filter_equal_int(w->bin, v->u.i);
    else if (v->type == AW_BLOB)
        f = aw_filter_equal_blob(w->bin, v->u.bytes, v->len);
    else {
        f = aw_filter_equal_str(w->bin, v->u.str);
        f.len = v->len; /* a JSON string may hold a NUL */
    }
    if (w->op == CLI_WHERE_CONTAINS)
        f.collection = in;
    return f;
}

static const char *const COLLECTIONS[] = {"default", "list", "mapkeys", "mapvalues"};

bool cli_collection_parse(const char *text, aw_index_collection *out) {
    for (int i = 0; i < 4; i++)
        if (strcmp(text, COLLECTIONS[i]) == 0) {
            *out = (aw_index_collection)i;
            return true;
        }
    return false;
}

const char *cli_collection_name(aw_index_collection c) {
    return (unsigned)c < 4 ? COLLECTIONS[c] : "?";
}

/* The index type that holds values like v. */
static aw_index_type type_for(const aw_value *v) {
    return v->type == AW_INT ? AW_INDEX_NUMERIC : v->type == AW_STR ? AW_INDEX_STRING
                                                                    : AW_INDEX_BLOB;
}

int cli_where_collection(cli *c, const cli_cmd *cmd, aw_client *client, const char *ns,
                         const char *set, const cli_where *w, aw_index_collection *out) {
    aw_index_info *list = NULL;
    size_t n = 0;
    aw_error err;
    if (aw_index_list(client, ns, &list, &n, &err) != AW_OK)
        return cli_fail(c, &err, "query %s/%s: listing the indexes for --where", ns, set);
    int found = 0;
    const char *first_name = "", *second_name = "";
    for (size_t i = 0; i < n; i++) {
        const aw_index_info *x = &list[i];
        if (strcmp(x->bin, w->bin) || x->collection == AW_INDEX_DEFAULT || x->has_ctx ||
            x->type != type_for(&w->value) || (x->set[0] && strcmp(x->set, set)))
            continue;
        if (found++ == 0) {
            *out = x->collection;
            first_name = x->name;
        } else if (x->collection != *out) {
            second_name = x->name;
        }
    }
    int rc = -1;
    if (found == 0) {
        aw_error none = {.code = AW_ERR_INDEX_NOT_FOUND};
        snprintf(none.message, sizeof none.message,
                 "no %s index over a list or map on bin '%s' (aw sindex list %s)",
                 w->value.type == AW_INT ? "numeric" : w->value.type == AW_STR ? "string" : "blob",
                 w->bin, ns);
        rc = cli_fail(c, &none, "query %s/%s", ns, set);
    } else if (second_name[0]) {
        rc = cli_usage(c, cmd, "--where: indexes '%s' and '%s' both cover bin '%s'; say which "
                       "with --collection list|mapkeys|mapvalues", first_name, second_name,
                       w->bin);
    }
    aw_free(list);
    return rc;
}
