/*
 * aerowire/ops.h — operations for operate (and batch operate rows).
 *
 * An aw_op borrows its bin name and values: they must stay alive until the
 * request has been encoded (for the client: until the command's call returns).
 * Constructors do not validate; the encoder refuses bin names over 15 bytes
 * and bad arguments, naming the op.
 */
#ifndef AEROWIRE_OPS_H
#define AEROWIRE_OPS_H

#include <stdint.h>

#include "export.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wire op types. */
typedef enum aw_op_type {
    AW_OP_READ = 1,
    AW_OP_WRITE = 2,
    AW_OP_CDT_READ = 3,
    AW_OP_CDT_MODIFY = 4,
    AW_OP_INCR = 5,
    AW_OP_EXP_READ = 7,
    AW_OP_EXP_MODIFY = 8,
    AW_OP_APPEND = 9,
    AW_OP_PREPEND = 10,
    AW_OP_TOUCH = 11,
    AW_OP_BIT_READ = 12,
    AW_OP_BIT_MODIFY = 13,
    AW_OP_DELETE = 14,
    AW_OP_HLL_READ = 15,
    AW_OP_HLL_MODIFY = 16,
} aw_op_type;

/* CDT list op codes (cdt-bit-hll.md §6.1). */
enum {
    AW_LIST_SET_TYPE = 0, AW_LIST_APPEND = 1, AW_LIST_APPEND_ITEMS = 2, AW_LIST_INSERT = 3,
    AW_LIST_INSERT_ITEMS = 4, AW_LIST_POP = 5, AW_LIST_POP_RANGE = 6, AW_LIST_REMOVE = 7,
    AW_LIST_REMOVE_RANGE = 8, AW_LIST_SET = 9, AW_LIST_TRIM = 10, AW_LIST_CLEAR = 11,
    AW_LIST_INCREMENT = 12, AW_LIST_SORT = 13, AW_LIST_SIZE = 16, AW_LIST_GET = 17,
    AW_LIST_GET_RANGE = 18, AW_LIST_GET_BY_INDEX = 19, AW_LIST_GET_BY_VALUE = 20,
    AW_LIST_GET_BY_RANK = 21, AW_LIST_GET_ALL_BY_VALUE = 22, AW_LIST_GET_BY_VALUE_LIST = 23,
    AW_LIST_GET_BY_INDEX_RANGE = 24, AW_LIST_GET_BY_VALUE_INTERVAL = 25,
    AW_LIST_GET_BY_RANK_RANGE = 26, AW_LIST_GET_BY_VALUE_REL_RANK_RANGE = 27,
    AW_LIST_REMOVE_BY_INDEX = 32, AW_LIST_REMOVE_BY_VALUE = 33, AW_LIST_REMOVE_BY_RANK = 34,
    AW_LIST_REMOVE_ALL_BY_VALUE = 35, AW_LIST_REMOVE_BY_VALUE_LIST = 36,
    AW_LIST_REMOVE_BY_INDEX_RANGE = 37, AW_LIST_REMOVE_BY_VALUE_INTERVAL = 38,
    AW_LIST_REMOVE_BY_RANK_RANGE = 39, AW_LIST_REMOVE_BY_VALUE_REL_RANK_RANGE = 40,
};

