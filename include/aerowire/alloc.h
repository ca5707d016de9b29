/*
 * aerowire/alloc.h — the allocator every aerowire allocation goes through.
 *
 * Set it once, before any other aerowire call, and never while a client
 * exists. Tests use it to fail the Nth allocation on every path.
 */
#ifndef AEROWIRE_ALLOC_H
#define AEROWIRE_ALLOC_H

#include <stddef.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aw_allocator {
    void *(*malloc_fn)(size_t size, void *ctx);
    void *(*realloc_fn)(void *ptr, size_t size, void *ctx);
    void (*free_fn)(void *ptr, void *ctx);
    void *ctx;
} aw_allocator;

/* Installs a (copied) allocator; NULL restores the C library's. */
AW_API void aw_set_allocator(const aw_allocator *allocator);

#ifdef __cplusplus
}
#endif
#endif
