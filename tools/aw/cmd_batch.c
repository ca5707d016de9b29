/* aw batch-get and batch-put: many records to and from .npy rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"
#include "jsonval.h"
#include "keylist.h"
#include "opts.h"
#include "print.h"
#include "rowfield.h"

const char cmd_batch_get_help[] =
    "usage: aw [options] batch-get NS SET --dtype DESCR --keys A..B|@FILE --out FILE.npy\n"
    "                    [--key-field NAME] [--filter EXPR]\n"
    "\n"
    "Reads one record per key into one row each of a numpy structured dtype and\n"
    "writes the rows to a .npy file (numpy.load reads it). Each field whose name does\n"
    "not start with '_' is read from the bin of that name (numbers converted as\n"
    "numpy's astype does; strings and bytes into S/V fields; bytes into sub-arrays).\n"
    "A missing record gives a row of zeros (with its key filled in).\n"
    "\n"
    "  --dtype DESCR      numpy's notation: \"[('_key','<i8'),('temp','<f8'),\n"
    "                     ('name','S16'),('emb','<f4',(4,))]\" (what dtype.descr shows),\n"
    "                     or \"i8,f8\", or one type \"<f8\"\n"
    "  --keys A..B        the integer keys A to B, both included\n"
    "  --keys @FILE       one KEY per line, written as on the command line (42,\n"
    "                     str:42, hex:00ff, digest:...); empty lines skipped; @- is stdin\n"
    "  --out FILE         the .npy file to write (replaced atomically)\n"
    "  --key-field NAME   the field that gets each row's key (default _key; none is\n"
    "                     fine): an integer field for integer keys, S or V for others.\n"
    "                     Integer fields _gen and _ttl get the record's generation and\n"
    "                     TTL (-1 = never expires; 0 for missing records)\n"
    "  --filter EXPR      read only the records that pass the filter expression\n"
    "                     (docs/expressions.md \"Text syntax\"); the others are rows of\n"
    "                     zeros (key filled in), counted as filtered out (code 27)\n"
    "  --json             print {\"keys\", \"found\", \"missing\", \"filtered\", \"failed\",\n"
    "                     \"field_errors\", \"out\", \"itemsize\", \"missing_keys\",\n"
    "                     \"failures\"} (the two lists hold at most the first 100)\n"
    "\n"
    "Exit 0 when every record was read, is missing or was filtered out; 1 when some bin did not convert to\n"
    "its field (that field is zero; the file is still written); 4 or 5 when rows failed\n"
    "on the server or the network (those rows are zero; the file is still written).\n";

const char cmd_batch_put_help[] =
    "usage: aw [options] batch-put NS SET --from FILE.npy [--key-field NAME] [--filter EXPR]\n"
    "\n"
    "Writes every row of a .npy file of a structured dtype as one record. The key\n"
    "is the row's key field (default _key): integer fields give integer keys, S\n"
    "fields string keys (up to the first NUL byte), V fields bytes keys. Every field\n"
    "whose name does not start with '_' becomes a bin: integers, floats (as doubles),\n"
    "b1 as bools, S as strings, V and sub-arrays as bytes (little-endian elements).\n"
    "An integer field _ttl gives the row's TTL (0 namespace default, -1 never\n"
    "expire, -2 keep).\n"
    "\n"
    "  --from FILE        the .npy file\n"
    "  --key-field NAME   the key field (default _key)\n"
    "  --filter EXPR      a row whose record exists and does not pass the filter\n"
    "                     expression is not written: counted as filtered out (code 27);\n"
    "                     new records are written (the server filters existing ones)\n"
    "  --json             print {\"rows\", \"written\", \"filtered\", \"failed\", \"failures\":\n"
    "                     [{\"row\", \"key\", \"code\", \"status\", \"in_doubt\"}, ...]}\n"
    "\n"
    "Every row has its own outcome; failed rows are listed (row, key, reason). Exit 0\n"
    "when all rows were written or filtered out, otherwise the exit code of the first failed row's\n"
    "error (4 server, 5 network).\n";

/* Rows listed in reports, at most. */
#define HUMAN_LIST 10
#define JSON_LIST 100

