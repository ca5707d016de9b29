"""The NamedTuples records come back as, batch_read's list of them, and
the GeoJSON bin value."""
import json
from typing import Any, Dict, NamedTuple, Optional, Tuple, Union

from .exception import _make

UserKey = Union[int, str, bytes]
Key = Tuple[str, Optional[str], Optional[UserKey], bytes]


class Meta(NamedTuple):
    """A record's generation and time to live in seconds (4294967295 = never expires)."""

    gen: int
    ttl: int


class Record(NamedTuple):
    """One record: its key (namespace, set, user key, digest), meta and bins."""

    key: Key
    meta: Optional[Meta]
    bins: Optional[Dict[str, Any]]


class RecordList(list):
    """batch_read's Records, one per key in order, and result_codes: each
    row's code (0 read; 2 no record and 27 filtered out by the policy's
    expressions, whose Record has meta and bins None)."""

    __slots__ = ("result_codes",)

    def __init__(self, records, result_codes):
        super().__init__(records)
        self.result_codes = result_codes

    @classmethod
    def from_rows(cls, rows):
        """batch_read's RecordList from the extension's (code, Record,
        in_doubt) rows (Client's and AsyncClient's): a row failing otherwise
        than as an answer (a timeout, a node lost...) raises its error."""
        for i, (code, rec, in_doubt) in enumerate(rows):
            if code not in _ANSWERED:
                raise _make(code, f"batch row {i} (key {rec.key[:3]!r}) failed", in_doubt)
        return cls([rec for _, rec, _ in rows], [code for code, _, _ in rows])


# batch_read row codes that are an answer, not a failure: read, no record,
# filtered out by the policy's expressions.
_ANSWERED = (0, 2, 27)


class GeoJSON(str):
    """A GeoJSON bin value: its text (a str), written with the GeoJSON
    particle type so a geo2dsphere index takes it. GeoJSON(dict) serialises
    the dict. GeoJSON bins read back as GeoJSON."""

    __slots__ = ()

    def __new__(cls, value):
        return super().__new__(cls, json.dumps(value) if isinstance(value, dict) else value)

    def dumps(self):
        """The GeoJSON text."""
        return str(self)

    def loads(self):
        """The GeoJSON as a dict."""
        return json.loads(self)
