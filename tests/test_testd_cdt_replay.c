/*
 * aw-testd answers the list, map, HLL, mixed-op and context commands of the
 * official C client's CDT capture (tests/data/official-c-client-cdt.json,
 * CE 8.1.2.0) as the real server did: each section is replayed in capture
 * order on a fresh aw-testd and every reply compared byte for byte with the
 * real one (the void time, a clock reading, aside). What aw-testd does not
 * serve must be refused with
 * 16 and nothing else; those commands are named below, so serving one more
 * (or losing one) shows up here.
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
#include "proto/msgpack.h"
#include "proto/particle.h"
#include "proto/request.h"
#include "support/capture_replay.h"
#include "support/testd_proc.h"
#include "support/testd_req.h"
#include "support/testutil.h"

static tu_testd server;

static int start_server(void **state) {
    (void)state;
    const char *args[] = {"--namespaces", "test", NULL};
    return tu_testd_start(&server, args);
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&server);
}

/* The commands of the capture aw-testd refuses with 16 (docs/testd.md
 * "What it refuses"): none today. Every command replayed must get the real
 * server's reply. */
static const char *const REFUSED[] = {NULL};

/* Replays the capture from `first` to `last`: each reply must be the real
 * one, or 16 for a command listed in `refused` (tu_replay_capture). */
static tu_replay_counts replay_refusing(const char *first, const char *last,
                                        const char *const *refused) {
    tu_replay_counts n =
        tu_replay_capture(server.ports[0], "official-c-client-cdt.json", first, last, refused);
    printf("  %s .. %s: %zu as the real server, %zu refused with 16, %zu not compared after "
           "a refusal, %zu wrong\n",
           first, last, n.matched, n.refused, n.skipped, n.wrong);
    assert_int_equal(n.wrong, 0);
    return n;
}

/* replay_refusing with REFUSED; then the counts must be the ones given, so
 * a command that stops being answered as the real server did (or starts to
 * be) shows. */
static void replay(const char *first, const char *last, size_t matched, size_t refused,
                   size_t skipped) {
    tu_replay_counts n = replay_refusing(first, last, REFUSED);
    assert_int_equal(n.matched, matched);
    assert_int_equal(n.refused, refused);
    assert_int_equal(n.skipped, skipped);
}

/* The whole list section of the capture: records la, ls, lo, lr, the mixed
 * and tuple lists, the type errors and missing bins. */
static void test_list_commands_as_captured(void **state) {
    (void)state;
    replay("list_append_creates_record", "list_get_record_le", 215, 0, 0);
}

/* The whole map section of the capture (none of it has a context): puts
 * with every write flag and the legacy codes, key types, increments,
 * set-type and create (key-ordered, key-value-ordered, persist index),
 * every get/remove-by op with every return type and INVERTED on the
 * unordered map mr, reads of the key-ordered and key-value-ordered mk, the
 * errors. Then the mixed commands (HLL ops among them) on record co and the
 * ordered maps written whole on record op. */
static void test_map_commands_as_captured(void **state) {
    (void)state;
    replay("map_put_creates_record", "map_get_by_index_range_return_type_10", 242, 0, 0);
    replay("combo_put", "delete_co", 14, 0, 0);
}

/* One step of a map case: an op on a bin of key "map-edges" and what the
 * server answers. */
typedef struct map_step {
    char kind;          /* 'm' CDT modify op, 'r' CDT read op, 'b' read the bin */
    const char *bin;
    const char *op;     /* the op's msgpack, hex */
    int code;           /* result code */
    const char *result; /* the reply op as "particle:value hex" ("" for none) */
    const char *what;
} map_step;

/* Map cases the capture does not hold. Each group cites the server source
 * that decides it, and every answer below is what a CE 8.1.2.0 server sent
 * for the same requests, in this order, on a fresh key. */
