/* aw sindex create|list|drop and aw truncate: info commands on the server. */
#include <stdio.h>
#include <string.h>

#include "aerowire/query.h"
#include "cli.h"
#include "keyargs.h"
#include "opts.h"
#include "print.h"
#include "where.h"

const char cmd_sindex_help[] =
    "usage: aw [options] sindex create|list|drop ...\n"
    "\n"
    "Secondary indexes, which 'aw query' reads.\n"
    "\n"
    "  aw sindex create NS SET BIN NAME --type numeric|string|blob|geo2dsphere\n"
    "                   [--collection list|mapkeys|mapvalues] [--no-wait]\n"
    "      Creates index NAME on bin BIN of the records of NS/SET (SET '': of every\n"
    "      set): on the bin's value, or with --collection on each element of a list,\n"
    "      each key or each value of a map. Then waits until every node has built it\n"
    "      (--no-wait: return once the definition is stored; --timeout limits the\n"
    "      wait). The same definition again is no error.\n"
    "  aw sindex list [NS]\n"
    "      The indexes (of NS), one per line: namespace, name, set ('*' for every\n"
    "      set), bin, type, collection, and 'building' until it is readable.\n"
    "  aw sindex drop NS NAME\n"
    "      Removes the index (no error when there is none by that name).\n"
    "\n"
    "Options:\n"
    "  --json   create and drop print {\"ns\", \"name\", ...}; list prints an array of\n"
    "           {\"ns\", \"name\", \"set\", \"bin\", \"type\", \"collection\", \"readable\",\n"
    "           \"context\", \"expression\"}\n"
    "\n"
    "Example: aw -h 127.0.0.1 sindex create test demo age demo_age --type numeric\n";

const char cmd_truncate_help[] =
    "usage: aw [options] truncate NS [SET]\n"
    "\n"
    "Deletes every record of the set SET of namespace NS, or without SET of the whole\n"
    "namespace, on every node of the cluster (the server's truncate: fast, and it\n"
    "cannot be undone).\n"
    "\n"
    "Options:\n"
    "  --json   print {\"ns\", \"set\", \"truncated\": true}\n";

static const char *const TYPES[] = {"numeric", "string", "blob", "geo2dsphere"};

enum { X_HELP, X_JSON, X_TYPE, X_COLLECTION, X_NO_WAIT };
static const cli_opt sindex_opts[] = {
    [X_HELP] = {"help", 0, false},          [X_JSON] = {"json", 0, false},
    [X_TYPE] = {"type", 0, true},           [X_COLLECTION] = {"collection", 0, true},
    [X_NO_WAIT] = {"no-wait", 0, false},
    {NULL, 0, false},
};

typedef struct sindex_args {
    const char *type, *collection;
    bool no_wait;
} sindex_args;

static int emit(json_t *j) { return cli_emit_json(j) ? CLI_OK : CLI_EXIT_OTHER; }

static int create(cli *c, const cli_cmd *self, int n_pos, char **pos, const sindex_args *x) {
    if (n_pos != 5)
        return cli_usage(c, self, n_pos < 5 ? "sindex create needs NS SET BIN NAME"
                                            : "unexpected argument '%s'", pos[n_pos - 1]);
    aw_index_spec spec = {.ns = pos[1], .set = pos[2][0] ? pos[2] : NULL, .bin = pos[3],
                          .name = pos[4]};
    if (!x->type)
        return cli_usage(c, self, "sindex create needs --type numeric|string|blob|geo2dsphere");
    size_t t = 0;
    while (t < 4 && strcmp(x->type, TYPES[t]))
        t++;
    if (t == 4)
        return cli_usage(c, self, "--type %s: give numeric, string, blob or geo2dsphere",
                         x->type);
    spec.type = (aw_index_type)t;
    if (x->collection && (!cli_collection_parse(x->collection, &spec.collection) ||
                          spec.collection == AW_INDEX_DEFAULT))
        return cli_usage(c, self, "--collection %s: give list, mapkeys or mapvalues",
                         x->collection);
    if (!spec.bin[0] || strlen(spec.bin) > AW_BIN_NAME_MAX)
        return cli_usage(c, self, "bin name '%s' must be 1 to %d bytes", spec.bin,
                         AW_BIN_NAME_MAX);
    int rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_error err;
    if (aw_index_create(client, &spec, c->timeout_ms, &err) != AW_OK)
        return cli_fail(c, &err, "sindex create %s %s", spec.ns, spec.name);
    if (!x->no_wait && aw_index_wait(client, spec.ns, spec.name, 0, c->timeout_ms, &err) != AW_OK)
        return cli_fail(c, &err, "sindex create %s %s: waiting for the index", spec.ns,
                        spec.name);
    if (c->json)
        return emit(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "ns", spec.ns, "name",
                              spec.name, "set", pos[2], "bin", spec.bin, "type", TYPES[t],
                              "collection", cli_collection_name(spec.collection), "ready",
                              !x->no_wait));
    printf("created index %s on %s/%s bin %s (%s%s%s)%s\n", spec.name, spec.ns,
           spec.set ? spec.set : "*", spec.bin, TYPES[t], spec.collection ? ", " : "",
           spec.collection ? cli_collection_name(spec.collection) : "",
           x->no_wait ? "" : ": ready");
    return CLI_OK;
}

