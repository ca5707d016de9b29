/* Whole arrays as records (aerowire/array.h) against aw-testd: round trips
 * of every kind of dtype and 0..4 dimensions, inline and chunked,
 * compressed or not; row ranges; attributes; open touching the header
 * only; overwrites leaving no stale chunks; readers never seeing a mix;
 * damaged, missing and half-written state found and named or cleaned;
 * bad input; numpy (Debian's /usr/bin/python3) loading what we export;
 * and, on three nodes, a node killed in the middle of a put. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "numpy/array_internal.h"
#include "support/pyrun.h"
#include "support/testutil.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

#define NS "test"
#define SET "arr"

static tu_testd srv;
static aw_client *client;
static char g_dir[64];

static int start(int nodes) {
    snprintf(g_dir, sizeof g_dir, "/tmp/aw-test-array-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    if (tu_testd_start_nodes(&srv, nodes, NULL) != 0)
        return -1;
    aw_config cfg = tu_client_config(&srv, 100);
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    return tu_wait_nodes(client, (size_t)nodes, 3000) == (size_t)nodes ? 0 : -1;
}
static int start_one(void **state) { return start(1); }
static int start_three(void **state) { return start(3); }
static int stop(void **state) {
    aw_client_close(client);
    client = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        return -1;
    return tu_testd_stop_group(&srv);
}

static const char *tpath(const char *name) { return tu_path(g_dir, name); }

/* ---- helpers ---------------------------------------------------------------------- */

static aw_key key_of(const char *name) { return tu_key(NS, SET, name); }

static aw_dtype *dtype(const char *spec) {
    aw_dtype *dt = NULL;
    aw_error err;
    if (aw_dtype_parse_flags(spec, AW_DTYPE_ARRAY, &dt, &err) != AW_OK)
        fail_msg("dtype %s: %s", spec, err.message);
    return dt;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed) {
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)(x >> 24);
    }
}

static uint64_t elements(const uint64_t *shape, uint32_t ndim) {
    uint64_t n = 1;
    for (uint32_t k = 0; k < ndim; k++)
        n *= shape[k];
    return n;
}

static aw_array_opts opts_of(uint32_t chunk, bool compress) {
    aw_array_opts o = {0};
    o.chunk_bytes = chunk;
    o.compress = compress;
    return o;
}

static void put_ok(const aw_key *k, const void *data, size_t nbytes, const aw_dtype *dt,
                   const uint64_t *shape, uint32_t ndim, const aw_array_opts *o) {
    aw_error err;
    int rc = aw_array_put(client, NULL, k, data, nbytes, dt, shape, ndim, NULL, 0, o, &err);
    tu_check(rc, &err, "aw_array_put");
}

static aw_array_ref *open_ok(const aw_key *k) {
    aw_array_ref *ref = NULL;
    aw_error err;
    tu_check(aw_array_open(client, NULL, k, &ref, &err), &err, "aw_array_open");
    return ref;
}

static bool record_exists(const aw_key *k) {
    bool ex = false;
    aw_error err;
    tu_check(aw_exists(client, NULL, k, &ex, &err), &err, "exists");
    return ex;
}

static aw_key chunk_key(const aw_key *k, uint64_t version, uint32_t i, uint8_t *blob) {
    aw_key ck;
    aw_error err;
    tu_check(aw_array_chunk_key(k, version, i, blob, &ck, &err), &err, "chunk key");
    return ck;
}

static size_t count_chunks(const aw_key *k, uint64_t version, uint32_t n) {
    size_t found = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE];
        aw_key ck = chunk_key(k, version, i, blob);
        found += record_exists(&ck);
    }
    return found;
}

static bool all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* The header record's aw_pend bin, or NULL (into rec). */
static const aw_value *header_bin(const aw_key *k, const char *bin, aw_record *rec) {
    aw_error err;
    tu_check(aw_get(client, NULL, k, NULL, 0, rec, &err), &err, "get header");
    return aw_record_get(rec, bin);
}

/* ---- round trips -------------------------------------------------------------------- */

static const char *const KINDS[] = {
    "<i1", "<i2", "<i4", "<i8", "<u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "|b1",
    "<c8", "<c16", ">i4", ">c16", "|S7", "|V5",
    "[('a', '<i4'), ('b', '<f8', (2, 3)), ('c', '|S3'), ('z', '<c8'), ('ok', '|b1')]",
    "[('x', '<u2'), ('', '|V2'), ('a_rather_long_field_name', '>f4', (3,))]",
};

static void round_trip(const char *spec, const uint64_t *shape, uint32_t ndim, uint32_t chunk,
                       bool compress, int case_no) {
    aw_dtype *dt = dtype(spec);
    size_t isz = aw_dtype_itemsize(dt);
    size_t n = (size_t)(elements(shape, ndim) * isz);
    uint8_t *data = malloc(n + 1);
    fill_random(data, n, (uint64_t)case_no);
    if (compress && n > 8)
        memset(data, 7, n / 2); /* something to compress */
    char name[32];
    snprintf(name, sizeof name, "rt-%d", case_no);
    aw_key k = key_of(name);
    aw_array_opts o = opts_of(chunk, compress);
    put_ok(&k, data, n, dt, shape, ndim, &o);

    aw_array_ref *ref = open_ok(&k);
    assert_int_equal(aw_array_ndim(ref), ndim);
    for (uint32_t d = 0; d < ndim; d++)
        assert_int_equal(aw_array_shape(ref)[d], shape[d]);
    assert_int_equal(aw_array_nbytes(ref), n);
    assert_int_equal(aw_array_size(ref), elements(shape, ndim));
    assert_int_equal(aw_dtype_itemsize(aw_array_dtype(ref)), isz);
    char *descr = aw_dtype_descr(dt);
    assert_string_equal(aw_array_descr(ref), descr);
    aw_free(descr);
    assert_int_equal(aw_array_format(ref), AW_ARRAY_FORMAT);
    assert_int_equal(aw_array_chunk_bytes(ref), chunk ? chunk : AW_ARRAY_DEFAULT_CHUNK);
    uint32_t cb = aw_array_chunk_bytes(ref);
    assert_int_equal(aw_array_n_chunks(ref), n <= cb ? 0 : (n + cb - 1) / cb);
    assert_int_equal(aw_array_compressed(ref), compress);

    uint8_t *back = malloc(n + 1);
    memset(back, 0xee, n + 1);
    aw_error err;
    tu_check(aw_array_read(client, ref, back, n + 1, &err), &err, "aw_array_read");
    if (memcmp(back, data, n) != 0)
        fail_msg("%s: read back differs (ndim %u, chunk %u, compress %d)", spec, ndim, chunk,
                 compress);
    assert_int_equal(back[n], 0xee); /* nothing past nbytes */

    aw_array_ref *ref2 = NULL;
    void *got = NULL;
    tu_check(aw_array_get(client, NULL, &k, &ref2, &got, &err), &err, "aw_array_get");
    assert_memory_equal(got, data, n);
    aw_free(got);
    aw_array_ref_free(ref2);
    aw_array_ref_free(ref);
    free(back);
    free(data);
    aw_dtype_free(dt);
}

static void test_round_trip_kinds(void **state) {
    static const uint64_t shapes[][4] = {{0}, {5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 5}};
    int case_no = 0;
    for (size_t s = 0; s < sizeof KINDS / sizeof KINDS[0]; s++)
        for (uint32_t nd = 0; nd <= 4; nd++)
            for (int mode = 0; mode < 4; mode++) {
                /* inline (default chunk) or 64-byte chunks; compressed or not */
                uint32_t chunk = mode & 1 ? 64 : 0;
                round_trip(KINDS[s], shapes[nd], nd, chunk, mode & 2, case_no++);
            }
}

static void test_round_trip_large(void **state) {
    /* 8 MiB of f4 in default chunks, and compressed; then chunks just
     * under aw-testd's 1 MiB record limit. */
    uint64_t shape[2] = {2048, 1024};
    round_trip("<f4", shape, 2, 0, false, 1000);
    round_trip("<f4", shape, 2, 0, true, 1001);
    round_trip("<f8", shape, 2, 1000000, false, 1002);
}

