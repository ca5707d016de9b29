/*
 * aw-testd's secondary-index queries (tools/testd/query.c through scan.c)
 * driven directly, for what the capture does not show: the index tree's
 * order within a partition (bval, then the digest's stub, then the digest:
 * S8.1.2 sindex_tree.c key_cmp), resuming after a (bval, digest) point
 * (exclusive, btree_reduce), a range over a list index finding a record
 * once, an index following writes and drops, the set-less fallback of
 * as_sindex_lookup_by_defn, max_records after the filter; then a
 * three-node aw-testd whose nodes each answer the partitions they hold.
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

#include "aerowire/error.h"
#include "aerowire/exp.h"
#include "aerowire/key.h"
#include "aerowire/ops.h"
#include "info_param.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "proto/particle.h"
#include "scan.h"
#include "store.h"
#include "support/stream_compare.h"
#include "support/testd_proc.h"

static td_store store;
static bool serves_all[AW_PARTITIONS];
static tu_testd three;

typedef struct where {
    const char *bin;        /* NULL: by index name */
    const char *index_name;
    uint8_t itype;          /* INDEX_TYPE, 0: not sent */
    int64_t begin, end;
    const char *set;
    uint16_t pid;
    const uint8_t *resume;  /* DIGEST_ARRAY of one digest, with BVAL_ARRAY resume_bval */
    int64_t resume_bval;
    uint64_t max_records;
    const char *filter;
    const char *str;        /* a string equality instead of the integer range */
} where;

static void field_u64le(aw_buf *b, uint8_t type, int64_t v) {
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)((uint64_t)v >> (8 * i));
    aw_buf_field(b, type, le, 8);
}

/* A query request body: integer range on bin (or the named index). */
static void build(aw_buf *b, const where *w) {
    size_t at = b->len;
    aw_buf_grow(b, AW_MSG_HEADER_SIZE);
    uint16_t n = 0;
    aw_buf_field(b, AW_FIELD_NAMESPACE, "test", 4), n++;
    const char *set = w->set ? w->set : "q";
    aw_buf_field(b, AW_FIELD_SET, set, (uint32_t)strlen(set)), n++;
    if (w->itype)
        aw_buf_field(b, AW_FIELD_INDEX_TYPE, &w->itype, 1), n++;
    uint8_t range[64];
    size_t bl = w->bin ? strlen(w->bin) : 0, r = 0;
    range[r++] = 1;
    range[r++] = (uint8_t)bl;
    memcpy(range + r, w->bin ? w->bin : "", bl), r += bl;
    if (w->str) {
        uint32_t sl = (uint32_t)strlen(w->str);
        range[r++] = AW_PT_STRING;
        for (int twice = 0; twice < 2; twice++) {
            aw_store_u32be(range + r, sl), r += 4;
            memcpy(range + r, w->str, sl), r += sl;
        }
    } else {
        range[r++] = AW_PT_INTEGER;
        aw_store_u32be(range + r, 8), r += 4;
        aw_store_u64be(range + r, (uint64_t)w->begin), r += 8;
        aw_store_u32be(range + r, 8), r += 4;
        aw_store_u64be(range + r, (uint64_t)w->end), r += 8;
    }
    aw_buf_field(b, AW_FIELD_INDEX_RANGE, range, (uint32_t)r), n++;
    if (w->index_name)
        aw_buf_field(b, AW_FIELD_INDEX_NAME, w->index_name, (uint32_t)strlen(w->index_name)), n++;
    if (w->filter) {
        aw_exp *e = NULL;
        aw_error err;
        assert_int_equal(aw_exp_parse(w->filter, &e, &err), AW_OK);
        size_t len;
        const uint8_t *bytes = aw_exp_bytes(e, &len);
        aw_buf_field(b, AW_FIELD_FILTER, bytes, (uint32_t)len), n++;
        aw_exp_free(e);
    }
    if (w->resume) {
        aw_buf_field(b, AW_FIELD_DIGEST_ARRAY, w->resume, AW_DIGEST_SIZE), n++;
        field_u64le(b, AW_FIELD_BVAL_ARRAY, w->resume_bval), n++;
    } else {
        uint8_t pid[2] = {(uint8_t)w->pid, (uint8_t)(w->pid >> 8)};
        aw_buf_field(b, AW_FIELD_PID_ARRAY, pid, 2), n++;
    }
    if (w->max_records) {
        uint8_t v[8];
        aw_store_u64be(v, w->max_records);
        aw_buf_field(b, AW_FIELD_MAX_RECORDS, v, 8), n++;
    }
    aw_msg_header h = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE,
                       .record_ttl = 0xFFFFFFFF, .n_fields = n};
    aw_msg_header_write(b->data + at, &h);
}

