/*
 * List and map CDT ops with contexts and policies (docs/cdt.md), checked
 * against official-c-client-cdt.json: every captured operate with a list or
 * map op (with plain, bit and HLL ops beside it, and contexts including the
 * path items all-children and map-keys-in) is rebuilt from its `inputs`
 * through the aw_cdt_* builders and must encode byte for byte as the
 * official C client sent it;
 * its reply must decode to the values the server sent. Plus the encoder's
 * refusals of ill-formed ops.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "proto/buf.h"
#include "proto/msg.h"
#include "proto/msgpack.h"
#include "proto/reply.h"
#include "proto/request.h"
#include "support/capture_bit_hll.h"
#include "support/capture_inputs.h"
#include "support/testutil.h"

#define CDT_CAPTURE "official-c-client-cdt.json"
#define MAX_OPS 12
#define MAX_CTX 4
#define MAX_VALS 64

/* One command's ops, with everything they borrow. */
typedef struct cmd_ops {
    aw_op ops[MAX_OPS];
    size_t n_ops;
    aw_ctx_item items[MAX_OPS][MAX_CTX];
    aw_ctx ctx[MAX_OPS];
    aw_list_policy lpol[MAX_OPS];
    aw_map_policy mpol[MAX_OPS];
    aw_value vals[MAX_VALS]; /* owned */
    size_t n_vals;
    tu_op_storage bit_hll; /* what the bit and HLL ops borrow */
    char why[160]; /* why the command is not rebuilt, when it is not */
} cmd_ops;

static void cmd_ops_free(cmd_ops *c) {
    for (size_t i = 0; i < c->n_vals; i++)
        aw_value_free(&c->vals[i]);
    c->n_vals = 0;
    tu_op_storage_free(&c->bit_hll);
}

/* ---- the captures' value notation (official-c-client-cdt.md) ----------- */

static aw_value decode_value(json_t *j);

static aw_value decode_object(json_t *j) {
    aw_value v = aw_value_nil();
    json_t *x;
    if (json_is_true(json_object_get(j, "wildcard"))) {
        v.subtype = AW_MP_NIL_WILDCARD;
    } else if (json_is_true(json_object_get(j, "inf"))) {
        v.subtype = AW_MP_NIL_INFINITY;
    } else if ((x = json_object_get(j, "double"))) {
        v = aw_value_float(json_number_value(x));
    } else if ((x = json_object_get(j, "bytes"))) {
        size_t n;
        uint8_t *b = tu_hex_decode(json_string_value(x), &n);
        assert_int_equal(aw_value_blob_dup(&v, b, n), AW_OK);
        free(b);
        json_t *t = json_object_get(j, "bytes_type");
        if (t)
            v.subtype = (uint8_t)json_integer_value(t);
    } else if ((x = json_object_get(j, "list"))) {
        v = decode_value(x); /* the C packer writes no ext for list flags */
    } else if ((x = json_object_get(j, "map"))) {
        assert_int_equal(aw_value_map_alloc(&v, json_array_size(x)), AW_OK);
        for (size_t i = 0; i < json_array_size(x); i++) {
            json_t *kv = json_array_get(x, i);
            v.u.items[2 * i] = decode_value(json_array_get(kv, 0));
            v.u.items[2 * i + 1] = decode_value(json_array_get(kv, 1));
        }
        v.subtype = (uint8_t)json_integer_value(json_object_get(j, "flags"));
    } else {
        fail_msg("unknown value notation");
    }
    return v;
}

/* Owned value (aw_value_free). */
static aw_value decode_value(json_t *j) {
    aw_value v = aw_value_nil();
    if (json_is_integer(j))
        return aw_value_int(json_integer_value(j));
    if (json_is_boolean(j))
        return aw_value_bool(json_is_true(j));
    if (json_is_string(j)) {
        assert_int_equal(aw_value_str_dup(&v, json_string_value(j), strlen(json_string_value(j))),
                         AW_OK);
        return v;
    }
    if (json_is_array(j)) {
        assert_int_equal(aw_value_list_alloc(&v, json_array_size(j)), AW_OK);
        for (size_t i = 0; i < json_array_size(j); i++)
            v.u.items[i] = decode_value(json_array_get(j, i));
        return v;
    }
    if (json_is_object(j))
        return decode_object(j);
    return v; /* null */
}

/* A value of the op's inputs, kept alive in c. */
static aw_value val(cmd_ops *c, json_t *o, const char *name) {
    assert_true(c->n_vals < MAX_VALS);
    c->vals[c->n_vals] = decode_value(json_object_get(o, name));
    return c->vals[c->n_vals++];
}
/* NULL when the input was null (a NULL C argument). */
static const aw_value *opt_val(cmd_ops *c, json_t *o, const char *name) {
    if (json_is_null(json_object_get(o, name)))
        return NULL;
    val(c, o, name);
    return &c->vals[c->n_vals - 1];
}
static int64_t num(json_t *o, const char *name) {
    json_t *x = json_object_get(o, name);
    if (!json_is_integer(x))
        fail_msg("op input %s is not an integer", name);
    return json_integer_value(x);
}
static uint32_t rt_of(json_t *o) { return (uint32_t)num(o, "return_type_value"); }

