/* Standard base64 (RFC 4648, padded): the text form the server's info
 * commands take and give for expressions, contexts and partition bitmaps. */
#ifndef AW_PROTO_BASE64_H
#define AW_PROTO_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AW_BASE64_LEN(n) (((n) + 2) / 3 * 4)

/* Writes the AW_BASE64_LEN(n) characters of p's text at dst (no NUL). */
void aw_base64_encode_to(char *dst, const uint8_t *p, size_t n);
/* A NUL-terminated allocation (aw_free), or NULL when out of memory. */
char *aw_base64_encode(const uint8_t *p, size_t n);

/* Decodes the len characters at s into dst (room for len / 4 * 3 bytes);
 * *n_out gets the bytes written. len must be a positive multiple of 4, and
 * '=' may only end the last quantum (one or two of them). With strict, the
 * bits under the padding must be 0 too, so that every byte string has one
 * spelling. On failure returns false with *bad the offset of the first
 * offending character (len for a bad length) and *why the reason. */
bool aw_base64_decode(const char *s, size_t len, bool strict, uint8_t *dst, size_t *n_out,
                      size_t *bad, const char **why);

#endif
