/*
 * Single-record requests: one frame = proto header, message header, the key
 * fields (namespace, set, digest [, key]) and ops. Info bits follow the
 * official client (wire-protocol.md §7, §13); encoders fail before or while
 * writing and then put `out` back as it was.
 */
#include "request.h"

#include <string.h>

#include "exp_impl.h"
#include "frame.h"
#include "msg.h"
#include "particle.h"

static const aw_req_opts DEFAULT_OPTS;

#define MAX_OPS 0xFFFFu /* n_ops is a u16 */

/* Namespace and set live in fixed arrays: a name that fills its array has
 * no NUL and is over the limit. */
int aw_check_key(const aw_key *key, bool send_key, aw_error *err) {
    if (!key)
        return aw_error_set(err, AW_ERR_PARAM, "key is NULL");
    size_t ns_len = strnlen(key->ns, sizeof key->ns);
    if (ns_len == 0)
        return aw_error_set(err, AW_ERR_BAD_NAME, "namespace is empty");
    /* Printed with a length: an over-long name has no NUL. */
    if (ns_len > AW_NAMESPACE_MAX)
        return aw_error_set(err, AW_ERR_BAD_NAME, "namespace '%.*s' is over %d bytes",
                            (int)ns_len, key->ns, AW_NAMESPACE_MAX);
    size_t set_len = strnlen(key->set, sizeof key->set);
    if (set_len > AW_SET_MAX)
        return aw_error_set(err, AW_ERR_BAD_NAME, "set '%.40s...' is over %d bytes", key->set,
                            AW_SET_MAX);
    if (send_key && key->user_key.type == AW_NIL)
        return aw_error_set(err, AW_ERR_PARAM,
                            "send_key needs a user key; this key has only a digest");
    return AW_OK;
}

int aw_buf_key_field(aw_buf *b, const aw_key *key, aw_error *err) {
    if (key->user_key.type == AW_NIL)
        return aw_error_set(err, AW_ERR_PARAM,
                            "send_key needs a user key; this key has only a digest");
    uint8_t ptype;
    const void *bytes;
    uint32_t len;
    uint8_t ibuf[8];
    int rc = aw_user_key_particle(&key->user_key, &ptype, &bytes, &len, ibuf, err);
    if (rc != AW_OK)
        return rc;
    uint8_t *p = aw_buf_grow(b, 6 + (size_t)len);
    if (!p)
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for the key field");
    aw_store_u32be(p, len + 2); /* type byte + particle byte + value */
    p[4] = AW_FIELD_KEY;
    p[5] = ptype;
    if (len)
        memcpy(p + 6, bytes, len);
    return AW_OK;
}

void aw_write_info(const aw_req_opts *o, uint8_t *info2, uint8_t *info3) {
    if (!o)
        return;
    switch (o->exists) {
    case AW_EXISTS_UPDATE_ONLY: *info3 |= AW_INFO3_UPDATE_ONLY; break;
    case AW_EXISTS_REPLACE: *info3 |= AW_INFO3_CREATE_OR_REPLACE; break;
    case AW_EXISTS_REPLACE_ONLY: *info3 |= AW_INFO3_REPLACE_ONLY; break;
    case AW_EXISTS_CREATE_ONLY: *info2 |= AW_INFO2_CREATE_ONLY; break;
    default: break;
    }
    if (o->gen_policy == AW_GEN_EQ)
        *info2 |= AW_INFO2_GENERATION;
    else if (o->gen_policy == AW_GEN_GT)
        *info2 |= AW_INFO2_GENERATION_GT;
    if (o->durable_delete)
        *info2 |= AW_INFO2_DURABLE_DELETE;
    if (o->commit_level == AW_COMMIT_MASTER)
        *info3 |= AW_INFO3_COMMIT_MASTER;
}

/* The expected generation travels only with a generation check. */
static uint32_t expected_gen(const aw_req_opts *o) {
    return o->gen_policy == AW_GEN_EQ || o->gen_policy == AW_GEN_GT ? o->generation : 0;
}

/* info1 bits the read policies add (compress only where C7.5 sets it). */
static uint8_t read_bits(const aw_req_opts *o, bool compress_allowed) {
    uint8_t b = 0;
    if (o->read_mode_ap_all)
        b |= AW_INFO1_READ_MODE_AP_ALL;
    if (compress_allowed && o->compress_response)
        b |= AW_INFO1_COMPRESS_RESPONSE;
    return b;
}

/* An encoding in progress: where it started, to undo it on error. */
typedef struct req {
    aw_buf *out;
    size_t start;
    bool start_oom;
} req;

