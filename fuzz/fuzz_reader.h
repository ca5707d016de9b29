/*
 * Reading a fuzz input as a stream of choices: bytes past its end read as
 * 0, so every input drives a whole run (fuzz_exp, fuzz_testd_cdt).
 */
#ifndef AW_FUZZ_READER_H
#define AW_FUZZ_READER_H

#include <stddef.h>
#include <stdint.h>

typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader;

static inline uint8_t u8(reader *r) {
    if (!r->left)
        return 0;
    r->left--;
    return *r->p++;
}

/* Eight bytes, big-endian. */
static inline int64_t i64(reader *r) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | u8(r);
    return (int64_t)v;
}

#endif
