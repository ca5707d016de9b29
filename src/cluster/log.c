/* The log sink; see log.h. A mutex guards the (fn, udata) pair so that a
 * message never reaches a function with another sink's udata. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

atomic_int aw_log_max_level = -1;

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static aw_log_cb sink_fn;
static void *sink_udata;

void aw_set_log_callback(aw_log_level level, aw_log_cb fn, void *udata) {
    pthread_mutex_lock(&sink_lock);
    sink_fn = fn;
    sink_udata = udata;
    atomic_store_explicit(&aw_log_max_level, fn ? (int)level : -1, memory_order_relaxed);
    pthread_mutex_unlock(&sink_lock);
}

void aw_log_emit(aw_log_level level, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&sink_lock);
    if (sink_fn && (int)level <= atomic_load_explicit(&aw_log_max_level, memory_order_relaxed))
        sink_fn(level, msg, sink_udata);
    pthread_mutex_unlock(&sink_lock);
}
