/*
 * aw-demo — the codec talking to the bundled test server.
 *
 * Starts aw-testd's server core in a child process on a free loopback port,
 * then writes, reads, operates on and batch-reads records over a plain
 * blocking socket using only src/proto, printing what comes back. (Until the
 * client library lands, this is the README's "main job".)
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aerowire/aerowire.h"
#include "proto/batch.h"
#include "proto/frame.h"
#include "proto/reply.h"
#include "proto/request.h"
#include "testd.h"

/* Runs the server in a child; returns its pid and port. */
static pid_t start_server(uint16_t *port) {
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        struct event_base *base = event_base_new();
        td_config cfg = {.port = 0, .nodes = 1};
        char err[256];
        td_server *s = base ? td_server_start(base, &cfg, err, sizeof err) : NULL;
        uint16_t got = s ? td_server_port(s, 0) : 0;
        if (write(p[1], &got, sizeof got) != sizeof got || !s)
            _exit(1);
        close(p[1]);
        event_base_dispatch(base);
        _exit(0);
    }
    close(p[1]);
    if (pid < 0 || read(p[0], port, sizeof *port) != sizeof *port || *port == 0)
        pid = -1;
    close(p[0]);
    return pid;
}

static int fd;

static uint8_t *roundtrip(const aw_buf *req, size_t *body_len) {
    if (write(fd, req->data, req->len) != (ssize_t)req->len)
        return NULL;
    uint8_t h[8];
    aw_proto_header ph;
    if (recv(fd, h, 8, MSG_WAITALL) != 8 || aw_proto_header_read(h, 8, 0, &ph, NULL) != AW_OK)
        return NULL;
    uint8_t *body = malloc(ph.size ? ph.size : 1);
    if (recv(fd, body, ph.size, MSG_WAITALL) != (ssize_t)ph.size) {
        free(body);
        return NULL;
    }
    *body_len = ph.size;
    return body;
}

static void print_value(const aw_value *v) {
    switch (v->type) {
    case AW_INT: printf("%lld", (long long)v->u.i); break;
    case AW_FLOAT: printf("%g", v->u.f); break;
    case AW_STR: printf("\"%.*s\"", (int)v->len, v->u.str); break;
    case AW_BOOL: printf("%s", v->u.b ? "true" : "false"); break;
    case AW_BLOB: printf("<%u-byte blob>", v->len); break;
    case AW_LIST:
        printf("[");
        for (uint32_t i = 0; i < v->len; i++) {
            printf(i ? ", " : "");
            print_value(&v->u.items[i]);
        }
        printf("]");
        break;
    case AW_MAP:
        printf("{");
        for (uint32_t i = 0; i < v->len; i++) {
            printf(i ? ", " : "");
            print_value(&v->u.items[2 * i]);
            printf(": ");
            print_value(&v->u.items[2 * i + 1]);
        }
        printf("}");
        break;
    default: printf("nil");
    }
}

static void print_record(const char *what, int code, const aw_record *rec) {
    printf("%-28s %s", what, aw_status_name(code));
    if (code == AW_OK) {
        printf("  gen %u ", rec->gen);
        for (uint32_t i = 0; i < rec->n_bins; i++) {
            printf(" %s=", rec->bins[i].name);
            print_value(&rec->bins[i].value);
        }
    }
    printf("\n");
}

/* Sends a single-record request and prints the decoded reply. */
static int single(const char *what, const aw_buf *req) {
    size_t len;
    uint8_t *body = roundtrip(req, &len);
    if (!body)
        return -1;
    int code;
    aw_record rec = {0};
    aw_error err;
    if (aw_reply_parse_record(body, len, NULL, &code, &rec, &err) != AW_OK) {
        fprintf(stderr, "bad reply: %s\n", err.message);
        free(body);
        return -1;
    }
    print_record(what, code, &rec);
    aw_record_free(&rec);
    free(body);
    return 0;
}

