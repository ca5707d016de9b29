/*
 * Scan/query codec (src/proto/scanq.c, scanq_reader.c, pstatus.c) against
 * official-c-client-scan-query.json: every captured scan/query request is
 * rebuilt from its inputs byte for byte (the task id is random per request,
 * so it is taken from the capture as an input), every captured reply stream
 * is read back into the records and PARTITION_DONE messages it holds, and
 * the paginated pages are rebuilt by running the cursor over the previous
 * pages' replies, as the official client does.
 *
 * The captures' `inputs` describe the calls in words; the table below says
 * the same as data (namespace "test", set "sq" unless named). The default
 * policy is the official client's: socket timeout 30000 ms, no total
 * timeout; background ops jobs ran under a write policy of 1000 ms.
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
#include "client/query_bg.h"
#include "proto/buf.h"
#include "proto/info.h"
#include "proto/msg.h"
#include "proto/pstatus.h"
#include "proto/scanq.h"
#include "support/capture_inputs.h"
#include "support/testutil.h"

#define CAP "official-c-client-scan-query.json"

static const char POLYGON[] =
    "{\"type\":\"Polygon\",\"coordinates\":[[[-122.005,36.99],[-121.935,36.99],"
    "[-121.935,37.01],[-122.005,37.01],[-122.005,36.99]]]}";
static const char CIRCLE[] = "{\"type\":\"AeroCircle\",\"coordinates\":[[-122.0,37.0],3000.0]}";

/* Filter / index expressions and op lists of the captured calls. */
enum { X_NONE, X_I_GT_150, X_F_GT_50, X_I_LT_3, X_U1_V2, X_I_LT_100, X_I_X2 };
enum { OPS_NONE, OPS_READ3, OPS_EXP_READ, OPS_BG1, OPS_BG2 };
enum { W_NONE, W_INT, W_STR, W_GEO };
enum { PF_ALL, PF_RANGE, PF_AFTER7 };

typedef struct gcase {
    const char *label;
    const char *set;            /* NULL = "sq"; "-" = none */
    const char *bins[3];
    bool no_bins;
    int where;
    int64_t lo, hi;
    const char *str;            /* W_STR / W_GEO value */
    aw_index_collection coll;
    const char *index_name;
    int index_exp;
    bool ctx_map_b;
    int filter;
    int ops;
    uint32_t rps;
    aw_query_duration dur;
    int pf;
    uint32_t pbegin, pcount;
    /* background */
    bool bg;
    const char *udf_bin;        /* udf setbin(bin, value) */
    int64_t udf_val;
    uint32_t total_timeout;
    uint32_t ttl;
} gcase;

#define DIGEST_KEY7 "980dcc39157bb4f74e1f70dadf20a1bde65bbfc2"

