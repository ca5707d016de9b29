/* The counting allocator; see heap.h. Each block carries its size in a
 * 16-byte header (keeping malloc's alignment) so frees can be counted. */
#include "heap.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "aerowire/alloc.h"

#define HEADER 16

static _Atomic int64_t live, peak;

static void note(int64_t delta) {
    int64_t now = atomic_fetch_add(&live, delta) + delta;
    int64_t top = atomic_load(&peak);
    while (now > top && !atomic_compare_exchange_weak(&peak, &top, now)) {
    }
}

static void *heap_malloc(size_t size, void *ctx) {
    (void)ctx;
    size_t *p = malloc(size + HEADER);
    if (!p)
        return NULL;
    *p = size;
    note((int64_t)size);
    return (char *)p + HEADER;
}

static void heap_free(void *ptr, void *ctx) {
    (void)ctx;
    if (!ptr)
        return;
    size_t *p = (size_t *)((char *)ptr - HEADER);
    note(-(int64_t)*p);
    free(p);
}

static void *heap_realloc(void *ptr, size_t size, void *ctx) {
    if (!ptr)
        return heap_malloc(size, ctx);
    size_t *p = (size_t *)((char *)ptr - HEADER);
    size_t old = *p;
    size_t *q = realloc(p, size + HEADER);
    if (!q)
        return NULL;
    *q = size;
    note((int64_t)size - (int64_t)old);
    return (char *)q + HEADER;
}

void bl_heap_count(void) {
    static const aw_allocator counting = {heap_malloc, heap_realloc, heap_free, NULL};
    aw_set_allocator(&counting);
}

int64_t bl_heap_live(void) { return atomic_load(&live); }
int64_t bl_heap_peak(void) { return atomic_load(&peak); }
void bl_heap_peak_reset(void) { atomic_store(&peak, atomic_load(&live)); }
