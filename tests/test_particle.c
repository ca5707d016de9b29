/* Particles (§5.3): exact bytes, round trips, length checks, and the bins of
 * a real capture of the official client talking to a real server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/msg.h"
#include "proto/msgpack.h"
#include "proto/particle.h"
#include "support/testutil.h"

static void expect_particle(const aw_value *v, uint8_t ptype, const char *hex) {
    assert_int_equal(aw_particle_type(v), ptype);
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_particle_write(&b, v, NULL), AW_OK);
    size_t n;
    uint8_t *want = tu_hex_decode(hex, &n);
    char *got_hex = tu_hex_encode(b.data, b.len);
    char *want_hex = tu_hex_encode(want, n);
    assert_string_equal(got_hex, want_hex);
    assert_int_equal(aw_particle_size(v), b.len);
    /* And back. */
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value back;
    aw_error err;
    if (aw_particle_read(ptype, b.data, b.len, &back, &a, &err))
        fail_msg("read back: %s", err.message);
    assert_true(aw_value_equal(v, &back));
    aw_arena_free(&a);
    free(got_hex);
    free(want_hex);
    free(want);
    aw_buf_free(&b);
}

static int read_hex(uint8_t ptype, const char *hex, aw_value *out, aw_arena *a, aw_error *err) {
    size_t n;
    uint8_t *p = tu_hex_decode(hex, &n);
    uint8_t *exact = malloc(n ? n : 1); /* exact size: ASan sees any overread */
    memcpy(exact, p, n);
    int rc = aw_particle_read(ptype, exact, n, out, a, err);
    free(exact);
    free(p);
    return rc;
}

static void test_scalars(void **state) {
    (void)state;
    aw_value v = aw_value_int(42);
    expect_particle(&v, AW_PT_INTEGER, "00 00 00 00 00 00 00 2a"); /* §5.3 CAP */
    v = aw_value_int(-1);
    expect_particle(&v, AW_PT_INTEGER, "ff ff ff ff ff ff ff ff");
    v = aw_value_int(INT64_MIN);
    expect_particle(&v, AW_PT_INTEGER, "80 00 00 00 00 00 00 00");
    v = aw_value_int(INT64_MAX);
    expect_particle(&v, AW_PT_INTEGER, "7f ff ff ff ff ff ff ff");
    v = aw_value_float(3.5);
    expect_particle(&v, AW_PT_FLOAT, "40 0c 00 00 00 00 00 00");
    v = aw_value_float(-INFINITY);
    expect_particle(&v, AW_PT_FLOAT, "ff f0 00 00 00 00 00 00");
    v = aw_value_float(NAN);
    uint64_t nan_bits = 0x7ff00000deadbeefull; /* payload kept bit for bit */
    memcpy(&v.u.f, &nan_bits, sizeof nan_bits);
    expect_particle(&v, AW_PT_FLOAT, "7f f0 00 00 de ad be ef");
    v = aw_value_bool(true);
    expect_particle(&v, AW_PT_BOOL, "01");
    v = aw_value_bool(false);
    expect_particle(&v, AW_PT_BOOL, "00");
    v = aw_value_nil();
    expect_particle(&v, AW_PT_NULL, "");
}

