/*
 * aw — a command-line tool over aerowire: info, single records, batches
 * to and from .npy files, scans, queries and secondary indexes. docs/cli.md is its manual.
 *
 * This file: the global options, the table of subcommands and the
 * dispatch. A new subcommand is a run function, a help text and one entry
 * in `commands`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"
#include "server.h"
#include "tlsflags.h"

static const cli_cmd commands[] = {
    {"info", "ask every node for info values (default: build, edition, ...)", cmd_info_help,
     cmd_info},
    {"put", "write bins to a record (typed values: ints, floats, text, bytes, JSON)",
     cmd_put_help, cmd_put},
    {"get", "read a record, all bins or the named ones", cmd_get_help, cmd_get},
    {"delete", "delete a record", cmd_delete_help, cmd_delete},
    {"operate", "several reads and writes on one record, atomically", cmd_operate_help,
     cmd_operate},
    {"batch-get", "read many records into a .npy file of a numpy dtype", cmd_batch_get_help,
     cmd_batch_get},
    {"batch-put", "write every row of a .npy file as a record", cmd_batch_put_help,
     cmd_batch_put},
    {"scan", "every record of a namespace or set, as JSON lines", cmd_scan_help, cmd_scan},
    {"query", "the records a secondary index finds (==, between, contains, within)",
     cmd_query_help, cmd_query},
    {"sindex", "secondary indexes: create (and wait until ready), list, drop", cmd_sindex_help,
     cmd_sindex},
    {"truncate", "delete every record of a set (or namespace) on the server", cmd_truncate_help,
     cmd_truncate},
    {"namespaces", "the namespaces the cluster serves", cmd_namespaces_help, cmd_namespaces},
    {"sets", "the sets of a namespace: objects, tombstones, bytes, limits", cmd_sets_help,
     cmd_sets},
    {"array", "whole N-d arrays under one key: put, info, get (to .npy), delete",
     cmd_array_help, cmd_array},
    {"exp", "compile a filter expression; print its base64 (official clients' form) or hex",
     cmd_exp_help, cmd_exp},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void global_help(FILE *f) {
    fprintf(f,
            "usage: aw [options] COMMAND [ARGS...]\n"
            "\n"
            "A command-line client for Aerospike, built on aerowire %s.\n"
            "\n"
            "Options (before the command):\n"
            "  -h, --host HOST[:PORT][,HOST[:PORT]...]\n"
            "                     seed nodes; repeat -h for more; IPv6 as [ADDR]:PORT;\n"
            "                     with TLS, HOST:TLS-NAME:PORT names the certificate\n"
            "  -p, --port PORT    port of seeds given without one (default 3000)\n"
            "      --timeout MS   total time per command, connecting included (default %u,\n"
            "                     batches %u)\n"
            "      --json         machine output: one JSON value on stdout (errors as\n"
            "                     {\"error\": {...}})\n"
            "  -U, --user USER    log in as USER (servers with security on)\n"
            "  -P[PASSWORD]       its password; a bare -P (or -U alone) takes $AW_PASSWORD\n"
            "                     or asks on the terminal\n"
            "      --auth MODE    internal (default), external (LDAP), pki; the last two\n"
            "                     need TLS\n"
            "      --tls-enable   TLS to the cluster; with asbench's --tls-cafile FILE,\n"
            "                     --tls-capath DIR, --tls-protocols P, --tls-cipher-suite C,\n"
            "                     --tls-certfile F and --tls-keyfile F (mutual TLS),\n"
            "                     --tls-keyfile-password PW, --tls-cert-blacklist F,\n"
            "                     --tls-crl-check, --tls-crl-check-all (docs/security.md)\n"
            "      --help         this text; 'aw COMMAND --help' describes a command\n"
            "      --version      the version\n"
            "\n"
            "With neither -h nor -p, aw starts the bundled test server aw-testd (from its\n"
            "own directory) on a free loopback port, says so on stderr, uses it and stops\n"
            "it at exit: records live only as long as that one command.\n"
            "\n"
            "Commands:\n",
            AEROWIRE_VERSION, CLI_TIMEOUT_DEFAULT_MS, CLI_BATCH_TIMEOUT_DEFAULT_MS);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "Keys: 42 is an integer key, anything else a string key; int:, str:, hex: (bytes)\n"
               "and digest: (40 hex digits) force the kind. Values: see 'aw put --help'.\n"
               "\n"
               "Exit codes:\n"
               "  0  success\n"
               "  1  any other failure (a local file, out of memory, rows that did not convert)\n"
               "  2  usage error: unknown command or option, missing or bad argument\n"
               "  3  record not found\n"
               "  4  the server refused the command (its result code is printed)\n"
               "  5  network: no connection, TLS refused, timeout, connection lost, bad reply\n"
               "  130  Ctrl-C stopped a scan or query\n"
               "\n"
               "Examples:\n"
               "  aw -h 127.0.0.1 put test demo user1 name=Ann age=42 tags='[\"a\",\"b\"]'\n"
               "  aw -h 127.0.0.1 --json get test demo user1\n"
               "  aw -h 127.0.0.1 get --filter '$.age > 40 and $.name == \"Ann\"' test demo user1\n"
               "  aw exp --base64 'last_update() < 1700000000000000000'\n"
               "  aw -h 127.0.0.1 batch-get test demo --dtype '[(\"_key\",\"<i8\"),"
               "(\"v\",\"<f8\")]' \\\n"
               "       --keys 1..1000 --out rows.npy\n");
}

int cli_print_help(const cli_cmd *cmd) {
    fputs(cmd->help, stdout);
    return CLI_OK;
}

/* Appends a -h value to the list gathered so far (joined with ','). */
static char *add_hosts(char *list, const char *more) {
    size_t old = list ? strlen(list) : 0;
    char *n = realloc(list, old + strlen(more) + 2);
    if (!n) {
        free(list);
        return NULL;
    }
    sprintf(n + old, "%s%s", old ? "," : "", more);
    return n;
}

