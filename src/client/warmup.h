/*
 * Async minimum connections and warm-up (warmup.c): each loop keeps
 * async_min_conns_per_node connections to every node (its housekeeping opens
 * what is missing), and aw_loop_warm_up opens them before traffic and says
 * when they are up.
 */
#ifndef AW_CLIENT_WARMUP_H
#define AW_CLIENT_WARMUP_H

#include <stdbool.h>
#include <stdint.h>

#include "aerowire/async.h"

struct aw_loop;
struct aw_conn;

/* One warm-up under way on a loop. */
typedef struct aw_loop_warm {
    bool active;
    uint32_t pending;       /* its connections not yet up nor failed */
    aw_status_cb cb;
    void *udata;
    aw_error first;         /* the first failure, code 0 when none */
} aw_loop_warm;

/* Housekeeping: opens connections to every node of the view that has fewer
 * than the loop's minimum. */
void aw_loop_fill_min(struct aw_loop *l);
/* A warm-up connection came up (e NULL) or failed (e says why). */
void aw_warm_conn_done(struct aw_conn *c, const aw_error *e);
/* From the loop's deferred run: ends a warm-up that has nothing pending. */
void aw_warm_poll(struct aw_loop *l);

#endif
