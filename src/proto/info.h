/*
 * The info protocol (proto type 1): requests, `name\tvalue` replies, and the
 * parsers for the values cluster tending needs. All parsers take (pointer,
 * length), are zero-copy where they can be, and never read outside.
 */
#ifndef AW_PROTO_INFO_H
#define AW_PROTO_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/key.h"
#include "buf.h"

/* Appends a type-1 frame asking for the names (each gets a '\n'). n = 0
 * sends an empty body (the server's default summary). Returns AW_OK;
 * AW_ERR_PARAM for a NULL/empty name, one containing '\n' or '\t', or a body
 * over AW_PROTO_SIZE_MAX (out is then untouched); AW_ERR_NOMEM when out
 * cannot grow (out is then in its sticky OOM state). */
int aw_info_request(aw_buf *out, const char *const *names, size_t n, aw_error *err);

/* One `name\tvalue` line of a reply; both point into the reply body. A line
 * without a tab has value_len 0 and value == NULL. */
typedef struct aw_info_pair {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} aw_info_pair;

/* Iterates lines: pos starts at 0; returns false at the end. Blank lines are
 * skipped and the final '\n' may be missing. The value is everything after
 * the first tab (it may hold ':' ';' '=' ',' or more tabs). */
bool aw_info_next(const char *body, size_t len, size_t *pos, aw_info_pair *pair);
/* Finds the value for `name` (exact match, first occurrence); false if absent.
 * A name echoed without a tab counts as an empty value: true, *value_len 0
 * and *value non-NULL. The value points into body. */
bool aw_info_find(const char *body, size_t len, const char *name, const char **value,
                  size_t *value_len);
/* Recognises error values: `ERROR:<code>:<msg>`, `ERROR::<msg>` (code 1),
 * `FAIL:<code>:<msg>` (same rules), `error=<msg>` (AW_ERR_UDF, the server's UDF
 * error form). A code that is empty, 0 or over 255 gives AW_ERR_SERVER (1);
 * when the text before the first ':' is not 0..3 digits (or there is no
 * ':'), the code is AW_ERR_SERVER and the whole rest is the message.
 * Returns true and fills code/msg (each may be NULL) when it is one; msg
 * points into value. */
bool aw_info_value_error(const char *value, size_t len, int *code, const char **msg,
                         size_t *msg_len);

/* The value of `key=` in items `key=value` separated by sep (';' or ':'). */
bool aw_info_item(const char *v, size_t len, char sep, const char *key, const char **val,
                  size_t *val_len);
/* A decimal number (an optional fraction is dropped); false when there is none. */
bool aw_info_u64(const char *s, size_t n, uint64_t *out);
/* AW_OK, or when v is an error value (aw_info_value_error) its code, with
 * its message in err. */
int aw_info_error_value(const char *v, size_t len, aw_error *err);

/* `node`: an id of 1..19 hex chars (either case, copied as sent),
 * NUL-terminated into out. AW_OK, AW_ERR_PROTO or AW_ERR_PARAM. */
#define AW_NODE_NAME_MAX 19
int aw_info_parse_node(const char *v, size_t len, char out[AW_NODE_NAME_MAX + 1], aw_error *err);
/* `partition-generation` (signed; -1 = not ready) and `peers-generation`:
 * optional '-', then digits only; out of int64 range is AW_ERR_PROTO. */
int aw_info_parse_int(const char *v, size_t len, int64_t *out, aw_error *err);

/* `features`: ';'-separated names. Unknown names are ignored; has_feature
 * matches a whole token exactly (so "cdt" does not match "cdt-list"). */
#define AW_FEATURE_PIPELINING 0x0001u
#define AW_FEATURE_BATCH_ANY 0x0002u
#define AW_FEATURE_BATCH_INDEX 0x0004u
#define AW_FEATURE_PEERS 0x0008u
#define AW_FEATURE_REPLICAS 0x0010u
#define AW_FEATURE_PQUERY 0x0020u
#define AW_FEATURE_PSCANS 0x0040u
#define AW_FEATURE_CDT_LIST 0x0080u
#define AW_FEATURE_CDT_MAP 0x0100u
#define AW_FEATURE_FLOAT 0x0200u
#define AW_FEATURE_GEO 0x0400u
#define AW_FEATURE_BLOB_BITS 0x0800u
#define AW_FEATURE_TRUNCATE_NAMESPACE 0x1000u
#define AW_FEATURE_UDF 0x2000u
#define AW_FEATURE_CLUSTER_STABLE 0x4000u
uint32_t aw_info_parse_features(const char *v, size_t len);
bool aw_info_has_feature(const char *v, size_t len, const char *name);

