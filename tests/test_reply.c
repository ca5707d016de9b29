/* Single-record replies: every captured reply of the official client's session
 * with a real server decodes to what that client was asked to write, and
 * hostile variants fail cleanly. Expected values come from the captures'
 * `inputs`, never from our own decoder. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/alloc.h"
#include "aerowire/record.h"
#include "proto/reply.h"
#include "support/testutil.h"

/* ---- capture helpers --------------------------------------------------- */

static json_t *inputs_of(const char *label) {
    return json_object_get(tu_command(label), "inputs");
}

static int status_of(const char *label) {
    return (int)json_integer_value(json_object_get(tu_command(label), "client_status"));
}


static const aw_bin *find_bin(const aw_record *rec, const char *name) {
    for (uint32_t i = 0; i < rec->n_bins; i++)
        if (strcmp(rec->bins[i].name, name) == 0)
            return &rec->bins[i];
    return NULL;
}

static void assert_record_empty(const aw_record *rec) {
    assert_int_equal(rec->n_bins, 0);
    assert_null(rec->bins);
    assert_null(rec->priv_mem);
}

static void expect_blob(const aw_value *v, const uint8_t *bytes, size_t n) {
    assert_int_equal(v->type, AW_BLOB);
    assert_int_equal(v->subtype, 4);
    assert_int_equal(v->len, n);
    assert_memory_equal(v->u.bytes, bytes, n);
}

static void expect_blob_hex(const aw_value *v, const char *hex) {
    size_t n;
    uint8_t *b = tu_hex_decode(hex, &n);
    expect_blob(v, b, n);
    free(b);
}

static void expect_str(const aw_value *v, const char *s) {
    assert_int_equal(v->type, AW_STR);
    assert_int_equal(v->len, strlen(s));
    assert_memory_equal(v->u.str, s, strlen(s));
    assert_int_equal(v->u.str[v->len], '\0'); /* decoded text is NUL-terminated */
}

/* A value against a JSON input value: integers, reals, booleans, strings
 * ("blob <hex>" means a blob), arrays (lists) and objects (maps with string
 * keys, in any order). */
static void expect_json(const aw_value *v, json_t *j) {
    switch (json_typeof(j)) {
    case JSON_INTEGER:
        assert_int_equal(v->type, AW_INT);
        assert_int_equal(v->u.i, json_integer_value(j));
        break;
    case JSON_REAL:
        assert_int_equal(v->type, AW_FLOAT);
        assert_true(v->u.f == json_real_value(j));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        assert_int_equal(v->type, AW_BOOL);
        assert_int_equal(v->u.b, json_is_true(j));
        break;
    case JSON_STRING:
        if (strncmp(json_string_value(j), "blob ", 5) == 0)
            expect_blob_hex(v, json_string_value(j) + 5);
        else
            expect_str(v, json_string_value(j));
        break;
    case JSON_ARRAY:
        assert_int_equal(v->type, AW_LIST);
        assert_int_equal(v->len, json_array_size(j));
        for (size_t i = 0; i < json_array_size(j); i++)
            expect_json(&v->u.items[i], json_array_get(j, i));
        break;
    case JSON_OBJECT: {
        assert_int_equal(v->type, AW_MAP);
        assert_int_equal(v->len, json_object_size(j));
        const char *k;
        json_t *jv;
        json_object_foreach(j, k, jv) {
            const aw_value *found = NULL;
            for (uint32_t e = 0; e < v->len; e++) {
                const aw_value *key = &v->u.items[2 * e];
                if (key->type == AW_STR && key->len == strlen(k) && memcmp(key->u.str, k, key->len) == 0)
                    found = &v->u.items[2 * e + 1];
            }
            assert_non_null(found);
            expect_json(found, jv);
        }
        break;
    }
    default:
        fail_msg("unexpected JSON type in capture inputs");
    }
}

