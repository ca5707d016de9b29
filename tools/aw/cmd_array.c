/* aw array put|info|get|delete: whole N-d arrays under one key (aerowire/array.h). */
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

const char cmd_array_help[] =
    "usage: aw [options] array put|info|get|delete NS SET KEY [options]\n"
    "\n"
    "Whole N-dimensional arrays under one key: a header record with the shape, dtype\n"
    "and attributes, and the data in chunk records read and written in batches.\n"
    "Readers never see a mix of an old and a new array. KEY as for 'aw put'.\n"
    "\n"
    "  put     store the array of a .npy file:  --from FILE.npy [--chunk-bytes N]\n"
    "          [--compress] [--attr NAME=VALUE]...\n"
    "  info    print shape, dtype, sizes, chunks, version and attributes (the header\n"
    "          record only)\n"
    "  get     write the array, or --rows I:J of its first axis, to --out FILE.npy\n"
    "  delete  delete the array (header and chunks)\n"
    "\n"
    "'aw array SUBCOMMAND --help' describes each. Exit codes as aw's; besides them:\n"
    "3 when no array is stored at KEY, 2 when the record there is not an array (put:\n"
    "4, RECORD_EXISTS), 1 when the stored array is damaged (ARRAY_CORRUPT: a chunk\n"
    "missing or failing its checksum; the message names it). put, get and delete give\n"
    "each command they send --timeout (default 30000 ms): one record, or one batch of\n"
    "at most 16 MiB of chunks.\n";

static const char put_help[] =
    "usage: aw [options] array put NS SET KEY --from FILE.npy [--chunk-bytes N] [--compress]\n"
    "                     [--attr NAME=VALUE]...\n"
    "\n"
    "Stores the array of a .npy file (any shape, 0-d too; numeric, bool, complex, S, V\n"
    "and structured dtypes; C order) under KEY, replacing the array there. An array of\n"
    "at most N bytes lives in its header record; a larger one in chunk records of N\n"
    "bytes. A record at KEY that is not an array is left alone (exit 4, RECORD_EXISTS).\n"
    "\n"
    "  --from FILE        the .npy file (Fortran order and object arrays are refused)\n"
    "  --chunk-bytes N    bytes per chunk record, 64..8388608 (default 524288)\n"
    "  --compress         zlib per chunk (a chunk that does not shrink is stored raw)\n"
    "  --attr NAME=VALUE  an attribute; repeat for more. NAME is any text without '='\n"
    "                     (not limited to 15 bytes); VALUE is typed as 'aw put' types\n"
    "                     bin values: 42, 1.5, text, [1,2], {\"a\":1}, hex:00ff, str:42, ...\n"
    "                     (not null)\n"
    "  --json             print {\"ns\", \"set\", \"key\", \"digest\", \"from\", \"shape\",\n"
    "                     \"dtype\", \"nbytes\", \"chunks\", \"chunk_bytes\", \"compressed\",\n"
    "                     \"attributes\", \"seconds\"}\n"
    "\n"
    "Example: aw array put test arr rec1 --from rec1.npy --compress --attr units=mV\n";

static const char info_help[] =
    "usage: aw [options] array info NS SET KEY\n"
    "\n"
    "Prints what the array's header record says (no data is read): shape, dtype\n"
    "descr, element count, bytes, chunks and their size (0 chunks: the data is in the\n"
    "header), compression, version (hex), format and attributes. Exit 3 when no array\n"
    "is stored at KEY, 2 when the record there is not an array.\n"
    "\n"
    "  --json   print {\"ns\", \"set\", \"key\", \"digest\", \"shape\": [...], \"dtype\": DESCR,\n"
    "           \"ndim\", \"size\", \"nbytes\", \"chunks\", \"chunk_bytes\", \"compressed\",\n"
    "           \"version\": HEX, \"format\", \"attributes\": {NAME: VALUE}}; DESCR is the\n"
    "           .npy header's descr text (np.dtype(ast.literal_eval(DESCR))); values\n"
    "           as 'aw get --json' prints bins\n";

