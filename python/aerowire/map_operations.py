"""Map ops for Client.operate, as the official client's
aerospike_helpers.operations.map_operations (same names and argument
order). `map_policy` is a map policy dict ({"map_order": MAP_KEY_ORDERED,
"map_write_flags": MAP_WRITE_FLAGS_*, "persist_index": bool}); `ctx` a list
of aerowire.cdt_ctx items; `return_type` a MAP_RETURN_* constant,
`inverted` selects the complement; a count of None means to the end."""
from ._ops_common import map_policy as _map_policy, op, rt


def map_set_policy(bin_name, policy, ctx=None):
    """Sets an existing map's order (the policy's map_order)."""
    return op(1101, "map_set_policy", bin_name, policy=_map_policy(policy), ctx=ctx)


def map_create(bin_name, map_order, persist_index, ctx=None):
    return op(1144, "map_create", bin_name, order=map_order, persist_index=persist_index,
              ctx=ctx)


def map_put(bin_name, key, value, map_policy=None, ctx=None):
    return op(1102, "map_put", bin_name, key=key, val=value, policy=_map_policy(map_policy),
              ctx=ctx)


def map_put_items(bin_name, item_dict, map_policy=None, ctx=None):
    return op(1103, "map_put_items", bin_name, val=item_dict, policy=_map_policy(map_policy),
              ctx=ctx)


def map_increment(bin_name, key, amount, map_policy=None, ctx=None):
    return op(1104, "map_increment", bin_name, key=key, val=amount,
              policy=_map_policy(map_policy), ctx=ctx)


def map_decrement(bin_name, key, amount, map_policy=None, ctx=None):
    return op(1105, "map_decrement", bin_name, key=key, val=amount,
              policy=_map_policy(map_policy), ctx=ctx)


def map_size(bin_name, ctx=None):
    return op(1106, "map_size", bin_name, ctx=ctx)


def map_clear(bin_name, ctx=None):
    return op(1107, "map_clear", bin_name, ctx=ctx)


def map_remove_by_key(bin_name, key, return_type, ctx=None):
    return op(1108, "map_remove_by_key", bin_name, val=key, rt=rt(return_type), ctx=ctx)


def map_remove_by_key_list(bin_name, key_list, return_type, inverted=False, ctx=None):
    return op(1109, "map_remove_by_key_list", bin_name, val=key_list,
              rt=rt(return_type, inverted), ctx=ctx)


def map_remove_by_key_range(bin_name, key_range_start, key_range_end, return_type,
                            inverted=False, ctx=None):
    return op(1110, "map_remove_by_key_range", bin_name, begin=key_range_start,
              end=key_range_end, rt=rt(return_type, inverted), ctx=ctx)


def map_remove_by_value(bin_name, value, return_type, inverted=False, ctx=None):
    return op(1111, "map_remove_by_value", bin_name, val=value, rt=rt(return_type, inverted),
              ctx=ctx)


def map_remove_by_value_list(bin_name, value_list, return_type, inverted=False, ctx=None):
    return op(1112, "map_remove_by_value_list", bin_name, val=value_list,
              rt=rt(return_type, inverted), ctx=ctx)


def map_remove_by_value_range(bin_name, value_start, value_end, return_type, inverted=False,
                              ctx=None):
    return op(1113, "map_remove_by_value_range", bin_name, begin=value_start, end=value_end,
              rt=rt(return_type, inverted), ctx=ctx)


def map_remove_by_index(bin_name, index, return_type, ctx=None):
    return op(1114, "map_remove_by_index", bin_name, index=index, rt=rt(return_type), ctx=ctx)


def map_remove_by_index_range(bin_name, index_start, remove_amt, return_type, inverted=False,
                              ctx=None):
    return op(1115, "map_remove_by_index_range", bin_name, index=index_start,
              count=remove_amt, rt=rt(return_type, inverted), ctx=ctx)


