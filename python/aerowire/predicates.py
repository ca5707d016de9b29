"""Secondary-index predicates for Query.where(), with the official Python
client's names (aerospike.predicates).

A predicate picks the index by its bin (and collection type) and the value
it matches; the server answers IndexNotFound (code 201) when no such index
exists. Bad arguments are a TypeError or ValueError here, before anything
is sent.
"""
import json
from typing import Any, NamedTuple, Tuple

# Where in the bin the indexed values are (aw_index_collection).
INDEX_TYPE_DEFAULT = 0
INDEX_TYPE_LIST = 1
INDEX_TYPE_MAPKEYS = 2
INDEX_TYPE_MAPVALUES = 3

_COLLECTIONS = (INDEX_TYPE_LIST, INDEX_TYPE_MAPKEYS, INDEX_TYPE_MAPVALUES)


class Predicate(NamedTuple):
    """What where() takes: made by the functions of this module."""

    kind: str
    bin: str
    index_type: int
    args: Tuple[Any, ...]


def _bin(bin):
    if not isinstance(bin, str):
        raise TypeError(f"predicate bin must be a str, not {type(bin).__name__}")
    return bin


def _int(value, what):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"predicate {what} must be an int, not {type(value).__name__}")
    return value


def _number(value, what):
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"predicate {what} must be a number, not {type(value).__name__}")
    return value


def _scalar(value):
    if isinstance(value, (str, bytes)) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"predicate value must be an int, str or bytes, not {type(value).__name__}")


def _collection(index_type):
    if index_type not in _COLLECTIONS:
        raise ValueError(f"index_type {index_type!r} is not INDEX_TYPE_LIST, INDEX_TYPE_MAPKEYS "
                         "or INDEX_TYPE_MAPVALUES")
    return index_type


def _geo_index_type(index_type):
    if index_type != INDEX_TYPE_DEFAULT:
        _collection(index_type)
    return index_type


def _geojson(shape):
    """GeoJSON text from a str or a dict (serialised with json.dumps)."""
    if isinstance(shape, dict):
        return json.dumps(shape)
    if isinstance(shape, str):
        return shape
    raise TypeError(f"GeoJSON must be a str or a dict, not {type(shape).__name__}")


def equals(bin, val):
    """Records whose bin equals val (int, str or bytes), on an index of that type."""
    return Predicate("equals", _bin(bin), INDEX_TYPE_DEFAULT, (_scalar(val),))


def between(bin, min, max):
    """Records whose integer bin is in min..max (both included)."""
    if _int(min, "min") > _int(max, "max"):
        raise ValueError(f"between({bin!r}, {min}, {max}): min is above max")
    return Predicate("range", _bin(bin), INDEX_TYPE_DEFAULT, (min, max))


def contains(bin, index_type, val):
    """Records whose list (INDEX_TYPE_LIST) or map keys / values
    (INDEX_TYPE_MAPKEYS / _MAPVALUES) hold val (int, str or bytes)."""
    return Predicate("equals", _bin(bin), _collection(index_type), (_scalar(val),))


def range(bin, index_type, min, max):  # noqa: A001 - the official client's name
    """Records whose list or map keys / values hold an integer in min..max."""
    if _int(min, "min") > _int(max, "max"):
        raise ValueError(f"range({bin!r}, {min}, {max}): min is above max")
    return Predicate("range", _bin(bin), _collection(index_type), (min, max))


def geo_within_geojson_region(bin, shape, index_type=INDEX_TYPE_DEFAULT):
    """Points of a geo2dsphere index inside a GeoJSON region (Polygon,
    AeroCircle), given as text or a dict."""
    return Predicate("geo_within", _bin(bin), _geo_index_type(index_type), (_geojson(shape),))


def geo_within_radius(bin, long, lat, radius_meters, index_type=INDEX_TYPE_DEFAULT):
    """Points within radius_meters of (long, lat)."""
    if _number(radius_meters, "radius") < 0:
        raise ValueError(f"predicate radius {radius_meters} must be >= 0 metres")
    return Predicate("geo_within_radius", _bin(bin), _geo_index_type(index_type),
                     (_number(long, "longitude"), _number(lat, "latitude"), radius_meters))


def geo_contains_geojson_point(bin, point, index_type=INDEX_TYPE_DEFAULT):
    """Regions of a geo2dsphere index containing a GeoJSON point."""
    return Predicate("geo_contains", _bin(bin), _geo_index_type(index_type), (_geojson(point),))


def geo_contains_point(bin, long, lat, index_type=INDEX_TYPE_DEFAULT):
    """Regions containing the point (long, lat)."""
    point = {"type": "Point",
             "coordinates": [_number(long, "longitude"), _number(lat, "latitude")]}
    return geo_contains_geojson_point(bin, point, index_type)
