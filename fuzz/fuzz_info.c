/*
 * libFuzzer target for the info protocol parsers. The first byte picks the
 * parser (so seeds can aim at one), the rest is the value or reply body.
 * Beyond "no crash", it checks what each parser promises on success.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/buf.h"
#include "proto/info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_error(int rc, const aw_error *err) {
    CHECK(rc == AW_OK || rc == AW_ERR_PROTO);
    if (rc != AW_OK)
        CHECK(err->code == rc && err->message[0] != '\0');
}

static void run_scalars(const char *v, size_t len) {
    aw_error err;
    char node[AW_NODE_NAME_MAX + 1];
    int rc = aw_info_parse_node(v, len, node, &err);
    check_error(rc, &err);
    if (rc == AW_OK)
        CHECK(strlen(node) == len);
    int64_t i;
    check_error(aw_info_parse_int(v, len, &i, &err), &err);
    int code;
    const char *msg;
    size_t msg_len;
    if (aw_info_value_error(v, len, &code, &msg, &msg_len))
        CHECK(code > 0 && code <= 255 && msg >= v && msg + msg_len <= v + len);
    (void)aw_info_parse_features(v, len);
    (void)aw_info_has_feature(v, len, "peers");
}

static void run_replicas(const char *v, size_t len) {
    aw_replicas_ns out[2];
    size_t n = 99;
    aw_error err;
    int rc = aw_info_parse_replicas(v, len, out, 2, &n, &err);
    check_error(rc, &err);
    if (rc != AW_OK) {
        CHECK(n == 0);
        return;
    }
    CHECK(n <= 2);
    for (size_t k = 0; k < n; k++) {
        size_t l = strlen(out[k].ns);
        CHECK(l >= 1 && l <= AW_NAMESPACE_MAX);
        CHECK(out[k].n_repl_sent >= 1 && out[k].n_replicas >= 1);
        CHECK(out[k].n_replicas <= AW_MAX_REPLICAS && out[k].n_replicas <= out[k].n_repl_sent);
    }
}

static void run_peers(const char *v, size_t len) {
    aw_peer arr[3];
    aw_peers p = {.peers = arr, .cap = 3};
    aw_error err;
    int rc = aw_info_parse_peers(v, len, &p, &err);
    check_error(rc, &err);
    if (rc != AW_OK) {
        CHECK(p.n_peers == 0);
        return;
    }
    CHECK(p.n_peers <= 3 && p.default_port != 0);
    for (size_t k = 0; k < p.n_peers; k++) {
        CHECK(arr[k].n_hosts <= AW_PEER_MAX_HOSTS);
        size_t idl = strlen(arr[k].node_id);
        CHECK(idl >= 1 && idl <= AW_NODE_NAME_MAX);
        for (size_t h = 0; h < arr[k].n_hosts; h++)
            CHECK(arr[k].hosts[h].port != 0 && arr[k].hosts[h].name[0] != '\0');
    }
}

static void run_hosts(const char *v, size_t len) {
    aw_host h[3];
    size_t n = 99;
    aw_error err;
    int rc = aw_info_parse_hosts(v, len, 3000, h, 3, &n, &err);
    check_error(rc, &err);
    CHECK(rc == AW_OK ? n <= 3 : n == 0);
    for (size_t k = 0; rc == AW_OK && k < n; k++)
        CHECK(h[k].port != 0 && h[k].name[0] != '\0');
}

static void run_value(const char *v, size_t len) {
    run_scalars(v, len);
    run_replicas(v, len);
    run_peers(v, len);
    run_hosts(v, len);
}

/* A reply body: every line's value goes to every parser, as a tender might. */
static void run_reply(const char *body, size_t len) {
    size_t pos = 0;
    aw_info_pair pair;
    while (aw_info_next(body, len, &pos, &pair)) {
        CHECK(pair.name >= body && pair.name + pair.name_len <= body + len);
        if (!pair.value)
            continue;
        CHECK(pair.value >= body && pair.value + pair.value_len <= body + len);
        run_value(pair.value, pair.value_len);
    }
    const char *v;
    size_t vl;
    if (aw_info_find(body, len, "replicas", &v, &vl))
        CHECK(v >= body && v + vl <= body + len);
}

/* The input's lines as request names: either refused or framed exactly. */
static void run_request(const char *body, size_t len) {
    char *names_buf = malloc(len + 1);
    const char *names[16];
    size_t n = 0, start = 0;
    if (!names_buf)
        return;
    memcpy(names_buf, body, len);
    names_buf[len] = '\0';
    for (size_t i = 0; i <= len && n < 16; i++) {
        if (i == len || names_buf[i] == '\n') {
            names_buf[i] = '\0';
            names[n++] = names_buf + start;
            start = i + 1;
        }
    }
    aw_buf b;
    aw_buf_init(&b);
    aw_error err;
    int rc = aw_info_request(&b, names, n, &err);
    if (rc == AW_OK) {
        size_t body_len = 0;
        for (size_t k = 0; k < n; k++)
            body_len += strlen(names[k]) + 1;
        CHECK(b.len == 8 + body_len && b.data[0] == 2 && b.data[1] == 1);
        CHECK(aw_load_u48be(b.data + 2) == body_len);
    } else {
        CHECK(rc == AW_ERR_PARAM && b.len == 0);
    }
    aw_buf_free(&b);
    free(names_buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    const char *v = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 6) {
    case 0:
        run_reply(v, len);
        break;
    case 1:
        run_scalars(v, len);
        break;
    case 2:
        run_replicas(v, len);
        break;
    case 3:
        run_peers(v, len);
        break;
    case 4:
        run_hosts(v, len);
        break;
    default:
        run_request(v, len);
        break;
    }
    return 0;
}
