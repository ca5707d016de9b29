"""aerowire.Client: the C extension's client with the batch reads, whose
numpy side (dtype checks, the arrays) is plain Python over numpy."""
from . import _aerowire
from ._array import ArrayMixin
from ._batch_write import BatchWriteMixin
from .exception import _make
from ._numpy import NumpyBatchRecords, batch_arrays
from ._query import QueryCommands
from ._types import RecordList

# batch_read row codes that are an answer, not a failure: read, no record,
# filtered out by the policy's expressions.
_ANSWERED = (0, 2, 27)


class Client(QueryCommands, BatchWriteMixin, ArrayMixin, _aerowire.Client):
    """Client(config): an Aerospike client; call connect() before commands."""

    __slots__ = ()

    def batch_read(self, keys, bins=None, policy=None, _dtype=None):
        """Reads many records at once.

        Without _dtype: a RecordList, one Record per key in order, meta and
        bins None for a key with no record or one the policy's expressions
        filter out (result_codes holds each row's code: 0, 2 or 27); a row
        failing otherwise (a timeout, a node lost...) raises its
        AerospikeError.

        With _dtype (a numpy structured dtype): a NumpyBatchRecords whose
        batch_records ndarray is filled straight from the replies, one row
        per key (see docs/python.md for the field <-> bin rules).
        """
        if _dtype is None:
            rows = self._batch_get(keys, bins, policy)
            for i, (code, rec, in_doubt) in enumerate(rows):
                if code not in _ANSWERED:
                    raise _make(code, f"batch row {i} (key {rec.key[:3]!r}) failed", in_doubt)
            return RecordList([rec for _, rec, _ in rows], [code for code, _, _ in rows])
        descr, align, itemsize, rows, meta, codes = batch_arrays(_dtype, len(keys))
        self._batch_read_into(keys, bins, policy, descr, align, itemsize, rows, meta, codes)
        return NumpyBatchRecords(keys, rows, meta, codes)
