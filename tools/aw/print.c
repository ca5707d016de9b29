/* Human and JSON output of values, keys and records; see print.h. */
#include "print.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonval.h"

/* Bytes shown in human output before the rest is elided. */
#define HEX_SHOWN 64

static void print_float(FILE *f, double d) {
    if (isnan(d) || isinf(d)) {
        fputs(isnan(d) ? "nan" : d > 0 ? "inf" : "-inf", f);
        return;
    }
    /* The shortest text that reads back as the same double. */
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    fputs(buf, f);
    if (!strpbrk(buf, ".e"))
        fputs(".0", f); /* so it does not read as an int */
}

static void print_quoted(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f); /* UTF-8 as it is */
    }
    fputc('"', f);
}

static void print_hex(FILE *f, const uint8_t *p, size_t n) {
    fputs("hex:", f);
    for (size_t i = 0; i < n && i < HEX_SHOWN; i++)
        fprintf(f, "%02x", p[i]);
    if (n > HEX_SHOWN)
        fprintf(f, "... (%zu bytes)", n);
}

void cli_print_value(FILE *f, const aw_value *v) {
    switch (v->type) {
    case AW_NIL:
        fputs("null", f);
        break;
    case AW_INT:
        fprintf(f, "%lld", (long long)v->u.i);
        break;
    case AW_FLOAT:
        print_float(f, v->u.f);
        break;
    case AW_BOOL:
        fputs(v->u.b ? "true" : "false", f);
        break;
    case AW_STR:
        print_quoted(f, v->u.str, v->len);
        break;
    case AW_GEOJSON:
        fprintf(f, "geo:%.*s", (int)v->len, v->u.str);
        break;
    case AW_BLOB:
        print_hex(f, v->u.bytes, v->len);
        break;
    case AW_LIST:
        fputc('[', f);
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                fputs(", ", f);
            cli_print_value(f, &v->u.items[i]);
        }
        fputc(']', f);
        break;
    case AW_MAP:
        fputc('{', f);
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                fputs(", ", f);
            cli_print_value(f, &v->u.items[2 * i]);
            fputs(": ", f);
            cli_print_value(f, &v->u.items[2 * i + 1]);
        }
        fputc('}', f);
        break;
    default:
        fprintf(f, "<type %u>", v->type);
        break;
    }
}

const char *cli_type_name(const aw_value *v) {
    static char buf[40];
    switch (v->type) {
    case AW_NIL: return "nil";
    case AW_INT: return "int";
    case AW_FLOAT: return "float";
    case AW_BOOL: return "bool";
    case AW_STR: return "str";
    case AW_GEOJSON: return "geojson";
    case AW_BLOB:
        if (v->subtype == AW_PARTICLE_HLL)
            snprintf(buf, sizeof buf, "hll[%u]", v->len);
        else if (v->subtype != AW_PARTICLE_BLOB)
            snprintf(buf, sizeof buf, "bytes/%u[%u]", v->subtype, v->len);
        else
            snprintf(buf, sizeof buf, "bytes[%u]", v->len);
        return buf;
    case AW_LIST:
        snprintf(buf, sizeof buf, "list[%u]", v->len);
        return buf;
    case AW_MAP:
        snprintf(buf, sizeof buf, "map[%u]", v->len);
        return buf;
    default:
        snprintf(buf, sizeof buf, "type%u", v->type);
        return buf;
    }
}

static void print_digest(FILE *f, const uint8_t *d) {
    for (int i = 0; i < AW_DIGEST_SIZE; i++)
        fprintf(f, "%02x", d[i]);
}

void cli_print_key(FILE *f, const aw_key *key) {
    fprintf(f, "%s/%s ", key->ns, key->set);
    if (key->user_key.type == AW_NIL) {
        fputs("digest:", f);
        print_digest(f, key->digest);
    } else {
        cli_print_value(f, &key->user_key);
    }
}

void cli_print_record(FILE *f, const aw_key *key, const aw_record *rec) {
    cli_print_key(f, key);
    fputs("  digest ", f);
    print_digest(f, key->digest);
    fprintf(f, "\ngen %u  ttl ", rec->gen);
    if (rec->ttl == AW_TTL_NEVER_EXPIRE)
        fputs("never", f);
    else
        fprintf(f, "%us", rec->ttl);
    fprintf(f, "  %u bin%s\n", rec->n_bins, rec->n_bins == 1 ? "" : "s");
    /* Columns as wide as the longest name and type. */
    int name_w = 0, type_w = 0;
    for (uint32_t i = 0; i < rec->n_bins; i++) {
        int nl = (int)strlen(rec->bins[i].name);
        int tl = (int)strlen(cli_type_name(&rec->bins[i].value));
        name_w = nl > name_w ? nl : name_w;
        type_w = tl > type_w ? tl : type_w;
    }
    for (uint32_t i = 0; i < rec->n_bins; i++) {
        fprintf(f, "  %-*s  %-*s  ", name_w, rec->bins[i].name, type_w,
                cli_type_name(&rec->bins[i].value));
        cli_print_value(f, &rec->bins[i].value);
        fputc('\n', f);
    }
}

json_t *cli_user_key_json(const aw_key *key) {
    return key->user_key.type == AW_NIL ? json_null() : cli_value_to_json(&key->user_key);
}

bool cli_key_to_json(json_t *obj, const aw_key *key) {
    char *digest = cli_hex_encode(key->digest, AW_DIGEST_SIZE);
    bool ok = digest && json_object_set_new(obj, "ns", json_string(key->ns)) == 0 &&
              json_object_set_new(obj, "set", json_string(key->set)) == 0 &&
              json_object_set_new(obj, "key", cli_user_key_json(key)) == 0 &&
              json_object_set_new(obj, "digest", json_string(digest)) == 0;
    free(digest);
    return ok;
}

json_int_t cli_ttl_json(uint32_t ttl) {
    return ttl == AW_TTL_NEVER_EXPIRE ? -1 : (json_int_t)ttl;
}

json_t *cli_record_json(const aw_key *key, const aw_record *rec) {
    json_t *o = json_object(), *bins = json_object();
    bool ok = o && bins && cli_key_to_json(o, key) &&
              json_object_set_new(o, "gen", json_integer(rec->gen)) == 0 &&
              json_object_set_new(o, "ttl", json_integer(cli_ttl_json(rec->ttl))) == 0;
    for (uint32_t i = 0; ok && i < rec->n_bins; i++)
        ok = json_object_set_new(bins, rec->bins[i].name,
                                 cli_value_to_json(&rec->bins[i].value)) == 0;
    if (!ok) {
        json_decref(bins);
        json_decref(o);
        return NULL;
    }
    /* set_new takes bins' reference even when it fails. */
    if (json_object_set_new(o, "bins", bins) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

bool cli_emit_json(json_t *j) {
    if (!j) {
        fputs("aw: cannot build the JSON output (out of memory, or text that is not UTF-8)\n", stderr);
        return false;
    }
    int rc = json_dumpf(j, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    fputc('\n', stdout);
    return rc == 0;
}
