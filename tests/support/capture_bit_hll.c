/* Bit and HLL ops from the captures' inputs; see capture_bit_hll.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "capture_bit_hll.h"
#include "testutil.h"

static void *keep(tu_op_storage *st, void *p) {
    assert_true(st->n_mem < TU_OP_STORAGE_MAX);
    st->mem[st->n_mem++] = p;
    return p;
}

void tu_op_storage_free(tu_op_storage *st) {
    for (size_t i = 0; i < st->n_mem; i++)
        free(st->mem[i]);
    st->n_mem = 0;
}

static int64_t num(json_t *o, const char *field) {
    json_t *j = json_object_get(o, field);
    if (!json_is_integer(j))
        fail_msg("op field %s is not an integer", field);
    return json_integer_value(j);
}

/* The policy's write flags: null = 0. */
static unsigned flags_of(json_t *o) {
    json_t *p = json_object_get(o, "policy");
    return json_is_null(p) || !p ? 0 : (unsigned)json_integer_value(json_object_get(p, "flags"));
}

/* Hex field as borrowed bytes (kept in st). */
static const uint8_t *hex_field(tu_op_storage *st, json_t *o, const char *field, size_t *n) {
    const char *hex = json_string_value(json_object_get(o, field));
    assert_non_null(hex);
    return keep(st, tu_hex_decode(hex, n));
}

/* An item of an HLL op list: a scalar, or {"bytes": hex, "bytes_type": 18}. */
static aw_value list_item(tu_op_storage *st, json_t *j) {
    if (json_is_integer(j))
        return aw_value_int(json_integer_value(j));
    if (json_is_string(j))
        return aw_value_str(json_string_value(j));
    json_t *hex = json_object_get(j, "bytes");
    assert_non_null(hex);
    size_t n;
    uint8_t *p = keep(st, tu_hex_decode(json_string_value(hex), &n));
    json_t *type = json_object_get(j, "bytes_type");
    assert_true(json_integer_value(type) == AW_PARTICLE_HLL);
    return aw_value_hll(p, n);
}

static aw_value list_field(tu_op_storage *st, json_t *o) {
    json_t *l = json_object_get(o, "list");
    assert_true(json_is_array(l));
    aw_value *items = keep(st, calloc(json_array_size(l) + 1, sizeof *items));
    for (size_t i = 0; i < json_array_size(l); i++)
        items[i] = list_item(st, json_array_get(l, i));
    return aw_value_list(items, json_array_size(l));
}

typedef aw_op (*bytes_builder)(const char *, unsigned, int32_t, uint32_t, const void *, size_t);
typedef aw_op (*range_builder)(const char *, int32_t, uint32_t);
typedef aw_op (*shift_builder)(const char *, unsigned, int32_t, uint32_t, uint32_t);
typedef aw_op (*scan_builder)(const char *, int32_t, uint32_t, bool);
typedef aw_op (*math_builder)(const char *, unsigned, int32_t, uint32_t, int64_t, bool,
                              aw_bit_overflow);
typedef aw_op (*hlls_builder)(const char *, aw_value);

static bool is(const char *what, const char *name) { return strcmp(what, name) == 0; }

