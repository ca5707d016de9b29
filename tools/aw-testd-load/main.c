/*
 * aw-testd-load — a pipelined loopback load generator for measuring the
 * test server (not a client benchmark: it reuses one encoded request).
 *
 *   aw-testd-load PORT [SECONDS=5] [DEPTH=64] [CONNS=1]
 *
 * Writes one record, then keeps DEPTH gets of it in flight on each of CONNS
 * connections and prints reads/s.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aerowire/aerowire.h"
#include "clock.h"
#include "proto/request.h"

static int dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: aw-testd-load PORT [SECONDS] [DEPTH] [CONNS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double seconds = argc > 2 ? atof(argv[2]) : 5;
    int depth = argc > 3 ? atoi(argv[3]) : 64;
    int nconn = argc > 4 ? atoi(argv[4]) : 1;
    if (depth < 1 || nconn < 1 || nconn > 64)
        return 2;

    aw_key key;
    aw_error err;
    aw_key_init_str(&key, "test", "load", "k", &err);
    aw_bin bins[] = {{"a", aw_value_int(1)}, {"b", aw_value_str("hello world")}};
    aw_req_opts o = aw_req_opts_default();
    aw_buf put, get;
    aw_buf_init(&put);
    aw_buf_init(&get);
    if (aw_req_write(&put, &key, bins, 2, &o, &err) || aw_req_read(&get, &key, NULL, 0, &o, &err)) {
        fprintf(stderr, "encode: %s\n", err.message);
        return 1;
    }
    int fd0 = dial(port);
    uint8_t rbuf[1 << 16];
    if (write(fd0, put.data, put.len) != (ssize_t)put.len || read(fd0, rbuf, sizeof rbuf) <= 0)
        return 1;
    close(fd0);

    /* The reply size of one get, to count replies by bytes. */
    fd0 = dial(port);
    if (write(fd0, get.data, get.len) != (ssize_t)get.len)
        return 1;
    ssize_t reply_len = read(fd0, rbuf, sizeof rbuf);
    close(fd0);
    if (reply_len <= 30)
        return 1;

    uint8_t *batch = malloc(get.len * (size_t)depth);
    for (int i = 0; i < depth; i++)
        memcpy(batch + get.len * (size_t)i, get.data, get.len);
    int fds[64];
    struct pollfd pf[64];
    size_t pending[64];
    for (int c = 0; c < nconn; c++) {
        fds[c] = dial(port);
        pf[c] = (struct pollfd){fds[c], POLLIN, 0};
        if (write(fds[c], batch, get.len * (size_t)depth) < 0)
            return 1;
        pending[c] = (size_t)reply_len * (size_t)depth;
    }
    uint64_t replies = 0, bytes = 0;
    double t0 = bl_now_s(), end = t0 + seconds;
    while (bl_now_s() < end) {
        if (poll(pf, (nfds_t)nconn, 1000) <= 0)
            continue;
        for (int c = 0; c < nconn; c++) {
            if (!(pf[c].revents & POLLIN))
                continue;
            ssize_t r = read(fds[c], rbuf, sizeof rbuf);
            if (r <= 0) {
                fprintf(stderr, "connection closed\n");
                return 1;
            }
            bytes += (uint64_t)r;
            pending[c] -= (size_t)r;
            /* Refill once a whole pipeline's worth has come back. */
            if (pending[c] == 0) {
                replies += (uint64_t)depth;
                if (write(fds[c], batch, get.len * (size_t)depth) < 0)
                    return 1;
                pending[c] = (size_t)reply_len * (size_t)depth;
            }
        }
    }
    double el = bl_now_s() - t0;
    printf("%.0f reads/s (%d conns x depth %d, %.1f s, %zd-byte replies)\n", (double)replies / el,
           nconn, depth, el, reply_len);
    aw_buf_free(&put);
    aw_buf_free(&get);
    free(batch);
    return 0;
}