static const gcase CASES[] = {
    {.label = "scan_all_bins"},
    {.label = "query_noindex_all_bins"},
    {.label = "scan_select_bins", .bins = {"i", "s"}},
    {.label = "scan_nobins", .no_bins = true},
    {.label = "scan_partition_range_0_99", .pf = PF_RANGE, .pbegin = 0, .pcount = 100},
    {.label = "scan_partition_id_of_key7", .pf = PF_RANGE, .pbegin = 3480, .pcount = 1},
    {.label = "scan_partition_after_digest_key7", .pf = PF_AFTER7},
    {.label = "query_noindex_after_digest_key7", .pf = PF_AFTER7},
    {.label = "scan_filter_exp_i_gt_150", .filter = X_I_GT_150},
    {.label = "scan_rps_1000_select_i", .rps = 1000, .bins = {"i"}},
    {.label = "scan_unknown_set", .set = "nosuchset"},
    {.label = "scan_whole_namespace_select_i", .set = "-", .bins = {"i"}},
    {.label = "query_i_eq_42", .where = W_INT, .lo = 42, .hi = 42},
    {.label = "query_i_range_10_20", .where = W_INT, .lo = 10, .hi = 20},
    {.label = "query_s_eq_s007", .where = W_STR, .str = "s007"},
    {.label = "query_list_l_contains_5", .where = W_INT, .lo = 5, .hi = 5, .coll = AW_INDEX_LIST},
    {.label = "query_list_l_range_5_6", .where = W_INT, .lo = 5, .hi = 6, .coll = AW_INDEX_LIST},
    {.label = "query_mapkeys_m_contains_a", .where = W_STR, .str = "a", .coll = AW_INDEX_MAPKEYS},
    {.label = "query_mapvalues_m_contains_10", .where = W_INT, .lo = 10, .hi = 10,
     .coll = AW_INDEX_MAPVALUES},
    {.label = "query_geo_within_circle", .where = W_GEO, .str = CIRCLE},
    {.label = "query_geo_within_polygon", .where = W_GEO, .str = POLYGON},
    {.label = "query_i_range_90_110_filter_f_gt_50", .where = W_INT, .lo = 90, .hi = 110,
     .filter = X_F_GT_50},
    {.label = "query_i_range_0_4_select_s_f", .where = W_INT, .lo = 0, .hi = 4,
     .bins = {"s", "f"}},
    {.label = "query_i_range_0_4_nobins", .where = W_INT, .lo = 0, .hi = 4, .no_bins = true},
    {.label = "query_i_eq_43_short", .where = W_INT, .lo = 43, .hi = 43, .dur = AW_QUERY_SHORT},
    {.label = "query_i_eq_44_long_relax_ap", .where = W_INT, .lo = 44, .hi = 44,
     .dur = AW_QUERY_LONG_RELAX_AP},
    {.label = "query_i_range_0_199_partitions_0_2047", .where = W_INT, .lo = 0, .hi = 199,
     .pf = PF_RANGE, .pbegin = 0, .pcount = 2048},
    {.label = "query_i_range_0_2_read_ops", .where = W_INT, .lo = 0, .hi = 2, .ops = OPS_READ3},
    {.label = "query_noindex_read_ops_filter_i_lt_3", .ops = OPS_EXP_READ, .filter = X_I_LT_3},
    {.label = "query_i_range_begin_gt_end", .where = W_INT, .lo = 20, .hi = 10},
    {.label = "query_short_with_rps", .where = W_INT, .lo = 46, .hi = 46, .dur = AW_QUERY_SHORT,
     .rps = 100},
    {.label = "query_no_index_on_bin_f#1", .where = W_INT, .lo = 3, .hi = 3},
    {.label = "query_no_index_on_bin_f#2", .where = W_INT, .lo = 3, .hi = 3},
    {.label = "query_no_index_on_bin_f#3", .where = W_INT, .lo = 3, .hi = 3},
    {.label = "query_no_index_on_bin_f#4", .where = W_INT, .lo = 3, .hi = 3},
    {.label = "query_no_index_on_bin_f#5", .where = W_INT, .lo = 3, .hi = 3},
    {.label = "query_no_index_on_bin_f#6", .where = W_INT, .lo = 3, .hi = 3},
    {.label = "query_string_pred_on_numeric_bin", .where = W_STR, .str = "x"},
    {.label = "query_by_index_name_sq_i2", .where = W_INT, .lo = 45, .hi = 45,
     .index_name = "sq_i2"},
    {.label = "query_by_index_name_old_sq_i", .where = W_INT, .lo = 45, .hi = 45,
     .index_name = "sq_i"},
    {.label = "query_by_unknown_index_name", .where = W_INT, .lo = 45, .hi = 45,
     .index_name = "nosuchindex"},
    {.label = "query_ctx_m_b_eq_20", .where = W_INT, .lo = 20, .hi = 20, .ctx_map_b = true},
    {.label = "query_exp_i_x2_range_10_14", .where = W_INT, .lo = 10, .hi = 14,
     .index_exp = X_I_X2},
    {.label = "query_i_eq_42_unknown_set", .set = "othersq", .where = W_INT, .lo = 42, .hi = 42},
    {.label = "scan_check_u1_v2", .no_bins = true, .filter = X_U1_V2},
    {.label = "query_check_i_ge_1000", .where = W_INT, .lo = 1000, .hi = 1199,
     .bins = {"i", "bg", "bg2"}},
    {.label = "query_i_eq_42_after_index_removed", .where = W_INT, .lo = 1042, .hi = 1042},
    {.label = "scan_after_truncate"},
    {.label = "query_after_truncate_s_eq_s007", .where = W_STR, .str = "s007"},
    /* background jobs (the job ids are the program's) */
    {.label = "query_background_udf_i_20_29", .bg = true, .where = W_INT, .lo = 20, .hi = 29,
     .udf_bin = "u", .udf_val = 1, .total_timeout = 1000},
    {.label = "scan_background_udf", .bg = true, .udf_bin = "v", .udf_val = 2},
    {.label = "query_background_ops_i_lt_100", .bg = true, .ops = OPS_BG1, .filter = X_I_LT_100,
     .total_timeout = 1000},
    {.label = "query_background_ops_index_i_1000_1009", .bg = true, .where = W_INT, .lo = 1000,
     .hi = 1009, .ops = OPS_BG2, .total_timeout = 1000, .ttl = AW_TTL_DONT_UPDATE},
    {.label = "query_background_ops_unknown_set", .bg = true, .set = "nosuchset", .ops = OPS_BG1,
     .total_timeout = 1000},
};
#define N_CASES (sizeof CASES / sizeof CASES[0])

