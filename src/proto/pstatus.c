/* The partition cursor: creation, queries, per-record and per-node updates,
 * and its byte form. */
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "mem.h"
#include "pstatus.h"

aw_partition_filter aw_partition_filter_all(void) {
    return aw_partition_filter_range(0, AW_PARTITIONS);
}

aw_partition_filter aw_partition_filter_range(uint32_t begin, uint32_t count) {
    aw_partition_filter f;
    memset(&f, 0, sizeof f);
    f.begin = begin;
    f.count = count;
    return f;
}

aw_partition_filter aw_partition_filter_id(uint32_t id) {
    return aw_partition_filter_range(id, 1);
}

aw_partition_filter aw_partition_filter_after(const uint8_t digest[AW_DIGEST_SIZE]) {
    aw_partition_filter f = aw_partition_filter_range(0, 1);
    if (digest) {
        f.begin = aw_partition_id(digest);
        f.has_digest = true;
        memcpy(f.digest, digest, AW_DIGEST_SIZE);
    }
    return f;
}

static aw_partition_status *pstatus_alloc(uint32_t begin, uint32_t count) {
    aw_partition_status *ps =
        aw_calloc(1, sizeof *ps + (size_t)count * sizeof(aw_partition_info));
    if (!ps)
        return NULL;
    ps->begin = begin;
    ps->count = count;
    for (uint32_t i = 0; i < count; i++)
        ps->parts[i].id = begin + i;
    return ps;
}

static int check_range(uint32_t begin, uint32_t count, aw_error *err) {
    if (count == 0)
        return aw_error_set(err, AW_ERR_PARAM, "partition filter: count is 0");
    if (begin >= AW_PARTITIONS || count > AW_PARTITIONS - begin)
        return aw_error_set(err, AW_ERR_PARAM,
                            "partition filter: %u partitions from %u leave 0..%u", count, begin,
                            AW_PARTITIONS - 1);
    return AW_OK;
}

int aw_partition_status_new(const aw_partition_filter *f, aw_partition_status **out,
                            aw_error *err) {
    if (!f || !out)
        return aw_error_set(err, AW_ERR_PARAM, "partition status: %s is NULL",
                            f ? "out" : "filter");
    int rc = check_range(f->begin, f->count, err);
    if (rc != AW_OK)
        return rc;
    if (f->has_digest && (f->count != 1 || aw_partition_id(f->digest) != f->begin))
        return aw_error_set(err, AW_ERR_PARAM,
                            "partition filter: a digest resumes its own partition (%u) only",
                            aw_partition_id(f->digest));
    aw_partition_status *ps = pstatus_alloc(f->begin, f->count);
    if (!ps)
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for a partition status");
    if (f->has_digest) {
        ps->parts[0].has_digest = true;
        memcpy(ps->parts[0].digest, f->digest, AW_DIGEST_SIZE);
    }
    *out = ps;
    return AW_OK;
}

void aw_partition_status_free(aw_partition_status *ps) {
    aw_free(ps);
}

bool aw_partition_status_done(const aw_partition_status *ps) {
    if (!ps)
        return false;
    for (uint32_t i = 0; i < ps->count; i++)
        if (!ps->parts[i].done)
            return false;
    return true;
}

uint32_t aw_partition_status_count(const aw_partition_status *ps) {
    return ps ? ps->count : 0;
}

aw_partition_info *aw_pstatus_part(aw_partition_status *ps, uint32_t id) {
    if (!ps || id < ps->begin || id - ps->begin >= ps->count)
        return NULL;
    return &ps->parts[id - ps->begin];
}

int aw_partition_status_get(const aw_partition_status *ps, uint32_t id, aw_partition_info *out,
                            aw_error *err) {
    if (!ps || !out)
        return aw_error_set(err, AW_ERR_PARAM, "partition status: %s is NULL",
                            ps ? "out" : "status");
    const aw_partition_info *p = aw_pstatus_part((aw_partition_status *)ps, id);
    if (!p)
        return aw_error_set(err, AW_ERR_PARAM, "partition %u is not in this status (%u..%u)",
                            id, ps->begin, ps->begin + ps->count - 1);
    *out = *p;
    return AW_OK;
}

bool aw_pstatus_on_record(aw_partition_status *ps, const uint8_t digest[AW_DIGEST_SIZE],
                          int64_t bval) {
    aw_partition_info *p = aw_pstatus_part(ps, aw_partition_id(digest));
    if (!p)
        return false;
    p->has_digest = true;
    memcpy(p->digest, digest, AW_DIGEST_SIZE);
    p->bval = bval;
    return true;
}

void aw_pstatus_node_end(aw_partition_info *const *parts, size_t n, bool complete) {
    if (!complete)
        return;
    for (size_t i = 0; i < n; i++)
        if (!parts[i]->retry)
            parts[i]->done = true;
}

