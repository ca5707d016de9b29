/*
 * aerowire/adapters/libevent.h — run aerowire's async commands on a libevent
 * event_base (header only; link with -levent).
 *
 *     struct event_base *base = event_base_new();
 *     aw_loop *loop;
 *     aw_error err;
 *     if (aw_libevent_attach(client, base, &loop, &err) != AW_OK) ...
 *     aw_get_async(loop, NULL, &key, NULL, 0, on_record, udata, &err);
 *     event_base_dispatch(base);      // your loop, run by you
 *     ...
 *     aw_loop_close(loop);            // or aw_client_close(client)
 *     event_base_free(base);          // after the loop is closed
 *
 * The attachment keeps a housekeeping timer pending, so event_base_dispatch
 * returns only once the loop is closed (from a callback, for instance) or
 * the base is told to exit. Everything here runs on the base's thread; the
 * base is never run or freed by aerowire.
 */
#ifndef AEROWIRE_ADAPTERS_LIBEVENT_H
#define AEROWIRE_ADAPTERS_LIBEVENT_H

#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "../async.h"

typedef struct aw_libevent_ctx {
    struct event_base *base;
} aw_libevent_ctx;

/* An fd watcher: one persistent event per direction, added as asked. */
typedef struct aw_libevent_io {
    struct event *rd, *wr;
    short watching;
    aw_io_cb cb;
    void *arg;
} aw_libevent_io;

/* A timer or a deferred call: one event without an fd. */
typedef struct aw_libevent_timer {
    struct event *ev;
    aw_timer_cb cb;
    void *arg;
} aw_libevent_timer;

static inline void aw_libevent_io_ready(evutil_socket_t fd, short what, void *arg) {
    aw_libevent_io *io = (aw_libevent_io *)arg;
    io->cb((int)fd, (short)(what & (EV_READ | EV_WRITE)), io->arg);
}

static inline void *aw_libevent_io_new(void *ctx, int fd, aw_io_cb cb, void *arg) {
    aw_libevent_ctx *c = (aw_libevent_ctx *)ctx;
    aw_libevent_io *io = (aw_libevent_io *)calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->cb = cb;
    io->arg = arg;
    io->rd = event_new(c->base, fd, EV_READ | EV_PERSIST, aw_libevent_io_ready, io);
    io->wr = event_new(c->base, fd, EV_WRITE | EV_PERSIST, aw_libevent_io_ready, io);
    if (!io->rd || !io->wr) {
        if (io->rd)
            event_free(io->rd);
        if (io->wr)
            event_free(io->wr);
        free(io);
        return NULL;
    }
    return io;
}

static inline void aw_libevent_io_update(void *p, short events) {
    aw_libevent_io *io = (aw_libevent_io *)p;
    short add = (short)(events & ~io->watching), del = (short)(io->watching & ~events);
    if (add & AW_EV_READ)
        event_add(io->rd, NULL);
    if (add & AW_EV_WRITE)
        event_add(io->wr, NULL);
    if (del & AW_EV_READ)
        event_del(io->rd);
    if (del & AW_EV_WRITE)
        event_del(io->wr);
    io->watching = events;
}

static inline void aw_libevent_io_free(void *p) {
    aw_libevent_io *io = (aw_libevent_io *)p;
    /* Safe from inside the event's own callback: libevent is done with it. */
    event_free(io->rd);
    event_free(io->wr);
    free(io);
}

static inline void aw_libevent_timer_fire(evutil_socket_t fd, short what, void *arg) {
    aw_libevent_timer *t = (aw_libevent_timer *)arg;
    (void)fd;
    (void)what;
    t->cb(t->arg);
}

static inline void *aw_libevent_timer_new(void *ctx, aw_timer_cb cb, void *arg) {
    aw_libevent_ctx *c = (aw_libevent_ctx *)ctx;
    aw_libevent_timer *t = (aw_libevent_timer *)calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cb = cb;
    t->arg = arg;
    t->ev = event_new(c->base, -1, 0, aw_libevent_timer_fire, t);
    if (!t->ev) {
        free(t);
        return NULL;
    }
    return t;
}

static inline void aw_libevent_timer_start(void *p, uint32_t ms) {
    aw_libevent_timer *t = (aw_libevent_timer *)p;
    struct timeval tv;
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
    event_add(t->ev, &tv); /* re-arms a pending timer */
}

static inline void aw_libevent_timer_stop(void *p) {
    event_del(((aw_libevent_timer *)p)->ev);
}

static inline void aw_libevent_timer_free(void *p) {
    aw_libevent_timer *t = (aw_libevent_timer *)p;
    event_free(t->ev);
    free(t);
}

/* A deferred call is an event that is never added, only made active: it
 * runs after the callbacks already due in this loop iteration. */
static inline void aw_libevent_defer_schedule(void *p) {
    event_active(((aw_libevent_timer *)p)->ev, EV_TIMEOUT, 1);
}

static inline void aw_libevent_detach(void *ctx) { free(ctx); }

/*
 * Attaches a new aw_loop for `base` to `client` (*out on success). Call it
 * on the base's thread, or before that thread runs the base. Close the loop
 * with aw_loop_close (or aw_client_close) before freeing the base.
 * Returns AW_OK, AW_ERR_PARAM, AW_ERR_NOMEM or AW_ERR_CLIENT_CLOSING.
 */
static inline int aw_libevent_attach(aw_client *client, struct event_base *base, aw_loop **out,
                                     aw_error *err) {
    if (!client || !base || !out)
        return aw_error_set(err, AW_ERR_PARAM, "NULL client, base or out");
    aw_libevent_ctx *ctx = (aw_libevent_ctx *)calloc(1, sizeof *ctx);
    if (!ctx)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the libevent adapter");
    ctx->base = base;
    aw_loop_hooks h;
    h.ctx = ctx;
    h.io_new = aw_libevent_io_new;
    h.io_update = aw_libevent_io_update;
    h.io_free = aw_libevent_io_free;
    h.timer_new = aw_libevent_timer_new;
    h.timer_start = aw_libevent_timer_start;
    h.timer_stop = aw_libevent_timer_stop;
    h.timer_free = aw_libevent_timer_free;
    h.defer_new = aw_libevent_timer_new; /* same shape: an event without an fd */
    h.defer_schedule = aw_libevent_defer_schedule;
    h.defer_free = aw_libevent_timer_free;
    h.detach = aw_libevent_detach;
    int rc = aw_loop_new(client, &h, out, err);
    if (rc != AW_OK)
        free(ctx); /* detach is called only for a loop that was attached */
    return rc;
}

#endif