/* CDT map op codes (cdt-bit-hll.md §7.1). */
enum {
    AW_MAP_SET_TYPE = 64, AW_MAP_ADD = 65, AW_MAP_ADD_ITEMS = 66, AW_MAP_PUT = 67,
    AW_MAP_PUT_ITEMS = 68, AW_MAP_REPLACE = 69, AW_MAP_REPLACE_ITEMS = 70, AW_MAP_INCREMENT = 73,
    AW_MAP_DECREMENT = 74, AW_MAP_CLEAR = 75, AW_MAP_REMOVE_BY_KEY = 76,
    AW_MAP_REMOVE_BY_INDEX = 77, AW_MAP_REMOVE_BY_VALUE = 78, AW_MAP_REMOVE_BY_RANK = 79,
    AW_MAP_REMOVE_BY_KEY_LIST = 81, AW_MAP_REMOVE_ALL_BY_VALUE = 82,
    AW_MAP_REMOVE_BY_VALUE_LIST = 83, AW_MAP_REMOVE_BY_KEY_INTERVAL = 84,
    AW_MAP_REMOVE_BY_INDEX_RANGE = 85, AW_MAP_REMOVE_BY_VALUE_INTERVAL = 86,
    AW_MAP_REMOVE_BY_RANK_RANGE = 87, AW_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE = 88,
    AW_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE = 89, AW_MAP_SIZE = 96, AW_MAP_GET_BY_KEY = 97,
    AW_MAP_GET_BY_INDEX = 98, AW_MAP_GET_BY_VALUE = 99, AW_MAP_GET_BY_RANK = 100,
    AW_MAP_GET_ALL_BY_VALUE = 102, AW_MAP_GET_BY_KEY_INTERVAL = 103,
    AW_MAP_GET_BY_INDEX_RANGE = 104, AW_MAP_GET_BY_VALUE_INTERVAL = 105,
    AW_MAP_GET_BY_RANK_RANGE = 106, AW_MAP_GET_BY_KEY_LIST = 107,
    AW_MAP_GET_BY_VALUE_LIST = 108, AW_MAP_GET_BY_KEY_REL_INDEX_RANGE = 109,
    AW_MAP_GET_BY_VALUE_REL_RANK_RANGE = 110,
};

/* CDT return types (cdt-bit-hll.md §8). OR AW_RETURN_INVERTED into a
 * selection's return type to select the complement. 9-12 are the server's
 * range forms [start, count]; KEY, KEY_VALUE and the map forms are for maps
 * only (the server answers 26 on a list). A KEY_VALUE result decodes as a map
 * with subtype 8 whose entries keep the server's order. */
typedef enum aw_cdt_return {
    AW_RETURN_NONE = 0, AW_RETURN_INDEX = 1, AW_RETURN_REVERSE_INDEX = 2, AW_RETURN_RANK = 3,
    AW_RETURN_REVERSE_RANK = 4, AW_RETURN_COUNT = 5, AW_RETURN_KEY = 6, AW_RETURN_VALUE = 7,
    AW_RETURN_KEY_VALUE = 8, AW_RETURN_INDEX_RANGE = 9, AW_RETURN_REVERSE_INDEX_RANGE = 10,
    AW_RETURN_RANK_RANGE = 11, AW_RETURN_REVERSE_RANK_RANGE = 12, AW_RETURN_EXISTS = 13,
    AW_RETURN_UNORDERED_MAP = 16, AW_RETURN_ORDERED_MAP = 17,
} aw_cdt_return;
#define AW_RETURN_INVERTED 0x10000u

/* ---- contexts: a path into nested lists and maps ----------------------- */

/* Context item type ids as sent (cdt-bit-hll.md §4.2). */
enum {
    AW_CTX_LIST_INDEX = 0x10, AW_CTX_LIST_RANK = 0x11, AW_CTX_LIST_VALUE = 0x13,
    AW_CTX_MAP_INDEX = 0x20, AW_CTX_MAP_RANK = 0x21, AW_CTX_MAP_KEY = 0x22,
    AW_CTX_MAP_VALUE = 0x23,
    /* Path items (select/modify by path only; an ordinary op with one is
     * answered 26): every child passing an expression, and the values of the
     * map keys in a list. */
    AW_CTX_EXP = 0x04, AW_CTX_MAP_KEYS_IN = 0x2a,
    /* A second filter on the item before it (aw_ctx_and_filter in exp.h). */
    AW_CTX_AND_EXP = 0x204,
};
/* Create flags OR-ed into a list index or map key item (§4.3): what to
 * create when the selected element, or the container holding it, is missing. */
#define AW_CTX_CREATE_LIST_UNORDERED 0x40
#define AW_CTX_CREATE_LIST_UNORDERED_PAD 0x80 /* pad with nil up to the index */
#define AW_CTX_CREATE_LIST_ORDERED 0xc0
#define AW_CTX_CREATE_MAP_UNORDERED 0x40
#define AW_CTX_CREATE_MAP_KEY_ORDERED 0x80
#define AW_CTX_CREATE_MAP_KEY_VALUE_ORDERED 0xc0
#define AW_CTX_CREATE_MASK 0xc0
/* A context item the encoder refuses (an aw_ctx_* constructor got a bad order). */
#define AW_CTX_INVALID 0xffff

