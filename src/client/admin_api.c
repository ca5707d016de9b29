/* User and role administration (aerowire/admin.h) over the admin protocol. */
#include <string.h>

#include "aerowire/admin.h"
#include "client_impl.h"
#include "cluster/login.h"
#include "proto/admin.h"
#include "proto/frame.h"
#include "proto/mem.h"

#define ADMIN_TIMEOUT_MS 60000u      /* the official clients' default */
#define ADMIN_REPLY_MAX (16u << 20)  /* a frame of the user or role list */

int aw_auth_check_config(const aw_config *cfg, aw_error *err) {
    bool tls = cfg->tls.enable; /* as the official clients: TLS on, not a client certificate */
    if (cfg->auth_mode == AW_AUTH_EXTERNAL && !tls)
        return aw_error_set(err, AW_ERR_PARAM,
                            "external (LDAP) authentication sends the clear password: it needs "
                            "TLS to the cluster");
    if (cfg->auth_mode == AW_AUTH_PKI && !tls)
        return aw_error_set(err, AW_ERR_PARAM,
                            "PKI authentication takes the user from the TLS client certificate: "
                            "it needs TLS to the cluster");
    if ((unsigned)cfg->auth_mode > AW_AUTH_PKI)
        return aw_error_set(err, AW_ERR_PARAM, "auth_mode %d is not internal, external or pki",
                            (int)cfg->auth_mode);
    return AW_OK;
}

static int check_name(const char *s, const char *what, aw_error *err) {
    if (!s || !s[0])
        return aw_error_set(err, AW_ERR_PARAM, "no %s given", what);
    if (strlen(s) > AW_ADMIN_NAME_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "%s of %zu bytes (at most %d)", what, strlen(s),
                            AW_ADMIN_NAME_MAX);
    return AW_OK;
}

static int check_roles(const char *const *roles, size_t n, aw_error *err) {
    if (n > 255 || (n && !roles))
        return aw_error_set(err, AW_ERR_PARAM, "%zu roles (at most 255, none NULL)", n);
    for (size_t i = 0; i < n; i++) {
        int rc = check_name(roles[i], "role", err);
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}

/* Called for each record block of a query reply. */
typedef int (*block_fn)(const aw_admin_view *v, void *ctx, aw_error *err);

/* Reads reply frames: a command's single block, or a query's blocks until
 * the one with QUERY_END. The server's code is returned (with a message). */
static int read_reply(aw_sock *s, block_fn each, void *ctx, uint64_t deadline, aw_buf *b,
                      aw_error *err) {
    for (;;) {
        int rc = aw_net_recv_frame(s, AW_PROTO_ADMIN, ADMIN_REPLY_MAX, b, deadline, err);
        if (rc != AW_OK)
            return rc;
        size_t off = 0;
        do {
            aw_admin_view v;
            size_t used;
            rc = aw_admin_parse(b->data + off, b->len - off, &v, &used, err);
            if (rc != AW_OK)
                return rc;
            off += used;
            if (!each || v.result == AW_QUERY_END)
                return v.result == AW_QUERY_END || v.result == AW_OK
                           ? AW_OK
                           : aw_error_set(err, v.result, "the server refused: %s (%s)",
                                          aw_status_name(v.result), aw_strerror(v.result));
            if (v.result != AW_OK)
                return aw_error_set(err, v.result, "the server refused: %s (%s)",
                                    aw_status_name(v.result), aw_strerror(v.result));
            rc = each(&v, ctx, err);
            if (rc != AW_OK)
                return rc;
        } while (off < b->len);
    }
}

/* Sends the request in b to a node and reads the reply into it. */
static int execute(aw_client *client, const aw_policy *policy, aw_buf *b, block_fn each,
                   void *ctx, aw_error *err) {
    if (!aw_buf_ok(b))
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for an admin request");
    uint32_t t = policy && policy->total_timeout_ms ? policy->total_timeout_ms : ADMIN_TIMEOUT_MS;
    uint64_t deadline = aw_now_ms() + t;
    aw_cluster_view *v = aw_cluster_view_acquire(client->cluster);
    aw_node *n = NULL;
    for (size_t i = 0; i < v->n_nodes && !n; i++)
        if (aw_node_is_active(v->nodes[i]))
            n = v->nodes[i];
    if (n)
        aw_node_retain(n);
    aw_cluster_view_release(v);
    if (!n)
        return aw_error_set(err, AW_ERR_INVALID_NODE, "the cluster has no node to ask");
    aw_sock s;
    int rc = aw_node_conn_get(n, deadline, true, &s, err);
    if (rc == AW_OK) {
        rc = aw_net_send_all(&s, b->data, b->len, deadline, err);
        if (rc == AW_OK)
            rc = read_reply(&s, each, ctx, deadline, b, err);
        /* A server answer leaves the stream in step; anything else may not. */
        aw_node_conn_put(n, &s, rc >= AW_OK && rc != AW_ERR_TIMEOUT);
    }
    aw_node_release(n);
    return rc;
}

static int simple(aw_client *client, const aw_policy *policy, aw_buf *b, aw_error *err) {
    int rc = execute(client, policy, b, NULL, NULL, err);
    aw_buf_free(b);
    return rc;
}

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != AW_OK)                                                                          \
            return rc_;                                                                            \
    } while (0)

