/* Secondary-index, truncate and job info commands: texts and answers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/exp.h"
#include "base64.h"
#include "cdt.h"
#include "info.h"
#include "mem.h"
#include "sindex_info.h"

static const char *const TYPE_NAMES[] = {"NUMERIC", "STRING", "BLOB", "GEO2DSPHERE"};
static const char *const COLLECTION_NAMES[] = {"DEFAULT", "LIST", "MAPKEYS", "MAPVALUES"};

/* A name the command text carries: present, within max, and free of the
 * characters that separate the command's parts. */
static int check_word(const char *what, const char *s, size_t max, aw_error *err) {
    if (!s)
        return aw_error_set(err, AW_ERR_PARAM, "%s is NULL", what);
    size_t n = strnlen(s, max + 1);
    if (n == 0)
        return aw_error_set(err, AW_ERR_BAD_NAME, "%s is empty", what);
    if (n > max)
        return aw_error_set(err, AW_ERR_BAD_NAME, "%s '%.40s' is over %zu bytes", what, s, max);
    if (strpbrk(s, ";:=\n\t"))
        return aw_error_set(err, AW_ERR_PARAM, "%s '%s' holds one of ; : = or a tab/newline",
                            what, s);
    return AW_OK;
}

static void put_str(aw_buf *b, const char *s) {
    aw_buf_put(b, s, strlen(s));
}

/* NUL after the text (not counted), so the text can be used as a C string. */
static int finish(aw_buf *out, size_t start, aw_error *err) {
    aw_buf_u8(out, 0);
    if (!aw_buf_ok(out)) {
        out->len = start;
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for an info command");
    }
    out->len--;
    return AW_OK;
}

static int put_b64(aw_buf *out, const uint8_t *p, size_t n, aw_error *err) {
    char *s = aw_base64_encode(p, n);
    if (!s)
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for base64");
    put_str(out, s);
    aw_free(s);
    return AW_OK;
}

int aw_sindex_create_cmd(aw_buf *out, const aw_index_spec *s, aw_error *err) {
    if (!s)
        return aw_error_set(err, AW_ERR_PARAM, "index spec is NULL");
    int rc = check_word("namespace", s->ns, AW_NAMESPACE_MAX, err);
    if (rc == AW_OK && s->set)
        rc = check_word("set", s->set, AW_SET_MAX, err);
    if (rc == AW_OK)
        rc = check_word("index name", s->name, 255, err);
    if (rc == AW_OK && !s->exp)
        rc = check_word("bin", s->bin, AW_BIN_NAME_MAX, err);
    if (rc != AW_OK)
        return rc;
    if (s->exp && (s->bin || s->ctx))
        return aw_error_set(err, AW_ERR_PARAM, "an expression index takes no %s",
                            s->bin ? "bin" : "context");
    if ((unsigned)s->type > AW_INDEX_GEO2DSPHERE)
        return aw_error_set(err, AW_ERR_PARAM, "index type %d is unknown", (int)s->type);
    if ((unsigned)s->collection > AW_INDEX_MAPVALUES)
        return aw_error_set(err, AW_ERR_PARAM, "index collection %d is unknown",
                            (int)s->collection);
    size_t start = out->len;
    put_str(out, "sindex-create:namespace=");
    put_str(out, s->ns);
    if (s->set) {
        put_str(out, ";set=");
        put_str(out, s->set);
    }
    put_str(out, ";indexname=");
    put_str(out, s->name);
    if (s->ctx) {
        aw_buf ctx;
        aw_buf_init(&ctx);
        rc = aw_cdt_put_ctx_items(&ctx, s->ctx, 0, err);
        if (rc == AW_OK && !aw_buf_ok(&ctx))
            rc = aw_error_set(err, AW_ERR_NOMEM, "out of memory for the index context");
        if (rc == AW_OK) {
            put_str(out, ";context=");
            rc = put_b64(out, ctx.data, ctx.len, err);
        }
        aw_buf_free(&ctx);
    }
    if (rc == AW_OK && s->exp) {
        size_t n;
        const uint8_t *e = aw_exp_bytes(s->exp, &n);
        put_str(out, ";exp=");
        rc = put_b64(out, e, n, err);
    }
    if (rc != AW_OK) {
        out->len = start;
        return rc;
    }
    if (s->collection != AW_INDEX_DEFAULT) {
        put_str(out, ";indextype=");
        put_str(out, COLLECTION_NAMES[s->collection]);
    }
    if (!s->exp) {
        put_str(out, ";bin=");
        put_str(out, s->bin);
    }
    put_str(out, ";type=");
    put_str(out, TYPE_NAMES[s->type]);
    return finish(out, start, err);
}

