/* Option scanning and strict numbers; see opts.h. */
#include "opts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_opt_init(cli_optscan *s, int argc, char **argv, bool stop_at_pos) {
    memset(s, 0, sizeof *s);
    s->argc = argc;
    s->argv = argv;
    s->stop_at_pos = stop_at_pos;
}

/* "-x..." with a letter is an option; "-5", "-1.5", "-" are values. */
static bool is_option(const char *t) {
    return t[0] == '-' && (t[1] == '-' || isalpha((unsigned char)t[1]));
}

static int find_long(const cli_opt *defs, const char *name, size_t len) {
    for (int i = 0; defs[i].name; i++)
        if (strlen(defs[i].name) == len && memcmp(defs[i].name, name, len) == 0)
            return i;
    return CLI_OPT_UNKNOWN;
}

static int find_short(const cli_opt *defs, char c) {
    for (int i = 0; defs[i].name; i++)
        if (defs[i].short_name && defs[i].short_name == c)
            return i;
    return CLI_OPT_UNKNOWN;
}

int cli_opt_next(cli_optscan *s, const cli_opt *defs) {
    s->arg = NULL;
    s->bad = NULL;
    while (s->next < s->argc) {
        char *t = s->argv[s->next];
        if (s->only_pos || !is_option(t)) {
            if (s->stop_at_pos)
                return CLI_OPT_END;
            /* Positionals move to the front; n_pos <= next, so nothing unread is overwritten. */
            s->argv[s->n_pos++] = t;
            s->next++;
            continue;
        }
        s->next++;
        if (strcmp(t, "--") == 0) {
            s->only_pos = true;
            if (s->stop_at_pos)
                return CLI_OPT_END;
            continue;
        }
        s->bad = t;
        int idx;
        const char *inline_arg = NULL;
        if (t[1] == '-') {
            const char *eq = strchr(t + 2, '=');
            size_t len = eq ? (size_t)(eq - (t + 2)) : strlen(t + 2);
            idx = find_long(defs, t + 2, len);
            if (idx >= 0 && eq) {
                if (!defs[idx].has_arg)
                    return CLI_OPT_UNEXPECTED;
                inline_arg = eq + 1;
            }
        } else {
            idx = find_short(defs, t[1]);
            if (idx >= 0 && t[2]) {
                if (!defs[idx].has_arg)
                    return CLI_OPT_UNKNOWN; /* no bundling of flags ("-lx") */
                inline_arg = t + 2;
            }
        }
        if (idx < 0)
            return idx;
        if (defs[idx].has_arg) {
            if (inline_arg) {
                s->arg = inline_arg;
            } else if (s->next < s->argc) {
                s->arg = s->argv[s->next++];
            } else {
                return CLI_OPT_NO_ARG;
            }
        }
        return idx;
    }
    return CLI_OPT_END;
}

const char *cli_opt_error(const cli_optscan *s, int code) {
    static char buf[160];
    const char *t = s->bad ? s->bad : "";
    switch (code) {
    case CLI_OPT_NO_ARG:
        snprintf(buf, sizeof buf, "option '%.60s' needs a value", t);
        break;
    case CLI_OPT_UNEXPECTED:
        snprintf(buf, sizeof buf, "option '%.60s' takes no value", t);
        break;
    default:
        /* The one mistake everyone makes: -h is the global host option. */
        snprintf(buf, sizeof buf, "unknown option '%.60s'%s", t,
                 strncmp(t, "-h", 2) == 0 ? " (help is --help; -h HOST goes before the command)"
                                          : "");
        break;
    }
    return buf;
}

bool cli_parse_i64(const char *text, int64_t *out) {
    const char *p = text[0] == '-' ? text + 1 : text;
    if (!*p)
        return false;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return false;
    errno = 0;
    long long v = strtoll(text, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = (int64_t)v;
    return true;
}

bool cli_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out) {
    int64_t v;
    if (text[0] == '-' || !cli_parse_i64(text, &v) || v < (int64_t)min || v > (int64_t)max)
        return false;
    *out = (uint32_t)v;
    return true;
}