static const map_step MAP_EDGES[] = {
    /* A key-ordered map answers an INVERTED middle index run as a trim (particle_map.c
     * packed_map_trim_ordered): EXISTS|INVERTED is true there, false on an unordered map, whose
     * path reports the non-inverted run (cdt.c result_data_set_index_rank_count) */
    {'m', "k", "9443a203620201", 0, "1:0000000000000001", "put b=2, create key-ordered"},
    {'m', "k", "9443a203610101", 0, "1:0000000000000002", "put a=1"},
    {'m', "k", "9443a203630301", 0, "1:0000000000000003", "put c=3"},
    {'b', "k", "", 0, "19:84c70001c0a2036101a2036202a2036303", "{<1> a:1, b:2, c:3}"},
    {'r', "k", "9468ce000100050101", 0, "1:0000000000000002", "index range (1,1) COUNT|INV"},
    {'r', "k", "9468ce0001000d0101", 0, "17:01", "EXISTS|INV"},
    {'r', "k", "9468ce000100030101", 0, "20:920002", "RANK|INV"},
    {'r', "k", "9468ce000100020101", 0, "20:920200", "REVERSE_INDEX|INV"},
    {'r', "k", "9467ce0001000da20362a20363", 0, "17:01", "key range [b, c) EXISTS|INV"},
    {'r', "k", "936b0293a20363a20361a3037a7a", 0, "20:920002",
     "key list REVERSE_INDEX (argument order)"},
    {'r', "k", "936bce0001000291a20363", 0, "20:920201", "key list REVERSE_INDEX|INV"},
    {'m', "u", "934483a2036101a2036202a203630300", 0, "1:0000000000000003",
     "the same entries, unordered"},
    {'r', "u", "9468ce0001000d0101", 0, "17:00", "index range (1,1) EXISTS|INV"},
    {'r', "u", "9468ce000100020101", 0, "20:920200", "REVERSE_INDEX|INV"},
    {'r', "u", "936bce0001000291a20363", 0, "20:920102", "key list REVERSE_INDEX|INV"},
    {'m', "k", "9455ce000100070101", 0, "20:920103", "remove index range (1,1) VALUE|INV"},
    {'b', "k", "", 0, "19:82c70001c0a2036202", "{<1> b:2}"},
    /* By key, the range return types answer [index, 1] (particle_map.c
     * packed_map_build_result_by_key); rank ranges and unknown types are 26 */
    {'r', "u", "936109a20362", 0, "20:920101", "get by key b INDEX_RANGE"},
    {'r', "u", "93610aa20362", 0, "20:920101", "REVERSE_INDEX_RANGE"},
    {'r', "u", "93610ba20362", 26, "", "RANK_RANGE"},
    {'r', "u", "93610ea20362", 26, "", "return type 14"},
    {'r', "u", "93610ea3037a7a", 26, "", "return type 14, key missing"},
    /* Selecting every entry reports ranks 0..n-1 whatever the values (packed_map_get_remove_all);
     * a rank range answers INDEX in rank order and ORDERED_MAP sorted by key
     * (packed_map_get_remove_by_rank_range) */
    {'m', "q", "934482a2036105a203620300", 0, "1:0000000000000002", "{a:5, b:3}"},
    {'r', "q", "93680300", 0, "20:920001", "index range (0, all) RANK"},
    {'r', "q", "9468030001", 0, "20:9101", "index range (0, 1) RANK"},
    {'r', "q", "936a0100", 0, "20:920100", "rank range (0, all) INDEX"},
    {'r', "q", "936a0800", 0, "19:83c70008c0a2036203a2036105", "KEY_VALUE"},
    {'r', "q", "936a1100", 0, "19:83c70001c0a2036105a2036203", "ORDERED_MAP"},
    /* Decrement subtracts the delta (nil: 1), truncated on an integer (particle_map.c
     * map_increment, cdt.c cdt_calc_delta_init) */
    {'m', "x", "9449a203780a00", 0, "1:000000000000000a", "increment x by 10"},
    {'m', "x", "944aa20378cb400400000000000000", 0, "1:0000000000000008", "decrement x by 2.5"},
    {'m', "x", "944aa20379c000", 0, "1:ffffffffffffffff", "decrement missing y by nil"},
    {'m', "x", "944aa2037acb3ff800000000000000", 0, "2:bff8000000000000",
     "decrement missing z by 1.5"},
    {'b', "x", "", 0, "19:83a2037808a20379ffa2037acbbff8000000000000", ""},
    /* A single value selection takes the first match in stored order
     * (packed_map_find_rank_range_by_value_interval_unordered); index ranges are 26 for value
     * ops */
    {'m', "h", "934482a2036103a203620300", 0, "1:0000000000000002", "{a:3, b:3}"},
    {'r', "h", "93630603", 0, "3:61", "get by value 3 KEY"},
    {'r', "h", "93630303", 0, "1:0000000000000000", "RANK"},
    {'r', "h", "93660303", 0, "20:920001", "get all by value 3 RANK"},
    {'r', "h", "93630b03", 0, "20:920001", "RANK_RANGE"},
    {'r', "h", "93630903", 26, "", "INDEX_RANGE"},
    /* Value lists: RANK per value, INVERTED the runs between them (cdt.c
     * result_data_set_by_itemlist_irc); empty lists (packed_map_get_remove_all_by_key_list /
     * _value_list) */
    {'m', "j", "934483a2036105a2036203a203630900", 0, "1:0000000000000003", "{a:5, b:3, c:9}"},
    {'r', "j", "936cce000100039103", 0, "20:920102", "value list [3] RANK|INV"},
    {'r', "j", "936c04920903", 0, "20:920002", "value list [9, 3] REVERSE_RANK"},
    {'r', "j", "936bce0001000590", 0, "1:0000000000000003", "empty key list COUNT|INV"},
    {'r', "j", "936b0390", 26, "", "empty key list RANK"},
    {'r', "j", "936c0990", 26, "", "empty value list INDEX_RANGE"},
    /* A value given twice in a value list has its ranks once, at its last place
     * (cdt.c offset_index_find_items); a map of at most one entry takes the
     * indexed path, one run per value given (order_index_is_valid,
     * packed_map_get_remove_all_by_value_list_ordered) */
    {'r', "j", "936cce00010004920303", 0, "20:920001", "value list [3, 3] REVERSE_RANK|INV"},
    {'r', "j", "936c0393030903", 0, "20:920200", "value list [3, 9, 3] RANK"},
    {'m', "w", "9443a203610300", 0, "1:0000000000000001", "put a=3"},
    {'r', "w", "936c0293010303", 0, "20:920000", "value list [1, 3, 3] REVERSE_INDEX"},
    {'r', "w", "936c03920303", 0, "20:920000", "value list [3, 3] RANK"},
    /* Wildcards compare equal to anything (msgpack_cmp); relative ranges clip at 0 (cdt.c
     * calc_rel_index_count) */
    {'r', "j", "936907d4ff00", 0, "20:93050309", "value range [*, end) VALUE"},
    {'r', "j", "936107d4ff00", 0, "1:0000000000000005", "get by key * VALUE"},
    {'r', "j", "936b0191d4ff00", 0, "20:93000102", "key list [*] INDEX"},
    {'r', "j", "956e0605ff02", 0, "20:92a20362a20361", "value 5 relative rank (-1, 2) KEY"},
    {'r', "j", "956d06a20362fb03", 0, "20:90", "key b relative index (-5, 3) KEY"},
    /* An empty map: not-found answers (cdt.c result_data_set_not_found); a single index is 26 */
    {'m', "e", "924000", 0, "0:", "set-type 0 creates an empty map"},
    {'r', "e", "9469010105", 0, "20:90", "value range INDEX"},
    {'r', "e", "94690b0105", 0, "20:92ff00", "value range RANK_RANGE"},
    {'r', "e", "93630101", 0, "1:ffffffffffffffff", "get by value INDEX"},
    {'r', "e", "93620100", 26, "", "get by index 0"},
    {'r', "e", "93680900", 0, "20:920000", "index range INDEX_RANGE"},
    /* The op type picks the server's modify or read table (particle_map.c
     * cdt_process_state_packed_map_modify_optype / _read_optype): a code sent
     * with the other is 4, and a missing bin is not created */
    {'m', "e", "9160", 4, "", "size as a modify op"},
    {'m', "e", "936101a20361", 4, "", "get by key as a modify op"},
    {'r', "e", "9443a203610200", 4, "", "put as a read op"},
    {'m', "none", "9160", 4, "", "size as a modify op on a missing bin"},
    {'b', "none", "", 0, "", "no bin"},
    /* Argument counts and kinds (cdt.c cdt_op_table, cdt_process_state_get_params):
     * more or fewer arguments than the code takes are 4, but clear and size take
     * none and are not checked; the return type is read as a signed int whose low
     * 16 bits are the type (-1: type 0xffff, INVERTED); flags are read as their
     * low byte (particle_map.c map_set_flags, cdt_context_use_static_map_if_notinuse) */
    {'m', "j", "9643a2036101000000", 4, "", "put with five arguments"},
    {'m', "j", "9549a20361010000", 4, "", "increment with four arguments"},
    {'r', "j", "946107a2036101", 4, "", "get by key with three arguments"},
    {'m', "j", "93400102", 4, "", "set-type with two arguments"},
    {'m', "j", "9445a203610200", 4, "", "replace with an attribute"},
    {'m', "j", "924b01", 0, "0:", "clear with an argument"},
    {'r', "j", "926001", 0, "1:0000000000000000", "size with an argument"},
    {'r', "j", "9361ffa20361", 26, "", "get by key, return type -1"},
    {'m', "j2", "9443a2036101cd0101", 0, "1:0000000000000001", "put creating with 0x101"},
    {'b', "j2", "", 0, "19:82c70001c0a2036101", "{<1> a:1}"},
    {'m', "j2", "9240cd0100", 0, "0:", "set-type 0x100"},
    {'b', "j2", "", 0, "19:81a2036101", "{a:1}"},
    /* Storage checks: a wildcard value and a double key are 4 (cdt.c cdt_untrusted_rewrite,
     * particle_map.c map_is_key); set-type flags beyond 0x13 are 26 (cdt_check_flags); create
     * attributes the server does not take, and the persist-index flag alone, make an unordered map
     * (map_flags_to_static_ix); a map value put into a map is stored sorted by key
     * (cdt_untrusted_rewrite) */
    {'m', "j", "934481a2037ad4ff0000", 4, "", "put-items z = *"},
    {'m', "j", "924005", 26, "", "set-type 5"},
    {'m', "o", "9443a203610104", 0, "1:0000000000000001", "put a=1 with attributes 4"},
    {'m', "o", "9443cb3ff80000000000000100", 4, "", "put with a double key"},
    {'b', "o", "", 0, "19:81a2036101", "{a:1}"},
    {'m', "p", "9443a203620110", 0, "1:0000000000000001", "put b=1 with attributes 0x10"},
    {'m', "p", "9443a203610210", 0, "1:0000000000000002", "put a=2"},
    {'r', "p", "9467ce0001000da20361a20362", 0, "17:00", "key range [a, b) EXISTS|INV: unordered"},
    {'m', "p", "9443a2036d82a2036301a203610200", 0, "1:0000000000000003", "put m = {c:1, a:2}"},
    {'b', "p", "", 0, "19:83a2036102a2036201a2036d82a2036102a2036301", "{a:2, b:1, m:{a:2, c:1}}"},

};

