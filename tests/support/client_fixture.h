/*
 * Helpers for the suites that run the client (sync or async) against an
 * aw-testd child process: time, testd control commands (faults, kills,
 * moves), keys placed on a chosen node, client configs and clients for a
 * server, and waiting for the client to see the cluster change.
 *
 * The checking helpers (tu_check, tu_testd_ctl, tu_testd_fault,
 * tu_client_new, tu_run_until) are macros that pass on the caller's file and
 * line, so cmocka reports the test's line, not this file's. Like every
 * helper that can fail the test (tu_key too), they must run on the test's
 * thread (cmocka cannot fail a test from another one); tu_testd_send is the
 * one to use elsewhere.
 */
#ifndef AW_CLIENT_FIXTURE_H
#define AW_CLIENT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/async.h"
#include "aerowire/client.h"
#include "aerowire/key.h"
#include "testd_proc.h"

struct event_base;

/* --- time ------------------------------------------------------------------- */

void tu_sleep_ms(int ms);
/* Milliseconds on the monotonic clock. */
uint64_t tu_now_ms(void);
/* Polls cond(arg) every 2 ms until it holds or ms have passed; whether it
 * held (checked once more at the deadline). For waiting on a condition
 * instead of sleeping; safe off the test's thread. */
bool tu_wait_until(bool (*cond)(void *arg), void *arg, int ms);
/* The same, and fails the test "timed out after <ms> ms waiting for <what>". */
#define tu_wait_for(cond, arg, ms, what) tu_wait_for_at(__FILE__, __LINE__, (cond), (arg), (ms), (what))
void tu_wait_for_at(const char *file, int line, bool (*cond)(void *arg), void *arg, int ms,
                    const char *what);

/* --- failing at the caller's line ------------------------------------------- */

/* Prints "ERROR: <fmt...>" and fails the running test at file:line. */
void tu_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* Fails the test unless rc is AW_OK, with "what: <status name> (rc): <message>",
 * where the message is err->message (tu_check) or msg (tu_check_msg). */
#define tu_check(rc, err, what) tu_check_at(__FILE__, __LINE__, (rc), (err)->message, (what))
#define tu_check_msg(rc, msg, what) tu_check_at(__FILE__, __LINE__, (rc), (msg), (what))
void tu_check_at(const char *file, int line, int rc, const char *msg, const char *what);

/* --- testd control commands -------------------------------------------------- */

/* Sends the testd-* command printf(fmt, ...) (a '\n' is added) to node `via`
 * of t and returns its reply, malloc'd (NULL when none came). Asserts
 * nothing: safe off the test's thread and in teardowns. */
