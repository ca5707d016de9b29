/*
 * aerowire/policy.h — the policy enums that change what goes on the wire.
 */
#ifndef AEROWIRE_POLICY_H
#define AEROWIRE_POLICY_H

#ifdef __cplusplus
extern "C" {
#endif

/* What a write requires of the record's prior existence. */
typedef enum aw_exists_policy {
    AW_EXISTS_UPDATE = 0,          /* create or merge bins (the default; "ignore") */
    AW_EXISTS_UPDATE_ONLY,         /* must exist; merge bins */
    AW_EXISTS_REPLACE,             /* create, or replace all bins */
    AW_EXISTS_REPLACE_ONLY,        /* must exist; replace all bins */
    AW_EXISTS_CREATE_ONLY,         /* must not exist */
} aw_exists_policy;

/* Generation check applied to a write or delete. */
typedef enum aw_gen_policy {
    AW_GEN_IGNORE = 0,
    AW_GEN_EQ,  /* apply only if the record's generation == expected */
    AW_GEN_GT,  /* apply only if expected > the record's generation */
} aw_gen_policy;

typedef enum aw_commit_level {
    AW_COMMIT_ALL = 0,
    AW_COMMIT_MASTER,
} aw_commit_level;

#ifdef __cplusplus
}
#endif
#endif
