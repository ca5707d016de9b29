"""Expressions: filters (a policy's "expressions") and expression ops.

    from aerowire import exp
    f = exp.parse("$.age > 30 and $.name != 'x'")      # the text syntax
    f = exp.And(exp.GT(exp.IntBin("age"), 30),           # or the official client's
                exp.NE(exp.StrBin("name"), "x")).compile()   # builder classes
    client.get(key, policy={"expressions": f})          # FilteredOut when false

parse() reads the text syntax of docs/expressions.md ("Text syntax") with
aw_exp_parse; the builder classes mirror the common nodes of the official
client's aerospike_helpers.expressions and compile by writing that text, so
both give the same bytes as the official client. An Expression is immutable
and may be shared by any number of commands and threads.
"""
import math

from ._aerowire import Expression

parse = Expression.parse
from_base64 = Expression.from_base64

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _literal(v):
    """A Python value as the text syntax writes it."""
    if isinstance(v, _Node):
        return v._text()
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v!r} has no literal in expressions")
        return repr(v)
    if isinstance(v, str):
        return '"' + "".join(_ESCAPES.get(ch, ch) for ch in v) + '"'
    if isinstance(v, (bytes, bytearray)):
        return 'x"' + bytes(v).hex() + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"unsupported expression value type {type(v).__name__}")


class _Node:
    """A node: one builder call of the text syntax, FUNC(args...)."""

    _func = ""

    def __init__(self, *args):
        self._args = args

    def _text(self):
        return f"{self._func}({', '.join(_literal(a) for a in self._args)})"

    def compile(self):
        """The compiled Expression (ValueError naming the problem)."""
        return parse(self._text())

    def __repr__(self):
        return f"<aerowire.exp {self._text()}>"


def _node(name, func, doc=""):
    return type(name, (_Node,), {"_func": func, "__doc__": doc or f"{func}(...)"})


# Bins, record metadata, keys.
IntBin = _node("IntBin", "bin_int")
FloatBin = _node("FloatBin", "bin_float")
StrBin = _node("StrBin", "bin_str")
BlobBin = _node("BlobBin", "bin_blob")
BoolBin = _node("BoolBin", "bin_bool")
ListBin = _node("ListBin", "bin_list")
MapBin = _node("MapBin", "bin_map")
GeoBin = _node("GeoBin", "bin_geo")
HLLBin = _node("HLLBin", "bin_hll")
BinExists = _node("BinExists", "bin_exists")
BinType = _node("BinType", "bin_type")
KeyInt = _node("KeyInt", "key_int")
KeyStr = _node("KeyStr", "key_str")
KeyBlob = _node("KeyBlob", "key_blob")
KeyExists = _node("KeyExists", "key_exists")
SetName = _node("SetName", "set_name")
RecordSize = _node("RecordSize", "record_size")
DeviceSize = _node("DeviceSize", "device_size")
MemorySize = _node("MemorySize", "memory_size")
LastUpdateTime = _node("LastUpdateTime", "last_update")
SinceUpdateTime = _node("SinceUpdateTime", "since_update")
VoidTime = _node("VoidTime", "void_time")
TTL = _node("TTL", "ttl")
IsTombstone = _node("IsTombstone", "is_tombstone")
DigestMod = _node("DigestMod", "digest_modulo")
Unknown = _node("Unknown", "unknown")
# Comparisons and logic.
Eq = _node("Eq", "eq")
NE = _node("NE", "ne")
GT = _node("GT", "gt")
GE = _node("GE", "ge")
LT = _node("LT", "lt")
LE = _node("LE", "le")
CmpGeo = _node("CmpGeo", "geo_compare")
Not = _node("Not", "not")
And = _node("And", "and")
Or = _node("Or", "or")
Exclusive = _node("Exclusive", "exclusive")
Cond = _node("Cond", "cond")
# Arithmetic and integer bits.
Add = _node("Add", "add")
Sub = _node("Sub", "sub")
Mul = _node("Mul", "mul")
Div = _node("Div", "div")
Pow = _node("Pow", "pow")
Log = _node("Log", "log")
Mod = _node("Mod", "mod")
Abs = _node("Abs", "abs")
Floor = _node("Floor", "floor")
Ceil = _node("Ceil", "ceil")
ToInt = _node("ToInt", "to_int")
ToFloat = _node("ToFloat", "to_float")
Min = _node("Min", "min")
Max = _node("Max", "max")
IntAnd = _node("IntAnd", "int_and")
IntOr = _node("IntOr", "int_or")
IntXOr = _node("IntXOr", "int_xor")
IntNot = _node("IntNot", "int_not")
IntLeftShift = _node("IntLeftShift", "int_lshift")
IntRightShift = _node("IntRightShift", "int_rshift")
IntArithmeticRightShift = _node("IntArithmeticRightShift", "int_arshift")
IntCount = _node("IntCount", "int_count")
IntLeftScan = _node("IntLeftScan", "int_lscan")
IntRightScan = _node("IntRightScan", "int_rscan")


class CmpRegex(_Node):
    """CmpRegex(options, regex_str, cmp_str): options REGEX_EXTENDED, _ICASE, _NEWLINE."""

    def __init__(self, options, regex_str, cmp_str):
        if options & ~(1 | 2 | 4 | 8):
            raise ValueError(f"unknown regex options {options:#x}")
        flags = ("e" if options & 1 else "") + ("i" if options & 2 else "") + \
            ("n" if options & 8 else "")
        super().__init__(cmp_str, regex_str, *((flags,) if flags else ()))
        self._func = "regex"


class Def(_Node):
    """Def(name, value): a variable of a Let."""

    def _text(self):
        name, value = self._args
        return f"{name} = {_literal(value)}"


class Let(_Node):
    """Let(Def(...), ..., body)."""

    _func = "let"


class Var(_Node):
    """Var(name): a Let variable."""

    def _text(self):
        return self._args[0]


class Val(_Node):
    """Val(value): a literal."""

    def _text(self):
        return _literal(self._args[0])


__all__ = ["Expression", "parse", "from_base64"] + [
    n for n, v in list(globals().items()) if isinstance(v, type) and issubclass(v, _Node)
    and not n.startswith("_")]
