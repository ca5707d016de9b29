/*
 * The aw command-line tool, run as a child process ($AW_BIN/aw) against an
 * aw-testd child: every subcommand's output (its --json parsed back with
 * jansson), exit codes, bad arguments, a missing record, no server, the
 * embedded server aw starts when given no host, and a .npy round trip
 * batch-put -> batch-get checked with numpy (Debian's /usr/bin/python3).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "aerowire/exp.h"
#include "support/awrun.h"
#include "support/pyrun.h"
#include "support/testutil.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

static tu_testd srv;
static char g_host[64];
static char g_dir[64];

/* aw against the suite's server. */
#define AWS(...) AW("-h", g_host, __VA_ARGS__)

static const char *EMBEDDED_NOTICE = "aw: no -h given; started aw-testd on ";

/* --- files and python ----------------------------------------------------------- */

static const char *tpath(const char *name) { return tu_path(g_dir, name); }

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A Python script run in this suite's directory; its stdout. */
static char *py_run(const char *script) { return tu_python(g_dir, script); }

/* --- processes --------------------------------------------------------------------- */

/* A loopback port nothing listens on (bound, then closed). */
static uint16_t closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* Our children other than the suite's server. We are a child subreaper
 * (setup), so a server that aw left running would be reparented to us and
 * show up here. Zombies are reaped and not counted. */
static int stray_children(void) {
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    DIR *d = opendir("/proc");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid <= 0 || pid == srv.pid)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        /* "pid (comm) state ppid ..."; comm may hold spaces, so parse after the last ')'. */
        const char *rp = strrchr(buf, ')');
        char state;
        int ppid;
        if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid())
            n++;
    }
    closedir(d);
    return n;
}

static bool port_accepts(uint16_t port) {
    int fd = tu_connect(port);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

/* The port in the embedded notice of r's stderr; fails when the notice is not there exactly once. */
static uint16_t embedded_port(const tu_run *r) {
    const char *p = strstr(r->err, EMBEDDED_NOTICE);
    if (!p)
        fail_msg("no embedded-server notice in stderr:\n%s", r->err);
    assert_null(strstr(p + 1, EMBEDDED_NOTICE));
    const char *colon = strchr(p + strlen(EMBEDDED_NOTICE), ':');
    assert_non_null(colon);
    int port = atoi(colon + 1);
    assert_true(port > 0 && port < 65536);
    const char *eol = strchr(p, '\n');
    assert_non_null(eol);
    expect_contains(p, "(stopped at exit)\n");
    return (uint16_t)port;
}

/* --- setup ------------------------------------------------------------------------ */

static int setup(void **state) {
    (void)state;
    /* Orphans of our children come to us, so a server aw failed to stop is seen. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        return -1;
    snprintf(g_dir, sizeof g_dir, "/tmp/aw-test-cli-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    if (access(tu_aw_path(), X_OK) != 0) {
        fprintf(stderr, "cannot run %s (set AW_BIN to the built tools)\n", tu_aw_path());
        return -1;
    }
    if (tu_testd_start(&srv, NULL) != 0)
        return -1;
    snprintf(g_host, sizeof g_host, "127.0.0.1:%u", srv.ports[0]);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    int rc = system(cmd);
    return tu_testd_stop_group(&srv) == 0 && rc == 0 ? 0 : -1;
}

/* --- help, version, usage errors --------------------------------------------------- */

static void test_help_and_version(void **state) {
    tu_run r = AW("--help");
    expect_status(r, 0);
    const char *words[] = {"info", "put", "get", "delete", "batch-get", "batch-put", "-h, --host",
                           "--timeout", "--json", "Exit codes", "3  record not found",
                           "5  network", "aw-testd"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        expect_contains(r.out, words[i]);
    assert_string_equal(r.err, "");
    tu_run_free(&r);

    r = AW("--version");
    expect_status(r, 0);
    expect_contains(r.out, "aw (aerowire) ");
    tu_run_free(&r);

    /* Every subcommand has its own help, on stdout, starting with its usage. */
    const char *cmds[] = {"info", "put", "get", "delete", "batch-get", "batch-put", "operate",
                          "exp"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        r = AW(cmds[i], "--help");
        expect_status(r, 0);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: aw [options] %s", cmds[i]);
        expect_contains(r.out, usage);
        assert_null(strstr(r.err, EMBEDDED_NOTICE)); /* help starts no server */
        tu_run_free(&r);
    }
    /* put's help documents the value syntax. */
    r = AW("put", "--help");
    const char *syntax[] = {"hex:", "b64:", "json:", "str:", "int:", "float:", "bool:", "geo:",
                            "15 bytes"};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++)
        expect_contains(r.out, syntax[i]);
    tu_run_free(&r);
}

typedef struct usage_case {
    const char *args[12];
    const char *says; /* in stderr */
} usage_case;

static void test_usage_errors(void **state) {
    char long_bin[64];
    snprintf(long_bin, sizeof long_bin, "%s=1", "sixteen_bytes_xx");
    const usage_case cases[] = {
        {{NULL}, "no command given"},
        {{"frobnicate"}, "unknown command 'frobnicate'"},
        {{"--frob", "get"}, "unknown option '--frob'"},
        {{"-p", "0", "get", "test", "demo", "k"}, "port must be 1..65535"},
        {{"-h", "host:70000", "get", "test", "demo", "k"}, "port must be 1..65535"},
        {{"-h", "a,,b", "get", "test", "demo", "k"}, "empty entry"},
        {{"--timeout", "soon", "get", "test", "demo", "k"}, "--timeout soon"},
        {{"-h"}, "option '-h' needs a value"},
        {{"get", "test", "demo"}, "NS, SET and KEY are required"},
        {{"get", "test", "demo", "k", "--bogus"}, "unknown option '--bogus'"},
        {{"get", "-h", "x", "test", "demo", "k"}, "-h HOST goes before the command"},
        {{"get", "test", "demo", "int:12x"}, "not a 64-bit decimal integer"},
        {{"get", "test", "demo", "99999999999999999999"}, "out of the 64-bit integer range"},
        {{"get", "test", "demo", "digest:00ff"}, "a digest is 40 hex digits"},
        {{"get", "test", "demo", "k", "a_bin_name_too_long"}, "must be 1 to 15 bytes"},
        {{"delete", "test", "demo", "k", "extra"}, "unexpected argument 'extra'"},
        {{"put", "test", "demo", "k"}, "no BIN=VALUE given"},
        {{"put", "test", "demo", "k", "novalue"}, "'novalue' is not bin=value"},
        {{"put", "test", "demo", "k", "=5"}, "empty bin name"},
        {{"put", "test", "demo", "k", long_bin}, "bin name 'sixteen_bytes_xx' is 16 bytes"},
        {{"put", "test", "demo", "k", "f=float:abc"}, "'abc' is not a float"},
        {{"put", "test", "demo", "k", "n=int:1.5"}, "not a 64-bit decimal integer"},
        {{"put", "test", "demo", "k", "n=123456789012345678901"}, "out of the 64-bit integer"},
        {{"put", "test", "demo", "k", "b=hex:0g"}, "even number of hex digits"},
        {{"put", "test", "demo", "k", "b=hex:abc"}, "even number of hex digits"},
        {{"put", "test", "demo", "k", "b=b64:A"}, "standard base64"},
        {{"put", "test", "demo", "k", "t=bool:yes"}, "a bool is true, false, 1 or 0"},
        {{"put", "test", "demo", "k", "l=[1,2"}, "bad JSON"},
        {{"put", "test", "demo", "k", "m=json:{\"a\":1,\"a\":2}"}, "bad JSON"},
        {{"put", "test", "demo", "k", "g=geo:nope"}, "geo: needs a GeoJSON object"},
        {{"put", "test", "demo", "k", "a=1", "a=2"}, "bin 'a' is given twice"},
        {{"put", "--ttl", "-3", "test", "demo", "k", "a=1"}, "--ttl -3"},
        {{"put", "test", "demo", "k", "a=1", "--json=yes"}, "option '--json=yes' takes no value"},
        {{"info", "a\nb"}, "holds a newline or tab"},
        {{"batch-get", "test", "demo", "--keys", "1..2", "--out", "x.npy"}, "--dtype is required"},
        {{"batch-get", "test", "demo", "--dtype", "i8", "--out", "x.npy"}, "--keys is required"},
        {{"batch-get", "test", "demo", "--dtype", "i8", "--keys", "1..2"}, "--out is required"},
        {{"batch-get", "test", "--dtype", "i8", "--keys", "1..2", "--out", "x"},
         "NS and SET are required"},
        {{"batch-get", "test", "demo", "--dtype", "[('a','<q8')]", "--keys", "1..2", "--out", "x"},
         "--dtype: "},
        {{"batch-get", "test", "demo", "--dtype", "U8", "--keys", "1..2", "--out", "x"},
         "--dtype: "},
        {{"batch-get", "test", "demo", "--dtype", "i8", "--keys", "5..1", "--out", "x"},
         "the range is empty"},
        {{"batch-get", "test", "demo", "--dtype", "i8", "--keys", "1..x", "--out", "x"},
         "a range is A..B"},
        {{"batch-get", "test", "demo", "--dtype", "i8", "--keys", "1,2", "--out", "x"},
         "give a range A..B or @FILE"},
        {{"batch-get", "test", "demo", "--dtype", "i8", "--keys", "0..200000000", "--out", "x"},
         "more keys than the limit"},
        {{"batch-get", "test", "demo", "--dtype", "[('_key','<i2'),('v','<f8')]", "--keys",
          "32760..32770", "--out", "x"},
         "key 32768 does not fit key field '_key' (i2)"},
        {{"batch-get", "test", "demo", "--dtype", "[('_key','<f8'),('v','<f8')]", "--keys", "1..2",
          "--out", "x"},
         "key field '_key' must be an integer, S (string) or V (bytes)"},
        {{"batch-get", "test", "demo", "--dtype", "i8", "--keys", "1..2", "--out", "x",
          "--key-field", "nokey"},
         "--key-field nokey: the dtype has no such field"},
        {{"batch-put", "test", "demo"}, "--from is required"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* No -h: a case that got as far as connecting would start a server and say so. */
        tu_run r = tu_run_aw(NULL, cases[i].args);
        if (r.status != 2 || !strstr(r.err, cases[i].says) || strstr(r.err, EMBEDDED_NOTICE) ||
            r.out[0])
            fail_msg("case %zu (%s %s ...): exit %d, stdout '%s', stderr:\n%s\nexpected exit 2 "
                     "and \"%s\"",
                     i, cases[i].args[0] ? cases[i].args[0] : "", cases[i].args[1] ? cases[i].args[1] : "",
                     r.status, r.out, r.err, cases[i].says);
        tu_run_free(&r);
    }
    /* A usage error of a subcommand repeats its usage line. */
    tu_run r = AW("get", "test");
    expect_contains(r.err, "usage: aw [options] get NS SET KEY [BIN...]");
    expect_contains(r.err, "aw get --help");
    tu_run_free(&r);
    /* With --json, stdout still gets one JSON value: the error. */
    r = AW("--json", "frobnicate");
    expect_status(r, 2);
    json_t *j = out_json(r);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "exit")), 2);
    json_decref(j);
    tu_run_free(&r);
}

