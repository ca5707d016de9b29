/*
 * Request compression (aw_policy.compress). Against aw-testd --compress,
 * which inflates type-4 requests and compresses the replies of messages
 * asking for it as an Enterprise server does and counts both
 * (testd-stats compressed-in / compressed-out): a put over 128 bytes goes
 * compressed, a smaller one plain; a get with compress asks for (and
 * decodes) a compressed reply, one without does not; a batch get goes and
 * comes back compressed; the values survive. Against a plain aw-testd
 * (Community behaviour, as CE 8.1.2.0 answers) a compressed put is refused
 * with AW_ERR_ENTERPRISE_ONLY while small reads still work.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/batch.h"
#include "aerowire/client.h"
#include "support/client_fixture.h"
#include "support/testd_proc.h"

#define BIG 2000
#define N_BATCH 20

static tu_testd server;
static aw_client *client;
static char big[BIG + 1];

static int start(const char *const *args) {
    memset(big, 0, sizeof big);
    for (int i = 0; i < BIG; i++)
        big[i] = (char)('a' + i % 26);
    if (tu_testd_start_nodes(&server, 1, args) != 0)
        return -1;
    aw_config cfg = tu_client_config(&server, 100);
    return tu_client_setup(&client, &cfg);
}

static int start_enterprise(void **state) {
    (void)state;
    const char *args[] = {"--compress", NULL};
    return start(args);
}

static int start_community(void **state) {
    (void)state;
    return start(NULL);
}

static int stop(void **state) {
    (void)state;
    aw_client_close(client);
    client = NULL;
    return tu_testd_stop_group(&server);
}

/* testd-stats compressed-in and compressed-out of node 0. */
static void counts(uint64_t *in, uint64_t *out) {
    char *r = tu_testd_send(&server, 0, "testd-stats:node=0");
    assert_non_null(r);
    const char *i = strstr(r, "compressed-in="), *o = strstr(r, "compressed-out=");
    assert_non_null(i);
    assert_non_null(o);
    *in = strtoull(i + strlen("compressed-in="), NULL, 10);
    *out = strtoull(o + strlen("compressed-out="), NULL, 10);
    free(r);
}

static aw_policy compressed(aw_policy p) {
    p.compress = true;
    return p;
}

static void put_big(const aw_key *k, const aw_policy *p, int want) {
    aw_bin b = {"big", aw_value_str(big)};
    aw_error err;
    int rc = aw_put(client, p, k, &b, 1, &err);
    if (rc != want)
        fail_msg("put: %d (%s), wanted %d", rc, err.message, want);
}

static void check_big(const aw_record *rec) {
    const aw_value *v = aw_record_get(rec, "big");
    assert_non_null(v);
    assert_int_equal(v->type, AW_STR);
    assert_int_equal(v->len, BIG);
    assert_memory_equal(v->u.str, big, BIG);
}

static void put_and_get_compressed(void **state) {
    (void)state;
    aw_key k = tu_key("test", "compress", "big");
    aw_policy wp = compressed(aw_policy_write()), rp = compressed(aw_policy_read());
    uint64_t in0, out0, in1, out1;
    counts(&in0, &out0);
    put_big(&k, &wp, AW_OK);
    counts(&in1, &out1);
    assert_int_equal(in1, in0 + 1); /* the put went as a type-4 frame */
    assert_int_equal(out1, out0);   /* a put asks for no compressed reply */

    aw_record rec;
    aw_error err;
    tu_check(aw_get(client, &rp, &k, NULL, 0, &rec, &err), &err, "compressed get");
    check_big(&rec);
    aw_record_free(&rec);
    counts(&in0, &out0);
    assert_int_equal(in0, in1);      /* a get of 40-odd bytes stays plain */
    assert_int_equal(out0, out1 + 1); /* its reply came compressed and decoded */

    tu_check(aw_get(client, NULL, &k, NULL, 0, &rec, &err), &err, "plain get");
    check_big(&rec);
    aw_record_free(&rec);
    counts(&in1, &out1);
    assert_int_equal(out1, out0);
}

static void small_requests_stay_plain(void **state) {
    (void)state;
    aw_key k = tu_key("test", "compress", "small");
    aw_policy wp = compressed(aw_policy_write());
    aw_bin b = {"i", aw_value_int(7)};
    aw_error err;
    uint64_t in0, out0, in1, out1;
    counts(&in0, &out0);
    tu_check(aw_put(client, &wp, &k, &b, 1, &err), &err, "small put");
    counts(&in1, &out1);
    assert_int_equal(in1, in0);
}

