/* The run's shared state; see bench.h. */
#include "bench.h"

#include <stdio.h>
#include <string.h>

#include "objspec.h"

void bench_note_error(bench *b, op_type t, int code, const char *msg) {
    pthread_mutex_lock(&b->err_lock);
    if (b->n_errors_noted++ == 0) {
        b->first_code = code;
        b->first_type = t;
        snprintf(b->first_msg, sizeof b->first_msg, "%s", msg);
    }
    pthread_mutex_unlock(&b->err_lock);
    if (b->a->debug)
        fprintf(stderr, "aw-bench: %s failed: %s (%d): %s\n", op_names[t], aw_status_name(code),
                code, msg);
}

int bench_init(bench *b, const bench_args *a, aw_client *client, aw_error *err) {
    memset(b, 0, sizeof *b);
    b->a = a;
    b->client = client;
    pthread_mutex_init(&b->err_lock, NULL);
    int rc = ks_init(&b->ks, a->ns, a->set, a->start_key, a->keys,
                     a->precomputed_digests, err);
    if (rc != AW_OK)
        return rc;
    rc = os_dtype(&a->spec, &b->dt, err);
    if (rc != AW_OK)
        return rc;
    b->itemsize = aw_dtype_itemsize(b->dt);

    b->read_pol = aw_policy_read();
    b->read_pol.total_timeout_ms = a->read_timeout_ms;
    b->read_pol.socket_timeout_ms = a->read_socket_timeout_ms;
    b->read_pol.max_retries = a->max_retries;
    b->read_pol.sleep_between_retries_ms = a->sleep_between_retries_ms;
    b->read_pol.replica = a->replica;
    b->read_pol.read_mode_ap_all = a->read_mode_all;
    b->read_pol.filter = a->filter; /* batch reads copy it below */
    b->read_pol.compress = a->compress;

    b->write_pol = aw_policy_write();
    b->write_pol.total_timeout_ms = a->write_timeout_ms;
    b->write_pol.socket_timeout_ms = a->write_socket_timeout_ms;
    b->write_pol.max_retries = a->max_retries;
    b->write_pol.sleep_between_retries_ms = a->sleep_between_retries_ms;
    b->write_pol.ttl = a->ttl;
    b->write_pol.commit_level = a->commit_level;
    b->write_pol.send_key = a->send_key;
    b->write_pol.durable_delete = a->durable_delete;
    b->write_pol.compress = a->compress;
    b->delete_pol = b->write_pol;
    if (a->wl.kind == WL_RR)
        b->write_pol.exists = AW_EXISTS_REPLACE;

    b->batch_read_pol = aw_batch_policy_default();
    b->batch_read_pol.base = b->read_pol;
    b->batch_write_pol = aw_batch_policy_default();
    b->batch_write_pol.base = b->write_pol;

    if (a->wl.kind == WL_INSERT) {
        b->insert_keys = (uint64_t)((double)a->keys * a->wl.insert_pct / 100.0);
        if (b->insert_keys == 0)
            b->insert_keys = 1;
        b->used[a->batch_write_size ? OP_BATCH_WRITE : OP_WRITE] = true;
    } else {
        if (a->wl.read_pct > 0)
            b->used[a->batch_read_size ? OP_BATCH_READ : OP_READ] = true;
        if (a->wl.write_pct > 0)
            b->used[a->batch_write_size ? OP_BATCH_WRITE : OP_WRITE] = true;
        if (a->wl.kind == WL_RUD && a->wl.read_pct + a->wl.write_pct < 100)
            b->used[OP_DELETE] = true;
    }
    return AW_OK;
}

void bench_free(bench *b) {
    ks_free(&b->ks);
    aw_dtype_free(b->dt);
    b->dt = NULL;
    pthread_mutex_destroy(&b->err_lock);
}
