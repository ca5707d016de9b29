/*
 * aw-testd's record store: namespaces of records addressed by digest.
 *
 * Bins are kept as raw particle bytes (type + bytes), exactly as they came in
 * a write, so a read answers with the bytes a real server would send and the
 * store never re-encodes what it did not have to touch.
 */
#ifndef TD_STORE_H
#define TD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/key.h"

typedef struct td_bin {
    char name[AW_BIN_NAME_MAX + 1];
    uint8_t name_len;
    uint8_t ptype;
    uint32_t len;
    uint8_t *data; /* owned */
} td_bin;

typedef struct td_record {
    struct td_record *next; /* hash chain */
    uint8_t digest[AW_DIGEST_SIZE];
    char set[AW_SET_MAX + 1];
    uint8_t key_ptype;      /* 0 = no stored key */
    uint32_t key_len;
    uint8_t *key;           /* owned stored user key (send-key) */
    uint16_t gen;
    uint32_t void_time;     /* seconds since 2010-01-01; 0 = never */
    uint64_t last_update_ms; /* ms since 2010-01-01 of the last write or read-touch
                              (truncate compares it; read-touch derives the write TTL) */
    uint32_t n_bins;
    uint32_t cap_bins;
    td_bin *bins;
} td_record;

typedef struct td_namespace {
    char name[AW_NAMESPACE_MAX + 1];
    uint32_t default_ttl;   /* seconds; 0 = never expire */
    uint64_t n_records;
    uint64_t truncate_lut_ms; /* the namespace's last truncate-namespace threshold; 0 = none */
    size_t n_buckets;       /* power of two */
    td_record **buckets;
    struct td_sindex_set *sindexes; /* secondary indexes (sindex.h); NULL until one is made */
} td_namespace;

typedef struct td_store {
    td_namespace *ns;
    size_t n_ns;
    uint32_t max_record_size; /* RECORD_TOO_BIG beyond it */
    int64_t clock_offset;     /* seconds added to the wall clock (testd-clock) */
    bool clock_frozen;        /* testd-clock:freeze=1: the clock stands at clock_frozen_at */
    uint32_t clock_frozen_at;
} td_store;

/* Namespaces from a comma-separated list; returns 0 or -1 (bad list / OOM). */
int td_store_init(td_store *s, const char *ns_list, uint32_t default_ttl, uint32_t max_record_size);
void td_store_free(td_store *s);
td_namespace *td_store_ns(td_store *s, const char *name, size_t len);

/* The server's current time in its epoch (seconds since 2010-01-01): the
 * wall clock (or the time it was frozen at) plus clock_offset. */
uint32_t td_store_now(const td_store *s);
/* The same clock in milliseconds: the records' last-update times and the
 * truncate thresholds are on it. */
uint64_t td_store_now_ms(const td_store *s);
/* testd-clock: moves the clock `advance` seconds on; freeze > 0 stops it,
 * freeze == 0 lets it run again from where it stood, freeze < 0 leaves it. */
void td_store_clock(td_store *s, uint32_t advance, int freeze);

/* The live record for digest, or NULL. A record whose void time is before
 * `now` has expired (as the server's as_record_is_expired) and is removed here. */
td_record *td_record_get(td_namespace *ns, const uint8_t *digest, uint32_t now);
/* A new empty record, linked in (gen 0, no bins). NULL on OOM. */
td_record *td_record_create(td_namespace *ns, const uint8_t *digest);
void td_record_remove(td_namespace *ns, const uint8_t *digest);

/* The live records of ns in the partitions `want` marks (want[pid]), by
 * partition ascending and, within a partition, in the order the real
 * server's scans visit them: descending digest, memcmp order (S8.1.2
 * as_index_reduce_from walks the partition's index tree from its largest
 * digest down). A walk of the wanted partitions' buckets (the table keeps
 * each partition's records apart) and a sort, paid by the scan alone:
 * single-record commands keep their hash lookups. set (NULL: every set)
 * keeps only that set's records, so a scan of a small set in a big
 * namespace sorts only its own. *out is malloc'd (NULL when
 * there is none); returns the count, or -1 when out of memory. */
long td_store_partition_walk(td_namespace *ns, const bool want[AW_PARTITIONS], uint32_t now,
                             const char *set, td_record ***out);

/* truncate / truncate-namespace (set NULL): removes the records of the set
 * (or the namespace) last updated before lut_ms, as truncate.c's reduce does;
 * lut_ms == 0 means "now": every record there now, whenever in this
 * millisecond it was written. Returns how many it removed. */
uint64_t td_store_truncate(td_store *s, td_namespace *ns, const char *set, uint64_t lut_ms);

/* Bin helpers. */
td_bin *td_bin_find(td_record *r, const char *name, size_t len);
/* Sets (creates or replaces) a bin's value; 0 or -1 on OOM. */
int td_bin_set(td_record *r, const char *name, size_t len, uint8_t ptype, const uint8_t *data,
               uint32_t data_len);
void td_bin_delete(td_record *r, const char *name, size_t len);
void td_record_clear_bins(td_record *r);
/* Bytes the record takes on the server's storage (as_flat_record_size: the
 * 35-byte flat header, void time, set name, stored key, bin count, and per bin
 * its name and flat particle), plus the 4-byte end mark the size limit counts. */
size_t td_record_size(const td_record *r);

/* Deep copy of a record's bins and key into dst (for all-or-nothing ops). */
int td_record_copy(td_record *dst, const td_record *src);
/* Frees what a record owns (bins, key) but not the struct. */
void td_record_release(td_record *r);

#endif
