/*
 * The answers of `namespaces` and `sets` / `sets/NS` (aerowire/info.h),
 * one node's at a time, merged into one list over the nodes.
 */
#ifndef AW_PROTO_SET_INFO_H
#define AW_PROTO_SET_INFO_H

#include <stdbool.h>
#include <stddef.h>

#include "aerowire/info.h"

/* A growing list of namespaces: names not in it yet are appended. */
typedef struct aw_ns_list {
    aw_namespace_name *items;
    size_t n, cap;
} aw_ns_list;

/* A growing list of sets: a set already in it (same ns and name) gets this
 * node's counts added, a new one is appended. */
typedef struct aw_set_list {
    aw_set_info *items;
    size_t n, cap;
} aw_set_list;

/* `namespaces`: names separated by ';'. AW_ERR_PROTO for a name over
 * AW_NAMESPACE_MAX, the server's error code for an error value. */
int aw_namespaces_parse(const char *v, size_t len, aw_ns_list *list, aw_error *err);

/* `sets/NS` or `sets`: entries `ns=N:set=S:objects=...:key=value...`
 * separated by ';'. *known is false when the node does not have the
 * namespace (`ns_type=unknown`). Unknown keys are ignored; a missing ns or
 * set, a name over its limit or a count that is not a number is AW_ERR_PROTO. */
int aw_sets_parse(const char *v, size_t len, aw_set_list *list, bool *known, aw_error *err);

#endif
