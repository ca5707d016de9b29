/*
 * aw-testd: one record command against the store (see exec.h).
 *
 * Writes run on a scratch copy of the record and replace it only when every
 * op succeeded, so a failing operate leaves the record as it was — as the
 * real server's all-or-nothing record update does.
 */
#include "exec.h"

#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "aerowire/record.h"
#include "cdt.h"
#include "proto/particle.h"

#define MAX_TTL 315360000u /* 10 years: the server refuses more */

typedef struct reply {
    aw_buf *out;
    size_t at;          /* where this reply's header starts */
    uint16_t n_ops;
    uint32_t index;
} reply;

typedef struct target {
    td_namespace *ns;
    const uint8_t *digest;
    const char *set;
    uint32_t set_len;
    aw_field_view key;
    bool has_key;
} target;

static void reply_begin(reply *r, aw_buf *out, uint32_t index) {
    r->out = out;
    r->at = out->len;
    r->n_ops = 0;
    r->index = index;
    aw_buf_grow(out, AW_MSG_HEADER_SIZE);
}

static void reply_finish(reply *r, int code, uint32_t gen, uint32_t void_time) {
    if (!aw_buf_ok(r->out))
        return;
    aw_msg_header h = {0};
    h.result_code = (uint8_t)code;
    h.generation = gen;
    h.record_ttl = void_time;
    h.transaction_ttl = r->index;
    h.n_ops = r->n_ops;
    aw_msg_header_write(r->out->data + r->at, &h);
}

/* Drops any ops appended so far: an error reply carries no bins. */
static void reply_discard_ops(reply *r) {
    r->out->len = r->at + AW_MSG_HEADER_SIZE;
    r->n_ops = 0;
}

void td_reply_code(aw_buf *out, int code, uint32_t index) {
    reply r;
    reply_begin(&r, out, index);
    reply_finish(&r, code, 0, 0);
}

static void reply_raw(reply *r, uint8_t op, const char *name, uint8_t name_len, uint8_t ptype,
                      const uint8_t *data, uint32_t len) {
    aw_buf_op_header(r->out, op, ptype, name, name_len, len);
    aw_buf_put(r->out, data, len);
    r->n_ops++;
}

static void reply_bin(reply *r, uint8_t op, const td_bin *b) {
    reply_raw(r, op, b->name, b->name_len, b->ptype, b->data, b->len);
}

static void reply_value(reply *r, uint8_t op, const char *name, uint8_t name_len,
                        const aw_value *v) {
    size_t start = r->out->len;
    aw_buf_op_header(r->out, op, aw_particle_type(v), name, name_len, 0);
    size_t value_at = r->out->len;
    if (aw_particle_write(r->out, v, NULL) != AW_OK || !aw_buf_ok(r->out)) {
        r->out->len = start;
        return;
    }
    aw_store_u32be(r->out->data + start, (uint32_t)(4 + name_len + (r->out->len - value_at)));
    r->n_ops++;
}

static int find_target(td_exec_ctx *cx, const aw_msg_view *m, const uint8_t *digest, target *t) {
    memset(t, 0, sizeof *t);
    t->digest = digest;
    bool has_ns = false;
    aw_field_view f;
    aw_msg_iter it = aw_msg_fields(m);
    while (aw_msg_next_field(&it, &f)) {
        switch (f.type) {
        case AW_FIELD_NAMESPACE:
            has_ns = true;
            t->ns = td_store_ns(cx->store, (const char *)f.data, f.len);
            break;
        case AW_FIELD_SET:
            t->set = (const char *)f.data;
            t->set_len = f.len;
            break;
        case AW_FIELD_DIGEST:
            if (f.len != AW_DIGEST_SIZE)
                return AW_ERR_REQUEST_INVALID;
            if (!digest)
                t->digest = f.data;
            break;
        case AW_FIELD_KEY:
            t->key = f;
            t->has_key = true;
            break;
        default:
            break; /* the server skips fields it does not use */
        }
    }
    if (!has_ns || !t->ns)
        return AW_ERR_NAMESPACE_NOT_FOUND;
    if (!t->digest)
        return AW_ERR_REQUEST_INVALID;
    if (t->set_len > AW_SET_MAX)
        return AW_ERR_REQUEST_INVALID;
    if (t->has_key && t->key.len < 1)
        return AW_ERR_REQUEST_INVALID;
    return AW_OK;
}

static void reply_all_bins(reply *r, const td_record *rec) {
    for (uint32_t i = 0; i < rec->n_bins; i++)
        reply_bin(r, AW_OP_READ, &rec->bins[i]);
}

