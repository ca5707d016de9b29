/* .npy files: what we write numpy.load reads (byte-exact, and exactly what
 * numpy.save writes), what numpy writes we read, and every refusal. numpy
 * runs as Debian's /usr/bin/python3. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/numpy.h"
#include "numpy/npy_internal.h"
#include "proto/mem.h"
#include "support/pyrun.h"
#include "support/testutil.h"


static char g_dir[64];

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/aw-test-npy-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name) { return tu_path(g_dir, name); }

/* A Python script run in this suite's directory; its stdout. */
static char *py_run(const char *script) { return tu_python(g_dir, script); }

static void fill_random(uint8_t *p, size_t n, uint64_t seed) {
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)(x >> 24);
    }
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static uint8_t *read_bytes(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)l + 1);
    assert_int_equal(fread(p, 1, (size_t)l, f), (size_t)l);
    fclose(f);
    *len = (size_t)l;
    return p;
}

/* --- We write, numpy reads ---------------------------------------------------------- */

typedef struct write_case {
    const char *spec;
    bool align;
    size_t n;
    int version; /* expected */
} write_case;

#define MANY_FIELDS "many" /* built at run time: a header over 65535 bytes */

static const write_case WRITES[] = {
    {"[('_key', '<i4'), ('temperature', '<f8'), ('name', '|S32'), ('emb', '<f4', (8,)), "
     "('h', '<f2'), ('be', '>i8'), ('bf', '>f4', (2, 3)), ('u', 'u1'), ('ok', '?'), ('raw', 'V3'), "
     "('hb', '>f2', (2,))]",
     false, 37, 1},
    {"[('_key', '<i4'), ('temperature', '<f8'), ('name', '|S32'), ('emb', '<f4', (8,)), "
     "('h', '<f2'), ('be', '>i8'), ('bf', '>f4', (2, 3)), ('u', 'u1'), ('ok', '?'), ('raw', 'V3'), "
     "('hb', '>f2', (2,))]",
     true, 37, 1},
    {"i4, (2,3)f8, S8, >u2", true, 5, 1},
    {"<f8", false, 9, 1},
    {">u2", false, 3, 1},
    {"S7", false, 4, 1},
    {"f2", false, 6, 1},
    {"?", false, 2, 1},
    {"[('a', '<i8'), ('b', 'i1')]", false, 0, 1},
    {"<i4", false, 0, 1},
    {"[('\xc3\xa9t\xc3\xa9', '<i4'), ('x', 'u1')]", true, 3, 1},             /* latin-1: 1.0 */
    {"[('\xf0\x9f\x98\x80', '<i4'), ('_\xe2\x82\xac', '>f8')]", false, 3, 3}, /* not: 3.0 */
    {MANY_FIELDS, false, 3, 2},
};
#define N_WRITES (sizeof WRITES / sizeof WRITES[0])

static char *many_fields_spec(size_t n) {
    size_t cap = n * 40 + 16, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s + len, cap - len, "[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s('_field_number_%05zu', '%s')", i ? ", " : "",
                                i, i % 3 == 0 ? "<f8" : i % 3 == 1 ? "|i1" : ">u2");
    snprintf(s + len, cap - len, "]");
    return s;
}

