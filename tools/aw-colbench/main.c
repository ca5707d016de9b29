/*
 * aw-colbench — the columnar batch read against the record path.
 *
 *   aw-colbench [-h HOST:PORT] [-t SECONDS=3] [-B BATCH] [-w a|b|ab] [-m c|r|cr] [-D] [-z 0|1]
 *
 * Two workloads, each timed both ways in the same run:
 *   a: 10,000 keys x 5 numeric bins (f8, i4, f4, i2, i8 fields, aligned);
 *   b: 1,000 keys x one 128-float embedding blob (an f4 (128,) field).
 * "columnar" is aw_batch_read_into straight into the rows; "records" is
 * aw_batch_get into aw_batch_result records, then the same rows filled by
 * hand from the records (aw_record_get per field, as an application
 * would), then the records freed. Both read all keys per call (or BATCH
 * keys per call with -B). Figures: records/s over the wall clock, and the
 * client's CPU time per record (getrusage, user + sys, whole process incl.
 * the tend thread), over the timed loop only, with the minor page faults
 * per record (a path that gives memory back to the system and takes it
 * again pays them).
 *
 * Without -h it starts aw-testd (next to this program) on free ports,
 * pinned to the last CPU, and pins itself to CPU 0. -D skips the server
 * altogether and times the decode alone: the same replies built in memory
 * (frames of ~128 KiB, as aw-testd sends), fed through the batch reader
 * into the columnar sink, into records + fill, and a memcpy of the same
 * bytes as the ceiling. -z forces the row plan's zeroing mode there
 * (1 = zero the row first, 0 = zero only what was not written). -m c or
 * -m r times only the columnar or only the record path (for profiling).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pin.h"
#include "spawn.h"
#include "aerowire/aerowire.h"
#include "aerowire/batch.h"
#include "aerowire/numpy.h"
#include "numpy/row_plan.h"
#include "proto/batch.h"
#include "proto/buf.h"
#include "proto/msg.h"
#include "proto/particle.h"
#include "proto/reply.h"

/* ---- the two layouts ------------------------------------------------------- */

#define SENSOR_DTYPE                                                                   \
    "[('_key','<i8'),('temperature','<f8'),('humidity','<i4'),('pressure','<f4'),"    \
    "('status','<i2'),('count','<i8')]"
typedef struct sensor_row {
    int64_t key;
    double temperature;
    int32_t humidity;
    float pressure;
    int16_t status;
    int64_t count;
} sensor_row;

#define EMB_DIM 128
#define EMB_DTYPE "[('_key','<i8'),('emb','<f4',(128,))]"
typedef struct emb_row {
    int64_t key;
    float emb[EMB_DIM];
} emb_row;

typedef struct workload {
    const char *name;
    const char *dtype;
    size_t n_keys;
    size_t row_size;
    /* Fills row from a record, as an application would. */
    void (*fill)(void *row, const aw_record *rec);
    /* Record i's bins (for loading and for -D). */
    void (*bins)(size_t i, aw_bin *bins, size_t *n, float *emb_scratch);
} workload;

static void sensor_fill(void *row, const aw_record *rec) {
    sensor_row *r = row;
    memset(r, 0, sizeof *r);
    const aw_value *v;
    if ((v = aw_record_get(rec, "temperature")) && v->type == AW_FLOAT)
        r->temperature = v->u.f;
    if ((v = aw_record_get(rec, "humidity")) && v->type == AW_INT)
        r->humidity = (int32_t)v->u.i;
    if ((v = aw_record_get(rec, "pressure")) && v->type == AW_FLOAT)
        r->pressure = (float)v->u.f;
    if ((v = aw_record_get(rec, "status")) && v->type == AW_INT)
        r->status = (int16_t)v->u.i;
    if ((v = aw_record_get(rec, "count")) && v->type == AW_INT)
        r->count = v->u.i;
}