enum { O_HOST, O_PORT, O_TIMEOUT, O_JSON, O_HELP, O_VERSION, O_USER, O_PASSWORD,
       O_PASSWORD_PROMPT, O_AUTH, O_TLS_FIRST };
/* The fixed ones, then asbench's TLS flags (tlsflags.h) from O_TLS_FIRST. */
static cli_opt global_opts[O_TLS_FIRST + 16] = {
    [O_HOST] = {"host", 'h', true},      [O_PORT] = {"port", 'p', true},
    [O_TIMEOUT] = {"timeout", 0, true},  [O_JSON] = {"json", 0, false},
    [O_HELP] = {"help", 0, false},       [O_VERSION] = {"version", 0, false},
    [O_USER] = {"user", 'U', true},      [O_PASSWORD] = {"password", 'P', true},
    [O_PASSWORD_PROMPT] = {"password-prompt", 0, false},
    [O_AUTH] = {"auth", 0, true},
};

static void add_tls_opts(void) {
    for (int i = 0; bl_tls_flags[i].name; i++)
        global_opts[O_TLS_FIRST + i] = (cli_opt){bl_tls_flags[i].name, 0, bl_tls_flags[i].has_arg};
}

/* asbench's -P takes its value attached (-Psecret); a bare -P (or
 * --password) asks for it. The scanner would take the next word as its
 * value, so bare ones before the command become --password-prompt. */
static void mark_password_prompts(int argc, char **argv) {
    static char prompt[] = "--password-prompt";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return;
        for (size_t k = 0; k < N_COMMANDS; k++)
            if (strcmp(argv[i], commands[k].name) == 0)
                return;
        if (strcmp(argv[i], "-P") == 0 || strcmp(argv[i], "--password") == 0)
            argv[i] = prompt;
    }
}

