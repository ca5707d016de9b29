/* Bump allocator for decoded values (see arena.h). */
#include "arena.h"

#include <stdint.h>
#include <string.h>

#include "mem.h"

struct aw_arena_block {
    struct aw_arena_block *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(8) unsigned char data[];
};

#define ARENA_MIN_BLOCK 4000

void aw_arena_size_hint(aw_arena *a, size_t bytes) {
    a->first = bytes < ARENA_MIN_BLOCK ? bytes : 0;
}

void *aw_arena_alloc(aw_arena *a, size_t size) {
    size = (size + 7) & ~(size_t)7;
    if (size == 0)
        size = 8;
    if (a->limit && (size > a->limit || a->used > a->limit - size))
        return NULL;
    struct aw_arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t min_block = !b && a->first ? a->first : ARENA_MIN_BLOCK;
        size_t want = size > min_block ? size : min_block;
        /* Grow blocks with the arena so big records take few allocations. */
        if (b && b->size * 2 > want && b->size < (1u << 20))
            want = b->size * 2;
        if (want > SIZE_MAX - sizeof *b)
            return NULL;
        b = aw_malloc(sizeof *b + want);
        if (!b)
            return NULL;
        b->next = a->head;
        b->size = want;
        b->used = 0;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->used += size;
    return p;
}

char *aw_arena_strndup(aw_arena *a, const void *src, size_t n) {
    if (n == SIZE_MAX)
        return NULL;
    char *p = aw_arena_alloc(a, n + 1);
    if (p) {
        if (n)
            memcpy(p, src, n);
        p[n] = '\0';
    }
    return p;
}

void aw_arena_free_blocks(struct aw_arena_block *head) {
    while (head) {
        struct aw_arena_block *next = head->next;
        aw_free(head);
        head = next;
    }
}

void aw_arena_free(aw_arena *a) {
    aw_arena_free_blocks(a->head);
    a->head = NULL;
    a->used = 0;
}