/* Sends one step (CDT ops with respond-all, as the C client sends map ops)
 * and returns the reply's code; *result = its op as "particle:hex". */
static int map_step_send(const map_step *st, char *result, size_t cap) {
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, "test", "replay", "map-edges", &err), AW_OK);
    size_t len = 0;
    uint8_t *value = st->op[0] ? tu_hex_decode(st->op, &len) : NULL;
    bool read = st->kind != 'm';
    tu_raw_op op = {st->kind == 'b' ? AW_OP_READ : read ? AW_OP_CDT_READ : AW_OP_CDT_MODIFY,
                    st->kind == 'b' ? AW_PT_NULL : AW_PT_BLOB, st->bin, strlen(st->bin), value,
                    (uint32_t)len};
    aw_buf req;
    aw_buf_init(&req);
    uint8_t info2 = st->kind == 'b' ? 0 : AW_INFO2_RESPOND_ALL_OPS;
    tu_raw_request(&req, &k, false, read ? AW_INFO1_READ : 0, read ? info2 : AW_INFO2_WRITE | info2,
                   0, 0, 0, &op, 1);
    tu_reply r;
    int rc = tu_exec_free(server.ports[0], &req, &r);
    free(value);
    result[0] = 0;
    if (r.n_ops == 1) {
        char *hex = tu_hex_encode(r.ops[0].value, r.ops[0].value_len);
        snprintf(result, cap, "%u:%s", r.ops[0].particle, hex);
        free(hex);
    }
    tu_reply_free(&r);
    return rc;
}