/* A put whose chunks the server refuses fails with the row's code and
 * changes nothing: the array reads as before, no chunk of it is left. */
static void test_failed_put_changes_nothing(void **state) {
    aw_dtype *dt = dtype("<u1");
    uint64_t shape[1] = {3u << 20};
    uint8_t *a = malloc(3u << 20), *b = malloc(3u << 20);
    memset(a, 1, 3u << 20);
    fill_random(b, 3u << 20, 3); /* incompressible: chunks stay 1 MiB */
    aw_key k = key_of("too-big");
    aw_array_opts o = opts_of(100000, false);
    put_ok(&k, a, 3u << 20, dt, shape, 1, &o);
    aw_array_ref *ref = open_ok(&k);
    o = opts_of(1u << 20, true); /* a whole 1 MiB and its bins: over the limit */
    aw_error err;
    int rc = aw_array_put(client, NULL, &k, b, 3u << 20, dt, shape, 1, NULL, 0, &o, &err);
    assert_int_equal(rc, AW_ERR_RECORD_TOO_BIG);
    if (!strstr(err.message, "chunk 0 of 3 (digest "))
        fail_msg("message: %s", err.message);
    assert_false(err.in_doubt);
    aw_array_ref *now = open_ok(&k);
    assert_int_equal(aw_array_version(now), aw_array_version(ref));
    tu_check(aw_array_read(client, now, b, 3u << 20, &err), &err, "read the old array");
    assert_memory_equal(a, b, 3u << 20);
    aw_record rec;
    assert_null(header_bin(&k, AW_ARR_PEND, &rec));
    aw_record_free(&rec);
    aw_array_ref_free(ref);
    aw_array_ref_free(now);
    free(a);
    free(b);
    aw_dtype_free(dt);
}

static void test_zero_size(void **state) {
    aw_dtype *dt = dtype("<f8");
    uint64_t shapes[][3] = {{0}, {3, 0, 2}};
    uint32_t ndims[] = {1, 3};
    for (int i = 0; i < 2; i++) {
        aw_key k = key_of(i ? "zero-b" : "zero-a");
        aw_array_opts o = opts_of(64, i == 1);
        put_ok(&k, NULL, 0, dt, shapes[i], ndims[i], &o);
        aw_array_ref *ref = open_ok(&k);
        assert_int_equal(aw_array_nbytes(ref), 0);
        assert_int_equal(aw_array_size(ref), 0);
        assert_int_equal(aw_array_n_chunks(ref), 0);
        aw_error err;
        tu_check(aw_array_read(client, ref, NULL, 0, &err), &err, "read of nothing");
        tu_check(aw_array_read_rows(client, ref, 0, shapes[i][0], NULL, 0, &err), &err,
                 "rows of nothing");
        if (i == 1)
            assert_int_equal(aw_array_row_bytes(ref), 0);
        aw_array_ref_free(ref);
    }
    aw_dtype_free(dt);
}

/* ---- attributes -------------------------------------------------------------------------- */

