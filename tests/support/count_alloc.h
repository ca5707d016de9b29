/*
 * An aerowire allocator that counts: the bytes aerowire holds live and
 * their peak, for suites that show memory stays bounded.
 */
#ifndef AW_COUNT_ALLOC_H
#define AW_COUNT_ALLOC_H

/* Installs the counting allocator (aw_set_allocator): call it first, before
 * anything is allocated. */
void tu_count_alloc_install(void);
/* The same, counting only the blocks the calling thread allocates (wherever
 * they are freed): what a sync call holds, without what the client's tend
 * thread holds meanwhile (a partition map it rebuilds, ~100 KB a node). */
void tu_count_alloc_install_thread(void);
/* Bytes aerowire holds now. */
long long tu_count_alloc_live(void);
/* Starts a new peak at what is live now. */
void tu_count_alloc_peak_reset(void);
/* The most held at once since the last reset. */
long long tu_count_alloc_peak(void);

#endif