static aw_batch_policy batch_policy(const cli *c) {
    aw_batch_policy p = aw_batch_policy_default();
    p.base.total_timeout_ms = c->timeout_ms ? c->timeout_ms : CLI_BATCH_TIMEOUT_DEFAULT_MS;
    /* The total is the one limit; an attempt may use all of it. */
    p.base.socket_timeout_ms = 0;
    p.base.filter = c->filter; /* a row it rejects is that row's 27, not the batch's failure */
    return p;
}

/* Appends {"row", "key", "code", "status"[, "in_doubt"]} to list. */
static void list_failure(json_t *list, size_t row, const aw_value *key, int code,
                         const bool *in_doubt) {
    json_t *o = json_pack("{s:I, s:o, s:i, s:s}", "row", (json_int_t)row, "key",
                          cli_value_to_json(key), "code", code, "status",
                          aw_status_name(code));
    if (o && in_doubt)
        json_object_set_new(o, "in_doubt", json_boolean(*in_doubt));
    if (o)
        json_array_append_new(list, o);
}

static void print_failure(size_t row, const aw_value *key, int code, bool in_doubt) {
    printf("  row %zu key ", row);
    cli_print_value(stdout, key);
    printf(": %s (%d): %s%s\n", aw_status_name(code), code, aw_strerror(code),
           in_doubt ? "; may have been applied" : "");
}

/* --- batch-get ------------------------------------------------------------------- */

typedef struct get_args {
    const char *dtype, *keys, *out, *key_field;
    bool key_field_given; /* then it must be in the dtype */
} get_args;

enum { BG_HELP, BG_JSON, BG_DTYPE, BG_KEYS, BG_OUT, BG_KEY_FIELD, BG_FILTER };
static const cli_opt get_opts[] = {
    [BG_HELP] = {"help", 0, false},      [BG_JSON] = {"json", 0, false},
    [BG_DTYPE] = {"dtype", 0, true},     [BG_KEYS] = {"keys", 0, true},
    [BG_OUT] = {"out", 0, true},         [BG_KEY_FIELD] = {"key-field", 0, true},
    [BG_FILTER] = {"filter", 0, true},
    {NULL, 0, false},
};

/* Fills the fields aw owns (key, _gen, _ttl) of every row. */
static void fill_own_fields(const aw_dtype *dt, const aw_dtype_field *kf, uint8_t *rows,
                            const cli_keylist *kl, const aw_row_meta *meta, const int32_t *codes) {
    size_t isz = aw_dtype_itemsize(dt);
    const aw_dtype_field *gen = aw_dtype_find(dt, "_gen"), *ttl = aw_dtype_find(dt, "_ttl");
    char why[CLI_WHY_SIZE];
    for (size_t i = 0; i < kl->n; i++) {
        uint8_t *row = rows + i * isz;
        if (kf)
            cli_row_put_key(kf, row, &kl->keys[i], why); /* checked before the read */
        bool found = codes[i] == AW_OK || codes[i] == AW_ERR_FIELD_TYPE;
        if (!found)
            continue;
        if (gen && cli_is_int_field(gen))
            cli_row_put_int(gen, row, meta[i].gen);
        if (ttl && cli_is_int_field(ttl))
            cli_row_put_int(ttl, row,
                            meta[i].ttl == AW_TTL_NEVER_EXPIRE ? -1 : (int64_t)meta[i].ttl);
    }
}

