/*
 * aw-testd's scans (tools/testd/scan.c) driven directly: which partitions a
 * node serves and which it answers PARTITION_DONE 11, the resume digest,
 * max_records, the short-query framing and the request checks in the
 * server's order; then a three-node aw-testd, whose nodes each answer for
 * the partitions they do not hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/error.h"
#include "aerowire/exp.h"
#include "aerowire/key.h"
#include "aerowire/ops.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "proto/particle.h"
#include "scan.h"
#include "store.h"
#include "support/stream_compare.h"
#include "support/testd_proc.h"

typedef struct req_opts {
    uint8_t info1, info2, info3;
    const char *ns;
    const char *set;
    bool all_pids;            /* PID_ARRAY 0..4095 */
    const uint16_t *pids;     /* else these */
    size_t n_pids;
    const uint8_t *resume;    /* DIGEST_ARRAY of one digest */
    int64_t max_records;      /* > 0: MAX_RECORDS */
    int max_records_len;      /* 0: 8 */
    bool rps, bvals;
    const char *filter;       /* a filter expression (field 43) in text form */
    const char *read_bin;     /* a READ op */
    uint8_t op_type;          /* the op's type (default READ) */
    const char *exp_read;     /* an EXP_READ op "r" of this expression (text) */
    uint8_t exp_flags;
} req_opts;

/* The wire bytes of an expression in text form. */
static aw_exp *compile(const char *text) {
    aw_exp *e = NULL;
    aw_error err;
    if (aw_exp_parse(text, &e, &err) != AW_OK)
        fail_msg("%s: %s", text, err.message);
    return e;
}

/* A scan request body (no proto header). */
static void build(aw_buf *b, const req_opts *o) {
    size_t at = b->len;
    aw_buf_grow(b, AW_MSG_HEADER_SIZE);
    uint16_t n_fields = 0;
    const char *ns = o->ns ? o->ns : "test";
    aw_buf_field(b, AW_FIELD_NAMESPACE, ns, (uint32_t)strlen(ns)), n_fields++;
    if (o->set)
        aw_buf_field(b, AW_FIELD_SET, o->set, (uint32_t)strlen(o->set)), n_fields++;
    if (o->rps) {
        uint8_t v[4] = {0, 0, 3, 0xe8};
        aw_buf_field(b, AW_FIELD_RPS, v, 4), n_fields++;
    }
    if (o->filter) {
        aw_exp *e = compile(o->filter);
        size_t len;
        const uint8_t *bytes = aw_exp_bytes(e, &len);
        aw_buf_field(b, AW_FIELD_FILTER, bytes, (uint32_t)len), n_fields++;
        aw_exp_free(e);
    }
    if (o->all_pids || o->n_pids) {
        size_t n = o->all_pids ? AW_PARTITIONS : o->n_pids;
        uint8_t *v = malloc(2 * n);
        for (size_t i = 0; i < n; i++) {
            uint16_t p = o->all_pids ? (uint16_t)i : o->pids[i];
            v[2 * i] = (uint8_t)p;
            v[2 * i + 1] = (uint8_t)(p >> 8);
        }
        aw_buf_field(b, AW_FIELD_PID_ARRAY, v, (uint32_t)(2 * n)), n_fields++;
        free(v);
    }
    if (o->resume)
        aw_buf_field(b, AW_FIELD_DIGEST_ARRAY, o->resume, AW_DIGEST_SIZE), n_fields++;
    if (o->bvals) {
        uint8_t v[8] = {0};
        aw_buf_field(b, AW_FIELD_BVAL_ARRAY, v, 8), n_fields++;
    }
    if (o->max_records > 0) {
        uint8_t v[8];
        aw_store_u64be(v, (uint64_t)o->max_records);
        aw_buf_field(b, AW_FIELD_MAX_RECORDS, v, o->max_records_len ? (uint32_t)o->max_records_len : 8);
        n_fields++;
    }
    uint16_t n_ops = 0;
    if (o->read_bin) {
        aw_buf_op_header(b, o->op_type ? o->op_type : AW_OP_READ, 0, o->read_bin,
                         (uint8_t)strlen(o->read_bin), 0);
        n_ops++;
    }
    if (o->exp_read) {
        /* The op's value: [exp, flags]. */
        aw_exp *e = compile(o->exp_read);
        size_t len;
        const uint8_t *bytes = aw_exp_bytes(e, &len);
        aw_buf_op_header(b, AW_OP_EXP_READ, AW_PT_BLOB, "r", 1, (uint32_t)len + 2);
        aw_buf_u8(b, 0x92);
        aw_buf_put(b, bytes, len);
        aw_buf_u8(b, o->exp_flags);
        aw_exp_free(e);
        n_ops++;
    }
    aw_msg_header h = {.info1 = o->info1, .info2 = o->info2, .info3 = o->info3,
                       .record_ttl = 0xFFFFFFFF, .n_fields = n_fields, .n_ops = n_ops};
    aw_msg_header_write(b->data + at, &h);
}

