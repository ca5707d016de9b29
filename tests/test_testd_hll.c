/*
 * aw-testd's HLL ops where the official client's capture shows nothing
 * (test_testd_cdt_replay replays the captured ones): the hash against
 * MurmurHash3's published answers, the register layout, fold, counts and
 * HyperMinHash similarity worked out by hand from the server's formulas, the
 * element bytes it hashes, the cached count, and the error codes. Each case
 * cites the code of as/src/base/particle_hll.c (aerospike-server 8.1) it
 * follows; the ones marked "CE 8.1.2.0" were also sent to that server and
 * answered the same.
 *
 * Most cases call td_hll_eval, the value-level entry that the record ops
 * share; the ones about bins written whole go through a running aw-testd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "hll.h"
#include "hll_sketch.h"
#include "proto/msgpack.h"
#include "proto/particle.h"
#include "proto/request.h"
#include "support/testd_proc.h"
#include "support/testd_req.h"
#include "support/testutil.h"

static tu_testd server;
static aw_arena arena;

static int setup(void **state) {
    (void)state;
    aw_arena_init(&arena, 0);
    const char *args[] = {"--namespaces", "test", NULL};
    return tu_testd_start(&server, args);
}

static int teardown(void **state) {
    (void)state;
    aw_arena_free(&arena);
    return tu_testd_stop_group(&server);
}

/* ---- building HLLs and ops by hand ---- */

#define MAX_HLL (11 + (6 + 51) * 65536 / 8)

/* The layout of hll_t, written independently of aw-testd's code: 11 header
 * bytes, then 2^ib registers of 6 + mb bits, bit by bit from the top bit of
 * the first register byte. Returns the size. */
