/*
 * The expression op table: arity, argument and result types of every op
 * the builder emits (S8.1.2 exp.c build table, wire-protocol.md §5.4.3).
 */
#include <stddef.h>

#include "exp_impl.h"

#define ANY AW_EXP_ANY
#define MANY 255

static const exp_op_info OPS[] = {
    {AW_EXPOP_UNKNOWN, RULE_TYPED, 0, 0, ANY, ANY, ANY, "unknown"},
    {AW_EXPOP_EQ, RULE_COMPARE, 2, 2, ANY, ANY, AW_EXP_BOOL, "eq"},
    {AW_EXPOP_NE, RULE_COMPARE, 2, 2, ANY, ANY, AW_EXP_BOOL, "ne"},
    {AW_EXPOP_GT, RULE_COMPARE, 2, 2, ANY, ANY, AW_EXP_BOOL, "gt"},
    {AW_EXPOP_GE, RULE_COMPARE, 2, 2, ANY, ANY, AW_EXP_BOOL, "ge"},
    {AW_EXPOP_LT, RULE_COMPARE, 2, 2, ANY, ANY, AW_EXP_BOOL, "lt"},
    {AW_EXPOP_LE, RULE_COMPARE, 2, 2, ANY, ANY, AW_EXP_BOOL, "le"},
    {AW_EXPOP_REGEX, RULE_SPECIAL, 1, 1, AW_EXP_STR, ANY, AW_EXP_BOOL, "regex"},
    {AW_EXPOP_GEO, RULE_TYPED, 2, 2, AW_EXP_GEO, AW_EXP_GEO, AW_EXP_BOOL, "geo_compare"},
    {AW_EXPOP_IN_LIST, RULE_TYPED, 2, 2, ANY, AW_EXP_LIST, AW_EXP_BOOL, "in_list"},
    {AW_EXPOP_AND, RULE_TYPED, 2, MANY, AW_EXP_BOOL, AW_EXP_BOOL, AW_EXP_BOOL, "and"},
    {AW_EXPOP_OR, RULE_TYPED, 2, MANY, AW_EXP_BOOL, AW_EXP_BOOL, AW_EXP_BOOL, "or"},
    {AW_EXPOP_NOT, RULE_TYPED, 1, 1, AW_EXP_BOOL, AW_EXP_BOOL, AW_EXP_BOOL, "not"},
    {AW_EXPOP_EXCLUSIVE, RULE_TYPED, 2, MANY, AW_EXP_BOOL, AW_EXP_BOOL, AW_EXP_BOOL, "exclusive"},
    {AW_EXPOP_ADD, RULE_SAME_NUM, 1, MANY, ANY, ANY, ANY, "add"},
    {AW_EXPOP_SUB, RULE_SAME_NUM, 1, MANY, ANY, ANY, ANY, "sub"},
    {AW_EXPOP_MUL, RULE_SAME_NUM, 1, MANY, ANY, ANY, ANY, "mul"},
    {AW_EXPOP_DIV, RULE_SAME_NUM, 1, MANY, ANY, ANY, ANY, "div"},
    {AW_EXPOP_POW, RULE_TYPED, 2, 2, AW_EXP_FLOAT, AW_EXP_FLOAT, AW_EXP_FLOAT, "pow"},
    {AW_EXPOP_LOG, RULE_TYPED, 2, 2, AW_EXP_FLOAT, AW_EXP_FLOAT, AW_EXP_FLOAT, "log"},
    {AW_EXPOP_MOD, RULE_TYPED, 2, 2, AW_EXP_INT, AW_EXP_INT, AW_EXP_INT, "mod"},
    {AW_EXPOP_ABS, RULE_SAME_NUM, 1, 1, ANY, ANY, ANY, "abs"},
    {AW_EXPOP_FLOOR, RULE_TYPED, 1, 1, AW_EXP_FLOAT, AW_EXP_FLOAT, AW_EXP_FLOAT, "floor"},
    {AW_EXPOP_CEIL, RULE_TYPED, 1, 1, AW_EXP_FLOAT, AW_EXP_FLOAT, AW_EXP_FLOAT, "ceil"},
    {AW_EXPOP_TO_INT, RULE_TYPED, 1, 1, AW_EXP_FLOAT, AW_EXP_FLOAT, AW_EXP_INT, "to_int"},
    {AW_EXPOP_TO_FLOAT, RULE_TYPED, 1, 1, AW_EXP_INT, AW_EXP_INT, AW_EXP_FLOAT, "to_float"},
    {AW_EXPOP_INT_AND, RULE_TYPED, 1, MANY, AW_EXP_INT, AW_EXP_INT, AW_EXP_INT, "int_and"},
    {AW_EXPOP_INT_OR, RULE_TYPED, 1, MANY, AW_EXP_INT, AW_EXP_INT, AW_EXP_INT, "int_or"},
    {AW_EXPOP_INT_XOR, RULE_TYPED, 1, MANY, AW_EXP_INT, AW_EXP_INT, AW_EXP_INT, "int_xor"},
    {AW_EXPOP_INT_NOT, RULE_TYPED, 1, 1, AW_EXP_INT, AW_EXP_INT, AW_EXP_INT, "int_not"},
    {AW_EXPOP_INT_LSHIFT, RULE_TYPED, 2, 2, AW_EXP_INT, AW_EXP_INT, AW_EXP_INT, "int_lshift"},
    {AW_EXPOP_INT_RSHIFT, RULE_TYPED, 2, 2, AW_EXP_INT, AW_EXP_INT, AW_EXP_INT, "int_rshift"},
    {AW_EXPOP_INT_ARSHIFT, RULE_TYPED, 2, 2, AW_EXP_INT, AW_EXP_INT, AW_EXP_INT, "int_arshift"},
    {AW_EXPOP_INT_COUNT, RULE_TYPED, 1, 1, AW_EXP_INT, AW_EXP_INT, AW_EXP_INT, "int_count"},
    {AW_EXPOP_INT_LSCAN, RULE_TYPED, 2, 2, AW_EXP_INT, AW_EXP_BOOL, AW_EXP_INT, "int_lscan"},
    {AW_EXPOP_INT_RSCAN, RULE_TYPED, 2, 2, AW_EXP_INT, AW_EXP_BOOL, AW_EXP_INT, "int_rscan"},
    {AW_EXPOP_MIN, RULE_SAME_NUM, 1, MANY, ANY, ANY, ANY, "min"},
    {AW_EXPOP_MAX, RULE_SAME_NUM, 1, MANY, ANY, ANY, ANY, "max"},
    {AW_EXPOP_DIGEST_MODULO, RULE_SPECIAL, 0, 0, ANY, ANY, AW_EXP_INT, "digest_modulo"},
    {AW_EXPOP_DEVICE_SIZE, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_INT, "device_size"},
    {AW_EXPOP_LAST_UPDATE, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_INT, "last_update"},
    {AW_EXPOP_SINCE_UPDATE, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_INT, "since_update"},
    {AW_EXPOP_VOID_TIME, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_INT, "void_time"},
    {AW_EXPOP_TTL, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_INT, "ttl"},
    {AW_EXPOP_SET_NAME, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_STR, "set_name"},
    {AW_EXPOP_KEY_EXISTS, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_BOOL, "key_exists"},
    {AW_EXPOP_IS_TOMBSTONE, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_BOOL, "is_tombstone"},
    {AW_EXPOP_MEMORY_SIZE, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_INT, "memory_size"},
    {AW_EXPOP_RECORD_SIZE, RULE_TYPED, 0, 0, ANY, ANY, AW_EXP_INT, "record_size"},
    {AW_EXPOP_KEY, RULE_SPECIAL, 0, 0, ANY, ANY, ANY, "key"},
    {AW_EXPOP_BIN, RULE_SPECIAL, 0, 0, ANY, ANY, ANY, "bin"},
    {AW_EXPOP_BIN_TYPE, RULE_SPECIAL, 0, 0, ANY, ANY, AW_EXP_INT, "bin_type"},
    {AW_EXPOP_MAP_KEYS, RULE_TYPED, 1, 1, AW_EXP_MAP, AW_EXP_MAP, AW_EXP_LIST, "map_keys"},
    {AW_EXPOP_MAP_VALUES, RULE_TYPED, 1, 1, AW_EXP_MAP, AW_EXP_MAP, AW_EXP_LIST, "map_values"},
    {AW_EXPOP_COND, RULE_SPECIAL, 3, MANY, ANY, ANY, ANY, "cond"},
    {AW_EXPOP_VAR, RULE_SPECIAL, 0, 0, ANY, ANY, ANY, "var"},
    {AW_EXPOP_LET, RULE_SPECIAL, 1, MANY, ANY, ANY, ANY, "let"},
    {AW_EXPOP_QUOTE, RULE_SPECIAL, 0, 0, ANY, ANY, AW_EXP_LIST, "quote"},
    {AW_EXPOP_RESULT_REMOVE, RULE_TYPED, 0, 0, ANY, ANY, ANY, "remove_result"},
    {AW_EXPOP_VAR_BUILTIN, RULE_SPECIAL, 0, 0, ANY, ANY, ANY, "loopvar"},
    {AW_EXPOP_CALL, RULE_SPECIAL, 0, 0, ANY, ANY, ANY, "call"},
};

const exp_op_info *aw_exp_op_info(unsigned code) {
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (OPS[i].code == code)
            return &OPS[i];
    return NULL;
}

const char *aw_exp_type_name(unsigned type) {
    static const char *const NAMES[] = {"nil",  "bool",  "int", "str", "list",
                                        "map",  "blob",  "float", "geo", "hll"};
    if (type < sizeof NAMES / sizeof NAMES[0])
        return NAMES[type];
    return type == AW_EXP_ANY ? "any" : "?";
}