static void sensor_bins(size_t i, aw_bin *bins, size_t *n, float *scratch) {
    (void)scratch;
    bins[0] = (aw_bin){"temperature", aw_value_float(20.0 + (double)(i % 100) / 8)};
    bins[1] = (aw_bin){"humidity", aw_value_int((int64_t)(i % 90))};
    bins[2] = (aw_bin){"pressure", aw_value_float(1013.25 - (double)(i % 50))};
    bins[3] = (aw_bin){"status", aw_value_int((int64_t)(i % 3))};
    bins[4] = (aw_bin){"count", aw_value_int((int64_t)i * 1000003)};
    *n = 5;
}

static void emb_fill(void *row, const aw_record *rec) {
    emb_row *r = row;
    const aw_value *v = aw_record_get(rec, "emb");
    size_t n = 0;
    if (v && v->type == AW_BLOB) {
        n = v->len < sizeof r->emb ? v->len : sizeof r->emb;
        memcpy(r->emb, v->u.bytes, n);
    }
    memset((uint8_t *)r->emb + n, 0, sizeof r->emb - n);
    r->key = 0;
}

static void emb_bins(size_t i, aw_bin *bins, size_t *n, float *scratch) {
    for (int k = 0; k < EMB_DIM; k++)
        scratch[k] = (float)i + (float)k / 128.0f;
    bins[0] = (aw_bin){"emb", aw_value_blob(scratch, sizeof(float) * EMB_DIM)};
    *n = 1;
}

static const workload WORKLOADS[] = {
    {"a: 10000 keys x 5 numeric bins", SENSOR_DTYPE, 10000, sizeof(sensor_row), sensor_fill,
     sensor_bins},
    {"b: 1000 keys x 128-float embedding", EMB_DTYPE, 1000, sizeof(emb_row), emb_fill, emb_bins},
};

/* ---- clocks ------------------------------------------------------------------ */


typedef struct figure {
    double rows, wall, cpu, faults;
} figure;

static void print_pair(const char *what, const figure *col, const figure *rec) {
    double col_rate = col->rows / col->wall, rec_rate = rec->rows / rec->wall;
    double col_cpu = col->cpu * 1e6 / col->rows, rec_cpu = rec->cpu * 1e6 / rec->rows;
    printf("%s\n", what);
    printf("  columnar        %12.0f records/s  %7.3f us cpu/record  %6.3f page faults/record\n",
           col_rate, col_cpu, col->faults / col->rows);
    printf("  records + fill  %12.0f records/s  %7.3f us cpu/record  %6.3f page faults/record\n",
           rec_rate, rec_cpu, rec->faults / rec->rows);
    printf("  columnar / records: %.2fx records/s, %.2fx less cpu/record\n", col_rate / rec_rate,
           rec_cpu / col_cpu);
}

/* ---- the decode alone (-D) ------------------------------------------------------- */

/* A batch reply as a server sends it: row messages (index in
 * transaction_ttl, the record's bins as ops) in frames of ~128 KiB, then a
 * LAST frame. Returns the frames' bodies. */
typedef struct frames {
    aw_buf *body;
    size_t n;
} frames;

static frames build_reply(const workload *w) {
    frames f = {calloc(w->n_keys / 16 + 2, sizeof(aw_buf)), 0};
    aw_buf_init(&f.body[0]);
    float scratch[EMB_DIM];
    for (size_t i = 0; i < w->n_keys; i++) {
        aw_buf *b = &f.body[f.n];
        aw_bin bins[8];
        size_t nb;
        w->bins(i, bins, &nb, scratch);
        aw_msg_header h = {0};
        h.header_sz = 22;
        h.info1 = AW_INFO1_READ | AW_INFO1_BATCH;
        h.generation = 1;
        h.record_ttl = 0;
        h.transaction_ttl = (uint32_t)i;
        h.n_ops = (uint16_t)nb;
        aw_buf_msg_header(b, &h);
        for (size_t k = 0; k < nb; k++) {
            size_t len = aw_particle_size(&bins[k].value);
            aw_buf_op_header(b, AW_OP_READ, aw_particle_type(&bins[k].value), bins[k].name,
                             (uint8_t)strlen(bins[k].name), (uint32_t)len);
            aw_particle_write(b, &bins[k].value, NULL);
        }
        if (b->len >= 128 * 1024) {
            f.n++;
            aw_buf_init(&f.body[f.n]);
        }
    }
    if (f.body[f.n].len)
        f.n++;
    aw_buf_init(&f.body[f.n]);
    aw_msg_header last = {0};
    last.header_sz = 22;
    last.info3 = AW_INFO3_LAST;
    aw_buf_msg_header(&f.body[f.n], &last);
    f.n++;
    return f;
}

