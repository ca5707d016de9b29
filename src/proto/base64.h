/* Standard base64 (RFC 4648, padded): the text form the server's info
 * commands take for expressions and contexts. */
#ifndef AW_PROTO_BASE64_H
#define AW_PROTO_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* A NUL-terminated allocation (aw_free), or NULL when out of memory. */
char *aw_base64_encode(const uint8_t *p, size_t n);

#endif
