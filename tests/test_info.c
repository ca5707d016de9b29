/*
 * The info protocol: requests byte-for-byte against the official client's,
 * every captured reply parsed, the real 3-node partition map checked for one
 * master and one replica per partition, and hostile values refused cleanly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/buf.h"
#include "proto/info.h"
#include "support/testutil.h"

#define B64_LEN 684

/* ---- helpers ---------------------------------------------------------- */

static const char *jstr(json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    assert_non_null(s);
    return s;
}

/* Splits a captured request text ("a\nb\n") into names; returns the count. */
static size_t split_names(const char *req, char names[][512], size_t max) {
    size_t n = 0;
    while (*req) {
        const char *nl = strchr(req, '\n');
        assert_non_null(nl); /* every captured request ends each name with '\n' */
        size_t l = (size_t)(nl - req);
        assert_true(n < max && l < 512);
        memcpy(names[n], req, l);
        names[n][l] = '\0';
        n++;
        req = nl + 1;
    }
    return n;
}

/* Copies s[0..len) to an exact-size heap block so ASan sees any over-read. */
static char *exact_copy(const char *s, size_t len) {
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, s, len);
    return p;
}

static void value_of(const char *reply, const char *name, const char **v, size_t *vl) {
    assert_true(aw_info_find(reply, strlen(reply), name, v, vl));
}

/* Standard base64 from OpenSSL: an encoder independent of the decoder under test. */
static void encode_bytes(const uint8_t *bytes, size_t n, char *out) {
    EVP_EncodeBlock((unsigned char *)out, bytes, (int)n);
}

/* A bitmap where partition p is set iff (p % mod) == rem. */
static void pattern_bitmap(uint8_t bm[AW_PARTITION_BITMAP_SIZE], unsigned mod, unsigned rem) {
    memset(bm, 0, AW_PARTITION_BITMAP_SIZE);
    for (unsigned p = 0; p < AW_PARTITIONS; p++)
        if (p % mod == rem)
            bm[p >> 3] |= (uint8_t)(0x80u >> (p & 7));
}

static int parse_replicas_str(const char *v, aw_replicas_ns *out, size_t max, size_t *n,
                              aw_error *err) {
    char *copy = exact_copy(v, strlen(v));
    aw_error_reset(err);
    int rc = aw_info_parse_replicas(copy, strlen(v), out, max, n, err);
    free(copy);
    return rc;
}

static int parse_peers_str(const char *v, aw_peer *arr, size_t cap, aw_peers *p, aw_error *err) {
    char *copy = exact_copy(v, strlen(v));
    memset(p, 0, sizeof *p);
    p->peers = arr;
    p->cap = cap;
    aw_error_reset(err);
    int rc = aw_info_parse_peers(copy, strlen(v), p, err);
    free(copy);
    return rc;
}

static int parse_hosts_str(const char *v, aw_host *out, size_t cap, size_t *n, aw_error *err) {
    char *copy = exact_copy(v, strlen(v));
    aw_error_reset(err);
    int rc = aw_info_parse_hosts(copy, strlen(v), 3000, out, cap, n, err);
    free(copy);
    return rc;
}

/* ---- requests --------------------------------------------------------- */

static void test_request_build_matches_capture(void **state) {
    (void)state;
    aw_buf b;
    aw_buf_init(&b);
    const char *names[] = {"build"};
    aw_error err;
    assert_int_equal(aw_info_request(&b, names, 1, &err), AW_OK);
    char *hex = tu_hex_encode(b.data, b.len);
    assert_string_equal(hex, "02010000000000066275696c640a");
    free(hex);
    aw_buf_free(&b);
}

/* Every info_direct request, the empty one included, reproduced byte-for-byte. */
static void test_request_every_captured(void **state) {
    (void)state;
    json_t *direct = json_object_get(tu_capture("official-c-client-vs-asd.json"), "info_direct");
    assert_true(json_array_size(direct) > 0);
    bool saw_empty = false;
    size_t i;
    json_t *e;
    json_array_foreach(direct, i, e) {
        static char names[16][512];
        size_t n = split_names(jstr(e, "request"), names, 16);
        const char *ptrs[16];
        for (size_t k = 0; k < n; k++)
            ptrs[k] = names[k];
        saw_empty |= n == 0;
        aw_buf b;
        aw_buf_init(&b);
        aw_error err;
        assert_int_equal(aw_info_request(&b, ptrs, n, &err), AW_OK);
        char *hex = tu_hex_encode(b.data, b.len);
        assert_string_equal(hex, jstr(e, "request_hex"));
        free(hex);
        aw_buf_free(&b);
    }
    assert_true(saw_empty);
}

static void test_request_appends_after_existing_bytes(void **state) {
    (void)state;
    aw_buf b;
    aw_buf_init(&b);
    aw_buf_put(&b, "xy", 2);
    const char *a[] = {"node", "partition-generation"};
    const char *c[] = {"peers-clear-std"};
    assert_int_equal(aw_info_request(&b, a, 2, NULL), AW_OK);
    assert_int_equal(aw_info_request(&b, c, 1, NULL), AW_OK);
    const char *body1 = "node\npartition-generation\n";
    const char *body2 = "peers-clear-std\n";
    assert_int_equal(b.len, 2 + 8 + strlen(body1) + 8 + strlen(body2));
    assert_memory_equal(b.data, "xy", 2);
    assert_int_equal(aw_load_u64be(b.data + 2), 0x0201000000000000ull | strlen(body1));
    assert_memory_equal(b.data + 10, body1, strlen(body1));
    size_t at = 10 + strlen(body1);
    assert_int_equal(aw_load_u64be(b.data + at), 0x0201000000000000ull | strlen(body2));
    assert_memory_equal(b.data + at + 8, body2, strlen(body2));
    aw_buf_free(&b);
}

