/* The batch reply stream: the captured batch replies of the official client's
 * session with a real server, fed through the reader with a record-building
 * sink, against what the captures' `inputs` say was written; then reordered,
 * cut and corrupted streams. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/record.h"
#include "proto/batch.h"
#include "proto/reply.h"
#include "support/testutil.h"

/* ---- capture helpers --------------------------------------------------- */

static json_t *inputs_of(const char *label) {
    return json_object_get(tu_command(label), "inputs");
}

static size_t n_frames(const char *label) {
    return json_array_size(json_object_get(tu_command(label), "reply_hex"));
}


/* Length of the well-formed message at p, walked here independently of the
 * parser under test: 22-byte header, then n_fields + n_ops sized items. */
static size_t message_len(const uint8_t *p) {
    size_t items = (size_t)(p[18] << 8 | p[19]) + (size_t)(p[20] << 8 | p[21]);
    size_t off = 22;
    for (size_t i = 0; i < items; i++) {
        uint32_t sz = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
                      (uint32_t)p[off + 2] << 8 | p[off + 3];
        off += 4 + sz;
    }
    return off;
}

/* Parses "a..b" from an inputs string: the first key and the count. */
static uint32_t key_range(const char *s, uint32_t *first) {
    unsigned a, b;
    const char *dots = strstr(s, "..");
    assert_non_null(dots);
    const char *start = dots;
    while (start > s && start[-1] >= '0' && start[-1] <= '9')
        start--;
    assert_int_equal(sscanf(start, "%u..%u", &a, &b), 2);
    *first = a;
    return b - a + 1;
}

static void expect_blob_hex(const aw_value *v, const char *hex) {
    size_t n;
    uint8_t *b = tu_hex_decode(hex, &n);
    assert_int_equal(v->type, AW_BLOB);
    assert_int_equal(v->len, n);
    assert_memory_equal(v->u.bytes, b, n);
    free(b);
}

/* A bin against a sensor row's JSON input: reals, integers, "blob <hex>". */
static void expect_sensor_value(const aw_value *v, json_t *j) {
    if (json_is_real(j)) {
        assert_int_equal(v->type, AW_FLOAT);
        assert_true(v->u.f == json_real_value(j));
    } else if (json_is_integer(j)) {
        assert_int_equal(v->type, AW_INT);
        assert_int_equal(v->u.i, json_integer_value(j));
    } else {
        const char *s = json_string_value(j);
        assert_non_null(s);
        assert_int_equal(strncmp(s, "blob ", 5), 0);
        expect_blob_hex(v, s + 5);
    }
}

static const aw_bin *find_bin(const aw_record *rec, const char *name) {
    for (uint32_t i = 0; i < rec->n_bins; i++)
        if (strcmp(rec->bins[i].name, name) == 0)
            return &rec->bins[i];
    return NULL;
}

/* ---- the record-building sink ------------------------------------------ */

typedef struct sink {
    uint32_t n;
    int *seen;         /* times each index was delivered */
    int *result;       /* each row's result code */
    aw_record *recs;
    uint32_t calls;
    uint32_t out_of_range; /* indexes the reader should never have passed */
    uint32_t abort_at;     /* return 42 on this call (1-based); 0 = never */
    aw_decode_limits lim;
} sink;

static void sink_init(sink *s, uint32_t n) {
    memset(s, 0, sizeof *s);
    s->n = n;
    s->seen = calloc(n ? n : 1, sizeof *s->seen);
    s->result = calloc(n ? n : 1, sizeof *s->result);
    s->recs = calloc(n ? n : 1, sizeof *s->recs);
}

static void sink_free(sink *s) {
    for (uint32_t i = 0; i < s->n; i++)
        aw_record_free(&s->recs[i]);
    free(s->seen);
    free(s->result);
    free(s->recs);
}

static int sink_row(void *ctx, uint32_t index, const aw_msg_view *m) {
    sink *s = ctx;
    s->calls++;
    if (index >= s->n) {
        s->out_of_range++;
        return -999;
    }
    s->seen[index]++;
    s->result[index] = m->h.result_code;
    if (s->seen[index] == 1) {
        int rc = aw_record_from_msg(m, &s->lim, &s->recs[index], NULL);
        if (rc != AW_OK)
            return rc;
    }
    if (s->abort_at && s->calls == s->abort_at)
        return 42;
    return 0;
}

