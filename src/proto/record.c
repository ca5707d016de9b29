/* Records returned to the caller (aerowire/record.h). */
#include "aerowire/record.h"

#include <string.h>

#include "arena.h"

const aw_value *aw_record_get(const aw_record *rec, const char *name) {
    if (!rec || !name || !rec->bins)
        return NULL;
    /* From the end: when operate answers once per op, several results share
     * a name and the last op's result is the bin's final state. */
    for (uint32_t i = rec->n_bins; i-- > 0;)
        if (rec->bins[i].name && strcmp(rec->bins[i].name, name) == 0)
            return &rec->bins[i].value;
    return NULL;
}

void aw_record_free(aw_record *rec) {
    if (!rec)
        return;
    aw_arena_free_blocks(rec->priv_mem); /* bins, names and values all live there */
    memset(rec, 0, sizeof *rec);
}

uint32_t aw_void_time_to_ttl(uint32_t void_time, uint64_t unix_now) {
    if (void_time == 0)
        return AW_TTL_NEVER_EXPIRE;
    uint64_t now = unix_now > AW_CITRUSLEAF_EPOCH ? unix_now - AW_CITRUSLEAF_EPOCH : 0;
    /* Past its void time but not yet removed by the server: report 1 second left. */
    return void_time > now ? (uint32_t)(void_time - now) : 1;
}
