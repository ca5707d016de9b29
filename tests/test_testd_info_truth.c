/*
 * aw-testd's info side tells the truth: `features` lists only what it
 * serves (and each listed capability works), it reports the server version
 * its answers were checked against (8.1.2.0, strings from the captures), and
 * truncate, truncate-namespace and get-config answer as the real server does
 * (replies from the captures where they exist, else the server source:
 * as/src/base/thr_info.c, truncate.c, cfg_info.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aerowire/aerowire.h"
#include "proto/info.h"
#include "support/client_fixture.h"
#include "support/stream_compare.h"
#include "support/testd_proc.h"
#include "support/testutil.h"

#define SCANQ "official-c-client-scan-query.json" /* real CE 8.1.2.0 */
#define VS_ASD "official-c-client-vs-asd.json"    /* real CE 8.1.1.2, namespaces test,bar */

static tu_testd server;
static aw_client *client;

static int setup(void **state) {
    (void)state;
    if (tu_testd_start(&server, NULL) != 0)
        return -1;
    aw_config cfg = tu_client_config(&server, 0);
    return tu_client_setup(&client, &cfg);
}

static int teardown(void **state) {
    (void)state;
    aw_client_close(client);
    return tu_testd_stop_group(&server);
}

static uint16_t port(void) { return server.ports[0]; }

/* The value `name` has in an info reply body, malloc'd; NULL when absent. */
static char *value_in(const char *body, const char *name) {
    const char *v;
    size_t vl;
    if (!body || !aw_info_find(body, strlen(body), name, &v, &vl))
        return NULL;
    return strndup(v, vl);
}

/* aw-testd's answer to one info command (no trailing newline needed). */
static char *ask(const char *cmd) {
    char req[512];
    snprintf(req, sizeof req, "%s\n", cmd);
    char *body = tu_info(port(), req);
    assert_non_null(body);
    char *v = value_in(body, cmd);
    free(body);
    assert_non_null(v);
    return v;
}

static void expect_answer(const char *cmd, const char *want) {
    char *got = ask(cmd);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got '%s', want '%s'", cmd, got, want);
    free(got);
}

/* The first value of `name` the real server gave in a capture's info lists. */
static char *captured_value(const char *file, const char *list, const char *name) {
    json_t *arr = json_object_get(tu_capture(file), list);
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        char *v = value_in(json_string_value(json_object_get(x, "reply")), name);
        if (v)
            return v;
    }
    fail_msg("%s has no %s answer in %s", file, name, list);
    return NULL;
}

static aw_key key_int(const char *set, int64_t v) {
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_int(&k, "test", set, v, &err), AW_OK);
    return k;
}

static void put_int(const aw_key *k, const char *bin, int64_t v) {
    aw_error err;
    aw_bin b = {bin, aw_value_int(v)};
    tu_check(aw_put(client, NULL, k, &b, 1, &err), &err, "put");
}

static bool exists(const aw_key *k) {
    aw_error err;
    bool e = false;
    tu_check(aw_exists(client, NULL, k, &e, &err), &err, "exists");
    return e;
}

/* --- version ---------------------------------------------------------------- */

static void test_build_version_edition(void **state) {
    (void)state;
    char *build = captured_value(SCANQ, "info", "build");
    assert_string_equal(build, "8.1.2.0"); /* the capture is the version we check against */
    expect_answer("build", build);
    /* version's shape from the summary of the 8.1.1.2 capture (the 8.1.2.0
     * ones did not ask for it): "<edition> build <build>". */
    char *old_build = captured_value(VS_ASD, "info_direct", "build");
    char *old_version = captured_value(VS_ASD, "info_direct", "version");
    char *edition = captured_value(VS_ASD, "info_direct", "edition");
    char want[256];
    snprintf(want, sizeof want, "%s build %s", edition, old_build);
    assert_string_equal(old_version, want);
    snprintf(want, sizeof want, "%s build %s", edition, build);
    expect_answer("version", want);
    expect_answer("edition", edition);
    free(build);
    free(old_build);
    free(old_version);
    free(edition);
}

/* The value of key `k` in a `k1=v1;k2=v2` answer, malloc'd; NULL when absent. */
static char *pair_value(const char *list, const char *k) {
    size_t kl = strlen(k);
    for (const char *p = list; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL)
        if (strncmp(p, k, kl) == 0 && p[kl] == '=')
            return strndup(p + kl + 1, strcspn(p + kl + 1, ";"));
    return NULL;
}

