/*
 * aw-colbench — the columnar batch read against a record baseline.
 *
 *   aw-colbench [-h HOST:PORT] [-t SECONDS=3] [-r ROUNDS=5] [-B BATCH] [-w a|b|ab] [-m c|r|i...]
 *               [-K] [-1] [-v] [-D]
 *
 * Two workloads, each timed both ways in the same run:
 *   a: 10,000 keys x 5 numeric bins (f8, i4, f4, i2, i8 fields, aligned);
 *   b: 1,000 keys x one 128-float embedding blob (an f4 (128,) field).
 * "columnar" is aw_batch_read_into straight into the rows. The baseline,
 * "records + fill", is aerowire's own record path, not the official
 * client: aw_batch_get into aw_batch_result records, then the same rows
 * filled by hand from the records (aw_record_get per field, as an
 * application would), then the records freed. Both read all keys per call
 * (or BATCH keys per call with -B). Every call makes its keys, digests
 * included, from an array of ids with aw_keys_init_int; -1 makes them one
 * at a time with aw_key_init_int, -K once before timing.
 *
 * The paths take turns: ROUNDS rounds, each timing every path once for
 * SECONDS / ROUNDS, the first path alternating from round to round; each
 * path's figures are min / median / max over the rounds. Before each pass
 * its rows are scribbled over, and after it they must equal what was
 * written (else exit 1, naming the path and the row). Figures: records/s
 * over the wall clock, the client's CPU time per record (getrusage, user +
 * sys, whole process incl. the tend thread) and the minor page faults per
 * record (a path that gives memory back to the system and takes it again
 * pays them). -m c or -m r times (and checks, and prints) only that path;
 * -v prints every pass as it ends, in the order they ran. -m i adds
 * "columnar-ids": aw_batch_read_ids_into from the call's array of ids, with
 * no aw_key made (its digests sixteen at a time inside the call).
 *
 * Without -h it starts aw-testd (next to this program) on free ports,
 * pinned to the last CPU, and pins itself to CPU 0. -D skips the server
 * altogether and times the decode alone: the same replies built in memory
 * (frames of ~128 KiB, as aw-testd sends), fed through the batch reader
 * into the columnar sink, into records + fill, and a memcpy of the same
 * bytes as the ceiling (library internals: src/numpy/row_plan.h's sink and
 * src/proto's reader, used through their documented entry points).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pin.h"
#include "rounds.h"
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

/* ---- the rows every path must produce --------------------------------------- */

/* The rows as written: record i's bins filled in by hand, key field 0
 * (neither path reads the key back). */
static uint8_t *expected_rows(const workload *w) {
    uint8_t *rows = calloc(w->n_keys, w->row_size);
    float scratch[EMB_DIM];
    for (size_t i = 0; i < w->n_keys; i++) {
        aw_bin bins[8];
        size_t nb;
        w->bins(i, bins, &nb, scratch);
        aw_record rec = {0};
        rec.bins = bins;
        rec.n_bins = (uint32_t)nb;
        w->fill(rows + i * w->row_size, &rec);
        memset(rows + i * w->row_size, 0, sizeof(int64_t));
    }
    return rows;
}

/* A path's output and what it must hold after every pass. */
typedef struct output {
    const workload *w;
    const uint8_t *want;
    uint8_t *got;
} output;

static void output_scribble(output *o) { memset(o->got, 0xA5, o->w->n_keys * o->w->row_size); }

static bool output_check(const output *o, char *why, size_t cap) {
    for (size_t i = 0; i < o->w->n_keys; i++)
        if (memcmp(o->got + i * o->w->row_size, o->want + i * o->w->row_size, o->w->row_size)) {
            snprintf(why, cap, "row %zu does not match what was written", i);
            return false;
        }
    return true;
}

