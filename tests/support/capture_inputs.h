/*
 * The single-record commands of official-c-client-vs-asd.json, decoded from
 * their `inputs` into aerowire values, so several suites (the codec's
 * encoders, the client's policy mapping) can rebuild the captured requests
 * without each keeping its own copy of the decoding rules.
 */
#ifndef AW_TEST_CAPTURE_INPUTS_H
#define AW_TEST_CAPTURE_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/aerowire.h"

/* Every captured request used this total timeout and no socket timeout. */
#define CAPTURE_TIMEOUT_MS 1000

typedef enum { K_GET, K_EXISTS, K_PUT, K_TOUCH, K_DELETE, K_OPERATE } cmd_kind;

typedef struct capture_case {
    const char *label;
    cmd_kind kind;
} capture_case;

/* The single-record commands other than the 100 put_sensor_row_N puts. */
extern const capture_case CAPTURE_CASES[];
extern const size_t CAPTURE_N_CASES;

#define CAPTURE_MAX_BINS 8

/* One command's inputs. Values are owned here: capture_inputs_free. */
typedef struct capture_inputs {
    aw_key key;
    /* policies named in the inputs */
    bool send_key;
    aw_exists_policy exists;
    aw_gen_policy gen;
    uint32_t generation;
    uint32_t ttl;
    /* K_GET: bin names (none = all); K_PUT: bins; K_OPERATE: ops */
    const char *names[CAPTURE_MAX_BINS];
    size_t n_names;
    aw_bin bins[CAPTURE_MAX_BINS];
    size_t n_bins;
    aw_op ops[CAPTURE_MAX_BINS];
    size_t n_ops;
    aw_value vals[CAPTURE_MAX_BINS];
} capture_inputs;

/* Decodes the inputs of the captured command `label` (fails the test on
 * anything it does not know). */
void capture_inputs_load(const char *label, cmd_kind kind, capture_inputs *in);
void capture_inputs_free(capture_inputs *in);

/* Fails the test, printing where they first differ, unless got == want_hex. */
void assert_hex_equal(const char *label, const uint8_t *got, size_t got_len,
                      const char *want_hex);

#endif
