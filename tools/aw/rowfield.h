/*
 * The row fields aw fills or reads itself rather than the library: the key
 * field of batch rows (_key), and _gen / _ttl after a batch read.
 */
#ifndef AW_CLI_ROWFIELD_H
#define AW_CLI_ROWFIELD_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/aerowire.h"
#include "args.h"

/* Whether f is a scalar integer (i/u) field. */
bool cli_is_int_field(const aw_dtype_field *f);

/* Whether field f can hold keys: a scalar integer (i/u) field, or S/V
 * bytes. False with a message naming the field. */
bool cli_key_field_ok(const aw_dtype_field *f, char why[CLI_WHY_SIZE]);

/* Stores the key into field f of row, in the field's byte order: an integer
 * key into an integer field (when its width holds it) or as decimal text
 * into an S field; a string or bytes key into S/V (when it fits; the rest is
 * zeroed); a digest-only key's 20 bytes into S/V. row NULL only checks.
 * False with a message when the key does not go into this field. */
bool cli_row_put_key(const aw_dtype_field *f, uint8_t *row, const aw_key *key,
                     char why[CLI_WHY_SIZE]);

/* Stores v into the integer field f of row (two's complement, truncated to
 * the width, in the field's byte order). */
void cli_row_put_int(const aw_dtype_field *f, uint8_t *row, int64_t v);

/* The key field f of row as a value: an int, a string up to the first NUL
 * (S), or bytes (V); strings and bytes point into row. */
aw_value cli_row_key(const aw_dtype_field *f, const uint8_t *row);

#endif