/* Feeds every captured frame of a batch command, in order. */
static void feed_capture(const char *label, aw_batch_reader *r, sink *s) {
    size_t frames = n_frames(label);
    for (size_t f = 0; f < frames; f++) {
        assert_false(r->done);
        size_t len;
        uint8_t *body = tu_reply_body(label, f, &len);
        aw_error err;
        int rc = aw_batch_reader_feed(r, body, len, sink_row, s, &err);
        if (rc != AW_OK)
            fail_msg("%s frame %zu: %s", label, f, err.message);
        free(body);
    }
    assert_true(r->done);
    assert_int_equal(r->last_result, 0);
    assert_int_equal(s->out_of_range, 0);
    for (uint32_t i = 0; i < s->n; i++)
        assert_int_equal(s->seen[i], 1); /* each index exactly once */
    assert_int_equal(r->rows_seen, s->n);
}

static json_t *sensor_bins(uint32_t key) {
    char label[64];
    snprintf(label, sizeof label, "put_sensor_row_%u", key);
    return json_object_get(inputs_of(label), "bins");
}

/* Rows for keys that were written hold their put_sensor_row_N bins (all of
 * them, or just `only`); the others are "not found" with no bins. */
static void check_sensor_rows(const sink *s, uint32_t first_key, json_t *only) {
    for (uint32_t i = 0; i < s->n; i++) {
        uint32_t key = first_key + i;
        const aw_record *rec = &s->recs[i];
        if (key > 99) { /* put_sensor_row_0..99 are the only rows written */
            assert_int_equal(s->result[i], AW_ERR_RECORD_NOT_FOUND);
            assert_int_equal(rec->n_bins, 0);
            continue;
        }
        assert_int_equal(s->result[i], AW_OK);
        assert_int_equal(rec->gen, 1);
        json_t *bins = sensor_bins(key);
        if (only) {
            assert_int_equal(rec->n_bins, json_array_size(only));
            for (size_t b = 0; b < json_array_size(only); b++) {
                const char *name = json_string_value(json_array_get(only, b));
                assert_string_equal(rec->bins[b].name, name);
                expect_sensor_value(&rec->bins[b].value, json_object_get(bins, name));
            }
        } else {
            assert_int_equal(rec->n_bins, json_object_size(bins));
            const char *name;
            json_t *v;
            json_object_foreach(bins, name, v) {
                const aw_bin *b = find_bin(rec, name);
                if (!b)
                    fail_msg("row %u (key %u): no bin %s", i, key, name);
                expect_sensor_value(&b->value, v);
            }
        }
    }
}

/* ---- the captured replies ---------------------------------------------- */

static void test_batch_get_all_bins(void **state) {
    (void)state;
    uint32_t first;
    uint32_t n = key_range(json_string_value(json_object_get(inputs_of("batch_get_all_bins"), "keys")),
                           &first);
    assert_int_equal(n, 10);
    aw_batch_reader r;
    aw_batch_reader_init(&r, n);
    sink s;
    sink_init(&s, n);
    feed_capture("batch_get_all_bins", &r, &s);
    check_sensor_rows(&s, first, NULL);
    sink_free(&s);
}

static void test_batch_get_bins(void **state) {
    (void)state;
    json_t *in = inputs_of("batch_get_bins");
    uint32_t first;
    uint32_t n = key_range(json_string_value(json_object_get(in, "keys")), &first);
    aw_batch_reader r;
    aw_batch_reader_init(&r, n);
    sink s;
    sink_init(&s, n);
    feed_capture("batch_get_bins", &r, &s);
    check_sensor_rows(&s, first, json_object_get(in, "bins"));
    sink_free(&s);
}

static void test_batch_exists(void **state) {
    (void)state;
    uint32_t first;
    uint32_t n = key_range(json_string_value(json_object_get(inputs_of("batch_exists"), "keys")),
                           &first);
    aw_batch_reader r;
    aw_batch_reader_init(&r, n);
    sink s;
    sink_init(&s, n);
    feed_capture("batch_exists", &r, &s);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(s.result[i], first + i <= 99 ? AW_OK : AW_ERR_RECORD_NOT_FOUND);
        assert_int_equal(s.recs[i].n_bins, 0);
        assert_int_equal(s.recs[i].gen, first + i <= 99 ? 1 : 0);
    }
    sink_free(&s);
}

