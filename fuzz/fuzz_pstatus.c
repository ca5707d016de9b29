/* libFuzzer target: a partition cursor's byte form. Whatever the bytes,
 * reading either refuses them or yields a cursor that writes back to the
 * very same bytes. */
#include <stdlib.h>
#include <string.h>

#include "aerowire/client.h"
#include "aerowire/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    aw_partition_status *ps;
    if (aw_partition_status_read(data, size, &ps, NULL) != AW_OK)
        return 0;
    uint8_t *out;
    size_t n;
    if (aw_partition_status_write(ps, &out, &n, NULL) != AW_OK)
        abort();
    if (n != size || memcmp(out, data, n) != 0)
        abort();
    aw_free(out);
    aw_partition_status_free(ps);
    return 0;
}
