/*
 * aw-arraybench — storing and loading one whole float32 array (aerowire/array.h).
 *
 *   aw-arraybench [-h HOST:PORT] [-m MiB=256] [-c CHUNK_BYTES] [-z] [-r REPEAT=3]
 *
 * Builds a float32 array of MiB MiB, shape (MiB * 256, 1024), with
 * deterministic values (row r, column c: (r % 4096) + c / 1024, exact in
 * float32), then REPEAT times: aw_array_put (from the second repeat on, an
 * overwrite, which also deletes the previous version's chunks),
 * aw_array_open (the median of 21 opens), aw_array_read of the whole array
 * into memory, aw_array_read_rows of 1/16 of the rows (from a third of the
 * way in, so not chunk-aligned), and aw_array_read_npy to a temporary file.
 * Every read is compared with what was written (memcmp; the file through
 * its .npy header and data); a difference exits 1. -c sets the chunk size
 * (default AW_ARRAY_DEFAULT_CHUNK), -z compresses chunks with zlib (level 1
 * shrinks these values about 3.9 times).
 *
 * Figures: MiB/s over the wall clock, the client's CPU seconds (getrusage,
 * user + sys, whole process: the batch engine's and the tend thread's too)
 * and its minor page faults (memory taken fresh from the system: what makes
 * the first repeat slower); for open, milliseconds, the median of the 21.
 * Without -h it starts aw-testd (next to this program) on free ports, pinned
 * to the last CPU, and pins itself to CPU 0. The array is deleted at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "pin.h"
#include "spawn.h"
#include "aerowire/aerowire.h"

#define COLS 1024u
#define OPENS 21               /* opens timed per repeat (the median is shown) */
#define MAX_REPEAT 100
#define NS "test"
#define SET "arraybench"

typedef struct figure {
    double wall, cpu, faults; /* seconds, seconds, minor page faults */
} figure;


/* The figures of one repeat, by operation. */
enum { OP_PUT, OP_OPEN, OP_READ, OP_ROWS, OP_NPY, N_OPS };
static const char *const OP_NAMES[N_OPS] = {"put", "open", "read", "read_rows 1/16", "read_npy"};

typedef struct bench {
    aw_client *client;
    aw_key key;
    aw_dtype *dt;
    float *data;           /* what is stored */
    uint8_t *buf;          /* whole reads land here */
    uint64_t rows, nbytes, row_bytes;
    uint64_t slice_i, slice_j;
    aw_array_opts opts;
    aw_policy put_pol, read_pol;
    char npy_path[256];
} bench;

static void die(const char *what, const aw_error *err) {
    fprintf(stderr, "aw-arraybench: %s: %s (%s)\n", what, err->message, aw_status_name(err->code));
}

