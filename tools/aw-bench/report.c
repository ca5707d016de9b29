/* aw-bench's output; see report.h. */
#include "report.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

static bool is_batch(op_type t) { return t == OP_BATCH_READ || t == OP_BATCH_WRITE; }

uint64_t rp_ops(const bench *b, const worker_stats *s) {
    uint64_t n = 0;
    for (int t = 0; t < OP_TYPES; t++)
        if (b->used[t])
            n += st_get(&s->op[t].ops);
    return n;
}

bool rp_all_failed(const bench *b, const worker_stats *s, op_type t) {
    const op_stats *o = &s->op[t];
    return b->used[t] && st_get(&o->ops) == 0 &&
           st_get(&o->errors) + st_get(&o->timeouts) > 0;
}

uint64_t rp_records(const bench *b, const worker_stats *s) {
    uint64_t n = 0;
    for (int t = 0; t < OP_TYPES; t++)
        if (b->used[t])
            n += is_batch((op_type)t) ? st_get(&s->op[t].records) : st_get(&s->op[t].ops);
    return n;
}

static uint64_t sum_field(const bench *b, const worker_stats *s, size_t off) {
    uint64_t n = 0;
    for (int t = 0; t < OP_TYPES; t++)
        if (b->used[t])
            n += st_get((const _Atomic uint64_t *)((const char *)&s->op[t] + off));
    return n;
}
#define SUM(b, s, field) sum_field(b, s, offsetof(op_stats, field))

static double per_s(uint64_t n, double secs) { return secs > 0 ? (double)n / secs : 0.0; }

/* Microseconds, short: one decimal below 10 us. */
static const char *us(char *buf, size_t cap, uint64_t ns) {
    double v = (double)ns / 1000.0;
    snprintf(buf, cap, v < 10 ? "%.1f" : "%.0f", v);
    return buf;
}

static const char *mode_text(const bench *b, char *buf, size_t cap) {
    const bench_args *a = b->a;
    if (a->async)
        snprintf(buf, cap, "async, %u event loop%s, %u commands in flight", a->event_loops,
                 a->event_loops == 1 ? "" : "s", a->async_max_commands);
    else
        snprintf(buf, cap, "sync, %u thread%s", a->threads, a->threads == 1 ? "" : "s");
    return buf;
}

/* Where the key digests come from: they are part of the CPU per command
 * unless --precomputed-digests took them out. */
static const char *digests_text(const bench *b) {
    return b->a->precomputed_digests ? "digests precomputed (--precomputed-digests)"
                                     : "key digests computed per command";
}

void rp_header(FILE *f, const bench *b, const run_result *r) {
    const bench_args *a = b->a;
    char mode[96];
    fprintf(f, "aw-bench: workload %s, keys %" PRIu64 "..%" PRIu64 " (%" PRIu64 ") in %s/%s, bins %s\n",
            a->wl.text, a->start_key, a->start_key + a->keys - 1, a->keys, a->ns, a->set,
            a->spec_text);
    fprintf(f, "aw-bench: %s", mode_text(b, mode, sizeof mode));
    if (a->batch_read_size)
        fprintf(f, ", batch reads of %u (%s)", a->batch_read_size,
                a->batch_mode == BM_COLUMNAR ? "columnar" : "records");
    if (a->batch_write_size)
        fprintf(f, ", batch writes of %u (%s)", a->batch_write_size,
                a->batch_mode == BM_COLUMNAR ? "columnar" : "records");
    fprintf(f, ", host %s%s\n", r->host, r->embedded ? " (embedded aw-testd)" : "");
    fprintf(f, "aw-bench: %s\n", digests_text(b));
    if (a->filter_text)
        fprintf(f, "aw-bench: reads filtered by %s (writes and deletes are not)\n",
                a->filter_text);
}

void rp_line(FILE *f, const bench *b, double t, double dt, const worker_stats *d) {
    char p50[16], p99[16], p999[16];
    fprintf(f, "%7.1fs", t);
    for (int k = 0; k < OP_TYPES; k++) {
        if (!b->used[k])
            continue;
        const op_stats *o = &d->op[k];
        uint64_t ops = st_get(&o->ops);
        fprintf(f, "  %s %.0f/s", op_names[k], per_s(ops, dt));
        if (is_batch((op_type)k))
            fprintf(f, " (%.0f rec/s)", per_s(st_get(&o->records), dt));
        if (ops)
            fprintf(f, " p50 %s p99 %s p99.9 %sus", us(p50, sizeof p50, bh_percentile(&o->lat, 50)),
                    us(p99, sizeof p99, bh_percentile(&o->lat, 99)),
                    us(p999, sizeof p999, bh_percentile(&o->lat, 99.9)));
    }
    fprintf(f, "  errors %" PRIu64 " timeouts %" PRIu64 "\n", SUM(b, d, errors),
            SUM(b, d, timeouts));
    fflush(f);
}

