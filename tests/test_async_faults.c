/*
 * The async engine under faults injected by aw-testd: socket and total
 * timeouts fire as configured and retries are counted; truncated, garbage,
 * oversized and cut-off replies, refused and black-holed connections give an
 * error (never a crash or a hang) and later commands succeed; a node killed
 * under load (reads fail over, writes succeed or are in doubt, the node is
 * dropped and comes back); moved partitions; and 100,000 commands with
 * faults switched on and off underneath them, each callback exactly once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <event2/event.h>

#include "aerowire/adapters/libevent.h"
#include "aerowire/aerowire.h"
#include "aerowire/async.h"
#include "client/client_impl.h"
#include "support/testd_proc.h"

static tu_testd srv;
static aw_client *client;
static struct event_base *base;
static aw_loop *loop;
static int outstanding;

/* --- helpers ------------------------------------------------------------------- */

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A testd-* control command, sent through a node other than `avoid`
 * (a refusing node cannot be told anything). */
static void ctl_avoiding(int avoid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ctl_avoiding(int avoid, const char *fmt, ...) {
    char cmd[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strcat(cmd, "\n");
    int via = (avoid + 1) % srv.n_nodes;
    char *r = tu_info(srv.ports[via], cmd);
    if (!r || !strstr(r, "\tok"))
        fail_msg("%s -> %s", cmd, r ? r : "(no reply)");
    free(r);
}
static void fault(int node, const char *what) {
    ctl_avoiding(node, "testd-fault:node=%d;%s", node, what);
}
static void clear_fault(int node) { ctl_avoiding(node, "testd-fault:node=%d", node); }

static aw_key key_of(const char *name) {
    aw_key k;
    assert_int_equal(aw_key_init_str(&k, "test", "faults", name, NULL), AW_OK);
    return k;
}

static aw_key key_on(int node, int n, int i, const char *tag) {
    char name[64];
    for (int j = 0;; j++) {
        snprintf(name, sizeof name, "%s-%d", tag, j);
        aw_key k = key_of(name);
        if ((int)(aw_partition_id(k.digest) % (uint32_t)n) == node && i-- == 0)
            return k;
    }
}

static aw_client_stats stats(void) {
    aw_client_stats st;
    aw_client_get_stats(client, &st);
    return st;
}

static aw_client_stats stats_of_client(aw_client *c) {
    aw_client_stats st;
    aw_client_get_stats(c, &st);
    return st;
}

static void run_until(int *count, int ms) {
    uint64_t end = now_ms() + (uint64_t)ms;
    while (*count > 0 && now_ms() < end)
        event_base_loop(base, EVLOOP_ONCE);
    if (*count > 0)
        fail_msg("%d callbacks still due after %d ms", *count, ms);
}

typedef struct res {
    int calls, code;
    bool in_doubt;
    char msg[AW_ERROR_MSG_SIZE];
    uint64_t at; /* when the callback ran */
} res;

static void saw(res *r, const aw_error *err) {
    r->calls++;
    outstanding--;
    r->at = now_ms();
    r->code = err ? err->code : AW_OK;
    r->in_doubt = err ? err->in_doubt : false;
    snprintf(r->msg, sizeof r->msg, "%s", err ? err->message : "");
}
static void cb_status(const aw_error *err, void *ud) { saw(ud, err); }
static void cb_record(const aw_error *err, aw_record *rec, void *ud) {
    assert_true((err == NULL) == (rec != NULL));
    saw(ud, err);
}

static int get_(const aw_policy *p, const aw_key *k, res *r) {
    aw_error err;
    memset(r, 0, sizeof *r);
    assert_int_equal(aw_get_async(loop, p, k, NULL, 0, cb_record, r, &err), AW_OK);
    outstanding++;
    run_until(&outstanding, 5000);
    assert_int_equal(r->calls, 1);
    return r->code;
}

static int put_(const aw_policy *p, const aw_key *k, res *r) {
    aw_error err;
    aw_bin bin = {"b", aw_value_int(1)};
    memset(r, 0, sizeof *r);
    assert_int_equal(aw_put_async(loop, p, k, &bin, 1, cb_status, r, &err), AW_OK);
    outstanding++;
    run_until(&outstanding, 5000);
    assert_int_equal(r->calls, 1);
    return r->code;
}

#define OK(expr, r)                                                                              \
    do {                                                                                         \
        int rc_ = (expr);                                                                        \
        if (rc_ != AW_OK)                                                                        \
            fail_msg("%s: %s (%d): %s", #expr, aw_status_name(rc_), rc_, (r)->msg);              \
    } while (0)

/* Reads that go to node 0 and stay there. */
static aw_policy on_master(uint32_t socket_ms, uint32_t total_ms, uint32_t retries) {
    aw_policy p = aw_policy_read();
    p.replica = AW_REPLICA_MASTER;
    p.socket_timeout_ms = socket_ms;
    p.total_timeout_ms = total_ms;
    p.max_retries = retries;
    return p;
}

/* --- setup --------------------------------------------------------------------------- */

static int start(int nodes) {
    char n[8];
    snprintf(n, sizeof n, "%d", nodes);
    const char *args[] = {"--nodes", n, NULL};
    if (tu_testd_start(&srv, args) != 0)
        return -1;
    static char hosts[256];
    size_t len = 0;
    for (int i = 0; i < srv.n_nodes; i++)
        len += (size_t)snprintf(hosts + len, sizeof hosts - len, "%s127.0.0.1:%u", i ? "," : "",
                                srv.ports[i]);
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    cfg.tend_interval_ms = 100;
    cfg.max_error_rate = 0; /* these tests count on every attempt going out */
    aw_error err;
    if (aw_client_new(&client, &cfg, &err) != AW_OK) {
        fprintf(stderr, "aw_client_new: %s\n", err.message);
        return -1;
    }
    base = event_base_new();
    if (!base || aw_libevent_attach(client, base, &loop, &err) != AW_OK)
        return -1;
    for (int i = 0; i < 300 && aw_client_nodes(client, NULL, 0) != (size_t)nodes; i++)
        sleep_ms(10);
    return aw_client_nodes(client, NULL, 0) == (size_t)nodes ? 0 : -1;
}
static int start_two(void **state) { return start(2); }
static int start_three(void **state) { return start(3); }
static int stop(void **state) {
    aw_client_close(client); /* closes the loop too */
    event_base_free(base);
    client = NULL;
    loop = NULL;
    base = NULL;
    return tu_testd_stop(&srv) == 0 ? 0 : -1;
}
static int clear_faults(void **state) {
    for (int n = 0; n < srv.n_nodes; n++) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "testd-fault:node=%d\n", n);
        free(tu_info(srv.ports[(n + 1) % srv.n_nodes], cmd));
    }
    return 0;
}

/* --- timeouts ----------------------------------------------------------------------- */

/* Replies held back 400 ms; a 50 ms socket timeout with two retries gives
 * up after three attempts, ~150 ms, long before the total timeout. */
static void test_socket_timeout(void **state) {
    aw_key k = key_on(0, 2, 0, "sock");
    res r;
    OK(put_(NULL, &k, &r), &r);
    fault(0, "delay=400");
    aw_client_stats st0 = stats();
    aw_policy p = on_master(50, 2000, 2);
    uint64_t t0 = now_ms();
    assert_int_equal(get_(&p, &k, &r), AW_ERR_TIMEOUT);
    uint64_t took = r.at - t0;
    if (took < 140 || took > 900)
        fail_msg("socket timeout after %llu ms (want ~150): %s", (unsigned long long)took, r.msg);
    assert_non_null(strstr(r.msg, "no reply"));
    aw_client_stats st1 = stats();
    assert_int_equal(st1.retries - st0.retries, 2);
    assert_int_equal(st1.timeouts - st0.timeouts, 1);
    assert_int_equal(st1.commands - st0.commands, 1);
    clear_fault(0);
    OK(get_(&p, &k, &r), &r);
}

/* Socket timeouts are each command's own: on one pipelined connection, a
 * 50 ms one gives up while a neighbour without one gets its (delayed) reply. */
static void test_socket_timeout_per_command(void **state) {
    aw_key k = key_on(0, 2, 5, "sockmix");
    res r;
    OK(put_(NULL, &k, &r), &r);
    static char hosts[128];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%u,127.0.0.1:%u", srv.ports[0], srv.ports[1]);
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    cfg.async_max_conns_per_node = 1;
    aw_client *c;
    aw_error err;
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_OK);
    aw_loop *old = loop;
    assert_int_equal(aw_libevent_attach(c, base, &loop, &err), AW_OK);
    fault(0, "delay=250");
    uint64_t opened = stats_of_client(c).conns_opened;
    aw_policy quick = on_master(50, 1000, 0), patient = on_master(0, 1000, 0);
    static res rs[4];
    memset(rs, 0, sizeof rs);
    uint64_t t0 = now_ms();
    for (int i = 0; i < 4; i++) {
        assert_int_equal(aw_get_async(loop, i % 2 ? &quick : &patient, &k, NULL, 0, cb_record,
                                      &rs[i], &err),
                         AW_OK);
        outstanding++;
    }
    run_until(&outstanding, 3000);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rs[i].calls, 1);
        uint64_t took = rs[i].at - t0;
        if (i % 2) {
            assert_int_equal(rs[i].code, AW_ERR_TIMEOUT);
            assert_true(took >= 45 && took < 240);
        } else {
            if (rs[i].code != AW_OK)
                fail_msg("patient get %d: %s: %s", i, aw_status_name(rs[i].code), rs[i].msg);
            assert_true(took >= 240);
        }
    }
    assert_int_equal(stats_of_client(c).conns_opened - opened, 1); /* one pipeline */
    clear_fault(0);
    aw_client_close(c);
    loop = old;
}