/* --- put / get / delete ---------------------------------------------------------- */

static json_t *bins_of(json_t *rec) {
    json_t *b = json_object_get(rec, "bins");
    assert_true(json_is_object(b));
    return b;
}

static void test_put_get_types(void **state) {
    tu_run r = AWS("put", "test", "cli", "types", "n=42", "neg=-7", "f=1.5", "e=-2.5e-3", "s=hello",
                "q=str:42", "empty=", "b=hex:00ff10", "b6=b64:AAEC/w==", "l=[1,\"a\",2.5,[true]]",
                "m={\"a\":1,\"b\":{\"c\":null}}", "t=bool:true", "jn=json:17", "js=json:\"x y\"",
                "fi=float:7", "url=http://x:1/y");
    expect_status(r, 0);
    expect_contains(r.out, "wrote 16 bins to test/cli \"types\"");
    tu_run_free(&r);

    r = AWS("--json", "get", "test", "cli", "types");
    expect_status(r, 0);
    json_t *rec = out_json(r);
    assert_string_equal(json_string_value(json_object_get(rec, "ns")), "test");
    assert_string_equal(json_string_value(json_object_get(rec, "set")), "cli");
    assert_string_equal(json_string_value(json_object_get(rec, "key")), "types");
    assert_int_equal(strlen(json_string_value(json_object_get(rec, "digest"))), 40);
    assert_int_equal(json_integer_value(json_object_get(rec, "gen")), 1);
    assert_int_equal(json_integer_value(json_object_get(rec, "ttl")), -1); /* testd: never */
    json_t *b = bins_of(rec);
    assert_int_equal(json_object_size(b), 16);
    assert_true(json_is_integer(json_object_get(b, "n")));
    assert_int_equal(json_integer_value(json_object_get(b, "n")), 42);
    assert_int_equal(json_integer_value(json_object_get(b, "neg")), -7);
    assert_true(json_is_real(json_object_get(b, "f")));
    assert_true(json_real_value(json_object_get(b, "f")) == 1.5);
    assert_true(json_real_value(json_object_get(b, "e")) == -2.5e-3);
    assert_true(json_is_real(json_object_get(b, "fi")));
    assert_true(json_real_value(json_object_get(b, "fi")) == 7.0);
    assert_string_equal(json_string_value(json_object_get(b, "s")), "hello");
    assert_string_equal(json_string_value(json_object_get(b, "q")), "42");
    assert_string_equal(json_string_value(json_object_get(b, "empty")), "");
    assert_string_equal(json_string_value(json_object_get(b, "url")), "http://x:1/y");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "b"), "bytes_hex")),
                        "00ff10");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "b6"), "bytes_hex")),
                        "000102ff");
    assert_true(json_is_true(json_object_get(b, "t")));
    assert_int_equal(json_integer_value(json_object_get(b, "jn")), 17);
    assert_string_equal(json_string_value(json_object_get(b, "js")), "x y");
    json_error_t e;
    json_t *want_l = json_loads("[1,\"a\",2.5,[true]]", 0, &e);
    json_t *want_m = json_loads("{\"a\":1,\"b\":{\"c\":null}}", 0, &e);
    assert_true(json_equal(json_object_get(b, "l"), want_l));
    assert_true(json_equal(json_object_get(b, "m"), want_m));
    json_decref(want_l);
    json_decref(want_m);
    json_decref(rec);
    tu_run_free(&r);

    /* json:null removes a bin; a second put bumps the generation. */
    r = AWS("put", "test", "cli", "types", "n=json:null");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("--json", "get", "test", "cli", "types");
    rec = out_json(r);
    assert_null(json_object_get(bins_of(rec), "n"));
    assert_int_equal(json_integer_value(json_object_get(rec, "gen")), 2);
    json_decref(rec);
    tu_run_free(&r);
}

