/*
 * --metrics FILE: the client's metrics for the run alone (the key load
 * before it subtracted), written at the end in the Prometheus text format,
 * so that each type's _count equals the commands aw-bench counted.
 */
#ifndef AW_BENCH_METRICS_OUT_H
#define AW_BENCH_METRICS_OUT_H

#include "aerowire/aerowire.h"

/* A snapshot taken when the run starts (NULL on failure, message printed). */
aw_metrics *mo_start(aw_client *c);
/* Writes now - start to path; 0, or -1 with a message on stderr. */
int mo_write(aw_client *c, const aw_metrics *start, const char *path);

#endif