static void test_batch_read_100_all_bins(void **state) {
    (void)state;
    uint32_t first;
    uint32_t n = key_range(
        json_string_value(json_object_get(inputs_of("batch_read_100_all_bins"), "keys")), &first);
    assert_int_equal(n, 100);
    aw_batch_reader r;
    aw_batch_reader_init(&r, n);
    sink s;
    sink_init(&s, n);
    feed_capture("batch_read_100_all_bins", &r, &s);
    check_sensor_rows(&s, first, NULL);
    sink_free(&s);
}

static void test_batch_write_3_delete_1(void **state) {
    (void)state;
    json_t *in = inputs_of("batch_write_3_delete_1");
    uint32_t first;
    uint32_t writes = key_range(json_string_value(json_object_get(in, "writes")), &first);
    assert_int_equal(writes, 3);
    uint32_t n = writes + 1; /* then one delete */
    aw_batch_reader r;
    aw_batch_reader_init(&r, n);
    sink s;
    sink_init(&s, n);
    feed_capture("batch_write_3_delete_1", &r, &s);
    for (uint32_t i = 0; i < writes; i++) {
        /* Write rows answer every op (RESPOND_ALL_OPS): bin "v", no value. */
        assert_int_equal(s.result[i], AW_OK);
        assert_int_equal(s.recs[i].n_bins, 1);
        assert_string_equal(s.recs[i].bins[0].name, "v");
        assert_int_equal(s.recs[i].bins[0].value.type, AW_NIL);
        assert_int_equal(s.recs[i].gen, 1);
    }
    assert_int_equal(s.result[writes], AW_OK);
    assert_int_equal(s.recs[writes].n_bins, 0);
    sink_free(&s);
}

/* ---- reordered and re-framed streams ----------------------------------- */

/* Splits a body of well-formed messages; returns the count. */
static size_t split(const uint8_t *body, size_t len, size_t *starts, size_t max) {
    size_t n = 0, off = 0;
    while (off < len) {
        assert_true(n < max);
        starts[n++] = off;
        off += message_len(body + off);
    }
    assert_int_equal(off, len);
    starts[n] = len;
    return n;
}

/* Rows arrive in any order: the same rows reversed and interleaved, with the
 * LAST message in the same body, give the same results. Then every message
 * in a frame of its own. */
static void test_any_order_any_framing(void **state) {
    (void)state;
    size_t len, last_len;
    uint8_t *body = tu_reply_body("batch_get_all_bins", 0, &len);
    uint8_t *last = tu_reply_body("batch_get_all_bins", 1, &last_len);
    size_t starts[64];
    size_t n = split(body, len, starts, 63);
    assert_int_equal(n, 10);

    uint8_t *mixed = malloc(len + last_len);
    size_t off = 0;
    for (size_t k = 0; k < n; k++) {
        size_t m = (k % 2) ? k / 2 : n - 1 - k / 2; /* 9, 0, 8, 1, 7, 2, ... */
        memcpy(mixed + off, body + starts[m], starts[m + 1] - starts[m]);
        off += starts[m + 1] - starts[m];
    }
    memcpy(mixed + off, last, last_len);
    aw_batch_reader r;
    aw_batch_reader_init(&r, 10);
    sink s;
    sink_init(&s, 10);
    aw_error err;
    assert_int_equal(aw_batch_reader_feed(&r, mixed, len + last_len, sink_row, &s, &err), AW_OK);
    assert_true(r.done);
    assert_int_equal(r.rows_seen, 10);
    for (uint32_t i = 0; i < 10; i++)
        assert_int_equal(s.seen[i], 1);
    check_sensor_rows(&s, 95, NULL);
    sink_free(&s);

    aw_batch_reader_init(&r, 10);
    sink_init(&s, 10);
    for (size_t k = 0; k < n; k++) {
        size_t ml = starts[k + 1] - starts[k];
        uint8_t *one = malloc(ml);
        memcpy(one, body + starts[k], ml);
        assert_int_equal(aw_batch_reader_feed(&r, one, ml, sink_row, &s, &err), AW_OK);
        free(one);
        assert_false(r.done);
    }
    assert_int_equal(aw_batch_reader_feed(&r, last, last_len, sink_row, &s, &err), AW_OK);
    assert_true(r.done);
    check_sensor_rows(&s, 95, NULL);
    sink_free(&s);
    free(mixed);
    free(last);
    free(body);
}

static void test_zero_length_body(void **state) {
    (void)state;
    aw_batch_reader r;
    aw_batch_reader_init(&r, 10);
    sink s;
    sink_init(&s, 10);
    uint8_t dummy = 0;
    assert_int_equal(aw_batch_reader_feed(&r, &dummy, 0, sink_row, &s, NULL), AW_OK);
    assert_int_equal(aw_batch_reader_feed(&r, NULL, 0, sink_row, &s, NULL), AW_OK);
    assert_false(r.done);
    assert_int_equal(r.rows_seen, 0);
    assert_int_equal(s.calls, 0);
    sink_free(&s);
}

