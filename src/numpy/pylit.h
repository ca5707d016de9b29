/*
 * A strict parser of the Python literals numpy writes in dtype descrs and
 * .npy headers: strings ('...' or "..." with Python's escapes), integers
 * (decimal, optional sign, a Python 2 'L' suffix tolerated), True, False,
 * None, tuples, lists and dicts, with trailing commas and any whitespace
 * between tokens. Nothing is evaluated; nesting is bounded.
 *
 * Nodes live in an arena the caller frees. Strings are stored as UTF-8
 * (a latin-1 source, as .npy 1.0/2.0 headers are, is converted).
 */
#ifndef AW_NUMPY_PYLIT_H
#define AW_NUMPY_PYLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "proto/arena.h"

#define AW_PYLIT_MAX_DEPTH 32

typedef enum aw_pylit_type {
    AW_PY_STR,
    AW_PY_INT,
    AW_PY_BOOL,
    AW_PY_NONE,
    AW_PY_TUPLE,
    AW_PY_LIST,
    AW_PY_DICT,
} aw_pylit_type;

typedef struct aw_pylit {
    aw_pylit_type type;
    size_t pos;               /* byte offset of the value in the text */
    struct aw_pylit *next;    /* next sibling in the enclosing container */
    /* AW_PY_STR */
    const char *s;            /* NUL-terminated UTF-8 (may hold a NUL: see len) */
    size_t len;
    /* AW_PY_INT (|v| <= INT64_MAX), AW_PY_BOOL (0/1) */
    int64_t i;
    /* containers: children in order; a dict holds key, value, key, value... */
    struct aw_pylit *first;
    size_t n;                 /* children (a dict: 2 per entry) */
} aw_pylit;

/* Parses one literal starting at text[*pos] (whitespace before it skipped),
 * leaving *pos just past it (whitespace after it skipped too). latin1: the
 * text's bytes are latin-1 rather than UTF-8. what names the text in error
 * messages ("dtype", ".npy header"). AW_ERR_PARAM with the offset on a
 * syntax error, AW_ERR_NOMEM. */
int aw_pylit_parse(const char *text, size_t len, size_t *pos, bool latin1, const char *what,
                   aw_arena *arena, aw_pylit **out, aw_error *err);

/* Appends code point cp as UTF-8 to out (room for 4 bytes); returns bytes. */
size_t aw_utf8_put(uint32_t cp, char *out);
/* Length of the valid UTF-8 sequence at s[0..len), or 0 when invalid
 * (overlongs, surrogates and code points above U+10FFFF are invalid). */
size_t aw_utf8_valid_seq(const unsigned char *s, size_t len, uint32_t *cp);

#endif