static const char get_help[] =
    "usage: aw [options] array get NS SET KEY --out FILE.npy [--rows I:J]\n"
    "\n"
    "Writes the array to a .npy file (numpy.load reads it, mmap_mode='r' too; replaced\n"
    "atomically, so on any error it is left as it was), every chunk checked against\n"
    "its checksum. Reports the bytes and the time taken.\n"
    "\n"
    "  --out FILE   the .npy file to write\n"
    "  --rows I:J   only rows I to J-1 of the first axis, as numpy's a[I:J]: I or J\n"
    "               may be left out, negative counts from the end; only the chunks\n"
    "               holding them are read. Out of range is an error (exit 2)\n"
    "  --json       print {\"ns\", \"set\", \"key\", \"digest\", \"out\", \"rows\": [I, J] or\n"
    "               null, \"shape\", \"dtype\", \"bytes\", \"seconds\"}\n"
    "\n"
    "Exit 3 when no array is stored at KEY; 1 when a chunk is missing or damaged\n"
    "(ARRAY_CORRUPT, naming the chunk) or the file cannot be written.\n";

static const char delete_help[] =
    "usage: aw [options] array delete NS SET KEY\n"
    "\n"
    "Deletes the array: its header first (readers see it gone at once), then its\n"
    "chunks. Exit 3 when no array is stored at KEY, 2 when the record there is not an\n"
    "array (it is left alone).\n"
    "\n"
    "  --json   print {\"ns\", \"set\", \"key\", \"digest\", \"deleted\": true}\n";

static int array_put(cli *c, const cli_cmd *self, int argc, char **argv);
static int array_info(cli *c, const cli_cmd *self, int argc, char **argv);
static int array_get(cli *c, const cli_cmd *self, int argc, char **argv);
static int array_delete(cli *c, const cli_cmd *self, int argc, char **argv);

/* Named "array X" so that usage errors say "aw array X: ..." and point to its help. */
static const cli_cmd subcommands[] = {
    {"array put", "store a .npy file's array", put_help, array_put},
    {"array info", "the array's metadata", info_help, array_info},
    {"array get", "the array, or rows of it, into a .npy file", get_help, array_get},
    {"array delete", "delete the array", delete_help, array_delete},
};
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

enum { A_HELP, A_JSON };
static const cli_opt array_opts[] = {
    [A_HELP] = {"help", 0, false},
    [A_JSON] = {"json", 0, false},
    {NULL, 0, false},
};

int cmd_array(cli *c, const cli_cmd *self, int argc, char **argv) {
    cli_optscan s;
    cli_opt_init(&s, argc, argv, true);
    int o;
    while ((o = cli_opt_next(&s, array_opts)) != CLI_OPT_END) {
        if (o == A_HELP)
            return cli_print_help(self);
        if (o != A_JSON)
            return cli_usage(c, self, "%s", cli_opt_error(&s, o));
        c->json = true;
    }
    if (s.next >= argc)
        return cli_usage(c, self, "no subcommand given (put, info, get or delete)");
    const char *name = argv[s.next];
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        if (strcmp(subcommands[i].name + strlen("array "), name) == 0)
            return subcommands[i].run(c, &subcommands[i], argc - s.next - 1, argv + s.next + 1);
    return cli_usage(c, self, "unknown subcommand '%s'", name);
}

/* --- what the subcommands share ------------------------------------------------------ */

/* The key, and its text as typed for messages (parsing rewrites hex keys in place). */
typedef struct array_key {
    aw_key key;
    const char *ns, *set;
    char text[80];
} array_key;

/* NS SET KEY from exactly three positionals; -1 to go on, or the exit code. */
static int parse_key(cli *c, const cli_cmd *self, int n_pos, char **pos, array_key *k) {
    if (n_pos < 3)
        return cli_usage(c, self, "NS, SET and KEY are required");
    if (n_pos > 3)
        return cli_usage(c, self, "unexpected argument '%s'", pos[3]);
    char why[CLI_WHY_SIZE];
    k->ns = pos[0];
    k->set = pos[1];
    snprintf(k->text, sizeof k->text, "%s", pos[2]);
    if (!cli_key_parse(pos[2], pos[0], pos[1], &k->key, why))
        return cli_usage(c, self, "%s", why);
    return -1;
}

