/*
 * aw-testd: TTLs, expiry and the record-size limit, as the real server
 * applies them (record.c as_record_advance_void_time, write.c write_master,
 * storage/flat.c as_flat_record_size + drv_mem.c buffer_bins).
 *
 * One server with --default-ttl 1000 --max-record-size 4096. Expiry is
 * driven by the testd-clock control command (which moves the server's clock
 * on), so only one test waits on the real clock, for at most ~2.3 s.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "proto/particle.h"
#include "proto/request.h"
#include "support/testd_proc.h"
#include "support/testd_req.h"
#include "support/testutil.h"

#define DEFAULT_TTL 1000u
#define MAX_RECORD 4096u
#define TEN_YEARS 315360000u

static tu_testd server;

static int start_server(void **state) {
    (void)state;
    const char *args[] = {"--namespaces", "test", "--default-ttl", "1000", "--max-record-size",
                          "4096", NULL};
    return tu_testd_start(&server, args);
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&server);
}

static uint16_t port(void) { return server.ports[0]; }

static aw_key key_of(const char *s, const char *set) {
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, "test", set, s, &err), AW_OK);
    return k;
}

static uint32_t server_now(void) {
    uint32_t t = tu_testd_clock(port(), "");
    assert_true(t > 0);
    return t;
}

/* Moves the server's clock s seconds on; returns the new time. */
static uint32_t advance(uint32_t s) {
    char args[32];
    snprintf(args, sizeof args, "advance=%u", s);
    uint32_t t = tu_testd_clock(port(), args);
    assert_true(t > 0);
    return t;
}

/* Writes one string bin "b" under opts; the reply is left in r. */
static int put_str(const aw_key *k, const char *value, size_t len, const aw_req_opts *o,
                   tu_reply *r) {
    aw_bin bins[] = {{"b", aw_value_strn(value, len)}};
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_write(&req, k, bins, 1, o, &err), AW_OK);
    int code = tu_exec(port(), &req, r);
    aw_buf_free(&req);
    return code;
}

static int put_ttl(const aw_key *k, uint32_t ttl, tu_reply *r) {
    aw_req_opts o = aw_req_opts_default();
    o.ttl = ttl;
    return put_str(k, "v", 1, &o, r);
}

static int header(const aw_key *k, tu_reply *r) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_read_header(&req, k, NULL, &err), AW_OK);
    int code = tu_exec(port(), &req, r);
    aw_buf_free(&req);
    return code;
}

static int get_all(const aw_key *k, tu_reply *r) {
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_read(&req, k, NULL, 0, NULL, &err), AW_OK);
    int code = tu_exec(port(), &req, r);
    aw_buf_free(&req);
    return code;
}

static int code_of_header(const aw_key *k) {
    tu_reply r;
    int code = header(k, &r);
    tu_reply_free(&r);
    return code;
}

/* TTL 0 means the namespace default: --default-ttl 1000. */
static void test_default_ttl(void **state) {
    (void)state;
    aw_key k = key_of("ttl-default", "demo");
    tu_reply r;
    uint32_t before = server_now();
    assert_int_equal(put_ttl(&k, 0, &r), 0);
    uint32_t after = server_now();
    assert_int_equal(r.gen, 1);
    assert_in_range(r.void_time, before + DEFAULT_TTL, after + DEFAULT_TTL);
    uint32_t vt = r.void_time;
    tu_reply_free(&r);
    assert_int_equal(header(&k, &r), 0);
    assert_int_equal(r.void_time, vt);
    tu_reply_free(&r);
    /* The namespace reports it, as a real node's namespace/<ns> does. */
    char *ns = tu_info(port(), "namespace/test\n");
    assert_non_null(ns);
    assert_non_null(strstr(ns, "default-ttl=1000;"));
    assert_non_null(strstr(ns, "max-record-size=4096;"));
    free(ns);
}

/* TTL -1 never expires: void time 0, whatever the default and the clock. */
static void test_never_expire(void **state) {
    (void)state;
    aw_key k = key_of("ttl-never", "demo");
    tu_reply r;
    assert_int_equal(put_ttl(&k, AW_TTL_NEVER_EXPIRE, &r), 0);
    assert_int_equal(r.void_time, 0);
    tu_reply_free(&r);
    /* Eleven years on it is still there. */
    advance(TEN_YEARS + 365u * 86400u);
    assert_int_equal(header(&k, &r), 0);
    assert_int_equal(r.void_time, 0);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
}

/* TTL -2 leaves the void time as it was on an update; on a create there is
 * nothing to leave, and the server takes the default (write_master turns it
 * into TTL_USE_DEFAULT when the record is created). */
