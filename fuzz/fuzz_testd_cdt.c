/*
 * Fuzz target: aw-testd's list, map and bit ops on stored bins, through its
 * command path (td_exec on an in-memory store, as fuzz_testd_request).
 *
 * The input is a script: commands that store a random list, map or blob bin
 * (generated, ordered or not, or raw bytes), and operates of one to three
 * list/map/bit ops on them: well-formed op codes with random msgpack
 * arguments (edge integers, return types, wildcards, nested values), or raw
 * bytes. After every command:
 *  - the reply parses as one message;
 *  - a command that failed left the record as it was (existence,
 *    generation, every bin's type and bytes);
 *  - every stored list or map bin is exactly one msgpack value of its type;
 *  - a CDT op never leaves an ordered list that was sorted unsorted;
 *  - no crash, leak or undefined behaviour (sanitizers).
 * FUZZ_CDT_DEBUG=1 prints each command's result (for triage and for seeing
 * what a corpus reaches). The seeds (fuzz/corpus/fuzz_testd_cdt) store a
 * bin, then send a captured op value of official-c-client-cdt.json raw; the
 * path_* ones send select / modify by path values (op 0xfe) instead.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/ops.h"
#include "cdt_list.h"
#include "exec.h"
#include "fuzz_reader.h"
#include "proto/arena.h"
#include "proto/msg.h"
#include "proto/msgpack.h"
#include "proto/particle.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define broken(what) broken_at(__LINE__, (what))
static void broken_at(int line, const char *what) {
    fprintf(stderr, "fuzz_testd_cdt.c:%d: property broken: %s\n", line, what);
    abort();
}

/* ---- msgpack arguments ----------------------------------------------------- */

/* aw_buf_put, but nothing at all for no bytes: an empty aw_buf has no data
 * pointer that aw_buf_grow could offset by 0 (UBSan calls that undefined). */
static void put_bytes(aw_buf *b, const void *p, size_t n) {
    if (n)
        aw_buf_put(b, p, n);
}

static void put_value(aw_buf *b, aw_value v) { aw_msgpack_write(b, &v, NULL); }

static void put_array_header(aw_buf *b, uint32_t n) {
    if (n < 16) {
        aw_buf_u8(b, (uint8_t)(0x90 | n));
    } else {
        uint8_t h[3] = {0xdc, (uint8_t)(n >> 8), (uint8_t)n};
        put_bytes(b, h, 3);
    }
}

static const char *const strs[] = {"a", "b", "ab", "", "zz"};

static int64_t edge_int(reader *r) {
    static const int64_t edges[] = {0,         1,        -1,        2,         -2,
                                    INT32_MAX, (int64_t)INT32_MAX + 1, UINT32_MAX,
                                    INT64_MAX, INT64_MIN, 0x10000,   0x10007,  64};
    return edges[u8(r) % (sizeof edges / sizeof edges[0])];
}

static void put_arg(aw_buf *b, reader *r, int depth);

static void put_container(aw_buf *b, reader *r, int depth, bool map) {
    uint32_t n = u8(r) % 5;
    if (map)
        aw_buf_u8(b, (uint8_t)(0x80 | n));
    else
        put_array_header(b, n);
    for (uint32_t i = 0; i < (map ? 2 * n : n); i++)
        put_arg(b, r, depth + 1);
}

