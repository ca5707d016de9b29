/*
 * The text of an errno value, thread-safely (strerror_r; strerror may
 * share one static buffer between threads). Every error message in the
 * library that names a system error goes through here.
 */
#ifndef AW_PROTO_ERRNO_TEXT_H
#define AW_PROTO_ERRNO_TEXT_H

#include <stddef.h>

#define AW_ERRNO_TEXT_SIZE 96

/* The text for e ("Connection refused", "Unknown error 4242"); it is in buf
 * or in static storage, valid while buf is. */
const char *aw_errno_text(int e, char *buf, size_t cap);

/* aw_errno_text into a buffer that lives to the end of the enclosing
 * block, for use as a printf argument: "recv: %s", aw_errno_str(errno). */
#define aw_errno_str(e) aw_errno_text((e), (char[AW_ERRNO_TEXT_SIZE]){0}, AW_ERRNO_TEXT_SIZE)

#endif
