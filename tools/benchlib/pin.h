/*
 * CPU pinning for the benchmarks: the server they start runs on one CPU
 * (bl_server_cpu, passed to td_spawn_on) and the client on the others, so
 * the two do not share a core and the client's CPU time is its own.
 */
#ifndef AW_BENCHLIB_PIN_H
#define AW_BENCHLIB_PIN_H

/* The CPU a benchmark puts its server on: the highest this process may run
 * on (0 when that cannot be read). */
int bl_server_cpu(void);
/* Pins the calling thread (and the threads it starts afterwards) to CPU 0. */
void bl_pin_to_cpu0(void);
/* Pins the calling thread (and the threads it starts afterwards) to every
 * CPU this process may run on except `cpu`. Returns how many CPUs that
 * leaves, or 0 when `cpu` is the only one (nothing is changed then). */
int bl_pin_away_from(int cpu);

#endif
