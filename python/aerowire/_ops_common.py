"""What the op builder modules share: the op dict, return types with
`inverted`, and the list/map policy dicts into the tuples the C side reads."""

_INVERTED = 0x10000


def op(code, name, bin_name, **fields):
    """An op dict: {"op": code, "name": ..., "bin": ..., the fields}."""
    d = {"op": code, "name": name, "bin": bin_name}
    d.update(fields)
    return d


def rt(return_type, inverted=False):
    """A return type with the inverted flag folded in."""
    if not isinstance(return_type, int) or isinstance(return_type, bool):
        raise TypeError(f"return_type must be an int, not {type(return_type).__name__}")
    return return_type | (_INVERTED if inverted else 0)


def _check_keys(policy, known, what):
    if not isinstance(policy, dict):
        raise TypeError(f"{what} policy must be a dict, not {type(policy).__name__}")
    unknown = sorted(set(policy) - set(known), key=str)
    if unknown:
        raise ValueError(f"unknown {what} policy key(s) {unknown} ({', '.join(known)} known)")


def list_policy(policy):
    """{"write_flags": ..., "list_order": ...} -> (order, flags), or None."""
    if policy is None:
        return None
    _check_keys(policy, ("write_flags", "list_order"), "list")
    return (policy.get("list_order", 0), policy.get("write_flags", 0))


def map_policy(policy):
    """{"map_order", "map_write_flags", "persist_index"} -> (order, flags, 0), or None."""
    if policy is None:
        return None
    _check_keys(policy, ("map_order", "map_write_flags", "persist_index"), "map")
    order = policy.get("map_order", 0) | (0x10 if policy.get("persist_index") else 0)
    return (order, policy.get("map_write_flags", 0), 0)


def flags_of(policy, key, what):
    """The flags of a bit ({"bit_write_flags": n}) or HLL ({"flags": n}) policy."""
    if policy is None:
        return 0
    _check_keys(policy, (key,), what)
    return policy.get(key, 0)


def compiled(expression):
    """An Expression, or the compile() of a builder node."""
    compile_ = getattr(expression, "compile", None)
    return compile_() if compile_ is not None else expression