static void test_bytes(void **state) {
    (void)state;
    aw_value v = aw_value_str("hello");
    expect_particle(&v, AW_PT_STRING, "68 65 6c 6c 6f");
    v = aw_value_str("");
    expect_particle(&v, AW_PT_STRING, "");
    v = aw_value_blob("\xde\xad", 2);
    expect_particle(&v, AW_PT_BLOB, "de ad");
    v = aw_value_blob(NULL, 0);
    expect_particle(&v, AW_PT_BLOB, "");
    static const uint8_t kinds[] = {7, 8, 9, 10, 11, 12, 18};
    for (size_t i = 0; i < sizeof kinds; i++) {
        v = aw_value_blob("\x01\x02", 2);
        v.subtype = kinds[i];
        expect_particle(&v, kinds[i], "01 02");
    }
    v = aw_value_geojson("{\"a\":1}");
    expect_particle(&v, AW_PT_GEOJSON, "00 00 00 7b 22 61 22 3a 31 7d");
    v = aw_value_geojson("");
    expect_particle(&v, AW_PT_GEOJSON, "00 00 00");

    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value d;
    assert_int_equal(read_hex(AW_PT_STRING, "61 62", &d, &a, NULL), AW_OK);
    assert_int_equal(d.type, AW_STR);
    assert_string_equal(d.u.str, "ab"); /* NUL-terminated copy */
    /* Unknown particle types (16 = vector, 5 unused) come back as tagged blobs. */
    assert_int_equal(read_hex(AW_PT_VECTOR, "01 02 03", &d, &a, NULL), AW_OK);
    assert_int_equal(d.type, AW_BLOB);
    assert_int_equal(d.subtype, AW_PT_VECTOR);
    assert_int_equal(d.len, 3);
    assert_int_equal(read_hex(5, "", &d, &a, NULL), AW_OK);
    assert_int_equal(d.subtype, 5);
    /* GeoJSON replies may carry cell ids: skipped. */
    assert_int_equal(read_hex(AW_PT_GEOJSON,
                              "00 0002 1111111111111111 2222222222222222 7b 7d", &d, &a, NULL),
                     AW_OK);
    assert_int_equal(d.type, AW_GEOJSON);
    assert_int_equal(d.len, 2);
    assert_string_equal(d.u.str, "{}");
    aw_arena_free(&a);
}

static void test_collections(void **state) {
    (void)state;
    aw_value l[3] = {aw_value_int(1), aw_value_str("a"), aw_value_float(2.5)};
    aw_value list = aw_value_list(l, 3);
    expect_particle(&list, AW_PT_LIST, "93 01 a2 03 61 cb 40 04 00 00 00 00 00 00");
    aw_value inner[2] = {aw_value_int(1), aw_value_int(2)};
    aw_value kv[4] = {aw_value_str("x"), aw_value_int(1), aw_value_str("y"),
                      aw_value_list(inner, 2)};
    aw_value map = aw_value_map(kv, 2);
    expect_particle(&map, AW_PT_MAP, "82 a2 03 78 01 a2 03 79 92 01 02");
    map.subtype = 1;
    expect_particle(&map, AW_PT_MAP, "83 c7 00 01 c0 a2 03 78 01 a2 03 79 92 01 02");
    aw_value empty_l = aw_value_list(NULL, 0), empty_m = aw_value_map(NULL, 0);
    expect_particle(&empty_l, AW_PT_LIST, "90");
    expect_particle(&empty_m, AW_PT_MAP, "80");
}

static void test_length_checks(void **state) {
    (void)state;
    static const struct {
        uint8_t ptype;
        const char *hex;
    } bad[] = {
        {AW_PT_INTEGER, "2a"},                         /* ints are always 8 bytes */
        {AW_PT_INTEGER, "00 00 00 2a"},
        {AW_PT_INTEGER, "00 00 00 00 00 00 00 00 2a"},
        {AW_PT_INTEGER, ""},
        {AW_PT_FLOAT, "40 0c 00 00 00 00 00"},
        {AW_PT_FLOAT, "40 0c 00 00"},
        {AW_PT_BOOL, ""},
        {AW_PT_BOOL, "01 00"},
        {AW_PT_NULL, "00"},
        {AW_PT_GEOJSON, "00 00"},                       /* shorter than its header */
        {AW_PT_GEOJSON, "00 0001 11111111111111"},      /* 1 cell = 8 bytes, 7 there */
        {AW_PT_GEOJSON, "00 ffff 7b 7d"},
        {AW_PT_LIST, ""},
        {AW_PT_LIST, "92 01"},                           /* truncated msgpack */
        {AW_PT_LIST, "91 01 02"},                        /* trailing byte */
        {AW_PT_LIST, "81 01 02"},                        /* a map in a list particle */
        {AW_PT_MAP, "91 01"},
        {AW_PT_MAP, "dd ffffffff 00"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value v = aw_value_int(3);
        aw_error err;
        int rc = read_hex(bad[i].ptype, bad[i].hex, &v, &a, &err);
        if (rc != AW_ERR_PROTO)
            fail_msg("case %zu (ptype %u, %s): rc %d", i, bad[i].ptype, bad[i].hex, rc);
        assert_int_equal(v.type, AW_NIL);
        assert_true(err.message[0] != '\0');
        aw_arena_free(&a);
    }
}

static void test_write_refusals(void **state) {
    (void)state;
    static const uint8_t not_blobs[] = {0, 1, 2, 3, 17, 19, 20, 23};
    for (size_t i = 0; i < sizeof not_blobs; i++) {
        aw_value v = aw_value_blob("x", 1);
        v.subtype = not_blobs[i];
        aw_buf b;
        aw_buf_init(&b);
        aw_error err;
        assert_int_equal(aw_particle_write(&b, &v, &err), AW_ERR_PARAM);
        assert_int_equal(b.len, 0);
        assert_int_equal(aw_particle_size(&v), (size_t)-1);
        aw_buf_free(&b);
    }
    aw_value w = aw_value_nil();
    w.subtype = AW_MP_NIL_WILDCARD; /* only meaningful inside msgpack */
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_particle_write(&b, &w, NULL), AW_ERR_PARAM);
    aw_value bogus = aw_value_int(0);
    bogus.type = 42;
    assert_int_equal(aw_particle_write(&b, &bogus, NULL), AW_ERR_PARAM);
    /* Nested too deep: the list particle refuses it too. */
    aw_value self[1];
    self[0] = aw_value_list(self, 1);
    assert_int_equal(aw_particle_write(&b, &self[0], NULL), AW_ERR_PARAM);
    assert_int_equal(aw_particle_size(&self[0]), (size_t)-1);
    aw_buf_free(&b);
}

