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
#include <cmocka.h>

#include <event2/event.h>

#include "aerowire/adapters/libevent.h"
#include "aerowire/aerowire.h"
#include "aerowire/async.h"
#include "client/client_impl.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

static tu_testd srv;
static aw_client *client;
static struct event_base *base;
static aw_loop *loop;
static int outstanding;

/* --- helpers ------------------------------------------------------------------- */

static aw_key key_of(const char *name) { return tu_key("test", "faults", name); }

/* The i-th key whose partition's master is node `node` of n. */
static aw_key key_on(int node, int n, int i, const char *tag) {
    return tu_key_on("test", "faults", node, n, i, tag);
}

/* Runs the main base until *count callbacks came, or fails after ms. */
static void run_until(int *count, int ms) { tu_run_until(base, count, ms); }

typedef struct res {
    int calls, code;
    bool in_doubt;
    char msg[AW_ERROR_MSG_SIZE];
    uint64_t at; /* when the callback ran */
} res;

static void saw(res *r, const aw_error *err) {
    r->calls++;
    outstanding--;
    r->at = tu_now_ms();
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

/* n gets of k with p submitted at once on the main loop, each into its rs[i];
 * runs the loop until every callback came (fails after ms). */
static void get_many(const aw_policy *p, const aw_key *k, res *rs, int n, int ms) {
    aw_error err;
    memset(rs, 0, sizeof *rs * (size_t)n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(aw_get_async(loop, p, k, NULL, 0, cb_record, &rs[i], &err), AW_OK);
        outstanding++;
    }
    run_until(&outstanding, ms);
}

/* A second client on the main base, whose loop stands in for the main
 * client's (saved in *saved) until side_client_close. */
static aw_client *side_client(const aw_config *cfg, aw_loop **saved) {
    aw_client *c = tu_client_new(cfg);
    aw_error err;
    *saved = loop;
    assert_int_equal(aw_libevent_attach(c, base, &loop, &err), AW_OK);
    return c;
}

static void side_client_close(aw_client *c, aw_loop *saved) {
    aw_client_close(c);
    loop = saved;
}

/* Fails unless expr (a command run into res r) gave AW_OK. */
#define OK(expr, r) tu_check_msg((expr), (r)->msg, #expr)

/* Reads that go to node 0 and stay there. */
static aw_policy on_master(uint32_t socket_ms, uint32_t total_ms, uint32_t retries) {
    aw_policy p = aw_policy_read();
    p.replica = AW_REPLICA_MASTER;
    p.socket_timeout_ms = socket_ms;
    p.total_timeout_ms = total_ms;
    p.max_retries = retries;
    return p;
}

/* --- a callback that resubmits after an instant failure ---------------------- */

/* Commands that fail inside the engine's deferred run (here: an unknown
 * namespace) and are resubmitted at once by their callback, as a load tool
 * does with a backed-off node, must not keep the application's loop from
 * polling: a timer of its own fires and a reply on the wire is read while
 * they spin. (The run used to reschedule itself as an active event, which
 * libevent runs again before it polls; a tripped breaker then hid the
 * probe's reply for a whole error window.) */
#define SPIN_CAP 3000000
static struct {
    uint64_t spins;
    bool timer_fired, reply_read;
    uint64_t spins_at_timer, spins_at_reply;
    int code; /* the instant failure's */
} spin;

static void spin_again(void);
static void on_spin(const aw_error *err, aw_record *rec, void *ud) {
    (void)rec;
    (void)ud;
    spin.code = err ? err->code : AW_OK;
    spin.spins++;
    if ((spin.timer_fired && spin.reply_read) || spin.spins >= SPIN_CAP) {
        outstanding--;
        return;
    }
    spin_again();
}
static void spin_again(void) {
    aw_key k = tu_key("no-such-ns", "faults", "spin");
    aw_error err;
    assert_int_equal(aw_get_async(loop, NULL, &k, NULL, 0, on_spin, NULL, &err), AW_OK);
}
static void on_spin_timer(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    (void)arg;
    spin.timer_fired = true;
    spin.spins_at_timer = spin.spins;
}
static void on_spin_reply(const aw_error *err, aw_record *rec, void *ud) {
    (void)rec;
    (void)ud;
    assert_null(err);
    spin.reply_read = true;
    spin.spins_at_reply = spin.spins;
    outstanding--;
}

static void test_instant_failures_keep_the_loop_polling(void **state) {
    (void)state;
    res r;
    aw_key k = key_of("spin-reply");
    OK(put_(NULL, &k, &r), &r);
    memset(&spin, 0, sizeof spin);
    struct event *t = evtimer_new(base, on_spin_timer, NULL);
    struct timeval tv = {0, 20000};
    evtimer_add(t, &tv);
    aw_error err;
    assert_int_equal(aw_get_async(loop, NULL, &k, NULL, 0, on_spin_reply, NULL, &err), AW_OK);
    outstanding += 2;
    spin_again();
    run_until(&outstanding, 20000);
    event_free(t);
    print_message("    %llu instant failures; timer after %llu, reply after %llu\n",
                  (unsigned long long)spin.spins, (unsigned long long)spin.spins_at_timer,
                  (unsigned long long)spin.spins_at_reply);
    assert_int_equal(spin.code, AW_ERR_NAMESPACE_NOT_FOUND);
    assert_true(spin.timer_fired);
    assert_true(spin.reply_read);
    assert_true(spin.spins < SPIN_CAP); /* both came while the failures still spun */
}

/* --- setup --------------------------------------------------------------------------- */

static int start(int nodes) {
    if (tu_testd_start_nodes(&srv, nodes, NULL) != 0)
        return -1;
    aw_config cfg = tu_client_config(&srv, 100);
    cfg.max_error_rate = 0; /* these tests count on every attempt going out */
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    if (tu_libevent_open(client, &base, &loop) != 0)
        return -1;
    return tu_wait_nodes(client, (size_t)nodes, 3000) == (size_t)nodes ? 0 : -1;
}
static int start_two(void **state) { return start(2); }
static int start_three(void **state) { return start(3); }
static int stop(void **state) {
    tu_libevent_close(&client, &base, &loop); /* closes the loop too */
    return tu_testd_stop_group(&srv);
}
static int clear_faults(void **state) {
    tu_testd_clear_faults(&srv);
    return 0;
}

/* --- timeouts ----------------------------------------------------------------------- */

/* Replies held back 400 ms; a 50 ms socket timeout with two retries gives
 * up after three attempts, ~150 ms, long before the total timeout. */
static void test_socket_timeout(void **state) {
    aw_key k = key_on(0, 2, 0, "sock");
    res r;
    OK(put_(NULL, &k, &r), &r);
    tu_testd_fault(&srv, 0, "delay=400");
    aw_client_stats st0 = tu_stats(client);
    aw_policy p = on_master(50, 2000, 2);
    uint64_t t0 = tu_now_ms();
    assert_int_equal(get_(&p, &k, &r), AW_ERR_TIMEOUT);
    uint64_t took = r.at - t0;
    if (took < 140 || took > 900)
        fail_msg("socket timeout after %llu ms (want ~150): %s", (unsigned long long)took, r.msg);
    assert_non_null(strstr(r.msg, "no reply"));
    aw_client_stats st1 = tu_stats(client);
    assert_int_equal(st1.retries - st0.retries, 2);
    assert_int_equal(st1.timeouts - st0.timeouts, 1);
    assert_int_equal(st1.commands - st0.commands, 1);
    tu_testd_clear_fault(&srv, 0);
    OK(get_(&p, &k, &r), &r);
}

/* Socket timeouts are each command's own: on one pipelined connection, a
 * 50 ms one gives up while a neighbour without one gets its (delayed) reply. */
static void test_socket_timeout_per_command(void **state) {
    aw_key k = key_on(0, 2, 5, "sockmix");
    res r;
    OK(put_(NULL, &k, &r), &r);
    aw_config cfg = tu_client_config(&srv, 0);
    cfg.async_max_conns_per_node = 1;
    aw_loop *old;
    aw_client *c = side_client(&cfg, &old);
    tu_testd_fault(&srv, 0, "delay=250");
    uint64_t opened = tu_stats(c).conns_opened;
    aw_policy quick = on_master(50, 1000, 0), patient = on_master(0, 1000, 0);
    static res rs[4];
    memset(rs, 0, sizeof rs);
    uint64_t t0 = tu_now_ms();
    aw_error err;
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
    assert_int_equal(tu_stats(c).conns_opened - opened, 1); /* one pipeline */
    tu_testd_clear_fault(&srv, 0);
    side_client_close(c, old);
}

/* No socket timeout: the total timeout ends it, once, with no retries; a
 * write that timed out after being sent is in doubt. */
static void test_total_timeout(void **state) {
    aw_key k = key_on(0, 2, 0, "total");
    res r;
    OK(put_(NULL, &k, &r), &r);
    tu_testd_fault(&srv, 0, "delay=500");
    aw_client_stats st0 = tu_stats(client);
    aw_policy p = on_master(0, 120, 2);
    uint64_t t0 = tu_now_ms();
    assert_int_equal(get_(&p, &k, &r), AW_ERR_TIMEOUT);
    uint64_t took = r.at - t0;
    if (took < 115 || took > 700)
        fail_msg("total timeout after %llu ms (want ~120): %s", (unsigned long long)took, r.msg);
    assert_false(r.in_doubt);
    aw_client_stats st1 = tu_stats(client);
    assert_int_equal(st1.retries - st0.retries, 0);
    assert_int_equal(st1.timeouts - st0.timeouts, 1);

    aw_policy w = aw_policy_write();
    w.total_timeout_ms = 100;
    w.socket_timeout_ms = 0;
    t0 = tu_now_ms();
    assert_int_equal(put_(&w, &k, &r), AW_ERR_TIMEOUT);
    assert_true(r.in_doubt);
    assert_true(r.at - t0 >= 95);
    tu_testd_clear_fault(&srv, 0);
    OK(get_(&p, &k, &r), &r);
}

/* Retries sleep between attempts: two retries of 60 ms each. */
static void test_sleep_between_retries(void **state) {
    aw_key k = key_on(0, 2, 0, "sleep");
    tu_testd_fault(&srv, 0, "garbage=1");
    aw_client_stats st0 = tu_stats(client);
    aw_policy p = on_master(0, 2000, 2);
    p.sleep_between_retries_ms = 60;
    uint64_t t0 = tu_now_ms();
    res r;
    assert_int_equal(get_(&p, &k, &r), AW_ERR_PROTO);
    uint64_t took = r.at - t0;
    if (took < 115 || took > 800)
        fail_msg("two 60 ms pauses took %llu ms", (unsigned long long)took);
    assert_int_equal(tu_stats(client).retries - st0.retries, 2);
    /* The deadline cuts a sleep short. */
    p.total_timeout_ms = 100;
    p.sleep_between_retries_ms = 1000;
    t0 = tu_now_ms();
    assert_int_equal(get_(&p, &k, &r), AW_ERR_TIMEOUT);
    assert_true(r.at - t0 < 600);
    tu_testd_clear_fault(&srv, 0);
}

/* --- bad replies ----------------------------------------------------------------------- */

static void bad_reply_case(const char *what, bool pipelined) {
    aw_key k = key_on(0, 2, 1, "bad");
    res r;
    OK(put_(NULL, &k, &r), &r);
    tu_testd_fault(&srv, 0, what);
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
        get_many(&p, &k, rs, 64, 5000);
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
    tu_testd_clear_fault(&srv, 0);
    /* The next commands succeed (on a new connection where the old one
     * could not be trusted). */
    for (int i = 0; i < 3; i++)
        OK(get_(&p, &k, &r), &r);
    assert_int_equal(aw_loop_pending(loop), 0);
}

static void test_garbage(void **state) {
    uint64_t before = tu_stats(client).conns_opened;
    bad_reply_case("garbage=1", false);
    bad_reply_case("garbage=1", true);
    assert_true(tu_stats(client).conns_opened > before);
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
    tu_testd_fault(&srv, 0, "refuse=1");
    aw_policy p = on_master(0, 1000, 1);
    int rc = get_(&p, &k, &r);
    if (rc != AW_ERR_CONNECTION && rc != AW_ERR_NO_RESPONSE)
        fail_msg("refused: %s: %s", aw_status_name(rc), r.msg);
    tu_testd_clear_fault(&srv, 0);
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
    tu_testd_fault(&srv, 0, "blackhole=1");
    aw_policy p = on_master(0, 150, 0);
    uint64_t t0 = tu_now_ms();
    assert_int_equal(get_(&p, &k, &r), AW_ERR_TIMEOUT);
    assert_true(r.at - t0 >= 145);
    static res rs[40];
    get_many(&p, &k, rs, 40, 3000);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(rs[i].calls, 1);
        assert_int_equal(rs[i].code, AW_ERR_TIMEOUT);
    }
    tu_testd_clear_fault(&srv, 0);
    p.total_timeout_ms = 1000;
    for (int i = 0; i < 5; i++)
        OK(get_(&p, &k, &r), &r);
}

