/*
 * aw-testd: the secondary-index info commands, as S8.1.2
 * sindex/sindex_manager.c answers them: sindex-create (the same definition
 * under its name is "ok", under a new name renames the index, another
 * definition under its name is 200), sindex-delete ("ok" for a name it does
 * not have), sindex-exists, sindex-stat and sindex/<ns>/<name>, sindex-list.
 * The server keeps the definitions in SMD, one list for the cluster; so
 * does aw-testd, in the store its nodes share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aerowire/error.h"
#include "exp.h"
#include "exp_display.h"
#include "exp_internal.h"
#include "info_param.h"
#include "proto/arena.h"
#include "proto/base64.h"
#include "proto/msgpack.h"
#include "proto/particle.h"
#include "sindex.h"

#define NS_CAP 32       /* AS_ID_NAMESPACE_SZ */
#define B64_CAP 4096    /* CTX_B64_MAX_SZ / EXP_B64_MAX_SZ: generous */
#define TYPE_CAP 32
#define NOT_SERVED "ERROR:4:not served by aw-testd"

static const char *const ITYPE_NAMES[] = {"default", "list", "mapkeys", "mapvalues"};

static const char *ktype_name(uint8_t ktype) {
    switch (ktype) {
    case AW_PT_INTEGER:
        return "numeric";
    case AW_PT_STRING:
        return "string";
    case AW_PT_BLOB:
        return "blob";
    default:
        return "geo2dsphere";
    }
}

/* as_sindex_ktype_from_string; 0 for a name it does not know. */
static uint8_t ktype_from(const char *s) {
    static const uint8_t types[] = {AW_PT_INTEGER, AW_PT_STRING, AW_PT_BLOB, AW_PT_GEOJSON};
    for (size_t i = 0; i < 4; i++)
        if (strcasecmp(s, ktype_name(types[i])) == 0)
            return types[i];
    return 0;
}

/* Standard base64 with padding, as cf_b64_validate_and_decode takes it (the
 * bits under the padding are not checked); NULL for text that is not, or
 * when out of memory. *len gets the decoded size. */
static uint8_t *b64_decode(const char *s, size_t *len) {
    size_t n = strlen(s), bad;
    const char *why;
    uint8_t *out = malloc(n / 4 * 3 + 1);
    if (out && !aw_base64_decode(s, n, false, out, len, &bad, &why)) {
        free(out);
        return NULL;
    }
    return out;
}

/* A context: a msgpack list of (type, value) pairs (sindex.c
 * as_sindex_cdt_ctx_b64_decode). Returns NULL with the server's message in
 * *why, or with *why NULL for a context aw-testd does not follow. */
static uint8_t *ctx_decode(const char *b64, size_t *len, const char **why) {
    *why = "'context' invalid base64";
    uint8_t *p = b64_decode(b64, len);
    if (!p)
        return NULL;
    aw_arena a;
    aw_arena_init(&a, 0);
    aw_value v;
    size_t used;
    bool ok = aw_msgpack_read(p, *len, &v, &a, &used, NULL) == AW_OK && used == *len &&
              v.type == AW_LIST && v.len >= 2 && v.len % 2 == 0;
    bool followed = true;
    for (uint32_t i = 0; ok && i < v.len; i += 2) {
        ok = v.u.items[i].type == AW_INT;
        int64_t t = ok ? v.u.items[i].u.i : 0;
        followed &= t == 0x10 || t == 0x22; /* list index, map key */
    }
    aw_arena_free(&a);
    if (ok && followed)
        return p;
    free(p);
    *why = ok ? NULL : "'context' invalid cdt context";
    return NULL;
}

/* The particle type an expression's result makes (exp.c), by name. */
static const char *xt_name(uint8_t t) {
    static const char *const names[] = {"nil",  "bool", "numeric", "string",  "list", "map",
                                        "blob", "float", "geojson", "hll"};
    return t < sizeof names / sizeof *names ? names[t] : "unknown";
}

/* as_sindex_validate_exp + as_sindex_validate_exp_type: an expression that
 * builds, whose type is the key type (a default index) or the collection's.
 * Returns false with the answer written. */
/* What an index expression reads, as the exp.c builders flag it. */
typedef struct exp_reads {
    bool meta;       /* metadata other than the digest (AS_EXP_HAS_NON_DIGEST_META) */
    bool key;        /* the record key (AS_EXP_HAS_REC_KEY) */
    bool digest_mod; /* AS_EXP_HAS_DIGEST_MOD */
    bool bins;       /* a bin or its type (bins_info) */
} exp_reads;

