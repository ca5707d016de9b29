/* aw scan and aw query: every record of a namespace or set, or those a
 * secondary index finds, as JSON lines on stdout. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/numpy.h"
#include "aerowire/query.h"
#include "cli.h"
#include "cursorfile.h"
#include "filter.h"
#include "opts.h"
#include "print.h"
#include "progress.h"
#include "where.h"

#define SCAN_OPTIONS_HELP                                                                      \
    "  --bins A,B,...   only these bins (default: all); a record with none of them is\n"      \
    "                   not sent (the server's rule)\n"                                       \
    "  --no-bins        no bins: keys, digests, generations and TTLs only\n"                   \
    "  --filter EXPR    only records passing the filter expression, evaluated on the\n"        \
    "                   server (docs/expressions.md \"Text syntax\")\n"                        \
    "  --max-records N  stop after about N records (N is split over the nodes)\n"            \
    "  --partitions A-B only partitions A to B (0..4095); --partitions A: one partition\n"    \
    "  --rps N          at most N records per second per node\n"                               \
    "  --cursor FILE    resume from the cursor in FILE (when it exists; else start over\n"    \
    "                   --partitions) and save where this run stopped back to it, so\n"      \
    "                   --max-records pages, Ctrl-C or an error resume there; stderr\n"       \
    "                   then says 'more to read' or 'every partition done'\n"                 \
    "  --dtype DESCR    with --out: rows of this numpy dtype, as batch-get takes it\n"       \
    "                   (\"[('_digest','V20'),('_key','<i8'),('age','<i8')]\"); a field\n"       \
    "                   not starting with '_' is the bin of its name, _digest the\n"          \
    "                   record's digest, _key its key (when stored with it)\n"               \
    "  --out FILE.npy   write the records as rows to FILE.npy (numpy.load reads it)\n"      \
    "                   instead of JSON lines; stderr counts them. The file appears\n"     \
    "                   whole when the scan ends; on an error or Ctrl-C there is none\n"   \
    "                   (an older FILE is left as it was). With --cursor, each run\n"      \
    "                   writes the rows it read to FILE, replacing it\n"                   \
    "  --json           errors as {\"error\": {...}} on stdout too; no progress line\n"      \
    "\n"                                                                                       \
    "Output: one JSON object per record per line, {\"ns\", \"set\", \"key\", \"digest\", \"gen\",\n" \
    "\"ttl\", \"bins\": {...}}, as 'aw --json get' prints a record; \"key\" is null unless the\n" \
    "record was written with its key (put --send-key). Records come as the nodes send\n"      \
    "them, in no set order. When stderr is a terminal (and stdout is not, or --out is\n"     \
    "given), a progress line counts the records and their rate on stderr. Ctrl-C\n"           \
    "stops the scan on every node and exits 130 after the records already printed\n"         \
    "(with --out: at the next chunk of rows, and no file is written); a second\n"            \
    "Ctrl-C ends aw at once.\n"

const char cmd_scan_help[] =
    "usage: aw [options] scan NS [SET] [scan options]\n"
    "\n"
    "Reads every record of the namespace NS, or of its set SET, from every node.\n"
    "\n"
    "Options:\n" SCAN_OPTIONS_HELP
    "\n"
    "Examples:\n"
    "  aw -h 127.0.0.1 scan test demo --bins name,age --max-records 100\n"
    "  aw -h 127.0.0.1 scan test demo --filter '$.age > 40' --partitions 0-1023\n";

const char cmd_query_help[] =
    "usage: aw [options] query NS SET --where COND [scan options]\n"
    "\n"
    "Reads the records of NS/SET (SET '': every set) that a secondary index finds.\n"
    "COND is one argument:\n"
    "  BIN == VALUE             VALUE an int, a string or bytes, typed as put types\n"
    "                           values: 42, Ann, str:42, hex:00ff, \"two words\"\n"
    "  BIN between LO and HI    ints, both ends included\n"
    "  BIN contains VALUE       an element of a list, a key or a value of a map: which\n"
    "                           one the index on BIN says (found with 'aw sindex list'),\n"
    "                           or --collection list|mapkeys|mapvalues\n"
    "  BIN within GEOJSON       points inside a region ({\"type\":\"Polygon\",...} or\n"
    "                           {\"type\":\"AeroCircle\",\"coordinates\":[[LNG,LAT],METRES]})\n"
    "A query needs an index on BIN of the value's type ('aw sindex create'); without\n"
    "one it fails with exit 4, INDEX_NOT_FOUND (code 201).\n"
    "\n"
    "Options:\n"
    "  --where COND     the condition (required)\n"
    "  --collection C   for contains: list, mapkeys or mapvalues, instead of asking\n"
    "                   the server which index covers BIN\n" SCAN_OPTIONS_HELP
    "\n"
    "Examples:\n"
    "  aw -h 127.0.0.1 query test demo --where 'age between 30 and 40'\n"
    "  aw -h 127.0.0.1 query test demo --where 'tags contains red' --bins name\n";

enum { S_HELP, S_JSON, S_BINS, S_NO_BINS, S_FILTER, S_MAX_RECORDS, S_PARTITIONS, S_RPS, S_WHERE,
       S_COLLECTION, S_CURSOR, S_DTYPE, S_OUT };
static const cli_opt scan_opts[] = {
    [S_HELP] = {"help", 0, false},          [S_JSON] = {"json", 0, false},
    [S_BINS] = {"bins", 0, true},           [S_NO_BINS] = {"no-bins", 0, false},
    [S_FILTER] = {"filter", 0, true},       [S_MAX_RECORDS] = {"max-records", 0, true},
    [S_PARTITIONS] = {"partitions", 0, true}, [S_RPS] = {"rps", 0, true},
    [S_WHERE] = {"where", 0, true},         [S_COLLECTION] = {"collection", 0, true},
    [S_CURSOR] = {"cursor", 0, true},       [S_DTYPE] = {"dtype", 0, true},
    [S_OUT] = {"out", 0, true},
    {NULL, 0, false},
};

/* The command line of a scan or query. */
typedef struct scan_args {
    const char *ns, *set;           /* set "" = the whole namespace */
    char *bins_text;                /* --bins, split in place; bins point into it */
    const char **bins;
    size_t n_bins;
    aw_query_policy pol;
    aw_partition_filter parts;
    const char *cursor_path;        /* --cursor FILE; NULL = none */
    aw_dtype *dtype;                /* --dtype, parsed; only with --out */
    const char *out_path;           /* --out FILE.npy; NULL = JSON lines */
    bool no_bins;                   /* --no-bins */
    const char *where;              /* --where text; NULL for a scan */
    bool has_collection;
    aw_index_collection collection;
} scan_args;