static json_t *index_json(const aw_index_info *x) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "ns", x->ns, "name",
                     x->name, "set", x->set, "bin", x->bin,
                     "type", (unsigned)x->type < 4 ? TYPES[x->type] : "?", "collection",
                     cli_collection_name(x->collection), "readable", x->readable, "context",
                     x->has_ctx, "expression", x->has_exp);
}

static int list(cli *c, const cli_cmd *self, int n_pos, char **pos) {
    if (n_pos > 2)
        return cli_usage(c, self, "unexpected argument '%s'", pos[2]);
    const char *ns = n_pos > 1 ? pos[1] : NULL;
    int rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_index_info *all = NULL;
    size_t n = 0;
    aw_error err;
    if (aw_index_list(client, ns, &all, &n, &err) != AW_OK)
        return cli_fail(c, &err, "sindex list%s%s", ns ? " " : "", ns ? ns : "");
    if (c->json) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
            if (json_array_append_new(a, index_json(&all[i])) != 0) {
                json_decref(a);
                a = NULL;
            }
        aw_free(all);
        return emit(a);
    }
    for (size_t i = 0; i < n; i++) {
        const aw_index_info *x = &all[i];
        printf("%s  %s  %s  %s  %s  %s%s%s%s\n", x->ns, x->name, x->set[0] ? x->set : "*",
               x->bin[0] ? x->bin : "-", (unsigned)x->type < 4 ? TYPES[x->type] : "?",
               cli_collection_name(x->collection), x->has_ctx ? "  context" : "",
               x->has_exp ? "  expression" : "", x->readable ? "" : "  building");
    }
    aw_free(all);
    return CLI_OK;
}

static int drop(cli *c, const cli_cmd *self, int n_pos, char **pos) {
    if (n_pos != 3)
        return cli_usage(c, self, n_pos < 3 ? "sindex drop needs NS NAME"
                                            : "unexpected argument '%s'", pos[n_pos - 1]);
    int rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_error err;
    if (aw_index_drop(client, pos[1], pos[2], c->timeout_ms, &err) != AW_OK)
        return cli_fail(c, &err, "sindex drop %s %s", pos[1], pos[2]);
    if (c->json)
        return emit(json_pack("{s:s, s:s, s:b}", "ns", pos[1], "name", pos[2], "dropped", 1));
    printf("dropped index %s in %s\n", pos[2], pos[1]);
    return CLI_OK;
}

int cmd_sindex(cli *c, const cli_cmd *self, int argc, char **argv) {
    sindex_args x = {0};
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    int o;
    while ((o = cli_opt_next(&s, sindex_opts)) != CLI_OPT_END) {
        switch (o) {
        case X_HELP:
            return cli_print_help(self);
        case X_JSON:
            c->json = true;
            break;
        case X_TYPE:
            x.type = s.arg;
            break;
        case X_COLLECTION:
            x.collection = s.arg;
            break;
        case X_NO_WAIT:
            x.no_wait = true;
            break;
        default:
            return cli_usage(c, self, "%s", cli_opt_error(&s, o));
        }
    }
    if (s.n_pos == 0)
        return cli_usage(c, self, "give create, list or drop");
    const char *action = argv[0];
    bool is_create = strcmp(action, "create") == 0;
    if (!is_create && (x.type || x.collection || x.no_wait))
        return cli_usage(c, self, "--type, --collection and --no-wait are for sindex create");
    if (is_create)
        return create(c, self, s.n_pos, argv, &x);
    if (strcmp(action, "list") == 0)
        return list(c, self, s.n_pos, argv);
    if (strcmp(action, "drop") == 0)
        return drop(c, self, s.n_pos, argv);
    return cli_usage(c, self, "unknown action '%s' (create, list or drop)", action);
}

int cmd_truncate(cli *c, const cli_cmd *self, int argc, char **argv) {
    cli_optscan s;
    int rc = cli_scan_plain(c, self, &s, argc, argv);
    if (rc >= 0)
        return rc;
    if (s.n_pos < 1)
        return cli_usage(c, self, "NS is required");
    if (s.n_pos > 2)
        return cli_usage(c, self, "unexpected argument '%s'", argv[2]);
    const char *ns = argv[0], *set = s.n_pos > 1 && argv[1][0] ? argv[1] : NULL;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_error err;
    if (aw_truncate(client, ns, set, 0, c->timeout_ms, &err) != AW_OK)
        return cli_fail(c, &err, "truncate %s%s%s", ns, set ? "/" : "", set ? set : "");
    if (c->json)
        return emit(json_pack("{s:s, s:s, s:b}", "ns", ns, "set", set ? set : "", "truncated",
                              1));
    printf("truncated %s%s%s\n", ns, set ? "/" : "", set ? set : "");
    return CLI_OK;
}