static void test_attributes(void **state) {
    aw_dtype *dt = dtype("<i4");
    int32_t v[3] = {1, 2, 3};
    uint64_t shape[1] = {3};
    aw_value list_items[2] = {aw_value_int(7), aw_value_str("x")};
    aw_value map_items[2] = {aw_value_str("unit"), aw_value_str("m/s")};
    uint8_t blob[3] = {0, 1, 255};
    aw_array_attr attrs[] = {
        {"count", aw_value_int(-42)},
        {"scale", aw_value_float(0.125)},
        {"label", aw_value_str("sensor A")},
        {"raw", aw_value_blob(blob, 3)},
        {"flag", aw_value_bool(true)},
        {"list", aw_value_list(list_items, 2)},
        {"meta", aw_value_map(map_items, 1)},
        {"a name longer than fifteen bytes", aw_value_int(1)},
    };
    size_t n = sizeof attrs / sizeof attrs[0];
    aw_key k = key_of("attrs");
    aw_error err;
    tu_check(aw_array_put(client, NULL, &k, v, sizeof v, dt, shape, 1, attrs, n, NULL, &err),
             &err, "put with attributes");
    aw_array_ref *ref = open_ok(&k);
    assert_int_equal(aw_array_n_attrs(ref), n);
    /* They come back in the stored order, which is by name: the attributes
     * are one map bin, and a server stores every map sorted by key (CE
     * 8.1.2.0 reads {"units", "count"} back as {"count", "units"}), so the
     * order they were given in is not kept. */
    static const size_t by_name[] = {7, 0, 4, 2, 5, 6, 3, 1};
    for (size_t i = 0; i < n; i++) {
        const aw_array_attr *want = &attrs[by_name[i]];
        assert_string_equal(aw_array_attr_name(ref, i), want->name);
        assert_true(aw_value_equal(aw_array_attr_value(ref, i), &want->value));
        assert_ptr_equal(aw_array_attr_find(ref, want->name), aw_array_attr_value(ref, i));
    }
    assert_null(aw_array_attr_find(ref, "nope"));
    assert_null(aw_array_attr_name(ref, n));
    assert_null(aw_array_attr_value(ref, n));
    aw_array_ref_free(ref);

    /* Bad attributes: refused before anything is written. */
    aw_array_attr dup[] = {{"a", aw_value_int(1)}, {"a", aw_value_int(2)}};
    aw_array_attr empty[] = {{"", aw_value_int(1)}};
    aw_array_attr nil[] = {{"n", aw_value_nil()}};
    aw_array_attr bad_utf8[] = {{"\xff\xfe", aw_value_int(1)}};
    struct {
        const aw_array_attr *a;
        size_t n;
        const char *msg;
    } bad[] = {{dup, 2, "given twice"}, {empty, 1, "no name"}, {nil, 1, "is nil"},
               {bad_utf8, 1, "UTF-8"},  {NULL, 2, "attrs is NULL"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        aw_key kb = key_of("attrs-bad");
        int rc = aw_array_put(client, NULL, &kb, v, sizeof v, dt, shape, 1, bad[i].a, bad[i].n,
                              NULL, &err);
        assert_int_equal(rc, AW_ERR_PARAM);
        if (!strstr(err.message, bad[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.message, bad[i].msg);
        assert_false(record_exists(&kb));
    }
    aw_dtype_free(dt);
}

/* ---- row ranges ------------------------------------------------------------------------- */

static void rows_case(const char *name, uint32_t chunk, bool compress) {
    /* 37 rows of 3 x <f4> + i2 (14 bytes): chunks of 64 cut rows anywhere. */
    aw_dtype *dt = dtype("[('v', '<f4', (3,)), ('t', '<i2')]");
    uint64_t shape[2] = {37, 2};
    size_t rb = 2 * aw_dtype_itemsize(dt);
    size_t n = 37 * rb;
    uint8_t *data = malloc(n);
    fill_random(data, n, 99);
    aw_key k = key_of(name);
    aw_array_opts o = opts_of(chunk, compress);
    put_ok(&k, data, n, dt, shape, 2, &o);
    aw_array_ref *ref = open_ok(&k);
    assert_int_equal(aw_array_row_bytes(ref), rb);
    uint8_t *buf = malloc(n + 8);
    aw_error err;
    static const uint64_t ranges[][2] = {{0, 37}, {0, 1},   {36, 37}, {5, 6},  {4, 5},
                                         {9, 10}, {3, 14},  {10, 30}, {1, 36}, {18, 19},
                                         {0, 0},  {37, 37}, {12, 12}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        uint64_t i = ranges[r][0], j = ranges[r][1];
        memset(buf, 0xee, n + 8);
        tu_check(aw_array_read_rows(client, ref, i, j, buf, n + 8, &err), &err, "read_rows");
        if (memcmp(buf, data + i * rb, (j - i) * rb) != 0)
            fail_msg("%s: rows [%llu, %llu) differ", name, (unsigned long long)i,
                     (unsigned long long)j);
        assert_int_equal(buf[(j - i) * rb], 0xee);
    }
    /* Out of range, reversed, too small a buffer, NULL buffer. */
    assert_int_equal(aw_array_read_rows(client, ref, 0, 38, buf, n + 8, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "rows [0, 38) are not within the array's 37"));
    assert_int_equal(aw_array_read_rows(client, ref, 5, 4, buf, n + 8, &err), AW_ERR_PARAM);
    assert_int_equal(aw_array_read_rows(client, ref, 2, 4, buf, 2 * rb - 1, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "holds 55 bytes, 2 rows of 28 need 56"));
    assert_int_equal(aw_array_read_rows(client, ref, 2, 4, NULL, 100, &err), AW_ERR_PARAM);
    assert_int_equal(aw_array_read(client, ref, buf, n - 1, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "the buffer holds 1035 bytes, the array needs 1036"));
    aw_array_ref_free(ref);
    free(buf);
    free(data);
    aw_dtype_free(dt);
}

static void test_rows(void **state) {
    rows_case("rows-chunked", 64, false);
    rows_case("rows-compressed", 64, true);
    rows_case("rows-inline", 0, false);
    rows_case("rows-inline-z", 0, true);
    rows_case("rows-odd", 100, true);
}

static void test_rows_fetch_only_needed_chunks(void **state) {
    /* 100 rows of 1000 bytes in 4000-byte chunks: rows [40, 44) live in
     * chunk 10 alone; with the other chunks gone, reading them still works. */
    aw_dtype *dt = dtype("|V1000");
    uint64_t shape[1] = {100};
    uint8_t *data = malloc(100000);
    fill_random(data, 100000, 5);
    aw_key k = key_of("rows-needed");
    aw_array_opts o = opts_of(4000, false);
    put_ok(&k, data, 100000, dt, shape, 1, &o);
    aw_array_ref *ref = open_ok(&k);
    aw_error err;
    for (uint32_t c = 0; c < 25; c++) {
        if (c == 10)
            continue;
        uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE];
        aw_key ck = chunk_key(&k, aw_array_version(ref), c, blob);
        tu_check(aw_delete(client, NULL, &ck, &err), &err, "delete chunk");
    }
    uint8_t buf[4000];
    tu_check(aw_array_read_rows(client, ref, 40, 44, buf, sizeof buf, &err), &err, "rows 40..44");
    assert_memory_equal(buf, data + 40000, 4000);
    /* One row more needs chunk 11: gone, and named. */
    assert_int_equal(aw_array_read_rows(client, ref, 40, 45, data, 5000, &err),
                     AW_ERR_ARRAY_CORRUPT);
    assert_non_null(strstr(err.message, "chunk 11 of 25"));
    assert_non_null(strstr(err.message, "is missing"));
    assert_true(all_zero(data, 5000));
    aw_array_ref_free(ref);
    free(data);
    aw_dtype_free(dt);
}

/* ---- open reads only the header; missing and damaged chunks --------------------------- */

static uint8_t *put_chunked(const char *name, size_t n, uint32_t chunk, bool compress,
                            aw_key *k) {
    aw_dtype *dt = dtype("<u1");
    uint64_t shape[1] = {n};
    uint8_t *data = malloc(n);
    fill_random(data, n, 17);
    *k = key_of(name);
    aw_array_opts o = opts_of(chunk, compress);
    put_ok(k, data, n, dt, shape, 1, &o);
    aw_dtype_free(dt);
    return data;
}

static void test_open_reads_header_only(void **state) {
    aw_key k;
    uint8_t *data = put_chunked("open-only", 256 * 1000, 1000, false, &k);
    aw_client_stats before = tu_stats(client);
    aw_array_ref *ref = open_ok(&k);
    aw_client_stats after = tu_stats(client);
    assert_int_equal(after.commands - before.commands, 1);
    assert_int_equal(aw_array_n_chunks(ref), 256);

    /* A chunk deleted behind the library's back: open still works, the
     * read names the chunk and leaves zeros. */
    uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE];
    aw_key ck = chunk_key(&k, aw_array_version(ref), 17, blob);
    aw_error err;
    tu_check(aw_delete(client, NULL, &ck, &err), &err, "delete chunk 17");
    aw_array_ref *ref2 = open_ok(&k);
    uint8_t *buf = malloc(256 * 1000);
    memset(buf, 1, 256 * 1000);
    int rc = aw_array_read(client, ref2, buf, 256 * 1000, &err);
    assert_int_equal(rc, AW_ERR_ARRAY_CORRUPT);
    assert_string_equal(aw_status_name(rc), "ARRAY_CORRUPT");
    if (!strstr(err.message, "chunk 17 of 256 (digest ") || !strstr(err.message, "is missing"))
        fail_msg("message: %s", err.message);
    char hex[41];
    for (int i = 0; i < 20; i++)
        snprintf(hex + 2 * i, 3, "%02x", ck.digest[i]);
    assert_non_null(strstr(err.message, hex));
    assert_true(all_zero(buf, 256 * 1000));
    aw_array_ref_free(ref2);
    aw_array_ref_free(ref);
    free(buf);
    free(data);
}

static void test_damaged_chunks(void **state) {
    for (int compress = 0; compress < 2; compress++) {
        aw_key k;
        uint8_t *data = put_chunked(compress ? "damaged-z" : "damaged", 10000, 1000, compress, &k);
        aw_array_ref *ref = open_ok(&k);
        uint64_t ver = aw_array_version(ref);
        uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE];
        aw_error err;
        uint8_t *buf = malloc(10000);

        /* Garbage in aw_data (same length, uncompressed). */
        aw_key ck = chunk_key(&k, ver, 4, blob);
        uint8_t garbage[1000];
        memset(garbage, 0x5a, sizeof garbage);
        aw_bin b[2] = {{AW_ARR_DATA, aw_value_blob(garbage, 1000)}, {AW_ARR_Z, aw_value_int(0)}};
        tu_check(aw_put(client, NULL, &ck, b, 2, &err), &err, "spoil chunk 4");
        memset(buf, 1, 10000);
        assert_int_equal(aw_array_read(client, ref, buf, 10000, &err), AW_ERR_ARRAY_CORRUPT);
        if (!strstr(err.message, "chunk 4 of 10 (digest ") || !strstr(err.message, "fails its CRC"))
            fail_msg("message: %s", err.message);
        assert_true(all_zero(buf, 10000));
        /* Rows not in that chunk still read. */
        tu_check(aw_array_read_rows(client, ref, 5000, 6000, buf, 1000, &err), &err, "rows");
        assert_memory_equal(buf, data + 5000, 1000);

        /* Wrong length. */
        b[0].value = aw_value_blob(garbage, 999);
        tu_check(aw_put(client, NULL, &ck, b, 2, &err), &err, "shorten chunk 4");
        assert_int_equal(aw_array_read(client, ref, buf, 10000, &err), AW_ERR_ARRAY_CORRUPT);
        assert_non_null(strstr(err.message, "wrong length (999 bytes, expected 1000)"));

        /* Not a zlib stream, though it says so. */
        b[1].value = aw_value_int(1);
        tu_check(aw_put(client, NULL, &ck, b, 2, &err), &err, "fake zlib");
        assert_int_equal(aw_array_read(client, ref, buf, 10000, &err), AW_ERR_ARRAY_CORRUPT);
        assert_non_null(strstr(err.message, "does not inflate to 1000 bytes"));

        /* Another chunk's record copied under this key: its aw_idx says so. */
        aw_key c5 = chunk_key(&k, ver, 5, blob);
        aw_record rec;
        tu_check(aw_get(client, NULL, &c5, NULL, 0, &rec, &err), &err, "get chunk 5");
        uint8_t blob4[AW_ARRAY_CHUNK_KEY_SIZE];
        ck = chunk_key(&k, ver, 4, blob4);
        tu_check(aw_put(client, NULL, &ck, rec.bins, rec.n_bins, &err), &err, "copy 5 over 4");
        aw_record_free(&rec);
        assert_int_equal(aw_array_read(client, ref, buf, 10000, &err), AW_ERR_ARRAY_CORRUPT);
        assert_non_null(strstr(err.message, "is not this array's chunk"));
        aw_array_ref_free(ref);
        free(buf);
        free(data);
    }
}