static bool is_read_op(uint8_t op) {
    return op == AW_OP_READ || op == AW_OP_CDT_READ || op == AW_OP_EXP_READ ||
           op == AW_OP_BIT_READ || op == AW_OP_HLL_READ;
}

/* Numeric particles must be exactly 8 bytes. */
static bool valid_number(uint8_t ptype, uint32_t len) {
    return (ptype == AW_PT_INTEGER || ptype == AW_PT_FLOAT) && len == 8;
}

static int op_incr(td_record *w, const aw_op_view *op) {
    if (!valid_number(op->particle, op->value_len))
        return AW_ERR_REQUEST_INVALID;
    td_bin *b = td_bin_find(w, op->name, op->name_len);
    if (!b)
        return td_bin_set(w, op->name, op->name_len, op->particle, op->value, 8) ? AW_ERR_SERVER_FULL
                                                                                 : AW_OK;
    if (b->ptype != op->particle || b->len != 8)
        return AW_ERR_BIN_INCOMPATIBLE_TYPE;
    uint8_t sum[8];
    if (op->particle == AW_PT_INTEGER) {
        uint64_t v = aw_load_u64be(b->data) + aw_load_u64be(op->value); /* wraps, like the server */
        aw_store_u64be(sum, v);
    } else {
        uint64_t a = aw_load_u64be(b->data), c = aw_load_u64be(op->value);
        double x, y;
        memcpy(&x, &a, 8);
        memcpy(&y, &c, 8);
        x += y;
        memcpy(&a, &x, 8);
        aw_store_u64be(sum, a);
    }
    memcpy(b->data, sum, 8);
    return AW_OK;
}

static int op_concat(td_record *w, const aw_op_view *op, bool prepend) {
    if (op->particle != AW_PT_STRING && op->particle != AW_PT_BLOB)
        return AW_ERR_BIN_INCOMPATIBLE_TYPE;
    td_bin *b = td_bin_find(w, op->name, op->name_len);
    if (!b)
        return td_bin_set(w, op->name, op->name_len, op->particle, op->value, op->value_len)
                   ? AW_ERR_SERVER_FULL
                   : AW_OK;
    if (b->ptype != op->particle)
        return AW_ERR_BIN_INCOMPATIBLE_TYPE;
    uint8_t *joined = malloc((size_t)b->len + op->value_len + 1);
    if (!joined)
        return AW_ERR_SERVER_FULL;
    if (prepend) {
        memcpy(joined, op->value, op->value_len);
        memcpy(joined + op->value_len, b->data, b->len);
    } else {
        memcpy(joined, b->data, b->len);
        memcpy(joined + b->len, op->value, op->value_len);
    }
    free(b->data);
    b->data = joined;
    b->len += op->value_len;
    return AW_OK;
}

typedef struct op_state {
    bool respond_all;
    bool touched;
    bool deleted;
    bool wrote;
} op_state;

/* Applies one op to the working record, appending its result (if any). */
static int apply_op(td_record *w, const aw_op_view *op, op_state *st, reply *r) {
    if (op->name_len > AW_BIN_NAME_MAX)
        return AW_ERR_BIN_NAME;
    int rc = AW_OK;
    switch (op->op) {
    case AW_OP_READ:
        if (op->name_len == 0) {
            reply_all_bins(r, w);
        } else {
            td_bin *b = td_bin_find(w, op->name, op->name_len);
            if (b)
                reply_bin(r, AW_OP_READ, b);
            else if (st->respond_all)
                reply_raw(r, AW_OP_READ, op->name, op->name_len, AW_PT_NULL, NULL, 0);
        }
        return AW_OK;
    case AW_OP_WRITE:
        if (op->name_len == 0)
            return AW_ERR_BIN_NAME;
        if (op->particle == AW_PT_NULL)
            td_bin_delete(w, op->name, op->name_len);
        else if ((op->particle == AW_PT_INTEGER || op->particle == AW_PT_FLOAT) &&
                 op->value_len != 8)
            return AW_ERR_REQUEST_INVALID;
        else if (op->particle == AW_PT_BOOL && op->value_len != 1)
            return AW_ERR_REQUEST_INVALID;
        else if (td_bin_set(w, op->name, op->name_len, op->particle, op->value, op->value_len))
            return AW_ERR_SERVER_FULL;
        break;
    case AW_OP_INCR:
        rc = op_incr(w, op);
        break;
    case AW_OP_APPEND:
    case AW_OP_PREPEND:
        rc = op_concat(w, op, op->op == AW_OP_PREPEND);
        break;
    case AW_OP_TOUCH:
        st->touched = true;
        break;
    case AW_OP_DELETE:
        td_record_clear_bins(w);
        st->deleted = true;
        break;
    case AW_OP_CDT_READ:
    case AW_OP_CDT_MODIFY: {
        aw_value result;
        aw_arena arena;
        aw_arena_init(&arena, 0);
        rc = td_cdt_apply(w, op, op->op == AW_OP_CDT_MODIFY, &result, &arena);
        if (rc == AW_OK && (result.type != AW_NIL || st->respond_all))
            reply_value(r, op->op, op->name, op->name_len, &result);
        aw_arena_free(&arena);
        if (rc == AW_OK && op->op == AW_OP_CDT_MODIFY)
            st->wrote = true;
        return rc;
    }
    default:
        return AW_ERR_REQUEST_INVALID; /* expression, bit and HLL ops are not served here */
    }
    if (rc == AW_OK) {
        st->wrote = true;
        if (st->respond_all)
            reply_raw(r, op->op, op->name, op->name_len, AW_PT_NULL, NULL, 0);
    }
    return rc;
}