static void test_request_rejects_bad_names(void **state) {
    (void)state;
    const char *bad[][2] = {{"node", "a\nb"}, {"a\tb", "node"}, {"node", ""}, {"node", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        aw_buf b;
        aw_buf_init(&b);
        aw_buf_put(&b, "keep", 4);
        aw_error err;
        assert_int_equal(aw_info_request(&b, bad[i], 2, &err), AW_ERR_PARAM);
        assert_int_equal(err.code, AW_ERR_PARAM);
        assert_true(err.message[0] != '\0');
        assert_int_equal(b.len, 4); /* nothing half-written */
        aw_buf_free(&b);
    }
    aw_error err;
    assert_int_equal(aw_info_request(NULL, NULL, 0, &err), AW_ERR_PARAM);
    aw_buf b;
    aw_buf_init(&b);
    assert_int_equal(aw_info_request(&b, NULL, 1, &err), AW_ERR_PARAM);
    aw_buf_free(&b);
}

static void test_request_out_of_memory(void **state) {
    (void)state;
    aw_buf b;
    aw_buf_init(&b);
    const char *names[] = {"node"};
    aw_error err;
    tu_failalloc_on(1);
    int rc = aw_info_request(&b, names, 1, &err);
    tu_failalloc_off();
    assert_int_equal(rc, AW_ERR_NOMEM);
    assert_int_equal(err.code, AW_ERR_NOMEM);
    aw_buf_free(&b);
    /* And with memory it works: the failure was the allocation, not the input. */
    assert_int_equal(aw_info_request(&b, names, 1, &err), AW_OK);
    aw_buf_free(&b);
}

/* ---- reply iteration -------------------------------------------------- */

/* Each captured reply frame: header by hand, then the names echo the request. */
static void test_reply_frames_echo_request(void **state) {
    (void)state;
    json_t *direct = json_object_get(tu_capture("official-c-client-vs-asd.json"), "info_direct");
    size_t i;
    json_t *e;
    json_array_foreach(direct, i, e) {
        size_t len;
        uint8_t *frame = tu_hex_decode(jstr(e, "reply_hex"), &len);
        assert_true(len >= 8);
        assert_int_equal(frame[0], 2);
        assert_int_equal(frame[1], 1);
        uint64_t size = aw_load_u48be(frame + 2);
        assert_int_equal(size, len - 8);
        const char *body = (const char *)frame + 8;
        const char *text = jstr(e, "reply");
        assert_int_equal(strlen(text), size);
        assert_memory_equal(body, text, size);

        static char names[16][512];
        size_t n = split_names(jstr(e, "request"), names, 16);
        size_t pos = 0, k = 0;
        aw_info_pair pair;
        while (aw_info_next(body, size, &pos, &pair)) {
            assert_non_null(pair.value);
            if (n) {
                assert_true(k < n);
                assert_int_equal(pair.name_len, strlen(names[k]));
                assert_memory_equal(pair.name, names[k], pair.name_len);
            }
            k++;
        }
        const char *v;
        size_t vl;
        if (n)
            assert_int_equal(k, n);
        else /* the default summary: several lines, one of them `node` */
            assert_true(k > 3 && aw_info_find(body, size, "node", &v, &vl));
        free(frame);
    }
}

static void test_next_edges(void **state) {
    (void)state;
    const char body[] = "a\tx:y;z=1,2\tq\n\nname-only\nlast\tv";
    size_t pos = 0;
    aw_info_pair p;
    assert_true(aw_info_next(body, sizeof body - 1, &pos, &p));
    assert_int_equal(p.name_len, 1);
    assert_memory_equal(p.name, "a", 1);
    assert_int_equal(p.value_len, strlen("x:y;z=1,2\tq"));
    assert_memory_equal(p.value, "x:y;z=1,2\tq", p.value_len);
    assert_true(aw_info_next(body, sizeof body - 1, &pos, &p)); /* blank line skipped */
    assert_int_equal(p.name_len, strlen("name-only"));
    assert_null(p.value);
    assert_int_equal(p.value_len, 0);
    assert_true(aw_info_next(body, sizeof body - 1, &pos, &p)); /* no final '\n' */
    assert_memory_equal(p.name, "last", 4);
    assert_int_equal(p.value_len, 1);
    assert_memory_equal(p.value, "v", 1);
    assert_false(aw_info_next(body, sizeof body - 1, &pos, &p));
    assert_false(aw_info_next(body, sizeof body - 1, &pos, &p));
    pos = 0;
    assert_false(aw_info_next("", 0, &pos, &p));
    pos = 0;
    assert_false(aw_info_next(NULL, 0, &pos, &p));
}

static void test_find_exact_name(void **state) {
    (void)state;
    const char *reply = "replicas-all\tA\nreplicas\tB\nempty\t\nbare\nreplicas\tC\n";
    size_t len = strlen(reply);
    const char *v;
    size_t vl;
    assert_true(aw_info_find(reply, len, "replicas", &v, &vl));
    assert_int_equal(vl, 1);
    assert_int_equal(v[0], 'B'); /* not the `replicas-all` line, and the first match */
    assert_true(aw_info_find(reply, len, "empty", &v, &vl));
    assert_int_equal(vl, 0);
    assert_true(aw_info_find(reply, len, "bare", &v, &vl));
    assert_non_null(v);
    assert_int_equal(vl, 0);
    assert_false(aw_info_find(reply, len, "replica", &v, &vl));
    assert_false(aw_info_find(reply, len, "replicas-al", &v, &vl));
    assert_false(aw_info_find(reply, len, "node", &v, &vl));
}

/* ---- error values ----------------------------------------------------- */

static void test_value_error_captured(void **state) {
    (void)state;
    json_t *direct = json_object_get(tu_capture("official-c-client-vs-asd.json"), "info_direct");
    int n_errors = 0;
    size_t i;
    json_t *e;
    json_array_foreach(direct, i, e) {
        const char *reply = jstr(e, "reply");
        size_t pos = 0;
        aw_info_pair p;
        while (aw_info_next(reply, strlen(reply), &pos, &p)) {
            int code = -1;
            const char *msg;
            size_t ml;
            bool is_err = aw_info_value_error(p.value, p.value_len, &code, &msg, &ml);
            if (p.name_len == 15 && memcmp(p.name, "no-such-command", 15) == 0) {
                assert_true(is_err);
                assert_int_equal(code, AW_ERR_REQUEST_INVALID);
                assert_int_equal(ml, strlen("unrecognized command"));
                assert_memory_equal(msg, "unrecognized command", ml);
                n_errors++;
            } else if ((p.name_len == 13 && memcmp(p.name, "peers-tls-std", 13) == 0) ||
                       (p.name_len == 6 && memcmp(p.name, "racks:", 6) == 0)) {
                assert_true(is_err);
                assert_int_equal(code, AW_ERR_ENTERPRISE_ONLY);
                assert_int_equal(ml, strlen("enterprise only"));
                assert_memory_equal(msg, "enterprise only", ml);
                n_errors++;
            } else {
                assert_false(is_err); /* no ordinary captured value looks like an error */
            }
        }
    }
    assert_int_equal(n_errors, 3);
}

static void test_value_error_forms(void **state) {
    (void)state;
    const struct {
        const char *v;
        bool is_err;
        int code;
        const char *msg;
    } cases[] = {
        {"ERROR::enterprise-only", true, 1, "enterprise-only"},
        {"ERROR:4:unrecognized command", true, 4, "unrecognized command"},
        {"ERROR:80:not authenticated", true, 80, "not authenticated"},
        {"ERROR:0:zero", true, 1, "zero"},
        {"ERROR:999:too big", true, 1, "too big"},
        {"ERROR:12a:x", true, 1, "12a:x"},
        {"ERROR:no code here", true, 1, "no code here"},
        {"ERROR:", true, 1, ""},
        {"FAIL:22:forbidden", true, 22, "forbidden"},
        {"FAIL:oops", true, 1, "oops"},
        {"error=bad udf;file=x.lua", true, AW_ERR_UDF, "bad udf;file=x.lua"},
        {"ok", false, 0, NULL},
        {"ERROR", false, 0, NULL},
        {"ERRORS:1:x", false, 0, NULL},
        {"8.1.1.2", false, 0, NULL},
        {"", false, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int code = -7;
        const char *msg = NULL;
        size_t ml = 12345;
        bool r = aw_info_value_error(cases[i].v, strlen(cases[i].v), &code, &msg, &ml);
        assert_int_equal(r, cases[i].is_err);
        if (!r) {
            assert_int_equal(code, -7); /* untouched */
            continue;
        }
        assert_int_equal(code, cases[i].code);
        assert_int_equal(ml, strlen(cases[i].msg));
        assert_memory_equal(msg, cases[i].msg, ml);
    }
    assert_false(aw_info_value_error(NULL, 0, NULL, NULL, NULL));
    /* The bounds are respected: the prefix is only inside the first 5 bytes. */
    assert_false(aw_info_value_error("ERROR:4:x", 5, NULL, NULL, NULL));
}

/* ---- scalars ---------------------------------------------------------- */

static void test_parse_node(void **state) {
    (void)state;
    char out[AW_NODE_NAME_MAX + 1];
    aw_error err;
    assert_int_equal(aw_info_parse_node("BB901000000FC02", 15, out, &err), AW_OK);
    assert_string_equal(out, "BB901000000FC02");
    assert_int_equal(aw_info_parse_node("A0", 2, out, &err), AW_OK);
    assert_string_equal(out, "A0");
    assert_int_equal(aw_info_parse_node("0123456789abcdefABC", 19, out, &err), AW_OK);
    assert_string_equal(out, "0123456789abcdefABC");
    const char *bad[] = {"", "0123456789abcdefABCD", "A0 ", "-1", "G1", "A0\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        aw_error_reset(&err);
        assert_int_equal(aw_info_parse_node(bad[i], strlen(bad[i]), out, &err), AW_ERR_PROTO);
        assert_int_equal(err.code, AW_ERR_PROTO);
        assert_non_null(strstr(err.message, "node"));
    }
    /* Length, not NUL, bounds the read. */
    assert_int_equal(aw_info_parse_node("A0ZZ", 2, out, &err), AW_OK);
    assert_string_equal(out, "A0");
}

static void test_parse_int(void **state) {
    (void)state;
    const struct {
        const char *v;
        int64_t want;
    } good[] = {{"0", 0},
                {"-1", -1},
                {"42", 42},
                {"007", 7},
                {"9223372036854775807", INT64_MAX},
                {"-9223372036854775808", INT64_MIN}};
    aw_error err;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t v = 99;
        assert_int_equal(aw_info_parse_int(good[i].v, strlen(good[i].v), &v, &err), AW_OK);
        assert_true(v == good[i].want);
    }
    const char *bad[] = {"",   "-",   "+1",  " 1", "1 ", "1a", "0x10", "--1",
                         "9223372036854775808", "-9223372036854775809",
                         "99999999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 99;
        aw_error_reset(&err);
        assert_int_equal(aw_info_parse_int(bad[i], strlen(bad[i]), &v, &err), AW_ERR_PROTO);
        assert_true(v == 99);
        assert_true(err.message[0] != '\0');
    }
}

static void test_features(void **state) {
    (void)state;
    json_t *direct = json_object_get(tu_capture("official-c-client-vs-asd.json"), "info_direct");
    const char *v = NULL;
    size_t vl = 0;
    size_t i;
    json_t *e;
    json_array_foreach(direct, i, e) {
        if (strcmp(jstr(e, "request"), "features\n") == 0)
            value_of(jstr(e, "reply"), "features", &v, &vl);
    }
    assert_non_null(v);
    /* CE 8.1 announces every feature aerowire defines a bit for. */
    assert_int_equal(aw_info_parse_features(v, vl), 0x7fffu);
    assert_true(aw_info_has_feature(v, vl, "replicas"));
    assert_true(aw_info_has_feature(v, vl, "replicas-max"));
    assert_true(aw_info_has_feature(v, vl, "udf")); /* last token, no ';' after it */
    assert_true(aw_info_has_feature(v, vl, "batch-any")); /* first token */
    assert_false(aw_info_has_feature(v, vl, "replica"));
    assert_false(aw_info_has_feature(v, vl, "cdt"));
    assert_false(aw_info_has_feature(v, vl, "udf;"));
    assert_false(aw_info_has_feature(v, vl, ""));
    assert_false(aw_info_has_feature(v, vl, NULL));

    const char *odd = ";;peers;unknown-thing;geo;";
    assert_int_equal(aw_info_parse_features(odd, strlen(odd)), AW_FEATURE_PEERS | AW_FEATURE_GEO);
    assert_int_equal(aw_info_parse_features("peersx;xgeo", 11), 0);
    assert_int_equal(aw_info_parse_features("", 0), 0);
    assert_int_equal(aw_info_parse_features("pipelining;float", 10), AW_FEATURE_PIPELINING);
}

/* ---- every captured tending exchange parses --------------------------- */

/* How many values of each kind parse_known parsed, so the test cannot pass vacuously. */
enum { K_NODE, K_INT, K_REPLICAS, K_PEERS, K_HOSTS, K_ERROR, K_COUNT };
static int parsed[K_COUNT];

static void parse_known(const char *name, size_t nl, const char *v, size_t vl) {
    aw_error err;
    aw_error_reset(&err);
    char tmp[64];
    if (nl >= sizeof tmp)
        return;
    memcpy(tmp, name, nl);
    tmp[nl] = '\0';
    if (aw_info_value_error(v, vl, NULL, NULL, NULL)) {
        parsed[K_ERROR]++;
        return;
    }
    if (strcmp(tmp, "node") == 0) {
        char id[AW_NODE_NAME_MAX + 1];
        assert_int_equal(aw_info_parse_node(v, vl, id, &err), AW_OK);
        parsed[K_NODE]++;
    } else if (strcmp(tmp, "partition-generation") == 0 || strcmp(tmp, "peers-generation") == 0) {
        int64_t g;
        assert_int_equal(aw_info_parse_int(v, vl, &g, &err), AW_OK);
        assert_true(g >= 0);
        parsed[K_INT]++;
    } else if (strcmp(tmp, "replicas") == 0) {
        aw_replicas_ns *ns = calloc(4, sizeof *ns);
        size_t n;
        assert_int_equal(aw_info_parse_replicas(v, vl, ns, 4, &n, &err), AW_OK);
        assert_true(n >= 1);
        free(ns);
        parsed[K_REPLICAS]++;
    } else if (strncmp(tmp, "peers-clear-", 12) == 0) {
        aw_peer arr[4];
        aw_peers p = {.peers = arr, .cap = 4};
        assert_int_equal(aw_info_parse_peers(v, vl, &p, &err), AW_OK);
        parsed[K_PEERS]++;
    } else if (strcmp(tmp, "service-clear-std") == 0) {
        aw_host h[4];
        size_t n;
        assert_int_equal(aw_info_parse_hosts(v, vl, 3000, h, 4, &n, &err), AW_OK);
        assert_int_equal(n, 1);
        parsed[K_HOSTS]++;
    }
}

static void parse_all_lines(const char *reply) {
    size_t pos = 0;
    aw_info_pair p;
    while (aw_info_next(reply, strlen(reply), &pos, &p)) {
        assert_non_null(p.value);
        parse_known(p.name, p.name_len, p.value, p.value_len);
    }
}

static void test_every_captured_exchange_parses(void **state) {
    (void)state;
    const char *lists[][2] = {{"official-c-client-vs-asd.json", "info"},
                              {"official-c-client-vs-asd.json", "info_direct"},
                              {"real-3-node-cluster.json", "info"}};
    size_t total = 0;
    memset(parsed, 0, sizeof parsed);
    for (size_t l = 0; l < 3; l++) {
        json_t *arr = json_object_get(tu_capture(lists[l][0]), lists[l][1]);
        assert_true(json_array_size(arr) > 0);
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) {
            parse_all_lines(jstr(e, "reply"));
            total++;
        }
    }
    assert_true(total > 50);
    /* Lower bounds counted by hand from the two capture files. */
    assert_true(parsed[K_NODE] >= 6);
    assert_true(parsed[K_INT] >= 10);
    assert_true(parsed[K_REPLICAS] >= 5);
    assert_true(parsed[K_PEERS] >= 8);
    assert_true(parsed[K_HOSTS] >= 4);
    assert_int_equal(parsed[K_ERROR], 3);
}