/* No socket timeout: the total timeout ends it, once, with no retries; a
 * write that timed out after being sent is in doubt. */
static void test_total_timeout(void **state) {
    aw_key k = key_on(0, 2, 0, "total");
    res r;
    OK(put_(NULL, &k, &r), &r);
    fault(0, "delay=500");
    aw_client_stats st0 = stats();
    aw_policy p = on_master(0, 120, 2);
    uint64_t t0 = now_ms();
    assert_int_equal(get_(&p, &k, &r), AW_ERR_TIMEOUT);
    uint64_t took = r.at - t0;
    if (took < 115 || took > 700)
        fail_msg("total timeout after %llu ms (want ~120): %s", (unsigned long long)took, r.msg);
    assert_false(r.in_doubt);
    aw_client_stats st1 = stats();
    assert_int_equal(st1.retries - st0.retries, 0);
    assert_int_equal(st1.timeouts - st0.timeouts, 1);

    aw_policy w = aw_policy_write();
    w.total_timeout_ms = 100;
    w.socket_timeout_ms = 0;
    t0 = now_ms();
    assert_int_equal(put_(&w, &k, &r), AW_ERR_TIMEOUT);
    assert_true(r.in_doubt);
    assert_true(r.at - t0 >= 95);
    clear_fault(0);
    OK(get_(&p, &k, &r), &r);
}

