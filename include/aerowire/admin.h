/*
 * User and role administration on an Enterprise server with security on
 * (the admin protocol, wire-protocol.md §12; docs/security.md). Each call
 * runs on one node's sync connection (logged in like any other) and is
 * bounded by the policy's total timeout (NULL policy: 60 s, as the official
 * clients). A server without security answers AW_SECURITY_NOT_SUPPORTED (51)
 * or AW_SECURITY_NOT_ENABLED (52); refusals carry the server's code
 * (AW_INVALID_USER, AW_USER_ALREADY_EXISTS, AW_ROLE_VIOLATION, ...).
 * Names and passwords are at most 63 bytes (AW_ERR_PARAM otherwise).
 */
#ifndef AEROWIRE_ADMIN_H
#define AEROWIRE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AW_ADMIN_NAME_SIZE 64

/* Privilege codes as the server numbers them. Below AW_PRIVILEGE_READ they
 * are global; from it on a privilege may be limited to a namespace and set. */
typedef enum aw_privilege_code {
    AW_PRIVILEGE_USER_ADMIN = 0,
    AW_PRIVILEGE_SYS_ADMIN = 1,
    AW_PRIVILEGE_DATA_ADMIN = 2,
    AW_PRIVILEGE_UDF_ADMIN = 3,
    AW_PRIVILEGE_SINDEX_ADMIN = 4,
    AW_PRIVILEGE_READ = 10,
    AW_PRIVILEGE_READ_WRITE = 11,
    AW_PRIVILEGE_READ_WRITE_UDF = 12,
    AW_PRIVILEGE_WRITE = 13,
    AW_PRIVILEGE_TRUNCATE = 14,
} aw_privilege_code;

typedef struct aw_privilege {
    aw_privilege_code code;
    char ns[AW_ADMIN_NAME_SIZE];  /* "" = every namespace */
    char set[AW_ADMIN_NAME_SIZE]; /* "" = every set */
} aw_privilege;

typedef struct aw_user_info {
    char name[AW_ADMIN_NAME_SIZE];
    size_t n_roles;
    char (*roles)[AW_ADMIN_NAME_SIZE];
    uint32_t conns_in_use;        /* when the server reports it */
} aw_user_info;

typedef struct aw_role_info {
    char name[AW_ADMIN_NAME_SIZE];
    size_t n_privileges;
    aw_privilege *privileges;
} aw_role_info;

AW_API int aw_create_user(aw_client *client, const aw_policy *policy, const char *user,
                          const char *password, const char *const *roles, size_t n_roles,
                          aw_error *err);
AW_API int aw_drop_user(aw_client *client, const aw_policy *policy, const char *user,
                        aw_error *err);
/* An administrator sets another user's password (user-admin privilege). */
AW_API int aw_set_password(aw_client *client, const aw_policy *policy, const char *user,
                           const char *password, aw_error *err);
/* A user changes their own password (the old one is the client's current
 * credential). On success for the client's own user, new connections log
 * in with the new password. */
AW_API int aw_change_password(aw_client *client, const aw_policy *policy, const char *user,
                              const char *password, aw_error *err);
AW_API int aw_grant_roles(aw_client *client, const aw_policy *policy, const char *user,
                          const char *const *roles, size_t n_roles, aw_error *err);
AW_API int aw_revoke_roles(aw_client *client, const aw_policy *policy, const char *user,
                           const char *const *roles, size_t n_roles, aw_error *err);
AW_API int aw_create_role(aw_client *client, const aw_policy *policy, const char *role,
                          const aw_privilege *privileges, size_t n_privileges, aw_error *err);
AW_API int aw_drop_role(aw_client *client, const aw_policy *policy, const char *role,
                        aw_error *err);

/* Users (user NULL: all of them), allocated into *users (aw_users_free). */
AW_API int aw_query_users(aw_client *client, const aw_policy *policy, const char *user,
                          aw_user_info **users, size_t *n_users, aw_error *err);
AW_API void aw_users_free(aw_user_info *users, size_t n_users);
/* Roles (role NULL: all of them), allocated into *roles (aw_roles_free). */
AW_API int aw_query_roles(aw_client *client, const aw_policy *policy, const char *role,
                          aw_role_info **roles, size_t *n_roles, aw_error *err);
AW_API void aw_roles_free(aw_role_info *roles, size_t n_roles);

#ifdef __cplusplus
}
#endif

#endif