/* The path: through the aw_ctx_* constructors where the inputs name one, so
 * they are checked against the ids the official client sent. */
static const aw_ctx *ctx_of(cmd_ops *c, size_t k, json_t *o) {
    json_t *jc = json_object_get(o, "ctx");
    if (!jc)
        return NULL;
    assert_true(json_array_size(jc) <= MAX_CTX);
    for (size_t i = 0; i < json_array_size(jc); i++) {
        json_t *it = json_array_get(jc, i);
        const char *type = json_string_value(json_object_get(it, "type"));
        aw_ctx_item *out = &c->items[k][i];
        const char *order = json_string_value(json_object_get(it, "order"));
        if (strcmp(type, "list_index") == 0) {
            *out = aw_ctx_list_index(num(it, "value"));
        } else if (strcmp(type, "list_rank") == 0) {
            *out = aw_ctx_list_rank(num(it, "value"));
        } else if (strcmp(type, "list_value") == 0) {
            *out = aw_ctx_list_value(val(c, it, "value"));
        } else if (strcmp(type, "map_index") == 0) {
            *out = aw_ctx_map_index(num(it, "value"));
        } else if (strcmp(type, "map_rank") == 0) {
            *out = aw_ctx_map_rank(num(it, "value"));
        } else if (strcmp(type, "map_key") == 0) {
            *out = aw_ctx_map_key(val(c, it, "value"));
        } else if (strcmp(type, "map_value") == 0) {
            *out = aw_ctx_map_value(val(c, it, "value"));
        } else if (strcmp(type, "list_index_create") == 0) {
            aw_list_order lo = strcmp(order, "ORDERED") == 0 ? AW_LIST_ORDERED : AW_LIST_UNORDERED;
            *out = aw_ctx_list_index_create(num(it, "value"), lo,
                                            json_is_true(json_object_get(it, "pad")));
        } else if (strcmp(type, "map_key_create") == 0) {
            aw_map_order mo = strcmp(order, "KEY_ORDERED") == 0         ? AW_MAP_KEY_ORDERED
                              : strcmp(order, "KEY_VALUE_ORDERED") == 0 ? AW_MAP_KEY_VALUE_ORDERED
                                                                        : AW_MAP_UNORDERED;
            *out = aw_ctx_map_key_create(val(c, it, "value"), mo);
        } else if (strcmp(type, "map_keys_in") == 0) {
            *out = aw_ctx_map_keys_in(val(c, it, "value"));
        } else if (strcmp(type, "exp") == 0 &&
                   strcmp(json_string_value(json_object_get(json_object_get(it, "value"),
                                                            "exp_hex")),
                          "c3") == 0) {
            *out = aw_ctx_all_children(); /* the expression `true` */
        } else {
            snprintf(c->why, sizeof c->why, "context item %s (0x%x) is not supported", type,
                     (unsigned)num(it, "id"));
            return NULL;
        }
        assert_int_equal(out->id, num(it, "id"));
    }
    c->ctx[k].items = c->items[k];
    c->ctx[k].n = (uint32_t)json_array_size(jc);
    return &c->ctx[k];
}

static const aw_list_policy *lpol_of(cmd_ops *c, size_t k, json_t *o) {
    json_t *p = json_object_get(o, "policy");
    if (!p)
        return NULL;
    c->lpol[k].order = (uint8_t)num(p, "order_value");
    c->lpol[k].flags = (uint8_t)num(p, "flags_value");
    return &c->lpol[k];
}

static const aw_map_policy *mpol_of(cmd_ops *c, size_t k, json_t *o) {
    json_t *p = json_object_get(o, "policy");
    if (!p)
        return NULL;
    int64_t cmd = num(p, "item_command");
    c->mpol[k].order = (uint8_t)num(p, "attributes");
    c->mpol[k].flags = (uint8_t)num(p, "flags");
    c->mpol[k].mode = cmd == AW_MAP_ADD       ? AW_MAP_MODE_CREATE_ONLY
                      : cmd == AW_MAP_REPLACE ? AW_MAP_MODE_UPDATE_ONLY
                                              : AW_MAP_MODE_PUT;
    return &c->mpol[k];
}

/* ---- one op from its inputs -------------------------------------------- */

#define IS(s) (strcmp(name, (s)) == 0)

