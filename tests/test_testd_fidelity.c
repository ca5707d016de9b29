/*
 * aw-testd against the real server: every captured request replayed in order
 * to a fresh aw-testd must get the reply the real Aerospike 8.1 server gave,
 * field by field (void times excepted: they depend on the clock).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/record.h"
#include "proto/frame.h"
#include "proto/info.h"
#include "proto/msg.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

static tu_testd server;

static int start_one(void **state) {
    (void)state;
    return tu_testd_start(&server, NULL);
}

static int stop_server(void **state) {
    (void)state;
    return tu_testd_stop_group(&server);
}

/* Compares two reply frames message by message. */
static void compare_frames(const char *label, const uint8_t *exp, size_t exp_len,
                           const uint8_t *got, size_t got_len) {
    aw_proto_header he, hg;
    assert_int_equal(aw_proto_header_read(exp, exp_len, 0, &he, NULL), AW_OK);
    assert_int_equal(aw_proto_header_read(got, got_len, 0, &hg, NULL), AW_OK);
    assert_int_equal(hg.type, he.type);
    const uint8_t *pe = exp + 8, *pg = got + 8;
    const uint8_t *ee = exp + exp_len, *eg = got + got_len;
    while (pe < ee) {
        assert_true(pg < eg);
        aw_msg_view me, mg;
        size_t ue, ug;
        assert_int_equal(aw_msg_parse(pe, (size_t)(ee - pe), &me, &ue, NULL), AW_OK);
        if (aw_msg_parse(pg, (size_t)(eg - pg), &mg, &ug, NULL) != AW_OK)
            fail_msg("%s: our reply does not parse", label);
        if (mg.h.result_code != me.h.result_code)
            fail_msg("%s: result %u, real server %u", label, mg.h.result_code, me.h.result_code);
        assert_int_equal(mg.h.info1, me.h.info1);
        assert_int_equal(mg.h.info2, me.h.info2);
        assert_int_equal(mg.h.info3, me.h.info3);
        assert_int_equal(mg.h.generation, me.h.generation);
        assert_int_equal(mg.h.transaction_ttl, me.h.transaction_ttl); /* batch index */
        /* Void times differ by clock; "never expires" (0) must agree. */
        assert_int_equal(mg.h.record_ttl == 0, me.h.record_ttl == 0);
        assert_int_equal(mg.h.n_fields, me.h.n_fields);
        if (mg.h.n_ops != me.h.n_ops)
            fail_msg("%s: %u ops, real server %u", label, mg.h.n_ops, me.h.n_ops);
        aw_msg_iter ie = aw_msg_ops(&me), ig = aw_msg_ops(&mg);
        aw_op_view oe, og;
        while (aw_msg_next_op(&ie, &oe)) {
            assert_true(aw_msg_next_op(&ig, &og));
            assert_int_equal(og.op, oe.op);
            assert_int_equal(og.particle, oe.particle);
            assert_int_equal(og.name_len, oe.name_len);
            assert_memory_equal(og.name, oe.name, oe.name_len);
            assert_int_equal(og.value_len, oe.value_len);
            if (oe.value_len)
                assert_memory_equal(og.value, oe.value, oe.value_len);
        }
        pe += ue;
        pg += ug;
    }
    assert_true(pg == eg);
}

static void test_replay_commands(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture("official-c-client-vs-asd.json"), "commands");
    int fd = tu_connect(server.ports[0]);
    assert_true(fd >= 0);
    size_t i;
    json_t *c;
    size_t replies = 0;
    json_array_foreach(cmds, i, c) {
        const char *label = json_string_value(json_object_get(c, "label"));
        size_t req_len;
        uint8_t *req = tu_hex_decode(json_string_value(json_object_get(c, "request_hex")), &req_len);
        assert_int_equal(tu_send(fd, req, req_len), 0);
        free(req);
        json_t *reps = json_object_get(c, "reply_hex");
        size_t j;
        json_t *r;
        json_array_foreach(reps, j, r) {
            size_t exp_len, got_len;
            uint8_t *exp = tu_hex_decode(json_string_value(r), &exp_len);
            uint8_t *got = tu_recv_frame(fd, &got_len, 0);
            if (!got)
                fail_msg("%s: no reply frame %zu", label, j);
            compare_frames(label, exp, exp_len, got, got_len);
            free(exp);
            free(got);
            replies++;
        }
    }
    close(fd);
    assert_true(replies > 120);
}

