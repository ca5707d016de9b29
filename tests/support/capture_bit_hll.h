/*
 * Bit and HLL ops rebuilt from the `inputs` of official-c-client-cdt.json
 * through the ops_bit.h / ops_hll.h builders, for the suites that re-encode
 * captured operates (test_bit_hll_ops, test_cdt_ops).
 */
#ifndef AW_TEST_CAPTURE_BIT_HLL_H
#define AW_TEST_CAPTURE_BIT_HLL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "aerowire/aerowire.h"

#define TU_OP_STORAGE_MAX 64

/* Everything the ops of one command borrow: tu_op_storage_free. */
typedef struct tu_op_storage {
    void *mem[TU_OP_STORAGE_MAX];
    size_t n_mem;
} tu_op_storage;

void tu_op_storage_free(tu_op_storage *st);

/* One bit (HLL) op from its inputs; false when `what` is not one. */
bool tu_bit_op_from(json_t *o, const char *what, const char *bin, tu_op_storage *st, aw_op *op);
bool tu_hll_op_from(json_t *o, const char *what, const char *bin, tu_op_storage *st, aw_op *op);

#endif
