/* Scan/query reply streams and their comparison (see stream_compare.h). */
#include "stream_compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/key.h"
#include "proto/buf.h"
#include "proto/msg.h"
#include "proto/particle.h"
#include "testd_proc.h"
#include "testutil.h"

/* Message header offsets: record_ttl (the void time) is bytes 10..13. */
#define VOID_TIME_AT 10

typedef struct msg_ref {
    const uint8_t *p;
    size_t len;
    aw_msg_header h;
    const uint8_t *digest; /* records only */
    uint32_t pid;
    size_t seq;            /* position in the stream */
    const uint8_t *bval;   /* a query's record: its BVAL field (header included); else NULL */
    int64_t bval_value;
} msg_ref;

/* A BVAL field: u32 size, type, i64 LE. */
#define BVAL_FIELD_SIZE 13

enum kind { RECORD, PDONE, END };

static enum kind kind_of(const aw_msg_header *h) {
    if (h->info3 & AW_INFO3_LAST)
        return END;
    if (h->info3 & AW_INFO3_PARTITION_DONE)
        return PDONE;
    return h->result_code ? END : RECORD;
}

/* Appends the messages of one frame body; sets *ended when one ends the
 * stream. False when the body does not parse. */
static bool append_body(tu_stream *s, const uint8_t *body, size_t len, bool *ended) {
    size_t off = 0;
    while (off < len) {
        aw_msg_view m;
        size_t used;
        if (*ended || aw_msg_parse(body + off, len - off, &m, &used, NULL) != AW_OK)
            return false;
        *ended = kind_of(&m.h) == END;
        off += used;
    }
    uint8_t *grown = realloc(s->bytes, s->len + len + 1);
    if (!grown)
        return false;
    memcpy(grown + s->len, body, len);
    s->bytes = grown;
    s->len += len;
    s->frames++;
    return true;
}

bool tu_stream_recv(int fd, tu_stream *s, int timeout_ms) {
    memset(s, 0, sizeof *s);
    bool ended = false;
    while (!ended) {
        size_t len;
        uint8_t *f = tu_recv_frame(fd, &len, timeout_ms);
        if (!f)
            return false;
        bool ok = len >= 8 && f[1] == 3 && append_body(s, f + 8, len - 8, &ended);
        free(f);
        if (!ok)
            return false;
    }
    return true;
}

bool tu_stream_from_capture(json_t *reply_hex, tu_stream *s) {
    memset(s, 0, sizeof *s);
    bool ended = false;
    size_t i;
    json_t *r;
    json_array_foreach(reply_hex, i, r) {
        size_t len;
        uint8_t *f = tu_hex_decode(json_string_value(r), &len);
        bool ok = f && len >= 8 && append_body(s, f + 8, len - 8, &ended);
        free(f);
        if (!ok)
            return false;
    }
    return ended;
}

