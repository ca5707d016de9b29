/* The admin protocol's codec (proto type 2): see admin.h. */
#include "admin.h"

#include <string.h>

#include "frame.h"

static size_t begin(aw_buf *b, uint8_t result, uint8_t command, uint8_t n_fields) {
    size_t at = aw_proto_header_begin(b);
    uint8_t *p = aw_buf_grow(b, AW_ADMIN_HEADER_SIZE);
    if (p) {
        memset(p, 0, AW_ADMIN_HEADER_SIZE);
        p[1] = result;
        p[2] = command;
        p[3] = n_fields;
    }
    return at;
}

size_t aw_admin_begin(aw_buf *b, uint8_t command, uint8_t n_fields) {
    return begin(b, 0, command, n_fields);
}

size_t aw_admin_begin_reply(aw_buf *b, uint8_t result, uint8_t n_fields) {
    return begin(b, result, 0, n_fields);
}

void aw_admin_field(aw_buf *b, uint8_t id, const void *data, size_t len) {
    aw_buf_u32be(b, (uint32_t)len + 1);
    aw_buf_u8(b, id);
    if (len)
        aw_buf_put(b, data, len);
}

void aw_admin_field_str(aw_buf *b, uint8_t id, const char *s) {
    aw_admin_field(b, id, s, s ? strlen(s) : 0);
}

void aw_admin_field_u32(aw_buf *b, uint8_t id, uint32_t v) {
    uint8_t be[4];
    aw_store_u32be(be, v);
    aw_admin_field(b, id, be, 4);
}

void aw_admin_field_roles(aw_buf *b, const char *const *roles, size_t n) {
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += 1 + strlen(roles[i]);
    aw_buf_u32be(b, (uint32_t)len + 1);
    aw_buf_u8(b, AW_AFIELD_ROLES);
    aw_buf_u8(b, (uint8_t)n);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(roles[i]);
        aw_buf_u8(b, (uint8_t)l);
        aw_buf_put(b, roles[i], l);
    }
}

void aw_admin_end(aw_buf *b, size_t at) { aw_proto_header_patch(b, at, AW_PROTO_ADMIN); }

int aw_admin_parse(const uint8_t *p, size_t len, aw_admin_view *v, size_t *used, aw_error *err) {
    if (len < AW_ADMIN_HEADER_SIZE)
        return aw_error_set(err, AW_ERR_PROTO, "admin message of %zu bytes, shorter than its header",
                            len);
    v->result = p[1];
    v->command = p[2];
    v->n_fields = p[3];
    v->fields = p + AW_ADMIN_HEADER_SIZE;
    size_t off = AW_ADMIN_HEADER_SIZE;
    for (unsigned i = 0; i < v->n_fields; i++) {
        if (len - off < 5)
            return aw_error_set(err, AW_ERR_PROTO, "admin field %u runs past the message", i);
        uint32_t sz = aw_load_u32be(p + off);
        if (sz == 0 || sz - 1 > len - off - 5)
            return aw_error_set(err, AW_ERR_PROTO, "admin field %u claims %u bytes, %zu left", i,
                                sz, len - off - 4);
        off += 4 + (size_t)sz;
    }
    v->fields_len = off - AW_ADMIN_HEADER_SIZE;
    if (used)
        *used = off;
    return AW_OK;
}

bool aw_admin_next_field(const aw_admin_view *v, size_t *off, uint8_t *id, const uint8_t **data,
                         size_t *len) {
    if (*off + 5 > v->fields_len)
        return false;
    const uint8_t *p = v->fields + *off;
    uint32_t sz = aw_load_u32be(p); /* checked by aw_admin_parse */
    *id = p[4];
    *data = p + 5;
    *len = sz - 1;
    *off += 4 + sz;
    return true;
}

bool aw_admin_find_field(const aw_admin_view *v, uint8_t id, const uint8_t **data, size_t *len) {
    size_t off = 0;
    uint8_t fid;
    while (aw_admin_next_field(v, &off, &fid, data, len))
        if (fid == id)
            return true;
    return false;
}

/* Steps over the list's items; false when one runs past len. */
static bool list_walk(const uint8_t *data, size_t len, size_t stop, size_t *pos) {
    if (len < 1)
        return false;
    size_t off = 1;
    for (size_t i = 0; i < stop; i++) {
        if (off >= len || data[off] > len - off - 1)
            return false;
        off += 1 + data[off];
    }
    *pos = off;
    return true;
}

bool aw_admin_list_count(const uint8_t *data, size_t len, size_t *count) {
    size_t pos;
    if (len < 1 || !list_walk(data, len, data[0], &pos))
        return false;
    *count = data[0];
    return true;
}

bool aw_admin_list_item(const uint8_t *data, size_t len, size_t i, const uint8_t **item,
                        size_t *item_len) {
    size_t start, end;
    if (len < 1 || i >= data[0] || !list_walk(data, len, i + 1, &end) ||
        !list_walk(data, len, i, &start))
        return false;
    *item_len = data[start];
    *item = data + start + 1;
    return true;
}

void aw_login_encode(aw_buf *b, int mode, const char *user, const char *hash,
                     const char *clear_password) {
    size_t at;
    if (mode == AW_LOGIN_PKI) {
        at = aw_admin_begin(b, AW_ADMIN_LOGIN, 0);
    } else {
        at = aw_admin_begin(b, AW_ADMIN_LOGIN, mode == AW_LOGIN_EXTERNAL ? 3 : 2);
        aw_admin_field_str(b, AW_AFIELD_USER, user);
        aw_admin_field_str(b, AW_AFIELD_CREDENTIAL, hash);
        if (mode == AW_LOGIN_EXTERNAL)
            aw_admin_field_str(b, AW_AFIELD_CLEAR_PASSWORD, clear_password);
    }
    aw_admin_end(b, at);
}

void aw_authenticate_encode(aw_buf *b, int mode, const char *user, const uint8_t *token,
                            size_t token_len) {
    size_t at;
    if (mode == AW_LOGIN_PKI) {
        at = aw_admin_begin(b, AW_ADMIN_AUTHENTICATE, 1);
    } else {
        at = aw_admin_begin(b, AW_ADMIN_AUTHENTICATE, 2);
        aw_admin_field_str(b, AW_AFIELD_USER, user);
    }
    aw_admin_field(b, AW_AFIELD_SESSION_TOKEN, token, token_len);
    aw_admin_end(b, at);
}

int aw_login_reply_parse(const uint8_t *body, size_t len, const uint8_t **token,
                         size_t *token_len, uint32_t *ttl_s, aw_error *err) {
    aw_admin_view v;
    int rc = aw_admin_parse(body, len, &v, NULL, err);
    if (rc != AW_OK)
        return rc;
    if (v.result != AW_OK)
        return v.result;
    const uint8_t *d;
    size_t l;
    *ttl_s = 0;
    if (aw_admin_find_field(&v, AW_AFIELD_SESSION_TTL, &d, &l) && l == 4)
        *ttl_s = aw_load_u32be(d);
    if (!aw_admin_find_field(&v, AW_AFIELD_SESSION_TOKEN, token, token_len) || *token_len == 0)
        return aw_error_set(err, AW_ERR_PROTO, "login reply without a session token");
    return AW_OK;
}