/* Arrays move in batches: each command gets the batch timeout unless --timeout says. */
static aw_policy array_policy(const cli *c, aw_policy p) {
    p.total_timeout_ms = c->timeout_ms ? c->timeout_ms : CLI_BATCH_TIMEOUT_DEFAULT_MS;
    p.socket_timeout_ms = 0;
    return p;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A shape as numpy prints it: (), (5,), (2, 3). */
static void print_shape(FILE *f, const uint64_t *shape, uint32_t ndim) {
    fputc('(', f);
    for (uint32_t d = 0; d < ndim; d++)
        fprintf(f, "%s%" PRIu64, d ? ", " : "", shape[d]);
    fputs(ndim == 1 ? ",)" : ")", f);
}

static json_t *shape_json(const uint64_t *shape, uint32_t ndim) {
    json_t *a = json_array();
    for (uint32_t d = 0; a && d < ndim; d++)
        if (json_array_append_new(a, json_integer((json_int_t)shape[d])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Prints the key's fields, then those of `fields` (whose reference is
 * taken), as one object; the exit code. */
static int emit_with_key(const array_key *k, json_t *fields) {
    json_t *o = json_object();
    if (!o || !fields || !cli_key_to_json(o, &k->key) || json_object_update(o, fields) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(fields);
    return cli_emit_json(o) ? CLI_OK : CLI_EXIT_OTHER;
}

/* A success that came with a warning (old chunks left for the next writer). */
static void warn_if_any(const aw_error *err) {
    if (err->message[0])
        fprintf(stderr, "aw: warning: %s\n", err->message);
}

static double mib_per_s(uint64_t bytes, double seconds) {
    return seconds > 0 ? (double)bytes / (1024.0 * 1024.0) / seconds : 0;
}

/* --- put ------------------------------------------------------------------------------- */

/* The --attr values, typed as put's bin values (args.c). */
typedef struct attr_list {
    aw_array_attr *attrs;
    size_t n;
} attr_list;

static void attrs_free(attr_list *l) {
    for (size_t i = 0; i < l->n; i++)
        aw_value_free(&l->attrs[i].value);
    free(l->attrs);
}

/* Parses args[0..n) ("NAME=VALUE", rewritten in place: the '=' ends NAME);
 * -1 to go on, or the exit code. */
static int attrs_parse(cli *c, const cli_cmd *self, char **args, size_t n, attr_list *l) {
    memset(l, 0, sizeof *l);
    l->attrs = calloc(n ? n : 1, sizeof *l->attrs);
    if (!l->attrs)
        return cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for %zu attributes", n);
    for (; l->n < n; l->n++) {
        char *name = args[l->n], *eq = strchr(name, '=');
        if (!eq)
            return cli_usage(c, self, "--attr '%.60s' is not NAME=VALUE", name);
        if (eq == name)
            return cli_usage(c, self, "--attr '%.60s': empty attribute name", name);
        *eq = '\0';
        for (size_t j = 0; j < l->n; j++)
            if (strcmp(l->attrs[j].name, name) == 0)
                return cli_usage(c, self, "--attr %.60s is given twice", name);
        char what[80], why[CLI_WHY_SIZE];
        snprintf(what, sizeof what, "--attr %.60s", name);
        l->attrs[l->n].name = name;
        if (!cli_value_parse(eq + 1, what, &l->attrs[l->n].value, why))
            return cli_usage(c, self, "%s", why);
        if (l->attrs[l->n].value.type == AW_NIL) {
            l->n++;
            return cli_usage(c, self, "%s: an attribute cannot be null", what);
        }
    }
    return -1;
}

typedef struct put_args {
    const char *from;
    aw_array_opts opts;
    size_t n_attrs;
} put_args;

enum { P_HELP, P_JSON, P_FROM, P_CHUNK, P_COMPRESS, P_ATTR };
static const cli_opt put_opts[] = {
    [P_HELP] = {"help", 0, false},         [P_JSON] = {"json", 0, false},
    [P_FROM] = {"from", 0, true},          [P_CHUNK] = {"chunk-bytes", 0, true},
    [P_COMPRESS] = {"compress", 0, false}, [P_ATTR] = {"attr", 0, true},
    {NULL, 0, false},
};

/* {NAME: VALUE} of n attributes (NULL when out of memory). */
static json_t *attrs_json(const aw_array_attr *attrs, size_t n) {
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        if (json_object_set_new(o, attrs[i].name, cli_value_to_json(&attrs[i].value)) != 0) {
            json_decref(o);
            o = NULL;
        }
    return o;
}

static int put_report(const cli *c, const array_key *k, const put_args *a, const attr_list *attrs,
                      const aw_npy_header *h, const char *descr, uint32_t chunk,
                      uint32_t n_chunks, double seconds) {
    if (c->json) {
        /* "o" takes the shape's and the attributes' references, also when packing fails. */
        json_t *o = json_pack("{s:s, s:o, s:s, s:I, s:I, s:I, s:b, s:o, s:f}", "from", a->from,
                              "shape", shape_json(h->shape, h->ndim), "dtype", descr, "nbytes",
                              (json_int_t)h->nbytes, "chunks", (json_int_t)n_chunks,
                              "chunk_bytes", (json_int_t)chunk, "compressed",
                              (int)a->opts.compress, "attributes",
                              attrs_json(attrs->attrs, attrs->n), "seconds", seconds);
        return emit_with_key(k, o);
    }
    printf("stored array ");
    cli_print_key(stdout, &k->key);
    printf(": ");
    print_shape(stdout, h->shape, h->ndim);
    printf(" %s, %" PRIu64 " bytes", descr, h->nbytes);
    if (n_chunks)
        printf(" in %" PRIu32 " chunks of %" PRIu32 " bytes%s", n_chunks, chunk,
               a->opts.compress ? " (zlib)" : "");
    else
        printf(" in the header record%s", a->opts.compress ? " (zlib)" : "");
    if (a->n_attrs)
        printf(", %zu attribute%s", a->n_attrs, a->n_attrs == 1 ? "" : "s");
    printf("; %.3f s (%.1f MiB/s)\n", seconds, mib_per_s(h->nbytes, seconds));
    return CLI_OK;
}

/* The file is known good; stores it and reports. */
static int put_run(cli *c, const cli_cmd *self, const array_key *k, const put_args *a,
                   const attr_list *attrs, const aw_npy_header *h) {
    uint32_t chunk = a->opts.chunk_bytes ? a->opts.chunk_bytes : AW_ARRAY_DEFAULT_CHUNK;
    /* The library's rule (array.h): an array of at most one chunk is inline. */
    uint64_t n_chunks = h->nbytes <= chunk ? 0 : (h->nbytes + chunk - 1) / chunk;
    if (n_chunks > AW_ARRAY_MAX_CHUNKS)
        return cli_usage(c, self, "%s is %" PRIu64 " bytes: %" PRIu64 " chunks of %" PRIu32
                         " bytes, and an array has at most %u (give a larger --chunk-bytes)",
                         a->from, h->nbytes, n_chunks, chunk, AW_ARRAY_MAX_CHUNKS);
    char *descr = aw_dtype_descr(h->dtype);
    if (!descr)
        return cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for the dtype's descr");
    int rc;
    aw_client *client = cli_client(c, &rc);
    if (client) {
        aw_policy pol = array_policy(c, aw_policy_write());
        aw_error err;
        double t0 = now_s();
        if (aw_array_put_npy(client, &pol, &k->key, a->from, attrs->attrs, attrs->n, &a->opts,
                             &err) != AW_OK) {
            rc = cli_fail(c, &err, "array put %s/%s %s", k->ns, k->set, k->text);
        } else {
            double took = now_s() - t0;
            warn_if_any(&err);
            rc = put_report(c, k, a, attrs, h, descr, chunk, (uint32_t)n_chunks, took);
        }
    }
    aw_free(descr);
    return rc;
}

static int array_put(cli *c, const cli_cmd *self, int argc, char **argv) {
    put_args a = {0};
    /* --attr texts move here; there are never more of them than arguments. */
    char **attr_args = calloc((size_t)argc + 1, sizeof *attr_args);
    if (!attr_args)
        return cli_fail_code(c, CLI_EXIT_OTHER, "out of memory");
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    int o, rc = -1;
    while (rc < 0 && (o = cli_opt_next(&s, put_opts)) != CLI_OPT_END) {
        switch (o) {
        case P_HELP: rc = cli_print_help(self); break;
        case P_JSON: c->json = true; break;
        case P_FROM: a.from = s.arg; break;
        case P_CHUNK:
            if (!cli_parse_u32(s.arg, AW_ARRAY_MIN_CHUNK, AW_ARRAY_MAX_CHUNK, &a.opts.chunk_bytes))
                rc = cli_usage(c, self, "--chunk-bytes %s: give bytes, %u..%u", s.arg,
                               AW_ARRAY_MIN_CHUNK, AW_ARRAY_MAX_CHUNK);
            break;
        case P_COMPRESS: a.opts.compress = true; break;
        case P_ATTR: attr_args[a.n_attrs++] = (char *)s.arg; break;
        default: rc = cli_usage(c, self, "%s", cli_opt_error(&s, o)); break;
        }
    }
    array_key k;
    if (rc < 0)
        rc = parse_key(c, self, s.n_pos, argv, &k);
    if (rc < 0 && !a.from)
        rc = cli_usage(c, self, "--from is required");
    attr_list attrs = {0};
    if (rc < 0)
        rc = attrs_parse(c, self, attr_args, a.n_attrs, &attrs);
    if (rc < 0) {
        /* Read the file's header before connecting: a bad file starts no server. */
        aw_npy_header h;
        aw_error err;
        if (aw_npy_read_header(a.from, &h, &err) != AW_OK) {
            bool named = strstr(err.message, a.from) != NULL;
            rc = cli_fail_code(c, CLI_EXIT_OTHER, "array put: %s%s%s (%s)", named ? "" : a.from,
                               named ? "" : ": ", err.message, aw_status_name(err.code));
        } else {
            rc = put_run(c, self, &k, &a, &attrs, &h);
            aw_npy_header_clear(&h);
        }
    }
    attrs_free(&attrs);
    free(attr_args);
    return rc;
}

/* --- info ------------------------------------------------------------------------------ */

static json_t *info_json(const aw_array_ref *ref) {
    json_t *attrs = json_object();
    for (size_t i = 0; attrs && i < aw_array_n_attrs(ref); i++)
        if (json_object_set_new(attrs, aw_array_attr_name(ref, i),
                                cli_value_to_json(aw_array_attr_value(ref, i))) != 0) {
            json_decref(attrs);
            attrs = NULL;
        }
    char version[17];
    snprintf(version, sizeof version, "%016" PRIx64, aw_array_version(ref));
    /* "o" takes attrs' and the shape's references, also when packing fails. */
    return json_pack("{s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:I, s:o}", "shape",
                     shape_json(aw_array_shape(ref), aw_array_ndim(ref)), "dtype",
                     aw_array_descr(ref), "ndim", (json_int_t)aw_array_ndim(ref), "size",
                     (json_int_t)aw_array_size(ref), "nbytes", (json_int_t)aw_array_nbytes(ref),
                     "chunks", (json_int_t)aw_array_n_chunks(ref), "chunk_bytes",
                     (json_int_t)aw_array_chunk_bytes(ref), "compressed",
                     (int)aw_array_compressed(ref), "version", version, "format",
                     (json_int_t)aw_array_format(ref), "attributes", attrs);
}

static void info_print(const array_key *k, const aw_array_ref *ref) {
    printf("array ");
    cli_print_key(stdout, &k->key);
    printf("  digest ");
    for (int i = 0; i < AW_DIGEST_SIZE; i++)
        printf("%02x", k->key.digest[i]);
    printf("\n  shape       ");
    print_shape(stdout, aw_array_shape(ref), aw_array_ndim(ref));
    printf("\n  dtype       %s\n", aw_array_descr(ref));
    printf("  ndim        %" PRIu32 "\n", aw_array_ndim(ref));
    printf("  size        %" PRIu64 " elements\n", aw_array_size(ref));
    printf("  nbytes      %" PRIu64 "\n", aw_array_nbytes(ref));
    if (aw_array_n_chunks(ref))
        printf("  chunks      %" PRIu32 " of %" PRIu32 " bytes\n", aw_array_n_chunks(ref),
               aw_array_chunk_bytes(ref));
    else
        printf("  chunks      0 (the data is in the header record; chunk size %" PRIu32 ")\n",
               aw_array_chunk_bytes(ref));
    printf("  compressed  %s\n", aw_array_compressed(ref) ? "yes (zlib)" : "no");
    printf("  version     %016" PRIx64 "\n", aw_array_version(ref));
    printf("  format      %" PRIu32 "\n", aw_array_format(ref));
    size_t n = aw_array_n_attrs(ref);
    printf("  attributes  %zu\n", n);
    /* Columns as wide as the longest name and type, as aw get prints bins. */
    int name_w = 0, type_w = 0;
    for (size_t i = 0; i < n; i++) {
        int nl = (int)strlen(aw_array_attr_name(ref, i));
        int tl = (int)strlen(cli_type_name(aw_array_attr_value(ref, i)));
        name_w = nl > name_w ? nl : name_w;
        type_w = tl > type_w ? tl : type_w;
    }
    for (size_t i = 0; i < n; i++) {
        const aw_value *v = aw_array_attr_value(ref, i);
        printf("    %-*s  %-*s  ", name_w, aw_array_attr_name(ref, i), type_w, cli_type_name(v));
        cli_print_value(stdout, v);
        putchar('\n');
    }
}

enum { G_HELP, G_JSON };
static const cli_opt plain_opts[] = {
    [G_HELP] = {"help", 0, false},
    [G_JSON] = {"json", 0, false},
    {NULL, 0, false},
};

/* --help, --json and NS SET KEY: all info and delete take; -1 to go on. */
static int scan_plain(cli *c, const cli_cmd *self, int argc, char **argv, array_key *k) {
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    int o;
    while ((o = cli_opt_next(&s, plain_opts)) != CLI_OPT_END) {
        if (o == G_HELP)
            return cli_print_help(self);
        if (o != G_JSON)
            return cli_usage(c, self, "%s", cli_opt_error(&s, o));
        c->json = true;
    }
    return parse_key(c, self, s.n_pos, argv, k);
}

static int array_info(cli *c, const cli_cmd *self, int argc, char **argv) {
    array_key k;
    int rc = scan_plain(c, self, argc, argv, &k);
    if (rc >= 0)
        return rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_array_ref *ref;
    aw_error err;
    /* The header is one record: the client's single-command timeout fits it. */
    if (aw_array_open(client, NULL, &k.key, &ref, &err) != AW_OK)
        return cli_fail(c, &err, "array info %s/%s %s", k.ns, k.set, k.text);
    if (c->json) {
        rc = emit_with_key(&k, info_json(ref));
    } else {
        info_print(&k, ref);
        rc = CLI_OK;
    }
    aw_array_ref_free(ref);
    return rc;
}

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
                              shape_json(g->shape, ndim), "dtype", aw_array_descr(ref), "bytes",
                              (json_int_t)g->bytes, "seconds", g->seconds);
        return emit_with_key(k, o);
    }
    printf("read array ");
    cli_print_key(stdout, &k->key);
    if (rows->text)
        printf(" rows %" PRIu64 ":%" PRIu64 " of %" PRIu64, g->i, g->j, aw_array_shape(ref)[0]);
    printf(": ");
    print_shape(stdout, g->shape, ndim);
    printf(" %s, %" PRIu64 " bytes in %.3f s (%.1f MiB/s) -> %s\n", aw_array_descr(ref), g->bytes,
           g->seconds, mib_per_s(g->bytes, g->seconds), out);
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
    double t0 = now_s();
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
    g.seconds = now_s() - t0;
    if (rc == CLI_OK) {
        warn_if_any(&err); /* the .npy header's size warning, if any */
        rc = get_report(c, k, out, rows, ref, &g);
    }
    aw_array_ref_free(ref);
    return rc;
}

static int array_get(cli *c, const cli_cmd *self, int argc, char **argv) {
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
    int rc = parse_key(c, self, s.n_pos, argv, &k);
    if (rc >= 0)
        return rc;
    if (!out)
        return cli_usage(c, self, "--out is required");
    return get_run(c, self, &k, out, &rows);
}

/* --- delete ---------------------------------------------------------------------------- */

static int array_delete(cli *c, const cli_cmd *self, int argc, char **argv) {
    array_key k;
    int rc = scan_plain(c, self, argc, argv, &k);
    if (rc >= 0)
        return rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_policy pol = array_policy(c, aw_policy_write());
    aw_error err;
    if (aw_array_delete(client, &pol, &k.key, &err) != AW_OK)
        return cli_fail(c, &err, "array delete %s/%s %s", k.ns, k.set, k.text);
    warn_if_any(&err);
    if (c->json)
        return emit_with_key(&k, json_pack("{s:b}", "deleted", 1));
    printf("deleted array ");
    cli_print_key(stdout, &k.key);
    putchar('\n');
    return CLI_OK;
}
