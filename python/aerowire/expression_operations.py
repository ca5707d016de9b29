"""Expression ops for Client.operate, as the official client's
aerospike_helpers.operations.expression_operations."""
from ._ops_common import compiled, op

_OP_EXPR_READ = 2200
_OP_EXPR_WRITE = 2201


def expression_read(bin_name, expression, expression_read_flags=0):
    """Evaluates the expression (an aerowire.exp.Expression or builder) and
    returns its value under bin_name."""
    return op(_OP_EXPR_READ, "expression_read", bin_name, exp=compiled(expression),
              flags=expression_read_flags)


def expression_write(bin_name, expression, expression_write_flags=0):
    """Evaluates the expression and writes its value to the bin."""
    return op(_OP_EXPR_WRITE, "expression_write", bin_name, exp=compiled(expression),
              flags=expression_write_flags)
