/* Replaying captured commands to aw-testd (see capture_replay.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_replay.h"
#include "aerowire/error.h"
#include "proto/buf.h"
#include "testd_proc.h"
#include "testutil.h"

bool tu_same_reply_but_void_time(const uint8_t *got, size_t got_len, const uint8_t *want,
                                 size_t want_len) {
    enum { VOID_TIME = 8 + 10, AFTER = VOID_TIME + 4 }; /* proto header, then the message's */
    return got_len == want_len && want_len >= AFTER && memcmp(got, want, VOID_TIME) == 0 &&
           (aw_load_u32be(got + VOID_TIME) == 0) == (aw_load_u32be(want + VOID_TIME) == 0) &&
           memcmp(got + AFTER, want + AFTER, want_len - AFTER) == 0;
}

static bool listed(const char *const *labels, const char *label) {
    for (size_t i = 0; labels && labels[i]; i++)
        if (strcmp(labels[i], label) == 0)
            return true;
    return false;
}

/* The record key a captured command names ("" for none). */
static const char *command_key(json_t *c) {
    const char *k = json_string_value(json_object_get(json_object_get(c, "inputs"), "key"));
    return k ? k : "";
}

tu_replay_counts tu_replay_capture(uint16_t port, const char *capture, const char *first,
                                   const char *last, const char *const *refused) {
    json_t *cmds = json_object_get(tu_capture(capture), "commands");
    int fd = tu_connect(port);
    assert_true(fd >= 0);
    tu_replay_counts n = {0};
    bool on = false;
    const char *tainted[64];
    size_t n_tainted = 0, i;
    json_t *c;
    json_array_foreach(cmds, i, c) {
        const char *label = json_string_value(json_object_get(c, "label"));
        if (strcmp(label, first) == 0)
            on = true;
        if (!on)
            continue;
        size_t req_len, want_len, got_len;
        uint8_t *req = tu_hex_decode(json_string_value(json_object_get(c, "request_hex")), &req_len);
        assert_int_equal(tu_send(fd, req, req_len), 0);
        uint8_t req_head[8 + 3] = {0};
        memcpy(req_head, req, req_len < sizeof req_head ? req_len : sizeof req_head);
        free(req);
        json_t *reps = json_object_get(c, "reply_hex");
        assert_int_equal(json_array_size(reps), 1);
        uint8_t *want = tu_hex_decode(json_string_value(json_array_get(reps, 0)), &want_len);
        uint8_t *got = tu_recv_frame(fd, &got_len, 2000);
        if (!got)
            fail_msg("%s: no reply", label);
        const char *key = command_key(c);
        bool after_refusal = false;
        for (size_t t = 0; t < n_tainted; t++)
            after_refusal |= strcmp(tainted[t], key) == 0;
        bool refused_16 = got_len >= 8 + 6 && got[8 + 5] == AW_ERR_UNSUPPORTED_FEATURE;
        bool should_refuse = listed(refused, label);
        if (after_refusal) {
            n.skipped++;
        } else if (!should_refuse && tu_same_reply_but_void_time(got, got_len, want, want_len)) {
            n.matched++;
        } else if (should_refuse && refused_16) {
            n.refused++;
            /* A refused write leaves the record unlike the real server's; a
             * refused read (info2 without WRITE) changes nothing. */
            bool write = req_len > 8 + 2 && (req_head[8 + 2] & 0x01);
            assert_true(n_tainted < sizeof tainted / sizeof *tainted);
            if (write)
                tainted[n_tainted++] = key;
        } else {
            printf("  %s: reply %s\n  %*s real server %s\n", label,
                   tu_hex_encode(got + 8, got_len - 8), (int)strlen(label), "",
                   tu_hex_encode(want + 8, want_len - 8));
            n.wrong++;
        }
        free(want);
        free(got);
        if (strcmp(label, last) == 0)
            break;
    }
    close(fd);
    return n;
}
