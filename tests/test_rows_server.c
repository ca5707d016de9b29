/* aw_batch_write_from and aw_batch_read_into against aw-testd (1 and 3
 * nodes): rows written and read back exactly, every kind of field, sync and
 * async; bad input that must write nothing; duplicate keys; missing
 * records; a node killed while a read is in flight; and numpy itself
 * (Debian's /usr/bin/python3) loading what was read, through aw_npy_write. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "aerowire/adapters/libevent.h"
#include "aerowire/aerowire.h"
#include "aerowire/batch.h"
#include "aerowire/numpy.h"
#include "proto/buf.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

static tu_testd srv;
static aw_client *client;

#define NS "test"

static int start(int nodes) {
    if (tu_testd_start_nodes(&srv, nodes, NULL) != 0)
        return -1;
    aw_config cfg = tu_client_config(&srv, 100);
    cfg.connect_timeout_ms = 1000;
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    return tu_wait_nodes(client, (size_t)nodes, 3000) == (size_t)nodes ? 0 : -1;
}
static int start_one(void **state) { return start(1); }
static int start_three(void **state) { return start(3); }
static int stop(void **state) {
    aw_client_close(client);
    client = NULL;
    return tu_testd_stop_group(&srv);
}

/* ---- a sensor-like dtype with every kind of field ------------------------------ */

#define SENSOR                                                                              \
    "[('_key','<i8'),('_ttl','<i4'),('temperature','<f8'),('humidity','<i4'),"           \
    "('status','|u1'),('pressure','<f4'),('name','|S12'),('ok','?'),('half','<f2'),"     \
    "('be','>i2'),('big','<u8'),('raw','|V5'),('emb','<f4',(128,))]"

static aw_dtype *parse(const char *spec) {
    aw_dtype *dt = NULL;
    aw_error err;
    if (aw_dtype_parse(spec, false, &dt, &err) != AW_OK)
        fail_msg("dtype: %s", err.message);
    return dt;
}

static size_t off(const aw_dtype *dt, const char *name) {
    const aw_dtype_field *f = aw_dtype_find(dt, name);
    if (!f)
        fail_msg("no field %s", name);
    return f->offset;
}

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

/* Row i of a table (keys key0 + i): values of every kind, the embedding
 * random bits (any float bits are a blob's bytes). */
static void fill_sensor(const aw_dtype *dt, uint8_t *row, int64_t key, uint32_t seed,
                        int32_t ttl) {
    memset(row, 0, aw_dtype_itemsize(dt));
    uint32_t s = seed;
    memcpy(row + off(dt, "_key"), &key, 8);
    memcpy(row + off(dt, "_ttl"), &ttl, 4);
    double t = (double)(int32_t)lcg(&s) / 65536.0;
    memcpy(row + off(dt, "temperature"), &t, 8);
    int32_t h = (int32_t)lcg(&s);
    memcpy(row + off(dt, "humidity"), &h, 4);
    row[off(dt, "status")] = (uint8_t)lcg(&s);
    float p = (float)(lcg(&s) % 100000) / 64.0f;
    memcpy(row + off(dt, "pressure"), &p, 4);
    char name[12] = {0};
    snprintf(name, sizeof name, "s-%lld", (long long)key);
    memcpy(row + off(dt, "name"), name, 12);
    row[off(dt, "ok")] = (uint8_t)(lcg(&s) & 1);
    uint16_t hb = (uint16_t)(lcg(&s) & 0x7bff); /* no inf/NaN: all finite halves */
    memcpy(row + off(dt, "half"), &hb, 2);
    aw_store_u16be(row + off(dt, "be"), (uint16_t)lcg(&s));
    uint64_t big = ((uint64_t)lcg(&s) << 32) | lcg(&s);
    memcpy(row + off(dt, "big"), &big, 8);
    for (int k = 0; k < 5; k++)
        row[off(dt, "raw") + (size_t)k] = (uint8_t)(k == 2 ? 0 : lcg(&s));
    for (int k = 0; k < 128 * 4; k++)
        row[off(dt, "emb") + (size_t)k] = (uint8_t)(lcg(&s) >> 24);
}

/* What a read gives back for a written row: '_' fields are not bins. */
static void expected_after_read(const aw_dtype *dt, uint8_t *row) {
    memset(row + off(dt, "_key"), 0, 8);
    memset(row + off(dt, "_ttl"), 0, 4);
}

