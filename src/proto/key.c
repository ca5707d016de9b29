/*
 * Keys and their RIPEMD-160 digests (ripemd160.c: one compression for any
 * small key, no library dispatch, no per-thread state).
 */
#include "aerowire/key.h"

#include <string.h>

#include "buf.h"
#include "particle.h"
#include "ripemd160.h"

int aw_user_key_particle(const aw_value *v, uint8_t *ptype, const void **bytes, uint32_t *len,
                         uint8_t int_buf[8], aw_error *err) {
    switch (v->type) {
    case AW_INT:
        *ptype = AW_PT_INTEGER;
        aw_store_u64be(int_buf, (uint64_t)v->u.i);
        *bytes = int_buf;
        *len = 8;
        break;
    case AW_STR:
        *ptype = AW_PT_STRING;
        *bytes = v->u.str;
        *len = v->len;
        break;
    case AW_BLOB:
        *ptype = v->subtype ? v->subtype : AW_PT_BLOB;
        *bytes = v->u.bytes;
        *len = v->len;
        break;
    default:
        return aw_error_set(err, AW_ERR_PARAM,
                            "user key must be an integer, string or blob (got type %u)", v->type);
    }
    if (*len && !*bytes)
        return aw_error_set(err, AW_ERR_PARAM, "user key has a length but no bytes");
    if (*len > AW_VALUE_MAX_LEN)
        return aw_error_set(err, AW_ERR_PARAM, "user key of %u bytes is too long", *len);
    return AW_OK;
}

int aw_digest_compute(const char *set, size_t set_len, const aw_value *user_key,
                      uint8_t out[AW_DIGEST_SIZE], aw_error *err) {
    if (!user_key || !out)
        return aw_error_set(err, AW_ERR_PARAM, "digest: NULL key value or output");
    if (!set && set_len)
        return aw_error_set(err, AW_ERR_PARAM, "digest: NULL set with a length of %zu", set_len);
    uint8_t ptype;
    uint8_t int_bytes[8];
    const void *bytes;
    uint32_t len;
    int rc = aw_user_key_particle(user_key, &ptype, &bytes, &len, int_bytes, err);
    if (rc != AW_OK)
        return rc;
    aw_ripemd160_key(set, set_len, ptype, bytes, len, out);
    return AW_OK;
}

/* Copies ns and set into the key after checking their limits. */
static int key_names(aw_key *key, const char *ns, const char *set, aw_error *err) {
    if (!key || !ns)
        return aw_error_set(err, AW_ERR_PARAM, "key: NULL %s", key ? "namespace" : "key");
    size_t ns_len = strlen(ns);
    if (ns_len == 0)
        return aw_error_set(err, AW_ERR_BAD_NAME, "namespace is empty");
    if (ns_len > AW_NAMESPACE_MAX)
        return aw_error_set(err, AW_ERR_BAD_NAME, "namespace '%.40s%s' is %zu bytes; the limit is %d",
                            ns, ns_len > 40 ? "..." : "", ns_len, AW_NAMESPACE_MAX);
    size_t set_len = set ? strlen(set) : 0;
    if (set_len > AW_SET_MAX)
        return aw_error_set(err, AW_ERR_BAD_NAME, "set '%.40s...' is %zu bytes; the limit is %d", set,
                            set_len, AW_SET_MAX);
    memcpy(key->ns, ns, ns_len + 1);
    memcpy(key->set, set ? set : "", set_len + 1);
    return AW_OK;
}

int aw_key_init_value(aw_key *key, const char *ns, const char *set, const aw_value *value,
                      aw_error *err) {
    if (!value)
        return aw_error_set(err, AW_ERR_PARAM, "key: NULL user key");
    if (value->type != AW_INT && value->type != AW_STR && value->type != AW_BLOB)
        return aw_error_set(err, AW_ERR_PARAM,
                            "user key must be an integer, string or blob (got type %u)",
                            value->type);
    int rc = key_names(key, ns, set, err);
    if (rc != AW_OK)
        return rc;
    key->user_key = *value;
    key->user_key.owned = 0; /* the key borrows; it never frees */
    return aw_digest_compute(key->set, strlen(key->set), &key->user_key, key->digest, err);
}

int aw_key_init_int(aw_key *key, const char *ns, const char *set, int64_t value, aw_error *err) {
    aw_value v = aw_value_int(value);
    return aw_key_init_value(key, ns, set, &v, err);
}

int aw_key_init_strn(aw_key *key, const char *ns, const char *set, const char *value, size_t len,
                     aw_error *err) {
    if (!value)
        return aw_error_set(err, AW_ERR_PARAM, "key: NULL string");
    if (len > AW_VALUE_MAX_LEN)
        return aw_error_set(err, AW_ERR_PARAM, "key: string of %zu bytes is too long", len);
    aw_value v = aw_value_strn(value, len);
    return aw_key_init_value(key, ns, set, &v, err);
}

int aw_key_init_str(aw_key *key, const char *ns, const char *set, const char *value, aw_error *err) {
    if (!value)
        return aw_error_set(err, AW_ERR_PARAM, "key: NULL string");
    return aw_key_init_strn(key, ns, set, value, strlen(value), err);
}

int aw_key_init_blob(aw_key *key, const char *ns, const char *set, const void *value, size_t len,
                     aw_error *err) {
    if (!value && len)
        return aw_error_set(err, AW_ERR_PARAM, "key: NULL blob");
    if (len > AW_VALUE_MAX_LEN)
        return aw_error_set(err, AW_ERR_PARAM, "key: blob of %zu bytes is too long", len);
    aw_value v = aw_value_blob(value, len);
    return aw_key_init_value(key, ns, set, &v, err);
}

int aw_key_init_digest(aw_key *key, const char *ns, const char *set,
                       const uint8_t digest[AW_DIGEST_SIZE], aw_error *err) {
    if (!digest)
        return aw_error_set(err, AW_ERR_PARAM, "key: NULL digest");
    int rc = key_names(key, ns, set, err);
    if (rc != AW_OK)
        return rc;
    key->user_key = aw_value_nil();
    memcpy(key->digest, digest, AW_DIGEST_SIZE);
    return AW_OK;
}
