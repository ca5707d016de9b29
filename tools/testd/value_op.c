/* aw-testd: bin ops on values (see value_op.h). The value is put in the
 * one bin of a scratch record, so the op runs through exactly the code a
 * record's bin goes through. */
#include "value_op.h"

#include <string.h>

#include "aerowire/error.h"
#include "aerowire/ops.h"
#include "bit.h"
#include "cdt.h"
#include "proto/particle.h"

#define SCRATCH_BIN "v"

int td_value_op_eval(aw_value *v, const uint8_t *op, size_t len, uint8_t op_type,
                     aw_value *result, aw_arena *arena) {
    *result = aw_value_nil();
    if (len > UINT32_MAX)
        return AW_ERR_REQUEST_INVALID;
    td_record scratch;
    memset(&scratch, 0, sizeof scratch);
    int rc = AW_OK;
    if (v->type != AW_NIL) {
        aw_buf enc;
        aw_buf_init(&enc);
        rc = aw_particle_write(&enc, v, NULL);
        if (rc == AW_OK && !aw_buf_ok(&enc))
            rc = AW_ERR_SERVER_FULL;
        if (rc == AW_OK && td_bin_set(&scratch, SCRATCH_BIN, 1, aw_particle_type(v), enc.data,
                                      (uint32_t)enc.len) != 0)
            rc = AW_ERR_SERVER_FULL;
        aw_buf_free(&enc);
        if (rc != AW_OK) {
            td_record_release(&scratch);
            return rc == AW_ERR_SERVER_FULL ? rc : AW_ERR_UNSUPPORTED_FEATURE;
        }
    }
    aw_op_view o = {.op = op_type, .particle = AW_PT_BLOB, .name = SCRATCH_BIN, .name_len = 1,
                    .value = op, .value_len = (uint32_t)len};
    bool modify = op_type == AW_OP_CDT_MODIFY || op_type == AW_OP_BIT_MODIFY;
    switch (op_type) {
    case AW_OP_CDT_READ:
    case AW_OP_CDT_MODIFY: rc = td_cdt_apply(&scratch, &o, modify, result, arena); break;
    case AW_OP_BIT_READ: rc = td_bit_read(&scratch, &o, result, arena); break;
    default: rc = td_bit_modify(&scratch, &o); break;
    }
    if (rc == AW_OK && modify) {
        const td_bin *b = td_bin_find(&scratch, SCRATCH_BIN, 1);
        *v = aw_value_nil();
        if (b && aw_particle_read(b->ptype, b->data, b->len, v, arena, NULL) != AW_OK)
            rc = AW_ERR_SERVER_FULL;
    }
    td_record_release(&scratch);
    return rc;
}