static void test_write_numpy_loads(void **state) {
    (void)state;
    size_t cap = 1 << 20;
    char *script = malloc(cap);
    size_t len = (size_t)snprintf(
        script, cap,
        "import io, numpy as np\n"
        "from numpy.lib.format import dtype_to_descr\n"
        "def show(p):\n"
        "    raw = open(p, 'rb').read()\n"
        "    a = np.load(p, max_header_size=1 << 24)\n"
        "    b = io.BytesIO()\n"
        "    np.save(b, a)\n"
        "    print('%%d.%%d|%%r|%%r|%%s|%%s' %% (raw[6], raw[7], dtype_to_descr(a.dtype), a.shape,\n"
        "          a.tobytes().hex(), b.getvalue() == raw))\n");
    char *hexes[N_WRITES];
    char *descrs[N_WRITES];
    for (size_t i = 0; i < N_WRITES; i++) {
        const write_case *c = &WRITES[i];
        char *spec = strcmp(c->spec, MANY_FIELDS) == 0 ? many_fields_spec(4000) : strdup(c->spec);
        aw_dtype *dt;
        aw_error err;
        if (aw_dtype_parse(spec, c->align, &dt, &err) != AW_OK)
            fail_msg("%s: %s", spec, err.message);
        size_t size = c->n * aw_dtype_itemsize(dt);
        uint8_t *rows = malloc(size + 1);
        fill_random(rows, size, i + 1);
        char name[32];
        snprintf(name, sizeof name, "w%zu.npy", i);
        int rc = aw_npy_write(tpath(name), dt, rows, c->n, &err);
        if (rc != AW_OK)
            fail_msg("write %s: %s", spec, err.message);
        assert_int_equal(err.code, AW_OK);
        if (c->version == 2) /* numpy.load's default limit is 10000 */
            assert_non_null(strstr(err.message, "max_header_size"));
        else
            assert_string_equal(err.message, "");
        hexes[i] = tu_hex_encode(rows, size);
        descrs[i] = aw_dtype_descr(dt);
        len += (size_t)snprintf(script + len, cap - len, "show('%s')\n", tpath(name));
        free(rows);
        free(spec);
        aw_dtype_free(dt);
    }
    char *py = py_run(script);
    char *save = NULL, *line = strtok_r(py, "\n", &save);
    for (size_t i = 0; i < N_WRITES; i++) {
        assert_non_null(line);
        char shape[32];
        snprintf(shape, sizeof shape, "(%zu,)", WRITES[i].n);
        size_t wcap = strlen(descrs[i]) + strlen(hexes[i]) + 64;
        char *want = malloc(wcap);
        snprintf(want, wcap, "%d.0|%s|%s|%s|True", WRITES[i].version, descrs[i], shape,
                 hexes[i]);
        /* numpy prints a descr string with its quotes: so does aw_dtype_descr */
        if (strcmp(line, want) != 0)
            fail_msg("case %zu (%.60s)\n  numpy: %.300s\n  want:  %.300s", i, WRITES[i].spec, line,
                     want);
        free(want);
        aw_free(descrs[i]);
        free(hexes[i]);
        line = strtok_r(NULL, "\n", &save);
    }
    free(py);
    free(script);
}

/* Values, not just bytes: numpy sees the numbers we meant. */
static void test_write_values(void **state) {
    (void)state;
    aw_dtype *dt;
    aw_error err;
    assert_int_equal(aw_dtype_parse("[('i', '<i4'), ('f', '<f8'), ('s', 'S5'), ('h', '<f2'), "
                                    "('b', '>i2'), ('e', '<f4', (3,)), ('ok', '?')]",
                                    false, &dt, &err),
                     AW_OK);
    uint8_t row[64] = {0};
    assert_true(aw_dtype_itemsize(dt) <= sizeof row);
    int32_t i = -7;
    double f = 1.5;
    float e[3] = {1, 2, 3};
    memcpy(row + aw_dtype_find(dt, "i")->offset, &i, 4);
    memcpy(row + aw_dtype_find(dt, "f")->offset, &f, 8);
    memcpy(row + aw_dtype_find(dt, "s")->offset, "abc", 3);
    row[aw_dtype_find(dt, "h")->offset + 1] = 0x38; /* 0.5 as IEEE half, little-endian */
    row[aw_dtype_find(dt, "b")->offset] = 0xff;     /* -2, big-endian */
    row[aw_dtype_find(dt, "b")->offset + 1] = 0xfe;
    memcpy(row + aw_dtype_find(dt, "e")->offset, e, sizeof e);
    row[aw_dtype_find(dt, "ok")->offset] = 1;
    assert_int_equal(aw_npy_write(tpath("values.npy"), dt, row, 1, &err), AW_OK);
    char script[512];
    snprintf(script, sizeof script,
             "import numpy as np\n"
             "a = np.load('%s')\n"
             "print(a['i'][0], a['f'][0], a['s'][0], a['h'][0], a['b'][0], a['e'][0].tolist(), "
             "a['ok'][0])\n",
             tpath("values.npy"));
    char *py = py_run(script);
    assert_string_equal(py, "-7 1.5 b'abc' 0.5 -2 [1.0, 2.0, 3.0] True\n");
    free(py);
    aw_dtype_free(dt);
}

