/* Sync workers: one blocking command at a time per thread. */
#include <time.h>

#include "backoff.h"
#include "runners.h"

static void pause_ms(uint32_t ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void *run_sync_worker(void *arg) {
    worker *w = arg;
    cmd *c = &w->cmds[0];
    while (cmd_next(c)) {
        aw_error err;
        int rc = cmd_run_sync(c, &err);
        cmd_done(c, rc, &err);
        uint32_t pause = backoff_after(&c->backoff_ms, rc, w->b->a->error_backoff_ms);
        if (pause)
            pause_ms(pause);
    }
    worker_finished(w);
    return NULL;
}
