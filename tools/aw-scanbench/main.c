/*
 * aw-scanbench — a whole-set scan into rows, the record path against the
 * columnar one.
 *
 *   aw-scanbench [-h HOST:PORT] [-n RECORDS=1000000] [-C CHUNK=4096] [-m c|r|cr]
 *                [-s SET=scanbench] [-L] [-w NS]
 *
 * RECORDS records of 5 numeric bins (temperature f8, humidity i4, pressure
 * f4, status i2, count i8) are written to namespace test, set SET (-L: the
 * set is already loaded), then scanned whole, each path in a process of its
 * own (so each has its own peak RSS):
 *   records:  aw_query_foreach, every record's bins copied by hand
 *             (aw_record_get per field) into a chunk of CHUNK rows, as an
 *             application filling an array would;
 *   columnar: aw_scan_into straight into a chunk of CHUNK rows.
 * Each chunk is summed field by field, and both paths must find every record
 * and the loaded values' sums (else exit 1). Figures per path: records/s
 * over the wall clock, the client's CPU time per record (user + sys, whole
 * process incl. the tend thread) and the peak RSS (VmHWM), also above the
 * idle client's.
 *
 * -w NS makes the consumer slow: it spends NS nanoseconds per record
 * (spinning, in the record callback or n x NS per chunk), so the server
 * outpaces it. Then aerowire's own allocations are counted too, and each
 * path also prints the most the library held at once above the idle
 * client (its read buffers: what it buffered of the stream). Both figures
 * must not grow with RECORDS: compare -n 100000 with -n 1000000.
 *
 * Without -h it starts aw-testd (next to this program) on free ports,
 * pinned to the last CPU, and pins itself to CPU 0.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "heap.h"
#include "pin.h"
#include "spawn.h"
#include "aerowire/aerowire.h"
#include "aerowire/numpy.h"
#include "aerowire/query.h"

#define NS "test"
#define ROW_DTYPE                                                                       \
    "[('temperature','<f8'),('humidity','<i4'),('pressure','<f4'),('status','<i2'),"     \
    "('count','<i8')]"

typedef struct row {
    double temperature;
    int32_t humidity;
    float pressure;
    int16_t status;
    int64_t count;
} row;

/* The loaded values of record i, and what summing them gives. */
static void make_row(uint64_t i, row *r) {
    r->temperature = (double)(i % 4000) * 0.25;
    r->humidity = (int32_t)(i % 100);
    r->pressure = 1000.0f + (float)(i % 50);
    r->status = (int16_t)(i % 7);
    r->count = (int64_t)i;
}

typedef struct sums {
    uint64_t rows;
    double temperature, pressure;
    int64_t humidity, status, count;
} sums;

static void add_row(sums *s, const row *r) {
    s->rows++;
    s->temperature += r->temperature;
    s->pressure += r->pressure;
    s->humidity += r->humidity;
    s->status += r->status;
    s->count += r->count;
}

static bool sums_equal(const sums *a, const sums *b) {
    return a->rows == b->rows && a->humidity == b->humidity && a->status == b->status &&
           a->count == b->count && a->temperature == b->temperature &&
           a->pressure == b->pressure;
}

static const char *g_host, *g_set = "scanbench";
static uint64_t g_n = 1000000;
static size_t g_chunk = 4096;
static uint64_t g_wait_ns; /* -w: the consumer's time per record */

/* The slow consumer's work: ns nanoseconds of spinning. */
static void consume(uint64_t ns) {
    if (!ns)
        return;
    uint64_t until = bl_now_ns() + ns;
    while (bl_now_ns() < until) {
    }
}

static aw_client *connect_client(void) {
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = g_host;
    aw_client *c;
    aw_error err;
    if (aw_client_new(&c, &cfg, &err) != AW_OK) {
        fprintf(stderr, "aw-scanbench: connect %s: %s\n", g_host, err.message);
        exit(1);
    }
    return c;
}