/* Retries sleep between attempts: two retries of 60 ms each. */
static void test_sleep_between_retries(void **state) {
    aw_key k = key_on(0, 2, 0, "sleep");
    fault(0, "garbage=1");
    aw_client_stats st0 = stats();
    aw_policy p = on_master(0, 2000, 2);
    p.sleep_between_retries_ms = 60;
    uint64_t t0 = now_ms();
    res r;
    assert_int_equal(get_(&p, &k, &r), AW_ERR_PROTO);
    uint64_t took = r.at - t0;
    if (took < 115 || took > 800)
        fail_msg("two 60 ms pauses took %llu ms", (unsigned long long)took);
    assert_int_equal(stats().retries - st0.retries, 2);
    /* The deadline cuts a sleep short. */
    p.total_timeout_ms = 100;
    p.sleep_between_retries_ms = 1000;
    t0 = now_ms();
    assert_int_equal(get_(&p, &k, &r), AW_ERR_TIMEOUT);
    assert_true(r.at - t0 < 600);
    clear_fault(0);
}

/* --- bad replies ----------------------------------------------------------------------- */

static void bad_reply_case(const char *what, bool pipelined) {
    aw_key k = key_on(0, 2, 1, "bad");
    res r;
    OK(put_(NULL, &k, &r), &r);
    ctl_avoiding(0, "testd-fault:node=0;%s", what);
    aw_policy p = on_master(0, 1000, 0);
    if (!pipelined) {
        int rc = get_(&p, &k, &r);
        if (rc != AW_ERR_PROTO && rc != AW_ERR_NO_RESPONSE && rc != AW_ERR_CONNECTION)
            fail_msg("%s: get gave %s: %s", what, aw_status_name(rc), r.msg);
        aw_policy w = aw_policy_write();
        w.replica = AW_REPLICA_MASTER;
        rc = put_(&w, &k, &r);
        if (rc != AW_ERR_PROTO && rc != AW_ERR_NO_RESPONSE && rc != AW_ERR_CONNECTION)
            fail_msg("%s: put gave %s: %s", what, aw_status_name(rc), r.msg);
        assert_true(r.in_doubt); /* sent, and no definite answer */
    } else {
        /* Many in flight on the same connections: each fails exactly once. */
        static res rs[64];
        aw_error err;
        memset(rs, 0, sizeof rs);
        for (int i = 0; i < 64; i++) {
            assert_int_equal(aw_get_async(loop, &p, &k, NULL, 0, cb_record, &rs[i], &err), AW_OK);
            outstanding++;
        }
        run_until(&outstanding, 5000);
        /* (Replies that got out before a drop-after cut are fine.) */
        int failed = 0;
        for (int i = 0; i < 64; i++) {
            assert_int_equal(rs[i].calls, 1);
            if (rs[i].code == AW_OK && strncmp(what, "drop-after", 10) == 0)
                continue;
            /* (a connection cut with requests unread may end in a reset) */
            if (rs[i].code != AW_ERR_PROTO && rs[i].code != AW_ERR_NO_RESPONSE &&
                rs[i].code != AW_ERR_CONNECTION)
                fail_msg("%s: pipelined get gave %s: %s", what, aw_status_name(rs[i].code),
                         rs[i].msg);
            failed++;
        }
        assert_true(failed > 0);
    }
    clear_fault(0);
    /* The next commands succeed (on a new connection where the old one
     * could not be trusted). */
    for (int i = 0; i < 3; i++)
        OK(get_(&p, &k, &r), &r);
    assert_int_equal(aw_loop_pending(loop), 0);
}

