/*
 * aw-testd: one record command against the store (see exec.h).
 *
 * Writes run on a scratch copy of the record and replace it only when every
 * op succeeded, so a failing operate leaves the record as it was — as the
 * real server's all-or-nothing record update does.
 *
 * The checks run in the order the server makes them (as/src/transaction/
 * write.c write_master, read.c read_local, delete_ce.c delete_master), so
 * a request that breaks two rules gets the code the server would give, and
 * the generation and void time an error reply carries are the ones the server
 * had at that point: 0 before the record was looked up, the record's after.
 * docs/testd.md lists the result codes checked against the server source.
 *
 * Whatever aw-testd does not implement (fields, header bits, ops) is refused
 * with UNSUPPORTED_FEATURE before anything else is looked at, never ignored:
 * a client must not get success for a request it was not served.
 */
#include "exec.h"

#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "aerowire/record.h"
#include "bit.h"
#include "cdt.h"
#include "exp.h"
#include "exp_geo.h"
#include "hll.h"
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
    const uint8_t *filter; /* filter expression (field 43), the row's or the batch's */
    uint32_t filter_len;
    bool has_filter;
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
    if (v->type == AW_GEOJSON) { /* with its cell, as the server stores it */
        uint8_t *geo;
        uint32_t len;
        if (td_geo_particle(v->u.str, v->len, &geo, &len) == TD_GEO_OK) {
            reply_raw(r, op, name, name_len, AW_PT_GEOJSON, geo, len);
            free(geo);
        }
        return;
    }
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

/* Field types the server acts on (proto.h AS_MSG_FIELD_TYPE_*) beyond the
 * namespace, set, key, digest and filter expression aw-testd serves: a UDF
 * call, a transaction id or deadline, a record version, XDR's last-update
 * time, scan/query and batch fields. Each changes what the real server would
 * do, so it is refused. Types the server does not know it skips, and so does
 * aw-testd. */
static bool field_refused(uint8_t type) {
    switch (type) {
    case AW_FIELD_NAMESPACE: case AW_FIELD_SET: case AW_FIELD_KEY: case AW_FIELD_DIGEST:
    case AW_FIELD_FILTER:
        return false;
    default:
        return type <= 15 || (type >= 21 && type <= 26) || (type >= 30 && type <= 33) ||
               (type >= 40 && type <= 42);
    }
}

/* AW_ERR_UNSUPPORTED_FEATURE when the command asks for anything aw-testd
 * does not implement, else AW_OK. Header bits the server itself ignores on
 * a single-record command of a community-edition AP namespace (short query,
 * relax-AP-long-query, partition-done, read mode AP all, commit master, the
 * SC read modes, compress-response, which CE never honours) are accepted. */
static int refusal(const aw_msg_view *m) {
    if ((m->h.info1 & AW_INFO1_XDR) || m->h.info4 != 0)
        return AW_ERR_UNSUPPORTED_FEATURE; /* XDR writes, transactions (MRT) */
    aw_field_view f;
    aw_msg_iter it = aw_msg_fields(m);
    while (aw_msg_next_field(&it, &f))
        if (field_refused(f.type))
            return AW_ERR_UNSUPPORTED_FEATURE;
    /* Every op type the server knows is served; apply_op answers an
     * unknown one PARAMETER, as the server does. */
    return AW_OK;
}

int td_batch_refusal(const aw_msg_view *m) {
    aw_field_view f;
    aw_msg_iter it = aw_msg_fields(m);
    while (aw_msg_next_field(&it, &f)) {
        if (f.type != AW_FIELD_BATCH_INDEX && f.type != AW_FIELD_BATCH_INDEX_WITH_SET &&
            field_refused(f.type))
            return AW_ERR_UNSUPPORTED_FEATURE;
        if (f.type == AW_FIELD_FILTER) {
            int rc = td_exp_filter_check(f.data, f.len);
            if (rc != AW_OK)
                return rc;
        }
    }
    return AW_OK;
}

