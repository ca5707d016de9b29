/*
 * What aw-bench's parts share: the run's settings and client, its workers
 * (sync threads or event loops) and the stop flag.
 */
#ifndef AW_BENCH_BENCH_H
#define AW_BENCH_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "aerowire/aerowire.h"
#include "args.h"
#include "clock.h"
#include "keys.h"
#include "stats.h"

typedef struct worker worker;

typedef struct bench {
    const bench_args *a;
    aw_client *client;
    keyspace ks;
    aw_dtype *dt;               /* the spec's row dtype (columnar modes, loading) */
    size_t itemsize;
    /* Policies, built once from the flags. */
    aw_policy read_pol, write_pol, delete_pol;
    aw_batch_policy batch_read_pol, batch_write_pol;
    bool used[OP_TYPES];        /* op types this run can issue */
    uint64_t insert_keys;       /* I: how many keys to write (from the start) */
    /* Workers. */
    worker **workers;
    size_t n_workers;
    atomic_bool stop;           /* set by the reporter: finish what is in flight */
    atomic_int running;         /* workers not finished yet */
    /* The first error, kept for the summary (taken on the error path only). */
    pthread_mutex_t err_lock;
    uint64_t n_errors_noted;
    int first_code;
    op_type first_type;
    char first_msg[AW_ERROR_MSG_SIZE];
} bench;

/* Fills b from the flags: key space, dtype, policies, op types. AW_OK or
 * an error in err. */
int bench_init(bench *b, const bench_args *a, aw_client *client, aw_error *err);
void bench_free(bench *b);

/* Notes a failed command or row (first one kept; all printed with -d). */
void bench_note_error(bench *b, op_type t, int code, const char *msg);

#endif