/* Proto header placeholder, message header and key fields. */
static void req_begin(req *r, aw_buf *out, const aw_key *key, const aw_req_opts *o,
                      aw_msg_header *h, aw_error *err) {
    r->out = out;
    r->start = out->len;
    r->start_oom = out->oom;
    aw_proto_header_begin(out);
    h->n_fields = (uint16_t)(3 + (o->send_key ? 1 : 0) + (o->filter ? 1 : 0));
    h->transaction_ttl = o->timeout_ms;
    aw_buf_msg_header(out, h);
    aw_buf_field(out, AW_FIELD_NAMESPACE, key->ns, (uint32_t)strlen(key->ns));
    /* Sent even when empty, as C7.5 does (the server reads it as "no set"). */
    aw_buf_field(out, AW_FIELD_SET, key->set, (uint32_t)strnlen(key->set, sizeof key->set));
    aw_buf_field(out, AW_FIELD_DIGEST, key->digest, AW_DIGEST_SIZE);
    if (o->send_key)
        (void)aw_buf_key_field(out, key, err); /* only NOMEM possible after check_key */
    if (o->filter) { /* after the key, as C7.5 orders fields (wire-protocol.md §3) */
        size_t len;
        const uint8_t *bytes = aw_exp_bytes(o->filter, &len);
        aw_buf_field(out, AW_FIELD_FILTER, bytes, (uint32_t)len);
    }
}

static int req_fail(req *r, int rc) {
    r->out->len = r->start;
    r->out->oom = r->start_oom;
    return rc;
}

static int req_end(req *r, aw_error *err) {
    if (!aw_buf_ok(r->out))
        return req_fail(r, aw_error_set(err, AW_ERR_NOMEM, "out of memory building the request"));
    size_t body = r->out->len - r->start - AW_PROTO_HEADER_SIZE;
    if (body > AW_PROTO_SIZE_MAX)
        return req_fail(r, aw_error_set(err, AW_ERR_PARAM,
                                        "request of %zu bytes exceeds the %u-byte frame limit",
                                        body, AW_PROTO_SIZE_MAX));
    aw_proto_header_patch(r->out, r->start, AW_PROTO_MSG);
    return AW_OK;
}

static int check_out(aw_buf *out, aw_error *err) {
    if (!out)
        return aw_error_set(err, AW_ERR_PARAM, "output buffer is NULL");
    if (!aw_buf_ok(out))
        return aw_error_set(err, AW_ERR_NOMEM, "output buffer is out of memory");
    return AW_OK;
}

int aw_check_filter(const aw_exp *filter, aw_error *err) {
    aw_exp_type t = aw_exp_result_type(filter);
    if (filter && t != AW_EXP_BOOL && t != AW_EXP_ANY)
        return aw_error_set(err, AW_ERR_PARAM, "filter expression is %s; a filter must be bool",
                            aw_exp_type_name(t));
    return AW_OK;
}

/* What every builder checks first; fills in the default options. */
static int prologue(aw_buf *out, const aw_key *key, const aw_req_opts **o, aw_error *err) {
    if (!*o)
        *o = &DEFAULT_OPTS;
    int rc = check_out(out, err);
    if (rc == AW_OK)
        rc = aw_check_filter((*o)->filter, err);
    return rc == AW_OK ? aw_check_key(key, (*o)->send_key, err) : rc;
}

int aw_req_read(aw_buf *out, const aw_key *key, const char *const *bins, size_t n_bins,
                const aw_req_opts *o, aw_error *err) {
    int rc = prologue(out, key, &o, err);
    if (rc != AW_OK)
        return rc;
    if (n_bins && !bins)
        return aw_error_set(err, AW_ERR_PARAM, "read: %zu bins but no names", n_bins);
    if (n_bins > MAX_OPS)
        return aw_error_set(err, AW_ERR_PARAM, "read: %zu bins (at most %u)", n_bins, MAX_OPS);
    for (size_t i = 0; i < n_bins; i++)
        if ((rc = aw_check_bin_name(bins[i], err)) != AW_OK)
            return rc;

    aw_msg_header h = {0};
    h.info1 = AW_INFO1_READ | (n_bins ? 0 : AW_INFO1_GET_ALL) | read_bits(o, true);
    h.record_ttl = o->ttl; /* read-touch-TTL percent */
    h.n_ops = (uint16_t)n_bins;
    req r;
    req_begin(&r, out, key, o, &h, err);
    for (size_t i = 0; i < n_bins; i++)
        aw_buf_op_header(out, AW_OP_READ, AW_PT_NULL, bins[i], (uint8_t)strlen(bins[i]), 0);
    return req_end(&r, err);
}

