/* aw_scan_into / aw_query_into / aw_query_to_npy against a three-node
 * aw-testd, then (when AEROSPIKE_HOSTS is set) the same against that
 * server, in a set of its own truncated at the end: rows equal to what aw_query_foreach delivers for the same scan
 * (every field, matched by digest) whatever the chunk size (1, 7, 1000),
 * chunk callbacks that swap buffers or stop (the cursor then resumes after
 * the last row delivered), the batch path's per-row codes for a bin of the
 * wrong type, the refusals, and a .npy file that numpy loads with the
 * scan's rows, never left behind (nor its temporary) when the scan fails
 * or its progress callback stops it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "aerowire/alloc.h"
#include "aerowire/numpy.h"
#include "aerowire/query.h"
#include "support/client_fixture.h"
#include "support/count_alloc.h"
#include "support/pyrun.h"
#include "support/rows_load.h"
#include "support/testd_proc.h"

static const char *NS = "test";
static char SET[32] = "rq";
static const char *real_hosts; /* the second run: a real server */
#define N_KEYED 900     /* records stored with their user key */
#define N_PLAIN 400     /* and without */
#define N_ALL (N_KEYED + N_PLAIN)

/* _digest V20 @0, _key i8 @20, a i8 @28, f f8 @36, s S8 @44: 52 bytes */
#define ROW_DTYPE "[('_digest','|V20'),('_key','<i8'),('a','<i8'),('f','<f8'),('s','|S8')]"
#define ITEM 52

static tu_testd srv;
static aw_client *client;
static aw_dtype *row_dt;

typedef struct expect {
    uint8_t digest[20];
    int64_t key;        /* 0 when not stored */
    int64_t a;
    double f;
    char s[8];
    uint32_t gen, ttl;
} expect;

static expect want[N_ALL];
static size_t n_want;

static int cmp_digest(const void *x, const void *y) { return memcmp(x, y, 20); }

static bool collect(const aw_key *key, aw_record *rec, void *udata) {
    (void)udata;
    if (n_want == N_ALL)
        return false;
    expect *e = &want[n_want++];
    memset(e, 0, sizeof *e);
    memcpy(e->digest, key->digest, 20);
    if (key->user_key.type == AW_INT)
        e->key = key->user_key.u.i;
    const aw_value *v;
    if ((v = aw_record_get(rec, "a")) && v->type == AW_INT)
        e->a = v->u.i;
    if ((v = aw_record_get(rec, "f")) && v->type == AW_FLOAT)
        e->f = v->u.f;
    if ((v = aw_record_get(rec, "s")) && v->type == AW_STR)
        memcpy(e->s, v->u.str, v->len < 8 ? v->len : 8);
    e->gen = rec->gen;
    e->ttl = rec->ttl;
    return true;
}

/* Writes rows [from, from + n) with or without their keys stored. */
static int write_rows(int from, int n, bool send_key) {
    aw_dtype *dt = NULL;
    aw_error err;
    if (aw_dtype_parse("[('_key','<i8'),('a','<i8'),('f','<f8'),('s','|S8')]", false, &dt, &err))
        return -1;
    uint8_t *rows = calloc((size_t)n, 32);
    for (int i = 0; i < n; i++) {
        int64_t k = from + i, a = k * 3 - 7;
        double f = (double)k * 0.5;
        memcpy(rows + 32 * i, &k, 8);
        memcpy(rows + 32 * i + 8, &a, 8);
        memcpy(rows + 32 * i + 16, &f, 8);
        snprintf((char *)rows + 32 * i + 24, 8, "s%d", (int)k);
    }
    aw_batch_policy p = aw_batch_policy_default();
    p.base.send_key = send_key;
    char msg[200];
    int rc = tu_load_rows(client, &p, rows, (size_t)n, dt, NS, SET, msg, sizeof msg);
    if (rc)
        fprintf(stderr, "write: %s\n", msg);
    free(rows);
    aw_dtype_free(dt);
    return rc;
}

