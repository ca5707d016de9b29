#include "tls_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs a shell command in dir, its output discarded; true when it exits 0. */
static bool run_in(const char *dir, const char *cmd) {
    char line[2048];
    snprintf(line, sizeof line, "cd '%s' && { %s ; } >/dev/null 2>&1", dir, cmd);
    int st = system(line);
    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

#define EC_KEY "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
#define SRV_SAN "-addext subjectAltName=DNS:aw-node,IP:127.0.0.1"

int tu_tls_make_certs(char *dir, size_t cap) {
    snprintf(dir, cap, "/tmp/aw-tls-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    static const char *const steps[] = {
        "openssl req -x509 " EC_KEY " -keyout ca.key -out ca.pem -days 2 -subj /CN=aw-test-ca",
        "openssl req -x509 " EC_KEY " -keyout other.key -out other.pem -days 2 "
        "-subj /CN=aw-other-ca",
        "openssl req -x509 " EC_KEY " -keyout srv.key -out srv.pem -days 2 -subj /CN=aw-node "
        "-CA ca.pem -CAkey ca.key " SRV_SAN,
        "openssl req -x509 " EC_KEY " -keyout cli.key -out cli.pem -days 2 -subj /CN=aw-client "
        "-CA ca.pem -CAkey ca.key",
        /* `req` cannot date a certificate in the past; `ca` can. */
        "printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=index.txt\\nnew_certs_dir=.\\n"
        "serial=serial\\ndefault_md=sha256\\npolicy=p\\ncopy_extensions=copy\\n"
        "[p]\\ncommonName=supplied\\n' > ca.cnf && : > index.txt && echo 1000 > serial",
        "openssl req " EC_KEY " -keyout old.key -out old.csr -subj /CN=aw-node " SRV_SAN,
        "openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in old.csr -out old.pem "
        "-startdate 20200101000000Z -enddate 20200102000000Z -notext",
        NULL};
    for (int i = 0; steps[i]; i++) {
        if (!run_in(dir, steps[i])) {
            fprintf(stderr, "tls certificates: failed: %s\n", steps[i]);
            tu_tls_remove_certs(dir);
            return -1;
        }
    }
    return 0;
}

void tu_tls_remove_certs(const char *dir) {
    if (!dir[0] || strncmp(dir, "/tmp/aw-tls-", 12) != 0)
        return;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int tu_tls_serial(const char *pem, char *out, size_t cap) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "openssl x509 -noout -serial -in '%s'", pem);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[200] = "";
    bool ok = fgets(line, sizeof line, p) != NULL;
    pclose(p);
    const char *eq = strchr(line, '=');
    if (!ok || !eq)
        return -1;
    snprintf(out, cap, "%s", eq + 1);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

uint16_t tu_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static bool accepts(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

int tu_stunnel_start(tu_stunnel *st, const char *dir, const char *cert, uint16_t accept_port,
                     uint16_t target, bool verify_client) {
    memset(st, 0, sizeof *st);
    st->port = accept_port;
    snprintf(st->conf, sizeof st->conf, "%s/stunnel-%u.conf", dir, accept_port);
    FILE *f = fopen(st->conf, "w");
    if (!f)
        return -1;
    fprintf(f,
            "foreground = yes\npid =\nsyslog = no\noutput = %s/stunnel-%u.log\n"
            "[aw]\naccept = 127.0.0.1:%u\nconnect = 127.0.0.1:%u\ncert = %s/%s.pem\n"
            "key = %s/%s.key\nsocket = l:TCP_NODELAY=1\nsocket = r:TCP_NODELAY=1\n",
            dir, accept_port, accept_port, target, dir, cert, dir, cert);
    if (verify_client)
        fprintf(f, "verifyChain = yes\nCAfile = %s/ca.pem\n", dir);
    fclose(f);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", 1);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp("stunnel4", "stunnel4", st->conf, (char *)NULL);
        execlp("stunnel", "stunnel", st->conf, (char *)NULL);
        _exit(127);
    }
    st->pid = pid;
    /* Ready when its port accepts; give up when it died or after 5 s. */
    for (int i = 0; i < 500; i++) {
        if (accepts(accept_port))
            return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "stunnel exited (is stunnel4 installed? scripts/install-deps)\n");
            st->pid = 0;
            return -1;
        }
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    tu_stunnel_stop(st);
    return -1;
}

void tu_stunnel_stop(tu_stunnel *st) {
    if (st->pid <= 0)
        return;
    kill(st->pid, SIGTERM);
    waitpid(st->pid, NULL, 0);
    st->pid = 0;
}
