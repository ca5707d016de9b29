/* Msgpack codec: exact bytes against the protocol doc (§6.1), round trips,
 * and hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mem.h"
#include "proto/msgpack.h"
#include "support/testutil.h"

/* Encodes v and checks the bytes equal `hex`; also checks the sizer. */
static void expect_encoding(const aw_value *v, const char *hex) {
    aw_buf b;
    aw_buf_init(&b);
    aw_error err;
    assert_int_equal(aw_msgpack_write(&b, v, &err), AW_OK);
    char *got = tu_hex_encode(b.data, b.len);
    size_t want_len;
    uint8_t *want = tu_hex_decode(hex, &want_len);
    char *want_hex = tu_hex_encode(want, want_len);
    assert_string_equal(got, want_hex);
    assert_int_equal(aw_msgpack_size(v), b.len);
    free(got);
    free(want);
    free(want_hex);
    aw_buf_free(&b);
}

/* Decodes `hex` (which must be consumed exactly, by read and by skip). */
static void decode_hex(const char *hex, aw_value *out, aw_arena *a) {
    size_t len, used = 0, skipped = 0;
    uint8_t *p = tu_hex_decode(hex, &len);
    aw_error err;
    int rc = aw_msgpack_read(p, len, out, a, &used, &err);
    if (rc)
        fail_msg("decode %s: %s", hex, err.message);
    assert_int_equal(used, len);
    assert_int_equal(aw_msgpack_skip(p, len, &skipped, &err), AW_OK);
    assert_int_equal(skipped, len);
    free(p);
}

static int decode_err(const char *hex, aw_arena *a, aw_error *err) {
    size_t len, used = 99;
    uint8_t *p = tu_hex_decode(hex, &len);
    aw_value v = aw_value_int(5);
    int rc = aw_msgpack_read(p, len, &v, a, &used, err);
    if (rc) {
        assert_int_equal(v.type, AW_NIL); /* documented: nil on error */
        assert_int_equal(used, 0);
    }
    free(p);
    return rc;
}

