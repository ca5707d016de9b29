/* See backoff.h. */
#include "backoff.h"

#include "aerowire/error.h"

bool backoff_is_instant_failure(int rc) {
    switch (rc) {
    case AW_ERR_MAX_ERROR_RATE:
    case AW_ERR_NO_MORE_CONNECTIONS:
    case AW_ERR_INVALID_NODE:
    case AW_ERR_CONNECTION:
        return true;
    default:
        return false;
    }
}

uint32_t backoff_after(uint32_t *streak_ms, int rc, uint32_t max_ms) {
    if (max_ms == 0 || !backoff_is_instant_failure(rc)) {
        *streak_ms = 0;
        return 0;
    }
    uint32_t next = *streak_ms ? *streak_ms * 2 : 1;
    *streak_ms = next < max_ms ? next : max_ms;
    return *streak_ms;
}
