/* Index filter constructors (aerowire/query.h). Nothing is copied: the
 * strings and bytes stay the caller's. */
#include <string.h>

#include "aerowire/query.h"

static aw_index_filter filter_new(aw_index_filter_kind kind, const char *bin) {
    aw_index_filter f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.bin = bin;
    return f;
}

static aw_index_filter filter_bytes(aw_index_filter_kind kind, const char *bin, const void *p,
                                    size_t len) {
    aw_index_filter f = filter_new(kind, bin);
    f.bytes = p;
    f.len = len;
    return f;
}

aw_index_filter aw_filter_range(const char *bin, int64_t lo, int64_t hi) {
    aw_index_filter f = filter_new(AW_FILTER_INT_RANGE, bin);
    f.begin = lo;
    f.end = hi;
    return f;
}

aw_index_filter aw_filter_equal_int(const char *bin, int64_t v) {
    return aw_filter_range(bin, v, v);
}

aw_index_filter aw_filter_equal_str(const char *bin, const char *s) {
    return filter_bytes(AW_FILTER_STR_EQUAL, bin, s, s ? strlen(s) : 0);
}

aw_index_filter aw_filter_equal_blob(const char *bin, const void *p, size_t len) {
    return filter_bytes(AW_FILTER_BLOB_EQUAL, bin, p, len);
}

aw_index_filter aw_filter_contains_range(const char *bin, aw_index_collection in, int64_t lo,
                                         int64_t hi) {
    aw_index_filter f = aw_filter_range(bin, lo, hi);
    f.collection = in;
    return f;
}

aw_index_filter aw_filter_contains_int(const char *bin, aw_index_collection in, int64_t v) {
    return aw_filter_contains_range(bin, in, v, v);
}

aw_index_filter aw_filter_contains_str(const char *bin, aw_index_collection in, const char *s) {
    aw_index_filter f = aw_filter_equal_str(bin, s);
    f.collection = in;
    return f;
}

aw_index_filter aw_filter_geo_within(const char *bin, const char *geojson) {
    return filter_bytes(AW_FILTER_GEO_WITHIN, bin, geojson, geojson ? strlen(geojson) : 0);
}

aw_index_filter aw_filter_geo_contains(const char *bin, const char *geojson_point) {
    return filter_bytes(AW_FILTER_GEO_CONTAINS, bin, geojson_point,
                        geojson_point ? strlen(geojson_point) : 0);
}

aw_index_filter aw_filter_geo_within_radius(const char *bin, double lng, double lat,
                                            double radius_m) {
    aw_index_filter f = filter_new(AW_FILTER_GEO_WITHIN_RADIUS, bin);
    f.lng = lng;
    f.lat = lat;
    f.radius_m = radius_m;
    return f;
}
