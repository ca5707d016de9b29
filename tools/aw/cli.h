/*
 * aw — the command-line tool over aerowire: what every part of it shares.
 *
 * main.c parses the global options and runs one subcommand from the table;
 * a subcommand parses its own arguments, asks cli_client() for a client
 * (which connects, or starts the embedded aw-testd, on first use), prints
 * its result and returns an exit code. Errors go through cli_fail /
 * cli_usage (errors.c), which print the message and pick the exit code.
 */
#ifndef AW_CLI_H
#define AW_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "aerowire/aerowire.h"
#include "aerowire/exp.h"
#include "login.h"

/* Exit codes; `aw --help` and docs/cli.md list them. */
enum {
    CLI_OK = 0,
    CLI_EXIT_OTHER = 1,     /* anything else: local I/O, out of memory, a bad file */
    CLI_EXIT_USAGE = 2,     /* bad command line: unknown command or option, bad value */
    CLI_EXIT_NOT_FOUND = 3, /* the record does not exist */
    CLI_EXIT_SERVER = 4,    /* the server answered with an error code */
    CLI_EXIT_NETWORK = 5,   /* no connection, timeout, connection lost, garbage reply */
    CLI_EXIT_INTERRUPTED = 130, /* Ctrl-C stopped a scan or query (128 + SIGINT) */
};

/* Default --timeout (ms) for single-record commands and info, and for batches. */
#define CLI_TIMEOUT_DEFAULT_MS 1000u
#define CLI_BATCH_TIMEOUT_DEFAULT_MS 30000u

/* The run: global options and what was opened for them. */
typedef struct cli {
    char *hosts;             /* seeds with ports filled in ("a:3000,b:3000"); NULL = none given */
    uint32_t timeout_ms;     /* 0 = the command's default */
    bool json;               /* machine output on stdout */
    aw_exp *filter;          /* --filter: sent by every command of the run (filter.h) */
    aw_tls_config tls;       /* --tls-* (tlsflags.h) */
    aw_client *client;       /* opened by cli_client, closed by cli_close */
    pid_t testd;             /* the embedded aw-testd, 0 when none */
    bl_login login;          /* -U, -P, --auth */
} cli;

/* One subcommand. `help` is the whole text `aw NAME --help` prints (it
 * starts with the usage line, which usage errors repeat). run gets the
 * arguments after the subcommand's name and returns an exit code. */
typedef struct cli_cmd {
    const char *name;
    const char *summary;
    const char *help;
    int (*run)(cli *c, const struct cli_cmd *self, int argc, char **argv);
} cli_cmd;

/* The subcommands (cmd_*.c). */
int cmd_info(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_put(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_get(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_delete(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_batch_get(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_batch_put(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_array(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_exp(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_operate(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_scan(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_query(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_sindex(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_truncate(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_namespaces(cli *c, const cli_cmd *self, int argc, char **argv);
int cmd_sets(cli *c, const cli_cmd *self, int argc, char **argv);
extern const char cmd_info_help[], cmd_put_help[], cmd_get_help[], cmd_delete_help[],
    cmd_batch_get_help[], cmd_batch_put_help[], cmd_array_help[], cmd_exp_help[],
    cmd_operate_help[], cmd_scan_help[], cmd_query_help[], cmd_sindex_help[],
    cmd_truncate_help[], cmd_namespaces_help[], cmd_sets_help[];

/* main.c: prints cmd->help on stdout; returns CLI_OK. */
int cli_print_help(const cli_cmd *cmd);

/* --- server.c: the connection ------------------------------------------------- */

/* The client for the global options, opened on first call: the seeds given
 * with -h/-p, or (none given) an aw-testd started beside this program, which
 * a one-line notice on stderr announces. NULL after printing why (*code is
 * then the exit code). */
aw_client *cli_client(cli *c, int *code);
/* Closes the client, stops the embedded server and frees the filter; safe
 * to call twice. */
void cli_close(cli *c);

/* --- errors.c: messages and exit codes --------------------------------------- */

/* The exit code for a library status (CLI_EXIT_*). */
int cli_exit_code(int status);
/* Prints "aw: <what>: <err message> (<STATUS>)" on stderr (and, with
 * --json, {"error": {...}} on stdout) and returns the exit code for
 * err->code. */
int cli_fail(const cli *c, const aw_error *err, const char *what_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for an error of our own: exit code given, no library status. */
int cli_fail_code(const cli *c, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A usage error of a subcommand (cmd NULL: of aw itself): the message, then
 * the usage line and where to find more; returns CLI_EXIT_USAGE. */
int cli_usage(const cli *c, const cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