static int setup(void **state) {
    if (real_hosts) {
        aw_config cfg;
        aw_config_init(&cfg);
        cfg.hosts = real_hosts;
        if (tu_client_setup(&client, &cfg) != 0)
            return -1;
    } else {
        if (tu_testd_start_nodes(&srv, 3, NULL) != 0)
            return -1;
        aw_config cfg = tu_client_config(&srv, 100);
        if (tu_client_setup(&client, &cfg) != 0 || tu_wait_nodes(client, 3, 3000) != 3)
            return -1;
    }
    n_want = 0;
    if (write_rows(0, N_KEYED, true) || write_rows(N_KEYED, N_PLAIN, false))
        return -1;
    aw_error err;
    aw_query q = {.ns = NS, .set = SET};
    if (aw_query_foreach(client, NULL, &q, NULL, collect, NULL, &err) != AW_OK ||
        n_want != N_ALL) {
        fprintf(stderr, "foreach: %zu records: %s\n", n_want, err.message);
        return -1;
    }
    qsort(want, n_want, sizeof *want, cmp_digest);
    return aw_dtype_parse(ROW_DTYPE, false, &row_dt, &err) == AW_OK ? 0 : -1;
}

static int teardown(void **state) {
    aw_dtype_free(row_dt);
    row_dt = NULL;
    if (real_hosts)
        aw_truncate(client, NS, SET, 0, 0, NULL);
    aw_client_close(client);
    client = NULL;
    return real_hosts ? 0 : tu_testd_stop_group(&srv);
}

/* ---- what the chunk callbacks gather --------------------------------------- */

typedef struct gather {
    uint8_t rows[N_ALL * 2][ITEM]; /* each row's first `item` bytes */
    size_t item;                /* the dtype's itemsize (ITEM when 0) */
    aw_row_meta meta[N_ALL * 2];
    int32_t codes[N_ALL * 2];
    size_t n, chunks;
    size_t capacity;            /* every chunk but the last must be this full */
    bool short_seen;            /* a chunk under capacity: must be the last */
    size_t stop_after;          /* chunks; 0 = never stop */
    /* swapping: the buffers handed over in turn, and the one expected next */
    aw_rows_buffer *swap;
    size_t n_swap;
    void *expect_rows;
} gather;

static bool on_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    gather *g = udata;
    assert_false(g->short_seen); /* only the last chunk may be short */
    assert_true(n >= 1 && n <= g->capacity);
    if (n < g->capacity)
        g->short_seen = true;
    if (g->expect_rows)
        assert_ptr_equal(buf->rows, g->expect_rows);
    assert_true(g->n + n <= N_ALL * 2);
    size_t item = g->item ? g->item : ITEM;
    for (size_t i = 0; i < n; i++)
        memcpy(g->rows[g->n + i], (const uint8_t *)buf->rows + i * item, item);
    memcpy(&g->meta[g->n], buf->meta, n * sizeof *buf->meta);
    memcpy(&g->codes[g->n], buf->codes, n * sizeof *buf->codes);
    g->n += n;
    g->chunks++;
    if (g->n_swap) {
        *buf = g->swap[g->chunks % g->n_swap];
        g->expect_rows = buf->rows;
    }
    return !(g->stop_after && g->chunks == g->stop_after);
}

static int cmp_row(const void *x, const void *y) { return memcmp(x, y, 20); }

/* The gathered rows are the foreach records, each once, every field. */
static void check_rows(gather *g) {
    assert_int_equal(g->n, N_ALL);
    /* sort the rows with their meta: by digest, through an index */
    static struct { uint8_t row[ITEM]; aw_row_meta meta; int32_t code; } byd[N_ALL];
    for (size_t i = 0; i < g->n; i++) {
        memcpy(byd[i].row, g->rows[i], ITEM);
        byd[i].meta = g->meta[i];
        byd[i].code = g->codes[i];
    }
    qsort(byd, g->n, sizeof *byd, cmp_row);
    size_t keyed = 0;
    for (size_t i = 0; i < g->n; i++) {
        const expect *e = &want[i];
        const uint8_t *r = byd[i].row;
        assert_memory_equal(r, e->digest, 20);
        int64_t k, a;
        double f;
        memcpy(&k, r + 20, 8);
        memcpy(&a, r + 28, 8);
        memcpy(&f, r + 36, 8);
        assert_int_equal(k, e->key);
        keyed += k != 0 || (e->a == -7); /* key 0 is record 0, whose a is -7 */
        assert_int_equal(a, e->a);
        assert_true(f == e->f);
        assert_memory_equal(r + 44, e->s, 8);
        assert_int_equal(byd[i].meta.gen, e->gen);
        /* ttl: seconds left, read a little later than foreach's */
        if (e->ttl == AW_TTL_NEVER_EXPIRE)
            assert_true(byd[i].meta.ttl == e->ttl);
        else
            assert_true(byd[i].meta.ttl <= e->ttl && byd[i].meta.ttl + 300 >= e->ttl);
        assert_int_equal(byd[i].code, 0);
    }
    assert_int_equal(keyed, N_KEYED);
}