/* Decodes a captured single-record reply; asserts it is well-formed. */
static int decode(const char *label, aw_record *rec) {
    size_t len;
    uint8_t *body = tu_reply_body(label, 0, &len);
    int result = -12345;
    aw_error err;
    int rc = aw_reply_parse_record(body, len, NULL, &result, rec, &err);
    if (rc != AW_OK)
        fail_msg("%s: %s", label, err.message);
    free(body);
    return result;
}

/* ---- decoding the captured replies ------------------------------------- */

static void test_get_all(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(decode("get_all", &rec), status_of("get_all"));
    json_t *bins = json_object_get(inputs_of("put_scalars"), "bins");
    assert_int_equal(rec.n_bins, json_object_size(bins));
    /* The server keeps the order the bins were written in. */
    assert_string_equal(rec.bins[0].name, "i");
    assert_string_equal(rec.bins[1].name, "s");
    assert_string_equal(rec.bins[2].name, "f");
    const char *k;
    json_t *v;
    json_object_foreach(bins, k, v) {
        const aw_bin *b = find_bin(&rec, k);
        assert_non_null(b);
        expect_json(&b->value, v);
    }
    assert_int_equal(rec.gen, 1); /* put_scalars was the record's first write */
    assert_int_equal(rec.void_time, 0); /* default-ttl 0: never expires */
    assert_int_equal(rec.ttl, 0);       /* this layer has no clock */
    assert_ptr_equal(aw_record_get(&rec, "s"), &rec.bins[1].value);
    assert_null(aw_record_get(&rec, "nope"));
    aw_record_free(&rec);
    assert_record_empty(&rec);
    aw_record_free(&rec); /* twice is harmless */
}

static void test_get_bins(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(decode("get_bins", &rec), 0);
    json_t *want = json_object_get(inputs_of("get_bins"), "bins");
    json_t *vals = json_object_get(inputs_of("put_scalars"), "bins");
    assert_int_equal(rec.n_bins, json_array_size(want));
    for (size_t i = 0; i < json_array_size(want); i++) {
        const char *name = json_string_value(json_array_get(want, i));
        assert_string_equal(rec.bins[i].name, name);
        expect_json(&rec.bins[i].value, json_object_get(vals, name));
    }
    aw_record_free(&rec);
}

static void test_exists_header(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(decode("exists_header", &rec), 0);
    assert_record_empty(&rec);
    assert_int_equal(rec.gen, 1);
    aw_record_free(&rec);
}

static void test_missing_keys(void **state) {
    (void)state;
    const char *labels[] = {"exists_missing", "get_missing", "get_deleted"};
    for (size_t i = 0; i < 3; i++) {
        aw_record rec;
        memset(&rec, 0xa5, sizeof rec); /* must come back zeroed */
        int result = decode(labels[i], &rec);
        assert_int_equal(result, status_of(labels[i]));
        assert_int_equal(result, AW_ERR_RECORD_NOT_FOUND);
        assert_record_empty(&rec);
        assert_int_equal(rec.gen, 0);
        aw_record_free(&rec);
    }
}

/* Every single-record command: the reply's code is what the official client
 * returned, and generations follow the command sequence (writes bump the
 * record's generation, reads report it, delete resets it). */
static void test_results_and_generations(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture("official-c-client-vs-asd.json"), "commands");
    json_t *gens = json_object();
    size_t i, checked = 0;
    json_t *c;
    json_array_foreach(cmds, i, c) {
        const char *label = json_string_value(json_object_get(c, "label"));
        if (strncmp(label, "batch_", 6) == 0)
            continue;
        json_t *in = json_object_get(c, "inputs");
        json_t *set = json_object_get(in, "set");
        json_t *key = json_object_get(in, "key");
        if (!key)
            key = json_object_get(in, "key_blob");
        assert_non_null(key);
        char *keytext = json_dumps(key, JSON_ENCODE_ANY);
        char id[256];
        snprintf(id, sizeof id, "%s/%s", set ? json_string_value(set) : "demo", keytext);
        free(keytext);

        aw_record rec;
        int result = decode(label, &rec);
        int want = (int)json_integer_value(json_object_get(c, "client_status"));
        assert_int_equal(result, want);
        if (result == AW_OK) {
            json_int_t gen = json_integer_value(json_object_get(gens, id));
            bool write = strncmp(label, "put_", 4) == 0 || strncmp(label, "touch_", 6) == 0 ||
                         strncmp(label, "operate_", 8) == 0;
            if (write)
                gen++;
            if (strncmp(label, "delete_", 7) == 0)
                gen = 0;
            else
                assert_int_equal(rec.gen, gen);
            json_object_set_new(gens, id, json_integer(gen));
        } else {
            assert_record_empty(&rec);
        }
        if (strncmp(label, "put_", 4) == 0 || strncmp(label, "touch_", 6) == 0 ||
            strncmp(label, "delete_", 7) == 0)
            assert_int_equal(rec.n_bins, 0); /* write-only commands return no ops */
        aw_record_free(&rec);
        checked++;
    }
    json_decref(gens);
    assert_true(checked > 100);
}

