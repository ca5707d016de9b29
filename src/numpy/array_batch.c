/*
 * Chunk batches: sources and sinks on the batch engine (as the row layer's
 * are), so chunks go to their nodes in per-node requests, all nodes at
 * once, and a read decodes each chunk straight from the reply into the
 * caller's memory (no record objects, no second copy).
 *
 * A call walks its chunks in batches of at most batch_bytes of data and
 * AW_ARR_BATCH_MAX_CHUNKS keys: each batch is one engine run (one command
 * for the policy's timeouts), and the keys it needs are built once into
 * arrays the call holds.
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "client/batch_exec.h"
#include "client/client_impl.h"
#include "numpy/array_internal.h"
#include "proto/mem.h"

aw_batch_policy aw_arr_batch_policy(aw_client *client, const aw_policy *policy, bool write) {
    aw_batch_policy bp = aw_batch_policy_default();
    uint32_t retries = bp.base.max_retries;
    bp.base = *aw_client_policy(client, policy, write);
    /* Chunk rows that write are retried only when they never left (the
     * engine's rule), so the batch default's retries are safe for them. */
    if (bp.base.max_retries < retries)
        bp.base.max_retries = retries;
    bp.base.send_key = false;
    bp.base.gen = AW_GEN_IGNORE;
    bp.base.exists = AW_EXISTS_UPDATE;
    return bp;
}

/* --- Keys of a run of chunks ---------------------------------------------------------- */

typedef struct keyset {
    aw_key *keys;
    uint8_t (*blobs)[AW_ARRAY_CHUNK_KEY_SIZE];
    uint32_t cap;        /* chunks per batch */
} keyset;

static int keyset_init(keyset *k, uint32_t chunk_bytes, uint32_t batch_bytes, uint32_t n_chunks,
                       aw_error *err) {
    uint32_t cap = batch_bytes / chunk_bytes;
    if (cap < 1)
        cap = 1;
    if (cap > AW_ARR_BATCH_MAX_CHUNKS)
        cap = AW_ARR_BATCH_MAX_CHUNKS;
    if (cap > n_chunks)
        cap = n_chunks ? n_chunks : 1;
    k->cap = cap;
    k->keys = aw_calloc(cap, sizeof *k->keys);
    k->blobs = aw_calloc(cap, sizeof *k->blobs);
    if (!k->keys || !k->blobs) {
        aw_free(k->keys);
        aw_free(k->blobs);
        return aw_error_set(err, AW_ERR_NOMEM, "array: out of memory for chunk keys");
    }
    return AW_OK;
}

static void keyset_free(keyset *k) {
    aw_free(k->keys);
    aw_free(k->blobs);
}