int aw_create_user(aw_client *client, const aw_policy *policy, const char *user,
                   const char *password, const char *const *roles, size_t n_roles,
                   aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "aw_create_user: client is NULL");
    CHECK(check_name(user, "user", err));
    CHECK(check_name(password, "password", err));
    CHECK(check_roles(roles, n_roles, err));
    char hash[AW_PASSWORD_HASH_LEN + 1];
    CHECK(aw_password_hash(password, hash, err));
    aw_buf b;
    aw_buf_init(&b);
    size_t at = aw_admin_begin(&b, AW_ADMIN_CREATE_USER, 3);
    aw_admin_field_str(&b, AW_AFIELD_USER, user);
    aw_admin_field_str(&b, AW_AFIELD_PASSWORD, hash);
    aw_admin_field_roles(&b, roles, n_roles);
    aw_admin_end(&b, at);
    return simple(client, policy, &b, err);
}

/* A command whose only field is one name (drop user, drop role). */
static int one_name(aw_client *client, const aw_policy *policy, uint8_t cmd, uint8_t field,
                    const char *name, const char *what, aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "client is NULL");
    CHECK(check_name(name, what, err));
    aw_buf b;
    aw_buf_init(&b);
    size_t at = aw_admin_begin(&b, cmd, 1);
    aw_admin_field_str(&b, field, name);
    aw_admin_end(&b, at);
    return simple(client, policy, &b, err);
}

int aw_drop_user(aw_client *client, const aw_policy *policy, const char *user, aw_error *err) {
    return one_name(client, policy, AW_ADMIN_DROP_USER, AW_AFIELD_USER, user, "user", err);
}

int aw_drop_role(aw_client *client, const aw_policy *policy, const char *role, aw_error *err) {
    return one_name(client, policy, AW_ADMIN_DROP_ROLE, AW_AFIELD_ROLE, role, "role", err);
}

/* SET_PASSWORD (change = false) or CHANGE_PASSWORD, which also sends the
 * client's current credential; the client's own new password is kept. */
static int password_cmd(aw_client *client, const aw_policy *policy, const char *user,
                        const char *password, bool change, aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "client is NULL");
    aw_login_creds *cr = aw_cluster_login(client->cluster);
    if (!user && cr)
        user = cr->user;
    CHECK(check_name(user, "user", err));
    CHECK(check_name(password, "password", err));
    if (change && !cr)
        return aw_error_set(err, AW_ERR_PARAM,
                            "changing a password needs the current one: the client has no login");
    char hash[AW_PASSWORD_HASH_LEN + 1], old[AW_PASSWORD_HASH_LEN + 1];
    CHECK(aw_password_hash(password, hash, err));
    aw_buf b;
    aw_buf_init(&b);
    size_t at = aw_admin_begin(&b, change ? AW_ADMIN_CHANGE_PASSWORD : AW_ADMIN_SET_PASSWORD,
                               change ? 3 : 2);
    aw_admin_field_str(&b, AW_AFIELD_USER, user);
    if (change) {
        aw_login_creds_hash(cr, old);
        aw_admin_field_str(&b, AW_AFIELD_OLD_PASSWORD, old);
    }
    aw_admin_field_str(&b, AW_AFIELD_PASSWORD, hash);
    aw_admin_end(&b, at);
    int rc = simple(client, policy, &b, err);
    if (rc == AW_OK && cr && strcmp(user, cr->user) == 0)
        aw_login_creds_set_password(cr, password, hash);
    return rc;
}

int aw_set_password(aw_client *client, const aw_policy *policy, const char *user,
                    const char *password, aw_error *err) {
    return password_cmd(client, policy, user, password, false, err);
}

int aw_change_password(aw_client *client, const aw_policy *policy, const char *user,
                       const char *password, aw_error *err) {
    return password_cmd(client, policy, user, password, true, err);
}

static int roles_cmd(aw_client *client, const aw_policy *policy, uint8_t cmd, const char *user,
                     const char *const *roles, size_t n_roles, aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "client is NULL");
    CHECK(check_name(user, "user", err));
    CHECK(check_roles(roles, n_roles, err));
    aw_buf b;
    aw_buf_init(&b);
    size_t at = aw_admin_begin(&b, cmd, 2);
    aw_admin_field_str(&b, AW_AFIELD_USER, user);
    aw_admin_field_roles(&b, roles, n_roles);
    aw_admin_end(&b, at);
    return simple(client, policy, &b, err);
}

