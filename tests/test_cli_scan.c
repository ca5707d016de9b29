/*
 * aw scan, query, sindex and truncate, run as a child process ($AW_BIN/aw).
 * Scans against an aw-testd child: every line parses as JSON and equals
 * what `aw --json get` prints for the same record; --bins, --no-bins,
 * --max-records, --partitions (a range and one id, checked against each
 * record's digest), a whole namespace, --cursor pages; the progress line
 * on a terminal; Ctrl-C stops a scan with exit 130 after whole lines and
 * its cursor resumes with exactly the rest. Queries, indexes, --filter and
 * truncate against aw-testd, and against the real server too under
 * AEROSPIKE_HOSTS (on a set and indexes of this suite's own). --out FILE.npy
 * (rows numpy loads equal to the JSON lines, --cursor parts, no file after a
 * failure or Ctrl-C), the progress line (tty, AW_PROGRESS), namespaces and
 * sets. Usage errors of every command.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "support/awrun.h"
#include "support/pyrun.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

static tu_testd srv;
static char g_host[64];
static char g_dir[64];

static const char *EMBEDDED_NOTICE = "aw: no -h given; started aw-testd on ";

#define AWS(...) AW("-h", g_host, __VA_ARGS__)

static const char *tpath(const char *name) { return tu_path(g_dir, name); }

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/aw-test-cli-scan-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
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

/* A whole small file, NUL-terminated (malloc'd). */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* --- reading the output ---------------------------------------------------------- */

/* Every line of out parsed: a JSON array of the records (fails on a line
 * that is not one JSON object). */
static json_t *lines_of(const char *out) {
    json_t *all = json_array();
    const char *p = out;
    while (*p) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            fail_msg("output does not end with a newline: %s", p);
        json_error_t e;
        json_t *j = json_loadb(p, (size_t)(eol - p), 0, &e);
        if (!json_is_object(j))
            fail_msg("line is not a JSON object: %.*s (%s)", (int)(eol - p), p, e.text);
        json_array_append_new(all, j);
        p = eol + 1;
    }
    return all;
}

/* The records a scan/query printed; fails unless it exited 0. */
static json_t *records_of(tu_run r) {
    expect_status(r, 0);
    json_t *all = lines_of(r.out);
    tu_run_free(&r);
    return all;
}

static const char *str_of(json_t *o, const char *field) {
    const char *s = json_string_value(json_object_get(o, field));
    assert_non_null(s);
    return s;
}

/* A record's partition: the low 12 bits of its digest's first two bytes. */
static unsigned pid_of(json_t *rec) {
    unsigned b0, b1;
    assert_int_equal(sscanf(str_of(rec, "digest"), "%2x%2x", &b0, &b1), 2);
    return (b0 | b1 << 8) & 4095;
}

/* The record of records whose digest is `digest`, or NULL. */
static json_t *by_digest(json_t *records, const char *digest) {
    size_t i;
    json_t *x;
    json_array_foreach(records, i, x) if (strcmp(str_of(x, "digest"), digest) == 0) return x;
    return NULL;
}

