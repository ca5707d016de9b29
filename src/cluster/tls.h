/*
 * TLS sessions on the client's sockets (OpenSSL): the context built from
 * aw_tls_config, and per connection a session on the raw non-blocking
 * socket. Nothing here waits: a step that cannot go on says whether it
 * needs the socket readable or writable (AW_IO_WANT_*), so the sync code
 * polls and the async code asks its loop hooks for that event.
 */
#ifndef AW_CLUSTER_TLS_H
#define AW_CLUSTER_TLS_H

#include "aerowire/error.h"
#include "aerowire/tls.h"
#include "net.h"

typedef struct aw_tls_ctx aw_tls_ctx;

/* Loads CAs, protocols, ciphers, the client certificate, CRL flags and the
 * certificate blacklist. AW_ERR_TLS naming what could not be loaded,
 * AW_ERR_NOMEM. */
int aw_tls_ctx_new(const aw_tls_config *cfg, aw_tls_ctx **out, aw_error *err);
void aw_tls_ctx_free(aw_tls_ctx *t);

/* Starts a client session on s->fd whose certificate must match `name`
 * (a host name, or an IP address checked against the IP SANs). */
int aw_tls_attach(aw_tls_ctx *t, aw_sock *s, const char *name, aw_error *err);
/* One handshake step: AW_IO_OK when done, AW_IO_WANT_* to wait, else
 * failed (aw_tls_handshake_error builds the message). */
aw_io aw_tls_handshake(aw_sock *s);
/* AW_ERR_TLS: "TLS handshake with <where> (TLS name <name>) failed: <reason>". */
int aw_tls_handshake_error(const aw_sock *s, aw_io io, const char *where, const char *name,
                           aw_error *err);
/* aw_net_connect's TLS part for blocking callers: handshake until done or
 * deadline_ms (then AW_ERR_TLS saying it timed out). */
int aw_tls_handshake_until(aw_sock *s, const char *where, const char *name, uint64_t deadline_ms,
                           aw_error *err);

aw_io aw_tls_read(aw_sock *s, void *p, size_t cap, size_t *moved);
aw_io aw_tls_write(aw_sock *s, const void *p, size_t n, size_t *moved);
bool aw_tls_pending(const aw_sock *s);
/* For an idle pooled connection with bytes on the socket: consumes records
 * that carry no data (TLS 1.3 session tickets); false when data or a close
 * was among them. */
bool aw_tls_idle_ok(aw_sock *s);
void aw_tls_why(const aw_sock *s, char *out, size_t cap);
/* Sends close_notify when the session is healthy, frees it. */
void aw_tls_free(aw_sock *s);

#endif
