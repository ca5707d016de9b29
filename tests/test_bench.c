/*
 * aw-bench: its latency histogram against known inputs, then the program
 * itself as a child process ($AW_BIN/aw-bench) against an aw-testd: async
 * and sync read/update runs read back as JSON, an insert checked key by key
 * through the client, batch reads in both modes and batch writes, --count,
 * SIGINT, the embedded server, bad flags and a closed port.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "support/client_fixture.h"
#include "support/pyrun.h"
#include "support/testd_proc.h"

/* The histogram is one self-contained file of the tool: test it as is. */
#include "../tools/aw-bench/hist.c"

/* --- the histogram ------------------------------------------------------------- */

static void test_hist_buckets(void **state) {
    (void)state;
    /* Every value lies in its bucket, buckets are contiguous and at most
     * 1/32 of their values wide. */
    for (uint64_t v = 0; v < 200000; v++) {
        size_t i = bh_index(v);
        assert_true(bh_bucket_low(i) <= v);
        assert_true(v < bh_bucket_high(i));
    }
    for (size_t i = 0; i + 1 < BH_BUCKETS; i++) {
        assert_int_equal(bh_bucket_high(i), bh_bucket_low(i + 1));
        uint64_t lo = bh_bucket_low(i), w = bh_bucket_high(i) - lo;
        if (lo >= 64)
            assert_true(w * 32 <= lo);
    }
    for (unsigned e = 6; e < BH_MAX_EXP; e++) {
        uint64_t p = 1ull << e;
        assert_int_equal(bh_bucket_low(bh_index(p)), p);
        assert_true(bh_index(p - 1) + 1 == bh_index(p));
    }
    /* Past the range: the last bucket. */
    assert_int_equal(bh_index(1ull << 40), BH_BUCKETS - 1);
    assert_int_equal(bh_index(UINT64_MAX), BH_BUCKETS - 1);
}

static bh_hist *hist_new(void) {
    bh_hist *h = calloc(1, sizeof *h);
    assert_non_null(h);
    return h;
}

static void assert_near(double got, double want, double rel) {
    if (fabs(got - want) > rel * want)
        fail_msg("%.1f is not within %.1f%% of %.1f", got, rel * 100, want);
}

static void test_hist_percentiles(void **state) {
    (void)state;
    bh_hist *h = hist_new();
    assert_int_equal(bh_percentile(h, 50), 0);
    assert_true(bh_mean(h) == 0.0);
    /* 1..10000 us, once each. */
    for (uint64_t us = 1; us <= 10000; us++)
        bh_record(h, us * 1000);
    assert_int_equal(atomic_load(&h->n), 10000);
    assert_int_equal(atomic_load(&h->max_ns), 10000000);
    assert_near((double)bh_percentile(h, 50), 5000e3, 0.016);
    assert_near((double)bh_percentile(h, 90), 9000e3, 0.016);
    assert_near((double)bh_percentile(h, 99), 9900e3, 0.016);
    assert_near((double)bh_percentile(h, 99.9), 9990e3, 0.016);
    assert_near((double)bh_percentile(h, 0.01), 1e3, 0.016);
    /* Never above the maximum. */
    assert_true(bh_percentile(h, 100) <= 10000000);
    assert_near((double)bh_percentile(h, 100), 10000e3, 0.016);
    assert_near(bh_mean(h), 5000.5e3, 1e-9);

    /* Small values are exact: 1..100 ns. */
    bh_clear(h);
    for (uint64_t v = 1; v <= 60; v++)
        bh_record(h, v);
    assert_int_equal(bh_percentile(h, 50), 30);
    assert_int_equal(bh_percentile(h, 100), 60);
    assert_int_equal(bh_percentile(h, 0), 1);

    /* A skewed distribution: 990 at 100 us, 9 at 1 ms, 1 at 50 ms. */
    bh_clear(h);
    for (int i = 0; i < 990; i++)
        bh_record(h, 100000);
    for (int i = 0; i < 9; i++)
        bh_record(h, 1000000);
    bh_record(h, 50000000);
    assert_near((double)bh_percentile(h, 50), 100e3, 0.016);
    assert_near((double)bh_percentile(h, 99), 100e3, 0.016);
    assert_near((double)bh_percentile(h, 99.5), 1000e3, 0.016);
    assert_near((double)bh_percentile(h, 99.9), 1000e3, 0.016);
    assert_near((double)bh_percentile(h, 99.95), 50000e3, 0.016);
    free(h);
}

