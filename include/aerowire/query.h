/*
 * aerowire/query.h — reading by value: scans, secondary-index queries and
 * the partition cursor that resumes them.
 *
 * One protocol serves both (wire-protocol.md §9): a scan is a query without
 * an index filter. A statement (aw_query) names the namespace, the set and
 * what to return; an optional aw_index_filter makes it an index query; the
 * policy's `base.filter` expression further filters records on the server.
 *
 * Partitions: every scan/query walks a set of partitions (all 4096, a
 * range, one partition, or one partition after a digest: aw_partition_filter)
 * and keeps its progress in an aw_partition_status cursor: for each
 * partition whether it is done, the digest (and, for queries, the index
 * value "bval") of the last record delivered, and whether it must be asked
 * again. Handing the same cursor to the next call resumes exactly where the
 * previous one stopped (after max_records, an abort, an error); the cursor
 * can be serialized to bytes and resumed in another process.
 *
 * Errors follow client.h: every function returns AW_OK or an aw_status code
 * and fills `err` (may be NULL). Caller errors are AW_ERR_PARAM (or
 * AW_ERR_BAD_NAME for a name over its limit) with a message naming the
 * argument; nothing is sent then.
 */
#ifndef AEROWIRE_QUERY_H
#define AEROWIRE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "async.h"
#include "client.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- Index filters ------------------------------------------------------------ */

/* What a secondary index holds: the key type of its entries. */
typedef enum aw_index_type {
    AW_INDEX_NUMERIC = 0,
    AW_INDEX_STRING,
    AW_INDEX_BLOB,
    AW_INDEX_GEO2DSPHERE,
} aw_index_type;

/* Where in the bin the indexed values are: the bin itself (default), or
 * every element of a list, every key or every value of a map. */
typedef enum aw_index_collection {
    AW_INDEX_DEFAULT = 0,
    AW_INDEX_LIST = 1,
    AW_INDEX_MAPKEYS = 2,
    AW_INDEX_MAPVALUES = 3,
} aw_index_collection;

typedef enum aw_index_filter_kind {
    AW_FILTER_INT_RANGE = 1,   /* begin <= value <= end (equality: begin == end) */
    AW_FILTER_STR_EQUAL,       /* bytes/len: a string, raw UTF-8 */
    AW_FILTER_BLOB_EQUAL,      /* bytes/len */
    AW_FILTER_GEO_WITHIN,      /* bytes/len: a GeoJSON region; finds points inside it */
    AW_FILTER_GEO_CONTAINS,    /* bytes/len: a GeoJSON point; finds regions containing it */
    AW_FILTER_GEO_WITHIN_RADIUS, /* lng, lat, radius_m: points within the circle */
} aw_index_filter_kind;

/*
 * The index predicate of a query. Build it with a constructor below, then
 * set the optional fields: `collection` (contains in a list / map keys /
 * map values), `ctx` (an index on a nested element), `index_name` (pick the
 * index by name instead of by bin) or `exp` (an expression index: the
 * predicate applies to the expression's value; no bin then).
 * Everything is borrowed until the call that uses the filter returns.
 */
typedef struct aw_index_filter {
    aw_index_filter_kind kind;
    const char *bin;                  /* NULL with index_name or exp */
    aw_index_collection collection;
    const aw_ctx *ctx;                /* NULL = the bin's own value */
    const char *index_name;           /* NULL = find the index by bin (and ctx) */
    const aw_exp *exp;                /* expression index; NULL = none */
    int64_t begin, end;               /* AW_FILTER_INT_RANGE */
    const void *bytes;                /* string, blob or GeoJSON; not NUL-terminated */
    size_t len;
    double lng, lat, radius_m;        /* AW_FILTER_GEO_WITHIN_RADIUS */
} aw_index_filter;

/* bin == v (bin NULL when the index is chosen by name or expression). */
AW_API aw_index_filter aw_filter_equal_int(const char *bin, int64_t v);
/* lo <= bin <= hi. */
AW_API aw_index_filter aw_filter_range(const char *bin, int64_t lo, int64_t hi);
/* bin == s (s borrowed; NUL-terminated). */
AW_API aw_index_filter aw_filter_equal_str(const char *bin, const char *s);
AW_API aw_index_filter aw_filter_equal_blob(const char *bin, const void *p, size_t len);
/* Some element of the list / key / value of the map (per `in`) equals v. */
AW_API aw_index_filter aw_filter_contains_int(const char *bin, aw_index_collection in, int64_t v);
AW_API aw_index_filter aw_filter_contains_str(const char *bin, aw_index_collection in,
                                              const char *s);
