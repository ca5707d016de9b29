/*
 * The progress line of aw scan / query on stderr: records so far, seconds
 * and records per second, rewritten in place on a terminal, then a last
 * line with the totals. AW_PROGRESS in the environment overrides when it
 * is shown (docs/cli.md): "never", or a number of milliseconds between
 * updates that shows it even when stderr is not a terminal (tests).
 */
#ifndef AW_CLI_PROGRESS_H
#define AW_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct cli_progress {
    const char *what;               /* "scan" or "query" */
    bool on;
    uint32_t every_ms;              /* between updates */
    struct timespec start, shown;
} cli_progress;

/* Decides whether the line is shown: never with --json (json), else on a
 * terminal stderr, unless stdout is the same kind of terminal output the
 * records go to (records_on_stdout: JSON lines); AW_PROGRESS overrides. */
void cli_progress_start(cli_progress *p, const char *what, bool json, bool records_on_stdout);
/* Rewrites the line when every_ms have passed since it was last shown. */
void cli_progress_update(cli_progress *p, uint64_t records);
/* The last line, ended by a newline. */
void cli_progress_end(cli_progress *p, uint64_t records);

#endif