static void put_arg(aw_buf *b, reader *r, int depth) {
    uint8_t pick = u8(r);
    switch (pick % 14) {
    case 0: case 1: case 2: put_value(b, aw_value_int((int64_t)(u8(r) % 12) - 3)); break;
    case 3: put_value(b, aw_value_int(edge_int(r))); break;
    case 4: put_value(b, aw_value_int(i64(r))); break;
    case 5: put_value(b, aw_value_nil()); break;
    case 6: put_value(b, aw_value_bool(u8(r) & 1)); break;
    case 7: put_value(b, aw_value_str(strs[u8(r) % 5])); break;
    case 8: {
        uint8_t bytes[3] = {u8(r), u8(r), u8(r)};
        put_value(b, aw_value_blob(bytes, u8(r) % 4));
        break;
    }
    case 9: put_value(b, aw_value_float(u8(r) & 1 ? 1.5 : -0.5)); break;
    case 10:
    case 11:
        if (depth < 3)
            put_container(b, r, depth, pick % 14 == 11);
        else
            aw_buf_u8(b, 0xc0);
        break;
    case 12: { /* wildcard, infinity */
        uint8_t w[3] = {0xd4, 0xff, u8(r) & 1};
        put_bytes(b, w, 3);
        break;
    }
    default: { /* raw bytes, well-formed or not */
        uint8_t k = u8(r) % 4;
        for (uint8_t i = 0; i < k; i++)
            aw_buf_u8(b, u8(r));
        break;
    }
    }
}

/* The op codes the server knows (cdt-bit-hll.md §6.1, §7.1, §10). */
static const uint8_t list_codes[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
                                     16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 32, 33,
                                     34, 35, 36, 37, 38, 39, 40};
static const uint8_t map_codes[] = {64, 65, 66,  67,  68,  69,  70,  73,  74,  75,  76,
                                    77, 78, 79,  81,  82,  83,  84,  85,  86,  87,  88,
                                    89, 96, 97,  98,  99,  100, 102, 103, 104, 105, 106,
                                    107, 108, 109, 110};
static const uint8_t bit_codes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 50, 51, 52, 53, 54};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One op's value: [code, args...], or raw bytes. *type: its wire op type. */
static void put_op_value(aw_buf *b, reader *r, uint8_t *type) {
    uint8_t kind = u8(r);
    uint8_t code;
    switch (kind % 4) {
    case 0: code = list_codes[u8(r) % COUNT(list_codes)]; break;
    case 1: code = map_codes[u8(r) % COUNT(map_codes)]; break;
    case 2: code = bit_codes[u8(r) % COUNT(bit_codes)]; break;
    default: code = u8(r); break;
    }
    bool bit = kind % 4 == 2 || (kind % 4 == 3 && (kind & 4));
    bool reads = bit ? code >= 50 : (code >= 16 && code < 32) || code >= 96;
    if (kind & 0x10)
        reads = !reads; /* a modify code sent as a read op, and the other way */
    *type = bit ? (reads ? 12 : 13) : (reads ? 3 : 4);
    if ((kind & 0xe0) == 0xe0) { /* raw bytes (the seeds' captured op values) */
        uint8_t k = u8(r);
        for (uint8_t i = 0; i < k; i++)
            aw_buf_u8(b, u8(r));
        return;
    }
    uint32_t n_args = u8(r) % 6;
    put_array_header(b, 1 + n_args);
    put_value(b, aw_value_int(code));
    for (uint32_t i = 0; i < n_args; i++)
        put_arg(b, r, 0);
}

/* A stored bin's value: a list (maybe ordered), a map (maybe key-ordered), a
 * blob, or raw bytes under a list or map type. */
static uint8_t put_bin_value(aw_buf *b, reader *r) {
    uint8_t kind = u8(r) % 6;
    if (kind == 0) {
        uint8_t bytes[8];
        uint8_t k = u8(r) % 9;
        for (uint8_t i = 0; i < k; i++)
            bytes[i] = u8(r);
        put_bytes(b, bytes, k);
        return AW_PT_BLOB;
    }
    if (kind == 5) {
        uint8_t k = u8(r) % 10;
        for (uint8_t i = 0; i < k; i++)
            aw_buf_u8(b, u8(r));
        return u8(r) & 1 ? AW_PT_LIST : AW_PT_MAP;
    }
    bool map = kind >= 3;
    bool ordered = kind == 2 || kind == 4;
    uint32_t n = u8(r) % 8;
    static const uint8_t order_ext[3] = {0xc7, 0x00, 0x01};
    if (map) {
        aw_buf_u8(b, (uint8_t)(0x80 | (n + ordered)));
        if (ordered) {
            put_bytes(b, order_ext, 3);
            aw_buf_u8(b, 0xc0);
        }
        for (uint32_t i = 0; i < n; i++) {
            if (u8(r) & 1)
                put_value(b, aw_value_int(u8(r) % 8));
            else
                put_value(b, aw_value_str(strs[u8(r) % 5]));
            put_arg(b, r, 1);
        }
        return AW_PT_MAP;
    }
    put_array_header(b, n + ordered);
    if (ordered)
        put_bytes(b, order_ext, 3);
    for (uint32_t i = 0; i < n; i++)
        put_arg(b, r, 1);
    return AW_PT_LIST;
}

