/* Message header, fields and ops: writers and the validating parser. */
#include "msg.h"

#include <string.h>

void aw_msg_header_write(uint8_t *p, const aw_msg_header *h) {
    p[0] = AW_MSG_HEADER_SIZE;
    p[1] = h->info1;
    p[2] = h->info2;
    p[3] = h->info3;
    p[4] = h->info4;
    p[5] = h->result_code;
    aw_store_u32be(p + 6, h->generation);
    aw_store_u32be(p + 10, h->record_ttl);
    aw_store_u32be(p + 14, h->transaction_ttl);
    aw_store_u16be(p + 18, h->n_fields);
    aw_store_u16be(p + 20, h->n_ops);
}

void aw_buf_msg_header(aw_buf *b, const aw_msg_header *h) {
    uint8_t *p = aw_buf_grow(b, AW_MSG_HEADER_SIZE);
    if (p)
        aw_msg_header_write(p, h);
}

void aw_buf_field(aw_buf *b, uint8_t type, const void *data, uint32_t len) {
    uint8_t *p = aw_buf_grow(b, 5 + (size_t)len);
    if (!p)
        return;
    aw_store_u32be(p, len + 1);
    p[4] = type;
    if (len)
        memcpy(p + 5, data, len);
}

void aw_buf_op_header(aw_buf *b, uint8_t op, uint8_t particle, const char *name,
                      uint8_t name_len, uint32_t value_len) {
    uint8_t *p = aw_buf_grow(b, 8 + (size_t)name_len);
    if (!p)
        return;
    aw_store_u32be(p, 4 + (uint32_t)name_len + value_len);
    p[4] = op;
    p[5] = particle;
    p[6] = 0;
    p[7] = name_len;
    if (name_len)
        memcpy(p + 8, name, name_len);
}

int aw_msg_parse(const uint8_t *p, size_t len, aw_msg_view *m, size_t *consumed, aw_error *err) {
    if (len < AW_MSG_HEADER_SIZE)
        return aw_error_set(err, AW_ERR_PROTO, "message truncated: %zu of %d header bytes", len,
                            AW_MSG_HEADER_SIZE);
    if (p[0] != AW_MSG_HEADER_SIZE)
        return aw_error_set(err, AW_ERR_PROTO, "message header size %u, expected %d", p[0],
                            AW_MSG_HEADER_SIZE);
    aw_msg_header *h = &m->h;
    h->header_sz = p[0];
    h->info1 = p[1];
    h->info2 = p[2];
    h->info3 = p[3];
    h->info4 = p[4];
    h->result_code = p[5];
    h->generation = aw_load_u32be(p + 6);
    h->record_ttl = aw_load_u32be(p + 10);
    h->transaction_ttl = aw_load_u32be(p + 14);
    h->n_fields = aw_load_u16be(p + 18);
    h->n_ops = aw_load_u16be(p + 20);

    size_t items = 0;
    int rc = aw_msg_parse_items(p + AW_MSG_HEADER_SIZE, len - AW_MSG_HEADER_SIZE, m, &items, err);
    if (rc == AW_OK && consumed)
        *consumed = AW_MSG_HEADER_SIZE + items;
    return rc;
}

int aw_msg_parse_items(const uint8_t *p, size_t len, aw_msg_view *m, size_t *consumed,
                       aw_error *err) {
    const aw_msg_header *h = &m->h;
    size_t off = 0;
    m->fields = p;
    for (uint32_t i = 0; i < h->n_fields; i++) {
        if (len - off < 5)
            return aw_error_set(err, AW_ERR_PROTO, "field %u of %u truncated", i, h->n_fields);
        uint32_t sz = aw_load_u32be(p + off);
        if (sz < 1)
            return aw_error_set(err, AW_ERR_PROTO, "field %u has size 0", i);
        if (sz > len - off - 4)
            return aw_error_set(err, AW_ERR_PROTO, "field %u size %u beyond the %zu bytes left", i,
                                sz, len - off - 4);
        off += 4 + (size_t)sz;
    }
    m->ops = p + off;
    for (uint32_t i = 0; i < h->n_ops; i++) {
        if (len - off < 8)
            return aw_error_set(err, AW_ERR_PROTO, "op %u of %u truncated", i, h->n_ops);
        uint32_t sz = aw_load_u32be(p + off);
        uint8_t name_len = p[off + 7];
        if (sz < 4u + name_len)
            return aw_error_set(err, AW_ERR_PROTO, "op %u size %u smaller than its name (%u)", i,
                                sz, name_len);
        if (sz > len - off - 4)
            return aw_error_set(err, AW_ERR_PROTO, "op %u size %u beyond the %zu bytes left", i, sz,
                                len - off - 4);
        off += 4 + (size_t)sz;
    }
    m->end = p + off;
    if (consumed)
        *consumed = off;
    return AW_OK;
}

bool aw_msg_next_field(aw_msg_iter *it, aw_field_view *f) {
    if (it->left == 0)
        return false;
    uint32_t sz = aw_load_u32be(it->p);
    f->type = it->p[4];
    f->len = sz - 1;
    f->data = it->p + 5;
    it->p += 4 + (size_t)sz;
    it->left--;
    return true;
}

bool aw_msg_next_op(aw_msg_iter *it, aw_op_view *op) {
    if (it->left == 0)
        return false;
    uint32_t sz = aw_load_u32be(it->p);
    op->op = it->p[4];
    op->particle = it->p[5];
    op->flags = it->p[6];
    op->name_len = it->p[7];
    op->name = (const char *)it->p + 8;
    op->value_len = sz - 4 - op->name_len;
    op->value = it->p + 8 + op->name_len;
    it->p += 4 + (size_t)sz;
    it->left--;
    return true;
}

bool aw_msg_find_field(const aw_msg_view *m, uint8_t type, aw_field_view *f) {
    aw_msg_iter it = aw_msg_fields(m);
    while (aw_msg_next_field(&it, f))
        if (f->type == type)
            return true;
    return false;
}