static int print_row(void *ctx, uint32_t index, const aw_msg_view *row) {
    (void)ctx;
    aw_record rec = {0};
    char what[32];
    snprintf(what, sizeof what, "  batch row %u", index);
    if (row->h.result_code == AW_OK && aw_record_from_msg(row, NULL, &rec, NULL) != AW_OK)
        return AW_ERR_PROTO;
    print_record(what, row->h.result_code, &rec);
    aw_record_free(&rec);
    return 0;
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    uint16_t port;
    pid_t server = start_server(&port);
    if (server < 0) {
        fprintf(stderr, "aw-demo: could not start the test server\n");
        return 1;
    }
    printf("aw-demo: bundled test server (aw-testd) on 127.0.0.1:%u\n\n", port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = 1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto out;

    aw_error err;
    aw_req_opts o = aw_req_opts_default();
    o.timeout_ms = 1000;
    aw_buf req;
    aw_buf_init(&req);
    aw_key keys[3];
    for (int i = 0; i < 3; i++) {
        aw_key_init_int(&keys[i], "test", "demo", i, &err);
        aw_value tags[] = {aw_value_str("sensor"), aw_value_int(i)};
        aw_bin bins[] = {{"temp", aw_value_float(20.5 + i)},
                         {"count", aw_value_int(10 * i)},
                         {"tags", aw_value_list(tags, 2)}};
        aw_buf_reset(&req);
        if (aw_req_write(&req, &keys[i], bins, 3, &o, &err) != AW_OK || single("put", &req))
            goto out;
    }
    aw_buf_reset(&req);
    aw_req_read(&req, &keys[1], NULL, 0, &o, &err);
    single("get key 1", &req);

    aw_op ops[] = {aw_op_incr("count", aw_value_int(5)), aw_op_list_append("tags", aw_value_str("new")),
                   aw_op_read("count"), aw_op_list_size("tags")};
    aw_buf_reset(&req);
    aw_req_operate(&req, &keys[1], ops, 4, &o, &err);
    single("operate incr+append+read", &req);

    o.exists = AW_EXISTS_CREATE_ONLY;
    aw_bin one[] = {{"count", aw_value_int(0)}};
    aw_buf_reset(&req);
    aw_req_write(&req, &keys[0], one, 1, &o, &err);
    single("put create-only (exists)", &req);
    o.exists = AW_EXISTS_UPDATE;

    aw_bin too_long[] = {{"a_bin_name_of_16b", aw_value_int(1)}};
    aw_buf_reset(&req);
    if (aw_req_write(&req, &keys[0], too_long, 1, &o, &err) != AW_OK)
        printf("%-28s %s: %s\n", "bad bin name", aw_status_name(err.code), err.message);

    /* Batch-read keys 0..2 and one that does not exist. */
    aw_key missing;
    aw_key_init_int(&missing, "test", "demo", 99, &err);
    aw_batch_row rows[4];
    for (uint32_t i = 0; i < 4; i++)
        rows[i] = (aw_batch_row){.index = i, .key = i < 3 ? &keys[i] : &missing, .kind = AW_BATCH_READ};
    aw_batch_opts bo = {.timeout_ms = 1000};
    aw_buf_reset(&req);
    if (aw_req_batch(&req, rows, 4, &bo, &err) != AW_OK)
        goto out;
    printf("batch read of 4 keys\n");
    if (write(fd, req.data, req.len) != (ssize_t)req.len)
        goto out;
    aw_batch_reader br;
    aw_batch_reader_init(&br, 4);
    while (!br.done) {
        uint8_t h[8];
        aw_proto_header ph;
        if (recv(fd, h, 8, MSG_WAITALL) != 8 || aw_proto_header_read(h, 8, 0, &ph, NULL) != AW_OK)
            goto out;
        uint8_t *body = malloc(ph.size ? ph.size : 1);
        if (recv(fd, body, ph.size, MSG_WAITALL) != (ssize_t)ph.size ||
            aw_batch_reader_feed(&br, body, ph.size, print_row, NULL, &err) != AW_OK) {
            free(body);
            goto out;
        }
        free(body);
    }
    aw_buf_free(&req);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "aw-demo: failed\n");
    close(fd);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    return rc;
}