void rp_summary(FILE *f, const bench *b, const worker_stats *total, const run_result *r) {
    uint64_t ops = rp_ops(b, total), recs = rp_records(b, total);
    bool batches = b->used[OP_BATCH_READ] || b->used[OP_BATCH_WRITE];
    fprintf(f, "\naw-bench summary%s: %.2f s, %" PRIu64 " commands, %.0f commands/s, errors %" PRIu64
            ", timeouts %" PRIu64 "\n",
            r->interrupted ? " (interrupted)" : "", r->seconds, ops, per_s(ops, r->seconds),
            SUM(b, total, errors), SUM(b, total, timeouts));
    if (batches)
        fprintf(f, "  records      %" PRIu64 " (%.0f/s)\n", recs, per_s(recs, r->seconds));
    fprintf(f, "  client cpu   %.2f s (%.0f%% of a core), %.3f us per command", r->cpu_s,
            r->seconds > 0 ? 100.0 * r->cpu_s / r->seconds : 0.0,
            ops ? r->cpu_s * 1e6 / (double)ops : 0.0);
    if (batches)
        fprintf(f, ", %.3f us per record", recs ? r->cpu_s * 1e6 / (double)recs : 0.0);
    fprintf(f, "; %s\n", digests_text(b));
    if (r->allocs_counted)
        fprintf(f, "  allocations  %.3f per command (aerowire's allocator, all threads)\n",
                ops ? (double)r->allocs / (double)ops : 0.0);
    char a1[16], a2[16], a3[16], a4[16], a5[16], a6[16];
    for (int k = 0; k < OP_TYPES; k++) {
        if (!b->used[k])
            continue;
        const op_stats *o = &total->op[k];
        uint64_t n = st_get(&o->ops);
        fprintf(f, "  %-12s %" PRIu64 " %s (%.0f/s)", op_names[k], n,
                is_batch((op_type)k) ? "batches" : "commands", per_s(n, r->seconds));
        if (is_batch((op_type)k))
            fprintf(f, ", %" PRIu64 " records (%.0f/s)", st_get(&o->records),
                    per_s(st_get(&o->records), r->seconds));
        fprintf(f, ", misses %" PRIu64, st_get(&o->misses));
        if (b->a->filter && (k == OP_READ || k == OP_BATCH_READ))
            fprintf(f, ", filtered %" PRIu64, st_get(&o->filtered));
        fprintf(f, ", errors %" PRIu64 ", timeouts %" PRIu64 "\n", st_get(&o->errors),
                st_get(&o->timeouts));
        if (!n)
            continue;
        fprintf(f, "               latency us: mean %s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
                us(a1, sizeof a1, (uint64_t)bh_mean(&o->lat)),
                us(a2, sizeof a2, bh_percentile(&o->lat, 50)),
                us(a3, sizeof a3, bh_percentile(&o->lat, 90)),
                us(a4, sizeof a4, bh_percentile(&o->lat, 99)),
                us(a5, sizeof a5, bh_percentile(&o->lat, 99.9)),
                us(a6, sizeof a6, st_get(&o->lat.max_ns)));
        bh_print(&o->lat, f, "               ", 40);
    }
    if (b->n_errors_noted)
        fprintf(f, "  first error: %s %s (%d): %s\n", op_names[b->first_type],
                aw_status_name(b->first_code), b->first_code, b->first_msg);
    for (int k = 0; k < OP_TYPES; k++)
        if (rp_all_failed(b, total, (op_type)k))
            fprintf(f, "  every %s failed: these figures are not a benchmark of %ss\n",
                    op_names[k], op_names[k]);
    fflush(f);
}

/* A JSON string (the names and hosts we print are plain, but a namespace
 * may hold anything). */
static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static double us_d(uint64_t ns) { return (double)ns / 1000.0; }

static void json_latency(FILE *f, const bh_hist *h) {
    fprintf(f,
            "{\"mean\": %.1f, \"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"p999\": %.1f, "
            "\"max\": %.1f}",
            bh_mean(h) / 1000.0, us_d(bh_percentile(h, 50)), us_d(bh_percentile(h, 90)),
            us_d(bh_percentile(h, 99)), us_d(bh_percentile(h, 99.9)),
            us_d(st_get(&h->max_ns)));
}

