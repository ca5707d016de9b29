/*
 * Authentication and user administration (docs/security.md).
 *
 * Bytes checked against references:
 *  - the password hash: bcrypt with the official clients' fixed salt
 *    "$2a$10$7EqJtq98hPqEX7fNZaFWoO" (as_password.c BCRYPT_SALT). The
 *    expected strings below were computed with the official C client's own
 *    crypt_blowfish.c (_crypt_blowfish_rn, as as_password_gen_constant_hash
 *    calls it), not with libxcrypt, which aerowire uses.
 *  - LOGIN for admin/admin: the frame in wire-protocol.md §12, laid out as
 *    as_cluster_login writes it (16-byte header, command 20, USER then
 *    CREDENTIAL, each u32 BE size = data + 1, u8 id).
 *  - AUTHENTICATE and the ROLES field: derived by hand from as_authenticate
 *    (command 0, USER, SESSION_TOKEN; PKI only the token) and
 *    as_admin_write_roles (u8 count, then u8 length + name).
 * No Enterprise server was available: what the server side does is checked
 * against aw-testd --security, which follows the same section. A Community
 * server has no security: under AEROSPIKE_HOSTS one test only checks that it
 * answers our LOGIN frame with a well-formed admin reply carrying 51
 * (SECURITY_NOT_SUPPORTED), which the client reports as such.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/event.h>

#include "aerowire/aerowire.h"
#include "proto/admin.h"
#include "proto/buf.h"
#include "support/awrun.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

#define SALT "$2a$10$7EqJtq98hPqEX7fNZaFWoO"

/* --- Codec --------------------------------------------------------------------- */

static void test_password_hash_matches_official_bcrypt(void **state) {
    (void)state;
    static const char *const pw[] = {"admin", "", "aw-Secret_1", "new-pass-2"};
    static const char *const want[] = {
        SALT "1mVO/4MLpGzsqojz6E9Gef6iXDjXdDa",
        SALT "LCkFexA7A9eoJ0Ew.mTDdk.E60D.9zS",
        SALT "ljvUXG7BTOUOLtp9OGTUhNMMzyDNUI2",
        SALT "SnRreMgWWsZWx5wK3.rGEK/vRn.PcFK",
    };
    for (size_t i = 0; i < 4; i++) {
        char h[AW_PASSWORD_HASH_LEN + 1];
        aw_error e;
        assert_int_equal(aw_password_hash(pw[i], h, &e), AW_OK);
        assert_string_equal(h, want[i]);
    }
}

static void test_login_frame_bytes(void **state) {
    (void)state;
    aw_buf b;
    aw_buf_init(&b);
    aw_login_encode(&b, AW_LOGIN_INTERNAL, "admin", SALT "1mVO/4MLpGzsqojz6E9Gef6iXDjXdDa", NULL);
    static const uint8_t head[] = {0x02, 0x02, 0, 0, 0, 0, 0, 0x5b, /* proto: type 2, 91 bytes */
                                   0, 0, 0x14, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 0, 6, 0, 'a', 'd', 'm', 'i', 'n', 0, 0, 0, 0x3d, 3};
    assert_int_equal(b.len, 8 + 91);
    assert_memory_equal(b.data, head, sizeof head);
    assert_memory_equal(b.data + sizeof head, SALT "1mVO/4MLpGzsqojz6E9Gef6iXDjXdDa", 60);
    /* External adds CLEAR_PASSWORD (id 4) as a third field; PKI sends none. */
    aw_buf_reset(&b);
    aw_login_encode(&b, AW_LOGIN_EXTERNAL, "u", "H", "pw");
    static const uint8_t ext[] = {0x02, 0x02, 0, 0, 0, 0, 0, 0x23, 0, 0, 0x14, 3, 0, 0, 0, 0,
                                  0,    0,    0, 0, 0, 0, 0, 0,    0, 0, 0,    2, 0, 'u', 0, 0,
                                  0,    2,    3, 'H', 0, 0, 0, 3, 4, 'p', 'w'};
    assert_int_equal(b.len, sizeof ext);
    assert_memory_equal(b.data, ext, sizeof ext);
    aw_buf_reset(&b);
    aw_login_encode(&b, AW_LOGIN_PKI, NULL, NULL, NULL);
    static const uint8_t pki[] = {0x02, 0x02, 0, 0, 0, 0, 0, 0x10, 0, 0, 0x14, 0,
                                  0,    0,    0, 0, 0, 0, 0, 0,    0, 0, 0,    0};
    assert_int_equal(b.len, sizeof pki);
    assert_memory_equal(b.data, pki, sizeof pki);
    aw_buf_free(&b);
}