static void scan_in_chunks(size_t capacity) {
    static gather g;
    memset(&g, 0, sizeof g);
    g.capacity = capacity;
    uint8_t *rows = malloc(capacity * ITEM);
    aw_row_meta *meta = malloc(capacity * sizeof *meta);
    int32_t *codes = malloc(capacity * sizeof *codes);
    aw_rows_buffer buf = {rows, capacity, meta, codes};
    g.expect_rows = rows;
    aw_error err;
    int rc = aw_scan_into(client, NULL, NS, SET, NULL, row_dt, &buf, on_chunk, &g, &err);
    tu_check(rc, &err, "aw_scan_into");
    assert_int_equal(g.chunks, (N_ALL + capacity - 1) / capacity);
    check_rows(&g);
    free(rows);
    free(meta);
    free(codes);
}

static void test_chunks_of_1(void **state) { scan_in_chunks(1); }
static void test_chunks_of_7(void **state) { scan_in_chunks(7); }
static void test_chunks_of_1000(void **state) { scan_in_chunks(1000); }

/* The callback hands back a different buffer (of another size) each time. */
static void test_swapped_buffers(void **state) {
    static gather g;
    memset(&g, 0, sizeof g);
    static uint8_t r1[5 * ITEM], r2[5 * ITEM], r3[5 * ITEM];
    static aw_row_meta m1[5], m2[5], m3[5];
    static int32_t c1[5], c2[5], c3[5];
    aw_rows_buffer swap[3] = {{r1, 5, m1, c1}, {r2, 5, m2, c2}, {r3, 5, m3, c3}};
    g.swap = swap;
    g.n_swap = 3;
    g.capacity = 5;
    aw_rows_buffer buf = swap[0];
    g.expect_rows = r1;
    aw_error err;
    tu_check(aw_scan_into(client, NULL, NS, SET, NULL, row_dt, &buf, on_chunk, &g, &err), &err,
             "aw_scan_into");
    check_rows(&g);
}

/* Stopping after 3 chunks: AW_ERR_CLIENT_ABORT, and the cursor resumes
 * after the last row delivered: the rest comes in the next calls, nothing
 * twice. */
static void test_stop_and_resume(void **state) {
    static gather g;
    memset(&g, 0, sizeof g);
    aw_partition_filter all = aw_partition_filter_all();
    aw_partition_status *cur;
    aw_error err;
    tu_check(aw_partition_status_new(&all, &cur, &err), &err, "cursor");
    uint8_t rows[7 * ITEM];
    aw_row_meta meta[7];
    int32_t codes[7];
    aw_rows_buffer buf = {rows, 7, meta, codes};
    g.capacity = 7;
    g.expect_rows = rows;
    int calls = 0;
    for (;;) {
        g.stop_after = g.chunks + 40;
        g.short_seen = false;
        int rc = aw_scan_into(client, NULL, NS, SET, cur, row_dt, &buf, on_chunk, &g, &err);
        calls++;
        if (rc == AW_OK)
            break;
        assert_int_equal(rc, AW_ERR_CLIENT_ABORT);
        assert_non_null(strstr(err.message, "chunk callback"));
        assert_int_equal(g.chunks, g.stop_after);
        assert_false(aw_partition_status_done(cur));
    }
    assert_true(calls > 3);
    assert_true(aw_partition_status_done(cur));
    check_rows(&g);
    aw_partition_status_free(cur);
}

/* A string bin into an integer field: the field is zeroed, the row's code
 * says why, the other fields are still filled (aw_batch_read_into's rule). */