static void test_dont_update(void **state) {
    (void)state;
    aw_key k = key_of("ttl-keep", "demo");
    tu_reply r;
    uint32_t before = server_now();
    assert_int_equal(put_ttl(&k, 500, &r), 0);
    uint32_t vt = r.void_time;
    assert_in_range(vt, before + 500, server_now() + 500);
    tu_reply_free(&r);

    advance(100); /* a new TTL would now give a different void time */
    assert_int_equal(put_ttl(&k, AW_TTL_DONT_UPDATE, &r), 0);
    assert_int_equal(r.gen, 2);
    assert_int_equal(r.void_time, vt);
    tu_reply_free(&r);

    /* A touch with -2 bumps the generation and keeps the void time too. */
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    aw_req_opts o = aw_req_opts_default();
    o.ttl = AW_TTL_DONT_UPDATE;
    assert_int_equal(aw_req_touch(&req, &k, &o, &err), AW_OK);
    assert_int_equal(tu_exec(port(), &req, &r), 0);
    assert_int_equal(r.gen, 3);
    assert_int_equal(r.void_time, vt);
    tu_reply_free(&r);
    aw_buf_free(&req);

    /* On a create, -2 is the namespace default. */
    aw_key fresh = key_of("ttl-keep-new", "demo");
    before = server_now();
    assert_int_equal(put_ttl(&fresh, AW_TTL_DONT_UPDATE, &r), 0);
    assert_int_equal(r.gen, 1);
    assert_in_range(r.void_time, before + DEFAULT_TTL, server_now() + DEFAULT_TTL);
    tu_reply_free(&r);

    /* A record that never expires stays so. */
    aw_key never = key_of("ttl-keep-never", "demo");
    assert_int_equal(put_ttl(&never, AW_TTL_NEVER_EXPIRE, &r), 0);
    tu_reply_free(&r);
    assert_int_equal(put_ttl(&never, AW_TTL_DONT_UPDATE, &r), 0);
    assert_int_equal(r.void_time, 0);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
}

/* A record is gone once the server's clock passes its void time: reads,
 * exists and update-only writes find nothing, a create-only write succeeds. */
static void test_expiry_by_clock(void **state) {
    (void)state;
    aw_key k = key_of("ttl-expire", "demo");
    tu_reply r;
    assert_int_equal(put_ttl(&k, 100, &r), 0);
    tu_reply_free(&r);
    advance(50);
    assert_int_equal(get_all(&k, &r), 0);
    assert_int_equal(r.n_ops, 1);
    tu_reply_free(&r);

    advance(100);
    assert_int_equal(get_all(&k, &r), 2);
    assert_int_equal(r.n_ops, 0);
    tu_reply_free(&r);
    assert_int_equal(code_of_header(&k), 2);

    aw_req_opts o = aw_req_opts_default();
    o.exists = AW_EXISTS_UPDATE_ONLY;
    assert_int_equal(put_str(&k, "x", 1, &o, &r), 2);
    tu_reply_free(&r);
    o.exists = AW_EXISTS_CREATE_ONLY;
    assert_int_equal(put_str(&k, "x", 1, &o, &r), 0);
    assert_int_equal(r.gen, 1); /* a fresh record, not the expired one's third generation */
    tu_reply_free(&r);
}

/* The edge, on a stopped clock: a record lives through its void time and is
 * gone the second after (as_record_is_expired: void_time < now). */
static void test_expiry_edge(void **state) {
    (void)state;
    uint32_t t0 = tu_testd_clock(port(), "freeze=1");
    assert_true(t0 > 0);
    assert_int_equal(server_now(), t0);
    aw_key k = key_of("ttl-edge", "demo");
    tu_reply r;
    assert_int_equal(put_ttl(&k, 10, &r), 0);
    assert_int_equal(r.void_time, t0 + 10);
    tu_reply_free(&r);
    assert_int_equal(advance(10), t0 + 10);
    assert_int_equal(code_of_header(&k), 0);
    assert_int_equal(advance(1), t0 + 11);
    assert_int_equal(code_of_header(&k), 2);
    /* Running again, the clock goes on from where it stood. */
    uint32_t t1 = tu_testd_clock(port(), "freeze=0");
    assert_in_range(t1, t0 + 11, t0 + 12);
}

static long ms_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Real time, once: a record written with TTL 1 is there at once and gone
 * within two seconds (void time = now + 1, expired when it is before now). */
static void test_expiry_real_time(void **state) {
    (void)state;
    aw_key k = key_of("ttl-one", "demo");
    tu_reply r;
    assert_int_equal(put_ttl(&k, 1, &r), 0);
    tu_reply_free(&r);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(code_of_header(&k), 0);
    int code = 0;
    long waited = 0;
    while ((code = code_of_header(&k)) == 0 && (waited = ms_since(&t0)) < 2300)
        usleep(50 * 1000);
    waited = ms_since(&t0);
    assert_int_equal(code, 2);
    assert_true(waited >= 950); /* not before its second had passed */
}