/* ---- replicas --------------------------------------------------------- */

static void test_single_node_replicas_all_master(void **state) {
    (void)state;
    json_t *info = json_object_get(tu_capture("official-c-client-vs-asd.json"), "info");
    const char *reply = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(info, i, e) {
        if (strstr(jstr(e, "request"), "replicas\n"))
            reply = jstr(e, "reply");
    }
    assert_non_null(reply);
    const char *v;
    size_t vl;
    value_of(reply, "replicas", &v, &vl);
    aw_replicas_ns ns[4];
    size_t n = 99;
    aw_error err;
    assert_int_equal(aw_info_parse_replicas(v, vl, ns, 4, &n, &err), AW_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ns[0].ns, "test");
    assert_string_equal(ns[1].ns, "bar");
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(ns[k].regime, 0);
        assert_int_equal(ns[k].n_replicas, 1);
        assert_int_equal(ns[k].n_repl_sent, 1);
        for (uint32_t pid = 0; pid < AW_PARTITIONS; pid++) {
            assert_true(aw_replicas_owns(&ns[k], 0, pid));
            assert_false(aw_replicas_owns(&ns[k], 1, pid));
        }
        assert_false(aw_replicas_owns(&ns[k], 0, AW_PARTITIONS));
    }
}

typedef struct node_cap {
    int port;
    char id[AW_NODE_NAME_MAX + 1];
    char replicas[2048];
    char peers[512];
} node_cap;

