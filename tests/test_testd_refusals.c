/*
 * aw-testd never claims what it does not do: a request it does not
 * implement is refused with 16 UNSUPPORTED_FEATURE and changes nothing
 * (docs/testd.md "What it refuses"), and what it does implement of the
 * requests it used to ignore (CDT write flags, map return types incl.
 * KEY_VALUE, read-touch-TTL percent) answers as the real server did in the
 * official C client's captures (tests/data/official-c-client-cdt.json).
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
#include "proto/batch.h"
#include "proto/frame.h"
#include "proto/msg.h"
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

static uint16_t port(void) { return server.ports[0]; }

static aw_key key_of(const char *s) {
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, "test", "refuse", s, &err), AW_OK);
    return k;
}

static int send_req(aw_buf *req, tu_reply *r) { return tu_exec_free(port(), req, r); }

/* Creates k with int bin "i" = 1 (generation 1). */
static void make_record(const aw_key *k) {
    aw_bin bins[] = {{"i", aw_value_int(1)}};
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_write(&req, k, bins, 1, NULL, &err), AW_OK);
    tu_reply r;
    assert_int_equal(send_req(&req, &r), 0);
    tu_reply_free(&r);
}

/* Generation of k (0 when it is not there) and its bin "i" in *i. */
static uint32_t record_gen(const aw_key *k, int64_t *i) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_read(&req, k, NULL, 0, NULL, &err), AW_OK);
    tu_reply r;
    int code = send_req(&req, &r);
    uint32_t gen = code == 0 ? r.gen : 0;
    const aw_op_view *op = code == 0 ? tu_reply_op(&r, "i") : NULL;
    if (i)
        *i = op && op->value_len == 8 ? (int64_t)aw_load_u64be(op->value) : -1;
    tu_reply_free(&r);
    return gen;
}

/* Sends req (freed), expects 16 with generation 0, and k still as
 * make_record left it. */
static void expect_refused(aw_buf *req, const aw_key *k) {
    tu_reply r;
    assert_int_equal(send_req(req, &r), AW_ERR_UNSUPPORTED_FEATURE);
    assert_int_equal(r.gen, 0);
    assert_int_equal(r.n_ops, 0);
    tu_reply_free(&r);
    int64_t i;
    assert_int_equal(record_gen(k, &i), 1);
    assert_int_equal(i, 1);
}

/* Inserts a field after the fields of the request frame in req (proto
 * header + message), as a client adds a filter expression or a UDF call. */
static void add_field(aw_buf *req, uint8_t type, const void *data, uint32_t len) {
    uint8_t *m = req->data + AW_PROTO_HEADER_SIZE;
    uint16_t n_fields = aw_load_u16be(m + 18);
    size_t at = AW_PROTO_HEADER_SIZE + AW_MSG_HEADER_SIZE;
    for (uint16_t i = 0; i < n_fields; i++)
        at += 4 + aw_load_u32be(req->data + at);
    size_t tail = req->len - at;
    assert_non_null(aw_buf_grow(req, 5 + len));
    memmove(req->data + at + 5 + len, req->data + at, tail);
    aw_store_u32be(req->data + at, len + 1);
    req->data[at + 4] = type;
    memcpy(req->data + at + 5, data, len);
    aw_store_u16be(req->data + AW_PROTO_HEADER_SIZE + 18, (uint16_t)(n_fields + 1));
    uint64_t size = req->len - AW_PROTO_HEADER_SIZE;
    for (int b = 0; b < 6; b++)
        req->data[2 + b] = (uint8_t)(size >> (8 * (5 - b)));
}

/* A filter expression that is never true: msgpack false. */
static const uint8_t FILTER_FALSE[] = {0xc2};

/* Sends req (freed), expects 27 FILTERED_OUT with generation `gen`, and k
 * still as make_record left it. */
