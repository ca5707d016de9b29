/*
 * aw-testd: the HLL ops (hll.h), in the order the server takes each step
 * (as/src/base/particle_hll.c hll_state_init, hll_modify, hll_read, their
 * op tables, parsers and prepare functions):
 *  1. the op array and its code (4);
 *  2. the bin: of another type 12;
 *  3. the arguments, by the op's table (4);
 *  4. a modify op's write flags: CREATE_ONLY on an existing bin 6,
 *     UPDATE_ONLY on a missing one 17, each a no-op under NO_FAIL;
 *  5. the op's own checks (26, or 17 for REFRESH_COUNT and FOLD on a
 *     missing bin), which NO_FAIL does not excuse;
 *  6. the op, always writing a new HLL for a modify op.
 * Record ops and expressions share all of it (hll_run).
 */
#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops_hll.h"
#include "hll.h"
#include "hll_sketch.h"
#include "mp_in.h"
#include "proto/particle.h"

/* Op codes (proto.h as_hll_op_type): modify 0..4, read 50..56. */
enum { HLL_INIT, HLL_ADD, HLL_SET_UNION, HLL_REFRESH_COUNT, HLL_FOLD, HLL_MODIFY_END };
enum {
    HLL_GET_COUNT = 50, HLL_GET_UNION, HLL_GET_UNION_COUNT, HLL_GET_INTERSECT_COUNT,
    HLL_GET_SIMILARITY, HLL_DESCRIBE, HLL_MAY_CONTAIN, HLL_READ_END
};

/* Write flags (proto.h AS_HLL_FLAG_*). */
#define FLAG_CREATE_ONLY 1u
#define FLAG_UPDATE_ONLY 2u
#define FLAG_NO_FAIL 4u
#define FLAG_ALLOW_FOLD 8u

#define BITS_UNSET 0xff /* a bit count of -1: not given */

/* The argument parsers of the server's op tables (hll_parse_*). */
typedef enum arg_kind {
    ARG_INDEX_BITS, ARG_MINHASH_BITS, ARG_FLAGS, ARG_ELEMENTS, ARG_HLLS, ARG_HLLS_INTERSECT
} arg_kind;

typedef struct op_def {
    uint8_t allowed_flags;
    uint8_t min_args, max_args;
    uint8_t args[4];
} op_def;

static const op_def modify_defs[HLL_MODIFY_END] = {
    [HLL_INIT] = {FLAG_CREATE_ONLY | FLAG_UPDATE_ONLY | FLAG_NO_FAIL, 0, 3,
                  {ARG_INDEX_BITS, ARG_MINHASH_BITS, ARG_FLAGS}},
    [HLL_ADD] = {FLAG_CREATE_ONLY | FLAG_NO_FAIL, 1, 4,
                 {ARG_ELEMENTS, ARG_INDEX_BITS, ARG_MINHASH_BITS, ARG_FLAGS}},
    [HLL_SET_UNION] = {FLAG_CREATE_ONLY | FLAG_UPDATE_ONLY | FLAG_ALLOW_FOLD | FLAG_NO_FAIL, 1, 2,
                       {ARG_HLLS, ARG_FLAGS}},
    [HLL_REFRESH_COUNT] = {0, 0, 0, {0}},
    [HLL_FOLD] = {0, 1, 1, {ARG_INDEX_BITS}},
};

static const op_def read_defs[HLL_READ_END - HLL_GET_COUNT] = {
    [HLL_GET_COUNT - HLL_GET_COUNT] = {0, 0, 0, {0}},
    [HLL_GET_UNION - HLL_GET_COUNT] = {0, 1, 1, {ARG_HLLS}},
    [HLL_GET_UNION_COUNT - HLL_GET_COUNT] = {0, 1, 1, {ARG_HLLS}},
    [HLL_GET_INTERSECT_COUNT - HLL_GET_COUNT] = {0, 1, 1, {ARG_HLLS_INTERSECT}},
    [HLL_GET_SIMILARITY - HLL_GET_COUNT] = {0, 1, 1, {ARG_HLLS_INTERSECT}},
    [HLL_DESCRIBE - HLL_GET_COUNT] = {0, 0, 0, {0}},
    [HLL_MAY_CONTAIN - HLL_GET_COUNT] = {0, 1, 1, {ARG_ELEMENTS}},
};