/* One step of a path: type id (with create flags) and its index, rank, key or
 * value. The value is borrowed like an op's. */
typedef struct aw_ctx_item {
    uint16_t id;
    aw_value value;
} aw_ctx_item;

/* A caller-owned path: items[0] selects inside the bin, items[1] inside
 * that, ... It must stay alive until the request is encoded. Checked when
 * encoded: 1 to AW_CTX_MAX_ITEMS known items, index/rank items with integers. */
typedef struct aw_ctx {
    const aw_ctx_item *items;
    uint32_t n;
} aw_ctx;
#define AW_CTX_MAX_ITEMS 64

/* List and map order. */
typedef enum aw_list_order { AW_LIST_UNORDERED = 0, AW_LIST_ORDERED = 1 } aw_list_order;
typedef enum aw_map_order {
    AW_MAP_UNORDERED = 0, AW_MAP_KEY_ORDERED = 1, AW_MAP_KEY_VALUE_ORDERED = 3,
} aw_map_order;

AW_API aw_ctx_item aw_ctx_list_index(int64_t index);
/* Creates the element when missing: a list of `order`; pad (unordered only)
 * fills nil up to an index past the end. */
AW_API aw_ctx_item aw_ctx_list_index_create(int64_t index, aw_list_order order, bool pad);
AW_API aw_ctx_item aw_ctx_list_rank(int64_t rank);
AW_API aw_ctx_item aw_ctx_list_value(aw_value value);
AW_API aw_ctx_item aw_ctx_map_index(int64_t index);
AW_API aw_ctx_item aw_ctx_map_rank(int64_t rank);
AW_API aw_ctx_item aw_ctx_map_key(aw_value key);
/* Creates the key when missing; a map of `order` where one must be created. */
AW_API aw_ctx_item aw_ctx_map_key_create(aw_value key, aw_map_order order);
AW_API aw_ctx_item aw_ctx_map_value(aw_value value);
/* Path items (select/modify by path). all_children: every element of the
 * list or map (aw_ctx_all_children_with_filter in exp.h: those an expression
 * passes). map_keys_in: the values under each key of `keys` (an AW_LIST). */
AW_API aw_ctx_item aw_ctx_all_children(void);
AW_API aw_ctx_item aw_ctx_map_keys_in(aw_value keys);

/* ---- policies ----------------------------------------------------------- */

/* List write flags (§6.2). PARTIAL only acts together with NO_FAIL. */
enum {
    AW_LIST_WRITE_ADD_UNIQUE = 0x01, AW_LIST_WRITE_INSERT_BOUNDED = 0x02,
    AW_LIST_WRITE_NO_FAIL = 0x04, AW_LIST_WRITE_PARTIAL = 0x08,
};
/* `order` applies only when the op creates the list. */
typedef struct aw_list_policy {
    uint8_t order; /* aw_list_order */
    uint8_t flags; /* AW_LIST_WRITE_* */
} aw_list_policy;

/* Map write flags (§7.2). */
enum {
    AW_MAP_WRITE_CREATE_ONLY = 0x01, AW_MAP_WRITE_UPDATE_ONLY = 0x02,
    AW_MAP_WRITE_NO_FAIL = 0x04, AW_MAP_WRITE_PARTIAL = 0x08,
};
/* Persist the map's index (top level only); OR into aw_map_policy.order. */
#define AW_MAP_PERSIST_INDEX 0x10
/* The legacy write modes pick another op code instead of sending flags:
 * CREATE_ONLY puts with ADD/ADD_ITEMS, UPDATE_ONLY with REPLACE/REPLACE_ITEMS
 * (which never create the map). They do not combine with write flags. */
typedef enum aw_map_mode {
    AW_MAP_MODE_PUT = 0, AW_MAP_MODE_CREATE_ONLY = 1, AW_MAP_MODE_UPDATE_ONLY = 2,
} aw_map_mode;
/* `order` (aw_map_order, | AW_MAP_PERSIST_INDEX) applies only when the op
 * creates the map. */
