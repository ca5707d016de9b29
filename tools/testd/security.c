/* aw-testd's users, roles, sessions and admin commands: see security.h. */
#include "security.h"

#include <stdio.h>
#include <string.h>

#include "proto/admin.h"
#include "proto/frame.h"
#include "proto/mem.h"

#define DEFAULT_TOKEN_TTL 86400u /* the server's session-ttl default */
#define MAX_PRIVS 32
#define MAX_ROLES 32
#define NAME 64

typedef struct td_priv {
    uint8_t code;
    char ns[NAME], set[NAME];
} td_priv;

typedef struct td_role {
    char name[NAME];
    td_priv privs[MAX_PRIVS];
    size_t n_privs;
    bool predefined;
} td_role;

typedef struct td_user {
    char name[NAME];
    char hash[AW_PASSWORD_HASH_LEN + 1];
    char roles[MAX_ROLES][NAME];
    size_t n_roles;
    bool password_expired;
} td_user;

typedef struct td_session {
    char token[48];
    char user[NAME];
    uint32_t expires;
} td_session;

struct td_security {
    uint32_t ttl;
    uint64_t epoch;               /* bumped by end-sessions: older logins are void */
    uint64_t next_token;
    td_user *users;
    size_t n_users, cap_users;
    td_role *roles;
    size_t n_roles, cap_roles;
    td_session *sessions;
    size_t n_sessions, cap_sessions;
};

/* --- Tables ---------------------------------------------------------------------- */

static bool grow(void **items, size_t *cap, size_t n, size_t size) {
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = aw_realloc(*items, c * size);
    if (!p)
        return false;
    *items = p;
    *cap = c;
    return true;
}

static td_user *find_user(td_security *s, const char *name) {
    for (size_t i = 0; i < s->n_users; i++)
        if (strcmp(s->users[i].name, name) == 0)
            return &s->users[i];
    return NULL;
}

static td_role *find_role(td_security *s, const char *name) {
    for (size_t i = 0; i < s->n_roles; i++)
        if (strcmp(s->roles[i].name, name) == 0)
            return &s->roles[i];
    return NULL;
}

