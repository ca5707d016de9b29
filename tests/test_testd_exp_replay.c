/*
 * aw-testd evaluates filter expressions and expression ops as the real
 * server does: every single-record and batch-read command of the official C
 * client's scan/query capture (tests/data/official-c-client-scan-query.json,
 * CE 8.1.2.0) — the 200 put_sq_* that load the data set, then the filters
 * (get/exists/put/delete/batch) and the expression read/write ops — is
 * replayed in capture order on a fresh aw-testd and every reply frame
 * compared with the real one. Scans, queries and UDF calls are not sent
 * (aw-testd refuses them; the records they would change come later in the
 * capture than the commands replayed here).
 *
 * Two values are clock readings and cannot be equal: the void time of the
 * reply header (tu_same_reply_but_void_time) and, in
 * operate_exp_read_metadata, the record's last-update time ('lut', UTC
 * nanoseconds) and the milliseconds since it ('since'). For those the rule
 * is: 'lut' is a whole number of milliseconds (as the server keeps it)
 * within the wall-clock interval in which put_sq_11 (the record's last
 * write) was sent and answered, and 'since' is at least the time from that
 * answer to the moment the operate was sent, at most the time from sending
 * put_sq_11 to receiving the operate's answer. Every other byte must be the
 * real server's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "proto/msg.h"
#include "proto/particle.h"
#include "support/capture_replay.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

#define CAPTURE "official-c-client-scan-query.json"

static tu_testd server;

static int start_server(void **state) {
    (void)state;
    const char *args[] = {"--namespaces", "test", NULL};
    return tu_testd_start(&server, args);
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&server);
}

static int64_t now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The commands replayed: single-record commands and batch reads (UDF
 * applies, scans and queries are not). */
static bool replayed(const char *api) {
    static const char *const apis[] = {"aerospike_key_put", "aerospike_key_get",
                                       "aerospike_key_exists", "aerospike_key_remove",
                                       "aerospike_key_operate", "aerospike_batch_read"};
    for (size_t i = 0; i < sizeof apis / sizeof *apis; i++)
        if (strcmp(api, apis[i]) == 0)
            return true;
    return false;
}

typedef struct times {
    int64_t put11_sent, put11_answered; /* put_sq_11 */
    int64_t op_sent, op_answered;       /* the command being checked */
} times;

/* The reply op named `name` of a single-message reply frame: its value
 * bytes (an integer: 8 bytes). */
static const uint8_t *reply_int_op(const uint8_t *frame, size_t len, const char *name,
                                   int64_t *value) {
    aw_msg_view m;
    size_t used;
    assert_int_equal(aw_msg_parse(frame + 8, len - 8, &m, &used, NULL), AW_OK);
    aw_op_view op;
    aw_msg_iter it = aw_msg_ops(&m);
    while (aw_msg_next_op(&it, &op))
        if (op.name_len == strlen(name) && memcmp(op.name, name, op.name_len) == 0) {
            assert_int_equal(op.particle, AW_PT_INTEGER);
            assert_int_equal(op.value_len, 8);
            *value = (int64_t)aw_load_u64be(op.value);
            return op.value;
        }
    fail_msg("no op %s in the reply", name);
    return NULL;
}

/* operate_exp_read_metadata: 'lut' and 'since' by the rule above, the
 * rest byte for byte. */
static bool same_metadata_reply(uint8_t *got, size_t got_len, uint8_t *want, size_t want_len,
                                const times *t) {
    if (got_len != want_len)
        return false;
    int64_t lut_ns, since_ms, want_lut, want_since;
    uint8_t *got_lut = (uint8_t *)reply_int_op(got, got_len, "lut", &lut_ns);
    uint8_t *got_since = (uint8_t *)reply_int_op(got, got_len, "since", &since_ms);
    uint8_t *want_lut_p = (uint8_t *)reply_int_op(want, want_len, "lut", &want_lut);
    uint8_t *want_since_p = (uint8_t *)reply_int_op(want, want_len, "since", &want_since);
    printf("  lut %lld ns (put_sq_11 sent %lld, answered %lld ms), since %lld ms\n",
           (long long)lut_ns, (long long)t->put11_sent, (long long)t->put11_answered,
           (long long)since_ms);
    assert_int_equal(lut_ns % 1000000, 0);
    assert_in_range(lut_ns / 1000000, t->put11_sent, t->put11_answered);
    assert_in_range(since_ms, t->op_sent - t->put11_answered, t->op_answered - t->put11_sent);
    /* With the clock readings set to the real ones, the frames must be equal. */
    memcpy(got_lut, want_lut_p, 8);
    memcpy(got_since, want_since_p, 8);
    return tu_same_reply_but_void_time(got, got_len, want, want_len);
}

static void test_capture_replays_as_real_server(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture(CAPTURE), "commands");
    int fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0);
    times t = {0};
    size_t sent = 0, wrong = 0, filters = 0, i;
    json_t *c;
    json_array_foreach(cmds, i, c) {
        const char *label = json_string_value(json_object_get(c, "label"));
        if (!replayed(json_string_value(json_object_get(c, "api"))))
            continue;
        size_t req_len;
        uint8_t *req = tu_hex_decode(json_string_value(json_object_get(c, "request_hex")), &req_len);
        t.op_sent = now_ms();
        assert_int_equal(tu_send(fd, req, req_len), 0);
        free(req);
        sent++;
        json_t *reps = json_object_get(c, "reply_hex");
        for (size_t f = 0; f < json_array_size(reps); f++) {
            size_t want_len, got_len;
            uint8_t *want = tu_hex_decode(json_string_value(json_array_get(reps, f)), &want_len);
            uint8_t *got = tu_recv_frame(fd, &got_len, 2000);
            if (!got)
                fail_msg("%s: no reply frame %zu", label, f);
            t.op_answered = now_ms();
            bool same = strcmp(label, "operate_exp_read_metadata") == 0
                            ? same_metadata_reply(got, got_len, want, want_len, &t)
                            : tu_same_reply_but_void_time(got, got_len, want, want_len);
            if (!same) {
                printf("  %s frame %zu: reply %s\n  real server %s\n", label, f,
                       tu_hex_encode(got + 8, got_len - 8), tu_hex_encode(want + 8, want_len - 8));
                wrong++;
            }
            free(want);
            free(got);
        }
        if (strcmp(label, "put_sq_11") == 0) {
            t.put11_sent = t.op_sent;
            t.put11_answered = t.op_answered;
        }
        filters += strstr(label, "filter") != NULL || strstr(label, "exp_") != NULL;
    }
    close(fd);
    printf("  %zu commands replayed (%zu with expressions), %zu wrong\n", sent, filters, wrong);
    assert_int_equal(wrong, 0);
    assert_int_equal(sent, 200 + 25);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_replays_as_real_server),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