static void test_wrong_bin_type(void **state) {
    aw_dtype *dt;
    aw_error err;
    tu_check(aw_dtype_parse("[('_digest','|S20'),('a','<i8'),('s','<i4')]", false, &dt, &err),
             &err, "dtype");
    static gather g;
    memset(&g, 0, sizeof g);
    uint8_t rows[100 * 32];
    int32_t codes[100];
    aw_rows_buffer buf = {rows, 100, NULL, codes};
    g.capacity = 100;
    g.item = 32;
    static aw_row_meta meta[100];
    buf.meta = meta;
    g.expect_rows = rows;
    tu_check(aw_scan_into(client, NULL, NS, SET, NULL, dt, &buf, on_chunk, &g, &err), &err,
             "aw_scan_into");
    assert_int_equal(g.n, N_ALL);
    for (size_t i = 0; i < g.n; i++) {
        assert_int_equal(g.codes[i], AW_ERR_FIELD_TYPE);
        const expect *e = bsearch(g.rows[i], want, N_ALL, sizeof *want, cmp_digest);
        assert_non_null(e);
        int64_t a;
        int32_t s;
        memcpy(&a, g.rows[i] + 20, 8);
        memcpy(&s, g.rows[i] + 28, 4);
        assert_int_equal(a, e->a);
        assert_int_equal(s, 0);
    }
    aw_dtype_free(dt);
}

static bool stop_now(aw_rows_buffer *buf, size_t n, void *udata) {
    (void)n;
    if (udata)
        buf->rows = NULL; /* hands back no buffer */
    return true;
}

/* What is refused before anything is sent, and a bad buffer handed back. */
static void test_refusals(void **state) {
    aw_error err;
    uint8_t rows[4 * ITEM];
    aw_rows_buffer buf = {rows, 4, NULL, NULL};
    aw_rows_buffer empty = {rows, 0, NULL, NULL};
    assert_int_equal(aw_scan_into(client, NULL, NS, SET, NULL, row_dt, NULL, stop_now, NULL, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_scan_into(client, NULL, NS, SET, NULL, row_dt, &empty, stop_now, NULL,
                                  &err),
                     AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "capacity"));
    assert_int_equal(aw_scan_into(client, NULL, NS, SET, NULL, NULL, &buf, stop_now, NULL, &err),
                     AW_ERR_PARAM);
    assert_int_equal(aw_scan_into(client, NULL, NS, SET, NULL, row_dt, &buf, NULL, NULL, &err),
                     AW_ERR_PARAM);
    aw_dtype *dt;
    tu_check(aw_dtype_parse("[('_digest','<i8'),('a','<i8')]", false, &dt, &err), &err, "dtype");
    assert_int_equal(aw_scan_into(client, NULL, NS, SET, NULL, dt, &buf, stop_now, NULL, &err),
                     AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "_digest"));
    aw_dtype_free(dt);
    tu_check(aw_dtype_parse_flags("[('a','<c8')]", AW_DTYPE_ARRAY, &dt, &err), &err, "dtype");
    assert_int_equal(aw_scan_into(client, NULL, NS, SET, NULL, dt, &buf, stop_now, NULL, &err),
                     AW_ERR_UNSUPPORTED);
    aw_dtype_free(dt);
    const char *bins[] = {"nope"};
    aw_query q = {.ns = NS, .set = SET, .bins = bins, .n_bins = 1};
    assert_int_equal(aw_query_into(client, NULL, &q, NULL, row_dt, &buf, stop_now, NULL, &err),
                     AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "nope"));
    /* a callback that hands back a NULL buffer stops the scan */
    assert_int_equal(aw_scan_into(client, NULL, NS, SET, NULL, row_dt, &buf, stop_now, &buf, &err),
                     AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "rows are NULL"));
}

static bool stop_at_50(const aw_key *key, aw_record *rec, void *udata) {
    return ++*(int *)udata < 50;
}

/* The engine under both APIs: after the record callback returns false, no
 * other node's stream is read, so the callback is not called again (with
 * three nodes streaming at once, their data often arrives together). */
static void test_foreach_no_record_after_stop(void **state) {
    for (int round = 0; round < 5; round++) {
        int calls = 0;
        aw_query q = {.ns = NS, .set = SET};
        aw_error err;
        assert_int_equal(aw_query_foreach(client, NULL, &q, NULL, stop_at_50, &calls, &err),
                         AW_ERR_CLIENT_ABORT);
        assert_int_equal(calls, 50);
    }
}

/* ---- .npy --------------------------------------------------------------- */

static char dir[256];

