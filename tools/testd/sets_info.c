/*
 * `sets`, `sets/NS` and `sets/NS/SET` (the server's info_get_sets and
 * as_namespace_get_set_info): per set of the namespace, this node's copies
 * (master and replica partitions it holds) of the live records, then the
 * set's configuration, in the 8.1.2.0 server's keys and order. aw-testd
 * keeps no set table: a set is listed while some record of the namespace
 * is in it (the server keeps a set once made); it keeps no storage format
 * (data_used_bytes 0) and no tombstones, and its set truncates remove the
 * records at once without a cut-off to report (truncate_lut 0).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "info_param.h"
#include "internal.h"
#include "sindex.h"

typedef struct set_count {
    char name[AW_SET_MAX + 1];
    uint64_t objects;           /* this node's copies */
} set_count;

/* The sets of ns (first seen first) with this node's object counts; *n of
 * them, malloc'd; NULL with *n 0 when there is none or no memory. */
static set_count *count_sets(const td_node *n, td_namespace *ns, size_t *n_sets) {
    const td_server *s = n->srv;
    uint32_t now = td_store_now(&s->store);
    set_count *sets = NULL;
    size_t count = 0, cap = 0;
    for (size_t b = 0; b < ns->n_buckets; b++)
        for (const td_record *r = ns->buckets[b]; r; r = r->next) {
            if (!r->set[0] || (r->void_time && r->void_time <= now))
                continue;
            size_t i = 0;
            while (i < count && strcmp(sets[i].name, r->set) != 0)
                i++;
            if (i == count) {
                if (count == cap) {
                    cap = cap ? 2 * cap : 8;
                    set_count *grown = realloc(sets, cap * sizeof *sets);
                    if (!grown) {
                        free(sets);
                        *n_sets = 0;
                        return NULL;
                    }
                    sets = grown;
                }
                memset(&sets[count], 0, sizeof sets[count]);
                strcpy(sets[count++].name, r->set);
            }
            uint32_t pid = aw_partition_id(r->digest);
            for (int k = 0; k < s->replication; k++)
                sets[i].objects += s->owner[pid][k] == n->index;
        }
    *n_sets = count;
    return sets;
}

static uint32_t indexes_on(const td_namespace *ns, const char *set) {
    uint32_t k = 0;
    for (size_t i = 0; ns->sindexes && i < TD_MAX_SINDEXES; i++)
        k += ns->sindexes->slot[i] && strcmp(ns->sindexes->slot[i]->set, set) == 0;
    return k;
}

/* One set's values, from objects on (no ns= and set=: sets/NS/SET). */
static void put_values(aw_buf *b, const td_namespace *ns, const set_count *c) {
    td_info_putf(b,
                 "objects=%" PRIu64 ":tombstones=0:data_used_bytes=0:truncate_lut=0:sindexes=%u:"
                 "index_populating=false:truncating=false:default-read-touch-ttl-pct=0:"
                 "default-ttl=0:disable-eviction=false:enable-index=false:stop-writes-count=0:"
                 "stop-writes-size=0;",
                 c->objects, indexes_on(ns, c->name));
}

static void put_ns_sets(const td_node *n, aw_buf *b, td_namespace *ns, const char *only) {
    size_t count;
    set_count *sets = count_sets(n, ns, &count);
    for (size_t i = 0; i < count; i++) {
        if (only && strcmp(sets[i].name, only) != 0)
            continue;
        if (!only)
            td_info_putf(b, "ns=%s:set=%s:", ns->name, sets[i].name);
        put_values(b, ns, &sets[i]);
    }
    free(sets);
}

void td_sets_info(td_node *n, aw_buf *b, const char *args, size_t len) {
    td_store *st = &n->srv->store;
    const char *slash = memchr(args, '/', len);
    size_t ns_len = slash ? (size_t)(slash - args) : len;
    if (ns_len == 0) { /* `sets`, `sets/`: every namespace */
        for (size_t i = 0; i < st->n_ns; i++)
            put_ns_sets(n, b, &st->ns[i], NULL);
        return;
    }
    td_namespace *ns = td_store_ns(st, args, ns_len);
    if (!ns) {
        td_info_put(b, "ns_type=unknown");
        return;
    }
    size_t set_len = slash ? len - ns_len - 1 : 0;
    if (set_len == 0) { /* sets/NS; sets/NS/ answers nothing */
        if (!slash)
            put_ns_sets(n, b, ns, NULL);
        return;
    }
    char set[AW_SET_MAX + 1];
    if (set_len > AW_SET_MAX)
        return; /* no such set */
    memcpy(set, slash + 1, set_len);
    set[set_len] = '\0';
    put_ns_sets(n, b, ns, set);
}
