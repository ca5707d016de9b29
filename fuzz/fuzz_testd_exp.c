/*
 * Fuzz target: aw-testd's expression evaluator. The input's first byte
 * picks where the rest goes — a filter expression (field 43), an
 * expression read op's value or an expression write op's value (op types
 * 7 and 8: [exp, flags]) — and it is built and run against a record holding
 * one bin of each kind the evaluator reads (integer, float, string, blob,
 * list, map, GeoJSON point) and a stored key. Whatever the bytes, the
 * evaluator must answer a code, never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "exp.h"
#include "proto/buf.h"
#include "proto/particle.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void add_bin(td_record *r, const char *name, uint8_t ptype, const void *p, uint32_t n) {
    td_bin_set(r, name, strlen(name), ptype, p, n);
}

static void make_record(td_record *r) {
    memset(r, 0, sizeof *r);
    uint8_t v[8];
    aw_store_u64be(v, 12);
    add_bin(r, "i", AW_PT_INTEGER, v, 8);
    aw_store_u64be(v, 0x4004000000000000ull); /* 2.5 */
    add_bin(r, "f", AW_PT_FLOAT, v, 8);
    add_bin(r, "s", AW_PT_STRING, "s012", 4);
    add_bin(r, "b", AW_PT_BLOB, "\xf0\x0f", 2);
    static const uint8_t list[] = {0x93, 0x0c, 0x0d, 0x0e};
    add_bin(r, "l", AW_PT_LIST, list, sizeof list);
    static const uint8_t map[] = {0x82, 0xa2, 0x03, 'a', 0x0c, 0xa2, 0x03, 'b', 0x18};
    add_bin(r, "m", AW_PT_MAP, map, sizeof map);
    static const char geo[] = "\x00\x00\x01\x80\x8e\x3f\xf5\x27\x83\x7b\xbb"
                              "{\"type\":\"Point\",\"coordinates\":[-121.99,37.0]}";
    add_bin(r, "g", AW_PT_GEOJSON, geo, sizeof geo - 1);
    static uint8_t key[8];
    aw_store_u64be(key, 12);
    r->key = key;
    r->key_len = 8;
    r->key_ptype = AW_PT_INTEGER;
    memcpy(r->set, "sq", 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    td_store store;
    if (td_store_init(&store, "test", 0, 1024 * 1024) != 0)
        return 0;
    td_record rec;
    make_record(&rec);
    td_exp_ctx ctx = {.store = &store, .rec = &rec, .meta = &rec,
                      .stored_size = td_exp_stored_size(&rec)};
    aw_op_view op = {.particle = AW_PT_BLOB, .name = "x", .name_len = 1, .value = data + 1,
                     .value_len = (uint32_t)(size - 1)};
    aw_arena arena;
    aw_arena_init(&arena, 0);
    aw_value result;
    switch (data[0] % 3) {
    case 0:
        (void)td_exp_filter(data + 1, size - 1, &ctx);
        break;
    case 1:
        op.op = AW_OP_EXP_READ;
        (void)td_exp_read_op(&op, &ctx, &result, &arena);
        break;
    default:
        op.op = AW_OP_EXP_MODIFY;
        (void)td_exp_modify_op(&rec, &op, &ctx);
        break;
    }
    aw_arena_free(&arena);
    rec.key = NULL; /* static */
    td_record_release(&rec);
    td_store_free(&store);
    return 0;
}
