/*
 * aw-testd's security (--security): users and roles in memory, LOGIN and
 * AUTHENTICATE with session tokens that expire on the store's clock
 * (testd-clock moves it), the admin commands, and the checks in front of
 * every command: a connection that has not authenticated gets
 * NOT_AUTHENTICATED (80), one whose session expired too, a user without
 * the privilege ROLE_VIOLATION (81). Starts with user admin/admin holding
 * user-admin, as the server does. Codes and layouts: wire-protocol.md §12.
 */
#ifndef TD_SECURITY_H
#define TD_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "store.h"

typedef struct td_security td_security;

/* A connection's login state. */
typedef struct td_sec_conn {
    char user[64];                /* "" = not authenticated */
    uint32_t expires;             /* store clock seconds; 0 = never */
    uint64_t epoch;               /* td_security's epoch when it authenticated */
    char cert_user[64];           /* the verified client certificate's CN (aw-testd's own
                                   * TLS with --tls-cafile): a PKI login's user; "" = none */
} td_sec_conn;

/* What a command needs. */
enum { TD_NEED_READ = 1, TD_NEED_WRITE = 2, TD_NEED_USER_ADMIN = 3 };

/* NULL when out of memory. token_ttl_s 0 = the server's default (86400). */
td_security *td_security_new(uint32_t token_ttl_s);
void td_security_free(td_security *s);

/* One admin (type-2) message: the reply frame(s) are appended to out. */
void td_security_admin(td_security *s, td_sec_conn *c, const td_store *clock,
                       const uint8_t *body, size_t len, aw_buf *out);
/* AW_OK, AW_NOT_AUTHENTICATED or AW_ROLE_VIOLATION for a command on c
 * needing `need` on ns/set (NULL = unknown: only unscoped privileges);
 * need 0 (info requests) asks only for a login. */
int td_security_check(td_security *s, td_sec_conn *c, const td_store *clock, int need,
                      const char *ns, const char *set);
/* testd-security:expire-password=USER (its next login gets EXPIRED_PASSWORD)
 * or testd-security:end-sessions=1 (every token and authenticated
 * connection ends: commands get NOT_AUTHENTICATED). Answer into out. */
/* The answer to an info request on a connection without a login: every
 * name it asks for gets ERROR:80 (a whole type-1 frame appended to out). */
void td_security_refuse_info(const uint8_t *body, size_t len, aw_buf *out);
void td_security_control(td_security *s, const char *cmd, size_t len, aw_buf *out);

#endif
