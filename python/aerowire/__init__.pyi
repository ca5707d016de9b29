from typing import (Any, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple,
                    Union, overload)

import numpy
import numpy.typing

from . import exception as exception
from ._types import Key as Key, Meta as Meta, Record as Record, UserKey as UserKey
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
OPERATOR_READ: int
OPERATOR_WRITE: int
OPERATOR_INCR: int
OPERATOR_APPEND: int
OPERATOR_PREPEND: int
OPERATOR_TOUCH: int
OPERATOR_DELETE: int

# {"op": OPERATOR_*, "bin": name, "val": value}
Op = Mapping[str, Any]

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
    def info(self, command: str, node: Optional[str] = ..., timeout: int = ...) -> str: ...
    @overload
    def batch_read(self, keys: Sequence[KeyTuple], bins: Optional[Sequence[str]] = ...,
                   policy: Optional[Policy] = ..., _dtype: None = ...) -> List[Record]: ...
    @overload
    def batch_read(self, keys: Sequence[KeyTuple], bins: Optional[Sequence[str]] = ...,
                   policy: Optional[Policy] = ..., *,
                   _dtype: numpy.typing.DTypeLike) -> "NumpyBatchRecords": ...
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