typedef struct answer {
    int code;             /* the final message's */
    size_t n;
    uint8_t rank[16];     /* digest byte 3 of each record, in stream order */
    int64_t bval[16];     /* their BVAL fields */
} answer;

static void run(const where *w, answer *a) {
    aw_buf req, out;
    aw_buf_init(&req);
    aw_buf_init(&out);
    build(&req, w);
    aw_msg_view m;
    assert_int_equal(aw_msg_parse(req.data, req.len, &m, NULL, NULL), AW_OK);
    td_scan_env env = {.store = &store, .serves = serves_all};
    td_scan_handle(&env, &m, &out);
    memset(a, 0, sizeof *a);
    a->code = -1;
    for (size_t off = 0; off < out.len;) {
        aw_proto_header ph;
        assert_int_equal(aw_proto_header_read(out.data + off, out.len - off, 0, &ph, NULL), AW_OK);
        const uint8_t *p = out.data + off + 8, *end = p + ph.size;
        while (p < end) {
            aw_msg_view r;
            size_t used;
            assert_int_equal(aw_msg_parse(p, (size_t)(end - p), &r, &used, NULL), AW_OK);
            aw_field_view d, bv;
            if ((r.h.info3 & AW_INFO3_LAST) || r.h.result_code) {
                a->code = r.h.result_code;
            } else if (aw_msg_find_field(&r, AW_FIELD_DIGEST, &d)) {
                assert_true(aw_msg_find_field(&r, AW_FIELD_BVAL_ARRAY, &bv));
                assert_int_equal(bv.len, 8);
                assert_true(a->n < 16);
                a->rank[a->n] = d.data[3];
                uint64_t v = 0;
                for (int i = 7; i >= 0; i--)
                    v = v << 8 | bv.data[i];
                a->bval[a->n++] = (int64_t)v;
            }
            p += used;
        }
        off += 8 + ph.size;
    }
    aw_buf_free(&req);
    aw_buf_free(&out);
}

static void info(const char *cmd, const char *want) {
    size_t nl = strcspn(cmd, ":");
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)nl, cmd);
    aw_buf out;
    aw_buf_init(&out);
    assert_true(td_sindex_info(&store, &out, name, cmd + nl + 1, strlen(cmd + nl + 1), false));
    aw_buf_u8(&out, 0);
    assert_string_equal((const char *)out.data, want);
    aw_buf_free(&out);
}

/* A record of partition 7 whose digest bytes 2 and 3 are given: byte 2's
 * high nibble is the stub's low one (sindex_tree.h get_keyd_stub), byte 3
 * only the digest order sees. */
static td_record *put(uint8_t b2, uint8_t b3, const char *set) {
    uint8_t d[AW_DIGEST_SIZE] = {7, 0, b2, b3};
    td_record *r = td_record_create(&store.ns[0], d);
    assert_non_null(r);
    snprintf(r->set, sizeof r->set, "%s", set);
    r->gen = 1;
    return r;
}

static void set_int(td_record *r, const char *bin, int64_t v) {
    uint8_t b[8];
    aw_store_u64be(b, (uint64_t)v);
    assert_int_equal(td_bin_set(r, bin, strlen(bin), AW_PT_INTEGER, b, 8), 0);
}

static int setup(void **state) {
    (void)state;
    assert_int_equal(td_store_init(&store, "test", 0, 1 << 20), 0);
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        serves_all[p] = true;
    /* i: 20, 10, 10, 10, 30; the three 10s differ in stub and digest. */
    set_int(put(0x00, 1, "q"), "i", 20);
    set_int(put(0x20, 2, "q"), "i", 10);
    set_int(put(0x10, 3, "q"), "i", 10);
    set_int(put(0x10, 4, "q"), "i", 10);
    set_int(put(0x00, 5, "q"), "i", 30);
    set_int(put(0x00, 6, "other"), "i", 10);
    info("sindex-create:namespace=test;set=q;indexname=qi;bin=i;type=numeric", "ok");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    td_store_free(&store);
    return three.pid > 0 ? tu_testd_stop(&three) : 0;
}

