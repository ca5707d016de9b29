"""List ops for Client.operate, as the official client's
aerospike_helpers.operations.list_operations (same names and argument
order). `policy` is a list policy dict ({"write_flags": LIST_WRITE_*,
"list_order": LIST_ORDERED}); `ctx` a list of aerowire.cdt_ctx items;
`return_type` a LIST_RETURN_* constant, `inverted` selects the complement;
a `count` of None means to the end."""
from ._ops_common import list_policy, op, rt


def list_create(bin_name, list_order, pad, persist_index, ctx=None):
    return op(1041, "list_create", bin_name, order=list_order, pad=pad,
              persist_index=persist_index, ctx=ctx)


def list_append(bin_name, value, policy=None, ctx=None):
    return op(1001, "list_append", bin_name, val=value, policy=list_policy(policy), ctx=ctx)


def list_append_items(bin_name, values, policy=None, ctx=None):
    return op(1002, "list_append_items", bin_name, val=values, policy=list_policy(policy),
              ctx=ctx)


def list_insert(bin_name, index, value, policy=None, ctx=None):
    return op(1003, "list_insert", bin_name, index=index, val=value,
              policy=list_policy(policy), ctx=ctx)


def list_insert_items(bin_name, index, values, policy=None, ctx=None):
    return op(1004, "list_insert_items", bin_name, index=index, val=values,
              policy=list_policy(policy), ctx=ctx)


def list_increment(bin_name, index, value, policy=None, ctx=None):
    return op(1015, "list_increment", bin_name, index=index, val=value,
              policy=list_policy(policy), ctx=ctx)


def list_pop(bin_name, index, ctx=None):
    return op(1005, "list_pop", bin_name, index=index, ctx=ctx)


def list_pop_range(bin_name, index, count, ctx=None):
    return op(1006, "list_pop_range", bin_name, index=index, count=count, ctx=ctx)


def list_remove(bin_name, index, ctx=None):
    return op(1007, "list_remove", bin_name, index=index, ctx=ctx)


def list_remove_range(bin_name, index, count, ctx=None):
    return op(1008, "list_remove_range", bin_name, index=index, count=count, ctx=ctx)


def list_clear(bin_name, ctx=None):
    return op(1009, "list_clear", bin_name, ctx=ctx)


def list_set(bin_name, index, value, policy=None, ctx=None):
    return op(1010, "list_set", bin_name, index=index, val=value, policy=list_policy(policy),
              ctx=ctx)


def list_get(bin_name, index, ctx=None):
    return op(1011, "list_get", bin_name, index=index, ctx=ctx)


def list_get_range(bin_name, index, count, ctx=None):
    return op(1012, "list_get_range", bin_name, index=index, count=count, ctx=ctx)


def list_trim(bin_name, index, count, ctx=None):
    return op(1013, "list_trim", bin_name, index=index, count=count, ctx=ctx)


def list_size(bin_name, ctx=None):
    return op(1014, "list_size", bin_name, ctx=ctx)


def list_get_by_index(bin_name, index, return_type, ctx=None):
    return op(1016, "list_get_by_index", bin_name, index=index, rt=rt(return_type), ctx=ctx)


def list_get_by_index_range(bin_name, index, return_type, count=None, inverted=False, ctx=None):
    return op(1017, "list_get_by_index_range", bin_name, index=index, count=count,
              rt=rt(return_type, inverted), ctx=ctx)


def list_get_by_rank(bin_name, rank, return_type, ctx=None):
    return op(1018, "list_get_by_rank", bin_name, index=rank, rt=rt(return_type), ctx=ctx)


def list_get_by_rank_range(bin_name, rank, return_type, count=None, inverted=False, ctx=None):
    return op(1019, "list_get_by_rank_range", bin_name, index=rank, count=count,
              rt=rt(return_type, inverted), ctx=ctx)


def list_get_by_value(bin_name, value, return_type, inverted=False, ctx=None):
    return op(1020, "list_get_by_value", bin_name, val=value, rt=rt(return_type, inverted),
              ctx=ctx)


def list_get_by_value_list(bin_name, value_list, return_type, inverted=False, ctx=None):
    return op(1021, "list_get_by_value_list", bin_name, val=value_list,
              rt=rt(return_type, inverted), ctx=ctx)


def list_get_by_value_range(bin_name, return_type, value_begin, value_end, inverted=False,
                            ctx=None):
    """Values in [value_begin, value_end); None: from the smallest, to the largest."""
    return op(1022, "list_get_by_value_range", bin_name, begin=value_begin, end=value_end,
              rt=rt(return_type, inverted), ctx=ctx)


def list_remove_by_index(bin_name, index, return_type, ctx=None):
    return op(1023, "list_remove_by_index", bin_name, index=index, rt=rt(return_type),
              ctx=ctx)


def list_remove_by_index_range(bin_name, index, return_type, count=None, inverted=False,
                               ctx=None):
    return op(1024, "list_remove_by_index_range", bin_name, index=index, count=count,
              rt=rt(return_type, inverted), ctx=ctx)


def list_remove_by_rank(bin_name, rank, return_type, ctx=None):
    return op(1025, "list_remove_by_rank", bin_name, index=rank, rt=rt(return_type), ctx=ctx)


def list_remove_by_rank_range(bin_name, rank, return_type, count=None, inverted=False,
                              ctx=None):
    return op(1026, "list_remove_by_rank_range", bin_name, index=rank, count=count,
              rt=rt(return_type, inverted), ctx=ctx)


def list_remove_by_value(bin_name, value, return_type, inverted=False, ctx=None):
    return op(1027, "list_remove_by_value", bin_name, val=value,
              rt=rt(return_type, inverted), ctx=ctx)


def list_remove_by_value_list(bin_name, value_list, return_type, inverted=False, ctx=None):
    return op(1028, "list_remove_by_value_list", bin_name, val=value_list,
              rt=rt(return_type, inverted), ctx=ctx)


def list_remove_by_value_range(bin_name, return_type, value_begin=None, value_end=None,
                               inverted=False, ctx=None):
    return op(1029, "list_remove_by_value_range", bin_name, begin=value_begin, end=value_end,
              rt=rt(return_type, inverted), ctx=ctx)


def list_set_order(bin_name, list_order, ctx=None):
    return op(1030, "list_set_order", bin_name, order=list_order, ctx=ctx)


def list_sort(bin_name, sort_flags=0, ctx=None):
    return op(1031, "list_sort", bin_name, flags=sort_flags, ctx=ctx)


def list_get_by_value_rank_range_relative(bin_name, value, offset, return_type, count=None,
                                          inverted=False, ctx=None):
    """Elements from the rank of value (or where it would be) + offset."""
    return op(1033, "list_get_by_value_rank_range_relative", bin_name, val=value,
              index=offset, count=count, rt=rt(return_type, inverted), ctx=ctx)


def list_remove_by_value_rank_range_relative(bin_name, value, offset, return_type, count=None,
                                             inverted=False, ctx=None):
    return op(1032, "list_remove_by_value_rank_range_relative", bin_name, val=value,
              index=offset, count=count, rt=rt(return_type, inverted), ctx=ctx)