/* Counts the outcomes, prints the report; the exit code. */
static int report_get(const cli *c, const char *ns, const char *set, const get_args *a,
                      const cli_keylist *kl, const int32_t *codes, size_t itemsize) {
    size_t found = 0, missing = 0, filtered = 0, failed = 0, field_errors = 0;
    int first_failure = AW_OK;
    json_t *missing_list = json_array(), *fail_list = json_array();
    for (size_t i = 0; i < kl->n; i++) {
        const aw_value *key = &kl->keys[i].user_key;
        if (codes[i] == AW_OK) {
            found++;
            continue;
        }
        if (codes[i] == AW_ERR_RECORD_NOT_FOUND) {
            if (missing++ < JSON_LIST && missing_list)
                json_array_append_new(missing_list, cli_value_to_json(key));
            continue;
        }
        if (codes[i] == AW_FILTERED_OUT) {
            filtered++;
            continue;
        }
        if (codes[i] == AW_ERR_FIELD_TYPE) {
            found++;
            field_errors++;
        } else {
            failed++;
        }
        if (first_failure == AW_OK)
            first_failure = codes[i];
        if (failed + field_errors <= JSON_LIST && fail_list)
            list_failure(fail_list, i, key, codes[i], NULL);
    }
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:O, s:O}", "ns",
                              ns, "set", set, "keys", (json_int_t)kl->n, "found",
                              (json_int_t)found, "missing", (json_int_t)missing, "filtered",
                              (json_int_t)filtered, "failed", (json_int_t)failed,
                              "field_errors", (json_int_t)field_errors, "out", a->out,
                              "itemsize", (json_int_t)itemsize, "missing_keys", missing_list,
                              "failures", fail_list);
        if (!cli_emit_json(o) && first_failure == AW_OK)
            first_failure = AW_ERR_NOMEM;
    } else {
        printf("batch-get %s/%s: %zu keys, %zu found, %zu missing", ns, set, kl->n, found,
               missing);
        if (filtered)
            printf(", %zu filtered out", filtered);
        if (failed)
            printf(", %zu failed", failed);
        if (field_errors)
            printf(", %zu with bins that did not convert", field_errors);
        printf(" -> %s (%zu rows of %zu bytes)\n", a->out, kl->n, itemsize);
        size_t shown = 0;
        for (size_t i = 0; i < kl->n && missing && shown < HUMAN_LIST; i++)
            if (codes[i] == AW_ERR_RECORD_NOT_FOUND) {
                printf(shown++ ? ", " : "  missing: ");
                cli_print_value(stdout, &kl->keys[i].user_key);
            }
        if (shown)
            printf("%s\n", missing > shown ? ", ..." : "");
        shown = 0;
        for (size_t i = 0; i < kl->n && shown < HUMAN_LIST; i++)
            if (codes[i] != AW_OK && codes[i] != AW_ERR_RECORD_NOT_FOUND &&
                codes[i] != AW_FILTERED_OUT) {
                print_failure(i, &kl->keys[i].user_key, codes[i], false);
                shown++;
            }
        if (failed + field_errors > shown)
            printf("  ... and %zu more\n", failed + field_errors - shown);
    }
    json_decref(missing_list);
    json_decref(fail_list);
    return cli_exit_code(first_failure);
}

/* Reads the keys into rows and writes the file; the exit code. */
static int batch_get_run(cli *c, const char *ns, const char *set, const get_args *a,
                         const aw_dtype *dt, const aw_dtype_field *kf, const cli_keylist *kl) {
    size_t isz = aw_dtype_itemsize(dt);
    if (isz && kl->n > SIZE_MAX / isz)
        return cli_fail_code(c, CLI_EXIT_OTHER, "%zu rows of %zu bytes are too many", kl->n, isz);
    uint8_t *rows = calloc(kl->n ? kl->n : 1, isz ? isz : 1);
    aw_row_meta *meta = calloc(kl->n, sizeof *meta);
    int32_t *codes = calloc(kl->n, sizeof *codes);
    int rc = CLI_OK;
    if (!rows || !meta || !codes)
        rc = cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for %zu rows of %zu bytes", kl->n,
                           isz);
    aw_client *client = rc == CLI_OK ? cli_client(c, &rc) : NULL;
    if (client) {
        aw_batch_policy pol = batch_policy(c);
        aw_error err;
        if (aw_batch_read_into(client, &pol, kl->keys, kl->n, NULL, 0, dt, rows, kl->n * isz,
                               meta, codes, &err) != AW_OK) {
            rc = cli_fail(c, &err, "batch-get %s/%s", ns, set);
        } else {
            fill_own_fields(dt, kf, rows, kl, meta, codes);
            if (aw_npy_write(a->out, dt, rows, kl->n, &err) != AW_OK) {
                rc = cli_fail_code(c, CLI_EXIT_OTHER, "batch-get: %s", err.message);
            } else {
                if (err.message[0]) /* numpy.load may need a bigger max_header_size */
                    fprintf(stderr, "aw: warning: %s\n", err.message);
                rc = report_get(c, ns, set, a, kl, codes, isz);
            }
        }
    }
    free(rows);
    free(meta);
    free(codes);
    return rc;
}

