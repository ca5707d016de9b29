/* Dtypes: numpy's notations, layouts (checked against numpy itself, through
 * Debian's /usr/bin/python3), descr, errors and the builder. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/numpy.h"
#include "proto/mem.h"
#include "support/testutil.h"

#define PYTHON "/usr/bin/python3"

/* --- Running numpy ------------------------------------------------------------------- */

/* Runs a Python script, returns its stdout (malloc'd); fails the test with
 * a clear message when python3 or numpy is missing or the script fails. */
static char *py_run(const char *script) {
    static int have_numpy = -1;
    if (have_numpy < 0)
        have_numpy = access(PYTHON, X_OK) == 0 &&
                     system(PYTHON " -c 'import numpy' >/dev/null 2>&1") == 0;
    if (!have_numpy)
        fail_msg("these tests need " PYTHON " with numpy (Debian: python3 python3-numpy; "
                 "scripts/install-deps installs them)");
    char path[] = "/tmp/aw-test-dtype-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(script, f);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, PYTHON " -W ignore %s", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
        }
    }
    out[len] = '\0';
    int st = pclose(p);
    unlink(path);
    if (st != 0)
        fail_msg("python failed (status %d) on:\n%s\noutput:\n%s", st, script, out);
    return out;
}

/* --- Layouts against numpy ------------------------------------------------------------- */

typedef struct layout_case {
    const char *spec;
    bool align;
    char py;   /* how numpy builds it: 'c' np.dtype(str), 'l' np.dtype(list), 'd' descr_to_dtype */
} layout_case;

static const layout_case LAYOUTS[] = {
    {"[('a', '<i4'), ('b', '<f8'), ('e', '<f4', (128,))]", false, 'l'},
    {"[('a', '<i4'), ('b', '<f8'), ('e', '<f4', (128,))]", true, 'l'},
    {"i4,f8,S8", false, 'c'},
    {"i4,f8,S8", true, 'c'},
    {"<f8", false, 'c'},
    {"u1", true, 'c'},
    {"?", false, 'c'},
    {">f2", false, 'c'},
    {"S16", false, 'c'},
    {"V4", true, 'c'},
    {"i1,i8", true, 'c'},
    {"[('a','i1'),('b','<f2'),('c','<f8',(3,)),('d','V5')]", true, 'l'},
    {"[('a','i1'),('b','<f2'),('c','<f8',(3,)),('d','V5')]", false, 'l'},
    {"[(\"x\", \">i4\"), (\"y\", \">f8\"), (\"z\", \">u2\"), (\"w\", \">i1\")]", true, 'l'},
    {"?,b,B,h,H,i,I,l,L,q,Q,e,f,d,p,P", false, 'c'},
    {"?,b,B,h,H,i,I,l,L,q,Q,e,f,d,p,P", true, 'c'},
    {"b1,i1,i2,i4,i8,u1,u2,u4,u8,f2,f4,f8", true, 'c'},
    {"S1,S3,a5,V7,c,i2", true, 'c'},
    {"[('m', '<f4', (2, 3)), ('n', 'i1'), ('o', '<i8', (2,))]", true, 'l'},
    {"i4, (2,3)f8, 3u1", false, 'c'},
    {"i4, (2,3)f8, 3u1,<i2", true, 'c'},
    {"[('a', '|S32'), ('b', '<i8')]", true, 'l'},
    {"[('_key', '<i4'), ('temperature', '<f8'), ('name', '|S32'), ('emb', '<f4', (128,))]",
     false, 'l'},
    {"[('_key', '<i4'), ('temperature', '<f8'), ('name', '|S32'), ('emb', '<f4', (128,))]", true,
     'l'},
    {">i2,<u4,=f8,|i1,>b1,>S2", true, 'c'},
    {"[('a', 'i1'), ('b', 'i1', (3,)), ('c', '<f4')]", true, 'l'},
    {"[('a', '<i8'), ('b', 'i1')]", true, 'l'},
    {"float64,int32,uint8,bool,float16,int8,uint64", true, 'c'},
    {"[('a', 'V3'), ('b', '<i2', (2, 2, 2))]", true, 'l'},
    {"[('a', '<f4', ())]", false, 'l'},
    {"[('a', '<i4', 3), ('b', 'u2', (1,))]", true, 'l'},
    {"[('a', 'S0'), ('b', 'i4')]", true, 'l'},
    {"[('a', '<f8', (0,)), ('b', 'i1')]", true, 'l'},
    {"[]", false, 'l'},
    {"i4,f8,", false, 'c'},
    {"i4,", false, 'c'},
    {"[('a', 'i1'), ('', '|V3'), ('b', '<i4'), ('', '|V4')]", false, 'd'},
    {"[('', '|V2'), ('a', '>u4', (2,)), ('', '|V1', (3,))]", false, 'd'},
    {"[('', '<i4'), ('x', '<f8'), ('', '<i2')]", false, 'l'},
    {"[('a\\'b', '<i4'), ('c\"d', '<i2'), ('e\\'\"\\\\f', 'u1')]", false, 'l'},
    {"[('\xc3\xa9t\xc3\xa9', '<i4')]", true, 'l'},
};
#define N_LAYOUTS (sizeof LAYOUTS / sizeof LAYOUTS[0])