/* Ascending bval, then stub, then digest; each record's BVAL is its i. */
static void test_tree_order(void **state) {
    (void)state;
    answer a;
    run(&(where){.bin = "i", .begin = 0, .end = 100, .pid = 7}, &a);
    assert_int_equal(a.code, 0);
    assert_int_equal(a.n, 5);
    static const uint8_t rank[] = {3, 4, 2, 1, 5};
    static const int64_t bval[] = {10, 10, 10, 20, 30};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(a.rank[i], rank[i]);
        assert_int_equal(a.bval[i], bval[i]);
    }
    run(&(where){.bin = "i", .begin = 10, .end = 10, .pid = 7}, &a);
    assert_int_equal(a.n, 3);
}

/* A resume point (bval, digest) is exclusive: the next key in tree order
 * comes first. */
static void test_resume(void **state) {
    (void)state;
    uint8_t d4[AW_DIGEST_SIZE] = {7, 0, 0x10, 4};
    answer a;
    run(&(where){.bin = "i", .begin = 0, .end = 100, .resume = d4, .resume_bval = 10}, &a);
    assert_int_equal(a.n, 3);
    assert_int_equal(a.rank[0], 2);
    assert_int_equal(a.rank[1], 1);
    assert_int_equal(a.rank[2], 5);
    /* A bval past every key's: nothing left. */
    run(&(where){.bin = "i", .begin = 0, .end = 100, .resume = d4, .resume_bval = 31}, &a);
    assert_int_equal(a.n, 0);
    assert_int_equal(a.code, 0);
}

/* max_records counts what the filter passed; by index name; 201 for a
 * dropped or unknown index; a set-less index serves any set. */
static void test_lookup_and_limits(void **state) {
    (void)state;
    answer a;
    run(&(where){.bin = "i", .begin = 0, .end = 100, .pid = 7, .filter = "$.i != 10",
                 .max_records = 1},
        &a);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.bval[0], 20);
    run(&(where){.index_name = "qi", .begin = 30, .end = 30, .pid = 7}, &a);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.rank[0], 5);
    /* A string to the numeric index by name: the server walks the tree
     * with the string's hash, which no integer key equals; by definition
     * no index would match (201). */
    run(&(where){.index_name = "qi", .str = "s", .pid = 7}, &a);
    assert_int_equal(a.code, 0);
    assert_int_equal(a.n, 0);
    run(&(where){.bin = "i", .str = "s", .pid = 7}, &a);
    assert_int_equal(a.code, AW_ERR_INDEX_NOT_FOUND);
    run(&(where){.bin = "i", .begin = 0, .end = 100, .pid = 7, .set = "other"}, &a);
    assert_int_equal(a.code, AW_ERR_INDEX_NOT_FOUND);
    info("sindex-create:namespace=test;indexname=all_i;bin=i;type=numeric", "ok");
    run(&(where){.bin = "i", .begin = 0, .end = 100, .pid = 7, .set = "other"}, &a);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.rank[0], 6);
    info("sindex-delete:namespace=test;indexname=all_i", "ok");
    /* A write after the index was made is found; a drop makes it 201. */
    set_int(put(0x00, 8, "q"), "i", 15);
    run(&(where){.bin = "i", .begin = 15, .end = 15, .pid = 7}, &a);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.rank[0], 8);
    uint8_t d8[AW_DIGEST_SIZE] = {7, 0, 0x00, 8};
    td_record_remove(&store.ns[0], d8);
    run(&(where){.bin = "i", .begin = 15, .end = 15, .pid = 7}, &a);
    assert_int_equal(a.n, 0);
    /* get_range_field: begin above end, a bin name with an index name. */
    run(&(where){.bin = "i", .begin = 5, .end = 4, .pid = 7}, &a);
    assert_int_equal(a.code, AW_ERR_REQUEST_INVALID);
    run(&(where){.bin = "i", .index_name = "qi", .begin = 5, .end = 5, .pid = 7}, &a);
    assert_int_equal(a.code, AW_ERR_REQUEST_INVALID);
}

