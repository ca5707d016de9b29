/* Running aw as a child process and checking what it did; see awrun.h. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "awrun.h"

/* Fails the test at the caller's line; the message is not cut short (it
 * carries the child's whole output). */
static void fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void fail_at(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprint_error(fmt, ap);
    va_end(ap);
    print_error("\n");
    _fail(file, line);
    abort(); /* _fail does not return inside a test */
}

void tu_run_free(tu_run *r) {
    free(r->out);
    free(r->err);
}

const char *tu_aw_path(void) {
    static char path[4096];
    const char *bin = getenv("AW_BIN");
    snprintf(path, sizeof path, "%s/aw", bin && bin[0] ? bin : "build/bin");
    return path;
}

typedef struct sink {
    char *buf;
    size_t len, cap;
} sink;

static void sink_read(sink *s, int fd, bool *open) {
    if (s->cap - s->len < 4096) {
        s->cap = s->cap ? 2 * s->cap : 8192;
        s->buf = realloc(s->buf, s->cap);
        assert_non_null(s->buf);
    }
    ssize_t n = read(fd, s->buf + s->len, s->cap - s->len - 1);
    if (n > 0)
        s->len += (size_t)n;
    else if (n == 0 || errno != EINTR)
        *open = false;
    s->buf[s->len] = '\0';
}

tu_run tu_run_prog(const char *prog, const char *input, const char *const *args) {
    const char *argv[64] = {prog};
    int argc = 1;
    for (int i = 0; args[i]; i++) {
        assert_true(argc < 63);
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    int out[2], err[2], in[2];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    assert_int_equal(pipe(in), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (input) {
        size_t left = strlen(input);
        while (left) {
            ssize_t w = write(in[1], input, left);
            assert_true(w > 0);
            input += w;
            left -= (size_t)w;
        }
    }
    close(in[1]);
    sink so = {0}, se = {0};
    bool out_open = true, err_open = true;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (out_open || err_open) {
        struct pollfd p[2] = {{out_open ? out[0] : -1, POLLIN, 0},
                              {err_open ? err[0] : -1, POLLIN, 0}};
        int r = poll(p, 2, 1000);
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 > TU_RUN_TIMEOUT_MS) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            fail_msg("%s %s did not finish within %d ms", prog, args[0] ? args[0] : "",
                     TU_RUN_TIMEOUT_MS);
        }
        if (r <= 0)
            continue;
        if (p[0].revents)
            sink_read(&so, out[0], &out_open);
        if (p[1].revents)
            sink_read(&se, err[0], &err_open);
    }
    close(out[0]);
    close(err[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    tu_run r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), so.buf, se.buf};
    if (!r.out)
        r.out = calloc(1, 1);
    if (!r.err)
        r.err = calloc(1, 1);
    return r;
}

tu_run tu_run_aw(const char *input, const char *const *args) {
    return tu_run_prog(tu_aw_path(), input, args);
}

void tu_expect_status_at(const char *file, int line, const tu_run *r, int want) {
    if (r->status != want)
        fail_at(file, line, "exit %d, expected %d\nstdout: %s\nstderr: %s", r->status, want, r->out,
                r->err);
}

void tu_expect_contains_at(const char *file, int line, const char *text, const char *needle) {
    if (!strstr(text, needle))
        fail_at(file, line, "expected to find \"%s\" in:\n%s", needle, text);
}

json_t *tu_out_json_at(const char *file, int line, const tu_run *r) {
    json_error_t e;
    json_t *j = json_loads(r->out, 0, &e);
    if (!j)
        fail_at(file, line, "stdout is not JSON (%s):\n%s\nstderr: %s", e.text, r->out, r->err);
    return j;
}
