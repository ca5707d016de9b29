/* errno values as text (see errno_text.h). */
#include "errno_text.h"

#include <stdio.h>
#include <string.h>

const char *aw_errno_text(int e, char *buf, size_t cap) {
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    /* GNU strerror_r: returns the text, in buf or in a static table. */
    return strerror_r(e, buf, cap);
#else
    /* XSI strerror_r: fills buf, or fails for an unknown e. */
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "Unknown error %d", e);
    return buf;
#endif
}
