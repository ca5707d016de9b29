/*
 * What the record and array commands share on their command lines: NS SET
 * KEY, and the --help/--json options of the commands that take nothing else.
 */
#ifndef AW_CLI_KEYARGS_H
#define AW_CLI_KEYARGS_H

#include <stdbool.h>

#include <jansson.h>

#include "aerowire/aerowire.h"
#include "args.h"
#include "cli.h"
#include "opts.h"

/* A record's key, with NS, SET and KEY as typed for messages (parsing
 * rewrites hex keys in place). */
typedef struct cli_rec_key {
    aw_key key;
    const char *ns, *set;
    char text[80];
} cli_rec_key;

/* NS SET KEY from pos[0..2] (KEY as cli_key_parse takes it). */
bool cli_rec_key_parse(char **pos, cli_rec_key *k, char why[CLI_WHY_SIZE]);

/* The short answer of a write: "<said> <key>", or with --json the key
 * object with one more field (value's reference is taken). */
int cli_report_key(const cli *c, const cli_rec_key *k, const char *said, const char *field,
                   json_t *value);

/* Scans --help (prints the command's help) and --json (sets c->json) and
 * nothing else; the positionals are gathered at the front of argv, s->n_pos
 * of them. -1 to go on, or the exit code. */
int cli_scan_plain(cli *c, const cli_cmd *self, cli_optscan *s, int argc, char **argv);
/* The same, also taking --filter EXPR (filter.h). */
int cli_scan_filtered(cli *c, const cli_cmd *self, cli_optscan *s, int argc, char **argv);

#endif