/* Gathers each node's id, replicas and peers-clear-std from the 3-node capture. */
static size_t load_three_nodes(node_cap nodes[3]) {
    memset(nodes, 0, 3 * sizeof *nodes);
    json_t *info = json_object_get(tu_capture("real-3-node-cluster.json"), "info");
    size_t count = 0, i;
    json_t *e;
    json_array_foreach(info, i, e) {
        int port = (int)json_integer_value(json_object_get(e, "port"));
        size_t k;
        for (k = 0; k < count && nodes[k].port != port; k++)
            ;
        if (k == count) {
            assert_true(count < 3);
            nodes[count++].port = port;
        }
        const char *reply = jstr(e, "reply");
        const char *v;
        size_t vl;
        if (aw_info_find(reply, strlen(reply), "node", &v, &vl))
            assert_int_equal(aw_info_parse_node(v, vl, nodes[k].id, NULL), AW_OK);
        if (aw_info_find(reply, strlen(reply), "replicas", &v, &vl)) {
            assert_true(vl < sizeof nodes[k].replicas);
            memcpy(nodes[k].replicas, v, vl);
        }
        if (aw_info_find(reply, strlen(reply), "peers-clear-std", &v, &vl)) {
            assert_true(vl < sizeof nodes[k].peers);
            memcpy(nodes[k].peers, v, vl);
        }
    }
    return count;
}

static void test_three_node_partition_map(void **state) {
    (void)state;
    node_cap nodes[3];
    assert_int_equal(load_three_nodes(nodes), 3);
    aw_replicas_ns maps[3][2];
    aw_error err;
    for (int k = 0; k < 3; k++) {
        size_t n;
        assert_int_not_equal(nodes[k].id[0], '\0');
        assert_int_equal(parse_replicas_str(nodes[k].replicas, maps[k], 2, &n, &err), AW_OK);
        assert_int_equal(n, 1);
        assert_string_equal(maps[k][0].ns, "test");
        assert_int_equal(maps[k][0].n_repl_sent, 2);
        assert_int_equal(maps[k][0].n_replicas, 2);
    }
    int master_of[AW_PARTITIONS], replica_of[AW_PARTITIONS];
    for (uint32_t pid = 0; pid < AW_PARTITIONS; pid++) {
        int masters = 0, replicas = 0;
        for (int k = 0; k < 3; k++) {
            if (aw_replicas_owns(&maps[k][0], 0, pid)) {
                masters++;
                master_of[pid] = k;
            }
            if (aw_replicas_owns(&maps[k][0], 1, pid)) {
                replicas++;
                replica_of[pid] = k;
            }
        }
        assert_int_equal(masters, 1);
        assert_int_equal(replicas, 1);
        assert_int_not_equal(master_of[pid], replica_of[pid]);
    }
    json_t *k1 = json_object_get(tu_capture("real-3-node-cluster.json"), "k1_partition");
    uint32_t pid = (uint32_t)json_integer_value(json_object_get(k1, "partition_id"));
    assert_true(pid < AW_PARTITIONS);
    assert_string_equal(nodes[master_of[pid]].id, jstr(k1, "master"));
    assert_string_equal(nodes[replica_of[pid]].id, jstr(k1, "replica"));
}

static void test_three_node_peers(void **state) {
    (void)state;
    node_cap nodes[3];
    assert_int_equal(load_three_nodes(nodes), 3);
    for (int k = 0; k < 3; k++) {
        aw_peer arr[4];
        aw_peers p;
        aw_error err;
        assert_int_equal(parse_peers_str(nodes[k].peers, arr, 4, &p, &err), AW_OK);
        assert_int_equal(p.default_port, 3000);
        assert_int_equal(p.n_peers, 2);
        /* Exactly the other two nodes, each at its own port. */
        for (int other = 0; other < 3; other++) {
            int found = 0;
            for (size_t j = 0; j < p.n_peers; j++) {
                if (strcmp(arr[j].node_id, nodes[other].id) != 0)
                    continue;
                found++;
                assert_string_equal(arr[j].tls_name, "");
                assert_int_equal(arr[j].n_hosts, 1);
                assert_string_equal(arr[j].hosts[0].name, "127.0.0.1");
                assert_int_equal(arr[j].hosts[0].port, nodes[other].port);
            }
            assert_int_equal(found, other == k ? 0 : 1);
        }
        int64_t gen;
        const char *comma = strchr(nodes[k].peers, ',');
        assert_int_equal(aw_info_parse_int(nodes[k].peers, (size_t)(comma - nodes[k].peers), &gen,
                                           NULL),
                         AW_OK);
        assert_true((uint64_t)gen == p.generation);
    }
}