typedef struct hll_op {
    unsigned code;
    const op_def *def;
    uint32_t n_args;
    uint64_t flags;
    uint8_t index_bits, minhash_bits; /* BITS_UNSET when not given */
    uint32_t n_items;                 /* elements (their hashed bytes), or HLLs */
    const uint8_t **items;
    uint32_t *item_lens;
} hll_op;

/* The bin an op works on. */
typedef struct hll_bin {
    bool live;
    uint8_t ptype;
    const uint8_t *data;
    uint32_t len;
} hll_bin;

bool td_hll_particle_ok(const uint8_t *p, uint32_t len) {
    return len >= TD_HLL_HEADER_SIZE && p[0] == 0 && td_hll_bits_ok(p[1], p[2]) &&
           len == td_hll_size(p[1], p[2]);
}

/* ---- parsing ---- */

/* hll_state_init: [code, args...] with a code of the op's kind. */
static bool parse_header(td_mp *c, bool modify, hll_op *o) {
    uint32_t n;
    uint64_t code;
    if (!td_mp_list(c, &n) || n == 0 || !td_mp_uint(c, &code))
        return false;
    if (modify && code < HLL_MODIFY_END)
        o->def = &modify_defs[code];
    else if (!modify && code >= HLL_GET_COUNT && code < HLL_READ_END)
        o->def = &read_defs[code - HLL_GET_COUNT];
    else
        return false; /* a context wrapper (0xff) lands here too */
    o->code = (unsigned)code;
    o->n_args = n - 1;
    return true;
}

static int alloc_items(hll_op *o, uint32_t n, aw_arena *arena) {
    o->n_items = n;
    o->items = aw_arena_alloc(arena, n * sizeof *o->items);
    o->item_lens = aw_arena_alloc(arena, n * sizeof *o->item_lens);
    return o->items && o->item_lens ? AW_OK : AW_ERR_SERVER_FULL;
}

/* hll_parse_elements: a non-empty list of values that are not lists or
 * maps, each kept as the bytes the server hashes. */
static int parse_elements(td_mp *c, hll_op *o, aw_arena *arena) {
    uint32_t n;
    /* Each element takes a byte: a longer count fails on the way anyway. */
    if (!td_mp_list(c, &n) || n == 0 || n > c->len - c->at)
        return AW_ERR_REQUEST_INVALID;
    int rc = alloc_items(o, n, arena);
    for (uint32_t i = 0; rc == AW_OK && i < n; i++) {
        uint32_t len;
        const uint8_t *e = td_mp_at_container(c) ? NULL : td_mp_scalar(c, &len);
        if (!e)
            return AW_ERR_REQUEST_INVALID;
        aw_buf compact;
        aw_buf_init(&compact);
        if (td_hll_compact_element(e, &compact)) {
            uint8_t *copy = aw_buf_ok(&compact) ? aw_arena_alloc(arena, compact.len) : NULL;
            if (copy)
                memcpy(copy, compact.data, compact.len);
            else
                rc = AW_ERR_SERVER_FULL;
            e = copy;
            len = (uint32_t)compact.len;
        }
        aw_buf_free(&compact);
        o->items[i] = e;
        o->item_lens[i] = len;
    }
    return rc;
}

/* hll_parse_hlls: one HLL, or a non-empty list of them; each a str/bin
 * whose first byte (the particle type) is skipped, then flags 0, each bit
 * count in range (their sum is not checked) and the size they give. */
