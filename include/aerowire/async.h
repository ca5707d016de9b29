/*
 * aerowire/async.h — commands on the application's own event loop.
 *
 * An aw_loop ties one application event loop (a libevent event_base, or
 * any loop an adapter is written for) to a client. The client registers its
 * sockets and timers on that loop and never runs or frees it. Each loop has
 * its own connection pools, so several threads, each running its own loop,
 * can share one client without locks on the command path.
 *
 * Threads: a loop's commands are submitted and completed on the thread that
 * runs that loop. Completion callbacks run on it too.
 *
 * Exactly once: when an aw_*_async call returns AW_OK its callback will be
 * called exactly once — with the result, a server error, a timeout, or
 * AW_ERR_CLIENT_CLOSING when the loop or client is closed first. When the
 * call returns an error (bad key, bin name over 15 bytes, closing loop, ...)
 * the callback is never called and `err` says why.
 *
 * Callbacks may submit new commands, and may close the loop or the client;
 * the close then takes effect once the callback returns.
 *
 * For libevent, include aerowire/adapters/libevent.h and call
 * aw_libevent_attach. Other loops fill in aw_loop_hooks themselves.
 */
#ifndef AEROWIRE_ASYNC_H
#define AEROWIRE_ASYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aw_loop aw_loop;

/* I/O readiness, as passed to aw_io_cb and io_update. */
#define AW_EV_READ 0x02
#define AW_EV_WRITE 0x04

typedef void (*aw_io_cb)(int fd, short events, void *arg);
typedef void (*aw_timer_cb)(void *arg);

/*
 * What aerowire needs from an event loop. All hooks are called on the loop's
 * thread. `ctx` is passed back to the *_new hooks unchanged.
 */
typedef struct aw_loop_hooks {
    void *ctx;
    /* A watcher for fd that calls cb(fd, ready, arg); watching nothing at first. */
    void *(*io_new)(void *ctx, int fd, aw_io_cb cb, void *arg);
    /* Watch exactly `events` (AW_EV_READ | AW_EV_WRITE, 0 = nothing). */
    void (*io_update)(void *io, short events);
    void (*io_free)(void *io);
    /* A one-shot timer; timer_start re-arms it if it is already pending.
     * It fires from the loop, never inside timer_start; 0 ms means at the
     * loop's next turn, after it has polled (the engine uses that for work
     * that callbacks queued during one of its own runs). */
    void *(*timer_new)(void *ctx, aw_timer_cb cb, void *arg);
    void (*timer_start)(void *timer, uint32_t ms);
    void (*timer_stop)(void *timer);
    void (*timer_free)(void *timer);
    /* Runs cb once "soon" on the loop (after the current callback returns);
     * used to send everything queued in one burst with one write. */
    void *(*defer_new)(void *ctx, aw_timer_cb cb, void *arg);
    void (*defer_schedule)(void *defer);
    void (*defer_free)(void *defer);
    /* Called once when the loop is closed, after every other hook's last
     * use; frees what the adapter allocated for this attachment (may be NULL). */
    void (*detach)(void *ctx);
} aw_loop_hooks;

/* Attaches a loop to the client (hooks are copied). *out on success. On
 * failure no hook is kept and detach is not called (the caller still owns
 * ctx). The loop keeps a housekeeping timer pending on the application's
 * loop until it is closed. AW_ERR_PARAM (a hook other than detach missing),
 * AW_ERR_NOMEM, AW_ERR_CLIENT_CLOSING. */
AW_API int aw_loop_new(aw_client *client, const aw_loop_hooks *hooks, aw_loop **out, aw_error *err);

/* Completes this loop's in-flight commands with AW_ERR_CLIENT_CLOSING, closes
 * its connections, removes its events and detaches it. Call it on the loop's
 * thread (or while the loop is not running). NULL is harmless. Inside one of
 * this loop's callbacks it takes effect once the callback returns. Loops
 * still attached when the client closes are closed by aw_client_close. */
AW_API void aw_loop_close(aw_loop *loop);

/* Commands submitted to this loop and not yet completed. */
AW_API size_t aw_loop_pending(const aw_loop *loop);

/* --- Callbacks ---------------------------------------------------------------
 * `err` is NULL on success; on failure `rec` is NULL (and `exists` false).
 * `err` and `rec` are valid only during the call; to keep the record,
 * aw_record_move it out. Callbacks never run inside the aw_*_async call that
 * submitted their command. */
typedef void (*aw_status_cb)(const aw_error *err, void *udata);
typedef void (*aw_record_cb)(const aw_error *err, aw_record *rec, void *udata);
typedef void (*aw_exists_cb)(const aw_error *err, bool exists, void *udata);

/* Opens connections from this loop to every node of the cluster until each
 * has conns_per_node (0 = the config's async_min_conns_per_node; at most
 * async_max_conns_per_node), so the first commands find them ready. cb runs
 * once on the loop when all of them are up (err NULL) or have ended, with
 * the first failure (connect errors, AW_ERR_CLIENT_CLOSING when the loop
 * closes first); the connections that came up stay in the pool either way.
 * AW_ERR_PARAM for a NULL loop or cb, a count of 0 with no configured
 * minimum, or a warm-up already under way on this loop. */
AW_API int aw_loop_warm_up(aw_loop *loop, uint32_t conns_per_node, aw_status_cb cb, void *udata,
                           aw_error *err);

/* Moves the record's contents to dst (which must not hold a record) and
 * leaves src empty; dst is then the caller's to aw_record_free. */
AW_API void aw_record_move(aw_record *dst, aw_record *src);

/* --- Commands (same meaning and policy rules as the sync ones) --------------- */
AW_API int aw_put_async(aw_loop *loop, const aw_policy *policy, const aw_key *key,
                        const aw_bin *bins, size_t n_bins, aw_status_cb cb, void *udata,
                        aw_error *err);
AW_API int aw_get_async(aw_loop *loop, const aw_policy *policy, const aw_key *key,
                        const char *const *bins, size_t n_bins, aw_record_cb cb, void *udata,
                        aw_error *err);
AW_API int aw_get_header_async(aw_loop *loop, const aw_policy *policy, const aw_key *key,
                               aw_record_cb cb, void *udata, aw_error *err);
AW_API int aw_exists_async(aw_loop *loop, const aw_policy *policy, const aw_key *key,
                           aw_exists_cb cb, void *udata, aw_error *err);
AW_API int aw_delete_async(aw_loop *loop, const aw_policy *policy, const aw_key *key,
                           aw_status_cb cb, void *udata, aw_error *err);
AW_API int aw_touch_async(aw_loop *loop, const aw_policy *policy, const aw_key *key,
                          aw_status_cb cb, void *udata, aw_error *err);
AW_API int aw_operate_async(aw_loop *loop, const aw_policy *policy, const aw_key *key,
                            const aw_op *ops, size_t n_ops, aw_record_cb cb, void *udata,
                            aw_error *err);

#ifdef __cplusplus
}
#endif
#endif
