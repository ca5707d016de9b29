/* Range checks for the enums of a caller's aw_policy. */
#include "policy_check.h"

#include "proto/request.h"

int aw_policy_check(const aw_policy *p, const char *what, aw_error *err) {
    if (!p)
        return aw_error_set(err, AW_ERR_PARAM, "%s is NULL", what);
    if ((unsigned)p->replica > AW_REPLICA_PREFER_RACK)
        return aw_error_set(err, AW_ERR_PARAM, "%s: replica %d is not an aw_replica_policy", what,
                            (int)p->replica);
    if ((unsigned)p->pool > AW_POOL_FAIL)
        return aw_error_set(err, AW_ERR_PARAM, "%s: pool %d is not an aw_pool_policy", what,
                            (int)p->pool);
    if ((unsigned)p->exists > AW_EXISTS_CREATE_ONLY)
        return aw_error_set(err, AW_ERR_PARAM, "%s: exists %d is not an aw_exists_policy", what,
                            (int)p->exists);
    if ((unsigned)p->gen > AW_GEN_GT)
        return aw_error_set(err, AW_ERR_PARAM, "%s: gen %d is not an aw_gen_policy", what,
                            (int)p->gen);
    if ((unsigned)p->commit_level > AW_COMMIT_MASTER)
        return aw_error_set(err, AW_ERR_PARAM, "%s: commit_level %d is not an aw_commit_level",
                            what, (int)p->commit_level);
    return aw_check_filter(p->filter, err);
}
