/*
 * Secondary-index, truncate and job info commands (src/proto/sindex_info.c)
 * against official-c-client-scan-query.json's `info_direct`: every captured
 * sindex-create / -stat / -delete / -exists / -list, truncate and
 * query-show request is rebuilt word for word, and the answers read back
 * (load_pct, the index list, job states, the server's error codes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/aerowire.h"
#include "proto/buf.h"
#include "proto/info.h"
#include "proto/sindex_info.h"
#include "support/testutil.h"

#define CAP "official-c-client-scan-query.json"

static json_t *info_direct(const char *label) {
    return tu_capture_entry(CAP, "info_direct", label);
}

/* The captured request, without its final '\n'. */
static void expect_request(const char *label, const aw_buf *got) {
    const char *want = json_string_value(json_object_get(info_direct(label), "request"));
    size_t n = strlen(want);
    assert_true(n > 0 && want[n - 1] == '\n');
    if (got->len != n - 1 || memcmp(got->data, want, n - 1) != 0)
        fail_msg("%s: built '%.*s', captured '%.*s'", label, (int)got->len, (char *)got->data,
                 (int)(n - 1), want);
    assert_int_equal(got->data[got->len], 0);
}

/* The value of the captured reply's single line. */
static const char *reply_value(const char *label, size_t *len) {
    const char *r = json_string_value(json_object_get(info_direct(label), "reply"));
    const char *tab = strchr(r, '\t');
    assert_non_null(tab);
    *len = strcspn(tab + 1, "\n");
    return tab + 1;
}

typedef struct create_case {
    const char *label;
    const char *name, *bin;
    aw_index_type type;
    aw_index_collection coll;
    int special;    /* 1: context map_key "b"; 2: expression i*2 */
} create_case;

static const create_case CREATES[] = {
    {"sindex_create_num_i", "sq_i", "i", AW_INDEX_NUMERIC, AW_INDEX_DEFAULT, 0},
    {"sindex_create_str_s", "sq_s", "s", AW_INDEX_STRING, AW_INDEX_DEFAULT, 0},
    {"sindex_create_list_num_l", "sq_l", "l", AW_INDEX_NUMERIC, AW_INDEX_LIST, 0},
    {"sindex_create_mapkeys_str_m", "sq_mk", "m", AW_INDEX_STRING, AW_INDEX_MAPKEYS, 0},
    {"sindex_create_mapvalues_num_m", "sq_mv", "m", AW_INDEX_NUMERIC, AW_INDEX_MAPVALUES, 0},
    {"sindex_create_geo_g", "sq_g", "g", AW_INDEX_GEO2DSPHERE, AW_INDEX_DEFAULT, 0},
    {"sindex_create_same_name_same_defn", "sq_i", "i", AW_INDEX_NUMERIC, AW_INDEX_DEFAULT, 0},
    {"sindex_create_same_name_other_defn", "sq_s", "f", AW_INDEX_NUMERIC, AW_INDEX_DEFAULT, 0},
    {"sindex_create_same_defn_new_name", "sq_i2", "i", AW_INDEX_NUMERIC, AW_INDEX_DEFAULT, 0},
    {"sindex_create_ctx_m_b", "sq_mb", "m", AW_INDEX_NUMERIC, AW_INDEX_DEFAULT, 1},
    {"sindex_create_exp_i_x2", "sq_x2", NULL, AW_INDEX_NUMERIC, AW_INDEX_DEFAULT, 2},
};

static void test_create_requests(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CREATES / sizeof CREATES[0]; i++) {
        const create_case *c = &CREATES[i];
        aw_index_spec s = {.ns = "test", .set = "sq", .name = c->name, .bin = c->bin,
                           .type = c->type, .collection = c->coll};
        aw_ctx_item item = aw_ctx_map_key(aw_value_str("b"));
        aw_ctx ctx = {&item, 1};
        aw_exp *e = NULL;
        if (c->special == 1)
            s.ctx = &ctx;
        if (c->special == 2) {
            aw_exp_builder *b = aw_exp_builder_new();
            assert_int_equal(aw_exp_compile(b, aw_exp_mul(b, aw_exp_bin_int(b, "i"),
                                                          aw_exp_int(b, 2)), &e, NULL), AW_OK);
            aw_exp_builder_free(b);
            s.exp = e;
        }
        aw_buf out;
        aw_buf_init(&out);
        aw_error err;
        if (aw_sindex_create_cmd(&out, &s, &err) != AW_OK)
            fail_msg("%s: %s", c->label, err.message);
        expect_request(c->label, &out);
        /* the answer: ok, or the server's code */
        size_t n;
        const char *v = reply_value(c->label, &n);
        int code = 0;
        aw_info_value_error(v, n, &code, NULL, NULL);
        assert_int_equal(code, json_integer_value(json_object_get(info_direct(c->label),
                                                                  "client_status")));
        aw_buf_free(&out);
        aw_exp_free(e);
    }
}

