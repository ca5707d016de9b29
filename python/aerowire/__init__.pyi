import asyncio
from typing import (Any, Callable, Dict, Iterator, List, Literal, Mapping, NamedTuple,
                    Optional, Sequence, Tuple, Union, overload)

import numpy
import numpy.typing

from . import exception as exception
from . import (bitwise_operations as bitwise_operations, cdt_ctx as cdt_ctx, exp as exp,
               expression_operations as expression_operations, hll_operations as hll_operations,
               list_operations as list_operations, map_operations as map_operations,
               operations as operations)
from . import predicates as predicates
from ._types import GeoJSON as GeoJSON, Key as Key, Meta as Meta, Record as Record
from ._types import UserKey as UserKey
from .predicates import INDEX_TYPE_DEFAULT as INDEX_TYPE_DEFAULT
from .predicates import INDEX_TYPE_LIST as INDEX_TYPE_LIST
from .predicates import INDEX_TYPE_MAPKEYS as INDEX_TYPE_MAPKEYS
from .predicates import INDEX_TYPE_MAPVALUES as INDEX_TYPE_MAPVALUES
from .predicates import Predicate
from .exception import AerospikeError as AerospikeError

__version__: str

KeyTuple = Union[
    Tuple[str, Optional[str], UserKey],
    Tuple[str, Optional[str], Optional[UserKey], Union[bytes, bytearray]],
]
Value = Union[None, bool, int, float, str, bytes, bytearray, List[Any], Dict[Any, Any]]
Policy = Mapping[str, Any]

POLICY_KEY_DIGEST: int
POLICY_KEY_SEND: int
POLICY_EXISTS_IGNORE: int
POLICY_EXISTS_CREATE: int
POLICY_EXISTS_UPDATE: int
POLICY_EXISTS_REPLACE: int
POLICY_EXISTS_CREATE_OR_REPLACE: int
POLICY_GEN_IGNORE: int
POLICY_GEN_EQ: int
POLICY_GEN_GT: int
POLICY_COMMIT_LEVEL_ALL: int
POLICY_COMMIT_LEVEL_MASTER: int
POLICY_REPLICA_SEQUENCE: int
POLICY_REPLICA_MASTER: int
POLICY_REPLICA_ANY: int
TTL_NAMESPACE_DEFAULT: int
TTL_NEVER_EXPIRE: int
TTL_DONT_UPDATE: int
TTL_CLIENT_DEFAULT: int
BIT_OVERFLOW_FAIL: int
BIT_OVERFLOW_SATURATE: int
BIT_OVERFLOW_WRAP: int
BIT_RESIZE_DEFAULT: int
BIT_RESIZE_FROM_FRONT: int
BIT_RESIZE_GROW_ONLY: int
BIT_RESIZE_SHRINK_ONLY: int
BIT_WRITE_CREATE_ONLY: int
BIT_WRITE_DEFAULT: int
BIT_WRITE_NO_FAIL: int
BIT_WRITE_PARTIAL: int
BIT_WRITE_UPDATE_ONLY: int
EXP_PATH_MODIFY_DEFAULT: int
EXP_PATH_MODIFY_NO_FAIL: int
EXP_PATH_SELECT_MAP_KEY: int
EXP_PATH_SELECT_MAP_KEY_VALUE: int
EXP_PATH_SELECT_MATCHING_TREE: int
EXP_PATH_SELECT_NO_FAIL: int
EXP_PATH_SELECT_VALUE: int
EXP_READ_DEFAULT: int
EXP_READ_EVAL_NO_FAIL: int
EXP_WRITE_ALLOW_DELETE: int
EXP_WRITE_CREATE_ONLY: int
EXP_WRITE_DEFAULT: int
EXP_WRITE_EVAL_NO_FAIL: int
EXP_WRITE_POLICY_NO_FAIL: int
EXP_WRITE_UPDATE_ONLY: int
HLL_WRITE_ALLOW_FOLD: int
HLL_WRITE_CREATE_ONLY: int
HLL_WRITE_DEFAULT: int
HLL_WRITE_NO_FAIL: int
HLL_WRITE_UPDATE_ONLY: int
LIST_ORDERED: int
LIST_RETURN_COUNT: int
LIST_RETURN_EXISTS: int
LIST_RETURN_INDEX: int
LIST_RETURN_NONE: int
LIST_RETURN_RANK: int
LIST_RETURN_REVERSE_INDEX: int
LIST_RETURN_REVERSE_RANK: int
LIST_RETURN_VALUE: int
LIST_SORT_DEFAULT: int
LIST_SORT_DROP_DUPLICATES: int
LIST_UNORDERED: int
LIST_WRITE_ADD_UNIQUE: int
LIST_WRITE_DEFAULT: int
LIST_WRITE_INSERT_BOUNDED: int
LIST_WRITE_NO_FAIL: int
LIST_WRITE_PARTIAL: int
MAP_KEY_ORDERED: int
MAP_KEY_VALUE_ORDERED: int
MAP_RETURN_COUNT: int
MAP_RETURN_EXISTS: int
MAP_RETURN_INDEX: int
MAP_RETURN_KEY: int
MAP_RETURN_KEY_VALUE: int
MAP_RETURN_NONE: int
MAP_RETURN_ORDERED_MAP: int
MAP_RETURN_RANK: int
MAP_RETURN_REVERSE_INDEX: int
MAP_RETURN_REVERSE_RANK: int
MAP_RETURN_UNORDERED_MAP: int
MAP_RETURN_VALUE: int
MAP_UNORDERED: int
MAP_WRITE_FLAGS_CREATE_ONLY: int
MAP_WRITE_FLAGS_DEFAULT: int
MAP_WRITE_FLAGS_NO_FAIL: int
MAP_WRITE_FLAGS_PARTIAL: int
MAP_WRITE_FLAGS_UPDATE_ONLY: int
MAP_WRITE_NO_FAIL: int
MAP_WRITE_PARTIAL: int
OPERATOR_APPEND: int
OPERATOR_DELETE: int
OPERATOR_INCR: int
OPERATOR_PREPEND: int
OPERATOR_READ: int
OPERATOR_TOUCH: int
OPERATOR_WRITE: int
REGEX_EXTENDED: int
REGEX_ICASE: int
REGEX_NEWLINE: int
REGEX_NONE: int
REGEX_NOSUB: int

