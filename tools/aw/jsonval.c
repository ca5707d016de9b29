/* aerowire values <-> JSON; see jsonval.h. */
#include "jsonval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* aerowire refuses deeper values (aw_value_dup and the encoder). */
#define MAX_DEPTH 64

char *cli_hex_encode(const uint8_t *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

static bool from_json(const json_t *j, aw_value *out, int depth, char *why, size_t cap) {
    *out = aw_value_nil();
    if (depth > MAX_DEPTH) {
        snprintf(why, cap, "nested deeper than %d lists and maps", MAX_DEPTH);
        return false;
    }
    int rc = AW_OK;
    switch (json_typeof(j)) {
    case JSON_INTEGER:
        *out = aw_value_int((int64_t)json_integer_value(j));
        return true;
    case JSON_REAL:
        *out = aw_value_float(json_real_value(j));
        return true;
    case JSON_TRUE:
    case JSON_FALSE:
        *out = aw_value_bool(json_is_true(j));
        return true;
    case JSON_NULL:
        return true;
    case JSON_STRING:
        rc = aw_value_str_dup(out, json_string_value(j), json_string_length(j));
        break;
    case JSON_ARRAY: {
        rc = aw_value_list_alloc(out, json_array_size(j));
        for (size_t i = 0; rc == AW_OK && i < json_array_size(j); i++)
            if (!from_json(json_array_get(j, i), &out->u.items[i], depth + 1, why, cap)) {
                aw_value_free(out);
                return false;
            }
        break;
    }
    case JSON_OBJECT: {
        rc = aw_value_map_alloc(out, json_object_size(j));
        size_t i = 0;
        const char *k;
        size_t klen;
        json_t *v;
        json_object_keylen_foreach((json_t *)j, k, klen, v) {
            if (rc != AW_OK)
                break;
            rc = aw_value_str_dup(&out->u.items[2 * i], k, klen);
            if (rc == AW_OK && !from_json(v, &out->u.items[2 * i + 1], depth + 1, why, cap)) {
                aw_value_free(out);
                return false;
            }
            i++;
        }
        break;
    }
    }
    if (rc != AW_OK) {
        aw_value_free(out);
        snprintf(why, cap, "out of memory for the value");
        return false;
    }
    return true;
}

bool cli_value_from_json(const json_t *j, aw_value *out, char *why, size_t why_cap) {
    return from_json(j, out, 0, why, why_cap);
}

/* {name: inner}, taking inner's reference (also on failure); NULL when out of memory. */
static json_t *wrapped(const char *name, json_t *inner) {
    json_t *o = inner ? json_object() : NULL;
    if (o && json_object_set_new(o, name, inner) == 0)
        return o;
    json_decref(o);
    json_decref(inner);
    return NULL;
}

static json_t *hex_of(const char *name, const uint8_t *p, size_t n) {
    char *h = cli_hex_encode(p, n);
    json_t *o = h ? wrapped(name, json_string(h)) : NULL;
    free(h);
    return o;
}

/* A map as an object when every key is a distinct UTF-8 string, else NULL. */
static json_t *map_as_object(const aw_value *v) {
    json_t *o = json_object();
    for (uint32_t i = 0; o && i < v->len; i++) {
        const aw_value *k = &v->u.items[2 * i];
        if (k->type != AW_STR || json_object_getn(o, k->u.str, k->len)) {
            json_decref(o);
            return NULL;
        }
        json_t *jv = cli_value_to_json(&v->u.items[2 * i + 1]);
        if (!jv || json_object_setn_new(o, k->u.str, k->len, jv) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *map_as_entries(const aw_value *v) {
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < v->len; i++) {
        json_t *k = cli_value_to_json(&v->u.items[2 * i]);
        json_t *val = cli_value_to_json(&v->u.items[2 * i + 1]);
        json_t *pair = k && val ? json_pack("[oo]", k, val) : NULL;
        if (!pair) {
            json_decref(k);
            json_decref(val);
        }
        if (!pair || json_array_append_new(a, pair) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return wrapped("map_entries", a);
}

json_t *cli_value_to_json(const aw_value *v) {
    switch (v->type) {
    case AW_NIL:
        return json_null();
    case AW_INT:
        return json_integer((json_int_t)v->u.i);
    case AW_FLOAT:
        if (isnan(v->u.f))
            return wrapped("float", json_string("nan"));
        if (isinf(v->u.f))
            return wrapped("float", json_string(v->u.f > 0 ? "inf" : "-inf"));
        return json_real(v->u.f);
    case AW_BOOL:
        return json_boolean(v->u.b);
    case AW_STR: {
        /* json_stringn checks UTF-8 and refuses what is not. */
        json_t *s = json_stringn(v->u.str, v->len);
        return s ? s : hex_of("str_hex", (const uint8_t *)v->u.str, v->len);
    }
    case AW_BLOB: {
        json_t *o = hex_of("bytes_hex", v->u.bytes, v->len);
        if (o && v->subtype != AW_PARTICLE_BLOB &&
            json_object_set_new(o, "particle_type", json_integer(v->subtype)) != 0) {
            json_decref(o);
            return NULL;
        }
        return o;
    }
    case AW_GEOJSON: {
        json_t *s = json_stringn(v->u.str, v->len);
        return s ? wrapped("geojson", s) : hex_of("str_hex", (const uint8_t *)v->u.str, v->len);
    }
    case AW_LIST: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < v->len; i++) {
            json_t *item = cli_value_to_json(&v->u.items[i]);
            if (!item || json_array_append_new(a, item) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case AW_MAP: {
        json_t *o = map_as_object(v);
        return o ? o : map_as_entries(v);
    }
    default:
        return wrapped("unknown_type", json_integer(v->type));
    }
}
