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

/* Argument i of the call as an int (false when absent or not an int), and
 * as an optional count: absent is "to the end" (UINT32_MAX, as the server
 * defaults it), a negative one a huge unsigned count, as it reads it
 * (cdt_list_select.c). */
bool td_cdt_arg_int(const cdt_call *c, uint32_t i, int64_t *out);
bool td_cdt_arg_count(const cdt_call *c, uint32_t i, uint64_t *out);

/* cdt.c calc_index_count: the absolute run [*at, *at + *cnt) an index and
 * count cover in n elements; false when a single (not multi) index is out
 * of range. */
bool td_cdt_index_count(int64_t index, uint64_t count, uint32_t n, bool multi, uint32_t *at,
                        uint32_t *cnt);

/* An INVERTED run [*at, *at + *cnt) of n elements: when its complement is
 * itself one run (the run is empty, or starts at 0, or reaches the end) it
 * becomes that run (everything, the tail, the head) and false is returned;
 * true for a middle run, which stays as it is and is taken inverted. */
bool td_cdt_invert_run(uint32_t n, uint32_t *at, uint32_t *cnt);

/* cdt.c cdt_container_builder_add_int_range: appends the run [start,
 * start+count) to items at *k; rev: the same run counted from the end,
 * still ascending. */
void td_cdt_add_run(aw_value *items, uint32_t *k, uint32_t start, uint32_t count, uint32_t n,
                    bool rev);

/* cdt.c: a value an op would store holds no wildcard or infinity
 * (PARAMETER otherwise); cur + by as cdt.c cdt_calc_delta_add (false when
 * cur is not a number). */
bool td_cdt_storable(const aw_value *v);
bool td_cdt_delta_add(const aw_value *cur, const aw_value *by, aw_value *sum);

/* -1, 0, 1 as the server orders msgpack values (msgpack_in.c
 * msgpack_cmp): by type (nil < false < true < int < string < list < map <
 * bytes < double < GeoJSON < infinity), then by value; a wildcard anywhere
 * ends the comparison as equal. */
int td_list_value_cmp(const aw_value *x, const aw_value *y);

/* List flags (the order ext of a stored list) and sort flags. */
#define TD_LIST_ORDERED 0x01
#define TD_LIST_PERSIST_INDEX 0x10
#define TD_SORT_DESCENDING 0x01
#define TD_SORT_DROP_DUPLICATES 0x02

/* The rank a value has (would have) in the list: how many elements are
 * less. */
uint32_t td_list_rank(const aw_value *list, const aw_value *v);

/* The index of the element of an unordered list the server takes as
 * `rank` (< len), choosing among equal values as its rank heap does
 * (cdt.c order_heap_*); UINT32_MAX when out of memory. */
uint32_t td_list_index_at_rank(const aw_value *list, uint32_t rank, aw_arena *a);

/* True for the list codes cdt_list_select.c serves. */
bool td_list_select_code(int64_t code);

/* Applies a select op (td_list_select_code) to the list: *res
 * as the server builds it for the return type, the list changed in place
 * (*changed) for the remove codes. AW_OK or a server result code. */
int td_list_select(aw_value *list, const cdt_call *c, bool *changed, aw_value *res,
                   aw_arena *a);

/* cdt_list_ordered.c. Append (items: append-items) of n_vals values to an
 * ordered list under the write flags; *res = the size afterwards. */
int td_list_add_ordered(aw_value *list, const aw_value *vals, uint32_t n_vals, bool items,
                        int64_t flags, bool *changed, aw_value *res, aw_arena *a);

/* An ordered list's element at index (index == size: none) replaced by v,
 * which moves to its place (increment). */
int td_list_replace_ordered(aw_value *list, uint32_t index, const aw_value *v, int64_t flags,
                            bool *changed, aw_arena *a);

/* list_sort on either kind of list. */
int td_list_sort(aw_value *list, int64_t flags, bool *changed, aw_arena *a);

/* A persisted index on an ordered list is invisible to clients (the server
 * strips it from every read, cdt.c cdt_strip_indexes_from_particle): the
 * flag is dropped from *type. On an unordered list it is 16. */
int td_list_drop_persist(int64_t *type);

/* list_set_flags: the list's type (TD_LIST_* flags). */
int td_list_set_type(aw_value *list, int64_t type, bool *changed, aw_arena *a);

#endif
