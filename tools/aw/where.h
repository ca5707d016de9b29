/*
 * `aw query --where COND`: the four conditions a secondary index answers,
 * parsed from one argument, and the aw_index_filter they make.
 *
 *   BIN == VALUE              int, string or bytes, typed as `aw put` types
 *                             values (42, Ann, str:42, hex:00ff, "a b")
 *   BIN between LO and HI     ints, both ends included
 *   BIN contains VALUE        an element of a list, a key or a value of a map
 *                             (int, string or bytes): which one, the index
 *                             on BIN says (cli_where_collection) or
 *                             --collection
 *   BIN within GEOJSON        points of a geo2dsphere index inside a region
 *                             (Polygon, AeroCircle); geo: before it is allowed
 */
#ifndef AW_CLI_WHERE_H
#define AW_CLI_WHERE_H

#include <stdbool.h>

#include "aerowire/query.h"
#include "args.h"
#include "cli.h"

typedef enum cli_where_op { CLI_WHERE_EQUAL, CLI_WHERE_BETWEEN, CLI_WHERE_CONTAINS,
                            CLI_WHERE_WITHIN } cli_where_op;

typedef struct cli_where {
    char *text;                         /* our copy of the condition; values point into it */
    char bin[AW_BIN_NAME_MAX + 1];
    cli_where_op op;
    aw_value value;                     /* EQUAL, CONTAINS: int, str or blob (maybe owned) */
    int64_t lo, hi;                     /* BETWEEN */
    const char *geojson;                /* WITHIN */
} cli_where;

/* Parses text; false with a message for a usage error. *w needs
 * cli_where_free either way. */
bool cli_where_parse(const char *text, cli_where *w, char why[CLI_WHY_SIZE]);
void cli_where_free(cli_where *w);

/* The index filter for w (borrowing it); `in` is the collection of a
 * contains, ignored otherwise. */
aw_index_filter cli_where_filter(const cli_where *w, aw_index_collection in);

/* The collection of the one index a contains on w->bin can use in ns/set,
 * from the server's index list: an index on that bin over a list, map keys
 * or map values, of the value's type, on this set or on every set. No such
 * index: INDEX_NOT_FOUND (exit 4), several: a usage error asking for
 * --collection. -1 with *out set on success, else the exit code. */
int cli_where_collection(cli *c, const cli_cmd *cmd, aw_client *client, const char *ns,
                         const char *set, const cli_where *w, aw_index_collection *out);

/* "list", "mapkeys", "mapvalues" (and "default"); false for another word. */
bool cli_collection_parse(const char *text, aw_index_collection *out);
const char *cli_collection_name(aw_index_collection c);

#endif