typedef struct rec_ctx {
    const workload *w;
    uint8_t *rows;
    aw_decode_limits lim;
} rec_ctx;

static int rows_on_row(void *ctx, uint32_t index, const aw_msg_view *m) {
    aw_rows_sink_row(ctx, index, m->h.result_code, false, m, NULL);
    return 0;
}

static int recs_on_row(void *ctx, uint32_t index, const aw_msg_view *m) {
    rec_ctx *c = ctx;
    aw_record rec = {0};
    if (m->h.result_code == 0 && aw_record_from_msg(m, &c->lim, &rec, NULL) == AW_OK) {
        c->w->fill(c->rows + (size_t)index * c->w->row_size, &rec);
        aw_record_free(&rec);
    }
    return 0;
}

static void feed_all(const frames *f, uint32_t n_rows, aw_batch_row_fn fn, void *ctx) {
    aw_batch_reader r;
    aw_batch_reader_init(&r, n_rows);
    for (size_t k = 0; k < f->n; k++)
        if (aw_batch_reader_feed(&r, f->body[k].data, f->body[k].len, fn, ctx, NULL) != AW_OK)
            abort();
}

static void decode_only(const workload *w, double seconds, int zero_mode) {
    aw_dtype *dt;
    aw_error err;
    if (aw_dtype_parse(w->dtype, true, &dt, &err) != AW_OK) {
        fprintf(stderr, "dtype: %s\n", err.message);
        exit(1);
    }
    if (aw_dtype_itemsize(dt) != w->row_size) {
        fprintf(stderr, "dtype itemsize %zu != struct %zu\n", aw_dtype_itemsize(dt), w->row_size);
        exit(1);
    }
    frames f = build_reply(w);
    size_t bytes = 0;
    for (size_t k = 0; k < f.n; k++)
        bytes += f.body[k].len;
    uint8_t *rows = calloc(w->n_keys, w->row_size);
    uint8_t *copy = malloc(bytes);
    aw_row_plan *plan;
    if (aw_row_plan_new(dt, NULL, 0, &plan, &err) != AW_OK)
        exit(1);
    if (zero_mode >= 0)
        plan->zero_first = zero_mode;
    aw_row_meta *meta = calloc(w->n_keys, sizeof *meta);
    int32_t *codes = calloc(w->n_keys, sizeof *codes);
    aw_rows_sink_ctx sink = {plan, rows, meta, codes, (uint64_t)time(NULL)};
    rec_ctx rc = {w, calloc(w->n_keys, w->row_size), {0}};

    figure col = {0}, rec = {0}, cpy = {0};
    for (int pass = 0; pass < 3; pass++) {
        figure *fg = pass == 0 ? &col : pass == 1 ? &rec : &cpy;
        double t0 = bl_now_s(), c0 = bl_cpu_s(), f0 = bl_minflt();
        do {
            for (int rep = 0; rep < 20; rep++) {
                if (pass == 0) {
                    feed_all(&f, (uint32_t)w->n_keys, rows_on_row, &sink);
                } else if (pass == 1) {
                    feed_all(&f, (uint32_t)w->n_keys, recs_on_row, &rc);
                } else {
                    size_t at = 0;
                    for (size_t k = 0; k < f.n; k++) {
                        memcpy(copy + at, f.body[k].data, f.body[k].len);
                        at += f.body[k].len;
                    }
                    __asm__ volatile("" : : "r"(copy) : "memory");
                }
                fg->rows += (double)w->n_keys;
            }
            fg->wall = bl_now_s() - t0;
        } while (fg->wall < seconds);
        fg->cpu = bl_cpu_s() - c0;
        fg->faults = bl_minflt() - f0;
    }
    if (memcmp(rows, rc.rows, w->n_keys * w->row_size) != 0) {
        fprintf(stderr, "%s: columnar rows differ from records + fill\n", w->name);
        exit(1);
    }
    char what[160];
    snprintf(what, sizeof what, "%s — decode only, %zu reply bytes (%.1f per record), zero %s",
             w->name, bytes, (double)bytes / (double)w->n_keys,
             plan->zero_first ? "first" : "unwritten");
    print_pair(what, &col, &rec);
    printf("  memcpy of the reply bytes: %.3f us/record (the ceiling)\n",
           cpy.cpu * 1e6 / cpy.rows);
    for (size_t k = 0; k < f.n; k++)
        aw_buf_free(&f.body[k]);
    free(f.body);
    free(rows);
    free(rc.rows);
    free(copy);
    free(meta);
    free(codes);
    aw_row_plan_free(plan);
    aw_dtype_free(dt);
}