static td_role *add_role(td_security *s, const char *name) {
    if (!grow((void **)&s->roles, &s->cap_roles, s->n_roles, sizeof *s->roles))
        return NULL;
    td_role *r = &s->roles[s->n_roles++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    return r;
}

static td_user *add_user(td_security *s, const char *name, const char *hash) {
    if (!grow((void **)&s->users, &s->cap_users, s->n_users, sizeof *s->users))
        return NULL;
    td_user *u = &s->users[s->n_users++];
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    snprintf(u->hash, sizeof u->hash, "%s", hash);
    return u;
}

/* The server's predefined roles, each one global privilege; superuser all. */
static const struct {
    const char *name;
    uint8_t code;
} PREDEFINED[] = {
    {"user-admin", AW_PRIV_USER_ADMIN},    {"sys-admin", AW_PRIV_SYS_ADMIN},
    {"data-admin", AW_PRIV_DATA_ADMIN},    {"udf-admin", AW_PRIV_UDF_ADMIN},
    {"sindex-admin", AW_PRIV_SINDEX_ADMIN}, {"read", AW_PRIV_READ},
    {"read-write", AW_PRIV_READ_WRITE},    {"read-write-udf", AW_PRIV_READ_WRITE_UDF},
    {"write", AW_PRIV_WRITE},              {"truncate", AW_PRIV_TRUNCATE},
};

td_security *td_security_new(uint32_t token_ttl_s) {
    td_security *s = aw_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ttl = token_ttl_s ? token_ttl_s : DEFAULT_TOKEN_TTL;
    s->epoch = 1;
    char hash[AW_PASSWORD_HASH_LEN + 1];
    bool ok = aw_password_hash("admin", hash, NULL) == AW_OK;
    for (size_t i = 0; ok && i < sizeof PREDEFINED / sizeof *PREDEFINED; i++) {
        td_role *r = add_role(s, PREDEFINED[i].name);
        ok = r != NULL;
        if (ok) {
            r->privs[0].code = PREDEFINED[i].code;
            r->n_privs = 1;
            r->predefined = true;
        }
    }
    td_role *su = ok ? add_role(s, "superuser") : NULL;
    if (su) {
        static const uint8_t all[] = {AW_PRIV_READ_WRITE_UDF, AW_PRIV_SYS_ADMIN,
                                      AW_PRIV_USER_ADMIN, AW_PRIV_DATA_ADMIN};
        for (size_t i = 0; i < sizeof all; i++)
            su->privs[su->n_privs++].code = all[i];
        su->predefined = true;
    }
    td_user *admin = su ? add_user(s, "admin", hash) : NULL;
    if (!admin) {
        td_security_free(s);
        return NULL;
    }
    snprintf(admin->roles[0], NAME, "user-admin");
    admin->n_roles = 1;
    return s;
}

void td_security_free(td_security *s) {
    if (!s)
        return;
    aw_free(s->users);
    aw_free(s->roles);
    aw_free(s->sessions);
    aw_free(s);
}

/* --- Privileges --------------------------------------------------------------- */

static bool grants(uint8_t code, int need) {
    switch (need) {
    case TD_NEED_READ:
        return code == AW_PRIV_READ || code == AW_PRIV_READ_WRITE ||
               code == AW_PRIV_READ_WRITE_UDF;
    case TD_NEED_WRITE:
        return code == AW_PRIV_READ_WRITE || code == AW_PRIV_READ_WRITE_UDF ||
               code == AW_PRIV_WRITE;
    default:
        return code == AW_PRIV_USER_ADMIN;
    }
}

static bool in_scope(const td_priv *p, const char *ns, const char *set) {
    if (!p->ns[0])
        return true;
    if (!ns || strcmp(p->ns, ns) != 0)
        return false;
    return !p->set[0] || (set && strcmp(p->set, set) == 0);
}

static bool user_may(td_security *s, const td_user *u, int need, const char *ns,
                     const char *set) {
    for (size_t i = 0; i < u->n_roles; i++) {
        const td_role *r = find_role(s, u->roles[i]);
        for (size_t k = 0; r && k < r->n_privs; k++)
            if (grants(r->privs[k].code, need) && in_scope(&r->privs[k], ns, set))
                return true;
    }
    return false;
}

/* The connection's user while its login holds, else NULL. */
static td_user *conn_user(td_security *s, td_sec_conn *c, const td_store *clock) {
    if (!c->user[0])
        return NULL;
    if (c->epoch != s->epoch || (c->expires && td_store_now(clock) >= c->expires)) {
        c->user[0] = 0;
        return NULL;
    }
    td_user *u = find_user(s, c->user);
    if (!u)
        c->user[0] = 0; /* dropped meanwhile */
    return u;
}

int td_security_check(td_security *s, td_sec_conn *c, const td_store *clock, int need,
                      const char *ns, const char *set) {
    td_user *u = conn_user(s, c, clock);
    if (!u)
        return AW_NOT_AUTHENTICATED;
    if (need == 0)
        return AW_OK; /* info: a login is enough */
    return user_may(s, u, need, ns, set) ? AW_OK : AW_ROLE_VIOLATION;
}

/* --- Admin messages ------------------------------------------------------------- */

static void reply(aw_buf *out, int code) {
    size_t at = aw_admin_begin_reply(out, (uint8_t)code, 0);
    aw_admin_end(out, at);
}

/* A field as a NUL-terminated name; false when absent or too long. */
static bool field_name(const aw_admin_view *v, uint8_t id, char out[NAME]) {
    const uint8_t *d;
    size_t len;
    if (!aw_admin_find_field(v, id, &d, &len) || len == 0 || len >= NAME)
        return false;
    memcpy(out, d, len);
    out[len] = 0;
    return true;
}

static int login(td_security *s, td_sec_conn *c, const td_store *clock, const aw_admin_view *v,
                 aw_buf *out) {
    char user[NAME], cred[AW_PASSWORD_HASH_LEN + 2];
    /* PKI: no user, no credential; the verified client certificate's
     * Common Name is the user (refused without one). */
    const uint8_t *ud;
    size_t ul;
    bool pki = !aw_admin_find_field(v, AW_AFIELD_USER, &ud, &ul);
    if (pki && !c->cert_user[0])
        return AW_INVALID_CREDENTIAL;
    if (pki)
        snprintf(user, sizeof user, "%s", c->cert_user);
    else if (!field_name(v, AW_AFIELD_USER, user))
        return AW_INVALID_CREDENTIAL;
    td_user *u = find_user(s, user);
    if (!u)
        return AW_INVALID_USER;
    if (!pki) {
        const uint8_t *d;
        size_t len;
        if (!aw_admin_find_field(v, AW_AFIELD_CREDENTIAL, &d, &len) || len >= sizeof cred)
            return AW_INVALID_CREDENTIAL;
        memcpy(cred, d, len);
        cred[len] = 0;
        if (strcmp(cred, u->hash) != 0)
            return AW_INVALID_CREDENTIAL;
        if (u->password_expired)
            return AW_EXPIRED_PASSWORD;
    }
    if (!grow((void **)&s->sessions, &s->cap_sessions, s->n_sessions, sizeof *s->sessions))
        return AW_ERR_SERVER;
    td_session *t = &s->sessions[s->n_sessions++];
    snprintf(t->token, sizeof t->token, "td-token-%llu-%llu", (unsigned long long)s->epoch,
             (unsigned long long)++s->next_token);
    snprintf(t->user, sizeof t->user, "%s", user);
    t->expires = td_store_now(clock) + s->ttl;
    snprintf(c->user, sizeof c->user, "%s", user);
    c->expires = t->expires;
    c->epoch = s->epoch;
    size_t at = aw_admin_begin_reply(out, AW_OK, 2);
    aw_admin_field_str(out, AW_AFIELD_SESSION_TOKEN, t->token);
    aw_admin_field_u32(out, AW_AFIELD_SESSION_TTL, s->ttl);
    aw_admin_end(out, at);
    return -1; /* replied */
}

static int authenticate(td_security *s, td_sec_conn *c, const td_store *clock,
                        const aw_admin_view *v) {
    const uint8_t *d;
    size_t len;
    char user[NAME];
    /* A PKI session's token comes alone: the token names its user. */
    bool pki = !aw_admin_find_field(v, AW_AFIELD_USER, &d, &len);
    if (!aw_admin_find_field(v, AW_AFIELD_SESSION_TOKEN, &d, &len) ||
        (!pki && !field_name(v, AW_AFIELD_USER, user)))
        return AW_INVALID_CREDENTIAL;
    for (size_t i = 0; i < s->n_sessions; i++) {
        td_session *t = &s->sessions[i];
        if (strlen(t->token) != len || memcmp(t->token, d, len) != 0)
            continue;
        if (pki)
            snprintf(user, sizeof user, "%s", t->user);
        if (strcmp(t->user, user) != 0 || !find_user(s, user))
            return AW_INVALID_CREDENTIAL;
        if (td_store_now(clock) >= t->expires)
            return AW_EXPIRED_SESSION;
        snprintf(c->user, sizeof c->user, "%s", user);
        c->expires = t->expires;
        c->epoch = s->epoch;
        return AW_OK;
    }
    return AW_INVALID_CREDENTIAL; /* unknown, or ended by end-sessions */
}

/* The ROLES field into names; false when malformed. Each must exist. */
static int read_roles(td_security *s, const aw_admin_view *v, char (*names)[NAME], size_t *n) {
    const uint8_t *d;
    size_t len, count;
    if (!aw_admin_find_field(v, AW_AFIELD_ROLES, &d, &len))
        return (*n = 0), AW_OK;
    if (!aw_admin_list_count(d, len, &count) || count > MAX_ROLES)
        return AW_INVALID_FIELD;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *it;
        size_t il;
        aw_admin_list_item(d, len, i, &it, &il);
        if (il == 0 || il >= NAME)
            return AW_INVALID_ROLE;
        memcpy(names[i], it, il);
        names[i][il] = 0;
        if (!find_role(s, names[i]))
            return AW_INVALID_ROLE;
    }
    *n = count;
    return AW_OK;
}

