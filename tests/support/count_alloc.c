/* The counting allocator (count_alloc.h). */
#include "count_alloc.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "aerowire/alloc.h"

static _Atomic long long live_bytes, peak_bytes;

static void note_live(long long delta) {
    long long now = atomic_fetch_add(&live_bytes, delta) + delta;
    long long peak = atomic_load(&peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {
    }
}

static void *count_malloc(size_t size, void *ctx) {
    (void)ctx;
    size_t *p = malloc(size + 16);
    if (!p)
        return NULL;
    *p = size;
    note_live((long long)size);
    return (char *)p + 16;
}

static void count_free(void *ptr, void *ctx) {
    (void)ctx;
    if (!ptr)
        return;
    size_t *p = (size_t *)((char *)ptr - 16);
    note_live(-(long long)*p);
    free(p);
}

static void *count_realloc(void *ptr, size_t size, void *ctx) {
    if (!ptr)
        return count_malloc(size, ctx);
    size_t *p = (size_t *)((char *)ptr - 16);
    size_t old = *p;
    size_t *q = realloc(p, size + 16);
    if (!q)
        return NULL;
    *q = size;
    note_live((long long)size - (long long)old);
    return (char *)q + 16;
}

void tu_count_alloc_install(void) {
    aw_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    aw_set_allocator(&counting);
}

long long tu_count_alloc_live(void) { return atomic_load(&live_bytes); }

void tu_count_alloc_peak_reset(void) { atomic_store(&peak_bytes, atomic_load(&live_bytes)); }

long long tu_count_alloc_peak(void) { return atomic_load(&peak_bytes); }
