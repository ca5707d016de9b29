/* Key lists for batch commands; see keylist.h. */
#include "keylist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

static int range_keys(const char *spec, const char *dots, const char *ns, const char *set,
                      cli_keylist *kl, char why[CLI_WHY_SIZE]) {
    char a_text[32];
    int64_t a = 0, b = 0;
    size_t a_len = (size_t)(dots - spec);
    bool ok = a_len < sizeof a_text;
    if (ok) {
        memcpy(a_text, spec, a_len);
        a_text[a_len] = '\0';
        ok = cli_parse_i64(a_text, &a) && cli_parse_i64(dots + 2, &b);
    }
    if (!ok) {
        snprintf(why, CLI_WHY_SIZE, "--keys %.60s: a range is A..B with 64-bit integers", spec);
        return CLI_EXIT_USAGE;
    }
    /* The count as unsigned: B - A cannot overflow it. */
    if (b < a || (uint64_t)b - (uint64_t)a >= CLI_KEYS_MAX) {
        snprintf(why, CLI_WHY_SIZE, "--keys %.60s: %s", spec,
                 b < a ? "the range is empty (B < A)" : "more keys than the limit of 100000000");
        return CLI_EXIT_USAGE;
    }
    kl->n = (size_t)((uint64_t)b - (uint64_t)a) + 1;
    kl->keys = malloc(kl->n * sizeof *kl->keys);
    if (!kl->keys) {
        snprintf(why, CLI_WHY_SIZE, "out of memory for %zu keys", kl->n);
        return CLI_EXIT_OTHER;
    }
    aw_error err;
    for (size_t i = 0; i < kl->n; i++)
        if (aw_key_init_int(&kl->keys[i], ns, set, a + (int64_t)i, &err) != AW_OK) {
            snprintf(why, CLI_WHY_SIZE, "%s", err.message);
            return CLI_EXIT_USAGE;
        }
    return CLI_OK;
}

/* The whole of f, NUL-terminated; NULL on a read error or out of memory. */
static char *slurp(FILE *f) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (ferror(f))
            break;
        if (feof(f)) {
            buf[len] = '\0';
            return buf;
        }
        char *bigger = realloc(buf, 2 * cap);
        if (!bigger)
            break;
        buf = bigger;
        cap *= 2;
    }
    free(buf);
    return NULL;
}

static int file_keys(const char *path, const char *ns, const char *set, cli_keylist *kl,
                     char why[CLI_WHY_SIZE]) {
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    if (!f) {
        snprintf(why, CLI_WHY_SIZE, "--keys @%.80s: %s", path, strerror(errno));
        return CLI_EXIT_OTHER;
    }
    errno = 0;
    kl->text = slurp(f);
    int e = errno;
    if (!is_stdin)
        fclose(f);
    if (!kl->text) {
        snprintf(why, CLI_WHY_SIZE, "--keys @%.80s: cannot read it: %s", path,
                 e ? strerror(e) : "out of memory");
        return CLI_EXIT_OTHER;
    }
    size_t lines = 1;
    for (const char *p = kl->text; *p; p++)
        lines += *p == '\n';
    kl->keys = malloc(lines * sizeof *kl->keys);
    if (!kl->keys) {
        snprintf(why, CLI_WHY_SIZE, "out of memory for %zu keys", lines);
        return CLI_EXIT_OTHER;
    }
    char *line = kl->text;
    for (size_t no = 1; line; no++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0'; /* files from Windows */
        char kwhy[CLI_WHY_SIZE];
        if (len && !cli_key_parse(line, ns, set, &kl->keys[kl->n++], kwhy)) {
            snprintf(why, CLI_WHY_SIZE, "--keys @%.40s line %zu: %.120s", path, no, kwhy);
            return CLI_EXIT_USAGE;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (kl->n == 0) {
        snprintf(why, CLI_WHY_SIZE, "--keys @%.80s: no keys in it", path);
        return CLI_EXIT_USAGE;
    }
    return CLI_OK;
}

int cli_keylist_parse(const char *spec, const char *ns, const char *set, cli_keylist *kl,
                      char why[CLI_WHY_SIZE]) {
    memset(kl, 0, sizeof *kl);
    if (spec[0] == '@')
        return file_keys(spec + 1, ns, set, kl, why);
    const char *dots = strstr(spec, "..");
    if (dots)
        return range_keys(spec, dots, ns, set, kl, why);
    snprintf(why, CLI_WHY_SIZE, "--keys %.60s: give a range A..B or @FILE", spec);
    return CLI_EXIT_USAGE;
}

void cli_keylist_free(cli_keylist *kl) {
    free(kl->keys);
    free(kl->text);
    memset(kl, 0, sizeof *kl);
}
