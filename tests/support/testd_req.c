#include "testd_req.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/frame.h"
#include "proto/request.h"
#include "testd_proc.h"

int tu_exec(uint16_t port, const aw_buf *req, tu_reply *r) {
    memset(r, 0, sizeof *r);
    r->code = -1;
    int fd = tu_connect(port);
    if (fd < 0)
        return -1;
    if (tu_send(fd, req->data, req->len) == 0)
        r->frame = tu_recv_frame(fd, &r->len, 0);
    close(fd);
    aw_msg_view m;
    size_t used;
    if (!r->frame || r->len < 8 ||
        aw_msg_parse(r->frame + 8, r->len - 8, &m, &used, NULL) != AW_OK || used != r->len - 8)
        return -1;
    r->gen = m.h.generation;
    r->void_time = m.h.record_ttl;
    aw_msg_iter it = aw_msg_ops(&m);
    while (r->n_ops < TU_REPLY_MAX_OPS && aw_msg_next_op(&it, &r->ops[r->n_ops]))
        r->n_ops++;
    if (r->n_ops != m.h.n_ops)
        return -1;
    r->code = m.h.result_code;
    return r->code;
}

int tu_exec_free(uint16_t port, aw_buf *req, tu_reply *r) {
    int code = tu_exec(port, req, r);
    aw_buf_free(req);
    return code;
}

void tu_reply_free(tu_reply *r) {
    free(r->frame);
    memset(r, 0, sizeof *r);
}

const aw_op_view *tu_reply_op(const tu_reply *r, const char *name) {
    size_t n = strlen(name);
    for (uint16_t i = 0; i < r->n_ops; i++)
        if (r->ops[i].name_len == n && memcmp(r->ops[i].name, name, n) == 0)
            return &r->ops[i];
    return NULL;
}

void tu_raw_request(aw_buf *out, const aw_key *key, bool send_key, uint8_t info1, uint8_t info2,
                    uint8_t info3, uint32_t generation, uint32_t ttl, const tu_raw_op *ops,
                    size_t n_ops) {
    size_t at = aw_proto_header_begin(out);
    size_t set_len = strlen(key->set);
    aw_msg_header h = {0};
    h.header_sz = AW_MSG_HEADER_SIZE;
    h.info1 = info1;
    h.info2 = info2;
    h.info3 = info3;
    h.generation = generation;
    h.record_ttl = ttl;
    h.n_fields = (uint16_t)(2 + (set_len > 0) + send_key);
    h.n_ops = (uint16_t)n_ops;
    aw_buf_msg_header(out, &h);
    aw_buf_field(out, AW_FIELD_NAMESPACE, key->ns, (uint32_t)strlen(key->ns));
    if (set_len)
        aw_buf_field(out, AW_FIELD_SET, key->set, (uint32_t)set_len);
    aw_buf_field(out, AW_FIELD_DIGEST, key->digest, AW_DIGEST_SIZE);
    if (send_key)
        aw_buf_key_field(out, key, NULL);
    for (size_t i = 0; i < n_ops; i++) {
        const tu_raw_op *o = &ops[i];
        aw_buf_op_header(out, o->op, o->particle, o->name, (uint8_t)o->name_len, o->value_len);
        aw_buf_put(out, o->value, o->value_len);
    }
    aw_proto_header_patch(out, at, AW_PROTO_MSG);
}
