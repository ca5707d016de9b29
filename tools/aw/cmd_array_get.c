/* aw array get: the array, or rows of it, into a .npy file (see cmd_array.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli.h"
#include "jsonval.h"
#include "opts.h"
#include "print.h"
#include "cmd_array.h"

/* --- get ------------------------------------------------------------------------------- */

/* --rows I:J as typed: either end may be missing, negative counts from the end. */
typedef struct rows_arg {
    const char *text; /* NULL: the whole array */
    bool has_i, has_j;
    int64_t i, j;
} rows_arg;

static bool rows_parse(const char *text, rows_arg *r) {
    const char *colon = strchr(text, ':');
    if (!colon || strchr(colon + 1, ':'))
        return false;
    char i_text[32], j_text[32];
    size_t ilen = (size_t)(colon - text), jlen = strlen(colon + 1);
    if (ilen >= sizeof i_text || jlen >= sizeof j_text)
        return false;
    memcpy(i_text, text, ilen);
    i_text[ilen] = '\0';
    memcpy(j_text, colon + 1, jlen + 1);
    r->text = text;
    r->has_i = ilen > 0;
    r->has_j = jlen > 0;
    return (!r->has_i || cli_parse_i64(i_text, &r->i)) &&
           (!r->has_j || cli_parse_i64(j_text, &r->j));
}

/* One end against n rows, as Python resolves a slice index (without clipping). */
static bool rows_end(bool has, int64_t v, uint64_t dflt, uint64_t n, uint64_t *out) {
    if (!has) {
        *out = dflt;
        return true;
    }
    if (v < 0) {
        if ((uint64_t)-(v + 1) >= n) /* -(v+1) avoids overflow at INT64_MIN */
            return false;
        *out = n - (uint64_t)-(v + 1) - 1;
        return true;
    }
    *out = (uint64_t)v;
    return *out <= n;
}

enum { R_HELP, R_JSON, R_OUT, R_ROWS };
static const cli_opt get_opts[] = {
    [R_HELP] = {"help", 0, false},
    [R_JSON] = {"json", 0, false},
    [R_OUT] = {"out", 0, true},
    [R_ROWS] = {"rows", 0, true},
    {NULL, 0, false},
};

typedef struct get_result {
    uint64_t i, j;      /* the rows written, when ranged */
    uint64_t shape[AW_ARRAY_MAX_NDIM];
    uint64_t bytes;
    double seconds;
} get_result;

static int get_report(const cli *c, const array_key *k, const char *out, const rows_arg *rows,
                      const aw_array_ref *ref, const get_result *g) {
    uint32_t ndim = aw_array_ndim(ref);
    if (c->json) {
        json_t *rj = rows->text ? json_pack("[I, I]", (json_int_t)g->i, (json_int_t)g->j)
                                : json_null();
        json_t *o = json_pack("{s:s, s:o, s:o, s:s, s:I, s:f}", "out", out, "rows", rj, "shape",
                              array_shape_json(g->shape, ndim), "dtype", aw_array_descr(ref), "bytes",
                              (json_int_t)g->bytes, "seconds", g->seconds);
        return array_emit(k, o);
    }
    printf("read array ");
    cli_print_key(stdout, &k->key);
    if (rows->text)
        printf(" rows %" PRIu64 ":%" PRIu64 " of %" PRIu64, g->i, g->j, aw_array_shape(ref)[0]);
    printf(": ");
    array_print_shape(stdout, g->shape, ndim);
    printf(" %s, %" PRIu64 " bytes in %.3f s (%.1f MiB/s) -> %s\n", aw_array_descr(ref), g->bytes,
           g->seconds, array_mib_per_s(g->bytes, g->seconds), out);
    return CLI_OK;
}

/* Opens the array and writes the file; the exit code. */
static int get_run(cli *c, const cli_cmd *self, const array_key *k, const char *out,
                   const rows_arg *rows) {
    int rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_policy pol = array_policy(c, aw_policy_read());
    aw_array_ref *ref;
    aw_error err;
    double t0 = array_now_s();
    if (aw_array_open(client, &pol, &k->key, &ref, &err) != AW_OK)
        return cli_fail(c, &err, "array get %s/%s %s", k->ns, k->set, k->text);
    get_result g = {0};
    uint32_t ndim = aw_array_ndim(ref);
    memcpy(g.shape, aw_array_shape(ref), ndim * sizeof g.shape[0]);
    if (rows->text) {
        uint64_t n = ndim ? g.shape[0] : 0;
        if (ndim == 0)
            rc = cli_usage(c, self, "--rows %s: the array is 0-d, it has no rows", rows->text);
        else if (!rows_end(rows->has_i, rows->i, 0, n, &g.i) ||
                 !rows_end(rows->has_j, rows->j, n, n, &g.j) || g.i > g.j)
            rc = cli_usage(c, self, "--rows %s is out of range for an array of %" PRIu64
                           " rows", rows->text, n);
        else if (aw_array_read_rows_npy(client, ref, g.i, g.j, out, &err) != AW_OK)
            rc = cli_fail(c, &err, "array get %s/%s %s rows %" PRIu64 ":%" PRIu64, k->ns, k->set,
                          k->text, g.i, g.j);
        else
            rc = CLI_OK;
        if (rc == CLI_OK) {
            g.shape[0] = g.j - g.i;
            g.bytes = (g.j - g.i) * aw_array_row_bytes(ref);
        }
    } else {
        rc = aw_array_read_npy(client, ref, out, &err) != AW_OK
                 ? cli_fail(c, &err, "array get %s/%s %s", k->ns, k->set, k->text)
                 : CLI_OK;
        g.bytes = aw_array_nbytes(ref);
    }
    g.seconds = array_now_s() - t0;
    if (rc == CLI_OK) {
        array_warn_if_any(&err); /* the .npy header's size warning, if any */
        rc = get_report(c, k, out, rows, ref, &g);
    }
    aw_array_ref_free(ref);
    return rc;
}

int array_get(cli *c, const cli_cmd *self, int argc, char **argv) {
    const char *out = NULL;
    rows_arg rows = {0};
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    int o;
    while ((o = cli_opt_next(&s, get_opts)) != CLI_OPT_END) {
        switch (o) {
        case R_HELP: return cli_print_help(self);
        case R_JSON: c->json = true; break;
        case R_OUT: out = s.arg; break;
        case R_ROWS:
            if (!rows_parse(s.arg, &rows))
                return cli_usage(c, self, "--rows %s: give I:J (rows I to J-1; either may be "
                                 "left out; negative counts from the end)", s.arg);
            break;
        default: return cli_usage(c, self, "%s", cli_opt_error(&s, o));
        }
    }
    array_key k;
    int rc = array_parse_key(c, self, s.n_pos, argv, &k);
    if (rc >= 0)
        return rc;
    if (!out)
        return cli_usage(c, self, "--out is required");
    return get_run(c, self, &k, out, &rows);
}