static aw_key *int_keys(const char *set, int64_t key0, size_t n) {
    aw_key *keys = calloc(n, sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        aw_error err;
        if (aw_key_init_int(&keys[i], NS, set, key0 + (int64_t)i, &err) != AW_OK)
            fail_msg("key: %s", err.message);
    }
    return keys;
}

static aw_batch_policy policy(void) {
    aw_batch_policy p = aw_batch_policy_default();
    p.base.total_timeout_ms = 5000;
    p.base.socket_timeout_ms = 5000;
    return p;
}

typedef struct table {
    aw_dtype *dt;
    size_t n, isz;
    uint8_t *rows;
    aw_key *keys;
} table;

/* Writes n sensor rows (keys key0..) and checks every row's outcome. */
static table write_table(const char *set, int64_t key0, size_t n, uint32_t max_rows) {
    table t = {parse(SENSOR), n, 0, NULL, NULL};
    t.isz = aw_dtype_itemsize(t.dt);
    t.rows = calloc(n, t.isz);
    for (size_t i = 0; i < n; i++)
        fill_sensor(t.dt, t.rows + i * t.isz, key0 + (int64_t)i, (uint32_t)(key0 + (int64_t)i) * 7u,
                    i % 2 ? 1000 : -1);
    t.keys = int_keys(set, key0, n);
    int32_t *codes = calloc(n, sizeof *codes);
    bool *doubt = calloc(n, sizeof *doubt);
    uint32_t *gens = calloc(n, sizeof *gens);
    aw_batch_policy p = policy();
    if (max_rows)
        p.max_rows_per_request = max_rows;
    aw_error err;
    tu_check(aw_batch_write_from(client, &p, t.rows, n * t.isz, n, t.dt, NS, set, NULL, codes,
                                 doubt, gens, &err),
             &err, "batch_write_from");
    for (size_t i = 0; i < n; i++) {
        if (codes[i] != 0)
            fail_msg("write row %zu: %s", i, aw_status_name(codes[i]));
        assert_false(doubt[i]);
        assert_true(gens[i] >= 1);
    }
    free(codes);
    free(doubt);
    free(gens);
    return t;
}

static void table_free(table *t) {
    free(t->rows);
    free(t->keys);
    aw_dtype_free(t->dt);
}

/* Reads the table back and compares every byte of every row. */
static void read_and_compare(const table *t, uint32_t max_rows) {
    uint8_t *got = malloc(t->n * t->isz);
    memset(got, 0x77, t->n * t->isz);
    aw_row_meta *meta = calloc(t->n, sizeof *meta);
    int32_t *codes = calloc(t->n, sizeof *codes);
    aw_batch_policy p = policy();
    if (max_rows)
        p.max_rows_per_request = max_rows;
    aw_error err;
    tu_check(aw_batch_read_into(client, &p, t->keys, t->n, NULL, 0, t->dt, got, t->n * t->isz,
                                meta, codes, &err),
             &err, "batch_read_into");
    uint8_t *want = malloc(t->isz);
    for (size_t i = 0; i < t->n; i++) {
        if (codes[i] != 0)
            fail_msg("read row %zu: %s", i, aw_status_name(codes[i]));
        memcpy(want, t->rows + i * t->isz, t->isz);
        expected_after_read(t->dt, want);
        if (memcmp(got + i * t->isz, want, t->isz) != 0) {
            for (size_t f = 0; f < aw_dtype_n_fields(t->dt); f++) {
                const aw_dtype_field *fd = aw_dtype_field_at(t->dt, f);
                if (memcmp(got + i * t->isz + fd->offset, want + fd->offset, fd->size))
                    fail_msg("row %zu field %s differs", i, fd->name);
            }
        }
        assert_true(meta[i].gen >= 1);
        int32_t ttl;
        memcpy(&ttl, t->rows + i * t->isz + off(t->dt, "_ttl"), 4);
        if (ttl == -1)
            assert_int_equal(meta[i].ttl, AW_TTL_NEVER_EXPIRE);
        else
            assert_true(meta[i].ttl > 900 && meta[i].ttl <= 1000);
    }
    free(want);
    free(got);
    free(meta);
    free(codes);
}

/* ---- one node ---------------------------------------------------------------------- */

static void test_round_trip(void **state) {
    table t = write_table("rt", 1000, 300, 0);
    read_and_compare(&t, 0);
    read_and_compare(&t, 7); /* many small requests */
    table_free(&t);
}