static void test_write_conflicts(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(decode("put_create_only_exists", &rec), AW_ERR_RECORD_EXISTS);
    assert_int_equal(decode("put_update_only_missing", &rec), AW_ERR_RECORD_NOT_FOUND);
    assert_int_equal(decode("put_gen_eq_wrong", &rec), AW_ERR_RECORD_GENERATION);
    assert_int_equal(status_of("put_create_only_exists"), AW_ERR_RECORD_EXISTS);
    assert_int_equal(status_of("put_update_only_missing"), AW_ERR_RECORD_NOT_FOUND);
    assert_int_equal(status_of("put_gen_eq_wrong"), AW_ERR_RECORD_GENERATION);
}

static void test_get_int_key_complex(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(decode("get_int_key", &rec), 0);
    json_t *bins = json_object_get(inputs_of("put_sendkey_int_complex"), "bins");
    assert_int_equal(rec.n_bins, json_object_size(bins));
    const char *k;
    json_t *v;
    json_object_foreach(bins, k, v) {
        const aw_bin *b = find_bin(&rec, k);
        assert_non_null(b);
        if (strcmp(k, "b") == 0) /* the input gives the blob bin as plain hex */
            expect_blob_hex(&b->value, json_string_value(v));
        else
            expect_json(&b->value, v);
    }
    aw_record_free(&rec);
}

static void test_operate_incr_append_read(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(decode("operate_incr_append_read", &rec), 0);
    json_t *ops = json_object_get(inputs_of("operate_incr_append_read"), "ops");
    json_t *before = json_object_get(inputs_of("put_scalars"), "bins");
    /* incr i by 5, append "!" to s, read i, read s: only the reads answer. */
    json_int_t i = json_integer_value(json_object_get(before, "i")) +
                   json_integer_value(json_array_get(json_array_get(ops, 0), 2));
    char s[64];
    snprintf(s, sizeof s, "%s%s", json_string_value(json_object_get(before, "s")),
             json_string_value(json_array_get(json_array_get(ops, 1), 2)));
    assert_int_equal(rec.n_bins, 2);
    assert_string_equal(rec.bins[0].name, "i");
    assert_int_equal(rec.bins[0].value.type, AW_INT);
    assert_int_equal(rec.bins[0].value.u.i, i);
    assert_string_equal(rec.bins[1].name, "s");
    expect_str(&rec.bins[1].value, s);
    aw_record_free(&rec);
}

