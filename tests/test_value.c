/* The value model (value.h) and record helpers (record.h). Leaks and
 * double frees are ASan's to catch: run this under -fsanitize=address. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/record.h"
#include "aerowire/value.h"
#include "proto/arena.h"
#include "proto/msgpack.h"
#include "support/testutil.h"

static void test_borrowed_constructors(void **state) {
    (void)state;
    const char *s = "hello";
    aw_value v = aw_value_str(s);
    assert_int_equal(v.type, AW_STR);
    assert_int_equal(v.len, 5);
    assert_ptr_equal(v.u.str, s); /* borrowed: no copy */
    assert_int_equal(v.owned, 0);
    aw_value g = aw_value_geojson("{\"type\":\"Point\"}");
    assert_int_equal(g.type, AW_GEOJSON);
    assert_int_equal(g.len, 16);
    aw_value n = aw_value_str(NULL);
    assert_int_equal(n.type, AW_STR);
    assert_int_equal(n.len, 0);
    aw_value b = aw_value_blob(s, 3);
    assert_int_equal(b.subtype, AW_PARTICLE_BLOB);
    /* Freeing borrowed values touches nothing and leaves nil. */
    aw_value items[2] = {aw_value_int(1), aw_value_str(s)};
    aw_value l = aw_value_list(items, 2);
    aw_value_free(&l);
    assert_int_equal(l.type, AW_NIL);
    assert_int_equal(items[1].type, AW_STR);
    assert_ptr_equal(items[1].u.str, s);
    aw_value_free(&v);
    assert_int_equal(v.type, AW_NIL);
    aw_value_free(NULL);
}

static void test_owned_dups(void **state) {
    (void)state;
    char src[] = "abc";
    aw_value s;
    assert_int_equal(aw_value_str_dup(&s, src, 3), AW_OK);
    src[0] = 'X';
    assert_int_equal(s.owned, 1);
    assert_int_equal(s.len, 3);
    assert_string_equal(s.u.str, "abc"); /* a copy, NUL-terminated */
    aw_value b;
    assert_int_equal(aw_value_blob_dup(&b, "\x00\x01", 2), AW_OK);
    assert_int_equal(b.type, AW_BLOB);
    assert_int_equal(b.subtype, AW_PARTICLE_BLOB);
    assert_memory_equal(b.u.bytes, "\x00\x01", 2);
    aw_value e;
    assert_int_equal(aw_value_blob_dup(&e, NULL, 0), AW_OK);
    assert_int_equal(e.len, 0);
    aw_value_free(&s);
    aw_value_free(&b);
    aw_value_free(&e);
    assert_int_equal(s.type, AW_NIL);
    assert_int_equal(aw_value_str_dup(&s, NULL, 4), AW_ERR_PARAM);
}