/* ---- against a server ------------------------------------------------------------ */

static void check_codes(const char *what, const int32_t *codes, const aw_batch_result *res,
                        size_t n) {
    for (size_t i = 0; i < n; i++) {
        int c = codes ? codes[i] : res[i].code;
        if (c != 0) {
            fprintf(stderr, "%s: row %zu: %s (%d)\n", what, i, aw_status_name(c), c);
            exit(1);
        }
    }
}

static const char *g_paths = "cr"; /* -m: which paths to time */

static void against_server(aw_client *client, const workload *w, double seconds, size_t batch) {
    aw_dtype *dt;
    aw_error err;
    if (aw_dtype_parse(w->dtype, true, &dt, &err) != AW_OK || aw_dtype_itemsize(dt) != w->row_size) {
        fprintf(stderr, "dtype %s\n", w->dtype);
        exit(1);
    }
    size_t n = w->n_keys;
    if (batch == 0 || batch > n)
        batch = n;
    aw_batch_policy pol = aw_batch_policy_default();
    pol.base.total_timeout_ms = 10000;
    pol.base.socket_timeout_ms = 10000;

    /* Load: the rows written with aw_batch_write_from (key field _key). */
    uint8_t *rows = calloc(n, w->row_size);
    float scratch[EMB_DIM];
    for (size_t i = 0; i < n; i++) {
        aw_bin bins[8];
        size_t nb;
        w->bins(i, bins, &nb, scratch);
        aw_record rec = {0};
        rec.bins = bins;
        rec.n_bins = (uint32_t)nb;
        int64_t key = (int64_t)i;
        w->fill(rows + i * w->row_size, &rec);
        memcpy(rows + i * w->row_size, &key, 8);
    }
    int32_t *codes = calloc(n, sizeof *codes);
    if (aw_batch_write_from(client, &pol, rows, n * w->row_size, n, dt, "test", "colbench",
                            "_key", codes, NULL, NULL, &err) != AW_OK) {
        fprintf(stderr, "load: %s\n", err.message);
        exit(1);
    }
    check_codes("load", codes, NULL, n);

    aw_key *keys = calloc(n, sizeof *keys);
    for (size_t i = 0; i < n; i++)
        aw_key_init_int(&keys[i], "test", "colbench", (int64_t)i, NULL);
    uint8_t *got = calloc(n, w->row_size);
    uint8_t *got2 = calloc(n, w->row_size);
    aw_row_meta *meta = calloc(n, sizeof *meta);
    aw_batch_result *res = calloc(batch, sizeof *res);

    figure col = {0}, rec = {0};
    for (int pass = 0; pass < 2; pass++) {
        figure *fg = pass == 0 ? &col : &rec;
        if (!strchr(g_paths, pass == 0 ? 'c' : 'r')) {
            /* Not timed: one untimed pass so the rows can still be checked. */
            *fg = (figure){1, 1, 1, 0};
            if (pass == 0)
                memcpy(got, rows, n * w->row_size);
            else
                memcpy(got2, rows, n * w->row_size);
            for (size_t i = 0; i < n; i++) {
                memset(got + i * w->row_size, 0, 8);
                memset(got2 + i * w->row_size, 0, 8);
            }
            continue;
        }
        double t0 = bl_now_s(), c0 = bl_cpu_s(), f0 = bl_minflt();
        do {
            for (size_t at = 0; at < n; at += batch) {
                size_t m = n - at < batch ? n - at : batch;
                if (pass == 0) {
                    if (aw_batch_read_into(client, &pol, keys + at, m, NULL, 0, dt,
                                           got + at * w->row_size, m * w->row_size, meta + at,
                                           codes + at, &err) != AW_OK) {
                        fprintf(stderr, "read_into: %s\n", err.message);
                        exit(1);
                    }
                } else {
                    if (aw_batch_get(client, &pol, keys + at, m, NULL, 0, false, res, &err) !=
                        AW_OK) {
                        fprintf(stderr, "batch_get: %s\n", err.message);
                        exit(1);
                    }
                    for (size_t i = 0; i < m; i++) {
                        if (res[i].code == 0)
                            w->fill(got2 + (at + i) * w->row_size, &res[i].rec);
                        codes[at + i] = res[i].code;
                    }
                    aw_batch_results_free(res, m);
                }
            }
            fg->rows += (double)n;
            fg->wall = bl_now_s() - t0;
        } while (fg->wall < seconds);
        fg->cpu = bl_cpu_s() - c0;
        fg->faults = bl_minflt() - f0;
        check_codes(pass == 0 ? "read_into" : "batch_get", codes, NULL, n);
        if (pass == 1)
            for (size_t i = 0; i < n; i++)
                memset(got2 + i * w->row_size, 0, 8); /* the key field: not read */
    }
    /* Both paths must have produced the rows that were written (the key
     * field is not read back). */
    for (size_t i = 0; i < n; i++) {
        memset(rows + i * w->row_size, 0, 8);
        if (memcmp(got + i * w->row_size, rows + i * w->row_size, w->row_size) ||
            memcmp(got2 + i * w->row_size, rows + i * w->row_size, w->row_size)) {
            fprintf(stderr, "%s: row %zu does not match what was written\n", w->name, i);
            exit(1);
        }
    }
    char what[160];
    snprintf(what, sizeof what, "%s — %zu keys per call", w->name, batch);
    print_pair(what, &col, &rec);
    free(rows);
    free(codes);
    free(keys);
    free(got);
    free(got2);
    free(meta);
    free(res);
    aw_dtype_free(dt);
}

