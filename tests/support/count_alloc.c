/* The counting allocator (count_alloc.h). */
#include "count_alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "aerowire/alloc.h"

static _Atomic long long live_bytes, peak_bytes;
/* tu_count_alloc_install_thread: only what this thread allocates counts. */
static bool one_thread;
static pthread_t counted_thread;

/* Each block's header: its size, and whether it counts (whichever thread
 * later frees or grows it). */
typedef struct block {
    size_t size;
    size_t counted;
} block;

static void note_live(long long delta) {
    long long now = atomic_fetch_add(&live_bytes, delta) + delta;
    long long peak = atomic_load(&peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {
    }
}

static void *count_malloc(size_t size, void *ctx) {
    (void)ctx;
    block *p = malloc(size + sizeof(block));
    if (!p)
        return NULL;
    p->size = size;
    p->counted = !one_thread || pthread_equal(pthread_self(), counted_thread);
    if (p->counted)
        note_live((long long)size);
    return p + 1;
}

static void count_free(void *ptr, void *ctx) {
    (void)ctx;
    if (!ptr)
        return;
    block *p = (block *)ptr - 1;
    if (p->counted)
        note_live(-(long long)p->size);
    free(p);
}

static void *count_realloc(void *ptr, size_t size, void *ctx) {
    if (!ptr)
        return count_malloc(size, ctx);
    block *p = (block *)ptr - 1;
    size_t old = p->size;
    block *q = realloc(p, size + sizeof(block));
    if (!q)
        return NULL;
    q->size = size;
    if (q->counted)
        note_live((long long)size - (long long)old);
    return q + 1;
}

static void install(void) {
    aw_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    aw_set_allocator(&counting);
}

void tu_count_alloc_install(void) { install(); }

void tu_count_alloc_install_thread(void) {
    one_thread = true;
    counted_thread = pthread_self();
    install();
}

long long tu_count_alloc_live(void) { return atomic_load(&live_bytes); }

void tu_count_alloc_peak_reset(void) { atomic_store(&peak_bytes, atomic_load(&live_bytes)); }

long long tu_count_alloc_peak(void) { return atomic_load(&peak_bytes); }
