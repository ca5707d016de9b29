/* The progress line of aw scan / query (progress.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "progress.h"

#define DEFAULT_EVERY_MS 250

static double seconds_since(const struct timespec *t) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void cli_progress_start(cli_progress *p, const char *what, bool json, bool records_on_stdout) {
    memset(p, 0, sizeof *p);
    p->what = what;
    p->every_ms = DEFAULT_EVERY_MS;
    const char *env = getenv("AW_PROGRESS");
    uint32_t ms;
    if (json || (env && strcmp(env, "never") == 0))
        p->on = false;
    else if (env && cli_parse_u32(env, 0, 3600000, &ms)) {
        p->on = true;
        p->every_ms = ms;
    } else {
        p->on = isatty(STDERR_FILENO) && !(records_on_stdout && isatty(STDOUT_FILENO));
    }
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->shown = p->start;
}

/* "\r, erase the line, aw scan: N records, S s, R records/s" */
static void show(cli_progress *p, uint64_t records, const char *end) {
    double s = seconds_since(&p->start);
    fprintf(stderr, "\r\033[Kaw %s: %llu records, %.1f s", p->what, (unsigned long long)records,
            s);
    if (s >= 0.001)
        fprintf(stderr, ", %.0f records/s", (double)records / s);
    fputs(end, stderr);
    fflush(stderr);
}

void cli_progress_update(cli_progress *p, uint64_t records) {
    if (!p->on || seconds_since(&p->shown) * 1000.0 < p->every_ms)
        return;
    clock_gettime(CLOCK_MONOTONIC, &p->shown);
    show(p, records, "");
}

void cli_progress_end(cli_progress *p, uint64_t records) {
    if (p->on)
        show(p, records, "\n");
}
