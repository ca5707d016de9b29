/* aw-bench's command line; see args.h and docs/bench.md. */
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/aerowire.h"
#include "tlsflags.h"
#include "keys.h"

/* Long options without a short letter. */
enum {
    O_HELP = 1000,
    O_BATCH_SIZE,
    O_BATCH_READ_SIZE,
    O_BATCH_WRITE_SIZE,
    O_BATCH_MODE,
    O_COUNT,
    O_JSON,
    O_SOCKET_TIMEOUT,
    O_READ_SOCKET_TIMEOUT,
    O_WRITE_SOCKET_TIMEOUT,
    O_READ_TIMEOUT,
    O_WRITE_TIMEOUT,
    O_MAX_RETRIES,
    O_SLEEP_BETWEEN_RETRIES,
    O_SEND_KEY,
    O_CONNECT_TIMEOUT,
    O_TENDER_INTERVAL,
    O_MAX_ERROR_RATE,
    O_ERROR_RATE_WINDOW,
    O_MAX_SOCKET_IDLE,
    O_MAX_CONNS_PER_NODE,
    O_ASYNC_MAX_CONNS_PER_NODE,
    O_PIPELINE_DEPTH,
    O_ERROR_BACKOFF,
    O_METRICS,
    O_ALLOCS,
    O_PRECOMPUTED_DIGESTS,
    O_FILTER,
    O_TLS,         /* one of tlsflags.h's */
    O_COMPRESS,
    O_RACK_ID,
    O_MIN_CONNS_PER_NODE,
    O_ASYNC_MIN_CONNS_PER_NODE,
    O_AUTH,
    O_UNSUPPORTED, /* asbench's, refused with a message naming them */
};