/* `release` (asked by clients of 8.1.1+ servers instead of `edition`; the C
 * client 7.3 refuses to start its tests without it): a real CE 8.1.2.0
 * answers "edition=Aerospike Community Edition;version=8.1.2.0;os=debian12;
 * arch=x86_64;sha=6818...". aw-testd gives the edition and version it
 * reports elsewhere and the machine's arch, and leaves out os and sha. */
static void test_release(void **state) {
    (void)state;
    char *release = ask("release");
    char *edition = ask("edition"), *build = ask("build");
    char *e = pair_value(release, "edition"), *v = pair_value(release, "version");
    char *arch = pair_value(release, "arch");
    assert_non_null(e);
    assert_non_null(v);
    assert_non_null(arch);
    assert_string_equal(e, edition);
    assert_string_equal(v, build);
    assert_true(strlen(arch) > 0);
    assert_null(pair_value(release, "os"));
    assert_null(pair_value(release, "sha"));
    free(release);
    free(edition);
    free(build);
    free(e);
    free(v);
    free(arch);
}

/* --- features: each listed capability is served ------------------------------- */

static void serves_batch_index(void) {
    aw_key keys[2] = {key_int("feat", 1), key_int("feat", 2)};
    put_int(&keys[0], "x", 1);
    aw_batch_result res[2];
    aw_error err;
    tu_check(aw_batch_get(client, NULL, keys, 2, NULL, 0, false, res, &err), &err, "batch get");
    assert_int_equal(res[0].code, AW_OK);
    assert_int_equal(res[1].code, AW_ERR_RECORD_NOT_FOUND);
    aw_batch_results_free(res, 2);
}

static void serves_batch_any(void) {
    aw_key k1 = key_int("feat", 3), k2 = key_int("feat", 4);
    put_int(&k2, "x", 1);
    aw_bin b = {"x", aw_value_int(7)};
    aw_batch_op ops[2] = {{.kind = AW_BATCH_OP_WRITE, .key = &k1, .write_bins = &b, .n_bins = 1},
                          {.kind = AW_BATCH_OP_DELETE, .key = &k2}};
    aw_batch_result res[2];
    aw_error err;
    tu_check(aw_batch_operate(client, NULL, ops, 2, res, &err), &err, "batch operate");
    assert_int_equal(res[0].code, AW_OK);
    assert_int_equal(res[1].code, AW_OK);
    aw_batch_results_free(res, 2);
    assert_true(exists(&k1));
    assert_false(exists(&k2));
}

static int64_t operate_int(const aw_key *k, const aw_op *ops, size_t n, const char *bin) {
    aw_record rec = {0};
    aw_error err;
    tu_check(aw_operate(client, NULL, k, ops, n, &rec, &err), &err, "operate");
    const aw_value *v = aw_record_get(&rec, bin);
    assert_non_null(v);
    assert_int_equal(v->type, AW_INT);
    int64_t i = v->u.i;
    aw_record_free(&rec);
    return i;
}

/* Every bit op is served (test_testd_refusals replays the capture's); here a
 * blob is made, changed and read through the client's bit builders. */
static void serves_blob_bits(void) {
    aw_key k = key_int("feat", 9);
    aw_op ops[] = {aw_op_bit_resize("b", 0, 2, AW_BIT_RESIZE_DEFAULT),
                   aw_op_bit_set_int("b", 0, 4, 8, 0xab),
                   aw_op_bit_get_int("b", 0, 16, false)};
    assert_int_equal(operate_int(&k, ops, 3, "b"), 0x0ab0);
}

static void serves_cdt_list(void) {
    aw_key k = key_int("feat", 5);
    aw_op ops[] = {aw_op_list_append("l", aw_value_int(10)), aw_op_list_append("l", aw_value_int(20)),
                   aw_op_list_size("l")};
    assert_int_equal(operate_int(&k, ops, 3, "l"), 2);
}

static void serves_cdt_map(void) {
    aw_key k = key_int("feat", 6);
    aw_op ops[] = {aw_op_map_put("m", aw_value_str("a"), aw_value_int(1)),
                   aw_op_map_increment("m", aw_value_str("a"), aw_value_int(4)),
                   aw_op_map_get_by_key("m", aw_value_str("a"), AW_RETURN_VALUE)};
    assert_int_equal(operate_int(&k, ops, 3, "m"), 5);
}

