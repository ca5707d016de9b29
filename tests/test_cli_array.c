/*
 * aw array put|info|get|delete, run as a child process ($AW_BIN/aw) against
 * an aw-testd child: arrays numpy wrote (3-d f4 in chunks, a structured
 * dtype with sub-arrays, 0-d, complex128, bool; compressed or not; with
 * attributes) stored, described (--json checked against numpy's own descr
 * and shape), read back whole and by rows and loaded by numpy (mmap) to
 * compare exactly; delete; usage errors and refused files; and a chunk
 * deleted behind the tool's back, which get names.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "aerowire/aerowire.h"
#include "support/awrun.h"
#include "support/client_fixture.h"
#include "support/pyrun.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

static tu_testd srv;
static aw_client *client; /* for what the tool must not be told: damage */
static char g_host[64];
static char g_dir[64];

/* aw against the suite's server. */
#define AWS(...) AW("-h", g_host, __VA_ARGS__)

static const char *EMBEDDED_NOTICE = "aw: no -h given; started aw-testd on ";

static const char *tpath(const char *name) { return tu_path(g_dir, name); }

static char *py_run(const char *script) { return tu_python(g_dir, script); }

/* The arrays, and what numpy says of them (descr text and shape) in meta.json. */
static const char *MAKE_ARRAYS =
    "import json, numpy as np\n"
    "from numpy.lib.format import dtype_to_descr\n"
    "rng = np.random.default_rng(11)\n"
    "a = {}\n"
    "cube = rng.standard_normal((50, 24, 20)).astype('<f4')\n"
    "cube[0, 0, :4] = [np.nan, np.inf, -0.0, 1e-45]\n"
    "a['cube'] = cube\n"
    "st = np.dtype([('id','<i4'),('pos','<f8',(3,)),('name','S5'),('ok','?'),('m','<u2',(2,2))])\n"
    "rec = np.zeros(300, st)\n"
    "rec['id'] = np.arange(300) * 7 - 1000\n"
    "rec['pos'] = rng.standard_normal((300, 3))\n"
    "rec['name'] = [b'n%d' % (i * 13) for i in range(300)]\n"
    "rec['ok'] = np.arange(300) % 3 == 0\n"
    "rec['m'] = rng.integers(0, 65536, (300, 2, 2))\n"
    "a['rec'] = rec\n"
    "a['zerod'] = np.array(-7.25, '<f8')\n"
    "z = rng.standard_normal((17, 5)) + 1j * rng.standard_normal((17, 5))\n"
    "a['cplx'] = z.astype('<c16')\n"
    "a['flags'] = rng.random(1000) > 0.3\n"
    "meta = {}\n"
    "for k, v in a.items():\n"
    "    np.save(k + '.npy', v)\n"
    "    meta[k] = {'descr': repr(dtype_to_descr(v.dtype)), 'shape': list(v.shape)}\n"
    "json.dump(meta, open('meta.json', 'w'))\n"
    "np.save('fortran.npy', np.asfortranarray(np.arange(6.0).reshape(2, 3)))\n"
    "np.save('object.npy', np.array([1, 'a', None], dtype=object), allow_pickle=True)\n"
    "np.save('big.npy', np.zeros(9 << 20, 'u1'))\n"
    "open('not.npy', 'w').write('hello')\n"
    "print('made', len(a))\n";

static json_t *g_meta;

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/aw-test-cli-array-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    if (access(tu_aw_path(), X_OK) != 0) {
        fprintf(stderr, "cannot run %s (set AW_BIN to the built tools)\n", tu_aw_path());
        return -1;
    }
    if (tu_testd_start(&srv, NULL) != 0)
        return -1;
    snprintf(g_host, sizeof g_host, "127.0.0.1:%u", srv.ports[0]);
    aw_config cfg = tu_client_config(&srv, 0);
    return tu_client_setup(&client, &cfg);
}

static int teardown(void **state) {
    (void)state;
    aw_client_close(client);
    json_decref(g_meta);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    int rc = system(cmd);
    return tu_testd_stop_group(&srv) == 0 && rc == 0 ? 0 : -1;
}

/* The files are made once, by the first test that needs them. */
static void make_arrays(void) {
    if (g_meta)
        return;
    char *out = py_run(MAKE_ARRAYS);
    expect_contains(out, "made 5");
    free(out);
    json_error_t e;
    g_meta = json_load_file(tpath("meta.json"), 0, &e);
    if (!g_meta)
        fail_msg("meta.json: %s", e.text);
}

