/* Row plans and the columnar decoder, with no server: reply messages built
 * with the codec (and the real server's captured batch replies) decoded
 * into dtype rows, every conversion rule of numpy.h checked field by field
 * against values worked out here by hand (or by C casts that are numpy's
 * astype), never by the decoder under test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/alloc.h"
#include "aerowire/numpy.h"
#include "aerowire/record.h"
#include "batch_parse.h"
#include "numpy/half.h"
#include "numpy/row_plan.h"
#include "numpy/rows_job.h"
#include "proto/batch.h"
#include "proto/buf.h"
#include "proto/msg.h"
#include "proto/particle.h"
#include "support/testutil.h"

/* ---- building reply messages ------------------------------------------- */

typedef struct reply {
    aw_buf b;
    uint16_t n_ops;
    aw_msg_view m;
} reply;

static void reply_begin(reply *r, uint8_t result, uint32_t gen, uint32_t void_time,
                        uint32_t index) {
    aw_buf_init(&r->b);
    r->n_ops = 0;
    aw_msg_header h = {0};
    h.header_sz = 22;
    h.result_code = result;
    h.generation = gen;
    h.record_ttl = void_time;
    h.transaction_ttl = index;
    aw_buf_msg_header(&r->b, &h);
}

static void put_raw(reply *r, const char *name, uint8_t particle, const void *v, uint32_t len) {
    aw_buf_op_header(&r->b, AW_OP_READ, particle, name, (uint8_t)strlen(name), len);
    aw_buf_put(&r->b, v, len);
    r->n_ops++;
}
static void put_int(reply *r, const char *name, int64_t v) {
    uint8_t be[8];
    aw_store_u64be(be, (uint64_t)v);
    put_raw(r, name, AW_PT_INTEGER, be, 8);
}
static void put_float(reply *r, const char *name, double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    uint8_t be[8];
    aw_store_u64be(be, u);
    put_raw(r, name, AW_PT_FLOAT, be, 8);
}
static void put_bool(reply *r, const char *name, int b) {
    uint8_t v = (uint8_t)b;
    put_raw(r, name, AW_PT_BOOL, &v, 1);
}
static void put_str(reply *r, const char *name, const char *s) {
    put_raw(r, name, AW_PT_STRING, s, (uint32_t)strlen(s));
}
static void put_blob(reply *r, const char *name, const void *p, uint32_t n) {
    put_raw(r, name, AW_PT_BLOB, p, n);
}

/* Patches the op count and parses the message (as the batch reader would). */
static const aw_msg_view *reply_end(reply *r) {
    assert_true(aw_buf_ok(&r->b));
    aw_store_u16be(r->b.data + 20, r->n_ops);
    size_t used;
    aw_error err;
    assert_int_equal(aw_msg_parse(r->b.data, r->b.len, &r->m, &used, &err), AW_OK);
    assert_int_equal(used, r->b.len);
    return &r->m;
}
static void reply_free(reply *r) { aw_buf_free(&r->b); }

/* ---- dtype and plan helpers --------------------------------------------- */

static aw_dtype *parse(const char *spec, bool align) {
    aw_dtype *dt = NULL;
    aw_error err;
    if (aw_dtype_parse(spec, align, &dt, &err) != AW_OK)
        fail_msg("dtype %s: %s", spec, err.message);
    return dt;
}

static aw_row_plan *plan_of(const aw_dtype *dt) {
    aw_row_plan *p = NULL;
    aw_error err;
    if (aw_row_plan_new(dt, NULL, 0, &p, &err) != AW_OK)
        fail_msg("plan: %s", err.message);
    return p;
}

static size_t off(const aw_dtype *dt, const char *name) {
    const aw_dtype_field *f = aw_dtype_find(dt, name);
    if (!f)
        fail_msg("no field %s", name);
    return f->offset;
}

/* Typed reads of a row field (unaligned, host order). */
#define GET(T, row, o) ({ T v_; memcpy(&v_, (row) + (o), sizeof v_); v_; })

static uint16_t get_be16(const uint8_t *p) { return aw_load_u16be(p); }
static uint32_t get_be32(const uint8_t *p) { return aw_load_u32be(p); }
static uint64_t get_be64(const uint8_t *p) { return aw_load_u64be(p); }

static uint16_t half_bits(const uint8_t *row, size_t o) { return GET(uint16_t, row, o); }
static float f4_of_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static double f8_of_bits(uint64_t u) {
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Decodes msg into one row of the plan through the sink, with guard bytes
 * around the row checked afterwards (nothing outside the row is touched). */
typedef struct one_row {
    uint8_t *buf;   /* guard | row | guard */
    uint8_t *row;
    aw_row_meta meta;
    int32_t code;
} one_row;

#define GUARD 64

static void decode_with(aw_row_plan *p, one_row *o, int result, const aw_msg_view *m,
                        uint64_t now) {
    size_t n = p->itemsize;
    o->buf = malloc(n + 2 * GUARD);
    memset(o->buf, 0xA5, n + 2 * GUARD);
    o->row = o->buf + GUARD;
    o->meta.gen = o->meta.ttl = 0xdeadbeef;
    o->code = 12345;
    aw_rows_sink_ctx c = {p, o->row, &o->meta, &o->code, now};
    aw_rows_sink_row(&c, 0, result, false, m, NULL);
    for (size_t i = 0; i < GUARD; i++) {
        assert_int_equal(o->buf[i], 0xA5);
        assert_int_equal(o->buf[GUARD + n + i], 0xA5);
    }
}

static void one_free(one_row *o) { free(o->buf); }

/* ---- integers ---------------------------------------------------------- */

static void test_int_to_int_every_width(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','<i1'),('b','<i2'),('c','<i4'),('d','<i8'),"
                         "('e','<u1'),('f','<u2'),('g','<u4'),('h','<u8')]", false);
    aw_row_plan *p = plan_of(dt);
    const int64_t vals[] = {0, 1, -1, 127, 128, -129, 300, 65535, 65536, -32769,
                            0x1122334455667788ll, INT64_MIN, INT64_MAX, 0x80000000ll};
    for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
        int64_t v = vals[k];
        reply r;
        reply_begin(&r, 0, 1, 0, 0);
        const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
        for (int i = 0; i < 8; i++)
            put_int(&r, names[i], v);
        one_row o;
        decode_with(p, &o, 0, reply_end(&r), 0);
        assert_int_equal(o.code, 0);
        /* numpy's astype: two's-complement truncation; unsigned: the same bits. */
        assert_int_equal(GET(int8_t, o.row, off(dt, "a")), (int8_t)v);
        assert_int_equal(GET(int16_t, o.row, off(dt, "b")), (int16_t)v);
        assert_int_equal(GET(int32_t, o.row, off(dt, "c")), (int32_t)v);
        assert_true(GET(int64_t, o.row, off(dt, "d")) == v);
        assert_int_equal(GET(uint8_t, o.row, off(dt, "e")), (uint8_t)v);
        assert_int_equal(GET(uint16_t, o.row, off(dt, "f")), (uint16_t)v);
        assert_int_equal(GET(uint32_t, o.row, off(dt, "g")), (uint32_t)v);
        assert_true(GET(uint64_t, o.row, off(dt, "h")) == (uint64_t)v);
        one_free(&o);
        reply_free(&r);
    }
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

