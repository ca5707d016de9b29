/*
 * One info exchange on an open socket: a type-1 request frame out, the
 * type-1 reply body in, and reading one value out of it.
 */
#include <string.h>

#include "cluster_internal.h"
#include "proto/frame.h"

int aw_info_exchange(aw_sock *s, const char *request, size_t max_reply, aw_buf *body,
                     uint64_t deadline_ms, aw_error *err) {
    size_t len = strlen(request);
    bool add_nl = len > 0 && request[len - 1] != '\n';
    uint8_t hdr[AW_PROTO_HEADER_SIZE];
    aw_proto_header_write(hdr, AW_PROTO_INFO, len + add_nl);
    /* One send for the header and body, so the request leaves in one segment. */
    aw_buf_reset(body);
    aw_buf_put(body, hdr, sizeof hdr);
    aw_buf_put(body, request, len);
    if (add_nl)
        aw_buf_u8(body, '\n');
    if (!aw_buf_ok(body))
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for an info request");
    int rc = aw_net_send_all(s, body->data, body->len, deadline_ms, err);
    if (rc == AW_OK)
        rc = aw_net_recv_frame(s, AW_PROTO_INFO, max_reply, body, deadline_ms, err);
    return rc;
}

int aw_info_reply_value(const aw_buf *body, const char *name, const char **value, size_t *len,
                        aw_error *err) {
    if (!aw_info_find((const char *)body->data, body->len, name, value, len))
        return aw_error_set(err, AW_ERR_PROTO, "the reply has no `%s` line", name);
    int code;
    const char *msg;
    size_t msg_len;
    if (aw_info_value_error(*value, *len, &code, &msg, &msg_len))
        return aw_error_set(err, code, "`%s` failed: %.*s", name,
                            (int)(msg_len > 100 ? 100 : msg_len), msg ? msg : "");
    return AW_OK;
}