static void test_int_boundaries(void **state) {
    (void)state;
    static const struct {
        int64_t v;
        const char *hex;
    } cases[] = {
        {0, "00"},
        {1, "01"},
        {127, "7f"},
        {128, "cc80"},
        {255, "ccff"},
        {256, "cd0100"},
        {65535, "cdffff"},
        {65536, "ce00010000"},
        {4294967295LL, "ceffffffff"},
        {4294967296LL, "cf0000000100000000"},
        {INT64_MAX, "cf7fffffffffffffff"},
        {-1, "ff"},
        {-32, "e0"},
        {-33, "d0df"},
        {-128, "d080"},
        {-129, "d1ff7f"},
        {-32768, "d18000"},
        {-32769, "d2ffff7fff"},
        {-2147483648LL, "d280000000"},
        {-2147483649LL, "d3ffffffff7fffffff"},
        {INT64_MIN, "d38000000000000000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aw_value v = aw_value_int(cases[i].v);
        expect_encoding(&v, cases[i].hex);
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value back;
        decode_hex(cases[i].hex, &back, &a);
        assert_int_equal(back.type, AW_INT);
        assert_true(back.u.i == cases[i].v);
        aw_arena_free(&a);
    }
}

static void test_int_non_minimal_decodes(void **state) {
    (void)state;
    static const struct {
        const char *hex;
        int64_t v;
    } cases[] = {
        {"cc05", 5}, {"cd0005", 5}, {"ce00000005", 5}, {"cf0000000000000005", 5},
        {"d005", 5}, {"d0ff", -1}, {"d1fffe", -2}, {"d2fffffffd", -3},
        {"d3fffffffffffffffc", -4},
        /* u64 above INT64_MAX wraps (documented): the wire's integers are int64 */
        {"cfffffffffffffffff", -1}, {"cf8000000000000000", INT64_MIN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value v;
        decode_hex(cases[i].hex, &v, &a);
        assert_int_equal(v.type, AW_INT);
        assert_true(v.u.i == cases[i].v);
        aw_arena_free(&a);
    }
}

static uint64_t bits_of(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}
static double double_of(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void test_doubles(void **state) {
    (void)state;
    static const struct {
        uint64_t bits;
        const char *hex;
    } cases[] = {
        {0x4004000000000000ull, "cb4004000000000000"}, /* 2.5 */
        {0x0000000000000000ull, "cb0000000000000000"}, /* 0.0 */
        {0x8000000000000000ull, "cb8000000000000000"}, /* -0.0 */
        {0x7ff0000000000000ull, "cb7ff0000000000000"}, /* +inf */
        {0xfff0000000000000ull, "cbfff0000000000000"}, /* -inf */
        {0x7ff8000000000000ull, "cb7ff8000000000000"}, /* quiet NaN */
        {0x7ff0000000000abcull, "cb7ff0000000000abc"}, /* NaN with a payload */
        {0x3ff0000000000000ull, "cb3ff0000000000000"}, /* 1.0: never shortened */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aw_value v = aw_value_float(double_of(cases[i].bits));
        expect_encoding(&v, cases[i].hex);
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value back;
        decode_hex(cases[i].hex, &back, &a);
        assert_int_equal(back.type, AW_FLOAT);
        assert_true(bits_of(back.u.f) == cases[i].bits);
        assert_true(aw_value_equal(&v, &back));
        aw_arena_free(&a);
    }
}

static void test_float32_decodes(void **state) {
    (void)state;
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value v;
    decode_hex("ca40200000", &v, &a);
    assert_int_equal(v.type, AW_FLOAT);
    assert_true(v.u.f == 2.5);
    decode_hex("cabf800000", &v, &a);
    assert_true(v.u.f == -1.0);
    decode_hex("ca7f800000", &v, &a);
    assert_true(isinf(v.u.f) && v.u.f > 0);
    decode_hex("ca7fc00000", &v, &a);
    assert_true(isnan(v.u.f));
    aw_arena_free(&a);
}

static void test_scalars(void **state) {
    (void)state;
    aw_value v = aw_value_nil();
    expect_encoding(&v, "c0");
    v = aw_value_bool(true);
    expect_encoding(&v, "c3");
    v = aw_value_bool(false);
    expect_encoding(&v, "c2");
    aw_arena a;
    aw_arena_init(&a, 0);
    decode_hex("c3", &v, &a);
    assert_int_equal(v.type, AW_BOOL);
    assert_true(v.u.b);
    decode_hex("c2", &v, &a);
    assert_false(v.u.b);
    decode_hex("c0", &v, &a);
    assert_int_equal(v.type, AW_NIL);
    assert_int_equal(v.subtype, 0);
    aw_arena_free(&a);
}

/* §6.1 CAP examples, both directions. */
static void test_cap_examples(void **state) {
    (void)state;
    aw_value l[3] = {aw_value_int(1), aw_value_str("a"), aw_value_float(2.5)};
    aw_value list = aw_value_list(l, 3);
    expect_encoding(&list, "93 01 a2 03 61 cb 40 04 00 00 00 00 00 00");

    aw_value inner[2] = {aw_value_int(1), aw_value_int(2)};
    aw_value kv[4] = {aw_value_str("x"), aw_value_int(1), aw_value_str("y"),
                      aw_value_list(inner, 2)};
    aw_value map = aw_value_map(kv, 2);
    expect_encoding(&map, "82 a2 03 78 01 a2 03 79 92 01 02");

    aw_value okv[2] = {aw_value_str("a"), aw_value_int(1)};
    aw_value omap = aw_value_map(okv, 1);
    omap.subtype = 1; /* key-ordered */
    expect_encoding(&omap, "82 c7 00 01 c0 a2 03 61 01");

    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value v;
    decode_hex("93 01 a2 03 61 cb 40 04 00 00 00 00 00 00", &v, &a);
    assert_true(aw_value_equal(&v, &list));
    assert_int_equal(v.u.items[1].type, AW_STR);
    assert_string_equal(v.u.items[1].u.str, "a"); /* NUL-terminated */

    decode_hex("82 a2 03 78 01 a2 03 79 92 01 02", &v, &a);
    assert_true(aw_value_equal(&v, &map));
    const aw_value *y = aw_map_get_str(&v, "y");
    assert_non_null(y);
    assert_int_equal(y->type, AW_LIST);
    assert_int_equal(y->len, 2);
    assert_true(y->u.items[1].u.i == 2);

    decode_hex("82 c7 00 01 c0 a2 03 61 01", &v, &a);
    assert_int_equal(v.type, AW_MAP);
    assert_int_equal(v.subtype, 1);
    assert_int_equal(v.len, 1); /* the marker entry is not an item */
    assert_true(aw_value_equal(&v, &omap));
    aw_arena_free(&a);
}

static void test_ordered_flags(void **state) {
    (void)state;
    aw_value items[2] = {aw_value_int(1), aw_value_int(2)};
    aw_value list = aw_value_list(items, 2);
    list.subtype = 1;
    expect_encoding(&list, "93 c7 00 01 01 02");
    aw_value kv[2] = {aw_value_str("k"), aw_value_int(7)};
    aw_value map = aw_value_map(kv, 1);
    map.subtype = 3;
    expect_encoding(&map, "82 c7 00 03 c0 a2 03 6b 07");
    aw_value empty = aw_value_list(NULL, 0);
    empty.subtype = 0x11; /* ordered + persist index */
    expect_encoding(&empty, "91 c7 00 11");

    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value v;
    decode_hex("93 c7 00 01 01 02", &v, &a);
    assert_int_equal(v.type, AW_LIST);
    assert_int_equal(v.subtype, 1);
    assert_int_equal(v.len, 2);
    assert_true(v.u.items[0].u.i == 1);
    decode_hex("91 c7 00 11", &v, &a);
    assert_int_equal(v.subtype, 0x11);
    assert_int_equal(v.len, 0);
    /* Any non-0xff ext leads: fixext form, and a map marker whose value is not nil. */
    decode_hex("92 d4 01 00 05", &v, &a);
    assert_int_equal(v.subtype, 1);
    assert_int_equal(v.len, 1);
    assert_true(v.u.items[0].u.i == 5);
    decode_hex("82 c7 00 03 93 01 02 03 a2 03 6b 07", &v, &a);
    assert_true(aw_value_equal(&v, &map));
    /* Subtypes differ -> values differ. */
    aw_value plain = aw_value_list(items, 2);
    decode_hex("93 c7 00 01 01 02", &v, &a);
    assert_false(aw_value_equal(&v, &plain));
    aw_arena_free(&a);
}

static void test_wildcard_infinity(void **state) {
    (void)state;
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value v;
    /* A leading 0xff ext is a value, not an order marker. */
    decode_hex("93 d4 ff 00 d4 ff 01 c0", &v, &a);
    assert_int_equal(v.type, AW_LIST);
    assert_int_equal(v.subtype, 0);
    assert_int_equal(v.len, 3);
    assert_int_equal(v.u.items[0].type, AW_NIL);
    assert_int_equal(v.u.items[0].subtype, AW_MP_NIL_WILDCARD);
    assert_int_equal(v.u.items[1].subtype, AW_MP_NIL_INFINITY);
    assert_int_equal(v.u.items[2].subtype, 0);
    assert_false(aw_value_equal(&v.u.items[0], &v.u.items[2]));
    expect_encoding(&v, "93 d4 ff 00 d4 ff 01 c0");

    aw_buf b;
    aw_buf_init(&b);
    aw_mp_put_wildcard(&b);
    aw_mp_put_infinity(&b);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "\xd4\xff\x00\xd4\xff\x01", 6);
    aw_buf_free(&b);

    aw_error err;
    assert_int_equal(decode_err("d4 ff 02", &a, &err), AW_ERR_PROTO);
    assert_int_equal(decode_err("d5 ff 00 00", &a, &err), AW_ERR_PROTO);
    assert_int_equal(decode_err("d4 05 00", &a, &err), AW_ERR_PROTO); /* other ext as a value */
    assert_non_null(strstr(err.message, "ext"));
    assert_int_equal(decode_err("92 01 c7 00 01", &a, &err), AW_ERR_PROTO); /* marker not first */
    aw_value bad = aw_value_nil();
    bad.subtype = 9;
    aw_buf_init(&b);
    assert_int_equal(aw_msgpack_write(&b, &bad, &err), AW_ERR_PARAM);
    assert_int_equal(aw_msgpack_size(&bad), (size_t)-1);
    aw_buf_free(&b);
    aw_arena_free(&a);
}

static char *filled(size_t n, char c) {
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* The str header counts the prefix byte: n = len + 1. */
static void test_str_header_boundaries(void **state) {
    (void)state;
    static const struct {
        size_t len;
        const char *head;
    } cases[] = {
        {0, "a1"},          {30, "bf"},         {31, "d920"},          {254, "d9ff"},
        {255, "da0100"},    {65534, "daffff"},  {65535, "db00010000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = filled(cases[i].len, 'q');
        aw_value v = aw_value_strn(s, cases[i].len);
        aw_buf b;
        aw_buf_init(&b);
        assert_int_equal(aw_msgpack_write(&b, &v, NULL), AW_OK);
        size_t hl;
        uint8_t *head = tu_hex_decode(cases[i].head, &hl);
        assert_int_equal(b.len, hl + 1 + cases[i].len);
        assert_memory_equal(b.data, head, hl);
        assert_int_equal(b.data[hl], 0x03);
        assert_int_equal(aw_msgpack_size(&v), b.len);
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value back;
        size_t used;
        assert_int_equal(aw_msgpack_read(b.data, b.len, &back, &a, &used, NULL), AW_OK);
        assert_int_equal(used, b.len);
        assert_int_equal(back.type, AW_STR);
        assert_int_equal(back.len, cases[i].len);
        assert_int_equal(strlen(back.u.str), cases[i].len);
        assert_true(aw_value_equal(&v, &back));
        aw_arena_free(&a);
        aw_buf_free(&b);
        free(head);
        free(s);
    }
}

static void test_blob_geojson_prefixes(void **state) {
    (void)state;
    static const uint8_t bytes[3] = {0x00, 0xff, 0x10};
    aw_value v = aw_value_blob(bytes, 3);
    expect_encoding(&v, "a4 04 00 ff 10");
    v.subtype = AW_PARTICLE_HLL;
    expect_encoding(&v, "a4 12 00 ff 10");
    v.subtype = 7; /* Java blob */
    expect_encoding(&v, "a4 07 00 ff 10");
    aw_value e = aw_value_blob(NULL, 0);
    expect_encoding(&e, "a1 04");
    aw_value g = aw_value_geojson("{}");
    expect_encoding(&g, "a3 17 7b 7d");

    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value d;
    decode_hex("a4 07 00 ff 10", &d, &a);
    assert_int_equal(d.type, AW_BLOB);
    assert_int_equal(d.subtype, 7);
    assert_int_equal(d.len, 3);
    assert_memory_equal(d.u.bytes, bytes, 3);
    decode_hex("a3 17 7b 7d", &d, &a);
    assert_int_equal(d.type, AW_GEOJSON);
    assert_string_equal(d.u.str, "{}");
    decode_hex("a1 04", &d, &a);
    assert_int_equal(d.type, AW_BLOB);
    assert_int_equal(d.len, 0);
    /* A zero-length payload has no type byte: an empty string. */
    decode_hex("a0", &d, &a);
    assert_int_equal(d.type, AW_STR);
    assert_int_equal(d.len, 0);
    assert_string_equal(d.u.str, "");
    /* The bin family carries the same prefix convention. */
    decode_hex("c4 02 04 aa", &d, &a);
    assert_int_equal(d.type, AW_BLOB);
    assert_int_equal(d.subtype, 4);
    assert_int_equal(d.len, 1);
    assert_int_equal(d.u.bytes[0], 0xaa);
    decode_hex("c5 00 02 03 7a", &d, &a);
    assert_int_equal(d.type, AW_STR);
    assert_string_equal(d.u.str, "z");
    decode_hex("c6 00 00 00 02 04 bb", &d, &a);
    assert_int_equal(d.type, AW_BLOB);
    assert_int_equal(d.u.bytes[0], 0xbb);
    decode_hex("d9 02 03 41", &d, &a);
    assert_string_equal(d.u.str, "A");
    decode_hex("da 00 02 03 42", &d, &a);
    assert_string_equal(d.u.str, "B");
    decode_hex("db 00 00 00 02 03 43", &d, &a);
    assert_string_equal(d.u.str, "C");
    aw_arena_free(&a);

    /* A blob whose subtype says "string" would come back as a string. */
    aw_value bad = aw_value_blob(bytes, 3);
    bad.subtype = 3;
    aw_buf b;
    aw_buf_init(&b);
    aw_mp_put_int(&b, 1);
    aw_error err;
    assert_int_equal(aw_msgpack_write(&b, &bad, &err), AW_ERR_PARAM);
    assert_int_equal(b.len, 1); /* restored */
    bad.subtype = 23;
    assert_int_equal(aw_msgpack_write(&b, &bad, &err), AW_ERR_PARAM);
    aw_buf_free(&b);
}

static void test_collection_header_boundaries(void **state) {
    (void)state;
    static const struct {
        size_t n;
        const char *lhead, *mhead;
    } cases[] = {
        {0, "90", "80"},           {15, "9f", "8f"},          {16, "dc0010", "de0010"},
        {65535, "dcffff", "deffff"}, {65536, "dd00010000", "df00010000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = cases[i].n;
        aw_value list, map;
        assert_int_equal(aw_value_list_alloc(&list, n), AW_OK);
        assert_int_equal(aw_value_map_alloc(&map, n), AW_OK);
        for (size_t k = 0; k < n; k++) {
            list.u.items[k] = aw_value_int((int64_t)(k & 0x7f));
            map.u.items[2 * k] = aw_value_int((int64_t)k);
            map.u.items[2 * k + 1] = aw_value_bool(k & 1);
        }
        for (int m = 0; m < 2; m++) {
            aw_value *v = m ? &map : &list;
            const char *hex = m ? cases[i].mhead : cases[i].lhead;
            aw_buf b;
            aw_buf_init(&b);
            assert_int_equal(aw_msgpack_write(&b, v, NULL), AW_OK);
            size_t hl;
            uint8_t *head = tu_hex_decode(hex, &hl);
            assert_memory_equal(b.data, head, hl);
            assert_int_equal(aw_msgpack_size(v), b.len);
            aw_arena a;
            aw_arena_init(&a, 0);
            aw_value back;
            size_t used, skipped;
            assert_int_equal(aw_msgpack_read(b.data, b.len, &back, &a, &used, NULL), AW_OK);
            assert_int_equal(used, b.len);
            assert_int_equal(aw_msgpack_skip(b.data, b.len, &skipped, NULL), AW_OK);
            assert_int_equal(skipped, b.len);
            assert_int_equal(back.len, n);
            assert_true(aw_value_equal(v, &back));
            aw_arena_free(&a);
            aw_buf_free(&b);
            free(head);
        }
        aw_value_free(&list);
        aw_value_free(&map);
    }
}

/* Several levels of lists and maps, every scalar kind, empties. */
static void build_nested(aw_value *root) {
    static const uint8_t blob[4] = {1, 2, 3, 4};
    aw_value leaf;
    assert_int_equal(aw_value_list_alloc(&leaf, 6), AW_OK);
    leaf.u.items[0] = aw_value_int(INT64_MIN);
    leaf.u.items[1] = aw_value_float(-0.0);
    leaf.u.items[2] = aw_value_str("");
    leaf.u.items[3] = aw_value_blob(blob, 4);
    leaf.u.items[4] = aw_value_list(NULL, 0);
    leaf.u.items[5] = aw_value_map(NULL, 0);
    aw_value lvl = leaf;
    for (int d = 0; d < 6; d++) { /* alternate map and list wrappers */
        aw_value w;
        if (d & 1) {
            assert_int_equal(aw_value_list_alloc(&w, 3), AW_OK);
            w.u.items[0] = aw_value_bool(d & 2);
            w.u.items[1] = lvl;
            w.u.items[2] = aw_value_geojson("{\"type\":\"Point\"}");
            w.subtype = (d == 3) ? 1 : 0;
        } else {
            assert_int_equal(aw_value_map_alloc(&w, 2), AW_OK);
            w.u.items[0] = aw_value_str("inner");
            w.u.items[1] = lvl;
            w.u.items[2] = aw_value_int(d * 1000);
            w.u.items[3] = aw_value_nil();
            w.subtype = (d == 4) ? 3 : 0;
        }
        lvl = w;
    }
    *root = lvl;
}

static void test_nested_round_trip(void **state) {
    (void)state;
    aw_value root;
    build_nested(&root);
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_msgpack_write(&b, &root, NULL), AW_OK);
    assert_int_equal(aw_msgpack_size(&root), b.len);
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value back;
    size_t used;
    assert_int_equal(aw_msgpack_read(b.data, b.len, &back, &a, &used, NULL), AW_OK);
    assert_int_equal(used, b.len);
    assert_true(aw_value_equal(&root, &back));
    /* Re-encoding the decoded value gives the same bytes. */
    aw_buf b2;
    aw_buf_init(&b2);
    assert_int_equal(aw_msgpack_write(&b2, &back, NULL), AW_OK);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.data, b.data, b.len);
    /* And a change deep inside is noticed. */
    aw_value *deep = &back;
    while (deep->type == AW_MAP || deep->type == AW_LIST)
        deep = deep->type == AW_MAP ? &deep->u.items[1] : &deep->u.items[deep->len == 6 ? 0 : 1];
    assert_int_equal(deep->type, AW_INT);
    deep->u.i++;
    assert_false(aw_value_equal(&root, &back));
    aw_buf_free(&b2);
    aw_buf_free(&b);
    aw_arena_free(&a);
    aw_value_free(&root);
}

static void test_big_values(void **state) {
    (void)state;
    size_t n = 1u << 20;
    char *s = filled(n, 'x');
    aw_value vs[2] = {aw_value_strn(s, n), aw_value_blob(s, n)};
    vs[1].subtype = 7;
    for (int i = 0; i < 2; i++) {
        aw_buf b;
        aw_buf_init(&b);
        assert_int_equal(aw_msgpack_write(&b, &vs[i], NULL), AW_OK);
        assert_int_equal(b.len, 5 + 1 + n);
        assert_memory_equal(b.data, "\xdb\x00\x10\x00\x01", 5);
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value back;
        size_t used;
        assert_int_equal(aw_msgpack_read(b.data, b.len, &back, &a, &used, NULL), AW_OK);
        assert_int_equal(used, b.len);
        assert_true(aw_value_equal(&vs[i], &back));
        aw_arena_free(&a);
        /* With an arena limit below the value's size: a PROTO error, not a crash. */
        aw_arena_init(&a, n / 2);
        aw_error err;
        assert_int_equal(aw_msgpack_read(b.data, b.len, &back, &a, &used, &err), AW_ERR_PROTO);
        assert_non_null(strstr(err.message, "limit"));
        aw_arena_free(&a);
        aw_buf_free(&b);
    }
    free(s);
}

/* Every strict prefix of a valid encoding is refused, by read and skip, and
 * never read past (each prefix lives in its own exact-size heap block). */
static void test_truncated_everywhere(void **state) {
    (void)state;
    aw_value root;
    build_nested(&root);
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_msgpack_write(&b, &root, NULL), AW_OK);
    aw_mp_put_double(&b, 1.0); /* trailing bytes after the value are not consumed */
    size_t full = b.len - 9;
    for (size_t k = 0; k <= b.len; k++) {
        uint8_t *p = malloc(k ? k : 1);
        memcpy(p, b.data, k);
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value v;
        size_t used = 0, skipped = 0;
        aw_error err;
        int rr = aw_msgpack_read(p, k, &v, &a, &used, &err);
        int rs = aw_msgpack_skip(p, k, &skipped, &err);
        if (k < full) {
            assert_int_equal(rr, AW_ERR_PROTO);
            assert_int_equal(rs, AW_ERR_PROTO);
        } else {
            assert_int_equal(rr, AW_OK);
            assert_int_equal(rs, AW_OK);
            assert_int_equal(used, full);
            assert_int_equal(skipped, full);
        }
        aw_arena_free(&a);
        free(p);
    }
    aw_buf_free(&b);
    aw_value_free(&root);
}

static void test_deep_nesting(void **state) {
    (void)state;
    size_t depth = 100000;
    uint8_t *p = malloc(depth + 1);
    memset(p, 0x91, depth);
    p[depth] = 0xc0;
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value v;
    size_t used;
    aw_error err;
    assert_int_equal(aw_msgpack_read(p, depth + 1, &v, &a, &used, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "deep"));
    assert_int_equal(aw_msgpack_skip(p, depth + 1, &used, &err), AW_OK);
    assert_int_equal(used, depth + 1);
    assert_int_equal(aw_msgpack_skip(p, depth, &used, &err), AW_ERR_PROTO); /* no leaf */
    aw_arena_free(&a);

    /* Exactly AW_MSGPACK_MAX_DEPTH containers decode; one more does not. */
    size_t max = AW_MSGPACK_MAX_DEPTH;
    uint8_t *q = p + depth - max; /* max x 0x91 then c0 */
    assert_int_equal(aw_msgpack_read(q, max + 1, &v, &a, &used, &err), AW_OK);
    aw_value *cur = &v;
    for (size_t i = 0; i < max; i++) {
        assert_int_equal(cur->type, AW_LIST);
        cur = &cur->u.items[0];
    }
    assert_int_equal(cur->type, AW_NIL);
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_msgpack_write(&b, &v, &err), AW_OK);
    assert_int_equal(b.len, max + 1);
    /* Wrapping it once more: too deep to write or read. */
    aw_value outer = aw_value_list(&v, 1);
    assert_int_equal(aw_msgpack_write(&b, &outer, &err), AW_ERR_PARAM);
    assert_int_equal(aw_msgpack_size(&outer), (size_t)-1);
    assert_int_equal(b.len, max + 1);
    assert_int_equal(aw_msgpack_read(q - 1, max + 2, &v, &a, &used, &err), AW_ERR_PROTO);
    /* Deep maps too (8x: map of one entry whose value is the next map). */
    uint8_t *m = malloc(2 * depth + 2);
    for (size_t i = 0; i < depth; i++) {
        m[2 * i] = 0x81;
        m[2 * i + 1] = 0x00;
    }
    m[2 * depth] = 0xc0;
    assert_int_equal(aw_msgpack_read(m, 2 * depth + 1, &v, &a, &used, &err), AW_ERR_PROTO);
    assert_int_equal(aw_msgpack_skip(m, 2 * depth + 1, &used, &err), AW_OK);
    assert_int_equal(used, 2 * depth + 1);
    free(m);
    aw_buf_free(&b);
    aw_arena_free(&a);
    free(p);
}

static void test_hostile_counts(void **state) {
    (void)state;
    static const char *bad[] = {
        "dd ffffffff 01 02 03 04 05",    /* array of 2^32-1 items, 5 bytes left */
        "df ffffffff 01 02 03 04 05",    /* map of 2^32-1 entries */
        "dc ffff 01 02",                 /* array16 */
        "de 0002 01 02 03",              /* map needs 4 items, 3 bytes */
        "db ffffffff 03 61",             /* str32 longer than the input */
        "c6 ffffffff 04",                /* bin32 */
        "c9 ffffffff 05 00",             /* ext32 */
        "95 95 95 95 95",                /* nested counts that overflow what is left */
        "91 dd 7fffffff 00",
        "c1",                            /* never used */
        "", "cd 01", "cb 00 00", "d9", "c7 00", "d4 ff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_error err;
        assert_int_equal(decode_err(bad[i], &a, &err), AW_ERR_PROTO);
        assert_true(err.message[0] != '\0');
        assert_true(a.used <= 16); /* refused before allocating for the bogus count */
        size_t len, used;
        uint8_t *p = tu_hex_decode(bad[i], &len);
        assert_int_equal(aw_msgpack_skip(p, len, &used, &err), AW_ERR_PROTO);
        free(p);
        aw_arena_free(&a);
    }
    /* Each header fits on its own, but together they promise more items than
     * bytes: skip stops at the header rather than walking to the end. */
    {
        size_t used;
        aw_error err;
        assert_int_equal(aw_msgpack_skip((const uint8_t *)"\x93\x92\x00\x00\x00", 5, &used, &err),
                         AW_ERR_PROTO);
        assert_non_null(strstr(err.message, "offset 2"));
    }
    /* Items are allocated only after the count was checked: 1000 nils fit. */
    uint8_t big[1003];
    big[0] = 0xdc, big[1] = 0x03, big[2] = 0xe8;
    memset(big + 3, 0xc0, 1000);
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value v;
    size_t used;
    assert_int_equal(aw_msgpack_read(big, sizeof big, &v, &a, &used, NULL), AW_OK);
    assert_int_equal(v.len, 1000);
    assert_true(a.used <= 1000 * sizeof(aw_value) + 8);
    /* ... but one nil short is an error. */
    assert_int_equal(aw_msgpack_read(big, sizeof big - 1, &v, &a, &used, NULL), AW_ERR_PROTO);
    aw_arena_free(&a);
}

/* Failing the Nth allocation of a nested decode: NOMEM each time, then success. */
static void test_read_failing_allocator(void **state) {
    (void)state;
    aw_value root;
    assert_int_equal(aw_value_list_alloc(&root, 400), AW_OK);
    char text[60];
    memset(text, 'w', sizeof text);
    for (size_t i = 0; i < 400; i++) {
        aw_value pair[2] = {aw_value_strn(text, sizeof text), aw_value_int((int64_t)i)};
        assert_int_equal(aw_value_list_alloc(&root.u.items[i], 2), AW_OK);
        root.u.items[i].u.items[0] = pair[0];
        root.u.items[i].u.items[1] = pair[1];
    }
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_msgpack_write(&b, &root, NULL), AW_OK);
    long n;
    int rc = AW_ERR_NOMEM;
    for (n = 1; n < 1000 && rc != AW_OK; n++) {
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value v;
        size_t used;
        aw_error err;
        tu_failalloc_on(n);
        rc = aw_msgpack_read(b.data, b.len, &v, &a, &used, &err);
        tu_failalloc_off();
        if (rc == AW_OK)
            assert_true(aw_value_equal(&v, &root));
        else
            assert_int_equal(rc, AW_ERR_NOMEM);
        aw_arena_free(&a); /* ASan: nothing leaks whichever allocation failed */
    }
    assert_int_equal(rc, AW_OK);
    assert_true(n > 4); /* the decode really needed several allocations */
    aw_buf_free(&b);
    aw_value_free(&root);
}

