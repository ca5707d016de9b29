/* Starting aw-testd next to the benchmark tools; see spawn.h. */
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

pid_t td_spawn(char *host, size_t cap) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int cpu = ncpu > 1 ? (int)ncpu - 1 : 0;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    snprintf(slash + 1, sizeof self - (size_t)(slash + 1 - self), "aw-testd");
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execl(self, self, "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    char line[256];
    size_t len = 0;
    struct pollfd p = {pfd[0], POLLIN, 0};
    while (len < sizeof line - 1 && poll(&p, 1, 5000) > 0) {
        if (read(pfd[0], line + len, 1) != 1 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    close(pfd[0]);
    const char *r = strstr(line, "ready ");
    if (!r) {
        td_spawn_stop(pid);
        return -1;
    }
    snprintf(host, cap, "%s", r + 6);
    return pid;
}

void td_pin_to_cpu0(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof set, &set);
}

void td_spawn_stop(pid_t pid) {
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}
