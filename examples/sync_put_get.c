/*
 * sync_put_get: connect, write a record, read it back, print its bins.
 *
 *   AEROSPIKE_HOSTS=127.0.0.1:3000 ./sync_put_get
 *
 * The blocking API needs no event loop: each call returns when the server
 * has answered (or the policy's timeout has passed). Exits 1 on any error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <aerowire/aerowire.h>
#include <aerowire/client.h>

static int fail(const char *what, const aw_error *err) {
    fprintf(stderr, "%s: %s (%s)\n", what, err->message, aw_status_name(err->code));
    return 1;
}

static void print_value(const aw_value *v) {
    switch (v->type) {
    case AW_INT: printf("%" PRId64, v->u.i); break;
    case AW_FLOAT: printf("%g", v->u.f); break;
    case AW_STR: printf("\"%.*s\"", (int)v->len, v->u.str); break;
    case AW_LIST: printf("[list of %u]", v->len); break;
    default: printf("(type %u, %u bytes)", v->type, v->len); break;
    }
}

int main(void) {
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    aw_config cfg;
    aw_config_init(&cfg); /* defaults: 1 s timeouts, tend every second */
    cfg.hosts = hosts && hosts[0] ? hosts : "127.0.0.1:3000";

    /* Returns once a seed has answered and the partition maps are known. */
    aw_client *client;
    aw_error err;
    if (aw_client_new(&client, &cfg, &err) != AW_OK)
        return fail("connect", &err);

    /* The key's digest is computed here, once. */
    aw_key key;
    if (aw_key_init_str(&key, "test", "demo", "sync-example", &err) != AW_OK) {
        aw_client_close(client);
        return fail("key", &err);
    }

    /* Values borrow the caller's memory; they are only read during the call. */
    aw_value tags[] = {aw_value_str("a"), aw_value_str("b")};
    aw_bin bins[] = {
        {"name", aw_value_str("aerowire")},
        {"count", aw_value_int(42)},
        {"ratio", aw_value_float(0.5)},
        {"tags", aw_value_list(tags, 2)},
    };
    /* NULL policy = the client's default write policy. */
    if (aw_put(client, NULL, &key, bins, sizeof bins / sizeof *bins, &err) != AW_OK) {
        aw_client_close(client);
        return fail("put", &err);
    }

    /* All bins (NULL names). The record owns its memory until aw_record_free. */
    aw_record rec;
    if (aw_get(client, NULL, &key, NULL, 0, &rec, &err) != AW_OK) {
        aw_record_free(&rec);
        aw_client_close(client);
        return fail("get", &err);
    }
    if (rec.ttl == AW_TTL_NEVER_EXPIRE)
        printf("generation %u, never expires\n", rec.gen);
    else
        printf("generation %u, expires in %u s\n", rec.gen, rec.ttl);
    for (uint32_t i = 0; i < rec.n_bins; i++) {
        printf("  %s = ", rec.bins[i].name);
        print_value(&rec.bins[i].value);
        printf("\n");
    }
    aw_record_free(&rec);
    aw_client_close(client);
    return 0;
}