/* --bins a,b,c: names of 1 to 15 bytes. A usage error's text in why. */
static bool parse_bins(scan_args *a, const char *text, char why[CLI_WHY_SIZE]) {
    free(a->bins_text);
    free(a->bins);
    a->bins = NULL;
    a->n_bins = 0;
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    a->bins_text = strdup(text);
    a->bins = calloc(n, sizeof *a->bins);
    if (!a->bins_text || !a->bins) {
        snprintf(why, CLI_WHY_SIZE, "out of memory for --bins");
        return false;
    }
    for (char *p = a->bins_text;; p++) {
        char *end = p + strcspn(p, ",");
        bool last = !*end;
        *end = '\0';
        if (!*p || strlen(p) > AW_BIN_NAME_MAX) {
            snprintf(why, CLI_WHY_SIZE, "--bins: bin name '%s' must be 1 to %d bytes", p,
                     AW_BIN_NAME_MAX);
            return false;
        }
        a->bins[a->n_bins++] = p;
        if (last)
            return true;
        p = end;
    }
}

/* --partitions A-B or A, within 0..4095. */
static bool parse_partitions(const char *text, aw_partition_filter *out, char why[CLI_WHY_SIZE]) {
    char lo_text[16], hi_text[16];
    const char *dash = strchr(text, '-');
    size_t lo_len = dash ? (size_t)(dash - text) : strlen(text);
    snprintf(lo_text, sizeof lo_text, "%.*s", (int)(lo_len < 15 ? lo_len : 15), text);
    snprintf(hi_text, sizeof hi_text, "%s", dash ? dash + 1 : lo_text);
    uint32_t lo, hi;
    if (lo_len > 4 || !cli_parse_u32(lo_text, 0, AW_PARTITIONS - 1, &lo) ||
        !cli_parse_u32(hi_text, 0, AW_PARTITIONS - 1, &hi)) {
        snprintf(why, CLI_WHY_SIZE, "--partitions %s: give A-B or A, partitions 0..%d", text,
                 AW_PARTITIONS - 1);
        return false;
    }
    if (lo > hi) {
        snprintf(why, CLI_WHY_SIZE, "--partitions %s: the range is empty (A > B)", text);
        return false;
    }
    *out = aw_partition_filter_range(lo, hi - lo + 1);
    return true;
}

