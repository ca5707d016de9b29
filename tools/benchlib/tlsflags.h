/*
 * asbench's TLS flags (--tls-enable, --tls-cafile, ...) into an
 * aw_tls_config, for aw and aw-bench alike. The values are borrowed from
 * argv, which outlives the client's creation.
 */
#ifndef AW_BENCHLIB_TLSFLAGS_H
#define AW_BENCHLIB_TLSFLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "aerowire/tls.h"

typedef struct bl_tls_flag {
    const char *name; /* without the leading "--" */
    bool has_arg;
} bl_tls_flag;

/* The flags, asbench's names, ended by a NULL name. */
extern const bl_tls_flag bl_tls_flags[];

/* Applies flag `name` (one of bl_tls_flags) with its value (NULL for the
 * switches). 0, or -1 with a message in why. */
int bl_tls_apply(aw_tls_config *tls, const char *name, const char *value, char *why, size_t cap);

#endif