static bool has_role(const td_user *u, const char *role) {
    for (size_t i = 0; i < u->n_roles; i++)
        if (strcmp(u->roles[i], role) == 0)
            return true;
    return false;
}

static int set_hash(const aw_admin_view *v, uint8_t id, char out[AW_PASSWORD_HASH_LEN + 1]) {
    const uint8_t *d;
    size_t len;
    if (!aw_admin_find_field(v, id, &d, &len) || len == 0 || len > AW_PASSWORD_HASH_LEN)
        return AW_INVALID_PASSWORD;
    memcpy(out, d, len);
    out[len] = 0;
    return AW_OK;
}

static int user_cmd(td_security *s, const aw_admin_view *v, const char *self) {
    char name[NAME], roles[MAX_ROLES][NAME];
    size_t n_roles = 0;
    if (!field_name(v, AW_AFIELD_USER, name))
        return AW_INVALID_USER;
    td_user *u = find_user(s, name);
    int rc;
    switch (v->command) {
    case AW_ADMIN_CREATE_USER: {
        char hash[AW_PASSWORD_HASH_LEN + 1];
        if (u)
            return AW_USER_ALREADY_EXISTS;
        if ((rc = set_hash(v, AW_AFIELD_PASSWORD, hash)) != AW_OK ||
            (rc = read_roles(s, v, roles, &n_roles)) != AW_OK)
            return rc;
        if (!(u = add_user(s, name, hash)))
            return AW_ERR_SERVER;
        memcpy(u->roles, roles, n_roles * NAME);
        u->n_roles = n_roles;
        return AW_OK;
    }
    case AW_ADMIN_DROP_USER:
        if (!u)
            return AW_INVALID_USER;
        *u = s->users[--s->n_users];
        return AW_OK;
    case AW_ADMIN_SET_PASSWORD:
        if (!u)
            return AW_INVALID_USER;
        if ((rc = set_hash(v, AW_AFIELD_PASSWORD, u->hash)) == AW_OK)
            u->password_expired = false;
        return rc;
    case AW_ADMIN_CHANGE_PASSWORD: {
        char old[AW_PASSWORD_HASH_LEN + 1];
        if (!u)
            return AW_INVALID_USER;
        (void)self;
        if (set_hash(v, AW_AFIELD_OLD_PASSWORD, old) != AW_OK || strcmp(old, u->hash) != 0)
            return AW_INVALID_CREDENTIAL;
        if ((rc = set_hash(v, AW_AFIELD_PASSWORD, u->hash)) == AW_OK)
            u->password_expired = false;
        return rc;
    }
    case AW_ADMIN_GRANT_ROLES:
    case AW_ADMIN_REVOKE_ROLES:
        if (!u)
            return AW_INVALID_USER;
        if ((rc = read_roles(s, v, roles, &n_roles)) != AW_OK)
            return rc;
        for (size_t i = 0; i < n_roles; i++) {
            bool has = has_role(u, roles[i]);
            if (v->command == AW_ADMIN_GRANT_ROLES && !has && u->n_roles < MAX_ROLES) {
                memcpy(u->roles[u->n_roles++], roles[i], NAME);
            } else if (v->command == AW_ADMIN_REVOKE_ROLES && has) {
                for (size_t k = 0; k < u->n_roles; k++)
                    if (strcmp(u->roles[k], roles[i]) == 0)
                        memcpy(u->roles[k], u->roles[--u->n_roles], NAME);
            }
        }
        return AW_OK;
    }
    return AW_INVALID_COMMAND;
}

