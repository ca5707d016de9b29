/*
 * Removing what no reader needs: the chunks of versions listed in aw_pend
 * (a replaced version, a crashed or beaten writer's), and aw_array_delete.
 *
 * Chunks listed in aw_pend are removed only by a call that has first
 * changed the header's generation (its own intent, switch or tombstone
 * write): a writer still busy with one of those versions can then never
 * make it current, since its own switch checks the generation it saw.
 */
#include <string.h>

#include "numpy/array_internal.h"

int aw_arr_gc(aw_client *client, const aw_policy *policy, const aw_key *key,
              const aw_arr_pend *pend, size_t n, uint64_t keep, aw_error *err) {
    int first = AW_OK;
    for (size_t k = 0; k < n; k++) {
        if (pend[k].version == keep)
            continue;
        aw_error e;
        int rc = aw_arr_delete_chunks(client, policy, key, pend[k].version, pend[k].n_chunks, &e);
        if (rc != AW_OK && first == AW_OK) {
            first = rc;
            if (err)
                *err = e;
        }
    }
    return first;
}

/* The header write that hides the array from readers and lists every
 * version to remove: aw_fmt and aw_pend only. Returns the new generation. */
static int write_tombstone(aw_client *client, const aw_policy *wp, const aw_key *key,
                           uint32_t gen, const aw_arr_pend *pend, size_t n, uint32_t *gen_out,
                           aw_error *err) {
    aw_value items[2 * (AW_ARR_MAX_PEND + 1)];
    aw_op ops[2] = {aw_op_write(AW_ARR_FMT, aw_value_int(AW_ARRAY_FORMAT)),
                    aw_arr_pend_op(pend, n, items)};
    aw_policy p = *wp;
    p.exists = AW_EXISTS_REPLACE;
    p.gen = AW_GEN_EQ;
    p.generation = gen;
    aw_record rec;
    int rc = aw_operate(client, &p, key, ops, 2, &rec, err);
    *gen_out = rec.gen;
    aw_record_free(&rec);
    return rc;
}

int aw_array_delete(aw_client *client, const aw_policy *policy, const aw_key *key,
                    aw_error *err) {
    aw_error_reset(err);
    if (!client || !key)
        return aw_error_set(err, AW_ERR_PARAM, "array_delete: NULL %s", client ? "key" : "client");
    if (aw_arr_no_filter(client, policy, true, "array_delete", err) != AW_OK)
        return AW_ERR_PARAM;
    aw_policy wp = aw_arr_write_policy(client, policy);
    aw_arr_state s;
    int rc = aw_arr_state_read(client, policy, key, &s, err);
    if (rc != AW_OK)
        return rc;
    if (!s.exists)
        return aw_error_set(err, AW_ERR_RECORD_NOT_FOUND, "array_delete: no array at this key");
    aw_arr_pend garbage[AW_ARR_MAX_PEND + 1];
    size_t n = aw_arr_state_versions(&s, garbage);

    aw_policy p = wp;
    p.gen = AW_GEN_EQ;
    p.generation = s.gen;
    if (n == 0) {
        rc = aw_delete(client, &p, key, err);
        if (rc == AW_ERR_RECORD_NOT_FOUND)
            return aw_error_set(err, rc, "array_delete: the array was deleted at the same moment");
        return aw_arr_conflict(rc, err, "array_delete");
    }
    /* Readers see "not found" from here on; the chunks go after. */
    uint32_t gen;
    rc = write_tombstone(client, &wp, key, s.gen, garbage, n, &gen, err);
    if (rc != AW_OK)
        return aw_arr_conflict(rc, err, "array_delete");
    aw_error e;
    rc = aw_arr_gc(client, &wp, key, garbage, n, 0, &e);
    if (rc != AW_OK) {
        aw_arr_warn(err, "chunks left for the next put or delete of this key", &e);
        return AW_OK;
    }
    p.generation = gen;
    rc = aw_delete(client, &p, key, &e);
    if (rc != AW_OK && rc != AW_ERR_RECORD_GENERATION && rc != AW_ERR_RECORD_NOT_FOUND)
        aw_arr_warn(err, "the emptied header record stays", &e);
    else
        aw_error_reset(err);
    return AW_OK;
}