static void test_operate_list(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(decode("operate_list_append_size_range", &rec), 0);
    json_t *list = json_object_get(json_object_get(inputs_of("put_sendkey_int_complex"), "bins"), "l");
    json_t *ops = json_object_get(inputs_of("operate_list_append_size_range"), "ops");
    size_t size_after = json_array_size(list) + 1;
    /* Three results, all for bin "l", in op order: append -> new size,
     * size -> size, get_range(0, 2) -> the first two items. */
    assert_int_equal(rec.n_bins, json_array_size(ops));
    for (uint32_t b = 0; b < rec.n_bins; b++)
        assert_string_equal(rec.bins[b].name, "l");
    assert_int_equal(rec.bins[0].value.type, AW_INT);
    assert_int_equal(rec.bins[0].value.u.i, size_after);
    assert_int_equal(rec.bins[1].value.type, AW_INT);
    assert_int_equal(rec.bins[1].value.u.i, size_after);
    json_t *range = json_array_get(ops, 2);
    json_int_t from = json_integer_value(json_array_get(range, 2));
    json_int_t count = json_integer_value(json_array_get(range, 3));
    assert_int_equal(rec.bins[2].value.type, AW_LIST);
    assert_int_equal(rec.bins[2].value.len, count);
    for (json_int_t k = 0; k < count; k++)
        expect_json(&rec.bins[2].value.u.items[k], json_array_get(list, (size_t)(from + k)));
    aw_record_free(&rec);
}

static void test_operate_map(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(decode("operate_map_put_get", &rec), 0);
    json_t *map = json_object_get(json_object_get(inputs_of("put_sendkey_int_complex"), "bins"), "m");
    /* map_put "z" -> new entry count; get_by_key "x" (value) -> m["x"]. */
    assert_int_equal(rec.n_bins, 2);
    assert_string_equal(rec.bins[0].name, "m");
    assert_int_equal(rec.bins[0].value.type, AW_INT);
    assert_int_equal(rec.bins[0].value.u.i, json_object_size(map) + 1);
    assert_string_equal(rec.bins[1].name, "m");
    expect_json(&rec.bins[1].value, json_object_get(map, "x"));
    aw_record_free(&rec);
}

static void test_get_blob_200k(void **state) {
    (void)state;
    aw_record rec;
    assert_int_equal(decode("get_blob_200k", &rec), 0);
    assert_int_equal(rec.n_bins, 1);
    assert_string_equal(rec.bins[0].name, "blob");
    const aw_value *v = &rec.bins[0].value;
    assert_int_equal(v->type, AW_BLOB);
    assert_int_equal(v->len, 200 * 1024);
    for (uint32_t i = 0; i < v->len; i++)
        if (v->u.bytes[i] != (uint8_t)((i * 31) & 0xff))
            fail_msg("blob byte %u is %u", i, v->u.bytes[i]);
    aw_record_free(&rec);
}

/* wire-protocol.md §2: the put with TTL 3600 got void time 533106669, so it
 * ran at Unix 1262304000 + 533106669 - 3600. The touch with TTL 100 ran
 * right after it. */
static void test_void_time_to_ttl(void **state) {
    (void)state;
    const uint64_t written_at = AW_CITRUSLEAF_EPOCH + 533106669ull - 3600;
    aw_record rec;
    assert_int_equal(decode("put_ttl_3600", &rec), 0);
    assert_int_equal(rec.void_time, 533106669u);
    json_int_t ttl_in = json_integer_value(json_object_get(inputs_of("put_ttl_3600"), "ttl"));
    uint32_t ttl = aw_void_time_to_ttl(rec.void_time, written_at);
    assert_true(ttl <= ttl_in && ttl >= ttl_in - 2);
    aw_record_free(&rec);

    assert_int_equal(decode("touch_ttl_100", &rec), 0);
    ttl_in = json_integer_value(json_object_get(inputs_of("touch_ttl_100"), "ttl"));
    ttl = aw_void_time_to_ttl(rec.void_time, written_at);
    assert_true(ttl <= ttl_in && ttl >= ttl_in - 2);
    aw_record_free(&rec);

    assert_int_equal(decode("put_scalars", &rec), 0);
    assert_int_equal(aw_void_time_to_ttl(rec.void_time, written_at), AW_TTL_NEVER_EXPIRE);
    aw_record_free(&rec);
}

/* ---- API edges --------------------------------------------------------- */

static void test_null_record_and_result(void **state) {
    (void)state;
    size_t len;
    uint8_t *body = tu_reply_body("get_all", 0, &len);
    int result = -1;
    assert_int_equal(aw_reply_parse_record(body, len, NULL, &result, NULL, NULL), AW_OK);
    assert_int_equal(result, 0);
    aw_record rec;
    assert_int_equal(aw_reply_parse_record(body, len, NULL, NULL, &rec, NULL), AW_OK);
    assert_int_equal(rec.n_bins, 3);
    aw_record_free(&rec);
    free(body);
}