/* Spot values of the truncation, written out. */
static void test_int_truncation_spelled_out(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','<i1'),('b','<u1'),('c','<i2'),('d','<u4')]", false);
    aw_row_plan *p = plan_of(dt);
    reply r;
    reply_begin(&r, 0, 1, 0, 0);
    put_int(&r, "a", 300);      /* 0x12c -> 0x2c = 44 */
    put_int(&r, "b", -1);       /* 255 */
    put_int(&r, "c", 40000);    /* 40000 - 65536 = -25536 */
    put_int(&r, "d", -2);       /* 4294967294 */
    one_row o;
    decode_with(p, &o, 0, reply_end(&r), 0);
    assert_int_equal(GET(int8_t, o.row, 0), 44);
    assert_int_equal(GET(uint8_t, o.row, 1), 255);
    assert_int_equal(GET(int16_t, o.row, 2), -25536);
    assert_int_equal(GET(uint32_t, o.row, 4), 4294967294u);
    one_free(&o);
    reply_free(&r);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

/* ---- floats ------------------------------------------------------------ */

static void test_float_to_float(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('h','<f2'),('s','<f4'),('d','<f8')]", false);
    aw_row_plan *p = plan_of(dt);
    struct {
        double in;
        uint16_t half;   /* numpy.float16(in).view(uint16) */
        float single;
    } cases[] = {
        {0.1, 0x2e66, 0.1f},
        {1.0, 0x3c00, 1.0f},
        {-2.5, 0xc100, -2.5f},
        {1.0 + 1.0 / 2048, 0x3c00, 1.0f + 1.0f / 2048},          /* tie: to even (down) */
        {1.0 + 3.0 / 2048, 0x3c02, 1.0f + 3.0f / 2048},          /* tie: to even (up) */
        {65504.0, 0x7bff, 65504.0f},
        {65519.99, 0x7bff, 65519.99f},                           /* below the edge */
        {65520.0, 0x7c00, 65520.0f},                             /* overflow to inf */
        {1e5, 0x7c00, 1e5f},
        {-1e300, 0xfc00, -INFINITY},                             /* f4 overflows too */
        {5.960464477539063e-08, 0x0001, 5.960464477539063e-08f}, /* smallest subnormal */
        {2.9802322387695312e-08, 0x0000, 2.9802322387695312e-08f}, /* half of it: tie to 0 */
        {-0.0, 0x8000, -0.0f},
        {INFINITY, 0x7c00, INFINITY},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        reply r;
        reply_begin(&r, 0, 1, 0, 0);
        put_float(&r, "h", cases[k].in);
        put_float(&r, "s", cases[k].in);
        put_float(&r, "d", cases[k].in);
        one_row o;
        decode_with(p, &o, 0, reply_end(&r), 0);
        assert_int_equal(o.code, 0);
        if (half_bits(o.row, 0) != cases[k].half)
            fail_msg("case %zu (%.17g): half %04x, want %04x", k, cases[k].in,
                     half_bits(o.row, 0), cases[k].half);
        float s = GET(float, o.row, 2);
        assert_memory_equal(&s, &cases[k].single, 4);
        double d = GET(double, o.row, 6);
        assert_memory_equal(&d, &cases[k].in, 8);
        one_free(&o);
        reply_free(&r);
    }
    /* NaN stays NaN in every width. */
    reply r;
    reply_begin(&r, 0, 1, 0, 0);
    put_float(&r, "h", NAN);
    put_float(&r, "s", NAN);
    put_float(&r, "d", NAN);
    one_row o;
    decode_with(p, &o, 0, reply_end(&r), 0);
    assert_int_equal(half_bits(o.row, 0), 0x7e00); /* numpy: float16(nan) */
    assert_true(isnan(GET(float, o.row, 2)));
    assert_true(isnan(GET(double, o.row, 6)));
    one_free(&o);
    reply_free(&r);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

static void test_int_to_float(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('h','<f2'),('s','<f4'),('d','<f8')]", false);
    aw_row_plan *p = plan_of(dt);
    struct {
        int64_t in;
        uint16_t half;
        float single;
        double dbl;
    } cases[] = {
        {0, 0x0000, 0.0f, 0.0},
        {-3, 0xc200, -3.0f, -3.0},
        {2049, 0x6800, 2048.0f + 1.0f, 2049.0},    /* f2: 2049 ties to 2048 */
        {2051, 0x6802, 2051.0f, 2051.0},           /* f2: 2051 ties up to 2052 */
        {65520, 0x7c00, 65520.0f, 65520.0},        /* f2: inf */
        {16777217, 0x7c00, 16777216.0f, 16777217.0}, /* f4: ties to even */
        {(1ll << 53) + 1, 0x7c00, 9007199254740992.0f, 9007199254740992.0}, /* (double)v rounds */
        {INT64_MIN, 0xfc00, -9223372036854775808.0f, -9223372036854775808.0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        reply r;
        reply_begin(&r, 0, 1, 0, 0);
        put_int(&r, "h", cases[k].in);
        put_int(&r, "s", cases[k].in);
        put_int(&r, "d", cases[k].in);
        one_row o;
        decode_with(p, &o, 0, reply_end(&r), 0);
        assert_int_equal(o.code, 0);
        if (half_bits(o.row, 0) != cases[k].half)
            fail_msg("case %zu: half %04x want %04x", k, half_bits(o.row, 0), cases[k].half);
        assert_true(GET(float, o.row, 2) == cases[k].single);
        assert_true(GET(double, o.row, 6) == cases[k].dbl);
        one_free(&o);
        reply_free(&r);
    }
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

static void test_float_to_int_truncate_saturate(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','<i1'),('b','<i2'),('c','<i4'),('d','<i8'),"
                         "('e','<u1'),('f','<u2'),('g','<u4'),('h','<u8')]", false);
    aw_row_plan *p = plan_of(dt);
    struct {
        double in;
        int64_t i1, i2, i4, i8;
        uint64_t u1, u2, u4, u8;
    } cases[] = {
        {2.7, 2, 2, 2, 2, 2, 2, 2, 2},
        {-2.7, -2, -2, -2, -2, 0, 0, 0, 0},
        {-0.9, 0, 0, 0, 0, 0, 0, 0, 0},
        {127.9, 127, 127, 127, 127, 127, 127, 127, 127},
        {128.0, 127, 128, 128, 128, 128, 128, 128, 128},
        {-129.5, -128, -129, -129, -129, 0, 0, 0, 0},
        {300.5, 127, 300, 300, 300, 255, 300, 300, 300},
        {1e10, 127, 32767, 2147483647, 10000000000ll, 255, 65535, 4294967295u, 10000000000ull},
        {-1e10, -128, -32768, -2147483648ll, -10000000000ll, 0, 0, 0, 0},
        {1e30, 127, 32767, 2147483647, INT64_MAX, 255, 65535, 4294967295u, UINT64_MAX},
        {-1e30, -128, -32768, -2147483648ll, INT64_MIN, 0, 0, 0, 0},
        {9223372036854775808.0, 127, 32767, 2147483647, INT64_MAX, 255, 65535, 4294967295u,
         9223372036854775808ull},
        {18446744073709551616.0, 127, 32767, 2147483647, INT64_MAX, 255, 65535, 4294967295u,
         UINT64_MAX},
        {INFINITY, 127, 32767, 2147483647, INT64_MAX, 255, 65535, 4294967295u, UINT64_MAX},
        {-INFINITY, -128, -32768, -2147483648ll, INT64_MIN, 0, 0, 0, 0},
        {NAN, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        reply r;
        reply_begin(&r, 0, 1, 0, 0);
        for (int i = 0; i < 8; i++)
            put_float(&r, names[i], cases[k].in);
        one_row o;
        decode_with(p, &o, 0, reply_end(&r), 0);
        assert_int_equal(o.code, 0);
        assert_int_equal(GET(int8_t, o.row, off(dt, "a")), cases[k].i1);
        assert_int_equal(GET(int16_t, o.row, off(dt, "b")), cases[k].i2);
        assert_int_equal(GET(int32_t, o.row, off(dt, "c")), cases[k].i4);
        assert_true(GET(int64_t, o.row, off(dt, "d")) == cases[k].i8);
        assert_int_equal(GET(uint8_t, o.row, off(dt, "e")), cases[k].u1);
        assert_int_equal(GET(uint16_t, o.row, off(dt, "f")), cases[k].u2);
        assert_int_equal(GET(uint32_t, o.row, off(dt, "g")), cases[k].u4);
        if (GET(uint64_t, o.row, off(dt, "h")) != cases[k].u8)
            fail_msg("case %zu: u8 %llu", k, (unsigned long long)GET(uint64_t, o.row, off(dt, "h")));
        one_free(&o);
        reply_free(&r);
    }
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

/* ---- bools --------------------------------------------------------------- */

static void test_bools(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('i','<i4'),('u','<u2'),('d','<f8'),('h','<f2'),('b','|b1'),"
                         "('bi','?'),('bf','?'),('bn','?'),('bz','?')]", false);
    aw_row_plan *p = plan_of(dt);
    for (int v = 0; v <= 1; v++) {
        reply r;
        reply_begin(&r, 0, 1, 0, 0);
        put_bool(&r, "i", v);
        put_bool(&r, "u", v);
        put_bool(&r, "d", v);
        put_bool(&r, "h", v);
        put_bool(&r, "b", v);
        put_int(&r, "bi", v ? -7 : 0);     /* astype(bool): not zero */
        put_float(&r, "bf", v ? 0.25 : -0.0);
        put_float(&r, "bn", NAN);          /* numpy: bool(nan) is True */
        put_float(&r, "bz", 0.0);
        one_row o;
        decode_with(p, &o, 0, reply_end(&r), 0);
        assert_int_equal(o.code, 0);
        assert_int_equal(GET(int32_t, o.row, off(dt, "i")), v);
        assert_int_equal(GET(uint16_t, o.row, off(dt, "u")), v);
        assert_true(GET(double, o.row, off(dt, "d")) == (double)v);
        assert_int_equal(half_bits(o.row, off(dt, "h")), v ? 0x3c00 : 0);
        assert_int_equal(o.row[off(dt, "b")], v);
        assert_int_equal(o.row[off(dt, "bi")], v);
        assert_int_equal(o.row[off(dt, "bf")], v);
        assert_int_equal(o.row[off(dt, "bn")], 1);
        assert_int_equal(o.row[off(dt, "bz")], 0);
        one_free(&o);
        reply_free(&r);
    }
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

/* ---- bytes --------------------------------------------------------------- */

static void test_s_and_v(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('s1','|S8'),('s2','|S4'),('s3','|S5'),('v1','|V6'),('v2','|V3'),"
                         "('sb','|S6'),('vs','|V4'),('se','|S3')]", false);
    aw_row_plan *p = plan_of(dt);
    reply r;
    reply_begin(&r, 0, 1, 0, 0);
    put_str(&r, "s1", "abc");            /* shorter: zero-padded */
    put_str(&r, "s2", "abcdefgh");       /* longer: truncated */
    put_str(&r, "s3", "12345");          /* exact */
    const uint8_t blob[] = {1, 2, 0, 4};
    put_blob(&r, "v1", blob, 4);         /* blob into V: padded */
    put_blob(&r, "v2", blob, 4);         /* truncated */
    put_blob(&r, "sb", blob, 4);         /* blob into S */
    put_str(&r, "vs", "xy");             /* string into V */
    put_str(&r, "se", "");               /* empty */
    one_row o;
    decode_with(p, &o, 0, reply_end(&r), 0);
    assert_int_equal(o.code, 0);
    assert_memory_equal(o.row + off(dt, "s1"), "abc\0\0\0\0\0", 8);
    assert_memory_equal(o.row + off(dt, "s2"), "abcd", 4);
    assert_memory_equal(o.row + off(dt, "s3"), "12345", 5);
    assert_memory_equal(o.row + off(dt, "v1"), "\1\2\0\4\0\0", 6);
    assert_memory_equal(o.row + off(dt, "v2"), "\1\2\0", 3);
    assert_memory_equal(o.row + off(dt, "sb"), "\1\2\0\4\0\0", 6);
    assert_memory_equal(o.row + off(dt, "vs"), "xy\0\0", 4);
    assert_memory_equal(o.row + off(dt, "se"), "\0\0\0", 3);
    one_free(&o);
    reply_free(&r);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

static void test_blob_to_subarray(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('exact','<f4',(4,)),('short','<i2',(4,)),('long','<u1',(3,)),"
                         "('m','<i4',(2,2)),('be','>i4',(3,)),('bes','>u2',(3,))]", false);
    aw_row_plan *p = plan_of(dt);
    float fv[4] = {1.5f, -2.25f, 1e-3f, 65504.0f};
    uint8_t fbytes[16];
    memcpy(fbytes, fv, 16); /* little-endian elements (this host) */
    int16_t sv[2] = {-2, 300};
    int32_t mv[4] = {1, -2, 3, -4};
    uint8_t lng[5] = {9, 8, 7, 6, 5};
    /* Little-endian i4 elements 0x01020304, 0x05060708, then a 2-byte tail. */
    uint8_t be_src[10] = {4, 3, 2, 1, 8, 7, 6, 5, 0xaa, 0xbb};
    /* Little-endian u2 elements 0x0102 and a 1-byte tail 0x33. */
    uint8_t bes_src[3] = {2, 1, 0x33};
    reply r;
    reply_begin(&r, 0, 1, 0, 0);
    put_blob(&r, "exact", fbytes, 16);
    put_blob(&r, "short", sv, 4);
    put_blob(&r, "long", lng, 5);
    put_blob(&r, "m", mv, 16);
    put_blob(&r, "be", be_src, 10);
    put_blob(&r, "bes", bes_src, 3);
    one_row o;
    decode_with(p, &o, 0, reply_end(&r), 0);
    assert_int_equal(o.code, 0);
    assert_memory_equal(o.row + off(dt, "exact"), fbytes, 16);
    int16_t s_got[4];
    memcpy(s_got, o.row + off(dt, "short"), 8);
    assert_int_equal(s_got[0], -2);
    assert_int_equal(s_got[1], 300);
    assert_int_equal(s_got[2], 0); /* zero-filled */
    assert_int_equal(s_got[3], 0);
    assert_memory_equal(o.row + off(dt, "long"), lng, 3);
    assert_memory_equal(o.row + off(dt, "m"), mv, 16);
    const uint8_t *be = o.row + off(dt, "be");
    assert_int_equal(get_be32(be), 0x01020304);
    assert_int_equal(get_be32(be + 4), 0x05060708);
    assert_int_equal(get_be32(be + 8), 0xbbaa); /* LE tail aa bb 00 00 = 0x0000bbaa */
    const uint8_t *bes = o.row + off(dt, "bes");
    assert_int_equal(get_be16(bes), 0x0102);
    assert_int_equal(get_be16(bes + 2), 0x0033);
    assert_int_equal(get_be16(bes + 4), 0);
    one_free(&o);
    reply_free(&r);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

/* ---- big-endian scalars ------------------------------------------------------- */

static void test_big_endian_fields(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','>i4'),('b','>u2'),('c','>i8'),('d','>f8'),('e','>f4'),"
                         "('f','>f2'),('g','>f8'),('h','>i2'),('i','>u8')]", false);
    aw_row_plan *p = plan_of(dt);
    reply r;
    reply_begin(&r, 0, 1, 0, 0);
    put_int(&r, "a", -5);
    put_int(&r, "b", 0x12345);      /* truncated to 0x2345 */
    put_int(&r, "c", 0x0102030405060708ll);
    put_float(&r, "d", 3.5);
    put_float(&r, "e", 0.1);
    put_float(&r, "f", -2.5);
    put_int(&r, "g", 7);            /* int into a big-endian f8 */
    put_float(&r, "h", -1e9);       /* saturated */
    put_bool(&r, "i", 1);
    one_row o;
    decode_with(p, &o, 0, reply_end(&r), 0);
    assert_int_equal(o.code, 0);
    assert_int_equal((int32_t)get_be32(o.row + off(dt, "a")), -5);
    assert_int_equal(get_be16(o.row + off(dt, "b")), 0x2345);
    assert_true(get_be64(o.row + off(dt, "c")) == 0x0102030405060708ull);
    assert_true(f8_of_bits(get_be64(o.row + off(dt, "d"))) == 3.5);
    assert_true(f4_of_bits(get_be32(o.row + off(dt, "e"))) == 0.1f);
    assert_int_equal(get_be16(o.row + off(dt, "f")), 0xc100);
    assert_true(f8_of_bits(get_be64(o.row + off(dt, "g"))) == 7.0);
    assert_int_equal((int16_t)get_be16(o.row + off(dt, "h")), -32768);
    assert_true(get_be64(o.row + off(dt, "i")) == 1);
    one_free(&o);
    reply_free(&r);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

/* ---- type mismatches, missing bins and records --------------------------------- */

static void test_type_mismatch(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('m','<f8'),('s','<i4'),('l','|S4'),('a','<f4',(2,)),('x','<i4'),"
                         "('g','|S8'),('ok','<i4'),('bl','<i8'),('ib','?'),('vb','|V2')]", false);
    aw_row_plan *p = plan_of(dt);
    reply r;
    reply_begin(&r, 0, 1, 0, 0);
    const uint8_t map[] = {0x81, 0x01, 0x02};  /* {1: 2} */
    const uint8_t list[] = {0x92, 0x01, 0x02}; /* [1, 2] */
    put_raw(&r, "m", AW_PT_MAP, map, 3);       /* a map into f8 */
    put_str(&r, "s", "12");                    /* a string into i4 */
    put_raw(&r, "l", AW_PT_LIST, list, 3);     /* a list into S */
    put_int(&r, "a", 5);                       /* an int into a sub-array */
    put_blob(&r, "x", "\1\2\3\4", 4);          /* a blob into a scalar */
    put_raw(&r, "g", AW_PT_GEOJSON, "\0\0\0{}", 5);
    put_int(&r, "ok", 42);                     /* the others are still filled */
    put_str(&r, "bl", "x");
    put_str(&r, "ib", "x");                    /* a string into a bool */
    put_int(&r, "vb", 1);                      /* an int into V */
    one_row o;
    decode_with(p, &o, 0, reply_end(&r), 0);
    assert_int_equal(o.code, AW_ERR_FIELD_TYPE);
    for (size_t i = 0; i < aw_dtype_n_fields(dt); i++) {
        const aw_dtype_field *f = aw_dtype_field_at(dt, i);
        if (strcmp(f->name, "ok") == 0) {
            assert_int_equal(GET(int32_t, o.row, f->offset), 42);
            continue;
        }
        for (size_t b = 0; b < f->size; b++)
            if (o.row[f->offset + b] != 0)
                fail_msg("field %s byte %zu not zeroed", f->name, b);
    }
    assert_int_equal(o.meta.gen, 1); /* the record was found */
    one_free(&o);
    reply_free(&r);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

static void test_bad_particle_sizes(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','<i4'),('b','<f8'),('c','?'),('d','<i8')]", false);
    aw_row_plan *p = plan_of(dt);
    reply r;
    reply_begin(&r, 0, 1, 0, 0);
    put_raw(&r, "a", AW_PT_INTEGER, "\0\0\0\1", 4);
    put_raw(&r, "b", AW_PT_FLOAT, "\0\0\0\0\0\0\0\0\0", 9);
    put_raw(&r, "c", AW_PT_BOOL, "\1\1", 2);
    put_int(&r, "d", 9);
    one_row o;
    decode_with(p, &o, 0, reply_end(&r), 0);
    assert_int_equal(o.code, AW_ERR_PROTO);
    assert_int_equal(GET(int32_t, o.row, 0), 0);
    assert_true(GET(double, o.row, 4) == 0);
    assert_int_equal(o.row[12], 0);
    assert_true(GET(int64_t, o.row, 13) == 9);
    one_free(&o);
    reply_free(&r);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

static void test_missing_bin_and_null_particle(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','<i4'),('b','<f8'),('c','|S4'),('d','<i2')]", false);
    aw_row_plan *p = plan_of(dt);
    for (int zero_first = 0; zero_first <= 1; zero_first++) {
        p->zero_first = zero_first;
        reply r;
        reply_begin(&r, 0, 3, 0, 0);
        put_int(&r, "a", 1);
        put_raw(&r, "c", AW_PT_NULL, NULL, 0); /* nil: as missing */
        one_row o;
        decode_with(p, &o, 0, reply_end(&r), 0);
        assert_int_equal(o.code, 0);
        assert_int_equal(GET(int32_t, o.row, 0), 1);
        for (size_t b = 4; b < p->itemsize; b++)
            assert_int_equal(o.row[b], 0);
        assert_int_equal(o.meta.gen, 3);
        one_free(&o);
        reply_free(&r);
    }
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

static void test_missing_record_and_errors(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('_key','<i8'),('a','<i4'),('b','<f8')]", false);
    aw_row_plan *p = plan_of(dt);
    const int results[] = {AW_ERR_RECORD_NOT_FOUND, AW_ERR_TIMEOUT, AW_FILTERED_OUT};
    for (size_t k = 0; k < 3; k++) {
        reply r;
        reply_begin(&r, (uint8_t)results[k], 0, 0, 0);
        one_row o;
        decode_with(p, &o, results[k], reply_end(&r), 1700000000);
        assert_int_equal(o.code, results[k]);
        for (size_t b = 0; b < p->itemsize; b++)
            assert_int_equal(o.row[b], 0);
        assert_int_equal(o.meta.gen, 0);
        assert_int_equal(o.meta.ttl, 0);
        one_free(&o);
        reply_free(&r);
    }
    /* A client-side failure: no message. */
    one_row o;
    decode_with(p, &o, AW_ERR_CONNECTION, NULL, 0);
    assert_int_equal(o.code, AW_ERR_CONNECTION);
    for (size_t b = 0; b < p->itemsize; b++)
        assert_int_equal(o.row[b], 0);
    assert_int_equal(o.meta.gen, 0);
    one_free(&o);
    decode_with(p, &o, AW_OK, NULL, 0); /* never sent by the engine: still defined */
    assert_int_equal(o.code, AW_ERR_CLIENT);
    one_free(&o);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

static void test_meta(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','<i4')]", false);
    aw_row_plan *p = plan_of(dt);
    uint64_t now = 1700000000;
    uint32_t now_cl = (uint32_t)(now - AW_CITRUSLEAF_EPOCH);
    struct {
        uint32_t void_time, ttl;
    } cases[] = {{0, AW_TTL_NEVER_EXPIRE}, {now_cl + 100, 100}, {now_cl - 5, 1}, {now_cl, 1}};
    for (size_t k = 0; k < 4; k++) {
        reply r;
        reply_begin(&r, 0, 7, cases[k].void_time, 0);
        put_int(&r, "a", 1);
        one_row o;
        decode_with(p, &o, 0, reply_end(&r), now);
        assert_int_equal(o.meta.gen, 7);
        assert_int_equal(o.meta.ttl, cases[k].ttl);
        one_free(&o);
        reply_free(&r);
    }
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

/* ---- order, extra and repeated bins; padding and '_' fields --------------------- */

static void test_order_and_lookup(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','<i4'),('b','<i4'),('c','<i4'),('d','<i4'),('e','<i4')]", false);
    aw_row_plan *p = plan_of(dt);
    /* Rows with the bins in the dtype's order, reversed, shuffled, some
     * missing, an unknown bin, one bin twice (the last wins): the plan's
     * order guess must never put a value in the wrong field. */
    const char *orders[] = {"abcde", "edcba", "cae", "xaybz", "aab", "eabcd", "abcde", "dd"};
    for (int zero_first = 0; zero_first <= 1; zero_first++) {
        p->zero_first = zero_first;
        for (size_t k = 0; k < sizeof orders / sizeof orders[0]; k++) {
            reply r;
            reply_begin(&r, 0, 1, 0, 0);
            int want[5] = {0};
            for (const char *c = orders[k]; *c; c++) {
                char name[2] = {*c, 0};
                int v = (int)(k * 100 + (size_t)(c - orders[k]) + 1);
                put_int(&r, name, v);
                if (*c >= 'a' && *c <= 'e')
                    want[*c - 'a'] = v;
            }
            one_row o;
            decode_with(p, &o, 0, reply_end(&r), 0);
            assert_int_equal(o.code, 0);
            for (int f = 0; f < 5; f++)
                if (GET(int32_t, o.row, 4 * f) != want[f])
                    fail_msg("order %s field %c: %d want %d", orders[k], 'a' + f,
                             GET(int32_t, o.row, 4 * f), want[f]);
            one_free(&o);
            reply_free(&r);
        }
    }
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

static void test_padding_and_underscore_fields_zeroed(void **state) {
    (void)state;
    /* Aligned: i1 at 0, pad, f8 at 8, _key i4 at 16, u2 at 20, pad to 24. */
    aw_dtype *dt = parse("[('a','<i1'),('b','<f8'),('_key','<i4'),('c','<u2')]", true);
    assert_int_equal(aw_dtype_itemsize(dt), 24);
    aw_row_plan *p = plan_of(dt);
    assert_int_equal(p->n, 3);
    for (int zero_first = 0; zero_first <= 1; zero_first++) {
        p->zero_first = zero_first;
        reply r;
        reply_begin(&r, 0, 1, 0, 0);
        put_int(&r, "a", -1);
        put_float(&r, "b", 2.0);
        put_int(&r, "c", 65535);
        put_int(&r, "_key", 99); /* never read from a bin */
        one_row o;
        decode_with(p, &o, 0, reply_end(&r), 0);
        uint8_t want[24] = {0};
        want[0] = 0xff;
        double two = 2.0;
        memcpy(want + 8, &two, 8);
        want[20] = want[21] = 0xff;
        assert_memory_equal(o.row, want, 24);
        one_free(&o);
        reply_free(&r);
    }
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

/* ---- plans ---------------------------------------------------------------------- */

static void test_plan_errors_and_filter(void **state) {
    (void)state;
    aw_error err;
    aw_row_plan *p = NULL;
    aw_dtype *dt = parse("[('_key','<i8'),('_ttl','<u4')]", false);
    assert_int_equal(aw_row_plan_new(dt, NULL, 0, &p, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "no bin field"));
    assert_null(p);
    aw_dtype_free(dt);

    dt = parse("[('_key','<i8'),('t','<f8'),('h','<i4'),('n','|S8')]", false);
    const char *bad[] = {"t", "nope"};
    assert_int_equal(aw_row_plan_new(dt, bad, 2, &p, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'nope'"));
    const char *under[] = {"_key"};
    assert_int_equal(aw_row_plan_new(dt, under, 1, &p, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'_key'"));
    assert_int_equal(aw_row_plan_new(dt, NULL, 2, &p, &err), AW_ERR_PARAM);
    const char *nul[] = {"t", NULL};
    assert_int_equal(aw_row_plan_new(dt, nul, 2, &p, &err), AW_ERR_PARAM);
    assert_int_equal(aw_row_plan_new(NULL, NULL, 0, &p, &err), AW_ERR_PARAM);

    /* A filter: its order, duplicates once; the rest of the row stays zero. */
    const char *filt[] = {"n", "h", "n"};
    assert_int_equal(aw_row_plan_new(dt, filt, 3, &p, &err), AW_OK);
    assert_int_equal(p->n, 2);
    assert_string_equal(p->bin_names[0], "n");
    assert_string_equal(p->bin_names[1], "h");
    for (int zero_first = 0; zero_first <= 1; zero_first++) {
        p->zero_first = zero_first;
        reply r;
        reply_begin(&r, 0, 1, 0, 0);
        put_str(&r, "n", "name");
        put_int(&r, "h", 5);
        put_float(&r, "t", 1.0); /* not asked for: ignored */
        one_row o;
        decode_with(p, &o, 0, reply_end(&r), 0);
        assert_int_equal(GET(int64_t, o.row, 0), 0);
        assert_true(GET(double, o.row, 8) == 0.0);
        assert_int_equal(GET(int32_t, o.row, 16), 5);
        assert_memory_equal(o.row + 20, "name\0\0\0\0", 8);
        one_free(&o);
        reply_free(&r);
    }
    aw_row_plan_free(p);

    /* All bin fields, in dtype order. */
    assert_int_equal(aw_row_plan_new(dt, NULL, 0, &p, &err), AW_OK);
    assert_int_equal(p->n, 3);
    assert_string_equal(p->bin_names[0], "t");
    assert_string_equal(p->bin_names[2], "n");
    aw_row_plan_free(p);
    aw_row_plan_free(NULL);
    aw_dtype_free(dt);
}

static void test_plan_alloc_failures(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','<i4'),('b','<f8'),('c','|S4')]", false);
    for (long n = 1; n < 20; n++) {
        aw_row_plan *p = NULL;
        aw_error err;
        tu_failalloc_on(n);
        int rc = aw_row_plan_new(dt, NULL, 0, &p, &err);
        tu_failalloc_off();
        if (rc == AW_OK) {
            aw_row_plan_free(p);
            break;
        }
        assert_int_equal(rc, AW_ERR_NOMEM);
        assert_null(p);
    }
    aw_dtype_free(dt);
}

/* ---- half precision: every value -------------------------------------------------- */

static void test_half_exhaustive(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = aw_half_to_float((uint16_t)h);
        if (isnan(f)) {
            assert_true(((h >> 10) & 0x1f) == 0x1f && (h & 0x3ff));
            /* Still NaN with its sign (float->double may quiet a signalling one). */
            uint16_t back = aw_double_to_half(f);
            assert_true((back & 0x7c00) == 0x7c00 && (back & 0x3ff) && (back & 0x8000) == (h & 0x8000));
            continue;
        }
        assert_int_equal(aw_double_to_half(f), h);
        /* Between h and the next half up: below the midpoint rounds to h,
         * above to the next, the midpoint to the even one. */
        uint32_t e = (h >> 10) & 0x1f;
        if (e == 0x1f || (h & 0x7fff) == 0x7bff)
            continue;
        double next = aw_half_to_float((uint16_t)(h + 1));
        double mid = ((double)f + next) / 2;
        assert_int_equal(aw_double_to_half(nextafter(mid, f)), h);
        assert_int_equal(aw_double_to_half(nextafter(mid, next)), h + 1);
        assert_int_equal(aw_double_to_half(mid), (h & 1) ? h + 1 : h);
    }
    /* The overflow edge: 65520 = 65504 + half an ulp ties to "even" = inf. */
    assert_int_equal(aw_double_to_half(65519.999999), 0x7bff);
    assert_int_equal(aw_double_to_half(65520.0), 0x7c00);
    assert_int_equal(aw_double_to_half(-65520.0), 0xfc00);
    assert_int_equal(aw_double_to_half(1e-30), 0);
    assert_int_equal(aw_double_to_half(-1e-30), 0x8000);
    assert_int_equal(aw_double_to_half(4.9e-324), 0);
}

/* ---- the captured sensor replies ---------------------------------------------------- */

static json_t *sensor_bins(uint32_t key) {
    char label[64];
    snprintf(label, sizeof label, "put_sensor_row_%u", key);
    return json_object_get(json_object_get(tu_command(label), "inputs"), "bins");
}

typedef struct feed_ctx {
    aw_rows_sink_ctx sink;
    int *seen;
} feed_ctx;

static int feed_row(void *ctx, uint32_t index, const aw_msg_view *m) {
    feed_ctx *c = ctx;
    c->seen[index]++;
    aw_rows_sink_row(&c->sink, index, m->h.result_code, false, m, NULL);
    return 0;
}

/* Feeds every captured frame of a batch command into rows of dt. */
static void feed_capture(const char *label, aw_row_plan *p, uint8_t *rows, aw_row_meta *meta,
                         int32_t *codes, uint32_t n) {
    feed_ctx c = {{p, rows, meta, codes, 1700000000}, calloc(n, sizeof(int))};
    aw_batch_reader r;
    aw_batch_reader_init(&r, n);
    size_t frames = json_array_size(json_object_get(tu_command(label), "reply_hex"));
    for (size_t f = 0; f < frames; f++) {
        size_t len;
        uint8_t *body = tu_reply_body(label, f, &len);
        aw_error err;
        if (aw_batch_reader_feed(&r, body, len, feed_row, &c, &err) != AW_OK)
            fail_msg("%s frame %zu: %s", label, f, err.message);
        free(body);
    }
    assert_true(r.done);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(c.seen[i], 1);
    free(c.seen);
}

#define SENSOR_DTYPE \
    "[('_key','<i8'),('temperature','<f8'),('humidity','<i4'),('status','|u1')," \
    "('pressure','<f4'),('name','|S8')]"

typedef struct __attribute__((packed)) sensor_row {
    int64_t key;
    double temperature;
    int32_t humidity;
    uint8_t status;
    float pressure;
    char name[8];
} sensor_row;

static void check_sensor(const sensor_row *row, const aw_row_meta *meta, int32_t code,
                         uint32_t key, bool only_temp_hum) {
    if (key > 99) {
        assert_int_equal(code, AW_ERR_RECORD_NOT_FOUND);
        const uint8_t *b = (const uint8_t *)row;
        for (size_t i = 0; i < sizeof *row; i++)
            assert_int_equal(b[i], 0);
        assert_int_equal(meta->gen, 0);
        return;
    }
    json_t *bins = sensor_bins(key);
    assert_int_equal(code, 0);
    assert_int_equal(meta->gen, 1);
    assert_int_equal(row->key, 0); /* '_' fields are not read */
    assert_true(row->temperature == json_real_value(json_object_get(bins, "temperature")));
    assert_int_equal(row->humidity, json_integer_value(json_object_get(bins, "humidity")));
    if (only_temp_hum) {
        assert_int_equal(row->status, 0);
        assert_true(row->pressure == 0.0f);
        assert_memory_equal(row->name, "\0\0\0\0\0\0\0\0", 8);
        return;
    }
    assert_int_equal(row->status, (uint8_t)json_integer_value(json_object_get(bins, "status")));
    assert_true(row->pressure == (float)json_real_value(json_object_get(bins, "pressure")));
    const char *hex = json_string_value(json_object_get(bins, "name"));
    assert_non_null(hex);
    assert_int_equal(strncmp(hex, "blob ", 5), 0);
    size_t n;
    uint8_t *b = tu_hex_decode(hex + 5, &n);
    uint8_t want[8] = {0};
    memcpy(want, b, n < 8 ? n : 8);
    assert_memory_equal(row->name, want, 8);
    free(b);
}

static void test_captured_batch_replies(void **state) {
    (void)state;
    aw_dtype *dt = parse(SENSOR_DTYPE, false);
    assert_int_equal(aw_dtype_itemsize(dt), sizeof(sensor_row));
    aw_row_plan *p = plan_of(dt);
    for (int zero_first = 0; zero_first <= 1; zero_first++) {
        p->zero_first = zero_first;
        sensor_row rows[100];
        aw_row_meta meta[100];
        int32_t codes[100];
        memset(rows, 0x5a, sizeof rows);
        feed_capture("batch_read_100_all_bins", p, (uint8_t *)rows, meta, codes, 100);
        for (uint32_t i = 0; i < 100; i++)
            check_sensor(&rows[i], &meta[i], codes[i], i, false);

        memset(rows, 0x5a, sizeof rows);
        feed_capture("batch_get_all_bins", p, (uint8_t *)rows, meta, codes, 10); /* keys 95..104 */
        for (uint32_t i = 0; i < 10; i++)
            check_sensor(&rows[i], &meta[i], codes[i], 95 + i, false);
    }
    aw_row_plan_free(p);

    /* The bins-filtered read: only temperature and humidity travelled. */
    const char *only[] = {"temperature", "humidity"};
    aw_error err;
    assert_int_equal(aw_row_plan_new(dt, only, 2, &p, &err), AW_OK);
    sensor_row rows[10];
    aw_row_meta meta[10];
    int32_t codes[10];
    memset(rows, 0x5a, sizeof rows);
    feed_capture("batch_get_bins", p, (uint8_t *)rows, meta, codes, 10);
    for (uint32_t i = 0; i < 10; i++)
        check_sensor(&rows[i], &meta[i], codes[i], 95 + i, true);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}


/* ---- the write source: rows -> request rows -> rows again ------------------------- */

#define ALL_KINDS \
    "[('_key','<i8'),('_ttl','<i4'),('a','|i1'),('b','>u2'),('c','<i8'),('d','<u8'),"      \
    "('e','<f2'),('f','<f4'),('g','>f8'),('h','|b1'),('s','|S8'),('v','|V4'),"           \
    "('emb','<f4',(4,)),('bea','>i4',(3,)),('ss','|S3',(2,)),('i2','<i2'),('bh','>f2')]"

/* Row i's values, written field by field through the dtype's offsets. */
static void fill_all_kinds(const aw_dtype *dt, uint8_t *row, int i) {
    memset(row, 0, aw_dtype_itemsize(dt));
    int64_t key = 1000 + i;
    memcpy(row + off(dt, "_key"), &key, 8);
    int32_t ttl = i == 0 ? -1 : 100 * i;
    memcpy(row + off(dt, "_ttl"), &ttl, 4);
    row[off(dt, "a")] = (uint8_t)(int8_t)(-100 + i);
    aw_store_u16be(row + off(dt, "b"), (uint16_t)(65000 + i));
    int64_t c = INT64_MIN + i;
    memcpy(row + off(dt, "c"), &c, 8);
    uint64_t d = UINT64_MAX - (uint64_t)i; /* above INT64_MAX */
    memcpy(row + off(dt, "d"), &d, 8);
    uint16_t e = (uint16_t)(0x3555 + i); /* any half bits */
    memcpy(row + off(dt, "e"), &e, 2);
    float f = 0.1f * (float)(i + 1);
    memcpy(row + off(dt, "f"), &f, 4);
    double g = -1.0 / 3.0 * i;
    uint64_t gb;
    memcpy(&gb, &g, 8);
    aw_store_u64be(row + off(dt, "g"), gb);
    row[off(dt, "h")] = (uint8_t)(i & 1);
    char sv[8] = {'n', (char)('0' + i % 10)};               /* NUL-padded */
    memcpy(row + off(dt, "s"), sv, 8);
    uint8_t v[4] = {0, (uint8_t)i, 0, 0xff};                /* NULs inside a V */
    memcpy(row + off(dt, "v"), v, 4);
    float emb[4] = {1.5f, -2.0f, (float)i, 1e-3f};
    memcpy(row + off(dt, "emb"), emb, 16);
    for (int k = 0; k < 3; k++)
        aw_store_u32be(row + off(dt, "bea") + 4 * k, (uint32_t)(0x01020300 + k + i));
    memcpy(row + off(dt, "ss"), "ab\0cde", 6);
    int16_t i2 = (int16_t)(-i);
    memcpy(row + off(dt, "i2"), &i2, 2);
    aw_store_u16be(row + off(dt, "bh"), 0xbc00); /* -1.0 */
}

/* Finds the op for a bin in a request row. */
static bool request_op(const aw_msg_view *m, const char *name, aw_op_view *out) {
    aw_msg_iter it = aw_msg_ops(m);
    while (aw_msg_next_op(&it, out))
        if (out->name_len == strlen(name) && memcmp(out->name, name, out->name_len) == 0)
            return true;
    return false;
}

static void test_write_source_round_trip(void **state) {
    (void)state;
    aw_dtype *dt = parse(ALL_KINDS, false);
    size_t isz = aw_dtype_itemsize(dt);
    enum { N = 5 };
    uint8_t *rows = calloc(N, isz);
    for (int i = 0; i < N; i++)
        fill_all_kinds(dt, rows + i * isz, i);

    aw_batch_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.base.ttl = 777;         /* replaced by each row's _ttl */
    pol.base.send_key = true;
    int32_t codes[N];
    bool in_doubt[N];
    uint32_t gens[N];
    aw_rows_job *job;
    aw_error err;
    /* The job keeps nothing of the dtype it was made from (async calls may
     * free it once they return): made from a copy freed at once. */
    aw_dtype *copy = parse(ALL_KINDS, false);
    assert_int_equal(aw_rows_write_job_new(&pol, rows, N * isz, N, copy, "test", "demo", NULL,
                                           codes, in_doubt, gens, &job, &err), AW_OK);
    aw_dtype_free(copy);
    assert_int_equal(job->src.n, N);

    /* Encode every row (in a shuffled order, as a retry could) with the
     * batch writer, as the engine does. */
    aw_buf b;
    aw_buf_init(&b);
    aw_batch_writer w;
    assert_int_equal(aw_batch_begin(&w, &b, NULL, &err), AW_OK);
    const size_t order[N] = {3, 0, 4, 1, 2};
    for (int k = 0; k < N; k++) {
        size_t i = order[k];
        aw_key want;
        assert_int_equal(aw_key_init_int(&want, "test", "demo", 1000 + (int64_t)i, &err), AW_OK);
        assert_memory_equal(job->src.key(job->src.ctx, i)->digest, want.digest, 20);
        assert_true(job->src.writes(job->src.ctx, i));
        aw_batch_row row;
        memset(&row, 0, sizeof row);
        assert_int_equal(job->src.row(job->src.ctx, i, &row, &err), AW_OK);
        row.index = (uint32_t)i;
        if (aw_batch_add(&w, &row, &err) != AW_OK)
            fail_msg("row %zu: %s", i, err.message);
    }
    assert_int_equal(aw_batch_end(&w, &err), AW_OK);

    /* Read it back as a server would, and decode each row's write ops with
     * a read plan of the same dtype: every bin field must come back as it
     * was. */
    size_t used;
    aw_msg_view req;
    assert_int_equal(aw_msg_parse(b.data + 8, b.len - 8, &req, &used, &err), AW_OK);
    aw_field_view f41;
    assert_true(aw_msg_find_field(&req, AW_FIELD_BATCH_INDEX, &f41));
    td_batch_req_iter it;
    assert_int_equal(td_batch_req_open(&it, f41.data, f41.len, &err), AW_OK);
    aw_row_plan *p = plan_of(dt);
    uint8_t *back = calloc(1, isz);
    int seen = 0;
    const uint8_t *digest;
    aw_msg_view m;
    while (td_batch_req_next(&it, &digest, &m, &err) == 1) {
        uint32_t i = m.h.transaction_ttl;
        assert_true(i < N);
        seen++;
        const uint8_t *src = rows + i * isz;
        assert_true(m.h.info2 & AW_INFO2_WRITE);
        assert_int_equal(m.h.record_ttl, i == 0 ? 0xFFFFFFFFu : 100 * i); /* _ttl */
        assert_int_equal(m.h.n_ops, p->n); /* every bin field, no '_' one */
        /* The stored key: an integer particle. */
        aw_field_view kf;
        assert_true(aw_msg_find_field(&m, AW_FIELD_KEY, &kf));
        assert_int_equal(kf.data[0], AW_PT_INTEGER);
        assert_true((int64_t)aw_load_u64be(kf.data + 1) == 1000 + (int64_t)i);

        /* Particle types: what each kind travels as. */
        struct { const char *bin; uint8_t pt; } types[] = {
            {"a", AW_PT_INTEGER}, {"b", AW_PT_INTEGER}, {"c", AW_PT_INTEGER},
            {"d", AW_PT_INTEGER}, {"e", AW_PT_FLOAT}, {"f", AW_PT_FLOAT}, {"g", AW_PT_FLOAT},
            {"h", AW_PT_BOOL}, {"s", AW_PT_STRING}, {"v", AW_PT_BLOB}, {"emb", AW_PT_BLOB},
            {"bea", AW_PT_BLOB}, {"ss", AW_PT_BLOB}, {"i2", AW_PT_INTEGER}, {"bh", AW_PT_FLOAT}};
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
            aw_op_view op;
            if (!request_op(&m, types[t].bin, &op))
                fail_msg("row %u: no op for %s", i, types[t].bin);
            assert_int_equal(op.op, AW_OP_WRITE);
            if (op.particle != types[t].pt)
                fail_msg("bin %s: particle %u, want %u", types[t].bin, op.particle, types[t].pt);
        }
        aw_op_view op;
        assert_true(request_op(&m, "s", &op));
        assert_int_equal(op.value_len, 2); /* up to the first NUL */
        assert_int_equal(op.value[1], '0' + i % 10);
        assert_true(request_op(&m, "d", &op));
        assert_true(aw_load_u64be(op.value) == UINT64_MAX - i); /* the same 64 bits */
        assert_true(request_op(&m, "e", &op)); /* f2 widened exactly */
        uint16_t e;
        memcpy(&e, src + off(dt, "e"), 2);
        uint64_t eb = aw_load_u64be(op.value);
        double ed;
        memcpy(&ed, &eb, 8);
        assert_true(ed == (double)aw_half_to_float(e));
        assert_true(request_op(&m, "bea", &op)); /* little-endian elements on the wire */
        for (int k = 0; k < 3; k++) {
            uint32_t le;
            memcpy(&le, op.value + 4 * k, 4);
            assert_int_equal(le, 0x01020300u + (uint32_t)k + i);
        }

        memset(back, 0xee, isz);
        assert_int_equal(aw_row_plan_decode(p, back, &m), AW_OK);
        for (size_t fi = 0; fi < aw_dtype_n_fields(dt); fi++) {
            const aw_dtype_field *fd = aw_dtype_field_at(dt, fi);
            if (fd->name[0] == '_') {
                for (size_t k = 0; k < fd->size; k++)
                    assert_int_equal(back[fd->offset + k], 0);
                continue;
            }
            if (memcmp(back + fd->offset, src + fd->offset, fd->size) != 0)
                fail_msg("row %u field %s did not come back", i, fd->name);
        }
    }
    assert_int_equal(seen, N);

    /* The sink: codes, in-doubt and generations per row. */
    reply r;
    reply_begin(&r, 0, 4, 0, 2);
    put_raw(&r, "a", AW_PT_NULL, NULL, 0);
    job->sink.row(job->sink.ctx, 2, 0, false, reply_end(&r), NULL);
    reply_free(&r);
    reply_begin(&r, AW_ERR_RECORD_GENERATION, 0, 0, 3);
    job->sink.row(job->sink.ctx, 3, AW_ERR_RECORD_GENERATION, false, reply_end(&r), NULL);
    reply_free(&r);
    job->sink.row(job->sink.ctx, 4, AW_ERR_TIMEOUT, true, NULL, NULL);
    assert_int_equal(codes[2], 0);
    assert_int_equal(gens[2], 4);
    assert_false(in_doubt[2]);
    assert_int_equal(codes[3], AW_ERR_RECORD_GENERATION);
    assert_int_equal(gens[3], 0);
    assert_int_equal(codes[4], AW_ERR_TIMEOUT);
    assert_true(in_doubt[4]);
    assert_int_equal(gens[4], 0);

    free(back);
    aw_row_plan_free(p);
    aw_buf_free(&b);
    aw_rows_job_free(job);
    free(rows);
    aw_dtype_free(dt);
}

/* String, blob and unsigned keys; key and _ttl fields of unusable kinds. */
static void test_write_keys_and_bad_input(void **state) {
    (void)state;
    aw_error err;
    aw_rows_job *job = NULL;
    int32_t codes[2];
    aw_dtype *dt = parse("[('id','|S6'),('bk','|V3'),('uk','<u8'),('fk','<f8'),('bool','?'),"
                         "('ak','<i4',(2,)),('x','<i4')]", false);
    size_t isz = aw_dtype_itemsize(dt);
    uint8_t rows[2 * 64];
    memset(rows, 0, sizeof rows);
    memcpy(rows + off(dt, "id"), "abc", 3);
    memcpy(rows + isz + off(dt, "id"), "abcdef", 6); /* no NUL: all 6 bytes */
    memcpy(rows + off(dt, "bk"), "\0\1\2", 3);
    uint64_t big = 1ull << 63;
    memcpy(rows + off(dt, "uk"), &big, 8);

    struct { const char *field; aw_value v; } ok[] = {
        {"id", aw_value_strn("abc", 3)},
        {"bk", aw_value_blob("\0\1\2", 3)},
        {"uk", aw_value_int(INT64_MIN)},
    };
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, 2, dt, "test", "s",
                                               ok[k].field, codes, NULL, NULL, &job, &err), AW_OK);
        aw_key want;
        assert_int_equal(aw_key_init_value(&want, "test", "s", &ok[k].v, &err), AW_OK);
        assert_memory_equal(job->src.key(job->src.ctx, 0)->digest, want.digest, 20);
        aw_rows_job_free(job);
    }
    /* "id" is both the key and a bin: it is written (its name has no '_'). */
    assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, 2, dt, "test", "s", "id",
                                           codes, NULL, NULL, &job, &err), AW_OK);
    aw_key want;
    assert_int_equal(aw_key_init_strn(&want, "test", "s", "abcdef", 6, &err), AW_OK);
    assert_memory_equal(job->src.key(job->src.ctx, 1)->digest, want.digest, 20);
    aw_batch_row row;
    memset(&row, 0, sizeof row);
    assert_int_equal(job->src.row(job->src.ctx, 0, &row, &err), AW_OK);
    assert_int_equal(row.kind, AW_BATCH_OPERATE);
    assert_int_equal(row.n_ops, 7);
    assert_string_equal(row.ops[0].bin, "id");
    assert_int_equal(row.opts->ttl, 0); /* no _ttl, no policy: the namespace's */
    aw_rows_job_free(job);

    /* Unusable key fields, each named. */
    const char *bad[] = {"fk", "bool", "ak", "nope"};
    for (size_t k = 0; k < 4; k++) {
        job = (aw_rows_job *)1;
        assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, 2, dt, "test", "s", bad[k],
                                               codes, NULL, NULL, &job, &err), AW_ERR_PARAM);
        assert_null(job);
        char quoted[16];
        snprintf(quoted, sizeof quoted, "'%s'", bad[k]);
        if (!strstr(err.message, quoted))
            fail_msg("%s: %s", bad[k], err.message);
    }
    /* The default key field "_key" is missing here. */
    assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, 2, dt, "test", "s", NULL, codes,
                                           NULL, NULL, &job, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'_key'"));
    /* Buffers and pointers. */
    assert_int_equal(aw_rows_write_job_new(NULL, rows, 2 * isz - 1, 2, dt, "test", "s", "x", codes,
                                           NULL, NULL, &job, &err), AW_ERR_PARAM);
    assert_int_equal(aw_rows_write_job_new(NULL, NULL, 0, 2, dt, "test", "s", "x", codes, NULL,
                                           NULL, &job, &err), AW_ERR_PARAM);
    assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, SIZE_MAX / 2, dt, "test", "s",
                                           "x", codes, NULL, NULL, &job, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "overflow"));
    assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, 2, dt, NULL, "s", "x", codes,
                                           NULL, NULL, &job, &err), AW_ERR_PARAM);
    assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, 2, NULL, "test", "s", "x",
                                           codes, NULL, NULL, &job, &err), AW_ERR_PARAM);
    /* A namespace too long fails the call before anything is sent. */
    assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, 2, dt,
                                           "a-namespace-name-much-too-long-here", "s", "x", codes,
                                           NULL, NULL, &job, &err), AW_ERR_BAD_NAME);
    /* n == 0: a job with nothing to do, NULL rows allowed. */
    assert_int_equal(aw_rows_write_job_new(NULL, NULL, 0, 0, dt, "test", "s", "x", codes, NULL,
                                           NULL, &job, &err), AW_OK);
    assert_int_equal(job->src.n, 0);
    aw_rows_job_free(job);
    aw_dtype_free(dt);

    /* _ttl must be an integer. */
    dt = parse("[('_key','<i4'),('_ttl','<f4'),('x','<i4')]", false);
    assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, 1, dt, "test", "s", NULL, codes,
                                           NULL, NULL, &job, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'_ttl'"));
    aw_dtype_free(dt);
    /* Nothing to write. */
    dt = parse("[('_key','<i4')]", false);
    assert_int_equal(aw_rows_write_job_new(NULL, rows, sizeof rows, 1, dt, "test", "s", NULL, codes,
                                           NULL, NULL, &job, &err), AW_ERR_PARAM);
    aw_dtype_free(dt);
}

