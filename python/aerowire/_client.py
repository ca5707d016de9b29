"""aerowire.Client: the C extension's client with the batch reads, whose
numpy side (dtype checks, the arrays) is plain Python over numpy."""
from . import _aerowire
from ._admin import AdminMixin
from ._array import ArrayMixin
from ._batch_write import BatchWriteMixin
from ._numpy import numpy_read
from ._query import QueryCommands
from ._types import RecordList


class Client(QueryCommands, BatchWriteMixin, ArrayMixin, AdminMixin, _aerowire.Client):
    """Client(config): an Aerospike client; call connect() before commands."""

    __slots__ = ()

    def batch_read(self, keys, bins=None, policy=None, _dtype=None, *, namespace=None,
                   set_name=None):
        """Reads many records at once.

        Without _dtype: a RecordList, one Record per key in order, meta and
        bins None for a key with no record or one the policy's expressions
        filter out (result_codes holds each row's code: 0, 2 or 27); a row
        failing otherwise (a timeout, a node lost...) raises its
        AerospikeError.

        With _dtype (a numpy structured dtype): a NumpyBatchRecords whose
        batch_records ndarray is filled straight from the replies, one row
        per key (see docs/python.md for the field <-> bin rules). With
        namespace (and set_name), keys may be a 1-d numpy array of user keys
        instead: integers, S (string keys) or V (bytes keys).
        """
        if _dtype is None:
            if namespace is not None:
                raise TypeError("an array of user keys (namespace=...) is read with _dtype")
            return RecordList.from_rows(self._batch_get(keys, bins, policy))
        args, result = numpy_read(keys, bins, policy, _dtype, namespace, set_name)
        self._batch_read_into(*args)
        return result