/* A range over a list index finds a record once, at its first key in tree
 * order; resumed past that key, at its next one. */
static void test_list_range_once(void **state) {
    (void)state;
    static const uint8_t list[] = {0x93, 0x05, 0x06, 0x01};
    td_record *r = put(0x00, 9, "q");
    assert_int_equal(td_bin_set(r, "l", 1, AW_PT_LIST, list, sizeof list), 0);
    info("sindex-create:namespace=test;set=q;indexname=ql;indextype=list;bin=l;type=numeric",
         "ok");
    answer a;
    run(&(where){.bin = "l", .itype = 1, .begin = 5, .end = 6, .pid = 7}, &a);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.bval[0], 5);
    uint8_t d9[AW_DIGEST_SIZE] = {7, 0, 0x00, 9};
    run(&(where){.bin = "l", .itype = 1, .begin = 5, .end = 6, .resume = d9, .resume_bval = 5},
        &a);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.bval[0], 6);
    /* Without INDEX_TYPE the query asks a default index on l: none. */
    run(&(where){.bin = "l", .begin = 5, .end = 6, .pid = 7}, &a);
    assert_int_equal(a.code, AW_ERR_INDEX_NOT_FOUND);
    info("sindex-delete:namespace=test;indexname=ql", "ok");
    td_record_remove(&store.ns[0], d9);
}

/* A background ops job (info2 WRITE): the request's ops applied to each
 * record it finds on the node's master partitions as an update with the
 * request's TTL (ops_bg_query_job_start, as_msg_create_internal), answered
 * LAST 0; query-show counts what was written and filtered. */
static int bg(const char *set, bool range, uint32_t ttl, uint8_t info1, const char *filter,
              const bool *masters, td_jobs *jobs, uint64_t task) {
    aw_buf req, out;
    aw_buf_init(&req);
    aw_buf_init(&out);
    aw_buf_grow(&req, AW_MSG_HEADER_SIZE);
    uint16_t n = 0;
    aw_buf_field(&req, AW_FIELD_NAMESPACE, "test", 4), n++;
    aw_buf_field(&req, AW_FIELD_SET, set, (uint32_t)strlen(set)), n++;
    uint8_t t[8];
    aw_store_u64be(t, task);
    aw_buf_field(&req, AW_FIELD_TASK_ID, t, 8), n++;
    if (range) { /* i in 10..20 */
        uint8_t r[] = {1, 1, 'i', AW_PT_INTEGER, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 10,
                       0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 20};
        aw_buf_field(&req, AW_FIELD_INDEX_RANGE, r, sizeof r), n++;
    }
    if (filter) {
        aw_exp *e = NULL;
        aw_error err;
        assert_int_equal(aw_exp_parse(filter, &e, &err), AW_OK);
        size_t len;
        const uint8_t *bytes = aw_exp_bytes(e, &len);
        aw_buf_field(&req, AW_FIELD_FILTER, bytes, (uint32_t)len), n++;
        aw_exp_free(e);
    }
    uint8_t one[8];
    aw_store_u64be(one, 1);
    aw_buf_op_header(&req, AW_OP_INCR, AW_PT_INTEGER, "n", 1, 8);
    aw_buf_put(&req, one, 8);
    aw_msg_header h = {.info1 = info1, .info2 = AW_INFO2_WRITE, .record_ttl = ttl,
                       .n_fields = n, .n_ops = 1};
    aw_msg_header_write(req.data, &h);
    aw_msg_view m;
    assert_int_equal(aw_msg_parse(req.data, req.len, &m, NULL, NULL), AW_OK);
    td_scan_env env = {.store = &store, .serves = serves_all, .masters = masters, .jobs = jobs,
                       .from = "127.0.0.1+1"};
    td_scan_handle(&env, &m, &out);
    aw_msg_view r;
    assert_int_equal(aw_msg_parse(out.data + 8, out.len - 8, &r, NULL, NULL), AW_OK);
    int code = r.h.result_code;
    /* Started: LAST; refused: a plain message. */
    assert_int_equal((r.h.info3 & AW_INFO3_LAST) != 0, code == 0);
    aw_buf_free(&req);
    aw_buf_free(&out);
    return code;
}

