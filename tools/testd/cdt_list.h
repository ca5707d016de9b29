/* aw-testd: the list ops that select elements by index, rank or value
 * (cdt_list_select.c), shared with cdt.c. */
#ifndef TD_CDT_LIST_H
#define TD_CDT_LIST_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/value.h"
#include "proto/arena.h"

/* One decoded CDT op: [code, args...]. */
typedef struct cdt_call {
    int64_t code;
    aw_value *args;
    uint32_t n_args;
} cdt_call;

/* -1, 0, 1 as the server orders msgpack values (msgpack_in.c
 * msgpack_cmp): by type (nil < false < true < int < string < list < map <
 * bytes < double < GeoJSON < infinity), then by value; a wildcard anywhere
 * ends the comparison as equal. */
int td_list_value_cmp(const aw_value *x, const aw_value *y);

/* True for the list codes cdt_list_select.c serves. */
bool td_list_select_code(int64_t code);

/* Applies a select op (td_list_select_code) to the unordered list: *res
 * as the server builds it for the return type, the list changed in place
 * (*changed) for the remove codes. AW_OK or a server result code. */
int td_list_select(aw_value *list, const cdt_call *c, bool *changed, aw_value *res,
                   aw_arena *a);

#endif
