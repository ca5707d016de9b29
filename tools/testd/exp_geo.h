/* aw-testd: the GeoJSON it understands — points (stored in bins, compared
 * in expressions), and AeroCircles and one-ring Polygons (expression
 * regions). */
#ifndef TD_EXP_GEO_H
#define TD_EXP_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TD_GEO_OK = 0, TD_GEO_UNSUPPORTED = -1 };

#define TD_GEO_MAX_VERTICES 128

typedef enum td_geo_kind { TD_GEO_POINT, TD_GEO_CIRCLE, TD_GEO_POLYGON } td_geo_kind;

typedef struct td_geo {
    td_geo_kind kind;
    double lng, lat;   /* a point, or the circle's centre (degrees) */
    double radius_m;   /* circle */
    uint32_t n;        /* polygon: its vertices (the closing one dropped) as unit vectors */
    double v[TD_GEO_MAX_VERTICES][3];
} td_geo;

/* Reads {"type":"Point","coordinates":[lng,lat]}, {"type":"AeroCircle",
 * "coordinates":[[lng,lat],radius]} and {"type":"Polygon","coordinates":
 * [[[lng,lat],...]]} of one ring within 80 degrees of its centre. Anything
 * else — holes, other shapes, larger polygons, JSON this small reader does
 * not take, coordinates out of range — is TD_GEO_UNSUPPORTED. */
int td_geo_parse(const char *json, size_t len, td_geo *out);

/* The S2 leaf cell id the server stores for a point (geojson.cc: S2CellId
 * FromLatLng, as the particle's one cell). */
uint64_t td_geo_cell_id(double lng, double lat);

/* geo_point_within: whether a region (circle or polygon) contains a point,
 * given as its leaf cell (whose centre the server tests): 1 or 0, or -1
 * when the point is too close to a polygon's edge to tell. A circle is an
 * S2Cap of radius / 6371000 m; a polygon the smaller side of its ring
 * (S2Loop::Normalize), with geodesic edges. */
int td_geo_region_contains(const td_geo *region, uint64_t cell_id);

/* The particle bytes the server stores for GeoJSON text (flags 0, one
 * cell, the cell id, the text as sent): points only; anything else is
 * TD_GEO_UNSUPPORTED (a region's cells come from S2's region coverer). On
 * success *out (malloc'd) holds *out_len bytes. */
int td_geo_particle(const char *json, size_t len, uint8_t **out, uint32_t *out_len);

#endif