int aw_sindex_named_cmd(aw_buf *out, const char *verb, const char *ns, const char *name,
                        aw_error *err) {
    int rc = check_word("namespace", ns, AW_NAMESPACE_MAX, err);
    if (rc == AW_OK)
        rc = check_word("index name", name, 255, err);
    if (rc != AW_OK)
        return rc;
    size_t start = out->len;
    put_str(out, verb);
    put_str(out, ":namespace=");
    put_str(out, ns);
    put_str(out, ";indexname=");
    put_str(out, name);
    return finish(out, start, err);
}

int aw_sindex_list_cmd(aw_buf *out, const char *ns, aw_error *err) {
    int rc = ns ? check_word("namespace", ns, AW_NAMESPACE_MAX, err) : AW_OK;
    if (rc != AW_OK)
        return rc;
    size_t start = out->len;
    put_str(out, "sindex-list");
    if (ns) {
        put_str(out, ":namespace=");
        put_str(out, ns);
    }
    return finish(out, start, err);
}

int aw_truncate_cmd(aw_buf *out, const char *ns, const char *set, uint64_t before_unix_ns,
                    aw_error *err) {
    int rc = check_word("namespace", ns, AW_NAMESPACE_MAX, err);
    if (rc == AW_OK && set)
        rc = check_word("set", set, AW_SET_MAX, err);
    if (rc != AW_OK)
        return rc;
    size_t start = out->len;
    put_str(out, set ? "truncate:namespace=" : "truncate-namespace:namespace=");
    put_str(out, ns);
    if (set) {
        put_str(out, ";set=");
        put_str(out, set);
    }
    if (before_unix_ns) {
        char lut[32];
        snprintf(lut, sizeof lut, ";lut=%" PRIu64, before_unix_ns);
        put_str(out, lut);
    }
    return finish(out, start, err);
}

int aw_job_show_cmd(aw_buf *out, uint64_t job_id, aw_error *err) {
    char s[48];
    snprintf(s, sizeof s, "query-show:id=%" PRIu64, job_id);
    size_t start = out->len;
    put_str(out, s);
    return finish(out, start, err);
}

/* --- Answers ----------------------------------------------------------------- */

int aw_sindex_stat_load_pct(const char *v, size_t len, int *pct, aw_error *err) {
    int rc = aw_info_error_value(v, len, err);
    if (rc != AW_OK)
        return rc;
    const char *p;
    size_t n;
    uint64_t x;
    if (!aw_info_item(v, len, ';', "load_pct", &p, &n) || !aw_info_u64(p, n, &x) || x > 100)
        return aw_error_set(err, AW_ERR_PROTO, "sindex-stat: no load_pct in '%.60s'", v);
    *pct = (int)x;
    return AW_OK;
}

/* One sindex-list entry: keys in the server's order, each value running to
 * the next key (an expression's text may hold ':'). */
static const char *const LIST_KEYS[] = {"ns=", ":indexname=", ":set=", ":bin=", ":type=",
                                        ":indextype=", ":context=", ":exp=", ":state="};
#define N_LIST_KEYS (sizeof LIST_KEYS / sizeof LIST_KEYS[0])

static bool value_is(const char *v, size_t n, const char *s) {
    return n == strlen(s) && strncasecmp(v, s, n) == 0;
}

static bool copy_word(char *dst, size_t cap, const char *v, size_t n) {
    if (value_is(v, n, "null"))
        n = 0;
    if (n >= cap)
        return false;
    memcpy(dst, v, n);
    dst[n] = 0;
    return true;
}

/* One entry at e[0..len): its keys in order, each value running to the next
 * key, the last (state) to the next ';'. *used = the entry's bytes. */