static void test_garbage(void **state) {
    uint64_t before = stats().conns_opened;
    bad_reply_case("garbage=1", false);
    bad_reply_case("garbage=1", true);
    assert_true(stats().conns_opened > before);
}
static void test_truncated(void **state) {
    bad_reply_case("truncate=1", false);
    bad_reply_case("truncate=1", true);
}
static void test_oversize(void **state) {
    bad_reply_case("oversize=1", false);
    bad_reply_case("oversize=1", true);
}
static void test_drop_after(void **state) {
    bad_reply_case("drop-after=10", false);
    bad_reply_case("drop-after=100", true);
    bad_reply_case("drop-after=0", true);
}

/* Connections refused (accepted and closed at once): a fresh loop has no
 * pooled connection to fall back on. */
static void test_refuse(void **state) {
    aw_key k = key_on(0, 2, 2, "refuse");
    res r;
    OK(put_(NULL, &k, &r), &r);
    aw_loop *old = loop;
    aw_error err;
    assert_int_equal(aw_libevent_attach(client, base, &loop, &err), AW_OK);
    fault(0, "refuse=1");
    aw_policy p = on_master(0, 1000, 1);
    int rc = get_(&p, &k, &r);
    if (rc != AW_ERR_CONNECTION && rc != AW_ERR_NO_RESPONSE)
        fail_msg("refused: %s: %s", aw_status_name(rc), r.msg);
    clear_fault(0);
    OK(get_(&p, &k, &r), &r);
    aw_loop_close(loop);
    loop = old;
}

/* Requests executed and never answered: the total timeout ends them, the
 * silent connection is dropped, and later commands get through. */
static void test_blackhole(void **state) {
    aw_key k = key_on(0, 2, 3, "hole");
    res r;
    OK(put_(NULL, &k, &r), &r);
    fault(0, "blackhole=1");
    aw_policy p = on_master(0, 150, 0);
    uint64_t t0 = now_ms();
    assert_int_equal(get_(&p, &k, &r), AW_ERR_TIMEOUT);
    assert_true(r.at - t0 >= 145);
    static res rs[40];
    aw_error err;
    memset(rs, 0, sizeof rs);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(aw_get_async(loop, &p, &k, NULL, 0, cb_record, &rs[i], &err), AW_OK);
        outstanding++;
    }
    run_until(&outstanding, 3000);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(rs[i].calls, 1);
        assert_int_equal(rs[i].code, AW_ERR_TIMEOUT);
    }
    clear_fault(0);
    p.total_timeout_ms = 1000;
    for (int i = 0; i < 5; i++)
        OK(get_(&p, &k, &r), &r);
}

/* A node with too many errors in a window is backed off: commands to it
 * fail at once with MAX_ERROR_RATE, until a window passes without errors. */