static void reads_of(const exp_node *n, exp_reads *r) {
    r->meta |= n->code >= X_DEVICE_SIZE && n->code <= X_RECORD_SIZE;
    r->key |= n->code == X_KEY;
    r->digest_mod |= n->code == X_DIGEST_MOD;
    r->bins |= n->code == X_BIN || n->code == X_BIN_TYPE;
    for (uint32_t i = 0; i < n->n_kids; i++)
        reads_of(n->kids[i], r);
    for (uint32_t i = 0; n->code == X_CALL && i < n->n_parts; i++)
        if (n->parts[i].eval)
            reads_of(n->parts[i].eval, r);
}

static bool exp_ok(aw_buf *b, const uint8_t *exp, size_t len, td_sindex_itype itype,
                   uint8_t ktype) {
    aw_arena a;
    aw_arena_init(&a, 0);
    td_exp *e;
    int rc = td_exp_build(exp, len, &a, &e);
    uint8_t got = rc == AW_OK ? e->root->type : 0;
    exp_reads r = {0};
    if (rc == AW_OK) {
        reads_of(e->root, &r);
        td_exp_free(e);
    }
    aw_arena_free(&a);
    if (rc == AW_ERR_UNSUPPORTED_FEATURE) {
        td_info_put(b, NOT_SERVED);
        return false;
    }
    /* sindex.c parse_exp: no metadata but the digest's, no key, and a bin
     * or the digest modulo to read. */
    if (rc != AW_OK || r.meta || r.key || (!r.digest_mod && !r.bins)) {
        td_info_put(b, "ERROR:4:bad 'exp'");
        return false;
    }
    static const uint8_t by_ktype[] = {[AW_PT_INTEGER] = XT_INT, [AW_PT_STRING] = XT_STR,
                                       [AW_PT_BLOB] = XT_BLOB, [AW_PT_GEOJSON] = XT_GEO};
    uint8_t want = itype == TD_SI_DEFAULT ? by_ktype[ktype] : itype == TD_SI_LIST ? XT_LIST : XT_MAP;
    if (got != want) {
        td_info_putf(b, "ERROR:4:bad 'exp' - expression type '%s' does not match expected type '%s'",
                     xt_name(got), xt_name(want));
        return false;
    }
    return true;
}

/* sindex_manager.c build_smd_key. */
static char *smd_key(const char *ns, const td_sindex *si) {
    static const char itype_char[] = {'.', 'L', 'K', 'V'};
    char kc = si->ktype == AW_PT_INTEGER ? 'I' : si->ktype == AW_PT_STRING ? 'S'
                                              : si->ktype == AW_PT_BLOB  ? 'B' : 'G';
    const char *extra = si->exp_b64 ? si->exp_b64 : si->ctx_b64 ? si->ctx_b64 : "";
    size_t n = strlen(ns) + strlen(si->set) + strlen(si->bin) + strlen(extra) + 16;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s|%s|%s%s%s|%c|%c", ns, si->set, si->bin,
                 si->exp_b64 ? "|e" : si->ctx_b64 ? "|c" : "", extra, itype_char[si->itype], kc);
    return k;
}

static void sindex_free(td_sindex *si) {
    td_sindex_set one = {.slot = {si}};
    td_sindex_set_free(&one);
}

static td_sindex_set *set_of(td_namespace *ns) {
    if (!ns->sindexes)
        ns->sindexes = calloc(1, sizeof *ns->sindexes);
    return ns->sindexes;
}

/* Reads the definition's parameters in as_sindex_manager_sindex_create's
 * order into si; false with the answer written. */