static void test_get_human_and_named_bins(void **state) {
    tu_run r = AWS("put", "test", "cli", "human", "count=3", "name=Ann Lee", "raw=hex:cafe",
                "tags=[\"x\",2]", "ratio=0.1");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("get", "test", "cli", "human");
    expect_status(r, 0);
    expect_contains(r.out, "test/cli \"human\"  digest ");
    expect_contains(r.out, "gen 1  ttl never  5 bins\n");
    /* Aligned: name and type columns as wide as the longest. */
    expect_contains(r.out, "  count  int       3\n");
    expect_contains(r.out, "  name   str       \"Ann Lee\"\n");
    expect_contains(r.out, "  raw    bytes[2]  hex:cafe\n");
    expect_contains(r.out, "  tags   list[2]   [\"x\", 2]\n");
    expect_contains(r.out, "  ratio  float     0.1\n");
    tu_run_free(&r);

    r = AWS("--json", "get", "test", "cli", "human", "count", "raw", "nosuch");
    expect_status(r, 0);
    json_t *rec = out_json(r);
    json_t *b = bins_of(rec);
    assert_int_equal(json_object_size(b), 2);
    assert_int_equal(json_integer_value(json_object_get(b, "count")), 3);
    assert_non_null(json_object_get(b, "raw"));
    json_decref(rec);
    tu_run_free(&r);

    /* --json after the subcommand works too. */
    r = AWS("get", "test", "cli", "human", "name", "--json");
    expect_status(r, 0);
    rec = out_json(r);
    assert_string_equal(json_string_value(json_object_get(bins_of(rec), "name")), "Ann Lee");
    json_decref(rec);
    tu_run_free(&r);
}

/* The digest aw reports for a key. */
static char *digest_of(const char *key) {
    tu_run r = AWS("--json", "get", "test", "cli", key);
    expect_status(r, 0);
    json_t *rec = out_json(r);
    char *d = strdup(json_string_value(json_object_get(rec, "digest")));
    json_decref(rec);
    tu_run_free(&r);
    return d;
}

static void test_key_kinds(void **state) {
    /* 5 is an integer key; str:5 is another record. */
    tu_run r = AWS("put", "test", "cli", "5", "v=int");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("put", "test", "cli", "str:5", "v=str");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("--json", "get", "test", "cli", "int:5");
    expect_status(r, 0);
    json_t *rec = out_json(r);
    assert_true(json_is_integer(json_object_get(rec, "key")));
    assert_string_equal(json_string_value(json_object_get(bins_of(rec), "v")), "int");
    json_decref(rec);
    tu_run_free(&r);
    r = AWS("--json", "get", "test", "cli", "str:5");
    rec = out_json(r);
    assert_string_equal(json_string_value(json_object_get(rec, "key")), "5");
    assert_string_equal(json_string_value(json_object_get(bins_of(rec), "v")), "str");
    json_decref(rec);
    tu_run_free(&r);

    /* Negative integer keys are keys, not options. */
    r = AWS("put", "test", "cli", "-12", "v=-3");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("get", "test", "cli", "-12");
    expect_status(r, 0);
    expect_contains(r.out, "test/cli -12  digest");
    expect_contains(r.out, "  v  int  -3\n");
    tu_run_free(&r);

    /* '' is no set. */
    r = AWS("put", "test", "", "noset", "v=1");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("--json", "get", "test", "", "noset");
    expect_status(r, 0);
    rec = out_json(r);
    assert_string_equal(json_string_value(json_object_get(rec, "set")), "");
    json_decref(rec);
    tu_run_free(&r);
    r = AWS("get", "test", "cli", "noset");
    expect_status(r, 3);
    tu_run_free(&r);

    /* A bytes key, and the same record by its digest. */
    r = AWS("put", "test", "cli", "hex:0a0b", "v=blob");
    expect_status(r, 0);
    tu_run_free(&r);
    char *d = digest_of("hex:0a0b");
    char by_digest[64];
    snprintf(by_digest, sizeof by_digest, "digest:%s", d);
    r = AWS("--json", "get", "test", "cli", by_digest);
    expect_status(r, 0);
    rec = out_json(r);
    assert_string_equal(json_string_value(json_object_get(bins_of(rec), "v")), "blob");
    assert_true(json_is_null(json_object_get(rec, "key"))); /* only the digest travelled */
    assert_string_equal(json_string_value(json_object_get(rec, "digest")), d);
    json_decref(rec);
    tu_run_free(&r);
    free(d);
}

static void test_put_options(void **state) {
    tu_run r = AWS("put", "--create-only", "test", "cli", "once", "a=1");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("put", "--create-only", "test", "cli", "once", "a=2");
    expect_status(r, 4);
    expect_contains(r.err, "put test/cli once: ");
    expect_contains(r.err, "RECORD_EXISTS");
    tu_run_free(&r);

    r = AWS("put", "test", "cli", "repl", "a=1", "b=2");
    tu_run_free(&r);
    r = AWS("put", "--replace", "test", "cli", "repl", "c=3");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("--json", "get", "test", "cli", "repl");
    json_t *rec = out_json(r);
    assert_int_equal(json_object_size(bins_of(rec)), 1);
    assert_int_equal(json_integer_value(json_object_get(bins_of(rec), "c")), 3);
    json_decref(rec);
    tu_run_free(&r);

    r = AWS("put", "test", "cli", "ttl", "a=1", "--ttl", "1000");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("--json", "get", "test", "cli", "ttl");
    rec = out_json(r);
    json_int_t ttl = json_integer_value(json_object_get(rec, "ttl"));
    assert_true(ttl > 990 && ttl <= 1000);
    json_decref(rec);
    tu_run_free(&r);

    r = AWS("--json", "put", "test", "cli", "ttl", "b=2");
    expect_status(r, 0);
    rec = out_json(r);
    assert_int_equal(json_integer_value(json_object_get(rec, "bins_written")), 1);
    assert_string_equal(json_string_value(json_object_get(rec, "key")), "ttl");
    json_decref(rec);
    tu_run_free(&r);
}