/* One bit op from its inputs; false when `what` is not a bit op. */
bool tu_bit_op_from(json_t *o, const char *what, const char *bin, tu_op_storage *st, aw_op *op) {
    unsigned f = flags_of(o);
    size_t n;
    const uint8_t *p;
    bytes_builder bb = is(what, "bit_set")   ? aw_op_bit_set
                       : is(what, "bit_or")  ? aw_op_bit_or
                       : is(what, "bit_xor") ? aw_op_bit_xor
                       : is(what, "bit_and") ? aw_op_bit_and
                                             : NULL;
    range_builder rb = is(what, "bit_get")     ? aw_op_bit_get
                       : is(what, "bit_count") ? aw_op_bit_count
                                               : NULL;
    shift_builder sb = is(what, "bit_lshift")   ? aw_op_bit_lshift
                       : is(what, "bit_rshift") ? aw_op_bit_rshift
                                                : NULL;
    scan_builder cb = is(what, "bit_lscan")   ? aw_op_bit_lscan
                      : is(what, "bit_rscan") ? aw_op_bit_rscan
                                              : NULL;
    math_builder mb = is(what, "bit_add")        ? aw_op_bit_add
                      : is(what, "bit_subtract") ? aw_op_bit_subtract
                                                 : NULL;
    int32_t off = json_object_get(o, "bit_offset") ? (int32_t)num(o, "bit_offset") : 0;
    uint32_t size = json_object_get(o, "bit_size") ? (uint32_t)num(o, "bit_size") : 0;
    if (bb) {
        p = hex_field(st, o, "value", &n);
        *op = bb(bin, f, off, size, p, n);
    } else if (rb) {
        *op = rb(bin, off, size);
    } else if (sb) {
        *op = sb(bin, f, off, size, (uint32_t)num(o, "shift"));
    } else if (cb) {
        *op = cb(bin, off, size, json_is_true(json_object_get(o, "value")));
    } else if (mb) {
        *op = mb(bin, f, off, size, num(o, "value"), json_is_true(json_object_get(o, "signed")),
                 (aw_bit_overflow)num(o, "action_value"));
    } else if (is(what, "bit_resize")) {
        *op = aw_op_bit_resize(bin, f, (uint32_t)num(o, "byte_size"),
                               (unsigned)num(o, "resize_flags"));
    } else if (is(what, "bit_insert")) {
        p = hex_field(st, o, "value", &n);
        *op = aw_op_bit_insert(bin, f, (int32_t)num(o, "byte_offset"), p, n);
    } else if (is(what, "bit_remove")) {
        *op =
            aw_op_bit_remove(bin, f, (int32_t)num(o, "byte_offset"), (uint32_t)num(o, "byte_size"));
    } else if (is(what, "bit_not")) {
        *op = aw_op_bit_not(bin, f, off, size);
    } else if (is(what, "bit_set_int")) {
        *op = aw_op_bit_set_int(bin, f, off, size, num(o, "value"));
    } else if (is(what, "bit_get_int")) {
        *op = aw_op_bit_get_int(bin, off, size, json_is_true(json_object_get(o, "signed")));
    } else {
        return false;
    }
    return true;
}

bool tu_hll_op_from(json_t *o, const char *what, const char *bin, tu_op_storage *st, aw_op *op) {
    unsigned f = flags_of(o);
    hlls_builder hb = is(what, "hll_get_union")             ? aw_op_hll_get_union
                      : is(what, "hll_get_union_count")     ? aw_op_hll_get_union_count
                      : is(what, "hll_get_intersect_count") ? aw_op_hll_get_intersect_count
                      : is(what, "hll_get_similarity")      ? aw_op_hll_get_similarity
                                                            : NULL;
    if (hb)
        *op = hb(bin, list_field(st, o));
    else if (is(what, "hll_init_mh"))
        *op = aw_op_hll_init(bin, f, (int)num(o, "index_bit_count"), (int)num(o, "mh_bit_count"));
    else if (is(what, "hll_add_mh"))
        *op = aw_op_hll_add(bin, f, list_field(st, o), (int)num(o, "index_bit_count"),
                            (int)num(o, "mh_bit_count"));
    else if (is(what, "hll_set_union"))
        *op = aw_op_hll_set_union(bin, f, list_field(st, o));
    else if (is(what, "hll_refresh_count"))
        *op = aw_op_hll_refresh_count(bin);
    else if (is(what, "hll_fold"))
        *op = aw_op_hll_fold(bin, (int)num(o, "index_bit_count"));
    else if (is(what, "hll_get_count"))
        *op = aw_op_hll_get_count(bin);
    else if (is(what, "hll_describe"))
        *op = aw_op_hll_describe(bin);
    else
        return false;
    return true;
}