/* The bin the captured predicates name, by label (the table keeps values). */
static const char *where_bin(const char *label) {
    if (strstr(label, "_s_eq_") || strstr(label, "string_pred"))
        return strstr(label, "string_pred") ? "i" : "s";
    if (strstr(label, "_list_l_"))
        return "l";
    if (strstr(label, "_mapkeys_m_") || strstr(label, "_mapvalues_m_") || strstr(label, "ctx_m_b"))
        return "m";
    if (strstr(label, "geo"))
        return "g";
    if (strstr(label, "bin_f"))
        return "f";
    return "i";
}

static aw_exp *make_exp(int which) {
    aw_exp_builder *b = aw_exp_builder_new();
    aw_exp_node *n = NULL;
    switch (which) {
    case X_I_GT_150: n = aw_exp_gt(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 150)); break;
    case X_F_GT_50: n = aw_exp_gt(b, aw_exp_bin_float(b, "f"), aw_exp_float(b, 50.0)); break;
    case X_I_LT_3: n = aw_exp_lt(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 3)); break;
    case X_I_LT_100: n = aw_exp_lt(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 100)); break;
    case X_U1_V2:
        n = aw_exp_and(b, aw_exp_eq(b, aw_exp_bin_int(b, "u"), aw_exp_int(b, 1)),
                       aw_exp_eq(b, aw_exp_bin_int(b, "v"), aw_exp_int(b, 2)));
        break;
    case X_I_X2: n = aw_exp_mul(b, aw_exp_bin_int(b, "i"), aw_exp_int(b, 2)); break;
    default: break;
    }
    aw_exp *e = NULL;
    assert_int_equal(aw_exp_compile(b, n, &e, NULL), AW_OK);
    aw_exp_builder_free(b);
    return e;
}

/* The captured request's task id (field 7). */
static uint64_t captured_task_id(const uint8_t *frame, size_t len) {
    aw_msg_view m;
    size_t used;
    assert_int_equal(aw_msg_parse(frame + 8, len - 8, &m, &used, NULL), AW_OK);
    const uint8_t *p = m.fields;
    for (uint16_t i = 0; i < m.h.n_fields; i++) {
        uint32_t sz = aw_load_u32be(p);
        if (p[4] == AW_FIELD_TASK_ID)
            return aw_load_u64be(p + 5);
        p += 4 + sz;
    }
    fail_msg("no task id in the captured request");
    return 0;
}