/* Parses the global options into c; -1 to go on, or the exit code. */
static int parse_globals(cli *c, cli_optscan *s) {
    char *given = NULL;
    uint32_t port = 0;
    bool port_given = false;
    int o, rc = -1;
    while (rc < 0 && (o = cli_opt_next(s, global_opts)) != CLI_OPT_END) {
        switch (o) {
        case O_HOST:
            if (!(given = add_hosts(given, s->arg)))
                rc = cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for the host list");
            break;
        case O_PORT:
            if (!cli_parse_u32(s->arg, 1, 65535, &port))
                rc = cli_usage(c, NULL, "-p %s: the port must be 1..65535", s->arg);
            port_given = true;
            break;
        case O_TIMEOUT:
            if (!cli_parse_u32(s->arg, 1, 86400000, &c->timeout_ms))
                rc = cli_usage(c, NULL, "--timeout %s: give milliseconds, 1..86400000", s->arg);
            break;
        case O_JSON:
            c->json = true;
            break;
        case O_HELP:
            global_help(stdout);
            rc = CLI_OK;
            break;
        case O_VERSION:
            printf("aw (aerowire) %s\n", AEROWIRE_VERSION);
            rc = CLI_OK;
            break;
        case O_USER:
            c->login.user = s->arg;
            break;
        case O_PASSWORD:
            c->login.password_given = true;
            c->login.password_arg = s->arg;
            break;
        case O_PASSWORD_PROMPT:
            c->login.password_given = true;
            break;
        case O_AUTH:
            if (!bl_login_mode(s->arg, &c->login.mode))
                rc = cli_usage(c, NULL, "--auth %s: give internal, external or pki", s->arg);
            break;
        default:
            if (o >= O_TLS_FIRST) {
                char why[CLI_WHY_SIZE];
                if (bl_tls_apply(&c->tls, global_opts[o].name, s->arg, why, sizeof why) != 0)
                    rc = cli_usage(c, NULL, "%s", why);
                break;
            }
            rc = cli_usage(c, NULL, "%s", cli_opt_error(s, o));
            break;
        }
    }
    if (rc < 0 && c->tls.enable && !given && !port_given)
        rc = cli_usage(c, NULL, "--tls-enable needs -h: the embedded server speaks plain TCP only");
    if (rc < 0 && (given || port_given)) {
        char why[CLI_WHY_SIZE];
        /* -p alone means a server on this machine. */
        c->hosts = cli_hosts_build(given ? given : "127.0.0.1", port_given ? (uint16_t)port : 3000,
                                   why);
        if (!c->hosts)
            rc = cli_usage(c, NULL, "%s", why);
    }
    free(given);
    char why[CLI_WHY_SIZE];
    if (rc < 0 && !bl_login_resolve(&c->login, why, sizeof why))
        rc = cli_usage(c, NULL, "%s", why);
    return rc;
}

int main(int argc, char **argv) {
    add_tls_opts();
    cli c;
    memset(&c, 0, sizeof c);
    cli_optscan s;
    mark_password_prompts(argc, argv);
    cli_opt_init(&s, argc - 1, argv + 1, true);
    int rc = parse_globals(&c, &s);
    if (rc < 0) {
        if (s.next >= s.argc) {
            rc = cli_usage(&c, NULL, "no command given");
        } else {
            const char *name = s.argv[s.next];
            const cli_cmd *cmd = NULL;
            for (size_t i = 0; i < N_COMMANDS && !cmd; i++)
                if (strcmp(commands[i].name, name) == 0)
                    cmd = &commands[i];
            if (!cmd)
                rc = cli_usage(&c, NULL, "unknown command '%s'", name);
            else
                rc = cmd->run(&c, cmd, s.argc - s.next - 1, s.argv + s.next + 1);
        }
    }
    cli_close(&c);
    free(c.hosts);
    /* Output that could not be written (a full disk, a closed pipe) is a failure too. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "aw: cannot write the output\n");
        if (rc == CLI_OK)
            rc = CLI_EXIT_OTHER;
    }
    return rc;
}