static const struct option long_opts[] = {
    {"help", no_argument, 0, O_HELP},
    {"version", no_argument, 0, 'V'},
    {"hosts", required_argument, 0, 'h'},
    {"port", required_argument, 0, 'p'},
    {"namespace", required_argument, 0, 'n'},
    {"set", required_argument, 0, 's'},
    {"bin", required_argument, 0, 'b'},
    {"start-key", required_argument, 0, 'K'},
    {"keys", required_argument, 0, 'k'},
    {"object-spec", required_argument, 0, 'o'},
    {"random", no_argument, 0, 'R'},
    {"expiration-time", required_argument, 0, 'e'},
    {"duration", required_argument, 0, 't'},
    {"workload", required_argument, 0, 'w'},
    {"threads", required_argument, 0, 'z'},
    {"batch-size", required_argument, 0, O_BATCH_SIZE},
    {"batch-read-size", required_argument, 0, O_BATCH_READ_SIZE},
    {"batch-write-size", required_argument, 0, O_BATCH_WRITE_SIZE},
    {"socket-timeout", required_argument, 0, O_SOCKET_TIMEOUT},
    {"read-socket-timeout", required_argument, 0, O_READ_SOCKET_TIMEOUT},
    {"write-socket-timeout", required_argument, 0, O_WRITE_SOCKET_TIMEOUT},
    {"timeout", required_argument, 0, 'T'},
    {"read-timeout", required_argument, 0, O_READ_TIMEOUT},
    {"write-timeout", required_argument, 0, O_WRITE_TIMEOUT},
    {"max-retries", required_argument, 0, O_MAX_RETRIES},
    {"sleep-between-retries", required_argument, 0, O_SLEEP_BETWEEN_RETRIES},
    {"debug", no_argument, 0, 'd'},
    {"latency", no_argument, 0, 'L'},
    {"send-key", no_argument, 0, O_SEND_KEY},
    {"replica", required_argument, 0, 'C'},
    {"read-mode-ap", required_argument, 0, 'N'},
    {"commit-level", required_argument, 0, 'M'},
    {"durable-delete", no_argument, 0, 'D'},
    {"async", no_argument, 0, 'a'},
    {"async-max-commands", required_argument, 0, 'c'},
    {"event-loops", required_argument, 0, 'W'},
    {"connect-timeout", required_argument, 0, O_CONNECT_TIMEOUT},
    {"tender-interval", required_argument, 0, O_TENDER_INTERVAL},
    {"max-error-rate", required_argument, 0, O_MAX_ERROR_RATE},
    {"error-rate-window", required_argument, 0, O_ERROR_RATE_WINDOW},
    {"max-socket-idle", required_argument, 0, O_MAX_SOCKET_IDLE},
    {"max-conns-per-node", required_argument, 0, O_MAX_CONNS_PER_NODE},
    {"async-max-conns-per-node", required_argument, 0, O_ASYNC_MAX_CONNS_PER_NODE},
    /* aerowire's own */
    {"batch-mode", required_argument, 0, O_BATCH_MODE},
    {"count", required_argument, 0, O_COUNT},
    {"json", no_argument, 0, O_JSON},
    {"pipeline-depth", required_argument, 0, O_PIPELINE_DEPTH},
    {"error-backoff", required_argument, 0, O_ERROR_BACKOFF},
    {"metrics", required_argument, 0, O_METRICS},
    {"allocs", no_argument, 0, O_ALLOCS},
    {"precomputed-digests", no_argument, 0, O_PRECOMPUTED_DIGESTS},
    {"filter", required_argument, 0, O_FILTER},
    {"user", required_argument, 0, 'U'},
    {"password", optional_argument, 0, 'P'},
    {"auth", required_argument, 0, O_AUTH},
    /* asbench's, not (yet) in aw-bench */
    {"services-alternate", no_argument, 0, O_UNSUPPORTED},
    {"workload-stages", required_argument, 0, O_UNSUPPORTED},
    {"read-bins", required_argument, 0, O_UNSUPPORTED},
    {"write-bins", required_argument, 0, O_UNSUPPORTED},
    {"udf-package-name", required_argument, 0, O_UNSUPPORTED},
    {"upn", required_argument, 0, O_UNSUPPORTED},
    {"udf-function-name", required_argument, 0, O_UNSUPPORTED},
    {"ufn", required_argument, 0, O_UNSUPPORTED},
    {"udf-function-values", required_argument, 0, O_UNSUPPORTED},
    {"ufv", required_argument, 0, O_UNSUPPORTED},
    {"throughput", required_argument, 0, 'g'},
    {"batch-delete-size", required_argument, 0, O_UNSUPPORTED},
    {"compress", no_argument, 0, O_COMPRESS},
    {"compression-ratio", required_argument, 0, O_UNSUPPORTED},
    {"percentiles", required_argument, 0, O_UNSUPPORTED},
    {"output-file", required_argument, 0, O_UNSUPPORTED},
    {"output-period", required_argument, 0, O_UNSUPPORTED},
    {"hdr-hist", required_argument, 0, O_UNSUPPORTED},
    {"shared", no_argument, 0, 'S'},
    {"rack-id", required_argument, 0, O_RACK_ID},
    {"read-mode-sc", required_argument, 0, 'B'},
    {"min-conns-per-node", required_argument, 0, O_MIN_CONNS_PER_NODE},
    {"conn-pools-per-node", required_argument, 0, 'Y'},
    {"async-min-conns-per-node", required_argument, 0, O_ASYNC_MIN_CONNS_PER_NODE},
    {"tls-enable", no_argument, 0, O_TLS},
    {"tls-name", required_argument, 0, O_UNSUPPORTED},
    {"tls-cafile", required_argument, 0, O_TLS},
    {"tls-capath", required_argument, 0, O_TLS},
    {"tls-protocols", required_argument, 0, O_TLS},
    {"tls-cipher-suite", required_argument, 0, O_TLS},
    {"tls-crl-check", no_argument, 0, O_TLS},
    {"tls-crl-check-all", no_argument, 0, O_TLS},
    {"tls-cert-blacklist", required_argument, 0, O_TLS},
    {"tls-log-session-info", no_argument, 0, O_UNSUPPORTED},
    {"tls-keyfile", required_argument, 0, O_TLS},
    {"tls-keyfile-password", required_argument, 0, O_TLS},
    {"tls-certfile", required_argument, 0, O_TLS},
    {"tls-login-only", no_argument, 0, O_UNSUPPORTED},
    {0, 0, 0, 0},
};