static void make_dir(const char *tag) {
    snprintf(dir, sizeof dir, "/tmp/aw-rows-query-%d-%s", (int)getpid(), tag);
    mkdir(dir, 0700);
}

static size_t dir_entries(void) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* numpy loads the file: shape, dtype and every value as the scan gave them. */
static void test_npy_numpy_loads(void **state) {
    make_dir("load");
    char path[300];
    snprintf(path, sizeof path, "%s/scan.npy", dir);
    aw_query q = {.ns = NS, .set = SET};
    aw_error err;
    uint64_t n = 0;
    tu_check(aw_query_to_npy(client, NULL, &q, NULL, row_dt, path, 7, &n, &err), &err,
             "aw_query_to_npy");
    assert_int_equal(n, N_ALL);
    char script[1200];
    snprintf(script, sizeof script,
             "import numpy as np\n"
             "a = np.load('scan.npy')\n"
             "np.save('again.npy', a)\n"
             "print(open('scan.npy','rb').read() == open('again.npy','rb').read())\n"
             "a = a[np.argsort(a['_digest'].view('S20'), kind='stable')]\n"
             "print(a.shape[0], a.dtype.itemsize, a.dtype.names)\n"
             "for r in a:\n"
             "    print(bytes(r['_digest']).hex(), int(r['_key']), int(r['a']), repr(float(r['f'])), r['s'].decode())\n");
    char *out = tu_python(dir, script);
    char *line = strtok(out, "\n");
    assert_string_equal(line, "True"); /* byte for byte what numpy.save writes */
    line = strtok(NULL, "\n");
    assert_string_equal(line, "1300 52 ('_digest', '_key', 'a', 'f', 's')");
    for (size_t i = 0; i < N_ALL; i++) {
        line = strtok(NULL, "\n");
        assert_non_null(line);
        const expect *e = &want[i];
        char hex[41], mine[200];
        for (int k = 0; k < 20; k++)
            snprintf(hex + 2 * k, 3, "%02x", e->digest[k]);
        char s[9] = {0};
        memcpy(s, e->s, 8);
        char fbuf[40];
        snprintf(fbuf, sizeof fbuf, "%.1f", e->f); /* k * 0.5: Python's repr */
        snprintf(mine, sizeof mine, "%s %lld %lld %s %s", hex, (long long)e->key,
                 (long long)e->a, fbuf, s);
        assert_string_equal(line, mine);
    }
    free(out);
    char more[300];
    unlink(path);
    snprintf(more, sizeof more, "%s/script.py", dir);
    unlink(more);
    snprintf(more, sizeof more, "%s/script.err", dir);
    unlink(more);
    snprintf(more, sizeof more, "%s/again.npy", dir);
    unlink(more);
    rmdir(dir);
}

/* No partition of cur is done or has a digest: as a fresh cursor. */
static void expect_cursor_untouched(aw_partition_status *cur) {
    aw_error err;
    for (uint32_t id = 0; id < AW_PARTITIONS; id++) {
        aw_partition_info pi;
        tu_check(aw_partition_status_get(cur, id, &pi, &err), &err, "partition");
        assert_false(pi.done);
        assert_false(pi.has_digest);
    }
}

/* A failure mid-scan (a node drops its connection, no retries) leaves no
 * file under the name, no temporary, and the cursor as it was. */
static void test_npy_failure_leaves_nothing(void **state) {
    if (real_hosts)
        skip(); /* the fault is aw-testd's */
    make_dir("fail");
    char path[300];
    snprintf(path, sizeof path, "%s/fail.npy", dir);
    aw_partition_filter all = aw_partition_filter_all();
    aw_partition_status *cur;
    aw_error err;
    tu_check(aw_partition_status_new(&all, &cur, &err), &err, "cursor");
    aw_query q = {.ns = NS, .set = SET};
    aw_query_policy p = aw_query_policy_default();
    p.base.max_retries = 0;
    p.max_concurrent_nodes = 1;
    tu_testd_fault(&srv, 1, "drop-after=3000");
    int rc = aw_query_to_npy(client, &p, &q, cur, row_dt, path, 7, NULL, &err);
    tu_testd_clear_fault(&srv, 1);
    assert_int_not_equal(rc, AW_OK);
    assert_int_equal(dir_entries(), 0);
    expect_cursor_untouched(cur);
    /* a field that cannot take its bin: refused, naming the row */
    aw_dtype *dt;
    tu_check(aw_dtype_parse("[('a','<i8'),('s','<i4')]", false, &dt, &err), &err, "dtype");
    assert_int_equal(aw_query_to_npy(client, NULL, &q, cur, dt, path, 0, NULL, &err),
                     AW_ERR_FIELD_TYPE);
    assert_non_null(strstr(err.message, "row 0"));
    assert_int_equal(dir_entries(), 0);
    aw_dtype_free(dt);
    /* the same cursor then reads everything */
    uint64_t n = 0;
    tu_check(aw_query_to_npy(client, NULL, &q, cur, row_dt, path, 0, &n, &err), &err, "again");
    assert_int_equal(n, N_ALL);
    assert_true(aw_partition_status_done(cur));
    aw_partition_status_free(cur);
    unlink(path);
    rmdir(dir);
}