static int parse_entry(const char *e, size_t len, aw_index_info *out, size_t *used,
                       aw_error *err) {
    const char *val[N_LIST_KEYS];
    size_t vlen[N_LIST_KEYS];
    const char *p = e, *end = e + len;
    for (size_t k = 0; k < N_LIST_KEYS; k++) {
        size_t kl = strlen(LIST_KEYS[k]);
        if ((size_t)(end - p) < kl || memcmp(p, LIST_KEYS[k], kl) != 0)
            return aw_error_set(err, AW_ERR_PROTO, "sindex-list: expected '%s' in '%.60s'",
                                LIST_KEYS[k], e);
        p += kl;
        val[k] = p;
        const char *next;
        if (k + 1 < N_LIST_KEYS) {
            next = memmem(p, (size_t)(end - p), LIST_KEYS[k + 1], strlen(LIST_KEYS[k + 1]));
            if (!next)
                return aw_error_set(err, AW_ERR_PROTO, "sindex-list: no '%s' in '%.60s'",
                                    LIST_KEYS[k + 1], e);
        } else {
            next = memchr(p, ';', (size_t)(end - p));
            if (!next)
                next = end;
        }
        vlen[k] = (size_t)(next - p);
        p = next;
    }
    *used = (size_t)(p - e);
    memset(out, 0, sizeof *out);
    if (!copy_word(out->ns, sizeof out->ns, val[0], vlen[0]) ||
        !copy_word(out->name, sizeof out->name, val[1], vlen[1]) ||
        !copy_word(out->set, sizeof out->set, val[2], vlen[2]) ||
        !copy_word(out->bin, sizeof out->bin, val[3], vlen[3]))
        return aw_error_set(err, AW_ERR_PROTO, "sindex-list: a name over its limit in '%.60s'", e);
    bool type_ok = false, coll_ok = false;
    for (int t = 0; t <= AW_INDEX_GEO2DSPHERE; t++)
        if (value_is(val[4], vlen[4], TYPE_NAMES[t])) {
            out->type = (aw_index_type)t;
            type_ok = true;
        }
    for (int c = 0; c <= AW_INDEX_MAPVALUES; c++)
        if (value_is(val[5], vlen[5], COLLECTION_NAMES[c])) {
            out->collection = (aw_index_collection)c;
            coll_ok = true;
        }
    if (!type_ok || !coll_ok)
        return aw_error_set(err, AW_ERR_PROTO, "sindex-list: unknown type or index type in '%.60s'",
                            e);
    out->has_ctx = !value_is(val[6], vlen[6], "null");
    out->has_exp = !value_is(val[7], vlen[7], "null");
    out->readable = value_is(val[8], vlen[8], "RW");
    return AW_OK;
}

int aw_sindex_list_parse(const char *v, size_t len, aw_index_info **out, size_t *n,
                         aw_error *err) {
    int rc = aw_info_error_value(v, len, err);
    if (rc != AW_OK)
        return rc;
    while (len && (v[len - 1] == ';' || v[len - 1] == '\n'))
        len--;
    aw_index_info *list = NULL;
    size_t count = 0, cap = 0, pos = 0;
    while (pos < len) {
        if (count == cap) {
            cap = cap ? 2 * cap : 8;
            aw_index_info *grown = aw_realloc(list, cap * sizeof *list);
            if (!grown) {
                aw_free(list);
                return aw_error_set(err, AW_ERR_NOMEM, "out of memory for the index list");
            }
            list = grown;
        }
        size_t used = 0;
        if ((rc = parse_entry(v + pos, len - pos, &list[count], &used, err)) != AW_OK) {
            aw_free(list);
            return rc;
        }
        count++;
        pos += used + 1; /* and its ';' */
    }
    *out = list;
    *n = count;
    return AW_OK;
}

int aw_job_show_parse(const char *v, size_t len, bool *found, bool *active, aw_job_info *info,
                      aw_error *err) {
    int code;
    *found = false;
    *active = false;
    if (aw_info_value_error(v, len, &code, NULL, NULL) && code == AW_ERR_RECORD_NOT_FOUND)
        return AW_OK; /* this node does not know the job */
    int rc = aw_info_error_value(v, len, err);
    if (rc != AW_OK)
        return rc;
    const char *p;
    size_t n;
    uint64_t pct, ok = 0, failed = 0;
    if (!aw_info_item(v, len, ':', "status", &p, &n) || n < 4)
        return aw_error_set(err, AW_ERR_PROTO, "query-show: no status in '%.60s'", v);
    *found = true;
    *active = strncmp(p, "active", 6) == 0 || strncmp(p, "IN_PROGRESS", 11) == 0;
    if (aw_info_item(v, len, ':', "job-progress", &p, &n) && aw_info_u64(p, n, &pct) && pct <= 100 &&
        pct < info->progress_pct)
        info->progress_pct = (uint32_t)pct;
    if (aw_info_item(v, len, ':', "recs-succeeded", &p, &n) && aw_info_u64(p, n, &ok))
        info->records_succeeded += ok;
    if (aw_info_item(v, len, ':', "recs-failed", &p, &n) && aw_info_u64(p, n, &failed))
        info->records_failed += failed;
    return AW_OK;
}