static td_store store;
static bool serves_all[AW_PARTITIONS];
static tu_testd three; /* test_three_nodes' cluster: stopped in teardown even when it fails */

/* A record in partition pid whose digest starts (after the partition bytes)
 * with `rank`: records of one partition sort by it. */
static void put(uint32_t pid, uint8_t rank, const char *set, int64_t value) {
    uint8_t d[AW_DIGEST_SIZE] = {0};
    d[0] = (uint8_t)pid;
    d[1] = (uint8_t)(pid >> 8);
    d[2] = rank;
    td_record *r = td_record_create(&store.ns[0], d);
    assert_non_null(r);
    snprintf(r->set, sizeof r->set, "%s", set);
    r->gen = 1;
    uint8_t v[8];
    aw_store_u64be(v, (uint64_t)value);
    assert_int_equal(td_bin_set(r, "i", 1, AW_PT_INTEGER, v, 8), 0);
}

static int setup(void **state) {
    (void)state;
    assert_int_equal(td_store_init(&store, "test,bar", 0, 1 << 20), 0);
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        serves_all[p] = true;
    put(7, 0x10, "s", 1);
    put(7, 0x90, "s", 2);
    put(7, 0x50, "s", 3);
    put(8, 0x20, "s", 4);
    put(9, 0x30, "other", 5);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    td_store_free(&store);
    return three.pid > 0 ? tu_testd_stop(&three) : 0;
}

typedef struct answer {
    int end_code;          /* the final message's code */
    bool end_is_last;      /* LAST (else a plain message) */
    size_t frames;
    size_t n_records;
    uint8_t rank[16];      /* digest byte 2 of each record, in stream order */
    int64_t values[16];
    size_t n_pdone;
    uint32_t pdone_pids[4096];
    bool pdone_all_11;
} answer;

static void run(const req_opts *o, const bool *serves, answer *a) {
    aw_buf req, out;
    aw_buf_init(&req);
    aw_buf_init(&out);
    build(&req, o);
    aw_msg_view m;
    assert_int_equal(aw_msg_parse(req.data, req.len, &m, NULL, NULL), AW_OK);
    td_scan_env env = {.store = &store, .serves = serves ? serves : serves_all};
    td_scan_handle(&env, &m, &out);
    memset(a, 0, sizeof *a);
    a->end_code = -1;
    a->pdone_all_11 = true;
    size_t off = 0;
    while (off < out.len) {
        aw_proto_header ph;
        assert_int_equal(aw_proto_header_read(out.data + off, out.len - off, 0, &ph, NULL), AW_OK);
        assert_int_equal(ph.type, AW_PROTO_MSG);
        a->frames++;
        const uint8_t *p = out.data + off + 8, *end = p + ph.size;
        while (p < end) {
            aw_msg_view r;
            size_t used;
            assert_int_equal(aw_msg_parse(p, (size_t)(end - p), &r, &used, NULL), AW_OK);
            assert_int_equal(a->end_code, -1); /* nothing after the end */
            if (r.h.info3 & AW_INFO3_PARTITION_DONE) {
                a->pdone_pids[a->n_pdone++] = r.h.generation;
                a->pdone_all_11 &= r.h.result_code == AW_ERR_CLUSTER;
            } else if ((r.h.info3 & AW_INFO3_LAST) || r.h.result_code) {
                a->end_code = r.h.result_code;
                a->end_is_last = (r.h.info3 & AW_INFO3_LAST) != 0;
            } else {
                aw_field_view d;
                assert_true(aw_msg_find_field(&r, AW_FIELD_DIGEST, &d));
                assert_true(a->n_records < 16);
                a->rank[a->n_records] = d.data[2];
                aw_op_view op;
                aw_msg_iter it = aw_msg_ops(&r);
                a->values[a->n_records] = aw_msg_next_op(&it, &op) && op.value_len == 8
                                              ? (int64_t)aw_load_u64be(op.value)
                                              : -1;
                a->n_records++;
            }
            p += used;
        }
        off += 8 + ph.size;
    }
    aw_buf_free(&req);
    aw_buf_free(&out);
}

