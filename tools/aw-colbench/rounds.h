/*
 * Timing paths against each other fairly: every round times each chosen
 * path once, in an order that rotates from round to round (with two paths:
 * alternating which goes first), and each path's figures are reported as
 * min / median / max over the rounds. Before each pass the path's output is
 * scribbled over (untimed), and after it the output is checked against
 * what was written: a figure is printed only for a path that ran, and only
 * once every one of its passes produced the right rows.
 */
#ifndef AW_COLBENCH_ROUNDS_H
#define AW_COLBENCH_ROUNDS_H

#include <stdbool.h>
#include <stddef.h>

#define MAX_ROUNDS 99

typedef struct figure {
    double rows, wall, cpu, faults; /* records, seconds, seconds, minor faults */
} figure;

typedef struct path {
    const char *name;
    /* Does the work once; returns the records it produced. */
    double (*once)(void *ctx);
    /* Before each pass, untimed (NULL: nothing): scribbles over the output. */
    void (*reset)(void *ctx);
    /* After each pass (NULL: nothing to check): false when the output is
     * not what was written; `why` then says where. */
    bool (*check)(void *ctx, char *why, size_t why_cap);
    void *ctx;
    bool run;               /* chosen with -m */
    figure f[MAX_ROUNDS];   /* one per round */
} path;

/* Times every chosen path of p[0..n) `rounds` times, each pass at least
 * `seconds` long; `verbose` prints each pass's figures as it ends, in the
 * order they ran. A failed check prints the path and why on stderr and
 * exits 1. */
void rounds_time(path *p, size_t n, int rounds, double seconds, bool verbose);

/* Prints `what`, then per path that ran its records/s, CPU us per record
 * and page faults per record (min / median / max over the rounds). */
void rounds_print(const char *what, const path *p, size_t n, int rounds);

/* The median records/s and CPU us per record of a path that ran. */
double rounds_median_rate(const path *p, int rounds);
double rounds_median_cpu(const path *p, int rounds);

#endif