static void test_authenticate_and_roles_bytes(void **state) {
    (void)state;
    aw_buf b;
    aw_buf_init(&b);
    aw_authenticate_encode(&b, AW_LOGIN_INTERNAL, "bo", (const uint8_t *)"\x01\x02\x03", 3);
    static const uint8_t auth[] = {0x02, 0x02, 0, 0, 0, 0, 0, 0x1f, 0, 0, 0, 2, 0, 0, 0, 0,
                                   0,    0,    0, 0, 0, 0, 0, 0,    0, 0, 0, 3, 0, 'b', 'o',
                                   0,    0,    0, 4, 5, 1, 2, 3};
    assert_int_equal(b.len, sizeof auth);
    assert_memory_equal(b.data, auth, sizeof auth);
    aw_buf_reset(&b);
    aw_authenticate_encode(&b, AW_LOGIN_PKI, "ignored", (const uint8_t *)"\x09", 1);
    assert_int_equal(b.len, 8 + 16 + 6);
    assert_int_equal(b.data[8 + 3], 1); /* one field: the token */
    assert_int_equal(b.data[8 + 16 + 4], AW_AFIELD_SESSION_TOKEN);
    aw_buf_reset(&b);
    const char *roles[] = {"read", "sys-admin"};
    aw_admin_field_roles(&b, roles, 2);
    static const uint8_t rf[] = {0, 0, 0, 0x11, 10, 2, 4, 'r', 'e', 'a', 'd', 9, 's', 'y', 's',
                                 '-', 'a', 'd', 'm', 'i', 'n'};
    assert_int_equal(b.len, sizeof rf);
    assert_memory_equal(b.data, rf, sizeof rf);
    aw_buf_free(&b);
}

static void test_login_reply_parse(void **state) {
    (void)state;
    aw_buf b;
    aw_buf_init(&b);
    size_t at = aw_admin_begin_reply(&b, 0, 2);
    aw_admin_field_str(&b, AW_AFIELD_SESSION_TOKEN, "tok");
    aw_admin_field_u32(&b, AW_AFIELD_SESSION_TTL, 120);
    aw_admin_end(&b, at);
    const uint8_t *tok;
    size_t tl;
    uint32_t ttl;
    aw_error e;
    assert_int_equal(aw_login_reply_parse(b.data + 8, b.len - 8, &tok, &tl, &ttl, &e), AW_OK);
    assert_int_equal(tl, 3);
    assert_memory_equal(tok, "tok", 3);
    assert_int_equal(ttl, 120);
    /* A field claiming more bytes than the message holds. */
    b.data[8 + 16 + 3] = 0x40;
    assert_int_equal(aw_login_reply_parse(b.data + 8, b.len - 8, &tok, &tl, &ttl, &e),
                     AW_ERR_PROTO);
    /* A refusal is the server's code. */
    aw_buf_reset(&b);
    at = aw_admin_begin_reply(&b, AW_INVALID_CREDENTIAL, 0);
    aw_admin_end(&b, at);
    assert_int_equal(aw_login_reply_parse(b.data + 8, b.len - 8, &tok, &tl, &ttl, &e),
                     AW_INVALID_CREDENTIAL);
    aw_buf_free(&b);
}

/* --- Against aw-testd --security ---------------------------------------------- */

static tu_testd srv;

static int group_setup(void **state) {
    (void)state;
    static const char *const args[] = {"--security", NULL};
    return tu_testd_start(&srv, args);
}

static int group_teardown(void **state) {
    (void)state;
    return tu_testd_stop_group(&srv);
}

static int connect_as(aw_client **out, const char *user, const char *password,
                      aw_error *err) {
    aw_config cfg = tu_client_config(&srv, 0);
    cfg.user = user;
    cfg.password = password;
    return aw_client_new(out, &cfg, err);
}

static aw_client *client_as(const char *user, const char *password) {
    aw_client *c = NULL;
    aw_error e;
    int rc = connect_as(&c, user, password, &e);
    if (rc != AW_OK)
        fail_msg("connect as %s: %s (%d)", user, e.message, rc);
    return c;
}