/* PRIVILEGES: u8 count; each u8 code, then for data privileges the
 * length-prefixed namespace and set. */
static int read_privs(const uint8_t *d, size_t len, td_role *r) {
    if (len < 1 || d[0] > MAX_PRIVS)
        return AW_INVALID_PRIVILEGE;
    size_t off = 1;
    r->n_privs = d[0];
    for (size_t i = 0; i < r->n_privs; i++) {
        if (off >= len)
            return AW_INVALID_PRIVILEGE;
        td_priv *p = &r->privs[i];
        memset(p, 0, sizeof *p);
        p->code = d[off++];
        if (p->code > AW_PRIV_TRUNCATE || (p->code > AW_PRIV_SINDEX_ADMIN && p->code < AW_PRIV_READ))
            return AW_INVALID_PRIVILEGE;
        if (p->code < AW_PRIV_READ)
            continue;
        for (int k = 0; k < 2; k++) {
            if (off >= len || d[off] >= NAME || d[off] > len - off - 1)
                return AW_INVALID_PRIVILEGE;
            memcpy(k ? p->set : p->ns, d + off + 1, d[off]);
            off += 1 + d[off];
        }
    }
    return AW_OK;
}

static int role_cmd(td_security *s, const aw_admin_view *v) {
    char name[NAME];
    if (!field_name(v, AW_AFIELD_ROLE, name))
        return AW_INVALID_ROLE;
    td_role *r = find_role(s, name);
    if (v->command == AW_ADMIN_DROP_ROLE) {
        if (!r || r->predefined)
            return AW_INVALID_ROLE;
        *r = s->roles[--s->n_roles];
        return AW_OK;
    }
    if (r)
        return AW_ROLE_ALREADY_EXISTS;
    td_role tmp;
    memset(&tmp, 0, sizeof tmp);
    const uint8_t *d;
    size_t len;
    if (aw_admin_find_field(v, AW_AFIELD_PRIVILEGES, &d, &len)) {
        int rc = read_privs(d, len, &tmp);
        if (rc != AW_OK)
            return rc;
    }
    if (!(r = add_role(s, name)))
        return AW_ERR_SERVER;
    memcpy(r->privs, tmp.privs, sizeof tmp.privs);
    r->n_privs = tmp.n_privs;
    return AW_OK;
}

