/*
 * Validating a node before it joins: the first exchange the official client
 * runs with a seed or a newly listed peer (§10.3 step 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster_internal.h"

#define AW_VALIDATE_REQUEST "node\npartition-generation\nbuild\nfeatures\n"

/* Servers older than 4.9 lack the commands tending relies on. */
static bool build_supported(const char *v, size_t len) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.*s", (int)(len < sizeof tmp ? len : sizeof tmp - 1), v);
    char *end;
    long major = strtol(tmp, &end, 10);
    long minor = *end == '.' ? strtol(end + 1, NULL, 10) : 0;
    return major > 4 || (major == 4 && minor >= 9);
}

/* Reads and checks the validation reply; messages are completed by the caller. */
static int check_hello(aw_cluster *c, const aw_buf *body, aw_node_hello *hello, aw_error *err) {
    const char *v;
    size_t len;
    int rc = aw_info_reply_value(body, "node", &v, &len, err);
    if (rc == AW_OK)
        rc = aw_info_parse_node(v, len, hello->name, err);
    if (rc == AW_OK)
        rc = aw_info_reply_value(body, "partition-generation", &v, &len, err);
    if (rc == AW_OK)
        rc = aw_info_parse_int(v, len, &hello->partition_gen, err);
    if (rc != AW_OK)
        return rc;
    if (hello->partition_gen == -1)
        return aw_error_set(err, AW_ERR_INVALID_NODE,
                            "node %s is not ready yet (partition-generation -1)", hello->name);
    rc = aw_info_reply_value(body, "build", &v, &len, err);
    if (rc != AW_OK)
        return rc;
    if (!build_supported(v, len))
        return aw_error_set(err, AW_ERR_UNSUPPORTED, "node %s runs server %.*s, older than 4.9",
                            hello->name, (int)(len > 20 ? 20 : len), v);
    rc = aw_info_reply_value(body, "features", &v, &len, err);
    if (rc != AW_OK)
        return rc;
    hello->features = aw_info_parse_features(v, len);
    if (c->cluster_name) {
        rc = aw_info_reply_value(body, "cluster-name", &v, &len, err);
        if (rc != AW_OK)
            return rc;
        if (len != strlen(c->cluster_name) || memcmp(v, c->cluster_name, len) != 0)
            return aw_error_set(err, AW_ERR_CLUSTER,
                                "node %s is in cluster '%.*s', expected '%s'", hello->name,
                                (int)(len > 40 ? 40 : len), v, c->cluster_name);
    }
    return AW_OK;
}

/* Puts "addr: " in front of err's message. */
static int prefix_addr(aw_error *err, int rc, const char *addr) {
    if (!err)
        return rc;
    char msg[AW_ERROR_MSG_SIZE];
    snprintf(msg, sizeof msg, "%s", err->message);
    if (strncmp(msg, addr, strlen(addr)) == 0)
        return rc;
    return aw_error_set(err, rc, "%s: %s", addr, msg);
}

/* A TLS proxy hangs up on the plain request (login or info) it cannot read. */
static void tls_port_hint(const aw_cluster *c, int rc, aw_error *err) {
    if ((rc != AW_ERR_NO_RESPONSE && rc != AW_ERR_CONNECTION) || c->tls || !err)
        return;
    char msg[AW_ERROR_MSG_SIZE];
    snprintf(msg, sizeof msg, "%s", err->message);
    aw_error_set(err, rc, "%s (the server hung up before answering: a TLS port? then enable TLS)",
                 msg);
}

int aw_node_validate(aw_cluster *c, const aw_host *host, const aw_sockaddr *addr, aw_sock *s,
                     aw_node_hello *hello, aw_error *err) {
    char where[64];
    aw_net_addr_str(addr, where, sizeof where);
    memset(hello, 0, sizeof *hello);
    uint32_t timeout = c->cfg.connect_timeout_ms;
    const char *tls_name = host->tls_name[0] ? host->tls_name : host->name;
    int rc = aw_cluster_connect(c, addr, tls_name, aw_now_ms() + timeout, s, err);
    if (rc != AW_OK)
        return rc;
    /* No node yet to keep a session for: this login's token is not kept. */
    rc = aw_login_sync(c->login, NULL, s, aw_now_ms() + timeout, where, err);
    if (rc != AW_OK) {
        tls_port_hint(c, rc, err);
        aw_sock_close(s);
        return rc;
    }
    aw_buf body;
    aw_buf_init(&body);
    const char *request = c->cluster_name ? AW_VALIDATE_REQUEST "cluster-name\n"
                                          : AW_VALIDATE_REQUEST;
    rc = aw_info_exchange(s, request, AW_TEND_MAX_REPLY, &body, aw_now_ms() + timeout, err);
    tls_port_hint(c, rc, err);
    if (rc == AW_OK)
        rc = check_hello(c, &body, hello, err);
    aw_buf_free(&body);
    if (rc != AW_OK) {
        aw_sock_close(s);
        return prefix_addr(err, rc, where);
    }
    return AW_OK;
}

int aw_node_discover(aw_cluster *c, const aw_host *host, const char *expect_name, aw_node **out,
                     aw_node_hello *hello, aw_error *err) {
    *out = NULL;
    aw_sockaddr addrs[8];
    size_t n = 0;
    int rc = aw_net_resolve(host->name, host->port, addrs, 8, &n, err);
    for (size_t i = 0; i < n; i++) {
        aw_sock s;
        rc = aw_node_validate(c, host, &addrs[i], &s, hello, err);
        if (rc != AW_OK)
            continue;
        if (expect_name && strcasecmp(hello->name, expect_name) != 0) {
            char where[64];
            aw_net_addr_str(&addrs[i], where, sizeof where);
            rc = aw_error_set(err, AW_ERR_INVALID_NODE, "%s: answered as node %s, expected %s",
                              where, hello->name, expect_name);
            aw_sock_close(&s);
            continue;
        }
        /* The validation connection becomes the node's tend connection. */
        *out = aw_node_new(c, hello->name, host, &addrs[i], hello->features, s, err);
        if (!*out) {
            aw_sock_close(&s);
            return AW_ERR_NOMEM;
        }
        aw_node_count_open(*out);
        return AW_OK;
    }
    return rc;
}
