/*
 * aw-testd: GeoJSON points and AeroCircles (see exp_geo.h).
 *
 * The server computes, for a stored point, the id of the S2 leaf cell that
 * holds it (as/src/geospatial/geojson.cc, the S2 library's quadratic
 * projection and Hilbert curve) and tests "point within circle" on that
 * cell's centre against an S2Cap whose angle is radius / earth radius
 * (namespace geo2dsphere-within.earth-radius-meters, 6371000 by default).
 */
#include "exp_geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EARTH_RADIUS_M 6371000.0
#define MAX_LEVEL 30
#define MAX_JSON_DEPTH 32

typedef struct jcur {
    const char *p, *end;
} jcur;

static void ws(jcur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool lit(jcur *c, char ch) {
    ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string without escapes (an escape is not taken: unsupported). */
static bool str(jcur *c, const char **s, size_t *n) {
    if (!lit(c, '"'))
        return false;
    const char *start = c->p;
    while (c->p < c->end && *c->p != '"') {
        if (*c->p == '\\' || (unsigned char)*c->p < 0x20)
            return false;
        c->p++;
    }
    if (c->p >= c->end)
        return false;
    *s = start;
    *n = (size_t)(c->p - start);
    c->p++;
    return true;
}

static bool num(jcur *c, double *v) {
    ws(c);
    char buf[64];
    size_t n = 0;
    while (c->p + n < c->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", c->p[n]))
        n++;
    if (n == 0)
        return false;
    memcpy(buf, c->p, n);
    buf[n] = '\0';
    char *stop;
    *v = strtod(buf, &stop);
    if ((size_t)(stop - buf) != n || !isfinite(*v))
        return false;
    c->p += n;
    return true;
}

static bool skip_value(jcur *c, int depth) {
    ws(c);
    if (c->p >= c->end || depth > MAX_JSON_DEPTH)
        return false;
    const char *s;
    size_t n;
    double d;
    switch (*c->p) {
    case '"': return str(c, &s, &n);
    case '[':
        c->p++;
        if (lit(c, ']'))
            return true;
        do {
            if (!skip_value(c, depth + 1))
                return false;
        } while (lit(c, ','));
        return lit(c, ']');
    case '{':
        c->p++;
        if (lit(c, '}'))
            return true;
        do {
            if (!str(c, &s, &n) || !lit(c, ':') || !skip_value(c, depth + 1))
                return false;
        } while (lit(c, ','));
        return lit(c, '}');
    default:
        for (const char *w = "true\0false\0null\0"; *w; w += strlen(w) + 1)
            if ((size_t)(c->end - c->p) >= strlen(w) && memcmp(c->p, w, strlen(w)) == 0) {
                c->p += strlen(w);
                return true;
            }
        return num(c, &d);
    }
}

static void to_point(double lng, double lat, double xyz[3]);

static bool position(jcur *c, double *lng, double *lat) {
    return lit(c, '[') && num(c, lng) && lit(c, ',') && num(c, lat) && lit(c, ']') &&
           *lng >= -180 && *lng <= 180 && *lat >= -90 && *lat <= 90;
}

static double dot(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void cross(const double a[3], const double b[3], double out[3]) {
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/* The ring's centre (the normalized sum of its vertices), and whether every
 * vertex is within 80 degrees of it: then the ring's smaller side lies in
 * that hemisphere, which the containment test below relies on. */
static bool ring_centre(const td_geo *g, double c[3]) {
    c[0] = c[1] = c[2] = 0;
    for (uint32_t i = 0; i < g->n; i++)
        for (int k = 0; k < 3; k++)
            c[k] += g->v[i][k];
    double norm = sqrt(dot(c, c));
    if (norm < 1e-9)
        return false;
    for (int k = 0; k < 3; k++)
        c[k] /= norm;
    for (uint32_t i = 0; i < g->n; i++)
        if (dot(g->v[i], c) < cos(80 * M_PI / 180))
            return false;
    return true;
}

/* Rings that cross themselves are refused: the server does not check
 * (S2Loop::IsValid is commented out in geojson.cc) and answers for them
 * whatever S2's crossing count from its fixed origin gives, which this
 * winding test does not reproduce. So are edges that come within this
 * many radians (about 6 cm) of crossing, where the two could disagree. */
#define GEO_EPS 1e-8

static int side(const double n[3], const double p[3]) {
    double d = dot(n, p);
    return d > GEO_EPS ? 1 : d < -GEO_EPS ? -1 : 0;
}

/* Whether the geodesic arcs a-b and c-d (each under 180 degrees) cross or
 * come too close to tell: 1 cross or too close, 0 apart. */
static bool arcs_meet(const double a[3], const double b[3], const double c[3], const double d[3]) {
    double nab[3], ncd[3];
    cross(a, b, nab);
    cross(c, d, ncd);
    double lab = sqrt(dot(nab, nab)), lcd = sqrt(dot(ncd, ncd));
    for (int k = 0; k < 3; k++) {
        nab[k] /= lab;
        ncd[k] /= lcd;
    }
    int sc = side(nab, c), sd = side(nab, d), sa = side(ncd, a), sb = side(ncd, b);
    if (sc * sd > 0 || sa * sb > 0)
        return false; /* one arc wholly on one side of the other's circle */
    double ab[3], cd[3];
    for (int k = 0; k < 3; k++) {
        ab[k] = a[k] + b[k];
        cd[k] = c[k] + d[k];
    }
    return dot(ab, cd) > 0; /* the circles meet near both arcs, not at the far side */
}

static bool ring_is_simple(const td_geo *g) {
    for (uint32_t i = 0; i < g->n; i++)
        for (uint32_t j = i + 2; j < g->n; j++) {
            if (i == 0 && j == g->n - 1)
                continue; /* adjacent through the closing vertex */
            if (arcs_meet(g->v[i], g->v[i + 1], g->v[j], g->v[(j + 1) % g->n]))
                return false;
        }
    return true;
}

/* geojson.cc traverse_loop: [[lng,lat],...], repeated consecutive points
 * dropped, at least 4 left, the last equal to the first (then dropped). */
static int polygon(jcur *k, td_geo *out) {
    out->kind = TD_GEO_POLYGON;
    if (!lit(k, '[') || !lit(k, '['))
        return TD_GEO_UNSUPPORTED;
    uint32_t n = 0;
    double first[3] = {0}, prev[3] = {0};
    do {
        double lng, lat, p[3];
        if (!position(k, &lng, &lat))
            return TD_GEO_UNSUPPORTED;
        to_point(lng, lat, p);
        if (n > 0 && memcmp(p, prev, sizeof p) == 0)
            continue; /* a repeated point */
        if (n == 0)
            memcpy(first, p, sizeof p);
        if (n >= TD_GEO_MAX_VERTICES)
            return TD_GEO_UNSUPPORTED;
        memcpy(out->v[n++], p, sizeof p);
        memcpy(prev, p, sizeof p);
    } while (lit(k, ','));
    /* One ring only: a second (a hole) is not evaluated. */
    if (!lit(k, ']') || !lit(k, ']') || n < 4 || memcmp(out->v[n - 1], first, sizeof first) != 0)
        return TD_GEO_UNSUPPORTED;
    out->n = n - 1;
    double c[3];
    return ring_centre(out, c) && ring_is_simple(out) ? TD_GEO_OK : TD_GEO_UNSUPPORTED;
}

int td_geo_parse(const char *json, size_t len, td_geo *out) {
    memset(out, 0, sizeof *out);
    jcur c = {json, json + len};
    const char *type = NULL, *coords = NULL;
    size_t type_len = 0;
    if (!lit(&c, '{'))
        return TD_GEO_UNSUPPORTED;
    if (!lit(&c, '}')) {
        do {
            const char *key;
            size_t key_len;
            if (!str(&c, &key, &key_len) || !lit(&c, ':'))
                return TD_GEO_UNSUPPORTED;
            ws(&c);
            if (key_len == 4 && memcmp(key, "type", 4) == 0) {
                if (type || !str(&c, &type, &type_len))
                    return TD_GEO_UNSUPPORTED;
                continue;
            }
            if (key_len == 11 && memcmp(key, "coordinates", 11) == 0) {
                if (coords)
                    return TD_GEO_UNSUPPORTED;
                coords = c.p;
            }
            if (!skip_value(&c, 0))
                return TD_GEO_UNSUPPORTED;
        } while (lit(&c, ','));
        if (!lit(&c, '}'))
            return TD_GEO_UNSUPPORTED;
    }
    ws(&c);
    if (c.p != c.end || !type || !coords)
        return TD_GEO_UNSUPPORTED;
    jcur k = {coords, json + len};
    if (type_len == 5 && memcmp(type, "Point", 5) == 0)
        return position(&k, &out->lng, &out->lat) ? TD_GEO_OK : TD_GEO_UNSUPPORTED;
    if (type_len == 7 && memcmp(type, "Polygon", 7) == 0)
        return polygon(&k, out);
    if (type_len == 10 && memcmp(type, "AeroCircle", 10) == 0) {
        out->kind = TD_GEO_CIRCLE;
        return lit(&k, '[') && position(&k, &out->lng, &out->lat) && lit(&k, ',') &&
                       num(&k, &out->radius_m) && lit(&k, ']') && out->radius_m >= 0
                   ? TD_GEO_OK
                   : TD_GEO_UNSUPPORTED;
    }
    return TD_GEO_UNSUPPORTED; /* Polygon, MultiPolygon, ...: not evaluated */
}

static void to_point(double lng, double lat, double xyz[3]) {
    double phi = lat * (M_PI / 180), theta = lng * (M_PI / 180);
    xyz[0] = cos(theta) * cos(phi);
    xyz[1] = sin(theta) * cos(phi);
    xyz[2] = sin(phi);
}

/* S2 quadratic projection: u in [-1,1] to s in [0,1], and back. */
static double uv_to_st(double u) {
    return u >= 0 ? 0.5 * sqrt(1 + 3 * u) : 1 - 0.5 * sqrt(1 - 3 * u);
}

static double st_to_uv(double s) {
    return s >= 0.5 ? (1.0 / 3) * (4 * s * s - 1) : (1.0 / 3) * (1 - 4 * (1 - s) * (1 - s));
}

static uint32_t st_to_ij(double s) {
    long v = lrint((double)(1 << MAX_LEVEL) * s - 0.5);
    if (v < 0)
        v = 0;
    if (v > (1 << MAX_LEVEL) - 1)
        v = (1 << MAX_LEVEL) - 1;
    return (uint32_t)v;
}

/* The Hilbert curve's order of the four children, per orientation, and
 * how a child's orientation changes (S2's kIJtoPos / kPosToOrientation). */
static const uint8_t IJ_TO_POS[4][4] = {{0, 1, 3, 2}, {0, 3, 1, 2}, {2, 3, 1, 0}, {2, 1, 3, 0}};
static const uint8_t POS_TO_IJ[4][4] = {{0, 1, 3, 2}, {0, 2, 3, 1}, {3, 2, 0, 1}, {3, 1, 0, 2}};
static const uint8_t POS_TO_ORIENTATION[4] = {1, 0, 0, 3};

uint64_t td_geo_cell_id(double lng, double lat) {
    double p[3];
    to_point(lng, lat, p);
    int axis = fabs(p[0]) > fabs(p[1]) ? (fabs(p[0]) > fabs(p[2]) ? 0 : 2)
                                       : (fabs(p[1]) > fabs(p[2]) ? 1 : 2);
    int face = axis + (p[axis] < 0 ? 3 : 0);
    double u, v;
    switch (face) {
    case 0: u = p[1] / p[0]; v = p[2] / p[0]; break;
    case 1: u = -p[0] / p[1]; v = p[2] / p[1]; break;
    case 2: u = -p[0] / p[2]; v = -p[1] / p[2]; break;
    case 3: u = p[2] / p[0]; v = p[1] / p[0]; break;
    case 4: u = p[2] / p[1]; v = -p[0] / p[1]; break;
    default: u = -p[1] / p[2]; v = -p[0] / p[2]; break;
    }
    uint32_t i = st_to_ij(uv_to_st(u)), j = st_to_ij(uv_to_st(v));
    unsigned orientation = (unsigned)face & 1;
    uint64_t pos = 0;
    for (int bit = MAX_LEVEL - 1; bit >= 0; bit--) {
        unsigned ij = (((i >> bit) & 1) << 1) | ((j >> bit) & 1);
        unsigned child = IJ_TO_POS[orientation][ij];
        pos |= (uint64_t)child << (2 * bit);
        orientation ^= POS_TO_ORIENTATION[child];
    }
    return ((uint64_t)face << 61) | (pos << 1) | 1;
}

/* The centre of a leaf cell as a unit vector (S2CellId::ToPoint). */
static void cell_centre(uint64_t id, double xyz[3]) {
    int face = (int)(id >> 61);
    uint64_t pos = (id >> 1) & ((1ull << 60) - 1);
    unsigned orientation = (unsigned)face & 1;
    uint32_t i = 0, j = 0;
    for (int bit = MAX_LEVEL - 1; bit >= 0; bit--) {
        unsigned child = (pos >> (2 * bit)) & 3;
        unsigned ij = POS_TO_IJ[orientation][child];
        i |= (uint32_t)(ij >> 1) << bit;
        j |= (uint32_t)(ij & 1) << bit;
        orientation ^= POS_TO_ORIENTATION[child];
    }
    double size = (double)(1 << MAX_LEVEL);
    double u = st_to_uv((i + 0.5) / size), v = st_to_uv((j + 0.5) / size);
    double p[3];
    switch (face) {
    case 0: p[0] = 1; p[1] = u; p[2] = v; break;
    case 1: p[0] = -u; p[1] = 1; p[2] = v; break;
    case 2: p[0] = -u; p[1] = -v; p[2] = 1; break;
    case 3: p[0] = -1; p[1] = -v; p[2] = -u; break;
    case 4: p[0] = v; p[1] = -1; p[2] = -u; break;
    default: p[0] = v; p[1] = u; p[2] = -1; break;
    }
    double norm = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    for (int k = 0; k < 3; k++)
        xyz[k] = p[k] / norm;
}

/* Whether p lies within GEO_EPS of the arc a-b. */
static bool near_arc(const double a[3], const double b[3], const double p[3]) {
    double n[3], ap[3], pb[3], ab[3];
    cross(a, b, n);
    double len = sqrt(dot(n, n));
    if (fabs(dot(n, p)) > GEO_EPS * len)
        return false;
    cross(a, p, ap);
    cross(p, b, pb);
    cross(a, b, ab);
    return dot(ap, ab) >= 0 && dot(pb, ab) >= 0; /* between a and b on the circle */
}

/* Whether the ring winds around p (the sum of the angles its edges
 * subtend at p is a full turn), p being in the hemisphere of the ring's
 * centre; -1 when p is too close to an edge to tell as S2's exact
 * predicates would. */
static int polygon_contains(const td_geo *g, const double p[3]) {
    double c[3];
    if (!ring_centre(g, c) || dot(p, c) <= 0)
        return 0;
    double turn = 0;
    for (uint32_t i = 0; i < g->n; i++) {
        const double *a = g->v[i], *b = g->v[(i + 1) % g->n];
        if (near_arc(a, b, p))
            return -1;
        double na[3], nb[3], m[3];
        cross(p, a, na); /* the planes through p and each vertex */
        cross(p, b, nb);
        cross(na, nb, m);
        turn += atan2(dot(m, p), dot(na, nb));
    }
    return fabs(turn) > M_PI;
}

int td_geo_region_contains(const td_geo *region, uint64_t cell_id) {
    double c[3], p[3];
    cell_centre(cell_id, p);
    if (region->kind == TD_GEO_POLYGON)
        return polygon_contains(region, p);
    const td_geo *circle = region;
    to_point(circle->lng, circle->lat, c);
    /* S2Cap::Contains: the chord to the centre is at most the cap's. */
    double angle = circle->radius_m / EARTH_RADIUS_M;
    double d2 = 0;
    for (int k = 0; k < 3; k++)
        d2 += (c[k] - p[k]) * (c[k] - p[k]);
    double cap = 2 * sin(0.5 * fmin(angle, M_PI));
    return d2 <= cap * cap;
}

int td_geo_particle(const char *json, size_t len, uint8_t **out, uint32_t *out_len) {
    td_geo g;
    if (len > UINT32_MAX - 11 || td_geo_parse(json, len, &g) != TD_GEO_OK ||
        g.kind != TD_GEO_POINT)
        return TD_GEO_UNSUPPORTED;
    uint8_t *p = malloc(11 + len + 1);
    if (!p)
        return TD_GEO_UNSUPPORTED;
    uint64_t cell = td_geo_cell_id(g.lng, g.lat);
    p[0] = 0;    /* flags: not a region */
    p[1] = 0;    /* one cell (big-endian u16) */
    p[2] = 1;
    for (int i = 0; i < 8; i++)
        p[3 + i] = (uint8_t)(cell >> (56 - 8 * i));
    memcpy(p + 11, json, len);
    *out = p;
    *out_len = (uint32_t)(11 + len);
    return TD_GEO_OK;
}