/* asbench's letters; the unsupported ones are here so they get a clear
 * message rather than "unknown option". */
static const char short_opts[] = ":Vh:p:n:s:b:K:k:o:Re:t:w:z:T:dLC:N:M:Dac:W:U:P::g:SB:Y:";

static void usage(FILE *f) {
    fprintf(f,
"usage: aw-bench [options]   (asbench's flags; see docs/bench.md)\n"
"\n"
"Where (no -h and no -p: start the bundled aw-testd on a free port and use it)\n"
"  -h, --hosts H[:PORT],...    seeds (IPv6 as [addr]:port)\n"
"  -p, --port PORT             port of seeds given without one (3000)\n"
"  -n, --namespace NS          (test)          -s, --set SET   (testset)\n"
"  -b, --bin NAME              bin names NAME, NAME_2, ... (testbin)\n"
"What\n"
"  -k, --keys N                key space size (1000000; 10000 on the embedded server)\n"
"  -K, --start-key N           first key (1)\n"
"  -o, --object-spec SPEC      bins: I, I1..I8, S<len>, B<len>, D, b, comma-separated,\n"
"                              N*X repeats (I)\n"
"  -R, --random                new random values for every write (default: fixed per thread)\n"
"  -e, --expiration-time S     TTL of writes: 0 namespace default, -1 never, -2 keep (0)\n"
"  -w, --workload W            I (insert every key), RU[,READ%%], RR[,READ%%] (replace),\n"
"                              RUD[,READ%%,WRITE%%] (rest deletes) (RU,50)\n"
"      --batch-read-size N     reads are batches of N random keys\n"
"      --batch-write-size N    writes (and inserts) are batches of N keys\n"
"      --batch-size N          both of the above, unless given\n"
"      --batch-mode M          records (aw_batch_get / aw_batch_operate) or columnar\n"
"                              (aw_batch_read_into / aw_batch_write_from rows) (records)\n"
"      --filter EXPR           reads (single and batch) carry this filter expression, in\n"
"                              aerowire's text syntax (docs/expressions.md), e.g.\n"
"                              '$.testbin > 5 and since_update() < 3600000'; writes and\n"
"                              deletes do not. Reads it rejects count as filtered (aerowire)\n"
"How long\n"
"  -t, --duration S            seconds; 0 = until done or Ctrl-C (10; I: until done)\n"
"      --count N               stop after N commands (batches count once)\n"
"How\n"
"  -a, --async                 async commands on event loops (default: sync threads)\n"
"  -c, --async-max-commands N  commands in flight, over all loops (50)\n"
"  -W, --event-loops N         event loops, one thread each (1)\n"
"  -z, --threads N             sync threads (16)\n"
"Policies\n"
"  -T, --timeout MS            total timeout of reads and writes (1000; 0 = none)\n"
"      --read-timeout MS, --write-timeout MS\n"
"      --socket-timeout MS     (30000); --read-socket-timeout, --write-socket-timeout\n"
"      --max-retries N         (1)     --sleep-between-retries MS (0)\n"
"  -C, --replica R             master, any, sequence, prefer-rack (sequence)\n"
"      --rack-id N             the rack prefer-rack reads prefer (needs prefer-rack)\n"
"  -N, --read-mode-ap M        one, all (one)\n"
"  -M, --commit-level L        all, master (all)\n"
"  -D, --durable-delete        --send-key\n"
"      --compress              requests over 128 bytes go zlib-compressed, and reads\n"
"                              and batches ask for compressed replies (Enterprise)\n"
"Login (servers with security on; docs/security.md)\n"
"  -U, --user USER             log in as USER\n"
"  -P[PASSWORD]                its password; without one, $AW_PASSWORD or asked for on\n"
"                              the terminal (also when -U comes without -P)\n"
"      --auth MODE             internal, external (LDAP; needs TLS), pki (needs TLS)\n"
"                              (internal)\n"
"Client\n"
"      --connect-timeout MS  --tender-interval MS  --max-error-rate N\n"
"      --error-rate-window N  --max-socket-idle S  --max-conns-per-node N\n"
"      --min-conns-per-node N  --async-min-conns-per-node N (over all loops)\n"
"      --async-max-conns-per-node N (over all loops)  --pipeline-depth N (aerowire)\n"
"      --error-backoff MS      after a failure the client gives at once (node backed\n"
"                              off, no connection), a slot pauses 1 ms, doubling up\n"
"                              to MS (50; 0 = retry at once) (aerowire)\n"
"Output\n"
"      --json                  one JSON object on stdout at the end; per-second lines\n"
"                              go to stderr\n"
"  -d, --debug                 print every failed command's error on stderr\n"
"      --allocs                count aerowire's allocations per command (aerowire)\n"
"      --metrics FILE          turn the client's metrics on and write them for the\n"
"                              run (key load excluded) to FILE at the end, in the\n"
"                              Prometheus text format (aerowire; docs/metrics.md)\n"
"      --precomputed-digests   key digests computed before the run, not per command:\n"
"                              the CPU figure then leaves them out (aerowire)\n"
"  -L, --latency               accepted; latencies are always shown\n"
"  -V, --version               --help\n");
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "aw-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nrun 'aw-bench --help' for the options\n");
    va_end(ap);
    return 2;
}