static void test_delete_and_not_found(void **state) {
    tu_run r = AWS("put", "test", "cli", "gone", "a=1");
    tu_run_free(&r);
    r = AWS("delete", "test", "cli", "gone");
    expect_status(r, 0);
    expect_contains(r.out, "deleted test/cli \"gone\"");
    tu_run_free(&r);
    r = AWS("delete", "test", "cli", "gone");
    expect_status(r, 3);
    expect_contains(r.err, "delete test/cli gone: ");
    expect_contains(r.err, "RECORD_NOT_FOUND");
    tu_run_free(&r);
    r = AWS("get", "test", "cli", "gone");
    expect_status(r, 3);
    expect_contains(r.err, "aw: get test/cli gone: ");
    assert_string_equal(r.out, "");
    tu_run_free(&r);
    /* --json: the error as JSON on stdout, the message on stderr too. */
    r = AWS("--json", "get", "test", "cli", "gone");
    expect_status(r, 3);
    json_t *j = out_json(r);
    json_t *e = json_object_get(j, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "code")), 2);
    assert_string_equal(json_string_value(json_object_get(e, "status")), "RECORD_NOT_FOUND");
    assert_int_equal(json_integer_value(json_object_get(e, "exit")), 3);
    json_decref(j);
    expect_contains(r.err, "RECORD_NOT_FOUND");
    tu_run_free(&r);

    r = AWS("put", "test", "cli", "del2", "a=1");
    tu_run_free(&r);
    r = AWS("--json", "delete", "test", "cli", "del2");
    expect_status(r, 0);
    j = out_json(r);
    assert_true(json_is_true(json_object_get(j, "deleted")));
    json_decref(j);
    tu_run_free(&r);
}

static void test_server_errors(void **state) {
    /* A namespace the server does not have: the server's side of things. */
    tu_run r = AWS("put", "nosuchns", "cli", "k", "a=1");
    expect_status(r, 4);
    expect_contains(r.err, "nosuchns");
    tu_run_free(&r);
}

static void test_info(void **state) {
    tu_run r = AWS("info");
    expect_status(r, 0);
    expect_contains(r.out, "node ");
    expect_contains(r.out, "  build          ");
    expect_contains(r.out, "  namespaces     test;bar\n");
    tu_run_free(&r);

    r = AWS("info", "-l", "namespaces");
    expect_status(r, 0);
    expect_contains(r.out, "  namespaces\n    test\n    bar\n");
    tu_run_free(&r);

    r = AWS("--json", "info", "namespaces", "cluster-name", "nosuchname");
    expect_status(r, 0);
    json_t *j = out_json(r);
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 1);
    json_t *n = json_array_get(j, 0);
    assert_true(strlen(json_string_value(json_object_get(n, "node"))) > 0);
    json_t *v = json_object_get(n, "values");
    assert_string_equal(json_string_value(json_object_get(v, "namespaces")), "test;bar");
    assert_string_equal(json_string_value(json_object_get(v, "cluster-name")), "aw-testd");
    expect_contains(json_string_value(json_object_get(v, "nosuchname")), "ERROR");
    json_decref(j);
    tu_run_free(&r);
}

static void test_no_server(void **state) {
    uint16_t port = closed_port();
    char host[32], port_text[8];
    snprintf(host, sizeof host, "127.0.0.1:%u", port);
    snprintf(port_text, sizeof port_text, "%u", port);
    tu_run r = AW("-h", host, "get", "test", "cli", "k");
    expect_status(r, 5);
    expect_contains(r.err, host);
    expect_contains(r.err, "refused");
    assert_null(strstr(r.err, EMBEDDED_NOTICE));
    tu_run_free(&r);
    /* -p alone means this machine. */
    r = AW("-p", port_text, "info");
    expect_status(r, 5);
    expect_contains(r.err, host);
    tu_run_free(&r);
    /* Several seeds: each one tried is named. */
    r = AW("-h", host, "-h", "127.0.0.1", "-p", port_text, "--json", "put", "test", "c", "k", "a=1");
    expect_status(r, 5);
    expect_contains(r.err, host);
    json_t *j = out_json(r);
    json_t *e = json_object_get(j, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "exit")), 5);
    assert_string_equal(json_string_value(json_object_get(e, "status")), "CONNECTION");
    json_decref(j);
    tu_run_free(&r);
}

static void test_timeout(void **state) {
    /* Replies held back longer than --timeout: a network failure, said as such. */
    tu_testd_fault(&srv, 0, "delay=1500");
    uint64_t t0 = tu_now_ms();
    tu_run r = AWS("--timeout", "300", "get", "test", "cli", "k");
    uint64_t took = tu_now_ms() - t0;
    tu_testd_clear_fault(&srv, 0);
    expect_status(r, 5);
    expect_contains(r.err, "timed out");
    expect_contains(r.err, g_host);
    assert_true(took < 1400);
    tu_run_free(&r);
    /* The same server answers once the fault is gone. */
    r = AWS("info", "namespaces");
    expect_status(r, 0);
    tu_run_free(&r);
}

/* --- the embedded server ----------------------------------------------------------- */

static void test_embedded_server(void **state) {
    assert_int_equal(stray_children(), 0);
    tu_run r = AW("put", "test", "cli", "k", "a=1", "b=hex:01");
    expect_status(r, 0);
    expect_contains(r.out, "wrote 2 bins to test/cli \"k\"");
    uint16_t port = embedded_port(&r);
    /* One line, and nothing else on stderr. */
    assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err));
    /* aw stopped (and reaped) it before exiting. */
    assert_false(port_accepts(port));
    assert_int_equal(stray_children(), 0);
    tu_run_free(&r);

    /* An error exit stops it too; the server answered, so not-found is exit 3. */
    r = AW("--json", "get", "test", "cli", "k");
    expect_status(r, 3);
    port = embedded_port(&r);
    assert_false(port_accepts(port));
    assert_int_equal(stray_children(), 0);
    json_t *j = out_json(r);
    assert_non_null(json_object_get(j, "error"));
    json_decref(j);
    tu_run_free(&r);

    /* An aw with no aw-testd beside it says where it looked. */
    char lonely[300], cmd[4096 + 700];
    snprintf(lonely, sizeof lonely, "%s/lonely/aw", g_dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/lonely' && cp '%s' '%s'", g_dir, tu_aw_path(), lonely);
    assert_int_equal(system(cmd), 0);
    r = tu_run_prog(lonely, NULL, (const char *const[]){"put", "test", "cli", "k", "a=1", NULL});
    expect_status(r, 1);
    expect_contains(r.err, "no -h given, and the embedded server cannot start: ");
    expect_contains(r.err, "/lonely/aw-testd: No such file or directory");
    tu_run_free(&r);

    r = AW("--json", "info", "namespaces");
    expect_status(r, 0);
    j = out_json(r);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(j, 0), "values"), "namespaces")),
                        "test;bar");
    json_decref(j);
    embedded_port(&r);
    assert_int_equal(stray_children(), 0);
    tu_run_free(&r);
}

