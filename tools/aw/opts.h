/*
 * A small option scanner for aw's command lines, and strict number parsing.
 *
 * getopt would take a negative integer key or value ("-5") for an option,
 * and cannot stop at the subcommand while also allowing options after
 * positionals in subcommands; this scanner does both: a token is an option
 * only when it starts with "--" or with '-' and a letter, "--" ends the
 * options, and positionals are gathered (in order) at the front of argv.
 */
#ifndef AW_CLI_OPTS_H
#define AW_CLI_OPTS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cli_opt {
    const char *name;   /* long name, without "--" */
    char short_name;    /* 0 = none */
    bool has_arg;
} cli_opt;

/* cli_opt_next's answers besides an option's index. */
enum {
    CLI_OPT_END = -1,       /* no more options */
    CLI_OPT_UNKNOWN = -2,   /* s->bad names the token */
    CLI_OPT_NO_ARG = -3,    /* an option that needs an argument came last */
    CLI_OPT_UNEXPECTED = -4 /* --flag=value for an option without argument */
};

typedef struct cli_optscan {
    int argc;
    char **argv;
    int next;           /* next token to look at */
    int n_pos;          /* positionals so far, moved to argv[0..n_pos) */
    bool stop_at_pos;   /* stop at the first positional (global options) */
    bool only_pos;      /* after "--" */
    const char *arg;    /* the current option's argument */
    const char *bad;    /* the token an error is about */
} cli_optscan;

/* Starts scanning argv[0..argc). */
void cli_opt_init(cli_optscan *s, int argc, char **argv, bool stop_at_pos);
/* The index in defs (terminated by a NULL name) of the next option, or a
 * CLI_OPT_* code. After CLI_OPT_END: with stop_at_pos, argv[s->next..) is
 * the rest (the subcommand first); otherwise argv[0..s->n_pos) are the
 * positionals. */
int cli_opt_next(cli_optscan *s, const cli_opt *defs);
/* The text a usage error about the scan's last error should say, e.g.
 * "unknown option '--frob'" (static buffer). */
const char *cli_opt_error(const cli_optscan *s, int code);

/* Strict decimal parsing of the whole text: optional '-' (i64 only), digits,
 * nothing else. False when it is not that or out of range. */
bool cli_parse_i64(const char *text, int64_t *out);
bool cli_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out);

#endif