/* Keys of chunks [c0, c0 + n) (n <= cap). */
static int keyset_fill(keyset *k, const aw_key *array_key, uint64_t version, uint32_t c0,
                       uint32_t n, aw_error *err) {
    for (uint32_t i = 0; i < n; i++) {
        int rc = aw_array_chunk_key(array_key, version, c0 + i, k->blobs[i], &k->keys[i], err);
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}

/* What every job shares: the keys of its batch, its first chunk, and the
 * first failure seen (lowest chunk index wins, so messages are stable). */
typedef struct job {
    keyset ks;
    const aw_key *array_key;
    uint64_t version;
    uint32_t n_chunks;
    uint32_t c0;
    aw_req_opts opts;
    int fail_code;
    uint32_t fail_chunk;
    bool fail_doubt;
    char fail_msg[AW_ERROR_MSG_SIZE];
    bool stop;           /* no further batches: something failed */
} job;

static const aw_key *keyset_key(void *ctx, size_t i) { return &((job *)ctx)->ks.keys[i]; }

static bool writes_yes(void *ctx, size_t i) {
    (void)ctx;
    (void)i;
    return true;
}

static bool writes_no(void *ctx, size_t i) {
    (void)ctx;
    (void)i;
    return false;
}

static void job_fail(job *j, uint32_t chunk, int code, bool in_doubt, const char *msg) {
    j->stop = true;
    if (j->fail_code != AW_OK && j->fail_chunk <= chunk)
        return;
    j->fail_code = code;
    j->fail_chunk = chunk;
    j->fail_doubt = in_doubt;
    snprintf(j->fail_msg, sizeof j->fail_msg, "%s", msg ? msg : aw_strerror(code));
}

/* A row that failed without the server's answer, or with one. */
static void job_row_error(job *j, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                          const aw_error *e) {
    if (result == AW_OK && !m)
        result = AW_ERR_CLIENT; /* the engine never does this */
    job_fail(j, j->c0 + (uint32_t)i, result, in_doubt, e && e->code ? e->message : NULL);
}

static int job_report(const job *j, aw_error *err) {
    char name[96];
    aw_arr_chunk_name(j->array_key, j->version, j->fail_chunk, j->n_chunks, name);
    int rc = aw_error_set(err, j->fail_code, "%s: %s", name, j->fail_msg);
    if (err)
        err->in_doubt = j->fail_doubt;
    return rc;
}

/* Runs chunks [first, end) through src/sink, a batch of at most the
 * keyset's capacity at a time, until one fails. Each batch is a command of
 * its own for the trace hook, named `name`. */
static int run_batches(aw_client *client, const aw_batch_policy *bp, job *j,
                       aw_batch_source *src, aw_batch_sink *sink, uint32_t first, uint32_t end,
                       const char *name, aw_error *err) {
    for (uint32_t c = first; c < end; c += j->ks.cap) {
        uint32_t n = end - c < j->ks.cap ? end - c : j->ks.cap;
        int rc = keyset_fill(&j->ks, j->array_key, j->version, c, n, err);
        if (rc != AW_OK)
            return rc;
        j->c0 = c;
        src->n = n;
        rc = aw_batch_exec(client, bp, src, sink, name, err);
        if (rc != AW_OK)
            return rc;
        if (j->stop)
            break;
    }
    return AW_OK;
}

/* --- Writing chunks ---------------------------------------------------------------------- */

typedef struct write_job {
    job j;
    const aw_arr_write *w;
    aw_op ops[5];
    uint8_t *zbuf;
    uLong zcap;
} write_job;

static int write_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    write_job *wj = ctx;
    const aw_arr_write *w = wj->w;
    uint32_t c = wj->j.c0 + (uint32_t)i;
    uint32_t len = aw_arr_chunk_len(w->nbytes, w->chunk_bytes, c);
    const uint8_t *p = w->data + (uint64_t)c * w->chunk_bytes;
    int z = 0;
    if (w->compress) {
        /* Compressed again on a retry: the scratch holds one row at a time. */
        uLongf zlen = wj->zcap;
        if (compress2(wj->zbuf, &zlen, p, len, w->level) == Z_OK && zlen < len) {
            p = wj->zbuf;
            len = (uint32_t)zlen;
            z = 1;
        }
    }
    wj->ops[0] = aw_op_write(AW_ARR_OF, aw_value_blob(w->array_key->digest, AW_DIGEST_SIZE));
    wj->ops[1] = aw_op_write(AW_ARR_VER, aw_value_int((int64_t)w->version));
    wj->ops[2] = aw_op_write(AW_ARR_IDX, aw_value_int(c));
    wj->ops[3] = aw_op_write(AW_ARR_Z, aw_value_int(z));
    wj->ops[4] = aw_op_write(AW_ARR_DATA, aw_value_blob(p, len));
    row->key = &wj->j.ks.keys[i];
    row->kind = AW_BATCH_OPERATE;
    row->bins = NULL;
    row->n_bins = 0;
    row->ops = wj->ops;
    row->n_ops = 5;
    row->opts = &wj->j.opts;
    (void)err;
    return AW_OK;
}

static void write_sink(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                       const aw_error *e) {
    write_job *wj = ctx;
    if (result != AW_OK || !m)
        job_row_error(&wj->j, i, result, in_doubt, m, e);
}

