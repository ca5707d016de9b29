/*
 * Reading a batch-index request (field 41): what a server does with one.
 * Used by aw-testd and its fuzz target; the client only writes these, so
 * this lives in the test server's library, not in libaerowire.
 */
#ifndef TD_BATCH_PARSE_H
#define TD_BATCH_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "proto/msg.h"

typedef struct td_batch_req_iter {
    const uint8_t *p;
    const uint8_t *end;
    uint32_t n_rows;
    uint32_t next_row;
    uint8_t flags;          /* parent flags byte */
    bool have_prev;
    bool prev_has_key;
    aw_msg_view prev;       /* the last full row: header bits, fields, ops */
} td_batch_req_iter;

/* Starts reading the data of a batch field: row count and flags. A count of
 * 0, or one that cannot fit in the bytes given (25 bytes per row at least),
 * is AW_ERR_PROTO. */
int td_batch_req_open(td_batch_req_iter *it, const uint8_t *data, size_t len, aw_error *err);

/* Reads the next row into *row: a message view whose header holds the row's
 * info1-4, generation, record_ttl, transaction_ttl = batch index and counts,
 * and whose fields/ops point into the request (a REPEAT row gets the previous
 * full row's). *digest points at its 20 bytes. Returns 1 for a row, 0 after
 * the last one, or a negative code (AW_ERR_PROTO: truncated row, REPEAT with
 * no previous row or after a row that carried a key). */
int td_batch_req_next(td_batch_req_iter *it, const uint8_t **digest, aw_msg_view *row,
                      aw_error *err);

#endif