static void serves_float(void) {
    aw_key k = key_int("feat", 7);
    aw_op ops[] = {aw_op_write("f", aw_value_float(1.25)), aw_op_incr("f", aw_value_float(0.5)),
                   aw_op_read("f")};
    aw_record rec = {0};
    aw_error err;
    tu_check(aw_operate(client, NULL, &k, ops, 3, &rec, &err), &err, "float operate");
    const aw_value *v = aw_record_get(&rec, "f");
    assert_non_null(v);
    assert_int_equal(v->type, AW_FLOAT);
    assert_true(v->u.f == 1.75);
    aw_record_free(&rec);
}

/* An info command the client tends with must answer a value, not an error. */
static void serves_info(const char *cmd, const char *prefix) {
    char *v = ask(cmd);
    if (strncmp(v, prefix, strlen(prefix)) != 0)
        fail_msg("%s: got '%.60s', want it to start with '%s'", cmd, v, prefix);
    free(v);
}

static void serves_peers(void) { serves_info("peers-clear-std", "0,3000,["); }
static void serves_replicas(void) { serves_info("replicas", "test:0,1,"); }
static void serves_replicas_all(void) { serves_info("replicas-all", "test:1,"); }
static void serves_replicas_master(void) { serves_info("replicas-master", "test:"); }

/* Two requests written at once on one connection are both answered, in order. */
static void serves_pipelining(void) {
    static const char a[] = "node\n", b[] = "build\n";
    uint8_t req[2 * 8 + sizeof a + sizeof b];
    size_t at = 0;
    const char *bodies[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(bodies[i]);
        uint64_t h = (2ull << 56) | (1ull << 48) | n;
        for (int j = 0; j < 8; j++)
            req[at++] = (uint8_t)(h >> (56 - 8 * j));
        memcpy(req + at, bodies[i], n);
        at += n;
    }
    int fd = tu_connect(port());
    assert_true(fd >= 0);
    assert_int_equal(tu_send(fd, req, at), 0);
    for (int i = 0; i < 2; i++) {
        size_t len;
        uint8_t *f = tu_recv_frame(fd, &len, 0);
        assert_non_null(f);
        assert_true(len > 8 + strlen(bodies[i]));
        assert_memory_equal(f + 8, bodies[i], strlen(bodies[i]) - 1); /* "name\t..." */
        free(f);
    }
    close(fd);
}

/* Puts one record of the scan capture, runs the info commands, then sends
 * a captured scan or query: the stream is the real server's, with that one
 * record. */
static void capture_stream_matches(const char *put_label, const char *const *infos,
                                   const char *label) {
    const char *labels[] = {put_label, label};
    int fd = tu_connect(port());
    assert_true(fd >= 0);
    for (size_t i = 0; i < 2; i++) {
        json_t *c = tu_capture_command("official-c-client-scan-query.json", labels[i]);
        size_t len;
        uint8_t *req = tu_hex_decode(json_string_value(json_object_get(c, "request_hex")), &len);
        assert_int_equal(tu_send(fd, req, len), 0);
        free(req);
        if (i == 0) { /* the put: one reply, result 0 */
            uint8_t *f = tu_recv_frame(fd, &len, 0);
            assert_non_null(f);
            assert_int_equal(f[8 + 5], 0);
            free(f);
            for (; *infos; infos++)
                expect_answer(*infos, "ok");
            continue;
        }
        tu_stream got, want;
        assert_true(tu_stream_recv(fd, &got, 5000));
        assert_true(tu_stream_from_capture(json_object_get(c, "reply_hex"), &want));
        assert_true(tu_stream_same(labels[i], &got, &want, false, NULL));
        assert_int_equal(tu_stream_records(&got), 1);
        tu_stream_free(&want);
        tu_stream_free(&got);
    }
    close(fd);
}

/* pscans: a partition scan (PID_ARRAY, PARTITION_DONE accepted) answers the
 * real server's stream: put key 7 of the scan capture, scan its partition. */
static void serves_pscans(void) {
    static const char *const none[] = {NULL};
    capture_stream_matches("put_sq_7", none, "scan_partition_id_of_key7");
}