/* TTLs over ten years are refused (is_valid_ttl); ten years exactly is not. */
static void test_ttl_over_max(void **state) {
    (void)state;
    aw_key k = key_of("ttl-max", "demo");
    tu_reply r;
    assert_int_equal(put_ttl(&k, TEN_YEARS + 1, &r), 4);
    tu_reply_free(&r);
    assert_int_equal(put_ttl(&k, 0xFFFFFFFDu, &r), 4);
    tu_reply_free(&r);
    assert_int_equal(code_of_header(&k), 2); /* nothing was written */
    uint32_t before = server_now();
    assert_int_equal(put_ttl(&k, TEN_YEARS, &r), 0);
    assert_in_range(r.void_time, before + TEN_YEARS, server_now() + TEN_YEARS);
    tu_reply_free(&r);
    /* An update over the limit leaves the record as it was. */
    assert_int_equal(put_ttl(&k, TEN_YEARS + 1, &r), 4);
    assert_int_equal(r.gen, 1);
    tu_reply_free(&r);
}

static char big[MAX_RECORD + 1];

/* The limit counts the record as the server stores it: a 35-byte header,
 * 4 bytes of void time when it expires, 1 + the set name, the stored key
 * (size byte + type byte + value), 1 byte of bin count, per bin 1 + its name
 * and the particle (a string: 1 + 4 + its bytes), plus a 4-byte end mark.
 * A record of exactly --max-record-size is accepted; one byte more is
 * RECORD_TOO_BIG. Here: 35 + (1 + 4 "demo") + 1 + (1 + 1 "b") + (5 + L) + 4
 * = 52 + L. */
static void test_record_size_limit(void **state) {
    (void)state;
    memset(big, 'x', sizeof big);
    tu_reply r;
    aw_req_opts never = aw_req_opts_default();
    never.ttl = AW_TTL_NEVER_EXPIRE;

    aw_key fits = key_of("size-fits", "demo");
    assert_int_equal(put_str(&fits, big, MAX_RECORD - 52, &never, &r), 0);
    tu_reply_free(&r);
    assert_int_equal(get_all(&fits, &r), 0);
    assert_non_null(tu_reply_op(&r, "b"));
    assert_int_equal(tu_reply_op(&r, "b")->value_len, MAX_RECORD - 52);
    tu_reply_free(&r);

    aw_key over = key_of("size-over", "demo");
    assert_int_equal(put_str(&over, big, MAX_RECORD - 51, &never, &r), 13);
    assert_int_equal(r.gen, 0);
    tu_reply_free(&r);
    assert_int_equal(code_of_header(&over), 2);

    /* A record that expires carries 4 more bytes (its void time). */
    aw_key expiring = key_of("size-vt", "demo");
    assert_int_equal(put_str(&expiring, big, MAX_RECORD - 52, NULL, &r), 13);
    tu_reply_free(&r);
    assert_int_equal(put_str(&expiring, big, MAX_RECORD - 56, NULL, &r), 0);
    tu_reply_free(&r);

    /* A stored key (send-key) counts: "size-key" is 1 size byte + 1 type
     * byte + 8 bytes. */
    aw_key sent = key_of("size-key", "demo");
    aw_req_opts with_key = never;
    with_key.send_key = true;
    assert_int_equal(put_str(&sent, big, MAX_RECORD - 52 - 10 + 1, &with_key, &r), 13);
    tu_reply_free(&r);
    assert_int_equal(put_str(&sent, big, MAX_RECORD - 52 - 10, &with_key, &r), 0);
    tu_reply_free(&r);

    /* An update that would outgrow the limit fails and changes nothing. */
    aw_key grow = key_of("size-grow", "demo");
    assert_int_equal(put_str(&grow, big, 4000, &never, &r), 0);
    tu_reply_free(&r);
    aw_op app = aw_op_append("b", aw_value_strn(big, MAX_RECORD - 52 - 4000 + 1));
    aw_buf req;
    aw_buf_init(&req);
    aw_error err;
    assert_int_equal(aw_req_operate(&req, &grow, &app, 1, &never, &err), AW_OK);
    assert_int_equal(tu_exec(port(), &req, &r), 13);
    assert_int_equal(r.gen, 1); /* the record's generation, as the server answers */
    tu_reply_free(&r);
    assert_int_equal(get_all(&grow, &r), 0);
    assert_int_equal(r.gen, 1);
    assert_int_equal(tu_reply_op(&r, "b")->value_len, 4000);
    tu_reply_free(&r);
    aw_buf_reset(&req);
    app = aw_op_append("b", aw_value_strn(big, MAX_RECORD - 52 - 4000));
    assert_int_equal(aw_req_operate(&req, &grow, &app, 1, &never, &err), AW_OK);
    assert_int_equal(tu_exec(port(), &req, &r), 0);
    assert_int_equal(r.gen, 2);
    tu_reply_free(&r);
    aw_buf_free(&req);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_ttl),
        cmocka_unit_test(test_never_expire),
        cmocka_unit_test(test_dont_update),
        cmocka_unit_test(test_expiry_by_clock),
        cmocka_unit_test(test_expiry_edge),
        cmocka_unit_test(test_expiry_real_time),
        cmocka_unit_test(test_ttl_over_max),
        cmocka_unit_test(test_record_size_limit),
    };
    int failed = cmocka_run_group_tests_name("testd_expiry", tests, start_server, stop_server);
    return failed || tu_testd_stop_failed;
}