static void test_damaged_header(void **state) {
    aw_key k;
    uint8_t *data = put_chunked("bad-header", 5000, 1000, false, &k);
    aw_error err;
    aw_array_ref *ref = NULL;
    /* A CRC list that does not add up. */
    uint8_t crc[24] = {1}; /* (all zeros would add up: zero CRCs combine to zero) */
    aw_bin b = {AW_ARR_CRC, aw_value_blob(crc, sizeof crc)};
    tu_check(aw_put(client, NULL, &k, &b, 1, &err), &err, "spoil aw_crc");
    assert_int_equal(aw_array_open(client, NULL, &k, &ref, &err), AW_ERR_ARRAY_CORRUPT);
    assert_null(ref);
    assert_non_null(strstr(err.message, "aw_crc"));
    /* A shape that does not match aw_nbytes. */
    free(put_chunked("bad-header", 5000, 1000, false, &k));
    aw_value dims[1] = {aw_value_int(5001)};
    b = (aw_bin){AW_ARR_SHAPE, aw_value_list(dims, 1)};
    tu_check(aw_put(client, NULL, &k, &b, 1, &err), &err, "spoil aw_shape");
    assert_int_equal(aw_array_open(client, NULL, &k, &ref, &err), AW_ERR_ARRAY_CORRUPT);
    assert_non_null(strstr(err.message, "aw_nbytes is 5000, its shape and dtype make 5001"));
    /* A newer format. */
    b = (aw_bin){AW_ARR_FMT, aw_value_int(99)};
    tu_check(aw_put(client, NULL, &k, &b, 1, &err), &err, "future format");
    assert_int_equal(aw_array_open(client, NULL, &k, &ref, &err), AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "format 99"));
    /* Not an array at all. */
    aw_key plain = key_of("plain-record");
    aw_bin pb = {"x", aw_value_int(1)};
    tu_check(aw_put(client, NULL, &plain, &pb, 1, &err), &err, "plain put");
    assert_int_equal(aw_array_open(client, NULL, &plain, &ref, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "not an array"));
    aw_dtype *dt = dtype("<u1");
    uint64_t shape[1] = {3};
    assert_int_equal(aw_array_put(client, NULL, &plain, data, 3, dt, shape, 1, NULL, 0, NULL, &err),
                     AW_ERR_RECORD_EXISTS);
    assert_int_equal(aw_array_delete(client, NULL, &plain, &err), AW_ERR_PARAM);
    assert_true(record_exists(&plain));
    /* Nothing at all. */
    aw_key none = key_of("never-written");
    assert_int_equal(aw_array_open(client, NULL, &none, &ref, &err), AW_ERR_RECORD_NOT_FOUND);
    assert_int_equal(aw_array_delete(client, NULL, &none, &err), AW_ERR_RECORD_NOT_FOUND);
    aw_dtype_free(dt);
    free(data);
}

/* ---- overwrite and delete ---------------------------------------------------------------- */

static void test_overwrite_leaves_no_stale_chunks(void **state) {
    aw_key k;
    uint8_t *big = put_chunked("ow", 50000, 1000, false, &k);
    aw_array_ref *r1 = open_ok(&k);
    uint64_t v1 = aw_array_version(r1);
    assert_int_equal(count_chunks(&k, v1, 50), 50);

    /* Bigger -> smaller (chunked). */
    uint8_t *small = put_chunked("ow", 7000, 1000, true, &k);
    aw_array_ref *r2 = open_ok(&k);
    uint64_t v2 = aw_array_version(r2);
    assert_true(v2 != v1);
    assert_int_equal(count_chunks(&k, v1, 50), 0);
    assert_int_equal(count_chunks(&k, v2, 8), 7);
    aw_record rec;
    assert_null(header_bin(&k, AW_ARR_PEND, &rec));
    aw_record_free(&rec);

    /* -> inline, then chunked again, then deleted. */
    uint8_t *tiny = put_chunked("ow", 100, 1000, false, &k);
    assert_int_equal(count_chunks(&k, v2, 7), 0);
    aw_array_ref *r3 = open_ok(&k);
    assert_int_equal(aw_array_n_chunks(r3), 0);
    uint8_t *again = put_chunked("ow", 3000, 1000, false, &k);
    aw_array_ref *r4 = open_ok(&k);
    uint64_t v4 = aw_array_version(r4);
    assert_int_equal(count_chunks(&k, v4, 3), 3);
    aw_error err;
    tu_check(aw_array_delete(client, NULL, &k, &err), &err, "delete");
    assert_string_equal(err.message, "");
    assert_false(record_exists(&k));
    assert_int_equal(count_chunks(&k, v4, 3), 0);
    aw_array_ref *gone = NULL;
    assert_int_equal(aw_array_open(client, NULL, &k, &gone, &err), AW_ERR_RECORD_NOT_FOUND);
    /* A ref opened before the delete now finds nothing. */
    uint8_t buf[3000];
    assert_int_equal(aw_array_read(client, r4, buf, sizeof buf, &err), AW_ERR_RECORD_NOT_FOUND);
    assert_non_null(strstr(err.message, "deleted"));
    assert_true(all_zero(buf, sizeof buf));
    assert_int_equal(aw_array_delete(client, NULL, &k, &err), AW_ERR_RECORD_NOT_FOUND);
    aw_array_ref_free(r1);
    aw_array_ref_free(r2);
    aw_array_ref_free(r3);
    aw_array_ref_free(r4);
    free(big);
    free(small);
    free(tiny);
    free(again);
}

static void test_old_ref_follows_or_fails(void **state) {
    aw_dtype *dt = dtype("<i8");
    uint64_t shape[2] = {100, 10};
    int64_t *a = malloc(8000), *b = malloc(8000), *buf = malloc(8000);
    for (int i = 0; i < 1000; i++)
        a[i] = i, b[i] = -i;
    aw_key k = key_of("old-ref");
    aw_array_opts o = opts_of(640, false);
    put_ok(&k, a, 8000, dt, shape, 2, &o);
    aw_array_ref *old = open_ok(&k);
    put_ok(&k, b, 8000, dt, shape, 2, &o);
    /* The old version's chunks are gone: the read moves to the new one. */
    aw_error err;
    tu_check(aw_array_read(client, old, buf, 8000, &err), &err, "read through an old ref");
    assert_memory_equal(buf, b, 8000);
    tu_check(aw_array_read_rows(client, old, 50, 60, buf, 800, &err), &err, "rows, old ref");
    assert_memory_equal(buf, b + 500, 800);
    /* The same through an inline array. */
    aw_key ki = key_of("old-ref-inline");
    put_ok(&ki, a, 8000, dt, shape, 2, NULL);
    aw_array_ref *old_i = open_ok(&ki);
    put_ok(&ki, b, 8000, dt, shape, 2, NULL);
    tu_check(aw_array_read(client, old_i, buf, 8000, &err), &err, "inline, old ref");
    assert_memory_equal(buf, b, 8000);
    /* Another shape: no silent reinterpretation. */
    uint64_t other[2] = {10, 100};
    put_ok(&k, a, 8000, dt, other, 2, &o);
    assert_int_equal(aw_array_read(client, old, buf, 8000, &err), AW_ERR_RECORD_GENERATION);
    assert_non_null(strstr(err.message, "open it again"));
    assert_true(all_zero((uint8_t *)buf, 8000));
    aw_array_ref_free(old);
    aw_array_ref_free(old_i);
    free(a);
    free(b);
    free(buf);
    aw_dtype_free(dt);
}

typedef struct racer {
    aw_key key;
    int fill;
    atomic_bool stop;
    int puts_ok, puts_lost, puts_other;
    char other_msg[200];
} racer;

