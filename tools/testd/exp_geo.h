/* aw-testd: the GeoJSON it understands — points (stored in bins, compared
 * in expressions) and AeroCircles (expression regions). */
#ifndef TD_EXP_GEO_H
#define TD_EXP_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TD_GEO_OK = 0, TD_GEO_UNSUPPORTED = -1 };

typedef struct td_geo {
    bool is_circle;
    double lng, lat;   /* a point, or the circle's centre (degrees) */
    double radius_m;   /* circle */
} td_geo;

/* Reads {"type":"Point","coordinates":[lng,lat]} or {"type":"AeroCircle",
 * "coordinates":[[lng,lat],radius]}. Anything else — other shapes, JSON
 * this small reader does not take, coordinates out of range — is
 * TD_GEO_UNSUPPORTED. */
int td_geo_parse(const char *json, size_t len, td_geo *out);

/* The S2 leaf cell id the server stores for a point (geojson.cc: S2CellId
 * FromLatLng, as the particle's one cell). */
uint64_t td_geo_cell_id(double lng, double lat);

/* geo_point_within for a point (its leaf cell's centre, as the server
 * tests it) and an AeroCircle (an S2Cap of radius / 6371000 m). */
bool td_geo_point_in_circle(uint64_t cell_id, const td_geo *circle);

/* The particle bytes the server stores for GeoJSON text (flags 0, one
 * cell, the cell id, the text as sent): points only; anything else is
 * TD_GEO_UNSUPPORTED (a region's cells come from S2's region coverer). On
 * success *out (malloc'd) holds *out_len bytes. */
int td_geo_particle(const char *json, size_t len, uint8_t **out, uint32_t *out_len);

#endif