static void test_error_rate_backoff(void **state) {
    aw_key k = key_on(0, 2, 4, "backoff");
    res r;
    OK(put_(NULL, &k, &r), &r);
    static char hosts[128];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%u,127.0.0.1:%u", srv.ports[0], srv.ports[1]);
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts;
    cfg.tend_interval_ms = 50;
    cfg.max_error_rate = 10;
    cfg.error_rate_window = 1;
    aw_client *c;
    aw_error err;
    assert_int_equal(aw_client_new(&c, &cfg, &err), AW_OK);
    aw_loop *old = loop;
    assert_int_equal(aw_libevent_attach(c, base, &loop, &err), AW_OK);
    fault(0, "truncate=1"); /* one error per reply */
    aw_policy p = on_master(0, 1000, 0);
    static res rs[30];
    bool backed_off = false;
    uint64_t end = now_ms() + 3000;
    while (!backed_off && now_ms() < end) {
        memset(rs, 0, sizeof rs);
        for (int i = 0; i < 30; i++) {
            assert_int_equal(aw_get_async(loop, &p, &k, NULL, 0, cb_record, &rs[i], &err), AW_OK);
            outstanding++;
        }
        run_until(&outstanding, 3000);
        for (int i = 0; i < 30; i++) {
            if (rs[i].code == AW_ERR_MAX_ERROR_RATE)
                backed_off = true;
            else
                assert_int_equal(rs[i].code, AW_ERR_PROTO);
        }
        sleep_ms(10);
    }
    assert_true(backed_off);
    clear_fault(0);
    /* Once a window passes quietly, the node is used again. */
    int rc = AW_ERR_MAX_ERROR_RATE;
    end = now_ms() + 3000;
    while (rc == AW_ERR_MAX_ERROR_RATE && now_ms() < end) {
        sleep_ms(20);
        rc = get_(&p, &k, &r);
    }
    assert_int_equal(rc, AW_OK);
    aw_client_close(c);
    loop = old;
}

/* --- three nodes ------------------------------------------------------------------------- */

typedef struct load {
    aw_loop *loop;
    aw_key keys[60];
    aw_policy rp, wp, wp0;
    int submitted, limit, due;
    int reads_ok, reads_failed, writes_ok, writes_in_doubt, writes_unsent, writes_failed;
    char first_failure[AW_ERROR_MSG_SIZE + 32];
} load;

static void load_next(load *ld);

static void load_read_cb(const aw_error *err, aw_record *rec, void *ud) {
    load *ld = ud;
    ld->due--;
    if (!err || err->code == AW_ERR_RECORD_NOT_FOUND) {
        ld->reads_ok++;
    } else {
        if (!ld->reads_failed++)
            snprintf(ld->first_failure, sizeof ld->first_failure, "read: %s", err->message);
    }
    load_next(ld);
}

static void load_write_cb(const aw_error *err, void *ud) {
    load *ld = ud;
    ld->due--;
    if (!err)
        ld->writes_ok++;
    else if (err->in_doubt)
        ld->writes_in_doubt++;
    else if (err->code == AW_ERR_CONNECTION || err->code == AW_ERR_INVALID_NODE)
        ld->writes_unsent++; /* refused before anything was sent: not in doubt */
    else if (!ld->writes_failed++)
        snprintf(ld->first_failure, sizeof ld->first_failure, "write: %s (%s)", err->message,
                 aw_status_name(err->code));
    load_next(ld);
}

static void load_next(load *ld) {
    if (ld->submitted >= ld->limit)
        return;
    int i = ld->submitted++;
    const aw_key *k = &ld->keys[i % 60];
    aw_error err;
    int rc;
    if (i % 4 == 0) {
        aw_bin bin = {"v", aw_value_int(i)};
        rc = aw_put_async(ld->loop, i % 8 ? &ld->wp : &ld->wp0, k, &bin, 1, load_write_cb, ld,
                          &err);
    } else {
        rc = aw_get_async(ld->loop, &ld->rp, k, NULL, 0, load_read_cb, ld, &err);
    }
    assert_int_equal(rc, AW_OK);
    ld->due++;
}

/* A node killed while commands stream to all three: reads fail over to
 * the replica, writes succeed or are reported in doubt, the node is
 * dropped; revived, it is added back and serves again. */
