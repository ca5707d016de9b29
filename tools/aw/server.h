/*
 * Where aw connects: the seed list built from -h and -p. (Opening the
 * client, or the embedded aw-testd when no seed was given, is cli_client in
 * cli.h.)
 */
#ifndef AW_CLI_SERVER_H
#define AW_CLI_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "args.h"

/* The seed list for aerowire from the -h values joined with ',' (each entry
 * "host", "host:port", "[v6]" or "[v6]:port"; a bare IPv6 address is taken
 * whole), with `port` added to entries that have none. NULL with a message
 * in `why` when an entry is empty or its port is not 1..65535, or out of
 * memory. malloc'd. */
char *cli_hosts_build(const char *given, uint16_t port, char why[CLI_WHY_SIZE]);

#endif
