/*
 * libFuzzer target for the admin protocol (proto type 2): the client's
 * reply parsers and aw-testd's handling of any admin message. The first
 * byte picks the path (mod 3; for aw-testd, bit 0 of byte / 3: as the
 * logged-in admin), the rest is a message body (after the proto header).
 * Beyond "no crash", it checks what each parser promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/admin.h"
#include "proto/frame.h"
#include "security.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* The login reply: a token inside the body, or a code. */
static void run_login(const uint8_t *p, size_t n) {
    const uint8_t *tok;
    size_t tl;
    uint32_t ttl;
    aw_error e;
    int rc = aw_login_reply_parse(p, n, &tok, &tl, &ttl, &e);
    if (rc == AW_OK)
        CHECK(tl > 0 && tok >= p && tok + tl <= p + n);
    else if (rc < 0)
        CHECK(rc == AW_ERR_PROTO && e.code == rc && e.message[0]);
}

/* Blocks of a query reply, their fields and lists stay inside the bytes. */
static void run_blocks(const uint8_t *p, size_t n) {
    size_t off = 0;
    while (off < n) {
        aw_admin_view v;
        size_t used;
        if (aw_admin_parse(p + off, n - off, &v, &used, NULL) != AW_OK)
            return;
        CHECK(used >= AW_ADMIN_HEADER_SIZE && used <= n - off);
        size_t f = 0, len;
        uint8_t id;
        const uint8_t *d;
        unsigned k = 0;
        while (aw_admin_next_field(&v, &f, &id, &d, &len)) {
            CHECK(d >= p + off && d + len <= p + off + used);
            k++;
            size_t count;
            if (aw_admin_list_count(d, len, &count))
                for (size_t i = 0; i < count; i++) {
                    const uint8_t *it;
                    size_t il;
                    CHECK(aw_admin_list_item(d, len, i, &it, &il));
                    CHECK(it >= d && it + il <= d + len);
                }
        }
        CHECK(k == v.n_fields);
        off += used;
    }
}

/* aw-testd's answer is whole admin frames, whatever came in. */
static void run_testd(const uint8_t *p, size_t n, bool as_admin) {
    static td_security *sec;
    static td_store store;
    static bool ready;
    if (!ready) {
        sec = td_security_new(0);
        CHECK(sec && td_store_init(&store, "test", 0, 1 << 20) == 0);
        ready = true;
    }
    td_sec_conn c;
    memset(&c, 0, sizeof c);
    if (as_admin) {
        memcpy(c.user, "admin", 6);
        c.epoch = 1;
    }
    aw_buf out;
    aw_buf_init(&out);
    td_security_admin(sec, &c, &store, p, n, &out);
    size_t off = 0;
    while (off < out.len) {
        aw_proto_header h;
        CHECK(aw_proto_header_read(out.data + off, out.len - off, 0, &h, NULL) == AW_OK);
        CHECK(h.type == AW_PROTO_ADMIN && h.size <= out.len - off - 8);
        run_blocks(out.data + off + 8, (size_t)h.size);
        off += 8 + (size_t)h.size;
    }
    aw_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        run_login(data + 1, size - 1);
        break;
    case 1:
        run_blocks(data + 1, size - 1);
        break;
    default:
        run_testd(data + 1, size - 1, (data[0] / 3) & 1); /* half as the logged-in admin */
        break;
    }
    return 0;
}