static bool list_op(cmd_ops *c, size_t k, json_t *o, const char *name, const char *bin,
                    const aw_ctx *ctx, aw_op *op) {
    if (IS("list_append")) *op = aw_cdt_list_append(bin, ctx, lpol_of(c, k, o), val(c, o, "value"));
    else if (IS("list_append_items")) *op = aw_cdt_list_append_items(bin, ctx, lpol_of(c, k, o), val(c, o, "items"));
    else if (IS("list_insert")) *op = aw_cdt_list_insert(bin, ctx, lpol_of(c, k, o), num(o, "index"), val(c, o, "value"));
    else if (IS("list_insert_items")) *op = aw_cdt_list_insert_items(bin, ctx, lpol_of(c, k, o), num(o, "index"), val(c, o, "items"));
    else if (IS("list_set")) *op = aw_cdt_list_set(bin, ctx, lpol_of(c, k, o), num(o, "index"), val(c, o, "value"));
    else if (IS("list_increment")) *op = aw_cdt_list_increment(bin, ctx, lpol_of(c, k, o), num(o, "index"), val(c, o, "value"));
    else if (IS("list_pop")) *op = aw_cdt_list_pop(bin, ctx, num(o, "index"));
    else if (IS("list_pop_range")) *op = aw_cdt_list_pop_range(bin, ctx, num(o, "index"), (uint64_t)num(o, "count"));
    else if (IS("list_pop_range_from")) *op = aw_cdt_list_pop_range_from(bin, ctx, num(o, "index"));
    else if (IS("list_remove")) *op = aw_cdt_list_remove(bin, ctx, num(o, "index"));
    else if (IS("list_remove_range")) *op = aw_cdt_list_remove_range(bin, ctx, num(o, "index"), (uint64_t)num(o, "count"));
    else if (IS("list_remove_range_from")) *op = aw_cdt_list_remove_range_from(bin, ctx, num(o, "index"));
    else if (IS("list_trim")) *op = aw_cdt_list_trim(bin, ctx, num(o, "index"), (uint64_t)num(o, "count"));
    else if (IS("list_clear")) *op = aw_cdt_list_clear(bin, ctx);
    else if (IS("list_sort")) *op = aw_cdt_list_sort(bin, ctx, (unsigned)num(o, "sort_flags"));
    else if (IS("list_set_order")) *op = aw_cdt_list_set_order(bin, ctx, (aw_list_order)num(o, "order"));
    else if (IS("list_create")) *op = aw_cdt_list_create(bin, ctx, (aw_list_order)num(o, "order"), json_is_true(json_object_get(o, "pad")));
    else if (IS("list_create_all")) *op = aw_cdt_list_create_all(bin, ctx, (aw_list_order)num(o, "order"), json_is_true(json_object_get(o, "pad")), json_is_true(json_object_get(o, "persist_index")));
    else if (IS("list_size")) *op = aw_cdt_list_size(bin, ctx);
    else if (IS("list_get")) *op = aw_cdt_list_get(bin, ctx, num(o, "index"));
    else if (IS("list_get_range")) *op = aw_cdt_list_get_range(bin, ctx, num(o, "index"), (uint64_t)num(o, "count"));
    else if (IS("list_get_range_from")) *op = aw_cdt_list_get_range_from(bin, ctx, num(o, "index"));
    else if (IS("list_get_by_index")) *op = aw_cdt_list_get_by_index(bin, ctx, num(o, "index"), rt_of(o));
    else if (IS("list_get_by_index_range")) *op = aw_cdt_list_get_by_index_range(bin, ctx, num(o, "index"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("list_get_by_index_range_to_end")) *op = aw_cdt_list_get_by_index_range_to_end(bin, ctx, num(o, "index"), rt_of(o));
    else if (IS("list_get_by_rank")) *op = aw_cdt_list_get_by_rank(bin, ctx, num(o, "rank"), rt_of(o));
    else if (IS("list_get_by_rank_range")) *op = aw_cdt_list_get_by_rank_range(bin, ctx, num(o, "rank"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("list_get_by_rank_range_to_end")) *op = aw_cdt_list_get_by_rank_range_to_end(bin, ctx, num(o, "rank"), rt_of(o));
    else if (IS("list_get_by_value")) *op = aw_cdt_list_get_by_value(bin, ctx, val(c, o, "value"), rt_of(o));
    else if (IS("list_get_by_value_list")) *op = aw_cdt_list_get_by_value_list(bin, ctx, val(c, o, "values"), rt_of(o));
    else if (IS("list_get_by_value_range")) { const aw_value *b = opt_val(c, o, "begin"), *e = opt_val(c, o, "end"); *op = aw_cdt_list_get_by_value_range(bin, ctx, b, e, rt_of(o)); }
    else if (IS("list_get_by_value_rel_rank_range")) *op = aw_cdt_list_get_by_value_rel_rank_range(bin, ctx, val(c, o, "value"), num(o, "rank"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("list_get_by_value_rel_rank_range_to_end")) *op = aw_cdt_list_get_by_value_rel_rank_range_to_end(bin, ctx, val(c, o, "value"), num(o, "rank"), rt_of(o));
    else if (IS("list_remove_by_index")) *op = aw_cdt_list_remove_by_index(bin, ctx, num(o, "index"), rt_of(o));
    else if (IS("list_remove_by_index_range")) *op = aw_cdt_list_remove_by_index_range(bin, ctx, num(o, "index"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("list_remove_by_index_range_to_end")) *op = aw_cdt_list_remove_by_index_range_to_end(bin, ctx, num(o, "index"), rt_of(o));
    else if (IS("list_remove_by_rank")) *op = aw_cdt_list_remove_by_rank(bin, ctx, num(o, "rank"), rt_of(o));
    else if (IS("list_remove_by_rank_range")) *op = aw_cdt_list_remove_by_rank_range(bin, ctx, num(o, "rank"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("list_remove_by_rank_range_to_end")) *op = aw_cdt_list_remove_by_rank_range_to_end(bin, ctx, num(o, "rank"), rt_of(o));
    else if (IS("list_remove_by_value")) *op = aw_cdt_list_remove_by_value(bin, ctx, val(c, o, "value"), rt_of(o));
    else if (IS("list_remove_by_value_list")) *op = aw_cdt_list_remove_by_value_list(bin, ctx, val(c, o, "values"), rt_of(o));
    else if (IS("list_remove_by_value_range")) { const aw_value *b = opt_val(c, o, "begin"), *e = opt_val(c, o, "end"); *op = aw_cdt_list_remove_by_value_range(bin, ctx, b, e, rt_of(o)); }
    else if (IS("list_remove_by_value_rel_rank_range")) *op = aw_cdt_list_remove_by_value_rel_rank_range(bin, ctx, val(c, o, "value"), num(o, "rank"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("list_remove_by_value_rel_rank_range_to_end")) *op = aw_cdt_list_remove_by_value_rel_rank_range_to_end(bin, ctx, val(c, o, "value"), num(o, "rank"), rt_of(o));
    else return false;
    return true;
}

static bool map_op(cmd_ops *c, size_t k, json_t *o, const char *name, const char *bin,
                   const aw_ctx *ctx, aw_op *op) {
    if (IS("map_put")) *op = aw_cdt_map_put(bin, ctx, mpol_of(c, k, o), val(c, o, "key"), val(c, o, "value"));
    else if (IS("map_put_items")) *op = aw_cdt_map_put_items(bin, ctx, mpol_of(c, k, o), val(c, o, "items"));
    else if (IS("map_increment")) *op = aw_cdt_map_increment(bin, ctx, mpol_of(c, k, o), val(c, o, "key"), val(c, o, "value"));
    else if (IS("map_decrement")) *op = aw_cdt_map_decrement(bin, ctx, mpol_of(c, k, o), val(c, o, "key"), val(c, o, "value"));
    else if (IS("map_clear")) *op = aw_cdt_map_clear(bin, ctx);
    else if (IS("map_set_policy")) *op = aw_cdt_map_set_policy(bin, ctx, mpol_of(c, k, o));
    else if (IS("map_create")) *op = aw_cdt_map_create(bin, ctx, (aw_map_order)num(o, "order"));
    else if (IS("map_create_all")) *op = aw_cdt_map_create_all(bin, ctx, (aw_map_order)num(o, "order"), json_is_true(json_object_get(o, "persist_index")));
    else if (IS("map_size")) *op = aw_cdt_map_size(bin, ctx);
    else if (IS("map_get_by_key")) *op = aw_cdt_map_get_by_key(bin, ctx, val(c, o, "key"), rt_of(o));
    else if (IS("map_get_by_key_list")) *op = aw_cdt_map_get_by_key_list(bin, ctx, val(c, o, "keys"), rt_of(o));
    else if (IS("map_get_by_key_range")) { const aw_value *b = opt_val(c, o, "begin"), *e = opt_val(c, o, "end"); *op = aw_cdt_map_get_by_key_range(bin, ctx, b, e, rt_of(o)); }
    else if (IS("map_get_by_key_rel_index_range")) *op = aw_cdt_map_get_by_key_rel_index_range(bin, ctx, val(c, o, "key"), num(o, "index"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("map_get_by_key_rel_index_range_to_end")) *op = aw_cdt_map_get_by_key_rel_index_range_to_end(bin, ctx, val(c, o, "key"), num(o, "index"), rt_of(o));
    else if (IS("map_get_by_value")) *op = aw_cdt_map_get_by_value(bin, ctx, val(c, o, "value"), rt_of(o));
    else if (IS("map_get_by_value_list")) *op = aw_cdt_map_get_by_value_list(bin, ctx, val(c, o, "values"), rt_of(o));
    else if (IS("map_get_by_value_range")) { const aw_value *b = opt_val(c, o, "begin"), *e = opt_val(c, o, "end"); *op = aw_cdt_map_get_by_value_range(bin, ctx, b, e, rt_of(o)); }
    else if (IS("map_get_by_value_rel_rank_range")) *op = aw_cdt_map_get_by_value_rel_rank_range(bin, ctx, val(c, o, "value"), num(o, "rank"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("map_get_by_value_rel_rank_range_to_end")) *op = aw_cdt_map_get_by_value_rel_rank_range_to_end(bin, ctx, val(c, o, "value"), num(o, "rank"), rt_of(o));
    else if (IS("map_get_by_index")) *op = aw_cdt_map_get_by_index(bin, ctx, num(o, "index"), rt_of(o));
    else if (IS("map_get_by_index_range")) *op = aw_cdt_map_get_by_index_range(bin, ctx, num(o, "index"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("map_get_by_index_range_to_end")) *op = aw_cdt_map_get_by_index_range_to_end(bin, ctx, num(o, "index"), rt_of(o));
    else if (IS("map_get_by_rank")) *op = aw_cdt_map_get_by_rank(bin, ctx, num(o, "rank"), rt_of(o));
    else if (IS("map_get_by_rank_range")) *op = aw_cdt_map_get_by_rank_range(bin, ctx, num(o, "rank"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("map_get_by_rank_range_to_end")) *op = aw_cdt_map_get_by_rank_range_to_end(bin, ctx, num(o, "rank"), rt_of(o));
    else if (IS("map_remove_by_key")) *op = aw_cdt_map_remove_by_key(bin, ctx, val(c, o, "key"), rt_of(o));
    else if (IS("map_remove_by_key_list")) *op = aw_cdt_map_remove_by_key_list(bin, ctx, val(c, o, "keys"), rt_of(o));
    else if (IS("map_remove_by_key_range")) { const aw_value *b = opt_val(c, o, "begin"), *e = opt_val(c, o, "end"); *op = aw_cdt_map_remove_by_key_range(bin, ctx, b, e, rt_of(o)); }
    else if (IS("map_remove_by_key_rel_index_range")) *op = aw_cdt_map_remove_by_key_rel_index_range(bin, ctx, val(c, o, "key"), num(o, "index"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("map_remove_by_value")) *op = aw_cdt_map_remove_by_value(bin, ctx, val(c, o, "value"), rt_of(o));
    else if (IS("map_remove_by_value_list")) *op = aw_cdt_map_remove_by_value_list(bin, ctx, val(c, o, "values"), rt_of(o));
    else if (IS("map_remove_by_value_range")) { const aw_value *b = opt_val(c, o, "begin"), *e = opt_val(c, o, "end"); *op = aw_cdt_map_remove_by_value_range(bin, ctx, b, e, rt_of(o)); }
    else if (IS("map_remove_by_value_rel_rank_range")) *op = aw_cdt_map_remove_by_value_rel_rank_range(bin, ctx, val(c, o, "value"), num(o, "rank"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("map_remove_by_index")) *op = aw_cdt_map_remove_by_index(bin, ctx, num(o, "index"), rt_of(o));
    else if (IS("map_remove_by_index_range")) *op = aw_cdt_map_remove_by_index_range(bin, ctx, num(o, "index"), (uint64_t)num(o, "count"), rt_of(o));
    else if (IS("map_remove_by_rank")) *op = aw_cdt_map_remove_by_rank(bin, ctx, num(o, "rank"), rt_of(o));
    else if (IS("map_remove_by_rank_range_to_end")) *op = aw_cdt_map_remove_by_rank_range_to_end(bin, ctx, num(o, "rank"), rt_of(o));
    else return false;
    return true;
}

/* Builds the ops of a captured operate; false (with c->why) when one of
 * them is not a list, map or plain op this suite covers. */
static bool build_ops(json_t *in, cmd_ops *c) {
    json_t *jops = json_object_get(in, "ops");
    size_t k;
    json_t *o;
    json_array_foreach(jops, k, o) {
        assert_true(k < MAX_OPS);
        const char *name = json_string_value(json_object_get(o, "op"));
        const char *bin = json_string_value(json_object_get(o, "bin"));
        aw_op *op = &c->ops[k];
        c->n_ops = k + 1;
        if (IS("add_read")) {
            *op = aw_op_read(bin);
            continue;
        }
        if (IS("add_write")) {
            *op = aw_op_write(bin, val(c, o, "value"));
            continue;
        }
        if (IS("add_read_all")) {
            *op = aw_op_read(NULL);
            continue;
        }
        if (tu_bit_op_from(o, name, bin, &c->bit_hll, op) ||
            tu_hll_op_from(o, name, bin, &c->bit_hll, op))
            continue;
        if (strncmp(name, "list_", 5) != 0 && strncmp(name, "map_", 4) != 0) {
            snprintf(c->why, sizeof c->why, "op %s is not a list, map, bit or HLL op", name);
            return false;
        }
        const aw_ctx *ctx = ctx_of(c, k, o);
        if (c->why[0])
            return false;
        if (!list_op(c, k, o, name, bin, ctx, op) && !map_op(c, k, o, name, bin, ctx, op)) {
            snprintf(c->why, sizeof c->why, "op %s has no builder", name);
            return false;
        }
    }
    return true;
}

/* ---- replies: decoded values re-encode to the server's bytes ----------- */

static void check_reply(const char *label, json_t *cmd) {
    size_t len;
    uint8_t *frame = tu_hex_decode(json_string_value(json_array_get(json_object_get(cmd, "reply_hex"), 0)), &len);
    assert_true(len > 8);
    const uint8_t *body = frame + 8;
    size_t body_len = len - 8;
    int result = -1;
    aw_record rec;
    aw_error err;
    if (aw_reply_parse_record(body, body_len, NULL, &result, &rec, &err) != AW_OK)
        fail_msg("%s: reply does not decode: %s", label, err.message);
    assert_int_equal(result, json_integer_value(json_object_get(cmd, "client_status")));
    if (result != 0) {
        free(frame);
        return;
    }
    aw_msg_view m;
    size_t used;
    assert_int_equal(aw_msg_parse(body, body_len, &m, &used, NULL), AW_OK);
    assert_int_equal(rec.n_bins, m.h.n_ops);
    aw_msg_iter it = aw_msg_ops(&m);
    aw_op_view ov;
    for (size_t i = 0; aw_msg_next_op(&it, &ov); i++) {
        const aw_value *v = &rec.bins[i].value;
        assert_int_equal(strlen(rec.bins[i].name), ov.name_len);
        assert_memory_equal(rec.bins[i].name, ov.name, ov.name_len);
        if (ov.particle == AW_LIST || ov.particle == AW_MAP) {
            /* lists, maps (with their ext: ordered, KEY_VALUE 0x08) in the server's order */
            aw_buf b;
            aw_buf_init(&b);
            assert_int_equal(v->type, ov.particle);
            assert_int_equal(aw_msgpack_write(&b, v, NULL), AW_OK);
            if (b.len != ov.value_len || memcmp(b.data, ov.value, b.len) != 0)
                fail_msg("%s: result %zu decodes to a value that is not what the server sent",
                         label, i);
            aw_buf_free(&b);
        } else if (ov.particle == AW_INT) {
            assert_int_equal(v->type, AW_INT);
            assert_int_equal((uint64_t)v->u.i, aw_load_u64be(ov.value));
        } else if (ov.particle == AW_BOOL) {
            assert_int_equal(v->type, AW_BOOL);
            assert_int_equal(v->u.b, ov.value[0] != 0);
        } else if (ov.particle == 0) {
            assert_int_equal(v->type, AW_NIL);
        }
    }
    aw_record_free(&rec);
    free(frame);
}

/* ---- the golden test --------------------------------------------------- */

static void test_capture_requests_reencode(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture(CDT_CAPTURE), "commands");
    size_t i, listmap = 0, rebuilt = 0;
    json_t *cmd;
    json_array_foreach(cmds, i, cmd) {
        const char *label = json_string_value(json_object_get(cmd, "label"));
        json_t *in = json_object_get(cmd, "inputs");
        if (strcmp(json_string_value(json_object_get(in, "api")), "aerospike_key_operate") != 0)
            continue;
        bool has_listmap = false;
        size_t k;
        json_t *o;
        json_array_foreach(json_object_get(in, "ops"), k, o) {
            const char *n = json_string_value(json_object_get(o, "op"));
            has_listmap |= strncmp(n, "list_", 5) == 0 || strncmp(n, "map_", 4) == 0;
        }
        if (!has_listmap)
            continue;
        listmap++;
        cmd_ops *c = calloc(1, sizeof *c);
        if (!build_ops(in, c)) {
            fail_msg("%s: %s", label, c->why);
        }
        aw_key key;
        assert_int_equal(aw_key_init_str(&key, json_string_value(json_object_get(in, "ns")),
                                         json_string_value(json_object_get(in, "set")),
                                         json_string_value(json_object_get(in, "key")), NULL),
                         AW_OK);
        aw_req_opts opts = aw_req_opts_default();
        opts.timeout_ms = CAPTURE_TIMEOUT_MS;
        opts.respond_all_ops =
            json_is_true(json_object_get(json_object_get(in, "policy"), "respond_all_ops"));
        aw_buf b;
        aw_buf_init(&b);
        aw_error err;
        if (aw_req_operate(&b, &key, c->ops, c->n_ops, &opts, &err) != AW_OK)
            fail_msg("%s: %s", label, err.message);
        assert_hex_equal(label, b.data, b.len, json_string_value(json_object_get(cmd, "request_hex")));
        aw_buf_free(&b);
        check_reply(label, cmd);
        rebuilt++;
        cmd_ops_free(c);
        free(c);
    }
    fprintf(stderr, "  %zu of %zu captured operates with list/map ops re-encoded byte for byte\n",
            rebuilt, listmap);
    assert_int_equal(rebuilt, listmap);
    assert_true(rebuilt > 0);
}


/* ---- decoded results by return type ------------------------------------ */

static json_t *cdt_command(const char *label) { return tu_capture_command(CDT_CAPTURE, label); }

/* The record of a captured reply (frame 0). */
static void cdt_reply(const char *label, aw_record *rec) {
    size_t len;
    uint8_t *frame = tu_hex_decode(
        json_string_value(json_array_get(json_object_get(cdt_command(label), "reply_hex"), 0)),
        &len);
    int result = -1;
    assert_int_equal(aw_reply_parse_record(frame + 8, len - 8, NULL, &result, rec, NULL), AW_OK);
    assert_int_equal(result, 0);
    free(frame);
}

static void assert_str(const aw_value *v, const char *s) {
    assert_int_equal(v->type, AW_STR);
    assert_int_equal(v->len, strlen(s));
    assert_memory_equal(v->u.str, s, v->len);
}

static void assert_int_items(const aw_value *v, const int64_t *want, size_t n) {
    assert_int_equal(v->type, AW_LIST);
    assert_int_equal(v->len, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v->u.items[i].type, AW_INT);
        assert_int_equal(v->u.items[i].u.i, want[i]);
    }
}

/* The values cdt-bit-hll.md §9 gives for these captures: KEY_VALUE is a map
 * flagged 0x08 in the server's (rank) order; ORDERED_MAP key-sorted, flagged
 * 0x01; UNORDERED_MAP unflagged in rank order; VALUE of an unordered-list
 * rank range in the server's heap order. */
static void test_results_by_return_type(void **state) {
    (void)state;
    aw_record rec;
    cdt_reply("map_get_by_value_rel_rank_range_key_value", &rec);
    assert_int_equal(rec.n_bins, 2);
    const aw_value *kv = &rec.bins[0].value;
    assert_int_equal(kv->type, AW_MAP);
    assert_int_equal(kv->subtype, 0x08);
    assert_int_equal(kv->len, 2);
    assert_str(&kv->u.items[0], "e");
    assert_int_equal(kv->u.items[1].u.i, 3);
    assert_str(&kv->u.items[2], "a");
    assert_int_equal(kv->u.items[3].u.i, 5);
    /* several results for one bin: aw_record_get gives the last, as before */
    assert_ptr_equal(aw_record_get(&rec, "m"), &rec.bins[1].value);
    aw_record_free(&rec);

    cdt_reply("map_get_by_value_rel_rank_range_ordered_map", &rec);
    kv = &rec.bins[0].value;
    assert_int_equal(kv->subtype, 0x01);
    assert_int_equal(kv->len, 2);
    assert_str(&kv->u.items[0], "a");
    assert_str(&kv->u.items[2], "e");
    aw_record_free(&rec);

    cdt_reply("map_get_by_value_rel_rank_range_unordered_map", &rec);
    kv = &rec.bins[0].value;
    assert_int_equal(kv->subtype, 0);
    assert_str(&kv->u.items[0], "e");
    aw_record_free(&rec);

    cdt_reply("map_get_by_key_key_value", &rec); /* "zz" missing: empty, still flagged */
    assert_int_equal(rec.bins[1].value.type, AW_MAP);
    assert_int_equal(rec.bins[1].value.subtype, 0x08);
    assert_int_equal(rec.bins[1].value.len, 0);
    aw_record_free(&rec);

    cdt_reply("list_get_by_rank_range_value", &rec);
    static const int64_t ranks_1_3[] = {4, 3, 1}, inverted[] = {1, 7, 9, 7};
    assert_int_items(&rec.bins[0].value, ranks_1_3, 3);
    assert_int_items(&rec.bins[1].value, inverted, 4);
    aw_record_free(&rec);
}

/* ---- refusals ----------------------------------------------------------- */

/* The op is refused with AW_ERR_PARAM, a message holding `needle`, and
 * nothing left in the buffer. */
static void expect_refused(const aw_op *op, const char *needle) {
    aw_buf b;
    aw_buf_init(&b);
    aw_buf_put(&b, "x", 1);
    aw_error err;
    int rc = aw_buf_op(&b, op, &err);
    if (rc != AW_ERR_PARAM)
        fail_msg("expected AW_ERR_PARAM containing '%s', got %d (%s)", needle, rc,
                 rc ? err.message : "encoded");
    if (!strstr(err.message, needle))
        fail_msg("message '%s' lacks '%s'", err.message, needle);
    assert_int_equal(b.len, 1);
    aw_buf_free(&b);
}

static void test_bad_contexts(void **state) {
    (void)state;
    aw_ctx_item items[2] = {aw_ctx_map_key(aw_value_str("a")), aw_ctx_list_index(0)};
    aw_ctx empty = {items, 0}, no_items = {NULL, 2}, too_long = {items, AW_CTX_MAX_ITEMS + 1};
    expect_refused((aw_op[]){aw_cdt_list_size("l", &empty)}, "no items");
    expect_refused((aw_op[]){aw_cdt_list_size("l", &no_items)}, "no items");
    expect_refused((aw_op[]){aw_cdt_list_size("l", &too_long)}, "at most");

    aw_ctx two = {items, 2};
    items[1] = aw_ctx_list_index(0);
    items[1].value = aw_value_str("x"); /* an index that is not an integer */
    expect_refused((aw_op[]){aw_cdt_list_size("l", &two)}, "context item 2");
    items[1] = aw_ctx_map_key(aw_value_float(1.5));
    expect_refused((aw_op[]){aw_cdt_map_size("m", &two)}, "integer, string or blob");
    items[1] = aw_ctx_list_index(0);
    items[1].id = 0x2a; /* map_keys_in with an integer: it takes a list of keys */
    expect_refused((aw_op[]){aw_cdt_list_size("l", &two)}, "0x2a");
    items[1].id = AW_CTX_LIST_INDEX | 0x100; /* persist flag: not a context create flag */
    expect_refused((aw_op[]){aw_cdt_list_size("l", &two)}, "0x110");
    items[1] = aw_ctx_map_key_create(aw_value_str("k"), (aw_map_order)2);
    expect_refused((aw_op[]){aw_cdt_map_size("m", &two)}, "unknown order");
    items[1] = aw_ctx_list_index_create(0, (aw_list_order)7, false);
    expect_refused((aw_op[]){aw_cdt_list_size("l", &two)}, "unknown order");

    /* the good path: the bytes of cdt-bit-hll.md §4.2 */
    items[1] = aw_ctx_list_index(2);
    aw_op op = aw_cdt_map_get_by_key("n", &two, aw_value_str("x"), AW_RETURN_KEY_VALUE);
    items[0] = aw_ctx_map_key(aw_value_str("a"));
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_buf_op(&b, &op, NULL), AW_OK);
    assert_hex_equal("ctx", b.data + 9, b.len - 9, "93ccff9422a203611002936108a20378");
    aw_buf_free(&b);
}

static void test_bad_policies_and_arguments(void **state) {
    (void)state;
    aw_list_policy lp = {AW_LIST_UNORDERED, 0x10};
    expect_refused((aw_op[]){aw_cdt_list_append("l", NULL, &lp, aw_value_int(1))},
                   "list write flags");
    lp = (aw_list_policy){2, 0};
    expect_refused((aw_op[]){aw_cdt_list_append_items("l", NULL, &lp, aw_value_list(NULL, 0))},
                   "list order");
    expect_refused((aw_op[]){aw_cdt_list_set_order("l", NULL, (aw_list_order)2)}, "list order");
    expect_refused((aw_op[]){aw_cdt_list_sort("l", NULL, 4)}, "sort flags");

    aw_map_policy mp = {AW_MAP_UNORDERED, 0x20, AW_MAP_MODE_PUT};
    expect_refused((aw_op[]){aw_cdt_map_put("m", NULL, &mp, aw_value_int(1), aw_value_int(2))},
                   "map write flags");
    mp = (aw_map_policy){2, 0, AW_MAP_MODE_PUT};
    expect_refused((aw_op[]){aw_cdt_map_put_items("m", NULL, &mp, aw_value_map(NULL, 0))},
                   "map order");
    mp = (aw_map_policy){AW_MAP_UNORDERED, AW_MAP_WRITE_NO_FAIL, AW_MAP_MODE_CREATE_ONLY};
    expect_refused((aw_op[]){aw_cdt_map_put("m", NULL, &mp, aw_value_int(1), aw_value_int(2))},
                   "legacy");
    mp = (aw_map_policy){AW_MAP_UNORDERED, 0, 3};
    expect_refused((aw_op[]){aw_cdt_map_put("m", NULL, &mp, aw_value_int(1), aw_value_int(2))},
                   "mode");
    mp = (aw_map_policy){AW_MAP_KEY_ORDERED, AW_MAP_WRITE_CREATE_ONLY, AW_MAP_MODE_PUT};
    expect_refused((aw_op[]){aw_cdt_map_increment("m", NULL, &mp, aw_value_int(1),
                                                  aw_value_int(1))},
                   "order only");
    expect_refused((aw_op[]){aw_cdt_map_set_policy("m", NULL, NULL)}, "needs a policy");

    expect_refused((aw_op[]){aw_cdt_list_get_by_index("l", NULL, 0, 14)}, "return type");
    expect_refused((aw_op[]){aw_cdt_map_get_by_key("m", NULL, aw_value_int(1),
                                                   AW_RETURN_VALUE | 0x20000)},
                   "return type");
    expect_refused((aw_op[]){aw_cdt_list_get_by_index_range("l", NULL, 0, UINT64_MAX,
                                                            AW_RETURN_COUNT)},
                   "count");
    expect_refused((aw_op[]){aw_op_list_get_range("l", 0, -1)}, "negative count");
    expect_refused((aw_op[]){aw_cdt_list_size(NULL, NULL)}, "needs a bin name");
    expect_refused((aw_op[]){aw_cdt_list_append("l", NULL, NULL, aw_value_strn(NULL, 3))},
                   "no storage");
    /* a value the msgpack writer refuses inside a context item, named with the op */
    aw_ctx_item bad = aw_ctx_list_value(aw_value_list(NULL, 3));
    aw_ctx ctx = {&bad, 1};
    expect_refused((aw_op[]){aw_cdt_list_size("l", &ctx)}, "CDT_READ bin 'l'");

    /* INVERTED and the other good values encode */
    aw_buf b;
    aw_buf_init(&b);
    aw_op op = aw_cdt_list_get_by_index_range("l", NULL, 1, 3, AW_RETURN_INDEX | AW_RETURN_INVERTED);
    assert_int_equal(aw_buf_op(&b, &op, NULL), AW_OK);
    assert_hex_equal("inverted", b.data + 9, b.len - 9, "9418ce000100010103");
    aw_buf_free(&b);
}

/* docs/cdt.md's example compiles against the public headers. */
static void test_doc_example_compiles(void **state) {
    (void)state;
    char root[4096];
    snprintf(root, sizeof root, "%s", tu_testdata_path("../.."));
    char doc[4200];
    snprintf(doc, sizeof doc, "%s/docs/cdt.md", root);
    FILE *f = fopen(doc, "r");
    assert_non_null(f);
    char src[] = "/tmp/aw_cdt_doc_XXXXXX.c";
    int fd = mkstemps(src, 2);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "w");
    char line[1024];
    bool in_c = false;
    int blocks = 0;
    while (fgets(line, sizeof line, f)) {
        if (!in_c && strncmp(line, "```c", 4) == 0) {
            in_c = true;
            blocks++;
        } else if (in_c && strncmp(line, "```", 3) == 0) {
            in_c = false;
        } else if (in_c) {
            fputs(line, out);
        }
    }
    fclose(f);
    fclose(out);
    assert_true(blocks >= 1);
    char cmd[9000];
    snprintf(cmd, sizeof cmd,
             "${CC:-cc} -std=c11 -Wall -Wextra -Werror -I%s/include -fsyntax-only %s", root, src);
    int rc = system(cmd);
    unlink(src);
    assert_int_equal(rc, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_requests_reencode),
        cmocka_unit_test(test_results_by_return_type),
        cmocka_unit_test(test_bad_contexts),
        cmocka_unit_test(test_bad_policies_and_arguments),
        cmocka_unit_test(test_doc_example_compiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
