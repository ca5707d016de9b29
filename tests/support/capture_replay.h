/*
 * Replaying a stretch of a real capture (official client <-> real server) to
 * aw-testd: each captured request frame is sent as recorded, in capture order
 * on one connection, and aw-testd's reply compared with the real server's.
 */
#ifndef AW_CAPTURE_REPLAY_H
#define AW_CAPTURE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tu_replay_counts {
    size_t matched; /* the real server's reply, void time aside */
    size_t refused; /* 16, for a command listed as refused */
    size_t skipped; /* sent after a refused write to the same record: not compared */
    size_t wrong;   /* anything else (each printed) */
} tu_replay_counts;

/* Replays the commands of `capture` (a file in tests/data) from label
 * `first` to label `last`. `refused` lists (NULL-terminated, or NULL for
 * none) the labels aw-testd must answer 16; a refused write leaves its
 * record unlike the real server's, so later commands naming the same key are
 * sent but not compared (a refused read changes nothing and does not
 * count). Fails the test when a reply does not come. */
tu_replay_counts tu_replay_capture(uint16_t port, const char *capture, const char *first,
                                   const char *last, const char *const *refused);

/* Two reply frames are the same but for the void time (message header bytes
 * 10..13, a clock reading): only whether it is 0 (never expires) must agree. */
bool tu_same_reply_but_void_time(const uint8_t *got, size_t got_len, const uint8_t *want,
                                 size_t want_len);

#endif
