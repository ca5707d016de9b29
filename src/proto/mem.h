/* Internal allocation entry points: every allocation in aerowire goes here,
 * so the allocator hook (aerowire/alloc.h) sees all of them. */
#ifndef AW_PROTO_MEM_H
#define AW_PROTO_MEM_H

#include <stddef.h>

void *aw_malloc(size_t size);
void *aw_calloc(size_t n, size_t size); /* overflow-checked */
void *aw_realloc(void *ptr, size_t size);
void aw_free(void *ptr);
char *aw_strndup(const char *s, size_t n);

#endif