static uint32_t pack(uint8_t *h, unsigned ib, unsigned mb, const uint64_t *regs) {
    unsigned n_bits = 6 + mb;
    uint32_t n = 1u << ib, size = 11 + (n_bits * n + 7) / 8;
    memset(h, 0, size);
    h[1] = (uint8_t)ib;
    h[2] = (uint8_t)mb;
    for (uint32_t r = 0; r < n; r++)
        for (unsigned i = 0; i < n_bits; i++)
            if ((regs[r] >> (n_bits - 1 - i)) & 1) {
                uint32_t bit = r * n_bits + i;
                h[11 + bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
            }
    return size;
}

/* Runs op (hex msgpack) on *hll through td_hll_eval. */
static int eval(aw_value *hll, bool modify, const char *op_hex, aw_value *result) {
    size_t n;
    uint8_t *op = tu_hex_decode(op_hex, &n);
    int rc = td_hll_eval(hll, op, n, modify, result, &arena);
    free(op);
    return rc;
}

/* Runs [code, [hlls...]] (and flags when >= 0) on *hll. */
static int eval_hlls(aw_value *hll, bool modify, int code, const aw_value *hlls, uint32_t n,
                     int flags, aw_value *result) {
    aw_buf op;
    aw_buf_init(&op);
    aw_mp_put_array_header(&op, flags >= 0 ? 3 : 2);
    aw_mp_put_int(&op, code);
    aw_mp_put_array_header(&op, n);
    for (uint32_t i = 0; i < n; i++)
        aw_mp_put_particle_bytes(&op, AW_PARTICLE_HLL, hlls[i].u.bytes, hlls[i].len);
    if (flags >= 0)
        aw_mp_put_int(&op, flags);
    assert_true(aw_buf_ok(&op));
    int rc = td_hll_eval(hll, op.data, op.len, modify, result, &arena);
    aw_buf_free(&op);
    return rc;
}

/* Adds one element (its msgpack bytes, hex) to *hll; returns ADD's count. */
static int64_t add_one(aw_value *hll, const char *element_hex) {
    char op[256];
    snprintf(op, sizeof op, "9501" "91%s" "08" "ff" "00", element_hex);
    aw_value r;
    assert_int_equal(eval(hll, true, op, &r), AW_OK);
    assert_int_equal(r.type, AW_INT);
    return r.u.i;
}

static aw_value hll_of(uint8_t *h, uint32_t len) { return aw_value_hll(h, len); }

static void assert_hll_bytes(const aw_value *got, const uint8_t *want, uint32_t len) {
    assert_int_equal(got->type, AW_BLOB);
    assert_int_equal(got->subtype, AW_PARTICLE_HLL);
    assert_int_equal(got->len, len);
    if (memcmp(got->u.bytes, want, len) != 0)
        fail_msg("HLL %s, want %s", tu_hex_encode(got->u.bytes, len), tu_hex_encode(want, len));
}

/* ---- the hash ---- */

/* hmh_hash: MurmurHash3 x64-128, seed 0 (cf_hash_math.h); the register is
 * the low ib bits of the first word, the minhash its next mb bits, the HLL
 * value the second word's trailing zero count + 1. The words are the
 * published MurmurHash3_x64_128 answers for these strings (as SMHasher's
 * reference code gives them; e.g. the Go murmur3 package's test table). */
static void test_hash_known_answers(void **state) {
    (void)state;
    static const struct {
        const char *s;
        uint64_t h1, h2;
    } vectors[] = {
        {"hello", 0xcbd8a7b341bd9b02ull, 0x5b1e906a48ae1d19ull},
        {"hello, world", 0x342fac623a5ebc8eull, 0x4cdcbc079642414dull},
        {"19 Jan 2038 at 3:14:07 AM", 0xb89e5988b737affcull, 0x664fc2950231b2cbull},
        {"The quick brown fox jumps over the lazy dog.", 0xcd99481f9ee902c9ull,
         0x695da1a38987b6e7ull},
    };
    static const unsigned layouts[][2] = {{16, 48}, {4, 0}, {10, 51}};
    for (size_t v = 0; v < sizeof vectors / sizeof *vectors; v++) {
        for (size_t l = 0; l < sizeof layouts / sizeof *layouts; l++) {
            unsigned ib = layouts[l][0], mb = layouts[l][1];
            uint8_t h[3] = {0, (uint8_t)ib, (uint8_t)mb};
            uint32_t reg;
            uint64_t value;
            td_hll_hash(h, (const uint8_t *)vectors[v].s, strlen(vectors[v].s), &reg, &value);
            unsigned zeros = 0;
            while (!((vectors[v].h2 >> zeros) & 1))
                zeros++;
            uint64_t minhash = (vectors[v].h1 >> ib) & ((1ull << mb) - 1);
            assert_int_equal(reg, vectors[v].h1 & ((1u << ib) - 1));
            assert_int_equal(value, ((uint64_t)(zeros + 1) << mb) | minhash);
        }
    }
}

/* hll_parse_elements: an element is hashed as its msgpack bytes once
 * msgpack_compactify has put them in their shortest form, so 5 sent as
 * cc 05 or d1 00 05, "a" behind a bin 8, str 8 or str 16 header, -16 as
 * d0 f0 and a 1-byte ext as ext 8 are the elements already added: nothing
 * changes (CE 8.1.2.0 answered 0 to each too). */
static void test_elements_hashed_compact(void **state) {
    (void)state;
    aw_value h = aw_value_nil(), r;
    assert_int_equal(eval(&h, true, "94000800" "00", &r), AW_OK); /* INIT(8, 0) */
    static const char *const compact[] = {"05", "a20361", "f0", "d40500"};
    for (size_t i = 0; i < sizeof compact / sizeof *compact; i++)
        assert_int_equal(add_one(&h, compact[i]), 1);
    static const char *const longer[] = {"cc05",   "d10005",     "c4020361", "d9020361",
                                         "da00020361", "d0f0", "c7010500"};
    for (size_t i = 0; i < sizeof longer / sizeof *longer; i++)
        if (add_one(&h, longer[i]) != 0)
            fail_msg("%s was hashed as sent, not as its compact form", longer[i]);
}

/* msgpack_parse marks a bin 8 header not compact, then overwrites that
 * with the str 8 rule (len <= 31), so a bin 8 header over 31 bytes stays
 * and hashes unlike the same bytes behind str 8: two different HLLs. */
static void test_long_bin8_element_kept(void **state) {
    (void)state;
    char payload[2 * 32 + 1];
    for (int i = 0; i < 32; i++)
        snprintf(payload + 2 * i, 3, "%02x", i == 0 ? 3 : 'a' + i);
    char as_str[80], as_bin[80];
    snprintf(as_str, sizeof as_str, "d920%s", payload);
    snprintf(as_bin, sizeof as_bin, "c420%s", payload);
    aw_value s = aw_value_nil(), b = aw_value_nil();
    assert_int_equal(add_one(&s, as_str), 1);
    assert_int_equal(add_one(&b, as_bin), 1);
    assert_int_equal(s.len, b.len);
    assert_true(memcmp(s.u.bytes, b.u.bytes, s.len) != 0);
}

/* ---- layout, fold, counts ---- */

/* get_register / set_register read and write an 8-byte window moved back
 * from the registers' end, and hll_union keeps the HLL values (the top 6
 * bits) when the union has no minhash bits. The union of an ib 4 / mb 4 HLL
 * (10-bit registers, the last three in the moved window) with an empty
 * ib 4 / mb 0 one is the 6-bit values alone. */
static void test_register_layout_and_union_to_no_minhash(void **state) {
    (void)state;
    uint64_t with_minhash[16], values[16];
    for (uint32_t r = 0; r < 16; r++) {
        values[r] = (r * 5 + 3) % 64;
        with_minhash[r] = values[r] << 4 | ((r * 7) & 15);
    }
    static uint8_t a[64], want[64];
    aw_value arg = hll_of(a, pack(a, 4, 4, with_minhash));
    uint32_t want_len = pack(want, 4, 0, values);
    aw_value bin = aw_value_nil(), r;
    assert_int_equal(eval(&bin, true, "94000400" "00", &r), AW_OK); /* INIT(4, 0) */
    assert_int_equal(eval_hlls(&bin, false, 51, &arg, 1, -1, &r), AW_OK); /* GET_UNION */
    assert_hll_bytes(&r, want, want_len);
}

/* hll_modify_op_fold: to fewer index bits, register r of the result is the
 * largest HLL value of the registers r + k * 2^ib; to the same bits it is
 * a copy, its cached count included. */
static void test_fold_by_hand(void **state) {
    (void)state;
    uint64_t regs[32], folded[16];
    for (uint32_t r = 0; r < 32; r++)
        regs[r] = (r * 7) % 23;
    for (uint32_t r = 0; r < 16; r++)
        folded[r] = regs[r] > regs[r + 16] ? regs[r] : regs[r + 16];
    static uint8_t five[64], four[64];
    aw_value arg = hll_of(five, pack(five, 5, 0, regs));
    uint32_t four_len = pack(four, 4, 0, folded);
    aw_value bin = aw_value_nil(), r;
    assert_int_equal(eval_hlls(&bin, true, 2, &arg, 1, 0, &r), AW_OK); /* SET_UNION creates it */
    assert_hll_bytes(&bin, five, arg.len);
    assert_int_equal(eval(&bin, true, "920404", &r), AW_OK); /* FOLD(4) */
    assert_hll_bytes(&bin, four, four_len);

    four[3] = 77; /* a cached count */
    aw_value cached = hll_of(four, four_len);
    assert_int_equal(eval(&cached, true, "920404", &r), AW_OK); /* FOLD(4): same bits */
    assert_hll_bytes(&cached, four, four_len);
}

/* hmh_estimate_cardinality (Ertl's estimator): with every register v,
 * z = m / 2^v and sigma(0) = 0, so the count is alpha * m^2 / (m / 2^v) =
 * 2^v * alpha * m: 4 * 0.673 * 16 = 43.07 -> 43 (ib 4, v 2) and
 * 8 * 0.7213 / (1 + 1.079 / 256) * 256 = 1471.02 -> 1471 (ib 8, v 3). An
 * empty HLL counts 0 (sigma(1) is infinite). */
static void test_count_by_hand(void **state) {
    (void)state;
    static uint64_t regs[256];
    for (int i = 0; i < 256; i++)
        regs[i] = 2;
    static uint8_t h[256];
    aw_value v = hll_of(h, pack(h, 4, 0, regs)), r;
    assert_int_equal(eval(&v, false, "9132", &r), AW_OK);
    assert_int_equal(r.u.i, 43);
    for (int i = 0; i < 256; i++)
        regs[i] = 3;
    v = hll_of(h, pack(h, 8, 0, regs));
    assert_int_equal(eval(&v, false, "9132", &r), AW_OK);
    assert_int_equal(r.u.i, 1471);
    v = aw_value_nil();
    assert_int_equal(eval(&v, true, "94000800" "00", &r), AW_OK);
    assert_int_equal(eval(&v, false, "9132", &r), AW_OK);
    assert_int_equal(r.u.i, 0);
}

/* The cached count (bytes 3..10, little-endian): hmh_estimate_cardinality
 * answers it while it is not 0, REFRESH_COUNT keeps it, an ADD that raises
 * a register drops it (hmh_add). CE 8.1.2.0 answered 1234 to a count of an
 * HLL written with that cache. */
static void test_cached_count(void **state) {
    (void)state;
    static uint64_t ones[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    static uint8_t h[64];
    uint32_t len = pack(h, 4, 0, ones);
    h[3] = 0xd2; /* 1234 */
    h[4] = 0x04;
    aw_value v = hll_of(h, len), r;
    assert_int_equal(eval(&v, false, "9132", &r), AW_OK);
    assert_int_equal(r.u.i, 1234);
    assert_int_equal(eval(&v, true, "9103", &r), AW_OK); /* REFRESH_COUNT */
    assert_int_equal(r.u.i, 1234);
    int64_t raised = 0;
    for (int i = 0; i < 64 && !raised; i++) { /* until an element raises a register */
        char e[8];
        snprintf(e, sizeof e, "%02x", i);
        raised = add_one(&v, e);
    }
    assert_int_equal(raised, 1);
    assert_int_equal(eval(&v, false, "9132", &r), AW_OK);
    assert_true(r.u.i != 1234 && r.u.i >= 22);
    assert_int_equal(td_hll_cache(v.u.bytes), 0);
}

/* hmh_estimate_similarity with three sketches (no collision estimate:
 * that is for two): (registers equal in all) / (registers used in the
 * union). A, B, C with ib 4 / mb 4, every register's HLL value 1: B's
 * minhash differs from A's in registers 8..15, C is empty from 12 on. The
 * union uses all 16 and counts 22 (as above), all three agree on 0..7:
 * similarity 8/16, intersection llround(22 * 0.5) = 11
 * (hmh_estimate_intersect_cardinality). */
static void test_minhash_three_sketches_by_hand(void **state) {
    (void)state;
    uint64_t ra[16], rb[16], rc[16];
    for (uint32_t r = 0; r < 16; r++) {
        ra[r] = 1u << 4 | (r & 15);
        rb[r] = r < 8 ? ra[r] : (1u << 4 | ((r + 1) & 15));
        rc[r] = r < 12 ? ra[r] : 0;
    }
    static uint8_t a[32], b[32], c[32];
    aw_value args[] = {hll_of(a, pack(a, 4, 4, ra)), hll_of(b, pack(b, 4, 4, rb))};
    aw_value bin = hll_of(c, pack(c, 4, 4, rc)), r;
    assert_int_equal(eval_hlls(&bin, false, 54, args, 2, -1, &r), AW_OK);
    assert_int_equal(r.type, AW_FLOAT);
    assert_true(r.u.f == 0.5);
    assert_int_equal(eval_hlls(&bin, false, 53, args, 2, -1, &r), AW_OK);
    assert_int_equal(r.u.i, 11);
    assert_int_equal(eval_hlls(&bin, false, 52, args, 2, -1, &r), AW_OK);
    assert_int_equal(r.u.i, 22);
}

/* Two minhash sketches (ib 8 / mb 8) of the integers 0..99 and 50..149:
 * the similarity subtracts hmh_jaccard_estimate_collisions, which no
 * capture shows. CE 8.1.2.0 answered these three values (the double bit
 * for bit) to the same elements. */
static void test_minhash_two_sketches_as_the_server(void **state) {
    (void)state;
    aw_value a = aw_value_nil(), b = aw_value_nil(), r;
    aw_buf op;
    for (int k = 0; k < 2; k++) {
        aw_buf_init(&op);
        aw_mp_put_array_header(&op, 5);
        aw_mp_put_int(&op, 1); /* ADD */
        aw_mp_put_array_header(&op, 100);
        for (int i = 0; i < 100; i++)
            aw_mp_put_int(&op, i + 50 * k);
        aw_mp_put_int(&op, 8);
        aw_mp_put_int(&op, 8);
        aw_mp_put_int(&op, 0);
        assert_int_equal(td_hll_eval(k ? &b : &a, op.data, op.len, true, &r, &arena), AW_OK);
        aw_buf_free(&op);
    }
    assert_int_equal(eval_hlls(&a, false, 52, &b, 1, -1, &r), AW_OK);
    assert_int_equal(r.u.i, 148);
    assert_int_equal(eval_hlls(&a, false, 53, &b, 1, -1, &r), AW_OK);
    assert_int_equal(r.u.i, 55);
    assert_int_equal(eval_hlls(&a, false, 54, &b, 1, -1, &r), AW_OK);
    uint64_t bits;
    memcpy(&bits, &r.u.f, 8);
    assert_int_equal(bits, 0x3fd7c51ea7e80cb9ull);
}

/* hll_read_op_may_contain_all (8.1's code 56): 1 when every element's
 * register is at least its value. */
static void test_may_contain(void **state) {
    (void)state;
    aw_value h = aw_value_nil(), r;
    assert_int_equal(add_one(&h, "05"), 1);
    assert_int_equal(add_one(&h, "a20361"), 1);
    assert_int_equal(eval(&h, false, "9238" "9205a20361", &r), AW_OK);
    assert_int_equal(r.u.i, 1);
    assert_int_equal(eval(&h, false, "9238" "91cc05", &r), AW_OK); /* compacted first */
    assert_int_equal(r.u.i, 1);
    assert_int_equal(eval(&h, false, "9238" "9205a2037a", &r), AW_OK); /* "z" never added */
    assert_int_equal(r.u.i, 0);
}

/* ---- codes ---- */

/* The server's codes for bad ops (hll_state_init, hll_parse_*, the
 * hll_modify flag checks, the prepare functions); a refused op leaves the
 * HLL as it was. */
#define ZEROS_20 "0000000000000000000000000000000000000000"

static void test_error_codes(void **state) {
    (void)state;
    aw_value h = aw_value_nil(), r;
    assert_int_equal(eval(&h, true, "94000800" "00", &r), AW_OK); /* INIT(8, 0) */
    const uint8_t *before = h.u.bytes;
    static const struct {
        const char *what, *op;
        bool modify;
        int code;
    } cases[] = {
        {"a list element", "9501" "919101" "08ff00", true, AW_ERR_REQUEST_INVALID},
        {"a map element", "9501" "91810102" "08ff00", true, AW_ERR_REQUEST_INVALID},
        {"no elements", "9501" "90" "08ff00", true, AW_ERR_REQUEST_INVALID},
        {"a reserved byte", "9501" "91c1" "08ff00", true, AW_ERR_REQUEST_INVALID},
        {"index bits 3", "9400" "03" "0000", true, AW_ERR_REQUEST_INVALID},
        {"index bits 17", "9400" "11" "0000", true, AW_ERR_REQUEST_INVALID},
        {"index bits -2", "9400" "fe" "0000", true, AW_ERR_REQUEST_INVALID},
        {"minhash bits 3", "9400" "08" "0300", true, AW_ERR_REQUEST_INVALID},
        {"minhash bits 52", "9400" "08" "3400", true, AW_ERR_REQUEST_INVALID},
        {"16 + 49 bits", "9400" "10" "3100", true, AW_ERR_REQUEST_INVALID},
        {"CREATE_ONLY|UPDATE_ONLY", "9400" "08" "0003", true, AW_ERR_REQUEST_INVALID},
        {"ADD with UPDATE_ONLY", "9501" "9101" "08ff02", true, AW_ERR_REQUEST_INVALID},
        {"SET_UNION flag 16", "9302" "91" "d918" "12000400" ZEROS_20 "10", true,
         AW_ERR_REQUEST_INVALID}, /* [2, [an empty ib 4 HLL], 16] */
        {"modify code 5", "9105", true, AW_ERR_REQUEST_INVALID},
        {"read code 57", "9139", false, AW_ERR_REQUEST_INVALID},
        {"a read code as modify", "9132", true, AW_ERR_REQUEST_INVALID},
        {"a context wrapper", "93ccff92100091" "32", false, AW_ERR_REQUEST_INVALID},
        {"GET_COUNT with an argument", "923201", false, AW_ERR_REQUEST_INVALID},
        {"FOLD with -1", "9204ff", true, AW_ERR_OP_NOT_APPLICABLE},
        {"FOLD to more bits", "920409", true, AW_ERR_OP_NOT_APPLICABLE},
        {"minhash bits 57", "9400ff" "3900", true, AW_ERR_REQUEST_INVALID},
        {"CREATE_ONLY on the HLL", "9400" "08" "0001", true, AW_ERR_BIN_EXISTS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        aw_value v = h;
        int rc = eval(&v, cases[i].modify, cases[i].op, &r);
        if (rc != cases[i].code)
            fail_msg("%s: %d, want %d", cases[i].what, rc, cases[i].code);
        assert_ptr_equal(v.u.bytes, before);
    }
    /* Trailing bytes after the op's arguments are not looked at. */
    assert_int_equal(eval(&h, false, "913205", &r), AW_OK);
    /* NO_FAIL turns CREATE_ONLY on an existing HLL into a no-op. */
    assert_int_equal(eval(&h, true, "9400" "08" "0005", &r), AW_OK);
    assert_ptr_equal(h.u.bytes, before);
    assert_int_equal(r.type, AW_NIL);
}

/* hll_modify_prepare_*: the bin-dependent refusals, which NO_FAIL does not
 * excuse (only the CREATE_ONLY / UPDATE_ONLY ones are). */
static void test_prepare_codes(void **state) {
    (void)state;
    aw_value missing = aw_value_nil(), r;
    /* ADD / INIT creating without index bits: 26, NO_FAIL or not. */
    assert_int_equal(eval(&missing, true, "9501" "9101" "ffff04", &r), AW_ERR_OP_NOT_APPLICABLE);
    assert_int_equal(eval(&missing, true, "9100", &r), AW_ERR_OP_NOT_APPLICABLE);
    /* UPDATE_ONLY on nothing: 17, a no-op under NO_FAIL. */
    assert_int_equal(eval(&missing, true, "9400" "08" "0002", &r), AW_ERR_BIN_NOT_FOUND);
    assert_int_equal(eval(&missing, true, "9400" "08" "0006", &r), AW_OK);
    assert_int_equal(missing.type, AW_NIL);
    /* REFRESH_COUNT and FOLD cannot create: 17. */
    assert_int_equal(eval(&missing, true, "9103", &r), AW_ERR_BIN_NOT_FOUND);
    assert_int_equal(eval(&missing, true, "920404", &r), AW_ERR_BIN_NOT_FOUND);
    /* A read of nothing answers nothing, whatever the op (rw_utils.c). */
    assert_int_equal(eval(&missing, false, "9139", &r), AW_OK);
    assert_int_equal(r.type, AW_NIL);

    /* INIT without arguments on an existing HLL keeps its bits; with only
     * minhash bits, ones that no longer fit its index bits are 26. */
    aw_value h = aw_value_nil();
    assert_int_equal(eval(&h, true, "94000a" "1400", &r), AW_OK); /* INIT(10, 20) */
    assert_int_equal(eval(&h, true, "9100", &r), AW_OK);
    assert_int_equal(h.u.bytes[1], 10);
    assert_int_equal(h.u.bytes[2], 20);
    aw_value big = aw_value_nil();
    assert_int_equal(eval(&big, true, "940010" "0000", &r), AW_OK); /* INIT(16, 0) */
    assert_int_equal(eval(&big, true, "9400ff" "3304", &r), AW_ERR_OP_NOT_APPLICABLE); /* 16+51 */
    /* FOLD of an HLL with minhash bits: 26. */
    assert_int_equal(eval(&h, true, "920408", &r), AW_ERR_OP_NOT_APPLICABLE);

    /* SET_UNION without ALLOW_FOLD: an argument with fewer index bits, or
     * other minhash bits than the bin's (non-zero) ones, is 26; ALLOW_FOLD
     * takes the smaller bits and minhash 0. */
    aw_value small = aw_value_nil();
    assert_int_equal(eval(&small, true, "940008" "0000", &r), AW_OK); /* INIT(8, 0) */
    assert_int_equal(eval_hlls(&h, true, 2, &small, 1, 0, &r), AW_ERR_OP_NOT_APPLICABLE);
    assert_int_equal(eval_hlls(&h, true, 2, &small, 1, 4, &r), AW_ERR_OP_NOT_APPLICABLE);
    assert_int_equal(eval_hlls(&h, true, 2, &small, 1, 8, &r), AW_OK);
    assert_int_equal(h.u.bytes[1], 8);
    assert_int_equal(h.u.bytes[2], 0);
}

/* hll_parse_hlls_intersect / hll_read_prepare_intersect: past two HLLs,
 * intersect and similarity need one non-zero minhash bit count (4 among
 * the arguments) that the bin shares (26). */
static void test_intersect_bit_rules(void **state) {
    (void)state;
    aw_value m4 = aw_value_nil(), m5 = aw_value_nil(), m0 = aw_value_nil(), r;
    assert_int_equal(eval(&m4, true, "940008" "0400", &r), AW_OK);
    assert_int_equal(eval(&m5, true, "940008" "0500", &r), AW_OK);
    assert_int_equal(eval(&m0, true, "940008" "0000", &r), AW_OK);
    aw_value mixed[] = {m4, m4, m5}, zeros[] = {m0, m0, m0}, fours[] = {m4, m4, m4};
    assert_int_equal(eval_hlls(&m4, false, 53, mixed, 3, -1, &r), AW_ERR_REQUEST_INVALID);
    assert_int_equal(eval_hlls(&m0, false, 54, zeros, 3, -1, &r), AW_ERR_REQUEST_INVALID);
    assert_int_equal(eval_hlls(&m5, false, 53, fours, 3, -1, &r), AW_ERR_OP_NOT_APPLICABLE);
    assert_int_equal(eval_hlls(&m4, false, 53, fours, 3, -1, &r), AW_OK);
    /* Two arguments may differ (three sketches in all). */
    assert_int_equal(eval_hlls(&m0, false, 53, mixed, 2, -1, &r), AW_OK);
    /* Empty minhash sketches: similarity NaN, intersection 0. */
    assert_int_equal(eval_hlls(&m4, false, 54, fours, 1, -1, &r), AW_OK);
    assert_true(isnan(r.u.f));
    /* An HLL argument of the wrong size: 4. */
    aw_value cut = m4;
    cut.len--;
    assert_int_equal(eval_hlls(&m4, false, 52, &cut, 1, -1, &r), AW_ERR_REQUEST_INVALID);
}

/* hll_verify_bin comes before the arguments are parsed: a value of another
 * type is 12 even for a malformed op; a malformed op code is 4 first. */
static void test_wrong_type_before_arguments(void **state) {
    (void)state;
    static const uint8_t bytes[] = {1, 2, 3};
    aw_value blob = aw_value_blob(bytes, sizeof bytes), i = aw_value_int(7), r;
    assert_int_equal(eval(&blob, true, "9501" "90" "08ff00", &r), AW_ERR_BIN_INCOMPATIBLE_TYPE);
    assert_int_equal(eval(&i, false, "923201", &r), AW_ERR_BIN_INCOMPATIBLE_TYPE);
    assert_int_equal(eval(&i, false, "9105", &r), AW_ERR_REQUEST_INVALID);
}

/* ---- bins written whole ---- */

static int put_hll(const char *bin, const uint8_t *h, uint32_t len) {
    aw_key k;
    assert_int_equal(aw_key_init_str(&k, "test", "hll", "whole", NULL), AW_OK);
    tu_raw_op op = {AW_OP_WRITE, AW_PT_HLL, bin, strlen(bin), h, len};
    aw_buf req;
    aw_buf_init(&req);
    tu_raw_request(&req, &k, false, 0, AW_INFO2_WRITE, 0, 0, 0, &op, 1);
    tu_reply r;
    int rc = tu_exec_free(server.ports[0], &req, &r);
    tu_reply_free(&r);
    return rc;
}

/* hll_from_wire: an HLL particle written whole must have flags 0, bit
 * counts in range and their size, else 4 and nothing is stored (CE 8.1.2.0
 * too); a good one is stored as sent, cached count included, and its ops
 * answer from it. */
static void test_hll_written_whole(void **state) {
    (void)state;
    static uint64_t ones[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    uint8_t h[64], bad[64];
    uint32_t len = pack(h, 4, 0, ones);
    h[3] = 0xd2; /* cached count 1234 */
    h[4] = 0x04;
    memcpy(bad, h, len);
    bad[0] = 1;
    assert_int_equal(put_hll("h", bad, len), AW_ERR_REQUEST_INVALID);
    assert_int_equal(put_hll("h", h, len - 1), AW_ERR_REQUEST_INVALID);
    assert_int_equal(put_hll("h", h, 2), AW_ERR_REQUEST_INVALID);
    bad[0] = 0;
    bad[1] = 3;
    assert_int_equal(put_hll("h", bad, len), AW_ERR_REQUEST_INVALID);
    bad[1] = 4;
    bad[2] = 60;
    assert_int_equal(put_hll("h", bad, len), AW_ERR_REQUEST_INVALID);
    assert_int_equal(put_hll("h", h, len), AW_OK);

    aw_key k;
    assert_int_equal(aw_key_init_str(&k, "test", "hll", "whole", NULL), AW_OK);
    aw_op ops[] = {aw_op_read("h"), aw_op_hll_get_count("h")};
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_operate(&req, &k, ops, 2, NULL, &err), AW_OK);
    tu_reply r;
    assert_int_equal(tu_exec_free(server.ports[0], &req, &r), AW_OK);
    assert_int_equal(r.n_ops, 2);
    assert_int_equal(r.ops[0].particle, AW_PT_HLL);
    assert_int_equal(r.ops[0].value_len, len);
    assert_memory_equal(r.ops[0].value, h, len);
    assert_int_equal(aw_load_u64be(r.ops[1].value), 1234);
    tu_reply_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_known_answers),
        cmocka_unit_test(test_elements_hashed_compact),
        cmocka_unit_test(test_long_bin8_element_kept),
        cmocka_unit_test(test_register_layout_and_union_to_no_minhash),
        cmocka_unit_test(test_fold_by_hand),
        cmocka_unit_test(test_count_by_hand),
        cmocka_unit_test(test_cached_count),
        cmocka_unit_test(test_minhash_three_sketches_by_hand),
        cmocka_unit_test(test_minhash_two_sketches_as_the_server),
        cmocka_unit_test(test_may_contain),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_prepare_codes),
        cmocka_unit_test(test_intersect_bit_rules),
        cmocka_unit_test(test_wrong_type_before_arguments),
        cmocka_unit_test(test_hll_written_whole),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