/* ---- hostile streams --------------------------------------------------- */

static void test_index_out_of_range(void **state) {
    (void)state;
    size_t len;
    uint8_t *body = tu_reply_body("batch_get_all_bins", 0, &len);
    aw_batch_reader r;
    aw_batch_reader_init(&r, 9); /* the reply carries indexes 0..9 */
    sink s;
    sink_init(&s, 10);
    aw_error err;
    assert_int_equal(aw_batch_reader_feed(&r, body, len, sink_row, &s, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "index 9"));
    assert_int_equal(s.out_of_range, 0); /* never reached the sink */
    assert_int_equal(s.calls, 9);
    sink_free(&s);

    /* An index of 0xffffffff. */
    uint8_t msg[22] = {22};
    msg[14] = msg[15] = msg[16] = msg[17] = 0xff;
    aw_batch_reader_init(&r, 10);
    sink_init(&s, 10);
    assert_int_equal(aw_batch_reader_feed(&r, msg, sizeof msg, sink_row, &s, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "4294967295"));
    assert_int_equal(s.calls, 0);
    sink_free(&s);
    free(body);
}

static void test_bytes_after_last(void **state) {
    (void)state;
    size_t len, last_len;
    uint8_t *row = tu_reply_body("batch_get_all_bins", 0, &len);
    uint8_t *last = tu_reply_body("batch_get_all_bins", 1, &last_len);
    size_t row_len = message_len(row);
    aw_error err;
    aw_batch_reader r;
    sink s;

    /* LAST then one stray byte. */
    uint8_t *p = malloc(last_len + row_len);
    memcpy(p, last, last_len);
    p[last_len] = 0;
    aw_batch_reader_init(&r, 10);
    sink_init(&s, 10);
    assert_int_equal(aw_batch_reader_feed(&r, p, last_len + 1, sink_row, &s, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "after the LAST"));
    sink_free(&s);

    /* LAST then a whole row message. */
    memcpy(p + last_len, row, row_len);
    aw_batch_reader_init(&r, 10);
    sink_init(&s, 10);
    assert_int_equal(aw_batch_reader_feed(&r, p, last_len + row_len, sink_row, &s, &err),
                     AW_ERR_PROTO);
    assert_int_equal(s.calls, 0);
    sink_free(&s);

    /* A frame after the one that held LAST. */
    aw_batch_reader_init(&r, 10);
    sink_init(&s, 10);
    assert_int_equal(aw_batch_reader_feed(&r, last, last_len, sink_row, &s, &err), AW_OK);
    assert_true(r.done);
    assert_int_equal(aw_batch_reader_feed(&r, row, row_len, sink_row, &s, &err), AW_ERR_PROTO);
    assert_int_equal(aw_batch_reader_feed(&r, last, last_len, sink_row, &s, &err), AW_ERR_PROTO);
    assert_int_equal(s.calls, 0);
    sink_free(&s);
    free(p);
    free(last);
    free(row);
}

/* A whole-batch error is one LAST message carrying the code. */
static void test_last_with_error(void **state) {
    (void)state;
    uint8_t msg[22] = {22};
    msg[3] = 0x01;                      /* LAST */
    msg[5] = AW_ERR_BATCH_MAX_REQUESTS; /* 151 */
    aw_batch_reader r;
    aw_batch_reader_init(&r, 5);
    assert_int_equal(aw_batch_reader_feed(&r, msg, sizeof msg, NULL, NULL, NULL), AW_OK);
    assert_true(r.done);
    assert_int_equal(r.last_result, AW_ERR_BATCH_MAX_REQUESTS);
    assert_int_equal(r.rows_seen, 0);
}

/* Every cut of a captured body: at a message boundary the rows before it are
 * delivered and the feed succeeds; anywhere else it is a protocol error. */
