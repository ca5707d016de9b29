/*
 * TLS with OpenSSL (see tls.h). The sessions read and write the socket
 * through a small BIO of our own that sends with MSG_NOSIGNAL, so a peer
 * that went away is an error and never a SIGPIPE, without touching the
 * application's signal handlers.
 */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "proto/errno_text.h"
#include "proto/mem.h"

/* One blacklisted certificate: serial in hex, issuer or NULL for any. */
typedef struct revoked {
    char *serial;
    char *issuer;
} revoked;

struct aw_tls_ctx {
    SSL_CTX *ssl;
    revoked *revoked;
    size_t n_revoked;
    char *key_password;
};

/* --- The socket BIO ---------------------------------------------------------------- */

static BIO_METHOD *sock_method;
static pthread_once_t sock_method_once = PTHREAD_ONCE_INIT;

static int bio_fd(BIO *b) { return (int)(intptr_t)BIO_get_data(b); }

static int sock_write(BIO *b, const char *p, int n) {
    BIO_clear_retry_flags(b);
    ssize_t w;
    do
        w = send(bio_fd(b), p, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (w < 0 && errno == EINTR);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_write(b);
    return (int)w;
}

static int sock_read(BIO *b, char *p, int n) {
    BIO_clear_retry_flags(b);
    ssize_t r;
    do
        r = recv(bio_fd(b), p, (size_t)n, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_read(b);
    return (int)r;
}

static long sock_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static void make_sock_method(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "aerowire socket");
    if (m && BIO_meth_set_write(m, sock_write) && BIO_meth_set_read(m, sock_read) &&
        BIO_meth_set_ctrl(m, sock_ctrl))
        sock_method = m;
    else
        BIO_meth_free(m);
}

/* --- Configuration ------------------------------------------------------------------- */

enum { P_TLS1 = 1, P_TLS1_1 = 2, P_TLS1_2 = 4, P_TLS1_3 = 8, P_ALL = 15 };

/* The official clients' protocol syntax (as_tls.c protocols_parse), with
 * TLSv1.3 known too. */
static int parse_protocols(const char *spec, unsigned *out, aw_error *err) {
    *out = P_TLS1_2 | P_TLS1_3;
    if (!spec)
        return AW_OK;
    unsigned set = 0;
    const char *p = spec;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, " \t");
        char tok[32];
        snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), p);
        p += len;
        char act = 0;
        const char *name = tok;
        if (*name == '+' || *name == '-')
            act = *name++;
        unsigned cur;
        if (strcasecmp(name, "SSLv2") == 0 || strcasecmp(name, "SSLv3") == 0)
            return aw_error_set(err, AW_ERR_TLS, "TLS protocols: %s is not supported", name);
        else if (strcasecmp(name, "TLSv1") == 0)
            cur = P_TLS1;
        else if (strcasecmp(name, "TLSv1.1") == 0)
            cur = P_TLS1_1;
        else if (strcasecmp(name, "TLSv1.2") == 0)
            cur = P_TLS1_2;
        else if (strcasecmp(name, "TLSv1.3") == 0)
            cur = P_TLS1_3;
        else if (strcasecmp(name, "all") == 0)
            cur = P_ALL;
        else
            return aw_error_set(err, AW_ERR_TLS, "TLS protocols: unknown protocol '%s'", tok);
        if (act == '-')
            set &= ~cur;
        else if (act == '+')
            set |= cur;
        else if (set)
            return aw_error_set(err, AW_ERR_TLS,
                                "TLS protocols: '%s' overrides the ones before it (a '+' or "
                                "'-' missing?)",
                                tok);
        else
            set = cur;
    }
    if (!set)
        return aw_error_set(err, AW_ERR_TLS, "TLS protocols '%s' leave no protocol enabled",
                            spec);
    *out = set;
    return AW_OK;
}

static int apply_protocols(SSL_CTX *ctx, unsigned set) {
    static const struct {
        unsigned bit;
        int version;
        long no;
    } v[] = {{P_TLS1, TLS1_VERSION, SSL_OP_NO_TLSv1},
             {P_TLS1_1, TLS1_1_VERSION, SSL_OP_NO_TLSv1_1},
             {P_TLS1_2, TLS1_2_VERSION, SSL_OP_NO_TLSv1_2},
             {P_TLS1_3, TLS1_3_VERSION, SSL_OP_NO_TLSv1_3}};
    int lo = 0, hi = 0;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (set & v[i].bit) {
            if (!lo)
                lo = v[i].version;
            hi = v[i].version;
        } else {
            SSL_CTX_set_options(ctx, (uint64_t)v[i].no); /* a hole between lo and hi */
        }
    }
    return SSL_CTX_set_min_proto_version(ctx, lo) && SSL_CTX_set_max_proto_version(ctx, hi);
}