/* Overwrites the array again and again, each version all one value. */
static void *overwrite_loop(void *arg) {
    racer *r = arg;
    aw_dtype *dt = NULL;
    aw_error err;
    aw_dtype_parse_flags("<i4", AW_DTYPE_ARRAY, &dt, &err);
    uint64_t shape[1] = {6000};
    int32_t *v = malloc(6000 * 4);
    aw_array_opts o = opts_of(2048, false);
    for (int32_t round = 1; !atomic_load(&r->stop); round++) {
        for (int i = 0; i < 6000; i++)
            v[i] = round;
        int rc = aw_array_put(client, NULL, &r->key, v, 6000 * 4, dt, shape, 1, NULL, 0, &o, &err);
        if (rc == AW_OK)
            r->puts_ok++;
        else if (rc == AW_ERR_RECORD_GENERATION)
            r->puts_lost++;
        else if (r->puts_other++ == 0)
            snprintf(r->other_msg, sizeof r->other_msg, "%s: %s", aw_status_name(rc), err.message);
    }
    free(v);
    aw_dtype_free(dt);
    return NULL;
}

static void test_readers_never_see_a_mix(void **state) {
    racer r = {.key = key_of("race")};
    aw_dtype *dt = dtype("<i4");
    uint64_t shape[1] = {6000};
    int32_t *v = calloc(6000, 4);
    aw_array_opts o = opts_of(2048, false);
    put_ok(&r.key, v, 6000 * 4, dt, shape, 1, &o);
    aw_array_ref *ref = open_ok(&r.key);
    pthread_t th;
    pthread_create(&th, NULL, overwrite_loop, &r);
    int whole = 0, moved_away = 0, mixed = 0, other = 0;
    char other_msg[200] = "";
    uint64_t end = tu_now_ms() + 1500;
    while (tu_now_ms() < end) {
        aw_error err;
        /* Through the first ref (following versions) and freshly opened. */
        int rc = aw_array_read(client, ref, v, 6000 * 4, &err);
        if (rc == AW_OK) {
            bool same = true;
            for (int i = 1; i < 6000; i++)
                same &= v[i] == v[0];
            mixed += !same;
            whole += same;
        } else if (rc == AW_ERR_RECORD_GENERATION) {
            moved_away++; /* kept changing faster than 4 versions per read */
        } else if (other++ == 0) {
            snprintf(other_msg, sizeof other_msg, "%s: %s", aw_status_name(rc), err.message);
        }
    }
    atomic_store(&r.stop, true);
    pthread_join(th, NULL);
    fprintf(stderr, "    reads whole %d, gave up %d; puts ok %d, lost %d\n", whole, moved_away,
            r.puts_ok, r.puts_lost);
    if (other)
        fail_msg("%d reads failed: %s", other, other_msg);
    if (r.puts_other)
        fail_msg("%d puts failed: %s", r.puts_other, r.other_msg);
    assert_int_equal(mixed, 0);
    assert_true(whole > 0);
    assert_true(r.puts_ok > 0);
    aw_array_ref_free(ref);
    free(v);
    aw_dtype_free(dt);
}

static void *racing_put(void *arg) {
    racer *r = arg;
    for (int i = 0; i < 30; i++) {
        aw_dtype *dt = NULL;
        aw_error err;
        aw_dtype_parse_flags("<u1", AW_DTYPE_ARRAY, &dt, &err);
        uint64_t shape[1] = {5000};
        uint8_t v[5000];
        memset(v, r->fill, sizeof v);
        aw_array_opts o = opts_of(1000, false);
        int rc = aw_array_put(client, NULL, &r->key, v, 5000, dt, shape, 1, NULL, 0, &o, &err);
        if (rc == AW_OK)
            r->puts_ok++;
        else if (rc == AW_ERR_RECORD_GENERATION && strstr(err.message, "another put or delete"))
            r->puts_lost++;
        else
            r->puts_other++;
        aw_dtype_free(dt);
    }
    return NULL;
}

static void test_concurrent_writers(void **state) {
    racer a = {.key = key_of("writers")}, b = {.key = key_of("writers")};
    a.fill = 1;
    b.fill = 2;
    pthread_t ta, tb;
    pthread_create(&ta, NULL, racing_put, &a);
    pthread_create(&tb, NULL, racing_put, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    fprintf(stderr, "    writer a: %d ok, %d lost; b: %d ok, %d lost\n", a.puts_ok, a.puts_lost,
            b.puts_ok, b.puts_lost);
    assert_int_equal(a.puts_other + b.puts_other, 0);
    assert_true(a.puts_ok + b.puts_ok > 0);
    /* Whoever won last, the array is whole, and one more put leaves only
     * its own chunks. */
    aw_array_ref *ref = open_ok(&a.key);
    uint8_t v[5000];
    aw_error err;
    tu_check(aw_array_read(client, ref, v, sizeof v, &err), &err, "read after the race");
    assert_true(v[0] == 1 || v[0] == 2);
    for (int i = 1; i < 5000; i++)
        assert_int_equal(v[i], v[0]);
    aw_array_ref_free(ref);
}

/* A crashed writer: chunks of a version no header names, listed in aw_pend. */
static void test_stale_pend_is_cleaned(void **state) {
    aw_key k;
    uint8_t *data = put_chunked("crashed", 4000, 1000, false, &k);
    aw_error err;
    uint64_t ghost = 0x1234567812345678ull;
    for (uint32_t i = 0; i < 6; i++) {
        uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE];
        aw_key ck = chunk_key(&k, ghost, i, blob);
        aw_bin b = {AW_ARR_DATA, aw_value_blob(data, 1000)};
        tu_check(aw_put(client, NULL, &ck, &b, 1, &err), &err, "ghost chunk");
    }
    aw_value items[2] = {aw_value_int((int64_t)ghost), aw_value_int(6)};
    aw_bin pend = {AW_ARR_PEND, aw_value_list(items, 2)};
    tu_check(aw_put(client, NULL, &k, &pend, 1, &err), &err, "aw_pend");
    /* Readers are not disturbed by it. */
    aw_array_ref *ref = open_ok(&k);
    uint8_t buf[4000];
    tu_check(aw_array_read(client, ref, buf, sizeof buf, &err), &err, "read with a stale pend");
    assert_memory_equal(buf, data, 4000);
    uint64_t v1 = aw_array_version(ref);
    aw_array_ref_free(ref);
    assert_int_equal(count_chunks(&k, ghost, 6), 6);
    /* The next put removes the ghost chunks, the old version's, and aw_pend. */
    uint8_t *d2 = put_chunked("crashed", 2500, 1000, false, &k);
    assert_int_equal(count_chunks(&k, ghost, 6), 0);
    assert_int_equal(count_chunks(&k, v1, 4), 0);
    aw_record rec;
    assert_null(header_bin(&k, AW_ARR_PEND, &rec));
    aw_record_free(&rec);

    /* A first put that crashed after its intent: only aw_fmt and aw_pend. */
    aw_key k2 = key_of("crashed-first");
    for (uint32_t i = 0; i < 3; i++) {
        uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE];
        aw_key ck = chunk_key(&k2, ghost, i, blob);
        aw_bin b = {AW_ARR_DATA, aw_value_blob(data, 10)};
        tu_check(aw_put(client, NULL, &ck, &b, 1, &err), &err, "ghost chunk");
    }
    items[1] = aw_value_int(3);
    aw_bin half[2] = {{AW_ARR_FMT, aw_value_int(1)}, pend};
    tu_check(aw_put(client, NULL, &k2, half, 2, &err), &err, "half a header");
    aw_array_ref *none = NULL;
    assert_int_equal(aw_array_open(client, NULL, &k2, &none, &err), AW_ERR_RECORD_NOT_FOUND);
    assert_non_null(strstr(err.message, "unfinished"));
    tu_check(aw_array_delete(client, NULL, &k2, &err), &err, "delete a half header");
    assert_false(record_exists(&k2));
    assert_int_equal(count_chunks(&k2, ghost, 3), 0);
    free(data);
    free(d2);
}

