/*
 * aerowire/exp.h — filter expressions: a typed builder and the compiled,
 * immutable aw_exp that commands carry (policy->filter).
 *
 * Build a tree of nodes in an aw_exp_builder, then compile its root:
 *
 *     aw_exp_builder *b = aw_exp_builder_new();
 *     aw_exp_node *e = aw_exp_and(b,
 *         aw_exp_gt(b, aw_exp_bin_int(b, "a"), aw_exp_int(b, 5)),
 *         aw_exp_lt(b, aw_exp_since_update(b), aw_exp_int(b, 3600000)));
 *     aw_exp *filter;
 *     int rc = aw_exp_compile(b, e, &filter, &err);
 *     aw_exp_builder_free(b);          // the aw_exp does not need it
 *     ... policy.filter = filter; aw_get(...); ...
 *     aw_exp_free(filter);
 *
 * Nodes belong to their builder (freed with it) and copy every string and
 * value they are given. A constructor that is handed a bad argument (NULL
 * name, name over 15 bytes, a NULL child) returns NULL and the builder keeps
 * the first such error; compiling then fails with it. Nothing is refused
 * silently: aw_exp_compile type-checks the whole tree as the server does
 * (argument counts and types, bound variables) and fails with AW_ERR_PARAM
 * and a message naming the node and its place in the tree ("and.2.eq: ...").
 *
 * An aw_exp is read-only after compiling: any number of commands on any
 * number of threads may use one at the same time. Free it when none does.
 * Its bytes are the msgpack expression the server reads (wire-protocol.md
 * §5.4), identical to what the official clients send for the same tree.
 *
 * List, map, bit and HLL expressions (the server's CALL) are in exp_cdt.h,
 * which this header includes; aw_op_exp_read / aw_op_exp_write put an
 * expression into an operate.
 *
 * The variadic macros (aw_exp_and, aw_exp_add, aw_exp_cond, aw_exp_let, ...)
 * are C99 compound-literal wrappers over the *_n functions; from C++ call
 * the *_n functions directly.
 */
#ifndef AEROWIRE_EXP_H
#define AEROWIRE_EXP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "ops.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Expression value types, as the server numbers them. */
typedef enum aw_exp_type {
    AW_EXP_NIL = 0,
    AW_EXP_BOOL = 1,
    AW_EXP_INT = 2,
    AW_EXP_STR = 3,
    AW_EXP_LIST = 4,
    AW_EXP_MAP = 5,
    AW_EXP_BLOB = 6,
    AW_EXP_FLOAT = 7,
    AW_EXP_GEO = 8,
    AW_EXP_HLL = 9,
    /* Not known on the client (aw_exp_unknown(), or an expression read back
     * from base64 whose result the client does not derive); never sent. */
    AW_EXP_ANY = 0x7f,
} aw_exp_type;

/* The server refuses an expression whose compiled form reaches 1 MiB. */
#define AW_EXP_MAX_SIZE (1u << 20)

typedef struct aw_exp aw_exp;
typedef struct aw_exp_builder aw_exp_builder;
typedef struct aw_exp_node aw_exp_node;

/* --- Builder and compiled expression -------------------------------------- */

/* NULL only when out of memory (every constructor then returns NULL). */
AW_API aw_exp_builder *aw_exp_builder_new(void);
/* Frees the builder and all its nodes. NULL is harmless. */
AW_API void aw_exp_builder_free(aw_exp_builder *b);

/* Type-checks the tree under root and writes its bytes into a new aw_exp.
 * AW_ERR_PARAM naming the node for an ill-typed or incomplete tree (or the
 * first constructor error the builder kept), AW_ERR_NOMEM. The builder can
 * go on building and compiling. *out is set only on success. */
AW_API int aw_exp_compile(aw_exp_builder *b, const aw_exp_node *root, aw_exp **out,
                          aw_error *err);
AW_API void aw_exp_free(aw_exp *exp);

/* The msgpack bytes (valid as long as exp) and their count. */
AW_API const uint8_t *aw_exp_bytes(const aw_exp *exp, size_t *len);
/* The result type (AW_EXP_ANY when the client cannot tell). */
AW_API aw_exp_type aw_exp_result_type(const aw_exp *exp);

/* The official clients' text form (standard base64 of the bytes, padded),
 * allocated: release with aw_free. */
AW_API int aw_exp_to_base64(const aw_exp *exp, char **out, aw_error *err);
/* Reads that form back. Refuses (AW_ERR_PARAM, saying why) text that is not
 * standard base64, and bytes that are not exactly one msgpack value or
 * whose outermost call has an op code the server does not know. Only the
 * outermost call's result type is derived (AW_EXP_ANY where it depends on
 * the arguments); the server checks the rest when the expression is used. */