static bool parse_definition(aw_buf *b, const char *p, size_t len, td_sindex *si) {
    char set[AW_SET_MAX + 1], itype[TYPE_CAP], ktype[TYPE_CAP], bin[AW_BIN_NAME_MAX + 1];
    char *b64 = malloc(B64_CAP);
    bool ok = false;
    if (!b64) {
        td_info_put(b, "ERROR:1:out of memory");
        return false;
    }
    param_result r = td_info_param_get(p, len, "indextype", itype, sizeof itype);
    if (r == PARAM_OK && strcasecmp(itype, "set") == 0) {
        td_info_put(b, NOT_SERVED); /* set indexes */
        goto done;
    }
    r = td_info_param_get(p, len, "set", set, sizeof set);
    if (td_info_param_usable(b, "set", set, r, false))
        snprintf(si->set, sizeof si->set, "%s", set);
    else if (r != PARAM_NOT_FOUND)
        goto done;
    r = td_info_param_get(p, len, "context", b64, B64_CAP);
    if (td_info_param_usable(b, "context", b64, r, false)) {
        const char *why;
        si->ctx = ctx_decode(b64, &si->ctx_len, &why);
        if (!si->ctx) {
            if (why)
                td_info_putf(b, "ERROR:4:%s", why);
            else
                td_info_put(b, NOT_SERVED); /* a context step aw-testd does not follow */
            goto done;
        }
        si->ctx_b64 = strdup(b64);
    } else if (r != PARAM_NOT_FOUND) {
        goto done;
    }
    r = td_info_param_get(p, len, "indextype", itype, sizeof itype);
    si->itype = TD_SI_DEFAULT;
    if (td_info_param_usable(b, "indextype", itype, r, false)) {
        size_t i = 0;
        while (i < 4 && strcasecmp(itype, ITYPE_NAMES[i]) != 0)
            i++;
        if (i == 4) {
            td_info_put(b, "ERROR:4:bad 'indextype' - must be one of 'default', 'list', 'mapkeys', "
                           "'mapvalues'");
            goto done;
        }
        si->itype = (td_sindex_itype)i;
    } else if (r != PARAM_NOT_FOUND) {
        goto done;
    }
    /* The deprecated indexdata=bin,type aw-testd does not take. */
    char indexdata[2];
    if (td_info_param_get(p, len, "indexdata", indexdata, sizeof indexdata) != PARAM_NOT_FOUND) {
        td_info_put(b, NOT_SERVED);
        goto done;
    }
    r = td_info_param_get(p, len, "type", ktype, sizeof ktype);
    if (!td_info_param_usable(b, "type", ktype, r, false)) {
        if (r == PARAM_NOT_FOUND)
            td_info_put(b, "ERROR:4:both 'indexdata' and 'type' are missing");
        goto done;
    }
    si->ktype = ktype_from(ktype);
    if (!si->ktype) {
        td_info_put(b, "ERROR:4:bad 'type' - must be one of 'numeric', 'string', 'blob', "
                       "'geo2dsphere'");
        goto done;
    }
    param_result br = td_info_param_get(p, len, "bin", bin, sizeof bin);
    bool has_bin = td_info_param_usable(b, "bin", bin, br, false);
    if (!has_bin && br != PARAM_NOT_FOUND)
        goto done;
    r = td_info_param_get(p, len, "exp", b64, B64_CAP);
    bool has_exp = td_info_param_usable(b, "exp", b64, r, false);
    if (!has_exp && r != PARAM_NOT_FOUND)
        goto done;
    if (has_bin == has_exp) {
        td_info_putf(b, "ERROR:4:both 'bin' and 'exp' are %s", has_bin ? "specified" : "missing");
        goto done;
    }
    if (has_exp) {
        if (si->ctx) {
            td_info_put(b, "ERROR:4:both 'context' and 'exp' are specified");
            goto done;
        }
        si->exp = b64_decode(b64, &si->exp_len);
        if (!si->exp) {
            td_info_put(b, "ERROR:4:bad 'exp'");
            goto done;
        }
        if (!exp_ok(b, si->exp, si->exp_len, si->itype, si->ktype))
            goto done;
        si->exp_b64 = strdup(b64);
    } else {
        snprintf(si->bin, sizeof si->bin, "%s", bin);
    }
    if (si->itype == TD_SI_MAPKEYS && si->ktype == AW_PT_GEOJSON) {
        td_info_put(b, "ERROR:4:bad 'indexdata' bin type for 'indextype' 'mapkeys' - must be one "
                       "of 'numeric', 'string', 'blob'");
        goto done;
    }
    ok = true;
done:
    free(b64);
    return ok;
}

/* Reads indexname and namespace (both required); the namespace must be one
 * aw-testd has when `local` (info_param_required_local_namespace_is_ok). */
static bool name_and_ns(td_store *st, aw_buf *b, const char *p, size_t len, char *name,
                        td_namespace **ns, bool local, char ns_name[NS_CAP]) {
    if (!td_info_param_usable(b, "indexname", name,
                              td_info_param_get(p, len, "indexname", name, TD_SINDEX_NAME_MAX),
                              true))
        return false;
    param_result r = td_info_param_get(p, len, "namespace", ns_name, NS_CAP);
    if (r == PARAM_NOT_FOUND) /* as_info_param_get_namespace_ns: ns= is the old name */
        r = td_info_param_get(p, len, "ns", ns_name, NS_CAP);
    if (!td_info_param_usable(b, "namespace", ns_name, r, true))
        return false;
    *ns = td_store_ns(st, ns_name, strlen(ns_name));
    if (local && !*ns) {
        td_info_put(b, "ERROR:20:namespace not found on node");
        return false;
    }
    return true;
}

