/* The tracing hook's calls (trace.h). */
#include "trace.h"

#include <stdio.h>

#include "cluster/metrics.h"

void *aw_trace_call_begin(aw_client *c, const aw_trace_info *info) {
    return c->trace.begin ? c->trace.begin(info, c->cfg.trace_udata) : NULL;
}

void aw_trace_call_end(aw_client *c, void *span, const aw_trace_info *info) {
    if (c->trace.end)
        c->trace.end(span, info, c->cfg.trace_udata);
}

void aw_tspan_start(aw_tspan *t, aw_client *c, aw_metrics_type type, const char *command,
                    const char *ns, const char *set, bool async, uint64_t n_keys, uint64_t now_ns) {
    t->on = true;
    t->client = c;
    t->info = (aw_trace_info){.type = type,
                              .command = command,
                              .async = async,
                              .start_ns = now_ns ? now_ns : aw_metrics_now_ns(),
                              .node = "",
                              .n_keys = n_keys};
    if (ns) {
        snprintf(t->ns, sizeof t->ns, "%s", ns);
        t->info.ns = t->ns;
    }
    if (set) {
        snprintf(t->set, sizeof t->set, "%s", set);
        t->info.set = t->set;
    }
    t->span = aw_trace_call_begin(c, &t->info);
}

void aw_tspan_finish(aw_tspan *t, int status, uint64_t now_ns) {
    t->on = false;
    t->info.end_ns = now_ns ? now_ns : aw_metrics_now_ns();
    if (t->info.end_ns < t->info.start_ns) /* two clocks: the loop's and this one */
        t->info.end_ns = t->info.start_ns;
    t->info.status = status;
    if (t->info.attempts == 0 && t->info.n_requests)
        t->info.attempts = 1;
    aw_trace_call_end(t->client, t->span, &t->info);
}
