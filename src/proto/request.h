/*
 * Single-record request builders. Each appends one complete frame (8-byte
 * proto header + message) to `out` and returns AW_OK or an error with a
 * message naming the bad input (bin name over 15 bytes, bad value, ...).
 * On error `out` is restored to its length on entry.
 */
#ifndef AW_PROTO_REQUEST_H
#define AW_PROTO_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/exp.h"
#include "aerowire/key.h"
#include "aerowire/ops.h"
#include "aerowire/policy.h"
#include "aerowire/record.h"
#include "buf.h"

/* What the policies put on the wire; the client fills it from its policies. */
typedef struct aw_req_opts {
    uint32_t timeout_ms;     /* transaction_ttl (server-side timeout); 0 = server default */
    uint32_t ttl;            /* writes: record TTL; reads: read-touch-TTL percent */
    uint32_t generation;     /* expected generation for AW_GEN_EQ / AW_GEN_GT */
    uint8_t exists;          /* aw_exists_policy */
    uint8_t gen_policy;      /* aw_gen_policy */
    uint8_t commit_level;    /* aw_commit_level */
    bool send_key;           /* add the KEY field (needs a user key) */
    bool durable_delete;
    bool respond_all_ops;    /* operate: one result per op */
    bool read_mode_ap_all;
    bool compress_response;  /* ask for a compressed reply (EE servers) */
    /* Filter expression sent as field 43 (single-record builders only;
     * must be bool or of a type the client cannot tell). */
    const aw_exp *filter;
} aw_req_opts;

/* Defaults: all zero (no timeout on the wire, namespace TTL, no checks). */
static inline aw_req_opts aw_req_opts_default(void) {
    aw_req_opts o = {0};
    return o;
}

/* Read all bins (bins NULL and n_bins 0) or the named bins. */
int aw_req_read(aw_buf *out, const aw_key *key, const char *const *bins, size_t n_bins,
                const aw_req_opts *o, aw_error *err);
/* Header only: generation and void time, no bins (also "exists"). */
int aw_req_read_header(aw_buf *out, const aw_key *key, const aw_req_opts *o, aw_error *err);
/* Put the given bins (an AW_NIL value deletes that bin). */
int aw_req_write(aw_buf *out, const aw_key *key, const aw_bin *bins, size_t n_bins,
                 const aw_req_opts *o, aw_error *err);
int aw_req_delete(aw_buf *out, const aw_key *key, const aw_req_opts *o, aw_error *err);
int aw_req_touch(aw_buf *out, const aw_key *key, const aw_req_opts *o, aw_error *err);
/* Operate: ops in order; info bits derived from the op kinds (see request.c). */
int aw_req_operate(aw_buf *out, const aw_key *key, const aw_op *ops, size_t n_ops,
                   const aw_req_opts *o, aw_error *err);

/* Building blocks shared with the batch encoder. */
/* Checks a key before encoding: not NULL, namespace 1..31 bytes, set at most
 * 63, and a user key present when send_key asks for one. AW_ERR_PARAM or
 * AW_ERR_BAD_NAME with a message naming the culprit. */
int aw_check_key(const aw_key *key, bool send_key, aw_error *err);
/* A filter must be bool (or of a type the client cannot tell): AW_ERR_PARAM
 * otherwise. NULL (no filter) is fine. */
int aw_check_filter(const aw_exp *filter, aw_error *err);
/* Checks ns/set/bin-name limits; AW_ERR_BAD_NAME naming the culprit. */
int aw_check_bin_name(const char *name, aw_error *err);
/* Appends the op for one aw_op (CDT ops encoded as msgpack). */
int aw_buf_op(aw_buf *b, const aw_op *op, aw_error *err);
/* info1/info2 bits and whether any op writes, for a list of ops. */
void aw_ops_info(const aw_op *ops, size_t n, uint8_t *info1, uint8_t *info2, bool *writes);
/* info2/info3 bits for a write under o (exists, generation, durable, commit). */
void aw_write_info(const aw_req_opts *o, uint8_t *info2, uint8_t *info3);
/* Appends the user-key field (type 2): particle type + value. */
int aw_buf_key_field(aw_buf *b, const aw_key *key, aw_error *err);

#endif