/* Parses the options and positionals into a; -1 to go on, or the exit code. */
static int parse_args(cli *c, const cli_cmd *self, bool is_query, int argc, char **argv,
                      scan_args *a) {
    char why[CLI_WHY_SIZE];
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    int o, rc;
    uint32_t n32;
    int64_t n64;
    while ((o = cli_opt_next(&s, scan_opts)) != CLI_OPT_END) {
        switch (o) {
        case S_HELP:
            return cli_print_help(self);
        case S_JSON:
            c->json = true;
            break;
        case S_BINS:
            if (!parse_bins(a, s.arg, why))
                return cli_usage(c, self, "%s", why);
            break;
        case S_NO_BINS:
            a->no_bins = true;
            a->pol.include_bin_data = false;
            break;
        case S_FILTER:
            if ((rc = cli_filter_set(c, self, s.arg)) >= 0)
                return rc;
            break;
        case S_MAX_RECORDS:
            if (!cli_parse_i64(s.arg, &n64) || n64 < 1)
                return cli_usage(c, self, "--max-records %s: give a count of 1 or more", s.arg);
            a->pol.max_records = (uint64_t)n64;
            break;
        case S_PARTITIONS:
            if (!parse_partitions(s.arg, &a->parts, why))
                return cli_usage(c, self, "%s", why);
            break;
        case S_RPS:
            if (!cli_parse_u32(s.arg, 1, UINT32_MAX, &n32))
                return cli_usage(c, self, "--rps %s: give records per second, 1 or more", s.arg);
            a->pol.records_per_second = n32;
            break;
        case S_CURSOR:
            if (!s.arg[0])
                return cli_usage(c, self, "--cursor needs a file name");
            a->cursor_path = s.arg;
            break;
        case S_DTYPE: {
            aw_error err;
            aw_dtype_free(a->dtype);
            a->dtype = NULL;
            if (aw_dtype_parse(s.arg, false, &a->dtype, &err) != AW_OK)
                return cli_usage(c, self, "--dtype: %s", err.message);
            break;
        }
        case S_OUT:
            if (!s.arg[0])
                return cli_usage(c, self, "--out needs a file name");
            a->out_path = s.arg;
            break;
        case S_WHERE:
            if (!is_query)
                return cli_usage(c, self, "--where is for 'aw query'; a scan reads every record");
            a->where = s.arg;
            break;
        case S_COLLECTION:
            if (!is_query)
                return cli_usage(c, self, "--collection is for 'aw query'");
            if (!cli_collection_parse(s.arg, &a->collection) || a->collection == AW_INDEX_DEFAULT)
                return cli_usage(c, self, "--collection %s: give list, mapkeys or mapvalues",
                                 s.arg);
            a->has_collection = true;
            break;
        default:
            return cli_usage(c, self, "%s", cli_opt_error(&s, o));
        }
    }
    if (a->bins && a->no_bins)
        return cli_usage(c, self, "--bins and --no-bins: give one");
    if (!a->dtype != !a->out_path)
        return cli_usage(c, self, a->out_path ? "--out needs --dtype (the rows' numpy dtype)"
                                              : "--dtype is for --out FILE.npy");
    int max_pos = 2;
    if (s.n_pos < (is_query ? 2 : 1))
        return cli_usage(c, self, is_query ? "NS and SET are required" : "NS is required");
    if (s.n_pos > max_pos)
        return cli_usage(c, self, "unexpected argument '%s'", argv[max_pos]);
    if (is_query && !a->where)
        return cli_usage(c, self, "--where is required (e.g. --where 'age == 42')");
    a->ns = argv[0];
    a->set = s.n_pos > 1 ? argv[1] : "";
    a->pol.base.filter = c->filter;
    if (c->timeout_ms)
        a->pol.base.total_timeout_ms = c->timeout_ms;
    return -1;
}

/* --- running it ----------------------------------------------------------------- */

/* Ctrl-C sets the flag the record callback (JSON lines) or the progress
 * callback (--out) reads: the next record or chunk stops the scan. The
 * handler before ours (default, or the one stopping the embedded server)
 * takes a second Ctrl-C. */