/* The admin creates `user` with roles, unless it exists. */
static void ensure_user(const char *user, const char *password, const char *const *roles,
                        size_t n) {
    aw_client *admin = client_as("admin", "admin");
    aw_error e;
    int rc = aw_create_user(admin, NULL, user, password, roles, n, &e);
    if (rc != AW_OK && rc != AW_USER_ALREADY_EXISTS)
        fail_msg("create_user %s: %s", user, e.message);
    aw_client_close(admin);
}

static void test_login_refusals(void **state) {
    (void)state;
    aw_client *c = NULL;
    aw_error e;
    assert_int_equal(connect_as(&c, "admin", "wrong", &e), AW_INVALID_CREDENTIAL);
    assert_non_null(strstr(e.message, "INVALID_CREDENTIAL"));
    assert_int_equal(connect_as(&c, "nobody", "x", &e), AW_INVALID_USER);
    /* No login at all: the server answers even the tend's info with 80. */
    assert_int_equal(connect_as(&c, NULL, NULL, &e), AW_NOT_AUTHENTICATED);
    /* A password the administrator expired. */
    static const char *const rw[] = {"read-write"};
    ensure_user("expiring", "old-pass", rw, 1);
    char *r = tu_testd_send(&srv, 0, "testd-security:expire-password=expiring");
    assert_non_null(r);
    free(r);
    assert_int_equal(connect_as(&c, "expiring", "old-pass", &e), AW_EXPIRED_PASSWORD);
    /* External and PKI refuse to run without TLS, before any connection. */
    aw_config cfg = tu_client_config(&srv, 0);
    cfg.user = "u";
    cfg.password = "p";
    cfg.auth_mode = AW_AUTH_EXTERNAL;
    assert_int_equal(aw_client_new(&c, &cfg, &e), AW_ERR_PARAM);
    assert_non_null(strstr(e.message, "TLS"));
    cfg.auth_mode = AW_AUTH_PKI;
    assert_int_equal(aw_client_new(&c, &cfg, &e), AW_ERR_PARAM);
    assert_non_null(strstr(e.message, "TLS"));
    /* Names past the official clients' limit. */
    char longname[80];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(connect_as(&c, longname, "p", &e), AW_ERR_PARAM);
}

static void put_get(aw_client *c, const char *set, const char *name, int *put_rc, int *get_rc) {
    aw_key k = tu_key("test", set, name);
    aw_bin bin = {.name = "v", .value = aw_value_int(7)};
    aw_error e;
    *put_rc = aw_put(c, NULL, &k, &bin, 1, &e);
    aw_record rec;
    memset(&rec, 0, sizeof rec);
    *get_rc = aw_get(c, NULL, &k, NULL, 0, &rec, &e);
    aw_record_free(&rec);
}

static void test_sync_roles(void **state) {
    (void)state;
    static const char *const rw[] = {"read-write"}, *const r[] = {"read"};
    ensure_user("rw-user", "rw-pass", rw, 1);
    ensure_user("r-user", "r-pass", r, 1);
    int p, g;
    aw_client *c = client_as("rw-user", "rw-pass");
    put_get(c, "auth", "k1", &p, &g);
    assert_int_equal(p, AW_OK);
    assert_int_equal(g, AW_OK);
    aw_client_close(c);
    c = client_as("r-user", "r-pass");
    put_get(c, "auth", "k1", &p, &g);
    assert_int_equal(p, AW_ROLE_VIOLATION);
    assert_int_equal(g, AW_OK);
    aw_client_close(c);
    /* The default admin holds user-admin only, as on the server. */
    c = client_as("admin", "admin");
    put_get(c, "auth", "k1", &p, &g);
    assert_int_equal(p, AW_ROLE_VIOLATION);
    assert_int_equal(g, AW_ROLE_VIOLATION);
    aw_client_close(c);
}

static void on_status(const aw_error *err, void *udata) {
    int *slot = udata;
    slot[0] = err ? err->code : AW_OK;
    slot[1]--;
}

static void on_record(const aw_error *err, aw_record *rec, void *udata) {
    (void)rec;
    int *slot = udata;
    slot[0] = err ? err->code : AW_OK;
    slot[1]--;
}

