/*
 * The clocks every benchmark figure is computed from: the wall clock
 * (monotonic), this process's CPU time and its minor page faults.
 */
#ifndef AW_BENCHLIB_CLOCK_H
#define AW_BENCHLIB_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic wall clock: nanoseconds and seconds. Inline: aw-bench reads it
 * twice per command. */
static inline uint64_t bl_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static inline double bl_now_s(void) { return (double)bl_now_ns() / 1e9; }

/* This process's CPU time, user + system, all threads: seconds. */
double bl_cpu_s(void);
/* This process's minor page faults so far (memory taken fresh from the
 * system). */
double bl_minflt(void);

#endif