/* Some element in lo..hi. */
AW_API aw_index_filter aw_filter_contains_range(const char *bin, aw_index_collection in,
                                                int64_t lo, int64_t hi);
/* Points of a geo2dsphere index inside a GeoJSON region (Polygon,
 * AeroCircle); regions containing a GeoJSON point. */
AW_API aw_index_filter aw_filter_geo_within(const char *bin, const char *geojson);
AW_API aw_index_filter aw_filter_geo_contains(const char *bin, const char *geojson_point);
/* Points within radius_m metres of (lng, lat). */
AW_API aw_index_filter aw_filter_geo_within_radius(const char *bin, double lng, double lat,
                                                   double radius_m);

/* --- Statement and policy ---------------------------------------------------- */

/* What to read. Borrowed during the call. */
typedef struct aw_query {
    const char *ns;
    const char *set;                /* NULL or "" = the whole namespace */
    const char *const *bins;        /* named bins (n_bins); NULL = all bins */
    size_t n_bins;
    /* Projection ops (read ops, as in aw_operate) instead of bins; for a
     * background job, the write ops applied to every record. */
    const aw_op *ops;
    size_t n_ops;
    const aw_index_filter *where;   /* NULL = scan every record */
} aw_query;

typedef enum aw_query_duration {
    AW_QUERY_LONG = 0,        /* monitored, abortable, throttled by records_per_second */
    AW_QUERY_SHORT,           /* few records: run inline, no job entry, no rps */
    AW_QUERY_LONG_RELAX_AP,   /* long; also serves partitions still migrating (AP only) */
} aw_query_duration;

typedef struct aw_query_policy {
    /* total_timeout_ms (0 = none), socket_timeout_ms (also sent: the
     * server's send timeout per reply), max_retries (rounds re-asking the
     * unfinished partitions), sleep_between_retries_ms, and `filter`, an
     * expression records must satisfy (applied by the server). Write fields
     * are ignored. */
    aw_policy base;
    uint64_t max_records;           /* stop after about this many records; 0 = all */
    uint32_t records_per_second;    /* per node; 0 = unlimited */
    aw_query_duration expected_duration;
    bool include_bin_data;          /* false: metadata and key only (no bins) */
    /* Nodes streaming at once: 0 = all, 1 = one after the other, n. */
    uint32_t max_concurrent_nodes;
} aw_query_policy;

/* Defaults (as the official client): no total timeout, socket 30000 ms,
 * 5 retries, no pause, all records, unlimited rps, LONG, with bin data, all
 * nodes at once. */
AW_API aw_query_policy aw_query_policy_default(void);

/* --- Partition filter and cursor --------------------------------------------- */

typedef struct aw_partition_filter {
    uint32_t begin;                 /* first partition */
    uint32_t count;                 /* partitions begin .. begin + count - 1 */
    bool has_digest;                /* resume partition `begin` after `digest` */
    uint8_t digest[AW_DIGEST_SIZE];
} aw_partition_filter;

AW_API aw_partition_filter aw_partition_filter_all(void);
AW_API aw_partition_filter aw_partition_filter_range(uint32_t begin, uint32_t count);
AW_API aw_partition_filter aw_partition_filter_id(uint32_t id);
/* The digest's partition, records after (for a scan: with a smaller
 * digest than) this one. */
AW_API aw_partition_filter aw_partition_filter_after(const uint8_t digest[AW_DIGEST_SIZE]);

typedef struct aw_partition_status aw_partition_status;

/* One partition's progress. */
typedef struct aw_partition_info {
    uint32_t id;
    bool done;                      /* read to its end: never asked again */
    bool has_digest;                /* a record was delivered: resume after it */
    uint8_t digest[AW_DIGEST_SIZE]; /* the last record delivered */
    int64_t bval;                   /* its index value (queries; 0 for scans) */
    bool retry;                     /* its node failed or it moved: ask again */
} aw_partition_info;

/* A cursor over the filter's partitions, none done. AW_ERR_PARAM for a
 * range outside 0..4095 or empty; AW_ERR_NOMEM. *out on success only. */
