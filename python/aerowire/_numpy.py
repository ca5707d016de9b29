"""The numpy side of batch reads: dtype checks and NumpyBatchRecords.

numpy is imported only when a _dtype is given: the rest of aerowire works
without it."""
from . import _aerowire

# aw_row_meta: two native uint32 per row.
META_DTYPE = [("gen", "=u4"), ("ttl", "=u4")]


def _numpy():
    try:
        import numpy
    except ImportError as e:  # pragma: no cover - Debian's python3 has it
        raise ImportError("batch_read(_dtype=...) needs numpy (Debian: python3-numpy)") from e
    return numpy


def structured_dtype(dtype):
    """(numpy, np.dtype(dtype)) for a structured dtype whose every field has
    a bin type; TypeError naming the field otherwise."""
    np = _numpy()
    dt = np.dtype(dtype)
    if dt.names is None:
        raise TypeError(f"_dtype must be a structured dtype (named fields), not {dt}")
    for name in dt.names:
        field = dt.fields[name][0]
        base = field.base
        if base.names is not None:
            raise TypeError(f"_dtype field {name!r}: nested structured fields are not supported")
        if base.kind not in "iufbSV":
            raise TypeError(f"_dtype field {name!r}: {base} has no bin type "
                            "(integers, floats, bools, S and V bytes are supported)")
    return np, dt


def batch_arrays(dtype, n):
    """(descr, align, itemsize, rows, meta, codes) for n rows of dtype: the
    rows in one allocation, zeroed by the read itself."""
    np, dt = structured_dtype(dtype)
    rows = np.empty(n, dtype=dt)
    meta = np.empty(n, dtype=META_DTYPE)
    codes = np.empty(n, dtype=np.int32)
    return str(dt.descr), dt.isalignedstruct, dt.itemsize, rows, meta, codes


class NumpyBatchRecords:
    """A batch read into numpy arrays, one row per key in order.

    batch_records: the structured ndarray of the rows (a missing record's row
    is zeroed); meta: an ndarray of (gen, ttl); result_codes: int32, 0 for a
    record read, 2 for no record, another code for a row that failed.
    """

    __slots__ = ("batch_records", "meta", "result_codes", "_keys", "_index")

    def __init__(self, keys, batch_records, meta, result_codes):
        self.batch_records = batch_records
        self.meta = meta
        self.result_codes = result_codes
        self._keys = keys
        self._index = None

    def __len__(self):
        return len(self.batch_records)

    def index(self, key):
        """The row of key (a key tuple, or a user key in the first key's
        namespace and set); KeyError when it is not in the batch."""
        if not isinstance(key, tuple):
            if not self._keys:
                raise KeyError(key)
            key = (self._keys[0][0], self._keys[0][1], key)
        if self._index is None:
            self._index = _aerowire.KeyIndex(self._keys)
        row = self._index.find(key)
        if row < 0:
            raise KeyError(key)
        return row

    def get(self, key):
        """The row (a numpy record) of key: see index()."""
        return self.batch_records[self.index(key)]