typedef struct backoff_probe {
    aw_policy p;
    aw_key k;
    res rs[30];
} backoff_probe;

/* Submits 30 gets at once (each an error while the node truncates, unless
 * refused); whether one was refused with MAX_ERROR_RATE. The node is backed
 * off at the tend that ends a window with too many errors. */
static bool a_get_refused(void *arg) {
    backoff_probe *b = arg;
    get_many(&b->p, &b->k, b->rs, 30, 3000);
    bool refused = false;
    for (int i = 0; i < 30; i++) {
        if (b->rs[i].code == AW_ERR_MAX_ERROR_RATE)
            refused = true;
        else
            assert_int_equal(b->rs[i].code, AW_ERR_PROTO);
    }
    return refused;
}

/* A node with too many errors in a window is backed off: commands to it
 * fail at once with MAX_ERROR_RATE, until a window passes without errors. */
static void test_error_rate_backoff(void **state) {
    aw_key k = key_on(0, 2, 4, "backoff");
    res r;
    OK(put_(NULL, &k, &r), &r);
    aw_config cfg = tu_client_config(&srv, 50);
    cfg.max_error_rate = 10;
    cfg.error_rate_window = 1;
    aw_loop *old;
    aw_client *c = side_client(&cfg, &old);
    tu_testd_fault(&srv, 0, "truncate=1"); /* one error per reply */
    static backoff_probe probe;
    probe.p = on_master(0, 1000, 0);
    probe.k = k;
    tu_wait_for(a_get_refused, &probe, 3000, "a get refused with MAX_ERROR_RATE");
    tu_testd_clear_fault(&srv, 0);
    /* Once a window passes quietly, the node is used again. Every error was
     * counted before its callback ran: the first window ending after now
     * counts the last of them, the next one ends with none (one window is
     * one tend; a round under way now may have done its housekeeping). */
    assert_true(tu_wait_tends(c, 3, 3000));
    OK(get_(&probe.p, &k, &r), &r);
    side_client_close(c, old);
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
    aw_client_stats st0 = tu_stats(client);
    for (int i = 0; i < 64; i++)
        load_next(&ld);
    uint64_t t0 = tu_now_ms();
    bool killed = false, revived = false;
    int at_kill = 0;
    while (tu_now_ms() - t0 < 2500) {
        event_base_loop(base, EVLOOP_ONCE);
        uint64_t t = tu_now_ms() - t0;
        if (!killed && t >= 300) {
            tu_testd_ctl(&srv, 2, "testd-kill:node=1");
            killed = true;
            at_kill = ld.submitted;
        }
        if (killed && !revived && t >= 1300) {
            assert_int_equal(aw_client_nodes(client, NULL, 0), 2);
            tu_testd_ctl(&srv, 2, "testd-revive:node=1");
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
                  (unsigned long long)(tu_stats(client).retries - st0.retries));
    assert_int_equal(tu_wait_nodes(client, 3, 3000), 3);
    aw_client_stats st1 = tu_stats(client);
    assert_true(st1.nodes_removed > st0.nodes_removed);
    assert_true(st1.nodes_added > st0.nodes_added);
    /* Node 1 is the master of its keys again, and serves them. */
    for (int i = 1; i < 60; i += 3)
        assert_true(tu_wait_master(client, &srv, &ld.keys[i], 1, 3000));
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
    aw_client_stats st0 = tu_stats(client);
    tu_testd_ctl(&srv, 1, "testd-move:partition=%u;master=2;replica=1", pid);
    assert_true(tu_wait_map_update(client, st0.map_updates, 3000));
    /* Every node's map re-read: the old master's claim is gone too. */
    assert_true(tu_wait_master(client, &srv, &k, 2, 3000));
    aw_policy p = aw_policy_read();
    p.replica = AW_REPLICA_MASTER;
    p.max_retries = 0;
    tu_testd_fault(&srv, 0, "garbage=1"); /* the old master: not asked any more */
    OK(get_(&p, &k, &r), &r);
    tu_testd_clear_fault(&srv, 0);
    tu_testd_fault(&srv, 2, "garbage=1"); /* the new one */
    assert_int_equal(get_(&p, &k, &r), AW_ERR_PROTO);
    tu_testd_clear_fault(&srv, 2);
    tu_testd_ctl(&srv, 1, "testd-move:partition=%u;master=0;replica=1", pid);
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
        (uint64_t)S->next > (tu_now_ms() - S->t0 + 1) * STRESS_PER_MS)
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
        if (on >= 0) {
            free(tu_testd_send(&srv, (on + 1) % 3, "testd-fault:node=%d", on));
            on = -1;
        }
        unsigned r = (unsigned)rand_r(&seed);
        if (r % 2) {
            on = (int)(r / 2 % 3);
            const char *what = faults[r / 8 % (sizeof faults / sizeof *faults)];
            char *rep = tu_testd_send(&srv, (on + 1) % 3, "testd-fault:node=%d;%s", on, what);
            if (getenv("STRESS_DEBUG"))
                fprintf(stderr, "testd-fault:node=%d;%s -> %s", on, what, rep ? rep : "(null)\n");
            free(rep);
        }
        tu_sleep_ms(3 + (int)(r % 12)); /* the test: faults last a random while */
        atomic_fetch_add(&S->toggles, 1);
    }
    if (on >= 0)
        free(tu_testd_send(&srv, (on + 1) % 3, "testd-fault:node=%d", on));
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
    aw_client_stats st0 = tu_stats(client);
    uint64_t t0 = tu_now_ms();
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, fault_thread, NULL), 0);
    /* Paced over a few seconds, so that faults come and go many times
     * under it; the last couple of hundred are still in flight when the
     * loop is closed. */
    S->t0 = tu_now_ms();
    S->close_at = 200;
    struct event *tick = event_new(base, -1, EV_PERSIST, stress_tick, NULL);
    struct timeval tv = {0, 1000};
    event_add(tick, &tv);
    uint64_t end = tu_now_ms() + 60000;
    while (tu_now_ms() < end && !(S->next >= STRESS_N && S->due <= S->close_at))
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
    aw_client_stats st1 = tu_stats(client);
    assert_int_equal(st1.commands - st0.commands, STRESS_N);
    assert_true(S->by_code[4] >= in_flight); /* closing */
    print_message("    %llu ms, %d fault switches; ok %d, timeout %d, proto %d, net %d, "
                  "closing %d, server %d, other %d; retries %llu, conns %llu\n",
                  (unsigned long long)(tu_now_ms() - t0), atomic_load(&S->toggles), S->by_code[0], S->by_code[1], S->by_code[2], S->by_code[3], S->by_code[4],
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
        cmocka_unit_test_teardown(test_instant_failures_keep_the_loop_polling, clear_faults),
    };
    const struct CMUnitTest three[] = {
        cmocka_unit_test_teardown(test_node_killed_under_load, clear_faults),
        cmocka_unit_test_teardown(test_partition_moved, clear_faults),
        cmocka_unit_test_teardown(test_stress_exactly_once, clear_faults),
    };
    int failed = cmocka_run_group_tests_name("async faults, two nodes", two, start_two, stop);
    failed += cmocka_run_group_tests_name("async faults, three nodes", three, start_three, stop);
    return failed || tu_testd_stop_failed;
}