/* pquery: a partition query on a secondary index answers the real server's
 * stream: key 42 and query_i_eq_42 on an index like the capture's. */
static void serves_pquery(void) {
    static const char *const infos[] = {
        "sindex-create:namespace=test;set=sq;indexname=feat_sq_i;bin=i;type=NUMERIC", NULL};
    capture_stream_matches("put_sq_42", infos, "query_i_eq_42");
    expect_answer("sindex-delete:namespace=test;indexname=feat_sq_i", "ok");
}

/* cdt-index: an index through a CDT context (map key "b") answers the real
 * server's query_ctx_m_b_eq_20 for key 10. */
static void serves_cdt_index(void) {
    static const char *const infos[] = {
        "sindex-create:namespace=test;set=sq;indexname=feat_sq_mb;context=kiKiA2I=;bin=m;"
        "type=NUMERIC",
        NULL};
    capture_stream_matches("put_sq_10", infos, "query_ctx_m_b_eq_20");
    expect_answer("sindex-delete:namespace=test;indexname=feat_sq_mb", "ok");
}

/* sindex-exists: false, then true once the index is made, false again
 * after it is dropped (sindex_manager.c). */
static void serves_sindex_exists(void) {
    expect_answer("sindex-exists:namespace=test;indexname=feat_i", "false");
    expect_answer("sindex-create:namespace=test;set=feat;indexname=feat_i;bin=i;type=NUMERIC", "ok");
    expect_answer("sindex-exists:namespace=test;indexname=feat_i", "true");
    expect_answer("sindex-delete:namespace=test;indexname=feat_i", "ok");
    expect_answer("sindex-exists:namespace=test;indexname=feat_i", "false");
    expect_answer("sindex-exists:namespace=nope;indexname=feat_i",
                  "ERROR:20:namespace not found on node");
}

/* query-show: the capture's background ops job (i < 100 gets bg = 1 and
 * i + 1000) run after key 5 was put is listed done with the records it
 * wrote, and an unknown id is 2. */
static void serves_query_show(void) {
    static const char *const labels[] = {"put_sq_5", "query_background_ops_i_lt_100"};
    int fd = tu_connect(port());
    assert_true(fd >= 0);
    for (size_t i = 0; i < 2; i++) {
        json_t *c = tu_capture_command("official-c-client-scan-query.json", labels[i]);
        size_t len;
        uint8_t *req = tu_hex_decode(json_string_value(json_object_get(c, "request_hex")), &len);
        assert_int_equal(tu_send(fd, req, len), 0);
        free(req);
        uint8_t *f = tu_recv_frame(fd, &len, 0);
        assert_non_null(f);
        assert_int_equal(f[8 + 5], 0);
        free(f);
    }
    close(fd);
    char *v = ask("query-show:id=3333");
    assert_non_null(strstr(v, "trid=3333:ns=test:set=sq:"));
    /* Key 5 and any other record of set sq the other exercises wrote. */
    assert_non_null(strstr(v, ":recs-failed=0:"));
    assert_null(strstr(v, ":recs-succeeded=0:"));
    assert_non_null(strstr(v, ":job-type=background-ops:"));
    free(v);
    expect_answer("query-show:id=987654321", "ERROR:2:job not found");
}

static void serves_truncate_namespace(void) {
    aw_key k = key_int("feat", 8);
    put_int(&k, "x", 1);
    expect_answer("truncate-namespace:namespace=test", "ok");
    assert_false(exists(&k));
}

static const struct {
    const char *token;
    void (*exercise)(void);
} SERVED[] = {
    {"batch-any", serves_batch_any},
    {"batch-index", serves_batch_index},
    {"blob-bits", serves_blob_bits},
    {"cdt-index", serves_cdt_index},
    {"cdt-list", serves_cdt_list},
    {"cdt-map", serves_cdt_map},
    {"float", serves_float},
    {"sindex-exists", serves_sindex_exists},
    {"peers", serves_peers},
    {"pipelining", serves_pipelining},
    {"pquery", serves_pquery},
    {"pscans", serves_pscans},
    {"query-show", serves_query_show},
    {"replicas", serves_replicas},
    {"replicas-all", serves_replicas_all},
    {"replicas-master", serves_replicas_master},
    {"truncate-namespace", serves_truncate_namespace},
};