AW_API int aw_partition_status_new(const aw_partition_filter *filter, aw_partition_status **out,
                                   aw_error *err);
AW_API void aw_partition_status_free(aw_partition_status *ps);

/* Every partition done: a scan/query using this cursor has nothing left. */
AW_API bool aw_partition_status_done(const aw_partition_status *ps);
/* Partitions covered (the filter's count) and the first one's id. */
AW_API uint32_t aw_partition_status_count(const aw_partition_status *ps);
/* Partition `id`'s progress; AW_ERR_PARAM when the cursor does not cover it. */
AW_API int aw_partition_status_get(const aw_partition_status *ps, uint32_t id,
                                   aw_partition_info *out, aw_error *err);

/* Bytes that aw_partition_status_read turns back into the same cursor,
 * in any process: a version, the partitions' states and a checksum.
 * *bytes is allocated; release it with aw_free. */
AW_API int aw_partition_status_write(const aw_partition_status *ps, uint8_t **bytes, size_t *len,
                                     aw_error *err);
/* AW_ERR_PARAM, saying what is wrong, for bytes that are not a cursor this
 * version wrote whole (truncated, altered, another version). */
AW_API int aw_partition_status_read(const uint8_t *bytes, size_t len, aw_partition_status **out,
                                    aw_error *err);

/* --- Secondary indexes, truncate, jobs -----------------------------------------
 * Info commands (wire-protocol.md §9.7, §9.8, §9.10). A server refusal comes
 * back as its own code: AW_ERR_INDEX_FOUND (200, the name is taken by
 * another definition), AW_ERR_INDEX_NOT_FOUND (201), AW_ERR_INDEX_MAXCOUNT
 * (206), AW_ERR_REQUEST_INVALID (4, a bad parameter), AW_ERR_TIMEOUT (9),
 * with the server's message. timeout_ms 0 = the config's connect timeout. */

typedef struct aw_index_spec {
    const char *ns;
    const char *set;                /* NULL = records of every set */
    const char *name;
    const char *bin;                /* NULL for an expression index */
    aw_index_type type;
    aw_index_collection collection;
    const aw_ctx *ctx;              /* index a nested element; NULL = the bin's value */
    const aw_exp *exp;              /* expression index (server 8.1+); NULL = by bin */
} aw_index_spec;

/* Creates the index (one node; the cluster spreads the definition) and
 * returns once the definition is stored; the index then fills in the
 * background (aw_index_wait). Creating the same definition again is AW_OK
 * (under a new name, the server renames the existing index). */
AW_API int aw_index_create(aw_client *client, const aw_index_spec *spec, uint32_t timeout_ms,
                           aw_error *err);
/* Waits until every node has loaded the index (load_pct=100), asking every
 * interval_ms (0 = 500) for at most timeout_ms (0 = no limit; then
 * AW_ERR_TIMEOUT). AW_ERR_INDEX_NOT_FOUND when a node does not know it. */
AW_API int aw_index_wait(aw_client *client, const char *ns, const char *name,
                         uint32_t interval_ms, uint32_t timeout_ms, aw_error *err);
/* Removes the index; AW_OK also when there is none by that name (as the
 * server answers). */
AW_API int aw_index_drop(aw_client *client, const char *ns, const char *name,
                         uint32_t timeout_ms, aw_error *err);

typedef struct aw_index_info {
    char ns[AW_NAMESPACE_MAX + 1];
    char name[256];
    char set[AW_SET_MAX + 1];       /* "" = every set */
    char bin[AW_BIN_NAME_MAX + 1];  /* "" for an expression index */
    aw_index_type type;
    aw_index_collection collection;
    bool has_ctx;
    bool has_exp;
    bool readable;                  /* state RW; false while building (WO) */
} aw_index_info;

/* The indexes of namespace ns (NULL = every namespace), as one node lists
 * them: *out is allocated (aw_free), *n entries. */
AW_API int aw_index_list(aw_client *client, const char *ns, aw_index_info **out, size_t *n,
                         aw_error *err);

/* Deletes every record of the set (set NULL: of the namespace) last updated
 * before before_unix_ns (0 = now, by the server's clock). */
AW_API int aw_truncate(aw_client *client, const char *ns, const char *set,
                       uint64_t before_unix_ns, uint32_t timeout_ms, aw_error *err);