int cmd_batch_get(cli *c, const cli_cmd *self, int argc, char **argv) {
    get_args a = {.key_field = "_key"};
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    int o;
    while ((o = cli_opt_next(&s, get_opts)) != CLI_OPT_END) {
        switch (o) {
        case BG_HELP: return cli_print_help(self);
        case BG_JSON: c->json = true; break;
        case BG_DTYPE: a.dtype = s.arg; break;
        case BG_KEYS: a.keys = s.arg; break;
        case BG_OUT: a.out = s.arg; break;
        case BG_KEY_FIELD:
            a.key_field = s.arg;
            a.key_field_given = true;
            break;
        case BG_FILTER: {
            int rc = cli_filter_set(c, self, s.arg);
            if (rc >= 0)
                return rc;
            break;
        }
        default: return cli_usage(c, self, "%s", cli_opt_error(&s, o));
        }
    }
    if (s.n_pos != 2)
        return cli_usage(c, self, s.n_pos < 2 ? "NS and SET are required"
                                              : "unexpected argument after NS SET");
    if (!a.dtype || !a.keys || !a.out)
        return cli_usage(c, self, "--%s is required", !a.dtype ? "dtype" : !a.keys ? "keys" : "out");
    const char *ns = argv[0], *set = argv[1];
    aw_dtype *dt = NULL;
    aw_error err;
    if (aw_dtype_parse(a.dtype, false, &dt, &err) != AW_OK)
        return cli_usage(c, self, "--dtype: %s", err.message);
    char why[CLI_WHY_SIZE];
    cli_keylist kl;
    int rc = cli_keylist_parse(a.keys, ns, set, &kl, why);
    if (rc != CLI_OK) {
        rc = rc == CLI_EXIT_USAGE ? cli_usage(c, self, "%s", why) : cli_fail_code(c, rc, "%s", why);
    } else {
        const aw_dtype_field *kf = aw_dtype_find(dt, a.key_field);
        if (!kf && a.key_field_given)
            rc = cli_usage(c, self, "--key-field %s: the dtype has no such field", a.key_field);
        else if (kf && !cli_key_field_ok(kf, why))
            rc = cli_usage(c, self, "%s", why);
        /* Every key must fit the key field: found out now, not after the read. */
        for (size_t i = 0; kf && rc == CLI_OK && i < kl.n; i++)
            if (!cli_row_put_key(kf, NULL, &kl.keys[i], why))
                rc = cli_usage(c, self, "%s", why);
        if (rc == CLI_OK)
            rc = batch_get_run(c, ns, set, &a, dt, kf, &kl);
    }
    cli_keylist_free(&kl);
    aw_dtype_free(dt);
    return rc;
}

/* --- batch-put ------------------------------------------------------------------- */

enum { BP_HELP, BP_JSON, BP_FROM, BP_KEY_FIELD, BP_FILTER };
static const cli_opt put_opts[] = {
    [BP_HELP] = {"help", 0, false},
    [BP_JSON] = {"json", 0, false},
    [BP_FROM] = {"from", 0, true},
    [BP_KEY_FIELD] = {"key-field", 0, true},
    [BP_FILTER] = {"filter", 0, true},
    {NULL, 0, false},
};

