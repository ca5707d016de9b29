/* Small pieces the array calls share: versions, policies, messages. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "client/client_impl.h"
#include "numpy/array_internal.h"

/* Random rather than header + 1: two writers racing on one header would
 * otherwise write chunks under the same keys, and a version reused after
 * a delete could bring a dead array's chunks back. 64 random bits make
 * either a non-event. */
uint64_t aw_arr_random_version(void) {
    uint64_t v = 0;
    for (int tries = 0; tries < 4 && v == 0; tries++) {
        if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
            /* No entropy source: time, address and a counter still make
             * collisions between concurrent writers unlikely. */
            static _Atomic uint64_t counter;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            v = ((uint64_t)ts.tv_sec * 1000000007ull) ^ (uint64_t)ts.tv_nsec ^
                ((uint64_t)(uintptr_t)&ts << 17) ^ (counter++ * 0x9e3779b97f4a7c15ull);
        }
    }
    return v ? v : 1;
}

aw_policy aw_arr_write_policy(aw_client *client, const aw_policy *given) {
    return *aw_client_policy(client, given, true);
}

int aw_arr_no_filter(aw_client *client, const aw_policy *given, bool write, const char *what,
                     aw_error *err) {
    if (!aw_client_policy(client, given, write)->filter)
        return AW_OK;
    return aw_error_set(err, AW_ERR_PARAM,
                        "%s: an array takes no filter expression (it spans several records, "
                        "which a filter could split)",
                        what);
}

int aw_arr_conflict(int rc, aw_error *err, const char *what) {
    if (rc != AW_ERR_RECORD_GENERATION && rc != AW_ERR_RECORD_EXISTS)
        return rc;
    int r = aw_error_set(err, AW_ERR_RECORD_GENERATION,
                         "%s: another put or delete of this array changed its header at the "
                         "same moment (generation check); this call left nothing visible",
                         what);
    if (err)
        err->in_doubt = false;
    return r;
}

void aw_arr_warn(aw_error *err, const char *what, const aw_error *why) {
    if (!err)
        return;
    aw_error_reset(err);
    snprintf(err->message, sizeof err->message, "warning: %s: %.100s", what, why->message);
}