# An op dict: {"op": OPERATOR_* or another op code, "bin": name, ...}, made by
# aerowire.operations, list_operations, ...
Op = Mapping[str, Any]
INDEX_NUMERIC: int
INDEX_STRING: int
INDEX_BLOB: int
INDEX_GEO2DSPHERE: int
JOB_SCAN: str
JOB_QUERY: str
JOB_STATUS_UNDEF: int
JOB_STATUS_INPROGRESS: int
JOB_STATUS_COMPLETED: int
QUERY_DURATION_LONG: int
QUERY_DURATION_SHORT: int
QUERY_DURATION_LONG_RELAX_AP: int

class PartitionStatus:
    def __init__(self, begin: int = ..., count: int = ...,
                 digest: Optional[bytes] = ...) -> None: ...
    def to_bytes(self) -> bytes: ...
    @classmethod
    def from_bytes(cls, data: bytes) -> "PartitionStatus": ...
    def is_done(self) -> bool: ...
    def get(self, partition_id: int) -> Tuple[int, bool, int, Optional[bytes], bool]: ...
    def __len__(self) -> int: ...

class NumpyRecords:
    records: numpy.ndarray
    meta: numpy.ndarray
    result_codes: numpy.ndarray
    def __len__(self) -> int: ...

class QueryChunks:
    def __iter__(self) -> "QueryChunks": ...
    def __next__(self) -> Any: ...
    def close(self) -> None: ...
    def __enter__(self) -> "QueryChunks": ...
    def __exit__(self, *exc: object) -> None: ...

