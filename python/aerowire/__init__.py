"""aerowire: an Aerospike client over the aerowire C library.

    import aerowire
    with aerowire.client({"hosts": [("127.0.0.1", 3000)]}).connect() as c:
        c.put(("test", "demo", "k1"), {"i": 42})
        rec = c.get(("test", "demo", "k1"))
        print(rec.bins["i"], rec.meta.gen)

See docs/python.md for keys, values, policies and errors.
"""
from . import exception
from ._types import GeoJSON, Meta, Record, RecordList
from .exception import AerospikeError
from ._aerowire import __version__
from ._client import Client
from ._async import AsyncClient
from ._numpy import NumpyBatchRecords
from ._array import ArrayRef
from ._admin import (AUTH_EXTERNAL, AUTH_EXTERNAL_INSECURE, AUTH_INTERNAL, AUTH_PKI,
                     PRIV_DATA_ADMIN, PRIV_READ, PRIV_READ_WRITE, PRIV_READ_WRITE_UDF,
                     PRIV_SINDEX_ADMIN, PRIV_SYS_ADMIN, PRIV_TRUNCATE, PRIV_UDF_ADMIN,
                     PRIV_USER_ADMIN, PRIV_WRITE)
from ._async_array import AsyncArrayRef
from ._async_query import AsyncQuery, AsyncScan
from ._batch_write import BatchRecord, BatchRecords, NumpyBatchWriteRecords
from . import (bitwise_operations, cdt_ctx, exp, expression_operations, hll_operations,
               list_operations, map_operations, operations)
from ._op_constants import *  # noqa: F401,F403 - LIST_*, MAP_*, BIT_*, HLL_*, EXP_*, OPERATOR_*
from . import _op_constants
from . import predicates
from .predicates import (INDEX_TYPE_DEFAULT, INDEX_TYPE_LIST, INDEX_TYPE_MAPKEYS,
                         INDEX_TYPE_MAPVALUES)
from ._query import (INDEX_BLOB, INDEX_GEO2DSPHERE, INDEX_NUMERIC, INDEX_STRING, JOB_QUERY,
                     JOB_SCAN, JOB_STATUS_COMPLETED, JOB_STATUS_INPROGRESS, JOB_STATUS_UNDEF,
                     QUERY_DURATION_LONG, QUERY_DURATION_LONG_RELAX_AP, QUERY_DURATION_SHORT,
                     NumpyRecords, PartitionStatus, Query, Scan)

# Policy constants, with the official Python client's names and values.
POLICY_KEY_DIGEST = 0
POLICY_KEY_SEND = 1
POLICY_EXISTS_IGNORE = 0
POLICY_EXISTS_CREATE = 1
POLICY_EXISTS_UPDATE = 2
POLICY_EXISTS_REPLACE = 3
POLICY_EXISTS_CREATE_OR_REPLACE = 4
POLICY_GEN_IGNORE = 0
POLICY_GEN_EQ = 1
POLICY_GEN_GT = 2
POLICY_COMMIT_LEVEL_ALL = 0
POLICY_COMMIT_LEVEL_MASTER = 1
POLICY_REPLICA_SEQUENCE = 0
POLICY_REPLICA_MASTER = 1
POLICY_REPLICA_ANY = 2
TTL_NAMESPACE_DEFAULT = 0
TTL_NEVER_EXPIRE = -1
TTL_DONT_UPDATE = -2
TTL_CLIENT_DEFAULT = -3


def client(config):
    """A Client for config (not yet connected: call .connect())."""
    return Client(config)


__all__ = [
    "AerospikeError", "ArrayRef", "AsyncArrayRef", "AsyncClient", "AsyncQuery", "AsyncScan", "BatchRecord", "BatchRecords", "Client", "GeoJSON", "Meta",
    "NumpyBatchRecords", "NumpyBatchWriteRecords", "NumpyRecords", "PartitionStatus", "Query",
    "Record", "RecordList", "Scan", "client", "exception", "__version__", "bitwise_operations",
    "cdt_ctx", "exp", "expression_operations", "hll_operations", "list_operations",
    "map_operations", "operations", "predicates",
] + [n for n in dir() if n.startswith(("POLICY_", "TTL_", "INDEX_", "JOB_", "QUERY_", "AUTH_", "PRIV_"))] + [
    n for n in dir(_op_constants) if n.isupper()]