/* One line per dtype: itemsize|name:offset ...|descr (what the Python side prints too). */
static void layout_line(const aw_dtype *dt, char *out, size_t cap) {
    size_t len = (size_t)snprintf(out, cap, "%zu|", aw_dtype_itemsize(dt));
    for (size_t k = 0; k < aw_dtype_n_fields(dt); k++) {
        const aw_dtype_field *f = aw_dtype_field_at(dt, k);
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%zu", k ? " " : "", f->name, f->offset);
    }
    char *descr = aw_dtype_descr(dt);
    assert_non_null(descr);
    snprintf(out + len, cap - len, "|%s", descr);
    aw_free(descr);
}

/* A Python string literal of s (bytes as \x escapes, decoded as UTF-8). */
static void py_quote(const char *s, char *out, size_t cap) {
    size_t len = (size_t)snprintf(out, cap, "b'");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        len += (size_t)snprintf(out + len, cap - len, "\\x%02x", *p);
    snprintf(out + len, cap - len, "'.decode()");
}

static void test_layouts_match_numpy(void **state) {
    (void)state;
    size_t cap = 1 << 16;
    char *script = malloc(cap);
    size_t len = (size_t)snprintf(script, cap,
                                  "import numpy as np\n"
                                  "from numpy.lib.format import descr_to_dtype, dtype_to_descr\n"
                                  "def show(dt):\n"
                                  "    if dt.names is None:\n"
                                  "        offs = 'f0:0'\n"
                                  "    else:\n"
                                  "        offs = ' '.join('%%s:%%d' %% (n, dt.fields[n][1]) for n in "
                                  "dt.names)\n"
                                  "    print('%%d|%%s|%%r' %% (dt.itemsize, offs, dtype_to_descr(dt)))\n");
    for (size_t i = 0; i < N_LAYOUTS; i++) {
        char q[1024];
        py_quote(LAYOUTS[i].spec, q, sizeof q);
        const char *a = LAYOUTS[i].align ? "True" : "False";
        switch (LAYOUTS[i].py) {
        case 'c':
            len += (size_t)snprintf(script + len, cap - len, "show(np.dtype(%s, align=%s))\n", q, a);
            break;
        case 'l':
            len += (size_t)snprintf(script + len, cap - len,
                                    "show(np.dtype(eval(%s), align=%s))\n", q, a);
            break;
        default:
            len += (size_t)snprintf(script + len, cap - len, "show(descr_to_dtype(eval(%s)))\n", q);
            break;
        }
    }
    char *py = py_run(script);
    char *save = NULL;
    char *line = strtok_r(py, "\n", &save);
    for (size_t i = 0; i < N_LAYOUTS; i++) {
        assert_non_null(line);
        aw_dtype *dt = NULL;
        aw_error err;
        int rc = aw_dtype_parse(LAYOUTS[i].spec, LAYOUTS[i].align, &dt, &err);
        if (rc != AW_OK)
            fail_msg("%s: %s", LAYOUTS[i].spec, err.message);
        char mine[8192];
        layout_line(dt, mine, sizeof mine);
        if (strcmp(mine, line) != 0)
            fail_msg("spec %s (align %d)\n  aw:    %s\n  numpy: %s", LAYOUTS[i].spec,
                     LAYOUTS[i].align, mine, line);

        /* The descr parses back (packed) into the same layout. */
        char *descr = aw_dtype_descr(dt);
        aw_dtype *back = NULL;
        rc = aw_dtype_parse(descr, false, &back, &err);
        if (rc != AW_OK)
            fail_msg("descr %s: %s", descr, err.message);
        char again[8192];
        layout_line(back, again, sizeof again);
        assert_string_equal(again, mine);
        aw_free(descr);
        aw_dtype_free(back);
        aw_dtype_free(dt);
        line = strtok_r(NULL, "\n", &save);
    }
    assert_null(line);
    free(py);
    free(script);
}

