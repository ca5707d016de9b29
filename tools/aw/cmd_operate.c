/* aw operate: several ops on one record, atomically (aw_operate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "keyargs.h"
#include "opts.h"
#include "print.h"

const char cmd_operate_help[] =
    "usage: aw [options] operate NS SET KEY OP...\n"
    "\n"
    "Applies the OPs to the record NS/SET/KEY in order, atomically (one command), and\n"
    "prints what the read ops returned as get does (without read ops: how many ops\n"
    "were applied). KEY and VALUEs as for put.\n"
    "\n"
    "OPs:\n"
    "  read              read every bin\n"
    "  read:BIN          read one bin\n"
    "  write:BIN=VALUE   write a bin (json:null removes it)\n"
    "  add:BIN=N         add an int or a float to a number bin (created when missing)\n"
    "  append:BIN=VALUE  append to a string bin (or bytes: hex:..., b64:...)\n"
    "  prepend:BIN=VALUE\n"
    "  touch             reset the TTL, bump the generation\n"
    "  delete            delete the record\n"
    "\n"
    "Options:\n"
    "  --filter EXPR  apply the ops only when the record passes the filter expression\n"
    "           (docs/expressions.md \"Text syntax\"); otherwise exit 4, FILTERED_OUT\n"
    "           (code 27), nothing changed\n"
    "  --json   print the record as get --json does (\"bins\" holds what was read);\n"
    "           without read ops {\"ns\", \"set\", \"key\", \"digest\", \"ops_applied\"}\n"
    "\n"
    "Example: aw operate test demo user1 add:visits=1 read:visits\n";

/* The op text names the op; the rest (after ':') its bin and value. */
typedef struct op_kind {
    const char *name;
    aw_op (*with_value)(const char *bin, aw_value v);
} op_kind;

static const op_kind VALUE_OPS[] = {
    {"write", aw_op_write}, {"add", aw_op_incr}, {"append", aw_op_append},
    {"prepend", aw_op_prepend},
};

/* Parses text into *op; its bin (and value) live in *bin. False with why. */
static bool op_parse(char *text, aw_op *op, cli_bin *bin, char why[CLI_WHY_SIZE]) {
    memset(bin, 0, sizeof *bin);
    if (strcmp(text, "read") == 0) {
        *op = aw_op_read(NULL);
        return true;
    }
    if (strcmp(text, "touch") == 0 || strcmp(text, "delete") == 0) {
        *op = text[0] == 't' ? aw_op_touch() : aw_op_delete();
        return true;
    }
    char *colon = strchr(text, ':');
    if (colon && (size_t)(colon - text) == 4 && strncmp(text, "read", 4) == 0) {
        const char *name = colon + 1;
        if (!name[0] || strlen(name) > AW_BIN_NAME_MAX) {
            snprintf(why, CLI_WHY_SIZE, "'%.60s': a bin name is 1 to %d bytes", text,
                     AW_BIN_NAME_MAX);
            return false;
        }
        snprintf(bin->name, sizeof bin->name, "%s", name);
        *op = aw_op_read(bin->name);
        return true;
    }
    for (size_t i = 0; colon && i < sizeof VALUE_OPS / sizeof VALUE_OPS[0]; i++) {
        const op_kind *k = &VALUE_OPS[i];
        if (strlen(k->name) != (size_t)(colon - text) || strncmp(text, k->name, strlen(k->name)))
            continue;
        if (!cli_bin_parse(colon + 1, bin, why))
            return false;
        uint8_t t = bin->value.type;
        bool number = t == AW_INT || t == AW_FLOAT, bytes = t == AW_STR || t == AW_BLOB;
        if ((k->with_value == aw_op_incr && !number) ||
            ((k->with_value == aw_op_append || k->with_value == aw_op_prepend) && !bytes)) {
            snprintf(why, CLI_WHY_SIZE, "%s:%s: %s takes %s, not %s", k->name, bin->name, k->name,
                     number ? "a string or bytes (str:... for text that looks like a number)"
                            : "an int or a float",
                     cli_type_name(&bin->value));
            aw_value_free(&bin->value);
            return false;
        }
        *op = k->with_value(bin->name, bin->value);
        return true;
    }
    snprintf(why, CLI_WHY_SIZE, "'%.60s' is not an op (read, read:BIN, write:BIN=VALUE, "
             "add:BIN=N, append:, prepend:, touch, delete)", text);
    return false;
}

static int operate_run(cli *c, const cli_cmd *self, const cli_rec_key *k, aw_op *ops, size_t n) {
    int rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_record rec = {0};
    aw_error err;
    /* NULL: the client's write policy when an op writes, else its read
     * policy; both carry --filter (server.c). */
    bool reads = false;
    for (size_t i = 0; i < n; i++)
        reads |= ops[i].type == AW_OP_READ;
    if (aw_operate(client, NULL, &k->key, ops, n, &rec, &err) != AW_OK) {
        rc = cli_fail(c, &err, "operate %s/%s %s", k->ns, k->set, k->text);
    } else if (!reads) {
        char said[48];
        snprintf(said, sizeof said, "applied %zu op%s to", n, n == 1 ? "" : "s");
        rc = cli_report_key(c, k, said, "ops_applied", json_integer((json_int_t)n));
    } else if (c->json) {
        rc = cli_emit_json(cli_record_json(&k->key, &rec)) ? CLI_OK : CLI_EXIT_OTHER;
    } else {
        cli_print_record(stdout, &k->key, &rec);
        rc = CLI_OK;
    }
    aw_record_free(&rec);
    return rc;
}

int cmd_operate(cli *c, const cli_cmd *self, int argc, char **argv) {
    cli_optscan s;
    int rc = cli_scan_filtered(c, self, &s, argc, argv);
    if (rc >= 0)
        return rc;
    if (s.n_pos < 4)
        return cli_usage(c, self, s.n_pos < 3 ? "NS, SET and KEY are required" : "no OP given");
    char why[CLI_WHY_SIZE];
    cli_rec_key k;
    if (!cli_rec_key_parse(argv, &k, why))
        return cli_usage(c, self, "%s", why);
    size_t n = (size_t)s.n_pos - 3, parsed = 0;
    aw_op *ops = calloc(n, sizeof *ops);
    cli_bin *bins = calloc(n, sizeof *bins);
    rc = CLI_OK;
    if (!ops || !bins)
        rc = cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for %zu ops", n);
    for (; rc == CLI_OK && parsed < n; parsed++)
        if (!op_parse(argv[3 + parsed], &ops[parsed], &bins[parsed], why))
            rc = cli_usage(c, self, "%s", why);
    if (rc == CLI_OK)
        rc = operate_run(c, self, &k, ops, n);
    /* The op that failed to parse owns nothing; those before it may. */
    for (size_t i = 0; bins && i < parsed && i < n; i++)
        aw_value_free(&bins[i].value);
    free(ops);
    free(bins);
    return rc;
}