/* What the progress callback was told; it says stop once rows reach stop_at. */
typedef struct progress_log {
    uint64_t seen[400];
    size_t calls;
    uint64_t stop_at;   /* 0: never */
} progress_log;

static bool log_progress(uint64_t rows, void *udata) {
    progress_log *p = udata;
    if (p->calls < sizeof p->seen / sizeof p->seen[0])
        p->seen[p->calls] = rows;
    p->calls++;
    return p->stop_at == 0 || rows < p->stop_at;
}

/* aw_query_to_npy_opts: the progress callback hears of every full chunk
 * and then of the end with the final count; false stops the scan, in the
 * middle or at the end, and leaves no file and the cursor as on entry. */
static void test_npy_progress_and_stop(void **state) {
    make_dir("progress");
    char path[300];
    snprintf(path, sizeof path, "%s/p.npy", dir);
    aw_query q = {.ns = NS, .set = SET};
    aw_error err;
    progress_log log = {.calls = 0};
    aw_query_npy_opts opts = {.chunk_rows = 7, .progress = log_progress, .udata = &log};
    uint64_t n = 0;
    tu_check(aw_query_to_npy_opts(client, NULL, &q, NULL, row_dt, path, &opts, &n, &err), &err,
             "to_npy with progress");
    assert_int_equal(n, N_ALL);
    assert_int_equal(log.calls, N_ALL / 7 + 1);
    for (size_t k = 0; k + 1 < log.calls; k++)
        assert_int_equal(log.seen[k], 7 * (k + 1));
    assert_int_equal(log.seen[log.calls - 1], N_ALL);
    unlink(path);

    aw_partition_filter all = aw_partition_filter_all();
    aw_partition_status *cur;
    tu_check(aw_partition_status_new(&all, &cur, &err), &err, "cursor");
    /* Stopped in the middle: no file, no temporary, the cursor unmoved. */
    memset(&log, 0, sizeof log);
    log.stop_at = 500;
    assert_int_equal(aw_query_to_npy_opts(client, NULL, &q, cur, row_dt, path, &opts, &n, &err),
                     AW_ERR_CLIENT_ABORT);
    assert_non_null(strstr(err.message, "stopped by the progress callback after 504 rows"));
    assert_int_equal(log.seen[log.calls - 1], 504);
    assert_int_equal(n, 0);
    assert_int_equal(dir_entries(), 0);
    expect_cursor_untouched(cur);
    /* Stopped when told of the end: the same. */
    memset(&log, 0, sizeof log);
    log.stop_at = N_ALL;
    assert_int_equal(aw_query_to_npy_opts(client, NULL, &q, cur, row_dt, path, &opts, &n, &err),
                     AW_ERR_CLIENT_ABORT);
    assert_int_equal(log.seen[log.calls - 1], N_ALL);
    assert_int_equal(dir_entries(), 0);
    expect_cursor_untouched(cur);
    /* NULL opts: aw_query_to_npy's defaults; the cursor then reads everything. */
    tu_check(aw_query_to_npy_opts(client, NULL, &q, cur, row_dt, path, NULL, &n, &err), &err,
             "NULL opts");
    assert_int_equal(n, N_ALL);
    assert_true(aw_partition_status_done(cur));
    aw_partition_status_free(cur);
    unlink(path);
    rmdir(dir);
}

/* ---- an index query into rows ----------------------------------------------- */