void tu_stream_free(tu_stream *s) {
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

/* The stream's messages (malloc'd array) and their count. */
static msg_ref *split(const tu_stream *s, size_t *n) {
    size_t cap = 16, count = 0, off = 0;
    msg_ref *refs = malloc(cap * sizeof *refs);
    while (refs && off < s->len) {
        aw_msg_view m;
        size_t used;
        if (aw_msg_parse(s->bytes + off, s->len - off, &m, &used, NULL) != AW_OK)
            break;
        if (count == cap) {
            cap *= 2;
            msg_ref *grown = realloc(refs, cap * sizeof *refs);
            if (!grown)
                break;
            refs = grown;
        }
        msg_ref *r = &refs[count];
        memset(r, 0, sizeof *r);
        r->p = s->bytes + off;
        r->len = used;
        r->h = m.h;
        r->seq = count;
        aw_field_view f;
        if (kind_of(&m.h) == RECORD && aw_msg_find_field(&m, AW_FIELD_DIGEST, &f) &&
            f.len == AW_DIGEST_SIZE) {
            r->digest = f.data;
            r->pid = aw_partition_id(f.data);
        }
        if (kind_of(&m.h) == RECORD && aw_msg_find_field(&m, AW_FIELD_BVAL_ARRAY, &f) &&
            f.len == 8) {
            r->bval = f.data - 5;
            uint64_t v = 0;
            for (int i = 7; i >= 0; i--)
                v = v << 8 | f.data[i];
            r->bval_value = (int64_t)v;
        }
        count++;
        off += used;
    }
    *n = count;
    return refs;
}

/* Records first, by partition, keeping each partition's order; then the
 * PARTITION_DONE messages by partition; the end last. */
static int stream_order(const void *a, const void *b) {
    const msg_ref *x = a, *y = b;
    enum kind kx = kind_of(&x->h), ky = kind_of(&y->h);
    if (kx != ky)
        return kx < ky ? -1 : 1;
    uint32_t px = kx == PDONE ? x->h.generation : x->pid;
    uint32_t py = ky == PDONE ? y->h.generation : y->pid;
    if (px != py)
        return px < py ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Two messages alike but for the void time (a clock reading): only whether
 * each is 0 (never expires) must agree. */
static bool same_message(const msg_ref *a, const msg_ref *b) {
    uint32_t va = a->h.record_ttl, vb = b->h.record_ttl;
    return a->len == b->len && (va == 0) == (vb == 0) && memcmp(a->p, b->p, VOID_TIME_AT) == 0 &&
           memcmp(a->p + VOID_TIME_AT + 4, b->p + VOID_TIME_AT + 4,
                  a->len - VOID_TIME_AT - 4) == 0;
}

static size_t count_kind(const msg_ref *m, size_t n, enum kind k) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += kind_of(&m[i].h) == k;
    return c;
}

static void print_message(const char *who, const msg_ref *m) {
    char *hex = tu_hex_encode(m->p, m->len < 160 ? m->len : 160);
    printf("    %s %s%s\n", who, hex, m->len > 160 ? "..." : "");
    free(hex);
}

static const msg_ref *find_digest(const msg_ref *m, size_t n, const uint8_t *digest) {
    for (size_t i = 0; i < n; i++)
        if (m[i].digest && memcmp(m[i].digest, digest, AW_DIGEST_SIZE) == 0)
            return &m[i];
    return NULL;
}

/* A query's record against a scan's (the catalog) of the same digest: alike
 * once the query's BVAL field is taken out. */
static bool same_but_bval(const msg_ref *q, const msg_ref *c) {
    if (!q->bval || c->bval)
        return same_message(q, c);
    size_t at = (size_t)(q->bval - q->p);
    uint8_t *copy = malloc(q->len);
    if (!copy)
        return false;
    memcpy(copy, q->p, at);
    memcpy(copy + at, q->p + at + BVAL_FIELD_SIZE, q->len - at - BVAL_FIELD_SIZE);
    uint16_t n_fields = (uint16_t)(copy[18] << 8 | copy[19]);
    copy[18] = (uint8_t)((n_fields - 1) >> 8);
    copy[19] = (uint8_t)(n_fields - 1);
    msg_ref stripped = *q;
    stripped.p = copy;
    stripped.len = q->len - BVAL_FIELD_SIZE;
    bool same = same_message(&stripped, c);
    free(copy);
    return same;
}

/* Within a partition: a scan's records by descending digest, a query's by
 * ascending bval; no digest twice. */
static bool in_order(const msg_ref *prev, const msg_ref *cur) {
    if (prev->pid != cur->pid)
        return true;
    if (memcmp(prev->digest, cur->digest, AW_DIGEST_SIZE) == 0)
        return false;
    if (cur->bval)
        return prev->bval && prev->bval_value <= cur->bval_value;
    return memcmp(prev->digest, cur->digest, AW_DIGEST_SIZE) > 0;
}

/* The sampled checks on got's records (sorted, records first). */
static bool sample_ok(const char *label, const msg_ref *g, size_t n_rec,
                      const tu_stream *catalog) {
    size_t n_cat = 0;
    msg_ref *cat = catalog ? split(catalog, &n_cat) : NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < n_rec; i++) {
        if (!g[i].digest) {
            printf("  %s: a record without a digest\n", label);
            ok = false;
        } else if (i > 0 && !in_order(&g[i - 1], &g[i])) {
            printf("  %s: partition %u not in the server's order (or a digest twice)\n", label,
                   g[i].pid);
            ok = false;
        } else if (cat) {
            const msg_ref *c = find_digest(cat, n_cat, g[i].digest);
            if (!c || !same_but_bval(&g[i], c)) {
                printf("  %s: a record unlike the real server's of that digest\n", label);
                print_message("ours", &g[i]);
                if (c)
                    print_message("real", c);
                ok = false;
            }
        }
    }
    free(cat);
    return ok;
}

bool tu_stream_same(const char *label, const tu_stream *got, const tu_stream *want, bool sampled,
                    const tu_stream *catalog) {
    size_t ng, nw;
    msg_ref *g = split(got, &ng), *w = split(want, &nw);
    bool ok = g && w;
    if (ok) {
        qsort(g, ng, sizeof *g, stream_order);
        qsort(w, nw, sizeof *w, stream_order);
    }
    size_t rg = ok ? count_kind(g, ng, RECORD) : 0, rw = ok ? count_kind(w, nw, RECORD) : 0;
    if (ok && (ng != nw || rg != rw)) {
        printf("  %s: %zu messages (%zu records), real server %zu (%zu records)\n", label, ng, rg,
               nw, rw);
        ok = false;
    }
    if (ok && sampled)
        ok = sample_ok(label, g, rg, catalog);
    for (size_t i = sampled ? rg : 0; ok && i < ng; i++) {
        if (!same_message(&g[i], &w[i])) {
            printf("  %s: message %zu differs\n", label, i);
            print_message("ours", &g[i]);
            print_message("real", &w[i]);
            ok = false;
        }
    }
    free(g);
    free(w);
    return ok;
}

int tu_stream_code(const tu_stream *s) {
    size_t n;
    msg_ref *m = split(s, &n);
    int code = m && n && kind_of(&m[n - 1].h) == END ? m[n - 1].h.result_code : -1;
    free(m);
    return code;
}

static size_t count_in(const tu_stream *s, enum kind k) {
    size_t n;
    msg_ref *m = split(s, &n);
    size_t c = m ? count_kind(m, n, k) : 0;
    free(m);
    return c;
}

size_t tu_stream_records(const tu_stream *s) { return count_in(s, RECORD); }
size_t tu_stream_partition_dones(const tu_stream *s) { return count_in(s, PDONE); }

bool tu_stream_has_digest(const tu_stream *s, const uint8_t *digest) {
    size_t n;
    msg_ref *m = split(s, &n);
    bool found = m && find_digest(m, n, digest) != NULL;
    free(m);
    return found;
}
