from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union, overload

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

class NumpyBatchRecords:
    batch_records: numpy.ndarray
    meta: numpy.ndarray
    result_codes: numpy.ndarray
    def __len__(self) -> int: ...
    def index(self, key: Union[KeyTuple, UserKey]) -> int: ...
    def get(self, key: Union[KeyTuple, UserKey]) -> numpy.void: ...

def client(config: Mapping[str, Any]) -> Client: ...