/* ---- bad input -------------------------------------------------------------------------- */

static void expect_put(int want, const char *msg, const aw_key *k, const void *data, size_t n,
                       const aw_dtype *dt, const uint64_t *shape, uint32_t ndim,
                       const aw_array_opts *o) {
    aw_error err;
    int rc = aw_array_put(client, NULL, k, data, n, dt, shape, ndim, NULL, 0, o, &err);
    if (rc != want || !strstr(err.message, msg))
        fail_msg("expected %s '%s', got %s '%s'", aw_status_name(want), msg, aw_status_name(rc),
                 err.message);
}

static void test_bad_input(void **state) {
    aw_dtype *dt = dtype("<f4");
    aw_key k = key_of("bad");
    float v[6] = {0};
    uint64_t shape[2] = {2, 3};
    aw_error err;
    assert_int_equal(aw_array_put(NULL, NULL, &k, v, 24, dt, shape, 2, NULL, 0, NULL, &err),
                     AW_ERR_PARAM);
    expect_put(AW_ERR_PARAM, "NULL key", NULL, v, 24, dt, shape, 2, NULL);
    expect_put(AW_ERR_PARAM, "NULL dtype", &k, v, 24, NULL, shape, 2, NULL);
    expect_put(AW_ERR_PARAM, "data is NULL for 24 bytes", &k, NULL, 24, dt, shape, 2, NULL);
    expect_put(AW_ERR_PARAM, "shape is NULL", &k, v, 24, dt, NULL, 2, NULL);
    expect_put(AW_ERR_PARAM, "data is 20 bytes; 6 elements of 4 bytes need 24", &k, v, 20, dt,
               shape, 2, NULL);
    uint64_t huge[2] = {1u << 16, (1u << 15) + 1};
    expect_put(AW_ERR_PARAM, "more than 2^31", &k, v, 24, dt, huge, 2, NULL);
    uint64_t exactly[1] = {AW_ARRAY_MAX_ELEMENTS};
    expect_put(AW_ERR_PARAM, "data is 24 bytes; 2147483648 elements", &k, v, 24, dt, exactly, 1,
               NULL);
    uint64_t many[40] = {1};
    expect_put(AW_ERR_PARAM, "40 dimensions, at most 32", &k, v, 4, dt, many, 40, NULL);
    aw_array_opts o = opts_of(10, false);
    expect_put(AW_ERR_PARAM, "chunk_bytes 10 is outside", &k, v, 24, dt, shape, 2, &o);
    o = opts_of((8u << 20) + 1, false);
    expect_put(AW_ERR_PARAM, "chunk_bytes 8388609 is outside", &k, v, 24, dt, shape, 2, &o);
    o = opts_of(0, true);
    o.compress_level = 10;
    expect_put(AW_ERR_PARAM, "compress_level 10", &k, v, 24, dt, shape, 2, &o);
    /* Too many chunks: 2^17 + 1 chunks of 64 bytes. */
    uint64_t lots[1] = {(1u << 21) + 16};
    o = opts_of(64, false);
    expect_put(AW_ERR_PARAM, "make 131073 chunks, at most 131072", &k, (void *)1,
               (size_t)lots[0] * 4, dt, lots, 1, &o);
    aw_dtype *empty = NULL;
    tu_check(aw_dtype_new_flags(&empty, AW_DTYPE_ARRAY, &err), &err, "empty dtype");
    expect_put(AW_ERR_PARAM, "itemsize 0", &k, v, 0, empty, shape, 2, NULL);
    aw_dtype_free(empty);
    assert_false(record_exists(&k));

    /* Objects and unicode never make a dtype. */
    aw_dtype *o_dt = NULL;
    assert_int_equal(aw_dtype_parse_flags("[('a', '|O')]", AW_DTYPE_ARRAY, &o_dt, &err),
                     AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "object"));
    assert_int_equal(aw_dtype_parse_flags("<U4", AW_DTYPE_ARRAY, &o_dt, &err), AW_ERR_UNSUPPORTED);

    /* Reads and opens. */
    aw_array_ref *ref = NULL;
    assert_int_equal(aw_array_open(client, NULL, NULL, &ref, &err), AW_ERR_PARAM);
    assert_int_equal(aw_array_open(client, NULL, &k, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_array_read(client, NULL, v, 24, &err), AW_ERR_PARAM);
    put_ok(&k, v, 24, dt, shape, 2, NULL);
    ref = open_ok(&k);
    assert_int_equal(aw_array_read(client, ref, NULL, 24, &err), AW_ERR_PARAM);
    assert_int_equal(aw_array_read_npy(client, ref, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_array_read_rows_npy(client, ref, 1, 3, tpath("x.npy"), &err),
                     AW_ERR_PARAM);
    aw_array_ref_free(ref);
    aw_array_ref_free(NULL);
    uint64_t none[1];
    put_ok(&k, v, 4, dt, none, 0, NULL);
    ref = open_ok(&k);
    assert_int_equal(aw_array_ndim(ref), 0);
    assert_int_equal(aw_array_row_bytes(ref), 4);
    assert_int_equal(aw_array_read_rows(client, ref, 0, 1, v, 24, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "0-d array has no rows"));
    aw_array_ref_free(ref);
    aw_dtype_free(dt);
}

/* ---- dtypes: complex for arrays only ------------------------------------------------------ */

/* A filter expression cannot guard an array: it spans a header and chunk
 * records, and a filter could let some of them through and not others. put,
 * open and delete refuse it before touching anything. */
static void test_filter_refused(void **state) {
    (void)state;
    aw_dtype *dt = dtype("<f4");
    aw_key k = key_of("filtered");
    float v[6] = {1, 2, 3, 4, 5, 6};
    uint64_t shape[1] = {6};
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *filter = NULL;
    aw_error err;
    tu_check(aw_exp_compile(b, aw_exp_bool(b, true), &filter, &err), &err, "compile");
    aw_exp_builder_free(b);
    aw_policy p = aw_policy_write();
    p.filter = filter;
    assert_int_equal(aw_array_put(client, &p, &k, v, sizeof v, dt, shape, 1, NULL, 0, NULL, &err),
                     AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "array_put: an array takes no filter expression"));
    assert_false(record_exists(&k));
    put_ok(&k, v, sizeof v, dt, shape, 1, NULL);
    aw_array_ref *ref = NULL;
    assert_int_equal(aw_array_open(client, &p, &k, &ref, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "array_open: an array takes no filter expression"));
    assert_null(ref);
    assert_int_equal(aw_array_delete(client, &p, &k, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "array_delete"));
    assert_true(record_exists(&k));
    tu_check(aw_array_delete(client, NULL, &k, &err), &err, "delete");
    aw_exp_free(filter);
    aw_dtype_free(dt);
}

