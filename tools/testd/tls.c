/* aw-testd's own TLS with OpenSSL (see tls.h). */
#include "tls.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Read-ahead takes up to this much off the socket per read: a client's
 * pipelined requests come in a few records, and one recv then brings
 * several of them instead of two per record (header, then body). */
#define READ_BUFFER (64 * 1024)

struct td_tls {
    SSL_CTX *ctx;
};

/* "what FILE: OpenSSL's reason" into errbuf; NULL for the caller to return. */
static td_tls *load_failed(td_tls *t, const char *what, const char *file, char *errbuf,
                           size_t errlen) {
    unsigned long e = ERR_peek_last_error();
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    snprintf(errbuf, errlen, "%s %s: %s", what, file ? file : "", why ? why : "failed");
    ERR_clear_error();
    td_tls_free(t);
    return NULL;
}

td_tls *td_tls_new(const char *cert, const char *key, const char *cafile, char *errbuf,
                   size_t errlen) {
    td_tls *t = calloc(1, sizeof *t);
    if (!t || !(t->ctx = SSL_CTX_new(TLS_server_method())))
        return load_failed(t, "cannot create a TLS context", NULL, errbuf, errlen);
    SSL_CTX *ctx = t->ctx;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        return load_failed(t, "--tls-cert", cert, errbuf, errlen);
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        return load_failed(t, "--tls-key", key, errbuf, errlen);
    if (SSL_CTX_check_private_key(ctx) != 1)
        return load_failed(t, "--tls-key does not match --tls-cert", key, errbuf, errlen);
    if (cafile) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cafile);
        if (!names || SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return load_failed(t, "--tls-cafile", cafile, errbuf, errlen);
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    /* TLS 1.2 and 1.3, as Aerospike servers offer. No renegotiation, so a
     * write never has to wait for a read. */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    /* A reply's buffer grows (realloc) between a write that blocked and
     * its retry, and a write may take part of what it is given. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, READ_BUFFER);
    static const unsigned char sid[] = "aw-testd";
    SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
    return t;
}

void td_tls_free(td_tls *t) {
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}

struct ssl_st *td_tls_session(td_tls *t, int fd) {
    SSL *ssl = SSL_new(t->ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        ERR_clear_error();
        return NULL;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

/* Maps SSL_get_error. A failed session is marked shut down: it gets no
 * close_notify (OpenSSL forbids SSL_shutdown after a fatal error). */
static td_io io_result(SSL *ssl, int r) {
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
        return TD_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TD_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return TD_IO_CLOSED; /* the client's close_notify */
    default:
        SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        ERR_clear_error();
        return TD_IO_CLOSED;
    }
}

td_io td_tls_handshake(struct ssl_st *ssl) {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl);
    return r == 1 ? TD_IO_OK : io_result(ssl, r);
}

/* The error queue must be empty before each SSL call (SSL_get_error reads
 * it); peeking at an empty queue costs far less than clearing it. */
static void drop_stale_errors(void) {
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

td_io td_tls_read(struct ssl_st *ssl, void *p, size_t cap, size_t *moved) {
    *moved = 0;
    drop_stale_errors();
    int r = SSL_read(ssl, p, cap > INT_MAX ? INT_MAX : (int)cap);
    if (r <= 0)
        return io_result(ssl, r);
    *moved = (size_t)r;
    return TD_IO_OK;
}

int td_tls_pending(const struct ssl_st *ssl) { return SSL_has_pending(ssl); }

td_io td_tls_write(struct ssl_st *ssl, const void *p, size_t n, size_t *moved) {
    *moved = 0;
    drop_stale_errors();
    int w = SSL_write(ssl, p, n > INT_MAX ? INT_MAX : (int)n);
    if (w <= 0)
        return io_result(ssl, w);
    *moved = (size_t)w;
    return TD_IO_OK;
}

bool td_tls_peer_name(struct ssl_st *ssl, char *out, size_t cap) {
    X509 *cert = SSL_get0_peer_certificate(ssl);
    if (!cert || SSL_get_verify_result(ssl) != X509_V_OK)
        return false;
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, out,
                                      cap > INT_MAX ? INT_MAX : (int)cap);
    ERR_clear_error();
    return n > 0 && (size_t)n < cap && strlen(out) == (size_t)n; /* no NUL inside */
}

void td_tls_end(struct ssl_st *ssl) {
    if (!ssl)
        return;
    if (SSL_is_init_finished(ssl) && !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
        SSL_shutdown(ssl);
    ERR_clear_error();
    SSL_free(ssl);
}
