/*
 * Host lists in info values (wire-protocol.md §10.2):
 *   peers-*:           gen,default_port,[[id,tls_name,[host,...]],...]
 *   service-clear-std: host;host
 * with host = addr | addr:port | [ipv6] | [ipv6]:port. The grammar has a
 * fixed depth, so a cursor and no recursion; every count is capped by the
 * caller's array before anything is written past it.
 */
#include "info.h"

#include <string.h>

#define DEFAULT_PORT 3000 /* what the server leaves out, and what it omits from hosts */

typedef struct cursor {
    const char *s;
    size_t n;
    size_t pos;
    const char *what; /* "peers" or "hosts", for messages */
} cursor;

static bool peek(const cursor *c, char ch) { return c->pos < c->n && c->s[c->pos] == ch; }

static int expect(cursor *c, char ch, aw_error *err) {
    if (!peek(c, ch))
        return aw_error_set(err, AW_ERR_PROTO, "%s: expected '%c' at offset %zu", c->what, ch,
                            c->pos);
    c->pos++;
    return AW_OK;
}

/* At least one digit, value <= max. */
static bool read_uint(cursor *c, uint64_t max, uint64_t *out) {
    uint64_t val = 0;
    size_t i = c->pos;
    if (i >= c->n || c->s[i] < '0' || c->s[i] > '9')
        return false;
    for (; i < c->n && c->s[i] >= '0' && c->s[i] <= '9'; i++) {
        uint64_t d = (uint64_t)(c->s[i] - '0');
        if (val > (max - d) / 10)
            return false;
        val = val * 10 + d;
    }
    c->pos = i;
    *out = val;
    return true;
}

static bool is_printable(unsigned char ch) { return ch > 0x20 && ch != 0x7f; }

/* Advances over bytes that are printable and not in `stops`; false on a
 * control byte (left at c->pos for the message). */
static bool skip_field(cursor *c, const char *stops) {
    size_t nstops = strlen(stops);
    while (c->pos < c->n && !memchr(stops, c->s[c->pos], nstops)) {
        if (!is_printable((unsigned char)c->s[c->pos]))
            return false;
        c->pos++;
    }
    return true;
}

static int bad_byte(const cursor *c, const char *field, aw_error *err) {
    return aw_error_set(err, AW_ERR_PROTO, "%s: bad byte 0x%02x in %s at offset %zu", c->what,
                        (unsigned char)c->s[c->pos], field, c->pos);
}

static int read_host(cursor *c, uint16_t default_port, aw_host *h, aw_error *err) {
    size_t start = c->pos, name_start, name_len;
    if (peek(c, '[')) { /* IPv6: the colons are the address's own */
        name_start = ++c->pos;
        if (!skip_field(c, "[],;"))
            return bad_byte(c, "a host", err);
        if (!peek(c, ']'))
            return aw_error_set(err, AW_ERR_PROTO, "%s: unterminated '[' of the host at offset %zu",
                                c->what, start);
        name_len = c->pos - name_start;
        c->pos++;
    } else {
        name_start = c->pos;
        if (!skip_field(c, ":,;[]"))
            return bad_byte(c, "a host", err);
        name_len = c->pos - name_start;
    }
    if (name_len == 0)
        return aw_error_set(err, AW_ERR_PROTO, "%s: empty host at offset %zu", c->what, start);
    if (name_len > AW_HOST_NAME_MAX)
        return aw_error_set(err, AW_ERR_PROTO, "%s: host at offset %zu is %zu bytes, max %d",
                            c->what, start, name_len, AW_HOST_NAME_MAX);
    memcpy(h->name, c->s + name_start, name_len);
    h->name[name_len] = '\0';
    h->port = default_port;
    if (peek(c, ':')) {
        c->pos++;
        uint64_t port;
        if (!read_uint(c, UINT16_MAX, &port) || port == 0)
            return aw_error_set(err, AW_ERR_PROTO, "%s: bad port at offset %zu", c->what, c->pos);
        h->port = (uint16_t)port;
    }
    return AW_OK;
}

