/* aw-testd: select / modify by path, shared by cdt_path_parse.c (reading
 * the op) and cdt_path.c (walking the bin). */
#ifndef TD_CDT_PATH_INTERNAL_H
#define TD_CDT_PATH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/value.h"
#include "exp.h"
#include "proto/arena.h"

/* Path item bases (proto.h as_cdt_subcontext) and the AND modifier. */
enum { PATH_INDEX = 0, PATH_RANK = 1, PATH_KEY = 2, PATH_VALUE = 3, PATH_EXP = 4,
       PATH_KEY_LIST = 10 };
#define PATH_AND 0x200

/* Select types and flags (cdt.c select_flags). */
enum { PATH_TREE = 0, PATH_LEAF_VALUE = 1, PATH_LEAF_KEY = 2, PATH_LEAF_KEY_VALUE = 3,
       PATH_APPLY = 4 };
#define PATH_NO_FAIL 0x10

/* One level of the path (select_stack_entry). */
typedef struct path_level {
    uint64_t type;     /* the item's type id, create and kind bits included */
    int64_t index;     /* index, rank */
    aw_value value;    /* key, value, key list */
    td_exp *exp;       /* all children: NULL passes everything */
    td_exp *and_exp;   /* the AND item's filter, or NULL */
    bool has_and;
} path_level;

typedef struct path_parse {
    aw_arena *arena;
    path_level *levels;
    uint32_t n_levels;
    unsigned type;     /* PATH_TREE .. PATH_APPLY */
    unsigned flags;    /* PATH_NO_FAIL and the other high bits */
    td_exp *modify;    /* PATH_APPLY's expression */
    bool refuse;       /* an expression aw-testd does not evaluate */
} path_parse;

/* Reads the op's msgpack into *pp (arena set by the caller). AW_OK, 4, or
 * 16 (pp->refuse). td_path_parse_free releases the built expressions. */
int td_path_parse(const uint8_t *p, uint32_t len, bool modify, path_parse *pp);
void td_path_parse_free(path_parse *pp);

#endif