static void test_generations(void **state) {
    table t = write_table("gens", 5000, 10, 0);
    int32_t codes[10];
    uint32_t gens[10];
    aw_batch_policy p = policy();
    aw_error err;
    /* Written again: generation 2 each. */
    tu_check(aw_batch_write_from(client, &p, t.rows, 10 * t.isz, 10, t.dt, NS, "gens", NULL,
                                 codes, NULL, gens, &err),
             &err, "rewrite");
    for (int i = 0; i < 10; i++) {
        assert_int_equal(codes[i], 0);
        assert_int_equal(gens[i], 2);
    }
    /* A generation check that fails: every row's own code, gen 0. */
    p.base.gen = AW_GEN_EQ;
    p.base.generation = 1;
    tu_check(aw_batch_write_from(client, &p, t.rows, 10 * t.isz, 10, t.dt, NS, "gens", NULL,
                                 codes, NULL, gens, &err),
             &err, "gen check");
    for (int i = 0; i < 10; i++) {
        assert_int_equal(codes[i], AW_ERR_RECORD_GENERATION);
        assert_int_equal(gens[i], 0);
    }
    /* Create-only on existing records. */
    p = policy();
    p.base.exists = AW_EXISTS_CREATE_ONLY;
    tu_check(aw_batch_write_from(client, &p, t.rows, 10 * t.isz, 10, t.dt, NS, "gens", NULL,
                                 codes, NULL, NULL, &err),
             &err, "create only");
    for (int i = 0; i < 10; i++)
        assert_int_equal(codes[i], AW_ERR_RECORD_EXISTS);
    table_free(&t);
}

static void test_missing_records_and_filter(void **state) {
    table t = write_table("miss", 2000, 6, 0);
    /* Keys 2000..2011: the last six were never written. */
    aw_key *keys = int_keys("miss", 2000, 12);
    uint8_t *got = malloc(12 * t.isz);
    memset(got, 0x55, 12 * t.isz);
    aw_row_meta meta[12];
    memset(meta, 0x55, sizeof meta);
    int32_t codes[12];
    aw_batch_policy p = policy();
    aw_error err;
    tu_check(aw_batch_read_into(client, &p, keys, 12, NULL, 0, t.dt, got, 12 * t.isz, meta, codes,
                                &err),
             &err, "read");
    for (size_t i = 0; i < 12; i++) {
        if (i < 6) {
            assert_int_equal(codes[i], 0);
            continue;
        }
        assert_int_equal(codes[i], AW_ERR_RECORD_NOT_FOUND);
        for (size_t b = 0; b < t.isz; b++)
            assert_int_equal(got[i * t.isz + b], 0);
        assert_int_equal(meta[i].gen, 0);
        assert_int_equal(meta[i].ttl, 0);
    }

    /* Only the named bins travel: the other fields stay zero. */
    const char *only[] = {"emb", "humidity"};
    memset(got, 0x55, 12 * t.isz);
    tu_check(aw_batch_read_into(client, &p, keys, 6, only, 2, t.dt, got, 12 * t.isz, NULL, codes,
                                &err),
             &err, "read filtered");
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(codes[i], 0);
        const uint8_t *want = t.rows + i * t.isz;
        for (size_t f = 0; f < aw_dtype_n_fields(t.dt); f++) {
            const aw_dtype_field *fd = aw_dtype_field_at(t.dt, f);
            bool named = strcmp(fd->name, "emb") == 0 || strcmp(fd->name, "humidity") == 0;
            for (size_t b = 0; b < fd->size; b++) {
                uint8_t g = got[i * t.isz + fd->offset + b];
                if (g != (named ? want[fd->offset + b] : 0))
                    fail_msg("row %zu field %s byte %zu", i, fd->name, b);
            }
        }
    }
    /* Rows past n were not touched. */
    for (size_t b = 6 * t.isz; b < 12 * t.isz; b++)
        assert_int_equal(got[b], 0x55);
    free(got);
    free(keys);
    table_free(&t);
}

/* A bin of the wrong type: that field zero, the row AW_ERR_FIELD_TYPE, the
 * others filled. */
