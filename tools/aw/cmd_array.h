/* What the aw array subcommands share (cmd_array*.c). */
#ifndef AW_CLI_CMD_ARRAY_H
#define AW_CLI_CMD_ARRAY_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "aerowire/aerowire.h"
#include "cli.h"
#include "keyargs.h"

/* The key of an array. */
typedef cli_rec_key array_key;

/* NS SET KEY from exactly three positionals; -1 to go on, or the exit code. */
int array_parse_key(cli *c, const cli_cmd *self, int n_pos, char **pos, array_key *k);
/* --help, --json and NS SET KEY: all info and delete take; -1 to go on. */
int array_scan_plain(cli *c, const cli_cmd *self, int argc, char **argv, array_key *k);
/* Arrays move in batches: each command gets the batch timeout unless --timeout says. */
aw_policy array_policy(const cli *c, aw_policy p);
double array_now_s(void);
double array_mib_per_s(uint64_t bytes, double seconds);
/* A shape as numpy prints it: (), (5,), (2, 3). */
void array_print_shape(FILE *f, const uint64_t *shape, uint32_t ndim);
json_t *array_shape_json(const uint64_t *shape, uint32_t ndim);
/* Prints the key's fields, then those of `fields` (whose reference is
 * taken), as one object; the exit code. */
int array_emit(const array_key *k, json_t *fields);
/* A success that came with a warning (old chunks left for the next writer). */
void array_warn_if_any(const aw_error *err);

int array_put(cli *c, const cli_cmd *self, int argc, char **argv);
int array_info(cli *c, const cli_cmd *self, int argc, char **argv);
int array_get(cli *c, const cli_cmd *self, int argc, char **argv);
int array_delete(cli *c, const cli_cmd *self, int argc, char **argv);

#endif
