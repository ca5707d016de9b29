/*
 * aw-testd expressions as a command uses them: the filter (field 43,
 * transaction/rw_utils.c handle_meta_filter + read_and_filter_bins) and
 * the expression read / modify ops (op types 7 and 8, base/expop.c).
 */
#include "exp_internal.h"

#include <stdlib.h>
#include <string.h>

#include "aerowire/error.h"
#include "exp_geo.h"
#include "proto/msgpack.h"
#include "proto/particle.h"

/* Expression op flags (AS_EXP_FLAG_*). */
#define FLAG_CREATE_ONLY 0x01
#define FLAG_UPDATE_ONLY 0x02
#define FLAG_ALLOW_DELETE 0x04
#define FLAG_POLICY_NO_FAIL 0x08
#define FLAG_EVAL_NO_FAIL 0x10
#define MODIFY_FLAGS 0x1f
#define READ_FLAGS FLAG_EVAL_NO_FAIL

/* as_exp_filter_build: build, then check_filter_exp (a filter must be
 * boolean). */
static int build_filter(const uint8_t *p, size_t len, aw_arena *arena, td_exp **e) {
    int rc = td_exp_build(p, len, arena, e);
    if (rc == AW_OK && (*e)->root->type != XT_BOOL) {
        td_exp_free(*e);
        *e = NULL;
        rc = AW_ERR_REQUEST_INVALID;
    }
    return rc;
}

int td_exp_filter_check(const uint8_t *p, size_t len) {
    aw_arena arena;
    aw_arena_init(&arena, 0);
    td_exp *e;
    int rc = build_filter(p, len, &arena, &e);
    if (rc == AW_OK)
        td_exp_free(e);
    aw_arena_free(&arena);
    return rc;
}

int td_exp_filter(const uint8_t *p, size_t len, const td_exp_ctx *ctx) {
    aw_arena arena;
    aw_arena_init(&arena, 0);
    td_exp *e = NULL;
    int rc = build_filter(p, len, &arena, &e);
    if (rc == AW_OK) {
        aw_value v;
        bool unknown;
        rc = td_exp_eval(e, ctx, &v, &unknown, &arena);
        if (rc == AW_OK && (unknown || !v.u.b))
            rc = AW_FILTERED_OUT; /* unknown is false once the bins are read */
    }
    td_exp_free(e);
    aw_arena_free(&arena);
    return rc;
}

/* as_exp_op_parse: [exp] or [exp, flags]; flags that are not an integer
 * are taken as 0, unknown flag bits are PARAMETER. */
static int parse_op(const aw_op_view *op, bool modify, aw_arena *arena, td_exp **e,
                    uint64_t *flags) {
    aw_value v;
    size_t used;
    *e = NULL;
    *flags = 0;
    const uint8_t *p = op->value;
    size_t n = op->value_len;
    /* The list header and its element count. */
    uint32_t count;
    size_t hdr;
    if (n >= 1 && (p[0] & 0xf0) == 0x90) {
        count = p[0] & 0x0f;
        hdr = 1;
    } else if (n >= 3 && p[0] == 0xdc) {
        count = (uint32_t)p[1] << 8 | p[2];
        hdr = 3;
    } else if (n >= 5 && p[0] == 0xdd) {
        count = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
        hdr = 5;
    } else {
        return AW_ERR_REQUEST_INVALID;
    }
    if (count == 0 || count > 2)
        return AW_ERR_REQUEST_INVALID;
    size_t exp_len;
    if (aw_msgpack_skip(p + hdr, n - hdr, &exp_len, NULL) != AW_OK)
        return AW_ERR_REQUEST_INVALID;
    const uint8_t *rest = p + hdr + exp_len;
    size_t rest_len = n - hdr - exp_len;
    if (count == 2 && rest_len > 0 &&
        aw_msgpack_read(rest, rest_len, &v, arena, &used, NULL) == AW_OK && v.type == AW_INT) {
        *flags = (uint64_t)v.u.i;
        if (*flags & ~(uint64_t)(modify ? MODIFY_FLAGS : READ_FLAGS))
            return AW_ERR_REQUEST_INVALID;
    }
    return td_exp_build(p + hdr, exp_len, arena, e);
}

/* as_exp_eval: *value is the bin the result makes (AW_NIL: none); false
 * when the expression failed to evaluate to a bin type. */
