/*
 * Loading a suite's data set with aw_batch_write_from, every row checked.
 * The call returns AW_OK even when rows failed (each row has its own code);
 * under a sanitizer build on a busy machine, batches of thousands of rows
 * miss the default policy's 1 s total timeout, and a load that ignored the
 * codes left a set silently short of what its test then expected.
 */
#ifndef AW_ROWS_LOAD_H
#define AW_ROWS_LOAD_H

#include <stddef.h>

#include "aerowire/batch.h"
#include "aerowire/client.h"
#include "aerowire/numpy.h"

/* Rounds of writing the rows that timed out or lost their connection again. */
#define TU_LOAD_ROUNDS 8

/* Writes n rows of dt (keys from its "_key" field) to ns/set. Rows that
 * timed out or whose connection failed are written again (the same key and
 * bins: only the generation grows), up to TU_LOAD_ROUNDS rounds in all.
 * 0 when every row was stored; -1 when the call failed, a row got any other
 * code, or rows still failed after the last round, with msg (msg_len bytes)
 * saying how many and the first one's row and code. policy may be NULL. */
int tu_load_rows(aw_client *c, const aw_batch_policy *policy, const void *rows, size_t n,
                 const aw_dtype *dt, const char *ns, const char *set, char *msg, size_t msg_len);

#endif
