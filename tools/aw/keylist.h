/*
 * The keys of a batch command: "A..B" (every integer from A to B, both
 * included) or "@FILE" (one KEY per line, as on the command line; empty
 * lines skipped; "@-" reads stdin).
 */
#ifndef AW_CLI_KEYLIST_H
#define AW_CLI_KEYLIST_H

#include <stddef.h>

#include "aerowire/aerowire.h"
#include "args.h"

/* The most keys one command takes (a range bigger than this is refused). */
#define CLI_KEYS_MAX 100000000u

typedef struct cli_keylist {
    aw_key *keys;
    size_t n;
    char *text;     /* the file's contents, which string and bytes keys point into */
} cli_keylist;

/* Fills kl (zeroed first). Returns CLI_OK, or CLI_EXIT_USAGE (bad syntax,
 * a bad key, no keys) or CLI_EXIT_OTHER (the file cannot be read, out of
 * memory) with a message in why. kl needs cli_keylist_free either way. */
int cli_keylist_parse(const char *spec, const char *ns, const char *set, cli_keylist *kl,
                      char why[CLI_WHY_SIZE]);
void cli_keylist_free(cli_keylist *kl);

#endif