/* Everything one case's request needs, kept alive while it is encoded. */
typedef struct built {
    aw_query q;
    aw_index_filter where;
    aw_ctx_item ctx_item;
    aw_ctx ctx;
    aw_exp *filter, *index_exp, *op_exp;
    aw_op ops[3];
    aw_value udf_args[2];
    aw_scanq_udf udf;
    aw_req_opts wopts;
    aw_scanq_req req;
} built;

static void build(const gcase *c, built *b) {
    memset(b, 0, sizeof *b);
    b->q.ns = "test";
    b->q.set = !c->set ? "sq" : strcmp(c->set, "-") == 0 ? NULL : c->set;
    size_t nb = 0;
    while (nb < 3 && c->bins[nb])
        nb++;
    b->q.bins = nb ? c->bins : NULL;
    b->q.n_bins = nb;
    if (c->where) {
        const char *bin = c->index_name || c->index_exp ? NULL : where_bin(c->label);
        if (c->where == W_INT)
            b->where = aw_filter_contains_range(bin, c->coll, c->lo, c->hi);
        else if (c->where == W_STR)
            b->where = aw_filter_contains_str(bin, c->coll, c->str);
        else
            b->where = aw_filter_geo_within(bin, c->str);
        b->where.index_name = c->index_name;
        if (c->index_exp)
            b->where.exp = b->index_exp = make_exp(c->index_exp);
        if (c->ctx_map_b) {
            b->ctx_item = aw_ctx_map_key(aw_value_str("b"));
            b->ctx.items = &b->ctx_item;
            b->ctx.n = 1;
            b->where.ctx = &b->ctx;
        }
        b->q.where = &b->where;
    }
    if (c->filter)
        b->filter = make_exp(c->filter);
    switch (c->ops) {
    case OPS_READ3:
        {
            aw_exp_builder *eb = aw_exp_builder_new();
            assert_int_equal(aw_exp_compile(eb, aw_exp_mul(eb, aw_exp_bin_int(eb, "i"),
                                                           aw_exp_int(eb, 10)),
                                            &b->op_exp, NULL), AW_OK);
            aw_exp_builder_free(eb);
        }
        b->ops[0] = aw_op_read("i");
        b->ops[1] = aw_op_exp_read("i10", b->op_exp, 0);
        b->ops[2] = aw_cdt_list_size("l", NULL);
        b->q.ops = b->ops;
        b->q.n_ops = 3;
        break;
    case OPS_EXP_READ: {
        aw_exp_builder *eb = aw_exp_builder_new();
        assert_int_equal(aw_exp_compile(eb, aw_exp_mul(eb, aw_exp_bin_int(eb, "i"),
                                                       aw_exp_int(eb, 10)),
                                        &b->op_exp, NULL), AW_OK);
        aw_exp_builder_free(eb);
        b->ops[0] = aw_op_exp_read("i10", b->op_exp, 0);
        b->q.ops = b->ops;
        b->q.n_ops = 1;
        break;
    }
    case OPS_BG1:
        b->ops[0] = aw_op_write("bg", aw_value_int(1));
        b->q.ops = b->ops;
        b->q.n_ops = 1;
        if (strcmp(c->label, "query_background_ops_i_lt_100") == 0) {
            b->ops[1] = aw_op_incr("i", aw_value_int(1000));
            b->q.n_ops = 2;
        }
        break;
    case OPS_BG2:
        b->ops[0] = aw_op_write("bg2", aw_value_int(2));
        b->q.ops = b->ops;
        b->q.n_ops = 1;
        break;
    default: break;
    }
    aw_scanq_req *r = &b->req;
    r->q = &b->q;
    r->socket_timeout_ms = 30000;
    r->total_timeout_ms = c->total_timeout;
    r->records_per_second = c->rps;
    r->no_bins = c->no_bins;
    r->duration = c->dur;
    r->filter = b->filter;
    if (c->bg) {
        b->wopts = aw_req_opts_default();
        b->wopts.ttl = c->ttl;
        if (c->udf_bin) {
            b->udf_args[0] = aw_value_str(c->udf_bin);
            b->udf_args[1] = aw_value_int(c->udf_val);
            b->udf = (aw_scanq_udf){"squdf", "setbin", b->udf_args, 2};
            r->udf = &b->udf;
        } else {
            r->write = &b->wopts;
        }
    }
}