AW_API int aw_exp_from_base64(const char *b64, aw_exp **out, aw_error *err);

/* --- Literals --------------------------------------------------------------- */

AW_API aw_exp_node *aw_exp_int(aw_exp_builder *b, int64_t v);
AW_API aw_exp_node *aw_exp_float(aw_exp_builder *b, double v);
AW_API aw_exp_node *aw_exp_bool(aw_exp_builder *b, bool v);
AW_API aw_exp_node *aw_exp_nil(aw_exp_builder *b);
AW_API aw_exp_node *aw_exp_str(aw_exp_builder *b, const char *s);
AW_API aw_exp_node *aw_exp_strn(aw_exp_builder *b, const char *s, size_t len);
AW_API aw_exp_node *aw_exp_blob(aw_exp_builder *b, const void *p, size_t len);
AW_API aw_exp_node *aw_exp_geo(aw_exp_builder *b, const char *geojson);
/* A list (sent quoted) or map value; copied. Other types go to the matching
 * constructor above. */
AW_API aw_exp_node *aw_exp_value(aw_exp_builder *b, const aw_value *v);
/* "Not known" (op 0): a value that makes the command fail; useful as the
 * default of a cond. Its type matches any other. */
AW_API aw_exp_node *aw_exp_unknown(aw_exp_builder *b);

/* --- Bins and record metadata --------------------------------------------- */

/* The bin's value when it has that type, else "unknown" (filtered out). */
AW_API aw_exp_node *aw_exp_bin(aw_exp_builder *b, aw_exp_type type, const char *name);
#define aw_exp_bin_int(b, name) aw_exp_bin((b), AW_EXP_INT, (name))
#define aw_exp_bin_float(b, name) aw_exp_bin((b), AW_EXP_FLOAT, (name))
#define aw_exp_bin_str(b, name) aw_exp_bin((b), AW_EXP_STR, (name))
#define aw_exp_bin_blob(b, name) aw_exp_bin((b), AW_EXP_BLOB, (name))
#define aw_exp_bin_bool(b, name) aw_exp_bin((b), AW_EXP_BOOL, (name))
#define aw_exp_bin_list(b, name) aw_exp_bin((b), AW_EXP_LIST, (name))
#define aw_exp_bin_map(b, name) aw_exp_bin((b), AW_EXP_MAP, (name))
#define aw_exp_bin_geo(b, name) aw_exp_bin((b), AW_EXP_GEO, (name))
#define aw_exp_bin_hll(b, name) aw_exp_bin((b), AW_EXP_HLL, (name))
/* The bin's particle type (0 when there is no such bin), an int. */
AW_API aw_exp_node *aw_exp_bin_type(aw_exp_builder *b, const char *name);
/* bin_type(name) != 0 */
AW_API aw_exp_node *aw_exp_bin_exists(aw_exp_builder *b, const char *name);
/* The stored user key of that type (AW_EXP_INT, AW_EXP_STR or AW_EXP_BLOB). */
AW_API aw_exp_node *aw_exp_key(aw_exp_builder *b, aw_exp_type type);
AW_API aw_exp_node *aw_exp_key_exists(aw_exp_builder *b);
AW_API aw_exp_node *aw_exp_set_name(aw_exp_builder *b);
AW_API aw_exp_node *aw_exp_record_size(aw_exp_builder *b);
AW_API aw_exp_node *aw_exp_device_size(aw_exp_builder *b);  /* deprecated by the server */
AW_API aw_exp_node *aw_exp_memory_size(aw_exp_builder *b);  /* deprecated by the server */
AW_API aw_exp_node *aw_exp_last_update(aw_exp_builder *b);  /* ns since the epoch */
AW_API aw_exp_node *aw_exp_since_update(aw_exp_builder *b); /* ms */
AW_API aw_exp_node *aw_exp_void_time(aw_exp_builder *b);    /* ns since the epoch, -1 never */
AW_API aw_exp_node *aw_exp_ttl(aw_exp_builder *b);          /* s, -1 never */
AW_API aw_exp_node *aw_exp_is_tombstone(aw_exp_builder *b);
/* (digest bytes 16..19 as a little-endian u32) % mod; mod must not be 0. */
AW_API aw_exp_node *aw_exp_digest_modulo(aw_exp_builder *b, int64_t mod);

/* --- Comparisons and logic -------------------------------------------------- */

AW_API aw_exp_node *aw_exp_eq(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r);
AW_API aw_exp_node *aw_exp_ne(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r);
AW_API aw_exp_node *aw_exp_gt(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r);
AW_API aw_exp_node *aw_exp_ge(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r);
AW_API aw_exp_node *aw_exp_lt(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r);
AW_API aw_exp_node *aw_exp_le(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r);
/* POSIX regex flags for aw_exp_regex (regcomp cflags). */
#define AW_EXP_REGEX_EXTENDED 1
#define AW_EXP_REGEX_ICASE 2
#define AW_EXP_REGEX_NEWLINE 4
AW_API aw_exp_node *aw_exp_regex(aw_exp_builder *b, int flags, const char *regex,
                                 aw_exp_node *str);
