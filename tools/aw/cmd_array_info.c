/* aw array info: the metadata from the header record (see cmd_array.c). */
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

/* --- info ------------------------------------------------------------------------------ */

static json_t *info_json(const aw_array_ref *ref) {
    json_t *attrs = json_object();
    for (size_t i = 0; attrs && i < aw_array_n_attrs(ref); i++)
        if (json_object_set_new(attrs, aw_array_attr_name(ref, i),
                                cli_value_to_json(aw_array_attr_value(ref, i))) != 0) {
            json_decref(attrs);
            attrs = NULL;
        }
    char version[17];
    snprintf(version, sizeof version, "%016" PRIx64, aw_array_version(ref));
    /* "o" takes attrs' and the shape's references, also when packing fails. */
    return json_pack("{s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:I, s:o}", "shape",
                     array_shape_json(aw_array_shape(ref), aw_array_ndim(ref)), "dtype",
                     aw_array_descr(ref), "ndim", (json_int_t)aw_array_ndim(ref), "size",
                     (json_int_t)aw_array_size(ref), "nbytes", (json_int_t)aw_array_nbytes(ref),
                     "chunks", (json_int_t)aw_array_n_chunks(ref), "chunk_bytes",
                     (json_int_t)aw_array_chunk_bytes(ref), "compressed",
                     (int)aw_array_compressed(ref), "version", version, "format",
                     (json_int_t)aw_array_format(ref), "attributes", attrs);
}

static void info_print(const array_key *k, const aw_array_ref *ref) {
    printf("array ");
    cli_print_key(stdout, &k->key);
    printf("  digest ");
    for (int i = 0; i < AW_DIGEST_SIZE; i++)
        printf("%02x", k->key.digest[i]);
    printf("\n  shape       ");
    array_print_shape(stdout, aw_array_shape(ref), aw_array_ndim(ref));
    printf("\n  dtype       %s\n", aw_array_descr(ref));
    printf("  ndim        %" PRIu32 "\n", aw_array_ndim(ref));
    printf("  size        %" PRIu64 " elements\n", aw_array_size(ref));
    printf("  nbytes      %" PRIu64 "\n", aw_array_nbytes(ref));
    if (aw_array_n_chunks(ref))
        printf("  chunks      %" PRIu32 " of %" PRIu32 " bytes\n", aw_array_n_chunks(ref),
               aw_array_chunk_bytes(ref));
    else
        printf("  chunks      0 (the data is in the header record; chunk size %" PRIu32 ")\n",
               aw_array_chunk_bytes(ref));
    printf("  compressed  %s\n", aw_array_compressed(ref) ? "yes (zlib)" : "no");
    printf("  version     %016" PRIx64 "\n", aw_array_version(ref));
    printf("  format      %" PRIu32 "\n", aw_array_format(ref));
    size_t n = aw_array_n_attrs(ref);
    printf("  attributes  %zu\n", n);
    /* Columns as wide as the longest name and type, as aw get prints bins. */
    int name_w = 0, type_w = 0;
    for (size_t i = 0; i < n; i++) {
        int nl = (int)strlen(aw_array_attr_name(ref, i));
        int tl = (int)strlen(cli_type_name(aw_array_attr_value(ref, i)));
        name_w = nl > name_w ? nl : name_w;
        type_w = tl > type_w ? tl : type_w;
    }
    for (size_t i = 0; i < n; i++) {
        const aw_value *v = aw_array_attr_value(ref, i);
        printf("    %-*s  %-*s  ", name_w, aw_array_attr_name(ref, i), type_w, cli_type_name(v));
        cli_print_value(stdout, v);
        putchar('\n');
    }
}

int array_info(cli *c, const cli_cmd *self, int argc, char **argv) {
    array_key k;
    int rc = array_scan_plain(c, self, argc, argv, &k);
    if (rc >= 0)
        return rc;
    aw_client *client = cli_client(c, &rc);
    if (!client)
        return rc;
    aw_array_ref *ref;
    aw_error err;
    /* The header is one record: the client's single-command timeout fits it. */
    if (aw_array_open(client, NULL, &k.key, &ref, &err) != AW_OK)
        return cli_fail(c, &err, "array info %s/%s %s", k.ns, k.set, k.text);
    if (c->json) {
        rc = array_emit(&k, info_json(ref));
    } else {
        info_print(&k, ref);
        rc = CLI_OK;
    }
    aw_array_ref_free(ref);
    return rc;
}