/* --- Fields ------------------------------------------------------------------------------- */

static void test_field_details(void **state) {
    (void)state;
    aw_dtype *dt;
    aw_error err;
    assert_int_equal(aw_dtype_parse("[('_key','<i4'),('temperature','<f8'),('name','|S32'),"
                                    "('emb','<f4',(128,)),('m','>u2',(2,3)),('ok','?')]",
                                    false, &dt, &err),
                     AW_OK);
    assert_int_equal(aw_dtype_n_fields(dt), 6);
    assert_int_equal(aw_dtype_itemsize(dt), 4 + 8 + 32 + 512 + 12 + 1);
    const aw_dtype_field *f = aw_dtype_field_at(dt, 3);
    assert_string_equal(f->name, "emb");
    assert_int_equal(f->kind, 'f');
    assert_int_equal(f->width, 4);
    assert_false(f->big_endian);
    assert_int_equal(f->ndim, 1);
    assert_int_equal(f->shape[0], 128);
    assert_int_equal(f->count, 128);
    assert_int_equal(f->offset, 44);
    assert_int_equal(f->size, 512);
    f = aw_dtype_find(dt, "m");
    assert_non_null(f);
    assert_int_equal(f->kind, 'u');
    assert_true(f->big_endian);
    assert_int_equal(f->ndim, 2);
    assert_int_equal(f->count, 6);
    assert_int_equal(f->size, 12);
    f = aw_dtype_find(dt, "name");
    assert_int_equal(f->kind, 'S');
    assert_int_equal(f->width, 32);
    assert_int_equal(f->count, 1);
    assert_int_equal(aw_dtype_find(dt, "ok")->kind, 'b');
    assert_null(aw_dtype_find(dt, "nope"));
    assert_null(aw_dtype_find(dt, NULL));
    assert_null(aw_dtype_field_at(dt, 6));
    aw_dtype_free(dt);

    /* A single type: one field f0, descr is the bare typestr (as .npy headers have it). */
    assert_int_equal(aw_dtype_parse("=f8", false, &dt, &err), AW_OK);
    assert_int_equal(aw_dtype_n_fields(dt), 1);
    assert_string_equal(aw_dtype_field_at(dt, 0)->name, "f0");
    char *d = aw_dtype_descr(dt);
    assert_string_equal(d, "'<f8'");
    aw_free(d);
    aw_dtype_free(dt);
    /* ... also quoted, as a .npy header holds it. */
    assert_int_equal(aw_dtype_parse("  \">u4\" ", false, &dt, &err), AW_OK);
    d = aw_dtype_descr(dt);
    assert_string_equal(d, "'>u4'");
    aw_free(d);
    aw_dtype_free(dt);
    /* A single sub-array type is a one-field struct (numpy makes it a sub-array dtype). */
    assert_int_equal(aw_dtype_parse("(3,)f4", false, &dt, &err), AW_OK);
    d = aw_dtype_descr(dt);
    assert_string_equal(d, "[('f0', '<f4', (3,))]");
    aw_free(d);
    aw_dtype_free(dt);
    /* Many fields: lookups by name stay right. */
    char spec[8192];
    size_t len = 0;
    for (int i = 0; i < 500; i++)
        len += (size_t)snprintf(spec + len, sizeof spec - len, "%si2", i ? "," : "");
    assert_int_equal(aw_dtype_parse(spec, true, &dt, &err), AW_OK);
    assert_int_equal(aw_dtype_n_fields(dt), 500);
    for (int i = 0; i < 500; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        f = aw_dtype_find(dt, name);
        assert_non_null(f);
        assert_int_equal(f->offset, (size_t)i * 2);
    }
    aw_dtype_free(dt);
}

