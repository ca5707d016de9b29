/*
 * aw-testd's secondary-index definitions and statistics (tools/testd/
 * sindex.c, sindex_info.c) driven directly on a store: what the capture's
 * info exchanges do not show — an index following writes, deletes and
 * truncate (aw-testd reads the keys off the live records), a record holding
 * a key once, slots reused after a drop, context and expression indexes, and
 * the create checks of S8.1.2 sindex_manager.c in its order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/key.h"
#include "info_param.h"
#include "proto/buf.h"
#include "proto/particle.h"
#include "store.h"

static td_store store;

static int setup(void **state) {
    (void)state;
    return td_store_init(&store, "test", 0, 1 << 20);
}

static int teardown(void **state) {
    (void)state;
    td_store_free(&store);
    return 0;
}

/* The answer to one command line "name:args" or "name/args". */
static void expect(const char *cmd, const char *want) {
    size_t nl = strcspn(cmd, ":/");
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)nl, cmd);
    const char *args = cmd[nl] ? cmd + nl + 1 : cmd + nl;
    aw_buf out;
    aw_buf_init(&out);
    assert_true(td_sindex_info(&store, &out, name, args, strlen(args), cmd[nl] == '/'));
    aw_buf_u8(&out, 0);
    if (strcmp((const char *)out.data, want) != 0)
        fail_msg("%s: got '%s', want '%s'", cmd, (const char *)out.data, want);
    aw_buf_free(&out);
}

static td_record *put(uint8_t id, const char *set) {
    uint8_t d[AW_DIGEST_SIZE] = {id, 0, id};
    td_record *r = td_record_create(&store.ns[0], d);
    assert_non_null(r);
    snprintf(r->set, sizeof r->set, "%s", set);
    return r;
}

static void put_int(td_record *r, const char *bin, int64_t v) {
    uint8_t b[8];
    aw_store_u64be(b, (uint64_t)v);
    assert_int_equal(td_bin_set(r, bin, strlen(bin), AW_PT_INTEGER, b, 8), 0);
}

static void put_raw(td_record *r, const char *bin, uint8_t ptype, const void *p, size_t n) {
    assert_int_equal(td_bin_set(r, bin, strlen(bin), ptype, p, (uint32_t)n), 0);
}

#define STAT(entries, per_bval, per_rec)                                                           \
    "entries=" #entries ";used_bytes=16777216;entries_per_bval=" #per_bval                         \
    ";entries_per_rec=" #per_rec ";load_pct=100;load_time=0;stat_gc_recs=0"

/* The index holds what the live records hold: a write adds its key, a
 * delete and a truncate take them away (no index trees to keep in step). */
static void test_follows_the_records(void **state) {
    (void)state;
    expect("sindex-create:namespace=test;set=s;indexname=ix;bin=i;type=numeric", "ok");
    expect("sindex-stat:namespace=test;indexname=ix", STAT(0, 0, 0));
    put_int(put(1, "s"), "i", 7);
    put_int(put(2, "s"), "i", 7);
    put_int(put(3, "s"), "i", 8);
    put_int(put(4, "other"), "i", 9);                /* another set */
    put_raw(put(5, "s"), "i", AW_PT_STRING, "7", 1); /* another type */
    /* keys_per_bval = round(3 keys / 2 values), keys_per_rec = 3 / 3. */
    expect("sindex-stat:namespace=test;indexname=ix", STAT(3, 2, 1));
    expect("sindex/test/ix", STAT(3, 2, 1));
    uint8_t d1[AW_DIGEST_SIZE] = {1, 0, 1};
    td_record_remove(&store.ns[0], d1);
    expect("sindex-stat:namespace=test;indexname=ix", STAT(2, 1, 1));
    td_store_truncate(&store, &store.ns[0], "s", 0);
    expect("sindex-stat:namespace=test;indexname=ix", STAT(0, 0, 0));
    td_store_truncate(&store, &store.ns[0], NULL, 0);
    expect("sindex-delete:namespace=test;indexname=ix", "ok");
    expect("sindex-stat:namespace=test;indexname=ix", "ERROR:201:no index");
}

/* List and map indexes take each element, key or value once per record
 * (the capture's sq_mv: {a: 0, b: 0} gives one key). */