/* ---- hostile input ----------------------------------------------------- */

/* Every prefix of every captured single-record reply is refused. */
static void test_every_truncation(void **state) {
    (void)state;
    const char *labels[] = {"get_all", "get_bins", "exists_header", "get_missing", "get_int_key",
                            "put_ttl_3600", "operate_incr_append_read",
                            "operate_list_append_size_range", "operate_map_put_get"};
    for (size_t l = 0; l < sizeof labels / sizeof labels[0]; l++) {
        size_t len;
        uint8_t *body = tu_reply_body(labels[l], 0, &len);
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *p = malloc(cut ? cut : 1);
            memcpy(p, body, cut);
            aw_record rec;
            int result = 0;
            aw_error err;
            int rc = aw_reply_parse_record(p, cut, NULL, &result, &rec, &err);
            if (rc != AW_ERR_PROTO)
                fail_msg("%s cut at %zu: rc %d", labels[l], cut, rc);
            assert_true(err.message[0] != '\0');
            assert_int_not_equal(result, 0);
            assert_record_empty(&rec);
            free(p);
        }
        free(body);
    }
}

static void test_trailing_bytes(void **state) {
    (void)state;
    size_t len;
    uint8_t *body = tu_reply_body("get_all", 0, &len);
    uint8_t *p = malloc(2 * len);
    memcpy(p, body, len);
    memcpy(p + len, body, len);
    aw_record rec;
    int result;
    aw_error err;
    /* One stray byte, and a second whole message: both protocol errors. */
    assert_int_equal(aw_reply_parse_record(p, len + 1, NULL, &result, &rec, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "after the message"));
    assert_int_equal(aw_reply_parse_record(p, 2 * len, NULL, &result, &rec, &err), AW_ERR_PROTO);
    assert_record_empty(&rec);
    free(p);
    free(body);
}

static void test_huge_sizes(void **state) {
    (void)state;
    size_t len;
    uint8_t *body = tu_reply_body("get_all", 0, &len);
    aw_record rec;
    int result;
    aw_error err;
    /* First op (at byte 22) claims 4 GiB. */
    uint8_t *p = malloc(len);
    memcpy(p, body, len);
    p[22] = p[23] = p[24] = p[25] = 0xff;
    assert_int_equal(aw_reply_parse_record(p, len, NULL, &result, &rec, &err), AW_ERR_PROTO);
    assert_record_empty(&rec);
    /* 65535 ops in a 78-byte message. */
    memcpy(p, body, len);
    p[20] = p[21] = 0xff;
    assert_int_equal(aw_reply_parse_record(p, len, NULL, &result, &rec, &err), AW_ERR_PROTO);
    /* 65535 fields. */
    memcpy(p, body, len);
    p[18] = p[19] = 0xff;
    assert_int_equal(aw_reply_parse_record(p, len, NULL, &result, &rec, &err), AW_ERR_PROTO);
    /* A header size other than 22. */
    memcpy(p, body, len);
    p[0] = 23;
    assert_int_equal(aw_reply_parse_record(p, len, NULL, &result, &rec, &err), AW_ERR_PROTO);
    free(p);
    free(body);
}

/* Builds a one-op reply message (result 0, gen 1) in out; returns its size. */
static size_t one_op_reply(uint8_t *out, uint8_t particle, const char *name, const void *value,
                           uint32_t value_len) {
    memset(out, 0, 22);
    out[0] = 22;
    out[9] = 1;  /* generation */
    out[21] = 1; /* n_ops */
    size_t nl = strlen(name);
    uint32_t sz = 4 + (uint32_t)nl + value_len;
    out[22] = (uint8_t)(sz >> 24);
    out[23] = (uint8_t)(sz >> 16);
    out[24] = (uint8_t)(sz >> 8);
    out[25] = (uint8_t)sz;
    out[26] = 1; /* READ */
    out[27] = particle;
    out[28] = 0;
    out[29] = (uint8_t)nl;
    memcpy(out + 30, name, nl);
    memcpy(out + 30 + nl, value, value_len);
    return 30 + nl + value_len;
}

