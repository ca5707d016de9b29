/* --filter: see filter.h. */
#include "filter.h"

int cli_filter_set(cli *c, const cli_cmd *cmd, const char *text) {
    aw_exp *e = NULL;
    aw_error err;
    int rc = aw_exp_parse(text, &e, &err);
    if (rc == AW_ERR_NOMEM)
        return cli_fail(c, &err, "--filter");
    if (rc != AW_OK)
        return cli_usage(c, cmd, "--filter: %s", err.message);
    aw_exp_type t = aw_exp_result_type(e);
    if (t != AW_EXP_BOOL && t != AW_EXP_ANY) {
        aw_exp_free(e);
        return cli_usage(c, cmd, "--filter: the expression is %s; a filter must be a bool "
                         "(a comparison, and/or/not, ...)",
                         t == AW_EXP_INT ? "an int" : t == AW_EXP_FLOAT ? "a float"
                         : t == AW_EXP_STR ? "a str" : "not a bool");
    }
    aw_exp_free(c->filter); /* the last --filter given wins */
    c->filter = e;
    return -1;
}