/* Map behaviour the capture does not show, as the server's source decides
 * it and a CE 8.1.2.0 server answered (MAP_EDGES). */
static void test_map_edges_from_server_source(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof MAP_EDGES / sizeof *MAP_EDGES; i++) {
        const map_step *st = &MAP_EDGES[i];
        char got[512];
        int rc = map_step_send(st, got, sizeof got);
        if (rc != st->code || strcmp(got, st->result) != 0)
            fail_msg("%s (bin %s): code %d, result \"%s\"; the server answered %d, \"%s\"",
                     st->what, st->bin, rc, got, st->code, st->result);
    }
}

/* What aw-testd refuses with 16 of map ops: the orders it does not model
 * (a persisted value index 0x13, the persist-index flag alone 0x10, value
 * order without key order), and an empty key or value list with INVERTED
 * asking for keys or values, on which CE 8.1.2.0 crashes
 * (packed_map_get_remove_all reads an offset index never set up). Nothing
 * changes. */
static void test_map_refusals(void **state) {
    (void)state;
    static const map_step refused[] = {
        {'m', "r", "934481a2036101" "00", 0, "1:0000000000000001", "put-items {a: 1}"},
        {'m', "r", "924010", 16, "", "set-type 0x10"},
        {'m', "r", "924013", 16, "", "set-type 0x13"},
        {'m', "r", "924002", 16, "", "set-type 2"},
        {'m', "s", "9443a203610113", 16, "", "put creating a map with 0x13"},
        {'r', "r", "936bce0001000790", 16, "", "empty key list VALUE|INVERTED"},
        {'r', "r", "936cce0001000690", 16, "", "empty value list KEY|INVERTED"},
        {'b', "r", "", 0, "19:81a2036101", "the map as it was"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char got[512];
        int rc = map_step_send(&refused[i], got, sizeof got);
        if (rc != refused[i].code || strcmp(got, refused[i].result) != 0)
            fail_msg("%s: code %d, result \"%s\"; want %d, \"%s\"", refused[i].what, rc, got,
                     refused[i].code, refused[i].result);
    }
}

/* The HLL section of the capture, in its order: init, add (index and
 * minhash bits, CREATE_ONLY, NO_FAIL, UPDATE_ONLY), describe, set_union
 * (creating, mixed bits, ALLOW_FOLD), refresh_count, fold, get_count,
 * get_union, union, intersect counts and similarity (0.2222..., and the NaN
 * of minhash sketches with nothing in common: the server's own arithmetic
 * followed step for step gives its doubles bit for bit, so no tolerance),
 * the error cases (4 bit counts out of range, 6, 12, 17, 26) and the bins
 * read back whole as particle type 18. */
static void test_hll_commands_as_captured(void **state) {
    (void)state;
    tu_replay_counts n = tu_replay_capture(server.ports[0], "official-c-client-cdt.json",
                                           "hll_init_index_8", "hll_get_record_3", NULL);
    assert_int_equal(n.wrong, 0);
    assert_int_equal(n.matched, 36);
}

/* The commands that mix every kind of op, HLL ones among them, on one
 * record: respond-all, read-all rules, an error in a later op. */
static void test_mixed_commands_as_captured(void **state) {
    (void)state;
    tu_replay_counts n = tu_replay_capture(server.ports[0], "official-c-client-cdt.json",
                                           "combo_put", "combo_get_record", NULL);
    assert_int_equal(n.wrong, 0);
    assert_int_equal(n.matched, 9);
}

/* Every command with a context (records cx and cc, the error cases) and the
 * bit op with one, replayed from the nested put on: each the real server's
 * reply. */
static void test_context_commands_as_captured(void **state) {
    (void)state;
    replay("ctx_put_nested", "ctx_write_into_scalar_element", 49, 0, 0);
    /* A bit op with a context: 4, on record be as the capture left it. */
    replay("bit_put_scalar_bins", "bit_get_with_ctx", 4, 0, 0);
}

/* Sends one op on bin `bin` of key "edges" and returns the result code;
 * *out = the op's result as msgpack (an integer result as a msgpack int). */
static int op_call(aw_op op, const char *bin, aw_buf *out) {
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, "test", "replay", "edges", &err), AW_OK);
    aw_buf req;
    aw_buf_init(&req);
    assert_int_equal(aw_req_operate(&req, &k, &op, 1, NULL, &err), AW_OK);
    tu_reply r;
    int rc = tu_exec_free(server.ports[0], &req, &r);
    aw_buf_init(out);
    const aw_op_view *v = rc == 0 ? tu_reply_op(&r, bin) : NULL;
    if (v && v->particle == AW_PT_INTEGER) {
        aw_value i = aw_value_int((int64_t)aw_load_u64be(v->value));
        assert_int_equal(aw_msgpack_write(out, &i, NULL), AW_OK);
    } else if (v) {
        aw_buf_put(out, v->value, v->value_len);
    }
    tu_reply_free(&r);
    return rc;
}

