/*
 * asbench's login flags, shared by aw and aw-bench: -U user, -P[password]
 * (no value: the password is read from $AW_PASSWORD when set, else asked
 * for on the terminal with echo off, as asbench does), --auth
 * internal|external|pki.
 */
#ifndef AW_BENCHLIB_LOGIN_H
#define AW_BENCHLIB_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "aerowire/client.h"

typedef struct bl_login {
    const char *user;             /* NULL: no login */
    bool password_given;          /* -P seen */
    const char *password_arg;     /* -P's value, or NULL */
    char password[64];
    aw_auth_mode mode;
} bl_login;

/* --auth's value (case-insensitive, as asbench); false for anything else. */
bool bl_login_mode(const char *s, aw_auth_mode *out);
/* Fills l->password (from -P's value, $AW_PASSWORD or the prompt) when a
 * user is set. false with a message in err (-P without -U, a password of
 * 64 bytes or more, no terminal to ask on). */
bool bl_login_resolve(bl_login *l, char *err, size_t errlen);
/* Copies user, password and mode into cfg (nothing without a login). */
void bl_login_config(const bl_login *l, aw_config *cfg);

#endif