static void test_builder(void **state) {
    (void)state;
    aw_dtype *dt;
    aw_error err;
    assert_int_equal(aw_dtype_new(&dt, true, &err), AW_OK);
    assert_int_equal(aw_dtype_itemsize(dt), 0);
    char *d = aw_dtype_descr(dt);
    assert_string_equal(d, "[]");
    aw_free(d);
    assert_int_equal(aw_dtype_add(dt, "_key", "<i8", NULL, 0, &err), AW_OK);
    assert_int_equal(aw_dtype_add(dt, "flag", "?", NULL, 0, &err), AW_OK);
    uint32_t shape[] = {4, 2};
    assert_int_equal(aw_dtype_add(dt, "emb", "f4", shape, 2, &err), AW_OK);
    assert_int_equal(aw_dtype_add(dt, "tag", "S5", NULL, 0, &err), AW_OK);
    assert_int_equal(aw_dtype_add(dt, "h", "float16", NULL, 0, &err), AW_OK);
    d = aw_dtype_descr(dt);
    assert_string_equal(d, "[('_key', '<i8'), ('flag', '|b1'), ('', '|V3'), ('emb', '<f4', (4, 2)), "
                           "('tag', '|S5'), ('', '|V1'), ('h', '<f2'), ('', '|V4')]");
    aw_free(d);
    assert_int_equal(aw_dtype_itemsize(dt), 56);
    assert_int_equal(aw_dtype_find(dt, "h")->offset, 50);

    /* Refusals leave the dtype as it was. */
    assert_int_equal(aw_dtype_add(dt, "", "i4", NULL, 0, &err), AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "empty"));
    assert_int_equal(aw_dtype_add(dt, NULL, "i4", NULL, 0, &err), AW_ERR_PARAM);
    assert_int_equal(aw_dtype_add(dt, "x", NULL, 0, 0, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "'x'"));
    assert_int_equal(aw_dtype_add(NULL, "x", "i4", NULL, 0, &err), AW_ERR_PARAM);
    assert_int_equal(aw_dtype_add(dt, "tag", "i4", NULL, 0, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "duplicate field name 'tag'"));
    assert_int_equal(aw_dtype_add(dt, "s", "U4", NULL, 0, &err), AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "'s'"));
    assert_int_equal(aw_dtype_add(dt, "s", "i4", NULL, 1, &err), AW_ERR_PARAM);
    uint32_t big[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(aw_dtype_add(dt, "s", "i4", big, 9, &err), AW_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "dimensions"));
    uint32_t huge[2] = {65536, 65536};
    assert_int_equal(aw_dtype_add(dt, "s", "i4", huge, 2, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "too large"));
    assert_int_equal(aw_dtype_add(dt, "s", "S2147483647", NULL, 0, &err), AW_ERR_PARAM);
    assert_int_equal(aw_dtype_add(dt, "bad\x01", "i4", NULL, 0, &err), AW_ERR_BAD_NAME);
    assert_int_equal(aw_dtype_add(dt, "bad\xff", "i4", NULL, 0, &err), AW_ERR_BAD_NAME);
    assert_int_equal(aw_dtype_add(dt, "sixteen_bytes_xx", "i4", NULL, 0, &err), AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "sixteen_bytes_xx"));
    assert_int_equal(aw_dtype_n_fields(dt), 5);
    assert_int_equal(aw_dtype_itemsize(dt), 56);
    /* 15 bytes is a bin name; longer names are fine when they are not bins. */
    assert_int_equal(aw_dtype_add(dt, "fifteen_bytes_x", "i4", NULL, 0, &err), AW_OK);
    assert_int_equal(aw_dtype_add(dt, "_a_long_field_that_is_no_bin", "i4", NULL, 0, &err), AW_OK);
    assert_int_equal(aw_dtype_n_fields(dt), 7);
    aw_dtype_free(dt);

    assert_int_equal(aw_dtype_new(NULL, false, &err), AW_ERR_PARAM);
    aw_dtype_free(NULL);
    assert_null(aw_dtype_descr(NULL));
    assert_int_equal(aw_dtype_itemsize(NULL), 0);
    assert_int_equal(aw_dtype_n_fields(NULL), 0);
    assert_null(aw_dtype_field_at(NULL, 0));
    assert_null(aw_dtype_find(NULL, "a"));
}