/* OpenSSL's reason for the last failure, or `fallback`. */
static const char *ssl_reason(const char *fallback) {
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : fallback;
}

static int ctx_error(aw_error *err, const char *what, const char *arg) {
    int rc = aw_error_set(err, AW_ERR_TLS, "TLS: %s%s%s: %s", what, arg ? " " : "",
                          arg ? arg : "", ssl_reason("failed"));
    ERR_clear_error();
    return rc;
}

static void trim_line(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

/* The official blacklist format: "SERIALHEX [issuer name]" per line. */
static int load_blacklist(aw_tls_ctx *t, const char *path, aw_error *err) {
    FILE *f = fopen(path, "r");
    if (!f)
        return aw_error_set(err, AW_ERR_TLS, "TLS: cannot open the certificate blacklist %s: %s",
                            path, aw_errno_str(errno));
    char line[1024];
    size_t cap = 0;
    int rc = AW_OK;
    while (rc == AW_OK && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        trim_line(line);
        char *p = line + strspn(line, " \t");
        size_t slen = strcspn(p, " \t");
        if (slen == 0)
            continue;
        char *issuer = p + slen + strspn(p + slen, " \t");
        if (t->n_revoked == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            revoked *g = aw_realloc(t->revoked, ncap * sizeof *g);
            if (!g) {
                rc = aw_error_set(err, AW_ERR_NOMEM, "no memory for the certificate blacklist");
                break;
            }
            t->revoked = g;
            cap = ncap;
        }
        revoked *r = &t->revoked[t->n_revoked];
        r->serial = aw_strndup(p, slen);
        r->issuer = *issuer ? aw_strndup(issuer, strlen(issuer)) : NULL;
        if (r->serial)
            t->n_revoked++;
        if (!r->serial || (*issuer && !r->issuer)) {
            rc = aw_error_set(err, AW_ERR_NOMEM, "no memory for the certificate blacklist");
            if (r->serial)
                aw_free(r->issuer);
        }
    }
    fclose(f);
    return rc;
}

static bool is_revoked(const aw_tls_ctx *t, X509 *cert) {
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    char issuer[512];
    X509_NAME_oneline(X509_get_issuer_name(cert), issuer, sizeof issuer);
    bool hit = false;
    for (size_t i = 0; hex && i < t->n_revoked && !hit; i++)
        hit = strcasecmp(t->revoked[i].serial, hex) == 0 &&
              (!t->revoked[i].issuer || strcmp(t->revoked[i].issuer, issuer) == 0);
    OPENSSL_free(hex);
    BN_free(bn);
    return hit;
}

/* Every certificate of the chain against the blacklist, after OpenSSL's
 * own checks (chain, dates, name). */
static int verify_cb(int ok, X509_STORE_CTX *x) {
    if (!ok)
        return 0;
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    const aw_tls_ctx *t = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
    X509 *cert = X509_STORE_CTX_get_current_cert(x);
    if (t && t->n_revoked && cert && is_revoked(t, cert)) {
        X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_REVOKED);
        return 0;
    }
    return 1;
}

static int password_cb(char *buf, int size, int rwflag, void *udata) {
    (void)rwflag;
    const char *pw = udata;
    if (!pw)
        return 0;
    int n = (int)strlen(pw);
    if (n > size)
        n = size;
    memcpy(buf, pw, (size_t)n);
    return n;
}

