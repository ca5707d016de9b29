/*
 * Running the built `aw` (or another program) as a child process from a
 * test: its exit status, stdout and stderr collected, and the checks the CLI
 * suites make on them, reported at the test's line.
 *
 * Test programs include <cmocka.h> (after the standard headers it needs)
 * before this header.
 */
#ifndef TU_AWRUN_H
#define TU_AWRUN_H

#include <jansson.h>

/* A child that has not finished by then has hung: it is killed and the test fails. */
#define TU_RUN_TIMEOUT_MS 60000

typedef struct tu_run {
    int status; /* exit code, or 128 + signal */
    char *out;  /* stdout, NUL-terminated, never NULL */
    char *err;  /* stderr, the same */
} tu_run;

void tu_run_free(tu_run *r);

/* $AW_BIN/aw, or build/bin/aw (static buffer). */
const char *tu_aw_path(void);

/* Runs prog with args (NULL-terminated, at most 62) and stdin from `input`
 * (NULL: empty), collecting stdout, stderr and the exit status. */
tu_run tu_run_prog(const char *prog, const char *input, const char *const *args);
/* The same with tu_aw_path(). */
tu_run tu_run_aw(const char *input, const char *const *args);

#define AW(...) tu_run_aw(NULL, (const char *const[]){__VA_ARGS__, NULL})
#define AW_IN(input, ...) tu_run_aw((input), (const char *const[]){__VA_ARGS__, NULL})

/* Fails with both outputs when r's status is not `want`. */
#define expect_status(r, want) tu_expect_status_at(__FILE__, __LINE__, &(r), (want))
void tu_expect_status_at(const char *file, int line, const tu_run *r, int want);

/* Fails unless needle is in text, showing both. */
#define expect_contains(text, needle) tu_expect_contains_at(__FILE__, __LINE__, (text), (needle))
void tu_expect_contains_at(const char *file, int line, const char *text, const char *needle);

/* r's stdout parsed as one JSON value (the caller's to json_decref); fails
 * when it is not JSON. */
#define out_json(r) tu_out_json_at(__FILE__, __LINE__, &(r))
json_t *tu_out_json_at(const char *file, int line, const tu_run *r);

#endif
