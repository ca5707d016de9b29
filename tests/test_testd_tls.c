/*
 * aw-testd terminating TLS itself (--tls-port), judged from outside: what
 * its ready line and peers-tls-std / service-tls-std announce, that
 * connections which never finish a handshake (silent, stalled mid-hello,
 * plain TCP) hold up nobody else and the plain-TCP one is dropped, that a
 * killed node's TLS port goes and comes back on revive, and that options
 * which do not go together are refused. The client's own TLS paths against
 * it are in test_tls (both servers).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "support/awrun.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"
#include "support/tls_proxy.h"

static char certs[64];
static tu_testd srv; /* 2 nodes, TLS on their own ports */
/* Connections left mid-handshake for the server's shutdown to free. */
static int unfinished[2] = {-1, -1};
static char path_buf[4][160];

static const char *cert_path(int slot, const char *name) {
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", certs, name);
    return path_buf[slot];
}

static int group_setup(void **state) {
    (void)state;
    if (tu_tls_make_certs(certs, sizeof certs) != 0)
        return -1;
    const char *args[] = {"--nodes", "2", "--tls-port", "0", "--tls-cert", cert_path(0, "srv.pem"),
                          "--tls-key", cert_path(1, "srv.key"), "--tls-name", "aw-node", NULL};
    return tu_testd_start(&srv, args);
}

static int group_teardown(void **state) {
    (void)state;
    int rc = tu_testd_stop_group(&srv);
    for (int i = 0; i < 2; i++)
        if (unfinished[i] >= 0)
            close(unfinished[i]);
    tu_tls_remove_certs(certs);
    return rc;
}

/* A client seeded at node's TLS port, trusting the test CA. */
static aw_client *tls_client(uint16_t port) {
    static char hosts[64];
    snprintf(hosts, sizeof hosts, "127.0.0.1:aw-node:%u", port);
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    cfg.connect_timeout_ms = 500;
    cfg.tls.enable = true;
    cfg.tls.cafile = cert_path(2, "ca.pem");
    return tu_client_new(&cfg);
}

/* Whether the server closes fd within ms (whatever it sends first, an
 * alert say, is read and dropped). */
static bool hangs_up_within(int fd, int ms) {
    uint64_t end = tu_now_ms() + (uint64_t)ms;
    for (;;) {
        uint64_t now = tu_now_ms();
        struct pollfd p = {fd, POLLIN, 0};
        if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
            return false;
        char buf[256];
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
}

/* Each node announces its own TLS port, the ready line's, with its name. */
static void test_announced_ports(void **state) {
    (void)state;
    for (int i = 0; i < 2; i++) {
        assert_true(srv.tls_ports[i] != 0);
        assert_true(srv.tls_ports[i] != srv.ports[0] && srv.tls_ports[i] != srv.ports[1]);
        char *reply = tu_info(srv.ports[i], "service-tls-std\npeers-tls-std\n");
        assert_non_null(reply);
        char want[128];
        snprintf(want, sizeof want, "service-tls-std\t127.0.0.1:%u\n", srv.tls_ports[i]);
        if (!strstr(reply, want))
            fail_msg("'%s' lacks '%s'", reply, want);
        snprintf(want, sizeof want, ",aw-node,[127.0.0.1:%u]]", srv.tls_ports[1 - i]);
        if (!strstr(reply, want))
            fail_msg("'%s' lacks '%s'", reply, want);
        free(reply);
    }
}

/* Three connections that never finish a handshake on node 0's TLS port: a
 * silent one, one stalled inside its ClientHello, one speaking plain TCP.
 * TLS clients meanwhile get through on both nodes; the plain one is
 * dropped. The two others stay open until the server has shut down: its
 * exit status under ASan says their sessions were freed. */
static void test_stalled_handshakes_block_nobody(void **state) {
    (void)state;
    int silent = tu_connect(srv.tls_ports[0]);
    int stalled = tu_connect(srv.tls_ports[0]);
    int plain = tu_connect(srv.tls_ports[0]);
    assert_true(silent >= 0 && stalled >= 0 && plain >= 0);
    /* A handshake record of 512 bytes, of which only the first 9 come. */
    static const uint8_t hello_start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc};
    assert_int_equal(tu_send(stalled, hello_start, sizeof hello_start), 0);
    /* An info request for "build": proto version 2, type 1, 6 bytes. */
    static const uint8_t info[] = {2, 1, 0, 0, 0, 0, 0, 6, 'b', 'u', 'i', 'l', 'd', '\n'};
    assert_int_equal(tu_send(plain, info, sizeof info), 0);
    assert_true(hangs_up_within(plain, 2000));
    close(plain);

    for (int n = 0; n < 2; n++) {
        uint64_t t0 = tu_now_ms();
        aw_client *c = tls_client(srv.tls_ports[n]);
        aw_error err;
        for (int i = 0; i < 20; i++) {
            char name[16];
            snprintf(name, sizeof name, "st%d", i);
            aw_key k = tu_key("test", "owntls", name);
            aw_bin b = {"v", aw_value_int(i)};
            tu_check(aw_put(c, NULL, &k, &b, 1, &err), &err, "put");
        }
        aw_client_close(c);
        assert_true(tu_now_ms() - t0 < 2000);
    }
    /* The stalled ones are still waited on, not dropped: the rest of the
     * hello would still be taken. */
    struct pollfd p[2] = {{silent, POLLIN, 0}, {stalled, POLLIN, 0}};
    assert_int_equal(poll(p, 2, 0), 0);
    unfinished[0] = silent;
    unfinished[1] = stalled;
}