/* An async put then get on loop; their codes. */
static void loop_put_get(struct event_base *base, aw_loop *loop, const char *name, int *put_rc,
                         int *get_rc) {
    aw_key k = tu_key("test", "auth", name);
    aw_bin bin = {.name = "v", .value = aw_value_int(9)};
    int ps[2] = {-999, 1}, gs[2] = {-999, 1};
    aw_error e;
    assert_int_equal(aw_put_async(loop, NULL, &k, &bin, 1, on_status, ps, &e), AW_OK);
    tu_run_until(base, &ps[1], 5000);
    assert_int_equal(aw_get_async(loop, NULL, &k, NULL, 0, on_record, gs, &e), AW_OK);
    tu_run_until(base, &gs[1], 5000);
    *put_rc = ps[0];
    *get_rc = gs[0];
}

/* The same on a new loop: its connections are new, and log in through the
 * loop (the LOGIN state of conn.c), or the server would answer 80. */
static void async_put_get(aw_client *c, const char *name, int *put_rc, int *get_rc) {
    struct event_base *base;
    aw_loop *loop;
    assert_int_equal(tu_libevent_open(c, &base, &loop), 0);
    loop_put_get(base, loop, name, put_rc, get_rc);
    aw_loop_close(loop);
    event_base_free(base);
}

static void test_async_login(void **state) {
    (void)state;
    static const char *const rw[] = {"read-write"}, *const r[] = {"read"};
    ensure_user("rw-user", "rw-pass", rw, 1);
    ensure_user("r-user", "r-pass", r, 1);
    int p, g;
    aw_client *c = client_as("rw-user", "rw-pass");
    async_put_get(c, "a1", &p, &g);
    assert_int_equal(p, AW_OK);
    assert_int_equal(g, AW_OK);
    aw_client_close(c);
    c = client_as("r-user", "r-pass");
    async_put_get(c, "a1", &p, &g);
    assert_int_equal(p, AW_ROLE_VIOLATION);
    assert_int_equal(g, AW_OK);
    aw_client_close(c);
}

static char last_login_message[AW_ERROR_MSG_SIZE];

static void on_login_failed(const aw_error *err, void *udata) {
    int *slot = udata;
    slot[0] = err ? err->code : AW_OK;
    snprintf(last_login_message, sizeof last_login_message, "%s", err ? err->message : "");
    slot[1]--;
}

static bool count_record(const aw_key *key, aw_record *rec, void *udata) {
    (void)key;
    (void)rec;
    (*(int *)udata)++;
    return true;
}

