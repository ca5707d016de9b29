/*
 * aw-testd on its own: bad requests get the real server's answer (an error
 * or a closed connection) and never bring it down; the fault injectors do
 * what they say (hold: replies kept until the fault is lifted, then sent in
 * order, or dropped with the connection when the node is killed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "proto/msg.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

static tu_testd server;

/* Two nodes: node 0 takes the faults, node 1 carries the control commands
 * (a node that refuses connections cannot be told to stop). */
static int start_two(void **state) {
    (void)state;
    const char *args[] = {"--nodes", "2", NULL};
    return tu_testd_start(&server, args);
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&server);
}

static uint8_t *captured(const char *label, size_t *len) {
    return tu_hex_decode(json_string_value(json_object_get(tu_command(label), "request_hex")), len);
}

/* True when the server closed the connection (EOF) within a second. */
static bool closed_by_server(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0)
        return false;
    char b;
    return recv(fd, &b, 1, 0) == 0;
}

/* A get of k1 answers on a fresh connection: the server is still up. */
static void assert_alive(void) {
    size_t len, rl;
    uint8_t *req = captured("get_missing", &len);
    int fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0);
    assert_int_equal(tu_send(fd, req, len), 0);
    uint8_t *r = tu_recv_frame(fd, &rl, 2000);
    assert_non_null(r);
    assert_int_equal(r[13], 2); /* not found */
    free(r);
    free(req);
    close(fd);
}

static void send_raw_expect_close(const uint8_t *p, size_t n) {
    int fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0);
    assert_int_equal(tu_send(fd, p, n), 0);
    assert_true(closed_by_server(fd));
    close(fd);
    assert_alive();
}

