/* Starting aw-testd next to a tool; see spawn.h. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

static pid_t fail(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static pid_t fail(char *why, size_t cap, const char *fmt, ...) {
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

pid_t td_spawn_on(int cpu, char *host, size_t cap, char *why, size_t why_cap) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return fail(why, why_cap, "cannot find this program's directory: %s", strerror(errno));
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return fail(why, why_cap, "cannot find this program's directory");
    snprintf(slash + 1, sizeof self - (size_t)(slash + 1 - self), "aw-testd");
    if (access(self, X_OK) != 0)
        return fail(why, why_cap, "%s: %s", self, strerror(errno));
    int pfd[2];
    if (pipe(pfd) != 0)
        return fail(why, why_cap, "pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return fail(why, why_cap, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* Signals the tool blocks for itself must reach the server. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1); /* the tool died before prctl */
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            sched_setaffinity(0, sizeof set, &set);
        }
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
        return fail(why, why_cap, "%s did not say it was ready within 5 s", self);
    }
    snprintf(host, cap, "%s", r + 6);
    return pid;
}

pid_t td_spawn_ex(char *host, size_t cap, char *why, size_t why_cap) {
    return td_spawn_on(-1, host, cap, why, why_cap);
}

pid_t td_spawn(char *host, size_t cap) { return td_spawn_ex(host, cap, NULL, 0); }

void td_spawn_stop(pid_t pid) {
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}