/* The figure lines, then the two paths' ratio when both ran. */
static void print_paths(const char *what, const path *p, size_t n, int rounds) {
    rounds_print(what, p, n, rounds);
    if (p[0].run && p[1].run)
        printf("  columnar / records (medians): %.2fx records/s, %.2fx less cpu/record\n",
               rounds_median_rate(&p[0], rounds) / rounds_median_rate(&p[1], rounds),
               rounds_median_cpu(&p[1], rounds) / rounds_median_cpu(&p[0], rounds));
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

/* What a timed path works on: its output first (output_scribble and
 * output_check take the context as an output). */
typedef struct decode_ctx {
    output out;
    const frames *f;
    aw_rows_sink_ctx sink; /* columnar */
    rec_ctx rc;            /* records + fill: rc.rows is out.got */
} decode_ctx;

static void path_scribble(void *ctx) { output_scribble(ctx); }
static bool path_check(void *ctx, char *why, size_t cap) { return output_check(ctx, why, cap); }

static double decode_columnar(void *ctx) {
    decode_ctx *c = ctx;
    feed_all(c->f, (uint32_t)c->out.w->n_keys, rows_on_row, &c->sink);
    return (double)c->out.w->n_keys;
}

static double decode_records(void *ctx) {
    decode_ctx *c = ctx;
    feed_all(c->f, (uint32_t)c->out.w->n_keys, recs_on_row, &c->rc);
    return (double)c->out.w->n_keys;
}

/* The ceiling: copying the reply bytes once. */
typedef struct copy_ctx {
    const frames *f;
    uint8_t *to;
    size_t n_keys;
} copy_ctx;

static double copy_reply(void *ctx) {
    copy_ctx *c = ctx;
    size_t at = 0;
    for (size_t k = 0; k < c->f->n; k++) {
        memcpy(c->to + at, c->f->body[k].data, c->f->body[k].len);
        at += c->f->body[k].len;
    }
    __asm__ volatile("" : : "r"(c->to) : "memory");
    return (double)c->n_keys;
}

static const char *g_paths = "cr"; /* -m: which paths to time */
static bool g_verbose;             /* -v: every pass's figures */
/* -K: the keys (and their digests) made once before timing, not per call. */
static bool g_precomputed_keys;
/* -1: keys made one at a time (aw_key_init_int per key), not with
 * aw_keys_init_int over the call's array of ids. */
static bool g_keys_one_by_one;

static void decode_only(const workload *w, double seconds, int rounds) {
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
    uint8_t *want = expected_rows(w);
    aw_row_plan *plan;
    if (aw_row_plan_new(dt, NULL, 0, &plan, &err) != AW_OK) {
        fprintf(stderr, "row plan: %s\n", err.message);
        exit(1);
    }
    aw_row_meta *meta = calloc(w->n_keys, sizeof *meta);
    int32_t *codes = calloc(w->n_keys, sizeof *codes);
    decode_ctx col = {{w, want, calloc(w->n_keys, w->row_size)}, &f, {0}, {0}};
    col.sink = (aw_rows_sink_ctx){plan, col.out.got, meta, codes, (uint64_t)time(NULL)};
    decode_ctx rec = {{w, want, calloc(w->n_keys, w->row_size)}, &f, {0}, {w, NULL, {0}}};
    rec.rc.rows = rec.out.got;
    copy_ctx cpy = {&f, malloc(bytes), w->n_keys};
    path paths[] = {
        {.name = "columnar", .once = decode_columnar, .reset = path_scribble,
         .check = path_check, .ctx = &col, .run = strchr(g_paths, 'c') != NULL},
        {.name = "records + fill", .once = decode_records, .reset = path_scribble,
         .check = path_check, .ctx = &rec, .run = strchr(g_paths, 'r') != NULL},
        {.name = "memcpy (ceiling)", .once = copy_reply, .ctx = &cpy, .run = true},
    };
    rounds_time(paths, 3, rounds, seconds / rounds, g_verbose);
    char what[200];
    snprintf(what, sizeof what,
             "%s — decode only, %zu reply bytes (%.1f per record), %d rounds, order rotating",
             w->name, bytes, (double)bytes / (double)w->n_keys, rounds);
    print_paths(what, paths, 3, rounds);
    for (size_t k = 0; k < f.n; k++)
        aw_buf_free(&f.body[k]);
    free(f.body);
    free(want);
    free(col.out.got);
    free(rec.out.got);
    free(cpy.to);
    free(meta);
    free(codes);
    aw_row_plan_free(plan);
    aw_dtype_free(dt);
}

/* ---- against a server ------------------------------------------------------------ */

typedef struct server_ctx {
    output out;
    aw_client *client;
    const aw_batch_policy *pol;
    const aw_dtype *dt;
    aw_key *keys;
    size_t batch;          /* keys per call */
    int32_t *codes;        /* per key, from the last pass */
    aw_row_meta *meta;     /* columnar */
    aw_batch_result *res;  /* records: batch of them */
} server_ctx;

/* The keys of one call, made as an application makes them (namespace, set,
 * integer user key, RIPEMD-160 digest) from its array of ids, unless -K
 * made them all once; -1 makes them one at a time. */
static void make_keys(aw_key *keys, size_t at, size_t m) {
    static int64_t *ids;
    static size_t ids_cap;
    if (g_precomputed_keys)
        return;
    if (g_keys_one_by_one) {
        for (size_t i = at; i < at + m; i++)
            aw_key_init_int(&keys[i], "test", "colbench", (int64_t)i, NULL);
        return;
    }
    if (m > ids_cap) {
        free(ids);
        ids = malloc(m * sizeof *ids);
        ids_cap = ids ? m : 0;
        if (!ids) {
            fprintf(stderr, "aw-colbench: out of memory for %zu ids\n", m);
            exit(1);
        }
    }
    for (size_t i = 0; i < m; i++)
        ids[i] = (int64_t)(at + i);
    aw_error err;
    if (aw_keys_init_int(keys + at, m, "test", "colbench", ids, &err) != AW_OK) {
        fprintf(stderr, "aw-colbench: keys: %s\n", err.message);
        exit(1);
    }
}

static void fail_call(const char *what, const aw_error *err) {
    fprintf(stderr, "aw-colbench: %s: %s\n", what, err->message);
    exit(1);
}

static double server_columnar(void *ctx) {
    server_ctx *c = ctx;
    size_t n = c->out.w->n_keys, rs = c->out.w->row_size;
    aw_error err;
    for (size_t at = 0; at < n; at += c->batch) {
        size_t m = n - at < c->batch ? n - at : c->batch;
        make_keys(c->keys, at, m);
        if (aw_batch_read_into(c->client, c->pol, c->keys + at, m, NULL, 0, c->dt,
                               c->out.got + at * rs, m * rs, c->meta + at, c->codes + at,
                               &err) != AW_OK)
            fail_call("aw_batch_read_into", &err);
    }
    return (double)n;
}

static double server_columnar_ids(void *ctx) {
    server_ctx *c = ctx;
    size_t n = c->out.w->n_keys, rs = c->out.w->row_size;
    static int64_t *ids;
    static size_t ids_cap;
    if (c->batch > ids_cap) {
        free(ids);
        ids = malloc(c->batch * sizeof *ids);
        ids_cap = ids ? c->batch : 0;
        if (!ids) {
            fprintf(stderr, "aw-colbench: out of memory for %zu ids\n", c->batch);
            exit(1);
        }
    }
    aw_error err;
    for (size_t at = 0; at < n; at += c->batch) {
        size_t m = n - at < c->batch ? n - at : c->batch;
        for (size_t i = 0; i < m; i++) /* the application's ids, as make_keys takes them */
            ids[i] = (int64_t)(at + i);
        if (aw_batch_read_ids_into(c->client, c->pol, "test", "colbench", ids, m, NULL, 0, c->dt,
                                   c->out.got + at * rs, m * rs, c->meta + at, c->codes + at,
                                   &err) != AW_OK)
            fail_call("aw_batch_read_ids_into", &err);
    }
    return (double)n;
}

static double server_records(void *ctx) {
    server_ctx *c = ctx;
    size_t n = c->out.w->n_keys, rs = c->out.w->row_size;
    aw_error err;
    for (size_t at = 0; at < n; at += c->batch) {
        size_t m = n - at < c->batch ? n - at : c->batch;
        make_keys(c->keys, at, m);
        if (aw_batch_get(c->client, c->pol, c->keys + at, m, NULL, 0, false, c->res, &err) !=
            AW_OK)
            fail_call("aw_batch_get", &err);
        for (size_t i = 0; i < m; i++) {
            if (c->res[i].code == 0)
                c->out.w->fill(c->out.got + (at + i) * rs, &c->res[i].rec);
            c->codes[at + i] = c->res[i].code;
        }
        aw_batch_results_free(c->res, m);
    }
    return (double)n;
}

/* Every row answered, then every row as written. */
static bool server_check(void *ctx, char *why, size_t cap) {
    server_ctx *c = ctx;
    for (size_t i = 0; i < c->out.w->n_keys; i++)
        if (c->codes[i] != 0) {
            snprintf(why, cap, "row %zu: %s (%d)", i, aw_status_name(c->codes[i]), c->codes[i]);
            return false;
        }
    return output_check(&c->out, why, cap);
}

static void against_server(aw_client *client, const workload *w, double seconds, int rounds,
                           size_t batch) {
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
    uint8_t *want = expected_rows(w);
    uint8_t *load = malloc(n * w->row_size);
    memcpy(load, want, n * w->row_size);
    for (size_t i = 0; i < n; i++) {
        int64_t key = (int64_t)i;
        memcpy(load + i * w->row_size, &key, sizeof key);
    }
    int32_t *codes = calloc(n, sizeof *codes);
    if (aw_batch_write_from(client, &pol, load, n * w->row_size, n, dt, "test", "colbench",
                            "_key", codes, NULL, NULL, &err) != AW_OK)
        fail_call("load", &err);
    for (size_t i = 0; i < n; i++)
        if (codes[i] != 0) {
            fprintf(stderr, "aw-colbench: load: row %zu: %s (%d)\n", i, aw_status_name(codes[i]),
                    codes[i]);
            exit(1);
        }
    free(load);

    aw_key *keys = calloc(n, sizeof *keys);
    for (size_t i = 0; i < n; i++)
        aw_key_init_int(&keys[i], "test", "colbench", (int64_t)i, NULL);
    server_ctx col = {{w, want, calloc(n, w->row_size)}, client, &pol, dt, keys, batch,
                      codes, calloc(n, sizeof(aw_row_meta)), NULL};
    server_ctx rec = {{w, want, calloc(n, w->row_size)}, client, &pol, dt, keys, batch,
                      codes, NULL, calloc(batch, sizeof(aw_batch_result))};
    path paths[] = {
        {.name = "columnar", .once = server_columnar, .reset = path_scribble,
         .check = server_check, .ctx = &col, .run = strchr(g_paths, 'c') != NULL},
        {.name = "records + fill", .once = server_records, .reset = path_scribble,
         .check = server_check, .ctx = &rec, .run = strchr(g_paths, 'r') != NULL},
        {.name = "columnar-ids", .once = server_columnar_ids, .reset = path_scribble,
         .check = server_check, .ctx = &col, .run = strchr(g_paths, 'i') != NULL},
    };
    rounds_time(paths, 3, rounds, seconds / rounds, g_verbose);
    char what[200];
    snprintf(what, sizeof what, "%s — %zu keys per call (%s), %d rounds, order alternating",
             w->name, batch, g_precomputed_keys ? "keys made before timing, -K"
             : g_keys_one_by_one ? "keys made per call one at a time, -1"
                                 : "keys made per call (aw_keys_init_int)",
             rounds);
    print_paths(what, paths, 3, rounds);
    free(want);
    free(codes);
    free(keys);
    free(col.out.got);
    free(col.meta);
    free(rec.out.got);
    free(rec.res);
    aw_dtype_free(dt);
}

static int usage(void) {
    fprintf(stderr, "usage: aw-colbench [-h HOST:PORT] [-t SECONDS] [-r ROUNDS] [-B BATCH] "
                    "[-w a|b|ab] [-m c|r|i...] [-K] [-1] [-v] [-D]\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *host = NULL, *which = "ab";
    double seconds = 3;
    int rounds = 5;
    size_t batch = 0;
    bool decode = false;
    int opt;
    while ((opt = getopt(argc, argv, "h:t:r:B:w:Dm:K1v")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 't': seconds = atof(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        case 'B': batch = (size_t)atol(optarg); break;
        case 'w': which = optarg; break;
        case 'D': decode = true; break;
        case 'm': g_paths = optarg; break;
        case 'v': g_verbose = true; break;
        case 'K': g_precomputed_keys = true; break;
        case '1': g_keys_one_by_one = true; break;
        default: return usage();
        }
    }
    if (optind < argc || rounds < 1 || rounds > MAX_ROUNDS || !(seconds >= 0) ||
        strspn(g_paths, "cri") != strlen(g_paths) || !g_paths[0]) {
        fprintf(stderr, "aw-colbench: -r takes 1..%d rounds, -m some of c, r and i\n",
                MAX_ROUNDS);
        return usage();
    }
    if (decode) {
        bl_pin_to_cpu0();
        for (size_t k = 0; k < 2; k++)
            if (strchr(which, 'a' + (int)k))
                decode_only(&WORKLOADS[k], seconds, rounds);
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
    printf("aw-colbench: host %s%s, %.1f s per path over %d rounds\n", host,
           testd > 0 ? " (aw-testd)" : "", seconds, rounds);
    for (size_t k = 0; k < 2; k++)
        if (strchr(which, 'a' + (int)k))
            against_server(client, &WORKLOADS[k], seconds, rounds, batch);
    aw_client_close(client);
    td_spawn_stop(testd);
    return 0;
}
