/*
 * Operations: the aw_op_* constructors, and the encoder for one op
 * (aw_buf_op) with the info bits a list of ops implies (aw_ops_info).
 */
#include <string.h>

#include "aerowire/key.h"
#include "aerowire/ops.h"
#include "cdt.h"
#include "msg.h"
#include "msgpack.h"
#include "op_spec.h"
#include "particle.h"
#include "request.h"

#define NOT_CDT 0xffff
/* CDT codes from 64 up are map ops; C7.5 flags those RESPOND_ALL_OPS. */
#define CDT_MAP_FIRST 64

/* ---- constructors ------------------------------------------------------ */

static aw_op plain(aw_op_type type, const char *bin, aw_value value) {
    aw_op op;
    memset(&op, 0, sizeof op);
    op.type = (uint8_t)type;
    op.cdt_code = NOT_CDT;
    op.bin = bin;
    op.value = value;
    return op;
}

aw_op aw_op_read(const char *bin) { return plain(AW_OP_READ, bin, aw_value_nil()); }
aw_op aw_op_write(const char *bin, aw_value value) { return plain(AW_OP_WRITE, bin, value); }
aw_op aw_op_incr(const char *bin, aw_value by) { return plain(AW_OP_INCR, bin, by); }
aw_op aw_op_append(const char *bin, aw_value value) { return plain(AW_OP_APPEND, bin, value); }
aw_op aw_op_prepend(const char *bin, aw_value value) { return plain(AW_OP_PREPEND, bin, value); }
aw_op aw_op_touch(void) { return plain(AW_OP_TOUCH, NULL, aw_value_nil()); }
aw_op aw_op_delete(void) { return plain(AW_OP_DELETE, NULL, aw_value_nil()); }

aw_op aw_op_cdt(aw_op_type type, const char *bin, uint16_t code, const aw_value *args, uint8_t n) {
    aw_op op = plain(type, bin, aw_value_nil());
    op.cdt_code = code;
    op.n_args = n; /* kept as given so the encoder can refuse n > AW_OP_MAX_ARGS */
    for (uint8_t i = 0; i < n && i < AW_OP_MAX_ARGS && args; i++)
        op.args[i] = args[i];
    return op;
}

/* The bin-level shorthands: the general builders with no ctx and no policy. */
aw_op aw_op_list_append(const char *bin, aw_value value) {
    return aw_cdt_list_append(bin, NULL, NULL, value);
}
aw_op aw_op_list_append_items(const char *bin, aw_value list) {
    return aw_cdt_list_append_items(bin, NULL, NULL, list);
}
aw_op aw_op_list_insert(const char *bin, int64_t index, aw_value value) {
    return aw_cdt_list_insert(bin, NULL, NULL, index, value);
}
aw_op aw_op_list_set(const char *bin, int64_t index, aw_value value) {
    return aw_cdt_list_set(bin, NULL, NULL, index, value);
}
aw_op aw_op_list_pop(const char *bin, int64_t index) { return aw_cdt_list_pop(bin, NULL, index); }
aw_op aw_op_list_remove(const char *bin, int64_t index) { return aw_cdt_list_remove(bin, NULL, index); }
aw_op aw_op_list_clear(const char *bin) { return aw_cdt_list_clear(bin, NULL); }
aw_op aw_op_list_size(const char *bin) { return aw_cdt_list_size(bin, NULL); }
aw_op aw_op_list_get(const char *bin, int64_t index) { return aw_cdt_list_get(bin, NULL, index); }
aw_op aw_op_list_get_range(const char *bin, int64_t index, int64_t count) {
    aw_op op = aw_cdt_list_get_range(bin, NULL, index, count < 0 ? 0 : (uint64_t)count);
    if (count < 0)
        aw_cdt_fault(&op, "negative count", (uint64_t)count);
    return op;
}
aw_op aw_op_list_get_range_from(const char *bin, int64_t index) {
    return aw_cdt_list_get_range_from(bin, NULL, index);
}

aw_op aw_op_map_put(const char *bin, aw_value key, aw_value value) {
    return aw_cdt_map_put(bin, NULL, NULL, key, value);
}
aw_op aw_op_map_put_items(const char *bin, aw_value map) {
    return aw_cdt_map_put_items(bin, NULL, NULL, map);
}
aw_op aw_op_map_increment(const char *bin, aw_value key, aw_value by) {
    return aw_cdt_map_increment(bin, NULL, NULL, key, by);
}
aw_op aw_op_map_remove_by_key(const char *bin, aw_value key, aw_cdt_return rtype) {
    return aw_cdt_map_remove_by_key(bin, NULL, key, rtype);
}
aw_op aw_op_map_clear(const char *bin) { return aw_cdt_map_clear(bin, NULL); }
aw_op aw_op_map_size(const char *bin) { return aw_cdt_map_size(bin, NULL); }
aw_op aw_op_map_get_by_key(const char *bin, aw_value key, aw_cdt_return rtype) {
    return aw_cdt_map_get_by_key(bin, NULL, key, rtype);
}
aw_op aw_op_map_get_by_index(const char *bin, int64_t index, aw_cdt_return rtype) {
    return aw_cdt_map_get_by_index(bin, NULL, index, rtype);
}