/* --- Errors ---------------------------------------------------------------------------------- */

typedef struct error_case {
    const char *spec;
    int code;
    const char *fragment;
} error_case;

static const error_case ERRORS[] = {
    /* unsupported kinds, naming the field */
    {"[('a','<i4'),('name','<U8')]", AW_ERR_UNSUPPORTED, "field 'name': unicode"},
    {"i4,U", AW_ERR_UNSUPPORTED, "field 'f1': unicode"},
    {"i4,O", AW_ERR_UNSUPPORTED, "field 'f1': object"},
    {"[('obj', '|O')]", AW_ERR_UNSUPPORTED, "field 'obj': object"},
    {"[('t','<M8[ns]')]", AW_ERR_UNSUPPORTED, "field 't': datetime"},
    {"[('d','<m8')]", AW_ERR_UNSUPPORTED, "field 'd': timedelta"},
    {"[('t','datetime64[s]')]", AW_ERR_UNSUPPORTED, "field 't': datetime"},
    {"[('p', [('x','<i4')])]", AW_ERR_UNSUPPORTED, "field 'p': nested structs"},
    {"[('z','<c16')]", AW_ERR_UNSUPPORTED, "field 'z': complex"},
    {"D", AW_ERR_UNSUPPORTED, "field 'f0': complex"},
    {"[('g','<f16')]", AW_ERR_UNSUPPORTED, "field 'g': long double"},
    {"i4,g", AW_ERR_UNSUPPORTED, "long double"},
    {"int32,complex64", AW_ERR_UNSUPPORTED, "field 'f1': complex type 'complex64'"},
    {"[('s', 'str')]", AW_ERR_UNSUPPORTED, "field 's': unicode"},
    {"[('s', 'string')]", AW_ERR_PARAM, "field 's': unknown type 'string'"},
    {"[(('title', 'a'), '<i4')]", AW_ERR_UNSUPPORTED, "titles"},
    {"[('a', ('<i4', (2,)))]", AW_ERR_UNSUPPORTED, "field 'a'"},
    {"{'names': ['a'], 'formats': ['<i4']}", AW_ERR_UNSUPPORTED, "dict form"},
    {"[('a','<i4',(1,1,1,1,1,1,1,1,1))]", AW_ERR_UNSUPPORTED, "field 'a' has 9 dimensions"},
    /* syntax, saying where */
    {"", AW_ERR_PARAM, "empty"},
    {"   ", AW_ERR_PARAM, "empty"},
    {"[('a', '<i4')", AW_ERR_PARAM, "unterminated list at offset 0"},
    {"[('a' '<i4')]", AW_ERR_PARAM, "expected ',' or ')' at offset 6"},
    {"[('a', '<i4'),]x", AW_ERR_PARAM, "unexpected text after the dtype at offset 15"},
    {"[('a, '<i4')]", AW_ERR_PARAM, "offset"},
    {"['a', 'i4']", AW_ERR_PARAM, "entry 0 is not a (name, type)"},
    {"[('a',)]", AW_ERR_PARAM, "entry 0"},
    {"[('a', 'i4', (2,), 1)]", AW_ERR_PARAM, "entry 0"},
    {"[(5, 'i4')]", AW_ERR_PARAM, "name must be a string"},
    {"[('a', 5)]", AW_ERR_PARAM, "field 'a': the type must be a string"},
    {"[('a', '<i4', (2, -1))]", AW_ERR_PARAM, "field 'a': bad dimension -1"},
    {"[('a', '<i4', 'x')]", AW_ERR_PARAM, "field 'a': the shape must be"},
    {"[('a', '<i4', (2, 'x'))]", AW_ERR_PARAM, "field 'a': the shape must be"},
    {"[('a', '<i4', (99999999999999999999,))]", AW_ERR_PARAM, "integer too large"},
    {"i4,,f8", AW_ERR_PARAM, "empty type at offset 3"},
    {",", AW_ERR_PARAM, "empty type at offset 0"},
    {"x4", AW_ERR_PARAM, "field 'f0': unknown type 'x4'"},
    {"i3", AW_ERR_PARAM, "unknown type 'i3'"},
    {"u", AW_ERR_PARAM, "unknown type 'u'"},
    {"f3", AW_ERR_PARAM, "unknown type 'f3'"},
    {"<float64", AW_ERR_PARAM, "unknown type '<float64'"},
    {"i4,!i4", AW_ERR_PARAM, "field 'f1': unknown type"},
    {"[('a', '')]", AW_ERR_PARAM, "field 'a': empty type"},
    {"[('a', '<')]", AW_ERR_PARAM, "field 'a': empty type"},
    {"<>i4", AW_ERR_PARAM, "inconsistent byte order"},
    {"(2,3i4", AW_ERR_PARAM, "offset"},
    {"(2,x)i4", AW_ERR_PARAM, "offset"},
    {"S99999999999", AW_ERR_PARAM, "too large"},
    {"[('a', 'S2000000000'), ('b', 'S2000000000')]", AW_ERR_PARAM, "field 'b' takes the itemsize"},
    {"[('a', '<i4', (65536, 65536))]", AW_ERR_PARAM, "field 'a' is too large"},
    {"[1]", AW_ERR_PARAM, "entry 0"},
    {"5", AW_ERR_PARAM, "unknown type"},
    {"'<f8", AW_ERR_PARAM, "unterminated string"},
    {"['\\xff']", AW_ERR_PARAM, "entry 0"},
    {"[('a', '<i4', ((((((((((((((((((((((((((((((((((2))))))))))))))))))))))))))))))))))]",
     AW_ERR_PARAM, "nesting too deep"},
    /* names */
    {"[('a','i4'),('a','f8')]", AW_ERR_PARAM, "duplicate field name 'a'"},
    {"[('f1','i4'),('','f8')]", AW_ERR_PARAM, "duplicate field name 'f1'"},
    {"[('temperature_avg1','<f8')]", AW_ERR_BAD_NAME, "'temperature_avg1' is 16 bytes"},
    {"[('a\\x00b','<f8')]", AW_ERR_BAD_NAME, "NUL"},
    {"[('a\\nb','<f8')]", AW_ERR_BAD_NAME, "control character"},
};
#define N_ERRORS (sizeof ERRORS / sizeof ERRORS[0])

