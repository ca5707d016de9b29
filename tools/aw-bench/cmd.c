/* aw-bench's workers and commands; see cmd.h. */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

static bool columnar(const bench *b) { return b->a->batch_mode == BM_COLUMNAR; }

static void cmd_free(cmd *c) {
    free(c->keys);
    free(c->res);
    free(c->ops);
    free(c->rows);
    free(c->wrows);
    free(c->codes);
    os_values_free(&c->vals);
}

static int cmd_init(cmd *c, worker *w) {
    bench *b = w->b;
    const bench_args *a = b->a;
    memset(c, 0, sizeof *c);
    c->w = w;
    ks_key_prepare(&b->ks, &c->key);
    if (os_values_new(&a->spec, &c->vals, &w->r) != 0)
        return -1;
    uint32_t cap = a->batch_read_size > a->batch_write_size ? a->batch_read_size
                                                             : a->batch_write_size;
    if (!cap)
        return 0;
    c->keys = calloc(cap, sizeof *c->keys);
    if (!c->keys)
        return -1;
    for (uint32_t i = 0; i < cap; i++)
        ks_key_prepare(&b->ks, &c->keys[i]);
    if (columnar(b)) {
        c->codes = calloc(cap, sizeof *c->codes);
        if (!c->codes)
            return -1;
        if (a->batch_read_size && !(c->rows = calloc(a->batch_read_size, b->itemsize)))
            return -1;
        if (a->batch_write_size && !(c->wrows = calloc(a->batch_write_size, b->itemsize)))
            return -1;
        c->rows_stale = true;
    } else {
        c->res = calloc(cap, sizeof *c->res);
        if (!c->res)
            return -1;
        if (a->batch_write_size) {
            c->ops = calloc(a->batch_write_size, sizeof *c->ops);
            if (!c->ops)
                return -1;
            /* Every row writes the slot's bins under its own key. */
            for (uint32_t i = 0; i < a->batch_write_size; i++)
                c->ops[i] = (aw_batch_op){.kind = AW_BATCH_OP_WRITE, .key = &c->keys[i],
                                          .write_bins = c->vals.bins, .n_bins = a->spec.n};
        }
    }
    return 0;
}

worker *worker_new(bench *b, size_t idx, size_t n, size_t n_cmds) {
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->b = b;
    w->idx = idx;
    rng_seed(&w->r, (uint64_t)idx * 7919u + (uint64_t)bl_now_ns());
    w->st = stats_new();
    w->cmds = calloc(n_cmds, sizeof *w->cmds);
    if (!w->st || !w->cmds) {
        worker_free(w);
        return NULL;
    }
    w->next_key = rng_below(&w->r, b->ks.count);
    /* asbench's split: worker i of n inserts keys [N*i/n, N*(i+1)/n). */
    uint64_t keys = b->insert_keys;
    w->next = (uint64_t)((unsigned __int128)keys * idx / n);
    w->end = (uint64_t)((unsigned __int128)keys * (idx + 1) / n);
    if (b->a->count) {
        w->limited = true;
        w->quota = b->a->count / n + (idx < b->a->count % n ? 1 : 0);
    }
    for (size_t i = 0; i < n_cmds; i++) {
        w->n_cmds = i + 1;
        if (cmd_init(&w->cmds[i], w) != 0) {
            worker_free(w);
            return NULL;
        }
    }
    return w;
}

void worker_free(worker *w) {
    if (!w)
        return;
    for (size_t i = 0; i < w->n_cmds; i++)
        cmd_free(&w->cmds[i]);
    free(w->cmds);
    free(w->st);
    free(w);
}

/* Rows of a columnar batch write: every field when the values changed,
 * else just the keys. */
static void fill_rows(cmd *c) {
    bench *b = c->w->b;
    for (uint32_t i = 0; i < c->n; i++) {
        uint8_t *row = c->wrows + (size_t)i * b->itemsize;
        int64_t key = c->keys[i].user_key.u.i;
        if (c->rows_stale)
            os_fill_row(&b->a->spec, b->dt, &c->vals, row, key);
        else
            os_row_key(row, key);
    }
    /* Rows past n keep the old values, so stay stale if they were. */
    c->rows_stale = c->rows_stale && c->n < b->a->batch_write_size;
}

/* Row i of a batch gets key index k. A columnar write's row holds only the
 * integer (aw_batch_write_from hashes it, as it would for an application);
 * every other batch takes whole keys. */
static void batch_key(cmd *c, op_type t, uint32_t i, uint64_t k) {
    const bench *b = c->w->b;
    if (t == OP_BATCH_WRITE && columnar(b))
        c->keys[i].user_key = aw_value_int(ks_user_key(&b->ks, k));
    else
        ks_key(&b->ks, k, &c->keys[i]);
}

