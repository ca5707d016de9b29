/*
 * Progress of a phase with a known total (the insert workload, loading the
 * embedded server): a bar redrawn in place on stderr when stderr is a
 * terminal, otherwise a line at every 10%.
 */
#ifndef AW_BENCH_PROGRESS_H
#define AW_BENCH_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct progress {
    const char *what;
    uint64_t total;
    bool tty;
    bool shown;          /* a bar is on screen */
    int last_step;       /* non-tty: last 10% step printed */
} progress;

void pg_init(progress *p, const char *what, uint64_t total);
/* Shows done of total. */
void pg_update(progress *p, uint64_t done);
/* Takes the bar off the screen (before printing other lines to the same
 * terminal); the next pg_update draws it again. */
void pg_hide(progress *p);
/* Ends the phase: clears the bar. */
void pg_end(progress *p);

#endif
