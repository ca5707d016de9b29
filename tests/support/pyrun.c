#include "pyrun.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static bool have_numpy(void) {
    static int have = -1;
    if (have < 0)
        have = access(TU_PYTHON, X_OK) == 0 &&
               system(TU_PYTHON " -c 'import numpy' >/dev/null 2>&1") == 0;
    return have;
}

/* The whole of a stream, NUL-terminated. */
static char *slurp(FILE *f) {
    size_t cap = 1 << 16, len = 0, n;
    char *out = malloc(cap);
    assert_non_null(out);
    while (f && (n = fread(out + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[len] = '\0';
    return out;
}

char *tu_python(const char *dir, const char *script) {
    if (!have_numpy())
        fail_msg("these tests need " TU_PYTHON " with numpy (Debian: python3 python3-numpy; "
                 "scripts/install-deps installs them)");
    char path[512];
    snprintf(path, sizeof path, "%s/script.py", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(script, f);
    fclose(f);
    /* stderr apart, so what the script prints stays parseable. */
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && PYTHONIOENCODING=utf-8 " TU_PYTHON " -W ignore script.py 2>script.err",
             dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = slurp(p);
    int st = pclose(p);
    if (st != 0) {
        snprintf(path, sizeof path, "%s/script.err", dir);
        FILE *e = fopen(path, "r");
        char *err = slurp(e);
        if (e)
            fclose(e);
        fail_msg("python failed (status %d) on:\n%s\nstdout:\n%s\nstderr:\n%s", st, script, out,
                 err);
    }
    return out;
}