static int64_t bin_int(uint8_t b2, uint8_t b3, const char *bin) {
    uint8_t d[AW_DIGEST_SIZE] = {7, 0, b2, b3};
    td_record *r = td_record_get(&store.ns[0], d, td_store_now(&store));
    assert_non_null(r);
    td_bin *b = td_bin_find(r, bin, strlen(bin));
    return b ? (int64_t)aw_load_u64be(b->data) : -1;
}

static void test_background_ops(void **state) {
    (void)state;
    td_jobs jobs = {0};
    /* Not the master of partition 7: nothing written there. */
    static bool none[AW_PARTITIONS];
    assert_int_equal(bg("q", false, 0, 0, NULL, none, &jobs, 11), 0);
    assert_int_equal(bin_int(0x00, 1, "n"), -1);
    /* Every record of set q; TTL 100 from now. */
    assert_int_equal(bg("q", false, 100, 0, NULL, NULL, &jobs, 12), 0);
    assert_int_equal(bin_int(0x00, 1, "n"), 1);
    assert_int_equal(bin_int(0x00, 5, "n"), 1);
    assert_int_equal(bin_int(0x00, 6, "n"), -1); /* set other */
    uint8_t d1[AW_DIGEST_SIZE] = {7, 0, 0x00, 1};
    td_record *r1 = td_record_get(&store.ns[0], d1, td_store_now(&store));
    assert_int_equal(r1->void_time, td_store_now(&store) + 100);
    /* Through the index (i in 10..20: three 10s and a 20) and a filter on
     * a bin (decided with the bins: filtered-bins). */
    assert_int_equal(bg("q", true, 0xFFFFFFFE, 0, "$.i == 20", NULL, &jobs, 13), 0);
    assert_int_equal(bin_int(0x00, 1, "n"), 2);
    assert_int_equal(bin_int(0x10, 3, "n"), 1);
    aw_buf show;
    aw_buf_init(&show);
    td_jobs_show(&jobs, &store, "id=13", 5, &show);
    aw_buf_u8(&show, 0);
    assert_non_null(strstr((const char *)show.data, ":sindex-name=qi:"));
    assert_non_null(strstr((const char *)show.data,
                           ":recs-throttled=4:recs-filtered-meta=0:recs-filtered-bins=3:"
                           "recs-succeeded=1:recs-failed=0:"));
    assert_non_null(strstr((const char *)show.data, ":from=127.0.0.1+1:"));
    assert_int_equal(r1->void_time, td_store_now(&store) + 100); /* -2: unchanged */
    aw_buf_free(&show);
    /* ops_bg_query_job_start's refusals: short (4), a set the namespace
     * lacks (2), info1 READ (4); an unknown job is 2 for query-show. */
    assert_int_equal(bg("q", false, 0, AW_INFO1_SHORT_QUERY, NULL, NULL, &jobs, 14),
                     AW_ERR_REQUEST_INVALID);
    assert_int_equal(bg("nosuchset", false, 0, 0, NULL, NULL, &jobs, 15), AW_ERR_RECORD_NOT_FOUND);
    assert_int_equal(bg("q", false, 0, AW_INFO1_READ, NULL, NULL, &jobs, 16),
                     AW_ERR_REQUEST_INVALID);
    aw_buf_init(&show);
    td_jobs_show(&jobs, &store, "id=14", 5, &show);
    aw_buf_u8(&show, 0);
    assert_string_equal((const char *)show.data, "ERROR:2:job not found");
    aw_buf_free(&show);
    td_jobs_free(&jobs);
}

/* Three nodes: an index made through one node serves them all; each node
 * answers the partitions it holds and PARTITION_DONE 11 for the others, so
 * together they find every record once. */