static json_int_t jint(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        fail_msg("\"%s\" is not an integer in the output", k);
    return json_integer_value(v);
}

/* numpy compares each output file (loaded with mmap_mode='r') with its
 * source, or a slice of it: same dtype, shape and bytes. */
typedef struct compare {
    const char *src, *got, *slice; /* slice: "" or numpy's "3:17" */
} compare;

static void numpy_compare(const compare *c, size_t n) {
    size_t cap = 4096 + n * 200;
    char *script = malloc(cap);
    assert_non_null(script);
    size_t at = (size_t)snprintf(script, cap,
                                 "import numpy as np\n"
                                 "def same(src, got, sl):\n"
                                 "    a = np.load(src)\n"
                                 "    if sl: a = eval('a[%%s]' %% sl)\n"
                                 "    b = np.load(got, mmap_mode='r')\n"
                                 "    assert a.size == 0 or isinstance(b, np.memmap), got\n"
                                 "    assert a.dtype == b.dtype, (got, a.dtype, b.dtype)\n"
                                 "    assert a.shape == b.shape, (got, a.shape, b.shape)\n"
                                 "    assert a.tobytes() == b.tobytes(), got + ' differs'\n"
                                 "    print('same', got)\n");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(script + at, cap - at, "same('%s', '%s', '%s')\n", c[i].src,
                               c[i].got, c[i].slice);
    char *out = py_run(script);
    for (size_t i = 0; i < n; i++) {
        char line[300];
        snprintf(line, sizeof line, "same %s\n", c[i].got);
        expect_contains(out, line);
    }
    free(out);
    free(script);
}

/* --- help and usage ----------------------------------------------------------------- */

static void test_help(void **state) {
    tu_run r = AW("--help");
    expect_status(r, 0);
    expect_contains(r.out, "  array      whole N-d arrays under one key");
    tu_run_free(&r);
    r = AW("array", "--help");
    expect_status(r, 0);
    expect_contains(r.out, "usage: aw [options] array put|info|get|delete NS SET KEY");
    expect_contains(r.out, "ARRAY_CORRUPT");
    tu_run_free(&r);
    const char *subs[] = {"put", "info", "get", "delete"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        r = AW("array", subs[i], "--help");
        expect_status(r, 0);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: aw [options] array %s NS SET KEY", subs[i]);
        expect_contains(r.out, usage);
        assert_string_equal(r.err, ""); /* help starts no server */
        tu_run_free(&r);
    }
    r = AW("array", "put", "--help");
    const char *put_words[] = {"--from FILE", "--chunk-bytes N", "--compress", "--attr NAME=VALUE",
                               "hex:00ff", "Fortran"};
    for (size_t i = 0; i < sizeof put_words / sizeof put_words[0]; i++)
        expect_contains(r.out, put_words[i]);
    tu_run_free(&r);
    r = AW("array", "get", "--help");
    expect_contains(r.out, "--rows I:J");
    expect_contains(r.out, "mmap_mode='r'");
    tu_run_free(&r);
}

typedef struct usage_case {
    const char *args[14];
    const char *says; /* in stderr */
} usage_case;

