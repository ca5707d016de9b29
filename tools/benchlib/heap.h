/*
 * What aerowire holds in memory: an allocator (aw_set_allocator) that
 * counts the bytes of every allocation the library makes, live and at
 * their peak, so a benchmark can tell the client's own buffers from the
 * process's RSS.
 */
#ifndef AW_BENCHLIB_HEAP_H
#define AW_BENCHLIB_HEAP_H

#include <stdint.h>

/* Installs the counting allocator; before any other aerowire call, as
 * aw_set_allocator requires. */
void bl_heap_count(void);
/* Bytes aerowire holds now, and the most it has held since the last
 * bl_heap_peak_reset (or since bl_heap_count). */
int64_t bl_heap_live(void);
int64_t bl_heap_peak(void);
/* Starts the peak again from what is live now. */
void bl_heap_peak_reset(void);

#endif