/* Point within region or region containing point; both geo. */
AW_API aw_exp_node *aw_exp_geo_compare(aw_exp_builder *b, aw_exp_node *l, aw_exp_node *r);
/* value is an element of list. */
AW_API aw_exp_node *aw_exp_in_list(aw_exp_builder *b, aw_exp_node *value, aw_exp_node *list);
AW_API aw_exp_node *aw_exp_not(aw_exp_builder *b, aw_exp_node *e);
AW_API aw_exp_node *aw_exp_and_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_or_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
/* True when exactly one argument is. */
AW_API aw_exp_node *aw_exp_exclusive_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);

/* --- Arithmetic (all int or all float) ----------------------------------- */

AW_API aw_exp_node *aw_exp_add_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_sub_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_mul_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_div_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_min_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_max_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_pow(aw_exp_builder *b, aw_exp_node *base, aw_exp_node *exponent);
AW_API aw_exp_node *aw_exp_log(aw_exp_builder *b, aw_exp_node *num, aw_exp_node *base);
AW_API aw_exp_node *aw_exp_mod(aw_exp_builder *b, aw_exp_node *num, aw_exp_node *denom);
AW_API aw_exp_node *aw_exp_abs(aw_exp_builder *b, aw_exp_node *e);
AW_API aw_exp_node *aw_exp_floor(aw_exp_builder *b, aw_exp_node *e);
AW_API aw_exp_node *aw_exp_ceil(aw_exp_builder *b, aw_exp_node *e);
AW_API aw_exp_node *aw_exp_to_int(aw_exp_builder *b, aw_exp_node *e);
AW_API aw_exp_node *aw_exp_to_float(aw_exp_builder *b, aw_exp_node *e);

/* --- Integer bits ------------------------------------------------------------ */

AW_API aw_exp_node *aw_exp_int_and_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_int_or_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_int_xor_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_int_not(aw_exp_builder *b, aw_exp_node *e);
AW_API aw_exp_node *aw_exp_int_lshift(aw_exp_builder *b, aw_exp_node *v, aw_exp_node *shift);
AW_API aw_exp_node *aw_exp_int_rshift(aw_exp_builder *b, aw_exp_node *v, aw_exp_node *shift);
AW_API aw_exp_node *aw_exp_int_arshift(aw_exp_builder *b, aw_exp_node *v, aw_exp_node *shift);
AW_API aw_exp_node *aw_exp_int_count(aw_exp_builder *b, aw_exp_node *e);
/* Index of the first (lscan, from the most significant) or last (rscan) bit
 * equal to search (a bool), -1 when none. */
AW_API aw_exp_node *aw_exp_int_lscan(aw_exp_builder *b, aw_exp_node *v, aw_exp_node *search);
AW_API aw_exp_node *aw_exp_int_rscan(aw_exp_builder *b, aw_exp_node *v, aw_exp_node *search);

/* --- Maps ---------------------------------------------------------------------- */

/* The keys / values of a map, as a list. */
AW_API aw_exp_node *aw_exp_map_keys(aw_exp_builder *b, aw_exp_node *map);
AW_API aw_exp_node *aw_exp_map_values(aw_exp_builder *b, aw_exp_node *map);

/* --- Control: cond, let/def/var --------------------------------------------- */

/* cond(c1, v1, c2, v2, ..., default): an odd count >= 3; conditions bool,
 * values all of one type. */
AW_API aw_exp_node *aw_exp_cond_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
/* A variable definition, only valid as a non-last argument of let. Names
 * start with a letter or '_' and hold letters, digits and '_'. */
AW_API aw_exp_node *aw_exp_def(aw_exp_builder *b, const char *name, aw_exp_node *value);
/* let(def1, def2, ..., body): body (the last argument) may read each
 * definition with aw_exp_var; a definition may read the ones before it. */
AW_API aw_exp_node *aw_exp_let_n(aw_exp_builder *b, aw_exp_node *const *args, size_t n);
AW_API aw_exp_node *aw_exp_var(aw_exp_builder *b, const char *name);

/* --- Text syntax ----------------------------------------------------------------- */

/* Parses the text form of an expression (docs/expressions.md "Text syntax"),
 * e.g. `$.a > 5 and last_update() < 1700000000000000000`, into nodes of b.
 * Each construct is one builder call; a bin written $.a gets its type from
 * its context (the other side of a comparison, ...) or from $.a.int().
 * *root is set on success (compile it, or use it in a bigger tree). Text
 * that is not the syntax fails with AW_ERR_PARAM "at COL: ..." (COL the
 * 1-based byte column, e.g. "at 7: expected a value after '>'"); b is left
 * usable. A failed builder's first error is returned as it is. */
