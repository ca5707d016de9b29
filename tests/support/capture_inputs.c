/* Decoding the captures' `inputs`; see capture_inputs.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_inputs.h"
#include "testutil.h"

void assert_hex_equal(const char *label, const uint8_t *got, size_t got_len,
                             const char *want_hex) {
    size_t want_len;
    uint8_t *want = tu_hex_decode(want_hex, &want_len);
    if (got_len != want_len || memcmp(got, want, want_len) != 0) {
        char *g = tu_hex_encode(got, got_len);
        size_t at = 0;
        while (at < got_len && at < want_len && got[at] == want[at])
            at++;
        fprintf(stderr, "%s: mismatch at byte %zu (got %zu bytes, want %zu)\n got  %.400s\n want %.400s\n",
                label, at, got_len, want_len, g, want_hex);
        free(g);
        free(want);
        fail_msg("%s: encoded request differs from the capture", label);
    }
    free(want);
}

static aw_value json_to_value(json_t *j);

/* "blob <hex>" in the captures' inputs means a blob of those bytes. */
static aw_value json_string_value_of(const char *s) {
    aw_value v;
    if (strncmp(s, "blob ", 5) == 0) {
        size_t n;
        uint8_t *bytes = tu_hex_decode(s + 5, &n);
        assert_int_equal(aw_value_blob_dup(&v, bytes, n), AW_OK);
        free(bytes);
    } else {
        assert_int_equal(aw_value_str_dup(&v, s, strlen(s)), AW_OK);
    }
    return v;
}

/* Owned aw_value from JSON (free with aw_value_free). */
static aw_value json_to_value(json_t *j) {
    aw_value v = aw_value_nil();
    if (json_is_integer(j))
        return aw_value_int(json_integer_value(j));
    if (json_is_real(j))
        return aw_value_float(json_real_value(j));
    if (json_is_boolean(j))
        return aw_value_bool(json_is_true(j));
    if (json_is_string(j))
        return json_string_value_of(json_string_value(j));
    if (json_is_array(j)) {
        assert_int_equal(aw_value_list_alloc(&v, json_array_size(j)), AW_OK);
        for (size_t i = 0; i < json_array_size(j); i++)
            v.u.items[i] = json_to_value(json_array_get(j, i));
        return v;
    }
    if (json_is_object(j)) {
        assert_int_equal(aw_value_map_alloc(&v, json_object_size(j)), AW_OK);
        const char *k;
        json_t *x;
        size_t i = 0;
        json_object_foreach(j, k, x) {
            assert_int_equal(aw_value_str_dup(&v.u.items[2 * i], k, strlen(k)), AW_OK);
            v.u.items[2 * i + 1] = json_to_value(x);
            i++;
        }
        return v;
    }
    return v;
}

/* The key of a capture's inputs. Namespace "test" and set "demo" are not in
 * most inputs: the request hex shows they are the defaults. */
static void key_from_inputs(json_t *in, aw_key *key) {
    const char *ns = json_string_value(json_object_get(in, "ns"));
    const char *set = json_string_value(json_object_get(in, "set"));
    if (!ns)
        ns = "test";
    if (!set)
        set = "demo";
    json_t *k = json_object_get(in, "key");
    json_t *kb = json_object_get(in, "key_blob");
    static uint8_t blob[64];
    if (kb) {
        size_t n;
        uint8_t *b = tu_hex_decode(json_string_value(kb), &n);
        assert_true(n <= sizeof blob);
        memcpy(blob, b, n);
        free(b);
        assert_int_equal(aw_key_init_blob(key, ns, set, blob, n, NULL), AW_OK);
    } else if (json_is_integer(k)) {
        assert_int_equal(aw_key_init_int(key, ns, set, json_integer_value(k), NULL), AW_OK);
    } else {
        assert_non_null(json_string_value(k));
        assert_int_equal(aw_key_init_str(key, ns, set, json_string_value(k), NULL), AW_OK);
    }
}

/* Policies named in the inputs. */
static void policies_from_inputs(json_t *in, capture_inputs *ci) {
    ci->send_key = json_is_true(json_object_get(in, "send_key"));
    const char *ex = json_string_value(json_object_get(in, "exists"));
    if (ex && strcmp(ex, "create_only") == 0)
        ci->exists = AW_EXISTS_CREATE_ONLY;
    else if (ex && strcmp(ex, "update_only") == 0)
        ci->exists = AW_EXISTS_UPDATE_ONLY;
    else
        assert_null(ex);
    const char *gen = json_string_value(json_object_get(in, "gen"));
    if (gen) {
        assert_string_equal(gen, "eq");
        ci->gen = AW_GEN_EQ;
        ci->generation = (uint32_t)json_integer_value(json_object_get(in, "expected_gen"));
    }
    if (json_object_get(in, "ttl"))
        ci->ttl = (uint32_t)json_integer_value(json_object_get(in, "ttl"));
}

const capture_case CAPTURE_CASES[] = {
    {"put_scalars", K_PUT},
    {"get_all", K_GET},
    {"get_bins", K_GET},
    {"exists_header", K_EXISTS},
    {"exists_missing", K_EXISTS},
    {"get_missing", K_GET},
    {"put_sendkey_int_complex", K_PUT},
    {"get_int_key", K_GET},
    {"put_blob_key", K_PUT},
    {"put_create_only_exists", K_PUT},
    {"put_update_only_missing", K_PUT},
    {"put_gen_eq_wrong", K_PUT},
    {"put_ttl_3600", K_PUT},
    {"touch_ttl_100", K_TOUCH},
    {"operate_incr_append_read", K_OPERATE},
    {"operate_list_append_size_range", K_OPERATE},
    {"operate_map_put_get", K_OPERATE},
    {"put_blob_200k", K_PUT},
    {"get_blob_200k", K_GET},
    {"delete_k1", K_DELETE},
    {"get_deleted", K_GET},
};