static void expect_filtered_out(aw_buf *req, const aw_key *k, uint32_t gen) {
    tu_reply r;
    assert_int_equal(send_req(req, &r), AW_FILTERED_OUT);
    assert_int_equal(r.gen, gen);
    assert_int_equal(r.n_ops, 0);
    tu_reply_free(&r);
    int64_t i;
    assert_int_equal(record_gen(k, &i), 1);
    assert_int_equal(i, 1);
}

/* A delete whose filter does not match: the real server answers 27 and keeps
 * the record (capture delete_filter_false, no generation in a delete's
 * reply); a write and a read likewise, with the record's generation
 * (put_filter_false, get_filter_false). */
static void test_false_filter_changes_nothing(void **state) {
    (void)state;
    aw_key k = key_of("filter");
    make_record(&k);
    aw_error err;

    aw_buf req;
    aw_buf_init(&req);
    assert_int_equal(aw_req_delete(&req, &k, NULL, &err), AW_OK);
    add_field(&req, AW_FIELD_FILTER, FILTER_FALSE, sizeof FILTER_FALSE);
    expect_filtered_out(&req, &k, 0); /* still there, unchanged */

    aw_bin bins[] = {{"i", aw_value_int(2)}};
    aw_buf_init(&req);
    assert_int_equal(aw_req_write(&req, &k, bins, 1, NULL, &err), AW_OK);
    add_field(&req, AW_FIELD_FILTER, FILTER_FALSE, sizeof FILTER_FALSE);
    expect_filtered_out(&req, &k, 1);

    aw_buf_init(&req);
    assert_int_equal(aw_req_read(&req, &k, NULL, 0, NULL, &err), AW_OK);
    add_field(&req, AW_FIELD_FILTER, FILTER_FALSE, sizeof FILTER_FALSE);
    expect_filtered_out(&req, &k, 1);
}

/* A UDF call on a single record (fields 30-32) is refused, not run as an
 * empty write. */
static void test_udf_fields_refused(void **state) {
    (void)state;
    aw_key k = key_of("udf");
    make_record(&k);
    aw_error err;
    aw_buf req;
    aw_buf_init(&req);
    aw_bin bins[] = {{"i", aw_value_int(5)}};
    assert_int_equal(aw_req_write(&req, &k, bins, 1, NULL, &err), AW_OK);
    add_field(&req, AW_FIELD_UDF_PACKAGE, "pkg", 3);
    expect_refused(&req, &k);
}

/* A batch carrying a filter expression for every row: each row the filter
 * rejects answers 27 (batch_read_filter_i_even) and is not carried out. */
static void test_batch_filter_rejects_row(void **state) {
    (void)state;
    aw_key k = key_of("batch-filter");
    make_record(&k);
    aw_batch_row row = {.index = 0, .key = &k, .kind = AW_BATCH_DELETE};
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_batch(&req, &row, 1, NULL, &err), AW_OK);
    add_field(&req, AW_FIELD_FILTER, FILTER_FALSE, sizeof FILTER_FALSE);
    int fd = tu_connect(port());
    assert_true(fd >= 0);
    assert_int_equal(tu_send(fd, req.data, req.len), 0);
    aw_buf_free(&req);
    size_t len;
    uint8_t *frame = tu_recv_frame(fd, &len, 2000);
    assert_non_null(frame);
    aw_msg_view m;
    size_t used;
    assert_int_equal(aw_msg_parse(frame + 8, len - 8, &m, &used, NULL), AW_OK);
    assert_int_equal(used, len - 8); /* the row's message, then a LAST frame */
    assert_false(m.h.info3 & AW_INFO3_LAST);
    assert_int_equal(m.h.result_code, AW_FILTERED_OUT);
    assert_int_equal(m.h.transaction_ttl, 0); /* row index */
    free(frame);
    frame = tu_recv_frame(fd, &len, 2000);
    assert_non_null(frame);
    assert_int_equal(aw_msg_parse(frame + 8, len - 8, &m, &used, NULL), AW_OK);
    assert_true(m.h.info3 & AW_INFO3_LAST);
    assert_int_equal(m.h.result_code, AW_OK);
    free(frame);
    close(fd);
    assert_int_equal(record_gen(&k, NULL), 1); /* the row's delete did not run */
}

