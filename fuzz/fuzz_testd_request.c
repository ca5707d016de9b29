/*
 * Fuzz target: aw-testd's request path — a message body is parsed and
 * executed against an in-memory store (batch requests row by row), as the
 * server does with whatever a client sends.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "batch_parse.h"
#include "exec.h"
#include "proto/msg.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A fresh store per input keeps runs reproducible and leaks visible. */
    td_store store;
    if (td_store_init(&store, "test,bar", 0, 1024 * 1024) != 0)
        return 0;
    aw_buf out;
    aw_buf_init(&out);
    td_exec_ctx cx = {.store = &store};
    const uint8_t *p = data;
    size_t left = size;
    /* Several messages in a row share the store, so writes meet reads. */
    while (left > 0) {
        aw_msg_view m;
        size_t used;
        if (aw_msg_parse(p, left, &m, &used, NULL) != AW_OK)
            break;
        aw_field_view f;
        if ((m.h.info1 & AW_INFO1_BATCH) && aw_msg_find_field(&m, AW_FIELD_BATCH_INDEX, &f)) {
            td_batch_req_iter it;
            aw_field_view filter;
            if (td_batch_refusal(&m) == AW_OK &&
                td_batch_req_open(&it, f.data, f.len, NULL) == AW_OK) {
                const uint8_t *digest;
                aw_msg_view row;
                cx.in_batch = true;
                if (aw_msg_find_field(&m, AW_FIELD_FILTER, &filter)) { /* as server.c does */
                    cx.filter = filter.data ? filter.data : (const uint8_t *)"";
                    cx.filter_len = filter.len;
                }
                while (td_batch_req_next(&it, &digest, &row, NULL) == 1)
                    td_exec(&cx, &row, digest, &out);
                cx.in_batch = false;
                cx.filter = NULL;
            }
        } else {
            td_exec(&cx, &m, NULL, &out);
        }
        /* Every reply must parse as a message. */
        aw_msg_view r;
        size_t off = 0, ru;
        while (off < out.len) {
            if (aw_msg_parse(out.data + off, out.len - off, &r, &ru, NULL) != AW_OK)
                __builtin_trap();
            off += ru;
        }
        aw_buf_reset(&out);
        p += used;
        left -= used;
    }
    aw_buf_free(&out);
    td_store_free(&store);
    return 0;
}