/* --- batches ------------------------------------------------------------------------- */

static const char *ROWS_DESCR =
    "[('_key', '<i8'), ('temp', '<f8'), ('count', '<i4'), ('name', '|S12'), ('emb', '<f4', (3,)), "
    "('be', '>i2')]";

static void test_batch_roundtrip_numpy(void **state) {
    char *out = py_run(
        "import numpy as np\n"
        "dt = np.dtype([('_key','<i8'),('temp','<f8'),('count','<i4'),('name','S12'),\n"
        "               ('emb','<f4',(3,)),('be','>i2')])\n"
        "rng = np.random.default_rng(7)\n"
        "a = np.zeros(300, dt)\n"
        "a['_key'] = np.arange(-50, 250) * 1000003\n"
        "a['temp'] = rng.normal(0, 1e6, 300)\n"
        "a['temp'][:4] = [0.1, -0.0, 1e-310, 1.7976931348623157e308]\n"
        "a['count'] = rng.integers(-2**31, 2**31, 300)\n"
        "a['name'] = [(b'row-%d' % i) * (i % 3) for i in range(300)]\n"
        "a['name'][5] = b'twelve bytes'\n"
        "a['emb'] = rng.standard_normal((300, 3)).astype('<f4')\n"
        "a['be'] = rng.integers(-2**15, 2**15, 300)\n"
        "np.save('rows.npy', a)\n"
        "open('keys.txt', 'w').write('\\n'.join(str(k) for k in a['_key'][::-1]) + '\\n')\n"
        "print(str(a.dtype.descr))\n");
    assert_non_null(strstr(out, ROWS_DESCR));
    free(out);

    tu_run r = AWS("batch-put", "test", "rt", "--from", tpath("rows.npy"), "--key-field", "_key");
    expect_status(r, 0);
    expect_contains(r.out, "batch-put test/rt: 300 rows, 300 written, 0 failed");
    tu_run_free(&r);

    /* Back by an @file of keys (in reverse order) and by a range. */
    char keys_arg[300];
    snprintf(keys_arg, sizeof keys_arg, "@%s", tpath("keys.txt"));
    r = AWS("--json", "batch-get", "test", "rt", "--dtype", ROWS_DESCR, "--keys", keys_arg,
            "--out", tpath("back.npy"));
    expect_status(r, 0);
    json_t *j = out_json(r);
    assert_int_equal(json_integer_value(json_object_get(j, "keys")), 300);
    assert_int_equal(json_integer_value(json_object_get(j, "found")), 300);
    assert_int_equal(json_integer_value(json_object_get(j, "missing")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "failed")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "itemsize")), 46);
    json_decref(j);
    tu_run_free(&r);

    out = py_run("import numpy as np\n"
                 "a = np.load('rows.npy'); b = np.load('back.npy')[::-1]\n"
                 "assert a.dtype == b.dtype, (a.dtype, b.dtype)\n"
                 "assert a.tobytes() == b.tobytes(), 'rows differ'\n"
                 "for f in a.dtype.names:\n"
                 "    assert np.array_equal(a[f], b[f]), f\n"
                 "print('equal', len(b))\n");
    expect_contains(out, "equal 300");
    free(out);
}

static void test_batch_get_report(void **state) {
    /* Records 10..14 with a string bin; 15 and 16 missing. */
    for (int i = 10; i < 15; i++) {
        char key[8], bins[32];
        snprintf(key, sizeof key, "%d", i);
        snprintf(bins, sizeof bins, "v=%d.5", i);
        tu_run r = AWS("put", "test", "rep", key, bins, "s=text", "--ttl", i == 10 ? "-1" : "5000");
        expect_status(r, 0);
        tu_run_free(&r);
    }
    const char *dt = "[('_key','<u2'),('v','<f8'),('_gen','<i4'),('_ttl','<i8')]";
    tu_run r = AWS("batch-get", "test", "rep", "--dtype", dt, "--keys", "10..16", "--out",
                tpath("rep.npy"));
    expect_status(r, 0);
    expect_contains(r.out, "batch-get test/rep: 7 keys, 5 found, 2 missing -> ");
    expect_contains(r.out, "(7 rows of 22 bytes)");
    expect_contains(r.out, "  missing: 15, 16\n");
    tu_run_free(&r);
    char *out = py_run("import numpy as np\n"
                       "b = np.load('rep.npy')\n"
                       "print(b['_key'].tolist(), b['v'].tolist(), b['_gen'].tolist())\n"
                       "print(b['_ttl'][0], 4900 < b['_ttl'][1] <= 5000, b['_ttl'][5:].tolist())\n");
    expect_contains(out, "[10, 11, 12, 13, 14, 15, 16] [10.5, 11.5, 12.5, 13.5, 14.5, 0.0, 0.0] "
                         "[1, 1, 1, 1, 1, 0, 0]\n-1 True [0, 0]\n");
    free(out);

    /* String keys from stdin into an S key field; a bin that does not convert
     * (a string into f8) is reported, zeroed, and exits 1. */
    r = AWS("put", "test", "rep", "alpha", "v=1.25", "s=x");
    tu_run_free(&r);
    r = AW_IN("alpha\r\n\nstr:beta\n", "-h", g_host, "--json", "batch-get", "test", "rep",
              "--dtype", "[('_key','S8'),('v','<f8'),('s','<f8')]", "--keys", "@-", "--out",
              tpath("str.npy"));
    expect_status(r, 1);
    json_t *j = out_json(r);
    assert_int_equal(json_integer_value(json_object_get(j, "keys")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "found")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "missing")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "field_errors")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "missing_keys"), 0)),
                        "beta");
    json_t *f = json_array_get(json_object_get(j, "failures"), 0);
    assert_int_equal(json_integer_value(json_object_get(f, "row")), 0);
    assert_string_equal(json_string_value(json_object_get(f, "status")), "FIELD_TYPE");
    json_decref(j);
    tu_run_free(&r);
    out = py_run("import numpy as np\n"
                 "b = np.load('str.npy')\n"
                 "print(b['_key'].tolist(), b['v'].tolist(), b['s'].tolist())\n");
    expect_contains(out, "[b'alpha', b'beta'] [1.25, 0.0] [0.0, 0.0]");
    free(out);

    /* A keys file that does not exist: a local failure, exit 1, naming it. */
    r = AWS("batch-get", "test", "rep", "--dtype", "i8", "--keys", "@/nonexistent/keys.txt",
            "--out", tpath("x.npy"));
    expect_status(r, 1);
    expect_contains(r.err, "/nonexistent/keys.txt");
    tu_run_free(&r);
    /* A bad key in the file: the line is named. */
    write_file(tpath("badkeys.txt"), "1\n2\nint:x\n");
    char arg[300];
    snprintf(arg, sizeof arg, "@%s", tpath("badkeys.txt"));
    r = AWS("batch-get", "test", "rep", "--dtype", "i8", "--keys", arg, "--out", tpath("x.npy"));
    expect_status(r, 2);
    expect_contains(r.err, "line 3: key 'int:x'");
    tu_run_free(&r);
    /* An output path that cannot be written. */
    r = AWS("batch-get", "test", "rep", "--dtype", "i8", "--keys", "1..2", "--out",
            "/nonexistent/dir/x.npy");
    expect_status(r, 1);
    expect_contains(r.err, "/nonexistent/dir/x.npy");
    tu_run_free(&r);
}

