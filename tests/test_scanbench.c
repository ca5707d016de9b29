/*
 * aw-scanbench as a child process ($AW_BIN/aw-scanbench) with the aw-testd
 * it starts itself: both paths load, scan and find every record with the
 * loaded values (it checks their sums and exits 1 otherwise), and print
 * their figures; -m picks one path; bad flags are refused; with a slow
 * consumer (-w) what aerowire holds does not grow with the set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "support/awrun.h"

static const char *scanbench_path(void) {
    static char path[512];
    const char *bin = getenv("AW_BIN");
    snprintf(path, sizeof path, "%s/aw-scanbench", bin && bin[0] ? bin : "build/bin");
    return path;
}

#define SCANBENCH(...) tu_run_prog(scanbench_path(), NULL, (const char *const[]){__VA_ARGS__, NULL})

/* The path's figure line: its record count, and figures above zero. */
static void expect_figures(const char *out, const char *name, unsigned long long n) {
    const char *l = strstr(out, name);
    if (!l)
        fail_msg("no figures for %s in:\n%s", name, out);
    l += strlen(name);
    unsigned long long got;
    double secs, rate, cpu, peak;
    int k = sscanf(l, " %llu records in %lf s: %lf records/s, %lf us cpu/record, peak RSS %lf",
                   &got, &secs, &rate, &cpu, &peak);
    assert_int_equal(k, 5);
    assert_int_equal(got, n);
    assert_true(secs > 0 && rate > 0 && cpu > 0 && peak > 0);
}

static void test_both_paths(void **state) {
    tu_run r = SCANBENCH("-n", "3000", "-C", "7");
    expect_status(r, 0);
    expect_figures(r.out, "columnar (aw_scan_into)", 3000);
    expect_figures(r.out, "records (aw_query_foreach + fill)", 3000);
    tu_run_free(&r);
}

static void test_one_path(void **state) {
    tu_run r = SCANBENCH("-n", "500", "-C", "1000", "-m", "c");
    expect_status(r, 0);
    expect_figures(r.out, "columnar (aw_scan_into)", 500);
    assert_null(strstr(r.out, "records (aw_query_foreach"));
    tu_run_free(&r);
}

/* The most aerowire held during the path's scan (-w's figure): bytes. */
static double held_bytes(const char *out, const char *name) {
    const char *l = strstr(out, name);
    if (!l)
        fail_msg("no figures for %s in:\n%s", name, out);
    const char *h = strstr(l, "aerowire held at most ");
    const char *eol = strchr(l, '\n');
    if (!h || (eol && h > eol))
        fail_msg("no held figure for %s in:\n%s", name, out);
    return atof(h + strlen("aerowire held at most ")) * 1e6;
}

/* A consumer spending 1 us per record: the library holds a reply frame's
 * read buffer (aw-testd cuts frames at 1 MiB), the same for 15,000 records
 * (a stream of some 3 MB) as for 60,000 (some 12 MB, which it would hold
 * if it buffered what the callback has not taken yet). */
static void test_slow_consumer_bounded(void **state) {
    static const char *const paths[] = {"columnar (aw_scan_into)",
                                        "records (aw_query_foreach + fill)"};
    tu_run small = SCANBENCH("-n", "15000", "-C", "500", "-w", "1000");
    tu_run big = SCANBENCH("-n", "60000", "-C", "500", "-w", "1000");
    expect_status(small, 0);
    expect_status(big, 0);
    for (int i = 0; i < 2; i++) {
        expect_figures(big.out, paths[i], 60000);
        double s = held_bytes(small.out, paths[i]), b = held_bytes(big.out, paths[i]);
        if (b > 3e6 || b > s + 64 * 1024)
            fail_msg("%s: aerowire held %.0f bytes for 60,000 records, %.0f for 15,000", paths[i],
                     b, s);
    }
    tu_run_free(&small);
    tu_run_free(&big);
}

static void test_bad_flags(void **state) {
    tu_run r = SCANBENCH("-m", "x");
    expect_status(r, 2);
    assert_non_null(strstr(r.err, "usage"));
    tu_run_free(&r);
    r = SCANBENCH("-C", "0");
    expect_status(r, 2);
    tu_run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_paths),
        cmocka_unit_test(test_one_path),
        cmocka_unit_test(test_slow_consumer_bounded),
        cmocka_unit_test(test_bad_flags),
    };
    return cmocka_run_group_tests_name("scanbench", tests, NULL, NULL);
}
