"""HyperLogLog ops for Client.operate, as the official client's
aerospike_helpers.operations.hll_operations (same names and argument
order). `policy` is {"flags": HLL_WRITE_*}; HLL values (hll_list) are the
bytes read from HLL bins."""
from ._ops_common import flags_of, op


def _flags(policy):
    return flags_of(policy, "flags", "HLL")


def hll_add(bin_name, values, index_bit_count=None, mh_bit_count=None, policy=None):
    """Adds the values; returns how many changed the HLL."""
    return op(2100, "hll_add", bin_name, values=values, index_bits=index_bit_count,
              mh_bits=mh_bit_count, flags=_flags(policy))


def hll_describe(bin_name):
    """[index_bit_count, mh_bit_count]."""
    return op(2101, "hll_describe", bin_name)


def hll_fold(bin_name, index_bit_count):
    return op(2102, "hll_fold", bin_name, index_bits=index_bit_count)


def hll_get_count(bin_name):
    return op(2103, "hll_get_count", bin_name)


def hll_get_intersect_count(bin_name, hll_list):
    return op(2104, "hll_get_intersect_count", bin_name, hlls=hll_list)


def hll_get_similarity(bin_name, hll_list):
    return op(2105, "hll_get_similarity", bin_name, hlls=hll_list)


def hll_get_union(bin_name, hll_list):
    return op(2106, "hll_get_union", bin_name, hlls=hll_list)


def hll_get_union_count(bin_name, hll_list):
    return op(2107, "hll_get_union_count", bin_name, hlls=hll_list)


def hll_init(bin_name, index_bit_count=None, mh_bit_count=None, policy=None):
    return op(2108, "hll_init", bin_name, index_bits=index_bit_count, mh_bits=mh_bit_count,
              flags=_flags(policy))


def hll_refresh_count(bin_name):
    return op(2109, "hll_refresh_count", bin_name)


def hll_set_union(bin_name, hll_list, policy=None):
    return op(2110, "hll_set_union", bin_name, hlls=hll_list, flags=_flags(policy))