static void test_batch_put_failures(void **state) {
    /* A server with a small record limit: the rows with a long string fail, each reported. */
    tu_testd small;
    const char *args[] = {"--max-record-size", "1024", NULL};
    assert_int_equal(tu_testd_start(&small, args), 0);
    char host[32];
    snprintf(host, sizeof host, "127.0.0.1:%u", small.ports[0]);
    char *out = py_run("import numpy as np\n"
                       "a = np.zeros(5, [('id','S4'),('blob','S2000')])\n"
                       "a['id'] = [b'a', b'b', b'c', b'd', b'e']\n"
                       "a['blob'] = [b'x', b'y' * 1500, b'z', b'w' * 1500, b'v']\n"
                       "np.save('big.npy', a)\n");
    free(out);
    tu_run r = AW("-h", host, "batch-put", "test", "bp", "--from", tpath("big.npy"), "--key-field",
               "id");
    expect_status(r, 4);
    expect_contains(r.out, "batch-put test/bp: 5 rows, 3 written, 2 failed\n"
                           "  row 1 key \"b\": RECORD_TOO_BIG (13)");
    expect_contains(r.out, "  row 3 key \"d\": RECORD_TOO_BIG (13)");
    tu_run_free(&r);
    r = AW("-h", host, "--json", "batch-put", "test", "bp", "--from", tpath("big.npy"),
           "--key-field", "id");
    expect_status(r, 4);
    json_t *j = out_json(r);
    assert_int_equal(json_integer_value(json_object_get(j, "written")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "failed")), 2);
    json_t *fl = json_object_get(j, "failures");
    assert_int_equal(json_array_size(fl), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(fl, 1), "row")), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(fl, 1), "key")), "d");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(fl, 1), "code")), 13);
    assert_true(json_is_false(json_object_get(json_array_get(fl, 1), "in_doubt")));
    json_decref(j);
    tu_run_free(&r);
    /* The rows that were written are there. */
    r = AW("-h", host, "--json", "get", "test", "bp", "c");
    expect_status(r, 0);
    j = out_json(r);
    assert_string_equal(json_string_value(json_object_get(bins_of(j), "blob")), "z");
    json_decref(j);
    tu_run_free(&r);
    assert_int_equal(tu_testd_stop(&small), 0);

    /* The default key field _key is not in this file. */
    r = AWS("batch-put", "test", "bp", "--from", tpath("big.npy"));
    expect_status(r, 2);
    expect_contains(r.err, "has no key field '_key'");
    tu_run_free(&r);
    /* Not a .npy file: exit 1, the path named. */
    write_file(tpath("not.npy"), "hello");
    r = AWS("batch-put", "test", "bp", "--from", tpath("not.npy"));
    expect_status(r, 1);
    expect_contains(r.err, "not.npy");
    tu_run_free(&r);
    r = AWS("batch-put", "test", "bp", "--from", tpath("missing.npy"));
    expect_status(r, 1);
    expect_contains(r.err, "missing.npy");
    tu_run_free(&r);
}

/* --- operate -------------------------------------------------------------------- */

static void test_operate(void **state) {
    tu_run r = AWS("put", "test", "cli", "op1", "n=5", "s=mid", "f=1.5");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("--json", "operate", "test", "cli", "op1", "add:n=2", "append:s=End", "prepend:s=<",
            "add:f=float:0.25", "write:t=hex:00ff", "read:n", "read:s", "read:f", "read:t");
    expect_status(r, 0);
    json_t *j = out_json(r);
    json_t *b = bins_of(j);
    assert_int_equal(json_integer_value(json_object_get(b, "n")), 7);
    assert_string_equal(json_string_value(json_object_get(b, "s")), "<midEnd");
    assert_true(json_real_value(json_object_get(b, "f")) == 1.75);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "t"), "bytes_hex")),
                        "00ff");
    assert_int_equal(json_integer_value(json_object_get(j, "gen")), 2);
    json_decref(j);
    tu_run_free(&r);
    /* read: every bin, printed as get prints them. */
    r = AWS("operate", "test", "cli", "op1", "write:s=json:null", "read");
    expect_status(r, 0);
    expect_contains(r.out, "gen 3  ttl never  3 bins\n");
    assert_null(strstr(r.out, "  s  "));
    tu_run_free(&r);
    /* Without reads: how many ops were applied. */
    r = AWS("operate", "test", "cli", "op1", "touch", "add:n=1");
    expect_status(r, 0);
    assert_string_equal(r.out, "applied 2 ops to test/cli \"op1\"\n");
    tu_run_free(&r);
    r = AWS("--json", "operate", "test", "cli", "op1", "delete");
    expect_status(r, 0);
    j = out_json(r);
    assert_int_equal(json_integer_value(json_object_get(j, "ops_applied")), 1);
    json_decref(j);
    tu_run_free(&r);
    r = AWS("get", "test", "cli", "op1");
    expect_status(r, 3);
    tu_run_free(&r);
    /* The server's refusal of one op: nothing applied, its code shown. */
    r = AWS("put", "test", "cli", "op2", "n=1");
    tu_run_free(&r);
    r = AWS("operate", "test", "cli", "op2", "write:m=2", "add:n=0.5");
    expect_status(r, 4);
    expect_contains(r.err, "(BIN_INCOMPATIBLE_TYPE, code 12)");
    tu_run_free(&r);
    r = AWS("--json", "get", "test", "cli", "op2");
    j = out_json(r);
    assert_null(json_object_get(bins_of(j), "m"));
    json_decref(j);
    tu_run_free(&r);

    /* Usage errors, before connecting. */
    static const struct {
        const char *args[6];
        const char *says;
    } bad[] = {
        {{"operate", "test", "cli", "k"}, "no OP given"},
        {{"operate", "test", "cli"}, "NS, SET and KEY are required"},
        {{"operate", "test", "cli", "k", "frob"}, "'frob' is not an op"},
        {{"operate", "test", "cli", "k", "add:n=x"}, "add takes an int or a float, not str"},
        {{"operate", "test", "cli", "k", "append:s=5"}, "append takes a string or bytes"},
        {{"operate", "test", "cli", "k", "read:"}, "'read:': a bin name is 1 to 15 bytes"},
        {{"operate", "test", "cli", "k", "write:novalue"}, "'novalue' is not bin=value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = tu_run_aw(NULL, bad[i].args);
        if (r.status != 2 || !strstr(r.err, bad[i].says) || strstr(r.err, EMBEDDED_NOTICE))
            fail_msg("case %zu: exit %d, stderr:\n%s\nexpected \"%s\"", i, r.status, r.err,
                     bad[i].says);
        tu_run_free(&r);
    }
}

