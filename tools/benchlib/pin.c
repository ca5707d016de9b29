/* CPU pinning for the benchmarks; see pin.h. */
#include "pin.h"

#include <sched.h>

int bl_server_cpu(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    for (int cpu = CPU_SETSIZE - 1; cpu > 0; cpu--)
        if (CPU_ISSET(cpu, &set))
            return cpu;
    return 0;
}

void bl_pin_to_cpu0(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof set, &set);
}

int bl_pin_away_from(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    CPU_CLR(cpu, &set);
    int left = CPU_COUNT(&set);
    if (left > 0)
        sched_setaffinity(0, sizeof set, &set);
    return left;
}