static void test_features_are_served(void **state) {
    (void)state;
    char *features = ask("features");
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(features, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
        size_t i = 0;
        while (i < sizeof SERVED / sizeof *SERVED && strcmp(SERVED[i].token, t) != 0)
            i++;
        if (i == sizeof SERVED / sizeof *SERVED)
            fail_msg("features lists '%s', which nothing here shows aw-testd serves", t);
        SERVED[i].exercise();
        n++;
    }
    assert_int_equal(n, sizeof SERVED / sizeof *SERVED);
    free(features);
}

/* The real server's tokens that name info commands aw-testd does not have
 * must not be listed, and those commands answer the unknown-name error. */
static void test_unserved_features_not_listed(void **state) {
    (void)state;
    static const struct {
        const char *token, *command;
    } UNSERVED[] = {
        {"udf", "udf-list"},
        {"cluster-stable", "cluster-stable"},
    };
    char *real = captured_value(VS_ASD, "info_direct", "features");
    char *ours = ask("features");
    char listed[512];
    snprintf(listed, sizeof listed, ";%s;", ours);
    for (size_t i = 0; i < sizeof UNSERVED / sizeof *UNSERVED; i++) {
        char tok[64];
        snprintf(tok, sizeof tok, ";%s;", UNSERVED[i].token);
        char real_listed[1024];
        snprintf(real_listed, sizeof real_listed, ";%s;", real);
        assert_non_null(strstr(real_listed, tok)); /* a real token */
        if (strstr(listed, tok))
            fail_msg("features lists %s", UNSERVED[i].token);
        expect_answer(UNSERVED[i].command, "ERROR:4:not served by aw-testd");
    }
    free(real);
    free(ours);
}

/* Info names: the real server's enterprise-only commands answer 25 as a
 * community server does; its other commands that aw-testd lacks say so (4)
 * instead of being called unrecognized; only names no server knows are. */
static void test_info_names_refused_truthfully(void **state) {
    (void)state;
    expect_answer("roster:namespace=test", "ERROR:25:enterprise only");
    expect_answer("xdr-get-filter:dc=x", "ERROR:25:enterprise only");
    expect_answer("peers-tls-std", "ERROR:25:enterprise only");
    expect_answer("sindex", "ERROR:4:not served by aw-testd");
    expect_answer("udf-put:filename=a.lua", "ERROR:4:not served by aw-testd");
    expect_answer("help", "ERROR:4:not served by aw-testd");
    expect_answer("no-such-command", "ERROR:4:unrecognized command");
    expect_answer("sindex-listing", "ERROR:4:unrecognized command");
}

/* --- truncate --------------------------------------------------------------- */

static void test_truncate_set(void **state) {
    (void)state;
    aw_key a = key_int("ta", 1), b = key_int("tb", 1);
    put_int(&a, "x", 1);
    put_int(&b, "x", 1);
    expect_answer("truncate:namespace=test;set=ta", "ok");
    assert_false(exists(&a));
    assert_true(exists(&b)); /* another set is untouched */
    put_int(&a, "x", 2);     /* written after the truncate: survives it */
    assert_true(exists(&a));
    /* A set, or a namespace, the server does not have: ok, nothing happens
     * (truncate.c accepts the command and skips it when applying). */
    expect_answer("truncate:namespace=test;set=nosuchset", "ok");
    expect_answer("truncate:namespace=nosuchns;set=ta", "ok");
    expect_answer("truncate-namespace:namespace=nosuchns", "ok");
    assert_true(exists(&a));
    assert_true(exists(&b));
}

/* UTC nanoseconds of the server's clock plus `delta_s` seconds. */
static char *lut_at(int64_t delta_s) {
    static char buf[32];
    uint32_t now = tu_testd_clock(port(), "");
    assert_true(now > 0);
    uint64_t s = (uint64_t)((int64_t)now + AW_CITRUSLEAF_EPOCH + delta_s);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)s * 1000000000ull);
    return buf;
}