/* Partitions the node does not serve are answered PARTITION_DONE 11 with
 * their id; the others give their records; LAST 0 ends the stream. */
static void test_unserved_partitions_done(void **state) {
    (void)state;
    static bool even[AW_PARTITIONS];
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        even[p] = p % 2 == 0;
    req_opts o = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .set = "s",
                  .all_pids = true};
    answer a;
    run(&o, even, &a);
    assert_int_equal(a.end_code, 0);
    assert_true(a.end_is_last);
    assert_int_equal(a.n_pdone, AW_PARTITIONS / 2);
    assert_true(a.pdone_all_11);
    for (size_t i = 0; i < a.n_pdone; i++)
        assert_int_equal(a.pdone_pids[i] % 2, 1);
    assert_int_equal(a.n_records, 1); /* partition 8 only: 7 is odd, 9 other set */
    assert_int_equal(a.values[0], 4);
}

/* Within a partition, records come largest digest first; a resume digest
 * gives only those below it. */
static void test_order_and_resume(void **state) {
    (void)state;
    uint16_t p7 = 7;
    req_opts o = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .set = "s",
                  .pids = &p7, .n_pids = 1};
    answer a;
    run(&o, NULL, &a);
    assert_int_equal(a.n_records, 3);
    assert_int_equal(a.rank[0], 0x90);
    assert_int_equal(a.rank[1], 0x50);
    assert_int_equal(a.rank[2], 0x10);
    uint8_t resume[AW_DIGEST_SIZE] = {7, 0, 0x50};
    req_opts r = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .set = "s",
                  .resume = resume};
    run(&r, NULL, &a);
    assert_int_equal(a.n_records, 1);
    assert_int_equal(a.rank[0], 0x10);
    assert_int_equal(a.n_pdone, 0);
    /* A resume digest in a partition the node does not serve: PARTITION_DONE. */
    static bool none[AW_PARTITIONS];
    run(&r, none, &a);
    assert_int_equal(a.n_records, 0);
    assert_int_equal(a.n_pdone, 1);
    assert_int_equal(a.pdone_pids[0], 7);
}

/* max_records counts the records that passed the set filter and stops the
 * walk there; the partition's first records are the ones sent. */
static void test_max_records(void **state) {
    (void)state;
    uint16_t pids[] = {7, 8, 9};
    req_opts o = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .set = "s",
                  .pids = pids, .n_pids = 3, .max_records = 2};
    answer a;
    run(&o, NULL, &a);
    assert_int_equal(a.n_records, 2);
    assert_int_equal(a.rank[0], 0x90);
    assert_int_equal(a.rank[1], 0x50);
    assert_int_equal(a.end_code, 0);
    /* The whole namespace (no set): set "other" counts too. */
    req_opts w = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .pids = pids,
                  .n_pids = 3};
    run(&w, NULL, &a);
    assert_int_equal(a.n_records, 5);
}

/* A filter expression drops records before max_records counts them
 * (query.c basic_query_job_reduce_cb: "sample-max checks post-filters"). */