static void fill(float *data, uint64_t rows) {
    for (uint64_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < COLS; c++)
            data[r * COLS + c] = (float)(r % 4096) + (float)c / 1024.0f;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The .npy file against the data: its header's dtype and shape, then its
 * bytes, read in pieces. */
static bool npy_matches(const bench *b) {
    aw_npy_header h;
    aw_error err;
    if (aw_npy_read_header(b->npy_path, &h, &err) != AW_OK) {
        die("the .npy file's header", &err);
        return false;
    }
    char *descr = aw_dtype_descr(h.dtype);
    bool ok = descr && strcmp(descr, "'<f4'") == 0 && h.ndim == 2 && h.shape[0] == b->rows &&
              h.shape[1] == COLS && h.nbytes == b->nbytes;
    aw_free(descr);
    if (!ok)
        fprintf(stderr, "aw-arraybench: %s: not a (%" PRIu64 ", %u) <f4 array\n", b->npy_path,
                b->rows, COLS);
    int fd = ok ? open(b->npy_path, O_RDONLY) : -1;
    const size_t piece = 16u << 20;
    uint8_t *p = ok ? malloc(piece) : NULL;
    for (uint64_t at = 0; ok && at < b->nbytes; at += piece) {
        size_t want = b->nbytes - at < piece ? (size_t)(b->nbytes - at) : piece;
        ok = p && fd >= 0 && pread(fd, p, want, (off_t)(h.data_offset + at)) == (ssize_t)want &&
             memcmp(p, (const uint8_t *)b->data + at, want) == 0;
        if (!ok)
            fprintf(stderr, "aw-arraybench: %s differs from the array near byte %" PRIu64 "\n",
                    b->npy_path, at);
    }
    free(p);
    if (fd >= 0)
        close(fd);
    aw_npy_header_clear(&h);
    return ok;
}

/* A read's outcome: its error, or whether it got exactly the bytes written. */
static bool checked(bool ok, int rc, const aw_error *err, const char *what, const void *got,
                    const void *want, size_t n) {
    if (rc != AW_OK) {
        die(what, err);
        return false;
    }
    if (memcmp(got, want, n) != 0) {
        fprintf(stderr, "aw-arraybench: %s: the data differs from what was written\n", what);
        return false;
    }
    return ok;
}

/* One repeat: every operation timed into f[]; false on an error or a difference. */
static bool one_repeat(bench *b, figure f[N_OPS]) {
    aw_error err;
    uint64_t shape[2] = {b->rows, COLS};
    double t = bl_now_s(), c = bl_cpu_s(), pf = bl_minflt();
    if (aw_array_put(b->client, &b->put_pol, &b->key, b->data, b->nbytes, b->dt, shape, 2, NULL, 0,
                     &b->opts, &err) != AW_OK) {
        die("aw_array_put", &err);
        return false;
    }
    f[OP_PUT] = (figure){bl_now_s() - t, bl_cpu_s() - c, bl_minflt() - pf};

    double walls[OPENS], cpus[OPENS], faults[OPENS];
    aw_array_ref *ref = NULL;
    for (int i = 0; i < OPENS; i++) {
        aw_array_ref_free(ref);
        t = bl_now_s(), c = bl_cpu_s(), pf = bl_minflt();
        if (aw_array_open(b->client, &b->read_pol, &b->key, &ref, &err) != AW_OK) {
            die("aw_array_open", &err);
            return false;
        }
        walls[i] = bl_now_s() - t;
        cpus[i] = bl_cpu_s() - c;
        faults[i] = bl_minflt() - pf;
    }
    f[OP_OPEN] = (figure){median(walls, OPENS), median(cpus, OPENS), median(faults, OPENS)};
    bool ok = aw_array_nbytes(ref) == b->nbytes;

    t = bl_now_s(), c = bl_cpu_s(), pf = bl_minflt();
    int rc = aw_array_read(b->client, ref, b->buf, b->nbytes, &err);
    f[OP_READ] = (figure){bl_now_s() - t, bl_cpu_s() - c, bl_minflt() - pf};
    ok = checked(ok, rc, &err, "aw_array_read", b->buf, b->data, b->nbytes);

    uint64_t off = b->slice_i * b->row_bytes, len = (b->slice_j - b->slice_i) * b->row_bytes;
    t = bl_now_s(), c = bl_cpu_s(), pf = bl_minflt();
    rc = aw_array_read_rows(b->client, ref, b->slice_i, b->slice_j, b->buf, len, &err);
    f[OP_ROWS] = (figure){bl_now_s() - t, bl_cpu_s() - c, bl_minflt() - pf};
    ok = checked(ok, rc, &err, "aw_array_read_rows", b->buf, (const uint8_t *)b->data + off, len);

    t = bl_now_s(), c = bl_cpu_s(), pf = bl_minflt();
    rc = aw_array_read_npy(b->client, ref, b->npy_path, &err);
    f[OP_NPY] = (figure){bl_now_s() - t, bl_cpu_s() - c, bl_minflt() - pf};
    if (rc != AW_OK)
        die("aw_array_read_npy", &err);
    ok = ok && rc == AW_OK && npy_matches(b);
    unlink(b->npy_path);
    aw_array_ref_free(ref);
    return ok;
}

static void print_figures(const bench *b, const figure f[N_OPS]) {
    for (int op = 0; op < N_OPS; op++) {
        if (op == OP_OPEN) {
            printf("  %-15s %9.3f ms            cpu %7.3f ms  faults %7.0f\n", OP_NAMES[op],
                   f[op].wall * 1e3, f[op].cpu * 1e3, f[op].faults);
            continue;
        }
        uint64_t bytes = op == OP_ROWS ? (b->slice_j - b->slice_i) * b->row_bytes : b->nbytes;
        printf("  %-15s %9.1f MiB/s  wall %7.3f s  cpu %7.3f s   faults %7.0f\n", OP_NAMES[op],
               (double)bytes / 1048576.0 / f[op].wall, f[op].wall, f[op].cpu, f[op].faults);
    }
}

static int usage(void) {
    fprintf(stderr, "usage: aw-arraybench [-h HOST:PORT] [-m MiB=256] [-c CHUNK_BYTES] [-z] "
                    "[-r REPEAT=3]\n");
    return 2;
}

/* A whole decimal number in [lo, hi], or false. */
static bool parse_num(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Runs the repeats and prints them and their medians; the exit code. */
static int run(bench *b, int repeat) {
    figure f[MAX_REPEAT][N_OPS];
    for (int r = 0; r < repeat; r++) {
        if (!one_repeat(b, f[r]))
            return 1;
        printf("repeat %d%s\n", r + 1, r == 0 ? " (put into an empty key)" : " (put overwrites)");
        print_figures(b, f[r]);
        fflush(stdout);
    }
    figure med[N_OPS];
    for (int op = 0; op < N_OPS; op++) {
        double w[MAX_REPEAT], c[MAX_REPEAT], pf[MAX_REPEAT];
        for (int r = 0; r < repeat; r++) {
            w[r] = f[r][op].wall;
            c[r] = f[r][op].cpu;
            pf[r] = f[r][op].faults;
        }
        med[op] = (figure){median(w, (size_t)repeat), median(c, (size_t)repeat),
                           median(pf, (size_t)repeat)};
    }
    printf("median of %d\n", repeat);
    print_figures(b, med);
    aw_error err;
    double t = bl_now_s();
    if (aw_array_delete(b->client, &b->put_pol, &b->key, &err) != AW_OK) {
        die("aw_array_delete", &err);
        return 1;
    }
    printf("delete: %.3f s\n", bl_now_s() - t);
    return 0;
}

int main(int argc, char **argv) {
    const char *host = NULL;
    long mib = 256, chunk = 0, repeat = 3;
    bool compress = false;
    int opt;
    while ((opt = getopt(argc, argv, "h:m:c:zr:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        /* 8192 MiB of float32 is 2^31 elements, the most an array holds. */
        case 'm': if (!parse_num(optarg, 1, 8192, &mib)) return usage(); break;
        case 'c':
            if (!parse_num(optarg, AW_ARRAY_MIN_CHUNK, AW_ARRAY_MAX_CHUNK, &chunk))
                return usage();
            break;
        case 'z': compress = true; break;
        case 'r': if (!parse_num(optarg, 1, MAX_REPEAT, &repeat)) return usage(); break;
        default: return usage();
        }
    }
    if (optind != argc)
        return usage();

    bench b = {0};
    b.rows = (uint64_t)mib * 256;
    b.row_bytes = COLS * sizeof(float);
    b.nbytes = b.rows * b.row_bytes;
    b.slice_i = b.rows / 3;
    b.slice_j = b.slice_i + b.rows / 16;
    b.opts.chunk_bytes = (uint32_t)chunk;
    b.opts.compress = compress;
    aw_error err;
    aw_dtype_parse_flags("<f4", AW_DTYPE_ARRAY, &b.dt, &err);
    b.data = malloc(b.nbytes);
    b.buf = malloc(b.nbytes);
    char dir[] = "/tmp/aw-arraybench-XXXXXX";
    if (!b.dt || !b.data || !b.buf || !mkdtemp(dir)) {
        fprintf(stderr, "aw-arraybench: out of memory for 2 x %ld MiB, or no temporary directory\n",
                mib);
        return 1;
    }
    snprintf(b.npy_path, sizeof b.npy_path, "%s/array.npy", dir);
    fill(b.data, b.rows);
    /* Fault the pages in before any timing (not with zeros: malloc + memset 0
     * may become calloc, which touches nothing). */
    memset(b.buf, 0xa5, b.nbytes);

    char spawned[256];
    pid_t testd = 0;
    if (!host) {
        char why[512];
        testd = td_spawn_on(bl_server_cpu(), spawned, sizeof spawned, why, sizeof why);
        if (testd <= 0) {
            fprintf(stderr, "aw-arraybench: cannot start aw-testd: %s\n", why);
            return 1;
        }
        host = spawned;
        bl_pin_to_cpu0();
    }
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = host;
    int rc = 1;
    if (aw_client_new(&b.client, &cfg, &err) != AW_OK) {
        die(host, &err);
    } else {
        /* Each command of a put or read is one batch of up to 16 MiB: 30 s is plenty. */
        b.put_pol = aw_policy_write();
        b.read_pol = aw_policy_read();
        b.put_pol.total_timeout_ms = b.read_pol.total_timeout_ms = 30000;
        aw_key_init_str(&b.key, NS, SET, "bench", &err);
        uint32_t cb = chunk ? (uint32_t)chunk : AW_ARRAY_DEFAULT_CHUNK;
        uint64_t n_chunks = b.nbytes <= cb ? 0 : (b.nbytes + cb - 1) / cb; /* 0: inline */
        printf("aw-arraybench: %ld MiB float32, shape (%" PRIu64 ", %u); chunks of %" PRIu32
               " bytes (%" PRIu64 " chunks), zlib %s; rows %" PRIu64 ":%" PRIu64
               " for read_rows; host %s%s; %ld repeat%s\n",
               mib, b.rows, COLS, cb, n_chunks, compress ? "level 1" : "off",
               b.slice_i, b.slice_j, host, testd > 0 ? " (aw-testd)" : "", repeat,
               repeat == 1 ? "" : "s");
        rc = run(&b, (int)repeat);
        aw_client_close(b.client);
    }
    td_spawn_stop(testd);
    rmdir(dir);
    free(b.data);
    free(b.buf);
    aw_dtype_free(b.dt);
    return rc;
}