static void unbuild(built *b) {
    aw_exp_free(b->filter);
    aw_exp_free(b->index_exp);
    aw_exp_free(b->op_exp);
}

static aw_partition_filter case_filter(const gcase *c) {
    if (c->pf == PF_RANGE)
        return aw_partition_filter_range(c->pbegin, c->pcount);
    if (c->pf == PF_AFTER7) {
        size_t n;
        uint8_t *d = tu_hex_decode(DIGEST_KEY7, &n);
        aw_partition_filter f = aw_partition_filter_after(d);
        free(d);
        return f;
    }
    return aw_partition_filter_all();
}

/* The cursor's partitions that are still to do, as the node's list. */
static size_t pending(aw_partition_status *ps, aw_partition_info **out) {
    size_t n = 0;
    for (uint32_t i = 0; i < ps->count; i++)
        if (!ps->parts[i].done)
            out[n++] = &ps->parts[i];
    return n;
}

/* The captured request of `label` (hex) and its task id. */
static const char *captured_request(const char *label, uint64_t *task_id) {
    json_t *cmd = tu_capture_command(CAP, label);
    const char *want = json_string_value(json_object_get(cmd, "request_hex"));
    size_t wn;
    uint8_t *w = tu_hex_decode(want, &wn);
    *task_id = captured_task_id(w, wn);
    free(w);
    return want;
}

static void encode_and_compare(const char *label, aw_scanq_req *r) {
    const char *want = captured_request(label, &r->task_id);
    aw_buf out;
    aw_buf_init(&out);
    aw_error err;
    int rc = aw_req_scanq(&out, r, &err);
    if (rc != AW_OK)
        fail_msg("%s: %s", label, err.message);
    assert_hex_equal(label, out.data, out.len, want);
    aw_buf_free(&out);
}

static void test_requests_byte_for_byte(void **state) {
    (void)state;
    static aw_partition_info *parts[AW_PARTITIONS];
    for (size_t i = 0; i < N_CASES; i++) {
        const gcase *c = &CASES[i];
        built b;
        build(c, &b);
        aw_partition_status *ps = NULL;
        if (!c->bg) {
            aw_partition_filter f = case_filter(c);
            assert_int_equal(aw_partition_status_new(&f, &ps, NULL), AW_OK);
            b.req.parts = parts;
            b.req.n_parts = pending(ps, parts);
        }
        encode_and_compare(c->label, &b.req);
        aw_partition_status_free(ps);
        unbuild(&b);
    }
}

/* The background jobs again, from the public calls' inputs through what
 * aw_query_background and aw_query_background_udf send (query_bg.c): the
 * statement, the scan policy (its filter), the write policy (the official
 * client's query jobs ran under a write policy of 1000 ms, its scan jobs
 * under the scan policy's none) and the UDF call give the captured bytes. */
static void test_background_jobs_through_the_public_calls(void **state) {
    (void)state;
    size_t udf_jobs = 0;
    for (size_t i = 0; i < N_CASES; i++) {
        const gcase *c = &CASES[i];
        if (!c->bg)
            continue;
        built b;
        build(c, &b);
        aw_query_policy pol = aw_query_policy_default();
        pol.base.filter = b.filter;
        aw_policy wp = aw_policy_write();
        wp.total_timeout_ms = c->total_timeout;
        wp.ttl = c->ttl;
        aw_udf_call udf = {b.udf.module, b.udf.function, b.udf.args, b.udf.n_args};
        uint64_t id;
        const char *want = captured_request(c->label, &id);
        aw_buf out;
        aw_buf_init(&out);
        aw_error err;
        int rc = aw_query_bg_encode(&pol, &wp, &b.q, c->udf_bin ? &udf : NULL, id, &out, &err);
        if (rc != AW_OK)
            fail_msg("%s: %s", c->label, err.message);
        assert_hex_equal(c->label, out.data, out.len, want);
        aw_buf_free(&out);
        udf_jobs += c->udf_bin != NULL;
        unbuild(&b);
    }
    assert_int_equal(udf_jobs, 2);
}