/* The TTL of a write comes back as a void time of now + TTL. */
static void test_ttl_void_time(void **state) {
    (void)state;
    json_t *c = tu_command("put_ttl_3600");
    size_t req_len, len;
    uint8_t *req = tu_hex_decode(json_string_value(json_object_get(c, "request_hex")), &req_len);
    int fd = tu_connect(server.ports[0]);
    assert_int_equal(tu_send(fd, req, req_len), 0);
    uint8_t *got = tu_recv_frame(fd, &len, 0);
    assert_non_null(got);
    aw_msg_view m;
    assert_int_equal(aw_msg_parse(got + 8, len - 8, &m, NULL, NULL), AW_OK);
    assert_int_equal(m.h.result_code, 0);
    uint32_t ttl = aw_void_time_to_ttl(m.h.record_ttl, (uint64_t)time(NULL));
    assert_in_range(ttl, 3598, 3600);
    free(req);
    free(got);
    close(fd);
}

static bool value_of(const char *body, const char *name, char *out, size_t cap) {
    const char *v;
    size_t vl;
    if (!aw_info_find(body, strlen(body), name, &v, &vl) || vl >= cap)
        return false;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return true;
}

/* Info values that do not depend on the machine must be the real server's.
 * Not `build` (this capture is 8.1.1.2; aw-testd reports 8.1.2.0, the
 * version it was checked against) nor `features` (aw-testd lists only what
 * it serves): test_testd_info_truth checks both. */
static void test_info_direct(void **state) {
    (void)state;
    static const char *const SAME[] = {
        "namespaces",      "replicas",        "replicas-all",    "replicas-master",
        "peers-clear-std", "peers-clear-alt", "peers-tls-std",   "peers-generation",
        "partition-generation", "racks:",     "no-such-command",
    };
    json_t *infos = json_object_get(tu_capture("official-c-client-vs-asd.json"), "info_direct");
    size_t i;
    json_t *x;
    size_t checked = 0;
    json_array_foreach(infos, i, x) {
        const char *req = json_string_value(json_object_get(x, "request"));
        const char *exp = json_string_value(json_object_get(x, "reply"));
        if (req[0] == '\0')
            continue; /* the default summary: checked for shape below */
        char *got = tu_info(server.ports[0], req);
        assert_non_null(got);
        for (size_t k = 0; k < sizeof SAME / sizeof *SAME; k++) {
            char ve[8192], vg[8192];
            if (!value_of(exp, SAME[k], ve, sizeof ve))
                continue;
            assert_true(value_of(got, SAME[k], vg, sizeof vg));
            if (strcmp(ve, vg) != 0)
                fail_msg("info %s: got '%.80s', real server '%.80s'", SAME[k], vg, ve);
            checked++;
        }
        free(got);
    }
    assert_true(checked >= 11);
    /* The empty request answers a default summary naming the node and build. */
    char *sum = tu_info(server.ports[0], "");
    char v[64];
    assert_true(value_of(sum, "build", v, sizeof v));
    assert_true(value_of(sum, "node", v, sizeof v));
    free(sum);
}

static void test_namespace_info(void **state) {
    (void)state;
    char *got = tu_info(server.ports[0], "namespace/test\nnamespace/nope\n");
    char v[8192]; /* namespace/<ns> carries the whole configuration */
    assert_true(value_of(got, "namespace/test", v, sizeof v));
    assert_non_null(strstr(v, "replication-factor=1"));
    assert_non_null(strstr(v, "objects="));
    assert_true(value_of(got, "namespace/nope", v, sizeof v));
    assert_string_equal(v, "type=unknown");
    free(got);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_commands),
        cmocka_unit_test(test_ttl_void_time),
        cmocka_unit_test(test_info_direct),
        cmocka_unit_test(test_namespace_info),
    };
    int failed = cmocka_run_group_tests_name("testd_fidelity", tests, start_one, stop_server);
    return failed || tu_testd_stop_failed;
}
