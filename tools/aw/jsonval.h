/*
 * aerowire values to and from JSON (jansson), as `aw put` reads them and
 * `aw get --json` writes them. The mapping is in docs/cli.md.
 */
#ifndef AW_CLI_JSONVAL_H
#define AW_CLI_JSONVAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aerowire/error.h"
#include "aerowire/value.h"

/* JSON -> an owned value (release with aw_value_free): numbers to int or
 * float, strings, true/false, null (nil), arrays to lists, objects to maps
 * with string keys in the object's order. False with a message in `why`
 * (too deep, out of memory). */
bool cli_value_from_json(const json_t *j, aw_value *out, char *why, size_t why_cap);

/* A value as new JSON (NULL when out of memory). Types JSON has no word for
 * are wrapped: {"bytes_hex": ...}, {"geojson": ...}, {"float": "nan"},
 * {"str_hex": ...} (a string that is not UTF-8), and maps whose keys are not
 * all strings as {"map_entries": [[k, v], ...]}. */
json_t *cli_value_to_json(const aw_value *v);

/* Lowercase hex of bytes, malloc'd (NULL when out of memory). */
char *cli_hex_encode(const uint8_t *p, size_t n);

#endif