static void test_other_requests(void **state) {
    (void)state;
    aw_buf out;
    aw_buf_init(&out);
    struct {
        const char *label, *verb, *name;
    } named[] = {
        {"sindex_create_num_i_wait", "sindex-stat", "sq_i"},
        {"info_sindex_stat_unknown", "sindex-stat", "nosuchindex"},
        {"info_sindex_exists", "sindex-exists", "sq_s"},
        {"sindex_remove_sq_i2", "sindex-delete", "sq_i2"},
        {"sindex_remove_unknown", "sindex-delete", "nosuchindex"},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        aw_buf_reset(&out);
        assert_int_equal(aw_sindex_named_cmd(&out, named[i].verb, "test", named[i].name, NULL),
                         AW_OK);
        expect_request(named[i].label, &out);
    }
    aw_buf_reset(&out);
    assert_int_equal(aw_sindex_list_cmd(&out, "test", NULL), AW_OK);
    expect_request("info_sindex_list", &out);
    aw_buf_reset(&out);
    assert_int_equal(aw_truncate_cmd(&out, "test", "sq", 0, NULL), AW_OK);
    expect_request("truncate_set_sq", &out);
    aw_buf_reset(&out);
    assert_int_equal(aw_job_show_cmd(&out, 1111, NULL), AW_OK);
    expect_request("query_background_udf_wait", &out);
    aw_buf_reset(&out);
    assert_int_equal(aw_job_show_cmd(&out, 987654321, NULL), AW_OK);
    expect_request("query_info_unknown_id", &out);
    /* forms the capture does not hold */
    aw_buf_reset(&out);
    assert_int_equal(aw_truncate_cmd(&out, "test", NULL, 1700000000000000000ull, NULL), AW_OK);
    assert_string_equal((char *)out.data, "truncate-namespace:namespace=test;lut=1700000000000000000");
    /* refusals: names that would change the command's meaning */
    aw_error err;
    assert_int_equal(aw_truncate_cmd(&out, "te;st", "sq", 0, &err), AW_ERR_PARAM);
    assert_int_equal(aw_sindex_named_cmd(&out, "sindex-stat", "test", "", &err), AW_ERR_BAD_NAME);
    aw_index_spec bad = {.ns = "test", .name = "x", .bin = "b", .type = 9};
    assert_int_equal(aw_sindex_create_cmd(&out, &bad, &err), AW_ERR_PARAM);
    aw_buf_free(&out);
}

static void test_answers(void **state) {
    (void)state;
    size_t n;
    const char *v = reply_value("sindex_create_num_i_wait", &n);
    int pct = -1;
    assert_int_equal(aw_sindex_stat_load_pct(v, n, &pct, NULL), AW_OK);
    assert_int_equal(pct, 100);
    aw_error err;
    v = reply_value("info_sindex_stat_unknown", &n);
    assert_int_equal(aw_sindex_stat_load_pct(v, n, &pct, &err), AW_ERR_INDEX_NOT_FOUND);

    v = reply_value("info_sindex_list", &n);
    aw_index_info *list;
    size_t count;
    if (aw_sindex_list_parse(v, n, &list, &count, &err) != AW_OK)
        fail_msg("%s", err.message);
    assert_int_equal(count, 8);
    assert_string_equal(list[0].name, "sq_i2");
    assert_string_equal(list[0].set, "sq");
    assert_string_equal(list[0].bin, "i");
    assert_int_equal(list[0].type, AW_INDEX_NUMERIC);
    assert_true(list[0].readable);
    assert_int_equal(list[2].collection, AW_INDEX_LIST);
    assert_int_equal(list[3].type, AW_INDEX_STRING);
    assert_int_equal(list[3].collection, AW_INDEX_MAPKEYS);
    assert_int_equal(list[5].type, AW_INDEX_GEO2DSPHERE);
    assert_true(list[6].has_ctx && !list[6].has_exp);
    /* the expression index: no bin, and its text holds no surprise for the parser */
    assert_string_equal(list[7].name, "sq_x2");
    assert_string_equal(list[7].bin, "");
    assert_true(list[7].has_exp && list[7].readable);
    aw_free(list);
    /* an expression's text may hold ':' and ';' (a string literal) */
    const char odd[] = "ns=test:indexname=x:set=null:bin=null:type=string:indextype=default:"
                       "context=null:exp=eq(bin_str(\"a\"), \"k:v;ns=\"):state=WO;"
                       "ns=test:indexname=y:set=sq:bin=b:type=blob:indextype=mapvalues:"
                       "context=null:exp=null:state=RW";
    if (aw_sindex_list_parse(odd, strlen(odd), &list, &count, &err) != AW_OK)
        fail_msg("%s", err.message);
    assert_int_equal(count, 2);
    assert_string_equal(list[0].set, "");
    assert_true(list[0].has_exp && !list[0].readable);
    assert_string_equal(list[1].name, "y");
    assert_int_equal(list[1].type, AW_INDEX_BLOB);
    aw_free(list);

    bool found, active;
    aw_job_info job = {.progress_pct = 100};
    v = reply_value("query_background_udf_info", &n);
    assert_int_equal(aw_job_show_parse(v, n, &found, &active, &job, NULL), AW_OK);
    assert_true(found);
    assert_false(active);
    assert_int_equal(job.records_succeeded, 10);
    assert_int_equal(job.records_failed, 0);
    v = reply_value("scan_background_udf_wait", &n);
    assert_int_equal(aw_job_show_parse(v, n, &found, &active, &job, NULL), AW_OK);
    assert_int_equal(job.records_succeeded, 210);
    v = reply_value("query_info_unknown_id", &n);
    assert_int_equal(aw_job_show_parse(v, n, &found, &active, &job, NULL), AW_OK);
    assert_false(found);
    const char running[] = "trid=7:ns=test:status=active(ok):job-progress=42.50:recs-succeeded=3";
    assert_int_equal(aw_job_show_parse(running, strlen(running), &found, &active, &job, NULL),
                     AW_OK);
    assert_true(found && active);
    assert_int_equal(job.progress_pct, 42);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_requests),
        cmocka_unit_test(test_other_requests),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
