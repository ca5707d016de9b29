/* Sync workers: one blocking command at a time per thread. */
#include "runners.h"

void *run_sync_worker(void *arg) {
    worker *w = arg;
    cmd *c = &w->cmds[0];
    while (cmd_next(c)) {
        aw_error err;
        int rc = cmd_run_sync(c, &err);
        cmd_done(c, rc, &err);
    }
    worker_finished(w);
    return NULL;
}
