/* NS SET KEY and the plain options (see keyargs.h). */
#include "keyargs.h"

#include <stdio.h>

bool cli_rec_key_parse(char **pos, cli_rec_key *k, char why[CLI_WHY_SIZE]) {
    k->ns = pos[0];
    k->set = pos[1];
    snprintf(k->text, sizeof k->text, "%s", pos[2]);
    return cli_key_parse(pos[2], pos[0], pos[1], &k->key, why);
}

enum { PLAIN_HELP, PLAIN_JSON };
static const cli_opt plain_opts[] = {
    [PLAIN_HELP] = {"help", 0, false},
    [PLAIN_JSON] = {"json", 0, false},
    {NULL, 0, false},
};

int cli_scan_plain(cli *c, const cli_cmd *self, cli_optscan *s, int argc, char **argv) {
    cli_opt_init(s, argc, argv, false);
    int o;
    while ((o = cli_opt_next(s, plain_opts)) != CLI_OPT_END) {
        if (o == PLAIN_HELP)
            return cli_print_help(self);
        if (o != PLAIN_JSON)
            return cli_usage(c, self, "%s", cli_opt_error(s, o));
        c->json = true;
    }
    return -1;
}