static int list_call(const char *bin, aw_op_type type, uint16_t code, const aw_value *args,
                     uint8_t n, aw_buf *out) {
    return op_call(aw_op_cdt(type, bin, code, args, n), bin, out);
}

static void expect_result(const char *bin, aw_op_type type, uint16_t code, const aw_value *args, uint8_t n,
                          const aw_value *want) {
    aw_buf got, exp;
    assert_int_equal(list_call(bin, type, code, args, n, &got), AW_OK);
    aw_buf_init(&exp);
    assert_int_equal(aw_msgpack_write(&exp, want, NULL), AW_OK);
    if (got.len != exp.len || memcmp(got.data, exp.data, exp.len) != 0)
        fail_msg("list code %u: result %s, want %s", code, tu_hex_encode(got.data, got.len),
                 tu_hex_encode(exp.data, exp.len));
    aw_buf_free(&got);
    aw_buf_free(&exp);
}

static void expect_code(const char *bin, aw_op_type type, uint16_t code, const aw_value *args, uint8_t n,
                        int want) {
    aw_buf got;
    int rc = list_call(bin, type, code, args, n, &got);
    aw_buf_free(&got);
    if (rc != want)
        fail_msg("list code %u: result code %d, want %d", code, rc, want);
}

/* Cases the capture does not hold, as the server's source decides them
 * (as/src/base/particle_list.c, cdt.c at the CE 8.1 tag). */
static void test_list_edges_from_server_source(void **state) {
    (void)state;
    aw_value three[] = {aw_value_int(3), aw_value_int(1), aw_value_int(2)};
    aw_value put[] = {aw_value_list(three, 3)};
    aw_value size = aw_value_int(3);
    expect_result("l", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put, 1, &size);

    /* Rank-range return types on a by-index op: ordered lists only (26). */
    aw_value rank_range[] = {aw_value_int(AW_RETURN_RANK_RANGE), aw_value_int(0),
                             aw_value_int(2)};
    expect_code("l", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX_RANGE, rank_range, 3,
                AW_ERR_OP_NOT_APPLICABLE);
    /* INVERTED on a single-result op (26), KEY on a list (26). */
    aw_value inverted_one[] = {aw_value_int(AW_RETURN_VALUE | AW_RETURN_INVERTED),
                               aw_value_int(0)};
    expect_code("l", AW_OP_CDT_READ, AW_LIST_GET_BY_RANK, inverted_one, 2, AW_ERR_OP_NOT_APPLICABLE);
    aw_value key_rt[] = {aw_value_int(AW_RETURN_KEY), aw_value_int(0)};
    expect_code("l", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX, key_rt, 2, AW_ERR_OP_NOT_APPLICABLE);

    /* A run starting far below the list (calc_index_count_multi): empty. */
    aw_value far_below[] = {aw_value_int(AW_RETURN_COUNT), aw_value_int(INT64_MIN),
                            aw_value_int(5)};
    aw_value zero = aw_value_int(0);
    expect_result("l", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX_RANGE, far_below, 3, &zero);
    /* A relative rank far above (calc_rel_index_count): an empty list. */
    aw_value far_above[] = {aw_value_int(AW_RETURN_VALUE), aw_value_int(2),
                            aw_value_int(INT64_MAX)};
    aw_value empty = aw_value_list(NULL, 0);
    expect_result("l", AW_OP_CDT_READ, AW_LIST_GET_BY_VALUE_REL_RANK_RANGE, far_above, 3, &empty);
    /* RANK_RANGE of a rank run: [first rank, count] clipped to the list
     * (result_data_set_range). */
    aw_value ranks[] = {aw_value_int(AW_RETURN_RANK_RANGE), aw_value_int(1), aw_value_int(5)};
    aw_value one_two[] = {aw_value_int(1), aw_value_int(2)};
    aw_value run = aw_value_list(one_two, 2);
    expect_result("l", AW_OP_CDT_READ, AW_LIST_GET_BY_RANK_RANGE, ranks, 3, &run);

    /* Remove everything outside [2, 3): 3 and 1, in index order; 2 stays. */
    aw_value outside[] = {aw_value_int(AW_RETURN_VALUE | AW_RETURN_INVERTED), aw_value_int(2),
                          aw_value_int(3)};
    aw_value three_one[] = {aw_value_int(3), aw_value_int(1)};
    aw_value removed = aw_value_list(three_one, 2);
    expect_result("l", AW_OP_CDT_MODIFY, AW_LIST_REMOVE_BY_VALUE_INTERVAL, outside, 3, &removed);
    aw_value all[] = {aw_value_int(AW_RETURN_VALUE), aw_value_int(0)};
    aw_value two[] = {aw_value_int(2)};
    aw_value left = aw_value_list(two, 1);
    expect_result("l", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX_RANGE, all, 2, &left);
}

/* Ordered lists where the capture has no case (particle_list.c
 * packed_list_add_items_ordered, packed_list_replace_ordered, list_insert,
 * packed_list_get_remove_by_index_range). */