static int find_target(td_exec_ctx *cx, const aw_msg_view *m, const uint8_t *digest, target *t) {
    memset(t, 0, sizeof *t);
    t->digest = digest;
    t->filter = cx->filter; /* a row's own filter replaces the batch's */
    t->filter_len = cx->filter_len;
    t->has_filter = cx->filter != NULL;
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
        case AW_FIELD_FILTER:
            t->filter = f.data;
            t->filter_len = f.len;
            t->has_filter = true;
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

/* The particle types the server takes from a client (particle.c
 * safe_particle_type); NULL and unknown types are "bad": PARAMETER. */
static bool valid_particle_type(uint8_t t) {
    switch (t) {
    case AW_PT_INTEGER: case AW_PT_FLOAT: case AW_PT_STRING: case AW_PT_BLOB:
    case AW_PT_JAVA_BLOB: case AW_PT_CSHARP_BLOB: case AW_PT_PYTHON_BLOB: case AW_PT_RUBY_BLOB:
    case AW_PT_PHP_BLOB: case AW_PT_ERLANG_BLOB: case AW_PT_VECTOR: case AW_PT_BOOL:
    case AW_PT_HLL: case AW_PT_MAP: case AW_PT_LIST: case AW_PT_GEOJSON:
        return true;
    default:
        return false;
    }
}

/* Blob-like particles can be appended to and prepended to (same type only). */
static bool concat_type(uint8_t t) {
    return t == AW_PT_STRING || t == AW_PT_BLOB || (t >= AW_PT_JAVA_BLOB && t <= AW_PT_ERLANG_BLOB);
}

/* An integer the client sent in 1, 2, 4 or 8 bytes (integer_from_wire takes
 * each, zero-extended); false for other sizes. */
static bool load_int(const uint8_t *p, uint32_t len, uint64_t *v) {
    switch (len) {
    case 8: *v = aw_load_u64be(p); return true;
    case 4: *v = aw_load_u32be(p); return true;
    case 2: *v = aw_load_u16be(p); return true;
    case 1: *v = p[0]; return true;
    default: return false;
    }
}

/* A GeoJSON bin as the server stores it (particle_geojson.c
 * geojson_from_wire): the client's cells are dropped and the server's put
 * in, the text kept as sent. A point has one cell, its S2 leaf cell; the
 * cells of a region come from S2's region coverer, which aw-testd does not
 * have: regions (and text it cannot read) are refused. */
static int geo_bin_from_client(td_record *w, const aw_op_view *op) {
    if (op->value_len < 3)
        return AW_ERR_UNSUPPORTED_FEATURE;
    size_t cells = (size_t)aw_load_u16be(op->value + 1) * 8;
    if (op->value_len < 3 + cells)
        return AW_ERR_UNSUPPORTED_FEATURE; /* the server's 160 GEO_INVALID_GEOJSON */
    uint8_t *stored;
    uint32_t len;
    if (td_geo_particle((const char *)op->value + 3 + cells, op->value_len - 3 - cells, &stored,
                        &len) != TD_GEO_OK)
        return AW_ERR_UNSUPPORTED_FEATURE;
    int rc = td_bin_set(w, op->name, op->name_len, AW_PT_GEOJSON, stored, len) ? AW_ERR_SERVER_FULL
                                                                               : AW_OK;
    free(stored);
    return rc;
}

/* Sets a bin from a client's value the way as_bin_particle_from_client does:
 * bad types and badly sized numbers are PARAMETER; integers are kept as 8
 * bytes whatever size they came in. */
static int bin_from_client(td_record *w, const aw_op_view *op) {
    if (!valid_particle_type(op->particle))
        return AW_ERR_REQUEST_INVALID;
    if (op->particle == AW_PT_GEOJSON)
        return geo_bin_from_client(w, op);
    const uint8_t *value = op->value;
    uint32_t len = op->value_len;
    uint8_t wide[8];
    if (op->particle == AW_PT_INTEGER) {
        uint64_t v;
        if (!load_int(value, len, &v))
            return AW_ERR_REQUEST_INVALID;
        aw_store_u64be(wide, v);
        value = wide;
        len = 8;
    } else if (op->particle == AW_PT_FLOAT && len != 8) {
        return AW_ERR_REQUEST_INVALID;
    } else if (op->particle == AW_PT_BOOL && (len != 1 || value[0] > 1)) {
        return AW_ERR_REQUEST_INVALID;
    } else if (op->particle == AW_PT_HLL && !td_hll_particle_ok(value, len)) {
        return AW_ERR_REQUEST_INVALID; /* hll_from_wire */
    } else if (op->particle == AW_PT_LIST || op->particle == AW_PT_MAP) {
        return td_cdt_bin_from_client(w, op->name, op->name_len, op->particle, value, len);
    }
    return td_bin_set(w, op->name, op->name_len, op->particle, value, len) ? AW_ERR_SERVER_FULL
                                                                          : AW_OK;
}

/* particle.c as_bin_particle_modify_from_client: a missing bin is created
 * from the op's value (whatever its type); an existing integer adds an
 * integer, a float a float (anything else: INCOMPATIBLE_TYPE); no other type
 * can be incremented. */
static int op_incr(td_record *w, const aw_op_view *op) {
    if (!valid_particle_type(op->particle))
        return AW_ERR_REQUEST_INVALID;
    td_bin *b = td_bin_find(w, op->name, op->name_len);
    if (!b)
        return bin_from_client(w, op);
    if ((b->ptype != AW_PT_INTEGER && b->ptype != AW_PT_FLOAT) || b->ptype != op->particle)
        return AW_ERR_BIN_INCOMPATIBLE_TYPE;
    uint64_t a = aw_load_u64be(b->data), c;
    if (op->particle == AW_PT_INTEGER) {
        if (!load_int(op->value, op->value_len, &c))
            return AW_ERR_REQUEST_INVALID;
        a += c; /* wraps, like the server */
    } else {
        if (op->value_len != 8)
            return AW_ERR_REQUEST_INVALID;
        c = aw_load_u64be(op->value);
        double x, y;
        memcpy(&x, &a, 8);
        memcpy(&y, &c, 8);
        x += y;
        memcpy(&a, &x, 8);
    }
    aw_store_u64be(b->data, a);
    return AW_OK;
}

/* Append and prepend: a missing bin is created from the value; an existing
 * string or blob takes a value of its own type; anything else is
 * INCOMPATIBLE_TYPE (blob_concat_size_from_wire, integer_/list_/map_...). */
static int op_concat(td_record *w, const aw_op_view *op, bool prepend) {
    if (!valid_particle_type(op->particle))
        return AW_ERR_REQUEST_INVALID;
    td_bin *b = td_bin_find(w, op->name, op->name_len);
    if (!b)
        return bin_from_client(w, op);
    if (!concat_type(b->ptype) || b->ptype != op->particle)
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
    bool get_all;   /* info1 GET_ALL: a nameless read op reads every bin */
    const td_exp_ctx *exp; /* what expression ops read */
} op_state;

/* datamodel.h as_bin_name_check: under 16 bytes, no NUL inside (empty is a
 * valid name). */
static bool bin_name_ok(const aw_op_view *op) {
    return op->name_len <= AW_BIN_NAME_MAX && memchr(op->name, '\0', op->name_len) == NULL;
}

/* Applies one op to the working record, appending its result (if any), as
 * write.c write_master_bin_ops_loop and rw_utils.c process_bin_read_op do.
 * Bin names were checked before (write_policies, or do_read). */
static int apply_op(td_record *w, const aw_op_view *op, const op_state *st, reply *r) {
    int rc = AW_OK;
    switch (op->op) {
    case AW_OP_READ:
        if (op->name_len == 0 && st->get_all) {
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
        if (op->particle == AW_PT_NULL)
            td_bin_delete(w, op->name, op->name_len);
        else
            rc = bin_from_client(w, op);
        break;
    case AW_OP_INCR:
        rc = op_incr(w, op);
        break;
    case AW_OP_APPEND:
    case AW_OP_PREPEND:
        rc = op_concat(w, op, op->op == AW_OP_PREPEND);
        break;
    case AW_OP_TOUCH:
        return AW_OK; /* the write itself bumps generation and TTL; no response entry */
    case AW_OP_DELETE:
        td_record_clear_bins(w);
        break;
    case AW_OP_BIT_MODIFY:
        rc = td_bit_modify(w, op); /* answers nothing; NULL under respond-all */
        break;
    case AW_OP_EXP_MODIFY:
        rc = td_exp_modify_op(w, op, st->exp); /* likewise */
        break;
    case AW_OP_CDT_READ:
    case AW_OP_CDT_MODIFY:
    case AW_OP_BIT_READ:
    case AW_OP_HLL_READ:
    case AW_OP_HLL_MODIFY:
    case AW_OP_EXP_READ: {
        aw_value result;
        aw_arena arena;
        aw_arena_init(&arena, 0);
        if (op->op == AW_OP_BIT_READ)
            rc = td_bit_read(w, op, &result, &arena);
        else if (op->op == AW_OP_HLL_READ || op->op == AW_OP_HLL_MODIFY)
            rc = td_hll_apply(w, op, op->op == AW_OP_HLL_MODIFY, &result, &arena);
        else if (op->op == AW_OP_EXP_READ)
            rc = td_exp_read_op(op, st->exp, &result, &arena);
        else
            rc = td_cdt_apply(w, op, op->op == AW_OP_CDT_MODIFY, &result, &arena);
        if (rc == AW_OK && (result.type != AW_NIL || st->respond_all))
            reply_value(r, op->op, op->name, op->name_len, &result);
        aw_arena_free(&arena);
        return rc;
    }
    default:
        return AW_ERR_REQUEST_INVALID; /* an op type the server does not know (write.c) */
    }
    if (rc == AW_OK && st->respond_all)
        reply_raw(r, op->op, op->name, op->name_len, AW_PT_NULL, NULL, 0);
    return rc;
}

int td_exec_projection_check(const aw_op_view *op) {
    return bin_name_ok(op) && is_read_op(op->op) ? AW_OK : AW_ERR_REQUEST_INVALID;
}

int td_exec_project(const td_store *store, td_record *rec, const aw_msg_view *m, aw_buf *out,
                    uint16_t *n_ops) {
    reply r = {.out = out, .at = out->len};
    td_exp_ctx ex = {.store = store, .rec = rec, .meta = rec,
                     .stored_size = td_exp_stored_size(rec)};
    op_state st = {.respond_all = (m->h.info2 & AW_INFO2_RESPOND_ALL_OPS) != 0, .exp = &ex};
    aw_op_view op;
    aw_msg_iter it = aw_msg_ops(m);
    while (aw_msg_next_op(&it, &op)) {
        int rc = apply_op(rec, &op, &st, &r);
        if (rc != AW_OK)
            return rc;
    }
    *n_ops = r.n_ops;
    return AW_OK;
}

/* write.c write_master_policies: the checks on the ops made before the
 * record is looked up (so their errors carry generation 0). Sets whether the
 * write must find the record (update-only, replace-only, any touch op) and
 * whether it replaces the bins. */
static int write_policies(const aw_msg_view *m, bool *must_not_create, bool *is_replace) {
    const aw_msg_header *h = &m->h;
    if (h->n_ops == 0)
        return AW_ERR_REQUEST_INVALID;
    bool get_all = (h->info1 & AW_INFO1_GET_ALL) != 0;
    bool respond_all = (h->info2 & AW_INFO2_RESPOND_ALL_OPS) != 0;
    *must_not_create = (h->info3 & (AW_INFO3_UPDATE_ONLY | AW_INFO3_REPLACE_ONLY)) != 0;
    *is_replace = (h->info3 & (AW_INFO3_CREATE_OR_REPLACE | AW_INFO3_REPLACE_ONLY)) != 0;
    bool has_read = false, has_read_all = false, response_bin = false;
    aw_op_view op;
    aw_msg_iter it = aw_msg_ops(m);
    while (aw_msg_next_op(&it, &op)) {
        if (op.op == AW_OP_TOUCH) {
            if (*is_replace)
                return AW_ERR_REQUEST_INVALID;
            *must_not_create = true;
            continue;
        }
        if (!bin_name_ok(&op))
            return AW_ERR_BIN_NAME;
        switch (op.op) {
        case AW_OP_WRITE:
            if (op.particle == AW_PT_NULL && *is_replace)
                return AW_ERR_REQUEST_INVALID; /* a bin delete can't replace */
            break;
        case AW_OP_INCR:
        case AW_OP_APPEND:
        case AW_OP_PREPEND:
        case AW_OP_DELETE:
        case AW_OP_BIT_MODIFY:
            if (*is_replace)
                return AW_ERR_REQUEST_INVALID;
            break;
        case AW_OP_HLL_MODIFY:
        case AW_OP_CDT_MODIFY:
            if (*is_replace)
                return AW_ERR_REQUEST_INVALID;
            response_bin = true;
            break;
        case AW_OP_READ:
            if (op.name_len == 0 && get_all) {
                if (respond_all || has_read_all)
                    return AW_ERR_REQUEST_INVALID;
                has_read = has_read_all = true;
            } else {
                has_read = response_bin = true;
            }
            break;
        case AW_OP_CDT_READ:
        case AW_OP_BIT_READ:
        case AW_OP_HLL_READ:
        case AW_OP_EXP_READ:
            has_read = response_bin = true;
            break;
        default:
            break; /* unknown ops fail later, once the record is found */
        }
    }
    if (has_read && !(h->info1 & AW_INFO1_READ))
        return AW_ERR_REQUEST_INVALID;
    if (has_read_all && response_bin)
        return AW_ERR_REQUEST_INVALID;
    if (get_all && !has_read_all)
        return AW_ERR_REQUEST_INVALID;
    return AW_OK;
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

/* rw_utils.c set_name_check (reads, deletes): a set name in the request,
 * when not empty, must be the record's. */
static bool set_matches(const td_record *rec, const target *t) {
    return t->set_len == 0 ||
           (strlen(rec->set) == t->set_len && memcmp(rec->set, t->set, t->set_len) == 0);
}

/* record.c as_record_advance_void_time (the TTL was validated before; -2 on
 * a record being created was turned into 0 before). */
static uint32_t void_time_for(const td_namespace *ns, uint32_t ttl, uint32_t old_void_time,
                              uint32_t now) {
    if (ttl == AW_TTL_NEVER_EXPIRE)
        return 0;
    if (ttl == AW_TTL_DONT_UPDATE)
        return old_void_time;
    if (ttl == 0)
        ttl = ns->default_ttl;
    return ttl ? now + ttl : 0;
}

/* Read-touch (read_touch.c as_read_touch_check): the read's TTL field is a
 * percentage. 0 leaves it to the namespace (whose default, 0, never
 * touches), 0xFFFFFFFF never touches, over 100 is PARAMETER. A record that
 * expires is touched once less than pct% of the TTL it was written with is
 * left: its void time moves to now + that TTL, without a new generation.
 * The server touches after answering, so the reply shows the old void time;
 * a record that never expires is never checked. */
#define READ_TOUCH_NEVER 0xFFFFFFFFu

static int read_touch(td_record *rec, uint32_t pct, const td_store *store) {
    uint32_t now = td_store_now(store);
    if (rec->void_time == 0 || pct == 0 || pct == READ_TOUCH_NEVER)
        return AW_OK;
    if (pct > 100)
        return AW_ERR_REQUEST_INVALID;
    uint32_t write_ttl = rec->void_time - (uint32_t)(rec->last_update_ms / 1000);
    uint32_t threshold = (uint32_t)((uint64_t)write_ttl * pct / 100);
    if (now < rec->void_time - threshold)
        return AW_OK;
    if (now + write_ttl > rec->void_time) { /* read_touch_master: only ever extends */
        rec->void_time = now + write_ttl;
        rec->last_update_ms = td_store_now_ms(store); /* a touch is a write */
    }
    return AW_OK;
}

/* rw_utils.c handle_meta_filter + read_and_filter_bins: the command's
 * filter expression, if any, against the record. Evaluating it on the
 * metadata first, as the server does, decides nothing differently: an
 * answer there is the answer with the bins. */
static int apply_filter(td_exec_ctx *cx, const target *t, const td_record *rec) {
    if (!t->has_filter)
        return AW_OK;
    td_exp_ctx ex = {.store = cx->store, .rec = rec, .meta = rec,
                     .stored_size = td_exp_stored_size(rec)};
    return td_exp_filter(t->filter, t->filter_len, &ex);
}

/* read.c read_local. */
static int do_read(td_exec_ctx *cx, const aw_msg_view *m, target *t, reply *r, uint32_t *gen,
                   uint32_t *vt) {
    uint32_t now = td_store_now(cx->store);
    td_record *rec = td_record_get(t->ns, t->digest, now);
    if (!rec)
        return AW_ERR_RECORD_NOT_FOUND;
    *gen = rec->gen;
    *vt = rec->void_time;
    if (!set_matches(rec, t))
        return AW_ERR_REQUEST_INVALID;
    int touch = read_touch(rec, m->h.record_ttl, cx->store);
    if (touch != AW_OK)
        return touch;
    int filtered = apply_filter(cx, t, rec);
    if (filtered != AW_OK)
        return filtered;
    if (!key_matches(rec, t))
        return AW_ERR_RECORD_KEY_MISMATCH;
    if (m->h.info1 & AW_INFO1_GET_NOBINDATA)
        return AW_OK;
    if (m->h.info1 & AW_INFO1_GET_ALL) {
        reply_all_bins(r, rec);
        return AW_OK;
    }
    if (m->h.n_ops == 0)
        return AW_ERR_REQUEST_INVALID;
    td_exp_ctx ex = {.store = cx->store, .rec = rec, .meta = rec,
                     .stored_size = td_exp_stored_size(rec)};
    op_state st = {.respond_all = (m->h.info2 & AW_INFO2_RESPOND_ALL_OPS) != 0, .exp = &ex};
    aw_op_view op;
    aw_msg_iter it = aw_msg_ops(m);
    while (aw_msg_next_op(&it, &op)) {
        if (!bin_name_ok(&op))
            return AW_ERR_BIN_NAME;
        if (!is_read_op(op.op))
            return AW_ERR_REQUEST_INVALID;
        /* Read ops never change the record: apply them to it directly. */
        int rc = apply_op(rec, &op, &st, r);
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}

/* delete_ce.c delete_master + delete.c drop_master. Delete replies carry no
 * generation or void time, whatever the result (send_delete_response). */
static int do_delete(td_exec_ctx *cx, const aw_msg_view *m, target *t) {
    /* delete.c as_delete_start: CE refuses durable deletes before looking
     * the record up (rw_utils_ce.c validate_delete_durability). */
    if (m->h.info2 & AW_INFO2_DURABLE_DELETE)
        return AW_ERR_ENTERPRISE_ONLY;
    td_record *rec = td_record_get(t->ns, t->digest, td_store_now(cx->store));
    if (!rec)
        return AW_ERR_RECORD_NOT_FOUND;
    if (!set_matches(rec, t))
        return AW_ERR_REQUEST_INVALID;
    if (!gen_ok(&m->h, rec->gen))
        return AW_ERR_RECORD_GENERATION;
    int filtered = apply_filter(cx, t, rec);
    if (filtered != AW_OK)
        return filtered;
    if (!key_matches(rec, t))
        return AW_ERR_RECORD_KEY_MISMATCH;
    td_record_remove(t->ns, t->digest);
    return AW_OK;
}

/* write.c write_master. */
static int do_write(td_exec_ctx *cx, const aw_msg_view *m, target *t, reply *r, uint32_t *gen,
                    uint32_t *vt) {
    const aw_msg_header *h = &m->h;
    bool must_not_create, is_replace;
    int rc = write_policies(m, &must_not_create, &is_replace);
    if (rc != AW_OK)
        return rc;
    uint32_t now = td_store_now(cx->store);
    td_record *rec = td_record_get(t->ns, t->digest, now);
    bool exists = rec != NULL;
    if (must_not_create && !exists)
        return AW_ERR_RECORD_NOT_FOUND;
    if (exists) {
        *gen = rec->gen;
        *vt = rec->void_time;
    }
    if ((h->info2 & AW_INFO2_CREATE_ONLY) && exists)
        return AW_ERR_RECORD_EXISTS;
    if (!gen_ok(h, exists ? rec->gen : 0))
        return AW_ERR_RECORD_GENERATION;
    /* set_name_check_on_update: an update names the record's set, or no set
     * when the record has none. */
    if (exists && (strlen(rec->set) != t->set_len ||
                   (t->set_len && memcmp(rec->set, t->set, t->set_len) != 0)))
        return AW_ERR_REQUEST_INVALID;
    if (exists && (rc = apply_filter(cx, t, rec)) != AW_OK)
        return rc; /* write.c: only an existing record is filtered */
    if (exists && !key_matches(rec, t))
        return AW_ERR_RECORD_KEY_MISMATCH;
    uint32_t ttl = h->record_ttl;
    if (ttl == AW_TTL_DONT_UPDATE && !exists)
        ttl = 0; /* "leave unchanged" on a create means the default */
    if (ttl > MAX_TTL && ttl != AW_TTL_NEVER_EXPIRE && ttl != AW_TTL_DONT_UPDATE)
        return AW_ERR_REQUEST_INVALID; /* is_valid_ttl */

    td_record w;
    if (exists) {
        if (td_record_copy(&w, rec) != 0)
            return AW_ERR_SERVER_FULL;
    } else {
        memset(&w, 0, sizeof w);
    }
    if (is_replace)
        td_record_clear_bins(&w);
    /* What the record is before its ops run: a new one has its digest, set
     * and stored key already (write.c sets them before write_master_apply),
     * which expression ops may read. */
    if (!exists) {
        memcpy(w.digest, t->digest, AW_DIGEST_SIZE);
        memcpy(w.set, t->set ? t->set : "", t->set_len);
        w.set[t->set_len] = '\0';
    }
    if (t->has_key && w.key_ptype == 0) {
        w.key = malloc(t->key.len);
        if (!w.key) {
            td_record_release(&w);
            return AW_ERR_SERVER_FULL;
        }
        memcpy(w.key, t->key.data + 1, t->key.len - 1);
        w.key_len = t->key.len - 1;
        w.key_ptype = t->key.data[0];
    }

    /* Expression ops see the index entry as write.c leaves it before the
     * ops (advance_record_version: the new void time, last-update = now)
     * and the key stored only if it was before (key_stored is set after). */
    uint32_t void_time = void_time_for(t->ns, ttl, exists ? rec->void_time : 0, now);
    td_record meta;
    memset(&meta, 0, sizeof meta);
    memcpy(meta.digest, w.digest, AW_DIGEST_SIZE);
    memcpy(meta.set, w.set, sizeof meta.set);
    if (exists) {
        meta.key_ptype = rec->key_ptype;
        meta.key_len = rec->key_len;
        meta.key = rec->key;
    }
    meta.void_time = void_time;
    meta.last_update_ms = td_store_now_ms(cx->store);
    td_exp_ctx ex = {.store = cx->store, .rec = &w, .meta = &meta,
                     .stored_size = td_exp_stored_size(exists ? rec : NULL)};
    op_state st = {.respond_all = (h->info2 & AW_INFO2_RESPOND_ALL_OPS) != 0,
                   .get_all = (h->info1 & AW_INFO1_GET_ALL) != 0,
                   .exp = &ex};
    aw_op_view op;
    aw_msg_iter it = aw_msg_ops(m);
    while (rc == AW_OK && aw_msg_next_op(&it, &op))
        rc = apply_op(&w, &op, &st, r);
    if (rc != AW_OK) {
        td_record_release(&w);
        return rc;
    }

    if (w.n_bins == 0) {
        /* A write that leaves no bins deletes the record; one that never had
         * any finds nothing to delete (write_master_apply: NOT_FOUND). The
         * reply of a delete carries no generation or void time. */
        td_record_release(&w);
        if (!exists)
            return AW_ERR_RECORD_NOT_FOUND;
        if (h->info2 & AW_INFO2_DURABLE_DELETE)
            return AW_ERR_ENTERPRISE_ONLY; /* write.c: validate_delete_durability */
        td_record_remove(t->ns, t->digest);
        *gen = 0;
        *vt = 0;
        return AW_OK;
    }
    /* The size the record will have on storage, with its new metadata. */
    w.void_time = void_time;
    if (td_record_size(&w) > cx->store->max_record_size) {
        td_record_release(&w);
        return AW_ERR_RECORD_TOO_BIG;
    }

    if (!exists) {
        rec = td_record_create(t->ns, t->digest);
        if (!rec) {
            td_record_release(&w);
            return AW_ERR_SERVER_FULL;
        }
        memcpy(rec->set, w.set, sizeof rec->set);
    }
    /* Swap the new bins and key in. */
    td_record_clear_bins(rec);
    free(rec->bins);
    rec->bins = w.bins;
    rec->n_bins = w.n_bins;
    rec->cap_bins = w.cap_bins;
    w.bins = NULL;
    w.n_bins = w.cap_bins = 0;
    if (rec->key_ptype == 0 && w.key_ptype != 0) {
        rec->key = w.key;
        rec->key_len = w.key_len;
        rec->key_ptype = w.key_ptype;
        w.key = NULL;
    }
    td_record_release(&w);
    rec->gen = rec->gen == 0xFFFF ? 1 : (uint16_t)(rec->gen + 1);
    rec->void_time = void_time;
    rec->last_update_ms = td_store_now_ms(cx->store); /* what truncate compares */
    *gen = rec->gen;
    *vt = rec->void_time;
    return AW_OK;
}

int td_exec(td_exec_ctx *cx, const aw_msg_view *m, const uint8_t *digest, aw_buf *out) {
    reply r;
    reply_begin(&r, out, cx->in_batch ? m->h.transaction_ttl : 0);
    uint32_t gen = 0, vt = 0;
    target t;
    int rc = refusal(m);
    if (rc == AW_OK)
        rc = find_target(cx, m, digest, &t);
    if (rc == AW_OK) {
        if (m->h.info2 & AW_INFO2_WRITE) {
            if (m->h.info2 & AW_INFO2_DELETE)
                rc = do_delete(cx, m, &t);
            else
                rc = do_write(cx, m, &t, &r, &gen, &vt);
            if (cx->counters)
                cx->counters[(m->h.info2 & AW_INFO2_DELETE) ? TD_STAT_DELETES : TD_STAT_WRITES]++;
        } else if (m->h.info1 & AW_INFO1_READ) {
            rc = do_read(cx, m, &t, &r, &gen, &vt);
            if (cx->counters)
                cx->counters[TD_STAT_READS]++;
        } else {
            rc = AW_ERR_REQUEST_INVALID;
        }
    }
    if (rc != AW_OK) {
        reply_discard_ops(&r);
        if (rc == AW_ERR_UNSUPPORTED_FEATURE)
            gen = vt = 0; /* a refusal says nothing about the record */
        /* Not found and filtered out are not errors (read.c
         * client_read_update_stats). */
        if (cx->counters && rc != AW_ERR_RECORD_NOT_FOUND && rc != AW_FILTERED_OUT)
            cx->counters[TD_STAT_ERRORS]++;
    }
    reply_finish(&r, rc, gen, vt);
    return rc;
}
