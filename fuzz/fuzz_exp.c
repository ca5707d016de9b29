/*
 * libFuzzer target for filter expressions (aerowire/exp.h), both ways.
 *
 * The first byte picks the mode:
 *  0: the rest as text into aw_exp_from_base64;
 *  1: the rest as bytes, base64-encoded here, into aw_exp_from_base64;
 *  2: the rest drives a small stack machine that calls the builder's
 *     constructors (ill-typed trees and bad arguments on purpose), then
 *     compiles the top of the stack.
 * Properties:
 *  - the decoder refuses with AW_ERR_PARAM and a message, or gives an aw_exp
 *    whose bytes are the decoded ones and re-encode to the same text;
 *  - compiling fails with AW_ERR_PARAM (AW_ERR_BAD_NAME for a bin name)
 *    and a message, leaving *out alone,
 *    or gives bytes that aw_exp_from_base64(aw_exp_to_base64(.)) accepts
 *    with the same bytes and the same result type (or AW_EXP_ANY, which
 *    the decoder answers where the type depends on the arguments);
 *    compiling the same root again gives the same bytes;
 *  - no crash, leak or undefined behaviour (sanitizers).
 * FUZZ_EXP_DEBUG=1 prints each compile's outcome (for triage and for
 * seeing how much of a corpus compiles).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/aerowire.h"
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small numbers most of the time, any 64-bit one sometimes. */
static int64_t num(reader *r) {
    uint8_t b = u8(r);
    return b < 0xf0 ? (int64_t)b - 8 : i64(r);
}

/* A broken property: says which, then aborts (libFuzzer keeps the input). */
#define must(cond) ((cond) ? (void)0 : broken(__LINE__, #cond))
static void broken(int line, const char *what) {
    fprintf(stderr, "fuzz_exp.c:%d: property broken: %s\n", line, what);
    abort();
}

/* ---- the decoder ------------------------------------------------------------ */

static void check_decoded(const char *text) {
    aw_exp *e = (aw_exp *)&e; /* must stay untouched on failure */
    aw_error err;
    memset(&err, 0, sizeof err);
    int rc = aw_exp_from_base64(text, &e, &err);
    if (rc != AW_OK) {
        must(rc == AW_ERR_PARAM || rc == AW_ERR_NOMEM);
        must(err.code == rc && err.message[0] != '\0');
        must(e == (aw_exp *)&e);
        return;
    }
    size_t len;
    const uint8_t *bytes = aw_exp_bytes(e, &len);
    must(bytes != NULL && len > 0);
    char *again = NULL;
    must(aw_exp_to_base64(e, &again, &err) == AW_OK);
    must(strcmp(again, text) == 0);
    aw_free(again);
    aw_exp_free(e);
}

