/* Connecting: seeds from -h/-p, or the embedded aw-testd; see cli.h and server.h. */
#include "server.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"
#include "spawn.h"

/* Appends one entry (len bytes at p) with its port to out. */
static bool add_entry(char *out, size_t *used, const char *p, size_t len, uint16_t port,
                      char why[CLI_WHY_SIZE]) {
    while (len && *p == ' ') {
        p++;
        len--;
    }
    while (len && p[len - 1] == ' ')
        len--;
    if (!len) {
        snprintf(why, CLI_WHY_SIZE, "empty entry in the host list");
        return false;
    }
    const char *colon = NULL;
    if (p[0] == '[') {
        const char *close = memchr(p, ']', len);
        if (!close) {
            snprintf(why, CLI_WHY_SIZE, "host '%.*s': missing ']'", (int)len, p);
            return false;
        }
        if (close + 1 < p + len) {
            if (close[1] != ':') {
                snprintf(why, CLI_WHY_SIZE, "host '%.*s': expected ':' after ']'", (int)len, p);
                return false;
            }
            colon = close + 1;
            /* [ADDR]:TLS-NAME:PORT */
            const char *last = memrchr(colon + 1, ':', (size_t)(p + len - colon - 1));
            if (last)
                colon = last;
        }
    } else {
        const char *first = memchr(p, ':', len);
        const char *second = first ? memchr(first + 1, ':', (size_t)(p + len - first - 1)) : NULL;
        /* One ':' separates the port; two (and no "::") are HOST:TLS-NAME:PORT;
         * more make a bare IPv6 address. */
        if (first && !second)
            colon = first;
        else if (second && second != first + 1 &&
                 !memchr(second + 1, ':', (size_t)(p + len - second - 1)))
            colon = second;
    }
    if (colon) {
        char text[16];
        size_t plen = (size_t)(p + len - colon - 1);
        uint32_t v;
        snprintf(text, sizeof text, "%.*s", (int)(plen < 15 ? plen : 15), colon + 1);
        if (plen == 0 || plen > 5 || !cli_parse_u32(text, 1, 65535, &v)) {
            snprintf(why, CLI_WHY_SIZE, "host '%.*s': the port must be 1..65535", (int)len, p);
            return false;
        }
        *used += (size_t)sprintf(out + *used, "%s%.*s", *used ? "," : "", (int)len, p);
    } else if (p[0] != '[' && memchr(p, ':', len)) {
        *used += (size_t)sprintf(out + *used, "%s[%.*s]:%u", *used ? "," : "", (int)len, p, port);
    } else {
        *used += (size_t)sprintf(out + *used, "%s%.*s:%u", *used ? "," : "", (int)len, p, port);
    }
    return true;
}

char *cli_hosts_build(const char *given, uint16_t port, char why[CLI_WHY_SIZE]) {
    /* Each entry grows by at most "[]:65535," (9 bytes). */
    size_t n_entries = 1;
    for (const char *q = given; *q; q++)
        n_entries += *q == ',';
    char *out = malloc(strlen(given) + 9 * n_entries + 1);
    if (!out) {
        snprintf(why, CLI_WHY_SIZE, "out of memory for the host list");
        return NULL;
    }
    size_t used = 0;
    out[0] = '\0';
    const char *p = given;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (!add_entry(out, &used, p, len, port, why)) {
            free(out);
            return NULL;
        }
        if (!p[len])
            break;
        p += len + 1;
    }
    return out;
}

/* --- the embedded server ----------------------------------------------------- */

/* The server to stop when a signal ends us before main can. */
static volatile sig_atomic_t g_testd;

static void on_fatal_signal(int sig) {
    if (g_testd > 0)
        kill((pid_t)g_testd, SIGTERM);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Starts aw-testd and puts its address in host; an exit code. */
static int start_embedded(cli *c, char *host, size_t cap) {
    char why[PATH_MAX + 128];
    pid_t pid = td_spawn_ex(host, cap, why, sizeof why);
    if (pid <= 0)
        return cli_fail_code(c, CLI_EXIT_OTHER,
                             "no -h given, and the embedded server cannot start: %s", why);
    c->testd = pid;
    g_testd = pid;
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], on_fatal_signal);
    fprintf(stderr, "aw: no -h given; started aw-testd on %s (stopped at exit)\n", host);
    return CLI_OK;
}

aw_client *cli_client(cli *c, int *code) {
    if (c->client)
        return c->client;
    char spawned[256];
    const char *hosts = c->hosts;
    if (!hosts) {
        *code = start_embedded(c, spawned, sizeof spawned);
        if (*code != CLI_OK)
            return NULL;
        hosts = spawned;
    }
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    cfg.tls = c->tls;
    if (c->timeout_ms) {
        /* One limit the user can reason about: the total, for connecting too. */
        cfg.connect_timeout_ms = c->timeout_ms;
        cfg.read_policy.total_timeout_ms = c->timeout_ms;
        cfg.read_policy.socket_timeout_ms = 0;
        cfg.write_policy.total_timeout_ms = c->timeout_ms;
        cfg.write_policy.socket_timeout_ms = 0;
    }
    /* The default policies of the single-record commands carry --filter. */
    cfg.read_policy.filter = c->filter;
    cfg.write_policy.filter = c->filter;
    bl_login_config(&c->login, &cfg);
    aw_error err;
    if (aw_client_new(&c->client, &cfg, &err) != AW_OK) {
        c->client = NULL;
        *code = cli_fail(c, &err, "cannot connect to %s", hosts);
        return NULL;
    }
    return c->client;
}

void cli_close(cli *c) {
    aw_client_close(c->client);
    c->client = NULL;
    aw_exp_free(c->filter); /* after the client: its policies borrow it */
    c->filter = NULL;
    if (c->testd > 0) {
        td_spawn_stop(c->testd);
        g_testd = 0;
        c->testd = 0;
    }
}
