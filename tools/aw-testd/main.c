/*
 * aw-testd — an in-memory Aerospike-protocol server for tests and demos.
 *
 *   aw-testd [--port P] [--nodes N] [--namespaces test,bar] [--default-ttl S]
 *            [--max-record-size BYTES] [--cluster-name NAME] [--racks R1,R2,...]
 *            [--compress] [--tls-ports P1,P2,... [--tls-name NAME]]
 *            [--tls-port P --tls-cert FILE --tls-key FILE [--tls-cafile FILE]
 *             [--tls-name NAME]] [--security [--token-ttl S]]
 *
 * Prints one line "aw-testd ready 127.0.0.1:P[,127.0.0.1:P2...]" once every
 * node listens (with --tls-port followed by " tls 127.0.0.1:T[,...]", the
 * nodes' TLS ports), then serves until SIGINT/SIGTERM.
 */
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testd.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: aw-testd [options]\n"
            "  --port P               first node's port (default 3000; 0 = free ports)\n"
            "  --nodes N              nodes on consecutive ports (default 1, max %d)\n"
            "  --namespaces A,B       namespaces (default test,bar)\n"
            "  --default-ttl S        default record TTL in seconds (default 0 = never)\n"
            "  --max-record-size B    write-block limit (default 1048576)\n"
            "  --cluster-name NAME    (default aw-testd)\n"
            "  --tls-port P           each node also takes TLS itself, node i on P+i (0 = free\n"
            "                         ports), as a server's tls-port; needs --tls-cert and\n"
            "                         --tls-key. peers-tls-std and service-tls-std announce them\n"
            "  --tls-cert FILE        the nodes' certificate (PEM, may hold the chain)\n"
            "  --tls-key FILE         its private key (PEM, unencrypted)\n"
            "  --tls-cafile FILE      require client certificates signed by this CA (mutual TLS)\n"
            "  --tls-ports P1,P2,...  instead of --tls-port: the TLS port of a proxy (such as\n"
            "                         stunnel) in front of each node's plain port, which\n"
            "                         peers-tls-std and service-tls-std then announce\n"
            "  --tls-name NAME        the TLS name those answers give (the certificate's name)\n"
            "  --racks R1,R2,...      rack id of each node (answers rack-ids and racks as an\n"
            "                         Enterprise server; replicas on another rack)\n"
            "  --compress             take compressed requests and compress replies asked\n"
            "                         for (info1 0x80) as an Enterprise server (default: 25)\n"
            "  --security             users, roles and logins, as an Enterprise server with\n"
            "                         security on (user admin, password admin: user-admin)\n"
            "  --token-ttl S          session token TTL in seconds (default 86400)\n"
            "Control at run time with info commands: testd-kill:node=I, testd-revive:node=I,\n"
            "testd-fault:node=I;delay=MS;drop-after=B;truncate=1;garbage=1;oversize=1;refuse=1;\n"
            "blackhole=1, testd-move:partition=P;master=I;replica=J, testd-nodes,\n"
            "testd-clock:advance=S;freeze=1|0, testd-security:expire-password=USER,\n"
            "testd-security:end-sessions=1.\n",
            TD_MAX_NODES);
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out) {
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* "P1,P2,..." into ports (at most TD_MAX_NODES of 1..65535). */
static bool parse_ports(const char *s, uint16_t *ports, int *n) {
    *n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint32_t v;
        if (*n == TD_MAX_NODES || !parse_u32(tok, 65535, &v) || v == 0)
            return false;
        ports[(*n)++] = (uint16_t)v;
    }
    return *n > 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg) {
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv) {
    td_config cfg = {.port = 3000, .nodes = 1};
    static const struct option opts[] = {
        {"port", required_argument, 0, 'p'},       {"nodes", required_argument, 0, 'n'},
        {"namespaces", required_argument, 0, 's'}, {"default-ttl", required_argument, 0, 't'},
        {"max-record-size", required_argument, 0, 'm'},
        {"cluster-name", required_argument, 0, 'c'}, {"racks", required_argument, 0, 'r'},
        {"compress", no_argument, 0, 'z'},
        {"tls-ports", required_argument, 0, 'T'},  {"tls-name", required_argument, 0, 'N'},
        {"tls-port", required_argument, 0, 'P'},   {"tls-cert", required_argument, 0, 'C'},
        {"tls-key", required_argument, 0, 'K'},    {"tls-cafile", required_argument, 0, 'A'},
        {"security", no_argument, 0, 'S'},         {"token-ttl", required_argument, 0, 'L'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int o;
    uint32_t v;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p':
            if (!parse_u32(optarg, 65535, &v))
                goto bad;
            cfg.port = (uint16_t)v;
            break;
        case 'n':
            if (!parse_u32(optarg, TD_MAX_NODES, &v) || v == 0)
                goto bad;
            cfg.nodes = (int)v;
            break;
        case 's':
            cfg.namespaces = optarg;
            break;
        case 't':
            if (!parse_u32(optarg, 315360000, &v))
                goto bad;
            cfg.default_ttl = v;
            break;
        case 'm':
            if (!parse_u32(optarg, 128u << 20, &v) || v < 1024)
                goto bad;
            cfg.max_record_size = v;
            break;
        case 'c':
            cfg.cluster_name = optarg;
            break;
        case 'T':
            if (!parse_ports(optarg, cfg.tls_ports, &cfg.n_tls_ports))
                goto bad;
            break;
        case 'N':
            cfg.tls_name = optarg;
            break;
        case 'P':
            if (!parse_u32(optarg, 65535, &v))
                goto bad;
            cfg.tls_listen = true;
            cfg.tls_port = (uint16_t)v;
            break;
        case 'C':
            cfg.tls_cert = optarg;
            break;
        case 'K':
            cfg.tls_key = optarg;
            break;
        case 'A':
            cfg.tls_cafile = optarg;
            break;
        case 'r':
            cfg.racks = optarg;
            break;
        case 'z':
            cfg.compress = true;
            break;
        case 'S':
            cfg.security = true;
            break;
        case 'L':
            if (!parse_u32(optarg, 864000, &v) || v == 0)
                goto bad;
            cfg.token_ttl_s = v;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc)
        goto bad;
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    if (!base) {
        fprintf(stderr, "aw-testd: cannot create an event base\n");
        return 1;
    }
    char err[256];
    td_server *s = td_server_start(base, &cfg, err, sizeof err);
    if (!s) {
        fprintf(stderr, "aw-testd: %s\n", err);
        event_base_free(base);
        return 1;
    }
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);
    printf("aw-testd ready");
    for (int i = 0; i < td_server_nodes(s); i++)
        printf("%s127.0.0.1:%u", i ? "," : " ", td_server_port(s, i));
    for (int i = 0; cfg.tls_listen && i < td_server_nodes(s); i++)
        printf("%s127.0.0.1:%u", i ? "," : " tls ", td_server_tls_port(s, i));
    printf("\n");
    fflush(stdout);
    event_base_dispatch(base);
    event_free(sigint);
    event_free(sigterm);
    td_server_free(s);
    event_base_free(base);
    return 0;

bad:
    fprintf(stderr, "aw-testd: bad argument '%s'\n", optind <= argc && optind > 0 ? argv[optind - 1] : "");
    usage(stderr);
    return 2;
}