static void test_ordered_list_edges_from_server_source(void **state) {
    (void)state;
    aw_value vals[] = {aw_value_int(5), aw_value_int(1), aw_value_int(3)};
    aw_value create[] = {aw_value_list(vals, 3), aw_value_int(AW_LIST_ORDERED)};
    aw_value size = aw_value_int(3);
    expect_result("o", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, create, 2, &size);
    aw_value all[] = {aw_value_int(AW_RETURN_VALUE), aw_value_int(0)};
    aw_value sorted_vals[] = {aw_value_int(1), aw_value_int(3), aw_value_int(5)};
    aw_value sorted = aw_value_list(sorted_vals, 3);
    expect_result("o", AW_OP_CDT_READ, AW_LIST_GET_BY_INDEX_RANGE, all, 2, &sorted);

    /* No index past the end, no insert by index in an ordered list. */
    aw_value past_end[] = {aw_value_int(5), aw_value_int(1)};
    expect_code("o", AW_OP_CDT_MODIFY, AW_LIST_INCREMENT, past_end, 2, AW_ERR_OP_NOT_APPLICABLE);
    aw_value ins[] = {aw_value_int(0), aw_value_list(vals, 1)};
    expect_code("o", AW_OP_CDT_MODIFY, AW_LIST_INSERT_ITEMS, ins, 2, AW_ERR_OP_NOT_APPLICABLE);

    /* ADD_UNIQUE|NO_FAIL|PARTIAL: a value given twice is added once. */
    aw_value fours[] = {aw_value_int(4), aw_value_int(4)};
    aw_value unique[] = {aw_value_list(fours, 2), aw_value_int(AW_LIST_ORDERED),
                         aw_value_int(AW_LIST_WRITE_ADD_UNIQUE | AW_LIST_WRITE_NO_FAIL |
                                      AW_LIST_WRITE_PARTIAL)};
    aw_value four = aw_value_int(4);
    expect_result("o", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, unique, 3, &four);

    /* Ranks are indexes: a rank run's RANK_RANGE is served (26 unordered). */
    aw_value ranks[] = {aw_value_int(AW_RETURN_RANK_RANGE), aw_value_int(1), aw_value_int(2)};
    aw_value one_two[] = {aw_value_int(1), aw_value_int(2)};
    aw_value run = aw_value_list(one_two, 2);
    expect_result("o", AW_OP_CDT_READ, AW_LIST_GET_BY_RANK_RANGE, ranks, 3, &run);
}

/* The op value [0xff, ctx, [code, args...]] as the two arguments of code
 * 0xff: ctx items (type, value, ...) and the op. */
typedef struct ctx_op {
    aw_value wrap[2];
    aw_value inner[4];
} ctx_op;

static const aw_value *with_ctx(ctx_op *o, aw_value *ctx, size_t n_ctx, uint16_t code,
                                const aw_value *args, uint8_t n) {
    o->inner[0] = aw_value_int(code);
    for (uint8_t i = 0; i < n; i++)
        o->inner[1 + i] = args[i];
    o->wrap[0] = aw_value_list(ctx, n_ctx);
    o->wrap[1] = aw_value_list(o->inner, 1 + n);
    return o->wrap;
}

#define CTX(...) (aw_value[]){__VA_ARGS__}, sizeof((aw_value[]){__VA_ARGS__}) / sizeof(aw_value)
#define I aw_value_int
#define S aw_value_str
enum { CTX_OP = 0xff };

/* Contexts where the capture has no case, as the server's source decides
 * them (as/src/base/cdt.c cdt_context_dig, cdt_context_ctx_type_create_sz;
 * particle_list.c list_subcontext_by_*, cdt_context_unwind_list;
 * particle_map.c map_subcontext_by_*); every answer but the two refusals
 * was also seen on CE 8.1.2.0. Never send those two to a real server: the
 * index -9 one stops CE 8.1.2.0. */