static void test_errors(void **state) {
    (void)state;
    for (size_t i = 0; i < N_ERRORS; i++) {
        aw_dtype *dt = (aw_dtype *)1;
        aw_error err;
        int rc = aw_dtype_parse(ERRORS[i].spec, i % 2 == 0, &dt, &err);
        if (rc != ERRORS[i].code || !strstr(err.message, ERRORS[i].fragment))
            fail_msg("spec %s: got %d '%s', want %d '...%s...'", ERRORS[i].spec, rc, err.message,
                     ERRORS[i].code, ERRORS[i].fragment);
        assert_int_equal(err.code, rc);
        assert_null(dt);
    }
    aw_dtype *dt;
    aw_error err;
    assert_int_equal(aw_dtype_parse(NULL, false, &dt, &err), AW_ERR_PARAM);
    assert_null(dt);
    assert_int_equal(aw_dtype_parse("i4", false, NULL, &err), AW_ERR_PARAM);
    /* err may be NULL. */
    assert_int_equal(aw_dtype_parse("U4", false, &dt, NULL), AW_ERR_UNSUPPORTED);
    assert_int_equal(aw_dtype_parse("i4", false, &dt, NULL), AW_OK);
    aw_dtype_free(dt);
    /* 15 bytes is a bin name; longer names are fine when they are not bins. */
    assert_int_equal(aw_dtype_parse("[('temperature_avg','<f8'),('_temperature_avg1','<f8')]",
                                    false, &dt, &err),
                     AW_OK);
    aw_dtype_free(dt);
}

