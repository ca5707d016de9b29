/*
 * The official clients' text form of an expression: standard base64
 * (RFC 4648, padded) of the msgpack bytes, as as_exp_to_base64 writes it
 * and sindex-create's exp= takes it.
 */
#include <string.h>

#include "base64.h"
#include "exp_impl.h"
#include "mem.h"
#include "msgpack.h"

int aw_exp_to_base64(const aw_exp *exp, char **out, aw_error *err) {
    if (!exp || !out)
        return aw_error_set(err, AW_ERR_PARAM, "exp to_base64: NULL %s", exp ? "out" : "exp");
    char *s = aw_base64_encode(exp->bytes, exp->len);
    if (!s)
        return aw_error_set(err, AW_ERR_NOMEM, "exp to_base64: out of memory");
    *out = s;
    aw_error_reset(err);
    return AW_OK;
}

/* Decodes padded standard base64 into dst (room for len/4*3 bytes). The
 * bits a padded quantum leaves over must be 0 (RFC 4648 §3.5), or two texts
 * would read as one expression and the text read would not be the text
 * aw_exp_to_base64 writes back. */
static int decode(const char *s, size_t len, uint8_t *dst, size_t *n_out, aw_error *err) {
    size_t bad;
    const char *why;
    if (aw_base64_decode(s, len, true, dst, n_out, &bad, &why))
        return AW_OK;
    if (bad == len)
        return aw_error_set(err, AW_ERR_PARAM,
                            "exp from_base64: length %zu is not a positive multiple of 4", len);
    return aw_error_set(err, AW_ERR_PARAM, "exp from_base64: %s ('%c') at offset %zu", why,
                        s[bad] ? s[bad] : '?', bad);
}

/* The outermost call's op code; -1 for a literal at the top, -2 for an
 * array that is empty or does not start with an op code. */
static int top_op(const uint8_t *p, size_t len) {
    size_t at;
    if ((p[0] & 0xf0) == 0x90)
        at = 1;
    else if (p[0] == 0xdc || p[0] == 0xdd)
        at = p[0] == 0xdc ? 3 : 5;
    else
        return -1;
    return len > at && p[at] < 0x80 ? p[at] : -2;
}

int aw_exp_from_base64(const char *b64, aw_exp **out, aw_error *err) {
    if (!b64 || !out)
        return aw_error_set(err, AW_ERR_PARAM, "exp from_base64: NULL %s", b64 ? "out" : "text");
    size_t len = strlen(b64);
    if (len / 4 * 3 >= AW_EXP_MAX_SIZE + 3)
        return aw_error_set(err, AW_ERR_PARAM, "exp from_base64: over the %u-byte limit",
                            AW_EXP_MAX_SIZE);
    uint8_t *bytes = aw_malloc(len / 4 * 3 + 1);
    if (!bytes)
        return aw_error_set(err, AW_ERR_NOMEM, "exp from_base64: out of memory");
    size_t n = 0, used = 0;
    int rc = decode(b64, len, bytes, &n, err);
    if (rc == AW_OK && aw_msgpack_skip(bytes, n, &used, err) != AW_OK)
        rc = aw_error_set(err, AW_ERR_PARAM, "exp from_base64: not a msgpack value");
    if (rc == AW_OK && used != n)
        rc = aw_error_set(err, AW_ERR_PARAM,
                          "exp from_base64: %zu bytes after the expression's %zu", n - used, used);
    if (rc == AW_OK && n >= AW_EXP_MAX_SIZE)
        rc = aw_error_set(err, AW_ERR_PARAM, "exp from_base64: %zu bytes reaches the %u-byte limit",
                          n, AW_EXP_MAX_SIZE);
    uint8_t type = AW_EXP_ANY;
    if (rc == AW_OK) {
        int op = top_op(bytes, n);
        const exp_op_info *info = op >= 0 ? aw_exp_op_info((unsigned)op) : NULL;
        if (op == -2)
            rc = aw_error_set(err, AW_ERR_PARAM,
                              "exp from_base64: an array that does not start with an op code");
        else if (op >= 0 && !info)
            rc = aw_error_set(err, AW_ERR_PARAM, "exp from_base64: op code %d is unknown", op);
        else if (info)
            type = info->result;
    }
    if (rc == AW_OK && !(*out = aw_exp_new(bytes, n, type)))
        rc = aw_error_set(err, AW_ERR_NOMEM, "exp from_base64: out of memory");
    aw_free(bytes);
    if (rc == AW_OK)
        aw_error_reset(err);
    return rc;
}