/* Digits only, in [min, max]. */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
    if (!isdigit((unsigned char)s[0]))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out) {
    uint64_t v;
    if (!parse_u64(s, min, max, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* The seed list: each entry gets -p's port unless it has its own.
 * asbench's host:tlsname:port form is kept (the client checks the TLS name). */
static int build_hosts(bench_args *a) {
    const char *p = a->hosts_arg ? a->hosts_arg : "127.0.0.1";
    size_t at = 0;
    a->hosts[0] = '\0';
    while (*p) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && p[len - 1] == ' ')
            len--;
        if (len == 0)
            return bad("empty entry in the host list \"%s\"", a->hosts_arg);
        char e[300];
        if (len >= sizeof e - 8)
            return bad("host entry too long in \"%s\"", a->hosts_arg);
        memcpy(e, p, len);
        e[len] = '\0';
        size_t colons = 0;
        for (size_t i = 0; i < len; i++)
            colons += e[i] == ':';
        char out[320];
        if (e[0] == '[') {
            if (strstr(e, "]:"))
                snprintf(out, sizeof out, "%s", e);
            else
                snprintf(out, sizeof out, "%s:%u", e, a->port);
        } else if (colons == 0) {
            snprintf(out, sizeof out, "%s:%u", e, a->port);
        } else if (colons == 1) {
            snprintf(out, sizeof out, "%s", e);
        } else {
            char *c1 = strchr(e, ':'), *c2 = strrchr(e, ':');
            bool digits = c2[1] != '\0';
            for (const char *d = c2 + 1; *d; d++)
                digits = digits && isdigit((unsigned char)*d);
            if (colons == 2 && c1 != e && digits && !strstr(e, "::")) {
                snprintf(out, sizeof out, "%s", e); /* host:tlsname:port */
            } else {
                snprintf(out, sizeof out, "[%s]:%u", e, a->port); /* a bare IPv6 address */
            }
        }
        int n = snprintf(a->hosts + at, sizeof a->hosts - at, "%s%s", at ? "," : "", out);
        if (n < 0 || (size_t)n >= sizeof a->hosts - at)
            return bad("host list too long: \"%s\"", a->hosts_arg);
        at += (size_t)n;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

static void defaults(bench_args *a) {
    memset(a, 0, sizeof *a);
    a->port = 3000;
    a->ns = "test";
    a->set = "testset";
    a->bin_base = "testbin";
    a->start_key = 1;
    a->keys = 1000000;
    snprintf(a->spec_text, sizeof a->spec_text, "I");
    a->duration = 10;
    a->async_max_commands = 50;
    a->event_loops = 1;
    a->threads = 16;
    a->read_timeout_ms = a->write_timeout_ms = 1000;
    a->read_socket_timeout_ms = a->write_socket_timeout_ms = 30000;
    a->max_retries = 1;
    a->replica = AW_REPLICA_SEQUENCE;
    a->commit_level = AW_COMMIT_ALL;
    a->pipeline_depth = -1;
    a->error_backoff_ms = 50;
}

int args_parse(bench_args *a, int argc, char **argv) {
    defaults(a);
    const char *wl_text = "RU,50";
    int64_t batch_size = -1, batch_read = -1, batch_write = -1;
    opterr = 0;
    optind = 1;
    int o, li = -1;
    char why[256];
    uint64_t v64;
    while ((o = getopt_long(argc, argv, short_opts, long_opts, &li)) != -1) {
        const char *name = li >= 0 ? long_opts[li].name : NULL;
        char flag[64];
        if (name)
            snprintf(flag, sizeof flag, "--%s", name);
        else
            snprintf(flag, sizeof flag, "-%c", o == ':' || o == '?' ? optopt : o);
        li = -1;
        switch (o) {
        case O_HELP:
            usage(stdout);
            return 1;
        case 'V':
            printf("aw-bench (aerowire %s)\n", AEROWIRE_VERSION);
            return 1;
        case 'h':
            a->hosts_arg = optarg;
            break;
        case 'p':
            if (!parse_u64(optarg, 1, 65535, &v64))
                return bad("%s: port must be 1..65535, not \"%s\"", flag, optarg);
            a->port = (uint16_t)v64;
            a->port_given = true;
            break;
        case 'n':
            a->ns = optarg;
            break;
        case 's':
            a->set = optarg;
            break;
        case 'b':
            a->bin_base = optarg;
            break;
        case 'K':
            if (!parse_u64(optarg, 0, INT64_MAX, &a->start_key))
                return bad("%s: expected a key number, not \"%s\"", flag, optarg);
            break;
        case 'k':
            if (!parse_u64(optarg, 1, INT64_MAX, &a->keys))
                return bad("%s: expected a key count of at least 1, not \"%s\"", flag, optarg);
            a->keys_given = true;
            break;
        case 'o':
            snprintf(a->spec_text, sizeof a->spec_text, "%s", optarg);
            break;
        case 'R':
            a->random_values = true;
            break;
        case 'e': {
            char *end;
            errno = 0;
            long long t = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || t < -2 || t > 0xFFFFFFFDll)
                return bad("%s: expected seconds, 0, -1 or -2, not \"%s\"", flag, optarg);
            a->ttl = t == -1 ? AW_TTL_NEVER_EXPIRE : t == -2 ? AW_TTL_DONT_UPDATE : (uint32_t)t;
            break;
        }
        case 't': {
            char *end;
            errno = 0;
            double d = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(d >= 0) || d > 1e9)
                return bad("%s: expected seconds, not \"%s\"", flag, optarg);
            a->duration = d;
            a->duration_given = true;
            break;
        }
        case 'w':
            wl_text = optarg;
            break;
        case 'z':
            if (!parse_u32(optarg, 1, 4096, &a->threads))
                return bad("%s: expected 1..4096 threads, not \"%s\"", flag, optarg);
            break;
        case O_BATCH_SIZE:
        case O_BATCH_READ_SIZE:
        case O_BATCH_WRITE_SIZE: {
            uint64_t n;
            if (!parse_u64(optarg, 1, 1000000, &n))
                return bad("%s: expected 1..1000000 records, not \"%s\"", flag, optarg);
            /* asbench: a size of 1 means no batches. */
            int64_t *dst = o == O_BATCH_SIZE ? &batch_size
                           : o == O_BATCH_READ_SIZE ? &batch_read : &batch_write;
            *dst = n == 1 ? 0 : (int64_t)n;
            break;
        }
        case O_BATCH_MODE:
            if (strcmp(optarg, "records") == 0)
                a->batch_mode = BM_RECORDS;
            else if (strcmp(optarg, "columnar") == 0)
                a->batch_mode = BM_COLUMNAR;
            else
                return bad("%s: expected records or columnar, not \"%s\"", flag, optarg);
            break;
        case O_COUNT:
            if (!parse_u64(optarg, 1, UINT64_MAX, &a->count))
                return bad("%s: expected a number of commands, not \"%s\"", flag, optarg);
            break;
        case O_JSON:
            a->json = true;
            break;
        case O_ALLOCS:
            a->count_allocs = true;
            break;
        case O_PRECOMPUTED_DIGESTS:
            a->precomputed_digests = true;
            break;
        case O_FILTER:
            a->filter_text = optarg; /* compiled by args_compile_filter */
            break;
        case 'U':
            a->login.user = optarg;
            break;
        case 'P':
            a->login.password_given = true;
            a->login.password_arg = optarg;
            /* asbench also takes the password as the next word. */
            if (!optarg && optind < argc && argv[optind][0] && argv[optind][0] != '-')
                a->login.password_arg = argv[optind++];
            break;
        case O_AUTH:
            if (!bl_login_mode(optarg, &a->login.mode))
                return bad("--auth: \"%s\" is not internal, external or pki", optarg);
            break;
        case 'T':
            if (!parse_u32(optarg, 0, UINT32_MAX, &a->read_timeout_ms))
                return bad("%s: expected milliseconds, not \"%s\"", flag, optarg);
            a->write_timeout_ms = a->read_timeout_ms;
            break;
        case O_READ_TIMEOUT:
        case O_WRITE_TIMEOUT:
            if (!parse_u32(optarg, 0, UINT32_MAX,
                           o == O_READ_TIMEOUT ? &a->read_timeout_ms : &a->write_timeout_ms))
                return bad("%s: expected milliseconds, not \"%s\"", flag, optarg);
            break;
        case O_SOCKET_TIMEOUT:
            if (!parse_u32(optarg, 0, UINT32_MAX, &a->read_socket_timeout_ms))
                return bad("%s: expected milliseconds, not \"%s\"", flag, optarg);
            a->write_socket_timeout_ms = a->read_socket_timeout_ms;
            break;
        case O_READ_SOCKET_TIMEOUT:
        case O_WRITE_SOCKET_TIMEOUT:
            if (!parse_u32(optarg, 0, UINT32_MAX,
                           o == O_READ_SOCKET_TIMEOUT ? &a->read_socket_timeout_ms
                                                      : &a->write_socket_timeout_ms))
                return bad("%s: expected milliseconds, not \"%s\"", flag, optarg);
            break;
        case O_MAX_RETRIES:
            if (!parse_u32(optarg, 0, 1000, &a->max_retries))
                return bad("%s: expected 0..1000, not \"%s\"", flag, optarg);
            break;
        case O_SLEEP_BETWEEN_RETRIES:
            if (!parse_u32(optarg, 0, UINT32_MAX, &a->sleep_between_retries_ms))
                return bad("%s: expected milliseconds, not \"%s\"", flag, optarg);
            break;
        case 'd':
            a->debug = true;
            break;
        case 'L':
            break;
        case O_SEND_KEY:
            a->send_key = true;
            break;
        case O_COMPRESS:
            a->compress = true;
            break;
        case O_RACK_ID:
            if (!parse_u32(optarg, 0, 1000000, &a->rack_id))
                return bad("%s: expected a rack id, not \"%s\"", flag, optarg);
            a->rack_id_given = true;
            break;
        case O_MIN_CONNS_PER_NODE:
        case O_ASYNC_MIN_CONNS_PER_NODE:
            if (!parse_u32(optarg, 0, 10000000, o == O_MIN_CONNS_PER_NODE
                                                    ? &a->min_conns_per_node
                                                    : &a->async_min_conns_per_node))
                return bad("%s: expected a number, not \"%s\"", flag, optarg);
            break;
        case 'C':
            if (strcmp(optarg, "master") == 0)
                a->replica = AW_REPLICA_MASTER;
            else if (strcmp(optarg, "any") == 0)
                a->replica = AW_REPLICA_ANY;
            else if (strcmp(optarg, "sequence") == 0)
                a->replica = AW_REPLICA_SEQUENCE;
            else if (strcmp(optarg, "prefer-rack") == 0)
                a->replica = AW_REPLICA_PREFER_RACK;
            else
                return bad("%s: expected master, any, sequence or prefer-rack, not \"%s\"", flag,
                           optarg);
            break;
        case 'N':
            if (strcmp(optarg, "one") == 0)
                a->read_mode_all = false;
            else if (strcmp(optarg, "all") == 0)
                a->read_mode_all = true;
            else
                return bad("%s: expected one or all, not \"%s\"", flag, optarg);
            break;
        case 'M':
            if (strcmp(optarg, "all") == 0)
                a->commit_level = AW_COMMIT_ALL;
            else if (strcmp(optarg, "master") == 0)
                a->commit_level = AW_COMMIT_MASTER;
            else
                return bad("%s: expected all or master, not \"%s\"", flag, optarg);
            break;
        case 'D':
            a->durable_delete = true;
            break;
        case 'a':
            a->async = true;
            break;
        case 'c':
            if (!parse_u32(optarg, 1, 1000000, &a->async_max_commands))
                return bad("%s: expected 1..1000000 commands, not \"%s\"", flag, optarg);
            break;
        case 'W':
            if (!parse_u32(optarg, 1, 256, &a->event_loops))
                return bad("%s: expected 1..256 event loops, not \"%s\"", flag, optarg);
            break;
        case O_CONNECT_TIMEOUT:
        case O_TENDER_INTERVAL:
        case O_MAX_ERROR_RATE:
        case O_ERROR_RATE_WINDOW:
        case O_MAX_SOCKET_IDLE:
        case O_MAX_CONNS_PER_NODE:
        case O_ASYNC_MAX_CONNS_PER_NODE: {
            uint32_t *dst = o == O_CONNECT_TIMEOUT     ? &a->connect_timeout_ms
                            : o == O_TENDER_INTERVAL   ? &a->tend_interval_ms
                            : o == O_MAX_ERROR_RATE    ? &a->max_error_rate
                            : o == O_ERROR_RATE_WINDOW ? &a->error_rate_window
                            : o == O_MAX_SOCKET_IDLE   ? &a->max_socket_idle_s
                            : o == O_MAX_CONNS_PER_NODE ? &a->max_conns_per_node
                                                        : &a->async_max_conns_per_node;
            /* A max error rate of 0 is asbench's "no limit". */
            if (!parse_u32(optarg, o == O_MAX_ERROR_RATE ? 0 : 1, 10000000, dst))
                return bad("%s: expected a positive number, not \"%s\"", flag, optarg);
            if (o == O_MAX_ERROR_RATE)
                a->max_error_rate_given = true;
            break;
        }
        case O_METRICS:
            a->metrics_file = optarg;
            break;
        case O_ERROR_BACKOFF:
            if (!parse_u32(optarg, 0, 60000, &a->error_backoff_ms))
                return bad("%s: expected 0..60000 ms, not \"%s\"", flag, optarg);
            break;
        case O_PIPELINE_DEPTH: {
            uint32_t d;
            if (!parse_u32(optarg, 1, 4096, &d))
                return bad("%s: expected 1..4096, not \"%s\"", flag, optarg);
            a->pipeline_depth = (int32_t)d;
            break;
        }
        case O_TLS:
            if (bl_tls_apply(&a->tls, name, optarg, why, sizeof why) != 0)
                return bad("%s", why);
            break;
        case 'g':
        case 'S':
        case 'B':
        case 'Y':
        case O_UNSUPPORTED:
            return bad("%s is an asbench option aw-bench does not support", flag);
        case ':':
            return bad("%s needs a value", argv[optind - 1]);
        default:
            if (optopt > 0 && optopt < 128)
                return bad("unknown option %s", flag);
            return bad("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument \"%s\"", argv[optind]);

    if (wl_parse(&a->wl, wl_text, why, sizeof why) != 0)
        return bad("-w: %s", why);
    if (os_parse(&a->spec, a->spec_text, a->bin_base, why, sizeof why) != 0)
        return bad("-o: %s", why);
    os_format(&a->spec, a->spec_text, sizeof a->spec_text); /* "I" reads back as "I4" */
    /* asbench: the specific sizes win over --batch-size. */
    a->batch_read_size = (uint32_t)(batch_read >= 0 ? batch_read : batch_size > 0 ? batch_size : 0);
    a->batch_write_size =
        (uint32_t)(batch_write >= 0 ? batch_write : batch_size > 0 ? batch_size : 0);
    /* The embedded server starts empty and is one thread whose store slows
     * down with random access over many records; a small key space keeps
     * the load instant and the figures about the client. */
    if (!a->hosts_arg && !a->port_given && !a->keys_given)
        a->keys = 10000;
    if (a->start_key + a->keys - 1 > (uint64_t)INT64_MAX)
        return bad("-K + -k go past the largest integer key");
    if (!a->duration_given && a->wl.kind == WL_INSERT)
        a->duration = 0; /* asbench: an insert runs until every key is written */
    if (strlen(a->ns) > AW_NAMESPACE_MAX || !a->ns[0])
        return bad("-n: namespace \"%s\" must be 1..31 bytes", a->ns);
    if (strlen(a->set) > AW_SET_MAX)
        return bad("-s: set \"%s\" is over 63 bytes", a->set);
    if (a->async && a->event_loops > a->async_max_commands)
        return bad("-W: more event loops than commands in flight (-c)");
    /* asbench's pairing: a rack only with prefer-rack, and prefer-rack needs one. */
    if (a->rack_id_given != (a->replica == AW_REPLICA_PREFER_RACK))
        return bad(a->rack_id_given ? "--rack-id needs --replica prefer-rack"
                                    : "--replica prefer-rack needs --rack-id");
    if (a->precomputed_digests && a->keys > KS_TABLE_MAX)
        return bad("--precomputed-digests holds at most %u keys, not %" PRIu64 " (-k)",
                   KS_TABLE_MAX, a->keys);
    if (a->wl.kind == WL_INSERT && a->batch_read_size)
        return bad("--batch-read-size does not apply to an insert workload");
    if (a->tls.enable && !a->hosts_arg && !a->port_given)
        return bad("--tls-enable needs -h: the embedded server speaks plain TCP only");
    if (!bl_login_resolve(&a->login, why, sizeof why))
        return bad("%s", why);
    return build_hosts(a);
}

int args_compile_filter(bench_args *a) {
    if (!a->filter_text)
        return 0;
    aw_error err;
    if (aw_exp_parse(a->filter_text, &a->filter, &err) != AW_OK)
        return bad("--filter: %s", err.message);
    aw_exp_type t = aw_exp_result_type(a->filter);
    if (t != AW_EXP_BOOL && t != AW_EXP_ANY)
        return bad("--filter: \"%s\" is not a bool; a filter must be", a->filter_text);
    return 0;
}

void args_free(bench_args *a) {
    aw_exp_free(a->filter);
    a->filter = NULL;
}