static int load_ctx(aw_tls_ctx *t, const aw_tls_config *cfg, aw_error *err) {
    unsigned protocols;
    int rc = parse_protocols(cfg->protocols, &protocols, err);
    if (rc != AW_OK)
        return rc;
    SSL_CTX *ctx = t->ssl;
    if (!apply_protocols(ctx, protocols))
        return ctx_error(err, "cannot enable the protocols", cfg->protocols);
    if (cfg->cipher_suite && cfg->cipher_suite[0] &&
        !SSL_CTX_set_cipher_list(ctx, cfg->cipher_suite) &&
        !SSL_CTX_set_ciphersuites(ctx, cfg->cipher_suite))
        return ctx_error(err, "no usable cipher in", cfg->cipher_suite);
    ERR_clear_error();
    if (cfg->cafile || cfg->capath) {
        if (!SSL_CTX_load_verify_locations(ctx, cfg->cafile, cfg->capath))
            return ctx_error(err, "cannot load the CAs from",
                             cfg->cafile ? cfg->cafile : cfg->capath);
    } else if (!SSL_CTX_set_default_verify_paths(ctx)) {
        return ctx_error(err, "cannot load the system's CAs", NULL);
    }
    if (cfg->keyfile_password) {
        t->key_password = aw_strndup(cfg->keyfile_password, strlen(cfg->keyfile_password));
        if (!t->key_password)
            return aw_error_set(err, AW_ERR_NOMEM, "no memory for the TLS configuration");
    }
    SSL_CTX_set_default_passwd_cb(ctx, password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, t->key_password);
    if ((cfg->certfile != NULL) != (cfg->keyfile != NULL))
        return aw_error_set(err, AW_ERR_TLS, "TLS: a client certificate needs both certfile and "
                                             "keyfile");
    if (cfg->certfile) {
        if (!SSL_CTX_use_certificate_chain_file(ctx, cfg->certfile))
            return ctx_error(err, "cannot load the client certificate", cfg->certfile);
        if (!SSL_CTX_use_PrivateKey_file(ctx, cfg->keyfile, SSL_FILETYPE_PEM))
            return ctx_error(err, "cannot load the client key", cfg->keyfile);
        if (!SSL_CTX_check_private_key(ctx))
            return ctx_error(err, "the client key does not match its certificate",
                             cfg->keyfile);
    }
    if (cfg->crl_check || cfg->crl_check_all) {
        unsigned long flags = X509_V_FLAG_CRL_CHECK;
        if (cfg->crl_check_all)
            flags |= X509_V_FLAG_CRL_CHECK_ALL;
        X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx), flags);
    }
    if (cfg->cert_blacklist) {
        rc = load_blacklist(t, cfg->cert_blacklist, err);
        if (rc != AW_OK)
            return rc;
    }
    SSL_CTX_set_app_data(ctx, t);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
    /* The async writer appends to its buffer between retries of a write. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    /* Whole records per read() instead of header and body apart. */
    SSL_CTX_set_read_ahead(ctx, 1);
    return AW_OK;
}

int aw_tls_ctx_new(const aw_tls_config *cfg, aw_tls_ctx **out, aw_error *err) {
    *out = NULL;
    pthread_once(&sock_method_once, make_sock_method);
    aw_tls_ctx *t = aw_calloc(1, sizeof *t);
    if (!t || !sock_method) {
        aw_free(t);
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the TLS context");
    }
    t->ssl = SSL_CTX_new(TLS_client_method());
    if (!t->ssl) {
        aw_free(t);
        return ctx_error(err, "cannot create a context", NULL);
    }
    int rc = load_ctx(t, cfg, err);
    if (rc != AW_OK) {
        ERR_clear_error();
        aw_tls_ctx_free(t);
        return rc;
    }
    *out = t;
    return AW_OK;
}

void aw_tls_ctx_free(aw_tls_ctx *t) {
    if (!t)
        return;
    SSL_CTX_free(t->ssl);
    for (size_t i = 0; i < t->n_revoked; i++) {
        aw_free(t->revoked[i].serial);
        aw_free(t->revoked[i].issuer);
    }
    aw_free(t->revoked);
    aw_free(t->key_password);
    aw_free(t);
}

/* --- Sessions ----------------------------------------------------------------------- */

static bool is_ip(const char *name) {
    unsigned char buf[16];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

int aw_tls_attach(aw_tls_ctx *t, aw_sock *s, const char *name, aw_error *err) {
    SSL *ssl = SSL_new(t->ssl);
    BIO *bio = ssl ? BIO_new(sock_method) : NULL;
    if (!bio) {
        SSL_free(ssl);
        ERR_clear_error();
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a TLS session");
    }
    BIO_set_data(bio, (void *)(intptr_t)s->fd);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_connect_state(ssl);
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    int ok;
    if (is_ip(name)) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(param, name);
    } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = X509_VERIFY_PARAM_set1_host(param, name, 0) && SSL_set_tlsext_host_name(ssl, name);
    }
    if (!ok) {
        SSL_free(ssl);
        int rc = aw_error_set(err, AW_ERR_TLS, "TLS name '%s' cannot be checked: %s", name,
                              ssl_reason("refused"));
        ERR_clear_error();
        return rc;
    }
    s->ssl = ssl;
    s->ssl_error = 0;
    s->sys_errno = 0;
    return AW_OK;
}

/* Maps SSL_get_error; keeps the reason of a failure in s. */
static aw_io io_result(aw_sock *s, int r) {
    int e = SSL_get_error(s->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return AW_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return AW_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return AW_IO_CLOSED;
    case SSL_ERROR_SYSCALL:
        s->sys_errno = errno;
        s->ssl_error = ERR_peek_last_error();
        ERR_clear_error();
        /* No error queued and errno 0: the peer closed the socket. */
        return s->ssl_error || s->sys_errno ? AW_IO_ERROR : AW_IO_CLOSED;
    default:
        s->ssl_error = ERR_peek_last_error();
        s->sys_errno = 0;
        ERR_clear_error();
        if (!s->ssl_error)
            s->ssl_error = (unsigned long)-1; /* failed without saying why */
        return AW_IO_ERROR;
    }
}

