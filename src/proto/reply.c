/* Reply messages to records: one decoder shared by single-record replies and
 * the record sink of batch replies (see reply.h). */
#include "reply.h"

#include <string.h>

#include "arena.h"
#include "frame.h"
#include "particle.h"

/* Arena cap when the caller gives none: a record's values can outgrow its
 * wire bytes (a 1-byte msgpack nil becomes a 16-byte aw_value), so allow a
 * multiple of the largest frame. */
#define DEFAULT_MAX_RECORD_BYTES ((size_t)8 * AW_PROTO_SIZE_MAX)

/* Room for a bin name (at most 255 bytes on the wire) in an error message. */
#define NAME_SHOWN 24

/* Bin names come from the peer: copy them for error messages with anything
 * unprintable replaced, so a hostile name cannot garble a log line. */
static void printable_name(char out[NAME_SHOWN], const char *name, uint8_t len) {
    size_t n = len < NAME_SHOWN - 1 ? len : NAME_SHOWN - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
}

static size_t arena_room(const aw_arena *a) {
    return a->limit ? a->limit - a->used : SIZE_MAX;
}

/* After a failed allocation of `size`: was it the cap (the peer's fault,
 * PROTO) rather than malloc (NOMEM)? Mirrors aw_arena_alloc's rounding. */
static bool over_cap(const aw_arena *a, size_t size) {
    size_t rounded = (size + 7) & ~(size_t)7;
    return a->limit && rounded > arena_room(a);
}

int aw_record_from_msg(const aw_msg_view *m, const aw_decode_limits *lim, aw_record *rec,
                       aw_error *err) {
    memset(rec, 0, sizeof *rec);
    size_t cap = lim && lim->max_record_bytes ? lim->max_record_bytes : DEFAULT_MAX_RECORD_BYTES;
    uint32_t n = m->h.n_ops;
    if (n == 0) {
        rec->gen = m->h.generation;
        rec->void_time = m->h.record_ttl;
        return AW_OK;
    }

    aw_arena a;
    aw_arena_init(&a, cap);
    /* Bins, then each name and scalar value at most its wire size plus a NUL
     * and alignment; lists and maps may ask for more blocks later. */
    aw_arena_size_hint(&a, (size_t)n * (sizeof(aw_bin) + 16) + (size_t)(m->end - m->ops));
    int rc = AW_OK;
    /* n is bounded by the message's bytes: aw_msg_parse saw 8+ bytes per op. */
    size_t bins_size = (size_t)n * sizeof(aw_bin);
    if (bins_size > arena_room(&a)) {
        rc = aw_error_set(err, AW_ERR_PROTO, "record of %u bins exceeds max_record_bytes (%zu)", n,
                          cap);
        goto fail;
    }
    aw_bin *bins = aw_arena_alloc(&a, bins_size);
    if (!bins) {
        rc = aw_error_set(err, AW_ERR_NOMEM, "out of memory for %u bins", n);
        goto fail;
    }

    aw_msg_iter it = aw_msg_ops(m);
    aw_op_view op;
    for (uint32_t i = 0; aw_msg_next_op(&it, &op); i++) {
        char shown[NAME_SHOWN];
        printable_name(shown, op.name, op.name_len);
        bins[i].name = aw_arena_strndup(&a, op.name, op.name_len);
        if (!bins[i].name) {
            if (over_cap(&a, (size_t)op.name_len + 1))
                rc = aw_error_set(err, AW_ERR_PROTO,
                                  "op %u (bin \"%s\"): name exceeds max_record_bytes (%zu)", i,
                                  shown, cap);
            else
                rc = aw_error_set(err, AW_ERR_NOMEM, "op %u (bin \"%s\"): out of memory", i,
                                  shown);
            goto fail;
        }
        aw_error inner;
        aw_error_reset(&inner);
        rc = aw_particle_read(op.particle, op.value, op.value_len, &bins[i].value, &a, &inner);
        if (rc != AW_OK) {
            /* The particle decoder reports a hit cap as PROTO; its message
             * says which value and why. */
            aw_error_set(err, rc, "op %u (bin \"%s\", particle %u): %s", i, shown, op.particle,
                         inner.message);
            goto fail;
        }
    }

    rec->gen = m->h.generation;
    rec->void_time = m->h.record_ttl;
    rec->n_bins = n;
    rec->bins = bins;
    rec->priv_mem = a.head;
    return AW_OK;

fail:
    aw_arena_free(&a);
    memset(rec, 0, sizeof *rec);
    return rc;
}

int aw_reply_parse_record(const uint8_t *body, size_t len, const aw_decode_limits *lim,
                          int *result, aw_record *rec, aw_error *err) {
    if (rec)
        memset(rec, 0, sizeof *rec);
    /* Callers that only look at *result must never read a stale 0. */
    int dummy;
    if (!result)
        result = &dummy;
    *result = AW_ERR_PROTO;
    aw_msg_view m;
    size_t used;
    aw_error inner;
    aw_error_reset(&inner);
    int rc = aw_msg_parse(body, len, &m, &used, &inner);
    if (rc != AW_OK)
        return aw_error_set(err, rc, "reply: %s", inner.message);
    if (used != len)
        return aw_error_set(err, AW_ERR_PROTO,
                            "reply: %zu bytes after the message (%zu of %zu used)", len - used,
                            used, len);
    *result = m.h.result_code;
    if (m.h.result_code != AW_OK || !rec)
        return AW_OK;
    return aw_record_from_msg(&m, lim, rec, err);
}