typedef struct aw_map_policy {
    uint8_t order;
    uint8_t flags; /* AW_MAP_WRITE_* */
    uint8_t mode;  /* aw_map_mode */
} aw_map_policy;

/* List sort flags. */
enum { AW_LIST_SORT_DESCENDING = 0x01, AW_LIST_SORT_DROP_DUPLICATES = 0x02 };

#define AW_OP_MAX_ARGS 4

typedef struct aw_op {
    uint8_t type;            /* aw_op_type */
    uint8_t n_args;          /* CDT: arguments after the code */
    uint16_t cdt_code;       /* CDT op code; 0xffff = not a CDT op */
    uint16_t ctx_create;     /* CDT: create flag OR-ed into the last context item */
    const char *bin;         /* NULL for TOUCH, DELETE and read-all */
    const aw_ctx *ctx;       /* CDT: path to the nested container, or NULL */
    const char *fault;       /* set by a builder given a bad argument; the encoder refuses it */
    uint64_t fault_value;    /* the bad argument, for the message */
    aw_value value;          /* WRITE/INCR/APPEND/PREPEND value; EXP/BIT/HLL: raw msgpack blob */
    aw_value args[AW_OP_MAX_ARGS];
} aw_op;

/* Plain ops. `bin` NULL in aw_op_read reads all bins. */
AW_API aw_op aw_op_read(const char *bin);
AW_API aw_op aw_op_write(const char *bin, aw_value value);  /* AW_NIL value deletes the bin */
AW_API aw_op aw_op_incr(const char *bin, aw_value by);      /* AW_INT or AW_FLOAT */
AW_API aw_op aw_op_append(const char *bin, aw_value value); /* AW_STR or AW_BLOB */
AW_API aw_op aw_op_prepend(const char *bin, aw_value value);
AW_API aw_op aw_op_touch(void);
AW_API aw_op aw_op_delete(void);

/* List CDT ops on the bin itself, no policy: shorthands for the aw_list_*
 * builders below with ctx and policy NULL. */
AW_API aw_op aw_op_list_append(const char *bin, aw_value value);
AW_API aw_op aw_op_list_append_items(const char *bin, aw_value list);
AW_API aw_op aw_op_list_insert(const char *bin, int64_t index, aw_value value);
AW_API aw_op aw_op_list_set(const char *bin, int64_t index, aw_value value);
AW_API aw_op aw_op_list_pop(const char *bin, int64_t index);
AW_API aw_op aw_op_list_remove(const char *bin, int64_t index);
AW_API aw_op aw_op_list_clear(const char *bin);
AW_API aw_op aw_op_list_size(const char *bin);
AW_API aw_op aw_op_list_get(const char *bin, int64_t index);
AW_API aw_op aw_op_list_get_range(const char *bin, int64_t index, int64_t count);
AW_API aw_op aw_op_list_get_range_from(const char *bin, int64_t index); /* to the end */

/* Map CDT ops on the bin itself, no policy: shorthands for aw_map_*. */
AW_API aw_op aw_op_map_put(const char *bin, aw_value key, aw_value value);
AW_API aw_op aw_op_map_put_items(const char *bin, aw_value map);
AW_API aw_op aw_op_map_increment(const char *bin, aw_value key, aw_value by);
AW_API aw_op aw_op_map_remove_by_key(const char *bin, aw_value key, aw_cdt_return rtype);
AW_API aw_op aw_op_map_clear(const char *bin);
AW_API aw_op aw_op_map_size(const char *bin);
AW_API aw_op aw_op_map_get_by_key(const char *bin, aw_value key, aw_cdt_return rtype);
AW_API aw_op aw_op_map_get_by_index(const char *bin, int64_t index, aw_cdt_return rtype);