static int load(void) {
    aw_client *c = connect_client();
    aw_dtype *dt;
    aw_error err;
    if (aw_dtype_parse("[('_key','<i8'),('temperature','<f8'),('humidity','<i4'),"
                       "('pressure','<f4'),('status','<i2'),('count','<i8')]",
                       false, &dt, &err) != AW_OK)
        return 1;
    size_t item = aw_dtype_itemsize(dt), per = 10000;
    unsigned char *rows = malloc(per * item);
    int32_t *codes = malloc(per * sizeof *codes);
    if (!rows || !codes) {
        fprintf(stderr, "aw-scanbench: load: out of memory\n");
        return 1;
    }
    for (uint64_t at = 0; at < g_n; at += per) {
        size_t k = g_n - at < per ? (size_t)(g_n - at) : per;
        for (size_t i = 0; i < k; i++) {
            int64_t key = (int64_t)(at + i);
            row r;
            make_row(at + i, &r);
            unsigned char *p = rows + i * item;
            memcpy(p, &key, 8);
            memcpy(p + 8, &r.temperature, 8);
            memcpy(p + 16, &r.humidity, 4);
            memcpy(p + 20, &r.pressure, 4);
            memcpy(p + 24, &r.status, 2);
            memcpy(p + 26, &r.count, 8);
        }
        if (aw_batch_write_from(c, NULL, rows, k * item, k, dt, NS, g_set, NULL, codes, NULL,
                                NULL, &err) != AW_OK) {
            fprintf(stderr, "aw-scanbench: load: %s\n", err.message);
            return 1;
        }
        /* A row the server refused would leave the scan short of g_n
         * records, and its figures per record wrong. */
        for (size_t i = 0; i < k; i++)
            if (codes[i] != AW_OK) {
                fprintf(stderr, "aw-scanbench: load: record %llu: %s (%d)\n",
                        (unsigned long long)(at + i), aw_strerror(codes[i]), codes[i]);
                return 1;
            }
    }
    free(codes);
    free(rows);
    aw_dtype_free(dt);
    aw_client_close(c);
    return 0;
}

/* ---- the two paths ------------------------------------------------------------ */

typedef struct rec_ctx {
    row *chunk;
    size_t fill;
    sums s;
} rec_ctx;

static int64_t int_bin(const aw_record *rec, const char *name) {
    const aw_value *v = aw_record_get(rec, name);
    return v && v->type == AW_INT ? v->u.i : 0;
}

static double float_bin(const aw_record *rec, const char *name) {
    const aw_value *v = aw_record_get(rec, name);
    return v && v->type == AW_FLOAT ? v->u.f : 0;
}

static void sum_chunk(sums *s, const row *rows, size_t n) {
    for (size_t i = 0; i < n; i++)
        add_row(s, &rows[i]);
}

static bool on_record(const aw_key *key, aw_record *rec, void *udata) {
    rec_ctx *c = udata;
    row *r = &c->chunk[c->fill++];
    r->temperature = float_bin(rec, "temperature");
    r->humidity = (int32_t)int_bin(rec, "humidity");
    r->pressure = (float)float_bin(rec, "pressure");
    r->status = (int16_t)int_bin(rec, "status");
    r->count = int_bin(rec, "count");
    consume(g_wait_ns);
    if (c->fill == g_chunk) {
        sum_chunk(&c->s, c->chunk, c->fill);
        c->fill = 0;
    }
    return true;
}

static bool on_chunk(aw_rows_buffer *buf, size_t n, void *udata) {
    consume(g_wait_ns * n);
    sum_chunk(udata, buf->rows, n);
    return true;
}

/* VmHWM or VmRSS from /proc/self/status: bytes. */
static double proc_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    size_t len = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, len) == 0)
            kb = atof(line + len + 1);
    if (f)
        fclose(f);
    return kb * 1024;
}

