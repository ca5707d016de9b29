/* aw array put|info|get|delete: whole N-d arrays under one key (aerowire/array.h).
 * This file: the help texts, dispatch and what the subcommands share. */
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

/* NS SET KEY from exactly three positionals; -1 to go on, or the exit code. */
int array_parse_key(cli *c, const cli_cmd *self, int n_pos, char **pos, array_key *k) {
    if (n_pos < 3)
        return cli_usage(c, self, "NS, SET and KEY are required");
    if (n_pos > 3)
        return cli_usage(c, self, "unexpected argument '%s'", pos[3]);
    char why[CLI_WHY_SIZE];
    if (!cli_rec_key_parse(pos, k, why))
        return cli_usage(c, self, "%s", why);
    return -1;
}

/* Arrays move in batches: each command gets the batch timeout unless --timeout says. */
aw_policy array_policy(const cli *c, aw_policy p) {
    p.total_timeout_ms = c->timeout_ms ? c->timeout_ms : CLI_BATCH_TIMEOUT_DEFAULT_MS;
    p.socket_timeout_ms = 0;
    return p;
}

double array_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A shape as numpy prints it: (), (5,), (2, 3). */
void array_print_shape(FILE *f, const uint64_t *shape, uint32_t ndim) {
    fputc('(', f);
    for (uint32_t d = 0; d < ndim; d++)
        fprintf(f, "%s%" PRIu64, d ? ", " : "", shape[d]);
    fputs(ndim == 1 ? ",)" : ")", f);
}

json_t *array_shape_json(const uint64_t *shape, uint32_t ndim) {
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
int array_emit(const array_key *k, json_t *fields) {
    json_t *o = json_object();
    if (!o || !fields || !cli_key_to_json(o, &k->key) || json_object_update(o, fields) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(fields);
    return cli_emit_json(o) ? CLI_OK : CLI_EXIT_OTHER;
}

/* A success that came with a warning (old chunks left for the next writer). */
void array_warn_if_any(const aw_error *err) {
    if (err->message[0])
        fprintf(stderr, "aw: warning: %s\n", err->message);
}

double array_mib_per_s(uint64_t bytes, double seconds) {
    return seconds > 0 ? (double)bytes / (1024.0 * 1024.0) / seconds : 0;
}

int array_scan_plain(cli *c, const cli_cmd *self, int argc, char **argv, array_key *k) {
    cli_optscan s;
    int rc = cli_scan_plain(c, self, &s, argc, argv);
    return rc >= 0 ? rc : array_parse_key(c, self, s.n_pos, argv, k);
}

/* --- delete ---------------------------------------------------------------------------- */

int array_delete(cli *c, const cli_cmd *self, int argc, char **argv) {
    array_key k;
    int rc = array_scan_plain(c, self, argc, argv, &k);
    if (rc >= 0)
        return rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_policy pol = array_policy(c, aw_policy_write());
    aw_error err;
    if (aw_array_delete(client, &pol, &k.key, &err) != AW_OK)
        return cli_fail(c, &err, "array delete %s/%s %s", k.ns, k.set, k.text);
    array_warn_if_any(&err);
    if (c->json)
        return array_emit(&k, json_pack("{s:b}", "deleted", 1));
    printf("deleted array ");
    cli_print_key(stdout, &k.key);
    putchar('\n');
    return CLI_OK;
}