/* A killed node's TLS listener closes with its plain one; revived, it
 * takes TLS on the same port again. */
static void test_kill_and_revive(void **state) {
    (void)state;
    tu_testd_ctl(&srv, 0, "testd-kill:node=1");
    int fd = tu_connect(srv.tls_ports[1]);
    assert_int_equal(fd, -1);
    tu_testd_ctl(&srv, 0, "testd-revive:node=1");
    aw_client *c = tls_client(srv.tls_ports[1]);
    char *reply = NULL;
    aw_error err;
    tu_check(aw_info(c, NULL, "node", 0, &reply, &err), &err, "info over TLS");
    aw_free(reply);
    aw_client_close(c);
}

/* aw-testd with args: its exit status is 1 and its error names the problem. */
static void expect_refused(const char *const *args, const char *why) {
    char bin[4096];
    const char *dir = getenv("AW_BIN");
    snprintf(bin, sizeof bin, "%s/aw-testd", dir && dir[0] ? dir : "build/bin");
    tu_run r = tu_run_prog(bin, NULL, args);
    expect_status(r, 1);
    expect_contains(r.err, why);
    tu_run_free(&r);
}

static void test_options_refused(void **state) {
    (void)state;
    const char *pem = cert_path(0, "srv.pem"), *key = cert_path(1, "srv.key");
    const char *cli_key = cert_path(3, "cli.key");
    expect_refused((const char *const[]){"--port", "0", "--tls-port", "0", NULL},
                   "--tls-port needs --tls-cert and --tls-key");
    expect_refused((const char *const[]){"--port", "0", "--tls-cert", pem, "--tls-key", key, NULL},
                   "go with --tls-port");
    expect_refused((const char *const[]){"--port", "0", "--tls-port", "0", "--tls-cert", pem,
                                         "--tls-key", key, "--tls-ports", "4333", NULL},
                   "exclude each other");
    expect_refused((const char *const[]){"--port", "0", "--tls-port", "0", "--tls-cert",
                                         "/nonexistent.pem", "--tls-key", key, NULL},
                   "--tls-cert /nonexistent.pem");
    expect_refused((const char *const[]){"--port", "0", "--tls-port", "0", "--tls-cert", pem,
                                         "--tls-key", cli_key, NULL},
                   "cli.key: key values mismatch");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_announced_ports),
        cmocka_unit_test(test_stalled_handshakes_block_nobody),
        cmocka_unit_test(test_kill_and_revive),
        cmocka_unit_test(test_options_refused),
    };
    int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    return failed || tu_testd_stop_failed;
}
