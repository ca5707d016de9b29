/* aw-testd expressions: the built tree shared by exp_build.c (parse and
 * type-check) and the evaluators (exp_eval.c, exp_record.c, exp_call.c). */
#ifndef TD_EXP_INTERNAL_H
#define TD_EXP_INTERNAL_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "exp.h"

/* Wire op codes (exp.c exp_op_code). */
enum {
    X_UNK = 0, X_EQ = 1, X_NE = 2, X_GT = 3, X_GE = 4, X_LT = 5, X_LE = 6,
    X_REGEX = 7, X_GEO = 8, X_IN_LIST = 9,
    X_AND = 16, X_OR = 17, X_NOT = 18, X_EXCLUSIVE = 19,
    X_ADD = 20, X_SUB = 21, X_MUL = 22, X_DIV = 23, X_POW = 24, X_LOG = 25, X_MOD = 26,
    X_ABS = 27, X_FLOOR = 28, X_CEIL = 29, X_TO_INT = 30, X_TO_FLOAT = 31,
    X_INT_AND = 32, X_INT_OR = 33, X_INT_XOR = 34, X_INT_NOT = 35, X_INT_LSHIFT = 36,
    X_INT_RSHIFT = 37, X_INT_ARSHIFT = 38, X_INT_COUNT = 39, X_INT_LSCAN = 40,
    X_INT_RSCAN = 41,
    X_MIN = 50, X_MAX = 51,
    X_DIGEST_MOD = 64, X_DEVICE_SIZE = 65, X_LAST_UPDATE = 66, X_SINCE_UPDATE = 67,
    X_VOID_TIME = 68, X_TTL = 69, X_SET_NAME = 70, X_KEY_EXISTS = 71, X_IS_TOMBSTONE = 72,
    X_MEMORY_SIZE = 73, X_RECORD_SIZE = 74,
    X_KEY = 80, X_BIN = 81, X_BIN_TYPE = 82,
    X_RESULT_REMOVE = 100, X_MAP_KEYS = 101, X_MAP_VALUES = 102,
    X_VAR_BUILTIN = 122, X_COND = 123, X_VAR = 124, X_LET = 125, X_QUOTE = 126, X_CALL = 127,
    X_VALUE = 200, /* a literal (any non-list msgpack, or a quoted list) */
};

/* Result types (exp.c result_type). */
enum {
    XT_NIL = 0, XT_BOOL = 1, XT_INT = 2, XT_STR = 3, XT_LIST = 4, XT_MAP = 5, XT_BLOB = 6,
    XT_FLOAT = 7, XT_GEO = 8, XT_HLL = 9, XT_INPUT_END = 10,
    XT_END = 11, /* no type: a bare ext value (wildcard, infinity) */
    XT_REMOVE = 12, /* result_remove (exp.c TYPE_RESULT_REMOVE): matches no other type */
};

/* CALL systems (exp.c call_system_type). */
#define XCALL_CDT 0
#define XCALL_BITS 1
#define XCALL_HLL 2
#define XCALL_MODIFY_LOCAL 0x40

/* One piece of a CALL's op list: raw msgpack sent as it came, or an
 * expression whose value is packed in its place (parse_op_call). */
typedef struct exp_part {
    const uint8_t *raw;
    uint32_t raw_len;
    struct exp_node *eval; /* NULL for raw bytes */
} exp_part;

typedef struct exp_node {
    uint8_t code;
    uint8_t type;          /* result type (XT_*) */
    bool unk_code;         /* built from op 0 ("unknown"): cond lets it return any type */
    uint32_t n_kids;
    struct exp_node **kids;
    aw_value lit;          /* X_VALUE */
    const uint8_t *raw;    /* X_VALUE list/map: its msgpack */
    uint32_t raw_len;
    int64_t num;           /* digest modulus, bin/key/call result type, var slot,
                              regex length */
    int64_t sys;           /* CALL system, regex flags */
    const uint8_t *name;   /* bin name */
    uint32_t name_len;
    regex_t *re;
    uint32_t n_parts;      /* CALL */
    exp_part *parts;
} exp_node;

struct td_exp {
    exp_node *root;
    uint32_t n_vars;
    uint32_t n_res;
    regex_t **res;         /* compiled regexes, freed by td_exp_free */
};

/* Evaluation state (exp_eval.c). A value with unk set is the server's
 * "unknown"; v is then nil. */
typedef struct exp_val {
    bool unk;
    bool remove; /* result_remove: a modify by path removes the element */
    aw_value v;
} exp_val;

typedef struct exp_rt {
    const td_exp_ctx *ctx;
    aw_arena *arena;
    exp_val *vars;
} exp_rt;

/* Evaluates one node. AW_OK (out may be unknown), 16, or SERVER_FULL. */
int td_exp_eval_node(exp_rt *rt, const exp_node *n, exp_val *out);

/* exp_record.c: the ops that read the record (bins, key, metadata). */
int td_exp_eval_record(exp_rt *rt, const exp_node *n, exp_val *out);

/* exp_call.c: CALL, map_keys / map_values, in_list. */
int td_exp_eval_call(exp_rt *rt, const exp_node *n, exp_val *out);
int td_exp_eval_map_kv(exp_rt *rt, const exp_node *n, exp_val *out);
int td_exp_eval_in_list(exp_rt *rt, const exp_node *n, exp_val *out);

/* The particle type a result type stands for (exp.c
 * result_type_to_particle_type). */
uint8_t td_exp_particle_type(uint8_t type);

#endif
