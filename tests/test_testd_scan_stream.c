/*
 * aw-testd streams a scan's reply (tools/testd/scan.c td_scan_step, server.c
 * scan_more): a frame or so at a time as the socket drains, so its memory
 * does not grow with the set and a client that stops reading stops the
 * stream. Judged from outside: the aw-testd process's peak RSS (VmHWM),
 * the frames' sizes, a request pipelined behind the scan, records deleted
 * and an index dropped while the stream is under way; and the truncate
 * fault, which must cut the first frame inside a message.
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

#include "aerowire/key.h"
#include "aerowire/query.h"
#include "proto/buf.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "proto/particle.h"
#include "proto/scanq.h"
#include "support/testd_proc.h"
#include "support/testd_req.h"

#define N_RECORDS 4000
#define BLOB_SIZE 8192 /* 4000 records of 8 KiB: a reply of about 32 MiB */
#define FRAME_TARGET (1024 * 1024)
#define KIB 1024L

static tu_testd srv;

/* The process's peak resident set (VmHWM), in KiB. */
static long peak_rss_kib(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    assert_true(kib > 0);
    return kib;
}

/* n records of set, keys 0 .. n - 1: a blob bin b of blob_size bytes and
 * the key in bin i. */
static void put_n(const char *set, int n, uint32_t blob_size) {
    uint8_t *blob = malloc(blob_size);
    assert_non_null(blob);
    for (int i = 0; i < n; i++) {
        memset(blob, i & 0xff, blob_size);
        aw_key k;
        assert_int_equal(aw_key_init_int(&k, "test", set, i, NULL), AW_OK);
        uint8_t iv[8];
        aw_store_u64be(iv, (uint64_t)i);
        tu_raw_op ops[2] = {{AW_OP_WRITE, AW_PT_BLOB, "b", 1, blob, blob_size},
                            {AW_OP_WRITE, AW_PT_INTEGER, "i", 1, iv, 8}};
        aw_buf b;
        aw_buf_init(&b);
        tu_raw_request(&b, &k, false, 0, AW_INFO2_WRITE, 0, 0, 0, ops, 2);
        tu_reply r;
        assert_int_equal(tu_exec_free(srv.ports[0], &b, &r), 0);
        tu_reply_free(&r);
    }
    free(blob);
}

static void put_all(const char *set) { put_n(set, N_RECORDS, BLOB_SIZE); }

static int setup(void **state) {
    (void)state;
    if (tu_testd_start(&srv, NULL) != 0)
        return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return tu_testd_stop_group(&srv);
}

/* A scan (where NULL) or query of every partition of the set. */
static void scanq_request(aw_buf *out, const char *set, const aw_index_filter *where) {
    static aw_partition_info parts[AW_PARTITIONS];
    static aw_partition_info *pp[AW_PARTITIONS];
    for (uint32_t i = 0; i < AW_PARTITIONS; i++) {
        parts[i] = (aw_partition_info){.id = i};
        pp[i] = &parts[i];
    }
    aw_query q = {.ns = "test", .set = set, .where = where};
    aw_scanq_req req = {.q = &q, .task_id = 1, .socket_timeout_ms = 30000, .parts = pp,
                        .n_parts = AW_PARTITIONS};
    assert_int_equal(aw_req_scanq(out, &req, NULL), AW_OK);
}

typedef struct stream {
    size_t records;
    size_t frames;
    size_t biggest_frame;
    bool last;
    int last_code;
} stream;

