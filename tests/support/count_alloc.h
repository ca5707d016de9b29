/*
 * An aerowire allocator that counts: the bytes aerowire holds live and
 * their peak, for suites that show memory stays bounded.
 */
#ifndef AW_COUNT_ALLOC_H
#define AW_COUNT_ALLOC_H

/* Installs the counting allocator (aw_set_allocator): call it first, before
 * anything is allocated. */
void tu_count_alloc_install(void);
/* Bytes aerowire holds now. */
long long tu_count_alloc_live(void);
/* Starts a new peak at what is live now. */
void tu_count_alloc_peak_reset(void);
/* The most held at once since the last reset. */
long long tu_count_alloc_peak(void);

#endif