/* ---- encoding ---------------------------------------------------------- */

static const char *op_name(uint8_t type) {
    switch (type) {
    case AW_OP_READ: return "READ";
    case AW_OP_WRITE: return "WRITE";
    case AW_OP_CDT_READ: return "CDT_READ";
    case AW_OP_CDT_MODIFY: return "CDT_MODIFY";
    case AW_OP_INCR: return "INCR";
    case AW_OP_EXP_READ: return "EXP_READ";
    case AW_OP_EXP_MODIFY: return "EXP_MODIFY";
    case AW_OP_APPEND: return "APPEND";
    case AW_OP_PREPEND: return "PREPEND";
    case AW_OP_TOUCH: return "TOUCH";
    case AW_OP_BIT_READ: return "BIT_READ";
    case AW_OP_BIT_MODIFY: return "BIT_MODIFY";
    case AW_OP_DELETE: return "DELETE";
    case AW_OP_HLL_READ: return "HLL_READ";
    case AW_OP_HLL_MODIFY: return "HLL_MODIFY";
    default: return "UNKNOWN";
    }
}

int aw_check_bin_name(const char *name, aw_error *err) {
    if (!name)
        return aw_error_set(err, AW_ERR_PARAM, "bin name is NULL");
    size_t n = strnlen(name, AW_BIN_NAME_MAX + 1);
    if (n == 0)
        return aw_error_set(err, AW_ERR_BAD_NAME, "bin name is empty");
    if (n > AW_BIN_NAME_MAX)
        return aw_error_set(err, AW_ERR_BAD_NAME, "bin name '%.40s%s' is %zu bytes; the limit is %d",
                            name, strlen(name) > 40 ? "..." : "", strlen(name), AW_BIN_NAME_MAX);
    return AW_OK;
}

/* Does the value carry the storage its length promises? */
static bool value_storage_ok(const aw_value *v) {
    switch (v->type) {
    case AW_STR:
    case AW_GEOJSON: return v->len == 0 || v->u.str != NULL;
    case AW_BLOB: return v->len == 0 || v->u.bytes != NULL;
    case AW_LIST:
    case AW_MAP: return v->len == 0 || v->u.items != NULL;
    case AW_NIL:
    case AW_INT:
    case AW_FLOAT:
    case AW_BOOL: return true;
    default: return false;
    }
}

/* Re-labels an error from a lower layer with the op and bin it came from. */
static int blame(aw_error *err, int rc, const aw_op *op) {
    if (!err)
        return rc;
    char inner[AW_ERROR_MSG_SIZE];
    memcpy(inner, err->message, sizeof inner);
    return aw_error_set(err, rc, "%s bin '%s': %s", op_name(op->type), op->bin ? op->bin : "",
                        inner);
}

/* The CDT op value: msgpack [code, args...]. */
static int write_cdt(aw_buf *b, const aw_op *op, aw_error *err) {
    if (op->cdt_code == AW_CDT_SELECT_BY_PATH && op->ctx_create == AW_CDT_PATH_OP_MARK) {
        int rc = aw_cdt_put_path_op(b, op, err);
        return rc == AW_OK ? rc : blame(err, rc, op);
    }
    if (op->ctx) {
        int rc = aw_cdt_put_ctx(b, op->ctx, op->ctx_create, err);
        if (rc != AW_OK)
            return blame(err, rc, op);
    }
    aw_mp_put_array_header(b, 1u + op->n_args);
    aw_mp_put_uint(b, op->cdt_code);
    for (uint8_t i = 0; i < op->n_args; i++) {
        if (!value_storage_ok(&op->args[i]))
            return aw_error_set(err, AW_ERR_PARAM, "%s bin '%s': argument %u has no storage",
                                op_name(op->type), op->bin, i + 1);
        int rc = aw_msgpack_write(b, &op->args[i], err);
        if (rc != AW_OK)
            return blame(err, rc, op);
    }
    return AW_OK;
}

static bool is_exp(const aw_op *op) {
    return op->type == AW_OP_EXP_READ || op->type == AW_OP_EXP_MODIFY;
}