/* A UDF job's own checks, before anything is sent. */
static void test_background_udf_refusals(void **state) {
    (void)state;
    aw_query q = {.ns = "test", .set = "sq"};
    aw_query_policy pol = aw_query_policy_default();
    aw_policy wp = aw_policy_write();
    aw_value args[1] = {aw_value_int(1)};
    aw_buf out;
    aw_buf_init(&out);
    aw_error err;
    aw_udf_call no_module = {NULL, "f", args, 1};
    assert_int_equal(aw_query_bg_encode(&pol, &wp, &q, &no_module, 1, &out, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "UDF module"));
    aw_udf_call no_args = {"m", "f", NULL, 1};
    assert_int_equal(aw_query_bg_encode(&pol, &wp, &q, &no_args, 1, &out, &err), AW_ERR_PARAM);
    char long_name[200];
    memset(long_name, 'f', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    aw_udf_call long_fn = {"m", long_name, args, 1};
    assert_int_equal(aw_query_bg_encode(&pol, &wp, &q, &long_fn, 1, &out, &err), AW_ERR_BAD_NAME);
    aw_op op = aw_op_write("b", aw_value_int(1));
    aw_query with_ops = q;
    with_ops.ops = &op;
    with_ops.n_ops = 1;
    aw_udf_call ok = {"m", "f", args, 1};
    assert_int_equal(aw_query_bg_encode(&pol, &wp, &with_ops, &ok, 1, &out, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "UDF or write ops"));
    pol.expected_duration = AW_QUERY_SHORT;
    assert_int_equal(aw_query_bg_encode(&pol, &wp, &q, &ok, 1, &out, &err), AW_ERR_PARAM);
    assert_int_equal(out.len, 0);
    aw_buf_free(&out);
}

/* Every scan/query request in the capture is one of the table's (or a page
 * of the pagination test): nothing captured goes unchecked. */
static void test_every_captured_request_is_covered(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture(CAP), "commands");
    size_t i, covered = 0;
    json_t *c;
    json_array_foreach(cmds, i, c) {
        const char *api = json_string_value(json_object_get(c, "api"));
        const char *label = json_string_value(json_object_get(c, "label"));
        if (!strstr(api, "query") && !strstr(api, "scan"))
            continue;
        bool found = strstr(label, "_max50_page") || strstr(label, "_max5_page");
        for (size_t k = 0; k < N_CASES && !found; k++)
            found = strcmp(CASES[k].label, label) == 0;
        if (!found)
            fail_msg("captured %s is not rebuilt by this test", label);
        covered++;
    }
    assert_int_equal(covered, 62);
}

/* ---- reply streams --------------------------------------------------------- */

typedef struct collected {
    int64_t keys[512];
    size_t n_keys;
    uint32_t pdone[AW_PARTITIONS];
    size_t n_pdone;
    int pdone_rc;
    aw_partition_status *ps;  /* updated per record when set */
    bool query;
} collected;

static int on_record(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    collected *c = ctx;
    (void)m;
    /* every captured record was stored with its integer key */
    assert_non_null(meta->key);
    assert_int_equal(meta->key_len, 9);
    assert_int_equal(meta->key[0], 1);
    assert_true(c->n_keys < 512);
    c->keys[c->n_keys++] = (int64_t)aw_load_u64be(meta->key + 1);
    assert_int_equal(meta->has_bval, c->query);
    if (c->ps)
        assert_true(aw_pstatus_on_record(c->ps, meta->digest, meta->bval));
    return 0;
}

