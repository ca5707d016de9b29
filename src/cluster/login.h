/*
 * Logging in on a new connection (wire-protocol.md §12), as the official
 * clients do: a node's first connection sends LOGIN (user and the bcrypt
 * credential; external mode adds the clear password; PKI nothing) and keeps
 * the session token the server returns; every later connection sends
 * AUTHENTICATE with that token. The token is dropped 60 s before the TTL
 * the server gave (as_cluster_login), or when the server refuses it; the
 * next connection then logs in again. A server without security answers
 * SECURITY_NOT_ENABLED (52): the connection is used as it is.
 */
#ifndef AW_CLUSTER_LOGIN_H
#define AW_CLUSTER_LOGIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "net.h"
#include "proto/admin.h"
#include "proto/buf.h"

/* What the client logs in with; immutable once the cluster runs, but for
 * the password, which aw_change_password / aw_set_password on the client's
 * own user replace (under the lock). */
typedef struct aw_login_creds {
    pthread_mutex_t lock;
    int mode;                                /* AW_LOGIN_* */
    char user[AW_ADMIN_NAME_MAX + 1];
    char hash[AW_PASSWORD_HASH_LEN + 1];     /* bcrypt of the password */
    char password[AW_ADMIN_NAME_MAX + 1];    /* clear, kept only in external mode */
} aw_login_creds;

/* One node's session (embedded in aw_node). */
typedef struct aw_session {
    pthread_mutex_t lock;
    uint8_t *token;               /* NULL: none yet, or dropped */
    size_t token_len;
    uint64_t expires_ms;          /* aw_now_ms clock; 0 = no expiry known */
} aw_session;

/* Fills creds (the password hashed now). AW_ERR_PARAM for a user or
 * password of 64 bytes or more, or no user outside PKI mode. */
int aw_login_creds_init(aw_login_creds *cr, int mode, const char *user, const char *password,
                        aw_error *err);
void aw_login_creds_destroy(aw_login_creds *cr);
/* Replaces the password (and its hash) after a successful password change. */
void aw_login_creds_set_password(aw_login_creds *cr, const char *password, const char *hash);
/* A copy of the current hash (for CHANGE_PASSWORD's old password). */
void aw_login_creds_hash(aw_login_creds *cr, char out[AW_PASSWORD_HASH_LEN + 1]);

void aw_session_init(aw_session *s);
void aw_session_destroy(aw_session *s);
/* Forgets the token: the next connection logs in again. */
void aw_session_drop(aw_session *s);

/* Logs in on a freshly connected socket (blocking, until deadline_ms; after
 * the TLS handshake with TLS):
 * AUTHENTICATE with the session's token when it holds a live one (a refused
 * token falls back to LOGIN on the same socket), else LOGIN, storing the
 * new token in s (s may be NULL: the token is not kept). No-op when cr is
 * NULL. The server's code on refusal (AW_INVALID_CREDENTIAL,
 * AW_EXPIRED_PASSWORD, ...), with `where` in the message. */
int aw_login_sync(aw_login_creds *cr, aw_session *s, aw_sock *sock, uint64_t deadline_ms,
                  const char *where, aw_error *err);

/* The async form, in two steps. aw_login_request appends the frame to
 * send (AUTHENTICATE when s holds a live token, else LOGIN); *is_login
 * says which. aw_login_reply takes the reply body (after the proto header)
 * and returns AW_OK (the token stored after a LOGIN; SECURITY_NOT_ENABLED
 * counts as OK), AW_LOGIN_RETRY when an AUTHENTICATE's token was refused
 * (send LOGIN next: aw_login_request again), or the server's code. */
#define AW_LOGIN_RETRY 1000
void aw_login_request(aw_login_creds *cr, aw_session *s, aw_buf *out, bool *is_login);
int aw_login_reply(aw_login_creds *cr, aw_session *s, bool is_login, const uint8_t *body,
                   size_t len, const char *where, aw_error *err);

#endif
