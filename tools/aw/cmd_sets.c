/* aw namespaces and aw sets: what the cluster holds (aerowire/info.h). */
#include <inttypes.h>
#include <stdio.h>

#include "aerowire/info.h"
#include "cli.h"
#include "keyargs.h"
#include "opts.h"
#include "print.h"

const char cmd_namespaces_help[] =
    "usage: aw [options] namespaces\n"
    "\n"
    "The namespaces the cluster's nodes serve, one per line (each once).\n"
    "\n"
    "Options:\n"
    "  --json   print an array of names\n";

const char cmd_sets_help[] =
    "usage: aw [options] sets [NS]\n"
    "\n"
    "The sets of namespace NS (default: of every namespace), one per line, as the\n"
    "nodes' 'sets' info gives them, counts summed over the nodes (a record counts once\n"
    "per copy: replication factor times):\n"
    "  test/demo: 5 objects, 0 tombstones, 3552 data bytes, 1 index, stop-writes-count 0,\n"
    "  stop-writes-size 0, default-ttl 0 (2 nodes)\n"
    "then 'index populating', 'truncating', 'eviction disabled', 'set index' when so.\n"
    "A namespace no node has is exit 4 (NAMESPACE_NOT_FOUND, code 20).\n"
    "\n"
    "Options:\n"
    "  --json   print an array of {\"ns\", \"set\", \"objects\", \"tombstones\",\n"
    "           \"data_used_bytes\", \"truncate_lut\", \"sindexes\", \"nodes\",\n"
    "           \"default_ttl\", \"stop_writes_count\", \"stop_writes_size\",\n"
    "           \"index_populating\", \"truncating\", \"disable_eviction\", \"enable_index\"}\n";

/* The positionals of a command taking at most `max`; -1 to go on, or the exit code. */
static int scan_args(cli *c, const cli_cmd *self, cli_optscan *s, int argc, char **argv,
                     int max) {
    int rc = cli_scan_plain(c, self, s, argc, argv);
    if (rc < 0 && s->n_pos > max)
        rc = cli_usage(c, self, "unexpected argument '%s'", argv[max]);
    return rc;
}

int cmd_namespaces(cli *c, const cli_cmd *self, int argc, char **argv) {
    cli_optscan s;
    int rc = scan_args(c, self, &s, argc, argv, 0);
    if (rc >= 0)
        return rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_namespace_name *names;
    size_t n;
    aw_error err;
    if (aw_namespaces(client, &names, &n, &err) != AW_OK)
        return cli_fail(c, &err, "namespaces");
    json_t *all = c->json ? json_array() : NULL; /* NULL too when out of memory */
    for (size_t i = 0; i < n; i++)
        if (c->json)
            json_array_append_new(all, json_string(names[i].name));
        else
            printf("%s\n", names[i].name);
    aw_free(names);
    return !c->json || cli_emit_json(all) ? CLI_OK : CLI_EXIT_OTHER;
}

static json_t *set_json(const aw_set_info *x) {
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:I, s:I, s:b, s:b, s:b, "
                     "s:b}",
                     "ns", x->ns, "set", x->name, "objects", (json_int_t)x->objects,
                     "tombstones", (json_int_t)x->tombstones, "data_used_bytes",
                     (json_int_t)x->data_used_bytes, "truncate_lut", (json_int_t)x->truncate_lut,
                     "sindexes", (int)x->sindexes, "nodes", (int)x->nodes, "default_ttl",
                     (int)x->default_ttl, "stop_writes_count",
                     (json_int_t)x->stop_writes_count, "stop_writes_size",
                     (json_int_t)x->stop_writes_size, "index_populating", x->index_populating,
                     "truncating", x->truncating, "disable_eviction", x->disable_eviction,
                     "enable_index", x->enable_index);
}

static void print_set(const aw_set_info *x) {
    printf("%s/%s: %" PRIu64 " objects, %" PRIu64 " tombstones, %" PRIu64
           " data bytes, %u ind%s, stop-writes-count %" PRIu64 ", stop-writes-size %" PRIu64
           ", default-ttl %u (%u node%s)%s%s%s%s\n",
           x->ns, x->name, x->objects, x->tombstones, x->data_used_bytes, x->sindexes,
           x->sindexes == 1 ? "ex" : "exes", x->stop_writes_count, x->stop_writes_size,
           x->default_ttl, x->nodes, x->nodes == 1 ? "" : "s",
           x->index_populating ? ", index populating" : "", x->truncating ? ", truncating" : "",
           x->disable_eviction ? ", eviction disabled" : "", x->enable_index ? ", set index" : "");
}

int cmd_sets(cli *c, const cli_cmd *self, int argc, char **argv) {
    cli_optscan s;
    int rc = scan_args(c, self, &s, argc, argv, 1);
    if (rc >= 0)
        return rc;
    const char *ns = s.n_pos > 0 ? argv[0] : NULL;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_set_info *sets;
    size_t n;
    aw_error err;
    if (aw_sets(client, ns, &sets, &n, &err) != AW_OK)
        return cli_fail(c, &err, "sets%s%s", ns ? " " : "", ns ? ns : "");
    json_t *all = c->json ? json_array() : NULL; /* NULL too when out of memory */
    for (size_t i = 0; i < n; i++)
        if (c->json)
            json_array_append_new(all, set_json(&sets[i]));
        else
            print_set(&sets[i]);
    aw_free(sets);
    return !c->json || cli_emit_json(all) ? CLI_OK : CLI_EXIT_OTHER;
}
