"""Plain ops for Client.operate, as the official client's
aerospike_helpers.operations.operations: each returns an op dict."""
from ._op_constants import (OPERATOR_APPEND, OPERATOR_DELETE, OPERATOR_INCR, OPERATOR_PREPEND,
                            OPERATOR_READ, OPERATOR_TOUCH, OPERATOR_WRITE)
from ._ops_common import compiled, op

_SELECT_BY_PATH = 3000
_MODIFY_BY_PATH = 3001


def read(bin_name):
    """Reads the bin (None: every bin)."""
    return op(OPERATOR_READ, "read", bin_name)


def write(bin_name, write_item):
    """Writes the value (None removes the bin)."""
    return op(OPERATOR_WRITE, "write", bin_name, val=write_item)


def increment(bin_name, amount):
    """Adds an int or float to the bin (creating it)."""
    return op(OPERATOR_INCR, "increment", bin_name, val=amount)


def append(bin_name, append_item):
    """Appends a str or bytes to the bin."""
    return op(OPERATOR_APPEND, "append", bin_name, val=append_item)


def prepend(bin_name, prepend_item):
    """Prepends a str or bytes to the bin."""
    return op(OPERATOR_PREPEND, "prepend", bin_name, val=prepend_item)


def touch(ttl=None):
    """Resets the record's TTL (ttl seconds, else the policy's) and bumps its generation."""
    return op(OPERATOR_TOUCH, "touch", None, ttl=ttl)


def delete():
    """Deletes the record."""
    return op(OPERATOR_DELETE, "delete", None)


def select_by_path(bin_name, ctx, flags):
    """What the path ctx (cdt_ctx items, usually all-children ones) selects;
    flags: aerowire.EXP_PATH_SELECT_*."""
    return op(_SELECT_BY_PATH, "select_by_path", bin_name, ctx=ctx, flags=flags)


def modify_by_path(bin_name, ctx, expr, flags):
    """Replaces each element the path selects by the value of expr."""
    return op(_MODIFY_BY_PATH, "modify_by_path", bin_name, ctx=ctx, exp=compiled(expr),
              flags=flags)
