/*
 * aw-microbench: nanoseconds per operation for the codec's hot paths, on
 * one core, no network. Run by hand; quote the figures in notes.
 *
 *   aw-microbench           one line per case: name  ns/op  ops/s
 *   aw-microbench --json    the same as one JSON object
 *
 * Each case is calibrated to run about half a second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/exp.h"
#include "aerowire/key.h"
#include "clock.h"
#include "aerowire/record.h"
#include "proto/arena.h"
#include "proto/buf.h"
#include "proto/msg.h"
#include "proto/msgpack.h"
#include "proto/particle.h"
#include "proto/reply.h"
#include "proto/request.h"
#include "proto/ripemd160_lanes.h"

#define TARGET_SECONDS 0.5

/* A case runs its operation `iters` times; it returns non-zero on failure. */
typedef int (*bench_fn)(void *ctx, long iters);

/* Results feed this so the compiler cannot drop the work. */
static volatile uint64_t g_sink;

/* ---- the cases ----------------------------------------------------------- */

static int bench_digest(void *ctx, long iters) {
    (void)ctx;
    aw_key k;
    for (long i = 0; i < iters; i++) {
        if (aw_key_init_str(&k, "test", "demo", "key-000042", NULL) != AW_OK)
            return 1;
        g_sink += k.digest[0];
    }
    return 0;
}

/* Integer keys one at a time, as an application's loop over
 * aw_key_init_int makes them: ns per key. */
static int bench_key_int(void *ctx, long iters) {
    (void)ctx;
    aw_key k;
    for (long i = 0; i < iters; i++) {
        if (aw_key_init_int(&k, "test", "colbench", i, NULL) != AW_OK)
            return 1;
        g_sink += k.digest[0];
    }
    return 0;
}

#define KEY_CHUNK 1000

/* Integer keys a thousand at a time through aw_keys_init_int, with the
 * lanes implementation named by ctx: ns per key. */
static int bench_keys_int(void *ctx, long iters) {
    static aw_key keys[KEY_CHUNK];
    static int64_t values[KEY_CHUNK];
    if (!aw_ripemd160_lanes_use(ctx))
        return 1;
    for (long done = 0; done < iters; done += KEY_CHUNK) {
        size_t n = iters - done < KEY_CHUNK ? (size_t)(iters - done) : KEY_CHUNK;
        for (size_t i = 0; i < n; i++)
            values[i] = done + (long)i;
        if (aw_keys_init_int(keys, n, "test", "colbench", values, NULL) != AW_OK)
            return 1;
        g_sink += keys[n - 1].digest[0];
    }
    return 0;
}

typedef struct put_ctx {
    aw_key key;
    aw_bin bins[5];
    aw_buf buf;
} put_ctx;

static int bench_encode_put(void *ctx, long iters) {
    put_ctx *c = ctx;
    aw_req_opts o = aw_req_opts_default();
    o.timeout_ms = 1000;
    for (long i = 0; i < iters; i++) {
        aw_buf_reset(&c->buf); /* the buffer's memory is reused, as a connection's is */
        if (aw_req_write(&c->buf, &c->key, c->bins, 5, &o, NULL) != AW_OK)
            return 1;
        g_sink += c->buf.len;
    }
    return 0;
}

/* A get of every bin as aw_get builds it, with or without a filter
 * expression compiled once (the cost a filter adds to each command). */
typedef struct get_ctx {
    aw_key key;
    const aw_exp *filter;
    aw_buf buf;
} get_ctx;

static int bench_encode_get(void *ctx, long iters) {
    get_ctx *c = ctx;
    aw_req_opts o = aw_req_opts_default();
    o.timeout_ms = 1000;
    o.filter = c->filter;
    for (long i = 0; i < iters; i++) {
        aw_buf_reset(&c->buf);
        if (aw_req_read(&c->buf, &c->key, NULL, 0, &o, NULL) != AW_OK)
            return 1;
        g_sink += c->buf.len;
    }
    return 0;
}

typedef struct reply_ctx {
    aw_buf body; /* a 5-bin reply body, without the 8-byte proto header */
} reply_ctx;

static int bench_decode_reply(void *ctx, long iters) {
    reply_ctx *c = ctx;
    for (long i = 0; i < iters; i++) {
        int result;
        aw_record rec;
        if (aw_reply_parse_record(c->body.data, c->body.len, NULL, &result, &rec, NULL) != AW_OK ||
            result != 0 || rec.n_bins != 5)
            return 1;
        g_sink += rec.bins[4].value.len;
        aw_record_free(&rec);
    }
    return 0;
}

static int bench_decode_list(void *ctx, long iters) {
    aw_buf *mp = ctx;
    for (long i = 0; i < iters; i++) {
        aw_arena a;
        aw_arena_init(&a, 0);
        aw_value v;
        size_t used;
        if (aw_msgpack_read(mp->data, mp->len, &v, &a, &used, NULL) != AW_OK || v.len != 100)
            return 1;
        g_sink += (uint64_t)v.u.items[99].u.i;
        aw_arena_free(&a);
    }
    return 0;
}

/* ---- inputs ---------------------------------------------------------------- */

static const uint8_t NAME_BLOB[] = {'s', 'e', 'n', '4', '2'};

/* The sensor row of the captures: two floats, two ints, a 5-byte blob. */
static void sensor_bins(aw_bin bins[5]) {
    bins[0] = (aw_bin){"temperature", aw_value_float(41.0)};
    bins[1] = (aw_bin){"humidity", aw_value_int(82)};
    bins[2] = (aw_bin){"status", aw_value_int(1)};
    bins[3] = (aw_bin){"pressure", aw_value_float(971.25)};
    bins[4] = (aw_bin){"name", aw_value_blob(NAME_BLOB, sizeof NAME_BLOB)};
}