void rp_json(FILE *f, const bench *b, const worker_stats *total, const run_result *r) {
    const bench_args *a = b->a;
    uint64_t ops = rp_ops(b, total), recs = rp_records(b, total);
    /* All op types' latencies together. */
    static bh_hist all;
    bh_clear(&all);
    for (int k = 0; k < OP_TYPES; k++)
        if (b->used[k])
            bh_add(&all, &total->op[k].lat);
    fprintf(f, "{\"tool\": \"aw-bench\", \"version\": \"%s\", \"host\": ", AEROWIRE_VERSION);
    json_str(f, r->host);
    fprintf(f, ", \"embedded_server\": %s, \"namespace\": ", r->embedded ? "true" : "false");
    json_str(f, a->ns);
    fprintf(f, ", \"set\": ");
    json_str(f, a->set);
    fprintf(f, ", \"workload\": ");
    json_str(f, a->wl.text);
    fprintf(f, ", \"object_spec\": ");
    json_str(f, a->spec_text);
    fprintf(f, ", \"filter\": ");
    if (a->filter_text)
        json_str(f, a->filter_text);
    else
        fprintf(f, "null");
    fprintf(f,
            ", \"keys\": %" PRIu64 ", \"start_key\": %" PRIu64 ", \"mode\": \"%s\", "
            "\"event_loops\": %u, \"async_max_commands\": %u, \"threads\": %u, "
            "\"batch_read_size\": %u, \"batch_write_size\": %u, \"batch_mode\": \"%s\", "
            "\"precomputed_digests\": %s, \"interrupted\": %s,\n",
            a->keys, a->start_key, a->async ? "async" : "sync", a->async ? a->event_loops : 0,
            a->async ? a->async_max_commands : 0, a->async ? 0 : a->threads, a->batch_read_size,
            a->batch_write_size, a->batch_mode == BM_COLUMNAR ? "columnar" : "records",
            a->precomputed_digests ? "true" : "false", r->interrupted ? "true" : "false");
    fprintf(f,
            " \"seconds\": %.3f, \"ops\": %" PRIu64 ", \"tps\": %.1f, \"records\": %" PRIu64
            ", \"records_per_s\": %.1f, \"errors\": %" PRIu64 ", \"timeouts\": %" PRIu64
            ", \"misses\": %" PRIu64 ", \"filtered\": %" PRIu64 ",\n",
            r->seconds, ops, per_s(ops, r->seconds), recs, per_s(recs, r->seconds),
            SUM(b, total, errors), SUM(b, total, timeouts), SUM(b, total, misses),
            SUM(b, total, filtered));
    fprintf(f,
            " \"cpu_seconds\": %.3f, \"cpu_percent\": %.1f, \"cpu_us_per_op\": %.3f, "
            "\"cpu_us_per_record\": %.3f,\n \"latency_us\": ",
            r->cpu_s, r->seconds > 0 ? 100.0 * r->cpu_s / r->seconds : 0.0,
            ops ? r->cpu_s * 1e6 / (double)ops : 0.0,
            recs ? r->cpu_s * 1e6 / (double)recs : 0.0);
    json_latency(f, &all);
    if (r->allocs_counted)
        fprintf(f, ", \"allocs\": %" PRIu64 ", \"allocs_per_op\": %.3f", r->allocs,
                ops ? (double)r->allocs / (double)ops : 0.0);
    fprintf(f, ",\n \"types\": {");
    bool first = true;
    for (int k = 0; k < OP_TYPES; k++) {
        if (!b->used[k])
            continue;
        const op_stats *o = &total->op[k];
        uint64_t n = st_get(&o->ops);
        fprintf(f, "%s\n  \"%s\": {\"ops\": %" PRIu64 ", \"tps\": %.1f", first ? "" : ",",
                op_names[k], n, per_s(n, r->seconds));
        first = false;
        if (is_batch((op_type)k))
            fprintf(f, ", \"records\": %" PRIu64 ", \"records_per_s\": %.1f",
                    st_get(&o->records), per_s(st_get(&o->records), r->seconds));
        fprintf(f,
                ", \"misses\": %" PRIu64 ", \"filtered\": %" PRIu64 ", \"errors\": %" PRIu64
                ", \"timeouts\": %" PRIu64 ", \"all_failed\": %s, \"latency_us\": ",
                st_get(&o->misses), st_get(&o->filtered), st_get(&o->errors),
                st_get(&o->timeouts), rp_all_failed(b, total, (op_type)k) ? "true" : "false");
        json_latency(f, &o->lat);
        fprintf(f, "}");
    }
    fprintf(f, "}");
    if (b->n_errors_noted) {
        fprintf(f, ",\n \"first_error\": {\"type\": \"%s\", \"code\": %d, \"name\": \"%s\", "
                   "\"message\": ",
                op_names[b->first_type], b->first_code, aw_status_name(b->first_code));
        json_str(f, b->first_msg);
        fprintf(f, "}");
    }
    fprintf(f, "}\n");
    fflush(f);
}
