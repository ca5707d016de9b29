/*
 * Info protocol basics: building a type-1 request, walking the
 * `name\tvalue\n` reply, recognising error values, and the small scalar
 * values tending reads (node id, integers, features). The bigger values
 * live in info_replicas.c and info_peers.c.
 */
#include "info.h"

#include <string.h>

#include "frame.h"

int aw_info_request(aw_buf *out, const char *const *names, size_t n, aw_error *err) {
    if (!out || (n && !names))
        return aw_error_set(err, AW_ERR_PARAM, "info request: NULL buffer or names");
    /* Validate everything first so a refused request leaves `out` untouched. */
    size_t body = 0;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            return aw_error_set(err, AW_ERR_PARAM, "info request: name %zu is NULL", i);
        size_t l = strlen(names[i]);
        if (l == 0)
            return aw_error_set(err, AW_ERR_PARAM, "info request: name %zu is empty", i);
        if (memchr(names[i], '\n', l) || memchr(names[i], '\t', l))
            return aw_error_set(err, AW_ERR_PARAM,
                                "info request: name %zu contains a newline or tab", i);
        if (l + 1 > AW_PROTO_SIZE_MAX - body)
            return aw_error_set(err, AW_ERR_PARAM, "info request: body over %u bytes",
                                AW_PROTO_SIZE_MAX);
        body += l + 1;
    }
    if (!aw_buf_reserve(out, AW_PROTO_HEADER_SIZE + body))
        return aw_error_set(err, AW_ERR_NOMEM, "info request: out of memory");
    /* Header by hand: version, type, 48-bit big-endian body size. */
    uint8_t *h = aw_buf_grow(out, AW_PROTO_HEADER_SIZE);
    h[0] = AW_PROTO_VERSION;
    h[1] = AW_PROTO_INFO;
    aw_store_u16be(h + 2, (uint16_t)((uint64_t)body >> 32));
    aw_store_u32be(h + 4, (uint32_t)body);
    for (size_t i = 0; i < n; i++) {
        aw_buf_put(out, names[i], strlen(names[i]));
        aw_buf_u8(out, '\n');
    }
    return AW_OK;
}

bool aw_info_next(const char *body, size_t len, size_t *pos, aw_info_pair *pair) {
    if (!pos || !pair || (!body && len))
        return false;
    while (*pos < len) {
        const char *line = body + *pos;
        size_t rest = len - *pos;
        const char *nl = memchr(line, '\n', rest);
        size_t line_len = nl ? (size_t)(nl - line) : rest; /* last '\n' may be missing */
        *pos += line_len + (nl ? 1 : 0);
        if (line_len == 0)
            continue; /* blank lines carry nothing */
        const char *tab = memchr(line, '\t', line_len);
        pair->name = line;
        if (tab) {
            pair->name_len = (size_t)(tab - line);
            pair->value = tab + 1;
            pair->value_len = line_len - pair->name_len - 1;
        } else {
            pair->name_len = line_len;
            pair->value = NULL;
            pair->value_len = 0;
        }
        return true;
    }
    return false;
}

bool aw_info_find(const char *body, size_t len, const char *name, const char **value,
                  size_t *value_len) {
    if (!name || !value || !value_len)
        return false;
    size_t want = strlen(name);
    size_t pos = 0;
    aw_info_pair pair;
    while (aw_info_next(body, len, &pos, &pair)) {
        if (pair.name_len != want || memcmp(pair.name, name, want) != 0)
            continue;
        /* A name echoed without a value means an empty value; never hand out NULL. */
        *value = pair.value ? pair.value : pair.name + pair.name_len;
        *value_len = pair.value_len;
        return true;
    }
    return false;
}

static bool has_prefix(const char *v, size_t len, const char *prefix) {
    size_t n = strlen(prefix);
    return len >= n && memcmp(v, prefix, n) == 0;
}

/* `[<code>]:<msg>` after ERROR:/FAIL:. A code that is absent, 0, over 255 or
 * not a number becomes AW_ERR_SERVER (the server omits it for code 1). */
static int split_code(const char *s, size_t n, const char **msg, size_t *msg_len) {
    const char *colon = memchr(s, ':', n);
    size_t digits = colon ? (size_t)(colon - s) : 0;
    bool numeric = colon != NULL && digits <= 3;
    int code = 0;
    for (size_t i = 0; numeric && i < digits; i++) {
        if (s[i] < '0' || s[i] > '9')
            numeric = false;
        else
            code = code * 10 + (s[i] - '0');
    }
    if (!numeric) { /* no code field: the whole text is the message */
        *msg = s;
        *msg_len = n;
        return AW_ERR_SERVER;
    }
    *msg = colon + 1;
    *msg_len = n - digits - 1;
    return code >= 1 && code <= 255 ? code : AW_ERR_SERVER;
}

bool aw_info_value_error(const char *value, size_t len, int *code, const char **msg,
                         size_t *msg_len) {
    if (!value)
        return false;
    int c;
    const char *m;
    size_t ml;
    if (has_prefix(value, len, "ERROR:")) {
        c = split_code(value + 6, len - 6, &m, &ml);
    } else if (has_prefix(value, len, "FAIL:")) {
        c = split_code(value + 5, len - 5, &m, &ml);
    } else if (has_prefix(value, len, "error=")) {
        /* The server's UDF error form; the official client reports it as a UDF error. */
        c = AW_ERR_UDF;
        m = value + 6;
        ml = len - 6;
    } else {
        return false;
    }
    if (code)
        *code = c;
    if (msg)
        *msg = m;
    if (msg_len)
        *msg_len = ml;
    return true;
}

static bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

int aw_info_parse_node(const char *v, size_t len, char out[AW_NODE_NAME_MAX + 1], aw_error *err) {
    if (!out || (!v && len))
        return aw_error_set(err, AW_ERR_PARAM, "node: NULL argument");
    out[0] = '\0';
    if (len == 0)
        return aw_error_set(err, AW_ERR_PROTO, "node: empty id");
    if (len > AW_NODE_NAME_MAX)
        return aw_error_set(err, AW_ERR_PROTO, "node: id is %zu chars, max %d", len,
                            AW_NODE_NAME_MAX);
    for (size_t i = 0; i < len; i++)
        if (!is_hex(v[i]))
            return aw_error_set(err, AW_ERR_PROTO,
                                "node: non-hex byte 0x%02x at offset %zu", (unsigned char)v[i], i);
    memcpy(out, v, len);
    out[len] = '\0';
    return AW_OK;
}

int aw_info_parse_int(const char *v, size_t len, int64_t *out, aw_error *err) {
    if (!out || (!v && len))
        return aw_error_set(err, AW_ERR_PARAM, "integer: NULL argument");
    size_t i = 0;
    bool neg = len > 0 && v[0] == '-';
    if (neg)
        i = 1;
    if (i == len)
        return aw_error_set(err, AW_ERR_PROTO, "integer: no digits");
    /* Accumulate the magnitude unsigned so INT64_MIN is reachable. */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag = 0;
    for (; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return aw_error_set(err, AW_ERR_PROTO, "integer: bad byte 0x%02x at offset %zu",
                                (unsigned char)v[i], i);
        unsigned d = (unsigned)(v[i] - '0');
        if (mag > (limit - d) / 10)
            return aw_error_set(err, AW_ERR_PROTO, "integer: overflows 64 bits at offset %zu", i);
        mag = mag * 10 + d;
    }
    *out = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    return AW_OK;
}

static const struct {
    const char *name;
    uint32_t bit;
} FEATURES[] = {
    {"pipelining", AW_FEATURE_PIPELINING},
    {"batch-any", AW_FEATURE_BATCH_ANY},
    {"batch-index", AW_FEATURE_BATCH_INDEX},
    {"peers", AW_FEATURE_PEERS},
    {"replicas", AW_FEATURE_REPLICAS},
    {"pquery", AW_FEATURE_PQUERY},
    {"pscans", AW_FEATURE_PSCANS},
    {"cdt-list", AW_FEATURE_CDT_LIST},
    {"cdt-map", AW_FEATURE_CDT_MAP},
    {"float", AW_FEATURE_FLOAT},
    {"geo", AW_FEATURE_GEO},
    {"blob-bits", AW_FEATURE_BLOB_BITS},
    {"truncate-namespace", AW_FEATURE_TRUNCATE_NAMESPACE},
    {"udf", AW_FEATURE_UDF},
    {"cluster-stable", AW_FEATURE_CLUSTER_STABLE},
};

/* Steps over ';'-separated tokens, skipping empty ones; false at the end. */
static bool next_token(const char *v, size_t len, size_t *pos, const char **tok, size_t *n) {
    while (v && *pos < len) {
        const char *start = v + *pos;
        const char *semi = memchr(start, ';', len - *pos);
        size_t l = semi ? (size_t)(semi - start) : len - *pos;
        *pos += l + 1;
        if (l) {
            *tok = start;
            *n = l;
            return true;
        }
    }
    return false;
}

uint32_t aw_info_parse_features(const char *v, size_t len) {
    uint32_t bits = 0;
    size_t pos = 0, n;
    const char *tok;
    while (next_token(v, len, &pos, &tok, &n))
        for (size_t i = 0; i < sizeof FEATURES / sizeof FEATURES[0]; i++)
            if (strlen(FEATURES[i].name) == n && memcmp(FEATURES[i].name, tok, n) == 0)
                bits |= FEATURES[i].bit;
    return bits;
}

bool aw_info_has_feature(const char *v, size_t len, const char *name) {
    if (!name || !name[0])
        return false;
    size_t want = strlen(name), pos = 0, n;
    const char *tok;
    while (next_token(v, len, &pos, &tok, &n))
        if (n == want && memcmp(tok, name, n) == 0)
            return true;
    return false;
}

/* The value of `key=` in a list of key=value items separated by `sep`. */
bool aw_info_item(const char *v, size_t len, char sep, const char *key, const char **val,
                  size_t *val_len) {
    size_t kl = strlen(key);
    size_t pos = 0;
    while (pos < len) {
        const char *item = v + pos;
        const char *end = memchr(item, sep, len - pos);
        size_t il = end ? (size_t)(end - item) : len - pos;
        if (il > kl && memcmp(item, key, kl) == 0 && item[kl] == '=') {
            *val = item + kl + 1;
            *val_len = il - kl - 1;
            return true;
        }
        pos += il + 1;
    }
    return false;
}

int aw_info_error_value(const char *v, size_t len, aw_error *err) {
    int code;
    const char *msg;
    size_t msg_len;
    if (!aw_info_value_error(v, len, &code, &msg, &msg_len))
        return AW_OK;
    return aw_error_set(err, code, "%.*s", (int)(msg_len > 120 ? 120 : msg_len), msg);
}

/* A decimal number (an optional fraction is dropped). */
bool aw_info_u64(const char *s, size_t n, uint64_t *out) {
    uint64_t v = 0;
    size_t i = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == 0 || (i < n && s[i] != '.'))
        return false;
    *out = v;
    return true;
}