/* The user keys (strings) of records, sorted and joined with ',' (static). */
static const char *keys_of(json_t *records) {
    static char buf[512];
    const char *keys[64];
    size_t n = 0, i;
    json_t *x;
    json_array_foreach(records, i, x) {
        assert_true(n < 64);
        keys[n++] = str_of(x, "key");
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (strcmp(keys[b], keys[a]) < 0) {
                const char *t = keys[a];
                keys[a] = keys[b];
                keys[b] = t;
            }
    buf[0] = '\0';
    for (size_t k = 0; k < n; k++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", k ? "," : "", keys[k]);
    return buf;
}

/* rec (a scan line) equals what `aw --json get` prints for the same digest
 * (the key as the scan saw it: get by digest prints no key), the TTL within
 * a second (it counts down between the two reads). */
static void expect_same_as_get(const char *hosts, json_t *rec) {
    char by_digest_key[64];
    snprintf(by_digest_key, sizeof by_digest_key, "digest:%s", str_of(rec, "digest"));
    tu_run r = AW("-h", hosts, "--json", "get", "test", str_of(rec, "set"), by_digest_key);
    expect_status(r, 0);
    json_t *got = out_json(r);
    tu_run_free(&r);
    json_t *mine = json_deep_copy(rec);
    json_object_set(got, "key", json_object_get(rec, "key"));
    json_int_t t1 = json_integer_value(json_object_get(mine, "ttl"));
    json_int_t t2 = json_integer_value(json_object_get(got, "ttl"));
    assert_true(t1 == t2 || (t1 >= 0 && t2 >= 0 && t1 - t2 <= 1 && t2 - t1 <= 1));
    json_object_del(mine, "ttl");
    json_object_del(got, "ttl");
    if (!json_equal(mine, got)) {
        char *a = json_dumps(mine, JSON_COMPACT), *b = json_dumps(got, JSON_COMPACT);
        fail_msg("scan line\n%s\ndiffers from get\n%s", a, b);
    }
    json_decref(mine);
    json_decref(got);
}

/* --- help and usage errors ---------------------------------------------------------- */

static void test_help(void **state) {
    tu_run r = AW("--help");
    expect_status(r, 0);
    const char *words[] = {"scan", "query", "sindex", "truncate", "sets", "namespaces",
                           "130  Ctrl-C"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        expect_contains(r.out, words[i]);
    tu_run_free(&r);
    const char *cmds[] = {"scan", "query", "sindex", "truncate", "sets", "namespaces"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        r = AW(cmds[i], "--help");
        expect_status(r, 0);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: aw [options] %s", cmds[i]);
        expect_contains(r.out, usage);
        assert_null(strstr(r.err, EMBEDDED_NOTICE));
        tu_run_free(&r);
    }
    r = AW("query", "--help");
    const char *forms[] = {"BIN == VALUE", "BIN between LO and HI", "BIN contains VALUE",
                           "BIN within GEOJSON", "--collection", "code 201"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        expect_contains(r.out, forms[i]);
    tu_run_free(&r);
}

typedef struct usage_case {
    const char *args[12];
    const char *says;
} usage_case;

static void test_usage_errors(void **state) {
    const usage_case cases[] = {
        {{"scan"}, "NS is required"},
        {{"scan", "test", "s", "extra"}, "unexpected argument 'extra'"},
        {{"scan", "test", "--partitions", "4096"}, "--partitions 4096: give A-B or A"},
        {{"scan", "test", "--partitions", "9-3"}, "the range is empty"},
        {{"scan", "test", "--partitions", "1-x"}, "give A-B or A"},
        {{"scan", "test", "--partitions", "-5"}, "--partitions -5: give A-B or A"},
        {{"scan", "test", "--max-records", "0"}, "--max-records 0: give a count"},
        {{"scan", "test", "--max-records", "many"}, "--max-records many"},
        {{"scan", "test", "--rps", "0"}, "--rps 0"},
        {{"scan", "test", "--cursor", ""}, "--cursor needs a file name"},
        {{"scan", "test", "--bins", "a,,b"}, "--bins: bin name '' must be 1 to 15 bytes"},
        {{"scan", "test", "--bins", "sixteen_bytes_xx"}, "bin name 'sixteen_bytes_xx'"},
        {{"scan", "test", "--bins", "a", "--no-bins"}, "--bins and --no-bins: give one"},
        {{"scan", "test", "--no-bins", "--bins", "a"}, "--bins and --no-bins: give one"},
        {{"scan", "test", "--where", "a == 1"}, "--where is for 'aw query'"},
        {{"scan", "test", "--collection", "list"}, "--collection is for 'aw query'"},
        {{"scan", "test", "--filter", "$.a +"}, "--filter: at "},
        {{"scan", "test", "--frob"}, "unknown option '--frob'"},
        {{"scan", "test", "--out", "x.npy"}, "--out needs --dtype"},
        {{"scan", "test", "--dtype", "<i8"}, "--dtype is for --out FILE.npy"},
        {{"scan", "test", "--dtype", "[('a',", "--out", "x.npy"}, "--dtype: "},
        {{"scan", "test", "--dtype", "<i8", "--out", ""}, "--out needs a file name"},
        {{"query", "test", "s", "--where", "a == 1", "--out", "x.npy"}, "--out needs --dtype"},
        {{"query", "test", "s"}, "--where is required"},
        {{"query", "test", "--where", "a == 1"}, "NS and SET are required"},
        {{"query", "test", "s", "--where", "a = 1"}, "after 'a' comes ==, between, contains"},
        {{"query", "test", "s", "--where", "a =="}, "nothing after '=='"},
        {{"query", "test", "s", "--where", "== 1"}, "start with a bin name"},
        {{"query", "test", "s", "--where", "sixteen_bytes_xx == 1"}, "start with a bin name"},
        {{"query", "test", "s", "--where", "a == 1.5"}, "ints, strings or bytes, not a float"},
        {{"query", "test", "s", "--where", "a == [1]"}, "ints, strings or bytes, not a list"},
        {{"query", "test", "s", "--where", "a == hex:0"}, "even number of hex digits"},
        {{"query", "test", "s", "--where", "a == \"x"}, "is not one JSON string"},
        {{"query", "test", "s", "--where", "a between 1"}, "between needs 'LO and HI'"},
        {{"query", "test", "s", "--where", "a between x and 2"}, "LO 'x' is not a 64-bit"},
        {{"query", "test", "s", "--where", "a between 1 and 2.5"}, "HI '2.5' is not a 64-bit"},
        {{"query", "test", "s", "--where", "a between 5 and 1"}, "is empty (LO > HI)"},
        {{"query", "test", "s", "--where", "g within nope"}, "within needs a GeoJSON region"},
        {{"query", "test", "s", "--where", "g within [1,2]"}, "within needs a GeoJSON region"},
        {{"query", "test", "s", "--where", "a == 1", "--collection", "list"},
         "--collection is for a 'BIN contains VALUE'"},
        {{"query", "test", "s", "--where", "a contains 1", "--collection", "keys"},
         "--collection keys: give list, mapkeys or mapvalues"},
        {{"sindex"}, "give create, list or drop"},
        {{"sindex", "rebuild"}, "unknown action 'rebuild'"},
        {{"sindex", "create", "test", "s", "bin"}, "sindex create needs NS SET BIN NAME"},
        {{"sindex", "create", "test", "s", "bin", "name", "x"}, "unexpected argument 'x'"},
        {{"sindex", "create", "test", "s", "bin", "name"}, "needs --type numeric|string"},
        {{"sindex", "create", "test", "s", "bin", "name", "--type", "float"},
         "--type float: give numeric, string, blob or geo2dsphere"},
        {{"sindex", "create", "test", "s", "bin", "name", "--type", "numeric", "--collection",
          "default"},
         "--collection default: give list, mapkeys or mapvalues"},
        {{"sindex", "create", "test", "s", "sixteen_bytes_xx", "n", "--type", "numeric"},
         "bin name 'sixteen_bytes_xx' must be 1 to 15 bytes"},
        {{"sindex", "list", "test", "more"}, "unexpected argument 'more'"},
        {{"sindex", "list", "--type", "numeric"}, "are for sindex create"},
        {{"sindex", "drop", "test"}, "sindex drop needs NS NAME"},
        {{"sindex", "drop", "test", "a", "b"}, "unexpected argument 'b'"},
        {{"truncate"}, "NS is required"},
        {{"truncate", "test", "s", "x"}, "unexpected argument 'x'"},
        {{"sets", "test", "x"}, "unexpected argument 'x'"},
        {{"namespaces", "test"}, "unexpected argument 'test'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* No -h: a case that got as far as connecting would start a server and say so. */
        tu_run r = tu_run_aw(NULL, cases[i].args);
        if (r.status != 2 || !strstr(r.err, cases[i].says) || strstr(r.err, EMBEDDED_NOTICE) ||
            r.out[0])
            fail_msg("case %zu (%s %s ...): exit %d, stdout '%s', stderr:\n%s\nexpected exit 2 "
                     "and \"%s\"",
                     i, cases[i].args[0] ? cases[i].args[0] : "",
                     cases[i].args[1] ? cases[i].args[1] : "", r.status, r.out, r.err,
                     cases[i].says);
        tu_run_free(&r);
    }
    /* The usage line of the command, and the JSON form of the error. */
    tu_run r = AW("query", "test", "s");
    expect_contains(r.err, "usage: aw [options] query NS SET --where COND");
    tu_run_free(&r);
    r = AW("--json", "scan", "test", "--partitions", "5000");
    expect_status(r, 2);
    json_t *j = out_json(r);
    json_t *e = json_object_get(j, "error");
    expect_contains(json_string_value(json_object_get(e, "message")), "--partitions 5000");
    assert_int_equal(json_integer_value(json_object_get(e, "exit")), 2);
    json_decref(j);
    tu_run_free(&r);
}

/* --- scans against aw-testd ------------------------------------------------------- */

/* 300 records written by batch-put (no key stored: key null) in scan_a,
 * three with their keys and assorted types in scan_k. */
static void put_scan_data(void) {
    char *out = tu_python(g_dir, "import numpy as np\n"
                                 "a = np.zeros(300, [('_key','<i8'),('i','<i8'),('f','<f8'),"
                                 "('s','S6')])\n"
                                 "a['_key'] = np.arange(300)\n"
                                 "a['i'] = np.arange(300) * 3 - 50\n"
                                 "a['f'] = np.arange(300) / 4\n"
                                 "a['s'] = [b'r%d' % k for k in range(300)]\n"
                                 "np.save('a.npy', a)\n"
                                 "print('ok')\n");
    assert_string_equal(out, "ok\n");
    free(out);
    tu_run r = AWS("batch-put", "test", "scan_a", "--from", tpath("a.npy"));
    expect_status(r, 0);
    tu_run_free(&r);
    const char *const puts[][8] = {
        {"k1", "n=1", "s=x", "l=[1,\"a\",[2.5]]", "m={\"a\":{\"b\":null}}", "b=hex:00ff"},
        {"k2", "n=-9", "g=geo:{\"type\":\"Point\",\"coordinates\":[1.5,2.5]}", "t=bool:true"},
        {"k3", "f=float:nan", "u=str:\xc3\xa9t\xc3\xa9"},
    };
    for (size_t i = 0; i < 3; i++) {
        const char *args[16] = {"-h", g_host, "put", "--send-key", "test", "scan_k"};
        size_t n = 6;
        for (size_t k = 0; k < 8 && puts[i][k]; k++)
            args[n++] = puts[i][k];
        r = tu_run_aw(NULL, args);
        expect_status(r, 0);
        tu_run_free(&r);
    }
}

static void test_scan_records(void **state) {
    put_scan_data();
    /* scan_k: the three records, keys as stored, each line what get prints. */
    json_t *k = records_of(AWS("scan", "test", "scan_k"));
    assert_string_equal(keys_of(k), "k1,k2,k3");
    size_t i;
    json_t *x;
    json_array_foreach(k, i, x) {
        assert_string_equal(str_of(x, "ns"), "test");
        assert_string_equal(str_of(x, "set"), "scan_k");
        assert_int_equal(json_integer_value(json_object_get(x, "gen")), 1);
        expect_same_as_get(g_host, x);
    }
    /* The key a record was stored with is the key get finds it by. */
    tu_run r = AWS("--json", "get", "test", "scan_k", "k2");
    json_t *got = out_json(r);
    tu_run_free(&r);
    assert_true(json_equal(got, by_digest(k, str_of(got, "digest"))));
    json_decref(got);
    json_decref(k);

    /* scan_a: 300 records without keys, every one as get prints it. */
    json_t *a = records_of(AWS("scan", "test", "scan_a"));
    assert_int_equal(json_array_size(a), 300);
    long sum_i = 0;
    json_array_foreach(a, i, x) {
        assert_true(json_is_null(json_object_get(x, "key")));
        sum_i += (long)json_integer_value(json_object_get(json_object_get(x, "bins"), "i"));
        if (i % 50 == 0)
            expect_same_as_get(g_host, x);
    }
    assert_int_equal(sum_i, 3L * 299 * 300 / 2 - 50L * 300);

    /* The whole namespace: both sets. */
    json_t *all = records_of(AWS("scan", "test"));
    size_t in_a = 0, in_k = 0;
    json_array_foreach(all, i, x) {
        in_a += strcmp(str_of(x, "set"), "scan_a") == 0;
        in_k += strcmp(str_of(x, "set"), "scan_k") == 0;
    }
    assert_int_equal(in_a, 300);
    assert_int_equal(in_k, 3);
    json_decref(all);
    json_decref(a);

    /* stderr is not a terminal here: no progress line, nothing at all. */
    r = AWS("scan", "test", "scan_k");
    expect_status(r, 0);
    assert_string_equal(r.err, "");
    tu_run_free(&r);

    /* A set nobody wrote: no records, exit 0. */
    r = AWS("scan", "test", "scan_none");
    expect_status(r, 0);
    assert_string_equal(r.out, "");
    tu_run_free(&r);
}

static void test_scan_bins(void **state) {
    json_t *a = records_of(AWS("scan", "test", "scan_a", "--bins", "i,s"));
    assert_int_equal(json_array_size(a), 300);
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) {
        json_t *b = json_object_get(x, "bins");
        assert_int_equal(json_object_size(b), 2);
        assert_non_null(json_object_get(b, "i"));
        assert_non_null(json_object_get(b, "s"));
    }
    json_decref(a);
    /* A record with none of the bins is not sent (as the server does). */
    a = records_of(AWS("scan", "test", "scan_k", "--bins", "nosuch,b"));
    assert_int_equal(json_array_size(a), 1);
    assert_string_equal(keys_of(a), "k1");
    json_decref(a);
    /* --no-bins: metadata and keys only. */
    a = records_of(AWS("scan", "test", "scan_k", "--no-bins"));
    assert_string_equal(keys_of(a), "k1,k2,k3");
    json_array_foreach(a, i, x) {
        assert_int_equal(json_object_size(json_object_get(x, "bins")), 0);
        assert_int_equal(json_integer_value(json_object_get(x, "gen")), 1);
    }
    json_decref(a);
}

static void test_scan_max_records(void **state) {
    json_t *all = records_of(AWS("scan", "test", "scan_a"));
    const char *ns[] = {"1", "7", "120"};
    for (size_t t = 0; t < 3; t++) {
        json_t *a = records_of(AWS("scan", "test", "scan_a", "--max-records", ns[t]));
        /* One node: exactly N, each a record of the set. */
        assert_int_equal(json_array_size(a), atoi(ns[t]));
        size_t i;
        json_t *x;
        json_array_foreach(a, i, x) assert_non_null(by_digest(all, str_of(x, "digest")));
        json_decref(a);
    }
    /* More than there are: all of them. */
    json_t *a = records_of(AWS("scan", "test", "scan_a", "--max-records", "100000"));
    assert_int_equal(json_array_size(a), 300);
    json_decref(a);
    json_decref(all);
}

static void test_scan_partitions(void **state) {
    json_t *all = records_of(AWS("scan", "test", "scan_a"));
    /* One partition: that of the first record, with exactly the records there. */
    unsigned pid = pid_of(json_array_get(all, 0));
    size_t want = 0, i;
    json_t *x;
    json_array_foreach(all, i, x) want += pid_of(x) == pid;
    char arg[16];
    snprintf(arg, sizeof arg, "%u", pid);
    json_t *one = records_of(AWS("scan", "test", "scan_a", "--partitions", arg));
    assert_int_equal(json_array_size(one), want);
    assert_true(want >= 1);
    json_array_foreach(one, i, x) assert_int_equal(pid_of(x), pid);
    assert_non_null(by_digest(one, str_of(json_array_get(all, 0), "digest")));
    json_decref(one);
    /* A range: every record whose partition is in it, none other. */
    const unsigned lo = 1000, hi = 3071;
    want = 0;
    json_array_foreach(all, i, x) want += pid_of(x) >= lo && pid_of(x) <= hi;
    snprintf(arg, sizeof arg, "%u-%u", lo, hi);
    json_t *range = records_of(AWS("scan", "test", "scan_a", "--partitions", arg));
    assert_int_equal(json_array_size(range), want);
    assert_true(want > 0 && want < 300);
    json_array_foreach(range, i, x) assert_true(pid_of(x) >= lo && pid_of(x) <= hi);
    json_decref(range);
    /* The whole range is the whole set. */
    range = records_of(AWS("scan", "test", "scan_a", "--partitions", "0-4095", "--rps", "100000"));
    assert_int_equal(json_array_size(range), 300);
    json_decref(range);
    json_decref(all);
}

/* What aw (args after -h HOST, NULL-terminated) writes to stderr when that
 * is a terminal (a pty) and stdout is /dev/null; it must exit 0. */
static char *tty_stderr_of(const char *const *args) {
    int master, slave;
    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[24] = {"aw", "-h", g_host};
        for (size_t i = 0; args[i] && i < 20; i++)
            argv[3 + i] = args[i];
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(slave, 2);
        close(master);
        execv(tu_aw_path(), (char *const *)argv);
        _exit(127);
    }
    close(slave);
    char *err = calloc(1, 65536);
    size_t n = 0;
    ssize_t got;
    /* EIO once the child closed the pty's last slave end. */
    while (n < 65535 && (got = read(master, err + n, 65535 - n)) > 0)
        n += (size_t)got;
    close(master);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("aw exited %d: %s", status, err);
    return err;
}

/* With stderr on a terminal and stdout not, the progress line: erased and
 * rewritten in place, its last state the final count and rate; the same
 * with --out; none with --json. */
/* The last progress line of err: "\r\033[Kaw scan: N records, S s" and,
 * when S is measurable (1 ms or more), ", R records/s", then nl (a pty
 * turns \n into \r\n) and `after`. A scan of 300 records may well take
 * under 1 ms. */
static void expect_final_progress(const char *err, unsigned long long n, const char *nl,
                                  const char *after) {
    char head[64];
    snprintf(head, sizeof head, "\r\033[Kaw scan: %llu records, ", n);
    const char *p = NULL;
    for (const char *q = err; (q = strstr(q, head)); q++)
        p = q; /* the last one: an update may show the same count before it */
    if (!p)
        fail_msg("no final progress line for %llu records in:\n%s", n, err);
    p += strlen(head);
    char *end;
    double s = strtod(p, &end);
    assert_true(end > p && s >= 0);
    assert_true(strncmp(end, " s", 2) == 0);
    end += 2;
    if (strncmp(end, ", ", 2) == 0) {
        double rate = strtod(end + 2, &end);
        assert_true(rate > 0);
        assert_true(strncmp(end, " records/s", 10) == 0);
        end += 10;
    } else {
        assert_true(s < 0.05); /* the rate is left out only of an instant scan */
    }
    size_t k = strlen(nl);
    if (strncmp(end, nl, k) != 0 || strncmp(end + k, after, strlen(after)) != 0)
        fail_msg("expected a newline and \"%s\" after the progress line in:\n%s", after, err);
}

static void test_scan_progress_on_tty(void **state) {
    char *err = tty_stderr_of((const char *const[]){"scan", "test", "scan_a", NULL});
    expect_final_progress(err, 300, "\r\n", "");
    free(err);
    err = tty_stderr_of((const char *const[]){"scan", "test", "scan_a", "--dtype", "[('i','<i8')]",
                                              "--out", tpath("tty.npy"), NULL});
    expect_final_progress(err, 300, "\r\n", "aw scan: 300 records written to ");
    free(err);
    err = tty_stderr_of((const char *const[]){"--json", "scan", "test", "scan_a", NULL});
    assert_string_equal(err, "");
    free(err);
}

/* AW_PROGRESS=MS shows the line whatever stderr is, every MS ms: with 0,
 * at every chunk of --out (its rows so far, rising) and every record of
 * JSON lines; AW_PROGRESS=never hides it; --json always does. */
static void test_scan_progress_forced(void **state) {
    setenv("AW_PROGRESS", "0", 1);
    /* 220-byte rows: aw's 64 KiB chunks hold 297 of scan_big's 4000. */
    tu_run r = AWS("scan", "test", "scan_big", "--dtype", "[('_digest','V20'),('pad','S200')]",
                   "--out", tpath("big.npy"));
    expect_status(r, 0);
    unsigned long long last = 0;
    int updates = 0;
    for (const char *p = r.err; (p = strstr(p, "\r\033[Kaw scan: ")); p++) {
        unsigned long long n;
        assert_int_equal(sscanf(p, "\r\033[Kaw scan: %llu records, ", &n), 1);
        assert_true(n >= last && n <= 4000);
        assert_true(n % 297 == 0 || n == 4000);
        last = n;
        updates++;
    }
    assert_true(updates >= 4000 / 297);
    assert_int_equal(last, 4000);
    expect_final_progress(r.err, 4000, "\n", "aw scan: 4000 records written to ");
    tu_run_free(&r);
    r = AWS("scan", "test", "scan_a");
    expect_status(r, 0);
    expect_contains(r.err, "\r\033[Kaw scan: 1 records, ");
    expect_contains(r.err, "\r\033[Kaw scan: 300 records, ");
    tu_run_free(&r);
    r = AWS("--json", "scan", "test", "scan_a", "--dtype", "[('i','<i8')]", "--out",
            tpath("j.npy"));
    expect_status(r, 0);
    assert_null(strstr(r.err, "\r"));
    assert_null(strstr(r.out, "records"));
    tu_run_free(&r);
    setenv("AW_PROGRESS", "never", 1);
    r = AWS("scan", "test", "scan_a");
    expect_status(r, 0);
    assert_string_equal(r.err, "");
    tu_run_free(&r);
    unsetenv("AW_PROGRESS");
}

/* Digests of records (lines_of) into seen (a JSON object used as a set);
 * fails on one seen before. */
static void add_unique(json_t *seen, json_t *records) {
    size_t i;
    json_t *x;
    json_array_foreach(records, i, x) {
        if (json_object_get(seen, str_of(x, "digest")))
            fail_msg("record %s delivered twice", str_of(x, "digest"));
        json_object_set_new(seen, str_of(x, "digest"), json_true());
    }
}

/* --cursor FILE with --max-records: pages that together are every record
 * once, then a run with nothing left. */
static void test_scan_cursor_pages(void **state) {
    const char *cur = tpath("pages.cursor");
    json_t *seen = json_object();
    int pages = 0;
    for (;;) {
        tu_run r = AWS("scan", "test", "scan_a", "--max-records", "120", "--cursor", cur);
        expect_status(r, 0);
        bool done = strstr(r.err, "every partition done") != NULL;
        if (!done)
            expect_contains(r.err, "aw scan: cursor saved in ");
        json_t *page = lines_of(r.out);
        assert_true(json_array_size(page) <= 120);
        add_unique(seen, page);
        json_decref(page);
        tu_run_free(&r);
        pages++;
        if (done)
            break;
        assert_true(pages < 10);
    }
    assert_int_equal(json_object_size(seen), 300);
    assert_true(pages >= 3);
    tu_run r = AWS("scan", "test", "scan_a", "--cursor", cur);
    expect_status(r, 0);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "every partition done");
    tu_run_free(&r);
    json_decref(seen);
    /* A file that is not a cursor: exit 1, named. */
    FILE *f = fopen(tpath("junk.cursor"), "w");
    fputs("junk", f);
    fclose(f);
    r = AWS("scan", "test", "scan_a", "--cursor", tpath("junk.cursor"));
    expect_status(r, 1);
    expect_contains(r.err, "junk.cursor: not a cursor aw wrote");
    assert_string_equal(r.out, "");
    tu_run_free(&r);
}

/* Ctrl-C during a scan: aw stops the scan, the lines printed are whole
 * records, stderr counts them, exit 130. aw is blocked writing to the pipe
 * (the records are far more than a pipe holds) when the signal comes. The
 * cursor it saved resumes the scan with exactly the records not printed. */
static void test_scan_interrupted(void **state) {
    char *out = tu_python(g_dir, "import numpy as np\n"
                                 "a = np.zeros(4000, [('_key','<i8'),('pad','S200')])\n"
                                 "a['_key'] = np.arange(4000)\n"
                                 "a['pad'] = b'x' * 200\n"
                                 "np.save('big.npy', a)\n"
                                 "print('ok')\n");
    assert_string_equal(out, "ok\n");
    free(out);
    tu_run r = AWS("batch-put", "test", "scan_big", "--from", tpath("big.npy"));
    expect_status(r, 0);
    tu_run_free(&r);

    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    const char *err_path = tpath("int.err");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], 1);
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        close(pipefd[0]);
        execl(tu_aw_path(), "aw", "-h", g_host, "scan", "test", "scan_big", "--cursor",
              tpath("int.cursor"), (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    FILE *f = fdopen(pipefd[0], "r");
    char *line = NULL;
    size_t cap = 0;
    /* The first line means the scan is under way; then the signal. */
    assert_true(getline(&line, &cap, f) > 0);
    assert_int_equal(kill(pid, SIGINT), 0);
    size_t lines = 1;
    json_t *seen = json_object();
    json_error_t e;
    json_t *first = json_loads(line, 0, &e);
    assert_non_null(first);
    json_object_set_new(seen, str_of(first, "digest"), json_true());
    json_decref(first);
    while (getline(&line, &cap, f) > 0) {
        json_t *j = json_loads(line, 0, &e);
        if (!json_is_object(j))
            fail_msg("line %zu is not a record: %s", lines, line);
        json_object_set_new(seen, str_of(j, "digest"), json_true());
        json_decref(j);
        lines++;
    }
    free(line);
    fclose(f);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    assert_true(lines < 4000);
    char *err = slurp(err_path);
    char says[96];
    snprintf(says, sizeof says, "aw: scan test/scan_big: interrupted after %zu records\n", lines);
    expect_contains(err, says);
    expect_contains(err, "more to read");
    free(err);
    /* The rest, none of them printed before. */
    tu_run r2 = AWS("scan", "test", "scan_big", "--cursor", tpath("int.cursor"));
    json_t *rest = records_of(r2);
    assert_int_equal(json_array_size(rest), 4000 - lines);
    add_unique(seen, rest);
    json_decref(rest);
    assert_int_equal(json_object_size(seen), 4000);
    json_decref(seen);
}

/* --- --out FILE.npy ---------------------------------------------------------------- */

#define OUT_DTYPE "[('_digest','V20'),('i','<i8'),('f','<f8'),('s','S6')]"

/* What numpy.load finds in dir/name, a file of OUT_DTYPE or of _key/n:
 * {"shape": [...], "descr": str, "rows": {digest hex: {field: value}}}. */
static json_t *npy_rows(const char *name) {
    char script[1024];
    snprintf(script, sizeof script,
             "import numpy as np, json\n"
             "a = np.load('%s')\n"
             "rows = {}\n"
             "for r in a:\n"
             "    d = {}\n"
             "    for n in a.dtype.names:\n"
             "        if n != '_digest':\n"
             "            v = r[n].item()\n"
             "            d[n] = v.decode() if isinstance(v, bytes) else v\n"
             "    rows[r['_digest'].tobytes().hex()] = d\n"
             "print(json.dumps({'shape': list(a.shape), 'descr': str(a.dtype.descr), "
             "'rows': rows}))\n",
             name);
    char *out = tu_python(g_dir, script);
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    if (!json_is_object(j))
        fail_msg("not JSON: %s", out);
    free(out);
    return j;
}

/* The digest of rec (a scan line) in lower case, as npy_rows keys rows. */
static const char *lower_hex(json_t *rec, char out[41]) {
    snprintf(out, 41, "%s", str_of(rec, "digest"));
    for (char *p = out; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    return out;
}

/* Every record of records (scan lines of scan_a) is the row of its digest
 * in the file's rows, with the same bins, and the file has no other row. */
static void expect_rows_are(json_t *file, json_t *records) {
    json_t *rows = json_object_get(file, "rows");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(file, "shape"), 0)),
                     json_array_size(records));
    assert_int_equal(json_object_size(rows), json_array_size(records));
    size_t i;
    json_t *x;
    json_array_foreach(records, i, x) {
        char digest[41];
        json_t *row = json_object_get(rows, lower_hex(x, digest));
        if (!row)
            fail_msg("record %s is not in the file", digest);
        json_t *bins = json_object_get(x, "bins");
        assert_int_equal(json_integer_value(json_object_get(row, "i")),
                         json_integer_value(json_object_get(bins, "i")));
        assert_true(json_real_value(json_object_get(row, "f")) ==
                    json_number_value(json_object_get(bins, "f")));
        assert_string_equal(str_of(row, "s"), str_of(bins, "s"));
    }
}

