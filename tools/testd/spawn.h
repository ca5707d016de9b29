/*
 * What the benchmark tools share: running the aw-testd program that sits
 * next to them as a child on free ports, with client and server on
 * different cores, and the two clocks every figure is computed from.
 */
#ifndef AW_TESTD_SPAWN_H
#define AW_TESTD_SPAWN_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

/* Starts the aw-testd in this program's directory with --port 0, pinned to
 * the last CPU, waits (up to 5 s) for its ready line and copies the first
 * node's address into host. Returns its pid, or -1. */
pid_t td_spawn(char *host, size_t cap);
/* Pins the calling thread to CPU 0, away from a spawned server. */
void td_pin_to_cpu0(void);
/* SIGTERM, then waits for it. pid <= 0 is harmless. */
void td_spawn_stop(pid_t pid);

/* Wall clock (monotonic) and this process's CPU time (user + sys), seconds. */
static inline double td_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static inline double td_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

#endif