int aw_grant_roles(aw_client *client, const aw_policy *policy, const char *user,
                   const char *const *roles, size_t n_roles, aw_error *err) {
    return roles_cmd(client, policy, AW_ADMIN_GRANT_ROLES, user, roles, n_roles, err);
}

int aw_revoke_roles(aw_client *client, const aw_policy *policy, const char *user,
                    const char *const *roles, size_t n_roles, aw_error *err) {
    return roles_cmd(client, policy, AW_ADMIN_REVOKE_ROLES, user, roles, n_roles, err);
}

/* PRIVILEGES: u8 count, then u8 code and, for data privileges, the
 * length-prefixed namespace and set (as_admin_write_privileges). */
int aw_create_role(aw_client *client, const aw_policy *policy, const char *role,
                   const aw_privilege *privileges, size_t n_privileges, aw_error *err) {
    if (!client)
        return aw_error_set(err, AW_ERR_PARAM, "aw_create_role: client is NULL");
    CHECK(check_name(role, "role", err));
    if (n_privileges > 255 || (n_privileges && !privileges))
        return aw_error_set(err, AW_ERR_PARAM, "%zu privileges (at most 255)", n_privileges);
    aw_buf p;
    aw_buf_init(&p);
    aw_buf_u8(&p, (uint8_t)n_privileges);
    for (size_t i = 0; i < n_privileges; i++) {
        const aw_privilege *pr = &privileges[i];
        size_t nl = strnlen(pr->ns, AW_ADMIN_NAME_SIZE), sl = strnlen(pr->set, AW_ADMIN_NAME_SIZE);
        if (nl == AW_ADMIN_NAME_SIZE || sl == AW_ADMIN_NAME_SIZE || (unsigned)pr->code > 255 ||
            (pr->code < AW_PRIVILEGE_READ && (nl || sl))) {
            aw_buf_free(&p);
            return aw_error_set(err, AW_ERR_PARAM,
                                "privilege %zu: a global privilege (code %d) has no namespace or "
                                "set, and names are NUL-terminated",
                                i, (int)pr->code);
        }
        aw_buf_u8(&p, (uint8_t)pr->code);
        if (pr->code >= AW_PRIVILEGE_READ) {
            aw_buf_u8(&p, (uint8_t)nl);
            aw_buf_put(&p, pr->ns, nl);
            aw_buf_u8(&p, (uint8_t)sl);
            aw_buf_put(&p, pr->set, sl);
        }
    }
    aw_buf b;
    aw_buf_init(&b);
    size_t at = aw_admin_begin(&b, AW_ADMIN_CREATE_ROLE, n_privileges ? 2 : 1);
    aw_admin_field_str(&b, AW_AFIELD_ROLE, role);
    if (n_privileges)
        aw_admin_field(&b, AW_AFIELD_PRIVILEGES, p.data, p.len);
    aw_admin_end(&b, at);
    bool ok = aw_buf_ok(&p);
    aw_buf_free(&p);
    if (!ok) {
        aw_buf_free(&b);
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for an admin request");
    }
    return simple(client, policy, &b, err);
}

/* --- Queries -------------------------------------------------------------------- */

typedef struct list_ctx {
    void *items;
    size_t n, cap, size;
} list_ctx;

static void *list_add(list_ctx *l) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        void *p = aw_realloc(l->items, cap * l->size);
        if (!p)
            return NULL;
        l->items = p;
        l->cap = cap;
    }
    void *it = (char *)l->items + l->n++ * l->size;
    memset(it, 0, l->size);
    return it;
}

static void copy_name(char out[AW_ADMIN_NAME_SIZE], const uint8_t *p, size_t len) {
    if (len >= AW_ADMIN_NAME_SIZE)
        len = AW_ADMIN_NAME_SIZE - 1;
    memcpy(out, p, len);
    out[len] = 0;
}

static int bad_list(const char *what, aw_error *err) {
    return aw_error_set(err, AW_ERR_PROTO, "malformed %s list in the admin reply", what);
}

