/* aw_namespaces and aw_sets (aerowire/info.h): every node asked, the
 * answers merged by proto/set_info.c. */
#include <stdio.h>
#include <string.h>

#include "aerowire/info.h"
#include "proto/info.h"
#include "proto/mem.h"
#include "proto/set_info.h"
#include "trace.h"

typedef struct each_node {
    const char *request;    /* the info name asked */
    aw_ns_list *namespaces; /* one of these two is filled */
    aw_set_list *sets;
    size_t knowing;         /* nodes that have the namespace */
    int rc;                 /* the first failure */
    aw_error err;
} each_node;

static void on_node(const char *node, int status, const char *reply, void *udata) {
    each_node *a = udata;
    if (a->rc != AW_OK)
        return;
    if (status != AW_OK) {
        a->rc = aw_error_set(&a->err, status, "node %s: %s", node, reply);
        return;
    }
    const char *v;
    size_t len;
    if (!aw_info_find(reply, strlen(reply), a->request, &v, &len)) {
        a->rc = aw_error_set(&a->err, AW_ERR_PROTO, "node %s: no '%s' in its answer", node,
                             a->request);
        return;
    }
    bool known = true;
    a->rc = a->namespaces ? aw_namespaces_parse(v, len, a->namespaces, &a->err)
                          : aw_sets_parse(v, len, a->sets, &known, &a->err);
    a->knowing += known;
}

/* Asks every node for request, each answer going to a's list; span is
 * the calling function's, `name`, ns. */
static int ask_every_node(aw_client *client, each_node *a, aw_tspan *span, const char *name,
                          const char *ns, aw_error *err) {
    char line[AW_NAMESPACE_MAX + 16];
    snprintf(line, sizeof line, "%s\n", a->request);
    aw_tspan_begin(span, client, AW_MT_INFO, name, ns, NULL, false, 0, 0);
    int rc = aw_info_ask_all(client, line, 0, on_node, a, span, err);
    if (rc == AW_OK && a->rc != AW_OK) {
        rc = a->rc;
        if (err)
            *err = a->err;
    }
    return rc;
}

int aw_namespaces(aw_client *client, aw_namespace_name **out, size_t *n, aw_error *err) {
    if (!client || !out || !n)
        return aw_error_set(err, AW_ERR_PARAM, "aw_namespaces: %s is NULL",
                            !client ? "client" : !out ? "out" : "n");
    *out = NULL;
    *n = 0;
    aw_ns_list list = {0};
    each_node a = {.request = "namespaces", .namespaces = &list};
    aw_tspan span;
    int rc = ask_every_node(client, &a, &span, "namespaces", NULL, err);
    aw_tspan_end(&span, rc, 0);
    if (rc != AW_OK) {
        aw_free(list.items);
        return rc;
    }
    *out = list.items;
    *n = list.n;
    return AW_OK;
}

int aw_sets(aw_client *client, const char *ns, aw_set_info **out, size_t *n, aw_error *err) {
    if (!client || !out || !n)
        return aw_error_set(err, AW_ERR_PARAM, "aw_sets: %s is NULL",
                            !client ? "client" : !out ? "out" : "n");
    *out = NULL;
    *n = 0;
    if (ns && (!ns[0] || strlen(ns) > AW_NAMESPACE_MAX || strpbrk(ns, ";:/\n\t")))
        return aw_error_set(err, AW_ERR_PARAM, "aw_sets: '%.40s' is no namespace name", ns);
    char request[AW_NAMESPACE_MAX + 8];
    snprintf(request, sizeof request, ns ? "sets/%s" : "sets", ns);
    aw_set_list list = {0};
    each_node a = {.request = request, .sets = &list};
    aw_tspan span;
    int rc = ask_every_node(client, &a, &span, "sets", ns, err);
    if (rc == AW_OK && a.knowing == 0)
        rc = aw_error_set(err, AW_ERR_NAMESPACE_NOT_FOUND, "aw_sets: no node has namespace %s",
                          ns);
    aw_tspan_end(&span, rc, 0);
    if (rc != AW_OK) {
        aw_free(list.items);
        return rc;
    }
    *out = list.items;
    *n = list.n;
    return AW_OK;
}