/* A row's own filter replaces the batch's for that row
 * (rw_utils.c handle_meta_filter: FROM_BATCH takes the row's field 43 when
 * it has one, else the batch's): the batch says true, row 0 says false, row
 * 1 says nothing. */
static void test_row_filter_replaces_batch_filter(void **state) {
    (void)state;
    aw_key k = key_of("row-filter");
    make_record(&k);
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *yes, *no;
    aw_error err;
    assert_int_equal(aw_exp_compile(b, aw_exp_bool(b, true), &yes, &err), AW_OK);
    assert_int_equal(aw_exp_compile(b, aw_exp_bool(b, false), &no, &err), AW_OK);
    aw_req_opts row_opts = aw_req_opts_default();
    row_opts.filter = no;
    aw_batch_row rows[2] = {{.index = 0, .key = &k, .kind = AW_BATCH_READ, .opts = &row_opts},
                            {.index = 1, .key = &k, .kind = AW_BATCH_READ}};
    aw_batch_opts bo = {.filter = yes};
    aw_buf req;
    aw_buf_init(&req);
    assert_int_equal(aw_req_batch(&req, rows, 2, &bo, &err), AW_OK);
    int fd = tu_connect(port());
    assert_true(fd >= 0);
    assert_int_equal(tu_send(fd, req.data, req.len), 0);
    aw_buf_free(&req);
    size_t len;
    uint8_t *frame = tu_recv_frame(fd, &len, 2000);
    assert_non_null(frame);
    aw_msg_view m;
    size_t used, at = 8;
    int codes[2] = {-1, -1};
    while (at < len) {
        assert_int_equal(aw_msg_parse(frame + at, len - at, &m, &used, NULL), AW_OK);
        assert_true(m.h.transaction_ttl < 2);
        codes[m.h.transaction_ttl] = m.h.result_code;
        at += used;
    }
    assert_int_equal(codes[0], AW_FILTERED_OUT);
    assert_int_equal(codes[1], AW_OK);
    free(frame);
    close(fd);
    aw_exp_free(yes);
    aw_exp_free(no);
    aw_exp_builder_free(b);
}

/* An XDR write is refused: aw-testd has no XDR semantics. */
static void test_xdr_write_refused(void **state) {
    (void)state;
    aw_key k = key_of("xdr");
    make_record(&k);
    uint8_t v[8];
    aw_store_u64be(v, 9);
    tu_raw_op op = {AW_OP_WRITE, AW_PT_INTEGER, "i", 1, v, 8};
    aw_buf req;
    aw_buf_init(&req);
    tu_raw_request(&req, &k, false, AW_INFO1_XDR, AW_INFO2_WRITE, 0, 0, 0, &op, 1);
    expect_refused(&req, &k);
}

/* Maps with a persisted value index (by set-type or the create attributes
 * of a put) and unordered lists with a persisted index (set by set-type, or
 * by the create flags of an append or increment) are refused; a code the
 * server does not know is PARAMETER, as it answers. */
