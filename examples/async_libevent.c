/*
 * async_libevent: write a record and read it back from callbacks on your own
 * libevent event_base.
 *
 *   AEROSPIKE_HOSTS=127.0.0.1:3000 ./async_libevent
 *
 * The flow: attach the client to the base, submit a put; the put's callback
 * submits a get; the get's callback prints the record and closes the loop,
 * which lets event_base_dispatch return. Exits 1 on any error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include <aerowire/adapters/libevent.h>
#include <aerowire/aerowire.h>
#include <aerowire/async.h>
#include <aerowire/client.h>

/* What the callbacks share; passed to them as `udata`. */
typedef struct app {
    aw_loop *loop;
    aw_key key;
    int status; /* the exit code */
} app;

static void print_value(const aw_value *v) {
    switch (v->type) {
    case AW_INT: printf("%" PRId64, v->u.i); break;
    case AW_FLOAT: printf("%g", v->u.f); break;
    case AW_STR: printf("\"%.*s\"", (int)v->len, v->u.str); break;
    default: printf("(type %u, %u bytes)", v->type, v->len); break;
    }
}

/* Called once, on the base's thread. `err` is NULL on success; `err` and
 * `rec` are valid only during the call (aw_record_move keeps a record). */
static void on_get(const aw_error *err, aw_record *rec, void *udata) {
    app *a = udata;
    if (err) {
        fprintf(stderr, "get: %s (%s)\n", err->message, aw_status_name(err->code));
        a->status = 1;
    } else {
        if (rec->ttl == AW_TTL_NEVER_EXPIRE)
            printf("generation %u, never expires\n", rec->gen);
        else
            printf("generation %u, expires in %u s\n", rec->gen, rec->ttl);
        for (uint32_t i = 0; i < rec->n_bins; i++) {
            printf("  %s = ", rec->bins[i].name);
            print_value(&rec->bins[i].value);
            printf("\n");
        }
    }
    /* Closing from a callback is allowed: it happens once this returns. With
     * the loop closed nothing of aerowire is left on the base, so
     * event_base_dispatch returns. */
    aw_loop_close(a->loop);
}

static void on_put(const aw_error *err, void *udata) {
    app *a = udata;
    aw_error e;
    if (err) {
        /* in_doubt says whether a failed write may still have been applied. */
        fprintf(stderr, "put: %s (%s)%s\n", err->message, aw_status_name(err->code),
                err->in_doubt ? " [in doubt]" : "");
        a->status = 1;
        aw_loop_close(a->loop);
        return;
    }
    /* Commands may be submitted from callbacks. All bins: names NULL, 0. */
    if (aw_get_async(a->loop, NULL, &a->key, NULL, 0, on_get, a, &e) != AW_OK) {
        /* A submit that fails never calls its callback: handle it here. */
        fprintf(stderr, "get: %s\n", e.message);
        a->status = 1;
        aw_loop_close(a->loop);
    }
}

int main(void) {
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts && hosts[0] ? hosts : "127.0.0.1:3000";

    /* Connects and learns the cluster (tending then runs on its own thread). */
    aw_client *client;
    aw_error err;
    if (aw_client_new(&client, &cfg, &err) != AW_OK) {
        fprintf(stderr, "connect: %s (%s)\n", err.message, aw_status_name(err.code));
        return 1;
    }

    /* The application owns the base: aerowire adds events to it, never runs
     * or frees it. One aw_loop per base; several bases may share a client. */
    struct event_base *base = event_base_new();
    app a = {.status = 0};
    if (!base || aw_libevent_attach(client, base, &a.loop, &err) != AW_OK) {
        fprintf(stderr, "attach: %s\n", base ? err.message : "event_base_new failed");
        aw_client_close(client);
        if (base)
            event_base_free(base);
        return 1;
    }

    aw_key_init_str(&a.key, "test", "demo", "async-example", NULL);
    /* Keys, bins and values are read during the submit call only: the
     * request is encoded before aw_put_async returns. */
    aw_bin bins[] = {
        {"name", aw_value_str("aerowire")},
        {"count", aw_value_int(7)},
    };
    if (aw_put_async(a.loop, NULL, &a.key, bins, 2, on_put, &a, &err) != AW_OK) {
        fprintf(stderr, "put: %s\n", err.message);
        aw_loop_close(a.loop);
        a.status = 1;
    } else {
        event_base_dispatch(base); /* returns after on_get closes the loop */
    }

    /* aw_client_close would also close a loop still attached. */
    aw_client_close(client);
    event_base_free(base);
    return a.status;
}