/* ---- commands ------------------------------------------------------------------ */

static const uint8_t digests[2][AW_DIGEST_SIZE] = {{1, 2, 3}, {9, 8, 7}};
static const char *const bin_names[] = {"c", "d", ""};

/* Appends one message (no proto header). */
static void build_command(aw_buf *b, reader *r, const uint8_t *digest) {
    aw_buf ops;
    aw_buf_init(&ops);
    uint8_t info1 = 0, info2 = 0;
    uint16_t n_ops = 1 + u8(r) % 3;
    for (uint16_t i = 0; i < n_ops; i++) {
        uint8_t sel = u8(r);
        const char *bin = bin_names[sel % 8 == 7 ? 2 : sel & 1];
        aw_buf value;
        aw_buf_init(&value);
        uint8_t type, particle = AW_PT_BLOB;
        if ((sel & 0x30) == 0x30) { /* store a bin */
            type = AW_OP_WRITE;
            particle = put_bin_value(&value, r);
        } else {
            put_op_value(&value, r, &type);
        }
        if (type == 3 || type == 12)
            info1 |= AW_INFO1_READ;
        else
            info2 |= AW_INFO2_WRITE;
        aw_buf_op_header(&ops, type, particle, bin, (uint8_t)strlen(bin), (uint32_t)value.len);
        put_bytes(&ops, value.data, value.len);
        aw_buf_free(&value);
    }
    if (u8(r) & 1)
        info2 |= AW_INFO2_RESPOND_ALL_OPS;
    aw_msg_header h = {0};
    h.header_sz = AW_MSG_HEADER_SIZE;
    h.info1 = info1;
    h.info2 = info2;
    h.n_fields = 2;
    h.n_ops = n_ops;
    aw_buf_msg_header(b, &h);
    aw_buf_field(b, AW_FIELD_NAMESPACE, "test", 4);
    aw_buf_field(b, AW_FIELD_DIGEST, digest, AW_DIGEST_SIZE);
    put_bytes(b, ops.data, ops.len);
    aw_buf_free(&ops);
}

/* ---- the record's state, to compare --------------------------------------------- */

typedef struct snapshot {
    bool exists;
    uint16_t gen;
    aw_buf bins; /* name, type, length, bytes of each bin in order */
} snapshot;

static td_record *record_of(td_store *s, const uint8_t *digest) {
    td_namespace *ns = td_store_ns(s, "test", 4);
    return ns ? td_record_get(ns, digest, td_store_now(s)) : NULL;
}

static void take(snapshot *snap, td_record *rec) {
    aw_buf_init(&snap->bins);
    snap->exists = rec != NULL;
    snap->gen = rec ? rec->gen : 0;
    for (uint32_t i = 0; rec && i < rec->n_bins; i++) {
        const td_bin *b = &rec->bins[i];
        put_bytes(&snap->bins, b->name, (size_t)b->name_len + 1);
        aw_buf_u8(&snap->bins, b->ptype);
        put_bytes(&snap->bins, &b->len, sizeof b->len);
        put_bytes(&snap->bins, b->data, b->len);
    }
}

static bool same(const snapshot *a, const snapshot *b) {
    return a->exists == b->exists && a->gen == b->gen && a->bins.len == b->bins.len &&
           (a->bins.len == 0 || memcmp(a->bins.data, b->bins.data, a->bins.len) == 0);
}