AW_API int aw_exp_parse_node(aw_exp_builder *b, const char *text, aw_exp_node **root,
                             aw_error *err);
/* Parses and compiles text: the aw_exp that aw_exp_parse_node then
 * aw_exp_compile would give. *out is set only on success. */
AW_API int aw_exp_parse(const char *text, aw_exp **out, aw_error *err);

/* --- Wire literals for CDT arguments ------------------------------------------ */

/* The msgpack wildcard (matches any value) and infinity (above every value),
 * e.g. as the end of a value range. Their type matches any other. */
AW_API aw_exp_node *aw_exp_wildcard(aw_exp_builder *b);
AW_API aw_exp_node *aw_exp_inf(aw_exp_builder *b);

/* --- Expression ops (operate op types 7 and 8) ------------------------------ */

/* EXP_READ flags. */
enum { AW_EXP_READ_DEFAULT = 0, AW_EXP_READ_EVAL_NO_FAIL = 16 };
/* EXP_MODIFY flags. */
enum {
    AW_EXP_WRITE_DEFAULT = 0,
    AW_EXP_WRITE_CREATE_ONLY = 1,    /* the bin exists: 6 BIN_EXISTS */
    AW_EXP_WRITE_UPDATE_ONLY = 2,    /* the bin is missing: 17 BIN_NOT_FOUND */
    AW_EXP_WRITE_ALLOW_DELETE = 4,   /* a nil result deletes the bin (else 26) */
    AW_EXP_WRITE_POLICY_NO_FAIL = 8, /* the two conflicts above are a silent no-op */
    AW_EXP_WRITE_EVAL_NO_FAIL = 16,  /* an unknown result is no value instead of 26 */
};
/* Evaluates exp and returns its value under `name` (read it with
 * aw_record_get(rec, name) like a bin), or writes it to `bin`. The op
 * references exp (nothing is copied): exp must stay alive until the command
 * has been encoded (for the client: until the call returns). Unknown flag
 * bits are refused by the encoder (AW_ERR_PARAM). */
AW_API aw_op aw_op_exp_read(const char *name, const aw_exp *exp, unsigned flags);
AW_API aw_op aw_op_exp_write(const char *bin, const aw_exp *exp, unsigned flags);

/* --- Paths ----------------------------------------------------------------- */

/* A context item selecting every child the filter passes (a bool
 * expression over aw_exp_loopvar). The item references filter: keep it
 * alive while the item is used. */
AW_API aw_ctx_item aw_ctx_all_children_with_filter(const aw_exp *filter);
/* The AND modifier (item 0x204): narrows the item before it (an index, rank,
 * key, value or map-keys-in item, not an all-children one) to the children
 * the filter also passes. Path ops only; references filter like the above. */
AW_API aw_ctx_item aw_ctx_and_filter(const aw_exp *filter);
/* Modify by path: replaces each element the path selects by the value of
 * mod (an expression over aw_exp_loopvar; aw_exp_remove_result() removes the
 * element). flags: AW_PATH_NO_FAIL. References ctx and mod like the op's
 * other borrowed arguments. */
AW_API aw_op aw_op_modify_by_path(const char *bin, const aw_ctx *ctx, const aw_exp *mod,
                                  unsigned flags);

/* --- Variadic forms ---------------------------------------------------------- */

#define AW_EXP_ARGS_(...)                                                                  \
    ((aw_exp_node *const[]){__VA_ARGS__}),                                                 \
        (sizeof((aw_exp_node *const[]){__VA_ARGS__}) / sizeof(aw_exp_node *))
#define aw_exp_and(b, ...) aw_exp_and_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_or(b, ...) aw_exp_or_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_exclusive(b, ...) aw_exp_exclusive_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_add(b, ...) aw_exp_add_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_sub(b, ...) aw_exp_sub_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_mul(b, ...) aw_exp_mul_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_div(b, ...) aw_exp_div_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_min(b, ...) aw_exp_min_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_max(b, ...) aw_exp_max_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_int_and(b, ...) aw_exp_int_and_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_int_or(b, ...) aw_exp_int_or_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_int_xor(b, ...) aw_exp_int_xor_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_cond(b, ...) aw_exp_cond_n((b), AW_EXP_ARGS_(__VA_ARGS__))
#define aw_exp_let(b, ...) aw_exp_let_n((b), AW_EXP_ARGS_(__VA_ARGS__))

#ifdef __cplusplus
}
#endif

#include "exp_cdt.h"
#endif