static void test_batch_and_scan(void **state) {
    (void)state;
    static const char *const rw[] = {"read-write"}, *const w[] = {"write"};
    ensure_user("rw-user", "rw-pass", rw, 1);
    ensure_user("w-user", "w-pass", w, 1);
    aw_client *c = client_as("rw-user", "rw-pass");
    aw_key keys[3];
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "b%d", i);
        keys[i] = tu_key("test", "auth-scan", name);
        aw_bin bin = {.name = "v", .value = aw_value_int(i)};
        aw_error e;
        assert_int_equal(aw_put(c, NULL, &keys[i], &bin, 1, &e), AW_OK);
    }
    aw_batch_result res[3];
    memset(res, 0, sizeof res);
    aw_error e;
    assert_int_equal(aw_batch_get(c, NULL, keys, 3, NULL, 0, false, res, &e), AW_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(res[i].code, AW_OK);
    aw_batch_results_free(res, 3);
    aw_query q = {.ns = "test", .set = "auth-scan"};
    int n = 0;
    assert_int_equal(aw_query_foreach(c, NULL, &q, NULL, count_record, &n, &e), AW_OK);
    assert_int_equal(n, 3);
    aw_client_close(c);
    /* A user who may write but not read: both refused with the server's code
     * (a batch call succeeds, its rows carry the code). */
    c = client_as("w-user", "w-pass");
    memset(res, 0, sizeof res);
    assert_int_equal(aw_batch_get(c, NULL, keys, 3, NULL, 0, false, res, &e), AW_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(res[i].code, AW_ROLE_VIOLATION);
    aw_batch_results_free(res, 3);
    n = 0;
    assert_int_equal(aw_query_foreach(c, NULL, &q, NULL, count_record, &n, &e),
                     AW_ROLE_VIOLATION);
    assert_int_equal(n, 0);
    aw_client_close(c);
}

static void end_sessions(void) { tu_testd_ctl(&srv, 0, "testd-security:end-sessions=1"); }

/* Moves the server's clock past the token TTL (86400 s). */
static void expire_tokens(void) {
    assert_true(tu_testd_clock(srv.ports[0], "advance=90000") != 0);
}

/* The server ends the client's login under open connections (end_login):
 * the next command on a pooled sync connection, then on an event loop's
 * logged-in connection, is answered NOT_AUTHENTICATED; the client drops
 * its token, logs in again on a new connection (its stored token refused
 * first when it is still held: AUTHENTICATE, then LOGIN) and retries once. */
static void check_relogin(void (*end_login)(void), const char *tag) {
    static const char *const rw[] = {"read-write"};
    ensure_user("rw-user", "rw-pass", rw, 1);
    aw_client *c = client_as("rw-user", "rw-pass");
    struct event_base *base;
    aw_loop *loop;
    assert_int_equal(tu_libevent_open(c, &base, &loop), 0);
    int p, g;
    put_get(c, "auth", tag, &p, &g);
    assert_int_equal(p, AW_OK);
    loop_put_get(base, loop, tag, &p, &g);
    assert_int_equal(p, AW_OK);
    for (int async = 0; async < 2; async++) {
        aw_client_stats before = tu_stats(c);
        end_login();
        if (async)
            loop_put_get(base, loop, tag, &p, &g);
        else
            put_get(c, "auth", tag, &p, &g);
        assert_int_equal(p, AW_OK);
        assert_int_equal(g, AW_OK);
        aw_client_stats after = tu_stats(c);
        assert_true(after.conns_opened > before.conns_opened); /* a new, logged-in connection */
    }
    aw_loop_close(loop);
    event_base_free(base);
    aw_client_close(c);
}

/* testd-security:end-sessions voids every token and connection login. */
static void test_session_end_relogin(void **state) {
    (void)state;
    check_relogin(end_sessions, "s1");
}

/* Tokens expire on the server's clock; a new connection's AUTHENTICATE with
 * the old token is refused (EXPIRED_SESSION) and it logs in instead. */
static void test_token_expiry(void **state) {
    (void)state;
    check_relogin(expire_tokens, "t1");
    /* A new loop after expiry: its first connection's token is refused. */
    aw_client *c = client_as("rw-user", "rw-pass");
    int p, g;
    put_get(c, "auth", "t2", &p, &g);
    assert_int_equal(p, AW_OK);
    expire_tokens();
    async_put_get(c, "t2", &p, &g);
    assert_int_equal(p, AW_OK);
    assert_int_equal(g, AW_OK);
    aw_client_close(c);
}

static bool has_role(const aw_user_info *u, const char *role) {
    for (size_t i = 0; i < u->n_roles; i++)
        if (strcmp(u->roles[i], role) == 0)
            return true;
    return false;
}

static const aw_user_info *find_user(const aw_user_info *us, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(us[i].name, name) == 0)
            return &us[i];
    return NULL;
}

static void test_admin_users(void **state) {
    (void)state;
    aw_client *admin = client_as("admin", "admin");
    aw_error e;
    static const char *const r[] = {"read"}, *const wr[] = {"read-write"};
    aw_drop_user(admin, NULL, "carol", &e); /* from an earlier run of this test */
    assert_int_equal(aw_create_user(admin, NULL, "carol", "aw-Secret_1", r, 1, &e), AW_OK);
    assert_int_equal(aw_create_user(admin, NULL, "carol", "x", r, 1, &e), AW_USER_ALREADY_EXISTS);
    static const char *const bogus[] = {"no-such-role"};
    assert_int_equal(aw_create_user(admin, NULL, "dave", "x", bogus, 1, &e), AW_INVALID_ROLE);
    aw_user_info *us;
    size_t n;
    assert_int_equal(aw_query_users(admin, NULL, NULL, &us, &n, &e), AW_OK);
    const aw_user_info *carol = find_user(us, n, "carol");
    assert_non_null(carol);
    assert_true(has_role(carol, "read"));
    assert_non_null(find_user(us, n, "admin"));
    aw_users_free(us, n);
    assert_int_equal(aw_grant_roles(admin, NULL, "carol", wr, 1, &e), AW_OK);
    assert_int_equal(aw_revoke_roles(admin, NULL, "carol", r, 1, &e), AW_OK);
    assert_int_equal(aw_query_users(admin, NULL, "carol", &us, &n, &e), AW_OK);
    assert_int_equal(n, 1);
    assert_true(has_role(&us[0], "read-write"));
    assert_false(has_role(&us[0], "read"));
    aw_users_free(us, n);
    /* carol changes her own password; her client logs in with the new one. */
    aw_client *carol_c = client_as("carol", "aw-Secret_1");
    assert_int_equal(aw_change_password(carol_c, NULL, NULL, "new-pass-2", &e), AW_OK);
    /* carol may not administer users. */
    assert_int_equal(aw_drop_user(carol_c, NULL, "admin", &e), AW_ROLE_VIOLATION);
    aw_client_close(carol_c);
    aw_client *c = NULL;
    assert_int_equal(connect_as(&c, "carol", "aw-Secret_1", &e), AW_INVALID_CREDENTIAL);
    c = client_as("carol", "new-pass-2");
    aw_client_close(c);
    /* The administrator resets it. */
    assert_int_equal(aw_set_password(admin, NULL, "carol", "third", &e), AW_OK);
    c = client_as("carol", "third");
    aw_client_close(c);
    assert_int_equal(aw_drop_user(admin, NULL, "carol", &e), AW_OK);
    assert_int_equal(aw_drop_user(admin, NULL, "carol", &e), AW_INVALID_USER);
    assert_int_equal(connect_as(&c, "carol", "third", &e), AW_INVALID_USER);
    aw_client_close(admin);
}