static void test_hist_add_sub(void **state) {
    (void)state;
    bh_hist *a = hist_new(), *b = hist_new(), *sum = hist_new(), *d = hist_new();
    for (uint64_t v = 1; v <= 1000; v++)
        bh_record(a, v * 1000);
    for (uint64_t v = 1001; v <= 2000; v++)
        bh_record(b, v * 1000);
    bh_add(sum, a);
    bh_add(sum, b);
    assert_int_equal(atomic_load(&sum->n), 2000);
    assert_int_equal(atomic_load(&sum->max_ns), 2000000);
    assert_near((double)bh_percentile(sum, 50), 1000e3, 0.016);
    /* The interval between two snapshots: sum - a = b. */
    bh_sub(d, sum, a);
    assert_int_equal(atomic_load(&d->n), 1000);
    assert_near((double)bh_percentile(d, 50), 1500e3, 0.016);
    assert_near(bh_mean(d), 1500.5e3, 1e-9);
    for (size_t i = 0; i < BH_BUCKETS; i++)
        assert_int_equal(atomic_load(&d->counts[i]), atomic_load(&b->counts[i]));
    /* An older snapshot minus a newer one cannot go negative. */
    bh_sub(d, a, sum);
    assert_int_equal(atomic_load(&d->n), 0);
    free(a);
    free(b);
    free(sum);
    free(d);
}

/* One writer per histogram while another thread merges: every value is
 * counted exactly once in the end. */
typedef struct writer_arg {
    bh_hist *h;
    int n;
} writer_arg;

static void *writer(void *p) {
    writer_arg *w = p;
    for (int i = 0; i < w->n; i++)
        bh_record(w->h, (uint64_t)(i % 5000) * 100 + 50);
    return NULL;
}

static void test_hist_threads(void **state) {
    (void)state;
    bh_hist *h[2] = {hist_new(), hist_new()}, *merged = hist_new();
    writer_arg args[2] = {{h[0], 300000}, {h[1], 300000}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, writer, &args[i]), 0);
    for (int k = 0; k < 50; k++) { /* the reporter, reading as they write */
        bh_clear(merged);
        bh_add(merged, h[0]);
        bh_add(merged, h[1]);
        uint64_t p50 = bh_percentile(merged, 50);
        assert_true(p50 <= 500000);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    bh_clear(merged);
    bh_add(merged, h[0]);
    bh_add(merged, h[1]);
    uint64_t n = 0;
    for (size_t i = 0; i < BH_BUCKETS; i++)
        n += atomic_load(&merged->counts[i]);
    assert_int_equal(n, 600000);
    assert_int_equal(atomic_load(&merged->n), 600000);
    free(h[0]);
    free(h[1]);
    free(merged);
}

static void test_hist_print(void **state) {
    (void)state;
    bh_hist *h = hist_new();
    for (int i = 0; i < 100; i++)
        bh_record(h, 150000); /* 150 us */
    for (int i = 0; i < 100; i++)
        bh_record(h, 3000000); /* 3 ms */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    bh_print(h, f, "  ", 10);
    fclose(f);
    /* Rows from 100 us to 5 ms, half the values in each end row. */
    assert_non_null(strstr(text, "[  100us,   200us)          100  50.00% ##########"));
    assert_non_null(strstr(text, "[    2ms,     5ms)          100  50.00% ##########"));
    assert_non_null(strstr(text, "[  500us,     1ms)            0   0.00%"));
    assert_null(strstr(text, "50us,"));
    assert_null(strstr(text, "10ms)"));
    free(text);
    free(h);
}

/* --- aw-bench as a child process ------------------------------------------------- */

static tu_testd srv;
static char host[64];

typedef struct child_out {
    int status;       /* exit code, or 128 + signal */
    char *out, *err;  /* everything it wrote, NUL-terminated */
    long maxrss_kib;  /* its peak resident memory */
} child_out;

static void child_out_free(child_out *c) {
    free(c->out);
    free(c->err);
}

/* Appends what fd has to *buf; false at EOF. */
static bool drain(int fd, char **buf, size_t *len) {
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n <= 0)
        return n < 0 && errno == EINTR;
    *buf = realloc(*buf, *len + (size_t)n + 1);
    memcpy(*buf + *len, tmp, (size_t)n);
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return true;
}

/* Runs aw-bench with args (NULL-terminated); sends SIGINT after
 * sigint_after_ms when that is > 0; kills it after 30 s. */
