/* aw array put: a .npy file stored as an array (see cmd_array.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli.h"
#include "jsonval.h"
#include "opts.h"
#include "print.h"
#include "cmd_array.h"

/* --- put ------------------------------------------------------------------------------- */

/* The --attr values, typed as put's bin values (args.c). */
typedef struct attr_list {
    aw_array_attr *attrs;
    size_t n;
} attr_list;

static void attrs_free(attr_list *l) {
    for (size_t i = 0; i < l->n; i++)
        aw_value_free(&l->attrs[i].value);
    free(l->attrs);
}

/* Parses args[0..n) ("NAME=VALUE", rewritten in place: the '=' ends NAME);
 * -1 to go on, or the exit code. */
static int attrs_parse(cli *c, const cli_cmd *self, char **args, size_t n, attr_list *l) {
    memset(l, 0, sizeof *l);
    l->attrs = calloc(n ? n : 1, sizeof *l->attrs);
    if (!l->attrs)
        return cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for %zu attributes", n);
    for (; l->n < n; l->n++) {
        char *name = args[l->n], *eq = strchr(name, '=');
        if (!eq)
            return cli_usage(c, self, "--attr '%.60s' is not NAME=VALUE", name);
        if (eq == name)
            return cli_usage(c, self, "--attr '%.60s': empty attribute name", name);
        *eq = '\0';
        for (size_t j = 0; j < l->n; j++)
            if (strcmp(l->attrs[j].name, name) == 0)
                return cli_usage(c, self, "--attr %.60s is given twice", name);
        char what[80], why[CLI_WHY_SIZE];
        snprintf(what, sizeof what, "--attr %.60s", name);
        l->attrs[l->n].name = name;
        if (!cli_value_parse(eq + 1, what, &l->attrs[l->n].value, why))
            return cli_usage(c, self, "%s", why);
        if (l->attrs[l->n].value.type == AW_NIL) {
            l->n++;
            return cli_usage(c, self, "%s: an attribute cannot be null", what);
        }
    }
    return -1;
}

typedef struct put_args {
    const char *from;
    aw_array_opts opts;
    size_t n_attrs;
} put_args;

enum { P_HELP, P_JSON, P_FROM, P_CHUNK, P_COMPRESS, P_ATTR };
static const cli_opt put_opts[] = {
    [P_HELP] = {"help", 0, false},         [P_JSON] = {"json", 0, false},
    [P_FROM] = {"from", 0, true},          [P_CHUNK] = {"chunk-bytes", 0, true},
    [P_COMPRESS] = {"compress", 0, false}, [P_ATTR] = {"attr", 0, true},
    {NULL, 0, false},
};

/* {NAME: VALUE} of n attributes (NULL when out of memory). */
static json_t *attrs_json(const aw_array_attr *attrs, size_t n) {
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        if (json_object_set_new(o, attrs[i].name, cli_value_to_json(&attrs[i].value)) != 0) {
            json_decref(o);
            o = NULL;
        }
    return o;
}

static int put_report(const cli *c, const array_key *k, const put_args *a, const attr_list *attrs,
                      const aw_npy_header *h, const char *descr, uint32_t chunk,
                      uint32_t n_chunks, double seconds) {
    if (c->json) {
        /* "o" takes the shape's and the attributes' references, also when packing fails. */
        json_t *o = json_pack("{s:s, s:o, s:s, s:I, s:I, s:I, s:b, s:o, s:f}", "from", a->from,
                              "shape", array_shape_json(h->shape, h->ndim), "dtype", descr, "nbytes",
                              (json_int_t)h->nbytes, "chunks", (json_int_t)n_chunks,
                              "chunk_bytes", (json_int_t)chunk, "compressed",
                              (int)a->opts.compress, "attributes",
                              attrs_json(attrs->attrs, attrs->n), "seconds", seconds);
        return array_emit(k, o);
    }
    printf("stored array ");
    cli_print_key(stdout, &k->key);
    printf(": ");
    array_print_shape(stdout, h->shape, h->ndim);
    printf(" %s, %" PRIu64 " bytes", descr, h->nbytes);
    if (n_chunks)
        printf(" in %" PRIu32 " chunks of %" PRIu32 " bytes%s", n_chunks, chunk,
               a->opts.compress ? " (zlib)" : "");
    else
        printf(" in the header record%s", a->opts.compress ? " (zlib)" : "");
    if (a->n_attrs)
        printf(", %zu attribute%s", a->n_attrs, a->n_attrs == 1 ? "" : "s");
    printf("; %.3f s (%.1f MiB/s)\n", seconds, array_mib_per_s(h->nbytes, seconds));
    return CLI_OK;
}