/* --- numpy writes, we read -------------------------------------------------------------- */

static void test_numpy_writes_we_read(void **state) {
    (void)state;
    char script[4096];
    snprintf(
        script, sizeof script,
        "import numpy as np\n"
        "from numpy.lib.format import dtype_to_descr, write_array\n"
        "d = '%s'\n"
        "rng = np.random.default_rng(7)\n"
        "def rand(dt, n):\n"
        "    dt = np.dtype(dt)\n"
        "    return np.frombuffer(rng.integers(0, 256, n * dt.itemsize, dtype=np.uint8).tobytes(),"
        " dtype=dt)\n"
        "def out(name, a, version=None):\n"
        "    p = '%%s/%%s.npy' %% (d, name)\n"
        "    if version is None:\n"
        "        np.save(p, a)\n"
        "    else:\n"
        "        with open(p, 'wb') as f:\n"
        "            write_array(f, a, version=version)\n"
        "    raw = open(p, 'rb').read()\n"
        "    n = 1 if a.ndim == 0 else len(a)\n"
        "    print('%%s\\t%%d.%%d\\t%%d\\t%%r\\tx%%s' %% (p, raw[6], raw[7], n, "
        "dtype_to_descr(a.dtype), a.tobytes().hex()))\n"
        "S = [('_key', '<i4'), ('temperature', '<f8'), ('name', 'S12'), ('emb', '<f4', (4,)),"
        " ('h', '<f2'), ('big', '>i8'), ('m', '>u2', (2, 3)), ('ok', '?'), ('raw', 'V3')]\n"
        "out('packed', rand(S, 11))\n"
        "out('aligned', rand(np.dtype(S, align=True), 11))\n"
        "out('plain_f8', rand('<f8', 7))\n"
        "out('plain_be', rand('>i2', 5))\n"
        "out('plain_s', np.array([b'ab', b'cdef', b''], dtype='S4'))\n"
        "out('bool', np.array([True, False, True]))\n"
        "out('empty', rand(S, 0))\n"
        "out('zero_d', np.float64(3.5))\n"
        "out('zero_d_struct', rand(S, 1)[0])\n"
        "out('comma', rand('i4,(2,3)f8,S8', 4))\n"
        "out('offsets', rand({'names': ['a', 'b'], 'formats': ['<i4', '<u2'],"
        " 'offsets': [2, 8], 'itemsize': 16}, 3))\n"
        "out('v2', rand([('_f%%04d' %% i, '<i2' if i %% 2 else '|u1') for i in range(5000)], 3))\n"
        "out('v3_explicit', rand(S, 4), version=(3, 0))\n"
        "out('v2_explicit', rand('<f4', 4), version=(2, 0))\n"
        "out('v3_utf8', rand([('\\U0001F600', '<i4'), ('x', '<u2')], 3))\n"
        "out('latin1', rand([('\\u00e9', '<i4')], 3))\n",
        g_dir);
    char *py = py_run(script);
    char *save = NULL;
    int lines = 0;
    for (char *line = strtok_r(py, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[5];
        char *s2 = NULL;
        char *tok = strtok_r(line, "\t", &s2);
        for (int k = 0; k < 5; k++) {
            assert_non_null(tok);
            f[k] = tok;
            tok = strtok_r(NULL, "\t", &s2);
        }
        const char *path = f[0];
        aw_dtype *dt;
        void *rows;
        size_t n;
        aw_error err;
        if (aw_npy_read(path, &dt, &rows, &n, &err) != AW_OK)
            fail_msg("%s (version %s): %s", path, f[1], err.message);
        assert_int_equal(n, strtoull(f[2], NULL, 10));
        char *descr = aw_dtype_descr(dt);
        if (strcmp(descr, f[3]) != 0)
            fail_msg("%s: descr\n  aw:    %s\n  numpy: %s", path, descr, f[3]);
        char *hex = tu_hex_encode(rows, n * aw_dtype_itemsize(dt));
        if (strcmp(hex, f[4] + 1) != 0)
            fail_msg("%s: data differs", path);
        free(hex);
        aw_free(descr);
        aw_free(rows);
        aw_dtype_free(dt);
        lines++;
    }
    assert_int_equal(lines, 16);
    free(py);
}

/* Python 2 era and hand-made headers: key order, spacing, quotes, 'L', 16-byte padding. */
static void test_header_variants(void **state) {
    (void)state;
    static const char *const headers[] = {
        "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
        "{'shape': (2,), 'fortran_order': False, 'descr': '<i2'}",
        "{\"fortran_order\": False, \"shape\": ( 2 , ), \"descr\": \"<i2\",}",
        "{'descr': '<i2', 'fortran_order': False, 'shape': (2L,), }",
        "{'descr':[('a','<i2')],'fortran_order':False,'shape':(2,)}",
        "  {'descr': '<i2',\n 'fortran_order': False,\n 'shape': (2,)}  \n",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        uint8_t file[256];
        size_t hl = strlen(headers[i]);
        memcpy(file, "\x93NUMPY\x01\x00", 8);
        file[8] = (uint8_t)hl;
        file[9] = 0;
        memcpy(file + 10, headers[i], hl);
        memcpy(file + 10 + hl, "\x01\x00\xff\xff", 4);
        size_t len = 14 + hl;
        write_bytes(tpath("variant.npy"), file, len);
        aw_dtype *dt;
        void *rows;
        size_t n;
        aw_error err;
        if (aw_npy_read(tpath("variant.npy"), &dt, &rows, &n, &err) != AW_OK)
            fail_msg("%s: %s", headers[i], err.message);
        assert_int_equal(n, 2);
        assert_int_equal(aw_dtype_itemsize(dt), 2);
        assert_memory_equal(rows, "\x01\x00\xff\xff", 4);
        aw_free(rows);
        aw_dtype_free(dt);
        assert_int_equal(aw_npy_read_mem(file, len, &dt, &rows, &n, &err), AW_OK);
        aw_free(rows);
        aw_dtype_free(dt);
    }
    /* A header of 0 or 1 bytes (the prefix read takes data bytes along): refused cleanly. */
    aw_dtype *dt;
    void *rows;
    size_t n;
    aw_error err;
    write_bytes(tpath("tiny.npy"), "\x93NUMPY\x01\x00\x01\x00{}", 12);
    assert_int_equal(aw_npy_read(tpath("tiny.npy"), &dt, &rows, &n, &err), AW_ERR_PARAM);
    write_bytes(tpath("tiny.npy"), "\x93NUMPY\x01\x00\x00\x00", 10);
    assert_int_equal(aw_npy_read(tpath("tiny.npy"), &dt, &rows, &n, &err), AW_ERR_PARAM);
}

/* --- Refusals ------------------------------------------------------------------------------ */

/* Reads path; expects code and a fragment of the message; the memory reader agrees. */
static void expect_refused(const char *path, int code, const char *fragment) {
    aw_dtype *dt = (aw_dtype *)1;
    void *rows = (void *)1;
    size_t n = 99;
    aw_error err;
    int rc = aw_npy_read(path, &dt, &rows, &n, &err);
    if (rc != code || !strstr(err.message, fragment))
        fail_msg("%s: got %d '%s', want %d '...%s...'", path, rc, err.message, code, fragment);
    assert_null(dt);
    assert_null(rows);
    assert_int_equal(n, 0);
    size_t len;
    uint8_t *data = read_bytes(path, &len);
    rc = aw_npy_read_mem(data, len, &dt, &rows, &n, &err);
    if (rc != code || !strstr(err.message, fragment))
        fail_msg("%s (memory): got %d '%s', want %d '...%s...'", path, rc, err.message, code,
                 fragment);
    free(data);
}

static void test_refusals_numpy_files(void **state) {
    (void)state;
    char script[2048];
    snprintf(script, sizeof script,
             "import numpy as np\n"
             "d = '%s'\n"
             "np.save(d + '/fortran.npy', np.asfortranarray(np.arange(6.0).reshape(3, 2)))\n"
             "np.save(d + '/two_d.npy', np.zeros((3, 2)))\n"
             "np.save(d + '/object.npy', np.array([1, 'a'], dtype=object), allow_pickle=True)\n"
             "np.save(d + '/unicode.npy', np.array(['ab', 'c']))\n"
             "np.save(d + '/unicode_field.npy', np.zeros(2, dtype=[('a', '<i4'), ('s', '<U3')]))\n"
             "np.save(d + '/datetime.npy', np.array(['2020-01-01'], dtype='M8[D]'))\n"
             "np.save(d + '/nested.npy', np.zeros(2, dtype=[('p', [('x', '<i4')])]))\n"
             "np.save(d + '/complex.npy', np.zeros(2, dtype='c16'))\n"
             "np.save(d + '/long_name.npy', np.zeros(2, dtype=[('temperature_celsius', '<f8')]))\n"
             "np.save(d + '/good.npy', np.arange(10, dtype='<i4'))\n",
             g_dir);
    free(py_run(script));
    expect_refused(tpath("fortran.npy"), AW_ERR_UNSUPPORTED, "Fortran");
    expect_refused(tpath("two_d.npy"), AW_ERR_UNSUPPORTED, "2 dimensions");
    expect_refused(tpath("object.npy"), AW_ERR_UNSUPPORTED, "object type '|O'");
    expect_refused(tpath("unicode.npy"), AW_ERR_UNSUPPORTED, "unicode type '<U2'");
    expect_refused(tpath("unicode_field.npy"), AW_ERR_UNSUPPORTED, "field 's': unicode");
    expect_refused(tpath("datetime.npy"), AW_ERR_UNSUPPORTED, "datetime");
    expect_refused(tpath("nested.npy"), AW_ERR_UNSUPPORTED, "field 'p': nested");
    expect_refused(tpath("complex.npy"), AW_ERR_UNSUPPORTED, "complex");
    expect_refused(tpath("long_name.npy"), AW_ERR_BAD_NAME, "temperature_celsius");

    /* Truncated and padded data, cut headers, bad magic, unknown versions. */
    size_t len;
    uint8_t *good = read_bytes(tpath("good.npy"), &len);
    write_bytes(tpath("cut.npy"), good, len - 1);
    expect_refused(tpath("cut.npy"), AW_ERR_PARAM, "truncated data: 39 bytes");
    write_bytes(tpath("cut.npy"), good, 128);
    expect_refused(tpath("cut.npy"), AW_ERR_PARAM, "truncated data: 0 bytes");
    write_bytes(tpath("cut.npy"), good, 100);
    expect_refused(tpath("cut.npy"), AW_ERR_PARAM, "truncated header (90 of 118 bytes)");
    write_bytes(tpath("cut.npy"), good, 9);
    expect_refused(tpath("cut.npy"), AW_ERR_PARAM, "truncated before the header length");
    write_bytes(tpath("cut.npy"), good, 0);
    expect_refused(tpath("cut.npy"), AW_ERR_PARAM, "bad magic");
    uint8_t *more = malloc(len + 3);
    memcpy(more, good, len);
    memcpy(more + len, "xyz", 3);
    write_bytes(tpath("more.npy"), more, len + 3);
    expect_refused(tpath("more.npy"), AW_ERR_PARAM, "3 bytes after the data");
    free(more);
    uint8_t *bad = malloc(len);
    memcpy(bad, good, len);
    bad[1] = 'X';
    write_bytes(tpath("bad.npy"), bad, len);
    expect_refused(tpath("bad.npy"), AW_ERR_PARAM, "bad magic");
    memcpy(bad, good, len);
    bad[6] = 4;
    write_bytes(tpath("bad.npy"), bad, len);
    expect_refused(tpath("bad.npy"), AW_ERR_UNSUPPORTED, "version 4.0");
    memcpy(bad, good, len);
    bad[7] = 1;
    write_bytes(tpath("bad.npy"), bad, len);
    expect_refused(tpath("bad.npy"), AW_ERR_UNSUPPORTED, "version 1.1");
    memcpy(bad, good, len);
    bad[8] = 0xff; /* header length past the file */
    bad[9] = 0xff;
    write_bytes(tpath("bad.npy"), bad, len);
    expect_refused(tpath("bad.npy"), AW_ERR_PARAM, "truncated header");
    free(bad);
    free(good);

    /* A pipe (no size known up front) with trailing bytes. */
    aw_dtype *dt;
    void *rows;
    size_t n;
    aw_error err;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "(cat '%s'; printf x) > '%s' &", tpath("good.npy"), tpath("fifo"));
    assert_int_equal(mkfifo(tpath("fifo"), 0600), 0);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(aw_npy_read(tpath("fifo"), &dt, &rows, &n, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "after the data"));
    snprintf(cmd, sizeof cmd, "cat '%s' > '%s' &", tpath("good.npy"), tpath("fifo"));
    assert_int_equal(system(cmd), 0);
    assert_int_equal(aw_npy_read(tpath("fifo"), &dt, &rows, &n, &err), AW_OK);
    assert_int_equal(n, 10);
    assert_int_equal(((int32_t *)rows)[9], 9);
    aw_free(rows);
    aw_dtype_free(dt);

    /* I/O errors name the path and the system's reason. */
    assert_int_equal(aw_npy_read(tpath("missing.npy"), &dt, &rows, &n, &err), AW_ERR_CLIENT);
    assert_non_null(strstr(err.message, "missing.npy"));
    assert_non_null(strstr(err.message, "No such file or directory"));
    assert_int_equal(aw_npy_read(g_dir, &dt, &rows, &n, &err), AW_ERR_CLIENT);
    assert_non_null(strstr(err.message, "Is a directory"));
    assert_int_equal(aw_npy_read(NULL, &dt, &rows, &n, &err), AW_ERR_PARAM);
    assert_int_equal(aw_npy_read(tpath("good.npy"), NULL, &rows, &n, &err), AW_ERR_PARAM);
    assert_int_equal(aw_npy_read(tpath("good.npy"), &dt, NULL, &n, &err), AW_ERR_PARAM);
    assert_int_equal(aw_npy_read(tpath("good.npy"), &dt, &rows, NULL, &err), AW_ERR_PARAM);
}

