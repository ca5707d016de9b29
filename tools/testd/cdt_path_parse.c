/*
 * aw-testd: reading a select / modify by path op, [0xfe, path, flags(,
 * modify expression)], as the server's cdt.c cdt_process_state_select and
 * select_stack_init read it. Every malformed piece is PARAMETER (4); an
 * expression aw-testd does not evaluate is 16, but only once the whole op
 * has been read, so a request the server refuses still gets 4.
 */
#include "cdt_path_internal.h"

#include <string.h>

#include "aerowire/error.h"
#include "mp_in.h"
#include "proto/msgpack.h"

#define MAX_LEVELS 64 /* cdt_process_state_select: "ctx levels > 64" */

/* One whole msgpack element at the cursor: its bytes. */
static const uint8_t *element(td_mp *c, uint32_t *n) {
    size_t used;
    if (c->at >= c->len || aw_msgpack_skip(c->p + c->at, c->len - c->at, &used, NULL) != AW_OK)
        return NULL;
    const uint8_t *p = c->p + c->at;
    c->at += (uint32_t)used;
    *n = (uint32_t)used;
    return p;
}

/* An expression item: a list is built, `true` passes everything
 * (*e NULL), anything else is PARAMETER. */
static int read_exp(td_mp *c, path_parse *pp, td_exp **e) {
    uint32_t n;
    const uint8_t *p = element(c, &n);
    *e = NULL;
    if (!p)
        return AW_ERR_REQUEST_INVALID;
    if (p[0] == 0xc3)
        return AW_OK;
    if ((p[0] & 0xf0) != 0x90 && p[0] != 0xdc && p[0] != 0xdd)
        return AW_ERR_REQUEST_INVALID;
    int rc = td_exp_build_path(p, n, pp->arena, e);
    if (rc == AW_ERR_UNSUPPORTED_FEATURE) {
        pp->refuse = true;
        return AW_OK;
    }
    return rc;
}

/* A key or value item: decoded; what aw-testd cannot decode is 16. */
static int read_value(td_mp *c, path_parse *pp, aw_value *v) {
    uint32_t n;
    const uint8_t *p = element(c, &n);
    if (!p)
        return AW_ERR_REQUEST_INVALID;
    size_t used;
    if (aw_msgpack_read(p, n, v, pp->arena, &used, NULL) != AW_OK)
        pp->refuse = true;
    return AW_OK;
}

/* select_stack_init: the path's pairs into levels; an AND pair (0x204)
 * adds a second filter to the level before it. */
static int read_levels(td_mp *c, uint32_t n_pairs, path_parse *pp) {
    path_level *lv = pp->levels;
    uint32_t i = 0;
    for (uint32_t j = 0; j < n_pairs; j++, i++) {
        uint64_t type;
        if (!td_mp_uint(c, &type))
            return AW_ERR_REQUEST_INVALID;
        path_level *l;
        if (type & PATH_AND) {
            if (type != (PATH_AND | PATH_EXP) || i == 0 || lv[i - 1].has_and ||
                (lv[i - 1].type & 0x0f) == PATH_EXP)
                return AW_ERR_REQUEST_INVALID; /* a bad, first, second or EXP-base AND */
            l = &lv[--i];
            l->has_and = true;
        } else {
            l = &lv[i];
            memset(l, 0, sizeof *l);
            l->type = type;
        }
        pp->n_levels = i + 1; /* so that td_path_parse_free finds what was built */
        uint64_t index;
        int rc = AW_OK;
        switch (type & 0x0f) {
        case PATH_INDEX:
        case PATH_RANK:
            if (!td_mp_uint(c, &index))
                return AW_ERR_REQUEST_INVALID;
            l->index = (int64_t)index;
            break;
        case PATH_KEY:
        case PATH_VALUE:
        case PATH_KEY_LIST:
            rc = read_value(c, pp, &l->value);
            break;
        case PATH_EXP:
            rc = read_exp(c, pp, type & PATH_AND ? &l->and_exp : &l->exp);
            break;
        default:
            return AW_ERR_REQUEST_INVALID; /* invalid ctx type */
        }
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}

int td_path_parse(const uint8_t *p, uint32_t len, bool modify, path_parse *pp) {
    td_mp c = {.p = p, .len = len};
    uint32_t n_params, n_ctx;
    uint64_t code, flags;
    if (!td_mp_list(&c, &n_params) || n_params == 0 || !td_mp_uint(&c, &code))
        return AW_ERR_REQUEST_INVALID;
    if (!td_mp_list(&c, &n_ctx) || n_ctx == 0 || (n_ctx & 1) || n_ctx / 2 > MAX_LEVELS)
        return AW_ERR_REQUEST_INVALID;
    pp->n_levels = 0;
    pp->levels = aw_arena_alloc(pp->arena, n_ctx / 2 * sizeof *pp->levels);
    if (!pp->levels)
        return AW_ERR_SERVER_FULL;
    int rc = read_levels(&c, n_ctx / 2, pp);
    if (rc != AW_OK)
        return rc;
    if (!td_mp_uint(&c, &flags) || (flags & 0x0f) > PATH_APPLY)
        return AW_ERR_REQUEST_INVALID; /* no flags, or no such select type */
    pp->type = (unsigned)(flags & 0x0f);
    pp->flags = (unsigned)(flags & 0xf0);
    if (n_params - 1 != (pp->type == PATH_APPLY ? 3u : 2u))
        return AW_ERR_REQUEST_INVALID; /* param count != expected */
    if (pp->type == PATH_APPLY) {
        uint32_t n;
        const uint8_t *e = modify ? element(&c, &n) : NULL;
        if (!e) /* apply in a read op, or no expression */
            return AW_ERR_REQUEST_INVALID;
        rc = td_exp_build_path(e, n, pp->arena, &pp->modify);
        if (rc == AW_ERR_UNSUPPORTED_FEATURE)
            pp->refuse = true;
        else if (rc != AW_OK)
            return rc;
    }
    return pp->refuse ? AW_ERR_UNSUPPORTED_FEATURE : AW_OK;
}

void td_path_parse_free(path_parse *pp) {
    for (uint32_t i = 0; pp->levels && i < pp->n_levels; i++) {
        td_exp_free(pp->levels[i].exp);
        td_exp_free(pp->levels[i].and_exp);
    }
    td_exp_free(pp->modify);
}
