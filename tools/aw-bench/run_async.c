/* Async workers: an event loop per thread, its command slots always in
 * flight until there is nothing more to issue. */
#include <event2/event.h>

#include "aerowire/adapters/libevent.h"
#include "backoff.h"
#include "runners.h"

static void issue(cmd *c);

/* The slot is free: issue its next command, and close the loop once the
 * last slot has nothing more to do. */
static void next(cmd *c) {
    worker *w = c->w;
    w->inflight--;
    issue(c);
    if (w->inflight == 0)
        aw_loop_close(w->loop); /* takes effect when this callback returns */
}

static void pause_over(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    next(arg);
}

/* A slot's command has its answer: count it, then go on at once, or after
 * a pause when the client failed it without trying (the slot stays busy
 * meanwhile, so the loop is not closed under it). */
static void complete(cmd *c, int rc, const aw_error *err) {
    cmd_done(c, rc, err);
    uint32_t pause = backoff_after(&c->backoff_ms, rc, c->w->b->a->error_backoff_ms);
    if (pause && c->pause_ev) {
        struct timeval tv = {(time_t)(pause / 1000), (suseconds_t)(pause % 1000) * 1000};
        if (evtimer_add(c->pause_ev, &tv) == 0)
            return;
    }
    next(c);
}

static void on_status(const aw_error *err, void *udata) {
    complete(udata, err ? err->code : AW_OK, err);
}

static void on_record(const aw_error *err, aw_record *rec, void *udata) {
    (void)rec; /* the library frees it after the callback */
    complete(udata, err ? err->code : AW_OK, err);
}

static void on_batch(const aw_error *err, void *udata) {
    complete(udata, err ? err->code : AW_OK, err);
}

static int submit(cmd *c, aw_error *err) {
    worker *w = c->w;
    bench *b = w->b;
    const bench_args *a = b->a;
    switch (c->type) {
    case OP_READ:
        return aw_get_async(w->loop, &b->read_pol, &c->key, NULL, 0, on_record, c, err);
    case OP_WRITE:
        return aw_put_async(w->loop, &b->write_pol, &c->key, c->vals.bins, a->spec.n, on_status,
                            c, err);
    case OP_DELETE:
        return aw_delete_async(w->loop, &b->delete_pol, &c->key, on_status, c, err);
    case OP_BATCH_READ:
        if (a->batch_mode == BM_COLUMNAR)
            return aw_batch_read_into_async(w->loop, &b->batch_read_pol, c->keys, c->n, NULL, 0,
                                            b->dt, c->rows, (size_t)c->n * b->itemsize, NULL,
                                            c->codes, on_batch, c, err);
        return aw_batch_get_async(w->loop, &b->batch_read_pol, c->keys, c->n, NULL, 0, false,
                                  c->res, on_batch, c, err);
    case OP_BATCH_WRITE:
        if (a->batch_mode == BM_COLUMNAR)
            return aw_batch_write_from_async(w->loop, &b->batch_write_pol, c->wrows,
                                             (size_t)c->n * b->itemsize, c->n, b->dt, a->ns,
                                             a->set, "_key", c->codes, NULL, NULL, on_batch, c,
                                             err);
        return aw_batch_operate_async(w->loop, &b->batch_write_pol, c->ops, c->n, c->res,
                                      on_batch, c, err);
    case OP_TYPES:
        break;
    }
    return aw_error_set(err, AW_ERR_PARAM, "no such command");
}

/* Issues the slot's next command, if there is one. A refused submit counts
 * as a failed command and retires the slot: the refusal (a closing loop, a
 * bad argument) would only repeat. */
static void issue(cmd *c) {
    if (!cmd_next(c))
        return;
    aw_error err;
    int rc = submit(c, &err);
    if (rc == AW_OK)
        c->w->inflight++;
    else
        cmd_done(c, rc, &err);
}

void *run_async_worker(void *arg) {
    worker *w = arg;
    bench *b = w->b;
    aw_error err;
    w->base = event_base_new();
    if (!w->base) {
        bench_note_error(b, OP_READ, AW_ERR_NOMEM, "cannot create an event base");
    } else if (aw_libevent_attach(b->client, w->base, &w->loop, &err) != AW_OK) {
        bench_note_error(b, OP_READ, err.code, err.message);
    } else {
        /* Without its timer a slot just goes on at once (complete). */
        for (size_t i = 0; i < w->n_cmds; i++)
            w->cmds[i].pause_ev = evtimer_new(w->base, pause_over, &w->cmds[i]);
        for (size_t i = 0; i < w->n_cmds; i++)
            issue(&w->cmds[i]);
        if (w->inflight == 0)
            aw_loop_close(w->loop);
        else
            event_base_dispatch(w->base); /* returns once complete() closes the loop */
        w->loop = NULL;
    }
    for (size_t i = 0; i < w->n_cmds; i++) {
        if (w->cmds[i].pause_ev)
            event_free(w->cmds[i].pause_ev);
        w->cmds[i].pause_ev = NULL;
    }
    if (w->base)
        event_base_free(w->base);
    w->base = NULL;
    worker_finished(w);
    return NULL;
}