/* `replicas`: ns:regime,n_repl,b64_0,...;ns2:... */
#define AW_MAX_REPLICAS 3 /* replica columns kept; more are parsed and ignored */
#define AW_PARTITION_BITMAP_SIZE 512

typedef struct aw_replicas_ns {
    char ns[AW_NAMESPACE_MAX + 1];
    uint32_t regime;
    uint8_t n_replicas;   /* columns kept (min(n_repl, AW_MAX_REPLICAS)) */
    uint8_t n_repl_sent;  /* columns the node announced (1..255) */
    uint8_t bitmap[AW_MAX_REPLICAS][AW_PARTITION_BITMAP_SIZE];
} aw_replicas_ns;

/* Parses up to max_ns namespaces into out (caller's array; *n_ns set).
 * Refuses bad base64, bitmaps that do not decode to 512 bytes (684 chars,
 * zero padding bits), n_repl of 0 or over 255, more or fewer columns than
 * n_repl, a regime over 32 bits, empty names or names over 31 bytes, a
 * namespace listed twice and more namespaces than max_ns, with AW_ERR_PROTO
 * naming the namespace, column and offset. Columns past AW_MAX_REPLICAS are
 * validated, then dropped. The empty value and one trailing ';' are fine.
 * On any error *n_ns is 0 and out's contents are unspecified. */
int aw_info_parse_replicas(const char *v, size_t len, aw_replicas_ns *out, size_t max_ns,
                           size_t *n_ns, aw_error *err);
static inline bool aw_replicas_owns(const aw_replicas_ns *r, unsigned replica, uint32_t pid) {
    return replica < r->n_replicas && pid < AW_PARTITIONS &&
           (r->bitmap[replica][pid >> 3] & (0x80u >> (pid & 7))) != 0;
}

/* `peers-clear-std` / `-alt` / `peers-tls-*`: gen,default_port,[[id,tls,[host,...]],...] */
#define AW_PEER_MAX_HOSTS 8
#define AW_HOST_NAME_MAX 255
typedef struct aw_host {
    char name[AW_HOST_NAME_MAX + 1]; /* address or host name, IPv6 without brackets */
    /* The name its TLS certificate is checked against; "" = none given
     * (then `name` is checked). Unused without TLS. */
    char tls_name[AW_HOST_NAME_MAX + 1];
    uint16_t port;
} aw_host;

typedef struct aw_peer {
    char node_id[AW_NODE_NAME_MAX + 1];
    char tls_name[AW_HOST_NAME_MAX + 1];
    uint8_t n_hosts;
    aw_host hosts[AW_PEER_MAX_HOSTS];
} aw_peer;

typedef struct aw_peers {
    uint64_t generation;
    uint16_t default_port;
    size_t n_peers;
    aw_peer *peers; /* caller's array of `cap` entries */
    size_t cap;
} aw_peers;

/* Parses into p (p->peers/p->cap set by the caller). More peers than cap, or
 * hosts than AW_PEER_MAX_HOSTS, is AW_ERR_PROTO. A host without a port gets
 * default_port (3000 when the reply leaves the field empty: `gen,,[...]`).
 * The alumni form `[id,,]` (from `:generation=N` requests) gives a peer with
 * n_hosts 0. Node ids must be 1..19 hex chars, names at most 255 bytes,
 * ports 1..65535; brackets must match and nothing may follow the list.
 * On any error p->n_peers is 0 and the peers array is unspecified. */
int aw_info_parse_peers(const char *v, size_t len, aw_peers *p, aw_error *err);

/* `service-clear-std`: addr:port;addr:port (IPv6 as [addr]:port); a host
 * without a port gets default_port. The empty value is 0 hosts; one trailing
 * ';' is fine. More than cap hosts is AW_ERR_PROTO; on error *n is 0. */
int aw_info_parse_hosts(const char *v, size_t len, uint16_t default_port, aw_host *out, size_t cap,
                        size_t *n, aw_error *err);

#endif
