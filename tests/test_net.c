/*
 * src/cluster/net.c on its own: resolution, address text, deadlines, whole
 * frames (plain and compressed), peers that close, and the idle check.
 * Uses non-blocking socket pairs, so nothing here needs a server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "cluster/net.h"
#include "proto/frame.h"

/* A plain socket as the net calls take it. */
#define SOCK(s) (&(aw_sock){.fd = (s)})

static void pair(int sv[2]) {
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_clock_is_monotonic(void **state) {
    (void)state;
    uint64_t a = aw_now_ms(), b = aw_now_us();
    usleep(5000);
    assert_true(aw_now_ms() >= a + 4);
    assert_true(aw_now_us() >= b + 4000);
}

static void test_resolve_and_addr_text(void **state) {
    (void)state;
    aw_sockaddr a[4];
    size_t n;
    aw_error err;
    char s[64];
    assert_int_equal(aw_net_resolve("127.0.0.1", 3000, a, 4, &n, &err), AW_OK);
    assert_int_equal(n, 1);
    aw_net_addr_str(&a[0], s, sizeof s);
    assert_string_equal(s, "127.0.0.1:3000");
    assert_int_equal(aw_net_resolve("::1", 4000, a, 4, &n, &err), AW_OK);
    aw_net_addr_str(&a[0], s, sizeof s);
    assert_string_equal(s, "[::1]:4000");
    assert_int_equal(aw_net_resolve("", 3000, a, 4, &n, &err), AW_ERR_INVALID_HOST);
    assert_int_equal(n, 0);
    /* (Unresolvable names are left out: their failure can take a DNS timeout.) */
}

static void test_connect_refused_names_address(void **state) {
    (void)state;
    /* A port bound but not listening refuses. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
    socklen_t len = sizeof sin;
    getsockname(s, (struct sockaddr *)&sin, &len);
    aw_sockaddr a = {.len = sizeof sin};
    memcpy(&a.ss, &sin, sizeof sin);
    int fd = 7;
    aw_error err;
    assert_int_equal(aw_net_connect(&a, aw_now_ms() + 500, &fd, &err), AW_ERR_CONNECTION);
    assert_int_equal(fd, -1);
    char expect[64];
    snprintf(expect, sizeof expect, "127.0.0.1:%u: connection refused", ntohs(sin.sin_port));
    assert_string_equal(err.message, expect);

    /* Listening: connects, and the socket is non-blocking with no data. */
    assert_int_equal(listen(s, 1), 0);
    assert_int_equal(aw_net_connect(&a, aw_now_ms() + 500, &fd, &err), AW_OK);
    assert_true(aw_net_idle_ok(SOCK(fd)));
    aw_net_close(fd);
    close(s);
}

static void test_recv_deadline(void **state) {
    (void)state;
    int sv[2];
    pair(sv);
    uint8_t b[4];
    aw_error err;
    uint64_t t0 = aw_now_ms();
    assert_int_equal(aw_net_recv_all(SOCK(sv[0]), b, 4, t0 + 60, &err), AW_ERR_TIMEOUT);
    assert_in_range(aw_now_ms() - t0, 55, 500);
    /* Part of it, then nothing: still a timeout, at the deadline. */
    assert_int_equal(write(sv[1], "ab", 2), 2);
    assert_int_equal(aw_net_recv_all(SOCK(sv[0]), b, 4, aw_now_ms() + 30, &err), AW_ERR_TIMEOUT);
    close(sv[0]);
    close(sv[1]);
}

static void test_peer_closes(void **state) {
    (void)state;
    int sv[2];
    pair(sv);
    aw_error err;
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_false(aw_net_idle_ok(SOCK(sv[0]))); /* unread bytes */
    close(sv[1]);
    uint8_t b[4];
    assert_int_equal(aw_net_recv_all(SOCK(sv[0]), b, 4, aw_now_ms() + 500, &err), AW_ERR_NO_RESPONSE);
    assert_false(aw_net_idle_ok(SOCK(sv[0]))); /* closed */
    /* Writing to a closed peer is an error, never SIGPIPE. */
    assert_int_equal(aw_net_send_all(SOCK(sv[0]), "hello", 5, aw_now_ms() + 500, &err),
                     AW_ERR_CONNECTION);
    close(sv[0]);
}

static void test_send_deadline_when_peer_stops_reading(void **state) {
    (void)state;
    int sv[2];
    pair(sv);
    static uint8_t big[1 << 20];
    aw_error err;
    uint64_t t0 = aw_now_ms();
    assert_int_equal(aw_net_send_all(SOCK(sv[0]), big, sizeof big, t0 + 50, &err), AW_ERR_TIMEOUT);
    assert_in_range(aw_now_ms() - t0, 45, 500);
    close(sv[0]);
    close(sv[1]);
}

static void test_frames(void **state) {
    (void)state;
    int sv[2];
    pair(sv);
    aw_buf body;
    aw_buf_init(&body);
    aw_error err;

    uint8_t info[8 + 5];
    aw_proto_header_write(info, AW_PROTO_INFO, 5);
    memcpy(info + 8, "node\n", 5);
    assert_int_equal(aw_net_send_all(SOCK(sv[1]), info, sizeof info, 0, &err), AW_OK);
    assert_int_equal(aw_net_recv_frame(SOCK(sv[0]), AW_PROTO_INFO, 0, &body, aw_now_ms() + 500, &err),
                     AW_OK);
    assert_int_equal(body.len, 5);
    assert_memory_equal(body.data, "node\n", 5);

    /* A type-3 frame sent compressed arrives as its inner body. */
    uint8_t msg[8 + 40];
    aw_proto_header_write(msg, AW_PROTO_MSG, 40);
    for (int i = 0; i < 40; i++)
        msg[8 + i] = (uint8_t)i;
    aw_buf z;
    aw_buf_init(&z);
    assert_int_equal(aw_frame_compress(&z, msg, sizeof msg, &err), AW_OK);
    assert_int_equal(aw_net_send_all(SOCK(sv[1]), z.data, z.len, 0, &err), AW_OK);
    assert_int_equal(aw_net_recv_frame(SOCK(sv[0]), AW_PROTO_MSG, 0, &body, aw_now_ms() + 500, &err),
                     AW_OK);
    assert_int_equal(body.len, 40);
    assert_memory_equal(body.data, msg + 8, 40);
    aw_buf_free(&z);

    /* The wrong type, and a size over the cap, are protocol errors. */
    assert_int_equal(aw_net_send_all(SOCK(sv[1]), info, sizeof info, 0, &err), AW_OK);
    assert_int_equal(aw_net_recv_frame(SOCK(sv[0]), AW_PROTO_MSG, 0, &body, aw_now_ms() + 500, &err),
                     AW_ERR_PROTO);
    close(sv[0]);
    close(sv[1]);
    pair(sv);
    aw_proto_header_write(info, AW_PROTO_INFO, 1000);
    assert_int_equal(aw_net_send_all(SOCK(sv[1]), info, 8, 0, &err), AW_OK);
    assert_int_equal(aw_net_recv_frame(SOCK(sv[0]), AW_PROTO_INFO, 100, &body, aw_now_ms() + 500, &err),
                     AW_ERR_PROTO);
    /* Garbage instead of a header. */
    close(sv[0]);
    close(sv[1]);
    pair(sv);
    assert_int_equal(aw_net_send_all(SOCK(sv[1]), "HTTP/1.1", 8, 0, &err), AW_OK);
    assert_int_equal(aw_net_recv_frame(SOCK(sv[0]), AW_PROTO_INFO, 0, &body, aw_now_ms() + 500, &err),
                     AW_ERR_PROTO);
    aw_buf_free(&body);
    close(sv[0]);
    close(sv[1]);
}

/* A peer thread's way to send in pieces: bytes, a pause, bytes. */
typedef struct pieces {
    int fd;
    const uint8_t *p;
    size_t n, cut;
} pieces;

static void *send_in_two(void *arg) {
    pieces *x = arg;
    aw_error err;
    (void)aw_net_send_all(SOCK(x->fd), x->p, x->cut, 0, &err);
    usleep(20000);
    (void)aw_net_send_all(SOCK(x->fd), x->p + x->cut, x->n - x->cut, 0, &err);
    return NULL;
}

/* aw_net_recv_reply: the sync commands' read of their one reply. */
static void test_reply(void **state) {
    (void)state;
    int sv[2];
    aw_buf body;
    aw_buf_init(&body);
    aw_error err;
    static uint8_t frame[8 + 100000];
    for (size_t i = 0; i < sizeof frame - 8; i++)
        frame[8 + i] = (uint8_t)(i * 7);
    /* Sizes around the first read's 4096 bytes, and one far past it;
     * sent whole, and in two parts cut inside the header and after it. */
    const size_t sizes[] = {0, 1, 100, 4087, 4088, 4089, 5000, 100000};
    const size_t cuts[] = {0, 3, 8, 9, 4096};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (size_t ci = 0; ci < sizeof cuts / sizeof cuts[0]; ci++) {
            size_t n = 8 + sizes[si];
            if (cuts[ci] >= n)
                continue;
            pair(sv);
            aw_proto_header_write(frame, AW_PROTO_MSG, sizes[si]);
            pieces x = {sv[1], frame, n, cuts[ci] ? cuts[ci] : n};
            pthread_t t;
            assert_int_equal(pthread_create(&t, NULL, send_in_two, &x), 0);
            int rc = aw_net_recv_reply(SOCK(sv[0]), AW_PROTO_MSG, 0, &body, aw_now_ms() + 2000,
                                       &err);
            pthread_join(t, NULL);
            if (rc != AW_OK)
                fail_msg("size %zu cut at %zu: %s", sizes[si], cuts[ci], err.message);
            assert_int_equal(body.len, sizes[si]);
            if (sizes[si])
                assert_memory_equal(body.data, frame + 8, sizes[si]);
            close(sv[0]);
            close(sv[1]);
        }
    }
    /* More than the frame: the stream is out of step. */
    pair(sv);
    aw_proto_header_write(frame, AW_PROTO_MSG, 10);
    assert_int_equal(aw_net_send_all(SOCK(sv[1]), frame, 8 + 10 + 3, 0, &err), AW_OK);
    assert_int_equal(aw_net_recv_reply(SOCK(sv[0]), AW_PROTO_MSG, 0, &body, aw_now_ms() + 500,
                                       &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "3 bytes after"));
    close(sv[0]);
    close(sv[1]);
    /* A compressed reply arrives inflated; the wrong type is refused. */
    pair(sv);
    uint8_t msg[8 + 40];
    aw_proto_header_write(msg, AW_PROTO_MSG, 40);
    memset(msg + 8, 'm', 40);
    aw_buf z;
    aw_buf_init(&z);
    assert_int_equal(aw_frame_compress(&z, msg, sizeof msg, &err), AW_OK);
    assert_int_equal(aw_net_send_all(SOCK(sv[1]), z.data, z.len, 0, &err), AW_OK);
    assert_int_equal(aw_net_recv_reply(SOCK(sv[0]), AW_PROTO_MSG, 0, &body, aw_now_ms() + 500,
                                       &err), AW_OK);
    assert_int_equal(body.len, 40);
    assert_memory_equal(body.data, msg + 8, 40);
    aw_buf_free(&z);
    aw_proto_header_write(msg, AW_PROTO_INFO, 40);
    assert_int_equal(aw_net_send_all(SOCK(sv[1]), msg, sizeof msg, 0, &err), AW_OK);
    assert_int_equal(aw_net_recv_reply(SOCK(sv[0]), AW_PROTO_MSG, 0, &body, aw_now_ms() + 500,
                                       &err), AW_ERR_PROTO);
    close(sv[0]);
    close(sv[1]);
    /* Nothing, then a peer that closes: a timeout, then no response. */
    pair(sv);
    uint64_t t0 = aw_now_ms();
    assert_int_equal(aw_net_recv_reply(SOCK(sv[0]), AW_PROTO_MSG, 0, &body, t0 + 50, &err),
                     AW_ERR_TIMEOUT);
    assert_in_range(aw_now_ms() - t0, 45, 500);
    assert_int_equal(write(sv[1], "abc", 3), 3);
    close(sv[1]);
    assert_int_equal(aw_net_recv_reply(SOCK(sv[0]), AW_PROTO_MSG, 0, &body, aw_now_ms() + 500,
                                       &err), AW_ERR_NO_RESPONSE);
    close(sv[0]);
    aw_buf_free(&body);
}

int main(void) {
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill the test: MSG_NOSIGNAL must hold */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_is_monotonic),
        cmocka_unit_test(test_resolve_and_addr_text),
        cmocka_unit_test(test_connect_refused_names_address),
        cmocka_unit_test(test_recv_deadline),
        cmocka_unit_test(test_peer_closes),
        cmocka_unit_test(test_send_deadline_when_peer_stops_reading),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_reply),
    };
    return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
