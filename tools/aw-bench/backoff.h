/*
 * aw-bench's pause after a failure that came back at once.
 *
 * When the client refuses a command without sending it (a node backed off
 * after too many errors, no connection to be had, no node for the key), a
 * real application waits a little before its next try instead of spinning;
 * a benchmark that spins turns one unreachable second into hundreds of
 * thousands of "failed commands" and steals the CPU the recovery needs.
 * Each command slot pauses 1 ms after such a failure, doubling per
 * consecutive one up to --error-backoff MS, and starts again from nothing
 * after any other outcome.
 */
#ifndef AW_BENCH_BACKOFF_H
#define AW_BENCH_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

/* Codes the client gives without waiting for the network. */
bool backoff_is_instant_failure(int rc);

/* The pause (ms) before the slot's next command after an outcome rc:
 * 0 unless rc is an instant failure. *streak_ms is the slot's state (0 at
 * the start); max_ms 0 turns pausing off. */
uint32_t backoff_after(uint32_t *streak_ms, int rc, uint32_t max_ms);

#endif