/* The file is known good; stores it and reports. */
static int put_run(cli *c, const cli_cmd *self, const array_key *k, const put_args *a,
                   const attr_list *attrs, const aw_npy_header *h) {
    uint32_t chunk = a->opts.chunk_bytes ? a->opts.chunk_bytes : AW_ARRAY_DEFAULT_CHUNK;
    /* The library's rule (array.h): an array of at most one chunk is inline. */
    uint64_t n_chunks = h->nbytes <= chunk ? 0 : (h->nbytes + chunk - 1) / chunk;
    if (n_chunks > AW_ARRAY_MAX_CHUNKS)
        return cli_usage(c, self, "%s is %" PRIu64 " bytes: %" PRIu64 " chunks of %" PRIu32
                         " bytes, and an array has at most %u (give a larger --chunk-bytes)",
                         a->from, h->nbytes, n_chunks, chunk, AW_ARRAY_MAX_CHUNKS);
    char *descr = aw_dtype_descr(h->dtype);
    if (!descr)
        return cli_fail_code(c, CLI_EXIT_OTHER, "out of memory for the dtype's descr");
    int rc;
    aw_client *client = cli_client(c, &rc);
    if (client) {
        aw_policy pol = array_policy(c, aw_policy_write());
        aw_error err;
        double t0 = array_now_s();
        if (aw_array_put_npy(client, &pol, &k->key, a->from, attrs->attrs, attrs->n, &a->opts,
                             &err) != AW_OK) {
            rc = cli_fail(c, &err, "array put %s/%s %s", k->ns, k->set, k->text);
        } else {
            double took = array_now_s() - t0;
            array_warn_if_any(&err);
            rc = put_report(c, k, a, attrs, h, descr, chunk, (uint32_t)n_chunks, took);
        }
    }
    aw_free(descr);
    return rc;
}

int array_put(cli *c, const cli_cmd *self, int argc, char **argv) {
    put_args a = {0};
    /* --attr texts move here; there are never more of them than arguments. */
    char **attr_args = calloc((size_t)argc + 1, sizeof *attr_args);
    if (!attr_args)
        return cli_fail_code(c, CLI_EXIT_OTHER, "out of memory");
    cli_optscan s;
    cli_opt_init(&s, argc, argv, false);
    int o, rc = -1;
    while (rc < 0 && (o = cli_opt_next(&s, put_opts)) != CLI_OPT_END) {
        switch (o) {
        case P_HELP: rc = cli_print_help(self); break;
        case P_JSON: c->json = true; break;
        case P_FROM: a.from = s.arg; break;
        case P_CHUNK:
            if (!cli_parse_u32(s.arg, AW_ARRAY_MIN_CHUNK, AW_ARRAY_MAX_CHUNK, &a.opts.chunk_bytes))
                rc = cli_usage(c, self, "--chunk-bytes %s: give bytes, %u..%u", s.arg,
                               AW_ARRAY_MIN_CHUNK, AW_ARRAY_MAX_CHUNK);
            break;
        case P_COMPRESS: a.opts.compress = true; break;
        case P_ATTR: attr_args[a.n_attrs++] = (char *)s.arg; break;
        default: rc = cli_usage(c, self, "%s", cli_opt_error(&s, o)); break;
        }
    }
    array_key k;
    if (rc < 0)
        rc = array_parse_key(c, self, s.n_pos, argv, &k);
    if (rc < 0 && !a.from)
        rc = cli_usage(c, self, "--from is required");
    attr_list attrs = {0};
    if (rc < 0)
        rc = attrs_parse(c, self, attr_args, a.n_attrs, &attrs);
    if (rc < 0) {
        /* Read the file's header before connecting: a bad file starts no server. */
        aw_npy_header h;
        aw_error err;
        if (aw_npy_read_header(a.from, &h, &err) != AW_OK) {
            bool named = strstr(err.message, a.from) != NULL;
            rc = cli_fail_code(c, CLI_EXIT_OTHER, "array put: %s%s%s (%s)", named ? "" : a.from,
                               named ? "" : ": ", err.message, aw_status_name(err.code));
        } else {
            rc = put_run(c, self, &k, &a, &attrs, &h);
            aw_npy_header_clear(&h);
        }
    }
    attrs_free(&attrs);
    free(attr_args);
    return rc;
}

