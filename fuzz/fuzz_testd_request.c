/*
 * Fuzz target: aw-testd's request path — a message body is parsed and
 * executed against an in-memory store (batch requests row by row, messages
 * without a digest as scans), as the server does with whatever a client
 * sends.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "batch_parse.h"
#include "exec.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "scan.h"
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
    /* This node serves the even partitions: the others get PARTITION_DONE. */
    static bool serves[AW_PARTITIONS];
    for (uint32_t p = 0; p < AW_PARTITIONS; p++)
        serves[p] = p % 2 == 0;
    td_scan_env env = {.store = &store, .serves = serves};
    bool framed = false;
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
        } else if (!aw_msg_find_field(&m, AW_FIELD_DIGEST, &f)) {
            td_scan_handle(&env, &m, &out); /* whole frames */
            framed = true;
        } else {
            td_exec(&cx, &m, NULL, &out);
        }
        /* Every reply must parse as messages (in type-3 frames for a scan). */
        aw_msg_view r;
        size_t off = 0, ru;
        while (off < out.len) {
            size_t end = out.len;
            if (framed) {
                aw_proto_header ph;
                if (aw_proto_header_read(out.data + off, out.len - off, 0, &ph, NULL) != AW_OK ||
                    ph.type != AW_PROTO_MSG || ph.size > out.len - off - 8)
                    __builtin_trap();
                off += 8;
                end = off + (size_t)ph.size;
            }
            while (off < end) {
                if (aw_msg_parse(out.data + off, end - off, &r, &ru, NULL) != AW_OK)
                    __builtin_trap();
                off += ru;
            }
        }
        framed = false;
        aw_buf_reset(&out);
        p += used;
        left -= used;
    }
    aw_buf_free(&out);
    td_store_free(&store);
    return 0;
}