static void test_node_killed_under_load(void **state) {
    static load ld;
    memset(&ld, 0, sizeof ld);
    ld.loop = loop;
    res r;
    for (int i = 0; i < 60; i++) {
        ld.keys[i] = key_on(i % 3, 3, i / 3, "kill");
        OK(put_(NULL, &ld.keys[i], &r), &r);
    }
    ld.rp = aw_policy_read();
    ld.rp.total_timeout_ms = 2000;
    ld.rp.max_retries = 3;
    ld.wp = aw_policy_write();
    ld.wp.total_timeout_ms = 2000;
    ld.wp.max_retries = 1; /* a refused connect moves on to the replica */
    ld.wp0 = ld.wp;
    ld.wp0.max_retries = 0; /* fails when its node dies under it */
    ld.limit = 1 << 30;
    aw_client_stats st0 = stats();
    for (int i = 0; i < 64; i++)
        load_next(&ld);
    uint64_t t0 = now_ms();
    bool killed = false, revived = false;
    int at_kill = 0;
    while (now_ms() - t0 < 2500) {
        event_base_loop(base, EVLOOP_ONCE);
        uint64_t t = now_ms() - t0;
        if (!killed && t >= 300) {
            ctl_avoiding(1, "testd-kill:node=1");
            killed = true;
            at_kill = ld.submitted;
        }
        if (killed && !revived && t >= 1300) {
            assert_int_equal(aw_client_nodes(client, NULL, 0), 2);
            ctl_avoiding(1, "testd-revive:node=1");
            revived = true;
        }
    }
    ld.limit = ld.submitted; /* drain */
    run_until(&ld.due, 5000);
    if (ld.reads_failed || ld.writes_failed)
        fail_msg("%d reads and %d writes failed (%d reads ok, %d writes ok, %d in doubt); first %s",
                 ld.reads_failed, ld.writes_failed, ld.reads_ok, ld.writes_ok, ld.writes_in_doubt,
                 ld.first_failure);
    assert_true(ld.submitted > at_kill + 1000); /* the load kept flowing */
    print_message("    %d reads ok, %d writes ok, %d in doubt, %d refused; %llu retries\n",
                  ld.reads_ok, ld.writes_ok, ld.writes_in_doubt, ld.writes_unsent,
                  (unsigned long long)(stats().retries - st0.retries));
    for (int i = 0; i < 300 && aw_client_nodes(client, NULL, 0) != 3; i++)
        sleep_ms(10);
    assert_int_equal(aw_client_nodes(client, NULL, 0), 3);
    aw_client_stats st1 = stats();
    assert_true(st1.nodes_removed > st0.nodes_removed);
    assert_true(st1.nodes_added > st0.nodes_added);
    /* Node 1 is the master of its keys again, and serves them. */
    for (int i = 0; i < 100 && stats().map_updates == st1.map_updates; i++)
        sleep_ms(10);
    aw_policy p = aw_policy_read();
    p.replica = AW_REPLICA_MASTER;
    p.max_retries = 0;
    for (int i = 1; i < 60; i += 3)
        OK(get_(&p, &ld.keys[i], &r), &r);
}

/* A partition moved to another master: after the map refresh, commands
 * for it go to the new owner. */
static void test_partition_moved(void **state) {
    aw_key k = key_on(0, 3, 0, "moved");
    res r;
    OK(put_(NULL, &k, &r), &r);
    uint32_t pid = aw_partition_id(k.digest);
    aw_client_stats st0 = stats();
    ctl_avoiding(0, "testd-move:partition=%u;master=2;replica=1", pid);
    for (int i = 0; i < 300 && stats().map_updates == st0.map_updates; i++)
        sleep_ms(10);
    assert_true(stats().map_updates > st0.map_updates);
    sleep_ms(50); /* every node's map re-read */
    aw_policy p = aw_policy_read();
    p.replica = AW_REPLICA_MASTER;
    p.max_retries = 0;
    fault(0, "garbage=1"); /* the old master: not asked any more */
    OK(get_(&p, &k, &r), &r);
    clear_fault(0);
    fault(2, "garbage=1"); /* the new one */
    assert_int_equal(get_(&p, &k, &r), AW_ERR_PROTO);
    clear_fault(2);
    ctl_avoiding(0, "testd-move:partition=%u;master=0;replica=1", pid);
}

/* --- 100,000 commands under random faults ------------------------------------------------- */

enum { STRESS_N = 100000, STRESS_INFLIGHT = 384, STRESS_PER_MS = 30 };

typedef struct stress {
    aw_loop *loop;
    uint8_t calls[STRESS_N];
    int next, due, dupes;
    int by_code[8];
    aw_key keys[200];
    aw_policy pol[4];
    atomic_bool done;
    atomic_int toggles;
    unsigned seed;
    int close_at; /* close the loop with this many still in flight */
    bool closed;
    uint64_t t0;  /* submissions are paced: STRESS_PER_MS a millisecond */
} stress;

static stress *S;

static void stress_next(void);

