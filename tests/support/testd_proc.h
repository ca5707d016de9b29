/*
 * Starting aw-testd as a child process for a test, and talking to it with
 * blocking sockets (so tests judge the server from outside, as a client does).
 */
#ifndef AW_TESTD_PROC_H
#define AW_TESTD_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct tu_testd {
    pid_t pid;
    int n_nodes;
    uint16_t ports[16];
    uint16_t tls_ports[16]; /* with --tls-port: node i's own TLS port, else 0 */
} tu_testd;

/* Starts $AW_BIN/aw-testd (or build/bin/aw-testd) with --port 0 and extra
 * arguments (NULL-terminated), waits for its ready line and takes the
 * nodes' ports from it (and their TLS ports, after " tls "). 0 or -1. */
int tu_testd_start(tu_testd *t, const char *const *extra_args);
/* SIGTERM, then waits; returns the exit status (0 = clean shutdown). */
int tu_testd_stop(tu_testd *t);
/* tu_testd_stop for a cmocka group teardown: an unclean exit is printed and
 * remembered in tu_testd_stop_failed, because cmocka reports a failed group
 * teardown but does not count it (so main returns failed ||
 * tu_testd_stop_failed). 0 or -1. */
extern int tu_testd_stop_failed;
int tu_testd_stop_group(tu_testd *t);

/* A blocking loopback connection; -1 on failure. */
int tu_connect(uint16_t port);
/* Sends all bytes; 0 or -1. */
int tu_send(int fd, const void *p, size_t n);
/* Receives one whole frame (header included) into a malloc'd buffer;
 * NULL when the connection closed or timed out (timeout_ms, 0 = 5000). */
uint8_t *tu_recv_frame(int fd, size_t *len, int timeout_ms);
/* Sends an info request for `names` ("a\nb\n") and returns the reply body
 * as a malloc'd NUL-terminated string (NULL on failure). */
char *tu_info(uint16_t port, const char *names);
/* Sends testd-clock with args ("advance=S", "freeze=1", "freeze=0", "" or
 * several joined by ';') and returns the server's clock after it (seconds
 * since 2010-01-01, the epoch of void times); 0 on failure. */
uint32_t tu_testd_clock(uint16_t port, const char *args);

#endif