static void test_bad_frames_close(void **state) {
    (void)state;
    const uint8_t bad_version[] = {3, 3, 0, 0, 0, 0, 0, 0};
    const uint8_t bad_type[] = {2, 9, 0, 0, 0, 0, 0, 0};
    const uint8_t type0[] = {2, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t oversize[] = {2, 3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff};
    send_raw_expect_close(bad_version, sizeof bad_version);
    send_raw_expect_close(bad_type, sizeof bad_type);
    send_raw_expect_close(type0, sizeof type0);
    send_raw_expect_close(oversize, sizeof oversize);

    /* A message whose field size runs past the frame. */
    size_t len;
    uint8_t *req = captured("get_all", &len);
    req[8 + 22 + 3] = 0xff; /* namespace field size */
    send_raw_expect_close(req, len);
    free(req);
    /* A header size byte other than 22. */
    req = captured("get_all", &len);
    req[8] = 0;
    send_raw_expect_close(req, len);
    free(req);
}

static int roundtrip_code(const uint8_t *req, size_t len) {
    int fd = tu_connect(server.ports[0]);
    assert_int_equal(tu_send(fd, req, len), 0);
    size_t rl;
    uint8_t *r = tu_recv_frame(fd, &rl, 2000);
    assert_non_null(r);
    int code = rl >= 14 ? r[13] : -1;
    free(r);
    close(fd);
    return code;
}

static void test_bad_requests_answered(void **state) {
    (void)state;
    size_t len;
    /* Unknown namespace → 20. */
    uint8_t *req = captured("get_all", &len);
    memcpy(req + 8 + 22 + 5, "nope", 4);
    assert_int_equal(roundtrip_code(req, len), 20);
    free(req);
    /* An unknown field type is skipped: the get still succeeds (k1 absent → 2). */
    req = captured("get_missing", &len);
    req[8 + 22 + 9 + 4] = 0x63; /* the set field becomes type 99 */
    assert_int_equal(roundtrip_code(req, len), 2);
    free(req);
    /* A digest of the wrong length → 4. */
    static const uint8_t short_digest[] = {
        2, 3, 0, 0, 0, 0, 0, 0x2e, 22, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0,
        0, 0, 0, 5, 0, 't', 'e', 's', 't', 0, 0, 0, 4, 4, 1, 2, 3};
    uint8_t *sd = malloc(sizeof short_digest);
    memcpy(sd, short_digest, sizeof short_digest);
    sd[7] = (uint8_t)(sizeof short_digest - 8);
    assert_int_equal(roundtrip_code(sd, sizeof short_digest), 4);
    free(sd);
    /* A bin name of 16 bytes in a write → 21 (BIN_NAME): put_blob_key's
     * last op is "n" = -1; rebuild it with a 16-byte name. */
    req = captured("put_blob_key", &len);
    size_t op_at = len - 17; /* size(4) op particle flags namelen "n" value(8) */
    uint8_t *big = malloc(len + 15);
    memcpy(big, req, op_at);
    const uint8_t op[] = {0, 0, 0, 0x1c, 2, 1, 0, 16};
    memcpy(big + op_at, op, sizeof op);
    memset(big + op_at + 8, 'b', 16);
    memset(big + op_at + 24, 0xff, 8);
    big[7] = (uint8_t)(len + 15 - 8);
    assert_int_equal(roundtrip_code(big, len + 15), 21);
    free(big);
    free(req);
    /* Compressed requests: community edition answers 25. */
    const uint8_t compressed[] = {2, 4, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 8};
    assert_int_equal(roundtrip_code(compressed, sizeof compressed), 25);
    /* Security messages: 51, security not supported. */
    uint8_t admin[8 + 16] = {2, 2, 0, 0, 0, 0, 0, 16};
    int fd = tu_connect(server.ports[0]);
    assert_int_equal(tu_send(fd, admin, sizeof admin), 0);
    size_t rl;
    uint8_t *r = tu_recv_frame(fd, &rl, 2000);
    assert_non_null(r);
    assert_int_equal(rl, 24);
    assert_int_equal(r[9], 51);
    free(r);
    close(fd);
    assert_alive();
}

static char *control(const char *cmd) {
    char req[256];
    snprintf(req, sizeof req, "%s\n", cmd);
    return tu_info(server.ports[1], req);
}

static void set_fault(const char *spec) {
    char cmd[200];
    snprintf(cmd, sizeof cmd, "testd-fault:node=0%s%s", spec[0] ? ";" : "", spec);
    char *r = control(cmd);
    assert_non_null(r);
    assert_non_null(strstr(r, "\tok"));
    free(r);
}

static long elapsed_ms(struct timespec a) {
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static void test_fault_delay(void **state) {
    (void)state;
    set_fault("delay=300");
    size_t len, rl;
    uint8_t *req = captured("get_missing", &len);
    int fd = tu_connect(server.ports[0]);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* Two pipelined requests: both delayed, both answered, in order. */
    assert_int_equal(tu_send(fd, req, len), 0);
    assert_int_equal(tu_send(fd, req, len), 0);
    uint8_t *r1 = tu_recv_frame(fd, &rl, 3000);
    uint8_t *r2 = tu_recv_frame(fd, &rl, 3000);
    long ms = elapsed_ms(t0);
    assert_non_null(r1);
    assert_non_null(r2);
    assert_in_range(ms, 290, 2000);
    free(r1);
    free(r2);
    close(fd);
    free(req);
    set_fault("");
}

/* Replies queued behind a delayed one go out with it once the delay is
 * switched off (they were not delayed themselves), not at the next request. */
static void test_fault_delay_then_clear(void **state) {
    (void)state;
    size_t len, rl;
    uint8_t *req = captured("get_missing", &len);
    set_fault("delay=300");
    int fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0);
    assert_int_equal(tu_send(fd, req, len), 0);
    /* The first reply is held; switch the fault off, then pipeline a second. */
    uint8_t *none = tu_recv_frame(fd, &rl, 100);
    assert_null(none);
    set_fault("");
    assert_int_equal(tu_send(fd, req, len), 0);
    uint8_t *r1 = tu_recv_frame(fd, &rl, 2000);
    assert_non_null(r1);
    assert_int_equal(r1[13], 2);
    uint8_t *r2 = tu_recv_frame(fd, &rl, 1000);
    assert_non_null(r2);
    assert_int_equal(r2[13], 2);
    free(r1);
    free(r2);
    free(req);
    close(fd);
}

static void test_fault_drop_truncate_garbage_oversize(void **state) {
    (void)state;
    size_t len, rl;
    uint8_t *req = captured("get_missing", &len);

    set_fault("drop-after=10");
    int fd = tu_connect(server.ports[0]);
    assert_int_equal(tu_send(fd, req, len), 0);
    uint8_t part[64];
    ssize_t got = 0, r;
    while ((r = recv(fd, part + got, sizeof part - (size_t)got, 0)) > 0)
        got += r;
    assert_int_equal(got, 10); /* exactly 10 reply bytes, then EOF */
    close(fd);

    set_fault("truncate=1");
    fd = tu_connect(server.ports[0]);
    assert_int_equal(tu_send(fd, req, len), 0);
    uint8_t *f = tu_recv_frame(fd, &rl, 2000);
    assert_non_null(f);
    aw_msg_view m;
    assert_int_equal(aw_msg_parse(f + 8, rl - 8, &m, NULL, NULL), AW_ERR_PROTO);
    free(f);
    close(fd);

    set_fault("garbage=1");
    fd = tu_connect(server.ports[0]);
    assert_int_equal(tu_send(fd, req, len), 0);
    uint8_t g[30];
    got = 0;
    while (got < 30 && (r = recv(fd, g + got, 30 - (size_t)got, 0)) > 0)
        got += r;
    assert_int_equal(got, 30);
    assert_int_not_equal(g[0], 2); /* not a protocol version */
    close(fd);

    set_fault("oversize=1");
    fd = tu_connect(server.ports[0]);
    assert_int_equal(tu_send(fd, req, len), 0);
    uint8_t h[8];
    got = 0;
    while (got < 8 && (r = recv(fd, h + got, 8 - (size_t)got, 0)) > 0)
        got += r;
    assert_int_equal(got, 8);
    uint64_t size = 0;
    for (int i = 2; i < 8; i++)
        size = size << 8 | h[i];
    assert_true(size > (128u << 20));
    close(fd);

    set_fault("");
    free(req);
    assert_alive();
}

/* drop-after counts from when the fault is set: a connection that has
 * already carried more than N reply bytes (a client's pooled one) gets
 * its next reply whole while under N, then is cut at N. */
static void test_fault_drop_after_counts_from_now(void **state) {
    (void)state;
    size_t len, rl = 0;
    uint8_t *req = captured("get_missing", &len);
    int fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tu_send(fd, req, len), 0);
        uint8_t *r = tu_recv_frame(fd, &rl, 2000);
        assert_non_null(r);
        free(r);
    }
    char spec[64];
    snprintf(spec, sizeof spec, "drop-after=%zu", rl + 5); /* under the 3 replies sent */
    set_fault(spec);
    assert_int_equal(tu_send(fd, req, len), 0);
    size_t got_len;
    uint8_t *whole = tu_recv_frame(fd, &got_len, 2000);
    assert_non_null(whole); /* not cut by the bytes before the fault */
    assert_int_equal(got_len, rl);
    free(whole);
    assert_int_equal(tu_send(fd, req, len), 0);
    uint8_t part[64];
    ssize_t got = 0, r;
    while ((r = recv(fd, part + got, sizeof part - (size_t)got, 0)) > 0)
        got += r;
    assert_int_equal(got, 5); /* then cut at N, and closed */
    close(fd);
    set_fault("");
    free(req);
    assert_alive();
}