int aw_arr_write_chunks(aw_client *client, const aw_arr_write *w, aw_error *err) {
    write_job wj;
    memset(&wj, 0, sizeof wj);
    wj.w = w;
    wj.j.array_key = w->array_key;
    wj.j.version = w->version;
    wj.j.n_chunks = w->n_chunks;
    aw_batch_policy bp = aw_arr_batch_policy(client, w->policy, true);
    wj.j.opts = aw_cmd_row_opts(&bp.base, false);
    wj.j.opts.exists = AW_EXISTS_REPLACE; /* a chunk is written whole */
    int rc = keyset_init(&wj.j.ks, w->chunk_bytes, w->batch_bytes, w->n_chunks, err);
    if (rc != AW_OK)
        return rc;
    if (w->compress) {
        wj.zcap = compressBound(w->chunk_bytes);
        if (!(wj.zbuf = aw_malloc(wj.zcap))) {
            keyset_free(&wj.j.ks);
            return aw_error_set(err, AW_ERR_NOMEM, "array: out of memory");
        }
    }
    aw_batch_source src = {0, write_row, keyset_key, writes_yes, &wj, false};
    aw_batch_sink sink = {write_sink, &wj};
    rc = run_batches(client, &bp, &wj.j, &src, &sink, 0, w->n_chunks, "array_write_chunks",
                     err);
    if (rc == AW_OK && wj.j.fail_code != AW_OK)
        rc = job_report(&wj.j, err);
    aw_free(wj.zbuf);
    keyset_free(&wj.j.ks);
    return rc;
}

/* --- Deleting chunks ---------------------------------------------------------------------- */

static int delete_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    job *j = ctx;
    (void)err;
    memset(row, 0, sizeof *row);
    row->key = &j->ks.keys[i];
    row->kind = AW_BATCH_DELETE;
    row->opts = &j->opts;
    return AW_OK;
}

static void delete_sink(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                        const aw_error *e) {
    job *j = ctx;
    if (result != AW_OK && result != AW_ERR_RECORD_NOT_FOUND)
        job_row_error(j, i, result, in_doubt, m, e);
}

int aw_arr_delete_chunks(aw_client *client, const aw_policy *policy, const aw_key *array_key,
                         uint64_t version, uint32_t n_chunks, aw_error *err) {
    if (n_chunks == 0)
        return AW_OK;
    job j;
    memset(&j, 0, sizeof j);
    j.array_key = array_key;
    j.version = version;
    j.n_chunks = n_chunks;
    aw_batch_policy bp = aw_arr_batch_policy(client, policy, true);
    j.opts = aw_cmd_row_opts(&bp.base, false);
    /* Deletes carry no data: as many keys per batch as it takes. */
    int rc = keyset_init(&j.ks, 1, AW_ARR_BATCH_MAX_CHUNKS, n_chunks, err);
    if (rc != AW_OK)
        return rc;
    aw_batch_source src = {0, delete_row, keyset_key, writes_yes, &j, false};
    aw_batch_sink sink = {delete_sink, &j};
    rc = run_batches(client, &bp, &j, &src, &sink, 0, n_chunks, "array_delete_chunks", err);
    if (rc == AW_OK && j.fail_code != AW_OK)
        rc = job_report(&j, err);
    keyset_free(&j.ks);
    return rc;
}

/* --- Reading chunks ------------------------------------------------------------------------ */

static const char *const CHUNK_BINS[] = {AW_ARR_OF, AW_ARR_VER, AW_ARR_IDX, AW_ARR_Z, AW_ARR_DATA};

typedef struct read_job {
    job j;
    const aw_arr_hdr *h;
    uint64_t lo, hi;          /* array bytes wanted; out[0] is byte lo */
    uint8_t *out;
    uint8_t *scratch;         /* one chunk, for compressed partial chunks */
    bool missing;
    uint32_t missing_chunk;
    uint32_t n_missing;
    int corrupt_code;
    uint32_t corrupt_chunk;
    char corrupt_msg[AW_ERROR_MSG_SIZE];
} read_job;

static int read_row(void *ctx, size_t i, aw_batch_row *row, aw_error *err) {
    read_job *rj = ctx;
    (void)err;
    memset(row, 0, sizeof *row);
    row->key = &rj->j.ks.keys[i];
    row->kind = AW_BATCH_READ;
    row->bins = CHUNK_BINS;
    row->n_bins = 5;
    row->opts = &rj->j.opts;
    return AW_OK;
}