static child_out run_bench_sig(const char *const *args, int sigint_after_ms) {
    char path[4096];
    const char *bin = getenv("AW_BIN");
    snprintf(path, sizeof path, "%s/aw-bench", bin && bin[0] ? bin : "build/bin");
    const char *argv[64] = {path};
    int argc = 1;
    for (int i = 0; args[i] && argc < 62; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    int po[2], pe[2];
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(po[1]);
        close(pe[0]);
        close(pe[1]);
        execv(path, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    child_out c = {0, calloc(1, 1), calloc(1, 1), 0};
    size_t lo = 0, le = 0;
    bool open_o = true, open_e = true, sent = false;
    uint64_t t0 = tu_now_ms();
    while (open_o || open_e) {
        struct pollfd p[2] = {{open_o ? po[0] : -1, POLLIN, 0}, {open_e ? pe[0] : -1, POLLIN, 0}};
        poll(p, 2, 50);
        if (p[0].revents)
            open_o = drain(po[0], &c.out, &lo);
        if (p[1].revents)
            open_e = drain(pe[0], &c.err, &le);
        uint64_t el = tu_now_ms() - t0;
        if (sigint_after_ms > 0 && !sent && el >= (uint64_t)sigint_after_ms) {
            kill(pid, SIGINT);
            sent = true;
        }
        if (el > 30000) {
            kill(pid, SIGKILL);
            break;
        }
    }
    close(po[0]);
    close(pe[0]);
    int st = 0;
    struct rusage ru = {0};
    wait4(pid, &st, 0, &ru);
    c.maxrss_kib = ru.ru_maxrss;
    c.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return c;
}

static child_out run_bench(const char *const *args) { return run_bench_sig(args, 0); }

/* The JSON object on stdout: stdout must be exactly one object. */
static json_t *bench_json(const child_out *c) {
    json_error_t e;
    json_t *j = json_loads(c->out, 0, &e);
    if (!j)
        fail_msg("stdout is not one JSON object (%s at %d): [%s]\nstderr: %s", e.text, e.position,
                 c->out, c->err);
    assert_true(json_is_object(j));
    return j;
}

static double num(const json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("no number \"%s\" in the JSON", key);
    return json_number_value(v);
}

/* Checks what every successful run must show, and one op type's figures. */
static void check_run(json_t *j, const char *type, bool batch) {
    assert_true(num(j, "ops") > 0);
    assert_true(num(j, "seconds") > 0);
    double tps = num(j, "tps");
    assert_true(tps > 0);
    assert_near(tps, num(j, "ops") / num(j, "seconds"), 0.01);
    assert_true(tps < 1e8); /* plausible for one machine */
    assert_true(num(j, "errors") == 0);
    assert_true(num(j, "timeouts") == 0);
    assert_true(num(j, "cpu_seconds") > 0);
    assert_true(num(j, "cpu_us_per_op") > 0);
    json_t *t = json_object_get(json_object_get(j, "types"), type);
    if (!t)
        fail_msg("no \"%s\" in types", type);
    assert_true(num(t, "ops") > 0);
    assert_true(num(t, "errors") == 0);
    if (batch)
        assert_true(num(t, "records") > 0);
    json_t *lat = json_object_get(t, "latency_us");
    double p50 = num(lat, "p50"), p99 = num(lat, "p99"), p999 = num(lat, "p999");
    assert_true(p50 > 0);
    assert_true(p50 <= p99);
    assert_true(p99 <= p999);
    assert_true(p999 <= num(lat, "max") * 1.02);
}

static void expect_ok(const child_out *c) {
    if (c->status != 0)
        fail_msg("aw-bench exited %d\nstdout: %s\nstderr: %s", c->status, c->out, c->err);
}

/* Writes keys 1..n of `set` (bins I,S16) with aw-bench's insert. */
static void insert_keys(const char *set, const char *n) {
    const char *args[] = {"-h", host, "-s", set, "-w", "I", "-k", n, "-o", "I,S16", "--json", NULL};
    child_out c = run_bench(args);
    expect_ok(&c);
    json_t *j = bench_json(&c);
    assert_true(num(j, "ops") == atof(n));
    assert_true(num(j, "errors") == 0);
    json_decref(j);
    child_out_free(&c);
}

static int start_server(void **state) {
    (void)state;
    if (tu_testd_start(&srv, NULL) != 0)
        return -1;
    snprintf(host, sizeof host, "127.0.0.1:%u", srv.ports[0]);
    return 0;
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&srv);
}

static void test_async_ru(void **state) {
    (void)state;
    insert_keys("ru", "1000");
    const char *args[] = {"-h", host, "-s", "ru", "-k", "1000", "-o", "I,S16", "-a", "-w",
                          "RU,50", "-t", "1", "--json", NULL};
    child_out c = run_bench(args);
    expect_ok(&c);
    json_t *j = bench_json(&c);
    check_run(j, "read", false);
    check_run(j, "write", false);
    assert_string_equal(json_string_value(json_object_get(j, "mode")), "async");
    assert_true(num(j, "misses") == 0); /* every key was inserted */
    assert_true(num(j, "seconds") >= 0.9 && num(j, "seconds") < 3);
    /* Half reads, half writes, give or take. */
    json_t *types = json_object_get(j, "types");
    double r = num(json_object_get(types, "read"), "ops"), w = num(json_object_get(types, "write"), "ops");
    assert_near(r / (r + w), 0.5, 0.1);
    assert_false(json_is_true(json_object_get(j, "embedded_server")));
    /* With --json the per-second lines went to stderr. */
    assert_non_null(strstr(c.err, "read "));
    json_decref(j);
    child_out_free(&c);
}

static void test_sync_run(void **state) {
    (void)state;
    const char *args[] = {"-h", host, "-s", "ru", "-k", "1000", "-o", "I,S16", "-z", "2", "-w",
                          "RR,80", "-t", "1", "--json", NULL};
    child_out c = run_bench(args);
    expect_ok(&c);
    json_t *j = bench_json(&c);
    check_run(j, "read", false);
    check_run(j, "write", false);
    assert_string_equal(json_string_value(json_object_get(j, "mode")), "sync");
    assert_true(num(j, "threads") == 2);
    json_decref(j);
    child_out_free(&c);
}

static void test_insert(void **state) {
    (void)state;
    const char *args[] = {"-h", host, "-s", "ins", "-w", "I", "-k", "1000", "-K", "5000",
                          "-o", "I2,S16,B8,D,b", "-a", "-c", "16", NULL};
    child_out c = run_bench(args);
    expect_ok(&c);
    /* Human output: the summary with its histogram, the progress on stderr. */
    assert_non_null(strstr(c.out, "aw-bench summary: "));
    assert_non_null(strstr(c.out, "1000 commands"));
    assert_non_null(strstr(c.out, "latency us: mean"));
    assert_non_null(strstr(c.err, "insert 100% (1000 of 1000)"));
    child_out_free(&c);

    /* Every key 5000..5999 is there, with the spec's bins. */
    aw_config cfg = tu_client_config(&srv, 0);
    aw_client *client = tu_client_new(&cfg);
    aw_key *keys = calloc(1002, sizeof *keys);
    for (int i = 0; i < 1002; i++)
        aw_key_init_int(&keys[i], "test", "ins", 4999 + i, NULL);
    bool exists[1002];
    aw_error err;
    tu_check(aw_batch_exists(client, NULL, keys, 1002, exists, NULL, &err), &err, "exists");
    assert_false(exists[0]);
    for (int i = 1; i <= 1000; i++)
        if (!exists[i])
            fail_msg("key %d was not inserted", 4999 + i);
    assert_false(exists[1001]);
    aw_record rec = {0};
    tu_check(aw_get(client, NULL, &keys[1], NULL, 0, &rec, &err), &err, "get");
    const aw_value *v = aw_record_get(&rec, "testbin");
    assert_non_null(v);
    assert_int_equal(v->type, AW_INT);
    assert_true(v->u.i >= 256 && v->u.i <= 65535); /* asbench's I2 range */
    v = aw_record_get(&rec, "testbin_2");
    assert_non_null(v);
    assert_int_equal(v->type, AW_STR);
    assert_int_equal(v->len, 16);
    v = aw_record_get(&rec, "testbin_3");
    assert_non_null(v);
    assert_int_equal(v->type, AW_BLOB);
    assert_int_equal(v->len, 8);
    assert_int_equal(aw_record_get(&rec, "testbin_4")->type, AW_FLOAT);
    assert_int_equal(aw_record_get(&rec, "testbin_5")->type, AW_BOOL);
    aw_record_free(&rec);
    free(keys);
    aw_client_close(client);
}

static void batch_read(const char *mode) {
    const char *args[] = {"-h", host, "-s", "ru", "-k", "1000", "-a", "-c", "4", "-w", "RU,100",
                          "--batch-read-size", "100", "--batch-mode", mode, "-t", "1", "--json",
                          NULL};
    child_out c = run_bench(args);
    expect_ok(&c);
    json_t *j = bench_json(&c);
    check_run(j, "batch_read", true);
    json_t *t = json_object_get(json_object_get(j, "types"), "batch_read");
    assert_true(num(t, "records") == num(t, "ops") * 100);
    assert_true(num(t, "misses") == 0);
    assert_null(json_object_get(json_object_get(j, "types"), "read"));
    assert_string_equal(json_string_value(json_object_get(j, "batch_mode")), mode);
    assert_true(num(j, "cpu_us_per_record") > 0);
    assert_true(num(j, "cpu_us_per_record") < num(j, "cpu_us_per_op"));
    json_decref(j);
    child_out_free(&c);
}

static void test_batch_columnar(void **state) {
    (void)state;
    batch_read("columnar");
}

static void test_batch_records(void **state) {
    (void)state;
    batch_read("records");
}

/* Batch writes from rows and records, sync and async, over the same keys. */
static void test_batch_writes(void **state) {
    (void)state;
    const char *modes[] = {"columnar", "records"};
    for (int m = 0; m < 2; m++) {
        const char *args[] = {"-h", host, "-s", "ru", "-k", "1000", "-o", "I,S16", "-w", "RU,50",
                              "--batch-size", "20", "--batch-mode", modes[m], "-z", "2", "-t",
                              "0.5", "--json", m ? "-a" : NULL, NULL};
        child_out c = run_bench(args);
        expect_ok(&c);
        json_t *j = bench_json(&c);
        check_run(j, "batch_write", true);
        check_run(j, "batch_read", true);
        json_decref(j);
        child_out_free(&c);
    }
    /* Whatever was rewritten still has the spec's bins: an integer and 16
     * letters. */
    aw_config cfg = tu_client_config(&srv, 0);
    aw_client *client = tu_client_new(&cfg);
    aw_key *keys = calloc(1000, sizeof *keys);
    aw_batch_result *res = calloc(1000, sizeof *res);
    for (int i = 0; i < 1000; i++)
        aw_key_init_int(&keys[i], "test", "ru", 1 + i, NULL);
    aw_error err;
    tu_check(aw_batch_get(client, NULL, keys, 1000, NULL, 0, false, res, &err), &err, "get");
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(res[i].code, 0);
        const aw_value *s16 = aw_record_get(&res[i].rec, "testbin_2");
        if (!s16 || s16->type != AW_STR || s16->len != 16)
            fail_msg("key %d: testbin_2 is not 16 letters", 1 + i);
        for (int k = 0; k < 16; k++)
            assert_true(s16->u.str[k] >= 'a' && s16->u.str[k] <= 'z');
        assert_int_equal(aw_record_get(&res[i].rec, "testbin")->type, AW_INT);
    }
    aw_batch_results_free(res, 1000);
    free(res);
    free(keys);
    aw_client_close(client);
}

