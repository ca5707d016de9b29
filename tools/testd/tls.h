/*
 * aw-testd terminating TLS itself (--tls-port): the server's OpenSSL
 * context (certificate, key, and with a CA file the demand for a client
 * certificate signed by it: mutual TLS), and per connection a session on
 * the raw non-blocking socket. Nothing here waits: a step that cannot go on
 * says whether it needs the socket readable or writable, and the server's
 * event loop waits for that, so a client that stalls mid-handshake or
 * speaks plain TCP to the TLS port holds up no other connection.
 *
 * The sessions write with the socket's write(): the process must ignore
 * SIGPIPE (aw-testd does), or a client that hangs up kills it.
 */
#ifndef TD_TLS_H
#define TD_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct ssl_st; /* OpenSSL's SSL */

typedef struct td_tls td_tls;

typedef enum td_io {
    TD_IO_OK,
    TD_IO_WANT_READ,
    TD_IO_WANT_WRITE,
    TD_IO_CLOSED,   /* the peer closed, or the session failed: drop the connection */
} td_io;

/* Loads cert and key (PEM; the certificate file may hold the chain), and
 * with cafile requires client certificates it signed. NULL with a message
 * naming what could not be loaded. */
td_tls *td_tls_new(const char *cert, const char *key, const char *cafile, char *errbuf,
                   size_t errlen);
void td_tls_free(td_tls *t);

/* A server session on fd, its handshake still to do; NULL when out of memory. */
struct ssl_st *td_tls_session(td_tls *t, int fd);
/* One handshake step: TD_IO_OK once done. */
td_io td_tls_handshake(struct ssl_st *ssl);
/* At most cap bytes of application data; *moved says how many. */
td_io td_tls_read(struct ssl_st *ssl, void *p, size_t cap, size_t *moved);
/* Decrypted or undecrypted bytes held in the session, where no socket
 * event reports them: a reader must read on before it waits. */
int td_tls_pending(const struct ssl_st *ssl);
td_io td_tls_write(struct ssl_st *ssl, const void *p, size_t n, size_t *moved);
/* The Common Name of the client certificate the handshake verified (mutual
 * TLS), which a PKI login takes as its user; false without one, or when it
 * does not fit cap. */
bool td_tls_peer_name(struct ssl_st *ssl, char *out, size_t cap);
/* Sends close_notify when the session is healthy (best effort: the socket
 * is non-blocking) and frees it. */
void td_tls_end(struct ssl_st *ssl);

#endif