static volatile sig_atomic_t g_interrupted;
static struct sigaction g_prev_sigint;

static void on_sigint(int sig) {
    (void)sig;
    g_interrupted = 1;
    sigaction(SIGINT, &g_prev_sigint, NULL);
}

static void catch_sigint(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    g_interrupted = 0;
    sigaction(SIGINT, &sa, &g_prev_sigint);
}

static void release_sigint(void) {
    if (!g_interrupted) /* else on_sigint put it back already */
        sigaction(SIGINT, &g_prev_sigint, NULL);
}

typedef struct scan_run {
    uint64_t records;
    bool output_failed;
    cli_progress progress;
} scan_run;

/* Prints the record, then stops when Ctrl-C came: the record that answers
 * false counts as delivered in the cursor, so it must be out. */
static bool on_record(const aw_key *key, aw_record *rec, void *udata) {
    scan_run *r = udata;
    if (!cli_emit_json(cli_record_json(key, rec))) {
        r->output_failed = true;
        return false;
    }
    r->records++;
    cli_progress_update(&r->progress, r->records);
    return !g_interrupted;
}

/* aw_query_to_npy_opts's progress callback: rows written so far. */
static bool on_rows(uint64_t rows, void *udata) {
    scan_run *r = udata;
    r->records = rows;
    cli_progress_update(&r->progress, rows);
    return !g_interrupted;
}

/* The cursor to start from: --cursor's file, or a new one over the partitions. */
static aw_partition_status *start_cursor(cli *c, const scan_args *a, const char *what,
                                         int *code) {
    if (a->cursor_path)
        return cli_cursor_load(c, a->cursor_path, &a->parts, code);
    aw_partition_status *cursor = NULL;
    aw_error err;
    if (aw_partition_status_new(&a->parts, &cursor, &err) != AW_OK)
        *code = cli_fail(c, &err, "%s", what);
    return cursor;
}

/* Saves the cursor to --cursor's file (if any) and says how far it got. */
static int save_cursor(cli *c, const scan_args *a, const char *name,
                       const aw_partition_status *cursor) {
    if (!a->cursor_path)
        return CLI_OK;
    int rc = cli_cursor_save(c, a->cursor_path, cursor);
    if (rc == CLI_OK)
        fprintf(stderr, "aw %s: cursor saved in %s: %s\n", name, a->cursor_path,
                aw_partition_status_done(cursor) ? "every partition done" : "more to read");
    return rc;
}

/* The exit code of a scan or query that failed with err. */
static int fail_status(cli *c, const scan_args *a, const aw_query *q, const aw_error *err,
                       const char *what) {
    if (err->code == AW_ERR_INDEX_NOT_FOUND && q->where)
        return cli_fail(c, err, "%s: no secondary index on bin '%s' answers it (aw sindex "
                        "list %s)", what, q->where->bin ? q->where->bin : "?", a->ns);
    return cli_fail(c, err, "%s", what);
}

/* Runs q (command `name`) as JSON lines on stdout; an exit code. */
static int run_query(cli *c, aw_client *client, const scan_args *a, const aw_query *q,
                     const char *name, const char *what) {
    aw_error err;
    int code;
    aw_partition_status *cursor = start_cursor(c, a, what, &code);
    if (!cursor)
        return code;
    scan_run r = {0};
    cli_progress_start(&r.progress, name, c->json, true);
    catch_sigint();
    int status = aw_query_foreach(client, &a->pol, q, cursor, on_record, &r, &err);
    release_sigint();
    cli_progress_end(&r.progress, r.records);
    /* The records the cursor counts as delivered are out before it is saved;
     * output that failed leaves the old cursor. */
    r.output_failed |= fflush(stdout) != 0 || ferror(stdout);
    int saved = r.output_failed ? CLI_OK : save_cursor(c, a, name, cursor);
    aw_partition_status_free(cursor);
    if (saved != CLI_OK)
        return saved;
    if (r.output_failed)
        return cli_fail_code(c, CLI_EXIT_OTHER, "%s: cannot write the output%s", what,
                             a->cursor_path ? " (the cursor file is left as it was)" : "");
    if (status == AW_OK)
        return CLI_OK;
    if (status == AW_ERR_CLIENT_ABORT && g_interrupted)
        return cli_fail_code(c, CLI_EXIT_INTERRUPTED, "%s: interrupted after %llu records",
                             what, (unsigned long long)r.records);
    return fail_status(c, a, q, &err, what);
}

