/* The password hash the official clients send (as_password.c): bcrypt
 * through the system's libxcrypt, with the clients' fixed salt, so the
 * server sees the same credential from every client. */
#include <crypt.h>
#include <string.h>

#include "admin.h"
#include "mem.h"

#define BCRYPT_SALT "$2a$10$7EqJtq98hPqEX7fNZaFWoO"

int aw_password_hash(const char *password, char out[AW_PASSWORD_HASH_LEN + 1], aw_error *err) {
    struct crypt_data *cd = aw_calloc(1, sizeof *cd); /* ~32 KiB: not on the stack */
    if (!cd)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory to hash the password");
    const char *h = crypt_r(password ? password : "", BCRYPT_SALT, cd);
    int rc = AW_OK;
    if (!h || h[0] == '*' || strlen(h) != AW_PASSWORD_HASH_LEN)
        rc = aw_error_set(err, AW_ERR_CLIENT, "bcrypt of the password failed (libcrypt)");
    else
        memcpy(out, h, AW_PASSWORD_HASH_LEN + 1);
    memset(cd, 0, sizeof *cd); /* it held the password */
    aw_free(cd);
    return rc;
}