static void test_complex_dtypes(void **state) {
    aw_error err;
    aw_dtype *dt = NULL;
    /* numpy's layout: a complex aligns like its parts. */
    tu_check(aw_dtype_parse_flags("[('a', 'i1'), ('z', '<c16'), ('w', 'c8')]",
                             AW_DTYPE_ARRAY | AW_DTYPE_ALIGN, &dt, &err),
             &err, "aligned complex");
    assert_int_equal(aw_dtype_find(dt, "z")->offset, 8);
    assert_int_equal(aw_dtype_find(dt, "w")->offset, 24);
    assert_int_equal(aw_dtype_itemsize(dt), 32);
    assert_int_equal(aw_dtype_find(dt, "z")->kind, 'c');
    char *d = aw_dtype_descr(dt);
    assert_string_equal(d, "[('a', '|i1'), ('', '|V7'), ('z', '<c16'), ('w', '<c8')]");
    aw_free(d);
    assert_int_equal(aw_dtype_flags(dt), AW_DTYPE_ARRAY | AW_DTYPE_ALIGN);
    aw_dtype_free(dt);
    const char *names[] = {"complex64", "complex128", "complex", "F", "D", ">c8", "csingle"};
    const size_t widths[] = {8, 16, 16, 8, 16, 8, 8};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        tu_check(aw_dtype_parse_flags(names[i], AW_DTYPE_ARRAY, &dt, &err), &err, names[i]);
        assert_int_equal(aw_dtype_itemsize(dt), widths[i]);
        aw_dtype_free(dt);
    }
    assert_int_equal(aw_dtype_parse_flags("c32", AW_DTYPE_ARRAY, &dt, &err), AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "long double"));
    assert_int_equal(aw_dtype_parse_flags("G", AW_DTYPE_ARRAY, &dt, &err), AW_ERR_UNSUPPORTED);
    /* Without the flag, as before. */
    assert_int_equal(aw_dtype_parse("<c8", false, &dt, &err), AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "complex"));
    assert_int_equal(aw_dtype_parse_flags("[('x', '<f4')]", 0x80, &dt, &err), AW_ERR_PARAM);
    /* The row layer refuses complex fields and long names, naming them. */
    tu_check(aw_dtype_parse_flags("[('a', '<i4'), ('z', '<c8')]", AW_DTYPE_ARRAY, &dt, &err), &err,
             "row dtype");
    aw_key keys[1] = {key_of("rows-c")};
    uint8_t row[12];
    assert_int_equal(aw_batch_read_into(client, NULL, keys, 1, NULL, 0, dt, row, sizeof row, NULL,
                                        NULL, &err),
                     AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "'z'"));
    aw_dtype_free(dt);
    tu_check(aw_dtype_parse_flags("[('a_name_of_twenty_b', '<i4')]", AW_DTYPE_ARRAY, &dt, &err), &err,
             "long name");
    assert_int_equal(aw_batch_write_from(client, NULL, row, 4, 1, dt, NS, SET,
                                         "a_name_of_twenty_b", NULL, NULL, NULL, &err),
                     AW_ERR_BAD_NAME);
    aw_dtype_free(dt);
}

/* ---- numpy ---------------------------------------------------------------------------------- */

/* A Python script run in this suite's directory; its stdout. */
static char *py_run(const char *script) { return tu_python(g_dir, script); }

/* numpy makes an array; we store it from its .npy, export it whole and
 * rows [i, j) of it (unless 0-d), and numpy compares. */
static void numpy_case(const char *name, const char *make, uint64_t i, uint64_t j, bool compress) {
    bool rows = strcmp(name, "np-0d") != 0;
    char script[4096];
    snprintf(script, sizeof script,
             "import numpy as np\n"
             "rng = np.random.default_rng(7)\n"
             "a = %s\n"
             "np.save('%s', a)\n",
             make, tpath("in.npy"));
    free(py_run(script));
    aw_key k = key_of(name);
    aw_array_opts o = opts_of(100000, compress);
    aw_array_attr attr = {"origin", aw_value_str(name)};
    aw_error err;
    tu_check(aw_array_put_npy(client, NULL, &k, tpath("in.npy"), &attr, 1, &o, &err), &err,
             "put_npy");
    aw_array_ref *ref = open_ok(&k);
    tu_check(aw_array_read_npy(client, ref, tpath("out.npy"), &err), &err, "read_npy");
    if (rows)
        tu_check(aw_array_read_rows_npy(client, ref, i, j, tpath("rows.npy"), &err), &err,
                 "read_rows_npy");
    else
        assert_int_equal(aw_array_read_rows_npy(client, ref, 0, 0, tpath("rows.npy"), &err),
                         AW_ERR_PARAM);
    aw_array_ref_free(ref);
    snprintf(script, sizeof script,
             "import numpy as np\n"
             "a = np.load('%s')\n"
             "b = np.load('%s', mmap_mode='r')\n"
             "assert isinstance(b, np.memmap) or a.size == 0, type(b)\n"
             "assert a.dtype == b.dtype and a.shape == b.shape, (b.dtype, b.shape)\n"
             "assert a.tobytes() == b.tobytes()\n"
             "if %d:\n"
             "    r = np.load('%s', mmap_mode='r')\n"
             "    assert r.dtype == a.dtype and r.shape == a[%llu:%llu].shape\n"
             "    assert r.tobytes() == a[%llu:%llu].tobytes()\n"
             "print('ok', a.shape, a.dtype)\n",
             tpath("in.npy"), tpath("out.npy"), rows, tpath("rows.npy"), (unsigned long long)i,
             (unsigned long long)j, (unsigned long long)i, (unsigned long long)j);
    char *out = py_run(script);
    if (strncmp(out, "ok", 2) != 0)
        fail_msg("%s: %s", name, out);
    free(out);
}

static void test_numpy_loads_exports(void **state) {
    numpy_case("np-f4-3d", "rng.standard_normal((40, 30, 50)).astype('<f4')", 7, 23, false);
    numpy_case("np-f4-3d-z", "np.arange(60000, dtype='<f4').reshape(40, 30, 50)", 0, 40, true);
    numpy_case("np-struct",
               "np.zeros(3000, dtype=[('t', '<f8'), ('xyz', '<f4', (3,)), ('name', 'S6'), "
               "('ok', '?'), ('z', '<c16'), ('long_field_name_here', '>i2')])\n"
               "a['t'] = rng.standard_normal(3000); a['xyz'] = rng.standard_normal((3000, 3))\n"
               "a['name'] = [b'n%d' % i for i in range(3000)]; a['ok'] = rng.integers(0, 2, 3000)\n"
               "a['z'] = rng.standard_normal(3000) + 1j * rng.standard_normal(3000)\n"
               "a['long_field_name_here'] = rng.integers(-999, 999, 3000)",
               1234, 2999, false);
    numpy_case("np-aligned",
               "np.ones((50, 7), dtype=np.dtype([('a', 'i1'), ('b', '<f8'), ('c', '<c8')], "
               "align=True))",
               10, 11, true);
    numpy_case("np-0d", "np.array(3.5 - 2j)", 0, 0, false);
    numpy_case("np-bool-4d", "rng.integers(0, 2, (3, 4, 5, 6)).astype(bool)", 1, 3, false);
    numpy_case("np-empty", "np.zeros((0, 5), dtype='<u2')", 0, 0, false);
}

/* N-d .npy files on their own: numpy's files read back, and what we write
 * is byte for byte what numpy.save writes. */
static void test_npy_nd_files(void **state) {
    static const char *const makes[] = {
        "np.array(7, dtype='<i2')",
        "np.arange(24, dtype='>f8').reshape(2, 3, 4)",
        "np.zeros((3, 0, 2), dtype='<c8')",
        "(np.arange(30) % 2 == 0).reshape(5, 6)",
        "np.ones((4, 5), dtype=[('a', '<i4'), ('b', '<c16', (2,)), ('c', 'S3')])",
        "np.arange(1 << 12, dtype='<u4').reshape((2,) * 12)",
    };
    for (size_t i = 0; i < sizeof makes / sizeof makes[0]; i++) {
        char script[1024];
        snprintf(script, sizeof script,
                 "import numpy as np\nnp.save('%s', %s)\n", tpath("np.npy"), makes[i]);
        free(py_run(script));
        aw_npy_header h;
        void *data;
        aw_error err;
        tu_check(aw_npy_read_array(tpath("np.npy"), &h, &data, &err), &err, makes[i]);
        tu_check(aw_npy_write_array(tpath("ours.npy"), h.dtype, h.shape, h.ndim, data, &err), &err,
                 "aw_npy_write_array");
        snprintf(script, sizeof script,
                 "a = open('%s', 'rb').read(); b = open('%s', 'rb').read()\n"
                 "assert a == b, (a[:128], b[:128])\nprint('ok')\n",
                 tpath("np.npy"), tpath("ours.npy"));
        free(py_run(script));
        aw_npy_header h2;
        tu_check(aw_npy_read_header(tpath("ours.npy"), &h2, &err), &err, "read_header");
        assert_int_equal(h2.ndim, h.ndim);
        assert_int_equal(h2.nbytes, h.nbytes);
        aw_npy_header_clear(&h2);
        aw_npy_header_clear(&h);
        aw_free(data);
    }
    /* Refusals: Fortran order, objects, a short file; the row reader still
     * refuses N-d and complex files. */
    char script[1024];
    snprintf(script, sizeof script,
             "import numpy as np\n"
             "np.save('%s', np.asfortranarray(np.zeros((2, 3))))\n"
             "np.save('%s', np.array([None, 1]), allow_pickle=True)\n"
             "np.save('%s', np.zeros((2, 3), dtype='c8'))\n",
             tpath("f.npy"), tpath("o.npy"), tpath("c.npy"));
    free(py_run(script));
    aw_npy_header h;
    aw_error err;
    assert_int_equal(aw_npy_read_header(tpath("f.npy"), &h, &err), AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "Fortran"));
    assert_null(h.dtype);
    assert_int_equal(aw_npy_read_header(tpath("o.npy"), &h, &err), AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "object"));
    assert_int_equal(truncate(tpath("c.npy"), 128 + 40), 0);
    assert_int_equal(aw_npy_read_header(tpath("c.npy"), &h, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "truncated data: 40 bytes, the header says 6 elements"));
    aw_dtype *dt;
    void *rows;
    size_t n;
    assert_int_equal(aw_npy_read(tpath("c.npy"), &dt, &rows, &n, &err), AW_ERR_UNSUPPORTED);
    /* put_npy of a bad file stores nothing. */
    aw_key k = key_of("npy-bad");
    assert_int_equal(aw_array_put_npy(client, NULL, &k, tpath("o.npy"), NULL, 0, NULL, &err),
                     AW_ERR_UNSUPPORTED);
    assert_false(record_exists(&k));
}