/* A role scoped to one set: reads there, ROLE_VIOLATION elsewhere. */
static void test_admin_roles(void **state) {
    (void)state;
    aw_client *admin = client_as("admin", "admin");
    aw_error e;
    aw_drop_user(admin, NULL, "scoped", &e);
    aw_drop_role(admin, NULL, "set-reader", &e);
    aw_privilege priv = {.code = AW_PRIVILEGE_READ_WRITE};
    snprintf(priv.ns, sizeof priv.ns, "test");
    snprintf(priv.set, sizeof priv.set, "auth-ok");
    assert_int_equal(aw_create_role(admin, NULL, "set-reader", &priv, 1, &e), AW_OK);
    assert_int_equal(aw_create_role(admin, NULL, "set-reader", &priv, 1, &e),
                     AW_ROLE_ALREADY_EXISTS);
    aw_role_info *rs;
    size_t n;
    assert_int_equal(aw_query_roles(admin, NULL, "set-reader", &rs, &n, &e), AW_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rs[0].name, "set-reader");
    assert_int_equal(rs[0].n_privileges, 1);
    assert_int_equal(rs[0].privileges[0].code, AW_PRIVILEGE_READ_WRITE);
    assert_string_equal(rs[0].privileges[0].ns, "test");
    assert_string_equal(rs[0].privileges[0].set, "auth-ok");
    aw_roles_free(rs, n);
    /* A global privilege with a namespace is the caller's error. */
    aw_privilege bad = {.code = AW_PRIVILEGE_USER_ADMIN};
    snprintf(bad.ns, sizeof bad.ns, "test");
    assert_int_equal(aw_create_role(admin, NULL, "bad", &bad, 1, &e), AW_ERR_PARAM);
    static const char *const roles[] = {"set-reader"};
    assert_int_equal(aw_create_user(admin, NULL, "scoped", "pw", roles, 1, &e), AW_OK);
    aw_client *c = client_as("scoped", "pw");
    int p, g;
    put_get(c, "auth-ok", "r1", &p, &g);
    assert_int_equal(p, AW_OK);
    assert_int_equal(g, AW_OK);
    put_get(c, "auth-other", "r1", &p, &g);
    assert_int_equal(p, AW_ROLE_VIOLATION);
    assert_int_equal(g, AW_ROLE_VIOLATION);
    aw_client_close(c);
    assert_int_equal(aw_drop_role(admin, NULL, "set-reader", &e), AW_OK);
    assert_int_equal(aw_drop_role(admin, NULL, "read", &e), AW_INVALID_ROLE); /* predefined */
    assert_int_equal(aw_drop_user(admin, NULL, "scoped", &e), AW_OK);
    aw_client_close(admin);
}

/* A server that takes the login and never answers: the async connection
 * gives up at the connect timeout, naming the login, and the command ends
 * (no hang, no callback lost). */
