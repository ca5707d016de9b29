/* aw info: info values from every node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"
#include "print.h"

const char cmd_info_help[] =
    "usage: aw [options] info [-l] [NAME...]\n"
    "\n"
    "Asks every node of the cluster for the info values NAME... (default: build,\n"
    "edition, cluster-name, namespaces) and prints them per node, in the order the\n"
    "node answered. A NAME may carry the server's parameters, e.g.\n"
    "'namespace/test' or 'sets/test'. Values are the server's text; one it does not\n"
    "know comes back as its own ERROR:... text.\n"
    "\n"
    "Options:\n"
    "  -l       one item per line for values that are ';'-separated lists\n"
    "  --json   print [{\"node\": ID, \"values\": {NAME: TEXT, ...}}, ...]; a node that\n"
    "           failed has \"error\": {\"code\", \"status\", \"message\"} instead of values\n";

static const char *const default_names[] = {"build", "edition", "cluster-name", "namespaces"};

/* One node's answer, copied out of the callback. */
typedef struct node_reply {
    char node[40];
    int status;
    char *text;    /* the reply, or the error message */
} node_reply;

typedef struct replies {
    node_reply *v;
    size_t n, cap;
    bool nomem;
} replies;

static void on_node(const char *node, int status, const char *reply, void *udata) {
    replies *r = udata;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 8;
        node_reply *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            r->nomem = true;
            return;
        }
        r->v = v;
        r->cap = cap;
    }
    node_reply *nr = &r->v[r->n];
    snprintf(nr->node, sizeof nr->node, "%s", node ? node : "?");
    nr->status = status;
    nr->text = strdup(reply ? reply : "");
    if (!nr->text) {
        r->nomem = true;
        return;
    }
    r->n++;
}

/* Calls each(name, value) for every "name\tvalue" line of text (modified in place). */
static bool each_line(char *text, bool (*each)(const char *name, const char *value, void *u),
                      void *u) {
    for (char *line = text; *line;) {
        char *end = line + strcspn(line, "\n");
        char next = *end;
        *end = '\0';
        char *tab = strchr(line, '\t');
        if (tab)
            *tab = '\0';
        if (*line && !each(line, tab ? tab + 1 : "", u))
            return false;
        if (!next)
            break;
        line = end + 1;
    }
    return true;
}

static bool print_line(const char *name, const char *value, void *u) {
    bool split = *(const bool *)u;
    if (split && strchr(value, ';')) {
        printf("  %s\n", name);
        for (const char *p = value; *p;) {
            size_t len = strcspn(p, ";");
            if (len)
                printf("    %.*s\n", (int)len, p);
            p += len + (p[len] == ';');
        }
    } else {
        printf("  %-14s %s\n", name, value);
    }
    return true;
}

static bool add_json(const char *name, const char *value, void *u) {
    /* The server's text need not be UTF-8; such values are dropped to null. */
    json_t *s = json_string(value);
    return json_object_set_new(u, name, s ? s : json_null()) == 0;
}

static json_t *node_json(node_reply *r) {
    json_t *o = json_pack("{s:s}", "node", r->node);
    if (!o)
        return NULL;
    json_t *inner;
    if (r->status != AW_OK) {
        inner = json_pack("{s:i, s:s, s:s?}", "code", r->status, "status",
                          aw_status_name(r->status), "message", r->text);
        if (!inner || json_object_set_new(o, "error", inner) != 0) {
            json_decref(o);
            return NULL;
        }
        return o;
    }
    inner = json_object();
    if (!inner || !each_line(r->text, add_json, inner) ||
        json_object_set_new(o, "values", inner) != 0) {
        json_decref(inner);
        json_decref(o);
        return NULL;
    }
    return o;
}

static int print_replies(const cli *c, replies *r, bool split) {
    if (c->json) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < r->n; i++) {
            json_t *o = node_json(&r->v[i]);
            if (!o || json_array_append_new(a, o) != 0) {
                json_decref(a);
                a = NULL;
            }
        }
        return cli_emit_json(a) ? CLI_OK : CLI_EXIT_OTHER;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].status != AW_OK) {
            printf("node %s: failed: %s (%s)\n", r->v[i].node, r->v[i].text,
                   aw_status_name(r->v[i].status));
            continue;
        }
        printf("node %s\n", r->v[i].node);
        each_line(r->v[i].text, print_line, &split);
    }
    return CLI_OK;
}

enum { I_HELP, I_JSON, I_LINES };
static const cli_opt info_opts[] = {
    [I_HELP] = {"help", 0, false},
    [I_JSON] = {"json", 0, false},
    [I_LINES] = {"lines", 'l', false},
    {NULL, 0, false},
};

int cmd_info(cli *c, const cli_cmd *self, int argc, char **argv) {
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    bool split = false;
    int o;
    while ((o = cli_opt_next(&s, info_opts)) != CLI_OPT_END) {
        if (o == I_HELP)
            return cli_print_help(self);
        if (o == I_JSON)
            c->json = true;
        else if (o == I_LINES)
            split = true;
        else
            return cli_usage(c, self, "%s", cli_opt_error(&s, o));
    }
    const char *const *names = s.n_pos ? (const char *const *)argv : default_names;
    size_t n = s.n_pos ? (size_t)s.n_pos : sizeof default_names / sizeof default_names[0];
    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        /* A newline would smuggle in another request; a tab would break the reply's lines. */
        if (!names[i][0] || strpbrk(names[i], "\n\t"))
            return cli_usage(c, self, "info name '%s' is empty or holds a newline or tab",
                             names[i]);
        len += strlen(names[i]) + 1;
    }
    char *request = malloc(len);
    if (!request)
        return cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for the request");
    request[0] = '\0';
    for (size_t i = 0; i < n; i++)
        strcat(strcat(request, names[i]), "\n");
    int rc;
    aw_client *client = cli_client(c, &rc);
    if (client) {
        replies r = {0};
        aw_error err;
        int status = aw_info_all(client, request, c->timeout_ms, on_node, &r, &err);
        if (r.nomem) {
            rc = cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for the replies");
        } else if (status != AW_OK && r.n == 0) {
            rc = cli_fail(c, &err, "info");
        } else {
            rc = print_replies(c, &r, split);
            /* Some nodes answered: still say that others did not. */
            if (status != AW_OK && rc == CLI_OK) {
                fprintf(stderr, "aw: info: %s (%s)\n", err.message, aw_status_name(err.code));
                rc = cli_exit_code(status);
            }
        }
        for (size_t i = 0; i < r.n; i++)
            free(r.v[i].text);
        free(r.v);
    }
    free(request);
    return rc;
}