/* By default every command makes its keys from the integer (digest and
 * all); only --precomputed-digests builds a table first, and the output
 * says which. Over 2,000,000 keys the table is 40 MB: the flagged run's
 * peak memory shows it, the default run's must not. */
static void test_digests(void **state) {
    (void)state;
    const char *keys = "2000000";
    const double table_kib = 2000000.0 * AW_DIGEST_SIZE / 1024;
    child_out runs[2];
    for (int flagged = 0; flagged < 2; flagged++) {
        const char *args[] = {"-h", host, "-s", "ru", "-k", keys, "-z", "1", "-w", "RU,100",
                              "--count", "200", "-t", "0", "--json",
                              flagged ? "--precomputed-digests" : NULL, NULL};
        runs[flagged] = run_bench(args);
        child_out *c = &runs[flagged];
        expect_ok(c);
        json_t *j = bench_json(c);
        assert_true(num(j, "ops") == 200);
        assert_true(json_is_boolean(json_object_get(j, "precomputed_digests")));
        assert_true(json_is_true(json_object_get(j, "precomputed_digests")) == (flagged == 1));
        assert_non_null(strstr(c->err, flagged ? "aw-bench: digests precomputed (--precomputed-digests)\n"
                                               : "aw-bench: key digests computed per command\n"));
        json_decref(j);
    }
    double grew = (double)(runs[1].maxrss_kib - runs[0].maxrss_kib);
    if (grew < 0.9 * table_kib)
        fail_msg("peak memory %ld KiB by default, %ld KiB with --precomputed-digests: the default "
                 "run holds a digest table too",
                 runs[0].maxrss_kib, runs[1].maxrss_kib);
    child_out_free(&runs[0]);
    child_out_free(&runs[1]);

    /* The per-command keys are the right ones: every inserted key is found. */
    const char *args[] = {"-h", host, "-s", "ru", "-k", "1000", "-z", "1", "-w", "RU,100",
                          "--count", "2000", "-t", "0", "--batch-read-size", "10", NULL};
    child_out c = run_bench(args);
    expect_ok(&c);
    assert_non_null(strstr(c.out, "misses 0,"));
    assert_non_null(strstr(c.out, " us per record; key digests computed per command\n"));
    child_out_free(&c);
    /* A table past its limit is a bad flag. */
    const char *big[] = {"-h", host, "-k", "20000000", "--precomputed-digests", NULL};
    c = run_bench(big);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "--precomputed-digests holds at most 16777216 keys"));
    child_out_free(&c);
}