/* Broken headers, each refused with what is wrong. */
static void test_refusals_headers(void **state) {
    (void)state;
    static const struct {
        const char *header;
        int code;
        const char *fragment;
    } cases[] = {
        {"{'descr': '<i2', 'fortran_order': True, 'shape': (2,), }", AW_ERR_UNSUPPORTED, "Fortran"},
        {"{'descr': '<i2', 'fortran_order': 0, 'shape': (2,), }", AW_ERR_PARAM,
         "fortran_order is not True or False"},
        {"{'descr': '<i2', 'shape': (2,), }", AW_ERR_PARAM, "no 'fortran_order' key"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (2,), 'x': 1}", AW_ERR_PARAM,
         "unexpected key 'x'"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}", AW_ERR_PARAM,
         "duplicate key 'shape'"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (2), }", AW_ERR_PARAM,
         "shape is not a tuple"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': [2], }", AW_ERR_PARAM,
         "shape is not a tuple"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (-2,), }", AW_ERR_PARAM,
         "non-negative integer"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': ('2',), }", AW_ERR_PARAM,
         "non-negative integer"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (1, 2), }", AW_ERR_UNSUPPORTED,
         "2 dimensions"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (2,), } x", AW_ERR_PARAM,
         "unexpected text after the dict"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (2,)", AW_ERR_PARAM, "unterminated dict"},
        {"{'descr' '<i2', 'fortran_order': False}", AW_ERR_PARAM, "expected ':' in dict"},
        {"{'descr': '<i2' 'fortran_order': False}", AW_ERR_PARAM, "expected ',' or '}'"},
        {"['descr', '<i2']", AW_ERR_PARAM, "not a dict"},
        {"{1: 2}", AW_ERR_PARAM, "keys must be strings"},
        {"{'descr': 5, 'fortran_order': False, 'shape': (2,), }", AW_ERR_PARAM,
         "expected a type string or a list"},
        {"{'descr': '<q2', 'fortran_order': False, 'shape': (2,), }", AW_ERR_PARAM,
         "unknown type '<q2'"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", AW_ERR_UNSUPPORTED, "object"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (99999999999999999999,), }",
         AW_ERR_PARAM, "integer too large"},
        {"{'descr': '<i8', 'fortran_order': False, 'shape': (9223372036854775807,), }",
         AW_ERR_PARAM, "overflow"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }", AW_ERR_PARAM,
         "truncated data: 4 bytes, the header says 3 rows of 2 bytes (6)"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }", AW_ERR_PARAM,
         "2 bytes after the data"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (), }", AW_ERR_PARAM,
         "2 bytes after the data"},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }\x01", AW_ERR_PARAM,
         "unexpected text after the dict"},
        {"\xff{}", AW_ERR_PARAM, "unexpected character"},
        {"", AW_ERR_PARAM, "unexpected end"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t file[512];
        size_t hl = strlen(cases[i].header);
        memcpy(file, "\x93NUMPY\x01\x00", 8);
        file[8] = (uint8_t)hl;
        file[9] = 0;
        memcpy(file + 10, cases[i].header, hl);
        memcpy(file + 10 + hl, "\x01\x00\xff\xff", 4);
        write_bytes(tpath("hdr.npy"), file, 14 + hl);
        expect_refused(tpath("hdr.npy"), cases[i].code, cases[i].fragment);
    }
}