static bool gather_digest(const aw_key *key, aw_record *rec, void *udata) {
    gather *g = udata;
    memset(g->rows[g->n], 0, ITEM);
    memcpy(g->rows[g->n], key->digest, 20);
    const aw_value *v = aw_record_get(rec, "a");
    if (v && v->type == AW_INT)
        memcpy(g->rows[g->n] + 28, &v->u.i, 8);
    g->n++;
    return g->n < N_ALL;
}

/* A range query on an index of its own (real server; aw-testd does not
 * serve index queries yet and must say so): the rows are the records
 * aw_query_foreach gets for the same query, with chunks of 7 and a stop
 * and resume in between (the cursor's bval at work). */
static void test_index_query(void **state) {
    aw_index_filter where = aw_filter_range("a", 0, 600);
    aw_query q = {.ns = NS, .set = SET, .where = &where};
    static gather g;
    memset(&g, 0, sizeof g);
    g.capacity = 7;
    uint8_t rows[7 * ITEM];
    aw_row_meta meta[7];
    int32_t codes[7];
    aw_rows_buffer buf = {rows, 7, meta, codes};
    g.expect_rows = rows;
    aw_error err;
    if (!real_hosts) {
        int rc = aw_query_into(client, NULL, &q, NULL, row_dt, &buf, on_chunk, &g, &err);
        assert_int_not_equal(rc, AW_OK);
        assert_int_equal(g.n, 0);
        return;
    }
    char name[64];
    snprintf(name, sizeof name, "%s_a", SET);
    aw_index_spec spec = {.ns = NS, .set = SET, .name = name, .bin = "a",
                          .type = AW_INDEX_NUMERIC};
    tu_check(aw_index_create(client, &spec, 0, &err), &err, "index create");
    tu_check(aw_index_wait(client, NS, name, 100, 30000, &err), &err, "index wait");
    static gather want_q;
    memset(&want_q, 0, sizeof want_q);
    int frc = aw_query_foreach(client, NULL, &q, NULL, gather_digest, &want_q, &err);
    aw_error ferr = err;
    aw_partition_filter all = aw_partition_filter_all();
    aw_partition_status *cur;
    tu_check(aw_partition_status_new(&all, &cur, &err), &err, "cursor");
    int rc;
    while ((g.stop_after = g.chunks + 5),
           (g.short_seen = false),
           (rc = aw_query_into(client, NULL, &q, cur, row_dt, &buf, on_chunk, &g, &err)) ==
               AW_ERR_CLIENT_ABORT) {
    }
    aw_index_drop(client, NS, name, 0, NULL); /* before any check can fail */
    aw_partition_status_free(cur);
    tu_check(frc, &ferr, "foreach");
    tu_check(rc, &err, "aw_query_into");
    assert_int_equal(want_q.n, 200); /* a = 3k - 7 in 0..600: k = 3..202 */
    assert_int_equal(g.n, want_q.n);
    qsort(g.rows, g.n, ITEM, cmp_row);
    qsort(want_q.rows, want_q.n, ITEM, cmp_row);
    for (size_t i = 0; i < g.n; i++) {
        assert_memory_equal(g.rows[i], want_q.rows[i], 20);
        assert_memory_equal(g.rows[i] + 28, want_q.rows[i] + 28, 8);
        assert_int_equal(g.codes[i], 0);
    }
}

/* ---- memory: one chunk, whatever the set's size ------------------------------ */

static bool count_rows(aw_rows_buffer *buf, size_t n, void *udata) {
    *(uint64_t *)udata += n;
    return true;
}

/* The most aerowire holds at once during a scan of the set, above what it
 * held before: with chunks of 1000 rows, or through a .npy file. What the
 * scan's thread allocated (tu_count_alloc_install_thread): the tend thread
 * may rebuild the partition map meanwhile, which is not the scan's. */
