"""Batch writes: rows of a numpy structured array (batch_write_numpy), and
per-row writes, operates and removes with per-row results (batch_write,
batch_operate, batch_remove)."""
import contextlib
from collections.abc import Sequence
from typing import NamedTuple, Optional

from . import _aerowire
from ._numpy import structured_dtype, user_key as _user_key
from ._types import Key, Meta, Record

class BatchRecord(NamedTuple):
    """One row of a batch write: its key, result code (0 ok), the record
    (Record(key, meta, bins) with what read ops returned; None when the row
    failed) and whether a failed write may have been applied."""

    key: Key
    result: int
    record: Optional[Record]
    in_doubt: bool


class BatchRecords:
    """The rows of batch_write, batch_operate or batch_remove, one per key in
    order (batch_records), and result: 0 when every row succeeded, else the
    code of the first row that failed."""

    __slots__ = ("batch_records", "result")

    def __init__(self, batch_records):
        self.batch_records = batch_records
        self.result = next((r.result for r in batch_records if r.result != 0), 0)

    @classmethod
    def from_rows(cls, rows):
        """From the extension's (code, Record, in_doubt) rows (Client's and
        AsyncClient's)."""
        return cls([BatchRecord(rec.key, code, rec if code == 0 else None, in_doubt)
                    for code, rec, in_doubt in rows])

    def __len__(self):
        return len(self.batch_records)

    def __iter__(self):
        return iter(self.batch_records)

    def __getitem__(self, i):
        return self.batch_records[i]

    def __repr__(self):
        return f"BatchRecords(result={self.result}, {len(self)} rows)"


class NumpyBatchWriteRecords(Sequence):
    """What batch_write_numpy wrote, one row per data row, in order.

    result_codes (int32: 0 written, else the row's code), in_doubt (bool) and
    generations (uint32: the record's generation after the write, 0 where the
    row failed) are ndarrays; indexing gives Record(key, meta, bins), built
    on demand: meta Meta(gen, ttl=None) (the write reports no TTL) and bins
    {} for a written row, both None for a failed one.
    """

    __slots__ = ("result_codes", "in_doubt", "generations", "_ns", "_set", "_keys")

    def __init__(self, ns, set_name, keys, codes, in_doubt, gens):
        self.result_codes = codes
        self.in_doubt = in_doubt
        self.generations = gens
        self._ns = ns
        self._set = set_name
        self._keys = keys

    def __len__(self):
        return len(self.result_codes)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]  # IndexError past the end, negatives from the end
        key = _aerowire._key((self._ns, self._set, _user_key(self._keys[i])))
        if self.result_codes[i] != 0:
            return Record(key, None, None)
        return Record(key, Meta(int(self.generations[i]), None), {})


@contextlib.contextmanager
def _read_only(array):
    """The array refuses writes through it while the GIL is released (the C
    call reads its buffer then)."""
    restore = read_only(array)
    try:
        yield
    finally:
        restore()


def read_only(array):
    """Makes the array refuse writes through it; returns what undoes that."""
    was = array.flags.writeable
    array.flags.writeable = False

    def restore(*_):
        if was:
            array.flags.writeable = True
    return restore


def numpy_write(data, namespace, set_name, _dtype, key_field, policy):
    """batch_write_numpy's checks: the arguments of _batch_write_from, and the
    NumpyBatchWriteRecords its result arrays fill (Client's and
    AsyncClient's)."""
    np, dt = structured_dtype(_dtype)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"data must be a numpy ndarray, not {type(data).__name__}")
    if data.dtype != dt:
        raise ValueError(f"data's dtype {data.dtype} is not _dtype {dt}")
    if data.ndim != 1:
        raise ValueError(f"data must be 1-d (one record per row), not {data.ndim}-d")
    if not data.flags.c_contiguous:
        raise ValueError("data must be C-contiguous (np.ascontiguousarray(data) copies it)")
    n = len(data)
    codes = np.empty(n, np.int32)
    in_doubt = np.empty(n, np.bool_)
    gens = np.empty(n, np.uint32)
    args = (data, n, namespace, set_name, str(dt.descr), dt.isalignedstruct, dt.itemsize,
            key_field, policy, codes, in_doubt, gens)
    # A key field not in the dtype: _batch_write_from refuses it, naming it.
    field = "_key" if key_field is None else key_field
    keys = data[field].copy() if field in (dt.names or ()) else None
    return args, NumpyBatchWriteRecords(namespace, set_name, keys, codes, in_doubt, gens)


class BatchWriteMixin:
    """Client's batch writes (see docs/python.md)."""

    __slots__ = ()

    def batch_write_numpy(self, data, namespace, set_name, _dtype, key_field="_key",
                          policy=None):
        """Writes each row of data (a 1-d, C-contiguous structured ndarray of
        _dtype) as one record of namespace/set_name: the key from key_field,
        every field not starting with "_" a bin, an integer "_ttl" field the
        row's TTL. Returns a NumpyBatchWriteRecords (per-row result_codes,
        in_doubt, generations; Records on indexing). policy: write policy
        keys (ttl, exists, key, total_timeout...)."""
        args, result = numpy_write(data, namespace, set_name, _dtype, key_field, policy)
        with _read_only(data):
            self._batch_write_from(*args)
        return result

    def _batch_records(self, kind, keys, rows, policy):
        return BatchRecords.from_rows(self._batch_rows(kind, keys, rows, policy))

    def batch_write(self, keys, rows, policy=None):
        """One row per key: a bins dict (written as put writes it) or a list of
        ops (operate's: built by aerowire.operations, list_operations, ...),
        run as operate runs them. Returns BatchRecords. policy: write policy
        keys and expressions, the default of every row (a row the filter
        rejects gets result 27)."""
        return self._batch_records("write", keys, rows, policy)

    def batch_operate(self, keys, ops, policy=None):
        """The same list of op dicts on every key; BatchRecords (read ops'
        results in each row's record.bins)."""
        return self._batch_records("operate", keys, ops, policy)

    def batch_remove(self, keys, policy=None):
        """Deletes every key's record; BatchRecords (code 2 for a key with no
        record)."""
        return self._batch_records("remove", keys, None, policy)