static void test_usage_errors(void **state) {
    make_arrays();
    const char *cube = tpath("cube.npy"), *big = tpath("big.npy");
    const usage_case cases[] = {
        {{"array"}, "no subcommand given (put, info, get or delete)"},
        {{"array", "frob"}, "unknown subcommand 'frob'"},
        {{"array", "--bogus", "info"}, "unknown option '--bogus'"},
        {{"array", "put", "test", "arr", "k"}, "--from is required"},
        {{"array", "put", "test", "arr", "--from", cube}, "NS, SET and KEY are required"},
        {{"array", "put", "test", "arr", "k", "--from", cube, "--chunk-bytes", "63"},
         "--chunk-bytes 63: give bytes, 64..8388608"},
        {{"array", "put", "test", "arr", "k", "--from", cube, "--chunk-bytes", "8388609"},
         "--chunk-bytes 8388609"},
        {{"array", "put", "test", "arr", "k", "--from", cube, "--chunk-bytes", "4k"},
         "--chunk-bytes 4k"},
        {{"array", "put", "test", "arr", "k", "--from", cube, "--attr", "noeq"},
         "--attr 'noeq' is not NAME=VALUE"},
        {{"array", "put", "test", "arr", "k", "--from", cube, "--attr", "=1"},
         "--attr '=1': empty attribute name"},
        {{"array", "put", "test", "arr", "k", "--from", cube, "--attr", "x=json:null"},
         "--attr x: an attribute cannot be null"},
        {{"array", "put", "test", "arr", "k", "--from", cube, "--attr", "x=int:1.5"},
         "--attr x: '1.5' is not a 64-bit decimal integer"},
        {{"array", "put", "test", "arr", "k", "--from", cube, "--attr", "x=[1,"},
         "--attr x: bad JSON"},
        {{"array", "put", "test", "arr", "k", "--from", cube, "--attr", "x=1", "--attr", "x=2"},
         "--attr x is given twice"},
        {{"array", "put", "test", "arr", "k", "--from", big, "--chunk-bytes", "64"},
         "is 9437184 bytes: 147456 chunks of 64 bytes, and an array has at most 131072"},
        {{"array", "info", "test", "arr"}, "NS, SET and KEY are required"},
        {{"array", "info", "test", "arr", "k", "extra"}, "unexpected argument 'extra'"},
        {{"array", "delete", "test", "arr", "int:x"}, "not a 64-bit decimal integer"},
        {{"array", "get", "test", "arr", "k"}, "--out is required"},
        {{"array", "get", "test", "arr", "k", "--out", "x.npy", "--rows", "5"},
         "--rows 5: give I:J"},
        {{"array", "get", "test", "arr", "k", "--out", "x.npy", "--rows", "a:b"},
         "--rows a:b: give I:J"},
        {{"array", "get", "test", "arr", "k", "--out", "x.npy", "--rows", "1:2:3"},
         "--rows 1:2:3: give I:J"},
        {{"array", "get", "test", "arr", "k", "--out", "x.npy", "--compress"},
         "unknown option '--compress'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* No -h: a case that got as far as connecting would start a server and say so. */
        tu_run r = tu_run_aw(NULL, cases[i].args);
        if (r.status != 2 || !strstr(r.err, cases[i].says) || strstr(r.err, EMBEDDED_NOTICE) ||
            r.out[0])
            fail_msg("case %zu (%s %s ...): exit %d, stdout '%s', stderr:\n%s\nexpected exit 2 "
                     "and \"%s\"",
                     i, cases[i].args[0], cases[i].args[1] ? cases[i].args[1] : "", r.status,
                     r.out, r.err, cases[i].says);
        tu_run_free(&r);
    }
    /* A subcommand's usage error repeats its usage line and names its help. */
    tu_run r = AW("array", "get", "test", "arr", "k");
    expect_contains(r.err, "aw array get: --out is required\n"
                           "usage: aw [options] array get NS SET KEY --out FILE.npy [--rows I:J]\n"
                           "Run 'aw array get --help' for more.\n");
    tu_run_free(&r);
}

/* Files that cannot be stored: exit 1, the file and the reason named, no server started. */
static void test_refused_files(void **state) {
    make_arrays();
    const struct {
        const char *file, *says;
    } cases[] = {
        {"fortran.npy", "Fortran-order arrays are not supported"},
        {"object.npy", "object type '|O' is not supported"},
        {"not.npy", "not a .npy file"},
        {"missing.npy", "No such file or directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = tpath(cases[i].file);
        tu_run r = AW("array", "put", "test", "arr", "refused", "--from", path);
        expect_status(r, 1);
        expect_contains(r.err, "aw: array put: ");
        expect_contains(r.err, path);
        expect_contains(r.err, cases[i].says);
        assert_null(strstr(r.err, EMBEDDED_NOTICE));
        tu_run_free(&r);
    }
    /* --json: the error as JSON on stdout too. */
    tu_run r =
        AW("--json", "array", "put", "test", "arr", "refused", "--from", tpath("fortran.npy"));
    expect_status(r, 1);
    json_t *j = out_json(r);
    json_t *e = json_object_get(j, "error");
    assert_int_equal(jint(e, "exit"), 1);
    expect_contains(json_string_value(json_object_get(e, "message")), "Fortran-order");
    json_decref(j);
    tu_run_free(&r);
}

/* --- round trips ------------------------------------------------------------------------ */

typedef struct arr_case {
    const char *file;         /* the .npy numpy wrote, and its meta.json entry */
    const char *key;
    const char *opts[4];      /* put options */
    json_int_t chunks, chunk_bytes, nbytes;
    bool compressed;
} arr_case;

static const arr_case CASES[] = {
    /* 96000 bytes in chunks of 4096: rows of 1920 bytes straddle chunk boundaries. */
    {"cube", "cube", {"--chunk-bytes", "4096"}, 24, 4096, 96000, false},
    {"cube", "cube-z", {"--chunk-bytes", "4096", "--compress"}, 24, 4096, 96000, true},
    {"rec", "rec", {"--chunk-bytes", "1000", "--compress"}, 13, 1000, 12600, true},
    {"zerod", "zerod", {NULL}, 0, 524288, 8, false},
    {"cplx", "cplx", {"--chunk-bytes", "256"}, 6, 256, 1360, false},
    {"flags", "flags", {"--compress"}, 0, 524288, 1000, true},
};
#define N_CASES (sizeof CASES / sizeof CASES[0])

static void put_case(const arr_case *c, const char *const *attrs) {
    const char *args[40] = {"-h", g_host, "array", "put", "test", "arr", c->key, "--from"};
    size_t n = 8;
    char from[300];
    snprintf(from, sizeof from, "%s/%s.npy", g_dir, c->file);
    args[n++] = from;
    for (size_t i = 0; i < 4 && c->opts[i]; i++)
        args[n++] = c->opts[i];
    for (size_t i = 0; attrs && attrs[i]; i++) {
        args[n++] = "--attr";
        args[n++] = attrs[i];
    }
    args[n] = NULL;
    tu_run r = tu_run_aw(NULL, args);
    expect_status(r, 0);
    char said[100];
    snprintf(said, sizeof said, "stored array test/arr \"%s\": ", c->key);
    expect_contains(r.out, said);
    snprintf(said, sizeof said, "%" JSON_INTEGER_FORMAT " bytes", c->nbytes);
    expect_contains(r.out, said);
    tu_run_free(&r);
}

/* info --json against numpy's descr and shape and the case's layout. */
static void check_info(const arr_case *c) {
    tu_run r = AWS("--json", "array", "info", "test", "arr", c->key);
    expect_status(r, 0);
    json_t *j = out_json(r);
    json_t *want = json_object_get(g_meta, c->file);
    assert_string_equal(json_string_value(json_object_get(j, "dtype")),
                        json_string_value(json_object_get(want, "descr")));
    json_t *shape = json_object_get(j, "shape");
    if (!json_equal(shape, json_object_get(want, "shape")))
        fail_msg("%s: shape %s", c->key, r.out);
    json_int_t size = 1;
    for (size_t d = 0; d < json_array_size(shape); d++)
        size *= json_integer_value(json_array_get(shape, d));
    assert_int_equal(jint(j, "ndim"), json_array_size(shape));
    assert_int_equal(jint(j, "size"), size);
    assert_int_equal(jint(j, "nbytes"), c->nbytes);
    assert_int_equal(jint(j, "chunks"), c->chunks);
    assert_int_equal(jint(j, "chunk_bytes"), c->chunk_bytes);
    assert_int_equal(json_is_true(json_object_get(j, "compressed")), c->compressed);
    assert_int_equal(jint(j, "format"), 1);
    assert_int_equal(strlen(json_string_value(json_object_get(j, "version"))), 16);
    assert_string_equal(json_string_value(json_object_get(j, "key")), c->key);
    assert_string_equal(json_string_value(json_object_get(j, "ns")), "test");
    json_decref(j);
    tu_run_free(&r);
}

static void get_case(const arr_case *c, const char *out, const char *rows) {
    tu_run r = rows ? AWS("array", "get", "test", "arr", c->key, "--out", out, "--rows", rows)
                    : AWS("array", "get", "test", "arr", c->key, "--out", out);
    expect_status(r, 0);
    char said[100];
    snprintf(said, sizeof said, "read array test/arr \"%s\"", c->key);
    expect_contains(r.out, said);
    expect_contains(r.out, out);
    tu_run_free(&r);
}

static void test_round_trips(void **state) {
    make_arrays();
    for (size_t i = 0; i < N_CASES; i++) {
        put_case(&CASES[i], NULL);
        check_info(&CASES[i]);
    }
    compare cmp[N_CASES + 12];
    size_t n = 0;
    static char names[N_CASES][2][64];
    for (size_t i = 0; i < N_CASES; i++) {
        snprintf(names[i][0], sizeof names[i][0], "%s.npy", CASES[i].file);
        snprintf(names[i][1], sizeof names[i][1], "%s.back.npy", CASES[i].key);
        get_case(&CASES[i], tpath(names[i][1]), NULL);
        cmp[n++] = (compare){names[i][0], names[i][1], ""};
    }
    /* Rows as numpy slices them: either end left out, negative from the end, empty. */
    const struct {
        size_t c;
        const char *rows, *out;
    } slices[] = {
        {0, "3:17", "cube.r1.npy"},   {0, "-5:", "cube.r2.npy"},  {0, ":7", "cube.r3.npy"},
        {1, "13:15", "cubez.r.npy"},  {0, "10:10", "cube.r4.npy"}, {2, "100:250", "rec.r.npy"},
        {4, "2:-2", "cplx.r.npy"},    {5, "990:", "flags.r.npy"}, {2, "-1:", "rec.r2.npy"},
    };
    for (size_t i = 0; i < sizeof slices / sizeof slices[0]; i++) {
        const arr_case *c = &CASES[slices[i].c];
        get_case(c, tpath(slices[i].out), slices[i].rows);
        cmp[n++] = (compare){names[slices[i].c][0], slices[i].out, slices[i].rows};
    }
    numpy_compare(cmp, n);

    /* get --json: the rows, the shape written and the bytes. */
    tu_run r = AWS("--json", "array", "get", "test", "arr", "cube", "--out", tpath("cube.j.npy"),
                   "--rows", "3:17");
    expect_status(r, 0);
    json_t *j = out_json(r);
    json_error_t e;
    json_t *want_rows = json_loads("[3,17]", 0, &e), *want_shape = json_loads("[14,24,20]", 0, &e);
    assert_true(json_equal(json_object_get(j, "rows"), want_rows));
    assert_true(json_equal(json_object_get(j, "shape"), want_shape));
    assert_int_equal(jint(j, "bytes"), 14 * 1920);
    assert_true(json_is_real(json_object_get(j, "seconds")));
    assert_string_equal(json_string_value(json_object_get(j, "out")), tpath("cube.j.npy"));
    json_decref(want_rows);
    json_decref(want_shape);
    json_decref(j);
    tu_run_free(&r);

    /* Rows out of range, and rows of a 0-d array: usage errors found after opening. */
    r = AWS("array", "get", "test", "arr", "cube", "--out", tpath("x.npy"), "--rows", "40:51");
    expect_status(r, 2);
    expect_contains(r.err, "--rows 40:51 is out of range for an array of 50 rows");
    tu_run_free(&r);
    r = AWS("array", "get", "test", "arr", "cube", "--out", tpath("x.npy"), "--rows", "9:3");
    expect_status(r, 2);
    tu_run_free(&r);
    r = AWS("array", "get", "test", "arr", "zerod", "--out", tpath("x.npy"), "--rows", "0:1");
    expect_status(r, 2);
    expect_contains(r.err, "the array is 0-d, it has no rows");
    tu_run_free(&r);
    assert_int_not_equal(access(tpath("x.npy"), F_OK), 0);
    /* An output that cannot be written: exit 1, the path named. */
    r = AWS("array", "get", "test", "arr", "cube", "--out", "/nonexistent/dir/x.npy");
    expect_status(r, 1);
    expect_contains(r.err, "/nonexistent/dir/x.npy");
    tu_run_free(&r);
}

static void test_attributes_and_human_info(void **state) {
    make_arrays();
    const arr_case *c = &CASES[2]; /* rec, compressed, 13 chunks */
    const char *attrs[] = {"units=mV",   "rate=30000.0",
                           "count=int:7", "tags=[\"a\",2]",
                           "raw=hex:00ff", "a name longer than fifteen bytes=str:42",
                           "ok=bool:true", NULL};
    put_case(c, attrs);
    tu_run r = AWS("--json", "array", "info", "test", "arr", c->key);
    expect_status(r, 0);
    json_t *j = out_json(r);
    json_error_t e;
    json_t *want = json_loads("{\"units\":\"mV\",\"rate\":30000.0,\"count\":7,\"tags\":[\"a\",2],"
                              "\"raw\":{\"bytes_hex\":\"00ff\"},"
                              "\"a name longer than fifteen bytes\":\"42\",\"ok\":true}",
                              0, &e);
    assert_non_null(want);
    if (!json_equal(json_object_get(j, "attributes"), want))
        fail_msg("attributes: %s", r.out);
    json_decref(want);
    json_decref(j);
    tu_run_free(&r);

    r = AWS("array", "info", "test", "arr", c->key);
    expect_status(r, 0);
    const char *lines[] = {
        "array test/arr \"rec\"  digest ",
        "\n  shape       (300,)\n",
        "\n  dtype       [('id', '<i4'), ('pos', '<f8', (3,)), ('name', '|S5'), ('ok', '|b1'), "
        "('m', '<u2', (2, 2))]\n",
        "\n  size        300 elements\n",
        "\n  nbytes      12600\n",
        "\n  chunks      13 of 1000 bytes\n",
        "\n  compressed  yes (zlib)\n",
        "\n  attributes  7\n",
        "\n    units                             str       \"mV\"\n",
        "\n    rate                              float     3e+04\n", /* as aw get prints it */
        "\n    raw                               bytes[2]  hex:00ff\n",
        "\n    a name longer than fifteen bytes  str       \"42\"\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        expect_contains(r.out, lines[i]);
    tu_run_free(&r);

    /* The 0-d array is in its header record. */
    put_case(&CASES[3], NULL);
    r = AWS("array", "info", "test", "arr", "zerod");
    expect_contains(r.out, "\n  shape       ()\n");
    expect_contains(r.out,
                    "\n  chunks      0 (the data is in the header record; chunk size 524288)\n");
    expect_contains(r.out, "\n  attributes  0\n");
    tu_run_free(&r);

    /* put --json reports what it stored. */
    r = AWS("--json", "array", "put", "test", "arr", "pj", "--from", tpath("cube.npy"),
            "--chunk-bytes", "4096", "--attr", "a=1");
    expect_status(r, 0);
    j = out_json(r);
    assert_int_equal(jint(j, "chunks"), 24);
    assert_int_equal(jint(j, "nbytes"), 96000);
    json_t *want_attrs = json_pack("{s:i}", "a", 1);
    assert_true(json_equal(json_object_get(j, "attributes"), want_attrs));
    json_decref(want_attrs);
    assert_string_equal(json_string_value(json_object_get(j, "dtype")), "'<f4'");
    assert_string_equal(json_string_value(json_object_get(j, "from")), tpath("cube.npy"));
    json_decref(j);
    tu_run_free(&r);
}

static void test_delete_overwrite_and_not_arrays(void **state) {
    make_arrays();
    put_case(&CASES[4], NULL); /* cplx */
    tu_run r = AWS("array", "delete", "test", "arr", "cplx");
    expect_status(r, 0);
    expect_contains(r.out, "deleted array test/arr \"cplx\"");
    tu_run_free(&r);
    r = AWS("array", "info", "test", "arr", "cplx");
    expect_status(r, 3);
    expect_contains(r.err, "aw: array info test/arr cplx: ");
    expect_contains(r.err, "RECORD_NOT_FOUND");
    tu_run_free(&r);
    r = AWS("array", "get", "test", "arr", "cplx", "--out", tpath("gone.npy"));
    expect_status(r, 3);
    tu_run_free(&r);
    assert_int_not_equal(access(tpath("gone.npy"), F_OK), 0);
    r = AWS("--json", "array", "delete", "test", "arr", "cplx");
    expect_status(r, 3);
    json_t *j = out_json(r);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "error"), "status")),
        "RECORD_NOT_FOUND");
    json_decref(j);
    tu_run_free(&r);

    /* An overwrite with another shape and dtype: info and get see only the new one. */
    put_case(&CASES[0], NULL);
    arr_case over = CASES[5];
    over.key = "cube";
    put_case(&over, NULL);
    check_info(&over);
    get_case(&over, tpath("over.npy"), NULL);
    compare cmp = {"flags.npy", "over.npy", ""};
    numpy_compare(&cmp, 1);

    /* A record that is not an array: put refuses to replace it, the others say so. */
    r = AWS("put", "test", "arr", "plain", "a=1");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("array", "put", "test", "arr", "plain", "--from", tpath("cube.npy"));
    expect_status(r, 4);
    expect_contains(r.err, "RECORD_EXISTS");
    tu_run_free(&r);
    r = AWS("array", "info", "test", "arr", "plain");
    expect_status(r, 2);
    expect_contains(r.err, "not an array");
    tu_run_free(&r);
    r = AWS("array", "delete", "test", "arr", "plain");
    expect_status(r, 2);
    tu_run_free(&r);
    r = AWS("--json", "get", "test", "arr", "plain");
    expect_status(r, 0); /* left alone */
    tu_run_free(&r);
}