static int eval_to_bin(const td_exp *e, const td_exp_ctx *ctx, aw_value *value, bool *ok,
                       aw_arena *arena) {
    bool unknown;
    int rc = td_exp_eval(e, ctx, value, &unknown, arena);
    *ok = rc == AW_OK && !unknown;
    if (rc == AW_OK && !unknown && value->type == AW_GEOJSON) {
        td_geo g;
        if (td_geo_parse(value->u.str, value->len, &g) != TD_GEO_OK || g.kind != TD_GEO_POINT)
            return AW_ERR_UNSUPPORTED_FEATURE; /* a region's cells: not computed */
    }
    return rc;
}

int td_exp_read_op(const aw_op_view *op, const td_exp_ctx *ctx, aw_value *result,
                   aw_arena *arena) {
    *result = aw_value_nil();
    td_exp *e;
    uint64_t flags;
    int rc = parse_op(op, false, arena, &e, &flags);
    if (rc == AW_OK) {
        bool ok;
        rc = eval_to_bin(e, ctx, result, &ok, arena);
        if (rc == AW_OK && !ok) {
            *result = aw_value_nil();
            if (!(flags & FLAG_EVAL_NO_FAIL))
                rc = AW_ERR_OP_NOT_APPLICABLE;
        }
    }
    td_exp_free(e);
    return rc;
}

/* Sets the bin to the value's particle bytes (a GeoJSON point with its
 * cell, as the server stores it). */
static int set_bin(td_record *w, const aw_op_view *op, const aw_value *v) {
    uint8_t *bytes = NULL;
    uint32_t len = 0;
    aw_buf enc;
    aw_buf_init(&enc);
    int rc = AW_OK;
    if (v->type == AW_GEOJSON) {
        if (td_geo_particle(v->u.str, v->len, &bytes, &len) != TD_GEO_OK)
            rc = AW_ERR_UNSUPPORTED_FEATURE;
    } else if (aw_particle_write(&enc, v, NULL) != AW_OK) {
        rc = AW_ERR_UNSUPPORTED_FEATURE; /* a value aw-testd cannot store as sent */
    } else if (!aw_buf_ok(&enc)) {
        rc = AW_ERR_SERVER_FULL;
    } else {
        bytes = enc.data;
        len = (uint32_t)enc.len;
    }
    if (rc == AW_OK &&
        td_bin_set(w, op->name, op->name_len, aw_particle_type(v), bytes, len) != 0)
        rc = AW_ERR_SERVER_FULL;
    if (v->type == AW_GEOJSON)
        free(bytes);
    aw_buf_free(&enc);
    return rc;
}

int td_exp_modify_op(td_record *w, const aw_op_view *op, const td_exp_ctx *ctx) {
    aw_arena arena;
    aw_arena_init(&arena, 0);
    td_exp *e;
    uint64_t flags;
    int rc = parse_op(op, true, &arena, &e, &flags);
    bool live = td_bin_find(w, op->name, op->name_len) != NULL;
    bool no_fail = (flags & FLAG_POLICY_NO_FAIL) != 0;
    if (rc == AW_OK && live && (flags & FLAG_CREATE_ONLY))
        rc = no_fail ? 1 : AW_ERR_BIN_EXISTS;
    else if (rc == AW_OK && !live && (flags & FLAG_UPDATE_ONLY))
        rc = no_fail ? 1 : AW_ERR_BIN_NOT_FOUND;
    aw_value v;
    bool ok = false;
    if (rc == AW_OK)
        rc = eval_to_bin(e, ctx, &v, &ok, &arena);
    if (rc == AW_OK && !ok) {
        if (!(flags & FLAG_EVAL_NO_FAIL))
            rc = AW_ERR_OP_NOT_APPLICABLE;
    } else if (rc == AW_OK && v.type == AW_NIL) {
        /* A nil result deletes the bin, with ALLOW_DELETE. Without it the
         * bin stays and the op fails — unless any flag at all is set:
         * expop.c tests `flags && AS_EXP_FLAG_POLICY_NO_FAIL != 0`. */
        if (live && (flags & FLAG_ALLOW_DELETE))
            td_bin_delete(w, op->name, op->name_len);
        else if (live && flags == 0)
            rc = AW_ERR_OP_NOT_APPLICABLE;
    } else if (rc == AW_OK) {
        rc = set_bin(w, op, &v);
    }
    if (rc == 1)
        rc = AW_OK; /* a NO_FAIL refusal: nothing done */
    td_exp_free(e);
    aw_arena_free(&arena);
    return rc;
}