/* Made by aw_op_exp_read/write (its value refers to an aw_exp's bytes), not
 * a hand-built op carrying the caller's own [expression, flags]. */
static bool is_built_exp(const aw_op *op) {
    return is_exp(op) && op->value.type == AW_BLOB && op->value.subtype == AW_BLOB_RAW_MSGPACK;
}

/* Checks everything about an op that does not depend on the buffer. */
static int check_op(const aw_op *op, aw_error *err) {
    const char *name = op_name(op->type);
    int rc;
    switch (op->type) {
    case AW_OP_TOUCH:
    case AW_OP_DELETE:
        return AW_OK; /* no name, no value */
    case AW_OP_READ:
        return op->bin ? aw_check_bin_name(op->bin, err) : AW_OK; /* NULL = all bins */
    case AW_OP_WRITE:
    case AW_OP_INCR:
    case AW_OP_APPEND:
    case AW_OP_PREPEND:
    case AW_OP_CDT_READ:
    case AW_OP_CDT_MODIFY:
    case AW_OP_EXP_READ:
    case AW_OP_EXP_MODIFY:
    case AW_OP_BIT_READ:
    case AW_OP_BIT_MODIFY:
    case AW_OP_HLL_READ:
    case AW_OP_HLL_MODIFY:
        break;
    default:
        return aw_error_set(err, AW_ERR_PARAM, "unknown op type %u", op->type);
    }
    if (!op->bin)
        return aw_error_set(err, AW_ERR_PARAM, "%s needs a bin name", name);
    if ((rc = aw_check_bin_name(op->bin, err)) != AW_OK)
        return rc;

    uint8_t t = op->value.type;
    switch (op->type) {
    case AW_OP_WRITE:
        if (!value_storage_ok(&op->value))
            return aw_error_set(err, AW_ERR_PARAM, "WRITE bin '%s': bad value (type %u)", op->bin,
                                t);
        break;
    case AW_OP_INCR:
        if (t != AW_INT && t != AW_FLOAT)
            return aw_error_set(err, AW_ERR_PARAM,
                                "INCR bin '%s': needs an integer or float (got type %u)", op->bin, t);
        break;
    case AW_OP_APPEND:
    case AW_OP_PREPEND:
        if ((t != AW_STR && t != AW_BLOB) || !value_storage_ok(&op->value))
            return aw_error_set(err, AW_ERR_PARAM,
                                "%s bin '%s': needs a string or blob (got type %u)", name, op->bin,
                                t);
        break;
    case AW_OP_CDT_READ:
    case AW_OP_CDT_MODIFY:
        if (op->cdt_code == NOT_CDT)
            return aw_error_set(err, AW_ERR_PARAM, "%s bin '%s': no CDT op code", name, op->bin);
        if (op->n_args > AW_OP_MAX_ARGS)
            return aw_error_set(err, AW_ERR_PARAM, "%s bin '%s': %u arguments (at most %d)", name,
                                op->bin, op->n_args, AW_OP_MAX_ARGS);
        if (op->fault)
            return aw_error_set(err, AW_ERR_PARAM, "%s bin '%s' (CDT op %u): %s (0x%llx)", name,
                                op->bin, op->cdt_code, op->fault,
                                (unsigned long long)op->fault_value);
        if ((rc = aw_cdt_check_ctx(op->ctx, err)) != AW_OK)
            return blame(err, rc, op);
        break;
    default: /* EXP, BIT, HLL: the caller's ready msgpack, or a built op */
        if (is_built_exp(op) || (!is_exp(op) && op->cdt_code != NOT_CDT))
            break; /* checked by aw_buf_exp_op / aw_buf_bit_op / aw_buf_hll_op */
        if (t != AW_BLOB || !value_storage_ok(&op->value))
            return aw_error_set(err, AW_ERR_PARAM,
                                "%s bin '%s': needs its msgpack as a blob (got type %u)", name,
                                op->bin, t);
        break;
    }
    return AW_OK;
}