static void cut_everywhere(const char *label, uint32_t n_rows, size_t stride) {
    size_t len;
    uint8_t *body = tu_reply_body(label, 0, &len);
    size_t starts[256];
    size_t n = split(body, len, starts, 255);
    size_t boundary = 0;
    for (size_t cut = 0; cut < len; cut++) {
        while (boundary < n && starts[boundary] < cut)
            boundary++;
        bool at_boundary = boundary <= n && starts[boundary] == cut;
        if (!at_boundary && stride > 1 && cut % stride != 0)
            continue;
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, body, cut);
        aw_batch_reader r;
        aw_batch_reader_init(&r, n_rows);
        sink s;
        sink_init(&s, n_rows);
        aw_error err;
        int rc = aw_batch_reader_feed(&r, p, cut, sink_row, &s, &err);
        if (at_boundary) {
            if (rc != AW_OK)
                fail_msg("%s cut at boundary %zu: %s", label, cut, err.message);
            assert_int_equal(r.rows_seen, boundary);
        } else {
            if (rc != AW_ERR_PROTO)
                fail_msg("%s cut at %zu: rc %d", label, cut, rc);
            assert_int_equal(r.rows_seen, boundary - 1);
        }
        assert_false(r.done);
        sink_free(&s);
        free(p);
    }
    free(body);
}

static void test_truncated_messages(void **state) {
    (void)state;
    cut_everywhere("batch_get_all_bins", 10, 1);
    cut_everywhere("batch_write_3_delete_1", 4, 1);
    cut_everywhere("batch_read_100_all_bins", 100, 7);
}

static void test_on_row_abort(void **state) {
    (void)state;
    size_t len;
    uint8_t *body = tu_reply_body("batch_get_all_bins", 0, &len);
    aw_batch_reader r;
    aw_batch_reader_init(&r, 10);
    sink s;
    sink_init(&s, 10);
    s.abort_at = 3;
    assert_int_equal(aw_batch_reader_feed(&r, body, len, sink_row, &s, NULL), 42);
    assert_int_equal(s.calls, 3);
    assert_int_equal(r.rows_seen, 3);
    assert_false(r.done);
    sink_free(&s);
    free(body);
}

/* A row whose bins are over the sink's cap: the sink's error stops the feed. */
static void test_row_over_cap(void **state) {
    (void)state;
    size_t len;
    uint8_t *body = tu_reply_body("batch_get_all_bins", 0, &len);
    aw_batch_reader r;
    aw_batch_reader_init(&r, 10);
    sink s;
    sink_init(&s, 10);
    s.lim.max_record_bytes = 64;
    int rc = aw_batch_reader_feed(&r, body, len, sink_row, &s, NULL);
    assert_true(rc == AW_ERR_PROTO || rc == AW_ERR_NOMEM);
    assert_int_equal(s.calls, 1);
    sink_free(&s);
    free(body);
}

/* Failing the Nth allocation while the sink builds records: the sink's
 * NOMEM stops the feed at that row; the rows before it are intact (leaks
 * show under ASan). */
static void test_failing_allocator(void **state) {
    (void)state;
    size_t len;
    uint8_t *body = tu_reply_body("batch_get_all_bins", 0, &len);
    long n;
    for (n = 1; n < 100; n++) {
        aw_batch_reader r;
        aw_batch_reader_init(&r, 10);
        sink s;
        sink_init(&s, 10);
        tu_failalloc_on(n);
        int rc = aw_batch_reader_feed(&r, body, len, sink_row, &s, NULL);
        tu_failalloc_off();
        if (rc == AW_OK) {
            check_sensor_rows(&s, 95, NULL);
            sink_free(&s);
            break;
        }
        assert_int_equal(rc, AW_ERR_NOMEM);
        assert_true(s.calls >= 1 && s.calls <= 10);
        assert_int_equal(s.recs[s.calls - 1].n_bins, 0); /* the failed row is left empty */
        for (uint32_t i = 0; i + 1 < s.calls; i++)
            assert_int_equal(s.recs[i].n_bins, 5);
        sink_free(&s);
    }
    assert_true(n > 1 && n < 100);
    free(body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_get_all_bins),
        cmocka_unit_test(test_batch_get_bins),
        cmocka_unit_test(test_batch_exists),
        cmocka_unit_test(test_batch_read_100_all_bins),
        cmocka_unit_test(test_batch_write_3_delete_1),
        cmocka_unit_test(test_any_order_any_framing),
        cmocka_unit_test(test_zero_length_body),
        cmocka_unit_test(test_index_out_of_range),
        cmocka_unit_test(test_bytes_after_last),
        cmocka_unit_test(test_last_with_error),
        cmocka_unit_test(test_truncated_messages),
        cmocka_unit_test(test_on_row_abort),
        cmocka_unit_test(test_row_over_cap),
        cmocka_unit_test(test_failing_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
