/*
 * RIPEMD-160's step schedule, shared by the one-message compression
 * (ripemd160.c) and the many-lane one (ripemd160_lanes.c): the five
 * boolean functions, the rounds' functions and constants, and for each of
 * the 80 steps of each line the message word it reads and its rotation.
 * The functions are macros so that they serve uint32_t and vectors of it.
 */
#ifndef AW_PROTO_RIPEMD160_TABLES_H
#define AW_PROTO_RIPEMD160_TABLES_H

#include <stdint.h>

/* Which message word each step reads, left line then right line. */
static const uint8_t word_left[80] = {
    0, 1, 2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
    7, 4, 13, 1,  10, 6,  15, 3,  12, 0,  9,  5,  2,  14, 11, 8,
    3, 10, 14, 4, 9,  15, 8,  1,  2,  7,  0,  6,  13, 11, 5,  12,
    1, 9, 11, 10, 0,  8,  12, 4,  13, 3,  7,  15, 14, 5,  6,  2,
    4, 0, 5,  9,  7,  12, 2,  10, 14, 1,  3,  8,  11, 6,  15, 13,
};
static const uint8_t word_right[80] = {
    5,  14, 7,  0, 9, 2,  11, 4,  13, 6,  15, 8,  1,  10, 3,  12,
    6,  11, 3,  7, 0, 13, 5,  10, 14, 15, 8,  12, 4,  9,  1,  2,
    15, 5,  1,  3, 7, 14, 6,  9,  11, 8,  12, 2,  10, 0,  4,  13,
    8,  6,  4,  1, 3, 11, 15, 0,  5,  12, 2,  13, 9,  7,  10, 14,
    12, 15, 10, 4, 1, 5,  8,  7,  6,  2,  13, 14, 0,  3,  9,  11,
};

/* Each step's left rotation, left line then right line. */
static const uint8_t shift_left[80] = {
    11, 14, 15, 12, 5,  8,  7,  9,  11, 13, 14, 15, 6,  7,  9,  8,
    7,  6,  8,  13, 11, 9,  7,  15, 7,  12, 15, 9,  11, 7,  13, 12,
    11, 13, 6,  7,  14, 9,  13, 15, 14, 8,  13, 6,  5,  12, 7,  5,
    11, 12, 14, 15, 14, 15, 9,  8,  9,  14, 5,  6,  8,  6,  5,  12,
    9,  15, 5,  11, 6,  8,  13, 12, 5,  12, 13, 14, 11, 8,  5,  6,
};
static const uint8_t shift_right[80] = {
    8,  9,  9,  11, 13, 15, 15, 5,  7,  7,  8,  11, 14, 14, 12, 6,
    9,  13, 15, 7,  12, 8,  9,  11, 7,  7,  12, 7,  6,  15, 13, 11,
    9,  7,  15, 11, 8,  6,  6,  14, 12, 13, 5,  14, 13, 13, 7,  5,
    15, 5,  8,  11, 14, 14, 6,  14, 6,  9,  12, 9,  12, 5,  15, 8,
    8,  5,  12, 9,  12, 5,  14, 6,  8,  13, 6,  5,  15, 13, 11, 11,
};


/* The five boolean functions; the left line uses them in order F1..F5, the
 * right line in reverse. */
#define AW_RMD_F1(x, y, z) ((x) ^ (y) ^ (z))
#define AW_RMD_F2(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define AW_RMD_F3(x, y, z) (((x) | ~(y)) ^ (z))
#define AW_RMD_F4(x, y, z) (((x) & (z)) | ((y) & ~(z)))
#define AW_RMD_F5(x, y, z) ((x) ^ ((y) | ~(z)))

/* The 16 steps of one round on both lines, for words of type T that ROL(x,
 * n) rotates left: the chaining variables al..el and ar..er, the message
 * words x[], all in scope. Unrolled, the word indices and rotations become
 * constants (about a fifth faster). */
#define AW_RMD_TWO_LINE_ROUND(T, ROL, first, FL, KL, FR, KR)                                   \
    _Pragma("GCC unroll 16")                                                                   \
    for (int j = (first); j < (first) + 16; j++) {                                             \
        T t = ROL(al + FL(bl, cl, dl) + x[word_left[j]] + (KL), shift_left[j]) + el;           \
        al = el, el = dl, dl = ROL(cl, 10), cl = bl, bl = t;                                   \
        t = ROL(ar + FR(br, cr, dr) + x[word_right[j]] + (KR), shift_right[j]) + er;           \
        ar = er, er = dr, dr = ROL(cr, 10), cr = br, br = t;                                   \
    }

/* ROUND(first step, left function, left constant, right function, right
 * constant) for each of the five rounds of 16 steps. */
#define AW_RMD_ROUNDS(ROUND)                                                                   \
    ROUND(0, AW_RMD_F1, 0x00000000u, AW_RMD_F5, 0x50a28be6u)                                   \
    ROUND(16, AW_RMD_F2, 0x5a827999u, AW_RMD_F4, 0x5c4dd124u)                                  \
    ROUND(32, AW_RMD_F3, 0x6ed9eba1u, AW_RMD_F3, 0x6d703ef3u)                                  \
    ROUND(48, AW_RMD_F4, 0x8f1bbcdcu, AW_RMD_F2, 0x7a6d76e9u)                                  \
    ROUND(64, AW_RMD_F5, 0xa953fd4eu, AW_RMD_F1, 0x00000000u)

#endif