static long long scan_peak(const char *set, bool to_file, uint64_t *rows) {
    static uint8_t chunk[1000 * 28];
    aw_rows_buffer buf = {chunk, 1000, NULL, NULL};
    aw_dtype *dt;
    aw_error err;
    tu_check(aw_dtype_parse("[('_digest','|V20'),('v','<i8')]", false, &dt, &err), &err, "dtype");
    aw_query q = {.ns = NS, .set = set};
    char path[300];
    snprintf(path, sizeof path, "/tmp/aw-rows-query-%d-peak.npy", (int)getpid());
    *rows = 0;
    long long before = tu_count_alloc_live();
    tu_count_alloc_peak_reset();
    /* one node at a time: one stream's read buffer */
    aw_query_policy p = aw_query_policy_default();
    p.max_concurrent_nodes = 1;
    int rc = to_file ? aw_query_to_npy(client, &p, &q, NULL, dt, path, 1000, rows, &err)
                     : aw_scan_into(client, &p, NS, set, NULL, dt, &buf, count_rows, rows, &err);
    tu_check(rc, &err, to_file ? "aw_query_to_npy" : "aw_scan_into");
    long long peak = tu_count_alloc_peak() - before;
    unlink(path);
    aw_dtype_free(dt);
    return peak;
}

static void write_small(const char *set, int n) {
    aw_dtype *dt;
    aw_error err;
    tu_check(aw_dtype_parse("[('_key','<i8'),('v','<i8')]", false, &dt, &err), &err, "dtype");
    int64_t *rows = malloc((size_t)n * 16);
    for (int i = 0; i < n; i++)
        rows[2 * i] = rows[2 * i + 1] = i;
    /* Hundreds of thousands of rows: each attempt bounded by its socket
     * timeout, not all of them by the default 1 s (a sanitizer build on a
     * busy machine takes longer). */
    aw_batch_policy p = aw_batch_policy_default();
    p.base.total_timeout_ms = 0;
    char msg[200];
    int rc = tu_load_rows(client, &p, rows, (size_t)n, dt, NS, set, msg, sizeof msg);
    free(rows);
    aw_dtype_free(dt);
    tu_check_msg(rc, msg, "write");
}

/* 300,000 records take no more memory than 100,000: what aerowire holds
 * during the scan is the stream's read buffer (up to a reply frame, which
 * the server, and aw-testd, cut at about 1 MiB), not the records (whose
 * rows here are 8.4 MB, their replies some 20 MB), for the rows and for the
 * file alike. */
static void test_memory_bounded(void **state) {
    if (real_hosts)
        skip(); /* the load is aw-testd's; the real server's sets stay small */
    char small[40], big[40];
    snprintf(small, sizeof small, "%s_m100k", SET);
    snprintf(big, sizeof big, "%s_m300k", SET);
    write_small(small, 100000);
    write_small(big, 300000);
    uint64_t n_small, n_big;
    for (int to_file = 0; to_file < 2; to_file++) {
        long long p_small = scan_peak(small, to_file, &n_small);
        long long p_big = scan_peak(big, to_file, &n_big);
        assert_int_equal(n_small, 100000);
        assert_int_equal(n_big, 300000);
        if (p_big > p_small + 256 * 1024 || p_big > 3 * 1024 * 1024)
            fail_msg("%s: peak %lld bytes for 300k records, %lld for 100k",
                     to_file ? "to_npy" : "scan_into", p_big, p_small);
    }
}

int main(void) {
    tu_count_alloc_install_thread(); /* the scans run on this thread */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_of_1),
        cmocka_unit_test(test_chunks_of_7),
        cmocka_unit_test(test_chunks_of_1000),
        cmocka_unit_test(test_swapped_buffers),
        cmocka_unit_test(test_stop_and_resume),
        cmocka_unit_test(test_wrong_bin_type),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_foreach_no_record_after_stop),
        cmocka_unit_test(test_npy_numpy_loads),
        cmocka_unit_test(test_npy_failure_leaves_nothing),
        cmocka_unit_test(test_npy_progress_and_stop),
        cmocka_unit_test(test_index_query),
        cmocka_unit_test(test_memory_bounded),
    };
    int failed = cmocka_run_group_tests_name("rows_query (aw-testd)", tests, setup, teardown);
    real_hosts = getenv("AEROSPIKE_HOSTS");
    if (!real_hosts || !*real_hosts) {
        printf("test_rows_query: AEROSPIKE_HOSTS is not set; the real-server run is skipped\n");
        return failed;
    }
    if (getenv("AEROSPIKE_NS"))
        NS = getenv("AEROSPIKE_NS");
    snprintf(SET, sizeof SET, "rq%ld", (long)getpid());
    return failed + cmocka_run_group_tests_name("rows_query (AEROSPIKE_HOSTS)", tests, setup,
                                                teardown);
}
