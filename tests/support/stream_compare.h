/*
 * Scan/query reply streams: every message a node sends for one scan or query
 * (records, PARTITION_DONE messages, the LAST message or a plain error
 * message), whatever frames carried them, and their comparison with a
 * captured stream of the real server.
 */
#ifndef AW_STREAM_COMPARE_H
#define AW_STREAM_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tu_stream {
    uint8_t *bytes; /* the messages, concatenated without proto headers */
    size_t len;
    size_t frames;
} tu_stream;

/* Reads frames from fd until a message ends the stream: LAST, or a message
 * that is neither a record nor PARTITION_DONE with a result (a request
 * refused before the job started). False when a frame does not come or
 * does not parse. */
bool tu_stream_recv(int fd, tu_stream *s, int timeout_ms);
/* The stream of a captured command's reply frames ("reply_hex"). */
bool tu_stream_from_capture(json_t *reply_hex, tu_stream *s);
void tu_stream_free(tu_stream *s);

/* Whether got answers like want: the same final message, the same
 * PARTITION_DONE messages (partition and code, any order), and per
 * partition the same record messages in the same order (void times aside,
 * but "never expires" must agree); across partitions any order, as the
 * server runs partitions on several threads.
 *
 * sampled (the request had max_records): which records the server picks is
 * a race between its threads, so then got must hold as many records, no
 * digest twice, each partition's in the server's order (a scan's by
 * descending digest, a query's by ascending bval), and each record the one
 * `catalog` (a stream holding every record, e.g. a full scan's; NULL: not
 * checked) has for its digest, a query's BVAL field aside. Prints the first
 * difference under label. GeoJSON bins are compared whole, the S2 cells
 * the server stores with a point included. */
bool tu_stream_same(const char *label, const tu_stream *got, const tu_stream *want, bool sampled,
                    const tu_stream *catalog);

/* The result code of a stream's final message (-1 when it has none). */
int tu_stream_code(const tu_stream *s);
/* Records and PARTITION_DONE messages in a stream. */
size_t tu_stream_records(const tu_stream *s);
size_t tu_stream_partition_dones(const tu_stream *s);
/* Whether a record of the stream has this digest. */
bool tu_stream_has_digest(const tu_stream *s, const uint8_t *digest);

#endif
