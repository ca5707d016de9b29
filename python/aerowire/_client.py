"""aerowire.Client: the C extension's client with the batch reads, whose
numpy side (dtype checks, the arrays) is plain Python over numpy."""
from . import _aerowire
from .exception import _make
from ._numpy import NumpyBatchRecords, batch_arrays
from ._query import QueryCommands


class Client(QueryCommands, _aerowire.Client):
    """Client(config): an Aerospike client; call connect() before commands."""

    __slots__ = ()

    def batch_read(self, keys, bins=None, policy=None, _dtype=None):
        """Reads many records at once.

        Without _dtype: a list of Record, one per key in order, meta and bins
        None for a key with no record; a row failing otherwise (a timeout,
        a node lost...) raises its AerospikeError.

        With _dtype (a numpy structured dtype): a NumpyBatchRecords whose
        batch_records ndarray is filled straight from the replies, one row
        per key (see docs/python.md for the field <-> bin rules).
        """
        if _dtype is None:
            rows = self._batch_get(keys, bins, policy)
            for i, (code, rec, in_doubt) in enumerate(rows):
                if code not in (0, 2):
                    raise _make(code, f"batch row {i} (key {rec.key[:3]!r}) failed", in_doubt)
            return [rec for _, rec, _ in rows]
        descr, align, itemsize, rows, meta, codes = batch_arrays(_dtype, len(keys))
        self._batch_read_into(keys, bins, policy, descr, align, itemsize, rows, meta, codes)
        return NumpyBatchRecords(keys, rows, meta, codes)
