"""Contexts: paths into nested lists and maps, as the official client's
aerospike_helpers.cdt_ctx. Each returns a tuple; pass a list of them as the
ops' ctx argument (the first item selects inside the bin)."""
from ._ops_common import compiled

CDT_CTX_LIST_INDEX = 0x10
CDT_CTX_LIST_RANK = 0x11
CDT_CTX_LIST_VALUE = 0x13
CDT_CTX_LIST_INDEX_CREATE = 0x14
CDT_CTX_MAP_INDEX = 0x20
CDT_CTX_MAP_RANK = 0x21
CDT_CTX_MAP_KEY = 0x22
CDT_CTX_MAP_VALUE = 0x23
CDT_CTX_MAP_KEY_CREATE = 0x24
_ALL_CHILDREN = 0x04
_MAP_KEYS_IN = 0x2a


def cdt_ctx_list_index(index):
    return (CDT_CTX_LIST_INDEX, index)


def cdt_ctx_list_rank(rank):
    return (CDT_CTX_LIST_RANK, rank)


def cdt_ctx_list_value(value):
    return (CDT_CTX_LIST_VALUE, value)


def cdt_ctx_list_index_create(index, order=0, pad=False):
    """The list element at index, created (a list of order, nil-padded with
    pad) when missing."""
    return (CDT_CTX_LIST_INDEX_CREATE, index, order, pad)


def cdt_ctx_map_index(index):
    return (CDT_CTX_MAP_INDEX, index)


def cdt_ctx_map_rank(rank):
    return (CDT_CTX_MAP_RANK, rank)


def cdt_ctx_map_key(key):
    return (CDT_CTX_MAP_KEY, key)


def cdt_ctx_map_value(value):
    return (CDT_CTX_MAP_VALUE, value)


def cdt_ctx_map_key_create(key, order=0):
    """The map entry of key, created (in a map of order) when missing."""
    return (CDT_CTX_MAP_KEY_CREATE, key, order, False)


def cdt_ctx_all_children():
    """Every element (select_by_path / modify_by_path only)."""
    return (_ALL_CHILDREN, None)


def cdt_ctx_all_children_with_filter(expression):
    """Every element the bool expression (over loop variables) passes."""
    return (_ALL_CHILDREN, compiled(expression))


def cdt_ctx_map_keys_in(keys):
    """aerowire's: the values under each of keys (a list) in a map."""
    return (_MAP_KEYS_IN, list(keys))
