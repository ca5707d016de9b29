/*
 * Shared test helpers: hex, the real captures (tests/data, or $AW_TESTDATA),
 * and a failing allocator.
 *
 * Test programs include <cmocka.h> after the standard headers it needs.
 */
#ifndef AW_TESTUTIL_H
#define AW_TESTUTIL_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Decodes hex (whitespace ignored) into a malloc'd buffer; *len set.
 * Aborts the test process on bad hex. */
uint8_t *tu_hex_decode(const char *hex, size_t *len);
/* Lowercase hex of bytes, malloc'd. */
char *tu_hex_encode(const uint8_t *p, size_t len);
/* dir/name in one of 8 rotating static buffers: up to 8 paths may be in
 * use at once (a test's scratch files in its own directory). */
const char *tu_path(const char *dir, const char *name);

/* Path of a file in the capture directory (static buffer). */
const char *tu_testdata_path(const char *file);
/* Loads and caches a capture file as JSON ("official-c-client-vs-asd.json",
 * "real-3-node-cluster.json"). Never NULL: aborts when missing. */
json_t *tu_capture(const char *file);
/* The entry of `commands` in official-c-client-vs-asd.json with this label. */
json_t *tu_command(const char *label);
/* The entry of `commands` in capture `file` with this label (aborts when
 * there is none). */
json_t *tu_capture_command(const char *file, const char *label);
/* The same in any array of entries with a `label` ("info_direct", "calls"). */
json_t *tu_capture_entry(const char *file, const char *section, const char *label);

/* Body of reply frame i of a captured command, in a malloc'd buffer of
 * exactly its size (so ASan sees any read past the end). The 8-byte header is
 * checked by hand, independently of the codec: version 2, type 3, size = what
 * follows; the process aborts when it is not. */
uint8_t *tu_reply_body(const char *label, size_t i, size_t *len);

/* Failing allocator: the Nth allocation from now (1-based) and every later
 * one fail until tu_failalloc_off(). Counts allocations while on. */
void tu_failalloc_on(long fail_at);
long tu_failalloc_count(void);
void tu_failalloc_off(void);

#endif