/* Reads one frame of the stream into s; false once LAST came. */
static bool read_frame(int fd, stream *s) {
    size_t len;
    uint8_t *f = tu_recv_frame(fd, &len, 10000);
    assert_non_null(f);
    s->frames++;
    if (len - AW_PROTO_HEADER_SIZE > s->biggest_frame)
        s->biggest_frame = len - AW_PROTO_HEADER_SIZE;
    size_t off = AW_PROTO_HEADER_SIZE;
    while (off < len) {
        aw_msg_view m;
        size_t used;
        assert_int_equal(aw_msg_parse(f + off, len - off, &m, &used, NULL), AW_OK);
        if (m.h.info3 & AW_INFO3_LAST) {
            s->last = true;
            s->last_code = m.h.result_code;
        } else if (!(m.h.info3 & AW_INFO3_PARTITION_DONE)) {
            assert_int_equal(m.h.n_ops, 2);
            s->records++;
        }
        off += used;
    }
    free(f);
    return !s->last;
}

static void scan_request(aw_buf *out, const char *set) {
    scanq_request(out, set, NULL);
}

/* A 32 MiB reply costs aw-testd about a frame, not the reply: read whole,
 * and also while the client reads nothing after the first frame; a get
 * pipelined behind the scan is answered after its LAST. */
static void test_memory_stays_bounded(void **state) {
    (void)state;
    put_all("big");
    long base = peak_rss_kib(srv.pid);
    aw_buf req;
    aw_buf_init(&req);
    scan_request(&req, "big");
    aw_key k;
    assert_int_equal(aw_key_init_int(&k, "test", "big", 7, NULL), AW_OK);
    tu_raw_request(&req, &k, false, AW_INFO1_READ | AW_INFO1_GET_ALL, 0, 0, 0, 0, NULL, 0);
    int fd = tu_connect(srv.ports[0]);
    assert_true(fd >= 0);
    assert_int_equal(tu_send(fd, req.data, req.len), 0);
    aw_buf_free(&req);
    stream s = {0};
    assert_true(read_frame(fd, &s));
    /* The client stalls; another connection's answer shows the server has
     * run on meanwhile. Whatever it did, it holds no more than a few frames. */
    char *info = tu_info(srv.ports[0], "statistics\n");
    assert_non_null(info);
    free(info);
    long stalled = peak_rss_kib(srv.pid) - base;
    while (read_frame(fd, &s))
        ;
    assert_int_equal(s.last_code, 0);
    assert_int_equal(s.records, N_RECORDS);
    /* frames of about the server's 1 MiB: cut after the record that passes it */
    assert_true(s.biggest_frame <= FRAME_TARGET + BLOB_SIZE + 256);
    assert_true(s.frames >= (size_t)N_RECORDS * BLOB_SIZE / (FRAME_TARGET + BLOB_SIZE));
    long whole = peak_rss_kib(srv.pid) - base;
    /* the pipelined get, after the scan */
    size_t len;
    uint8_t *f = tu_recv_frame(fd, &len, 10000);
    assert_non_null(f);
    aw_msg_view m;
    size_t used;
    assert_int_equal(aw_msg_parse(f + 8, len - 8, &m, &used, NULL), AW_OK);
    assert_int_equal(m.h.result_code, 0);
    assert_int_equal(m.h.n_ops, 2);
    free(f);
    close(fd);
    print_message("aw-testd peak RSS over the loaded store: %ld KiB stalled, %ld KiB after the "
                  "whole scan (reply %d KiB)\n",
                  stalled, whole, N_RECORDS * BLOB_SIZE / 1024);
    assert_true(stalled < 8 * 1024);
    assert_true(whole < 8 * 1024);
}

/* Records deleted while the stream is under way are not sent (each step
 * reads the store afresh; no record is held between steps), and the stream
 * still ends with LAST 0. */
static void test_records_deleted_mid_stream(void **state) {
    (void)state;
    put_all("del");
    aw_buf req;
    aw_buf_init(&req);
    scan_request(&req, "del");
    int fd = tu_connect(srv.ports[0]);
    assert_true(fd >= 0);
    assert_int_equal(tu_send(fd, req.data, req.len), 0);
    aw_buf_free(&req);
    stream s = {0};
    assert_true(read_frame(fd, &s));
    char *info = tu_info(srv.ports[0], "truncate:namespace=test;set=del\n");
    assert_non_null(info);
    assert_non_null(strstr(info, "ok"));
    free(info);
    while (read_frame(fd, &s))
        ;
    close(fd);
    assert_int_equal(s.last_code, 0);
    /* at most what the socket buffers and aw-testd's queue held: far from all */
    assert_true(s.records > 0);
    assert_true(s.records < N_RECORDS / 2);
}