int aw_req_read_header(aw_buf *out, const aw_key *key, const aw_req_opts *o, aw_error *err) {
    int rc = prologue(out, key, &o, err);
    if (rc != AW_OK)
        return rc;
    aw_msg_header h = {0};
    /* C7.5 never asks for a compressed reply to a header-only read. */
    h.info1 = AW_INFO1_READ | AW_INFO1_GET_NOBINDATA | read_bits(o, false);
    h.record_ttl = o->ttl;
    req r;
    req_begin(&r, out, key, o, &h, err);
    return req_end(&r, err);
}

int aw_req_write(aw_buf *out, const aw_key *key, const aw_bin *bins, size_t n_bins,
                 const aw_req_opts *o, aw_error *err) {
    int rc = prologue(out, key, &o, err);
    if (rc != AW_OK)
        return rc;
    if (n_bins == 0 || !bins)
        return aw_error_set(err, AW_ERR_PARAM, "write: no bins");
    if (n_bins > MAX_OPS)
        return aw_error_set(err, AW_ERR_PARAM, "write: %zu bins (at most %u)", n_bins, MAX_OPS);

    aw_msg_header h = {0};
    h.info2 = AW_INFO2_WRITE;
    aw_write_info(o, &h.info2, &h.info3);
    h.generation = expected_gen(o);
    h.record_ttl = o->ttl;
    h.n_ops = (uint16_t)n_bins;
    req r;
    req_begin(&r, out, key, o, &h, err);
    for (size_t i = 0; i < n_bins; i++) {
        aw_op op = aw_op_write(bins[i].name, bins[i].value);
        if ((rc = aw_buf_op(out, &op, err)) != AW_OK)
            return req_fail(&r, rc);
    }
    return req_end(&r, err);
}

int aw_req_delete(aw_buf *out, const aw_key *key, const aw_req_opts *o, aw_error *err) {
    int rc = prologue(out, key, &o, err);
    if (rc != AW_OK)
        return rc;
    /* A delete has no existence policy; generation, durability and commit
     * level still apply. */
    aw_req_opts d = *o;
    d.exists = AW_EXISTS_UPDATE;
    aw_msg_header h = {0};
    h.info2 = AW_INFO2_WRITE | AW_INFO2_DELETE;
    aw_write_info(&d, &h.info2, &h.info3);
    h.generation = expected_gen(o);
    req r;
    req_begin(&r, out, key, o, &h, err);
    return req_end(&r, err);
}

int aw_req_touch(aw_buf *out, const aw_key *key, const aw_req_opts *o, aw_error *err) {
    int rc = prologue(out, key, &o, err);
    if (rc != AW_OK)
        return rc;
    aw_msg_header h = {0};
    h.info2 = AW_INFO2_WRITE;
    aw_write_info(o, &h.info2, &h.info3);
    h.generation = expected_gen(o);
    h.record_ttl = o->ttl;
    h.n_ops = 1;
    req r;
    req_begin(&r, out, key, o, &h, err);
    aw_buf_op_header(out, AW_OP_TOUCH, AW_PT_NULL, NULL, 0, 0);
    return req_end(&r, err);
}

int aw_req_operate(aw_buf *out, const aw_key *key, const aw_op *ops, size_t n_ops,
                   const aw_req_opts *o, aw_error *err) {
    int rc = prologue(out, key, &o, err);
    if (rc != AW_OK)
        return rc;
    if (n_ops == 0 || !ops)
        return aw_error_set(err, AW_ERR_PARAM, "operate: no ops");
    if (n_ops > MAX_OPS)
        return aw_error_set(err, AW_ERR_PARAM, "operate: %zu ops (at most %u)", n_ops, MAX_OPS);

    aw_msg_header h = {0};
    bool writes;
    aw_ops_info(ops, n_ops, &h.info1, &h.info2, &writes);
    if (o->respond_all_ops && !(h.info1 & AW_INFO1_GET_ALL))
        h.info2 |= AW_INFO2_RESPOND_ALL_OPS;
    h.info1 |= read_bits(o, true);
    /* Like C7.5, operate always carries the write policy bits; the server
     * looks at them only when an op writes. */
    aw_write_info(o, &h.info2, &h.info3);
    h.generation = expected_gen(o);
    h.record_ttl = o->ttl; /* TTL when writing, else read-touch percent */
    h.n_ops = (uint16_t)n_ops;
    req r;
    req_begin(&r, out, key, o, &h, err);
    for (size_t i = 0; i < n_ops; i++)
        if ((rc = aw_buf_op(out, &ops[i], err)) != AW_OK)
            return req_fail(&r, rc);
    return req_end(&r, err);
}