static void test_count(void **state) {
    (void)state;
    const char *args[] = {"-h", host, "-s", "ru", "-k", "1000", "-a", "-W", "2", "-c", "10",
                          "--count", "5001", "-t", "0", "--json", NULL};
    child_out c = run_bench(args);
    expect_ok(&c);
    json_t *j = bench_json(&c);
    assert_true(num(j, "ops") == 5001);
    assert_true(num(j, "event_loops") == 2);
    json_decref(j);
    child_out_free(&c);
}

static void test_sigint(void **state) {
    (void)state;
    const char *args[] = {"-h", host, "-s", "ru", "-k", "1000", "-a", "-t", "0", "--json", NULL};
    child_out c = run_bench_sig(args, 700);
    assert_int_equal(c.status, 130);
    json_t *j = bench_json(&c);
    assert_true(json_is_true(json_object_get(j, "interrupted")));
    assert_true(num(j, "ops") > 0);
    assert_true(num(j, "errors") == 0);
    json_decref(j);
    child_out_free(&c);
}

/* No -h: aw-bench starts its own aw-testd, says so in one line, loads the
 * keys, and the server is gone once it exits. */
static void test_embedded(void **state) {
    (void)state;
    const char *args[] = {"-k", "2000", "-a", "-t", "0.5", "--json", NULL};
    child_out c = run_bench(args);
    expect_ok(&c);
    json_t *j = bench_json(&c);
    check_run(j, "read", false);
    assert_true(json_is_true(json_object_get(j, "embedded_server")));
    assert_true(num(j, "misses") == 0); /* loaded first */
    const char *line = strstr(c.err, "aw-bench: no -h given; started aw-testd on 127.0.0.1:");
    assert_non_null(line);
    assert_true(line == c.err); /* the first line */
    assert_null(strstr(strchr(line, '\n'), "started aw-testd")); /* said once */
    const char *addr = line + strlen("aw-bench: no -h given; started aw-testd on ");
    unsigned port = (unsigned)atoi(strchr(addr, ':') + 1);
    assert_true(port > 0 && port < 65536);
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%u", port);
    assert_string_equal(json_string_value(json_object_get(j, "host")), want);
    int fd = tu_connect((uint16_t)port);
    if (fd >= 0)
        close(fd);
    assert_true(fd < 0);
    json_decref(j);
    child_out_free(&c);
}