static void test_filter(void **state) {
    (void)state;
    uint16_t pids[] = {7, 8};
    req_opts o = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .pids = pids,
                  .n_pids = 2, .filter = "$.i != 2"};
    answer a;
    run(&o, NULL, &a);
    assert_int_equal(a.end_code, 0);
    assert_int_equal(a.n_records, 3);
    assert_int_equal(a.values[0], 3); /* partition 7 from its largest digest: 2 is dropped */
    assert_int_equal(a.values[1], 1);
    assert_int_equal(a.values[2], 4);
    o.max_records = 2;
    run(&o, NULL, &a);
    assert_int_equal(a.n_records, 2);
    assert_int_equal(a.values[0], 3);
    assert_int_equal(a.values[1], 1);
    /* A filter on a bin no record has is unknown: nothing matches. */
    req_opts none = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .pids = pids,
                     .n_pids = 2, .filter = "$.nope.int() > 0"};
    run(&none, NULL, &a);
    assert_int_equal(a.end_code, 0);
    assert_int_equal(a.n_records, 0);
}

/* Expression read ops among the projection ops (query.c
 * apply_ops_make_response: each op read as a read command reads it); a
 * record the op fails on (26 without EVAL_NO_FAIL) is not sent, nor one it
 * returns nothing for. */
static void test_exp_read_ops(void **state) {
    (void)state;
    uint16_t p8 = 8;
    req_opts o = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .pids = &p8,
                  .n_pids = 1, .exp_read = "$.i + 100"};
    answer a;
    run(&o, NULL, &a);
    assert_int_equal(a.end_code, 0);
    assert_int_equal(a.n_records, 1);
    assert_int_equal(a.values[0], 104);
    o.exp_read = "$.nope.int() + 1";
    run(&o, NULL, &a);
    assert_int_equal(a.end_code, 0);
    assert_int_equal(a.n_records, 0);
    o.exp_flags = AW_EXP_READ_EVAL_NO_FAIL;
    run(&o, NULL, &a);
    assert_int_equal(a.n_records, 0);
    /* Under RESPOND_ALL_OPS the nil result is answered. */
    o.info2 = AW_INFO2_RESPOND_ALL_OPS;
    run(&o, NULL, &a);
    assert_int_equal(a.n_records, 1);
    assert_int_equal(a.values[0], -1);
}

/* A short query's LAST ends its one data frame; a long one's has a frame of
 * its own. */
static void test_short_framing(void **state) {
    (void)state;
    uint16_t p8 = 8;
    req_opts o = {.info1 = AW_INFO1_READ | AW_INFO1_SHORT_QUERY, .info3 = AW_INFO3_PARTITION_DONE,
                  .pids = &p8, .n_pids = 1};
    answer a;
    run(&o, NULL, &a);
    assert_int_equal(a.n_records, 1);
    assert_int_equal(a.frames, 1);
    o.info1 = AW_INFO1_READ;
    run(&o, NULL, &a);
    assert_int_equal(a.frames, 2);
}

/* The checks of basic_query_job_start, each answered with one plain message
 * (not LAST) before any record. */