/* --- Byte form ------------------------------------------------------------------
 * "AWPS", version, 0, begin u16 LE, count u16 LE (4096 fits), then per
 * partition a flags byte (done, has_digest, retry) followed, with a digest,
 * by the digest and the bval (i64 LE); last a CRC-32 (LE) of everything
 * before it. */
#define PS_MAGIC "AWPS"
#define PS_VERSION 1
#define PS_HEAD 10
#define PS_DONE 0x01
#define PS_DIGEST 0x02
#define PS_RETRY 0x04

static void put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int aw_partition_status_write(const aw_partition_status *ps, uint8_t **bytes, size_t *len,
                              aw_error *err) {
    if (!ps || !bytes || !len)
        return aw_error_set(err, AW_ERR_PARAM, "partition status write: %s is NULL",
                            !ps ? "status" : !bytes ? "bytes" : "len");
    size_t n = PS_HEAD + 4;
    for (uint32_t i = 0; i < ps->count; i++)
        n += 1 + (ps->parts[i].has_digest ? AW_DIGEST_SIZE + 8 : 0);
    uint8_t *b = aw_malloc(n);
    if (!b)
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for a partition status");
    memcpy(b, PS_MAGIC, 4);
    b[4] = PS_VERSION;
    b[5] = 0;
    put_le(b + 6, ps->begin, 2);
    put_le(b + 8, ps->count, 2);
    uint8_t *p = b + PS_HEAD;
    for (uint32_t i = 0; i < ps->count; i++) {
        const aw_partition_info *pi = &ps->parts[i];
        *p++ = (uint8_t)((pi->done ? PS_DONE : 0) | (pi->has_digest ? PS_DIGEST : 0) |
                         (pi->retry ? PS_RETRY : 0));
        if (pi->has_digest) {
            memcpy(p, pi->digest, AW_DIGEST_SIZE);
            put_le(p + AW_DIGEST_SIZE, (uint64_t)pi->bval, 8);
            p += AW_DIGEST_SIZE + 8;
        }
    }
    put_le(p, crc32(0L, b, (uInt)(n - 4)), 4);
    *bytes = b;
    *len = n;
    return AW_OK;
}

static int corrupt(aw_error *err, const char *why) {
    return aw_error_set(err, AW_ERR_PARAM, "partition status bytes: %s", why);
}

int aw_partition_status_read(const uint8_t *bytes, size_t len, aw_partition_status **out,
                             aw_error *err) {
    if (!bytes || !out)
        return aw_error_set(err, AW_ERR_PARAM, "partition status read: %s is NULL",
                            bytes ? "out" : "bytes");
    if (len < PS_HEAD + 4 || memcmp(bytes, PS_MAGIC, 4) != 0)
        return corrupt(err, "not a partition status");
    if (bytes[4] != PS_VERSION || bytes[5] != 0)
        return aw_error_set(err, AW_ERR_PARAM,
                            "partition status bytes: version %u, this client reads %u",
                            bytes[4], PS_VERSION);
    if (get_le(bytes + len - 4, 4) != crc32(0L, bytes, (uInt)(len - 4)))
        return corrupt(err, "checksum mismatch (truncated or altered)");
    uint32_t begin = (uint32_t)get_le(bytes + 6, 2), count = (uint32_t)get_le(bytes + 8, 2);
    if (check_range(begin, count, NULL) != AW_OK)
        return corrupt(err, "partition range out of 0..4095");
    aw_partition_status *ps = pstatus_alloc(begin, count);
    if (!ps)
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for a partition status");
    const uint8_t *p = bytes + PS_HEAD, *end = bytes + len - 4;
    const char *why = NULL;
    for (uint32_t i = 0; i < count && !why; i++) {
        aw_partition_info *pi = &ps->parts[i];
        if (p >= end) {
            why = "fewer partitions than its count";
            break;
        }
        uint8_t flags = *p++;
        if (flags & ~(PS_DONE | PS_DIGEST | PS_RETRY)) {
            why = "unknown partition flags";
            break;
        }
        pi->done = flags & PS_DONE;
        pi->retry = flags & PS_RETRY;
        if (flags & PS_DIGEST) {
            if ((size_t)(end - p) < AW_DIGEST_SIZE + 8) {
                why = "a digest cut short";
                break;
            }
            pi->has_digest = true;
            memcpy(pi->digest, p, AW_DIGEST_SIZE);
            pi->bval = (int64_t)get_le(p + AW_DIGEST_SIZE, 8);
            p += AW_DIGEST_SIZE + 8;
            if (aw_partition_id(pi->digest) != pi->id)
                why = "a digest stored under another partition";
        }
    }
    if (!why && p != end)
        why = "bytes after the last partition";
    if (why) {
        aw_free(ps);
        return corrupt(err, why);
    }
    *out = ps;
    return AW_OK;
}