static void read_sink(void *ctx, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                      const aw_error *e) {
    read_job *rj = ctx;
    uint32_t c = rj->j.c0 + (uint32_t)i;
    if (result == AW_ERR_RECORD_NOT_FOUND) {
        if (!rj->missing || c < rj->missing_chunk)
            rj->missing_chunk = c;
        rj->missing = true;
        rj->n_missing++;
        rj->j.stop = true;
        return;
    }
    if (result != AW_OK || !m) {
        job_row_error(&rj->j, i, result, in_doubt, m, e);
        return;
    }
    const aw_arr_hdr *h = rj->h;
    uint64_t cs = (uint64_t)c * h->chunk_bytes;
    uint32_t len = aw_arr_chunk_len(h->nbytes, h->chunk_bytes, c);
    uint64_t from = rj->lo > cs ? rj->lo : cs;
    uint64_t to = rj->hi < cs + len ? rj->hi : cs + len;
    aw_arr_take t = {
        .array_key = rj->j.array_key,
        .version = h->version,
        .index = c,
        .n_chunks = h->n_chunks,
        .len = len,
        .crc = aw_arr_hdr_crc(h, c),
        .skip = (uint32_t)(from - cs),
        .take = (uint32_t)(to - from),
        .out = rj->out + (from - rj->lo),
        .scratch = rj->scratch,
    };
    aw_error te;
    if (aw_arr_chunk_take(m, &t, &te) != AW_OK &&
        (rj->corrupt_code == AW_OK || c < rj->corrupt_chunk)) {
        rj->j.stop = true;
        rj->corrupt_code = te.code;
        rj->corrupt_chunk = c;
        snprintf(rj->corrupt_msg, sizeof rj->corrupt_msg, "%s", te.message);
    }
}

int aw_arr_read_chunks(aw_client *client, const aw_policy *policy, const aw_key *array_key,
                       const aw_arr_hdr *h, uint64_t lo, uint64_t hi, uint8_t *out,
                       bool *missing, aw_error *err) {
    *missing = false;
    if (lo >= hi)
        return AW_OK;
    read_job rj;
    memset(&rj, 0, sizeof rj);
    rj.j.array_key = array_key;
    rj.j.version = h->version;
    rj.j.n_chunks = h->n_chunks;
    rj.h = h;
    rj.lo = lo;
    rj.hi = hi;
    rj.out = out;
    aw_batch_policy bp = aw_arr_batch_policy(client, policy, false);
    rj.j.opts = aw_cmd_row_opts(&bp.base, true);
    uint32_t first = (uint32_t)(lo / h->chunk_bytes);
    uint32_t end = (uint32_t)((hi + h->chunk_bytes - 1) / h->chunk_bytes);
    int rc = keyset_init(&rj.j.ks, h->chunk_bytes, AW_ARRAY_BATCH_BYTES, end - first, err);
    if (rc != AW_OK)
        return rc;
    /* Scratch only when a compressed chunk is cut by the range's ends. */
    if (h->compressed && (lo % h->chunk_bytes != 0 || (hi != h->nbytes && hi % h->chunk_bytes)) &&
        !(rj.scratch = aw_malloc(h->chunk_bytes))) {
        keyset_free(&rj.j.ks);
        return aw_error_set(err, AW_ERR_NOMEM, "array: out of memory");
    }
    aw_batch_source src = {0, read_row, keyset_key, writes_no, &rj, true};
    aw_batch_sink sink = {read_sink, &rj};
    rc = run_batches(client, &bp, &rj.j, &src, &sink, first, end, "array_read_chunks", err);
    if (rc == AW_OK && rj.corrupt_code != AW_OK) {
        rc = aw_error_set(err, rj.corrupt_code, "%s", rj.corrupt_msg);
    } else if (rc == AW_OK && rj.j.fail_code != AW_OK) {
        rc = job_report(&rj.j, err);
    } else if (rc == AW_OK && rj.missing) {
        char name[96];
        aw_arr_chunk_name(array_key, h->version, rj.missing_chunk, h->n_chunks, name);
        *missing = true;
        if (rj.n_missing > 1)
            rc = aw_error_set(err, AW_ERR_ARRAY_CORRUPT, "%s is missing (and %u more)", name,
                              rj.n_missing - 1);
        else
            rc = aw_error_set(err, AW_ERR_ARRAY_CORRUPT, "%s is missing", name);
    }
    aw_free(rj.scratch);
    keyset_free(&rj.j.ks);
    return rc;
}
