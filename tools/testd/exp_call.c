/*
 * aw-testd expressions: the ops that work on containers — CALL (op 127:
 * a list, map or bit op run on a value, exp.c eval_call), map_keys /
 * map_values and in_list.
 *
 * A CALL's op is the op a client would send in an operate (the same codes
 * and arguments); its parameters that are expressions are evaluated and
 * packed as msgpack in their place, and the op is then run by aw-testd's own
 * list/map (cdt.c) and bit (bit.c) engines on the value, never on a bin of
 * the record: a "modify local" call returns the changed container and
 * leaves the record alone. What those engines refuse (16) is refused here;
 * any other error makes the call unknown, as it does on the server.
 */
#include "exp_internal.h"

#include <string.h>

#include "aerowire/error.h"
#include "bit.h"
#include "cdt.h"
#include "cdt_list.h"
#include "hll.h"
#include "proto/msgpack.h"
#include "proto/particle.h"

/* Packs the call's op list with its evaluated parameters (eval_call's
 * vecs). *unknown when a parameter is unknown. */
static int pack_op(exp_rt *rt, const exp_node *n, aw_buf *op, bool *unknown) {
    for (uint32_t i = 0; i < n->n_parts; i++) {
        const exp_part *part = &n->parts[i];
        if (!part->eval) {
            aw_buf_put(op, part->raw, part->raw_len);
            continue;
        }
        exp_val v;
        int rc = td_exp_eval_node(rt, part->eval, &v);
        if (rc != AW_OK)
            return rc;
        if (v.unk) {
            *unknown = true;
            return AW_OK;
        }
        if (aw_msgpack_write(op, &v.v, NULL) != AW_OK)
            return AW_ERR_UNSUPPORTED_FEATURE; /* a value the codec cannot pack */
    }
    return aw_buf_ok(op) ? AW_OK : AW_ERR_SERVER_FULL;
}

/* Runs the op on the container with the engine of its system. */
static int run_system(int64_t sys, aw_value *container, const aw_buf *op, bool modify,
                      aw_value *result, aw_arena *arena) {
    switch (sys & ~(int64_t)XCALL_MODIFY_LOCAL) {
    case XCALL_CDT:
        return td_cdt_eval(container, op->data, op->len, modify, result, arena);
    case XCALL_BITS:
        return td_bit_eval(container, op->data, op->len, modify, result, arena);
    case XCALL_HLL:
        /* An HLL literal the server would not store from a client
         * (particle_hll.c hll_from_wire): what its expression code makes of
         * one is not worked out, so it is refused rather than guessed. */
        if (container->type == AW_BLOB && container->subtype == AW_PT_HLL &&
            !td_hll_particle_ok(container->u.bytes, container->len))
            return AW_ERR_UNSUPPORTED_FEATURE;
        return td_hll_eval(container, op->data, op->len, modify, result, arena);
    default:
        return AW_ERR_REQUEST_INVALID; /* not reached: build_call checks the system */
    }
}

static uint8_t particle_of(const aw_value *v) {
    return v->type == AW_BLOB ? v->subtype : v->type;
}

int td_exp_eval_call(exp_rt *rt, const exp_node *n, exp_val *out) {
    aw_buf op;
    aw_buf_init(&op);
    bool unknown = false;
    int rc = pack_op(rt, n, &op, &unknown);
    exp_val container = {0};
    if (rc == AW_OK && !unknown)
        rc = td_exp_eval_node(rt, n->kids[0], &container);
    if (rc != AW_OK || unknown || container.unk) {
        aw_buf_free(&op);
        out->unk = true;
        return rc;
    }
    bool modify = (n->sys & XCALL_MODIFY_LOCAL) != 0;
    aw_value result = aw_value_nil();
    rc = run_system(n->sys, &container.v, &op, modify, &result, rt->arena);
    aw_buf_free(&op);
    if (rc == AW_ERR_UNSUPPORTED_FEATURE || rc == AW_ERR_SERVER_FULL)
        return rc;
    const aw_value *v = modify ? &container.v : &result;
    if (rc != AW_OK || particle_of(v) != td_exp_particle_type(n->type)) {
        out->unk = true; /* failed, or not of the type asked for (bin_is_type) */
        return AW_OK;
    }
    out->v = *v;
    return AW_OK;
}

/* eval_map_keys_or_values: a map's keys (values), in its order. */
int td_exp_eval_map_kv(exp_rt *rt, const exp_node *n, exp_val *out) {
    exp_val m;
    int rc = td_exp_eval_node(rt, n->kids[0], &m);
    if (rc != AW_OK || m.unk || m.v.type != AW_MAP) {
        out->unk = true;
        return rc;
    }
    aw_value *items = aw_arena_alloc(rt->arena, (m.v.len ? m.v.len : 1) * sizeof *items);
    if (!items)
        return AW_ERR_SERVER_FULL;
    uint32_t pick = n->code == X_MAP_VALUES;
    for (uint32_t i = 0; i < m.v.len; i++)
        items[i] = m.v.u.items[2 * i + pick];
    out->v = aw_value_list(items, m.v.len);
    return AW_OK;
}

/* eval_in_list: whether the value equals (msgpack_cmp) an element. */
int td_exp_eval_in_list(exp_rt *rt, const exp_node *n, exp_val *out) {
    exp_val x, list;
    int rc = td_exp_eval_node(rt, n->kids[0], &x);
    if (rc == AW_OK && !x.unk)
        rc = td_exp_eval_node(rt, n->kids[1], &list);
    if (rc != AW_OK || x.unk || list.unk || list.v.type != AW_LIST) {
        out->unk = true;
        return rc;
    }
    bool found = false;
    for (uint32_t i = 0; i < list.v.len && !found; i++)
        found = td_list_value_cmp(&x.v, &list.v.u.items[i]) == 0;
    out->v = aw_value_bool(found);
    return AW_OK;
}
