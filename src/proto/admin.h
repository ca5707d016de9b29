/*
 * The admin protocol (proto type 2; wire-protocol.md §12): login,
 * authenticate and the user/role commands, requests and replies. A message
 * is a 16-byte admin header (scheme, result, command, field count, zeros)
 * then fields, each u32 BE size (data + 1), u8 id, data. Pure codec: no I/O.
 */
#ifndef AW_PROTO_ADMIN_H
#define AW_PROTO_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "buf.h"

#define AW_ADMIN_HEADER_SIZE 16
/* The official clients' limits (as_admin.h, as_config.h): names and
 * passwords shorter than 64 bytes. */
#define AW_ADMIN_NAME_MAX 63
#define AW_PASSWORD_HASH_LEN 60

enum {
    AW_ADMIN_AUTHENTICATE = 0,
    AW_ADMIN_CREATE_USER = 1,
    AW_ADMIN_DROP_USER = 2,
    AW_ADMIN_SET_PASSWORD = 3,
    AW_ADMIN_CHANGE_PASSWORD = 4,
    AW_ADMIN_GRANT_ROLES = 5,
    AW_ADMIN_REVOKE_ROLES = 6,
    AW_ADMIN_QUERY_USERS = 9,
    AW_ADMIN_CREATE_ROLE = 10,
    AW_ADMIN_DROP_ROLE = 11,
    AW_ADMIN_GRANT_PRIVILEGES = 12,
    AW_ADMIN_REVOKE_PRIVILEGES = 13,
    AW_ADMIN_QUERY_ROLES = 16,
    AW_ADMIN_LOGIN = 20,
};

enum {
    AW_AFIELD_USER = 0,
    AW_AFIELD_PASSWORD = 1,
    AW_AFIELD_OLD_PASSWORD = 2,
    AW_AFIELD_CREDENTIAL = 3,
    AW_AFIELD_CLEAR_PASSWORD = 4,
    AW_AFIELD_SESSION_TOKEN = 5,
    AW_AFIELD_SESSION_TTL = 6,
    AW_AFIELD_ROLES = 10,
    AW_AFIELD_ROLE = 11,
    AW_AFIELD_PRIVILEGES = 12,
    AW_AFIELD_WHITELIST = 13,
    AW_AFIELD_READ_QUOTA = 14,
    AW_AFIELD_WRITE_QUOTA = 15,
    AW_AFIELD_READ_INFO = 16,
    AW_AFIELD_WRITE_INFO = 17,
    AW_AFIELD_CONNECTIONS = 18,
};

/* Privilege codes (as_admin.h): below AW_PRIV_READ they are global, from
 * it on they may be scoped to a namespace and set. */
enum {
    AW_PRIV_USER_ADMIN = 0,
    AW_PRIV_SYS_ADMIN = 1,
    AW_PRIV_DATA_ADMIN = 2,
    AW_PRIV_UDF_ADMIN = 3,
    AW_PRIV_SINDEX_ADMIN = 4,
    AW_PRIV_READ = 10,
    AW_PRIV_READ_WRITE = 11,
    AW_PRIV_READ_WRITE_UDF = 12,
    AW_PRIV_WRITE = 13,
    AW_PRIV_TRUNCATE = 14,
};

/* --- Writing ------------------------------------------------------------------ */

/* Appends the proto header placeholder and an admin header (command, field
 * count, result 0); returns the frame's offset for aw_admin_end. */
size_t aw_admin_begin(aw_buf *b, uint8_t command, uint8_t n_fields);
/* Result code instead of a command (replies, aw-testd). */
size_t aw_admin_begin_reply(aw_buf *b, uint8_t result, uint8_t n_fields);
void aw_admin_field(aw_buf *b, uint8_t id, const void *data, size_t len);
void aw_admin_field_str(aw_buf *b, uint8_t id, const char *s);
void aw_admin_field_u32(aw_buf *b, uint8_t id, uint32_t v);
/* ROLES: u8 count, then u8 length + name for each. */
void aw_admin_field_roles(aw_buf *b, const char *const *roles, size_t n);
/* Patches the proto header (type 2). */
void aw_admin_end(aw_buf *b, size_t at);

/* --- Reading ------------------------------------------------------------------ */

typedef struct aw_admin_view {
    uint8_t result;
    uint8_t command;
    uint8_t n_fields;
    const uint8_t *fields;        /* the fields' bytes */
    size_t fields_len;
} aw_admin_view;

/* One admin message at the front of p: its header, and its fields checked
 * to lie inside len; *used = the message's bytes. AW_ERR_PROTO otherwise. */
int aw_admin_parse(const uint8_t *p, size_t len, aw_admin_view *v, size_t *used, aw_error *err);

/* Walks a parsed message's fields: start with *off = 0; false at the end. */
bool aw_admin_next_field(const aw_admin_view *v, size_t *off, uint8_t *id, const uint8_t **data,
                         size_t *len);
/* The first field with this id; false when absent. */
bool aw_admin_find_field(const aw_admin_view *v, uint8_t id, const uint8_t **data, size_t *len);

/* A length-prefixed list (ROLES): count, then names; false when malformed.
 * Call with i from 0 to *count - 1 (aw_admin_list_count first). */
bool aw_admin_list_count(const uint8_t *data, size_t len, size_t *count);
bool aw_admin_list_item(const uint8_t *data, size_t len, size_t i, const uint8_t **item,
                        size_t *item_len);

/* --- Login -------------------------------------------------------------------- */

/* How the client proves who it is (aw_auth_mode's values). */
enum { AW_LOGIN_INTERNAL = 0, AW_LOGIN_EXTERNAL = 1, AW_LOGIN_PKI = 2 };

/* The password as the official clients send it: bcrypt with the fixed salt
 * "$2a$10$7EqJtq98hPqEX7fNZaFWoO" (as_password.c), 60 characters into out.
 * A NULL password hashes as "". AW_ERR_CLIENT when crypt fails. */
int aw_password_hash(const char *password, char out[AW_PASSWORD_HASH_LEN + 1], aw_error *err);

/* LOGIN (as_cluster_login): internal USER + CREDENTIAL, external adds
 * CLEAR_PASSWORD, PKI sends no field. */
void aw_login_encode(aw_buf *b, int mode, const char *user, const char *hash,
                     const char *clear_password);
/* AUTHENTICATE (as_authenticate): USER (not for PKI) + SESSION_TOKEN. */
void aw_authenticate_encode(aw_buf *b, int mode, const char *user, const uint8_t *token,
                            size_t token_len);
/* A LOGIN reply body (after the proto header): the result code is
 * returned (AW_OK with *token / *ttl_s set; the token points into body;
 * *ttl_s 0 when the reply has none). AW_ERR_PROTO for malformed bytes or a
 * success without a token. */
int aw_login_reply_parse(const uint8_t *body, size_t len, const uint8_t **token,
                         size_t *token_len, uint32_t *ttl_s, aw_error *err);

#endif