static void test_fault_refuse_and_blackhole(void **state) {
    (void)state;
    size_t len;
    uint8_t *req = captured("get_missing", &len);

    set_fault("refuse=1");
    int fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0); /* accepted by the kernel, then closed */
    assert_true(closed_by_server(fd));
    close(fd);

    set_fault("blackhole=1");
    fd = tu_connect(server.ports[0]);
    assert_int_equal(tu_send(fd, req, len), 0);
    size_t rl;
    assert_null(tu_recv_frame(fd, &rl, 300));
    /* Control commands still get through. */
    set_fault("");
    close(fd);
    free(req);
    assert_alive();
}

/* --- hold ------------------------------------------------------------------------ */

typedef struct held_count {
    uint64_t want;
    uint64_t commands, held; /* node 0's, as last read */
} held_count;

static bool node0_holds(void *arg) {
    held_count *h = arg;
    return tu_testd_stats(&server, 1, 0, &h->commands, &h->held) && h->held == h->want;
}

/* Sends the captured request `label` on fd. */
static void send_captured(int fd, const char *label) {
    size_t len;
    uint8_t *req = captured(label, &len);
    assert_int_equal(tu_send(fd, req, len), 0);
    free(req);
}

/* Receives the next reply on fd (within 2 s) and returns its result code;
 * *n_ops gets its op count when not NULL. */
