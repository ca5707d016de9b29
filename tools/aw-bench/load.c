/* Loading the embedded server; see load.h. */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>

#include "objspec.h"
#include "progress.h"

#define CHUNK 5000u

int load_keys(bench *b, const sigset_t *sigs) {
    const bench_args *a = b->a;
    uint8_t *rows = calloc(CHUNK, b->itemsize);
    int32_t *codes = calloc(CHUNK, sizeof *codes);
    obj_values v = {0};
    rng r;
    rng_seed(&r, 1);
    int ret = -1;
    if (!rows || !codes || os_values_new(&a->spec, &v, &r) != 0) {
        fprintf(stderr, "aw-bench: out of memory for loading\n");
        goto out;
    }
    aw_batch_policy pol = b->batch_write_pol;
    pol.base.total_timeout_ms = 30000;
    pol.base.exists = AW_EXISTS_UPDATE;
    progress pg;
    pg_init(&pg, "loading", a->keys);
    pg.last_step = 10; /* no percentages when not on a terminal: one line at the end */
    double t0 = bl_now_s();
    for (uint64_t at = 0; at < a->keys; at += CHUNK) {
        uint32_t n = a->keys - at < CHUNK ? (uint32_t)(a->keys - at) : CHUNK;
        for (uint32_t i = 0; i < n; i++)
            os_fill_row(&a->spec, b->dt, &v, rows + (size_t)i * b->itemsize,
                        (int64_t)(a->start_key + at + i));
        aw_error err;
        if (aw_batch_write_from(b->client, &pol, rows, (size_t)n * b->itemsize, n, b->dt, a->ns,
                                a->set, "_key", codes, NULL, NULL, &err) != AW_OK) {
            pg_end(&pg);
            fprintf(stderr, "aw-bench: loading the embedded server: %s\n", err.message);
            goto out;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (codes[i] != AW_OK) {
                pg_end(&pg);
                fprintf(stderr, "aw-bench: loading the embedded server: key %llu: %s (%s)\n",
                        (unsigned long long)(a->start_key + at + i), aw_status_name(codes[i]),
                        aw_strerror(codes[i]));
                goto out;
            }
        }
        pg_update(&pg, at + n);
        struct timespec zero = {0, 0};
        int sig = sigtimedwait(sigs, NULL, &zero);
        if (sig == SIGINT || sig == SIGTERM) {
            pg_end(&pg);
            ret = 1;
            goto out;
        }
    }
    pg_end(&pg);
    fprintf(stderr, "aw-bench: loaded keys %llu..%llu into the embedded server in %.2f s\n",
            (unsigned long long)a->start_key, (unsigned long long)(a->start_key + a->keys - 1),
            bl_now_s() - t0);
    ret = 0;
out:
    os_values_free(&v);
    free(rows);
    free(codes);
    return ret;
}
