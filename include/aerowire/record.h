/*
 * aerowire/record.h — bins and records.
 *
 * A record returned by aerowire owns all of its memory (bin names, strings,
 * blobs, nested lists and maps) in one arena: aw_record_free releases all of
 * it at once. The aw_record struct itself is the caller's (usually on the
 * stack). Pointers into a record are valid until aw_record_free.
 */
#ifndef AEROWIRE_RECORD_H
#define AEROWIRE_RECORD_H

#include <stdint.h>

#include "export.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A named value. In requests name and value are borrowed from the caller;
 * names longer than 15 bytes are refused when the request is encoded. */
typedef struct aw_bin {
    const char *name;
    aw_value value;
} aw_bin;

/* TTL values (seconds) for writes, as the server understands them. */
#define AW_TTL_NAMESPACE_DEFAULT 0u
#define AW_TTL_NEVER_EXPIRE 0xFFFFFFFFu
#define AW_TTL_DONT_UPDATE 0xFFFFFFFEu

/* Seconds between the Unix epoch and Aerospike's (2010-01-01T00:00:00Z). */
#define AW_CITRUSLEAF_EPOCH 1262304000u

struct aw_arena_block;

typedef struct aw_record {
    uint32_t gen;        /* generation after the command */
    uint32_t void_time;  /* expiry, seconds since 2010-01-01 UTC; 0 = never */
    uint32_t ttl;        /* seconds left; AW_TTL_NEVER_EXPIRE when it never expires */
    uint32_t n_bins;
    aw_bin *bins;        /* n_bins entries, in the order the server sent them */
    struct aw_arena_block *priv_mem; /* internal: the arena holding everything above */
} aw_record;

/* The bin named `name`, or NULL. When several results share the name (an
 * operate answered once per op: write ops give nil entries, CDT ops their
 * own results), the last one, i.e. the last op's. */
AW_API const aw_value *aw_record_get(const aw_record *rec, const char *name);

/* Releases everything the record holds and zeroes it. NULL is harmless;
 * freeing twice is harmless. */
AW_API void aw_record_free(aw_record *rec);

/* TTL in seconds from a void time, given the current Unix time:
 * 0 -> AW_TTL_NEVER_EXPIRE; otherwise max(void_time - (now - epoch), 1). */
AW_API uint32_t aw_void_time_to_ttl(uint32_t void_time, uint64_t unix_now);

#ifdef __cplusplus
}
#endif
#endif