static void test_unserved_cdt_refused(void **state) {
    (void)state;
    aw_key k = key_of("cdt");
    aw_value items[] = {aw_value_int(3), aw_value_int(1)};
    aw_op put = aw_op_list_append_items("l", aw_value_list(items, 2));
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_operate(&req, &k, &put, 1, NULL, &err), AW_OK);
    tu_reply r;
    assert_int_equal(send_req(&req, &r), 0);
    tu_reply_free(&r);

    aw_value order_args[] = {aw_value_int(1)};
    /* A persisted index on an unordered list (0x10): CE 8.1.2.0 crashes. */
    aw_value persist_args[] = {aw_value_int(0x10)};
    aw_value create_persist[] = {aw_value_int(7), aw_value_int(0x10), aw_value_int(0)};
    aw_value incr_create_persist[] = {aw_value_int(0), aw_value_int(5), aw_value_int(0x10)};
    /* A map with a persisted value index (0x13) takes server code paths
     * aw-testd does not model. */
    aw_value map_create_kv_persist[] = {aw_value_int(1), aw_value_int(2), aw_value_int(0x13)};
    aw_value map_set_kv_persist[] = {aw_value_int(0x13)};
    struct {
        const char *bin;
        uint16_t code;
        aw_value *args;
        uint8_t n;
        int want;
    } cases[] = {
        {"o", AW_LIST_INCREMENT, incr_create_persist, 3, AW_ERR_UNSUPPORTED_FEATURE},
        {"l", AW_LIST_SET_TYPE, persist_args, 1, AW_ERR_UNSUPPORTED_FEATURE},
        {"m", AW_MAP_SET_TYPE, map_set_kv_persist, 1, AW_ERR_UNSUPPORTED_FEATURE},
        {"n", AW_LIST_APPEND, create_persist, 3, AW_ERR_UNSUPPORTED_FEATURE},
        {"m", AW_MAP_PUT, map_create_kv_persist, 3, AW_ERR_UNSUPPORTED_FEATURE},
        /* Select / modify by path is served (test_testd_path.c); one whose
         * path is not a list is PARAMETER, as CE 8.1.2.0 answers. */
        {"l", 0xfe, order_args, 1, AW_ERR_REQUEST_INVALID},
        {"l", 200, NULL, 0, AW_ERR_REQUEST_INVALID},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        aw_op op = aw_op_cdt(AW_OP_CDT_MODIFY, cases[c].bin, cases[c].code, cases[c].args,
                             cases[c].n);
        aw_buf_init(&req);
        assert_int_equal(aw_req_operate(&req, &k, &op, 1, NULL, &err), AW_OK);
        int code = send_req(&req, &r);
        if (code != cases[c].want)
            fail_msg("cdt code %u: result %d, want %d", cases[c].code, code, cases[c].want);
        tu_reply_free(&r);
    }
    assert_int_equal(record_gen(&k, NULL), 1);
}

/* Read-touch-TTL percent (read_touch.c): a record written with TTL 100 and
 * read with 20% when 15 s are left is touched: its void time moves to now +
 * 100, its generation stays; the read's own reply shows the old void time.
 * With 90 s left it is not touched; a percentage over 100 is PARAMETER. */
static void test_read_touch_ttl_percent(void **state) {
    (void)state;
    char *clock = tu_info(port(), "testd-clock:freeze=1");
    free(clock);
    aw_key k = key_of("touch");
    aw_bin bins[] = {{"i", aw_value_int(1)}};
    aw_req_opts w = aw_req_opts_default();
    w.ttl = 100;
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_write(&req, &k, bins, 1, &w, &err), AW_OK);
    tu_reply r;
    assert_int_equal(send_req(&req, &r), 0);
    uint32_t written = r.void_time;
    tu_reply_free(&r);

    aw_req_opts rd = aw_req_opts_default();
    rd.ttl = 20;
    free(tu_info(port(), "testd-clock:advance=10"));
    aw_buf_init(&req);
    assert_int_equal(aw_req_read_header(&req, &k, &rd, &err), AW_OK);
    assert_int_equal(send_req(&req, &r), 0);
    assert_int_equal(r.void_time, written); /* 90 s left: no touch */
    tu_reply_free(&r);

    free(tu_info(port(), "testd-clock:advance=75"));
    aw_buf_init(&req);
    assert_int_equal(aw_req_read_header(&req, &k, &rd, &err), AW_OK);
    assert_int_equal(send_req(&req, &r), 0);
    assert_int_equal(r.void_time, written); /* the touch comes after the reply */
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);

    aw_buf_init(&req);
    assert_int_equal(aw_req_read_header(&req, &k, NULL, &err), AW_OK);
    assert_int_equal(send_req(&req, &r), 0);
    assert_int_equal(r.void_time, written + 85); /* now + 100 */
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);

    rd.ttl = 101;
    aw_buf_init(&req);
    assert_int_equal(aw_req_read_header(&req, &k, &rd, &err), AW_OK);
    assert_int_equal(send_req(&req, &r), AW_ERR_REQUEST_INVALID);
    tu_reply_free(&r);
    free(tu_info(port(), "testd-clock:freeze=0"));
}