static void test_bad_flags(void **state) {
    (void)state;
    static const struct {
        const char *args[4];
        const char *says;
    } cases[] = {
        {{"-x"}, "unknown option -x"},
        {{"--bogus"}, "unknown option --bogus"},
        {{"-k", "abc"}, "-k: expected a key count"},
        {{"-k"}, "-k needs a value"},
        {{"-w", "XY"}, "bad workload \"XY\""},
        {{"-w", "RU,150"}, "bad workload"},
        {{"-o", "I,Q"}, "unknown bin type at \"Q\""},
        {{"-o", "S"}, "expected a length"},
        {{"-t", "-1"}, "-t: expected seconds"},
        {{"-c", "0"}, "-c: expected"},
        {{"--batch-mode", "rows"}, "expected records or columnar"},
        {{"--tls-enable"}, "--tls-enable needs -h"},
        {{"--tls-login-only"}, "--tls-login-only is an asbench option aw-bench does not support"},
        {{"--tls-cafile"}, "--tls-cafile needs a value"},
        {{"--auth", "ldap"}, "--auth: \"ldap\" is not internal, external or pki"},
        {{"-Psecret"}, "-P needs -U"},
        {{"-p", "70000"}, "port must be 1..65535"},
        {{"-n", "a-namespace-name-longer-than-31-bytes"}, "must be 1..31 bytes"},
        {{"stray"}, "unexpected argument \"stray\""},
        {{"--filter", "$.testbin >"}, "--filter: at 12: expected a value after '>'"},
        {{"--filter", "$.testbin.int() + 1"}, "--filter: \"$.testbin.int() + 1\" is not a bool"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        child_out c = run_bench(cases[i].args);
        if (c.status != 2 || !strstr(c.err, cases[i].says) || c.out[0])
            fail_msg("case %zu (%s): exit %d, stderr [%s], stdout [%s]", i, cases[i].args[0],
                     c.status, c.err, c.out);
        child_out_free(&c);
    }
    const char *help[] = {"--help", NULL};
    child_out c = run_bench(help);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "--batch-read-size"));
    child_out_free(&c);
}

/* A port nobody listens on: the error names the address. */
static void test_closed_port(void **state) {
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd); /* bound, never listened on, now free: refused */
    char where[32], port[8];
    snprintf(port, sizeof port, "%u", ntohs(sa.sin_port));
    snprintf(where, sizeof where, "127.0.0.1:%s", port);
    const char *args[] = {"-h", "127.0.0.1", "-p", port, "-t", "1", NULL};
    child_out c = run_bench(args);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.err, "aw-bench: cannot connect to "));
    assert_non_null(strstr(c.err, where));
    child_out_free(&c);
}