static void stress_done(const aw_error *err, uintptr_t id) {
    if (id >= STRESS_N || S->calls[id]++ != 0)
        S->dupes++;
    S->due--;
    int code = err ? err->code : 0;
    if (getenv("STRESS_DEBUG") && code < 0 && code != AW_ERR_TIMEOUT && code != AW_ERR_PROTO &&
        code != AW_ERR_NO_RESPONSE && code != AW_ERR_CONNECTION && code != AW_ERR_CLIENT_CLOSING)
        fprintf(stderr, "other: %s\n", err->message);
    S->by_code[code == 0 ? 0 : code == AW_ERR_TIMEOUT ? 1 : code == AW_ERR_PROTO ? 2
               : code == AW_ERR_NO_RESPONSE || code == AW_ERR_CONNECTION ? 3
               : code == AW_ERR_CLIENT_CLOSING ? 4 : code > 0 ? 5 : 6]++;
    stress_next();
}
static void st_status(const aw_error *err, void *ud) { stress_done(err, (uintptr_t)ud); }
static void st_record(const aw_error *err, aw_record *rec, void *ud) {
    if ((err == NULL) != (rec != NULL))
        S->dupes += 1000; /* flagged below */
    stress_done(err, (uintptr_t)ud);
}
static void st_exists(const aw_error *err, bool ex, void *ud) { stress_done(err, (uintptr_t)ud); }

static void stress_next(void) {
    if (S->closed || S->next >= STRESS_N || S->due >= STRESS_INFLIGHT ||
        (uint64_t)S->next > (now_ms() - S->t0 + 1) * STRESS_PER_MS)
        return;
    uintptr_t id = (uintptr_t)S->next++;
    unsigned rnd = (unsigned)rand_r(&S->seed);
    const aw_key *k = &S->keys[rnd % 200];
    const aw_policy *p = &S->pol[(rnd >> 8) % 4];
    void *ud = (void *)id;
    aw_error err;
    aw_bin bin = {"v", aw_value_int((int64_t)id)};
    aw_op ops[] = {aw_op_incr("n", aw_value_int(1)), aw_op_read("n")};
    const char *names[] = {"v"};
    int rc;
    switch (id % 8) {
    case 0: rc = aw_put_async(S->loop, p, k, &bin, 1, st_status, ud, &err); break;
    case 1: rc = aw_exists_async(S->loop, p, k, st_exists, ud, &err); break;
    case 2: rc = aw_operate_async(S->loop, p, k, ops, 2, st_record, ud, &err); break;
    case 3: rc = aw_get_header_async(S->loop, p, k, st_record, ud, &err); break;
    case 4: rc = aw_delete_async(S->loop, p, k, st_status, ud, &err); break;
    case 5: rc = aw_touch_async(S->loop, p, k, st_status, ud, &err); break;
    case 6: rc = aw_get_async(S->loop, p, k, names, 1, st_record, ud, &err); break;
    default: rc = aw_get_async(S->loop, p, k, NULL, 0, st_record, ud, &err); break;
    }
    if (rc != AW_OK) {
        S->dupes += 1000000; /* a submit must not fail here */
        return;
    }
    S->due++;
}

static void stress_tick(evutil_socket_t fd, short what, void *arg) {
    int before;
    do {
        before = S->next;
        stress_next();
    } while (S->next != before);
}

/* Switches faults on one node at a time, on and off, until told to stop. */
static void *fault_thread(void *arg) {
    (void)arg;
    unsigned seed = 7;
    static const char *const faults[] = {
        "delay=20", "delay=150", "garbage=1", "truncate=1", "oversize=1",
        "drop-after=200", "drop-after=3", "blackhole=1", "refuse=1",
    };
    int on = -1;
    while (!atomic_load(&S->done)) {
        char cmd[128];
        if (on >= 0) {
            snprintf(cmd, sizeof cmd, "testd-fault:node=%d\n", on);
            free(tu_info(srv.ports[(on + 1) % 3], cmd));
            on = -1;
        }
        unsigned r = (unsigned)rand_r(&seed);
        if (r % 2) {
            on = (int)(r / 2 % 3);
            snprintf(cmd, sizeof cmd, "testd-fault:node=%d;%s\n", on,
                     faults[r / 8 % (sizeof faults / sizeof *faults)]);
            char *rep = tu_info(srv.ports[(on + 1) % 3], cmd);
            if (getenv("STRESS_DEBUG"))
                fprintf(stderr, "%s -> %s", cmd, rep ? rep : "(null)\n");
            free(rep);
        }
        sleep_ms(3 + (int)(r % 12));
        atomic_fetch_add(&S->toggles, 1);
    }
    if (on >= 0) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "testd-fault:node=%d\n", on);
        free(tu_info(srv.ports[(on + 1) % 3], cmd));
    }
    return NULL;
}

