from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from .exp import Expression, _Node


Op = Dict[str, Any]
CtxItem = Tuple[Any, ...]

_OP_EXPR_READ: int
_OP_EXPR_WRITE: int
def expression_read(bin_name: str, expression: Union[Expression, _Node], expression_read_flags: Any = ...) -> Op: ...
def expression_write(bin_name: str, expression: Union[Expression, _Node], expression_write_flags: Any = ...) -> Op: ...
