/* aw put, get and delete: one record each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "filter.h"
#include "keyargs.h"
#include "opts.h"
#include "print.h"

const char cmd_put_help[] =
    "usage: aw [options] put [put options] NS SET KEY BIN=VALUE...\n"
    "\n"
    "Writes the bins to the record NS/SET/KEY (created when missing; other bins are kept).\n"
    "SET '' means no set. KEY: an integer when it is one (42, -7), a string otherwise;\n"
    "int:, str:, hex: and digest: force the kind (str:42 is the string \"42\").\n"
    "\n"
    "Values are typed by their text:\n"
    "  n=42            int (64-bit; a longer run of digits is an error)\n"
    "  f=1.5  f=2e-3   float (digits with a '.' or an exponent)\n"
    "  l=[1,\"a\"]       list, from JSON\n"
    "  m={\"a\":1}       map, from JSON (string keys, in the order given)\n"
    "  s=hello  s=     string: anything else, the empty string too\n"
    "A prefix forces the type:\n"
    "  str:TEXT        string, exactly TEXT (str:42, str:[x], str:hex:00)\n"
    "  int:N           int            float:X    float (also float:nan, float:inf)\n"
    "  bool:true|false|1|0            hex:00ff   bytes from hex\n"
    "  b64:AAE=        bytes from base64\n"
    "  json:TEXT       any JSON: numbers, strings, true/false, lists, maps; json:null\n"
    "                  removes the bin\n"
    "  geo:{...}       GeoJSON\n"
    "Bin names are 1 to 15 bytes.\n"
    "\n"
    "Options:\n"
    "  --ttl S         seconds to live; -1 never expire, -2 keep the record's, 0 the\n"
    "                  namespace default (default)\n"
    "  --send-key      store the key itself with the record\n"
    "  --create-only   fail (exit 4) when the record exists\n"
    "  --replace       drop the bins not written\n"
    "  --filter EXPR   an existing record is written only when it passes the filter\n"
    "                  expression (docs/expressions.md \"Text syntax\"); otherwise exit\n"
    "                  4, FILTERED_OUT (code 27), nothing written. A new record is\n"
    "                  written (the server filters existing records only)\n"
    "  --json          print {\"ns\", \"set\", \"key\", \"digest\", \"bins_written\"}\n"
    "\n"
    "Example: aw put test demo user1 name=Ann age=42 score=9.5 raw=hex:00ff "
    "tags='[\"a\",\"b\"]'\n";

const char cmd_get_help[] =
    "usage: aw [options] get NS SET KEY [BIN...]\n"
    "\n"
    "Reads the record NS/SET/KEY: all bins, or only the ones named. KEY as for put.\n"
    "Prints the key, generation, TTL and one line per bin with its type; values are\n"
    "spelled as put takes them (strings quoted, bytes as hex:...). Exit 3 when the\n"
    "record does not exist.\n"
    "\n"
    "Options:\n"
    "  --filter EXPR  read only when the record passes the filter expression, e.g.\n"
    "           '$.a > 5 and $.s == \"x\"' (docs/expressions.md \"Text syntax\"); a\n"
    "           record that does not is exit 4, FILTERED_OUT (code 27)\n"
    "  --json   print {\"ns\", \"set\", \"key\", \"digest\", \"gen\", \"ttl\", \"bins\": {...}};\n"
    "           ttl -1 = never expires; ints, floats, strings, bools, lists and maps as\n"
    "           JSON; bytes as {\"bytes_hex\": \"00ff\"}; GeoJSON as {\"geojson\": TEXT};\n"
    "           NaN and infinities as {\"float\": \"nan\"}; maps with non-string keys as\n"
    "           {\"map_entries\": [[k, v], ...]}\n";

const char cmd_delete_help[] =
    "usage: aw [options] delete NS SET KEY\n"
    "\n"
    "Deletes the record NS/SET/KEY (KEY as for put). Exit 3 when there was none.\n"
    "\n"
    "Options:\n"
    "  --filter EXPR  delete only when the record passes the filter expression; a\n"
    "           record that does not is kept: exit 4, FILTERED_OUT (code 27)\n"
    "  --json   print {\"ns\", \"set\", \"key\", \"digest\", \"deleted\": true}\n";

enum { P_HELP, P_JSON, P_TTL, P_SEND_KEY, P_CREATE_ONLY, P_REPLACE, P_FILTER };
static const cli_opt put_opts[] = {
    [P_HELP] = {"help", 0, false},          [P_JSON] = {"json", 0, false},
    [P_TTL] = {"ttl", 0, true},             [P_SEND_KEY] = {"send-key", 0, false},
    [P_CREATE_ONLY] = {"create-only", 0, false}, [P_REPLACE] = {"replace", 0, false},
    [P_FILTER] = {"filter", 0, true},
    {NULL, 0, false},
};

static int put_run(cli *c, const cli_cmd *self, int n_pos, char **pos, aw_policy *pol) {
    char why[CLI_WHY_SIZE];
    if (n_pos < 4)
        return cli_usage(c, self, n_pos < 3 ? "NS, SET and KEY are required"
                                            : "no BIN=VALUE given");
    cli_rec_key k;
    if (!cli_rec_key_parse(pos, &k, why))
        return cli_usage(c, self, "%s", why);
    size_t n = (size_t)n_pos - 3;
    cli_bin *bins = calloc(n, sizeof *bins);
    aw_bin *wire = calloc(n, sizeof *wire);
    int rc = CLI_OK;
    size_t parsed = 0;
    if (!bins || !wire)
        rc = cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for %zu bins", n);
    for (; rc == CLI_OK && parsed < n; parsed++) {
        if (!cli_bin_parse(pos[3 + parsed], &bins[parsed], why)) {
            rc = cli_usage(c, self, "%s", why);
            break;
        }
        for (size_t j = 0; j < parsed && rc == CLI_OK; j++)
            if (strcmp(bins[j].name, bins[parsed].name) == 0)
                rc = cli_usage(c, self, "bin '%s' is given twice", bins[j].name);
        wire[parsed].name = bins[parsed].name;
        wire[parsed].value = bins[parsed].value;
    }
    aw_client *client = rc == CLI_OK ? cli_client(c, &rc) : NULL;
    if (client) {
        aw_error err;
        if (aw_put(client, pol, &k.key, wire, n, &err) != AW_OK) {
            rc = cli_fail(c, &err, "put %s/%s %s", k.ns, k.set, k.text);
        } else {
            char said[64];
            snprintf(said, sizeof said, "wrote %zu bin%s to", n, n == 1 ? "" : "s");
            rc = cli_report_key(c, &k, said, "bins_written", json_integer((json_int_t)n));
        }
    }
    /* The bin that failed to parse left nothing owned; all before it may own memory. */
    for (size_t i = 0; bins && i < parsed && i < n; i++)
        aw_value_free(&bins[i].value);
    free(bins);
    free(wire);
    return rc;
}

