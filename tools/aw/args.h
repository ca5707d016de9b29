/*
 * Keys and bin values as typed on the command line (the syntax is in
 * docs/cli.md and `aw put --help`).
 *
 * Parsing may rewrite the text it is given (hex and base64 decode in place,
 * the '=' of bin=value becomes a NUL), and string keys and values point
 * into it: the text must outlive the key or value. Failures fill `why`
 * with a message for a usage error.
 */
#ifndef AW_CLI_ARGS_H
#define AW_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "aerowire/aerowire.h"

#define CLI_WHY_SIZE 200

/* KEY: an integer when the text is a decimal integer, otherwise a string;
 * "int:", "str:", "hex:" (a blob key) and "digest:" (40 hex digits) force
 * the type. */
bool cli_key_parse(char *text, const char *ns, const char *set, aw_key *out,
                   char why[CLI_WHY_SIZE]);

/* A bin from "name=value". The value may be owned (bytes, JSON): release
 * with aw_value_free. */
typedef struct cli_bin {
    char name[AW_BIN_NAME_MAX + 1];
    aw_value value;
} cli_bin;
bool cli_bin_parse(char *arg, cli_bin *out, char why[CLI_WHY_SIZE]);
/* One value in that syntax (the text after '='), for bins and anything
 * else typed the same way (array attributes); what names it in messages
 * is `what` ("bin 'x'", "--attr units"). */
bool cli_value_parse(char *text, const char *what, aw_value *out, char why[CLI_WHY_SIZE]);

/* Decodes hex (even length) or base64 (padding optional) in place; the
 * decoded length goes to *len. False on a bad digit or length. */
bool cli_hex_decode(char *text, size_t *len);
bool cli_b64_decode(char *text, size_t *len);

#endif