/* Builds `ns:regime,n,<b64>,...` from bitmaps. Returns a malloc'd string. */
static char *make_replicas(const char *ns, const char *regime, const char *n_repl,
                           uint8_t (*bms)[AW_PARTITION_BITMAP_SIZE], size_t n_bms) {
    size_t cap = strlen(ns) + strlen(regime) + strlen(n_repl) + 8 + n_bms * (B64_LEN + 2);
    char *s = malloc(cap);
    assert_non_null(s);
    int w = snprintf(s, cap, "%s:%s,%s", ns, regime, n_repl);
    size_t pos = (size_t)w;
    for (size_t i = 0; i < n_bms; i++) {
        s[pos++] = ',';
        encode_bytes(bms[i], AW_PARTITION_BITMAP_SIZE, s + pos);
        pos += B64_LEN;
    }
    s[pos] = '\0';
    return s;
}

static void test_replicas_many_columns(void **state) {
    (void)state;
    uint8_t bms[5][AW_PARTITION_BITMAP_SIZE];
    for (unsigned i = 0; i < 5; i++)
        pattern_bitmap(bms[i], 5, i);
    char *v = make_replicas("ns1", "4294967295", "5", bms, 5);
    aw_replicas_ns out[1];
    size_t n;
    aw_error err;
    assert_int_equal(parse_replicas_str(v, out, 1, &n, &err), AW_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].regime, UINT32_MAX);
    assert_int_equal(out[0].n_repl_sent, 5);
    assert_int_equal(out[0].n_replicas, AW_MAX_REPLICAS);
    for (unsigned c = 0; c < AW_MAX_REPLICAS; c++)
        assert_memory_equal(out[0].bitmap[c], bms[c], AW_PARTITION_BITMAP_SIZE);
    for (uint32_t pid = 0; pid < AW_PARTITIONS; pid++)
        for (unsigned c = 0; c < AW_MAX_REPLICAS; c++)
            assert_int_equal(aw_replicas_owns(&out[0], c, pid), pid % 5 == c);

    /* A dropped column is still validated: corrupt column 4. */
    size_t len = strlen(v);
    v[len - 10] = '*';
    assert_int_equal(parse_replicas_str(v, out, 1, &n, &err), AW_ERR_PROTO);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.message, "column 4"));
    free(v);
}

static void test_replicas_trailing_and_empty(void **state) {
    (void)state;
    aw_replicas_ns out[2];
    size_t n = 9;
    aw_error err;
    assert_int_equal(aw_info_parse_replicas("", 0, out, 2, &n, &err), AW_OK);
    assert_int_equal(n, 0);
    n = 9;
    assert_int_equal(aw_info_parse_replicas(NULL, 0, NULL, 0, &n, &err), AW_OK);
    assert_int_equal(n, 0);
    uint8_t bm[1][AW_PARTITION_BITMAP_SIZE];
    pattern_bitmap(bm[0], 2, 1);
    char *one = make_replicas("a", "0", "1", bm, 1);
    size_t l = strlen(one);
    char *with_semi = malloc(l + 2);
    memcpy(with_semi, one, l);
    memcpy(with_semi + l, ";", 2);
    assert_int_equal(parse_replicas_str(with_semi, out, 2, &n, &err), AW_OK);
    assert_int_equal(n, 1);
    assert_true(aw_replicas_owns(&out[0], 0, 1));
    assert_false(aw_replicas_owns(&out[0], 0, 0));
    free(with_semi);
    free(one);
}

/* Expects AW_ERR_PROTO with every fragment in the message, and *n_ns 0. */
static void expect_replicas_error(const char *v, size_t max_ns, const char *frag1,
                                  const char *frag2) {
    aw_replicas_ns *out = calloc(max_ns ? max_ns : 1, sizeof *out);
    size_t n = 77;
    aw_error err;
    int rc = parse_replicas_str(v, out, max_ns, &n, &err);
    if (rc != AW_ERR_PROTO)
        fail_msg("accepted (%d) bad replicas value '%.60s...'", rc, v);
    assert_int_equal(err.code, AW_ERR_PROTO);
    assert_int_equal(n, 0);
    if (frag1 && !strstr(err.message, frag1))
        fail_msg("message '%s' lacks '%s'", err.message, frag1);
    if (frag2 && !strstr(err.message, frag2))
        fail_msg("message '%s' lacks '%s'", err.message, frag2);
    free(out);
}

