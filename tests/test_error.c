/* Result codes: every code of the reference has a name and a message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>

#include "aerowire/error.h"
#include "proto/errno_text.h"

/* The server codes of wire-protocol.md §11.1 and the client codes of §11.2
 * that the client produces (ours keep the official client's numbers where
 * they share a meaning; tests/check-error-codes.sh checks each is used). */
static const int SERVER_CODES[] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 26, 27, 28, 29, 32, 50, 51, 52, 53, 54, 55, 56, 60, 61, 62, 63, 64, 65,
    66, 70, 71, 72, 73, 74, 75, 80, 81, 82, 83, 90, 91, 92, 93, 94, 100, 120, 121, 122, 123,
    124, 125, 126, 127, 150, 151, 152, 160, 200, 201, 202, 203, 204, 205, 206, 210, 211, 212, 213,
};
static const int CLIENT_CODES[] = {-1,  -2,  -4,  -7,  -8,  -10, -14, -15,
                                   -17, -18, -19, -20, -21, -22, -23};

static void check_codes(const int *codes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const char *name = aw_status_name(codes[i]);
        const char *msg = aw_strerror(codes[i]);
        assert_string_not_equal(name, "UNKNOWN");
        assert_string_not_equal(msg, "unknown result code");
        assert_true(strlen(msg) > 3);
        /* Names are unique. */
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(name, aw_status_name(codes[j]));
    }
}

static void test_every_code_named(void **state) {
    (void)state;
    check_codes(SERVER_CODES, sizeof SERVER_CODES / sizeof SERVER_CODES[0]);
    check_codes(CLIENT_CODES, sizeof CLIENT_CODES / sizeof CLIENT_CODES[0]);
}

static void test_known_names(void **state) {
    (void)state;
    assert_string_equal(aw_status_name(2), "RECORD_NOT_FOUND");
    assert_string_equal(aw_status_name(3), "RECORD_GENERATION");
    assert_string_equal(aw_status_name(13), "RECORD_TOO_BIG");
    assert_string_equal(aw_status_name(27), "FILTERED_OUT");
    assert_string_equal(aw_status_name(AW_ERR_PARAM), "PARAM");
    assert_string_equal(aw_strerror(2), "record not found");
    /* Gaps in the table are unknown, not a neighbour's name. */
    assert_string_equal(aw_status_name(30), "UNKNOWN");
    assert_string_equal(aw_status_name(99), "UNKNOWN");
    assert_string_equal(aw_status_name(-999), "UNKNOWN");
    assert_string_equal(aw_status_name(1000), "UNKNOWN");
}

static void test_error_set(void **state) {
    (void)state;
    aw_error err;
    aw_error_reset(&err);
    assert_int_equal(err.code, 0);
    assert_string_equal(err.message, "");
    assert_int_equal(aw_error_set(&err, AW_ERR_PARAM, "bin '%s' too long", "abc"), AW_ERR_PARAM);
    assert_int_equal(err.code, AW_ERR_PARAM);
    assert_string_equal(err.message, "bin 'abc' too long");
    assert_false(err.in_doubt);
    assert_int_equal(aw_error_set(&err, AW_ERR_TIMEOUT, NULL), AW_ERR_TIMEOUT);
    assert_string_equal(err.message, "timeout");
    /* Long messages are truncated, still NUL-terminated. */
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    aw_error_set(&err, AW_ERR_CLIENT, "%s", big);
    assert_int_equal(strlen(err.message), AW_ERROR_MSG_SIZE - 1);
    /* NULL err is harmless and still returns the code. */
    assert_int_equal(aw_error_set(NULL, AW_ERR_PROTO, "x"), AW_ERR_PROTO);
    aw_error_reset(NULL);
}

/* errno texts for messages, without strerror's shared buffer. */
static void test_errno_text(void **state) {
    (void)state;
    char buf[AW_ERRNO_TEXT_SIZE];
    assert_string_equal(aw_errno_text(ECONNREFUSED, buf, sizeof buf), "Connection refused");
    char msg[64];
    snprintf(msg, sizeof msg, "recv: %s / %s", aw_errno_str(EPIPE), aw_errno_str(ENOENT));
    assert_string_equal(msg, "recv: Broken pipe / No such file or directory");
    assert_string_equal(aw_errno_str(4242), "Unknown error 4242");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_named),
        cmocka_unit_test(test_known_names),
        cmocka_unit_test(test_error_set),
        cmocka_unit_test(test_errno_text),
    };
    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