/* --- Writing: errors and atomicity ------------------------------------------------------ */

static size_t count_dir_entries(void) {
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "atomic", 6) == 0)
            n++;
    closedir(d);
    return n;
}

static void test_write_errors_atomic(void **state) {
    (void)state;
    aw_dtype *dt;
    aw_error err;
    assert_int_equal(aw_dtype_parse("<f8", false, &dt, &err), AW_OK);
    double v[4] = {1, 2, 3, 4};
    assert_int_equal(aw_npy_write(NULL, dt, v, 4, &err), AW_ERR_PARAM);
    assert_int_equal(aw_npy_write(tpath("x.npy"), NULL, v, 4, &err), AW_ERR_PARAM);
    assert_int_equal(aw_npy_write(tpath("x.npy"), dt, NULL, 4, &err), AW_ERR_PARAM);
    assert_int_equal(aw_npy_write(tpath("x.npy"), dt, NULL, 0, &err), AW_OK);
    assert_int_equal(aw_npy_write(tpath("x.npy"), dt, v, SIZE_MAX / 4, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "overflow"));
    assert_int_equal(aw_npy_write(tpath("no/such/dir/x.npy"), dt, v, 4, &err), AW_ERR_CLIENT);
    assert_non_null(strstr(err.message, "no/such/dir/x.npy"));
    assert_non_null(strstr(err.message, "No such file or directory"));

    /* An existing file is replaced whole; a failed write leaves it as it was. */
    const char *p = tpath("atomic.npy");
    assert_int_equal(aw_npy_write(p, dt, v, 4, &err), AW_OK);
    size_t len_before;
    uint8_t *before = read_bytes(p, &len_before);
    assert_int_equal(len_before, 128 + 32);
    size_t big_n = 1 << 16;
    double *big = calloc(big_n, sizeof *big);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 100000; /* the write of 512 KiB fails part way */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = aw_npy_write(p, dt, big, big_n, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, AW_ERR_CLIENT);
    assert_non_null(strstr(err.message, "atomic.npy"));
    assert_non_null(strstr(err.message, "File too large"));
    size_t len_after;
    uint8_t *after = read_bytes(p, &len_after);
    assert_int_equal(len_after, len_before);
    assert_memory_equal(after, before, len_before);
    assert_int_equal(count_dir_entries(), 1); /* no temporary file left behind */
    free(after);
    /* Without the limit it goes through. */
    assert_int_equal(aw_npy_write(p, dt, big, big_n, &err), AW_OK);
    after = read_bytes(p, &len_after);
    assert_int_equal(len_after, 128 + big_n * 8);
    free(after);
    free(before);
    free(big);
    /* A directory as the target: refused, nothing left behind. */
    assert_int_equal(mkdir(tpath("atomic_dir"), 0700), 0);
    assert_int_equal(aw_npy_write(tpath("atomic_dir"), dt, v, 4, &err), AW_ERR_CLIENT);
    assert_non_null(strstr(err.message, "atomic_dir"));
    assert_int_equal(count_dir_entries(), 2);
    aw_dtype_free(dt);
}