class Query:
    namespace: str
    set: Optional[str]
    max_records: int
    records_per_second: int
    def select(self, *bins: str) -> "Query": ...
    def where(self, predicate: Predicate) -> "Query": ...
    def add_ops(self, ops: Sequence[Mapping[str, Any]]) -> "Query": ...
    def paginate(self) -> "Query": ...
    def is_done(self) -> bool: ...
    def get_partitions_status(self) -> Optional[PartitionStatus]: ...
    @overload
    def results(self, policy: Optional[Policy] = ..., _dtype: None = ...) -> List[Record]: ...
    @overload
    def results(self, policy: Optional[Policy] = ..., *,
                _dtype: numpy.typing.DTypeLike) -> NumpyRecords: ...
    def foreach(self, callback: Callable[[Record], Optional[bool]],
                policy: Optional[Policy] = ...) -> None: ...
    def chunks(self, _dtype: numpy.typing.DTypeLike, chunk_rows: int = ...,
               policy: Optional[Policy] = ..., with_meta: bool = ...) -> QueryChunks: ...
    def execute_background(self, policy: Optional[Policy] = ...,
                           ops: Optional[Sequence[Mapping[str, Any]]] = ...) -> int: ...

class Scan(Query): ...

class Client:
    def __init__(self, config: Mapping[str, Any]) -> None: ...
    def connect(self) -> "Client": ...
    def close(self) -> None: ...
    def is_connected(self) -> bool: ...
    def __enter__(self) -> "Client": ...
    def __exit__(self, *exc: object) -> None: ...
    def get(self, key: KeyTuple, policy: Optional[Policy] = ...) -> Record: ...
    def select(self, key: KeyTuple, bins: Sequence[str], policy: Optional[Policy] = ...) -> Record: ...
    def exists(self, key: KeyTuple, policy: Optional[Policy] = ...) -> Tuple[Key, Optional[Meta]]: ...
    def put(self, key: KeyTuple, bins: Mapping[str, Value], meta: Optional[Mapping[str, int]] = ...,
            policy: Optional[Policy] = ...) -> None: ...
    def remove(self, key: KeyTuple, meta: Optional[Mapping[str, int]] = ...,
               policy: Optional[Policy] = ...) -> None: ...
    def touch(self, key: KeyTuple, val: Optional[int] = ..., meta: Optional[Mapping[str, int]] = ...,
              policy: Optional[Policy] = ...) -> None: ...
    def operate(self, key: KeyTuple, list: Sequence[Dict[str, Any]],
                meta: Optional[Mapping[str, int]] = ..., policy: Optional[Policy] = ...) -> Record: ...
    def operate_ordered(self, key: KeyTuple, list: Sequence[Dict[str, Any]],
                        meta: Optional[Mapping[str, int]] = ...,
                        policy: Optional[Policy] = ...) -> Record: ...
    def info(self, command: str, node: Optional[str] = ..., timeout: int = ...) -> str: ...
    def scan(self, namespace: str, set: Optional[str] = ...) -> Scan: ...
    def query(self, namespace: str, set: Optional[str] = ...) -> Query: ...
    def index_integer_create(self, ns: str, set: Optional[str], bin: str, name: str,
                             policy: Optional[Policy] = ...) -> None: ...
    def index_string_create(self, ns: str, set: Optional[str], bin: str, name: str,
                            policy: Optional[Policy] = ...) -> None: ...
    def index_blob_create(self, ns: str, set: Optional[str], bin: str, name: str,
                          policy: Optional[Policy] = ...) -> None: ...
    def index_geo2dsphere_create(self, ns: str, set: Optional[str], bin: str, name: str,
                                 policy: Optional[Policy] = ...) -> None: ...
    def index_list_create(self, ns: str, set: Optional[str], bin: str, index_datatype: int,
                          name: str, policy: Optional[Policy] = ...) -> None: ...
    def index_map_keys_create(self, ns: str, set: Optional[str], bin: str, index_datatype: int,
                              name: str, policy: Optional[Policy] = ...) -> None: ...
    def index_map_values_create(self, ns: str, set: Optional[str], bin: str,
                                index_datatype: int, name: str,
                                policy: Optional[Policy] = ...) -> None: ...
    def index_remove(self, ns: str, name: str, policy: Optional[Policy] = ...) -> None: ...
    def index_list(self, ns: Optional[str] = ...) -> List[Dict[str, Any]]: ...
    def truncate(self, namespace: str, set: Optional[str], nanos: int,
                 policy: Optional[Policy] = ...) -> None: ...
    def job_info(self, job_id: int, module: Literal["scan", "query"],
                 policy: Optional[Policy] = ...) -> Dict[str, int]: ...
    def job_wait(self, job_id: int, timeout: int = ..., interval: int = ...) -> None: ...
    @overload
    def batch_read(self, keys: Sequence[KeyTuple], bins: Optional[Sequence[str]] = ...,
                   policy: Optional[Policy] = ..., _dtype: None = ...) -> "RecordList": ...
    @overload
    def batch_read(self, keys: Sequence[KeyTuple], bins: Optional[Sequence[str]] = ...,
                   policy: Optional[Policy] = ..., *,
                   _dtype: numpy.typing.DTypeLike) -> "NumpyBatchRecords": ...
    @overload
    def batch_read(self, keys: numpy.ndarray, bins: Optional[Sequence[str]] = ...,
                   policy: Optional[Policy] = ..., *, _dtype: numpy.typing.DTypeLike,
                   namespace: str, set_name: Optional[str] = ...) -> "NumpyBatchRecords": ...
    def batch_write_numpy(self, data: numpy.ndarray, namespace: str, set_name: Optional[str],
                          _dtype: numpy.typing.DTypeLike, key_field: str = ...,
                          policy: Optional[Policy] = ...) -> "NumpyBatchWriteRecords": ...
    def batch_write(self, keys: Sequence[KeyTuple],
                    rows: Sequence[Union[Mapping[str, Value], Sequence[Op]]],
                    policy: Optional[Policy] = ...) -> "BatchRecords": ...
    def batch_operate(self, keys: Sequence[KeyTuple], ops: Sequence[Op],
                      policy: Optional[Policy] = ...) -> "BatchRecords": ...
    def batch_remove(self, keys: Sequence[KeyTuple],
                     policy: Optional[Policy] = ...) -> "BatchRecords": ...
    def put_array(self, key: KeyTuple, array: numpy.typing.ArrayLike,
                  attrs: Optional[Mapping[str, Value]] = ..., chunk_bytes: Optional[int] = ...,
                  compress: bool = ..., policy: Optional[Policy] = ...) -> None: ...
    def open_array(self, key: KeyTuple, policy: Optional[Policy] = ...,
                   cache_dir: Optional[str] = ...) -> "ArrayRef": ...
    def delete_array(self, key: KeyTuple, policy: Optional[Policy] = ...) -> None: ...