aw_io aw_tls_handshake(aw_sock *s) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(s->ssl);
    return r == 1 ? AW_IO_OK : io_result(s, r);
}

void aw_tls_why(const aw_sock *s, char *out, size_t cap) {
    const char *r = NULL;
    if (s->ssl_error && s->ssl_error != (unsigned long)-1)
        r = ERR_reason_error_string(s->ssl_error);
    if (r)
        snprintf(out, cap, "%s", r);
    else if (s->sys_errno)
        snprintf(out, cap, "%s", aw_errno_str(s->sys_errno));
    else
        snprintf(out, cap, "TLS failure");
}

int aw_tls_handshake_error(const aw_sock *s, aw_io io, const char *where, const char *name,
                           aw_error *err) {
    char why[200];
    if (io == AW_IO_CLOSED) {
        snprintf(why, sizeof why, "the server closed the connection (not a TLS port?)");
    } else {
        aw_tls_why(s, why, sizeof why);
        long v = SSL_get_verify_result(s->ssl);
        if (v != X509_V_OK) {
            size_t n = strlen(why);
            snprintf(why + n, sizeof why - n, ": %s", X509_verify_cert_error_string(v));
        } else if (s->ssl_error && ERR_GET_REASON(s->ssl_error) == SSL_R_WRONG_VERSION_NUMBER) {
            size_t n = strlen(why);
            snprintf(why + n, sizeof why - n, " (not a TLS port?)");
        }
    }
    return aw_error_set(err, AW_ERR_TLS, "TLS handshake with %s (TLS name %s) failed: %s", where,
                        name, why);
}

int aw_tls_handshake_until(aw_sock *s, const char *where, const char *name, uint64_t deadline_ms,
                           aw_error *err) {
    uint64_t start = aw_now_ms();
    for (;;) {
        aw_io io = aw_tls_handshake(s);
        if (io == AW_IO_OK)
            return AW_OK;
        if (io != AW_IO_WANT_READ && io != AW_IO_WANT_WRITE)
            return aw_tls_handshake_error(s, io, where, name, err);
        int rc = aw_net_wait(s->fd, io == AW_IO_WANT_READ ? POLLIN : POLLOUT, deadline_ms,
                             "in the TLS handshake", err);
        if (rc == AW_ERR_TIMEOUT)
            return aw_error_set(err, AW_ERR_TLS,
                                "TLS handshake with %s (TLS name %s) failed: no answer in %llu ms "
                                "(not a TLS port?)",
                                where, name, (unsigned long long)(aw_now_ms() - start));
        if (rc != AW_OK)
            return rc;
    }
}

/* SSL_get_error reads the thread's error queue, so it must be empty before
 * each call; ERR_clear_error walks all sixteen slots (about 840
 * instructions in OpenSSL 3.0, twice per pipelined round trip) where a
 * peek at an empty queue is a fraction of that. */
static void drop_stale_errors(void) {
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

aw_io aw_tls_read(aw_sock *s, void *p, size_t cap, size_t *moved) {
    drop_stale_errors();
    errno = 0;
    int n = SSL_read(s->ssl, p, cap > INT32_MAX ? INT32_MAX : (int)cap);
    if (n > 0) {
        *moved = (size_t)n;
        return AW_IO_OK;
    }
    return io_result(s, n);
}

aw_io aw_tls_write(aw_sock *s, const void *p, size_t n, size_t *moved) {
    drop_stale_errors();
    errno = 0;
    int w = SSL_write(s->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
    if (w > 0) {
        *moved = (size_t)w;
        return AW_IO_OK;
    }
    return io_result(s, w);
}

bool aw_tls_pending(const aw_sock *s) { return SSL_has_pending(s->ssl) != 0; }

bool aw_tls_idle_ok(aw_sock *s) {
    char c;
    ERR_clear_error();
    int r = SSL_peek(s->ssl, &c, 1);
    if (r > 0)
        return false; /* stray data: a late reply */
    aw_io io = io_result(s, r);
    return io == AW_IO_WANT_READ && !SSL_has_pending(s->ssl);
}

void aw_tls_free(aw_sock *s) {
    if (s->ssl_error == 0 && s->sys_errno == 0 && SSL_is_init_finished(s->ssl))
        SSL_shutdown(s->ssl); /* close_notify, best effort: the socket is non-blocking */
    ERR_clear_error();
    SSL_free(s->ssl);
    s->ssl = NULL;
}