/* Our own files read back byte-exact, every dtype kind, both layouts. */
static void test_round_trip(void **state) {
    (void)state;
    const char *specs[] = {
        ("[('_key', '<i4'), ('t', '<f8'), ('name', '|S32'), ('emb', '<f4', (16,)), ('h', '>f2'), "
         "('', '|V5'), ('m', '>u2', (2, 3)), ('ok', '?')]"),
        "i1,u8,f2,S3,V2,>i4", "<f8", "S9",
    };
    for (size_t s = 0; s < 4; s++) {
        for (int align = 0; align < 2; align++) {
            aw_dtype *dt, *back;
            aw_error err;
            assert_int_equal(aw_dtype_parse(specs[s], align, &dt, &err), AW_OK);
            size_t n = 13, size = n * aw_dtype_itemsize(dt);
            uint8_t *rows = malloc(size);
            fill_random(rows, size, s * 2 + (size_t)align);
            assert_int_equal(aw_npy_write(tpath("rt.npy"), dt, rows, n, &err), AW_OK);
            void *got;
            size_t gn;
            assert_int_equal(aw_npy_read(tpath("rt.npy"), &back, &got, &gn, &err), AW_OK);
            assert_int_equal(gn, n);
            char *d1 = aw_dtype_descr(dt), *d2 = aw_dtype_descr(back);
            assert_string_equal(d1, d2);
            assert_int_equal(aw_dtype_itemsize(back), aw_dtype_itemsize(dt));
            assert_memory_equal(got, rows, size);
            aw_free(d1);
            aw_free(d2);
            aw_free(got);
            free(rows);
            aw_dtype_free(back);
            aw_dtype_free(dt);
        }
    }
}