static void test_replicas_hostile(void **state) {
    (void)state;
    uint8_t bms[2][AW_PARTITION_BITMAP_SIZE];
    pattern_bitmap(bms[0], 3, 0);
    pattern_bitmap(bms[1], 3, 1);
    char *good = make_replicas("test", "0", "2", bms, 2);
    {
        aw_replicas_ns out[1];
        size_t n;
        aw_error err;
        assert_int_equal(parse_replicas_str(good, out, 1, &n, &err), AW_OK);
    }
    size_t gl = strlen(good);
    char buf[4096];

    /* Truncated base64: the last column one char short. */
    snprintf(buf, sizeof buf, "%.*s", (int)(gl - 1), good);
    expect_replicas_error(buf, 1, "'test' column 1", "683");
    /* One char too many. */
    snprintf(buf, sizeof buf, "%sA", good);
    expect_replicas_error(buf, 1, "'test' column 1", "685");
    /* Bad characters, in the middle of column 0 and in the final quad. */
    const char *col0 = strchr(good, ',') + 1;
    col0 = strchr(col0, ',') + 1;
    size_t c0 = (size_t)(col0 - good);
    const char subs[] = {'*', '-', '_', '.', ' ', '\0', '\n', '=', (char)0xff};
    for (size_t i = 0; i < sizeof subs; i++) {
        memcpy(buf, good, gl + 1);
        buf[c0 + 100] = subs[i];
        char *copy = exact_copy(buf, gl);
        aw_replicas_ns out[1];
        size_t n = 5;
        aw_error err;
        assert_int_equal(aw_info_parse_replicas(copy, gl, out, 1, &n, &err), AW_ERR_PROTO);
        assert_int_equal(n, 0);
        assert_non_null(strstr(err.message, "'test' column 0"));
        char at[32];
        snprintf(at, sizeof at, "offset %zu", c0 + 100);
        assert_non_null(strstr(err.message, at));
        free(copy);
    }
    /* 684 chars that decode to 511 bytes ("==") or 513 bytes (no padding). */
    {
        uint8_t big[513] = {0};
        char b64[700];
        encode_bytes(big, 511, b64);
        assert_int_equal(strlen(b64), B64_LEN);
        snprintf(buf, sizeof buf, "test:0,1,%s", b64);
        expect_replicas_error(buf, 1, "'test' column 0", "512 bytes");
        encode_bytes(big, 513, b64);
        assert_int_equal(strlen(b64), B64_LEN);
        snprintf(buf, sizeof buf, "test:0,1,%s", b64);
        expect_replicas_error(buf, 1, "'test' column 0", "512 bytes");
    }
    /* Non-zero bits under the '=' padding ("//8=" → "//9="). */
    {
        uint8_t ones[1][AW_PARTITION_BITMAP_SIZE];
        memset(ones[0], 0xff, sizeof ones[0]);
        char *v = make_replicas("test", "0", "1", ones, 1);
        size_t l = strlen(v);
        assert_memory_equal(v + l - 4, "//8=", 4);
        v[l - 2] = '9';
        expect_replicas_error(v, 1, "'test' column 0", "padding");
        v[l - 2] = '8';
        v[l - 1] = 'A'; /* no padding: 513 bytes */
        expect_replicas_error(v, 1, "'test' column 0", NULL);
        free(v);
    }
    /* n_repl out of range or disagreeing with the columns sent. */
    char *one_col = make_replicas("test", "0", "1", bms, 1);
    const char *after_repl = strchr(strchr(one_col, ',') + 1, ',');
    snprintf(buf, sizeof buf, "test:0,0%s", after_repl);
    expect_replicas_error(buf, 1, "'test'", "1..255");
    snprintf(buf, sizeof buf, "test:0,256%s", after_repl);
    expect_replicas_error(buf, 1, "'test'", "1..255");
    snprintf(buf, sizeof buf, "test:0,99999999999999999999999%s", after_repl);
    expect_replicas_error(buf, 1, "'test'", "1..255");
    snprintf(buf, sizeof buf, "test:0,2%s", after_repl); /* 2 announced, 1 sent */
    expect_replicas_error(buf, 1, "'test': column 1 missing", NULL);
    snprintf(buf, sizeof buf, "test:0,1%s", good + (strchr(strchr(good, ',') + 1, ',') - good));
    expect_replicas_error(buf, 1, "'test'", "after 1 columns"); /* 1 announced, 2 sent */
    snprintf(buf, sizeof buf, "test:0,1%s,", after_repl);
    expect_replicas_error(buf, 1, "'test'", NULL);
    snprintf(buf, sizeof buf, "test:4294967296,1%s", after_repl);
    expect_replicas_error(buf, 1, "'test'", "regime");
    snprintf(buf, sizeof buf, "test:-1,1%s", after_repl);
    expect_replicas_error(buf, 1, "'test'", "regime");
    snprintf(buf, sizeof buf, "test:0,1,%s", "");
    expect_replicas_error(buf, 1, "'test' column 0", "0 chars");
    expect_replicas_error("test:0,1", 1, "column 0 missing", NULL);
    expect_replicas_error("test:0", 1, "regime", NULL);
    expect_replicas_error("test", 1, "no ':'", NULL);
    free(one_col);
    free(good);
}

static void test_replicas_names_and_counts(void **state) {
    (void)state;
    uint8_t bm[1][AW_PARTITION_BITMAP_SIZE];
    pattern_bitmap(bm[0], 7, 3);
    char name31[32], name32[33];
    memset(name31, 'n', 31);
    name31[31] = '\0';
    memset(name32, 'n', 32);
    name32[32] = '\0';
    char *v31 = make_replicas(name31, "0", "1", bm, 1);
    char *v32 = make_replicas(name32, "0", "1", bm, 1);
    char *vempty = make_replicas("", "0", "1", bm, 1);
    char *a = make_replicas("a", "0", "1", bm, 1);
    char *b = make_replicas("b", "0", "1", bm, 1);
    aw_replicas_ns out[3];
    size_t n;
    aw_error err;
    assert_int_equal(parse_replicas_str(v31, out, 1, &n, &err), AW_OK);
    assert_string_equal(out[0].ns, name31);
    expect_replicas_error(v32, 1, "32 bytes", NULL);
    expect_replicas_error(vempty, 1, "0 bytes", NULL);

    char *two = malloc(strlen(a) + strlen(b) + 2);
    sprintf(two, "%s;%s", a, b);
    assert_int_equal(parse_replicas_str(two, out, 2, &n, &err), AW_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[1].ns, "b");
    expect_replicas_error(two, 1, "more than 1 namespaces", NULL);
    expect_replicas_error(two, 0, "more than 0 namespaces", NULL);
    sprintf(two, "%s;%s", a, a);
    expect_replicas_error(two, 2, "'a' appears twice", NULL);
    sprintf(two, "%s;;", a);
    expect_replicas_error(two, 2, "empty entry", NULL);
    sprintf(two, ";%s", a);
    expect_replicas_error(two, 2, NULL, NULL);
    char *ctl = make_replicas("a\001b", "0", "1", bm, 1);
    expect_replicas_error(ctl, 2, "0x01", NULL);
    free(ctl);
    free(two);
    free(v31);
    free(v32);
    free(vempty);
    free(a);
    free(b);
}

/* ---- peers and hosts -------------------------------------------------- */

static void test_peers_single_node_and_defaults(void **state) {
    (void)state;
    aw_peer arr[4];
    aw_peers p;
    aw_error err;
    assert_int_equal(parse_peers_str("0,3000,[]", arr, 4, &p, &err), AW_OK);
    assert_int_equal(p.n_peers, 0);
    assert_int_equal(p.generation, 0);
    assert_int_equal(p.default_port, 3000);
    /* Zero capacity is fine when there are no peers. */
    assert_int_equal(parse_peers_str("12,3000,[]", NULL, 0, &p, &err), AW_OK);
    assert_int_equal(p.generation, 12);

    /* Empty default port field → 3000; IPv6 with and without port; names. */
    const char *v = "18446744073709551615,,[[BB9,tls.example,"
                    "[[::1]:3100,[fe80::1%eth0],10.0.0.1,host.example:4000]]]";
    assert_int_equal(parse_peers_str(v, arr, 4, &p, &err), AW_OK);
    assert_true(p.generation == UINT64_MAX);
    assert_int_equal(p.default_port, 3000);
    assert_int_equal(p.n_peers, 1);
    assert_string_equal(arr[0].node_id, "BB9");
    assert_string_equal(arr[0].tls_name, "tls.example");
    assert_int_equal(arr[0].n_hosts, 4);
    assert_string_equal(arr[0].hosts[0].name, "::1");
    assert_int_equal(arr[0].hosts[0].port, 3100);
    assert_string_equal(arr[0].hosts[1].name, "fe80::1%eth0");
    assert_int_equal(arr[0].hosts[1].port, 3000);
    assert_string_equal(arr[0].hosts[2].name, "10.0.0.1");
    assert_int_equal(arr[0].hosts[2].port, 3000);
    assert_string_equal(arr[0].hosts[3].name, "host.example");
    assert_int_equal(arr[0].hosts[3].port, 4000);

    /* A non-default default port applies to hosts without one. */
    assert_int_equal(parse_peers_str("5,3100,[[A1,,[10.0.0.1,[::2]]]]", arr, 4, &p, &err), AW_OK);
    assert_int_equal(p.default_port, 3100);
    assert_int_equal(arr[0].hosts[0].port, 3100);
    assert_int_equal(arr[0].hosts[1].port, 3100);
    assert_string_equal(arr[0].hosts[1].name, "::2");
}

