/*
 * The seed list of aw_config.hosts, parsed into aw_host entries.
 */
#ifndef AW_CLIENT_HOSTS_H
#define AW_CLIENT_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "proto/info.h"

#define AW_DEFAULT_PORT 3000

/* Parses "host[:port][,host[:port]...]". Each entry is a name or IPv4
 * address with an optional port, "host:tls-name:port", "[v6addr]",
 * "[v6addr]:port" or "[v6addr]:tls-name:port", or a bare
 * IPv6 address (two or more ':' and no brackets: the whole entry is the
 * address, on the default port). Spaces around entries are ignored. Ports
 * are decimal 1..65535.
 * On success *out is an array of *n hosts allocated with aw_malloc (the
 * caller aw_frees it). AW_ERR_PARAM for NULL arguments; AW_ERR_INVALID_HOST
 * (naming the entry) for an empty list or entry, a bad or missing port, an
 * unclosed bracket, an empty TLS name, or a name over AW_HOST_NAME_MAX
 * bytes; AW_ERR_NOMEM. */
int aw_hosts_parse(const char *s, uint16_t default_port, aw_host **out, size_t *n, aw_error *err);

#endif