static bool gen_ok(const aw_msg_header *h, uint16_t gen) {
    if (h->info2 & AW_INFO2_GENERATION)
        return h->generation == gen;
    if (h->info2 & AW_INFO2_GENERATION_GT)
        return h->generation > gen;
    return true;
}

static bool key_matches(const td_record *rec, const target *t) {
    if (!t->has_key || rec->key_ptype == 0)
        return true;
    return rec->key_ptype == t->key.data[0] && rec->key_len == t->key.len - 1 &&
           memcmp(rec->key, t->key.data + 1, rec->key_len) == 0;
}

static uint32_t void_time_for(const td_namespace *ns, uint32_t ttl, uint32_t old_void_time,
                              bool existed) {
    if (ttl == AW_TTL_NEVER_EXPIRE)
        return 0;
    if (ttl == AW_TTL_DONT_UPDATE && existed)
        return old_void_time;
    if (ttl == 0 || ttl == AW_TTL_DONT_UPDATE)
        ttl = ns->default_ttl;
    return ttl ? td_now() + ttl : 0;
}

static int do_read(const aw_msg_view *m, target *t, reply *r, uint32_t *gen, uint32_t *vt) {
    td_record *rec = td_record_get(t->ns, t->digest);
    if (!rec)
        return AW_ERR_RECORD_NOT_FOUND;
    *gen = rec->gen;
    *vt = rec->void_time;
    if (m->h.info1 & AW_INFO1_GET_NOBINDATA)
        return AW_OK;
    if (m->h.info1 & AW_INFO1_GET_ALL) {
        reply_all_bins(r, rec);
        return AW_OK;
    }
    op_state st = {.respond_all = (m->h.info2 & AW_INFO2_RESPOND_ALL_OPS) != 0};
    aw_op_view op;
    aw_msg_iter it = aw_msg_ops(m);
    while (aw_msg_next_op(&it, &op)) {
        if (!is_read_op(op.op))
            return AW_ERR_REQUEST_INVALID;
        /* Read ops never change the record: apply them to it directly. */
        int rc = apply_op(rec, &op, &st, r);
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}

static int do_delete(const aw_msg_view *m, target *t, uint32_t *gen, uint32_t *vt) {
    td_record *rec = td_record_get(t->ns, t->digest);
    if (!rec)
        return AW_ERR_RECORD_NOT_FOUND;
    if (!gen_ok(&m->h, rec->gen) || !key_matches(rec, t)) {
        *gen = rec->gen;
        *vt = rec->void_time;
        return !gen_ok(&m->h, rec->gen) ? AW_ERR_RECORD_GENERATION : AW_ERR_RECORD_KEY_MISMATCH;
    }
    td_record_remove(t->ns, t->digest);
    return AW_OK;
}

static int do_write(td_exec_ctx *cx, const aw_msg_view *m, target *t, reply *r, uint32_t *gen,
                    uint32_t *vt) {
    const aw_msg_header *h = &m->h;
    td_record *rec = td_record_get(t->ns, t->digest);
    bool exists = rec != NULL;
    if (exists) {
        *gen = rec->gen;
        *vt = rec->void_time;
    }
    if ((h->info2 & AW_INFO2_CREATE_ONLY) && exists)
        return AW_ERR_RECORD_EXISTS;
    if ((h->info3 & (AW_INFO3_UPDATE_ONLY | AW_INFO3_REPLACE_ONLY)) && !exists)
        return AW_ERR_RECORD_NOT_FOUND;
    if (!gen_ok(h, exists ? rec->gen : 0))
        return AW_ERR_RECORD_GENERATION;
    if (exists && !key_matches(rec, t))
        return AW_ERR_RECORD_KEY_MISMATCH;
    if (exists && t->set_len &&
        (strlen(rec->set) != t->set_len || memcmp(rec->set, t->set, t->set_len) != 0))
        return AW_ERR_REQUEST_INVALID;
    if (h->record_ttl > MAX_TTL && h->record_ttl < AW_TTL_DONT_UPDATE)
        return AW_ERR_REQUEST_INVALID;

    td_record w;
    if (exists) {
        if (td_record_copy(&w, rec) != 0)
            return AW_ERR_SERVER_FULL;
    } else {
        memset(&w, 0, sizeof w);
    }
    if (h->info3 & (AW_INFO3_CREATE_OR_REPLACE | AW_INFO3_REPLACE_ONLY))
        td_record_clear_bins(&w);

    op_state st = {.respond_all = (h->info2 & AW_INFO2_RESPOND_ALL_OPS) != 0};
    int rc = AW_OK;
    aw_op_view op;
    aw_msg_iter it = aw_msg_ops(m);
    while (rc == AW_OK && aw_msg_next_op(&it, &op))
        rc = apply_op(&w, &op, &st, r);
    if (rc == AW_OK && st.touched && !exists)
        rc = AW_ERR_RECORD_NOT_FOUND;
    if (rc == AW_OK && td_record_size(&w) > cx->store->max_record_size)
        rc = AW_ERR_RECORD_TOO_BIG;
    if (rc != AW_OK) {
        td_record_release(&w);
        return rc;
    }

    if (w.n_bins == 0) {
        /* A record left without bins no longer exists. */
        td_record_release(&w);
        if (exists)
            td_record_remove(t->ns, t->digest);
        *gen = 0;
        *vt = 0;
        return AW_OK;
    }
    if (!exists) {
        rec = td_record_create(t->ns, t->digest);
        if (!rec) {
            td_record_release(&w);
            return AW_ERR_SERVER_FULL;
        }
        memcpy(rec->set, t->set ? t->set : "", t->set_len);
        rec->set[t->set_len] = '\0';
    }
    /* Swap the new bins in. */
    td_record_clear_bins(rec);
    free(rec->bins);
    rec->bins = w.bins;
    rec->n_bins = w.n_bins;
    rec->cap_bins = w.cap_bins;
    w.bins = NULL;
    w.n_bins = w.cap_bins = 0;
    td_record_release(&w);
    if (t->has_key && rec->key_ptype == 0) {
        rec->key = malloc(t->key.len);
        if (rec->key) {
            memcpy(rec->key, t->key.data + 1, t->key.len - 1);
            rec->key_len = t->key.len - 1;
            rec->key_ptype = t->key.data[0];
        }
    }
    rec->gen = rec->gen == 0xFFFF ? 1 : (uint16_t)(rec->gen + 1);
    rec->void_time = void_time_for(t->ns, h->record_ttl, rec->void_time, exists);
    *gen = rec->gen;
    *vt = rec->void_time;
    return AW_OK;
}

int td_exec(td_exec_ctx *cx, const aw_msg_view *m, const uint8_t *digest, aw_buf *out) {
    reply r;
    reply_begin(&r, out, cx->in_batch ? m->h.transaction_ttl : 0);
    uint32_t gen = 0, vt = 0;
    target t;
    int rc = find_target(cx, m, digest, &t);
    if (rc == AW_OK) {
        if (m->h.info2 & AW_INFO2_WRITE) {
            if (m->h.info2 & AW_INFO2_DELETE)
                rc = do_delete(m, &t, &gen, &vt);
            else
                rc = do_write(cx, m, &t, &r, &gen, &vt);
            if (cx->counters)
                cx->counters[(m->h.info2 & AW_INFO2_DELETE) ? TD_STAT_DELETES : TD_STAT_WRITES]++;
        } else if (m->h.info1 & AW_INFO1_READ) {
            rc = do_read(m, &t, &r, &gen, &vt);
            if (cx->counters)
                cx->counters[TD_STAT_READS]++;
        } else {
            rc = AW_ERR_REQUEST_INVALID;
        }
    }
    if (rc != AW_OK) {
        reply_discard_ops(&r);
        if (cx->counters && rc != AW_ERR_RECORD_NOT_FOUND)
            cx->counters[TD_STAT_ERRORS]++;
    }
    reply_finish(&r, rc, gen, vt);
    return rc;
}