/* ---- list ops with contexts and policies (docs/cdt.md) -----------------
 * Every builder takes an optional path (`ctx`, NULL = the bin itself); the
 * modifying ones an optional policy (NULL = none sent: the server's defaults).
 * Nothing is allocated or copied: ctx, policy-free values and the values'
 * storage must stay alive until the request is encoded. Bad arguments
 * (unknown flags, orders, return types, context items) are refused by the
 * encoder with AW_ERR_PARAM naming the op, the bin and the argument.
 * `rt` is an aw_cdt_return, optionally | AW_RETURN_INVERTED. */
AW_API aw_op aw_cdt_list_append(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                            aw_value value);
AW_API aw_op aw_cdt_list_append_items(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                                  aw_value list);
AW_API aw_op aw_cdt_list_insert(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                            int64_t index, aw_value value);
AW_API aw_op aw_cdt_list_insert_items(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                                  int64_t index, aw_value list);
AW_API aw_op aw_cdt_list_set(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                         int64_t index, aw_value value);
/* A nil delta adds 1 (sent as 1, as the official client does). */
AW_API aw_op aw_cdt_list_increment(const char *bin, const aw_ctx *ctx, const aw_list_policy *pol,
                               int64_t index, aw_value delta);
AW_API aw_op aw_cdt_list_pop(const char *bin, const aw_ctx *ctx, int64_t index);
AW_API aw_op aw_cdt_list_pop_range(const char *bin, const aw_ctx *ctx, int64_t index, uint64_t count);
AW_API aw_op aw_cdt_list_pop_range_from(const char *bin, const aw_ctx *ctx, int64_t index);
AW_API aw_op aw_cdt_list_remove(const char *bin, const aw_ctx *ctx, int64_t index);
AW_API aw_op aw_cdt_list_remove_range(const char *bin, const aw_ctx *ctx, int64_t index,
                                  uint64_t count);
AW_API aw_op aw_cdt_list_remove_range_from(const char *bin, const aw_ctx *ctx, int64_t index);
AW_API aw_op aw_cdt_list_trim(const char *bin, const aw_ctx *ctx, int64_t index, uint64_t count);
AW_API aw_op aw_cdt_list_clear(const char *bin, const aw_ctx *ctx);
AW_API aw_op aw_cdt_list_sort(const char *bin, const aw_ctx *ctx, unsigned sort_flags);
/* Sets an existing list's order (SET_TYPE). */
AW_API aw_op aw_cdt_list_set_order(const char *bin, const aw_ctx *ctx, aw_list_order order);
/* Creates the list at the end of ctx (or the bin) if missing. With a ctx
 * the create flag goes on its last item, as the official client sends it;
 * persist_index applies at the top level only and is dropped under a ctx. */
AW_API aw_op aw_cdt_list_create(const char *bin, const aw_ctx *ctx, aw_list_order order, bool pad);
AW_API aw_op aw_cdt_list_create_all(const char *bin, const aw_ctx *ctx, aw_list_order order, bool pad,
                                bool persist_index);
AW_API aw_op aw_cdt_list_size(const char *bin, const aw_ctx *ctx);
AW_API aw_op aw_cdt_list_get(const char *bin, const aw_ctx *ctx, int64_t index);
AW_API aw_op aw_cdt_list_get_range(const char *bin, const aw_ctx *ctx, int64_t index, uint64_t count);
AW_API aw_op aw_cdt_list_get_range_from(const char *bin, const aw_ctx *ctx, int64_t index);

/* Selections: get_by_* read, remove_by_* remove what they select and return
 * it per rt. Value intervals are [begin, end): begin NULL = from nil (the
 * smallest value), end NULL = to the largest. *_to_end: no count. */
