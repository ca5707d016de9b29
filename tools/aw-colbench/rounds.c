/* Timing paths in alternating rounds; see rounds.h. */
#include "rounds.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

static void time_pass(path *p, int round, double seconds) {
    if (p->reset)
        p->reset(p->ctx);
    figure *fg = &p->f[round];
    *fg = (figure){0};
    double t0 = bl_now_s(), c0 = bl_cpu_s(), f0 = bl_minflt();
    do {
        fg->rows += p->once(p->ctx);
        fg->wall = bl_now_s() - t0;
    } while (fg->wall < seconds);
    fg->cpu = bl_cpu_s() - c0;
    fg->faults = bl_minflt() - f0;
    char why[256];
    if (p->check && !p->check(p->ctx, why, sizeof why)) {
        fprintf(stderr, "aw-colbench: %s, round %d: %s\n", p->name, round + 1, why);
        exit(1);
    }
}

void rounds_time(path *p, size_t n, int rounds, double seconds, bool verbose) {
    /* The order rotates among the paths that run, whichever those are. */
    path **run = calloc(n ? n : 1, sizeof *run);
    size_t m = 0;
    if (!run) {
        fprintf(stderr, "aw-colbench: out of memory\n");
        exit(1);
    }
    for (size_t k = 0; k < n; k++)
        if (p[k].run)
            run[m++] = &p[k];
    for (int r = 0; r < rounds; r++)
        for (size_t k = 0; k < m; k++) {
            path *q = run[(k + (size_t)r) % m];
            time_pass(q, r, seconds);
            if (verbose)
                printf("  round %d  %-15s %11.0f records/s  %8.3f us cpu/record\n", r + 1,
                       q->name, q->f[r].rows / q->f[r].wall, q->f[r].cpu * 1e6 / q->f[r].rows);
        }
    free(run);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef enum measure { RATE, CPU, FAULTS } measure;

static double per_round(const figure *f, measure s) {
    switch (s) {
    case RATE:
        return f->rows / f->wall;
    case CPU:
        return f->cpu * 1e6 / f->rows;
    case FAULTS:
        break;
    }
    return f->faults / f->rows;
}

/* Sorted values of one statistic over the rounds. */
static void sorted(const path *p, int rounds, measure s, double *out) {
    for (int r = 0; r < rounds; r++)
        out[r] = per_round(&p->f[r], s);
    qsort(out, (size_t)rounds, sizeof *out, cmp_double);
}

static double median(const double *v, int n) {
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double rounds_median_rate(const path *p, int rounds) {
    double v[MAX_ROUNDS];
    sorted(p, rounds, RATE, v);
    return median(v, rounds);
}

double rounds_median_cpu(const path *p, int rounds) {
    double v[MAX_ROUNDS];
    sorted(p, rounds, CPU, v);
    return median(v, rounds);
}

void rounds_print(const char *what, const path *p, size_t n, int rounds) {
    printf("%s\n", what);
    printf("  %-15s %35s  %26s  %20s\n", "min median max:", "records/s", "us cpu/record",
           "page faults/record");
    for (size_t k = 0; k < n; k++) {
        if (!p[k].run)
            continue;
        double rate[MAX_ROUNDS], cpu[MAX_ROUNDS], faults[MAX_ROUNDS];
        sorted(&p[k], rounds, RATE, rate);
        sorted(&p[k], rounds, CPU, cpu);
        sorted(&p[k], rounds, FAULTS, faults);
        printf("  %-15s %11.0f %11.0f %11.0f  %8.3f %8.3f %8.3f  %6.3f %6.3f %6.3f\n", p[k].name,
               rate[0], median(rate, rounds), rate[rounds - 1], cpu[0], median(cpu, rounds),
               cpu[rounds - 1], faults[0], median(faults, rounds), faults[rounds - 1]);
    }
}
