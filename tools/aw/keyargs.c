/* NS SET KEY and the plain options (see keyargs.h). */
#include "keyargs.h"

#include <stdio.h>

#include "filter.h"
#include "print.h"

bool cli_rec_key_parse(char **pos, cli_rec_key *k, char why[CLI_WHY_SIZE]) {
    k->ns = pos[0];
    k->set = pos[1];
    snprintf(k->text, sizeof k->text, "%s", pos[2]);
    return cli_key_parse(pos[2], pos[0], pos[1], &k->key, why);
}

enum { PLAIN_HELP, PLAIN_JSON, PLAIN_FILTER };
static const cli_opt plain_opts[] = {
    [PLAIN_HELP] = {"help", 0, false},
    [PLAIN_JSON] = {"json", 0, false},
    {NULL, 0, false},
};
static const cli_opt filtered_opts[] = {
    [PLAIN_HELP] = {"help", 0, false},
    [PLAIN_JSON] = {"json", 0, false},
    [PLAIN_FILTER] = {"filter", 0, true},
    {NULL, 0, false},
};

static int scan(cli *c, const cli_cmd *self, cli_optscan *s, int argc, char **argv,
                const cli_opt *opts) {
    cli_opt_init(s, argc, argv, false);
    int o, rc;
    while ((o = cli_opt_next(s, opts)) != CLI_OPT_END) {
        if (o == PLAIN_HELP)
            return cli_print_help(self);
        if (o == PLAIN_JSON)
            c->json = true;
        else if (o == PLAIN_FILTER && (rc = cli_filter_set(c, self, s->arg)) >= 0)
            return rc;
        else if (o != PLAIN_FILTER)
            return cli_usage(c, self, "%s", cli_opt_error(s, o));
    }
    return -1;
}

int cli_scan_plain(cli *c, const cli_cmd *self, cli_optscan *s, int argc, char **argv) {
    return scan(c, self, s, argc, argv, plain_opts);
}

int cli_scan_filtered(cli *c, const cli_cmd *self, cli_optscan *s, int argc, char **argv) {
    return scan(c, self, s, argc, argv, filtered_opts);
}

/* See keyargs.h. */
int cli_report_key(const cli *c, const cli_rec_key *k, const char *said, const char *field,
                   json_t *value) {
    if (!c->json) {
        json_decref(value);
        printf("%s ", said);
        cli_print_key(stdout, &k->key);
        putchar('\n');
        return CLI_OK;
    }
    json_t *o = json_object();
    if (!o || !cli_key_to_json(o, &k->key)) {
        json_decref(o);
        json_decref(value);
        o = NULL;
    } else if (json_object_set_new(o, field, value) != 0) {
        json_decref(o);
        o = NULL;
    }
    return cli_emit_json(o) ? CLI_OK : CLI_EXIT_OTHER;
}
