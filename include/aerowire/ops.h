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

/* CDT list op codes. */
enum {
    AW_LIST_SET_TYPE = 0, AW_LIST_APPEND = 1, AW_LIST_APPEND_ITEMS = 2, AW_LIST_INSERT = 3,
    AW_LIST_INSERT_ITEMS = 4, AW_LIST_POP = 5, AW_LIST_POP_RANGE = 6, AW_LIST_REMOVE = 7,
    AW_LIST_REMOVE_RANGE = 8, AW_LIST_SET = 9, AW_LIST_TRIM = 10, AW_LIST_CLEAR = 11,
    AW_LIST_INCREMENT = 12, AW_LIST_SORT = 13, AW_LIST_SIZE = 16, AW_LIST_GET = 17,
    AW_LIST_GET_RANGE = 18, AW_LIST_GET_BY_INDEX = 19, AW_LIST_GET_BY_RANK = 21,
    AW_LIST_GET_ALL_BY_VALUE = 22, AW_LIST_GET_BY_VALUE_LIST = 23,
};

/* CDT map op codes. */
enum {
    AW_MAP_SET_TYPE = 64, AW_MAP_ADD = 65, AW_MAP_ADD_ITEMS = 66, AW_MAP_PUT = 67,
    AW_MAP_PUT_ITEMS = 68, AW_MAP_REPLACE = 69, AW_MAP_REPLACE_ITEMS = 70, AW_MAP_INCREMENT = 73,
    AW_MAP_DECREMENT = 74, AW_MAP_CLEAR = 75, AW_MAP_REMOVE_BY_KEY = 76,
    AW_MAP_REMOVE_BY_INDEX = 77, AW_MAP_SIZE = 96, AW_MAP_GET_BY_KEY = 97,
    AW_MAP_GET_BY_INDEX = 98, AW_MAP_GET_BY_RANK = 100,
};

/* CDT return types. */
typedef enum aw_cdt_return {
    AW_RETURN_NONE = 0, AW_RETURN_INDEX = 1, AW_RETURN_REVERSE_INDEX = 2, AW_RETURN_RANK = 3,
    AW_RETURN_REVERSE_RANK = 4, AW_RETURN_COUNT = 5, AW_RETURN_KEY = 6, AW_RETURN_VALUE = 7,
    AW_RETURN_KEY_VALUE = 8, AW_RETURN_EXISTS = 13,
} aw_cdt_return;

#define AW_OP_MAX_ARGS 4

typedef struct aw_op {
    uint8_t type;            /* aw_op_type */
    uint8_t n_args;          /* CDT: arguments after the code */
    uint16_t cdt_code;       /* CDT op code; 0xffff = not a CDT op */
    const char *bin;         /* NULL for TOUCH, DELETE and read-all */
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

/* List CDT ops (no policy: the server defaults apply). */
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

/* Map CDT ops (unordered map, default write flags). */
AW_API aw_op aw_op_map_put(const char *bin, aw_value key, aw_value value);
AW_API aw_op aw_op_map_put_items(const char *bin, aw_value map);
AW_API aw_op aw_op_map_increment(const char *bin, aw_value key, aw_value by);
AW_API aw_op aw_op_map_remove_by_key(const char *bin, aw_value key, aw_cdt_return rtype);
AW_API aw_op aw_op_map_clear(const char *bin);
AW_API aw_op aw_op_map_size(const char *bin);
AW_API aw_op aw_op_map_get_by_key(const char *bin, aw_value key, aw_cdt_return rtype);
AW_API aw_op aw_op_map_get_by_index(const char *bin, int64_t index, aw_cdt_return rtype);

/* Any CDT op: type AW_OP_CDT_READ or AW_OP_CDT_MODIFY, args encoded after the
 * code as msgpack. At most AW_OP_MAX_ARGS arguments (more are ignored; the
 * encoder reports n > AW_OP_MAX_ARGS as AW_ERR_PARAM). */
AW_API aw_op aw_op_cdt(aw_op_type type, const char *bin, uint16_t code, const aw_value *args,
                       uint8_t n);

#ifdef __cplusplus
}
#endif
#endif