static void test_collections(void **state) {
    (void)state;
    static const uint8_t list[] = {0x93, 0x01, 0x02, 0x02};
    /* CDT strings carry their particle type (3) first. */
    static const uint8_t map[] = {0x82, 0xa2, 3, 'a', 0x05, 0xa2, 3, 'b', 0x05};
    put_raw(put(1, "c"), "l", AW_PT_LIST, list, sizeof list);
    put_raw(put(2, "c"), "l", AW_PT_LIST, list, sizeof list);
    put_raw(put(3, "c"), "m", AW_PT_MAP, map, sizeof map);
    expect("sindex-create:namespace=test;set=c;indexname=l;indextype=LIST;bin=l;type=NUMERIC", "ok");
    expect("sindex-stat:namespace=test;indexname=l", STAT(4, 2, 2));
    expect("sindex-create:namespace=test;set=c;indexname=mk;indextype=mapkeys;bin=m;type=string",
           "ok");
    expect("sindex-stat:namespace=test;indexname=mk", STAT(2, 1, 2));
    expect("sindex-create:namespace=test;set=c;indexname=mv;indextype=mapvalues;bin=m;type=numeric",
           "ok");
    expect("sindex-stat:namespace=test;indexname=mv", STAT(1, 1, 1));
    /* A context (map key "b", kiKiA2I=) and an expression (i * 2,
     * kxaTUQKhaQI=) index: the capture's sq_mb and sq_x2. */
    expect("sindex-create:namespace=test;set=c;indexname=mb;context=kiKiA2I=;bin=m;type=NUMERIC",
           "ok");
    expect("sindex-stat:namespace=test;indexname=mb", STAT(1, 1, 1));
    put_int(put(4, "c"), "i", 21);
    expect("sindex-create:namespace=test;set=c;indexname=x2;exp=kxaTUQKhaQI=;type=NUMERIC", "ok");
    expect("sindex-stat:namespace=test;indexname=x2", STAT(1, 1, 1));
    expect("sindex-list:namespace=test;b64=true",
           "ns=test:indexname=l:set=c:bin=l:type=numeric:indextype=list:context=null:exp=null:"
           "state=RW;ns=test:indexname=mk:set=c:bin=m:type=string:indextype=mapkeys:context=null:"
           "exp=null:state=RW;ns=test:indexname=mv:set=c:bin=m:type=numeric:indextype=mapvalues:"
           "context=null:exp=null:state=RW;ns=test:indexname=mb:set=c:bin=m:type=numeric:"
           "indextype=default:context=kiKiA2I=:exp=null:state=RW;ns=test:indexname=x2:set=c:"
           "bin=null:type=numeric:indextype=default:context=null:exp=kxaTUQKhaQI=:state=RW");
    /* Without b64, their text forms (test_list_text_forms). */
    expect("sindex-list:namespace=test",
           "ns=test:indexname=l:set=c:bin=l:type=numeric:indextype=list:context=null:exp=null:"
           "state=RW;ns=test:indexname=mk:set=c:bin=m:type=string:indextype=mapkeys:context=null:"
           "exp=null:state=RW;ns=test:indexname=mv:set=c:bin=m:type=numeric:indextype=mapvalues:"
           "context=null:exp=null:state=RW;ns=test:indexname=mb:set=c:bin=m:type=numeric:"
           "indextype=default:context=[map_key(<string#1>)]:exp=null:state=RW;ns=test:"
           "indexname=x2:set=c:bin=null:type=numeric:indextype=default:context=null:"
           "exp=mul(bin_int(\"i\"), 2):state=RW");
    const char *names[] = {"l", "mk", "mv", "mb", "x2"};
    for (size_t i = 0; i < 5; i++) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "sindex-delete:namespace=test;indexname=%s", names[i]);
        expect(cmd, "ok");
    }
    td_store_truncate(&store, &store.ns[0], NULL, 0);
}

/* sindex_manager.c: the same definition under a taken name is "ok", under
 * a new name renames the index in its slot; another definition under a
 * taken name is 200; a dropped index's slot is the next one used
 * (sindex-list walks the slots). */
static void test_names_and_slots(void **state) {
    (void)state;
    expect("sindex-create:namespace=test;set=s;indexname=a;bin=i;type=NUMERIC", "ok");
    expect("sindex-create:namespace=test;set=s;indexname=b;bin=s;type=STRING", "ok");
    expect("sindex-create:namespace=test;set=s;indexname=a;bin=i;type=NUMERIC", "ok");
    expect("sindex-create:namespace=test;set=s;indexname=b;bin=f;type=NUMERIC",
           "ERROR:200:'indexname' already exists with different definition");
    expect("sindex-create:namespace=test;set=s;indexname=a2;bin=i;type=NUMERIC", "ok");
    expect("sindex-exists:namespace=test;indexname=a", "false");
    expect("sindex-list",
           "ns=test:indexname=a2:set=s:bin=i:type=numeric:indextype=default:context=null:exp=null:"
           "state=RW;ns=test:indexname=b:set=s:bin=s:type=string:indextype=default:context=null:"
           "exp=null:state=RW");
    expect("sindex-delete:namespace=test;indexname=a2", "ok");
    expect("sindex-delete:namespace=test;indexname=a2", "ok"); /* not there: still ok */
    expect("sindex-create:namespace=test;indexname=c;bin=g;type=geo2dsphere", "ok");
    expect("sindex-list:namespace=test",
           "ns=test:indexname=c:set=null:bin=g:type=geo2dsphere:indextype=default:context=null:"
           "exp=null:state=RW;ns=test:indexname=b:set=s:bin=s:type=string:indextype=default:"
           "context=null:exp=null:state=RW");
    expect("sindex-delete:namespace=test;indexname=b", "ok");
    expect("sindex-delete:namespace=test;indexname=c", "ok");
    expect("sindex-list:namespace=test", "");
}

