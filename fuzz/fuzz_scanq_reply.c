/* libFuzzer target: the scan/query reply stream (src/proto/scanq_reader.c)
 * with the sink the engine uses: records decoded and their digests handed
 * to a partition cursor, PARTITION_DONE messages marking partitions.
 *
 * Input: u8 k (low 3 bits: cut points), k x u16 BE body lengths, then the
 * message bytes cut into k + 1 frame bodies.
 */
#include <stdlib.h>
#include <string.h>

#include "aerowire/record.h"
#include "proto/pstatus.h"
#include "proto/reply.h"
#include "proto/scanq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct sink {
    aw_partition_status *ps;
    uint64_t sum;
} sink;

static int on_record(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    sink *s = ctx;
    aw_decode_limits lim = {64 * 1024};
    aw_record rec;
    if (aw_record_from_msg(m, &lim, &rec, NULL) == AW_OK)
        s->sum += rec.n_bins;
    aw_record_free(&rec);
    aw_pstatus_on_record(s->ps, meta->digest, meta->bval);
    s->sum += meta->ns_len + meta->set_len + meta->key_len + (uint64_t)meta->bval;
    return m->h.generation == 0xdead ? 7 : 0; /* the early stop path */
}

static int on_pdone(void *ctx, uint32_t pid, int result) {
    sink *s = ctx;
    if (pid >= AW_PARTITIONS || result == 0)
        abort(); /* the reader promised both */
    aw_partition_info *p = aw_pstatus_part(s->ps, pid);
    if (p)
        p->retry = true;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t k = data[0] & 7, off = 1;
    if (size - off < 2 * k)
        return 0;
    size_t cuts[8];
    for (size_t i = 0; i < k; i++)
        cuts[i] = (size_t)(data[off + 2 * i] << 8 | data[off + 2 * i + 1]);
    off += 2 * k;
    aw_partition_filter f = aw_partition_filter_all();
    sink s = {NULL, 0};
    if (aw_partition_status_new(&f, &s.ps, NULL) != AW_OK)
        return 0;
    aw_scanq_sink sk = {&s, on_record, on_pdone};
    aw_scanq_reader r;
    aw_scanq_reader_init(&r);
    for (size_t i = 0; i <= k && off <= size; i++) {
        size_t n = i < k ? cuts[i] : size - off;
        if (n > size - off)
            n = size - off;
        /* each body in its own allocation, so reads past it are caught */
        uint8_t *body = malloc(n ? n : 1);
        memcpy(body, data + off, n);
        int rc = aw_scanq_reader_feed(&r, body, n, &sk, NULL);
        free(body);
        off += n;
        if (rc != AW_OK)
            break;
    }
    aw_partition_status_free(s.ps);
    return 0;
}