/* A query streams too, and an index dropped while its stream is under way
 * gives no more hits (the server's tree walk stops on a dropped index); the
 * stream still ends with LAST 0. */
static void test_index_dropped_mid_query(void **state) {
    (void)state;
    put_all("qry");
    char *info = tu_info(srv.ports[0], "sindex-create:namespace=test;set=qry;indexname=qi;"
                                       "bin=i;type=numeric\n");
    assert_non_null(strstr(info, "\tok"));
    free(info);
    aw_index_filter w = aw_filter_range("i", 0, N_RECORDS);
    aw_buf req;
    aw_buf_init(&req);
    scanq_request(&req, "qry", &w);
    int fd = tu_connect(srv.ports[0]);
    assert_true(fd >= 0);
    assert_int_equal(tu_send(fd, req.data, req.len), 0);
    aw_buf_free(&req);
    stream s = {0};
    assert_true(read_frame(fd, &s));
    info = tu_info(srv.ports[0], "sindex-delete:namespace=test;indexname=qi\n");
    assert_non_null(strstr(info, "\tok"));
    free(info);
    while (read_frame(fd, &s))
        ;
    close(fd);
    assert_int_equal(s.last_code, 0);
    assert_true(s.records > 0);
    assert_true(s.records < N_RECORDS / 2);
}

static void set_fault(const char *spec) {
    char cmd[100];
    snprintf(cmd, sizeof cmd, "testd-fault:node=0%s%s\n", spec[0] ? ";" : "", spec);
    char *r = tu_info(srv.ports[0], cmd);
    assert_non_null(r);
    assert_non_null(strstr(r, "\tok"));
    free(r);
}

/* The truncate fault cuts a scan's first frame inside a message. Cut
 * between two records, the frame would be well-formed with fewer records,
 * the stream's intact later frames would follow it, and the records cut
 * away would be lost with nothing for a client to notice (a scan answering
 * OK without them). Blobs of 7900 to 8300 bytes put 126 to 132 records in
 * the first frame, so for some sizes its middle falls between two. */
static void test_truncate_fault_cuts_inside_a_message(void **state) {
    (void)state;
    for (uint32_t blob = 7900; blob <= 8300; blob += 50) {
        char set[16];
        snprintf(set, sizeof set, "tr%u", blob);
        put_n(set, 200, blob); /* about 1.6 MB: two frames */
        set_fault("truncate=1");
        aw_buf req;
        aw_buf_init(&req);
        scan_request(&req, set);
        int fd = tu_connect(srv.ports[0]);
        assert_true(fd >= 0);
        assert_int_equal(tu_send(fd, req.data, req.len), 0);
        aw_buf_free(&req);
        size_t len, whole = 0;
        uint8_t *f = tu_recv_frame(fd, &len, 10000);
        close(fd);
        set_fault("");
        assert_non_null(f);
        size_t off = AW_PROTO_HEADER_SIZE, used;
        aw_msg_view m;
        while (off < len && aw_msg_parse(f + off, len - off, &m, &used, NULL) == AW_OK) {
            off += used;
            whole++;
        }
        free(f);
        if (off == len)
            fail_msg("blobs of %u bytes: the truncated frame is %zu whole records", blob, whole);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_stays_bounded),
        cmocka_unit_test(test_records_deleted_mid_stream),
        cmocka_unit_test(test_index_dropped_mid_query),
        cmocka_unit_test(test_truncate_fault_cuts_inside_a_message),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed || tu_testd_stop_failed;
}