static int parse_hlls(td_mp *c, hll_op *o, aw_arena *arena) {
    uint32_t n = 1;
    if (td_mp_list(c, &n) && (n == 0 || n > c->len - c->at))
        return AW_ERR_REQUEST_INVALID;
    int rc = alloc_items(o, n, arena);
    for (uint32_t i = 0; rc == AW_OK && i < n; i++) {
        uint32_t len;
        const uint8_t *p = td_mp_bytes(c, &len);
        if (!p || len < TD_HLL_HEADER_SIZE + 1)
            return AW_ERR_REQUEST_INVALID;
        p++;
        len--;
        if (p[0] != 0 || !td_hll_index_bits_ok(p[1]) || !td_hll_minhash_bits_ok(p[2]) ||
            len != td_hll_size(p[1], p[2]))
            return AW_ERR_REQUEST_INVALID;
        o->items[i] = p;
        o->item_lens[i] = len;
    }
    return rc;
}

/* hll_parse_hlls_intersect: more than two HLLs must share non-zero
 * minhash bits. */
static int parse_hlls_intersect(td_mp *c, hll_op *o, aw_arena *arena) {
    int rc = parse_hlls(c, o, arena);
    if (rc != AW_OK || o->n_items <= 2)
        return rc;
    unsigned mb = td_hll_minhash_bits(o->items[0]);
    for (uint32_t i = 1; i < o->n_items; i++)
        if (td_hll_minhash_bits(o->items[i]) != mb)
            return AW_ERR_REQUEST_INVALID;
    return mb == 0 ? AW_ERR_REQUEST_INVALID : AW_OK;
}

static int parse_arg(td_mp *c, arg_kind kind, hll_op *o, aw_arena *arena) {
    uint64_t v;
    switch (kind) {
    case ARG_ELEMENTS: return parse_elements(c, o, arena);
    case ARG_HLLS: return parse_hlls(c, o, arena);
    case ARG_HLLS_INTERSECT: return parse_hlls_intersect(c, o, arena);
    default: break;
    }
    if (!td_mp_uint(c, &v))
        return AW_ERR_REQUEST_INVALID;
    bool unset = (int64_t)v == -1;
    switch (kind) {
    case ARG_INDEX_BITS:
        if (!unset && !td_hll_index_bits_ok(v))
            return AW_ERR_REQUEST_INVALID;
        o->index_bits = (uint8_t)v;
        return AW_OK;
    case ARG_MINHASH_BITS:
        if (!unset && (!td_hll_minhash_bits_ok(v) ||
                       (o->index_bits != BITS_UNSET && !td_hll_bits_ok(o->index_bits, v))))
            return AW_ERR_REQUEST_INVALID;
        o->minhash_bits = (uint8_t)v;
        return AW_OK;
    default: /* ARG_FLAGS */
        o->flags = v;
        if ((v & ~(uint64_t)o->def->allowed_flags) != 0 ||
            (v & (FLAG_CREATE_ONLY | FLAG_UPDATE_ONLY)) == (FLAG_CREATE_ONLY | FLAG_UPDATE_ONLY))
            return AW_ERR_REQUEST_INVALID;
        return AW_OK;
    }
}

