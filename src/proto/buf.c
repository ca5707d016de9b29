/* Growable output buffer (see buf.h). */
#include "buf.h"

#include <stdint.h>

#include "mem.h"

void aw_buf_init(aw_buf *b) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = false;
}

void aw_buf_free(aw_buf *b) {
    aw_free(b->data);
    aw_buf_init(b);
}

bool aw_buf_reserve_slow(aw_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = aw_realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}
