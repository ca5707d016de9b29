/*
 * The info commands of secondary indexes, truncate and jobs
 * (wire-protocol.md §9.7, §9.8, §9.10): request texts as the official C
 * client words them for servers >= 8.1, and parsers for their answers.
 */
#ifndef AW_PROTO_SINDEX_INFO_H
#define AW_PROTO_SINDEX_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/query.h"
#include "buf.h"

/* Each appends one command (no '\n', NUL-terminated after out->len) and
 * returns AW_OK, AW_ERR_PARAM / AW_ERR_BAD_NAME (a missing name, one over
 * its limit or holding a character of the command syntax, a bad enum, a
 * context or expression together with what excludes it), AW_ERR_NOMEM. */
int aw_sindex_create_cmd(aw_buf *out, const aw_index_spec *s, aw_error *err);
/* "sindex-stat", "sindex-delete" or "sindex-exists" of ns/name. */
int aw_sindex_named_cmd(aw_buf *out, const char *verb, const char *ns, const char *name,
                        aw_error *err);
int aw_sindex_list_cmd(aw_buf *out, const char *ns, aw_error *err);
int aw_truncate_cmd(aw_buf *out, const char *ns, const char *set, uint64_t before_unix_ns,
                    aw_error *err);
int aw_job_show_cmd(aw_buf *out, uint64_t job_id, aw_error *err);

/* `sindex-stat` value: its load_pct (0..100). AW_ERR_PROTO when absent. */
int aw_sindex_stat_load_pct(const char *v, size_t len, int *pct, aw_error *err);
/* `sindex-list` value: every entry into *out (aw_free), *n. */
int aw_sindex_list_parse(const char *v, size_t len, aw_index_info **out, size_t *n,
                         aw_error *err);
/* One node's `query-show:id=` value: *active, progress, counts added into
 * *info (progress: the lower of the two). A job the node does not know
 * (`ERROR:2:...`) leaves *found false. Other ERROR values give their code. */
int aw_job_show_parse(const char *v, size_t len, bool *found, bool *active, aw_job_info *info,
                      aw_error *err);

#endif
