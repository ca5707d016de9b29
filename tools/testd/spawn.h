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
 * td_spawn_cpu(), waits (up to 5 s) for its ready line and copies the first
 * node's address into host. Returns its pid, or -1.
 * The server runs in its own process group, so a Ctrl-C at the terminal
 * reaches only the tool (which stops the server with td_spawn_stop), and it
 * is sent SIGTERM if the tool dies without stopping it. */
pid_t td_spawn(char *host, size_t cap);
/* The same; on failure `why` (may be NULL) says what went wrong. */
pid_t td_spawn_ex(char *host, size_t cap, char *why, size_t why_cap);
/* The CPU a spawned server is pinned to: the highest this process may run
 * on (0 when that cannot be read). */
int td_spawn_cpu(void);
/* Pins the calling thread to CPU 0, away from a spawned server. */
void td_pin_to_cpu0(void);
/* Pins the calling thread (and the threads it starts afterwards) to every
 * CPU this process may run on except `cpu`. Returns how many CPUs that
 * leaves, or 0 when `cpu` is the only one (nothing is changed then). */
int td_pin_away_from(int cpu);
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