char *tu_testd_send(const tu_testd *t, int via, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same, and fails the test unless the command's value is "ok". testd
 * answers testd-* commands whatever the faults of the node asked; only a
 * node that refuses connections or is killed cannot be told anything. */
#define tu_testd_ctl(t, via, ...) tu_testd_ctl_at(__FILE__, __LINE__, (t), (via), __VA_ARGS__)
void tu_testd_ctl_at(const char *file, int line, const tu_testd *t, int via, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sets node's faults to `what` ("delay=400", "garbage=1", "refuse=1", ... as
 * testd-fault takes them), or clears them (what NULL), asserting "ok". The
 * command goes through the next node, (node + 1) % n_nodes, so that a node
 * refusing connections can be told (on one node: through itself). */
#define tu_testd_fault(t, node, what) tu_testd_fault_at(__FILE__, __LINE__, (t), (node), (what))
#define tu_testd_clear_fault(t, node) tu_testd_fault_at(__FILE__, __LINE__, (t), (node), NULL)
void tu_testd_fault_at(const char *file, int line, const tu_testd *t, int node, const char *what);

/* Node's counters from testd-stats, asked through node `via`: the commands
 * (type-3 frames) it has received and the replies it holds (the hold
 * fault). Whether the answer came and parsed; safe off the test's thread. */
bool tu_testd_stats(const tu_testd *t, int via, int node, uint64_t *commands, uint64_t *held);

/* Clears every node's faults, each through the next node, checking nothing
 * (for teardowns, which run after failures too). */
void tu_testd_clear_faults(const tu_testd *t);

/* Starts aw-testd with "--nodes <nodes>" and the extra arguments
 * (NULL-terminated, may be NULL). 0 or -1, like tu_testd_start. */
int tu_testd_start_nodes(tu_testd *t, int nodes, const char *const *extra_args);

/* --- keys --------------------------------------------------------------------- */

/* The key ns/set/name (a string user key); fails the test when it cannot be made. */
aw_key tu_key(const char *ns, const char *set, const char *name);
/* The i-th (from 0) of the keys ns/set/"<tag>-<j>", j = 0, 1, ..., whose
 * partition's master is node `node` of n_nodes on a testd with every node
 * up (testd's rule: partition p's master is node p % n_nodes, its replica
 * node (p + 1) % n_nodes). */
aw_key tu_key_on(const char *ns, const char *set, int node, int n_nodes, int i, const char *tag);

/* --- clients --------------------------------------------------------------------- */

/* "127.0.0.1:<port>,..." with every node of t, in a static buffer that the
 * next call (here or from tu_client_config) overwrites. */
const char *tu_testd_hosts(const tu_testd *t);

/* aw_config_init's config with hosts = tu_testd_hosts(t) (see there: build
 * the config right before aw_client_new, which copies the string) and
 * tend_interval_ms as given (0 keeps the default). */
aw_config tu_client_config(const tu_testd *t, uint32_t tend_interval_ms);

/* aw_client_new, failing the test with the error's message. */
#define tu_client_new(cfg) tu_client_new_at(__FILE__, __LINE__, (cfg))
aw_client *tu_client_new_at(const char *file, int line, const aw_config *cfg);

/* aw_client_new for group setups, which report by return code: 0, or -1
 * after printing "aw_client_new: <message>" to stderr. */
int tu_client_setup(aw_client **out, const aw_config *cfg);

aw_client_stats tu_stats(aw_client *c);

/* Waits (tu_wait_until) at most ms until the client sees `want` nodes;
 * returns the number it saw last. */
size_t tu_wait_nodes(aw_client *c, size_t want, int ms);

/* Waits the same way until the client has run n more tend rounds than now
 * (a round counts once it is done, housekeeping included, so n = 2 is a
 * whole round begun after the call); whether it has. */
bool tu_wait_tends(aw_client *c, uint64_t n, int ms);

/* Waits the same way until the client's map_updates counter is past
 * `before`; whether it is. */
bool tu_wait_map_update(aw_client *c, uint64_t before, int ms);

/* Waits the same way until the client routes writes of key to node `node`
 * of t (node -1: to no node); whether it does. A counted map update is not
 * enough: it can come from the new owner while the old one's claim stays in
 * the map until the next tend. */
bool tu_wait_master(aw_client *c, const tu_testd *t, const aw_key *key, int node, int ms);

/* --- libevent ---------------------------------------------------------------------- */

/* For group setups: a new event base in *base with a loop of c attached to
 * it in *loop. 0, or -1 when either cannot be made. */
int tu_libevent_open(aw_client *c, struct event_base **base, aw_loop **loop);
/* For group teardowns: closes *c (and so every loop still attached to it),
 * frees *base, and sets all three to NULL. */
void tu_libevent_close(aw_client **c, struct event_base **base, aw_loop **loop);

/* Runs b (one EVLOOP_ONCE at a time) until *count is 0; fails the test with
 * "<n> callbacks still due after <ms> ms" when it is not by then. */
#define tu_run_until(b, count, ms) tu_run_until_at(__FILE__, __LINE__, (b), (count), (ms))
void tu_run_until_at(const char *file, int line, struct event_base *b, int *count, int ms);

#endif
