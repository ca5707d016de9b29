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


def user_key(v):
    """A key field's value as aw_batch_write_from sends it: an integer, an S
    field's text up to the first NUL, a V field's bytes."""
    if isinstance(v, bytes):
        return v.split(b"\0", 1)[0].decode()
    if hasattr(v, "tobytes") and getattr(v, "dtype", None) is not None and v.dtype.kind == "V":
        return v.tobytes()
    return int(v)


def key_array(keys):
    """(kind, array) of a numpy array of user keys, as _batch_read_into takes
    them: integers as native int64 (kind "i": an unsigned key above 2**63
    as its two's complement, as batch_write_numpy writes a u8 key field), S
    (string keys up to the first NUL) and V (bytes keys) arrays as they
    are; each C-contiguous (copied when not)."""
    np = _numpy()
    if not isinstance(keys, np.ndarray):
        raise TypeError("with namespace, keys must be a numpy array of user keys, not "
                        f"{type(keys).__name__}")
    if keys.ndim != 1:
        raise ValueError(f"keys array must be 1-d, not {keys.ndim}-d")
    dt = keys.dtype
    if dt.kind in "iu":
        return "i", np.ascontiguousarray(keys.astype(np.int64, copy=False))
    if dt.kind in "SV" and dt.names is None and dt.subdtype is None:
        return dt.kind, np.ascontiguousarray(keys)
    raise TypeError(f"keys array of dtype {dt}: user keys must be integers, S (string keys) "
                    "or V (bytes keys)")


def numpy_read(keys, bins, policy, _dtype, namespace, set_name):
    """batch_read(_dtype=...)'s arguments of _batch_read_into, and the
    NumpyBatchRecords its arrays fill (Client's and AsyncClient's)."""
    if namespace is None:
        if type(keys).__module__ == "numpy":
            raise TypeError("a numpy array of user keys needs namespace= (and set_name=)")
        descr, align, itemsize, rows, meta, codes = batch_arrays(_dtype, len(keys))
        args = (keys, bins, policy, descr, align, itemsize, rows, meta, codes)
        return args, NumpyBatchRecords(keys, rows, meta, codes)
    if not isinstance(namespace, str) or not (set_name is None or isinstance(set_name, str)):
        raise TypeError("namespace must be a str and set_name a str or None, not "
                        f"{type(namespace).__name__} and {type(set_name).__name__}")
    kind, keys = key_array(keys)
    descr, align, itemsize, rows, meta, codes = batch_arrays(_dtype, len(keys))
    args = (keys, bins, policy, descr, align, itemsize, rows, meta, codes, namespace, set_name,
            kind)
    return args, NumpyBatchRecords(keys, rows, meta, codes, (namespace, set_name))


class NumpyBatchRecords:
    """A batch read into numpy arrays, one row per key in order.

    batch_records: the structured ndarray of the rows (a missing record's row
    is zeroed); meta: an ndarray of (gen, ttl); result_codes: int32, 0 for a
    record read, 2 for no record, another code for a row that failed.
    """

    __slots__ = ("batch_records", "meta", "result_codes", "_keys", "_index", "_names")

    def __init__(self, keys, batch_records, meta, result_codes, names=None):
        self.batch_records = batch_records
        self.meta = meta
        self.result_codes = result_codes
        self._keys = keys
        self._index = None
        self._names = names  # (namespace, set) of an array of user keys (key_array's)

    def __len__(self):
        return len(self.batch_records)

    def _key_tuples(self):
        if self._names is None:
            return self._keys
        ns, set_name = self._names
        return [(ns, set_name, user_key(v)) for v in self._keys]

    def _array_user_key(self, key):
        """key as the user key an element of the keys array holding it gives:
        an integer wrapped to int64, bytes up to the first NUL as a str for
        S keys; anything else as it is."""
        kind = self._keys.dtype.kind
        if kind == "i" and hasattr(key, "__index__") and not isinstance(key, bool):
            v = key.__index__()
            return v - 2**64 if 2**63 <= v < 2**64 else v
        if kind in "SV" and isinstance(key, (bytes, bytearray, _numpy().void)):
            return user_key(self._keys.dtype.type(key))
        return key

    def index(self, key):
        """The row of key (a key tuple, or a user key in the first key's
        namespace and set, or the namespace and set of an array of user
        keys); KeyError when it is not in the batch."""
        if not isinstance(key, tuple):
            if self._names is not None:
                key = (*self._names, self._array_user_key(key))
            elif not self._keys:
                raise KeyError(key)
            else:
                key = (self._keys[0][0], self._keys[0][1], key)
        if self._index is None:
            self._index = _aerowire.KeyIndex(self._key_tuples())
        row = self._index.find(key)
        if row < 0:
            raise KeyError(key)
        return row

    def get(self, key):
        """The row (a numpy record) of key: see index()."""
        return self.batch_records[self.index(key)]
