/*
 * aw-testd: the text forms of a CDT context and an expression that
 * `sindex-list` shows for context and expression indexes (without
 * b64=true), as the server prints them.
 */
#ifndef TD_EXP_DISPLAY_H
#define TD_EXP_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

/* Appends the context (msgpack [type, value, ...]) as
 * cdt_msgpack_ctx_to_dynbuf does: "[map_key(<string#1>), list_index(-1)]";
 * false (after the server's error mark) when it does not read. */
bool td_ctx_display(const uint8_t *ctx, size_t len, aw_buf *b);

/* Appends the expression (wire bytes) as as_exp_display does:
 * `mul(bin_int("i"), 2)`; false, appending nothing, when it does not build. */
bool td_exp_display(const uint8_t *exp, size_t len, aw_buf *b);

#endif
