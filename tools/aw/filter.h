/*
 * --filter EXPR on the record and batch commands: the expression text
 * syntax (docs/expressions.md "Text syntax") compiled once for the run.
 */
#ifndef AW_CLI_FILTER_H
#define AW_CLI_FILTER_H

#include "cli.h"

/* Compiles text as the run's filter (c->filter, freed by cli_close); every
 * command of the run then sends it. A text that does not parse, or whose
 * value is not a bool, is a usage error of cmd: returns its exit code.
 * -1 on success. */
int cli_filter_set(cli *c, const cli_cmd *cmd, const char *text);

#endif