static void test_async_login_timeout(void **state) {
    (void)state;
    static const char *const rw[] = {"read-write"};
    ensure_user("rw-user", "rw-pass", rw, 1);
    aw_config cfg = tu_client_config(&srv, 0);
    cfg.user = "rw-user";
    cfg.password = "rw-pass";
    cfg.connect_timeout_ms = 300;
    aw_client *c = tu_client_new(&cfg);
    struct event_base *base;
    aw_loop *loop;
    assert_int_equal(tu_libevent_open(c, &base, &loop), 0);
    tu_testd_fault(&srv, 0, "blackhole=1");
    aw_policy pol = aw_policy_write();
    pol.total_timeout_ms = 0;
    pol.max_retries = 1;
    aw_key k = tu_key("test", "auth", "lt");
    aw_bin bin = {.name = "v", .value = aw_value_int(1)};
    int st[2] = {-999, 1};
    aw_error e;
    uint64_t t0 = tu_now_ms();
    assert_int_equal(aw_put_async(loop, &pol, &k, &bin, 1, on_login_failed, st, &e), AW_OK);
    tu_run_until(base, &st[1], 5000);
    tu_testd_clear_fault(&srv, 0);
    assert_int_equal(st[0], AW_ERR_CONNECTION);
    assert_true(tu_now_ms() - t0 < 3000); /* two attempts of 300 ms, not the socket timeout */
    assert_non_null(strstr(last_login_message, "login to"));
    aw_loop_close(loop);
    event_base_free(base);
    aw_client_close(c);
}

/* A warm-up on a new loop of c: its code and message. */
static int warm_up(aw_client *c, uint32_t n, char *msg, size_t cap) {
    struct event_base *base;
    aw_loop *loop;
    assert_int_equal(tu_libevent_open(c, &base, &loop), 0);
    int st[2] = {-999, 1};
    aw_error e;
    assert_int_equal(aw_loop_warm_up(loop, n, on_login_failed, st, &e), AW_OK);
    tu_run_until(base, &st[1], 5000);
    snprintf(msg, cap, "%s", last_login_message);
    aw_loop_close(loop);
    event_base_free(base);
    return st[0];
}

/* A warm-up's connections are up only once logged in: the warm-up reports
 * a login the server refuses, and one the server hangs up on (a connection
 * with no command yet that closes during its login failed; it is not an
 * idle connection the server let go, or the warm-up would never end). */
static void test_warm_up_waits_for_login(void **state) {
    (void)state;
    static const char *const rw[] = {"read-write"};
    ensure_user("warm-user", "warm-pass", rw, 1);
    aw_config cfg = tu_client_config(&srv, 0);
    cfg.user = "warm-user";
    cfg.password = "warm-pass";
    cfg.async_max_conns_per_node = 4;
    char msg[AW_ERROR_MSG_SIZE];
    aw_client *c = tu_client_new(&cfg);
    assert_int_equal(warm_up(c, 2, msg, sizeof msg), AW_OK);
    /* The server hangs up on every reply: the logins' too. */
    tu_testd_fault(&srv, 0, "drop-after=0");
    int rc = warm_up(c, 2, msg, sizeof msg);
    tu_testd_clear_fault(&srv, 0);
    assert_int_equal(rc, AW_ERR_NO_RESPONSE);
    if (!strstr(msg, "during the login"))
        fail_msg("message '%s' lacks 'during the login'", msg);
    /* The node's token ended and the password expired: the AUTHENTICATE is
     * refused, then the LOGIN, which the warm-up reports. */
    tu_testd_ctl(&srv, 0, "testd-security:expire-password=warm-user");
    end_sessions();
    assert_int_equal(warm_up(c, 2, msg, sizeof msg), AW_EXPIRED_PASSWORD);
    aw_client_close(c);
}

/* --- aw and aw-bench: asbench's -U, -P, --auth ----------------------------------- */

static tu_run run_bench(const char *const *args) {
    static char path[512];
    const char *bin = getenv("AW_BIN");
    snprintf(path, sizeof path, "%s/aw-bench", bin && bin[0] ? bin : "build/bin");
    return tu_run_prog(path, NULL, args);
}