/* Rows in memory at once for --out: small chunks, so that Ctrl-C and the
 * progress line are heard of often. */
#define OUT_CHUNK_BYTES (64u * 1024u)

/* Runs q into the .npy file --out names; an exit code. The file is there
 * only when the whole scan is, and only then does the cursor move on. */
static int run_to_npy(cli *c, aw_client *client, const scan_args *a, const aw_query *q,
                      const char *name, const char *what) {
    aw_error err;
    int code;
    aw_partition_status *cursor = start_cursor(c, a, what, &code);
    if (!cursor)
        return code;
    size_t itemsize = aw_dtype_itemsize(a->dtype);
    scan_run r = {0};
    aw_query_npy_opts opts = {.chunk_rows = itemsize < OUT_CHUNK_BYTES ? OUT_CHUNK_BYTES / itemsize
                                                                       : 1,
                              .progress = on_rows,
                              .udata = &r};
    cli_progress_start(&r.progress, name, c->json, false);
    catch_sigint();
    uint64_t rows = 0;
    int status = aw_query_to_npy_opts(client, &a->pol, q, cursor, a->dtype, a->out_path, &opts,
                                      &rows, &err);
    release_sigint();
    cli_progress_end(&r.progress, status == AW_OK ? rows : r.records);
    int rc;
    if (status == AW_OK) {
        if (err.message[0]) /* numpy.load may need a bigger max_header_size */
            fprintf(stderr, "aw: warning: %s\n", err.message);
        fprintf(stderr, "aw %s: %llu records written to %s\n", name, (unsigned long long)rows,
                a->out_path);
        rc = save_cursor(c, a, name, cursor);
    } else if (status == AW_ERR_CLIENT_ABORT && g_interrupted) {
        rc = cli_fail_code(c, CLI_EXIT_INTERRUPTED, "%s: interrupted; %s not written%s", what,
                           a->out_path, a->cursor_path ? " (the cursor file is left as it was)"
                                                       : "");
    } else {
        rc = fail_status(c, a, q, &err, what);
    }
    aw_partition_status_free(cursor);
    return rc;
}

static void free_args(scan_args *a) {
    free(a->bins_text);
    free(a->bins);
    aw_dtype_free(a->dtype);
}

static int scan_or_query(cli *c, const cli_cmd *self, bool is_query, int argc, char **argv) {
    scan_args a;
    memset(&a, 0, sizeof a);
    a.pol = aw_query_policy_default();
    a.parts = aw_partition_filter_all();
    cli_where w;
    memset(&w, 0, sizeof w);
    int rc = parse_args(c, self, is_query, argc, argv, &a);
    char why[CLI_WHY_SIZE];
    if (rc < 0 && a.where && !cli_where_parse(a.where, &w, why))
        rc = cli_usage(c, self, "%s", why);
    if (rc < 0 && a.has_collection && w.op != CLI_WHERE_CONTAINS)
        rc = cli_usage(c, self, "--collection is for a 'BIN contains VALUE' condition");
    aw_client *client = rc < 0 ? cli_client(c, &rc) : NULL;
    aw_index_collection in = a.collection;
    if (client && a.where && w.op == CLI_WHERE_CONTAINS && !a.has_collection)
        rc = cli_where_collection(c, self, client, a.ns, a.set, &w, &in);
    if (client && rc < 0) {
        aw_index_filter f = cli_where_filter(&w, in);
        aw_query q = {.ns = a.ns, .set = a.set, .bins = a.bins, .n_bins = a.n_bins,
                      .where = a.where ? &f : NULL};
        char what[160];
        snprintf(what, sizeof what, "%s %s%s%s", self->name, a.ns, a.set[0] ? "/" : "", a.set);
        rc = a.out_path ? run_to_npy(c, client, &a, &q, self->name, what)
                        : run_query(c, client, &a, &q, self->name, what);
    }
    cli_where_free(&w);
    free_args(&a);
    return rc;
}

int cmd_scan(cli *c, const cli_cmd *self, int argc, char **argv) {
    return scan_or_query(c, self, false, argc, argv);
}

int cmd_query(cli *c, const cli_cmd *self, int argc, char **argv) {
    return scan_or_query(c, self, true, argc, argv);
}
