/*
 * The `replicas` info value: `ns:regime,n_repl,b64_0,...,b64_{n-1};ns2:...`
 * (wire-protocol.md §10.4). Each column is a 4096-bit ownership bitmap in
 * standard base64, always 684 characters for 512 bytes. Strict on purpose:
 * a map we misread sends commands to the wrong node.
 */
#include "info.h"

#include "base64.h"

#include <string.h>

#define B64_BITMAP_LEN 684 /* 4 * ceil(512 / 3) */

/* Decodes exactly one bitmap column. On failure returns false with *bad the
 * offset (in s) of the first offending character and *why the reason.
 * Strict: padding bits must be zero, so every bitmap has one spelling. */
static bool b64_bitmap(const char *s, uint8_t out[AW_PARTITION_BITMAP_SIZE], size_t *bad,
                       const char **why) {
    uint8_t room[B64_BITMAP_LEN / 4 * 3]; /* 684 chars hold 513 bytes' worth */
    size_t n;
    if (!aw_base64_decode(s, B64_BITMAP_LEN, true, room, &n, bad, why))
        return false;
    if (n != AW_PARTITION_BITMAP_SIZE) {
        *bad = B64_BITMAP_LEN - 4;
        *why = "bitmap does not decode to 512 bytes";
        return false;
    }
    memcpy(out, room, AW_PARTITION_BITMAP_SIZE);
    return true;
}

/* Reads a decimal number at *pos (at least one digit) no larger than max. */
static bool read_uint(const char *s, size_t n, size_t *pos, uint64_t max, uint64_t *out) {
    size_t i = *pos;
    uint64_t val = 0;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        val = val * 10 + (uint64_t)(s[i] - '0');
        if (val > max)
            return false;
    }
    *pos = i;
    *out = val;
    return true;
}

/* One `ns:regime,n_repl,b64,...` entry: s[0..n), which starts at offset `at`
 * of the whole value (for messages). */
static int parse_ns(const char *s, size_t n, size_t at, aw_replicas_ns *out, aw_error *err) {
    memset(out, 0, sizeof *out);
    const char *colon = memchr(s, ':', n);
    if (!colon)
        return aw_error_set(err, AW_ERR_PROTO, "replicas: no ':' in the entry at offset %zu", at);
    size_t ns_len = (size_t)(colon - s);
    if (ns_len == 0 || ns_len > AW_NAMESPACE_MAX)
        return aw_error_set(err, AW_ERR_PROTO,
                            "replicas: namespace at offset %zu is %zu bytes (want 1..%d)", at,
                            ns_len, AW_NAMESPACE_MAX);
    for (size_t i = 0; i < ns_len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == ',')
            return aw_error_set(err, AW_ERR_PROTO,
                                "replicas: bad byte 0x%02x in the namespace at offset %zu",
                                (unsigned char)s[i], at + i);
    memcpy(out->ns, s, ns_len);
    out->ns[ns_len] = '\0';

    size_t pos = ns_len + 1;
    uint64_t regime, n_repl;
    if (!read_uint(s, n, &pos, UINT32_MAX, &regime) || pos >= n || s[pos] != ',')
        return aw_error_set(err, AW_ERR_PROTO, "replicas: namespace '%s': bad regime at offset %zu",
                            out->ns, at + pos);
    pos++;
    if (!read_uint(s, n, &pos, 255, &n_repl) || n_repl == 0)
        return aw_error_set(err, AW_ERR_PROTO,
                            "replicas: namespace '%s': replica count at offset %zu not in 1..255",
                            out->ns, at + pos);
    out->regime = (uint32_t)regime;
    out->n_repl_sent = (uint8_t)n_repl;
    out->n_replicas = (uint8_t)(n_repl < AW_MAX_REPLICAS ? n_repl : AW_MAX_REPLICAS);

    uint8_t scratch[AW_PARTITION_BITMAP_SIZE]; /* columns past AW_MAX_REPLICAS: checked, dropped */
    for (unsigned col = 0; col < n_repl; col++) {
        if (pos >= n || s[pos] != ',')
            return aw_error_set(err, AW_ERR_PROTO,
                                "replicas: namespace '%s': column %u missing at offset %zu "
                                "(%u announced)",
                                out->ns, col, at + pos, (unsigned)n_repl);
        pos++;
        const char *comma = memchr(s + pos, ',', n - pos);
        size_t b64_len = comma ? (size_t)(comma - (s + pos)) : n - pos;
        if (b64_len != B64_BITMAP_LEN)
            return aw_error_set(err, AW_ERR_PROTO,
                                "replicas: namespace '%s' column %u: bitmap is %zu chars, want %d",
                                out->ns, col, b64_len, B64_BITMAP_LEN);
        size_t bad;
        const char *why;
        uint8_t *dst = col < AW_MAX_REPLICAS ? out->bitmap[col] : scratch;
        if (!b64_bitmap(s + pos, dst, &bad, &why))
            return aw_error_set(err, AW_ERR_PROTO,
                                "replicas: namespace '%s' column %u: %s at offset %zu", out->ns,
                                col, why, at + pos + bad);
        pos += b64_len;
    }
    if (pos != n)
        return aw_error_set(err, AW_ERR_PROTO,
                            "replicas: namespace '%s': data after %u columns at offset %zu",
                            out->ns, (unsigned)n_repl, at + pos);
    return AW_OK;
}

int aw_info_parse_replicas(const char *v, size_t len, aw_replicas_ns *out, size_t max_ns,
                           size_t *n_ns, aw_error *err) {
    if (!n_ns || (!v && len) || (!out && max_ns))
        return aw_error_set(err, AW_ERR_PARAM, "replicas: NULL argument");
    *n_ns = 0;
    size_t end = len;
    if (end && v[end - 1] == ';')
        end--; /* tolerate one trailing separator */
    size_t count = 0, pos = 0;
    while (pos < end) {
        const char *semi = memchr(v + pos, ';', end - pos);
        size_t n = semi ? (size_t)(semi - (v + pos)) : end - pos;
        if (count == max_ns)
            return aw_error_set(err, AW_ERR_PROTO, "replicas: more than %zu namespaces", max_ns);
        int rc = parse_ns(v + pos, n, pos, &out[count], err);
        if (rc != AW_OK)
            return rc;
        for (size_t i = 0; i < count; i++)
            if (strcmp(out[i].ns, out[count].ns) == 0)
                return aw_error_set(err, AW_ERR_PROTO,
                                    "replicas: namespace '%s' appears twice (offset %zu)",
                                    out[count].ns, pos);
        count++;
        pos += n + 1;
        if (semi && pos == end) /* `a;;` or `;x` style: an empty entry */
            return aw_error_set(err, AW_ERR_PROTO, "replicas: empty entry at offset %zu", pos);
    }
    *n_ns = count;
    return AW_OK;
}