/* as_sindex_manager_sindex_create's checks, in its order. */
static void test_create_checks(void **state) {
    (void)state;
    static const struct {
        const char *cmd, *want;
    } cases[] = {
        {"sindex-create:namespace=test;bin=i;type=numeric", "ERROR:4:missing 'indexname'"},
        {"sindex-create:indexname=x;bin=i;type=numeric", "ERROR:20:missing 'namespace'"},
        {"sindex-create:namespace=test;indexname=x;context=!!!!;bin=i;type=numeric",
         "ERROR:4:'context' invalid base64"},
        {"sindex-create:namespace=test;indexname=x;context=kQE=;bin=i;type=numeric",
         "ERROR:4:'context' invalid cdt context"},
        {"sindex-create:namespace=test;indexname=x;indextype=tree;bin=i;type=numeric",
         "ERROR:4:bad 'indextype' - must be one of 'default', 'list', 'mapkeys', 'mapvalues'"},
        {"sindex-create:namespace=test;indexname=x;bin=i", "ERROR:4:both 'indexdata' and 'type' are missing"},
        {"sindex-create:namespace=test;indexname=x;bin=i;type=float",
         "ERROR:4:bad 'type' - must be one of 'numeric', 'string', 'blob', 'geo2dsphere'"},
        {"sindex-create:namespace=test;indexname=x;type=numeric", "ERROR:4:both 'bin' and 'exp' are missing"},
        {"sindex-create:namespace=test;indexname=x;bin=i;exp=kxaTUQKhaQI=;type=numeric",
         "ERROR:4:both 'bin' and 'exp' are specified"},
        {"sindex-create:namespace=test;indexname=x;context=kiKiA2I=;exp=kxaTUQKhaQI=;type=numeric",
         "ERROR:4:both 'context' and 'exp' are specified"},
        /* i * 2 is an integer: not a string index's key. */
        {"sindex-create:namespace=test;indexname=x;exp=kxaTUQKhaQI=;type=string",
         "ERROR:4:bad 'exp' - expression type 'numeric' does not match expected type 'string'"},
        {"sindex-create:namespace=test;indexname=x;indextype=mapkeys;bin=m;type=geo2dsphere",
         "ERROR:4:bad 'indexdata' bin type for 'indextype' 'mapkeys' - must be one of 'numeric', "
         "'string', 'blob'"},
        {"sindex-create:namespace=test;indexname=x;indextype=set;set=s",
         "ERROR:4:not served by aw-testd"},
        {"sindex-stat:namespace=nope;indexname=x", "ERROR:20:namespace not found on node"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect(cases[i].cmd, cases[i].want);
    expect("sindex-list:namespace=test", "");
}

/* sindex-list without b64=true shows contexts and expressions in text
 * (cdt_msgpack_ctx_to_dynbuf, as_exp_display): each `want` is what CE
 * 8.1.2.0 printed for the same sindex-create (values by kind and size, bin
 * names whole); with b64=true the base64 sent. */
static void test_list_text_forms(void **state) {
    (void)state;
    static const struct {
        const char *def, *want;
    } cases[] = {
        {"context=khAA;bin=c", "context=[list_index(0)]:exp=null"},
        {"context=lCKhYhD/;bin=c", "context=[map_key(<blob98#0>), list_index(-1)]:exp=null"},
        {"context=kiKiA2I=;bin=c", "context=[map_key(<string#1>)]:exp=null"},
        {"context=kiIF;bin=c", "context=[map_key(5)]:exp=null"},
        {"context=kiLLP/gAAAAAAAA=;bin=c", "context=[map_key(1.500000)]:exp=null"},
        {"context=kiLA;bin=c", "context=[map_key(nil)]:exp=null"},
        {"context=kiLD;bin=c", "context=[map_key(true)]:exp=null"},
        {"exp=kxaTUQKhaQI=", "context=null:exp=mul(bin_int(\"i\"), 2)"},
        {"exp=lnuTA5NRAqFhBQGTBJNRAqFi+QIA",
         "context=null:exp=cond(gt(bin_int(\"a\"), 5), 1, ge(bin_int(\"b\"), -7), 2, 0)"},
        {"exp=ln2heJNRAqFhoXmTFJJ8oXgBkxaSfKF5knyheA==",
         "context=null:exp=let(def(var_0, bin_int(\"a\")), def(var_1, add(var(\"var_0\"), 1)), "
         "mul(var(\"var_1\"), var(\"var_0\")))"},
        {"exp=lX8CAJEQk1EEoWw=", "context=null:exp=list_size(NULL, bin_list(\"l\"))"},
        {"exp=lX8CAJPM/5IQAJMTBwGTUQShbA==",
         "context=null:exp=list_get_by_index([list_index(0)], 7, 1, bin_list(\"l\"))"},
        {"exp=kh6TFpNRB6Fmy0AEAAAAAAAA",
         "context=null:exp=to_int(mul(bin_float(\"f\"), 2.500000))"},
        {"exp=lX8CAJNhB6IDa5NRBaFt",
         "context=null:exp=map_get_by_key(NULL, 7, <string#1>, bin_map(\"m\"))"},
        {"exp=lX8CAZMzAAiTUQahYg==", "context=null:exp=bit_count(0, 8, bin_blob(\"b\"))"},
        {"exp=lX8CApEyk1EJoWg=", "context=null:exp=hll_get_count(bin_hll(\"h\"))"},
        {"exp=lDOSI5NRAqFhkhuTFQCTUQKhYgE=",
         "context=null:exp=max(int_not(bin_int(\"a\")), abs(sub(0, bin_int(\"b\"))), 1)"},
        {"exp=lHuTEMOTAZJSoXoAAQA=",
         "context=null:exp=cond(and(true, eq(bin_type(\"z\"), 0)), 1, 0)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char cmd[256], want[512];
        snprintf(cmd, sizeof cmd, "sindex-create:namespace=test;set=s;indexname=t;%s;type=numeric",
                 cases[i].def);
        expect(cmd, "ok");
        const char *bin = strstr(cases[i].def, "bin=") ? "c" : "null";
        snprintf(want, sizeof want,
                 "ns=test:indexname=t:set=s:bin=%s:type=numeric:indextype=default:%s:state=RW",
                 bin, cases[i].want);
        expect("sindex-list:namespace=test", want);
        /* b64=true: what was sent */
        const char *b64 = strchr(cases[i].def, '=') + 1;
        int b64_len = (int)strcspn(b64, ";");
        if (bin[0] == 'c')
            snprintf(want, sizeof want, "ns=test:indexname=t:set=s:bin=c:type=numeric:"
                     "indextype=default:context=%.*s:exp=null:state=RW", b64_len, b64);
        else
            snprintf(want, sizeof want, "ns=test:indexname=t:set=s:bin=null:type=numeric:"
                     "indextype=default:context=null:exp=%.*s:state=RW", b64_len, b64);
        expect("sindex-list:namespace=test;b64=true", want);
        expect("sindex-delete:namespace=test;indexname=t", "ok");
    }
    /* sindex.c parse_exp: an expression index reads bins (or the digest
     * modulo), never other metadata or the key: as the server refused
     * add(digest_modulo(3), ttl(), last_update()), one on set_name(), one
     * on key() and the constant 2, and took digest_modulo(3). */
    expect("sindex-create:namespace=test;indexname=x;exp=lBSSQAORRZFC;type=numeric",
           "ERROR:4:bad 'exp'");
    expect("sindex-create:namespace=test;indexname=x;exp=lnuUBwKjXmFik1EDoXMBkwGRRqMDc3ECAw==;"
           "type=numeric", "ERROR:4:bad 'exp'");
    expect("sindex-create:namespace=test;indexname=x;exp=lHuTCZNRAqFhkn6TAQIDAZJQAg==;type=numeric",
           "ERROR:4:bad 'exp'");
    expect("sindex-create:namespace=test;indexname=x;exp=Ag==;type=numeric", "ERROR:4:bad 'exp'");
    expect("sindex-create:namespace=test;indexname=x;exp=kkAD;type=numeric", "ok");
    expect("sindex-list:namespace=test", "ns=test:indexname=x:set=null:bin=null:type=numeric:"
           "indextype=default:context=null:exp=digest_modulo(3):state=RW");
    expect("sindex-delete:namespace=test;indexname=x", "ok");
    expect("sindex-list:namespace=test", "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_the_records),
        cmocka_unit_test(test_collections),
        cmocka_unit_test(test_names_and_slots),
        cmocka_unit_test(test_create_checks),
        cmocka_unit_test(test_list_text_forms),
    };
    return cmocka_run_group_tests_name("testd_sindex", tests, setup, teardown);
}