/* A query reply's record block (no proto header: blocks share a frame):
 * header with two fields, the first the name. */
static void record_block(aw_buf *out, uint8_t name_field, const char *name) {
    uint8_t *h = aw_buf_grow(out, AW_ADMIN_HEADER_SIZE);
    if (h) {
        memset(h, 0, AW_ADMIN_HEADER_SIZE);
        h[3] = 2;
    }
    aw_admin_field_str(out, name_field, name);
}

/* One record block per user, then the QUERY_END block. */
static int query_users(td_security *s, const aw_admin_view *v, aw_buf *out) {
    char name[NAME];
    bool one = field_name(v, AW_AFIELD_USER, name);
    if (one && !find_user(s, name))
        return AW_INVALID_USER;
    size_t at = aw_proto_header_begin(out);
    for (size_t i = 0; i < s->n_users; i++) {
        td_user *u = &s->users[i];
        if (one && strcmp(u->name, name) != 0)
            continue;
        const char *roles[MAX_ROLES];
        for (size_t k = 0; k < u->n_roles; k++)
            roles[k] = u->roles[k];
        record_block(out, AW_AFIELD_USER, u->name);
        aw_admin_field_roles(out, roles, u->n_roles);
    }
    aw_proto_header_patch(out, at, AW_PROTO_ADMIN);
    reply(out, AW_QUERY_END);
    return -1;
}

static int query_roles(td_security *s, const aw_admin_view *v, aw_buf *out) {
    char name[NAME];
    bool one = field_name(v, AW_AFIELD_ROLE, name);
    if (one && !find_role(s, name))
        return AW_INVALID_ROLE;
    size_t at = aw_proto_header_begin(out);
    for (size_t i = 0; i < s->n_roles; i++) {
        td_role *r = &s->roles[i];
        if (one && strcmp(r->name, name) != 0)
            continue;
        record_block(out, AW_AFIELD_ROLE, r->name);
        aw_buf p;
        aw_buf_init(&p);
        aw_buf_u8(&p, (uint8_t)r->n_privs);
        for (size_t k = 0; k < r->n_privs; k++) {
            const td_priv *pr = &r->privs[k];
            aw_buf_u8(&p, pr->code);
            if (pr->code >= AW_PRIV_READ) {
                aw_buf_u8(&p, (uint8_t)strlen(pr->ns));
                aw_buf_put(&p, pr->ns, strlen(pr->ns));
                aw_buf_u8(&p, (uint8_t)strlen(pr->set));
                aw_buf_put(&p, pr->set, strlen(pr->set));
            }
        }
        aw_admin_field(out, AW_AFIELD_PRIVILEGES, p.data, p.len);
        aw_buf_free(&p);
    }
    aw_proto_header_patch(out, at, AW_PROTO_ADMIN);
    reply(out, AW_QUERY_END);
    return -1;
}

