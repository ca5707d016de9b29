/*
 * aw-testd expressions: the ops that read the record (exp.c eval_bin,
 * eval_bin_type, eval_rec_key and eval_meta_*).
 */
#include "exp_internal.h"

#include <string.h>

#include "aerowire/error.h"
#include "proto/particle.h"

#define CITRUSLEAF_EPOCH_S 1262304000ull /* 2010-01-01 in UNIX seconds */
#define RBLOCK_SIZE 16                   /* storage/flat.h: records take 16-byte blocks */

static td_bin *find_bin(const td_record *rec, const uint8_t *name, uint32_t len) {
    return td_bin_find((td_record *)rec, (const char *)name, len);
}

/* eval_bin: the bin's value when it holds the type asked for, else
 * unknown (a missing bin too). */
static int eval_bin(exp_rt *rt, const exp_node *n, exp_val *out) {
    const td_bin *b = find_bin(rt->ctx->rec, n->name, n->name_len);
    if (!b || b->ptype != td_exp_particle_type(n->type)) {
        out->unk = true;
        return AW_OK;
    }
    if (aw_particle_read(b->ptype, b->data, b->len, &out->v, rt->arena, NULL) != AW_OK)
        return AW_ERR_SERVER_FULL;
    return AW_OK;
}

/* eval_rec_key: the stored key when it is of the type asked for (a key a
 * write is about to store is not stored yet: write.c sets key_stored after
 * the ops). */
static int eval_key(exp_rt *rt, const exp_node *n, exp_val *out) {
    const td_record *rec = rt->ctx->meta;
    uint8_t want = td_exp_particle_type(n->type);
    if (rec->key_ptype == 0 || rec->key_ptype != want ||
        (want == AW_INT && rec->key_len != 8)) {
        out->unk = true;
        return AW_OK;
    }
    if (aw_particle_read(rec->key_ptype, rec->key, rec->key_len, &out->v, rt->arena, NULL) !=
        AW_OK)
        return AW_ERR_SERVER_FULL;
    return AW_OK;
}

uint64_t td_exp_stored_size(const td_record *stored) {
    if (!stored)
        return RBLOCK_SIZE;
    return (td_record_size(stored) + RBLOCK_SIZE - 1) / RBLOCK_SIZE * RBLOCK_SIZE;
}

int td_exp_eval_record(exp_rt *rt, const exp_node *n, exp_val *out) {
    const td_record *rec = rt->ctx->rec, *meta = rt->ctx->meta;
    if (!rec) { /* a path expression: no record (cdt.c select_ctx has no rd) */
        if (n->code == X_BIN || n->code == X_KEY || n->code == X_BIN_TYPE) {
            out->unk = true; /* eval_bin, eval_rec_key, eval_bin_type: !rt_has_rd */
            return AW_OK;
        }
        /* The metadata ops read rt->ctx->r, which a path does not set:
         * CE 8.1.2.0 would crash. */
        return AW_ERR_UNSUPPORTED_FEATURE;
    }
    uint64_t stored = rt->ctx->stored_size;
    switch (n->code) {
    case X_BIN: return eval_bin(rt, n, out);
    case X_KEY: return eval_key(rt, n, out);
    case X_BIN_TYPE: {
        const td_bin *b = find_bin(rec, n->name, n->name_len);
        out->v = aw_value_int(b ? b->ptype : 0);
        return AW_OK;
    }
    case X_DIGEST_MOD: { /* the digest's bytes 16..19 as a little-endian u32 */
        const uint8_t *d = meta->digest + 16;
        uint32_t v = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
                     (uint32_t)d[3] << 24;
        out->v = aw_value_int((int64_t)v % n->num);
        return AW_OK;
    }
    case X_DEVICE_SIZE: out->v = aw_value_int(0); return AW_OK; /* memory-only storage */
    case X_MEMORY_SIZE:
    case X_RECORD_SIZE: out->v = aw_value_int((int64_t)stored); return AW_OK;
    case X_LAST_UPDATE:
        out->v = aw_value_int((int64_t)((meta->last_update_ms + CITRUSLEAF_EPOCH_S * 1000) *
                                        1000000));
        return AW_OK;
    case X_SINCE_UPDATE: {
        uint64_t now = td_store_now_ms(rt->ctx->store);
        out->v = aw_value_int(now > meta->last_update_ms ? (int64_t)(now - meta->last_update_ms) : 0);
        return AW_OK;
    }
    case X_VOID_TIME:
        out->v = aw_value_int(meta->void_time == 0
                                  ? -1
                                  : (int64_t)((meta->void_time + CITRUSLEAF_EPOCH_S) * 1000000000));
        return AW_OK;
    case X_TTL: { /* cf_server_void_time_to_ttl, then (int32_t) */
        uint32_t now = td_store_now(rt->ctx->store);
        uint32_t ttl = meta->void_time == 0 ? 0xFFFFFFFFu
                       : meta->void_time > now ? meta->void_time - now
                                              : 1;
        out->v = aw_value_int((int32_t)ttl);
        return AW_OK;
    }
    case X_SET_NAME: out->v = aw_value_strn(meta->set, strlen(meta->set)); return AW_OK;
    case X_KEY_EXISTS: out->v = aw_value_bool(meta->key_ptype != 0); return AW_OK;
    case X_IS_TOMBSTONE: out->v = aw_value_bool(false); return AW_OK; /* CE keeps none */
    default: return AW_ERR_UNSUPPORTED_FEATURE;
    }
}