static void test_write_failing_allocator(void **state) {
    (void)state;
    aw_value root;
    build_nested(&root);
    size_t want = aw_msgpack_size(&root);
    int rc = AW_ERR_NOMEM;
    long n;
    for (n = 1; n < 100 && rc != AW_OK; n++) {
        aw_buf b;
        aw_buf_init(&b);
        tu_failalloc_on(n);
        rc = aw_msgpack_write(&b, &root, NULL);
        tu_failalloc_off();
        if (rc == AW_OK)
            assert_int_equal(b.len, want);
        else {
            assert_int_equal(rc, AW_ERR_NOMEM);
            assert_int_equal(b.len, 0);
        }
        aw_buf_free(&b);
    }
    assert_int_equal(rc, AW_OK);
    assert_true(n > 1);
    aw_value_free(&root);
}

static void test_write_errors(void **state) {
    (void)state;
    aw_buf b;
    aw_buf_init(&b);
    aw_error err;
    aw_value bogus = aw_value_int(1);
    bogus.type = 99;
    assert_int_equal(aw_msgpack_write(&b, &bogus, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "type"));
    aw_value broken = aw_value_list(NULL, 3);
    assert_int_equal(aw_msgpack_write(&b, &broken, &err), AW_ERR_PARAM);
    aw_value nostr = aw_value_strn(NULL, 2);
    assert_int_equal(aw_msgpack_write(&b, &nostr, &err), AW_ERR_PARAM);
    /* A list that contains itself: the depth cap stops it. */
    aw_value self[1];
    self[0] = aw_value_list(self, 1);
    assert_int_equal(aw_msgpack_write(&b, &self[0], &err), AW_ERR_PARAM);
    assert_int_equal(b.len, 0);
    aw_buf_free(&b);
}