/* Whether a stored bin is a sorted ordered list (*ordered: it is ordered). */
static bool sorted_list(const td_bin *b, aw_arena *a, bool *ordered) {
    aw_value v;
    size_t used;
    *ordered = false;
    if (aw_msgpack_read(b->data, b->len, &v, a, &used, NULL) != AW_OK || v.type != AW_LIST)
        return false;
    *ordered = (v.subtype & TD_LIST_ORDERED) != 0;
    for (uint32_t i = 1; i < v.len; i++)
        if (td_list_value_cmp(&v.u.items[i - 1], &v.u.items[i]) > 0)
            return false;
    return true;
}

/* Every list or map bin is exactly one msgpack value of its type; an
 * ordered list that was sorted before (was_sorted[i] for bin name i) still is. */
static void check_bins(td_record *rec, const bool *was_sorted) {
    aw_arena a;
    aw_arena_init(&a, 16u << 20);
    for (uint32_t i = 0; rec && i < rec->n_bins; i++) {
        const td_bin *b = &rec->bins[i];
        if (b->ptype != AW_PT_LIST && b->ptype != AW_PT_MAP)
            continue;
        aw_value v;
        size_t used;
        if (aw_msgpack_read(b->data, b->len, &v, &a, &used, NULL) != AW_OK || used != b->len)
            broken("a stored list or map is one msgpack value");
        if (v.type != (b->ptype == AW_PT_LIST ? AW_LIST : AW_MAP))
            broken("a stored list or map has its particle's type");
        bool ordered;
        int name = strcmp(b->name, "c") == 0 ? 0 : strcmp(b->name, "d") == 0 ? 1 : -1;
        if (name >= 0 && was_sorted[name] && !sorted_list(b, &a, &ordered) && ordered)
            broken("an ordered list stays sorted");
    }
    aw_arena_free(&a);
}

static void sorted_before(td_record *rec, bool *was_sorted) {
    aw_arena a;
    aw_arena_init(&a, 16u << 20);
    for (int k = 0; k < 2; k++) {
        td_bin *b = rec ? td_bin_find(rec, bin_names[k], 1) : NULL;
        bool ordered;
        /* absent or not a list: anything the op makes of it must be sorted */
        was_sorted[k] = !b || b->ptype != AW_PT_LIST || sorted_list(b, &a, &ordered);
    }
    aw_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    td_store store;
    if (td_store_init(&store, "test", 0, 1024 * 1024) != 0)
        return 0;
    td_exec_ctx cx = {&store, false, NULL};
    reader r = {data, size};
    aw_buf req, out;
    aw_buf_init(&req);
    aw_buf_init(&out);
    for (int n = 0; r.left && n < 64; n++) {
        const uint8_t *digest = digests[u8(&r) & 1];
        aw_buf_reset(&req);
        build_command(&req, &r, digest);
        aw_msg_view m;
        size_t used;
        if (aw_msg_parse(req.data, req.len, &m, &used, NULL) != AW_OK)
            broken("the command built parses");
        snapshot before, after;
        bool was_sorted[2];
        td_record *rec = record_of(&store, digest);
        take(&before, rec);
        sorted_before(rec, was_sorted);

        aw_buf_reset(&out);
        int rc = td_exec(&cx, &m, NULL, &out);
        aw_msg_view reply;
        if (aw_msg_parse(out.data, out.len, &reply, &used, NULL) != AW_OK || used != out.len)
            broken("the reply is one message");
        if (reply.h.result_code != rc)
            broken("the reply carries the result code");
        if (getenv("FUZZ_CDT_DEBUG"))
            fprintf(stderr, "command %d: %u ops, result %d, %u reply ops\n", n,
                    (unsigned)m.h.n_ops, rc, (unsigned)reply.h.n_ops);

        rec = record_of(&store, digest);
        take(&after, rec);
        if (rc != AW_OK && !same(&before, &after))
            broken("a failed command leaves the record as it was");
        check_bins(rec, was_sorted);
        aw_buf_free(&before.bins);
        aw_buf_free(&after.bins);
    }
    aw_buf_free(&req);
    aw_buf_free(&out);
    td_store_free(&store);
    return 0;
}