static int user_block(const aw_admin_view *v, void *ctx, aw_error *err) {
    list_ctx *l = ctx;
    aw_user_info *u = list_add(l);
    if (!u)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the user list");
    size_t off = 0, len;
    uint8_t id;
    const uint8_t *d;
    while (aw_admin_next_field(v, &off, &id, &d, &len)) {
        if (id == AW_AFIELD_USER) {
            copy_name(u->name, d, len);
        } else if (id == AW_AFIELD_CONNECTIONS && len == 4) {
            u->conns_in_use = aw_load_u32be(d);
        } else if (id == AW_AFIELD_ROLES) {
            size_t n;
            if (!aw_admin_list_count(d, len, &n))
                return bad_list("role", err);
            aw_free(u->roles);
            u->roles = n ? aw_calloc(n, sizeof *u->roles) : NULL;
            if (n && !u->roles)
                return aw_error_set(err, AW_ERR_NOMEM, "no memory for the user list");
            u->n_roles = n;
            for (size_t i = 0; i < n; i++) {
                const uint8_t *it;
                size_t il;
                aw_admin_list_item(d, len, i, &it, &il);
                copy_name(u->roles[i], it, il);
            }
        }
    }
    return AW_OK;
}

/* A PRIVILEGES field into r->privileges; false when malformed. */
static bool parse_privileges(const uint8_t *d, size_t len, aw_role_info *r) {
    if (len < 1)
        return false;
    size_t n = d[0], off = 1;
    r->privileges = n ? aw_calloc(n, sizeof *r->privileges) : NULL;
    if (n && !r->privileges)
        return false;
    r->n_privileges = n;
    for (size_t i = 0; i < n; i++) {
        if (off >= len)
            return false;
        aw_privilege *p = &r->privileges[i];
        p->code = (aw_privilege_code)d[off++];
        if (p->code < AW_PRIVILEGE_READ)
            continue;
        for (int k = 0; k < 2; k++) {
            if (off >= len || d[off] > len - off - 1)
                return false;
            copy_name(k ? p->set : p->ns, d + off + 1, d[off]);
            off += 1 + d[off];
        }
    }
    return true;
}

static int role_block(const aw_admin_view *v, void *ctx, aw_error *err) {
    list_ctx *l = ctx;
    aw_role_info *r = list_add(l);
    if (!r)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the role list");
    size_t off = 0, len;
    uint8_t id;
    const uint8_t *d;
    while (aw_admin_next_field(v, &off, &id, &d, &len)) {
        if (id == AW_AFIELD_ROLE) {
            copy_name(r->name, d, len);
        } else if (id == AW_AFIELD_PRIVILEGES) {
            aw_free(r->privileges);
            r->privileges = NULL;
            r->n_privileges = 0;
            if (!parse_privileges(d, len, r))
                return bad_list("privilege", err);
        }
    }
    return AW_OK;
}

void aw_users_free(aw_user_info *users, size_t n_users) {
    for (size_t i = 0; users && i < n_users; i++)
        aw_free(users[i].roles);
    aw_free(users);
}

void aw_roles_free(aw_role_info *roles, size_t n_roles) {
    for (size_t i = 0; roles && i < n_roles; i++)
        aw_free(roles[i].privileges);
    aw_free(roles);
}

/* QUERY_USERS / QUERY_ROLES: an optional name field, then the reply's
 * blocks into a list of `size`-byte items (freed with free_list on failure). */
static int query_list(aw_client *client, const aw_policy *policy, uint8_t cmd, uint8_t field,
                      const char *name, const char *what, block_fn each, size_t size,
                      void (*free_list)(void *, size_t), void **out, size_t *n, aw_error *err) {
    if (!client || !out || !n)
        return aw_error_set(err, AW_ERR_PARAM, "query of %ss: an argument is NULL", what);
    *out = NULL;
    *n = 0;
    if (name)
        CHECK(check_name(name, what, err));
    aw_buf b;
    aw_buf_init(&b);
    size_t at = aw_admin_begin(&b, cmd, name ? 1 : 0);
    if (name)
        aw_admin_field_str(&b, field, name);
    aw_admin_end(&b, at);
    list_ctx l = {.size = size};
    int rc = execute(client, policy, &b, each, &l, err);
    aw_buf_free(&b);
    if (rc != AW_OK) {
        free_list(l.items, l.n);
        return rc;
    }
    *out = l.items;
    *n = l.n;
    return AW_OK;
}

static void free_users(void *p, size_t n) { aw_users_free(p, n); }
static void free_roles(void *p, size_t n) { aw_roles_free(p, n); }

int aw_query_users(aw_client *client, const aw_policy *policy, const char *user,
                   aw_user_info **users, size_t *n_users, aw_error *err) {
    return query_list(client, policy, AW_ADMIN_QUERY_USERS, AW_AFIELD_USER, user, "user",
                      user_block, sizeof(aw_user_info), free_users, (void **)users, n_users, err);
}

int aw_query_roles(aw_client *client, const aw_policy *policy, const char *role,
                   aw_role_info **roles, size_t *n_roles, aw_error *err) {
    return query_list(client, policy, AW_ADMIN_QUERY_ROLES, AW_AFIELD_ROLE, role, "role",
                      role_block, sizeof(aw_role_info), free_roles, (void **)roles, n_roles, err);
}