/* The allocator used below: counts live blocks and the largest request, and
 * fails the Nth allocation and every one after it. */
static long live_blocks, alloc_calls, fail_from = -1;
static size_t largest_request;

static void *count_malloc(size_t n, void *ctx) {
    (void)ctx;
    alloc_calls++;
    if (n > largest_request)
        largest_request = n;
    if (fail_from > 0 && alloc_calls >= fail_from)
        return NULL;
    void *p = malloc(n);
    if (p)
        live_blocks++;
    return p;
}
static void *count_realloc(void *ptr, size_t n, void *ctx) {
    (void)ctx;
    alloc_calls++;
    if (n > largest_request)
        largest_request = n;
    if (fail_from > 0 && alloc_calls >= fail_from)
        return NULL;
    void *p = realloc(ptr, n);
    if (p && !ptr)
        live_blocks++;
    return p;
}
static void count_free(void *ptr, void *ctx) {
    (void)ctx;
    if (ptr)
        live_blocks--;
    free(ptr);
}
static void counting_on(long fail_at) {
    live_blocks = alloc_calls = 0;
    largest_request = 0;
    fail_from = fail_at;
    aw_allocator a = {count_malloc, count_realloc, count_free, NULL};
    aw_set_allocator(&a);
}
static void counting_off(void) {
    aw_set_allocator(NULL);
    fail_from = -1;
}

static void test_bad_particles(void **state) {
    (void)state;
    uint8_t msg[256];
    aw_record rec;
    int result;
    aw_error err;
    counting_on(-1);
    /* An integer of 3 bytes. */
    size_t n = one_op_reply(msg, 1, "i", "\x00\x00\x2a", 3);
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "op 0"));
    assert_record_empty(&rec);
    /* A bool of 2 bytes. */
    n = one_op_reply(msg, 17, "t", "\x01\x01", 2);
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_ERR_PROTO);
    /* A list claiming 4294967295 items in 5 bytes: refused before allocating. */
    n = one_op_reply(msg, 20, "l", "\xdd\xff\xff\xff\xff", 5);
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_ERR_PROTO);
    /* A map claiming 4294967295 entries. */
    n = one_op_reply(msg, 19, "m", "\xdf\xff\xff\xff\xff", 5);
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_ERR_PROTO);
    /* A list with a string claiming 4 GiB. */
    n = one_op_reply(msg, 20, "l", "\x91\xdb\xff\xff\xff\xff\x03", 7);
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_ERR_PROTO);
    /* Bytes after the msgpack value. */
    n = one_op_reply(msg, 20, "l", "\x90\x90", 2);
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_ERR_PROTO);
    /* A never-used msgpack tag. */
    n = one_op_reply(msg, 20, "l", "\x91\xc1", 2);
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_ERR_PROTO);
    /* Nesting far deeper than any real value. */
    uint8_t deep[100];
    memset(deep, 0x91, sizeof deep);
    deep[99] = 0xc0;
    n = one_op_reply(msg, 20, "l", deep, sizeof deep);
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_ERR_PROTO);
    assert_int_equal(live_blocks, 0);
    assert_true(largest_request < 64 * 1024);
    counting_off();

    /* A failed UDF (result 100) carries a "FAILURE" bin: with a non-zero
     * code no bins are decoded, whatever the message holds. */
    n = one_op_reply(msg, 3, "FAILURE", "boom", 4);
    msg[5] = AW_ERR_UDF;
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_OK);
    assert_int_equal(result, AW_ERR_UDF);
    assert_record_empty(&rec);

    /* A bin name with bytes that are not printable still decodes (the name
     * is the server's business); only error messages sanitise it. */
    n = one_op_reply(msg, 1, "\x01\xff", "\0\0\0\0\0\0\0\x07", 8);
    assert_int_equal(aw_reply_parse_record(msg, n, NULL, &result, &rec, &err), AW_OK);
    assert_int_equal(rec.n_bins, 1);
    assert_memory_equal(rec.bins[0].name, "\x01\xff", 3);
    assert_int_equal(rec.bins[0].value.u.i, 7);
    aw_record_free(&rec);
}