static void create(td_store *st, aw_buf *b, const char *p, size_t len) {
    char name[TD_SINDEX_NAME_MAX], ns_name[NS_CAP];
    td_namespace *ns;
    if (!name_and_ns(st, b, p, len, name, &ns, false, ns_name))
        return;
    td_sindex *si = calloc(1, sizeof *si);
    if (!si) {
        td_info_put(b, "ERROR:1:out of memory");
        return;
    }
    snprintf(si->name, sizeof si->name, "%s", name);
    if (!parse_definition(b, p, len, si)) {
        sindex_free(si);
        return;
    }
    if (!(si->smd_key = smd_key(ns_name, si))) {
        sindex_free(si);
        td_info_put(b, "ERROR:1:out of memory");
        return;
    }
    /* A namespace the node does not have: SMD takes the definition and no
     * node builds it; aw-testd answers "ok" as the server does. */
    td_sindex_set *set = ns ? set_of(ns) : NULL;
    if (!set) {
        sindex_free(si);
        td_info_put(b, ns ? "ERROR:1:out of memory" : "ok");
        return;
    }
    td_sindex *same_name = td_sindex_find(set, name);
    if (same_name) {
        bool same = strcmp(same_name->smd_key, si->smd_key) == 0;
        sindex_free(si);
        td_info_put(b, same ? "ok"
                            : "ERROR:200:'indexname' already exists with different definition");
        return;
    }
    size_t free_slot = TD_MAX_SINDEXES;
    for (size_t i = 0; i < TD_MAX_SINDEXES; i++) {
        td_sindex *o = set->slot[i];
        if (o && strcmp(o->smd_key, si->smd_key) == 0) {
            /* The same definition under a new name: SMD's value (the name)
             * changes, the index stays (smd_sindex_create renames it). */
            snprintf(o->name, sizeof o->name, "%s", name);
            sindex_free(si);
            td_info_put(b, "ok");
            return;
        }
        if (!o && free_slot == TD_MAX_SINDEXES)
            free_slot = i;
    }
    if (free_slot == TD_MAX_SINDEXES) {
        sindex_free(si);
        td_info_put(b, "ERROR:206:already at sindex definition limit");
        return;
    }
    set->slot[free_slot] = si;
    td_info_put(b, "ok");
}

static void delete(td_store *st, aw_buf *b, const char *p, size_t len) {
    char name[TD_SINDEX_NAME_MAX], ns_name[NS_CAP];
    td_namespace *ns;
    if (!name_and_ns(st, b, p, len, name, &ns, false, ns_name))
        return;
    for (size_t i = 0; ns && ns->sindexes && i < TD_MAX_SINDEXES; i++) {
        td_sindex *si = ns->sindexes->slot[i];
        if (si && strcmp(si->name, name) == 0) {
            sindex_free(si);
            ns->sindexes->slot[i] = NULL;
        }
    }
    td_info_put(b, "ok"); /* a name it does not have too */
}

static td_sindex *lookup(td_namespace *ns, const char *name) {
    return ns->sindexes ? td_sindex_find(ns->sindexes, name) : NULL;
}

/* as_sindex_stats_str. used_bytes is the server's tree nodes times the
 * arena's element size: 4096 trees (one per partition) of one 4 KiB node
 * each while an index is small, which is all aw-testd claims. load_time:
 * aw-testd builds nothing (0 ms). */
static void stat(td_store *st, aw_buf *b, td_namespace *ns, const char *name) {
    td_sindex *si = lookup(ns, name);
    if (!si) {
        td_info_put(b, "ERROR:201:no index");
        return;
    }
    td_sindex_stats s;
    int rc = td_sindex_stats_of(si, st, ns, &s);
    if (rc == AW_ERR_UNSUPPORTED_FEATURE) {
        td_info_put(b, NOT_SERVED);
        return;
    }
    if (rc != AW_OK) {
        td_info_put(b, "ERROR:1:out of memory");
        return;
    }
    td_info_putf(b,
                 "entries=%llu;used_bytes=%u;entries_per_bval=%llu;entries_per_rec=%llu;"
                 "load_pct=100;load_time=0;stat_gc_recs=0",
                 (unsigned long long)s.entries, 4096u * 4096u, (unsigned long long)s.per_bval,
                 (unsigned long long)s.per_rec);
}