/* Runs one path in this (child) process and prints its figures. */
static int run_path(char path, const sums *want) {
    aw_client *c = connect_client();
    row *chunk = calloc(g_chunk, sizeof *chunk);
    aw_dtype *dt;
    aw_error err;
    if (!chunk || aw_dtype_parse(ROW_DTYPE, true, &dt, &err) != AW_OK ||
        aw_dtype_itemsize(dt) != sizeof(row)) {
        fprintf(stderr, "aw-scanbench: the row dtype does not match struct row\n");
        return 1;
    }
    double idle = proc_kb("VmRSS:");
    bl_heap_peak_reset();
    int64_t held_idle = bl_heap_live();
    rec_ctx rc_ctx = {chunk, 0, {0}};
    sums col = {0};
    double t0 = bl_now_s(), c0 = bl_cpu_s();
    int rc;
    if (path == 'c') {
        aw_rows_buffer buf = {chunk, g_chunk, NULL, NULL};
        rc = aw_scan_into(c, NULL, NS, g_set, NULL, dt, &buf, on_chunk, &col, &err);
    } else {
        aw_query q = {.ns = NS, .set = g_set};
        rc = aw_query_foreach(c, NULL, &q, NULL, on_record, &rc_ctx, &err);
        sum_chunk(&rc_ctx.s, chunk, rc_ctx.fill);
    }
    double wall = bl_now_s() - t0, cpu = bl_cpu_s() - c0;
    const sums *got = path == 'c' ? &col : &rc_ctx.s;
    const char *name = path == 'c' ? "columnar (aw_scan_into)" : "records (aw_query_foreach + fill)";
    if (rc != AW_OK) {
        fprintf(stderr, "aw-scanbench: %s: %s\n", name, err.message);
        return 1;
    }
    if (!sums_equal(got, want)) {
        fprintf(stderr, "aw-scanbench: %s: %llu records, not the %llu loaded or not their "
                        "values\n", name, (unsigned long long)got->rows,
                (unsigned long long)want->rows);
        return 1;
    }
    double peak = proc_kb("VmHWM:");
    printf("%-34s %llu records in %.3f s: %.0f records/s, %.3f us cpu/record, "
           "peak RSS %.1f MB (%.1f MB over the idle client)",
           name, (unsigned long long)got->rows, wall, (double)got->rows / wall,
           cpu * 1e6 / (double)got->rows, peak / 1e6, (peak - idle) / 1e6);
    if (g_wait_ns)
        printf(", aerowire held at most %.3f MB", (double)(bl_heap_peak() - held_idle) / 1e6);
    printf("\n");
    aw_dtype_free(dt);
    free(chunk);
    aw_client_close(c);
    return 0;
}

/* Runs fn(arg) in a child process: its exit status. */
static int in_child(int (*fn)(char, const sums *), char path, const sums *want) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = fn(path, want);
        fflush(NULL);
        _exit(rc);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int load_child(char path, const sums *want) { return load(); }

static int usage(void) {
    fprintf(stderr, "usage: aw-scanbench [-h HOST:PORT] [-n RECORDS] [-C CHUNK] [-m c|r|cr] "
                    "[-s SET] [-L] [-w NS]\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *paths = "cr";
    bool loaded = false;
    int opt;
    while ((opt = getopt(argc, argv, "h:n:C:m:s:Lw:")) != -1) {
        switch (opt) {
        case 'h': g_host = optarg; break;
        case 'n': g_n = strtoull(optarg, NULL, 10); break;
        case 'C': g_chunk = (size_t)strtoull(optarg, NULL, 10); break;
        case 'm': paths = optarg; break;
        case 's': g_set = optarg; break;
        case 'L': loaded = true; break;
        case 'w': g_wait_ns = strtoull(optarg, NULL, 10); break;
        default: return usage();
        }
    }
    if (optind < argc || g_n == 0 || g_chunk == 0 || !paths[0] ||
        strspn(paths, "cr") != strlen(paths))
        return usage();
    if (g_wait_ns) /* before any aerowire call */
        bl_heap_count();
    char spawned[256];
    pid_t testd = 0;
    if (!g_host) {
        char why[512];
        testd = td_spawn_on(bl_server_cpu(), spawned, sizeof spawned, why, sizeof why);
        if (testd <= 0) {
            fprintf(stderr, "cannot start aw-testd: %s\n", why);
            return 1;
        }
        g_host = spawned;
        bl_pin_to_cpu0();
    }
    sums want = {0};
    for (uint64_t i = 0; i < g_n; i++) {
        row r;
        make_row(i, &r);
        add_row(&want, &r);
    }
    printf("aw-scanbench: host %s%s, set %s, %llu records of 5 numeric bins, chunks of %zu "
           "rows",
           g_host, testd > 0 ? " (aw-testd)" : "", g_set, (unsigned long long)g_n, g_chunk);
    if (g_wait_ns)
        printf(", a consumer taking %llu ns per record", (unsigned long long)g_wait_ns);
    printf("\n");
    int rc = loaded ? 0 : in_child(load_child, 0, &want);
    for (const char *p = paths; rc == 0 && *p; p++)
        rc = in_child(run_path, *p, &want);
    td_spawn_stop(testd);
    return rc;
}