const size_t CAPTURE_N_CASES = sizeof CAPTURE_CASES / sizeof CAPTURE_CASES[0];

/* Bins of a put. Where the inputs list none, the request hex shows what the
 * capture script wrote: bin "ttlbin" = 1 for put_ttl_3600, bin "i" = 1 for
 * the policy checks (create-only, update-only, generation). */
static size_t bins_from_inputs(const char *label, json_t *in, aw_bin *bins, aw_value *vals) {
    json_t *jb = json_object_get(in, "bins");
    size_t n = 0;
    if (!jb) {
        bins[0].name = strcmp(label, "put_ttl_3600") == 0 ? "ttlbin" : "i";
        vals[0] = aw_value_int(1);
        bins[0].value = vals[0];
        return 1;
    }
    const char *name;
    json_t *x;
    json_object_foreach(jb, name, x) {
        assert_true(n < CAPTURE_MAX_BINS);
        bins[n].name = name;
        if (strcmp(label, "put_blob_200k") == 0) {
            /* inputs describe it in words: 200 KiB, byte i = (i*31) & 0xff */
            size_t len = 200 * 1024;
            uint8_t *big = malloc(len);
            for (size_t i = 0; i < len; i++)
                big[i] = (uint8_t)((i * 31) & 0xff);
            assert_int_equal(aw_value_blob_dup(&vals[n], big, len), AW_OK);
            free(big);
        } else if (strcmp(label, "put_sendkey_int_complex") == 0 && strcmp(name, "b") == 0) {
            /* inputs give bin "b" as bare hex; the capture sends it as a blob
             * (particle 4) of those 16 bytes */
            size_t len;
            uint8_t *bytes = tu_hex_decode(json_string_value(x), &len);
            assert_int_equal(aw_value_blob_dup(&vals[n], bytes, len), AW_OK);
            free(bytes);
        } else {
            vals[n] = json_to_value(x);
        }
        bins[n].value = vals[n];
        n++;
    }
    return n;
}

static const char *str_at(json_t *a, size_t i) { return json_string_value(json_array_get(a, i)); }

/* Ops of an operate, from ["name", bin, args...] arrays. */
static size_t ops_from_inputs(json_t *in, aw_op *ops, aw_value *vals) {
    json_t *jops = json_object_get(in, "ops");
    size_t n = 0;
    size_t i;
    json_t *o;
    json_array_foreach(jops, i, o) {
        const char *what = str_at(o, 0);
        const char *bin = str_at(o, 1);
        json_t *a2 = json_array_get(o, 2), *a3 = json_array_get(o, 3);
        if (strcmp(what, "incr") == 0) {
            ops[n++] = aw_op_incr(bin, aw_value_int(json_integer_value(a2)));
        } else if (strcmp(what, "append") == 0) {
            vals[n] = json_to_value(a2);
            ops[n] = aw_op_append(bin, vals[n]);
            n++;
        } else if (strcmp(what, "read") == 0) {
            ops[n++] = aw_op_read(bin);
        } else if (strcmp(what, "list_append") == 0) {
            ops[n++] = aw_op_list_append(bin, aw_value_int(json_integer_value(a2)));
        } else if (strcmp(what, "list_size") == 0) {
            ops[n++] = aw_op_list_size(bin);
        } else if (strcmp(what, "list_get_range") == 0) {
            ops[n++] = aw_op_list_get_range(bin, json_integer_value(a2), json_integer_value(a3));
        } else if (strcmp(what, "map_put") == 0) {
            vals[n] = json_to_value(a2);
            ops[n] = aw_op_map_put(bin, vals[n], aw_value_int(json_integer_value(a3)));
            n++;
        } else if (strcmp(what, "map_get_by_key") == 0) {
            assert_string_equal(json_string_value(a3), "value");
            vals[n] = json_to_value(a2);
            ops[n] = aw_op_map_get_by_key(bin, vals[n], AW_RETURN_VALUE);
            n++;
        } else {
            fail_msg("unknown op %s in the capture", what);
        }
    }
    return n;
}

void capture_inputs_load(const char *label, cmd_kind kind, capture_inputs *ci) {
    memset(ci, 0, sizeof *ci);
    for (size_t i = 0; i < CAPTURE_MAX_BINS; i++)
        ci->vals[i] = aw_value_nil();
    json_t *in = json_object_get(tu_command(label), "inputs");
    assert_non_null(in);
    key_from_inputs(in, &ci->key);
    policies_from_inputs(in, ci);
    if (kind == K_GET) {
        json_t *jb = json_object_get(in, "bins");
        ci->n_names = json_array_size(jb);
        assert_true(ci->n_names <= CAPTURE_MAX_BINS);
        for (size_t i = 0; i < ci->n_names; i++)
            ci->names[i] = str_at(jb, i);
    } else if (kind == K_PUT) {
        ci->n_bins = bins_from_inputs(label, in, ci->bins, ci->vals);
    } else if (kind == K_OPERATE) {
        ci->n_ops = ops_from_inputs(in, ci->ops, ci->vals);
    }
}

void capture_inputs_free(capture_inputs *ci) {
    for (size_t i = 0; i < CAPTURE_MAX_BINS; i++)
        aw_value_free(&ci->vals[i]);
}