static int report_put(const cli *c, const char *ns, const char *set, const aw_dtype *dt,
                      const aw_dtype_field *kf, const uint8_t *rows, size_t n,
                      const int32_t *codes, const bool *in_doubt) {
    size_t isz = aw_dtype_itemsize(dt), failed = 0, filtered = 0;
    int first = AW_OK;
    for (size_t i = 0; i < n; i++) {
        if (codes[i] == AW_FILTERED_OUT)
            filtered++;
        else if (codes[i] != AW_OK && failed++ == 0)
            first = codes[i];
    }
    size_t written = n - failed - filtered;
    if (!c->json) {
        printf("batch-put %s/%s: %zu rows, %zu written", ns, set, n, written);
        if (filtered)
            printf(", %zu filtered out", filtered);
        printf(", %zu failed\n", failed);
    }
    json_t *list = c->json ? json_array() : NULL;
    size_t listed = 0, limit = c->json ? JSON_LIST : HUMAN_LIST;
    for (size_t i = 0; i < n && listed < limit; i++) {
        if (codes[i] == AW_OK || codes[i] == AW_FILTERED_OUT)
            continue;
        aw_value key = cli_row_key(kf, rows + i * isz);
        if (list)
            list_failure(list, i, &key, codes[i], &in_doubt[i]);
        else if (!c->json)
            print_failure(i, &key, codes[i], in_doubt[i]);
        listed++;
    }
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:O}", "ns", ns, "set", set, "rows",
                              (json_int_t)n, "written", (json_int_t)written, "filtered",
                              (json_int_t)filtered, "failed", (json_int_t)failed, "failures",
                              list);
        if (!cli_emit_json(o) && first == AW_OK)
            first = AW_ERR_NOMEM;
    } else if (failed > listed) {
        printf("  ... and %zu more\n", failed - listed);
    }
    json_decref(list);
    return cli_exit_code(first);
}

static int batch_put_run(cli *c, const char *ns, const char *set, const char *key_field,
                         const aw_dtype *dt, const uint8_t *rows, size_t n) {
    int32_t *codes = calloc(n ? n : 1, sizeof *codes);
    bool *in_doubt = calloc(n ? n : 1, sizeof *in_doubt);
    int rc = CLI_OK;
    if (!codes || !in_doubt)
        rc = cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for %zu rows", n);
    aw_client *client = rc == CLI_OK ? cli_client(c, &rc) : NULL;
    if (client) {
        aw_batch_policy pol = batch_policy(c);
        aw_error err;
        if (aw_batch_write_from(client, &pol, rows, n * aw_dtype_itemsize(dt), n, dt, ns, set,
                                key_field, codes, in_doubt, NULL, &err) != AW_OK)
            rc = cli_fail(c, &err, "batch-put %s/%s", ns, set);
        else
            rc = report_put(c, ns, set, dt, aw_dtype_find(dt, key_field), rows, n, codes,
                            in_doubt);
    }
    free(codes);
    free(in_doubt);
    return rc;
}

int cmd_batch_put(cli *c, const cli_cmd *self, int argc, char **argv) {
    const char *from = NULL, *key_field = "_key";
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    int o;
    while ((o = cli_opt_next(&s, put_opts)) != CLI_OPT_END) {
        switch (o) {
        case BP_HELP: return cli_print_help(self);
        case BP_JSON: c->json = true; break;
        case BP_FROM: from = s.arg; break;
        case BP_KEY_FIELD: key_field = s.arg; break;
        case BP_FILTER: {
            int rc = cli_filter_set(c, self, s.arg);
            if (rc >= 0)
                return rc;
            break;
        }
        default: return cli_usage(c, self, "%s", cli_opt_error(&s, o));
        }
    }
    if (s.n_pos != 2)
        return cli_usage(c, self, s.n_pos < 2 ? "NS and SET are required"
                                              : "unexpected argument after NS SET");
    if (!from)
        return cli_usage(c, self, "--from is required");
    aw_dtype *dt = NULL;
    void *rows = NULL;
    size_t n = 0;
    aw_error err;
    /* The library names the file in I/O errors but not in format errors. */
    if (aw_npy_read(from, &dt, &rows, &n, &err) != AW_OK)
        return cli_fail_code(c, CLI_EXIT_OTHER, "batch-put: %s%s%s",
                             strstr(err.message, from) ? "" : from,
                             strstr(err.message, from) ? "" : ": ", err.message);
    int rc = CLI_OK;
    char why[CLI_WHY_SIZE];
    const aw_dtype_field *kf = aw_dtype_find(dt, key_field);
    if (!kf)
        rc = cli_usage(c, self, "%s has no key field '%s' (--key-field names another)", from,
                       key_field);
    else if (!cli_key_field_ok(kf, why))
        rc = cli_usage(c, self, "%s", why);
    else
        rc = batch_put_run(c, argv[0], argv[1], key_field, dt, rows, n);
    aw_free(rows);
    aw_dtype_free(dt);
    return rc;
}