static void test_stress_exactly_once(void **state) {
    S = calloc(1, sizeof *S);
    S->loop = loop;
    S->seed = 12345;
    res r;
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "stress-%d", i);
        S->keys[i] = key_of(name);
    }
    /* Short timeouts so faults resolve quickly; a mix of retry and pool rules. */
    for (int i = 0; i < 4; i++) {
        S->pol[i] = aw_policy_read();
        S->pol[i].total_timeout_ms = 150;
        S->pol[i].socket_timeout_ms = i % 2 ? 40 : 0;
        S->pol[i].max_retries = (uint32_t)i % 3;
        S->pol[i].sleep_between_retries_ms = i == 3 ? 5 : 0;
        S->pol[i].pool = i == 2 ? AW_POOL_FAIL : AW_POOL_WAIT;
        S->pol[i].replica = i == 1 ? AW_REPLICA_ANY : AW_REPLICA_SEQUENCE;
    }
    aw_client_stats st0 = stats();
    uint64_t t0 = now_ms();
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, fault_thread, NULL), 0);
    /* Paced over a few seconds, so that faults come and go many times
     * under it; the last couple of hundred are still in flight when the
     * loop is closed. */
    S->t0 = now_ms();
    S->close_at = 200;
    struct event *tick = event_new(base, -1, EV_PERSIST, stress_tick, NULL);
    struct timeval tv = {0, 1000};
    event_add(tick, &tv);
    uint64_t end = now_ms() + 60000;
    while (now_ms() < end && !(S->next >= STRESS_N && S->due <= S->close_at))
        event_base_loop(base, EVLOOP_ONCE);
    event_free(tick);
    int in_flight = S->due;
    S->closed = true;
    aw_loop_close(loop); /* the rest: CLIENT_CLOSING, once each */
    atomic_store(&S->done, true);
    pthread_join(th, NULL);
    assert_int_equal(S->due, 0);
    assert_int_equal(S->next, STRESS_N);
    assert_int_equal(S->dupes, 0);
    for (int i = 0; i < STRESS_N; i++)
        if (S->calls[i] != 1)
            fail_msg("command %d: %u callbacks", i, S->calls[i]);
    aw_client_stats st1 = stats();
    assert_int_equal(st1.commands - st0.commands, STRESS_N);
    assert_true(S->by_code[4] >= in_flight); /* closing */
    print_message("    %llu ms, %d fault switches; ok %d, timeout %d, proto %d, net %d, "
                  "closing %d, server %d, other %d; retries %llu, conns %llu\n",
                  (unsigned long long)(now_ms() - t0), atomic_load(&S->toggles), S->by_code[0], S->by_code[1], S->by_code[2], S->by_code[3], S->by_code[4],
                  S->by_code[5], S->by_code[6], (unsigned long long)(st1.retries - st0.retries),
                  (unsigned long long)(st1.conns_opened - st0.conns_opened));
    assert_true(S->by_code[0] > STRESS_N / 4); /* most of the time things work */
    free(S);
    S = NULL;
    /* A fresh loop works once the faults are gone. */
    clear_faults(NULL);
    aw_error err;
    assert_int_equal(aw_libevent_attach(client, base, &loop, &err), AW_OK);
    aw_key k = key_of("after-stress");
    OK(put_(NULL, &k, &r), &r);
    OK(get_(NULL, &k, &r), &r);
}

int main(void) {
    const struct CMUnitTest two[] = {
        cmocka_unit_test_teardown(test_socket_timeout, clear_faults),
        cmocka_unit_test_teardown(test_socket_timeout_per_command, clear_faults),
        cmocka_unit_test_teardown(test_total_timeout, clear_faults),
        cmocka_unit_test_teardown(test_sleep_between_retries, clear_faults),
        cmocka_unit_test_teardown(test_garbage, clear_faults),
        cmocka_unit_test_teardown(test_truncated, clear_faults),
        cmocka_unit_test_teardown(test_oversize, clear_faults),
        cmocka_unit_test_teardown(test_drop_after, clear_faults),
        cmocka_unit_test_teardown(test_refuse, clear_faults),
        cmocka_unit_test_teardown(test_blackhole, clear_faults),
        cmocka_unit_test_teardown(test_error_rate_backoff, clear_faults),
    };
    const struct CMUnitTest three[] = {
        cmocka_unit_test_teardown(test_node_killed_under_load, clear_faults),
        cmocka_unit_test_teardown(test_partition_moved, clear_faults),
        cmocka_unit_test_teardown(test_stress_exactly_once, clear_faults),
    };
    int failed = cmocka_run_group_tests_name("async faults, two nodes", two, start_two, stop);
    failed += cmocka_run_group_tests_name("async faults, three nodes", three, start_three, stop);
    return failed;
}
