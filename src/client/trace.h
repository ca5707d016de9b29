/*
 * Spans for the tracing hook (aw_config.trace): what every traced call
 * shares. A span is begun once the call's arguments were accepted, filled
 * as the call goes (requests, records, the last node) and ended exactly
 * once. Begin and end cost one test of c->tracing when no hook is set;
 * everything else is only touched when `on`.
 */
#ifndef AW_CLIENT_TRACE_H
#define AW_CLIENT_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "client_impl.h"

typedef struct aw_tspan {
    bool on;                    /* begun and not ended */
    aw_client *client;
    void *span;                 /* what trace.begin returned */
    aw_trace_info info;
    char ns[AW_NAMESPACE_MAX + 1]; /* copies: info points here (rows' keys may be reused) */
    char set[AW_SET_MAX + 1];
} aw_tspan;

/* The hooks themselves (the single-record paths build their own info). */
void *aw_trace_call_begin(aw_client *c, const aw_trace_info *info);
void aw_trace_call_end(aw_client *c, void *span, const aw_trace_info *info);

void aw_tspan_start(aw_tspan *t, aw_client *c, aw_metrics_type type, const char *command,
                    const char *ns, const char *set, bool async, uint64_t n_keys, uint64_t now_ns);
void aw_tspan_finish(aw_tspan *t, int status, uint64_t now_ns);

/* Begins t when c traces (start time: now, or now_ns when not 0 — an async
 * engine passes its loop's clock); else only marks it off. */
static inline void aw_tspan_begin(aw_tspan *t, aw_client *c, aw_metrics_type type,
                                  const char *command, const char *ns, const char *set,
                                  bool async, uint64_t n_keys, uint64_t now_ns) {
    t->on = false;
    if (c->tracing)
        aw_tspan_start(t, c, type, command, ns, set, async, n_keys, now_ns);
}

/* Ends t with status if it is on (end time as for begin); then it is off. */
static inline void aw_tspan_end(aw_tspan *t, int status, uint64_t now_ns) {
    if (t && t->on)
        aw_tspan_finish(t, status, now_ns);
}

/* One request sent to node (name) for the call. */
static inline void aw_tspan_request(aw_tspan *t, const char *node) {
    if (t && t->on) {
        t->info.n_requests++;
        t->info.node = node;
    }
}

#endif