int cmd_put(cli *c, const cli_cmd *self, int argc, char **argv) {
    aw_policy pol = aw_policy_write();
    if (c->timeout_ms) {
        pol.total_timeout_ms = c->timeout_ms;
        pol.socket_timeout_ms = 0;
    }
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    int o;
    int64_t ttl;
    while ((o = cli_opt_next(&s, put_opts)) != CLI_OPT_END) {
        switch (o) {
        case P_HELP:
            return cli_print_help(self);
        case P_JSON:
            c->json = true;
            break;
        case P_TTL:
            if (!cli_parse_i64(s.arg, &ttl) || ttl < -2 || ttl > (int64_t)UINT32_MAX - 2)
                return cli_usage(c, self, "--ttl %s: give seconds, or -1 (never), -2 (keep)",
                                 s.arg);
            /* -1 and -2 are the wire's 0xFFFFFFFF and 0xFFFFFFFE. */
            pol.ttl = ttl == -1 ? AW_TTL_NEVER_EXPIRE
                      : ttl == -2 ? AW_TTL_DONT_UPDATE
                                  : (uint32_t)ttl;
            break;
        case P_SEND_KEY:
            pol.send_key = true;
            break;
        case P_CREATE_ONLY:
            pol.exists = AW_EXISTS_CREATE_ONLY;
            break;
        case P_REPLACE:
            pol.exists = AW_EXISTS_REPLACE;
            break;
        case P_FILTER: {
            int rc = cli_filter_set(c, self, s.arg);
            if (rc >= 0)
                return rc;
            break;
        }
        default:
            return cli_usage(c, self, "%s", cli_opt_error(&s, o));
        }
    }
    pol.filter = c->filter;
    return put_run(c, self, s.n_pos, argv, &pol);
}

int cmd_get(cli *c, const cli_cmd *self, int argc, char **argv) {
    cli_optscan s;
    int rc = cli_scan_filtered(c, self, &s, argc, argv);
    if (rc >= 0)
        return rc;
    if (s.n_pos < 3)
        return cli_usage(c, self, "NS, SET and KEY are required");
    char why[CLI_WHY_SIZE];
    cli_rec_key k;
    if (!cli_rec_key_parse(argv, &k, why))
        return cli_usage(c, self, "%s", why);
    for (int i = 3; i < s.n_pos; i++)
        if (!argv[i][0] || strlen(argv[i]) > AW_BIN_NAME_MAX)
            return cli_usage(c, self, "bin name '%s' must be 1 to %d bytes", argv[i],
                             AW_BIN_NAME_MAX);
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_record rec = {0};
    aw_error err;
    if (aw_get(client, NULL, &k.key, (const char *const *)argv + 3, (size_t)s.n_pos - 3, &rec,
               &err) != AW_OK) {
        rc = cli_fail(c, &err, "get %s/%s %s", k.ns, k.set, k.text);
    } else if (c->json) {
        rc = cli_emit_json(cli_record_json(&k.key, &rec)) ? CLI_OK : CLI_EXIT_OTHER;
    } else {
        cli_print_record(stdout, &k.key, &rec);
        rc = CLI_OK;
    }
    aw_record_free(&rec);
    return rc;
}

int cmd_delete(cli *c, const cli_cmd *self, int argc, char **argv) {
    cli_optscan s;
    int rc = cli_scan_filtered(c, self, &s, argc, argv);
    if (rc >= 0)
        return rc;
    if (s.n_pos < 3)
        return cli_usage(c, self, "NS, SET and KEY are required");
    if (s.n_pos > 3)
        return cli_usage(c, self, "unexpected argument '%s'", argv[3]);
    char why[CLI_WHY_SIZE];
    cli_rec_key k;
    if (!cli_rec_key_parse(argv, &k, why))
        return cli_usage(c, self, "%s", why);
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_error err;
    if (aw_delete(client, NULL, &k.key, &err) != AW_OK)
        return cli_fail(c, &err, "delete %s/%s %s", k.ns, k.set, k.text);
    return cli_report_key(c, &k, "deleted", "deleted", json_true());
}