static void test_peers_alumni_and_empty_hosts(void **state) {
    (void)state;
    aw_peer arr[4];
    aw_peers p;
    aw_error err;
    assert_int_equal(parse_peers_str("9,3000,[[A1,,],[A2,,[127.0.0.1:4020]],[A3,,[]]]", arr, 4, &p,
                                     &err),
                     AW_OK);
    assert_int_equal(p.n_peers, 3);
    assert_string_equal(arr[0].node_id, "A1");
    assert_int_equal(arr[0].n_hosts, 0);
    assert_string_equal(arr[1].node_id, "A2");
    assert_int_equal(arr[1].n_hosts, 1);
    assert_int_equal(arr[1].hosts[0].port, 4020);
    assert_int_equal(arr[2].n_hosts, 0);
}

static void expect_peers_error(const char *v, size_t cap, const char *frag) {
    aw_peer arr[8];
    aw_peers p;
    aw_error err;
    assert_true(cap <= 8);
    int rc = parse_peers_str(v, arr, cap, &p, &err);
    if (rc != AW_ERR_PROTO)
        fail_msg("accepted (%d) bad peers value '%.80s'", rc, v);
    assert_int_equal(p.n_peers, 0);
    assert_non_null(strstr(err.message, "peers"));
    if (frag && !strstr(err.message, frag))
        fail_msg("message '%s' lacks '%s'", err.message, frag);
}

static void test_peers_hostile(void **state) {
    (void)state;
    const struct {
        const char *v;
        const char *frag;
    } bad[] = {
        {"", "generation"},
        {"4", "expected ','"},
        {"4,3000", "expected ','"},
        {"4,3000,", "expected '['"},
        {"4,3000,[", "expected '['"},
        {"4,3000,[[A1,,[127.0.0.1:4010]]", "expected ']'"},
        {"4,3000,[[A1,,[127.0.0.1:4010]", "expected ']'"},
        {"4,3000,[[A1,,[127.0.0.1:4010", "expected ']'"},
        {"4,3000,[[A1,,[127.0.0.1:4010]]]]", "trailing"},
        {"4,3000,[[A1,,[127.0.0.1:4010]]],", "trailing"},
        {"4,3000,[]x", "trailing"},
        {"4,3000,[[A1,,[127.0.0.1:4010]],]", "expected '['"},
        {"4,3000,[[A1,[127.0.0.1:4010]]]", "offset"},
        {"4,3000,[[A1]]", "expected ','"},
        {"4,3000,[[A1,,[[::1]]]", "expected ']'"},
        {"4,3000,[[A1,,[[::1]]", "expected ']'"},
        {"4,3000,[[A1,,[[::1,h]]]", "unterminated"},
        {"4,3000,[[A1,,[::1]]]", "empty host"},
        {"4,3000,[[A1,,[a::1]]]", "bad port"},
        {"4,3000,[[A1,,[a:1:2]]]", "expected ']'"},
        {"4,3000,[[A1,,[,]]]", "empty host"},
        {"4,3000,[[A1,,[[]:3000]]]", "empty host"},
        {"4,3000,[[A1,,[h:0]]]", "bad port"},
        {"4,3000,[[A1,,[h:65536]]]", "bad port"},
        {"4,3000,[[A1,,[h:]]]", "bad port"},
        {"4,3000,[[A1,,[h:-1]]]", "bad port"},
        {"4,3000,[[A1,,[h:99999999999999999999999]]]", "bad port"},
        {"4,3000,[[A1,,[h\x01]]]", "0x01"},
        {"4,3000,[[A1,,[h x]]]", "0x20"},
        {"4,3000,[[A1,t\x7f,[h]]]", "0x7f"},
        {"4,3000,[[,,[h]]]", "node id"},
        {"4,3000,[[G1,,[h]]]", "node id"},
        {"4,3000,[[A1 ,,[h]]]", "node id"},
        {"4,3000,[[0123456789ABCDEF0123,,[h]]]", "node id"},
        {"4,0,[]", "default port"},
        {"4,65536,[]", "default port"},
        {"4,x,[]", "default port"},
        {"-1,3000,[]", "generation"},
        {"18446744073709551616,3000,[]", "generation"},
        {"4,,,[]", "expected '['"},
        {"4,3000,[[A1,,[a,b,c,d,e,f,g,h,i]]]", "more than 8 hosts"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_peers_error(bad[i].v, 4, bad[i].frag);
}

static void test_peers_caps(void **state) {
    (void)state;
    aw_peer arr[8];
    aw_peers p;
    aw_error err;
    const char *three = "4,3000,[[A1,,[a]],[A2,,[b]],[A3,,[c]]]";
    assert_int_equal(parse_peers_str(three, arr, 3, &p, &err), AW_OK);
    assert_int_equal(p.n_peers, 3);
    expect_peers_error(three, 2, "more than 2 peers");
    expect_peers_error(three, 0, "more than 0 peers");

    assert_int_equal(parse_peers_str("4,3000,[[A1,,[a,b,c,d,e,f,g,h]]]", arr, 1, &p, &err), AW_OK);
    assert_int_equal(arr[0].n_hosts, AW_PEER_MAX_HOSTS);
    assert_string_equal(arr[0].hosts[7].name, "h");

    /* Host and TLS names: 255 bytes fit, 256 do not. */
    char v[1200], name[300];
    for (size_t len = 255; len <= 256; len++) {
        memset(name, 'h', len);
        name[len] = '\0';
        snprintf(v, sizeof v, "4,3000,[[A1,,[%s:1]]]", name);
        if (len == 255) {
            assert_int_equal(parse_peers_str(v, arr, 1, &p, &err), AW_OK);
            assert_int_equal(strlen(arr[0].hosts[0].name), 255);
        } else {
            expect_peers_error(v, 1, "256 bytes");
        }
        snprintf(v, sizeof v, "4,3000,[[A1,%s,[h]]]", name);
        if (len == 255) {
            assert_int_equal(parse_peers_str(v, arr, 1, &p, &err), AW_OK);
            assert_int_equal(strlen(arr[0].tls_name), 255);
        } else {
            expect_peers_error(v, 1, "TLS name");
        }
        snprintf(v, sizeof v, "4,3000,[[A1,,[[%s]:1]]]", name);
        if (len == 255)
            assert_int_equal(parse_peers_str(v, arr, 1, &p, &err), AW_OK);
        else
            expect_peers_error(v, 1, "256 bytes");
    }
    /* 19 hex chars of node id fit, 20 do not. */
    assert_int_equal(parse_peers_str("1,3000,[[0123456789ABCDEF012,,[h]]]", arr, 1, &p, &err),
                     AW_OK);
    assert_string_equal(arr[0].node_id, "0123456789ABCDEF012");
}

static void test_hosts(void **state) {
    (void)state;
    aw_host h[4];
    size_t n = 9;
    aw_error err;
    assert_int_equal(parse_hosts_str("127.0.0.1:4000", h, 4, &n, &err), AW_OK);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].name, "127.0.0.1");
    assert_int_equal(h[0].port, 4000);
    assert_int_equal(parse_hosts_str("192.0.2.2:3001;[::1]:3002;example.com;[fe80::2];", h, 4, &n,
                                     &err),
                     AW_OK);
    assert_int_equal(n, 4);
    assert_string_equal(h[1].name, "::1");
    assert_int_equal(h[1].port, 3002);
    assert_string_equal(h[2].name, "example.com");
    assert_int_equal(h[2].port, 3000);
    assert_string_equal(h[3].name, "fe80::2");
    assert_int_equal(h[3].port, 3000);
    assert_int_equal(parse_hosts_str("", h, 4, &n, &err), AW_OK);
    assert_int_equal(n, 0);

    const char *bad[] = {";",         ";;",    "a;;b",  "a:1;;", "::1",     "a:b",
                         "[::1",      "[::1]x", "a:0",  "a:1,b", "a b",     "a;b;c;d;e",
                         "[a]:70000", "a]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = 9;
        int rc = parse_hosts_str(bad[i], h, 4, &n, &err);
        if (strcmp(bad[i], ";") == 0) { /* one trailing separator: zero hosts */
            assert_int_equal(rc, AW_OK);
            assert_int_equal(n, 0);
            continue;
        }
        if (rc != AW_ERR_PROTO)
            fail_msg("accepted hosts '%s'", bad[i]);
        assert_int_equal(n, 0);
        assert_non_null(strstr(err.message, "hosts"));
    }
}