/* scan --out: the rows numpy loads are the records the JSON lines give,
 * matched by digest; --max-records and --partitions give the same subset
 * either way; query --out takes the same options. */
static void test_scan_out(void **state) {
    json_t *all = records_of(AWS("scan", "test", "scan_a"));
    tu_run r = AWS("scan", "test", "scan_a", "--dtype", OUT_DTYPE, "--out", tpath("a_out.npy"));
    expect_status(r, 0);
    assert_string_equal(r.out, "");
    char says[160];
    snprintf(says, sizeof says, "aw scan: 300 records written to %s\n", tpath("a_out.npy"));
    assert_string_equal(r.err, says);
    tu_run_free(&r);
    json_t *file = npy_rows("a_out.npy");
    assert_string_equal(str_of(file, "descr"),
                        "[('_digest', '|V20'), ('i', '<i8'), ('f', '<f8'), ('s', '|S6')]");
    expect_rows_are(file, all);
    json_decref(file);

    /* --max-records: 7 rows, each a record of the set. */
    r = AWS("scan", "test", "scan_a", "--max-records", "7", "--dtype", OUT_DTYPE, "--out",
            tpath("a7.npy"));
    expect_status(r, 0);
    tu_run_free(&r);
    file = npy_rows("a7.npy");
    json_t *rows = json_object_get(file, "rows");
    assert_int_equal(json_object_size(rows), 7);
    json_t *seven = json_array();
    const char *digest;
    json_t *row;
    json_object_foreach(rows, digest, row) {
        json_t *x = NULL;
        size_t i;
        json_t *y;
        char mine[41];
        json_array_foreach(all, i, y) if (strcmp(lower_hex(y, mine), digest) == 0) x = y;
        assert_non_null(x);
        json_array_append(seven, x);
    }
    expect_rows_are(file, seven);
    json_decref(seven);
    json_decref(file);

    /* --partitions: the rows are exactly the records the JSON scan gives there. */
    json_t *range = records_of(AWS("scan", "test", "scan_a", "--partitions", "1000-3071"));
    assert_true(json_array_size(range) > 0 && json_array_size(range) < 300);
    r = AWS("scan", "test", "scan_a", "--partitions", "1000-3071", "--dtype", OUT_DTYPE,
            "--out", tpath("range.npy"));
    expect_status(r, 0);
    tu_run_free(&r);
    file = npy_rows("range.npy");
    expect_rows_are(file, range);
    json_decref(file);
    json_decref(range);

    /* _key gets the key a record was stored with; the rows are the records
     * that have bin n (the dtype's bins are the ones asked for, and the
     * server sends no record that has none of them). */
    r = AWS("scan", "test", "scan_k", "--dtype", "[('_digest','V20'),('_key','S4'),('n','<i8')]",
            "--out", tpath("k.npy"));
    expect_status(r, 0);
    tu_run_free(&r);
    file = npy_rows("k.npy");
    json_t *k = records_of(AWS("scan", "test", "scan_k", "--bins", "n"));
    assert_string_equal(keys_of(k), "k1,k2");
    assert_int_equal(json_object_size(json_object_get(file, "rows")), 2);
    size_t i;
    json_t *x;
    json_array_foreach(k, i, x) {
        char hex[41];
        row = json_object_get(json_object_get(file, "rows"), lower_hex(x, hex));
        assert_non_null(row);
        assert_string_equal(str_of(row, "_key"), str_of(x, "key"));
        assert_int_equal(json_integer_value(json_object_get(row, "n")),
                         json_integer_value(json_object_get(json_object_get(x, "bins"), "n")));
    }
    json_decref(k);
    json_decref(file);
    json_decref(all);
}