/* --- filter expressions: aw exp, --filter ------------------------------------------- */

/* The base64 aw_exp_to_base64 gives for a builder-built expression (malloc'd). */
static char *builder_base64(aw_exp_node *(*build)(aw_exp_builder *)) {
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp *e = NULL;
    char *text = NULL;
    assert_int_equal(aw_exp_compile(b, build(b), &e, NULL), AW_OK);
    assert_int_equal(aw_exp_to_base64(e, &text, NULL), AW_OK);
    char *copy = strdup(text);
    aw_free(text);
    aw_exp_free(e);
    aw_exp_builder_free(b);
    return copy;
}

static aw_exp_node *i_times_2(aw_exp_builder *b) {
    return aw_exp_mul(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 2));
}

static aw_exp_node *a_gt_5_recent(aw_exp_builder *b) {
    return aw_exp_and(b, aw_exp_gt(b, aw_exp_bin_int(b, "a"), aw_exp_int(b, 5)),
                      aw_exp_lt(b, aw_exp_since_update(b), aw_exp_int(b, 3600000)));
}

/* The exp= value the official C client sent in the capture's sindex-create. */
static char *captured_index_base64(void) {
    json_t *list = json_object_get(tu_capture("official-c-client-scan-query.json"), "info_direct");
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        if (strcmp(json_string_value(json_object_get(x, "label")), "sindex_create_exp_i_x2"))
            continue;
        const char *at = strstr(json_string_value(json_object_get(x, "request")), "exp=");
        assert_non_null(at);
        return strndup(at + 4, strcspn(at + 4, ";\n"));
    }
    fail_msg("no sindex_create_exp_i_x2 in the capture");
    return NULL;
}

static void test_exp_command(void **state) {
    /* bin_int(i) * 2: the official client's base64 and the builder's, one line. */
    char *official = captured_index_base64(), *built = builder_base64(i_times_2);
    assert_string_equal(official, built);
    char want[64];
    snprintf(want, sizeof want, "%s\n", official);
    tu_run r = AW("exp", "--base64", "$.i * 2");
    expect_status(r, 0);
    assert_string_equal(r.out, want);
    assert_null(strstr(r.err, EMBEDDED_NOTICE)); /* no server needed */
    tu_run_free(&r);
    free(official);
    free(built);

    built = builder_base64(a_gt_5_recent);
    snprintf(want, sizeof want, "%s\n", built);
    r = AW("exp", "--base64", "$.a > 5 && since_update() < 3600000");
    expect_status(r, 0);
    assert_string_equal(r.out, want);
    tu_run_free(&r);
    r = AW("--json", "exp", "$.a > 5 and since_update() < 3600000");
    expect_status(r, 0);
    json_t *j = out_json(r);
    assert_string_equal(json_string_value(json_object_get(j, "base64")), built);
    assert_string_equal(json_string_value(json_object_get(j, "hex")),
                        "93109303935102a1610593059143ce0036ee80");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "bool");
    assert_int_equal(json_integer_value(json_object_get(j, "size")), 19);
    json_decref(j);
    tu_run_free(&r);
    free(built);

    r = AW("exp", "--hex", "not ($.f <= 1.5)");
    expect_status(r, 0);
    assert_string_equal(r.out, "92129306935107a166cb3ff8000000000000\n");
    tu_run_free(&r);
    r = AW("exp", "last_update() < 1700000000000000000");
    expect_status(r, 0);
    expect_contains(r.out, "type    bool\nsize    13 bytes\nhex     93059142cf17979cfe362a0000\n"
                           "base64  kwWRQs8Xl5z+NioAAA==\n");
    tu_run_free(&r);

    /* Text that is not the syntax: a usage error with the column, also as JSON. */
    r = AW("exp", "$.a > ");
    expect_status(r, 2);
    expect_contains(r.err, "aw exp: at 7: expected a value after '>'");
    expect_contains(r.err, "usage: aw [options] exp");
    assert_string_equal(r.out, "");
    tu_run_free(&r);
    r = AW("--json", "exp", "--base64", "$.a > ");
    expect_status(r, 2);
    j = out_json(r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                        "at 7: expected a value after '>'");
    json_decref(j);
    tu_run_free(&r);
    r = AW("exp", "--base64", "--hex", "1 == 1");
    expect_status(r, 2);
    expect_contains(r.err, "--base64 and --hex: give one");
    tu_run_free(&r);
    r = AW("exp");
    expect_status(r, 2);
    expect_contains(r.err, "EXPR is required");
    tu_run_free(&r);
}

/* A --filter that does not parse, or is not a bool, stops every command
 * before it connects (no -h: connecting would start a server and say so). */