static void batch_get_compressed(void **state) {
    (void)state;
    aw_key keys[N_BATCH];
    for (int i = 0; i < N_BATCH; i++) {
        char name[32];
        snprintf(name, sizeof name, "batch-%d", i);
        keys[i] = tu_key("test", "compress", name);
        put_big(&keys[i], NULL, AW_OK);
    }
    aw_batch_policy bp = aw_batch_policy_default();
    bp.base.compress = true;
    aw_batch_result res[N_BATCH];
    aw_error err;
    uint64_t in0, out0, in1, out1;
    counts(&in0, &out0);
    tu_check(aw_batch_get(client, &bp, keys, N_BATCH, NULL, 0, false, res, &err), &err,
             "batch get");
    counts(&in1, &out1);
    for (int i = 0; i < N_BATCH; i++) {
        assert_int_equal(res[i].code, AW_OK);
        check_big(&res[i].rec);
    }
    aw_batch_results_free(res, N_BATCH);
    assert_int_equal(in1, in0 + 1);
    assert_true(out1 > out0);
}

static void community_refuses_compressed_requests(void **state) {
    (void)state;
    aw_key k = tu_key("test", "compress", "ce");
    aw_policy wp = compressed(aw_policy_write()), rp = compressed(aw_policy_read());
    put_big(&k, &wp, AW_ERR_ENTERPRISE_ONLY);
    put_big(&k, NULL, AW_OK);
    aw_record rec;
    aw_error err;
    tu_check(aw_get(client, &rp, &k, NULL, 0, &rec, &err), &err, "get asking compression");
    check_big(&rec);
    aw_record_free(&rec);
}

/* Three nodes: row 0 alone on node 0 (a small request, sent plain), rows
 * 1..12 on node 1 (over 128 bytes: compressed, so refused). The refusal is
 * one message with batch index 0, which names node 0's row: node 1's rows
 * all get its code at once, not a protocol error or a timeout. */
static void community_refuses_a_compressed_batch_request_whole(void **state) {
    (void)state;
    aw_key keys[13];
    keys[0] = tu_key_on("test", "compress", 0, 3, 0, "ce3");
    for (int i = 1; i < 13; i++)
        keys[i] = tu_key_on("test", "compress", 1, 3, i, "ce3");
    aw_batch_policy bp = aw_batch_policy_default();
    bp.base.compress = true;
    bp.base.total_timeout_ms = 5000;
    aw_batch_result res[13];
    aw_error err;
    uint64_t t0 = tu_now_ms();
    tu_check(aw_batch_get(client, &bp, keys, 13, NULL, 0, false, res, &err), &err, "batch get");
    uint64_t took = tu_now_ms() - t0;
    assert_int_equal(res[0].code, AW_ERR_RECORD_NOT_FOUND);
    for (int i = 1; i < 13; i++) {
        if (res[i].code != AW_ERR_ENTERPRISE_ONLY)
            fail_msg("row %d: code %d (%s), not ENTERPRISE_ONLY", i, res[i].code,
                     aw_strerror(res[i].code));
        assert_false(res[i].in_doubt);
    }
    aw_batch_results_free(res, 13);
    assert_true(took < 2000); /* no wait for the total timeout */
}

static int start_community3(void **state) {
    (void)state;
    memset(big, 0, sizeof big);
    if (tu_testd_start_nodes(&server, 3, NULL) != 0)
        return -1;
    aw_config cfg = tu_client_config(&server, 100);
    if (tu_client_setup(&client, &cfg) != 0)
        return -1;
    return tu_wait_nodes(client, 3, 3000) == 3 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest ee[] = {
        cmocka_unit_test(put_and_get_compressed),
        cmocka_unit_test(small_requests_stay_plain),
        cmocka_unit_test(batch_get_compressed),
    };
    const struct CMUnitTest ce[] = {
        cmocka_unit_test(community_refuses_compressed_requests),
    };
    int failed = cmocka_run_group_tests_name("compression (aw-testd --compress)", ee,
                                             start_enterprise, stop);
    failed += cmocka_run_group_tests_name("compression (aw-testd as CE)", ce, start_community, stop);
    const struct CMUnitTest ce3[] = {
        cmocka_unit_test(community_refuses_a_compressed_batch_request_whole),
    };
    failed += cmocka_run_group_tests_name("compression (3-node aw-testd as CE)", ce3,
                                          start_community3, stop);
    return failed || tu_testd_stop_failed;
}