class RecordList(List[Record]):
    result_codes: List[int]

class AsyncClient:
    """The Client's commands as awaitables, run by the calling thread's asyncio loop."""
    def __init__(self, config: Mapping[str, Any]) -> None: ...
    async def connect(self) -> "AsyncClient": ...
    async def close(self) -> None: ...
    def is_connected(self) -> bool: ...
    async def __aenter__(self) -> "AsyncClient": ...
    async def __aexit__(self, *exc: object) -> None: ...
    def get(self, key: KeyTuple, policy: Optional[Policy] = ...) -> "asyncio.Future[Record]": ...
    def select(self, key: KeyTuple, bins: Sequence[str],
               policy: Optional[Policy] = ...) -> "asyncio.Future[Record]": ...
    def exists(self, key: KeyTuple,
               policy: Optional[Policy] = ...) -> "asyncio.Future[Tuple[Key, Optional[Meta]]]": ...
    def put(self, key: KeyTuple, bins: Mapping[str, Value], meta: Optional[Mapping[str, int]] = ...,
            policy: Optional[Policy] = ...) -> "asyncio.Future[None]": ...
    def remove(self, key: KeyTuple, meta: Optional[Mapping[str, int]] = ...,
               policy: Optional[Policy] = ...) -> "asyncio.Future[None]": ...
    def touch(self, key: KeyTuple, val: Optional[int] = ..., meta: Optional[Mapping[str, int]] = ...,
              policy: Optional[Policy] = ...) -> "asyncio.Future[None]": ...
    def operate(self, key: KeyTuple, list: Sequence[Op], meta: Optional[Mapping[str, int]] = ...,
                policy: Optional[Policy] = ...) -> "asyncio.Future[Record]": ...
    def operate_ordered(self, key: KeyTuple, list: Sequence[Op],
                        meta: Optional[Mapping[str, int]] = ...,
                        policy: Optional[Policy] = ...) -> "asyncio.Future[Record]": ...
    async def info(self, command: str, node: Optional[str] = ..., timeout: int = ...) -> str: ...
    @overload
    async def batch_read(self, keys: Sequence[KeyTuple], bins: Optional[Sequence[str]] = ...,
                         policy: Optional[Policy] = ..., _dtype: None = ...) -> "RecordList": ...
    @overload
    async def batch_read(self, keys: Sequence[KeyTuple], bins: Optional[Sequence[str]] = ...,
                         policy: Optional[Policy] = ..., *,
                         _dtype: numpy.typing.DTypeLike) -> "NumpyBatchRecords": ...
    @overload
    async def batch_read(self, keys: numpy.ndarray, bins: Optional[Sequence[str]] = ...,
                         policy: Optional[Policy] = ..., *, _dtype: numpy.typing.DTypeLike,
                         namespace: str,
                         set_name: Optional[str] = ...) -> "NumpyBatchRecords": ...
    async def batch_write_numpy(self, data: numpy.ndarray, namespace: str,
                                set_name: Optional[str], _dtype: numpy.typing.DTypeLike,
                                key_field: str = ...,
                                policy: Optional[Policy] = ...) -> "NumpyBatchWriteRecords": ...
    async def batch_write(self, keys: Sequence[KeyTuple],
                          rows: Sequence[Union[Mapping[str, Value], Sequence[Op]]],
                          policy: Optional[Policy] = ...) -> "BatchRecords": ...
    async def batch_operate(self, keys: Sequence[KeyTuple], ops: Sequence[Op],
                            policy: Optional[Policy] = ...) -> "BatchRecords": ...
    async def batch_remove(self, keys: Sequence[KeyTuple],
                           policy: Optional[Policy] = ...) -> "BatchRecords": ...

