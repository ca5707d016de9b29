/* Async minimum connections and aw_loop_warm_up (warmup.h). */
#include "warmup.h"

#include "conn.h"
#include "loop.h"

/* Opens connections to n until it has want; returns how many it opened,
 * the first failure in *e. */
static uint32_t open_to(aw_loop *l, aw_node *n, uint32_t want, bool warming, aw_error *e) {
    aw_error local;
    aw_loop_node *ln = aw_loop_node_get(l, n, &local);
    if (!ln) {
        if (e && !e->code)
            *e = local;
        return 0;
    }
    uint32_t opened = 0;
    while (ln->n_conns < want) {
        aw_conn *c = aw_conn_open(ln, &local);
        if (!c) {
            if (e && !e->code)
                *e = local;
            aw_node_add_error(n);
            break;
        }
        c->warming = warming;
        opened++;
    }
    return opened;
}

void aw_loop_fill_min(aw_loop *l) {
    if (!l->min_conns || l->closing || !l->view)
        return;
    for (size_t i = 0; i < l->view->n_nodes; i++)
        if (aw_node_is_active(l->view->nodes[i]))
            open_to(l, l->view->nodes[i], l->min_conns, false, NULL);
}

static void finish(aw_loop *l) {
    aw_loop_warm *w = &l->warm;
    w->active = false;
    aw_error e = w->first;
    aw_cb_frame f;
    aw_cb_frame_push(&f, l->client);
    w->cb(e.code ? &e : NULL, w->udata);
    aw_cb_frame_pop(&f);
}

void aw_warm_conn_done(aw_conn *c, const aw_error *e) {
    aw_loop *l = c->ln->loop;
    aw_loop_warm *w = &l->warm;
    c->warming = false;
    if (e && !w->first.code)
        w->first = *e;
    if (--w->pending == 0)
        finish(l);
}

void aw_warm_poll(aw_loop *l) {
    if (l->warm.active && l->warm.pending == 0)
        finish(l);
}

int aw_loop_warm_up(aw_loop *l, uint32_t conns_per_node, aw_status_cb cb, void *udata,
                    aw_error *err) {
    if (!l || !cb)
        return aw_error_set(err, AW_ERR_PARAM, "aw_loop_warm_up: NULL loop or callback");
    if (l->closing || l->client->close_pending)
        return aw_error_set(err, AW_ERR_CLIENT_CLOSING, "the event loop is closing");
    if (l->warm.active)
        return aw_error_set(err, AW_ERR_PARAM, "aw_loop_warm_up: one is already under way");
    uint32_t want = conns_per_node ? conns_per_node : l->min_conns;
    if (want == 0)
        return aw_error_set(err, AW_ERR_PARAM,
                            "aw_loop_warm_up: no count given and async_min_conns_per_node is 0");
    if (want > l->max_conns)
        want = l->max_conns;
    aw_loop_enter(l);
    aw_loop_view_refresh(l);
    l->warm = (aw_loop_warm){.active = true, .cb = cb, .udata = udata};
    for (size_t i = 0; i < l->view->n_nodes; i++)
        if (aw_node_is_active(l->view->nodes[i]))
            l->warm.pending += open_to(l, l->view->nodes[i], want, true, &l->warm.first);
    if (l->warm.pending == 0)
        aw_loop_schedule(l); /* nothing to wait for: the callback runs from the loop */
    aw_loop_leave(l);
    aw_error_reset(err);
    return AW_OK;
}