static void test_filter_usage_errors(void **state) {
    const char *const CMDS[][8] = {
        {"get", "test", "cli", "k"},
        {"put", "test", "cli", "k", "a=1"},
        {"delete", "test", "cli", "k"},
        {"operate", "test", "cli", "k", "read"},
        {"batch-get", "test", "cli", "--dtype", "i8", "--keys", "1..2", "--out"},
        {"batch-put", "test", "cli", "--from", "x.npy"},
    };
    for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++) {
        const char *args[16] = {0};
        size_t n = 0;
        for (size_t k = 0; k < 8 && CMDS[i][k]; k++)
            args[n++] = CMDS[i][k];
        if (strcmp(CMDS[i][0], "batch-get") == 0)
            args[n++] = tpath("never.npy");
        args[n++] = "--filter";
        args[n++] = "$.a > 5 and";
        tu_run r = tu_run_aw(NULL, args);
        expect_status(r, 2);
        expect_contains(r.err, "--filter: at 12: expected a value after 'and'");
        assert_null(strstr(r.err, EMBEDDED_NOTICE));
        tu_run_free(&r);
        args[n - 1] = "$.a + 1";
        r = tu_run_aw(NULL, args);
        expect_status(r, 2);
        expect_contains(r.err, "--filter: the expression is an int; a filter must be a bool");
        assert_null(strstr(r.err, EMBEDDED_NOTICE));
        tu_run_free(&r);
    }
    tu_run r = AW("--json", "get", "--filter", "$.a >", "test", "cli", "k");
    expect_status(r, 2);
    json_t *j = out_json(r);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "--filter: at 6: expected a value after '>'");
    assert_int_equal(json_integer_value(json_object_get(e, "exit")), 2);
    json_decref(j);
    tu_run_free(&r);
}

/* r was refused by its --filter: exit 4, the server's 27 in the message; r is freed. */
static void expect_filtered_out(tu_run *r, const char *what) {
    expect_status(*r, 4);
    char says[128];
    snprintf(says, sizeof says, "%s: filter expression was false (FILTERED_OUT, code 27)", what);
    expect_contains(r->err, says);
    assert_string_equal(r->out, "");
    tu_run_free(r);
}

/* --filter on get, put, delete, batch and operate against the server at
 * hosts: what passes is served, what does not is exit 4 with code 27. */
static void check_filters(const char *hosts) {
    const char *set = "aw_cli_filter";
#define AWR(...) AW("-h", hosts, __VA_ARGS__)
    tu_run r = AWR("put", "test", set, "k1", "a=1", "s=x", "f=2.5", "l=[1,2,3]");
    expect_status(r, 0);
    tu_run_free(&r);

    /* The expressions, true ones read the record. */
    const char *pass[] = {"$.a > 0", "$.a > 0 and $.s == \"x\"", "not ($.f <= 1.5)",
                          "last_update() < 9000000000000000000"};
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
        r = AWR("get", "--filter", pass[i], "test", set, "k1");
        expect_status(r, 0);
        expect_contains(r.out, "4 bins");
        tu_run_free(&r);
    }
    /* A false one: exit 4, the server's 27 in the message and in the JSON. */
    r = AWR("get", "--filter", "$.a > 5", "test", set, "k1");
    expect_filtered_out(&r, "get test/aw_cli_filter k1");
    r = AWR("--json", "get", "--filter", "last_update() < 1700000000000000000", "test", set, "k1");
    expect_status(r, 4);
    json_t *j = out_json(r);
    json_t *e = json_object_get(j, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "code")), 27);
    assert_string_equal(json_string_value(json_object_get(e, "status")), "FILTERED_OUT");
    assert_int_equal(json_integer_value(json_object_get(e, "exit")), 4);
    expect_contains(json_string_value(json_object_get(e, "message")), "code 27");
    json_decref(j);
    tu_run_free(&r);

    /* put and delete: a false filter leaves the record as it was. */
    r = AWR("put", "--filter", "$.a == 2", "test", set, "k1", "a=3");
    expect_filtered_out(&r, "put test/aw_cli_filter k1");
    r = AWR("delete", "--filter", "$.s != \"x\"", "test", set, "k1");
    expect_filtered_out(&r, "delete test/aw_cli_filter k1");
    r = AWR("--json", "get", "test", set, "k1");
    expect_status(r, 0);
    j = out_json(r);
    assert_int_equal(json_integer_value(json_object_get(bins_of(j), "a")), 1);
    json_decref(j);
    tu_run_free(&r);
    r = AWR("put", "--filter", "$.a == 1", "test", set, "k1", "a=2");
    expect_status(r, 0);
    tu_run_free(&r);

    /* operate: all its ops or none. */
    r = AWR("operate", "--filter", "$.a == 1", "test", set, "k1", "add:a=10", "read:a");
    expect_filtered_out(&r, "operate test/aw_cli_filter k1");
    r = AWR("--json", "operate", "--filter", "$.a == 2 and $.l.list() == [1, 2, 3]", "test", set,
            "k1", "add:a=10", "read:a");
    expect_status(r, 0);
    j = out_json(r);
    assert_int_equal(json_integer_value(json_object_get(bins_of(j), "a")), 12);
    json_decref(j);
    tu_run_free(&r);
    r = AWR("operate", "--filter", "$.a == 12", "test", set, "k1", "add:a=-10");
    expect_status(r, 0);
    tu_run_free(&r);

    /* Batches: a filtered row is counted, not a failure. */
    r = AWR("put", "test", set, "k2", "a=5");
    tu_run_free(&r);
    write_file(tpath("keys.txt"), "k1\nk2\nk3\n");
    char keys_arg[300];
    snprintf(keys_arg, sizeof keys_arg, "@%s", tpath("keys.txt"));
    r = AWR("--json", "batch-get", "test", set, "--dtype", "[('a','<i8')]", "--keys", keys_arg,
            "--out", tpath("f.npy"), "--filter", "$.a > 3");
    expect_status(r, 0);
    j = out_json(r);
    assert_int_equal(json_integer_value(json_object_get(j, "found")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "filtered")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "missing")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "failed")), 0);
    json_decref(j);
    tu_run_free(&r);
    char *rows = py_run("import numpy; print(numpy.load('f.npy')['a'].tolist())");
    assert_string_equal(rows, "[0, 5, 0]\n");
    free(rows);

    r = AWR("delete", "--filter", "$.a == 2", "test", set, "k1");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWR("delete", "test", set, "k2");
    tu_run_free(&r);
#undef AWR
}

/* On aw-testd, which evaluates filters as the server does. */
static void test_filters(void **state) {
    (void)state;
    check_filters(g_host);
}

/* The same on a real server (AEROSPIKE_HOSTS, as test_real_server). */
static void test_filter_real_server(void **state) {
    (void)state;
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    if (!hosts || !*hosts)
        skip();
    check_filters(hosts);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_put_get_types),
        cmocka_unit_test(test_get_human_and_named_bins),
        cmocka_unit_test(test_key_kinds),
        cmocka_unit_test(test_put_options),
        cmocka_unit_test(test_delete_and_not_found),
        cmocka_unit_test(test_server_errors),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_no_server),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_embedded_server),
        cmocka_unit_test(test_batch_roundtrip_numpy),
        cmocka_unit_test(test_batch_get_report),
        cmocka_unit_test(test_batch_put_failures),
        cmocka_unit_test(test_operate),
        cmocka_unit_test(test_exp_command),
        cmocka_unit_test(test_filter_usage_errors),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_filter_real_server),
    };
    int failed = cmocka_run_group_tests_name("cli", tests, setup, teardown);
    return failed || tu_testd_stop_failed;
}