int main(int argc, char **argv) {
    const char *host = NULL, *which = "ab";
    double seconds = 3;
    size_t batch = 0;
    bool decode = false;
    int zero_mode = -1;
    int opt;
    while ((opt = getopt(argc, argv, "h:t:B:w:Dz:m:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 't': seconds = atof(optarg); break;
        case 'B': batch = (size_t)atol(optarg); break;
        case 'w': which = optarg; break;
        case 'D': decode = true; break;
        case 'z': zero_mode = atoi(optarg); break;
        case 'm': g_paths = optarg; break;
        default:
            fprintf(stderr, "usage: aw-colbench [-h HOST:PORT] [-t SECONDS] [-B BATCH] "
                            "[-w a|b|ab] [-m c|r|cr] [-D] [-z 0|1]\n");
            return 2;
        }
    }
    if (decode) {
        bl_pin_to_cpu0();
        for (size_t k = 0; k < 2; k++)
            if (strchr(which, 'a' + (int)k))
                decode_only(&WORKLOADS[k], seconds, zero_mode);
        return 0;
    }

    char spawned[256];
    pid_t testd = 0;
    if (!host) {
        char why[512];
        testd = td_spawn_on(bl_server_cpu(), spawned, sizeof spawned, why, sizeof why);
        if (testd <= 0) {
            fprintf(stderr, "cannot start aw-testd: %s\n", why);
            return 1;
        }
        host = spawned;
        bl_pin_to_cpu0();
    }
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = host;
    aw_client *client;
    aw_error err;
    if (aw_client_new(&client, &cfg, &err) != AW_OK) {
        fprintf(stderr, "connect %s: %s\n", host, err.message);
        td_spawn_stop(testd);
        return 1;
    }
    printf("aw-colbench: host %s%s, %.1f s per figure\n", host, testd > 0 ? " (aw-testd)" : "",
           seconds);
    for (size_t k = 0; k < 2; k++)
        if (strchr(which, 'a' + (int)k))
            against_server(client, &WORKLOADS[k], seconds, batch);
    aw_client_close(client);
    td_spawn_stop(testd);
    return 0;
}