static int next_code(int fd, int *n_ops) {
    size_t rl;
    uint8_t *r = tu_recv_frame(fd, &rl, 2000);
    if (!r)
        fail_msg("a held reply did not come once the fault was lifted");
    assert_true(rl >= 8 + 22);
    int code = r[13];
    if (n_ops)
        *n_ops = r[8 + 20] << 8 | r[8 + 21];
    free(r);
    return code;
}

/* Replies held on two connections: none goes out while held (testd-stats
 * counts them), every one goes, in order and right, when the fault is lifted.
 * Each request sees the ones before it executed (held, not delayed): create-
 * only and generation checks fail on the record the put wrote. */
static void test_fault_hold_then_lift(void **state) {
    (void)state;
    int fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0);
    send_captured(fd, "get_all"); /* the record is not there yet */
    assert_int_equal(next_code(fd, NULL), 2);
    held_count h = {0};
    assert_true(tu_testd_stats(&server, 1, 0, &h.commands, &h.held));
    uint64_t commands_before = h.commands;
    assert_int_equal(h.held, 0);

    set_fault("hold=1");
    int other = tu_connect(server.ports[0]);
    assert_true(other >= 0);
    static const char *const seq[] = {"get_missing", "put_scalars", "put_create_only_exists",
                                      "get_all", "put_gen_eq_wrong"};
    static const int want[] = {2, 0, 5, 0, 3};
    for (size_t i = 0; i < 5; i++)
        send_captured(fd, seq[i]);
    send_captured(other, "get_missing");
    h.want = 6;
    tu_wait_for(node0_holds, &h, 2000, "node 0 to hold 6 replies");
    assert_int_equal(h.commands - commands_before, 6);
    size_t rl;
    assert_null(tu_recv_frame(fd, &rl, 100));
    assert_null(tu_recv_frame(other, &rl, 1));

    set_fault("");
    for (size_t i = 0; i < 5; i++) {
        int n_ops = 0;
        int code = next_code(fd, &n_ops);
        if (code != want[i])
            fail_msg("reply %zu (%s): code %d, want %d", i, seq[i], code, want[i]);
        if (i == 3)
            assert_int_equal(n_ops, 3); /* get_all: put_scalars' three bins */
    }
    assert_int_equal(next_code(other, NULL), 2);
    assert_true(tu_testd_stats(&server, 1, 0, &h.commands, &h.held));
    assert_int_equal(h.held, 0);
    /* Nothing more: each request got exactly one reply. */
    assert_null(tu_recv_frame(fd, &rl, 50));
    close(other);
    close(fd);
}

/* A node killed while it holds replies drops them: the client sees its
 * connection close with nothing on it. The requests did execute (the put's
 * record is there after the revive): a reply lost, not a request. */
static void test_fault_hold_then_kill(void **state) {
    (void)state;
    set_fault("hold=1");
    int fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0);
    send_captured(fd, "put_sendkey_int_complex");
    send_captured(fd, "get_int_key");
    held_count h = {2, 0, 0};
    tu_wait_for(node0_holds, &h, 2000, "node 0 to hold 2 replies");
    char *r = control("testd-kill:node=0");
    assert_non_null(r);
    assert_non_null(strstr(r, "\tok"));
    free(r);
    assert_true(closed_by_server(fd)); /* EOF first: no held reply went out */
    close(fd);
    r = control("testd-revive:node=0");
    assert_non_null(r);
    assert_non_null(strstr(r, "\tok"));
    free(r);
    set_fault("");
    assert_true(tu_testd_stats(&server, 1, 0, &h.commands, &h.held));
    assert_int_equal(h.held, 0);
    fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0);
    send_captured(fd, "get_int_key");
    assert_int_equal(next_code(fd, NULL), 0);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_frames_close),
        cmocka_unit_test(test_bad_requests_answered),
        cmocka_unit_test(test_fault_delay),
        cmocka_unit_test(test_fault_delay_then_clear),
        cmocka_unit_test(test_fault_drop_truncate_garbage_oversize),
        cmocka_unit_test(test_fault_drop_after_counts_from_now),
        cmocka_unit_test(test_fault_refuse_and_blackhole),
        cmocka_unit_test(test_fault_hold_then_lift),
        cmocka_unit_test(test_fault_hold_then_kill),
    };
    int failed = cmocka_run_group_tests_name("testd_faults", tests, start_two, stop_server);
    return failed || tu_testd_stop_failed;
}