/* A chunk deleted behind the tool's back: get fails naming it, the file is
 * not written; rows in other chunks still read; info and delete still work. */
static void test_missing_chunk(void **state) {
    make_arrays();
    arr_case c = CASES[0];
    c.key = "damaged";
    put_case(&c, NULL);
    tu_run r = AWS("--json", "array", "info", "test", "arr", "damaged");
    expect_status(r, 0);
    json_t *j = out_json(r);
    char version[17];
    snprintf(version, sizeof version, "%s", json_string_value(json_object_get(j, "version")));
    json_decref(j);
    tu_run_free(&r);

    aw_key k = tu_key("test", "arr", "damaged");
    aw_array_ref *ref;
    aw_error err;
    tu_check(aw_array_open(client, NULL, &k, &ref, &err), &err, "open");
    char want_version[17];
    snprintf(want_version, sizeof want_version, "%016" PRIx64, aw_array_version(ref));
    assert_string_equal(version, want_version);
    /* Chunk 7 holds bytes 28672..32767: rows 14 to 17 (1920 bytes each). */
    uint8_t blob[AW_ARRAY_CHUNK_KEY_SIZE];
    aw_key ck;
    tu_check(aw_array_chunk_key(&k, aw_array_version(ref), 7, blob, &ck, &err), &err, "chunk key");
    aw_array_ref_free(ref);
    tu_check(aw_delete(client, NULL, &ck, &err), &err, "delete chunk 7");
    char *digest = tu_hex_encode(ck.digest, AW_DIGEST_SIZE);
    char names[200];
    snprintf(names, sizeof names, "chunk 7 of 24 (digest %s) is missing", digest);
    free(digest);

    r = AWS("array", "get", "test", "arr", "damaged", "--out", tpath("damaged.npy"));
    expect_status(r, 1);
    expect_contains(r.err, "aw: array get test/arr damaged: ");
    expect_contains(r.err, names);
    expect_contains(r.err, "(ARRAY_CORRUPT)");
    assert_string_equal(r.out, "");
    tu_run_free(&r);
    assert_int_not_equal(access(tpath("damaged.npy"), F_OK), 0);
    r = AWS("--json", "array", "get", "test", "arr", "damaged", "--out", tpath("damaged.npy"),
            "--rows", "15:16");
    expect_status(r, 1);
    j = out_json(r);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "status")), "ARRAY_CORRUPT");
    assert_int_equal(jint(e, "exit"), 1);
    expect_contains(json_string_value(json_object_get(e, "message")), names);
    json_decref(j);
    tu_run_free(&r);

    get_case(&c, tpath("damaged.rows.npy"), "0:14");
    compare cmp = {"cube.npy", "damaged.rows.npy", "0:14"};
    numpy_compare(&cmp, 1);
    r = AWS("array", "info", "test", "arr", "damaged");
    expect_status(r, 0);
    tu_run_free(&r);
    r = AWS("array", "delete", "test", "arr", "damaged");
    expect_status(r, 0);
    tu_run_free(&r);
}

/* With no -h, aw stores into the server it starts for this one command. */
static void test_embedded_server(void **state) {
    make_arrays();
    tu_run r = AW("array", "put", "test", "arr", "k", "--from", tpath("cube.npy"));
    expect_status(r, 0);
    expect_contains(r.err, EMBEDDED_NOTICE);
    expect_contains(r.out, "stored array test/arr \"k\": (50, 24, 20) '<f4', 96000 bytes in the "
                           "header record");
    tu_run_free(&r);
    /* The next command's server is a new, empty one. */
    r = AW("array", "info", "test", "arr", "k");
    expect_status(r, 3);
    expect_contains(r.err, EMBEDDED_NOTICE);
    tu_run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_refused_files),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_attributes_and_human_info),
        cmocka_unit_test(test_delete_overwrite_and_not_arrays),
        cmocka_unit_test(test_missing_chunk),
        cmocka_unit_test(test_embedded_server),
    };
    int failed = cmocka_run_group_tests_name("cli_array", tests, setup, teardown);
    return failed || tu_testd_stop_failed;
}
