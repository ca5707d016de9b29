/* libFuzzer target: reply messages. The input is treated as a reply body of
 * one or more messages; each is parsed and decoded into a record under a
 * small arena cap, every decoded value is read back (so ASan checks the
 * pointers), then freed. The whole input is also tried as a single-record
 * reply. */
#include <stddef.h>
#include <stdint.h>

#include "aerowire/record.h"
#include "proto/msg.h"
#include "proto/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every byte a value points at; the sum keeps the reads alive. */
static uint64_t touch_value(const aw_value *v) {
    uint64_t sum = v->type;
    switch (v->type) {
    case AW_STR:
    case AW_GEOJSON:
        for (uint32_t i = 0; i <= v->len; i++) /* decoded text has its NUL */
            sum += (uint8_t)v->u.str[i];
        break;
    case AW_BLOB:
        for (uint32_t i = 0; i < v->len; i++)
            sum += v->u.bytes[i];
        break;
    case AW_LIST:
        for (uint32_t i = 0; i < v->len; i++)
            sum += touch_value(&v->u.items[i]);
        break;
    case AW_MAP:
        for (uint32_t i = 0; i < 2 * (uint64_t)v->len; i++)
            sum += touch_value(&v->u.items[i]);
        break;
    default:
        sum += (uint64_t)v->u.i;
        break;
    }
    return sum;
}

static volatile uint64_t sink;

static void touch_record(const aw_record *rec) {
    uint64_t sum = rec->gen + rec->void_time;
    for (uint32_t i = 0; i < rec->n_bins; i++) {
        for (const char *c = rec->bins[i].name; *c; c++)
            sum += (uint8_t)*c;
        sum += touch_value(&rec->bins[i].value);
    }
    sink += sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Small enough that the cap is hit often; big enough for real records. */
    aw_decode_limits lim = {64 * 1024};
    size_t off = 0;
    while (off < size) {
        aw_msg_view m;
        size_t used;
        aw_error err;
        if (aw_msg_parse(data + off, size - off, &m, &used, &err) != AW_OK)
            break;
        aw_msg_iter it = aw_msg_fields(&m);
        aw_field_view f;
        while (aw_msg_next_field(&it, &f))
            sink += f.type + f.len + (f.len ? f.data[f.len - 1] : 0);
        aw_record rec;
        if (aw_record_from_msg(&m, &lim, &rec, &err) == AW_OK)
            touch_record(&rec);
        aw_record_free(&rec); /* also right after a failure: rec is left empty */
        off += used;
    }

    int result;
    aw_record rec;
    if (aw_reply_parse_record(data, size, &lim, &result, &rec, NULL) == AW_OK)
        touch_record(&rec);
    aw_record_free(&rec);
    return 0;
}