/* ---- three nodes: a node killed while a put is under way ------------------------------- */

typedef struct killer {
    uint64_t commands_before; /* node 1's command count before the put */
    bool in_flight;           /* node 1 had a command of the put, unanswered */
} killer;

static bool node1_got_a_command(void *arg) {
    killer *kl = arg;
    uint64_t commands, held;
    return tu_testd_stats(&srv, 0, 1, &commands, &held) && commands > kl->commands_before;
}

/* Node 1 holds its replies: once it has a command of the put, the put
 * cannot finish before the kill. The kill is one the cluster has not
 * noticed yet: node 1's partitions go to no node, so the failed put cannot
 * remove its chunks there either. */
static void *kill_in_flight(void *arg) {
    killer *kl = arg;
    kl->in_flight = tu_wait_until(node1_got_a_command, kl, 5000);
    free(tu_testd_send(&srv, 0, "testd-kill:node=1;unnoticed=1"));
    return NULL;
}

static void test_node_killed_mid_put(void **state) {
    aw_dtype *dt = dtype("<f4");
    uint64_t shape[2] = {4096, 1024}; /* 16 MiB */
    size_t n = 4096 * 1024 * 4;
    uint8_t *a = malloc(n), *b = malloc(n), *buf = malloc(n);
    memset(a, 0x11, n);
    memset(b, 0x22, n);
    /* The header on node 0: the put gets past its intent to the chunks,
     * and the header stays readable. */
    aw_key k = tu_key_on(NS, SET, 0, 3, 0, "killed");
    aw_array_opts o = opts_of(64 * 1024, false);
    o.batch_bytes = 2 << 20;
    put_ok(&k, a, n, dt, shape, 2, &o);
    aw_policy p = aw_policy_write();
    p.total_timeout_ms = 2000;
    /* Rows retry on the master only: a replica of testd serves any
     * partition (shared store), where a real one would wait for the dead
     * master too. */
    p.replica = AW_REPLICA_MASTER;
    killer kl = {0, false};
    uint64_t held;
    assert_true(tu_testd_stats(&srv, 0, 1, &kl.commands_before, &held));
    tu_testd_fault(&srv, 1, "hold=1");
    pthread_t th;
    pthread_create(&th, NULL, kill_in_flight, &kl);
    aw_error err;
    int rc = aw_array_put(client, &p, &k, b, n, dt, shape, 2, NULL, 0, &o, &err);
    pthread_join(th, NULL);
    assert_true(kl.in_flight);
    /* Node 1's connection closed with a chunk batch unanswered: the put
     * failed before its switch, so it is not in doubt (the array reads as
     * before), though some of its chunks were written. */
    if (rc != AW_ERR_NO_RESPONSE || err.in_doubt)
        fail_msg("put during the kill: %s: %s%s", aw_status_name(rc), err.message,
                 err.in_doubt ? " (in doubt)" : "");
    /* It could not remove its chunks on node 1's partitions: its version
     * is left in aw_pend for the next writer. */
    aw_arr_pend left[8];
    size_t n_left = 0;
    aw_record rec;
    const aw_value *pend = header_bin(&k, AW_ARR_PEND, &rec);
    for (uint32_t i = 0; pend && i + 1 < pend->len && n_left < 8; i += 2)
        left[n_left++] = (aw_arr_pend){(uint64_t)pend->u.items[i].u.i,
                                       (uint32_t)pend->u.items[i + 1].u.i};
    aw_record_free(&rec);
    assert_int_equal(n_left, 1);
    assert_int_equal(left[0].n_chunks, 256);
    /* With the node back, the array reads as before, whole, and the failed
     * put's chunks are still there. */
    tu_testd_ctl(&srv, 0, "testd-revive:node=1");
    tu_testd_clear_faults(&srv);
    assert_int_equal(tu_wait_nodes(client, 3, 3000), 3);
    assert_int_not_equal(count_chunks(&k, left[0].version, 256), 0);
    aw_array_ref *ref = open_ok(&k);
    tu_check(aw_array_read(client, ref, buf, n, &err), &err, "read after the kill");
    assert_memory_equal(buf, a, n);
    aw_array_ref_free(ref);
    /* The next put removes what aw_pend listed, and a delete leaves nothing. */
    put_ok(&k, a, n, dt, shape, 2, &o);
    assert_int_equal(count_chunks(&k, left[0].version, 256), 0);
    assert_null(header_bin(&k, AW_ARR_PEND, &rec));
    aw_record_free(&rec);
    ref = open_ok(&k);
    uint64_t ver = aw_array_version(ref);
    aw_array_ref_free(ref);
    tu_check(aw_array_delete(client, NULL, &k, &err), &err, "delete");
    assert_int_equal(count_chunks(&k, ver, 256), 0);
    free(a);
    free(b);
    free(buf);
    aw_dtype_free(dt);
}

static void test_three_node_round_trip(void **state) {
    uint64_t shape[3] = {64, 64, 64};
    round_trip("<c8", shape, 3, 4096, false, 2000);
    round_trip("<f8", shape, 3, 10000, true, 2001);
}

int main(void) {
    const struct CMUnitTest one[] = {
        cmocka_unit_test(test_round_trip_kinds),
        cmocka_unit_test(test_round_trip_large),
        cmocka_unit_test(test_failed_put_changes_nothing),
        cmocka_unit_test(test_zero_size),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_rows_fetch_only_needed_chunks),
        cmocka_unit_test(test_open_reads_header_only),
        cmocka_unit_test(test_damaged_chunks),
        cmocka_unit_test(test_damaged_header),
        cmocka_unit_test(test_overwrite_leaves_no_stale_chunks),
        cmocka_unit_test(test_old_ref_follows_or_fails),
        cmocka_unit_test(test_readers_never_see_a_mix),
        cmocka_unit_test(test_concurrent_writers),
        cmocka_unit_test(test_stale_pend_is_cleaned),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_filter_refused),
        cmocka_unit_test(test_complex_dtypes),
        cmocka_unit_test(test_numpy_loads_exports),
        cmocka_unit_test(test_npy_nd_files),
    };
    const struct CMUnitTest three[] = {
        cmocka_unit_test(test_three_node_round_trip),
        cmocka_unit_test(test_node_killed_mid_put),
    };
    int failed = cmocka_run_group_tests_name("arrays, one node", one, start_one, stop);
    failed += cmocka_run_group_tests_name("arrays, three nodes", three, start_three, stop);
    return failed || tu_testd_stop_failed;
}