static void test_truncate_lut(void **state) {
    (void)state;
    aw_key before = key_int("tl", 1), after = key_int("tl", 2), other = key_int("tm", 1);
    put_int(&before, "x", 1);
    put_int(&other, "x", 1);
    tu_testd_clock(port(), "advance=20");
    put_int(&after, "x", 1);
    /* lut 10 s ago: between the two writes. */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "truncate:namespace=test;set=tl;lut=%s", lut_at(-10));
    expect_answer(cmd, "ok");
    assert_false(exists(&before));
    assert_true(exists(&after));
    assert_true(exists(&other));
    /* The same for the namespace, and the lut in hex as C reads constants. */
    tu_testd_clock(port(), "advance=20");
    aw_key later = key_int("tm", 2);
    put_int(&later, "x", 1);
    unsigned long long ns = strtoull(lut_at(-10), NULL, 10);
    snprintf(cmd, sizeof cmd, "truncate-namespace:namespace=test;lut=0x%llx", ns);
    expect_answer(cmd, "ok");
    assert_false(exists(&after));
    assert_false(exists(&other));
    assert_true(exists(&later));
    /* namespace/<ns> reports the namespace's threshold (ms since 2010). */
    char *info = ask("namespace/test");
    char want[64];
    snprintf(want, sizeof want, ";truncate_lut=%llu;",
             (ns - (unsigned long long)AW_CITRUSLEAF_EPOCH * 1000000000ull) / 1000000ull);
    assert_non_null(strstr(info, want));
    free(info);
}

/* The errors, with the real server's text (thr_info.c cmd_truncate*,
 * as_info_required_param_is_ok, truncate.c as_truncate_cmd). */
static void test_truncate_errors(void **state) {
    (void)state;
    aw_key k = key_int("te", 1);
    put_int(&k, "x", 1);
    expect_answer("truncate:set=te", "ERROR:20:missing 'namespace'");
    expect_answer("truncate:namespace=;set=te", "ERROR:20:missing 'namespace' value");
    expect_answer("truncate:namespace=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;set=te",
                  "ERROR:20:'namespace' value too long");
    expect_answer("truncate:namespace=test", "ERROR:4:missing 'set'");
    expect_answer("truncate:namespace=test;set=", "ERROR:4:missing 'set' value");
    expect_answer("truncate-namespace:namespace=test;set=te", "ERROR:4:unexpected set name");
    expect_answer("truncate:namespace=test;set=te;lut=", "ERROR:4:missing 'lut' value");
    expect_answer("truncate:namespace=test;set=te;lut=1000000000000000000",
                  "ERROR:4:would truncate to 0"); /* 2001: before the 2010 epoch */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "truncate:namespace=test;set=te;lut=%s", lut_at(3600));
    expect_answer(cmd, "ERROR:4:would truncate in the future");
    expect_answer("truncate:namespace=test;set=te;lut=123456789012345678901234",
                  "ERROR:4:'lut' value too long");
    assert_true(exists(&k)); /* no error truncated anything */
}

/* The captured 8.1.2.0 session: 200 puts to test/sq, then the C client's
 * aerospike_truncate; its reply must be byte for byte the real one, and
 * the set empty after it (the capture's next scan found no record). */
static void test_truncate_capture_replay(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture(SCANQ), "commands");
    int fd = tu_connect(port());
    assert_true(fd >= 0);
    size_t i, puts = 0;
    json_t *c;
    json_array_foreach(cmds, i, c) {
        const char *label = json_string_value(json_object_get(c, "label"));
        if (strncmp(label, "put_sq_", 7) != 0)
            continue;
        size_t n, en, gn;
        uint8_t *req = tu_hex_decode(json_string_value(json_object_get(c, "request_hex")), &n);
        uint8_t *exp = tu_hex_decode(
            json_string_value(json_array_get(json_object_get(c, "reply_hex"), 0)), &en);
        assert_int_equal(tu_send(fd, req, n), 0);
        uint8_t *got = tu_recv_frame(fd, &gn, 0);
        assert_non_null(got);
        assert_true(gn > 8 + 5 && en > 8 + 5);
        assert_int_equal(got[8 + 5], exp[8 + 5]); /* result code */
        free(req);
        free(exp);
        free(got);
        puts++;
    }
    assert_int_equal(puts, 200);
    aw_key probe = key_int("sq", 7);
    assert_true(exists(&probe));

    json_t *infos = json_object_get(tu_capture(SCANQ), "info_direct");
    json_t *tr = NULL;
    json_array_foreach(infos, i, c) {
        if (strcmp(json_string_value(json_object_get(c, "label")), "truncate_set_sq") == 0)
            tr = c;
    }
    assert_non_null(tr);
    size_t n, en, gn;
    uint8_t *req = tu_hex_decode(json_string_value(json_object_get(tr, "request_hex")), &n);
    uint8_t *exp = tu_hex_decode(json_string_value(json_object_get(tr, "reply_hex")), &en);
    assert_int_equal(tu_send(fd, req, n), 0);
    uint8_t *got = tu_recv_frame(fd, &gn, 0);
    assert_non_null(got);
    assert_int_equal(gn, en);
    assert_memory_equal(got, exp, en);
    free(req);
    free(exp);
    free(got);
    close(fd);
    for (int64_t k = 0; k < 200; k++) {
        aw_key key = key_int("sq", k);
        if (exists(&key))
            fail_msg("test/sq/%lld survived the truncate", (long long)k);
    }
}