/* True when dir holds a file whose name starts with prefix. */
static bool dir_has(const char *prefix) {
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    bool found = false;
    struct dirent *de;
    while ((de = readdir(d)))
        found |= strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return found;
}

/* --out with --cursor: each run writes the part it read to the file named,
 * and the cursor moves on; a run that fails (a bin its field cannot take)
 * leaves no file, nor a temporary, and the cursor as it was. */
static void test_scan_out_cursor(void **state) {
    const char *cursor = tpath("out.cursor");
    tu_run r = AWS("scan", "test", "scan_a", "--max-records", "200", "--cursor", cursor,
                   "--dtype", OUT_DTYPE, "--out", tpath("part1.npy"));
    expect_status(r, 0);
    expect_contains(r.err, "200 records written to");
    expect_contains(r.err, "more to read");
    tu_run_free(&r);
    char *before = slurp(cursor);

    /* 's' is a string bin: an integer field cannot take it. */
    r = AWS("scan", "test", "scan_a", "--cursor", cursor, "--dtype", "[('s','<i8')]", "--out",
            tpath("bad.npy"));
    assert_int_not_equal(r.status, 0);
    assert_int_not_equal(r.status, 2);
    expect_contains(r.err, "could not take its bin");
    tu_run_free(&r);
    assert_false(dir_has("bad.npy"));
    char *after = slurp(cursor);
    assert_string_equal(after, before);
    free(after);
    free(before);

    r = AWS("scan", "test", "scan_a", "--cursor", cursor, "--dtype", OUT_DTYPE, "--out",
            tpath("part2.npy"));
    expect_status(r, 0);
    expect_contains(r.err, "100 records written to");
    expect_contains(r.err, "every partition done");
    tu_run_free(&r);
    json_t *p1 = npy_rows("part1.npy"), *p2 = npy_rows("part2.npy");
    json_t *rows1 = json_object_get(p1, "rows"), *rows2 = json_object_get(p2, "rows");
    assert_int_equal(json_object_size(rows1), 200);
    assert_int_equal(json_object_size(rows2), 100);
    json_object_update(rows1, rows2); /* no digest in both: 300 together */
    json_t *both = json_pack("{s:[i], s:O}", "shape", 300, "rows", rows1);
    json_t *all = records_of(AWS("scan", "test", "scan_a"));
    expect_rows_are(both, all);
    json_decref(all);
    json_decref(both);
    json_decref(p1);
    json_decref(p2);
}

