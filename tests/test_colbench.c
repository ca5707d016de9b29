/*
 * aw-colbench as a child process ($AW_BIN/aw-colbench) against an aw-testd:
 * a path left out with -m prints nothing for itself, the two paths take
 * turns from round to round and show min / median / max, and a path whose
 * rows differ from what was written fails the run, naming itself.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "support/awrun.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

static tu_testd srv;
static char host[64];

static const char *colbench_path(void) {
    static char path[4096];
    const char *bin = getenv("AW_BIN");
    snprintf(path, sizeof path, "%s/aw-colbench", bin && bin[0] ? bin : "build/bin");
    return path;
}

#define COLBENCH(...) tu_run_prog(colbench_path(), NULL, (const char *const[]){__VA_ARGS__, NULL})

/* The line of `text` that starts with `prefix`, or NULL. */
static const char *line_starting(const char *text, const char *prefix) {
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, prefix, strlen(prefix)) == 0)
            return l;
    return NULL;
}

/* A path's figure line: min <= median <= max, all above zero. */
static void expect_figures(const char *out, const char *name) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "  %-15s ", name);
    const char *l = line_starting(out, prefix);
    if (!l)
        fail_msg("no figures for %s in:\n%s", name, out);
    double v[9];
    int n = sscanf(l + strlen(prefix), "%lf %lf %lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]);
    assert_int_equal(n, 9);
    for (int k = 0; k < 9; k += 3) {
        assert_true(v[k] <= v[k + 1] && v[k + 1] <= v[k + 2]);
        if (k < 6)
            assert_true(v[k] > 0);
    }
}

static void test_one_path(void **state) {
    (void)state;
    tu_run r = COLBENCH("-h", host, "-w", "b", "-t", "0.1", "-r", "2", "-m", "c");
    expect_status(r, 0);
    expect_figures(r.out, "columnar");
    assert_null(strstr(r.out, "records + fill"));
    assert_null(strstr(r.out, "columnar / records"));
    tu_run_free(&r);

    r = COLBENCH("-h", host, "-w", "b", "-t", "0.1", "-r", "2", "-m", "r");
    expect_status(r, 0);
    expect_figures(r.out, "records + fill");
    assert_null(line_starting(r.out, "  columnar "));
    assert_null(strstr(r.out, "columnar / records"));
    tu_run_free(&r);

    r = COLBENCH("-h", host, "-w", "b", "-t", "0.1", "-r", "2", "-m", "i");
    expect_status(r, 0);
    expect_figures(r.out, "columnar-ids");
    assert_null(line_starting(r.out, "  columnar "));
    assert_null(strstr(r.out, "records + fill"));
    tu_run_free(&r);
}

/* Both paths, four rounds: the first path alternates, each path gets a
 * figure per round and a min / median / max line, and the ratio. */
static void test_alternating(void **state) {
    (void)state;
    tu_run r = COLBENCH("-h", host, "-w", "b", "-t", "0.2", "-r", "4", "-v");
    expect_status(r, 0);
    expect_contains(r.out, "4 rounds, order alternating");
    const char *l = r.out;
    for (int round = 1; round <= 4; round++) {
        for (int k = 0; k < 2; k++) {
            bool columnar_first = round % 2 == 1;
            const char *name = (k == 0) == columnar_first ? "columnar" : "records + fill";
            char want[64];
            snprintf(want, sizeof want, "  round %d  %-15s ", round, name);
            l = line_starting(l, "  round ");
            if (!l || strncmp(l, want, strlen(want)) != 0)
                fail_msg("expected \"%s\" next in:\n%s", want, r.out);
            l = strchr(l, '\n') + 1;
        }
    }
    assert_null(line_starting(l, "  round "));
    expect_figures(r.out, "columnar");
    expect_figures(r.out, "records + fill");
    expect_contains(r.out, "  columnar / records (medians): ");
    tu_run_free(&r);
}

/* While aw-colbench runs, another client keeps changing one bin of record
 * 7: whichever path runs must see that its rows are not what was written. */
static atomic_bool stop_writer;

static void *overwrite_record(void *arg) {
    (void)arg;
    aw_config cfg = tu_client_config(&srv, 0);
    aw_client *client = tu_client_new(&cfg);
    aw_key key;
    aw_key_init_int(&key, "test", "colbench", 7, NULL);
    aw_bin bin = {"humidity", aw_value_int(12345)};
    aw_error err;
    while (!atomic_load(&stop_writer))
        tu_check(aw_put(client, NULL, &key, &bin, 1, &err), &err, "put");
    aw_client_close(client);
    return NULL;
}

static void corrupted(const char *path, const char *name) {
    atomic_store(&stop_writer, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, overwrite_record, NULL), 0);
    tu_run r = COLBENCH("-h", host, "-w", "a", "-t", "1", "-r", "2", "-m", path);
    atomic_store(&stop_writer, true);
    pthread_join(th, NULL);
    expect_status(r, 1);
    char want[96];
    snprintf(want, sizeof want, "aw-colbench: %s, round ", name);
    expect_contains(r.err, want);
    expect_contains(r.err, ": row 7 does not match what was written");
    tu_run_free(&r);
}

static void test_corrupted_columnar(void **state) {
    (void)state;
    corrupted("c", "columnar");
}

static void test_corrupted_records(void **state) {
    (void)state;
    corrupted("r", "records + fill");
}

static void test_corrupted_columnar_ids(void **state) {
    (void)state;
    corrupted("i", "columnar-ids");
}

static void test_bad_flags(void **state) {
    (void)state;
    tu_run r = COLBENCH("-m", "x");
    expect_status(r, 2);
    expect_contains(r.err, "-m some of c, r and i");
    tu_run_free(&r);
    r = COLBENCH("-r", "0");
    expect_status(r, 2);
    tu_run_free(&r);
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

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_path),          cmocka_unit_test(test_alternating),
        cmocka_unit_test(test_corrupted_columnar), cmocka_unit_test(test_corrupted_records),
        cmocka_unit_test(test_corrupted_columnar_ids),
        cmocka_unit_test(test_bad_flags),
    };
    int failed = cmocka_run_group_tests_name("colbench", tests, start_server, stop_server);
    return failed || tu_testd_stop_failed;
}