/* hll_parse_op. */
static int parse_args(td_mp *c, hll_op *o, aw_arena *arena) {
    if (o->n_args < o->def->min_args || o->n_args > o->def->max_args)
        return AW_ERR_REQUEST_INVALID;
    for (uint32_t i = 0; i < o->n_args; i++) {
        int rc = parse_arg(c, (arg_kind)o->def->args[i], o, arena);
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}

/* ---- modify ops ---- */

/* hll_modify_prepare_*_op: the new HLL's bits into o, or the op's refusal.
 * old is the bin's HLL, NULL when there is none. */
static int prepare_modify(hll_op *o, const uint8_t *old) {
    switch (o->code) {
    case HLL_INIT:
    case HLL_ADD:
        if (!old) {
            if (o->index_bits == BITS_UNSET)
                return AW_ERR_OP_NOT_APPLICABLE;
            if (o->minhash_bits == BITS_UNSET)
                o->minhash_bits = 0;
            return AW_OK;
        }
        if (o->code == HLL_ADD || o->index_bits == BITS_UNSET)
            o->index_bits = (uint8_t)td_hll_index_bits(old);
        if (o->code == HLL_ADD || o->minhash_bits == BITS_UNSET)
            o->minhash_bits = (uint8_t)td_hll_minhash_bits(old);
        return td_hll_bits_ok(o->index_bits, o->minhash_bits) ? AW_OK : AW_ERR_OP_NOT_APPLICABLE;
    case HLL_SET_UNION: {
        unsigned ib, mb;
        td_hll_template(o->n_items, o->items, &ib, &mb);
        if (!old)
            return AW_OK;
        if (!(o->flags & FLAG_ALLOW_FOLD) &&
            (td_hll_index_bits(old) > ib ||
             (td_hll_minhash_bits(old) != 0 && td_hll_minhash_bits(old) != mb)))
            return AW_ERR_OP_NOT_APPLICABLE; /* would reduce the bin's bits */
        return AW_OK;
    }
    case HLL_REFRESH_COUNT:
        return old ? AW_OK : AW_ERR_BIN_NOT_FOUND;
    default: /* HLL_FOLD */
        if (!old)
            return AW_ERR_BIN_NOT_FOUND;
        if (td_hll_minhash_bits(old) > 0 || td_hll_index_bits(old) < o->index_bits)
            return AW_ERR_OP_NOT_APPLICABLE;
        o->minhash_bits = 0;
        return AW_OK;
    }
}

static uint8_t *new_hll(unsigned ib, unsigned mb, uint32_t *len, aw_arena *arena) {
    *len = td_hll_size(ib, mb);
    return aw_arena_alloc(arena, *len);
}

/* hll_modify_op_*: the new HLL (in arena) from the bin's (old, or NULL). */
static uint8_t *execute_modify(const hll_op *o, const uint8_t *old, uint32_t old_len,
                               uint32_t *len, aw_value *result, aw_arena *arena) {
    uint8_t *to;
    switch (o->code) {
    case HLL_INIT:
        if ((to = new_hll(o->index_bits, o->minhash_bits, len, arena)))
            td_hll_init(to, o->index_bits, o->minhash_bits);
        return to;
    case HLL_ADD: {
        if (!(to = new_hll(o->index_bits, o->minhash_bits, len, arena)))
            return NULL;
        if (old)
            memcpy(to, old, old_len);
        else
            td_hll_init(to, o->index_bits, o->minhash_bits);
        int64_t added = 0;
        for (uint32_t i = 0; i < o->n_items; i++)
            added += td_hll_add(to, o->items[i], o->item_lens[i]);
        *result = aw_value_int(added);
        return to;
    }
    case HLL_SET_UNION: {
        /* The union of the arguments and the bin, with their common bits. */
        const uint8_t **all = aw_arena_alloc(arena, (o->n_items + 1) * sizeof *all);
        if (!all)
            return NULL;
        memcpy(all, o->items, o->n_items * sizeof *all);
        uint32_t n = o->n_items;
        if (old)
            all[n++] = old;
        unsigned ib, mb;
        td_hll_template(n, all, &ib, &mb);
        if (!(to = new_hll(ib, mb, len, arena)))
            return NULL;
        td_hll_init(to, ib, mb);
        for (uint32_t i = 0; i < n; i++)
            td_hll_union(to, all[i]);
        return to;
    }
    case HLL_REFRESH_COUNT:
        if (!(to = new_hll(td_hll_index_bits(old), td_hll_minhash_bits(old), len, arena)))
            return NULL;
        memcpy(to, old, old_len);
        td_hll_set_cache(to, td_hll_count(to)); /* a cached count stays */
        *result = aw_value_int((int64_t)td_hll_cache(to));
        return to;
    default: /* HLL_FOLD */
        if (!(to = new_hll(o->index_bits, 0, len, arena)))
            return NULL;
        if (o->index_bits == td_hll_index_bits(old)) {
            memcpy(to, old, old_len); /* the count cached too */
        } else {
            td_hll_init(to, o->index_bits, 0);
            td_hll_union(to, old);
        }
        return to;
    }
}

/* ---- read ops ---- */

/* The op's HLLs with the bin's last, and scratch room for any union of them. */
static int with_bin(const hll_op *o, const uint8_t *h, const uint8_t ***all, uint8_t **scratch,
                    aw_arena *arena) {
    uint32_t n = o->n_items + 1;
    unsigned max_ib = td_hll_index_bits(h), max_mb = td_hll_minhash_bits(h);
    *all = aw_arena_alloc(arena, n * sizeof **all);
    if (!*all)
        return AW_ERR_SERVER_FULL;
    for (uint32_t i = 0; i < o->n_items; i++) {
        (*all)[i] = o->items[i];
        if (td_hll_index_bits(o->items[i]) > max_ib)
            max_ib = td_hll_index_bits(o->items[i]);
        if (td_hll_minhash_bits(o->items[i]) > max_mb)
            max_mb = td_hll_minhash_bits(o->items[i]);
    }
    (*all)[o->n_items] = h;
    *scratch = aw_arena_alloc(arena, td_hll_size(max_ib, max_mb));
    return *scratch ? AW_OK : AW_ERR_SERVER_FULL;
}

/* hll_read_op_*. */
static int execute_read(const hll_op *o, const uint8_t *h, aw_value *result, aw_arena *arena) {
    const uint8_t **all = NULL;
    uint8_t *scratch = NULL;
    uint32_t n = o->n_items + 1;
    switch (o->code) {
    case HLL_GET_COUNT:
        *result = aw_value_int((int64_t)td_hll_count(h));
        return AW_OK;
    case HLL_DESCRIBE: {
        aw_value *bits = aw_arena_alloc(arena, 2 * sizeof *bits);
        if (!bits)
            return AW_ERR_SERVER_FULL;
        bits[0] = aw_value_int(td_hll_index_bits(h));
        bits[1] = aw_value_int(td_hll_minhash_bits(h));
        *result = aw_value_list(bits, 2);
        return AW_OK;
    }
    case HLL_MAY_CONTAIN: {
        bool all_in = true;
        for (uint32_t i = 0; i < o->n_items && all_in; i++)
            all_in = td_hll_may_contain(h, o->items[i], o->item_lens[i]);
        *result = aw_value_int(all_in);
        return AW_OK;
    }
    default:
        break;
    }
    int rc = with_bin(o, h, &all, &scratch, arena);
    if (rc != AW_OK)
        return rc;
    switch (o->code) {
    case HLL_GET_UNION: {
        unsigned ib, mb;
        td_hll_template(n, all, &ib, &mb);
        uint32_t len;
        uint8_t *u = new_hll(ib, mb, &len, arena);
        if (!u)
            return AW_ERR_SERVER_FULL;
        td_hll_init(u, ib, mb);
        for (uint32_t i = 0; i < n; i++)
            td_hll_union(u, all[i]);
        *result = aw_value_hll(u, len);
        return AW_OK;
    }
    case HLL_GET_UNION_COUNT:
        *result = aw_value_int((int64_t)td_hll_union_count(n, all, scratch));
        return AW_OK;
    case HLL_GET_INTERSECT_COUNT:
        *result = aw_value_int((int64_t)td_hll_intersect_count(n, all, scratch));
        return AW_OK;
    default: /* HLL_GET_SIMILARITY */
        *result = aw_value_float(td_hll_similarity(n, all, scratch));
        return AW_OK;
    }
}

/* hll_read_prepare_intersect: more than two HLLs need the bin to share
 * their (non-zero) minhash bits. */
static int prepare_read(const hll_op *o, const uint8_t *h) {
    if ((o->code == HLL_GET_INTERSECT_COUNT || o->code == HLL_GET_SIMILARITY) && o->n_items > 2 &&
        (td_hll_minhash_bits(h) == 0 || td_hll_minhash_bits(h) != td_hll_minhash_bits(o->items[0])))
        return AW_ERR_OP_NOT_APPLICABLE;
    return AW_OK;
}

/* ---- both ---- */

/* Runs the op on bin; a modify op that changes it leaves the new HLL in
 * *to (arena), else *to is NULL. */
static int hll_run(const hll_bin *bin, const uint8_t *op, size_t len, bool modify, uint8_t **to,
                   uint32_t *to_len, aw_value *result, aw_arena *arena) {
    *to = NULL;
    *result = aw_value_nil();
    if (!modify && !bin->live)
        return AW_OK; /* rw_utils.c: no bin, no result */
    hll_op o;
    memset(&o, 0, sizeof o);
    o.index_bits = o.minhash_bits = BITS_UNSET;
    td_mp c = {op, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len, 0};
    if (!parse_header(&c, modify, &o))
        return AW_ERR_REQUEST_INVALID;
    const uint8_t *h = bin->live ? bin->data : NULL;
    if (bin->live && bin->ptype != AW_PT_HLL)
        return AW_ERR_BIN_INCOMPATIBLE_TYPE; /* hll_verify_bin */
    if (bin->live && !td_hll_particle_ok(h, bin->len))
        return AW_ERR_SERVER; /* hll_verify_bin: AS_ERR_UNKNOWN */
    int rc = parse_args(&c, &o, arena);
    if (rc != AW_OK)
        return rc;
    if (!modify) {
        rc = prepare_read(&o, h);
        return rc == AW_OK ? execute_read(&o, h, result, arena) : rc;
    }
    if (bin->live && (o.flags & FLAG_CREATE_ONLY))
        return (o.flags & FLAG_NO_FAIL) ? AW_OK : AW_ERR_BIN_EXISTS;
    if (!bin->live && (o.flags & FLAG_UPDATE_ONLY))
        return (o.flags & FLAG_NO_FAIL) ? AW_OK : AW_ERR_BIN_NOT_FOUND;
    rc = prepare_modify(&o, h);
    if (rc != AW_OK)
        return rc;
    *to = execute_modify(&o, h, bin->len, to_len, result, arena);
    return *to ? AW_OK : AW_ERR_SERVER_FULL;
}

int td_hll_apply(td_record *w, const aw_op_view *op, bool modify, aw_value *result,
                 aw_arena *arena) {
    td_bin *b = td_bin_find(w, op->name, op->name_len);
    hll_bin bin = {b != NULL, b ? b->ptype : 0, b ? b->data : NULL, b ? b->len : 0};
    uint8_t *to;
    uint32_t to_len;
    int rc = hll_run(&bin, op->value, op->value_len, modify, &to, &to_len, result, arena);
    if (rc != AW_OK || !to)
        return rc;
    return td_bin_set(w, op->name, op->name_len, AW_PT_HLL, to, to_len) ? AW_ERR_SERVER_FULL
                                                                        : AW_OK;
}

int td_hll_eval(aw_value *hll, const uint8_t *op, size_t len, bool modify, aw_value *result,
                aw_arena *arena) {
    hll_bin bin = {hll->type != AW_NIL, hll->type == AW_BLOB ? hll->subtype : hll->type, NULL, 0};
    if (hll->type == AW_BLOB) {
        bin.data = hll->u.bytes;
        bin.len = hll->len;
    }
    uint8_t *to;
    uint32_t to_len;
    int rc = hll_run(&bin, op, len, modify, &to, &to_len, result, arena);
    if (rc == AW_OK && to)
        *hll = aw_value_hll(to, to_len);
    return rc;
}