/* Python string escapes in names decode as Python does; names print back as numpy does. */
static void test_names(void **state) {
    (void)state;
    aw_dtype *dt;
    aw_error err;
    assert_int_equal(aw_dtype_parse("[('\\x41\\u00e9\\U0001F600\\101\\t'[0:0] , 'i4')]", false, &dt,
                                    &err),
                     AW_ERR_PARAM); /* no expressions */
    assert_int_equal(aw_dtype_parse("[('\\x41\\u00e9\\U0001F600\\101', 'i4'), (\"q'\", 'u1')]",
                                    false, &dt, &err),
                     AW_OK);
    assert_string_equal(aw_dtype_field_at(dt, 0)->name, "A\xc3\xa9\xf0\x9f\x98\x80" "A");
    assert_string_equal(aw_dtype_field_at(dt, 1)->name, "q'");
    char *d = aw_dtype_descr(dt);
    assert_string_equal(d, "[('A\xc3\xa9\xf0\x9f\x98\x80" "A', '<i4'), (\"q'\", '|u1')]");
    aw_free(d);
    aw_dtype_free(dt);
    /* Unknown escapes stay as they are (Python's rule). */
    assert_int_equal(aw_dtype_parse("[('a\\qb', 'i4')]", false, &dt, &err), AW_OK);
    assert_string_equal(aw_dtype_field_at(dt, 0)->name, "a\\qb");
    aw_dtype_free(dt);
    assert_int_equal(aw_dtype_parse("[('\\ud800', 'i4')]", false, &dt, &err), AW_ERR_PARAM);
    assert_int_equal(aw_dtype_parse("[('\\x4', 'i4')]", false, &dt, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "escape"));
}

/* --- Failing allocator ----------------------------------------------------------------------- */

static void test_parse_failing_allocator(void **state) {
    (void)state;
    const char *specs[] = {
        "[('_key', '<i4'), ('temperature', '<f8'), ('name', '|S32'), ('emb', '<f4', (128,)),"
        " ('', '|V4'), ('a', 'i1'), ('b', 'i1'), ('c', 'i1'), ('d', 'i1'), ('e', 'i1'), ('f', 'i1'),"
        " ('g', 'i1'), ('h', 'i1'), ('i', 'i1'), ('j', 'i1')]",
        "i4, (2,3)f8, S8, u1, u2, u4, u8, i1, i2, i8, f2, f4, ?",
    };
    for (size_t s = 0; s < 2; s++) {
        int rc = AW_ERR_NOMEM;
        long n;
        for (n = 1; n < 200 && rc != AW_OK; n++) {
            aw_dtype *dt = NULL;
            aw_error err;
            tu_failalloc_on(n);
            rc = aw_dtype_parse(specs[s], true, &dt, &err);
            char *d = rc == AW_OK ? aw_dtype_descr(dt) : NULL;
            tu_failalloc_off();
            if (rc == AW_OK) {
                assert_int_equal(aw_dtype_n_fields(dt), s == 0 ? 14 : 13);
                aw_free(d); /* NULL when the descr's allocation failed */
                aw_dtype_free(dt);
            } else {
                assert_int_equal(rc, AW_ERR_NOMEM);
                assert_int_equal(err.code, AW_ERR_NOMEM);
                assert_null(dt);
            }
        }
        assert_int_equal(rc, AW_OK);
        assert_true(n > 3);
    }
    /* The descr alone. */
    aw_dtype *dt;
    assert_int_equal(aw_dtype_parse(specs[0], false, &dt, NULL), AW_OK);
    tu_failalloc_on(1);
    assert_null(aw_dtype_descr(dt));
    tu_failalloc_off();
    aw_dtype_free(dt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts_match_numpy),
        cmocka_unit_test(test_field_details),
        cmocka_unit_test(test_builder),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_parse_failing_allocator),
    };
    return cmocka_run_group_tests_name("dtype", tests, NULL, NULL);
}