static int admin_cmd(td_security *s, td_sec_conn *c, const td_store *clock,
                     const aw_admin_view *v, aw_buf *out) {
    if (v->command == AW_ADMIN_LOGIN)
        return login(s, c, clock, v, out);
    if (v->command == AW_ADMIN_AUTHENTICATE)
        return authenticate(s, c, clock, v);
    td_user *me = conn_user(s, c, clock);
    if (!me)
        return AW_NOT_AUTHENTICATED;
    bool admin = user_may(s, me, TD_NEED_USER_ADMIN, NULL, NULL);
    char target[NAME] = "";
    field_name(v, AW_AFIELD_USER, target);
    bool self = strcmp(target, me->name) == 0;
    switch (v->command) {
    case AW_ADMIN_CHANGE_PASSWORD:
        return self || admin ? user_cmd(s, v, me->name) : AW_ROLE_VIOLATION;
    case AW_ADMIN_CREATE_USER:
    case AW_ADMIN_DROP_USER:
    case AW_ADMIN_SET_PASSWORD:
    case AW_ADMIN_GRANT_ROLES:
    case AW_ADMIN_REVOKE_ROLES:
        return admin ? user_cmd(s, v, me->name) : AW_ROLE_VIOLATION;
    case AW_ADMIN_QUERY_USERS:
        return admin || (target[0] && self) ? query_users(s, v, out) : AW_ROLE_VIOLATION;
    case AW_ADMIN_CREATE_ROLE:
    case AW_ADMIN_DROP_ROLE:
        return admin ? role_cmd(s, v) : AW_ROLE_VIOLATION;
    case AW_ADMIN_QUERY_ROLES:
        return admin ? query_roles(s, v, out) : AW_ROLE_VIOLATION;
    default:
        return AW_INVALID_COMMAND;
    }
}

void td_security_admin(td_security *s, td_sec_conn *c, const td_store *clock,
                       const uint8_t *body, size_t len, aw_buf *out) {
    aw_admin_view v;
    if (aw_admin_parse(body, len, &v, NULL, NULL) != AW_OK) {
        reply(out, AW_INVALID_FIELD);
        return;
    }
    size_t mark = out->len;
    int rc = admin_cmd(s, c, clock, &v, out);
    if (rc >= 0) {
        out->len = mark; /* a refusal replaces whatever was started */
        reply(out, rc);
    }
}

void td_security_control(td_security *s, const char *cmd, size_t len, aw_buf *out) {
    const char *ok = "ok";
    const char *arg = memchr(cmd, ':', len);
    size_t alen = arg ? (size_t)(cmd + len - arg - 1) : 0;
    static const char EXPIRE[] = "expire-password=", END[] = "end-sessions=1";
    if (arg && alen > sizeof EXPIRE - 1 && memcmp(arg + 1, EXPIRE, sizeof EXPIRE - 1) == 0) {
        char name[NAME];
        size_t nl = alen - (sizeof EXPIRE - 1);
        td_user *u = NULL;
        if (nl < NAME) {
            memcpy(name, arg + 1 + sizeof EXPIRE - 1, nl);
            name[nl] = 0;
            u = find_user(s, name);
        }
        if (u)
            u->password_expired = true;
        else
            ok = "ERROR:60:no such user";
    } else if (arg && alen == sizeof END - 1 && memcmp(arg + 1, END, alen) == 0) {
        s->epoch++;
        s->n_sessions = 0;
    } else {
        ok = "ERROR:4:testd-security:expire-password=USER or end-sessions=1";
    }
    aw_buf_put(out, ok, strlen(ok));
}

void td_security_refuse_info(const uint8_t *body, size_t len, aw_buf *out) {
    static const char ERR[] = "\tERROR:80:not authenticated\n";
    size_t at = aw_proto_header_begin(out);
    size_t i = 0;
    while (i < len) {
        const uint8_t *nl = memchr(body + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - body) : len;
        if (end > i) {
            aw_buf_put(out, body + i, end - i);
            aw_buf_put(out, ERR, sizeof ERR - 1);
        }
        i = end + 1;
    }
    aw_proto_header_patch(out, at, AW_PROTO_INFO);
}
