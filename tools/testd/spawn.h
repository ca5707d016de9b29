/*
 * Running the aw-testd program that sits next to a tool as a child on free
 * ports (aw's embedded server, the benchmarks'). Where the benchmarks put
 * client and server (which CPUs) is theirs: tools/benchlib/pin.h.
 */
#ifndef AW_TESTD_SPAWN_H
#define AW_TESTD_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* Starts the aw-testd in this program's directory with --port 0, waits (up
 * to 5 s) for its ready line and copies the first node's address into host.
 * Returns its pid, or -1.
 * The server runs in its own process group, so a Ctrl-C at the terminal
 * reaches only the tool (which stops the server with td_spawn_stop), and it
 * is sent SIGTERM if the tool dies without stopping it. */
pid_t td_spawn(char *host, size_t cap);
/* The same; on failure `why` (may be NULL) says what went wrong. */
pid_t td_spawn_ex(char *host, size_t cap, char *why, size_t why_cap);
/* The same with the server pinned to `cpu` (< 0: not pinned). */
pid_t td_spawn_on(int cpu, char *host, size_t cap, char *why, size_t why_cap);
/* SIGTERM, then waits for it. pid <= 0 is harmless. */
void td_spawn_stop(pid_t pid);

#endif