/* A filter aw-testd refuses (16: a polygon with a hole, a geo shape it does
 * not evaluate, docs/testd.md): every read fails while the writes succeed,
 * and the run says so and fails rather than report a figure. */
#define HOLED_POLYGON                                                                  \
    "geo_compare($.testbin.geo(), geo(\"{\\\"type\\\":\\\"Polygon\\\",\\\"coordinates\\\":"     \
    "[[[0,0],[0,10],[10,10],[10,0],[0,0]],[[1,1],[1,2],[2,2],[2,1],[1,1]]]}\"))"

static void test_refused_reads(void **state) {
    (void)state;
    const char *args[] = {"-h", host, "-s", "ru", "-k", "1000", "-z", "2", "-w", "RU,50", "-t",
                          "1", "--filter", HOLED_POLYGON, "--json", NULL};
    child_out c = run_bench(args);
    assert_int_equal(c.status, 1);
    json_t *j = bench_json(&c);
    assert_string_equal(json_string_value(json_object_get(j, "filter")), HOLED_POLYGON);
    json_t *types = json_object_get(j, "types");
    json_t *rd = json_object_get(types, "read"), *wr = json_object_get(types, "write");
    assert_true(num(rd, "ops") == 0);
    assert_true(num(rd, "errors") > 0);
    assert_true(json_is_true(json_object_get(rd, "all_failed")));
    assert_true(num(wr, "ops") > 0);
    assert_true(json_is_false(json_object_get(wr, "all_failed")));
    json_t *fe = json_object_get(j, "first_error");
    assert_true(num(fe, "code") == 16);
    assert_non_null(strstr(c.err, "aw-bench: every read failed (first error: "
                                  "UNSUPPORTED_FEATURE, code 16"));
    json_decref(j);
    child_out_free(&c);
}

/* Reads a filter rejects are answered (27) and counted as filtered, not
 * errors; reads it passes are plain reads. */