static void test_refusals(void **state) {
    (void)state;
    uint16_t dup[] = {8, 8};
    uint16_t p8 = 8;
    uint8_t resume[AW_DIGEST_SIZE] = {8};
    struct {
        req_opts o;
        int code;
    } cases[] = {
        {{.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .ns = "nope", .all_pids = true},
         AW_ERR_NAMESPACE_NOT_FOUND},
        {{.info1 = AW_INFO1_READ, .all_pids = true}, AW_ERR_UNSUPPORTED_FEATURE},
        {{.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE}, AW_ERR_UNSUPPORTED_FEATURE},
        {{.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .pids = dup, .n_pids = 2},
         AW_ERR_REQUEST_INVALID},
        {{.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .pids = &p8, .n_pids = 1,
          .resume = resume},
         AW_ERR_REQUEST_INVALID},
        {{.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .pids = &p8, .n_pids = 1,
          .bvals = true},
         AW_ERR_REQUEST_INVALID},
        {{.info1 = AW_INFO1_READ | AW_INFO1_SHORT_QUERY, .info3 = AW_INFO3_PARTITION_DONE,
          .all_pids = true, .rps = true},
         AW_ERR_REQUEST_INVALID},
        {{.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .all_pids = true,
          .max_records = 5, .max_records_len = 4},
         AW_ERR_REQUEST_INVALID},
        {{.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .all_pids = true,
          .read_bin = "i", .op_type = AW_OP_WRITE},
         AW_ERR_REQUEST_INVALID},
        /* get_query_filter_exp: a filter that is not boolean. */
        {{.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .all_pids = true,
          .filter = "$.i + 1"},
         AW_ERR_REQUEST_INVALID},
        /* A background job (info2 WRITE) without ops: ops_bg_query_get_ops. */
        {{.info2 = AW_INFO2_WRITE, .all_pids = true}, AW_ERR_REQUEST_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        answer a;
        run(&cases[i].o, NULL, &a);
        if (a.end_code != cases[i].code || a.end_is_last || a.n_records || a.n_pdone)
            fail_msg("case %zu: code %d (last %d), want %d", i, a.end_code, a.end_is_last,
                     cases[i].code);
    }
    /* An RPS on a long scan is accepted, and so is a selected bin. */
    req_opts ok = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .pids = &p8,
                   .n_pids = 1, .rps = true, .read_bin = "i"};
    answer a;
    run(&ok, NULL, &a);
    assert_int_equal(a.end_code, 0);
    assert_int_equal(a.n_records, 1);
    assert_int_equal(a.values[0], 4);
}

/* Three aw-testd nodes (replication 2): each node serves the partitions it
 * is master or replica of and answers PARTITION_DONE 11 for the others, so
 * the three together cover every partition. */
static void test_three_nodes(void **state) {
    (void)state;
    static const char *const args[] = {"--nodes", "3", NULL};
    tu_testd t;
    assert_int_equal(tu_testd_start(&t, args), 0);
    three = t;
    aw_buf req;
    aw_buf_init(&req);
    size_t at = aw_proto_header_begin(&req);
    req_opts o = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE, .all_pids = true};
    build(&req, &o);
    aw_proto_header_patch(&req, at, AW_PROTO_MSG);
    static uint8_t unserved_by[AW_PARTITIONS];
    memset(unserved_by, 0, sizeof unserved_by);
    for (int n = 0; n < 3; n++) {
        int fd = tu_connect(t.ports[n]);
        assert_true(fd >= 0);
        assert_int_equal(tu_send(fd, req.data, req.len), 0);
        tu_stream s;
        assert_true(tu_stream_recv(fd, &s, 5000));
        assert_int_equal(tu_stream_code(&s), 0);
        size_t pd = tu_stream_partition_dones(&s);
        /* Each node holds two copies in three: a third of the partitions is not its. */
        assert_in_range(pd, AW_PARTITIONS / 3 - 1, AW_PARTITIONS / 3 + 1);
        size_t off = 0;
        while (off < s.len) {
            aw_msg_view m;
            size_t used;
            assert_int_equal(aw_msg_parse(s.bytes + off, s.len - off, &m, &used, NULL), AW_OK);
            if (m.h.info3 & AW_INFO3_PARTITION_DONE) {
                assert_int_equal(m.h.result_code, AW_ERR_CLUSTER);
                unserved_by[m.h.generation]++;
            }
            off += used;
        }
        tu_stream_free(&s);
        close(fd);
    }
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        assert_int_equal(unserved_by[p], 1); /* exactly one node lacks each partition */
    aw_buf_free(&req);
    three.pid = 0;
    assert_int_equal(tu_testd_stop(&t), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unserved_partitions_done),
        cmocka_unit_test(test_order_and_resume),
        cmocka_unit_test(test_max_records),
        cmocka_unit_test(test_short_framing),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_exp_read_ops),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_three_nodes),
    };
    return cmocka_run_group_tests_name("testd_scan", tests, setup, teardown);
}