static void test_context_edges_from_server_source(void **state) {
    (void)state;
    ctx_op o;
    aw_value first[] = {I(3), I(1), I(2)};
    aw_value k_one[] = {I(1)};
    aw_value kv[] = {S("k"), aw_value_list(k_one, 1)};
    aw_value nested[] = {aw_value_list(first, 3), I(5), aw_value_map(kv, 1)};
    aw_value put[] = {aw_value_list(nested, 3)};
    aw_value three = I(3), one = I(1), zero = I(0);
    expect_result("c", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put, 1, &three);

    /* Types without a list or map bit select by their low nibble in
     * either kind of container (cdt_context_dig). */
    expect_result("c", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x00), I(0)), AW_LIST_SIZE, NULL, 0), 2, &three);
    expect_result("c", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x10), I(2), I(0x02), S("k")), AW_LIST_SIZE, NULL, 0), 2,
                  &one);
    /* A scalar on the way (not at the end, that is 12) is 26; an odd item
     * count is PARAMETER. */
    expect_code("c", AW_OP_CDT_READ, CTX_OP,
                with_ctx(&o, CTX(I(0x10), I(1), I(0x10), I(0)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_OP_NOT_APPLICABLE);
    expect_code("c", AW_OP_CDT_READ, CTX_OP, with_ctx(&o, CTX(I(0x10)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_REQUEST_INVALID);
    /* A context into a bin that is no list or map: PARAMETER, not 12. */
    aw_buf out;
    assert_int_equal(op_call(aw_op_write("i", I(1)), "i", &out), AW_OK);
    aw_buf_free(&out);
    expect_code("i", AW_OP_CDT_READ, CTX_OP,
                with_ctx(&o, CTX(I(0x10), I(0)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_REQUEST_INVALID);

    /* Rank in an unordered list: [[2], [0], [1]], rank 0 is index 1. */
    aw_value two_l[] = {I(2)}, zero_l[] = {I(0)}, one_l[] = {I(1)};
    aw_value ranked[] = {aw_value_list(two_l, 1), aw_value_list(zero_l, 1),
                         aw_value_list(one_l, 1)};
    aw_value put_ranked[] = {aw_value_list(ranked, 3)};
    expect_result("r", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put_ranked, 1, &three);
    aw_value seven[] = {I(7)};
    aw_value two = I(2);
    expect_result("r", AW_OP_CDT_MODIFY, CTX_OP,
                  with_ctx(&o, CTX(I(0x11), I(0)), AW_LIST_APPEND, seven, 1), 2, &two);
    aw_value zero_seven[] = {I(0), I(7)};
    aw_value after_rank[] = {aw_value_list(two_l, 1), aw_value_list(zero_seven, 2),
                             aw_value_list(one_l, 1)};
    aw_value want = aw_value_list(after_rank, 3);
    aw_value from0[] = {I(0)};
    expect_result("r", AW_OP_CDT_READ, AW_LIST_GET_RANGE, from0, 1, &want);

    /* An element of an ordered list that a context op changes moves to
     * where it now sorts; one a create flag adds past the end of an
     * ordered list goes there too (cdt_context_unwind_list,
     * list_subcontext_by_index). */
    aw_value five_l[] = {I(5)}, nine_l[] = {I(9)};
    aw_value sorted[] = {aw_value_list(five_l, 1), aw_value_list(one_l, 1),
                         aw_value_list(nine_l, 1)};
    aw_value put_sorted[] = {aw_value_list(sorted, 3), I(AW_LIST_ORDERED)};
    expect_result("o2", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put_sorted, 2, &three);
    aw_value by_ten[] = {I(0), I(10)};
    aw_value eleven = I(11);
    expect_result("o2", AW_OP_CDT_MODIFY, CTX_OP,
                  with_ctx(&o, CTX(I(0x10), I(0)), AW_LIST_INCREMENT, by_ten, 2), 2, &eleven);
    aw_value zero_v[] = {I(0)};
    expect_result("o2", AW_OP_CDT_MODIFY, CTX_OP,
                  with_ctx(&o, CTX(I(0x10 | 0xc0), I(10)), AW_LIST_APPEND, zero_v, 1), 2, &one);
    aw_value eleven_l[] = {I(11)};
    aw_value moved[] = {aw_value_list(zero_l, 1), aw_value_list(five_l, 1),
                        aw_value_list(nine_l, 1), aw_value_list(eleven_l, 1)};
    want = aw_value_list(moved, 4);
    expect_result("o2", AW_OP_CDT_READ, AW_LIST_GET_RANGE, from0, 1, &want);

    /* Creating in an ordered list from an index below -1, or from a rank
     * item, takes the server into cdt_context_fill_create with what it
     * cannot handle (CE 8.1.2.0 stopped on the first): refused, but 26 for
     * a read, which creates nothing. */
    expect_code("o2", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x10 | 0xc0), I(-9)), AW_LIST_APPEND, zero_v, 1), 2,
                AW_ERR_UNSUPPORTED_FEATURE);
    expect_code("o2", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x11 | 0x40), I(4)), AW_LIST_APPEND, zero_v, 1), 2,
                AW_ERR_UNSUPPORTED_FEATURE);
    expect_code("o2", AW_OP_CDT_READ, CTX_OP,
                with_ctx(&o, CTX(I(0x10 | 0xc0), I(-9)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_OP_NOT_APPLICABLE);
    expect_result("o2", AW_OP_CDT_READ, AW_LIST_GET_RANGE, from0, 1, &want);

    /* Map index is key order, map rank value order (map_subcontext_by_*). */
    aw_value put_b[] = {S("b"), aw_value_list(one_l, 1)};
    aw_value put_a[] = {S("a"), aw_value_list(two_l, 1)};
    aw_value put_c[] = {S("c"), aw_value_list(zero_l, 1)};
    expect_result("m", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_b, 2, &one);
    expect_result("m", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_a, 2, &two);
    expect_result("m", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_c, 2, &three);
    expect_result("m", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x20), I(0)), AW_LIST_GET, from0, 1), 2, &two);
    expect_result("m", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x21), I(0)), AW_LIST_GET, from0, 1), 2, &zero);
    expect_result("m", AW_OP_CDT_READ, CTX_OP,
                  with_ctx(&o, CTX(I(0x21), I(-2)), AW_LIST_GET, from0, 1), 2, &one);

    /* Once a create flag triggers, every later item must be able to make
     * its container: a list rank cannot (26), nor may a later item ask for
     * a persisted index (26). A read creates nothing (26), and an op that
     * only takes away is a no-op that makes nothing. */
    expect_code("m", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("zz"), I(0x11), I(0)), AW_LIST_APPEND, seven,
                         1),
                2, AW_ERR_OP_NOT_APPLICABLE);
    expect_code("m", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("zz"), I(0x10 | 0x140), I(0)), AW_LIST_APPEND,
                         seven, 1),
                2, AW_ERR_OP_NOT_APPLICABLE);
    expect_code("m", AW_OP_CDT_READ, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("zz")), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_OP_NOT_APPLICABLE);
    expect_code("m", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("zz")), AW_LIST_POP, from0, 1), 2, AW_OK);
    expect_result("m", AW_OP_CDT_READ, AW_MAP_SIZE, NULL, 0, &three);

    /* A key a context creates in an unordered map whose keys are in order
     * goes before the first larger one (packed_map_find_key_maybe_unordered). */
    aw_value put_a1[] = {S("a"), I(1)}, put_c3[] = {S("c"), I(3)};
    expect_result("m2", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_a1, 2, &one);
    expect_result("m2", AW_OP_CDT_MODIFY, AW_MAP_PUT, put_c3, 2, &two);
    expect_result("m2", AW_OP_CDT_MODIFY, CTX_OP,
                  with_ctx(&o, CTX(I(0x22 | 0x40), S("b")), AW_LIST_APPEND, k_one, 1), 2, &one);
    aw_value abc[] = {S("a"), I(1), S("b"), aw_value_list(k_one, 1), S("c"), I(3)};
    want = aw_value_map(abc, 3);
    aw_buf got, exp;
    assert_int_equal(op_call(aw_op_read("m2"), "m2", &got), AW_OK);
    aw_buf_init(&exp);
    assert_int_equal(aw_msgpack_write(&exp, &want, NULL), AW_OK);
    assert_int_equal(got.len, exp.len);
    assert_memory_equal(got.data, exp.data, exp.len);
    aw_buf_free(&got);
    aw_buf_free(&exp);
}