def map_remove_by_rank(bin_name, rank, return_type, ctx=None):
    return op(1116, "map_remove_by_rank", bin_name, index=rank, rt=rt(return_type), ctx=ctx)


def map_remove_by_rank_range(bin_name, rank_start, remove_amt, return_type, inverted=False,
                             ctx=None):
    return op(1117, "map_remove_by_rank_range", bin_name, index=rank_start, count=remove_amt,
              rt=rt(return_type, inverted), ctx=ctx)


def map_get_by_key(bin_name, key, return_type, ctx=None):
    return op(1118, "map_get_by_key", bin_name, val=key, rt=rt(return_type), ctx=ctx)


def map_get_by_key_range(bin_name, key_range_start, key_range_end, return_type, inverted=False,
                         ctx=None):
    return op(1119, "map_get_by_key_range", bin_name, begin=key_range_start,
              end=key_range_end, rt=rt(return_type, inverted), ctx=ctx)


def map_get_by_key_list(bin_name, key_list, return_type, inverted=False, ctx=None):
    return op(1127, "map_get_by_key_list", bin_name, val=key_list,
              rt=rt(return_type, inverted), ctx=ctx)


def map_get_by_value(bin_name, value, return_type, inverted=False, ctx=None):
    return op(1120, "map_get_by_value", bin_name, val=value, rt=rt(return_type, inverted),
              ctx=ctx)


def map_get_by_value_range(bin_name, value_start, value_end, return_type, inverted=False,
                           ctx=None):
    return op(1121, "map_get_by_value_range", bin_name, begin=value_start, end=value_end,
              rt=rt(return_type, inverted), ctx=ctx)


def map_get_by_value_list(bin_name, key_list, return_type, inverted=False, ctx=None):
    return op(1126, "map_get_by_value_list", bin_name, val=key_list,
              rt=rt(return_type, inverted), ctx=ctx)


def map_get_by_index(bin_name, index, return_type, ctx=None):
    return op(1122, "map_get_by_index", bin_name, index=index, rt=rt(return_type), ctx=ctx)


def map_get_by_index_range(bin_name, index_start, get_amt, return_type, inverted=False,
                           ctx=None):
    return op(1123, "map_get_by_index_range", bin_name, index=index_start, count=get_amt,
              rt=rt(return_type, inverted), ctx=ctx)


def map_get_by_rank(bin_name, rank, return_type, ctx=None):
    return op(1124, "map_get_by_rank", bin_name, index=rank, rt=rt(return_type), ctx=ctx)


def map_get_by_rank_range(bin_name, rank_start, get_amt, return_type, inverted=False,
                          ctx=None):
    return op(1125, "map_get_by_rank_range", bin_name, index=rank_start, count=get_amt,
              rt=rt(return_type, inverted), ctx=ctx)


def map_remove_by_value_rank_range_relative(bin_name, value, offset, return_type, count=None,
                                            inverted=False, ctx=None):
    return op(1128, "map_remove_by_value_rank_range_relative", bin_name, val=value,
              index=offset, count=count, rt=rt(return_type, inverted), ctx=ctx)


def map_get_by_value_rank_range_relative(bin_name, value, offset, return_type, count=None,
                                         inverted=False, ctx=None):
    return op(1130, "map_get_by_value_rank_range_relative", bin_name, val=value,
              index=offset, count=count, rt=rt(return_type, inverted), ctx=ctx)


def map_remove_by_key_index_range_relative(bin_name, key, offset, return_type, count=None,
                                           inverted=False, ctx=None):
    return op(1129, "map_remove_by_key_index_range_relative", bin_name, val=key,
              index=offset, count=count, rt=rt(return_type, inverted), ctx=ctx)


def map_get_by_key_index_range_relative(bin_name, value, offset, return_type, count=None,
                                        inverted=False, ctx=None):
    return op(1131, "map_get_by_key_index_range_relative", bin_name, val=value,
              index=offset, count=count, rt=rt(return_type, inverted), ctx=ctx)