typedef enum aw_job_state {
    AW_JOB_IN_PROGRESS = 0,
    AW_JOB_DONE,                    /* on every node that knows it */
    AW_JOB_NOT_FOUND,               /* no node knows the id */
} aw_job_state;

typedef struct aw_job_info {
    aw_job_state state;
    uint32_t progress_pct;          /* lowest over the nodes */
    uint64_t records_succeeded;     /* summed over the nodes */
    uint64_t records_failed;
} aw_job_info;

/* A job's state from every node (`query-show:id=`). */
AW_API int aw_job_status(aw_client *client, uint64_t job_id, aw_job_info *out, aw_error *err);
/* Polls aw_job_status every interval_ms (0 = 1000) until no node reports
 * the job active; AW_ERR_TIMEOUT after timeout_ms (0 = no limit). */
AW_API int aw_job_wait(aw_client *client, uint64_t job_id, uint32_t interval_ms,
                       uint32_t timeout_ms, aw_error *err);

/* --- Running a scan or query (sync) ---------------------------------------------
 * The partitions to do are grouped by the node that owns them (the current
 * partition map), and every node streams its records at once (or
 * max_concurrent_nodes at a time) to the calling thread, which hands each
 * record to the callback as it arrives. A node that fails (connection,
 * socket timeout, index not found / not readable yet, partitions it reports
 * unavailable) has only its unfinished partitions asked again, of their
 * next replica in the current map, after their last delivered record, up
 * to max_retries rounds: no record is lost and none is delivered twice
 * within a partition.
 */

/* One record. key: namespace, set, digest, and the user key when the record
 * was stored with it (AW_NIL otherwise; string and blob keys point into the
 * read buffer: valid during the call). rec: generation, ttl and the bins (none
 * when include_bin_data is false); aw_record_move it out to keep it, else it
 * is freed after the call. Return false to stop the scan/query on every
 * node: the call then returns AW_ERR_CLIENT_ABORT and the cursor resumes
 * after this record. */
typedef bool (*aw_query_record_cb)(const aw_key *key, aw_record *rec, void *udata);

/* Runs q over the cursor's partitions that are not done (cursor NULL: all
 * partitions, once), calling cb per record on this thread. Returns AW_OK
 * when every node ended its stream, which with max_records may be a page:
 * aw_partition_status_done(cursor) then says whether anything is left, and
 * calling again with the same cursor reads the next page. Errors: the caller's
 * (AW_ERR_PARAM, AW_ERR_BAD_NAME), AW_ERR_NAMESPACE_NOT_FOUND, the server's
 * refusal (4 a bad request, 201 no such index, ...) once retries are spent
 * or at once when retrying cannot help, AW_ERR_TIMEOUT (total timeout),
 * AW_ERR_CLIENT_ABORT. Whatever the outcome, the cursor holds what was
 * delivered. policy NULL = aw_query_policy_default(). */
AW_API int aw_query_foreach(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                            aw_partition_status *cursor, aw_query_record_cb cb, void *udata,
                            aw_error *err);

/* Starts a background job on every node applying q->ops (write ops only)
 * to each record q selects (and policy->base.filter admits), under the
 * write policy's ttl, exists, commit level and durable delete; returns once
 * every node accepted it. *job_id: the id to use (0 = a random one), set to
 * the job's id for aw_job_status / aw_job_wait. A set that does not exist is
 * AW_OK (nothing to do). */
AW_API int aw_query_background(aw_client *client, const aw_query_policy *policy,
                               const aw_policy *write_policy, const aw_query *q,
                               uint64_t *job_id, aw_error *err);

/* A UDF to apply: function `function` of the registered Lua module
 * `module` (its name without ".lua"), called with each record and then the
 * arguments. Borrowed during the call. */
typedef struct aw_udf_call {
    const char *module;
    const char *function;
    const aw_value *args;           /* n_args values; NULL when n_args is 0 */
    size_t n_args;
} aw_udf_call;

/* Starts a background job on every node calling udf on each record q
 * selects (and policy->base.filter admits); q carries no ops (its bins are
 * ignored). The write policy, the job id and the answer as for
 * aw_query_background. The server checks the module and the function per
 * record (a failure counts in the job's records_failed, not here); a server
 * without Lua (aw-testd) refuses the job with AW_ERR_UNSUPPORTED_FEATURE
 * (16). AW_ERR_PARAM / AW_ERR_BAD_NAME for a missing or over-long module or
 * function name, or q with ops. */
