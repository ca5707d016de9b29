/* The allocator hook and the internal allocation entry points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/alloc.h"
#include "aerowire/client.h" /* aw_free is public: exported from there */
#include "mem.h"

static void *libc_malloc(size_t size, void *ctx) {
    (void)ctx;
    return malloc(size);
}
static void *libc_realloc(void *ptr, size_t size, void *ctx) {
    (void)ctx;
    return realloc(ptr, size);
}
static void libc_free(void *ptr, void *ctx) {
    (void)ctx;
    free(ptr);
}

static aw_allocator current = {libc_malloc, libc_realloc, libc_free, NULL};

void aw_set_allocator(const aw_allocator *allocator) {
    if (allocator && allocator->malloc_fn && allocator->realloc_fn && allocator->free_fn)
        current = *allocator;
    else
        current = (aw_allocator){libc_malloc, libc_realloc, libc_free, NULL};
}

void *aw_malloc(size_t size) { return current.malloc_fn(size ? size : 1, current.ctx); }

void *aw_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = aw_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *aw_realloc(void *ptr, size_t size) {
    return current.realloc_fn(ptr, size ? size : 1, current.ctx);
}

void aw_free(void *ptr) {
    if (ptr)
        current.free_fn(ptr, current.ctx);
}

char *aw_strndup(const char *s, size_t n) {
    char *p = aw_malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}