/* `[id,tls_name,[host,...]]`, or the alumni form `[id,,]` (no host list). */
static int read_peer(cursor *c, uint16_t default_port, aw_peer *peer, aw_error *err) {
    int rc;
    memset(peer, 0, sizeof *peer);
    if ((rc = expect(c, '[', err)) != AW_OK)
        return rc;

    size_t id_start = c->pos;
    while (c->pos < c->n && c->s[c->pos] != ',' && c->s[c->pos] != ']')
        c->pos++;
    if (aw_info_parse_node(c->s + id_start, c->pos - id_start, peer->node_id, NULL) != AW_OK)
        return aw_error_set(err, AW_ERR_PROTO, "%s: bad node id at offset %zu (want 1..%d hex)",
                            c->what, id_start, AW_NODE_NAME_MAX);
    if ((rc = expect(c, ',', err)) != AW_OK)
        return rc;

    size_t tls_start = c->pos;
    if (!skip_field(c, ",[]"))
        return bad_byte(c, "a TLS name", err);
    size_t tls_len = c->pos - tls_start;
    if (tls_len > AW_HOST_NAME_MAX)
        return aw_error_set(err, AW_ERR_PROTO, "%s: TLS name at offset %zu is %zu bytes, max %d",
                            c->what, tls_start, tls_len, AW_HOST_NAME_MAX);
    memcpy(peer->tls_name, c->s + tls_start, tls_len);
    peer->tls_name[tls_len] = '\0';
    if ((rc = expect(c, ',', err)) != AW_OK)
        return rc;

    if (peek(c, ']')) { /* alumni: a node that left, listed with no hosts */
        c->pos++;
        return AW_OK;
    }
    if ((rc = expect(c, '[', err)) != AW_OK)
        return rc;
    if (!peek(c, ']')) {
        for (;;) {
            if (peer->n_hosts == AW_PEER_MAX_HOSTS)
                return aw_error_set(err, AW_ERR_PROTO,
                                    "%s: peer %s has more than %d hosts (offset %zu)", c->what,
                                    peer->node_id, AW_PEER_MAX_HOSTS, c->pos);
            if ((rc = read_host(c, default_port, &peer->hosts[peer->n_hosts], err)) != AW_OK)
                return rc;
            peer->n_hosts++;
            if (!peek(c, ','))
                break;
            c->pos++;
        }
    }
    if ((rc = expect(c, ']', err)) != AW_OK) /* closes the host list */
        return rc;
    return expect(c, ']', err); /* closes the peer */
}

static int parse_peers(cursor *c, aw_peers *p, aw_error *err) {
    int rc;
    uint64_t gen, port = DEFAULT_PORT;
    if (!read_uint(c, UINT64_MAX, &gen))
        return aw_error_set(err, AW_ERR_PROTO, "peers: bad generation at offset %zu", c->pos);
    if ((rc = expect(c, ',', err)) != AW_OK)
        return rc;
    if (!peek(c, ',') && (!read_uint(c, UINT16_MAX, &port) || port == 0))
        return aw_error_set(err, AW_ERR_PROTO, "peers: bad default port at offset %zu", c->pos);
    if ((rc = expect(c, ',', err)) != AW_OK)
        return rc;
    if ((rc = expect(c, '[', err)) != AW_OK)
        return rc;
    size_t n = 0;
    if (!peek(c, ']')) {
        for (;;) {
            if (n == p->cap)
                return aw_error_set(err, AW_ERR_PROTO, "peers: more than %zu peers (offset %zu)",
                                    p->cap, c->pos);
            if ((rc = read_peer(c, (uint16_t)port, &p->peers[n], err)) != AW_OK)
                return rc;
            n++;
            if (!peek(c, ','))
                break;
            c->pos++;
        }
    }
    if ((rc = expect(c, ']', err)) != AW_OK)
        return rc;
    if (c->pos != c->n)
        return aw_error_set(err, AW_ERR_PROTO, "peers: trailing data at offset %zu", c->pos);
    p->generation = gen;
    p->default_port = (uint16_t)port;
    p->n_peers = n;
    return AW_OK;
}

int aw_info_parse_peers(const char *v, size_t len, aw_peers *p, aw_error *err) {
    if (!p || (!v && len) || (!p->peers && p->cap))
        return aw_error_set(err, AW_ERR_PARAM, "peers: NULL argument");
    p->n_peers = 0;
    cursor c = {v, len, 0, "peers"};
    return parse_peers(&c, p, err);
}

int aw_info_parse_hosts(const char *v, size_t len, uint16_t default_port, aw_host *out, size_t cap,
                        size_t *n, aw_error *err) {
    if (!n || (!v && len) || (!out && cap))
        return aw_error_set(err, AW_ERR_PARAM, "hosts: NULL argument");
    *n = 0;
    size_t end = len;
    if (end && v[end - 1] == ';')
        end--; /* tolerate one trailing separator */
    cursor c = {v, end, 0, "hosts"};
    size_t count = 0;
    int rc;
    while (c.pos < c.n) {
        if (count == cap)
            return aw_error_set(err, AW_ERR_PROTO, "hosts: more than %zu hosts (offset %zu)", cap,
                                c.pos);
        if ((rc = read_host(&c, default_port, &out[count], err)) != AW_OK)
            return rc;
        count++;
        if (c.pos == c.n)
            break;
        if ((rc = expect(&c, ';', err)) != AW_OK)
            return rc;
        if (c.pos == c.n)
            return aw_error_set(err, AW_ERR_PROTO, "hosts: empty entry at offset %zu", c.pos);
    }
    *n = count;
    return AW_OK;
}