static void test_big_values(void **state) {
    (void)state;
    size_t n = 1u << 20;
    char *s = malloc(n);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + i % 26);
    aw_value vs[3] = {aw_value_strn(s, n), aw_value_blob(s, n), aw_value_geojson("")};
    vs[2].len = (uint32_t)n;
    vs[2].u.str = s;
    for (int i = 0; i < 3; i++) {
        aw_buf b;
        aw_buf_init(&b);
        assert_int_equal(aw_particle_write(&b, &vs[i], NULL), AW_OK);
        assert_int_equal(b.len, aw_particle_size(&vs[i]));
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value back;
        assert_int_equal(aw_particle_read(aw_particle_type(&vs[i]), b.data, b.len, &back, &a, NULL),
                         AW_OK);
        assert_true(aw_value_equal(&vs[i], &back));
        aw_arena_free(&a);
        /* An arena limit smaller than the value: refused as hostile, no crash. */
        aw_arena_init(&a, 4096);
        aw_error err;
        assert_int_equal(aw_particle_read(aw_particle_type(&vs[i]), b.data, b.len, &back, &a, &err),
                         AW_ERR_PROTO);
        aw_arena_free(&a);
        aw_buf_free(&b);
    }
    free(s);
}

static void test_failing_allocator(void **state) {
    (void)state;
    size_t n;
    uint8_t *p = tu_hex_decode("82 a2 03 78 01 a2 03 79 92 01 02", &n);
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value v;
    tu_failalloc_on(1);
    assert_int_equal(aw_particle_read(AW_PT_MAP, p, n, &v, &a, NULL), AW_ERR_NOMEM);
    assert_int_equal(aw_particle_read(AW_PT_STRING, p, n, &v, &a, NULL), AW_ERR_NOMEM);
    tu_failalloc_off();
    aw_arena_free(&a);
    aw_buf b;
    aw_buf_init(&b);
    aw_value s = aw_value_str("abc");
    tu_failalloc_on(1);
    assert_int_equal(aw_particle_write(&b, &s, NULL), AW_ERR_NOMEM);
    tu_failalloc_off();
    aw_buf_free(&b);
    free(p);
}

/* ---- The real capture --------------------------------------------------- */

/* A JSON input (as the capture recorded it) as a borrowed value; items come
 * from `pool`. */