static void test_raw_writers(void **state) {
    (void)state;
    aw_buf b;
    aw_buf_init(&b);
    aw_mp_put_raw_str(&b, "ab", 2);
    aw_mp_put_uint(&b, 0xff);
    aw_mp_put_order_ext(&b, 3);
    aw_mp_put_str_header(&b, 40);
    aw_mp_put_particle_bytes(&b, 4, "\x01", 1);
    static const uint8_t want[] = {0xa2, 'a', 'b', 0xcc, 0xff, 0xc7, 0x00, 0x03,
                                   0xd9, 40,  0xa2, 0x04, 0x01};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    aw_buf_free(&b);
}

/* Skip agrees with read on consumed bytes for assorted inputs. */
static void test_skip_matches_read(void **state) {
    (void)state;
    static const char *ok[] = {
        "93 01 a2 03 61 cb 40 04 00 00 00 00 00 00",
        "82 a2 03 78 01 a2 03 79 92 01 02",
        "82 c7 00 01 c0 a2 03 61 01",
        "93 d4 ff 00 d4 ff 01 c0",
        "d8 ff 00112233445566778899aabbccddeeff", /* skip-only: ext16 as a value */
        "c8 0001 05 aa",
        "ca 3f800000",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t len, used = 0, skipped = 0;
        uint8_t *p = tu_hex_decode(ok[i], &len);
        assert_int_equal(aw_msgpack_skip(p, len, &skipped, NULL), AW_OK);
        assert_int_equal(skipped, len);
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value v;
        if (aw_msgpack_read(p, len, &v, &a, &used, NULL) == AW_OK)
            assert_int_equal(used, skipped);
        else
            assert_true(p[0] == 0xd8 || p[0] == 0xc8);
        aw_arena_free(&a);
        free(p);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_boundaries),
        cmocka_unit_test(test_int_non_minimal_decodes),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_float32_decodes),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_cap_examples),
        cmocka_unit_test(test_ordered_flags),
        cmocka_unit_test(test_wildcard_infinity),
        cmocka_unit_test(test_str_header_boundaries),
        cmocka_unit_test(test_blob_geojson_prefixes),
        cmocka_unit_test(test_collection_header_boundaries),
        cmocka_unit_test(test_nested_round_trip),
        cmocka_unit_test(test_big_values),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_hostile_counts),
        cmocka_unit_test(test_read_failing_allocator),
        cmocka_unit_test(test_write_failing_allocator),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_raw_writers),
        cmocka_unit_test(test_skip_matches_read),
    };
    return cmocka_run_group_tests_name("msgpack", tests, NULL, NULL);
}