static int on_pdone(void *ctx, uint32_t pid, int result) {
    collected *c = ctx;
    c->pdone[c->n_pdone++] = pid;
    c->pdone_rc = result;
    return 0;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Feeds every reply frame of a captured exchange; returns the reader. */
static aw_scanq_reader read_stream(json_t *frames, collected *col) {
    aw_scanq_sink sink = {col, on_record, on_pdone};
    aw_scanq_reader r;
    aw_scanq_reader_init(&r);
    size_t i;
    json_t *f;
    json_array_foreach(frames, i, f) {
        size_t n;
        uint8_t *frame = tu_hex_decode(json_string_value(f), &n);
        assert_true(n >= 8 && frame[1] == 3);
        aw_error err;
        int rc = aw_scanq_reader_feed(&r, frame + 8, n - 8, &sink, &err);
        if (rc != AW_OK)
            fail_msg("frame %zu: %s", i, err.message);
        free(frame);
    }
    assert_true(r.done);
    return r;
}

static json_t *call_of(const char *label) {
    char base[128];
    snprintf(base, sizeof base, "%s", label);
    char *hash = strchr(base, '#');
    if (hash)
        *hash = 0;
    return tu_capture_entry(CAP, "calls", base);
}

/* Each foreground stream reads back into exactly the records the official
 * client delivered, and ends with the code it returned. */
static void test_reply_streams(void **state) {
    (void)state;
    json_t *cmds = json_object_get(tu_capture(CAP), "commands");
    size_t i, streams = 0;
    json_t *cmd;
    json_array_foreach(cmds, i, cmd) {
        const char *api = json_string_value(json_object_get(cmd, "api"));
        const char *label = json_string_value(json_object_get(cmd, "label"));
        if ((!strstr(api, "query") && !strstr(api, "scan")) || strstr(api, "background"))
            continue;
        collected *col = calloc(1, sizeof *col);
        json_t *in = json_object_get(cmd, "inputs");
        col->query = json_object_get(in, "where") || json_object_get(in, "index_name");
        aw_scanq_reader r = read_stream(json_object_get(cmd, "reply_hex"), col);
        json_t *call = call_of(label);
        int status = (int)json_integer_value(json_object_get(cmd, "client_status"));
        if (r.result != status)
            fail_msg("%s: stream ended with %d, the official client returned %d", label,
                     r.result, status);
        assert_int_equal(col->n_pdone, 0); /* one healthy node owns everything */
        json_t *recs = json_object_get(call, "records");
        /* a call of one request: its records are exactly this stream's */
        if (json_array_size(json_object_get(call, "commands")) == 1) {
            qsort(col->keys, col->n_keys, sizeof col->keys[0], cmp_i64);
            if (col->n_keys != json_array_size(recs))
                fail_msg("%s: %zu records, the official client got %zu", label, col->n_keys,
                         json_array_size(recs));
            for (size_t k = 0; k < col->n_keys; k++)
                assert_int_equal(col->keys[k], json_integer_value(json_array_get(recs, k)));
        }
        assert_int_equal(r.records, col->n_keys);
        free(col);
        streams++;
    }
    assert_int_equal(streams, 57);
}

/* Pages: after each page the single node returned its whole share, so all
 * its partitions stay to do, resuming after their last digest (and bval);
 * the page that returns fewer ends the scan. Each page's request is the
 * cursor's, byte for byte. */
static void replay_pages(const char *prefix, int pages, uint64_t max, const gcase *c) {
    static aw_partition_info *parts[AW_PARTITIONS];
    aw_partition_filter f = aw_partition_filter_all();
    aw_partition_status *ps;
    assert_int_equal(aw_partition_status_new(&f, &ps, NULL), AW_OK);
    for (int page = 1; page <= pages; page++) {
        char label[96];
        snprintf(label, sizeof label, "%s%d", prefix, page);
        built b;
        build(c, &b);
        b.req.parts = parts;
        b.req.n_parts = pending(ps, parts);
        b.req.max_records = max;
        encode_and_compare(label, &b.req);
        unbuild(&b);
        collected *col = calloc(1, sizeof *col);
        col->ps = ps;
        col->query = c->where != W_NONE;
        aw_scanq_reader r = read_stream(json_object_get(tu_capture_command(CAP, label), "reply_hex"),
                                        col);
        assert_int_equal(r.result, 0);
        aw_pstatus_node_end(parts, b.req.n_parts, r.records < max);
        assert_int_equal(aw_partition_status_done(ps), page == pages);
        free(col);
    }
    aw_partition_status_free(ps);
}

static void test_paginated_pages_from_the_cursor(void **state) {
    (void)state;
    gcase scan = {.label = "scan_max50"};
    replay_pages("scan_max50_page", 5, 50, &scan);
    gcase query = {.label = "query_i_range", .where = W_INT, .lo = 100, .hi = 111};
    replay_pages("query_i_range_100_111_max5_page", 3, 5, &query);
}

/* Two-node replays: the partitions B0 does not own come back as
 * PARTITION_DONE 11 with their ids, exactly those of B1's map. */
static void test_partition_done_messages(void **state) {
    (void)state;
    json_t *ex = json_object_get(json_object_get(tu_capture(CAP), "raw_two_node"), "exchanges");
    /* B0's partitions from its `replicas` reply */
    static bool b0_owns[AW_PARTITIONS];
    size_t i;
    json_t *e;
    json_array_foreach(ex, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "label")), "replicas_B0") != 0)
            continue;
        const char *reply = json_string_value(json_object_get(e, "reply"));
        const char *v = strchr(reply, '\t');
        assert_non_null(v);
        aw_replicas_ns rs[2];
        size_t n_ns = 0;
        aw_error err;
        int rc = aw_info_parse_replicas(v + 1, strcspn(v + 1, "\n"), rs, 2, &n_ns, &err);
        if (rc != AW_OK)
            fail_msg("replicas: %s", err.message);
        for (uint32_t p = 0; p < AW_PARTITIONS; p++)
            b0_owns[p] = aw_replicas_owns(&rs[0], 0, p);
    }
    const char *to_b0[] = {"scan_all_bins_to_B0", "query_i_range_10_20_to_B0",
                           "query_i_eq_43_short_to_B0"};
    json_array_foreach(ex, i, e) {
        const char *label = json_string_value(json_object_get(e, "label"));
        bool b0 = false;
        for (size_t k = 0; k < 3; k++)
            b0 |= strcmp(label, to_b0[k]) == 0;
        bool non_owner = strcmp(label, "scan_after_digest_key7_to_non_owner") == 0;
        if (!b0 && !non_owner)
            continue;
        collected *col = calloc(1, sizeof *col);
        col->query = strstr(label, "query") != NULL;
        aw_scanq_reader r = read_stream(json_object_get(e, "reply_hex"), col);
        assert_int_equal(r.result, 0);
        if (non_owner) {
            assert_int_equal(col->n_pdone, 1);
            assert_int_equal(col->pdone[0], 3480);
        } else {
            assert_int_equal(col->n_pdone, 2055);
            static bool seen[AW_PARTITIONS];
            memset(seen, 0, sizeof seen);
            for (size_t k = 0; k < col->n_pdone; k++) {
                assert_false(b0_owns[col->pdone[k]]);
                assert_false(seen[col->pdone[k]]);
                seen[col->pdone[k]] = true;
            }
        }
        assert_int_equal(col->pdone_rc, AW_ERR_CLUSTER);
        free(col);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_byte_for_byte),
        cmocka_unit_test(test_background_jobs_through_the_public_calls),
        cmocka_unit_test(test_background_udf_refusals),
        cmocka_unit_test(test_every_captured_request_is_covered),
        cmocka_unit_test(test_reply_streams),
        cmocka_unit_test(test_paginated_pages_from_the_cursor),
        cmocka_unit_test(test_partition_done_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
