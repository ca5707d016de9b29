/*
 * aw-testd: the list and map bins a client writes whole (a write op with a
 * LIST or MAP particle). The server does not store those bytes as sent: it
 * checks and rewrites them (particle_list.c list_from_wire, particle_map.c
 * map_from_wire -> cdt.c cdt_untrusted_rewrite), answering 1 (AS_ERR_UNKNOWN)
 * for msgpack it cannot take. aw-testd does one rewrite the server does
 * (every unordered map, at any depth, sorted by key) and refuses with 16 the
 * bytes the server would rewrite in other ways (non-compact msgpack).
 */
#include <string.h>

#include "aerowire/error.h"
#include "cdt.h"
#include "cdt_map.h"
#include "proto/msgpack.h"
#include "proto/particle.h"

/* Whether aw-testd orders v as the server does (td_list_value_cmp, the
 * order every list and map op uses): not for a NaN or GeoJSON, at any
 * depth, whose place the server's msgpack_cmp gives them it does not model. */
static bool orderable(const aw_value *v) {
    if (v->type == AW_FLOAT)
        return v->u.f == v->u.f;
    if (v->type == AW_GEOJSON)
        return false;
    if (v->type != AW_LIST && v->type != AW_MAP)
        return true;
    uint32_t n = v->type == AW_MAP ? 2 * v->len : v->len;
    for (uint32_t i = 0; i < n; i++)
        if (!orderable(&v->u.items[i]))
            return false;
    return true;
}

/* An ordered list (flag 1) must be in order, a key-ordered or
 * key-value-ordered map (flag 1 or 3, stored alike when no index is
 * persisted) in strictly increasing key order, else the server answers 1.
 * Other flags (persist-index 0x10, which the server stores with an index
 * aw-testd does not build, and on an unordered list crashes CE 8.1.2.0) and
 * values aw-testd cannot order (orderable) are 16. */
static int check_order(const aw_value *v) {
    if (v->subtype != 1 && !(v->type == AW_MAP && v->subtype == 3))
        return AW_ERR_UNSUPPORTED_FEATURE;
    if (!orderable(v))
        return AW_ERR_UNSUPPORTED_FEATURE;
    uint32_t step = v->type == AW_MAP ? 2 : 1;
    for (uint32_t i = 1; i < v->len; i++) {
        int c = td_list_value_cmp(&v->u.items[(i - 1) * step], &v->u.items[i * step]);
        if (c > 0 || (c == 0 && v->type == AW_MAP))
            return AW_ERR_SERVER;
    }
    return AW_OK;
}

/* 1 for what the server rejects (wildcard / infinity values, which are for
 * ops only; a map key given twice; an ordered container out of order); 16
 * for what aw-testd cannot check (see check_order). */
static int check_value(const aw_value *v) {
    if (v->type == AW_NIL && v->subtype != 0)
        return AW_ERR_SERVER;
    if (v->type != AW_LIST && v->type != AW_MAP)
        return AW_OK;
    uint32_t n = v->type == AW_MAP ? 2 * v->len : v->len;
    for (uint32_t i = 0; i < n; i++) {
        int rc = check_value(&v->u.items[i]);
        if (rc != AW_OK)
            return rc;
    }
    if (v->subtype != 0)
        return check_order(v);
    if (v->type != AW_MAP)
        return AW_OK;
    for (uint32_t i = 0; i < v->len; i++)
        for (uint32_t j = i + 1; j < v->len; j++)
            if (aw_value_equal(&v->u.items[2 * i], &v->u.items[2 * j]))
                return AW_ERR_SERVER;
    return AW_OK;
}

int td_cdt_bin_from_client(td_record *w, const char *name, size_t name_len, uint8_t ptype,
                           const uint8_t *p, uint32_t len) {
    aw_arena arena;
    aw_arena_init(&arena, 0);
    aw_value v;
    size_t used;
    int rc = AW_OK;
    /* Not one whole list (map) of known msgpack: 1, as list_size_from_wire. */
    if (aw_msgpack_read(p, len, &v, &arena, &used, NULL) != AW_OK || used != len ||
        v.type != (ptype == AW_PT_LIST ? AW_LIST : AW_MAP))
        rc = AW_ERR_SERVER;
    if (rc == AW_OK)
        rc = check_value(&v);
    aw_buf enc;
    aw_buf_init(&enc);
    if (rc == AW_OK) {
        /* The server compacts what is not packed in its shortest form and
         * drops an order marker of 0; aw-testd takes only bytes that are
         * already packed so. */
        if (aw_msgpack_write(&enc, &v, NULL) != AW_OK || !aw_buf_ok(&enc) || enc.len != len ||
            memcmp(enc.data, p, len) != 0)
            rc = AW_ERR_UNSUPPORTED_FEATURE;
    }
    if (rc == AW_OK) {
        /* CE 8.1.2.0 reads {"c":1,"a":2} back as {"a":2,"c":1}, and so a
         * map inside a list or map. */
        enc.len = 0;
        if (td_map_sort_nested(&v, &arena) != AW_OK || aw_msgpack_write(&enc, &v, NULL) != AW_OK ||
            !aw_buf_ok(&enc) || td_bin_set(w, name, name_len, ptype, enc.data, (uint32_t)enc.len))
            rc = AW_ERR_SERVER_FULL;
    }
    aw_buf_free(&enc);
    aw_arena_free(&arena);
    return rc;
}
