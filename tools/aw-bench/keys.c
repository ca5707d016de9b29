/* aw-bench's key space; see keys.h. */
#include "keys.h"

#include <stdlib.h>
#include <string.h>

int ks_init(keyspace *ks, const char *ns, const char *set, uint64_t start, uint64_t count,
            bool precompute, aw_error *err) {
    memset(ks, 0, sizeof *ks);
    ks->start = start;
    ks->count = count;
    int rc = aw_key_init_int(&ks->tmpl, ns, set, (int64_t)start, err);
    if (rc != AW_OK)
        return rc;
    if (!precompute)
        return AW_OK; /* each command hashes its keys (ks_key) */
    ks->digests = malloc((size_t)count * AW_DIGEST_SIZE);
    if (!ks->digests)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for %llu key digests",
                            (unsigned long long)count);
    size_t set_len = strlen(ks->tmpl.set);
    for (uint64_t i = 0; i < count; i++) {
        aw_value v = aw_value_int((int64_t)(start + i));
        rc = aw_digest_compute(ks->tmpl.set, set_len, &v, ks->digests[i], err);
        if (rc != AW_OK) {
            ks_free(ks);
            return rc;
        }
    }
    return AW_OK;
}

void ks_free(keyspace *ks) {
    free(ks->digests);
    ks->digests = NULL;
}