bool cmd_next(cmd *c) {
    worker *w = c->w;
    bench *b = w->b;
    const bench_args *a = b->a;
    if (atomic_load_explicit(&b->stop, memory_order_relaxed))
        return false;
    op_type t;
    if (a->wl.kind == WL_INSERT) {
        if (w->next >= w->end || (w->limited && w->quota == 0))
            return false;
        if (a->batch_write_size) {
            uint64_t left = w->end - w->next;
            c->n = left < a->batch_write_size ? (uint32_t)left : a->batch_write_size;
            for (uint32_t i = 0; i < c->n; i++)
                batch_key(c, OP_BATCH_WRITE, i, w->next + i);
            t = OP_BATCH_WRITE;
        } else {
            c->n = 1;
            ks_key(&b->ks, w->next, &c->key);
            t = OP_WRITE;
        }
        w->next += c->n;
    } else {
        if (w->limited && w->quota == 0)
            return false;
        t = wl_pick(&a->wl, &w->r);
        uint32_t n = t == OP_READ ? a->batch_read_size : t == OP_WRITE ? a->batch_write_size : 0;
        if (n) {
            t = t == OP_READ ? OP_BATCH_READ : OP_BATCH_WRITE;
            c->n = n;
            for (uint32_t i = 0; i < n; i++)
                batch_key(c, t, i, rng_below(&w->r, b->ks.count));
        } else {
            c->n = 1;
            ks_key(&b->ks, w->next_key, &c->key);
            w->next_key = rng_below(&w->r, b->ks.count);
            ks_prefetch(&b->ks, w->next_key);
        }
    }
    if (w->limited)
        w->quota--;
    c->type = t;
    if (t == OP_WRITE || t == OP_BATCH_WRITE) {
        if (a->random_values) {
            os_values_randomize(&a->spec, &c->vals, &w->r);
            c->rows_stale = true;
        }
        if (t == OP_BATCH_WRITE && columnar(b))
            fill_rows(c);
    }
    c->t0 = bl_now_ns();
    return true;
}

int cmd_run_sync(cmd *c, aw_error *err) {
    bench *b = c->w->b;
    const bench_args *a = b->a;
    switch (c->type) {
    case OP_READ: {
        aw_record rec = {0};
        int rc = aw_get(b->client, &b->read_pol, &c->key, NULL, 0, &rec, err);
        aw_record_free(&rec);
        return rc;
    }
    case OP_WRITE:
        return aw_put(b->client, &b->write_pol, &c->key, c->vals.bins, a->spec.n, err);
    case OP_DELETE:
        return aw_delete(b->client, &b->delete_pol, &c->key, err);
    case OP_BATCH_READ:
        if (columnar(b))
            return aw_batch_read_into(b->client, &b->batch_read_pol, c->keys, c->n, NULL, 0, b->dt,
                                      c->rows, (size_t)c->n * b->itemsize, NULL, c->codes, err);
        return aw_batch_get(b->client, &b->batch_read_pol, c->keys, c->n, NULL, 0, false, c->res,
                            err);
    case OP_BATCH_WRITE:
        if (columnar(b))
            return aw_batch_write_from(b->client, &b->batch_write_pol, c->wrows,
                                       (size_t)c->n * b->itemsize, c->n, b->dt, a->ns, a->set,
                                       "_key", c->codes, NULL, NULL, err);
        return aw_batch_operate(b->client, &b->batch_write_pol, c->ops, c->n, c->res, err);
    case OP_TYPES:
        break;
    }
    return aw_error_set(err, AW_ERR_PARAM, "no such command");
}

void cmd_done(cmd *c, int rc, const aw_error *err) {
    worker *w = c->w;
    bench *b = w->b;
    op_stats *s = &w->st->op[c->type];
    /* Looked up only on a failure: this runs for every command. */
    const char *msg = rc == AW_OK ? "" : err && err->message[0] ? err->message : aw_strerror(rc);
    if (c->type == OP_READ || c->type == OP_WRITE || c->type == OP_DELETE) {
        if (rc == AW_OK || rc == AW_ERR_RECORD_NOT_FOUND || rc == AW_FILTERED_OUT) {
            bh_record(&s->lat, bl_now_ns() - c->t0);
            st_add(&s->ops, 1);
            if (rc != AW_OK)
                st_add(rc == AW_FILTERED_OUT ? &s->filtered : &s->misses, 1);
        } else {
            st_add(rc == AW_ERR_TIMEOUT ? &s->timeouts : &s->errors, 1);
            bench_note_error(b, c->type, rc, msg);
        }
        return;
    }
    bool rows_mode = columnar(b);
    if (rc != AW_OK) {
        st_add(rc == AW_ERR_TIMEOUT ? &s->timeouts : &s->errors, c->n);
        bench_note_error(b, c->type, rc, msg);
    } else {
        bh_record(&s->lat, bl_now_ns() - c->t0);
        uint64_t answered = 0, misses = 0, filtered = 0, errors = 0, timeouts = 0;
        for (uint32_t i = 0; i < c->n; i++) {
            int code = rows_mode ? c->codes[i] : c->res[i].code;
            if (code == AW_OK || code == AW_ERR_RECORD_NOT_FOUND || code == AW_FILTERED_OUT) {
                answered++;
                misses += code == AW_ERR_RECORD_NOT_FOUND;
                filtered += code == AW_FILTERED_OUT;
            } else {
                if (code == AW_ERR_TIMEOUT)
                    timeouts++;
                else
                    errors++;
                bench_note_error(b, c->type, code, "a row of the batch failed");
            }
        }
        st_add(&s->ops, 1);
        st_add(&s->records, answered);
        if (misses)
            st_add(&s->misses, misses);
        if (filtered)
            st_add(&s->filtered, filtered);
        if (errors)
            st_add(&s->errors, errors);
        if (timeouts)
            st_add(&s->timeouts, timeouts);
    }
    if (!rows_mode)
        aw_batch_results_free(c->res, c->n);
}