/* A whole file (malloc'd); its length in *len. */
static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *bytes = malloc(1u << 20);
    *len = fread(bytes, 1, 1u << 20, f);
    assert_true(*len < 1u << 20);
    fclose(f);
    return bytes;
}

/* Ctrl-C while the scan runs into --out: exit 130, no file under the name
 * and no temporary beside it, the cursor file left as it was. To have the
 * signal come mid-scan, --cursor is a FIFO: aw has connected when it opens
 * it, the server is stopped (SIGSTOP) before the cursor is written into it,
 * so the scan's request gets no reply; the temporary file then exists, the
 * signal comes (it is pending in aw before kill returns), and only then
 * does the server go on (SIGCONT) and the records stream. */
static void test_scan_out_interrupted(void **state) {
    const char *cursor = tpath("int_out.cursor");
    tu_run r = AWS("scan", "test", "scan_a", "--max-records", "1", "--cursor", cursor);
    expect_status(r, 0);
    expect_contains(r.err, "more to read");
    tu_run_free(&r);
    size_t len;
    char *bytes = read_all(cursor, &len);
    const char *fifo = tpath("int_out.fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    const char *err_path = tpath("int_out.err");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        execl(tu_aw_path(), "aw", "-h", g_host, "scan", "test", "scan_a", "--cursor", fifo,
              "--dtype", OUT_DTYPE, "--out", tpath("slow.npy"), (char *)NULL);
        _exit(127);
    }
    int status, fd = -1;
    for (int k = 0; k < 5000 && fd < 0; k++) { /* ENXIO until aw opens it */
        assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
        if ((fd = open(fifo, O_WRONLY | O_NONBLOCK)) < 0)
            usleep(2000);
    }
    assert_true(fd >= 0);
    assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
    /* Nothing may fail the test while the server is stopped (the suite's
     * teardown could not stop it then): the checks come after SIGCONT. */
    assert_int_equal(kill(srv.pid, SIGSTOP), 0);
    ssize_t wrote = write(fd, bytes, len);
    close(fd);
    free(bytes);
    bool started = false;
    pid_t ended = 0;
    for (int k = 0; k < 5000 && !(started = dir_has("slow.npy.tmp-")) && !ended; k++)
        if (!(ended = waitpid(pid, &status, WNOHANG)))
            usleep(2000);
    int signalled = started && !ended ? kill(pid, SIGINT) : -1;
    assert_int_equal(kill(srv.pid, SIGCONT), 0);
    assert_int_equal(wrote, (ssize_t)len);
    assert_int_equal(ended, 0);
    assert_true(started);
    assert_int_equal(signalled, 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    char *err = slurp(err_path);
    if (WEXITSTATUS(status) != 130)
        fail_msg("exit %d: %s", WEXITSTATUS(status), err);
    assert_false(dir_has("slow.npy"));
    char says[512];
    snprintf(says, sizeof says,
             "aw: scan test/scan_a: interrupted; %s not written (the cursor file is left as it "
             "was)\n",
             tpath("slow.npy"));
    assert_string_equal(err, says);
    free(err);
    struct stat st;
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

/* --- namespaces and sets --------------------------------------------------------- */

/* aw namespaces and aw sets against the one-node aw-testd: the namespaces it
 * serves, scan_a's 300 records and scan_k's 3 (a node holds every copy),
 * in words and in JSON; a namespace it lacks is exit 4 with code 20. */
static void test_namespaces_and_sets(void **state) {
    tu_run r = AWS("namespaces");
    expect_status(r, 0);
    assert_string_equal(r.out, "test\nbar\n");
    tu_run_free(&r);
    r = AWS("--json", "namespaces");
    expect_status(r, 0);
    assert_string_equal(r.out, "[\"test\",\"bar\"]\n");
    tu_run_free(&r);
    r = AWS("sets", "test");
    expect_status(r, 0);
    expect_contains(r.out, "test/scan_a: 300 objects, 0 tombstones, 0 data bytes, 0 indexes, "
                           "stop-writes-count 0, stop-writes-size 0, default-ttl 0 (1 node)\n");
    expect_contains(r.out, "test/scan_k: 3 objects, ");
    tu_run_free(&r);
    r = AWS("--json", "sets");
    expect_status(r, 0);
    json_t *all = out_json(r);
    tu_run_free(&r);
    size_t i;
    json_t *x, *a = NULL;
    json_array_foreach(all, i, x) if (strcmp(str_of(x, "set"), "scan_a") == 0) a = x;
    assert_non_null(a);
    assert_string_equal(str_of(a, "ns"), "test");
    assert_int_equal(json_integer_value(json_object_get(a, "objects")), 300);
    assert_int_equal(json_integer_value(json_object_get(a, "nodes")), 1);
    assert_true(json_is_false(json_object_get(a, "truncating")));
    json_decref(all);
    r = AWS("sets", "bar");
    expect_status(r, 0);
    assert_string_equal(r.out, "");
    tu_run_free(&r);
    r = AWS("sets", "nope");
    expect_status(r, 4);
    expect_contains(r.err, "no node has namespace nope (NAMESPACE_NOT_FOUND, code 20)");
    tu_run_free(&r);
}

/* --- queries, indexes, filters and truncate on a real server ---------------------- */

static const char *Q_SET = "aw_cli_q";
static const char *const Q_INDEXES[][4] = {
    /* name, bin, type, collection */
    {"aw_cli_q_n", "n", "numeric", NULL},     {"aw_cli_q_s", "s", "string", NULL},
    {"aw_cli_q_b", "b", "blob", NULL},        {"aw_cli_q_tags", "tags", "string", "list"},
    {"aw_cli_q_mk", "m", "string", "mapkeys"}, {"aw_cli_q_mv", "m", "numeric", "mapvalues"},
    {"aw_cli_q_loc", "loc", "geo2dsphere", NULL},
};
#define N_Q_INDEXES (sizeof Q_INDEXES / sizeof Q_INDEXES[0])

/* The records the query printed (exit 0), each equal to what get prints;
 * their keys sorted (static). */
static const char *query_keys(const char *hosts, tu_run r) {
    json_t *recs = records_of(r);
    size_t i;
    json_t *x;
    json_array_foreach(recs, i, x) expect_same_as_get(hosts, x);
    const char *keys = keys_of(recs);
    json_decref(recs);
    return keys;
}

static void check_queries(const char *hosts) {
#define AWR(...) AW("-h", hosts, __VA_ARGS__)
    /* Our indexes of an earlier failed run go first (drop is no error without one). */
    for (size_t i = 0; i < N_Q_INDEXES; i++) {
        tu_run r = AWR("sindex", "drop", "test", Q_INDEXES[i][0]);
        expect_status(r, 0);
        tu_run_free(&r);
    }
    tu_run r = AWR("truncate", "test", Q_SET);
    expect_status(r, 0);
    assert_string_equal(r.out, "truncated test/aw_cli_q\n");
    tu_run_free(&r);
    const char *const puts[][8] = {
        {"q1", "n=1", "s=red", "b=hex:0a0b", "tags=[\"x\",\"y\"]", "m={\"k1\":10}",
         "loc=geo:{\"type\":\"Point\",\"coordinates\":[10.0,20.0]}"},
        {"q2", "n=5", "s=blue", "b=hex:0c", "tags=[\"y\",\"z\"]", "m={\"k2\":20}",
         "loc=geo:{\"type\":\"Point\",\"coordinates\":[50.0,50.0]}"},
        {"q3", "n=9", "s=red", "tags=[\"z\"]", "m={\"k1\":30}"},
    };
    for (size_t i = 0; i < 3; i++) {
        const char *args[16] = {"-h", hosts, "put", "--send-key", "test", Q_SET};
        size_t n = 6;
        for (size_t k = 0; k < 8 && puts[i][k]; k++)
            args[n++] = puts[i][k];
        r = tu_run_aw(NULL, args);
        expect_status(r, 0);
        tu_run_free(&r);
    }
    /* Before any index: exit 4 with the server's 201 and a hint. */
    r = AWR("query", "test", Q_SET, "--where", "n == 5");
    expect_status(r, 4);
    expect_contains(r.err, "no secondary index on bin 'n' answers it (aw sindex list test)");
    expect_contains(r.err, "(INDEX_NOT_FOUND, code 201)");
    assert_string_equal(r.out, "");
    tu_run_free(&r);
    r = AWR("query", "test", Q_SET, "--where", "tags contains y");
    expect_status(r, 4);
    expect_contains(r.err, "no string index over a list or map on bin 'tags'");
    expect_contains(r.err, "(INDEX_NOT_FOUND, code 201)");
    tu_run_free(&r);

    for (size_t i = 0; i < N_Q_INDEXES; i++) {
        const char *args[16] = {"-h", hosts, "sindex", "create", "test", Q_SET, Q_INDEXES[i][1],
                                Q_INDEXES[i][0], "--type", Q_INDEXES[i][2]};
        size_t n = 10;
        if (Q_INDEXES[i][3]) {
            args[n++] = "--collection";
            args[n++] = Q_INDEXES[i][3];
        }
        r = tu_run_aw(NULL, args);
        expect_status(r, 0);
        expect_contains(r.out, ": ready\n");
        tu_run_free(&r);
    }
    /* The same definition again is no error. */
    r = AWR("--json", "sindex", "create", "test", Q_SET, "n", "aw_cli_q_n", "--type", "numeric");
    expect_status(r, 0);
    json_t *j = out_json(r);
    assert_true(json_is_true(json_object_get(j, "ready")));
    assert_string_equal(str_of(j, "type"), "numeric");
    json_decref(j);
    tu_run_free(&r);
    /* The name again on another bin: the server's 200, INDEX_FOUND. */
    r = AWR("sindex", "create", "test", Q_SET, "s", "aw_cli_q_n", "--type", "string");
    expect_status(r, 4);
    expect_contains(r.err, "already exists with different definition (INDEX_FOUND, code 200)");
    assert_string_equal(r.out, "");
    tu_run_free(&r);
    /* list shows each as created, readable. */
    r = AWR("--json", "sindex", "list", "test");
    expect_status(r, 0);
    j = out_json(r);
    tu_run_free(&r);
    for (size_t i = 0; i < N_Q_INDEXES; i++) {
        size_t k;
        json_t *x, *found = NULL;
        json_array_foreach(j, k, x) if (strcmp(str_of(x, "name"), Q_INDEXES[i][0]) == 0) found = x;
        if (!found)
            fail_msg("sindex list has no %s", Q_INDEXES[i][0]);
        assert_string_equal(str_of(found, "set"), Q_SET);
        assert_string_equal(str_of(found, "bin"), Q_INDEXES[i][1]);
        assert_string_equal(str_of(found, "type"), Q_INDEXES[i][2]);
        assert_string_equal(str_of(found, "collection"),
                            Q_INDEXES[i][3] ? Q_INDEXES[i][3] : "default");
        assert_true(json_is_true(json_object_get(found, "readable")));
    }
    json_decref(j);
    r = AWR("sindex", "list", "test");
    expect_contains(r.out, "test  aw_cli_q_mv  aw_cli_q  m  numeric  mapvalues\n");
    tu_run_free(&r);

    /* The four forms. */
    static const struct {
        const char *where, *collection, *keys;
    } Q[] = {
        {"n == 5", NULL, "q2"},
        {"n between 1 and 5", NULL, "q1,q2"},
        {"n between -100 and int:100", NULL, "q1,q2,q3"},
        {"s == red", NULL, "q1,q3"},
        {"s == \"blue\"", NULL, "q2"},
        {"b == hex:0a0b", NULL, "q1"},
        {"tags contains y", NULL, "q1,q2"},
        {"tags contains y", "list", "q1,q2"},
        {"m contains k1", NULL, "q1,q3"},     /* the string index: map keys */
        {"m contains 20", NULL, "q2"},        /* the numeric one: map values */
        {"m contains k2", "mapkeys", "q2"},
        {"loc within {\"type\":\"AeroCircle\",\"coordinates\":[[10.0,20.0],1000]}", NULL, "q1"},
        {"loc within geo:{\"type\":\"Polygon\",\"coordinates\":[[[49,49],[51,49],[51,51],"
         "[49,51],[49,49]]]}",
         NULL, "q2"},
        {"n == 4", NULL, ""},
    };
    for (size_t i = 0; i < sizeof Q / sizeof Q[0]; i++) {
        r = Q[i].collection ? AWR("query", "test", Q_SET, "--where", Q[i].where, "--collection",
                                  Q[i].collection)
                            : AWR("query", "test", Q_SET, "--where", Q[i].where);
        const char *keys = query_keys(hosts, r);
        if (strcmp(keys, Q[i].keys))
            fail_msg("--where '%s': %s, expected %s", Q[i].where, keys, Q[i].keys);
    }
    /* With the options of a scan. */
    assert_string_equal(query_keys(hosts, AWR("query", "test", Q_SET, "--where", "s == red",
                                              "--filter", "$.n > 5")),
                        "q3");
    json_t *recs = records_of(AWR("query", "test", Q_SET, "--where", "n between 0 and 9",
                                  "--bins", "s"));
    assert_int_equal(json_array_size(recs), 3);
    size_t i;
    json_t *x;
    json_array_foreach(recs, i, x) assert_int_equal(json_object_size(json_object_get(x, "bins")), 1);
    json_decref(recs);
    /* A contains on a bin that has no list or map index. */
    r = AWR("query", "test", Q_SET, "--where", "n contains 1");
    expect_status(r, 4);
    expect_contains(r.err, "no numeric index over a list or map on bin 'n'");
    tu_run_free(&r);

    /* scan --filter, evaluated by the server. */
    assert_string_equal(query_keys(hosts, AWR("scan", "test", Q_SET, "--filter", "$.n >= 5")),
                        "q2,q3");
    recs = records_of(AWR("scan", "test", Q_SET, "--filter", "$.s == \"red\" and $.n < 5",
                          "--no-bins"));
    assert_string_equal(keys_of(recs), "q1");
    assert_int_equal(json_object_size(json_object_get(json_array_get(recs, 0), "bins")), 0);
    json_decref(recs);

    /* drop: the query has no index again; truncate empties the set. */
    for (size_t k = 0; k < N_Q_INDEXES; k++) {
        r = AWR("--json", "sindex", "drop", "test", Q_INDEXES[k][0]);
        expect_status(r, 0);
        j = out_json(r);
        assert_true(json_is_true(json_object_get(j, "dropped")));
        json_decref(j);
        tu_run_free(&r);
    }
    r = AWR("sindex", "list", "test");
    expect_status(r, 0);
    assert_null(strstr(r.out, "aw_cli_q_"));
    tu_run_free(&r);
    /* Dropping a name no index has: the server answers ok, so aw does. */
    r = AWR("sindex", "drop", "test", "aw_cli_q_n");
    expect_status(r, 0);
    assert_string_equal(r.out, "dropped index aw_cli_q_n in test\n");
    tu_run_free(&r);
    r = AWR("query", "test", Q_SET, "--where", "n == 5");
    expect_status(r, 4);
    expect_contains(r.err, "code 201");
    tu_run_free(&r);
    r = AWR("--json", "truncate", "test", Q_SET);
    expect_status(r, 0);
    j = out_json(r);
    assert_true(json_is_true(json_object_get(j, "truncated")));
    assert_string_equal(str_of(j, "set"), Q_SET);
    json_decref(j);
    tu_run_free(&r);
    r = AWR("scan", "test", Q_SET);
    expect_status(r, 0);
    assert_string_equal(r.out, "");
    tu_run_free(&r);
#undef AWR
}

/* aw-testd serves indexes, queries and truncate as the server does. */
static void test_queries_testd(void **state) { check_queries(g_host); }

static void test_queries_real_server(void **state) {
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    if (!hosts || !*hosts)
        skip();
    check_queries(hosts);
}

/* The real server's scans read as aw-testd's do: the records, partitions. */
static void test_scan_real_server(void **state) {
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    if (!hosts || !*hosts)
        skip();
    const char *set = "aw_cli_scan";
    for (int k = 0; k < 20; k++) {
        char key[16], bin[16];
        snprintf(key, sizeof key, "r%d", k);
        snprintf(bin, sizeof bin, "v=%d", k);
        tu_run r = AW("-h", hosts, "put", "--send-key", "test", set, key, bin);
        expect_status(r, 0);
        tu_run_free(&r);
    }
    json_t *all = records_of(AW("-h", hosts, "scan", "test", set));
    assert_int_equal(json_array_size(all), 20);
    size_t i;
    json_t *x;
    json_array_foreach(all, i, x) expect_same_as_get(hosts, x);
    unsigned pid = pid_of(json_array_get(all, 0));
    char arg[16];
    snprintf(arg, sizeof arg, "%u", pid);
    json_t *one = records_of(AW("-h", hosts, "scan", "test", set, "--partitions", arg));
    size_t want = 0;
    json_array_foreach(all, i, x) want += pid_of(x) == pid;
    assert_int_equal(json_array_size(one), want);
    json_decref(one);
    json_t *some = records_of(AW("-h", hosts, "scan", "test", set, "--max-records", "5"));
    assert_true(json_array_size(some) >= 1 && json_array_size(some) <= 5);
    json_decref(some);
    /* aw sets counts them (one node, one copy each) */
    tu_run r = AW("-h", hosts, "sets", "test");
    expect_status(r, 0);
    expect_contains(r.out, "test/aw_cli_scan: 20 objects, 0 tombstones, ");
    tu_run_free(&r);
    json_decref(all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_scan_records),
        cmocka_unit_test(test_scan_bins),
        cmocka_unit_test(test_scan_max_records),
        cmocka_unit_test(test_scan_partitions),
        cmocka_unit_test(test_scan_progress_on_tty),
        cmocka_unit_test(test_scan_cursor_pages),
        cmocka_unit_test(test_scan_interrupted),
        cmocka_unit_test(test_scan_out),
        cmocka_unit_test(test_scan_out_cursor),
        cmocka_unit_test(test_scan_out_interrupted),
        cmocka_unit_test(test_scan_progress_forced),
        cmocka_unit_test(test_queries_testd),
        cmocka_unit_test(test_namespaces_and_sets),
        cmocka_unit_test(test_queries_real_server),
        cmocka_unit_test(test_scan_real_server),
    };
    int failed = cmocka_run_group_tests_name("cli_scan", tests, setup, teardown);
    return failed || tu_testd_stop_failed;
}