/* A read code in a modify op and a modify code in a read op are PARAMETER
 * whatever they would do (particle_list.c / particle_map.c
 * cdt_process_state_packed_*_modify_optype and *_read_optype know only
 * their own codes), after the bin type check (12); a read op of a missing
 * bin runs nothing. Seen on CE 8.1.2.0. */
static void test_op_type_mismatch_is_parameter(void **state) {
    (void)state;
    ctx_op o;
    aw_value two_l[] = {I(2)};
    aw_value items[] = {I(1), aw_value_list(two_l, 1)};
    aw_value put[] = {aw_value_list(items, 2)};
    aw_value two = I(2), one = I(1);
    expect_result("w", AW_OP_CDT_MODIFY, AW_LIST_APPEND_ITEMS, put, 1, &two);
    aw_value first[] = {I(AW_RETURN_VALUE), I(0)};
    aw_value far[] = {I(AW_RETURN_VALUE), I(5)};
    aw_value kv[] = {S("k"), I(1)};
    expect_code("w", AW_OP_CDT_MODIFY, AW_LIST_SIZE, NULL, 0, AW_ERR_REQUEST_INVALID);
    expect_code("w", AW_OP_CDT_MODIFY, AW_LIST_GET_BY_INDEX, first, 2, AW_ERR_REQUEST_INVALID);
    expect_code("w", AW_OP_CDT_READ, AW_LIST_REMOVE_BY_INDEX, far, 2, AW_ERR_REQUEST_INVALID);
    expect_code("w", AW_OP_CDT_MODIFY, AW_MAP_SIZE, NULL, 0, AW_ERR_BIN_INCOMPATIBLE_TYPE);
    expect_code("nobin", AW_OP_CDT_MODIFY, AW_LIST_SIZE, NULL, 0, AW_ERR_REQUEST_INVALID);
    expect_code("nobin", AW_OP_CDT_READ, AW_LIST_CLEAR, NULL, 0, AW_OK);
    expect_result("wm", AW_OP_CDT_MODIFY, AW_MAP_PUT, kv, 2, &one);
    expect_code("wm", AW_OP_CDT_MODIFY, AW_MAP_SIZE, NULL, 0, AW_ERR_REQUEST_INVALID);
    /* The same under a context, also where the context would create. */
    expect_code("w", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x10), I(1)), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_REQUEST_INVALID);
    expect_code("w", AW_OP_CDT_READ, CTX_OP, with_ctx(&o, CTX(I(0x10), I(1)), AW_LIST_CLEAR, NULL, 0),
                2, AW_ERR_REQUEST_INVALID);
    expect_code("wm", AW_OP_CDT_MODIFY, CTX_OP,
                with_ctx(&o, CTX(I(0x22 | 0x40), S("new")), AW_LIST_SIZE, NULL, 0), 2,
                AW_ERR_REQUEST_INVALID);
    aw_value whole[] = {I(0)};
    aw_value left = aw_value_list(items, 2);
    expect_result("w", AW_OP_CDT_READ, AW_LIST_GET_RANGE, whole, 1, &left);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_commands_as_captured),
        cmocka_unit_test(test_map_commands_as_captured),
        cmocka_unit_test(test_map_edges_from_server_source),
        cmocka_unit_test(test_map_refusals),
        cmocka_unit_test(test_hll_commands_as_captured),
        cmocka_unit_test(test_mixed_commands_as_captured),
        cmocka_unit_test(test_context_commands_as_captured),
        cmocka_unit_test(test_list_edges_from_server_source),
        cmocka_unit_test(test_ordered_list_edges_from_server_source),
        cmocka_unit_test(test_context_edges_from_server_source),
        cmocka_unit_test(test_op_type_mismatch_is_parameter),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