AW_API aw_op aw_cdt_list_get_by_index(const char *bin, const aw_ctx *ctx, int64_t index, uint32_t rt);
AW_API aw_op aw_cdt_list_get_by_index_range(const char *bin, const aw_ctx *ctx, int64_t index,
                                        uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_list_get_by_index_range_to_end(const char *bin, const aw_ctx *ctx, int64_t index,
                                               uint32_t rt);
AW_API aw_op aw_cdt_list_get_by_rank(const char *bin, const aw_ctx *ctx, int64_t rank, uint32_t rt);
AW_API aw_op aw_cdt_list_get_by_rank_range(const char *bin, const aw_ctx *ctx, int64_t rank,
                                       uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_list_get_by_rank_range_to_end(const char *bin, const aw_ctx *ctx, int64_t rank,
                                              uint32_t rt);
/* Every element equal to value. */
AW_API aw_op aw_cdt_list_get_by_value(const char *bin, const aw_ctx *ctx, aw_value value, uint32_t rt);
AW_API aw_op aw_cdt_list_get_by_value_list(const char *bin, const aw_ctx *ctx, aw_value values,
                                       uint32_t rt);
AW_API aw_op aw_cdt_list_get_by_value_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                                        const aw_value *end, uint32_t rt);
AW_API aw_op aw_cdt_list_get_by_value_rel_rank_range(const char *bin, const aw_ctx *ctx,
                                                 aw_value value, int64_t rank, uint64_t count,
                                                 uint32_t rt);
AW_API aw_op aw_cdt_list_get_by_value_rel_rank_range_to_end(const char *bin, const aw_ctx *ctx,
                                                        aw_value value, int64_t rank, uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_index(const char *bin, const aw_ctx *ctx, int64_t index,
                                     uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_index_range(const char *bin, const aw_ctx *ctx, int64_t index,
                                           uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_index_range_to_end(const char *bin, const aw_ctx *ctx,
                                                  int64_t index, uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_rank(const char *bin, const aw_ctx *ctx, int64_t rank, uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_rank_range(const char *bin, const aw_ctx *ctx, int64_t rank,
                                          uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_rank_range_to_end(const char *bin, const aw_ctx *ctx, int64_t rank,
                                                 uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_value(const char *bin, const aw_ctx *ctx, aw_value value,
                                     uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_value_list(const char *bin, const aw_ctx *ctx, aw_value values,
                                          uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_value_range(const char *bin, const aw_ctx *ctx,
                                           const aw_value *begin, const aw_value *end,
                                           uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_value_rel_rank_range(const char *bin, const aw_ctx *ctx,
                                                    aw_value value, int64_t rank, uint64_t count,
                                                    uint32_t rt);
AW_API aw_op aw_cdt_list_remove_by_value_rel_rank_range_to_end(const char *bin, const aw_ctx *ctx,
                                                           aw_value value, int64_t rank,
                                                           uint32_t rt);

/* ---- map ops with contexts and policies ---------------------------------
 * Same rules as the list ops. Without a policy, writes send order 0
 * (unordered) as the official client does. */
AW_API aw_op aw_cdt_map_put(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol, aw_value key,
                        aw_value value);
AW_API aw_op aw_cdt_map_put_items(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol,
                              aw_value map);
/* A nil delta adds (subtracts) 1. */
AW_API aw_op aw_cdt_map_increment(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol,
                              aw_value key, aw_value delta);
AW_API aw_op aw_cdt_map_decrement(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol,
                              aw_value key, aw_value delta);
AW_API aw_op aw_cdt_map_clear(const char *bin, const aw_ctx *ctx);
/* Sets an existing map's order (SET_TYPE); persist index dropped under a ctx. */
AW_API aw_op aw_cdt_map_set_policy(const char *bin, const aw_ctx *ctx, const aw_map_policy *pol);
AW_API aw_op aw_cdt_map_create(const char *bin, const aw_ctx *ctx, aw_map_order order);
AW_API aw_op aw_cdt_map_create_all(const char *bin, const aw_ctx *ctx, aw_map_order order,
                               bool persist_index);
AW_API aw_op aw_cdt_map_size(const char *bin, const aw_ctx *ctx);

/* Key intervals and value intervals are [begin, end) as for lists. */
AW_API aw_op aw_cdt_map_get_by_key(const char *bin, const aw_ctx *ctx, aw_value key, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_key_list(const char *bin, const aw_ctx *ctx, aw_value keys, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_key_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                                     const aw_value *end, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_key_rel_index_range(const char *bin, const aw_ctx *ctx, aw_value key,
                                               int64_t index, uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_key_rel_index_range_to_end(const char *bin, const aw_ctx *ctx,
                                                      aw_value key, int64_t index, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_value(const char *bin, const aw_ctx *ctx, aw_value value, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_value_list(const char *bin, const aw_ctx *ctx, aw_value values,
                                      uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_value_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                                       const aw_value *end, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_value_rel_rank_range(const char *bin, const aw_ctx *ctx, aw_value value,
                                                int64_t rank, uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_value_rel_rank_range_to_end(const char *bin, const aw_ctx *ctx,
                                                       aw_value value, int64_t rank, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_index(const char *bin, const aw_ctx *ctx, int64_t index, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_index_range(const char *bin, const aw_ctx *ctx, int64_t index,
                                       uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_index_range_to_end(const char *bin, const aw_ctx *ctx, int64_t index,
                                              uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_rank(const char *bin, const aw_ctx *ctx, int64_t rank, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_rank_range(const char *bin, const aw_ctx *ctx, int64_t rank,
                                      uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_map_get_by_rank_range_to_end(const char *bin, const aw_ctx *ctx, int64_t rank,
                                             uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_key(const char *bin, const aw_ctx *ctx, aw_value key, uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_key_list(const char *bin, const aw_ctx *ctx, aw_value keys,
                                       uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_key_range(const char *bin, const aw_ctx *ctx, const aw_value *begin,
                                        const aw_value *end, uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_key_rel_index_range(const char *bin, const aw_ctx *ctx,
                                                  aw_value key, int64_t index, uint64_t count,
                                                  uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_key_rel_index_range_to_end(const char *bin, const aw_ctx *ctx,
                                                         aw_value key, int64_t index, uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_value(const char *bin, const aw_ctx *ctx, aw_value value,
                                    uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_value_list(const char *bin, const aw_ctx *ctx, aw_value values,
                                         uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_value_range(const char *bin, const aw_ctx *ctx,
                                          const aw_value *begin, const aw_value *end, uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_value_rel_rank_range(const char *bin, const aw_ctx *ctx,
                                                   aw_value value, int64_t rank, uint64_t count,
                                                   uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_value_rel_rank_range_to_end(const char *bin, const aw_ctx *ctx,
                                                          aw_value value, int64_t rank,
                                                          uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_index(const char *bin, const aw_ctx *ctx, int64_t index,
                                    uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_index_range(const char *bin, const aw_ctx *ctx, int64_t index,
                                          uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_index_range_to_end(const char *bin, const aw_ctx *ctx,
                                                 int64_t index, uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_rank(const char *bin, const aw_ctx *ctx, int64_t rank, uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_rank_range(const char *bin, const aw_ctx *ctx, int64_t rank,
                                         uint64_t count, uint32_t rt);
AW_API aw_op aw_cdt_map_remove_by_rank_range_to_end(const char *bin, const aw_ctx *ctx, int64_t rank,
                                                uint32_t rt);

/* ---- select by path (op 0xfe) ------------------------------------------
 * What the path (ctx, 1..AW_CTX_MAX_ITEMS items, usually with all-children
 * or map-keys-in items) reaches. aw_op_modify_by_path (exp.h) rewrites it. */
enum {
    AW_PATH_SELECT_MATCHING_TREE = 0, /* the tree from the bin down, filtered */
    AW_PATH_SELECT_VALUE = 1,         /* a list of the selected values */
    AW_PATH_SELECT_MAP_KEY = 2,       /* a list of the selected map keys */
    AW_PATH_SELECT_MAP_KEY_VALUE = 3, /* a list of key, value, key, value, ... */
    AW_PATH_NO_FAIL = 0x10,           /* skip elements of the wrong type; unknown = false */
};
AW_API aw_op aw_op_select_by_path(const char *bin, const aw_ctx *ctx, unsigned flags);

/* Any CDT op: type AW_OP_CDT_READ or AW_OP_CDT_MODIFY, args encoded after the
 * code as msgpack. At most AW_OP_MAX_ARGS arguments (more are ignored; the
 * encoder reports n > AW_OP_MAX_ARGS as AW_ERR_PARAM). */
AW_API aw_op aw_op_cdt(aw_op_type type, const char *bin, uint16_t code, const aw_value *args,
                       uint8_t n);

#ifdef __cplusplus
}
#endif
#endif