/* A reply as the server sends it for a read of that row: result 0,
 * generation 1, one READ op per bin. */
static int build_reply(aw_buf *b) {
    aw_bin bins[5];
    sensor_bins(bins);
    aw_msg_header h = {0};
    h.generation = 1;
    h.n_ops = 5;
    aw_buf_msg_header(b, &h);
    for (int i = 0; i < 5; i++) {
        size_t size = aw_particle_size(&bins[i].value);
        aw_buf_op_header(b, 1, aw_particle_type(&bins[i].value), bins[i].name,
                         (uint8_t)strlen(bins[i].name), (uint32_t)size);
        if (aw_particle_write(b, &bins[i].value, NULL) != AW_OK)
            return 1;
    }
    return aw_buf_ok(b) ? 0 : 1;
}

/* 100 integers of every encoded width (fixint to int64). */
static int build_list(aw_buf *b) {
    aw_value items[100];
    for (int i = 0; i < 100; i++) {
        int64_t v = (int64_t)i << (i % 5 * 12);
        items[i] = aw_value_int(i % 2 ? -v : v);
    }
    aw_value list = aw_value_list(items, 100);
    return aw_msgpack_write(b, &list, NULL) == AW_OK ? 0 : 1;
}

/* ---- running -------------------------------------------------------------- */

typedef struct bench_case {
    const char *name;
    bench_fn fn;
    void *ctx;
    double ns_per_op;
    long iters;
} bench_case;

/* Doubles the count until a run takes 50 ms, then runs long enough for
 * TARGET_SECONDS and reports that run. */
static int run_case(bench_case *bc) {
    long n = 1;
    double t;
    for (;;) {
        double t0 = bl_now_s();
        if (bc->fn(bc->ctx, n))
            return 1;
        t = bl_now_s() - t0;
        if (t >= 0.05 || n > (1L << 40))
            break;
        n *= 2;
    }
    long iters = (long)((double)n * TARGET_SECONDS / (t > 0 ? t : 1e-9));
    if (iters < 1)
        iters = 1;
    double t0 = bl_now_s();
    if (bc->fn(bc->ctx, iters))
        return 1;
    t = bl_now_s() - t0;
    bc->iters = iters;
    bc->ns_per_op = t * 1e9 / (double)iters;
    return 0;
}

int main(int argc, char **argv) {
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            fprintf(stderr, "usage: %s [--json]\n", argv[0]);
            return 2;
        }
    }

    put_ctx put;
    memset(&put, 0, sizeof put);
    sensor_bins(put.bins);
    aw_buf_init(&put.buf);
    reply_ctx reply;
    aw_buf_init(&reply.body);
    aw_buf list;
    aw_buf_init(&list);
    if (aw_key_init_str(&put.key, "test", "sensors", "key-000042", NULL) != AW_OK ||
        build_reply(&reply.body) || build_list(&list)) {
        fprintf(stderr, "aw-microbench: could not build the inputs\n");
        return 1;
    }

    /* The filter: bin_int("a") > 5 && since_update < 1 h. */
    aw_exp *filter = NULL;
    if (aw_exp_parse("$.a > 5 and since_update() < 3600000", &filter, NULL) != AW_OK) {
        fprintf(stderr, "aw-microbench: could not compile the filter\n");
        return 1;
    }
    get_ctx get = {.key = put.key}, get_filtered = {.key = put.key, .filter = filter};
    aw_buf_init(&get.buf);
    aw_buf_init(&get_filtered.buf);

    bench_case cases[] = {
        {"key_digest_str10", bench_digest, NULL, 0, 0},
        {"key_int", bench_key_int, NULL, 0, 0},
        {"keys_int_bulk_avx512", bench_keys_int, (void *)"avx512", 0, 0},
        {"keys_int_bulk_avx2", bench_keys_int, (void *)"avx2", 0, 0},
        {"keys_int_bulk_generic", bench_keys_int, (void *)"generic", 0, 0},
        {"encode_get", bench_encode_get, &get, 0, 0},
        {"encode_get_filter", bench_encode_get, &get_filtered, 0, 0},
        {"encode_put_5bins", bench_encode_put, &put, 0, 0},
        {"decode_reply_5bins", bench_decode_reply, &reply, 0, 0},
        {"decode_msgpack_list100", bench_decode_list, &list, 0, 0},
    };
    size_t n = sizeof cases / sizeof cases[0];
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (run_case(&cases[i])) {
            fprintf(stderr, "aw-microbench: case %s failed\n", cases[i].name);
            rc = 1;
            cases[i].ns_per_op = -1;
            continue;
        }
        if (!json)
            printf("%-24s %10.1f ns/op %14.0f ops/s\n", cases[i].name, cases[i].ns_per_op,
                   1e9 / cases[i].ns_per_op);
    }
    if (json) {
        printf("{");
        for (size_t i = 0; i < n; i++)
            printf("%s\"%s\": {\"ns_per_op\": %.2f, \"ops_per_s\": %.0f, \"iterations\": %ld}",
                   i ? ", " : "", cases[i].name, cases[i].ns_per_op,
                   cases[i].ns_per_op > 0 ? 1e9 / cases[i].ns_per_op : 0.0, cases[i].iters);
        printf("}\n");
    }
    aw_buf_free(&put.buf);
    aw_buf_free(&get.buf);
    aw_buf_free(&get_filtered.buf);
    aw_exp_free(filter);
    aw_buf_free(&reply.body);
    aw_buf_free(&list);
    return rc;
}
