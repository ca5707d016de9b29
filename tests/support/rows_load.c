/* Loading rows with every row's result checked (rows_load.h). */
#include "rows_load.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A row's failure that a write of the same row again can cure. */
static bool worth_again(int32_t code) {
    return code == AW_ERR_TIMEOUT || code == AW_ERR_CONNECTION || code == AW_ERR_NO_RESPONSE;
}

int tu_load_rows(aw_client *c, const aw_batch_policy *policy, const void *rows, size_t n,
                 const aw_dtype *dt, const char *ns, const char *set, char *msg, size_t msg_len) {
    size_t item = aw_dtype_itemsize(dt);
    /* This round's rows (compacted) and their positions in `rows`. */
    uint8_t *todo = malloc(n * item + 1);
    size_t *at = malloc((n + 1) * sizeof *at);
    int32_t *codes = malloc((n + 1) * sizeof *codes);
    int ret = -1;
    if (!todo || !at || !codes) {
        snprintf(msg, msg_len, "load %s: out of memory", set);
        goto out;
    }
    memcpy(todo, rows, n * item);
    for (size_t i = 0; i < n; i++)
        at[i] = i;
    size_t left = n;
    for (int round = 1; left > 0; round++) {
        aw_error err;
        int rc = aw_batch_write_from(c, policy, todo, left * item, left, dt, ns, set, NULL, codes,
                                     NULL, NULL, &err);
        if (rc != AW_OK) {
            snprintf(msg, msg_len, "load %s: %s (%d): %s", set, aw_status_name(rc), rc,
                     err.message);
            goto out;
        }
        size_t failed = 0;
        for (size_t i = 0; i < left; i++) {
            if (codes[i] == AW_OK)
                continue;
            if (!worth_again(codes[i]) || round == TU_LOAD_ROUNDS) {
                size_t bad = 0;
                for (size_t j = i; j < left; j++)
                    bad += codes[j] != AW_OK;
                snprintf(msg, msg_len,
                         "load %s: round %d: %zu of %zu rows failed, first row %zu: %s (%d)", set,
                         round, failed + bad, left, at[i], aw_status_name(codes[i]), codes[i]);
                goto out;
            }
            memmove(todo + failed * item, todo + i * item, item);
            at[failed++] = at[i];
        }
        left = failed;
    }
    ret = 0;
out:
    free(todo);
    free(at);
    free(codes);
    return ret;
}
