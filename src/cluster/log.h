/*
 * The process-wide log sink of aw_set_log_callback (aerowire/metrics.h).
 * aw_log costs one relaxed load when nothing listens at that level.
 */
#ifndef AW_CLUSTER_LOG_H
#define AW_CLUSTER_LOG_H

#include <stdatomic.h>

#include "aerowire/metrics.h"

/* The most verbose level listened to, or -1 when no sink is set. */
extern atomic_int aw_log_max_level;

void aw_log_emit(aw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define aw_log(level, ...)                                                                        \
    do {                                                                                           \
        if ((int)(level) <= atomic_load_explicit(&aw_log_max_level, memory_order_relaxed))        \
            aw_log_emit((level), __VA_ARGS__);                                                     \
    } while (0)

#endif