static char *base64(const uint8_t *p, size_t n) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    must(out != NULL);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = abc[v >> 18 & 63];
        *o++ = abc[v >> 12 & 63];
        *o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? abc[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* ---- the builder ------------------------------------------------------------- */

#define STACK 64
#define MAX_OPS 512

typedef struct machine {
    aw_exp_builder *b;
    aw_exp_node *stack[STACK];
    size_t n;
} machine;

static void push(machine *m, aw_exp_node *e) {
    if (m->n < STACK)
        m->stack[m->n++] = e;
}
/* NULL when empty: constructors must take that too. */
static aw_exp_node *pop(machine *m) { return m->n ? m->stack[--m->n] : NULL; }

static const char *const names[] = {"a", "b", "x", "_v", "v1", "", "1bad", "sixteen_chars_xy",
                                    "bad-name"};
#define N_NAMES (sizeof names / sizeof names[0])
static const char *name(reader *r) { return names[u8(r) % N_NAMES]; }

static aw_exp_type exp_type(reader *r) { return (aw_exp_type)(u8(r) % 11); }

/* Pops up to 6 arguments for a variadic constructor. */
static size_t pop_args(machine *m, reader *r, aw_exp_node **args) {
    size_t k = u8(r) % 7;
    for (size_t i = 0; i < k; i++)
        args[i] = pop(m);
    return k;
}

/* A short list or map value from the input (for aw_exp_value). */
static aw_exp_node *value_node(machine *m, reader *r) {
    aw_value items[8];
    size_t k = u8(r) % 5;
    for (size_t i = 0; i < 2 * k && i < 8; i++)
        items[i] = u8(r) & 1 ? aw_value_int(num(r)) : aw_value_str(names[u8(r) % N_NAMES]);
    aw_value v = u8(r) & 1 ? aw_value_list(items, k) : aw_value_map(items, k / 2);
    if (u8(r) == 0)
        v.subtype = u8(r);
    return aw_exp_value(m->b, &v);
}

typedef aw_exp_node *(*unary_fn)(aw_exp_builder *, aw_exp_node *);
typedef aw_exp_node *(*binary_fn)(aw_exp_builder *, aw_exp_node *, aw_exp_node *);
typedef aw_exp_node *(*nary_fn)(aw_exp_builder *, aw_exp_node *const *, size_t);
typedef aw_exp_node *(*meta_fn)(aw_exp_builder *);

static const unary_fn unary[] = {aw_exp_not,      aw_exp_abs,       aw_exp_floor,
                                 aw_exp_ceil,     aw_exp_to_int,    aw_exp_to_float,
                                 aw_exp_int_not,  aw_exp_int_count, aw_exp_map_keys,
                                 aw_exp_map_values};
static const binary_fn binary[] = {
    aw_exp_eq,         aw_exp_ne,          aw_exp_gt,          aw_exp_ge,
    aw_exp_lt,         aw_exp_le,          aw_exp_geo_compare, aw_exp_in_list,
    aw_exp_pow,        aw_exp_log,         aw_exp_mod,         aw_exp_int_lshift,
    aw_exp_int_rshift, aw_exp_int_arshift, aw_exp_int_lscan,   aw_exp_int_rscan};
static const nary_fn nary[] = {aw_exp_and_n,     aw_exp_or_n,     aw_exp_exclusive_n,
                               aw_exp_add_n,     aw_exp_sub_n,    aw_exp_mul_n,
                               aw_exp_div_n,     aw_exp_min_n,    aw_exp_max_n,
                               aw_exp_int_and_n, aw_exp_int_or_n, aw_exp_int_xor_n,
                               aw_exp_cond_n,    aw_exp_let_n};
static const meta_fn meta[] = {aw_exp_nil,          aw_exp_unknown,      aw_exp_key_exists,
                               aw_exp_set_name,     aw_exp_record_size,  aw_exp_device_size,
                               aw_exp_memory_size,  aw_exp_last_update,  aw_exp_since_update,
                               aw_exp_void_time,    aw_exp_ttl,          aw_exp_is_tombstone};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void step(machine *m, reader *r) {
    aw_exp_builder *b = m->b;
    aw_exp_node *args[6];
    uint8_t op = u8(r);
    switch (op % 20) {
    case 0: push(m, aw_exp_int(b, num(r))); break;
    case 1: {
        int64_t bits = i64(r);
        double d;
        memcpy(&d, &bits, sizeof d);
        push(m, aw_exp_float(b, d));
        break;
    }
    case 2: push(m, aw_exp_bool(b, u8(r) & 1)); break;
    case 3: push(m, aw_exp_str(b, name(r))); break;
    case 4: {
        uint8_t bytes[4] = {u8(r), u8(r), u8(r), u8(r)};
        push(m, aw_exp_blob(b, bytes, u8(r) % 5));
        break;
    }
    case 5: push(m, aw_exp_geo(b, u8(r) & 1 ? "{\"type\":\"Point\",\"coordinates\":[0,0]}" : "x"));
        break;
    case 6: push(m, value_node(m, r)); break;
    case 7: push(m, meta[u8(r) % COUNT(meta)](b)); break;
    case 8: push(m, aw_exp_bin(b, exp_type(r), name(r))); break;
    case 9: push(m, u8(r) & 1 ? aw_exp_bin_type(b, name(r)) : aw_exp_bin_exists(b, name(r)));
        break;
    case 10: push(m, aw_exp_key(b, exp_type(r))); break;
    case 11: push(m, aw_exp_digest_modulo(b, num(r))); break;
    case 12: push(m, unary[u8(r) % COUNT(unary)](b, pop(m))); break;
    case 13: {
        aw_exp_node *rhs = pop(m), *lhs = pop(m);
        push(m, binary[u8(r) % COUNT(binary)](b, lhs, rhs));
        break;
    }
    case 14: {
        size_t k = pop_args(m, r, args);
        push(m, nary[u8(r) % COUNT(nary)](b, args, k));
        break;
    }
    case 15: push(m, aw_exp_regex(b, u8(r) % 9, u8(r) & 1 ? "^a.*" : "(", pop(m))); break;
    case 16: push(m, aw_exp_def(b, name(r), pop(m))); break;
    case 17: push(m, aw_exp_var(b, name(r))); break;
    case 18: { /* a let with a definition and a body that reads it */
        const char *v = name(r);
        aw_exp_node *body = pop(m);
        aw_exp_node *def = aw_exp_def(b, v, pop(m));
        aw_exp_node *let_args[2] = {def, u8(r) & 1 ? aw_exp_var(b, v) : body};
        push(m, aw_exp_let_n(b, let_args, 2));
        break;
    }
    default: /* duplicate a node: trees may share subtrees */
        if (m->n)
            push(m, m->stack[m->n - 1 - u8(r) % m->n]);
        break;
    }
}

static void check_built(reader *r) {
    machine m = {aw_exp_builder_new(), {0}, 0};
    must(m.b != NULL);
    for (int i = 0; i < MAX_OPS && r->left; i++)
        step(&m, r);
    aw_exp_node *root = m.n ? m.stack[m.n - 1] : NULL;
    aw_exp *e = (aw_exp *)&e;
    aw_error err;
    memset(&err, 0, sizeof err);
    int rc = aw_exp_compile(m.b, root, &e, &err);
    if (getenv("FUZZ_EXP_DEBUG"))
        fprintf(stderr, "compile: %d %s\n", rc, rc ? err.message : "ok");
    if (rc != AW_OK) {
        /* A bin name the builder refused keeps its own code, as everywhere
         * in the API (AW_ERR_BAD_NAME). */
        must(rc == AW_ERR_PARAM || rc == AW_ERR_BAD_NAME || rc == AW_ERR_NOMEM);
        must(err.code == rc && err.message[0] != '\0');
        must(e == (aw_exp *)&e);
        aw_exp_builder_free(m.b);
        return;
    }
    size_t len, len2, len3;
    const uint8_t *bytes = aw_exp_bytes(e, &len);
    must(bytes != NULL && len > 0 && len < AW_EXP_MAX_SIZE);
    aw_exp *again;
    must(aw_exp_compile(m.b, root, &again, &err) == AW_OK);
    const uint8_t *bytes2 = aw_exp_bytes(again, &len2);
    must(len2 == len && memcmp(bytes, bytes2, len) == 0);
    aw_exp_free(again);
    aw_exp_builder_free(m.b); /* the aw_exp does not need it */

    char *text = NULL;
    must(aw_exp_to_base64(e, &text, &err) == AW_OK);
    aw_exp *back;
    if (aw_exp_from_base64(text, &back, &err) != AW_OK) {
        fprintf(stderr, "decoder refuses compiled %s: %s\n", text, err.message);
        broken(__LINE__, "a compiled expression reads back");
    }
    const uint8_t *bytes3 = aw_exp_bytes(back, &len3);
    must(len3 == len && memcmp(bytes, bytes3, len) == 0);
    aw_exp_type t = aw_exp_result_type(e), t3 = aw_exp_result_type(back);
    must(t3 == t || t3 == AW_EXP_ANY);
    aw_free(text);
    aw_exp_free(back);
    aw_exp_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    reader r = {data + 1, size - 1};
    switch (data[0] % 3) {
    case 0: {
        char *text = malloc(r.left + 1);
        must(text != NULL);
        memcpy(text, r.p, r.left);
        text[r.left] = '\0';
        check_decoded(text);
        free(text);
        break;
    }
    case 1: {
        char *text = base64(r.p, r.left);
        check_decoded(text);
        free(text);
        break;
    }
    default:
        check_built(&r);
        break;
    }
    return 0;
}