/* The read source: READ rows naming exactly the plan's bins; bad input. */
static void test_read_source_and_bad_input(void **state) {
    (void)state;
    aw_error err;
    aw_dtype *dt = parse("[('_key','<i8'),('t','<f8'),('h','<i4'),('n','|S8')]", false);
    size_t isz = aw_dtype_itemsize(dt);
    aw_key keys[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(aw_key_init_int(&keys[i], "test", "s", i, &err), AW_OK);
    uint8_t rows[3 * 28];
    aw_rows_job *job;
    assert_int_equal(aw_rows_read_job_new(NULL, keys, 3, NULL, 0, dt, rows, sizeof rows, NULL, NULL,
                                          &job, &err), AW_OK);
    assert_false(job->src.writes(job->src.ctx, 1));
    assert_ptr_equal(job->src.key(job->src.ctx, 2), &keys[2]);
    aw_buf b;
    aw_buf_init(&b);
    aw_batch_writer w;
    assert_int_equal(aw_batch_begin(&w, &b, NULL, &err), AW_OK);
    for (uint32_t i = 0; i < 3; i++) {
        aw_batch_row row;
        memset(&row, 0, sizeof row);
        assert_int_equal(job->src.row(job->src.ctx, i, &row, &err), AW_OK);
        row.index = i;
        assert_int_equal(row.kind, AW_BATCH_READ);
        assert_int_equal(row.n_bins, 3);
        assert_string_equal(row.bins[0], "t");
        assert_string_equal(row.bins[2], "n");
        assert_int_equal(aw_batch_add(&w, &row, &err), AW_OK);
    }
    assert_int_equal(aw_batch_end(&w, &err), AW_OK);
    /* Rows 1 and 2 are REPEATs of row 0: 4 + 20 + 1 bytes each. */
    size_t used;
    aw_msg_view req;
    assert_int_equal(aw_msg_parse(b.data + 8, b.len - 8, &req, &used, &err), AW_OK);
    aw_field_view f41;
    assert_true(aw_msg_find_field(&req, AW_FIELD_BATCH_INDEX, &f41));
    td_batch_req_iter it;
    assert_int_equal(td_batch_req_open(&it, f41.data, f41.len, &err), AW_OK);
    const uint8_t *digest;
    aw_msg_view m;
    int n = 0;
    while (td_batch_req_next(&it, &digest, &m, &err) == 1) {
        assert_memory_equal(digest, keys[n].digest, 20);
        assert_int_equal(m.h.n_ops, 3);
        aw_msg_iter oi = aw_msg_ops(&m);
        aw_op_view op;
        const char *want[] = {"t", "h", "n"};
        for (int k = 0; aw_msg_next_op(&oi, &op); k++) {
            assert_int_equal(op.op, AW_OP_READ);
            assert_int_equal(op.name_len, strlen(want[k]));
            assert_memory_equal(op.name, want[k], op.name_len);
        }
        n++;
    }
    assert_int_equal(n, 3);
    assert_true(f41.len < 5 + 2 * 25 + 100);
    aw_buf_free(&b);
    aw_rows_job_free(job);

    /* Bad input: nothing made, the message says what. */
    job = (aw_rows_job *)1;
    assert_int_equal(aw_rows_read_job_new(NULL, keys, 3, NULL, 0, dt, rows, 3 * isz - 1, NULL, NULL,
                                          &job, &err), AW_ERR_PARAM);
    assert_null(job);
    assert_non_null(strstr(err.message, "need 84"));
    assert_int_equal(aw_rows_read_job_new(NULL, NULL, 3, NULL, 0, dt, rows, sizeof rows, NULL, NULL,
                                          &job, &err), AW_ERR_PARAM);
    assert_int_equal(aw_rows_read_job_new(NULL, keys, 3, NULL, 0, dt, NULL, sizeof rows, NULL, NULL,
                                          &job, &err), AW_ERR_PARAM);
    assert_int_equal(aw_rows_read_job_new(NULL, keys, 3, NULL, 0, NULL, rows, sizeof rows, NULL,
                                          NULL, &job, &err), AW_ERR_PARAM);
    assert_int_equal(aw_rows_read_job_new(NULL, keys, SIZE_MAX / 4, NULL, 0, dt, rows, SIZE_MAX,
                                          NULL, NULL, &job, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "overflow"));
    const char *filt[] = {"h", "humidity"};
    assert_int_equal(aw_rows_read_job_new(NULL, keys, 3, filt, 2, dt, rows, sizeof rows, NULL, NULL,
                                          &job, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'humidity'"));
    /* n == 0: fine, with NULL keys and rows. */
    assert_int_equal(aw_rows_read_job_new(NULL, NULL, 0, NULL, 0, dt, NULL, 0, NULL, NULL, &job,
                                          &err), AW_OK);
    aw_rows_job_free(job);
    aw_dtype_free(dt);
    dt = parse("[('_key','<i8')]", false);
    assert_int_equal(aw_rows_read_job_new(NULL, keys, 3, NULL, 0, dt, rows, sizeof rows, NULL, NULL,
                                          &job, &err), AW_ERR_PARAM);
    aw_dtype_free(dt);
}

/* A request's bytes from a job's source, rows in order (the writer as the
 * batch engine drives it: uniform, REPEAT rows from their keys). */
static void encode_job(aw_rows_job *job, size_t n, aw_buf *b) {
    aw_error err;
    aw_batch_writer w;
    aw_buf_reset(b);
    assert_int_equal(aw_batch_begin(&w, b, NULL, &err), AW_OK);
    w.uniform = job->src.uniform;
    for (uint32_t i = 0; i < n; i++) {
        const aw_key *k = job->src.key(job->src.ctx, i);
        if (aw_batch_can_repeat(&w, 1)) {
            assert_int_equal(aw_batch_add_repeat(&w, i, k->digest, &err), AW_OK);
            continue;
        }
        aw_batch_row row;
        memset(&row, 0, sizeof row);
        assert_int_equal(job->src.row(job->src.ctx, i, &row, &err), AW_OK);
        row.index = i;
        w.names_tag = 1; /* one namespace and set throughout */
        assert_int_equal(aw_batch_add(&w, &row, &err), AW_OK);
    }
    assert_int_equal(aw_batch_end(&w, &err), AW_OK);
}

/* A read of ids asks for exactly what a read of the same keys made with
 * aw_keys_init_int asks for: the same request bytes, for sets that fit the
 * digests' lanes and one that does not, negative ids and duplicates. Its
 * keys are the same keys one at a time, and bad input is refused. */
static void test_read_ids_source_and_bad_input(void **state) {
    (void)state;
    aw_error err;
    aw_dtype *dt = parse("[('_key','<i8'),('t','<f8'),('h','<i4')]", false);
    size_t isz = aw_dtype_itemsize(dt);
    enum { N = 300 };
    static int64_t ids[N];
    for (int i = 0; i < N; i++)
        ids[i] = i % 7 == 3 ? -(int64_t)i * 1000003 : (i % 11 == 5 ? ids[i - 1] : i);
    static aw_key keys[N];
    static uint8_t rows[N * 24];
    const char *sets[] = {"s", "", "a-set-name-of-fifty-bytes-abcdefghijklmnopqrstuvwx"};
    aw_buf want, got;
    aw_buf_init(&want);
    aw_buf_init(&got);
    for (size_t si = 0; si < 3; si++) {
        assert_int_equal(aw_keys_init_int(keys, N, "test", sets[si], ids, &err), AW_OK);
        aw_rows_job *kj, *ij;
        assert_int_equal(aw_rows_read_job_new(NULL, keys, N, NULL, 0, dt, rows, sizeof rows,
                                              NULL, NULL, &kj, &err), AW_OK);
        assert_int_equal(aw_rows_read_ids_job_new(NULL, "test", sets[si], ids, N, NULL, 0, dt,
                                                  rows, sizeof rows, NULL, NULL, &ij, &err),
                         AW_OK);
        assert_true(ij->src.uniform);
        assert_false(ij->src.writes(ij->src.ctx, 0));
        encode_job(kj, N, &want);
        encode_job(ij, N, &got); /* a fresh job's keys from the first on */
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);
        for (int i = N - 1; i >= 0; i -= 37) { /* out of order, as retries come */
            const aw_key *k = ij->src.key(ij->src.ctx, (size_t)i);
            assert_string_equal(k->ns, "test");
            assert_string_equal(k->set, sets[si]);
            assert_int_equal(k->user_key.type, AW_INT);
            assert_int_equal(k->user_key.u.i, ids[i]);
            assert_memory_equal(k->digest, keys[i].digest, AW_DIGEST_SIZE);
        }
        encode_job(kj, N, &want);
        encode_job(ij, N, &got);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);
        aw_rows_job_free(kj);
        aw_rows_job_free(ij);
    }
    aw_buf_free(&want);
    aw_buf_free(&got);

    /* Bad input: nothing made, the message says what. */
    aw_rows_job *job = (aw_rows_job *)1;
    assert_int_equal(aw_rows_read_ids_job_new(NULL, NULL, "s", ids, 3, NULL, 0, dt, rows,
                                              sizeof rows, NULL, NULL, &job, &err), AW_ERR_PARAM);
    assert_null(job);
    assert_int_equal(aw_rows_read_ids_job_new(NULL, "", "s", ids, 3, NULL, 0, dt, rows,
                                              sizeof rows, NULL, NULL, &job, &err),
                     AW_ERR_BAD_NAME);
    char long_set[80];
    memset(long_set, 'x', 64);
    long_set[64] = '\0';
    assert_int_equal(aw_rows_read_ids_job_new(NULL, "test", long_set, ids, 3, NULL, 0, dt, rows,
                                              sizeof rows, NULL, NULL, &job, &err),
                     AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "batch_read_ids_into"));
    assert_int_equal(aw_rows_read_ids_job_new(NULL, "test", "s", NULL, 3, NULL, 0, dt, rows,
                                              sizeof rows, NULL, NULL, &job, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "NULL ids"));
    assert_int_equal(aw_rows_read_ids_job_new(NULL, "test", "s", ids, 3, NULL, 0, dt, rows,
                                              3 * isz - 1, NULL, NULL, &job, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_rows_read_ids_job_new(NULL, "test", "s", ids, 3, NULL, 0, NULL, rows,
                                              sizeof rows, NULL, NULL, &job, &err), AW_ERR_PARAM);
    assert_null(job);
    /* n == 0: fine, with NULL ids and rows; set NULL: no set. */
    assert_int_equal(aw_rows_read_ids_job_new(NULL, "test", NULL, NULL, 0, NULL, 0, dt, NULL, 0,
                                              NULL, NULL, &job, &err), AW_OK);
    aw_rows_job_free(job);
    aw_dtype_free(dt);
}

/* No allocation per row: decoding 1000 rows allocates nothing. */
static void test_no_allocation_per_row(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('a','<i4'),('s','|S8'),('e','<f4',(8,))]", false);
    aw_row_plan *p = plan_of(dt);
    reply r;
    reply_begin(&r, 0, 1, 0, 0);
    put_int(&r, "a", 1);
    put_str(&r, "s", "x");
    float e[8] = {0};
    put_blob(&r, "e", e, sizeof e);
    const aw_msg_view *m = reply_end(&r);
    uint8_t *rows = calloc(1000, p->itemsize);
    int32_t codes[1000];
    aw_row_meta meta[1000];
    aw_rows_sink_ctx c = {p, rows, meta, codes, 0};
    tu_failalloc_on(1); /* the first allocation would fail */
    for (size_t i = 0; i < 1000; i++)
        aw_rows_sink_row(&c, i, 0, false, m, NULL);
    long allocs = tu_failalloc_count();
    tu_failalloc_off();
    assert_int_equal(allocs, 0);
    for (size_t i = 0; i < 1000; i++)
        assert_int_equal(codes[i], 0);
    free(rows);
    reply_free(&r);
    aw_row_plan_free(p);
    aw_dtype_free(dt);
}