/* --- get-config ------------------------------------------------------------- */

/* The configuration part of the captured namespace/test answer: the keys
 * from active-rack on (cfg_info.c cfg_get_namespace prints them for both
 * namespace/<ns> and get-config). The captured server ran as aw-testd does
 * by default: in memory, replication factor 1, default-ttl 0, 1 MiB records. */
static char *captured_ns_config(void) {
    char *ns = captured_value(VS_ASD, "info_direct", "namespace/test");
    char *at = strstr(ns, ";active-rack=");
    assert_non_null(at);
    char *cfg = strdup(at + 1);
    free(ns);
    return cfg;
}

static void test_get_config_namespace(void **state) {
    (void)state;
    char *want = captured_ns_config();
    expect_answer("get-config:context=namespace;id=test", want);
    expect_answer("get-config:context=namespace;namespace=test", want);
    /* namespace/<ns> ends with the same configuration. */
    char *ns = ask("namespace/test");
    size_t nl = strlen(ns), wl = strlen(want);
    assert_true(nl > wl + 1);
    assert_string_equal(ns + nl - wl, want);
    assert_int_equal(ns[nl - wl - 1], ';');
    free(ns);
    free(want);

    expect_answer("get-config:context=namespace;id=nosuchns", "ERROR:20:namespace not found on node");
    expect_answer("get-config:context=namespace", "ERROR:20:missing 'namespace'");
    expect_answer("get-config:context=nosuchcontext", "ERROR:4:invalid context");
    expect_answer("get-config:id=test", "ERROR:4:missing 'context'");
}

/* The keys a client reads follow aw-testd's own options. */
static void test_get_config_follows_options(void **state) {
    (void)state;
    tu_testd other;
    const char *args[] = {"--default-ttl", "3600", "--max-record-size", "4096", NULL};
    assert_int_equal(tu_testd_start_nodes(&other, 2, args), 0);
    char *body = tu_info(other.ports[0], "get-config:context=namespace;id=bar\n");
    /* Stopped before anything is asserted, so a failure leaves no server. */
    assert_int_equal(tu_testd_stop(&other), 0);
    char *cfg = value_in(body, "get-config:context=namespace;id=bar");
    assert_non_null(cfg);
    static const char *const WANT[] = {";default-ttl=3600;", ";max-record-size=4096;",
                                       ";nsup-period=60;", ";replication-factor=2;",
                                       ";storage-engine=memory;", ";strong-consistency=false;"};
    char wrapped[8192];
    snprintf(wrapped, sizeof wrapped, ";%s;", cfg);
    for (size_t i = 0; i < sizeof WANT / sizeof *WANT; i++)
        if (!strstr(wrapped, WANT[i]))
            fail_msg("get-config lacks %s", WANT[i]);
    free(cfg);
    free(body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_version_edition),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_features_are_served),
        cmocka_unit_test(test_unserved_features_not_listed),
        cmocka_unit_test(test_info_names_refused_truthfully),
        cmocka_unit_test(test_truncate_set),
        cmocka_unit_test(test_truncate_errors),
        cmocka_unit_test(test_truncate_capture_replay),
        cmocka_unit_test(test_truncate_lut),
        cmocka_unit_test(test_get_config_namespace),
        cmocka_unit_test(test_get_config_follows_options),
    };
    int failed = cmocka_run_group_tests_name("testd_info_truth", tests, setup, teardown);
    return failed || tu_testd_stop_failed;
}
