/* Progress bar or percentages on stderr; see progress.h. */
#include "progress.h"

#include <inttypes.h>
#include <unistd.h>

#define BAR 40

void pg_init(progress *p, const char *what, uint64_t total) {
    p->what = what;
    p->total = total ? total : 1;
    p->tty = isatty(2);
    p->shown = false;
    p->last_step = 0;
}

void pg_update(progress *p, uint64_t done) {
    if (done > p->total)
        done = p->total;
    int pct = (int)(done * 100 / p->total);
    if (!p->tty) {
        int step = pct / 10;
        if (step > p->last_step) {
            p->last_step = step;
            fprintf(stderr, "aw-bench: %s %d%% (%" PRIu64 " of %" PRIu64 ")\n", p->what, step * 10,
                    done, p->total);
        }
        return;
    }
    int fill = (int)(done * BAR / p->total);
    char bar[BAR + 1];
    for (int i = 0; i < BAR; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[BAR] = '\0';
    fprintf(stderr, "\r\033[K%s [%s] %3d%% %" PRIu64 "/%" PRIu64, p->what, bar, pct, done,
            p->total);
    fflush(stderr);
    p->shown = true;
}

void pg_hide(progress *p) {
    if (p->tty && p->shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
        p->shown = false;
    }
}

void pg_end(progress *p) { pg_hide(p); }