/* sindex.c as_sindex_list_str: the context and expression in base64 with
 * b64=true, else in the server's text forms (exp_display.c). */
static void list(td_store *st, aw_buf *b, const char *p, size_t len) {
    char ns_name[NS_CAP], b64s[6];
    param_result r = td_info_param_get(p, len, "namespace", ns_name, sizeof ns_name);
    if (r == PARAM_NOT_FOUND)
        r = td_info_param_get(p, len, "ns", ns_name, sizeof ns_name);
    bool one = td_info_param_usable(b, "namespace", ns_name, r, false);
    if (!one && r != PARAM_NOT_FOUND)
        return;
    td_namespace *only = one ? td_store_ns(st, ns_name, strlen(ns_name)) : NULL;
    if (one && !only) {
        td_info_put(b, "ERROR:20:namespace not found on node");
        return;
    }
    r = td_info_param_get(p, len, "b64", b64s, sizeof b64s);
    bool b64 = false;
    if (td_info_param_usable(b, "b64", b64s, r, false)) {
        if (strcmp(b64s, "true") != 0 && strcmp(b64s, "false") != 0) {
            td_info_put(b, "ERROR:4:bad b64");
            return;
        }
        b64 = strcmp(b64s, "true") == 0;
    } else if (r != PARAM_NOT_FOUND) {
        return;
    }
    size_t at = b->len;
    for (size_t n = 0; n < st->n_ns; n++) {
        td_namespace *ns = &st->ns[n];
        for (size_t i = 0; (!only || ns == only) && ns->sindexes && i < TD_MAX_SINDEXES; i++) {
            td_sindex *si = ns->sindexes->slot[i];
            if (!si)
                continue;
            td_info_putf(b, "ns=%s:indexname=%s:set=%s:bin=%s:type=%s:indextype=%s:context=",
                         ns->name, si->name, si->set[0] ? si->set : "null",
                         si->bin[0] ? si->bin : "null", ktype_name(si->ktype),
                         ITYPE_NAMES[si->itype]);
            if (!si->ctx)
                td_info_put(b, "null");
            else if (b64)
                td_info_put(b, si->ctx_b64);
            else
                td_ctx_display(si->ctx, si->ctx_len, b);
            td_info_put(b, ":exp=");
            if (!si->exp)
                td_info_put(b, "null");
            else if (b64)
                td_info_put(b, si->exp_b64);
            else
                td_exp_display(si->exp, si->exp_len, b);
            td_info_put(b, ":state=RW;");
        }
    }
    if (b->len > at && b->data[b->len - 1] == ';')
        b->len--; /* cf_dyn_buf_chomp_char */
}

bool td_sindex_info(td_store *st, aw_buf *b, const char *name, const char *args, size_t len,
                    bool slash) {
    char iname[TD_SINDEX_NAME_MAX], ns_name[NS_CAP];
    td_namespace *ns;
    if (strcmp(name, "sindex-create") == 0) {
        create(st, b, args, len);
    } else if (strcmp(name, "sindex-delete") == 0) {
        delete(st, b, args, len);
    } else if (strcmp(name, "sindex-exists") == 0) {
        if (name_and_ns(st, b, args, len, iname, &ns, true, ns_name))
            td_info_put(b, lookup(ns, iname) ? "true" : "false");
    } else if (strcmp(name, "sindex-stat") == 0) {
        if (name_and_ns(st, b, args, len, iname, &ns, true, ns_name))
            stat(st, b, ns, iname);
    } else if (strcmp(name, "sindex-list") == 0) {
        list(st, b, args, len);
    } else if (strcmp(name, "sindex") == 0 && slash) {
        /* sindex/<ns>/<name>: the index's statistics; sindex/<ns> is not served. */
        const char *sep = memchr(args, '/', len);
        if (!sep)
            return false;
        size_t nl = (size_t)(sep - args), il = len - nl - 1;
        ns = td_store_ns(st, args, nl);
        if (!ns) {
            td_info_put(b, "ERROR:20:namespace not found");
            return true;
        }
        snprintf(iname, sizeof iname, "%.*s", (int)(il < sizeof iname ? il : sizeof iname - 1),
                 sep + 1);
        stat(st, b, ns, iname);
    } else {
        return false;
    }
    return true;
}