/* --- Failing allocator ----------------------------------------------------------------------- */

static void test_failing_allocator(void **state) {
    (void)state;
    aw_dtype *dt;
    aw_error err;
    assert_int_equal(aw_dtype_parse("[('_key', '<i4'), ('t', '<f8'), ('name', '|S32'), "
                                    "('emb', '<f4', (16,)), ('h', '>f2'), ('m', '>u2', (2, 3))]",
                                    true, &dt, &err),
                     AW_OK);
    size_t n = 20, size = n * aw_dtype_itemsize(dt);
    uint8_t *rows = malloc(size);
    fill_random(rows, size, 99);
    const char *p = tpath("fa.npy");
    /* Writing: NOMEM leaves no file. */
    int rc = AW_ERR_NOMEM;
    long k;
    for (k = 1; k < 100 && rc != AW_OK; k++) {
        unlink(p);
        tu_failalloc_on(k);
        rc = aw_npy_write(p, dt, rows, n, &err);
        tu_failalloc_off();
        if (rc != AW_OK) {
            assert_int_equal(rc, AW_ERR_NOMEM);
            assert_int_equal(access(p, F_OK), -1);
        }
    }
    assert_int_equal(rc, AW_OK);
    assert_true(k > 2);
    /* Reading, from the file and from memory. */
    size_t len;
    uint8_t *file = read_bytes(p, &len);
    for (int mem = 0; mem < 2; mem++) {
        rc = AW_ERR_NOMEM;
        for (k = 1; k < 200 && rc != AW_OK; k++) {
            aw_dtype *back = NULL;
            void *got = NULL;
            size_t gn = 0;
            tu_failalloc_on(k);
            rc = mem ? aw_npy_read_mem(file, len, &back, &got, &gn, &err)
                     : aw_npy_read(p, &back, &got, &gn, &err);
            tu_failalloc_off();
            if (rc == AW_OK) {
                assert_int_equal(gn, n);
                assert_memory_equal(got, rows, size);
                aw_free(got);
                aw_dtype_free(back);
            } else {
                assert_int_equal(rc, AW_ERR_NOMEM);
                assert_null(back);
                assert_null(got);
            }
        }
        assert_int_equal(rc, AW_OK);
        assert_true(k > 3);
    }
    free(file);
    free(rows);
    aw_dtype_free(dt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_numpy_loads),
        cmocka_unit_test(test_write_values),
        cmocka_unit_test(test_numpy_writes_we_read),
        cmocka_unit_test(test_header_variants),
        cmocka_unit_test(test_refusals_numpy_files),
        cmocka_unit_test(test_refusals_headers),
        cmocka_unit_test(test_write_errors_atomic),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_failing_allocator),
    };
    return cmocka_run_group_tests_name("npy", tests, setup, teardown);
}