static void test_cli_login_flags(void **state) {
    (void)state;
    static const char *const rw[] = {"read-write"};
    ensure_user("rw-user", "rw-pass", rw, 1);
    const char *hosts = tu_testd_hosts(&srv);
    char hosts_copy[256];
    snprintf(hosts_copy, sizeof hosts_copy, "%s", hosts);
    tu_run r = AW("-h", hosts_copy, "-U", "rw-user", "-Prw-pass", "put", "test", "auth-cli", "k1",
                  "v=5");
    expect_status(r, 0);
    tu_run_free(&r);
    /* A bare -P takes $AW_PASSWORD (a terminal would be asked otherwise). */
    setenv("AW_PASSWORD", "rw-pass", 1);
    r = AW("-h", hosts_copy, "-U", "rw-user", "-P", "--json", "get", "test", "auth-cli", "k1");
    expect_status(r, 0);
    expect_contains(r.out, "\"bins\":{\"v\":5}");
    tu_run_free(&r);
    unsetenv("AW_PASSWORD");
    r = AW("-h", hosts_copy, "-U", "rw-user", "-Pwrong", "get", "test", "auth-cli", "k1");
    expect_status(r, 4);
    expect_contains(r.err, "INVALID_CREDENTIAL");
    tu_run_free(&r);
    r = AW("-h", hosts_copy, "get", "test", "auth-cli", "k1");
    expect_status(r, 4);
    expect_contains(r.err, "NOT_AUTHENTICATED");
    tu_run_free(&r);
    r = AW("-h", hosts_copy, "-U", "rw-user", "-Prw-pass", "--auth", "external", "get", "test",
           "auth-cli", "k1");
    expect_status(r, 2);
    expect_contains(r.err, "TLS");
    tu_run_free(&r);
    r = AW("-h", hosts_copy, "-Prw-pass", "get", "test", "auth-cli", "k1");
    expect_status(r, 2);
    expect_contains(r.err, "-P needs -U");
    tu_run_free(&r);
    /* aw-bench: the same flags, asbench's form (the password also as the next word). */
    r = run_bench((const char *const[]){"-h", hosts_copy, "-U", "rw-user", "-P", "rw-pass", "-s",
                                        "auth-bench", "-k", "100", "--count", "200", "--json",
                                        NULL});
    expect_status(r, 0);
    expect_contains(r.out, "\"errors\": 0");
    tu_run_free(&r);
    r = run_bench((const char *const[]){"-h", hosts_copy, "-U", "rw-user", "-Pnope", "-s",
                                        "auth-bench", "-k", "100", "--count", "200", NULL});
    assert_int_not_equal(r.status, 0);
    expect_contains(r.err, "INVALID_CREDENTIAL");
    tu_run_free(&r);
    r = run_bench((const char *const[]){"-h", hosts_copy, "--auth", "ldap", NULL});
    expect_status(r, 2);
    expect_contains(r.err, "--auth");
    tu_run_free(&r);
}

/* AEROSPIKE_HOSTS (a Community server): the LOGIN is read as a whole admin
 * frame and refused with 51, which aw_client_new returns. */
static void test_real_server_refuses_login(void **state) {
    (void)state;
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    if (!hosts || !hosts[0])
        skip();
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    cfg.user = "aw-test-user";
    cfg.password = "aw-test-pass";
    aw_client *c = NULL;
    aw_error e;
    int rc = aw_client_new(&c, &cfg, &e);
    if (rc == AW_OK)
        aw_client_close(c); /* an Enterprise server with this user: nothing to check here */
    else
        assert_int_equal(rc, AW_SECURITY_NOT_SUPPORTED);
}

int main(void) {
    const struct CMUnitTest codec[] = {
        cmocka_unit_test(test_password_hash_matches_official_bcrypt),
        cmocka_unit_test(test_login_frame_bytes),
        cmocka_unit_test(test_authenticate_and_roles_bytes),
        cmocka_unit_test(test_login_reply_parse),
        cmocka_unit_test(test_real_server_refuses_login),
    };
    const struct CMUnitTest server[] = {
        cmocka_unit_test(test_login_refusals),   cmocka_unit_test(test_sync_roles),
        cmocka_unit_test(test_async_login),      cmocka_unit_test(test_batch_and_scan),
        cmocka_unit_test(test_session_end_relogin), cmocka_unit_test(test_token_expiry),
        cmocka_unit_test(test_admin_users),      cmocka_unit_test(test_admin_roles),
        cmocka_unit_test(test_cli_login_flags),  cmocka_unit_test(test_async_login_timeout),
        cmocka_unit_test(test_warm_up_waits_for_login),
    };
    int failed = cmocka_run_group_tests_name("auth codec", codec, NULL, NULL);
    failed += cmocka_run_group_tests_name("auth against aw-testd --security", server, group_setup,
                                          group_teardown);
    return failed || tu_testd_stop_failed;
}