AW_API int aw_query_background_udf(aw_client *client, const aw_query_policy *policy,
                                   const aw_policy *write_policy, const aw_query *q,
                                   const aw_udf_call *udf, uint64_t *job_id, aw_error *err);

/* --- Running a scan or query on a loop (async) ----------------------------------
 * The same engine on the application's loop (async.h): every node streams
 * at once (or max_concurrent_nodes at a time), records reach the callback
 * on the loop's thread as their frames arrive, and a node that fails has
 * its unfinished partitions asked again exactly as aw_query_foreach does
 * (same policy, retries, timeouts, max_records pages and cursor).
 *
 * Back-pressure: the record callback says whether to go on. AW_QUERY_PAUSE
 * stops delivery after that record until aw_query_resume: meanwhile the
 * client reads none of the streams' sockets (so TCP makes the servers
 * wait), keeps only what it had already read (at most one read buffer per
 * node), starts no new node and runs no socket timeout (the total timeout
 * still runs). A server gives up a stream it could not send for its
 * socket_timeout_ms (which the request carries): that node's partitions are
 * then asked again after resume, from the cursor, like any failed node's.
 *
 * Lifetime: q and everything it points to, the policy's filter and the
 * cursor must stay valid until the done callback has returned (requests
 * for retries are encoded from them); the policy itself is copied. */

/* What a record (or chunk) callback says. */
typedef enum aw_query_flow {
    AW_QUERY_CONTINUE = 0,  /* next record */
    AW_QUERY_PAUSE,         /* this record is taken; no more until aw_query_resume */
    AW_QUERY_STOP,          /* this record is taken; stop every stream (AW_ERR_CLIENT_ABORT) */
} aw_query_flow;

/* A running async scan/query: valid from the call until its done callback
 * returns. */
typedef struct aw_query_handle aw_query_handle;

/* One record, as aw_query_record_cb gets it (key and rec valid during the
 * call; aw_record_move rec out to keep it). */
typedef aw_query_flow (*aw_query_async_record_cb)(const aw_key *key, aw_record *rec,
                                                  void *udata);
/* The end, exactly once, on the loop's thread, never inside the call that
 * started it nor inside aw_query_resume / aw_query_abort: err NULL when
 * every node ended its stream (a page with max_records: see the cursor),
 * else aw_query_foreach's errors, AW_ERR_CLIENT_ABORT (the callback said
 * STOP, or aw_query_abort) or AW_ERR_CLIENT_CLOSING (the loop or client was
 * closed first). The cursor then holds every record delivered: the same
 * call with it resumes after them. */
typedef void (*aw_query_done_cb)(const aw_error *err, void *udata);

/* Starts q over the cursor's partitions that are not done (cursor NULL:
 * all, once) on loop. AW_OK: done will be called once; *handle (handle may
 * be NULL) is the run's until then. Errors (done is never called then):
 * AW_ERR_PARAM (NULL loop, query, callback or done), AW_ERR_BAD_NAME, the
 * statement's and policy's (as aw_query_foreach), AW_ERR_CLIENT_CLOSING,
 * AW_ERR_NOMEM. policy NULL = aw_query_policy_default(). */
AW_API int aw_query_foreach_async(aw_loop *loop, const aw_query_policy *policy,
                                  const aw_query *q, aw_partition_status *cursor,
                                  aw_query_async_record_cb cb, aw_query_done_cb done,
                                  void *udata, aw_query_handle **handle, aw_error *err);

/* Delivery goes on after a pause (from the loop's deferred run: no record
 * callback runs inside this call). Harmless when not paused. */
AW_API void aw_query_resume(aw_query_handle *h);

/* Stops every node's stream (their connections are closed, never pooled
 * mid-stream) and ends the run with AW_ERR_CLIENT_ABORT: no record callback
 * runs after this call, done comes from the loop. Callable from any
 * callback on the loop's thread, the record callback included; a second
 * call, or one after the run already ended with done still due, changes
 * nothing. */
AW_API void aw_query_abort(aw_query_handle *h);

/* Whether the run is paused (a callback said AW_QUERY_PAUSE, no resume since). */
AW_API bool aw_query_paused(const aw_query_handle *h);

#ifdef __cplusplus
}
#endif
#endif
