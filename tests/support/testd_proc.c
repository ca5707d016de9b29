#include "testd_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* "127.0.0.1:P1,127.0.0.1:P2..." up to a space or the end: how many. */
static int read_ports(const char *p, uint16_t ports[16]) {
    int n = 0;
    while (*p && *p != ' ' && n < 16) {
        const char *colon = strchr(p, ':');
        if (!colon)
            break;
        ports[n++] = (uint16_t)atoi(colon + 1);
        p = colon + strcspn(colon, ", ");
        if (*p != ',')
            break;
        p++;
    }
    return n;
}

int tu_testd_start(tu_testd *t, const char *const *extra_args) {
    memset(t, 0, sizeof *t);
    char path[4096];
    const char *bin = getenv("AW_BIN");
    snprintf(path, sizeof path, "%s/aw-testd", bin && bin[0] ? bin : "build/bin");
    const char *argv[32] = {path, "--port", "0"};
    int argc = 3;
    for (int i = 0; extra_args && extra_args[i] && argc < 30; i++)
        argv[argc++] = extra_args[i];
    argv[argc] = NULL;
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(path, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    t->pid = pid;
    char line[1024];
    size_t n = 0;
    struct pollfd pfd = {pipefd[0], POLLIN, 0};
    while (n < sizeof line - 1 && poll(&pfd, 1, 5000) > 0) {
        ssize_t r = read(pipefd[0], line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(pipefd[0]);
    const char *p = strstr(line, "ready ");
    if (!p) {
        tu_testd_stop(t);
        return -1;
    }
    t->n_nodes = read_ports(p + 6, t->ports);
    const char *tls = strstr(p, " tls ");
    if (tls && read_ports(tls + 5, t->tls_ports) != t->n_nodes)
        t->n_nodes = 0;
    return t->n_nodes ? 0 : -1;
}

int tu_testd_stop(tu_testd *t) {
    if (t->pid <= 0)
        return -1;
    kill(t->pid, SIGTERM);
    int status = 0;
    waitpid(t->pid, &status, 0);
    t->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int tu_connect(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int tu_send(int fd, const void *p, size_t n) {
    const uint8_t *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n, int timeout_ms) {
    while (n) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, timeout_ms) <= 0)
            return -1;
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

uint8_t *tu_recv_frame(int fd, size_t *len, int timeout_ms) {
    if (timeout_ms <= 0)
        timeout_ms = 5000;
    uint8_t h[8];
    if (recv_all(fd, h, 8, timeout_ms) != 0)
        return NULL;
    uint64_t size = 0;
    for (int i = 2; i < 8; i++)
        size = size << 8 | h[i];
    if (size > (256u << 20))
        return NULL;
    uint8_t *f = malloc(8 + (size_t)size + 1);
    memcpy(f, h, 8);
    if (recv_all(fd, f + 8, (size_t)size, timeout_ms) != 0) {
        free(f);
        return NULL;
    }
    f[8 + size] = '\0';
    *len = 8 + (size_t)size;
    return f;
}

char *tu_info(uint16_t port, const char *names) {
    int fd = tu_connect(port);
    if (fd < 0)
        return NULL;
    size_t n = strlen(names);
    uint8_t h[8] = {2, 1, 0, 0, 0, 0, 0, 0};
    for (int i = 7; i >= 2; i--, n >>= 8)
        h[i] = (uint8_t)n;
    char *out = NULL;
    size_t len;
    if (tu_send(fd, h, 8) == 0 && tu_send(fd, names, strlen(names)) == 0) {
        uint8_t *f = tu_recv_frame(fd, &len, 0);
        if (f) {
            out = malloc(len - 8 + 1);
            memcpy(out, f + 8, len - 8);
            out[len - 8] = '\0';
            free(f);
        }
    }
    close(fd);
    return out;
}

uint32_t tu_testd_clock(uint16_t port, const char *args) {
    char req[128];
    snprintf(req, sizeof req, "testd-clock%s%s\n", args[0] ? ":" : "", args);
    char *body = tu_info(port, req);
    if (!body)
        return 0;
    const char *tab = strchr(body, '\t');
    char *end = NULL;
    unsigned long v = tab ? strtoul(tab + 1, &end, 10) : 0;
    if (!tab || end == tab + 1 || *end != '\n')
        v = 0;
    free(body);
    return (uint32_t)v;
}

int tu_testd_stop_failed;

int tu_testd_stop_group(tu_testd *t) {
    int status = tu_testd_stop(t);
    if (status != 0) {
        fprintf(stderr, "aw-testd did not exit cleanly (status %d)\n", status);
        tu_testd_stop_failed = 1;
    }
    return status == 0 ? 0 : -1;
}