static void test_three_nodes(void **state) {
    (void)state;
    static const char *const args[] = {"--nodes", "3", NULL};
    assert_int_equal(tu_testd_start(&three, args), 0);
    char *r = tu_info(three.ports[1],
                      "sindex-create:namespace=test;set=q3;indexname=q3i;bin=i;type=numeric\n");
    assert_non_null(strstr(r, "\tok"));
    free(r);
    int fd = tu_connect(three.ports[0]);
    assert_true(fd >= 0);
    /* 40 records written through node 0 (it proxies what it does not own). */
    for (int k = 0; k < 40; k++) {
        aw_buf b;
        aw_buf_init(&b);
        size_t at = aw_proto_header_begin(&b);
        size_t h_at = b.len;
        aw_buf_grow(&b, AW_MSG_HEADER_SIZE);
        uint8_t d[AW_DIGEST_SIZE];
        aw_value kv = aw_value_int(k);
        assert_int_equal(aw_digest_compute("q3", 2, &kv, d, NULL), AW_OK);
        aw_buf_field(&b, AW_FIELD_NAMESPACE, "test", 4);
        aw_buf_field(&b, AW_FIELD_SET, "q3", 2);
        aw_buf_field(&b, AW_FIELD_DIGEST, d, AW_DIGEST_SIZE);
        uint8_t v[8];
        aw_store_u64be(v, (uint64_t)k);
        aw_buf_op_header(&b, AW_OP_WRITE, AW_PT_INTEGER, "i", 1, 8);
        aw_buf_put(&b, v, 8);
        aw_msg_header h = {.info2 = AW_INFO2_WRITE, .n_fields = 3, .n_ops = 1};
        aw_msg_header_write(b.data + h_at, &h);
        aw_proto_header_patch(&b, at, AW_PROTO_MSG);
        assert_int_equal(tu_send(fd, b.data, b.len), 0);
        size_t len;
        uint8_t *f = tu_recv_frame(fd, &len, 5000);
        assert_non_null(f);
        assert_int_equal(f[8 + 5], 0);
        free(f);
        aw_buf_free(&b);
    }
    close(fd);
    /* i in 0..39 over every partition, asked of each node. */
    aw_buf req;
    aw_buf_init(&req);
    size_t at = aw_proto_header_begin(&req);
    size_t h_at = req.len;
    aw_buf_grow(&req, AW_MSG_HEADER_SIZE);
    aw_buf_field(&req, AW_FIELD_NAMESPACE, "test", 4);
    aw_buf_field(&req, AW_FIELD_SET, "q3", 2);
    uint8_t range[] = {1, 1, 'i', AW_PT_INTEGER, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0,
                       0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 39};
    aw_buf_field(&req, AW_FIELD_INDEX_RANGE, range, sizeof range);
    uint8_t *pids = malloc(2 * AW_PARTITIONS);
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        pids[2 * p] = (uint8_t)p, pids[2 * p + 1] = (uint8_t)(p >> 8);
    aw_buf_field(&req, AW_FIELD_PID_ARRAY, pids, 2 * AW_PARTITIONS);
    free(pids);
    aw_msg_header h = {.info1 = AW_INFO1_READ, .info3 = AW_INFO3_PARTITION_DONE,
                       .record_ttl = 0xFFFFFFFF, .n_fields = 4};
    aw_msg_header_write(req.data + h_at, &h);
    aw_proto_header_patch(&req, at, AW_PROTO_MSG);
    size_t found = 0, pdone = 0;
    tu_stream s[3];
    for (int n = 0; n < 3; n++) {
        int c = tu_connect(three.ports[n]);
        assert_true(c >= 0);
        assert_int_equal(tu_send(c, req.data, req.len), 0);
        assert_true(tu_stream_recv(c, &s[n], 5000));
        assert_int_equal(tu_stream_code(&s[n]), 0);
        found += tu_stream_records(&s[n]);
        pdone += tu_stream_partition_dones(&s[n]);
        close(c);
    }
    /* Replication 2 of 3: every record twice (its master and replica), and
     * every partition refused by exactly one node. */
    assert_int_equal(found, 80);
    assert_int_equal(pdone, AW_PARTITIONS);
    for (int n = 0; n < 3; n++)
        tu_stream_free(&s[n]);
    aw_buf_free(&req);
    assert_int_equal(tu_testd_stop(&three), 0);
    three.pid = 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_order),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_lookup_and_limits),
        cmocka_unit_test(test_list_range_once),
        cmocka_unit_test(test_background_ops),
        cmocka_unit_test(test_three_nodes),
    };
    return cmocka_run_group_tests_name("testd_query", tests, setup, teardown);
}