/* ---- every prefix, under ASan ----------------------------------------- */

/* Every prefix of a valid value either parses or fails cleanly, and only the
 * prefixes that are themselves complete values parse. */
static void test_every_prefix(void **state) {
    (void)state;
    json_t *info = json_object_get(tu_capture("official-c-client-vs-asd.json"), "info");
    const char *reply = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(info, i, e) {
        if (strstr(jstr(e, "request"), "replicas\n"))
            reply = jstr(e, "reply");
    }
    const char *rv;
    size_t rl;
    value_of(reply, "replicas", &rv, &rl);
    size_t first_end = (size_t)((const char *)memchr(rv, ';', rl) - rv);
    aw_replicas_ns out[2];
    int ok = 0;
    for (size_t len = 0; len <= rl; len++) {
        char *copy = exact_copy(rv, len);
        size_t n = 7;
        aw_error err;
        aw_error_reset(&err);
        int rc = aw_info_parse_replicas(copy, len, out, 2, &n, &err);
        free(copy);
        if (rc == AW_OK) {
            ok++;
            assert_true(len == 0 || len == first_end || len == first_end + 1 || len == rl);
            assert_int_equal(n, len == rl ? 2 : len == 0 ? 0 : 1);
        } else {
            assert_int_equal(rc, AW_ERR_PROTO);
            assert_int_equal(n, 0);
            assert_true(err.message[0] != '\0');
        }
    }
    assert_int_equal(ok, 4);

    const char *peers = "4,3000,[[A1,,[127.0.0.1:4010]],[A2,,[[::1]:4020,h]],[A3,,]]";
    size_t pl = strlen(peers);
    ok = 0;
    for (size_t len = 0; len <= pl; len++) {
        aw_peer arr[3];
        aw_peers p = {.peers = arr, .cap = 3};
        char *copy = exact_copy(peers, len);
        aw_error err;
        aw_error_reset(&err);
        int rc = aw_info_parse_peers(copy, len, &p, &err);
        free(copy);
        if (rc == AW_OK) {
            ok++;
            assert_int_equal(len, pl);
        } else {
            assert_int_equal(rc, AW_ERR_PROTO);
            assert_int_equal(p.n_peers, 0);
            assert_true(err.message[0] != '\0');
        }
    }
    assert_int_equal(ok, 1);

    const char *hosts = "192.0.2.2:3000;[::1]:3001";
    size_t hl = strlen(hosts);
    for (size_t len = 0; len <= hl; len++) {
        aw_host h[2];
        size_t n;
        char *copy = exact_copy(hosts, len);
        int rc = aw_info_parse_hosts(copy, len, 3000, h, 2, &n, NULL);
        free(copy);
        assert_true(rc == AW_OK || rc == AW_ERR_PROTO);
    }

    /* The reply iterator over every prefix of a multi-line reply. */
    size_t bl = strlen(reply);
    for (size_t len = 0; len <= bl; len++) {
        char *copy = exact_copy(reply, len);
        size_t pos = 0, lines = 0;
        aw_info_pair p;
        while (aw_info_next(copy, len, &pos, &p)) {
            assert_true(p.name >= copy && p.name + p.name_len <= copy + len);
            if (p.value)
                assert_true(p.value >= copy && p.value + p.value_len <= copy + len);
            lines++;
        }
        assert_true(lines <= 2);
        free(copy);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_build_matches_capture),
        cmocka_unit_test(test_request_every_captured),
        cmocka_unit_test(test_request_appends_after_existing_bytes),
        cmocka_unit_test(test_request_rejects_bad_names),
        cmocka_unit_test(test_request_out_of_memory),
        cmocka_unit_test(test_reply_frames_echo_request),
        cmocka_unit_test(test_next_edges),
        cmocka_unit_test(test_find_exact_name),
        cmocka_unit_test(test_value_error_captured),
        cmocka_unit_test(test_value_error_forms),
        cmocka_unit_test(test_parse_node),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_every_captured_exchange_parses),
        cmocka_unit_test(test_single_node_replicas_all_master),
        cmocka_unit_test(test_three_node_partition_map),
        cmocka_unit_test(test_three_node_peers),
        cmocka_unit_test(test_replicas_many_columns),
        cmocka_unit_test(test_replicas_trailing_and_empty),
        cmocka_unit_test(test_replicas_hostile),
        cmocka_unit_test(test_replicas_names_and_counts),
        cmocka_unit_test(test_peers_single_node_and_defaults),
        cmocka_unit_test(test_peers_alumni_and_empty_hosts),
        cmocka_unit_test(test_peers_hostile),
        cmocka_unit_test(test_peers_caps),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
