/* Parsing the seed list "host[:port][,host[:port]...]" (IPv6 as "[addr]:port"),
 * with the official clients' TLS form "host:tls-name:port". */
#include "hosts.h"

#include <string.h>

#include "proto/mem.h"

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }

/* Decimal 1..65535, digits only. */
static bool parse_port(const char *p, size_t len, uint16_t *port) {
    if (len == 0 || len > 5)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

static size_t count_char(const char *p, size_t len, char ch) {
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        k += p[i] == ch;
    return k;
}

/* "tls-name:port" or "port" after the host: splits off the TLS name. */
static void split_tls_name(const char **port, size_t *port_len, const char **tls, size_t *tls_len) {
    const char *colon = memchr(*port, ':', *port_len);
    if (!colon)
        return;
    *tls = *port;
    *tls_len = (size_t)(colon - *port);
    *port_len -= *tls_len + 1;
    *port = colon + 1;
}

static bool has_double_colon(const char *p, size_t len) {
    for (size_t i = 0; i + 1 < len; i++)
        if (p[i] == ':' && p[i + 1] == ':')
            return true;
    return false;
}

/* One entry p[0..len), already trimmed. */
static int parse_entry(const char *p, size_t len, uint16_t default_port, aw_host *h,
                       aw_error *err) {
    const char *name = p;
    size_t name_len = len;
    const char *port = NULL;
    size_t port_len = 0;
    bool has_port = false;
    const char *tls = NULL;
    size_t tls_len = 0;

    if (len == 0)
        return aw_error_set(err, AW_ERR_INVALID_HOST, "empty entry in the host list");
    if (p[0] == '[') {
        const char *close = memchr(p, ']', len);
        if (!close)
            return aw_error_set(err, AW_ERR_INVALID_HOST, "'%.*s': missing ']'", (int)len, p);
        name = p + 1;
        name_len = (size_t)(close - name);
        size_t rest = len - (size_t)(close + 1 - p);
        if (rest > 0) {
            if (close[1] != ':')
                return aw_error_set(err, AW_ERR_INVALID_HOST,
                                    "'%.*s': expected ':port' after ']'", (int)len, p);
            has_port = true;
            port = close + 2;
            port_len = rest - 1;
            split_tls_name(&port, &port_len, &tls, &tls_len);
        }
    } else if (count_char(p, len, ':') == 1 ||
               (count_char(p, len, ':') == 2 && !has_double_colon(p, len))) {
        /* host:port or host:tls-name:port. An IPv6 address with only two
         * ':' has a "::" in it, so it cannot be mistaken for the latter. */
        const char *colon = memchr(p, ':', len);
        name_len = (size_t)(colon - p);
        has_port = true;
        port = colon + 1;
        port_len = len - name_len - 1;
        split_tls_name(&port, &port_len, &tls, &tls_len);
    }
    /* else: no ':' (name only) or several (a bare IPv6 address). */
    if (tls && tls_len == 0)
        return aw_error_set(err, AW_ERR_INVALID_HOST, "'%.*s': empty TLS name", (int)len, p);
    if (tls_len > AW_HOST_NAME_MAX)
        return aw_error_set(err, AW_ERR_INVALID_HOST, "TLS name '%.40s...' is over %d bytes", tls,
                            AW_HOST_NAME_MAX);

    if (name_len == 0)
        return aw_error_set(err, AW_ERR_INVALID_HOST, "'%.*s': empty host name", (int)len, p);
    if (name_len > AW_HOST_NAME_MAX)
        return aw_error_set(err, AW_ERR_INVALID_HOST, "host name '%.40s...' is over %d bytes",
                            name, AW_HOST_NAME_MAX);
    if (memchr(name, '[', name_len) || memchr(name, ']', name_len))
        return aw_error_set(err, AW_ERR_INVALID_HOST, "'%.*s': misplaced bracket", (int)len, p);
    h->port = default_port;
    if (has_port && !parse_port(port, port_len, &h->port))
        return aw_error_set(err, AW_ERR_INVALID_HOST, "'%.*s': port must be 1..65535", (int)len,
                            p);
    memcpy(h->name, name, name_len);
    h->name[name_len] = '\0';
    memcpy(h->tls_name, tls ? tls : "", tls_len);
    h->tls_name[tls_len] = '\0';
    return AW_OK;
}

int aw_hosts_parse(const char *s, uint16_t default_port, aw_host **out, size_t *n, aw_error *err) {
    if (!s || !out || !n)
        return aw_error_set(err, AW_ERR_PARAM, "host list, output or count is NULL");
    size_t cap = count_char(s, strlen(s), ',') + 1;
    aw_host *hosts = aw_calloc(cap, sizeof *hosts);
    if (!hosts)
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for %zu seed hosts", cap);
    size_t k = 0;
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        if (a == b && k == 0 && *end == '\0') {
            aw_free(hosts);
            return aw_error_set(err, AW_ERR_INVALID_HOST, "no seed host given (hosts is empty)");
        }
        int rc = parse_entry(a, (size_t)(b - a), default_port, &hosts[k], err);
        if (rc != AW_OK) {
            aw_free(hosts);
            return rc;
        }
        k++;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    *out = hosts;
    *n = k;
    return AW_OK;
}