/* Replays the captured commands from `first` to `last` (capture order) and
 * requires the real server's reply to each (void times aside); returns how
 * many there were. */
static size_t replay_range(const char *first, const char *last) {
    tu_replay_counts n =
        tu_replay_capture(port(), "official-c-client-cdt.json", first, last, NULL);
    assert_int_equal(n.wrong, 0);
    assert_true(n.matched >= 2);
    return n.matched;
}

/* List write flags: ADD_UNIQUE (24, NO_FAIL, PARTIAL, duplicates inside the
 * items: 26), INSERT_BOUNDED (26, NO_FAIL), on append, append_items, insert,
 * insert_items and set. */
static void test_list_write_flags_as_captured(void **state) {
    (void)state;
    replay_range("list_append_creates_record", "list_set_negative_out_of_bounds");
}

/* Map write flags: CREATE_ONLY (24), UPDATE_ONLY (23), NO_FAIL, PARTIAL on
 * put and put_items, the legacy add/replace codes, and the key checks. */
static void test_map_write_flags_as_captured(void **state) {
    (void)state;
    replay_range("map_put_creates_record", "map_put_int_and_blob_keys");
}

/* Single-entry map reads under every return type but the rank ones:
 * KEY_VALUE is a map with the 0x08 ext, ORDERED_MAP one with 0x01,
 * INVERTED is 26, a missing key gives -1 / empty maps. */
static void test_map_return_types_as_captured(void **state) {
    (void)state;
    replay_range("map_put_mr", "map_get_by_key_rev_index");
    replay_range("map_get_by_key_count", "map_get_by_key_inverted");
    replay_range("map_get_by_index_none", "map_get_by_index_rev_index");
    replay_range("map_get_by_index_count", "map_get_by_index_inverted");
}

/* Every bit command of the capture, in its order: resize/insert/remove with
 * their flags, set/or/xor/and/not/shifts (PARTIAL, NO_FAIL, past the end:
 * 26), integers (signed, overflow FAIL 26 / SATURATE / WRAP, 65 bits: 4),
 * reads (get/count/scans/get_int, negative and unaligned offsets), missing
 * bins (17, or created by resize and insert), CREATE_ONLY (6), wrong bin
 * types (12), a context (4), a missing record (2). The combo_* commands that
 * follow, which mix in HLL ops, are replayed by test_testd_cdt_replay. */
static void test_bit_ops_as_captured(void **state) {
    (void)state;
    assert_int_equal(replay_range("bit_resize_creates", "bit_get_missing_record"), 50);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_false_filter_changes_nothing),
        cmocka_unit_test(test_udf_fields_refused),
        cmocka_unit_test(test_batch_filter_rejects_row),
        cmocka_unit_test(test_row_filter_replaces_batch_filter),
        cmocka_unit_test(test_xdr_write_refused),
        cmocka_unit_test(test_unserved_cdt_refused),
        cmocka_unit_test(test_read_touch_ttl_percent),
        cmocka_unit_test(test_list_write_flags_as_captured),
        cmocka_unit_test(test_map_write_flags_as_captured),
        cmocka_unit_test(test_map_return_types_as_captured),
        cmocka_unit_test(test_bit_ops_as_captured),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
