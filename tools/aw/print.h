/*
 * Output: values, keys and records for people (aligned lines, types shown,
 * the same spelling `aw put` takes where there is one), and as JSON for
 * machines (one value on stdout per command).
 */
#ifndef AW_CLI_PRINT_H
#define AW_CLI_PRINT_H

#include <stdio.h>

#include <jansson.h>

#include "aerowire/aerowire.h"

/* A value on one line: 42, 1.5, "text", hex:00ff, true, null, [1, "a"],
 * {"k": 1}, geo:{...}. Bytes past 64 are elided with their count. */
void cli_print_value(FILE *f, const aw_value *v);
/* "int", "float", "str", "bool", "nil", "geojson", "bytes[N]", "list[N]",
 * "map[N]" (static buffer). */
const char *cli_type_name(const aw_value *v);
/* ns/set and the user key: test/demo "k1", test/demo 42, test/demo hex:00ff,
 * or test/demo digest:<hex> for a key made from a digest. */
void cli_print_key(FILE *f, const aw_key *key);
/* The record: a key line, a gen/ttl line, then one aligned line per bin. */
void cli_print_record(FILE *f, const aw_key *key, const aw_record *rec);

/* Adds "ns", "set", "key" and "digest" to obj; false when out of memory. */
bool cli_key_to_json(json_t *obj, const aw_key *key);
/* The user key alone as JSON: a number, a string, {"bytes_hex": ...} or null. */
json_t *cli_user_key_json(const aw_key *key);
/* {"ns", "set", "key", "digest", "gen", "ttl", "bins": {...}} (ttl -1 when
 * the record never expires); NULL when out of memory. */
json_t *cli_record_json(const aw_key *key, const aw_record *rec);
/* TTL for JSON: seconds, or -1 for never. */
json_int_t cli_ttl_json(uint32_t ttl);

/* Prints j on stdout as one compact line and releases it. j NULL (out of
 * memory while building it) prints a message to stderr instead. False when
 * nothing could be printed. */
bool cli_emit_json(json_t *j);

#endif
