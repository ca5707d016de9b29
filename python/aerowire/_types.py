"""The NamedTuples records come back as."""
from typing import Any, Dict, NamedTuple, Optional, Tuple, Union

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