int aw_buf_op(aw_buf *b, const aw_op *op, aw_error *err) {
    if (!b || !op)
        return aw_error_set(err, AW_ERR_PARAM, "aw_buf_op: NULL buffer or op");
    int rc = check_op(op, err);
    if (rc != AW_OK)
        return rc;

    size_t start = b->len;
    bool start_oom = b->oom;
    uint8_t name_len = op->bin ? (uint8_t)strlen(op->bin) : 0;
    if (op->type == AW_OP_TOUCH || op->type == AW_OP_DELETE)
        name_len = 0;
    uint8_t particle = AW_PT_NULL;
    switch (op->type) {
    case AW_OP_WRITE:
    case AW_OP_INCR:
    case AW_OP_APPEND:
    case AW_OP_PREPEND: particle = aw_particle_type(&op->value); break;
    case AW_OP_READ:
    case AW_OP_TOUCH:
    case AW_OP_DELETE: particle = AW_PT_NULL; break;
    default: particle = AW_PT_BLOB; break; /* CDT, EXP, BIT, HLL */
    }
    /* The size is patched once the value is written: no measuring pass. */
    aw_buf_op_header(b, op->type, particle, op->bin, name_len, 0);

    switch (op->type) {
    case AW_OP_WRITE:
    case AW_OP_INCR:
    case AW_OP_APPEND:
    case AW_OP_PREPEND:
        rc = aw_particle_write(b, &op->value, err); /* nil: no bytes */
        if (rc != AW_OK && rc != AW_ERR_NOMEM)
            rc = blame(err, rc, op);
        break;
    case AW_OP_CDT_READ:
    case AW_OP_CDT_MODIFY: rc = write_cdt(b, op, err); break;
    case AW_OP_BIT_READ:
    case AW_OP_BIT_MODIFY:
        if (op->cdt_code != NOT_CDT) {
            rc = aw_buf_bit_op(b, op, err);
            break;
        }
        aw_buf_put(b, op->value.u.bytes, op->value.len);
        break;
    case AW_OP_HLL_READ:
    case AW_OP_HLL_MODIFY:
        if (op->cdt_code != NOT_CDT) {
            rc = aw_buf_hll_op(b, op, err);
            break;
        }
        aw_buf_put(b, op->value.u.bytes, op->value.len);
        break;
    case AW_OP_EXP_READ:
    case AW_OP_EXP_MODIFY:
        if (is_built_exp(op)) {
            rc = aw_buf_exp_op(b, op, err);
            break;
        }
        aw_buf_put(b, op->value.u.bytes, op->value.len);
        break;
    default: break;
    }
    if (rc == AW_OK && !aw_buf_ok(b))
        rc = aw_error_set(err, AW_ERR_NOMEM, "%s bin '%s': out of memory", op_name(op->type),
                          op->bin ? op->bin : "");
    if (rc == AW_OK && b->len - start - 4 > UINT32_MAX)
        rc = aw_error_set(err, AW_ERR_PARAM, "%s bin '%s': value too large", op_name(op->type),
                          op->bin ? op->bin : "");
    if (rc != AW_OK) {
        b->len = start;
        b->oom = start_oom;
        return rc;
    }
    aw_store_u32be(b->data + start, (uint32_t)(b->len - start - 4));
    return AW_OK;
}

static bool is_read_op(uint8_t t) {
    return t == AW_OP_READ || t == AW_OP_CDT_READ || t == AW_OP_EXP_READ || t == AW_OP_BIT_READ ||
           t == AW_OP_HLL_READ;
}

/* Ops whose results C7.5 asks for one per op (RESPOND_ALL_OPS): map CDT ops,
 * expressions, bits and HLL. */
static bool wants_all_ops(const aw_op *op) {
    switch (op->type) {
    case AW_OP_CDT_READ:
    case AW_OP_CDT_MODIFY: /* map ops; not select/modify by path (C7.5's CDT_READ/MODIFY) */
        return op->cdt_code >= CDT_MAP_FIRST && op->cdt_code < AW_CDT_SELECT_BY_PATH;
    case AW_OP_EXP_READ:
    case AW_OP_EXP_MODIFY:
    case AW_OP_BIT_READ:
    case AW_OP_BIT_MODIFY:
    case AW_OP_HLL_READ:
    case AW_OP_HLL_MODIFY: return true;
    default: return false;
    }
}

void aw_ops_info(const aw_op *ops, size_t n, uint8_t *info1, uint8_t *info2, bool *writes) {
    uint8_t i1 = 0, i2 = 0;
    bool all_ops = false;
    for (size_t i = 0; i < n; i++) {
        if (is_read_op(ops[i].type)) {
            i1 |= AW_INFO1_READ;
            if (ops[i].type == AW_OP_READ && !ops[i].bin)
                i1 |= AW_INFO1_GET_ALL;
        } else {
            i2 |= AW_INFO2_WRITE;
        }
        all_ops |= wants_all_ops(&ops[i]);
    }
    /* C7.5 never sends RESPOND_ALL_OPS with GET_ALL (one result per op makes
     * no sense when the reply is the whole record). */
    if (all_ops && !(i1 & AW_INFO1_GET_ALL))
        i2 |= AW_INFO2_RESPOND_ALL_OPS;
    *info1 |= i1;
    *info2 |= i2;
    *writes = (i2 & AW_INFO2_WRITE) != 0;
}
