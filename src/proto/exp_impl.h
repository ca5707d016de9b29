/*
 * Inside the expression builder: the node tree a builder holds, the
 * compiled form, and the op table the checker and the base64 reader share.
 */
#ifndef AW_PROTO_EXP_IMPL_H
#define AW_PROTO_EXP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/exp.h"
#include "arena.h"

/* Op codes (wire-protocol.md §5.4.3). */
enum {
    AW_EXPOP_UNKNOWN = 0,
    AW_EXPOP_EQ = 1, AW_EXPOP_NE = 2, AW_EXPOP_GT = 3, AW_EXPOP_GE = 4, AW_EXPOP_LT = 5,
    AW_EXPOP_LE = 6, AW_EXPOP_REGEX = 7, AW_EXPOP_GEO = 8, AW_EXPOP_IN_LIST = 9,
    AW_EXPOP_AND = 16, AW_EXPOP_OR = 17, AW_EXPOP_NOT = 18, AW_EXPOP_EXCLUSIVE = 19,
    AW_EXPOP_ADD = 20, AW_EXPOP_SUB = 21, AW_EXPOP_MUL = 22, AW_EXPOP_DIV = 23,
    AW_EXPOP_POW = 24, AW_EXPOP_LOG = 25, AW_EXPOP_MOD = 26, AW_EXPOP_ABS = 27,
    AW_EXPOP_FLOOR = 28, AW_EXPOP_CEIL = 29, AW_EXPOP_TO_INT = 30, AW_EXPOP_TO_FLOAT = 31,
    AW_EXPOP_INT_AND = 32, AW_EXPOP_INT_OR = 33, AW_EXPOP_INT_XOR = 34, AW_EXPOP_INT_NOT = 35,
    AW_EXPOP_INT_LSHIFT = 36, AW_EXPOP_INT_RSHIFT = 37, AW_EXPOP_INT_ARSHIFT = 38,
    AW_EXPOP_INT_COUNT = 39, AW_EXPOP_INT_LSCAN = 40, AW_EXPOP_INT_RSCAN = 41,
    AW_EXPOP_MIN = 50, AW_EXPOP_MAX = 51,
    AW_EXPOP_DIGEST_MODULO = 64, AW_EXPOP_DEVICE_SIZE = 65, AW_EXPOP_LAST_UPDATE = 66,
    AW_EXPOP_SINCE_UPDATE = 67, AW_EXPOP_VOID_TIME = 68, AW_EXPOP_TTL = 69,
    AW_EXPOP_SET_NAME = 70, AW_EXPOP_KEY_EXISTS = 71, AW_EXPOP_IS_TOMBSTONE = 72,
    AW_EXPOP_MEMORY_SIZE = 73, AW_EXPOP_RECORD_SIZE = 74,
    AW_EXPOP_KEY = 80, AW_EXPOP_BIN = 81, AW_EXPOP_BIN_TYPE = 82,
    AW_EXPOP_RESULT_REMOVE = 100, AW_EXPOP_MAP_KEYS = 101, AW_EXPOP_MAP_VALUES = 102,
    AW_EXPOP_VAR_BUILTIN = 122, AW_EXPOP_COND = 123, AW_EXPOP_VAR = 124, AW_EXPOP_LET = 125,
    AW_EXPOP_QUOTE = 126, AW_EXPOP_CALL = 127,
};

typedef enum exp_node_kind {
    EXP_CALL,  /* [op, args...]; bin/key/regex/var/let carry extras below */
    EXP_INT,
    EXP_FLOAT,
    EXP_BOOL,
    EXP_NIL,
    EXP_BYTES, /* str/blob/geo literal: particle prefix + bytes */
    EXP_RAW,   /* msgpack written at construction (quoted list, map) */
    EXP_DEF,   /* name + one arg; only inside let */
} exp_node_kind;

struct aw_exp_node {
    uint8_t kind;          /* exp_node_kind */
    uint8_t op;            /* EXP_CALL: op code */
    uint8_t type;          /* literal's type; bin/key: the type asked for */
    uint8_t ptype;         /* EXP_BYTES: particle prefix */
    uint32_t n_args;
    aw_exp_node **args;
    const char *name;      /* bin, var and def names, regex pattern (NUL-terminated copy) */
    uint32_t name_len;
    uint32_t len;          /* EXP_BYTES / EXP_RAW */
    const uint8_t *bytes;
    int64_t i;             /* int literal, regex flags, digest modulus, loop variable id */
    double f;
    /* CALL (op 127): args = the op's arguments then the bin (last); bytes/len =
     * the encoded context that precedes the op array, if any. */
    uint8_t system;        /* 0 CDT, 1 bits, 2 HLL, | AW_EXP_SYS_MODIFY_LOCAL */
    uint8_t ctx_inline;    /* bytes are a bare context list inside the op array (op 0xfe) */
    uint8_t bin_type;      /* the type the bin argument must have (AW_EXP_ANY: list or map) */
    uint16_t cdt_op;       /* the op code inside */
    const uint8_t *want;   /* per op argument: the type it must have, or EXP_WANT_LITERAL */
    const char *label;     /* the builder's name for the node ("list_size") */
    const char *fault;     /* a bad argument found when building, reported by compile */
};

/* CALL system types and the modify-local flag (wire-protocol.md §5.4.4). */
#define AW_EXP_SYS_CDT 0
#define AW_EXP_SYS_BITS 1
#define AW_EXP_SYS_HLL 2
#define AW_EXP_SYS_MODIFY_LOCAL 0x40
/* A CALL argument the builder wrote itself (return type, policy, flags). */
#define EXP_WANT_LITERAL 0xfe

struct aw_exp_builder {
    aw_arena arena;
    bool failed;           /* a constructor refused something; first_error says what */
    aw_error first_error;
};

struct aw_exp {
    size_t len;
    uint8_t type;          /* aw_exp_type */
    uint8_t bytes[];
};

/* How the checker treats a generic call's arguments. */
typedef enum exp_rule {
    RULE_TYPED,    /* arg 0 of type arg0, the rest of type argn (AW_EXP_ANY: any) */
    RULE_SAME_NUM, /* all int or all float; result that type */
    RULE_COMPARE,  /* two of one type, not geo/hll; result bool */
    RULE_SPECIAL,  /* checked by its own code */
} exp_rule;

typedef struct exp_op_info {
    uint8_t code;
    uint8_t rule;       /* exp_rule */
    uint8_t min, max;   /* argument count; max 255 = no limit */
    uint8_t arg0, argn; /* RULE_TYPED argument types */
    uint8_t result;     /* AW_EXP_ANY: depends on the arguments */
    const char *name;
} exp_op_info;

/* The builder-internal constructors the CDT, bit and HLL builders share
 * (exp_build.c). Each returns NULL when b is NULL or has failed. */
aw_exp_node *aw_exp_call_node(aw_exp_builder *b, uint8_t op, aw_exp_node *const *args, size_t n);
/* Records the builder's first error and returns NULL. */
aw_exp_node *aw_exp_refuse(aw_exp_builder *b, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A copy of p in the builder's arena; NULL (error recorded) when out of memory. */
void *aw_exp_keep(aw_exp_builder *b, const void *p, size_t n);

/* NULL for a code the server does not know. */
const exp_op_info *aw_exp_op_info(unsigned code);
const char *aw_exp_type_name(unsigned type);

/* A new compiled expression holding a copy of bytes. NULL when out of memory. */
aw_exp *aw_exp_new(const uint8_t *bytes, size_t len, uint8_t type);

#endif
