/*
 * --cursor FILE of aw scan / query: the partition cursor kept in a file
 * (aw_partition_status_write's bytes), so the next run resumes where this
 * one stopped: after --max-records, Ctrl-C or an error.
 */
#ifndef AW_CLI_CURSORFILE_H
#define AW_CLI_CURSORFILE_H

#include "aerowire/query.h"
#include "cli.h"

/* The cursor in path, or (no such file) a new one over `parts`. NULL after
 * printing why (*code is then the exit code: 1 for a file that is not a
 * cursor or cannot be read). */
aw_partition_status *cli_cursor_load(cli *c, const char *path, const aw_partition_filter *parts,
                                     int *code);
/* Writes the cursor to path (a temporary file renamed over it, so an error
 * leaves the old one); CLI_OK or the exit code after printing why. */
int cli_cursor_save(cli *c, const char *path, const aw_partition_status *cursor);

#endif