static void test_list_map_alloc(void **state) {
    (void)state;
    aw_value l, m;
    assert_int_equal(aw_value_list_alloc(&l, 3), AW_OK);
    assert_int_equal(l.type, AW_LIST);
    assert_int_equal(l.owned, 1);
    assert_int_equal(l.len, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(l.u.items[i].type, AW_NIL);
    assert_int_equal(aw_value_map_alloc(&m, 2), AW_OK);
    assert_int_equal(m.len, 2);
    for (int i = 0; i < 4; i++)
        assert_int_equal(m.u.items[i].type, AW_NIL);
    /* Owned items are freed with their container. */
    assert_int_equal(aw_value_str_dup(&m.u.items[0], "k", 1), AW_OK);
    assert_int_equal(aw_value_blob_dup(&m.u.items[1], "v", 1), AW_OK);
    l.u.items[0] = m;
    assert_int_equal(aw_value_str_dup(&l.u.items[2], "tail", 4), AW_OK);
    aw_value_free(&l);
    assert_int_equal(l.type, AW_NIL);
    aw_value z;
    assert_int_equal(aw_value_list_alloc(&z, 0), AW_OK);
    assert_int_equal(z.len, 0);
    aw_value_free(&z);
    assert_int_equal(aw_value_list_alloc(&z, (size_t)AW_VALUE_MAX_LEN + 1), AW_ERR_PARAM);
    assert_int_equal(z.type, AW_NIL);
}

/* A borrowed tree with every type, two levels of containers. */
static aw_value borrowed_tree(aw_value *kv, aw_value *inner) {
    inner[0] = aw_value_int(-5);
    inner[1] = aw_value_float(NAN);
    inner[2] = aw_value_blob("\xff\x00", 2);
    inner[2].subtype = 18;
    inner[3] = aw_value_geojson("{}");
    kv[0] = aw_value_str("list");
    kv[1] = aw_value_list(inner, 4);
    kv[1].subtype = 1;
    kv[2] = aw_value_int(3);
    kv[3] = aw_value_bool(true);
    aw_value m = aw_value_map(kv, 2);
    m.subtype = 3;
    return m;
}

static void test_deep_dup(void **state) {
    (void)state;
    aw_value kv[4], inner[4];
    aw_value m = borrowed_tree(kv, inner);
    aw_value d;
    assert_int_equal(aw_value_dup(&d, &m), AW_OK);
    assert_true(aw_value_equal(&d, &m));
    assert_int_equal(d.owned, 1);
    assert_ptr_not_equal(d.u.items, m.u.items);
    assert_ptr_not_equal(d.u.items[1].u.items, inner);
    assert_int_equal(d.u.items[1].subtype, 1);
    assert_ptr_not_equal(d.u.items[0].u.str, kv[0].u.str);
    assert_int_equal(d.u.items[1].u.items[2].subtype, 18);
    /* Changing the source does not change the copy. */
    inner[0].u.i = 6;
    assert_false(aw_value_equal(&d, &m));
    aw_value_free(&d);

    /* In place: out == src turns a borrowed value into an owned one. */
    aw_value s = aw_value_str("in place");
    assert_int_equal(aw_value_dup(&s, &s), AW_OK);
    assert_int_equal(s.owned, 1);
    assert_string_equal(s.u.str, "in place");
    aw_value_free(&s);

    /* A list that contains itself fails cleanly (depth cap). */
    aw_value self[1];
    self[0] = aw_value_list(self, 1);
    assert_int_equal(aw_value_dup(&d, &self[0]), AW_ERR_PARAM);
    assert_int_equal(d.type, AW_NIL);
}

static void test_dup_failing_allocator(void **state) {
    (void)state;
    aw_value kv[4], inner[4];
    aw_value m = borrowed_tree(kv, inner);
    int rc = AW_ERR_NOMEM;
    long n;
    for (n = 1; n < 100 && rc != AW_OK; n++) {
        aw_value d = aw_value_int(1);
        tu_failalloc_on(n);
        rc = aw_value_dup(&d, &m);
        tu_failalloc_off();
        if (rc == AW_OK) {
            assert_true(aw_value_equal(&d, &m));
            aw_value_free(&d);
        } else {
            assert_int_equal(rc, AW_ERR_NOMEM);
            assert_int_equal(d.type, AW_NIL); /* partial copies were freed (ASan) */
        }
    }
    assert_int_equal(rc, AW_OK);
    /* 2 item arrays + 3 byte copies (key "list", blob, geojson): the 6th try
     * is the first with no failing allocation. */
    assert_int_equal(n - 1, 6);

    aw_value l;
    tu_failalloc_on(1);
    assert_int_equal(aw_value_list_alloc(&l, 4), AW_ERR_NOMEM);
    assert_int_equal(aw_value_str_dup(&l, "x", 1), AW_ERR_NOMEM);
    tu_failalloc_off();
}

/* Owned nesting far deeper than any stack would survive recursively. */
static void test_free_deep_owned(void **state) {
    (void)state;
    aw_value root;
    assert_int_equal(aw_value_list_alloc(&root, 2), AW_OK);
    aw_value *cur = &root;
    for (int i = 0; i < 200000; i++) {
        /* Alternate lists and maps; put an owned string on each level, on
         * both sides of the child, so the walk meets every kind of slot. */
        aw_value *slot;
        if (i & 1) {
            assert_int_equal(aw_value_str_dup(&cur->u.items[0], "s", 1), AW_OK);
            slot = &cur->u.items[1];
        } else {
            slot = &cur->u.items[cur->type == AW_MAP ? 3 : 0];
            if (cur->type == AW_LIST)
                assert_int_equal(aw_value_blob_dup(&cur->u.items[1], "b", 1), AW_OK);
            else
                assert_int_equal(aw_value_str_dup(&cur->u.items[0], "k", 1), AW_OK);
        }
        if (i % 3 == 0)
            assert_int_equal(aw_value_map_alloc(slot, 2), AW_OK);
        else
            assert_int_equal(aw_value_list_alloc(slot, 2), AW_OK);
        cur = slot;
    }
    aw_value_free(&root); /* ASan reports any leak at exit */
    assert_int_equal(root.type, AW_NIL);
}

static void test_free_mixed_ownership(void **state) {
    (void)state;
    /* An owned list holding a borrowed list that holds an owned string:
     * the borrowed list is not entered (its items are the caller's). */
    aw_value keep;
    assert_int_equal(aw_value_str_dup(&keep, "caller's", 8), AW_OK);
    aw_value borrowed_items[1] = {keep};
    aw_value l;
    assert_int_equal(aw_value_list_alloc(&l, 3), AW_OK);
    l.u.items[0] = aw_value_list(borrowed_items, 1);
    assert_int_equal(aw_value_list_alloc(&l.u.items[1], 0), AW_OK);
    assert_int_equal(aw_value_map_alloc(&l.u.items[2], 1), AW_OK);
    aw_value_free(&l);
    assert_string_equal(borrowed_items[0].u.str, "caller's");
    aw_value_free(&borrowed_items[0]);
}

static void test_equal(void **state) {
    (void)state;
    aw_value a = aw_value_float(NAN), b = aw_value_float(NAN);
    assert_true(aw_value_equal(&a, &b));
    uint64_t bits = 0x7ff8000000000001ull; /* another NaN */
    memcpy(&b.u.f, &bits, sizeof bits);
    assert_false(aw_value_equal(&a, &b));
    a = aw_value_float(0.0);
    b = aw_value_float(-0.0);
    assert_false(aw_value_equal(&a, &b));
    a = aw_value_float(INFINITY);
    b = aw_value_float(INFINITY);
    assert_true(aw_value_equal(&a, &b));
    a = aw_value_int(1);
    b = aw_value_float(1.0);
    assert_false(aw_value_equal(&a, &b));
    a = aw_value_str("ab");
    b = aw_value_strn("abc", 2);
    assert_true(aw_value_equal(&a, &b));
    b = aw_value_geojson("ab");
    assert_false(aw_value_equal(&a, &b));
    a = aw_value_blob("ab", 2);
    b = aw_value_blob("ab", 2);
    b.subtype = 7;
    assert_false(aw_value_equal(&a, &b));
    a = aw_value_nil();
    b = aw_value_nil();
    b.subtype = AW_MP_NIL_WILDCARD;
    assert_false(aw_value_equal(&a, &b));
    a = aw_value_bool(true);
    b = aw_value_bool(true);
    assert_true(aw_value_equal(&a, &b));
    aw_value x[2] = {aw_value_int(1), aw_value_int(2)};
    aw_value y[2] = {aw_value_int(2), aw_value_int(1)};
    a = aw_value_list(x, 2);
    b = aw_value_list(y, 2);
    assert_false(aw_value_equal(&a, &b)); /* order matters */
    b = aw_value_list(x, 2);
    b.subtype = 1;
    assert_false(aw_value_equal(&a, &b));
    b = aw_value_list(x, 1);
    assert_false(aw_value_equal(&a, &b));
    a = aw_value_map(x, 1);
    b = aw_value_list(x, 2);
    assert_false(aw_value_equal(&a, &b));
    assert_true(aw_value_equal(NULL, NULL));
    assert_false(aw_value_equal(&a, NULL));
}

static void test_map_get_str(void **state) {
    (void)state;
    aw_value kv[8] = {
        aw_value_blob("a", 1), aw_value_int(1), /* a blob key "a" is not the string "a" */
        aw_value_str("a"),     aw_value_int(2),
        aw_value_strn("bc", 1), aw_value_int(3), /* key "b" */
        aw_value_str(""),      aw_value_int(4),
    };
    aw_value m = aw_value_map(kv, 4);
    const aw_value *v = aw_map_get_str(&m, "a");
    assert_non_null(v);
    assert_true(v->u.i == 2);
    v = aw_map_get_str(&m, "b");
    assert_non_null(v);
    assert_true(v->u.i == 3);
    assert_null(aw_map_get_str(&m, "bc"));
    v = aw_map_get_str(&m, "");
    assert_non_null(v);
    assert_true(v->u.i == 4);
    assert_null(aw_map_get_str(&m, "zz"));
    aw_value l = aw_value_list(kv, 8);
    assert_null(aw_map_get_str(&l, "a"));
    assert_null(aw_map_get_str(NULL, "a"));
    assert_null(aw_map_get_str(&m, NULL));
}

static void test_record(void **state) {
    (void)state;
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_bin *bins = aw_arena_alloc(&a, 2 * sizeof *bins);
    assert_non_null(bins);
    bins[0].name = aw_arena_strndup(&a, "i", 1);
    bins[0].value = aw_value_int(42);
    bins[1].name = aw_arena_strndup(&a, "s", 1);
    bins[1].value = aw_value_str(aw_arena_strndup(&a, "hello", 5));
    /* Force a second block so the record owns a chain. */
    assert_non_null(aw_arena_alloc(&a, 100000));
    aw_record rec = {.gen = 1, .void_time = 5, .ttl = 9, .n_bins = 2, .bins = bins,
                     .priv_mem = a.head};
    const aw_value *v = aw_record_get(&rec, "s");
    assert_non_null(v);
    assert_string_equal(v->u.str, "hello");
    assert_true(aw_record_get(&rec, "i")->u.i == 42);
    assert_null(aw_record_get(&rec, "x"));
    assert_null(aw_record_get(&rec, NULL));
    aw_record_free(&rec); /* ASan: both blocks released */
    assert_int_equal(rec.n_bins, 0);
    assert_null(rec.bins);
    assert_null(rec.priv_mem);
    assert_int_equal(rec.gen, 0);
    aw_record_free(&rec); /* twice: harmless */
    aw_record_free(NULL);
    assert_null(aw_record_get(&rec, "s"));
}

static void test_void_time_to_ttl(void **state) {
    (void)state;
    uint64_t now = AW_CITRUSLEAF_EPOCH + 1000;
    assert_int_equal(aw_void_time_to_ttl(0, now), AW_TTL_NEVER_EXPIRE);
    assert_int_equal(aw_void_time_to_ttl(4600, now), 3600);
    assert_int_equal(aw_void_time_to_ttl(1001, now), 1);
    assert_int_equal(aw_void_time_to_ttl(1000, now), 1); /* expiring now: at least 1 */
    assert_int_equal(aw_void_time_to_ttl(10, now), 1);
    assert_int_equal(aw_void_time_to_ttl(500, 0), 500); /* clock before 2010 */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_borrowed_constructors),
        cmocka_unit_test(test_owned_dups),
        cmocka_unit_test(test_list_map_alloc),
        cmocka_unit_test(test_deep_dup),
        cmocka_unit_test(test_dup_failing_allocator),
        cmocka_unit_test(test_free_deep_owned),
        cmocka_unit_test(test_free_mixed_ownership),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_map_get_str),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_void_time_to_ttl),
    };
    return cmocka_run_group_tests_name("value", tests, NULL, NULL);
}