/* Jobs hold nothing that grows with n: the same allocations, none large,
 * for 10 rows and for 200,000. And every allocation failure is clean. */
static size_t max_alloc;
static long n_allocs;
static void *track_malloc(size_t n, void *ctx) {
    (void)ctx;
    n_allocs++;
    if (n > max_alloc)
        max_alloc = n;
    return malloc(n);
}
static void *track_realloc(void *p, size_t n, void *ctx) {
    (void)ctx;
    n_allocs++;
    if (n > max_alloc)
        max_alloc = n;
    return realloc(p, n);
}
static void track_free(void *p, void *ctx) {
    (void)ctx;
    free(p);
}

static void test_jobs_memory_bounded(void **state) {
    (void)state;
    aw_dtype *dt = parse("[('_key','<i8'),('_ttl','<i4'),('t','<f8'),('e','>f4',(16,))]", false);
    size_t isz = aw_dtype_itemsize(dt);
    const size_t big = 200000;
    uint8_t *rows = calloc(big, isz);
    aw_key *keys = calloc(big, sizeof *keys);
    int32_t *codes = calloc(big, sizeof *codes);
    aw_error err;
    for (size_t i = 0; i < big; i++)
        assert_int_equal(aw_key_init_int(&keys[i], "test", "s", (int64_t)i, &err), AW_OK);
    long counts[3][2];
    aw_allocator tr = {track_malloc, track_realloc, track_free, NULL};
    for (int k = 0; k < 2; k++) {
        size_t n = k ? big : 10;
        aw_rows_job *job;
        aw_set_allocator(&tr);
        max_alloc = 0;
        n_allocs = 0;
        int rc = aw_rows_write_job_new(NULL, rows, n * isz, n, dt, "test", "s", NULL, codes, NULL,
                                       NULL, &job, &err);
        counts[0][k] = n_allocs;
        size_t wmax = max_alloc;
        aw_set_allocator(NULL);
        assert_int_equal(rc, AW_OK);
        assert_true(wmax < 4096);
        assert_non_null(job->src.key(job->src.ctx, n - 1));
        aw_rows_job_free(job);

        aw_set_allocator(&tr);
        max_alloc = 0;
        n_allocs = 0;
        rc = aw_rows_read_job_new(NULL, keys, n, NULL, 0, dt, rows, n * isz, NULL, codes, &job,
                                  &err);
        counts[1][k] = n_allocs;
        size_t rmax = max_alloc;
        aw_set_allocator(NULL);
        assert_int_equal(rc, AW_OK);
        assert_true(rmax < 4096);
        aw_rows_job_free(job);

        /* a read of ids: no digest buffer of n either */
        static int64_t ids[200000];
        assert_true(n <= sizeof ids / sizeof ids[0]);
        aw_set_allocator(&tr);
        max_alloc = 0;
        n_allocs = 0;
        rc = aw_rows_read_ids_job_new(NULL, "test", "s", ids, n, NULL, 0, dt, rows, n * isz, NULL,
                                      codes, &job, &err);
        counts[2][k] = n_allocs;
        size_t imax = max_alloc;
        assert_int_equal(rc, AW_OK);
        assert_non_null(job->src.key(job->src.ctx, n - 1)); /* digests made: nothing allocated */
        assert_int_equal(n_allocs, counts[2][k]);
        aw_set_allocator(NULL);
        assert_true(imax < 4096);
        aw_rows_job_free(job);
    }
    assert_int_equal(counts[0][0], counts[0][1]);
    assert_int_equal(counts[1][0], counts[1][1]);
    assert_int_equal(counts[2][0], counts[2][1]);

    /* The Nth allocation failing, for every N: AW_ERR_NOMEM, no job, no leak. */
    static const int64_t ids10[10];
    for (int which = 0; which < 3; which++) {
        for (long f = 1;; f++) {
            aw_rows_job *job = (aw_rows_job *)1;
            tu_failalloc_on(f);
            int rc = which == 2 ? aw_rows_read_ids_job_new(NULL, "test", "s", ids10, 10, NULL, 0,
                                                           dt, rows, 10 * isz, NULL, codes, &job,
                                                           &err)
                     : which  ? aw_rows_read_job_new(NULL, keys, 10, NULL, 0, dt, rows, 10 * isz,
                                                     NULL, codes, &job, &err)
                              : aw_rows_write_job_new(NULL, rows, 10 * isz, 10, dt, "test", "s",
                                                      NULL, codes, NULL, NULL, &job, &err);
            tu_failalloc_off();
            if (rc == AW_OK) {
                aw_rows_job_free(job);
                break;
            }
            assert_int_equal(rc, AW_ERR_NOMEM);
            assert_null(job);
        }
    }
    free(rows);
    free(keys);
    free(codes);
    aw_dtype_free(dt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_to_int_every_width),
        cmocka_unit_test(test_int_truncation_spelled_out),
        cmocka_unit_test(test_float_to_float),
        cmocka_unit_test(test_int_to_float),
        cmocka_unit_test(test_float_to_int_truncate_saturate),
        cmocka_unit_test(test_bools),
        cmocka_unit_test(test_s_and_v),
        cmocka_unit_test(test_blob_to_subarray),
        cmocka_unit_test(test_big_endian_fields),
        cmocka_unit_test(test_type_mismatch),
        cmocka_unit_test(test_bad_particle_sizes),
        cmocka_unit_test(test_missing_bin_and_null_particle),
        cmocka_unit_test(test_missing_record_and_errors),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_order_and_lookup),
        cmocka_unit_test(test_padding_and_underscore_fields_zeroed),
        cmocka_unit_test(test_plan_errors_and_filter),
        cmocka_unit_test(test_plan_alloc_failures),
        cmocka_unit_test(test_half_exhaustive),
        cmocka_unit_test(test_captured_batch_replies),
        cmocka_unit_test(test_write_source_round_trip),
        cmocka_unit_test(test_write_keys_and_bad_input),
        cmocka_unit_test(test_read_source_and_bad_input),
        cmocka_unit_test(test_read_ids_source_and_bad_input),
        cmocka_unit_test(test_no_allocation_per_row),
        cmocka_unit_test(test_jobs_memory_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
