/* Login and session tokens on new connections: see login.h. */
#include "login.h"

#include <stdio.h>
#include <string.h>

#include "aerowire/client.h"
#include "net.h"
#include "proto/frame.h"
#include "proto/mem.h"

/* The official client drops its copy of the token this long before the
 * server's TTL ends (as_cluster_login), so it is never sent expired. */
#define SESSION_MARGIN_S 60
/* A login reply is a header and two short fields; anything this big is not one. */
#define LOGIN_REPLY_MAX (64u * 1024u)

int aw_login_creds_init(aw_login_creds *cr, int mode, const char *user, const char *password,
                        aw_error *err) {
    memset(cr, 0, sizeof *cr);
    cr->mode = mode;
    if (mode != AW_LOGIN_PKI && (!user || !user[0]))
        return aw_error_set(err, AW_ERR_PARAM, "a password was given without a user");
    if (user && strlen(user) > AW_ADMIN_NAME_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "user name of %zu bytes (at most %d)",
                            strlen(user), AW_ADMIN_NAME_MAX);
    if (password && strlen(password) > AW_ADMIN_NAME_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "password of %zu bytes (at most %d)",
                            strlen(password), AW_ADMIN_NAME_MAX);
    snprintf(cr->user, sizeof cr->user, "%s", user ? user : "");
    /* Only external mode sends the clear password: otherwise it is not kept. */
    if (mode == AW_LOGIN_EXTERNAL)
        snprintf(cr->password, sizeof cr->password, "%s", password ? password : "");
    if (mode != AW_LOGIN_PKI) {
        int rc = aw_password_hash(password, cr->hash, err);
        if (rc != AW_OK)
            return rc;
    }
    pthread_mutex_init(&cr->lock, NULL);
    return AW_OK;
}

void aw_login_creds_destroy(aw_login_creds *cr) {
    memset(cr->password, 0, sizeof cr->password);
    pthread_mutex_destroy(&cr->lock);
}

void aw_login_creds_set_password(aw_login_creds *cr, const char *password, const char *hash) {
    pthread_mutex_lock(&cr->lock);
    if (cr->mode == AW_LOGIN_EXTERNAL)
        snprintf(cr->password, sizeof cr->password, "%s", password);
    snprintf(cr->hash, sizeof cr->hash, "%s", hash);
    pthread_mutex_unlock(&cr->lock);
}

void aw_login_creds_hash(aw_login_creds *cr, char out[AW_PASSWORD_HASH_LEN + 1]) {
    pthread_mutex_lock(&cr->lock);
    memcpy(out, cr->hash, AW_PASSWORD_HASH_LEN + 1);
    pthread_mutex_unlock(&cr->lock);
}

void aw_session_init(aw_session *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
}

void aw_session_destroy(aw_session *s) {
    aw_free(s->token);
    s->token = NULL;
    pthread_mutex_destroy(&s->lock);
}

void aw_session_drop(aw_session *s) {
    pthread_mutex_lock(&s->lock);
    aw_free(s->token);
    s->token = NULL;
    s->token_len = 0;
    s->expires_ms = 0;
    pthread_mutex_unlock(&s->lock);
}

/* Stores a new token; without memory for it the session stays empty (the
 * next connection logs in again). */
static void session_store(aw_session *s, const uint8_t *token, size_t len, uint32_t ttl_s) {
    uint8_t *copy = aw_malloc(len);
    if (copy)
        memcpy(copy, token, len);
    pthread_mutex_lock(&s->lock);
    aw_free(s->token);
    s->token = copy;
    s->token_len = copy ? len : 0;
    s->expires_ms = ttl_s > SESSION_MARGIN_S ? aw_now_ms() + (ttl_s - SESSION_MARGIN_S) * 1000ull
                                             : 0;
    pthread_mutex_unlock(&s->lock);
}

void aw_login_request(aw_login_creds *cr, aw_session *s, aw_buf *out, bool *is_login) {
    pthread_mutex_lock(&cr->lock);
    bool done = false;
    if (s) {
        pthread_mutex_lock(&s->lock);
        if (s->token && s->expires_ms && aw_now_ms() >= s->expires_ms) {
            aw_free(s->token);
            s->token = NULL;
            s->token_len = 0;
        }
        if (s->token) {
            aw_authenticate_encode(out, cr->mode, cr->user, s->token, s->token_len);
            done = true;
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (!done)
        aw_login_encode(out, cr->mode, cr->user, cr->hash, cr->password);
    pthread_mutex_unlock(&cr->lock);
    *is_login = !done;
}

static int refused(int code, bool is_login, const char *where, aw_error *err) {
    return aw_error_set(err, code, "%s to %s refused: %s (%s)",
                        is_login ? "login" : "authentication", where, aw_status_name(code),
                        aw_strerror(code));
}

int aw_login_reply(aw_login_creds *cr, aw_session *s, bool is_login, const uint8_t *body,
                   size_t len, const char *where, aw_error *err) {
    (void)cr;
    aw_admin_view v;
    int rc = aw_admin_parse(body, len, &v, NULL, err);
    if (rc != AW_OK)
        return aw_error_set(err, rc, "login reply from %s: %s", where, err ? err->message : "");
    if (v.result == AW_SECURITY_NOT_ENABLED)
        return AW_OK; /* the server does not ask for a login */
    if (!is_login) {
        if (v.result == AW_OK)
            return AW_OK;
        /* The token was refused (expired, or the server restarted): log in. */
        if (s)
            aw_session_drop(s);
        return AW_LOGIN_RETRY;
    }
    const uint8_t *token;
    size_t token_len;
    uint32_t ttl_s;
    rc = aw_login_reply_parse(body, len, &token, &token_len, &ttl_s, err);
    if (rc == AW_ERR_PROTO)
        return aw_error_set(err, rc, "login reply from %s: %s", where, err ? err->message : "");
    if (rc != AW_OK)
        return refused(rc, true, where, err);
    if (s)
        session_store(s, token, token_len, ttl_s);
    return AW_OK;
}

static int exchange(aw_login_creds *cr, aw_session *s, aw_sock *sock, uint64_t deadline_ms,
                    const char *where, aw_buf *b, aw_error *err) {
    bool is_login;
    aw_buf_reset(b);
    aw_login_request(cr, s, b, &is_login);
    if (!aw_buf_ok(b))
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a login request");
    int rc = aw_net_send_all(sock, b->data, b->len, deadline_ms, err);
    if (rc == AW_OK)
        rc = aw_net_recv_frame(sock, AW_PROTO_ADMIN, LOGIN_REPLY_MAX, b, deadline_ms, err);
    if (rc != AW_OK)
        return rc;
    return aw_login_reply(cr, s, is_login, b->data, b->len, where, err);
}

int aw_login_sync(aw_login_creds *cr, aw_session *s, aw_sock *sock, uint64_t deadline_ms,
                  const char *where, aw_error *err) {
    if (!cr)
        return AW_OK;
    aw_buf b;
    aw_buf_init(&b);
    int rc = exchange(cr, s, sock, deadline_ms, where, &b, err);
    if (rc == AW_LOGIN_RETRY)
        rc = exchange(cr, s, sock, deadline_ms, where, &b, err);
    aw_buf_free(&b);
    return rc == AW_LOGIN_RETRY ? refused(AW_NOT_AUTHENTICATED, false, where, err) : rc;
}
