/* asbench's -U / -P / --auth: see login.h. */
#include "login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

bool bl_login_mode(const char *s, aw_auth_mode *out) {
    if (strcasecmp(s, "internal") == 0)
        *out = AW_AUTH_INTERNAL;
    else if (strcasecmp(s, "external") == 0)
        *out = AW_AUTH_EXTERNAL;
    else if (strcasecmp(s, "pki") == 0)
        *out = AW_AUTH_PKI;
    else
        return false;
    return true;
}

/* Reads a line from the terminal with echo off. */
static bool prompt(char *out, size_t cap) {
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty)
        return false;
    struct termios old, quiet;
    bool restore = tcgetattr(fileno(tty), &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSANOW, &quiet);
    }
    fputs("Enter Password: ", tty);
    fflush(tty);
    bool ok = fgets(out, (int)cap, tty) != NULL;
    if (restore)
        tcsetattr(fileno(tty), TCSANOW, &old);
    fputs("\n", tty);
    fclose(tty);
    if (ok)
        out[strcspn(out, "\r\n")] = 0;
    return ok;
}

bool bl_login_resolve(bl_login *l, char *err, size_t errlen) {
    if (!l->user && l->password_given) {
        snprintf(err, errlen, "-P needs -U (the user it is the password of)");
        return false;
    }
    if (!l->user && l->mode != AW_AUTH_PKI)
        return true;
    const char *src = l->password_arg;
    if (!src && l->mode != AW_AUTH_PKI)
        src = getenv("AW_PASSWORD");
    if (src) {
        if (strlen(src) >= sizeof l->password) {
            snprintf(err, errlen, "the password is longer than %zu bytes",
                     sizeof l->password - 1);
            return false;
        }
        snprintf(l->password, sizeof l->password, "%s", src);
    } else if (l->mode != AW_AUTH_PKI && !prompt(l->password, sizeof l->password)) {
        snprintf(err, errlen,
                 "no password: give -PPASSWORD, set AW_PASSWORD, or run on a terminal to be "
                 "asked");
        return false;
    }
    return true;
}

void bl_login_config(const bl_login *l, aw_config *cfg) {
    cfg->auth_mode = l->mode;
    if (!l->user)
        return;
    cfg->user = l->user;
    cfg->password = l->password;
}