static void test_wrong_bin_type(void **state) {
    aw_dtype *dt = parse("[('t','<f8'),('h','<i4')]");
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, NS, "wrong", "w1", &err), AW_OK);
    aw_bin bins[] = {{"t", aw_value_str("hot")}, {"h", aw_value_int(-3)}};
    tu_check(aw_put(client, NULL, &k, bins, 2, &err), &err, "put");
    uint8_t row[12];
    memset(row, 0x11, sizeof row);
    int32_t code = 99;
    tu_check(aw_batch_read_into(client, NULL, &k, 1, NULL, 0, dt, row, sizeof row, NULL, &code,
                                &err),
             &err, "read");
    assert_int_equal(code, AW_ERR_FIELD_TYPE);
    double t;
    int32_t h;
    memcpy(&t, row, 8);
    memcpy(&h, row + 8, 4);
    assert_true(t == 0.0);
    assert_int_equal(h, -3);
    aw_dtype_free(dt);
}

static void test_bad_input(void **state) {
    aw_dtype *dt = parse(SENSOR);
    size_t isz = aw_dtype_itemsize(dt);
    aw_key *keys = int_keys("bad", 9000, 4);
    uint8_t *rows = malloc(4 * isz);
    for (int i = 0; i < 4; i++)
        fill_sensor(dt, rows + i * isz, 9000 + i, 1, -1);
    uint8_t *buf = malloc(4 * isz);
    memset(buf, 0x33, 4 * isz);
    int32_t codes[4] = {77, 77, 77, 77};
    aw_error err;

    /* Reads: each refused with nothing written. */
    assert_int_equal(aw_batch_read_into(NULL, NULL, keys, 4, NULL, 0, dt, buf, 4 * isz, NULL,
                                        codes, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_read_into(client, NULL, NULL, 4, NULL, 0, dt, buf, 4 * isz, NULL,
                                        codes, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_read_into(client, NULL, keys, 4, NULL, 0, NULL, buf, 4 * isz, NULL,
                                        codes, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_read_into(client, NULL, keys, 4, NULL, 0, dt, NULL, 4 * isz, NULL,
                                        codes, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_read_into(client, NULL, keys, 4, NULL, 0, dt, buf, 4 * isz - 1,
                                        NULL, codes, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "bytes"));
    assert_int_equal(aw_batch_read_into(client, NULL, keys, SIZE_MAX / 8, NULL, 0, dt, buf,
                                        SIZE_MAX, NULL, codes, &err), AW_ERR_PARAM);
    const char *nope[] = {"nope"};
    assert_int_equal(aw_batch_read_into(client, NULL, keys, 4, nope, 1, dt, buf, 4 * isz, NULL,
                                        codes, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'nope'"));
    /* n = 0: AW_OK, nothing touched. */
    assert_int_equal(aw_batch_read_into(client, NULL, keys, 0, NULL, 0, dt, buf, 0, NULL, codes,
                                        &err), AW_OK);
    assert_int_equal(aw_batch_read_into(client, NULL, NULL, 0, NULL, 0, dt, NULL, 0, NULL, NULL,
                                        &err), AW_OK);
    for (size_t b = 0; b < 4 * isz; b++)
        assert_int_equal(buf[b], 0x33);
    for (int i = 0; i < 4; i++)
        assert_int_equal(codes[i], 77);

    /* Writes: refused before anything is sent (the records stay missing). */
    assert_int_equal(aw_batch_write_from(NULL, NULL, rows, 4 * isz, 4, dt, NS, "bad", NULL, codes,
                                         NULL, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_write_from(client, NULL, rows, 4 * isz - 1, 4, dt, NS, "bad", NULL,
                                         codes, NULL, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_write_from(client, NULL, NULL, 4 * isz, 4, dt, NS, "bad", NULL,
                                         codes, NULL, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_write_from(client, NULL, rows, 4 * isz, 4, dt, NULL, "bad", NULL,
                                         codes, NULL, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_write_from(client, NULL, rows, 4 * isz, 4, dt, NS, "bad", "id",
                                         codes, NULL, NULL, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'id'"));
    assert_int_equal(aw_batch_write_from(client, NULL, rows, 4 * isz, 4, dt, NS, "bad",
                                         "temperature", codes, NULL, NULL, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'temperature'"));
    assert_int_equal(aw_batch_write_from(client, NULL, rows, 4 * isz, 4, dt, NS, "bad", "emb",
                                         codes, NULL, NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_batch_write_from(client, NULL, rows, 0, 0, dt, NS, "bad", NULL, codes,
                                         NULL, NULL, &err), AW_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(codes[i], 77);
    for (int i = 0; i < 4; i++) {
        bool ex = true;
        tu_check(aw_exists(client, NULL, &keys[i], &ex, &err), &err, "exists");
        assert_false(ex);
    }
    /* An unknown namespace: every row's own code, the call itself fine. */
    assert_int_equal(aw_batch_write_from(client, NULL, rows, 4 * isz, 4, dt, "nosuchns", "bad",
                                         NULL, codes, NULL, NULL, &err), AW_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(codes[i], AW_ERR_NAMESPACE_NOT_FOUND);
    free(buf);
    free(rows);
    free(keys);
    aw_dtype_free(dt);
}

/* Duplicate keys: each position its own row and its own answer. */
static void test_duplicate_keys(void **state) {
    aw_dtype *dt = parse("[('_key','|S8'),('v','<i8')]");
    size_t isz = aw_dtype_itemsize(dt);
    assert_int_equal(isz, 16);
    uint8_t rows[3 * 16] = {0};
    memcpy(rows, "dup", 3);
    memcpy(rows + 16, "dup", 3);
    memcpy(rows + 32, "other", 5);
    int64_t v[3] = {10, 20, 30};
    for (int i = 0; i < 3; i++)
        memcpy(rows + 16 * i + 8, &v[i], 8);
    int32_t codes[3];
    uint32_t gens[3];
    aw_error err;
    tu_check(aw_batch_write_from(client, NULL, rows, sizeof rows, 3, dt, NS, "dups", NULL, codes,
                                 NULL, gens, &err),
             &err, "write");
    /* Both writes of "dup" applied, in some order: generations 1 and 2. */
    assert_int_equal(codes[0], 0);
    assert_int_equal(codes[1], 0);
    assert_int_equal(codes[2], 0);
    assert_int_equal(gens[0] + gens[1], 3);
    assert_int_equal(gens[2], 1);
    int64_t last = gens[0] == 2 ? 10 : 20;

    aw_key keys[4];
    assert_int_equal(aw_key_init_str(&keys[0], NS, "dups", "dup", &err), AW_OK);
    keys[1] = keys[0];
    assert_int_equal(aw_key_init_str(&keys[2], NS, "dups", "other", &err), AW_OK);
    keys[3] = keys[0];
    uint8_t got[4 * 16];
    memset(got, 0x44, sizeof got);
    aw_row_meta meta[4];
    int32_t rc[4];
    tu_check(aw_batch_read_into(client, NULL, keys, 4, NULL, 0, dt, got, sizeof got, meta, rc,
                                &err),
             &err, "read");
    const int64_t want[4] = {last, last, 30, last};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rc[i], 0);
        int64_t g;
        memcpy(&g, got + 16 * i + 8, 8);
        assert_true(g == want[i]);
        assert_int_equal(meta[i].gen, i == 2 ? 1 : 2);
        for (int b = 0; b < 8; b++)
            assert_int_equal(got[16 * i + b], 0); /* _key: not a bin */
    }
    aw_dtype_free(dt);
}

/* String and blob keys, and a key field that is also a bin. */
static void test_key_kinds(void **state) {
    aw_dtype *dt = parse("[('id','|S6'),('x','<i2')]");
    uint8_t rows[2 * 8] = {0};
    memcpy(rows, "alpha", 5);
    memcpy(rows + 8, "bravo!", 6); /* no NUL: all six bytes */
    rows[6] = 1;
    rows[14] = 2;
    int32_t codes[2];
    aw_error err;
    tu_check(aw_batch_write_from(client, NULL, rows, sizeof rows, 2, dt, NS, "kinds", "id", codes,
                                 NULL, NULL, &err),
             &err, "write");
    assert_int_equal(codes[0], 0);
    assert_int_equal(codes[1], 0);
    aw_key k;
    assert_int_equal(aw_key_init_str(&k, NS, "kinds", "bravo!", &err), AW_OK);
    aw_record rec = {0};
    tu_check(aw_get(client, NULL, &k, NULL, 0, &rec, &err), &err, "get");
    const aw_value *id = aw_record_get(&rec, "id");
    assert_non_null(id);
    assert_int_equal(id->type, AW_STR);
    assert_int_equal(id->len, 6);
    assert_int_equal(aw_record_get(&rec, "x")->u.i, 2);
    aw_record_free(&rec);

    aw_dtype_free(dt);
    dt = parse("[('_key','|V4'),('x','<i2')]");
    uint8_t vrow[6] = {0, 1, 0, 2, 9, 0};
    tu_check(aw_batch_write_from(client, NULL, vrow, sizeof vrow, 1, dt, NS, "kinds", NULL, codes,
                                 NULL, NULL, &err),
             &err, "write blob key");
    assert_int_equal(codes[0], 0);
    assert_int_equal(aw_key_init_blob(&k, NS, "kinds", "\0\1\0\2", 4, &err), AW_OK);
    bool ex = false;
    tu_check(aw_exists(client, NULL, &k, &ex, &err), &err, "exists");
    assert_true(ex);
    aw_dtype_free(dt);
}

/* ---- async ----------------------------------------------------------------------------- */

typedef struct async_res {
    int calls;
    int code;
} async_res;
static int outstanding;

static void on_batch(const aw_error *err, void *udata) {
    async_res *r = udata;
    r->calls++;
    r->code = err ? err->code : 0;
    outstanding--;
}

static void test_async_round_trip(void **state) {
    struct event_base *base;
    aw_loop *loop;
    assert_int_equal(tu_libevent_open(client, &base, &loop), 0);
    table t = {parse(SENSOR), 50, 0, NULL, NULL};
    t.isz = aw_dtype_itemsize(t.dt);
    t.rows = calloc(t.n, t.isz);
    for (size_t i = 0; i < t.n; i++)
        fill_sensor(t.dt, t.rows + i * t.isz, 7000 + (int64_t)i, (uint32_t)i * 3u, -1);
    t.keys = int_keys("async", 7000, t.n);
    int32_t codes[50];
    uint32_t gens[50];
    aw_batch_policy p = policy();
    p.max_rows_per_request = 16;
    aw_error err;
    async_res w = {0};
    tu_check(aw_batch_write_from_async(loop, &p, t.rows, t.n * t.isz, t.n, t.dt, NS, "async", NULL,
                                       codes, NULL, gens, on_batch, &w, &err),
             &err, "write async");
    outstanding++;
    assert_int_equal(w.calls, 0); /* never inside the call */
    tu_run_until(base, &outstanding, 5000);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.code, 0);
    for (size_t i = 0; i < t.n; i++) {
        assert_int_equal(codes[i], 0);
        assert_int_equal(gens[i], 1);
    }
    uint8_t *got = calloc(t.n, t.isz);
    aw_row_meta meta[50];
    async_res r = {0};
    tu_check(aw_batch_read_into_async(loop, &p, t.keys, t.n, NULL, 0, t.dt, got, t.n * t.isz, meta,
                                      codes, on_batch, &r, &err),
             &err, "read async");
    outstanding++;
    /* The dtype may go once the call returned: the plan holds its own copy. */
    aw_dtype *keep = t.dt;
    t.dt = parse(SENSOR);
    aw_dtype_free(keep);
    tu_run_until(base, &outstanding, 5000);
    assert_int_equal(r.calls, 1);
    for (size_t i = 0; i < t.n; i++) {
        assert_int_equal(codes[i], 0);
        expected_after_read(t.dt, t.rows + i * t.isz);
        assert_memory_equal(got + i * t.isz, t.rows + i * t.isz, t.isz);
        assert_int_equal(meta[i].gen, 1);
    }
    /* n = 0: the callback still runs once, on the loop. */
    async_res z = {0};
    tu_check(aw_batch_read_into_async(loop, &p, NULL, 0, NULL, 0, t.dt, NULL, 0, NULL, NULL,
                                      on_batch, &z, &err),
             &err, "read async n=0");
    outstanding++;
    assert_int_equal(z.calls, 0);
    tu_run_until(base, &outstanding, 5000);
    assert_int_equal(z.calls, 1);
    /* Bad input: refused at once, no callback. */
    assert_int_equal(aw_batch_read_into_async(loop, &p, t.keys, t.n, NULL, 0, t.dt, got,
                                              t.n * t.isz - 1, meta, codes, on_batch, &z, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_batch_write_from_async(loop, &p, t.rows, t.n * t.isz, t.n, t.dt, NS, "a",
                                               "nope", codes, NULL, NULL, on_batch, &z, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_batch_read_into_async(loop, &p, t.keys, t.n, NULL, 0, t.dt, got,
                                              t.n * t.isz, meta, codes, NULL, NULL, &err),
                     AW_ERR_PARAM);
    assert_int_equal(z.calls, 1);
    free(got);
    table_free(&t);
    tu_libevent_close(&client, &base, &loop);
    /* tu_libevent_close closed the client: a new one for the next tests. */
    aw_config cfg = tu_client_config(&srv, 100);
    client = tu_client_new(&cfg);
}

/* ---- numpy reads what was read ---------------------------------------------------------- */

#define PYTHON "/usr/bin/python3"

static void test_numpy_loads_rows(void **state) {
    /* Values numpy can recompute on its own. */
    aw_dtype *dt = parse("[('_key','<i8'),('temperature','<f8'),('humidity','<i4'),"
                         "('status','|u1'),('name','|S8'),('emb','<f4',(128,))]");
    size_t isz = aw_dtype_itemsize(dt), n = 200;
    uint8_t *rows = calloc(n, isz);
    for (size_t i = 0; i < n; i++) {
        uint8_t *r = rows + i * isz;
        int64_t key = (int64_t)i;
        double t = (double)i * 0.5 - 3.0;
        int32_t h = (int32_t)i * 7 - 100;
        memcpy(r + off(dt, "_key"), &key, 8);
        memcpy(r + off(dt, "temperature"), &t, 8);
        memcpy(r + off(dt, "humidity"), &h, 4);
        r[off(dt, "status")] = (uint8_t)(i % 256);
        snprintf((char *)r + off(dt, "name"), 8, "n%zu", i % 1000);
        for (int k = 0; k < 128; k++) {
            float e = (float)i + (float)k / 128.0f;
            memcpy(r + off(dt, "emb") + 4 * (size_t)k, &e, 4);
        }
    }
    int32_t codes[200];
    aw_error err;
    tu_check(aw_batch_write_from(client, NULL, rows, n * isz, n, dt, NS, "npy", NULL, codes, NULL,
                                 NULL, &err),
             &err, "write");
    aw_key *keys = int_keys("npy", 0, n);
    uint8_t *got = calloc(n, isz);
    tu_check(aw_batch_read_into(client, NULL, keys, n, NULL, 0, dt, got, n * isz, NULL, codes, &err),
             &err, "read");
    for (size_t i = 0; i < n; i++)
        assert_int_equal(codes[i], 0);
    char path[] = "/tmp/aw-rows-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tu_check(aw_npy_write(path, dt, got, n, &err), &err, "npy write");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             PYTHON " -c \""
             "import numpy as np, sys\n"
             "a = np.load('%s')\n"
             "n = len(a); i = np.arange(n)\n"
             "assert a.dtype.names == ('_key','temperature','humidity','status','name','emb'), a.dtype\n"
             "assert (a['_key'] == 0).all()\n"
             "assert (a['temperature'] == i * 0.5 - 3.0).all()\n"
             "assert (a['humidity'] == (i * 7 - 100).astype('i4')).all()\n"
             "assert (a['status'] == (i %% 256).astype('u1')).all()\n"
             "assert all(a['name'][j] == ('n%%d' %% (j %% 1000)).encode() for j in range(n))\n"
             "e = i[:, None].astype('f4') + (np.arange(128) / 128.0).astype('f4')[None, :]\n"
             "assert a['emb'].shape == (n, 128) and (a['emb'] == e).all()\n"
             "print('numpy ok', n)\n"
             "\"",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[128] = {0};
    char *ok = fgets(line, sizeof line, p);
    int status = pclose(p);
    unlink(path);
    if (status != 0 || !ok || strncmp(line, "numpy ok 200", 12) != 0)
        fail_msg("numpy check failed (status %d): %s", status, line);
    free(got);
    free(keys);
    free(rows);
    aw_dtype_free(dt);
}

/* ---- three nodes --------------------------------------------------------------------------- */

static void test_three_node_round_trip(void **state) {
    table t = write_table("rt3", 100000, 3000, 0);
    read_and_compare(&t, 0);
    read_and_compare(&t, 100);
    table_free(&t);
}

typedef struct killer {
    int node;
    bool in_flight; /* the node held a reply of the read when it was killed */
} killer;

static bool node_holds_a_reply(void *arg) {
    killer *k = arg;
    uint64_t commands, held;
    return tu_testd_stats(&srv, (k->node + 1) % srv.n_nodes, k->node, &commands, &held) &&
           held > 0;
}

/* The node holds its replies (hold fault): once it holds one, the read
 * cannot have its rows before the kill. */
static void *kill_in_flight(void *arg) {
    killer *k = arg;
    k->in_flight = tu_wait_until(node_holds_a_reply, k, 5000);
    free(tu_testd_send(&srv, (k->node + 1) % srv.n_nodes, "testd-kill:node=%d", k->node));
    return NULL;
}

/* Brings node back (faults cleared first: they apply to the tend's info
 * replies too) and waits until the client routes every key of t to its
 * master again. */
static void revive(int node, const table *t) {
    tu_testd_clear_fault(&srv, node);
    tu_testd_ctl(&srv, (node + 1) % srv.n_nodes, "testd-revive:node=%d", node);
    assert_int_equal(tu_wait_nodes(client, (size_t)srv.n_nodes, 3000), srv.n_nodes);
    for (size_t i = 0; i < t->n; i++) {
        int master = (int)(aw_partition_id(t->keys[i].digest) % (uint32_t)srv.n_nodes);
        if (!tu_wait_master(client, &srv, &t->keys[i], master, 3000))
            fail_msg("key %zu: writes do not route to node %d after the revive", i, master);
    }
}

/* Node 1 is killed while its part of a read is in flight (its replies held
 * back): with retries its rows are read from the replica, every row right;
 * without, its rows (only) fail with a client code and are zeroed. */
static void test_node_killed_mid_read(void **state) {
    table t = write_table("kill", 200000, 600, 0);
    size_t on_node1 = 0;
    for (size_t i = 0; i < t.n; i++)
        on_node1 += aw_partition_id(t.keys[i].digest) % 3 == 1;
    assert_true(on_node1 > 100);

    for (int retries = 1; retries >= 0; retries--) {
        tu_testd_fault(&srv, 1, "hold=1");
        killer k = {1, false};
        pthread_t th;
        pthread_create(&th, NULL, kill_in_flight, &k);
        uint8_t *got = malloc(t.n * t.isz);
        memset(got, 0x99, t.n * t.isz);
        int32_t *codes = calloc(t.n, sizeof *codes);
        aw_batch_policy p = policy();
        p.base.max_retries = (uint32_t)retries * 2;
        p.base.socket_timeout_ms = 0;
        aw_error err;
        int rc = aw_batch_read_into(client, &p, t.keys, t.n, NULL, 0, t.dt, got, t.n * t.isz,
                                    NULL, codes, &err);
        pthread_join(th, NULL);
        assert_true(k.in_flight);
        tu_check(rc, &err, "read_into");
        uint8_t *want = malloc(t.isz);
        size_t failed = 0;
        for (size_t i = 0; i < t.n; i++) {
            bool n1 = aw_partition_id(t.keys[i].digest) % 3 == 1;
            if (retries || !n1) {
                if (codes[i] != 0)
                    fail_msg("retries %d: row %zu (node %d): %s", retries, i, n1 ? 1 : 0,
                             aw_status_name(codes[i]));
                memcpy(want, t.rows + i * t.isz, t.isz);
                expected_after_read(t.dt, want);
                assert_memory_equal(got + i * t.isz, want, t.isz);
            } else {
                failed++;
                assert_true(codes[i] < 0); /* the client's own code */
                for (size_t b = 0; b < t.isz; b++)
                    assert_int_equal(got[i * t.isz + b], 0);
            }
        }
        if (!retries)
            assert_int_equal(failed, on_node1);
        free(want);
        free(got);
        free(codes);
        revive(1, &t);
    }
    table_free(&t);
}

int main(void) {
    const struct CMUnitTest one[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_generations),
        cmocka_unit_test(test_missing_records_and_filter),
        cmocka_unit_test(test_wrong_bin_type),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_key_kinds),
        cmocka_unit_test(test_async_round_trip),
        cmocka_unit_test(test_numpy_loads_rows),
    };
    const struct CMUnitTest three[] = {
        cmocka_unit_test(test_three_node_round_trip),
        cmocka_unit_test(test_node_killed_mid_read),
    };
    int failed = cmocka_run_group_tests_name("rows, one node", one, start_one, stop);
    failed += cmocka_run_group_tests_name("rows, three nodes", three, start_three, stop);
    return failed || tu_testd_stop_failed;
}