static void check_filters(const char *hosts) {
    const char *ins[] = {"-h", hosts, "-s", "aw_bench_filter", "-w", "I", "-k", "200", NULL};
    child_out c = run_bench(ins);
    expect_ok(&c);
    child_out_free(&c);
    static const struct {
        const char *filter, *batch;
        bool rejects;
    } cases[] = {
        {"1 == 1", NULL, false},
        {"$.nosuchbin.int() == 1", NULL, true}, /* unknown: filtered out */
        {"$.testbin.int() < 0 and $.testbin > 0", "10", true},
        {"not ($.testbin.int() < 0 and $.testbin > 0)", "10", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[24] = {"-h", hosts, "-s", "aw_bench_filter", "-k", "200", "-z", "2",
                                "-w", "RU,100", "-t", "1", "--json", "--filter",
                                cases[i].filter};
        if (cases[i].batch) {
            args[15] = "--batch-read-size";
            args[16] = cases[i].batch;
        }
        c = run_bench(args);
        expect_ok(&c);
        json_t *j = bench_json(&c);
        const char *type = cases[i].batch ? "batch_read" : "read";
        json_t *t = json_object_get(json_object_get(j, "types"), type);
        double answered = num(t, cases[i].batch ? "records" : "ops");
        assert_true(answered > 0);
        assert_true(num(t, "errors") == 0);
        assert_true(num(t, "filtered") == (cases[i].rejects ? answered : 0));
        assert_true(num(j, "filtered") == num(t, "filtered"));
        json_decref(j);
        child_out_free(&c);
    }
}

/* On aw-testd, which evaluates filters as the server does. */
static void test_filters(void **state) {
    (void)state;
    check_filters(host);
}

/* The same on a real server (AEROSPIKE_HOSTS, as test_real_server). */
static void test_filter_real_server(void **state) {
    (void)state;
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    if (!hosts || !*hosts)
        skip();
    check_filters(hosts);
}

/* The sum of the samples `name{...}` whose labels hold `label`, and checks
 * every line against the text format's grammar (0.0.4) on the way. */
static double prom_count(const char *text, const char *name, const char *label) {
    regex_t sample, comment;
    const char *lbl = "[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\"";
    char re[512];
    snprintf(re, sizeof re,
             "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{(%s)(,%s)*\\})? "
             "([-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|[-+]?Inf|NaN)$",
             lbl, lbl);
    assert_int_equal(regcomp(&sample, re, REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal(regcomp(&comment,
                             "^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
                             "(counter|gauge|histogram|summary|untyped))$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    double sum = 0;
    size_t nl = strlen(name);
    char line[1024];
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        assert_non_null(end); /* every line ends with a newline */
        snprintf(line, sizeof line, "%.*s", (int)(end - p), p);
        regex_t *g = line[0] == '#' ? &comment : &sample;
        if (regexec(g, line, 0, NULL, 0) != 0)
            fail_msg("not a Prometheus text line: \"%s\"", line);
        if (strncmp(line, name, nl) == 0 && line[nl] == '{' && strstr(line, label))
            sum += strtod(strrchr(line, ' ') + 1, NULL);
        p = end + 1;
    }
    regfree(&sample);
    regfree(&comment);
    return sum;
}

/* --metrics FILE: each type's _count is what aw-bench counted (answered,
 * failed and timed out), and the file is well-formed Prometheus text. */
static void test_metrics_file(void **state) {
    (void)state;
    insert_keys("mx", "500");
    char path[] = "/tmp/aw-bench-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *args[] = {"-h", host, "-s", "mx", "-k", "500", "-o", "I,S16", "-a", "-w", "RU,50",
                          "-t", "1", "--json", "--metrics", path, NULL};
    child_out c = run_bench(args);
    expect_ok(&c);
    json_t *j = bench_json(&c);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    json_t *types = json_object_get(j, "types");
    const char *names[] = {"read", "write"};
    for (int i = 0; i < 2; i++) {
        json_t *t = json_object_get(types, names[i]);
        double counted = num(t, "ops") + num(t, "errors") + num(t, "timeouts");
        char label[32];
        snprintf(label, sizeof label, "type=\"%s\"", names[i]);
        double got = prom_count(text, "aerowire_command_duration_seconds_count", label);
        if (got != counted || counted < 100)
            fail_msg("%s: aw-bench counted %.0f, the metrics say %.0f", names[i], counted, got);
    }
    /* And a stricter look from python: buckets cumulative, +Inf == _count. */
    char script[2048];
    snprintf(script, sizeof script,
             "import re\n"
             "L=re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*\\})? \\S+$')\n"
             "b={};cnt={}\n"
             "for l in open('%s').read().split('\\n')[:-1]:\n"
             "  if l.startswith('#'): continue\n"
             "  assert L.match(l), l\n"
             "  name,val=l.rsplit(' ',1)\n"
             "  m=re.match(r'(\\w+)_bucket\\{(.*),le=\"([^\"]+)\"\\}',name)\n"
             "  if m: b.setdefault((m[1],m[2]),[]).append((float(m[3]),float(val)))\n"
             "  m=re.match(r'(\\w+)_count\\{(.*)\\}',name)\n"
             "  if m: cnt[(m[1],m[2])]=float(val)\n"
             "for k,v in b.items():\n"
             "  assert [x for x,_ in v]==sorted(x for x,_ in v), k\n"
             "  assert all(v[i][1]<=v[i+1][1] for i in range(len(v)-1)), k\n"
             "  assert v[-1][0]==float('inf') and v[-1][1]==cnt[k], k\n"
             "print(len(b))\n",
             path);
    char *out = tu_python("/tmp", script);
    assert_true(atoi(out) > 0);
    free(out);
    unlink(path);
    json_decref(j);
    child_out_free(&c);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest hist[] = {
        cmocka_unit_test(test_hist_buckets),   cmocka_unit_test(test_hist_percentiles),
        cmocka_unit_test(test_hist_add_sub),   cmocka_unit_test(test_hist_threads),
        cmocka_unit_test(test_hist_print),
    };
    const struct CMUnitTest runs[] = {
        cmocka_unit_test(test_async_ru),       cmocka_unit_test(test_sync_run),
        cmocka_unit_test(test_insert),         cmocka_unit_test(test_batch_columnar),
        cmocka_unit_test(test_batch_records),  cmocka_unit_test(test_batch_writes),
        cmocka_unit_test(test_count),          cmocka_unit_test(test_sigint),
        cmocka_unit_test(test_digests),        cmocka_unit_test(test_refused_reads),
        cmocka_unit_test(test_filters),         cmocka_unit_test(test_metrics_file),
    };
    const struct CMUnitTest alone[] = {
        cmocka_unit_test(test_embedded),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_closed_port),
        cmocka_unit_test(test_filter_real_server),
    };
    int failed = cmocka_run_group_tests_name("bench_hist", hist, NULL, NULL);
    failed += cmocka_run_group_tests_name("bench_runs", runs, start_server, stop_server);
    failed += cmocka_run_group_tests_name("bench_cli", alone, NULL, NULL);
    return failed || tu_testd_stop_failed;
}