static aw_value from_json(json_t *j, aw_value *pool, size_t *used) {
    if (json_is_integer(j))
        return aw_value_int(json_integer_value(j));
    if (json_is_real(j))
        return aw_value_float(json_real_value(j));
    if (json_is_boolean(j))
        return aw_value_bool(json_is_true(j));
    if (json_is_string(j))
        return aw_value_strn(json_string_value(j), json_string_length(j));
    if (json_is_array(j)) {
        size_t n = json_array_size(j), i;
        aw_value *items = pool + *used;
        *used += n;
        json_t *e;
        json_array_foreach(j, i, e) items[i] = from_json(e, pool, used);
        return aw_value_list(items, n);
    }
    if (json_is_object(j)) {
        size_t n = json_object_size(j), i = 0;
        aw_value *items = pool + *used;
        *used += 2 * n;
        const char *k;
        json_t *e;
        json_object_foreach(j, k, e) {
            items[2 * i] = aw_value_str(k);
            items[2 * i + 1] = from_json(e, pool, used);
            i++;
        }
        return aw_value_map(items, n);
    }
    return aw_value_nil();
}

/* Checks every bin op of one captured message against the recorded inputs:
 * decoding gives the input, and encoding the input gives the captured bytes. */
static void check_capture_ops(const char *hex, json_t *bins, int *seen) {
    size_t n;
    uint8_t *frame = tu_hex_decode(hex, &n);
    assert_true(n > 8);
    aw_msg_view m;
    size_t used;
    aw_error err;
    if (aw_msg_parse(frame + 8, n - 8, &m, &used, &err))
        fail_msg("capture: %s", err.message);
    aw_msg_iter it = aw_msg_ops(&m);
    aw_op_view op;
    while (aw_msg_next_op(&it, &op)) {
        char name[16] = {0};
        assert_true(op.name_len < sizeof name);
        memcpy(name, op.name, op.name_len);
        json_t *in = json_object_get(bins, name);
        assert_non_null(in);
        aw_value pool[16];
        size_t pooled = 0;
        uint8_t blob[16];
        aw_value want;
        if (strcmp(name, "b") == 0) { /* recorded as hex */
            size_t bl;
            uint8_t *raw = tu_hex_decode(json_string_value(in), &bl);
            assert_int_equal(bl, sizeof blob);
            memcpy(blob, raw, bl);
            free(raw);
            want = aw_value_blob(blob, sizeof blob);
        } else {
            want = from_json(in, pool, &pooled);
        }
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value got;
        if (aw_particle_read(op.particle, op.value, op.value_len, &got, &a, &err))
            fail_msg("bin %s: %s", name, err.message);
        assert_true(aw_value_equal(&got, &want));
        assert_int_equal(aw_particle_type(&want), op.particle);
        aw_buf b;
        aw_buf_init(&b);
        assert_int_equal(aw_particle_write(&b, &want, NULL), AW_OK);
        assert_int_equal(b.len, op.value_len);
        assert_memory_equal(b.data, op.value, op.value_len);
        aw_buf_free(&b);
        aw_arena_free(&a);
        *seen |= 1 << (name[0] - 'a');
    }
    free(frame);
}

static void test_capture_put_sendkey_int_complex(void **state) {
    (void)state;
    json_t *put = tu_command("put_sendkey_int_complex");
    json_t *bins = json_object_get(json_object_get(put, "inputs"), "bins");
    assert_non_null(bins);
    int seen = 0;
    /* What the official client sent ... */
    check_capture_ops(json_string_value(json_object_get(put, "request_hex")), bins, &seen);
    int all = 1 << ('b' - 'a') | 1 << ('t' - 'a') | 1 << ('l' - 'a') | 1 << ('m' - 'a');
    assert_int_equal(seen, all);
    /* ... and what the real server returned when the record was read back. */
    json_t *get = tu_command("get_int_key");
    seen = 0;
    check_capture_ops(json_string_value(json_array_get(json_object_get(get, "reply_hex"), 0)),
                      bins, &seen);
    assert_int_equal(seen, all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_collections),
        cmocka_unit_test(test_length_checks),
        cmocka_unit_test(test_write_refusals),
        cmocka_unit_test(test_big_values),
        cmocka_unit_test(test_failing_allocator),
        cmocka_unit_test(test_capture_put_sendkey_int_complex),
    };
    return cmocka_run_group_tests_name("particle", tests, NULL, NULL);
}
