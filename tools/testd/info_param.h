/*
 * aw-testd's info commands: the writing and parameter helpers info.c and
 * sindex_info.c share.
 */
#ifndef TD_INFO_PARAM_H
#define TD_INFO_PARAM_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/buf.h"
#include "store.h"

void td_info_put(aw_buf *b, const char *s);
void td_info_putf(aw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How thr_info.c as_info_parameter_get finds `key=value` in a command's
 * parameters ("k=v;k=v"): the value must fit in cap bytes with its NUL. */
typedef enum { PARAM_OK, PARAM_NOT_FOUND, PARAM_TOO_LONG } param_result;
param_result td_info_param_get(const char *params, size_t len, const char *key, char *out,
                               size_t cap);

/* as_info_required_param_is_ok / as_info_optional_param_is_ok: true when
 * the parameter has a value; otherwise writes the server's error (code 20
 * for the namespace, 4 for the rest) unless it is optional and absent. */
bool td_info_param_usable(aw_buf *b, const char *key, const char *value, param_result r,
                          bool required);

/* The sindex-* commands and sindex/<ns>/<name> (sindex_info.c): true when
 * `name` is one of them and its answer was appended. */
bool td_sindex_info(td_store *st, aw_buf *b, const char *name, const char *args, size_t len,
                    bool slash);

/* sets, sets/NS, sets/NS/SET (sets_info.c): args is what follows "sets/"
 * (len 0 for a bare `sets`). */
struct td_node;
void td_sets_info(struct td_node *n, aw_buf *b, const char *args, size_t len);

#endif