static void test_record_cap(void **state) {
    (void)state;
    size_t len;
    uint8_t *body = tu_reply_body("get_blob_200k", 0, &len);
    aw_record rec;
    int result;
    aw_error err;
    counting_on(-1);
    /* The blob alone is over the cap: refused before allocating it. */
    aw_decode_limits lim = {200 * 1024 - 1};
    assert_int_equal(aw_reply_parse_record(body, len, &lim, &result, &rec, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "op 0 (bin \"blob\""));
    assert_record_empty(&rec);
    assert_true(largest_request < 200 * 1024);
    assert_int_equal(live_blocks, 0);
    lim.max_record_bytes = 256 * 1024;
    assert_int_equal(aw_reply_parse_record(body, len, &lim, &result, &rec, &err), AW_OK);
    assert_int_equal(rec.bins[0].value.len, 200 * 1024);
    aw_record_free(&rec);
    assert_int_equal(live_blocks, 0);
    counting_off();
    free(body);

    /* Lists and maps: every cap below what the record needs fails cleanly,
     * and some cap above it succeeds. */
    body = tu_reply_body("get_int_key", 0, &len);
    size_t cap;
    for (cap = 1; cap < 64 * 1024; cap++) {
        lim.max_record_bytes = cap;
        int rc = aw_reply_parse_record(body, len, &lim, &result, &rec, &err);
        if (rc == AW_OK)
            break;
        assert_true(rc == AW_ERR_PROTO || rc == AW_ERR_NOMEM);
        assert_record_empty(&rec);
    }
    assert_true(cap > 64 && cap < 64 * 1024);
    assert_int_equal(rec.n_bins, 4);
    aw_record_free(&rec);
    free(body);
}

/* Failing the Nth allocation, for every N, while decoding records with a
 * blob, a list and a map (get_int_key) and with a value bigger than an arena
 * block (get_blob_200k): NOMEM, an empty record, nothing leaked. */
static void test_failing_allocator(void **state) {
    (void)state;
    const char *labels[] = {"get_int_key", "get_blob_200k", "get_all"};
    for (size_t l = 0; l < 3; l++) {
        size_t len;
        uint8_t *body = tu_reply_body(labels[l], 0, &len);
        long n;
        for (n = 1; n < 1000; n++) {
            aw_record rec;
            int result;
            aw_error err;
            counting_on(n);
            int rc = aw_reply_parse_record(body, len, NULL, &result, &rec, &err);
            if (rc == AW_OK) {
                assert_true(rec.n_bins > 0);
                aw_record_free(&rec);
                assert_int_equal(live_blocks, 0);
                counting_off();
                break;
            }
            counting_off();
            assert_int_equal(rc, AW_ERR_NOMEM);
            assert_int_equal(result, 0); /* the server said OK; the client ran out */
            assert_record_empty(&rec);
            assert_int_equal(live_blocks, 0);
        }
        assert_true(n > 1 && n < 1000);
        free(body);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_all),
        cmocka_unit_test(test_get_bins),
        cmocka_unit_test(test_exists_header),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_results_and_generations),
        cmocka_unit_test(test_write_conflicts),
        cmocka_unit_test(test_get_int_key_complex),
        cmocka_unit_test(test_operate_incr_append_read),
        cmocka_unit_test(test_operate_list),
        cmocka_unit_test(test_operate_map),
        cmocka_unit_test(test_get_blob_200k),
        cmocka_unit_test(test_void_time_to_ttl),
        cmocka_unit_test(test_null_record_and_result),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_huge_sizes),
        cmocka_unit_test(test_bad_particles),
        cmocka_unit_test(test_record_cap),
        cmocka_unit_test(test_failing_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