class NumpyBatchRecords:
    batch_records: numpy.ndarray
    meta: numpy.ndarray
    result_codes: numpy.ndarray
    def __len__(self) -> int: ...
    def index(self, key: Union[KeyTuple, UserKey]) -> int: ...
    def get(self, key: Union[KeyTuple, UserKey]) -> numpy.void: ...

class NumpyBatchWriteRecords(Sequence[Record]):
    result_codes: numpy.ndarray
    in_doubt: numpy.ndarray
    generations: numpy.ndarray
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, i: int) -> Record: ...
    @overload
    def __getitem__(self, i: slice) -> List[Record]: ...

class BatchRecord(NamedTuple):
    key: Key
    result: int
    record: Optional[Record]
    in_doubt: bool

class BatchRecords:
    batch_records: List[BatchRecord]
    result: int
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[BatchRecord]: ...
    def __getitem__(self, i: int) -> BatchRecord: ...

class ArrayRef:
    key: KeyTuple
    shape: Tuple[int, ...]
    dtype: numpy.dtype
    ndim: int
    size: int
    nbytes: int
    attrs: Dict[str, Any]
    chunk_bytes: int
    n_chunks: int
    compressed: bool
    cache_dir: str
    def __len__(self) -> int: ...
    def __enter__(self) -> "ArrayRef": ...
    def __exit__(self, *exc: object) -> None: ...
    def close(self) -> None: ...
    def load(self, mmap_mode: Optional[str] = ...) -> numpy.ndarray: ...
    def rows(self, i: int, j: int) -> numpy.ndarray: ...
    def __getitem__(self, index: Any) -> Any: ...
    def __array__(self, dtype: Optional[numpy.typing.DTypeLike] = ...,
                  copy: Optional[bool] = ...) -> numpy.ndarray: ...

def client(config: Mapping[str, Any]) -> Client: ...
