/* aw exp: an expression in the text syntax, compiled and shown as the
 * official clients' base64 form (or hex); no server needed. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "keyargs.h"
#include "opts.h"
#include "print.h"

const char cmd_exp_help[] =
    "usage: aw [options] exp [--base64 | --hex] EXPR\n"
    "\n"
    "Compiles EXPR, written in aerowire's expression syntax (docs/expressions.md\n"
    "\"Text syntax\"), and prints what the server would receive. No server is used.\n"
    "  $.a > 5 and $.s == \"x\"        bins as $.name, typed by what they meet\n"
    "  not ($.f <= 1.5)               and/or/not, also && || !\n"
    "  last_update() < 1700000000000000000\n"
    "  $.a.int() + $.b > 2 * 3        $.a.int() (.str(), .float(), ...) types a bin\n"
    "\n"
    "Options:\n"
    "  --base64   print only the base64 form the official clients use\n"
    "             (as_exp_to_base64; sindex-create ...;exp=...)\n"
    "  --hex      print only the msgpack bytes in hex\n"
    "  --json     print {\"type\", \"size\", \"hex\", \"base64\"}\n"
    "Without either, prints the result type, the size, the hex and the base64.\n"
    "A text that does not parse is exit 2 with the column: \"at 7: expected a value\n"
    "after '>'\".\n";

enum { X_HELP, X_JSON, X_BASE64, X_HEX };
static const cli_opt exp_opts[] = {
    [X_HELP] = {"help", 0, false},
    [X_JSON] = {"json", 0, false},
    [X_BASE64] = {"base64", 0, false},
    [X_HEX] = {"hex", 0, false},
    {NULL, 0, false},
};

static const char *type_name(aw_exp_type t) {
    static const char *const NAMES[] = {"nil",  "bool", "int",   "str", "list",
                                        "map",  "blob", "float", "geo", "hll"};
    return (unsigned)t < sizeof NAMES / sizeof NAMES[0] ? NAMES[t] : "any";
}

static int show(const cli *c, bool base64_only, bool hex_only, const aw_exp *e) {
    size_t n;
    const uint8_t *p = aw_exp_bytes(e, &n);
    char *b64 = NULL, *hex = malloc(2 * n + 1);
    aw_error err;
    if (!hex)
        return cli_fail_code(c, CLI_EXIT_OTHER, "out of memory");
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", p[i]);
    if (aw_exp_to_base64(e, &b64, &err) != AW_OK) {
        free(hex);
        return cli_fail(c, &err, "exp");
    }
    int rc = CLI_OK;
    if (c->json) {
        json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "type", type_name(aw_exp_result_type(e)),
                              "size", (json_int_t)n, "hex", hex, "base64", b64);
        rc = cli_emit_json(o) ? CLI_OK : CLI_EXIT_OTHER;
    } else if (base64_only) {
        printf("%s\n", b64);
    } else if (hex_only) {
        printf("%s\n", hex);
    } else {
        printf("type    %s\nsize    %zu bytes\nhex     %s\nbase64  %s\n",
               type_name(aw_exp_result_type(e)), n, hex, b64);
    }
    aw_free(b64);
    free(hex);
    return rc;
}

int cmd_exp(cli *c, const cli_cmd *self, int argc, char **argv) {
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    bool base64_only = false, hex_only = false;
    int o;
    while ((o = cli_opt_next(&s, exp_opts)) != CLI_OPT_END) {
        switch (o) {
        case X_HELP: return cli_print_help(self);
        case X_JSON: c->json = true; break;
        case X_BASE64: base64_only = true; break;
        case X_HEX: hex_only = true; break;
        default: return cli_usage(c, self, "%s", cli_opt_error(&s, o));
        }
    }
    if (base64_only && hex_only)
        return cli_usage(c, self, "--base64 and --hex: give one");
    if (s.n_pos != 1)
        return cli_usage(c, self, s.n_pos ? "one EXPR only (quote it: aw exp '$.a > 5')"
                                          : "EXPR is required");
    aw_exp *e = NULL;
    aw_error err;
    int rc = aw_exp_parse(argv[0], &e, &err);
    if (rc == AW_ERR_PARAM)
        return cli_usage(c, self, "%s", err.message);
    if (rc != AW_OK)
        return cli_fail(c, &err, "exp");
    rc = show(c, base64_only, hex_only, e);
    aw_exp_free(e);
    return rc;
}
