/*
 * A bump allocator for decoded values: a chain of blocks freed all at once.
 * A record's bins, names, strings and nested lists/maps all live in one
 * arena, so releasing a record is one walk of a short chain.
 */
#ifndef AW_PROTO_ARENA_H
#define AW_PROTO_ARENA_H

#include <stddef.h>

struct aw_arena_block;

typedef struct aw_arena {
    struct aw_arena_block *head; /* newest block first */
    size_t used;                 /* bytes handed out so far */
    size_t limit;                /* cap on total bytes handed out; 0 = no cap */
    size_t first;                /* size of the first block; 0 = the default */
} aw_arena;

static inline void aw_arena_init(aw_arena *a, size_t limit) {
    a->head = NULL;
    a->used = 0;
    a->limit = limit;
    a->first = 0;
}
/* When the caller knows about how much it will need (a record decoded from
 * a message of known size), a first block smaller than the usual one is
 * sized to it: a small record then takes one small allocation, which glibc
 * serves from its heap, instead of a block big enough that every batch of
 * records maps (and faults in) fresh pages. Bigger needs grow as usual. */
void aw_arena_size_hint(aw_arena *a, size_t bytes);
/* 8-byte aligned memory, or NULL when allocation fails or the cap is hit. */
void *aw_arena_alloc(aw_arena *a, size_t size);
/* Copy of n bytes with a NUL after them. */
char *aw_arena_strndup(aw_arena *a, const void *src, size_t n);
/* Releases every block (the chain that starts at a->head). */
void aw_arena_free(aw_arena *a);
/* Frees a chain detached from its arena (what aw_record keeps). */
void aw_arena_free_blocks(struct aw_arena_block *head);

#endif
